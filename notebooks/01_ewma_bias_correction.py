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
# Momentum averages the gradients, RMSProp their squares, Adam both: all with the exponentially
# weighted moving average (EWMA), which stores one number per quantity and nudges it towards every
# new value. We take it apart: which past values it averages and with what weights, how far back
# it remembers, why it starts too small from zero, and how dividing by $1-\beta^t$ repairs the
# start exactly; then we read momentum and Adam as EWMAs of gradients.
#
# **Learning objectives**
# - Write the EWMA update $a_t = \beta a_{t-1} + (1-\beta)x_t$ and unroll it into the weights
#   $(1-\beta)\beta^{t-k}$, which sum to $1-\beta^t$.
# - Explain the effective window $1/(1-\beta)$ and the trade-off between noise and lag when choosing $\beta$.
# - Explain why starting from $a_0 = 0$ makes early averages too small, and correct it with $a_t/(1-\beta^t)$.
# - Recognise momentum's buffer and Adam's $m_t$, $v_t$ as EWMAs, and work out Adam's first step.
#
# **Prerequisites:** 00 · Gradient descent.
#
# **Time to complete:** about 50 minutes

# %% slideshow={"slide_type": "skip"}
import math

import torch

from course_utils import (
    PALETTE,
    check_ewma,
    check_ewma_weights,
    effective_window,
    ewma,
    ewma_weights,
    new_figure,
    setup_notebook,
)
from course_utils.checks import check_bias_fading

DEVICE = setup_notebook(seed=0)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. The update rule
#
# Keep one number $a$ and, at every step, move it a fraction $1-\beta$ of the way towards the
# newest value. For a series $x_1, x_2, \dots$ and a decay rate $\beta \in [0, 1)$:
#
# $$a_0 = 0, \qquad a_t = \beta\, a_{t-1} + (1-\beta)\, x_t = a_{t-1} + (1-\beta)\,(x_t - a_{t-1}) \quad (t = 1, 2, \dots)$$
#
# - $\beta = 0$: the average is the newest value (no memory);
# - $\beta \to 1$: it remembers more of the past and reacts more slowly.

# %% [markdown] slideshow={"slide_type": "skip"}
# **Intuition.** You are watching a noisy number: the loss of each minibatch, or one coordinate of
# a stochastic gradient. You want an estimate of its *current* level without storing its whole
# history. The EWMA stores one number per quantity. The course writes $a_t$ for the average of any
# series, and keeps $m_t$ and $v_t$ for the averages of the gradients and of their squares
# (section 7). Time $t$ counts from 1, as everywhere in the course.
#
# **The code.** One step of the rule, and a loop that applies it to a whole series:

# %% slideshow={"slide_type": "subslide"}
def ewma_step(a_prev, x_t, beta):
    """One EWMA update: keep a fraction beta of the old average, add (1 - beta) of the new value."""
    return beta * a_prev + (1 - beta) * x_t


def ewma_loop(x, beta):
    """a_1, ..., a_T for the series x_1, ..., x_T, starting from a_0 = 0 (no bias correction)."""
    a = torch.zeros_like(x[0])
    averages = []
    for x_t in x:
        a = ewma_step(a, x_t, beta)
        averages.append(a)
    return torch.stack(averages)


# %% [markdown] slideshow={"slide_type": "subslide"}
# ### A test series: a slow sine around 2, plus noise
#
# Gaussian noise with standard deviation $\sigma = 0.5$ (seeded by `setup_notebook`). The loop
# above gives the same averages as `course_utils.ewma`, which the rest of the course uses:

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
# The raw EWMA of the series for three values of $\beta$: look at how smooth each curve is, how
# far it trails behind the true signal, and what happens in the first steps.

# %% slideshow={"slide_type": "subslide"}
fig, ax = new_figure(figsize=(9.0, 4.2))
ax.plot(t, x, ".", color="0.6", markersize=3, label="observed $x_t$ (signal + noise)")
ax.plot(t, signal, "--", color="black", linewidth=1.4, label="true signal")
for i, beta in enumerate(betas):
    ax.plot(t, ewma(x, beta), color=PALETTE[i], label=rf"EWMA $a_t$, $\beta$ = {beta}")
ax.set_xlabel("step $t$")
ax.set_ylabel("value")
ax.set_ylim(-0.4, 5.6)
ax.set_title(r"EWMA of a noisy sine for three values of $\beta$ (no bias correction)")
ax.legend(loc="upper center", ncol=3)
fig

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Noise against lag
#
# - **Noise.** For independent $x_t$ with standard deviation $\sigma$, $\operatorname{Var}(a_t) \to
#   \sigma^2 (1-\beta)^2 \sum_{j\ge 0} \beta^{2j} = \sigma^2\,\frac{1-\beta}{1+\beta}$.
# - **Lag.** On a ramp $x_t = t$ the average settles at $a_t = t - \frac{\beta}{1-\beta}$ (up to a
#   term that dies out like $\beta^t$): it runs $\beta/(1-\beta)$ steps behind.
#
# Measured: the standard deviation of the EWMA of 5000 draws of unit noise (after the first 500
# steps), and the lag $t - a_t$ at $t = 2000$ on the ramp.

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

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice**
# - Larger $\beta$, smoother average: with $\beta = 0.98$ the noise is cut to about a tenth (0.089
#   measured, 0.101 predicted), with $\beta = 0.5$ to a bit more than half (0.573 and 0.577). The
#   measured values scatter around the theory: they come from a finite sample.
# - The price is lag: with $\beta = 0.98$ the average trails by 49 steps, a third of the sine's
#   period of 150 steps, which is why its curve is shifted to the right and flattened.
# - Every curve starts near 0, far below the signal's level of about 2: the start-up bias of section 5.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Unrolling the recursion: the weights
#
# Substitute the rule into itself down to $a_0 = 0$:
#
# $$a_t = (1-\beta)\,x_t + \beta(1-\beta)\,x_{t-1} + \dots + \beta^{t-1}(1-\beta)\,x_1
#       = \sum_{k=1}^{t} \alpha_k\, x_k, \qquad \alpha_k = (1-\beta)\,\beta^{\,t-k},$$
#
# $$\sum_{k=1}^{t} \alpha_k = (1-\beta)\sum_{j=0}^{t-1}\beta^{j} = 1-\beta^{t} .$$
#
# The weights decay *exponentially* with the age $t-k$, and they sum to less than 1: the missing
# weight $\beta^t$ sits on the made-up start $a_0 = 0$.

# %% [markdown] slideshow={"slide_type": "skip"}
# The newest value $x_t$ gets the largest weight, $1-\beta$, and each step back in time multiplies
# the weight by $\beta$, hence the name. So $a_t$ is *not* a weighted average in the usual sense.
# We check both facts with `course_utils.ewma_weights(t, beta)`, which returns
# $\alpha_1, \dots, \alpha_t$ (the weights of $a_t$; the symbol $\alpha_k$ is used for them only).

# %% slideshow={"slide_type": "subslide"}
print("   t   beta | sum of weights   1 - beta^t")
max_gap = 0.0
for beta in betas:
    for n in (1, 5, 20, 100):
        total = float(ewma_weights(n, beta).sum())
        max_gap = max(max_gap, abs(total - (1 - beta**n)))
        if n in (1, 20):
            print(f"{n:4d}  {beta:5} |     {total:.6f}     {1 - beta**n:.6f}")
print(f"max |sum of weights - (1 - beta^t)| for t = 1, 5, 20, 100, below 1e-12: {max_gap < 1e-12}")

unrolled = float((ewma_weights(T, 0.9) * x).sum())
recursive = float(ewma(x, 0.9)[-1])
print(f"beta = 0.9, t = {T}: weighted sum {unrolled:.6f}, recursion {recursive:.6f}, "
      f"equal to 1e-12: {abs(unrolled - recursive) < 1e-12}")

# %% slideshow={"slide_type": "skip"}
def weights_figure(t_w=100):
    """The weights of a_{t_w} against the age of each value, on linear and log axes."""
    fig, (ax_lin, ax_log) = new_figure(1, 2, figsize=(9.5, 3.7))
    for i, beta in enumerate(betas):
        age = torch.arange(t_w - 1, -1, -1)  # t - k for k = 1, ..., t
        weights = ewma_weights(t_w, beta)
        for ax in (ax_lin, ax_log):
            ax.plot(age, weights, "o-", color=PALETTE[i], markersize=2.5, label=rf"$\beta$ = {beta}")
            ax.axvline(effective_window(beta), color=PALETTE[i], linestyle=":", linewidth=1.2)
    for ax in (ax_lin, ax_log):
        ax.set_xlabel("age of the value $t-k$ (steps ago)")
        ax.set_ylabel(r"weight $\alpha_k = (1-\beta)\,\beta^{t-k}$")
        ax.legend(loc="upper right")
    ax_log.set_yscale("log")
    ax_log.set_ylim(1e-6, 1.0)
    ax_lin.set_title(rf"Weights of $a_{{{t_w}}}$ (dotted: age $1/(1-\beta)$)")
    ax_log.set_title("The same weights, log scale: straight lines")
    return fig


# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The weights of $a_{100}$ against the age of each value
#
# Right panel: a logarithmic vertical axis, on which exponential decay is a straight line. The
# dotted lines mark the age $1/(1-\beta)$, the subject of the next section.

# %%
weights_figure(t_w=100)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. The effective window $K = 1/(1-\beta)$
#
# The weight of a value $K$ steps old, relative to the newest one, is
#
# $$\beta^{K} = \left(1 - \tfrac{1}{K}\right)^{K} \;\longrightarrow\; e^{-1} \quad (\beta \to 1).$$
#
# - Values older than $K$ steps carry at most about $1/e$ of the newest value's weight.
# - The newest $K$ values carry $1-\beta^K \approx 1 - 1/e$, about 63% of the total weight.
# - $\beta = 0.9$ averages over roughly the last 10 values, $\beta = 0.98$ over the last 50.

# %% [markdown] slideshow={"slide_type": "skip"}
# The limit holds because $\ln \beta \approx -(1-\beta)$ for $\beta$ close to 1. That is why
# $K = 1/(1-\beta)$ is called the **effective window**. Below: the decay $\beta^K$ across one
# window, the fraction of the weight in the newest $K$ values (computed from the weights of $a_t$
# at $t = 20K$, normalised to sum to 1), and the lag $\beta/(1-\beta)$ of section 2.

# %% slideshow={"slide_type": "subslide"}
print(f"1/e = {math.exp(-1):.4f}, 1 - 1/e = {1 - math.exp(-1):.4f}")
print(" beta   window K | beta^K | weight share of the newest K values | lag beta/(1-beta)")
for beta in (0.5, 0.9, 0.98, 0.999):
    K = round(effective_window(beta))
    weights = ewma_weights(20 * K, beta)
    share = float(weights[-K:].sum() / weights.sum())
    print(f"{beta:5}  {K:8d} | {beta**K:.4f} |                              {share:.4f} |"
          f"   {beta / (1 - beta):7.1f}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice**
# - $\beta^K$ approaches $1/e = 0.3679$ from below (0.2500, 0.3487, 0.3642, 0.3677), and the share of
#   the newest $K$ values approaches $1-1/e = 0.6321$ from above. The rule of thumb is rough for
#   $\beta = 0.5$ and accurate from $\beta = 0.9$ on.
# - The window is soft: about 37% of the weight still sits on values older than $K$.
# - The lag is the window minus one step: averaging over $K$ values means reacting about $K$ steps late.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. The start-up bias, and its correction
#
# If every $x_k$ has the same expected value $\bar x$ (a constant series $x_k = c$, say), the
# weights of section 3 give
#
# $$\mathbb{E}[a_t] = \sum_{k=1}^t \alpha_k\,\bar x = (1-\beta^t)\,\bar x :$$
#
# too small by the factor $1-\beta^t$. Dividing by the sum of the weights repairs it:
#
# $$\hat a_t = \frac{a_t}{1-\beta^t} = \frac{\sum_{k} \alpha_k x_k}{\sum_{k} \alpha_k}, \qquad \hat a_1 = x_1 .$$

# %% [markdown] slideshow={"slide_type": "skip"}
# **Intuition.** The value $a_0 = 0$ is made up. At $t = 1$ the average is $a_1 = (1-\beta)x_1$, just
# 10% of the first observation when $\beta = 0.9$. Until the fake zero has been forgotten, the average
# is pulled towards 0. The corrected $\hat a_t$ is a proper weighted average (weights summing to 1) of
# the values seen so far. We call $\beta^t$ the **bias factor**: it is the share of the weight still
# sitting on $a_0 = 0$, and $a_t = (1-\beta^t)\,\hat a_t$.
#
# The figure zooms into the first 60 steps of our noisy sine, for $\beta = 0.9$ and $\beta = 0.98$.

# %% slideshow={"slide_type": "subslide"}
first = 60
fig, axes = new_figure(1, 2, figsize=(9.5, 3.8), sharey=True)
for ax, beta in zip(axes, (0.9, 0.98), strict=True):
    ax.plot(t[:first], x[:first], ".", color="0.6", markersize=4, label="observed $x_t$")
    ax.plot(t[:first], signal[:first], "--", color="black", linewidth=1.4, label="true signal")
    ax.plot(t[:first], ewma(x, beta)[:first], color=PALETTE[1], label=r"raw $a_t$")
    ax.plot(t[:first], ewma(x, beta, bias_correction=True)[:first], color=PALETTE[0],
            label=r"corrected $\hat a_t = a_t/(1-\beta^t)$")
    ax.set_title(rf"First {first} steps, $\beta$ = {beta}")
    ax.set_xlabel("step $t$")
    ax.legend(loc="lower right")
axes[0].set_ylabel("value")
fig

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### How far from the signal, and exact on a constant
#
# The mean distance to the true signal over the first 20 steps; then a constant series $x_t = c$,
# for which $a_t = c\,(1-\beta^t)$ and so $\hat a_t = c$ from the very first step.

# %%
for beta in (0.9, 0.98):
    raw_err = float((ewma(x, beta)[:20] - signal[:20]).abs().mean())
    corr_err = float((ewma(x, beta, bias_correction=True)[:20] - signal[:20]).abs().mean())
    print(f"beta = {beta}: mean |average - signal| over t = 1..20: raw {raw_err:.3f}, corrected {corr_err:.3f}")

c = 3.0
constant = torch.full((200,), c, dtype=torch.float64)
for beta in (0.9, 0.98, 0.999):
    raw = ewma(constant, beta)
    corrected = ewma(constant, beta, bias_correction=True)
    max_err = float((corrected - c).abs().max())
    raw_errs = ", ".join(f"t={s}: {c - float(raw[s - 1]):.4f}" for s in (1, 5, 20))
    print(f"beta = {beta}: |corrected - c| below 1e-12: {max_err < 1e-12}; raw c - a_t at {raw_errs}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice**
# - The raw averages crawl up from 0; the corrected ones start on the data. Over the first 20 steps
#   the correction cuts the mean error from 1.101 to 0.397 ($\beta = 0.9$) and from 2.023 to 0.482
#   ($\beta = 0.98$).
# - On a constant series the corrected EWMA is exact from $t = 1$, the raw one off by $c\,\beta^t$:
#   2.7 of 3 at $t = 1$ for $\beta = 0.9$, still 2.0 at $t = 20$ for $\beta = 0.98$.
# - Correction removes the *bias*, not the noise: $\hat a_1 = x_1$ is a single noisy observation,
#   so the corrected curve is jumpy while it averages only a few values.

# %% [markdown] slideshow={"slide_type": "skip"}
# Here $\hat a_1 = x_1$ happens to fall well below the signal. The corrected average also still
# lags a rising signal, as any average of past values does.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. What goes to 1: the correction factor, not the average
#
# $$\hat a_t = \frac{1}{1-\beta^t}\, a_t, \qquad \frac{\hat a_t - a_t}{\hat a_t} = \beta^t \to 0 .$$
#
# - The factor $1/(1-\beta^t)$ tends to 1: late in a run, bias correction changes nothing.
# - The averages go to whatever level the data has (3 for the constant series, about 2 for the sine).
# - After $n$ windows, $t = nK$, $\beta^t \approx e^{-n}$: the factor is about $1/(1-e^{-n})$ for
#   every $\beta$, so the correction matters for the first few windows only.

# %% slideshow={"slide_type": "subslide"}
print("            factor 1/(1 - beta^t) at t = n windows")
print(" beta     n=1     n=2     n=3     n=5")
for beta in (0.9, 0.98, 0.999):
    K = round(effective_window(beta))
    print(f"{beta:5}  " + "  ".join(f"{1 / (1 - beta ** (n * K)):.4f}" for n in (1, 2, 3, 5)))
print("e^-n   " + "  ".join(f"{1 / (1 - math.exp(-n)):.4f}" for n in (1, 2, 3, 5)))

raw, corrected = ewma(x, 0.9), ewma(x, 0.9, bias_correction=True)
print("\nnoisy sine, beta = 0.9: |corrected - raw| at "
      + ", ".join(f"t={s}: {float(corrected[s - 1] - raw[s - 1]):.4f}" for s in (1, 10, 30, 50, 100)))

# %% slideshow={"slide_type": "skip"}
def correction_factor_figure(betas_shown=(0.9, 0.98, 0.999)):
    """The correction factor 1/(1 - beta^t) per step (left) and per window t/K (right)."""
    fig, (ax_steps, ax_windows) = new_figure(1, 2, figsize=(9.5, 3.8))
    steps = torch.arange(1, 10_001, dtype=torch.float64)
    for i, beta in enumerate(betas_shown):
        K = round(effective_window(beta))
        factor = 1 / (1 - beta**steps)
        label = rf"$\beta$ = {beta} ($K$ = {K})"
        ax_steps.plot(steps, factor, color=PALETTE[i], label=label)
        ax_windows.plot(steps[: 6 * K] / K, factor[: 6 * K], color=PALETTE[i], label=label)
    windows = torch.linspace(0.05, 6, 200, dtype=torch.float64)
    ax_windows.plot(windows, 1 / (1 - torch.exp(-windows)), "--", color="black", linewidth=1.2,
                    label=r"$1/(1-e^{-t/K})$")
    for ax in (ax_steps, ax_windows):
        ax.axhline(1.0, color="0.4", linestyle=":", linewidth=1.2)
        ax.set_ylabel(r"correction factor $1/(1-\beta^t)$")
        ax.legend(loc="upper right")
    ax_steps.set_xscale("log")
    ax_steps.set_yscale("log")
    ax_steps.set_xlabel("step $t$ (log scale)")
    ax_steps.set_title(r"Per step: the larger $\beta$, the later it reaches 1")
    ax_windows.set_ylim(0.9, 3.0)
    ax_windows.set_xlabel(r"time in windows $t/K$, with $K = 1/(1-\beta)$")
    ax_windows.set_title("Per window: the curves almost coincide")
    return fig


# %% slideshow={"slide_type": "subslide"}
correction_factor_figure()

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice**
# - In windows, the three curves nearly coincide with $1/(1-e^{-t/K})$: after 3 windows the factor is
#   1.0443 to 1.0523, after 5 windows 1.0052 to 1.0068, for every $\beta$ in the table.
# - On the noisy sine with $\beta = 0.9$ the gap between corrected and raw averages falls from 0.7980
#   at $t = 1$ to 0.0142 at $t = 50$ and to 0.0000 (to four decimals) at $t = 100$.
# - Per step, a larger $\beta$ needs proportionally longer: with $\beta = 0.999$ the correction
#   matters for thousands of steps, which is why Adam needs it (section 7).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. From averages to optimizers: momentum and Adam
#
# Momentum in its averaging form (notebook 02) keeps $m_t = \beta m_{t-1} + (1-\beta)\,g_t$, $m_0 = 0$,
# and steps $\theta_t = \theta_{t-1} - \eta\,m_t$. `torch.optim.SGD` keeps a buffer with dampening $\tau$:
#
# $$b_1 = g_1, \qquad b_t = \beta\, b_{t-1} + (1-\tau)\, g_t \quad (t \ge 2).$$
#
# - Default $\tau = 0$: $b_1 = g_1$ is exactly what $b_0 = 0$ gives ($\beta\cdot 0 + g_1$), so
#   $b_t = \sum_k \beta^{t-k} g_k = m_t/(1-\beta)$: the **same start-up bias** $1-\beta^t$, unnormalised.
# - Only $\tau > 0$ changes the start: $b_1 = g_1$ is not dampened, and with $\tau = \beta$ the
#   buffer is an EWMA started at $g_1$ instead of 0: $b_t = m_t + \beta^t g_1$.

# %% [markdown] slideshow={"slide_type": "skip"}
# Momentum therefore averages roughly the last $1/(1-\beta)$ gradients (10 for $\beta = 0.9$), and
# damps independent noise in the gradients by $\sqrt{(1-\beta)/(1+\beta)}$, 0.229 for $\beta = 0.9$
# (section 2). PyTorch applies no bias correction to the buffer, and it does not avoid the start-up
# bias either: with its default `dampening=0`, "set the buffer to the first gradient" and "start
# the buffer at zero" are the same thing. On a constant gradient $g_t = 1$ the buffer ramps up
# $1, 1.9000, 2.7100, \dots$ towards $1/(1-\beta) = 10$, and PyTorch's steps $\text{lr}\cdot b_t$ ramp up with it:
# the $0.1, 0.19, \dots$ of notebook 02's first table. With `dampening=beta` the buffer of a constant
# gradient is 1 from the first step, but for a general sequence it puts the extra weight $\beta^t$ on
# $g_1$: it trades the start-up bias towards 0 for a bias towards the first gradient. We feed both
# settings a constant gradient, then a fixed sequence of random "gradients", and compare the
# buffers with `course_utils.ewma`.

# %% slideshow={"slide_type": "subslide"}
def sgd_buffers(grads, beta, **hp):
    """torch.optim.SGD's momentum buffer b_t after each gradient of the sequence ``grads``."""
    theta = torch.zeros(grads.shape[1:], dtype=torch.float64, requires_grad=True)
    sgd = torch.optim.SGD([theta], lr=0.01, momentum=beta, **hp)
    buffers = []
    for g in grads:
        theta.grad = g.clone()
        sgd.step()
        buffers.append(sgd.state[theta]["momentum_buffer"].clone())
    return torch.stack(buffers)


beta = 0.9
ones = torch.ones(5, 1, dtype=torch.float64)  # a constant gradient g_t = 1, t = 1..5
b_plain, b_damped = sgd_buffers(ones, beta)[:, 0], sgd_buffers(ones, beta, dampening=beta)[:, 0]
m = ewma(ones, beta)[:, 0]
print(" t | b_t, dampening=0  (1-beta) b_t  EWMA m_t  1-beta^t | b_t, dampening=beta")
for s in range(1, 6):
    print(f"{s:2d} | {b_plain[s - 1]:16.4f} {(1 - beta) * b_plain[s - 1]:13.4f} {m[s - 1]:9.4f} "
          f"{1 - beta**s:9.4f} | {b_damped[s - 1]:19.4f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The same on 30 random gradients of 3 coordinates

# %%
# g_1, ..., g_30 for a parameter with 3 coordinates whose gradients have very different scales
grads = torch.randn(30, 3, dtype=torch.float64) * torch.tensor([1.0, -10.0, 0.01], dtype=torch.float64)
steps = torch.arange(1, 31, dtype=torch.float64)[:, None]
m = ewma(grads, beta)

plain = sgd_buffers(grads, beta)
damped = sgd_buffers(grads, beta, dampening=beta)
print(f"dampening=0:    (1 - beta) b_t == EWMA m_t started at 0, to 1e-12: "
      f"{float(((1 - beta) * plain - m).abs().max()) < 1e-12}")
print(f"dampening=beta: b_t == m_t + beta^t g_1 (EWMA started at g_1), to 1e-12: "
      f"{float((damped - (m + beta**steps * grads[0])).abs().max()) < 1e-12}")
print(f"dampening=beta: max |b_t - m_t| = {float((damped - m).abs().max()):.4f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Adam keeps two EWMAs and corrects both
#
# Kingma & Ba (2015), Algorithm 1, with $\beta_1 = 0.9$ and $\beta_2 = 0.999$ by default:
#
# $$m_t = \beta_1 m_{t-1} + (1-\beta_1)\,g_t,\qquad v_t = \beta_2 v_{t-1} + (1-\beta_2)\,g_t^2,\qquad m_0 = v_0 = 0,$$
#
# $$\hat m_t = \frac{m_t}{1-\beta_1^t},\qquad \hat v_t = \frac{v_t}{1-\beta_2^t},\qquad
# \theta_t = \theta_{t-1} - \eta\,\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}.$$
#
# At $t = 1$: $\hat m_1 = g_1$, $\hat v_1 = g_1^2$, so the first step is $-\eta\, g_1/(|g_1| + \epsilon)
# \approx -\eta\,\operatorname{sign}(g_1)$: size $\eta$ in every coordinate, whatever its gradient's scale.

# %% [markdown] slideshow={"slide_type": "skip"}
# Without the corrections the first step would be $\eta\,(1-\beta_1)/\sqrt{1-\beta_2}$, about 3.1623
# times $\eta$, because the two biases do not cancel. We run `torch.optim.Adam` on the same gradient
# sequence and compare its state with `course_utils.ewma`; its three coordinates have gradients of
# typical size 1, 10 and 0.01.

# %% slideshow={"slide_type": "subslide"}
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
print("g_1                                :", [f"{float(v):+.4f}" for v in grads[0]])
print("first step (theta_1 - theta_0) / lr:", [f"{float(v):+.4f}" for v in (thetas[1] - thetas[0]) / lr])
print(f"first step / lr without bias correction: (1 - beta1) / sqrt(1 - beta2) = "
      f"{(1 - beta1) / math.sqrt(1 - beta2):.4f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The two corrections fade at very different speeds
#
# $\beta_1 = 0.9$ has a window of 10 steps, $\beta_2 = 0.999$ a window of 1000.

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
# In general $m_t = (1-\beta_1)\sum_{k=1}^t \beta_1^{t-k} g_k$, and if the $g_k$ share the same expected
# value, $\mathbb{E}[m_t] = (1-\beta_1^t)\,\mathbb{E}[g]$; the same holds for $v_t$ with $\beta_2$ and $g^2$.
# That is the argument of Kingma & Ba (2015), section 3, for dividing by $1-\beta^t$. For $t = 1$ the
# formula gives $\hat m_1 = g_1$. The next cell checks $\hat m_1$ and the $t = 3$ formula on our
# gradient sequence.

# %% slideshow={"slide_type": "notes"}
g1, g2, g3 = grads[0], grads[1], grads[2]
m_hat = ewma(grads, beta1, bias_correction=True)
m_hat_3_formula = (beta1**2 * g1 + beta1 * g2 + g3) / (beta1**2 + beta1 + 1)
print(f"m_hat_1 == g_1 to 1e-12: {float((m_hat[0] - g1).abs().max()) < 1e-12}")
print(f"m_hat_3 from the formula == bias-corrected EWMA, to 1e-12: "
      f"{float((m_hat_3_formula - m_hat[2]).abs().max()) < 1e-12}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice**
# - `torch.optim.SGD`'s buffer with the default `dampening=0` is $m_t/(1-\beta)$, start-up bias
#   included (1, 1.9000, 2.7100 on a constant gradient); `dampening=beta` starts the average at $g_1$.
# - PyTorch's Adam state *is* the pair of raw EWMAs `exp_avg` $= m_t$ and `exp_avg_sq` $= v_t$; the
#   bias correction is applied when the step is computed, not stored.
# - The first Adam step has size $\eta$ in every coordinate (the printed ratios are $\pm 1$, opposite
#   to $g_1$'s sign); without correction it would be 3.1623 times larger.
# - The second-moment correction is still a factor 1.5815 after 1000 steps; the first-moment one is
#   1.0000 (to four decimals) by step 100: for $\beta_2 = 0.999$ the start-up bias is not a detail.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# ### Exercise 1: write the EWMA, with optional bias correction
#
# Write `my_ewma(x, beta, bias_correction=False)`. It receives a 1-D tensor `x` holding
# $x_1, \dots, x_T$ and returns a tensor of the same shape whose entry $t$ (counting from 1) is $a_t$,
# or $\hat a_t = a_t/(1-\beta^t)$ when `bias_correction` is true. Start from $a_0 = 0$. You may reuse
# `ewma_step` from section 1.

# %% tags=["solution"]
def my_ewma(x, beta, bias_correction=False):
    a = torch.zeros_like(x[0])
    out = torch.empty_like(x)
    for step in range(1, len(x) + 1):
        a = ewma_step(a, x[step - 1], beta)
        out[step - 1] = a / (1 - beta**step) if bias_correction else a
    return out


# %%
check_ewma(my_ewma)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 2: the weights
#
# Write `my_ewma_weights(t, beta)`, returning a 1-D tensor of the $t$ weights $\alpha_1, \dots, \alpha_t$
# with which $a_t$ averages $x_1, \dots, x_t$ (oldest value first). Do not normalise them: they should
# sum to $1-\beta^t$.

# %% tags=["solution"]
def my_ewma_weights(t, beta):
    k = torch.arange(1, t + 1, dtype=torch.float64)
    return (1 - beta) * beta ** (t - k)


# %%
check_ewma_weights(my_ewma_weights)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 3: spot the mistake, then predict
#
# A set of blog notes on this topic says, right after introducing $a_t/(1-\beta^t)$:
#
# > "As $t \to \infty$, the bias-corrected average goes to 1, so it grows closer and closer to the uncorrected one."
#
# 1. What does the bias-corrected average of the constant series $x_t = 3$ go to? Set
#    `corrected_limit`. (Which quantity in the correction really tends to 1?)
# 2. For $\beta = 0.9$, what is the first step $t$ at which the bias factor $\beta^t$ drops below 1%?
#    Predict it from the window picture ($\beta^{nK} \approx e^{-n}$), then compute it exactly:
#    set `first_step_below_1pct`.

# %% tags=["solution"]
corrected_limit = 3.0
first_step_below_1pct = 44

# %%
check_bias_fading(corrected_limit, first_step_below_1pct, beta=0.9, tol=0.01)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - An EWMA keeps one number: $a_t = \beta a_{t-1} + (1-\beta)x_t$; its weights $(1-\beta)\beta^{t-k}$ sum to $1-\beta^t$.
# - Effective window $K = 1/(1-\beta)$: the newest $K$ values carry about 63% of the weight; the
#   lag is $\beta/(1-\beta)$. A larger $\beta$ trades more lag for less noise.
# - Starting at $a_0 = 0$ makes early averages too small by $1-\beta^t$; $\hat a_t = a_t/(1-\beta^t)$
#   repairs it, exactly for a constant series. The *factor* tends to 1, not the average.
# - PyTorch's momentum buffer carries the same start-up bias; Adam corrects both of its EWMAs.

# %% [markdown] slideshow={"slide_type": "skip"}
# In more detail: older values are down-weighted by $1/e$ or more beyond one window; after a few
# windows the corrected and raw averages coincide; `torch.optim.SGD` with `dampening=0` keeps
# $b_t = m_t/(1-\beta)$, and only `dampening > 0` moves the start of its average to $g_1$; Adam's
# first step has size $\eta$ per coordinate, and its $\beta_2 = 0.999$ correction matters for
# thousands of steps.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## References
#
# - Diederik P. Kingma and Jimmy Ba, *Adam: A Method for Stochastic Optimization*, ICLR 2015,
#   Algorithm 1 and section 3 (initialization bias correction).
# - Ian Goodfellow, Yoshua Bengio and Aaron Courville, *Deep Learning*, MIT Press, 2016,
#   section 8.3.2 (momentum) and section 8.5.3 (Adam).
# - Andrew Ng, *Improving Deep Neural Networks: Hyperparameter Tuning, Regularization and
#   Optimization*, deeplearning.ai (Coursera), 2017, week 2: exponentially weighted averages and
#   bias correction.
# - PyTorch documentation and source, `torch.optim.SGD` (`torch/optim/sgd.py`, version 2.13:
#   "dampening will be applied starting at the second step").

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What's next
#
# **02 · Momentum** puts the EWMA of gradients to work: the heavy-ball method on an ill-conditioned
# quadratic, PyTorch's parameterization of momentum (and why it equals the averaging form with a
# rescaled learning rate), Nesterov's look-ahead variant, and the map of convergence rates over the
# learning rate and $\beta$.
