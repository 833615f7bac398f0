"""Checks of notebook 02 (momentum): which trajectory is which; a torch config equal to the EMA form."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from ..landscapes import Landscape, pathological, quadratic
from ..optim import OptimizerBase
from ..trajectory import run_trajectory
from .core import ERROR, FAIL, PASS, CheckResult, guard

__all__ = [
    "MOMENTUM_QUIZ_TRUTH",
    "check_ema_torch_config",
    "check_momentum_quiz",
    "momentum_quiz",
]


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
    land = quadratic((1.0, 20.0), angle=math.pi / 6)
    start, lr, beta = (-1.6, 1.2), 0.03, 0.85
    hps = {"GD": {}, "momentum": {"momentum": beta}, "Nesterov": {"momentum": beta, "nesterov": True}}
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
                    "look-ahead point, so it brakes before it reaches the far wall. Which run swings less "
                    "across the ravine?")
        return CheckResult(FAIL, title, f"{', '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} not right.", hint)

    return guard(title, body)


class _EMAMomentum(OptimizerBase):
    """The averaging form: m_0 = 0, m_t = beta m_{t-1} + (1 - beta) g_t, theta <- theta - eta m_t."""

    defaults_ = {"eta": 0.1, "beta": 0.9}

    def __init__(self, params, eta: float, beta: float) -> None:
        super().__init__(params, eta=eta, beta=beta)

    def init_state(self, p, state, group):
        state["m"] = torch.zeros_like(p)

    def update_param(self, p, grad, state, group):
        state["m"].mul_(group["beta"]).add_(grad, alpha=1 - group["beta"])
        p.add_(state["m"], alpha=-group["eta"])


def _landscape_path(land: Landscape, start: Sequence[float], make_opt: Callable[[list], Any],
                    steps: int = 30) -> np.ndarray:
    """Positions (steps + 1, 2) of ``make_opt([w])`` on ``land`` from ``start``, in float64,
    every step taken (a run that blows up keeps its nan/inf points)."""
    return run_trajectory(land, make_opt, start, steps, label="", stop_on_divergence=False).positions


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

    return guard(title, body)


def _ema_config_hint(kw: dict[str, Any], eta: float, beta: float, t: int) -> str:
    lr, mu = float(kw.get("lr", 1e-3)), float(kw.get("momentum", 0.0))
    damp, nesterov = float(kw.get("dampening", 0.0)), bool(kw.get("nesterov", False))
    if not math.isclose(mu, beta, rel_tol=1e-9):
        return "the buffer must forget at the same rate as the average: which torch argument plays beta's role?"
    if nesterov:
        return "the averaging form has no look-ahead: leave nesterov=False."
    if math.isclose(damp, beta, rel_tol=1e-9) and math.isclose(lr, eta, rel_tol=1e-9):
        return ("close, but torch does not dampen the first buffer (b_1 = g_1): compare your first step "
                "with the averaging form's, which starts from m_0 = 0.")
    if damp == 0 and math.isclose(lr, eta, rel_tol=1e-9):
        return ("with dampening = 0 torch's buffer sums the gradients without the average's factor "
                "(1 - beta): compare the sizes of your steps and of the averaging form's.")
    if damp != 0:
        return ("with dampening > 0 the first buffer (b_1 = g_1, undampened) and the later ones are scaled "
                "differently, so no lr can fix every step: use dampening = 0.")
    return ("the averaging form's step is eta * m_t with m_t = (1 - beta) * b_t, where b_t is torch's "
            "buffer (dampening = 0): which lr makes lr * b_t equal eta * m_t?")
