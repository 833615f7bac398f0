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
# Gradient descent forgets: every step looks only at the gradient where it stands. In a ravine
# that gradient points mostly across the valley, so GD zig-zags from wall to wall and crawls
# along the floor; on a plateau it is tiny, so GD crawls there too. Momentum gives the optimizer
# a memory: it steps along an exponentially weighted average of past gradients (notebook 01), like
# a heavy ball that keeps rolling in the direction it was already going. This notebook writes
# momentum in its two common forms, the averaging form of textbooks and the form PyTorch
# implements, works out exactly when they trace the same path (and when a plausible translation
# does not), derives PyTorch's version of Nesterov's look-ahead momentum, and measures the payoff:
# on an ill-conditioned quadratic, the steps needed grow like $\sqrt{\kappa}$ instead of $\kappa$.
#
# **Learning objectives**
# - Write momentum as an EWMA of gradients and as PyTorch's buffer $b_t = \beta b_{t-1} + g_t$,
#   and convert one into the other ($\text{lr} = \eta(1-\beta)$).
# - Explain why `dampening=β` does *not* turn `torch.optim.SGD` into the averaging form (the first buffer).
# - Derive PyTorch's Nesterov update from the look-ahead form and verify it numerically.
# - Use the theoretically best $\eta$ and $\beta$ on a quadratic and measure the $\sqrt{\kappa}$
#   speed-up of heavy-ball and Nesterov momentum over GD.
# - Recognise GD, heavy-ball and Nesterov trajectories by their shape.
#
# **Prerequisites:** 00 · Gradient descent, 01 · Exponentially weighted averages.
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
    OptimizerBase,
    check_optimizer,
    draw_explorer,
    explorer_trajectories,
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
# **Intuition.** Picture the loss as a landscape and the parameters as a ball. GD is a ball in
# thick syrup: it moves with the local slope and stops the moment the slope vanishes. Momentum
# gives the ball mass. It builds up speed along a direction where the slope keeps pointing the
# same way, and where the slope flips sign at every step (across a ravine), the pushes cancel.
#
# **The math.** In the averaging form, the optimizer keeps $m_t$, the EWMA of the gradients
# $g_t$ from notebook 01, and steps along it:
#
# $$
# m_0 = 0, \qquad m_t = \beta\, m_{t-1} + (1-\beta)\, g_t, \qquad \theta_t = \theta_{t-1} - \eta\, m_t .
# $$
#
# $m_t$ averages about the last $1/(1-\beta)$ gradients (10 for $\beta = 0.9$), with the weights
# $(1-\beta)\beta^{t-k}$ of notebook 01, and like every EWMA started at 0 it is too small at first
# by the factor $1-\beta^t$. No bias correction is applied in classical momentum.
#
# **The code.** One update rule on the course template. The option `m1_is_g1` starts the average
# at the first gradient instead of at 0; we need it in section 2.

# %%
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
# **Two gradient streams.** To see the two effects of momentum in isolation, we feed the optimizer
# a gradient sequence directly, on a single parameter: a constant gradient $g_t = 1$ (a steady
# slope) and an alternating one, $g_t = \pm 1$ (a ravine wall on each side). We print the step
# $\theta_{t-1} - \theta_t$ at a few times $t$, for GD and the averaging form with $\eta = 0.1$,
# $\beta = 0.9$. (The third row, "buffer form", is PyTorch's form from section 2 at the same $\eta$.)

# %%
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


T = 60
streams = {"constant": [1.0] * T, "alternating": [(-1.0) ** t for t in range(T)]}
shown = [1, 2, 5, 10, 20, 60]
eta, beta = 0.1, 0.9
print(f"{'stream':>11} {'optimizer':>16} " + " ".join(f"{'t=' + str(t):>8}" for t in shown) + f" {'sum of 60':>10}")
for stream, grads in streams.items():
    for label, cls, hp in [("GD", GD, {"lr": eta}),
                           ("averaging form", EMAMomentum, {"lr": eta, "beta": beta}),
                           ("buffer form", torch.optim.SGD, {"lr": eta, "momentum": beta})]:
        s = steps_taken(cls, grads, **hp)
        print(f"{stream:>11} {label:>16} " + " ".join(f"{s[t - 1]:8.4f}" for t in shown) + f" {s.sum():10.4f}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice**
# - On the constant slope the averaging form starts slowly (its first step is $\eta(1-\beta) = 0.01$,
#   the EWMA's start-up bias) and approaches GD's step $\eta = 0.1$ from below: 0.0998 at $t = 60$.
#   In this form momentum does **not** go faster than GD on a steady slope.
# - On the alternating stream the averaging form's steps shrink to about $\pm 0.005$,
#   $(1-\beta)/(1+\beta) \approx 0.053$ times GD's $\pm 0.1$: the back-and-forth pushes cancel in the average.
# - The buffer form at the *same* $\eta$ does both: it reaches 0.998, ten times GD's step
#   ($1/(1-\beta)$, the "terminal velocity" of the heavy ball), and still damps the oscillation
#   to $\pm 0.053$. Against the constant stream, the oscillation is suppressed by $(1-\beta)/(1+\beta)$
#   in both forms: momentum favours persistent directions over oscillating ones by a factor 19 at $\beta = 0.9$.

# %% [markdown] slideshow={"slide_type": "notes"}
# **The heavy ball.** Subtracting consecutive updates of the averaging form gives
# $\theta_t - \theta_{t-1} = \beta(\theta_{t-1} - \theta_{t-2}) - \eta(1-\beta)\,g_t$: the new step is
# the old step ("velocity") shrunk by the friction factor $\beta$, plus a push from the gradient.
# This is Polyak's (1964) heavy-ball method, $\theta_{t} = \theta_{t-1} - \alpha\nabla f(\theta_{t-1})
# + \beta(\theta_{t-1} - \theta_{t-2})$, with $\alpha = \eta(1-\beta)$; it is a discretisation of a ball
# with mass moving under the force $-\nabla f$ with friction.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. PyTorch's form, and when the two forms trace the same path
#
# **The math.** `torch.optim.SGD` (read `torch/optim/sgd.py`, `_single_tensor_sgd`) keeps a buffer
# $b_t$ with momentum $\beta$ and dampening $\tau$ (default 0), and steps with the learning rate
# outside the buffer:
#
# $$
# b_1 = g_1, \qquad b_t = \beta\, b_{t-1} + (1-\tau)\, g_t \ \ (t \ge 2), \qquad \theta_t = \theta_{t-1} - \text{lr}\; b_t .
# $$
#
# Note the first buffer: it is the gradient itself, with no dampening. With $\tau = 0$ that is the
# same as starting from $b_0 = 0$, because $\beta \cdot 0 + g_1 = g_1$. So $b_t = \sum_{k \le t}
# \beta^{t-k} g_k$, while the averaging form has $m_t = (1-\beta)\sum_{k\le t} \beta^{t-k} g_k$. Hence
# $m_t = (1-\beta)\, b_t$ at **every** step, the first included, and
#
# $$
# \eta\, m_t = \eta(1-\beta)\, b_t \quad\Longrightarrow\quad \text{the two forms take the same steps when } \text{lr} = \eta\,(1-\beta).
# $$
#
# **The code.** PyTorch's rule (no dampening) on the template; we check it against `torch.optim.SGD`.

# %%
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
    print(f"{name:>12}: HeavyBall vs torch.optim.SGD over 60 steps, max |difference| = {diff:.1f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# Now the claim. For three values of $\beta$ we run the averaging form with $\eta = 0.1$ and
# `torch.optim.SGD(lr=η(1-β), momentum=β)` for 60 steps on both landscapes, and compare the paths.

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
# **What to notice:** the two forms agree to rounding error (below $10^{-12}$, float64) over all
# 60 steps, for every $\beta$, from the first step on: there is no first-step discrepancy to
# correct, because with $\tau = 0$ PyTorch's $b_1 = g_1$ *is* the recursion started at $b_0 = 0$.
# (They differ only by the order of floating-point operations, so the match is to about
# $10^{-16}$, not bit for bit.) Section 1's "buffer form" row used the same $\eta$ for both forms,
# which is why it ran ten times faster: the fair comparison rescales the learning rate.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Spot the difference: `dampening=β`
#
# The averaging form has a $(1-\beta)$ in front of $g_t$, and PyTorch's buffer has a $(1-\tau)$.
# Setting $\tau = \beta$ and $\text{lr} = \eta$ looks like a faithful translation:
# $b_t = \beta b_{t-1} + (1-\beta) g_t$, the EWMA itself. It is not. PyTorch applies dampening from
# step 2 on only, so $b_1 = g_1$, not $(1-\beta) g_1$: the buffer is an EWMA that starts at the first
# gradient (notebook 01, section 7, measured exactly this buffer). Its first step is
# $1/(1-\beta)$ times the averaging form's, and the paths part from step 1. What it does equal
# is the averaging form started at $m_1 = g_1$ (`m1_is_g1=True`).

# %%
print(f"{'beta':>5} {'landscape':>12} {'first step ratio':>17} {'max |diff| vs m_0 = 0':>22} {'vs m_1 = g_1 < 1e-12':>21}")
for beta in (0.5, 0.9, 0.99):
    for name, (land, point) in problems.items():
        ema = run_trajectory(land, EMAMomentum, point, 60, lr=eta, beta=beta)
        ema_g1 = run_trajectory(land, EMAMomentum, point, 60, lr=eta, beta=beta, m1_is_g1=True)
        damped = run_trajectory(land, torch.optim.SGD, point, 60, lr=eta, momentum=beta, dampening=beta)
        ratio = np.linalg.norm(damped.positions[1] - damped.positions[0]) / np.linalg.norm(ema.positions[1] - ema.positions[0])
        gap = np.abs(damped.positions - ema.positions).max()
        same_g1 = np.abs(damped.positions - ema_g1.positions).max() < 1e-12
        print(f"{beta:5.2f} {name:>12} {ratio:17.2f} {gap:22.4f} {str(same_g1):>21}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice**
# - With `dampening=β` the first step is exactly $1/(1-\beta)$ times too long (2, 10 and 100), and
#   the paths end up far apart: in the ravine by up to 0.68, 3.14 and 12.35 for $\beta$ = 0.5, 0.9
#   and 0.99. The error is a single kick at $t = 1$, but the ball carries it: the extra velocity
#   decays only like $\beta^t$, and the landscape bends the path meanwhile.
# - The dampened buffer equals the averaging form started at $m_1 = g_1$, to rounding error.
# - Seed 004 (McAllester, 2018) writes a "standard parameterization" $v_t = \mu v_{t-1} + \text{lr}\, g_t$,
#   $\theta_t = \theta_{t-1} - v_t$, and states that $\text{lr} = \eta(1-\mu)$ gives the same sequence as
#   the averaging form. For that form with $v_0 = 0$ and a constant learning rate the claim is right,
#   but it is **not** PyTorch's form: PyTorch keeps the learning rate outside the buffer
#   (its documentation says so in a note), which matters as soon as the learning rate changes.

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Learning rate inside or outside the buffer.** We write the seed's (Sutskever et al.'s) form
# and run it against `torch.optim.SGD` for 40 steps, once with a constant learning rate and once
# with `StepLR` halving it every 10 steps. The averaging form, whose $\eta$ is also outside,
# runs with $\eta = \text{lr}/(1-\beta)$ and the same schedule.

# %%
class LrInsideMomentum(OptimizerBase):
    """Momentum with the learning rate inside the buffer: v_t = beta v_{t-1} + lr g_t (v_0 = 0), theta <- theta - v_t."""

    hyperparameters = {"lr": Interval(0.0, math.inf), "momentum": Interval(0.0, 1.0)}
    defaults_ = {"lr": 1e-3, "momentum": 0.9}

    def init_state(self, p, state, group):
        state["v"] = torch.zeros_like(p)  # v_0 = 0

    def update_param(self, p, grad, state, group):
        v = state["v"]
        v.mul_(group["momentum"]).add_(grad, alpha=group["lr"])  # v_t = beta v_{t-1} + lr g_t
        p.sub_(v)  # theta_t = theta_{t-1} - v_t


def halve_every_10(opt):
    return torch.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)


print(f"{'schedule':>21} {'lr inside vs torch, max |diff|':>30} {'averaging form vs torch < 1e-12':>31} "
      f"{'final loss torch':>16} {'lr inside':>9}")
for schedule_name, schedule in [("constant lr", None), ("StepLR, x0.5 every 10", halve_every_10)]:
    sgd = run_trajectory(ravine, torch.optim.SGD, start, 40, lr=0.01, momentum=0.9, scheduler=schedule)
    inside = run_trajectory(ravine, LrInsideMomentum, start, 40, lr=0.01, momentum=0.9, scheduler=schedule)
    ema = run_trajectory(ravine, EMAMomentum, start, 40, lr=0.1, beta=0.9, scheduler=schedule)
    print(f"{schedule_name:>21} {np.abs(inside.positions - sgd.positions).max():30.4f} "
          f"{str(np.abs(ema.positions - sgd.positions).max() < 1e-12):>31} {sgd.final_loss:16.4f} {inside.final_loss:9.4f}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice:** with a constant learning rate all three forms coincide. Under the schedule
# the lr-inside form leaves PyTorch's path (by 0.2482 here): when the learning rate halves, PyTorch
# halves the whole next step at once, past velocity included, while the lr-inside form halves only
# the new gradient's contribution and keeps the old velocity. The averaging form keeps matching
# PyTorch, because in both the learning rate multiplies the whole buffer.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Nesterov momentum: look before you leap
#
# **Intuition.** The heavy ball computes the gradient where it *is*, then adds its velocity, so it
# notices a wall only after crashing into it. Nesterov's method (1983), in the form of Sutskever
# et al. (2013), first moves by the velocity and measures the gradient *there*, at the look-ahead
# point, so it starts braking before the wall.
#
# **The math.** The look-ahead form, with velocity $v$ and $v_0 = 0$:
#
# $$
# v_t = \beta\, v_{t-1} - \text{lr}\,\nabla f(\theta_{t-1} + \beta v_{t-1}), \qquad \theta_t = \theta_{t-1} + v_t .
# $$
#
# It needs the gradient at a point other than the parameters, which does not fit an optimizer that
# receives `p.grad` computed at `p`. PyTorch therefore stores the look-ahead point itself,
# $\phi_t = \theta_t + \beta v_t$, as the parameter. With $g_t = \nabla f(\phi_{t-1})$ and
# $b_t = -v_t/\text{lr}$ (so $b_t = \beta b_{t-1} + g_t$, $b_0 = 0$), the update becomes
#
# $$
# \phi_t = \phi_{t-1} - \text{lr}\,\big(g_t + \beta\, b_t\big),
# $$
#
# which is `torch.optim.SGD(nesterov=True)`: `grad = grad.add(buf, alpha=momentum)`.

# %% [markdown] slideshow={"slide_type": "notes"}
# **Derivation.** $\phi_t = \theta_t + \beta v_t = \theta_{t-1} + (1+\beta) v_t
# = \phi_{t-1} - \beta v_{t-1} + (1+\beta) v_t$. Substitute $\beta v_{t-1} = v_t + \text{lr}\, g_t$
# (the velocity update): $\phi_t = \phi_{t-1} + \beta v_t - \text{lr}\, g_t
# = \phi_{t-1} - \text{lr}\,(g_t + \beta b_t)$ with $v_t = -\text{lr}\, b_t$. At the start
# $\phi_0 = \theta_0$ because $v_0 = 0$, so both runs start from the same point.
#
# **The code.** The look-ahead form as a plain loop (it needs the gradient at $\theta + \beta v$), which
# returns both the iterates $\theta_t$ and the look-ahead points $\phi_t$.

# %%
def nesterov_lookahead(landscape, start, lr, beta, steps):
    """v_t = beta v_{t-1} - lr grad f(theta_{t-1} + beta v_{t-1}), theta_t = theta_{t-1} + v_t, v_0 = 0.

    Returns the iterates theta_t and the look-ahead points phi_t = theta_t + beta v_t, t = 0..steps.
    """
    theta = torch.tensor(start, dtype=torch.float64)
    v = torch.zeros_like(theta)
    thetas, lookaheads = [theta.clone()], [theta.clone()]
    for _ in range(steps):
        point = (theta + beta * v).requires_grad_(True)  # the look-ahead point
        landscape(point[0], point[1]).backward()
        v = beta * v - lr * point.grad
        theta = theta + v
        thetas.append(theta.clone())
        lookaheads.append(theta + beta * v)
    return torch.stack(thetas).numpy(), torch.stack(lookaheads).numpy()


print(f"{'landscape':>12} {'torch vs look-ahead points < 1e-12':>35} {'torch vs iterates theta_t, max |diff|':>38}")
for name, (land, point) in problems.items():
    thetas, lookaheads = nesterov_lookahead(land, point, lr=0.03, beta=0.9, steps=60)
    nag = run_trajectory(land, torch.optim.SGD, point, 60, lr=0.03, momentum=0.9, nesterov=True)
    same = np.abs(nag.positions - lookaheads).max() < 1e-12
    print(f"{name:>12} {str(same):>35} {np.abs(nag.positions - thetas).max():38.4f}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice:** PyTorch's Nesterov parameters are the look-ahead points $\theta_t + \beta v_t$ of
# Sutskever et al.'s form, to rounding error, on both landscapes; they are not its iterates $\theta_t$
# (off by up to 0.4827 in the ravine). Both sequences converge to the same minimum, since
# $v_t \to 0$ there.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. The payoff: steps to a tolerance against the condition number
#
# On a quadratic with Hessian eigenvalues in $[\mu, L]$ and $\kappa = L/\mu$, each method has a
# best fixed setting and a worst-case rate $\rho$ (the error shrinks roughly like $\rho^t$):
#
# | method | $\eta$ (torch `lr`) | $\beta$ (torch `momentum`) | rate $\rho$ | steps for large $\kappa$ |
# |---|---|---|---|---|
# | GD | $2/(L+\mu)$ | 0 | $\frac{\kappa-1}{\kappa+1}$ | $\approx \frac{\kappa}{2}\ln\frac1\varepsilon$ |
# | heavy ball (Polyak, 1964) | $4/(\sqrt L+\sqrt\mu)^2$ | $\left(\frac{\sqrt\kappa-1}{\sqrt\kappa+1}\right)^2$ | $\frac{\sqrt\kappa-1}{\sqrt\kappa+1}$ | $\approx \frac{\sqrt\kappa}{2}\ln\frac1\varepsilon$ |
# | Nesterov (1983) | $1/L$ | $\frac{\sqrt\kappa-1}{\sqrt\kappa+1}$ | $1-\frac{1}{\sqrt\kappa}$ | $\approx \sqrt\kappa\,\ln\frac1\varepsilon$ |
#
# The heavy-ball values are Polyak's optimum for quadratics in the form $b_t = \beta b_{t-1} + g_t$,
# $\theta_t = \theta_{t-1} - \eta b_t$ (Goh, 2017, gives the same $\alpha$ and $\beta$); Nesterov's are his
# constant-momentum scheme for $\mu$-strongly convex, $L$-smooth functions (Nesterov, 2018, section 2.2),
# whose rate on a quadratic is $1 - 1/\sqrt\kappa$ (a double root, which we derive in the notes).
# Both momentum methods need $\sim\sqrt\kappa$ steps where GD needs $\sim\kappa$.
#
# We take the ravine quadratic with eigenvalues $(1, \kappa)$ rotated by 30°, start at $(-1.5, 1)$
# (as in notebook 00) and count the steps until $\|\theta_t - \theta^*\| < 10^{-6}$, with
# `torch.optim.SGD` for all three. The gradient of $\tfrac12\theta^\top H\theta$ is $H\theta$, so we set
# `theta.grad` directly: thousands of GD steps then take well under a second.

# %% [markdown] slideshow={"slide_type": "notes"}
# **Nesterov's rate on a quadratic.** Along an eigenvector with eigenvalue $\lambda$, the error of
# Nesterov's method obeys $e_{t+1} = (1+\beta)(1-\eta\lambda)e_t - \beta(1-\eta\lambda)e_{t-1}$, with
# characteristic roots $z^2 - (1+\beta)q z + \beta q = 0$, $q = 1-\lambda/L$. At $\lambda = \mu$ and
# $\beta = (\sqrt\kappa-1)/(\sqrt\kappa+1)$, the discriminant $(1+\beta)^2q^2 - 4\beta q$ is exactly 0,
# and the double root is $z = (1+\beta)q/2 = 1 - 1/\sqrt\kappa$. The heavy ball's optimal roots also
# have modulus $\sqrt\beta = (\sqrt\kappa-1)/(\sqrt\kappa+1)$ and are double at both ends of the
# spectrum. A double root $z$ gives errors like $t\,z^t$, so the measured counts exceed
# $\ln(\varepsilon/d_0)/\ln\rho$ by a few steps.

# %%
def distances_to_minimum(H, start, tolerance, max_steps, **hp):
    """Run torch.optim.SGD(**hp) on f = theta^T H theta / 2 (gradient H theta) until ||theta|| < tolerance."""
    theta = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([theta], **hp)
    distances = [float(theta.detach().norm())]
    while distances[-1] >= tolerance and len(distances) <= max_steps:
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


tolerance = 1e-6
d0 = math.hypot(*start)
kappas = (10, 100, 1000)
measured, curves = {}, {}
print(f"start distance d0 = {d0:.4f}, tolerance {tolerance:g}")
print(f"{'kappa':>5} {'method':>10} {'lr':>8} {'momentum':>8} {'rho':>7} {'steps predicted':>15} {'steps measured':>14}")
for kappa in kappas:
    H = hessian((1.0, float(kappa)), math.pi / 6)
    for method, (hp, rho) in best_settings(1.0, float(kappa)).items():
        dist = distances_to_minimum(H, start, tolerance, 20_000, **hp)
        measured[kappa, method] = len(dist) - 1
        curves[kappa, method] = dist
        predicted = math.log(tolerance / d0) / math.log(rho)
        print(f"{kappa:5d} {method:>10} {hp['lr']:8.5f} {hp.get('momentum', 0.0):8.4f} {rho:7.4f} "
              f"{predicted:15.1f} {measured[kappa, method]:14d}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# The theory says: ten times the $\kappa$ costs GD ten times the steps, and the momentum methods
# $\sqrt{10} = 3.16$ times.

# %%
print(f"{'method':>10} {'steps(100)/steps(10)':>21} {'steps(1000)/steps(100)':>23} {'theory':>7}")
for method in ("GD", "heavy ball", "Nesterov"):
    theory = 10.0 if method == "GD" else math.sqrt(10)
    print(f"{method:>10} {measured[100, method] / measured[10, method]:21.2f} "
          f"{measured[1000, method] / measured[100, method]:23.2f} {theory:7.2f}")
print(f"\nGD needs {measured[1000, 'GD'] / measured[1000, 'heavy ball']:.1f} times the heavy ball's steps "
      f"and {measured[1000, 'GD'] / measured[1000, 'Nesterov']:.1f} times Nesterov's at kappa = 1000.")

# %% slideshow={"slide_type": "subslide"}
fig, ax = new_figure(figsize=(8.0, 4.6))
for i, method in enumerate(("GD", "heavy ball", "Nesterov")):
    dist = curves[100, method]
    rho = best_settings(1.0, 100.0)[method][1]
    color = PALETTE[i]
    ax.semilogy(dist, color=color, label=f"{method}: measured ({len(dist) - 1} steps)")
    t = np.arange(len(dist))
    ax.semilogy(t, d0 * rho**t, "--", color=color, linewidth=1.0, label=f"{method}: $d_0\\rho^t$, $\\rho$ = {rho:.4f}")
ax.axhline(tolerance, color="black", linewidth=0.8, linestyle=":", label="tolerance $10^{-6}$")
ax.set_xlabel("step $t$")
ax.set_ylabel(r"distance to the minimum $\|\theta_t - \theta^*\|$")
ax.set_title(r"Best-tuned GD, heavy ball and Nesterov on a quadratic with $\kappa$ = 100")
ax.set_ylim(1e-7, 10)
ax.legend(loc="upper right", ncol=2, fontsize=8)
fig

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice**
# - GD's counts match its prediction almost exactly (72, 721, 7203), and they grow tenfold with
#   $\kappa$ (ratios 10.01 and 9.99).
# - Heavy ball and Nesterov grow by about $\sqrt{10}$ (ratios 3.5 and 3.36, 3.6 and 3.3): at $\kappa = 1000$
#   GD needs 21.9 times the heavy ball's steps and 14.1 times Nesterov's.
# - Heavy ball beats Nesterov on a quadratic (329 against 511 steps at $\kappa = 1000$): its rate
#   $(\sqrt\kappa-1)/(\sqrt\kappa+1) \approx 1 - 2/\sqrt\kappa$ is better than $1 - 1/\sqrt\kappa$.
#   Nesterov's advantage is elsewhere: its guarantee holds for every smooth strongly convex
#   function, where the heavy ball's tuned rate can fail (Lessard et al., 2016).
# - The measured momentum curves sit above their $d_0\rho^t$ lines by a factor that grows
#   slowly: that is the $t\,\rho^t$ of the double roots. The heavy ball's curve is not monotone:
#   momentum overshoots.
# - The catch: these settings need $\mu$ and $L$. In deep learning neither is known, and
#   $\beta = 0.9$ with a tuned learning rate is the usual compromise.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. In a ravine and on a plateau
#
# Now the same learning rate for all three, as you would use them in practice: GD, heavy ball and
# Nesterov with lr $= 0.02$ and $\beta = 0.9$ on a steeper ravine, $\kappa = 50$, for 60 steps.
# With $\text{lr}\cdot\lambda_{\max} = 1$, GD removes the steep component in a single step.

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

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice**
# - GD's loss never goes up, but after 60 steps it is still 0.2378 from the minimum: the flat
#   direction (eigenvalue 1) shrinks by only $1 - 0.02 = 0.98$ per step.
# - The heavy ball moves faster along the floor (0.0493 after 60 steps) but swings from wall to wall
#   across the ravine: its loss goes up at 27 of the 60 steps.
# - Nesterov's look-ahead damps the swings across the ravine after its first overshoot; its loss
#   rises only in slow waves along the floor (16 steps), and it ends closest, 0.0036 from the minimum.

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Escaping the plateau.** In notebook 00, GD with $\eta = 1$ needed 191 steps to leave the $\tanh$
# plateau of the pathological surface from $(-4, 6)$. Here are GD, PyTorch's momentum and Nesterov
# at the same lr $= 1$ with $\beta = 0.9$, and the averaging form at the same $\eta = 1$, for 300 steps.

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
print(f"{'run':>38} {'steps to |w0| < 1':>17} {'final loss':>10} {'dist. to minimum':>16}")
for tr in plateau_runs:
    left = np.flatnonzero(np.abs(tr.positions[:, 0]) < 1)
    escape = str(left[0]) if len(left) else "not in 300"
    dist = math.hypot(tr.final_position[0] - minimum.x, tr.final_position[1] - minimum.y)
    print(f"{tr.label:>38} {escape:>17} {tr.final_loss:10.4f} {dist:16.4f}")
print(f"{'loss at the minimum':>38} {'':>17} {float(pathological(minimum.x, minimum.y)):10.4f}")
w_star = torch.tensor([minimum.x, minimum.y], dtype=torch.float64)
lam_max = float(torch.linalg.eigvalsh(torch.autograd.functional.hessian(pathological.loss, w_star))[-1])
print(f"at the minimum lambda_max = {lam_max:.4f}: lr * lambda_max = {1.0 * lam_max:.4f}; Nesterov with beta = 0.9 "
      f"is stable only below {2 * 1.9 / 2.8:.4f} (section 6)")

# %% slideshow={"slide_type": "subslide"}
# Nesterov's bouncing would hide the others: the figure shows GD, momentum and the averaging form
draw_explorer(pathological, [plateau_runs[i] for i in (0, 1, 3)], colors=[PALETTE[0], PALETTE[1], PALETTE[3]],
              dpi=80, title="Leaving the plateau from (-4, 6): GD against momentum at the same learning rate")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice**
# - At the same lr $= 1$, PyTorch's momentum leaves the plateau after 39 steps instead of 191: on a
#   nearly constant slope its steps approach $\text{lr}\cdot g/(1-\beta)$, ten times GD's.
# - It then settles at the minimum (distance 0.0001) while GD, after 300 steps, is still 0.3572 away,
#   creeping along the flat floor in $w_1$.
# - Nesterov leaves the plateau first (37 steps) but never settles: at the minimum
#   $\text{lr}\cdot\lambda_{\max} = 2$ is above its stability limit 1.3571 (section 6), so it keeps
#   bouncing across the valley (final loss 0.3094). A learning rate that suits the heavy ball can be
#   too large for Nesterov.
# - The averaging form at the same $\eta = 1$ leaves the plateau *later* than GD (226 steps): it has
#   GD's terminal speed plus the EWMA's slow start. Momentum "accelerates" on a plateau only in
#   PyTorch's parameterization, i.e. because its effective learning rate is $\text{lr}/(1-\beta)$.
#   (It does end closer to the minimum than GD, 0.1108 against 0.3572.)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. Explore $\eta$ and $\beta$
#
# How large may the learning rate be? Along an eigenvector with eigenvalue $\lambda$ each method is a
# linear recursion, and it is stable while its roots stay inside the unit circle; the boundary is
# where a root reaches $-1$. That gives $\text{lr}\cdot\lambda_{\max} < 2$ for GD, $< 2(1+\beta)$ for
# the heavy ball, and $< 2(1+\beta)/(1+2\beta)$ for Nesterov: momentum widens the stable range, and
# Nesterov's look-ahead narrows it again. We check each limit on the $\kappa = 50$ ravine by running
# 300 steps at 0.98 and 1.02 times it.

# %%
H50 = hessian((1.0, 50.0), math.pi / 6)
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
# minimum after 300 steps); at 1.02 times every run blows up (at least $2.1\times10^{5}$ away).
# With $\beta = 0.9$ the heavy ball tolerates lr up to 0.076, almost twice GD's 0.04, while Nesterov's
# limit, 0.0271, is below GD's.

# %% [markdown] slideshow={"slide_type": "subslide"}
# Move the sliders: the learning rate (log scale) and $\beta$ are shared by the three optimizers
# (GD ignores $\beta$), on the $\kappa = 50$ ravine of section 5, for 60 steps. Try a large $\beta$
# with a small learning rate, then push the learning rate past the limits above. The widget needs a
# live kernel; below it is a static figure of the same comparison for three values of $\beta$.

# %% tags=["nbval-ignore-output"]
explorer = trajectory_explorer(
    steep_ravine,
    {
        "GD": GD,
        "heavy ball": (torch.optim.SGD, lambda v: {"lr": v["lr"], "momentum": v["beta"]}),
        "Nesterov": (torch.optim.SGD, lambda v: {"lr": v["lr"], "momentum": v["beta"], "nesterov": v["beta"] > 0}),
    },
    start, 60,
    sliders={"lr": (1e-3, 0.1, 0.05, 0.02, "log"), "beta": (0.0, 0.99, 0.01, 0.9)},
    figsize=(9.5, 3.8),
)
explorer

# %% slideshow={"slide_type": "subslide"}
explorer_optimizers = {
    "GD": GD,
    "heavy ball": (torch.optim.SGD, lambda v: {"lr": v["lr"], "momentum": v["beta"]}),
    "Nesterov": (torch.optim.SGD, lambda v: {"lr": v["lr"], "momentum": v["beta"], "nesterov": True}),
}
fig, axes = new_figure(1, 3, figsize=(12.0, 3.8))
print(f"{'beta':>5} " + " ".join(f"{name + ' distance at t=60':>28}" for name in explorer_optimizers))
for ax, beta in zip(axes, (0.5, 0.8, 0.95), strict=True):
    runs = explorer_trajectories(steep_ravine, explorer_optimizers, start, 60, {"lr": 0.02, "beta": beta})
    print(f"{beta:5.2f} " + " ".join(f"{np.linalg.norm(tr.final_position):28.4f}" for tr in runs))
    for tr, name in zip(runs, explorer_optimizers, strict=True):
        tr.label = name
    plot_contour(steep_ravine, runs[::-1], ax=ax, colors=PALETTE[2::-1], markersize=2.0, n=100,
                 title=rf"lr = 0.02, $\beta$ = {beta}")
    ax.legend(loc="lower right")
fig.suptitle(r"GD, heavy ball and Nesterov for three values of $\beta$ (60 steps on the $\kappa$ = 50 ravine)")
fig.set_dpi(80)  # with the 80 dpi of the other trajectory figures, the notebook stays under 1 MB
fig

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice:** at $\beta = 0.5$ both momentum methods are a faster GD with a mild overshoot
# (0.065 and 0.067 from the minimum after 60 steps, against GD's 0.24); at $\beta = 0.8$ both are much
# closer (0.0015 and 0.0002); at $\beta = 0.95$ the heavy ball's memory is so long that it swings
# around the minimum for the whole run (0.11), while Nesterov's look-ahead damps it (0.043).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 1: momentum, PyTorch-compatible
#
# Write `Momentum`, a subclass of `OptimizerBase` that reproduces `torch.optim.SGD` with the
# hyperparameters `lr`, `momentum`, `dampening` and `nesterov` (you may leave out `weight_decay`):
#
# $$
# b_1 = g_1,\quad b_t = \beta b_{t-1} + (1-\tau) g_t\ (t\ge 2),\qquad
# d_t = \begin{cases} g_t + \beta b_t & \text{nesterov} \\ b_t & \text{otherwise}\end{cases},\qquad
# \theta_t = \theta_{t-1} - \text{lr}\, d_t,
# $$
#
# and with `momentum=0`, plain GD (no buffer). Declare every hyperparameter in `defaults_`, with
# torch's defaults (`lr=1e-3`, `momentum=0`, `dampening=0`, `nesterov=False`). The check runs your class
# and `torch.optim.SGD` side by side, with dampening $> 0$ and with `nesterov=True`.

# %% tags=["solution"]
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

# %% slideshow={"slide_type": "fragment"}
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
# $\beta = 0.9$ (started at $m_0 = 0$) at **every** step, as a dict `torch_config`. Seed 004's
# "nonstandard parameterization" and `dampening` both look tempting.

# %% tags=["solution"]
torch_config = {"lr": 0.01, "momentum": 0.9}

# %%
check_ema_torch_config(torch_config, eta=0.1, beta=0.9)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - Momentum steps along an EWMA of the gradients: $m_t = \beta m_{t-1} + (1-\beta) g_t$,
#   $\theta_t = \theta_{t-1} - \eta m_t$. It damps gradients that flip sign (by $(1-\beta)/(1+\beta)$
#   relative to steady ones) and, in PyTorch's form, multiplies steady steps by $1/(1-\beta)$.
# - PyTorch's form $b_t = \beta b_{t-1} + g_t$ (with $b_1 = g_1$), $\theta_t = \theta_{t-1} - \text{lr}\,b_t$
#   equals the averaging form exactly when $\text{lr} = \eta(1-\beta)$, from the first step on, and
#   keeps equalling it under a learning-rate schedule (both keep the learning rate outside).
# - `dampening=β` is *not* the averaging form: PyTorch does not dampen the first buffer, so the first
#   step is $1/(1-\beta)$ times too long; it equals the average started at $m_1 = g_1$. The
#   lr-inside-the-buffer form of Sutskever et al. (and seed 004) matches PyTorch only at a constant learning rate.
# - PyTorch's Nesterov update $\theta \leftarrow \theta - \text{lr}(g_t + \beta b_t)$ is the look-ahead
#   method written for the look-ahead point $\theta_t + \beta v_t$.
# - With their best settings on a quadratic, GD needs $\sim\kappa$ steps and both momentum methods
#   $\sim\sqrt\kappa$: at $\kappa = 1000$, 7203 steps against 329 (heavy ball) and 511 (Nesterov).

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
# - Gabriel Goh, "Why Momentum Really Works", *Distill*, 2017 (momentum on quadratics, optimal
#   $\alpha$ and $\beta$).
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
