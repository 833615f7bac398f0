"""Checks of notebook 00 (gradient descent): the critical learning rate, the trajectory logger."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from ..landscapes import quadratic
from ..optim import GD
from .core import FAIL, PASS, CheckResult, check_value, fmt, guard

__all__ = [
    "check_critical_lr",
    "check_trajectory_logger",
]


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



# --------------------------------------------------------------------------------------------
# Trajectory logging (notebook 00's spot-the-bug)
# --------------------------------------------------------------------------------------------
def check_trajectory_logger(student_fn: Callable[..., Any]) -> CheckResult:
    """``student_fn(landscape, optimizer_cls, start, steps, **hyperparams)`` returns
    ``(positions, losses)`` with ``losses[k] == landscape(*positions[k])`` for k = 0..steps."""
    title = "trajectory logger"

    def body() -> CheckResult:
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
                               "at which point was each recorded loss computed, and which point is stored "
                               "next to it?")
        k = int(np.argmax(~np.isclose(losses, truth, rtol=1e-6, atol=1e-9)))
        return CheckResult(FAIL, title, f"losses[{k}] = {fmt(losses[k])} but the loss at positions[{k}] is {fmt(truth[k])}",
                           "losses[k] must be f(positions[k]).")

    return guard(title, body)
