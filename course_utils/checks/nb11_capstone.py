"""Checks of notebook 11 (the capstone: a small language model trained with the course's recipe).

A known mistake is named by its own hint. A wrong answer that no known mistake explains gets a
hint that names the concept, and a ``detail`` (the formula, the order of the calls) that
`CheckResult` shows only from the `DETAIL_AFTER`-th failed try in a row.
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from ..schedules import compare_lrs, torch_lrs
from ..transformer import CharTransformer, TransformerConfig, lm_loss
from .core import FAIL, PASS, CheckResult, fmt, guard

__all__ = [
    "check_param_groups",
    "check_warmup_cosine_factor",
    "check_training_loop",
    "param_kind",
]


# --------------------------------------------------------------------------------------------
# Exercise 1: which parameters get weight decay
# --------------------------------------------------------------------------------------------
def param_kind(model: nn.Module, name: str) -> str:
    """What the parameter ``name`` of ``model`` is: "matrix" (the weight of a Linear layer),
    "bias" (a Linear layer's bias), "norm" (a LayerNorm's gain or bias), "embedding" (an
    Embedding's table), or "other"."""
    module_name, _, attr = name.rpartition(".")
    module = model.get_submodule(module_name) if module_name else model
    if isinstance(module, nn.Linear):
        return "matrix" if attr == "weight" else "bias"
    if isinstance(module, nn.LayerNorm):
        return "norm"
    if isinstance(module, nn.Embedding):
        return "embedding"
    return "other"


_KIND_HINTS = {
    "norm": ("a LayerNorm gain (or its bias) is decayed: weight decay pulls it towards 0, i.e. it shrinks the "
             "scale the normalisation restores; norms are not decayed."),
    "bias": ("a bias is decayed: a bias is one number per output, it shifts rather than scales, and decaying "
             "it only pulls the outputs towards 0; biases are not decayed."),
    "embedding": ("an embedding table is decayed: `p.ndim >= 2` catches the embeddings (tok_emb, pos_emb) too. "
                  "They are 2-D but they are tables of vectors looked up one row at a time, not matrices that "
                  "multiply the features; in this course they are not decayed. Test the module type (nn.Linear)."),
}


def _student_groups(groups: Any) -> list[dict]:
    groups = list(groups)
    if not groups or not all(isinstance(g, dict) and "params" in g for g in groups):
        raise TypeError("return a list of dicts, each with a 'params' key (and a 'weight_decay')")
    return groups


def check_param_groups(student_fn: Callable[[nn.Module, float], Any]) -> CheckResult:
    """``student_fn(model, weight_decay)`` returns AdamW parameter groups: every weight matrix of
    a Linear layer (attention, MLP, head) decayed with ``weight_decay``; LayerNorm gains and
    biases, Linear biases and the embeddings with weight_decay = 0; every parameter once."""
    title = "parameter groups: weight decay on the matrices only"

    def body() -> CheckResult:
        cfg = TransformerConfig(vocab_size=9, context=6, d_model=8, n_heads=2, n_layers=2)
        model = CharTransformer(cfg, seed=0, dtype=torch.float64)
        wd = 0.125
        groups = student_fn(model, wd)
        if groups is None:
            raise NotImplementedError
        try:
            groups = _student_groups(groups)
        except TypeError as err:
            return CheckResult(FAIL, title, str(err), "e.g. [{'params': [...], 'weight_decay': wd}, "
                               "{'params': [...], 'weight_decay': 0.0}]")
        implicit = [g for g in groups if "weight_decay" not in g]
        try:
            opt = torch.optim.AdamW([dict(g) for g in groups], lr=1e-3)
        except (ValueError, TypeError) as err:
            hint = ("a parameter is in two groups: build the two lists from one pass over named_parameters()."
                    if "more than one" in str(err) else "each group is a dict {'params': list, 'weight_decay': float}.")
            return CheckResult(FAIL, title, f"torch.optim.AdamW(groups) raised: {err}", hint)
        decay_of = {id(p): g["weight_decay"] for g in opt.param_groups for p in g["params"]}
        names = dict(model.named_parameters())
        missing = [n for n, p in names.items() if id(p) not in decay_of]
        if missing:
            return CheckResult(FAIL, title, f"{len(missing)} parameter(s) in no group, e.g. {missing[0]}",
                               "every parameter must be in exactly one group, or the optimizer never updates it.")
        kinds = {n: param_kind(model, n) for n in names}
        wrongly_decayed = [n for n in names if kinds[n] != "matrix" and decay_of[id(names[n])] != 0]
        not_decayed = [n for n in names if kinds[n] == "matrix" and decay_of[id(names[n])] != wd]
        if not wrongly_decayed and not not_decayed:
            n_dec = sum(p.numel() for n, p in names.items() if kinds[n] == "matrix")
            n_all = sum(p.numel() for p in names.values())
            return CheckResult(PASS, title, f"{sum(k == 'matrix' for k in kinds.values())} matrices "
                               f"({n_dec} of {n_all} numbers) decayed with {wd}; norms, biases and embeddings not.")
        if wrongly_decayed and implicit and all(
                decay_of[id(names[n])] == opt.defaults["weight_decay"] for n in wrongly_decayed):
            return CheckResult(FAIL, title, f"{wrongly_decayed[0]} gets weight_decay = {opt.defaults['weight_decay']}",
                               "a group without a 'weight_decay' key gets AdamW's default, 0.01, not 0: "
                               "write weight_decay=0.0 in the no-decay group.")
        if wrongly_decayed:
            wrong_kinds = sorted({kinds[n] for n in wrongly_decayed})
            if not not_decayed and len(wrongly_decayed) == sum(k != "matrix" for k in kinds.values()):
                hint = ("every parameter is decayed: decay only the weight matrices; put norms, biases and "
                        "embeddings in a second group with weight_decay=0.0.")
            else:
                hint = " ".join(_KIND_HINTS.get(k, f"{k} parameters must not be decayed.") for k in wrong_kinds)
            return CheckResult(FAIL, title, f"decayed but should not be: {', '.join(wrongly_decayed[:4])}"
                               + (" ..." if len(wrongly_decayed) > 4 else ""), hint)
        values = sorted({decay_of[id(names[n])] for n in not_decayed})
        if values and all(v not in (0, 0.0) for v in values):
            hint = f"the decayed group must use the weight_decay passed in ({wd}), not {values[0]}."
        elif not_decayed == ["head.weight"]:
            hint = ("head.weight is the weight of a Linear layer (it multiplies the features into scores): "
                    "it is decayed like the other matrices.")
        else:
            hint = ("every weight of an nn.Linear (attention qkv and proj, both MLP layers, the head) gets "
                    "the weight decay.")
        return CheckResult(FAIL, title, f"not decayed with {wd}: {', '.join(not_decayed[:4])}"
                           + (" ..." if len(not_decayed) > 4 else ""), hint)

    return guard(title, body)


# --------------------------------------------------------------------------------------------
# Exercise 2: the warmup-cosine multiplier for LambdaLR
# --------------------------------------------------------------------------------------------
def _torch_warmup_cosine(peak: float, w: int, total: int, s: float, m: float) -> np.ndarray:
    from torch.optim import lr_scheduler as L

    def make(opt):
        warm = L.LinearLR(opt, start_factor=s, end_factor=1.0, total_iters=w)
        cos = L.CosineAnnealingLR(opt, T_max=total - w, eta_min=m * peak)
        return L.SequentialLR(opt, [warm, cos], milestones=[w])

    return torch_lrs(make, peak, total + 1)


def _factor_mistakes(w: int, total: int, s: float, m: float) -> dict[str, Callable[[int], float]]:
    """Known wrong factors, as functions of the scheduler's step count t (= ``step``), by their hint."""

    def warm(t):
        return s + (1 - s) * t / w

    def cos(u, span, floor=m):
        return floor + (1 - floor) * (1 + math.cos(math.pi * u / span)) / 2

    right_warm = lambda t, f: warm(t) if t < w else f(t)  # noqa: E731
    return {
        "the cosine ends at 0, not at min_factor: min_factor + (1 - min_factor) (1 + cos(...)) / 2.":
            lambda t: right_warm(t, lambda t: cos(t - w, total - w, 0.0)),
        "the cosine must run from 1 down to min_factor; cutting it off at the floor with max(...) is a "
        "different curve: rescale it, min_factor + (1 - min_factor) (1 + cos(...)) / 2.":
            lambda t: right_warm(t, lambda t: max(m, (1 + math.cos(math.pi * (t - w) / (total - w))) / 2)),
        "the floor is added but the cosine part is not scaled by (1 - min_factor): the factor exceeds 1 "
        "at the peak.":
            lambda t: right_warm(t, lambda t: m + (1 + math.cos(math.pi * (t - w) / (total - w))) / 2),
        "the warmup must reach 1 at step = warmup_steps, not one step earlier: step / warmup_steps.":
            lambda t: (s + (1 - s) * min(t / (w - 1), 1.0)) if t < w else cos(t - w, total - w),
        "the warmup starts at start_factor, not at 0.":
            lambda t: t / w if t < w else cos(t - w, total - w),
        "the cosine restarts its clock at the end of the warmup: use step - warmup_steps.":
            lambda t: right_warm(t, lambda t: cos(t, total - w)),
        "the cosine phase lasts total_steps - warmup_steps steps, not total_steps.":
            lambda t: right_warm(t, lambda t: cos(t - w, total)),
        "off by one where the cosine starts: at step = warmup_steps the factor is 1.":
            lambda t: right_warm(t, lambda t: cos(t - w + 1, total - w)),
    }


def _lambda_lr(fn: Callable[..., Any], w: int, total: int, s: float, m: float) -> Callable[[Any], Any]:
    """A factory of LambdaLR schedulers whose factor is ``fn(step, w, total, s, m)``."""

    def factor(step: int) -> float:
        return float(fn(step, w, total, s, m))

    return lambda opt: torch.optim.lr_scheduler.LambdaLR(opt, factor)


def check_warmup_cosine_factor(student_fn: Callable[..., Any]) -> CheckResult:
    """``student_fn(step, warmup_steps, total_steps, start_factor, min_factor)`` is the factor that
    ``LambdaLR`` multiplies the peak lr by (``step``: the scheduler's count of its own steps, t - 1
    during update t); with it, ``LambdaLR`` must give the same lr as torch's
    ``SequentialLR([LinearLR(start_factor), CosineAnnealingLR(T_max=total-warmup,
    eta_min=min_factor*peak)], [warmup])`` at every step = 0..total_steps."""
    title = "warmup-cosine factor for LambdaLR, against torch's LinearLR then CosineAnnealingLR"

    def body() -> CheckResult:
        cases = ((3e-3, 10, 60, 0.01, 0.1), (1.0, 5, 30, 0.1, 0.0), (0.5, 2, 9, 0.5, 0.2), (2e-2, 20, 21, 0.05, 0.1))
        for peak, w, total, s, m in cases:
            want = _torch_warmup_cosine(peak, w, total, s, m)

            got = torch_lrs(_lambda_lr(student_fn, w, total, s, m), peak, total + 1)
            cmp = compare_lrs(got, want, rtol=1e-9)
            if cmp:
                continue
            k = cmp.first_mismatch
            case = f"peak lr {peak:g}, warmup_steps={w}, total_steps={total}, start_factor={s}, min_factor={m}"
            msg = f"{case}: at step = {k} LambdaLR gives lr {fmt(got[k])}, torch {fmt(want[k])}"
            for text, wrong in _factor_mistakes(w, total, s, m).items():
                if compare_lrs(got, [peak * wrong(t) for t in range(total + 1)], rtol=1e-9):
                    return CheckResult(FAIL, title, msg, text)
            return CheckResult(
                FAIL, title, msg, "the function returns a factor (LambdaLR multiplies the peak lr by it): a straight "
                "line from start_factor to 1 over the warmup steps, then half a cosine from 1 down to min_factor.",
                detail="with W = warmup_steps, T = total_steps, s = start_factor, m = min_factor: step < W: "
                "s + (1 - s) step / W;  step >= W: m + (1 - m) (1 + cos(pi (step - W) / (T - W))) / 2.")
        return CheckResult(PASS, title, f"LambdaLR with your factor equals torch's SequentialLR at every step in "
                           f"{len(cases)} configurations.")

    return guard(title, body)


# --------------------------------------------------------------------------------------------
# Exercise 3: spot the bugs in a training loop
# --------------------------------------------------------------------------------------------
_ZERO = ("each step", "once, before the loop", "between backward and step")
_CLIP = ("after backward", "before backward", "never")
_SCHED = ("after the optimizer", "before the optimizer", "never")

_UNCLIPPED_HINT = ("the gradient that reaches optimizer.step() is not clipped: clip_grad_norm_ must come after "
                   "loss.backward() (before it there is no gradient of this batch to clip) and before step().")

_LOOP_HINTS = {
    ("zero", "once, before the loop"):
        "gradients accumulate: .backward() adds to .grad, so without optimizer.zero_grad() at every step each "
        "update uses the sum of all the gradients so far.",
    ("zero", "between backward and step"):
        "zero_grad() runs after backward(): the gradient is erased before optimizer.step() can use it "
        "(call it before the forward pass, or right after step()).",
    ("clip", "before backward"):
        "clip_grad_norm_ runs before loss.backward(): it clips the old (or no) gradient, and the new one reaches "
        "optimizer.step() unclipped. Clip after backward(), before step().",
    ("clip", "never"):
        "the gradient that reaches optimizer.step() is not clipped: call clip_grad_norm_(model.parameters(), "
        "max_norm) after backward(), before step().",
    ("sched", "before the optimizer"):
        "scheduler.step() runs before optimizer.step(): every update uses the next step's learning rate and the "
        "first value of the schedule is skipped (torch warns about it). Step the scheduler after the optimizer.",
    ("sched", "never"):
        "the learning rate never changes: call scheduler.step() once per update, after optimizer.step().",
}


def reference_loop(model: nn.Module, optimizer: torch.optim.Optimizer, scheduler: Any, batches: Any,
                   max_norm: float, zero: str = _ZERO[0], clip: str = _CLIP[0], sched: str = _SCHED[0]) -> None:
    """One pass over ``batches`` with the order the course teaches (the defaults) or with one of
    the known mistakes: ``zero``, ``clip`` and ``sched`` say where each call goes."""
    if zero == "once, before the loop":
        optimizer.zero_grad()
    for x, y in batches:
        if zero == "each step":
            optimizer.zero_grad()
        loss = lm_loss(model, x, y)
        if clip == "before backward":
            nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        loss.backward()
        if zero == "between backward and step":
            optimizer.zero_grad()
        if clip == "after backward":
            nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        if sched == "before the optimizer":
            scheduler.step()
        optimizer.step()
        if sched == "after the optimizer":
            scheduler.step()


def _loop_setup() -> tuple[nn.Module, Callable[[nn.Module], tuple[Any, Any]], list, float]:
    cfg = TransformerConfig(vocab_size=7, context=6, d_model=8, n_heads=2, n_layers=1)
    model = CharTransformer(cfg, seed=1, dtype=torch.float64)
    gen = torch.Generator().manual_seed(2)
    batches = [(torch.randint(0, 7, (3, 6), generator=gen), torch.randint(0, 7, (3, 6), generator=gen))
               for _ in range(5)]
    probe = copy.deepcopy(model)
    lm_loss(probe, *batches[0]).backward()
    max_norm = 0.5 * float(torch.cat([p.grad.flatten() for p in probe.parameters()]).norm())

    def make_opt(m: nn.Module):
        opt = torch.optim.SGD(m.parameters(), lr=0.5, momentum=0.9)
        sch = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: (t + 1) / 5)
        return opt, sch

    return model, make_opt, batches, max_norm


def _final_params(model: nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def check_training_loop(student_fn: Callable[..., Any]) -> CheckResult:
    """``student_fn(model, optimizer, scheduler, batches, max_norm)`` trains one pass over
    ``batches``: per batch zero_grad, forward (``lm_loss``), backward, clip the global norm to
    ``max_norm``, optimizer step, scheduler step. It must end at the same parameters as that
    loop; a known misplacement of zero_grad, the clipping or the scheduler is named."""
    title = "the training loop: zero_grad, forward, backward, clip, step, schedule"

    def body() -> CheckResult:
        import warnings

        model, make_opt, batches, max_norm = _loop_setup()
        results = {}
        for zero, clip, sched in itertools.product(_ZERO, _CLIP, _SCHED):
            m = copy.deepcopy(model)
            opt, sch = make_opt(m)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                reference_loop(m, opt, sch, batches, max_norm, zero, clip, sched)
            results[(zero, clip, sched)] = _final_params(m)
        mine = copy.deepcopy(model)
        opt, sch = make_opt(mine)
        steps = []
        opt.register_step_post_hook(lambda *args: steps.append(1))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            student_fn(mine, opt, sch, batches, max_norm)
        got = _final_params(mine)
        if len(steps) != len(batches):
            return CheckResult(FAIL, title, f"optimizer.step() ran {len(steps)} times for {len(batches)} batches",
                               "one optimizer.step() per batch, after backward() and the clipping.")
        if not torch.isfinite(got).all():
            return CheckResult(FAIL, title, "the parameters are not finite after your loop",
                               "per batch: zero_grad, forward, backward, clip, optimizer step, scheduler step.")
        right = results[(_ZERO[0], _CLIP[0], _SCHED[0])]
        if torch.allclose(got, right, rtol=1e-9, atol=1e-12):
            return CheckResult(PASS, title, f"same parameters as the right loop after {len(batches)} batches; "
                               "each known misplacement would have ended elsewhere.")
        matches = [key for key, value in results.items() if torch.allclose(got, value, rtol=1e-9, atol=1e-12)]
        if not matches:
            return CheckResult(
                FAIL, title, "your loop ends at parameters that no known ordering explains",
                "each call needs what the one before it produced: a fresh gradient needs .grad zeroed, clipping "
                "needs the gradient, the step needs the clipped gradient, the schedule follows the step.",
                detail="per batch: optimizer.zero_grad(); loss = lm_loss(model, x, y); loss.backward(); "
                "clip_grad_norm_(model.parameters(), max_norm); optimizer.step(); scheduler.step().")
        key = matches[0]
        clip_unclear = {k[1] for k in matches if (k[0], k[2]) == (key[0], key[2])} >= {"before backward", "never"}
        found = []
        for part, where, right_where in zip(("zero", "clip", "sched"), key, (_ZERO[0], _CLIP[0], _SCHED[0]),
                                            strict=True):
            if where == right_where:
                continue
            if part == "clip" and clip_unclear:  # with zero_grad first, clipping before backward clips nothing
                found.append(_UNCLIPPED_HINT)
            else:
                found.append(_LOOP_HINTS[(part, where)])
        n = len(found)
        return CheckResult(FAIL, title, f"{n} thing{'s' if n > 1 else ''} still in the wrong place",
                           " | ".join(found))

    return guard(title, body)
