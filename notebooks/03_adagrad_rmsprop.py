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
# Gradient descent and momentum use one learning rate for all parameters. When the loss is steep
# in one direction and flat in another, that one rate has to suit the steepest direction, and the
# flat ones crawl. Adagrad and RMSProp give every parameter its own step size: they divide each
# gradient component by the root of a running sum (Adagrad) or a running average (RMSProp) of its
# own squared gradients. This notebook writes both update rules next to their math, proves them
# equal to `torch.optim`, and measures what the division buys and what it costs: Adagrad's
# steps only ever shrink, so it stalls on long runs; RMSProp forgets, so it keeps moving, but a
# long quiet stretch can make it burst. On the way we look at the small constant $\epsilon$ (what
# goes wrong without it, and what it does with tiny gradients) and at the property that makes
# these methods robust: multiplying the loss by 1000 barely changes their path.
#
# **Learning objectives**
# - Explain why a single learning rate fails on a ravine whose curvatures differ by 100x.
# - Write Adagrad ($s_t = s_{t-1} + g_t^2$) and RMSProp ($v_t = \alpha v_{t-1} + (1-\alpha) g_t^2$)
#   exactly as PyTorch implements them (eps outside the square root, no bias correction).
# - Measure Adagrad's shrinking effective learning rate $\eta/\sqrt{s_t}$ and the stall it causes.
# - Explain what $\epsilon$ does (0/0 = nan without it; a floor under tiny gradients) and why
#   RMSProp's path barely changes when the loss is scaled.
# - Recognise the burst after a long run of small gradients, and cure it with learning-rate decay.
#
# **Prerequisites:** 00 · Gradient descent, 01 · Exponentially weighted averages, 02 · Momentum.
#
# **Time to complete:** about 60 minutes

# %%
import math

import numpy as np
import torch

from course_utils import (
    GD,
    PALETTE,
    Interval,
    Landscape,
    OptimizerBase,
    Trajectory,
    check_optimizer,
    check_value,
    fmt_diff,
    load_digits,
    new_figure,
    plot_contour,
    plot_losses,
    quadratic,
    run_trajectory,
    setup_notebook,
    trajectory_explorer,
)

DEVICE = setup_notebook(seed=0)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. One learning rate for every parameter
#
# **Intuition.** Take the ravine $\mathcal{L}(w) = \tfrac12(\lambda_0 w_0^2 + \lambda_1 w_1^2)$ with
# curvatures $\lambda_0 = 1$ (flat, along $w_0$) and $\lambda_1 = 100$ (steep, along $w_1$). GD
# multiplies the error along each axis by $1 - \eta\lambda_i$ per step (notebook 00). It diverges as
# soon as $|1 - \eta\lambda_1| > 1$, that is for $\eta > 2/\lambda_1 = 0.02$, and at such a small
# $\eta$ the flat direction shrinks by only $1 - 0.02 = 0.98$ per step.
#
# **The numbers.** GD for 100 steps just below and just above the limit.

# %%
ravine = quadratic((1.0, 100.0))  # lambda_0 = 1 along w_0, lambda_1 = 100 along w_1
start = (-1.5, 0.8)
for lr in (0.019, 0.021):
    tr = run_trajectory(ravine, GD, start, 100, lr=lr)
    w0, w1 = tr.final_position
    print(f"GD lr = {lr}: after 100 steps w = ({w0:.4f}, {w1:.4g}), loss = {tr.final_loss:.4g}")
print(f"flat direction at lr = 0.019: (1 - 0.019)^100 = {(1 - 0.019) ** 100:.4f} of the start remains")
print(f"steps to shrink w_0 by 1000x at lr = 0.019: {math.log(1000) / -math.log(1 - 0.019):.0f}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice:** at $\eta = 0.019$ the steep coordinate is solved ($w_1 \approx 2 \cdot 10^{-5}$)
# while 14.7 % of the flat one is left after 100 steps; shrinking it 1000-fold would take 360 steps.
# At $\eta = 0.021$ the steep coordinate explodes to $10^4$. No single $\eta$ suits both
# directions: the flat one wants a rate about 100 times larger than the steep one allows.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. Adagrad: divide by the root of the sum of squared gradients
#
# **Intuition.** Give each coordinate its own learning rate, small where gradients have been large
# and large where they have been small. Adagrad (Duchi, Hazan & Singer, 2011) keeps, for every
# parameter, the sum of all its squared gradients so far, and divides the step by its root.
#
# **The math** (per coordinate, as `torch.optim.Adagrad`; read `torch/optim/adagrad.py`):
#
# $$
# s_0 = 0, \qquad s_t = s_{t-1} + g_t^2, \qquad
# \theta_t = \theta_{t-1} - \frac{\eta}{\sqrt{s_t} + \epsilon}\, g_t, \qquad \epsilon = 10^{-10}.
# $$
#
# The **effective learning rate** of a coordinate is $\eta_t^{\text{eff}} = \eta / (\sqrt{s_t} + \epsilon)$.
# Since $s_t$ only grows, it only shrinks. Two details of PyTorch's version: $\epsilon$ is added
# *outside* the square root, and the current gradient is added to the sum *before* the division,
# so $|g_t| \le \sqrt{s_t}$ and no step is longer than $\eta$ per coordinate.
#
# **The code.** The rule on the course template (no weight decay or learning-rate decay yet:
# the full version is exercise 1).

# %%
class SimpleAdagrad(OptimizerBase):
    """Adagrad: s_t = s_{t-1} + g_t^2, theta <- theta - eta * g_t / (sqrt(s_t) + eps)."""

    hyperparameters = {"lr": Interval(0.0, math.inf), "eps": Interval(0.0, math.inf)}
    defaults_ = {"lr": 1e-2, "eps": 1e-10}

    def init_state(self, p, state, group):
        state["sum"] = torch.zeros_like(p)  # s_0 = 0

    def update_param(self, p, grad, state, group):
        s = state["sum"]
        s.addcmul_(grad, grad)  # s_t = s_{t-1} + g_t^2
        p.addcdiv_(grad, s.sqrt().add_(group["eps"]), value=-group["lr"])  # theta -= eta g / (sqrt(s) + eps)


def max_path_difference(a: Trajectory, b: Trajectory) -> float:
    """Largest coordinate difference between two runs, over all steps."""
    return float(np.max(np.abs(a.positions - b.positions)))


for land, pt in ((ravine, start), (quadratic((1.0, 10.0), angle=0.5), (1.5, -1.0))):
    ours = run_trajectory(land, SimpleAdagrad, pt, 200, lr=0.5)
    theirs = run_trajectory(land, torch.optim.Adagrad, pt, 200, lr=0.5)
    print(f"{land.name}: max |SimpleAdagrad - torch.optim.Adagrad| over 200 steps = {max_path_difference(ours, theirs):.1e}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **On the ravine.** Adagrad with $\eta = 0.5$ against the best GD of section 1, 100 steps. We also
# record the effective learning rate $\eta/(\sqrt{s_t}+\epsilon)$ of both coordinates at every step.

# %%
def run_with_state(opt_cls, landscape, start, steps, key, scheduler=None, label=None, **hp):
    """Like run_trajectory, but also returns the state buffer ``key`` and the lr used at every step."""
    w = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = opt_cls([w], **hp)
    sched = scheduler(opt) if scheduler is not None else None
    positions, buffers, lrs = [w.detach().clone()], [], []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]["lr"])
        opt.zero_grad()
        landscape(w[0], w[1]).backward()
        opt.step()
        if sched is not None:
            sched.step()
        positions.append(w.detach().clone())
        buffers.append(opt.state[w][key].clone())
    P = torch.stack(positions)
    losses = landscape(P[:, 0], P[:, 1]).numpy()
    return Trajectory(P.numpy(), losses, label or opt_cls.__name__), torch.stack(buffers).numpy(), np.array(lrs)


gd = run_trajectory(ravine, GD, start, 100, lr=0.019, label="GD (lr = 0.019)")
ada, sums, _ = run_with_state(SimpleAdagrad, ravine, start, 100, "sum", label="Adagrad (lr = 0.5)", lr=0.5)
eff_lr = 0.5 / (np.sqrt(sums) + 1e-10)  # (steps, 2): the effective learning rate of w_0 and w_1
print(f"final loss after 100 steps: GD {gd.final_loss:.3e}, Adagrad {ada.final_loss:.3e}")
for t in (1, 10, 100):
    print(f"t = {t:3d}: effective lr  w_0: {eff_lr[t - 1, 0]:.4f}   w_1: {eff_lr[t - 1, 1]:.5f}")
print("effective lr ever increased:", bool(np.any(np.diff(eff_lr, axis=0) > 0)))

# %% slideshow={"slide_type": "subslide"}
fig, (ax0, ax1) = new_figure(1, 2, figsize=(11.5, 4.4))
plot_contour(ravine, [gd, ada], ax=ax0, xlim=(-1.7, 0.3), ylim=(-1.0, 1.0), levels=30,
             title=r"GD and Adagrad on the ravine ($\lambda$ = 1, 100)")
for i, name in enumerate(("$w_0$ (flat, $\\lambda$ = 1)", "$w_1$ (steep, $\\lambda$ = 100)")):
    ax1.plot(np.arange(1, 101), eff_lr[:, i], color=PALETTE[i], label=name)
ax1.axhline(0.02, color="black", linestyle="--", linewidth=1, label="GD's limit 2/100")
ax1.set_yscale("log")
ax1.set_xlabel("step $t$")
ax1.set_ylabel(r"$\eta / (\sqrt{s_t} + \epsilon)$ (log scale)")
ax1.set_title("Adagrad's effective learning rate only shrinks")
ax1.legend()
fig

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice**
# - Adagrad reaches a loss of $2 \cdot 10^{-24}$ in 100 steps where the best GD is at $2.4 \cdot 10^{-2}$.
# - The steep coordinate gets an effective rate about 50 times smaller than the flat one: 0.00625
#   against 0.333 at $t = 1$, the inverse ratio of the first gradients ($100 \cdot 0.8 = 80$ against
#   $1 \cdot 1.5$). The flat coordinate's rate is 17 times GD's stability limit of 0.02.
# - Both curves only go down, and flatten once the gradients are tiny: the sum stops growing.

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
# **Intuition.** Because $s_t$ never forgets, a long run eventually has a large sum everywhere, and
# the steps die out even where the loss still slopes. With a constant gradient $|g_t| = g$,
# $s_t = t g^2$ and the step is $\eta g / \sqrt{t g^2} = \eta / \sqrt{t}$: after $T$ steps the
# distance travelled is $\sum_{t \le T} \eta/\sqrt t \approx 2\eta\sqrt T$, whatever the slope.
#
# **The experiment.** A one-parameter loss whose minimum is far away:
# $\mathcal{L}(\theta) = \sqrt{1 + (\theta - 100)^2}$ (slope about 1 until close to $\theta = 100$), from
# $\theta_0 = 0$ with $\eta = 0.5$. We feed the gradient to the optimizer directly (no autograd
# needed for one parameter) and print where Adagrad is after $T$ steps, next to $2\eta\sqrt T$.

# %%
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


far_adagrad = run_1d(SimpleAdagrad, far_slope_grad, 2000, lr=0.5)
print(f"{'T':>5} {'Adagrad theta_T':>16} {'2 eta sqrt(T)':>14}")
for T in (10, 100, 1000, 2000):
    print(f"{T:5d} {far_adagrad[T]:16.2f} {2 * 0.5 * math.sqrt(T):14.2f}")
print(f"steps Adagrad would need to cover 100 at this rate: (100 / (2 eta))^2 = {(100 / (2 * 0.5)) ** 2:.0f}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice:** the slope never changes, yet Adagrad covers 9.3 units in the first 100 steps and
# only 34.7 more in the next 1900, tracking $2\eta\sqrt T$. To reach the minimum at 100 it would need
# about 10 000 steps. In deep learning, where training runs for many thousands of steps, this
# ever-shrinking rate is Adagrad's weakness; RMSProp was designed to remove it.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. RMSProp: an average that forgets
#
# **Intuition.** Replace Adagrad's sum by an exponentially weighted average (notebook 01) of the
# squared gradients. The average forgets old gradients after about $1/(1-\alpha)$ steps, so the step
# size follows the *recent* gradient scale instead of the whole history. RMSProp was proposed by
# Tieleman & Hinton in a 2012 lecture (not in a paper).
#
# **The math** (per coordinate, as `torch.optim.RMSprop`; read `torch/optim/rmsprop.py`):
#
# $$
# v_0 = 0, \qquad v_t = \alpha\, v_{t-1} + (1-\alpha)\, g_t^2, \qquad
# \theta_t = \theta_{t-1} - \frac{\eta}{\sqrt{v_t} + \epsilon}\, g_t,
# $$
#
# with PyTorch's defaults $\alpha = 0.99$ (a window of about 100 steps), $\epsilon = 10^{-8}$ and
# $\eta = 10^{-2}$. As in Adagrad, $\epsilon$ is added **outside** the square root. And there is **no
# bias correction**: $v_t$ starts at 0 and is too small early on by the factor $1 - \alpha^t$
# (notebook 01), so the first steps are long. At $t = 1$, $v_1 = (1-\alpha) g_1^2$ and the step is
# $\eta\, g_1 / (\sqrt{1-\alpha}\,|g_1|) = \eta/\sqrt{0.01} = 10\,\eta$ per coordinate.
#
# PyTorch has two options. `centered=True` also averages the gradients,
# $\bar g_t = \alpha \bar g_{t-1} + (1-\alpha) g_t$, and divides by $\sqrt{v_t - \bar g_t^2} + \epsilon$, an
# estimate of the gradient's standard deviation (Graves, 2013). `momentum=`$\mu$ keeps a buffer of the
# *normalised* gradients, $b_t = \mu b_{t-1} + g_t / (\sqrt{v_t} + \epsilon)$, and steps
# $\theta_t = \theta_{t-1} - \eta\, b_t$. Both are part of exercise 2.

# %%
class SimpleRMSProp(OptimizerBase):
    """RMSProp: v_t = alpha v_{t-1} + (1 - alpha) g_t^2, theta <- theta - eta g_t / (sqrt(v_t) + eps)."""

    hyperparameters = {"lr": Interval(0.0, math.inf), "alpha": Interval(0.0, 1.0, high_closed=True),
                       "eps": Interval(0.0, math.inf)}
    defaults_ = {"lr": 1e-2, "alpha": 0.99, "eps": 1e-8}

    def init_state(self, p, state, group):
        state["square_avg"] = torch.zeros_like(p)  # v_0 = 0

    def update_param(self, p, grad, state, group):
        alpha, v = group["alpha"], state["square_avg"]
        v.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)  # v_t = alpha v_{t-1} + (1 - alpha) g_t^2
        p.addcdiv_(grad, v.sqrt().add_(group["eps"]), value=-group["lr"])  # no bias correction


for land, pt in ((ravine, start), (quadratic((1.0, 10.0), angle=0.5), (1.5, -1.0))):
    ours = run_trajectory(land, SimpleRMSProp, pt, 200, lr=0.01)
    theirs = run_trajectory(land, torch.optim.RMSprop, pt, 200, lr=0.01)
    print(f"{land.name}: max |SimpleRMSProp - torch.optim.RMSprop| over 200 steps = {max_path_difference(ours, theirs):.1e}")

first = run_trajectory(ravine, SimpleRMSProp, start, 1, lr=0.01)
print("first step |theta_1 - theta_0| / eta per coordinate:",
      np.round(np.abs(first.positions[1] - first.positions[0]) / 0.01, 4))

# %% [markdown] slideshow={"slide_type": "subslide"}
# **RMSProp on the long run.** The same far-away minimum as in section 3, with the same $\eta = 0.5$.

# %%
far_rmsprop = run_1d(SimpleRMSProp, far_slope_grad, 2000, lr=0.5)
print(f"{'T':>5} {'Adagrad theta_T':>16} {'RMSProp theta_T':>16}")
for T in (10, 100, 1000, 2000):
    print(f"{T:5d} {far_adagrad[T]:16.2f} {far_rmsprop[T]:16.2f}")
arrived = int(np.argmax(np.abs(far_rmsprop - 100.0) < 1.0))
print(f"RMSProp is within 1 of the minimum from step {arrived} on; |theta - 100| at T = 2000: {abs(far_rmsprop[-1] - 100):.1e}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice:** the first step is $10\,\eta$ in both coordinates (no bias correction). On the
# long slope RMSProp's step never falls below $\eta$: its average forgets, so it holds the recent
# gradient scale, and early on $v_t = (1-\alpha^t)g^2$ is still too small, so the steps are longer.
# It covers the 100 units in under 100 steps, where Adagrad would need about 10 000.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. What $\epsilon$ does
#
# **Without $\epsilon$, a zero gradient gives 0/0.** A parameter whose gradient is exactly 0 at every
# step has $v_t = 0$, so its update is $0/\sqrt 0 = 0/0 =$ nan. That is not an exotic case: in
# scikit-learn's digits, some pixels are 0 in every training image, so the weights that multiply
# them get a gradient of exactly 0. We train a linear softmax classifier (64 pixels to 10 classes,
# full batch) with RMSProp, once with $\epsilon = 0$ and once with PyTorch's $10^{-8}$.

# %%
digits = load_digits()
X, y = digits.X_train.double(), digits.y_train
dead = int((X.abs().sum(dim=0) == 0).sum())
print(f"pixels that are 0 in all {len(X)} training images: {dead} (so {dead * 10} weights get gradient 0)")
for eps in (0.0, 1e-8):
    torch.manual_seed(0)
    model = torch.nn.Linear(64, 10).double()
    opt = SimpleRMSProp(model.parameters(), lr=0.01, eps=eps)
    for t in range(1, 4):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(X), y)
        loss.backward()
        opt.step()
        print(f"eps = {eps:<5g}  step {t}:  loss before the step {loss.item():6.4f},  nan weights after it {int(model.weight.isnan().sum()):3d}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice:** with $\epsilon = 0$ the first step turns the 40 weights of the always-zero
# pixels into nan. At the next forward pass $0 \cdot \text{nan} = \text{nan}$, so every logit, the loss,
# and after the second step all 640 weights are nan. With $\epsilon = 10^{-8}$ those weights get
# $0 / (0 + 10^{-8}) = 0$ and training proceeds.

# %% [markdown] slideshow={"slide_type": "subslide"}
# **$\epsilon$ is a floor under tiny gradients.** The first RMSProp step of a coordinate is
# $\eta\, |g| / (\sqrt{1-\alpha}\,|g| + \epsilon)$. For $|g| \gg \epsilon/\sqrt{1-\alpha} = 10^{-7}$ it is $10\eta$
# whatever $|g|$ is; for $|g| \ll 10^{-7}$ it is $\eta|g|/\epsilon$, proportional to the gradient, like
# GD with the learning rate $\eta/\epsilon$. One step, six gradient scales, one parameter each:

# %%
scales = torch.tensor([1e-12, 1e-10, 1e-8, 1e-6, 1e-2, 1e2], dtype=torch.float64)
theta = torch.zeros(6, dtype=torch.float64, requires_grad=True)
opt = SimpleRMSProp([theta], lr=0.01)
theta.grad = scales.clone()
opt.step()
for g, step in zip(scales.tolist(), (theta.detach().abs() / 0.01).tolist(), strict=True):
    print(f"|g| = {g:7.0e}:  first step / eta = {step:.4g}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice:** gradients of $10^{-6}$ and $10^{2}$ both get a step of $10\eta$ (9.1 and 10):
# RMSProp ignores the gradient's size above the floor. Below it ($10^{-10}$, $10^{-12}$) the step
# shrinks in proportion ($0.01\eta$, $0.0001\eta$), so gradients that are numerically zero do not
# produce full-size steps. This is also why `check_optimizer` tests your implementations on a loss
# multiplied by $10^{-8}$: there, $\sqrt{v_t} + \epsilon$ and $\sqrt{v_t + \epsilon}$ differ by orders
# of magnitude.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. Scale invariance: multiply the loss by 1000
#
# **Intuition.** Multiplying the loss by $c$ multiplies every gradient by $c$. GD's step $\eta g$
# grows by $c$, so its path changes (it is the path of GD with $\eta c$). RMSProp's step
# $\eta g/(\sqrt{v} + \epsilon)$ has $c$ in the numerator and, through $v_t$, in the denominator: the two
# cancel, except for $\epsilon$. We run both on the ravine and on the ravine times 1000.

# %%
ravine_x1000 = Landscape("ravine x 1000", lambda x, y: 1000.0 * ravine(x, y), ravine.critical_points,
                         ravine.xlim, ravine.ylim)
runs = {}
for name, opt_cls, lr in (("SGD", GD, 0.015), ("RMSProp", SimpleRMSProp, 0.01)):
    for land, tag in ((ravine, "loss x 1"), (ravine_x1000, "loss x 1000")):
        runs[name, tag] = run_trajectory(land, opt_cls, start, 150, lr=lr, label=f"{name}, {tag}")
for name in ("SGD", "RMSProp"):
    a, b = runs[name, "loss x 1"], runs[name, "loss x 1000"]
    if b.diverged:
        print(f"{name} (lr = {0.015 if name == 'SGD' else 0.01}): x 1 ends at loss {a.final_loss:.3g}; "
              f"x 1000 diverges, |w| = {np.linalg.norm(b.positions[-1]):.3g} at step {len(b) - 1}")
    else:
        dist = float(np.max(np.linalg.norm(a.positions - b.positions, axis=1)))
        print(f"{name} (lr = 0.01): largest distance between the two paths over 150 steps = {dist:.2e}")

# %% slideshow={"slide_type": "subslide"}
runs["SGD", "loss x 1000"].label += f" (diverged at step {len(runs['SGD', 'loss x 1000']) - 1})"
fig = plot_contour(ravine, [runs[k] for k in (("SGD", "loss x 1"), ("SGD", "loss x 1000"), ("RMSProp", "loss x 1"))],
                   xlim=(-1.7, 0.3), ylim=(-1.0, 1.0), levels=30, colors=PALETTE[:3],
                   title="Same optimizer, loss x 1 and x 1000")
ax = fig.axes[0]
rms_big = runs["RMSProp", "loss x 1000"].positions
ax.plot(rms_big[:, 0], rms_big[:, 1], "x", color=PALETTE[3], markersize=5, label="RMSProp, loss x 1000", zorder=7)
ax.legend(loc="lower right")
fig

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice:** with the learning rate that suits the original loss, SGD on the scaled loss
# leaves the picture after one step and diverges. RMSProp's two paths lie on top of each other
# (the crosses sit on the green line): they differ by at most $2 \cdot 10^{-8}$, the trace of $\epsilon$.
# A learning rate tuned for RMSProp survives a change of the loss's scale (a sum instead of a mean,
# a different number of classes); an SGD learning rate does not.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. The burst after a quiet stretch, and the learning-rate decay that cures it
#
# **Intuition** (seed 003's picture). RMSProp divides by $\sigma_t = \sqrt{v_t}$, the recent gradient
# scale. After it has settled in a valley, the gradients are tiny, the average forgets the large
# early ones, and $\sigma_t$ shrinks by up to $\sqrt\alpha \approx 0.995$ per step. The effective
# learning rate $\eta/\sigma_t$ of the steep coordinate grows until it passes that direction's
# stability limit $2/\lambda$ (section 1); then the tiny error left there is amplified at every step
# until the gradients are large again, $\sigma_t$ jumps, and the rate falls back: a burst.
#
# **The experiment.** A ravine with curvatures 0.5 and 50, slightly rotated (0.05 rad) so that the
# coordinates interact, RMSProp with $\eta = 0.1$ for 600 steps from $(-3, 1)$. Then the same run
# with a learning rate that decays by 1 % per step, `torch.optim.lr_scheduler.ExponentialLR` with
# $\gamma = 0.99$ applied to our own optimizer (it is a `torch.optim.Optimizer`, so schedulers work):
# $\eta_t$ shrinks faster than a quiet $\sigma_t$ can ($0.99 < \sqrt{0.99} = 0.995$), so
# $\eta_t/\sigma_t$ cannot grow.

# %%
valley = quadratic((0.5, 50.0), angle=0.05)
burst_start, lr0 = (-3.0, 1.0), 0.1
const, sq_const, lr_const = run_with_state(SimpleRMSProp, valley, burst_start, 600, "square_avg",
                                           label="RMSProp, constant lr 0.1", lr=lr0)
decay, sq_decay, lr_decay = run_with_state(
    SimpleRMSProp, valley, burst_start, 600, "square_avg",
    scheduler=lambda opt: torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.99),
    label="RMSProp, lr 0.1 x $0.99^t$", lr=lr0)
steps_const = np.linalg.norm(np.diff(const.positions, axis=0), axis=1)
sigma_steep = np.sqrt(sq_const[:, 1])  # sigma_t of w_1 after step t = 1..600
k = int(np.argmin(const.losses))
burst = k + int(np.argmax(const.losses[k:]))
cross = 1 + int(np.argmax(lr0 / (sigma_steep + 1e-8) > 2 / 50))
print(f"constant lr: lowest loss {const.losses[k]:.2e} at step {k}, then back up to {const.losses[burst]:.3g} at step {burst}")
low = int(np.argmin(sigma_steep[:burst]))
print(f"  sigma of the steep coordinate: {sigma_steep[49]:.2f} at step 50, down to {sigma_steep[low]:.2f} "
      f"at step {low + 1}, {sigma_steep[burst - 1]:.2f} at the burst (step {burst})")
print(f"  eta / sigma passes the stability limit 2/50 at step {cross}")
print(f"  largest step after step 50: {steps_const[50:].max() / lr0:.2f} x eta  (bound 1/sqrt(1 - alpha) = 10)")
print(f"  final loss {const.final_loss:.2e}")
print(f"decaying lr: largest loss after step {k}: {decay.losses[k:].max():.2e}, final loss {decay.final_loss:.2e}")

# %% slideshow={"slide_type": "subslide"}
fig, (ax0, ax1, ax2) = new_figure(1, 3, figsize=(16.0, 4.6))
plot_contour(valley, [decay, const], ax=ax0, xlim=(-3.3, 0.7), ylim=(-1.2, 1.2), levels=30,
             markersize=1.5, colors=PALETTE[1::-1], title="RMSProp on a ravine ($\\lambda$ = 0.5, 50)")
plot_losses([const, decay], ax=ax1, logy=True, title="Loss per step")
t = np.arange(1, 601)
for i, (sq, lrs, tr) in enumerate(((sq_const, lr_const, const), (sq_decay, lr_decay, decay))):
    ax2.plot(t, lrs / (np.sqrt(sq[:, 1]) + 1e-8), color=PALETTE[i], label=tr.label)
ax2.axhline(2 / 50, color="black", linestyle="--", linewidth=1, label=r"stability limit $2/\lambda$ = 0.04")
ax2.set_yscale("log")
ax2.set_xlabel("step $t$")
ax2.set_ylabel(r"$\eta_t / (\sigma_t + \epsilon)$, steep coordinate (log)")
ax2.set_title("Effective learning rate of the steep coordinate")
ax2.legend(loc="lower left")
fig

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice**
# - With a constant rate the loss falls to about $10^{-38}$ (step 218), then jumps back to 4.2 at step
#   279: a burst, as in seed 003's figure, and then again and again. The steep coordinate's $\sigma_t$
#   fell from 4.5 (step 50) to 1.45 (step 276); its effective rate $\eta/\sigma_t$ crossed the dashed
#   stability limit at step 167, and from then on the leftover error along $w_1$ grew at every step
#   until, at the burst, the large gradients pushed $\sigma_t$ back up.
# - The longest step after the start is 9.3$\eta$, just under RMSProp's bound $\eta/\sqrt{1-\alpha} = 10\eta$
#   (a new gradient $g$ after a quiet stretch gets $v_t \ge (1-\alpha) g^2$).
# - With the decaying rate, the effective rate keeps falling, there is no burst, and the final loss
#   is about $10^{-17}$.

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Seed 003's $\sigma$, and why Adagrad cannot burst.** Seed 003 calls the root of the *mean* of the
# squared gradients, $\sigma_t = \sqrt{\tfrac1t \sum_{k \le t} g_k^2}$, "Adagrad". That version *can*
# burst: as $t$ grows, the mean of a quiet stretch shrinks, and $|g_t|/\sigma_t$ can reach $\sqrt t$.
# PyTorch's Adagrad divides by the root of the *sum*, so $|g_t| / \sqrt{s_t} \le 1$. The two are
# linked exactly by the learning-rate decay the seed recommends: with $\eta_t = \eta/\sqrt t$,
# $\eta_t/\sigma_t = \eta/\sqrt{\sum_k g_k^2}$, which is Adagrad. Checked with a `LambdaLR` schedule
# on the mean version (both with $\epsilon = 0$):

# %%
class MeanSquareAdagrad(OptimizerBase):
    """Seed 003's sigma: theta <- theta - eta g_t / sqrt(mean of g_1^2..g_t^2) (no eps)."""

    defaults_ = {"lr": 1e-2}

    def init_state(self, p, state, group):
        state["sum"] = torch.zeros_like(p)

    def update_param(self, p, grad, state, group):
        state["sum"].addcmul_(grad, grad)
        p.addcdiv_(grad, (state["sum"] / state["step"]).sqrt(), value=-group["lr"])


mean_decayed = run_trajectory(valley, MeanSquareAdagrad, burst_start, 300, lr=0.5,
                              scheduler=lambda opt: torch.optim.lr_scheduler.LambdaLR(opt, lambda k: 1 / math.sqrt(k + 1)))
torch_adagrad = run_trajectory(valley, torch.optim.Adagrad, burst_start, 300, lr=0.5, eps=0.0)
print(f"max |mean version with eta / sqrt(t) - torch.optim.Adagrad| over 300 steps: "
      f"{fmt_diff(max_path_difference(mean_decayed, torch_adagrad))}")
ada_steps = np.abs(np.diff(torch_adagrad.positions, axis=0)).max()
print(f"Adagrad's largest step in any coordinate: {ada_steps / 0.5:.3f} x eta")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice:** the mean version with the seed's decay $\eta/\sqrt t$ is PyTorch's Adagrad to
# rounding error, and Adagrad never takes a step longer than $\eta$: its "cure" is built in, and is
# also the cause of its stall (section 3). RMSProp needs the decay from outside, as a schedule
# (notebook 07).

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Explore.** Adagrad and RMSProp on the same rotated ravine, 300 steps from $(-3, 1)$: move the
# learning rate (log scale) and RMSProp's $\alpha$ (Adagrad has no $\alpha$ and ignores it). Watch when
# the bursts appear, and how a larger $\alpha$ (a longer memory) delays them. The widget needs a live
# kernel; the figure above is its static counterpart.

# %% tags=["nbval-ignore-output"]
trajectory_explorer(
    valley,
    {"Adagrad": SimpleAdagrad, "RMSProp": SimpleRMSProp},
    burst_start, 300,
    sliders={"lr": (1e-3, 1.0, 0.1, 0.1, "log"), "alpha": (0.5, 0.999, 0.001, 0.99)},
    xlim=(-3.3, 0.7), ylim=(-1.2, 1.2), logy=True,
)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# ### Exercise 1: Adagrad with all of PyTorch's options
#
# Write `MyAdagrad`, a subclass of `OptimizerBase` equal to `torch.optim.Adagrad` with its options
# `lr`, `lr_decay`, `weight_decay`, `initial_accumulator_value` and `eps`. Read `torch/optim/adagrad.py`
# (`_single_tensor_adagrad`) and declare every option in `defaults_` with torch's default. The rule,
# with $t$ counting from 1 (`state["step"]`):
#
# $$
# g \leftarrow g + \lambda\theta, \qquad \eta_t = \frac{\eta}{1 + (t-1)\,\text{lr\_decay}}, \qquad
# s_t = s_{t-1} + g^2 \ (s_0 = \text{initial\_accumulator\_value}), \qquad
# \theta \leftarrow \theta - \eta_t\, \frac{g}{\sqrt{s_t} + \epsilon}.
# $$
#
# The check runs your class and torch's side by side on four problems (one with a loss scaled by
# $10^{-8}$, where the placement of $\epsilon$ shows) and names the mistake if the paths part.

# %% tags=["solution"]
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


# %%
check_optimizer(MyAdagrad, torch.optim.Adagrad)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 2: RMSProp with momentum and centering
#
# Write `MyRMSProp`, equal to `torch.optim.RMSprop` with `lr`, `alpha`, `eps`, `weight_decay`,
# `momentum` and `centered` (section 4 has the formulas; `torch/optim/rmsprop.py` has the order of
# operations). Remember: no bias correction, $\epsilon$ outside the square root, and the momentum
# buffer holds the *normalised* gradient.

# %% tags=["solution"]
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
        state["square_avg"] = torch.zeros_like(p)
        state["grad_avg"] = torch.zeros_like(p)
        state["momentum_buffer"] = torch.zeros_like(p)

    def update_param(self, p, grad, state, group):
        alpha, v = group["alpha"], state["square_avg"]
        if group["weight_decay"] != 0:
            grad = grad.add(p, alpha=group["weight_decay"])
        v.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
        if group["centered"]:
            gbar = state["grad_avg"]
            gbar.mul_(alpha).add_(grad, alpha=1 - alpha)
            denom = (v - gbar * gbar).sqrt().add_(group["eps"])
        else:
            denom = v.sqrt().add_(group["eps"])
        if group["momentum"] > 0:
            buf = state["momentum_buffer"]
            buf.mul_(group["momentum"]).addcdiv_(grad, denom)
            p.add_(buf, alpha=-group["lr"])
        else:
            p.addcdiv_(grad, denom, value=-group["lr"])


# %%
check_optimizer(MyRMSProp, torch.optim.RMSprop)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 3: predict RMSProp's first step
#
# A parameter's first gradient is $g_1 = 0.3$. With `torch.optim.RMSprop(lr=0.01, alpha=0.9)` (and
# the default $\epsilon$), how long is its first step $|\theta_1 - \theta_0|$? Work it out from the
# formulas, then assign the number to `first_step`.

# %% tags=["solution"]
first_step = 0.01 / math.sqrt(1 - 0.9)

# %%
check_value(
    "RMSProp's first step with alpha = 0.9", first_step, 0.01 * 0.3 / (math.sqrt(0.1) * 0.3 + 1e-8),
    rtol=1e-4,
    hints=[(0.01, "that would be a bias-corrected first step (Adam's): RMSProp has no bias correction, "
                  "so v_1 = (1 - alpha) g_1^2."),
           (0.01 * 0.3, "that is GD's step: RMSProp divides g_1 by sqrt(v_1) + eps."),
           (0.01 / 0.1, "v_1 = (1 - alpha) g_1^2 = 0.1 g_1^2: take the square root of 0.1, not of 0.01."),
           (0.01 / (0.1 * 0.3), "the step is eta g / sqrt(v_1); check where the square root goes.")],
    default_hint="v_1 = (1 - alpha) g_1^2 and the step is eta * g_1 / (sqrt(v_1) + eps).",
)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - One learning rate must suit the steepest direction ($\eta < 2/\lambda_{\max}$); on a ravine with
#   curvatures 1 and 100 that leaves the flat direction crawling (14.7 % left after 100 steps).
# - Adagrad divides each coordinate's gradient by $\sqrt{s_t} + \epsilon$, the root of the *sum* of its
#   squared gradients. Its effective rate $\eta/(\sqrt{s_t}+\epsilon)$ only shrinks: it solves the
#   axis-aligned ravine in 100 steps, and stalls on long runs (distance $\approx 2\eta\sqrt T$).
# - RMSProp replaces the sum by an EWMA with $\alpha = 0.99$: it keeps moving ($\approx \eta$ per step on a
#   long slope). PyTorch adds $\epsilon$ outside the root and applies no bias correction, so the first
#   step is $\eta/\sqrt{1-\alpha} = 10\eta$. Options: `centered`, `momentum` (on the normalised gradient).
# - $\epsilon$ prevents 0/0 (a digits pixel that is always 0 turns the whole model into nan without it)
#   and is a floor below which steps shrink with the gradient.
# - Dividing by the gradient scale makes the path nearly independent of the loss's scale (distance
#   $10^{-8}$ between the paths for losses 1000x apart; SGD diverges).
# - After a long quiet stretch, RMSProp's $\sigma_t$ shrinks and its step bursts (up to $10\eta$); a
#   learning rate that decays faster than $\sqrt\alpha$ per step removes the burst.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## References
#
# - John Duchi, Elad Hazan and Yoram Singer, "Adaptive Subgradient Methods for Online Learning and
#   Stochastic Optimization", *Journal of Machine Learning Research* 12, 2011 (Adagrad).
# - Tijmen Tieleman and Geoffrey Hinton, "Lecture 6.5, rmsprop: divide the gradient by a running
#   average of its recent magnitude", *Neural Networks for Machine Learning* (Coursera), 2012.
# - Alex Graves, "Generating Sequences With Recurrent Neural Networks", arXiv:1308.0850, 2013 (the
#   centered form of RMSProp).
# - Hung-yi Lee, *Machine Learning 2022* lecture notes, adaptive learning rates (the source of seed 003).
# - PyTorch documentation and source, `torch.optim.Adagrad` and `torch.optim.RMSprop`
#   (`torch/optim/adagrad.py`, `torch/optim/rmsprop.py`, version 2.13).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What's next
#
# RMSProp scales each coordinate's step; momentum (notebook 02) smooths its direction. Notebook 04
# puts the two together, adds the bias correction of notebook 01 to both averages, and gets Adam:
# then asks when Adam beats momentum, when it loses, and why Adam's weight decay is not AdamW's.
