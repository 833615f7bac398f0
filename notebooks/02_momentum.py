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
# # 02 · Momentum
#
# Gradient descent forgets: in a ravine it zig-zags from wall to wall, on a plateau it crawls.
# Momentum gives the optimizer a memory, an exponentially weighted average of past gradients
# (notebook 01), like a heavy ball that keeps rolling. We write momentum in its textbook form and
# in PyTorch's, work out exactly when they agree, derive PyTorch's Nesterov update, and measure
# the payoff: steps that grow like $\sqrt{\kappa}$ instead of $\kappa$, and a map of the
# convergence rate over the learning rate and $\beta$.
#
# **Learning objectives**
# - Write momentum as an EWMA of gradients and as PyTorch's buffer $b_t = \beta b_{t-1} + g_t$,
#   and convert one into the other ($\text{lr} = \eta(1-\beta)$).
# - Explain why `dampening=β` does *not* turn `torch.optim.SGD` into the averaging form (the first buffer).
# - Derive PyTorch's Nesterov update from the look-ahead form and verify it numerically.
# - Measure the $\sqrt{\kappa}$ speed-up of tuned momentum over GD on a quadratic, and read the
#   rate map over $(\text{lr}, \beta)$: critical damping, the optimum, the stability limit.
# - Recognise GD, heavy-ball and Nesterov trajectories by their shape.
#
# **Prerequisites:** 00 · Gradient descent, 01 · Exponentially weighted averages.
#
# **Time to complete:** about 70 minutes

# %% slideshow={"slide_type": "skip"}
import math

import numpy as np
import torch
from matplotlib import colormaps
from matplotlib.colors import LogNorm

from course_utils import (
    GD,
    PALETTE,
    Interval,
    OptimizerBase,
    check_optimizer,
    draw_explorer,
    explorer_trajectories,
    fmt_diff,
    new_figure,
    pathological,
    plot_contour,
    quadratic,
    run_trajectory,
    setup_notebook,
    trajectory_explorer,
)
from course_utils.checks import check_ema_torch_config, check_momentum_quiz, momentum_quiz

DEVICE = setup_notebook(seed=0)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. Momentum is an average of gradients
#
# GD is a ball in thick syrup: it moves with the local slope and stops where the slope vanishes.
# Momentum gives the ball mass: it builds up speed where the slope keeps pointing the same way,
# and where the slope flips sign at every step (across a ravine) the pushes cancel.
# In the **averaging form** the optimizer steps along $m_t$, the EWMA of the gradients:
#
# $$
# m_0 = 0, \qquad m_t = \beta\, m_{t-1} + (1-\beta)\, g_t, \qquad \theta_t = \theta_{t-1} - \eta\, m_t .
# $$

# %% [markdown] slideshow={"slide_type": "skip"}
# $m_t$ averages about the last $1/(1-\beta)$ gradients (10 for $\beta = 0.9$), with the weights
# $(1-\beta)\beta^{t-k}$ of notebook 01, and like every EWMA started at 0 it is too small at first
# by the factor $1-\beta^t$. No bias correction is applied in classical momentum.
#
# **The code.** One update rule on the course template. The option `m1_is_g1` starts the average
# at the first gradient instead of at 0; we need it in section 2.

# %% slideshow={"slide_type": "subslide"}
class EMAMomentum(OptimizerBase):
    """Momentum, averaging form: m_t = beta m_{t-1} + (1 - beta) g_t (m_0 = 0), theta <- theta - eta m_t.

    With m1_is_g1=True the average starts at m_1 = g_1 instead (no start-up bias).
    """

    hyperparameters = {"lr": Interval(0.0, math.inf), "beta": Interval(0.0, 1.0)}  # beta in [0, 1)
    defaults_ = {"lr": 1e-3, "beta": 0.9, "m1_is_g1": False}

    def init_state(self, p, state, group):
        state["m"] = torch.zeros_like(p)  # m_0 = 0

    def update_param(self, p, grad, state, group):
        beta, m = group["beta"], state["m"]
        if state["step"] == 1 and group["m1_is_g1"]:
            m.copy_(grad)  # m_1 = g_1
        else:
            m.mul_(beta).add_(grad, alpha=1 - beta)  # m_t = beta m_{t-1} + (1 - beta) g_t
        p.add_(m, alpha=-group["lr"])  # theta_t = theta_{t-1} - eta m_t


# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Two gradient streams
#
# One parameter, fed a constant gradient $g_t = 1$ (a steady slope) and an alternating one
# $g_t = \pm 1$ (a ravine wall on each side). The step $\theta_{t-1} - \theta_t$ for GD, the
# averaging form ($\eta = 0.1$, $\beta = 0.9$) and PyTorch's "buffer form" (section 2) at the same $\eta$:

# %% slideshow={"slide_type": "skip"}
def steps_taken(opt_cls, gradients, **hp):
    """Feed a fixed sequence of gradients to an optimizer on one parameter; return each step's size."""
    theta = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = opt_cls([theta], **hp)
    positions = [0.0]
    for g in gradients:
        theta.grad = torch.tensor([g], dtype=torch.float64)
        opt.step()
        positions.append(float(theta.detach()))
    return -np.diff(positions)  # theta_{t-1} - theta_t


# %%
T = 60
streams = {"constant": [1.0] * T, "alternating": [(-1.0) ** t for t in range(T)]}
shown = [1, 2, 5, 10, 20, 60]
eta, beta = 0.1, 0.9
print(f"{'stream':>11} {'optimizer':>14} " + " ".join(f"{'t=' + str(t):>7}" for t in shown) + f" {'sum of 60':>9}")
for stream, grads in streams.items():
    for label, cls, hp in [("GD", GD, {"lr": eta}),
                           ("averaging form", EMAMomentum, {"lr": eta, "beta": beta}),
                           ("buffer form", torch.optim.SGD, {"lr": eta, "momentum": beta})]:
        s = steps_taken(cls, grads, **hp)
        print(f"{stream:>11} {label:>14} " + " ".join(f"{s[t - 1]:7.4f}" for t in shown) + f" {s.sum():9.4f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice**
# - On the constant slope the averaging form starts slowly (first step $\eta(1-\beta) = 0.01$, the
#   EWMA's start-up bias) and approaches GD's step $\eta = 0.1$ from below: 0.0998 at $t = 60$. In
#   this form momentum does **not** go faster than GD on a steady slope.
# - On the alternating stream its steps shrink to about $\pm 0.005$: $(1-\beta)/(1+\beta) \approx 0.053$
#   times GD's $\pm 0.1$. The back-and-forth pushes cancel in the average.
# - The buffer form at the *same* $\eta$ does both: it reaches 0.9982, ten times GD's step ($1/(1-\beta)$,
#   the "terminal velocity" of the heavy ball), and damps the oscillation to $\pm 0.0525$.

# %% [markdown] slideshow={"slide_type": "skip"}
# Against the constant stream, the oscillation is suppressed by $(1-\beta)/(1+\beta)$ in both forms:
# momentum favours persistent directions over oscillating ones by a factor $(1+\beta)/(1-\beta) = 19$
# at $\beta = 0.9$.

# %% [markdown] slideshow={"slide_type": "notes"}
# **The heavy ball.** Subtracting consecutive updates of the averaging form gives
# $\theta_t - \theta_{t-1} = \beta(\theta_{t-1} - \theta_{t-2}) - \eta(1-\beta)\,g_t$: the new step is
# the old step ("velocity") shrunk by the friction factor $\beta$, plus a push from the gradient.
# This is Polyak's (1964) heavy-ball method,
# $\theta_{t} = \theta_{t-1} - \text{lr}\,\nabla\mathcal{L}(\theta_{t-1}) + \beta(\theta_{t-1} - \theta_{t-2})$, with step size $\text{lr} = \eta(1-\beta)$; it is a discretisation
# of a ball with mass moving under the force $-\nabla\mathcal{L}$ with friction.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. PyTorch's form, and when the two forms trace the same path
#
# `torch.optim.SGD` (`_single_tensor_sgd` in `torch/optim/sgd.py`) keeps a buffer $b_t$, with momentum
# $\beta$ and dampening $\tau$ (default 0), and keeps the learning rate outside it:
#
# $$
# b_1 = g_1, \qquad b_t = \beta\, b_{t-1} + (1-\tau)\, g_t \ \ (t \ge 2), \qquad \theta_t = \theta_{t-1} - \text{lr}\; b_t .
# $$
#
# With $\tau = 0$, $b_1 = g_1$ is what $b_0 = 0$ gives, so $b_t = \sum_{k \le t} \beta^{t-k} g_k$
# and $m_t = (1-\beta)\, b_t$ at **every** step: the two forms take the same steps when
# $\text{lr} = \eta\,(1-\beta)$.

# %% [markdown] slideshow={"slide_type": "skip"}
# Note the first buffer: it is the gradient itself, with no dampening. With $\tau = 0$ that is the
# same as starting from $b_0 = 0$, because $\beta \cdot 0 + g_1 = g_1$. The averaging form has
# $m_t = (1-\beta)\sum_{k\le t} \beta^{t-k} g_k$, hence $m_t = (1-\beta)\,b_t$ from the first step on,
# and $\eta\, m_t = \eta(1-\beta)\, b_t$.
#
# **The code.** PyTorch's rule (no dampening) on the template; we check it against `torch.optim.SGD`
# on two landscapes: a ravine (a quadratic with $\kappa = 10$, axes rotated by 30 degrees) and the
# pathological surface of notebook 00, from its plateau.

# %% slideshow={"slide_type": "subslide"}
class HeavyBall(OptimizerBase):
    """Momentum, PyTorch's form: b_1 = g_1, b_t = beta b_{t-1} + g_t, theta <- theta - lr b_t."""

    hyperparameters = {"lr": Interval(0.0, math.inf), "momentum": Interval(0.0, 1.0)}
    defaults_ = {"lr": 1e-3, "momentum": 0.9}

    def update_param(self, p, grad, state, group):
        if state["step"] == 1:
            state["b"] = grad.clone()  # b_1 = g_1
        else:
            state["b"].mul_(group["momentum"]).add_(grad)  # b_t = beta b_{t-1} + g_t
        p.add_(state["b"], alpha=-group["lr"])  # theta_t = theta_{t-1} - lr b_t


ravine = quadratic((1.0, 10.0), angle=math.pi / 6)  # kappa = 10, axes rotated by 30 degrees
start = (-1.5, 1.0)
plateau_start = (-4.0, 6.0)
problems = {"ravine": (ravine, start), "pathological": (pathological, plateau_start)}

for name, (land, point) in problems.items():
    ours = run_trajectory(land, HeavyBall, point, 60, lr=0.01, momentum=0.9)
    theirs = run_trajectory(land, torch.optim.SGD, point, 60, lr=0.01, momentum=0.9)
    diff = np.abs(ours.positions - theirs.positions).max()
    print(f"{name:>12}: HeavyBall vs torch.optim.SGD over 60 steps, max |difference| {fmt_diff(diff)}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The averaging form is `torch.optim.SGD(lr=η(1-β), momentum=β)`
#
# For three values of $\beta$, 60 steps of each on both landscapes, $\eta = 0.1$:

# %%
eta = 0.1
print(f"{'beta':>5} {'landscape':>12} {'first step (averaging)':>23} {'first step (torch)':>19} {'max |diff| < 1e-12':>19}")
for beta in (0.5, 0.9, 0.99):
    for name, (land, point) in problems.items():
        ema = run_trajectory(land, EMAMomentum, point, 60, lr=eta, beta=beta)
        sgd = run_trajectory(land, torch.optim.SGD, point, 60, lr=eta * (1 - beta), momentum=beta)
        step_ema = np.linalg.norm(ema.positions[1] - ema.positions[0])
        step_sgd = np.linalg.norm(sgd.positions[1] - sgd.positions[0])
        same = np.abs(ema.positions - sgd.positions).max() < 1e-12
        print(f"{beta:5.2f} {name:>12} {step_ema:23.6f} {step_sgd:19.6f} {str(same):>19}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice:** the two forms agree to rounding error over all 60 steps, for every $\beta$, from
# the first step on: with $\tau = 0$ PyTorch's $b_1 = g_1$ *is* the recursion started at $b_0 = 0$.

# %% [markdown] slideshow={"slide_type": "skip"}
# (They differ only by the order of floating-point operations, so they match to rounding error,
# below the $10^{-12}$ that the table checks, not bit for bit.) Section 1's "buffer form" row used the same $\eta$ for both forms,
# which is why it ran ten times faster: the fair comparison rescales the learning rate.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Spot the difference: `dampening=β`
#
# Setting $\tau = \beta$ and $\text{lr} = \eta$ looks like a faithful translation:
# $b_t = \beta b_{t-1} + (1-\beta) g_t$, the EWMA itself. It is not: PyTorch dampens from step 2 on
# only, so $b_1 = g_1$, not $(1-\beta) g_1$. The buffer is an EWMA started at the first gradient
# (notebook 01, section 7), and it equals the averaging form started at $m_1 = g_1$ (`m1_is_g1=True`).

# %% slideshow={"slide_type": "subslide"}
print(f"{'beta':>5} {'landscape':>12} {'first step ratio':>17} {'max |diff| vs m_0 = 0':>22} {'vs m_1 = g_1 < 1e-12':>21}")
for beta in (0.5, 0.9, 0.99):
    for name, (land, point) in problems.items():
        ema = run_trajectory(land, EMAMomentum, point, 60, lr=eta, beta=beta)
        ema_g1 = run_trajectory(land, EMAMomentum, point, 60, lr=eta, beta=beta, m1_is_g1=True)
        damped = run_trajectory(land, torch.optim.SGD, point, 60, lr=eta, momentum=beta, dampening=beta)
        first = np.linalg.norm(damped.positions[1] - damped.positions[0])
        ratio = first / np.linalg.norm(ema.positions[1] - ema.positions[0])
        gap = np.abs(damped.positions - ema.positions).max()
        same_g1 = np.abs(damped.positions - ema_g1.positions).max() < 1e-12
        print(f"{beta:5.2f} {name:>12} {ratio:17.2f} {gap:22.4f} {str(same_g1):>21}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice**
# - With `dampening=β` the first step is exactly $1/(1-\beta)$ times too long (2, 10 and 100), and the
#   paths drift far apart: in the ravine the largest gap over the 60 steps is 0.6798, 3.1444 and 12.3509
#   for $\beta$ = 0.5, 0.9 and 0.99. A single kick at $t = 1$, but the ball carries it: the gap between
#   the two paths obeys the momentum recursion itself, so it fades no faster than the runs converge.
# - The dampened buffer equals the averaging form started at $m_1 = g_1$, to rounding error.

# %% [markdown] slideshow={"slide_type": "skip"}
# Seed 004 (McAllester, 2018) writes a "standard parameterization" with the learning rate inside the
# buffer; in the course's notation $\Delta_t = \beta \Delta_{t-1} + \text{lr}\, g_t$,
# $\theta_t = \theta_{t-1} - \Delta_t$, where $\Delta_t = \theta_{t-1} - \theta_t$ is the step (as in
# notebook 04; the seed writes $v$ and $\mu$). It states that $\text{lr} = \eta(1-\beta)$ gives the same sequence as the averaging
# form. For that form with $\Delta_0 = 0$ and a constant learning rate the claim is right, but it is
# **not** PyTorch's form: PyTorch keeps the learning rate outside the buffer (its documentation says
# so in a note), which matters as soon as the learning rate changes.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Learning rate inside or outside the buffer
#
# Sutskever et al.'s form (and the seed's) keeps the step $\Delta_t = \theta_{t-1} - \theta_t$:
# $\Delta_t = \beta\Delta_{t-1} + \text{lr}\, g_t$. We run it against `torch.optim.SGD` for 40 steps,
# with a constant learning rate and with `StepLR` halving it every 10 steps; the averaging form
# runs with $\eta = \text{lr}/(1-\beta)$ and the same schedule.

# %%
class LrInsideMomentum(OptimizerBase):
    """Momentum with the learning rate inside: Delta_t = beta Delta_{t-1} + lr g_t (Delta_0 = 0), theta <- theta - Delta_t."""

    hyperparameters = {"lr": Interval(0.0, math.inf), "momentum": Interval(0.0, 1.0)}
    defaults_ = {"lr": 1e-3, "momentum": 0.9}

    def init_state(self, p, state, group):
        state["delta"] = torch.zeros_like(p)  # Delta_0 = 0

    def update_param(self, p, grad, state, group):
        delta = state["delta"]
        delta.mul_(group["momentum"]).add_(grad, alpha=group["lr"])  # Delta_t = beta Delta_{t-1} + lr g_t
        p.sub_(delta)  # theta_t = theta_{t-1} - Delta_t


# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Three forms, 40 steps, with and without a schedule

# %%
def halve_every_10(opt):
    return torch.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)


print(f"{'schedule':>21} {'lr inside vs torch, max |diff|':>30} {'averaging vs torch < 1e-12':>26} "
      f"{'final loss torch':>16} {'lr inside':>9}")
for schedule_name, schedule in [("constant lr", None), ("StepLR, x0.5 every 10", halve_every_10)]:
    sgd = run_trajectory(ravine, torch.optim.SGD, start, 40, lr=0.01, momentum=0.9, scheduler=schedule)
    inside = run_trajectory(ravine, LrInsideMomentum, start, 40, lr=0.01, momentum=0.9, scheduler=schedule)
    ema = run_trajectory(ravine, EMAMomentum, start, 40, lr=0.1, beta=0.9, scheduler=schedule)
    print(f"{schedule_name:>21} {np.abs(inside.positions - sgd.positions).max():30.4f} "
          f"{str(np.abs(ema.positions - sgd.positions).max() < 1e-12):>26} {sgd.final_loss:16.4f} {inside.final_loss:9.4f}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice:** with a constant learning rate all three forms coincide. Under the schedule the
# lr-inside form leaves PyTorch's path (by 0.2482 here): PyTorch halves the whole next step, past
# velocity included, while the lr-inside form halves only the new gradient's contribution. The
# averaging form keeps matching PyTorch: in both, the learning rate multiplies the whole buffer.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Nesterov momentum: look before you leap
#
# The heavy ball takes the gradient where it *is*, then adds its velocity: it notices a wall only
# after crashing into it. Nesterov's method (1983), in the form of Sutskever et al. (2013), first
# moves by the velocity and takes the gradient *there*, at the look-ahead point. With the step
# $\Delta_t = \theta_{t-1} - \theta_t$ and $\Delta_0 = 0$:
#
# $$
# \Delta_t = \beta\, \Delta_{t-1} + \text{lr}\,\nabla\mathcal{L}(\theta_{t-1} - \beta \Delta_{t-1}), \qquad \theta_t = \theta_{t-1} - \Delta_t .
# $$
#
# PyTorch stores the look-ahead point $\theta'_t = \theta_t - \beta\Delta_t$ as the parameter. With
# $g_t = \nabla\mathcal{L}(\theta'_{t-1})$ and $b_t = \Delta_t/\text{lr}$ (so $b_t = \beta b_{t-1} + g_t$):
#
# $$
# \theta'_t = \theta'_{t-1} - \text{lr}\,\big(g_t + \beta\, b_t\big) \qquad \text{: } \texttt{torch.optim.SGD(nesterov=True)} .
# $$

# %% [markdown] slideshow={"slide_type": "skip"}
# The look-ahead form needs the gradient at a point other than the parameters, which does not fit an
# optimizer that receives `p.grad` computed at `p`; storing $\theta'_t$ instead makes the gradient
# the one at the stored point. In `torch/optim/sgd.py` the update is `grad = grad.add(buf, alpha=momentum)`.

# %% [markdown] slideshow={"slide_type": "notes"}
# **Derivation.** $\theta'_t = \theta_t - \beta \Delta_t = \theta_{t-1} - (1+\beta) \Delta_t
# = \theta'_{t-1} + \beta \Delta_{t-1} - (1+\beta) \Delta_t$. Substitute $\beta \Delta_{t-1} = \Delta_t - \text{lr}\, g_t$
# (the step's update): $\theta'_t = \theta'_{t-1} - \beta \Delta_t - \text{lr}\, g_t
# = \theta'_{t-1} - \text{lr}\,(g_t + \beta b_t)$ with $\Delta_t = \text{lr}\, b_t$. At the start
# $\theta'_0 = \theta_0$ because $\Delta_0 = 0$, so both runs start from the same point.
#
# **The code.** The look-ahead form as a plain loop (it needs the gradient at $\theta - \beta\Delta$),
# which returns both the iterates $\theta_t$ and the look-ahead points $\theta'_t$.

# %% slideshow={"slide_type": "subslide"}
def nesterov_lookahead(landscape, start, lr, beta, steps):
    """Delta_t = beta Delta_{t-1} + lr grad L(theta_{t-1} - beta Delta_{t-1}), theta_t = theta_{t-1} - Delta_t.

    Returns the iterates theta_t and the look-ahead points theta'_t = theta_t - beta Delta_t, t = 0..steps.
    """
    theta = torch.tensor(start, dtype=torch.float64)
    delta = torch.zeros_like(theta)  # Delta_0 = 0
    thetas, lookaheads = [theta.clone()], [theta.clone()]
    for _ in range(steps):
        point = (theta - beta * delta).requires_grad_(True)  # the look-ahead point
        landscape(point[0], point[1]).backward()
        delta = beta * delta + lr * point.grad
        theta = theta - delta
        thetas.append(theta.clone())
        lookaheads.append(theta - beta * delta)
    return torch.stack(thetas).numpy(), torch.stack(lookaheads).numpy()


print(f"{'landscape':>12} {'torch vs look-ahead points < 1e-12':>35} {'torch vs iterates, max |diff|':>30}")
for name, (land, point) in problems.items():
    thetas, lookaheads = nesterov_lookahead(land, point, lr=0.03, beta=0.9, steps=60)
    nag = run_trajectory(land, torch.optim.SGD, point, 60, lr=0.03, momentum=0.9, nesterov=True)
    same = np.abs(nag.positions - lookaheads).max() < 1e-12
    print(f"{name:>12} {str(same):>35} {np.abs(nag.positions - thetas).max():30.4f}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice:** PyTorch's Nesterov parameters are the look-ahead points $\theta'_t$ of
# Sutskever et al.'s form, to rounding error, on both landscapes; not its iterates $\theta_t$ (off by
# up to 0.4827 in the ravine). Both sequences converge to the same minimum, since $\Delta_t \to 0$ there.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. The payoff: steps to a tolerance against the condition number
#
# On a quadratic with Hessian eigenvalues in $[\mu, L]$, $\kappa = L/\mu$, each method has a best
# fixed setting and a worst-case rate $\rho$ (the error shrinks roughly like $\rho^t$):
#
# | method | torch `lr` | $\beta$ (torch `momentum`) | rate $\rho$ | steps for large $\kappa$ |
# |---|---|---|---|---|
# | GD | $2/(L+\mu)$ | 0 | $\frac{\kappa-1}{\kappa+1}$ | $\approx \frac{\kappa}{2}\ln\frac{r_0}{\text{tol}}$ |
# | heavy ball (Polyak, 1964) | $4/(\sqrt L+\sqrt\mu)^2$ | $\left(\frac{\sqrt\kappa-1}{\sqrt\kappa+1}\right)^2$ | $\frac{\sqrt\kappa-1}{\sqrt\kappa+1}$ | $\approx \frac{\sqrt\kappa}{2}\ln\frac{r_0}{\text{tol}}$ |
# | Nesterov (1983) | $1/L$ | $\frac{\sqrt\kappa-1}{\sqrt\kappa+1}$ | $1-\frac{1}{\sqrt\kappa}$ | $\approx \sqrt\kappa\,\ln\frac{r_0}{\text{tol}}$ |
#
# where $r_0 = \|\theta_0 - \theta^*\|$ and tol is the distance we stop at.

# %% [markdown] slideshow={"slide_type": "skip"}
# The heavy-ball values are Polyak's optimum for quadratics in PyTorch's form $b_t = \beta b_{t-1} + g_t$,
# $\theta_t = \theta_{t-1} - \text{lr}\, b_t$ (Goh, 2017, gives the same step size and $\beta$); Nesterov's
# are his constant-momentum scheme for $\mu$-strongly convex, $L$-smooth functions (Nesterov, 2018,
# section 2.2), whose rate on a quadratic is $1 - 1/\sqrt\kappa$ (a double root, derived in the notes).
# Both momentum methods need $\sim\sqrt\kappa$ steps where GD needs $\sim\kappa$.
#
# We take the ravine quadratic with eigenvalues $(1, \kappa)$ rotated by 30°, start at $(-1.5, 1)$
# and count the steps until $\|\theta_t - \theta^*\| < \text{tol} = 10^{-6}$, with
# `torch.optim.SGD` for all three. The gradient of $\tfrac12\theta^\top H\theta$ is $H\theta$, so we set
# `theta.grad` directly: thousands of GD steps then take well under a second.

# %% [markdown] slideshow={"slide_type": "notes"}
# **Nesterov's rate on a quadratic.** Along an eigenvector with eigenvalue $\lambda$, the error of
# Nesterov's method obeys $e_t = (1+\beta)(1-\text{lr}\,\lambda)e_{t-1} - \beta(1-\text{lr}\,\lambda)e_{t-2}$,
# with characteristic roots $z^2 - (1+\beta)(1-\lambda/L)\, z + \beta(1-\lambda/L) = 0$ (at $\text{lr} = 1/L$).
# At $\lambda = \mu$ and $\beta = (\sqrt\kappa-1)/(\sqrt\kappa+1)$, the discriminant
# $(1+\beta)^2(1-1/\kappa)^2 - 4\beta(1-1/\kappa)$ is exactly 0, and the double root is
# $z = (1+\beta)(1-1/\kappa)/2 = 1 - 1/\sqrt\kappa$. The heavy ball's optimal
# roots have modulus $\sqrt\beta = (\sqrt\kappa-1)/(\sqrt\kappa+1)$ for every $\lambda$ in $[\mu, L]$, and
# are double at both ends of the spectrum. What a double root does to the step counts is the
# subject of the subsection after the figure.

# %% slideshow={"slide_type": "skip"}
def distances_to_minimum(H, start, tol, max_steps, **hp):
    """Run torch.optim.SGD(**hp) on L = theta^T H theta / 2 (gradient H theta) until ||theta|| < tol."""
    theta = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([theta], **hp)
    distances = [float(theta.detach().norm())]
    while distances[-1] >= tol and len(distances) <= max_steps:
        theta.grad = H @ theta.detach()
        opt.step()
        distances.append(float(theta.detach().norm()))
    return np.array(distances)


def hessian(eigenvalues, angle):
    """H = R diag(eigenvalues) R^T, the Hessian of course_utils.quadratic(eigenvalues, angle)."""
    c, s = math.cos(angle), math.sin(angle)
    R = torch.tensor([[c, -s], [s, c]], dtype=torch.float64)
    return R @ torch.diag(torch.tensor(eigenvalues, dtype=torch.float64)) @ R.T


def best_settings(mu, L):
    """Each method's theoretically best torch.optim.SGD arguments and its rate rho on a quadratic."""
    kappa, q = L / mu, math.sqrt(L / mu)
    return {
        "GD": ({"lr": 2 / (L + mu)}, (kappa - 1) / (kappa + 1)),
        "heavy ball": ({"lr": 4 / (math.sqrt(L) + math.sqrt(mu)) ** 2, "momentum": ((q - 1) / (q + 1)) ** 2},
                       (q - 1) / (q + 1)),
        "Nesterov": ({"lr": 1 / L, "momentum": (q - 1) / (q + 1), "nesterov": True}, 1 - 1 / q),
    }


# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Steps to $\text{tol} = 10^{-6}$ from $(-1.5, 1)$, each method at its best setting

# %%
tol = 1e-6
r0 = math.hypot(*start)  # the start's distance to the minimum
kappas = (10, 100, 1000)
measured, curves = {}, {}
print(f"r0 = {r0:.4f}, tol = {tol:g}")
print(f"{'kappa':>5} {'method':>10} {'lr':>8} {'momentum':>8} {'rho':>7} {'ln(r0/tol)/ln(1/rho)':>20} {'measured':>8}")
for kappa in kappas:
    H = hessian((1.0, float(kappa)), math.pi / 6)
    for method, (hp, rho) in best_settings(1.0, float(kappa)).items():
        dist = distances_to_minimum(H, start, tol, 20_000, **hp)
        measured[kappa, method] = len(dist) - 1
        curves[kappa, method] = dist
        predicted = math.log(r0 / tol) / math.log(1 / rho)
        print(f"{kappa:5d} {method:>10} {hp['lr']:8.5f} {hp.get('momentum', 0.0):8.4f} {rho:7.4f} "
              f"{predicted:20.1f} {measured[kappa, method]:8d}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Ten times the $\kappa$: ten times GD's steps, $\sqrt{10} = 3.16$ times momentum's

# %%
print(f"{'method':>10} {'steps(100)/steps(10)':>21} {'steps(1000)/steps(100)':>23} {'theory':>7}")
for method in ("GD", "heavy ball", "Nesterov"):
    theory = 10.0 if method == "GD" else math.sqrt(10)
    print(f"{method:>10} {measured[100, method] / measured[10, method]:21.2f} "
          f"{measured[1000, method] / measured[100, method]:23.2f} {theory:7.2f}")
print(f"\nGD needs {measured[1000, 'GD'] / measured[1000, 'heavy ball']:.1f} times the heavy ball's steps "
      f"and {measured[1000, 'GD'] / measured[1000, 'Nesterov']:.1f} times Nesterov's at kappa = 1000.")

# %% slideshow={"slide_type": "skip"}
def distance_curves_figure(kappa=100):
    """The measured distance per step of each tuned method, against r0 rho^t."""
    fig, ax = new_figure(figsize=(8.0, 4.2))
    for i, method in enumerate(("GD", "heavy ball", "Nesterov")):
        dist = curves[kappa, method]
        rho = best_settings(1.0, float(kappa))[method][1]
        ax.semilogy(dist, color=PALETTE[i], label=f"{method}: measured ({len(dist) - 1} steps)")
        t = np.arange(len(dist))
        ax.semilogy(t, r0 * rho**t, "--", color=PALETTE[i], linewidth=1.0,
                    label=f"{method}: $r_0\\rho^t$, $\\rho$ = {rho:.4f}")
    ax.axhline(tol, color="black", linewidth=0.8, linestyle=":", label="tol $= 10^{-6}$")
    ax.set_xlabel("step $t$")
    ax.set_ylabel(r"distance to the minimum $\|\theta_t - \theta^*\|$")
    ax.set_title(rf"Best-tuned GD, heavy ball and Nesterov on a quadratic with $\kappa$ = {kappa}")
    ax.set_ylim(1e-7, 10)
    ax.legend(loc="upper right", ncol=2, fontsize=8)
    return fig


# %% slideshow={"slide_type": "subslide"}
distance_curves_figure(kappa=100)

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice**
# - GD's counts match $\ln(r_0/\text{tol})/\ln(1/\rho)$ almost exactly (72, 721, 7203) and grow tenfold
#   with $\kappa$ (ratios 10.01 and 9.99).
# - Heavy ball and Nesterov grow by about $\sqrt{10}$ (ratios 3.50 and 3.36, 3.60 and 3.30): at
#   $\kappa = 1000$ GD needs 21.9 times the heavy ball's steps and 14.1 times Nesterov's.
# - Heavy ball beats Nesterov on a quadratic (329 against 511 steps at $\kappa = 1000$): its rate
#   $\approx 1 - 2/\sqrt\kappa$ is better than $1 - 1/\sqrt\kappa$.
# - But both need more steps than $\ln(r_0/\text{tol})/\ln(1/\rho)$: 329 against 227.7 and 511
#   against 448.3 at $\kappa = 1000$. Why?

# %% [markdown] slideshow={"slide_type": "skip"}
# Nesterov's advantage is elsewhere: its guarantee holds for every smooth strongly convex function,
# where the heavy ball's tuned rate can fail (Lessard et al., 2016). And the catch of this section:
# these settings need $\mu$ and $L$. In deep learning neither is known, and $\beta = 0.9$ with a tuned
# learning rate is the usual compromise. The heavy ball's distance curve is not monotone: momentum
# overshoots.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Why the counts exceed $\ln(r_0/\text{tol})/\ln(1/\rho)$: double roots
#
# Along an eigenvector $q_i$ the error $e_{t,i}$ follows a two-term recursion. At the tuned settings
# its characteristic roots are a **double root** $z_i$ (at both ends of the spectrum for the heavy
# ball, at $\lambda = \mu$ for Nesterov), and a double root gives
#
# $$
# e_{t,i} = e_{0,i}\,(1 + \xi_i\, t)\, z_i^t, \qquad \xi_i = \frac{e_{1,i}}{z_i\, e_{0,i}} - 1,
# $$
#
# not $e_{0,i}\,\rho^t$. The linear factor costs $\ln(1 + \xi_i t)/\ln(1/\rho)$ extra steps. We
# evaluate this closed form, from the first step $e_{1,i}$ of each method, and count its steps to tol.

# %% slideshow={"slide_type": "subslide"}
def double_root_model(H, start, lr, beta, nesterov):
    """Per eigen-direction: (eigenvalue, component e_0, double root z, xi) of e_t = e_0 (1 + xi t) z^t."""
    lams, Q = torch.linalg.eigh(H)
    e0 = Q.T @ torch.tensor(start, dtype=torch.float64)  # the start in the eigenbasis
    model = []
    for lam, e in zip(lams.tolist(), e0.tolist(), strict=True):
        if nesterov:  # z^2 - (1+beta) q z + beta q = 0, q = 1 - lr lam; first step e_1 = (1 - lr lam (1+beta)) e_0
            z, e1 = (1 + beta) * (1 - lr * lam) / 2, (1 - lr * lam * (1 + beta)) * e
        else:  # heavy ball: z^2 - (1 + beta - lr lam) z + beta = 0; first step e_1 = (1 - lr lam) e_0 (b_1 = g_1)
            z, e1 = (1 + beta - lr * lam) / 2, (1 - lr * lam) * e
        model.append((lam, e, z, e1 / z / e - 1 if abs(z) > 1e-9 else 0.0))  # z = 0: e_t = 0 from t = 2 on
    return model


def model_distance(model, t):
    """||e_t|| from the closed form, for t >= 2 (a direction with z = 0 is exactly 0 from t = 2 on)."""
    return math.sqrt(sum((e * (1 + xi * t) * z**t) ** 2 for _, e, z, xi in model if abs(z) > 1e-9))


print(f"{'kappa':>5} {'method':>10} {'ln(r0/tol)/ln(1/rho)':>20} {'double-root model':>17} {'measured':>8}")
for kappa in kappas:
    H = hessian((1.0, float(kappa)), math.pi / 6)
    for method in ("heavy ball", "Nesterov"):
        hp, rho = best_settings(1.0, float(kappa))[method]
        model = double_root_model(H, start, hp["lr"], hp["momentum"], hp.get("nesterov", False))
        steps = next(t for t in range(2, 100_000) if model_distance(model, t) < tol)
        print(f"{kappa:5d} {method:>10} {math.log(r0 / tol) / math.log(1 / rho):20.1f} {steps:17d} "
              f"{measured[kappa, method]:8d}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Where the extra steps come from, at $\kappa = 1000$

# %%
H = hessian((1.0, 1000.0), math.pi / 6)
print(f"{'method':>10} {'lambda':>6} {'|e_0|':>6} {'root z':>8} {'xi':>7} {'extra steps':>11} "
      f"{'|e_0| < r0':>10} {'total':>6}")
for method in ("heavy ball", "Nesterov"):
    hp, rho = best_settings(1.0, 1000.0)[method]
    for lam, e, z, xi in double_root_model(H, start, hp["lr"], hp["momentum"], hp.get("nesterov", False)):
        if abs(z) < 1e-9:
            print(f"{method:>10} {lam:6.0f} {abs(e):6.3f} {'0':>8}   (a double root at 0: gone after two steps)")
            continue
        t = next(t for t in range(100_000) if abs(e * (1 + xi * t) * z**t) < tol)  # this direction alone
        extra = math.log(1 + xi * t) / math.log(1 / rho)
        closer = math.log(r0 / abs(e)) / math.log(1 / rho)
        naive = math.log(r0 / tol) / math.log(1 / rho)
        print(f"{method:>10} {lam:6.0f} {abs(e):6.3f} {z:+8.4f} {xi:7.4f} {extra:+11.1f} "
              f"{-closer:+10.1f} {naive + extra - closer:6.1f}")
lr_hb = best_settings(1.0, 1000.0)["heavy ball"][0]["lr"]
print(f"heavy ball: lr * L = {lr_hb * 1000:.2f}, so its first step multiplies the steep error by "
      f"1 - lr * L = {1 - lr_hb * 1000:+.2f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice**
# - The double-root model reproduces every measured count exactly: the gap is the $t\,z^t$ term,
#   not rounding or a bad tuning.
# - Heavy ball: the steep direction ($\lambda = 1000$) dominates. Its first step, a full $\text{lr}\, g_1$
#   with $\text{lr}\cdot L = 3.76$, multiplies the steep error by $-2.76$; hence $\xi = 1.9387$
#   and 102.1 extra steps, minus 1.7 because that component is 1.616, not $r_0 = 1.8028$.
# - Nesterov: the steep direction is gone after two steps; along $\lambda = 1$, $\xi = 0.0307$ adds
#   87.5 steps, and the start's smaller component there (0.799) saves 25.3.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. In a ravine and on a plateau
#
# The same learning rate for all three, as you would use them in practice: GD, heavy ball and
# Nesterov with lr $= 0.02$ and $\beta = 0.9$ on a steeper ravine, $\kappa = 50$, for 60 steps. With
# $\text{lr}\cdot\lambda_{\max} = 1$, GD removes the steep component in a single step.

# %%
steep_ravine = quadratic((1.0, 50.0), angle=math.pi / 6)
lr_ravine = 0.02
ravine_runs = [
    run_trajectory(steep_ravine, GD, start, 60, lr=lr_ravine, label="GD"),
    run_trajectory(steep_ravine, torch.optim.SGD, start, 60, lr=lr_ravine, momentum=0.9, label="heavy ball"),
    run_trajectory(steep_ravine, torch.optim.SGD, start, 60, lr=lr_ravine, momentum=0.9, nesterov=True,
                   label="Nesterov"),
]
print(f"lr * lambda_max = {lr_ravine * 50:.2f}")
print(f"{'method':>10} {'dist. at t=10':>13} {'t=30':>8} {'t=60':>8} {'loss increases':>14}")
for tr in ravine_runs:
    dist = np.linalg.norm(tr.positions, axis=1)
    ups = int(np.sum(np.diff(tr.losses) > 0))
    print(f"{tr.label:>10} {dist[10]:13.4f} {dist[30]:8.4f} {dist[60]:8.4f} {ups:14d}")

# %% slideshow={"slide_type": "subslide"}
# GD drawn last, on top: its first step runs along Nesterov's
draw_explorer(steep_ravine, ravine_runs[::-1], colors=PALETTE[2::-1], dpi=80,
              title=r"The same lr = 0.02 and $\beta$ = 0.9 in a ravine with $\kappa$ = 50, 60 steps")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice**
# - GD's loss never goes up, but after 60 steps it is still 0.2378 from the minimum: the flat
#   direction (eigenvalue 1) shrinks by only $1 - 0.02 = 0.98$ per step.
# - The heavy ball moves faster along the floor (0.0493 after 60 steps) but swings from wall to wall
#   across the ravine: its loss goes up at 27 of the 60 steps.
# - Nesterov's look-ahead damps the swings across the ravine after its first overshoot; its loss
#   rises only in slow waves along the floor (16 steps), and it ends closest, 0.0036 from the minimum.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Escaping the plateau from $(-4, 6)$: GD needed 191 steps in notebook 00
#
# GD, PyTorch's momentum and Nesterov at lr $= 1$ ($\beta = 0.9$), the averaging form at $\eta = 1$; 300 steps.

# %%
minimum = pathological.critical_points[0]
plateau_runs = [
    run_trajectory(pathological, GD, plateau_start, 300, lr=1.0, label="GD, lr = 1"),
    run_trajectory(pathological, torch.optim.SGD, plateau_start, 300, lr=1.0, momentum=0.9,
                   label="momentum (torch), lr = 1, β = 0.9"),
    run_trajectory(pathological, torch.optim.SGD, plateau_start, 300, lr=1.0, momentum=0.9, nesterov=True,
                   label="Nesterov (torch), lr = 1, β = 0.9"),
    run_trajectory(pathological, EMAMomentum, plateau_start, 300, lr=1.0, beta=0.9,
                   label="averaging form, η = 1, β = 0.9"),
]
print(f"{'run':>36} {'steps to |w0| < 1':>17} {'final loss':>10} {'dist. to minimum':>16}")
for tr in plateau_runs:
    left = np.flatnonzero(np.abs(tr.positions[:, 0]) < 1)
    escape = str(left[0]) if len(left) else "not in 300"
    dist = math.hypot(tr.final_position[0] - minimum.x, tr.final_position[1] - minimum.y)
    print(f"{tr.label:>36} {escape:>17} {tr.final_loss:10.4f} {dist:16.4f}")
print(f"{'loss at the minimum':>36} {'':>17} {float(pathological(minimum.x, minimum.y)):10.4f}")
w_star = torch.tensor([minimum.x, minimum.y], dtype=torch.float64)
lam_max = float(torch.linalg.eigvalsh(torch.autograd.functional.hessian(pathological.loss, w_star))[-1])
print(f"at the minimum lr * lambda_max = {1.0 * lam_max:.4f}; Nesterov with beta = 0.9 "
      f"is stable only below {2 * 1.9 / 2.8:.4f} (section 6)")

# %% slideshow={"slide_type": "subslide"}
# Nesterov's bouncing would hide the others: the figure shows GD, momentum and the averaging form
draw_explorer(pathological, [plateau_runs[i] for i in (0, 1, 3)], colors=[PALETTE[0], PALETTE[1], PALETTE[3]],
              dpi=80, title="Leaving the plateau from (-4, 6): GD against momentum at the same learning rate")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice**
# - At the same lr $= 1$, PyTorch's momentum leaves the plateau after 39 steps instead of 191 (its steps
#   approach $\text{lr}\cdot g/(1-\beta)$, ten times GD's) and settles at the minimum (distance 0.0001),
#   while GD is still 0.3572 away after 300 steps.
# - Nesterov leaves first (37 steps) but never settles: at the minimum $\text{lr}\cdot\lambda_{\max} = 2$ is
#   above its stability limit 1.3571 (section 6), so it keeps bouncing (final loss 0.3094).
# - The averaging form at the same $\eta = 1$ leaves *later* than GD (226 steps): on a steady slope its
#   steps only approach GD's (section 1), and they start ten times smaller (the EWMA's start-up bias).
#   Momentum "accelerates" on a plateau only through PyTorch's effective learning rate $\text{lr}/(1-\beta)$.

# %% [markdown] slideshow={"slide_type": "skip"}
# A learning rate that suits the heavy ball can be too large for Nesterov. The averaging form does
# end closer to the minimum than GD, 0.1108 against 0.3572.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. The rate map over $(\text{lr}, \beta)$
#
# Along an eigenvector with eigenvalue $\lambda$, the heavy ball's error follows
# $e_t = (1 + \beta - \text{lr}\,\lambda)\,e_{t-1} - \beta\, e_{t-2}$; its rate is the larger modulus of the
# roots of $z^2 - (1+\beta-\text{lr}\,\lambda)\,z + \beta = 0$, and on a quadratic with eigenvalues in
# $[\mu, L]$ the worst are the two ends (Goh, 2017). The map has three landmarks:
# - **critical damping** for $\lambda$: a double root, $\beta = (1 - \sqrt{\text{lr}\,\lambda})^2$; above it
#   the roots are complex with modulus $\sqrt\beta$ (the ball oscillates), below they are real (and
#   negative when $\text{lr}\,\lambda > 1$: the error then flips sign at every step);
# - the **optimum** $\text{lr}^* = 4/(\sqrt L + \sqrt\mu)^2$, $\beta^* = \big(\frac{\sqrt\kappa-1}{\sqrt\kappa+1}\big)^2$: critical
#   for $\mu$ and for $L$ at once, rate $\rho^* = \sqrt{\beta^*}$;
# - the **stability limit** $\text{lr}\cdot L < 2(1+\beta)$ (a root at $-1$).

# %% [markdown] slideshow={"slide_type": "skip"}
# We draw the map for the $\kappa = 50$ ravine of section 5 (eigenvalues 1 and 50) over the ranges of
# the sliders in section 7: lr from $10^{-3}$ to $0.1$ on a log scale, $\beta$ from 0 to 0.99. The rate
# is computed from the roots (the theory). On top we mark a few settings and measure their rate
# from runs of `torch.optim.SGD`: the envelope of $\|\theta_t\|$, max over steps 400 to 499 against
# max over steps 100 to 199, per step: $(\max_{[400,500)} / \max_{[100,200)})^{1/300}$. The envelope
# ignores the oscillation of underdamped runs within a window.

# %% slideshow={"slide_type": "subslide"}
def heavy_ball_rate(lr, beta, eigenvalues):
    """The heavy ball's rate: the largest root modulus of z^2 - (1 + beta - lr lam) z + beta, worst lam."""
    lr, beta = torch.as_tensor(lr, dtype=torch.float64), torch.as_tensor(beta, dtype=torch.float64)
    worst = torch.zeros(torch.broadcast_shapes(lr.shape, beta.shape), dtype=torch.float64)
    for lam in eigenvalues:
        b = 1 + beta - lr * lam
        root = torch.sqrt((b * b - 4 * beta).to(torch.complex128))
        worst = torch.maximum(worst, torch.maximum(((b + root) / 2).abs(), ((b - root) / 2).abs()))
    return worst


mu_50, L_50 = 1.0, 50.0
q50 = math.sqrt(L_50 / mu_50)
lr_star, beta_star, rho_star = 4 / (math.sqrt(L_50) + math.sqrt(mu_50)) ** 2, ((q50 - 1) / (q50 + 1)) ** 2, (q50 - 1) / (q50 + 1)
lr_grid = torch.logspace(-3, -1, 400, dtype=torch.float64)
beta_grid = torch.linspace(0.0, 0.99, 400, dtype=torch.float64)
rate_map = heavy_ball_rate(lr_grid[None, :], beta_grid[:, None], (mu_50, L_50))
i_beta, i_lr = divmod(int(rate_map.argmin()), len(lr_grid))
print(f"theory: rho* = {rho_star:.4f} at lr* = {lr_star:.4f}, beta* = {beta_star:.4f}")
print(f"smallest rate on the 400 x 400 grid: {float(rate_map.min()):.4f} at lr = {float(lr_grid[i_lr]):.4f}, "
      f"beta = {float(beta_grid[i_beta]):.4f}")
print(f"GD's best rate for comparison: (kappa - 1)/(kappa + 1) = {(L_50 - mu_50) / (L_50 + mu_50):.4f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Measured rate against the theory at six settings

# %%
H50 = hessian((mu_50, L_50), math.pi / 6)
settings = {"optimum": (lr_star, beta_star), "best GD": (2 / (mu_50 + L_50), 0.0),
            "section 5": (0.02, 0.9), "lr 0.02, beta 0.5": (0.02, 0.5),
            "lr 0.003, beta 0.9": (0.003, 0.9), "lr 0.07, beta 0.5": (0.07, 0.5)}
print(f"{'setting':>18} {'lr':>7} {'beta':>6} {'theory':>7} {'measured':>8} {'measured/theory':>15}")
for name, (lr, beta) in settings.items():
    dist = distances_to_minimum(H50, start, 0.0, 500, lr=lr, momentum=beta)
    measured_rate = (dist[400:500].max() / dist[100:200].max()) ** (1 / 300)
    theory = float(heavy_ball_rate(lr, beta, (mu_50, L_50)))
    print(f"{name:>18} {lr:7.4f} {beta:6.4f} {theory:7.4f} {measured_rate:8.4f} {measured_rate / theory:15.4f}")
print(f"the double roots' t z^t term over the windows: (400/100)^(1/300) = {4 ** (1 / 300):.4f}")

# %% slideshow={"slide_type": "skip"}
def rate_map_figure():
    """The heavy ball's rate over (lr, beta) for eigenvalues (mu_50, L_50), with its landmarks."""
    fig, ax = new_figure(figsize=(9.0, 4.4))
    gain = (1 - rate_map).numpy()  # the fraction of the error removed per step
    gain[gain <= 0] = np.nan  # diverges: drawn grey
    cmap = colormaps["viridis"].with_extremes(bad="0.85")
    mesh = ax.pcolormesh(lr_grid.numpy(), beta_grid.numpy(), gain, cmap=cmap, shading="auto",
                         norm=LogNorm(vmin=1e-3, vmax=1 - rho_star))
    fig.colorbar(mesh, ax=ax, label=r"$1 - \rho$ (log scale; grey: diverges)")
    ax.contour(lr_grid.numpy(), beta_grid.numpy(), rate_map.numpy(), levels=[0.8, 0.9, 0.95, 0.99],
               colors="white", linewidths=0.6)
    ax.contour(lr_grid.numpy(), beta_grid.numpy(), rate_map.numpy(), levels=[1.0], colors="black", linewidths=1.5)
    ax.plot([], [], color="black", linewidth=1.5, label=r"stability limit lr$\cdot L = 2(1+\beta)$")
    for lam, style in ((mu_50, "--"), (L_50, ":")):
        ax.plot(lr_grid, (1 - torch.sqrt(lr_grid * lam)) ** 2, style, color="#D55E00", linewidth=1.6,
                label=rf"critical damping for $\lambda$ = {lam:g}")
    offsets = {"lr 0.07, beta 0.5": (-8, -14)}  # keep that label on the map, left of its point
    for name, (lr, beta) in settings.items():
        if name != "optimum":
            ax.plot(lr, beta, "o", color="white", markeredgecolor="black", markersize=6)
            dx, dy = offsets.get(name, (5, 5))
            ax.annotate(name, (lr, beta), xytext=(dx, dy), textcoords="offset points", fontsize=7,
                        ha="right" if dx < 0 else "left", bbox={"boxstyle": "round,pad=0.15", "fc": "white",
                                                                "ec": "none", "alpha": 0.8})
    ax.plot(lr_star, beta_star, "*", color="#F0E442", markeredgecolor="black", markersize=14,
            label=rf"optimum, $\rho^*$ = {rho_star:.4f}")
    ax.set_xscale("log")
    ax.set_ylim(0.0, 0.99)
    ax.set_xlabel("learning rate lr (log scale)")
    ax.set_ylabel(r"momentum $\beta$")
    ax.set_title(r"Heavy ball, eigenvalues 1 and 50: rate $\rho$ per step (white: $\rho$ = 0.8, 0.9, 0.95, 0.99)")
    ax.legend(loc="lower left", fontsize=8)
    return fig


# %% slideshow={"slide_type": "subslide"}
rate_map_figure()

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice**
# - The best rate, $\rho^* = 0.7522$, sits where the two critical-damping curves cross; the grid's best,
#   0.7538, is next to it. GD's best is 0.9608: momentum's best rate is far better.
# - Measured and theoretical rates agree within 0.0003 at the five settings with distinct roots;
#   at the optimum the measured rate is 1.0046 times the theory: the double roots' $(1 + \xi t)\,z^t$,
#   the term that added steps in section 4, grows the envelope by about $400/100$ between the two
#   windows, a factor $(400/100)^{1/300} = 1.0046$ per step.
# - Above both critical curves the ball oscillates and the rate is $\sqrt\beta$, whatever the learning
#   rate: too much momentum cannot be repaired by the learning rate. Past the black line it diverges.

# %% [markdown] slideshow={"slide_type": "skip"}
# The rate depends on the two ends of the spectrum only: for any quadratic with eigenvalues in
# $[\mu, L]$ this map, and its optimum, are the same. Nesterov's method has a map of its own
# (its stability limit, $\text{lr}\cdot L < 2(1+\beta)/(1+2\beta)$, is checked below).

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The stability limits, checked
#
# Each method is stable while its roots stay inside the unit circle; the boundary is a root at $-1$:
# $\text{lr}\cdot\lambda_{\max} < 2$ for GD, $< 2(1+\beta)$ for the heavy ball and $< 2(1+\beta)/(1+2\beta)$ for
# Nesterov. Runs of 300 steps on the $\kappa = 50$ ravine at 0.98 and 1.02 times each limit:

# %%
print(f"{'method':>10} {'beta':>5} {'largest stable lr':>17} {'distance after 300 steps at x0.98':>34} {'at x1.02':>9}")
for beta in (0.5, 0.9):
    limits = {"GD": ({}, 2 / 50), "heavy ball": ({"momentum": beta}, 2 * (1 + beta) / 50),
              "Nesterov": ({"momentum": beta, "nesterov": True}, 2 * (1 + beta) / ((1 + 2 * beta) * 50))}
    for method, (hp, lr_max) in limits.items():
        below = distances_to_minimum(H50, start, 0.0, 300, lr=0.98 * lr_max, **hp)[-1]
        above = distances_to_minimum(H50, start, 0.0, 300, lr=1.02 * lr_max, **hp)[-1]
        print(f"{method:>10} {beta:5.1f} {lr_max:17.4f} {below:34.1e} {above:9.1e}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice:** at 0.98 times each limit every run converges (at most $9.2\times10^{-6}$ from the
# minimum after 300 steps); at 1.02 times every run blows up (at least $2.1\times10^{5}$ away). With
# $\beta = 0.9$ the heavy ball tolerates lr up to 0.076, almost twice GD's 0.04; Nesterov's limit,
# 0.0271, is below GD's.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. Explore lr and $\beta$
#
# The sliders set the learning rate (log scale, $10^{-3}$ to $0.1$) and $\beta$ (0 to 0.99), shared by
# the three optimizers (GD ignores $\beta$), on the $\kappa = 50$ ravine, for 60 steps: every slider
# position is a point of the map of section 6. Try a large $\beta$ with a small learning rate, then
# push the learning rate past the limits above.

# %% [markdown] slideshow={"slide_type": "skip"}
# The widget needs a live kernel; below it is a static figure of the same comparison for three values
# of $\beta$. At $\beta = 0$ the "Nesterov" run is plain GD, which is what Nesterov's update reduces to
# without momentum (PyTorch refuses `nesterov=True` with zero momentum).

# %% slideshow={"slide_type": "subslide"} tags=["nbval-ignore-output"]
explorer = trajectory_explorer(
    steep_ravine,
    {
        "GD": GD,
        "heavy ball": (torch.optim.SGD, lambda v: {"lr": v["lr"], "momentum": v["beta"]}),
        "Nesterov": (torch.optim.SGD, lambda v: {"lr": v["lr"], "momentum": v["beta"], "nesterov": v["beta"] > 0}),
    },
    start, 60,
    sliders={"lr": (1e-3, 0.1, 0.05, 0.02, "log"), "beta": (0.0, 0.99, 0.01, 0.9)},
    figsize=(9.5, 3.4),
)
explorer

# %% slideshow={"slide_type": "skip"}
explorer_optimizers = {
    "GD": GD,
    "heavy ball": (torch.optim.SGD, lambda v: {"lr": v["lr"], "momentum": v["beta"]}),
    "Nesterov": (torch.optim.SGD, lambda v: {"lr": v["lr"], "momentum": v["beta"], "nesterov": True}),
}


def three_betas_figure(betas_shown=(0.5, 0.8, 0.95), lr=0.02):
    """The explorer's comparison at one lr for three values of beta; prints each final distance."""
    fig, axes = new_figure(1, 3, figsize=(9.6, 3.3))
    print(f"{'beta':>5} " + " ".join(f"{name + ' distance at t=60':>28}" for name in explorer_optimizers))
    for ax, beta in zip(axes, betas_shown, strict=True):
        runs = explorer_trajectories(steep_ravine, explorer_optimizers, start, 60, {"lr": lr, "beta": beta})
        print(f"{beta:5.2f} " + " ".join(f"{np.linalg.norm(tr.final_position):28.4f}" for tr in runs))
        for tr, name in zip(runs, explorer_optimizers, strict=True):
            tr.label = name
        plot_contour(steep_ravine, runs[::-1], ax=ax, colors=PALETTE[2::-1], markersize=2.0, n=100,
                     title=rf"lr = {lr}, $\beta$ = {beta}")
        ax.legend(loc="lower right", fontsize=7)
    fig.suptitle(r"GD, heavy ball and Nesterov for three values of $\beta$ (60 steps on the $\kappa$ = 50 ravine)")
    fig.set_dpi(80)  # with the 80 dpi of the other trajectory figures, the notebook stays under 1 MB
    return fig


# %% slideshow={"slide_type": "subslide"}
three_betas_figure()

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice:** at $\beta = 0.5$ both momentum methods are a faster GD with a mild overshoot
# (0.0646 and 0.0668 from the minimum after 60 steps, against GD's 0.2378); at $\beta = 0.8$ both are
# much closer (0.0015 and 0.0002); at $\beta = 0.95$ the heavy ball's memory is so long that it swings
# around the minimum for the whole run (0.1112), while Nesterov's look-ahead damps it (0.0432). On the
# map, $\beta = 0.95$ at lr $= 0.02$ lies above both critical curves: rate $\sqrt{0.95} = 0.97$.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 1: momentum, PyTorch-compatible
#
# Write `Momentum`, a subclass of `OptimizerBase` that reproduces `torch.optim.SGD` with the
# hyperparameters `lr`, `momentum` ($\beta$), `dampening` ($\tau$) and `nesterov` (you may leave out
# `weight_decay`):
#
# $$
# b_1 = g_1,\quad b_t = \beta b_{t-1} + (1-\tau) g_t\ (t\ge 2),\qquad
# \theta_t = \begin{cases} \theta_{t-1} - \text{lr}\,(g_t + \beta b_t) & \text{nesterov} \\ \theta_{t-1} - \text{lr}\, b_t & \text{otherwise}\end{cases}
# $$
#
# and with `momentum=0`, plain GD (no buffer). Declare every hyperparameter in `defaults_`, with
# torch's defaults (`lr=1e-3`, `momentum=0`, `dampening=0`, `nesterov=False`). The check runs your class
# and `torch.optim.SGD` side by side, with dampening $> 0$ and with `nesterov=True`.

# %% slideshow={"slide_type": "subslide"} tags=["solution"]
class Momentum(OptimizerBase):
    hyperparameters = {
        "lr": Interval(0.0, math.inf),
        "momentum": Interval(0.0, math.inf),
        "dampening": Interval(0.0, 1.0, high_closed=True),
    }
    defaults_ = {"lr": 1e-3, "momentum": 0.0, "dampening": 0.0, "nesterov": False}

    def update_param(self, p, grad, state, group):
        lr, beta, tau = group["lr"], group["momentum"], group["dampening"]
        if beta != 0:
            if "b" not in state:
                state["b"] = grad.clone()  # b_1 = g_1, not dampened
            else:
                state["b"].mul_(beta).add_(grad, alpha=1 - tau)  # b_t = beta b_{t-1} + (1 - tau) g_t
            grad = grad.add(state["b"], alpha=beta) if group["nesterov"] else state["b"]
        p.add_(grad, alpha=-lr)


# %%
check_optimizer(Momentum, torch.optim.SGD, configs=[
    {"lr": 1e-3, "momentum": 0.9},
    {"lr": 1e-3, "momentum": 0.9, "dampening": 0.5},
    {"lr": 1e-3, "momentum": 0.9, "nesterov": True},
    {"lr": 1e-3},
])

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 2: which trajectory is which?
#
# The three runs below are GD, heavy-ball momentum and Nesterov momentum (all `torch.optim.SGD`,
# lr $= 0.03$, $\beta = 0.85$) on a ravine with $\kappa = 20$, in some order. Name each one:
# `answer = {"A": ..., "B": ..., "C": ...}` with the values `"GD"`, `"momentum"` and `"Nesterov"`.
# Look at the shapes, and at the loss curves.

# %% slideshow={"slide_type": "subslide"}
quiz_landscape, quiz_runs = momentum_quiz()
draw_explorer(quiz_landscape, list(quiz_runs.values()), dpi=80, title="Three optimizers, 40 steps: which is which?")

# %% tags=["solution"]
answer = {"A": "Nesterov", "B": "GD", "C": "momentum"}

# %%
check_momentum_quiz(answer)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 3: spot the difference
#
# Section 2 showed that the averaging form with $\eta$ and $\beta$ is a `torch.optim.SGD` run. Give
# the keyword arguments of `torch.optim.SGD` that reproduce the averaging form with $\eta = 0.1$,
# $\beta = 0.9$ (started at $m_0 = 0$) at **every** step, as a dict `torch_config`. (Seed 004 calls
# the averaging form the "nonstandard parameterization"; a literal translation with `dampening` is tempting.)

# %% tags=["solution"]
torch_config = {"lr": 0.01, "momentum": 0.9}

# %%
check_ema_torch_config(torch_config, eta=0.1, beta=0.9)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - Momentum steps along an EWMA of the gradients, $m_t = \beta m_{t-1} + (1-\beta) g_t$: it damps
#   gradients that flip sign; in PyTorch's form it also multiplies steady steps by $1/(1-\beta)$.
# - PyTorch's $b_t = \beta b_{t-1} + g_t$, $\theta_t = \theta_{t-1} - \text{lr}\,b_t$ equals the averaging form
#   exactly when $\text{lr} = \eta(1-\beta)$, schedules included; `dampening=β` does not (the first buffer).
# - PyTorch's Nesterov parameters are Sutskever et al.'s look-ahead points.
# - Tuned on a quadratic, GD needs $\sim\kappa$ steps, momentum $\sim\sqrt\kappa$; double roots add a
#   $t\,z^t$ term that the step counts show. The rate map puts the optimum where critical damping
#   for $\mu$ and $L$ meet.

# %% [markdown] slideshow={"slide_type": "skip"}
# In more detail: at $\kappa = 1000$, 7203 steps for GD against 329 (heavy ball) and 511 (Nesterov),
# both momentum counts reproduced exactly by the double-root model. The lr-inside-the-buffer form of Sutskever et al.
# (and seed 004) matches PyTorch only at a constant learning rate. PyTorch's Nesterov update
# $\theta'_t = \theta'_{t-1} - \text{lr}(g_t + \beta b_t)$ is the look-ahead method written for the
# look-ahead point $\theta'_t = \theta_t - \beta\Delta_t$. On the $\kappa = 50$ ravine the heavy ball's best rate is
# 0.7522 against GD's 0.9608, and above the critical-damping curves the rate is $\sqrt\beta$ whatever
# the learning rate.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## References
#
# - Boris T. Polyak, "Some methods of speeding up the convergence of iteration methods", *USSR
#   Computational Mathematics and Mathematical Physics* 4(5), 1964 (the heavy-ball method).
# - Yurii Nesterov, "A method for solving the convex programming problem with convergence rate
#   $O(1/k^2)$", *Soviet Mathematics Doklady* 27, 1983; and *Lectures on Convex Optimization*, 2nd
#   edition, Springer, 2018, section 2.2 (the constant-momentum scheme for strongly convex functions).
# - Ilya Sutskever, James Martens, George Dahl and Geoffrey Hinton, "On the importance of
#   initialization and momentum in deep learning", ICML 2013 (the look-ahead form of Nesterov momentum).
# - Gabriel Goh, "Why Momentum Really Works", *Distill*, 2017 (momentum on quadratics: the rate over
#   step size and momentum, critical damping, the optimal parameters).
# - Laurent Lessard, Benjamin Recht and Andrew Packard, "Analysis and design of optimization
#   algorithms via integral quadratic constraints", *SIAM Journal on Optimization* 26(1), 2016
#   (a strongly convex function on which the tuned heavy ball does not converge).
# - PyTorch documentation and source, `torch.optim.SGD` (`torch/optim/sgd.py`, version 2.13).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What's next
#
# Momentum fixes the direction of the step; it does not fix its *scale*, which is still one learning
# rate for all parameters. Notebook 03 (Adagrad and RMSProp) gives every parameter its own step size,
# from an EWMA of its squared gradients, and notebook 04 combines that with momentum into Adam.
