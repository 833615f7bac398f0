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
# # 09 · Beyond Adam: NAdam, RAdam, Adafactor, Muon, Lion and schedule-free AdamW
#
# Six optimizers practitioners reach for after Adam (04), treated as 02 to 04 treated momentum and
# Adam: each update rule as its paper states it and as the code people run implements it, written
# from scratch and proven equal to that code; one experiment per optimizer; and a side-by-side on a
# real task with the same tuning budget for every optimizer.
#
# **Learning objectives**
# - Write each rule from scratch, prove it equal to its reference, and say where the reference departs from the paper.
# - Explain NAdam as Nesterov's look-ahead (02) inside Adam, and RAdam as a built-in warmup (07).
# - Measure Adafactor's memory ($n + m$ numbers for an $n \times m$ matrix) and its relative step.
# - Orthogonalize with Muon's bfloat16 Newton-Schulz, measure its distance to the polar factor, split a model's parameters.
# - Explain Lion's smaller learning rate and what schedule-free averaging replaces; compare all of them honestly.
#
# **Prerequisites:** 02 · Momentum, 03 · Adagrad and RMSProp, 04 · Adam, 07 · Learning-rate schedules.
#
# **Time to complete:** about 90 minutes

# %% slideshow={"slide_type": "subslide"}
import contextlib
import math

import lion_pytorch
import numpy as np
import schedulefree
import torch
from torch import nn
from torch.optim._muon import _zeropower_via_newtonschulz

from course_utils import (
    PALETTE,
    Interval,
    SparseLogMinorLocator,
    OptimizerBase,
    check_value,
    fmt_diff,
    load_digits,
    make_mlp,
    new_figure,
    plot_losses,
    plot_trajectories,
    quadratic,
    run_trajectory,
    setup_notebook,
    train,
)
from course_utils.checks import check_lion, check_muon_split, check_newton_schulz
from course_utils.numerics import LastBitNudge

DEVICE = setup_notebook(seed=0)
torch.set_default_dtype(torch.float64)  # every run in float64: its printed digits do not depend on the CPU
NON_NEGATIVE, UNIT = Interval(0.0, math.inf), Interval(0.0, 1.0)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. Six ideas after Adam
#
# | optimizer | what it changes in Adam | state for an $n \times m$ matrix | reference |
# |---|---|---|---|
# | NAdam (Dozat, 2016) | momentum → Nesterov's look-ahead | $2nm$ | `torch.optim.NAdam` |
# | RAdam (Liu et al., 2020) | no adaptive step until $\hat v_t$ is reliable | $2nm$ | `torch.optim.RAdam` |
# | Adafactor (Shazeer & Stern, 2018) | $v_t$ factored into row and column averages; steps relative to the weights | $n + m$ | `torch.optim.Adafactor` |
# | Muon (Jordan et al., 2024) | the momentum matrix is orthogonalized; 2-D weights only | $nm$ | `torch.optim.Muon` |
# | Lion (Chen et al., 2023) | the step is a sign: every coordinate moves by $\eta$ | $nm$ | `lion_pytorch.Lion` |
# | schedule-free AdamW (Defazio et al., 2024) | an average of the iterates replaces the schedule | $2nm$ | `schedulefree.AdamWScheduleFree` |

# %% [markdown] slideshow={"slide_type": "skip"}
# Every section follows the same plan: the math as the paper states it, the math as the reference
# implements it (they differ more often than you would think), the rule on the course template
# (`OptimizerBase`, notebook 00) next to that math, a proof that it equals the reference, and one
# experiment. The full-option versions (weight decay, `maximize`, every keyword of the reference)
# are in `course_utils` (`from course_utils import NAdam, RAdam, Adafactor, Muon, Lion,
# ScheduleFreeAdamW`), proven equal to their references option for option in
# `tests/test_optim_modern.py`. Every run in this notebook is in float64, so the digits it prints
# do not depend on the CPU that runs it (Muon's bfloat16 arithmetic is the one exception, and
# section 5 prints it accordingly).
#
# The proofs use one small problem: the digits MLP of notebook 06 (64 → 32 → 10), full-batch on 128
# training images, 30 steps from the same initialisation; we print the largest difference between
# any weight of the two runs.

# %% slideshow={"slide_type": "subslide"}
data = load_digits(dtype=torch.float64)
loss_fn = nn.CrossEntropyLoss()
proof_batch = [(data.X_train[:128], data.y_train[:128])]


def weights_after(opt_cls, steps=30, matrices_only=False, schedule_free=False, **hp):
    """The digits MLP's weights after `steps` full-batch steps of `opt_cls` (eval weights for schedule-free)."""
    net = make_mlp([64, 32, 10], seed=0)
    params = [p for p in net.parameters() if p.ndim == 2] if matrices_only else list(net.parameters())
    opt = opt_cls(params, **hp)
    if schedule_free:
        opt.train()
    train(net, opt, loss_fn, proof_batch, epochs=steps, progress=False)
    if schedule_free:
        opt.eval()
    return torch.cat([p.detach().flatten() for p in net.parameters()])


def proof(ours, theirs, **hp):
    """Largest weight difference between two optimizers' runs, printed robustly."""
    return fmt_diff(float((weights_after(ours, **hp) - weights_after(theirs, **hp)).abs().max()))


# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. NAdam: Nesterov's look-ahead inside Adam
#
# **Intuition.** Adam steps with the momentum it *had*; Nesterov's method (02) steps with the momentum it
# is *about to have*, so it brakes before the wall. Adam's step, unrolled one level (04): $\theta_t = \theta_{t-1} - \frac{\eta}{\sqrt{\hat v_t}+\epsilon}
# \Big(\underbrace{\beta_1 \tfrac{m_{t-1}}{1-\beta_1^t}}_{\text{momentum}} + \tfrac{(1-\beta_1)\, g_t}{1-\beta_1^t}\Big)$.
# Dozat's idea: use the momentum of the *next* step, $m_t$, as Nesterov's method does (02):
#
# $$
# \theta_t = \theta_{t-1} - \frac{\eta}{\sqrt{\hat v_t} + \epsilon}\left(\frac{\beta_1\, m_t}{1-\beta_1^{t+1}} + \frac{(1-\beta_1)\, g_t}{1-\beta_1^{t}}\right).
# $$

# %% [markdown] slideshow={"slide_type": "notes"}
# **The look-ahead, as in 02.** Without the bias corrections the bracket is $\beta_1 m_t + (1-\beta_1) g_t$.
# With PyTorch's SGD buffer $b_t = \beta_1 b_{t-1} + g_t$ we have $m_t = (1-\beta_1) b_t$ (both start at 0),
# so the bracket is $(1-\beta_1)(g_t + \beta_1 b_t)$: exactly 02's Nesterov direction $g_t + \beta b_t$,
# scaled, where Adam's is the heavy ball's $b_t$. NAdam is to Adam what Nesterov is to momentum.

# %% [markdown] slideshow={"slide_type": "skip"}
# **As `torch.optim.NAdam` implements it** (Dozat's own code does the same): the momentum
# coefficient follows a warming schedule $\beta_{1,t} = \beta_1\,(1 - \tfrac12\, 0.96^{\,t\psi})$ with
# $\psi$ = `momentum_decay` $= 0.004$, and the bias corrections use the running products of the
# scheduled coefficients:
#
# $$
# \theta_t = \theta_{t-1} - \frac{\eta}{\sqrt{v_t/(1-\beta_2^t)} + \epsilon}\left(\frac{\beta_{1,t+1}\, m_t}{1-\prod_{i=1}^{t+1}\beta_{1,i}} + \frac{(1-\beta_{1,t})\, g_t}{1-\prod_{i=1}^{t}\beta_{1,i}}\right),
# \qquad m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t .
# $$
#
# Where they differ: with a constant $\beta_{1,t} = \beta_1$ the two are the same formula; torch's
# schedule starts at $\beta_{1,1} \approx \beta_1/2$ and approaches $\beta_1$ only over thousands of
# steps (printed below); $m_t$ itself keeps the constant $\beta_1$. One more detail matters at
# $10^{-10}$: torch keeps the product $\prod_i \beta_{1,i}$ in a scalar tensor of the default float
# dtype (float32 unless the default is float64, as in this notebook).

# %% slideshow={"slide_type": "subslide"}
class SimpleNAdam(OptimizerBase):
    """NAdam as torch.optim.NAdam: Adam whose momentum term looks one step ahead."""

    hyperparameters = {"lr": NON_NEGATIVE, "betas": UNIT, "eps": NON_NEGATIVE, "momentum_decay": NON_NEGATIVE}
    defaults_ = {"lr": 2e-3, "betas": (0.9, 0.999), "eps": 1e-8, "momentum_decay": 4e-3}

    def init_state(self, p, state, group):
        state["mu_product"] = 1.0  # prod_{i<=t} beta_{1,i}
        state["exp_avg"], state["exp_avg_sq"] = torch.zeros_like(p), torch.zeros_like(p)

    def update_param(self, p, grad, state, group):
        (beta1, beta2), t, psi, lr = group["betas"], state["step"], group["momentum_decay"], group["lr"]
        beta1_t = beta1 * (1 - 0.5 * 0.96 ** (t * psi))  # the warming schedule beta_{1,t}
        beta1_next = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi))  # beta_{1,t+1}: the look-ahead
        state["mu_product"] *= beta1_t
        prod = state["mu_product"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m.lerp_(grad, 1 - beta1)  # m_t = beta1 m_{t-1} + (1 - beta1) g_t
        v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)  # v_t
        denom = (v / (1 - beta2**t)).sqrt().add_(group["eps"])  # sqrt(v_hat_t) + eps
        p.addcdiv_(grad, denom, value=-lr * (1 - beta1_t) / (1 - prod))  # the gradient term
        p.addcdiv_(m, denom, value=-lr * beta1_next / (1 - prod * beta1_next))  # the look-ahead momentum


print("SimpleNAdam vs torch.optim.NAdam, max |weight difference| after 30 steps:",
      proof(SimpleNAdam, torch.optim.NAdam, lr=0.01),
      "| momentum_decay = 0.1:", proof(SimpleNAdam, torch.optim.NAdam, lr=0.01, momentum_decay=0.1))

# %% [markdown] slideshow={"slide_type": "subslide"}
# **The experiment.** 02's ravine ($\kappa = 50$, rotated by 30°) from $(-4, 2)$, 200 steps at
# $\eta = 0.3$: Adam; NAdam with $\psi = 1000$, which makes $\beta_{1,t} = \beta_1$ from the first step
# (the paper's form: Adam plus the look-ahead, nothing else); NAdam with torch's default schedule;
# and Adam with $\beta_1 = 0.45$, about where that schedule starts. We count the steps at which the
# loss goes *up* (a swing across the ravine), as 02 did for the heavy ball and Nesterov.

# %%
for t in (1, 100, 1000, 10_000):
    print(f"torch's default schedule: beta_1,t = {0.9 * (1 - 0.5 * 0.96 ** (t * 0.004)):.4f} at t = {t}")
ravine = quadratic((1.0, 50.0), angle=math.pi / 6)
nadam_runs = [
    run_trajectory(ravine, torch.optim.Adam, (-4.0, 2.0), 200, lr=0.3, label="Adam"),
    run_trajectory(ravine, torch.optim.NAdam, (-4.0, 2.0), 200, lr=0.3, momentum_decay=1000.0,
                   label="NAdam, beta_1,t = beta_1"),
    run_trajectory(ravine, torch.optim.NAdam, (-4.0, 2.0), 200, lr=0.3, label="NAdam, torch's schedule"),
    run_trajectory(ravine, torch.optim.Adam, (-4.0, 2.0), 200, lr=0.3, betas=(0.45, 0.999), label="Adam, beta_1 = 0.45"),
]
print(f"{'':>25} {'loss up at':>11} {'distance to the minimum after':>31}")
print(f"{'':>25} {'(steps)':>11} {'50 steps':>10} {'100':>9} {'200':>9}")
for tr in nadam_runs:
    dist = np.linalg.norm(tr.positions, axis=1)
    print(f"{tr.label:>25} {int(np.sum(np.diff(tr.losses) > 0)):>11d} {dist[50]:>10.4f} {dist[100]:>9.4f} {dist[200]:>9.4f}")

# %% slideshow={"slide_type": "subslide"}
fig = plot_trajectories(ravine, nadam_runs[:3], xlim=(-4.5, 1.0), ylim=(-2.5, 2.5), logy=True,
                        title=r"Adam and NAdam on 02's ravine ($\kappa$ = 50), lr = 0.3")
fig.set_size_inches(10.0, 4.0)
fig

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice**
# - The look-ahead alone (NAdam with a constant $\beta_{1,t}$) does in Adam what it did in 02 for the
#   heavy ball: fewer swings across the ravine (18 loss increases against Adam's 29) and a closer end.
# - torch's default NAdam is mostly a *low-momentum* Adam for thousands of steps: $\beta_{1,t}$ is
#   0.4501 at the first step, 0.5178 at step 1000 and 0.8121 at step 10,000. On this run it swings
#   less than Adam (7 increases) but ends farther away (0.1159 against 0.0845), like Adam with
#   $\beta_1 = 0.45$ (0.1029): the schedule changes more than the look-ahead does.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. RAdam: no adaptive step until it can be trusted
#
# **Intuition.** A warmup (07) keeps the first steps small because Adam's denominator is still a guess.
# RAdam computes how bad the guess is and scales the step by it. 07 measured the problem: in the first steps $\hat v_t$ rests on a handful of squared gradients, so Adam's
# adaptive learning rate $1/(\sqrt{\hat v_t}+\epsilon)$ is wildly off. Liu et al. (2020) compare the
# EWMA with a simple moving average of length $\rho^{\text{SMA}}_t = \rho_\infty - \frac{2t\beta_2^t}{1-\beta_2^t}$,
# $\rho_\infty = \frac{2}{1-\beta_2} - 1$; the variance of $1/\sqrt{\hat v_t}$ is infinite for
# $\rho^{\text{SMA}}_t \le 4$, and beyond that RAdam multiplies the adaptive step by
# $\phi_t = \sqrt{\frac{(\rho^{\text{SMA}}_t-4)(\rho^{\text{SMA}}_t-2)\,\rho_\infty}{(\rho_\infty-4)(\rho_\infty-2)\,\rho^{\text{SMA}}_t}}$,
# which makes its variance that of $t \to \infty$:
#
# $$
# \theta_t = \theta_{t-1} - \eta\, \hat m_t \cdot \begin{cases} \phi_t\, \dfrac{\sqrt{1-\beta_2^t}}{\sqrt{v_t}+\epsilon} & \rho^{\text{SMA}}_t > 5 \\ 1 & \text{otherwise (momentum SGD)} \end{cases}
# $$

# %% [markdown] slideshow={"slide_type": "skip"}
# **Paper and torch.** The paper's Algorithm 2 takes the adaptive step when $\rho^{\text{SMA}}_t > 4$ and
# has no $\epsilon$: $\sqrt{(1-\beta_2^t)/v_t}$. The authors' released code uses $\rho^{\text{SMA}}_t \ge 5$
# ("more conservative since it's an approximated value"); `torch.optim.RAdam` waits for
# $\rho^{\text{SMA}}_t > 5$ and adds $\epsilon$ to $\sqrt{v_t}$. With $\beta_2 = 0.999$,
# $\rho^{\text{SMA}}_5 = 4.996$: the paper and torch differ exactly at the fifth step, where the paper
# takes an adaptive step scaled by $\phi_5$ (printed below) and torch a plain momentum step.

# %% slideshow={"slide_type": "subslide"}
class SimpleRAdam(OptimizerBase):
    """RAdam as torch.optim.RAdam: momentum SGD until rho_t > 5, then Adam scaled by phi_t."""

    hyperparameters = {"lr": NON_NEGATIVE, "betas": UNIT, "eps": NON_NEGATIVE}
    defaults_ = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8}

    def init_state(self, p, state, group):
        state["exp_avg"], state["exp_avg_sq"] = torch.zeros_like(p), torch.zeros_like(p)

    def update_param(self, p, grad, state, group):
        (beta1, beta2), t, lr = group["betas"], state["step"], group["lr"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m.lerp_(grad, 1 - beta1)
        v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        m_hat = m / (1 - beta1**t)
        rho_inf = 2 / (1 - beta2) - 1
        rho = rho_inf - 2 * t * beta2**t / (1 - beta2**t)  # rho^SMA_t
        if rho > 5:  # torch's threshold (the paper: 4)
            r = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
            p.sub_(lr * r * m_hat * math.sqrt(1 - beta2**t) / (v.sqrt() + group["eps"]))
        else:
            p.sub_(lr * m_hat)  # no adaptive learning rate yet


print("SimpleRAdam vs torch.optim.RAdam:", proof(SimpleRAdam, torch.optim.RAdam, lr=0.01),
      "| betas (0.9, 0.99):", proof(SimpleRAdam, torch.optim.RAdam, lr=0.01, betas=(0.9, 0.99)))

# %% [markdown] slideshow={"slide_type": "subslide"}
# **The experiment.** 50,000 coordinates receive independent gradients $g \sim \mathcal N(0, 1)$, so the
# right adaptive learning rate is exactly 1 for every one of them. We print how Adam's
# $\sqrt{1-\beta_2^t}/(\sqrt{v_t}+\epsilon)$ spreads across the coordinates in the first steps
# ($\beta_2 = 0.999$), and the RMS of the step each method takes on these gradients, which carry no
# signal at all: Adam, Adam with a linear warmup over $2/(1-\beta_2)$ steps (Ma & Yarats, 2021; 07), RAdam.

# %%
gen = torch.Generator().manual_seed(0)
beta1, beta2, n = 0.9, 0.999, 50_000
m, v = torch.zeros(n), torch.zeros(n)
rho_inf = 2 / (1 - beta2) - 1


def rms(x):
    return float(x.square().mean().sqrt())


noise_steps = {"Adam": [], "Adam + linear warmup": [], "RAdam": []}  # RMS step / lr at every t
table = []
for t in range(1, 201):
    g = torch.randn(n, generator=gen)
    m.lerp_(g, 1 - beta1)
    v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
    m_hat, lr_t = m / (1 - beta1**t), math.sqrt(1 - beta2**t) / (v.sqrt() + 1e-8)
    rho = rho_inf - 2 * t * beta2**t / (1 - beta2**t)
    r = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho)) if rho > 5 else None
    adam = rms(m_hat * lr_t)
    noise_steps["Adam"].append(adam)
    noise_steps["Adam + linear warmup"].append(adam * t / 2000)
    noise_steps["RAdam"].append(adam * r if r else rms(m_hat))  # momentum steps until rho > 5
    if t in (1, 2, 3, 5, 6, 10, 20, 50, 200):
        q1, q50, q99 = torch.quantile(lr_t[:20_000], torch.tensor([0.01, 0.5, 0.99])).tolist()
        radam = f"{noise_steps['RAdam'][-1]:7.3f} " + (f"{r:7.4f}" if r else f"{'-':>7}")
        table.append(f"{t:>4} {rho:8.3f} {q1:7.3f} {q50:8.3f} {q99:8.2f}   {adam:7.3f} {adam * t / 2000:8.4f} {radam}")

# %% slideshow={"slide_type": "subslide"}
print(f"{'':>13} {'Adam adaptive lr':>25}   {'RMS step / lr on pure noise':>29}")
print(f"{'t':>4} {'rho_SMA':>8} {'1%':>7} {'median':>8} {'99%':>8}   {'Adam':>7} {'+warmup':>8} {'RAdam':>7} {'phi_t':>7}")
print("\n".join(table))
rho5 = rho_inf - 2 * 5 * beta2**5 / (1 - beta2**5)
r5 = math.sqrt((rho5 - 4) * (rho5 - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho5))
print(f"the paper's threshold (rho > 4) would already scale an adaptive step at t = 5, by phi_5 = {r5:.4f}")
print(f"(+warmup: Adam with a linear warmup over 2 / (1 - beta2) = {2 / (1 - beta2):.0f} steps)")

# %% slideshow={"slide_type": "subslide"}
fig, ax = new_figure(figsize=(7.0, 3.8))
plot_losses(noise_steps, ax=ax, logy=True, title="The step Adam, a warmup and RAdam take on pure noise",
            ylabel=r"RMS step / $\eta$ (the right step is 0)")
ax.axhline(math.sqrt((1 - beta1) / (1 + beta1)), color="black", linewidth=0.8, linestyle=":",
           label=r"$\sqrt{(1-\beta_1)/(1+\beta_1)}$")
_ = ax.legend(loc="lower right")


# %% slideshow={"slide_type": "subslide"}
fig

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice**
# - At $t = 1$ the adaptive learning rate of one coordinate in a hundred is above 79.74 and of another
#   below 0.387, for gradients drawn from one distribution; by $t = 200$ the 1% and 99% quantiles are
#   within 13% of 1. That spread is what RAdam's $\rho^{\text{SMA}}_t$ measures.
# - Adam's step does not explode with it (at $t = 1$, $\hat m_1 = g_1$ cancels, 04), but on gradients that are
#   pure noise it moves every coordinate by 1.000 $\eta$ at $t = 1$ and 0.452 $\eta$ at $t = 5$, before
#   settling at 0.229 $\eta$, the pure-noise value of section 6. The first steps are the largest and the
#   least informed.
# - A linear warmup multiplies them by $t/2000$. RAdam takes plain momentum steps up to $t = 5$ (their
#   size is the gradient's own, here 1), then adaptive steps scaled by $\phi_t$: 0.011 $\eta$ at $t = 6$,
#   0.070 $\eta$ at $t = 200$. Both buy small steps while $\hat v_t$ is unreliable; 07 drew $\phi_t$ against
#   the linear warmup, and section 8 shows what the rectification costs and buys in training.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. Adafactor: a second moment in $n + m$ numbers
#
# **Intuition.** Adam stores two numbers per weight. For a weight matrix, the squared gradients have a
# strong row and column structure, and a product of a row profile and a column profile captures much
# of it. For an $n \times m$ weight matrix, Shazeer & Stern (2018) keep the row averages $R_t$ ($n$ numbers)
# and column averages $C_t$ ($m$ numbers) of $G_t^2$ and rebuild the second moment as a rank-one
# matrix $V_t$, exact when the full average of $G_t^2$ is rank one (no hat: $V_t$ is not bias-corrected):
#
# $$
# R_t = \beta_{2,t} R_{t-1} + (1-\beta_{2,t})\,\overline{G_t^2}^{\,\text{row}}, \quad
# C_t = \beta_{2,t} C_{t-1} + (1-\beta_{2,t})\,\overline{G_t^2}^{\,\text{col}}, \quad
# V_t = \frac{R_t C_t}{\operatorname{mean}(R_t)}, \quad \beta_{2,t} = 1 - t^{-0.8}.
# $$
#
# The step is relative to the weights and clipped:
# $\theta_t = \theta_{t-1} - \max(\epsilon_2, \operatorname{RMS}(\theta_{t-1}))\,\eta^{\text{rel}}_t\,
# \frac{G_t/\sqrt{V_t}}{\max(1, \operatorname{RMS}(G_t/\sqrt{V_t})/d_{\text{clip}})}$ with $\eta^{\text{rel}}_t = \min(10^{-2}, 1/\sqrt t)$.

# %% [markdown] slideshow={"slide_type": "skip"}
# **Paper and torch.** The paper has no learning rate: $\eta^{\text{rel}}_t = \min(10^{-2}, 1/\sqrt t)$.
# `torch.optim.Adafactor` uses `lr` in place of the constant $10^{-2}$ (default `lr=1e-2`, so the
# same) and as the coefficient of a decoupled weight decay. The paper adds $\epsilon_1 = 10^{-30}$ to
# $G_t^2$; torch clamps $\operatorname{mean}(R_t)$ at $\epsilon_1$ and $V_t$ at $\epsilon_1^2$ instead (its
# `eps=(None, 1e-3)`: $\epsilon_1$ = the machine epsilon of the parameter's dtype, $\epsilon_2 = 10^{-3}$).
# The paper sums rows and columns, torch averages them: the same $V_t$. $d_{\text{clip}}$ = `d` $= 1$ is
# the clipping threshold ($d$ is the number of parameters, $D$ a depth, in this course). There is no momentum ($\beta_1 = 0$, the paper's recommended setting), and
# vectors (biases) keep a full second moment. $\beta_{2,1} = 0$: the first step sees only $G_1^2$.
# The paper writes $U_t$ for the unclipped update $G_t/\sqrt{V_t}$; here $U_t$ is Adam's preconditioner (11).

# %% slideshow={"slide_type": "subslide"}
class SimpleAdafactor(OptimizerBase):
    """Adafactor as torch.optim.Adafactor (no weight decay): factored v for matrices, relative steps."""

    hyperparameters = {"lr": NON_NEGATIVE, "beta2_decay": Interval(-math.inf, 0.0, high_closed=True),
                       "d": Interval(1.0, math.inf)}
    defaults_ = {"lr": 1e-2, "beta2_decay": -0.8, "eps": (None, 1e-3), "d": 1.0}

    def init_state(self, p, state, group):
        if p.ndim == 2:
            state["row_var"], state["col_var"] = torch.zeros(p.shape[0], 1), torch.zeros(1, p.shape[1])  # n + m
        else:
            state["variance"] = torch.zeros_like(p)

    def update_param(self, p, grad, state, group):
        t, (eps1, eps2) = state["step"], group["eps"]
        eps1 = torch.finfo(p.dtype).eps if eps1 is None else eps1
        beta2_t = 1 - t ** group["beta2_decay"]  # 0 at t = 1
        step_size = max(eps2, float(p.square().mean().sqrt())) * min(group["lr"], 1 / math.sqrt(t))
        g2 = grad * grad
        if p.ndim == 2:
            R, C = state["row_var"], state["col_var"]
            R.mul_(beta2_t).add_(g2.mean(dim=1, keepdim=True), alpha=1 - beta2_t)  # one number per row
            C.mul_(beta2_t).add_(g2.mean(dim=0, keepdim=True), alpha=1 - beta2_t)  # one per column
            V = R @ C / R.mean().clamp(min=eps1)  # the rank-one rebuild, n x m
        else:
            V = state["variance"].mul_(beta2_t).add_(g2, alpha=1 - beta2_t)
        U = grad / V.clamp(min=eps1 * eps1).sqrt()
        p.sub_(step_size * U / max(1.0, float(U.square().mean().sqrt()) / group["d"]))  # clipped


print("SimpleAdafactor vs torch.optim.Adafactor:", proof(SimpleAdafactor, torch.optim.Adafactor),
      "| lr 0.1, d 2:", proof(SimpleAdafactor, torch.optim.Adafactor, lr=0.1, d=2.0))

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Memory, measured on a real layer:** the up-projection of a GPT-2 block, `nn.Linear(768, 3072)`,
# after one step of each optimizer (we count the numbers in the optimizer's state; float32 as in practice).

# %%
def optimizer_state(opt_cls):
    """The optimizer's state tensors (but the step counters) for a GPT-2 up-projection, after one step."""
    layer = nn.Linear(768, 3072, dtype=torch.float32)
    opt = opt_cls(layer.parameters())
    layer(torch.ones(4, 768, dtype=torch.float32)).square().mean().backward()
    opt.step()
    return {f"{'weight' if p.ndim == 2 else 'bias'}.{k}": tuple(v.shape)
            for p, s in opt.state.items() for k, v in s.items() if k != "step"}


n_weights = 768 * 3072 + 3072
per_weight, matrix_state = {}, {}  # numbers per weight; the weight matrix's state alone
for opt_cls in (torch.optim.AdamW, torch.optim.Adafactor):
    shapes = optimizer_state(opt_cls)
    total = sum(math.prod(shape) for shape in shapes.values())
    per_weight[opt_cls.__name__] = total / n_weights
    matrix_state[opt_cls.__name__] = sum(math.prod(v) for k, v in shapes.items() if k.startswith("weight"))
    print(f"{opt_cls.__name__:>9}: {total:>9,} numbers ({4 * total / 2**20:5.2f} MiB in float32) for {n_weights:,} "
          f"weights = {total / n_weights:.4f} per weight")
    print(" " * 11 + ", ".join(f"{k} {v}" for k, v in shapes.items()))
print(f"AdamW keeps {per_weight['AdamW'] / per_weight['Adafactor']:.0f} times as many numbers as Adafactor")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **A relative step.** Three copies of the digits MLP's first layer, with weights scaled to an RMS of
# 0.01, 0.1 and 1, receive the same gradient. One step of Adam ($\eta = 10^{-2}$) and of Adafactor
# (`lr=1e-2`): how much does each change the weights, relative to their size?

# %%
grad_layer = make_mlp([64, 32, 10], seed=0)
loss_fn(grad_layer(data.X_train), data.y_train).backward()
G1 = grad_layer[0].weight.grad.clone()
W_unit = grad_layer[0].weight.detach() / grad_layer[0].weight.detach().square().mean().sqrt()
print(f"{'RMS(theta)':>10} {'Adam RMS(step)/RMS(theta)':>27} {'Adafactor RMS(step)/RMS(theta)':>31}")
relative_step = {}  # RMS(theta) -> [Adam, Adafactor]
for scale in (0.01, 0.1, 1.0):
    row = relative_step[scale] = []
    for opt_cls in (torch.optim.Adam, torch.optim.Adafactor):
        W = (scale * W_unit).clone().requires_grad_()
        opt = opt_cls([W], lr=1e-2)
        W.grad = G1.clone()
        before = W.detach().clone()
        opt.step()
        row.append(float((W.detach() - before).square().mean().sqrt()) / scale)
    print(f"{scale:>10} {row[0]:>27.4f} {row[1]:>31.4f}")

# %% slideshow={"slide_type": "subslide"}
layer_shapes = {"digits MLP": (32, 64), "GPT-2 up-projection": (3072, 768), "LLaMA-7B MLP": (11008, 4096),
                "GPT-3 MLP": (49152, 12288)}  # (n, m) of the weight matrix
print(f"{'weight matrix':>28} {'Adam: 2nm':>13} {'Adafactor: n + m':>17} {'ratio':>7}")
for name, (n_rows, n_cols) in layer_shapes.items():
    adam_state, factored_state = 2 * n_rows * n_cols, n_rows + n_cols
    print(f"{name + f' {n_rows} x {n_cols}':>28} {adam_state:>13,} {factored_state:>17,} {adam_state / factored_state:>7,.0f}")

fig, (ax0, ax1) = new_figure(1, 2, figsize=(10.0, 3.8))
side = np.logspace(1, 5, 30)  # square n x n matrices
ax0.loglog(side**2, 2 * side**2, color=PALETTE[0], label="Adam, AdamW: $2nm$")
ax0.loglog(side**2, 2 * side, color=PALETTE[1], label="Adafactor: $n + m$")
for name, (n_rows, n_cols) in layer_shapes.items():
    ax0.loglog([n_rows * n_cols] * 2, [2 * n_rows * n_cols, n_rows + n_cols], "o", color="grey", ms=4)
    ax0.annotate(name, (n_rows * n_cols, n_rows + n_cols), textcoords="offset points", xytext=(4, -12), fontsize=8)
ax0.loglog([768 * 3072] * 2, [matrix_state["AdamW"], matrix_state["Adafactor"]], "*", color="black", ms=11,
           label="measured: torch's state, GPT-2 layer")
ax0.set_xlabel("weights in the matrix, $nm$")
ax0.set_ylabel("numbers in the optimizer's state")
ax0.set_title("Optimizer state of an $n \\times m$ matrix")
ax0.legend(loc="upper left")
scales = list(relative_step)
for i, (label, marker) in enumerate((("Adam, $\\eta = 10^{-2}$", "o-"), ("Adafactor, lr = $10^{-2}$", "s-"))):
    ax1.loglog(scales, [relative_step[s][i] for s in scales], marker, color=PALETTE[i], label=label)
ax1.set_xlabel(r"RMS($\theta$) of the layer")
ax1.set_ylabel(r"RMS(step) / RMS($\theta$)")
ax1.set_title("One step, relative to the weights")
for axis in (ax0.xaxis, ax0.yaxis, ax1.xaxis, ax1.yaxis):
    axis.set_minor_locator(SparseLogMinorLocator())  # no minor ticks over more than 3 decades
_ = ax1.legend(loc="upper right")


# %% slideshow={"slide_type": "subslide"}
fig

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice**
# - AdamW keeps two full copies of the layer (2.0000 numbers per weight); Adafactor keeps $3072 + 768$
#   numbers for the matrix and a full second moment only for the 3072 biases: 0.0029 per weight, 684
#   times less. That is what it was built for: models whose Adam state does not fit in memory.
# - The figure, left: Adam's state grows with the number of weights $nm$, Adafactor's with the sides
#   $n + m$, so the ratio grows with the layer: 43 for the digits MLP's $32 \times 64$ matrix, 19,661 for
#   a GPT-3 MLP matrix (the stars: torch's state, measured).
# - Adam's step is about $\eta$ per coordinate whatever the weights' size (04), so it changes the small
#   weights by 91% of their size and the large ones by 0.9%. Adafactor's step is a fraction of the
#   weights' own RMS: the same relative change (0.0098) for all three layers. Its $\eta^{\text{rel}}_t = \min(\text{lr}, 1/\sqrt t)$
#   stays at lr $= 10^{-2}$ for the first $10^4$ steps, and the clipping caps $\operatorname{RMS}(G_t/\sqrt{V_t})$ at 1.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Muon: orthogonalized momentum for weight matrices
#
# **Intuition.** The gradient of a weight matrix is dominated by a few directions; stepping along it
# mostly moves those. Muon keeps the directions and throws away their sizes: it steps along the
# nearest (semi-)orthogonal matrix, which moves every direction equally (Jordan et al., 2024). For a
# weight matrix with gradient $G_t$:
#
# $$
# m_t = \beta m_{t-1} + (1-\beta) G_t, \qquad O_t = \operatorname{NS}\!\big((1-\beta) G_t + \beta m_t\big),
# \qquad \theta_t = \theta_{t-1}(1 - \eta\,\omega) - \eta \sqrt{\max(1, n/m)}\; O_t ,
# $$
#
# where $\operatorname{NS}(M) \approx \operatorname{polar}(M)$, the (semi-)orthogonal matrix nearest to $M$: its SVD
# with every singular value set to 1 (NS sets each to about 1). NS is five steps of an odd polynomial $X \leftarrow p_1 X + p_3 (XX^\top) X + p_5 (XX^\top)^2 X$
# from $X_0 = M/\lVert M\rVert_F$, in bfloat16.

# %% [markdown] slideshow={"slide_type": "skip"}
# **Paper and torch.** Keller Jordan's post writes the momentum as $b_t = \beta b_{t-1} + G_t$ (the
# SGD form of 02) with $\beta = 0.95$ and Nesterov's look-ahead; `torch.optim.Muon` (like the
# post's code) uses the averaging form above, and its Nesterov direction $(1-\beta)G_t + \beta m_t$ is
# the SGD form's $G_t + \beta b_t$ times $(1-\beta)$: since NS starts by dividing by the norm, the two
# give the same update (up to bfloat16 rounding and $\epsilon$). Torch's details: the quintic
# coefficients $(p_1, p_3, p_5) = (3.4445, -4.7750, 2.0315)$ (chosen for speed, not convergence: they
# leave the singular values between about 0.7 and 1.2); a tall matrix is transposed first so that
# $XX^\top$ is the smaller Gram matrix; the norm is clamped at $\epsilon = 10^{-7}$ (the post adds
# $\epsilon$ instead); the step is scaled by $\sqrt{\max(1, n/m)}$ for an $n \times m$ matrix (or by
# $0.2\sqrt{\max(n, m)}$ with `adjust_lr_fn="match_rms_adamw"`, Liu et al., 2025); the decoupled weight
# decay $\omega$ defaults to 0.1 and uses the unscaled $\eta$. Torch refuses any parameter that is not
# 2-D.

# %% [markdown] slideshow={"slide_type": "notes"}
# **Why torch's form equals the post's.** With $b_t = m_t/(1-\beta)$ (the SGD-form buffer, started at 0),
# $G_t + \beta b_t = \frac{1}{1-\beta}\big((1-\beta) G_t + \beta m_t\big)$. NS begins by dividing by the Frobenius
# norm, so a positive factor cancels: $\operatorname{NS}(cM) = \operatorname{NS}(M)$, up to where $\epsilon$
# clamps the norm and to bfloat16 rounding of the scaled matrix. Why the polynomial works: if $X$ has
# singular values $\sigma_i$, $(XX^\top)^k X$ has the same singular vectors and the singular values
# $\sigma_i^{2k+1}$, so each step applies $p(\sigma) = p_1\sigma + p_3\sigma^3 + p_5\sigma^5$ to every singular
# value and leaves the singular vectors alone.

# %% slideshow={"slide_type": "subslide"}
def newton_schulz(M, steps=5, coefficients=(3.4445, -4.775, 2.0315), dtype=torch.bfloat16, eps=1e-7):
    """Torch's Muon orthogonalization: `steps` Newton-Schulz steps of an odd quintic, in bfloat16."""
    p1, p3, p5 = coefficients
    X = M.to(dtype)
    tall = M.size(0) > M.size(1)
    if tall:
        X = X.T  # work with the small Gram matrix X X^T
    X = X / X.norm().clamp(min=eps)  # singular values <= ||X||_F / ||X||_F = 1
    for _ in range(steps):
        A = X @ X.T
        B = torch.addmm(A, A, A, beta=p3, alpha=p5)  # p3 A + p5 A^2
        X = torch.addmm(X, B, X, beta=p1)  # p1 X + (p3 A + p5 A^2) X
    return X.T if tall else X


# %% slideshow={"slide_type": "subslide"}
class SimpleMuon(OptimizerBase):
    """Muon as torch.optim.Muon (nesterov=True): orthogonalized momentum, 2-D parameters only."""

    hyperparameters = {"lr": NON_NEGATIVE, "weight_decay": NON_NEGATIVE, "momentum": NON_NEGATIVE}
    defaults_ = {"lr": 1e-3, "weight_decay": 0.1, "momentum": 0.95}

    def init_state(self, p, state, group):
        if p.ndim != 2:
            raise ValueError(f"Muon is for 2-D weight matrices; got a parameter of shape {tuple(p.shape)}")
        state["momentum_buffer"] = torch.zeros_like(p)

    def update_param(self, p, grad, state, group):
        lr, beta, m = group["lr"], group["momentum"], state["momentum_buffer"]
        m.lerp_(grad, 1 - beta)  # m_t = beta m_{t-1} + (1 - beta) G_t
        O = newton_schulz(grad.lerp(m, beta))  # NS((1 - beta) G_t + beta m_t)
        p.mul_(1 - lr * group["weight_decay"])  # decoupled decay
        p.add_(O, alpha=-lr * math.sqrt(max(1, p.size(0) / p.size(1))))


torch_coefficients = torch.optim.Muon([torch.zeros(2, 2)]).defaults["ns_coefficients"]
print("torch's coefficients (p1, p3, p5) = ({:.4f}, {:.4f}, {:.4f})".format(*torch_coefficients))
G_test = torch.randn(96, 40, generator=torch.Generator().manual_seed(1))
print("newton_schulz equals torch's bit for bit, tall / wide:",
      torch.equal(newton_schulz(G_test), _zeropower_via_newtonschulz(G_test, torch_coefficients, 5, 1e-7)),
      torch.equal(newton_schulz(G_test.T), _zeropower_via_newtonschulz(G_test.T, torch_coefficients, 5, 1e-7)))
print("SimpleMuon vs torch.optim.Muon (weight matrices of the MLP):",
      proof(SimpleMuon, torch.optim.Muon, matrices_only=True, lr=0.02),
      "| bit for bit:", torch.equal(weights_after(SimpleMuon, matrices_only=True, lr=0.02),
                                    weights_after(torch.optim.Muon, matrices_only=True, lr=0.02)))

# %% [markdown] slideshow={"slide_type": "subslide"}
# **How close is bfloat16 Newton-Schulz to the polar factor?** A Gaussian $128 \times 64$ matrix, its
# exact polar factor $\operatorname{polar}(M)$ from an SVD in float64, and the relative error
# $\lVert X_k - \operatorname{polar}(M)\rVert_F / \lVert \operatorname{polar}(M)\rVert_F$ after $k$ steps: torch's quintic in bfloat16
# and in float64, and the classic cubic $X \leftarrow \tfrac32 X - \tfrac12 (XX^\top)X$ (which converges).

# %%
M = torch.randn(128, 64, generator=torch.Generator().manual_seed(0))
U, S, Vh = torch.linalg.svd(M, full_matrices=False)
polar = U @ Vh
variants = {"quintic, bfloat16 (torch)": (torch_coefficients, torch.bfloat16),
            "quintic, float64": (torch_coefficients, torch.float64),
            "cubic, float64": ((1.5, -0.5, 0.0), torch.float64),
            "cubic, bfloat16": ((1.5, -0.5, 0.0), torch.bfloat16)}
ks = list(range(0, 31))
ns_error, ns_svals = {}, {}
for name, (coeffs, dtype) in variants.items():
    outs = [newton_schulz(M, k, coeffs, dtype).double() for k in ks]
    ns_error[name] = [float((X - polar).norm() / polar.norm()) for X in outs]
    ns_svals[name] = torch.linalg.svdvals(outs[5])
print(f"{'relative error after k steps:':>26} {'k = 1':>7} {'3':>7} {'5':>7} {'10':>7} {'30':>7}   singular values at k = 5")
for name, (_, dtype) in variants.items():
    e = ns_error[name]
    if dtype == torch.bfloat16:  # one digit, and only up to k = 5: bfloat16's rounding depends on the CPU
        cells = [f"{e[k]:7.1f}" for k in (1, 3, 5)] + [f"{'-':>7}"] * 2
    else:
        cells = [f"{e[k]:7.2g}" if e[k] >= 1e-12 else f"{'<1e-12':>7}" for k in (1, 3, 5, 10, 30)]  # rounding level
    print(f"{name:>26} " + " ".join(cells) + f"   {float(ns_svals[name].min()):.1f} to {float(ns_svals[name].max()):.1f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Why orthogonalize?** The gradient of the digits MLP's hidden layer is dominated by a few
# directions; NS spreads the step over all of them. We compare their singular values.

# %%
mlp = make_mlp([64, 64, 64, 10], seed=0)
loss_fn(mlp(data.X_train[:128]), data.y_train[:128]).backward()
G_hidden = mlp[2].weight.grad.clone()
s_grad = torch.linalg.svdvals(G_hidden)
s_ns = torch.linalg.svdvals(newton_schulz(G_hidden).double())


def stable_rank(s):
    """sum sigma_i^2 / sigma_max^2: how many directions carry the matrix."""
    return float((s**2).sum() / s[0] ** 2)


print(f"hidden-layer gradient (64 x 64): {int((s_grad > 1e-12 * s_grad[0]).sum())} nonzero singular values, "
      f"stable rank {stable_rank(s_grad):.1f}, "
      f"top direction carries {float(s_grad[0]**2 / (s_grad**2).sum()):.0%} of ||G||_F^2")
print(f"after Newton-Schulz: stable rank about {5 * round(stable_rank(s_ns) / 5)} (to a multiple of 5: its digits "
      f"depend on bfloat16 rounding; a semi-orthogonal matrix has up to {int((s_grad > 1e-12 * s_grad[0]).sum())})")

# %% slideshow={"slide_type": "subslide"}
fig, (ax0, ax1) = new_figure(1, 2, figsize=(10.0, 3.8))
for (name, err), color, style in zip(ns_error.items(), PALETTE, ("o-", "x--", "o-", "x--"), strict=False):
    ax0.semilogy(ks, err, style, ms=4, color=color, label=name)
ax0.set_xlabel("Newton-Schulz steps $k$")
ax0.set_ylabel(r"$\|X_k - \mathrm{polar}(M)\|_F \,/\, \|\mathrm{polar}(M)\|_F$")
ax0.set_title("Distance to the polar factor (128 x 64)")
ax0.legend(loc="lower left")
nonzero = int((s_grad > 1e-12 * s_grad[0]).sum())  # units never active in the batch give zero singular values
ax1.semilogy(range(1, nonzero + 1), (s_grad / s_grad[0])[:nonzero].numpy(), "o", ms=3,
             label=r"gradient $G$ ($\sigma_i/\sigma_1$)")
ax1.semilogy(range(1, nonzero + 1), s_ns[:nonzero].numpy(), "s", ms=3, label=r"NS$(G)$, 5 steps, bfloat16")
ax1.set_xlabel("index $i$")
ax1.set_ylabel(r"singular value $\sigma_i$")
ax1.set_title("Hidden-layer gradient and its orthogonalization")
_ = ax1.legend(loc="lower left")


# %% slideshow={"slide_type": "subslide"}
fig

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice**
# - torch's quintic stops short of the polar factor *by design*: from 3 steps on its error stays near
#   0.2, in bfloat16 and in float64 alike, with singular values between about 0.7 and 1.1. The
#   coefficients buy a fast rise of small singular values (slope $p_1 = 3.4445$ at 0) at the price of
#   never converging; Keller Jordan reports that this does not hurt training. So bfloat16 costs
#   nothing here. The cubic converges to rounding error in float64, but needs 10 to 15 steps; in
#   bfloat16 it stalls far above that, at a level that depends on how the CPU rounds (the figure).
# - One direction carries more than half of the gradient's squared norm (stable rank 1.7); after
#   orthogonalization the step is spread over about 25 directions. Directions whose singular value is
#   below about $\lVert G\rVert_F/p_1^5 \approx \lVert G\rVert_F/500$ stay small after five steps (the
#   tail of the right panel).

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Which parameters go to Muon?** Orthogonalization is a matrix operation: it needs a 2-D weight that
# maps one hidden vector to another. Biases and normalization gains are vectors (torch refuses
# them); an embedding table is 2-D but a lookup, whose rows are separate vectors touched by separate
# tokens; the output layer (head) is kept on AdamW in practice as well (Jordan et al.). The usual
# recipe: two optimizers, stepped together.

# %%
toy = nn.ModuleDict({"embed": nn.Embedding(100, 32), "norm": nn.LayerNorm(32), "hidden1": nn.Linear(32, 64),
                     "hidden2": nn.Linear(64, 32), "head": nn.Linear(32, 100)})
muon_params, adamw_params = [], []
for name, module in toy.named_children():
    for pname, p in module.named_parameters():
        on_muon = isinstance(module, nn.Linear) and p.ndim == 2 and name != "head"  # hidden weight matrices
        (muon_params if on_muon else adamw_params).append(p)
        print(f"{name + '.' + pname:>15} {str(tuple(p.shape)):>10} -> {'Muon' if on_muon else 'AdamW'}")
optimizers = [torch.optim.Muon(muon_params, lr=0.02), torch.optim.AdamW(adamw_params, lr=3e-3)]
try:
    torch.optim.Muon([toy["hidden1"].bias])
except ValueError as err:
    print("ValueError:", err)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. Lion: the sign of an interpolation
#
# **Intuition.** Adam divides the momentum by its own scale, which makes each coordinate's step about
# $\eta$; Lion goes all the way and keeps only the sign. Chen et al. (2023) found it by a program search. Per coordinate, it steps along the sign of an
# interpolation between the momentum and the new gradient (the paper names it $c_t$):
#
# $$
# \theta_t = \theta_{t-1} - \eta\,\big(\operatorname{sign}(\beta_1 m_{t-1} + (1-\beta_1)\, g_t) + \omega\, \theta_{t-1}\big), \qquad
# m_t = \beta_2 m_{t-1} + (1-\beta_2)\, g_t ,
# $$
#
# with $\beta_1 = 0.9$, $\beta_2 = 0.99$: the step uses a short memory, the momentum keeps a long one.

# %% [markdown] slideshow={"slide_type": "skip"}
# **Paper and package.** `lion_pytorch.Lion` does exactly this: it shrinks $\theta$ by $(1 - \eta\,\omega)$,
# then steps by $\eta$ times the sign of the interpolation, then updates $m$ (its defaults: `lr=1e-4`, `betas=(0.9,
# 0.99)`, `weight_decay=0`). Its option `decoupled_weight_decay=True` divides $\omega$ by the initial
# learning rate, so the decay no longer scales with $\eta$ (only with a schedule's ratio $\eta_t/\eta_0$).
# $\operatorname{sign}(0) = 0$: a coordinate whose interpolation is exactly 0 does not move.

# %%
class SimpleLion(OptimizerBase):
    """Lion as lion_pytorch.Lion: step along sign(beta1 m + (1 - beta1) g), then update the momentum."""

    hyperparameters = {"lr": Interval(0.0, math.inf, low_closed=False), "betas": Interval(0.0, 1.0, high_closed=True),
                       "weight_decay": NON_NEGATIVE}
    defaults_ = {"lr": 1e-4, "betas": (0.9, 0.99), "weight_decay": 0.0}

    def init_state(self, p, state, group):
        state["exp_avg"] = torch.zeros_like(p)

    def update_param(self, p, grad, state, group):
        (beta1, beta2), lr, m = group["betas"], group["lr"], state["exp_avg"]
        p.mul_(1 - lr * group["weight_decay"])  # decoupled decay, with the lr
        u = beta1 * m + (1 - beta1) * grad  # interpolate with the OLD momentum
        p.add_(torch.sign(u), alpha=-lr)
        m.mul_(beta2).add_(grad, alpha=1 - beta2)  # then m_t


print("SimpleLion vs lion_pytorch.Lion:", proof(SimpleLion, lion_pytorch.Lion, lr=1e-3),
      "| weight decay 0.1, betas (0.8, 0.95):",
      proof(SimpleLion, lion_pytorch.Lion, lr=1e-3, weight_decay=0.1, betas=(0.8, 0.95)))

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Every coordinate moves by exactly $\eta$.** One Lion step on the digits MLP (no decay). Then Lion
# ($\eta = 10^{-3}$) and AdamW ($\eta = 3 \cdot 10^{-3}$) train side by side for four epochs on the same
# batches of 32: the RMS of AdamW's step in units of $\eta$, and every weight's step at the last step.
# 04's bound says $|\Delta_t| \lesssim \eta$ per coordinate for Adam, and it is usually well below.

# %% [markdown] slideshow={"slide_type": "notes"}
# **The pure-noise limit.** If the gradients of a coordinate are independent with mean 0 and variance
# $\sigma^2$, the EWMA $m_t = (1-\beta_1)\sum_k \beta_1^k g_{t-k}$ has variance
# $\sigma^2 (1-\beta_1)^2 \sum_k \beta_1^{2k} = \sigma^2 \frac{1-\beta_1}{1+\beta_1}$, while $\hat v_t \to \sigma^2$. So Adam's
# step has an RMS of about $\eta\sqrt{(1-\beta_1)/(1+\beta_1)}$ once the gradients are mostly noise;
# Lion's is $\eta$ regardless.

# %% slideshow={"slide_type": "subslide"}
lion_net = make_mlp([64, 32, 10], seed=0)
before = torch.cat([p.detach().flatten() for p in lion_net.parameters()])
lion = lion_pytorch.Lion(lion_net.parameters(), lr=1e-3)
loss_fn(lion_net(data.X_train), data.y_train).backward()
lion.step()
moved = (torch.cat([p.detach().flatten() for p in lion_net.parameters()]) - before).abs()
exact = (moved - 1e-3).abs() < 1e-15
zero_grad = torch.cat([p.grad.flatten() for p in lion_net.parameters()]) == 0
print(f"Lion: {int(exact.sum())} of {moved.numel()} weights moved by exactly lr (to 1e-15); the other "
      f"{int((moved == 0).sum())} did not move: their gradient is exactly 0 ({int(zero_grad.sum())} zeros), and sign(0) = 0")


# %% slideshow={"slide_type": "subslide"}
def flat_weights(net):
    return torch.cat([p.detach().flatten() for p in net.parameters()])


adam_net, lion_net = make_mlp([64, 32, 10], seed=0), make_mlp([64, 32, 10], seed=0)
adam, lr = torch.optim.AdamW(adam_net.parameters(), lr=3e-3), 3e-3
lion, lion_lr = lion_pytorch.Lion(lion_net.parameters(), lr=1e-3), 1e-3  # on the same batches
order = torch.Generator().manual_seed(0)
step_rms = []  # RMS of AdamW's step / lr, batches of 32, 4 epochs
for _ in range(4):
    for idx in torch.randperm(len(data.X_train), generator=order).split(32):
        for net, opt in ((adam_net, adam), (lion_net, lion)):
            before = flat_weights(net)
            opt.zero_grad()
            loss_fn(net(data.X_train[idx]), data.y_train[idx]).backward()
            opt.step()
            step = flat_weights(net) - before  # Lion's, at the end of the inner loop
            if opt is adam:
                step_rms.append(float(step.square().mean().sqrt()) / lr)
print(f"AdamW (lr 3e-3, batches of 32): RMS step / lr = {step_rms[0]:.2f} at t = 1; median over steps 2-10 "
      f"{np.median(step_rms[1:10]):.2f}, 11-50 {np.median(step_rms[10:50]):.2f}, last 40 steps "
      f"{np.median(step_rms[-40:]):.2f} (of {len(step_rms)})")
print(f"pure noise (mean-zero gradients): RMS of m_hat / sqrt(v_hat) -> sqrt((1 - beta1) / (1 + beta1)) = "
      f"{math.sqrt(0.1 / 1.9):.3f}")

# %% slideshow={"slide_type": "subslide"}
lion_last = step.abs() / lion_lr  # |step| / lr of Lion's last step, per coordinate
adam_last = torch.cat([  # AdamW's last step / lr without the decay: |m_hat| / (sqrt(v_hat) + eps)
    (s["exp_avg"] / (1 - 0.9 ** float(s["step"]))).abs().flatten()
    / ((s["exp_avg_sq"] / (1 - 0.999 ** float(s["step"]))).sqrt().flatten() + 1e-8)
    for s in (adam.state[p] for p in adam_net.parameters())])
lion_m_zero = sum(int((s["exp_avg"] == 0).sum()) for s in lion.state.values())
print(f"Lion, the last of {len(step_rms)} steps: {int(((lion_last - 1).abs() < 1e-12).sum())} of {lion_last.numel()} "
      f"weights moved by exactly lr, {int((lion_last == 0).sum())} not at all\n"
      f"      ({lion_m_zero} momenta are exactly 0: no nonzero gradient yet)")
q50, q99 = torch.quantile(adam_last, torch.tensor([0.5, 0.99])).tolist()
print(f"AdamW, |m_hat| / (sqrt(v_hat) + eps): median {q50:.2f}, 99% quantile {q99:.2f}, maximum "
      f"{float(adam_last.max()):.2f}; {int((adam_last > 1).sum())} above 1, {int((adam_last == 0).sum())} at 0")

fig, ax = new_figure(figsize=(8.0, 3.8))
bins = np.logspace(-4.05, 0.95, 51)  # 1 is the middle of a bin
ax.hist(adam_last[adam_last > 0].numpy(), bins=bins, histtype="stepfilled", color=PALETTE[0], alpha=0.7,
        label=r"AdamW, $|\hat m_t| / (\sqrt{\hat v_t} + \epsilon)$")
ax.hist(lion_last[lion_last > 0].numpy(), bins=bins, histtype="stepfilled", color=PALETTE[1], alpha=0.7,
        label=r"Lion, $|\operatorname{sign}(\beta_1 m_{t-1} + (1-\beta_1)\, g_t)|$")
ax.axvline(1.0, color="black", linewidth=0.8, linestyle=":", label=r"$|\Delta_t| = \eta$ (04's bound, roughly)")
ax.set_xscale("log")
ax.set_yscale("log")
for axis in (ax.xaxis, ax.yaxis):
    axis.set_minor_locator(SparseLogMinorLocator())  # no minor ticks over more than 3 decades
ax.set_xlabel(r"$|\Delta_t|\,/\,\eta$ per weight (without the decay)")
ax.set_ylabel("number of weights")
ax.set_title(f"The step of every weight at step {len(step_rms)}, same batches (weights that moved)")
_ = ax.legend(loc="upper left")


# %% slideshow={"slide_type": "subslide"}
fig

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice**
# - Every weight with a nonzero gradient moved by exactly $\eta$: Lion's step has the same size in every
#   coordinate at every step, the extreme case of 04's bound, which Adam reaches only at $t = 1$.
# - AdamW's RMS step falls from 0.84 $\eta$ at $t = 1$ (0.84 rather than 1: some weights have a zero
#   gradient) to 0.26 $\eta$ in the fourth epoch, as the gradients become mostly noise; with pure noise
#   it would be $\sqrt{(1-\beta_1)/(1+\beta_1)} = 0.229$. To take steps of the same size Lion needs an
#   $\eta$ about four times smaller: the 3-10x of Chen et al.
# - The figure: at the last of 172 steps on the same batches, Lion still moves 2029 of 2410 weights by
#   exactly $\eta$ (the other 381 have never had a nonzero gradient); AdamW's steps spread over four
#   decades below $\eta$ (median 0.07 $\eta$, 99% quantile 0.70 $\eta$, none above $\eta$).
# - Decoupled weight decay shrinks $\theta$ by $\eta\,\omega$ per step; with an $\eta$ 3-10x smaller, the same
#   shrinkage needs an $\omega$ 3-10x larger. Lion's recipe is *both*, which keeps $\eta\,\omega$ unchanged.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. Schedule-free AdamW: an average instead of a schedule
#
# **Intuition.** A decaying schedule (07) ends quietly; so does an average of the iterates, without
# knowing when the run ends. Defazio et al. (2024) run an Adam-like sequence $z_t$, keep the average $\bar z_t$ of the $z$'s (what
# you evaluate), and take gradients at a point $\theta_t$ between the two:
#
# $$
# \begin{aligned}
# g_t &= \nabla \mathcal L(\theta_{t-1}), \quad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2, \\
# z_t &= z_{t-1} - \eta_t \Big(\frac{g_t}{\sqrt{v_t/(1-\beta_2^t)} + \epsilon} + \omega\,\theta_{t-1}\Big), \\
# \bar z_t &= \bar z_{t-1} + \frac{\Gamma_t}{\sum_{i \le t}\Gamma_i}\,(z_t - \bar z_{t-1}), \qquad \theta_t = (1-\beta_1)\, z_t + \beta_1\, \bar z_t ,
# \end{aligned}
# $$
#
# with $z_0 = \bar z_0 = \theta_0$ and the weights $\Gamma_t = (\max_{i\le t}\eta_i)^2$: $\bar z_t$ is the
# $\Gamma$-weighted average of $z_1, \dots, z_t$, a uniform one (the fraction is $1/t$) at a constant $\eta$,
# later steps weighted more during a warmup.

# %% [markdown] slideshow={"slide_type": "skip"}
# **Paper and package.** The paper's $x_t, y_t, z_t$ are our $\bar z_t, \theta_t, z_t$ (the course keeps
# $x, y$ for data, and keeps the paper's and the package's `z` although $z$ is a root in 02). `schedulefree.AdamWScheduleFree` stores $\theta_t$ in the parameters during
# training and $z_t$ in the state; it never stores $\bar z_t$: `eval()` recovers it as
# $\bar z = (\theta - (1-\beta_1) z)/\beta_1$ and `train()` goes back. You must call `train()` before
# training and `eval()` before evaluating or saving. The paper's Algorithm 1 puts the bias correction
# into the step size, $\eta_t\sqrt{1-\beta_2^t}$ (so $\epsilon$ is not rescaled, and the weights $\Gamma_t$
# include it); the package divides $v_t$ instead, as above (its `AdamWScheduleFreePaper` class
# follows the paper). The paper writes $c_{t+1}$ for the fraction $\Gamma_t/\sum_{i\le t}\Gamma_i$ and builds the
# weights from its step size $\gamma_t$ (the package: `ckp1`, `weight`). The package's `warmup_steps` ramps
# $\eta_t$ linearly; `r` and `weight_lr_power` generalize $\Gamma_t = t^r (\max_{i\le t}\eta_i)^{\text{power}}$.

# %% slideshow={"slide_type": "subslide"}
class ScheduleFreeStep(OptimizerBase):
    """Schedule-free AdamW's step at a constant lr (uniform average), storing z-bar explicitly."""

    hyperparameters = {"lr": NON_NEGATIVE, "eps": NON_NEGATIVE, "weight_decay": NON_NEGATIVE}
    defaults_ = {"lr": 0.0025, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0}
    training = False

    def init_state(self, p, state, group):
        state["z"], state["z_bar"] = p.detach().clone(), p.detach().clone()  # z_0 = z_bar_0 = theta_0
        state["exp_avg_sq"] = torch.zeros_like(p)

    def update_param(self, p, grad, state, group):  # p holds theta_{t-1}
        if not self.training:
            raise RuntimeError("call train() before training")
        (beta1, beta2), t, z, z_bar = group["betas"], state["step"], state["z"], state["z_bar"]
        v = state["exp_avg_sq"].mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        direction = grad / ((v / (1 - beta2**t)).sqrt() + group["eps"]) + group["weight_decay"] * p
        z.sub_(direction, alpha=group["lr"])  # z_t
        z_bar.lerp_(z, 1 / t)  # z_bar_t = (1 - 1/t) z_bar_{t-1} + (1/t) z_t
        p.copy_(z.lerp(z_bar, beta1))  # theta_t = (1 - beta1) z_t + beta1 z_bar_t


# %% slideshow={"slide_type": "subslide"}
class SimpleScheduleFreeAdamW(ScheduleFreeStep):
    """The step, and the switch of the weights: train() loads theta, eval() loads z_bar."""

    def _load(self, key):
        for group in self.param_groups:
            for p in group["params"]:
                s = self.state[p]
                if s:
                    p.data.copy_(s["z_bar"] if key == "z_bar" else s["z"].lerp(s["z_bar"], group["betas"][0]))

    def train(self):
        self.training = True
        self._load("theta")

    def eval(self):
        self.training = False
        self._load("z_bar")


print("SimpleScheduleFreeAdamW vs schedulefree.AdamWScheduleFree, eval weights:",
      proof(SimpleScheduleFreeAdamW, schedulefree.AdamWScheduleFree, schedule_free=True, lr=0.01),
      "| weight decay 0.1:", proof(SimpleScheduleFreeAdamW, schedulefree.AdamWScheduleFree, schedule_free=True,
                                   lr=0.01, weight_decay=0.1))

# %% [markdown] slideshow={"slide_type": "subslide"}
# **The experiment.** Section 8's task (the digits MLP $64 \to 64 \to 64 \to 10$, batches of 128, 6
# epochs = 66 steps, its first seed) at $\eta = 0.03$, the best learning rate of both in section 8. After
# every step we evaluate the validation loss of schedule-free AdamW at $\bar z_t$ (`eval()`) and at
# $\theta_t$, of AdamW with a cosine schedule over the run ($T = 66$) and over the first 22 and 44 steps
# (budgets fixed in advance), and of AdamW at a constant $\eta$.

# %% slideshow={"slide_type": "subslide"}
EPOCHS, BATCH = 6, 128


def epoch_batches(seed):
    """The shuffled batches of every epoch for one seed (the same for every optimizer)."""
    gen = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(EPOCHS):
        perm = torch.randperm(len(data.X_train), generator=gen)
        out.append([(data.X_train[i], data.y_train[i]) for i in perm.split(BATCH)])
    return out


def evaluate_val(net):
    with torch.no_grad():
        out = net(data.X_val)
        return float(loss_fn(out, data.y_val)), float((out.argmax(1) == data.y_val).double().mean())


# %% slideshow={"slide_type": "subslide"}
def val_per_step(kind, T):
    """Validation (loss, accuracy) after each of T steps at lr 0.03 (schedule-free: at z_bar, and at theta)."""
    net = make_mlp([64, 64, 64, 10], seed=0)
    opt = (schedulefree.AdamWScheduleFree if kind == "schedule-free" else torch.optim.AdamW)(net.parameters(), lr=0.03)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T) if kind == "cosine" else None
    at_z_bar, at_theta = [], []
    for xb, yb in [b for epoch in epoch_batches(0) for b in epoch][:T]:
        if kind == "schedule-free":
            opt.train()
        opt.zero_grad()
        loss_fn(net(xb), yb).backward()
        opt.step()
        if sched:
            sched.step()
        if kind == "schedule-free":
            at_theta.append(evaluate_val(net))
            opt.eval()
        at_z_bar.append(evaluate_val(net))
    return at_z_bar, at_theta


# %% slideshow={"slide_type": "subslide"}
sf_z_bar, sf_theta = val_per_step("schedule-free", 66)
cosine = {T: val_per_step("cosine", T)[0] for T in (22, 44, 66)}
sf_runs = {"schedule-free, at z_bar": sf_z_bar, "schedule-free, at theta": sf_theta}
sf_runs |= {f"AdamW + cosine, T = {T}": cosine[T] for T in (22, 44, 66)}
sf_runs["AdamW, constant lr"] = val_per_step("constant", 66)[0]
sf_runs = {label: [loss for loss, _ in curve] for label, curve in sf_runs.items()}  # the losses
print(f"{'validation loss after step':>30} {'22':>6} {'44':>6} {'66':>6}   last epoch (steps 56-66)")
for label, curve in sf_runs.items():
    spread = f"{min(curve[55:]):.3f} to {max(curve[55:]):.3f}" if len(curve) == 66 else ""
    print(f"{label:>30} " + "".join(f"{curve[t - 1]:6.3f}" if t <= len(curve) else f"{'-':>6}" for t in (22, 44, 66))
          + f"   {spread}".rstrip())

# %% slideshow={"slide_type": "subslide"}
fig, ax = new_figure(figsize=(8.0, 4.0))
styles = {"schedule-free, at z_bar": (PALETTE[1], "-", r"schedule-free, at $\bar z_t$ (eval())"),
          "schedule-free, at theta": (PALETTE[1], ":", r"schedule-free, at $\theta_t$ (no eval())"),
          "AdamW + cosine, T = 22": (PALETTE[0], "--", None), "AdamW + cosine, T = 44": (PALETTE[0], "--", None),
          "AdamW + cosine, T = 66": (PALETTE[0], "-", "AdamW + cosine, T = 66 (dashed: T = 22, 44)"),
          "AdamW, constant lr": ("grey", "-", "AdamW, constant lr")}
for label, curve in sf_runs.items():
    color, style, legend = styles[label]
    ax.plot(range(1, len(curve) + 1), curve, style, color=color, linewidth=1.4, label=legend)
    if label.startswith("AdamW + cosine"):
        ax.plot(len(curve), curve[-1], "o", color=color, ms=5)
ax.set_yscale("log")
ax.set_xlabel("step $t$")
ax.set_ylabel("validation loss")
ax.set_title(r"Schedule-free AdamW and AdamW + cosine, $\eta$ = 0.03, one run each")
_ = ax.legend(loc="upper right")


# %% slideshow={"slide_type": "subslide"}
fig

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice**
# - At $\bar z_t$, the one schedule-free run is below each cosine run at the end of that run's budget:
#   0.304 against 0.497 at step 22, 0.145 against 0.194 at 44, 0.115 against 0.129 at 66. Cosine needs
#   $T$ in advance; the average does not, and can be stopped anywhere.
# - AdamW at a constant $\eta$ ends lowest (0.100), by where it happens to stop: over the last epoch it
#   swings between 0.092 and 0.168, the average between 0.114 and 0.123, cosine between 0.129 and 0.134.
#   What a schedule or an average removes is that noise; on a run this short, it is all they remove.
# - $\theta_t$, where the gradients are taken, is almost as noisy (0.109 to 0.168): call `eval()` before
#   evaluating.

# %% [markdown] slideshow={"slide_type": "fragment"}
# Section 8 repeats the comparison over two seeds, with a learning-rate grid for every optimizer.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 8. Side by side on the digits
#
# The digits MLP $64 \to 64 \to 64 \to 10$ (ReLU), batches of 128, 6 epochs (66 steps), two seeds
# (initialisation and batch order). Every optimizer gets the same tuning budget: three learning rates a
# factor of 3 apart, the other hyperparameters at their defaults, except where a section above says
# otherwise (Lion: $\omega = 0.1$, ten times AdamW's default; Muon: the two hidden matrices on Muon, the
# head and the biases on AdamW at $\eta = 3 \cdot 10^{-3}$). We placed each grid, after a first look,
# so that its best value is not at an edge (the table shows that it is not). AdamW gets a cosine
# schedule over the run: the baseline for schedule-free.

# %% [markdown] slideshow={"slide_type": "skip"}
# Why so short a run? This notebook has a budget of a few seconds for 42 training runs. At 66 steps the
# comparison measures how fast each optimizer makes progress early, which favours large learning
# rates and aggressive updates; a longer run would shrink the differences (all of them reach about 97%
# on this task). Read the verdict as "at this budget, on this task".

# %% slideshow={"slide_type": "subslide"}
def muon_and_adamw(net, lr):
    hidden = [net[0].weight, net[2].weight]
    rest = [p for p in net.parameters() if all(p is not q for q in hidden)]
    return [torch.optim.Muon(hidden, lr=lr), torch.optim.AdamW(rest, lr=3e-3)]


CONTENDERS = {  # name: (lr grid, a function net, lr -> list of optimizers)
    "AdamW + cosine": ((1e-2, 3e-2, 1e-1), lambda net, lr: [torch.optim.AdamW(net.parameters(), lr=lr)]),
    "NAdam": ((1e-2, 3e-2, 1e-1), lambda net, lr: [torch.optim.NAdam(net.parameters(), lr=lr)]),
    "RAdam": ((3e-2, 1e-1, 3e-1), lambda net, lr: [torch.optim.RAdam(net.parameters(), lr=lr)]),
    "Adafactor": ((1e-1, 3e-1, 1.0), lambda net, lr: [torch.optim.Adafactor(net.parameters(), lr=lr)]),
    "Muon + AdamW": ((0.03, 0.1, 0.3), muon_and_adamw),
    "Lion": ((3e-3, 1e-2, 3e-2), lambda net, lr: [lion_pytorch.Lion(net.parameters(), lr=lr, weight_decay=0.1)]),
    "schedule-free AdamW": ((1e-2, 3e-2, 1e-1),
                            lambda net, lr: [schedulefree.AdamWScheduleFree(net.parameters(), lr=lr)]),
}


# %% slideshow={"slide_type": "subslide"}
def side_by_side_run(name, lr, seed):
    """Validation loss after every epoch (for schedule-free: at z_bar, and also at theta)."""
    net = make_mlp([64, 64, 64, 10], seed=seed)
    opts = CONTENDERS[name][1](net, lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opts[0], EPOCHS * len(epochs_of[seed][0])) \
        if name == "AdamW + cosine" else None
    sf = opts[0] if name == "schedule-free AdamW" else None
    curve, at_theta = [], []
    for batches in epochs_of[seed]:
        if sf:
            sf.train()
        for xb, yb in batches:
            for opt in opts:
                opt.zero_grad()
            loss_fn(net(xb), yb).backward()
            for opt in opts:
                opt.step()
            if sched:
                sched.step()
        if sf:
            at_theta.append(evaluate_val(net))
            sf.eval()
        curve.append(evaluate_val(net))
    return curve, at_theta


epochs_of = {seed: epoch_batches(seed) for seed in (0, 1)}
per_epoch = slice(len(epochs_of[0][0]) - 1, None, len(epochs_of[0][0]))  # the last step of every epoch
from_section_7 = {("AdamW + cosine", 0.03, 0): (cosine[66][per_epoch], []),  # the same runs
                  ("schedule-free AdamW", 0.03, 0): (sf_z_bar[per_epoch], sf_theta[per_epoch])}
results = {(name, lr, seed): from_section_7.get((name, lr, seed)) or side_by_side_run(name, lr, seed)
           for name, (grid, _) in CONTENDERS.items() for lr in grid for seed in (0, 1)}

# %% slideshow={"slide_type": "subslide"}
print(f"{'':>20} {'validation loss, mean of 2 seeds':>33}   {'best lr':>8} {'val. accuracy at best lr':>25}")
best = {}
for name, (grid, _) in CONTENDERS.items():
    mean_loss = {lr: np.mean([results[name, lr, s][0][-1][0] for s in (0, 1)]) for lr in grid}
    best[name] = min(grid, key=mean_loss.get)
    accs = [results[name, best[name], s][0][-1][1] for s in (0, 1)]
    if name == "Muon + AdamW":  # bfloat16: the digits depend on the CPU; one decimal, and every lr within 30% of the best
        cells = " ".join(f"{lr:g}: {mean_loss[lr]:.1f} " for lr in grid)
        near = ", ".join(f"{lr:g}" for lr in grid if mean_loss[lr] <= 1.3 * mean_loss[best[name]])
        print(f"{name:>20} {cells:>33}   {near:>8} {'(see below)':>25}")
        continue
    cells = " ".join(f"{lr:g}: {mean_loss[lr]:.2f}" for lr in grid)
    print(f"{name:>20} {cells:>33}   {best[name]:>8g} {100 * min(accs):>12.0f}% and {100 * max(accs):.0f}%")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **How much do Muon's digits depend on the CPU?** Another CPU may round a few results of a product or
# a sum differently, in the last place. `LastBitNudge` (the course's perturbation check) does that to
# *every* such result: we train 10 steps with and without it and compare the weights.

# %%
def weights_after_10_steps(name, lr, nudge):
    net = make_mlp([64, 64, 64, 10], seed=0)
    opts = CONTENDERS[name][1](net, lr)
    with LastBitNudge("up") if nudge else contextlib.nullcontext():
        for xb, yb in epochs_of[0][0][:10]:
            for opt in opts:
                opt.zero_grad()
            loss_fn(net(xb), yb).backward()
            for opt in opts:
                opt.step()
    return torch.cat([p.detach().flatten() for p in net.parameters()])


for name, lr in (("Muon + AdamW", 0.1), ("AdamW + cosine", 0.03)):
    a, b = weights_after_10_steps(name, lr, False), weights_after_10_steps(name, lr, True)
    rel = float((a - b).norm() / a.norm())
    band = "more than 1e-3" if rel > 1e-3 else "less than 1e-10" if rel < 1e-10 else "between 1e-10 and 1e-3"
    print(f"{name.replace(' + cosine', ''):>13}: one unit in the last place, everywhere, moves the weights by {band} "
          "(relative) in 10 steps")

# %% slideshow={"slide_type": "subslide"}
fig, (ax0, ax1) = new_figure(1, 2, figsize=(10.0, 4.0))
for (name, (grid, _)), color in zip(CONTENDERS.items(), PALETTE, strict=False):
    ax0.plot([0, 1, 2], [np.mean([results[name, lr, s][0][-1][0] for s in (0, 1)]) for lr in grid], "o-", color=color,
             label=name)
    ax1.plot(range(1, EPOCHS + 1), np.mean([[c[0] for c in results[name, best[name], s][0]] for s in (0, 1)], axis=0),
             "o-", ms=3, color=color, label=f"{name}, lr {best[name]:g}")
ax1.plot(range(1, EPOCHS + 1), np.mean([[c[0] for c in results["schedule-free AdamW", best["schedule-free AdamW"], s][1]]
                                        for s in (0, 1)], axis=0), "x:", color=PALETTE[6 % len(PALETTE)],
         label=r"schedule-free, evaluated at $\theta$ (no eval())")
ax0.set_xticks([0, 1, 2], ["lr / 3", "middle lr", "3 lr"])
ax0.set_yscale("log")
ax0.set_xlabel("learning rate, relative to the middle of each grid")
ax0.set_ylabel("validation loss after 6 epochs (mean of 2 seeds)")
ax0.set_title("Three learning rates each")
ax0.legend(fontsize=7, loc="upper center", ncol=2)
ax1.set_yscale("log")
ax1.set_xlabel("epoch")
ax1.set_ylabel("validation loss (mean of 2 seeds)")
ax1.set_title("At each optimizer's best lr")
_ = ax1.legend(fontsize=7)


# %% slideshow={"slide_type": "subslide"}
fig

# %% slideshow={"slide_type": "subslide"}
sf_lr, cos_lr = best["schedule-free AdamW"], best["AdamW + cosine"]
print(f"validation loss per epoch (mean of 2 seeds)  {'1':>6}{'2':>6}{'3':>6}{'4':>6}{'5':>6}{'6':>6}")
rows = {f"AdamW + cosine, lr {cos_lr:g}": [results["AdamW + cosine", cos_lr, s][0] for s in (0, 1)],
        f"schedule-free, lr {sf_lr:g}, at z_bar (eval())": [results["schedule-free AdamW", sf_lr, s][0] for s in (0, 1)],
        f"schedule-free, lr {sf_lr:g}, at theta": [results["schedule-free AdamW", sf_lr, s][1] for s in (0, 1)]}
for label, curves in rows.items():
    print(f"{label:>44} " + "".join(f"{np.mean([c[e][0] for c in curves]):6.3f}" for e in range(EPOCHS)))

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice** (the numbers are in the tables; the verdict is only as good as two seeds and one
# short run)
# - Three optimizers lead: Muon (a mean validation loss of about 0.1), schedule-free AdamW (0.11) and
#   AdamW + cosine (0.13), with 96-97% validation accuracy. NAdam and RAdam (0.18), Lion (0.21) and
#   Adafactor (0.26) trail. Two seeds and one short run cannot separate the top three.
# - Muon's row is rounded to one decimal, and its best lr is given as the range within 30% of the best:
#   it computes in bfloat16, and the cell above shows that a last-place change in the arithmetic moves
#   its weights by more than $10^{-3}$ in ten steps (AdamW's, in float64, by less than $10^{-10}$).
#   Such differences grow during training: on another CPU Muon's final losses differ in the second
#   digit, and which of 0.1 and 0.3 is best is not reproducible.
# - RAdam wants the largest lr of the Adam family (0.1): its first five steps are momentum steps and
#   its adaptive steps are scaled down by $\phi_t$ (0.3066 even at $t = 200$). That is what the
#   rectification buys, as a warmup would: at lr 0.1 RAdam ends at 0.18 where AdamW + cosine ends at
#   0.39. It is not a better optimum: RAdam's best (0.18) is worse than AdamW's (0.13) at this budget. Adafactor wants relative steps of 0.3, thirty times its
#   default: the default is made for runs of $10^5$ steps. Lion's best lr (0.01) is three times
#   smaller than AdamW's (0.03), as section 6 predicted.
# - Schedule-free AdamW at $\bar z$ is behind AdamW + cosine after the first epoch (0.668 against 0.642)
#   and ahead after every later one (0.189 against 0.195 after three), without knowing the length of the
#   run; cosine needs it in advance. Evaluated at
#   $\theta$, without `eval()`, it ends at 0.153 instead of 0.114: always switch before evaluating.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 1: Lion from scratch
#
# Write `MyLion`, equal to `lion_pytorch.Lion` with `lr`, `betas` and `weight_decay` (declare them in
# `defaults_` with the package's defaults). Mind the order: the decay first, then the sign step
# computed from the *old* momentum, then the momentum update.

# %% tags=["solution"]
class MyLion(OptimizerBase):
    hyperparameters = {"lr": Interval(0.0, math.inf, low_closed=False), "weight_decay": Interval(0.0, math.inf)}
    defaults_ = {"lr": 1e-4, "betas": (0.9, 0.99), "weight_decay": 0.0}

    def init_state(self, p, state, group):
        state["m"] = torch.zeros_like(p)

    def update_param(self, p, grad, state, group):
        (beta1, beta2), m = group["betas"], state["m"]
        p.mul_(1 - group["lr"] * group["weight_decay"])
        p.add_(torch.sign(beta1 * m + (1 - beta1) * grad), alpha=-group["lr"])
        m.mul_(beta2).add_(grad, alpha=1 - beta2)


# %%
check_lion(MyLion)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 2: which parameters go to Muon?
#
# Write `split_for_muon(model)`, returning two lists `(muon_params, adamw_params)` for a model built
# from `nn.Embedding`, `nn.LayerNorm` and `nn.Linear` layers whose output layer is named `head`: the
# hidden weight matrices on Muon, everything else on AdamW, every parameter exactly once.

# %% tags=["solution"]
def split_for_muon(model):
    muon, adamw = [], []
    for name, module in model.named_modules():
        for p in module.parameters(recurse=False):
            hidden_matrix = isinstance(module, nn.Linear) and p.ndim == 2 and not name.startswith("head")
            (muon if hidden_matrix else adamw).append(p)
    return muon, adamw


# %%
check_muon_split(split_for_muon)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 3: Newton-Schulz exactly as torch does it
#
# Write `my_newton_schulz(M, steps=5)`, equal *bit for bit* to torch's Muon orthogonalization for tall,
# wide and square matrices: bfloat16, the transposition of tall matrices, the Frobenius normalization
# clamped at $10^{-7}$, and the quintic coefficients $(3.4445, -4.7750, 2.0315)$. (Section 5's
# `newton_schulz` is the answer; try it without looking.)

# %% tags=["solution"]
def my_newton_schulz(M, steps=5):
    X = M.bfloat16()
    if M.size(0) > M.size(1):
        X = X.T
    X = X / X.norm().clamp(min=1e-7)
    for _ in range(steps):
        A = X @ X.T
        X = torch.addmm(X, torch.addmm(A, A, A, beta=-4.7750, alpha=2.0315), X, beta=3.4445)
    return X.T if M.size(0) > M.size(1) else X


# %%
check_newton_schulz(my_newton_schulz)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 4: RAdam's first adaptive step
#
# With $\beta_2 = 0.99$, at which step $t$ does `torch.optim.RAdam` take its first adaptive step (its
# first step with $\rho^{\text{SMA}}_t > 5$)? Assign the integer to `first_adaptive_step`.

# %% tags=["solution"]
first_adaptive_step = 6

# %%
check_value(
    "RAdam's first adaptive step for beta2 = 0.99", first_adaptive_step,
    next(t for t in range(1, 100) if (2 / 0.01 - 1) - 2 * t * 0.99**t / (1 - 0.99**t) > 5), rtol=0, atol=0.5,
    hints=[(5, "that is the paper's threshold, rho_t > 4; torch waits for rho_t > 5."),
           (1, "at t = 1, rho_t = 1: the variance of the adaptive lr is infinite; RAdam takes a momentum step.")],
    default_hint="find the first t at which rho_t, the length of the approximated SMA, passes torch's "
                 "threshold (section 3).",
    default_detail="compute rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t) with rho_inf = 2 / (1 - beta2) - 1 "
                   "for t = 1, 2, ... and find the first t with rho_t > 5.",
)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - **NAdam** is Adam with Nesterov's look-ahead ($\beta_1 m_t$ in place of $\beta_1 m_{t-1}$); torch adds a
#   slow momentum schedule that starts at $\beta_1/2$, which changes more than the look-ahead does.
# - **RAdam** takes momentum steps until $\rho^{\text{SMA}}_t > 5$ (torch; the paper says 4), then scales the
#   adaptive step by $\phi_t$: a warmup computed from $\beta_2$.
# - **Adafactor** stores $n + m$ numbers for an $n \times m$ matrix (0.0029 per weight on a GPT-2 layer,
#   against AdamW's 2.0000) and steps relative to the weights' RMS.
# - **Muon** orthogonalizes the momentum of 2-D weight matrices with five bfloat16 Newton-Schulz
#   steps that stop near, not at, the polar factor; biases, norms, embeddings and the head stay on AdamW.
# - **Lion** moves every coordinate by exactly $\eta$; its $\eta$ is 3-10x smaller than AdamW's and its
#   $\omega$ as much larger.
# - **Schedule-free AdamW** evaluates an average of its iterates and needs no schedule, but `train()`
#   and `eval()` must bracket training and evaluation.
# - On a short digits run with equal tuning budgets, Muon, schedule-free AdamW and AdamW + cosine led,
#   too close to rank with two seeds; NAdam, RAdam, Lion and Adafactor trailed.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## References
#
# - Timothy Dozat, "Incorporating Nesterov Momentum into Adam", ICLR workshop, 2016 (NAdam).
# - Liyuan Liu, Haoming Jiang, Pengcheng He, Weizhu Chen, Xiaodong Liu, Jianfeng Gao and Jiawei Han,
#   "On the Variance of the Adaptive Learning Rate and Beyond", ICLR 2020 (RAdam).
# - Jerry Ma and Denis Yarats, "On the adequacy of untuned warmup for adaptive optimization", AAAI 2021.
# - Noam Shazeer and Mitchell Stern, "Adafactor: Adaptive Learning Rates with Sublinear Memory Cost",
#   ICML 2018.
# - Keller Jordan, Yuchen Jin, Vlado Boza, Jiacheng You, Franz Cesista, Laker Newhouse and Jeremy
#   Bernstein, "Muon: An optimizer for hidden layers in neural networks", 2024
#   (kellerjordan.github.io/posts/muon); Jingyuan Liu et al., "Muon is Scalable for LLM Training", 2025.
# - Xiangning Chen et al., "Symbolic Discovery of Optimization Algorithms", NeurIPS 2023 (Lion).
# - Aaron Defazio, Xingyu Alice Yang, Harsh Mehta, Konstantin Mishchenko, Ahmed Khaled and Ashok
#   Cutkosky, "The Road Less Scheduled", NeurIPS 2024 (schedule-free).
# - PyTorch 2.13 source: `torch/optim/nadam.py`, `radam.py`, `_adafactor.py`, `_muon.py`;
#   `lion-pytorch` 0.2.5 (Phil Wang); `schedulefree` 1.4.1 (Meta).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What's next
#
# Every optimizer here assumed a network that trains at all. Notebook 10 looks at what decides that
# before the first step: initialisation, the variance of activations and gradients through depth,
# gradient clipping and normalization.
