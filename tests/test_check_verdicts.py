"""How a verdict reads: what is still a stub (not started / partly done), hints that escalate
(concept first, the detail only after repeated failures), wrapped plain text and a coloured box."""

from __future__ import annotations

import re

import pytest
import torch

from course_utils import OptimizerBase, check_optimizer, check_value
from course_utils.checks.core import (
    DETAIL_AFTER,
    ERROR,
    FAIL,
    PASS,
    TODO,
    WIDTH,
    CheckResult,
    guard,
    reset_attempts,
    stubs_of,
)


@pytest.fixture(autouse=True)
def _fresh_counts():
    reset_attempts()
    yield
    reset_attempts()


class Stubbed(OptimizerBase):
    """What the student edition hands out: every method a stub."""

    defaults_ = {"lr": 1e-3}

    def init_state(self, p, state, group):
        """Create the state."""
        raise NotImplementedError("write your solution here")

    def update_param(self, p, grad, state, group):
        raise NotImplementedError("write your solution here")


class HalfDone(Stubbed):
    def update_param(self, p, grad, state, group):
        p.sub_(group["lr"] * grad)


def test_a_stub_is_told_apart_from_written_code():
    assert stubs_of(Stubbed) == (["Stubbed.init_state", "Stubbed.update_param"], [])
    assert stubs_of(HalfDone) == (["HalfDone.init_state"], ["HalfDone.update_param"])

    def conditional(x):
        if x:
            raise NotImplementedError("not for x")
        return 1

    assert stubs_of(conditional) == ([], ["conditional"])  # raising on one branch is code


def test_not_started_names_every_stub():
    text = repr(check_optimizer(Stubbed, torch.optim.SGD, [{"lr": 1e-3}]))
    assert text.startswith("[TODO] Stubbed against torch.optim.SGD")
    flat = " ".join(text.split())
    assert "not started" in flat and "Stubbed.init_state and Stubbed.update_param are not implemented yet" in flat


def test_partly_done_names_the_missing_method():
    result = check_optimizer(HalfDone, torch.optim.SGD, [{"lr": 1e-3}])
    assert result.status == TODO
    flat = " ".join(repr(result).split())
    assert "partly done: HalfDone.update_param is written" in flat
    assert "HalfDone.init_state is not implemented yet" in flat


def test_a_stubbed_function_is_named_and_a_missing_answer_is_todo():
    def ewma(xs, beta):
        raise NotImplementedError("write your solution here")

    result = guard("ewma", lambda: CheckResult(PASS, "ewma") if ewma([1.0], 0.9) else None)
    assert result.status == TODO and "not started: ewma is not implemented yet" in " ".join(repr(result).split())
    assert "not implemented yet" in repr(check_value("x", None, 2.0))


def test_a_crash_names_where_it_happened():
    def update(x):
        return x / 0

    result = guard("division", lambda: update(1.0))
    assert result.status == ERROR
    assert "ZeroDivisionError in update (line" in result.message


def test_hints_escalate_from_the_concept_to_the_detail_and_a_pass_resets():
    hints = [(0.5, "look at the denominator", "the denominator is |g_1| + eps")]
    shown = [repr(check_value("step", 0.5, 1.0, hints=hints)) for _ in range(DETAIL_AFTER)]
    for text in shown[:-1]:
        assert "look at the denominator" in text and "|g_1| + eps" not in text and "more detailed hint" in text
    assert "in detail: the denominator is |g_1| + eps" in shown[-1]
    assert check_value("step", 1.0, 1.0).passed
    again = check_value("step", 0.5, 1.0, hints=hints)
    assert again.attempt == 1 and "|g_1| + eps" not in repr(again)


def test_a_known_optimizer_mistake_gets_its_concept_first_and_the_formula_later():
    from course_utils.checks.mistakes import known_mistakes

    wrong = next(m for m in known_mistakes(torch.optim.Adam) if m.__name__ == "AdamEpsInsideSqrt")
    results = [check_optimizer(wrong, torch.optim.Adam) for _ in range(DETAIL_AFTER)]
    assert all(r.status == FAIL and r.hint == wrong.hint for r in results)
    assert "sqrt(v_hat + eps)" not in repr(results[0])
    assert "sqrt(v_hat + eps)" in " ".join(repr(results[-1]).split())


def test_plain_text_is_wrapped_at_word_boundaries():
    words = "the paths part at step 17 (max |difference| = 1.46e-05) because the gradients " * 4
    result = CheckResult(FAIL, "MyAdam against torch.optim.Adam", words, "look at " + words)
    lines = repr(result).splitlines()
    assert lines[0] == "[FAIL] MyAdam against torch.optim.Adam"
    assert all(len(line) <= WIDTH for line in lines)
    assert "1.46e-05)" in repr(result) and "gradients" in repr(result)  # no number or word cut
    assert lines[1].startswith("  the paths") and any(line.startswith("  hint: look at") for line in lines)


@pytest.mark.parametrize("status, mark, colour", [(PASS, "PASS", "#2e7d32"), (FAIL, "FAIL", "#c62828"),
                                                  (TODO, "TODO", "#b26a00"), (ERROR, "ERROR", "#616161")])
def test_html_is_a_coloured_box_with_the_escaped_text(status, mark, colour):
    result = CheckResult(status, "a < b", "x & y", "hint <b>")
    page = result._repr_html_()
    assert f"course-check-{mark.lower()}" in page and colour in page and f">{mark}</span>" in page
    assert "a &lt; b" in page and "<b>hint <b>" not in page
    assert "color:inherit" in page  # the text takes the theme's colour: readable light or dark
    assert not re.search(r"background:#fff\b", page)
    assert repr(result).startswith(f"[{mark}] a < b")
