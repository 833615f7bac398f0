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
# # 05 · Stochastic gradients and mini-batches
#
# Gradient descent needs the gradient of the loss over the whole training set at every step. Deep
# learning never pays that price: it estimates the gradient on a small random *mini-batch* of $B$
# examples and takes a step with the estimate. This notebook measures what that costs and what it
# buys. We watch SGD wander on the loss surface of a linear regression, measure the noise of the
# mini-batch gradient against $B$, compare ways of drawing batches (with or without replacement,
# reshuffled each epoch or not), set up a `DataLoader` correctly, see a constant learning rate stall
# in a *noise ball* while a decaying one keeps going, try the linear scaling rule on a real network,
# write gradient accumulation that is exactly equal to a big batch, and put a classic back-of-the-envelope
# batch-size formula (seed 004's $B^* = 16\sigma^2/g^2$) to the test against measurements and the
# gradient noise scale of McCandlish et al.
#
# **Learning objectives**
# - Explain why a mini-batch gradient is an unbiased estimate of the full gradient, and measure its
#   variance $\sigma^2/B$ (times $(N-B)/(N-1)$ when sampling without replacement).
# - Choose how batches are drawn (epochs, reshuffling, replacement) and configure a `DataLoader`
#   (`shuffle`, `drop_last`, `pin_memory`) for it.
# - Explain the noise ball of a constant learning rate, and state the Robbins-Monro conditions a
#   decaying learning rate must satisfy.
# - Apply the linear scaling rule and recognise where it breaks; write gradient accumulation that
#   equals a $k$ times larger batch, partial last group included.
# - Predict the best batch size and learning rate from the gradient noise scale $B_\text{noise}$, and
#   tell a bound-based estimate from a measured optimum.
#
# **Prerequisites:** 00 · Gradient descent (learning rate, stability limit $2/L$),
# 02 · Momentum (torch's `SGD`).
#
# **Time to complete:** about 75 minutes

# %%
import math

import sympy as sp
import torch
from torch import nn
from torch.utils.data import BatchSampler, DataLoader, RandomSampler, TensorDataset

from course_utils import (
    PALETTE,
    CriticalPoint,
    Landscape,
    Trajectory,
    check_accumulation,
    check_loader,
    check_minibatch_variance,
    linear_regression_data,
    load_digits,
    make_mlp,
    new_figure,
    plot_contour,
    setup_notebook,
    train,
)

DEVICE = setup_notebook(seed=0)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. Full-batch gradient descent against SGD
#
# **Intuition.** The training loss is an average over $N$ examples. Averaging over a random handful
# of them gives a noisy but *unbiased* estimate of the same thing, at a cost of $B$ instead of $N$
# gradient evaluations. Each SGD step is therefore cheap and a little wrong; many cheap steps can beat
# a few exact ones.
#
# **The math.** With per-example losses $\ell_i$, the loss is $L(\theta) = \frac1N\sum_{i=1}^N
# \ell_i(\theta)$ and its gradient $g = \nabla L(\theta)$. A mini-batch $\mathcal B_t$ of $B$ indices
# gives the estimate and the step
#
# $$\hat g_t = \frac1B \sum_{i\in\mathcal B_t} \nabla \ell_i(\theta_t), \qquad
# \theta_{t+1} = \theta_t - \eta\, \hat g_t, \qquad \mathbb E[\hat g_t] = g(\theta_t)$$
#
# for indices drawn uniformly (with or without replacement). Our example is a linear regression
# $y = w_0 + w_1 x + \text{noise}$ with $N = 1000$ points; the row $X_i = (1, x_i)$ of the design matrix
# gives the prediction $X_i w$ and $\ell_i(w) = (X_i w - y_i)^2$, so $L$ is the mean squared error (MSE) and
# $\nabla L_{\mathcal B}(w) = \frac2B X_{\mathcal B}^\top (X_{\mathcal B} w - y_{\mathcal B})$.
#
# **The code.** The loss as a `Landscape` whose function evaluates the MSE on a whole grid of
# $(w_0, w_1)$ at once, by broadcasting the grid against the data.

# %%
X, y = linear_regression_data(n=1000, w_true=(-1.0, 3.0), noise=0.5, seed=0)
N = len(y)


def least_squares(Xs, ys):
    """The minimiser of the mean squared error on (Xs, ys)."""
    return torch.linalg.lstsq(Xs, ys.unsqueeze(1)).solution.squeeze(1)


def mse_landscape(Xs, ys, name):
    """A Landscape whose fn(w0, w1) is the MSE on (Xs, ys), for grids of any shape (broadcasting)."""

    def fn(w0, w1):
        pred = w0.unsqueeze(-1) * Xs[:, 0] + w1.unsqueeze(-1) * Xs[:, 1]  # shape: grid + (n,)
        return ((pred - ys) ** 2).mean(dim=-1)

    w_min = least_squares(Xs, ys)
    return Landscape(name, fn, [CriticalPoint(float(w_min[0]), float(w_min[1]), "minimum")],
                     xlim=(-5.0, 2.0), ylim=(-5.0, 6.0), formula=r"$\frac{1}{n}\sum_i (X_i w - y_i)^2$")


true_loss = mse_landscape(X, y, "true loss")
w_star = least_squares(X, y)
L_star = float(true_loss(w_star[0], w_star[1]))
H = 2 * X.T @ X / N  # the Hessian of the MSE (constant: the loss is quadratic)
lam = torch.linalg.eigvalsh(H)
print(f"w* = ({w_star[0]:.4f}, {w_star[1]:.4f}), L(w*) = {L_star:.4f}")
print(f"grid function == direct MSE at w*: {math.isclose(L_star, float(((X @ w_star - y) ** 2).mean()))}")
print(f"Hessian eigenvalues {lam[0]:.4f} and {lam[1]:.4f}: L = {lam[1]:.4f}, GD is stable for eta < 2/L = {2 / lam[1]:.4f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# SGD draws each batch with replacement (`torch.randint`); with $B = N$ we use all the data, which is
# gradient descent. Every run records the **true** loss at each point it visits.

# %%
def minibatch_gradient(w, Xb, yb):
    """Gradient of the batch MSE, (2/B) Xb^T (Xb w - yb); any leading dimensions are batch dimensions."""
    residual = (Xb @ w.unsqueeze(-1)).squeeze(-1) - yb
    return 2 * (residual.unsqueeze(-1) * Xb).mean(dim=-2)


def sgd_path(batch_size, lr, steps, start=(-4.0, -4.0), seed=0):
    """SGD with batches drawn with replacement (batch_size == N: full-batch GD), on the true loss."""
    gen = torch.Generator().manual_seed(seed)
    w = torch.tensor(start, dtype=torch.float64)
    path = [w]
    for _ in range(steps):
        idx = torch.arange(N) if batch_size == N else torch.randint(N, (batch_size,), generator=gen)
        w = w - lr * minibatch_gradient(w, X[idx], y[idx])
        path.append(w)
    P = torch.stack(path)
    label = "GD (B = N)" if batch_size == N else f"SGD, B = {batch_size}"
    return Trajectory(P.numpy(), true_loss(P[:, 0], P[:, 1]).numpy(), label=label)


STEPS, LR = 30, 0.3
paths = {B: sgd_path(B, LR, STEPS) for B in (N, 32, 4)}
for B, p in paths.items():
    print(f"{p.label:12s} {STEPS} steps = {STEPS * B:6d} examples: final L - L* = {p.final_loss - L_star:.4f}, "
          f"mean over the last 10 steps {p.losses[-10:].mean() - L_star:.4f}")

# %% slideshow={"slide_type": "subslide"}
fig, (ax0, ax1) = new_figure(1, 2, figsize=(11.5, 4.6))
plot_contour(true_loss, list(paths.values()), ax=ax0, n=100, log_scale=True,
             title=f"{STEPS} steps at eta = {LR} on the true loss")
for i, (B, p) in enumerate(paths.items()):
    examples = B * torch.arange(1, STEPS + 1)
    ax1.loglog(examples, p.losses[1:] - L_star, "-o", ms=3, color=PALETTE[i], label=p.label)
ax1.set(xlabel="examples processed (B x steps)", ylabel="L(w) - L* (log scale)",
        title="Excess true loss against the work done")
ax1.legend()
fig

# %% [markdown] slideshow={"slide_type": "subslide"}
# What does one step of SGD "see"? Each mini-batch has its own loss surface $L_{\mathcal B}$, with its own
# minimum. Here are three batches of $B = 4$ next to the full loss (the white star is the true minimum $w^*$).

# %% slideshow={"slide_type": "subslide"}
gen = torch.Generator().manual_seed(1)
w_start = torch.tensor([-4.0, -4.0], dtype=torch.float64)
g_full = minibatch_gradient(w_start, X, y)
fig, axes = new_figure(2, 2, figsize=(10.5, 8.4))
plot_contour(true_loss, ax=axes[0, 0], n=100, log_scale=True, title=f"true loss (all N = {N} points)")
for j, ax in enumerate(axes.flat[1:], start=1):
    idx = torch.randint(N, (4,), generator=gen)
    batch_loss = mse_landscape(X[idx], y[idx], f"mini-batch {j}")
    plot_contour(batch_loss, ax=ax, n=100, log_scale=True, title=f"mini-batch {j} (B = 4)")
    w_b = least_squares(X[idx], y[idx])
    g_b = minibatch_gradient(w_start, X[idx], y[idx])
    cos = float(g_b @ g_full / (g_b.norm() * g_full.norm()))
    print(f"batch {j}: minimum at ({w_b[0]:.3f}, {w_b[1]:.3f}), {float((w_b - w_star).norm()):.3f} from w*; "
          f"gradient at (-4, -4): angle to the full gradient {math.degrees(math.acos(min(1.0, cos))):.1f} deg")
for ax in axes.flat:
    ax.plot(*w_star.tolist(), "*", color="white", ms=13, mec="black", label="true minimum $w^*$", zorder=7)
    ax.legend(loc="lower right")
fig

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice.**
# * After 30 steps each, GD (30,000 examples) and SGD with $B = 32$ (960 examples) both end near $w^*$,
#   and SGD with $B = 4$ (120 examples) gets most of the way; the right panel shows SGD reaching a given
#   loss with one to two orders of magnitude fewer examples.
# * The printed excess losses show the catch: near the minimum SGD stops improving and jitters
#   (its loss over the last 10 steps stays above GD's), more so for the smaller batch.
# * Each mini-batch surface is a different bowl with its own minimum (printed above: from 0.19 to 1.0
#   away from $w^*$), often much more elongated than the true one; the batch gradient at the start
#   points 5 to 14 degrees away from the true gradient. Only on average do the bowls agree with the true loss.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. Gradient noise against the batch size
#
# **The math.** Fix $\theta$ and write $g_i = \nabla\ell_i(\theta)$, $g = \frac1N\sum_i g_i$, and the
# *population* variance of the per-example gradients
# $\sigma^2 = \frac1N \sum_{i=1}^N \lVert g_i - g\rVert^2$ (the trace of their covariance).
# For the mean of $B$ gradients:
#
# * **with replacement** the draws are independent, so
#   $\ \mathbb E\lVert \hat g - g\rVert^2 = \dfrac{\sigma^2}{B}$;
# * **without replacement** (a batch never repeats an example) the draws are negatively correlated and
#   $\ \mathbb E\lVert \hat g - g\rVert^2 = \dfrac{\sigma^2}{B}\cdot\dfrac{N-B}{N-1}$,
#   the *finite-population correction*, which is 0 at $B = N$.
#
# (If you define the variance with $\frac1{N-1}$ instead, $s^2 = \frac{N}{N-1}\sigma^2$, the same result
# reads $\frac{s^2}{B}(1 - \frac BN)$: two spellings of one formula.)
#
# **The code.** We measure both at $w = (-4, -4)$ by drawing 2000 batches of each size.

# %%
G = 2 * (X @ w_start - y).unsqueeze(1) * X  # per-example gradients at w_start, shape (N, 2)
g = G.mean(0)
sigma2 = float(((G - g) ** 2).sum(1).mean())  # population variance: divide by N
print(f"at w = (-4, -4): |g|^2 = {float(g @ g):.2f}, sigma^2 = {sigma2:.2f}")

M = 2000
gen = torch.Generator().manual_seed(2)
batch_sizes = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900]
draws_with = torch.randint(N, (M, max(batch_sizes)), generator=gen)  # independent draws
perms = torch.rand(M, N, generator=gen).argsort(dim=1)  # the first B entries of a random permutation:
                                                        # a uniform sample without replacement
rows = []
for B in batch_sizes:
    v_with = float(((G[draws_with[:, :B]].mean(1) - g) ** 2).sum(1).mean())
    v_without = float(((G[perms[:, :B]].mean(1) - g) ** 2).sum(1).mean())
    rows.append((B, v_with, sigma2 / B, v_without, sigma2 / B * (N - B) / (N - 1)))
print(f"{'B':>4} | {'with repl.':>10} {'sigma^2/B':>10} {'ratio':>6} | {'without':>10} {'x(N-B)/(N-1)':>12} {'ratio':>6}")
for B, vw, pw, vo, po in rows:
    print(f"{B:4d} | {vw:10.4f} {pw:10.4f} {vw / pw:6.3f} | {vo:10.4f} {po:12.4f} {vo / po:6.3f}")

# %% slideshow={"slide_type": "subslide"}
Bt = torch.tensor(batch_sizes, dtype=torch.float64)
fine = torch.logspace(0, math.log10(900), 100, dtype=torch.float64)
fig, ax = new_figure(figsize=(6.4, 4.6))
ax.loglog(fine, sigma2 / fine, color=PALETTE[0], label=r"$\sigma^2/B$")
ax.loglog(fine, sigma2 / fine * (N - fine) / (N - 1), "--", color=PALETTE[1],
          label=r"$\frac{\sigma^2}{B}\cdot\frac{N-B}{N-1}$")
ax.loglog(Bt, [r[1] for r in rows], "o", color=PALETTE[0], label="measured, with replacement")
ax.loglog(Bt, [r[3] for r in rows], "s", mfc="none", color=PALETTE[1], label="measured, without replacement")
ax.set(xlabel="batch size B (log scale)", ylabel=r"$E\,\|\hat g - g\|^2$ (log scale)",
       title=f"Mini-batch gradient variance (N = {N}, {M} batches per B)")
ax.legend()
fig

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice.**
# * Both measurements sit on their formulas: every ratio in the table is within 5% of 1 (2000 batches
#   per size estimate a variance to about 3%). The variance falls like $1/B$: a slope of $-1$ on the log-log plot.
# * The standard deviation falls only like $1/\sqrt B$: a batch 100 times larger gives a gradient 10 times
#   less noisy, for 100 times the compute.
# * The finite-population correction is invisible for small $B$ and large at the end: at $B = 512$ it
#   halves the variance, and at $B = 900$ it divides it by about 10 (sampling 900 of 1000 examples leaves
#   little to chance).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Epochs, shuffling, and sampling with or without replacement
#
# **Intuition.** Theory usually assumes independent draws (with replacement). Practice makes **epochs**:
# shuffle the data, cut it into $N/B$ batches, repeat. Within an epoch that is sampling *without*
# replacement: every example is used exactly once. A `DataLoader(..., shuffle=True)` draws a new
# permutation every epoch ("random reshuffling"); a `RandomSampler(replacement=True)` draws independent indices.

# %%
tiny = TensorDataset(torch.arange(10))
loader = DataLoader(tiny, batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(0))
for epoch in range(2):
    print(f"shuffle=True, epoch {epoch}:        ", [b[0].tolist() for b in loader])
sampler = RandomSampler(tiny, replacement=True, generator=torch.Generator().manual_seed(0))
print("RandomSampler(replacement=True):", [b[0].tolist() for b in DataLoader(tiny, batch_size=4, sampler=sampler)])

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Which converges faster?** We run SGD on the regression with four ways of ordering the data, each for
# 100 seeds at once (the seeds are a batch dimension of the computation), and compare them at the same
# number of examples processed, at the end of each epoch:
# *with replacement*; *reshuffle every epoch*; *shuffle once* (one permutation reused every epoch);
# *no shuffle* with the data stored sorted by $y$ (as a data set sorted by label would be).
# Theory (Gürbüzbalaban et al.; Mishchenko et al.) predicts that without-replacement orders win when the
# step is small, $\eta L \cdot N/B \lesssim 1$ (one epoch moves $\theta$ little), so we try one setting on
# each side of that threshold.

# %%
def excess_loss(W):
    """L(w) - L* = (w - w*)^T (H / 2) (w - w*), exactly, for any leading dimensions of W."""
    d = W - w_star
    return ((d @ (H / 2)) * d).sum(-1)


SCHEMES = ["with replacement", "reshuffle every epoch", "shuffle once", "no shuffle, sorted by y"]


def epoch_order(scheme, seeds, gen, once):
    """Index orders (seeds, N) of one epoch for one scheme."""
    if scheme == "with replacement":
        return torch.randint(N, (seeds, N), generator=gen)
    if scheme == "reshuffle every epoch":
        return torch.rand(seeds, N, generator=gen).argsort(dim=1)
    if scheme == "shuffle once":
        return once
    return y.argsort().expand(seeds, N)


def compare_orders(batch_size, lr, epochs, seeds=100, seed=0):
    """Excess loss after every step, (steps, schemes, seeds), all schemes and seeds at once."""
    gen = torch.Generator().manual_seed(seed)
    once = torch.rand(seeds, N, generator=gen).argsort(dim=1)
    W = torch.tensor([-4.0, -4.0], dtype=torch.float64).expand(len(SCHEMES), seeds, 2)
    history = []
    for _ in range(epochs):
        order = torch.stack([epoch_order(s, seeds, gen, once) for s in SCHEMES])  # (schemes, seeds, N)
        for j in range(N // batch_size):
            idx = order[..., j * batch_size:(j + 1) * batch_size]
            W = W - lr * minibatch_gradient(W, X[idx], y[idx])
            history.append(excess_loss(W))
    return torch.stack(history)


L_smooth = float(lam[1])
results = {}
for B, lr, epochs in [(50, 0.02, 30), (20, 0.1, 6)]:
    hist = compare_orders(B, lr, epochs)
    spe = N // B
    ends = hist[spe - 1::spe]  # (epochs, schemes, seeds) at the end of each epoch
    at_ends = ends[-5:].mean(0)  # per seed: mean over the last 5 epoch ends
    last_epoch = hist[-spe:].mean(0)  # per seed: mean over every step of the last epoch
    results[(B, lr)] = hist
    print(f"B = {B}, eta = {lr}, {epochs} epochs: eta * L * N/B = {lr * L_smooth * N / B:.2f}.  L - L* (and its ratio "
          "to sampling with replacement)")
    print(f"   {'':25s} {'at the epoch ends (+- std. error)':>42s} {'averaged over the last epoch':>30s}")
    for k, s in enumerate(SCHEMES):
        m, se = float(at_ends[k].mean()), float(at_ends[k].std() / math.sqrt(at_ends.shape[1]))
        a = float(last_epoch[k].mean())
        se_text = f"{se:.0e}" if se > 1e-9 * m else "0 (seeds alike)"
        ratio_end, ratio_avg = m / float(at_ends[0].mean()), a / float(last_epoch[0].mean())
        print(f"   {s:25s} {m:.2e} +- {se_text:15s} ({ratio_end:6.2f}x) {a:18.2e} ({ratio_avg:6.2f}x)")

# %% slideshow={"slide_type": "subslide"}
fig, axes = new_figure(1, 2, figsize=(11.5, 4.4), sharey=True)
for ax, ((B, lr), hist) in zip(axes, results.items(), strict=True):
    epochs_axis = torch.arange(1, len(hist) + 1) * B / N
    for k, s in enumerate(SCHEMES):
        ax.semilogy(epochs_axis, hist[:, k].mean(1), color=PALETTE[k], lw=1.2, label=s)
    ax.set(xlabel="epochs (examples processed / N)", title=f"B = {B}, eta = {lr}: eta L N/B = {lr * L_smooth * N / B:.1f}")
    ax.set_ylim(1e-6, 1e1)
axes[0].set_ylabel("L(w) - L*, mean over 100 seeds (log)")
axes[0].legend(loc="upper right")
fig

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice.** (Read the ratios: they are not all what folklore says.)
# * Small steps ($\eta L N/B = 0.8$): sampling without replacement wins clearly. At the epoch ends,
#   reshuffling is about 10 times and shuffling once about 7 times closer to the optimum than sampling with
#   replacement. Averaged over every step of the last epoch the order of the two flips (reshuffling's error
#   swells mid-epoch, the saw-tooth in the figure), but both stay 5 to 7 times better.
# * Larger steps ($\eta L N/B = 10$): the advantage nearly vanishes, to a factor of about 1.3 to 1.5. The
#   noise of the individual steps dominates, and it is about the same however the batches are drawn.
# * A data set stored in a systematic order and never shuffled is the real danger: sorted by $y$, SGD
#   ends the epochs 11 times (small steps) and about 190 times (large steps) *worse* than sampling with
#   replacement. Shuffle at least once.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. A DataLoader with the right arguments
#
# * `shuffle=True`: a new permutation each epoch (random reshuffling, section 3). Pass a seeded
#   `generator` to make it reproducible.
# * `drop_last=True`: drop the final partial batch, so every step has the same batch size (the same
#   gradient noise, section 2, and no batch of 1 for a batch-norm layer).
# * `pin_memory=True`: put the batches in page-locked host memory, from which copies to a **CUDA** GPU
#   are faster and can overlap compute (`x.to(device, non_blocking=True)`). It does nothing useful
#   without a CUDA device, so tie it to the device: `pin_memory=(DEVICE.type == "cuda")`.

# %%
digits = load_digits()
train_set = digits.train_dataset()
loader = DataLoader(train_set, batch_size=32, shuffle=True, drop_last=True,
                    pin_memory=(DEVICE.type == "cuda"), generator=torch.Generator().manual_seed(0))
keep_last = DataLoader(train_set, batch_size=32)
print(f"{len(train_set)} training images, batch_size=32: {len(loader)} batches with drop_last=True, "
      f"{len(keep_last)} without (the last has {len(train_set) % 32} images)")
print(f"device {DEVICE.type}: pin_memory = {loader.pin_memory}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Spot the bug.** Seed 001 advises "one can set `pin_device=True` in the data loader". There is no such
# argument, and Python says so:

# %% tags=["raises-exception"]
DataLoader(train_set, batch_size=32, shuffle=True, pin_device=True)

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Batches of in-memory tensors.** With `batch_size=B` a `DataLoader` fetches one example at a time and
# stacks them; when the data is already one tensor, a `BatchSampler` passed as the sampler (with
# `batch_size=None`) fetches a whole batch in one indexing operation. Same batches, far fewer calls:

# %%
class CountingDataset(TensorDataset):
    """A TensorDataset that counts how often it is indexed."""

    calls = 0

    def __getitem__(self, index):
        CountingDataset.calls += 1
        return super().__getitem__(index)


def batch_loader(Xs, ys, batch_size, seed, drop_last=False, dataset_cls=TensorDataset):
    """Shuffled batches (a new permutation each epoch), each fetched with one indexing operation."""
    ds = dataset_cls(Xs, ys)
    sampler = RandomSampler(ds, generator=torch.Generator().manual_seed(seed))
    return DataLoader(ds, sampler=BatchSampler(sampler, batch_size, drop_last), batch_size=None)


counted = CountingDataset(digits.X_train, digits.y_train)
per_example = DataLoader(counted, batch_size=32, sampler=RandomSampler(counted, generator=torch.Generator().manual_seed(0)))
one_epoch = list(per_example)
calls_per_example, CountingDataset.calls = CountingDataset.calls, 0
batched = list(batch_loader(digits.X_train, digits.y_train, 32, seed=0, dataset_cls=CountingDataset))
same = all(torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]) for a, b in zip(one_epoch, batched, strict=True))
print(f"one epoch: {calls_per_example} dataset calls one example at a time, {CountingDataset.calls} "
      f"with a BatchSampler; identical batches: {same}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. A constant learning rate ends in a noise ball
#
# **Intuition.** At the minimum the *full* gradient is zero, but a mini-batch gradient is not: it has
# variance $\sigma_*^2/B$. A constant step $\eta$ keeps kicking $\theta$ around $\theta^*$ and the loss
# settles at a floor that grows with $\eta/B$. Only a decaying learning rate can shrink the kicks to zero.
#
# **The math.** For a quadratic loss with Hessian $H$ and gradient-noise covariance $\Sigma_*/B$ at
# the optimum, the error $e_t = \theta_t - \theta^*$ follows $e_{t+1} = (I - \eta H)e_t - \eta \xi_t$, whose
# stationary covariance $P$ solves $P = (I-\eta H) P (I-\eta H) + \eta^2 \Sigma_*/B$; the floor is
# $\mathbb E[L] - L^* = \frac12 \operatorname{tr}(HP) \approx \frac{\eta}{4B}\operatorname{tr}\Sigma_*$ to first order in $\eta$.
#
# **The Robbins-Monro conditions.** Robbins and Monro (1951) proved convergence for step sizes with
#
# $$\eta_t > 0, \qquad \sum_{t=1}^\infty \eta_t = \infty, \qquad \sum_{t=1}^\infty \eta_t^2 < \infty .$$
#
# The first sum lets the steps travel any distance; the second makes the accumulated noise finite.
# Seed 004's slide writes "$\lim_{t\to 0}\eta^t = 0$ and $\sum_t \eta^t = \infty$": the limit must be
# $t \to \infty$, and $\eta_t \to 0$ is weaker than $\sum \eta_t^2 < \infty$ (e.g. $\eta_t = 1/\sqrt t$
# tends to 0 but its squares sum to infinity). The schedule $\eta_t = \eta_0/(1 + t/T)$ satisfies both.

# %%
t_big = torch.arange(0, 10**6, dtype=torch.float64)
schedules = {"constant eta_0": torch.full_like(t_big, 0.1), "eta_0 / (1 + t/T)": 0.1 / (1 + t_big / 100),
             "eta_0 / sqrt(1 + t/T)": 0.1 / (1 + t_big / 100).sqrt(), "eta_0 / (1 + t/T)^2": 0.1 / (1 + t_big / 100) ** 2}
print(f"{'eta_t (eta_0 = 0.1, T = 100)':28s} {'sum eta_t to 10^4':>17} {'to 10^6':>9} {'sum eta_t^2 to 10^4':>20} {'to 10^6':>9}")
for name, eta in schedules.items():
    s1, s2 = eta.cumsum(0), (eta**2).cumsum(0)
    print(f"{name:28s} {s1[10**4 - 1]:17.2f} {s1[-1]:9.2f} {s2[10**4 - 1]:20.4f} {s2[-1]:9.4f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# Growing sums diverge, flat ones converge: only $\eta_0/(1+t/T)$ has a growing $\sum\eta_t$ and a converged
# $\sum\eta_t^2$. Now the experiment: SGD with replacement on the regression, 200 seeds at once, 2000
# steps, for a constant $\eta_0 = 0.1$ with $B = 4$, the same with $\eta_0/2$, the same with $2B$, and
# the decaying $\eta_t = \eta_0/(1 + t/T)$, $T = 100$. We also solve the equation for $P$ above to predict
# the floor (the $2\times 2$ equation is linear in $P$).

# %%
def noise_floor(lr, batch_size):
    """(1/2) tr(H P), with P the stationary covariance of e_{t+1} = (I - lr H) e_t - lr xi_t."""
    A = torch.eye(2, dtype=torch.float64) - lr * H
    Q = lr**2 * Sigma_star / batch_size
    P = torch.linalg.solve(torch.eye(4, dtype=torch.float64) - torch.kron(A, A), Q.reshape(4)).reshape(2, 2)
    return float(0.5 * torch.trace(H @ P))


G_star = 2 * (X @ w_star - y).unsqueeze(1) * X  # per-example gradients at the optimum (their mean is 0)
Sigma_star = G_star.T @ G_star / N
RUNS = {  # name: (lr schedule, batch size)
    "constant eta_0, B = 4": (lambda t: 0.1, 4),
    "constant eta_0/2, B = 4": (lambda t: 0.05, 4),
    "constant eta_0, B = 8": (lambda t: 0.1, 8),
    "eta_0/(1 + t/T), B = 4": (lambda t: 0.1 / (1 + t / 100), 4),
}
T_STEPS, SEEDS = 2000, 200
gen = torch.Generator().manual_seed(3)
sizes = torch.tensor([b for _, b in RUNS.values()])
weights = (torch.arange(sizes.max()) < sizes[:, None]).double() / sizes[:, None]  # (runs, max B): 1/B on the first B
W = torch.tensor([-4.0, -4.0], dtype=torch.float64).expand(len(RUNS), SEEDS, 2)
excess, dist2 = [], []
for t in range(T_STEPS):
    idx = torch.randint(N, (len(RUNS), SEEDS, int(sizes.max())), generator=gen)
    Xb, yb = X[idx], y[idx]
    residual = (Xb @ W.unsqueeze(-1)).squeeze(-1) - yb  # (runs, seeds, max B)
    grad = 2 * ((weights[:, None, :] * residual).unsqueeze(-1) * Xb).sum(-2)  # mean over each run's B
    lrs = torch.tensor([sched(t) for sched, _ in RUNS.values()], dtype=torch.float64)
    W = W - lrs[:, None, None] * grad
    excess.append(excess_loss(W).mean(1))
    dist2.append(((W - w_star) ** 2).sum(-1).mean(1))
excess, dist2 = torch.stack(excess), torch.stack(dist2)
last = T_STEPS // 10
print(f"mean over the last {last} steps and {SEEDS} seeds:")
for k, (name, (sched, B)) in enumerate(RUNS.items()):
    pred = f"   predicted floor {noise_floor(sched(0), B):.2e} (first order {sched(0) * torch.trace(Sigma_star) / (4 * B):.2e})" if "constant" in name else ""
    print(f"  {name:24s} L - L* = {excess[-last:, k].mean():.2e}, |w - w*|^2 = {dist2[-last:, k].mean():.2e}{pred}")
print(f"decaying run: L - L* over steps 400-500 {excess[400:500, 3].mean():.2e}, 900-1000 {excess[900:1000, 3].mean():.2e}, "
      f"1900-2000 {excess[-100:, 3].mean():.2e}")

# %% slideshow={"slide_type": "subslide"}
fig, ax = new_figure(figsize=(7.2, 4.6))
steps_axis = torch.arange(1, T_STEPS + 1)
for k, name in enumerate(RUNS):
    ax.loglog(steps_axis, excess[:, k], color=PALETTE[k], lw=1.3, label=name)
    sched, B = RUNS[name]
    if "constant" in name:
        ax.axhline(noise_floor(sched(0), B), color=PALETTE[k], ls=":", lw=1.2)
ax.set(xlabel="step t (log scale)", ylabel="L(w) - L*, mean over 200 seeds (log scale)",
       title="Constant learning rates stall at the predicted floor (dotted)", ylim=(1e-4, 1e2))
ax.legend(loc="lower left")
fig

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice.**
# * Each constant learning rate stalls at a floor, and the solved floor (dotted) predicts it to within a few
#   percent; the first-order formula $\eta \operatorname{tr}\Sigma_*/(4B)$ is about 10% low at $\eta = 0.1$.
# * Halving $\eta$ or doubling $B$ halves the floor, the same factor both ways: the noise depends on
#   $\eta/B$. That is the observation behind Smith et al. (2018), *Don't decay the learning rate, increase
#   the batch size*: growing $B$ removes noise like decaying $\eta$, with fewer, larger steps.
# * The decaying rate ends about 20 times below the constant one and is still improving: its loss roughly
#   halves each time $t$ doubles (steps 500, 1000, 2000 above), following the floor of its current $\eta_t$ down.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. Batch size and learning rate: the linear scaling rule
#
# **Intuition.** $k$ SGD steps of batch $B$ and rate $\eta$ move $\theta$ by about
# $-\eta\sum_{j=1}^k \hat g_j$; one step of batch $kB$ with rate $k\eta$ moves it by
# $-k\eta\,\hat g_{kB} = -\eta\sum_j \hat g_j$, the same, **if** the gradient barely changes over those $k$
# steps. Goyal et al. (2017) used this rule ($B \to kB$, $\eta \to k\eta$, plus a warm-up) to train ImageNet
# with batches of 8192. It must fail when $k\eta$ is so large that a step changes the gradient a lot
# (near and beyond the stability limit $2/L$).
#
# **The experiment.** A $64 \to 64 \to 10$ MLP on scikit-learn's digits, plain SGD, 10 epochs for every
# run (so every run processes the same number of examples), base batch $B_0 = 32$ and rate $\eta_0 = 0.1$.
# For each $k$, batch $kB_0$ with the scaled rate $k\eta_0$, and with the unscaled $\eta_0$. Each entry
# is averaged over 2 seeds: the final training loss (mean over the last epoch) and the final validation
# accuracy; the *gap* column is the difference between the two seeds' accuracies, a measure of its noise.

# %%
def train_digits(batch_size, lr, epochs=10, seed=0):
    """Train the digits MLP with plain SGD; returns the History."""
    model = make_mlp([64, 64, 10], seed=seed)
    loader = batch_loader(digits.X_train, digits.y_train, batch_size, seed)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    return train(model, optimizer, nn.CrossEntropyLoss(), loader, epochs,
                 val_data=(digits.X_val, digits.y_val), progress=False)


B0, ETA0, SEEDS_DIGITS = 32, 0.1, (0, 1)


def summary(runs):
    """Mean final train loss, mean final validation accuracy, and the gap between the seeds' accuracies."""
    accs = [h.final_val_acc for h in runs]
    return sum(h.epoch_train_loss[-1] for h in runs) / len(runs), sum(accs) / len(accs), max(accs) - min(accs)


print(f"{'':15s} | {'scaled: eta = k eta0':^34s} | {'unscaled: eta = eta0':^23s}")
print(f"{'k':>3} {'B':>5} {'steps':>5} | {'eta':>5} {'train loss':>10} {'val acc':>7} {'(gap)':>7} | {'train loss':>10} {'val acc':>7}")
scaling = {}
for k in (1, 2, 4, 8, 16, 32):
    B = k * B0
    scaled = [train_digits(B, k * ETA0, seed=sd) for sd in SEEDS_DIGITS]
    unscaled = scaled if k == 1 else [train_digits(B, ETA0, seed=sd) for sd in SEEDS_DIGITS]
    scaling[k] = (summary(scaled), summary(unscaled))
    (ls, acc_s, gap), (lu, acc_u, _) = scaling[k]
    print(f"{k:3d} {B:5d} {len(scaled[0].step_loss):5d} | {k * ETA0:5.1f} {ls:10.3f} {acc_s:7.3f} {gap:7.3f} | {lu:10.3f} {acc_u:7.3f}")

# %% slideshow={"slide_type": "subslide"}
ks = list(scaling)
xs = [k * B0 for k in ks]
fig, (ax0, ax1) = new_figure(1, 2, figsize=(11.5, 4.4))
for j, (label, marker) in enumerate([(r"scaled: $\eta = k\eta_0$", "-o"), (r"unscaled: $\eta = \eta_0$", "-s")]):
    ax0.semilogx(xs, [scaling[k][j][1] for k in ks], marker, color=PALETTE[j], label=label)
    ax1.loglog(xs, [scaling[k][j][0] for k in ks], marker, color=PALETTE[j], label=label)
for ax in (ax0, ax1):
    ax.set_xticks(xs, [str(x) for x in xs])
    ax.set_xlabel("batch size B = k B0 (log scale)")
    ax.legend(loc="lower left" if ax is ax0 else "upper left")
ax0.set(ylabel="validation accuracy after 10 epochs", ylim=(0, 1), title="Final validation accuracy (mean of 2 seeds)")
ax1.set(ylabel="training loss, last epoch (log scale)", title="Final training loss (mean of 2 seeds)")
fig.suptitle("The linear scaling rule on digits: same number of epochs for every batch size")
fig

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice.**
# * Without scaling, a larger batch simply makes fewer steps of the same size: the training loss rises from
#   0.22 to 1.10 at $k = 4$ and the accuracy drops steadily as $B$ grows.
# * With scaling, the rule holds up to $k = 8$ ($\eta = 0.8$): the training loss stays between 0.22 and
#   0.25, and the accuracy differences (0.885 to 0.924) are within the seed-to-seed gap (up to 0.12): a single
#   final accuracy of plain SGD at a constant rate is noisy, the loss is the steadier measure.
# * It breaks at $k = 16$ ($\eta = 1.6$) and $k = 32$ ($\eta = 3.2$): the loss ends at 1.21 and 3.55, the
#   accuracy at 0.47 and 0.10, below the unscaled runs' 0.61 and 0.48. Steps that large overshoot (the approximation
#   "the gradient barely changes over $k$ steps" fails), and there are only 30 and 20 of them. Goyal et al.
#   used a warm-up (notebook 07) to reach larger $k$; section 8 shows why no trick makes the rule hold for
#   every $k$: the best learning rate stops growing once $B$ passes the noise scale.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. Gradient accumulation, exactly
#
# When a batch of $kB$ does not fit in memory, run $k$ micro-batches of $B$, *accumulate* their gradients
# (PyTorch adds into `.grad` on every `backward()`), and step once. For the step to equal one big-batch step:
#
# * step **after** every $k$-th micro-batch, `(i + 1) % k == 0`, and after the last micro-batch, whose
#   group may be partial;
# * the big batch's loss is the mean over all its examples. With micro-batch means $\bar\ell_j$ of sizes
#   $n_j$, the group mean is $\sum_j \frac{n_j}{n_\text{group}}\bar\ell_j$. Dividing each micro-batch loss by
#   $k$ is right only when the group has $k$ micro-batches of equal size, which the last group need not.
#
# Seed 001's loop (below, with its `loss_fn(y, outputs)` turned round: PyTorch losses take
# `(input, target)`) steps when `i % k == 0`: after the **first** micro-batch, then every $k$, and never on
# the last partial group. The correct version here sums per-example losses and divides the gradient by
# the group's size at step time, so it never needs to know the group sizes in advance.

# %%
def big_batch_epoch(model, optimizer, loss_fn, micro_batches, k):
    """The reference: one step per group of k micro-batches, on the concatenated group."""
    for start in range(0, len(micro_batches), k):
        group = micro_batches[start:start + k]
        xb, yb = torch.cat([b[0] for b in group]), torch.cat([b[1] for b in group])
        optimizer.zero_grad()
        loss_fn(model(xb), yb).backward()
        optimizer.step()


def seed_001_loop(model, optimizer, loss_fn, micro_batches, k):
    """Seed 001's accumulation loop (buggy)."""
    for i, (xb, yb) in enumerate(micro_batches):
        loss = loss_fn(model(xb), yb) / k
        loss.backward()
        if i % k == 0:
            optimizer.step()
            optimizer.zero_grad()


def accumulate_epoch(model, optimizer, loss_fn, micro_batches, k):
    """Gradient accumulation equal to big_batch_epoch: sum the per-example losses, and divide the
    accumulated gradient by the number of examples in the group just before each step."""
    optimizer.zero_grad()
    count = 0
    for i, (xb, yb) in enumerate(micro_batches):
        (loss_fn(model(xb), yb) * len(xb)).backward()  # mean loss x size = sum of per-example losses
        count += len(xb)
        if (i + 1) % k == 0 or i + 1 == len(micro_batches):
            for p in model.parameters():
                p.grad /= count
            optimizer.step()
            optimizer.zero_grad()
            count = 0


class CountingSGD(torch.optim.SGD):
    """torch.optim.SGD that counts its steps."""

    steps = 0

    def step(self, closure=None):
        self.steps += 1
        return super().step(closure)

# %% slideshow={"slide_type": "subslide"}
digits64 = load_digits(dtype=torch.float64)
MB, K = 32, 4
micro = [(digits64.X_train[i:i + MB], digits64.y_train[i:i + MB]) for i in range(0, len(digits64.X_train), MB)]
sizes_micro = [len(b[0]) for b in micro]
print(f"{len(micro)} micro-batches of {MB} (the last has {sizes_micro[-1]}); groups of k = {K}: "
      f"{len(micro) // K} full groups and a last group of sizes {sizes_micro[(len(micro) // K) * K:]}")


def one_epoch(loop):
    model = make_mlp([64, 32, 10], seed=0).double()
    optimizer = CountingSGD(model.parameters(), lr=0.1, momentum=0.9)
    loop(model, optimizer, nn.functional.cross_entropy, micro, K)
    return torch.cat([p.detach().flatten() for p in model.parameters()]), optimizer.steps


reference, ref_steps = one_epoch(big_batch_epoch)
for name, loop in [("seed 001's loop", seed_001_loop), ("accumulate_epoch", accumulate_epoch)]:
    params, n_steps = one_epoch(loop)
    diff = float((params - reference).abs().max())
    shown = "< 1e-13 (float64 rounding)" if diff < 1e-13 else f"{diff:.3f}"
    print(f"{name:17s}: {n_steps} steps (big batch: {ref_steps}), max |param - big-batch param| after one epoch = {shown}")
seed_steps = [i for i in range(len(micro)) if i % K == 0]
print(f"seed 001's loop steps after micro-batches {seed_steps[:3]} ... {seed_steps[-1]}: the gradients of micro-batches "
      f"{list(range(seed_steps[-1] + 1, len(micro)))} never reach a step")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice.** The correct loop takes as many steps as the big-batch run and lands on the same
# parameters up to float64 rounding, momentum included (any optimizer sees identical gradients). Seed 001's
# loop takes the same *number* of steps here, yet its parameters differ by 0.02: its first "group" is a
# single micro-batch, every later group is shifted by one, and the last two micro-batches never reach a
# step. (Layers that use batch statistics, such as batch norm, break the equality: they see micro-batches.)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 8. How large a batch? Seed 004's analysis put to the test
#
# Seed 004 analyses a one-dimensional problem, $\text{loss}(\beta, y) = \frac12(\beta - y)^2$, so the full
# loss is $L(\beta) = \frac12(\beta - \mu)^2 + \frac12\sigma^2$ with curvature $L'' = 1$ (its smoothness
# constant $L = 1$), gradient $g = \beta - \mu$, and per-example gradient noise of variance $\sigma^2 = \operatorname{Var}(y)$.
# It bounds the progress of one step, $|\hat g - g| \le 2\sigma/\sqrt B$ ("two standard errors"), maximises
# the bound over $\eta$, then maximises the bound *per example* over $B$, and gets
#
# $$\eta^*(B) = \frac1L\Big(1 - \frac{2\sigma}{g\sqrt B}\Big), \qquad B^* = \frac{16\sigma^2}{g^2}, \qquad \eta^* = \eta^*(B^*) = \frac1{2L}.$$
#
# **The exact answer.** Here the expected progress of a step is computable:
# $\mathbb E[L(\beta) - L(\beta - \eta\hat g)] = \frac12\big[(2\eta - L\eta^2)g^2 - L\eta^2\sigma^2/B\big]$
# (for curvature $L$; here $L = 1$), maximised by $\eta_\text{opt}(B) = \eta_\text{max}/(1 + B_\text{noise}/B)$ with progress
#
# $$\Delta L_\text{opt}(B) = \frac{\Delta L_\text{max}}{1 + B_\text{noise}/B}, \qquad B_\text{noise} = \frac{\sigma^2}{g^2},
# \quad \Delta L_\text{max} = \frac{g^2}{2L}, \quad \eta_\text{max} = \frac1L,$$
#
# which is McCandlish et al. (2018)'s model of large-batch training ($B_\text{noise}$ is their *gradient
# noise scale*; in general $B_\text{noise} = \operatorname{tr}(H\Sigma)/(g^\top H g)$). We measure instead of trusting:
# $\mu = 0$, $\sigma = 2$, $\beta = 1$ (so $g = 1$, $B_\text{noise} = 4$, $B^* = 64$); for each $B$ we draw
# 10,000 batches of $y$'s, and grid-search $\eta$ for the largest mean progress.

# %%
mu, sigma, beta = 0.0, 2.0, 1.0
g1 = beta - mu  # the full gradient (L = 1)
B_noise, B_star = sigma**2 / g1**2, 16 * sigma**2 / g1**2
etas = torch.linspace(0.005, 1.5, 300, dtype=torch.float64)
Bs = [1, 2, 4, 8, 16, 32, 64, 128, 256]
gen = torch.Generator().manual_seed(4)
measured = {}  # B: (best eta, best progress per step, g_hat samples)
for B in Bs:
    ys = mu + sigma * torch.randn(10_000, B, generator=gen, dtype=torch.float64)
    g_hat = beta - ys.mean(1)  # one mini-batch gradient per row
    new_beta = beta - etas[:, None] * g_hat  # (etas, batches)
    decrease = 0.5 * (beta - mu) ** 2 - 0.5 * (new_beta - mu) ** 2  # per batch; the sigma^2/2 term cancels
    progress = decrease.mean(1)
    best = int(progress.argmax())
    std_err = float(decrease[best].std() / math.sqrt(decrease.shape[1]))
    measured[B] = (float(etas[best]), float(progress[best]), g_hat, std_err)


def seed_eta(B):
    """Seed 004's eta*(B) (L = 1); not positive for B <= 4 sigma^2 / g^2."""
    return 1 - 2 * sigma / (g1 * math.sqrt(B))


print(f"B_noise = {B_noise:.0f}, seed's B* = {B_star:.0f}, Delta L_max = {g1**2 / 2:.3f}")
print(f"{'B':>4} | {'best eta':>8} {'eta_opt':>7} {'seed eta*':>9} | {'progress/step':>17} {'McCandlish':>10} "
      f"{'seed bound':>10} | {'progress/example':>16} {'McCandlish':>10}")
for B in Bs:
    eta_b, prog, _, err = measured[B]
    pred = 0.5 * g1**2 / (1 + B_noise / B)
    bound = 0.5 * max(seed_eta(B), 0.0) ** 2 * g1**2
    print(f"{B:4d} | {eta_b:8.3f} {1 / (1 + B_noise / B):7.3f} {seed_eta(B):9.3f} | {prog:8.4f} +- {err:.4f} {pred:10.4f} "
          f"{bound:10.4f} | {prog / B:16.5f} {pred / B:10.5f}")

# %% slideshow={"slide_type": "subslide"}
fine = torch.logspace(0, math.log10(256), 200, dtype=torch.float64)
pred_step = 0.5 * g1**2 / (1 + B_noise / fine)
bound_step = 0.5 * torch.clamp(1 - 2 * sigma / (g1 * fine.sqrt()), min=0) ** 2 * g1**2
fig, axes = new_figure(1, 3, figsize=(15.0, 4.4))
panels = [(axes[0], False, "progress per step", "expected loss decrease per step"),
          (axes[1], True, "progress per example", "loss decrease per step / B")]
for ax, per_ex, title, ylabel in panels:
    div = fine if per_ex else 1.0
    ax.loglog(fine, pred_step / div, color=PALETTE[0], label=r"McCandlish: $\Delta L_{max}/(1 + B_{noise}/B)$")
    ax.loglog(fine, bound_step / div, "--", color=PALETTE[1], label="seed 004's guaranteed progress (bound)")
    ax.loglog(Bs, [measured[B][1] / (B if per_ex else 1) for B in Bs], "o", color="black", label="measured (best eta)")
    ax.set(xlabel="batch size B (log scale)", ylabel=ylabel + " (log)", title=title)
axes[0].set_ylim(1e-4, 1)
axes[1].set_ylim(1e-5, 1)
axes[2].semilogx(fine, 1 / (1 + B_noise / fine), color=PALETTE[0], label=r"$\eta_{opt} = 1/(1 + B_{noise}/B)$")
axes[2].semilogx(fine, torch.clamp(1 - 2 * sigma / (g1 * fine.sqrt()), min=0), "--", color=PALETTE[1], label=r"seed 004's $\eta^*(B)$ (clipped at 0)")
axes[2].semilogx(Bs, [measured[B][0] for B in Bs], "o", color="black", label="measured best eta")
axes[2].set(xlabel="batch size B (log scale)", ylabel="learning rate", title="best learning rate", ylim=(0, 1.1))
for ax in axes:
    for x, name, ls in [(B_noise, r"$B_{noise}$", ":"), (B_star, r"seed's $B^*$", "-.")]:
        ax.axvline(x, color="grey", ls=ls, lw=1.2, label=name)
axes[0].legend(loc="lower right", fontsize=8)
axes[1].legend(loc="lower left", fontsize=8)
axes[2].legend(loc="upper left", fontsize=8)
fig

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Checking the seed's algebra.** Its appendix maximises $\eta^*(B)^2/B$. Let sympy do it:

# %%
Bsym, s_, g_, L_ = sp.symbols("B sigma g L", positive=True)
eta_star_B = (1 - 2 * s_ / (g_ * sp.sqrt(Bsym))) / L_
per_example_bound = eta_star_B**2 / Bsym
roots = sp.solve(sp.diff(per_example_bound, Bsym), Bsym)
for r in roots:
    print(f"stationary point B = {r}: eta*(B) = {sp.simplify(eta_star_B.subs(Bsym, r))}, "
          f"bound per example = {sp.simplify(per_example_bound.subs(Bsym, r))}")
grid = torch.logspace(0, 4, 40001, dtype=torch.float64)
eta_grid = 1 - 2 * sigma / (g1 * grid.sqrt())
unconstrained = grid[(eta_grid**2 / grid).argmax()]
constrained = grid[(eta_grid.clamp(min=0) ** 2 / grid).argmax()]
print(f"numerically (sigma = {sigma:g}, g = {g1:g}): eta*(B)^2/B over all B >= 1 is largest at B = {unconstrained:.2f}, "
      f"where eta*(1) = {1 - 2 * sigma / g1:.0f} < 0;")
print(f"   over the B with eta*(B) > 0 (B > 4 sigma^2/g^2 = {4 * sigma**2 / g1**2:.0f}) it is largest at B = {constrained:.2f} "
      f"(16 sigma^2/g^2 = {B_star:.0f})")

# how often does the "guarantee" fail? at B*, with eta*(B*) and the sampled g_hat
g_hat = measured[64][2]
eta_s = 1 - 2 * sigma / (g_hat.abs() * 8.0)  # seed's eta*(B) uses the estimate g_hat (B = 64: sqrt(B) = 8)
actual = 0.5 * (beta - mu) ** 2 - 0.5 * (beta - eta_s * g_hat - mu) ** 2
promised = eta_s * (g_hat - 2 * sigma / 8.0 * g_hat.sign()) * g_hat - 0.5 * eta_s**2 * g_hat**2
print(f"at B = 64 the 'guaranteed' decrease is not reached in {float((actual < promised).double().mean()):.1%} of 10,000 steps")

eta_1_seed = 0.5 / B_star
print(f"seed's linear rule eta_B = B * eta*/B* has slope {eta_1_seed:.4f}; the true optimum for B << B_noise is "
      f"eta_opt ~ B / B_noise, slope {1 / B_noise:.4f} ({(1 / B_noise) / eta_1_seed:.0f} times larger)")
for B in (B_noise, B_star):
    print(f"at B = {B:3.0f}: steps needed x {1 + B_noise / B:.3f} and examples needed x {1 + B / B_noise:.0f} "
          f"relative to their minimums (S_min at B -> infinity, E_min at B -> 0)")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice.**
# * The measurements follow McCandlish's prediction: the best $\eta$ found by the grid search is within one
#   grid step (0.005) of $1/(1 + B_\text{noise}/B)$, and the measured best progress per step is within about
#   1.3 standard errors of $\Delta L_\text{max}/(1 + B_\text{noise}/B)$ at every $B$.
# * **The seed's algebra is right, with a proviso**: $\eta^*(B)^2/B$ is stationary at $B = 4\sigma^2/g^2$
#   (where $\eta^* = 0$, a minimum) and at $B^* = 16\sigma^2/g^2$, where $\eta^* = 1/(2L)$. $B^*$ is the
#   maximum only among the $B > 4\sigma^2/g^2$ where $\eta^*(B) > 0$: over all $B \ge 1$ the squared expression
#   is largest at $B = 1$, where $\eta^*$ is negative and the "bound" meaningless. The appendix does not say so.
#   **Its conclusion is not about SGD's progress.** $B^*$ maximises a *lower bound* per example.
#   The true progress per example, $\Delta L_\text{max}/(B + B_\text{noise})$, decreases with $B$ at every
#   $B$: the most sample-efficient batch is the smallest one. The bound is also loose (zero for
#   $B \le 16$, where SGD makes good progress) and not a guarantee: it fails in the printed fraction of steps.
# * What $B^*$ does predict: a batch large enough that steps are nearly as good as full-batch steps (only
#   6% more steps than the minimum), at the price of 17 times the minimum number of examples. McCandlish et
#   al.'s balanced choice is $B \approx B_\text{noise}$ (twice the minimum steps and twice the minimum examples).
# * The best $\eta$ grows linearly with $B$ for $B \ll B_\text{noise}$ (the linear scaling rule of section 6)
#   and saturates at $1/L$ beyond: there the rule breaks. The seed's $\eta^*(B)$ is negative for $B < 4\sigma^2/g^2 = 16$ and
#   its linear rule's slope is 32 times too small.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# ### Exercise 1: spot the bug in seed 001's accumulation loop
#
# Seed 001's loop (section 7) steps when `i % k == 0` and divides every loss by `k`. Write
# `fixed_accumulation(model, optimizer, loss_fn, batches, k)` in the same style (`loss_fn` returns the
# **mean** loss of a micro-batch; `batches` is a list of `(x, y)` micro-batches) so that one epoch
# leaves the parameters equal to one step per group of `k` micro-batches on the concatenated group.
# Mind the last group: it may have fewer than `k` micro-batches, and they may differ in size.

# %% tags=["solution"]
def fixed_accumulation(model, optimizer, loss_fn, batches, k):
    optimizer.zero_grad()
    for i, (xb, yb) in enumerate(batches):
        group = batches[(i // k) * k:(i // k) * k + k]
        n_group = sum(len(b[0]) for b in group)
        loss = loss_fn(model(xb), yb) * len(xb) / n_group
        loss.backward()
        if (i + 1) % k == 0 or i + 1 == len(batches):
            optimizer.step()
            optimizer.zero_grad()


# %%
check_accumulation(fixed_accumulation)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 2: predict the gradient noise
#
# A data set has $N = 20$ examples whose per-example gradients have population variance
# $\sigma^2 = \frac1N\sum_i\lVert g_i - g\rVert^2 = 3$. You draw a batch of $B = 5$ examples **without
# replacement** and average their gradients. Set `variance` to $\mathbb E\lVert\hat g - g\rVert^2$.

# %% tags=["solution"]
variance = 3.0 / 5 * (20 - 5) / (20 - 1)

# %%
check_minibatch_variance(variance, sigma2=3.0, n=20, batch_size=5, replacement=False)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 3: fix the DataLoader call
#
# Seed 001 wrote `DataLoader(dataset, batch_size=32, shuffle=True, pin_device=True)`. Write
# `make_loader(dataset, batch_size, device)` that returns a `DataLoader` drawing a new permutation every
# epoch, keeping every batch at exactly `batch_size`, and pinning memory only when it helps.

# %% tags=["solution"]
def make_loader(dataset, batch_size, device):
    return DataLoader(dataset, batch_size=batch_size, shuffle=True, drop_last=True,
                      pin_memory=(device.type == "cuda"))


# %%
check_loader(make_loader)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# * A mini-batch gradient is an unbiased estimate of the full gradient; its variance is $\sigma^2/B$ with
#   replacement and $\frac{\sigma^2}{B}\frac{N-B}{N-1}$ without (measured within a few percent). Noise
#   falls like $1/\sqrt B$ in standard deviation, so small batches buy many cheap, noisy steps.
# * Shuffle. Sampling without replacement (epochs of a permutation) beat sampling with replacement in our
#   runs, by 7 to 10 times at the epoch ends for small steps but only 1.3 to 1.5 times for large ones; never
#   shuffling data stored in a systematic order was by far the worst.
# * `DataLoader(..., shuffle=True, drop_last=True, pin_memory=(device.type == "cuda"))`; there is no
#   `pin_device`.
# * A constant learning rate stalls in a noise ball whose size scales with $\eta/B$ (predicted by the
#   stationary covariance); a decaying $\eta_t$ with $\sum\eta_t = \infty$, $\sum\eta_t^2 < \infty$
#   (Robbins-Monro, $t \to \infty$) keeps improving.
# * Linear scaling ($B \to kB$, $\eta \to k\eta$) holds while $k\eta$ stays well inside the stable range
#   and $B$ below the noise scale; on digits it held up to $k = 8$ and broke at $k = 16$.
# * Gradient accumulation equals a big batch exactly when it steps after every $k$-th micro-batch and on
#   the last partial group, with each micro-batch loss weighted by its share of the group.
# * The best learning rate and progress per step follow $1/(1 + B_\text{noise}/B)$ (McCandlish et al.). Seed
#   004's $B^* = 16\sigma^2/g^2$ is correct algebra for maximising a loose lower bound per example; the true
#   progress per example falls with $B$, and $B^*$ lands where steps are 94% as good as full-batch steps.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## References
#
# * Herbert Robbins and Sutton Monro, *A Stochastic Approximation Method*, Annals of Mathematical
#   Statistics 22(3), 1951.
# * Léon Bottou, Frank E. Curtis and Jorge Nocedal, *Optimization Methods for Large-Scale Machine
#   Learning*, SIAM Review 60(2), 2018 (sections 4 and 5: SGD with fixed and diminishing steps).
# * Priya Goyal et al., *Accurate, Large Minibatch SGD: Training ImageNet in 1 Hour*, arXiv:1706.02677, 2017.
# * Sam McCandlish, Jared Kaplan, Dario Amodei and the OpenAI Dota Team, *An Empirical Model of
#   Large-Batch Training*, arXiv:1812.06162, 2018.
# * Samuel L. Smith, Pieter-Jan Kindermans, Chris Ying and Quoc V. Le, *Don't Decay the Learning Rate,
#   Increase the Batch Size*, ICLR 2018.
# * Mert Gürbüzbalaban, Asu Ozdaglar and Pablo Parrilo, *Why Random Reshuffling Beats Stochastic Gradient
#   Descent*, Mathematical Programming 186, 2021; Konstantin Mishchenko, Ahmed Khaled and Peter Richtárik,
#   *Random Reshuffling: Simple Analysis with Vast Improvements*, NeurIPS 2020.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What's next
#
# **06 · The learning-rate finder** turns the question "which $\eta$?" into a measurement on a real
# network, and **07 · Learning-rate schedules** builds the decaying schedules that section 5 called for
# (step, $1/(1+kt)$, cosine, warm-up, one-cycle) and compares them with a constant rate.
