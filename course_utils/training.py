"""A small training loop: any model, any optimizer, an optional scheduler, a progress bar; and
`RecordingSGD`, an SGD that records the learning rate of every step it takes."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor, nn

__all__ = ["History", "RecordingSGD", "train", "evaluate", "make_mlp"]


@dataclass
class History:
    """What a run recorded: per optimizer step and per epoch."""

    step_loss: list[float] = field(default_factory=list)
    step_lr: list[float] = field(default_factory=list)
    epoch_train_loss: list[float] = field(default_factory=list)
    epoch_train_acc: list[float] = field(default_factory=list)
    epoch_val_loss: list[float] = field(default_factory=list)
    epoch_val_acc: list[float] = field(default_factory=list)
    epoch_lr: list[float] = field(default_factory=list)
    diverged: bool = False

    @property
    def final_val_acc(self) -> float:
        return self.epoch_val_acc[-1] if self.epoch_val_acc else math.nan

    @property
    def final_val_loss(self) -> float:
        return self.epoch_val_loss[-1] if self.epoch_val_loss else math.nan


class RecordingSGD(torch.optim.SGD):
    """``torch.optim.SGD`` that records the learning rate of every step it takes.

    ``lrs[k]`` is the lr (of the first parameter group) that step k + 1 used and ``n_steps``
    the number of steps: a check or a notebook sees how many steps a loop took and with which
    lr. A subclass rather than a wrapper, so torch's lr schedulers drive it as they drive SGD.
    """

    def __init__(self, params: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(params, *args, **kwargs)
        self.lrs: list[float] = []

    def step(self, closure: Any = None) -> Any:  # type: ignore[override]
        self.lrs.append(float(self.param_groups[0]["lr"]))
        return super().step(closure)

    @property
    def n_steps(self) -> int:
        return len(self.lrs)


def make_mlp(sizes: Iterable[int], activation: Callable[[], nn.Module] = nn.ReLU, seed: int | None = 0) -> nn.Sequential:
    """An MLP with the given layer sizes, e.g. ``make_mlp([64, 32, 10])``; seeded for reproducibility."""
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"sizes needs at least an input and an output size, got {sizes}")
    if seed is not None:
        torch.manual_seed(seed)
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


def _accuracy(out: Tensor, y: Tensor) -> float | None:
    if out.ndim == 2 and out.shape[1] > 1 and y.dtype == torch.int64:
        return float((out.argmax(dim=1) == y).float().mean())
    return None


@torch.no_grad()
def evaluate(model: nn.Module, loss_fn: Callable[[Tensor, Tensor], Tensor], X: Tensor, y: Tensor) -> tuple[float, float]:
    """Mean loss and accuracy (nan for regression) of ``model`` on ``(X, y)``."""
    was_training = model.training
    model.eval()
    out = model(X)
    model.train(was_training)
    acc = _accuracy(out, y)
    return float(loss_fn(out, y)), (acc if acc is not None else math.nan)


def train(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    train_loader: Iterable[tuple[Tensor, Tensor]],
    epochs: int,
    *,
    val_data: tuple[Tensor, Tensor] | None = None,
    scheduler: Any | None = None,
    scheduler_interval: str = "epoch",
    progress: bool = True,
    device: torch.device | str | None = None,
    desc: str = "training",
) -> History:
    """Train ``model`` for ``epochs`` passes over ``train_loader``.

    ``scheduler`` (any ``torch.optim.lr_scheduler``) is stepped after every optimizer step
    (``scheduler_interval="step"``) or after every epoch (``"epoch"``); ReduceLROnPlateau is
    stepped per epoch with the validation loss (or the training loss). The run stops early if
    the loss becomes non-finite (``history.diverged``).
    """
    if scheduler_interval not in ("step", "epoch"):
        raise ValueError(f"scheduler_interval must be 'step' or 'epoch', got {scheduler_interval!r}")
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    from tqdm.auto import tqdm

    plateau = isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau)
    if device is not None:
        model.to(device)
    hist = History()
    bar = tqdm(total=epochs, desc=desc, disable=not progress, leave=False)
    for _ in range(epochs):
        model.train()
        total, correct, count = 0.0, 0.0, 0
        for xb, yb in train_loader:
            if device is not None:
                xb, yb = xb.to(device), yb.to(device)
            optimizer.zero_grad()
            out = model(xb)
            loss = loss_fn(out, yb)
            loss.backward()
            optimizer.step()
            loss_value = float(loss.detach())
            hist.step_loss.append(loss_value)
            hist.step_lr.append(float(optimizer.param_groups[0]["lr"]))
            if scheduler is not None and scheduler_interval == "step" and not plateau:
                scheduler.step()
            total += loss_value * len(xb)
            acc = _accuracy(out.detach(), yb)
            correct += (acc if acc is not None else math.nan) * len(xb)
            count += len(xb)
            if not math.isfinite(loss_value):
                hist.diverged = True
                break
        if count == 0:
            bar.close()
            raise ValueError(
                f"train_loader yielded no batches in epoch {len(hist.epoch_train_loss) + 1}: pass a "
                "re-iterable loader (a DataLoader or a list), not a one-shot generator"
            )
        hist.epoch_train_loss.append(total / max(count, 1))
        hist.epoch_train_acc.append(correct / max(count, 1))
        if val_data is not None:
            X_val, y_val = val_data
            if device is not None:
                X_val, y_val = X_val.to(device), y_val.to(device)
            vl, va = evaluate(model, loss_fn, X_val, y_val)
            hist.epoch_val_loss.append(vl)
            hist.epoch_val_acc.append(va)
        hist.epoch_lr.append(float(optimizer.param_groups[0]["lr"]))
        if scheduler is not None and (scheduler_interval == "epoch" or plateau):
            if plateau:
                scheduler.step(hist.epoch_val_loss[-1] if val_data is not None else hist.epoch_train_loss[-1])
            else:
                scheduler.step()
        bar.update(1)
        bar.set_postfix(loss=f"{hist.epoch_train_loss[-1]:.4f}")
        if hist.diverged:
            break
    bar.close()
    return hist
