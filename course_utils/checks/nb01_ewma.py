"""Checks of notebook 01 (exponentially weighted averages and bias correction)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch

from ..averages import ewma, ewma_weights
from .core import FAIL, PASS, CheckResult, check_value, fmt, guard

__all__ = [
    "check_bias_fading",
    "check_bias_steps",
    "check_ewma",
    "check_ewma_weights",
]


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


def check_bias_fading(corrected_limit: Any, first_step: Any, beta: float = 0.9, tol: float = 0.01,
                      level: float = 3.0) -> CheckResult:
    """Notebook 01, exercise 3: the limit of the bias-corrected average of the constant series
    x_t = ``level`` (it is ``level``; the correction *factor* 1/(1 - beta^t) is what tends to 1), then
    the first t at which the bias factor beta^t drops below ``tol``."""
    title = f"what the corrected average tends to, and when beta^t < {tol:g} (beta = {beta:g})"

    def body() -> CheckResult:
        if corrected_limit is None or corrected_limit is Ellipsis:
            raise NotImplementedError
        limit = float(corrected_limit)
        if not math.isclose(limit, level, rel_tol=1e-6):
            if math.isclose(limit, 1.0, rel_tol=1e-6):
                hint = ("1 is the limit of the correction factor 1/(1 - beta^t); the corrected average is an "
                        "average of the data.")
            else:
                hint = "a corrected EWMA is a weighted average whose weights sum to 1: average a constant series."
            return CheckResult(FAIL, title, f"corrected_limit = {fmt(limit)} is not right.", hint)
        steps = check_bias_steps(first_step, beta, tol)
        if steps.status != PASS:
            return CheckResult(steps.status, title, "corrected_limit is right; " + (steps.message or
                               "first_step_below_1pct is not answered yet."), steps.hint)
        return CheckResult(PASS, title, f"the corrected average tends to {fmt(level)} (the factor tends to 1), "
                           f"and beta^t first drops below {tol:g} at t = {int(round(float(first_step)))}.")

    return guard(title, body)



# --------------------------------------------------------------------------------------------
# EWMA (notebook 01)
# --------------------------------------------------------------------------------------------
def check_ewma(student_fn: Callable[..., Any]) -> CheckResult:
    """``student_fn(x, beta, bias_correction)`` must equal a_t (or a_t / (1 - beta^t)) for t = 1..T."""
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
                msg = f"{case}: first wrong at t = {t}: got {fmt(got[t - 1])}, expected {fmt(want[t - 1])}"
                if corrected and torch.allclose(got, ewma(x, beta, False)):
                    hint = "the bias correction is missing (section 5)."
                elif corrected and not bool(torch.isfinite(got[0])):
                    hint = "t counts from 1: the first corrected value should be finite (it equals x_1)."
                elif corrected and torch.allclose(got, _ewma_exponent_shift(x, beta, +1)):
                    hint = "an off-by-one in the exponent of the correction: which t belongs to the first value?"
                elif torch.allclose(got, _ewma_started_at_first(x, beta, corrected)):
                    hint = "start from a_0 = 0: the bias, and its correction, come from the zero start."
                elif torch.allclose(got, _ewma_swapped(x, beta, corrected)):
                    hint = "beta and 1 - beta are swapped: which one should weight the old average?"
                else:
                    hint = "compare your first two values with the update rule of section 1, by hand."
                return CheckResult(FAIL, title, msg, hint)
        return CheckResult(PASS, title, "matches the reference for beta in {0.5, 0.9, 0.98}, with and without correction.")

    return guard(title, body)


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
    """``student_fn(t, beta)`` must return the weights of x_1..x_t in a_t: (1 - beta) beta^(t - k)."""
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
                hint = "the order is reversed: which value, the oldest or the newest, has the largest weight?"
            elif torch.allclose(got, want / want.sum(), rtol=1e-9, atol=1e-12):
                hint = "these are the bias-corrected weights (they sum to 1); the raw ones sum to 1 - beta^t."
            elif torch.allclose(got, want / (1 - beta), rtol=1e-9, atol=1e-12):
                hint = "compare the sum of your weights with 1 - beta^t."
            else:
                hint = "unroll the update rule of section 1 down to a_0 = 0."
            return CheckResult(FAIL, title, f"wrong weights for t={t}, beta={beta}", hint)
        return CheckResult(PASS, title, "right, and they sum to 1 - beta^t.")

    return guard(title, body)
