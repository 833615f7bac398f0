"""Checks of notebook 07 (learning-rate schedules)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from ..schedules import compare_lrs, torch_lrs
from ..training import RecordingSGD
from .core import FAIL, PASS, CheckResult, fmt, guard

__all__ = [
    "check_scheduler_order",
    "check_warmup_cosine",
]


def _torch_warmup_cosine(base_lr: float, warmup: int, total: int, start_factor: float, steps: int) -> np.ndarray:
    from torch.optim import lr_scheduler as L

    def make(opt):
        warm = L.LinearLR(opt, start_factor=start_factor, end_factor=1.0, total_iters=warmup)
        cos = L.CosineAnnealingLR(opt, T_max=total - warmup)
        return L.SequentialLR(opt, [warm, cos], milestones=[warmup])

    return torch_lrs(make, base_lr, steps)


def _warmup_cosine_mistakes(t: int, base: float, w: int, total: int, s: float) -> dict[str, float]:
    def cos(u: float, T: int) -> float:
        return base * (1 + math.cos(math.pi * u / T)) / 2

    warm = base * (s + (1 - s) * t / w)
    return {
        "the warmup must reach base_lr at t = warmup_steps, not one step earlier: t / warmup_steps, "
        "not t / (warmup_steps - 1).":
            (base * (s + (1 - s) * min(t / (w - 1), 1.0)) if w > 1 else warm) if t < w else cos(t - w, total - w),
        "the warmup starts at start_factor * base_lr, not at 0.":
            base * t / w if t < w else cos(t - w, total - w),
        "off by one where the cosine starts: at t = warmup_steps the lr is base_lr, cos(0); use t - warmup_steps.":
            warm if t < w else cos(t - w + 1, total - w),
        "the cosine phase lasts total_steps - warmup_steps steps (torch: T_max = total_steps - warmup_steps).":
            warm if t < w else cos(t - w, total),
        "the cosine runs on the global step t; it restarts its own clock at the milestone: t - warmup_steps.":
            warm if t < w else cos(t, total - w),
    }


def check_warmup_cosine(student_fn: Callable[..., Any]) -> CheckResult:
    """``student_fn(t, base_lr, warmup_steps, total_steps, start_factor)`` must equal torch's
    ``SequentialLR([LinearLR(start_factor), CosineAnnealingLR(T_max=total-warmup)], [warmup])``
    at every step t = 0..total_steps."""
    title = "cosine with linear warmup, against torch (LinearLR then CosineAnnealingLR)"

    def body() -> CheckResult:
        for base, w, total, s in ((0.1, 5, 30, 0.1), (1.0, 10, 50, 0.01), (0.5, 1, 8, 0.5), (2.0, 20, 21, 0.2)):
            want = _torch_warmup_cosine(base, w, total, s, total + 1)
            got = np.asarray([float(student_fn(t, base, w, total, s)) for t in range(total + 1)])
            cmp = compare_lrs(got, want, rtol=1e-9)
            if cmp:
                continue
            case = f"base_lr={base}, warmup_steps={w}, total_steps={total}, start_factor={s}"
            msg = f"{case}: at t = {cmp.first_mismatch} you give {fmt(got[cmp.first_mismatch])}, torch {fmt(want[cmp.first_mismatch])}"
            hint = "t < W: base_lr * (s + (1 - s) * t / W);  t >= W: base_lr * (1 + cos(pi (t - W) / (T - W))) / 2."
            for text in _warmup_cosine_mistakes(0, base, w, total, s):
                wrong = [_warmup_cosine_mistakes(t, base, w, total, s)[text] for t in range(total + 1)]
                if compare_lrs(got, wrong, rtol=1e-9):
                    hint = text
                    break
            return CheckResult(FAIL, title, msg, hint)
        return CheckResult(PASS, title, "equal to torch's SequentialLR at every step in 4 configurations.")

    return guard(title, body)


def check_scheduler_order(student_fn: Callable[..., Any]) -> CheckResult:
    """``student_fn(model, optimizer, scheduler, loss_fn, batches)`` trains one epoch with a
    per-batch scheduler: the k-th update must use the schedule's k-th lr (k = 0, 1, ...), with
    ``scheduler.step()`` after ``optimizer.step()`` and no warning from torch."""
    import warnings

    title = "scheduler.step() after optimizer.step()"

    def body() -> CheckResult:
        gen = torch.Generator().manual_seed(0)
        model = torch.nn.Linear(3, 1)
        batches = [(torch.randn(4, 3, generator=gen), torch.randn(4, 1, generator=gen)) for _ in range(6)]
        opt = RecordingSGD(model.parameters(), lr=0.1)
        sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            student_fn(model, opt, sched, torch.nn.functional.mse_loss, batches)
        order = [str(w.message) for w in caught if "lr_scheduler.step()" in str(w.message)]
        want = [0.1 * 0.5**k for k in range(len(batches))]
        used = opt.lrs
        if len(used) != len(batches):
            return CheckResult(FAIL, title, f"{len(used)} optimizer steps for {len(batches)} batches",
                               "one optimizer.step() per batch.")
        if np.allclose(used, want, rtol=1e-12):
            if order:
                return CheckResult(FAIL, title, "the lrs are right, but torch warned: " + order[0][:80] + "...",
                                   "call scheduler.step() after optimizer.step().")
            return CheckResult(PASS, title, "update k used the schedule's k-th lr, and torch did not warn.")
        msg = "lrs used: " + ", ".join(f"{u:.4g}" for u in used) + "; expected: " + ", ".join(f"{u:.4g}" for u in want)
        if np.allclose(used, [0.1 * 0.5 ** (k + 1) for k in range(len(batches))], rtol=1e-12):
            hint = ("the first update already used the second lr: scheduler.step() ran before optimizer.step(), "
                    "so the schedule's first value was skipped" + (" (and torch warned)." if order else "."))
        elif np.allclose(used, [0.1] * len(batches)):
            hint = "the lr never changed: step the scheduler once per batch, after optimizer.step()."
        else:
            hint = "per batch: zero_grad, forward, backward, optimizer.step(), then scheduler.step()."
        return CheckResult(FAIL, title, msg, hint)

    return guard(title, body)
