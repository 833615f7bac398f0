"""Exercise checkers. Each returns a `CheckResult`: a notebook cell that ends with a check shows
PASS, or FAIL with what went wrong and a hint. A solution that is still a stub
(``raise NotImplementedError``) is reported as "not implemented yet", never as a crash.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from .averages import ewma, ewma_weights
from .landscapes import Landscape, pathological, quadratic, rosenbrock

__all__ = [
    "CheckResult",
    "check_optimizer",
    "check_trajectory_logger",
    "check_critical_lr",
    "check_ewma",
    "check_ewma_weights",
    "check_bias_steps",
    "check_value",
    "check_accumulation",
    "check_loader",
    "check_minibatch_variance",
    "minibatch_gradient_variance",
]

PASS, FAIL, TODO, ERROR = "PASS", "FAIL", "NOT IMPLEMENTED YET", "ERROR"


@dataclass
class CheckResult:
    """The verdict of a check. ``bool(result)`` is True only for a pass."""

    status: str
    title: str
    message: str = ""
    hint: str = ""

    @property
    def passed(self) -> bool:
        return self.status == PASS

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        mark = {PASS: "[PASS]", FAIL: "[FAIL]", TODO: "[TODO]", ERROR: "[ERROR]"}[self.status]
        lines = [f"{mark} {self.title}"]
        if self.status == TODO:
            lines.append("  not implemented yet: write your solution in the cell above, run it, then this one.")
        if self.message:
            lines.append(f"  {self.message}")
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)

    __str__ = __repr__


def _guard(title: str, fn: Callable[[], CheckResult]) -> CheckResult:
    """Run a check body; turn a stub or a crash in the student's code into a readable result."""
    try:
        return fn()
    except NotImplementedError:
        return CheckResult(TODO, title)
    except Exception as exc:  # the student's code raised: report it, do not crash the notebook
        return CheckResult(ERROR, title, f"your code raised {type(exc).__name__}: {exc}")


def _fmt(x: float) -> str:
    return f"{x:.6g}"


# --------------------------------------------------------------------------------------------
# Scalar answers
# --------------------------------------------------------------------------------------------
def check_value(
    title: str, answer: Any, expected: float, *, rtol: float = 1e-3, atol: float = 0.0,
    hints: Sequence[tuple[float, str]] = (), default_hint: str = "",
) -> CheckResult:
    """Compare a numeric ``answer`` with ``expected``; ``hints`` map known wrong values to a hint."""

    def body() -> CheckResult:
        if answer is None or answer is Ellipsis:
            raise NotImplementedError
        value = float(answer)
        if math.isclose(value, expected, rel_tol=rtol, abs_tol=atol):
            return CheckResult(PASS, title, f"{_fmt(value)} is right.")
        for wrong, hint in hints:
            if math.isclose(value, wrong, rel_tol=rtol, abs_tol=atol):
                return CheckResult(FAIL, title, f"{_fmt(value)} is not the answer.", hint)
        return CheckResult(FAIL, title, f"{_fmt(value)} is not the answer.", default_hint)

    return _guard(title, body)


def check_critical_lr(answer: Any, eigenvalues: Sequence[float]) -> CheckResult:
    """The largest learning rate for which GD does not diverge on a quadratic: 2 / lambda_max."""
    lam = [float(e) for e in eigenvalues]
    lmax, lmin = max(lam), min(lam)
    return check_value(
        "critical learning rate 2 / lambda_max",
        answer,
        2.0 / lmax,
        hints=[
            (1.0 / lmax, "1/lambda_max is the rate that solves the steepest direction in one step; "
                         "divergence starts where |1 - eta*lambda| exceeds 1."),
            (2.0 / lmin, "the flattest direction is not the one that blows up: the steepest one is."),
            (1.0 / lmin, "look at the largest eigenvalue, and at where |1 - eta*lambda| = 1."),
        ],
        default_hint="GD multiplies the error along eigenvector i by (1 - eta*lambda_i) at every step.",
    )


def check_bias_steps(answer: Any, beta: float, tolerance: float = 0.01) -> CheckResult:
    """The first t at which the start-up bias factor beta^t drops below ``tolerance``."""
    expected = math.floor(math.log(tolerance) / math.log(beta)) + 1  # the first t with beta^t < tol
    return check_value(
        f"steps until beta^t < {tolerance:g} for beta = {beta:g}",
        answer,
        expected,
        rtol=0.0,
        atol=0.5,
        hints=[
            (1 / (1 - beta), "1/(1-beta) is the effective window, not the time the bias takes to fade."),
            (expected - 1, "one step short: at that t, beta^t is still above the tolerance."),
        ],
        default_hint="the uncorrected average is too small by the factor 1 - beta^t; solve beta^t < tolerance.",
    )


# --------------------------------------------------------------------------------------------
# EWMA (notebook 01)
# --------------------------------------------------------------------------------------------
def check_ewma(student_fn: Callable[..., Any]) -> CheckResult:
    """``student_fn(x, beta, bias_correction)`` must equal v_t (or v_t / (1 - beta^t)) for t = 1..T."""
    title = "ewma(x, beta, bias_correction)"

    def body() -> CheckResult:
        gen = torch.Generator().manual_seed(1)
        x = 3.0 + torch.randn(40, generator=gen, dtype=torch.float64)
        for beta in (0.5, 0.9, 0.98):
            for corrected in (False, True):
                got = torch.as_tensor(student_fn(x.clone(), beta, corrected), dtype=torch.float64)
                want = ewma(x, beta, corrected)
                case = f"beta={beta}, bias_correction={corrected}"
                if got.shape != want.shape:
                    return CheckResult(FAIL, title, f"{case}: expected shape {tuple(want.shape)}, "
                                       f"got {tuple(got.shape)}", "return one average per input value.")
                if torch.allclose(got, want, rtol=1e-9, atol=1e-9):
                    continue
                t = int((~torch.isclose(got, want, rtol=1e-9, atol=1e-9)).nonzero()[0]) + 1
                msg = f"{case}: first wrong at t = {t}: got {_fmt(got[t - 1])}, expected {_fmt(want[t - 1])}"
                if corrected and torch.allclose(got, ewma(x, beta, False)):
                    hint = "the bias correction is missing: divide v_t by 1 - beta^t."
                elif corrected and not bool(torch.isfinite(got[0])):
                    hint = "t counts from 1: the first corrected value is v_1 / (1 - beta^1) = x_1, not v_1 / 0."
                elif corrected and torch.allclose(got, _ewma_exponent_shift(x, beta, +1)):
                    hint = "an off-by-one in the exponent: use 1 - beta^t with t = 1 for the first value."
                elif torch.allclose(got, _ewma_started_at_first(x, beta, corrected)):
                    hint = "start from v_0 = 0, not from v_1 = x_1; the bias (and its correction) come from v_0 = 0."
                elif torch.allclose(got, _ewma_swapped(x, beta, corrected)):
                    hint = "beta multiplies the old average and (1 - beta) the new value, not the other way round."
                else:
                    hint = "v_t = beta * v_{t-1} + (1 - beta) * x_t, starting from v_0 = 0."
                return CheckResult(FAIL, title, msg, hint)
        return CheckResult(PASS, title, "matches the reference for beta in {0.5, 0.9, 0.98}, with and without correction.")

    return _guard(title, body)


def _ewma_started_at_first(x: torch.Tensor, beta: float, corrected: bool) -> torch.Tensor:
    out, v = torch.empty_like(x), x[0]
    for t in range(1, len(x) + 1):
        v = x[0] if t == 1 else beta * v + (1 - beta) * x[t - 1]
        out[t - 1] = v / (1 - beta**t) if corrected else v
    return out


def _ewma_exponent_shift(x: torch.Tensor, beta: float, shift: int) -> torch.Tensor:
    t = torch.arange(1, len(x) + 1, dtype=x.dtype)
    return ewma(x, beta, False) / (1 - beta ** (t + shift))


def _ewma_swapped(x: torch.Tensor, beta: float, corrected: bool) -> torch.Tensor:
    out, v = torch.empty_like(x), torch.zeros_like(x[0])
    for t in range(1, len(x) + 1):
        v = (1 - beta) * v + beta * x[t - 1]
        out[t - 1] = v / (1 - (1 - beta) ** t) if corrected else v
    return out


def check_ewma_weights(student_fn: Callable[[int, float], Any]) -> CheckResult:
    """``student_fn(t, beta)`` must return the weights of x_1..x_t in v_t: (1 - beta) beta^(t - k)."""
    title = "ewma_weights(t, beta)"

    def body() -> CheckResult:
        for t, beta in ((1, 0.9), (5, 0.5), (30, 0.9), (100, 0.99)):
            got = torch.as_tensor(student_fn(t, beta), dtype=torch.float64).flatten()
            want = ewma_weights(t, beta)
            if got.shape != want.shape:
                return CheckResult(FAIL, title, f"t={t}: expected {t} weights, got {got.numel()}",
                                   "one weight per value x_1, ..., x_t.")
            if torch.allclose(got, want, rtol=1e-9, atol=1e-12):
                continue
            if torch.allclose(got, want.flip(0), rtol=1e-9, atol=1e-12):
                hint = "the order is reversed: the newest value x_t gets the largest weight, 1 - beta."
            elif torch.allclose(got, want / want.sum(), rtol=1e-9, atol=1e-12):
                hint = "these are the bias-corrected weights (they sum to 1); the raw ones sum to 1 - beta^t."
            elif torch.allclose(got, want / (1 - beta), rtol=1e-9, atol=1e-12):
                hint = "each weight carries a factor (1 - beta)."
            else:
                hint = "unroll v_t = beta v_{t-1} + (1 - beta) x_t down to v_0 = 0."
            return CheckResult(FAIL, title, f"wrong weights for t={t}, beta={beta}", hint)
        return CheckResult(PASS, title, "right, and they sum to 1 - beta^t.")

    return _guard(title, body)


# --------------------------------------------------------------------------------------------
# Trajectory logging (notebook 00's spot-the-bug)
# --------------------------------------------------------------------------------------------
def check_trajectory_logger(student_fn: Callable[..., Any]) -> CheckResult:
    """``student_fn(landscape, optimizer_cls, start, steps, **hyperparams)`` returns
    ``(positions, losses)`` with ``losses[k] == landscape(*positions[k])`` for k = 0..steps."""
    title = "trajectory logger"

    def body() -> CheckResult:
        from .optim import GD

        land = quadratic((1.0, 4.0))
        steps = 12
        positions, losses = student_fn(land, GD, [1.5, -1.0], steps, lr=0.2)
        positions = np.asarray(torch.as_tensor(np.asarray(positions, dtype=float)))[:, :2]
        losses = np.asarray(losses, dtype=float).reshape(-1)
        if len(positions) != steps + 1 or len(losses) != steps + 1:
            return CheckResult(FAIL, title, f"expected {steps + 1} points and losses (start + {steps} steps), "
                               f"got {len(positions)} and {len(losses)}", "record the start point too.")
        truth = land(torch.as_tensor(positions[:, 0]), torch.as_tensor(positions[:, 1])).numpy()
        if np.allclose(losses, truth, rtol=1e-6, atol=1e-9):
            return CheckResult(PASS, title, "every loss is the loss at its own point.")
        if np.allclose(losses[1:], truth[:-1], rtol=1e-6, atol=1e-9):
            return CheckResult(FAIL, title, "each loss belongs to the point before it.",
                               "the loss returned by the step was computed *before* the update; "
                               "evaluate the loss at the new point after optimizer.step().")
        k = int(np.argmax(~np.isclose(losses, truth, rtol=1e-6, atol=1e-9)))
        return CheckResult(FAIL, title, f"losses[{k}] = {_fmt(losses[k])} but the loss at positions[{k}] is {_fmt(truth[k])}",
                           "losses[k] must be f(positions[k]).")

    return _guard(title, body)


# --------------------------------------------------------------------------------------------
# Optimizers
# --------------------------------------------------------------------------------------------
@dataclass
class _Problem:
    name: str
    make: Callable[[], tuple[list[torch.Tensor], Callable[[list[torch.Tensor]], torch.Tensor]]]


def _landscape_problem(land: Landscape, start: Sequence[float], scale: float = 1.0) -> _Problem:
    def make():
        w = torch.tensor(list(start), dtype=torch.float64, requires_grad=True)
        return [w], lambda ps: scale * land(ps[0][0], ps[0][1])

    suffix = f" x {scale:g}" if scale != 1.0 else ""
    return _Problem(f"{land.name} from {tuple(start)}{suffix}", make)


def _regression_problem(scale: float = 1.0) -> _Problem:
    def make():
        gen = torch.Generator().manual_seed(0)
        X = torch.randn(32, 3, generator=gen, dtype=torch.float64)
        y = torch.randn(32, 1, generator=gen, dtype=torch.float64)
        W1 = torch.randn(3, 4, generator=gen, dtype=torch.float64).requires_grad_()
        b1 = torch.zeros(4, dtype=torch.float64).requires_grad_()
        W2 = torch.randn(4, 1, generator=gen, dtype=torch.float64).requires_grad_()

        def loss(ps):
            W1, b1, W2 = ps
            return scale * ((torch.tanh(X @ W1 + b1) @ W2 - y) ** 2).mean()

        return [W1, b1, W2], loss

    return _Problem("a small tanh network" + (f" x {scale:g}" if scale != 1.0 else ""), make)


DEFAULT_PROBLEMS = [
    _landscape_problem(rosenbrock(), (-1.0, 1.5)),
    _landscape_problem(pathological, (-2.0, 3.0)),
    _regression_problem(),
    _regression_problem(scale=1e-8),  # tiny gradients: the placement of eps shows here
]


@dataclass
class _Run:
    """One run: ``steps + 1`` points (nan from the step that raised); where it broke, and why."""

    path: list[np.ndarray]
    broke_at: int | None = None  # the first step whose point is not finite (or that raised)
    error: BaseException | None = None  # what the constructor (step 0) or a step raised


def _run(opt_cls: Any, config: dict[str, Any], problem: _Problem, steps: int) -> _Run:
    """Run ``opt_cls(params, **config)`` for ``steps`` steps; a raised error (except a stub's
    ``NotImplementedError``, which propagates) ends the run and fills the rest with nan."""
    params, loss_fn = problem.make()

    def flat() -> np.ndarray:
        return torch.cat([p.detach().flatten() for p in params]).numpy().copy()

    path = [flat()]
    opt = None
    try:
        opt = opt_cls(params, **config)
        for _ in range(steps):
            opt.zero_grad()
            loss = loss_fn(params)
            loss.backward()
            opt.step()
            path.append(flat())
    except NotImplementedError:
        raise
    except Exception as exc:  # the student's code raised: keep the step, report it later
        at = len(path) if opt is not None else 0  # step t raised with t points recorded; 0: the constructor
        path += [np.full_like(path[0], np.nan)] * (steps + 1 - len(path))
        return _Run(path, at, exc)
    broke = next((k for k, x in enumerate(path) if not np.all(np.isfinite(x))), None)
    return _Run(path, broke)


def _parting_step(a: list[np.ndarray], b: list[np.ndarray], atol: float, rtol: float = 0.0) -> int | None:
    """The first step where two paths differ (by more than ``atol + rtol*|b|``, or where one is
    finite and the other not); None if they agree. Once both have blown up, nothing later compares."""
    for t, (x, y) in enumerate(zip(a, b, strict=True)):
        fx, fy = np.isfinite(x), np.isfinite(y)
        if not np.array_equal(fx, fy):
            return t
        if not fy.all():
            return None
        if not np.all(np.abs(x - y) <= atol + rtol * np.abs(y)):
            return t
    return None


def _accepts(cls: Any, config: dict[str, Any]) -> bool:
    declared = getattr(cls, "defaults_", None)
    if declared is None or not isinstance(declared, dict):
        return True
    return set(config) <= set(declared)


def check_optimizer(
    student_cls: Any,
    reference: Any,
    configs: Sequence[dict[str, Any]] | None = None,
    *,
    steps: int = 30,
    atol: float = 1e-10,
    problems: Sequence[_Problem] | None = None,
    mistakes: Sequence[Any] | None = None,
) -> CheckResult:
    """Run ``student_cls`` and ``reference`` (a ``torch.optim`` class) side by side in float64.

    For every configuration and problem, both take ``steps`` steps from the same start; the
    check passes when the parameters agree to ``atol`` at every step. On a failure it reports
    the first failing configuration, the problem and the step at which the paths parted, and a
    hint. ``configs`` defaults to `course_utils.mistakes.default_configs(reference)` (settings
    that expose the known mistakes); only those whose keys the student declares in ``defaults_``
    run. ``mistakes`` (default: `course_utils.mistakes.known_mistakes(reference)`) lists wrong
    optimizers, as classes with a ``hint`` attribute or ``(hint, class)`` pairs: when the
    student's path reproduces one of them, its hint names the mistake. A raised error or a
    nan in the student's run is reported as such (ERROR or FAIL), never as a crash.
    """
    from .mistakes import default_configs, known_mistakes

    title = f"{getattr(student_cls, '__name__', student_cls)} against torch.optim.{reference.__name__}"
    configs = default_configs(reference) if configs is None else list(configs)
    pairs = _mistake_pairs(known_mistakes(reference) if mistakes is None else mistakes)

    def body() -> CheckResult:
        probs = list(problems) if problems is not None else DEFAULT_PROBLEMS
        usable = [c for c in configs if _accepts(student_cls, c)]
        if not usable:
            return CheckResult(FAIL, title, "your class accepts none of the tested hyperparameters "
                               f"{[sorted(c) for c in configs]}", "declare them in defaults_.")
        for config in usable:
            for prob in probs:
                ref = _run(reference, config, prob, steps)
                if ref.error is not None:
                    return CheckResult(ERROR, title, f"the reference {reference.__name__} itself raised "
                                       f"{type(ref.error).__name__}: {ref.error} with {config} (a bug in the "
                                       "check's configuration, not in your code)")
                stu = _run(student_cls, config, prob, steps)
                t = _parting_step(stu.path, ref.path, atol)
                if t is None:
                    continue
                case = f"with {config} on {prob.name}"
                hint = _diagnose(pairs, config, prob, steps, stu, ref, atol)
                if stu.error is not None and stu.broke_at is not None and stu.broke_at <= t:
                    where = ("creating your optimizer" if stu.broke_at == 0
                             else f"your step {stu.broke_at}")
                    return CheckResult(ERROR, title, f"{case}: {where} raised "
                                       f"{type(stu.error).__name__}: {stu.error}", hint or _error_hint(stu))
                hint = hint or _defaults_hint(student_cls, reference, config)
                if not np.all(np.isfinite(stu.path[t])):
                    return CheckResult(FAIL, title, f"{case}: your parameters became nan/inf at step {t} "
                                       "(torch's stayed finite)", hint or _nan_hint(config))
                if not np.all(np.isfinite(ref.path[t])):
                    return CheckResult(FAIL, title, f"{case}: torch's parameters became nan/inf at step {t}, "
                                       "yours did not", hint or _generic_hint(t, config))
                err = float(np.max(np.abs(stu.path[t] - ref.path[t])))
                return CheckResult(FAIL, title, f"{case}: the paths part at step {t} "
                                   f"(max |difference| = {err:.3g})",
                                   hint or _shape_hint(stu.path, ref.path) or _generic_hint(t, config))
        n = len(usable) * len(probs)
        skipped = sorted({k for c in configs if not _accepts(student_cls, c) for k in c} - set(
            getattr(student_cls, "defaults_", {}) or {}))
        note = (f"; skipped {len(configs) - len(usable)} configuration(s) using options your class does not "
                f"declare in defaults_: {', '.join(skipped)}") if skipped else ""
        return CheckResult(PASS, title, f"identical to torch to {atol:g} over {steps} steps "
                           f"in {n} runs ({len(usable)} configurations x {len(probs)} problems){note}.")

    return _guard(title, body)


def _mistake_pairs(mistakes: Sequence[Any]) -> list[tuple[str, Any]]:
    """``(hint, class)`` pairs from a list of pairs or of classes carrying a ``hint`` attribute."""
    return [m if isinstance(m, tuple) else (getattr(m, "hint", "") or m.__name__, m) for m in mistakes]


def _diagnose(mistakes, config, prob, steps, stu: _Run, ref: _Run, atol: float) -> str | None:
    """The hint of the first known mistake whose path the student's reproduces, ignoring mistakes
    that do not change the path in this configuration. "Reproduces": the student's path stays
    1000 times closer to the mistake's than the mistake's is to torch's (the same mistake written
    differently rounds differently), and blows up at the same step."""
    for hint, wrong_cls in mistakes:
        try:
            wrong = _run(wrong_cls, config, prob, steps)
        except Exception:  # noqa: BLE001  (a mutant that cannot run this configuration)
            continue
        if _parting_step(wrong.path, ref.path, atol) is None:
            continue
        if stu.error is not None and (type(wrong.error) is not type(stu.error) or wrong.broke_at != stu.broke_at):
            continue  # a raised error is explained only by a mistake that raises the same error there
        if _reproduces(stu.path, wrong.path, ref.path):
            return hint
    return None


def _reproduces(stu: list[np.ndarray], wrong: list[np.ndarray], ref: list[np.ndarray]) -> bool:
    """True when ``stu`` follows ``wrong`` much more closely than ``wrong`` differs from ``ref``."""
    gap, miss = 0.0, 0.0
    for x, w, r in zip(stu, wrong, ref, strict=True):
        fx, fw = np.isfinite(x), np.isfinite(w)
        if not np.array_equal(fx, fw):
            return False
        if not fw.all():
            break
        miss = max(miss, float(np.max(np.abs(x - w))))
        if np.all(np.isfinite(r)):
            gap = max(gap, float(np.max(np.abs(w - r))))
    return miss <= 1e-3 * gap + 1e-14


def _error_hint(run: _Run) -> str:
    """A hint for an error no known mistake explains."""
    if run.broke_at == 0:
        return ("the check creates your optimizer as YourClass(params, **config): declare every "
                "hyperparameter in defaults_ (with torch's default) and accept them as keywords.")
    if isinstance(run.error, KeyError):
        return ("a state entry was read before it was created: create every buffer in init_state, "
                "which runs once per parameter before its first update_param.")
    return ""


def _defaults_hint(student_cls: Any, reference: Any, config: dict[str, Any]) -> str | None:
    """A hint when a hyperparameter left to its default has a different default than torch's."""
    import inspect

    declared = getattr(student_cls, "defaults_", None)
    if not isinstance(declared, dict):
        return None
    try:
        sig = inspect.signature(reference.__init__).parameters
    except (TypeError, ValueError):
        return None
    for name, value in declared.items():
        if name in config or name not in sig or sig[name].default is inspect.Parameter.empty:
            continue
        theirs = sig[name].default
        value = tuple(value) if isinstance(value, list) else value
        if isinstance(theirs, (int, float, tuple, bool)) and value != theirs:
            return (f"this run leaves {name} at its default: yours is {value!r}, torch's is {theirs!r}; "
                    "make defaults_ match torch.")
    return None


def _shape_hint(stu_path: list[np.ndarray], ref_path: list[np.ndarray]) -> str | None:
    """Hints read off the paths: parameters that never move, or a first step off by a constant factor."""
    if all(np.array_equal(x, stu_path[0]) for x in stu_path[1:]):
        return ("your parameters never changed: update p in place (p.add_(...), p.sub_(...), p -= ...); "
                "`p = p - ...` only rebinds a local name.")
    s, r = stu_path[1] - stu_path[0], ref_path[1] - ref_path[0]
    mask = np.abs(r) > 1e-12
    if mask.any() and np.all(np.isfinite(s)):
        ratio = s[mask] / r[mask]
        c = float(np.median(ratio))
        if np.allclose(ratio, c, rtol=1e-6) and np.allclose(s[~mask], 0.0, atol=1e-12) and not math.isclose(c, 1.0):
            if math.isclose(c, -1.0, rel_tol=1e-6):
                return "your steps go the other way: the update is theta <- theta - lr * direction (a sign)."
            return (f"your first step points the right way but is {c:.4g} times torch's: a factor is missing or "
                    "extra (lr, 1 - beta, a bias correction...).")
    return None


def _generic_hint(t: int, config: dict[str, Any]) -> str:
    if t == 1:
        return ("the very first update differs: check the sign and the size of the step "
                "(theta <- theta - lr * direction) and how the state starts.")
    return ("the first step agrees, later ones do not: look at the state carried between steps "
            "(buffers, step count t).")


def _nan_hint(config: dict[str, Any]) -> str:
    if "eps" in config:
        return "a division by a zero denominator: eps goes outside the square root, sqrt(v) + eps."
    return ("the run blew up: a division by zero (a missing eps, a bias correction 1 - beta^0 = 0), "
            "or a wrong sign or learning rate.")


# --------------------------------------------------------------------------------------------
# Notebook 02 (momentum): which trajectory is which; a torch config equal to the EMA form
# --------------------------------------------------------------------------------------------
_QUIZ_NAMES = {
    "gd": "GD", "gradient descent": "GD", "sgd": "GD", "plain": "GD",
    "momentum": "momentum", "heavy ball": "momentum", "heavy-ball": "momentum", "polyak": "momentum",
    "classical momentum": "momentum", "hb": "momentum",
    "nesterov": "Nesterov", "nag": "Nesterov", "nesterov momentum": "Nesterov",
}
MOMENTUM_QUIZ_TRUTH = {"A": "Nesterov", "B": "GD", "C": "momentum"}


def momentum_quiz(steps: int = 40) -> tuple[Landscape, dict[str, Any]]:
    """The three unlabelled runs of notebook 02's quiz: GD, heavy-ball momentum and Nesterov, all
    with lr = 0.03 (and momentum 0.85) from (-1.6, 1.2) on a rotated quadratic with kappa = 20,
    as torch.optim.SGD runs. Returns the landscape and ``{"A": Trajectory, "B": ..., "C": ...}``."""
    from .trajectory import run_trajectory

    land = quadratic((1.0, 20.0), angle=math.pi / 6)
    start, lr, mu = (-1.6, 1.2), 0.03, 0.85
    hps = {"GD": {}, "momentum": {"momentum": mu}, "Nesterov": {"momentum": mu, "nesterov": True}}
    runs = {}
    for letter, name in MOMENTUM_QUIZ_TRUTH.items():
        runs[letter] = run_trajectory(land, torch.optim.SGD, start, steps, lr=lr, label=letter, **hps[name])
    return land, runs


def _quiz_answer(answer: Any) -> dict[str, str]:
    """Normalise ``{"A": "GD", ...}``, or three names in the order A, B, C (a sequence or a string)."""
    if isinstance(answer, str):
        parts = [p.strip() for p in answer.replace(";", ",").split(",")] if "," in answer or ";" in answer \
            else answer.split()
        answer = list(parts)
    if isinstance(answer, dict):
        items = {str(k).strip().upper(): v for k, v in answer.items()}
    else:
        items = dict(zip("ABC", list(answer), strict=False))
    out = {}
    for letter in "ABC":
        if letter not in items or items[letter] is None:
            raise ValueError(f"no answer for trajectory {letter}")
        name = str(items[letter]).strip().lower()
        if name not in _QUIZ_NAMES:
            raise ValueError(f"{items[letter]!r} (for {letter}) is not one of 'GD', 'momentum', 'Nesterov'")
        out[letter] = _QUIZ_NAMES[name]
    return out


def check_momentum_quiz(answer: Any) -> CheckResult:
    """``answer`` names the optimizer behind each of the quiz's trajectories A, B, C:
    ``{"A": "GD" | "momentum" | "Nesterov", ...}`` or three names in the order A, B, C."""
    title = "which trajectory is which"

    def body() -> CheckResult:
        if answer is None or answer is Ellipsis:
            raise NotImplementedError
        try:
            got = _quiz_answer(answer)
        except ValueError as exc:
            return CheckResult(FAIL, title, str(exc), 'answer like {"A": "GD", "B": "momentum", "C": "Nesterov"}.')
        if sorted(got.values()) != sorted(MOMENTUM_QUIZ_TRUTH.values()):
            return CheckResult(FAIL, title, f"you used {sorted(got.values())}",
                               "each of GD, momentum and Nesterov appears exactly once.")
        if got == MOMENTUM_QUIZ_TRUTH:
            return CheckResult(PASS, title, ", ".join(f"{k} is {v}" for k, v in got.items()) + ".")
        wrong = [k for k in "ABC" if got[k] != MOMENTUM_QUIZ_TRUTH[k]]
        truth_wrong = {MOMENTUM_QUIZ_TRUTH[k] for k in wrong}
        if "GD" in truth_wrong:
            hint = ("GD has no memory: each step follows the current gradient, and with lr * lambda_max = 0.6 < 1 "
                    "it never crosses the valley floor, so its loss falls at every step and it creeps slowly. "
                    "Count the steps where each loss curve goes up.")
        else:
            hint = ("both momentum methods carry velocity and overshoot; Nesterov takes its gradient at the "
                    "look-ahead point theta + mu * v, so it brakes before it reaches the far wall: smaller "
                    "swings across the ravine and a lower loss after 40 steps.")
        return CheckResult(FAIL, title, f"{', '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} not right.", hint)

    return _guard(title, body)


class _EMAMomentum(torch.optim.Optimizer):
    """The averaging form: m_0 = 0, m_t = beta m_{t-1} + (1 - beta) g_t, theta <- theta - eta m_t."""

    def __init__(self, params, eta: float, beta: float) -> None:
        super().__init__(params, {"eta": eta, "beta": beta})

    @torch.no_grad()
    def step(self, closure=None):  # type: ignore[override]
        for group in self.param_groups:
            for p in group["params"]:
                m = self.state[p].setdefault("m", torch.zeros_like(p))
                m.mul_(group["beta"]).add_(p.grad, alpha=1 - group["beta"])
                p.add_(m, alpha=-group["eta"])


def _landscape_path(land: Landscape, start: Sequence[float], make_opt: Callable[[list], Any],
                    steps: int = 30) -> np.ndarray:
    """Positions (steps + 1, 2) of ``make_opt([w])`` on ``land`` from ``start``, in float64."""
    w = torch.tensor(list(start), dtype=torch.float64, requires_grad=True)
    opt = make_opt([w])
    path = [w.detach().clone()]
    for _ in range(steps):
        opt.zero_grad()
        land(w[0], w[1]).backward()
        opt.step()
        path.append(w.detach().clone())
    return torch.stack(path).numpy()


def check_ema_torch_config(config: Any, eta: float = 0.1, beta: float = 0.9) -> CheckResult:
    """``config``: keyword arguments of ``torch.optim.SGD`` that reproduce the averaging form
    m_t = beta m_{t-1} + (1 - beta) g_t (m_0 = 0), theta <- theta - eta m_t, at every step."""
    title = f"torch.optim.SGD settings equal to the averaging form (eta = {eta:g}, beta = {beta:g})"

    def body() -> CheckResult:
        if config is None or config is Ellipsis:
            raise NotImplementedError
        if not isinstance(config, dict):
            return CheckResult(FAIL, title, f"expected a dict of SGD keyword arguments, got {type(config).__name__}",
                               'e.g. {"lr": ..., "momentum": ...}')
        kw = dict(config)
        problems = [(quadratic((1.0, 10.0), angle=0.5), (-1.5, 1.0)), (pathological, (-2.0, 3.0))]
        for land, start in problems:
            ref = _landscape_path(land, start, lambda ps: _EMAMomentum(ps, eta, beta))
            try:
                mine = _landscape_path(land, start, lambda ps: torch.optim.SGD(ps, **kw))
            except Exception as exc:  # e.g. an argument torch does not know
                return CheckResult(ERROR, title, f"torch.optim.SGD(**config) raised {type(exc).__name__}: {exc}")
            diff = np.abs(mine - ref).max(axis=1)
            bad = np.flatnonzero(~(diff <= 1e-12 + 1e-9 * np.abs(ref).max(axis=1)))
            if len(bad) == 0:
                continue
            t = int(bad[0])
            msg = f"on {land.name} from {start} the paths part at step {t} (|difference| = {diff[t]:.3g})"
            return CheckResult(FAIL, title, msg, _ema_config_hint(kw, eta, beta, t))
        return CheckResult(PASS, title, f"torch.optim.SGD(**{kw}) follows the averaging form step for step, "
                           "from the very first step.")

    return _guard(title, body)


def _ema_config_hint(kw: dict[str, Any], eta: float, beta: float, t: int) -> str:
    lr, mu = float(kw.get("lr", 1e-3)), float(kw.get("momentum", 0.0))
    damp, nesterov = float(kw.get("dampening", 0.0)), bool(kw.get("nesterov", False))
    if not math.isclose(mu, beta, rel_tol=1e-9):
        return f"the buffer must forget at the same rate as the average: momentum = beta = {beta:g}."
    if nesterov:
        return "the averaging form has no look-ahead: leave nesterov=False."
    if math.isclose(damp, beta, rel_tol=1e-9) and math.isclose(lr, eta, rel_tol=1e-9):
        return (f"close, but torch starts the buffer at b_1 = g_1 and applies dampening only from step 2, "
                f"so your first step is eta * g_1, 1/(1 - beta) = {1 / (1 - beta):.3g} times the averaging "
                "form's eta (1 - beta) g_1 (which starts from m_0 = 0). Keep dampening = 0 and move the "
                "factor (1 - beta) into lr.")
    if damp == 0 and math.isclose(lr, eta, rel_tol=1e-9):
        return (f"with dampening = 0 torch's buffer is b_t = sum of beta^(t-k) g_k = m_t / (1 - beta): "
                f"your steps are {1 / (1 - beta):.3g} times too long. Scale lr.")
    if damp != 0:
        return ("with dampening > 0 the first buffer (b_1 = g_1, undampened) and the later ones are scaled "
                "differently, so no lr can fix every step: use dampening = 0.")
    return ("the averaging form's step is eta * m_t with m_t = (1 - beta) * b_t, where b_t is torch's "
            "buffer (dampening = 0): which lr makes lr * b_t equal eta * m_t?")


# --------------------------------------------------------------------------------------------
# SGD and mini-batches (notebook 05): gradient variance, gradient accumulation, DataLoader
# --------------------------------------------------------------------------------------------
def minibatch_gradient_variance(sigma2: float, n: int, batch_size: int, replacement: bool) -> float:
    """E||g_B - g||^2 of the mean of ``batch_size`` per-example gradients drawn from ``n``.

    ``sigma2`` is the population variance (1/N) sum_i ||g_i - g||^2. With replacement the draws
    are independent: sigma2 / B. Without replacement: sigma2 / B * (N - B) / (N - 1).
    """
    if not 1 <= batch_size <= (n if not replacement else batch_size):
        raise ValueError(f"batch_size must be in [1, n={n}] without replacement, got {batch_size}")
    v = sigma2 / batch_size
    return v if replacement else v * (n - batch_size) / (n - 1)


def check_minibatch_variance(
    answer: Any, sigma2: float = 3.0, n: int = 20, batch_size: int = 5, replacement: bool = False
) -> CheckResult:
    """The variance of a mini-batch gradient, with or without replacement (finite-population correction)."""
    how = "with" if replacement else "without"
    expected = minibatch_gradient_variance(sigma2, n, batch_size, replacement)
    b = batch_size
    hints = [
        (sigma2 / b**2, "the variance of a mean of B independent terms is sigma^2 / B, not sigma^2 / B^2."),
        (sigma2, "averaging B gradients shrinks the variance: divide by B."),
        (math.sqrt(sigma2 / b), "that is a standard deviation; the question asks for the variance."),
    ]
    if replacement:
        hints.append((minibatch_gradient_variance(sigma2, n, b, False),
                      "with replacement the B draws are independent: no finite-population correction."))
    else:
        hints += [
            (sigma2 / b, "that holds with replacement. Without replacement a batch cannot repeat an example, "
                         "which lowers the variance by the finite-population correction."),
            (sigma2 / b * (n - b) / n, "sigma^2 here is the population variance (divided by N), so the "
                                       "correction is (N - B) / (N - 1), not (N - B) / N."),
            (sigma2 / b * (1 - (b - 1) / n), "close: the correction is (N - B) / (N - 1)."),
        ]
    return check_value(
        f"variance of the mean of B={b} gradients drawn {how} replacement from N={n}",
        answer, expected, rtol=1e-3, hints=hints,
        default_hint="start from sigma^2 / B and ask whether the draws are independent.",
    )


class _CountingSGD(torch.optim.SGD):
    """torch.optim.SGD that counts its steps (so a check can say how many the student took)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.n_steps = 0

    def step(self, closure: Any = None) -> Any:  # type: ignore[override]
        self.n_steps += 1
        return super().step(closure)


def _accumulation_case(n: int, batch_size: int, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 3, generator=gen, dtype=torch.float64)
    Y = torch.randn(n, 2, generator=gen, dtype=torch.float64)
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2)).double()
    batches = [(X[i:i + batch_size], Y[i:i + batch_size]) for i in range(0, n, batch_size)]
    return model, batches


def _mse(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return ((out - target) ** 2).mean()


def _params(model: torch.nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def _big_batch_epoch(model, optimizer, loss_fn, batches, k):
    """The reference: one step per group of k micro-batches, on the concatenated group."""
    for start in range(0, len(batches), k):
        group = batches[start:start + k]
        xb = torch.cat([b[0] for b in group])
        yb = torch.cat([b[1] for b in group])
        optimizer.zero_grad()
        loss_fn(model(xb), yb).backward()
        optimizer.step()


def _accumulate(model, optimizer, loss_fn, batches, k, *, when, scale, tail=True, zero=True):
    """Gradient accumulation with a chosen step rule and loss scaling (the right one and known mistakes)."""
    optimizer.zero_grad()
    for i, (xb, yb) in enumerate(batches):
        group = batches[(i // k) * k:(i // k) * k + k]
        sizes = [len(b[0]) for b in group]
        loss = loss_fn(model(xb), yb) * scale(len(xb), sizes, k)
        loss.backward()
        last = i + 1 == len(batches)
        if when(i, k) or (tail and last and not when(i, k) and (i + 1) % k != 0):
            optimizer.step()
            if zero:
                optimizer.zero_grad()


_ACCUMULATION_MISTAKES = [
    ("you step when i % k == 0, i.e. after the first micro-batch and then every k (seed 001's loop), "
     "and the last partial group never gets its step: step when (i + 1) % k == 0, and after the last batch.",
     dict(when=lambda i, k: i % k == 0, scale=lambda nb, s, k: 1 / k, tail=False)),
    ("you step after every k-th micro-batch but never after the last partial group: its gradients are "
     "computed and thrown away. Also step after the last batch.",
     dict(when=lambda i, k: (i + 1) % k == 0, scale=lambda nb, s, k: nb / sum(s), tail=False)),
    ("the steps are right, but dividing each loss by k is only right when the group has k micro-batches "
     "of equal size: weight each micro-batch mean by len(xb) / (size of its group).",
     dict(when=lambda i, k: (i + 1) % k == 0, scale=lambda nb, s, k: 1 / k)),
    ("dividing by the number of micro-batches in the group averages their means, which equals the "
     "group mean only when all micro-batches have the same size: weight by len(xb) / (size of the group).",
     dict(when=lambda i, k: (i + 1) % k == 0, scale=lambda nb, s, k: 1 / len(s))),
    ("the loss is not divided at all: the accumulated gradient is the sum of k means, k times too "
     "large. Weight each micro-batch mean by len(xb) / (size of its group).",
     dict(when=lambda i, k: (i + 1) % k == 0, scale=lambda nb, s, k: 1.0)),
    ("the gradients are not reset after a step, so each group's gradient carries the previous groups'. "
     "Call optimizer.zero_grad() after optimizer.step().",
     dict(when=lambda i, k: (i + 1) % k == 0, scale=lambda nb, s, k: nb / sum(s), zero=False)),
]


def check_accumulation(student_fn: Callable[..., Any], atol: float = 1e-12) -> CheckResult:
    """``student_fn(model, optimizer, loss_fn, batches, k)`` runs one epoch of gradient accumulation over
    the list ``batches`` of (x, y) micro-batches; it must leave the parameters equal (float64, to
    ``atol``) to one step per group of k micro-batches taken on the concatenated group."""
    title = "gradient accumulation == one big batch"
    cases = [(64, 8, 4), (75, 8, 4), (70, 8, 3), (20, 4, 1)]  # exact groups, tail [8, 3], [8, 8, 6], k=1

    def body() -> CheckResult:
        for n, b, k in cases:
            model, batches = _accumulation_case(n, b)
            ref_model, _ = _accumulation_case(n, b)
            opt = _CountingSGD(model.parameters(), lr=0.1, momentum=0.9)
            ref_opt = torch.optim.SGD(ref_model.parameters(), lr=0.1, momentum=0.9)
            student_fn(model, opt, _mse, batches, k)
            _big_batch_epoch(ref_model, ref_opt, _mse, batches, k)
            got, want = _params(model), _params(ref_model)
            sizes = [len(x) for x, _ in batches]
            case = f"N={n}, B={b}, k={k} (micro-batch sizes {sizes[:2]}...{sizes[-2:]})"
            expected_steps = math.ceil(len(batches) / k)
            err = float((got - want).abs().max())
            if err <= atol:
                continue
            hint = None
            for text, kw in _ACCUMULATION_MISTAKES:
                wrong_model, _ = _accumulation_case(n, b)
                wrong_opt = torch.optim.SGD(wrong_model.parameters(), lr=0.1, momentum=0.9)
                _accumulate(wrong_model, wrong_opt, _mse, batches, k, **kw)
                if torch.allclose(got, _params(wrong_model), rtol=0, atol=1e-10):
                    hint = text
                    break
            steps = (f"; you took {opt.n_steps} optimizer steps, the big-batch run takes {expected_steps}"
                     if opt.n_steps != expected_steps else "")
            return CheckResult(FAIL, title, f"{case}: parameters differ by up to {err:.3g}{steps}",
                               hint or "after the epoch the parameters must equal those of one step per group "
                                       "of k micro-batches on the concatenated group (mean loss over the group).")
        return CheckResult(PASS, title, f"equal to the big-batch run to {atol:g} in {len(cases)} cases, "
                           "partial and unequal groups included.")

    return _guard(title, body)


def check_loader(student_fn: Callable[..., Any]) -> CheckResult:
    """``student_fn(dataset, batch_size, device)`` must return a DataLoader that reshuffles every epoch
    (without replacement), drops the last partial batch, and pins memory only for a CUDA device."""
    title = "make_loader(dataset, batch_size, device)"

    def body() -> CheckResult:
        from torch.utils.data import DataLoader, RandomSampler, TensorDataset

        ds = TensorDataset(torch.arange(50.0), torch.arange(50))
        for device in (torch.device("cpu"), torch.device("cuda")):
            try:
                loader = student_fn(ds, 8, device)
            except TypeError as exc:
                if "pin_device" in str(exc):
                    return CheckResult(FAIL, title, f"TypeError: {exc}",
                                       "DataLoader has no pin_device argument: the option is pin_memory.")
                raise
            where = f"for device {device.type!r}"
            if not isinstance(loader, DataLoader):
                return CheckResult(FAIL, title, f"{where}: expected a DataLoader, got {type(loader).__name__}")
            if loader.batch_size != 8:
                return CheckResult(FAIL, title, f"{where}: batch_size is {loader.batch_size}, asked for 8",
                                   "pass batch_size=batch_size.")
            if not isinstance(loader.sampler, RandomSampler):
                return CheckResult(FAIL, title, f"{where}: the batches come in the stored order",
                                   "shuffle=True draws a new permutation every epoch.")
            if loader.sampler.replacement:
                return CheckResult(FAIL, title, f"{where}: the sampler draws with replacement",
                                   "an epoch should visit every example once: shuffle=True, not a "
                                   "RandomSampler(replacement=True).")
            if not loader.drop_last:
                return CheckResult(FAIL, title, f"{where}: 50 examples in batches of 8 leave a last batch of 2",
                                   "drop_last=True keeps every step at the same batch size.")
            if bool(loader.pin_memory) != (device.type == "cuda"):
                hint = ("pinned (page-locked) memory only speeds up copies to a CUDA device: "
                        "pin_memory=(device.type == 'cuda').")
                return CheckResult(FAIL, title, f"{where}: pin_memory={loader.pin_memory}", hint)
            if device.type == "cpu":
                sizes = [len(xb) for xb, _ in loader]
                if sizes != [8] * 6:
                    return CheckResult(FAIL, title, f"one epoch gave batch sizes {sizes}",
                                       "expected six batches of 8.")
        return CheckResult(PASS, title, "shuffles every epoch, drops the partial batch, pins memory only for CUDA.")

    return _guard(title, body)


# --------------------------------------------------------------------------------------------
# Notebooks 06 (LR range test) and 07 (LR schedules)
# --------------------------------------------------------------------------------------------
__all__ += [
    "check_lr_sequence",
    "check_set_lr",
    "check_lr_pick",
    "check_warmup_cosine",
    "check_scheduler_order",
]


def check_lr_sequence(student_fn: Callable[[float, float, int], Any]) -> CheckResult:
    """``student_fn(start_lr, end_lr, num_iter)`` must return the range test's exponential lrs
    eta_i = start_lr * (end_lr / start_lr)^(i / (num_iter - 1)), i = 0..num_iter-1."""
    from .lr_finder import lr_schedule

    title = "exponential learning-rate sequence"

    def body() -> CheckResult:
        for start, end, n in ((1e-7, 10.0, 100), (1e-3, 1.0, 4), (0.01, 0.02, 2), (1e-4, 1e2, 37)):
            out = student_fn(start, end, n)
            got = (out.detach().cpu().double().numpy() if torch.is_tensor(out) else np.asarray(out, dtype=float)).ravel()
            want = lr_schedule(start, end, n, "exp")
            case = f"start_lr={start:g}, end_lr={end:g}, num_iter={n}"
            if got.shape != want.shape:
                hint = ("one lr per iteration, the first and the last included."
                        if abs(len(got) - n) != 1 else "off by one in the count: range(num_iter) gives num_iter values.")
                return CheckResult(FAIL, title, f"{case}: expected {n} values, got {len(got)}", hint)
            if np.allclose(got, want, rtol=1e-9, atol=0):
                continue
            i = np.arange(n)
            if np.allclose(got, lr_schedule(start, end, n, "linear"), rtol=1e-9):
                hint = ("these are evenly spaced in lr (linear): the range test spaces them evenly in log lr, "
                        "a constant ratio (end/start)^(1/(num_iter-1)) from one to the next.")
            elif np.allclose(got, start * (end / start) ** (i / n), rtol=1e-9):
                hint = "the last lr must be end_lr exactly: the exponent is i / (num_iter - 1), not i / num_iter."
            elif np.allclose(got, want[::-1], rtol=1e-9):
                hint = "the sequence runs backwards: it starts at start_lr and grows."
            else:
                hint = "eta_i = start_lr * (end_lr / start_lr) ** (i / (num_iter - 1))."
            k = int(np.argmax(~np.isclose(got, want, rtol=1e-9, atol=0)))
            return CheckResult(FAIL, title, f"{case}: lr[{k}] = {_fmt(got[k])}, expected {_fmt(want[k])}", hint)
        return CheckResult(PASS, title, "geometric from start_lr to end_lr, both ends exact.")

    return _guard(title, body)


def check_set_lr(student_fn: Callable[[Any, float], Any]) -> CheckResult:
    """``student_fn(optimizer, lr)`` must make every parameter group of any torch optimizer use ``lr``."""
    title = "set_lr(optimizer, lr)"

    def body() -> CheckResult:
        w = torch.nn.Parameter(torch.tensor([1.0, -2.0], dtype=torch.float64))
        b = torch.nn.Parameter(torch.tensor([0.5], dtype=torch.float64))
        opt = torch.optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.01}], lr=0.1)
        student_fn(opt, 0.5)
        lrs = [g["lr"] for g in opt.param_groups]
        if lrs == [0.1, 0.01]:
            if getattr(opt, "lr", None) == 0.5:
                hint = ("optimizer.lr = ... only creates a new attribute that torch never reads: "
                        "the lr lives in optimizer.param_groups, one dict per group.")
            else:
                hint = "set group['lr'] for every group in optimizer.param_groups."
            return CheckResult(FAIL, title, "the learning rates did not change: still [0.1, 0.01]", hint)
        if lrs != [0.5, 0.5]:
            hint = ("every parameter group has its own lr: loop over all of optimizer.param_groups."
                    if 0.5 in lrs else "set each group's 'lr' to the value given.")
            return CheckResult(FAIL, title, f"the groups' lrs are {lrs}, expected [0.5, 0.5]", hint)
        (w.square().sum() + b.square().sum()).backward()
        before = torch.cat([w.detach(), b.detach()]).clone()
        grad = torch.cat([w.grad, b.grad]).clone()
        opt.step()
        after = torch.cat([w.detach(), b.detach()])
        if not torch.allclose(after, before - 0.5 * grad, rtol=0, atol=1e-12):
            return CheckResult(FAIL, title, "the lrs read 0.5, but the step did not use them",
                               "change the existing groups in place; do not replace the optimizer.")
        adam = torch.optim.Adam([torch.nn.Parameter(torch.zeros(2))], lr=1e-3)
        student_fn(adam, 0.25)
        if adam.param_groups[0]["lr"] != 0.25:
            return CheckResult(FAIL, title, "it did not work for torch.optim.Adam",
                               "the same param_groups mechanism serves every torch optimizer.")
        return CheckResult(PASS, title, "every group of SGD and Adam now steps with the new lr.")

    return _guard(title, body)


def check_lr_pick(answer: Any, result: Any) -> CheckResult:
    """A learning rate read off a range test ``result`` (an `LRFinderResult`): it must lie on the
    descent of the smoothed loss, from where the loss has made a tenth of its fall (from its
    value a tenth of the way in down to its minimum) up to half the lr of the minimum."""
    title = "a learning rate read off the range test"

    def body() -> CheckResult:
        if answer is None or answer is Ellipsis:
            raise NotImplementedError
        lr = float(answer)
        y = np.asarray(result.smoothed, dtype=float)
        lrs = np.asarray(result.lrs, dtype=float)[np.isfinite(y)]
        y = y[np.isfinite(y)]
        i_min = int(np.argmin(y))
        skip = len(y) // 10 if i_min - len(y) // 10 >= 2 else 0
        level = y[skip] - 0.1 * (y[skip] - y[i_min])
        i_low = skip + int(np.argmax(y[skip:i_min + 1] <= level))
        low, high = float(lrs[i_low]), float(lrs[i_min]) / 2
        where = f"the loss falls from about lr {low:.2g} to its minimum at lr {lrs[i_min]:.2g}"
        if not math.isfinite(lr) or lr <= 0:
            return CheckResult(FAIL, title, f"{lr!r} is not a learning rate", "a positive number, e.g. 0.05.")
        if low <= lr <= high:
            return CheckResult(PASS, title, f"{lr:.3g} is on the descent ({where}).")
        if lr < low:
            return CheckResult(FAIL, title, f"{lr:.3g} is before the loss really starts to fall ({where}).",
                               "at that lr the loss barely moves: training would be slow. Look right, "
                               "where the curve goes down steeply.")
        if lr <= lrs[i_min] * 2:
            return CheckResult(FAIL, title, f"{lr:.3g} is at the bottom of the curve ({where}).",
                               "the lowest point is the edge: one step further the loss turns up. "
                               "Step back towards where the loss falls fastest, or take min/10.")
        return CheckResult(FAIL, title, f"{lr:.3g} is past the minimum ({where}).",
                           "there the loss is rising: that lr makes training diverge.")

    return _guard(title, body)


def _torch_warmup_cosine(base_lr: float, warmup: int, total: int, start_factor: float, steps: int) -> np.ndarray:
    from torch.optim import lr_scheduler as L

    from .schedules import torch_lrs

    def make(opt):
        warm = L.LinearLR(opt, start_factor=start_factor, end_factor=1.0, total_iters=warmup)
        cos = L.CosineAnnealingLR(opt, T_max=total - warmup)
        return L.SequentialLR(opt, [warm, cos], milestones=[warmup])

    return torch_lrs(make, base_lr, steps)


def _warmup_cosine_mistakes(t: int, base: float, w: int, total: int, s: float) -> dict[str, float]:
    def cos(u: float, T: int) -> float:
        return base * (1 + math.cos(math.pi * u / T)) / 2

    warm = base * (s + (1 - s) * t / w)
    return {
        "the warmup must reach base_lr at t = warmup_steps, not one step earlier: t / warmup_steps, "
        "not t / (warmup_steps - 1).":
            (base * (s + (1 - s) * min(t / (w - 1), 1.0)) if w > 1 else warm) if t < w else cos(t - w, total - w),
        "the warmup starts at start_factor * base_lr, not at 0.":
            base * t / w if t < w else cos(t - w, total - w),
        "off by one where the cosine starts: at t = warmup_steps the lr is base_lr, cos(0); use t - warmup_steps.":
            warm if t < w else cos(t - w + 1, total - w),
        "the cosine phase lasts total_steps - warmup_steps steps (torch: T_max = total_steps - warmup_steps).":
            warm if t < w else cos(t - w, total),
        "the cosine runs on the global step t; it restarts its own clock at the milestone: t - warmup_steps.":
            warm if t < w else cos(t, total - w),
    }


def check_warmup_cosine(student_fn: Callable[..., Any]) -> CheckResult:
    """``student_fn(t, base_lr, warmup_steps, total_steps, start_factor)`` must equal torch's
    ``SequentialLR([LinearLR(start_factor), CosineAnnealingLR(T_max=total-warmup)], [warmup])``
    at every step t = 0..total_steps."""
    title = "cosine with linear warmup, against torch (LinearLR then CosineAnnealingLR)"

    def body() -> CheckResult:
        from .schedules import compare_lrs

        for base, w, total, s in ((0.1, 5, 30, 0.1), (1.0, 10, 50, 0.01), (0.5, 1, 8, 0.5), (2.0, 20, 21, 0.2)):
            want = _torch_warmup_cosine(base, w, total, s, total + 1)
            got = np.asarray([float(student_fn(t, base, w, total, s)) for t in range(total + 1)])
            cmp = compare_lrs(got, want, rtol=1e-9)
            if cmp:
                continue
            case = f"base_lr={base}, warmup_steps={w}, total_steps={total}, start_factor={s}"
            msg = f"{case}: at t = {cmp.first_mismatch} you give {_fmt(got[cmp.first_mismatch])}, torch {_fmt(want[cmp.first_mismatch])}"
            hint = "t < W: base_lr * (s + (1 - s) * t / W);  t >= W: base_lr * (1 + cos(pi (t - W) / (T - W))) / 2."
            for text in _warmup_cosine_mistakes(0, base, w, total, s):
                wrong = [_warmup_cosine_mistakes(t, base, w, total, s)[text] for t in range(total + 1)]
                if compare_lrs(got, wrong, rtol=1e-9):
                    hint = text
                    break
            return CheckResult(FAIL, title, msg, hint)
        return CheckResult(PASS, title, "equal to torch's SequentialLR at every step in 4 configurations.")

    return _guard(title, body)


class _RecordingSGD(torch.optim.SGD):
    """SGD that records the lr each step used (a subclass, so torch's scheduler wrapper stays intact)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.used: list[float] = []

    def step(self, closure=None):  # type: ignore[override]
        self.used.append(float(self.param_groups[0]["lr"]))
        return super().step(closure)


def check_scheduler_order(student_fn: Callable[..., Any]) -> CheckResult:
    """``student_fn(model, optimizer, scheduler, loss_fn, batches)`` trains one epoch with a
    per-batch scheduler: the k-th update must use the schedule's k-th lr (k = 0, 1, ...), with
    ``scheduler.step()`` after ``optimizer.step()`` and no warning from torch."""
    import warnings

    title = "scheduler.step() after optimizer.step()"

    def body() -> CheckResult:
        gen = torch.Generator().manual_seed(0)
        model = torch.nn.Linear(3, 1)
        batches = [(torch.randn(4, 3, generator=gen), torch.randn(4, 1, generator=gen)) for _ in range(6)]
        opt = _RecordingSGD(model.parameters(), lr=0.1)
        sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            student_fn(model, opt, sched, torch.nn.functional.mse_loss, batches)
        order = [str(w.message) for w in caught if "lr_scheduler.step()" in str(w.message)]
        want = [0.1 * 0.5**k for k in range(len(batches))]
        used = opt.used
        if len(used) != len(batches):
            return CheckResult(FAIL, title, f"{len(used)} optimizer steps for {len(batches)} batches",
                               "one optimizer.step() per batch.")
        if np.allclose(used, want, rtol=1e-12):
            if order:
                return CheckResult(FAIL, title, "the lrs are right, but torch warned: " + order[0][:80] + "...",
                                   "call scheduler.step() after optimizer.step().")
            return CheckResult(PASS, title, "update k used the schedule's k-th lr, and torch did not warn.")
        msg = "lrs used: " + ", ".join(f"{u:.4g}" for u in used) + "; expected: " + ", ".join(f"{u:.4g}" for u in want)
        if np.allclose(used, [0.1 * 0.5 ** (k + 1) for k in range(len(batches))], rtol=1e-12):
            hint = ("the first update already used the second lr: scheduler.step() ran before optimizer.step(), "
                    "so the schedule's first value was skipped" + (" (and torch warned)." if order else "."))
        elif np.allclose(used, [0.1] * len(batches)):
            hint = "the lr never changed: step the scheduler once per batch, after optimizer.step()."
        else:
            hint = "per batch: zero_grad, forward, backward, optimizer.step(), then scheduler.step()."
        return CheckResult(FAIL, title, msg, hint)

    return _guard(title, body)


# --------------------------------------------------------------------------------------------
# Notebook 08 (Hessian, saddle points): power iteration, the second-order test
# --------------------------------------------------------------------------------------------
def _spectrum_matrix(eigenvalues: Sequence[float], seed: int) -> torch.Tensor:
    """Q diag(lambda) Q^T with a seeded random orthogonal Q (float64)."""
    lam = torch.tensor(list(eigenvalues), dtype=torch.float64)
    gen = torch.Generator().manual_seed(seed)
    Q, _ = torch.linalg.qr(torch.randn(len(lam), len(lam), generator=gen, dtype=torch.float64))
    A = Q @ torch.diag(lam) @ Q.T
    return (A + A.T) / 2


def _power_iteration_cases() -> list[tuple[str, Callable[[torch.Tensor], torch.Tensor], int, torch.Tensor]]:
    """(name, matvec, n, exact eigenvalues) for the power-iteration check."""
    from .hessian import hessian

    cases = []
    for name, spectrum, seed in (
        ("a 4 x 4 matrix with eigenvalues (5, 2, 1, -1)", (5.0, 2.0, 1.0, -1.0), 0),
        ("a 5 x 5 matrix whose dominant eigenvalue is negative, (-6, 3, 1, 0.5, 0)", (-6.0, 3.0, 1.0, 0.5, 0.0), 1),
        ("a 30 x 30 matrix with eigenvalues in [-2, 8]", tuple(torch.linspace(-2.0, 8.0, 30).tolist()), 2),
    ):
        A = _spectrum_matrix(spectrum, seed)
        cases.append((name, (lambda v, A=A: A @ v), A.shape[0], torch.linalg.eigvalsh(A)))
    # the Hessian-vector product of a small tanh network (cross-entropy on 20 random points)
    gen = torch.Generator().manual_seed(3)
    W1 = torch.randn(3, 5, generator=gen, dtype=torch.float64).requires_grad_()
    W2 = torch.randn(5, 3, generator=gen, dtype=torch.float64).requires_grad_()
    X = torch.randn(20, 3, generator=gen, dtype=torch.float64)
    y = torch.randint(0, 3, (20,), generator=gen)

    def loss_fn() -> torch.Tensor:
        return torch.nn.functional.cross_entropy(torch.tanh(X @ W1) @ W2, y)

    params = [W1, W2]
    H = hessian(loss_fn, params)
    grads = torch.autograd.grad(loss_fn(), params, create_graph=True)

    def hvp_matvec(v: torch.Tensor) -> torch.Tensor:
        parts = torch.split(v.detach(), [p.numel() for p in params])
        dot = sum((g * u.reshape(g.shape)).sum() for g, u in zip(grads, parts, strict=True))
        out = torch.autograd.grad(dot, params, retain_graph=True)
        return torch.cat([o.reshape(-1) for o in out])

    cases.append(("the Hessian-vector product of a small tanh network (n = 30)", hvp_matvec, H.shape[0],
                  torch.linalg.eigvalsh(H)))
    return cases


def check_power_iteration(student_fn: Callable[..., Any], iters: int = 300, rtol: float = 1e-4) -> CheckResult:
    """``student_fn(matvec, n, iters)`` must return the eigenvalue of largest magnitude (with its
    sign) of the symmetric operator ``matvec``, compared with torch.linalg.eigvalsh."""
    title = "power iteration: the eigenvalue of largest magnitude"

    def body() -> CheckResult:
        torch.manual_seed(0)  # the student's random start
        for name, matvec, n, lam in _power_iteration_cases():
            got = student_fn(matvec, n, iters)
            if got is None:
                raise NotImplementedError
            value = float(torch.as_tensor(got).reshape(-1)[0]) if torch.is_tensor(got) else float(got)
            dominant = float(lam[lam.abs().argmax()])
            if math.isclose(value, dominant, rel_tol=rtol):
                continue
            msg = f"on {name}: got {_fmt(value)}, expected {_fmt(dominant)}"
            second = float(lam[lam.abs().argsort(descending=True)[1]])
            if not math.isfinite(value):
                hint = "the iterate over- or underflowed: divide by its norm at every step, v <- Hv / ||Hv||."
            elif math.isclose(value, abs(dominant), rel_tol=rtol) and dominant < 0:
                hint = ("you returned a magnitude (||Hv|| or abs): the Rayleigh quotient v^T H v keeps the "
                        "sign, and here the dominant eigenvalue is negative.")
            elif math.isclose(value, dominant**2, rel_tol=rtol):
                hint = "that is lambda^2: return v^T H v for a unit vector v, not ||Hv||^2 or v^T H^2 v."
            elif math.isclose(value, float(lam[-1]), rel_tol=rtol):
                hint = ("that is the largest *algebraic* eigenvalue; plain power iteration finds the one of "
                        "largest magnitude, here a negative one.")
            elif math.isclose(value, second, rel_tol=1e-2):
                hint = "that is the second eigenvalue: did you project something out, or stop too early?"
            elif min(abs(value - float(x)) for x in lam) <= 1e-3 * abs(dominant):
                hint = "that is an eigenvalue, but not the one of largest magnitude: check the update v <- Hv."
            else:
                hint = ("start from a random unit vector, repeat v <- Hv / ||Hv||, and return the Rayleigh "
                        "quotient v^T H v (v a unit vector).")
            return CheckResult(FAIL, title, msg, hint)
        return CheckResult(PASS, title, f"matches eigvalsh (rel. tolerance {rtol:g}) on 3 matrices, one with a "
                           "negative dominant eigenvalue, and on a network's Hessian-vector product.")

    return _guard(title, body)


CRITICAL_POINT_HESSIANS: dict[str, list[list[float]]] = {
    "A": [[2.0, 1.0], [1.0, 2.0]],
    "B": [[1.0, 3.0], [3.0, 1.0]],
    "C": [[-2.0, 0.0], [0.0, -0.5]],
    "D": [[1.0, 1.0], [1.0, 1.0]],
    "E": [[4.0, 0.0, 0.0], [0.0, 3.0, 0.0], [0.0, 0.0, -0.01]],
}
"""The Hessians of notebook 08's exercise 2, at critical points."""

_KIND_HINTS: dict[str, str] = {
    "A": "det = 3 > 0 and trace = 4 > 0: both eigenvalues (1 and 3) are positive.",
    "B": "the diagonal is positive, but det = 1 - 9 = -8 < 0: the eigenvalues 4 and -2 have opposite signs. "
         "Look at the eigenvalues, not at the diagonal.",
    "C": "both eigenvalues are negative: the loss curves down in every direction.",
    "D": "det = 0, so one eigenvalue is 0 (the other is 2): the second-order test cannot decide.",
    "E": "one negative eigenvalue is enough, however small (-0.01 is small, not zero): with mixed signs the "
         "point is a saddle.",
}


def check_critical_point_kinds(answers: Any) -> CheckResult:
    """``answers`` maps "A".."E" to "minimum", "maximum", "saddle" or "degenerate" for the Hessians
    in CRITICAL_POINT_HESSIANS; the truth comes from `classify_critical_point`."""
    from .hessian import classify_critical_point

    title = "classify the critical points A to E"

    def body() -> CheckResult:
        if answers is None or answers is Ellipsis:
            raise NotImplementedError
        if not isinstance(answers, dict):
            return CheckResult(FAIL, title, f"expected a dict like {{'A': 'minimum', ...}}, got {type(answers).__name__}")
        allowed = ("minimum", "maximum", "saddle", "degenerate")
        given = {str(k).strip().upper(): (str(v).strip().lower() if v is not None else None) for k, v in answers.items()}
        wrong = []
        for key, H in CRITICAL_POINT_HESSIANS.items():
            truth = classify_critical_point(torch.tensor(H, dtype=torch.float64))
            got = given.get(key)
            if got is None:
                raise NotImplementedError
            if got not in allowed:
                return CheckResult(FAIL, title, f"{key}: {got!r} is not one of {', '.join(allowed)}")
            if got != truth:
                wrong.append((key, got))
        if not wrong:
            return CheckResult(PASS, title, "all five right.")
        key, got = wrong[0]
        names = ", ".join(k for k, _ in wrong)
        return CheckResult(FAIL, title, f"{len(wrong)} of 5 wrong ({names}); {key} is not a {got}.", _KIND_HINTS[key])

    return _guard(title, body)
