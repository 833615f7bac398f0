# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: slideshow,tags,-all
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
# # 00 · Gradient descent
#
# Almost every optimizer in deep learning refines one idea: take a small step downhill, against
# the gradient. We look at losses as landscapes over two parameters, write gradient descent (GD)
# on the course's optimizer template and prove it equal to `torch.optim.SGD`, then study its one
# knob, the learning rate: exactly predictable on a quadratic, chaotic when too large on a
# harder surface, and stuck on the plateaus and ravines that the rest of the course works around.
#
# **Learning objectives**
# - Read a loss landscape from a 3-D surface and from a contour plot.
# - Implement an optimizer as a subclass of `OptimizerBase` and check it against `torch.optim`.
# - Predict from the Hessian's eigenvalues how fast GD converges on a quadratic, and the
#   learning rate $2/\lambda_{\max}$ past which it diverges.
# - Recognise plateaus and ravines, and use the condition number $\kappa$ to explain why GD is
#   slow in a ravine.
#
# **Prerequisites** None of the course notebooks. You should know Python, PyTorch tensors and
# `loss.backward()`, and what the eigenvalues of a symmetric matrix are.
#
# **Time to complete:** about 60 minutes

# %% slideshow={"slide_type": "skip"}
import math

import numpy as np
import torch

from course_utils import (
    PALETTE,
    Interval,
    OptimizerBase,
    Trajectory,
    check_critical_lr,
    check_optimizer,
    check_trajectory_logger,
    fmt_diff,
    new_figure,
    pathological,
    plot_contour,
    plot_losses,
    plot_surface,
    quadratic,
    run_trajectory,
    setup_notebook,
)

DEVICE = setup_notebook(seed=0)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. Loss landscapes
#
# A loss $\mathcal{L}(\theta)$ gives one number for every setting of the parameters $\theta$.
# With two parameters $(w_0, w_1)$ we can draw it:
# - a **surface plot**: the loss as height above the $(w_0, w_1)$ plane;
# - a **contour plot**: the same surface from above, one line per loss level; dense lines mean steep.
#
# The gradient $g = \nabla\mathcal{L}(\theta)$ points uphill, at right angles to the contour line;
# gradient descent walks the other way. Our first landscape:
#
# $$
# \mathcal{L}(w_0, w_1) = \tanh^2(w_0) + 0.01\,|w_1| + \operatorname{sigmoid}(w_1),
# \qquad \operatorname{sigmoid}(z) = \frac{1}{1 + e^{-z}} .
# $$

# %% [markdown] slideshow={"slide_type": "skip"}
# A model with parameters $\theta \in \mathbb{R}^d$ and a data set together define the loss; with
# $d = 2$ we can look at all of it. Where the contour lines are packed tightly the surface is
# steep; where they are far apart it is flat. The gradient's length is the slope.
#
# The surface above is adapted from the "pathological curvature" example of the UvA deep-learning
# tutorial 4. The tutorial puts the small $0.01|\cdot|$ term on the $\tanh$ coordinate, which
# leaves a surface without a minimum (the sigmoid keeps falling as $w_1 \to -\infty$); the
# course's version, taken from the chapter it grew from, puts it on $w_1$, which creates exactly
# one minimum. The $\tanh^2$ term is a valley along $w_0 = 0$ that flattens out to a height of 1
# once $|w_0|$ exceeds about 3. The sigmoid is a step of height 1 in the $w_1$ direction, and the
# $0.01|w_1|$ term tilts both sides of the step towards $w_1 = 0$. The minimum sits where the
# slope of the sigmoid balances the tilt: $\operatorname{sigmoid}'(w_1) = 0.01$ with $w_1 < 0$.
#
# `course_utils.pathological` is this surface as a `Landscape` object: call it on tensors of any
# shape, or call `.loss(w)` on a parameter vector $w = (w_0, w_1)$.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The loss and the gradient at five points

# %%
def gradient_at(landscape, point):
    """The gradient of ``landscape`` at ``point``, computed by autograd in float64."""
    w = torch.tensor(point, dtype=torch.float64, requires_grad=True)
    landscape.loss(w).backward()
    return w.grad


minimum = pathological.minima()[0]
print(f"minimum at (w0, w1) = ({minimum.x:.4f}, {minimum.y:.4f}), "
      f"loss there {float(pathological(minimum.x, minimum.y)):.4f}")
print(f"{'point':>14} {'loss':>8} {'dL/dw0':>9} {'dL/dw1':>9} {'|g|':>8}")
for point in [(minimum.x, minimum.y), (0.5, -4.0), (-1.0, 2.0), (-4.0, 6.0), (-4.0, -6.0)]:
    g = gradient_at(pathological, point)
    loss = float(pathological(*point))
    print(f"({point[0]:5.1f}, {point[1]:5.1f}) {loss:8.4f} {g[0]:9.4f} {g[1]:9.4f} "
          f"{float(g.norm()):8.4f}")

# %% slideshow={"slide_type": "subslide"}
fig = plot_surface(pathological, title=r"$\tanh^2 w_0 + 0.01|w_1| + \mathrm{sigmoid}(w_1)$",
                   n=60, elev=30.0, azim=-50.0)
ax3d = fig.axes[0]
ax3d.scatter([minimum.x], [minimum.y], [float(pathological(minimum.x, minimum.y))], s=80,
             marker="*", color="#D55E00", edgecolor="black", depthshade=False, label="minimum")
_ = ax3d.legend(loc="upper left")
fig

# %% slideshow={"slide_type": "subslide"}
fig, ax = new_figure(figsize=(6.4, 3.7))
plot_contour(pathological, ax=ax, title="The same surface from above: contour lines of the loss")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice**
# - At $(-4, \pm 6)$ the gradient is 50 to 80 times smaller than at $(-1, 2)$: **plateaus**, the
#   wide single-colour regions of the contour plot.
# - At the minimum (loss $0.0560$) the valley is steep across $w_0$ and almost flat along $w_1$:
#   a **ravine**. Both come back in sections 4 to 6.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. The optimizer template
#
# A training loop calls `optimizer.zero_grad()`, `loss.backward()` (every parameter `p` gets
# `p.grad`) and `optimizer.step()`. The course's base class `OptimizerBase` (a real
# `torch.optim.Optimizer`) does what every `step` shares:
# - visits every parameter that has a gradient, under `torch.no_grad()`;
# - keeps a `state` dictionary per parameter, with the step count `state["step"]` $= t$;
# - checks every hyperparameter against its allowed `Interval`.
#
# A subclass declares its hyperparameters and writes one method, `update_param(p, grad, state, group)`.

# %% [markdown] slideshow={"slide_type": "skip"}
# In more detail, `OptimizerBase` gives you:
#
# - **`zero_grad()`**, inherited from `torch.optim.Optimizer`;
# - **the loop**: `step()` visits every parameter group and every parameter that has a gradient
#   (parameters with `p.grad is None` are skipped), under `torch.no_grad()`;
# - **per-parameter state**: `state` is a dictionary that belongs to one parameter tensor and
#   survives between steps (momentum buffers will live there in notebook 02). The base class
#   creates it on the first step, calls the hook `init_state` once, and keeps the
#   **step count** `state["step"]` $= t$, which is 1 during the first update;
# - **hyperparameter validation**: each name in the class attribute `hyperparameters` maps to an
#   allowed `Interval`; a value outside it raises a `ValueError` that names the parameter, and an
#   unknown name raises a `TypeError`.
#
# `update_param(p, grad, state, group)` changes one parameter tensor in place; `group` is the
# parameter group's dictionary of hyperparameters, so the learning rate is `group["lr"]`. (A
# plain Python class could do the same job; making it a `torch.optim.Optimizer` is what lets
# PyTorch's learning-rate schedulers drive it in notebook 07, and `state_dict()` save it.)
#
# The next cell writes out the loop of `OptimizerBase.step`: the library's method is these lines
# plus the optional `closure` argument and a refusal of sparse gradients (run
# `OptimizerBase.step??` in a cell to read it). The cell after it checks that the two take the
# same steps.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### What `step()` does, line by line

# %%
@torch.no_grad()  # the update itself must not be recorded by autograd
def template_step(opt):
    """The loop of OptimizerBase.step (without its closure argument and sparse-gradient check)."""
    for group in opt.param_groups:  # each group: a list of parameters and their hyperparameters
        for p in group["params"]:
            if p.grad is None:  # no gradient: nothing to do
                continue
            state = opt.state[p]  # this parameter's own dictionary, kept between steps
            if not state:  # the first step: create the state
                state["step"] = 0
                opt.init_state(p, state, group)  # a hook: momentum buffers start here (notebook 02)
            state["step"] += 1  # t = 1 during the first update
            opt.update_param(p, p.grad, state, group)  # the algorithm: one subclass method


# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Gradient descent on the template
#
# With $g_t = \nabla\mathcal{L}(\theta_{t-1})$ and learning rate $\eta > 0$, for $t = 1, 2, \dots$:
#
# $$
# \theta_t = \theta_{t-1} - \eta\, g_t .
# $$

# %%
class GD(OptimizerBase):
    """Gradient descent: theta_t = theta_{t-1} - eta * g_t."""

    hyperparameters = {"lr": Interval(0.0, math.inf)}  # eta must be in [0, inf)
    defaults_ = {"lr": 1e-3}  # the value of eta when the caller gives none

    def update_param(self, p, grad, state, group):
        p.add_(grad, alpha=-group["lr"])  # theta <- theta - eta * g, in place


# %% [markdown] slideshow={"slide_type": "subslide"}
# ### `template_step` and `OptimizerBase.step` take the same steps
#
# Two parameters, one of which never gets a gradient; five steps of `GD` each way.

# %%
def five_steps(step_fn):
    a = torch.tensor([1.0, -2.0], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([0.5], dtype=torch.float64, requires_grad=True)  # never gets a gradient
    opt = GD([a, b], lr=0.1)
    for _ in range(5):
        opt.zero_grad()
        (a**2).sum().backward()  # the loss does not involve b: b.grad stays None
        step_fn(opt)
    return a, b, opt


a1, b1, opt1 = five_steps(lambda opt: opt.step())
a2, b2, opt2 = five_steps(template_step)
print(f"same parameters after 5 steps: {torch.equal(a1, a2)}; step counts t: "
      f"{opt1.state[a1]['step']} and {opt2.state[a2]['step']}")
print(f"the parameter without a gradient is untouched and has no state: "
      f"{b1.detach().item() == b2.detach().item() == 0.5 and b1 not in opt1.state and b2 not in opt2.state}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The template refuses bad hyperparameters
#
# A negative learning rate would climb uphill, and `momentum` is not a hyperparameter of `GD`.
# The base class refuses both before any step is taken:

# %%
for bad in ({"lr": -0.1}, {"lr": 0.1, "momentum": 0.9}):
    try:
        GD([torch.zeros(2, requires_grad=True)], **bad)
    except (ValueError, TypeError) as err:
        print(f"{type(err).__name__}: {err}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Is it really gradient descent? Compare with `torch.optim.SGD`
#
# A small two-layer tanh network on random data, trained twice from the same weights for 100
# steps in float64: once with our `GD`, once with `torch.optim.SGD` (default `momentum=0`).

# %% [markdown] slideshow={"slide_type": "skip"}
# With its default `momentum=0`, `torch.optim.SGD` performs exactly $\theta_t = \theta_{t-1} -
# \eta g_t$ (the "stochastic" in its name refers to mini-batch gradients, the topic of notebook
# 05). The next cell builds the data and the training loop; the one after it compares every
# parameter after every step.

# %% slideshow={"slide_type": "skip"}
gen = torch.Generator().manual_seed(0)
X = torch.randn(64, 3, generator=gen, dtype=torch.float64)
y = torch.sin(X.sum(dim=1, keepdim=True))
W1_init = torch.randn(3, 8, generator=gen, dtype=torch.float64)
W2_init = torch.randn(8, 1, generator=gen, dtype=torch.float64) / 3


def train_network(optimizer_cls, steps=100, lr=0.1):
    """Train the small network; return the flattened parameters after every step."""
    params = [W1_init.clone().requires_grad_(), W2_init.clone().requires_grad_()]
    opt = optimizer_cls(params, lr=lr)
    history = []
    for _ in range(steps):
        opt.zero_grad()
        loss = ((torch.tanh(X @ params[0]) @ params[1] - y) ** 2).mean()
        loss.backward()
        opt.step()
        history.append(torch.cat([p.detach().flatten() for p in params]))
    return torch.stack(history), loss.item(), opt


# %%
ours, loss_ours, opt_ours = train_network(GD)
ref, loss_ref, _ = train_network(torch.optim.SGD)
print(f"max |GD - torch.optim.SGD| over 100 steps and {ours.shape[1]} parameters: "
      f"{float((ours - ref).abs().max()):.1e}")
print(f"last loss: ours {loss_ours:.6f}, torch {loss_ref:.6f}")
first_param = opt_ours.param_groups[0]["params"][0]
print(f"step count t kept by OptimizerBase for the first weight matrix: "
      f"{opt_ours.state[first_param]['step']}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice**: the difference is exactly zero, not merely small: both classes perform the
# same floating-point operations in the same order. The base class counted $t = 100$ updates
# without us writing a line for it.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. The learning rate on a quadratic
#
# Near a minimum every smooth loss looks like a quadratic, and on a quadratic GD can be solved
# exactly. With $\mathcal{L}(\theta) = \tfrac12\theta^\top H\theta$, $g = H\theta$, and $H$'s eigenvalues
# $\lambda_i$ and eigenvectors $q_i$, write $\theta_t = \sum_i u_{t,i}\,q_i$:
#
# $$
# \theta_t = (I - \eta H)\,\theta_{t-1}
# \quad\Longrightarrow\quad
# u_{t,i} = (1 - \eta\lambda_i)\, u_{t-1,i} = (1 - \eta\lambda_i)^t\, u_{0,i} .
# $$
#
# Every eigen-direction is a one-dimensional problem with its own factor $1 - \eta\lambda_i$.

# %% [markdown] slideshow={"slide_type": "skip"}
# Here $H$ is symmetric positive definite, with eigenvalues $\lambda_1, \dots, \lambda_d > 0$ and
# orthonormal eigenvectors $q_1, \dots, q_d$ (in the whole course, $\lambda_i$ always denotes a
# Hessian eigenvalue). One GD step multiplies $\theta_{t-1}$ by $I - \eta H$; since
# $H q_i = \lambda_i q_i$, the coordinate $u_{t,i}$ along $q_i$ evolves on its own, multiplied by
# $1 - \eta\lambda_i$ at every step.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Four regimes, one per range of $\eta\lambda_i$
#
# | $\eta\lambda_i$ | factor $1 - \eta\lambda_i$ | behaviour along $q_i$ |
# |---|---|---|
# | $0 < \eta\lambda_i < 1$ | between 0 and 1 | creeps towards the minimum from one side |
# | $\eta\lambda_i = 1$ | 0 | reaches the minimum in one step |
# | $1 < \eta\lambda_i < 2$ | between $-1$ and 0 | flips sign every step, but shrinks |
# | $\eta\lambda_i > 2$ | below $-1$ | flips sign and grows: **diverges** |
#
# GD converges exactly when $|1 - \eta\lambda_i| < 1$ for every $i$: when $\eta < 2/\lambda_{\max}$.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Four learning rates on $\tfrac12(w_0^2 + 10\,w_1^2)$
#
# Its eigenvectors are the axes ($u_{t,0} = w_0$, $u_{t,1} = w_1$) and $2/\lambda_{\max} = 0.2$.
# `run_trajectory` records the start and every step, with `losses[k]` $= \mathcal{L}(\text{positions}[k])$.

# %%
bowl = quadratic((1.0, 10.0))
eigenvalues = (1.0, 10.0)
start = (1.5, 1.0)
regimes = {0.01: "too small", 0.1: "good", 0.19: "oscillating", 0.21: "divergent"}
runs = {eta: run_trajectory(bowl, GD, start, 25, lr=eta, label=f"$\\eta$ = {eta:g} ({name})")
        for eta, name in regimes.items()}

tr = runs[0.1]
recomputed = bowl(torch.as_tensor(tr.positions[:, 0]), torch.as_tensor(tr.positions[:, 1])).numpy()
print(f"max |losses[k] - f(positions[k])| = {np.abs(tr.losses - recomputed).max():.1e}")

# %% slideshow={"slide_type": "subslide"}
fig, axes = new_figure(2, 2, figsize=(6.4, 5.0))
for i, (ax, tr) in enumerate(zip(axes.flat, runs.values(), strict=True)):
    plot_contour(bowl, [tr], ax=ax, n=60, xlim=(-2.0, 2.0), ylim=(-2.0, 2.0), title=tr.label,
                 colors=[PALETTE[i]], mark_critical=False)
    ax.set_aspect("equal")
    ax.get_legend().remove()  # the panel's title names the run
fig.suptitle(r"GD on $\frac{1}{2}(w_0^2 + 10 w_1^2)$ from (1.5, 1), 25 steps")
fig

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Measured contraction per step against the theory
#
# For each run and eigen-direction: the ratio $u_{t,i}/u_{t-1,i}$ (averaged over the first 20
# steps; on a quadratic it is the same at every step) against $1 - \eta\lambda_i$.

# %%
print(f"{'eta':>5} {'lambda':>6} {'measured':>9} {'1-eta*lam':>9} {'|1-eta*lam|':>11}  verdict")
for eta, tr in runs.items():
    for i, lam in enumerate(eigenvalues):
        u = tr.positions[:21, i]
        nonzero = u[:-1] != 0
        measured = float(np.mean(u[1:][nonzero] / u[:-1][nonzero])) if nonzero.any() else 0.0
        theory = 1 - eta * lam
        verdict = "converges" if abs(theory) < 1 else "diverges"
        print(f"{eta:5.2f} {lam:6.1f} {round(measured, 4) + 0.0:+9.4f} {round(theory, 4) + 0.0:+9.4f} "
              f"{abs(theory):11.4f}  {verdict}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice**
# - Measured and predicted factors agree to four decimals in all eight rows.
# - $\eta = 0.01$ is safe but slow: the flat direction keeps 99% of its error at every step.
# - $\eta = 0.1 = 1/\lambda_{\max}$ removes the steep direction in one step (factor 0).
# - $\eta = 0.19$ converges, but the steep direction flips sign every step (factor $-0.9$): the zig-zag.
# - $\eta = 0.21$ is only 5% above $2/\lambda_{\max} = 0.2$: the steep direction grows by 10% per
#   step while the flat one is happy (factor 0.79). One bad direction is enough to diverge.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Divergence starts exactly at $\eta = 2/\lambda_{\max}$
#
# Two runs of 200 steps, 2% below and 2% above the threshold:

# %%
eta_critical = 2 / max(eigenvalues)
edge_runs = [run_trajectory(bowl, GD, start, 200, lr=factor * eta_critical,
                            label=f"$\\eta$ = {factor:g} x 2/$\\lambda_{{max}}$")
             for factor in (0.98, 1.02)]
print(f"2 / lambda_max = {eta_critical:.3f}")
for factor, tr in zip((0.98, 1.02), edge_runs, strict=True):
    eta = factor * eta_critical
    print(f"eta = {eta:.3f} ({factor:.2f} x 2/lambda_max): steep factor {1 - eta * max(eigenvalues):+.2f}, "
          f"distance after 200 steps {np.linalg.norm(tr.final_position):.3e}, "
          f"loss {tr.final_loss:.3e}")

# %% slideshow={"slide_type": "subslide"}
fig, (ax_regimes, ax_edge) = new_figure(1, 2, figsize=(9.5, 3.9))
plot_losses(list(runs.values()), ax=ax_regimes, logy=True, title="The four regimes (25 steps)")
plot_losses(edge_runs, ax=ax_edge, logy=True, title=r"2% below and above $2/\lambda_{max}$ (200 steps)")
fig

# %% [markdown] slideshow={"slide_type": "notes"}
# ### Why $2/L$ holds beyond quadratics: smoothness
#
# A loss is **$L$-smooth** when its gradient cannot change faster than $L$ times the distance
# moved: $\|\nabla\mathcal{L}(a) - \nabla\mathcal{L}(b)\| \le L\,\|a - b\|$. For a twice
# differentiable loss this means every eigenvalue of the Hessian lies in $[-L, L]$; for our
# quadratic, $L = \lambda_{\max}$. Smoothness bounds the loss after a GD step (the "descent lemma"):
#
# $$
# \mathcal{L}(\theta - \eta g) \;\le\; \mathcal{L}(\theta) - \eta\Big(1 - \frac{L\eta}{2}\Big)\|g\|^2 .
# $$
#
# The right-hand side is below $\mathcal{L}(\theta)$ for every $0 < \eta < 2/L$, so any such step
# makes progress on *any* $L$-smooth loss, and the guaranteed progress is largest at
# $\eta = 1/L$, where it is $\|g\|^2/(2L)$. (McAllester's lecture notes arrive at $\eta^* = 1/(2L)$:
# that value comes from balancing the bound against the noise of a mini-batch gradient, per
# gradient computed, at the batch size that bound prefers; we meet mini-batches in notebook 05.
# With the exact gradient the best guaranteed step is $1/L$.)
# Below: the actual one-step change of the loss on our quadratic from $\theta_0 = (1.5, 1)$, next
# to the bound. The actual change is never above the bound; at $\eta = 0.2 = 2/L$ the bound
# promises nothing (0), and at $\eta = 0.21$ it allows an increase, which indeed happens.

# %% slideshow={"slide_type": "notes"}
L_smooth = max(eigenvalues)
theta0 = torch.tensor(start, dtype=torch.float64)
g1 = gradient_at(bowl, start)  # g_1, the gradient at theta_0
print(f"{'eta':>6} {'actual change':>14} {'bound':>10}")
for eta in (0.05, 0.1, 0.15, 0.2, 0.21):
    change = float(bowl.loss(theta0 - eta * g1) - bowl.loss(theta0))
    bound = -eta * (1 - L_smooth * eta / 2) * float(g1 @ g1)
    print(f"{eta:6.2f} {change:14.4f} {round(bound, 4) + 0.0:10.4f}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. Learning-rate regimes on the pathological surface
#
# Real losses are not quadratic, but near a minimum the quadratic picture holds with $H$ the
# Hessian at the minimum. Here it is for the pathological surface:

# %%
w_star = torch.tensor([minimum.x, minimum.y], dtype=torch.float64)
H_star = torch.autograd.functional.hessian(pathological.loss, w_star)
lam_star = torch.linalg.eigvalsh(H_star)
print("Hessian at the minimum:\n", H_star.numpy().round(4))
print(f"eigenvalues {lam_star[0]:.4f} and {lam_star[1]:.4f}: 2/lambda_max = {2 / lam_star[1]:.2f}, "
      f"condition number kappa = {lam_star[1] / lam_star[0]:.0f}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# Close to the minimum GD can settle in $w_0$ only if $\eta < 1$, and along $w_1$ (curvature about
# 0.01) any such $\eta$ shrinks the error by at most 1% per step.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Four learning rates from $(-4, 5)$, on the plateau, 300 steps

# %%
path_start = (-4.0, 5.0)
path_runs = {eta: run_trajectory(pathological, GD, path_start, 300, lr=eta, label=f"$\\eta$ = {eta:g}")
             for eta in (0.1, 0.9, 1.5, 3.0)}
print(f"{'eta':>4} {'final w0':>9} {'final w1':>9} {'final loss':>10} {'last 3 values of w0':>28}")
for eta, tr in path_runs.items():
    if eta == 3.0:  # chaotic: its w0 and its loss are not reproducible (see below)
        print(f"{eta:4.1f} {'chaotic':>9} {tr.final_position[1]:+9.3f} {'chaotic':>10} {'(see below)':>28}")
        continue
    w0_tail = ", ".join(f"{round(v, 3) + 0.0:+.3f}" for v in tr.positions[-3:, 0])
    print(f"{eta:4.1f} {round(tr.final_position[0], 3) + 0.0:+9.3f} {tr.final_position[1]:+9.3f} "
          f"{tr.final_loss:10.4f} {w0_tail:>28}")

# %% slideshow={"slide_type": "subslide"}
largest_first = [path_runs[eta] for eta in (3.0, 1.5, 0.9, 0.1)]  # small ones drawn on top
fig, (ax_path, ax_loss) = new_figure(1, 2, figsize=(9.5, 4.0))
plot_contour(pathological, largest_first, ax=ax_path, n=100, title="GD from (-4, 5), 300 steps")
plot_losses(largest_first, ax=ax_loss, title="Loss at each recorded point")
fig

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Why does $\eta = 3$ not fly off to infinity?
#
# On a quadratic it would. This surface's gradient is bounded; we evaluate it on a fine grid.

# %%
W0, W1 = pathological.grid(401, xlim=(-8.0, 8.0), ylim=(-8.0, 8.0))[:2]
W0.requires_grad_(True)
W1.requires_grad_(True)
pathological(W0, W1).sum().backward()
print(f"max |dL/dw0| = {float(W0.grad.abs().max()):.4f}   (theory 4/(3*sqrt(3)) = {4 / (3 * math.sqrt(3)):.4f})")
print(f"max |dL/dw1| = {float(W1.grad.abs().max()):.4f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice**
# - $\eta = 0.1$ is **too small**: it never leaves the plateau. After 300 steps $w_0 = -3.912$,
#   still where $\tanh^2$ is flat, and the loss is 2.0311.
# - $\eta = 0.9$ is **good**: it crosses both plateaus and ends at loss 0.0562, next to the
#   minimum's 0.0560, with $w_1$ still creeping along the flat floor of the valley.
# - $\eta = 1.5$ **oscillates**: above the local limit $2/\lambda_{\max} = 1$, $w_0$ cannot settle
#   at 0. It locks into a two-step cycle, $w_0 = \pm 0.567$, at loss 0.3193.
# - $\eta = 3$ bounces irregularly between the walls of the valley. It does not diverge, because a
#   step moves $w_0$ by at most $0.7698\,\eta$: far from the minimum the shape of the surface takes over.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### $\eta = 1.5$: a two-step cycle that attracts
#
# The loss is a sum of a $w_0$ part and a $w_1$ part, so GD moves $w_0$ by a map of its own:
#
# $$
# w_{0,t} = f(w_{0,t-1}), \qquad f(w) = w - \eta\,\frac{d}{dw}\tanh^2 w = w - 2\eta\,\tanh w\,(1 - \tanh^2 w).
# $$

# %%
def w0_map(w, eta):
    """One GD step in w0 on the pathological surface: w - eta * d/dw tanh^2(w)."""
    t = torch.tanh(w)
    return w - 2 * eta * t * (1 - t**2)


def w0_map_slope(w, eta):
    """f'(w) = 1 - eta * (tanh^2)''(w) = 1 - 2 eta (1 - tanh^2 w)(1 - 3 tanh^2 w)."""
    t2 = torch.tanh(w) ** 2
    return 1 - 2 * eta * (1 - t2) * (1 - 3 * t2)


w0_15 = torch.as_tensor(path_runs[1.5].positions[:, 0])
print(f"w0_map reproduces GD's w0 over the 300 steps: max |difference| "
      f"{fmt_diff((w0_map(w0_15[:-1], 1.5) - w0_15[1:]).abs().max())}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The cycle of $\eta = 1.5$ and its slope
#
# A symmetric cycle $\pm a$ solves $f(a) = -a$. It attracts nearby points when the two-step map's
# slope there, $f'(a)\,f'(-a) = f'(a)^2$, is below 1 in absolute value.

# %%
lo, hi = 0.3, 1.0  # bisection for f(a) = -a: f(w) + w is negative at 0.3, positive at 1.0
for _ in range(60):
    mid = (lo + hi) / 2
    if float(w0_map(torch.tensor(mid, dtype=torch.float64), 1.5)) + mid > 0:
        hi = mid
    else:
        lo = mid
a = torch.tensor(lo, dtype=torch.float64)
print(f"cycle w0 = +-{float(a):.4f}; slope of the two-step map f'(a)^2 = {float(w0_map_slope(a, 1.5) ** 2):.4f}")
print(f"the run's last w0 is on the cycle: | |w0_300| - a | {fmt_diff(abs(w0_15[-1].abs() - a))}")
w, gaps = a + 0.1, []
for _ in range(4):
    gaps.append(f"{float((w.abs() - a).abs()):.1e}")
    w = w0_map(w0_map(w, 1.5), 1.5)
print(f"from a + 0.1: distance to the cycle after 0, 2, 4, 6 steps: {', '.join(gaps)}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# The slope 0.2874 is well below 1: a point near the cycle gets 3.5 times closer every two steps,
# so the cycle is a robust outcome, the same on every machine, not a numerical accident.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### $\eta = 3$: chaos in a bounded band
#
# For $w \ge 0$, $f(w) \le w$, and $f(w)$ never drops below $-B$ with $B = -\min_{w\ge0} f(w)$; by
# symmetry, one step maps the band $[-B, B]$ into itself: once inside, $w_0$ stays there.

# %%
eta = 3.0
band = float(-w0_map(torch.linspace(0.0, 3.0, 300_001, dtype=torch.float64), eta).min())
w0_3 = torch.as_tensor(path_runs[eta].positions[:, 0])
entry = int(torch.nonzero(w0_3.abs() <= band)[0])
print(f"band B = {band:.4f}; the run diverged: {path_runs[eta].diverged}")
print(f"it enters the band at step {entry} and stays in it to step 300: "
      f"{bool((w0_3[entry:].abs() <= band + 1e-12).all())}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### How fast do nearby orbits part?
#
# A small gap $\delta$ between two orbits becomes $|f'(w_{0,t})|\,\delta$ after one step. The
# **Lyapunov exponent** $\chi$ is the average of $\ln|f'(w_{0,t})|$ along an orbit: gaps grow
# like $e^{\chi t}$ when $\chi > 0$ (chaos) and shrink when $\chi < 0$ (an attracting cycle).

# %%
w = torch.linspace(0.01, band, 1000, dtype=torch.float64)  # 1000 orbits in the band
for _ in range(100):  # forget the starting points
    w = w0_map(w, eta)
log_slopes = torch.zeros_like(w)
for _ in range(1000):
    log_slopes += torch.log(w0_map_slope(w, eta).abs())
    w = w0_map(w, eta)
lyapunov = float(log_slopes.mean()) / 1000
print(f"Lyapunov exponent over 1000 orbits of 1000 steps: {lyapunov:.2f} per step "
      f"(gaps grow by e^{lyapunov:.2f} = {math.exp(lyapunov):.1f} per step)")
print(f"steps for a gap of one unit in the last place (2^-52) to reach 1: about "
      f"{math.log(2**52) / round(lyapunov, 2):.0f}")
print(f"for comparison, eta = 1.5 on its cycle: {math.log(float(w0_map_slope(a, 1.5) ** 2)) / 2:+.2f} per step")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Two runs one bit apart
#
# The run from $(-4, 5)$ and a twin from the next floating-point number after $-4$: they differ
# in the last bit of $w_0$ only.

# %%
twin_start = (math.nextafter(-4.0, 0.0), 5.0)
twin = run_trajectory(pathological, GD, twin_start, 300, lr=eta, label="twin")
gap = np.abs(twin.positions[:, 0] - path_runs[eta].positions[:, 0])
print(f"twin start w0 = {twin_start[0]!r}: gap {gap[0]:.1e}")
print(f"gap at step {entry}, when the runs enter the band: {fmt_diff(gap[entry])}")
print(f"largest gap over steps 200 to 300 above 1: {bool(gap[200:].max() > 1)}")

# %% slideshow={"slide_type": "subslide"}
steps = np.arange(len(gap))
fig, (ax_w0, ax_gap) = new_figure(1, 2, figsize=(9.5, 3.6))
ax_w0.plot(steps, path_runs[eta].positions[:, 0], color=PALETTE[0], label="from $w_0 = -4$")
ax_w0.plot(steps, twin.positions[:, 0], color=PALETTE[1], linewidth=1.0, label="from the next float")
ax_w0.set(xlabel="step $t$", ylabel="$w_0$", title=r"$\eta$ = 3: the same run, one bit apart")
ax_w0.legend(loc="lower right")
ax_gap.semilogy(steps, np.maximum(gap, 1e-17), color=PALETTE[2], label="gap $|w_0 - w_0'|$")
after = steps[entry:]
ax_gap.semilogy(after, gap[entry] * np.exp(lyapunov * (after - entry)), "--", color="black",
                linewidth=1.0, label=rf"$e^{{\chi t}}$, $\chi$ = {lyapunov:.2f}")
ax_gap.axvline(entry, color="0.5", linestyle=":", label="enters the band")
ax_gap.set(xlabel="step $t$", ylabel="gap (log scale)", ylim=(1e-17, 10), title="The gap between the twins")
ax_gap.legend(loc="lower right")
fig

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Chaos and floating point
#
# - Every floating-point operation rounds, at about $10^{-16}$ of the value. On the plateau
#   ($f' \approx 1$) such errors stay small; in the band they grow by 2.2 per step, and after about
#   46 steps the computed orbit has forgotten the last bits it started with.
# - Another CPU, thread count or library build rounds differently: after step 300 its $w_0$ is
#   another number in the band. That is why the $\eta = 3$ row prints no final $w_0$ or loss.
# - What *is* reproducible: the band $B = 1.7014$, the exponent 0.78, the step 64 at which the run
#   entered the band, the non-chaotic coordinate $w_1$, and the attracting cycle of $\eta = 1.5$.

# %% [markdown] slideshow={"slide_type": "skip"}
# This is a lesson in itself. The chaos is in the mathematics, not in the computer: the exact
# orbit from $(-4, 5)$ is just as sensitive to its starting point, and a computed orbit is the
# exact orbit of a start perturbed by rounding at every step. Asking for "the" $w_0$ after 300
# steps of a chaotic map is asking for the 50th decimal of the start. Report such a run by what
# does not depend on the last bits: whether it diverged and roughly when, the band it stays in,
# statistics over many orbits or seeds. The same holds for training runs at learning rates far
# past the stability limit, later in the course: compare them by statistics over seeds, never by
# the last digits of one run. The course's continuous integration re-runs every notebook with
# the last bit of every reduction and transcendental function moved, and fails when a printed
# number changes: this cell's numbers pass it, a final $w_0$ of the $\eta = 3$ run would not.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Plateaus
#
# A step of GD moves the parameters by $\eta\,\|g_t\|$: on a plateau $\|g_t\|$ is tiny, and a
# learning rate that is safe near the minimum crawls. Two starts on the $\tanh$ plateau,
# $(-4, 6)$ above the sigmoid step and $(-4, -6)$ below it, with $\eta = 0.1$ and $\eta = 1$:
# how many steps until $|w_0| < 1$, i.e. until GD has left the plateau?

# %%
plateau_runs = []
rows = [f"{'start':>8} {'eta':>4} {'|g_1|':>7} {'distance moved':>14} {'loss drop':>9} {'steps to |w0|<1':>15}"]
for point in [(-4.0, 6.0), (-4.0, -6.0)]:
    for eta in (1.0, 0.1):
        tr = run_trajectory(pathological, GD, point, 300, lr=eta,
                            label=f"from ({point[0]:g}, {point[1]:g}), $\\eta$ = {eta:g}")
        plateau_runs.append(tr)
        left = np.flatnonzero(np.abs(tr.positions[:, 0]) < 1)
        escape = f"{left[0]}" if len(left) else "not in 300"
        moved = np.linalg.norm(tr.final_position - np.array(point))
        where = f"({point[0]:g}, {point[1]:g})"
        rows.append(f"{where:>8} {eta:4.1f} {float(gradient_at(pathological, point).norm()):7.4f} "
                    f"{moved:14.3f} {tr.losses[0] - tr.final_loss:9.4f} {escape:>15}")
print("\n".join(rows))

# %% slideshow={"slide_type": "subslide"}
fig, (ax_path, ax_loss) = new_figure(1, 2, figsize=(9.5, 4.0))
plot_contour(pathological, plateau_runs, ax=ax_path, n=100, title="Two starts on the plateau")
plot_losses(plateau_runs, ax=ax_loss, title="Loss at each recorded point")
fig

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice**
# - At both starts the first gradient is tiny, $\|g_1\| \approx 0.01$. With $\eta = 0.1$ GD moves
#   less than 0.5 in 300 steps and the loss drops by less than 0.01: stuck, although nothing is
#   wrong with the algorithm.
# - With $\eta = 1$ both runs leave the plateau at the very same step 191: the loss is a sum of a
#   $w_0$ part and a $w_1$ part, so GD's moves in $w_0$ do not depend on $w_1$ at all.
# - The dilemma: a small $\eta$ stalls on plateaus, a large $\eta$ oscillates near the minimum
#   (section 4). Momentum (notebook 02), per-parameter step sizes (notebooks 03 and 04) and
#   learning-rate schedules (notebook 07) are three ways out.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. Ravines and the condition number
#
# A **ravine** is steep across and flat along, like the pathological minimum (curvatures 2 and
# 0.0098). Its severity is the **condition number** $\kappa = \lambda_{\max}/\lambda_{\min} \ge 1$.
# The best fixed learning rate balances the two extreme directions,
# $1 - \eta\lambda_{\min} = -(1 - \eta\lambda_{\max})$:
#
# $$
# \eta^* = \frac{2}{\lambda_{\min} + \lambda_{\max}}, \qquad
# \rho = \max_i |1 - \eta^*\lambda_i| = \frac{\kappa - 1}{\kappa + 1},
# $$
#
# and the distance to the minimum falls from $r_0 = \|\theta_0 - \theta^*\|$ to a tolerance tol in
#
# $$
# \frac{\ln(r_0/\text{tol})}{\ln(1/\rho)} \approx \frac{\kappa}{2}\ln\frac{r_0}{\text{tol}} \quad \text{steps.}
# $$

# %% [markdown] slideshow={"slide_type": "skip"}
# The steep direction caps the learning rate at $2/\lambda_{\max}$, and with such an $\eta$ the
# flat direction moves by a factor $1 - \eta\lambda_{\min} \ge 1 - 2/\kappa$: the larger $\kappa$,
# the slower. With $\eta^*$ every direction shrinks at least by the factor $\rho$ per step, so the
# distance to the minimum falls from $r_0$ to the tolerance $\text{tol}$ within
# $\ln(r_0/\text{tol})/\ln(1/\rho)$ steps, and $\ln(1/\rho) \approx 2/\kappa$ for large $\kappa$:
# the number of steps grows linearly with $\kappa$. We check this on quadratics with eigenvalues
# $(1, \kappa)$, rotated by 30 degrees (GD does not care about the rotation: it only sees the
# eigenvalues), from $(-1.5, -0.5)$, with $\text{tol} = 10^{-6}$ on $\|\theta_t - \theta^*\|$.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Steps to $\text{tol} = 10^{-6}$ with $\eta^*$, eigenvalues $(1, \kappa)$ rotated by 30°

# %%
ravine_start = (-1.5, -0.5)
tol = 1e-6
r0 = math.hypot(*ravine_start)  # the start's distance to the minimum
ravines = {}
rows = [f"{'kappa':>5} {'eta*':>7} {'rho':>7} {'steps measured':>14} {'steps predicted':>15}"]
for kappa in (1, 10, 100):
    eta = 2 / (1 + kappa)
    rho = (kappa - 1) / (kappa + 1)
    predicted = math.ceil(math.log(tol / r0) / math.log(rho)) if rho > 0 else 1
    tr = run_trajectory(quadratic((1.0, kappa), angle=math.pi / 6), GD, ravine_start, predicted + 5,
                        lr=eta, label=f"$\\eta$ = {eta:.3g}")
    measured = int(np.argmax(np.linalg.norm(tr.positions, axis=1) < tol))
    ravines[kappa] = tr
    rows.append(f"{kappa:5d} {eta:7.4f} {rho:7.4f} {measured:14d} {predicted:15d}")
print("\n".join(rows))

# %% slideshow={"slide_type": "subslide"}
fig, axes = new_figure(1, 3, figsize=(9.6, 3.4))
for ax, (kappa, tr) in zip(axes, ravines.items(), strict=True):
    first = Trajectory(positions=tr.positions[:41], losses=tr.losses[:41], label=tr.label + ", 40 steps")
    plot_contour(quadratic((1.0, kappa), angle=math.pi / 6), [first], ax=ax, n=80, log_scale=True,
                 title=f"$\\kappa$ = {kappa}", markersize=2.5)
    ax.set_aspect("equal")
fig.suptitle(r"GD with the best fixed $\eta^* = 2/(\lambda_{min}+\lambda_{max})$: the first 40 steps")
fig

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice**
# - With $\kappa = 1$ (round bowl) the gradient points straight at the minimum and $\eta^* = 1$
#   gets there in one step.
# - With $\kappa = 10$ and $100$ the gradient points mostly across the ravine: GD zig-zags between
#   the walls while crawling along the floor. The steps needed grow from 72 to 714, ten times as
#   many for ten times the $\kappa$, exactly as the formula predicts.
# - The pathological minimum has $\kappa \approx 204$, which is why $w_1$ was still creeping
#   after 300 steps in section 4.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 1: your own gradient descent
#
# Write `MyGD`, a subclass of `OptimizerBase` that performs $\theta_t = \theta_{t-1} - \eta\,
# g_t$. Declare its one hyperparameter in `defaults_` (and, if you like, its allowed range in
# `hyperparameters`) and write `update_param(self, p, grad, state, group)`. Change `p` in place.
# The check runs your class and `torch.optim.SGD` side by side on four problems with two
# learning rates.

# %% tags=["solution"]
class MyGD(OptimizerBase):
    hyperparameters = {"lr": Interval(0.0, math.inf)}
    defaults_ = {"lr": 1e-3}

    def update_param(self, p, grad, state, group):
        p.add_(grad, alpha=-group["lr"])


# %%
check_optimizer(MyGD, torch.optim.SGD, configs=[{"lr": 0.01}, {"lr": 0.001}])

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 2: predict the critical learning rate
#
# The loss $\mathcal{L}(w) = 2.5\,w_0^2 + 3\,w_0 w_1 + 2.5\,w_1^2$ is the quadratic
# $\tfrac12 w^\top H w$ with
# $H = \begin{pmatrix} 5 & 3 \\ 3 & 5 \end{pmatrix}$.
# Above which learning rate does GD diverge on it? Work out the eigenvalues of $H$ (by hand, or
# with `torch.linalg.eigvalsh`) and set `answer` to the critical learning rate.

# %% tags=["solution"]
answer = 0.25

# %%
H_ex2 = torch.tensor([[5.0, 3.0], [3.0, 5.0]], dtype=torch.float64)
check_critical_lr(answer, torch.linalg.eigvalsh(H_ex2).tolist())

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 3: spot the bug in a trajectory logger
#
# To draw a loss curve we record, at every step, the parameters and the loss. The function below
# is written the way the chapter this course grew from (its "seed 001") did it. It looks
# reasonable, and the checker rejects it:

# %%
def record_trajectory(landscape, optimizer_cls, start, steps, **hp):
    """Run ``optimizer_cls`` on ``landscape``; return (positions, losses), start included."""
    w = torch.nn.Parameter(torch.tensor(start, dtype=torch.float64))
    opt = optimizer_cls([w], **hp)
    positions = [w.detach().clone()]
    losses = [landscape(w[0], w[1]).item()]
    for _ in range(steps):
        opt.zero_grad()
        loss = landscape(w[0], w[1])
        loss.backward()
        opt.step()
        positions.append(w.detach().clone())
        losses.append(loss.item())  # the loss that was just differentiated
    return torch.stack(positions).numpy(), np.array(losses)


check_trajectory_logger(record_trajectory)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The symptom, on the quadratic bowl of section 3 with $\eta = 0.19$: the recorded loss next to
# the loss actually found at each recorded point.

# %%
positions, losses = record_trajectory(bowl, GD, start, 4, lr=0.19)
truth = bowl(torch.as_tensor(positions[:, 0]), torch.as_tensor(positions[:, 1])).numpy()
print(" k   recorded loss   f(positions[k])")
for k in range(5):
    print(f"{k:2d} {losses[k]:15.4f} {truth[k]:17.4f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 3, your turn
#
# Find the bug and write `record_trajectory_fixed`, with the same signature, so that
# `losses[k]` is the loss at `positions[k]` for every `k`, the start included.

# %% tags=["solution"]
def record_trajectory_fixed(landscape, optimizer_cls, start, steps, **hp):
    """Run ``optimizer_cls`` on ``landscape``; return (positions, losses) with losses[k] = f(positions[k])."""
    w = torch.nn.Parameter(torch.tensor(start, dtype=torch.float64))
    opt = optimizer_cls([w], **hp)
    positions = [w.detach().clone()]
    losses = [landscape(w[0], w[1]).item()]
    for _ in range(steps):
        opt.zero_grad()
        landscape(w[0], w[1]).backward()
        opt.step()
        with torch.no_grad():
            losses.append(landscape(w[0], w[1]).item())  # the loss at the new point
        positions.append(w.detach().clone())
    return torch.stack(positions).numpy(), np.array(losses)


# %%
check_trajectory_logger(record_trajectory_fixed)

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Why it matters.** The loss that `backward()` differentiates is computed *before* the step, at
# the old point. The seed chapter's logger appended it next to the *new* point, so every curve it
# drew was shifted by one step: the final loss shown was the loss one step earlier, and a run that
# blows up at its last step looked fine. `course_utils.run_trajectory` evaluates the loss again
# after each step, so its `losses[k]` is $\mathcal{L}(\text{positions}[k])$ (checked in section 3).

# %% [markdown] slideshow={"slide_type": "skip"}
# The price is one extra forward pass per step, which is negligible for these two-parameter
# landscapes; in real training, the loss of the batch before the step is what everyone logs, and
# it is honest as long as you label it so.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - A loss landscape is the loss over the parameters; contour lines show steep regions, plateaus, ravines.
# - `OptimizerBase` runs the loop, the state and the step count $t$; GD is one line on top,
#   $\theta_t = \theta_{t-1} - \eta g_t$, equal to `torch.optim.SGD` (difference 0.0).
# - On a quadratic, GD multiplies the error along eigenvector $i$ by $1 - \eta\lambda_i$ per step,
#   and converges if and only if $\eta < 2/\lambda_{\max}$.
# - Far from a minimum, a too-large $\eta$ can cycle (attracting, reproducible) or be chaotic:
#   then only statistics (a band, an exponent) reproduce, not the digits of one run.
# - Plateaus stall small learning rates; ravines cost $\sim\tfrac{\kappa}{2}\ln(r_0/\text{tol})$ steps.

# %% [markdown] slideshow={"slide_type": "skip"}
# In more detail:
#
# - `OptimizerBase` handles `zero_grad`, the loop over parameters with gradients, per-parameter
#   state with the step count $t$, and hyperparameter validation; its `step` is the dozen lines of
#   `template_step` in section 2.
# - Measured and predicted contraction factors agreed to four decimals. At $0.98\times 2/\lambda_{\max}$
#   the distance fell to $2.8\times10^{-4}$ in 200 steps, at $1.02\times$ it grew to $2.6\times10^{3}$.
# - On the pathological surface, $\eta = 1.5$ locks into a two-step cycle whose two-step slope,
#   0.2874, makes it attracting; $\eta = 3$ is chaotic in the band $|w_0| \le 1.7014$, where gaps grow
#   like $e^{0.78 t}$, so a last-bit difference reaches order 1 in about 46 steps.
# - Log the loss at the point you record it: `losses[k]` $= \mathcal{L}(\text{positions}[k])$.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## References
#
# - Ian Goodfellow, Yoshua Bengio and Aaron Courville, *Deep Learning*, MIT Press, 2016,
#   chapter 4.3 (gradient-based optimization, the condition number) and chapter 8 (plateaus,
#   ill-conditioning).
# - Phillip Lippe, *UvA Deep Learning Tutorials*, Tutorial 4: "Optimization and
#   Initialization", University of Amsterdam, 2022 (the pathological surface, adapted here).
# - Jorge Nocedal and Stephen J. Wright, *Numerical Optimization*, 2nd edition, Springer, 2006,
#   chapter 3 (the convergence rate of steepest descent on quadratics).
# - Yurii Nesterov, *Lectures on Convex Optimization*, 2nd edition, Springer, 2018, chapters 1
#   and 2 (the gradient method, $L$-smooth functions and the descent lemma).
# - David McAllester, *TTIC 31230 Fundamentals of Deep Learning*, lecture slides "SGD", 2018
#   (the step size $1/(2L)$ for noisy gradients).
# - Steven H. Strogatz, *Nonlinear Dynamics and Chaos*, 2nd edition, Westview Press, 2015,
#   chapter 10 (one-dimensional maps, cycles and their stability, Lyapunov exponents).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What's next
#
# Notebook 01 introduces exponentially weighted moving averages (EWMA): how to average a stream of
# noisy values with one number of memory, how long that memory is, and why the average starts
# out biased towards zero and how to correct it. EWMAs are the building block of momentum
# (notebook 02), RMSProp (notebook 03) and Adam (notebook 04): the optimizers that attack the
# plateau-versus-oscillation dilemma we met here.
