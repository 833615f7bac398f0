"""Checks of notebook 07 (learning-rate schedules).

The notebook writes eta_t for the learning rate of update t = 1, 2, ...; a torch scheduler has
been stepped t - 1 times before update t. The students' schedule functions take t; the
references come from torch's schedulers (`torch_lrs`, whose entry t - 1 is update t).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch.optim import lr_scheduler as L

from ..schedules import compare_lrs, torch_lrs
from ..training import RecordingSGD
from .core import FAIL, PASS, TODO, CheckResult, fmt, guard

__all__ = [
    "check_scheduler_order",
    "check_step_decay",
    "check_warmup_cosine",
]

_AHEAD = ("your schedule runs one update ahead: before update t a torch scheduler has been stepped "
          "t - 1 times, so update 1 gets the schedule's first value.")


def _first_mismatch(got: np.ndarray, want: np.ndarray, rtol: float = 1e-9) -> int | None:
    """The index of the first entry where ``got`` and ``want`` differ, or None if they agree."""
    cmp = compare_lrs(got, want, rtol=rtol)
    return None if cmp else cmp.first_mismatch


def _student_lrs(student_fn: Callable[..., Any], n: int, *args: Any) -> np.ndarray:
    """``[student_fn(t, *args) for t = 1..n]`` as floats."""
    return np.asarray([float(student_fn(t, *args)) for t in range(1, n + 1)], dtype=np.float64)


def _name_mistake(got: np.ndarray, mistakes: dict[str, Callable[[int], float]], n: int) -> str | None:
    """The hint of the first known wrong schedule (a function of t = 1..n) that ``got`` equals."""
    for hint, wrong in mistakes.items():
        values = np.asarray([wrong(t) for t in range(1, n + 1)], dtype=np.float64)
        if compare_lrs(got, values, rtol=1e-9):
            return hint
    return None


# --------------------------------------------------------------------------------------------
# Exercise 1: linear warmup, then cosine
# --------------------------------------------------------------------------------------------
def _torch_warmup_cosine(base_lr: float, warmup: int, total: int, start_factor: float, steps: int) -> np.ndarray:
    def make(opt: torch.optim.Optimizer) -> L.SequentialLR:
        warm = L.LinearLR(opt, start_factor=start_factor, end_factor=1.0, total_iters=warmup)
        cos = L.CosineAnnealingLR(opt, T_max=total - warmup)
        return L.SequentialLR(opt, [warm, cos], milestones=[warmup])

    return torch_lrs(make, base_lr, steps)


def _warmup_cosine_mistakes(base: float, w: int, total: int, s: float) -> dict[str, Callable[[int], float]]:
    """Known wrong answers, each a function of the update index t (from 1)."""

    def cos(u: float, length: int) -> float:
        return base * (1 + math.cos(math.pi * u / length)) / 2

    def right(c: int) -> float:  # c = t - 1, torch's count
        return base * (s + (1 - s) * c / w) if c < w else cos(c - w, total - w)

    return {
        _AHEAD: lambda t: right(t),
        "the warmup lasts warmup_steps updates: update warmup_steps itself is still on the linear ramp.":
            lambda t: base * (s + (1 - s) * (t - 1) / w) if t - 1 < w - 1 else cos(t - 1 - w, total - w),
        "the warmup must reach base_lr when the cosine takes over, not one update earlier.":
            lambda t: (base * (s + (1 - s) * min((t - 1) / (w - 1), 1.0)) if w > 1 else right(t - 1))
            if t - 1 < w else cos(t - 1 - w, total - w),
        "the warmup starts at start_factor * base_lr, not at 0.":
            lambda t: base * (t - 1) / w if t - 1 < w else cos(t - 1 - w, total - w),
        "off by one where the cosine starts: its first update uses base_lr itself, the top of the cosine.":
            lambda t: right(t - 1) if t - 1 < w else cos(t - w, total - w),
        "the cosine phase lasts total_steps - warmup_steps scheduler steps, not total_steps.":
            lambda t: right(t - 1) if t - 1 < w else cos(t - 1 - w, total),
        "the cosine has its own clock: it starts from 0 at the milestone, it does not read the global t.":
            lambda t: right(t - 1) if t - 1 < w else cos(t - 1, total - w),
    }


def check_warmup_cosine(student_fn: Callable[..., Any]) -> CheckResult:
    """``student_fn(t, base_lr, warmup_steps, total_steps, start_factor)`` must be the learning rate
    of update t (t = 1..total_steps) under torch's ``SequentialLR([LinearLR(start_factor),
    CosineAnnealingLR(T_max=total_steps - warmup_steps)], milestones=[warmup_steps])``."""
    title = "cosine with linear warmup, against torch (LinearLR then CosineAnnealingLR)"

    def body() -> CheckResult:
        for base, w, total, s in ((0.1, 5, 30, 0.1), (1.0, 10, 50, 0.01), (0.5, 1, 8, 0.5), (2.0, 20, 21, 0.2)):
            want = _torch_warmup_cosine(base, w, total, s, total)
            got = _student_lrs(student_fn, total, base, w, total, s)
            k = _first_mismatch(got, want)
            if k is None:
                continue
            case = f"base_lr={base}, warmup_steps={w}, total_steps={total}, start_factor={s}"
            msg = f"{case}: at update t = {k + 1} you give {fmt(got[k])}, torch {fmt(want[k])}"
            hint = _name_mistake(got, _warmup_cosine_mistakes(base, w, total, s), total) or (
                "two phases: a linear ramp from start_factor * base_lr that reaches base_lr at the milestone, "
                "then a cosine from base_lr towards 0 over the remaining scheduler steps, on its own clock.")
            return CheckResult(FAIL, title, msg, hint)
        return CheckResult(PASS, title, "equal to torch's SequentialLR at every update in 4 configurations.")

    return guard(title, body)


# --------------------------------------------------------------------------------------------
# Exercise 2: the order of optimizer.step() and scheduler.step()
# --------------------------------------------------------------------------------------------
def check_scheduler_order(student_fn: Callable[..., Any]) -> CheckResult:
    """``student_fn(model, optimizer, scheduler, loss_fn, batches)`` trains one epoch with a
    per-batch scheduler: update t must use the schedule's t-th value (t = 1, 2, ...), with
    ``scheduler.step()`` after ``optimizer.step()`` and no warning from torch."""
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
            return CheckResult(PASS, title, "update t used the schedule's t-th lr, and torch did not warn.")
        msg = "lrs used: " + ", ".join(f"{u:.4g}" for u in used) + "; expected: " + ", ".join(f"{u:.4g}" for u in want)
        if np.allclose(used, [0.1 * 0.5 ** (k + 1) for k in range(len(batches))], rtol=1e-12):
            hint = ("the first update already used the second lr: scheduler.step() ran before optimizer.step(), "
                    "so the schedule's first value was skipped" + (" (and torch warned)." if order else "."))
        elif np.allclose(used, [0.1] * len(batches)):
            hint = "the lr never changed: the scheduler must be stepped once per batch."
        else:
            hint = "per batch: zero_grad, forward, backward, optimizer.step(), then scheduler.step()."
        return CheckResult(FAIL, title, msg, hint)

    return guard(title, body)


# --------------------------------------------------------------------------------------------
# Exercise 3: step decay as a function of t, and seed 001's schedule
# --------------------------------------------------------------------------------------------
def _step_decay_mistakes(base: float, size: int, gamma: float) -> dict[str, Callable[[int], float]]:
    """Known wrong step decays, each a function of the update index t (from 1)."""
    return {
        _AHEAD: lambda t: base * gamma ** (t // size),
        "the first step_size updates use base_lr itself: the rate drops only after step_size updates.":
            lambda t: base * gamma ** ((t - 1) // size + 1),
        "StepLR decays in steps: the rate stays constant for step_size updates at a time, then drops.":
            lambda t: base * gamma ** ((t - 1) / size),
        "that is exponential decay (a drop at every update); StepLR drops once every step_size updates.":
            lambda t: base * gamma ** (t - 1),
        "each drop multiplies the current rate by gamma again: the drops compound.":
            lambda t: base * (gamma * ((t - 1) // size) if (t - 1) // size else 1.0),
    }


_SEED_HINTS = {
    71: ("71 is where torch's StepLR(step_size=70, gamma=0.5) first halves. Seed 001 tests step % 70 == 0 "
         "after every update, with step counting from 0: when is that first true?"),
    70: ("seed 001 tests step % 70 == 0 after every update, with step counting from 0: when is that "
         "first true?"),
    72: "72 is the second halved rate. When is step % 70 == 0 true for the first time?",
    1: "update 1 runs before any halving: the test comes after optimizer.step().",
    0: "updates are numbered from 1.",
}


def check_step_decay(student_fn: Callable[..., Any], first_halved_update: Any) -> CheckResult:
    """``student_fn(t, base_lr, step_size, gamma)`` must be the learning rate of update t under
    torch's ``StepLR(step_size, gamma)`` stepped once per update (t = 1, 2, ...);
    ``first_halved_update`` must be the first update of seed 001's loop to use a halved rate (2)."""
    title = "step decay as a function of t, and seed 001's schedule"

    def body() -> CheckResult:
        for base, size, gamma, n in ((0.1, 5, 0.5, 30), (1.0, 1, 0.9, 10), (0.3, 70, 0.5, 150), (2.0, 3, 0.1, 12)):
            want = torch_lrs(lambda opt, size=size, gamma=gamma: L.StepLR(opt, step_size=size, gamma=gamma), base, n)
            got = _student_lrs(student_fn, n, base, size, gamma)
            k = _first_mismatch(got, want)
            if k is None:
                continue
            case = f"base_lr={base}, step_size={size}, gamma={gamma}"
            msg = f"{case}: at update t = {k + 1} you give {fmt(got[k])}, torch's StepLR {fmt(want[k])}"
            hint = _name_mistake(got, _step_decay_mistakes(base, size, gamma), n) or (
                "StepLR keeps base_lr for the first step_size updates, then multiplies the rate by gamma "
                "every step_size updates.")
            return CheckResult(FAIL, title, msg, hint)
        if first_halved_update is None or first_halved_update is Ellipsis:
            return CheckResult(TODO, title, "step_decay_lr equals torch's StepLR; first_halved_update is "
                               "not answered yet.")
        answer = int(first_halved_update)
        if answer == 2:
            return CheckResult(PASS, title, "step_decay_lr equals torch's StepLR in 4 configurations. Seed 001's test "
                               "passes at step 0 already: its rate is halved from update 2 on, and again from "
                               "update 72, where StepLR(step_size=70, gamma=0.5) would halve from update 71.")
        hint = _SEED_HINTS.get(answer, "follow seed 001's loop by hand: step = 0, 1, 2, ..., and the test "
                                       "after each optimizer.step().")
        return CheckResult(FAIL, title, f"step_decay_lr is right, but update {answer} is not the first halved one.",
                           hint)

    return guard(title, body)
