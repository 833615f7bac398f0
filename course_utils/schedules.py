"""Learning-rate schedules as plain functions ``lr = schedule(step, base_lr, **params)`` (notebook 07).

The course writes eta_t for the learning rate of update t = 1, 2, ... A torch scheduler counts
its own steps from 0 (``last_epoch``): during update t it has been stepped ``step = t - 1``
times, and that count is what ``LambdaLR`` passes to its function. The functions here take that
count, so ``schedule(0, base_lr)`` is the learning rate of the first update, eta_t is
``schedule(t - 1, base_lr)``, and a scheduler stepped once per epoch reads ``step`` as the number
of finished epochs. Each function states its formula; `tests/test_schedules.py` proves each
equal to the matching ``torch.optim.lr_scheduler`` class step by step. `as_lambda_lr` turns any
of them into a torch ``LambdaLR``; `get_schedule` builds one by name; `torch_lrs`,
`schedule_lrs` and `compare_lrs` are the comparison tools the tests and the notebook's checks use.
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
def _check_step(step: int) -> int:
    if isinstance(step, bool) or not isinstance(step, (int, np.integer)):
        raise ValueError(f"step must be an integer count of scheduler steps >= 0, got {step!r}")
    if step < 0:
        raise ValueError(f"step must be >= 0, got {step}")
    return int(step)


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
def constant(step: int, base_lr: float) -> float:
    """eta = eta_max at every step: no schedule (the baseline)."""
    _check_step(step)
    _check_base(base_lr)
    return float(base_lr)


def step_decay(step: int, base_lr: float, step_size: int, gamma: float = 0.1) -> float:
    """eta(step) = eta_max * gamma^floor(step / step_size)   (torch's ``StepLR``)."""
    step = _check_step(step)
    _check_base(base_lr)
    _check_int("step_size", step_size, 1)
    _check_range("gamma", gamma, 0.0, 1.0, low_open=True)
    return base_lr * gamma ** (step // step_size)


def inverse_time(step: int, base_lr: float, k: float) -> float:
    """eta(step) = eta_max / (1 + k step)   (inverse-time decay; seed 000's 1 / (1 + decay_rate * epoch)).

    Always computed from eta_max: applying ``lr = lr / (1 + k step)`` to the *current* lr at
    every step compounds the divisions into eta_max / prod_j (1 + k j), a much faster decay.
    """
    step = _check_step(step)
    _check_base(base_lr)
    _check_range("k", k, 0.0, math.inf, high_open=True)
    return base_lr / (1 + k * step)


def exponential(step: int, base_lr: float, gamma: float) -> float:
    """eta(step) = eta_max * gamma^step   (torch's ``ExponentialLR``)."""
    step = _check_step(step)
    _check_base(base_lr)
    _check_range("gamma", gamma, 0.0, 1.0, low_open=True)
    return base_lr * gamma**step


def cosine(step: int, base_lr: float, T_max: int, eta_min: float = 0.0) -> float:
    """eta(step) = eta_min + (eta_max - eta_min) (1 + cos(pi step / T_max)) / 2   (``CosineAnnealingLR``).

    Reaches eta_min at step = T_max (update T_max + 1). Like torch, it does not stop there: past T_max the cosine
    rises again (period 2 T_max), so stop training at T_max or use warm restarts.
    """
    step = _check_step(step)
    _check_base(base_lr)
    _check_int("T_max", T_max, 1)
    _check_eta_min(eta_min, base_lr)
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * step / T_max)) / 2


def cosine_warm_restarts(step: int, base_lr: float, T_0: int, T_mult: int = 1, eta_min: float = 0.0) -> float:
    """SGDR (Loshchilov & Hutter 2017), torch's ``CosineAnnealingWarmRestarts``.

    Cycle i lasts T_i = T_0 * T_mult^i steps; with T_cur the steps since the last restart,
    eta = eta_min + (eta_max - eta_min) (1 + cos(pi T_cur / T_i)) / 2, and eta jumps back to
    eta_max at each restart (T_cur = 0).
    """
    step = _check_step(step)
    _check_base(base_lr)
    _check_int("T_0", T_0, 1)
    _check_int("T_mult", T_mult, 1)
    _check_eta_min(eta_min, base_lr)
    t_cur, t_i = step, T_0
    if T_mult == 1:
        t_cur = step % T_0
    else:
        while t_cur >= t_i:
            t_cur -= t_i
            t_i *= T_mult
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * t_cur / t_i)) / 2


def warmup_cosine(step: int, base_lr: float, warmup_steps: int, total_steps: int, start_factor: float = 0.1,
    eta_min: float = 0.0,
) -> float:
    """Linear warmup, then cosine decay (torch: ``SequentialLR([LinearLR, CosineAnnealingLR])``).

    step < W:   eta = eta_max (s + (1 - s) step / W)      with W = warmup_steps, s = start_factor
    step >= W:  eta = cosine(step - W, eta_max, T_max = total_steps - W, eta_min)
    so eta rises linearly from s eta_max and reaches eta_max exactly at step = W (update W + 1),
    then anneals to eta_min at step = total_steps.
    """
    step = _check_step(step)
    _check_base(base_lr)
    _check_int("warmup_steps", warmup_steps, 0)
    _check_int("total_steps", total_steps, warmup_steps + 1)
    _check_range("start_factor", start_factor, 0.0, 1.0)
    _check_eta_min(eta_min, base_lr)
    if step < warmup_steps:
        return base_lr * (start_factor + (1.0 - start_factor) * step / warmup_steps)
    return cosine(step - warmup_steps, base_lr, total_steps - warmup_steps, eta_min)


def _anneal_cos(start: float, end: float, pct: float) -> float:
    """Cosine interpolation from ``start`` (pct = 0) to ``end`` (pct = 1), as torch writes it."""
    return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)


def one_cycle(step: int, base_lr: float, total_steps: int, pct_start: float = 0.3, div_factor: float = 25.0,
    final_div_factor: float = 1e4,
) -> float:
    """The 1cycle policy (Smith & Topin 2019) exactly as torch's ``OneCycleLR`` (two phases, cos).

    ``base_lr`` is the peak, max_lr. With eta_init = max_lr / div_factor,
    eta_final = eta_init / final_div_factor, and the phase boundary e = pct_start * total_steps - 1
    (a float, torch's step counting):
      step <= e:  eta = cos_anneal(eta_init -> max_lr,  pct = step / e)
      step > e:   eta = cos_anneal(max_lr -> eta_final, pct = (step - e) / (total_steps - 1 - e))
    where cos_anneal(a -> b, p) = b + (a - b) (1 + cos(pi p)) / 2. The peak is reached at
    step = e (update pct_start * total_steps) when e is an integer; eta_final at
    step = total_steps - 1, the last of total_steps updates. Valid for step = 0..total_steps
    (torch refuses more steps).
    """
    step = _check_step(step)
    _check_base(base_lr)
    _check_int("total_steps", total_steps, 2)
    _check_range("pct_start", pct_start, 0.0, 1.0, low_open=True, high_open=True)
    if not pct_start * total_steps > 1:
        raise ValueError(
            f"pct_start * total_steps must be > 1 (at least one warm-up step), got "
            f"{pct_start} * {total_steps}")
    _check_range("div_factor", div_factor, 0.0, math.inf, low_open=True, high_open=True)
    _check_range("final_div_factor", final_div_factor, 0.0, math.inf, low_open=True, high_open=True)
    if step > total_steps:
        raise ValueError(f"step must be <= total_steps = {total_steps}, got {step}")
    initial_lr = base_lr / div_factor
    min_lr = initial_lr / final_div_factor
    end1 = float(pct_start * total_steps) - 1
    end2 = total_steps - 1
    if step <= end1:
        return _anneal_cos(initial_lr, base_lr, (step - 0.0) / (end1 - 0.0))
    return _anneal_cos(base_lr, min_lr, (step - end1) / (end2 - end1))


def polynomial(step: int, base_lr: float, total_iters: int, power: float = 1.0) -> float:
    """eta(step) = eta_max (1 - min(step, T) / T)^power with T = total_iters   (torch's ``PolynomialLR``).

    Reaches 0 at step = T and stays there.
    """
    step = _check_step(step)
    _check_base(base_lr)
    _check_int("total_iters", total_iters, 1)
    _check_range("power", power, 0.0, math.inf, low_open=True, high_open=True)
    return base_lr * (1.0 - min(total_iters, step) / total_iters) ** power


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
    """The schedule called ``name`` with its parameters bound: a function ``lr(step, base_lr)``.

    Raises ``ValueError`` for an unknown name (listing the known ones), for a parameter the
    schedule does not take, and for a parameter out of range.
    """
    if name not in SCHEDULES:
        raise ValueError(f"unknown schedule {name!r}; known schedules: {', '.join(SCHEDULES)}")
    fn = SCHEDULES[name]
    sig = inspect.signature(fn)
    accepted = [p for p in sig.parameters if p not in ("step", "base_lr")]
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
    ``schedule(step, base_lr, **params)``; each parameter group's base lr is its lr now (its
    ``initial_lr``). LambdaLR multiplies the base lr by a factor, so the factor is
    ``schedule(step, base_lr) / base_lr``. Step it after every ``optimizer.step()`` (per batch or
    per epoch: ``step`` counts the calls).
    """
    fn = get_schedule(schedule, **params) if isinstance(schedule, str) else functools.partial(schedule, **params)
    lambdas = []
    for group in optimizer.param_groups:
        base = float(group.get("initial_lr", group["lr"]))
        _check_base(base)
        lambdas.append(lambda step, base=base: fn(step, base) / base)
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambdas)


# --------------------------------------------------------------------------------------------
# Comparing a schedule with torch's scheduler
# --------------------------------------------------------------------------------------------
def torch_lrs(make_scheduler: Callable[[torch.optim.Optimizer], Any], base_lr: float, steps: int) -> np.ndarray:
    """The lr of updates t = 1..steps under a torch scheduler (entry t - 1), the standard way round.

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
    for i in range(steps):
        out.append(float(opt.param_groups[0]["lr"]))
        opt.step()  # no gradient: a no-op, but the order optimizer -> scheduler is kept
        if i < steps - 1:
            sched.step()
    return np.asarray(out, dtype=np.float64)


def schedule_lrs(schedule: Callable[[int, float], float], base_lr: float, steps: int) -> np.ndarray:
    """``[schedule(step, base_lr) for step in range(steps)]``: the lrs of updates t = 1..steps."""
    _check_int("steps", steps, 1)
    return np.asarray([schedule(step, base_lr) for step in range(steps)], dtype=np.float64)


@dataclass
class LrComparison:
    """The verdict of `compare_lrs`: ``bool(c)`` is True when every step agrees.

    ``first_mismatch`` is an index into the sequences: update t = first_mismatch + 1."""

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
        return (f"first mismatch at update t = {self.first_mismatch + 1}: {self.ours!r} vs {self.theirs!r} "
                f"(max relative error {fmt_diff(self.max_rel_error)})")


def compare_lrs(ours: Sequence[float], theirs: Sequence[float], rtol: float = 1e-12, atol: float | None = None) -> LrComparison:
    """Compare two lr sequences step by step.

    Entry i agrees when |ours_i - theirs_i| <= rtol * max(|ours_i|, |theirs_i|) + atol; the
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
