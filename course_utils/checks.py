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
    expected = math.ceil(math.log(tolerance) / math.log(beta))
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


def _run(opt_cls: Any, config: dict[str, Any], problem: _Problem, steps: int) -> tuple[list[np.ndarray], str | None]:
    params, loss_fn = problem.make()
    opt = opt_cls(params, **config)
    path = [torch.cat([p.detach().flatten() for p in params]).numpy().copy()]
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(params)
        loss.backward()
        opt.step()
        path.append(torch.cat([p.detach().flatten() for p in params]).numpy().copy())
    return path, None


def _accepts(cls: Any, config: dict[str, Any]) -> bool:
    declared = getattr(cls, "defaults_", None)
    if declared is None or not isinstance(declared, dict):
        return True
    return set(config) <= set(declared)


def check_optimizer(
    student_cls: Any,
    reference: Any,
    configs: Sequence[dict[str, Any]] = ({"lr": 0.01},),
    *,
    steps: int = 30,
    atol: float = 1e-10,
    problems: Sequence[_Problem] | None = None,
    mistakes: Sequence[tuple[str, Any]] = (),
) -> CheckResult:
    """Run ``student_cls`` and ``reference`` (a ``torch.optim`` class) side by side in float64.

    For every configuration and problem, both take ``steps`` steps from the same start; the
    check passes when the parameters agree to ``atol`` at every step. On a failure it reports
    the configuration, the problem and the step at which the paths parted; ``mistakes`` is a
    list of ``(hint, wrong_optimizer_class)``: when the student's path matches one of them,
    its hint names the mistake.
    """
    title = f"{getattr(student_cls, '__name__', student_cls)} against torch.optim.{reference.__name__}"

    def body() -> CheckResult:
        probs = list(problems) if problems is not None else DEFAULT_PROBLEMS
        usable = [c for c in configs if _accepts(student_cls, c)]
        if not usable:
            return CheckResult(FAIL, title, "your class accepts none of the tested hyperparameters "
                               f"{[sorted(c) for c in configs]}", "declare them in defaults_.")
        for config in usable:
            for prob in probs:
                ref_path, _ = _run(reference, config, prob, steps)
                try:
                    stu_path, _ = _run(student_cls, config, prob, steps)
                except NotImplementedError:
                    raise
                except Exception as exc:
                    return CheckResult(ERROR, title, f"with {config} on {prob.name}, your step raised "
                                       f"{type(exc).__name__}: {exc}")
                for t, (a, b) in enumerate(zip(stu_path, ref_path, strict=True)):
                    if not np.all(np.isfinite(a)) and np.all(np.isfinite(b)):
                        return CheckResult(FAIL, title, f"with {config} on {prob.name}: your parameters "
                                           f"became nan/inf at step {t}", _nan_hint(config))
                    err = float(np.max(np.abs(a - b)))
                    if not err <= atol:
                        hint = _diagnose(mistakes, config, prob, steps, stu_path, atol) or _generic_hint(t, config)
                        return CheckResult(FAIL, title, f"with {config} on {prob.name}: the paths part at "
                                           f"step {t} (max |difference| = {err:.3g})", hint)
        n = len(usable) * len(probs)
        return CheckResult(PASS, title, f"identical to torch to {atol:g} over {steps} steps "
                           f"in {n} runs ({len(usable)} configurations x {len(probs)} problems).")

    return _guard(title, body)


def _diagnose(mistakes, config, prob, steps, stu_path, atol) -> str | None:
    for hint, wrong_cls in mistakes:
        try:
            wrong_path, _ = _run(wrong_cls, config, prob, steps)
        except Exception:
            continue
        if all(np.allclose(a, b, rtol=0, atol=max(atol, 1e-12), equal_nan=True)
               for a, b in zip(stu_path, wrong_path, strict=True)):
            return hint
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
    return "the run blew up: check the sign of the update and the learning rate."


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
