"""Run an optimizer on a 2-D landscape and record where it went.

Every recorded point carries the loss *at that point*: ``losses[k] == f(positions[k])``.
(Seed 001's logger paired each new point with the loss of the previous one.)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from .landscapes import Landscape

__all__ = ["Trajectory", "run_trajectory"]


@dataclass
class Trajectory:
    """Positions (steps + 1, 2) and losses (steps + 1,) of one run; index 0 is the start."""

    positions: np.ndarray
    losses: np.ndarray
    label: str = ""
    diverged: bool = False

    @property
    def final_loss(self) -> float:
        return float(self.losses[-1])

    @property
    def final_position(self) -> np.ndarray:
        return self.positions[-1]

    def __len__(self) -> int:
        return len(self.losses)


def _label(optimizer: Any, hyperparams: dict[str, Any]) -> str:
    name = getattr(optimizer, "__name__", type(optimizer).__name__)
    if not hyperparams:
        return name
    parts = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in hyperparams.items())
    return f"{name} ({parts})"


def run_trajectory(
    landscape: Landscape | Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    optimizer: Callable[..., torch.optim.Optimizer],
    start: Sequence[float],
    steps: int,
    *,
    label: str | None = None,
    dtype: torch.dtype = torch.float64,
    scheduler: Callable[[torch.optim.Optimizer], Any] | None = None,
    stop_on_divergence: bool = True,
    divergence_threshold: float = 1e12,
    **hyperparams: Any,
) -> Trajectory:
    """Run ``optimizer([w], **hyperparams)`` for ``steps`` steps on ``landscape`` from ``start``.

    ``optimizer`` is any optimizer class (ours or ``torch.optim``'s, LBFGS included: the step is
    given a closure). ``scheduler``, if given, is called with the optimizer to build an lr
    scheduler that is stepped after each optimizer step. A run whose loss becomes non-finite
    or exceeds ``divergence_threshold`` stops early with ``diverged=True``.
    """
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    if len(start) != 2:
        raise ValueError(f"start must be a point (x, y), got {start!r}")
    f = landscape
    w = torch.nn.Parameter(torch.tensor([float(s) for s in start], dtype=dtype))
    opt = optimizer([w], **hyperparams)
    sched = scheduler(opt) if scheduler is not None else None

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = f(w[0], w[1])
        loss.backward()
        return loss

    with torch.no_grad():
        positions = [w.detach().clone()]
        losses = [float(f(w[0], w[1]))]
    diverged = False
    for _ in range(steps):
        opt.step(closure)
        if sched is not None:
            sched.step()
        with torch.no_grad():
            loss = float(f(w[0], w[1]))  # the loss at the point just recorded
        positions.append(w.detach().clone())
        losses.append(loss)
        if stop_on_divergence and (not math.isfinite(loss) or abs(loss) > divergence_threshold):
            diverged = True
            break
    return Trajectory(
        positions=torch.stack(positions).numpy(),
        losses=np.asarray(losses),
        label=label if label is not None else _label(optimizer, hyperparams),
        diverged=diverged,
    )
