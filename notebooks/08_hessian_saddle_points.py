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
# the Hessian $H$: its eigenvalues decide whether a critical point is a minimum, a maximum or a
# saddle, they set the largest learning rate gradient descent (GD) survives, and they are what
# Newton's method divides by. A network's $H$ has $n^2$ entries, far too many to store, yet
# autograd gives us products $Hv$ for the price of two gradients, and from those products we get
# the largest eigenvalue, the trace and the whole spectrum. We then meet the two faces of
# curvature in training: the *edge of stability*, where GD regulates the sharpness of a real
# network, and *saddle points*, which attract Newton's method and only slow GD down.
#
# **Learning objectives**
# - Classify a critical point from the eigenvalues of its Hessian, and explain why saddle points
#   outnumber minima in high dimension.
# - Compute Hessian-vector products by double backpropagation and use them for power iteration,
#   Hutchinson's trace estimator and stochastic Lanczos quadrature, without ever forming $H$.
# - Predict GD's stability limit $\eta < 2/\lambda_{\max}$ and recognise the edge of stability on a
#   real network.
# - Explain why Newton's method is invariant to rescaling the parameters, why it is attracted to
#   saddle points, and how long GD takes to escape one.
#
# **Prerequisites** Notebooks 00 (GD on quadratics, the critical learning rate) and 04 (Adam);
# notebook 05 for full-batch vs mini-batch training.
#
# **Time to complete:** about 75 minutes

# %%
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
    check_critical_point_kinds,
    check_power_iteration,
    classify_critical_point,
    fmt_diff,
    hessian,
    himmelblau,
    hutchinson_trace,
    hvp,
    hvp_func,
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

DEVICE = setup_notebook(seed=0)
F64 = torch.float64

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. Critical points and the second-order test
#
# A **critical point** $\theta^\*$ is a point where the gradient vanishes, $g(\theta^\*) = 0$.
# Near it the loss is described by its second-order Taylor expansion,
#
# $$
# \mathcal{L}(\theta^\* + \delta) = \mathcal{L}(\theta^\*) + \tfrac12\,\delta^\top H\,\delta
# + O(\|\delta\|^3), \qquad H_{ij} = \frac{\partial^2 \mathcal{L}}{\partial\theta_i\,\partial\theta_j}(\theta^\*).
# $$
#
# $H$ is symmetric, so $H = U \Lambda U^\top$ with orthonormal eigenvectors $u_i$ and real
# eigenvalues $\lambda_i$. Writing $\delta = \sum_i c_i u_i$ gives
# $\tfrac12\delta^\top H\delta = \tfrac12\sum_i \lambda_i c_i^2$: along $u_i$ the loss curves up if
# $\lambda_i > 0$ and down if $\lambda_i < 0$. Hence the **second-order test**:
#
# | eigenvalues of $H$ | the critical point is |
# |---|---|
# | all $\lambda_i > 0$ | a (strict local) **minimum** |
# | all $\lambda_i < 0$ | a **maximum** |
# | some $> 0$ and some $< 0$ | a **saddle** |
# | some $= 0$, no sign change | **degenerate**: the test cannot decide, higher-order terms do |
#
# `course_utils.classify_critical_point(eigenvalues, tol)` implements this table, and
# `course_utils.hessian(loss_fn, params)` builds a small Hessian column by column. Himmelblau's
# function $(x^2 + y - 11)^2 + (x + y^2 - 7)^2$ has nine critical points; we classify all of them.

# %%
def gradient_and_hessian(landscape, point):
    """g and H of a 2-D landscape at ``point`` (float64, autograd)."""
    w = torch.tensor(point, dtype=F64, requires_grad=True)
    g = torch.autograd.grad(landscape.loss(w), w)[0]
    H = hessian(lambda: landscape.loss(w), w)
    return g, H


print(f"{'landscape':>13} {'(x, y)':>20} {'|g|':>8} {'lambda_1':>9} {'lambda_2':>9}  test says   listed as")
for land in (himmelblau, saddle, monkey_saddle):
    for cp in land.critical_points:
        g, H = gradient_and_hessian(land, (cp.x, cp.y))
        lam = torch.linalg.eigvalsh(H)
        kind = classify_critical_point(lam, tol=1e-6)
        print(f"{land.name:>13} ({cp.x:8.4f}, {cp.y:8.4f}) {float(g.norm()):8.1e} {lam[0]:9.3f} {lam[1]:9.3f}"
              f"  {kind:<10}  {cp.kind}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# The monkey saddle $x^3 - 3xy^2$ has $H = 0$ at the origin: the test says "degenerate". The
# cubic term decides, and it changes sign along the $x$ axis, so the origin is neither a minimum
# nor a maximum:

# %%
for x in (-0.1, 0.1):
    print(f"monkey saddle at ({x:+.1f}, 0): {float(monkey_saddle(x, 0.0)):+.4f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **The quadratic model.** Away from a critical point the gradient term joins in:
# $q(\theta + \delta) = \mathcal{L}(\theta) + g^\top\delta + \tfrac12\delta^\top H\delta$. Below, the
# contours of Himmelblau's function (solid) and of its quadratic model (dashed) around a saddle and
# around a minimum; the table measures how fast the model's error grows with the distance $r$.

# %%
def quadratic_model(landscape, point):
    """q(point + d) = L + g.d + d^T H d / 2, vectorised over the last axis of d."""
    g, H = gradient_and_hessian(landscape, point)
    f0 = float(landscape(*point))

    def q(dx, dy):
        d = torch.stack([dx, dy], dim=-1)
        return f0 + d @ g + 0.5 * ((d @ H) * d).sum(-1)

    return q


def model_error(landscape, point, r, n=400):
    """max |L - q| on the circle of radius r around ``point``."""
    q = quadratic_model(landscape, point)
    phi = torch.linspace(0, 2 * math.pi, n, dtype=F64)
    dx, dy = r * torch.cos(phi), r * torch.sin(phi)
    return float((landscape(point[0] + dx, point[1] + dy) - q(dx, dy)).abs().max())


sp, mn = himmelblau.critical_points[7], himmelblau.critical_points[0]  # a saddle and a minimum
print(f"{'r':>5} {'max|L - q| at the saddle':>26} {'at the minimum':>16}")
for r in (0.05, 0.1, 0.2, 0.4):
    print(f"{r:5.2f} {model_error(himmelblau, (sp.x, sp.y), r):26.2e} {model_error(himmelblau, (mn.x, mn.y), r):16.2e}")

# %% slideshow={"slide_type": "subslide"}
fig, axes = new_figure(1, 2, figsize=(9.0, 3.8))
for ax, cp, title in ((axes[0], sp, "near a saddle"), (axes[1], mn, "near a minimum")):  # same levels for L and q
    X, Y, Z = himmelblau.grid(60, (cp.x - 1.0, cp.x + 1.0), (cp.y - 1.0, cp.y + 1.0))
    Q = quadratic_model(himmelblau, (cp.x, cp.y))(X - cp.x, Y - cp.y)
    f_star, steps = float(himmelblau(cp.x, cp.y)), 1.4 * np.arange(1, 7) ** 2  # levels f* +- c k^2
    levels = f_star + (np.concatenate([-steps[::-1], [0.0], steps]) if cp.kind == "saddle" else steps)
    ax.contour(X.numpy(), Y.numpy(), Z.numpy(), levels=levels, colors=PALETTE[0], linewidths=1.2)
    ax.contour(X.numpy(), Y.numpy(), Q.numpy(), levels=levels, colors=PALETTE[1], linestyles="--", linewidths=1.0)
    ax.plot(cp.x, cp.y, "X" if cp.kind == "saddle" else "*", color="#F0E442", markersize=13,
            markeredgecolor="black", label=f"{cp.kind} ({cp.x:.2f}, {cp.y:.2f})")
    ax.plot([], [], "-", color=PALETTE[0], label="Himmelblau $\\mathcal{L}$")
    ax.plot([], [], "--", color=PALETTE[1], label="quadratic model $q$")
    ax.set(title=f"Himmelblau {title}", xlabel="$x$", ylabel="$y$")
    ax.grid(False)
    ax.legend(loc="lower left")
fig


# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice**
# - All nine points have $|g| < 10^{-4}$ and the test agrees with the listed kinds: 4 minima
#   (both eigenvalues positive), 1 maximum (both negative) and 4 saddles (one of each sign).
# - Around the saddle the model's contours are hyperbolas, around the minimum ellipses. Doubling
#   $r$ multiplies the error by about 8: it is $O(r^3)$, as Taylor's theorem says.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. In high dimension, saddles dominate
#
# For a critical point to be a minimum, **all** $n$ eigenvalues must be positive. If the signs
# were coin flips, that would happen with probability $2^{-n}$; for symmetric random matrices it
# is rarer still. A standard model is the Gaussian orthogonal ensemble (GOE): $A_{ij} \sim
# \mathcal{N}(0, 1)$, $H = (A + A^\top)/\sqrt{2n}$. Dean and Majumdar (2006) showed that
# $P(\text{all } \lambda_i > 0) \approx e^{-\theta n^2}$ with $\theta = \ln 3 / 4 \approx 0.27$ for
# large $n$. We sample 20,000 matrices per size.

# %%
gen = torch.Generator().manual_seed(0)
samples = 20_000
dims = [1, 2, 3, 4, 5, 6]
frac_min, frac_saddle = [], []
print(f"{'n':>2} {'P(minimum)':>11} {'P(maximum)':>11} {'P(saddle)':>10} {'-ln P(min) / n^2':>17}")
for n_dim in dims:
    A = torch.randn(samples, n_dim, n_dim, generator=gen, dtype=F64)
    lam = torch.linalg.eigvalsh((A + A.transpose(1, 2)) / math.sqrt(2 * n_dim))
    p_min = float((lam > 0).all(dim=1).double().mean())
    p_max = float((lam < 0).all(dim=1).double().mean())
    frac_min.append(p_min)
    frac_saddle.append(1.0 - p_min - p_max)
    rate = f"{-math.log(p_min) / n_dim**2:17.3f}" if p_min > 0 else f"{'(none seen)':>17}"
    print(f"{n_dim:2d} {p_min:11.5f} {p_max:11.5f} {frac_saddle[-1]:10.4f} {rate}")

# %% slideshow={"slide_type": "subslide"}
fig, (ax0, ax1) = new_figure(1, 2, figsize=(10.5, 4.0))
ax0.plot(dims, frac_saddle, "o-", color=PALETTE[1], label="saddle (mixed signs)")
ax0.set(title="GOE matrices: fraction with mixed-sign eigenvalues", xlabel="dimension $n$",
        ylabel="fraction of 20,000 samples", ylim=(-0.03, 1.03))
ax0.legend(loc="lower right")
seen = [(d, p) for d, p in zip(dims, frac_min, strict=True) if p > 0]
ax1.semilogy([d**2 for d, _ in seen], [p for _, p in seen], "o-", color=PALETTE[0], label="measured")
nn_ = np.linspace(1, 30, 50)
ax1.semilogy(nn_, np.exp(-math.log(3) / 4 * nn_), "--", color="gray", label=r"$e^{-n^2 \ln 3/4}$ (large-$n$ rate)")
ax1.set(title="P(all eigenvalues > 0) against $n^2$", xlabel="$n^2$", ylabel="P(minimum) (log scale)")
ax1.legend(loc="lower left")
fig

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice**
# - Already at $n = 4$ more than 99% of the random critical points are saddles; at $n = 6$ none of
#   the 20,000 samples was a minimum. $P(\text{minimum})$ falls like $e^{-c n^2}$, not like
#   $2^{-n}$: the measured rate $-\ln P / n^2$ settles near 0.4 from $n = 3$ on (on the way to
#   the large-$n$ value 0.27).
# - A network's Hessian is not a GOE matrix (section 5 shows its very different spectrum).
#   Dauphin et al. (2014) carry the argument over with a model from statistical physics and with
#   measurements on small networks: critical points with a high loss are overwhelmingly saddles,
#   and the fraction of negative eigenvalues shrinks as the loss decreases. Their conclusion: bad
#   local minima are not the main obstacle, saddles and the plateaus around them are.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Hessian-vector products without the Hessian
#
# For a network with $n$ parameters, $H$ has $n^2$ entries: 40 GB in float32 for $n = 10^5$.
# But we rarely need $H$ itself, only its action on a vector. Since $H = \nabla g$,
#
# $$
# H v = \nabla_\theta \big( g(\theta)^\top v \big) \qquad (v \text{ fixed}),
# $$
#
# the gradient of the *scalar* $g^\top v$, which backpropagation computes at the cost of about one
# more backward pass (Pearlmutter 1994; seed 004). In PyTorch: compute $g$ with
# `create_graph=True` so that $g$ is itself differentiable, form $g^\top v$, differentiate again.
# (Seed 004 does this with `Phi.grad` "being a variable" and `Phi.grad.data` a tensor: that is
# pre-2018 PyTorch; today it is `torch.autograd.grad(..., create_graph=True)`.)
#
# We check it on a small tanh MLP on scikit-learn's digits (64 inputs, 8 hidden units, 10
# classes), small enough that we can also build the full $H$, after a little training.

# %%
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
hist_small = train(small, torch.optim.Adam(small.parameters(), lr=1e-2), nn.functional.cross_entropy,
                   loader, epochs=4, val_data=(digits.X_val, digits.y_val), progress=False)
small_params = list(small.parameters())
small_loss = lambda: nn.functional.cross_entropy(small(X_tr), y_tr)  # noqa: E731 (full-batch loss)
n_small = num_parameters(small_params)
print(f"small MLP: n = {n_small} parameters, H has n^2 = {n_small**2:,} entries; "
      f"val. accuracy {hist_small.final_val_acc:.3f}, training loss {float(small_loss().detach()):.4f}")

H_small = hessian(small_loss, small_params)  # n Hessian-vector products, one column each
v = unflatten(torch.randn(n_small, generator=torch.Generator().manual_seed(4), dtype=F64), small_params)
v_flat = torch.cat([t.reshape(-1) for t in v])
Hv_full = H_small @ v_flat
Hv_ours = torch.cat([t.reshape(-1) for t in hvp_double_backprop(small_loss, small_params, v)])
print(f"max |H v (double backprop) - H @ v| = {fmt_diff((Hv_ours - Hv_full).abs().max())}  "
      f"(max |H v| = {float(Hv_full.abs().max()):.3f})")
print(f"max |course_utils.hvp - H @ v|     = {fmt_diff((hvp(small_loss, small_params, v_flat) - Hv_full).abs().max())}")

# the same with torch.func: forward-over-reverse, jvp(grad f)
names = [k for k, _ in small.named_parameters()]
theta = {k: p.detach() for k, p in small.named_parameters()}
f_small = lambda p: nn.functional.cross_entropy(torch.func.functional_call(small, p, (X_tr,)), y_tr)  # noqa: E731
Hv_func = hvp_func(f_small, theta, dict(zip(names, v, strict=True)))
print(f"max |torch.func HVP - H @ v|       = "
      f"{fmt_diff((torch.cat([Hv_func[k].reshape(-1) for k in names]) - Hv_full).abs().max())}")
print(f"H symmetric: max |H - H^T| = {fmt_diff((H_small - H_small.T).abs().max())}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice**: the three ways agree with the full matrix to rounding error ($10^{-16}$ in
# float64). Building $H$ took $n = 610$ products; the three largest eigenvalues in section 4 take
# 172.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. The largest eigenvalue by power iteration
#
# **Power iteration** multiplies a random unit vector by $H$ and renormalises:
# $v_{t+1} = Hv_t / \|Hv_t\|$. Writing $v_0 = \sum_i c_i u_i$, $H^t v_0 = \sum_i c_i \lambda_i^t u_i$ is
# dominated by the eigenvalue of largest magnitude, with the error shrinking like
# $|\lambda_2/\lambda_1|^t$. The Rayleigh quotient $v_t^\top H v_t$ estimates $\lambda_1$. Each step
# costs one HVP and stores one vector: memory $O(n)$. **Deflation** finds the next ones: iterate
# on the complement of the eigenvectors already found. For the algebraic extremes
# $\lambda_{\max}$ and $\lambda_{\min}$ (which matter when $H$ has large negative eigenvalues)
# `power_iteration` shifts the spectrum: the top eigenvalue of $H + \rho I$ is $\lambda_{\max} + \rho$
# when $\rho \ge \max_i |\lambda_i|$, and that of $H - \rho I$ is $\lambda_{\min} - \rho$.

# %%
exact = torch.linalg.eigvalsh(H_small)
by_magnitude = exact[exact.abs().argsort(descending=True)]
op = HessianOperator(small_loss, small_params)
res = power_iteration(op, k=3, which="LM", tol=1e-8)
print(f"{'':>20} {'power iteration':>16} {'eigvalsh':>10} {'rel. error':>11} {'HVPs':>5}")
for i in range(3):
    print(f"{'top-' + str(i + 1) + ' by magnitude':>20} {res.eigenvalues[i]:16.6f} {by_magnitude[i]:10.6f} "
          f"{abs(res.eigenvalues[i] - by_magnitude[i]) / abs(by_magnitude[i]):11.1e} {res.iterations[i]:5d}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# Power iteration scales to networks whose $H$ we could never build. Take a ReLU MLP with 32 hidden
# units (2,410 parameters, float32), measure $\lambda_{\max}$ of the full-batch training loss at
# initialisation, train it for 3 epochs with Adam, and measure again (`benchmarks/hessian_bench.py`
# times the same on a 99,126-parameter MLP).

# %%
X32, y32 = X_tr.float(), y_tr
mlp = make_mlp([64, 32, 10], seed=0)
mlp_loss = lambda: nn.functional.cross_entropy(mlp(X32), y32)  # noqa: E731


def sharpness(model_loss, model, tol=1e-4):
    """lambda_max of the full-batch loss (power iteration on HVPs) and the HVPs it took."""
    r = power_iteration(model_loss, list(model.parameters()), which="LM", tol=tol, max_iter=500)
    return float(r.eigenvalues[0]), r.matvecs


lam_init, hvps_init = sharpness(mlp_loss, mlp)
loader32 = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X32, y32), batch_size=64,
                                       shuffle=True, generator=torch.Generator().manual_seed(0))
hist_mlp = train(mlp, torch.optim.Adam(mlp.parameters(), lr=1e-2), nn.functional.cross_entropy, loader32,
                 epochs=3, val_data=(digits.X_val.float(), digits.y_val), progress=False)
lam_trained, hvps_trained = sharpness(mlp_loss, mlp)
print(f"MLP with n = {num_parameters(list(mlp.parameters())):,} parameters")
print(f"at initialisation: lambda_max = {lam_init:.3f}  ({hvps_init} HVPs)")
print(f"after 3 epochs   : lambda_max = {lam_trained:.3f}  ({hvps_trained} HVPs); "
      f"training loss {float(mlp_loss().detach()):.4f}, val. accuracy {hist_mlp.final_val_acc:.3f}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice**: the curvature is not a constant of the model. Training made the loss about
# seven times sharper along its steepest direction. Cohen et al. (2021) observed such growth
# during full-batch GD ("progressive sharpening"): a learning rate that is safe at the start can
# become unstable later. Section 6 looks at what GD does then.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. The whole spectrum: a bulk and a few outliers
#
# **Stochastic Lanczos quadrature** (SLQ; Ghorbani et al. 2019, Papyan 2019) estimates the
# density of all $n$ eigenvalues from $m \ll n$ HVPs per run. Lanczos builds an orthonormal basis
# of the Krylov space $\{v, Hv, \dots, H^{m-1}v\}$ in which $H$ is a small tridiagonal matrix $T_m$;
# its eigenvalues (Ritz values) $\theta_j$, with weights $\tau_j$ (the squared first components of
# $T_m$'s eigenvectors), form a quadrature rule: $v^\top f(H) v \approx \sum_j \tau_j f(\theta_j)$,
# exact for polynomials of degree $< 2m$. With random $v$ and a Gaussian kernel of width $\sigma$,
# $\phi(t) \approx \sum_j \tau_j\, \mathcal{N}(t;\, \theta_j, \sigma^2)$. The extreme Ritz values
# converge first, so the outliers come out almost exactly. **Hutchinson's estimator**
# $\operatorname{tr} H \approx \frac1m \sum_i z_i^\top H z_i$ with random $\pm 1$ vectors $z_i$ gives
# the trace, the sum of all eigenvalues.

# %%
m_steps, runs = 60, 4
density = lanczos_spectrum(op, m=m_steps, runs=runs, seed=0)
lam_max_exact = float(exact[-1])
bulk = float((exact.abs() < 0.01 * lam_max_exact).double().mean())
print(f"exact spectrum of the small MLP: n = {n_small}, lambda in [{exact[0]:.4f}, {exact[-1]:.4f}]")
print(f"  {bulk:.1%} of the eigenvalues have |lambda| < 1% of lambda_max; "
      f"{int((exact < 0).sum())} are negative")
print(f"  the top 12: {np.round(exact[-12:].flip(0).numpy(), 3)}; {int((exact > 0.5).sum())} are above 0.5")
print(f"SLQ with m = {m_steps} steps x {runs} runs = {m_steps * runs} HVPs "
      f"(full Hessian: {n_small}):")
print(f"  largest Ritz value {float(density.nodes.max()):.6f} vs lambda_max {exact[-1]:.6f}; "
      f"smallest {float(density.nodes.min()):.6f} vs lambda_min {exact[0]:.6f}")
print(f"  moments tr(H^p)/n:  p = 1: SLQ {density.moment(1):.5f} exact {float(exact.mean()):.5f};"
      f"  p = 2: SLQ {density.moment(2):.5f} exact {float((exact**2).mean()):.5f}")
trace_est = hutchinson_trace(op, probes=100, seed=0)
print(f"Hutchinson, 100 probes: tr(H) = {trace_est.estimate:.3f} +- {trace_est.stderr:.3f}; "
      f"exact {float(exact.sum()):.3f}")

# %% slideshow={"slide_type": "subslide"}
fig, (ax0, ax1) = new_figure(1, 2, figsize=(11.0, 4.2))
for ax, log in ((ax0, False), (ax1, True)):
    ax.hist(exact.numpy(), bins=80, density=True, color=PALETTE[5], alpha=0.7,
            label=f"exact eigenvalues (eigvalsh, n = {n_small})")
    ax.plot(density.grid.numpy(), density.density.numpy(), color=PALETTE[1],
            label=f"SLQ density ({m_steps * runs} HVPs)")
    ax.set(xlabel=r"eigenvalue $\lambda$", ylabel="density" + (" (log scale)" if log else ""))
    if log:
        ax.set_yscale("log")
        ax.set_ylim(1e-3, 50)
ax0.set_title("Hessian spectrum of the small MLP")
ax1.set_title("The same on a log scale: the outliers")
ax0.legend(loc="upper right")
fig

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice**
# - Most eigenvalues (85%) sit in a narrow **bulk** around zero, a few **outliers** (8 above 0.5)
#   stand far to the right, and 90 eigenvalues are slightly negative: after 4 epochs the point is
#   not a minimum in the strict sense. Papyan (2019) traces such outliers to the class structure
#   of the data (10 classes here).
# - SLQ reproduces the shape from 240 products, fewer than half of the 610 the full Hessian
#   needed, and its extreme Ritz values equal $\lambda_{\max}$ and $\lambda_{\min}$ to all six
#   printed digits. Its moments are within 10% of the exact ones: with 4 random start vectors
#   they are 4-probe Hutchinson estimates, unbiased but noisy. With 100 probes, Hutchinson's
#   trace is within one standard error of the exact one.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. GD's stability limit, and the edge of stability
#
# On a quadratic with Hessian $H$, GD multiplies the error along eigenvector $u_i$ by
# $1 - \eta\lambda_i$ at every step (notebook 00), so it converges if and only if
# $\eta < 2/\lambda_{\max}$. Below: $\eta$ at $0.8$ and $1.5$ times that limit, for 50 steps.

# %%
Hq = torch.tensor([[3.0, 1.0], [1.0, 2.0]], dtype=F64)
lam_q = float(torch.linalg.eigvalsh(Hq)[-1])
for factor in (0.8, 1.5):
    eta = factor * 2 / lam_q
    w = torch.tensor([1.0, 1.0], dtype=F64)
    for _ in range(50):
        w = w - eta * (Hq @ w)
    print(f"quadratic, eta = {factor} x 2/lambda_max = {eta:.4f}: loss after 50 steps {0.5 * float(w @ Hq @ w):.3e}"
          f"   (|1 - eta lambda_max| = {abs(1 - eta * lam_q):.2f})")

# %% [markdown] slideshow={"slide_type": "subslide"}
# A network is not a quadratic. We start full-batch GD from the trained MLP of section 4, where we
# measured $\lambda_{\max}$, and use $\eta = 0.8$, $1.5$ and $3$ times $2/\lambda_{\max}$. Every 10
# steps we measure the sharpness $\lambda_{\max}$ again by power iteration.

# %%
def run_gd(model, eta, steps=100, every=10):
    """Full-batch GD; returns the loss at every step and (step, lambda_max) every ``every`` steps."""
    model = copy.deepcopy(model)
    loss_fn = lambda: nn.functional.cross_entropy(model(X32), y32)  # noqa: E731
    opt = torch.optim.SGD(model.parameters(), lr=eta)
    losses, sharp = [], []
    for t in range(steps + 1):
        if t % every == 0:
            sharp.append((t, sharpness(loss_fn, model, tol=1e-3)[0]))
        opt.zero_grad()
        loss = loss_fn()
        losses.append(float(loss.detach()))
        if t < steps:
            loss.backward()
            opt.step()
    return np.array(losses), np.array(sharp)


gd_runs = {}
print(f"start: loss {float(mlp_loss().detach()):.4f}, lambda_max = {lam_trained:.3f}, 2/lambda_max = {2 / lam_trained:.4f}")
print(f"{'eta':>22} {'2/eta':>6} {'max loss':>9} {'loss at 100':>12} {'lambda_max at 100':>18} "
      f"{'first t with lambda_max < 2/eta':>32} {'max lambda_max from then on':>28}")
for factor in (0.8, 1.5, 3.0):
    eta = factor * 2 / lam_trained
    losses, sharp = run_gd(mlp, eta)
    gd_runs[factor] = (eta, losses, sharp)
    below = np.nonzero(sharp[:, 1] < 2 / eta)[0]
    first = int(below[0]) if len(below) else len(sharp)
    after = f"{sharp[first:, 1].max():28.3f}" if len(below) else f"{'-':>28}"
    print(f"{factor:>4} x 2/lambda = {eta:6.4f} {2 / eta:6.3f} {losses.max():9.4f} {losses[-1]:12.4f} "
          f"{sharp[-1, 1]:18.3f} {int(sharp[first, 0]) if len(below) else '-':>32} {after}")

# %% slideshow={"slide_type": "subslide"}
fig, (ax0, ax1) = new_figure(1, 2, figsize=(11.0, 4.2))
for i, (factor, (eta, losses, sharp)) in enumerate(gd_runs.items()):
    c = PALETTE[i]
    ax0.plot(losses, color=c, label=rf"$\eta = {factor}\times 2/\lambda_{{\max}}$")
    ax1.plot(sharp[:, 0], sharp[:, 1], "o-", color=c, markersize=4, label=rf"$\lambda_{{\max}}$, $\eta = {factor}\times$")
    ax1.axhline(2 / eta, color=c, linestyle="--", linewidth=1.0, label=rf"$2/\eta$ for ${factor}\times$")
ax0.set(title="Full-batch GD on the MLP: training loss", xlabel="step $t$", ylabel="loss (log scale)", yscale="log")
ax1.set(title=r"Sharpness $\lambda_{\max}$ during training", xlabel="step $t$", ylabel=r"$\lambda_{\max}$")
ax0.legend(loc="upper right")
ax1.legend(loc="upper right", ncol=2, fontsize=8)
fig

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice** (Cohen et al. 2021, "edge of stability")
# - On the quadratic the limit is sharp: $0.8\times$ converges, $1.5\times$ explodes, because
#   $|1 - \eta\lambda_{\max}| > 1$ along the top eigenvector.
# - On the network, $\eta$ above $2/\lambda_{\max}$ does **not** blow up. The loss first jumps
#   (to 0.48 at $1.5\times$, to 2.54 at $3\times$, from 0.28) while GD is thrown out of the sharp
#   region, into a flatter one where $\lambda_{\max}$ is below $2/\eta$ (by step 20 at $1.5\times$,
#   step 50 at $3\times$); from then on it stays below (last column), and the loss falls again.
#   The quadratic theory holds locally, but the curvature moves with $\theta$, and GD's own
#   instability pushes it to where $\lambda_{\max} \le 2/\eta$. At $3\times$ the sharpness stays
#   just under $2/\eta$ while the loss keeps falling, with small spikes: the **edge of
#   stability** of Cohen et al. (2021).
# - Here the sharpness also fell in the stable run ($0.8\times$), and the runs with the larger
#   steps ended with a lower training loss. That is one start point on one network, not a rule.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. Newton's method
#
# Newton's method minimises the quadratic model instead of following the gradient: setting the
# gradient of $q(\theta + \delta) = \mathcal{L} + g^\top\delta + \tfrac12\delta^\top H\delta$ to zero
# gives
#
# $$
# \theta_{t+1} = \theta_t - H^{-1} g_t .
# $$
#
# A damped step $\theta_{t+1} = \theta_t - \eta H^{-1} g_t$ with $\eta \in (0, 1]$ is common; seed
# 004 writes it as "$\Phi = \eta H^{-1}\nabla\ell$", which lost the minus sign of its own
# undamped "$\Phi \mathrel{-}= H^{-1}\nabla\ell$". On a quadratic the model is exact, so
# **one Newton step lands on the critical point**.

# %%
def newton_step(loss_fn, w):
    """theta - H^{-1} g at w, for a loss of a small parameter vector."""
    w = w.detach().clone().requires_grad_(True)
    g = torch.autograd.grad(loss_fn(w), w)[0]
    H = hessian(lambda: loss_fn(w), w)
    return (w - torch.linalg.solve(H, g)).detach()


def gd_step(loss_fn, w, eta):
    w = w.detach().clone().requires_grad_(True)
    return (w - eta * torch.autograd.grad(loss_fn(w), w)[0]).detach()


center = torch.tensor([1.0, -2.0], dtype=F64)
quad = lambda w: 0.5 * (w - center) @ Hq @ (w - center)  # noqa: E731
w0 = torch.tensor([4.0, 3.0], dtype=F64)
w1 = newton_step(quad, w0)
print(f"one Newton step from {w0.tolist()}: {np.round(w1.numpy(), 12)}, "
      f"distance to the minimum {float((w1 - center).norm()):.1e}")
w1_gd = gd_step(quad, w0, 1 / lam_q)
print(f"one GD step (eta = 1/lambda_max) : distance to the minimum {float((w1_gd - center).norm()):.3f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The units of a gradient (seed 004)
#
# Suppose we measure the second parameter in other units, $y = s\,u$. The loss is the same
# function, $\tilde{\mathcal{L}}(x, u) = \mathcal{L}(x, s u)$, but its gradient is not the same vector:
# $\partial\tilde{\mathcal{L}}/\partial u = s\,\partial\mathcal{L}/\partial y$, so a GD step moves $u$ by
# $\eta s\,\partial_y\mathcal{L}$, that is $y$ by $\eta s^2\,\partial_y\mathcal{L}$. GD's path depends on the
# units. Newton's step does not: with $y = s u$, $\tilde g = S g$ and $\tilde H = S H S$ with
# $S = \operatorname{diag}(1, s)$, so $\tilde H^{-1}\tilde g = S^{-1} H^{-1} g$, the same step in $y$.
# We run both on the convex $\mathcal{L}(x, y) = x^4/4 + x^2/2 + xy + 5y^2$, in the original units
# and with $s = 0.1$ and $s = 10$, and map every path back to $(x, y)$.

# %%
def convex(w):
    x, y = w[..., 0], w[..., 1]
    return x**4 / 4 + x**2 / 2 + x * y + 5 * y**2


def path(step, loss_fn, start, steps, s):
    """Iterate ``step`` in the coordinates (x, u = y/s); return the path mapped back to (x, y).

    Stops early if the iterate leaves the plot by a factor of 1000 (divergence)."""
    scale = torch.tensor([1.0, s], dtype=F64)
    rescaled = lambda z: loss_fn(z * scale)  # noqa: E731 (the same function in the new units)
    z = torch.tensor(start, dtype=F64) / scale
    out = [z * scale]
    for _ in range(steps):
        z = step(rescaled, z)
        out.append(z * scale)
        if not bool(torch.isfinite(out[-1]).all()) or float(out[-1].abs().max()) > 1e3:
            break
    return torch.stack(out)


def fmt(p):
    return f"({p[0]:+.4f}, {p[1]:+.4f})"


start_c = (2.0, 1.5)
paths = {}
for s in (1.0, 0.1, 10.0):
    paths[("GD", s)] = path(lambda f, z: gd_step(f, z, 0.05), convex, start_c, 20, s)
    paths[("Newton", s)] = path(newton_step, convex, start_c, 20, s)
print(f"{'method':>7} {'s':>5} {'after 5 steps':>18} {'after 20 steps':>18} {'max distance to the s = 1 path':>31}")
for (method, s), p in paths.items():
    ref = paths[(method, 1.0)]
    if len(p) < len(ref):
        print(f"{method:>7} {s:5.1f} {fmt(p[5]) if len(p) > 5 else '':>18} {'diverged':>18} "
              f"{'|y| > 1000 at step ' + str(len(p) - 1):>31}")
        continue
    dev = float((p - ref).norm(dim=1).max())
    print(f"{method:>7} {s:5.1f} {fmt(p[5]):>18} {fmt(p[20]):>18} {fmt_diff(dev):>31}")


# %% slideshow={"slide_type": "subslide"}
convex_land = Landscape("convex", lambda x, y: convex(torch.stack([x, y], -1)),
                        [CriticalPoint(0.0, 0.0, "minimum")], xlim=(-1.0, 2.5), ylim=(-1.0, 2.0),
                        formula=r"$x^4/4 + x^2/2 + xy + 5y^2$")
fig = plot_contour(convex_land, title="GD depends on the units of $y$; Newton does not", levels=20, n=100)
ax = fig.axes[0]
ax.set(xlabel="$x$", ylabel="$y$")
styles = {("GD", 1.0): (PALETTE[0], "-o"), ("GD", 0.1): (PALETTE[4], "-s"), ("GD", 10.0): (PALETTE[3], "-^"),
          ("Newton", 1.0): (PALETTE[1], "-o"), ("Newton", 0.1): (PALETTE[2], "--x"), ("Newton", 10.0): (PALETTE[6], ":+")}
for key, p in paths.items():
    p = p.numpy()
    c, style = styles[key]
    label = f"{key[0]}, $y = {key[1]:g}\\,u$"
    if len(p) < 21:  # diverged: leave it out of the picture
        ax.plot([], [], style, color=c, label=label + " (diverged, not drawn)")
        continue
    ax.plot(p[:, 0], p[:, 1], style, color=c, markersize=4, label=label, zorder=5)
ax.set_xlim(-1.0, 2.5)
ax.set_ylim(-1.0, 2.0)
ax.legend(loc="upper left", fontsize=8)
fig

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice**: with the same $\eta = 0.05$, GD's path changes completely with the units: for
# $s = 0.1$ it barely moves $y$ (the gradient in $u$ is $s$ times smaller and the step in $y$ is
# $s^2$ times smaller), for $s = 10$ it diverges. The three Newton paths coincide to rounding
# error. In seed 004's words, the gradient is a *dual* vector: turning it into a step needs a
# metric, and Newton uses the one the loss itself provides, $H$. Adaptive methods (RMSProp, Adam)
# are cheap, diagonal attempts at the same invariance (notebook 03).

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Newton is attracted to saddles
#
# Newton's step jumps to the critical point of the quadratic model, whatever its type. Along an
# eigenvector with $\lambda_i < 0$ the step $-g_i/\lambda_i$ goes *uphill*, toward the saddle. GD
# always goes downhill. Take $\mathcal{L}(x, y) = x^2 - y^2 + y^4/4$: a saddle at the origin
# ($H = \operatorname{diag}(2, -2)$) and two minima at $(0, \pm\sqrt2)$ with loss $-1$.
# "Saddle-free Newton" (Dauphin et al. 2014) uses $|H|$, the Hessian with its eigenvalues replaced
# by their absolute values, and goes downhill along negative curvature instead.

# %%
def saddle_quartic_fn(x, y):
    return x**2 - y**2 + y**4 / 4


saddle_quartic = Landscape(
    "x^2 - y^2 + y^4/4", saddle_quartic_fn,
    [CriticalPoint(0.0, 0.0, "saddle"), CriticalPoint(0.0, math.sqrt(2), "minimum"),
     CriticalPoint(0.0, -math.sqrt(2), "minimum")],
    xlim=(-1.6, 1.6), ylim=(-2.0, 2.0), formula=r"$x^2 - y^2 + y^4/4$")
sq_loss = saddle_quartic.loss


def saddle_free_newton_step(loss_fn, w):
    """theta - |H|^{-1} g, with |H| = U |Lambda| U^T."""
    w = w.detach().clone().requires_grad_(True)
    g = torch.autograd.grad(loss_fn(w), w)[0]
    lam, U = torch.linalg.eigh(hessian(lambda: loss_fn(w), w))
    return (w - U @ ((U.T @ g) / lam.abs())).detach()


def iterate(step, start, steps):
    w = torch.tensor(start, dtype=F64)
    out = [w]
    for _ in range(steps):
        w = step(w)
        out.append(w)
    return torch.stack(out)


start_s = (1.2, 0.3)
g0, H0 = gradient_and_hessian(saddle_quartic, start_s)
lam0, U0 = torch.linalg.eigh(H0)
print(f"at {start_s}: eigenvalues of H {lam0.numpy()}, Newton step along the eigenvectors "
      f"{(-(U0.T @ g0) / lam0).numpy().round(4)} (y-component: toward y = 0, uphill)")
runs_s = {
    "Newton": iterate(lambda w: newton_step(sq_loss, w), start_s, 30),
    "saddle-free Newton": iterate(lambda w: saddle_free_newton_step(sq_loss, w), start_s, 30),
    "GD, eta = 0.1": iterate(lambda w: gd_step(sq_loss, w, 0.1), start_s, 30),
    "GD from (1.2, 1e-6)": iterate(lambda w: gd_step(sq_loss, w, 0.1), (1.2, 1e-6), 120),
}
for name, p in runs_s.items():
    end = p[-1]
    _, H_end = gradient_and_hessian(saddle_quartic, tuple(end.tolist()))
    print(f"{name:>20}: ends at ({end[0]:+.6f}, {end[1]:+.6f}) after {len(p) - 1:3d} steps, loss {float(sq_loss(end)):+.6f},"
          f" a {classify_critical_point(torch.linalg.eigvalsh(H_end))}")

# %% slideshow={"slide_type": "subslide"}
fig = plot_contour(saddle_quartic, title="Newton stops at the saddle, GD escapes", levels=20, n=100)
ax = fig.axes[0]
ax.set(xlabel="$x$", ylabel="$y$")
for (name, p), c, mk in zip(runs_s.items(), [PALETTE[1], PALETTE[2], PALETTE[0], PALETTE[4]], ["o", "s", ".", "."],
                            strict=True):
    p = p.numpy()
    ax.plot(p[:, 0], p[:, 1], "-" + mk, color=c, markersize=5, label=name, zorder=6)
ax.legend(loc="lower left", fontsize=8)
fig

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 8. How long does GD take to escape a saddle?
#
# Near the saddle, GD on $\mathcal{L} = x^2 - y^2 + y^4/4$ is $y_{t+1} = y_t + \eta(2y_t - y_t^3)
# \approx (1 + \eta|\lambda_{\min}|)\, y_t$ with $\lambda_{\min} = -2$: the distance from the saddle's
# stable manifold (the $x$ axis) grows geometrically. Starting at distance $\delta$, reaching
# distance $r$ takes about
#
# $$
# T(\delta) \approx \frac{\ln(r/\delta)}{\ln(1 + \eta|\lambda_{\min}|)}
# $$
#
# steps: only logarithmic in $1/\delta$, but every factor of 10 closer costs the same number of
# extra steps. Exactly on the stable manifold ($\delta = 0$) GD never escapes. Jin et al. (2017)
# turn this into a guarantee: GD with a small random perturbation escapes strict saddles
# efficiently. We start at $(1, \delta)$ with $\eta = 0.1$ and count the steps until $|y| \ge r = 0.5$.

# %%
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
print(f"from delta = 0: escaped within 1,000 steps? {steps_to_escape(0.0, max_steps=1000) is not None}")
slope = np.polyfit(np.log10(1 / np.array(deltas)), measured, 1)[0]
print(f"extra steps per factor of 10 in delta: measured {slope:.2f}, predicted ln 10 / ln 1.2 = "
      f"{math.log(10) / math.log(1.2):.2f}")

# %% slideshow={"slide_type": "subslide"}
fig, ax = new_figure(figsize=(6.0, 4.0))
ax.plot(np.log10(1 / np.array(deltas)), measured, "o", color=PALETTE[0], markersize=7, label="measured (GD)")
ax.plot(np.log10(1 / np.array(deltas)), predicted, "--", color=PALETTE[1],
        label=r"$\ln(r/\delta)\,/\,\ln(1 + \eta|\lambda_{\min}|)$")
ax.set(title="Steps for GD to escape the saddle", xlabel=r"$\log_{10}(1/\delta)$ (distance from the stable manifold)",
       ylabel="steps until $|y| \\geq 0.5$")
ax.legend(loc="upper left")
fig

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice**: the measured counts follow the prediction, within 3% for $\delta \le 0.01$
# (13% above it at $\delta = 0.1$: the $-y^3$ term slows the growth as $|y|$ approaches $r$, and
# that start is already close to $r$). Each factor of 10 in $\delta$ costs 12.6 more steps, as
# predicted. Saddles do not trap GD, they delay it, and the delay grows only like
# $\log(1/\delta)$. Dauphin et al. (2014) argue that many plateaus of training curves are such
# slow escapes, in directions of small negative curvature.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 9. Quasi-Newton in practice: L-BFGS against Adam on Rosenbrock
#
# Newton needs $H$ and a linear solve. Quasi-Newton methods build an approximation $M \approx
# H^{-1}$ from gradient differences instead: $y_t = g_{t+1} - g_t \approx H s_t$ with
# $s_t = \theta_{t+1} - \theta_t$ (seed 004's "finite difference as an approximation of
# $H\Delta\Phi$"). **L-BFGS** keeps the last $m$ pairs $(s, y)$ and applies $M$ to $g$ with two
# loops over them, in $O(mn)$; a line search with the strong Wolfe conditions picks the step
# (Nocedal and Wright 2006, chapters 6 and 7). `torch.optim.LBFGS` needs a closure that
# re-evaluates the loss, which `run_trajectory` passes. Its gradient differences are only
# meaningful on a deterministic loss (seed 004): with mini-batches, $y_t$ mixes curvature with
# noise, which is why L-BFGS is rare in deep learning and common in full-batch problems.

# %%
class CountingLandscape(Landscape):
    """Counts the evaluations made with gradients (the optimizer's); the logger's, made without
    gradients once per step, record the count so far."""

    def __call__(self, x, y):
        if torch.is_grad_enabled():
            self.evaluations += 1
        else:
            self.evaluations_at_step.append(self.evaluations)
        return super().__call__(x, y)


def counted_run(optimizer, steps, **hp):
    rb = rosenbrock()
    land = CountingLandscape(rb.name, rb.fn, rb.critical_points, rb.xlim, rb.ylim, rb.formula)
    land.evaluations, land.evaluations_at_step = 0, []
    tr = run_trajectory(land, optimizer, (-1.5, 2.0), steps, **hp)
    return tr, np.array(land.evaluations_at_step)


tol = 1e-8
lbfgs, lbfgs_evals = counted_run(torch.optim.LBFGS, 60, lr=1.0, max_iter=1, max_eval=25, history_size=10,
                                 line_search_fn="strong_wolfe")
adam, adam_evals = counted_run(torch.optim.Adam, 1700, lr=0.05)
print(f"Rosenbrock from (-1.5, 2), first iterate with f < {tol:g}:")
for name, tr, evals in (("L-BFGS", lbfgs, lbfgs_evals), ("Adam, lr 0.05", adam, adam_evals)):
    hit = int(np.argmax(tr.losses < tol))
    print(f"{name:>14}: iteration {hit}, after {evals[hit]} gradient evaluations; "
          f"final loss {tr.final_loss:.1e}")

# the same L-BFGS in one call to step(): no re-evaluation of the current point between iterations
w = torch.tensor([-1.5, 2.0], dtype=F64, requires_grad=True)
one_call = torch.optim.LBFGS([w], lr=1.0, max_iter=200, max_eval=1000, history_size=10, tolerance_grad=1e-12,
                             tolerance_change=1e-14, line_search_fn="strong_wolfe")
seen = []


def closure():
    one_call.zero_grad()
    loss = rosenbrock().loss(w)
    loss.backward()
    seen.append(float(loss.detach()))
    return loss


one_call.step(closure)
first = next(i for i, l in enumerate(seen) if l < tol) + 1
print(f"L-BFGS in a single step() call: f < {tol:g} first at evaluation {first} "
      f"(the call ran {one_call.state[w]['n_iter']} iterations, {len(seen)} evaluations in all)")


# %% slideshow={"slide_type": "subslide"}
fig, (ax0, ax1) = new_figure(1, 2, figsize=(10.0, 4.0))
adam_few = type(adam)(adam.positions[::20], adam.losses[::20], label="Adam (every 20th step)")
lbfgs.label = "L-BFGS"
plot_contour(rosenbrock(), [lbfgs, adam_few], ax=ax0, log_scale=True, colors=[PALETTE[1], PALETTE[0]],
             title="Rosenbrock: L-BFGS and Adam", n=100, levels=20)
ax1.semilogy(lbfgs_evals, lbfgs.losses, "-o", markersize=3, color=PALETTE[1], label="L-BFGS")
ax1.semilogy(adam_evals, adam.losses, color=PALETTE[0], label="Adam, lr 0.05")
ax1.axhline(tol, color="gray", linestyle=":", label=f"tolerance {tol:g}")
ax1.set(title="Loss against gradient evaluations (log-log)", xlabel="gradient evaluations", ylabel="loss",
        xscale="log", ylim=(1e-11, 1e2))
ax1.legend(loc="lower left")
fig

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice**: on this smooth, deterministic, badly conditioned valley, L-BFGS gets below
# $10^{-8}$ in 39 iterations and 88 gradient evaluations; Adam needs 1,630 steps, with a
# learning rate we had to choose. `run_trajectory` calls `LBFGS.step` once per iteration, and
# each call starts by re-evaluating the current point; run in a single `step()` call, L-BFGS
# needs only 50 evaluations.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 1: power iteration
#
# Write `my_power_iteration(matvec, n, iters)` that returns the eigenvalue of **largest
# magnitude** of a symmetric $n \times n$ operator, given only `matvec(v)` $= Hv$ for a float64
# vector `v` of length `n`. Start from a random vector, repeat $v \leftarrow Hv/\|Hv\|$, and return
# the Rayleigh quotient $v^\top H v$ (a float; mind the sign). The check runs it on matrices with
# known spectra (one whose dominant eigenvalue is negative) and on the HVP of a small network,
# against `torch.linalg.eigvalsh`.

# %% tags=["solution"]
def my_power_iteration(matvec, n, iters=500):
    v = torch.randn(n, dtype=torch.float64)
    v = v / v.norm()
    for _ in range(iters):
        w = matvec(v)
        v = w / w.norm()
    return float(v @ matvec(v))


# %%
check_power_iteration(my_power_iteration)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 2: classify critical points
#
# Each matrix is the Hessian at a critical point. Set each entry of `kinds` to "minimum",
# "maximum", "saddle" or "degenerate". Work them out by hand first (for a $2\times2$ matrix,
# $\det H = \lambda_1\lambda_2$ and $\operatorname{tr} H = \lambda_1 + \lambda_2$), then check with
# `torch.linalg.eigvalsh` if you like.
#
# $$
# A = \begin{pmatrix} 2 & 1 \\ 1 & 2 \end{pmatrix},\quad
# B = \begin{pmatrix} 1 & 3 \\ 3 & 1 \end{pmatrix},\quad
# C = \begin{pmatrix} -2 & 0 \\ 0 & -0.5 \end{pmatrix},\quad
# D = \begin{pmatrix} 1 & 1 \\ 1 & 1 \end{pmatrix},\quad
# E = \begin{pmatrix} 4 & 0 & 0 \\ 0 & 3 & 0 \\ 0 & 0 & -0.01 \end{pmatrix}
# $$

# %% tags=["solution"]
kinds = {"A": "minimum", "B": "saddle", "C": "maximum", "D": "degenerate", "E": "saddle"}

# %%
check_critical_point_kinds(kinds)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - At a critical point the eigenvalues of $H$ decide: all positive, a minimum; all negative, a
#   maximum; mixed, a saddle; zeros without a sign change, undecided (the monkey saddle). All
#   nine critical points of Himmelblau's function were classified correctly.
# - Among random symmetric matrices, minima become vanishingly rare as $n$ grows (none in
#   20,000 samples at $n = 6$): in high dimension, critical points are mostly saddles.
# - $Hv = \nabla(g^\top v)$ costs about one extra backward pass; it matched the full Hessian to
#   $3\times10^{-16}$. Power iteration, Hutchinson's estimator and SLQ use only such products, in
#   $O(n)$ memory ($O(mn)$ for Lanczos), and reproduced $\lambda_{\max}$, the trace and the
#   spectrum.
# - A network's spectrum is a bulk near zero with a few outliers; 3 epochs of training made the
#   MLP about seven times sharper.
# - GD on a quadratic diverges exactly past $\eta = 2/\lambda_{\max}$. On the network, steps
#   1.5 and 3 times past that limit did not diverge: after a loss spike the sharpness fell below
#   $2/\eta$ and stayed there (the edge of stability).
# - Newton's step $-H^{-1}g$ is exact in one step on a quadratic and invariant to the units of the
#   parameters, but it converges to saddles; GD escapes them in about
#   $\ln(r/\delta)/\ln(1 + \eta|\lambda_{\min}|)$ steps. L-BFGS brings much of Newton's speed to
#   deterministic problems.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## References
#
# - Yann Dauphin, Razvan Pascanu, Caglar Gulcehre, Kyunghyun Cho, Surya Ganguli and Yoshua
#   Bengio, "Identifying and attacking the saddle point problem in high-dimensional non-convex
#   optimization", NeurIPS 2014.
# - Barak A. Pearlmutter, "Fast exact multiplication by the Hessian", *Neural Computation* 6(1),
#   1994.
# - Behrooz Ghorbani, Shankar Krishnan and Ying Xiao, "An investigation into neural net
#   optimization via Hessian eigenvalue density", ICML 2019.
# - Vardan Papyan, "Measurements of three-level hierarchical structure in the outliers in the
#   spectrum of deepnet Hessians", ICML 2019.
# - Jeremy Cohen, Simran Kaur, Yuanzhi Li, J. Zico Kolter and Ameet Talwalkar, "Gradient descent
#   on neural networks typically occurs at the edge of stability", ICLR 2021.
# - Jorge Nocedal and Stephen J. Wright, *Numerical Optimization*, 2nd edition, Springer, 2006
#   (chapter 3: Newton's method; chapters 6 and 7: quasi-Newton methods and L-BFGS).
# - Chi Jin, Rong Ge, Praneeth Netrapalli, Sham M. Kakade and Michael I. Jordan, "How to escape
#   saddle points efficiently", ICML 2017.
# - David S. Dean and Satya N. Majumdar, "Large deviations of extreme eigenvalues of random
#   matrices", *Physical Review Letters* 97, 2006.
# - David McAllester, *TTIC 31230 Fundamentals of Deep Learning*, lecture on SGD, 2018
#   (seed 004: the units of a gradient, Newton's method, Hessian-vector products).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What's next
#
# This is the last notebook of the course. From here: read the edge-of-stability paper and
# reproduce its sharpness plots with `course_utils.power_iteration`; try `lanczos_spectrum` on a
# larger network and look for the class outliers; or compare Adam and L-BFGS on a full-batch
# problem of your own (a logistic regression, a small physics-informed network). The tools of
# this notebook work for any model whose loss you can differentiate twice.
