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
# The learning rate is the hyperparameter that matters most, and the one that is hardest to guess:
# too small and training crawls, too large and it blows up. The *learning-rate range test*
# (Smith 2017; the "LR finder" of fastai) finds a good value in one short run: it trains for a few
# hundred steps while it raises the learning rate geometrically, watches the loss, and stops
# when the loss explodes. The largest learning rate at which the loss still falls fast is a good
# base learning rate. This notebook builds the test from its parts (the geometric sequence,
# setting the learning rate of a torch optimizer, a bias-corrected average of a noisy loss, a
# divergence check), runs it first on 2-D surfaces where we can check it against the truth, then
# on a small network, compares three rules for reading off a learning rate, checks by training that
# the suggestion works and that ten times more does not, and ends with what the test cannot do.
#
# **Learning objectives**
# - Explain the range test: one run, a learning rate growing geometrically, the largest learning
#   rate before the loss diverges.
# - Set the learning rate of any torch optimizer (it lives in `optimizer.param_groups`).
# - Smooth a noisy loss with a bias-corrected EWMA and explain what goes wrong without the correction.
# - Read three suggestions off the curve (steepest descent, minimum / 10, valley) and check one by training.
# - Name the limits of the test: one short run, and a result that depends on the batch size and the initialisation.
#
# **Prerequisites:** 00 · Gradient descent (the stability limit $2/\lambda_{\max}$),
# 01 · EWMA and bias correction, 02 · Momentum, 04 · Adam, 05 · Mini-batches.
#
# **Time to complete:** about 50 minutes

# %%
import copy

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from course_utils import (
    GD,
    PALETTE,
    Trajectory,
    check_lr_pick,
    check_lr_sequence,
    check_set_lr,
    ewma,
    load_digits,
    lr_range_test,
    lr_schedule,
    make_mlp,
    new_figure,
    pathological,
    plot_contour,
    plot_losses,
    plot_lr_finder,
    quadratic,
    run_trajectory,
    setup_notebook,
    train,
)

DEVICE = setup_notebook(seed=0)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. The idea: the largest learning rate before divergence
#
# **Intuition.** Train with a tiny learning rate and the loss barely moves. Make the learning
# rate larger and the loss falls faster, up to a point; past it, the steps overshoot and the loss
# goes up. Instead of training once per candidate learning rate, the range test makes *one* run
# in which the learning rate grows at every step, and reads the whole picture off one curve.
#
# **The math.** Step $i = 0, \dots, N-1$ uses
#
# $$\eta_i = \eta_\text{start}\left(\frac{\eta_\text{end}}{\eta_\text{start}}\right)^{i/(N-1)},$$
#
# so $\eta_0 = \eta_\text{start}$, $\eta_{N-1} = \eta_\text{end}$, and each learning rate is a
# constant factor $(\eta_\text{end}/\eta_\text{start})^{1/(N-1)}$ larger than the one before: the
# points are evenly spaced on a log axis, as many per decade at $10^{-3}$ as at $1$. (A linear
# sequence would spend almost all its steps in the last decade.) At each step the test records the
# loss $\ell_i$ of the batch, takes one optimizer step with $\eta_i$, and stops early once the
# loss has blown up. Afterwards it puts the model and the optimizer back as they were: the test
# must not leave a half-trained, possibly diverged model behind.
#
# **The code.** `lr_schedule` makes the sequence; `lr_range_test(model, optimizer, loss_fn,
# loader, start_lr, end_lr, num_iter)` runs the test.

# %%
print("exp:   ", np.round(lr_schedule(1e-3, 10.0, 5, "exp"), 4))
print("linear:", np.round(lr_schedule(1e-3, 10.0, 5, "linear"), 4))
print("ratio between consecutive exp lrs:", np.round(np.diff(np.log10(lr_schedule(1e-3, 10.0, 5))), 4), "decades")


# %% [markdown] slideshow={"slide_type": "subslide"}
# ### A case with a known answer
#
# On the quadratic $f(w) = \tfrac12 (w_0^2 + 10 w_1^2)$, gradient descent is stable exactly for
# $\eta < 2/\lambda_{\max} = 0.2$ (notebook 00). The range test needs a *model* (an `nn.Module`), a
# loss function and batches; a 2-D problem fits that mould with a module whose parameter is the
# point $w$ and whose output is $f(w)$, one dummy batch, and a loss function that passes the output
# through. The module also records where it has been.

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


ONE_BATCH = [(torch.zeros(1), torch.zeros(1))]  # the loader is cycled: one batch, used every step

bowl = Point(quadratic((1.0, 10.0)), [1.5, 1.5])
res_bowl = lr_range_test(bowl, GD(bowl.parameters()), passthrough, ONE_BATCH,
                         start_lr=1e-3, end_lr=10.0, num_iter=150, smooth_beta=0.0)
first_rise = res_bowl.lrs[np.flatnonzero(np.diff(res_bowl.losses) > 0)[0]]
print(res_bowl)
print(f"theory: GD diverges for lr > 2 / lambda_max = {2 / 10:.3f}")
print(f"the loss first rises at lr = {first_rise:.3f}; the test stopped at lr = {res_bowl.lrs[-1]:.3f}")
print(f"min/10 suggestion = {res_bowl.suggestions['min/10']:.4f}")
print(f"w after the test: {bowl.w.detach().numpy()} (restored to the start)")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice.** The test sees the blow-up *late*: the loss first rises at an lr about four
# times the true limit 0.2. Below 0.2 every step shrinks the steep direction by $|1 - 10\eta|$, so
# by the time $\eta$ passes 0.2 that component is tiny, and it takes a while of growing by
# $|1-10\eta| > 1$ per step before it shows in the loss. This is one reason why practitioners do not
# train at the edge the test finds but a good factor below it: "minimum / 10" lands below 0.2 here.
# (`smooth_beta=0.0` turns smoothing off: this loss has no noise.)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. On the pathological surface
#
# Seed 001 runs the test with Adam on the surface $\tanh^2 w_0 + 0.01|w_1| + \sigma(w_1)$ from
# $(-4, -4)$: a plateau (there $\tanh^2$ is flat), a valley along $w_0 = 0$ and a minimum near
# $(0, -4.59)$. We run it from the same start, with the learning rate growing from $10^{-3}$ to
# $100$ in 200 steps, and then check it the expensive way: one full run of 80 Adam steps per
# *constant* learning rate, for 12 learning rates.

# %%
point = Point(pathological, [-4.0, -4.0])
res_path = lr_range_test(point, torch.optim.Adam(point.parameters()), passthrough, ONE_BATCH,
                         start_lr=1e-3, end_lr=100.0, num_iter=200, smooth_beta=0.9)
print(res_path)
print(f"the test stopped ({res_path.stop_reason}) at lr = {res_path.lrs[-1]:.3g}; "
      f"lowest smoothed loss at lr = {res_path.lr_at_min:.3g}")

sweep_lrs = np.geomspace(1e-2, 30.0, 12)
sweep = [run_trajectory(pathological, torch.optim.Adam, [-4.0, -4.0], 80, lr=float(lr)) for lr in sweep_lrs]
sweep_final = np.array([tr.final_loss for tr in sweep])
good = sweep_lrs[sweep_final < 0.06]
print(f"sweep: {len(sweep_lrs)} runs x 80 steps = {80 * len(sweep_lrs)} steps; the range test: {len(res_path)} steps")
print(f"constant lrs that end within 0.004 of the minimum's loss {pathological(0.0, -4.585).item():.4f}: "
      f"{good.min():.3g} to {good.max():.3g}")

# %% slideshow={"slide_type": "subslide"}
fig, (ax0, ax1) = new_figure(1, 2, figsize=(12.0, 4.6))
plot_lr_finder(res_path, ax=ax0, title="Range test (one run) vs sweep (one run per lr)")
ax0.plot(sweep_lrs, sweep_final, "o:", color=PALETTE[6], label="sweep: final loss after 80 steps")
ax0.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
path = torch.stack(point.path).numpy()
finder_path = Trajectory(path, np.array([pathological(*p).item() for p in path]), label="range-test path")
plot_contour(pathological, [finder_path], ax=ax1, title="Where the range test took the point",
             markersize=2.0)
fig

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice.**
# - The range test used the number of steps printed above; the sweep used 960. Both agree on the shape: small learning
#   rates do not get off the plateau, a wide middle range reaches the minimum, and past a few units
#   the loss goes back up (Adam's steps are about $\eta$ long, and a step of several units throws
#   the point back onto the plateau).
# - The range test's curve drops later (to the right of where the sweep starts to work): it is one
#   run, so the loss it shows at $\eta_i$ is the loss *after* all the steps with smaller learning
#   rates. Each of the sweep's runs had 80 steps at a fixed learning rate.
# - On this surface the loss at large $\eta$ is bounded (by about 1.06, the plateau's value): the
#   test stops because the smoothed loss exceeds 5 times its best value, not because it is infinite.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. A small network on digits
#
# Now the real use: a multi-layer perceptron (64 → 32 → 10, ReLU) on scikit-learn's 8×8 digits,
# SGD with momentum 0.9, batches of 32. The test runs 200 steps from $10^{-3}$ to $10$; with 42
# batches per epoch that is under five epochs of data, far less than a training run.

# %%
data = load_digits()
loss_fn = nn.CrossEntropyLoss()


def make_loader(batch_size, seed=0):
    """Shuffled batches of the training set, in a reproducible order."""
    return DataLoader(data.train_dataset(), batch_size=batch_size, shuffle=True,
                      generator=torch.Generator().manual_seed(seed))


model = make_mlp([64, 32, 10], seed=0)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
before = copy.deepcopy(model.state_dict())
finder = lr_range_test(model, optimizer, loss_fn, make_loader(32), start_lr=1e-3, end_lr=10.0,
                       num_iter=200, smooth_beta=0.9)
print(finder)
print("parameters unchanged after the test:", all(torch.equal(before[k], v) for k, v in model.state_dict().items()))
print("optimizer lr unchanged:", optimizer.param_groups[0]["lr"])

# %% slideshow={"slide_type": "subslide"}
fig = plot_lr_finder(finder, title="Range test: MLP on digits, SGD (momentum 0.9), B = 32")
fig

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice.** The curve has the classic shape: flat while the learning rate is too small
# to do anything, a steep descent, a minimum, and a blow-up after which the test stopped
# ("diverged"). The raw per-batch losses (faint) are much noisier than the smoothed curve: the
# next section is about that.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. Why smoothing, and why bias correction
#
# Every raw loss is measured on a different batch of 32 images, so it jumps around; the shape
# we want is hidden in that noise, and a single unlucky batch could trigger the divergence check.
# The test smooths with the EWMA of notebook 01, with bias correction:
#
# $$v_i = \beta v_{i-1} + (1-\beta)\ell_i,\quad v_0 = 0,\qquad \hat v_i = \frac{v_i}{1-\beta^i}.$$
#
# Without the correction, $v_i$ starts near 0 (it is $(1-\beta)\ell_1$ at $i = 1$) and climbs for
# about $1/(1-\beta)$ steps. For the test that is doubly wrong: the first part of the curve is
# meaningless, and the divergence check "loss > 5 × best so far" compares against a best value
# that is artificially close to 0. The smoothing has a price too: the average lags behind the raw
# loss, by more as $\beta$ approaches 1.

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
print(f"a divergence check on the uncorrected EWMA fires at step {false_alarm} (lr = {finder.lrs[false_alarm]:.4f}), "
      f"where the raw loss is still {finder.losses[false_alarm]:.3f}")
print(f"lowest point: raw (smoothed over 5 steps) at lr {finder.lrs[np.argmin(np.convolve(finder.losses, np.ones(5) / 5, 'same'))]:.3f}, "
      f"beta 0.9 at lr {finder.lrs[np.argmin(corrected)]:.3f}, beta 0.98 at lr {finder.lrs[np.argmin(corrected_98)]:.3f}")

# %% slideshow={"slide_type": "subslide"}
fig, ax = new_figure(figsize=(7.5, 4.4))
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
ax.legend(loc="lower left")
fig

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice.** The corrected average starts exactly at the first loss; the uncorrected one
# starts at a tenth of it, and a divergence check built on it would stop the test after a handful
# of steps, while the learning rate is still tiny and the raw loss has not moved. With
# $\beta = 0.98$ (the common default, an average over about 50 steps) and only 200 steps, the
# curve lags visibly and its minimum moves to a larger learning rate; $\beta = 0.9$ (about 10
# steps, a fifth of a decade here) keeps the shape. Choose $\beta$ with the number of steps per decade in mind.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Three ways to read off a learning rate
#
# All three rules look at the smoothed curve, and only at its descent: from a tenth of the way in
# (the first points rest on few batches) up to the minimum (what follows is the blow-up).
#
# - **steepest**: where the loss falls fastest per unit of $\log \eta$, the most negative
#   $d\hat v / d\ln\eta$ (the suggestion of the `torch-lr-finder` package);
# - **min/10**: the learning rate of the lowest loss, divided by 10 (the edge, with a safety factor);
# - **valley** (fastai's default): the longest stretch over which the loss keeps going down (the
#   longest decreasing subsequence, so a noisy uptick does not end it), and the point halfway along it.

# %%
print(f"{'rule':<10}{'lr':>10}")
for name, lr in finder.suggestions.items():
    print(f"{name:<10}{lr:>10.4f}")
print(f"{'edge':<10}{finder.lr_at_min:>10.4f}   (lowest smoothed loss)")
print(f"{'stopped':<10}{finder.lrs[-1]:>10.4f}   ({finder.stop_reason})")

# %% [markdown] slideshow={"slide_type": "fragment"}
# The three rules agree within a factor of about three, all well below the edge; steepest is the
# boldest, min/10 and valley are close to each other here. Which one is right can only be answered
# by training.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. Does the suggestion train well?
#
# The claim behind the test: a learning rate it suggests trains well, and one ten times larger
# does not. We train the same network from the same initialisation for 10 epochs with the
# *steepest* suggestion, ten times less and ten times more, and with the valley suggestion and ten
# times more.

# %%
s, v = finder.suggestions["steepest"], finder.suggestions["valley"]
runs = {"steepest / 10": s / 10, "steepest": s, "10 x steepest": 10 * s, "valley": v, "10 x valley": 10 * v}
histories = {}
for name, lr in runs.items():
    net = make_mlp([64, 32, 10], seed=0)
    opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9)
    histories[name] = train(net, opt, loss_fn, make_loader(32), epochs=10,
                            val_data=(data.X_val, data.y_val), progress=False)
print(f"{'run':<15}{'lr':>8}{'final val acc':>15}{'final val loss':>16}")
for name, lr in runs.items():
    h = histories[name]
    print(f"{name:<15}{lr:>8.4f}{h.final_val_acc:>15.3f}{h.final_val_loss:>16.3f}")

# %% slideshow={"slide_type": "subslide"}
fig, (ax0, ax1) = new_figure(1, 2, figsize=(12.0, 4.4))
plot_losses({f"{k} ({runs[k]:.3g})": h.epoch_train_loss for k, h in histories.items()}, ax=ax0,
            title="Training loss per epoch", xlabel="epoch", ylabel="training loss")
plot_losses({f"{k} ({runs[k]:.3g})": h.epoch_val_acc for k, h in histories.items()}, ax=ax1,
            title="Validation accuracy per epoch", xlabel="epoch", ylabel="validation accuracy")
ax0.set_ylim(0, 2.5)
ax1.set_ylim(0, 1)
fig

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice.** The steepest suggestion reaches about 96% validation accuracy in 10 epochs;
# ten times more wrecks the run (18%, not far above the 10% of guessing among ten classes: the
# training loss never gets below 1.8), and ten times less is still behind after 10 epochs (92%). The valley suggestion
# is more cautious: it trains as well as steepest, and ten times valley still trains, though
# clearly worse than valley itself. The claim holds for the steepest point; the valley rule leaves
# more headroom, which is what makes it a safe default.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. The limits of the test
#
# - **One short run.** The loss at $\eta_i$ is measured on a model that has already trained with
#   all the smaller learning rates, for a few hundred steps; the test says nothing about how a
#   learning rate behaves late in training (that is what schedules are for, notebook 07).
# - **It depends on the batch size.** A larger batch averages the gradient over more examples (less
#   noise, notebook 05) and usually tolerates a larger learning rate (Goyal et al. 2017). Rerun the
#   test when you change the batch size.
# - **It depends on the initialisation** (and the data order): the test is one random run.
#
# Here are four runs: two batch sizes, two initialisation seeds.

# %%
limits = {(32, 0): finder}  # section 3's run
for batch_size, seed in ((32, 1), (128, 0), (128, 1)):
    net = make_mlp([64, 32, 10], seed=seed)
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    limits[(batch_size, seed)] = lr_range_test(net, opt, loss_fn, make_loader(batch_size), 1e-3, 10.0,
                                               num_iter=200, smooth_beta=0.9)
print(f"{'B':>4}{'seed':>6}{'steepest':>10}{'valley':>9}{'min/10':>9}{'edge':>8}{'stopped at':>12}")
for (batch_size, seed), r in limits.items():
    sug = r.suggestions
    print(f"{batch_size:>4}{seed:>6}{sug['steepest']:>10.4f}{sug['valley']:>9.4f}{sug['min/10']:>9.4f}"
          f"{r.lr_at_min:>8.3f}{r.lrs[-1]:>12.3f}")
for rule in ("steepest", "valley", "min/10"):
    values = [r.suggestions[rule] for r in limits.values()]
    print(f"{rule}: largest / smallest over the four runs = {max(values) / min(values):.2f}")

# %% slideshow={"slide_type": "subslide"}
fig, ax = new_figure(figsize=(7.5, 4.4))
for i, ((batch_size, seed), r) in enumerate(limits.items()):
    ax.plot(r.lrs, r.smoothed, color=PALETTE[i], linestyle="-" if batch_size == 32 else "--",
            label=f"B = {batch_size}, seed {seed}")
ax.set_xscale("log")
ax.set_ylim(0, 3.0)
ax.set_xlabel(r"learning rate $\eta$ (log scale)")
ax.set_ylabel(r"smoothed training loss ($\beta = 0.9$)")
ax.set_title("The range test for two batch sizes and two seeds")
ax.legend(loc="lower left")
fig

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice.** The four descents nearly coincide, so the steepest point hardly moves. The
# runs differ at the edge: with $B = 128$ the loss keeps falling up to a learning rate more than
# three times larger and reaches a lower value before it turns (each of its 200 steps averages the
# gradient over four times as many examples), so min/10 and the valley move by the factors printed
# above. Between the two seeds the curves differ in detail. Treat a suggestion as an order of
# magnitude to start from, not a precise value, and rerun the test when the batch size changes.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 1: the exponential sequence
#
# Write `exp_lr_sequence(start_lr, end_lr, num_iter)` returning the `num_iter` learning rates
# $\eta_i = \eta_\text{start}(\eta_\text{end}/\eta_\text{start})^{i/(N-1)}$, $i = 0, \dots, N-1$
# (a list, a NumPy array or a tensor). Do not call `lr_schedule`.

# %% tags=["solution"]
def exp_lr_sequence(start_lr, end_lr, num_iter):
    i = np.arange(num_iter)
    return start_lr * (end_lr / start_lr) ** (i / (num_iter - 1))


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
# Run the cell below, which does the same for three steps, and look at the learning rate the
# optimizer holds. What is wrong? Then write `set_lr(optimizer, lr)`, which makes every parameter
# group of any torch optimizer use `lr` from the next step on.

# %%
w = nn.Parameter(torch.tensor([-4.0, -4.0]))
optim = torch.optim.Adam([w], lr=0.01)
for k, lr in enumerate([0.01, 0.1, 1.0]):
    optim.lr = lr
    optim.zero_grad()
    pathological(w[0], w[1]).backward()
    optim.step()
    print(f"step {k}: optim.lr = {optim.lr}, optim.param_groups[0]['lr'] = {optim.param_groups[0]['lr']}")


# %% tags=["solution"]
def set_lr(optimizer, lr):
    for group in optimizer.param_groups:
        group["lr"] = lr


# %%
check_set_lr(set_lr)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 3: pick a learning rate from the plot
#
# Look at the range test of section 3 (the figure there, or `plot_lr_finder(finder)`), *without*
# using `finder.suggestions`. Which learning rate would you train with? Write it as `my_lr`.

# %% tags=["solution"]
my_lr = 0.05

# %%
check_lr_pick(my_lr, finder)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - The range test trains once while the learning rate grows geometrically,
#   $\eta_i = \eta_\text{start}(\eta_\text{end}/\eta_\text{start})^{i/(N-1)}$, and stops when the
#   loss blows up; the interesting learning rates are on the descent, below the minimum.
# - It sets the learning rate through `optimizer.param_groups`; `optimizer.lr = ...` does nothing
#   for a torch optimizer. It puts the model and the optimizer back afterwards.
# - The per-batch loss is noisy: smooth it with a *bias-corrected* EWMA. Without the correction the
#   curve starts near 0 and the divergence check fires at once; with $\beta$ too close to 1 the
#   curve lags.
# - The test detects divergence late (on the quadratic, at about four times $2/\lambda_{\max}$), so
#   suggestions sit well below the edge: steepest descent, min/10, or the valley.
# - On digits, the steepest suggestion trained to about 96% and ten times more failed; the valley
#   suggestion is more cautious still. The answer moves with batch size and seed: a starting point,
#   not a law.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## References
#
# - Leslie N. Smith, "Cyclical learning rates for training neural networks", WACV 2017 (the
#   learning-rate range test).
# - Leslie N. Smith and Nicholay Topin, "Super-convergence: very fast training of neural networks
#   using large learning rates", 2019 (the range test to pick the peak of the one-cycle policy).
# - Jeremy Howard and Sylvain Gugger, "Fastai: a layered API for deep learning", *Information*
#   11(2), 2020 (the `lr_find` of fastai; its `valley` rule is in the library's source).
# - Priya Goyal et al., "Accurate, large minibatch SGD: training ImageNet in 1 hour", 2017 (the
#   learning rate grows with the batch size; warmup).
# - Liyuan Liu et al., "On the variance of the adaptive learning rate and beyond", ICLR 2020 (RAdam;
#   why adaptive methods need a warmup, notebook 07).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What's next
#
# The range test picks *one* learning rate for the start of training. Notebook 07 changes the
# learning rate *during* training: step decay, cosine annealing, warm restarts, warmup and the
# one-cycle policy, whose peak is often chosen with exactly this test.
