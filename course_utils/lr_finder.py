"""The learning-rate range test, notebook 06.

Smith (2017) introduced the range test with a linear sweep, reading off the accuracy; this is
the version of fastai's ``lr_find`` and of the ``torch-lr-finder`` package. Train for
T = ``num_iter`` updates while the learning rate grows from ``start_lr`` to ``end_lr``
(geometrically: eta_t = start * (end / start)^((t - 1) / (T - 1)) for update t = 1..T, or
linearly), record the loss of every batch, smooth it with a bias-corrected EWMA, stop when it
diverges, then put the model and the optimizer back exactly as they were. The largest learning
rate at which the loss still falls fast is a good base learning rate.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from matplotlib.figure import Figure
from torch import Tensor, nn

__all__ = [
    "LRFinderResult",
    "lr_schedule",
    "lr_range_test",
    "suggest_lrs",
    "valley_index",
    "plot_lr_finder",
]


def lr_schedule(start_lr: float, end_lr: float, num_iter: int, step_mode: str = "exp") -> np.ndarray:
    """The learning rates of the range test: entry t - 1 is eta_t, for update t = 1..T (T = num_iter).

    exp:    eta_t = start_lr * (end_lr / start_lr)^((t - 1) / (T - 1))   (evenly spaced in log lr)
    linear: eta_t = start_lr + (end_lr - start_lr) * (t - 1) / (T - 1)
    Both start exactly at ``start_lr`` and end exactly at ``end_lr``.
    """
    for name, value in (("start_lr", start_lr), ("end_lr", end_lr)):
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    if not start_lr < end_lr:
        raise ValueError(f"start_lr must be < end_lr, got start_lr={start_lr!r} >= end_lr={end_lr!r}")
    if isinstance(num_iter, bool) or not isinstance(num_iter, int) or num_iter < 2:
        raise ValueError(f"num_iter must be an integer >= 2, got {num_iter!r}")
    i = np.arange(num_iter, dtype=np.float64)
    if step_mode == "exp":
        lrs = start_lr * (end_lr / start_lr) ** (i / (num_iter - 1))
    elif step_mode == "linear":
        lrs = start_lr + (end_lr - start_lr) * i / (num_iter - 1)
    else:
        raise ValueError(f"step_mode must be 'exp' or 'linear', got {step_mode!r}")
    lrs[0], lrs[-1] = start_lr, end_lr  # exact ends, whatever the rounding
    return lrs


@dataclass
class LRFinderResult:
    """What a range test recorded, one entry per step taken.

    ``losses[t - 1]`` is the loss of batch t, computed at the parameters before update t, which
    used the learning rate ``lrs[t - 1]``; ``smoothed[t - 1]`` is its bias-corrected EWMA. ``stop_reason`` is ``"end_lr"`` (ran to the end),
    ``"diverged"`` (smoothed loss above ``diverge_threshold`` times its best) or ``"nan"``.
    """

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    stop_reason: str
    smooth_beta: float
    diverge_threshold: float
    suggestions: dict[str, float] = field(default_factory=dict)

    @property
    def diverged(self) -> bool:
        return self.stop_reason in ("diverged", "nan")

    @property
    def best_loss(self) -> float:
        """The lowest smoothed loss, and `lr_at_min` the lr where it occurred."""
        return float(np.nanmin(self.smoothed))

    @property
    def lr_at_min(self) -> float:
        return float(self.lrs[int(np.nanargmin(self.smoothed))])

    def __len__(self) -> int:
        return len(self.lrs)

    def __repr__(self) -> str:
        sug = ", ".join(f"{k}={v:.3g}" for k, v in self.suggestions.items())
        return (f"LRFinderResult({len(self)} steps, lr {self.lrs[0]:.3g} -> {self.lrs[-1]:.3g}, "
                f"stopped: {self.stop_reason}; suggestions: {sug})")


# --------------------------------------------------------------------------------------------
# Suggestions
# --------------------------------------------------------------------------------------------
def valley_index(smoothed: Sequence[float]) -> tuple[int, int, int]:
    """The valley rule (fastai's ``valley``): returns ``(start, end, pick)``, indices.

    1. For every i, ``length[i]`` is the length of the longest strictly decreasing subsequence
       of the smoothed loss that ends at i (dynamic programming; a subsequence, so a single
       noisy uptick does not end the descent).
    2. The valley ends at ``end``, the first i with the largest ``length[i] = L``, and is taken
       to be the L points before it: ``start = end - L + 1``. (Counting points rather than
       following the subsequence back keeps a few lucky noisy points far out on the initial
       plateau from stretching the valley back to the start.)
    3. The suggestion is the point halfway along it, ``pick = start + (end - start) // 2``:
       well inside the descent, away from its bottom, where the loss is about to turn up.
    fastai picks ``start + int(S) + int(S / 2)`` with ``S = (end - start) / 3``, nearly the same point.
    """
    y = np.asarray(smoothed, dtype=np.float64)
    n = len(y)
    if n == 0:
        raise ValueError("smoothed is empty")
    length = np.ones(n, dtype=np.int64)
    for i in range(1, n):
        higher = y[:i] > y[i]  # earlier points this one can continue down from
        if higher.any():
            length[i] = int(length[:i][higher].max()) + 1
    end = int(np.argmax(length))
    start = end - int(length[end]) + 1
    return start, end, start + (end - start) // 2


def suggest_lrs(lrs: Sequence[float], smoothed: Sequence[float], skip_start: int | None = None) -> dict[str, float]:
    """Three suggestions from a smoothed range-test curve (nan entries are dropped first).

    min/10:   the lr of the lowest smoothed loss, divided by 10;
    steepest: the lr where d loss / d ln(lr) is most negative (``np.gradient`` of the smoothed
              loss against ln lr: central differences inside, one-sided at the ends), searched
              only in the descent: from ``skip_start`` up to the lowest loss;
    valley:   the lr at `valley_index`'s pick, on the same stretch.
    ``skip_start`` (default: a tenth of the points, as fastai) leaves out the first points,
    where the bias-corrected average rests on only a few noisy losses and where whatever
    happens past the minimum (a blow-up and its aftermath) cannot be mistaken for a descent.
    """
    lrs = np.asarray(lrs, dtype=np.float64)
    y = np.asarray(smoothed, dtype=np.float64)
    if lrs.shape != y.shape:
        raise ValueError(f"lrs and smoothed must have the same length, got {len(lrs)} and {len(y)}")
    keep = np.isfinite(y)
    lrs, y = lrs[keep], y[keep]
    n = len(y)
    if n < 3:
        raise ValueError(f"need at least 3 finite losses to suggest a learning rate, got {n}")
    if np.any(lrs <= 0):
        raise ValueError("learning rates must be > 0")
    skip = n // 10 if skip_start is None else int(skip_start)
    if skip < 0:
        raise ValueError(f"skip_start must be >= 0, got {skip_start!r}")
    i_min = int(np.argmin(y))
    lo = skip if i_min - skip >= 2 else 0  # the descent [lo, i_min] needs at least 3 points
    hi = max(i_min, lo + 2)
    slope = np.gradient(y, np.log(lrs))
    _, _, pick = valley_index(y[lo:hi + 1])
    return {
        "steepest": float(lrs[lo + int(np.argmin(slope[lo:hi + 1]))]),
        "min/10": float(lrs[i_min] / 10.0),
        "valley": float(lrs[lo + pick]),
    }


# --------------------------------------------------------------------------------------------
# The range test
# --------------------------------------------------------------------------------------------
def _batches(loader: Iterable[Any]):
    """Yield batches forever, starting the loader again whenever it runs out."""
    while True:
        empty = True
        for batch in loader:
            empty = False
            yield batch
        if empty:
            raise ValueError("loader yielded no batches")


def lr_range_test(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    loader: Iterable[Any],
    start_lr: float = 1e-7,
    end_lr: float = 10.0,
    num_iter: int = 100,
    step_mode: str = "exp",
    smooth_beta: float = 0.98,
    diverge_threshold: float = 5.0,
    *,
    restore: bool = True,
    device: torch.device | str | None = None,
) -> LRFinderResult:
    """Run the learning-rate range test and put the model and the optimizer back afterwards.

    Update t (t = 1..num_iter) sets every parameter group's lr to eta_t (see `lr_schedule`;
    the lr lives in ``optimizer.param_groups``, so this works for any torch optimizer), takes
    the next batch ``(x, y)`` of ``loader`` (cycled if it runs out), computes
    ``loss = loss_fn(model(x), y)``, and takes one optimizer step. The loss is smoothed with the
    bias-corrected EWMA of notebook 01:

        a_t = beta a_{t-1} + (1 - beta) loss_t,  a_0 = 0;   smoothed_t = a_t / (1 - beta^t)

    and the test stops early when the loss is nan/inf or ``smoothed_t > diverge_threshold * min_{s<=t}
    smoothed_s`` (a loss that must be positive, as cross-entropy and MSE are). With ``restore``,
    deep copies of ``model.state_dict()`` and ``optimizer.state_dict()`` taken before are loaded
    back afterwards (parameters, buffers, optimizer state, lrs), and the model's train/eval mode
    is restored; random number generators are not rewound.
    """
    lrs = lr_schedule(start_lr, end_lr, num_iter, step_mode)
    if not 0.0 <= smooth_beta < 1.0:
        raise ValueError(f"smooth_beta must be in [0, 1), got {smooth_beta!r}")
    if not (isinstance(diverge_threshold, (int, float)) and diverge_threshold > 1):
        raise ValueError(f"diverge_threshold must be > 1, got {diverge_threshold!r}")
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")

    saved_model = copy.deepcopy(model.state_dict()) if restore else None
    saved_opt = copy.deepcopy(optimizer.state_dict()) if restore else None
    was_training = model.training
    if device is not None:
        model.to(device)

    used, raw, smooth = [], [], []
    avg, best, stop = 0.0, math.inf, "end_lr"
    batches = _batches(loader)
    model.train()
    try:
        for i, lr in enumerate(lrs, start=1):
            for group in optimizer.param_groups:
                group["lr"] = float(lr)
            xb, yb = next(batches)
            if device is not None:
                xb, yb = xb.to(device), yb.to(device)
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            value = float(loss.detach())
            used.append(float(lr))
            raw.append(value)
            if not math.isfinite(value):
                smooth.append(math.nan)
                stop = "nan"
                break
            loss.backward()
            optimizer.step()
            avg = smooth_beta * avg + (1 - smooth_beta) * value
            smoothed = avg / (1 - smooth_beta**i)
            smooth.append(smoothed)
            best = min(best, smoothed)
            if smoothed > diverge_threshold * best:
                stop = "diverged"
                break
    finally:
        if restore:
            model.load_state_dict(saved_model)
            optimizer.load_state_dict(saved_opt)
        model.train(was_training)

    result = LRFinderResult(
        lrs=np.asarray(used), losses=np.asarray(raw), smoothed=np.asarray(smooth), stop_reason=stop,
        smooth_beta=smooth_beta, diverge_threshold=diverge_threshold,
    )
    if np.isfinite(result.smoothed).sum() >= 3:
        result.suggestions = suggest_lrs(result.lrs, result.smoothed)
    return result


# --------------------------------------------------------------------------------------------
# Plot
# --------------------------------------------------------------------------------------------
_MARKERS = {"steepest": ("o", "#D55E00"), "min/10": ("s", "#009E73"), "valley": ("D", "#CC79A7")}


def plot_lr_finder(
    result: LRFinderResult,
    *,
    ax: Any | None = None,
    show_raw: bool = True,
    suggestions: Sequence[str] | None = None,
    title: str = "Learning-rate range test",
    label: str = "smoothed loss",
    color: str = "#0072B2",
    ylim: tuple[float, float] | None = None,
) -> Figure:
    """The loss against the learning rate (log x axis): raw losses faint, the smoothed loss bold,
    and each suggestion marked on the smoothed curve with its value in the legend."""
    from .plotting import COURSE_STYLE, new_figure

    if ax is None:
        _, ax = new_figure(figsize=(6.4, 4.2))
    fig = ax.figure
    import matplotlib as mpl

    with mpl.rc_context(COURSE_STYLE):
        if show_raw:
            ax.plot(result.lrs, result.losses, color=color, alpha=0.3, linewidth=1.0,
                    label="raw loss per batch")
        ax.plot(result.lrs, result.smoothed, color=color, label=label)
        names = list(result.suggestions) if suggestions is None else list(suggestions)
        for name in names:
            lr = result.suggestions[name]
            marker, c = _MARKERS.get(name, ("^", "#000000"))
            y = float(np.interp(np.log(lr), np.log(result.lrs), result.smoothed))
            ax.axvline(lr, color=c, linestyle="--", linewidth=1.0, alpha=0.8)
            ax.plot([lr], [y], marker, color=c, markersize=9, markeredgecolor="black", zorder=5,
                    label=f"{name}: {lr:.2g}")
        ax.set_xscale("log")
        ax.set_xlabel("learning rate $\\eta$ (log scale)")
        ax.set_ylabel("training loss")
        if ylim is None:
            finite = result.smoothed[np.isfinite(result.smoothed)]
            if finite.size:
                lo, hi = float(finite.min()), float(finite[0])
                hi = max(hi, lo) + 0.1 * (max(hi, lo) - lo + 1e-12)
                top = min(float(np.nanmax(finite)), lo + 2.5 * (hi - lo))
                ylim = (lo - 0.05 * (top - lo + 1e-12), max(top, hi))
        if ylim is not None:
            ax.set_ylim(*ylim)
        ax.set_title(title)
        ax.legend(loc="best")
    return fig
