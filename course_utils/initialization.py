"""Deep MLPs whose initialization we choose, and what flows through them layer by layer.

`deep_mlp` builds ``depth`` linear layers, each but the last followed by an optional
normalization layer and an activation; a weight initializer (any function that fills a weight
tensor in place) replaces PyTorch's default, and the biases are then zero. `layer_statistics`
runs one forward and one backward pass and returns, for every linear layer l = 1..D with output
u^l = W^l x^{l-1} + b^l (the pre-activation), the variances Var[u^l] and Var[dL/du^l] and the size
of dL/dW^l: the quantities of the variance-propagation argument (Glorot & Bengio 2010; He et al.
2015). `gaussian_expectation` computes E[f(u)] for u ~ N(0, q) by numerical integration, for the
layer-to-layer maps of that argument.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

__all__ = [
    "ACTIVATIONS",
    "NORMS",
    "LayerStats",
    "deep_mlp",
    "gaussian_expectation",
    "grad_norms",
    "layer_statistics",
    "linear_layers",
]

ACTIVATIONS: dict[str, type[nn.Module]] = {"relu": nn.ReLU, "tanh": nn.Tanh, "linear": nn.Identity}
"""The activations `deep_mlp` knows by name."""

NORMS: dict[str, type[nn.Module]] = {"layernorm": nn.LayerNorm, "batchnorm": nn.BatchNorm1d}
"""The normalization layers `deep_mlp` knows by name (inserted between a linear layer and its activation)."""


def deep_mlp(
    n_in: int,
    width: int,
    depth: int,
    n_out: int,
    *,
    activation: str = "relu",
    init: Callable[[Tensor], Any] | None = None,
    norm: str | None = None,
    seed: int | None = 0,
    dtype: torch.dtype = torch.float32,
) -> nn.Sequential:
    """An MLP with ``depth`` linear layers: n_in -> width -> ... -> width -> n_out.

    Every linear layer but the last is followed by ``norm`` (None, "layernorm" or "batchnorm")
    and then ``activation`` ("relu", "tanh" or "linear"). ``init(weight)`` fills each weight
    (shape (fan_out, fan_in), as in `nn.Linear`) in place, under `torch.no_grad`, and the
    biases are set to zero; with ``init=None`` the layers keep PyTorch's default initialization
    (weights and biases U(-1/sqrt(fan_in), 1/sqrt(fan_in))). ``seed`` seeds the global RNG
    first, so an ``init`` that draws from it is reproducible.
    """
    for name, value in (("n_in", n_in), ("width", width), ("depth", depth), ("n_out", n_out)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    if norm is not None and norm not in NORMS:
        raise ValueError(f"norm must be None or one of {sorted(NORMS)}, got {norm!r}")
    if seed is not None:
        torch.manual_seed(seed)
    sizes = [n_in] + [width] * (depth - 1) + [n_out]
    layers: list[nn.Module] = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        linear = nn.Linear(fan_in, fan_out, dtype=dtype)
        if init is not None:
            with torch.no_grad():
                init(linear.weight)
                linear.bias.zero_()
        layers.append(linear)
        if i < depth - 1:
            if norm is not None:
                layers.append(NORMS[norm](fan_out, dtype=dtype))
            layers.append(ACTIVATIONS[activation]())
    return nn.Sequential(*layers)


def linear_layers(model: nn.Module) -> list[nn.Linear]:
    """The `nn.Linear` modules of ``model``, in the order `model.modules()` visits them."""
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


@dataclass
class LayerStats:
    """Per linear layer l = 1..D (float64 tensors of length D), from one forward-backward pass.

    ``out_var``: Var[u^l] over all entries (examples x units) of the layer's output u^l;
    ``grad_out_var``: Var[dL/du^l]; ``grad_w_var`` and ``grad_w_norm``: the variance and the
    Frobenius norm of dL/dW^l; ``loss``: the loss of that pass. Variances divide by the count
    (no Bessel correction).
    """

    out_var: Tensor
    grad_out_var: Tensor
    grad_w_var: Tensor
    grad_w_norm: Tensor
    loss: float

    @property
    def depth(self) -> int:
        return len(self.out_var)


def _var(t: Tensor) -> float:
    return float(t.detach().double().var(correction=0))


def layer_statistics(
    model: nn.Module,
    X: Tensor,
    y: Tensor,
    loss_fn: Callable[[Tensor, Tensor], Tensor] = nn.functional.cross_entropy,
) -> LayerStats:
    """Run ``loss_fn(model(X), y)`` forward and backward; return the per-layer `LayerStats`.

    Forward hooks keep each linear layer's output u^l; `torch.autograd.grad` then gives
    dL/du^l and dL/dW^l without touching the parameters' ``.grad``. The hooks are removed
    afterwards, even if the pass fails.
    """
    layers = linear_layers(model)
    if not layers:
        raise ValueError("model has no nn.Linear layer")
    outputs: dict[int, Tensor] = {}
    handles = [
        layer.register_forward_hook(lambda _m, _inp, out, i=i: outputs.__setitem__(i, out))
        for i, layer in enumerate(layers)
    ]
    try:
        loss = loss_fn(model(X), y)
    finally:
        for h in handles:
            h.remove()
    if len(outputs) != len(layers):
        raise ValueError("every linear layer must take part in the forward pass")
    zs = [outputs[i] for i in range(len(layers))]
    weights = [layer.weight for layer in layers]
    grads = torch.autograd.grad(loss, zs + weights)
    g_z, g_w = grads[: len(zs)], grads[len(zs):]
    as64 = lambda values: torch.tensor(values, dtype=torch.float64)  # noqa: E731
    return LayerStats(
        out_var=as64([_var(z) for z in zs]),
        grad_out_var=as64([_var(g) for g in g_z]),
        grad_w_var=as64([_var(g) for g in g_w]),
        grad_w_norm=as64([float(torch.linalg.vector_norm(g.double())) for g in g_w]),
        loss=float(loss.detach()),
    )


def grad_norms(model: nn.Module) -> Tensor:
    """||dL/dW^l||_F of each linear layer's weight from its ``.grad`` (nan where there is none), float64."""
    return torch.tensor(
        [float(torch.linalg.vector_norm(m.weight.grad.double())) if m.weight.grad is not None else float("nan")
         for m in linear_layers(model)],
        dtype=torch.float64,
    )


def gaussian_expectation(f: Callable[[np.ndarray], np.ndarray], q: float, nodes: int = 4000) -> float:
    """E[f(sqrt(q) xi)] for xi ~ N(0, 1), by the midpoint rule on xi in [-10, 10].

    The ``nodes`` midpoints x_k are symmetric about 0 (none at 0), with weights
    w_k proportional to exp(-x_k^2 / 2), normalised to sum to 1. For smooth f (tanh^2, sech^4)
    the rule is accurate to about machine precision; by symmetry it gives E[relu(z)^2] = q/2 and
    E[1{z > 0}] = 1/2 to rounding, with no error from ReLU's kink. ``q`` is the variance (>= 0).
    """
    if not q >= 0:
        raise ValueError(f"q must be >= 0 (a variance), got {q!r}")
    if not isinstance(nodes, int) or nodes < 2 or nodes % 2:
        raise ValueError(f"nodes must be an even integer >= 2, got {nodes!r}")
    h = 20.0 / nodes
    x = -10.0 + h * (np.arange(nodes) + 0.5)
    w = np.exp(-0.5 * x**2)
    return float(np.sum(w * f(np.sqrt(q) * x)) / np.sum(w))
