"""Checks of notebook 06 (the learning-rate range test)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from ..lr_finder import lr_schedule
from .core import FAIL, PASS, CheckResult, fmt, guard

__all__ = [
    "check_lr_pick",
    "check_lr_sequence",
    "check_set_lr",
]


def check_lr_sequence(student_fn: Callable[[float, float, int], Any]) -> CheckResult:
    """``student_fn(start_lr, end_lr, num_iter)`` must return the range test's exponential lrs
    eta_t = start_lr * (end_lr / start_lr)^((t - 1) / (T - 1)), t = 1..T with T = num_iter."""
    title = "exponential learning-rate sequence"

    def body() -> CheckResult:
        for start, end, n in ((1e-7, 10.0, 100), (1e-3, 1.0, 4), (0.01, 0.02, 2), (1e-4, 1e2, 37)):
            out = student_fn(start, end, n)
            got = (out.detach().cpu().double().numpy() if torch.is_tensor(out) else np.asarray(out, dtype=float)).ravel()
            want = lr_schedule(start, end, n, "exp")
            case = f"start_lr={start:g}, end_lr={end:g}, num_iter={n}"
            if got.shape != want.shape:
                hint = ("one lr per iteration, the first and the last included."
                        if abs(len(got) - n) != 1 else "off by one in the count: range(num_iter) gives num_iter values.")
                return CheckResult(FAIL, title, f"{case}: expected {n} values, got {len(got)}", hint)
            if np.allclose(got, want, rtol=1e-9, atol=0):
                continue
            i = np.arange(n)
            if np.allclose(got, lr_schedule(start, end, n, "linear"), rtol=1e-9):
                hint = ("these are evenly spaced in lr (linear): the range test spaces them evenly in log lr, "
                        "a constant ratio (end/start)^(1/(num_iter-1)) from one to the next.")
            elif np.allclose(got, start * (end / start) ** (i / n), rtol=1e-9):
                hint = ("the last lr falls short of end_lr: between the first and the last of num_iter values "
                        "there are num_iter - 1 equal factors.")
            elif np.allclose(got, start * (end / start) ** ((i + 1) / (n - 1)), rtol=1e-9):
                hint = ("the first lr must be start_lr itself: the first update uses start_lr, "
                        "each later one is one factor larger.")
            elif np.allclose(got, want[::-1], rtol=1e-9):
                hint = "the sequence runs backwards: it starts at start_lr and grows."
            else:
                hint = ("start at start_lr, end at end_lr, and multiply by the same factor from one lr "
                        "to the next (equal steps in log lr).")
            k = int(np.argmax(~np.isclose(got, want, rtol=1e-9, atol=0)))
            return CheckResult(FAIL, title, f"{case}: lr[{k}] = {fmt(got[k])}, expected {fmt(want[k])}", hint)
        return CheckResult(PASS, title, "geometric from start_lr to end_lr, both ends exact.")

    return guard(title, body)


def check_set_lr(student_fn: Callable[[Any, float], Any]) -> CheckResult:
    """``student_fn(optimizer, lr)`` must make every parameter group of any torch optimizer use ``lr``."""
    title = "set_lr(optimizer, lr)"

    def body() -> CheckResult:
        w = torch.nn.Parameter(torch.tensor([1.0, -2.0], dtype=torch.float64))
        b = torch.nn.Parameter(torch.tensor([0.5], dtype=torch.float64))
        opt = torch.optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.01}], lr=0.1)
        student_fn(opt, 0.5)
        lrs = [g["lr"] for g in opt.param_groups]
        if lrs == [0.1, 0.01]:
            if getattr(opt, "lr", None) == 0.5:
                hint = ("optimizer.lr = ... only creates a new attribute that torch never reads: "
                        "the lr lives in optimizer.param_groups, one dict per group.")
            else:
                hint = "the optimizer reads its lr from optimizer.param_groups: the change must land there."
            return CheckResult(FAIL, title, "the learning rates did not change: still [0.1, 0.01]", hint)
        if lrs != [0.5, 0.5]:
            hint = ("every parameter group has its own lr: loop over all of optimizer.param_groups."
                    if 0.5 in lrs else "set each group's 'lr' to the value given.")
            return CheckResult(FAIL, title, f"the groups' lrs are {lrs}, expected [0.5, 0.5]", hint)
        (w.square().sum() + b.square().sum()).backward()
        before = torch.cat([w.detach(), b.detach()]).clone()
        grad = torch.cat([w.grad, b.grad]).clone()
        opt.step()
        after = torch.cat([w.detach(), b.detach()])
        if not torch.allclose(after, before - 0.5 * grad, rtol=0, atol=1e-12):
            return CheckResult(FAIL, title, "the lrs read 0.5, but the step did not use them",
                               "change the existing groups in place; do not replace the optimizer.")
        adam = torch.optim.Adam([torch.nn.Parameter(torch.zeros(2))], lr=1e-3)
        student_fn(adam, 0.25)
        if adam.param_groups[0]["lr"] != 0.25:
            return CheckResult(FAIL, title, "it did not work for torch.optim.Adam",
                               "the same param_groups mechanism serves every torch optimizer.")
        return CheckResult(PASS, title, "every group of SGD and Adam now steps with the new lr.")

    return guard(title, body)


def check_lr_pick(answer: Any, result: Any) -> CheckResult:
    """A learning rate read off a range test ``result`` (an `LRFinderResult`): it must lie on the
    descent of the smoothed loss, from where the loss has made a tenth of its fall (from its
    value a tenth of the way in down to its minimum) up to half the lr of the minimum."""
    title = "a learning rate read off the range test"

    def body() -> CheckResult:
        if answer is None or answer is Ellipsis:
            raise NotImplementedError
        lr = float(answer)
        y = np.asarray(result.smoothed, dtype=float)
        lrs = np.asarray(result.lrs, dtype=float)[np.isfinite(y)]
        y = y[np.isfinite(y)]
        i_min = int(np.argmin(y))
        skip = len(y) // 10 if i_min - len(y) // 10 >= 2 else 0
        level = y[skip] - 0.1 * (y[skip] - y[i_min])
        i_low = skip + int(np.argmax(y[skip:i_min + 1] <= level))
        low, high = float(lrs[i_low]), float(lrs[i_min]) / 2
        where = f"the loss falls from about lr {low:.2g} to its minimum at lr {lrs[i_min]:.2g}"
        if not math.isfinite(lr) or lr <= 0:
            return CheckResult(FAIL, title, f"{lr!r} is not a learning rate", "a learning rate is a positive number.")
        if low <= lr <= high:
            return CheckResult(PASS, title, f"{lr:.3g} is on the descent ({where}).")
        if lr < low:
            return CheckResult(FAIL, title, f"{lr:.3g} is before the loss really starts to fall ({where}).",
                               "at that lr the loss barely moves: training would be slow. Look right, "
                               "where the curve goes down steeply.")
        if lr <= lrs[i_min] * 2:
            return CheckResult(FAIL, title, f"{lr:.3g} is at the bottom of the curve ({where}).",
                               "the lowest point is the edge: one step further the loss turns up. "
                               "Step back towards where the loss falls fastest, or take min/10.")
        return CheckResult(FAIL, title, f"{lr:.3g} is past the minimum ({where}).",
                           "there the loss is rising: that lr makes training diverge.")

    return guard(title, body)
