"""Checks of notebook 04 (Adam): Adam's first step, where eps is not negligible."""

from __future__ import annotations

import math
from typing import Any

from .core import CheckResult
from .nb03_adagrad_rmsprop import check_value_escalating

__all__ = ["adam_first_step", "check_adam_first_step"]


def adam_first_step(lr: float, g1: float, eps: float = 1e-8) -> float:
    """|theta_1 - theta_0| of torch.optim.Adam: m_hat_1 = g_1, v_hat_1 = g_1^2, step lr |g_1| / (|g_1| + eps)."""
    if eps < 0:
        raise ValueError(f"eps must be >= 0, got {eps!r}")
    return lr * abs(g1) / (abs(g1) + eps)


def check_adam_first_step(answer: Any, lr: float = 1e-3, g1: float = 5e-9, eps: float = 1e-8) -> CheckResult:
    """Adam's first step for ``torch.optim.Adam(lr=lr, eps=eps)`` and a first gradient ``g1``."""
    title = f"Adam's first step for g_1 = {g1:g}"
    hints = [
        (lr, "that is the first step for a gradient far above eps. Compare |g_1| with eps here: is eps "
             "still negligible in the denominator?"),
        (lr * abs(g1), "that is gradient descent's step: Adam divides the corrected average of gradients by "
                       "the root of the corrected average of squared gradients, plus eps."),
        (lr * abs(g1) / math.sqrt(g1 * g1 + eps), "eps is added outside the square root, not inside it."),
        (lr * abs(g1) / eps, "the denominator holds the gradient's own scale as well as eps."),
        (lr * abs(g1) / (math.sqrt(1 - 0.999) * abs(g1) + eps), "the bias correction divides v_1 by 1 - beta2^1: "
                                                                "at t = 1 it makes v_hat_1 exact."),
    ]
    ladder = [
        "at t = 1 the bias correction makes both averages exact: what are m_hat_1 and v_hat_1 in terms of g_1?",
        "m_hat_1 = g_1 and v_hat_1 = g_1^2; now add eps where PyTorch adds it.",
        "the step is eta |g_1| / (|g_1| + eps).",
    ]
    return check_value_escalating(title, answer, adam_first_step(lr, g1, eps), rtol=1e-4, hints=hints,
                                  ladder=ladder)
