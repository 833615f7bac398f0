"""Tests for course_utils.initialization: the deep MLP builder, the per-layer statistics, and the
Gaussian expectations of the variance-propagation maps."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from course_utils.initialization import (
    LayerStats,
    deep_mlp,
    gaussian_expectation,
    grad_norms,
    layer_statistics,
    linear_layers,
)


# ---------------------------------------------------------------------------------------------
# deep_mlp
# ---------------------------------------------------------------------------------------------
def test_deep_mlp_layout():
    model = deep_mlp(5, 7, 4, 3, activation="tanh", norm="layernorm")
    kinds = [type(m).__name__ for m in model]
    assert kinds == ["Linear", "LayerNorm", "Tanh"] * 3 + ["Linear"]
    shapes = [tuple(m.weight.shape) for m in linear_layers(model)]
    assert shapes == [(7, 5), (7, 7), (7, 7), (3, 7)]
    assert model(torch.randn(2, 5)).shape == (2, 3)
    assert [type(m).__name__ for m in deep_mlp(5, 7, 1, 3)] == ["Linear"]
    assert isinstance(deep_mlp(4, 6, 3, 2, norm="batchnorm")[1], nn.BatchNorm1d)


def test_deep_mlp_init_is_called_on_every_weight_and_zeroes_biases():
    seen = []

    def init(w):
        seen.append(tuple(w.shape))
        w.fill_(0.5)

    model = deep_mlp(3, 4, 3, 2, init=init)
    assert seen == [(4, 3), (4, 4), (2, 4)]
    for layer in linear_layers(model):
        assert bool((layer.weight == 0.5).all())
        assert bool((layer.bias == 0).all())


def test_deep_mlp_default_init_and_seed():
    a = deep_mlp(16, 16, 3, 4, seed=1)
    b = deep_mlp(16, 16, 3, 4, seed=1)
    c = deep_mlp(16, 16, 3, 4, seed=2)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    assert not torch.equal(a[0].weight, c[0].weight)
    # PyTorch's default: weights and biases in [-1/sqrt(fan_in), 1/sqrt(fan_in)], biases not zero
    bound = 1 / math.sqrt(16)
    assert float(a[0].weight.detach().abs().max()) <= bound
    assert bool((a[0].bias != 0).any())


def test_deep_mlp_dtype():
    model = deep_mlp(3, 4, 2, 2, dtype=torch.float64, norm="layernorm")
    assert all(p.dtype == torch.float64 for p in model.parameters())


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [({"depth": 0}, "depth"), ({"width": -1}, "width"), ({"activation": "gelu"}, "activation"),
     ({"norm": "groupnorm"}, "norm"), ({"n_in": 2.5}, "n_in")],
)
def test_deep_mlp_validation(kwargs, name):
    args = {"n_in": 3, "width": 4, "depth": 2, "n_out": 2} | kwargs
    n_in, width, depth, n_out = args.pop("n_in"), args.pop("width"), args.pop("depth"), args.pop("n_out")
    with pytest.raises(ValueError, match=name):
        deep_mlp(n_in, width, depth, n_out, **args)


# ---------------------------------------------------------------------------------------------
# layer_statistics
# ---------------------------------------------------------------------------------------------
def _manual_stats(model, X, y):
    """The same quantities by hand: unroll the Sequential, keep u^l, differentiate."""
    zs, a = [], X
    for m in model:
        a = m(a)
        if isinstance(m, nn.Linear):
            zs.append(a)
    loss = nn.functional.cross_entropy(a, y)
    weights = [m.weight for m in linear_layers(model)]
    grads = torch.autograd.grad(loss, zs + weights)
    return zs, grads[: len(zs)], grads[len(zs):], loss


def test_layer_statistics_matches_a_manual_computation():
    torch.manual_seed(0)
    model = deep_mlp(6, 8, 4, 3, activation="tanh", dtype=torch.float64)
    X = torch.randn(32, 6, dtype=torch.float64)
    y = torch.randint(0, 3, (32,))
    stats = layer_statistics(model, X, y)
    zs, gz, gw, loss = _manual_stats(model, X, y)
    assert isinstance(stats, LayerStats) and stats.depth == 4
    for i in range(4):
        assert stats.out_var[i] == pytest.approx(float(zs[i].detach().var(correction=0)), rel=1e-12)
        assert stats.grad_out_var[i] == pytest.approx(float(gz[i].var(correction=0)), rel=1e-12)
        assert stats.grad_w_var[i] == pytest.approx(float(gw[i].var(correction=0)), rel=1e-12)
        assert stats.grad_w_norm[i] == pytest.approx(float(gw[i].norm()), rel=1e-12)
    assert stats.loss == pytest.approx(float(loss.detach()), rel=1e-12)


def test_layer_statistics_leaves_no_hooks_and_no_grads():
    model = deep_mlp(4, 5, 3, 2)
    X, y = torch.randn(10, 4), torch.randint(0, 2, (10,))
    layer_statistics(model, X, y)
    assert all(p.grad is None for p in model.parameters())
    assert all(not m._forward_hooks for m in model.modules())


def test_layer_statistics_removes_hooks_when_the_pass_fails():
    model = deep_mlp(4, 5, 3, 2)
    with pytest.raises(RuntimeError):
        layer_statistics(model, torch.randn(10, 7), torch.randint(0, 2, (10,)))  # wrong input width
    assert all(not m._forward_hooks for m in model.modules())


def test_layer_statistics_needs_linear_layers():
    with pytest.raises(ValueError, match="nn.Linear"):
        layer_statistics(nn.Sequential(nn.ReLU()), torch.randn(3, 2), torch.zeros(3, dtype=torch.long))


def test_relu_kaiming_keeps_the_variance_and_half_variance_decays():
    """The variance argument itself, on a wide net: Var[u^l] / Var[u^{l-1}] = n Var[W] / 2 for ReLU."""
    torch.manual_seed(0)
    X = torch.randn(512, 256, dtype=torch.float64)
    y = torch.randint(0, 10, (512,))
    for var_w, factor in ((2 / 256, 1.0), (1 / 256, 0.5)):
        model = deep_mlp(256, 256, 8, 10, init=lambda w, v=var_w: w.normal_(0, math.sqrt(v)), dtype=torch.float64)
        z = layer_statistics(model, X, y).out_var
        measured = float((z[6] / z[0]) ** (1 / 6))
        assert measured == pytest.approx(factor, rel=0.05)


def test_grad_norms():
    model = deep_mlp(4, 5, 3, 2)
    assert bool(torch.isnan(grad_norms(model)).all())
    loss = nn.functional.cross_entropy(model(torch.randn(6, 4)), torch.randint(0, 2, (6,)))
    loss.backward()
    expected = [float(m.weight.grad.norm()) for m in linear_layers(model)]
    assert grad_norms(model).tolist() == pytest.approx(expected, rel=1e-6)


# ---------------------------------------------------------------------------------------------
# gaussian_expectation
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("q", [0.0, 0.01, 1.0, 4.0, 9.0])
def test_gaussian_expectation_closed_forms(q):
    assert gaussian_expectation(lambda z: z**2, q) == pytest.approx(q, rel=1e-12, abs=1e-15)
    assert gaussian_expectation(lambda z: np.maximum(z, 0) ** 2, q) == pytest.approx(q / 2, rel=1e-12, abs=1e-15)
    assert gaussian_expectation(lambda z: np.ones_like(z), q) == pytest.approx(1.0, rel=1e-14)
    assert gaussian_expectation(lambda z: z**4, q) == pytest.approx(3 * q**2, rel=1e-10, abs=1e-15)
    assert gaussian_expectation(lambda z: np.cos(z), q) == pytest.approx(math.exp(-q / 2), rel=1e-10)


def test_gaussian_expectation_of_a_step_is_one_half():
    assert gaussian_expectation(lambda z: (z > 0) * 1.0, 2.0) == pytest.approx(0.5, rel=1e-15)


def test_gaussian_expectation_tanh_against_monte_carlo():
    gen = np.random.default_rng(0)
    xi = gen.standard_normal(2_000_000)
    for q in (0.5, 5.0):
        mc = float(np.mean(np.tanh(math.sqrt(q) * xi) ** 2))
        assert gaussian_expectation(lambda z: np.tanh(z) ** 2, q) == pytest.approx(mc, abs=2e-3)


def test_gaussian_expectation_validation():
    with pytest.raises(ValueError, match="q"):
        gaussian_expectation(np.tanh, -1.0)
    with pytest.raises(ValueError, match="nodes"):
        gaussian_expectation(np.tanh, 1.0, nodes=7)
