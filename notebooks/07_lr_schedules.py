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
# # 07 · Learning-rate schedules
#
# A constant learning rate is a compromise: large enough to make progress early, small enough not
# to bounce around late. A *schedule* changes it as training goes. We write the common schedules as
# functions of the update index, prove each equal to torch's, and measure what they buy.
#
# **Learning objectives**
# - Write step, inverse-time, exponential, cosine, warm-restart, warmup-cosine, one-cycle and
#   polynomial schedules as functions of the update index $t$, equal to `torch.optim.lr_scheduler`.
# - Step a scheduler at the right granularity (per batch or per epoch), after `optimizer.step()`.
# - Use `ReduceLROnPlateau`, and chain schedulers with `SequentialLR` and `ChainedScheduler`.
# - Explain why Adam wants a warmup, and what RAdam does about it.
# - Compare schedules on a real run at the same budget, reading only what is robust.
#
# **Prerequisites:** 01 · EWMA and bias correction, 04 · Adam, 05 · Mini-batches (the noise floor),
# 06 · The learning-rate range test.
#
# **Time to complete:** about 60 minutes

# %% [markdown] slideshow={"slide_type": "skip"}
# Notebook 05 showed the cost of a constant learning rate: SGD stalls at a noise floor, while a
# decaying one keeps improving. This notebook writes step decay, inverse-time decay, exponential
# and cosine decay, warm restarts, warmup and the one-cycle policy as plain functions, proves each
# equal to its `torch.optim.lr_scheduler` class, and then deals with the practical questions: when
# to step a scheduler and in which order, reducing the learning rate when progress stalls, why Adam
# in particular wants a warmup, how much a schedule buys on a real run at a fixed budget, and how to
# chain schedulers.

# %% slideshow={"slide_type": "skip"}
import math
import textwrap
import warnings

import numpy as np
import torch
from torch import nn
from torch.optim import lr_scheduler as L

from course_utils import (
    PALETTE,
    as_lambda_lr,
    check_scheduler_order,
    check_step_decay,
    check_warmup_cosine,
    compare_lrs,
    ewma,
    fmt_diff,
    get_schedule,
    inverse_time,
    load_digits,
    make_mlp,
    new_figure,
    schedule_lrs,
    setup_notebook,
    torch_lrs,
    train,
)

DEVICE = setup_notebook(seed=0)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. Schedules as functions of the update index
#
# Update $t = 1, 2, \dots, T$ uses the learning rate $\eta_t$: large early, when the parameters are
# far from any minimum, small late, when the gradient is mostly noise around one (notebook 05).
#
# **Counting.** A torch scheduler counts its own steps from 0: during update $t$ it has been stepped
# $t - 1$ times (its `last_epoch`). So $\eta_t$ is torch's schedule at $t - 1$, and the functions of
# `course_utils.schedules` take that count, `step` $= t - 1$ (what `LambdaLR` passes to its function).

# %% [markdown] slideshow={"slide_type": "subslide"}
# | schedule | $\eta_t$ | torch |
# |---|---|---|
# | step decay | $\eta_{\max}\,\gamma^{\lfloor (t-1)/S \rfloor}$ | `StepLR(step_size=S, gamma=γ)` |
# | inverse time | $\eta_{\max} / (1 + (t-1)/S)$ | `LambdaLR` (or `MultiplicativeLR`, checked below) |
# | exponential | $\eta_{\max}\,\gamma^{t-1}$ | `ExponentialLR(gamma=γ)` |
# | cosine | $\eta_{\min} + \tfrac12(\eta_{\max} - \eta_{\min})\big(1 + \cos(\pi (t-1) / T)\big)$ | `CosineAnnealingLR(T_max=T)` |
# | warm restarts | cosine over cycles of $T_0, T_0 T_\text{mult}, \dots$ updates, back to $\eta_{\max}$ | `CosineAnnealingWarmRestarts` |
# | warmup, then cosine | linear over $W$ updates up to $\eta_{\max}$, then cosine over $T - W$ | `LinearLR` → `CosineAnnealingLR` |
# | one-cycle | cosine up from $\eta_{\max}/25$ to $\eta_{\max}$, then down to $\eta_{\max}/(25 \cdot 10^4)$ | `OneCycleLR` |
# | polynomial | $\eta_{\max}\,(1 - \min(t-1, T)/T)^{\text{power}}$ | `PolynomialLR(total_iters=T)` |
#
# $\gamma$ is a schedule's factor, $S$ its time scale in updates, $T$ the number of updates, $W$ the
# warmup updates.

# %% [markdown] slideshow={"slide_type": "skip"}
# Details. Inverse-time decay halves the rate after $S$ updates; `course_utils.inverse_time` takes
# its rate `k` $= 1/S$. The warmup rises linearly from `start_factor` $\cdot\,\eta_{\max}$ and
# reaches $\eta_{\max}$ at update $W + 1$, where the cosine (on its own clock) takes over. One-cycle
# (Smith & Topin 2019, grown from Smith's cyclical learning rates, 2017) takes $\eta_{\max}$ as
# `max_lr`, 25 as `div_factor` and $10^4$ as `final_div_factor`; its peak is update
# `pct_start` $\cdot\,T$ and its last value is update $T$, torch's boundaries. Warm restarts are
# SGDR (Loshchilov & Hutter 2017).

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Seed 000's formula
#
# Seed 000 writes inverse-time decay as "$\alpha = \alpha / (1 + \text{decay\_rate}\cdot\text{epoch})$".
# Read as an assignment in a training loop, it divides the *current* rate again every epoch: the
# divisions compound into a much faster decay than $\eta_{\max}/(1 + (e - 1)/S)$ in epoch $e$.

# %%
decay_rate, eta_max, compounded, lr = 0.5, 0.1, [], 0.1  # decay_rate = 1 / S per epoch
for epoch in range(6):  # the seed counts epochs from 0
    lr = lr / (1 + decay_rate * epoch)  # seed 000 read as an in-place update
    compounded.append(lr)
print("epoch e             ", list(range(1, 7)))
print("eta_max/(1+(e-1)/S) ", [round(inverse_time(e - 1, eta_max, decay_rate), 5) for e in range(1, 7)])
print("in place            ", [round(x, 5) for x in compounded])

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Every schedule on one grid, and equal to torch
#
# `get_schedule(name, **params)` binds a schedule's parameters. Each is drawn over $T = 100$ updates
# with $\eta_{\max} = 0.1$, next to torch's scheduler run the standard way (the dots: the learning
# rate each update received, recorded before `optimizer.step()`).

# %% slideshow={"slide_type": "skip"}
T, ETA_MAX = 100, 0.1
spec = {  # name: (our schedule, parameters, torch scheduler factory)
    "step decay": ("step", {"step_size": 30, "gamma": 0.3}, lambda o: L.StepLR(o, 30, 0.3)),
    "inverse time": ("inverse_time", {"k": 0.05},  # S = 20
                     lambda o: L.MultiplicativeLR(o, lambda c: (1 + 0.05 * (c - 1)) / (1 + 0.05 * c))),
    "exponential": ("exponential", {"gamma": 0.97}, lambda o: L.ExponentialLR(o, 0.97)),
    "cosine": ("cosine", {"T_max": T, "eta_min": 0.005}, lambda o: L.CosineAnnealingLR(o, T, 0.005)),
    "warm restarts": ("cosine_warm_restarts", {"T_0": 10, "T_mult": 2},
                      lambda o: L.CosineAnnealingWarmRestarts(o, T_0=10, T_mult=2)),
    "warmup + cosine": ("warmup_cosine", {"warmup_steps": 10, "total_steps": T, "start_factor": 0.1},
                        lambda o: L.SequentialLR(o, [L.LinearLR(o, 0.1, 1.0, total_iters=10),
                                                     L.CosineAnnealingLR(o, T - 10)], milestones=[10])),
    "one-cycle": ("one_cycle", {"total_steps": T, "pct_start": 0.3},
                  lambda o: L.OneCycleLR(o, max_lr=ETA_MAX, total_steps=T, pct_start=0.3, cycle_momentum=False)),
    "polynomial": ("polynomial", {"total_iters": T, "power": 2.0}, lambda o: L.PolynomialLR(o, T, 2.0)),
    "constant": ("constant", {}, lambda o: L.LambdaLR(o, lambda c: 1.0)),
}

# %%
ours, theirs = {}, {}
print(f"{'schedule':<17}{'torch scheduler':<30}{'max relative error':>20}")
for name, (key, params, make) in spec.items():
    ours[name] = schedule_lrs(get_schedule(key, **params), ETA_MAX, T)  # entry t - 1 is eta_t
    theirs[name] = torch_lrs(make, ETA_MAX, T)
    cmp = compare_lrs(ours[name], theirs[name], rtol=1e-12)
    torch_name = type(make(torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=ETA_MAX))).__name__
    print(f"{name:<17}{torch_name:<30}{fmt_diff(cmp.max_rel_error):>20}  {'equal' if cmp else 'DIFFERENT'}")
print(f"cosine: eta at update t = {T} is {ours['cosine'][-1]:.5f}; eta_min = 0.005 comes at t = {T + 1}")

# %% slideshow={"slide_type": "skip"}
t_axis = np.arange(1, T + 1)
fig, axes = new_figure(3, 3, figsize=(9.5, 6.2), sharex=True)
for i, (ax, name) in enumerate(zip(axes.flat, spec, strict=True)):
    ax.plot(t_axis, ours[name], color=PALETTE[i % 6], label="course_utils")
    ax.plot(t_axis[::4], theirs[name][::4], "o", color="black", markersize=2.5, label="torch")
    short = {"warmup_steps": "W", "start_factor": "start"}  # short names keep the titles on one line
    params = ", ".join(f"{short.get(k, k)}={v:g}" for k, v in spec[name][1].items()
                       if k not in ("T_max", "total_steps", "total_iters"))
    ax.set_title(f"{name} ({params})" if params else name, fontsize=9)
    ax.set_ylim(0, 0.105)
    if i % 3 == 0:
        ax.set_ylabel(r"learning rate $\eta_t$")
    if i >= 6:
        ax.set_xlabel("update $t$")
axes[0, 0].legend(loc="upper right", fontsize=8)
_ = fig.suptitle(r"Nine schedules with $\eta_{\max} = 0.1$ over 100 updates (lines: ours; dots: torch)")

# %% slideshow={"slide_type": "subslide"}
fig

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice.** Every schedule equals torch's to rounding error. Cosine stays near $\eta_{\max}$
# longer than the exponential; warm restarts jump back to $\eta_{\max}$ at $t = 11, 31, 71$;
# one-cycle *starts* small, at $\eta_{\max}/25$: a warmup.

# %% [markdown] slideshow={"slide_type": "skip"}
# `tests/test_schedules.py` checks each schedule against torch over generated parameters, and
# checks that an off-by-one schedule fails the comparison. The cosine of torch's
# `CosineAnnealingLR(T_max=T)` reaches $\eta_{\min}$ one update after the last of $T$ updates: the
# last update uses a rate just above it (printed above).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. When to step, and in which order
#
# `scheduler.step()` advances the scheduler's count by one. It can count batches or epochs; the
# schedule's length must be in the same unit (a cosine over 10 epochs: `T_max=10` stepped per epoch,
# or `T_max=10 * batches_per_epoch` stepped per batch).
#
# The order matters: `optimizer.step()` first, then `scheduler.step()`. Creating a scheduler already
# sets the learning rate of update 1; stepping it *before* the first update skips that value, and
# torch warns:

# %% slideshow={"slide_type": "skip"}
def lrs_used(order, updates=4):
    """The lr each update received with ExponentialLR(gamma=0.5), and torch's warnings."""
    w = nn.Parameter(torch.ones(1))
    opt = torch.optim.SGD([w], lr=1.0)
    sched = L.ExponentialLR(opt, gamma=0.5)
    used = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(updates):
            if order == "scheduler first":
                sched.step()
            opt.zero_grad()
            w.sum().backward()
            used.append(opt.param_groups[0]["lr"])
            opt.step()
            if order == "optimizer first":
                sched.step()
    return used, [str(c.message) for c in caught]


# %% slideshow={"slide_type": "subslide"}
for order in ("optimizer first", "scheduler first"):
    used, messages = lrs_used(order)
    print(f"{order}: lrs used {used}; {len(messages)} warning(s)")
    for m in messages:
        print(textwrap.fill("  UserWarning: " + m, 100, subsequent_indent="    "))

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice.** In the right order the updates get $1, 0.5, 0.25, \dots$; in the wrong order
# the first update already gets $0.5$: the schedule is shifted by one update (for a warmup, its
# smallest value is lost).

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Per batch or per epoch
#
# The digits training set of notebook 06 in batches of 32, the last partial batch kept: the number
# of batches per epoch is computed, not assumed.

# %%
data = load_digits(dtype=torch.float64)
loss_fn = nn.CrossEntropyLoss()
EPOCHS, PER_EPOCH = 10, len(data.train_loader(32))
print(f"{len(data.X_train)} training images, batches of 32: {PER_EPOCH} batches per epoch")

# %% slideshow={"slide_type": "skip"}
per_batch = schedule_lrs(get_schedule("cosine", T_max=EPOCHS * PER_EPOCH), 0.1, EPOCHS * PER_EPOCH)
per_epoch = np.repeat(schedule_lrs(get_schedule("cosine", T_max=EPOCHS), 0.1, EPOCHS), PER_EPOCH)
fig, ax = new_figure(figsize=(7.0, 3.4))
updates = np.arange(1, EPOCHS * PER_EPOCH + 1)
ax.plot(updates, per_batch, label=f"stepped per batch: T_max = {EPOCHS * PER_EPOCH}")
ax.plot(updates, per_epoch, label=f"stepped per epoch: T_max = {EPOCHS}", linestyle="--")
ax.set_xlabel(f"update $t$ ({PER_EPOCH} per epoch)")
ax.set_ylabel(r"learning rate $\eta_t$")
ax.set_title("The same cosine schedule, stepped per batch or per epoch")
_ = ax.legend()

# %% slideshow={"slide_type": "subslide"}
fig

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Reduce the learning rate when progress stalls
#
# `ReduceLROnPlateau` needs no schedule in advance: it watches a metric (the validation loss,
# passed to `scheduler.step(val_loss)` once per epoch) and multiplies the learning rate by `factor`
# when the metric has not improved for more than `patience` epochs. The digits MLP, SGD with
# momentum 0.9, $\eta = 0.1$, batches of 32, 15 epochs, `factor=0.3, patience=2`.

# %% [markdown] slideshow={"slide_type": "skip"}
# Here and below the network is trained in float64, as in notebook 06: another CPU adds the terms
# of a sum in another order, and in float64 that last-bit difference starts $10^9$ times smaller.

# %%
net = make_mlp([64, 32, 10], seed=0).double()
opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
plateau = L.ReduceLROnPlateau(opt, mode="min", factor=0.3, patience=2)
hist = train(net, opt, loss_fn, data.train_loader(32), epochs=15, val_data=(data.X_val, data.y_val),
             scheduler=plateau, progress=False)
# hist.epoch_lr[i] is the lr used in epoch i + 1 (epochs counted from 1)
reductions = [e for e in range(1, len(hist.epoch_lr)) if hist.epoch_lr[e] < hist.epoch_lr[e - 1]]
for e in reductions:
    print(f"lr reduced after epoch {e}: {hist.epoch_lr[e - 1]:.4g} -> {hist.epoch_lr[e]:.4g} from epoch {e + 1} on")
print("validation loss per epoch:", [round(x, 3) for x in hist.epoch_val_loss])
print(f"final validation accuracy {hist.final_val_acc:.3f}")

# %% slideshow={"slide_type": "skip"}
fig, ax = new_figure(figsize=(7.0, 3.8))
epochs = np.arange(1, len(hist.epoch_val_loss) + 1)
ax.plot(epochs, hist.epoch_val_loss, "o-", label="validation loss")
ax.plot(epochs, hist.epoch_train_loss, "s-", label="training loss")
for j, e in enumerate(reductions):
    ax.axvline(e + 0.5, color=PALETTE[1], linestyle="--", label="lr x 0.3" if j == 0 else None)
ax.set_yscale("log")
ax.set_xlabel("epoch")
ax.set_ylabel("loss (log scale)")
ax.set_title("ReduceLROnPlateau(factor=0.3, patience=2) on digits")
_ = ax.legend()

# %% slideshow={"slide_type": "subslide"}
fig

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice.** The validation loss is best at epoch 3, then gets worse. After three epochs
# without improvement (3 > `patience`), after epoch 6, the scheduler cuts; in the next epoch the
# validation loss halves, below anything it reached at $\eta = 0.1$.

# %% [markdown] slideshow={"slide_type": "skip"}
# The noise floor of the larger learning rate is gone. The price: the schedule depends on the run,
# so it cannot be drawn in advance, and a noisy metric can trigger cuts too early (raise `patience`,
# or set a `threshold`: by default an epoch counts as an improvement only if it beats the best loss
# by a relative $10^{-4}$).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. Warmup, and why Adam wants it
#
# Warmup starts with a small learning rate and raises it over the first $W$ updates. Goyal et al.
# (2017) used it to train with very large batches and learning rates. Adam has an extra reason: its
# step divides by $\sqrt{\hat v_t}$, and $\hat v_t$ rests on only $t$ squared gradients. At $t = 1$,
# $\hat v_1 = g_1^2$ from one batch, and every coordinate with a gradient moves by almost exactly
# $\eta$, $\eta|g_1|/(|g_1| + \epsilon)$ (notebook 04), however small and noisy that gradient is.

# %% [markdown] slideshow={"slide_type": "skip"}
# **A measurement.** We freeze the digits MLP at its initialisation, draw 200 batches, and feed their
# squared gradients to Adam's average ($\beta_2 = 0.999$, bias-corrected: `ewma` of notebook 01), so
# the only thing that changes with $t$ is how many batches the average has seen. The reference is
# the mean of $g^2$ over 200 *other* batches. For each coordinate that has had a nonzero gradient so
# far we compare the adaptive learning rate $1/(\sqrt{\hat v_t} + \epsilon)$ with the reference one: a
# ratio of 10 means a step ten times too large.

# %% slideshow={"slide_type": "skip"}
def batch_gradients(model, n_batches, seed):
    """The gradients of n_batches batches of 32, at fixed parameters, one row per batch."""
    rows = []
    while len(rows) < n_batches:
        for xb, yb in data.train_loader(32, seed):
            model.zero_grad()
            loss_fn(model(xb), yb).backward()
            rows.append(torch.cat([p.grad.flatten() for p in model.parameters()]))
            if len(rows) == n_batches:
                break
        seed += 1000
    return torch.stack(rows)


frozen, eps = make_mlp([64, 32, 10], seed=0).double(), 1e-8
G, G_ref = batch_gradients(frozen, 200, seed=0), batch_gradients(frozen, 200, seed=1)
v_ref = (G_ref**2).mean(0)
live = v_ref > 0  # weights of pixels that are 0 in every image never get a gradient
v_hat = ewma(G[:, live] ** 2, beta=0.999, bias_correction=True)  # row t - 1 is v_hat_t
seen = v_hat > 0  # a coordinate whose gradients were all 0 so far has m = v = 0 and does not move
ratio = torch.where(seen, (v_ref[live].sqrt() + eps) / (v_hat.sqrt() + eps), torch.nan)  # adaptive lr / reference
band = torch.nanquantile(torch.log10(ratio), torch.tensor([0.1, 0.5, 0.9], dtype=torch.float64), dim=1)

# %% slideshow={"slide_type": "subslide"}
print(f"{int(live.sum())} of {live.numel()} coordinates get a gradient on some batch; "
      f"{float(seen[0].double().mean()):.0%} of them on the first batch")
print(f"{'t':>4}{'10-90% range (decades)':>25}{'ratio > 3':>12}{'ratio > 10':>12}{'largest ratio':>15}")
for t in (1, 2, 5, 10, 20, 50, 100, 200):
    r = ratio[t - 1][seen[t - 1]]
    print(f"{t:>4}{float(band[2, t - 1] - band[0, t - 1]):>25.2f}{float((r > 3).double().mean()):>12.1%}"
          f"{float((r > 10).double().mean()):>12.1%}{float(r.max()):>15.3g}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### RAdam: a warmup built in
#
# Liu et al. (2020) estimate the variance of Adam's adaptive learning rate from
#
# $$\rho^{\text{SMA}}_t = \rho^{\text{SMA}}_\infty - \frac{2t\beta_2^t}{1-\beta_2^t},\qquad \rho^{\text{SMA}}_\infty = \frac{2}{1-\beta_2} - 1,$$
#
# the length of the simple moving average that the EWMA resembles. For $\rho^{\text{SMA}}_t \le 4$
# that variance is infinite: the paper takes plain momentum steps there, and adaptive ones once
# $\rho^{\text{SMA}}_t > 4$; PyTorch's `RAdam` waits until $\rho^{\text{SMA}}_t > 5$. An adaptive step
# is multiplied by
#
# $$\phi_t = \sqrt{\frac{(\rho^{\text{SMA}}_t-4)(\rho^{\text{SMA}}_t-2)\,\rho^{\text{SMA}}_\infty}{(\rho^{\text{SMA}}_\infty-4)(\rho^{\text{SMA}}_\infty-2)\,\rho^{\text{SMA}}_t}},$$
#
# which grows slowly to 1: a warmup that needs no tuning. (The paper writes $r_t$; $\phi_t$ here, since
# the course's $r_0$ is a distance.)

# %% slideshow={"slide_type": "subslide"}
beta2 = 0.999
rho_inf = 2 / (1 - beta2) - 1
steps = np.arange(1, 6001)
rho = rho_inf - 2 * steps * beta2**steps / (1 - beta2**steps)
rect = np.where(rho > 4, np.sqrt(np.clip((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho), 0, None)), np.nan)
paper, torch_first = int(steps[rho > 4][0]), int(steps[rho > 5][0])
print(f"rho_SMA_t for t = 1..6: {np.round(rho[:6], 3)}")
print(f"first adaptive step: t = {paper} (paper, rho_SMA_t > 4, phi_t = {rect[paper - 1]:.3f}); "
      f"t = {torch_first} (PyTorch, rho_SMA_t > 5, phi_t = {rect[torch_first - 1]:.3f})")
print(f"phi_t = {rect[99]:.3f} at t = 100, {rect[999]:.3f} at t = 1000, {rect[1999]:.3f} at t = 2000")
warmup_len = 2 / (1 - beta2)
print(f"a linear warmup over 2/(1 - beta2) = {warmup_len:.0f} updates: {100 / warmup_len:.3f} at t = 100, "
      f"1 from t = {warmup_len:.0f} on")

# %% slideshow={"slide_type": "skip"}
fig, (ax0, ax1) = new_figure(1, 2, figsize=(9.5, 4.0))
t_axis = np.arange(1, len(band[0]) + 1)
ax0.fill_between(t_axis, 10 ** band[0].numpy(), 10 ** band[2].numpy(), alpha=0.3, label="10% to 90% of coordinates")
ax0.plot(t_axis, 10 ** band[1].numpy(), label="median")
ax0.plot(t_axis, torch.nan_to_num(ratio, nan=0.0).max(dim=1).values.numpy(), ":", color=PALETTE[1], label="largest")
ax0.axhline(1.0, color="black", linewidth=0.8)
ax0.set_xscale("log")
ax0.set_yscale("log")
ax0.set_xlabel("update $t$ (batches averaged)")
ax0.set_ylabel(r"$(\sqrt{v_\mathrm{ref}}+\epsilon) / (\sqrt{\hat v_t}+\epsilon)$")
ax0.set_title("Adam's adaptive lr relative to its reference", fontsize=10)
ax0.legend(loc="upper right", fontsize=8)
rect_torch = np.where(rho > 5, rect, np.nan)
ax1.plot(steps, rect_torch, label=r"RAdam's rectification $\phi_t$ (PyTorch)")
ax1.plot(steps, np.minimum(steps / (2 / (1 - beta2)), 1.0), "--", label=r"linear warmup over $2/(1-\beta_2)$ updates")
ax1.set_xlabel("update $t$")
ax1.set_ylabel("multiplier of the adaptive step")
ax1.set_title(r"Warmup built in: RAdam, $\beta_2 = 0.999$", fontsize=10)
_ = ax1.legend(loc="lower right", fontsize=8)

# %% slideshow={"slide_type": "subslide"}
fig

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice.** At $t = 1$ about a quarter of the coordinates get an adaptive learning rate
# more than three times too large, the worst thousands of times. From about 50 batches on, no
# coordinate's adaptive learning rate is more than 3 times too large: the first tens of updates
# are where a warmup helps.

# %% [markdown] slideshow={"slide_type": "skip"}
# The middle 80% of the coordinates span more than a decade at $t = 1$ (a tiny first gradient gives
# the largest ratios), and the spread shrinks as batches accumulate. RAdam takes no adaptive step
# for the first 4 updates (the paper) or 5 (PyTorch), then scales it by $\phi_t$, which is still below 1
# after 2000 updates. Ma and Yarats (2021) showed that a plain linear warmup over $2/(1-\beta_2)$
# updates does about as well: a warmup of about the same length, but shaped differently (right
# figure). $\phi_t$ rises faster at first (0.215 at $t = 100$, where the linear warmup is at 0.050);
# the linear warmup is at full rate from $t = 2000$, where $\phi_t$ is 0.828.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Schedules against a constant learning rate, at the same budget
#
# Same network, 10 epochs of SGD with momentum 0.9, batches of 32, the same peak learning rate
# $\eta_{\max} = 0.25$: about the edge found by the range test of notebook 06 (the lowest point of its
# curve was at 0.27). Four schedules stepped per batch: constant; step decay (×0.1 after half the
# run); cosine to 0; one-cycle. Three seeds each (initial weights and batch order).

# %% slideshow={"slide_type": "skip"}
PEAK, SEEDS = 0.25, (0, 1, 2)
TOTAL = EPOCHS * PER_EPOCH
schedules = {
    "constant": ("constant", {}),
    "step decay": ("step", {"step_size": TOTAL // 2, "gamma": 0.1}),
    "cosine": ("cosine", {"T_max": TOTAL}),
    "one-cycle": ("one_cycle", {"total_steps": TOTAL}),
}
results = {}
for seed in SEEDS:
    for name, (key, params) in schedules.items():
        net = make_mlp([64, 32, 10], seed=seed).double()
        opt = torch.optim.SGD(net.parameters(), lr=PEAK, momentum=0.9)
        results[name, seed] = train(net, opt, loss_fn, data.train_loader(32, seed), EPOCHS,
                                    val_data=(data.X_val, data.y_val), scheduler=as_lambda_lr(opt, key, **params),
                                    scheduler_interval="step", progress=False)

# %%
final = {key: h.epoch_train_loss[-1] for key, h in results.items()}
print(f"{TOTAL} updates per run; final training loss (mean over the last epoch), {len(SEEDS)} seeds")
print(f"{'schedule':<12}{'below 0.05':>12}{'below constant (same seed)':>29}")
for name in schedules:
    low = sum(final[name, s] < 0.05 for s in SEEDS)
    beats = "-" if name == "constant" else f"{sum(final[name, s] < final['constant', s] for s in SEEDS)} of {len(SEEDS)}"
    print(f"{name:<12}{f'{low} of {len(SEEDS)}':>12}{beats:>29}")

# %% [markdown] slideshow={"slide_type": "skip"}
# **Why counts.** At $\eta = 0.25$ with momentum 0.9 training is chaotic: the perturbation check
# (every notebook re-run with the last bit of every sum and product moved) changes the final
# accuracy of a constant run by several points and its final training loss by a factor of two,
# even in float64. The schedules that decay are far less sensitive, but their first updates run at
# the same large rate. A count against a threshold far from every run's value is what survives:
# it is what the table prints. Notebook 06 did the same for its runs past the edge.

# %% slideshow={"slide_type": "skip"}
fig, (ax0, ax1) = new_figure(1, 2, figsize=(9.5, 4.0))
epochs = np.arange(1, EPOCHS + 1)
for i, name in enumerate(schedules):
    for seed in SEEDS:
        h = results[name, seed]
        label = name if seed == 0 else None
        ax0.plot(epochs, h.epoch_train_loss, color=PALETTE[i], linewidth=1.2, alpha=0.8, label=label)
        ax1.plot(epochs, h.epoch_val_acc, color=PALETTE[i], linewidth=1.2, alpha=0.8, label=label)
ax0.axhline(0.05, color="black", linestyle=":", linewidth=1.0, label="0.05")
ax0.set(yscale="log", xlabel="epoch", ylabel="training loss (log scale)", title="Training loss (3 seeds each)")
ax1.set(ylim=(0.85, 1.0), xlabel="epoch", ylabel="validation accuracy", title="Validation accuracy (3 seeds each)")
_ = ax0.legend(loc="lower left", fontsize=8)

# %% slideshow={"slide_type": "subslide"}
fig

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice.** At this peak learning rate the constant schedule never leaves the noise floor
# of $\eta = 0.25$: in every seed its final training loss stays above 0.05, and every decaying
# schedule ends below it and below the constant run of the same seed.

# %% [markdown] slideshow={"slide_type": "skip"}
# The validation accuracy of the decaying schedules is higher too, by a few points, but that gap is
# about as large as the change the perturbation check causes in one constant run: this comparison
# cannot rank them, and two or three seeds cannot rank the decaying schedules against each other
# either. What a schedule surely buys here is the right to use a large learning rate early and still
# end quietly. (Our one-cycle changes only the learning rate; torch's `OneCycleLR` also cycles the
# momentum between 0.85 and 0.95 by default, as Smith and Topin do.)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. Chaining schedulers
#
# - `SequentialLR(opt, [s1, s2], milestones=[m])` runs `s1` for the first `m` scheduler steps, then
#   `s2`, whose clock starts at 0 at the milestone: warmup then cosine is exactly this.
# - `ChainedScheduler([s1, s2])` steps both at every step, and their factors multiply.

# %% [markdown] slideshow={"slide_type": "skip"}
# Seed 001's example (`ExponentialLR(gamma=0.9)` with `MultiStepLR(milestones=[30, 80], gamma=0.1)`,
# both stepped each epoch) is the second kind. Its loop runs for 10 epochs, so its milestones never
# fire.

# %% slideshow={"slide_type": "skip"}
def chained(opt):
    return L.ChainedScheduler([L.ExponentialLR(opt, gamma=0.97), L.MultiStepLR(opt, milestones=[30, 80], gamma=0.1)])


class BothStepped:
    """Seed 001's way: two schedulers on one optimizer, both stepped."""

    def __init__(self, opt):
        self.s = [L.ExponentialLR(opt, gamma=0.97), L.MultiStepLR(opt, milestones=[30, 80], gamma=0.1)]

    def step(self):
        for s in self.s:
            s.step()


def sequential(opt):
    return L.SequentialLR(opt, [L.LinearLR(opt, start_factor=0.1, total_iters=10), L.CosineAnnealingLR(opt, T_max=90)],
                          milestones=[10])


# %%
t = np.arange(1, 101)
closed_chain = 0.1 * 0.97 ** (t - 1) * 0.1 ** ((t - 1 >= 30).astype(int) + (t - 1 >= 80).astype(int))
chain, both, seq = torch_lrs(chained, 0.1, 100), torch_lrs(BothStepped, 0.1, 100), torch_lrs(sequential, 0.1, 100)
print("ChainedScheduler vs both stepped:         ", compare_lrs(chain, both))
print("ChainedScheduler vs 0.1 * 0.97^(t-1) * 0.1^(milestones passed):", compare_lrs(chain, closed_chain))
print("SequentialLR vs warmup_cosine(W=10, T=100):", compare_lrs(seq, schedule_lrs(
    get_schedule("warmup_cosine", warmup_steps=10, total_steps=100, start_factor=0.1), 0.1, 100)))

# %% slideshow={"slide_type": "skip"}
fig, (ax0, ax1) = new_figure(1, 2, figsize=(9.5, 3.6))
ax0.plot(t, seq, label="LinearLR, then cosine")
ax0.axvline(11, color="black", linestyle=":", label="milestone")
ax1.plot(t, chain, label="ExponentialLR x MultiStepLR")
for m in (31, 81):
    ax1.axvline(m, color="black", linestyle=":", label="milestones" if m == 31 else None)
ax1.set_yscale("log")
for ax, title, where in ((ax0, "SequentialLR: one after the other", "upper right"),
                         (ax1, "ChainedScheduler: multiplied (log scale)", "lower left")):
    ax.set_xlabel("update $t$")
    ax.set_ylabel(r"learning rate $\eta_t$")
    ax.set_title(title)
    ax.legend(loc=where)

# %% slideshow={"slide_type": "subslide"}
fig

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 1: cosine with linear warmup
#
# Write `warmup_then_cosine(t, base_lr, warmup_steps, total_steps, start_factor)`: the learning rate
# of update $t$ ($t = 1, \dots,$ `total_steps`) under torch's `SequentialLR([LinearLR(start_factor=
# start_factor, total_iters=warmup_steps), CosineAnnealingLR(T_max=total_steps - warmup_steps)],
# milestones=[warmup_steps])`, with `eta_min = 0`. Do not use `course_utils.schedules`.

# %% tags=["solution"]
def warmup_then_cosine(t, base_lr, warmup_steps, total_steps, start_factor):
    step = t - 1  # torch's count before update t
    if step < warmup_steps:
        return base_lr * (start_factor + (1 - start_factor) * step / warmup_steps)
    return base_lr * (1 + math.cos(math.pi * (step - warmup_steps) / (total_steps - warmup_steps))) / 2


# %%
check_warmup_cosine(warmup_then_cosine)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 2: fix the loop
#
# This loop trains one epoch with a scheduler that is stepped per batch, but the learning rates it
# uses are shifted by one (and torch warns). Fix it.
#
# ```python
# def train_one_epoch(model, optimizer, scheduler, loss_fn, batches):
#     for xb, yb in batches:
#         scheduler.step()
#         optimizer.zero_grad()
#         loss = loss_fn(model(xb), yb)
#         loss.backward()
#         optimizer.step()
# ```

# %% tags=["solution"]
def train_one_epoch(model, optimizer, scheduler, loss_fn, batches):
    for xb, yb in batches:
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
        scheduler.step()


# %%
check_scheduler_order(train_one_epoch)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 3: step decay, and seed 001's schedule
#
# 1. Write `step_decay_lr(t, base_lr, step_size, gamma)`: the learning rate of update $t$
#    ($t = 1, 2, \dots$) under torch's `StepLR(step_size, gamma)`, stepped once per update.
# 2. Seed 001 decays its learning rate (on its own optimizer class, which reads `optim.lr`) like
#    this. Which update is the first to use a halved rate? Write it as `first_halved_update`.
#
# ```python
# for step in range(num_steps):
#     ...
#     optim.step()
#     if step % 70 == 0:
#         optim.lr *= 0.5
# ```

# %% tags=["solution"]
def step_decay_lr(t, base_lr, step_size, gamma):
    return base_lr * gamma ** ((t - 1) // step_size)


first_halved_update = 2

# %%
check_step_decay(step_decay_lr, first_halved_update)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - A schedule gives $\eta_t$ for update $t = 1, 2, \dots$; a torch scheduler has been stepped
#   $t - 1$ times before update $t$. The course's functions equal torch's schedulers.
# - Step per batch or per epoch, the length in the same unit, always after `optimizer.step()`.
# - `ReduceLROnPlateau` cut the rate once, after epoch 6; the validation loss halved.
# - Adam's adaptive rate is unreliable for the first tens of updates: warm up, or use RAdam.
# - At a large peak rate every decaying schedule left the noise floor; constant did not.

# %% [markdown] slideshow={"slide_type": "skip"}
# In full:
# - A schedule is a function of the update index $t$; a torch scheduler counts its steps from 0, so
#   $\eta_t$ is its value after $t - 1$ steps. The course's functions equal torch's schedulers to
#   rounding error.
# - Step per batch or per epoch, with the schedule's length in the same unit, and always after
#   `optimizer.step()`: the other order skips the first value and torch warns.
# - Seed 000's $1/(1 + \text{decay\_rate}\cdot\text{epoch})$ decay is computed from $\eta_{\max}$;
#   applied to the current rate it compounds. Seed 001's step schedule halves its rate after the
#   first update already.
# - `ReduceLROnPlateau` cuts the rate when the validation loss stalls; here it cut once, after
#   epoch 6, and the validation loss halved in the next epoch.
# - Adam's adaptive learning rate is unreliable in the first tens of updates (about a quarter of the
#   coordinates more than three times too large at $t = 1$); warmup, or RAdam's rectification
#   (adaptive steps once $\rho^{\text{SMA}}_t > 4$ in the paper, $> 5$ in PyTorch), keeps those steps small.
# - At a large peak learning rate, every decaying schedule ended below the constant one's noise
#   floor, in every seed; which decaying schedule is best, these runs cannot tell.
# - `SequentialLR` runs schedulers one after the other; `ChainedScheduler` multiplies them.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## References
#
# - Leslie N. Smith, "Cyclical learning rates for training neural networks", WACV 2017.
# - Leslie N. Smith and Nicholay Topin, "Super-convergence: very fast training of neural networks
#   using large learning rates", 2019 (the one-cycle policy).
# - Ilya Loshchilov and Frank Hutter, "SGDR: stochastic gradient descent with warm restarts", ICLR 2017.
# - Priya Goyal et al., "Accurate, large minibatch SGD: training ImageNet in 1 hour", 2017 (linear
#   scaling and gradual warmup).
# - Liyuan Liu et al., "On the variance of the adaptive learning rate and beyond", ICLR 2020 (RAdam).
# - Jerry Ma and Denis Yarats, "On the adequacy of untuned warmup for adaptive optimization", AAAI 2021.
# - PyTorch documentation and source, `torch.optim.lr_scheduler` (`torch/optim/lr_scheduler.py`,
#   version 2.13) and `torch.optim.RAdam`.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What's next
#
# Schedules and the range test tune *how far* each step goes. Notebook 08 looks at the shape of the
# loss surface itself: the Hessian, its eigenvalues, saddle points and the sharpness of a trained
# network, which set the largest learning rate that can work at all (the $2/\lambda_{\max}$ of
# notebook 00, now for a real network).
