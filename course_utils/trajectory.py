"""Run an optimizer on a 2-D landscape and record where it went.

Every recorded point carries the loss *at that point*: ``losses[k] == f(positions[k])``.
(Seed 001's logger paired each new point with the loss of the previous one.) A run also records
the learning rate each step used and, on request, the optimizer's state buffers after each step;
`max_path_difference` compares two runs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from .landscapes import Landscape

__all__ = ["Trajectory", "max_path_difference", "run_trajectory"]


@dataclass
class Trajectory:
    """Positions (steps + 1, 2) and losses (steps + 1,) of one run; index 0 is the start.

    ``lrs[k]`` is the learning rate step k + 1 used (steps,; nan for an optimizer without an
    ``"lr"``), and ``states[name][k]`` the
    optimizer's state buffer ``name`` after step k + 1 (steps, 2), for the names given to
    `run_trajectory` as ``record_state`` (empty when none was asked for or given by hand).
    """

    positions: np.ndarray
    losses: np.ndarray
    label: str = ""
    diverged: bool = False
    lrs: np.ndarray = field(default_factory=lambda: np.empty(0))
    states: dict[str, np.ndarray] = field(default_factory=dict)

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
    record_state: str | Sequence[str] = (),
    **hyperparams: Any,
) -> Trajectory:
    """Run ``optimizer([w], **hyperparams)`` for ``steps`` steps on ``landscape`` from ``start``.

    ``optimizer`` is any optimizer class (ours or ``torch.optim``'s, LBFGS included: the step is
    given a closure). ``scheduler``, if given, is called with the optimizer to build an lr
    scheduler that is stepped after each optimizer step. A run whose loss becomes non-finite
    or exceeds ``divergence_threshold`` stops early with ``diverged=True``. ``record_state``
    names state buffers of the parameter (e.g. ``"sum"`` for Adagrad, ``"square_avg"`` for
    RMSProp) to copy after every step into ``trajectory.states``; the lr of every step is in
    ``trajectory.lrs``.
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

    names = [record_state] if isinstance(record_state, str) else list(record_state)
    with torch.no_grad():
        positions = [w.detach().clone()]
        losses = [float(f(w[0], w[1]))]
    lrs: list[float] = []
    states: dict[str, list[torch.Tensor]] = {name: [] for name in names}
    diverged = False
    for _ in range(steps):
        lrs.append(float(opt.param_groups[0].get("lr", math.nan)))  # nan: an optimizer without "lr"
        opt.step(closure)
        if sched is not None:
            sched.step()
        with torch.no_grad():
            loss = float(f(w[0], w[1]))  # the loss at the point just recorded
        positions.append(w.detach().clone())
        losses.append(loss)
        for name in names:
            states[name].append(_state_buffer(opt, w, name))
        if stop_on_divergence and (not math.isfinite(loss) or abs(loss) > divergence_threshold):
            diverged = True
            break
    return Trajectory(
        positions=torch.stack(positions).numpy(),
        losses=np.asarray(losses),
        label=label if label is not None else _label(optimizer, hyperparams),
        diverged=diverged,
        lrs=np.asarray(lrs),
        states={name: torch.stack(b).numpy() if b else np.empty((0, 2)) for name, b in states.items()},
    )


def _state_buffer(opt: torch.optim.Optimizer, w: torch.Tensor, name: str) -> torch.Tensor:
    state = opt.state[w]
    if name not in state:
        raise ValueError(f"record_state: the optimizer's state has no {name!r}; it has {sorted(state)}")
    return torch.as_tensor(state[name]).detach().clone()


def max_path_difference(a: Trajectory, b: Trajectory) -> float:
    """The largest coordinate difference between two runs over all steps: max_k ||a_k - b_k||_inf."""
    if a.positions.shape != b.positions.shape:
        raise ValueError(f"the runs have different lengths: {len(a)} and {len(b)} points")
    return float(np.max(np.abs(a.positions - b.positions)))
