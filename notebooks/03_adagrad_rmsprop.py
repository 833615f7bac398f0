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
# # 03 · Adagrad and RMSProp: a learning rate for every parameter
#
# Adagrad and RMSProp give every parameter its own step size: they divide each gradient component
# by the root of a running sum (Adagrad) or average (RMSProp) of its own squared gradients.
#
# **Learning objectives**
# - Explain why one learning rate fails on a ravine whose curvatures differ by 100x.
# - Write Adagrad and RMSProp exactly as PyTorch does ($\epsilon$ outside the root, no bias correction).
# - Measure Adagrad's shrinking effective learning rate $\eta/\sqrt{s_t}$ and the stall it causes.
# - Explain what $\epsilon$ does and why RMSProp's path barely changes when the loss is scaled.
# - Recognise RMSProp's burst after a quiet stretch, and cure it with learning-rate decay.
#
# **Prerequisites:** 00 · Gradient descent, 01 · Exponentially weighted averages, 02 · Momentum.
#
# **Time to complete:** about 60 minutes

# %% [markdown] slideshow={"slide_type": "skip"}
# Gradient descent and momentum use one learning rate for all parameters. When the loss is steep
# in one direction and flat in another, that one rate has to suit the steepest direction, and the
# flat ones crawl. Adagrad and RMSProp give every parameter its own step size. This notebook
# writes both update rules next to their math, proves them equal to `torch.optim`, and measures
# what the division buys and what it costs: Adagrad's steps only ever shrink, so it stalls on long
# runs; RMSProp forgets, so it keeps moving, but a long quiet stretch can make it burst. On the way
# we look at the small constant $\epsilon$ (what goes wrong without it, and what it does with tiny
# gradients) and at the property that makes these methods robust: multiplying the loss by 1000
# barely changes their path.

# %% slideshow={"slide_type": "skip"}
import math

import numpy as np
import torch

from course_utils import (
    GD,
    PALETTE,
    Interval,
    Landscape,
    OptimizerBase,
    check_optimizer,
    fmt_diff,
    load_digits,
    max_path_difference,
    new_figure,
    plot_contour,
    plot_losses,
    quadratic,
    run_trajectory,
    setup_notebook,
    trajectory_explorer,
)
from course_utils.checks import check_rmsprop_first_step

DEVICE = setup_notebook(seed=0)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. One learning rate for every parameter
#
# **Intuition.** The ravine $\mathcal{L}(w) = \tfrac12(\lambda_0 w_0^2 + \lambda_1 w_1^2)$ has
# curvatures $\lambda_0 = 1$ (flat, along $w_0$) and $\lambda_1 = 100$ (steep, along $w_1$).
# GD multiplies the error along axis $i$ by $1 - \eta\lambda_i$ per step (notebook 00):
#
# - it diverges as soon as $|1 - \eta\lambda_1| > 1$, that is for $\eta > 2/\lambda_1 = 0.02$;
# - at such a small $\eta$ the flat direction shrinks only by $1 - 0.02 = 0.98$ per step.
#
# **The numbers:** GD for 100 steps just below and just above the limit.

# %% slideshow={"slide_type": "subslide"}
ravine = quadratic((1.0, 100.0))  # lambda_0 = 1 along w_0, lambda_1 = 100 along w_1
start = (-1.5, 0.8)
for lr in (0.019, 0.021):
    tr = run_trajectory(ravine, GD, start, 100, lr=lr)
    w0, w1 = tr.final_position
    print(f"GD lr = {lr}: after 100 steps w = ({w0:.4f}, {w1:.4g}), loss = {tr.final_loss:.4g}")
left = (1 - 0.019) ** 100
print(f"flat direction at lr = 0.019: (1 - 0.019)^100 = {left:.4f}, {100 * left:.1f} % of the start remains")
print(f"steps to shrink w_0 by 1000x at lr = 0.019: {math.log(1000) / -math.log(1 - 0.019):.0f}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice:** at $\eta = 0.019$ the steep coordinate is solved ($w_1 \approx 2 \cdot 10^{-5}$)
# while 14.7 % of the flat one is left; shrinking it 1000-fold would take 360 steps. At
# $\eta = 0.021$ the steep coordinate explodes to $10^4$. The flat direction wants a rate about
# 100 times larger than the steep one allows.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. Adagrad: divide by the root of the sum of squared gradients
#
# Give each coordinate a learning rate that is small where its gradients have been large
# (Duchi, Hazan & Singer, 2011). Per coordinate, as `torch.optim.Adagrad` (`torch/optim/adagrad.py`):
#
# $$
# s_0 = 0, \qquad s_t = s_{t-1} + g_t^2, \qquad
# \theta_t = \theta_{t-1} - \frac{\eta}{\sqrt{s_t} + \epsilon}\, g_t, \qquad \epsilon = 10^{-10}.
# $$
#
# - The **effective learning rate** $\eta / (\sqrt{s_t} + \epsilon)$ only shrinks, since $s_t$ only grows.
# - $\epsilon$ is added *outside* the square root.
# - $g_t$ enters $s_t$ *before* the division, so $|g_t| \le \sqrt{s_t}$: no step is longer than $\eta$.

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the sum is per coordinate, so the division is element-wise; a coordinate with a history of
# large gradients gets small steps. Ask why the current gradient is added before the division
# (answer: it bounds the step by eta). The full version with PyTorch's options is exercise 1.

# %% slideshow={"slide_type": "subslide"}
class SimpleAdagrad(OptimizerBase):
    """Adagrad: s_t = s_{t-1} + g_t^2, theta_t = theta_{t-1} - eta g_t / (sqrt(s_t) + eps)."""

    hyperparameters = {"lr": Interval(0.0, math.inf), "eps": Interval(0.0, math.inf)}
    defaults_ = {"lr": 1e-2, "eps": 1e-10}

    def init_state(self, p, state, group):
        state["sum"] = torch.zeros_like(p)  # s_0 = 0

    def update_param(self, p, grad, state, group):
        s = state["sum"]
        s.addcmul_(grad, grad)  # s_t = s_{t-1} + g_t^2
        p.addcdiv_(grad, s.sqrt().add_(group["eps"]), value=-group["lr"])  # theta -= eta g / (sqrt(s) + eps)


# %% slideshow={"slide_type": "subslide"}
for land, pt in ((ravine, start), (quadratic((1.0, 10.0), angle=0.5), (1.5, -1.0))):
    ours = run_trajectory(land, SimpleAdagrad, pt, 200, lr=0.5)
    theirs = run_trajectory(land, torch.optim.Adagrad, pt, 200, lr=0.5)
    print(f"{land.name}: max |SimpleAdagrad - torch.optim.Adagrad| over 200 steps: "
          f"{fmt_diff(max_path_difference(ours, theirs))}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **On the ravine.** Adagrad with $\eta = 0.5$ against the GD of section 1, 100 steps, recording
# the effective learning rate $\eta/(\sqrt{s_t}+\epsilon)$ of both coordinates at every step
# (`run_trajectory(..., record_state="sum")` keeps a copy of $s_t$ after every update).

# %%
gd = run_trajectory(ravine, GD, start, 100, lr=0.019, label="GD (lr = 0.019)")
ada = run_trajectory(ravine, SimpleAdagrad, start, 100, label="Adagrad (lr = 0.5)", record_state="sum", lr=0.5)
eff_lr = 0.5 / (np.sqrt(ada.states["sum"]) + 1e-10)  # (steps, 2): the effective learning rate of w_0 and w_1
print(f"final loss after 100 steps: GD {gd.final_loss:.3e}, Adagrad {ada.final_loss:.3e}")
for t in (1, 10, 100):
    print(f"t = {t:3d}: effective lr  w_0: {eff_lr[t - 1, 0]:.4f}   w_1: {eff_lr[t - 1, 1]:.5f}")
print(f"at t = 1: w_0's rate is {eff_lr[0, 0] / eff_lr[0, 1]:.1f} x w_1's and {eff_lr[0, 0] / 0.02:.1f} x GD's limit 0.02")
print("effective lr ever increased:", bool(np.any(np.diff(eff_lr, axis=0) > 0)))

# %% slideshow={"slide_type": "skip"}
fig, (ax0, ax1) = new_figure(1, 2, figsize=(9.5, 3.9))
plot_contour(ravine, [gd, ada], ax=ax0, xlim=(-1.7, 0.3), ylim=(-1.0, 1.0), levels=30,
             title=r"GD and Adagrad on the ravine ($\lambda$ = 1, 100)")
for i, name in enumerate(("$w_0$ (flat, $\\lambda$ = 1)", "$w_1$ (steep, $\\lambda$ = 100)")):
    ax1.plot(np.arange(1, 101), eff_lr[:, i], color=PALETTE[i], label=name)
ax1.axhline(0.02, color="black", linestyle="--", linewidth=1, label="GD's limit 2/100")
ax1.set_yscale("log")
ax1.set_xlabel("step $t$")
ax1.set_ylabel(r"$\eta / (\sqrt{s_t} + \epsilon)$ (log scale)")
ax1.set_title("Adagrad's effective rate only shrinks")
_ = ax1.legend()

# %% slideshow={"slide_type": "subslide"}
fig

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice**
# - Adagrad reaches a loss of $2 \cdot 10^{-24}$ in 100 steps where GD is at $2.4 \cdot 10^{-2}$.
# - At $t = 1$ the flat coordinate's rate (0.3333) is 53.3 times the steep one's (0.00625): the
#   inverse ratio of the first gradients, $1 \cdot 1.5$ against $100 \cdot 0.8 = 80$. It is 16.7
#   times the single rate GD could use (0.02).
# - Both rates only go down, and flatten once the gradients are tiny: the sum stops growing.

# %% [markdown] slideshow={"slide_type": "notes"}
# **A caveat: coordinates, not directions.** Adagrad rescales each *coordinate*. That cures a
# ravine whose axes are the coordinate axes, as here. When the same ravine is rotated by 45
# degrees, every coordinate sees both curvatures and a per-coordinate rate cannot separate them.

# %% slideshow={"slide_type": "notes"}
rotated = quadratic((1.0, 100.0), angle=math.pi / 4)
ada_rot = run_trajectory(rotated, SimpleAdagrad, start, 100, lr=0.5)
print(f"Adagrad, 100 steps: axis-aligned ravine loss {ada.final_loss:.2e}, rotated by 45 degrees {ada_rot.final_loss:.2e}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Adagrad stalls on long runs
#
# $s_t$ never forgets, so on a long run the steps die out even where the loss still slopes.
# With a constant gradient $|g_t| = g$:
#
# $$
# s_t = t g^2, \qquad |\theta_t - \theta_{t-1}| = \frac{\eta g}{\sqrt{t g^2}} = \frac{\eta}{\sqrt t}, \qquad
# \sum_{t \le T} \frac{\eta}{\sqrt t} \approx 2\eta\sqrt T \quad \text{whatever the slope.}
# $$
#
# **The experiment:** $\mathcal{L}(\theta) = \sqrt{1 + (\theta - 100)^2}$ (slope about 1 until
# close to $\theta = 100$), from $\theta_0 = 0$ with $\eta = 0.5$.

# %% [markdown] slideshow={"slide_type": "skip"}
# We feed the gradient to the optimizer directly (no autograd needed for one parameter) and print
# where Adagrad is after $T$ steps, next to $2\eta\sqrt T$.

# %% slideshow={"slide_type": "skip"}
def run_1d(opt_cls, grad_fn, steps, theta0=0.0, **hp):
    """Positions theta_0..theta_steps of an optimizer fed grad_fn(theta) on one parameter."""
    theta = torch.tensor([theta0], dtype=torch.float64, requires_grad=True)
    opt = opt_cls([theta], **hp)
    path = [theta0]
    for _ in range(steps):
        theta.grad = grad_fn(theta.detach())
        opt.step()
        path.append(float(theta.detach()))
    return np.array(path)


def far_slope_grad(theta):
    """Gradient of sqrt(1 + (theta - 100)^2)."""
    return (theta - 100.0) / torch.sqrt(1.0 + (theta - 100.0) ** 2)


# %% slideshow={"slide_type": "subslide"}
far_adagrad = run_1d(SimpleAdagrad, far_slope_grad, 2000, lr=0.5)
print(f"{'T':>5} {'Adagrad theta_T':>16} {'2 eta sqrt(T)':>14}")
for T in (10, 100, 1000, 2000):
    print(f"{T:5d} {far_adagrad[T]:16.2f} {2 * 0.5 * math.sqrt(T):14.2f}")
print(f"distance covered in steps 101 to 2000: {far_adagrad[2000] - far_adagrad[100]:.1f}")
print(f"steps Adagrad would need to cover 100 at this rate: (100 / (2 eta))^2 = {(100 / (2 * 0.5)) ** 2:.0f}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice:** the slope never changes, yet Adagrad covers 9.29 units in the first 100
# steps and only 34.7 more in the next 1900, tracking $2\eta\sqrt T$; it would need about 10 000
# steps to reach the minimum. RMSProp's forgetting average removes this stall (Tieleman and Hinton
# motivated it differently: rprop's sign-like steps made to work with mini-batches).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. RMSProp: an average that forgets
#
# Replace the sum by an exponentially weighted average (notebook 01) that forgets after about
# $1/(1-\beta_2)$ steps (Tieleman & Hinton, 2012, a lecture, not a paper). As `torch.optim.RMSprop`
# (`torch/optim/rmsprop.py`), whose keyword `alpha` is $\beta_2$:
#
# $$
# v_0 = 0, \qquad v_t = \beta_2\, v_{t-1} + (1-\beta_2)\, g_t^2, \qquad
# \theta_t = \theta_{t-1} - \frac{\eta}{\sqrt{v_t} + \epsilon}\, g_t.
# $$
#
# - Defaults: $\beta_2 = 0.99$ (`alpha`), $\epsilon = 10^{-8}$ (outside the root), $\eta = 10^{-2}$.
# - **No bias correction**: $v_1 = (1-\beta_2) g_1^2$, so the first step is
#   $\eta / \sqrt{1 - \beta_2} = 10\,\eta$ per coordinate.

# %% [markdown] slideshow={"slide_type": "skip"}
# Because $v_t$ starts at 0, it is too small early on by the factor $1 - \beta_2^t$ (notebook 01),
# so the first steps are long.
#
# PyTorch has two options, both part of exercise 2:
# - `centered=True` also averages the gradients, $m_t = \beta_2 m_{t-1} + (1-\beta_2)\, g_t$, and
#   divides by $\sqrt{v_t - m_t^2} + \epsilon$, an estimate of the gradient's standard deviation
#   (Graves, 2013, who adds his constant inside the root).
# - `momentum=`$\beta$ keeps a buffer of the *normalised* gradients,
#   $b_t = \beta b_{t-1} + g_t / (\sqrt{v_t} + \epsilon)$ with $b_0 = 0$, and steps
#   $\theta_t = \theta_{t-1} - \eta\, b_t$ (with `centered=True` the buffer uses the centered denominator).

# %% slideshow={"slide_type": "subslide"}
class SimpleRMSProp(OptimizerBase):
    """RMSProp: v_t = beta2 v_{t-1} + (1 - beta2) g_t^2, theta_t = theta_{t-1} - eta g_t / (sqrt(v_t) + eps)."""

    hyperparameters = {"lr": Interval(0.0, math.inf), "alpha": Interval(0.0, 1.0, high_closed=True),
                       "eps": Interval(0.0, math.inf)}
    defaults_ = {"lr": 1e-2, "alpha": 0.99, "eps": 1e-8}  # torch's keyword alpha is beta_2

    def init_state(self, p, state, group):
        state["square_avg"] = torch.zeros_like(p)  # v_0 = 0

    def update_param(self, p, grad, state, group):
        beta2, v = group["alpha"], state["square_avg"]
        v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)  # v_t = beta2 v_{t-1} + (1 - beta2) g_t^2
        p.addcdiv_(grad, v.sqrt().add_(group["eps"]), value=-group["lr"])  # no bias correction


# %% slideshow={"slide_type": "subslide"}
for land, pt in ((ravine, start), (quadratic((1.0, 10.0), angle=0.5), (1.5, -1.0))):
    ours = run_trajectory(land, SimpleRMSProp, pt, 200, lr=0.01)
    theirs = run_trajectory(land, torch.optim.RMSprop, pt, 200, lr=0.01)
    print(f"{land.name}: max |SimpleRMSProp - torch.optim.RMSprop| over 200 steps: "
          f"{fmt_diff(max_path_difference(ours, theirs))}")
first = run_trajectory(ravine, SimpleRMSProp, start, 1, lr=0.01)
print("first step |theta_1 - theta_0| / eta per coordinate:",
      np.round(np.abs(first.positions[1] - first.positions[0]) / 0.01, 4))

# %% [markdown] slideshow={"slide_type": "subslide"}
# **RMSProp on the long run.** The far-away minimum of section 3, with the same $\eta = 0.5$.

# %%
far_rmsprop = run_1d(SimpleRMSProp, far_slope_grad, 2000, lr=0.5)
print(f"{'T':>5} {'Adagrad theta_T':>16} {'RMSProp theta_T':>16}")
for T in (10, 100, 1000, 2000):
    print(f"{T:5d} {far_adagrad[T]:16.2f} {far_rmsprop[T]:16.2f}")
arrived = int(np.argmax(np.abs(far_rmsprop - 100.0) < 1.0))
slope_steps = np.diff(far_rmsprop[:91])  # steps 1..90, while theta < 90 and the slope is about 1
print(f"RMSProp's shortest step over steps 1-90: {slope_steps.min() / 0.5:.3f} eta")
print(f"RMSProp is within 1 of the minimum from step {arrived} on; "
      f"|theta - 100| at T = 2000: {fmt_diff(far_rmsprop[-1] - 100)}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice:** on the slope RMSProp's step never falls below $\eta$: its average holds the
# *recent* gradient scale (and early on $v_t = (1-\beta_2^t) g^2$ is still too small, so the steps
# are longer). It covers the 100 units in under 100 steps, where Adagrad would need about 10 000.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. What $\epsilon$ does
#
# **Without $\epsilon$, a zero gradient gives 0/0.** A parameter whose gradient is exactly 0 at
# every step has $v_t = 0$, so its update is $0/\sqrt 0 = $ nan.
#
# In scikit-learn's digits, some pixels are 0 in every training image: the weights that multiply
# them get a gradient of exactly 0. A linear softmax classifier (64 pixels to 10 classes, full
# batch) with RMSProp, $\epsilon = 0$ and PyTorch's $10^{-8}$:

# %% slideshow={"slide_type": "subslide"}
digits = load_digits()
X, y = digits.X_train.double(), digits.y_train
dead = int((X.abs().sum(dim=0) == 0).sum())
print(f"pixels that are 0 in all {len(X)} training images: {dead} ({dead * 10} weights get gradient 0)")
for eps in (0.0, 1e-8):
    torch.manual_seed(0)
    model = torch.nn.Linear(64, 10).double()
    opt = SimpleRMSProp(model.parameters(), lr=0.01, eps=eps)
    for t in range(1, 4):
        opt.zero_grad()
        (loss := torch.nn.functional.cross_entropy(model(X), y)).backward()
        opt.step()
        print(f"eps = {eps:<5g}  step {t}:  loss before {loss.item():6.4f},  nan weights after {int(model.weight.isnan().sum()):3d}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice:** with $\epsilon = 0$ the first step turns the 40 weights of the always-zero
# pixels into nan; at the next forward pass $0 \cdot \text{nan} = \text{nan}$, so every logit, the
# loss, and after the second step all 640 weights are nan. With $\epsilon = 10^{-8}$ those weights
# get $0 / (0 + 10^{-8}) = 0$ and training proceeds.

# %% [markdown] slideshow={"slide_type": "subslide"}
# **$\epsilon$ is a floor under tiny gradients.** RMSProp's first step on a coordinate is
#
# $$
# \frac{\eta\, |g|}{\sqrt{1-\beta_2}\,|g| + \epsilon} \approx
# \begin{cases} 10\,\eta & |g| \gg \epsilon/\sqrt{1-\beta_2} = 10^{-7},\\
# \eta\,|g|/\epsilon & |g| \ll 10^{-7} \quad \text{(GD with the rate } \eta/\epsilon\text{)}.\end{cases}
# $$
#
# %% slideshow={"slide_type": "subslide"}
# One step, six gradient scales, one parameter each
scales = torch.tensor([1e-12, 1e-10, 1e-8, 1e-6, 1e-2, 1e2], dtype=torch.float64)
theta = torch.zeros(6, dtype=torch.float64, requires_grad=True)
opt = SimpleRMSProp([theta], lr=0.01)
theta.grad = scales.clone()
opt.step()
for g, step in zip(scales.tolist(), (theta.detach().abs() / 0.01).tolist(), strict=True):
    print(f"|g| = {g:7.0e}:  first step / eta = {step:.4g}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice:** gradients of $10^{-6}$ and $10^{2}$ both get a step of about $10\eta$ (9.091
# and 10): above the floor RMSProp ignores the gradient's size. Below it ($10^{-10}$, $10^{-12}$)
# the step shrinks in proportion ($0.01\eta$, $0.0001\eta$), so gradients that are numerically zero
# do not produce full-size steps.

# %% [markdown] slideshow={"slide_type": "skip"}
# This is also why `check_optimizer` tests your implementations on a loss multiplied by
# $10^{-8}$: there, $\sqrt{v_t} + \epsilon$ and $\sqrt{v_t + \epsilon}$ differ by orders of magnitude.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. Scale invariance: multiply the loss by 1000
#
# Multiplying the loss by $c$ multiplies every gradient by $c$.
#
# - GD's step $\eta g$ grows by $c$: its path is the path of GD with the rate $c\eta$.
# - RMSProp's step $\eta g/(\sqrt{v_t} + \epsilon)$ has $c$ in the numerator and, through $v_t$,
#   in the denominator: the two cancel, except for $\epsilon$.
#
# Both on the ravine, and on the ravine times 1000:

# %% slideshow={"slide_type": "subslide"}
ravine_x1000 = Landscape("ravine x 1000", lambda w0, w1: 1000.0 * ravine(w0, w1), ravine.critical_points,
                         ravine.xlim, ravine.ylim)
runs = {}
for name, opt_cls, lr in (("GD", GD, 0.015), ("RMSProp", SimpleRMSProp, 0.01)):
    for land, tag in ((ravine, "loss x 1"), (ravine_x1000, "loss x 1000")):
        runs[name, tag] = run_trajectory(land, opt_cls, start, 150, lr=lr, label=f"{name}, {tag}")
for name in ("GD", "RMSProp"):
    a, b = runs[name, "loss x 1"], runs[name, "loss x 1000"]
    if b.diverged:
        print(f"{name} (lr = {0.015 if name == 'GD' else 0.01}): x 1 ends at loss {a.final_loss:.3g}; "
              f"x 1000 diverges, |w| = {np.linalg.norm(b.positions[-1]):.3g} at step {len(b) - 1}")
    else:
        dist = float(np.max(np.linalg.norm(a.positions - b.positions, axis=1)))
        print(f"{name} (lr = 0.01): largest distance between the two paths over 150 steps = {dist:.2e}")

# %% slideshow={"slide_type": "skip"}
runs["GD", "loss x 1000"].label += f" (diverged at step {len(runs['GD', 'loss x 1000']) - 1})"
fig = plot_contour(ravine, [runs[k] for k in (("GD", "loss x 1"), ("GD", "loss x 1000"), ("RMSProp", "loss x 1"))],
                   xlim=(-1.7, 0.3), ylim=(-1.0, 1.0), levels=30, colors=PALETTE[:3],
                   title="Same optimizer, loss x 1 and x 1000")
ax = fig.axes[0]
rms_big = runs["RMSProp", "loss x 1000"].positions
ax.plot(rms_big[:, 0], rms_big[:, 1], "x", color=PALETTE[3], markersize=5, label="RMSProp, loss x 1000", zorder=7)
_ = ax.legend(loc="lower right")

# %% slideshow={"slide_type": "subslide"}
fig

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice:** GD, with the rate that suits the original loss, leaves the picture after one
# step on the scaled loss and diverges. RMSProp's two paths lie on top of each other (the crosses
# sit on the green line): they differ by at most $2 \cdot 10^{-8}$, the trace of $\epsilon$.

# %% [markdown] slideshow={"slide_type": "skip"}
# A learning rate tuned for RMSProp survives a change of the loss's scale (a sum instead of a mean,
# a different number of classes); a GD or SGD learning rate does not.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. The burst after a quiet stretch, and the decay that cures it
#
# RMSProp divides by $\sqrt{v_t}$, the recent gradient scale (seed 003's picture).
#
# - Settled in a valley, the gradients are tiny and $\sqrt{v_t}$ shrinks by up to $\sqrt{\beta_2}$ per step.
# - The steep coordinate's effective rate $\eta/\sqrt{v_t}$ grows past its stability limit $2/\lambda$.
# - The error left along that direction is then amplified at every step until the gradients are
#   large again, $\sqrt{v_t}$ jumps, and the rate falls back: a **burst**.

# %% [markdown] slideshow={"slide_type": "skip"}
# **The experiment.** A ravine with curvatures 0.5 and 50, slightly rotated (0.05 rad) so that the
# coordinates interact, RMSProp with $\eta = 0.1$ for 600 steps from $(-3, 1)$. Then the same run
# with a learning rate that decays by 1 % per step, `torch.optim.lr_scheduler.ExponentialLR` with
# $\gamma = 0.99$ applied to our own optimizer (it is a `torch.optim.Optimizer`, so schedulers work):
# $\eta_t$ shrinks faster than a quiet $\sqrt{v_t}$ can, so $\eta_t/\sqrt{v_t}$ cannot grow.

# %% slideshow={"slide_type": "subslide"}
valley = quadratic((0.5, 50.0), angle=0.05)
burst_start, lr0 = (-3.0, 1.0), 0.1
const = run_trajectory(valley, SimpleRMSProp, burst_start, 600, label="RMSProp, constant lr 0.1",
                       record_state="square_avg", lr=lr0)
decay = run_trajectory(valley, SimpleRMSProp, burst_start, 600, label="RMSProp, lr 0.1 x $0.99^{t-1}$",
                       scheduler=lambda opt: torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.99),
                       record_state="square_avg", lr=lr0)

# %% slideshow={"slide_type": "subslide"}
root_v = np.sqrt(const.states["square_avg"][:, 1])  # sqrt(v_t) of the steep coordinate after update t = 1..600
cross = 1 + int(np.argmax(lr0 / (root_v + 1e-8) > 2 / 50))
quiet = int(np.argmax(const.losses < 1e-20))
burst = 50 * ((quiet + int(np.argmax(const.losses[quiet:] > 1.0))) // 50)  # a band: see below
longest = np.abs(np.diff(const.positions[50:], axis=0)).max() / lr0  # per coordinate, like the bound
print(f"constant lr: loss below 1e-20 from step {quiet}, lowest {fmt_diff(const.losses.min(), 1e-30)}")
print(f"  sqrt(v_t), steep coordinate: {root_v[49]:.2f} at step 50, {root_v[249]:.2f} at step 250")
print(f"  eta / sqrt(v_t) passes the stability limit 2/50 at step {cross}")
print(f"  burst: back above 1 between steps {burst} and {burst + 50}, peak about {const.losses[quiet:].max():.0f}")
print(f"  largest step in any coordinate after step 50: about {longest:.0f} eta (bound 1/sqrt(1 - beta_2) = 10)")
print(f"decaying lr: largest loss after step 200 {decay.losses[200:].max():.1e}, final {decay.final_loss:.2e}")

# %% slideshow={"slide_type": "skip"}
fig, (ax0, ax1) = new_figure(1, 2, figsize=(9.5, 3.9))
plot_contour(valley, [decay, const], ax=ax0, xlim=(-3.3, 0.7), ylim=(-1.2, 1.2), levels=30,
             markersize=1.5, colors=PALETTE[1::-1], title="RMSProp on a ravine ($\\lambda$ = 0.5, 50)")
_ = plot_losses([const, decay], ax=ax1, logy=True, title="Loss per step")

# %% slideshow={"slide_type": "subslide"}
fig

# %% slideshow={"slide_type": "skip"}
fig, ax = new_figure(figsize=(8.0, 3.6))
t = np.arange(1, 601)
for i, tr in enumerate((const, decay)):
    ax.plot(t, tr.lrs / (np.sqrt(tr.states["square_avg"][:, 1]) + 1e-8), color=PALETTE[i], label=tr.label)
ax.axhline(2 / 50, color="black", linestyle="--", linewidth=1, label=r"stability limit $2/\lambda$ = 0.04")
ax.set_yscale("log")
ax.set_xlabel("step $t$")
ax.set_ylabel(r"$\eta_t / (\sqrt{v_t} + \epsilon)$ (log)")
ax.set_title("Effective learning rate of the steep coordinate")
_ = ax.legend(loc="lower left")

# %% slideshow={"slide_type": "subslide"}
fig

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice**
# - With a constant rate the loss falls below $10^{-30}$, then bursts back above 1 between steps
#   250 and 300, and again later (the figure). The steep coordinate's $\sqrt{v_t}$ fell from 4.50 (step 50)
#   to 1.65 (step 250); its effective rate crossed the dashed limit at step 167. From then on the
#   error along the steep direction grew at every step, from far below the shrinking error along
#   the flat one, so the loss kept falling for a while before the burst.
# - The longest step in any coordinate after the start is about $7\eta$, under $\eta/\sqrt{1-\beta_2} = 10\eta$.
# - With the decaying rate there is no burst; the final loss is about $10^{-17}$.

# %% [markdown] slideshow={"slide_type": "skip"}
# **Why the notebook prints a band for the burst.** After the loss reaches about $10^{-38}$ the
# error left along the steep direction is of the size of a rounding error of the other coordinate.
# The burst grows from that error by a factor of about 2 per step, so the last bits of the
# arithmetic move it by a few steps (another CPU, another thread count, or a different order of
# additions shifts it). The notebook prints what does not depend on them: the loss
# falls below $10^{-30}$, the rate crosses the limit at step 167 (a smooth quantity, far from the
# rounding level), and the loss is back above 1 between steps 250 and 300. The bound on the step
# holds for every run: a new gradient $g$ after a quiet stretch still gets $v_t \ge (1-\beta_2) g^2$.

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Seed 003's root mean square, and why Adagrad cannot burst.** Seed 003 calls "Adagrad" the
# division by the root of the *mean* of the squared gradients, $\sqrt{\tfrac1t \sum_{k \le t} g_k^2}$.
#
# - That version *can* burst: after a quiet stretch $|g_t|$ over the root mean square can reach $\sqrt t$.
# - PyTorch's Adagrad divides by the root of the *sum*: $|g_t| / \sqrt{s_t} \le 1$.
# - With the seed's decay $\eta_t = \eta/\sqrt t$ the mean version *is* Adagrad:
#   $\eta_t / \sqrt{\tfrac1t \sum_k g_k^2} = \eta/\sqrt{\sum_k g_k^2}$.
#
# Checked with a `LambdaLR` schedule on the mean version (both with $\epsilon = 0$).

# %% slideshow={"slide_type": "subslide"}
class MeanSquareAdagrad(OptimizerBase):
    """Seed 003's version: theta_t = theta_{t-1} - eta g_t / sqrt(mean of g_1^2..g_t^2) (no eps)."""

    defaults_ = {"lr": 1e-2}

    def init_state(self, p, state, group):
        state["sum"] = torch.zeros_like(p)

    def update_param(self, p, grad, state, group):
        state["sum"].addcmul_(grad, grad)
        p.addcdiv_(grad, (state["sum"] / state["step"]).sqrt(), value=-group["lr"])


# %% slideshow={"slide_type": "subslide"}
mean_decayed = run_trajectory(valley, MeanSquareAdagrad, burst_start, 300, lr=0.5,
                              scheduler=lambda opt: torch.optim.lr_scheduler.LambdaLR(opt, lambda k: 1 / math.sqrt(k + 1)))
torch_adagrad = run_trajectory(valley, torch.optim.Adagrad, burst_start, 300, lr=0.5, eps=0.0)
print(f"max |mean version with eta / sqrt(t) - torch.optim.Adagrad| over 300 steps: "
      f"{fmt_diff(max_path_difference(mean_decayed, torch_adagrad))}")
ada_steps = np.abs(np.diff(torch_adagrad.positions, axis=0)).max()
print(f"Adagrad's largest step in any coordinate: {ada_steps / 0.5:.3f} x eta")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice:** the mean version with $\eta/\sqrt t$ is PyTorch's Adagrad to rounding error,
# and Adagrad never steps further than $\eta$: its cure is built in, and is also the cause of its
# stall (section 3). RMSProp needs the decay from outside, as a schedule (notebook 07).

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Explore.** Adagrad and RMSProp on the same rotated ravine, 300 steps from $(-3, 1)$: move the
# learning rate (log scale) and RMSProp's $\beta_2$ (the slider `alpha`; Adagrad ignores it). Watch
# when the bursts appear, and how a larger $\beta_2$ (a longer memory) delays them.

# %% [markdown] slideshow={"slide_type": "notes"}
# The widget needs a live kernel; the static figures above are its counterpart in the pages and slides.

# %% tags=["nbval-ignore-output"]
trajectory_explorer(
    valley,
    {"Adagrad": SimpleAdagrad, "RMSProp": SimpleRMSProp},
    burst_start, 300,
    sliders={"lr": (1e-3, 1.0, 0.1, 0.1, "log"), "alpha": (0.5, 0.999, 0.001, 0.99)},
    xlim=(-3.3, 0.7), ylim=(-1.2, 1.2), logy=True, figsize=(9.5, 3.4),
)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# ### Exercise 1: Adagrad with all of PyTorch's options
#
# Write `MyAdagrad`, equal to `torch.optim.Adagrad` with `lr`, `lr_decay`, `weight_decay`,
# `initial_accumulator_value` and `eps` (torch's defaults in `defaults_`). With $\omega$ the weight
# decay and $t$ = `state["step"]`, read `_single_tensor_adagrad` in `torch/optim/adagrad.py`:
#
# $$
# g_t \leftarrow g_t + \omega\,\theta_{t-1}, \quad \eta_t = \frac{\eta}{1 + (t-1)\,\text{lr\_decay}}, \quad
# s_t = s_{t-1} + g_t^2, \quad \theta_t = \theta_{t-1} - \eta_t \frac{g_t}{\sqrt{s_t} + \epsilon},
# $$
#
# with $s_0$ = `initial_accumulator_value`.

# %% [markdown] slideshow={"slide_type": "skip"}
# The check runs your class and torch's side by side on four problems (one with a loss scaled by
# $10^{-8}$, where the placement of $\epsilon$ shows) and names the mistake if the paths part.

# %% slideshow={"slide_type": "skip"} tags=["solution"]
class MyAdagrad(OptimizerBase):
    hyperparameters = {
        "lr": Interval(0.0, math.inf),
        "lr_decay": Interval(0.0, math.inf),
        "weight_decay": Interval(0.0, math.inf),
        "initial_accumulator_value": Interval(0.0, math.inf),
        "eps": Interval(0.0, math.inf),
    }
    defaults_ = {"lr": 1e-2, "lr_decay": 0.0, "weight_decay": 0.0, "initial_accumulator_value": 0.0,
                 "eps": 1e-10}

    def init_state(self, p, state, group):
        state["sum"] = torch.full_like(p, group["initial_accumulator_value"])

    def update_param(self, p, grad, state, group):
        if group["weight_decay"] != 0:
            grad = grad.add(p, alpha=group["weight_decay"])
        lr_t = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        state["sum"].addcmul_(grad, grad)
        p.addcdiv_(grad, state["sum"].sqrt().add_(group["eps"]), value=-lr_t)


# %% slideshow={"slide_type": "skip"}
check_optimizer(MyAdagrad, torch.optim.Adagrad)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 2: RMSProp with momentum and centering
#
# Write `MyRMSProp`, equal to `torch.optim.RMSprop` with `lr`, `alpha` ($\beta_2$), `eps`,
# `weight_decay` ($\omega$), `momentum` ($\beta$) and `centered`. Section 4's page text has the
# formulas; `torch/optim/rmsprop.py` has the order of operations. Remember: no bias correction,
# $\epsilon$ outside the square root, and the momentum buffer $b_t$ holds the *normalised* gradient.

# %% slideshow={"slide_type": "skip"} tags=["solution"]
class MyRMSProp(OptimizerBase):
    hyperparameters = {
        "lr": Interval(0.0, math.inf),
        "alpha": Interval(0.0, 1.0, high_closed=True),
        "eps": Interval(0.0, math.inf),
        "weight_decay": Interval(0.0, math.inf),
        "momentum": Interval(0.0, math.inf),
    }
    defaults_ = {"lr": 1e-2, "alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0, "momentum": 0.0,
                 "centered": False}

    def init_state(self, p, state, group):
        state["square_avg"] = torch.zeros_like(p)  # v_t
        state["grad_avg"] = torch.zeros_like(p)  # m_t (centered)
        state["momentum_buffer"] = torch.zeros_like(p)  # b_t

    def update_param(self, p, grad, state, group):
        beta2, v = group["alpha"], state["square_avg"]
        if group["weight_decay"] != 0:
            grad = grad.add(p, alpha=group["weight_decay"])
        v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        if group["centered"]:
            m = state["grad_avg"]
            m.mul_(beta2).add_(grad, alpha=1 - beta2)
            denom = (v - m * m).sqrt().add_(group["eps"])
        else:
            denom = v.sqrt().add_(group["eps"])
        if group["momentum"] > 0:
            b = state["momentum_buffer"]
            b.mul_(group["momentum"]).addcdiv_(grad, denom)
            p.add_(b, alpha=-group["lr"])
        else:
            p.addcdiv_(grad, denom, value=-group["lr"])


# %% slideshow={"slide_type": "skip"}
check_optimizer(MyRMSProp, torch.optim.RMSprop)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 3: predict RMSProp's first step
#
# A parameter's first gradient is $g_1 = 0.3$. With `torch.optim.RMSprop(lr=0.01, alpha=0.9)` (and
# the default $\epsilon$), how long is its first step $|\theta_1 - \theta_0|$? Work it out from the
# formulas, then assign the number to `first_step`.

# %% slideshow={"slide_type": "skip"} tags=["solution"]
first_step = 0.01 / math.sqrt(1 - 0.9)

# %% slideshow={"slide_type": "skip"}
check_rmsprop_first_step(first_step, lr=0.01, beta2=0.9, g1=0.3)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - One $\eta$ must suit the steepest direction ($\eta < 2/\lambda_{\max}$): the flat ones crawl.
# - Adagrad divides by $\sqrt{s_t}$ (a sum): its rate only shrinks, so it stalls ($\approx 2\eta\sqrt T$).
# - RMSProp divides by $\sqrt{v_t}$ (an average with $\beta_2 = 0.99$): it keeps moving; first step $10\eta$.
# - $\epsilon$ prevents 0/0 and is a floor under tiny gradients.
# - The path barely depends on the loss's scale; after a quiet stretch RMSProp bursts, and a decaying $\eta_t$ cures it.

# %% [markdown] slideshow={"slide_type": "skip"}
# In full:
# - One learning rate must suit the steepest direction ($\eta < 2/\lambda_{\max}$); on a ravine with
#   curvatures 1 and 100 that leaves the flat direction crawling (14.7 % left after 100 steps).
# - Adagrad divides each coordinate's gradient by $\sqrt{s_t} + \epsilon$, the root of the *sum* of its
#   squared gradients. Its effective rate $\eta/(\sqrt{s_t}+\epsilon)$ only shrinks: it solves the
#   axis-aligned ravine in 100 steps, and stalls on long runs (distance $\approx 2\eta\sqrt T$).
# - RMSProp replaces the sum by an EWMA with $\beta_2 = 0.99$ (`alpha`): it keeps moving (at least
#   $\eta$ per step on a long slope). PyTorch adds $\epsilon$ outside the root and applies no bias
#   correction, so the first step is $\eta/\sqrt{1-\beta_2} = 10\eta$. Options: `centered`,
#   `momentum` (on the normalised gradient).
# - $\epsilon$ prevents 0/0 (a digits pixel that is always 0 turns the whole model into nan without it)
#   and is a floor below which steps shrink with the gradient.
# - Dividing by the gradient scale makes the path nearly independent of the loss's scale (distance
#   $2 \cdot 10^{-8}$ between the paths for losses 1000x apart; GD diverges).
# - After a long quiet stretch, RMSProp's $\sqrt{v_t}$ shrinks and its step bursts (up to $10\eta$); a
#   learning rate that decays faster than $\sqrt{\beta_2}$ per step removes the burst.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## References
#
# - J. Duchi, E. Hazan, Y. Singer, "Adaptive Subgradient Methods for Online Learning and
#   Stochastic Optimization", *JMLR* 12, 2011 (Adagrad).
# - T. Tieleman, G. Hinton, "Lecture 6.5, rmsprop: divide the gradient by a running average of its
#   recent magnitude", *Neural Networks for Machine Learning* (Coursera), 2012.
# - A. Graves, "Generating Sequences With Recurrent Neural Networks", arXiv:1308.0850, 2013
#   (centered RMSProp).
# - Hung-yi Lee, *Machine Learning 2022* lecture notes, adaptive learning rates (seed 003).
# - PyTorch 2.13, `torch/optim/adagrad.py` and `torch/optim/rmsprop.py`.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What's next
#
# RMSProp scales each coordinate's step; momentum (notebook 02) smooths its direction. Notebook 04
# puts the two together, adds the bias correction of notebook 01 to both averages, and gets Adam:
# then asks when Adam beats momentum, when it loses, and why Adam's weight decay is not AdamW's.
