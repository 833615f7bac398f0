"""check_optimizer names the mistake: every registered mutant, hand-written wrong students,
students that raise, produce nan or are still stubs; correct implementations pass."""

from __future__ import annotations

import math
from typing import ClassVar

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import course_utils.checks.modern_mistakes  # noqa: F401  (registers notebook 09's references)
import course_utils.optim as ours
from course_utils import OptimizerBase, check_optimizer
from course_utils.checks.mistakes import (
    DEFAULT_CONFIGS,
    KNOWN_MISTAKES,
    Mistake,
    Mutant,
    default_configs,
    implementation_of,
    known_mistakes,
    make_mutant,
    register,
    torch_reference,
)
from course_utils.checks.optimizer import DEFAULT_PROBLEMS, _run

REFERENCES = {
    torch.optim.SGD: ours.SGD,
    torch.optim.Adagrad: ours.Adagrad,
    torch.optim.RMSprop: ours.RMSProp,
    torch.optim.Adam: ours.Adam,
    torch.optim.AdamW: ours.AdamW,
}
CORES = {ref: implementation_of(ref) for ref in REFERENCES}  # the class each mutant turns a knob of
# the classic references' mutants (the modern ones, registered by checks/modern_mistakes.py, need
# their own problems and drivers: tests/test_checks_modern.py runs them through notebook 09's checks)
ALL_MUTANTS = [(ref, m) for ref in REFERENCES for m in KNOWN_MISTAKES[ref]]


def hint_of(mutant: type[Mutant]) -> str:
    return mutant.hint


# --------------------------------------------------------------------------------------------
# The registry itself
# --------------------------------------------------------------------------------------------
def test_registry_is_well_formed():
    assert set(KNOWN_MISTAKES) == set(DEFAULT_CONFIGS) >= set(REFERENCES)  # and notebook 09's
    for ref, mutants in KNOWN_MISTAKES.items():
        assert len(mutants) >= (5 if ref in REFERENCES else 3), ref
        hints = [m.hint for m in mutants]
        assert len(set(hints)) == len(hints), f"two {ref.__name__} mutants share a hint"
        for m in mutants:
            assert issubclass(m, Mutant) and issubclass(m, OptimizerBase)
            assert m.hint and m.mistake, m.__name__


# every registered mistake of every reference: the classic ones (classic_mistakes) and notebook 09's
# (modern_mistakes, imported above with the checks package)
EVERY_MUTANT = [m for mutants in KNOWN_MISTAKES.values() for m in mutants]
FORMULA_FRAGMENTS = ("<-", "sqrt(", "^t", " = ", "1 - ", "(1 -", "max(", "min(", "addmm", "clamp(", "lerp",
                     "prod_", "3.4445", "0.96")


def test_the_hint_test_covers_every_registered_reference():
    assert set(KNOWN_MISTAKES) >= set(REFERENCES) | {torch.optim.NAdam, torch.optim.RAdam, torch.optim.Adafactor,
                                                     torch.optim.Muon}
    assert len(KNOWN_MISTAKES) >= len(REFERENCES) + 6 and set(EVERY_MUTANT) >= {m for _, m in ALL_MUTANTS}


@pytest.mark.parametrize("mutant", EVERY_MUTANT, ids=lambda m: m.__name__)
def test_every_mistake_has_a_concept_hint_and_a_detailed_one(mutant):
    """The first hint names the concept, never the formula; the detail (shown after repeated
    failures) says what the reference does."""
    assert mutant.detail and mutant.detail != mutant.hint, mutant.__name__
    for formula in FORMULA_FRAGMENTS:
        assert formula not in mutant.hint, (mutant.__name__, formula, mutant.hint)


@pytest.mark.parametrize("ref", list(REFERENCES), ids=lambda r: r.__name__)
def test_default_configs_keep_the_reference_finite(ref):
    """Every default configuration runs on torch's optimizer without blowing up, so a mismatch
    is always the student's."""
    for config in DEFAULT_CONFIGS[ref]:
        for prob in DEFAULT_PROBLEMS:
            run = _run(ref, config, prob, 30)
            assert run.error is None and run.broke_at is None, (config, prob.name)


def test_course_classes_map_to_torch():
    for ref, course in REFERENCES.items():
        assert torch_reference(course) is ref
        assert known_mistakes(course) == KNOWN_MISTAKES[ref]
        assert default_configs(course) == DEFAULT_CONFIGS[ref]
    assert torch_reference(ours.GD) is torch.optim.SGD
    assert known_mistakes(torch.optim.LBFGS) == []
    assert default_configs(torch.optim.LBFGS) == [{"lr": 0.01}]


def test_each_update_rule_is_written_once():
    """The mutants are the course's reference classes with knobs turned: one implementation per
    rule, and each mutant changes only the class attributes its Mistake declares."""
    for ref, mutants in KNOWN_MISTAKES.items():
        impl = implementation_of(ref)
        assert impl is REFERENCES.get(ref, impl) and impl is not None, ref
        for m in mutants:
            assert m.__bases__ == (impl, Mutant), m.__name__
            assert m.knobs and all(getattr(m, k) == v != getattr(impl, k) for k, v in m.knobs.items())
            own = set(vars(m)) - {"__module__", "__qualname__", "__doc__", "hint", "detail", "mistake", "knobs",
                                  "step"}  # torch.optim.Optimizer wraps a class's step on first use
            assert own == set(m.knobs), m.__name__


def test_make_mutant_rejects_knobs_that_do_not_fit():
    with pytest.raises(ValueError, match="no knob 'eps_placement'"):
        make_mutant(ours.Adam, Mistake("AdamX", "x", "a hint", {"eps_placement": "inside"}))
    with pytest.raises(ValueError, match="already Adam's rule"):
        make_mutant(ours.Adam, Mistake("AdamX", "x", "a hint", {"eps_rule": "outside_sqrt"}))
    with pytest.raises(ValueError, match="eps_rule must be one of"):
        make_mutant(ours.Adam, Mistake("AdamX", "x", "a hint", {"eps_rule": "inside"}))
    with pytest.raises(ValueError, match="turns no knob"):
        Mistake("AdamX", "x", "a hint", {})
    with pytest.raises(ValueError, match="already registered"):
        register(torch.optim.Adam, ours.Adam, [], [{"lr": 0.01}])


class SignDescent(OptimizerBase):
    """theta <- theta - eta * sign(g): a reference another module registers (and implements)."""

    defaults_ = {"lr": 1e-3}
    sign: ClassVar[float] = 1.0

    def update_param(self, p, grad, state, group):
        p.add_(grad.sign(), alpha=-self.sign * group["lr"])


def test_another_module_can_register_a_reference_and_its_mistakes(monkeypatch):
    import course_utils.checks.mistakes as registry

    for name in ("KNOWN_MISTAKES", "DEFAULT_CONFIGS", "_IMPLEMENTATIONS", "_ALIASES"):
        monkeypatch.setattr(registry, name, dict(getattr(registry, name)))
    wrong = Mistake("SignDescentWrongSign", "wrong sign", "theta <- theta - eta * sign(g).", {"sign": -1.0})
    (mutant,) = registry.register(SignDescent, SignDescent, [wrong], [{"lr": 0.01}, {"lr": 0.1}])
    assert mutant.__name__ == "SignDescentWrongSign" and mutant.sign == -1.0
    assert registry.known_mistakes(SignDescent) == [mutant]
    assert registry.default_configs(SignDescent) == [{"lr": 0.01}, {"lr": 0.1}]
    assert check_optimizer(SignDescent, SignDescent).passed
    result = check_optimizer(mutant, SignDescent)
    assert result.status == "FAIL" and result.hint == wrong.hint
    with pytest.raises(ValueError, match="used twice"):
        registry.register(torch.optim.Adamax, SignDescent, [wrong], [{"lr": 0.01}])


# --------------------------------------------------------------------------------------------
# Correct implementations pass
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("ref", list(REFERENCES), ids=lambda r: r.__name__)
def test_course_references_pass_with_default_configs(ref):
    result = check_optimizer(REFERENCES[ref], ref)
    assert result.passed, result
    assert f"{len(DEFAULT_CONFIGS[ref])} configurations" in result.message


@pytest.mark.parametrize("ref", list(CORES), ids=lambda r: r.__name__)
def test_mutant_cores_without_a_mistake_equal_torch(ref):
    """Each mutant turns one knob of its core (the course's reference class); with no knob
    turned it is torch's rule."""
    result = check_optimizer(CORES[ref], ref)
    assert result.passed, result


# --------------------------------------------------------------------------------------------
# Every registered mistake is caught and named
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("ref,mutant", ALL_MUTANTS, ids=lambda x: getattr(x, "__name__", str(x)))
def test_every_mutant_is_caught_with_its_hint(ref, mutant):
    result = check_optimizer(mutant, ref)
    assert not result.passed
    assert result.status in ("FAIL", "ERROR")
    assert result.hint == mutant.hint, (result.message, result.hint)
    assert "step" in result.message


def test_mutants_are_named_when_the_reference_is_a_course_class():
    result = check_optimizer(KNOWN_MISTAKES[torch.optim.Adam][1], ours.Adam)
    assert result.hint == KNOWN_MISTAKES[torch.optim.Adam][1].hint


# --------------------------------------------------------------------------------------------
# Hand-written students (not from the registry): written the way a student writes them
# --------------------------------------------------------------------------------------------
class StudentAdam(OptimizerBase):
    """A correct Adam, written with m_hat and v_hat as in Kingma & Ba's algorithm 1."""

    defaults_ = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False}

    def init_state(self, p, state, group):
        state["m"] = torch.zeros_like(p)
        state["v"] = torch.zeros_like(p)
        state["vmax"] = torch.zeros_like(p)

    def direction(self, p, grad, state, group):
        b1, b2 = group["betas"]
        t = state["step"]
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * p
        state["m"] = b1 * state["m"] + (1 - b1) * grad
        state["v"] = b2 * state["v"] + (1 - b2) * grad * grad
        v = state["v"]
        if group["amsgrad"]:
            state["vmax"] = torch.maximum(state["vmax"], v)
            v = state["vmax"]
        m_hat = state["m"] / (1 - b1**t)
        v_hat = v / (1 - b2**t)
        return m_hat, v_hat

    def update_param(self, p, grad, state, group):
        m_hat, v_hat = self.direction(p, grad, state, group)
        p -= group["lr"] * m_hat / (torch.sqrt(v_hat) + group["eps"])


class StudentAdamEpsInside(StudentAdam):
    def update_param(self, p, grad, state, group):
        m_hat, v_hat = self.direction(p, grad, state, group)
        p -= group["lr"] * m_hat / torch.sqrt(v_hat + group["eps"])


class StudentAdamNoCorrection(StudentAdam):
    def update_param(self, p, grad, state, group):
        b1, b2 = group["betas"]
        state["m"] = b1 * state["m"] + (1 - b1) * grad
        state["v"] = b2 * state["v"] + (1 - b2) * grad**2
        p -= group["lr"] * state["m"] / (state["v"].sqrt() + group["eps"])


class StudentAdamOwnCounter(StudentAdam):
    """Keeps its own step counter, starting at 0 and incremented after use: 1 - beta^0 = 0."""

    def update_param(self, p, grad, state, group):
        b1, b2 = group["betas"]
        k = state.setdefault("k", 0)
        state["m"] = b1 * state["m"] + (1 - b1) * grad
        state["v"] = b2 * state["v"] + (1 - b2) * grad**2
        m_hat = state["m"] / (1 - b1**k)
        v_hat = state["v"] / (1 - b2**k)
        state["k"] = k + 1
        p -= group["lr"] * m_hat / (v_hat.sqrt() + group["eps"])


class StudentAdamDecoupled(StudentAdam):
    def update_param(self, p, grad, state, group):
        wd, group_wd = group["weight_decay"], dict(group)
        group_wd["weight_decay"] = 0.0
        p.mul_(1 - group["lr"] * wd)
        m_hat, v_hat = self.direction(p, grad, state, group_wd)
        p -= group["lr"] * m_hat / (torch.sqrt(v_hat) + group["eps"])


class StudentAdamW(StudentAdam):
    defaults_ = {**StudentAdam.defaults_, "weight_decay": 1e-2}

    def update_param(self, p, grad, state, group):
        p.mul_(1 - group["lr"] * group["weight_decay"])
        self.adam_step(p, grad, state, group)

    def adam_step(self, p, grad, state, group):
        no_decay = {**group, "weight_decay": 0.0}
        m_hat, v_hat = self.direction(p, grad, state, no_decay)
        p -= group["lr"] * m_hat / (torch.sqrt(v_hat) + group["eps"])


class StudentAdamWDecayAfter(StudentAdamW):
    def update_param(self, p, grad, state, group):
        self.adam_step(p, grad, state, group)
        p.mul_(1 - group["lr"] * group["weight_decay"])


class StudentAdamWDecayInGradient(StudentAdamW):
    def update_param(self, p, grad, state, group):
        m_hat, v_hat = self.direction(p, grad, state, group)  # direction() adds lambda * theta to g
        p -= group["lr"] * m_hat / (torch.sqrt(v_hat) + group["eps"])


class StudentAdagrad(OptimizerBase):
    defaults_ = {"lr": 1e-2, "lr_decay": 0.0, "weight_decay": 0.0, "initial_accumulator_value": 0.0,
                 "eps": 1e-10}

    def init_state(self, p, state, group):
        state["s"] = torch.full_like(p, group["initial_accumulator_value"])

    def update_param(self, p, grad, state, group):
        t = state["step"]
        g = grad + group["weight_decay"] * p
        state["s"] += g * g
        lr_t = group["lr"] / (1 + (t - 1) * group["lr_decay"])
        p -= lr_t * g / (state["s"].sqrt() + group["eps"])


class StudentAdagradEpsInside(StudentAdagrad):
    def update_param(self, p, grad, state, group):
        t = state["step"]
        g = grad + group["weight_decay"] * p
        state["s"] += g * g
        p -= group["lr"] / (1 + (t - 1) * group["lr_decay"]) * g / torch.sqrt(state["s"] + group["eps"])


class StudentAdagradLrDecayFromT(StudentAdagrad):
    def update_param(self, p, grad, state, group):
        t = state["step"]
        g = grad + group["weight_decay"] * p
        state["s"] += g * g
        p -= group["lr"] / (1 + t * group["lr_decay"]) * g / (state["s"].sqrt() + group["eps"])


class StudentRMSProp(OptimizerBase):
    defaults_ = {"lr": 1e-2, "alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0, "momentum": 0.0,
                 "centered": False}

    def init_state(self, p, state, group):
        state["v"], state["gbar"], state["b"] = (torch.zeros_like(p) for _ in range(3))

    def denominator(self, grad, state, group):
        a = group["alpha"]
        state["v"] = a * state["v"] + (1 - a) * grad**2
        var = state["v"]
        if group["centered"]:
            state["gbar"] = a * state["gbar"] + (1 - a) * grad
            var = var - state["gbar"] ** 2
        return torch.sqrt(var) + group["eps"]

    def update_param(self, p, grad, state, group):
        grad = grad + group["weight_decay"] * p
        d = grad / self.denominator(grad, state, group)
        if group["momentum"] > 0:
            state["b"] = group["momentum"] * state["b"] + d
            d = state["b"]
        p -= group["lr"] * d


class StudentRMSPropBiasCorrected(StudentRMSProp):
    def update_param(self, p, grad, state, group):
        a, t = group["alpha"], state["step"]
        state["v"] = a * state["v"] + (1 - a) * grad**2
        p -= group["lr"] * grad / (torch.sqrt(state["v"] / (1 - a**t)) + group["eps"])


class StudentRMSPropEwmaMomentum(StudentRMSProp):
    def update_param(self, p, grad, state, group):
        grad = grad + group["weight_decay"] * p
        d = grad / self.denominator(grad, state, group)
        if group["momentum"] > 0:
            mu = group["momentum"]
            state["b"] = mu * state["b"] + (1 - mu) * d
            d = state["b"]
        p -= group["lr"] * d


class StudentSGDZeroBuffer(OptimizerBase):
    """Starts the momentum buffer at 0 and always dampens: b_1 = (1 - dampening) g_1."""

    defaults_ = {"lr": 1e-3, "momentum": 0.0, "dampening": 0.0, "weight_decay": 0.0, "nesterov": False}

    def update_param(self, p, grad, state, group):
        g = grad + group["weight_decay"] * p
        b = state.get("b", torch.zeros_like(p))
        state["b"] = group["momentum"] * b + (1 - group["dampening"]) * g
        d = g + group["momentum"] * state["b"] if group["nesterov"] else state["b"]
        if group["momentum"] == 0:
            d = g
        p -= group["lr"] * d


@pytest.mark.parametrize(
    "student,reference,mutant",
    [
        (StudentAdamEpsInside, torch.optim.Adam, "AdamEpsInsideSqrt"),
        (StudentAdamNoCorrection, torch.optim.Adam, "AdamNoBiasCorrection"),
        (StudentAdamDecoupled, torch.optim.Adam, "AdamDecayDecoupled"),
        (StudentAdamWDecayAfter, torch.optim.AdamW, "AdamWDecayAfterUpdate"),
        (StudentAdamWDecayInGradient, torch.optim.AdamW, "AdamWDecayInGradient"),
        (StudentAdagradEpsInside, torch.optim.Adagrad, "AdagradEpsInsideSqrt"),
        (StudentAdagradLrDecayFromT, torch.optim.Adagrad, "AdagradLrDecayOffByOne"),
        (StudentRMSPropBiasCorrected, torch.optim.RMSprop, "RMSPropBiasCorrected"),
        (StudentRMSPropEwmaMomentum, torch.optim.RMSprop, "RMSPropMomentumEwma"),
        (StudentSGDZeroBuffer, torch.optim.SGD, "SGDFirstBufferDampened"),
    ],
    ids=lambda x: getattr(x, "__name__", str(x)),
)
def test_hand_written_mistakes_are_named(student, reference, mutant):
    expected = next(m for m in KNOWN_MISTAKES[reference] if m.__name__ == mutant)
    result = check_optimizer(student, reference)
    assert result.status == "FAIL", result
    assert result.hint == expected.hint, (result.message, result.hint)


@pytest.mark.parametrize(
    "student,reference",
    [(StudentAdam, torch.optim.Adam), (StudentAdamW, torch.optim.AdamW), (StudentAdagrad, torch.optim.Adagrad),
     (StudentRMSProp, torch.optim.RMSprop)],
    ids=lambda x: getattr(x, "__name__", str(x)),
)
def test_hand_written_correct_students_pass(student, reference):
    """Written differently from torch (m_hat, v_hat, out-of-place ops): rounding differs, the check passes."""
    result = check_optimizer(student, reference)
    assert result.passed, result


def test_a_division_by_zero_from_counting_t_from_0_is_a_nan_with_its_hint():
    result = check_optimizer(StudentAdamOwnCounter, torch.optim.Adam)
    assert result.status == "FAIL"
    assert "nan/inf at step 1" in result.message
    t_from_0 = next(m for m in KNOWN_MISTAKES[torch.optim.Adam] if m.__name__ == "AdamBiasCorrectionTFrom0")
    assert result.hint == t_from_0.hint


# --------------------------------------------------------------------------------------------
# Students that raise, produce nan, are still stubs, or never move
# --------------------------------------------------------------------------------------------
class Raises(OptimizerBase):
    defaults_ = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8}

    def update_param(self, p, grad, state, group):
        state["m"] = state["m"] * group["betas"][0]  # KeyError: the buffer was never created


class RaisesLater(OptimizerBase):
    defaults_ = {"lr": 1e-2}

    def update_param(self, p, grad, state, group):
        if state["step"] == 3:
            raise ZeroDivisionError("oops at three")
        p.add_(grad, alpha=-group["lr"])


class MakesNan(OptimizerBase):
    defaults_ = {"lr": 1e-2, "alpha": 0.99, "eps": 1e-8}

    def update_param(self, p, grad, state, group):
        p -= group["lr"] * grad / (grad - grad)  # 0/0 for every component


class Stub(OptimizerBase):
    defaults_ = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8}

    def update_param(self, p, grad, state, group):
        raise NotImplementedError


class InitStub(OptimizerBase):
    defaults_ = {"lr": 1e-3}

    def init_state(self, p, state, group):
        raise NotImplementedError

    def update_param(self, p, grad, state, group):
        p.add_(grad, alpha=-group["lr"])


class BadConstructor(OptimizerBase):
    def __init__(self, params, learning_rate=0.1):  # wrong name: lr is what the check passes
        super().__init__(params, lr=learning_rate)


class Rebinds(OptimizerBase):
    defaults_ = {"lr": 1e-3}

    def update_param(self, p, grad, state, group):
        p = p - group["lr"] * grad  # noqa: F841  (rebinds the local name; the parameter never moves)


class TwiceTheStep(OptimizerBase):
    defaults_ = {"lr": 1e-3}

    def update_param(self, p, grad, state, group):
        p.add_(grad, alpha=-2 * group["lr"])


def test_a_raising_student_is_an_error_not_a_crash():
    result = check_optimizer(Raises, torch.optim.Adam)
    assert result.status == "ERROR"
    assert "KeyError" in result.message and "step 1" in result.message
    assert "1 - beta^0" not in result.hint  # an unrelated error is not blamed on the t-from-0 mistake
    assert "init_state" in result.hint


def test_the_step_that_raised_is_named():
    result = check_optimizer(RaisesLater, torch.optim.SGD, [{"lr": 1e-3}])
    assert result.status == "ERROR"
    assert "step 3" in result.message and "ZeroDivisionError" in result.message and "oops" in result.message


def test_a_constructor_that_rejects_the_config_is_an_error():
    result = check_optimizer(BadConstructor, torch.optim.SGD, [{"lr": 1e-3}])
    assert result.status == "ERROR" and "creating your optimizer" in result.message
    assert "defaults_" in result.hint


def test_nan_is_reported_as_nan():
    result = check_optimizer(MakesNan, torch.optim.RMSprop)
    assert result.status == "FAIL"
    assert "nan/inf at step 1" in result.message and result.hint


@pytest.mark.parametrize("stub", [Stub, InitStub])
def test_a_stub_is_not_implemented_yet(stub):
    result = check_optimizer(stub, torch.optim.Adam)
    assert result.status == "NOT IMPLEMENTED YET"
    assert "not implemented yet" in repr(result)


def test_a_parameter_that_never_moves_gets_the_in_place_hint():
    result = check_optimizer(Rebinds, torch.optim.SGD)
    assert result.status == "FAIL" and "in place" in result.hint


def test_a_step_off_by_a_constant_factor_is_named():
    result = check_optimizer(TwiceTheStep, torch.optim.SGD)
    assert result.status == "FAIL" and "2 times torch's" in result.hint


def test_a_default_that_differs_from_torch_is_named():
    class WrongDefaultEps(StudentAdagrad):
        defaults_ = {**StudentAdagrad.defaults_, "eps": 1e-8}

    result = check_optimizer(WrongDefaultEps, torch.optim.Adagrad)
    assert result.status == "FAIL" and "eps" in result.hint and "1e-10" in result.hint


def test_betas_declared_as_a_list_are_not_blamed_as_a_wrong_default():
    class ListBetas(StudentAdamEpsInside):
        defaults_ = {**StudentAdam.defaults_, "betas": [0.9, 0.999]}

    result = check_optimizer(ListBetas, torch.optim.Adam, mistakes=())
    assert result.status == "FAIL" and "betas" not in result.hint


def test_only_declared_options_run_and_the_pass_says_what_was_skipped():
    class AdamNoExtras(StudentAdam):
        defaults_ = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8}

        def update_param(self, p, grad, state, group):
            m_hat, v_hat = self.direction(p, grad, state, {**group, "weight_decay": 0.0, "amsgrad": False})
            p -= group["lr"] * m_hat / (torch.sqrt(v_hat) + group["eps"])

    result = check_optimizer(AdamNoExtras, torch.optim.Adam)
    assert result.passed, result
    assert "2 configurations" in result.message
    assert "amsgrad" in result.message and "weight_decay" in result.message


def test_explicit_mistakes_override_the_registry():
    wrong = KNOWN_MISTAKES[torch.optim.Adam][0]
    assert check_optimizer(wrong, torch.optim.Adam, mistakes=[("custom hint", wrong)]).hint == "custom hint"
    plain = check_optimizer(wrong, torch.optim.Adam, mistakes=())
    assert plain.status == "FAIL" and plain.hint != wrong.hint


def test_a_mutant_identical_to_torch_in_a_config_is_not_blamed():
    """The dampening mutant equals torch when dampening = 0: it must not name a wrong sign there."""
    sgd_mutants = KNOWN_MISTAKES[torch.optim.SGD]
    damp = next(m for m in sgd_mutants if m.__name__ == "SGDFirstBufferDampened")
    assert check_optimizer(damp, torch.optim.SGD, [{"lr": 1e-3, "momentum": 0.9}]).passed


# --------------------------------------------------------------------------------------------
# Properties over random configurations
# --------------------------------------------------------------------------------------------
FAST_PROBLEMS = [DEFAULT_PROBLEMS[0], DEFAULT_PROBLEMS[3]]  # Rosenbrock and the tiny-scale network

adam_configs = st.fixed_dictionaries({
    "lr": st.floats(1e-4, 0.05),
    "betas": st.tuples(st.floats(0.0, 0.95), st.floats(0.9, 0.9999)),
    "eps": st.sampled_from([1e-8, 1e-6, 1e-3]),
    "weight_decay": st.floats(0.0, 0.5),
    "amsgrad": st.booleans(),
})
rmsprop_configs = st.fixed_dictionaries({
    "lr": st.floats(1e-4, 0.02),
    "alpha": st.floats(0.5, 0.999),
    "eps": st.sampled_from([1e-8, 1e-6]),
    "weight_decay": st.floats(0.0, 0.5),
    "momentum": st.sampled_from([0.0, 0.5, 0.9]),
    "centered": st.booleans(),
})
quick = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@quick
@given(adam_configs)
def test_property_correct_adam_and_adamw_pass_any_config(config):
    for course, ref in ((ours.Adam, torch.optim.Adam), (ours.AdamW, torch.optim.AdamW),
                        (StudentAdam, torch.optim.Adam)):
        result = check_optimizer(course, ref, [config], steps=15, problems=FAST_PROBLEMS)
        assert result.passed, (course.__name__, result)


@quick
@given(rmsprop_configs)
def test_property_correct_rmsprop_passes_any_config(config):
    for cls in (ours.RMSProp, StudentRMSProp):
        result = check_optimizer(cls, torch.optim.RMSprop, [config], steps=15, problems=FAST_PROBLEMS)
        assert result.passed, result


@quick
@given(adam_configs)
def test_property_a_wrong_sign_is_always_caught_and_named(config):
    mutant = next(m for m in KNOWN_MISTAKES[torch.optim.Adam] if m.__name__ == "AdamWrongSign")
    result = check_optimizer(mutant, torch.optim.Adam, [config], steps=15, problems=FAST_PROBLEMS)
    assert result.status == "FAIL" and result.hint == mutant.hint


@quick
@given(adam_configs.filter(lambda c: c["weight_decay"] > 0.01))
def test_property_adam_l2_versus_decoupled_is_always_told_apart(config):
    decoupled = next(m for m in KNOWN_MISTAKES[torch.optim.Adam] if m.__name__ == "AdamDecayDecoupled")
    in_grad = next(m for m in KNOWN_MISTAKES[torch.optim.AdamW] if m.__name__ == "AdamWDecayInGradient")
    r1 = check_optimizer(decoupled, torch.optim.Adam, [config], steps=15, problems=FAST_PROBLEMS)
    r2 = check_optimizer(in_grad, torch.optim.AdamW, [config], steps=15, problems=FAST_PROBLEMS)
    assert r1.status == "FAIL" and r1.hint == decoupled.hint
    assert r2.status == "FAIL" and r2.hint == in_grad.hint


@quick
@given(st.floats(1e-6, 1e-2))
def test_property_eps_inside_the_root_shows_on_the_tiny_scale_problem(eps):
    """With gradients ~1e-8, sqrt(v + eps) and sqrt(v) + eps differ by orders of magnitude for any
    eps >= 1e-6, so the mistake is always caught there (and named)."""
    mutant = next(m for m in KNOWN_MISTAKES[torch.optim.RMSprop] if m.__name__ == "RMSPropEpsInsideSqrt")
    result = check_optimizer(mutant, torch.optim.RMSprop, [{"lr": 0.01, "eps": eps}], steps=5,
                             problems=[DEFAULT_PROBLEMS[3]])
    assert result.status == "FAIL" and result.hint == mutant.hint
    assert math.isfinite(float(result.message.split("= ")[-1].rstrip(")")))


def test_reference_and_mistake_runs_are_computed_once_and_a_students_every_time(monkeypatch):
    """The torch reference's and the registered mistakes' runs are cached per process; the
    student's class runs on every check (the student edits it between tries)."""
    import course_utils.checks.optimizer as grader

    calls: list[object] = []

    def counting(cls, config, problem, steps):
        calls.append(cls)
        return _run(cls, config, problem, steps)

    monkeypatch.setattr(grader, "_run", counting)
    monkeypatch.setattr(grader, "_KNOWN_RUNS", {})

    class Student(torch.optim.SGD):
        pass

    class Wrong(torch.optim.SGD):  # lr doubled: a "mistake" whose path the check compares with
        def __init__(self, params, lr=0.01):
            super().__init__(params, lr=2 * lr)

    configs = [{"lr": 0.01}]
    for _ in range(3):
        assert check_optimizer(Student, torch.optim.SGD, configs, mistakes=[("doubled", Wrong)])
        assert not check_optimizer(Wrong, torch.optim.SGD, configs, mistakes=[("doubled", Wrong)])
    n = len(DEFAULT_PROBLEMS)
    assert calls.count(Student) == 3 * n  # every time
    assert calls.count(torch.optim.SGD) == n  # once per problem
    assert calls.count(Wrong) == 3 * 1 + 1  # as the student: each failing check; as the mistake: once
