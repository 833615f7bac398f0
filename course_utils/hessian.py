"""Curvature of a loss: Hessian-vector products, extreme eigenvalues, trace, spectral density.

The Hessian H = d^2 L / d theta^2 of a network with n parameters has n^2 entries, so apart from
`hessian` (which refuses n > ``max_params``) nothing here forms it. Everything is built on the
Hessian-vector product (Pearlmutter 1994)

    H v = d/d theta (g . v),   g = dL/d theta,

one extra backward pass through the graph of g, with O(n) memory beyond that graph.

Parameters are either a single tensor (a flat vector ``w``) or a sequence of tensors (e.g.
``list(model.parameters())``); the loss is either a scalar tensor computed from them or a
closure ``loss_fn()`` that recomputes it. Functions taking an ``operator`` accept a loss (with
``params``), a `HessianOperator`, a symmetric matrix, or any object with ``n``, ``dtype``,
``device`` and ``matvec(v)`` on flat vectors of length n.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import torch
from torch import Tensor

__all__ = [
    "flatten",
    "unflatten",
    "num_parameters",
    "hvp",
    "hvp_func",
    "hessian",
    "HessianOperator",
    "MatrixOperator",
    "as_operator",
    "EigenResult",
    "power_iteration",
    "top_eigenvalues",
    "spectral_radius",
    "TraceEstimate",
    "hutchinson_trace",
    "lanczos",
    "SpectralDensity",
    "lanczos_spectrum",
    "classify_critical_point",
    "MAX_HESSIAN_PARAMS",
]

Params = Tensor | Sequence[Tensor]
Loss = Tensor | Callable[[], Tensor]

MAX_HESSIAN_PARAMS = 2000
"""`hessian` refuses more parameters than this by default (a 2000 x 2000 float64 H is 32 MB)."""


# --------------------------------------------------------------------------------------------
# Flat vectors <-> lists of tensors
# --------------------------------------------------------------------------------------------
def _as_list(params: Params) -> list[Tensor]:
    if torch.is_tensor(params):
        return [params]
    ps = list(params)
    if not ps or not all(torch.is_tensor(p) for p in ps):
        raise ValueError("params must be a tensor or a non-empty sequence of tensors")
    return ps


def num_parameters(params: Params) -> int:
    """n = the total number of entries of ``params``."""
    return sum(p.numel() for p in _as_list(params))


def flatten(tensors: Params) -> Tensor:
    """Concatenate tensors into one flat vector (the order of ``tensors``, row-major inside each)."""
    return torch.cat([t.reshape(-1) for t in _as_list(tensors)])


def unflatten(vector: Tensor, like: Params) -> list[Tensor]:
    """Split a flat ``vector`` into tensors shaped like ``like`` (the inverse of `flatten`)."""
    shapes = [p.shape for p in _as_list(like)]
    sizes = [math.prod(s) for s in shapes]
    if vector.ndim != 1 or vector.numel() != sum(sizes):
        raise ValueError(f"vector must be flat with {sum(sizes)} entries, got shape {tuple(vector.shape)}")
    return [chunk.reshape(s) for chunk, s in zip(torch.split(vector, sizes), shapes, strict=True)]


def _vector_list(v: Tensor | Sequence[Tensor], ps: list[Tensor]) -> list[Tensor]:
    """``v`` as a list of tensors shaped like ``ps``: a list, a flat vector, or a single param's shape."""
    if torch.is_tensor(v):
        if len(ps) == 1 and v.shape == ps[0].shape:
            vs = [v]
        else:
            vs = unflatten(v.reshape(-1) if v.ndim != 1 else v, ps)
    else:
        vs = list(v)
        if len(vs) != len(ps) or any(a.shape != p.shape for a, p in zip(vs, ps, strict=True)):
            raise ValueError("v must be shaped like params (a list of tensors of the same shapes, or a flat vector)")
    return [a.detach().to(dtype=p.dtype, device=p.device) for a, p in zip(vs, ps, strict=True)]


# --------------------------------------------------------------------------------------------
# Hessian-vector products
# --------------------------------------------------------------------------------------------
def _gradient_with_graph(loss: Loss, ps: list[Tensor]) -> list[Tensor]:
    """g = dL/dtheta with its own graph (create_graph=True), so that g . v can be differentiated."""
    value = loss() if callable(loss) else loss
    if not torch.is_tensor(value) or value.numel() != 1:
        raise ValueError("loss must be a scalar tensor (or a closure returning one)")
    if not all(p.requires_grad for p in ps):
        raise ValueError("every parameter must have requires_grad=True")
    return list(torch.autograd.grad(value.reshape(()), ps, create_graph=True, allow_unused=True,
                                    materialize_grads=True))


def _grad_dot_grad(grads: list[Tensor], ps: list[Tensor], vs: list[Tensor], retain_graph: bool) -> list[Tensor]:
    """H v = d(g . v)/dtheta; zero where g does not depend on theta (a linear loss)."""
    dot = sum((g * v).sum() for g, v in zip(grads, vs, strict=True))
    if not torch.is_tensor(dot) or not dot.requires_grad:
        return [torch.zeros_like(p) for p in ps]
    out = torch.autograd.grad(dot, ps, retain_graph=retain_graph, allow_unused=True, materialize_grads=True)
    return [o.detach() for o in out]


def hvp(loss: Loss, params: Params, v: Tensor | Sequence[Tensor]) -> Tensor | list[Tensor]:
    """The Hessian-vector product H v = d/dtheta (g . v) with g = dL/dtheta, by double backprop.

    ``loss``: a scalar tensor computed from ``params`` (its graph is kept, so it can be reused)
    or a closure ``loss_fn()``. ``v``: shaped like ``params`` (a list), or a flat vector of
    length n. The result has the structure of ``v``. Cost: about two backward passes; the
    n x n Hessian is never formed.
    """
    ps = _as_list(params)
    vs = _vector_list(v, ps)
    grads = _gradient_with_graph(loss, ps)
    out = _grad_dot_grad(grads, ps, vs, retain_graph=not callable(loss))
    if torch.is_tensor(v):
        return out[0].reshape(v.shape) if len(out) == 1 and v.shape == ps[0].shape else flatten(out).reshape(v.shape)
    return out


def hvp_func(f: Callable[[Any], Tensor], primals: Any, tangents: Any, mode: str = "forward-over-reverse") -> Any:
    """H v with `torch.func`, for a pure function ``f(primals) -> scalar``.

    ``primals`` and ``tangents`` are a tensor or a matching pytree (tuple, list, dict of tensors).
    ``mode="forward-over-reverse"``: H v = jvp(grad f, (theta,), (v,)), the derivative of
    grad f(theta + t v) at t = 0 (the cheapest). ``mode="reverse-over-reverse"``: H v = vjp of
    grad f with cotangent v, i.e. v^T H, equal to H v since H is symmetric. For a module, write
    ``f = lambda p: loss_fn(torch.func.functional_call(model, p, (X,)), y)`` with
    ``p = {k: t.detach() for k, t in model.named_parameters()}``.
    """
    from torch.func import grad, jvp, vjp

    if mode == "forward-over-reverse":
        return jvp(grad(f), (primals,), (tangents,))[1]
    if mode == "reverse-over-reverse":
        _, vjp_fn = vjp(grad(f), primals)
        return vjp_fn(tangents)[0]
    raise ValueError(f"mode must be 'forward-over-reverse' or 'reverse-over-reverse', got {mode!r}")


class _Operator(Protocol):
    n: int
    dtype: torch.dtype
    device: torch.device

    def matvec(self, v: Tensor) -> Tensor: ...


class HessianOperator:
    """The linear map v -> H v on flat vectors, for many products at the same parameters.

    The gradient g = dL/dtheta is computed once with its graph; each product is then one
    backward pass, H v = d(g . v)/dtheta. ``calls`` counts the products. Memory: the graph of g
    plus O(n); H itself is never formed.
    """

    def __init__(self, loss: Loss, params: Params) -> None:
        self.params = _as_list(params)
        self._grads = _gradient_with_graph(loss, self.params)
        self.n = num_parameters(self.params)
        self.dtype = self.params[0].dtype
        self.device = self.params[0].device
        self.calls = 0

    @property
    def gradient(self) -> Tensor:
        """g = dL/dtheta at the parameters, flat."""
        return flatten([g.detach() for g in self._grads])

    def matvec(self, v: Tensor) -> Tensor:
        """H v for a flat vector v of length n."""
        self.calls += 1
        vs = _vector_list(v, self.params)
        return flatten(_grad_dot_grad(self._grads, self.params, vs, retain_graph=True))

    __call__ = matvec

    def __repr__(self) -> str:
        return f"HessianOperator(n={self.n}, dtype={self.dtype})"


class MatrixOperator:
    """A symmetric matrix A as an operator: v -> A v (for tests and for small worked examples)."""

    def __init__(self, matrix: Tensor) -> None:
        if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
            raise ValueError(f"matrix must be square, got shape {tuple(matrix.shape)}")
        self.matrix = matrix
        self.n = matrix.shape[0]
        self.dtype = matrix.dtype
        self.device = matrix.device
        self.calls = 0

    def matvec(self, v: Tensor) -> Tensor:
        self.calls += 1
        return self.matrix @ v

    __call__ = matvec


def as_operator(operator: Any, params: Params | None = None) -> _Operator:
    """A loss with ``params`` -> `HessianOperator`; a 2-D tensor -> `MatrixOperator`; an operator as is."""
    if params is not None:
        return HessianOperator(operator, params)
    if torch.is_tensor(operator):
        if operator.ndim == 2:
            return MatrixOperator(operator)
        raise ValueError("a loss tensor needs its params: as_operator(loss, params)")
    if all(hasattr(operator, a) for a in ("n", "dtype", "device", "matvec")):
        return operator
    raise ValueError("operator must be a loss (with params), a square matrix, or have n, dtype, device, matvec")


def hessian(loss: Loss, params: Params, *, max_params: int = MAX_HESSIAN_PARAMS) -> Tensor:
    """The full n x n Hessian H_ij = d^2 L / dtheta_i dtheta_j, column j = H e_j, for small n only.

    Raises ValueError when n > ``max_params``: for larger models use the tools that never
    form H (`hvp`, `HessianOperator`, `top_eigenvalues`, `hutchinson_trace`, `lanczos_spectrum`).
    """
    n = num_parameters(params)
    if n > max_params:
        mb = n * n * 8 / 2**20
        raise ValueError(
            f"hessian: the loss has n = {n} parameters, more than max_params = {max_params} "
            f"(H would have n^2 = {n * n:,} entries, {mb:,.0f} MB in float64). Use the Hessian-vector "
            "product tools instead, which never form H: hvp / HessianOperator, top_eigenvalues, "
            "hutchinson_trace, lanczos_spectrum (or raise max_params if you really mean it)."
        )
    op = HessianOperator(loss, params)
    eye = torch.eye(n, dtype=op.dtype, device=op.device)
    columns = [op.matvec(eye[j]) for j in range(n)]
    return torch.stack(columns, dim=1)


# --------------------------------------------------------------------------------------------
# Extreme eigenvalues: power iteration with deflation
# --------------------------------------------------------------------------------------------
@dataclass
class EigenResult:
    """``k`` eigenpairs from `power_iteration`: values (k,), unit vectors (k, n), per-pair iterations."""

    eigenvalues: Tensor
    eigenvectors: Tensor
    iterations: list[int]
    converged: list[bool]
    matvecs: int
    shift: float = 0.0


def _random_unit(n: int, gen: torch.Generator, dtype: torch.dtype, device: torch.device) -> Tensor:
    v = torch.randn(n, generator=gen, dtype=dtype).to(device)
    return v / torch.linalg.vector_norm(v)


def _project_out(w: Tensor, basis: list[Tensor]) -> Tensor:
    """w - sum_i (u_i . w) u_i for orthonormal u_i (done twice: classical Gram-Schmidt, reorthogonalised)."""
    if not basis:
        return w
    U = torch.stack(basis)
    for _ in range(2):
        w = w - U.T @ (U @ w)
    return w


def spectral_radius(operator: Any, params: Params | None = None, *, max_iter: int = 1000, tol: float = 1e-7,
                    seed: int = 0) -> float:
    """rho(H) = max_i |lambda_i|, by power iteration on ||H v_t|| with v_t = H^t v_0 / ||H^t v_0||.

    Unlike the Rayleigh quotient, ||H v_t|| converges even when lambda and -lambda tie for the
    largest magnitude. Stops when its relative change is below ``tol``.
    """
    op = as_operator(operator, params)
    gen = torch.Generator().manual_seed(seed)
    v = _random_unit(op.n, gen, op.dtype, op.device)
    rho_old = math.nan
    rho = 0.0
    for _ in range(max_iter):
        w = op.matvec(v)
        rho = float(torch.linalg.vector_norm(w))
        if rho == 0.0:
            return 0.0
        v = w / rho
        if abs(rho - rho_old) <= tol * rho:
            break
        rho_old = rho
    return rho


def _deflated_power(op: _Operator, k: int, shift: float, max_iter: int, tol: float,
                    gen: torch.Generator) -> tuple[list[float], list[Tensor], list[int], list[bool]]:
    """Top-k (largest |mu|) eigenpairs of A = H + shift I, each found on the complement of the previous ones."""
    values: list[float] = []
    vectors: list[Tensor] = []
    iters: list[int] = []
    conv: list[bool] = []
    for _ in range(k):
        v = _project_out(_random_unit(op.n, gen, op.dtype, op.device), vectors)
        v = v / torch.linalg.vector_norm(v)
        mu_old, mu, done, it = math.nan, 0.0, False, 0
        for it in range(1, max_iter + 1):  # noqa: B007 (it is read after the loop)
            w = _project_out(op.matvec(v) + shift * v, vectors)
            mu = float(v @ w)  # Rayleigh quotient v^T A v (v is a unit vector)
            norm = float(torch.linalg.vector_norm(w))
            if norm == 0.0:  # v lies in A's null space (on the complement): eigenvalue 0
                done = True
                break
            residual = float(torch.linalg.vector_norm(w - mu * v))  # ||A v - mu v||
            v = w / norm
            scale = max(abs(mu), abs(values[0]) if values else 0.0)
            if abs(mu - mu_old) <= tol * scale and residual <= math.sqrt(tol) * scale:
                done = True
                break
            mu_old = mu
        values.append(mu)
        vectors.append(v)
        iters.append(it)
        conv.append(done)
    return values, vectors, iters, conv


def power_iteration(
    operator: Any,
    params: Params | None = None,
    k: int = 1,
    *,
    which: str = "LM",
    max_iter: int = 1000,
    tol: float = 1e-7,
    seed: int = 0,
) -> EigenResult:
    """k extreme eigenpairs of H by power iteration with deflation; H is only used through H v.

    One pair: v_{t+1} = H v_t / ||H v_t||, lambda ~ v_t^T H v_t (the Rayleigh quotient), until
    its relative change is below ``tol`` and the residual ||H v_t - lambda v_t|| is below
    sqrt(tol) |lambda| (then |lambda - lambda_true| <= ||r||^2 / gap). Deflation: pair j iterates on the orthogonal
    complement of pairs 1..j-1 (each H v is projected onto it). Memory O(k n).

    ``which``: "LM" largest magnitude |lambda| (plain power iteration; does not settle when
    lambda and -lambda tie); "LA" largest algebraic, by power iteration on H + rho I
    (eigenvalues lambda + rho >= 0, rho the spectral radius) then lambda = mu - rho;
    "SA" smallest algebraic, on H - rho I (eigenvalues <= 0), lambda = mu + rho. The shift
    costs the extra products of `spectral_radius` and a slower ratio (lambda_2+rho)/(lambda_1+rho).
    """
    if which not in ("LM", "LA", "SA"):
        raise ValueError(f"which must be 'LM', 'LA' or 'SA', got {which!r}")
    op = as_operator(operator, params)
    if not 1 <= k <= op.n:
        raise ValueError(f"k must be in [1, n = {op.n}], got {k}")
    if max_iter < 1:
        raise ValueError(f"max_iter must be >= 1, got {max_iter}")
    if not tol > 0:
        raise ValueError(f"tol must be > 0, got {tol}")
    counter = _Counted(op)
    shift = 0.0
    if which != "LM":
        rho = spectral_radius(counter, max_iter=max_iter, tol=tol, seed=seed + 1)
        shift = rho if which == "LA" else -rho
    gen = torch.Generator().manual_seed(seed)
    mus, vecs, iters, conv = _deflated_power(counter, k, shift, max_iter, tol, gen)
    lams = torch.tensor([m - shift for m in mus], dtype=torch.float64)
    order = {"LM": torch.argsort(lams.abs(), descending=True, stable=True),
             "LA": torch.argsort(lams, descending=True, stable=True),
             "SA": torch.argsort(lams, stable=True)}[which]
    return EigenResult(
        eigenvalues=lams[order],
        eigenvectors=torch.stack(vecs)[order],
        iterations=[iters[i] for i in order],
        converged=[conv[i] for i in order],
        matvecs=counter.calls,
        shift=shift,
    )


class _Counted:
    """Wraps an operator to count its products."""

    def __init__(self, op: _Operator) -> None:
        self.op, self.n, self.dtype, self.device, self.calls = op, op.n, op.dtype, op.device, 0

    def matvec(self, v: Tensor) -> Tensor:
        self.calls += 1
        return self.op.matvec(v)


def top_eigenvalues(operator: Any, params: Params | None = None, k: int = 1, *, which: str = "LM",
                    max_iter: int = 1000, tol: float = 1e-7, seed: int = 0) -> Tensor:
    """The k extreme eigenvalues of H (float64, ordered by ``which``): `power_iteration`'s values."""
    return power_iteration(operator, params, k, which=which, max_iter=max_iter, tol=tol, seed=seed).eigenvalues


# --------------------------------------------------------------------------------------------
# Trace: Hutchinson's estimator
# --------------------------------------------------------------------------------------------
@dataclass
class TraceEstimate:
    """tr(H) ~ ``estimate`` +- ``stderr`` from ``samples`` z_i^T H z_i."""

    estimate: float
    stderr: float
    samples: Tensor

    def __float__(self) -> float:
        return self.estimate


def hutchinson_trace(operator: Any, params: Params | None = None, probes: int = 100, *,
                     distribution: str = "rademacher", seed: int = 0) -> TraceEstimate:
    """Hutchinson's estimator tr(H) ~ (1/m) sum_i z_i^T H z_i, E[z z^T] = I.

    Rademacher probes (z_j = +-1) have Var(z^T H z) = 2 (||H||_F^2 - sum_j H_jj^2), so the
    estimate is exact for a diagonal H; Gaussian probes have variance 2 ||H||_F^2.
    ``stderr`` = sample standard deviation / sqrt(m).
    """
    if probes < 1:
        raise ValueError(f"probes must be >= 1, got {probes}")
    if distribution not in ("rademacher", "gaussian"):
        raise ValueError(f"distribution must be 'rademacher' or 'gaussian', got {distribution!r}")
    op = as_operator(operator, params)
    gen = torch.Generator().manual_seed(seed)
    samples = torch.empty(probes, dtype=torch.float64)
    for i in range(probes):
        if distribution == "rademacher":
            z = (torch.randint(0, 2, (op.n,), generator=gen) * 2 - 1).to(op.dtype)
        else:
            z = torch.randn(op.n, generator=gen, dtype=op.dtype)
        z = z.to(op.device)
        samples[i] = float(z @ op.matvec(z))
    stderr = float(samples.std(unbiased=True) / math.sqrt(probes)) if probes > 1 else math.nan
    return TraceEstimate(float(samples.mean()), stderr, samples)


# --------------------------------------------------------------------------------------------
# Spectral density: stochastic Lanczos quadrature
# --------------------------------------------------------------------------------------------
def lanczos(operator: Any, params: Params | None = None, m: int = 30, *, v0: Tensor | None = None,
            seed: int = 0) -> tuple[Tensor, Tensor, Tensor]:
    """m steps of Lanczos with full reorthogonalisation: H V_m ~ V_m T_m, T_m tridiagonal.

    beta_j v_{j+1} = H v_j - alpha_j v_j - beta_{j-1} v_{j-1}, alpha_j = v_j^T H v_j; every new
    vector is re-orthogonalised against all previous ones (twice), so memory is O(m n).
    Stops early when beta_j ~ 0 (an invariant subspace: T's eigenvalues are then exact
    eigenvalues of H). Returns (T, V, ritz values) with V of shape (m', n), m' <= min(m, n).
    """
    op = as_operator(operator, params)
    if m < 1:
        raise ValueError(f"m must be >= 1, got {m}")
    m = min(m, op.n)
    if v0 is None:
        gen = torch.Generator().manual_seed(seed)
        v0 = (torch.randint(0, 2, (op.n,), generator=gen) * 2 - 1).to(op.dtype)
    v = v0.to(dtype=op.dtype, device=op.device).reshape(-1)
    v = v / torch.linalg.vector_norm(v)
    V = [v]
    alphas: list[float] = []
    betas: list[float] = []
    eps = torch.finfo(op.dtype).eps
    scale = 0.0
    for j in range(m):
        w = op.matvec(V[j])
        alpha = float(V[j] @ w)
        alphas.append(alpha)
        w = w - alpha * V[j] - (betas[-1] * V[j - 1] if j > 0 else 0.0)
        w = _project_out(w, V)
        beta = float(torch.linalg.vector_norm(w))
        scale = max(scale, abs(alpha), beta)
        if j == m - 1 or beta <= 100 * eps * max(scale, 1e-300) * math.sqrt(op.n):
            break
        betas.append(beta)
        V.append(w / beta)
    k = len(alphas)
    T = torch.diag(torch.tensor(alphas, dtype=torch.float64))
    if k > 1:
        off = torch.tensor(betas[: k - 1], dtype=torch.float64)
        T = T + torch.diag(off, 1) + torch.diag(off, -1)
    return T, torch.stack(V[:k]), torch.linalg.eigvalsh(T)


@dataclass
class SpectralDensity:
    """An SLQ estimate of the spectral density phi(t) = (1/n) sum_i delta(t - lambda_i).

    ``nodes`` (Ritz values of all runs) and ``weights`` (tau_j / runs; they sum to 1) define the
    quadrature; ``density`` is its Gaussian smoothing on ``grid``.
    """

    grid: Tensor
    density: Tensor
    nodes: Tensor
    weights: Tensor
    sigma: float
    runs: int

    def moment(self, p: int) -> float:
        """sum_j w_j theta_j^p, an unbiased estimate of tr(H^p) / n (exact quadrature for p <= 2m - 1)."""
        return float((self.weights * self.nodes**p).sum())

    def smoothed(self, t: Tensor, sigma: float | None = None) -> Tensor:
        """phi_sigma(t) = sum_j w_j exp(-(t - theta_j)^2 / (2 sigma^2)) / (sigma sqrt(2 pi))."""
        s = self.sigma if sigma is None else sigma
        t = torch.as_tensor(t, dtype=torch.float64)
        z = (t[..., None] - self.nodes) / s
        return (self.weights * torch.exp(-0.5 * z**2)).sum(-1) / (s * math.sqrt(2 * math.pi))


def lanczos_spectrum(
    operator: Any,
    params: Params | None = None,
    m: int = 30,
    runs: int = 5,
    *,
    sigma: float | None = None,
    grid: Tensor | None = None,
    n_grid: int = 400,
    seed: int = 0,
) -> SpectralDensity:
    """Stochastic Lanczos quadrature (Ghorbani et al. 2019; Papyan 2019; Ubaru et al. 2017).

    For each of ``runs`` Rademacher start vectors v (||v|| = 1, E[v v^T] = I/n), m Lanczos steps
    give T_m = Q diag(theta) Q^T; the quadrature v^T f(H) v ~ sum_j tau_j f(theta_j) with
    tau_j = Q_1j^2 is exact for polynomials f of degree <= 2m - 1. Averaging over runs,
    phi(t) ~ (1/runs) sum_runs sum_j tau_j g_sigma(t - theta_j), g_sigma the Gaussian kernel.
    ``sigma`` defaults to 1% of the Ritz values' range; ``grid`` to that range padded.
    Memory O(m n) (the Lanczos basis, for full reorthogonalisation).
    """
    if runs < 1:
        raise ValueError(f"runs must be >= 1, got {runs}")
    op = as_operator(operator, params)
    gen = torch.Generator().manual_seed(seed)
    nodes, weights = [], []
    for _ in range(runs):
        v0 = (torch.randint(0, 2, (op.n,), generator=gen) * 2 - 1).to(op.dtype)
        T, _, _ = lanczos(op, m=m, v0=v0)
        theta, Q = torch.linalg.eigh(T)
        nodes.append(theta)
        weights.append(Q[0, :] ** 2 / runs)
    node_t, weight_t = torch.cat(nodes), torch.cat(weights)
    lo, hi = float(node_t.min()), float(node_t.max())
    width = hi - lo if hi > lo else max(abs(hi), 1.0)
    if sigma is None:
        sigma = 0.01 * width
    if not sigma > 0:
        raise ValueError(f"sigma must be > 0, got {sigma}")
    if grid is None:
        pad = 0.05 * width + 3 * sigma
        grid = torch.linspace(lo - pad, hi + pad, n_grid, dtype=torch.float64)
    out = SpectralDensity(grid=torch.as_tensor(grid, dtype=torch.float64), density=torch.empty(0),
                          nodes=node_t, weights=weight_t, sigma=float(sigma), runs=runs)
    out.density = out.smoothed(out.grid)
    return out


# --------------------------------------------------------------------------------------------
# The second-order test
# --------------------------------------------------------------------------------------------
def classify_critical_point(eigenvalues: Tensor | Sequence[float], tol: float = 1e-8) -> str:
    """The second-order test at a critical point (g = 0), from H's eigenvalues (or H itself).

    "minimum": all lambda_i > tol; "maximum": all lambda_i < -tol; "saddle": some lambda_i > tol
    and some < -tol (a zero eigenvalue does not change that); "degenerate": otherwise (some
    |lambda_i| <= tol and no sign change: the second-order test cannot decide). A square 2-D
    tensor is taken as H and its eigenvalues are computed with eigvalsh.
    """
    lam = torch.as_tensor(eigenvalues, dtype=torch.float64)
    if lam.ndim == 2:
        if lam.shape[0] != lam.shape[1]:
            raise ValueError(f"a Hessian must be square, got shape {tuple(lam.shape)}")
        lam = torch.linalg.eigvalsh(lam)
    lam = lam.reshape(-1)
    if lam.numel() == 0:
        raise ValueError("eigenvalues must not be empty")
    if not bool(torch.isfinite(lam).all()):
        raise ValueError("eigenvalues must be finite")
    if not tol >= 0:
        raise ValueError(f"tol must be >= 0, got {tol}")
    pos, neg = bool((lam > tol).any()), bool((lam < -tol).any())
    if pos and neg:
        return "saddle"
    if bool((lam > tol).all()):
        return "minimum"
    if bool((lam < -tol).all()):
        return "maximum"
    return "degenerate"
