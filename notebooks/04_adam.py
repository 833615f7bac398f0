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
# # 04 · Adam: momentum, RMSProp and bias correction
#
# Adam (Kingma & Ba, 2015) is the optimizer most deep-learning code reaches for first. It is
# three ideas from the previous notebooks in one update: the momentum of notebook 02 (an EWMA of
# the gradients), the per-parameter scaling of RMSProp from notebook 03 (an EWMA of the squared
# gradients), and the bias correction of notebook 01, applied to both averages. This notebook
# writes Adam next to its math and proves it equal to `torch.optim.Adam`; measures what the
# normalisation does to the step (its first step is $\eta$ per coordinate, whatever the gradient,
# and its steps are bounded); rebuilds the two experiments of seed 002 with correct explanations,
# a smooth regression where momentum beats Adam and a flat start of a small ReLU6 network where
# Adam escapes and momentum does not; and shows that Adam's `weight_decay` and AdamW's decoupled
# decay end at different weights.
#
# **Learning objectives**
# - Write Adam's update (momentum + RMSProp + bias correction) exactly as `torch.optim.Adam` does.
# - Predict Adam's first step ($\eta$ per coordinate) and state the bound on its step size
#   (Kingma & Ba, section 2.1); explain the defaults $\beta_1 = 0.9$, $\beta_2 = 0.999$.
# - Explain, with measurements, when Adam loses to momentum (smooth valley) and when it wins (plateau).
# - Tell Adam's L2 weight decay from AdamW's decoupled decay by where each one ends.
#
# **Prerequisites:** 01 · Exponentially weighted averages, 02 · Momentum, 03 · Adagrad and RMSProp.
#
# **Time to complete:** about 70 minutes

# %%
import math

import numpy as np
import torch

from course_utils import (
    CriticalPoint,
    Interval,
    Landscape,
    OptimizerBase,
    check_optimizer,
    check_value,
    cubic_data,
    fmt_diff,
    new_figure,
    pathological,
    plot_contour,
    plot_losses,
    plot_trajectories,
    run_trajectory,
    setup_notebook,
)

DEVICE = setup_notebook(seed=0)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. Adam = momentum + RMSProp + bias correction
#
# **Intuition.** Momentum smooths the *direction* of the step; RMSProp sets its *scale* per
# parameter. Adam does both: it steps along an average of recent gradients, divided by the root of
# an average of recent squared gradients. Both averages start at 0, so both are corrected for the
# start-up bias, as in notebook 01.
#
# **The math** (per coordinate, $t = 1, 2, \dots$; as `torch.optim.Adam`, read `torch/optim/adam.py`):
#
# $$
# \begin{aligned}
# m_t &= \beta_1 m_{t-1} + (1-\beta_1)\, g_t, & \hat m_t &= \frac{m_t}{1-\beta_1^t} \qquad \text{(momentum, corrected)}\\
# v_t &= \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2, & \hat v_t &= \frac{v_t}{1-\beta_2^t} \qquad \text{(RMSProp's average, corrected)}\\
# \theta_t &= \theta_{t-1} - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}, & & m_0 = v_0 = 0 .
# \end{aligned}
# $$
#
# Defaults: $\eta = 10^{-3}$, $\beta_1 = 0.9$, $\beta_2 = 0.999$, $\epsilon = 10^{-8}$. Two details
# matter for exact agreement: $\epsilon$ is added after the square root *and* after the correction
# of $v$ (PyTorch computes $\sqrt{v_t}/\sqrt{1-\beta_2^t} + \epsilon$), and $t$ counts from 1.
#
# **The code.** The rule on the course template (weight decay and AMSGrad are exercise 1).

# %%
class SimpleAdam(OptimizerBase):
    """Adam: m, v are EWMAs of g and g^2; theta <- theta - eta m_hat / (sqrt(v_hat) + eps)."""

    hyperparameters = {"lr": Interval(0.0, math.inf), "betas": Interval(0.0, 1.0), "eps": Interval(0.0, math.inf)}
    defaults_ = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8}

    def init_state(self, p, state, group):
        state["exp_avg"] = torch.zeros_like(p)  # m_0 = 0
        state["exp_avg_sq"] = torch.zeros_like(p)  # v_0 = 0

    def update_param(self, p, grad, state, group):
        (beta1, beta2), t = group["betas"], state["step"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m.mul_(beta1).add_(grad, alpha=1 - beta1)  # m_t = beta1 m_{t-1} + (1 - beta1) g_t
        v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)  # v_t = beta2 v_{t-1} + (1 - beta2) g_t^2
        denom = (v.sqrt() / math.sqrt(1 - beta2**t)).add_(group["eps"])  # sqrt(v_hat_t) + eps
        p.addcdiv_(m, denom, value=-group["lr"] / (1 - beta1**t))  # theta -= eta m_hat_t / denom


def max_path_difference(a, b):
    """Largest coordinate difference between two runs, over all steps."""
    return float(np.max(np.abs(a.positions - b.positions)))


for lr, start in ((0.05, (-4.0, 6.0)), (0.5, (3.5, 5.0))):
    ours = run_trajectory(pathological, SimpleAdam, start, 200, lr=lr)
    theirs = run_trajectory(pathological, torch.optim.Adam, start, 200, lr=lr)
    print(f"pathological from {start}, lr {lr}: max |SimpleAdam - torch.optim.Adam| over 200 steps "
          f"= {fmt_diff(max_path_difference(ours, theirs))}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. The first step is $\eta$ per coordinate
#
# **The math.** At $t = 1$: $m_1 = (1-\beta_1)g_1$ and $v_1 = (1-\beta_2)g_1^2$, so the corrected averages
# are exactly $\hat m_1 = g_1$ and $\hat v_1 = g_1^2$, and the first step is
# $\eta\, g_1 / (|g_1| + \epsilon) \approx \eta\,\mathrm{sign}(g_1)$: length $\eta$ in every coordinate,
# whether its gradient is $10^{-6}$ or $10^{3}$ (compare RMSProp's $10\eta$ without the correction,
# notebook 03). GD's first step is $\eta g_1$.
#
# **The experiment.** A linear loss $\mathcal{L}(\theta) = \sum_i c_i\theta_i$ over six parameters whose
# gradients $c_i$ span eleven orders of magnitude; one step of each optimizer with $\eta = 10^{-3}$.

# %%
c = torch.tensor([1e-8, 1e-6, 1e-3, 1.0, 1e2, 1e3], dtype=torch.float64)
print(f"{'gradient':>9} {'Adam |step| / eta':>18} {'GD |step| / eta':>16}")
first_steps = {}
for name, opt_cls in (("Adam", SimpleAdam), ("GD", torch.optim.SGD)):
    theta = torch.zeros(6, dtype=torch.float64, requires_grad=True)
    opt = opt_cls([theta], lr=1e-3)
    (c * theta).sum().backward()
    opt.step()
    first_steps[name] = (theta.detach().abs() / 1e-3).tolist()
for i, g in enumerate(c.tolist()):
    print(f"{g:9.0e} {first_steps['Adam'][i]:18.4f} {first_steps['GD'][i]:16.3g}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice:** Adam's first step is $\eta$ (1.0000) for every gradient from $10^{-3}$ to $10^3$,
# and 0.99$\eta$ for $10^{-6}$; only at $|g| = \epsilon = 10^{-8}$ does $\epsilon$ halve it ($0.5\eta$). GD's
# first steps span the same eleven orders of magnitude as the gradients.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. How long can an Adam step be?
#
# **The bound** (Kingma & Ba, 2015, section 2.1). Ignoring $\epsilon$, the step is
# $\Delta_t = \eta\, \hat m_t/\sqrt{\hat v_t}$. Kingma & Ba show that
# $|\Delta_t| \le \eta\,(1-\beta_1)/\sqrt{1-\beta_2}$ in the case $(1-\beta_1) > \sqrt{1-\beta_2}$, and
# $|\Delta_t| \le \eta$ otherwise. With the defaults, $(1-\beta_1) = 0.1 > \sqrt{0.001} = 0.032$: the first
# case, with the bound $3.16\,\eta$. It is reached only in the most extreme case, a gradient that was
# 0 at every earlier step and is not now; in the common case $|\hat m_t/\sqrt{\hat v_t}| \lesssim 1$
# (the mean of a quantity is at most its root mean square), so $|\Delta_t| \lesssim \eta$. Either way
# $\eta$ sets the scale of the step: a "trust region" around the current point, whatever the gradient.
#
# **The extreme case, measured.** One parameter gets the gradient 0 for $T$ steps and then 1; we
# print the step at that moment. (The bias correction brings the bound in only slowly:
# at step $T+1$ the ratio is $0.1/(1-0.9^{T+1}) \cdot \sqrt{(1-0.999^{T+1})/0.001}$.)

# %%
def step_after_silence(quiet_steps, lr=1e-3):
    """|step| / lr of Adam at the first nonzero gradient (1.0) after quiet_steps zero gradients."""
    theta = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = SimpleAdam([theta], lr=lr)
    for _ in range(quiet_steps):
        theta.grad = torch.zeros(1, dtype=torch.float64)
        opt.step()
    before = float(theta.detach())
    theta.grad = torch.ones(1, dtype=torch.float64)
    opt.step()
    return abs(float(theta.detach()) - before) / lr


for T in (0, 10, 100, 1000, 3000):
    t = T + 1
    formula = 0.1 / (1 - 0.9**t) * math.sqrt((1 - 0.999**t) / 0.001)
    print(f"T = {T:4d} quiet steps: step / eta = {step_after_silence(T):.4f}   (formula {formula:.4f})")
print(f"bound for large T: (1 - beta1) / sqrt(1 - beta2) = {0.1 / math.sqrt(0.001):.4f}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice:** with no silence the step is exactly $\eta$ (section 2); after 1000 quiet steps it
# is $2.51\eta$ and after 3000 it is $3.08\eta$, approaching the bound $3.16\eta$. The measured values equal
# the formula. Section 5 measures the longest step over whole runs on a real surface.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. The defaults, and why $\beta_2 > \beta_1$
#
# $\beta_1 = 0.9$ averages the gradient over about $1/(1-\beta_1) = 10$ steps: the *direction* must follow
# the landscape as it changes (notebook 02 showed what a long momentum memory does in a ravine).
# $\beta_2 = 0.999$ averages the squared gradient over about 1000 steps: $\hat v_t$ is the per-parameter
# *scale* that every step is divided by, so it should be a stable estimate, not something that jumps
# with every noisy gradient. A long window is also why the bias correction matters most for $v$:
# $1 - 0.999^t$ is still only 0.63 at $t = 1000$.
#
# **Measured.** Feed Adam 2000 noisy gradients $g_t = 0.1 + z_t$, $z_t \sim \mathcal N(0, 1)$, and look at
# the effective learning rate $\eta/\sqrt{\hat v_t}$ after step 100: how much it fluctuates from step
# to step (its coefficient of variation, standard deviation over mean), for three values of $\beta_2$.

# %%
gen = torch.Generator().manual_seed(0)
noisy = 0.1 + torch.randn(2000, generator=gen, dtype=torch.float64)
for beta2 in (0.9, 0.99, 0.999):
    theta = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = SimpleAdam([theta], lr=1e-3, betas=(0.9, beta2))
    eff = []
    for t, g in enumerate(noisy, start=1):
        theta.grad = g.reshape(1).clone()
        opt.step()
        v_hat = float(opt.state[theta]["exp_avg_sq"]) / (1 - beta2**t)
        eff.append(1e-3 / math.sqrt(v_hat))
    eff = np.array(eff[100:])
    print(f"beta2 = {beta2}: window ~{1 / (1 - beta2):5.0f} steps, effective lr {eff.mean():.2e} "
          f"+- {100 * eff.std() / eff.mean():.1f} %")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice:** the same noisy gradients give a per-parameter learning rate that fluctuates by
# 16.9 % with $\beta_2 = 0.9$, 4.8 % with 0.99 and 1.4 % with 0.999. With $\beta_2 = \beta_1$ the
# denominator is as noisy as the numerator; with $\beta_2 = 0.999$ the scale is steady while the
# direction, with $\beta_1 = 0.9$, still responds within about 10 steps.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Adam on the pathological surface at several learning rates
#
# The surface $\tanh^2 x + 0.01|y| + \sigma(y)$ (notebook 00) has a plateau for large $|x|$ (where
# $\tanh^2$ saturates), a slope of about 0.01 for large $|y|$, a kink at $y = 0$ and one minimum at
# $(0, -4.585)$. We start Adam on the plateau at $(-4, 6)$ and run 300 steps at four learning rates,
# recording the final loss and the longest step in any coordinate, in units of $\eta$.

# %%
adam_runs = []
for lr in (0.01, 0.05, 0.2, 1.0):
    tr = run_trajectory(pathological, SimpleAdam, (-4.0, 6.0), 300, lr=lr, label=f"Adam, lr = {lr}")
    longest = np.abs(np.diff(tr.positions, axis=0)).max() / lr
    print(f"lr = {lr:4}: final loss {tr.final_loss:.4f} at ({tr.final_position[0]:.3f}, {tr.final_position[1]:.3f}); "
          f"longest step {longest:.2f} x lr")
    adam_runs.append(tr)
print(f"minimum: loss {float(pathological(0.0, -4.585)):.4f} at (0, -4.585)")

# %% slideshow={"slide_type": "subslide"}
plot_trajectories(pathological, adam_runs, title="Adam from (-4, 6), 300 steps, four learning rates")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice**
# - The path's speed is set by $\eta$, not by the slope: at $\eta = 0.01$ Adam moves about 4 units in each
#   coordinate in 300 steps and ends at a loss of 0.85, still on the way down; from $\eta = 0.2$ on it
#   reaches the minimum (loss 0.0560).
# - The longest step exceeds $\eta$ (2.55$\eta$ at $\eta = 0.01$): on the plateau the $x$-gradient is tiny
#   for many steps, then grows as Adam leaves it, and $\hat m$ (a 10-step memory) grows faster than
#   $\sqrt{\hat v}$ (1000 steps). That is the case of section 3, and the step stays below $3.16\eta$.
# - At $\eta = 1$ the steps are as long as the plateau is wide (the loss jumps up and down for about
#   40 steps), and Adam still ends at the minimum.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. When momentum beats Adam: a smooth regression (seed 002, experiment 1)
#
# **The problem.** Twenty points $y = 3x^3 + 2x + \text{noise}$ with $x \sim U(-2, 2)$
# (`course_utils.cubic_data`), and the model $\hat y = a x^3 + b x$ with mean squared error. The loss is
# a quadratic in $(a, b)$: a smooth, elongated valley with one minimum, the least-squares solution.
# As in seed 002 we start at $(a, b) = (2.6, 1.6)$ and give GD, momentum ($\beta = 0.9$) and Adam the
# same learning rate, $\eta = 0.01$, for 100 steps. To compare losses we print the excess loss
# $\mathcal L - \mathcal L^*$ over the minimum.

# %%
X, y = cubic_data()  # columns x^3 and x; 20 points
a_star, b_star = torch.linalg.lstsq(X, y[:, None]).solution.squeeze().tolist()


def cubic_loss(a, b):
    """MSE of y_hat = a x^3 + b x; a and b may be grids (broadcast over the data in the last axis)."""
    pred = torch.as_tensor(a)[..., None] * X[:, 0] + torch.as_tensor(b)[..., None] * X[:, 1]
    return ((pred - y) ** 2).mean(dim=-1)


cubic = Landscape("cubic regression", cubic_loss, [CriticalPoint(a_star, b_star, "minimum")],
                  xlim=(2.4, 3.3), ylim=(1.4, 2.3), formula=r"MSE of $a x^3 + b x$")
L_star = float(cubic_loss(a_star, b_star))
hessian_eigs = torch.linalg.eigvalsh(2 * X.T @ X / len(X)).tolist()
print(f"least squares: a* = {a_star:.4f}, b* = {b_star:.4f}, L* = {L_star:.5f}; "
      f"Hessian eigenvalues {hessian_eigs[0]:.3f}, {hessian_eigs[1]:.3f} (kappa = {hessian_eigs[1] / hessian_eigs[0]:.0f})")

contenders = {"GD": (torch.optim.SGD, {}), "momentum": (torch.optim.SGD, {"momentum": 0.9}), "Adam": (SimpleAdam, {})}
cubic_runs = {name: run_trajectory(cubic, cls, (2.6, 1.6), 100, lr=0.01, label=f"{name} (lr = 0.01)", **hp)
              for name, (cls, hp) in contenders.items()}
for name, tr in cubic_runs.items():
    steps = np.abs(np.diff(tr.positions, axis=0)) / 0.01
    print(f"{name:>8}: excess loss after 25 steps {tr.losses[25] - L_star:.1e}, after 100 {tr.losses[100] - L_star:.1e}; "
          f"first step / eta = ({steps[0, 0]:.2f}, {steps[0, 1]:.2f}), longest {steps.max():.2f}; "
          f"largest b {tr.positions[:, 1].max():.3f}")

# %% slideshow={"slide_type": "subslide"}
fig, (ax0, ax1) = new_figure(1, 2, figsize=(11.5, 4.6))
plot_contour(cubic, list(cubic_runs.values()), ax=ax0, levels=30, markersize=2.0,
             title="Cubic regression: the loss over (a, b)")
ax0.set_xlabel("$a$ (coefficient of $x^3$)")
ax0.set_ylabel("$b$ (coefficient of $x$)")
plot_losses({tr.label: tr.losses - L_star for tr in cubic_runs.values()}, ax=ax1, logy=True,
            ylabel=r"excess loss $\mathcal{L} - \mathcal{L}^*$", title="Excess loss per step")
fig

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice, and why.** Seed 002 blames Adam's slowness on the large early gradients, which
# supposedly keep its learning rates low. The numbers say otherwise:
# - Adam's steps are not small: its first step is exactly $\eta$ in both coordinates and they stay
#   near $\eta$. What they do not do is *grow with the gradient*. GD's first step is $4.5\eta$ and
#   $1.9\eta$, proportional to the gradient, and momentum's steps grow further (up to 11.7$\eta$) as
#   the buffer accumulates gradients that keep pointing along the smooth valley.
# - Adam moves both coordinates by about $\eta$ per step whatever the valley's shape (a diagonal path
#   at first), and when it reaches the minimum's level it is still moving at about $\eta$ per step:
#   $b$ overshoots to 1.978 (the minimum is at 1.850). Its steps shrink only as $\hat m_t$ averages
#   out, and the slowly-forgetting $\hat v_t$ keeps them short afterwards.
# - After 100 steps the excess loss is $3 \cdot 10^{-5}$ for momentum, $4 \cdot 10^{-4}$ for GD and
#   $2 \cdot 10^{-3}$ for Adam. On a smooth, well-scaled problem whose gradients carry reliable size
#   information, normalising that information away costs speed.

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Is it just the learning rate?** A fair comparison tunes each optimizer. The excess loss after 100
# steps over a grid of learning rates:

# %%
grid = (0.01, 0.02, 0.05, 0.1, 0.2)
print(f"{'':>9}" + "".join(f"{'lr=' + str(lr):>10}" for lr in grid))
best = {}
for name, (cls, hp) in contenders.items():
    row = [cubic_runs[name].final_loss - L_star]  # lr = 0.01: the runs above
    for lr in grid[1:]:
        tr = run_trajectory(cubic, cls, (2.6, 1.6), 100, lr=lr, **hp)
        row.append(float("inf") if tr.diverged else tr.final_loss - L_star)
    best[name] = (min(row), grid[int(np.argmin(row))])
    print(f"{name:>9}" + "".join(f"{v:10.1e}" for v in row))
print("best: " + ", ".join(f"{n} {v:.1e} (lr {lr})" for n, (v, lr) in best.items()))

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice:** tuning narrows the gap but does not close it: momentum's best excess loss
# ($3.0 \cdot 10^{-7}$ at $\eta = 0.02$) is 6 times lower than Adam's best ($1.9 \cdot 10^{-6}$ at $\eta = 0.1$),
# and even plain GD's best ($5.0 \cdot 10^{-7}$) beats Adam's. (Momentum's column is not monotone: at
# some rates 100 steps end in the middle of an oscillation.)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. When Adam wins: a flat start in a small ReLU6 network (seed 002, experiment 2)
#
# **The network.** $x \mapsto$ `Linear(1, 2, bias=False)` $\to$ ReLU6 $\to$ `Linear(2, 5)` $\to$ ReLU6 $\to$
# `Linear(5, 1)`, where $\text{ReLU6}(z) = \min(\max(z, 0), 6)$. A teacher network of this shape (PyTorch's
# default initialisation with seed 1, first-layer weights set to $w^* = (2, -1.5)$) labels 100 inputs
# $x \sim U(-3, 3)$. The student is the teacher with its two first-layer weights $w = (w_1, w_2)$ replaced:
# only those two are trained, everything else stays at the teacher's values, so the loss is a function
# of two numbers that we can draw, and its minimum (loss 0) is at $w^*$.
#
# **The plateau.** A first-layer unit computes $\text{ReLU6}(w_i x)$. When $|w_i|$ is large, $w_i x$ is above
# 6 (saturated) or below 0 (dead) for almost every input: only inputs with $0 < w_i x < 6$, a band of
# width $6/|w_i|$, pass a gradient. We start at $w = (-8, 8)$.

# %%
torch.manual_seed(1)  # the teacher's weights
teacher = torch.nn.Sequential(
    torch.nn.Linear(1, 2, bias=False), torch.nn.ReLU6(), torch.nn.Linear(2, 5), torch.nn.ReLU6(), torch.nn.Linear(5, 1)
).double()
with torch.no_grad():
    teacher[0].weight.copy_(torch.tensor([[2.0], [-1.5]]))
x_data = 6 * torch.rand(100, generator=torch.Generator().manual_seed(1), dtype=torch.float64) - 3
with torch.no_grad():
    y_data = teacher(x_data[:, None]).squeeze(1)
W2, b2 = teacher[2].weight.detach(), teacher[2].bias.detach()
W3, b3 = teacher[4].weight.detach(), teacher[4].bias.detach()


def relu6_loss(w1, w2):
    """MSE of the network with first-layer weights (w1, w2); w1, w2 may be grids (broadcast)."""
    h = torch.stack([torch.clamp(torch.as_tensor(w1)[..., None] * x_data, 0, 6),
                     torch.clamp(torch.as_tensor(w2)[..., None] * x_data, 0, 6)], dim=-1)  # (..., 100, 2)
    out = torch.clamp(h @ W2.T + b2, 0, 6) @ W3.T + b3  # (..., 100, 1)
    return ((out.squeeze(-1) - y_data) ** 2).mean(dim=-1)


relu_net = Landscape("ReLU6 network", relu6_loss, [CriticalPoint(2.0, -1.5, "minimum")],
                     xlim=(-10.0, 10.0), ylim=(-10.0, 10.0), formula="MSE over the first-layer weights")
student = torch.nn.Sequential(*[layer for layer in teacher])  # shares the teacher's layers ...
student[0] = torch.nn.Linear(1, 2, bias=False).double()  # ... except a new first layer
with torch.no_grad():
    student[0].weight.copy_(torch.tensor([[-8.0], [8.0]]))
    module_loss = float(((student(x_data[:, None]).squeeze(1) - y_data) ** 2).mean())
print(f"loss at w*: {float(relu6_loss(2.0, -1.5)):.1e}; at (-8, 8): vectorised {float(relu6_loss(-8.0, 8.0)):.6f}, "
      f"nn.Module {module_loss:.6f}")
w_start = torch.tensor([-8.0, 8.0], dtype=torch.float64, requires_grad=True)
relu6_loss(w_start[0], w_start[1]).backward()
band = ((x_data * -8.0 > 0) & (x_data * -8.0 < 6)).float().mean()
print(f"at w = (-8, 8): loss {float(relu6_loss(-8.0, 8.0)):.3f}, gradient ({w_start.grad[0]:.1e}, {w_start.grad[1]:.1e}); "
      f"{100 * float(band):.0f} % of the inputs are in unit 1's linear band")

relu_contenders = {"GD": (torch.optim.SGD, {}), "momentum": (torch.optim.SGD, {"momentum": 0.9}),
                   "Adam": (SimpleAdam, {})}
relu_runs = {name: run_trajectory(relu_net, cls, (-8.0, 8.0), 300, lr=0.1, label=f"{name} (lr = 0.1)", **hp)
             for name, (cls, hp) in relu_contenders.items()}
for name, tr in relu_runs.items():
    w1, w2 = tr.final_position
    print(f"{name:>8}: final loss {tr.final_loss:.2e}, w = ({w1:.3f}, {w2:.3f}), distance to w* "
          f"{math.hypot(w1 - 2.0, w2 + 1.5):.3f}")

# %% slideshow={"slide_type": "subslide"}
fig, (ax0, ax1) = new_figure(1, 2, figsize=(11.5, 4.6))
plot_contour(relu_net, list(relu_runs.values()), ax=ax0, n=100, log_scale=True, markersize=2.0,
             title="Loss over the two first-layer weights")
ax0.set_xlabel("$w_1$")
ax0.set_ylabel("$w_2$")
plot_losses(list(relu_runs.values()), ax=ax1, logy=True, title="Loss per step (GD and momentum overlap)")
fig.suptitle("A 1-2-5-1 ReLU6 network started on a plateau at (-8, 8), 300 steps")
fig

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice, and why.** At $(-8, 8)$ only 15 % of the inputs fall in unit 1's linear band, and the
# gradient is $(-2 \cdot 10^{-3}, 6 \cdot 10^{-3})$. GD's step is $\eta$ times that, and momentum's at most ten
# times more: after 300 steps they have barely moved and the loss is still 0.97 and 0.93. Adam divides
# the tiny gradient by its own tiny scale and steps about $\eta$ per coordinate regardless: it leaves the
# plateau within about 100 steps and reaches the teacher's weights (loss $1.5 \cdot 10^{-12}$). The
# property that cost Adam speed in section 6, steps that ignore the gradient's size, is what saves it here.

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Is the start special?** The same comparison from the four corners of the plateau:

# %%
def run_from_starts(opt_cls, starts, steps, **hp):
    """Independent runs from several starts, as one batch: row k of W is start k, and the loss is the
    sum of the rows' losses, so each row gets its own gradient. (Valid for GD, momentum and Adam,
    which treat every coordinate separately; not for an optimizer that mixes coordinates.)"""
    W = torch.tensor(starts, dtype=torch.float64, requires_grad=True)
    opt = opt_cls([W], **hp)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = relu6_loss(W[:, 0], W[:, 1])
        losses.append(loss.detach())
        loss.sum().backward()
        opt.step()
    losses.append(relu6_loss(W[:, 0], W[:, 1]).detach())
    return W.detach(), torch.stack(losses)  # final weights (k, 2), losses (steps + 1, k)


corners = [(-8.0, 8.0), (8.0, -8.0), (-8.0, -8.0), (8.0, 8.0)]
batched = {name: run_from_starts(cls, corners, 300, lr=0.1, **hp) for name, (cls, hp) in relu_contenders.items()}
same = max(float(np.abs(batched[n][0][0].numpy() - relu_runs[n].final_position).max()) for n in relu_runs)
print(f"batch row (-8, 8) against the single runs above: max |difference| = {same:.1e}")
print(f"{'start':>12} {'GD':>9} {'momentum':>9} {'Adam':>9}   (final loss after 300 steps, lr = 0.1)")
for k, corner in enumerate(corners):
    print(f"{str(corner):>12} " + " ".join(f"{float(batched[n][1][-1, k]):9.2e}" for n in relu_contenders))
print(f"momentum from (8, -8): loss {float(batched['momentum'][1][200, 1]):.3f} at step 200, "
      f"{float(batched['momentum'][1][300, 1]):.3f} at step 300")
w_stuck = batched["Adam"][0][3].clone().requires_grad_()
relu6_loss(w_stuck[0], w_stuck[1]).backward()
print(f"Adam from (8, 8) ends at w = ({w_stuck[0]:.3f}, {w_stuck[1]:.3f}), gradient norm there "
      f"{float(w_stuck.grad.norm()):.1e}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice:** the four runs of each optimizer were computed as one batch (the batch row for
# $(-8, 8)$ equals the single runs exactly). Adam reaches the teacher from three of the four corners.
# GD stays on the plateau from all four; momentum from three, and from $(8, -8)$ it starts to leave
# only after about 200 steps (loss 0.192 at step 200, 0.012 at step 300). From $(8, 8)$ Adam stops at
# $(5.2, 7.3)$ with a loss of 0.072 and a gradient of $10^{-10}$: a local minimum inside the plateau.
# Adam escapes *flat* regions because it rescales small gradients; it does not escape minima, where
# the gradient is zero.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 8. Weight decay: Adam's L2 is not AdamW's decoupled decay
#
# **The math.** `torch.optim.Adam(weight_decay=`$\lambda$`)` adds the L2 penalty's gradient to the gradient,
# $g_t \leftarrow g_t + \lambda\theta$, *before* the averages: the decay is then divided by $\sqrt{\hat v_t}$
# like everything else. `torch.optim.AdamW` (Loshchilov & Hutter, 2019) decouples it: it shrinks the
# weights directly, $\theta \leftarrow \theta(1 - \eta\lambda)$, then takes the Adam step on the plain
# gradient. The two end at different places:
# - Adam + L2 stops where the averaged gradient vanishes, $\nabla\mathcal L + \lambda\theta = 0$: the
#   minimiser of $\mathcal L + \tfrac\lambda2\|\theta\|^2$ (here, ridge regression, which has a closed form).
# - AdamW stops where the shrink balances the Adam step, $\lambda\theta = -\hat m_t/(\sqrt{\hat v_t} + \epsilon)$.
#   With a steady gradient $\hat m_t/\sqrt{\hat v_t} \approx \pm 1$, so a weight settles at $|\theta_i| \approx
#   1/\lambda$ if the loss pulls it further out; a weight whose unregularised optimum lies inside
#   $1/\lambda$ is barely decayed at all, since a tiny gradient is enough to balance the shrink.
#
# **Measured** on the cubic regression, from $(2.6, 1.6)$ with $\eta = 0.01$, for two values of $\lambda$.
# The loss is quadratic, so its gradient is $H\theta - c$ with $H = \tfrac2n X^\top X$, $c = \tfrac2n X^\top y$;
# we feed it directly (the same numbers autograd gives, without its cost over 1500 steps).

# %%
H = 2 * X.T @ X / len(X)
cvec = 2 * X.T @ y / len(X)
print(f"no decay (least squares): a = {a_star:.4f}, b = {b_star:.4f}")
for lam in (0.1, 1.0):
    ridge = torch.linalg.solve(H + lam * torch.eye(2, dtype=torch.float64), cvec)
    print(f"lambda = {lam}: ridge solution      a = {ridge[0]:.4f}, b = {ridge[1]:.4f};  1/lambda = {1 / lam:g}")
    for opt_cls in (torch.optim.Adam, torch.optim.AdamW):
        w = torch.tensor([2.6, 1.6], dtype=torch.float64, requires_grad=True)
        opt = opt_cls([w], lr=0.01, weight_decay=lam)
        snapshots = {}
        for t in range(1, 1501):
            w.grad = H @ w.detach() - cvec
            opt.step()
            if t in (150, 1500):
                snapshots[t] = w.detach().clone()
        end = snapshots[1500]
        print(f"    {opt_cls.__name__:>5} after 150 steps a = {snapshots[150][0]:.4f}, b = {snapshots[150][1]:.4f}; "
              f"after 1500 a = {end[0]:.4f}, b = {end[1]:.4f}  (distance to ridge {float((end - ridge).norm()):.4f}, "
              f"to least squares {math.hypot(end[0] - a_star, end[1] - b_star):.4f})")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice**
# - Adam + L2 lands on the ridge solution to four decimals for both $\lambda$.
# - AdamW with $\lambda = 1$ pulls both weights to about $1/\lambda = 1$ (1.05 and 1.06 after 1500 steps), far
#   below the ridge solution (2.89, 1.35): the gradient keeps its sign, Adam's step is about $\eta$, and
#   the decay $\eta\lambda\theta$ balances it near $|\theta| = 1/\lambda$.
# - AdamW with $\lambda = 0.1$: both least-squares weights are inside $1/\lambda = 10$, so the decay is
#   balanced by a tiny gradient. After 1500 steps AdamW is 0.06 from the unregularised solution
#   (3.0339, 1.8501) and 0.18 from the ridge solution, and still moving toward the former.
# - Same $\lambda$, different weights: the two are not interchangeable, and a $\lambda$ tuned for one is not
#   right for the other. In deep learning, where gradients are noisy and $\hat m/\sqrt{\hat v}$ is far from
#   $\pm 1$, AdamW's decay acts on every weight at the same relative rate $\eta\lambda$, independent of its
#   gradient history; Loshchilov & Hutter found that this decoupled decay generalises better than L2 in Adam.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 9. AMSGrad in a paragraph
#
# Reddi, Kale & Kumar (2018) built simple convex problems on which Adam does not converge: a rare
# large gradient raises $v_t$, but $\beta_2$ forgets it, so the effective learning rate grows back and
# the frequent small gradients pull the parameter the wrong way. Their fix, AMSGrad
# (`torch.optim.Adam(amsgrad=True)`), divides by the running *maximum* of $v_t$ instead of $v_t$
# (PyTorch keeps $\max_{k \le t} v_k$ and then applies the bias correction), so a large gradient is never
# forgotten. The price is a step that can only shrink after a spike. One gradient of 10, then 2000
# gradients of 0.1:

# %%
spike = torch.cat([torch.tensor([10.0]), torch.full((2000,), 0.1)]).double()
for amsgrad in (False, True):
    theta = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([theta], lr=1e-3, amsgrad=amsgrad)
    path = [0.0]
    for g in spike:
        theta.grad = g.reshape(1).clone()
        opt.step()
        path.append(float(theta.detach()))
    steps = np.abs(np.diff(path)) / 1e-3
    print(f"amsgrad={amsgrad!s:>5}: step / eta at t = 2, 100, 1000, 2001: "
          + ", ".join(f"{steps[t - 1]:.3f}" for t in (2, 100, 1000, 2001)))

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice:** after the spike both take short steps (0.10$\eta$ at $t = 100$). Adam's grow back
# toward $\eta$ as $\beta_2$ forgets the spike (0.63$\eta$ at $t = 2001$); AMSGrad's stay short (0.29$\eta$;
# they grow only through the bias correction $\sqrt{1-\beta_2^t}$). Whether that helps depends on whether
# the spike was signal or noise; in PyTorch AMSGrad is an option, not the default.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# ### Exercise 1: Adam, with weight decay and AMSGrad
#
# Write `MyAdam`, equal to `torch.optim.Adam` with `lr`, `betas`, `eps`, `weight_decay` and `amsgrad`,
# with torch's defaults in `defaults_`. Weight decay is L2: $g \leftarrow g + \lambda\theta$ before the
# averages. With `amsgrad=True`, keep $v^{\max}_t = \max(v^{\max}_{t-1}, v_t)$ and use it in place of $v_t$
# (then correct it by $1 - \beta_2^t$). The check compares your class with torch's on four problems, one
# with the loss multiplied by $10^{-8}$, where the gradients are so small that $\sqrt{\hat v} + \epsilon$
# and $\sqrt{\hat v + \epsilon}$ give very different steps.

# %% tags=["solution"]
class MyAdam(OptimizerBase):
    hyperparameters = {"lr": Interval(0.0, math.inf), "betas": Interval(0.0, 1.0),
                       "eps": Interval(0.0, math.inf), "weight_decay": Interval(0.0, math.inf)}
    defaults_ = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False}

    def init_state(self, p, state, group):
        state["m"] = torch.zeros_like(p)
        state["v"] = torch.zeros_like(p)
        state["v_max"] = torch.zeros_like(p)

    def update_param(self, p, grad, state, group):
        (beta1, beta2), t = group["betas"], state["step"]
        if group["weight_decay"] != 0:
            grad = grad.add(p, alpha=group["weight_decay"])
        state["m"].mul_(beta1).add_(grad, alpha=1 - beta1)
        state["v"].mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        v = state["v"]
        if group["amsgrad"]:
            torch.maximum(state["v_max"], v, out=state["v_max"])
            v = state["v_max"]
        denom = (v.sqrt() / math.sqrt(1 - beta2**t)).add_(group["eps"])
        p.addcdiv_(state["m"], denom, value=-group["lr"] / (1 - beta1**t))


# %%
check_optimizer(MyAdam, torch.optim.Adam)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 2: AdamW
#
# Write `MyAdamW`, equal to `torch.optim.AdamW`: the same options, the default `weight_decay=1e-2`, and
# the decoupled decay $\theta \leftarrow \theta(1 - \eta\lambda)$ applied *before* the Adam step, which uses
# the plain gradient. (Subclassing `MyAdam` is allowed.)

# %% tags=["solution"]
class MyAdamW(MyAdam):
    defaults_ = {**MyAdam.defaults_, "weight_decay": 1e-2}

    def update_param(self, p, grad, state, group):
        p.mul_(1 - group["lr"] * group["weight_decay"])  # decoupled: theta <- theta (1 - lr lambda)
        super().update_param(p, grad, state, {**group, "weight_decay": 0.0})


# %%
check_optimizer(MyAdamW, torch.optim.AdamW)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 3: predict a first step
#
# A parameter's first gradient is $g_1 = 5 \cdot 10^{-9}$. How long is the first step of
# `torch.optim.Adam(lr=1e-3)` (default $\epsilon = 10^{-8}$)? Assign the number to `first_adam_step`.

# %% tags=["solution"]
first_adam_step = 1e-3 * 5e-9 / (5e-9 + 1e-8)

# %%
check_value(
    "Adam's first step for g_1 = 5e-9", first_adam_step, 1e-3 * 5e-9 / (5e-9 + 1e-8), rtol=1e-4,
    hints=[(1e-3, "that is the first step for a gradient much larger than eps; here |g_1| < eps, so eps "
                  "in the denominator matters: eta * g / (|g| + eps)."),
           (5e-12, "that is GD's step eta * g; Adam divides by sqrt(v_hat) + eps."),
           (1e-3 * 5e-9 / (math.sqrt(5e-9**2 + 1e-8)), "eps is added outside the square root: sqrt(v_hat) + eps."),
           (1e-3 * 5e-9 / 1e-8, "the denominator is sqrt(v_hat) + eps = |g_1| + eps, not eps alone.")],
    default_hint="at t = 1, m_hat = g_1 and v_hat = g_1^2, so the step is eta * g_1 / (|g_1| + eps).",
)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - Adam steps along $\hat m_t/(\sqrt{\hat v_t} + \epsilon)$: momentum's average of gradients divided by
#   RMSProp's root-mean-square, both bias-corrected. PyTorch adds $\epsilon$ after the root and after
#   the correction of $v$.
# - Its first step is $\eta$ per coordinate for any gradient well above $\epsilon$; later steps are
#   $\lesssim \eta$, and at most $\eta(1-\beta_1)/\sqrt{1-\beta_2} = 3.16\eta$ in the extreme case of a gradient
#   after a long silence (2.51$\eta$ measured after 1000 silent steps, 2.55$\eta$ on the pathological surface).
# - $\beta_2 = 0.999 > \beta_1 = 0.9$: a steady per-parameter scale (1.4 % fluctuation against 16.9 % for
#   $\beta_2 = 0.9$) with a direction that still responds within about 10 steps.
# - Adam's steps do not grow with the gradient: on a smooth regression momentum wins (excess loss
#   $3 \cdot 10^{-5}$ against $2 \cdot 10^{-3}$ at the same $\eta$, and still at the best $\eta$ of each); on a
#   plateau of a ReLU6 network Adam's steps do not shrink with it either, and it escapes where GD and
#   momentum stall (loss $1.5 \cdot 10^{-12}$ against 0.97 and 0.93). It does not escape a true local minimum.
# - Adam + L2 ends at the ridge solution; AdamW ends where the decay balances a step of about $\eta$:
#   different weights for the same $\lambda$. AMSGrad divides by the running maximum of $v_t$.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## References
#
# - Diederik P. Kingma and Jimmy Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015
#   (section 2.1: the bound on the step).
# - Ilya Loshchilov and Frank Hutter, "Decoupled Weight Decay Regularization", ICLR 2019 (AdamW).
# - Sashank J. Reddi, Satyen Kale and Sanjiv Kumar, "On the Convergence of Adam and Beyond", ICLR 2018 (AMSGrad).
# - Tijmen Tieleman and Geoffrey Hinton, "Lecture 6.5, rmsprop", *Neural Networks for Machine Learning*
#   (Coursera), 2012; John Duchi, Elad Hazan and Yoram Singer, "Adaptive Subgradient Methods for Online
#   Learning and Stochastic Optimization", JMLR 12, 2011 (the per-parameter scaling Adam inherits).
# - PyTorch documentation and source, `torch.optim.Adam` and `torch.optim.AdamW` (`torch/optim/adam.py`,
#   `torch/optim/adamw.py`, version 2.13).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What's next
#
# Every experiment so far used the full gradient. Notebook 05 makes it stochastic: mini-batches,
# gradient noise that shrinks like $1/B$, epochs and shuffling, and why a constant learning rate stalls
# at a noise floor, which is where the learning-rate finder (06) and schedules (07) come in.
