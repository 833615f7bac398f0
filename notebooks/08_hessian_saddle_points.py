# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,slideshow,-all
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 08 · The Hessian, saddle points and second-order methods
#
# Every optimizer so far used only the gradient. This notebook looks at the second derivative,
# the Hessian $H$: it classifies critical points, sets the largest learning rate gradient descent
# (GD) survives, and is what Newton's method divides by. Autograd gives products $Hv$ for the
# price of two gradients, and from those we get the sharpness, the trace and the spectrum of a
# network's $H$ without ever forming it.
#
# **Learning objectives**
# - Classify a critical point from the eigenvalues of its Hessian; say why saddles dominate in
#   high dimension.
# - Compute Hessian-vector products and build power iteration, Hutchinson's trace estimator and
#   stochastic Lanczos quadrature on them.
# - Tell a catapult (one too-large step) from the edge of stability (full-batch GD holding
#   $\lambda_{\max}$ at $2/\eta$).
# - Say which rescalings GD, Adam and Newton are invariant to, why Newton is attracted to
#   saddles, and how long GD takes to escape one.
#
# **Prerequisites** Notebooks 00 (GD on quadratics, the critical learning rate), 03 and 04
# (RMSProp, Adam), 05 (full-batch and mini-batch training).
#
# **Time to complete:** about 90 minutes

# %% slideshow={"slide_type": "skip"}
import copy
import math

import numpy as np
import torch
from torch import nn

from course_utils import (
    PALETTE,
    CriticalPoint,
    HessianOperator,
    Landscape,
    classify_critical_point,
    fmt_diff,
    hessian,
    himmelblau,
    hutchinson_trace,
    hvp,
    hvp_func,
    lanczos,
    lanczos_spectrum,
    load_digits,
    make_mlp,
    monkey_saddle,
    new_figure,
    num_parameters,
    plot_contour,
    power_iteration,
    rosenbrock,
    run_trajectory,
    saddle,
    setup_notebook,
    train,
    unflatten,
)
from course_utils.checks import (
    check_critical_point_kinds,
    check_fd_hvp,
    check_power_iteration,
    check_smallest_eigenvalue,
)

DEVICE = setup_notebook(seed=0)
F64 = torch.float64


def r0(x, digits):
    """x rounded for printing, never -0.0 (a last-bit difference must not flip a printed sign)."""
    return round(float(x), digits) + 0.0


def fmt_point(p, digits=4):
    """(w_0, w_1) rounded to ``digits``, never -0.0."""
    return f"({r0(p[0], digits):+.{digits}f}, {r0(p[1], digits):+.{digits}f})"


# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. Critical points and the second-order test
#
# A **critical point** $\theta^\*$ has $g(\theta^\*) = 0$. Near it, with $\delta = \theta - \theta^\*$,
#
# $$
# \mathcal{L}(\theta^\* + \delta) = \mathcal{L}(\theta^\*) + \tfrac12\,\delta^\top H\,\delta + O(\|\delta\|^3),
# \qquad H_{ij} = \frac{\partial^2 \mathcal{L}}{\partial\theta_i\,\partial\theta_j}(\theta^\*).
# $$
#
# $H$ is symmetric: $H = \sum_i \lambda_i q_i q_i^\top$ with real eigenvalues $\lambda_i$ and orthonormal
# eigenvectors $q_i$, so
#
# $$
# \tfrac12\,\delta^\top H\,\delta = \tfrac12 \sum_i \lambda_i\, (q_i^\top \delta)^2 :
# $$
#
# along $q_i$ the loss curves up if $\lambda_i > 0$ and down if $\lambda_i < 0$.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The second-order test
#
# | eigenvalues of $H$ | the critical point is |
# |---|---|
# | all $\lambda_i > 0$ | a (strict local) **minimum** |
# | all $\lambda_i < 0$ | a **maximum** |
# | some $> 0$ and some $< 0$ | a **saddle** |
# | some $= 0$, no sign change | **degenerate**: the test cannot decide, higher-order terms do |
#
# `classify_critical_point(eigenvalues, tol)` implements the table (an eigenvalue with
# $|\lambda_i| \le \text{tol}$ counts as zero); `hessian(loss_fn, params)` builds a small $H$.

# %% [markdown] slideshow={"slide_type": "skip"}
# Himmelblau's function $(w_0^2 + w_1 - 11)^2 + (w_0 + w_1^2 - 7)^2$ has nine critical points; we
# classify all of them, and the saddle $w_0^2 - w_1^2$ and the monkey saddle
# $w_0^3 - 3w_0w_1^2$, with $\text{tol} = 10^{-6}$ (the nonzero eigenvalues here are at least 2). The
# gradient norm at a listed point is printed as "< 1e-12" when it is zero up to rounding: its exact
# size there (0 or 2.5e-14) depends on the last bits of the arithmetic.

# %% slideshow={"slide_type": "skip"}
def gradient_and_hessian(landscape, point):
    """g and H of a 2-D landscape at ``point`` (float64, autograd)."""
    w = torch.tensor(point, dtype=F64, requires_grad=True)
    g = torch.autograd.grad(landscape.loss(w), w)[0]
    H = hessian(lambda: landscape.loss(w), w)
    return g, H


# %% slideshow={"slide_type": "subslide"}
print(f"{'landscape':>13} {'(w_0, w_1)':>20} {'|g|':>8} {'lambda_1':>9} {'lambda_2':>9}"
      "  test says   listed as")
for land in (himmelblau, saddle, monkey_saddle):
    for cp in land.critical_points:
        g, H = gradient_and_hessian(land, (cp.x, cp.y))
        lam = torch.linalg.eigvalsh(H)
        kind = classify_critical_point(lam, tol=1e-6)
        print(f"{land.name:>13} ({r0(cp.x, 4):8.4f}, {r0(cp.y, 4):8.4f}) {fmt_diff(g.norm()):>8} "
              f"{r0(lam[0], 3):9.3f} {r0(lam[1], 3):9.3f}  {kind:<10}  {cp.kind}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# The monkey saddle has $H = 0$ at the origin: "degenerate". Its cubic term changes sign along
# the $w_0$ axis, so the origin is neither a minimum nor a maximum:

# %% slideshow={"slide_type": "fragment"}
for w0 in (-0.1, 0.1):
    print(f"monkey saddle at ({w0:+.1f}, 0): {float(monkey_saddle(w0, 0.0)):+.4f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The quadratic model
#
# Away from a critical point the gradient term joins in:
# $q(\theta + \delta) = \mathcal{L}(\theta) + g^\top\delta + \tfrac12\delta^\top H\delta$. The table
# measures how the model's error grows with the distance $r = \|\delta\|$ around a saddle and a
# minimum of Himmelblau's function (two significant digits, and the ratio for each doubling of $r$).

# %% slideshow={"slide_type": "skip"}
def quadratic_model(landscape, point):
    """q(point + delta) = L + g . delta + delta^T H delta / 2, vectorised over the last axis of delta."""
    g, H = gradient_and_hessian(landscape, point)
    f0 = float(landscape(*point))

    def q(d0, d1):
        delta = torch.stack([d0, d1], dim=-1)
        return f0 + delta @ g + 0.5 * ((delta @ H) * delta).sum(-1)

    return q


def model_error(landscape, point, r, n=400):
    """max |L - q| on the circle of radius r around ``point``."""
    q = quadratic_model(landscape, point)
    phi = torch.linspace(0, 2 * math.pi, n, dtype=F64)
    d0, d1 = r * torch.cos(phi), r * torch.sin(phi)
    return float((landscape(point[0] + d0, point[1] + d1) - q(d0, d1)).abs().max())


# %% slideshow={"slide_type": "fragment"}
sp, mn = himmelblau.critical_points[7], himmelblau.critical_points[0]  # a saddle and a minimum
radii = (0.05, 0.1, 0.2, 0.4)
err = {cp.kind: [model_error(himmelblau, (cp.x, cp.y), r) for r in radii] for cp in (sp, mn)}
print(f"{'r':>5} {'max|L - q|, saddle':>19} {'ratio':>6} {'minimum':>9} {'ratio':>6}")
for i, r in enumerate(radii):
    ratios = [f"{e[i] / e[i - 1]:6.1f}" if i else f"{'':>6}" for e in err.values()]
    print(f"{r:5.2f} {err['saddle'][i]:19.1e} {ratios[0]} {err['minimum'][i]:9.1e} {ratios[1]}")

# %% slideshow={"slide_type": "skip"}
fig, axes = new_figure(1, 2, figsize=(9.0, 3.8))
for ax, cp, title in ((axes[0], sp, "near a saddle"), (axes[1], mn, "near a minimum")):  # same levels for L and q
    W0, W1, Z = himmelblau.grid(60, (cp.x - 1.0, cp.x + 1.0), (cp.y - 1.0, cp.y + 1.0))
    Q = quadratic_model(himmelblau, (cp.x, cp.y))(W0 - cp.x, W1 - cp.y)
    f_star, steps = float(himmelblau(cp.x, cp.y)), 1.4 * np.arange(1, 7) ** 2  # levels f* +- 1.4 k^2
    levels = f_star + (np.concatenate([-steps[::-1], [0.0], steps]) if cp.kind == "saddle" else steps)
    ax.contour(W0.numpy(), W1.numpy(), Z.numpy(), levels=levels, colors=PALETTE[0], linewidths=1.2)
    ax.contour(W0.numpy(), W1.numpy(), Q.numpy(), levels=levels, colors=PALETTE[1], linestyles="--", linewidths=1.0)
    ax.plot(cp.x, cp.y, "X" if cp.kind == "saddle" else "*", color="#F0E442", markersize=13,
            markeredgecolor="black", label=f"{cp.kind} ({cp.x:.2f}, {cp.y:.2f})")
    ax.plot([], [], "-", color=PALETTE[0], label="Himmelblau $\\mathcal{L}$")
    ax.plot([], [], "--", color=PALETTE[1], label="quadratic model $q$")
    ax.set(title=f"Himmelblau {title}", xlabel="$w_0$", ylabel="$w_1$")
    ax.grid(False)
    ax.legend(loc="lower left")

# %% slideshow={"slide_type": "subslide"}
fig

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice**
# - The test agrees with the listed kind at all nine points of Himmelblau's function: 4 minima,
#   1 maximum, 4 saddles (one eigenvalue of each sign).
# - Around the saddle the model's contours are hyperbolas, around the minimum ellipses. Each
#   doubling of $r$ multiplies the error by about 8: it is $O(r^3)$, as Taylor's theorem says.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. In high dimension, saddles dominate
#
# A minimum needs **all** $d$ eigenvalues positive. A standard random model of $H$ is the Gaussian
# orthogonal ensemble (GOE): $A_{ij} \sim \mathcal{N}(0, 1)$, $H = (A + A^\top)/\sqrt{2d}$. Dean and
# Majumdar (2006):
#
# $$
# P(\text{all } \lambda_i > 0) \approx e^{-(\ln 3/4)\, d^2} \quad (d \text{ large}),
# $$
#
# far rarer than the $2^{-d}$ of independent coin flips. We sample 20,000 matrices per size and
# count them (exact counts, so the fractions print the same on every machine).

# %% slideshow={"slide_type": "subslide"}
gen = torch.Generator().manual_seed(0)
samples = 20_000
dims = [1, 2, 3, 4, 5, 6]
frac_min, frac_saddle = [], []
print(f"{'d':>2} {'P(minimum)':>11} {'P(maximum)':>11} {'P(saddle)':>10} {'-ln P(min) / d^2':>17}")
for d in dims:
    A = torch.randn(samples, d, d, generator=gen, dtype=F64)
    lam = torch.linalg.eigvalsh((A + A.transpose(1, 2)) / math.sqrt(2 * d))
    n_min, n_max = int((lam > 0).all(dim=1).sum()), int((lam < 0).all(dim=1).sum())
    frac_min.append(n_min / samples)
    frac_saddle.append((samples - n_min - n_max) / samples)
    rate = f"{-math.log(n_min / samples) / d**2:17.3f}" if n_min else f"{'(none seen)':>17}"
    print(f"{d:2d} {n_min / samples:11.5f} {n_max / samples:11.5f} {frac_saddle[-1]:10.5f} {rate}")

# %% slideshow={"slide_type": "skip"}
fig, (ax0, ax1) = new_figure(1, 2, figsize=(9.5, 4.0))
ax0.plot(dims, frac_saddle, "o-", color=PALETTE[1], label="saddle (mixed signs)")
ax0.set(title="GOE: fraction with mixed-sign eigenvalues", xlabel="dimension $d$",
        ylabel="fraction of 20,000 samples", ylim=(-0.03, 1.03))
ax0.legend(loc="lower right")
seen = [(d, p) for d, p in zip(dims, frac_min, strict=True) if p > 0]
ax1.semilogy([d**2 for d, _ in seen], [p for _, p in seen], "o-", color=PALETTE[0], label="measured")
d2 = np.linspace(1, 30, 50)
ax1.semilogy(d2, np.exp(-math.log(3) / 4 * d2), "--", color="gray", label=r"$e^{-d^2 \ln 3/4}$ (large-$d$ rate)")
ax1.set(title="P(all eigenvalues > 0) against $d^2$", xlabel="$d^2$", ylabel="P(minimum) (log scale)")
_ = ax1.legend(loc="lower left")

# %% slideshow={"slide_type": "subslide"}
fig

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice**
# - At $d = 4$ more than 99% of the samples are saddles; at $d = 6$ none of the 20,000 is a
#   minimum.
# - $-\ln P / d^2$ settles near 0.4 from $d = 3$ on: $P(\text{minimum})$ falls like
#   $e^{-\text{const}\cdot d^2}$, on its way to the large-$d$ constant $\ln 3/4 \approx 0.27$.

# %% [markdown] slideshow={"slide_type": "notes"}
# A network's Hessian is not a GOE matrix (section 5 shows its very different spectrum). Dauphin
# et al. (2014) carry the argument over with a model from statistical physics and measurements on
# small networks: critical points with a high loss are overwhelmingly saddles, and the fraction
# of negative eigenvalues shrinks as the loss decreases. Their conclusion: bad local minima are
# not the main obstacle; saddles and the plateaus around them are.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Hessian-vector products without the Hessian
#
# A network with $d$ parameters has a $d \times d$ Hessian: 40 GB in float32 for $d = 10^5$. We
# only need its action on a vector. Since $H = \nabla g$,
#
# $$
# H v = \nabla_\theta \big( g(\theta)^\top v \big) \qquad (v \text{ fixed}),
# $$
#
# the gradient of the *scalar* $g^\top v$: about one more backward pass (Pearlmutter 1994). In
# PyTorch: compute $g$ with `create_graph=True`, form $g^\top v$, differentiate again.

# %% [markdown] slideshow={"slide_type": "skip"}
# Seed 004 does this with `Phi.grad` "being a variable" and `Phi.grad.data` a tensor: that is
# pre-2018 PyTorch; today it is `torch.autograd.grad(..., create_graph=True)`. We check it on a
# small tanh MLP on scikit-learn's digits (64 inputs, 8 hidden units, 10 classes, float64), small
# enough to build the full $H$ as well, after 4 epochs of Adam.

# %% slideshow={"slide_type": "subslide"}
def hvp_double_backprop(loss_fn, params, v):
    """H v = grad of (g . v), with g = dL/dtheta kept differentiable."""
    g = torch.autograd.grad(loss_fn(), params, create_graph=True)
    g_dot_v = sum((gi * vi).sum() for gi, vi in zip(g, v, strict=True))
    return torch.autograd.grad(g_dot_v, params)


digits = load_digits(dtype=F64)
X_tr, y_tr = digits.X_train, digits.y_train
loader = torch.utils.data.DataLoader(digits.train_dataset(), batch_size=64, shuffle=True,
                                     generator=torch.Generator().manual_seed(0))
small = make_mlp([64, 8, 10], activation=nn.Tanh, seed=0).to(F64)
hist_small = train(small, torch.optim.Adam(small.parameters(), lr=1e-2),
                   nn.functional.cross_entropy, loader, epochs=4,
                   val_data=(digits.X_val, digits.y_val), progress=False)
small_params = list(small.parameters())
small_loss = lambda: nn.functional.cross_entropy(small(X_tr), y_tr)  # noqa: E731 (full batch)
d_small = num_parameters(small_params)
print(f"small MLP: d = {d_small} parameters, H has d^2 = {d_small**2:,} entries; "
      f"val. accuracy {hist_small.final_val_acc:.3f}, "
      f"training loss {float(small_loss().detach()):.4f}")

# %% slideshow={"slide_type": "subslide"}
H_small = hessian(small_loss, small_params)  # d HVPs, one column each
v_flat = torch.randn(d_small, generator=torch.Generator().manual_seed(4), dtype=F64)
v = unflatten(v_flat, small_params)
Hv_full = H_small @ v_flat
Hv_ours = torch.cat([t.reshape(-1) for t in hvp_double_backprop(small_loss, small_params, v)])
Hv_package = hvp(small_loss, small_params, v_flat)
names = [k for k, _ in small.named_parameters()]  # torch.func: forward-over-reverse, jvp(grad f)
theta = {k: p.detach() for k, p in small.named_parameters()}
f_small = lambda p: nn.functional.cross_entropy(  # noqa: E731
    torch.func.functional_call(small, p, (X_tr,)), y_tr)
Hv_func = hvp_func(f_small, theta, dict(zip(names, v, strict=True)))
Hv_func = torch.cat([Hv_func[k].reshape(-1) for k in names])
print(f"max |H v| = {float(Hv_full.abs().max()):.3f}; max |H v - H @ v| by")
for how, Hv in (("double backprop", Hv_ours), ("course_utils.hvp", Hv_package),
                ("torch.func", Hv_func)):
    print(f"  {how:>16}: {fmt_diff((Hv - Hv_full).abs().max())}")
print(f"H symmetric: max |H - H^T| = {fmt_diff((H_small - H_small.T).abs().max())}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice**: the three ways agree with the full matrix to rounding error (every
# difference prints as "< 1e-12" in float64, against entries of $Hv$ up to about 1). Building
# $H$ took $d = 610$ products.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. The largest eigenvalue by power iteration
#
# Repeat $q \leftarrow Hq / \|Hq\|$ from a random unit $q$, then read off the Rayleigh quotient
# $q^\top H q$. After $k$ products,
#
# $$
# H^k q = \sum_i \lambda_i^k\, (q_i^\top q)\, q_i ,
# $$
#
# dominated by the eigenvalue of largest magnitude: the direction's error shrinks like
# $|\lambda_2/\lambda_1|^k$, the Rayleigh quotient's like $|\lambda_2/\lambda_1|^{2k}$. Each step costs
# one HVP and stores one vector: memory $O(d)$.

# %% slideshow={"slide_type": "subslide"}
def power_method(matvec, d, iters, v0=None, seed=0):
    """The eigenvalue of largest magnitude of a symmetric operator, and its unit eigenvector:
    q <- Hq / ||Hq||, ``iters`` times from a random (or the given) q, then q^T H q."""
    gen = torch.Generator().manual_seed(seed)
    q = torch.randn(d, generator=gen, dtype=F64) if v0 is None else v0.clone()
    q = q / q.norm()
    for _ in range(iters):
        w = matvec(q)
        q = w / w.norm()
    return float(q @ matvec(q)), q


exact = torch.linalg.eigvalsh(H_small)
op = HessianOperator(small_loss, small_params)  # g's graph is built once, one backward per product
lam_pm, _ = power_method(op.matvec, op.n, iters=250)
lam_pi = power_iteration(op, which="LM", tol=1e-10)
rel = lambda lam: fmt_diff((lam - exact[-1]) / exact[-1])  # noqa: E731
print(f"eigvalsh: lambda_max = {float(exact[-1]):.6f}")
print(f"power_method, 250 products: {lam_pm:.6f}, rel. difference {rel(lam_pm)}")
print(f"course_utils.power_iteration, tol 1e-10: {float(lam_pi.eigenvalues[0]):.6f} after "
      f"{lam_pi.matvecs} products, rel. difference {rel(lam_pi.eigenvalues[0])}")
check_power_iteration(lambda matvec, d, iters: power_method(matvec, d, iters)[0])

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Deflation and shifts
#
# The package's `power_iteration` stops at a tolerance, finds the next eigenvalues by
# **deflation** (iterating on the complement of the eigenvectors already found), and gets the
# algebraic extremes by a **shift**: $H - \|H\| I$ has eigenvalues $\lambda_i - \|H\| \le 0$, so its
# dominant one is $\lambda_{\min} - \|H\|$ (exercise 1).

# %%
by_magnitude = exact[exact.abs().argsort(descending=True)]
res = power_iteration(op, k=3, which="LM", tol=1e-8)
print(f"{'':>20} {'power iteration':>16} {'eigvalsh':>10} {'rel. error':>11} {'HVPs':>5}")
for i in range(3):
    lam_i, exact_i = float(res.eigenvalues[i]), float(by_magnitude[i])
    print(f"{'top-' + str(i + 1) + ' by magnitude':>20} {lam_i:16.6f} {exact_i:10.6f} "
          f"{abs(lam_i - exact_i) / abs(exact_i):11.1e} {res.iterations[i]:5d}")
print(f"{res.matvecs} products in all, against {d_small} for the full H")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The sharpness of a network that we could not store
#
# A ReLU MLP with 32 hidden units (2,410 parameters), float64: $\lambda_{\max}$ of the full-batch
# training loss at initialisation, then after 3 epochs of Adam (`benchmarks/hessian_bench.py` times
# the same on a 99,126-parameter MLP).

# %% slideshow={"slide_type": "skip"}
def sharpness(model_loss, model, tol=1e-4):
    """lambda_max of the full-batch loss (the package's power iteration on HVPs) and the HVPs it took."""
    r = power_iteration(model_loss, list(model.parameters()), which="LM", tol=tol, max_iter=500)
    return float(r.eigenvalues[0]), r.matvecs


loader_mlp = torch.utils.data.DataLoader(digits.train_dataset(), batch_size=64, shuffle=True,
                                         generator=torch.Generator().manual_seed(0))

# %% slideshow={"slide_type": "fragment"}
mlp = make_mlp([64, 32, 10], seed=0).to(F64)
mlp_loss = lambda: nn.functional.cross_entropy(mlp(X_tr), y_tr)  # noqa: E731
lam_init, hvps_init = sharpness(mlp_loss, mlp)
hist_mlp = train(mlp, torch.optim.Adam(mlp.parameters(), lr=1e-2), nn.functional.cross_entropy,
                 loader_mlp, epochs=3, val_data=(digits.X_val, digits.y_val), progress=False)
lam_trained, hvps_trained = sharpness(mlp_loss, mlp)
print(f"MLP with d = {num_parameters(list(mlp.parameters())):,} parameters")
print(f"at initialisation: lambda_max = {lam_init:.3f}  ({hvps_init} HVPs)")
print(f"after 3 epochs   : lambda_max = {lam_trained:.3f}  ({hvps_trained} HVPs), "
      f"{lam_trained / lam_init:.2f} times sharper")
print(f"training loss {float(mlp_loss().detach()):.4f}, val. accuracy {hist_mlp.final_val_acc:.3f}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice**: the curvature is not a constant of the model. Training made the loss 7.31
# times sharper along its steepest direction: a learning rate that is safe at the start can
# become unstable later. Section 7 shows this growth under full-batch GD.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. The whole spectrum: a bulk and a few outliers
#
# **Lanczos**: $k$ products build an orthonormal basis of the Krylov space
# $\{v, Hv, \dots, H^{k-1}v\}$, in which $H$ is a $k \times k$ tridiagonal $T_k$. Its eigenvalues
# (Ritz values) $\nu_j$, with weights $\pi_j$ (the squared first components of its eigenvectors), are
# a quadrature rule, exact for polynomials of degree up to $2k - 1$. **Stochastic Lanczos quadrature** (SLQ) averages it over $R$ random starts to
# estimate the smoothed density of all $d$ eigenvalues, with a kernel of width $h$:
#
# $$
# \phi_h(\lambda) = \frac1d \sum_{i=1}^d \mathcal{N}(\lambda;\, \lambda_i, h^2)
# \approx \frac1R \sum_{\text{runs}} \sum_{j=1}^k \pi_j\, \mathcal{N}(\lambda;\, \nu_j, h^2) .
# $$
#
# **Hutchinson**: $\operatorname{tr} H = \mathbb{E}[z^\top H z]$ for random $\pm 1$ vectors $z$, estimated
# by the mean over $R$ of them.

# %% [markdown] slideshow={"slide_type": "skip"}
# SLQ is due to Ubaru, Chen and Saad (2017) and was brought to deep learning by Ghorbani et al.
# (2019) and Papyan (2019). The extreme Ritz values converge first, so the outliers come out
# almost exactly from few products. We count eigenvalues as negative, zero or positive with a
# tolerance $10^{-12}\lambda_{\max}$: some eigenvalues are exactly zero for structural reasons, and
# eigvalsh returns them as $\pm 10^{-17}$ or so, with a sign that depends on the last bits of the
# arithmetic. The smallest nonzero one in magnitude is 19 times above the tolerance, and the
# rounding errors are $10^5$ times below it, so the counts are the same on every machine.

# %% slideshow={"slide_type": "subslide"}
lam_max_small = float(exact[-1])
tol_zero = 1e-12 * lam_max_small
n_neg, n_zero = int((exact < -tol_zero).sum()), int((exact.abs() <= tol_zero).sum())
smallest_nonzero = float(exact.abs()[exact.abs() > tol_zero].min()) / lam_max_small
bulk = float((exact.abs() < 0.01 * lam_max_small).double().mean())
print(f"exact spectrum: d = {d_small}, lambda in [{exact[0]:.4f}, {exact[-1]:.4f}]; "
      f"{bulk:.1%} have |lambda| < 1% of lambda_max")
print(f"with tol = 1e-12 lambda_max: {n_neg} negative, {n_zero} zero, "
      f"{d_small - n_neg - n_zero} positive")
print(f"the smallest nonzero |lambda| is {smallest_nonzero:.1e} lambda_max; "
      f"{int((X_tr.abs().sum(0) == 0).sum())} input pixels are 0 in every training image")
print(f"the top 8: {np.round(exact[-8:].flip(0).numpy(), 3)}; "
      f"{int((exact > 0.5).sum())} are above 0.5")

# %% slideshow={"slide_type": "subslide"}
k_steps, runs = 60, 4
density = lanczos_spectrum(op, m=k_steps, runs=runs, seed=0)
print(f"SLQ, k = {k_steps} steps x R = {runs} runs = {k_steps * runs} HVPs, "
      f"kernel width h = {density.sigma:.4f}:")
print(f"  largest Ritz value {float(density.nodes.max()):.6f} vs lambda_max {exact[-1]:.6f}")
print(f"  smallest Ritz value {float(density.nodes.min()):.6f} vs lambda_min {exact[0]:.6f}")
for p in (1, 2):
    print(f"  tr(H^{p})/d: SLQ {density.moment(p):.5f}, exact {float((exact**p).mean()):.5f}")
trace_est = hutchinson_trace(op, probes=100, seed=0)
print(f"Hutchinson, R = 100 probes: tr(H) = {trace_est.estimate:.3f} +- {trace_est.stderr:.3f}; "
      f"exact {float(exact.sum()):.3f}")

# %% slideshow={"slide_type": "skip"}
fig, (ax0, ax1) = new_figure(1, 2, figsize=(9.5, 4.0))
for ax, log in ((ax0, False), (ax1, True)):
    ax.hist(exact.numpy(), bins=80, density=True, color=PALETTE[5], alpha=0.7,
            label=f"exact eigenvalues (d = {d_small})")
    ax.plot(density.grid.numpy(), density.density.numpy(), color=PALETTE[1],
            label=f"SLQ density ({k_steps * runs} HVPs)")
    ax.set(xlabel=r"eigenvalue $\lambda$", ylabel="density" + (" (log scale)" if log else ""))
    if log:
        ax.set_yscale("log")
        ax.set_ylim(1e-3, 50)
ax0.set_title("Hessian spectrum of the small MLP")
ax1.set_title("The same on a log scale: the outliers")
_ = ax0.legend(loc="upper right")

# %% slideshow={"slide_type": "subslide"}
fig

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice**
# - A narrow **bulk** around zero (84.8% of the eigenvalues within 1% of $\lambda_{\max}$) and a few
#   **outliers** (8 above 0.5), as Papyan (2019) found and traced to the class structure.
# - 41 eigenvalues are exactly zero: $4 \times 8$ weights from the 4 always-blank pixels, plus 9
#   directions the softmax ignores (adding one number to all 10 logits). 69 are negative: after 4
#   epochs the point is not a minimum.
# - SLQ's extreme Ritz values equal $\lambda_{\max}$ and $\lambda_{\min}$ to six digits from 240
#   products. Its moments are 4-probe Hutchinson estimates: unbiased but noisy.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. GD's stability limit, and catapults
#
# On a quadratic with Hessian $H$, GD multiplies the error along $q_i$ by $1 - \eta\lambda_i$ at
# every step (notebook 00), so it converges if and only if
#
# $$
# \eta < 2/\lambda_{\max} .
# $$
#
# Below: $\eta$ at 0.8 and 1.5 times that limit, 50 steps.

# %%
Hq = torch.tensor([[3.0, 1.0], [1.0, 2.0]], dtype=F64)
lam_q = float(torch.linalg.eigvalsh(Hq)[-1])
for factor in (0.8, 1.5):
    eta = factor * 2 / lam_q
    w = torch.tensor([1.0, 1.0], dtype=F64)
    for _ in range(50):
        w = w - eta * (Hq @ w)
    print(f"quadratic, eta = {factor} x 2/lambda_max = {eta:.4f}: "
          f"loss after 50 steps {0.5 * float(w @ Hq @ w):.3e}"
          f"   (|1 - eta lambda_max| = {abs(1 - eta * lam_q):.2f})")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### A network: too large a step
#
# Full-batch GD from the trained MLP of section 4 ($\lambda_{\max}$ = 4.638) with $\eta$ = 0.8, 1.5
# and 3 times $2/\lambda_{\max}$, 100 steps, $\lambda_{\max}$ measured every 5 steps.

# %% [markdown] slideshow={"slide_type": "skip"}
# We measure $\lambda_{\max}$ with 10 steps of Lanczos (section 5) rather than power iteration:
# Lanczos gets the largest eigenvalue from fewer products, above all when the top eigenvalues are
# close together and power iteration, whose rate is $\lambda_2/\lambda_1$, slows down (as at the edge
# of stability, section 7). We measure at odd and even steps alike: a run that oscillates with period 2 has a
# different sharpness at the two phases, and measuring every 10 steps would see only one of them.
# The runs are in float64; the printed numbers do not move under a last-bit perturbation.

# %% slideshow={"slide_type": "skip"}
def sharpness_lanczos(loss_fn, params, m=10):
    """lambda_max at the current parameters: the largest Ritz value of m Lanczos steps."""
    return float(lanczos(HessianOperator(loss_fn, params), m=m)[2][-1])


def run_gd(model, eta, steps=100, every=5):
    """Full-batch GD theta_t = theta_{t-1} - eta g_t on a copy of ``model`` (cross-entropy, training
    set): the loss L(theta_t) for t = 0..steps, and (t, lambda_max) every ``every`` steps."""
    model = copy.deepcopy(model)
    params = list(model.parameters())
    loss_fn = lambda: nn.functional.cross_entropy(model(X_tr), y_tr)  # noqa: E731
    losses, sharp = [], []
    for t in range(steps + 1):
        if t % every == 0:
            sharp.append((t, sharpness_lanczos(loss_fn, params)))
        loss = loss_fn()
        losses.append(float(loss.detach()))
        if t < steps:
            g = torch.autograd.grad(loss, params)
            with torch.no_grad():
                for p, g_p in zip(params, g, strict=True):
                    p -= eta * g_p
    return np.array(losses), np.array(sharp)


def print_table(columns, width=14):
    """Print {column: {row: value}} with the rows as lines."""
    rows = next(iter(columns.values()))
    print(f"{'':>36}" + "".join(f"{c:>{width}}" for c in columns))
    for row in rows:
        print(f"{row:>36}" + "".join(f"{str(col[row]):>{width}}" for col in columns.values()))


def outward(x, step=0.05):
    """The 10% and 90% quantiles of x, rounded outward to a multiple of ``step``."""
    lo, hi = np.quantile(x, [0.1, 0.9])
    return math.floor(lo / step) * step, math.ceil(hi / step) * step


# %% slideshow={"slide_type": "subslide"}
gd_runs = {factor: run_gd(mlp, factor * 2 / lam_trained) for factor in (0.8, 1.5, 3.0)}
print(f"start: loss {float(mlp_loss().detach()):.4f}, lambda_max = {lam_trained:.3f}, "
      f"2/lambda_max = {2 / lam_trained:.4f}")
table = {}
for factor, (losses, sharp) in gd_runs.items():
    ratio = sharp[:, 1] * factor / lam_trained  # lambda_max / (2/eta)
    first, tail = int(np.argmax(ratio < 1)), ratio[sharp[:, 0] >= 80]
    table[f"{factor} x 2/lambda"] = {
        "eta": f"{factor * 2 / lam_trained:.4f}", "max loss": f"{losses.max():.4f}",
        "  at step": int(losses.argmax()), "first t with lambda_max < 2/eta": int(sharp[first, 0]),
        "  below from then on": "yes" if (ratio[first:] < 1).all() else "no",
        "lambda_max/(2/eta), t = 80..100": f"{tail.min():.2f} to {tail.max():.2f}",
        "loss at t = 100": f"{losses[-1]:.4f}"}
print_table(table, width=16)

# %% slideshow={"slide_type": "skip"}
fig, (ax0, ax1) = new_figure(1, 2, figsize=(9.5, 4.0))
for i, (factor, (losses, sharp)) in enumerate(gd_runs.items()):
    c = PALETTE[i]
    ax0.plot(losses, color=c, label=rf"$\eta = {factor}\times 2/\lambda_{{\max}}$")
    ax1.plot(sharp[:, 0], sharp[:, 1] * factor / lam_trained, "o-", color=c, markersize=3, label=rf"$\eta = {factor}\times$")
ax1.axhline(1.0, color="gray", linestyle="--", linewidth=1.0, label=r"$\lambda_{\max} = 2/\eta$")
ax0.set(title="Full-batch GD from the trained MLP: loss", xlabel="step $t$", ylabel="loss (log scale)", yscale="log")
ax1.set(title=r"Sharpness relative to the limit", xlabel="step $t$", ylabel=r"$\lambda_{\max} / (2/\eta)$")
ax0.legend(loc="upper right")
_ = ax1.legend(loc="upper right")

# %% slideshow={"slide_type": "subslide"}
fig

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice**: a catapult (Lewkowycz et al. 2020)
# - On the quadratic the limit is sharp: $1.5\times$ explodes ($|1 - \eta\lambda_{\max}| = 2.00$).
# - On the network neither large step diverges. The loss jumps within 3 steps (to 0.4762 at
#   $1.5\times$, 2.5372 at $3\times$, from 0.2785), and the jump itself carries GD to a flatter region:
#   $\lambda_{\max} < 2/\eta$ from step 15 at $1.5\times$. Then the loss falls below the stable run's.
# - At $3\times$ the landing is rough: from step 50 on, $\lambda_{\max}$ alternates around $2/\eta$
#   (0.82 to 1.44 times it over steps 80 to 100), a period-2 oscillation.

# %% [markdown] slideshow={"slide_type": "notes"}
# Lewkowycz et al. describe exactly this for wide networks trained with the squared loss: for
# $2/\lambda_{\max} < \eta$ up to a few times that, the loss grows for a few steps, the growth
# lowers the curvature until $\lambda_{\max} < 2/\eta$, and training then converges in the flatter
# region; larger steps diverge. Here it happens with the cross-entropy. This is a one-off event at
# the start of a run with a too-large step. It is not the edge of stability, which is a regime that
# GD enters by itself, at a fixed small enough $\eta$, and stays in: next section.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. The edge of stability
#
# Cohen et al. (2021) ran full-batch GD at a fixed $\eta$ on real networks (mostly with the
# squared loss) and measured $\lambda_{\max}$ along the way:
# - **progressive sharpening**: while the loss falls, $\lambda_{\max}$ grows, up to $2/\eta$;
# - **the edge of stability**: then it stops growing and hovers at (just above) $2/\eta$, while
#   the loss keeps falling, non-monotonically, over long stretches of training.
#
# The quadratic theory says GD diverges once $\lambda_{\max} > 2/\eta$. It does not.

# %% [markdown] slideshow={"slide_type": "skip"}
# The setup: a tanh MLP 64-32-10 on the first 300 training digits, the squared loss
# $\mathcal{L}(\theta) = \frac1N \sum_i \frac12 \|f_\theta(x_i) - e_{y_i}\|^2$ with one-hot targets $e_{y_i}$,
# float64, the same initialisation for $\eta = 0.15$ and $\eta = 0.18$ (its $\lambda_{\max}$ is below
# both $2/\eta$). $\lambda_{\max}$ is measured every 25 steps by 10 Lanczos steps. At the edge the
# top eigenvalues crowd together (the table checks $\lambda_2 > 0.95\,\lambda_{\max}$ at the end of
# each run): power iteration, whose error shrinks like $|\lambda_2/\lambda_1|^k$, would need hundreds
# of products there.
#
# What is robust: the phase before the edge is smooth, so the steps at which $\lambda_{\max}$
# reaches $0.9 \times 2/\eta$ and $2/\eta$ (on the 25-step grid) and the loss at that point are the
# same on every machine. The phase at the edge is chaotic: last-bit differences grow until the
# trajectories differ. We print what does not depend on them: the step at which the loss first
# goes up to the nearest 50, the median of $\lambda_{\max}/(2/\eta)$ over the second half of the run,
# the band holding the middle 80% of those measurements rounded outward to 0.05, and the lowest
# loss to one significant digit.

# %% slideshow={"slide_type": "subslide"}
N_eos = 300
X_eos, y_eos = X_tr[:N_eos], y_tr[:N_eos]
E_eos = nn.functional.one_hot(y_eos, 10).to(F64)  # one-hot targets e_y


def gd_squared_loss(eta, steps, every=25):
    """Full-batch GD on a fresh tanh MLP with the squared loss: L(theta_t) for t = 0..steps,
    (t, lambda_max) every ``every`` steps, and lambda_2 / lambda_max at the end."""
    net = make_mlp([64, 32, 10], activation=nn.Tanh, seed=0).to(F64)
    params = list(net.parameters())
    loss_fn = lambda: 0.5 * ((net(X_eos) - E_eos) ** 2).sum(1).mean()  # noqa: E731
    losses, sharp = [], [(0, sharpness_lanczos(loss_fn, params))]
    for t in range(1, steps + 1):
        loss = loss_fn()  # L(theta_{t-1})
        losses.append(float(loss.detach()))
        g = torch.autograd.grad(loss, params)  # g_t
        with torch.no_grad():
            for p, g_p in zip(params, g, strict=True):
                p -= eta * g_p  # theta_t = theta_{t-1} - eta g_t
        if t % every == 0:
            sharp.append((t, sharpness_lanczos(loss_fn, params)))
    losses.append(float(loss_fn().detach()))
    ritz = lanczos(HessianOperator(loss_fn, params), m=30)[2]
    return np.array(losses), np.array(sharp), float(ritz[-2] / ritz[-1])


eos = {eta: gd_squared_loss(eta, steps) for eta, steps in ((0.15, 1400), (0.18, 1000))}

# %% slideshow={"slide_type": "subslide"}
table = {}
for eta, (losses, sharp, gap) in eos.items():
    ratio = sharp[:, 1] * eta / 2
    t90, t100 = int(sharp[np.argmax(ratio >= 0.9), 0]), int(sharp[np.argmax(ratio >= 1.0), 0])
    first_up = int(np.argmax(np.diff(losses) > 0)) + 1  # first t with L(theta_t) > L(theta_{t-1})
    half = ratio[sharp[:, 0] >= sharp[-1, 0] / 2]
    lo, hi = outward(half)
    table[f"eta = {eta}"] = {
        "2/eta": f"{2 / eta:.2f}", "lambda_max at t = 0": f"{sharp[0, 1]:.2f}",
        "reaches 0.9 x 2/eta at step": t90, "reaches 2/eta at step": t100,
        "loss there": f"{losses[t100]:.3f}",
        "loss first goes up at step (about)": 50 * round(first_up / 50),
        "lambda_max/(2/eta), 2nd half: median": f"{np.median(half):.2f}",
        "  middle 80% within": f"[{lo:.2f}, {hi:.2f}]", "lowest loss": f"{losses.min():.1g}",
        "loss at the end < at the edge": "yes" if losses[-1] < losses[t100] else "no",
        "lambda_2 > 0.95 lambda_max at the end": "yes" if gap > 0.95 else "no"}
print_table(table)

# %% slideshow={"slide_type": "skip"}
fig, (ax0, ax1) = new_figure(1, 2, figsize=(9.5, 4.0))
for i, (eta, (losses, sharp, _)) in enumerate(eos.items()):
    c = PALETTE[i + 1]
    ax0.plot(losses, color=c, linewidth=0.8, label=rf"$\eta = {eta}$")
    ax1.plot(sharp[:, 0], sharp[:, 1], "-", color=c, label=rf"$\lambda_{{\max}}$, $\eta = {eta}$")
    ax1.axhline(2 / eta, color=c, linestyle="--", linewidth=1.0, label=rf"$2/\eta = {2 / eta:.2f}$")
ax0.set(title="Full-batch GD, squared loss: training loss", xlabel="step $t$", ylabel="loss (log scale)",
        yscale="log")
ax1.set(title=r"Sharpness: rises to $2/\eta$, then hovers", xlabel="step $t$", ylabel=r"$\lambda_{\max}$")
ax0.legend(loc="upper right")
_ = ax1.legend(loc="lower right", fontsize=8)

# %% slideshow={"slide_type": "subslide"}
fig

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice**
# - Progressive sharpening: from 9.49, $\lambda_{\max}$ reaches $2/\eta$ at step 400 ($\eta = 0.15$)
#   and 200 ($\eta = 0.18$) while the loss falls smoothly.
# - It overshoots until the loss first goes up (about step 600 and 350); from then on
#   $\lambda_{\max}$ hovers just above $2/\eta$: median 1.03 and 1.05 times it over the second half
#   of each run. Same network, different plateau: $2/\eta$ sets it.
# - The loss keeps falling on average (from 0.132 and 0.146 at the edge to a lowest 0.08 and
#   0.09), with spikes, and never diverges.

# %% [markdown] slideshow={"slide_type": "notes"}
# Why the overshoot: before the edge, GD damps the oscillation along $q_1$ (factor
# $|1 - \eta\lambda_{\max}| < 1$ per step), for hundreds of steps. Past $2/\eta$ that oscillation grows
# again, but from a tiny amplitude, so it takes a while to show; rounding errors set how tiny,
# which is why the first rise of the loss moves by a few steps from one machine to another. Why
# the hovering: Damian, Nichani and Lee (2023) show that the growing oscillation, through the
# third-order term of the loss, pushes $\theta$ toward lower sharpness ("self-stabilization"): GD
# implicitly keeps $\lambda_{\max} \approx 2/\eta$. In section 6, $\eta$ was too large from the start
# (a catapult); here GD walks into the edge by itself, at a fixed $\eta$, and stays there.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 8. Newton's method
#
# Newton's method minimises the quadratic model: setting the gradient of
# $q(\theta_{t-1} + \delta) = \mathcal{L} + g_t^\top\delta + \tfrac12\delta^\top H_t\delta$ to zero gives
#
# $$
# \theta_t = \theta_{t-1} - H_t^{-1} g_t , \qquad H_t = \nabla^2\mathcal{L}(\theta_{t-1}).
# $$
#
# On a quadratic the model is exact, so **one Newton step lands on the critical point**.

# %% [markdown] slideshow={"slide_type": "skip"}
# A damped step $\theta_t = \theta_{t-1} - \eta H_t^{-1} g_t$ with $\eta \in (0, 1]$ is common; seed
# 004 writes it as "$\Phi = \eta H^{-1}\nabla\ell$", which lost the minus sign of its own undamped
# "$\Phi \mathrel{-}= H^{-1}\nabla\ell$".

# %% slideshow={"slide_type": "subslide"}
def newton_step(loss_fn, w):
    """w - H^{-1} g at w, for a loss of a small parameter vector."""
    w = w.detach().clone().requires_grad_(True)
    g = torch.autograd.grad(loss_fn(w), w)[0]
    H = hessian(lambda: loss_fn(w), w)
    return (w - torch.linalg.solve(H, g)).detach()


def gd_step(loss_fn, w, eta):
    w = w.detach().clone().requires_grad_(True)
    return (w - eta * torch.autograd.grad(loss_fn(w), w)[0]).detach()


center = torch.tensor([1.0, -2.0], dtype=F64)
quad = lambda w: 0.5 * (w - center) @ Hq @ (w - center)  # noqa: E731
w_start = torch.tensor([4.0, 3.0], dtype=F64)
w_newton = newton_step(quad, w_start)
print(f"one Newton step from {w_start.tolist()}: {fmt_point(w_newton, 6)}, "
      f"distance to the minimum {fmt_diff((w_newton - center).norm())}")
w_gd = gd_step(quad, w_start, 1 / lam_q)
print(f"one GD step (eta = 1/lambda_max) : "
      f"distance to the minimum {float((w_gd - center).norm()):.3f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The units of a gradient (seed 004)
#
# Measure the second coordinate in other units, $w_1 = c\,u$. The loss is the same function,
# $\mathcal{L}_c(w_0, u) = \mathcal{L}(w_0, c\,u)$, but $\partial\mathcal{L}_c/\partial u = c\,\partial\mathcal{L}/\partial w_1$:
# a GD step moves $u$ by $\eta c\,\partial_{w_1}\mathcal{L}$, so $w_1$ by $\eta c^2\,\partial_{w_1}\mathcal{L}$.
# Newton's step does not change: with $S = \operatorname{diag}(1, c)$, $g_c = S g$ and $H_c = S H S$, so
# $H_c^{-1} g_c = S^{-1} H^{-1} g$, the same step in $w_1$.

# %% [markdown] slideshow={"slide_type": "skip"}
# We run both on the convex $\mathcal{L}(w_0, w_1) = w_0^4/4 + w_0^2/2 + w_0 w_1 + 5 w_1^2$ from $(2, 1.5)$,
# in the original units and with $c = 0.1$ and $c = 10$, and map every path back to $(w_0, w_1)$.
# Coordinates are printed rounded, with $+0.0$ added so that a value that rounds to zero never
# prints as $-0.0000$.

# %% slideshow={"slide_type": "skip"}
def convex(w):
    w0, w1 = w[..., 0], w[..., 1]
    return w0**4 / 4 + w0**2 / 2 + w0 * w1 + 5 * w1**2


def path(step, loss_fn, start, steps, c):
    """Iterate ``step`` in the coordinates (w_0, u = w_1 / c); return the path mapped back to (w_0, w_1).

    Stops early if the iterate leaves the plot by a factor of 1000 (divergence)."""
    S = torch.tensor([1.0, c], dtype=F64)
    loss_c = lambda z: loss_fn(z * S)  # noqa: E731 (the same function in the new units)
    z = torch.tensor(start, dtype=F64) / S
    out = [z * S]
    for _ in range(steps):
        z = step(loss_c, z)
        out.append(z * S)
        if not bool(torch.isfinite(out[-1]).all()) or float(out[-1].abs().max()) > 1e3:
            break
    return torch.stack(out)


# %% slideshow={"slide_type": "subslide"}
start_c = (2.0, 1.5)
paths = {}
for c in (1.0, 0.1, 10.0):
    paths[("GD", c)] = path(lambda f, z: gd_step(f, z, 0.05), convex, start_c, 20, c)
    paths[("Newton", c)] = path(newton_step, convex, start_c, 20, c)
print(f"{'method':>7} {'c':>5} {'after 5 steps':>18} {'after 20 steps':>18} "
      f"{'max distance to the c = 1 path':>31}")
for (method, c), p in paths.items():
    ref = paths[(method, 1.0)]
    if len(p) < len(ref):
        print(f"{method:>7} {c:5.1f} {fmt_point(p[5]) if len(p) > 5 else '':>18} {'diverged':>18} "
              f"{'|w_1| > 1000 at step ' + str(len(p) - 1):>31}")
        continue
    print(f"{method:>7} {c:5.1f} {fmt_point(p[5]):>18} {fmt_point(p[20]):>18} "
          f"{fmt_diff((p - ref).norm(dim=1).max()):>31}")

# %% slideshow={"slide_type": "skip"}
convex_land = Landscape("convex", lambda w0, w1: convex(torch.stack([w0, w1], -1)),
                        [CriticalPoint(0.0, 0.0, "minimum")], xlim=(-1.0, 2.5), ylim=(-1.0, 2.0),
                        formula=r"$w_0^4/4 + w_0^2/2 + w_0 w_1 + 5w_1^2$")
fig = plot_contour(convex_land, title="GD depends on the units of $w_1$; Newton does not", levels=20, n=100)
ax = fig.axes[0]
styles = {("GD", 1.0): (PALETTE[0], "-o"), ("GD", 0.1): (PALETTE[4], "-s"), ("GD", 10.0): (PALETTE[3], "-^"),
          ("Newton", 1.0): (PALETTE[1], "-o"), ("Newton", 0.1): (PALETTE[2], "--x"), ("Newton", 10.0): (PALETTE[6], ":+")}
for key, p in paths.items():
    p = p.numpy()
    color, style = styles[key]
    label = f"{key[0]}, $w_1 = {key[1]:g}\\,u$"
    if len(p) < 21:  # diverged: leave it out of the picture
        ax.plot([], [], style, color=color, label=label + " (diverged, not drawn)")
        continue
    ax.plot(p[:, 0], p[:, 1], style, color=color, markersize=4, label=label, zorder=5)
ax.set_xlim(-1.0, 2.5)
ax.set_ylim(-1.0, 2.0)
_ = ax.legend(loc="upper left", fontsize=8)

# %% slideshow={"slide_type": "subslide"}
fig

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice**: with the same $\eta = 0.05$, GD's path changes completely with the units: for
# $c = 0.1$ it barely moves $w_1$ (its step in $w_1$ is $c^2$ times smaller), for $c = 10$ it
# diverges. The three Newton paths coincide to rounding error. In seed 004's words, the gradient
# is a *dual* vector: turning it into a step needs a metric, and Newton uses the one the loss
# provides, $H$.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Which rescaling is each method invariant to?
#
# Two rescalings: the loss $\mathcal{L} \to c\,\mathcal{L}$ (nats to bits, say), and a parameter
# $w_1 = c\,u$. We measure the first step in $w_1$ on the convex function, relative to $c = 1$.
# RMSProp and Adam divide by a running RMS of the gradient, so a factor $c$ on the gradient
# cancels: they are invariant to the first (up to $\epsilon$), not to the second.

# %% slideshow={"slide_type": "skip"}
def first_step_w1(method, c_param=1.0, c_loss=1.0, start=(2.0, 1.5), eta=0.05):
    """The change of w_1 in the first step of ``method`` run in (w_0, u = w_1 / c_param) on c_loss * L."""
    S = torch.tensor([1.0, c_param], dtype=F64)
    loss_c = lambda z: c_loss * convex(z * S)  # noqa: E731
    z = torch.tensor(start, dtype=F64) / S
    if method == "GD":
        z = gd_step(loss_c, z, eta)
    elif method == "Newton":
        z = newton_step(loss_c, z)
    else:
        z = z.clone().requires_grad_(True)
        opt = {"RMSProp": torch.optim.RMSprop, "Adam": torch.optim.Adam}[method]([z], lr=eta)
        loss_c(z).backward()
        opt.step()
    return float(z.detach()[1] * c_param) - start[1]


# %% slideshow={"slide_type": "fragment"}
print(f"{'first step in w_1 / (the same at c = 1)':>40} {'loss x 0.1':>11} {'loss x 10':>10} "
      f"{'w_1 = 0.1 u':>12} {'w_1 = 10 u':>11}")
for method in ("GD", "RMSProp", "Adam", "Newton"):
    base = first_step_w1(method)
    ratios = [first_step_w1(method, c_loss=c) / base for c in (0.1, 10.0)]
    ratios += [first_step_w1(method, c_param=c) / base for c in (0.1, 10.0)]
    print(f"{method:>40} {ratios[0]:11.3g} {ratios[1]:10.3g} {ratios[2]:12.3g} {ratios[3]:11.3g}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice**
# - GD's step scales with the loss ($c$) and with a parameter's units ($c^2$): it has neither
#   invariance.
# - RMSProp and Adam ignore the loss's scale, but under $w_1 = c\,u$ their step in $w_1$ scales like
#   $c$: $|g|$ has the units of loss per parameter, not of curvature.
# - Newton is invariant to both, and to any linear change of coordinates. A diagonal
#   preconditioner would need $H_{jj}$, not $|g_j|$, to ignore a parameter's units.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Newton is attracted to saddles
#
# Newton's step jumps to the critical point of the quadratic model, whatever its type: along
# $q_i$ with $\lambda_i < 0$ its component $-q_i^\top g/\lambda_i$ goes *uphill*. GD always goes
# downhill. Take $\mathcal{L}(w_0, w_1) = w_0^2 - w_1^2 + w_1^4/4$: a saddle at the origin
# ($H = \operatorname{diag}(2, -2)$), minima at $(0, \pm\sqrt2)$ with loss $-1$. "Saddle-free Newton"
# (Dauphin et al. 2014) uses $|H| = \sum_i |\lambda_i|\, q_i q_i^\top$ and goes downhill instead.

# %% slideshow={"slide_type": "skip"}
def saddle_quartic_fn(w0, w1):
    return w0**2 - w1**2 + w1**4 / 4


saddle_quartic = Landscape(
    "w0^2 - w1^2 + w1^4/4", saddle_quartic_fn,
    [CriticalPoint(0.0, 0.0, "saddle"), CriticalPoint(0.0, math.sqrt(2), "minimum"),
     CriticalPoint(0.0, -math.sqrt(2), "minimum")],
    xlim=(-1.6, 1.6), ylim=(-2.0, 2.0), formula=r"$w_0^2 - w_1^2 + w_1^4/4$")
sq_loss = saddle_quartic.loss


def saddle_free_newton_step(loss_fn, w):
    """w - |H|^{-1} g, with |H| = sum_i |lambda_i| q_i q_i^T."""
    w = w.detach().clone().requires_grad_(True)
    g = torch.autograd.grad(loss_fn(w), w)[0]
    lam, Q = torch.linalg.eigh(hessian(lambda: loss_fn(w), w))
    return (w - Q @ ((Q.T @ g) / lam.abs())).detach()


def iterate(step, start, steps):
    w = torch.tensor(start, dtype=F64)
    out = [w]
    for _ in range(steps):
        w = step(w)
        out.append(w)
    return torch.stack(out)


# %% slideshow={"slide_type": "subslide"}
start_s = (1.2, 0.3)
g0, H0 = gradient_and_hessian(saddle_quartic, start_s)
lam0, Q0 = torch.linalg.eigh(H0)
print(f"at {start_s}: eigenvalues of H {lam0.numpy()}, Newton step along the eigenvectors "
      f"{(-(Q0.T @ g0) / lam0).numpy().round(4)} (w_1-component: toward w_1 = 0, uphill)")
runs_s = {
    "Newton": iterate(lambda w: newton_step(sq_loss, w), start_s, 30),
    "saddle-free Newton": iterate(lambda w: saddle_free_newton_step(sq_loss, w), start_s, 30),
    "GD, eta = 0.1": iterate(lambda w: gd_step(sq_loss, w, 0.1), start_s, 30),
    "GD from (1.2, 1e-6)": iterate(lambda w: gd_step(sq_loss, w, 0.1), (1.2, 1e-6), 120),
}
for name, p in runs_s.items():
    end = p[-1]
    _, H_end = gradient_and_hessian(saddle_quartic, tuple(end.tolist()))
    kind = classify_critical_point(torch.linalg.eigvalsh(H_end))
    print(f"{name:>20}: ends at {fmt_point(end, 6)} after {len(p) - 1:3d} steps, "
          f"loss {r0(sq_loss(end), 6):+.6f}, H there: {kind}")

# %% slideshow={"slide_type": "skip"}
fig = plot_contour(saddle_quartic, title="Newton stops at the saddle, GD escapes", levels=20, n=100)
ax = fig.axes[0]
for (name, p), c, mk in zip(runs_s.items(), [PALETTE[1], PALETTE[2], PALETTE[0], PALETTE[4]], ["o", "s", ".", "."],
                            strict=True):
    p = p.numpy()
    ax.plot(p[:, 0], p[:, 1], "-" + mk, color=c, markersize=5, label=name, zorder=6)
_ = ax.legend(loc="lower left", fontsize=8)

# %% slideshow={"slide_type": "subslide"}
fig

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 9. How long does GD take to escape a saddle?
#
# Near the saddle of $w_0^2 - w_1^2 + w_1^4/4$, a GD step maps $w_1 \mapsto w_1 + \eta(2w_1 - w_1^3)
# \approx (1 + \eta|\lambda_{\min}|)\, w_1$ with $\lambda_{\min} = -2$: the distance from the stable
# manifold (the $w_0$ axis) grows geometrically. From distance $\delta$ to distance $r$ takes about
#
# $$
# T(\delta) \approx \frac{\ln(r/\delta)}{\ln(1 + \eta|\lambda_{\min}|)}
# $$
#
# steps: each factor of 10 closer costs the same number of extra steps; at $\delta = 0$ GD never
# escapes.

# %% [markdown] slideshow={"slide_type": "skip"}
# Jin et al. (2017) turn this into a guarantee: GD with a small random perturbation escapes
# strict saddles efficiently. We start at $(1, \delta)$ with $\eta = 0.1$ and count the steps until
# $|w_1| \ge r = 0.5$.

# %% slideshow={"slide_type": "subslide"}
def steps_to_escape(delta, eta=0.1, r=0.5, max_steps=10_000):
    w = torch.tensor([1.0, delta], dtype=F64)
    for t in range(max_steps):
        if abs(float(w[1])) >= r:
            return t
        w = gd_step(sq_loss, w, eta)
    return None


eta_s, r_s, lam_min = 0.1, 0.5, -2.0
deltas = [10.0**-k for k in range(1, 9)]
measured = [steps_to_escape(d) for d in deltas]
predicted = [math.log(r_s / d) / math.log(1 + eta_s * abs(lam_min)) for d in deltas]
print(f"{'delta':>7} {'measured':>9} {'predicted':>10} {'ratio':>6}")
for d, m_, p_ in zip(deltas, measured, predicted, strict=True):
    print(f"{d:7.0e} {m_:9d} {p_:10.1f} {m_ / p_:6.2f}")
print(f"from delta = 0: escaped within 1,000 steps? "
      f"{steps_to_escape(0.0, max_steps=1000) is not None}")
slope = np.polyfit(np.log10(1 / np.array(deltas)), measured, 1)[0]
print(f"extra steps per factor of 10 in delta: measured {slope:.2f}, predicted ln 10 / ln 1.2 = "
      f"{math.log(10) / math.log(1.2):.2f}")

# %% slideshow={"slide_type": "skip"}
fig, ax = new_figure(figsize=(6.0, 4.0))
ax.plot(np.log10(1 / np.array(deltas)), measured, "o", color=PALETTE[0], markersize=7, label="measured (GD)")
ax.plot(np.log10(1 / np.array(deltas)), predicted, "--", color=PALETTE[1],
        label=r"$\ln(r/\delta)\,/\,\ln(1 + \eta|\lambda_{\min}|)$")
ax.set(title="Steps for GD to escape the saddle", xlabel=r"$\log_{10}(1/\delta)$ (distance from the stable manifold)",
       ylabel="steps until $|w_1| \\geq 0.5$")
_ = ax.legend(loc="upper left")

# %% slideshow={"slide_type": "subslide"}
fig

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice**: the counts follow the prediction within 3% for $\delta \le 0.01$ (13% above it
# at $\delta = 0.1$: the $-w_1^3$ term slows the growth as $|w_1|$ nears $r$). Each factor of 10 costs
# 12.60 more steps (predicted 12.63). Saddles do not trap GD, they delay it, by $O(\log(1/\delta))$
# steps; Dauphin et al. (2014) argue that many plateaus of training curves are such escapes.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 10. Quasi-Newton in practice: L-BFGS against Adam on Rosenbrock
#
# Quasi-Newton methods approximate $H^{-1}$ from gradient differences,
#
# $$
# \Delta g_t = g_{t+1} - g_t \approx H\, \Delta\theta_t , \qquad \Delta\theta_t = \theta_t - \theta_{t-1} ,
# $$
#
# (seed 004's "finite difference as an approximation of $H\Delta\Phi$"). **L-BFGS** keeps the last
# few pairs $(\Delta\theta, \Delta g)$ and applies its $H^{-1}$ estimate to $g$ with two loops over them,
# in $O(d)$ per pair; a line search (strong Wolfe conditions) picks the step (Nocedal and Wright
# 2006, chapters 6 and 7).

# %% [markdown] slideshow={"slide_type": "skip"}
# `torch.optim.LBFGS` needs a closure that re-evaluates the loss, which `run_trajectory` passes.
# Its gradient differences only mean curvature on a deterministic loss (seed 004): with
# mini-batches, $\Delta g_t$ mixes curvature with noise, which is why L-BFGS is rare in deep learning
# and common in full-batch problems.

# %% slideshow={"slide_type": "subslide"}
class CountingLandscape(Landscape):
    """Counts the evaluations made with gradients (the optimizer's); the logger's, made without
    gradients once per step, record the count so far."""

    def __call__(self, w0, w1):
        if torch.is_grad_enabled():
            self.evaluations += 1
        else:
            self.evaluations_at_step.append(self.evaluations)
        return super().__call__(w0, w1)


def counted_run(optimizer, steps, **hp):
    rb = rosenbrock()
    land = CountingLandscape(rb.name, rb.fn, rb.critical_points, rb.xlim, rb.ylim, rb.formula)
    land.evaluations, land.evaluations_at_step = 0, []
    tr = run_trajectory(land, optimizer, (-1.5, 2.0), steps, **hp)
    return tr, np.array(land.evaluations_at_step)


tol = 1e-8
lbfgs, lbfgs_evals = counted_run(torch.optim.LBFGS, 60, lr=1.0, max_iter=1, max_eval=25,
                                 history_size=10, line_search_fn="strong_wolfe")
adam, adam_evals = counted_run(torch.optim.Adam, 1700, lr=0.05)
print(f"Rosenbrock from (-1.5, 2), first iterate with f < {tol:g}:")
for name, tr, evals in (("L-BFGS", lbfgs, lbfgs_evals), ("Adam, lr 0.05", adam, adam_evals)):
    hit = int(np.argmax(tr.losses < tol))
    print(f"{name:>14}: iteration {hit}, after {evals[hit]} gradient evaluations; "
          f"final loss {tr.final_loss:.1e}")

# %% slideshow={"slide_type": "subslide"}
w = torch.tensor([-1.5, 2.0], dtype=F64, requires_grad=True)  # the same L-BFGS in one step() call
one_call = torch.optim.LBFGS([w], lr=1.0, max_iter=200, max_eval=1000, history_size=10,
                             tolerance_grad=1e-12, tolerance_change=1e-14,
                             line_search_fn="strong_wolfe")
seen = []


def closure():
    one_call.zero_grad()
    loss = rosenbrock().loss(w)
    loss.backward()
    seen.append(float(loss.detach()))
    return loss


one_call.step(closure)
first = next(i for i, f in enumerate(seen) if f < tol) + 1
print(f"L-BFGS in a single step() call: f < {tol:g} first at evaluation {first} "
      f"(the call ran {one_call.state[w]['n_iter']} iterations, {len(seen)} evaluations in all)")

# %% slideshow={"slide_type": "skip"}
fig, (ax0, ax1) = new_figure(1, 2, figsize=(9.5, 4.0))
adam_few = type(adam)(adam.positions[::20], adam.losses[::20], label="Adam (every 20th step)")
lbfgs.label = "L-BFGS"
plot_contour(rosenbrock(), [lbfgs, adam_few], ax=ax0, log_scale=True, colors=[PALETTE[1], PALETTE[0]],
             title="Rosenbrock: L-BFGS and Adam", n=100, levels=20)
ax1.semilogy(lbfgs_evals, lbfgs.losses, "-o", markersize=3, color=PALETTE[1], label="L-BFGS")
ax1.semilogy(adam_evals, adam.losses, color=PALETTE[0], label="Adam, lr 0.05")
ax1.axhline(tol, color="gray", linestyle=":", label=f"tolerance {tol:g}")
ax1.set(title="Loss against gradient evaluations (log-log)", xlabel="gradient evaluations", ylabel="loss",
        xscale="log", ylim=(1e-11, 1e2))
_ = ax1.legend(loc="lower left")

# %% slideshow={"slide_type": "subslide"}
fig

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice**: on this smooth, deterministic, badly conditioned valley, L-BFGS gets below
# $10^{-8}$ in 39 iterations and 88 gradient evaluations; Adam needs 1,630 steps, with a learning
# rate we had to choose. `run_trajectory` calls `LBFGS.step` once per iteration, and each call
# starts by re-evaluating the current point; in a single `step()` call L-BFGS needs 50.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 1: the smallest eigenvalue
#
# Is a critical point a minimum? Only if $\lambda_{\min} > 0$, and plain power iteration finds the
# eigenvalue of largest *magnitude*, not $\lambda_{\min}$. Write `smallest_eigenvalue(matvec, d, iters)`
# that returns $\lambda_{\min}$ of a symmetric operator given only `matvec(v)` $= Hv$, using
# `power_method` from section 4 on a shifted operator (section 4, "Deflation and shifts"). The check
# runs it on matrices with known spectra (one positive definite, one whose dominant eigenvalue is
# negative) and on a network's HVP.

# %% tags=["solution"]
def smallest_eigenvalue(matvec, d, iters=300):
    spectral_radius = abs(power_method(matvec, d, iters)[0])  # max_i |lambda_i|
    shifted = lambda v: matvec(v) - spectral_radius * v  # noqa: E731 (eigenvalues <= 0)
    return power_method(shifted, d, iters)[0] + spectral_radius

# %%
check_smallest_eigenvalue(smallest_eigenvalue)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 2: classify critical points
#
# Each matrix is the Hessian at a critical point. Set each entry of `kinds` to "minimum",
# "maximum", "saddle" or "degenerate". Work them out by hand first (for a $2\times2$ matrix,
# $\det H = \lambda_1\lambda_2$ and $\operatorname{tr} H = \lambda_1 + \lambda_2$).
#
# $$
# A = \begin{pmatrix} 2 & 1 \\ 1 & 2 \end{pmatrix},\
# B = \begin{pmatrix} 1 & 3 \\ 3 & 1 \end{pmatrix},\
# C = \begin{pmatrix} -2 & 0 \\ 0 & -0.5 \end{pmatrix},\
# D = \begin{pmatrix} 1 & 1 \\ 1 & 1 \end{pmatrix},\
# E = \begin{pmatrix} 4 & 0 & 0 \\ 0 & 3 & 0 \\ 0 & 0 & -0.01 \end{pmatrix}
# $$

# %% tags=["solution"]
kinds = {"A": "minimum", "B": "saddle", "C": "maximum", "D": "degenerate", "E": "saddle"}

# %%
check_critical_point_kinds(kinds)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 3: a Hessian-vector product from two gradients
#
# Without double backpropagation, $Hv$ is the derivative of the gradient along $v$ and can be
# approximated from gradients alone, as L-BFGS does with its $\Delta g_t$. Write
# `fd_hvp(grad_fn, theta, v, eps)` that returns an approximation of $Hv$ with an error of order
# $\epsilon^2$, calling only `grad_fn(theta)` (the flat gradient at a flat parameter vector). The
# check compares it with the exact Hessian of a small network times $v$, for a unit and a non-unit
# $v$, with `eps = 1e-4`.

# %% tags=["solution"]
def fd_hvp(grad_fn, theta, v, eps=1e-4):
    return (grad_fn(theta + eps * v) - grad_fn(theta - eps * v)) / (2 * eps)

# %%
check_fd_hvp(fd_hvp)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - The signs of $H$'s eigenvalues classify a critical point; in high dimension most are saddles.
# - $Hv$ costs about one extra backward pass; power iteration, Lanczos and Hutchinson need only $Hv$.
# - A too-large step catapults GD to a flatter region; at a fixed $\eta$, full-batch GD sharpens
#   up to $2/\eta$ and hovers there: the edge of stability.
# - Newton is invariant to the loss's scale and the parameters' units (Adam only to the first),
#   but converges to saddles, which GD escapes in $O(\log(1/\delta))$ steps.

# %% [markdown] slideshow={"slide_type": "skip"}
# In more detail:
# - At a critical point the eigenvalues of $H$ decide: all positive, a minimum; all negative, a
#   maximum; mixed, a saddle; zeros without a sign change, undecided (the monkey saddle). Among
#   random symmetric matrices, minima become vanishingly rare as $d$ grows (none in 20,000
#   samples at $d = 6$).
# - $Hv = \nabla(g^\top v)$ matched the full Hessian to rounding error (differences "< 1e-12").
#   Power iteration (written here, then the package's with deflation and shifts), Hutchinson's
#   estimator and SLQ use only such products, in $O(d)$ memory ($O(kd)$ for Lanczos), and
#   reproduced $\lambda_{\max}$, the trace and the spectrum: a bulk near zero with a few outliers.
# - GD on a quadratic diverges exactly past $\eta = 2/\lambda_{\max}$. On a trained network, steps
#   1.5 and 3 times past that limit spiked the loss and landed in a flatter region (a catapult,
#   Lewkowycz et al. 2020). At a fixed $\eta$ below the initial limit, full-batch GD sharpened the
#   network until $\lambda_{\max} = 2/\eta$, then held it there (median 1.03 and 1.05 times $2/\eta$)
#   while the loss kept falling with spikes (Cohen et al. 2021).
# - Newton's step $-H^{-1}g$ is exact in one step on a quadratic and invariant to rescaling the
#   loss or a parameter; RMSProp and Adam only to rescaling the loss; GD to neither. Newton
#   converges to saddles; GD escapes them in about $\ln(r/\delta)/\ln(1 + \eta|\lambda_{\min}|)$ steps.
#   L-BFGS brings much of Newton's speed to deterministic problems.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## References
#
# - Y. Dauphin, R. Pascanu, C. Gulcehre, K. Cho, S. Ganguli, Y. Bengio, "Identifying and
#   attacking the saddle point problem in high-dimensional non-convex optimization", NeurIPS 2014.
# - B. A. Pearlmutter, "Fast exact multiplication by the Hessian", *Neural Computation* 6(1), 1994.
# - M. F. Hutchinson, "A stochastic estimator of the trace of the influence matrix for Laplacian
#   smoothing splines", *Communications in Statistics, Simulation and Computation* 19(2), 1990.
# - S. Ubaru, J. Chen, Y. Saad, "Fast estimation of tr(f(A)) via stochastic Lanczos quadrature",
#   *SIAM J. Matrix Analysis and Applications* 38(4), 2017.
# - B. Ghorbani, S. Krishnan, Y. Xiao, "An investigation into neural net optimization via Hessian
#   eigenvalue density", ICML 2019.
# - V. Papyan, "Measurements of three-level hierarchical structure in the outliers in the spectrum
#   of deepnet Hessians", ICML 2019.

# %% [markdown] slideshow={"slide_type": "subslide"}
# - A. Lewkowycz, Y. Bahri, E. Dyer, J. Sohl-Dickstein, G. Gur-Ari, "The large learning rate phase
#   of deep learning: the catapult mechanism", arXiv:2003.02218, 2020.
# - J. Cohen, S. Kaur, Y. Li, J. Z. Kolter, A. Talwalkar, "Gradient descent on neural networks
#   typically occurs at the edge of stability", ICLR 2021.
# - A. Damian, E. Nichani, J. D. Lee, "Self-stabilization: the implicit bias of gradient descent
#   at the edge of stability", ICLR 2023.
# - J. Nocedal, S. J. Wright, *Numerical Optimization*, 2nd edition, Springer, 2006 (chapter 3:
#   Newton's method; chapters 6 and 7: quasi-Newton methods and L-BFGS).
# - C. Jin, R. Ge, P. Netrapalli, S. M. Kakade, M. I. Jordan, "How to escape saddle points
#   efficiently", ICML 2017.
# - D. S. Dean, S. N. Majumdar, "Large deviations of extreme eigenvalues of random matrices",
#   *Physical Review Letters* 97, 2006.
# - D. McAllester, *TTIC 31230 Fundamentals of Deep Learning*, lecture on SGD, 2018 (seed 004).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What's next
#
# This is the last notebook of the course. From here: reproduce the edge of stability on a larger
# network or with a mini-batch (does SGD sharpen?); try `lanczos_spectrum` on a larger network
# and look for the class outliers; or compare Adam and L-BFGS on a full-batch problem of your own
# (a logistic regression, a small physics-informed network). The tools of this notebook work for
# any model whose loss you can differentiate twice.
