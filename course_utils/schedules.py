"""Learning-rate schedules as plain functions ``lr = schedule(t, base_lr, **params)`` (notebook 07).

Step counting is torch's: ``t`` is the number of ``scheduler.step()`` calls made before an
optimizer update, so ``schedule(0, base_lr)`` is the learning rate of the first update, and a
scheduler stepped once per epoch reads ``t`` as the epoch index. Each function states its
formula; `tests/test_schedules.py` proves each equal to the matching
``torch.optim.lr_scheduler`` class step by step. `as_lambda_lr` turns any of them into a torch
``LambdaLR``; `get_schedule` builds one by name; `torch_lrs`, `schedule_lrs` and `compare_lrs`
are the comparison tools the tests and the notebook's checks use.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from .numerics import fmt_diff

__all__ = [
    "constant",
    "step_decay",
    "inverse_time",
    "exponential",
    "cosine",
    "cosine_warm_restarts",
    "warmup_cosine",
    "one_cycle",
    "polynomial",
    "SCHEDULES",
    "get_schedule",
    "as_lambda_lr",
    "torch_lrs",
    "schedule_lrs",
    "LrComparison",
    "compare_lrs",
]


# --------------------------------------------------------------------------------------------
# Argument checks
# --------------------------------------------------------------------------------------------
def _check_t(t: int) -> int:
    if isinstance(t, bool) or not isinstance(t, (int, np.integer)):
        raise ValueError(f"t must be an integer step count >= 0, got {t!r}")
    if t < 0:
        raise ValueError(f"t must be >= 0, got {t}")
    return int(t)


def _check_base(base_lr: float) -> None:
    if not (isinstance(base_lr, (int, float)) and math.isfinite(base_lr) and base_lr > 0):
        raise ValueError(f"base_lr must be a finite number > 0, got {base_lr!r}")


def _check_int(name: str, value: Any, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")


def _check_range(name: str, value: Any, low: float, high: float, low_open: bool = False,
                 high_open: bool = False) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        ok = (value > low if low_open else value >= low) and (value < high if high_open else value <= high)
    if not ok:
        left, right = "(" if low_open else "[", ")" if high_open else "]"
        raise ValueError(f"{name} must be in {left}{low:g}, {high:g}{right}, got {value!r}")


def _check_eta_min(eta_min: float, base_lr: float) -> None:
    _check_range("eta_min", eta_min, 0.0, base_lr)


# --------------------------------------------------------------------------------------------
# The schedules
# --------------------------------------------------------------------------------------------
def constant(t: int, base_lr: float) -> float:
    """eta_t = eta_0: no schedule (the baseline)."""
    _check_t(t)
    _check_base(base_lr)
    return float(base_lr)


def step_decay(t: int, base_lr: float, step_size: int, gamma: float = 0.1) -> float:
    """eta_t = eta_0 * gamma^floor(t / step_size)   (torch's ``StepLR``)."""
    t = _check_t(t)
    _check_base(base_lr)
    _check_int("step_size", step_size, 1)
    _check_range("gamma", gamma, 0.0, 1.0, low_open=True)
    return base_lr * gamma ** (t // step_size)


def inverse_time(t: int, base_lr: float, k: float) -> float:
    """eta_t = eta_0 / (1 + k t)   (inverse-time decay; seed 000's 1 / (1 + decay_rate * epoch)).

    Always computed from eta_0: applying ``lr = lr / (1 + k t)`` to the *current* lr at every
    step compounds the divisions into eta_0 / prod_s (1 + k s), a much faster decay.
    """
    t = _check_t(t)
    _check_base(base_lr)
    _check_range("k", k, 0.0, math.inf, high_open=True)
    return base_lr / (1 + k * t)


def exponential(t: int, base_lr: float, gamma: float) -> float:
    """eta_t = eta_0 * gamma^t   (torch's ``ExponentialLR``)."""
    t = _check_t(t)
    _check_base(base_lr)
    _check_range("gamma", gamma, 0.0, 1.0, low_open=True)
    return base_lr * gamma**t


def cosine(t: int, base_lr: float, T_max: int, eta_min: float = 0.0) -> float:
    """eta_t = eta_min + (eta_0 - eta_min) (1 + cos(pi t / T_max)) / 2   (``CosineAnnealingLR``).

    Reaches eta_min at t = T_max. Like torch, it does not stop there: past T_max the cosine
    rises again (period 2 T_max), so stop training at T_max or use warm restarts.
    """
    t = _check_t(t)
    _check_base(base_lr)
    _check_int("T_max", T_max, 1)
    _check_eta_min(eta_min, base_lr)
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * t / T_max)) / 2


def cosine_warm_restarts(t: int, base_lr: float, T_0: int, T_mult: int = 1, eta_min: float = 0.0) -> float:
    """SGDR (Loshchilov & Hutter 2017), torch's ``CosineAnnealingWarmRestarts``.

    Cycle i lasts T_i = T_0 * T_mult^i steps; with T_cur the steps since the last restart,
    eta_t = eta_min + (eta_0 - eta_min) (1 + cos(pi T_cur / T_i)) / 2, and eta jumps back to
    eta_0 at each restart (T_cur = 0).
    """
    t = _check_t(t)
    _check_base(base_lr)
    _check_int("T_0", T_0, 1)
    _check_int("T_mult", T_mult, 1)
    _check_eta_min(eta_min, base_lr)
    t_cur, t_i = t, T_0
    if T_mult == 1:
        t_cur = t % T_0
    else:
        while t_cur >= t_i:
            t_cur -= t_i
            t_i *= T_mult
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * t_cur / t_i)) / 2


def warmup_cosine(
    t: int, base_lr: float, warmup_steps: int, total_steps: int, start_factor: float = 0.1,
    eta_min: float = 0.0,
) -> float:
    """Linear warmup, then cosine decay (torch: ``SequentialLR([LinearLR, CosineAnnealingLR])``).

    t < W:   eta_t = eta_0 (s + (1 - s) t / W)        with W = warmup_steps, s = start_factor
    t >= W:  eta_t = cosine(t - W, eta_0, T_max = total_steps - W, eta_min)
    so eta rises linearly from s eta_0 and reaches eta_0 exactly at t = W, then anneals to
    eta_min at t = total_steps.
    """
    t = _check_t(t)
    _check_base(base_lr)
    _check_int("warmup_steps", warmup_steps, 0)
    _check_int("total_steps", total_steps, warmup_steps + 1)
    _check_range("start_factor", start_factor, 0.0, 1.0)
    _check_eta_min(eta_min, base_lr)
    if t < warmup_steps:
        return base_lr * (start_factor + (1.0 - start_factor) * t / warmup_steps)
    return cosine(t - warmup_steps, base_lr, total_steps - warmup_steps, eta_min)


def _anneal_cos(start: float, end: float, pct: float) -> float:
    """Cosine interpolation from ``start`` (pct = 0) to ``end`` (pct = 1), as torch writes it."""
    return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)


def one_cycle(
    t: int, base_lr: float, total_steps: int, pct_start: float = 0.3, div_factor: float = 25.0,
    final_div_factor: float = 1e4,
) -> float:
    """The 1cycle policy (Smith & Topin 2019) exactly as torch's ``OneCycleLR`` (two phases, cos).

    ``base_lr`` is the peak, max_lr. With eta_init = max_lr / div_factor,
    eta_final = eta_init / final_div_factor, and the phase boundary e = pct_start * total_steps - 1
    (a float, torch's step counting):
      t <= e:  eta_t = cos_anneal(eta_init -> max_lr,  pct = t / e)
      t > e:   eta_t = cos_anneal(max_lr -> eta_final, pct = (t - e) / (total_steps - 1 - e))
    where cos_anneal(a -> b, p) = b + (a - b) (1 + cos(pi p)) / 2. The peak is reached at
    t = e when e is an integer; eta_final at t = total_steps - 1. Valid for
    t = 0..total_steps (torch refuses more steps).
    """
    t = _check_t(t)
    _check_base(base_lr)
    _check_int("total_steps", total_steps, 2)
    _check_range("pct_start", pct_start, 0.0, 1.0, low_open=True, high_open=True)
    if not pct_start * total_steps > 1:
        raise ValueError(
            f"pct_start * total_steps must be > 1 (at least one warm-up step), got "
            f"{pct_start} * {total_steps}")
    _check_range("div_factor", div_factor, 0.0, math.inf, low_open=True, high_open=True)
    _check_range("final_div_factor", final_div_factor, 0.0, math.inf, low_open=True, high_open=True)
    if t > total_steps:
        raise ValueError(f"t must be <= total_steps = {total_steps}, got {t}")
    initial_lr = base_lr / div_factor
    min_lr = initial_lr / final_div_factor
    end1 = float(pct_start * total_steps) - 1
    end2 = total_steps - 1
    if t <= end1:
        return _anneal_cos(initial_lr, base_lr, (t - 0.0) / (end1 - 0.0))
    return _anneal_cos(base_lr, min_lr, (t - end1) / (end2 - end1))


def polynomial(t: int, base_lr: float, total_iters: int, power: float = 1.0) -> float:
    """eta_t = eta_0 (1 - min(t, T) / T)^power with T = total_iters   (torch's ``PolynomialLR``).

    Reaches 0 at t = T and stays there.
    """
    t = _check_t(t)
    _check_base(base_lr)
    _check_int("total_iters", total_iters, 1)
    _check_range("power", power, 0.0, math.inf, low_open=True, high_open=True)
    return base_lr * (1.0 - min(total_iters, t) / total_iters) ** power


SCHEDULES: dict[str, Callable[..., float]] = {
    "constant": constant,
    "step": step_decay,
    "inverse_time": inverse_time,
    "exponential": exponential,
    "cosine": cosine,
    "cosine_warm_restarts": cosine_warm_restarts,
    "warmup_cosine": warmup_cosine,
    "one_cycle": one_cycle,
    "polynomial": polynomial,
}
"""Every schedule by name (the names `get_schedule` knows)."""


def get_schedule(name: str, **params: Any) -> Callable[[int, float], float]:
    """The schedule called ``name`` with its parameters bound: a function ``lr(t, base_lr)``.

    Raises ``ValueError`` for an unknown name (listing the known ones), for a parameter the
    schedule does not take, and for a parameter out of range.
    """
    if name not in SCHEDULES:
        raise ValueError(f"unknown schedule {name!r}; known schedules: {', '.join(SCHEDULES)}")
    fn = SCHEDULES[name]
    sig = inspect.signature(fn)
    accepted = [p for p in sig.parameters if p not in ("t", "base_lr")]
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise ValueError(f"schedule {name!r} takes {accepted}, got unknown parameter(s) {unknown}")
    missing = [p for p in accepted if sig.parameters[p].default is inspect.Parameter.empty and p not in params]
    if missing:
        raise ValueError(f"schedule {name!r} needs the parameter(s) {missing}")
    bound = functools.partial(fn, **params)
    bound(0, 1.0)  # validate the parameters now, not at the first training step
    functools.update_wrapper(bound, fn)
    return bound


def as_lambda_lr(
    optimizer: torch.optim.Optimizer, schedule: Callable[..., float] | str, **params: Any
) -> torch.optim.lr_scheduler.LambdaLR:
    """A torch ``LambdaLR`` that makes ``optimizer`` follow ``schedule``.

    ``schedule`` is one of the functions above (or its name), called as
    ``schedule(t, base_lr, **params)``; each parameter group's base lr is its lr now (its
    ``initial_lr``). LambdaLR multiplies the base lr by a factor, so the factor is
    ``schedule(t, base_lr) / base_lr``. Step it after every ``optimizer.step()`` (per batch or
    per epoch: ``t`` counts the calls).
    """
    fn = get_schedule(schedule, **params) if isinstance(schedule, str) else functools.partial(schedule, **params)
    lambdas = []
    for group in optimizer.param_groups:
        base = float(group.get("initial_lr", group["lr"]))
        _check_base(base)
        lambdas.append(lambda t, base=base: fn(t, base) / base)
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambdas)


# --------------------------------------------------------------------------------------------
# Comparing a schedule with torch's scheduler
# --------------------------------------------------------------------------------------------
def torch_lrs(make_scheduler: Callable[[torch.optim.Optimizer], Any], base_lr: float, steps: int) -> np.ndarray:
    """The lr of updates t = 0..steps-1 under a torch scheduler, the standard way round.

    A one-parameter ``torch.optim.SGD(lr=base_lr)`` is built, ``make_scheduler(optimizer)``
    attaches the scheduler, and the loop records the lr, calls ``optimizer.step()``, then
    ``scheduler.step()``.
    """
    _check_base(base_lr)
    _check_int("steps", steps, 1)
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=base_lr)
    sched = make_scheduler(opt)
    out = []
    for t in range(steps):
        out.append(float(opt.param_groups[0]["lr"]))
        opt.step()  # no gradient: a no-op, but the order optimizer -> scheduler is kept
        if t < steps - 1:
            sched.step()
    return np.asarray(out, dtype=np.float64)


def schedule_lrs(schedule: Callable[[int, float], float], base_lr: float, steps: int) -> np.ndarray:
    """``[schedule(t, base_lr) for t in range(steps)]`` as a float64 array."""
    _check_int("steps", steps, 1)
    return np.asarray([schedule(t, base_lr) for t in range(steps)], dtype=np.float64)


@dataclass
class LrComparison:
    """The verdict of `compare_lrs`: ``bool(c)`` is True when every step agrees."""

    ok: bool
    max_rel_error: float
    first_mismatch: int | None
    ours: float | None = None
    theirs: float | None = None

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        if self.ok:
            return f"equal at every step (max relative error {fmt_diff(self.max_rel_error)})"
        return (f"first mismatch at t = {self.first_mismatch}: {self.ours!r} vs {self.theirs!r} "
                f"(max relative error {fmt_diff(self.max_rel_error)})")


def compare_lrs(ours: Sequence[float], theirs: Sequence[float], rtol: float = 1e-12, atol: float | None = None) -> LrComparison:
    """Compare two lr sequences step by step.

    Step t agrees when |ours_t - theirs_t| <= rtol * max(|ours_t|, |theirs_t|) + atol; the
    default ``atol`` is 1e-14 times the largest lr of ``theirs`` (so a value that should be 0 and
    is 1e-20 still agrees). Sequences of different lengths never agree.
    """
    a = np.asarray(ours, dtype=np.float64)
    b = np.asarray(theirs, dtype=np.float64)
    if a.shape != b.shape:
        return LrComparison(False, math.inf, min(len(a), len(b)))
    if atol is None:
        atol = 1e-14 * float(np.max(np.abs(b))) if b.size else 0.0
    diff = np.abs(a - b)
    scale = np.maximum(np.abs(a), np.abs(b))
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(diff == 0, 0.0, diff / np.where(scale > 0, scale, 1.0))
    bad = ~(diff <= rtol * scale + atol)  # nan counts as a mismatch
    max_rel = float(np.max(np.where(np.isnan(rel), np.inf, rel))) if rel.size else 0.0
    if not bad.any():
        return LrComparison(True, max_rel, None)
    k = int(np.argmax(bad))
    return LrComparison(False, max_rel, k, float(a[k]), float(b[k]))
