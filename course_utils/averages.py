"""Exponentially weighted moving averages (notebook 01), reused by the LR finder's smoothing."""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["ewma", "ewma_weights", "effective_window"]


def _check_beta(beta: float) -> None:
    if not 0.0 <= beta < 1.0:
        raise ValueError(f"beta must be in [0, 1), got {beta!r}")


def ewma(x: Tensor, beta: float, bias_correction: bool = False) -> Tensor:
    """a_t = beta a_{t-1} + (1 - beta) x_t with a_0 = 0, for t = 1..T along the first dimension.

    With ``bias_correction`` it returns a_t / (1 - beta^t), which is exact for a constant series.
    """
    _check_beta(beta)
    x = torch.as_tensor(x)
    if not x.is_floating_point():
        x = x.to(torch.get_default_dtype())
    out = torch.empty_like(x)
    v = torch.zeros_like(x[0]) if len(x) else None
    for t in range(1, len(x) + 1):
        v = beta * v + (1 - beta) * x[t - 1]
        out[t - 1] = v / (1 - beta**t) if bias_correction else v
    return out


def ewma_weights(t: int, beta: float, dtype: torch.dtype = torch.float64) -> Tensor:
    """The weights alpha_k = (1 - beta) beta^(t - k), k = 1..t, with which a_t averages x_1..x_t.

    They sum to 1 - beta^t, not to 1: the missing mass beta^t is the weight of a_0 = 0.
    """
    _check_beta(beta)
    if t < 1:
        raise ValueError(f"t must be >= 1, got {t}")
    k = torch.arange(1, t + 1, dtype=dtype)
    return (1 - beta) * beta ** (t - k)


def effective_window(beta: float) -> float:
    """1 / (1 - beta): the number of recent values that carry most of the weight (about 63%)."""
    _check_beta(beta)
    return 1.0 / (1.0 - beta)
