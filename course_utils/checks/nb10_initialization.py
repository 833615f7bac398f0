"""Checks of notebook 10 (initialization and gradient health): Kaiming initialization for (leaky)
ReLU, gradient clipping by global norm, and the fix of a buggy initializer.

Each check recognises the likely mistakes by measuring what the student's code does (the
variance it gives a weight, what it does to ``.grad``) against what each mistake would do.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import Tensor, nn

from .core import FAIL, PASS, CheckResult, fmt, guard

__all__ = [
    "check_clip_grad_norm",
    "check_init_fix",
    "check_kaiming_init",
]

# (fan_out, fan_in): weight shapes as in nn.Linear; both orientations, so that a fan_out mistake shows
_SHAPES: tuple[tuple[int, int], ...] = ((300, 1200), (1200, 300))
_REL_TOL = 0.015  # 360,000 draws estimate a variance to about 0.24 %: 1.5 % is over 6 standard errors


def _sample_variance(w: Tensor) -> float:
    return float(w.detach().double().var(correction=0))


def _kurtosis(w: Tensor) -> float:
    x = w.detach().double().reshape(-1)
    x = x - x.mean()
    return float((x**4).mean() / (x**2).mean() ** 2)


def _call_init(fn: Callable[..., Any], shape: tuple[int, int], **kw: Any) -> tuple[Tensor, Any]:
    """Call ``fn`` on a fresh zero weight of ``shape``; return the weight and what ``fn`` returned."""
    weight = torch.zeros(shape)
    returned = fn(weight, **kw)
    return weight, returned


def check_kaiming_init(student_fn: Callable[..., Any]) -> CheckResult:
    """``student_fn(weight, negative_slope=0.0)`` must fill ``weight`` (shape (fan_out, fan_in), as in
    nn.Linear) in place with N(0, 2 / ((1 + slope^2) fan_in)) draws, slope = negative_slope (0: ReLU)."""
    title = "Kaiming (He) initialization for ReLU and leaky ReLU"

    def body() -> CheckResult:
        torch.manual_seed(0)
        for slope in (0.0, 0.2):
            observed: list[tuple[float, int, int]] = []  # (variance, fan_in, fan_out)
            for shape in _SHAPES:
                fan_out, fan_in = shape
                weight, returned = _call_init(student_fn, shape, negative_slope=slope)
                where = f"a weight of shape {shape} (fan_in = {fan_in}, fan_out = {fan_out}), negative_slope = {slope:g}"
                if bool((weight == 0).all()):
                    if returned is None:
                        raise NotImplementedError
                    return CheckResult(FAIL, title, f"on {where}: the weight passed in is unchanged.",
                                       "fill the weight in place (weight.normal_(0, std)); deep_mlp and "
                                       "nn.init ignore a returned tensor.")
                if not bool(torch.isfinite(weight).all()):
                    return CheckResult(FAIL, title, f"on {where}: the weight has nan or inf entries.",
                                       "the standard deviation must be a finite positive number.")
                var = _sample_variance(weight)
                expected = 2.0 / ((1.0 + slope**2) * fan_in)
                mean = float(weight.double().mean())
                if abs(mean) > 6 * math.sqrt(var / weight.numel()) + 1e-12:
                    return CheckResult(FAIL, title, f"on {where}: the mean of the entries is {fmt(mean)}, not 0.",
                                       "Kaiming's weights have mean 0: draw from N(0, std^2).")
                observed.append((var, fan_in, fan_out))
                if abs(var / expected - 1) <= _REL_TOL:
                    kurt = _kurtosis(weight)
                    if abs(kurt - 3.0) > 0.15:
                        return CheckResult(FAIL, title, f"on {where}: the variance is right, but the entries "
                                           f"are not Gaussian (kurtosis {kurt:.2f}, a Gaussian has 3).",
                                           "this exercise asks for the normal version: weight.normal_(0, std), "
                                           "not uniform_.")
            wrong = [(v, fi, fo) for v, fi, fo in observed if abs(v * (1.0 + slope**2) * fi / 2.0 - 1) > _REL_TOL]
            if wrong:
                var, fan_in, fan_out = wrong[0]
                expected = 2.0 / ((1.0 + slope**2) * fan_in)
                msg = (f"on a weight of shape ({fan_out}, {fan_in}) (fan_in = {fan_in}, fan_out = {fan_out}), "
                       f"negative_slope = {slope:g}: Var[W] = {fmt(var)}, expected 2 / ((1 + slope^2) fan_in) = "
                       f"{fmt(expected)}.")
                return CheckResult(FAIL, title, msg, _kaiming_hint(observed, slope))
        # in place on a real nn.Linear weight (a leaf that requires grad)
        layer = nn.Linear(300, 100)
        before = layer.weight.detach().clone()
        try:
            student_fn(layer.weight)
        except RuntimeError as exc:
            if "leaf" in str(exc) or "in-place" in str(exc):
                return CheckResult(FAIL, title, "on nn.Linear(300, 100).weight: " + str(exc).splitlines()[0],
                                   "a parameter that requires grad can only be filled in place inside "
                                   "`with torch.no_grad():`.")
            raise
        if torch.equal(before, layer.weight.detach()):
            return CheckResult(FAIL, title, "nn.Linear(300, 100).weight is unchanged after your call.",
                               "fill the weight in place, as nn.init does.")
        return CheckResult(PASS, title, "Var[W] = 2 / ((1 + slope^2) fan_in), Gaussian, in place; slopes 0 "
                           "and 0.2, shapes (300, 1200), (1200, 300).")

    return guard(title, body)


def _kaiming_hint(observed: Sequence[tuple[float, int, int]], slope: float, tol: float = 2 * _REL_TOL) -> str:
    """Name the mistake whose variance formula fits every observed (variance, fan_in, fan_out) within
    ``tol`` (relative)."""
    k = 1.0 + slope**2
    candidates: list[tuple[Callable[[int, int], float], str]] = [
        (lambda fi, fo: 2.0 / (k * (fi + fo)), "that is Xavier's fan average 2 / (fan_in + fan_out). Kaiming keeps "
                                               "the forward variance: Var[u] = fan_in Var[W] E[x^2], so only fan_in "
                                               "enters."),
        (lambda fi, fo: 1.0 / (k * fi), "a factor 2 is missing: ReLU zeroes half of its inputs, E[relu(u)^2] = "
                                        "Var[u] / 2, and the weights must make up for that half."),
        (lambda fi, fo: 2.0 / (k * fo), "you used fan_out. An nn.Linear weight has shape (fan_out, fan_in): its "
                                        "number of inputs is weight.shape[1]."),
        (lambda fi, fo: 4.0 / (k * fi), "the variance is twice too large, as if the 2 multiplied the standard "
                                        "deviation: 2 / fan_in is the variance, and the draw needs its square root."),
        (lambda fi, fo: math.sqrt(2.0) / (k * fi), "sqrt(2) multiplies the standard deviation (the gain), 2 the "
                                                   "variance."),
        (lambda fi, fo: 4.0 / (k * fi) ** 2, "that is 2 / fan_in as the standard deviation: 2 / fan_in is the "
                                             "variance, take its square root."),
        (lambda fi, fo: 1.0 / (3.0 * fi), "that is PyTorch's default nn.Linear initialization, Var = 1 / (3 fan_in)."),
    ]
    if slope > 0:
        candidates += [
            (lambda fi, fo: 2.0 / fi, "right for ReLU, but negative_slope is ignored: a leaky ReLU keeps part of "
                                      "the negative half, so E[f(u)^2] is more than Var[u] / 2."),
            (lambda fi, fo: 2.0 / ((1.0 + slope) * fi), "the slope enters squared: the negative half contributes "
                                                        "E[(slope u)^2] = slope^2 E[u^2], not slope E[u^2]."),
            (lambda fi, fo: 2.0 / ((1.0 - slope**2) * fi), "the negative half adds variance to the output, it does "
                                                           "not remove any: the factor grows with the slope."),
        ]

    def misfit(formula: Callable[[int, int], float]) -> float:
        return max(abs(math.log(v / formula(fi, fo))) for v, fi, fo in observed)

    formula, hint = min(candidates, key=lambda c: misfit(c[0]))
    if misfit(formula) <= tol:
        return hint
    return ("derive it: Var[u] = fan_in Var[W] E[f(u_prev)^2]; work out E[f(u)^2] for a symmetric u of "
            "variance Var[u], and ask for Var[u] to stay the same from layer to layer.")


# --------------------------------------------------------------------------------------------
# Gradient clipping by global norm
# --------------------------------------------------------------------------------------------
def _clip_case(seed: int, scale: float) -> list[nn.Parameter]:
    """Three parameters with float64 gradients of total 2-norm ``scale``, and one without a gradient."""
    gen = torch.Generator().manual_seed(seed)
    shapes = [(4, 3), (7,), (2, 5)]
    params = [nn.Parameter(torch.randn(s, generator=gen, dtype=torch.float64)) for s in shapes]
    grads = [torch.randn(s, generator=gen, dtype=torch.float64) for s in shapes]
    # make one tensor dominate, so that clipping each tensor by its own norm differs from global clipping
    grads[0] = grads[0] * 4
    total = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))
    for p, g in zip(params, grads, strict=True):
        p.grad = g * (scale / total)
    params.insert(2, nn.Parameter(torch.zeros(3, dtype=torch.float64)))  # .grad is None
    return params


def _clone_grads(params: Sequence[nn.Parameter]) -> list[Tensor | None]:
    return [None if p.grad is None else p.grad.detach().clone() for p in params]


def _reference(params: Sequence[nn.Parameter], max_norm: float, norm_type: float) -> tuple[list[Tensor | None], float]:
    copies = [nn.Parameter(p.detach().clone()) for p in params]
    for c, p in zip(copies, params, strict=True):
        c.grad = None if p.grad is None else p.grad.detach().clone()
    total = float(torch.nn.utils.clip_grad_norm_(copies, max_norm, norm_type=norm_type))
    return _clone_grads(copies), total


def _variant(grads: Sequence[Tensor | None], max_norm: float, kind: str) -> list[Tensor | None]:
    """The gradients a known mistake would produce (2-norm)."""
    present = [g for g in grads if g is not None]
    total = float(torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in present])))
    out: list[Tensor | None] = []
    for g in grads:
        if g is None:
            out.append(None)
        elif kind == "per_tensor":
            n = float(torch.linalg.vector_norm(g))
            out.append(g * min(1.0, max_norm / (n + 1e-6)))
        elif kind == "no_eps":
            out.append(g * min(1.0, max_norm / total))
        elif kind == "always":
            out.append(g * (max_norm / (total + 1e-6)))
        else:
            raise ValueError(kind)
    return out


def _same(a: Sequence[Tensor | None], b: Sequence[Tensor | None], rtol: float = 1e-10) -> bool:
    for x, y in zip(a, b, strict=True):
        if (x is None) != (y is None):
            return False
        if x is not None and y is not None:
            scale = float(y.abs().max()) or 1.0
            if x.shape != y.shape or float((x.double() - y).abs().max()) > rtol * scale:
                return False
    return True


def check_clip_grad_norm(student_fn: Callable[..., Any]) -> CheckResult:
    """``student_fn(parameters, max_norm, norm_type=2.0, eps=1e-6)`` must scale every ``p.grad`` in
    place by min(1, max_norm / (||g|| + eps)), ||g|| the norm of all gradients together (2-norm, or
    the largest |g_i| for norm_type = inf), skip parameters without a gradient, and return ||g||.
    Compared with torch.nn.utils.clip_grad_norm_ in float64."""
    title = "gradient clipping by global norm"
    cases = [  # (what, seed, total norm, max_norm, norm_type)
        ("gradients of total norm 5, max_norm = 1", 0, 5.0, 1.0, 2.0),
        ("gradients of total norm 0.5, max_norm = 1 (below the threshold)", 1, 0.5, 1.0, 2.0),
        ("tiny gradients of total norm 3e-6, max_norm = 1e-6 (eps matters)", 2, 3e-6, 1e-6, 2.0),
        ("norm_type = inf, max_norm = 0.5", 3, 5.0, 0.5, math.inf),
    ]

    def body() -> CheckResult:
        for what, seed, scale, max_norm, norm_type in cases:
            params = _clip_case(seed, scale)
            before = _clone_grads(params)
            want, want_norm = _reference(params, max_norm, norm_type)
            kw = {} if norm_type == 2.0 else {"norm_type": norm_type}
            try:
                returned = student_fn(params, max_norm, **kw)
            except (AttributeError, TypeError) as exc:
                if "NoneType" in str(exc) or "None" in str(exc):
                    return CheckResult(FAIL, title, f"on {what}: your code raised {type(exc).__name__}: {exc}",
                                       "a parameter that took no part in the loss has p.grad None: skip it.")
                raise
            got = _clone_grads(params)
            if returned is None:
                if _same(got, before, rtol=0.0) and not _same(want, before, rtol=0.0):
                    raise NotImplementedError
                return CheckResult(FAIL, title, f"on {what}: your function returned None.",
                                   "return the total norm of the gradients (before clipping), as torch does.")
            if _same(got, want):
                norm = float(returned)
                if not math.isclose(norm, want_norm, rel_tol=1e-10):
                    after = float(torch.linalg.vector_norm(torch.stack(
                        [torch.linalg.vector_norm(g, norm_type) for g in got if g is not None]), norm_type))
                    hint = ("that is the norm after clipping: return the norm the gradients had before."
                            if math.isclose(norm, after, rel_tol=1e-6) else
                            "return the total norm of all gradients together, before clipping.")
                    return CheckResult(FAIL, title, f"on {what}: the gradients are right, but you returned "
                                       f"{fmt(norm)} instead of the total norm {fmt(want_norm)}.", hint)
                continue
            msg = f"on {what}: the gradients differ from torch.nn.utils.clip_grad_norm_'s."
            if _same(got, before, rtol=0.0):
                return CheckResult(FAIL, title, msg + " They were not changed at all.",
                                   "scale each p.grad in place (p.grad.mul_(coef)); computing clipped copies "
                                   "leaves the gradients the optimizer reads untouched.")
            if norm_type == math.inf:
                return CheckResult(FAIL, title, msg, "for norm_type = inf the total norm is the largest |g_i| "
                                   "over all gradients, max over tensors of g.abs().max().")
            if _same(got, _variant(before, max_norm, "no_eps")):
                return CheckResult(FAIL, title, msg, "the eps is missing: coef = max_norm / (norm + eps) "
                                   "with eps = 1e-6, as torch (it also keeps a zero gradient from dividing by 0).")
            if _same(got, _variant(before, max_norm, "per_tensor"), rtol=1e-4):
                return CheckResult(FAIL, title, msg, "you clipped each tensor by its own norm. Clipping by "
                                   "global norm uses one norm of all gradients together, sqrt(sum_p ||g_p||^2), "
                                   "and one coefficient for all, so the direction of the update is kept.")
            if _same(got, _variant(before, max_norm, "always"), rtol=1e-4):
                return CheckResult(FAIL, title, msg, "you rescaled gradients whose norm is below max_norm (up "
                                   "to max_norm). Only scale down: coef = min(1, max_norm / (norm + eps)).")
            return CheckResult(FAIL, title, msg, "coef = min(1, max_norm / (total + eps)) with total the 2-norm "
                               "of all gradients together; multiply every p.grad by it, in place.")
        return CheckResult(PASS, title, "equal to torch's clip_grad_norm_ above and below max_norm, tiny norms, "
                           "a .grad None, norm_type inf.")

    return guard(title, body)


# --------------------------------------------------------------------------------------------
# Spot the bug: an initializer for a ReLU network
# --------------------------------------------------------------------------------------------
def _test_net() -> nn.Sequential:
    """Layers of different fans (so that fan_in, fan_out and their mean all differ)."""
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(200, 400), nn.ReLU(), nn.Linear(400, 400), nn.ReLU(),
                         nn.Linear(400, 400), nn.ReLU(), nn.Linear(400, 50))


def check_init_fix(student_fn: Callable[[nn.Module], Any]) -> CheckResult:
    """``student_fn(model)`` must give every nn.Linear of a ReLU network Kaiming weights
    N(0, 2 / fan_in), independent from layer to layer, and zero biases."""
    title = "fix the initializer of a ReLU network"

    def body() -> CheckResult:
        model = _test_net()
        before = [m.weight.detach().clone() for m in model if isinstance(m, nn.Linear)]
        student_fn(model)
        layers = [m for m in model if isinstance(m, nn.Linear)]
        if all(torch.equal(b, m.weight.detach()) for b, m in zip(before, layers, strict=True)):
            raise NotImplementedError
        for i, (b, m) in enumerate(zip(before, layers, strict=True), start=1):
            if torch.equal(b, m.weight.detach()):
                return CheckResult(FAIL, title, f"linear layer {i} still has PyTorch's default weights.",
                                   "loop over every nn.Linear of the model (model.modules()).")
        observed = [(_sample_variance(m.weight), m.weight.shape[1], m.weight.shape[0]) for m in layers]
        for i, (var, fan_in, fan_out) in enumerate(observed, start=1):
            if abs(var * fan_in / 2.0 - 1) <= 0.05:
                continue
            msg = (f"linear layer {i} ({fan_in} -> {fan_out}): Var[W] = {fmt(var)}, "
                   f"expected 2 / fan_in = {fmt(2 / fan_in)}.")
            return CheckResult(FAIL, title, msg, _kaiming_hint(observed, 0.0, tol=0.06))
        if torch.allclose(layers[1].weight, layers[2].weight):
            return CheckResult(FAIL, title, "linear layers 2 and 3 have the same weights.",
                               "draw every layer's weights afresh; re-seeding inside the loop repeats "
                               "the same numbers in every layer of the same shape.")
        for i, m in enumerate(layers, start=1):
            if m.bias is not None and bool((m.bias != 0).any()):
                return CheckResult(FAIL, title, f"linear layer {i} has a non-zero bias.",
                                   "set the biases to zero: PyTorch's default bias U(-1/sqrt(fan_in), "
                                   "1/sqrt(fan_in)) adds variance that the derivation does not count.")
        return CheckResult(PASS, title, "Var[W] = 2 / fan_in (within 5 %), fresh draws, zero biases; "
                           "fans 200, 400, 50.")

    return guard(title, body)
