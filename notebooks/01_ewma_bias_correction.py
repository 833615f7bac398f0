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
# # 01 · Exponentially weighted averages and bias correction
#
# Almost every optimizer after plain gradient descent keeps a *running average*: momentum
# averages the gradients, RMSProp averages the squared gradients, and Adam does both. They all
# use the same tool, the exponentially weighted moving average (EWMA), which stores a single
# number per quantity and nudges it towards every new value. This notebook takes that tool
# apart: which past values it averages and with what weights, how far back it remembers, why it
# starts out too small when it is initialised at zero, and how dividing by $1-\beta^t$ repairs the
# start exactly. It ends by reading momentum and Adam as EWMAs of gradients.
#
# **Learning objectives**
# - Write the EWMA update $v_t = \beta v_{t-1} + (1-\beta)x_t$ and unroll it into the weights
#   $(1-\beta)\beta^{t-k}$, which sum to $1-\beta^t$.
# - Explain the effective window $1/(1-\beta)$ and the trade-off between noise and lag when choosing $\beta$.
# - Explain why starting from $v_0 = 0$ makes early averages too small, and correct it with $v_t/(1-\beta^t)$.
# - Recognise momentum and Adam's $m_t$, $v_t$ as EWMAs, and work out Adam's first bias-corrected step.
#
# **Prerequisites:** 00 · Gradient descent.
#
# **Time to complete:** about 50 minutes

# %%
import math

import torch

from course_utils import (
    PALETTE,
    check_bias_steps,
    check_ewma,
    check_ewma_weights,
    effective_window,
    ewma,
    ewma_weights,
    new_figure,
    setup_notebook,
)

DEVICE = setup_notebook(seed=0)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. The update rule
#
# **Intuition.** You are watching a noisy number: the loss of each minibatch, or one coordinate of
# a stochastic gradient. You want an estimate of its *current* level, without storing its whole
# history. An EWMA keeps one number, $v$, and at every step moves it a fraction $1-\beta$ of the way
# towards the newest value.
#
# **The math.** For a series $x_1, x_2, \dots$ and a decay rate $\beta \in [0, 1)$:
#
# $$v_0 = 0, \qquad v_t = \beta\, v_{t-1} + (1-\beta)\, x_t \quad (t = 1, 2, \dots),$$
#
# or, written as a correction, $v_t = v_{t-1} + (1-\beta)\,(x_t - v_{t-1})$.
# With $\beta = 0$ the average is just the newest value (no memory); as $\beta$ approaches 1 it
# remembers more of the past and reacts more slowly. Time $t$ counts from 1, as everywhere in the course.
# (Here $v_t$ is the average of any series; from section 7 on, $v_t$ will mean Adam's average of $g_t^2$.)
#
# **The code.** One step of the rule, and a loop that applies it to a whole series:

# %%
def ewma_step(v_prev, x_t, beta):
    """One EWMA update: keep a fraction beta of the old average, add (1 - beta) of the new value."""
    return beta * v_prev + (1 - beta) * x_t


def ewma_loop(x, beta):
    """v_1, ..., v_T for the series x_1, ..., x_T, starting from v_0 = 0 (no bias correction)."""
    v = torch.zeros_like(x[0])
    averages = []
    for x_t in x:
        v = ewma_step(v, x_t, beta)
        averages.append(v)
    return torch.stack(averages)


# %% [markdown]
# Our test series is a slow sine wave around the level 2, plus Gaussian noise with standard
# deviation 0.5 (seeded by `setup_notebook`, so every run draws the same noise). We check that the
# loop above gives the same averages as `course_utils.ewma`, which the rest of the course uses.

# %%
T = 300
t = torch.arange(1, T + 1, dtype=torch.float64)  # t = 1, ..., T
signal = 2.0 + torch.sin(2 * math.pi * t / 150)  # the slowly varying "true" level
x = signal + 0.5 * torch.randn(T, dtype=torch.float64)  # what we observe

betas = (0.5, 0.9, 0.98)
for beta in betas:
    gap = float((ewma_loop(x, beta) - ewma(x, beta)).abs().max())
    print(f"beta = {beta}: max |ewma_loop - course_utils.ewma| below 1e-12: {gap < 1e-12}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. Smoothing a noisy series: the choice of $\beta$
#
# The figure shows the raw EWMA of the series for three values of $\beta$. Look at how smooth each
# curve is, how far it trails behind the true signal, and what happens in the first steps.

# %% slideshow={"slide_type": "subslide"}
fig, ax = new_figure(figsize=(9.0, 4.4))
ax.plot(t, x, ".", color="0.6", markersize=3, label="observed $x_t$ (signal + noise)")
ax.plot(t, signal, "--", color="black", linewidth=1.4, label="true signal")
for i, beta in enumerate(betas):
    ax.plot(t, ewma(x, beta), color=PALETTE[i], label=rf"EWMA $v_t$, $\beta$ = {beta}")
ax.set_xlabel("step $t$")
ax.set_ylabel("value")
ax.set_ylim(-0.4, 5.6)
ax.set_title(r"EWMA of a noisy sine for three values of $\beta$ (no bias correction)")
ax.legend(loc="upper center", ncol=3)
fig

# %% [markdown] slideshow={"slide_type": "subslide"}
# Two numbers describe the trade-off.
#
# * **Noise.** If the $x_t$ are independent with standard deviation $\sigma$, the unrolled average of
#   section 3 gives $\operatorname{Var}(v_t) \to \sigma^2 (1-\beta)^2 \sum_{j\ge 0} \beta^{2j} = \sigma^2\,\frac{1-\beta}{1+\beta}$,
#   so the noise shrinks by the factor $\sqrt{(1-\beta)/(1+\beta)}$.
# * **Lag.** On a steadily rising input $x_t = t$, the average settles at $v_t = t - \frac{\beta}{1-\beta}$
#   (up to a term that dies out like $\beta^t$): it runs $\beta/(1-\beta)$ steps behind.
#
# We measure both: the standard deviation of the EWMA of 5000 draws of unit noise (skipping the first
# 500 steps), and the lag $t - v_t$ at $t = 2000$ on the ramp.

# %%
unit_noise = torch.randn(5000, dtype=torch.float64)
ramp = torch.arange(1, 2001, dtype=torch.float64)
print("beta | noise std: measured  theory | lag on a ramp: measured  beta/(1-beta)")
for beta in betas:
    measured_std = float(ewma(unit_noise, beta)[500:].std())
    theory_std = math.sqrt((1 - beta) / (1 + beta))
    lag = float(ramp[-1] - ewma(ramp, beta)[-1])
    print(f"{beta:4} |          {measured_std:.3f}   {theory_std:.3f}  |"
          f"              {lag:6.2f}  {beta / (1 - beta):6.2f}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice**
# * Larger $\beta$ means a smoother average: with $\beta = 0.98$ the noise is cut to about a tenth
#   (0.089 measured, 0.101 predicted), against a bit more than half with $\beta = 0.5$ (0.573 and 0.577).
#   The measured values scatter around the theory because they come from a finite sample.
# * The price is lag: with $\beta = 0.98$ the average trails the input by 49 steps, a third of the
#   sine's period of 150 steps, which is why its curve is shifted to the right and flattened.
# * Every curve starts near 0, far below the signal's level of about 2, and the one with $\beta = 0.98$
#   needs on the order of 100 steps to catch up. That is the start-up bias of section 5.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Unrolling the recursion: the weights
#
# Substitute the rule into itself until you reach $v_0$:
#
# $$v_t = (1-\beta)\,x_t + \beta(1-\beta)\,x_{t-1} + \dots + \beta^{t-1}(1-\beta)\,x_1 + \beta^t v_0
#       = \sum_{k=1}^{t} w_k\, x_k \quad (v_0 = 0), \qquad w_k = (1-\beta)\,\beta^{\,t-k}.$$
#
# The newest value $x_t$ gets the largest weight, $1-\beta$, and each step back in time multiplies the
# weight by $\beta$: the weights decay *exponentially* with the age $t-k$, hence the name.
# They add up to a geometric series:
#
# $$\sum_{k=1}^{t} w_k = (1-\beta)\sum_{j=0}^{t-1}\beta^{j} = (1-\beta)\,\frac{1-\beta^{t}}{1-\beta} = 1-\beta^{t}.$$
#
# So $v_t$ is *not* a weighted average in the usual sense: its weights sum to less than 1. The
# missing weight $\beta^t$ is the weight that the recursion puts on the made-up start value $v_0 = 0$.
# We check both facts numerically with `course_utils.ewma_weights(t, beta)`, which returns $w_1, \dots, w_t$.

# %%
print("   t   beta | sum of weights   1 - beta^t")
max_gap = 0.0
for beta in betas:
    for n in (1, 5, 20, 100):
        total = float(ewma_weights(n, beta).sum())
        max_gap = max(max_gap, abs(total - (1 - beta**n)))
        print(f"{n:4d}  {beta:5} |     {total:.6f}     {1 - beta**n:.6f}")
print(f"max |sum of weights - (1 - beta^t)| over the table below 1e-12: {max_gap < 1e-12}")

unrolled = float((ewma_weights(T, 0.9) * x).sum())
recursive = float(ewma(x, 0.9)[-1])
print(f"beta = 0.9, t = {T}: weighted sum {unrolled:.6f}, recursion {recursive:.6f}, "
      f"equal to 1e-12: {abs(unrolled - recursive) < 1e-12}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# The weights of $v_{100}$ plotted against the age of each value, $t-k$ (how many steps ago it was
# seen). The right panel has a logarithmic vertical axis, on which exponential decay is a straight
# line. The dotted vertical lines mark the age $1/(1-\beta)$, the subject of the next section.

# %% slideshow={"slide_type": "subslide"}
t_w = 100
fig, (ax_lin, ax_log) = new_figure(1, 2, figsize=(11.0, 4.2))
for i, beta in enumerate(betas):
    age = torch.arange(t_w - 1, -1, -1)  # t - k for k = 1, ..., t
    w = ewma_weights(t_w, beta)
    for ax in (ax_lin, ax_log):
        ax.plot(age, w, "o-", color=PALETTE[i], markersize=2.5, label=rf"$\beta$ = {beta}")
        ax.axvline(effective_window(beta), color=PALETTE[i], linestyle=":", linewidth=1.2)
for ax in (ax_lin, ax_log):
    ax.set_xlabel("age of the value $t-k$ (steps ago)")
    ax.set_ylabel(r"weight $w_k = (1-\beta)\,\beta^{t-k}$")
    ax.legend(loc="upper right")
ax_log.set_yscale("log")
ax_log.set_ylim(1e-6, 1.0)
ax_lin.set_title(r"Weights of $v_{100}$ (dotted: age $1/(1-\beta)$)")
ax_log.set_title("The same weights, log scale: straight lines")
fig

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. The effective window $1/(1-\beta)$
#
# How many past values does an EWMA "really" average? The weight of a value $N$ steps old, relative
# to the newest one, is $\beta^N$. Take $N = 1/(1-\beta)$:
#
# $$\beta^{1/(1-\beta)} = \left(1 - \tfrac{1}{N}\right)^{N} \;\longrightarrow\; e^{-1} \approx 0.368 \quad (\beta \to 1),$$
#
# because $\ln \beta \approx -(1-\beta)$ for $\beta$ close to 1. So values older than $1/(1-\beta)$
# steps carry at most about $1/e$ of the newest value's weight, and the newest $N$ values together
# carry $1-\beta^N \approx 1 - 1/e \approx 63\%$ of the total weight. That is why $1/(1-\beta)$ is
# called the **effective window**: $\beta = 0.9$ averages over roughly the last 10 values,
# $\beta = 0.98$ over roughly the last 50.
#
# Below: the decay $\beta^N$ across one window, the fraction of the weight in the newest $N$ values
# (computed from the weights of $v_t$ at $t = 20N$, normalised to sum to 1), and the lag $\beta/(1-\beta)$ of section 2.

# %%
print(f"1/e = {math.exp(-1):.4f}, 1 - 1/e = {1 - math.exp(-1):.4f}")
print(" beta   window N | beta^N | weight share of the newest N values | lag beta/(1-beta)")
for beta in (0.5, 0.9, 0.98, 0.999):
    N = round(effective_window(beta))
    w = ewma_weights(20 * N, beta)
    share = float(w[-N:].sum() / w.sum())
    print(f"{beta:5}  {N:8d} | {beta**N:.4f} |                              {share:.4f} |"
          f"   {beta / (1 - beta):7.1f}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice**
# * $\beta^N$ approaches $1/e = 0.368$ from below (0.25, 0.349, 0.364, 0.368), and the share of the
#   newest $N$ values approaches $1-1/e = 0.632$ from above. The rule of thumb is rough for
#   $\beta = 0.5$ and accurate from $\beta = 0.9$ on.
# * The window is soft, not a hard cut-off: about 37% of the weight still sits on values older than $N$.
# * The lag is the window minus one step: the price of averaging over $N$ values is reacting about $N$ steps late.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. The start-up bias, and its correction
#
# **Intuition.** The value $v_0 = 0$ is made up. At $t = 1$ the average is $v_1 = (1-\beta)x_1$, just
# 10% of the first observation when $\beta = 0.9$. Until the fake zero has been forgotten, the average
# is pulled towards 0.
#
# **The math.** If every $x_k$ has the same mean $\mu$ (for instance a constant series $x_k = c$), the
# weights of section 3 give
#
# $$\mathbb{E}[v_t] = \sum_{k=1}^t w_k\,\mu = (1-\beta^t)\,\mu :$$
#
# the average is too small by the factor $1-\beta^t$. The fix is to divide by the sum of the weights,
#
# $$\hat v_t = \frac{v_t}{1-\beta^t} = \frac{\sum_{k} w_k x_k}{\sum_{k} w_k},$$
#
# which makes $\hat v_t$ a proper weighted average (weights summing to 1) of the values seen so far.
# In particular $\hat v_1 = x_1$. We call $\beta^t$ the **bias factor**: it is the share of the weight
# still sitting on $v_0 = 0$, and $v_t = (1-\beta^t)\,\hat v_t$.
#
# The figure zooms into the first 60 steps of our noisy sine, for $\beta = 0.9$ and $\beta = 0.98$.

# %% slideshow={"slide_type": "subslide"}
first = 60
fig, axes = new_figure(1, 2, figsize=(11.0, 4.2), sharey=True)
for ax, beta in zip(axes, (0.9, 0.98), strict=True):
    ax.plot(t[:first], x[:first], ".", color="0.6", markersize=4, label="observed $x_t$")
    ax.plot(t[:first], signal[:first], "--", color="black", linewidth=1.4, label="true signal")
    ax.plot(t[:first], ewma(x, beta)[:first], color=PALETTE[1], label=r"raw $v_t$")
    ax.plot(t[:first], ewma(x, beta, bias_correction=True)[:first], color=PALETTE[0],
            label=r"corrected $\hat v_t = v_t/(1-\beta^t)$")
    ax.set_title(rf"First {first} steps, $\beta$ = {beta}")
    ax.set_xlabel("step $t$")
    ax.legend(loc="lower right")
axes[0].set_ylabel("value")
fig

# %% [markdown]
# How far from the true signal are the two averages over the first 20 steps?

# %%
for beta in (0.9, 0.98):
    raw_err = float((ewma(x, beta)[:20] - signal[:20]).abs().mean())
    corr_err = float((ewma(x, beta, bias_correction=True)[:20] - signal[:20]).abs().mean())
    print(f"beta = {beta}: mean |average - signal| over t = 1..20: raw {raw_err:.3f}, corrected {corr_err:.3f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# For a constant series the correction is *exact*: $v_t = c\,(1-\beta^t)$, so $\hat v_t = c$ from the
# very first step, up to floating-point rounding, while the raw average is off by $c\,\beta^t$.

# %%
c = 3.0
constant = torch.full((200,), c, dtype=torch.float64)
for beta in (0.9, 0.98, 0.999):
    raw = ewma(constant, beta)
    corrected = ewma(constant, beta, bias_correction=True)
    max_err = float((corrected - c).abs().max())
    raw_errs = ", ".join(f"t={s}: {c - float(raw[s - 1]):.4f}" for s in (1, 5, 20))
    print(f"beta = {beta}: max |corrected - c| over t = 1..200 below 1e-12: {max_err < 1e-12}; "
          f"raw error c - v_t at {raw_errs}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice**
# * The raw averages crawl up from 0; the corrected ones start on the data. Over the first 20 steps
#   the correction cuts the mean error from 1.10 to 0.40 ($\beta = 0.9$) and from 2.02 to 0.48 ($\beta = 0.98$).
# * On a constant series the corrected EWMA is exact from $t = 1$, whereas the raw one is off by
#   $c\,\beta^t$: 2.7 of 3 at $t = 1$ for $\beta = 0.9$, and still 2.0 at $t = 20$ for $\beta = 0.98$.
# * Correction removes the *bias*, not the noise: $\hat v_1 = x_1$ is a single noisy observation (here
#   one that happens to fall well below the signal), so the corrected curve is jumpy while it averages
#   only a few values. It also still lags a rising signal, as any average of past values does.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. What goes to 1: the correction factor, not the average
#
# Write the corrected average as the raw one times a **correction factor**:
#
# $$\hat v_t = \frac{1}{1-\beta^t}\, v_t, \qquad \frac{\hat v_t - v_t}{\hat v_t} = \beta^t .$$
#
# Since $\beta^t \to 0$, the factor $1/(1-\beta^t)$ tends to 1 and the relative gap between the two
# averages vanishes: late in a run, bias correction changes nothing. The averages themselves go to
# whatever level the data has (3 for the constant series, about 2 for the sine), not to 1.
# Measured in windows, $t = kN$ with $N = 1/(1-\beta)$ gives $\beta^{t} \approx e^{-k}$, so the factor is
# about $1/(1-e^{-k})$ whatever $\beta$ is: the correction matters for the first few windows only.

# %%
print("            factor 1/(1 - beta^t) at t = k windows")
print(" beta     k=1     k=2     k=3     k=5")
for beta in (0.9, 0.98, 0.999):
    N = round(effective_window(beta))
    print(f"{beta:5}  " + "  ".join(f"{1 / (1 - beta ** (k * N)):.4f}" for k in (1, 2, 3, 5)))
print("e^-k   " + "  ".join(f"{1 / (1 - math.exp(-k)):.4f}" for k in (1, 2, 3, 5)))

raw, corrected = ewma(x, 0.9), ewma(x, 0.9, bias_correction=True)
print("\nnoisy sine, beta = 0.9: |corrected - raw| at "
      + ", ".join(f"t={s}: {float(corrected[s - 1] - raw[s - 1]):.4f}" for s in (1, 10, 30, 50, 100)))

# %% slideshow={"slide_type": "subslide"}
fig, (ax_steps, ax_windows) = new_figure(1, 2, figsize=(11.0, 4.2))
for i, beta in enumerate((0.9, 0.98, 0.999)):
    N = round(effective_window(beta))
    steps = torch.arange(1, 10_001, dtype=torch.float64)
    factor = 1 / (1 - beta**steps)
    label = rf"$\beta$ = {beta} ($N$ = {N})"
    ax_steps.plot(steps, factor, color=PALETTE[i], label=label)
    ax_windows.plot(steps[: 6 * N] / N, factor[: 6 * N], color=PALETTE[i], label=label)
k = torch.linspace(0.05, 6, 200, dtype=torch.float64)
ax_windows.plot(k, 1 / (1 - torch.exp(-k)), "--", color="black", linewidth=1.2,
                label=r"$1/(1-e^{-t/N})$")
for ax in (ax_steps, ax_windows):
    ax.axhline(1.0, color="0.4", linestyle=":", linewidth=1.2)
    ax.set_ylabel(r"correction factor $1/(1-\beta^t)$")
    ax.legend(loc="upper right")
ax_steps.set_xscale("log")
ax_steps.set_yscale("log")
ax_steps.set_xlabel("step $t$ (log scale)")
ax_steps.set_title(r"Per step: the larger $\beta$, the later the factor reaches 1")
ax_windows.set_ylim(0.9, 3.0)
ax_windows.set_xlabel(r"time in windows $t/N$, with $N = 1/(1-\beta)$")
ax_windows.set_title("Per window: the curves almost coincide")
fig

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice**
# * Measured in windows, the three curves nearly coincide with $1/(1-e^{-t/N})$: after 3 windows the
#   factor is 1.04 to 1.05, after 5 windows 1.005 to 1.007, for every $\beta$ in the table.
# * On the noisy sine with $\beta = 0.9$ the gap between corrected and raw averages falls from 0.80 at
#   $t = 1$ to 0.01 at $t = 50$ and to 0.0000 (to four decimals) at $t = 100$: the two curves merge.
# * Per step, a larger $\beta$ needs proportionally longer: the three curves of the left panel are the same
#   curve shifted by the window length.
# * A large $\beta$ means a long window, so a long stretch of steps during which the correction
#   matters: with $\beta = 0.999$ that is thousands of steps, which is why Adam needs it (section 7).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. From averages to optimizers: momentum and Adam
#
# **Momentum is an EWMA of gradients.** Written in its averaging form, momentum with coefficient
# $\mu$ keeps
#
# $$\tilde g_t = \mu\,\tilde g_{t-1} + (1-\mu)\,g_t, \qquad \theta_t = \theta_{t-1} - \eta\,\tilde g_t ,$$
#
# so each step moves along the average of roughly the last $1/(1-\mu)$ gradients (10 for $\mu = 0.9$),
# and independent noise in the gradients is damped by $\sqrt{(1-\mu)/(1+\mu)}$, 0.229 for $\mu = 0.9$
# (section 2).
#
# PyTorch's `torch.optim.SGD` has no bias correction; it avoids the start-up bias another way, by
# setting its buffer to the first gradient, $\tilde g_1 = g_1$. That is what the recursion gives at $t = 1$
# if it starts from $\tilde g_0 = g_1$ instead of 0 ($\mu g_1 + (1-\mu) g_1 = g_1$), and starting from $g_1$
# adds the term $\mu^t g_1$ to every later average. So with `dampening=mu`, which makes PyTorch use the
# averaging form above, its buffer should equal $\mathrm{EWMA}_t + \mu^t g_1$, where $\mathrm{EWMA}_t$ is
# our average started at 0. We feed it a fixed sequence of random "gradients" and check.
# (PyTorch's default, `dampening=0`, scales the buffer differently; notebook 02 works that out.)

# %%
# g_1, ..., g_30 for a parameter with 3 coordinates whose gradients have very different scales
grads = torch.randn(30, 3, dtype=torch.float64) * torch.tensor([1.0, -10.0, 0.01], dtype=torch.float64)
steps = torch.arange(1, 31, dtype=torch.float64)[:, None]
mu = 0.9

theta = torch.zeros(3, dtype=torch.float64, requires_grad=True)
sgd = torch.optim.SGD([theta], lr=0.01, momentum=mu, dampening=mu)
buffers = []
for g in grads:
    theta.grad = g.clone()
    sgd.step()
    buffers.append(sgd.state[theta]["momentum_buffer"].clone())
buffers = torch.stack(buffers)

from_first = float((buffers - (ewma(grads, mu) + mu**steps * grads[0])).abs().max())
from_zero = float((buffers - ewma(grads, mu)).abs().max())
print(f"SGD buffer vs EWMA started at g_1, max |difference| below 1e-12: {from_first < 1e-12}")
print(f"SGD buffer vs EWMA started at 0,   max |difference|: {from_zero:.4f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Adam keeps two EWMAs and corrects both** (Kingma & Ba, 2015, Algorithm 1), with
# $\beta_1 = 0.9$ and $\beta_2 = 0.999$ by default:
#
# $$m_t = \beta_1 m_{t-1} + (1-\beta_1)\,g_t,\qquad v_t = \beta_2 v_{t-1} + (1-\beta_2)\,g_t^2,\qquad m_0 = v_0 = 0,$$
#
# $$\hat m_t = \frac{m_t}{1-\beta_1^t},\qquad \hat v_t = \frac{v_t}{1-\beta_2^t},\qquad
# \theta_t = \theta_{t-1} - \eta\,\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}.$$
#
# At $t = 1$ the corrections give $\hat m_1 = g_1$ and $\hat v_1 = g_1^2$, so the first step is
# $-\eta\, g_1/(|g_1| + \epsilon) \approx -\eta\,\operatorname{sign}(g_1)$: size $\eta$ in every coordinate,
# whatever the scale of its gradient.
# Without them it would be $\eta\,(1-\beta_1)/\sqrt{1-\beta_2} \approx 3.16\,\eta$, because the two
# biases do not cancel. We run `torch.optim.Adam` on the same gradient sequence and compare its
# state with `course_utils.ewma`; its three coordinates have gradients of typical size 1, 10 and 0.01.

# %%
lr, beta1, beta2 = 0.01, 0.9, 0.999
theta = torch.zeros(3, dtype=torch.float64, requires_grad=True)
adam = torch.optim.Adam([theta], lr=lr, betas=(beta1, beta2))
first_moments, second_moments, thetas = [], [], [theta.detach().clone()]
for g in grads:
    theta.grad = g.clone()
    adam.step()
    first_moments.append(adam.state[theta]["exp_avg"].clone())
    second_moments.append(adam.state[theta]["exp_avg_sq"].clone())
    thetas.append(theta.detach().clone())

m_gap = float((torch.stack(first_moments) - ewma(grads, beta1)).abs().max())
v_gap = float((torch.stack(second_moments) - ewma(grads**2, beta2)).abs().max())
print(f"Adam's exp_avg    == EWMA of g   (beta1 = {beta1}),  to 1e-12: {m_gap < 1e-12}")
print(f"Adam's exp_avg_sq == EWMA of g^2 (beta2 = {beta2}), to 1e-12: {v_gap < 1e-12}")

m_hat_1 = ewma(grads, beta1, bias_correction=True)[0]
print(f"m_hat_1 == g_1 to 1e-12: {float((m_hat_1 - grads[0]).abs().max()) < 1e-12}")
print("g_1                                :", [f"{float(v):+.4f}" for v in grads[0]])
print("first step (theta_1 - theta_0) / lr:", [f"{float(v):+.4f}" for v in (thetas[1] - thetas[0]) / lr])
print(f"first step / lr without bias correction: (1 - beta1) / sqrt(1 - beta2) = "
      f"{(1 - beta1) / math.sqrt(1 - beta2):.4f}")

# %% [markdown]
# The two corrections fade at very different speeds: $\beta_1 = 0.9$ has a window of 10 steps,
# $\beta_2 = 0.999$ a window of 1000.

# %%
print("     t | 1/(1 - beta1^t)  1/(1 - beta2^t)")
for s in (1, 10, 100, 1000, 10000):
    print(f"{s:6d} | {1 / (1 - beta1**s):15.4f}  {1 / (1 - beta2**s):15.4f}")

# %% [markdown] slideshow={"slide_type": "notes"}
# **Derivation: Adam's first three averages, exactly.** With $m_0 = 0$:
#
# $$\begin{aligned}
# m_1 &= (1-\beta_1)\,g_1,\\
# m_2 &= \beta_1 m_1 + (1-\beta_1)\,g_2 = (1-\beta_1)\,(\beta_1 g_1 + g_2),\\
# m_3 &= \beta_1 m_2 + (1-\beta_1)\,g_3 = (1-\beta_1)\,(\beta_1^2 g_1 + \beta_1 g_2 + g_3).
# \end{aligned}$$
#
# The weights inside the brackets sum to $1 + \beta_1 + \beta_1^2$, and
# $(1-\beta_1)(1+\beta_1+\beta_1^2) = 1-\beta_1^3$ (a telescoping product). Dividing by $1-\beta_1^3$ gives
#
# $$\hat m_3 = \frac{m_3}{1-\beta_1^3} = \frac{\beta_1^2 g_1 + \beta_1 g_2 + g_3}{\beta_1^2 + \beta_1 + 1},$$
#
# a weighted average of $g_1, g_2, g_3$ whose weights sum to 1, favouring the newest gradient.
# In general $m_t = (1-\beta_1)\sum_{k=1}^t \beta_1^{t-k} g_k$, and if the $g_k$ share the same mean,
# $\mathbb{E}[m_t] = (1-\beta_1^t)\,\mathbb{E}[g]$; the same holds for $v_t$ with $\beta_2$ and $g^2$. That is
# the argument of Kingma & Ba (2015), section 3, for dividing by $1-\beta^t$. For $t = 1$ the
# formula gives $\hat m_1 = g_1$. The next cell checks the $t = 3$ formula on our gradient sequence.

# %% slideshow={"slide_type": "notes"}
g1, g2, g3 = grads[0], grads[1], grads[2]
m_hat_3_formula = (beta1**2 * g1 + beta1 * g2 + g3) / (beta1**2 + beta1 + 1)
m_hat_3 = ewma(grads, beta1, bias_correction=True)[2]
print(f"m_hat_3 from the formula == bias-corrected EWMA, to 1e-12: "
      f"{float((m_hat_3_formula - m_hat_3).abs().max()) < 1e-12}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice**
# * PyTorch's Adam state *is* the pair of raw EWMAs `exp_avg` $= m_t$ and `exp_avg_sq` $= v_t$; the
#   bias correction is applied when the step is computed, not stored.
# * The first Adam step has size $\eta$ in every coordinate (the printed ratios are $\pm 1$, with the sign
#   opposite to $g_1$'s); without correction it would be about 3.16 times larger.
# * The second-moment correction is still a factor 1.58 after 1000 steps, whereas the first-moment
#   correction is 1.0000 (to four decimals) by step 100: for $\beta_2 = 0.999$ the start-up bias is not a detail.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# ### Exercise 1: write the EWMA, with optional bias correction
#
# Write `my_ewma(x, beta, bias_correction=False)`. It receives a 1-D tensor `x` holding
# $x_1, \dots, x_T$ and returns a tensor of the same shape whose entry $t$ (counting from 1) is $v_t$,
# or $\hat v_t = v_t/(1-\beta^t)$ when `bias_correction` is true. Start from $v_0 = 0$. You may reuse
# `ewma_step` from section 1.

# %% tags=["solution"]
def my_ewma(x, beta, bias_correction=False):
    v = torch.zeros_like(x[0])
    out = torch.empty_like(x)
    for step in range(1, len(x) + 1):
        v = ewma_step(v, x[step - 1], beta)
        out[step - 1] = v / (1 - beta**step) if bias_correction else v
    return out


# %%
check_ewma(my_ewma)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 2: the weights
#
# Write `my_ewma_weights(t, beta)`, returning a 1-D tensor of the $t$ weights $w_1, \dots, w_t$ with
# which $v_t$ averages $x_1, \dots, x_t$ (oldest value first). Do not normalise them: they should sum to $1-\beta^t$.

# %% tags=["solution"]
def my_ewma_weights(t, beta):
    k = torch.arange(1, t + 1, dtype=torch.float64)
    return (1 - beta) * beta ** (t - k)


# %%
check_ewma_weights(my_ewma_weights)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 3: spot the mistake, then predict
#
# A set of blog notes on this topic says, right after introducing $v_t/(1-\beta^t)$:
#
# > "As $t \to \infty$, the bias-corrected average goes to 1, so it grows closer and closer to the uncorrected one."
#
# Treat this as a claim to examine, not a fact.
#
# 1. What would the bias-corrected average of the constant series $x_t = 3$ go to? Which quantity in
#    the correction really tends to 1? (Sections 5 and 6 have the numbers.)
# 2. The corrected and raw averages differ by the relative amount $\beta^t$, the bias factor. For
#    $\beta = 0.9$, what is the first step $t$ at which $\beta^t$ drops below 1%? Set `answer` to that integer.
#    Predict it first from the window picture ($\beta^{kN} \approx e^{-k}$), then compute it exactly.

# %% tags=["solution"]
answer = 44

# %%
check_bias_steps(answer, 0.9, 0.01)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# * An EWMA keeps one number per quantity: $v_t = \beta v_{t-1} + (1-\beta)x_t$. Unrolled, it weights
#   $x_k$ by $(1-\beta)\beta^{t-k}$, and these weights sum to $1-\beta^t$, not to 1.
# * Its effective window is $1/(1-\beta)$: the newest $1/(1-\beta)$ values carry about 63% of the
#   weight, older values are down-weighted by $1/e$ or more, and the average lags by $\beta/(1-\beta)$ steps.
#   A larger $\beta$ trades more lag for less noise.
# * Starting from $v_0 = 0$ puts the missing weight $\beta^t$ on a fake zero, so early averages are too
#   small by the factor $1-\beta^t$. Dividing by $1-\beta^t$ removes this bias; for a constant series the
#   corrected average is exact from $t = 1$.
# * It is the correction factor $1/(1-\beta^t)$ that tends to 1, not the average: after a few windows
#   the corrected and raw averages coincide.
# * Momentum is an EWMA of gradients; Adam keeps EWMAs of $g$ and $g^2$ and corrects both, so its first
#   step has size $\eta$ per coordinate, and its $\beta_2 = 0.999$ correction matters for thousands of steps.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## References
#
# * Diederik P. Kingma and Jimmy Ba, *Adam: A Method for Stochastic Optimization*, ICLR 2015,
#   Algorithm 1 and section 3 (initialization bias correction).
# * Ian Goodfellow, Yoshua Bengio and Aaron Courville, *Deep Learning*, MIT Press, 2016,
#   section 8.3.2 (momentum) and section 8.5.3 (Adam).
# * Andrew Ng, *Improving Deep Neural Networks: Hyperparameter Tuning, Regularization and Optimization*,
#   deeplearning.ai (Coursera), 2017, week 2: exponentially weighted averages and bias correction.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What's next
#
# **02 · Momentum** puts the EWMA of gradients to work: the heavy-ball method on an ill-conditioned
# quadratic, PyTorch's parameterization of momentum (and why it equals the averaging form with a
# rescaled learning rate), and Nesterov's look-ahead variant.
