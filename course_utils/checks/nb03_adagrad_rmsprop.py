"""Checks of notebook 03 (Adagrad and RMSProp): RMSProp's first step, with hints that escalate.

`check_value_escalating` is `check_value` whose fallback hint (for a wrong number no known
mistake explains) grows with the number of wrong tries: the concept first, the formula only
after repeated failures, never the number. Notebook 04 uses it too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .core import FAIL, PASS, CheckResult, check_value

__all__ = [
    "check_rmsprop_first_step",
    "check_value_escalating",
    "reset_tries",
    "rmsprop_first_step",
    "wrong_tries",
]

_WRONG_TRIES: dict[str, int] = {}


def wrong_tries(title: str) -> int:
    """How many wrong answers the check called ``title`` has seen since its last pass."""
    return _WRONG_TRIES.get(title, 0)


def reset_tries(title: str | None = None) -> None:
    """Forget the wrong tries of one check (or of all checks when ``title`` is None)."""
    if title is None:
        _WRONG_TRIES.clear()
    else:
        _WRONG_TRIES.pop(title, None)


def check_value_escalating(
    title: str, answer: Any, expected: float, *, ladder: Sequence[str], rtol: float = 1e-3,
    atol: float = 0.0, hints: Sequence[tuple[float, str]] = (),
) -> CheckResult:
    """`check_value` with a hint ladder: a wrong answer that no entry of ``hints`` explains gets
    ``ladder[k]`` on its (k+1)-th wrong try (the last rung from then on). Write the ladder from
    the concept to the formula; the known-mistake ``hints`` name the mistake, never the answer."""
    if not ladder:
        raise ValueError("ladder must hold at least one hint")
    tries = wrong_tries(title)
    result = check_value(title, answer, expected, rtol=rtol, atol=atol, hints=hints,
                         default_hint=ladder[min(tries, len(ladder) - 1)])
    if result.status == PASS:
        reset_tries(title)
    elif result.status == FAIL:
        _WRONG_TRIES[title] = tries + 1
    return result


def rmsprop_first_step(lr: float, beta2: float, g1: float, eps: float = 1e-8) -> float:
    """|theta_1 - theta_0| of torch.optim.RMSprop: v_1 = (1 - beta2) g_1^2, step lr |g_1| / (sqrt(v_1) + eps)."""
    if not 0.0 <= beta2 < 1.0:
        raise ValueError(f"beta2 (torch's alpha) must be in [0, 1), got {beta2!r}")
    return lr * abs(g1) / (math.sqrt((1.0 - beta2) * g1 * g1) + eps)


def check_rmsprop_first_step(answer: Any, lr: float = 0.01, beta2: float = 0.9, g1: float = 0.3) -> CheckResult:
    """RMSProp's first step for ``torch.optim.RMSprop(lr=lr, alpha=beta2)`` and a first gradient ``g1``."""
    title = f"RMSProp's first step with alpha = {beta2:g}"
    one_minus = 1.0 - beta2
    hints = [
        (lr, "that is a bias-corrected first step (Adam's): RMSProp corrects nothing, so its average starts "
             "from v_0 = 0 and v_1 is too small."),
        (lr * abs(g1), "that is gradient descent's step: RMSProp divides the gradient by the root of its running "
                       "average of squared gradients."),
        (lr * math.sqrt(one_minus), "the factor (1 - alpha) sits under the root in the denominator, so the step "
                                    "grows, not shrinks, when alpha is close to 1."),
    ]
    no_root = "the denominator is the square root of v_1: the root applies to (1 - alpha) as well."
    default_alpha = (f"that is the first step with PyTorch's default alpha = 0.99; this question sets "
                     f"alpha = {beta2:g}.")
    if math.isclose(lr / one_minus, lr / math.sqrt(0.01), rel_tol=1e-6):
        hints.append((lr / one_minus, f"{default_alpha} Or else: {no_root}"))
    else:
        hints += [(lr / one_minus, no_root), (lr / math.sqrt(0.01), default_alpha)]
    ladder = [
        "start from v_0 = 0 and write v_1: RMSProp has no bias correction.",
        "v_1 = (1 - alpha) g_1^2, and the step divides eta g_1 by sqrt(v_1) + eps.",
        "v_1 = (1 - alpha) g_1^2, and the step divides eta g_1 by sqrt(v_1) + eps: the size of g_1 cancels "
        "(eps is far smaller than sqrt(v_1)).",
    ]
    return check_value_escalating(title, answer, rmsprop_first_step(lr, beta2, g1), rtol=1e-4, hints=hints,
                                  ladder=ladder)
