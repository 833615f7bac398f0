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
# # 06 · The learning-rate range test
#
# One short training run in which the learning rate grows at every update shows where training
# works and where it blows up. We write the test, check it where the answer is known, run it on a
# small network, read three suggestions off its curve, and train to see that they work and that
# ten times more does not.
#
# **Learning objectives**
# - Write the range test: a geometric learning-rate sweep, a bias-corrected smoothed loss, a
#   divergence stop, and the model and optimizer put back afterwards.
# - Set the learning rate of any torch optimizer (it lives in `optimizer.param_groups`).
# - Read three suggestions off the curve (steepest, minimum / 10, valley) and check them by training.
# - Name the limits of the test: one short run, and an answer that moves with the batch size and the seed.
#
# **Prerequisites:** 00 · Gradient descent ($2/\lambda_{\max}$), 01 · EWMA and bias correction,
# 02 · Momentum, 04 · Adam, 05 · Mini-batches.
#
# **Time to complete:** about 50 minutes

# %% [markdown] slideshow={"slide_type": "skip"}
# **Where the test comes from.** The learning rate is the hyperparameter that matters most and the
# hardest to guess. Leslie Smith (2017) introduced the *LR range test* to choose the two bounds of a
# cyclical learning rate: train for a few epochs while the learning rate rises *linearly* from a low
# to a high value, plot the *accuracy* against the learning rate, and read off where the accuracy
# starts to rise and where it flattens, turns ragged or falls. The version built here, and the one
# most libraries ship, is that of fastai's `lr_find` (Howard & Gugger 2020) and of the
# `torch-lr-finder` package: the learning rate grows *geometrically* over a few hundred mini-batches,
# the *training loss* of each batch is recorded and smoothed with an exponentially weighted average,
# the run stops once the smoothed loss exceeds a multiple of its best value (4 in fastai, 5 in
# torch-lr-finder), and the model is put back as it was. fastai bias-corrects its average
# ($\beta = 0.98$, as notebook 01 does); torch-lr-finder starts its average at the first loss, which
# avoids the start-up bias another way. This notebook uses $\beta = 0.9$ and the factor 5.

# %% slideshow={"slide_type": "skip"}
import copy
import math

import numpy as np
import torch
from torch import nn

from course_utils import (
    GD,
    PALETTE,
    Trajectory,
    check_lr_pick,
    check_lr_sequence,
    check_set_lr,
    ewma,
    fmt_diff,
    load_digits,
    lr_range_test,
    lr_schedule,
    make_mlp,
    new_figure,
    pathological,
    plot_contour,
    plot_lr_finder,
    quadratic,
    run_trajectory,
    setup_notebook,
    train,
)

DEVICE = setup_notebook(seed=0)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. One run, a growing learning rate
#
# Too small a learning rate and the loss barely moves; larger, and it falls faster, up to a point;
# past it the steps overshoot and the loss goes up. The range test sees all of that in *one* run,
# in which update $t = 1, \dots, T$ uses
#
# $$\eta_t = \eta_\text{start}\left(\frac{\eta_\text{end}}{\eta_\text{start}}\right)^{(t-1)/(T-1)}:$$
#
# $\eta_1 = \eta_\text{start}$, $\eta_T = \eta_\text{end}$, and each learning rate is the one before
# times the constant factor $(\eta_\text{end}/\eta_\text{start})^{1/(T-1)}$: evenly spaced on a log
# axis, as many per decade at $10^{-3}$ as at $1$.

# %% [markdown] slideshow={"slide_type": "skip"}
# A linear sequence (Smith's original choice, for a range of about one decade) would spend almost
# all its updates in the last decade of a wide range. `lr_schedule(start, end, T, mode)` of
# `course_utils` makes either sequence:

# %%
print("exp:   ", np.round(lr_schedule(1e-3, 10.0, 5, "exp"), 4))
print("linear:", np.round(lr_schedule(1e-3, 10.0, 5, "linear"), 4))
print("ratio between consecutive exp lrs:", np.round(np.diff(np.log10(lr_schedule(1e-3, 10.0, 5))), 4), "decades")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The algorithm
#
# For $t = 1, \dots, T$:
# 1. set the learning rate of every parameter group of the optimizer to $\eta_t$;
# 2. take the next batch $\mathcal{B}_t$ (the loader starts again when it runs out), compute its
#    loss $\tilde{\mathcal{L}}_t$ at $\theta_{t-1}$, and take one optimizer step to $\theta_t$;
# 3. smooth: $a_t = \beta a_{t-1} + (1-\beta)\tilde{\mathcal{L}}_t$ with $a_0 = 0$, and
#    $\hat a_t = a_t / (1 - \beta^t)$ (notebook 01; section 4 says why);
# 4. stop if $\tilde{\mathcal{L}}_t$ is not finite, or if $\hat a_t > 5 \min_{s \le t} \hat a_s$.
#
# 5. Afterwards, load back $\theta_0$ and the optimizer's state: the test must not leave a
#    half-trained, possibly diverged model behind.

# %% slideshow={"slide_type": "skip"}
def batches_forever(loader):
    """The loader's batches, pass after pass (a shuffling loader reshuffles each pass)."""
    while True:
        yield from loader


# %% slideshow={"slide_type": "subslide"}
def range_test(model, optimizer, loss_fn, loader, start_lr, end_lr, num_iter, beta=0.9, threshold=5.0):
    """Steps 1-5 above. Returns the lrs used, the raw and smoothed losses, and why it stopped."""
    lrs = start_lr * (end_lr / start_lr) ** (np.arange(num_iter) / (num_iter - 1))
    saved_model, saved_opt = copy.deepcopy(model.state_dict()), copy.deepcopy(optimizer.state_dict())
    batches, used, raw, smoothed = batches_forever(loader), [], [], []
    a, best, stop = 0.0, math.inf, "end_lr"
    for t, lr in enumerate(lrs, start=1):
        for group in optimizer.param_groups:  # 1. the lr lives in the parameter groups
            group["lr"] = float(lr)
        x, y = next(batches)  # 2. one batch, one step
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        used.append(float(lr))
        raw.append(loss.item())
        if not math.isfinite(raw[-1]):  # 4. stop on inf or nan, before stepping with it
            smoothed.append(math.nan)
            stop = "nan"
            break
        loss.backward()
        optimizer.step()
        a = beta * a + (1 - beta) * raw[-1]  # 3. the bias-corrected EWMA
        smoothed.append(a / (1 - beta**t))
        best = min(best, smoothed[-1])
        if smoothed[-1] > threshold * best:  # 4. stop on a blow-up
            stop = "diverged"
            break
    model.load_state_dict(saved_model)  # 5. put everything back
    optimizer.load_state_dict(saved_opt)
    return np.array(used), np.array(raw), np.array(smoothed), stop


# %% [markdown] slideshow={"slide_type": "subslide"}
# ### A case with a known answer
#
# On $f(w) = \tfrac12 (w_0^2 + 10 w_1^2)$, gradient descent is stable exactly for
# $\eta < 2/\lambda_{\max} = 0.2$ (notebook 00). To run the test, the point $w$ becomes the
# parameter of a module whose output is $f(w)$; one dummy batch serves every update, and the loss
# function passes the output through. No noise, so no smoothing: $\beta = 0$.

# %%
class Point(nn.Module):
    """A 2-D "model": its parameter is the point w, its output is the loss f(w)."""

    def __init__(self, landscape, start):
        super().__init__()
        self.landscape = landscape
        self.w = nn.Parameter(torch.tensor(start, dtype=torch.float64))
        self.path = []

    def forward(self, _x):
        self.path.append(self.w.detach().clone())
        return self.landscape(self.w[0], self.w[1])


def passthrough(out, _y):
    return out


ONE_BATCH = [(torch.zeros(1), torch.zeros(1))]  # a loader with one batch, used at every update

# %% slideshow={"slide_type": "subslide"}
bowl = Point(quadratic((1.0, 10.0)), [1.5, 1.5])
lrs_b, raw_b, smooth_b, stop_b = range_test(bowl, GD(bowl.parameters()), passthrough, ONE_BATCH,
                                            start_lr=1e-3, end_lr=10.0, num_iter=150, beta=0.0)
first_rise = lrs_b[np.flatnonzero(np.diff(raw_b) > 0)[0]]  # raw_b[t] is the loss after update t
print(f"{len(lrs_b)} updates, stopped: {stop_b}, at lr = {lrs_b[-1]:.3f}")
print(f"theory: GD diverges for lr > 2 / lambda_max = {2 / 10:.3f}")
print(f"the first update that raises the loss has lr = {first_rise:.3f}")
print(f"lowest loss at lr = {lrs_b[np.argmin(smooth_b)]:.3f}; that lr / 10 = {lrs_b[np.argmin(smooth_b)] / 10:.4f}")
print(f"w after the test: {bowl.w.detach().numpy()} (put back at the start)")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice.** The test sees the blow-up *late*: the loss first rises at about four times
# the true limit 0.2, and the lowest loss is there too. A tenth of it lands below 0.2.

# %% [markdown] slideshow={"slide_type": "skip"}
# Why late: below $\eta = 0.2$ every update multiplies the steep coordinate $w_1$ by $1 - 10\eta$,
# of size below 1, so by the time $\eta$ passes 0.2 that coordinate is tiny; it then grows by
# $|1 - 10\eta| > 1$ per update, and it takes a while before it outweighs the still-shrinking
# $w_0$ in the loss. This is one reason why practitioners train well below the edge the test shows:
# "minimum / 10" is below the true limit here.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. On the pathological surface
#
# Seed 001 runs the test with Adam on $\tanh^2 w_0 + 0.01|w_1| + \operatorname{sigmoid}(w_1)$ from
# $(-4, -4)$: a plateau where $\tanh^2 w_0$ is flat, a valley along $w_0 = 0$ and a minimum at
# $(0, -4.585)$. The learning rate grows from $10^{-3}$ to $100$ over 200 updates (`lr_range_test`,
# the package's version of our loop, which also computes the suggestions of section 5). We check it
# the expensive way: 80 Adam updates at each of 12 *constant* learning rates.

# %%
point = Point(pathological, [-4.0, -4.0])
res_path = lr_range_test(point, torch.optim.Adam(point.parameters()), passthrough, ONE_BATCH,
                         start_lr=1e-3, end_lr=100.0, num_iter=200, smooth_beta=0.9)
print(res_path)
print(f"stopped ({res_path.stop_reason}) at lr = {res_path.lrs[-1]:.3g}; lowest smoothed loss at "
      f"lr = {res_path.lr_at_min:.3g}; highest raw loss {res_path.losses.max():.2f}")

# %% slideshow={"slide_type": "skip"}
sweep_lrs = np.geomspace(1e-2, 30.0, 12)
sweep = [run_trajectory(pathological, torch.optim.Adam, [-4.0, -4.0], 80, lr=float(lr)) for lr in sweep_lrs]
sweep_final = np.array([tr.final_loss for tr in sweep])
w_star = pathological.critical_points[0]
f_star = pathological(w_star.x, w_star.y).item()
good = sweep_lrs[sweep_final < f_star + 0.004]

# %% slideshow={"slide_type": "subslide"}
print(f"sweep: {len(sweep_lrs)} runs x 80 updates = {80 * len(sweep_lrs)} updates; the range test: {len(res_path)}")
print(f"the minimum: w = ({w_star.x:.0f}, {w_star.y:.3f}), loss {f_star:.4f}")
print(f"constant lrs that end within 0.004 of it: {good.min():.3g} to {good.max():.3g}")

# %% slideshow={"slide_type": "skip"}
fig, (ax0, ax1) = new_figure(1, 2, figsize=(9.5, 4.2))
plot_lr_finder(res_path, ax=ax0, title="Range test (one run) vs sweep (a run per lr)")
ax0.plot(sweep_lrs, sweep_final, "o:", color=PALETTE[6], label="sweep: loss after 80 updates")
ax0.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2, fontsize=8)
path = torch.stack(point.path).numpy()
finder_path = Trajectory(path, np.array([pathological(*p).item() for p in path]), label="range-test path")
_ = plot_contour(pathological, [finder_path], ax=ax1, title="Where the range test took the point",
                 markersize=2.0)

# %% slideshow={"slide_type": "subslide"}
fig

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice.** One run of the range test and twelve runs of the sweep agree on the shape:
# small learning rates stay on the plateau, a wide middle range reaches the minimum, and past a few
# units the loss goes back up.

# %% [markdown] slideshow={"slide_type": "skip"}
# Adam's steps are about $\eta$ long, so a step of several units throws the point off the valley.
# The range test's curve drops later than the sweep's: the loss it shows at $\eta_t$ comes after
# only a few updates near $\eta_t$ (and many smaller ones), while each run of the sweep had 80
# updates at its learning rate. The loss here never becomes infinite (the highest raw loss, 1.06, is
# the plateau's value): the test stops because the smoothed loss exceeds 5 times its best value.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. A small network on digits
#
# A multi-layer perceptron (64 → 32 → 10, ReLU) on scikit-learn's 8×8 digits, SGD with momentum
# 0.9, batches of 32 (`data.train_loader(32, seed)`: reshuffled every epoch, the last, partial
# batch kept). The test runs 200 updates from $10^{-3}$ to $10$: under five epochs of data.

# %% [markdown] slideshow={"slide_type": "skip"}
# **Why float64.** Training is sensitive: a difference in the last bit of one addition (another
# CPU adds the terms of a matrix product in another order) can grow until it changes printed
# digits. In float64 that difference starts about $10^{9}$ times smaller, and the range tests of
# this notebook print the same digits on every machine; in float32 the point where a test stops
# already moves. The network and the conclusions are the same in float32. Longer training runs
# still amplify the difference: section 6 prints only what survives it.

# %%
data = load_digits(dtype=torch.float64)
loss_fn = nn.CrossEntropyLoss()


def mlp(seed):
    return make_mlp([64, 32, 10], seed=seed).double()


model = mlp(0)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
before = copy.deepcopy(model.state_dict())
finder = lr_range_test(model, optimizer, loss_fn, data.train_loader(32), start_lr=1e-3, end_lr=10.0,
                       num_iter=200, smooth_beta=0.9)
print(f"{len(data.X_train)} training images, batches of 32: {len(data.train_loader(32))} batches per epoch")
print(finder)
print("parameters unchanged after the test:", all(torch.equal(before[k], v) for k, v in model.state_dict().items()))
print("optimizer lr unchanged:", optimizer.param_groups[0]["lr"])

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Our loop and the package's
#
# The same model, optimizer and batches through `range_test` of section 1:

# %%
lrs_m, raw_m, smooth_m, stop_m = range_test(model, optimizer, loss_fn, data.train_loader(32), 1e-3, 10.0, 200)
print(f"updates: ours {len(lrs_m)}, lr_range_test {len(finder)}; stopped: ours {stop_m}, lr_range_test {finder.stop_reason}")
for what, ours, theirs in (("lrs", lrs_m, finder.lrs), ("raw losses", raw_m, finder.losses),
                           ("smoothed losses", smooth_m, finder.smoothed)):
    print(f"largest difference in the {what}: {fmt_diff(np.max(np.abs(ours - theirs)))}")
print("parameters unchanged:", all(torch.equal(before[k], v) for k, v in model.state_dict().items()))

# %% slideshow={"slide_type": "subslide"}
fig = plot_lr_finder(finder, title="Range test: MLP on digits, SGD (momentum 0.9), B = 32")
fig.set_size_inches(7.5, 4.2)
fig

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice.** The classic shape: flat while the learning rate is too small to do anything,
# a steep descent, a minimum, and a blow-up after which the test stopped. The raw per-batch losses
# (faint) are much noisier than the smoothed curve: the next section is about that.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. Why smoothing, and why bias correction
#
# Every raw loss comes from another batch of 32 images: it jumps around, and one unlucky batch could
# trigger the divergence check. Step 3 smooths it:
#
# $$a_t = \beta a_{t-1} + (1-\beta)\tilde{\mathcal{L}}_t,\quad a_0 = 0,\qquad \hat a_t = \frac{a_t}{1-\beta^t}.$$
#
# Without the correction, $a_1 = (1-\beta)\tilde{\mathcal{L}}_1$ starts near 0 and climbs for about
# $1/(1-\beta)$ updates.

# %% [markdown] slideshow={"slide_type": "skip"}
# For the test that is doubly wrong: the first part of the curve is meaningless, and the divergence
# check "smoothed loss > 5 × its best so far" compares against a best value that is artificially
# close to 0. Smoothing has a price too: the average lags behind the raw loss, by more as $\beta$
# approaches 1.

# %%
raw = torch.as_tensor(finder.losses)
uncorrected = ewma(raw, 0.9, bias_correction=False).numpy()
corrected = ewma(raw, 0.9, bias_correction=True).numpy()
corrected_98 = ewma(raw, 0.98, bias_correction=True).numpy()
print("first 3 raw losses:          ", np.round(finder.losses[:3], 4))
print("corrected EWMA (beta 0.9):   ", np.round(corrected[:3], 4), " (= finder.smoothed:",
      np.allclose(corrected, finder.smoothed), ")")
print("uncorrected EWMA (beta 0.9): ", np.round(uncorrected[:3], 4))
best = np.minimum.accumulate(uncorrected)
false_alarm = int(np.argmax(uncorrected > 5 * best))
print(f"a divergence check on the uncorrected EWMA fires at update t = {false_alarm + 1} "
      f"(lr = {finder.lrs[false_alarm]:.4f}), where the raw loss is still {finder.losses[false_alarm]:.3f}")
mean5 = np.convolve(finder.losses, np.ones(5) / 5, "same")
print(f"lowest point: raw (mean of 5 updates) at lr {finder.lrs[np.argmin(mean5)]:.3f}, "
      f"beta 0.9 at lr {finder.lrs[np.argmin(corrected)]:.3f}, beta 0.98 at lr {finder.lrs[np.argmin(corrected_98)]:.3f}")

# %% slideshow={"slide_type": "skip"}
fig, ax = new_figure(figsize=(7.5, 4.2))
ax.plot(finder.lrs, finder.losses, color=PALETTE[0], alpha=0.3, linewidth=1.0, label="raw loss")
ax.plot(finder.lrs, corrected, color=PALETTE[0], label=r"EWMA, $\beta=0.9$, bias-corrected")
ax.plot(finder.lrs, uncorrected, color=PALETTE[1], linestyle="--", label=r"EWMA, $\beta=0.9$, uncorrected")
ax.plot(finder.lrs, corrected_98, color=PALETTE[2], label=r"EWMA, $\beta=0.98$, bias-corrected")
ax.axvline(finder.lrs[false_alarm], color=PALETTE[1], linestyle=":", label="uncorrected check fires")
ax.set_xscale("log")
ax.set_ylim(0, 3.0)
ax.set_xlabel(r"learning rate $\eta$ (log scale)")
ax.set_ylabel("training loss")
ax.set_title("Raw, smoothed and uncorrected-smoothed losses")
_ = ax.legend(loc="lower left")

# %% slideshow={"slide_type": "subslide"}
fig

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice.** The corrected average starts exactly at the first loss; the uncorrected one
# starts at a tenth of it, and a check built on it stops the test after a handful of updates. With
# $\beta = 0.98$ the curve lags and its minimum moves to a larger learning rate.

# %% [markdown] slideshow={"slide_type": "skip"}
# $\beta = 0.98$ (fastai's default) averages over about 50 updates; with only 200 updates in four
# decades that is a whole decade of learning rates. $\beta = 0.9$ averages over about 10 updates, a
# fifth of a decade here, and keeps the shape. Choose $\beta$ with the number of updates per decade
# in mind.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Three ways to read off a learning rate
#
# Each rule looks at the smoothed curve, on its descent only: from a tenth of the way in (the first
# points rest on few batches) up to the minimum (after it comes the blow-up).
#
# - **steepest**: where the loss falls fastest per unit of $\ln\eta$, the most negative
#   $d\hat a / d\ln\eta$ (torch-lr-finder's suggestion; fastai's `steep`);
# - **min/10**: the learning rate of the lowest loss, the *edge*, divided by 10 (fastai's `minimum`);
# - **valley** (fastai's default): the longest stretch over which the loss keeps going down (the
#   longest decreasing subsequence, so a noisy uptick does not end it), and the point halfway along.

# %%
print(f"{'rule':<10}{'lr':>10}")
for name, lr in finder.suggestions.items():
    print(f"{name:<10}{lr:>10.4f}")
print(f"{'edge':<10}{finder.lr_at_min:>10.4f}   (lowest smoothed loss)")
print(f"{'stopped':<10}{finder.lrs[-1]:>10.4f}   ({finder.stop_reason})")

# %% [markdown] slideshow={"slide_type": "fragment"}
# The three rules agree within a factor of about three, all well below the edge; steepest is the
# boldest. Which one is right only training can tell.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. Does the suggestion train well?
#
# The claim behind the test: a learning rate it suggests trains well, and ten times more does not.
# We train the network for 10 epochs with the steepest and the valley suggestions, a tenth of
# steepest, and ten times each, three seeds each (the seed sets the initial weights and the order
# of the batches).

# %% slideshow={"slide_type": "skip"}
s, v, edge = finder.suggestions["steepest"], finder.suggestions["valley"], finder.lr_at_min
runs = {"steepest / 10": s / 10, "steepest": s, "valley": v, "10 x valley": 10 * v, "10 x steepest": 10 * s}
SEEDS = (0, 1, 2)
histories = {}
for name, lr in runs.items():
    for seed in SEEDS:
        net = mlp(seed)
        opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9)
        histories[name, seed] = train(net, opt, loss_fn, data.train_loader(32, seed), epochs=10,
                                      val_data=(data.X_val, data.y_val), progress=False)

# %%
print(f"the edge of the range test: lr = {edge:.4f}; seeds per lr: {len(SEEDS)}")
print(f"{'run':<15}{'lr':>8}{'past the edge':>15}{'val acc > 0.94':>16}{'learns':>10}")
for name, lr in runs.items():
    hs = [histories[name, seed] for seed in SEEDS]
    high = f"{sum(h.final_val_acc > 0.94 for h in hs)} of {len(SEEDS)}" if lr < edge else "-"
    learns = sum(np.median(h.epoch_val_acc[-5:]) > 0.5 for h in hs)
    print(f"{name:<15}{lr:>8.4f}{'yes' if lr > edge else 'no':>15}{high:>16}{learns:>5} of {len(SEEDS)}")

# %% [markdown] slideshow={"slide_type": "skip"}
# **What the table counts, and why it prints no accuracies.** "val acc > 0.94" counts the seeds
# whose final validation accuracy passes 94%, a level the good runs reach; "learns" counts the
# seeds whose validation accuracy over the last five epochs has a median above 0.5 (five times
# chance). Training a network with momentum at these learning rates is chaotic: a change in the
# last bit of one sum grows, step after step, until it moves the final accuracy. The course's
# perturbation check (every notebook re-run with the last bit of every sum and product moved, as
# on another CPU) moves the final accuracy of a steepest run by a few images, even in float64, and
# that of a run past the edge by several points. A count against a threshold far from the values
# does not move: it is what the table prints. For the runs past the edge only "learns" is robust.

# %% slideshow={"slide_type": "skip"}
fig, (ax0, ax1) = new_figure(1, 2, figsize=(9.5, 4.2))
epochs = np.arange(1, 11)
for i, (name, lr) in enumerate(runs.items()):
    for seed in SEEDS:
        h = histories[name, seed]
        label = f"{name} ({lr:.3g})" if seed == 0 else None
        ax0.plot(epochs, h.epoch_train_loss, color=PALETTE[i], linewidth=1.2, alpha=0.8, label=label)
        ax1.plot(epochs, h.epoch_val_acc, color=PALETTE[i], linewidth=1.2, alpha=0.8, label=label)
ax0.set(ylim=(0, 2.5), xlabel="epoch", ylabel="training loss", title="Training loss (3 seeds per lr)")
ax1.set(ylim=(0, 1), xlabel="epoch", ylabel="validation accuracy", title="Validation accuracy (3 seeds per lr)")
_ = ax1.legend(loc="lower right", fontsize=8)

# %% slideshow={"slide_type": "subslide"}
fig

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice.** Steepest and valley pass 94% in 10 epochs in every seed; a tenth of steepest,
# still climbing, in none. Ten times steepest never learns. Ten times valley, just past the edge,
# learns but erratically: its accuracy jumps from epoch to epoch and from seed to seed.

# %% [markdown] slideshow={"slide_type": "skip"}
# The claim holds for the steepest point. The valley suggestion trains as well and leaves more
# headroom: ten times valley lands just past the edge instead of far beyond it. That headroom is
# what makes the valley rule a safe default.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. The limits of the test
#
# - **One short run.** The loss at $\eta_t$ comes from a model that has trained with all the smaller
#   learning rates, for a few hundred updates; it says nothing about late training (notebook 07).
# - **It depends on the batch size.** A larger batch averages the gradient over more examples (less
#   noise, notebook 05) and usually tolerates a larger learning rate (Goyal et al. 2017).
# - **It depends on the initialisation** and the data order: the test is one random run.
#
# Four runs: two batch sizes, two seeds.

# %% slideshow={"slide_type": "skip"}
limits = {(32, 0): finder}  # section 3's run
for batch_size, seed in ((32, 1), (128, 0), (128, 1)):
    net = mlp(seed)
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    limits[batch_size, seed] = lr_range_test(net, opt, loss_fn, data.train_loader(batch_size), 1e-3, 10.0,
                                             num_iter=200, smooth_beta=0.9)

# %% slideshow={"slide_type": "subslide"}
print(f"{'B':>4}{'seed':>6}{'steepest':>10}{'valley':>9}{'min/10':>9}{'edge':>8}{'stopped at':>12}")
for (batch_size, seed), r in limits.items():
    sug = r.suggestions
    print(f"{batch_size:>4}{seed:>6}{sug['steepest']:>10.4f}{sug['valley']:>9.4f}{sug['min/10']:>9.4f}"
          f"{r.lr_at_min:>8.3f}{r.lrs[-1]:>12.3f}")
for rule in ("steepest", "valley", "min/10"):
    values = [r.suggestions[rule] for r in limits.values()]
    print(f"{rule}: largest / smallest over the four runs = {max(values) / min(values):.2f}")

# %% slideshow={"slide_type": "skip"}
fig, ax = new_figure(figsize=(7.5, 4.2))
for i, ((batch_size, seed), r) in enumerate(limits.items()):
    ax.plot(r.lrs, r.smoothed, color=PALETTE[i], linestyle="-" if batch_size == 32 else "--",
            label=f"B = {batch_size}, seed {seed}")
ax.set_xscale("log")
ax.set_ylim(0, 3.0)
ax.set_xlabel(r"learning rate $\eta$ (log scale)")
ax.set_ylabel(r"smoothed training loss ($\beta = 0.9$)")
ax.set_title("The range test for two batch sizes and two seeds")
_ = ax.legend(loc="lower left")

# %% slideshow={"slide_type": "subslide"}
fig

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice.** The four descents nearly coincide, so the steepest point hardly moves. With
# $B = 128$ the loss keeps falling up to a learning rate more than three times larger, so min/10 and
# the valley move. Treat a suggestion as an order of magnitude, and rerun the test when the batch
# size changes.

# %% [markdown] slideshow={"slide_type": "skip"}
# With $B = 128$ each of the 200 updates averages the gradient over four times as many examples,
# and the curve reaches a lower value before it turns; min/10 and the valley move by the factors
# printed above. Between the two seeds the curves differ in detail, and the test stops at a
# different learning rate.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 1: the exponential sequence
#
# Write `exp_lr_sequence(start_lr, end_lr, num_iter)` returning the `num_iter` learning rates
# $\eta_1, \dots, \eta_T$ of section 1 ($T$ = `num_iter`), as a list, a NumPy array or a tensor.
# Do not call `lr_schedule`.

# %% tags=["solution"]
def exp_lr_sequence(start_lr, end_lr, num_iter):
    t = np.arange(1, num_iter + 1)
    return start_lr * (end_lr / start_lr) ** ((t - 1) / (num_iter - 1))


# %%
check_lr_sequence(exp_lr_sequence)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 2: spot the bug
#
# Seed 001's finder sets the learning rate like this (on a torch optimizer):
#
# ```python
# optim = Adam([w], lr=lrs[0])
# for k in range(num_steps):
#     optim.lr = lrs[k]   # (!) change LR at each step
#     ...
# ```
#
# The cell below does the same for three updates. Which learning rate does the optimizer use? Then
# write `set_lr(optimizer, lr)`, which makes every parameter group of any torch optimizer use `lr`
# from the next update on.

# %% slideshow={"slide_type": "subslide"}
w = nn.Parameter(torch.tensor([-4.0, -4.0]))
optim = torch.optim.Adam([w], lr=0.01)
for t, lr in enumerate([0.01, 0.1, 1.0], start=1):
    optim.lr = lr
    optim.zero_grad()
    pathological(w[0], w[1]).backward()
    optim.step()
    print(f"update {t}: optim.lr = {optim.lr}, optim.param_groups[0]['lr'] = {optim.param_groups[0]['lr']}")


# %% tags=["solution"]
def set_lr(optimizer, lr):
    for group in optimizer.param_groups:
        group["lr"] = lr


# %%
check_set_lr(set_lr)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 3: pick a learning rate from the plot
#
# Look at the range test of section 3 (its figure, or `plot_lr_finder(finder)`) *without* looking
# at `finder.suggestions`. Which learning rate would you train with? Write it as `my_lr`.

# %% tags=["solution"]
my_lr = 0.05

# %%
check_lr_pick(my_lr, finder)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - One run, $\eta_t$ growing geometrically, the loss smoothed by a bias-corrected EWMA, a stop on
#   blow-up, the model and optimizer put back.
# - The learning rate lives in `optimizer.param_groups`.
# - The test sees the edge late: train well below it (steepest, min/10, valley).
# - Past the edge training is chaotic: ten times steepest never learned.
# - The answer moves with the batch size and the seed: a starting point.

# %% [markdown] slideshow={"slide_type": "skip"}
# In full:
# - The range test trains once while the learning rate grows geometrically,
#   $\eta_t = \eta_\text{start}(\eta_\text{end}/\eta_\text{start})^{(t-1)/(T-1)}$, and stops when the
#   smoothed loss blows up; the useful learning rates are on the descent, below the minimum. Smith's
#   original test raised the rate linearly and read the accuracy; the geometric sweep of the
#   smoothed training loss is fastai's and torch-lr-finder's.
# - It sets the learning rate through `optimizer.param_groups` (`optimizer.lr = ...` does nothing
#   for a torch optimizer) and puts the model and the optimizer back afterwards.
# - The per-batch loss is noisy: smooth it with a *bias-corrected* EWMA. Without the correction the
#   curve starts near 0 and the divergence check fires at once; with $\beta$ too close to 1 the curve lags.
# - The test detects divergence late (on the quadratic, at about four times $2/\lambda_{\max}$), so
#   suggestions sit well below the edge: steepest descent, min/10, or the valley.
# - On digits, the steepest and valley suggestions trained past 94% in every seed; ten times
#   steepest never learned, and ten times valley, just past the edge, learned erratically. The
#   answer moves with batch size and seed: a starting point, not a law.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## References
#
# - Leslie N. Smith, "Cyclical learning rates for training neural networks", WACV 2017 (the
#   learning-rate range test: a linear sweep, read off the accuracy).
# - Jeremy Howard and Sylvain Gugger, "Fastai: a layered API for deep learning", *Information*
#   11(2), 2020 (`lr_find`: the geometric sweep of the smoothed training loss; its `valley`,
#   `steep` and `minimum` rules are in the library's source).
# - The `torch-lr-finder` package (github.com/davidtvs/pytorch-lr-finder): the same test for PyTorch,
#   with the steepest-slope suggestion.
# - Leslie N. Smith and Nicholay Topin, "Super-convergence: very fast training of neural networks
#   using large learning rates", 2019 (the range test to pick the peak of the one-cycle policy).
# - Priya Goyal et al., "Accurate, large minibatch SGD: training ImageNet in 1 hour", 2017 (the
#   learning rate grows with the batch size).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What's next
#
# The range test picks *one* learning rate for the start of training. Notebook 07 changes the
# learning rate *during* training: step decay, cosine annealing, warm restarts, warmup and the
# one-cycle policy, whose peak is often chosen with exactly this test.
