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
# to bounce around late. Notebook 05 showed the cost: with a constant learning rate SGD stalls at
# a noise floor, while a decaying one keeps improving. A *schedule* changes the learning rate as
# training goes: step decay, inverse-time decay, exponential and cosine decay, warm restarts,
# warmup and the one-cycle policy. This notebook writes each schedule as a plain function of the
# step $t$, proves each equal to its `torch.optim.lr_scheduler` class, and then deals with the
# practical questions: when to step a scheduler and in which order, reducing the learning rate
# when progress stalls, why Adam in particular wants a warmup, how much a schedule buys on a real
# run at a fixed budget, and how to chain schedulers.
#
# **Learning objectives**
# - Write step, inverse-time, exponential, cosine, warm-restart, warmup-cosine, one-cycle and
#   polynomial schedules as functions of $t$ and check them against `torch.optim.lr_scheduler`.
# - Step a scheduler at the right granularity (per batch or per epoch) and after `optimizer.step()`.
# - Use `ReduceLROnPlateau`, and chain schedulers with `SequentialLR` and `ChainedScheduler`.
# - Explain why Adam wants a warmup (its second-moment estimate is unreliable in the first steps)
#   and what RAdam does about it.
# - Compare schedules on a real training run at the same budget, and read the result honestly.
#
# **Prerequisites:** 01 · EWMA and bias correction, 04 · Adam, 05 · Mini-batches (the noise floor
# of a constant learning rate), 06 · The learning-rate range test.
#
# **Time to complete:** about 60 minutes

# %%
import math
import textwrap
import warnings

import numpy as np
import torch
from torch import nn
from torch.optim import lr_scheduler as L
from torch.utils.data import DataLoader

from course_utils import (
    PALETTE,
    as_lambda_lr,
    check_scheduler_order,
    check_warmup_cosine,
    compare_lrs,
    ewma,
    fmt_diff,
    get_schedule,
    inverse_time,
    load_digits,
    make_mlp,
    new_figure,
    plot_losses,
    schedule_lrs,
    setup_notebook,
    torch_lrs,
    train,
)

DEVICE = setup_notebook(seed=0)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. Schedules as functions of the step
#
# **Intuition.** Early in training the parameters are far from any minimum and a large step
# makes fast progress; late in training the gradient is mostly noise around a minimum and a large
# step only bounces (the noise floor of notebook 05). A schedule starts large and ends small.
#
# **The math.** We write every schedule as $\eta_t = s(t, \eta_0)$, where $\eta_0$ is the base
# learning rate and $t = 0, 1, 2, \dots$ counts the calls to `scheduler.step()` made before an
# update (per batch or per epoch: section 3). That is torch's counting: $\eta_0$ is the learning
# rate of the very first update.
#
# | schedule | $\eta_t$ | torch |
# |---|---|---|
# | step decay | $\eta_0\,\gamma^{\lfloor t/k \rfloor}$ | `StepLR` |
# | inverse time | $\eta_0 / (1 + k t)$ | (`MultiplicativeLR` or `LambdaLR`) |
# | exponential | $\eta_0\,\gamma^{t}$ | `ExponentialLR` |
# | cosine | $\eta_\min + \tfrac12(\eta_0 - \eta_\min)(1 + \cos(\pi t / T))$ | `CosineAnnealingLR` |
# | warm restarts (SGDR) | cosine over cycles of length $T_i = T_0 T_\text{mult}^i$, restarting at $\eta_0$ | `CosineAnnealingWarmRestarts` |
# | linear warmup, then cosine | $\eta_0(s + (1-s)t/W)$ for $t < W$, then cosine over $T - W$ steps | `LinearLR` → `CosineAnnealingLR` |
# | one-cycle | cosine up from $\eta_0/d$ to $\eta_0$, then down to $\eta_0/(d f)$ | `OneCycleLR` |
# | polynomial | $\eta_0 (1 - \min(t, T)/T)^p$ | `PolynomialLR` |
#
# For one-cycle, $\eta_0$ is the peak (`max_lr`), $d$ = `div_factor` (25) and $f$ =
# `final_div_factor` ($10^4$); the rise lasts until $t = p_\text{start} T - 1$, torch's boundary,
# and the last value, $\eta_0/(d f)$, is reached at $t = T - 1$.
#
# **Seed 000's formula.** Seed 000 writes inverse-time decay as
# "$\alpha = \alpha / (1 + \text{decay\_rate}\cdot\text{epoch})$". Read as an assignment in a
# training loop, it divides the *current* rate again every epoch, which compounds into
# $\eta_0/\prod_{s \le t}(1 + k s)$, a much faster decay than the intended $\eta_0/(1+kt)$:

# %%
k, eta0, compounded, lr = 0.5, 0.1, [], 0.1
for epoch in range(6):
    lr = lr / (1 + k * epoch)  # seed 000 read as an in-place update
    compounded.append(lr)
print("epoch        ", list(range(6)))
print("eta0/(1+kt)  ", [round(inverse_time(t, eta0, k), 5) for t in range(6)])
print("in place     ", [round(x, 5) for x in compounded])

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Every schedule on one grid, and equal to torch
#
# `course_utils.schedules` holds the functions of the table (`get_schedule(name, **params)` binds
# the parameters and returns $s(t, \eta_0)$). Below, each is drawn over 100 steps with
# $\eta_0 = 0.1$, and torch's scheduler is run alongside (the dots: the learning rate an update
# actually received, recorded before each `optimizer.step()`).

# %%
T, BASE = 100, 0.1
spec = {  # name: (our schedule, parameters, torch scheduler factory)
    "step decay": ("step", {"step_size": 30, "gamma": 0.3}, lambda o: L.StepLR(o, 30, 0.3)),
    "inverse time": ("inverse_time", {"k": 0.05},
                     lambda o: L.MultiplicativeLR(o, lambda t: (1 + 0.05 * (t - 1)) / (1 + 0.05 * t))),
    "exponential": ("exponential", {"gamma": 0.97}, lambda o: L.ExponentialLR(o, 0.97)),
    "cosine": ("cosine", {"T_max": T, "eta_min": 0.005}, lambda o: L.CosineAnnealingLR(o, T, 0.005)),
    "warm restarts": ("cosine_warm_restarts", {"T_0": 10, "T_mult": 2},
                      lambda o: L.CosineAnnealingWarmRestarts(o, T_0=10, T_mult=2)),
    "warmup + cosine": ("warmup_cosine", {"warmup_steps": 10, "total_steps": T, "start_factor": 0.1},
                        lambda o: L.SequentialLR(o, [L.LinearLR(o, 0.1, 1.0, total_iters=10),
                                                     L.CosineAnnealingLR(o, T - 10)], milestones=[10])),
    "one-cycle": ("one_cycle", {"total_steps": T, "pct_start": 0.3},
                  lambda o: L.OneCycleLR(o, max_lr=BASE, total_steps=T, pct_start=0.3, cycle_momentum=False)),
    "polynomial": ("polynomial", {"total_iters": T, "power": 2.0}, lambda o: L.PolynomialLR(o, T, 2.0)),
    "constant": ("constant", {}, lambda o: L.LambdaLR(o, lambda t: 1.0)),
}
ours, theirs = {}, {}
print(f"{'schedule':<17}{'torch scheduler':<30}{'max relative error':>20}")
for name, (key, params, make) in spec.items():
    ours[name] = schedule_lrs(get_schedule(key, **params), BASE, T)
    theirs[name] = torch_lrs(make, BASE, T)
    cmp = compare_lrs(ours[name], theirs[name], rtol=1e-12)
    torch_name = type(make(torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=BASE))).__name__
    print(f"{name:<17}{torch_name:<30}{fmt_diff(cmp.max_rel_error):>20}  {'equal' if cmp else 'DIFFERENT'}")

# %% slideshow={"slide_type": "subslide"}
fig, axes = new_figure(3, 3, figsize=(12.0, 8.4), sharex=True)
for i, (ax, name) in enumerate(zip(axes.flat, spec, strict=True)):
    ax.plot(ours[name], color=PALETTE[i % 6], label="course_utils")
    ax.plot(np.arange(0, T, 4), theirs[name][::4], "o", color="black", markersize=2.5, label="torch")
    params = ", ".join(f"{k}={v:g}" for k, v in spec[name][1].items() if k not in ("T_max", "total_steps", "total_iters"))
    ax.set_title(f"{name} ({params})" if params else name, fontsize=10)
    ax.set_ylim(0, 0.105)
    if i % 3 == 0:
        ax.set_ylabel(r"learning rate $\eta_t$")
    if i >= 6:
        ax.set_xlabel("step $t$")
axes[0, 0].legend(loc="upper right")
fig.suptitle(r"Nine schedules with $\eta_0 = 0.1$ over 100 steps (lines: ours; dots: torch)")
fig

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice.** Every schedule matches torch's to about $10^{-16}$, rounding error (the
# tests in `tests/test_schedules.py` check each over generated parameters, and check that an
# off-by-one schedule fails). Cosine spends more time near $\eta_0$ and near the end than the
# exponential; warm restarts jump back to $\eta_0$ at $t = 10, 30, 70$ ($T_0 = 10$, cycles
# doubling); one-cycle *starts* small, at $\eta_0/25$, which is a warmup.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. When to step, and in which order
#
# `scheduler.step()` advances $t$ by one. Whether $t$ counts batches or epochs is up to you, and the
# schedule's length must be given in the same unit: a cosine over 10 epochs is `T_max=10` stepped
# per epoch (the learning rate is constant within an epoch), or `T_max=10 * batches_per_epoch`
# stepped per batch (smooth). One-cycle and warmups are usually stepped per batch.
#
# The order inside the loop matters: `optimizer.step()` first, then `scheduler.step()`. Creating a
# scheduler already sets the learning rate for $t = 0$; stepping it *before* the first update
# skips that value, and torch warns about it:

# %%
def lrs_used(order, steps=4):
    """The lr each update received with ExponentialLR(gamma=0.5), and torch's warnings."""
    w = nn.Parameter(torch.ones(1))
    opt = torch.optim.SGD([w], lr=1.0)
    sched = L.ExponentialLR(opt, gamma=0.5)
    used = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(steps):
            if order == "scheduler first":
                sched.step()
            opt.zero_grad()
            w.sum().backward()
            used.append(opt.param_groups[0]["lr"])
            opt.step()
            if order == "optimizer first":
                sched.step()
    return used, [str(c.message) for c in caught]


for order in ("optimizer first", "scheduler first"):
    used, messages = lrs_used(order)
    print(f"{order}: lrs used {used}; {len(messages)} warning(s)")
    for m in messages:
        print(textwrap.fill("  UserWarning: " + m, 100, subsequent_indent="    "))

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice.** In the right order the updates get $1, 0.5, 0.25, \dots$; in the wrong order
# the first update already gets $0.5$: the whole schedule is shifted by one step (for a warmup,
# the first, smallest value is lost). Seed 001's example steps its schedulers after the optimizer,
# correctly.

# %% slideshow={"slide_type": "subslide"}
EPOCHS, PER_EPOCH = 10, 42
per_batch = schedule_lrs(get_schedule("cosine", T_max=EPOCHS * PER_EPOCH), 0.1, EPOCHS * PER_EPOCH)
per_epoch = np.repeat(schedule_lrs(get_schedule("cosine", T_max=EPOCHS), 0.1, EPOCHS), PER_EPOCH)
fig, ax = new_figure(figsize=(7.0, 3.6))
ax.plot(per_batch, label="stepped per batch: T_max = 420")
ax.plot(per_epoch, label="stepped per epoch: T_max = 10", linestyle="--")
ax.set_xlabel("batch (42 per epoch)")
ax.set_ylabel(r"learning rate $\eta$")
ax.set_title("The same cosine schedule, stepped per batch or per epoch")
ax.legend()
fig

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Reduce the learning rate when progress stalls
#
# `ReduceLROnPlateau` needs no schedule in advance: it watches a metric (here the validation loss,
# passed to `scheduler.step(val_loss)` once per epoch) and multiplies the learning rate by
# `factor` when the metric has not improved for `patience` epochs. We train the digits MLP with
# SGD (momentum 0.9, $\eta_0 = 0.1$, batches of 32) for 15 epochs, with `factor=0.3, patience=2`.

# %%
data = load_digits()
loss_fn = nn.CrossEntropyLoss()


def make_loader(batch_size=32, seed=0):
    """Shuffled batches of the training set, in a reproducible order."""
    return DataLoader(data.train_dataset(), batch_size=batch_size, shuffle=True,
                      generator=torch.Generator().manual_seed(seed))


net = make_mlp([64, 32, 10], seed=0)
opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
plateau = L.ReduceLROnPlateau(opt, mode="min", factor=0.3, patience=2)
hist = train(net, opt, loss_fn, make_loader(), epochs=15, val_data=(data.X_val, data.y_val),
             scheduler=plateau, progress=False)
# hist.epoch_lr[i] is the lr used in epoch i + 1 (epochs counted from 1)
reductions = [e for e in range(1, len(hist.epoch_lr)) if hist.epoch_lr[e] < hist.epoch_lr[e - 1]]
for e in reductions:
    print(f"lr reduced after epoch {e}: {hist.epoch_lr[e - 1]:.4g} -> {hist.epoch_lr[e]:.4g} from epoch {e + 1} on")
print("validation loss per epoch:", [round(x, 3) for x in hist.epoch_val_loss])
print(f"final validation accuracy {hist.final_val_acc:.3f}")

# %% slideshow={"slide_type": "subslide"}
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
ax.legend()
fig

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice.** The validation loss is best at epoch 3 and then gets worse. The scheduler
# cuts when the count of epochs without improvement exceeds `patience` (3 > 2), so after epoch 6;
# in the next epoch the validation loss falls to half its value, below anything it reached at
# $\eta = 0.1$: the noise floor of the larger learning rate is gone. The price: the schedule depends on the run, so it cannot be
# drawn in advance, and a noisy metric can trigger cuts too early (raise `patience`, or set a
# `threshold`).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. Warmup, and why Adam wants it
#
# Warmup starts with a small learning rate and raises it over the first steps (linearly, in the
# table's "warmup + cosine"). Goyal et al. (2017) used it to train with very large batches and
# learning rates, when the first steps are far from any minimum and unstable. Adam has an extra
# reason. Its step divides by $\sqrt{\hat v_t}$, and $\hat v_t$, the bias-corrected average of
# $g^2$, rests on only $t$ squared gradients when $t$ is small: at $t = 1$, $\hat v_1 = g_1^2$ from
# one batch. Its adaptive learning rate $1/(\sqrt{\hat v_t} + \epsilon)$ is then wildly wrong for
# many coordinates, and the first step moves every coordinate that has a gradient by exactly
# $\eta$ (notebook 04), however small and noisy that gradient is.
#
# **A measurement.** We freeze the digits MLP at its initialisation, draw 200 batches, and feed
# their squared gradients into Adam's average ($\beta_2 = 0.999$, bias-corrected: `ewma` of
# notebook 01), so the only thing that changes with $t$ is how many batches the average has
# seen. The reference is the mean of $g^2$ over 200 *other* batches. For each coordinate that has
# had a nonzero gradient so far we compare the adaptive learning rate with the reference one: a
# ratio of 10 means a step ten times too large.

# %%
def batch_gradients(model, n_batches, seed):
    """The gradients of n_batches batches of 32, at fixed parameters, one row per batch."""
    rows = []
    while len(rows) < n_batches:
        for xb, yb in make_loader(32, seed):
            model.zero_grad()
            loss_fn(model(xb), yb).backward()
            rows.append(torch.cat([p.grad.flatten() for p in model.parameters()]).double())
            if len(rows) == n_batches:
                break
        seed += 1000
    return torch.stack(rows)


frozen, eps = make_mlp([64, 32, 10], seed=0), 1e-8
G, G_ref = batch_gradients(frozen, 200, seed=0), batch_gradients(frozen, 200, seed=1)
v_ref = (G_ref**2).mean(0)
live = v_ref > 0  # weights of pixels that are 0 in every image never get a gradient
v_hat = ewma(G[:, live] ** 2, beta=0.999, bias_correction=True)  # row t-1 is v_hat_t
seen = v_hat > 0  # a coordinate whose gradients were all 0 so far has m = v = 0 and does not move
ratio = torch.where(seen, (v_ref[live].sqrt() + eps) / (v_hat.sqrt() + eps), torch.nan)  # adaptive lr / reference
band = torch.nanquantile(torch.log10(ratio), torch.tensor([0.1, 0.5, 0.9], dtype=torch.float64), dim=1)
print(f"{int(live.sum())} of {live.numel()} coordinates get a gradient on some batch; "
      f"{float(seen[0].double().mean()):.0%} of them on the first batch")
print(f"{'t':>4}{'10-90% range (decades)':>25}{'ratio > 3':>12}{'ratio > 10':>12}{'largest ratio':>15}")
for t in (1, 2, 5, 10, 20, 50, 100, 200):
    r = ratio[t - 1][seen[t - 1]]
    print(f"{t:>4}{float(band[2, t - 1] - band[0, t - 1]):>25.2f}{float((r > 3).double().mean()):>12.1%}"
          f"{float((r > 10).double().mean()):>12.1%}{float(r.max()):>15.3g}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **RAdam.** Liu et al. (2020) traced Adam's need for warmup to exactly this: the variance of the
# adaptive learning rate is very large (for $t$ small, unbounded) early on. RAdam (rectified Adam)
# estimates that variance in closed form from $\rho_t = \rho_\infty - 2t\beta_2^t/(1-\beta_2^t)$,
# with $\rho_\infty = 2/(1-\beta_2) - 1$, the length of the simple moving average that the EWMA
# resembles. While $\rho_t \le 5$ (the variance is not even finite) it takes plain momentum steps
# with no adaptive learning rate; after that it multiplies the adaptive step by a rectification
# factor $r_t = \sqrt{(\rho_t-4)(\rho_t-2)\rho_\infty / ((\rho_\infty-4)(\rho_\infty-2)\rho_t)}$,
# which grows slowly to 1: a warmup that needs no tuning. It is `torch.optim.RAdam`. Ma and
# Yarats (2021) showed that a plain linear warmup over $2/(1-\beta_2)$ steps does about as well.

# %%
beta2 = 0.999
rho_inf = 2 / (1 - beta2) - 1
steps = np.arange(1, 6001)
rho = rho_inf - 2 * steps * beta2**steps / (1 - beta2**steps)
rect = np.where(rho > 5, np.sqrt(np.clip((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho), 0, None)), np.nan)
first = int(steps[rho > 5][0])
print(f"RAdam (beta2 = 0.999): first adaptive step at t = {first}, r_t = {rect[first - 1]:.3f}; "
      f"r_t = {rect[99]:.3f} at t = 100, {rect[999]:.3f} at t = 1000, {rect[1999]:.3f} at t = 2000")

# %% slideshow={"slide_type": "subslide"}
fig, (ax0, ax1) = new_figure(1, 2, figsize=(12.0, 4.2))
t_axis = np.arange(1, len(band[0]) + 1)
ax0.fill_between(t_axis, 10 ** band[0].numpy(), 10 ** band[2].numpy(), alpha=0.3, label="10% to 90% of coordinates")
ax0.plot(t_axis, 10 ** band[1].numpy(), label="median")
ax0.plot(t_axis, torch.nan_to_num(ratio, nan=0.0).max(dim=1).values.numpy(), ":", color=PALETTE[1], label="largest")
ax0.axhline(1.0, color="black", linewidth=0.8)
ax0.set_xscale("log")
ax0.set_yscale("log")
ax0.set_xlabel("step $t$ (batches averaged)")
ax0.set_ylabel(r"$(\sqrt{v_\mathrm{ref}}+\epsilon) / (\sqrt{\hat v_t}+\epsilon)$")
ax0.set_title("Adam's adaptive lr relative to its reference")
ax0.legend(loc="upper right")
ax1.plot(steps, rect, label=r"RAdam's rectification $r_t$")
ax1.plot(steps, np.minimum(steps / (2 / (1 - beta2)), 1.0), "--", label=r"linear warmup over $2/(1-\beta_2)$ steps")
ax1.set_xlabel("step $t$")
ax1.set_ylabel("multiplier of the adaptive step")
ax1.set_title(r"Warmup built in: RAdam, $\beta_2 = 0.999$")
ax1.legend(loc="lower right")
fig

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice.** At $t = 1$ about a quarter of the coordinates get an adaptive learning rate
# more than three times too large, and the worst thousands of times (a tiny first gradient); the
# middle 80% span more than a decade. The spread shrinks as batches accumulate, and from about 50
# batches on no coordinate is off by more than a factor of 3. Those first tens of steps are
# where a warmup keeps Adam's steps small. RAdam takes no adaptive step for the first 5 steps,
# then scales it by $r_t$, which is still below 1 after 2000 steps: a warmup of about the length
# Ma and Yarats propose, steeper at the start.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Schedules against a constant learning rate, at the same budget
#
# Same network, same initialisation, same data order, 10 epochs of SGD with momentum 0.9,
# batches of 32, and the same peak learning rate $\eta_0 = 0.25$, about the edge found by the
# range test of notebook 06 (the lowest point of its curve was at 0.27). Four schedules, all
# stepped per batch: constant; step decay (×0.1 after half the run); cosine to 0; one-cycle with
# peak 0.25. We run two initialisation seeds, to see how much of a difference is noise.

# %%
EPOCHS, PEAK = 10, 0.25
steps_per_epoch = len(make_loader())
TOTAL = EPOCHS * steps_per_epoch
schedules = {
    "constant": ("constant", {}),
    "step decay": ("step", {"step_size": TOTAL // 2, "gamma": 0.1}),
    "cosine": ("cosine", {"T_max": TOTAL}),
    "one-cycle": ("one_cycle", {"total_steps": TOTAL}),
}
results = {}
for seed in (0, 1):
    for name, (key, params) in schedules.items():
        net = make_mlp([64, 32, 10], seed=seed)
        opt = torch.optim.SGD(net.parameters(), lr=PEAK, momentum=0.9)
        results[name, seed] = train(net, opt, loss_fn, make_loader(32, seed), EPOCHS,
                                    val_data=(data.X_val, data.y_val), scheduler=as_lambda_lr(opt, key, **params),
                                    scheduler_interval="step", progress=False)
print(f"{'schedule':<12}{'val acc (seed 0)':>17}{'val acc (seed 1)':>17}{'train loss (mean)':>19}")
for name in schedules:
    a0, a1 = results[name, 0].final_val_acc, results[name, 1].final_val_acc
    tl = np.mean([results[name, s].epoch_train_loss[-1] for s in (0, 1)])
    print(f"{name:<12}{a0:>17.3f}{a1:>17.3f}{tl:>19.4f}")

# %% slideshow={"slide_type": "subslide"}
fig, (ax0, ax1) = new_figure(1, 2, figsize=(12.0, 4.2))
plot_losses({name: results[name, 0].epoch_train_loss for name in schedules}, ax=ax0, logy=True,
            title="Training loss per epoch (seed 0)", xlabel="epoch", ylabel="training loss")
plot_losses({name: results[name, 0].step_lr for name in schedules}, ax=ax1,
            title="The learning rate of every update", xlabel="update", ylabel=r"learning rate $\eta$")
fig

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice.** At this peak learning rate the constant schedule never leaves the noise
# floor of $\eta = 0.25$: its final training loss is several times higher than that of any
# decaying schedule, and its validation accuracy is several points lower, for both seeds. The
# three decaying schedules end within three points of each other, the ones that decay smoothly to
# 0 (cosine, one-cycle) lowest in training loss. Both seeds rank them step < cosine < one-cycle in
# accuracy, but the gaps are not much larger than the differences between the two seeds of one
# schedule: two seeds are too few to be sure of that order. What a schedule surely buys here is
# the right to use a large learning rate early and still end quietly.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. Chaining schedulers
#
# Two ways to combine torch schedulers:
#
# - `SequentialLR(opt, [s1, s2], milestones=[m])` runs `s1` for the first `m` steps and then `s2`,
#   whose clock starts at 0 at the milestone: warmup then cosine is exactly this.
# - `ChainedScheduler([s1, s2])` steps both at every step, and their factors multiply. Seed 001's
#   example (`ExponentialLR(gamma=0.9)` with `MultiStepLR(milestones=[30, 80], gamma=0.1)`, both
#   stepped each epoch) is this. Note that its loop runs for 10 epochs, so its milestones never fire.

# %%
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


t = np.arange(100)
closed_chain = 0.1 * 0.97**t * 0.1 ** ((t >= 30).astype(int) + (t >= 80).astype(int))
chain, both, seq = torch_lrs(chained, 0.1, 100), torch_lrs(BothStepped, 0.1, 100), torch_lrs(sequential, 0.1, 100)
print("ChainedScheduler vs both stepped:         ", compare_lrs(chain, both))
print("ChainedScheduler vs 0.1 * 0.97^t * 0.1^(milestones passed):", compare_lrs(chain, closed_chain))
print("SequentialLR vs warmup_cosine(W=10, T=100):", compare_lrs(seq, schedule_lrs(
    get_schedule("warmup_cosine", warmup_steps=10, total_steps=100, start_factor=0.1), 0.1, 100)))

# %% slideshow={"slide_type": "subslide"}
fig, (ax0, ax1) = new_figure(1, 2, figsize=(12.0, 3.8))
ax0.plot(t, seq, label="LinearLR, then cosine")
ax0.axvline(10, color="black", linestyle=":", label="milestone")
ax1.plot(t, chain, label="ExponentialLR x MultiStepLR")
for m in (30, 80):
    ax1.axvline(m, color="black", linestyle=":", label="milestones" if m == 30 else None)
ax1.set_yscale("log")
for ax, title in ((ax0, "SequentialLR: one after the other"), (ax1, "ChainedScheduler: multiplied (log scale)")):
    ax.set_xlabel("step $t$")
    ax.set_ylabel(r"learning rate $\eta_t$")
    ax.set_title(title)
    ax.legend(loc="upper right")
fig

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 1: cosine with linear warmup
#
# Write `warmup_then_cosine(t, base_lr, warmup_steps, total_steps, start_factor)` so that it equals
# torch's `SequentialLR([LinearLR(start_factor=start_factor, total_iters=warmup_steps),
# CosineAnnealingLR(T_max=total_steps - warmup_steps)], milestones=[warmup_steps])` at every step
# $t = 0, \dots,$ `total_steps` (with `eta_min = 0`). Do not use `course_utils.schedules`.

# %% tags=["solution"]
def warmup_then_cosine(t, base_lr, warmup_steps, total_steps, start_factor):
    if t < warmup_steps:
        return base_lr * (start_factor + (1 - start_factor) * t / warmup_steps)
    return base_lr * (1 + math.cos(math.pi * (t - warmup_steps) / (total_steps - warmup_steps))) / 2


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

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - A schedule is a function $\eta_t = s(t, \eta_0)$ of the number of `scheduler.step()` calls;
#   the course's functions equal torch's schedulers to rounding error.
# - Step per batch or per epoch, with the schedule's length in the same unit, and always after
#   `optimizer.step()`: the other order skips the first value and torch warns.
# - Seed 000's $1/(1 + k\,t)$ decay is computed from $\eta_0$; applied to the current rate it compounds.
# - `ReduceLROnPlateau` cuts the rate when the validation loss stalls; here it cut once, after
#   epoch 6, and the validation loss halved in the next epoch.
# - Adam's adaptive learning rate is unreliable in the first tens of steps (about a quarter of the
#   coordinates more than three times too large at $t = 1$); warmup, or RAdam's rectification,
#   keeps those steps small.
# - At a large peak learning rate, every decaying schedule beat the constant one on digits, in
#   training loss and in validation accuracy, for both seeds; between the decaying schedules, this
#   run cannot tell.
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
