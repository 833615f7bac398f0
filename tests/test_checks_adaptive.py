"""Checks of notebooks 03 and 04: first-step predictions, hints that escalate without giving the answer."""

from __future__ import annotations

import math

import pytest
import torch

from course_utils.checks import (
    check_rmsprop_first_step,
    check_value_escalating,
    reset_tries,
    rmsprop_first_step,
    wrong_tries,
)


@pytest.fixture(autouse=True)
def _fresh_counters():
    reset_tries()
    yield
    reset_tries()


def test_rmsprop_first_step_matches_torch():
    for lr, beta2, g1 in ((0.01, 0.9, 0.3), (0.1, 0.99, -2.0), (1e-3, 0.5, 1e-3)):
        theta = torch.zeros(1, dtype=torch.float64, requires_grad=True)
        opt = torch.optim.RMSprop([theta], lr=lr, alpha=beta2)
        theta.grad = torch.tensor([g1], dtype=torch.float64)
        opt.step()
        assert math.isclose(abs(float(theta.detach())), rmsprop_first_step(lr, beta2, g1), rel_tol=1e-12)
    with pytest.raises(ValueError, match="beta2"):
        rmsprop_first_step(0.01, 1.0, 0.3)


def test_check_rmsprop_first_step_pass_stub_and_known_mistakes():
    right = rmsprop_first_step(0.01, 0.9, 0.3)
    assert check_rmsprop_first_step(right).passed
    assert check_rmsprop_first_step(None).status == "NOT IMPLEMENTED YET"
    bias = check_rmsprop_first_step(0.01)
    assert not bias.passed and "bias" in bias.hint
    gd = check_rmsprop_first_step(0.003)
    assert "gradient descent" in gd.hint
    default_alpha = check_rmsprop_first_step(0.1)
    assert "0.99" in default_alpha.hint and "square root" in default_alpha.hint


@pytest.mark.parametrize("answer", [0.01, 0.003, 0.1, 0.00316, 0.5, 0.02])
def test_no_hint_states_the_answer_or_the_step_formula_on_the_first_try(answer):
    result = check_rmsprop_first_step(answer)
    assert not result.passed
    assert "0.0316" not in result.hint and "sqrt(v_1) + eps" not in result.hint


def test_the_fallback_hint_escalates_and_resets_on_a_pass():
    title = "RMSProp's first step with alpha = 0.9"
    hints = [check_rmsprop_first_step(0.5).hint for _ in range(4)]
    assert wrong_tries(title) == 4
    assert "v_0 = 0" in hints[0] and "sqrt(v_1)" not in hints[0]  # the concept first
    assert "sqrt(v_1) + eps" in hints[1]  # then the formula
    assert "cancels" in hints[2] and hints[3] == hints[2]  # the last rung repeats
    assert check_rmsprop_first_step(rmsprop_first_step(0.01, 0.9, 0.3)).passed
    assert wrong_tries(title) == 0


def test_check_value_escalating_needs_a_ladder_and_counts_per_title():
    with pytest.raises(ValueError, match="ladder"):
        check_value_escalating("x", 1.0, 2.0, ladder=[])
    a = check_value_escalating("a", 1.0, 2.0, ladder=["first", "second"])
    b = check_value_escalating("b", 1.0, 2.0, ladder=["first", "second"])
    assert a.hint == b.hint == "first"
    assert check_value_escalating("a", 1.0, 2.0, ladder=["first", "second"]).hint == "second"
    assert check_value_escalating("a", None, 2.0, ladder=["first"]).status == "NOT IMPLEMENTED YET"
    assert wrong_tries("a") == 2  # a stub is not a wrong try


def test_adam_first_step_matches_torch_and_the_checker_escalates():
    from course_utils.checks import adam_first_step, check_adam_first_step

    for lr, g1 in ((1e-3, 5e-9), (0.1, -3.0), (1e-2, 1e-8)):
        theta = torch.zeros(1, dtype=torch.float64, requires_grad=True)
        opt = torch.optim.Adam([theta], lr=lr)
        theta.grad = torch.tensor([g1], dtype=torch.float64)
        opt.step()
        assert math.isclose(abs(float(theta.detach())), adam_first_step(lr, g1), rel_tol=1e-12)
    right = adam_first_step(1e-3, 5e-9)
    assert check_adam_first_step(right).passed
    assert check_adam_first_step(None).status == "NOT IMPLEMENTED YET"
    assert "eps" in check_adam_first_step(1e-3).hint
    assert "outside the square root" in check_adam_first_step(1e-3 * 5e-9 / math.sqrt(25e-18 + 1e-8)).hint
    assert "bias correction" in check_adam_first_step(1e-3 * 5e-9 / (math.sqrt(0.001) * 5e-9 + 1e-8)).hint
    reset_tries()
    ladder = [check_adam_first_step(0.5).hint for _ in range(3)]
    assert "(|g_1| + eps)" not in ladder[0] and "(|g_1| + eps)" not in ladder[1]  # concept first
    assert "(|g_1| + eps)" in ladder[2]  # the formula only after two wrong tries
