"""course_utils.hessian against torch.autograd.functional.hessian and torch.linalg.eigvalsh.

Everything runs in float64; "agrees" means a relative error <= 1e-6 unless a statistical
tolerance is stated.
"""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from course_utils import landscapes
from course_utils.hessian import (
    MAX_HESSIAN_PARAMS,
    HessianOperator,
    MatrixOperator,
    classify_critical_point,
    flatten,
    hessian,
    hutchinson_trace,
    hvp,
    hvp_func,
    lanczos,
    lanczos_spectrum,
    num_parameters,
    power_iteration,
    spectral_radius,
    top_eigenvalues,
    unflatten,
)

DT = torch.float64
RTOL = 1e-6


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


def rel_err(a: torch.Tensor, b: torch.Tensor) -> float:
    a, b = torch.as_tensor(a, dtype=DT), torch.as_tensor(b, dtype=DT)
    return float((a - b).abs().max() / b.abs().max().clamp_min(1e-300))


# --------------------------------------------------------------------------------------------
# Problems with a known Hessian
# --------------------------------------------------------------------------------------------
def random_net(seed: int, sizes=(4, 6, 3), n_samples: int = 16):
    """A small tanh network with a cross-entropy loss; returns (model, closure, flat-loss f)."""
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.Tanh())
    model = nn.Sequential(*layers).to(DT)
    X = torch.randn(n_samples, sizes[0], generator=gen, dtype=DT)
    y = torch.randint(0, sizes[-1], (n_samples,), generator=gen)
    params = list(model.parameters())
    names = [k for k, _ in model.named_parameters()]

    def closure():
        return nn.functional.cross_entropy(model(X), y)

    def f(w):  # the same loss as a function of the flat parameter vector
        ps = dict(zip(names, unflatten(w, params), strict=True))
        return nn.functional.cross_entropy(torch.func.functional_call(model, ps, (X,)), y)

    return model, params, closure, f


def reference_hessian(f, w):
    return torch.autograd.functional.hessian(f, w.detach().clone())


def matrix_with_spectrum(eigenvalues, seed: int = 0) -> torch.Tensor:
    """Q diag(lambda) Q^T with a random orthogonal Q."""
    lam = torch.as_tensor(eigenvalues, dtype=DT)
    gen = torch.Generator().manual_seed(seed)
    Q, _ = torch.linalg.qr(torch.randn(len(lam), len(lam), generator=gen, dtype=DT))
    A = Q @ torch.diag(lam) @ Q.T
    return (A + A.T) / 2


def quadratic_closure(A: torch.Tensor, b: torch.Tensor | None = None):
    """L(w) = 1/2 w^T A w + b^T w (+ its parameter), whose Hessian is exactly A."""
    w = torch.randn(A.shape[0], dtype=DT, generator=torch.Generator().manual_seed(7)).requires_grad_()
    b = torch.zeros(A.shape[0], dtype=DT) if b is None else b
    return w, (lambda: 0.5 * w @ A @ w + b @ w)


# --------------------------------------------------------------------------------------------
# flatten / unflatten
# --------------------------------------------------------------------------------------------
@given(st.lists(st.lists(st.integers(1, 4), min_size=0, max_size=3), min_size=1, max_size=4))
@settings(max_examples=30, deadline=None)
def test_flatten_unflatten_roundtrip(shapes):
    tensors = [torch.randn(tuple(s), dtype=DT) for s in shapes]
    flat = flatten(tensors)
    assert flat.ndim == 1 and flat.numel() == num_parameters(tensors)
    back = unflatten(flat, tensors)
    assert [b.shape for b in back] == [t.shape for t in tensors]
    assert all(torch.equal(a, b) for a, b in zip(back, tensors, strict=True))


def test_unflatten_rejects_wrong_length():
    with pytest.raises(ValueError, match="5 entries"):
        unflatten(torch.zeros(4), [torch.zeros(2), torch.zeros(3)])


# --------------------------------------------------------------------------------------------
# Hessian-vector products
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_hvp_matches_full_hessian_on_random_nets(seed):
    model, params, closure, f = random_net(seed)
    w = flatten([p.detach() for p in params])
    H = reference_hessian(f, w)
    v = torch.randn(w.numel(), dtype=DT, generator=torch.Generator().manual_seed(100 + seed))
    want = H @ v
    # flat v with a closure
    assert rel_err(hvp(closure, params, v), want) <= RTOL
    # list v with a loss tensor; the loss can be reused (its graph is kept)
    loss = closure()
    vs = unflatten(v, params)
    got = hvp(loss, params, vs)
    assert isinstance(got, list) and [g.shape for g in got] == [p.shape for p in params]
    assert rel_err(flatten(got), want) <= RTOL
    assert rel_err(flatten(hvp(loss, params, [2 * t for t in vs])), 2 * want) <= RTOL
    # the operator
    op = HessianOperator(closure, params)
    assert rel_err(op.matvec(v), want) <= RTOL and op.calls == 1
    assert rel_err(op.gradient, torch.func.grad(f)(w)) <= RTOL


@pytest.mark.parametrize("mode", ["forward-over-reverse", "reverse-over-reverse"])
@pytest.mark.parametrize("seed", [0, 3])
def test_hvp_func_matches_full_hessian(mode, seed):
    model, params, closure, f = random_net(seed)
    w = flatten([p.detach() for p in params])
    H = reference_hessian(f, w)
    v = torch.randn(w.numel(), dtype=DT, generator=torch.Generator().manual_seed(seed))
    assert rel_err(hvp_func(f, w, v, mode=mode), H @ v) <= RTOL
    # a pytree of parameters (a dict, as torch.func.functional_call takes)
    names = [k for k, _ in model.named_parameters()]
    X = torch.randn(5, 4, dtype=DT, generator=torch.Generator().manual_seed(1))
    p0 = {k: t.detach() for k, t in model.named_parameters()}

    def g(p):
        return torch.func.functional_call(model, p, (X,)).pow(2).sum()

    def g_flat(wf):
        return g(dict(zip(names, unflatten(wf, params), strict=True)))

    tang = dict(zip(names, unflatten(v, params), strict=True))
    got = hvp_func(g, p0, tang, mode=mode)
    want = torch.autograd.functional.hessian(g_flat, w) @ v
    assert rel_err(flatten([got[k] for k in names]), want) <= RTOL


def test_hvp_func_rejects_unknown_mode():
    with pytest.raises(ValueError, match="mode"):
        hvp_func(lambda w: (w**2).sum(), torch.ones(2), torch.ones(2), mode="finite-differences")


def test_hvp_on_quadratic_is_exact_and_shaped_like_v():
    A = matrix_with_spectrum([3.0, -1.0, 0.5, 2.0])
    w, closure = quadratic_closure(A, b=torch.ones(4, dtype=DT))
    v = torch.tensor([1.0, -2.0, 0.0, 4.0], dtype=DT)
    got = hvp(closure, w, v)
    assert got.shape == v.shape
    assert rel_err(got, A @ v) <= 1e-12
    # a parameter the loss does not use contributes zeros; a linear loss has H = 0
    unused = torch.zeros(3, dtype=DT, requires_grad=True)
    out = hvp(closure, [w, unused], [v, torch.ones(3, dtype=DT)])
    assert torch.equal(out[1], torch.zeros(3, dtype=DT))
    lin = torch.ones(3, dtype=DT, requires_grad=True)
    assert torch.equal(hvp(lambda: lin.sum() * 3, lin, torch.ones(3, dtype=DT)), torch.zeros(3, dtype=DT))


def test_hvp_rejects_bad_inputs():
    w = torch.ones(3, dtype=DT, requires_grad=True)
    with pytest.raises(ValueError, match="3 entries"):
        hvp(lambda: (w**3).sum(), w, torch.ones(4, dtype=DT))
    with pytest.raises(ValueError, match="scalar"):
        hvp(lambda: w**3, w, torch.ones(3, dtype=DT))
    with pytest.raises(ValueError, match="requires_grad"):
        hvp(lambda: (w**3).sum(), torch.ones(3), torch.ones(3))


# --------------------------------------------------------------------------------------------
# The full Hessian (small n only)
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 4])
def test_hessian_matches_autograd(seed):
    _, params, closure, f = random_net(seed, sizes=(3, 5, 4, 2))
    w = flatten([p.detach() for p in params])
    H = hessian(closure, params)
    Href = reference_hessian(f, w)
    assert H.shape == (w.numel(), w.numel())
    assert rel_err(H, Href) <= RTOL
    assert rel_err(torch.linalg.eigvalsh(H), torch.linalg.eigvalsh(Href)) <= RTOL


@pytest.mark.parametrize("land,point", [
    (landscapes.himmelblau, (3.0, 2.0)),
    (landscapes.rosenbrock(), (-1.0, 1.5)),
    (landscapes.monkey_saddle, (0.3, -0.7)),
])
def test_hessian_of_a_landscape(land, point):
    w = torch.tensor(point, dtype=DT, requires_grad=True)
    H = hessian(lambda: land.loss(w), w)
    assert rel_err(H, torch.autograd.functional.hessian(land.loss, w.detach())) <= RTOL


def test_hessian_refuses_large_models_and_points_to_hvp_tools():
    model = nn.Sequential(nn.Linear(64, 40), nn.Tanh(), nn.Linear(40, 10))
    n = num_parameters(list(model.parameters()))
    assert n > MAX_HESSIAN_PARAMS
    X, y = torch.randn(4, 64), torch.randint(0, 10, (4,))
    with pytest.raises(ValueError) as info:
        hessian(lambda: nn.functional.cross_entropy(model(X), y), list(model.parameters()))
    msg = str(info.value)
    assert f"n = {n}" in msg and f"max_params = {MAX_HESSIAN_PARAMS}" in msg
    for tool in ("hvp", "top_eigenvalues", "hutchinson_trace", "lanczos_spectrum"):
        assert tool in msg
    # a raised limit is honoured
    w = torch.zeros(5, dtype=DT, requires_grad=True)
    with pytest.raises(ValueError, match="max_params = 4"):
        hessian(lambda: (w**4).sum(), w, max_params=4)


# --------------------------------------------------------------------------------------------
# Power iteration with deflation
# --------------------------------------------------------------------------------------------
SPECTRA = [
    [10.0, 5.0, 2.0, 1.0, 0.5, 0.1, -0.3, -1.5],
    [-9.0, 4.0, 3.0, 1.0, 0.0, 0.0, -1.0, -2.5, 0.2],   # largest magnitude is negative
    [1.0, 0.9, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05],           # positive definite, small gaps
]


@pytest.mark.parametrize("spectrum", SPECTRA)
def test_power_iteration_on_matrices_with_known_spectra(spectrum):
    A = matrix_with_spectrum(spectrum, seed=len(spectrum))
    lam = torch.tensor(sorted(spectrum), dtype=DT)
    k = 3
    by_mag = lam[torch.argsort(lam.abs(), descending=True)][:k]
    res = power_iteration(A, k=k, which="LM", tol=1e-13, max_iter=20000)
    assert all(res.converged)
    assert rel_err(res.eigenvalues, by_mag) <= RTOL
    # the eigenvectors are unit vectors, orthogonal, and satisfy A u = lambda u
    U = res.eigenvectors
    assert torch.allclose(U @ U.T, torch.eye(k, dtype=DT), atol=1e-6)
    assert rel_err(U @ A, res.eigenvalues[:, None] * U) <= 1e-5
    assert rel_err(top_eigenvalues(A, k=k, which="LA", tol=1e-13, max_iter=50000), lam.flip(0)[:k]) <= RTOL
    assert rel_err(top_eigenvalues(A, k=k, which="SA", tol=1e-13, max_iter=50000), lam[:k]) <= RTOL


@pytest.mark.parametrize("seed", [0])
def test_power_iteration_on_a_network_hessian(seed):
    _, params, closure, f = random_net(seed, sizes=(4, 6, 3))
    w = flatten([p.detach() for p in params])
    ev = torch.linalg.eigvalsh(reference_hessian(f, w))
    op = HessianOperator(closure, params)
    top = top_eigenvalues(op, k=2, which="LM", tol=1e-10, max_iter=20000)
    assert rel_err(top, ev[torch.argsort(ev.abs(), descending=True)][:2]) <= RTOL
    assert rel_err(top_eigenvalues(op, which="LA", tol=1e-10, max_iter=20000), ev[-1:]) <= RTOL
    assert rel_err(top_eigenvalues(op, which="SA", tol=1e-10, max_iter=20000), ev[:1]) <= RTOL


def test_algebraic_extremes_when_magnitudes_tie():
    """x^2 - y^2: eigenvalues +2 and -2 tie in magnitude; the spectral shift separates them."""
    w = torch.tensor([0.0, 0.0], dtype=DT, requires_grad=True)
    loss = lambda: landscapes.saddle.loss(w)  # noqa: E731
    assert spectral_radius(loss, w) == pytest.approx(2.0, rel=1e-12)
    plain = power_iteration(loss, w, which="LM", max_iter=200)
    assert plain.converged == [False]  # the Rayleigh quotient of a +-tie never settles, and says so
    assert float(top_eigenvalues(loss, w, which="LA")[0]) == pytest.approx(2.0, rel=1e-9)
    assert float(top_eigenvalues(loss, w, which="SA")[0]) == pytest.approx(-2.0, rel=1e-9)


def test_power_iteration_memory_stays_linear_in_n():
    """More parameters than `hessian` accepts: power iteration only stores O(k n) vectors."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 48), nn.Tanh(), nn.Linear(48, 10)).to(DT)
    X, y = torch.randn(32, 64, dtype=DT), torch.randint(0, 10, (32,))
    params = list(model.parameters())
    n = num_parameters(params)
    assert n > MAX_HESSIAN_PARAMS
    op = HessianOperator(lambda: nn.functional.cross_entropy(model(X), y), params)
    res = power_iteration(op, k=1, tol=1e-6, max_iter=5000)
    assert res.converged == [True] and res.eigenvectors.shape == (1, n)
    assert res.matvecs == res.iterations[0] and op.calls == res.matvecs
    lam, u = float(res.eigenvalues[0]), res.eigenvectors[0]
    residual = op.matvec(u) - lam * u
    assert float(residual.norm()) <= 1e-3 * abs(lam)


def test_power_iteration_rejects_bad_arguments():
    A = torch.eye(3, dtype=DT)
    with pytest.raises(ValueError, match="which"):
        power_iteration(A, which="largest")
    with pytest.raises(ValueError, match="k must be in"):
        power_iteration(A, k=4)
    with pytest.raises(ValueError, match="tol"):
        power_iteration(A, tol=0.0)


# --------------------------------------------------------------------------------------------
# Hutchinson's trace estimator
# --------------------------------------------------------------------------------------------
def test_hutchinson_is_exact_for_a_diagonal_hessian_with_rademacher_probes():
    d = torch.tensor([3.0, -1.0, 0.25, 7.0, 0.0], dtype=DT)
    w, closure = quadratic_closure(torch.diag(d))
    est = hutchinson_trace(closure, w, probes=5)
    assert est.estimate == pytest.approx(float(d.sum()), rel=1e-12)
    assert torch.allclose(est.samples, d.sum().expand(5))


@pytest.mark.parametrize("distribution", ["rademacher", "gaussian"])
def test_hutchinson_converges_within_its_statistical_tolerance(distribution):
    A = matrix_with_spectrum(torch.linspace(-2.0, 5.0, 30).tolist(), seed=3)
    trace = float(torch.trace(A))
    probes = 2000
    fro2 = float((A**2).sum())
    var = 2 * (fro2 - float((torch.diag(A) ** 2).sum())) if distribution == "rademacher" else 2 * fro2
    est = hutchinson_trace(MatrixOperator(A), probes=probes, distribution=distribution, seed=11)
    sd = math.sqrt(var / probes)
    assert abs(est.estimate - trace) <= 5 * sd
    assert est.stderr == pytest.approx(sd, rel=0.15)  # the reported error bar is the true one


def test_hutchinson_on_a_network_matches_the_exact_trace():
    _, params, closure, f = random_net(2)
    H = reference_hessian(f, flatten([p.detach() for p in params]))
    probes = 300
    est = hutchinson_trace(closure, params, probes=probes, seed=5)
    var = 2 * (float((H**2).sum()) - float((torch.diag(H) ** 2).sum()))
    assert abs(est.estimate - float(torch.trace(H))) <= 5 * math.sqrt(var / probes)


# --------------------------------------------------------------------------------------------
# Lanczos and stochastic Lanczos quadrature
# --------------------------------------------------------------------------------------------
def test_full_lanczos_recovers_every_eigenvalue():
    lam = torch.linspace(-3.0, 4.0, 25, dtype=DT) + 0.01 * torch.arange(25, dtype=DT) ** 1.5
    A = matrix_with_spectrum(lam, seed=5)
    T, V, ritz = lanczos(A, m=25)
    assert V.shape == (25, 25)
    assert torch.allclose(V @ V.T, torch.eye(25, dtype=DT), atol=1e-10)  # full reorthogonalisation
    assert rel_err(ritz, torch.sort(lam).values) <= RTOL


def test_lanczos_quadrature_is_exact_for_low_degree_polynomials():
    """v^T H^p v = e_1^T T_m^p e_1 for p <= 2m - 1 (Golub and Meurant)."""
    A = matrix_with_spectrum(torch.linspace(-1.0, 2.0, 40).tolist(), seed=2)
    v = torch.randn(40, dtype=DT, generator=torch.Generator().manual_seed(4))
    v = v / v.norm()
    m = 5
    T, _, _ = lanczos(A, m=m, v0=v)
    e1 = torch.zeros(m, dtype=DT)
    e1[0] = 1.0
    for p in range(0, 2 * m):
        exact = float(v @ torch.linalg.matrix_power(A, p) @ v)
        quad = float(e1 @ torch.linalg.matrix_power(T, p) @ e1)
        assert quad == pytest.approx(exact, rel=1e-8, abs=1e-10)


def test_lanczos_stops_at_an_invariant_subspace():
    A = matrix_with_spectrum([2.0] * 5 + [-1.0] * 5, seed=1)  # two distinct eigenvalues
    T, V, ritz = lanczos(A, m=10)
    assert T.shape == (2, 2)
    assert rel_err(ritz, torch.tensor([-1.0, 2.0], dtype=DT)) <= RTOL


def test_slq_extreme_ritz_values_and_moments():
    """A bulk near zero and a few outliers, like a trained network's Hessian."""
    gen = torch.Generator().manual_seed(0)
    bulk = 0.05 * torch.randn(194, generator=gen, dtype=DT)
    lam = torch.cat([bulk, torch.tensor([-1.0, 2.0, 3.0, 5.0, 8.0, 12.0], dtype=DT)])
    A = matrix_with_spectrum(lam, seed=9)
    runs = 10
    dens = lanczos_spectrum(MatrixOperator(A), m=40, runs=runs, seed=1)
    # the outliers are found exactly by every run
    assert float(dens.nodes.max()) == pytest.approx(12.0, rel=RTOL)
    assert float(dens.nodes.min()) == pytest.approx(-1.0, rel=RTOL)
    # weights are a probability distribution; the smoothed density integrates to ~1
    assert float(dens.weights.sum()) == pytest.approx(1.0, rel=1e-12)
    assert float(torch.trapezoid(dens.density, dens.grid)) == pytest.approx(1.0, abs=1e-3)
    # moments tr(H^p)/n are estimated without bias: within the Rademacher error bar
    n = len(lam)
    for p in (1, 2, 3):
        Ap = torch.linalg.matrix_power(A, p)
        exact = float(torch.trace(Ap)) / n
        sd = math.sqrt(2 * (float((Ap**2).sum()) - float((torch.diag(Ap) ** 2).sum())) / runs) / n
        assert abs(dens.moment(p) - exact) <= 5 * sd + 1e-12


def test_slq_on_a_network_hessian():
    _, params, closure, f = random_net(1, sizes=(4, 6, 3))
    ev = torch.linalg.eigvalsh(reference_hessian(f, flatten([p.detach() for p in params])))
    n = len(ev)
    dens = lanczos_spectrum(closure, params, m=n, runs=3)
    # with m = n every Ritz value is one of H's eigenvalues (Lanczos stops early on repeated ones)
    gaps = (dens.nodes[:, None] - ev[None, :]).abs().min(dim=1).values
    assert float(gaps.max()) <= RTOL * float(ev.abs().max())
    assert float(dens.nodes.max()) == pytest.approx(float(ev[-1]), rel=RTOL)
    assert float(dens.nodes.min()) == pytest.approx(float(ev[0]), rel=RTOL)


# --------------------------------------------------------------------------------------------
# The second-order test on the course landscapes
# --------------------------------------------------------------------------------------------
def landscape_eigenvalues(land, x: float, y: float) -> torch.Tensor:
    w = torch.tensor([x, y], dtype=DT, requires_grad=True)
    return torch.linalg.eigvalsh(hessian(lambda: land.loss(w), w))


@pytest.mark.parametrize("land", [landscapes.himmelblau, landscapes.saddle, landscapes.monkey_saddle,
                                  landscapes.rosenbrock(), landscapes.quadratic((1.0, 10.0)),
                                  landscapes.quadratic((2.0, -3.0)), landscapes.quadratic((-1.0, -4.0))])
def test_classify_the_known_critical_points(land):
    assert land.critical_points
    for cp in land.critical_points:
        w = torch.tensor([cp.x, cp.y], dtype=DT, requires_grad=True)
        g = torch.autograd.grad(land.loss(w), w)[0]
        assert float(g.abs().max()) < 1e-3  # it is a critical point (to the listed digits)
        assert classify_critical_point(landscape_eigenvalues(land, cp.x, cp.y), tol=1e-6) == cp.kind, cp


def test_himmelblau_has_four_minima_one_maximum_four_saddles():
    kinds = [classify_critical_point(landscape_eigenvalues(landscapes.himmelblau, c.x, c.y))
             for c in landscapes.himmelblau.critical_points]
    assert sorted(kinds) == sorted(["minimum"] * 4 + ["maximum"] + ["saddle"] * 4)


def test_classify_from_a_hessian_matrix_and_edge_cases():
    assert classify_critical_point(torch.tensor([[2.0, 0.0], [0.0, -1.0]])) == "saddle"
    assert classify_critical_point(torch.tensor([[2.0, 1.0], [1.0, 2.0]])) == "minimum"
    assert classify_critical_point(torch.tensor([[1.0, 2.0], [2.0, 1.0]])) == "saddle"  # eigenvalues 3, -1
    assert classify_critical_point([0.0, 0.0]) == "degenerate"
    assert classify_critical_point([1.0, 0.0]) == "degenerate"
    assert classify_critical_point([-1.0, 0.0, 1.0]) == "saddle"
    assert classify_critical_point([1e-9, 1.0], tol=1e-8) == "degenerate"
    assert classify_critical_point([1e-9, 1.0], tol=0.0) == "minimum"
    with pytest.raises(ValueError):
        classify_critical_point([])
    with pytest.raises(ValueError):
        classify_critical_point([1.0, math.nan])
    with pytest.raises(ValueError):
        classify_critical_point(torch.zeros(2, 3))


@given(st.lists(st.floats(-100, 100, allow_nan=False).filter(lambda x: abs(x) > 1e-3), min_size=1, max_size=8),
       st.floats(0.01, 100.0))
@settings(max_examples=60, deadline=None)
def test_classification_depends_only_on_the_signs(values, scale):
    kind = classify_critical_point(values, tol=1e-6)
    if all(v > 0 for v in values):
        assert kind == "minimum"
    elif all(v < 0 for v in values):
        assert kind == "maximum"
    else:
        assert kind == "saddle"
    assert classify_critical_point([scale * v for v in values], tol=1e-9) == kind  # scale-free
    flipped = {"minimum": "maximum", "maximum": "minimum", "saddle": "saddle"}[kind]
    assert classify_critical_point([-v for v in values], tol=1e-6) == flipped  # L -> -L
