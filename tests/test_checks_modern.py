"""Notebook 09's graders: each optimizer's reference implementation passes, every declared mistake is
caught with its own hint, and the notebook's own checks (Muon split, Newton-Schulz) name their mistakes."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from course_utils import OptimizerBase
from course_utils.checks import (
    check_adafactor,
    check_lion,
    check_muon,
    check_muon_split,
    check_nadam,
    check_newton_schulz,
    check_radam,
    check_schedule_free,
)
from course_utils.checks.core import FAIL, PASS, TODO
from course_utils.checks.mistakes import (
    DEFAULT_CONFIGS,
    KNOWN_MISTAKES,
    Mutant,
    implementation_of,
    known_mistakes,
    torch_reference,
)
from course_utils.checks.modern_mistakes import MODERN_GRADERS
from course_utils.optim import Interval

CHECKS = {"NAdam": check_nadam, "RAdam": check_radam, "Adafactor": check_adafactor, "Muon": check_muon,
          "Lion": check_lion, "ScheduleFreeAdamW": check_schedule_free}
IMPLEMENTATIONS = {name: implementation_of(g.reference) for name, g in MODERN_GRADERS.items()}
REGISTERED = [(name, m) for name, g in MODERN_GRADERS.items() for m in known_mistakes(g.reference)]


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


@pytest.mark.parametrize("name", list(CHECKS))
def test_the_implementation_passes_its_grader(name):
    result = CHECKS[name](IMPLEMENTATIONS[name])
    assert result.status == PASS, result


@pytest.mark.parametrize("name,mutant", REGISTERED, ids=[m.__name__ for _, m in REGISTERED])
def test_every_mistake_is_caught_with_its_own_hint(name, mutant):
    result = CHECKS[name](mutant)
    assert result.status in (FAIL, "ERROR"), result
    assert result.hint == mutant.hint, f"{mutant.__name__}: got the hint {result.hint!r}"
    assert result.detail == mutant.detail, f"{mutant.__name__}: got the detail {result.detail!r}"


def test_a_modern_mistake_shows_its_detail_only_after_repeated_failures():
    from course_utils.checks.core import DETAIL_AFTER, reset_attempts

    reset_attempts()
    for name, mutant_name in (("Lion", "LionDecayWithoutLr"), ("Muon", "MuonAcceptsNon2D")):
        mutant = next(m for _, m in REGISTERED if m.__name__ == mutant_name)
        shown = [" ".join(repr(CHECKS[name](mutant)).split()) for _ in range(DETAIL_AFTER)]
        assert all(mutant.hint in " ".join(text.split()) for text in shown)
        assert all("in detail:" not in text for text in shown[:-1]) and "more detailed hint" in shown[0]
        assert "in detail: " + " ".join(mutant.detail.split()) in shown[-1], shown[-1]
    reset_attempts()


def test_each_optimizer_registers_at_least_three_mistakes_with_distinct_hints():
    import lion_pytorch
    import schedulefree

    from course_utils import optim_modern

    expected = {torch.optim.NAdam: optim_modern.NAdam, torch.optim.RAdam: optim_modern.RAdam,
                torch.optim.Adafactor: optim_modern.Adafactor, torch.optim.Muon: optim_modern.Muon,
                lion_pytorch.Lion: optim_modern.Lion, schedulefree.AdamWScheduleFree: optim_modern.ScheduleFreeAdamW}
    assert {g.reference for g in MODERN_GRADERS.values()} == set(expected)
    for ref, impl in expected.items():
        assert implementation_of(ref) is impl and torch_reference(impl) is ref
        mutants = KNOWN_MISTAKES[ref]
        assert len(mutants) >= 3, ref
        assert len({m.hint for m in mutants}) == len(mutants), ref
        for m in mutants:  # a registered mutant: the implementation with its declared knobs turned
            assert m.__bases__ == (impl, Mutant) and m.knobs
            assert all(getattr(m, k) == v != getattr(impl, k) for k, v in m.knobs.items()), m.__name__


def test_every_registered_configuration_runs_on_the_reference():
    from course_utils.checks.optimizer import DEFAULT_PROBLEMS

    for grader in MODERN_GRADERS.values():
        for config in DEFAULT_CONFIGS[grader.reference]:
            params, loss_fn = (grader.problems or DEFAULT_PROBLEMS)[0].make()
            opt = grader.wrap(grader.reference)(params, **config)
            for _ in range(2):
                opt.zero_grad()
                loss_fn(params).backward()
                opt.step()
            assert all(torch.isfinite(p).all() for p in params)


class ScratchLion(OptimizerBase):
    """Lion written differently from the course's (torch.sign, out-of-place arithmetic)."""

    hyperparameters = {"lr": Interval(0.0, math.inf, low_closed=False), "weight_decay": Interval(0.0, math.inf)}
    defaults_ = {"lr": 1e-4, "betas": (0.9, 0.99), "weight_decay": 0.0}

    def init_state(self, p, state, group):
        state["m"] = torch.zeros_like(p)

    def update_param(self, p, grad, state, group):
        (b1, b2), m, lr = group["betas"], state["m"], group["lr"]
        p.copy_(p * (1 - lr * group["weight_decay"]) - lr * torch.sign(b1 * m + (1 - b1) * grad))
        state["m"] = b2 * m + (1 - b2) * grad


def test_a_scratch_lion_passes_and_a_stub_is_not_implemented():
    assert check_lion(ScratchLion).status == PASS

    class Stub(ScratchLion):
        def update_param(self, p, grad, state, group):
            raise NotImplementedError

    assert check_lion(Stub).status == TODO


def test_muon_that_refuses_at_the_first_step_is_accepted_and_a_wrong_error_is_named():
    class LateRefusal(IMPLEMENTATIONS["Muon"]):
        refuse_non_2d = False

        def update_param(self, p, grad, state, group):
            if p.ndim != 2:
                raise ValueError("2-D only")
            super().update_param(p, grad, state, group)

    assert check_muon(LateRefusal).status == PASS

    class WrongError(LateRefusal):
        def update_param(self, p, grad, state, group):
            if p.ndim != 2:
                raise TypeError("2-D only")
            super().update_param(p, grad, state, group)

    result = check_muon(WrongError)
    assert result.status == FAIL and "ValueError" in result.hint


def test_schedule_free_grader_compares_eval_weights():
    """A schedule-free whose step is right but whose train() does nothing fails: the driver uses it."""

    class TrainIsNoop(IMPLEMENTATIONS["ScheduleFreeAdamW"]):
        def train(self):
            for group in self.param_groups:
                group["train_mode"] = True

    assert check_schedule_free(TrainIsNoop).status == FAIL


# -- the Muon / AdamW split --------------------------------------------------------------------
def by_type(model):
    muon, adamw = [], []
    for name, module in model.named_modules():
        for p in module.parameters(recurse=False):
            (muon if isinstance(module, nn.Linear) and p.ndim == 2 and not name.startswith("head") else adamw).append(p)
    return muon, adamw


def all_2d(model):
    ps = list(model.parameters())
    return [p for p in ps if p.ndim == 2], [p for p in ps if p.ndim != 2]


def by_name(model):  # "embed" in the name: misses an embedding called `tok`
    muon, adamw = [], []
    for name, p in model.named_parameters():
        (muon if p.ndim == 2 and "embed" not in name and not name.startswith("head") else adamw).append(p)
    return muon, adamw


def everything_on_muon(model):
    return list(model.parameters()), []


def hidden_on_adamw(model):
    muon, adamw = by_type(model)
    return muon[1:], adamw + muon[:1]


def forgets_one(model):
    muon, adamw = by_type(model)
    return muon, adamw[1:]


def twice(model):
    muon, adamw = by_type(model)
    return muon, adamw + muon[:1]


def stub(model):
    raise NotImplementedError


SPLIT_CASES = [
    (all_2d, FAIL, "embedding"),  # the first 2-D parameter that is not a hidden matrix: the embedding
    (by_name, FAIL, "isinstance(module, nn.Embedding)"),
    (everything_on_muon, FAIL, "Muon applied to a bias"),
    (hidden_on_adamw, FAIL, "every hidden weight matrix"),
    (forgets_one, FAIL, "every parameter must be optimized"),
    (twice, FAIL, "exactly one optimizer"),
    (lambda model: by_type(model)[0], FAIL, "return muon, adamw"),
    (stub, TODO, ""),
]


def test_the_split_check_passes_the_right_split():
    assert check_muon_split(by_type).status == PASS


@pytest.mark.parametrize("fn,status,hint", SPLIT_CASES, ids=lambda v: getattr(v, "__name__", str(v)))
def test_the_split_check_names_the_mistake(fn, status, hint):
    result = check_muon_split(fn)
    assert result.status == status, result
    assert hint in result.hint, result


def test_head_on_muon_and_norm_on_muon_have_their_own_hints():
    def head_too(model):
        muon, adamw = by_type(model)
        head = [p for n, p in model.named_parameters() if n.startswith("head") and p.ndim == 2]
        return muon + head, [p for p in adamw if all(p is not h for h in head)]

    def norm_too(model):
        muon, adamw = by_type(model)
        norm = [p for n, m in model.named_modules() if isinstance(m, nn.LayerNorm) for p in m.parameters()]
        return muon + norm, [p for p in adamw if all(p is not q for q in norm)]

    assert "head" in check_muon_split(head_too).hint
    assert "normalization" in check_muon_split(norm_too).hint


# -- Newton-Schulz -----------------------------------------------------------------------------
def ns_right(M, steps=5):
    from torch.optim._muon import _zeropower_via_newtonschulz

    return _zeropower_via_newtonschulz(M, (3.4445, -4.7750, 2.0315), steps, 1e-7)


def ns_variant(**kw):
    from course_utils import newton_schulz

    def fn(M, steps=5):
        coefficients = kw.get("coefficients", (3.4445, -4.7750, 2.0315))
        return newton_schulz(M, coefficients, steps + kw.get("offset", 0), 1e-7,
                             **{k: v for k, v in kw.items() if k not in ("coefficients", "offset")})

    return fn


NS_CASES = [
    (ns_variant(dtype=torch.float64), "compute in bfloat16"),
    (ns_variant(dtype=torch.float32), "compute in bfloat16"),
    (ns_variant(transpose_tall=False), "no transposition"),
    (ns_variant(coefficients=(3.4445, 2.0315, -4.7750)), "swapped"),  # diverges, but not on the tiny matrix
    (ns_variant(coefficients=(1.5, -0.5, 0.0)), "classic cubic"),
    (ns_variant(offset=-1), "too few"),
    (ns_variant(offset=1), "too many"),
    (ns_variant(normalize="none"), "normalize first"),
    (ns_variant(normalize="add"), "tiny norm"),
]


def test_newton_schulz_check_passes_torch_and_names_each_mistake():
    assert check_newton_schulz(ns_right).status == PASS
    hints = set()
    for fn, fragment in NS_CASES:
        result = check_newton_schulz(fn)
        assert result.status == FAIL and fragment in result.hint, (fragment, result)
        assert result.detail and result.detail != result.hint, (fragment, result)
        for formula in ("3.4445", "addmm", "clamp(", "max(", "bfloat16()", " = "):  # the formula waits for the detail
            assert formula not in result.hint, (fragment, formula, result.hint)
        hints.add(result.hint)
    assert len(hints) == len(NS_CASES) - 1  # float64 and float32 share the dtype hint


def test_newton_schulz_check_normalizing_before_the_cast_and_other_failures():
    def cast_late(M, steps=5):
        X = M.T if M.size(0) > M.size(1) else M
        X = (X / X.norm().clamp(min=1e-7)).bfloat16()
        for _ in range(steps):
            A = X @ X.T
            X = torch.addmm(X, torch.addmm(A, A, A, beta=-4.7750, alpha=2.0315), X, beta=3.4445)
        return X.T if M.size(0) > M.size(1) else X

    late = check_newton_schulz(cast_late)
    assert "order of the cast" in late.hint and "then normalize in bfloat16" in late.detail
    assert check_newton_schulz(lambda M, steps=5: M.T).status == FAIL
    both = ns_variant(coefficients=(3.4445, 2.0315, -4.7750), normalize="none")  # on the tiny matrix: no normalization
    assert "normalize first" in check_newton_schulz(both).hint
    overflow = check_newton_schulz(lambda M, steps=5: torch.full_like(M.T if M.size(0) > M.size(1) else M, math.inf)
                                   .bfloat16().reshape(M.shape))  # no known mistake gives inf
    assert overflow.status == FAIL and "blew up" in overflow.hint and "3.4445" in overflow.detail
    assert "3.4445" not in overflow.hint
    assert check_newton_schulz(stub).status == TODO
