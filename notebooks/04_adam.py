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
# Adam (Kingma & Ba, 2015) is three ideas of the previous notebooks in one update: momentum,
# RMSProp's per-parameter scaling, and bias correction of both averages.
#
# **Learning objectives**
# - Write Adam's update exactly as `torch.optim.Adam` does.
# - Predict Adam's first step ($\eta$ per coordinate), bound its later steps, explain $\beta_2 > \beta_1$.
# - Explain, with measurements, when Adam loses to momentum (smooth valley) and when it wins (plateau).
# - Tell Adam's L2 weight decay from AdamW's decoupled decay by where each one ends.
#
# **Prerequisites:** 01 · Exponentially weighted averages, 02 · Momentum, 03 · Adagrad and RMSProp.
#
# **Time to complete:** about 70 minutes

# %% [markdown] slideshow={"slide_type": "skip"}
# Adam is the optimizer most deep-learning code reaches for first. It is three ideas from the
# previous notebooks in one update: the momentum of notebook 02 (an EWMA of the gradients), the
# per-parameter scaling of RMSProp from notebook 03 (an EWMA of the squared gradients), and the bias
# correction of notebook 01, applied to both averages. This notebook writes Adam next to its math
# and proves it equal to `torch.optim.Adam`; measures what the normalisation does to the step (its
# first step is $\eta$ per coordinate, whatever the gradient, and its steps are bounded); rebuilds
# the two experiments of seed 002 with correct explanations, a smooth regression where momentum
# beats Adam and a flat start of a small ReLU6 network where Adam escapes and momentum does not;
# and shows that Adam's `weight_decay` and AdamW's decoupled decay end at different weights.

# %% slideshow={"slide_type": "skip"}
import math

import numpy as np
import torch

from course_utils import (
    CriticalPoint,
    Interval,
    Landscape,
    OptimizerBase,
    check_optimizer,
    cubic_data,
    fmt_diff,
    max_path_difference,
    new_figure,
    pathological,
    plot_contour,
    plot_losses,
    run_trajectory,
    setup_notebook,
)
from course_utils.checks import check_adam_first_step

DEVICE = setup_notebook(seed=0)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. Adam = momentum + RMSProp + bias correction
#
# Momentum smooths the *direction* of the step; RMSProp sets its *scale* per parameter. Per
# coordinate, $t = 1, 2, \dots$, as `torch.optim.Adam` (`torch/optim/adam.py`):
#
# $$
# \begin{aligned}
# m_t &= \beta_1 m_{t-1} + (1-\beta_1)\, g_t, & \hat m_t &= \frac{m_t}{1-\beta_1^t} \qquad \text{(momentum, corrected)}\\
# v_t &= \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2, & \hat v_t &= \frac{v_t}{1-\beta_2^t} \qquad \text{(RMSProp's average, corrected)}\\
# \theta_t &= \theta_{t-1} - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}, & & m_0 = v_0 = 0 .
# \end{aligned}
# $$
#
# - Defaults: $\eta = 10^{-3}$, $\beta_1 = 0.9$, $\beta_2 = 0.999$, $\epsilon = 10^{-8}$.
# - $\epsilon$ is added after the root *and* after the correction: $\sqrt{v_t}/\sqrt{1-\beta_2^t} + \epsilon$.

# %% [markdown] slideshow={"slide_type": "notes"}
# Both averages start at 0, so both are corrected for the start-up bias, as in notebook 01. The two
# details in the last bullet matter for exact agreement with PyTorch; $t$ counts from 1. Weight decay
# and AMSGrad are exercise 1.

# %% slideshow={"slide_type": "subslide"}
class SimpleAdam(OptimizerBase):
    """Adam: m_t, v_t EWMAs of g_t and g_t^2; theta_t = theta_{t-1} - eta m_hat_t / (sqrt(v_hat_t) + eps)."""

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


# %% slideshow={"slide_type": "subslide"}
for lr, start in ((0.05, (-4.0, 6.0)), (0.5, (3.5, 5.0))):
    ours = run_trajectory(pathological, SimpleAdam, start, 200, lr=lr)
    theirs = run_trajectory(pathological, torch.optim.Adam, start, 200, lr=lr)
    print(f"pathological from {start}, lr {lr}: max |SimpleAdam - torch.optim.Adam| over 200 steps: "
          f"{fmt_diff(max_path_difference(ours, theirs))}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. The first step is $\eta$ per coordinate
#
# At $t = 1$: $m_1 = (1-\beta_1)g_1$ and $v_1 = (1-\beta_2)g_1^2$, so $\hat m_1 = g_1$ and $\hat v_1 = g_1^2$
# exactly, and the first step is
#
# $$
# \eta\, \frac{g_1}{|g_1| + \epsilon} \approx \eta\,\operatorname{sign}(g_1),
# $$
#
# length $\eta$ in every coordinate, whether its gradient is $10^{-6}$ or $10^{3}$ (RMSProp, without the
# correction, takes $10\eta$; notebook 03). GD's first step is $\eta g_1$.

# %% slideshow={"slide_type": "subslide"}
# A linear loss sum_i c_i theta_i whose gradients c_i span eleven orders of magnitude; one step, lr 1e-3
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

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice:** Adam's first step is $\eta$ (1.0000) for every gradient from $10^{-3}$ to $10^3$,
# and $0.99\eta$ for $10^{-6}$; only at $|g| = \epsilon = 10^{-8}$ does $\epsilon$ halve it ($0.5\eta$). GD's
# first steps span the same eleven orders of magnitude as the gradients.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. How long can an Adam step be?
#
# Ignoring $\epsilon$, the step is $\Delta_t = \eta\, \hat m_t/\sqrt{\hat v_t}$.
#
# - Kingma & Ba (2015, section 2.1): $|\Delta_t| \le \eta\,(1-\beta_1)/\sqrt{1-\beta_2}$ when
#   $(1-\beta_1) > \sqrt{1-\beta_2}$ (the defaults: $0.1 > 0.032$), and $|\Delta_t| \le \eta$ otherwise.
# - Their worst case: a gradient that was 0 at every earlier step, then is not.
# - The common case: $|\hat m_t/\sqrt{\hat v_t}| \lesssim 1$ (a mean is at most a root mean square), so
#   $|\Delta_t| \lesssim \eta$: $\eta$ sets the scale of the step, a "trust region", whatever the gradient.

# %% [markdown] slideshow={"slide_type": "skip"}
# **Their worst case, measured.** One parameter gets the gradient 0 for $T$ steps and then 1; we
# print the step at that moment. The bias correction brings the bound in only slowly: at step
# $t = T+1$ the ratio is $\frac{0.1}{1-0.9^{t}} \sqrt{\frac{1-0.999^{t}}{0.001}}$.

# %% slideshow={"slide_type": "skip"}
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


# %% slideshow={"slide_type": "subslide"}
for T in (0, 10, 100, 1000, 3000):
    t = T + 1
    formula = 0.1 / (1 - 0.9**t) * math.sqrt((1 - 0.999**t) / 0.001)
    print(f"T = {T:4d} quiet steps: step / eta = {step_after_silence(T):.4f}   (formula {formula:.4f})")
print(f"Kingma & Ba's bound: (1 - beta1) / sqrt(1 - beta2) = {0.1 / math.sqrt(0.001):.4f}, about 3.16")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **The bound is the worst *sparse* case, not the worst case.** Write $m_t$ and $v_t$ as weighted sums
# of the past gradients and apply Cauchy–Schwarz (with $\beta_1^2 < \beta_2$):
#
# $$
# \frac{|m_t|}{\sqrt{v_t}} \le \frac{1-\beta_1}{\sqrt{1-\beta_2}} \sqrt{\sum_{j=0}^{t-1} (\beta_1^2/\beta_2)^j}
# \;\le\; \frac{1-\beta_1}{\sqrt{(1-\beta_2)(1-\beta_1^2/\beta_2)}},
# $$
#
# with equality for a gradient that *grows* by $\beta_2/\beta_1 \approx 1.11$ per step; a lone gradient
# is the first term of the sum only. Measured: 1000 quiet steps, then such a ramp of $J$ steps.

# %% slideshow={"slide_type": "skip"}
beta1, beta2 = 0.9, 0.999
ratio = beta1**2 / beta2  # < 1: the sum below converges


def step_after_ramp(quiet_steps, ramp_steps, lr=1e-3):
    """|last step| / lr after quiet_steps zero gradients and ramp_steps gradients (beta2/beta1)^j."""
    theta = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = SimpleAdam([theta], lr=lr)
    for t in range(1, quiet_steps + ramp_steps + 1):
        before = float(theta.detach())
        theta.grad = torch.tensor([0.0 if t <= quiet_steps else (beta2 / beta1) ** (t - quiet_steps - 1)],
                                  dtype=torch.float64)
        opt.step()
    return abs(float(theta.detach()) - before) / lr


# %% slideshow={"slide_type": "subslide"}
print(f"beta2 / beta1 = {beta2 / beta1:.2f}; beta1^2 / beta2 = {ratio:.4f}")
for J in (1, 10, 30, 60):
    t = 1000 + J
    formula = 0.1 / math.sqrt(0.001) * math.sqrt((1 - ratio**J) / (1 - ratio)) * math.sqrt(1 - beta2**t) / (1 - beta1**t)
    print(f"ramp of J = {J:2d}: step / eta = {step_after_ramp(1000, J):.4f}   (Cauchy-Schwarz bound {formula:.4f})")
print(f"the supremum over all gradient sequences: {0.1 / math.sqrt(0.001 * (1 - ratio)):.2f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice:** after a silence the step grows toward Kingma & Ba's $3.16\eta$ (2.5153 after 1000
# quiet steps, 3.0828 after 3000), exactly as the formula says. A gradient that grows for 30 steps
# after the same silence gets $5.8253\eta$, and no sequence can exceed $7.27\eta$. So $\eta$ bounds the
# step up to a small factor, not the factor 3.16 the paper states.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. The defaults, and why $\beta_2 > \beta_1$
#
# - $\beta_1 = 0.9$: the gradient's average over about $1/(1-\beta_1) = 10$ steps; the *direction*
#   must follow the landscape as it changes (notebook 02).
# - $\beta_2 = 0.999$: the squared gradient's average over about 1000 steps; $\hat v_t$ is the
#   per-parameter *scale* every step is divided by, so it should be stable.
# - A long window is why the correction matters most for $v$: $1 - 0.999^t$ is still only 0.63 at $t = 1000$.
#
# **Measured:** 2000 noisy gradients $\tilde g_t = 0.1 + \zeta_t$, $\zeta_t \sim \mathcal N(0, 1)$; how much the
# effective learning rate $\eta/\sqrt{\hat v_t}$ fluctuates after step 100 (standard deviation over mean).

# %% slideshow={"slide_type": "subslide"}
gen = torch.Generator().manual_seed(0)
noisy = 0.1 + torch.randn(2000, generator=gen, dtype=torch.float64)
for b2 in (0.9, 0.99, 0.999):
    theta = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = SimpleAdam([theta], lr=1e-3, betas=(0.9, b2))
    eff = []
    for t, g in enumerate(noisy, start=1):
        theta.grad = g.reshape(1).clone()
        opt.step()
        v_hat = float(opt.state[theta]["exp_avg_sq"]) / (1 - b2**t)
        eff.append(1e-3 / math.sqrt(v_hat))
    eff = np.array(eff[100:])
    print(f"beta2 = {b2}: window ~{1 / (1 - b2):5.0f} steps, effective lr {eff.mean():.2e} "
          f"+- {100 * eff.std() / eff.mean():.1f} %")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice:** the same noisy gradients give a per-parameter learning rate that fluctuates by
# 16.9 % with $\beta_2 = 0.9$, 4.8 % with 0.99 and 1.4 % with 0.999. With $\beta_2 = 0.999$ the scale is
# steady while the direction, with $\beta_1 = 0.9$, still responds within about 10 steps.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Adam on the pathological surface at several learning rates
#
# $\mathcal{L}(w_0, w_1) = \tanh^2 w_0 + 0.01|w_1| + \operatorname{sigmoid}(w_1)$ (notebook 00):
#
# - a plateau for large $|w_0|$ (where $\tanh^2$ saturates), a slope of about 0.01 for large $|w_1|$;
# - a kink at $w_1 = 0$ and one minimum at $(0, -4.585)$.
#
# Adam from the plateau at $(-4, 6)$, 300 steps at four learning rates: the final loss and the longest
# step in any coordinate, in units of $\eta$.

# %% slideshow={"slide_type": "subslide"}
adam_runs = []
for lr in (0.01, 0.05, 0.2, 1.0):
    tr = run_trajectory(pathological, SimpleAdam, (-4.0, 6.0), 300, lr=lr, label=f"Adam, lr = {lr}")
    longest = np.abs(np.diff(tr.positions, axis=0)).max() / lr
    w0, w1 = (round(float(w), 3) + 0.0 for w in tr.final_position)  # + 0.0: never print -0.000
    print(f"lr = {lr:4}: final loss {tr.final_loss:.4f} at ({w0:.3f}, {w1:.3f}); longest step {longest:.2f} x lr")
    adam_runs.append(tr)
print(f"minimum: loss {float(pathological(0.0, -4.585)):.4f} at (0, -4.585)")

# %% slideshow={"slide_type": "skip"}
fig, (ax0, ax1) = new_figure(1, 2, figsize=(9.5, 3.9))
plot_contour(pathological, adam_runs, ax=ax0, title="Adam from (-4, 6), 300 steps")
_ = plot_losses(adam_runs, ax=ax1, title="Loss at each recorded point")

# %% slideshow={"slide_type": "subslide"}
fig

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice**
# - The speed is set by $\eta$, not by the slope: at $\eta = 0.01$ Adam moves about 4 units in each
#   coordinate and ends at a loss of 0.8504, still on the way down; from $\eta = 0.2$ on it reaches the
#   minimum (loss 0.0560).
# - The longest step exceeds $\eta$ (2.55$\eta$ at $\eta = 0.01$): leaving the plateau, the $w_0$-gradient
#   grows after many tiny ones, and $\hat m_t$ (a 10-step memory) grows faster than $\sqrt{\hat v_t}$
#   (1000 steps): the situation of section 3.
# - At $\eta = 1$ the steps are as long as the plateau is wide, and Adam still ends at the minimum.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. When momentum beats Adam: a smooth regression (seed 002, experiment 1)
#
# - Twenty points $y = 3x^3 + 2x + \text{noise}$, $x \sim U(-2, 2)$ (`course_utils.cubic_data`).
# - The model $f(x) = a x^3 + b x$ with mean squared error: a quadratic in $(a, b)$, a smooth,
#   elongated valley with one minimum, the least-squares solution.
# - As in seed 002: start at $(a, b) = (2.6, 1.6)$; GD, momentum ($\beta = 0.9$) and Adam with the same
#   $\eta = 0.01$ for 100 steps. We print the excess loss $\mathcal L - \mathcal L^*$ over the minimum.

# %% slideshow={"slide_type": "subslide"}
X, y = cubic_data()  # columns x^3 and x; 20 points
a_star, b_star = torch.linalg.lstsq(X, y[:, None]).solution.squeeze().tolist()


def cubic_loss(a, b):
    """MSE of f(x) = a x^3 + b x; a and b may be grids (broadcast over the data in the last axis)."""
    pred = torch.as_tensor(a)[..., None] * X[:, 0] + torch.as_tensor(b)[..., None] * X[:, 1]
    return ((pred - y) ** 2).mean(dim=-1)


cubic = Landscape("cubic regression", cubic_loss, [CriticalPoint(a_star, b_star, "minimum")],
                  xlim=(2.4, 3.3), ylim=(1.4, 2.3), formula=r"MSE of $a x^3 + b x$")
L_star = float(cubic_loss(a_star, b_star))
hessian_eigs = torch.linalg.eigvalsh(2 * X.T @ X / len(X)).tolist()
print(f"least squares: a* = {a_star:.4f}, b* = {b_star:.4f}, L* = {L_star:.5f}")
print(f"Hessian eigenvalues {hessian_eigs[0]:.3f}, {hessian_eigs[1]:.3f} (kappa = {hessian_eigs[1] / hessian_eigs[0]:.0f})")

# %% slideshow={"slide_type": "subslide"}
contenders = {"GD": (torch.optim.SGD, {}), "momentum": (torch.optim.SGD, {"momentum": 0.9}), "Adam": (SimpleAdam, {})}
cubic_runs = {name: run_trajectory(cubic, cls, (2.6, 1.6), 100, lr=0.01, label=f"{name} (lr = 0.01)", **hp)
              for name, (cls, hp) in contenders.items()}
print(f"{'':>8} {'excess loss at 25':>17} {'at 100':>8} {'first step / eta':>17} {'longest':>8} {'largest b':>9}")
for name, tr in cubic_runs.items():
    steps = np.abs(np.diff(tr.positions, axis=0)) / 0.01
    print(f"{name:>8} {tr.losses[25] - L_star:17.1e} {tr.losses[100] - L_star:8.1e} "
          f"{f'({steps[0, 0]:.2f}, {steps[0, 1]:.2f})':>17} {steps.max():8.2f} {tr.positions[:, 1].max():9.3f}")

# %% slideshow={"slide_type": "skip"}
fig, (ax0, ax1) = new_figure(1, 2, figsize=(9.5, 3.9))
plot_contour(cubic, list(cubic_runs.values()), ax=ax0, levels=30, markersize=2.0,
             title="The loss over (a, b)")
ax0.set_xlabel("$a$ (coefficient of $x^3$)")
ax0.set_ylabel("$b$ (coefficient of $x$)")
_ = plot_losses({tr.label: tr.losses - L_star for tr in cubic_runs.values()}, ax=ax1, logy=True,
                ylabel=r"excess loss $\mathcal{L} - \mathcal{L}^*$", title="Excess loss per step")

# %% slideshow={"slide_type": "subslide"}
fig

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice, and why.** Seed 002 blames Adam's slowness on large early gradients that keep its
# learning rates low. The numbers say otherwise:
# - Adam's steps are not small: exactly $\eta$ at first, near $\eta$ after. They do not *grow with the
#   gradient*: GD's first step is (4.49, 1.87)$\eta$, and momentum's grow to 11.70$\eta$ along the valley.
# - Adam still moves about $\eta$ per step when it reaches the minimum's level: $b$ overshoots to 1.978
#   (the minimum is at 1.8501).
# - After 100 steps: $3 \cdot 10^{-5}$ for momentum, $4 \cdot 10^{-4}$ for GD, $2 \cdot 10^{-3}$ for Adam.

# %% [markdown] slideshow={"slide_type": "skip"}
# Adam moves both coordinates by about $\eta$ per step whatever the valley's shape (a diagonal path at
# first). Its steps shrink only as $\hat m_t$ averages out, and the slowly-forgetting $\hat v_t$ keeps them
# short afterwards. On a smooth, well-scaled problem whose gradients carry reliable size information,
# normalising that information away costs speed.

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

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice:** tuning narrows the gap but does not close it: momentum's best ($3.0 \cdot 10^{-7}$
# at $\eta = 0.02$) is 6 times lower than Adam's best ($1.9 \cdot 10^{-6}$ at $\eta = 0.1$), and even GD's
# best ($5.0 \cdot 10^{-7}$) beats Adam's. (Momentum's row is not monotone: at some rates 100 steps end in
# the middle of an oscillation.)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. When Adam wins: a flat start in a small ReLU6 network (seed 002, experiment 2)
#
# - The network: $x \mapsto$ `Linear(1, 2, bias=False)` $\to$ ReLU6 $\to$ `Linear(2, 5)` $\to$ ReLU6 $\to$
#   `Linear(5, 1)`, with $\text{ReLU6}(z) = \min(\max(z, 0), 6)$.
# - A teacher of this shape, first-layer weights $w^* = (2, -1.5)$, labels 100 inputs $x \sim U(-3, 3)$.
# - The student trains only its two first-layer weights $w = (w_0, w_1)$: a loss we can draw, 0 at $w^*$.
# - **The plateau:** unit $i$ computes $\text{ReLU6}(w_i x)$; only inputs with $0 < w_i x < 6$, a band of
#   width $6/|w_i|$, pass a gradient. We start at $w = (-8, 8)$.

# %% [markdown] slideshow={"slide_type": "skip"}
# The teacher has PyTorch's default initialisation with seed 1, except its first-layer weights, which
# are set to $w^*$. The student is the teacher with its two first-layer weights replaced: everything
# else stays at the teacher's values, so the loss is a function of two numbers, with its minimum
# (loss 0) at $w^*$. When $|w_i|$ is large, $w_i x$ is above 6 (saturated) or below 0 (dead) for almost
# every input.

# %% slideshow={"slide_type": "skip"}
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


def relu6_loss(w0, w1):
    """MSE of the network with first-layer weights (w0, w1); w0, w1 may be grids (broadcast)."""
    h = torch.stack([torch.clamp(torch.as_tensor(w0)[..., None] * x_data, 0, 6),
                     torch.clamp(torch.as_tensor(w1)[..., None] * x_data, 0, 6)], dim=-1)  # (..., 100, 2)
    out = torch.clamp(h @ W2.T + b2, 0, 6) @ W3.T + b3  # (..., 100, 1)
    return ((out.squeeze(-1) - y_data) ** 2).mean(dim=-1)


relu_net = Landscape("ReLU6 network", relu6_loss, [CriticalPoint(2.0, -1.5, "minimum")],
                     xlim=(-10.0, 10.0), ylim=(-10.0, 10.0), formula="MSE over the first-layer weights")

# %% slideshow={"slide_type": "subslide"}
student = torch.nn.Sequential(*[layer for layer in teacher])  # shares the teacher's layers ...
student[0] = torch.nn.Linear(1, 2, bias=False).double()  # ... except a new first layer
with torch.no_grad():
    student[0].weight.copy_(torch.tensor([[-8.0], [8.0]]))
    module_loss = float(((student(x_data[:, None]).squeeze(1) - y_data) ** 2).mean())
print(f"loss at w*: {fmt_diff(relu6_loss(2.0, -1.5))}; at (-8, 8): vectorised {float(relu6_loss(-8.0, 8.0)):.6f}, "
      f"nn.Module {module_loss:.6f}")
w_start = torch.tensor([-8.0, 8.0], dtype=torch.float64, requires_grad=True)
relu6_loss(w_start[0], w_start[1]).backward()
band = ((x_data * -8.0 > 0) & (x_data * -8.0 < 6)).float().mean()
print(f"at w = (-8, 8): gradient ({w_start.grad[0]:.1e}, {w_start.grad[1]:.1e}); "
      f"{100 * float(band):.0f} % of the inputs are in unit 0's linear band")

# %% slideshow={"slide_type": "subslide"}
relu_contenders = {"GD": (torch.optim.SGD, {}), "momentum": (torch.optim.SGD, {"momentum": 0.9}),
                   "Adam": (SimpleAdam, {})}
relu_runs = {name: run_trajectory(relu_net, cls, (-8.0, 8.0), 300, lr=0.1, label=f"{name} (lr = 0.1)", **hp)
             for name, (cls, hp) in relu_contenders.items()}
for name, tr in relu_runs.items():
    w0, w1 = tr.final_position
    below = f"loss < 0.1 from step {int(np.argmax(tr.losses < 0.1))}" if (tr.losses < 0.1).any() else "loss never < 0.1"
    print(f"{name:>8}: final loss {tr.final_loss:.2e}, w = ({w0:.3f}, {w1:.3f}), moved {math.hypot(w0 + 8, w1 - 8):.2f}, "
          f"{below}")

# %% slideshow={"slide_type": "skip"}
fig, (ax0, ax1) = new_figure(1, 2, figsize=(9.5, 3.9))
plot_contour(relu_net, list(relu_runs.values()), ax=ax0, n=100, log_scale=True, markersize=2.0,
             title="Loss over the first-layer weights")
_ = plot_losses(list(relu_runs.values()), ax=ax1, logy=True, title="Loss per step (GD, momentum overlap)")

# %% slideshow={"slide_type": "subslide"}
fig

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice, and why.** At $(-8, 8)$ 15 % of the inputs are in unit 0's band and the gradient is
# $(-2 \cdot 10^{-3}, 6 \cdot 10^{-3})$.
# - GD's step is $\eta$ times that: after 300 steps it has moved 0.19 and the loss is still 0.97.
# - Momentum's steps are up to ten times longer: it moves 2.81, mostly along $w_1$ (to $w_1 = 5.250$), but
#   stays on the plateau, at a loss of 0.93.
# - Adam divides the tiny gradient by its own tiny scale and steps about $\eta$ per coordinate: its loss
#   is below 0.1 from step 62, and it reaches the teacher's weights.

# %% [markdown] slideshow={"slide_type": "skip"}
# The property that cost Adam speed in section 6, steps that ignore the gradient's size, is what saves
# it here.

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Is the start special?** The same comparison from the four corners of the plateau, each
# optimizer's four runs computed as one batch.

# %% slideshow={"slide_type": "skip"}
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


# %% slideshow={"slide_type": "subslide"}
corners = [(-8.0, 8.0), (8.0, -8.0), (-8.0, -8.0), (8.0, 8.0)]
batched = {name: run_from_starts(cls, corners, 300, lr=0.1, **hp) for name, (cls, hp) in relu_contenders.items()}
same = max(float(np.abs(batched[n][0][0].numpy() - relu_runs[n].final_position).max()) for n in relu_runs)
print(f"batch row (-8, 8) against the single runs above: max |difference| {fmt_diff(same)}")

# %% slideshow={"slide_type": "subslide"}
print(f"{'start':>12} {'at start':>9} {'GD':>9} {'momentum':>9} {'Adam':>9}   (loss, 300 steps, lr = 0.1)")
for k, corner in enumerate(corners):
    print(f"{str(corner):>12} {float(batched['GD'][1][0, k]):9.2e} "
          + " ".join(f"{float(batched[n][1][-1, k]):9.2e}" for n in relu_contenders))
mom = batched["momentum"][1][:, 1]
print(f"momentum from (8, -8): loss {float(mom[200]):.3f} at step 200, {float(mom[300]):.3f} at step 300")
w_stuck = batched["Adam"][0][3].clone().requires_grad_()
relu6_loss(w_stuck[0], w_stuck[1]).backward()
print(f"Adam from (8, 8) ends at w = ({w_stuck[0]:.3f}, {w_stuck[1]:.3f}), gradient norm there "
      f"{fmt_diff(w_stuck.grad.norm(), 1e-8)}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice**
# - Adam reaches the teacher from three of the four corners; GD stays on the plateau from all four.
# - Momentum stays from three; from $(8, -8)$ it leaves only after about 200 steps (loss 0.192 at
#   step 200, 0.012 at step 300).
# - From $(8, 8)$ Adam stops at $(5.198, 7.278)$, loss $7.23 \cdot 10^{-2}$, gradient below $10^{-8}$: a local minimum
#   inside the plateau. Adam escapes *flat* regions by rescaling small gradients; it does not escape
#   minima, where the gradient is zero.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 8. Weight decay: Adam's L2 is not AdamW's decoupled decay
#
# With $\omega$ the weight decay (`weight_decay`):
#
# - `torch.optim.Adam` adds the L2 gradient, $g_t \leftarrow g_t + \omega\,\theta_{t-1}$, *before* the
#   averages: the decay is divided by $\sqrt{\hat v_t}$ like everything else. It stops where
#   $\nabla\mathcal L + \omega\theta = 0$: the minimiser of $\mathcal L + \tfrac\omega2\|\theta\|^2$ (here, ridge regression).
# - `torch.optim.AdamW` (Loshchilov & Hutter, 2019) shrinks the weights directly,
#   $\theta \leftarrow \theta(1 - \eta\omega)$, then takes the Adam step on the plain gradient. It stops
#   where $\omega\theta = -\hat m_t/(\sqrt{\hat v_t} + \epsilon)$.

# %% [markdown] slideshow={"slide_type": "skip"}
# With a steady gradient $\hat m_t/\sqrt{\hat v_t} \approx \pm 1$, so under AdamW a weight settles at
# $|\theta_i| \approx 1/\omega$ if the loss pulls it further out; a weight whose unregularised optimum
# lies inside $1/\omega$ is barely decayed at all, since a tiny gradient is enough to balance the shrink.
#
# **Measured** on the cubic regression, from $(2.6, 1.6)$ with $\eta = 0.01$, for two values of $\omega$.
# The loss is quadratic, so its gradient is $H\theta - \tfrac2N X^\top y$ with $H = \tfrac2N X^\top X$; we
# feed it directly (the same numbers autograd gives, without its cost over 1500 steps).

# %% slideshow={"slide_type": "skip"}
H = 2 * X.T @ X / len(X)
Xty = 2 * X.T @ y / len(X)  # the gradient is H theta - Xty


def run_with_decay(opt_cls, omega, steps=1500):
    """(a, b) after `steps` steps of opt_cls(lr=0.01, weight_decay=omega) from (2.6, 1.6) on the cubic regression."""
    w = torch.tensor([2.6, 1.6], dtype=torch.float64, requires_grad=True)
    opt = opt_cls([w], lr=0.01, weight_decay=omega)
    for _ in range(steps):
        w.grad = H @ w.detach() - Xty
        opt.step()
    return w.detach()


# %% slideshow={"slide_type": "subslide"}
print(f"no decay (least squares): a = {a_star:.4f}, b = {b_star:.4f}")
for omega in (0.1, 1.0):
    ridge = torch.linalg.solve(H + omega * torch.eye(2, dtype=torch.float64), Xty)
    print(f"omega = {omega}: ridge solution a = {ridge[0]:.4f}, b = {ridge[1]:.4f};  1/omega = {1 / omega:g}")
    for opt_cls in (torch.optim.Adam, torch.optim.AdamW):
        end = run_with_decay(opt_cls, omega)
        print(f"  {opt_cls.__name__:>5}, 1500 steps: a = {end[0]:.4f}, b = {end[1]:.4f}  (distance to ridge "
              f"{float((end - ridge).norm()):.4f}, to least squares {math.hypot(end[0] - a_star, end[1] - b_star):.4f})")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice**
# - Adam + L2 lands on the ridge solution to four decimals for both $\omega$.
# - AdamW with $\omega = 1$ pulls both weights to about $1/\omega = 1$ (1.0545 and 1.0558), far below the
#   ridge solution (2.8893, 1.3462): the gradient keeps its sign and the decay balances a step of about $\eta$.
# - AdamW with $\omega = 0.1$: both least-squares weights are inside $1/\omega = 10$, so a tiny gradient
#   balances the decay: 0.06 from the unregularised solution, 0.18 from the ridge solution.
# - Same $\omega$, different weights: a weight decay tuned for one is not right for the other.

# %% [markdown] slideshow={"slide_type": "skip"}
# After 1500 steps AdamW with $\omega = 0.1$ is still moving toward the unregularised solution
# (3.0339, 1.8501). In deep learning, where gradients are noisy and $\hat m_t/\sqrt{\hat v_t}$ is far from
# $\pm 1$, AdamW's decay acts on every weight at the same relative rate $\eta\omega$, independent of its
# gradient history; Loshchilov & Hutter found that this decoupled decay generalises better than L2 in Adam.
#
# **PyTorch's AdamW is not exactly the paper's.** In Loshchilov & Hutter's Algorithm 2 the decay term
# $\omega\,\theta_{t-1}$ is multiplied only by the schedule multiplier, not by the learning rate: the
# decay is decoupled from $\eta$ too. `torch.optim.AdamW` multiplies it by `lr`,
# $\theta \leftarrow \theta(1 - \eta\omega)$, so in PyTorch changing $\eta$ changes the decay per step as
# well; the paper's coefficient corresponds to torch's $\eta\omega$.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 9. AMSGrad in a paragraph
#
# - Reddi, Kale & Kumar (2018): simple convex problems on which Adam does not converge. A rare large
#   gradient raises $v_t$, $\beta_2$ forgets it, the effective rate grows back, and the frequent small
#   gradients pull the parameter the wrong way.
# - AMSGrad (`torch.optim.Adam(amsgrad=True)`) divides by the running *maximum* $\max_{k \le t} v_k$
#   (PyTorch then applies the bias correction): a large gradient is never forgotten.
#
# One gradient of 10, then 2000 gradients of 0.1:

# %% slideshow={"slide_type": "subslide"}
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

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice:** after the spike both take short steps (about $0.1\eta$ at $t = 100$). Adam's grow
# back toward $\eta$ as $\beta_2$ forgets the spike ($0.625\eta$ at $t = 2001$); AMSGrad's stay short
# ($0.294\eta$; they grow only through the bias correction $\sqrt{1-\beta_2^t}$). Whether that helps
# depends on whether the spike was signal or noise; in PyTorch AMSGrad is an option, not the default.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# ### Exercise 1: Adam, with weight decay and AMSGrad
#
# Write `MyAdam`, equal to `torch.optim.Adam` with `lr`, `betas`, `eps`, `weight_decay` ($\omega$) and
# `amsgrad`, with torch's defaults in `defaults_`.
#
# - Weight decay is L2: $g_t \leftarrow g_t + \omega\,\theta_{t-1}$ before the averages.
# - With `amsgrad=True`, keep $v^{\max}_t = \max(v^{\max}_{t-1}, v_t)$ and use it in place of $v_t$
#   (then correct it by $1 - \beta_2^t$).

# %% [markdown] slideshow={"slide_type": "skip"}
# The check compares your class with torch's on four problems, one with the loss multiplied by
# $10^{-8}$, where the gradients are so small that $\sqrt{\hat v_t} + \epsilon$ and $\sqrt{\hat v_t + \epsilon}$
# give very different steps.

# %% slideshow={"slide_type": "skip"} tags=["solution"]
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


# %% slideshow={"slide_type": "skip"}
check_optimizer(MyAdam, torch.optim.Adam)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 2: AdamW
#
# Write `MyAdamW`, equal to `torch.optim.AdamW`: the same options, the default `weight_decay=1e-2`, and
# the decoupled decay $\theta \leftarrow \theta(1 - \eta\omega)$ applied *before* the Adam step, which uses
# the plain gradient. (Subclassing `MyAdam` is allowed.)

# %% slideshow={"slide_type": "skip"} tags=["solution"]
class MyAdamW(MyAdam):
    defaults_ = {**MyAdam.defaults_, "weight_decay": 1e-2}

    def update_param(self, p, grad, state, group):
        p.mul_(1 - group["lr"] * group["weight_decay"])  # decoupled: theta <- theta (1 - lr omega)
        super().update_param(p, grad, state, {**group, "weight_decay": 0.0})


# %% slideshow={"slide_type": "skip"}
check_optimizer(MyAdamW, torch.optim.AdamW)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 3: predict a first step
#
# A parameter's first gradient is $g_1 = 5 \cdot 10^{-9}$. How long is the first step of
# `torch.optim.Adam(lr=1e-3)` (default $\epsilon = 10^{-8}$)? Assign the number to `first_adam_step`.

# %% slideshow={"slide_type": "skip"} tags=["solution"]
first_adam_step = 1e-3 * 5e-9 / (5e-9 + 1e-8)

# %% slideshow={"slide_type": "skip"}
check_adam_first_step(first_adam_step, lr=1e-3, g1=5e-9)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - Adam steps along $\hat m_t/(\sqrt{\hat v_t} + \epsilon)$: momentum's average divided by RMSProp's root, both corrected.
# - First step $\eta$ per coordinate; later steps about $\eta$, at most a small multiple of it.
# - $\beta_2 = 0.999 > \beta_1 = 0.9$: a steady scale, a responsive direction.
# - Smooth regression: momentum wins. Plateau: Adam escapes where GD and momentum stall.
# - Adam + L2 ends at the ridge solution; AdamW elsewhere. AMSGrad never forgets a large $v_t$.

# %% [markdown] slideshow={"slide_type": "skip"}
# In full:
# - Adam steps along $\hat m_t/(\sqrt{\hat v_t} + \epsilon)$: momentum's average of gradients divided by
#   RMSProp's root-mean-square, both bias-corrected. PyTorch adds $\epsilon$ after the root and after
#   the correction of $v_t$.
# - Its first step is $\eta$ per coordinate for any gradient well above $\epsilon$. Kingma & Ba bound the
#   later steps by $\eta(1-\beta_1)/\sqrt{1-\beta_2} = 3.16\eta$ (2.5153$\eta$ measured after 1000 silent
#   steps, 2.55$\eta$ on the pathological surface); that is the worst *sparse* case: a gradient that grows
#   after a silence reaches $5.8253\eta$, and no sequence exceeds $7.27\eta$.
# - $\beta_2 = 0.999 > \beta_1 = 0.9$: a steady per-parameter scale (1.4 % fluctuation against 16.9 % for
#   $\beta_2 = 0.9$) with a direction that still responds within about 10 steps.
# - Adam's steps do not grow with the gradient: on a smooth regression momentum wins (excess loss
#   $3 \cdot 10^{-5}$ against $2 \cdot 10^{-3}$ at the same $\eta$, and still at the best $\eta$ of each); on a
#   plateau of a ReLU6 network Adam's steps do not shrink with it either, and it escapes where GD and
#   momentum stay (loss 0.97 and 0.93). It does not escape a true local minimum.
# - Adam + L2 ends at the ridge solution; AdamW ends where the decay balances a step of about $\eta$:
#   different weights for the same $\omega$. AMSGrad divides by the running maximum of $v_t$.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## References
#
# - D. P. Kingma, J. Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015 (section 2.1: the step bound).
# - I. Loshchilov, F. Hutter, "Decoupled Weight Decay Regularization", ICLR 2019 (AdamW).
# - S. J. Reddi, S. Kale, S. Kumar, "On the Convergence of Adam and Beyond", ICLR 2018 (AMSGrad).
# - T. Tieleman, G. Hinton, "Lecture 6.5, rmsprop", Coursera, 2012; J. Duchi, E. Hazan, Y. Singer,
#   "Adaptive Subgradient Methods ...", JMLR 12, 2011 (the per-parameter scaling Adam inherits).
# - Seed 002: a blog post comparing GD, momentum and Adam on a cubic regression and a ReLU6 network.
# - PyTorch 2.13, `torch/optim/adam.py` and `torch/optim/adamw.py`.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What's next
#
# Every experiment so far used the full gradient. Notebook 05 makes it stochastic: mini-batches,
# gradient noise whose variance shrinks like $1/B$, epochs and shuffling, and why a constant learning
# rate stalls at a noise floor, which is where the learning-rate finder (06) and schedules (07) come in.
