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
# Deep learning estimates the gradient on a random *mini-batch* of $B$ examples and steps with the
# estimate. This notebook measures what that costs and what it buys.
#
# **Learning objectives**
# - Measure a mini-batch gradient's variance, $\sigma^2/B$ (times $(N-B)/(N-1)$ without replacement).
# - Choose how batches are drawn (epochs, reshuffling) and configure a `DataLoader` for it.
# - Explain the noise ball of a constant learning rate and the Robbins-Monro conditions.
# - Apply the linear scaling rule, say where it breaks and what momentum changes; accumulate gradients exactly.
# - Measure the gradient noise scale $B_\text{noise}$ and use it to pick a batch size.
#
# **Prerequisites:** 00 · Gradient descent (learning rate, stability limit $2/L$), 02 · Momentum.
#
# **Time to complete:** about 80 minutes

# %% [markdown] slideshow={"slide_type": "skip"}
# Gradient descent needs the gradient of the loss over the whole training set at every step. Deep
# learning never pays that price: it estimates the gradient on a small random mini-batch and takes a
# step with the estimate. We watch SGD wander on the loss surface of a linear regression, measure the
# noise of the mini-batch gradient against $B$, compare ways of drawing batches (with or without
# replacement, reshuffled each epoch or not), set up a `DataLoader` correctly, see a constant learning
# rate stall in a *noise ball* while a decaying one keeps going, try the linear scaling rule (with and
# without momentum) on a real network, write gradient accumulation that is exactly equal to a big
# batch, put seed 004's batch-size formula $B^* = 16\sigma^2/g^2$ to the test, and measure the gradient
# noise scale of McCandlish et al. on that network, exactly and with two online estimators.

# %% slideshow={"slide_type": "skip"}
import math

import sympy as sp
import torch
from torch import nn
from torch.utils.data import BatchSampler, DataLoader, RandomSampler, TensorDataset

from course_utils import (
    PALETTE,
    CriticalPoint,
    Landscape,
    RecordingSGD,
    Trajectory,
    check_accumulation,
    check_loader,
    check_minibatch_variance,
    fmt_diff,
    linear_regression_data,
    load_digits,
    make_mlp,
    new_figure,
    plot_contour,
    setup_notebook,
)

DEVICE = setup_notebook(seed=0)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. Full-batch gradient descent against SGD
#
# The loss is an average over $N$ examples, $\mathcal L(\theta) = \frac1N\sum_{i=1}^N \ell_i(\theta)$. A mini-batch
# $\mathcal B_t$ of $B$ random indices gives a noisy but *unbiased* estimate of its gradient, for $B$
# instead of $N$ gradient evaluations:
#
# $$\tilde g_t = \frac1B \sum_{i\in\mathcal B_t} \nabla \ell_i(\theta_{t-1}), \qquad
# \mathbb E[\tilde g_t] = \nabla\mathcal L(\theta_{t-1}), \qquad
# \theta_t = \theta_{t-1} - \eta\, \tilde g_t .$$
#
# Each SGD step is cheap and a little wrong; many cheap steps can beat a few exact ones.

# %% [markdown] slideshow={"slide_type": "skip"}
# The indices are drawn uniformly, with or without replacement. Our example is a linear regression
# $y = w_0 + w_1 x + \text{noise}$ with $N = 1000$ points; the row $X_i = (1, x_i)$ of the design matrix
# gives the prediction $X_i w$ and $\ell_i(w) = (X_i w - y_i)^2$, so $\mathcal L$ is the mean squared error
# (MSE) and the batch gradient is $\frac2B X_{\mathcal B}^\top (X_{\mathcal B} w - y_{\mathcal B})$. The code
# writes the loss as a `Landscape` whose function evaluates the MSE on a whole grid of $(w_0, w_1)$ at
# once, by broadcasting the grid against the data.

# %% slideshow={"slide_type": "skip"}
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


# %% slideshow={"slide_type": "subslide"}
true_loss = mse_landscape(X, y, "true loss")
w_star = least_squares(X, y)
L_star = float(true_loss(w_star[0], w_star[1]))
H = 2 * X.T @ X / N  # the Hessian of the MSE (constant: the loss is quadratic)
lam = torch.linalg.eigvalsh(H)
print(f"w* = ({w_star[0]:.4f}, {w_star[1]:.4f}), loss there {L_star:.4f}")
print(f"grid function == direct MSE at w*: {math.isclose(L_star, float(((X @ w_star - y) ** 2).mean()))}")
print(f"Hessian eigenvalues {lam[0]:.4f} and {lam[1]:.4f}: smoothness L = {lam[1]:.4f}, "
      f"GD is stable for eta < 2/L = {2 / lam[1]:.4f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# SGD draws each batch with replacement (`torch.randint`); with $B = N$ it uses all the data, which is
# gradient descent. Every run records the **true** loss at each point it visits.

# %% slideshow={"slide_type": "skip"}
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


# %%
STEPS, LR = 30, 0.3
paths = {B: sgd_path(B, LR, STEPS) for B in (N, 32, 4)}
for B, p in paths.items():
    print(f"{p.label:12s} {STEPS} steps = {STEPS * B:6d} examples: final excess loss {p.final_loss - L_star:.4f}, "
          f"mean over the last 10 steps {p.losses[-10:].mean() - L_star:.4f}")

# %% slideshow={"slide_type": "skip"}
fig, (ax0, ax1) = new_figure(1, 2, figsize=(9.5, 3.9))
plot_contour(true_loss, list(paths.values()), ax=ax0, n=60, log_scale=True,
             title=f"{STEPS} steps at eta = {LR} on the true loss")
for i, (B, p) in enumerate(paths.items()):
    examples = B * torch.arange(1, STEPS + 1)
    ax1.loglog(examples, p.losses[1:] - L_star, "-o", ms=3, color=PALETTE[i], label=p.label)
ax1.set(xlabel="examples processed (B x steps)", ylabel="excess loss (log scale)",
        title="Excess true loss against the work done")
_ = ax1.legend()

# %% slideshow={"slide_type": "subslide"}
fig

# %% [markdown] slideshow={"slide_type": "subslide"}
# What does one step of SGD "see"? Each mini-batch has its own loss surface $\mathcal L_{\mathcal B}$, with
# its own minimum. Three batches of $B = 4$, two of them drawn next to the full loss (the white star is
# the true minimum $w^*$):

# %% slideshow={"slide_type": "subslide"}
gen = torch.Generator().manual_seed(1)
w_start = torch.tensor([-4.0, -4.0], dtype=torch.float64)
g_full = minibatch_gradient(w_start, X, y)
batches4 = [torch.randint(N, (4,), generator=gen) for _ in range(3)]
for j, idx in enumerate(batches4, start=1):
    w_b = least_squares(X[idx], y[idx])
    g_b = minibatch_gradient(w_start, X[idx], y[idx])
    cos = float(g_b @ g_full / (g_b.norm() * g_full.norm()))
    print(f"batch {j}: minimum at ({w_b[0]:.3f}, {w_b[1]:.3f}), {float((w_b - w_star).norm()):.3f} from w*; "
          f"gradient at (-4, -4): {math.degrees(math.acos(min(1.0, cos))):.1f} deg from the full gradient")

# %% slideshow={"slide_type": "skip"}
fig, axes = new_figure(1, 3, figsize=(9.5, 3.3))
plot_contour(true_loss, ax=axes[0], n=60, log_scale=True, title=f"true loss (N = {N})")
for ax, j in zip(axes[1:], (1, 3), strict=True):
    plot_contour(mse_landscape(X[batches4[j - 1]], y[batches4[j - 1]], f"mini-batch {j}"), ax=ax, n=60,
                 log_scale=True, title=f"mini-batch {j} (B = 4)")
for ax in axes:
    ax.plot(*w_star.tolist(), "*", color="white", ms=12, mec="black", label="$w^*$", zorder=7)
    ax.legend(loc="lower right")
    if ax is not axes[0]:
        ax.set_ylabel("")
for cbar_ax in fig.axes[3:]:  # the three colour bars: the shading is enough here
    cbar_ax.remove()

# %% slideshow={"slide_type": "subslide"}
fig

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice**
# * GD (30,000 examples) and SGD with $B = 32$ (960 examples) both end near $w^*$; $B = 4$ (120 examples)
#   gets most of the way: SGD reaches a given loss with one to two orders of magnitude fewer examples.
# * Near the minimum SGD stops improving and jitters, more so for the smaller batch.
# * Each mini-batch surface is a different bowl, its minimum 0.191 to 1.005 away from $w^*$; the batch
#   gradient points 5 to 14 degrees away from the true one. Only on average do they agree.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. Gradient noise against the batch size
#
# At a fixed $\theta$, with $g_i = \nabla\ell_i(\theta)$ and $g = \frac1N\sum_i g_i$, the *population* variance
# of the per-example gradients is $\sigma^2 = \frac1N \sum_{i=1}^N \lVert g_i - g\rVert^2 = \operatorname{tr}\Sigma$.
# For the mean $\tilde g$ of $B$ of them:
#
# * **with replacement** the draws are independent: $\ \mathbb E\lVert \tilde g - g\rVert^2 = \dfrac{\sigma^2}{B}$;
# * **without replacement** they are negatively correlated:
#   $\ \mathbb E\lVert \tilde g - g\rVert^2 = \dfrac{\sigma^2}{B}\cdot\dfrac{N-B}{N-1}$, the *finite-population
#   correction*, 0 at $B = N$.

# %% [markdown] slideshow={"slide_type": "skip"}
# If you define the variance with $\frac1{N-1}$ instead, $s^2 = \frac{N}{N-1}\sigma^2$, the same result
# reads $\frac{s^2}{B}(1 - \frac BN)$: two spellings of one formula. We measure both at $w = (-4, -4)$ by
# drawing 2000 batches of each size.

# %% slideshow={"slide_type": "subslide"}
G = 2 * (X @ w_start - y).unsqueeze(1) * X  # per-example gradients at w_start, shape (N, 2)
g = G.mean(0)
sigma2 = float(((G - g) ** 2).sum(1).mean())  # population variance: divide by N
print(f"at w = (-4, -4): |g|^2 = {float(g @ g):.2f}, sigma^2 = {sigma2:.2f}")
M = 2000
gen = torch.Generator().manual_seed(2)
batch_sizes = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900]
draws_with = torch.randint(N, (M, max(batch_sizes)), generator=gen)  # independent draws
perms = torch.rand(M, N, generator=gen).argsort(dim=1)  # first B entries: a sample without replacement
rows = []
for B in batch_sizes:
    v_with = float(((G[draws_with[:, :B]].mean(1) - g) ** 2).sum(1).mean())
    v_without = float(((G[perms[:, :B]].mean(1) - g) ** 2).sum(1).mean())
    rows.append((B, v_with, sigma2 / B, v_without, sigma2 / B * (N - B) / (N - 1)))

# %% slideshow={"slide_type": "subslide"}
print(f"{'B':>4} | {'with repl.':>10} {'sigma^2/B':>10} {'ratio':>6} | {'without':>10} {'x(N-B)/(N-1)':>12} {'ratio':>6}")
for B, vw, pw, vo, po in rows:
    print(f"{B:4d} | {vw:10.4f} {pw:10.4f} {vw / pw:6.3f} | {vo:10.4f} {po:12.4f} {vo / po:6.3f}")

# %% slideshow={"slide_type": "skip"}
Bt = torch.tensor(batch_sizes, dtype=torch.float64)
fine = torch.logspace(0, math.log10(900), 100, dtype=torch.float64)
fig, ax = new_figure(figsize=(6.4, 4.2))
ax.loglog(fine, sigma2 / fine, color=PALETTE[0], label=r"$\sigma^2/B$")
ax.loglog(fine, sigma2 / fine * (N - fine) / (N - 1), "--", color=PALETTE[1],
          label=r"$\frac{\sigma^2}{B}\cdot\frac{N-B}{N-1}$")
ax.loglog(Bt, [r[1] for r in rows], "o", color=PALETTE[0], label="measured, with replacement")
ax.loglog(Bt, [r[3] for r in rows], "s", mfc="none", color=PALETTE[1], label="measured, without replacement")
ax.set(xlabel="batch size B (log scale)", ylabel=r"$E\,\|\tilde g - g\|^2$ (log scale)",
       title=f"Mini-batch gradient variance (N = {N}, {M} batches per B)")
_ = ax.legend()

# %% slideshow={"slide_type": "subslide"}
fig

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice**
# * Both measurements sit on their formulas: every ratio is within 5% of 1 (2000 batches estimate a
#   variance to about 3%). The variance falls like $1/B$: a slope of $-1$ on the log-log plot.
# * The standard deviation falls only like $1/\sqrt B$: a batch 100 times larger gives a gradient 10 times
#   less noisy, for 100 times the compute.
# * The correction is invisible for small $B$: at $B = 512$ it halves the variance, at $B = 900$ it divides
#   it by about 10, and at $B = N$ the kicks vanish.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Epochs, shuffling, and sampling with or without replacement
#
# Theory usually assumes independent draws (with replacement). Practice makes **epochs**: shuffle the
# data, cut it into $N/B$ batches, repeat. Within an epoch that is sampling *without* replacement.
#
# * `DataLoader(..., shuffle=True)` draws a new permutation every epoch ("random reshuffling");
# * `RandomSampler(replacement=True)` draws independent indices.

# %%
tiny = TensorDataset(torch.arange(10))
loader = DataLoader(tiny, batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(0))
for epoch in range(2):
    print(f"shuffle=True, epoch {epoch}:        ", [b[0].tolist() for b in loader])
sampler = RandomSampler(tiny, replacement=True, generator=torch.Generator().manual_seed(0))
print("RandomSampler(replacement=True):", [b[0].tolist() for b in DataLoader(tiny, batch_size=4, sampler=sampler)])

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Which converges faster?** SGD on the regression with four orders of the data, 100 seeds at once,
# compared at the end of each epoch:
#
# * *with replacement*; *reshuffle every epoch*; *shuffle once* (one permutation reused);
# * *no shuffle*, with the data stored sorted by $y$ (as a data set sorted by label would be).
#
# Theory (Gürbüzbalaban et al.; Mishchenko et al.): without-replacement orders win when the step is
# small, $\eta L \cdot N/B \lesssim 1$. One setting on each side of that threshold.

# %% slideshow={"slide_type": "skip"}
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


# %% slideshow={"slide_type": "skip"}
L_smooth = float(lam[1])
results, tables = {}, {}
for B, lr, epochs in [(50, 0.02, 30), (20, 0.1, 6)]:
    hist = results[(B, lr)] = compare_orders(B, lr, epochs)
    spe = N // B
    at_ends = hist[spe - 1::spe][-5:].mean(0)  # per seed: mean over the last 5 epoch ends
    last_epoch = hist[-spe:].mean(0)  # per seed: mean over every step of the last epoch
    tables[(B, lr, epochs)] = [(s, float(at_ends[k].mean()), float(at_ends[k].std() / math.sqrt(at_ends.shape[1])),
                                float(last_epoch[k].mean())) for k, s in enumerate(SCHEMES)]

# %% slideshow={"slide_type": "subslide"}
for (B, lr, epochs), table in tables.items():
    print(f"B = {B}, eta = {lr}, {epochs} epochs: eta L N/B = {lr * L_smooth * N / B:.2f}; excess loss (x: ratio to "
          "with replacement)")
    print(f"   {'':24s} {'at the epoch ends (+- std. error)':>41s} {'over the last epoch':>21s}")
    for s, m, se, a in table:
        se_text = f"{se:.0e}" if se > 1e-9 * m else "0 (seeds alike)"
        print(f"   {s:24s} {m:.2e} +- {se_text:15s} ({m / table[0][1]:6.2f}x) {a:10.2e} ({a / table[0][3]:6.2f}x)")

# %% slideshow={"slide_type": "skip"}
fig, axes = new_figure(1, 2, figsize=(9.5, 3.8), sharey=True)
for ax, ((B, lr), hist) in zip(axes, results.items(), strict=True):
    epochs_axis = torch.arange(1, len(hist) + 1) * B / N
    for k, s in enumerate(SCHEMES):
        ax.semilogy(epochs_axis, hist[:, k].mean(1), color=PALETTE[k], lw=1.2, label=s)
    ax.set(xlabel="epochs (examples processed / N)", title=f"B = {B}, eta = {lr}: eta L N/B = {lr * L_smooth * N / B:.1f}")
    ax.set_ylim(1e-6, 1e1)
axes[0].set_ylabel("excess loss, mean of 100 seeds (log)")
_ = axes[0].legend(loc="upper right", fontsize=8)

# %% slideshow={"slide_type": "subslide"}
fig

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice** (the ratios are not all what folklore says)
# * Small steps ($\eta L N/B = 0.8$): at the epoch ends, reshuffling is about 10 times and shuffling once
#   about 7 times closer to the optimum than sampling with replacement; over the whole last epoch both
#   stay 5 to 7 times better (reshuffling's error swells mid-epoch: the saw-tooth).
# * Larger steps ($\eta L N/B = 10$): the advantage shrinks to a factor of about 1.3 to 1.5.
# * Never shuffling data stored in order is the real danger: 11 times (small steps) and about 190 times
#   (large steps) *worse* than sampling with replacement. Shuffle at least once.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. A DataLoader with the right arguments
#
# * `shuffle=True`: a new permutation each epoch (section 3); a seeded `generator` makes it reproducible.
# * `drop_last=True`: every step has the same batch size (the same noise, section 2; no batch of 1 for
#   a batch-norm layer).
# * `pin_memory=True`: page-locked host memory, from which copies to a **CUDA** GPU are faster and can
#   overlap compute. Useless without CUDA: `pin_memory=(DEVICE.type == "cuda")`.

# %% slideshow={"slide_type": "subslide"}
digits = load_digits()
train_set = digits.train_dataset()
loader = DataLoader(train_set, batch_size=32, shuffle=True, drop_last=True,
                    pin_memory=(DEVICE.type == "cuda"), generator=torch.Generator().manual_seed(0))
keep_last = DataLoader(train_set, batch_size=32)
print(f"{len(train_set)} training images, batch_size=32: {len(loader)} batches with drop_last=True, "
      f"{len(keep_last)} without (the last has {len(train_set) % 32} images)")
print(f"device {DEVICE.type}: pin_memory = {loader.pin_memory}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **Spot the bug.** Seed 001 advises "one can set `pin_device=True` in the data loader". There is no
# such argument, and Python says so:

# %% slideshow={"slide_type": "fragment"}
try:
    DataLoader(train_set, batch_size=32, shuffle=True, pin_device=True)
except TypeError as err:
    print("TypeError:", err)

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Batches of in-memory tensors.** With `batch_size=B` a `DataLoader` fetches one example at a time and
# stacks them; a `BatchSampler` passed as the sampler (with `batch_size=None`) fetches a whole batch in
# one indexing operation. Same batches, far fewer calls:

# %% slideshow={"slide_type": "skip"}
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


# %%
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
# At the minimum the full gradient is zero, a mini-batch gradient is not (covariance $\Sigma_*/B$): a constant
# $\eta$ keeps kicking $\theta$ around $\theta^*$. For a quadratic with Hessian $H$, $e_t = \theta_t - \theta^*$ follows
#
# $$e_t = (I - \eta H)e_{t-1} - \eta\, \zeta_t, \qquad P = (I-\eta H) P (I-\eta H) + \eta^2 \Sigma_*/B,$$
#
# with $\zeta_t = \tilde g_t - \nabla\mathcal L(\theta_{t-1})$ the noise of $\tilde g_t$ and $P$ the stationary
# covariance of $e_t$; the floor is
# $\mathbb E[\mathcal L] - \mathcal L^* = \frac12 \operatorname{tr}(HP) \approx \frac{\eta}{4B}\operatorname{tr}\Sigma_*$.

# %% [markdown] slideshow={"slide_type": "fragment"}
# The kicks shrink only when $\eta/B$ does: decay $\eta$, or grow $B$ (up to $B = N$, where they vanish).

# %% [markdown] slideshow={"slide_type": "subslide"}
# **The Robbins-Monro conditions.** Robbins and Monro (1951) proved convergence for step sizes with
#
# $$\eta_t > 0, \qquad \sum_{t=1}^\infty \eta_t = \infty, \qquad \sum_{t=1}^\infty \eta_t^2 < \infty .$$
#
# The first sum lets the steps travel any distance; the second makes the accumulated noise finite.
# Seed 004's slide writes "$\lim_{t\to 0}\eta^t = 0$ and $\sum_t \eta^t = \infty$": the limit must be
# $t \to \infty$, and $\eta_t \to 0$ is weaker than $\sum \eta_t^2 < \infty$ ($\eta_t = 1/\sqrt t$ tends to 0,
# its squares sum to infinity). The schedule $\eta_t = \eta_0/(1 + t/t_0)$ satisfies both.

# %% slideshow={"slide_type": "subslide"}
t_big = torch.arange(1, 10**6 + 1, dtype=torch.float64)
schedules = {"constant eta_0": torch.full_like(t_big, 0.1), "eta_0 / (1 + t/t_0)": 0.1 / (1 + t_big / 100),
             "eta_0 / sqrt(1 + t/t_0)": 0.1 / (1 + t_big / 100).sqrt(), "eta_0 / (1 + t/t_0)^2": 0.1 / (1 + t_big / 100) ** 2}
print(f"{'eta_t (eta_0 = 0.1, t_0 = 100)':30s} {'sum eta_t to 10^4':>17} {'to 10^6':>9} {'sum eta_t^2 to 10^4':>20} {'to 10^6':>9}")
for name, eta in schedules.items():
    s1, s2 = eta.cumsum(0), (eta**2).cumsum(0)
    print(f"{name:30s} {s1[10**4 - 1]:17.2f} {s1[-1]:9.2f} {s2[10**4 - 1]:20.4f} {s2[-1]:9.4f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# Growing sums diverge, flat ones converge: only $\eta_0/(1+t/t_0)$ has a growing $\sum\eta_t$ and a
# converged $\sum\eta_t^2$. The experiment: SGD with replacement on the regression, 200 seeds at once,
# 2000 steps, for $\eta_0 = 0.1$ with $B = 4$, the same with $\eta_0/2$, the same with $2B$, and the
# decaying $\eta_t = \eta_0/(1 + t/t_0)$, $t_0 = 100$. Solving the equation for $P$ (linear in $P$)
# predicts each constant run's floor.

# %% slideshow={"slide_type": "skip"}
def noise_floor(lr, batch_size):
    """(1/2) tr(H P), with P the stationary covariance of e_t = (I - lr H) e_{t-1} - lr zeta_t."""
    A = torch.eye(2, dtype=torch.float64) - lr * H
    Q = lr**2 * Sigma_star / batch_size
    P = torch.linalg.solve(torch.eye(4, dtype=torch.float64) - torch.kron(A, A), Q.reshape(4)).reshape(2, 2)
    return float(0.5 * torch.trace(H @ P))


G_star = 2 * (X @ w_star - y).unsqueeze(1) * X  # per-example gradients at the optimum (their mean is 0)
Sigma_star = G_star.T @ G_star / N
RUNS = {  # name: (lr schedule of update t = 1, 2, ..., batch size)
    "constant eta_0, B = 4": (lambda t: 0.1, 4),
    "constant eta_0/2, B = 4": (lambda t: 0.05, 4),
    "constant eta_0, B = 8": (lambda t: 0.1, 8),
    "eta_0/(1 + t/t_0), B = 4": (lambda t: 0.1 / (1 + t / 100), 4),
}
T_STEPS, SEEDS = 2000, 200
gen = torch.Generator().manual_seed(3)
sizes = torch.tensor([b for _, b in RUNS.values()])
weights = (torch.arange(sizes.max()) < sizes[:, None]).double() / sizes[:, None]  # (runs, max B): 1/B on the first B
W = torch.tensor([-4.0, -4.0], dtype=torch.float64).expand(len(RUNS), SEEDS, 2)
excess = []
for t in range(1, T_STEPS + 1):
    idx = torch.randint(N, (len(RUNS), SEEDS, int(sizes.max())), generator=gen)
    Xb, yb = X[idx], y[idx]
    residual = (Xb @ W.unsqueeze(-1)).squeeze(-1) - yb  # (runs, seeds, max B)
    grad = 2 * ((weights[:, None, :] * residual).unsqueeze(-1) * Xb).sum(-2)  # mean over each run's B
    lrs = torch.tensor([sched(t) for sched, _ in RUNS.values()], dtype=torch.float64)
    W = W - lrs[:, None, None] * grad
    excess.append(excess_loss(W).mean(1))
excess = torch.stack(excess)  # (steps, runs): excess loss after update t, mean over the seeds

# %% slideshow={"slide_type": "subslide"}
last = T_STEPS // 10
print(f"excess loss, mean over the last {last} steps and {SEEDS} seeds:")
for k, (name, (sched, B)) in enumerate(RUNS.items()):
    pred = (f"   predicted floor {noise_floor(sched(1), B):.2e} (first order "
            f"{sched(1) * torch.trace(Sigma_star) / (4 * B):.2e})") if "constant" in name else ""
    print(f"  {name:24s} {excess[-last:, k].mean():.2e}{pred}")
print(f"decaying run over steps 401-500 {excess[400:500, 3].mean():.2e}, 901-1000 {excess[900:1000, 3].mean():.2e}, "
      f"1901-2000 {excess[-100:, 3].mean():.2e}")

# %% slideshow={"slide_type": "skip"}
fig, ax = new_figure(figsize=(7.2, 4.2))
steps_axis = torch.arange(1, T_STEPS + 1)
for k, name in enumerate(RUNS):
    ax.loglog(steps_axis, excess[:, k], color=PALETTE[k], lw=1.3, label=name)
    sched, B = RUNS[name]
    if "constant" in name:
        ax.axhline(noise_floor(sched(1), B), color=PALETTE[k], ls=":", lw=1.2)
ax.set(xlabel="step t (log scale)", ylabel="excess loss, mean of 200 seeds (log)",
       title="Constant learning rates stall at the predicted floor (dotted)", ylim=(1e-4, 1e2))
_ = ax.legend(loc="lower left")

# %% slideshow={"slide_type": "subslide"}
fig

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice**
# * Each constant rate stalls at a floor that the solved $P$ (dotted) predicts to within a few percent;
#   the first-order formula $\eta \operatorname{tr}\Sigma_*/(4B)$ is about 10% low at $\eta = 0.1$.
# * Halving $\eta$ or doubling $B$ halves the floor, the same factor both ways: the noise depends on $\eta/B$.
#   So growing $B$ removes noise as decaying $\eta$ does, with fewer, larger steps: Smith et al. (2018),
#   *Don't decay the learning rate, increase the batch size*.
# * The decaying rate ends about 20 times lower and is still improving: its loss roughly halves each time
#   $t$ doubles (steps 500, 1000, 2000), following the floor of its current $\eta_t$ down.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. Batch size and learning rate: the linear scaling rule, and momentum
#
# * $k$ steps of batch $B$ at rate $\eta$ move $\theta$ by about $-\eta\sum_{j=1}^k \tilde g_j$; one step of batch
#   $kB$ at rate $k\eta$ moves it by $-k\eta\,\tilde g_{kB} = -\eta\sum_j \tilde g_j$: the same, **if** the gradient
#   barely changes over those $k$ steps. Goyal et al. (2017) trained ImageNet with batches of 8192 so.
# * Seed 004 adds: with momentum in the averaging form ($m_t = \beta m_{t-1} + (1-\beta)\tilde g_t$, step $\eta m_t$;
#   in PyTorch `lr` $= \eta(1-\beta)$), "$\eta = B\eta_1$ independent of $\beta$, and momentum has no effect for
#   $1/(1-\beta) \ll B^*$".

# %% [markdown] slideshow={"slide_type": "skip"}
# **The experiment.** A $64 \to 64 \to 10$ MLP on scikit-learn's digits, in float64, 10 epochs for every
# run (so every run processes the same number of examples), base batch $B_0 = 32$ and rate $\eta_0 = 0.1$.
# For each $k$: batch $kB_0$ with the scaled rate $k\eta_0$; with the unscaled $\eta_0$; and with momentum
# $\beta = 0.9$ at the same effective rate $k\eta_0$ (PyTorch's `lr` $= k\eta_0(1-\beta)$, as in notebook 02).
# Each entry is averaged over 2 seeds (the initial weights and the order of the batches): the final
# training loss (mean over the last epoch) and the final validation accuracy; the *gap* column is the
# difference between the two seeds' accuracies, a measure of its noise. All the runs of one batch size
# are trained at once, as one batch of models (the plumbing below); each model's update is PyTorch's
# `SGD` rule, $b_t = \beta b_{t-1} + \tilde g_t$, $\theta_t = \theta_{t-1} - \text{lr}\, b_t$.

# %% slideshow={"slide_type": "skip"}
digits64 = load_digits(dtype=torch.float64)
X_tr, y_tr, X_val, y_val = digits64.X_train, digits64.y_train, digits64.X_val, digits64.y_val
N_tr = len(X_tr)


def mlp_params(seeds):
    """make_mlp([64, 64, 10], seed) for each seed, stacked along a leading model dimension K:
    W1 (K, 64, 64), b1 (K, 1, 64), W2 (K, 64, 10), b2 (K, 1, 10), with W = the layer's weight transposed."""
    nets = [make_mlp([64, 64, 10], seed=s).double() for s in seeds]
    return [torch.stack([t for t in ts]) for ts in zip(*[(n[0].weight.T, n[0].bias[None], n[2].weight.T,
                                                           n[2].bias[None]) for n in nets], strict=True)]


def mlp_loss(P, xb, yb):
    """Mean cross-entropy of each of the K models on its own batch: xb (K, B, 64), yb (K, B) -> (K,)."""
    W1, b1, W2, b2 = P
    logits = torch.relu(xb @ W1 + b1) @ W2 + b2
    return nn.functional.cross_entropy(logits.flatten(0, 1), yb.flatten(), reduction="none").view(yb.shape).mean(1)


def train_many(batch_size, lrs, momenta, seeds, epochs=10):
    """K MLPs trained at once with PyTorch's SGD rule; model k starts from make_mlp(seeds[k]) and sees the
    batches of a generator seeded with seeds[k]. Returns (train loss over the last epoch, val accuracy), (K,) each."""
    P = [p.clone().requires_grad_() for p in mlp_params(seeds)]
    shape = (len(lrs), 1, 1)
    lr, beta = torch.tensor(lrs, dtype=torch.float64).view(shape), torch.tensor(momenta, dtype=torch.float64).view(shape)
    bufs = [torch.zeros_like(p) for p in P]
    gens = {s: torch.Generator().manual_seed(s) for s in seeds}
    for _ in range(epochs):
        perms = {s: torch.randperm(N_tr, generator=gen) for s, gen in gens.items()}
        order = torch.stack([perms[s] for s in seeds])  # (K, N): each model's order of the examples
        total = 0.0
        for j in range(0, N_tr, batch_size):
            idx = order[:, j:j + batch_size]
            losses = mlp_loss(P, X_tr[idx], y_tr[idx])
            grads = torch.autograd.grad(losses.sum(), P)
            with torch.no_grad():
                for p, g, b in zip(P, grads, bufs, strict=True):
                    b.mul_(beta).add_(g)  # b_t = beta b_{t-1} + g_t (b_1 = g_1)
                    p.sub_(lr * b)
            total = total + losses.detach() * idx.shape[1]
    with torch.no_grad():
        W1, b1, W2, b2 = P
        accuracy = ((torch.relu(X_val @ W1 + b1) @ W2 + b2).argmax(-1) == y_val).double().mean(1)
    return total / N_tr, accuracy


# %% slideshow={"slide_type": "skip"}
B0, ETA0, BETA = 32, 0.1, 0.9
CONFIGS = ("scaled", "unscaled", "momentum")
scaling = {}  # k: {config: (train loss, val accuracy, gap between the seeds' accuracies)}
for k in (1, 4, 8, 16, 32):
    lrs = [k * ETA0] * 2 + [ETA0] * 2 + [k * ETA0 * (1 - BETA)] * 2  # two seeds per configuration
    loss, acc = train_many(k * B0, lrs, [0.0] * 4 + [BETA] * 2, seeds=[0, 1] * 3)
    scaling[k] = {c: (float(loss[2 * i:2 * i + 2].mean()), float(acc[2 * i:2 * i + 2].mean()),
                      float((acc[2 * i] - acc[2 * i + 1]).abs())) for i, c in enumerate(CONFIGS)}

# %% slideshow={"slide_type": "subslide"}
print(f"{'':15s} | {'scaled: eta = k eta0':^28s} | {'unscaled':^16s} | {'momentum 0.9, eta = k eta0':^26s}")
print(f"{'k':>3} {'B':>5} {'steps':>5} | {'eta':>4} {'loss':>6} {'val acc':>7} {'(gap)':>7} | {'loss':>6} {'val acc':>7} | "
      f"{'loss':>6} {'val acc':>7} {'(gap)':>7}")
for k, row in scaling.items():
    (ls, a_s, gs), (lu, a_u, _), (lm, a_m, gm) = (row[c] for c in CONFIGS)
    print(f"{k:3d} {k * B0:5d} {10 * math.ceil(N_tr / (k * B0)):5d} | {k * ETA0:4.1f} {ls:6.3f} {a_s:7.3f} {gs:7.3f} | "
          f"{lu:6.3f} {a_u:7.3f} | {lm:6.3f} {a_m:7.3f} {gm:7.3f}")

# %% slideshow={"slide_type": "skip"}
ks = list(scaling)
xs = [k * B0 for k in ks]
fig, (ax0, ax1) = new_figure(1, 2, figsize=(9.5, 3.8))
labels = {"scaled": r"SGD, $\eta = k\eta_0$", "unscaled": r"SGD, $\eta = \eta_0$",
          "momentum": r"momentum 0.9, $\eta = k\eta_0$"}
for j, (c, marker) in enumerate(zip(CONFIGS, ("-o", "-s", "-^"), strict=True)):
    ax0.semilogx(xs, [scaling[k][c][1] for k in ks], marker, color=PALETTE[j], label=labels[c])
    ax1.loglog(xs, [scaling[k][c][0] for k in ks], marker, color=PALETTE[j], label=labels[c])
for ax in (ax0, ax1):
    ax.set_xticks(xs, [str(x) for x in xs])
    ax.set_xlabel("batch size B = k B0 (log scale)")
ax0.set(ylabel="validation accuracy", ylim=(0, 1), title="Validation accuracy after 10 epochs")
ax1.set(ylabel="training loss, last epoch (log)", title="Training loss (mean of 2 seeds)")
_ = ax0.legend(loc="lower left", fontsize=8)

# %% slideshow={"slide_type": "subslide"}
fig

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice**
# * Unscaled, a larger batch makes fewer steps of the same size: the loss rises from 0.224 to 1.099 at $k = 4$.
# * Scaled, the rule holds up to $k = 4$ (0.224 both) and starts to fail at $k = 8$ (0.288); at $k = 16$ and 32
#   the loss ends at 1.607 and 2.547, the accuracy at 0.305 and 0.096: steps of $1.6$ and $3.2$ change the
#   gradient a lot, and there are only 30 and 20 of them.
# * Momentum at the same effective rate: no effect while the rule holds (0.224 and 0.228 for $k \le 4$),
#   and it keeps the rule nearly working where plain SGD breaks (0.224, 0.299 and 0.300 at $k = 8, 16, 32$,
#   against 0.224 at $k = 1$).

# %% [markdown] slideshow={"slide_type": "skip"}
# **What holds of seed 004's claim.** Momentum at a matched effective rate $\eta$ has no effect when the
# parameters barely move over its window of $1/(1-\beta) = 10$ steps: then $b_t$ sums ten gradients taken at
# almost the same point, and ten small plain steps do the same. That is the case when $\eta\lambda_{\max} \ll 1$,
# which the linear scaling rule gives at small $B$ (here $B \le 128$). At large $B$ the scaled $\eta$ is large,
# plain SGD overshoots along the steep directions, and momentum keeps converging: its stability limit
# $\text{lr}\cdot\lambda_{\max} < 2(1+\beta)$ (notebook 02) reads $\eta\lambda_{\max} < 2(1+\beta)/(1-\beta) = 38$ in
# effective-rate terms, against 2 for plain SGD, $(1+\beta)/(1-\beta) = 19$ times larger. So the seed's condition is right in kind but its threshold is not about $B^*$ alone: on
# digits $B^* = 16 B_\text{noise}$ is 1186 to 3706 (section 9), yet momentum matters from $B = 256$ on.
# A single accuracy of plain SGD at a constant rate is noisy (the gap column); the loss is the steadier measure.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. Gradient accumulation, exactly
#
# When a batch of $kB$ does not fit in memory, run $k$ micro-batches of $B$, *accumulate* their gradients
# (every `backward()` adds into `.grad`), and step once. For the step to equal one big-batch step:
#
# * step **after** every $k$-th micro-batch, `(i + 1) % k == 0`, and after the last one, whose group may be partial;
# * the big batch's loss is the mean over all its examples: with micro-batch means $\bar\ell_j$ of sizes $n_j$,
#   the group mean is $\sum_j \frac{n_j}{n_\text{group}}\bar\ell_j$. Dividing by $k$ is right only for $k$ equal sizes.

# %% [markdown] slideshow={"slide_type": "skip"}
# Seed 001's loop (below, with its `loss_fn(y, outputs)` turned round: PyTorch losses take
# `(input, target)`) steps when `i % k == 0`: after the **first** micro-batch, then every $k$, and never on
# the last partial group. The correct version here sums per-example losses and divides the gradient by
# the group's size at step time, so it never needs to know the group sizes in advance.

# %% slideshow={"slide_type": "subslide"}
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


# %% slideshow={"slide_type": "subslide"}
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


# %% slideshow={"slide_type": "skip"}
MB, K = 32, 4
micro = [(X_tr[i:i + MB], y_tr[i:i + MB]) for i in range(0, N_tr, MB)]
sizes_micro = [len(b[0]) for b in micro]


def one_epoch(loop):
    model = make_mlp([64, 32, 10], seed=0).double()
    optimizer = RecordingSGD(model.parameters(), lr=0.1, momentum=0.9)  # torch's SGD that counts its steps
    loop(model, optimizer, nn.functional.cross_entropy, micro, K)
    return torch.cat([p.detach().flatten() for p in model.parameters()]), optimizer.n_steps


# %% slideshow={"slide_type": "subslide"}
print(f"{len(micro)} micro-batches of {MB} (the last has {sizes_micro[-1]}); groups of k = {K}: "
      f"{len(micro) // K} full groups and a last group of sizes {sizes_micro[(len(micro) // K) * K:]}")
reference, ref_steps = one_epoch(big_batch_epoch)
for name, loop in [("seed 001's loop", seed_001_loop), ("accumulate_epoch", accumulate_epoch)]:
    params, n_steps = one_epoch(loop)
    diff = float((params - reference).abs().max())
    shown = fmt_diff(diff) if diff < 1e-12 else f"{diff:.3f}"
    print(f"{name:17s}: {n_steps} steps (big batch: {ref_steps}), max |param - big-batch param| after one epoch {shown}")
seed_steps = [i for i in range(len(micro)) if i % K == 0]
print(f"seed 001's loop steps after micro-batches {seed_steps[:3]} ... {seed_steps[-1]}: the gradients of micro-batches "
      f"{list(range(seed_steps[-1] + 1, len(micro)))} never reach a step")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice:** the correct loop takes as many steps as the big-batch run and lands on the same
# parameters up to float64 rounding, momentum included. Seed 001's loop takes the same *number* of steps
# here, yet its parameters differ by 0.021: its first "group" is one micro-batch, every later group is shifted
# by one, and the last two micro-batches never reach a step. (Batch norm breaks the equality: it sees micro-batches.)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 8. How large a batch? Seed 004's analysis put to the test
#
# Seed 004's one-dimensional problem: $\ell_i(\theta) = \frac12(\theta - y_i)^2$, so
# $\mathcal L(\theta) = \frac12(\theta - \bar y)^2 + \frac12\sigma^2$ with curvature 1 (smoothness $L = 1$), gradient
# $g = \theta - \bar y$ and per-example gradient variance $\sigma^2 = \operatorname{Var}(y)$. It bounds
# $|\tilde g - g| \le 2\sigma/\sqrt B$ ("two standard errors"), maximises the resulting guaranteed decrease
# over $\eta$, then *per example* over $B$:
#
# $$\eta^*(B) = \frac1L\Big(1 - \frac{2\sigma}{g\sqrt B}\Big), \qquad B^* = \frac{16\sigma^2}{g^2}, \qquad \eta^*(B^*) = \frac1{2L}.$$

# %% [markdown] slideshow={"slide_type": "subslide"}
# **The exact answer.** The expected decrease of one step is computable (curvature $L$):
#
# $$\mathbb E[\mathcal L(\theta) - \mathcal L(\theta - \eta\tilde g)] = \tfrac12\big[(2\eta - L\eta^2)g^2 - L\eta^2\sigma^2/B\big],
# \quad \text{largest at } \eta_\text{opt}(B) = \frac{\eta_\infty}{1 + B_\text{noise}/B},$$
#
# with $\Delta\mathcal L_\text{opt}(B) = \Delta\mathcal L_\infty/(1 + B_\text{noise}/B)$, $B_\text{noise} = \sigma^2/g^2$,
# $\Delta\mathcal L_\infty = g^2/(2L)$ and $\eta_\infty = 1/L$ (the full-gradient values): McCandlish et al.
# (2018)'s model of large-batch training, with their *gradient noise scale* $B_\text{noise}$.

# %% [markdown] slideshow={"slide_type": "skip"}
# In many dimensions McCandlish et al.'s critical batch size is $\operatorname{tr}(H\Sigma)/(g^\top H g)$; with
# $H \propto I$ it is the *simple* noise scale $B_\text{noise} = \operatorname{tr}\Sigma/\lVert g\rVert^2$, the one
# that can be measured cheaply (section 9). We measure instead of trusting: $\bar y = 0$, $\sigma = 2$,
# $\theta = 1$ (so $g = 1$, $B_\text{noise} = 4$, $B^* = 64$); for each $B$ we draw 10,000 batches of $y$'s,
# and grid-search $\eta$ for the largest mean decrease. The last column is the deviation of the measured
# best decrease from McCandlish's prediction, in standard errors of the measurement.

# %% slideshow={"slide_type": "subslide"}
y_bar, sigma, theta = 0.0, 2.0, 1.0
g1 = theta - y_bar  # the full gradient (L = 1)
B_noise, B_star = sigma**2 / g1**2, 16 * sigma**2 / g1**2
etas = torch.linspace(0.005, 1.5, 300, dtype=torch.float64)
Bs = [1, 2, 4, 8, 16, 32, 64, 128, 256]
gen = torch.Generator().manual_seed(4)
measured = {}  # B: (best eta, best decrease per step, the mini-batch gradients, standard error)
for B in Bs:
    ys = y_bar + sigma * torch.randn(10_000, B, generator=gen, dtype=torch.float64)
    g_tilde = theta - ys.mean(1)  # one mini-batch gradient per row
    decrease = 0.5 * g1**2 - 0.5 * (theta - etas[:, None] * g_tilde - y_bar) ** 2  # (etas, batches)
    best = int(decrease.mean(1).argmax())
    measured[B] = (float(etas[best]), float(decrease[best].mean()), g_tilde,
                   float(decrease[best].std() / math.sqrt(decrease.shape[1])))


def seed_eta(B):
    """Seed 004's eta*(B) (L = 1); not positive for B <= 4 sigma^2 / g^2."""
    return 1 - 2 * sigma / (g1 * math.sqrt(B))


# %% slideshow={"slide_type": "skip"}
table = [f"B_noise = {B_noise:.0f}, seed's B* = {B_star:.0f}, Delta L_inf = {g1**2 / 2:.3f}",
         f"{'B':>4} | {'best eta':>8} {'eta_opt':>7} {'seed eta*':>9} | {'decrease/step':>17} {'McCandlish':>10} "
         f"{'(z)':>5} {'seed bound':>10} | {'per example':>11} {'McCandlish':>10}"]
z_scores = []
for B in Bs:
    eta_b, prog, _, err = measured[B]
    pred, bound = 0.5 * g1**2 / (1 + B_noise / B), 0.5 * max(seed_eta(B), 0.0) ** 2 * g1**2
    z_scores.append((prog - pred) / err)  # the deviation from the prediction, in standard errors
    table.append(f"{B:4d} | {eta_b:8.3f} {1 / (1 + B_noise / B):7.3f} {seed_eta(B):9.3f} | {prog:8.4f} +- {err:.4f} "
                 f"{pred:10.4f} {z_scores[-1]:+5.1f} {bound:10.4f} | {prog / B:11.5f} {pred / B:10.5f}")

# %% slideshow={"slide_type": "subslide"}
print("\n".join(table))
print(f"largest |z|: {max(abs(z) for z in z_scores):.1f} standard errors")

# %% slideshow={"slide_type": "skip"}
fine = torch.logspace(0, math.log10(256), 200, dtype=torch.float64)
pred_step = 0.5 * g1**2 / (1 + B_noise / fine)
bound_step = 0.5 * torch.clamp(1 - 2 * sigma / (g1 * fine.sqrt()), min=0) ** 2 * g1**2
fig, (ax0, ax1) = new_figure(1, 2, figsize=(9.5, 3.9))
ax0.loglog(fine, pred_step / fine, color=PALETTE[0], label=r"McCandlish: $\Delta\mathcal{L}_\infty/(B + B_{noise})$")
ax0.loglog(fine, bound_step / fine, "--", color=PALETTE[1], label="seed 004's bound")
ax0.loglog(Bs, [measured[B][1] / B for B in Bs], "o", color="black", label="measured (best eta)")
ax0.set(xlabel="batch size B (log scale)", ylabel="loss decrease per step / B (log)", title="Progress per example",
        ylim=(1e-5, 1))
ax1.semilogx(fine, 1 / (1 + B_noise / fine), color=PALETTE[0], label=r"$\eta_{opt} = 1/(1 + B_{noise}/B)$")
ax1.semilogx(fine, torch.clamp(1 - 2 * sigma / (g1 * fine.sqrt()), min=0), "--", color=PALETTE[1],
             label=r"seed 004's $\eta^*(B)$ (clipped at 0)")
ax1.semilogx(Bs, [measured[B][0] for B in Bs], "o", color="black", label="measured best eta")
ax1.set(xlabel="batch size B (log scale)", ylabel="learning rate", title="Best learning rate", ylim=(0, 1.1))
for ax in (ax0, ax1):
    for x, name, ls in [(B_noise, r"$B_{noise}$", ":"), (B_star, r"seed's $B^*$", "-.")]:
        ax.axvline(x, color="grey", ls=ls, lw=1.2, label=name)
ax0.legend(loc="lower left", fontsize=8)
_ = ax1.legend(loc="upper left", fontsize=8)

# %% slideshow={"slide_type": "subslide"}
fig

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice**
# * The measurements follow McCandlish's prediction: the best $\eta$ is within one grid step (0.005) of
#   $1/(1 + B_\text{noise}/B)$, and the best decrease per step within 2 standard errors of
#   $\Delta\mathcal L_\infty/(1 + B_\text{noise}/B)$ at every $B$ (the largest $|z|$ is printed).
# * The best $\eta$ grows linearly with $B$ for $B \ll B_\text{noise}$ (the linear scaling rule of section 6)
#   and saturates at $1/L$ beyond: there the rule breaks.
# * The true progress per example, $\Delta\mathcal L_\infty/(B + B_\text{noise})$, falls with $B$ at every $B$:
#   the most sample-efficient batch is the smallest one. $B^*$ maximises the seed's *bound* per example.

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Checking the seed's algebra.** Its appendix maximises $\eta^*(B)^2/B$. Let sympy do it:

# %%
Bsym, s_, g_, L_ = sp.symbols("B sigma g L", positive=True)
eta_star_B = (1 - 2 * s_ / (g_ * sp.sqrt(Bsym))) / L_
per_example_bound = eta_star_B**2 / Bsym
for r in sp.solve(sp.diff(per_example_bound, Bsym), Bsym):
    print(f"stationary point B = {r}: eta*(B) = {sp.simplify(eta_star_B.subs(Bsym, r))}, "
          f"bound per example = {sp.simplify(per_example_bound.subs(Bsym, r))}")
grid = torch.logspace(0, 4, 40001, dtype=torch.float64)
eta_grid = 1 - 2 * sigma / (g1 * grid.sqrt())
unconstrained = grid[(eta_grid**2 / grid).argmax()]
constrained = grid[(eta_grid.clamp(min=0) ** 2 / grid).argmax()]
print(f"eta*(B)^2/B over all B >= 1 is largest at B = {unconstrained:.2f}, where eta*(1) = {1 - 2 * sigma / g1:.0f} < 0;")
print(f"   over the B with eta*(B) > 0 (B > 4 sigma^2/g^2 = {4 * sigma**2 / g1**2:.0f}) at B = {constrained:.2f}")

# %% slideshow={"slide_type": "subslide"}
g_tilde = measured[64][2]  # how often does the "guarantee" fail at B*, with eta*(B*) from the estimate?
eta_s = 1 - 2 * sigma / (g_tilde.abs() * 8.0)  # seed's eta*(B) with the estimate g_tilde (B = 64: sqrt(B) = 8)
actual = 0.5 * (theta - y_bar) ** 2 - 0.5 * (theta - eta_s * g_tilde - y_bar) ** 2
promised = eta_s * (g_tilde - 2 * sigma / 8.0 * g_tilde.sign()) * g_tilde - 0.5 * eta_s**2 * g_tilde**2
print(f"at B = 64 the 'guaranteed' decrease is not reached in {float((actual < promised).double().mean()):.1%} of 10,000 steps")
eta_1_seed = 0.5 / B_star
print(f"seed's linear rule eta_B = B eta*/B* has slope {eta_1_seed:.4f}; the true optimum for B << B_noise, "
      f"eta_opt ~ B / B_noise, has slope {1 / B_noise:.4f} ({(1 / B_noise) / eta_1_seed:.0f} times larger)")
for B in (B_noise, B_star):
    print(f"at B = {B:3.0f}: steps needed x {1 + B_noise / B:.3f}, examples needed x {1 + B / B_noise:.0f} "
          f"(relative to their minimums, at B -> infinity and B -> 0)")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice**
# * The algebra is right, with a proviso: $\eta^*(B)^2/B$ is stationary at $B = 4\sigma^2/g^2$ (where $\eta^* = 0$,
#   a minimum) and at $B^* = 16\sigma^2/g^2$; $B^*$ is the maximum only among the $B$ where $\eta^*(B) > 0$.
# * The bound is loose (zero for $B \le 16$, where SGD makes good progress) and not a guarantee: it fails
#   in the printed fraction of steps. The seed's linear rule's slope is 32 times too small.
# * What $B^*$ does predict: steps nearly as good as full-batch steps (6% more steps than the minimum), at
#   17 times the minimum number of examples. McCandlish's balanced choice is $B \approx B_\text{noise}$.

# %% [markdown] slideshow={"slide_type": "skip"}
# Over all $B \ge 1$ the squared expression is largest at $B = 1$, where $\eta^*$ is negative and the
# "bound" meaningless; the appendix does not say so. Its conclusion is not about SGD's progress: $B^*$
# maximises a *lower bound* per example, while the true progress per example decreases with $B$ at every
# $B$. At $B \approx B_\text{noise}$ a run needs twice the minimum number of steps and twice the minimum
# number of examples.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 9. The noise scale of a real network, exactly and online
#
# $B_\text{noise} = \operatorname{tr}\Sigma / \lVert g\rVert^2$ for the digits MLP of section 6, along its SGD run
# ($B = 32$, $\eta = 0.1$, seed 0):
#
# * **exactly**, from the per-example gradients of all $N = 1348$ training images at a few checkpoints;
# * **online, seed 004's way**: per coordinate, running averages of the mini-batch gradient and of its square;
# * **online, McCandlish et al.'s way** (2018, appendix A): two batch sizes at the same step.

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Seed 004's "derived algorithm"**, in course notation (per coordinate; the seed writes $\hat g$ for
# $\tilde g_t$ and $\tilde g, \tilde s$ for $m_t, v_t$), with $1 - \beta = B/B^*$:
#
# $$m_t = \beta\, m_{t-1} + (1 - \beta)\, \tilde g_t, \qquad v_t = \beta\, v_{t-1} + (1 - \beta)\, \tilde g_t^2, \qquad
# \tilde\sigma^2 = v_t - m_t^2, \qquad B^* = 16\,\tilde\sigma^2/m_t^2 .$$
#
# * The seed's $v$ update has $m_{t-1}$ where $v_{t-1}$ belongs (its $\tilde g^t$ for $\tilde s^t$).
# * $v_t - m_t^2$ estimates the variance of the *mini-batch* gradient, $\sigma^2/B$ (section 2): $\sigma^2 \approx B\,\tilde\sigma^2$.
# * Both averages span about $1/(1-\beta)$ steps while $\theta$ moves: the gradient's own change counts as noise.

# %% [markdown] slideshow={"slide_type": "subslide"}
# **McCandlish et al.'s estimators.** Since $\mathbb E\lVert\tilde g_B\rVert^2 = \lVert g\rVert^2 + \operatorname{tr}\Sigma/B$,
# two batch sizes $B_\text{small} < B_\text{big}$ at the same $\theta$ give unbiased estimates
#
# $$\lVert g\rVert^2 \approx \frac{B_\text{big}\lVert\tilde g_{B_\text{big}}\rVert^2 - B_\text{small}\lVert\tilde g_{B_\text{small}}\rVert^2}{B_\text{big} - B_\text{small}}, \qquad
# \operatorname{tr}\Sigma \approx \frac{\lVert\tilde g_{B_\text{small}}\rVert^2 - \lVert\tilde g_{B_\text{big}}\rVert^2}{1/B_\text{small} - 1/B_\text{big}},$$
#
# each averaged over steps, and then divided. In data-parallel training $\tilde g_{B_\text{small}}$ is one
# device's gradient and $\tilde g_{B_\text{big}}$ the all-reduced one; here a batch of 32 is four "devices" of 8.

# %% [markdown] slideshow={"slide_type": "skip"}
# Both online estimators below use the same window, an average over about 100 steps ($\beta = 0.99$,
# bias-corrected, $\hat m_t = m_t/(1-\beta^t)$ as in notebook 01), instead of the seed's adaptive
# $1 - \beta = B/B^*$, so that they are compared on equal terms. The seed's per-coordinate quantities are summed
# over the $d$ coordinates, $B\sum_i (\hat v_{t,i} - \hat m_{t,i}^2)/\sum_i \hat m_{t,i}^2$, an estimate of
# $\operatorname{tr}\Sigma/\lVert g\rVert^2$ like the other two. The exact value needs the gradient of every training
# example at the checkpoint; the per-example gradients come from $N$ copies of the model, each fed one
# example, and the four devices' gradients from four copies (the same trick as section 6's batch of models). Drawing the batches without replacement
# lowers $\mathbb E\lVert\tilde g_B\rVert^2$ by the factor $(N-B)/(N-1)$ of section 2 on the noise term, about 2%
# at $B = 32$; we ignore it.

# %% slideshow={"slide_type": "skip"}
def copy_gradients(P, xs, ys):
    """(n, d): the gradient for each of n copies of the model P (leading dimension 1), copy j fed the batch
    xs[j], ys[j] (n copies fed one example each give the per-example gradients)."""
    copies = [p.expand(len(xs), *p.shape[1:]) for p in P]
    grads = torch.autograd.grad(mlp_loss(copies, xs, ys).sum(), copies)
    return torch.cat([gr.reshape(len(xs), -1) for gr in grads], 1)


def exact_noise_scale(P):
    """(|g|^2, tr Sigma) over the whole training set, from every example's gradient."""
    per_example = copy_gradients(P, X_tr[:, None], y_tr[:, None])
    g_mean = per_example.mean(0)
    return float(g_mean @ g_mean), float(((per_example - g_mean) ** 2).sum(1).mean())


# %% slideshow={"slide_type": "skip"}
B, B_small, lr, beta = 32, 8, 0.1, 0.99
P = [p.clone().requires_grad_() for p in mlp_params([0])]
gen = torch.Generator().manual_seed(0)
m = v = torch.zeros(sum(p.numel() for p in P), dtype=torch.float64)  # seed 004's running averages
norm2_avg = trace_avg = 0.0  # McCandlish's running averages
rows, t = [], 0
for epoch in range(1, 11):
    order = torch.randperm(N_tr, generator=gen)
    for j in range(N_tr // B):
        idx = order[j * B:(j + 1) * B].view(B // B_small, B_small)  # four "devices" of B_small examples
        g_small = copy_gradients(P, X_tr[idx], y_tr[idx])  # (4, d): each device's gradient
        g_big = g_small.mean(0)  # the all-reduced gradient of the batch of B
        big2, small2 = float(g_big @ g_big), float((g_small**2).sum(1).mean())
        norm2_avg = beta * norm2_avg + (1 - beta) * (B * big2 - B_small * small2) / (B - B_small)
        trace_avg = beta * trace_avg + (1 - beta) * (small2 - big2) / (1 / B_small - 1 / B)
        m, v = beta * m + (1 - beta) * g_big, beta * v + (1 - beta) * g_big**2
        with torch.no_grad():
            for p, gr in zip(P, g_big.split([p.numel() for p in P]), strict=True):
                p -= lr * gr.view_as(p)  # the SGD step
        t += 1
    if epoch in (2, 5, 10):
        m_hat, v_hat = m / (1 - beta**t), v / (1 - beta**t)
        rows.append((epoch, *exact_noise_scale(P), trace_avg / norm2_avg,
                     B * float((v_hat - m_hat**2).sum()) / float((m_hat**2).sum())))

# %% slideshow={"slide_type": "subslide"}
print(f"{'epoch':>5} | {'exact |g|^2':>11} {'tr Sigma':>8} {'B_noise':>7} {'B* = 16 B_noise':>15} | "
      f"{'McCandlish':>10} {'seed 004, corrected':>19}")
for epoch, norm2, trace, mcc, seed_est in rows:
    print(f"{epoch:5d} | {norm2:11.4f} {trace:8.2f} {trace / norm2:7.0f} {16 * trace / norm2:15.0f} | "
          f"{mcc:10.0f} {seed_est:19.0f}")
ratios = [(mcc / (tr / n2), s / (tr / n2)) for _, n2, tr, mcc, s in rows]
print("estimate / exact: McCandlish " + ", ".join(f"{r:.2f}" for r, _ in ratios)
      + "; seed 004 " + ", ".join(f"{r:.2f}" for _, r in ratios))

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice**
# * The noise scale grows as training goes on (the gradient shrinks faster than its noise): from about 74 at
#   epoch 2 to a few hundred. Section 6's linear scaling held for $B \le 128$ and broke from $B = 256$ on:
#   where $B$ passes $B_\text{noise}$, as section 8's model says.
# * McCandlish's estimate stays within a factor 1.3 of the exact value. The seed's, even corrected, drifts
#   upward (five times too large by epoch 10): its averages mix gradients from different points.
# * The seed's $B^* = 16B_\text{noise}$ exceeds the whole training set after a few epochs.

# %% [markdown] slideshow={"slide_type": "skip"}
# Without the factor $B$ the seed's estimate would be 32 times smaller, and with its typo ($m_{t-1}$ in the
# update of $v_t$) $v_t - m_t^2$ is not a variance at all. The drift is the seed's own second issue, "gradient
# drift": an average of gradients taken at different points is shorter than the gradient at any of them
# (their directions differ), and their spread includes that difference, so $\tilde\sigma^2/m_t^2$ grows.
# McCandlish's pair of batch sizes sees one point at a time, which is why it is the estimator used in
# practice; its per-step estimates are noisy (here $\lVert g\rVert^2$ is small against $\operatorname{tr}\Sigma/B$), so
# both sums need long averages.

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

# %% slideshow={"slide_type": "skip"} tags=["solution"]
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


# %% slideshow={"slide_type": "skip"}
check_accumulation(fixed_accumulation)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 2: predict the gradient noise
#
# A data set has $N = 20$ examples whose per-example gradients have population variance
# $\sigma^2 = \frac1N\sum_i\lVert g_i - g\rVert^2 = 3$. You draw a batch of $B = 5$ examples **without
# replacement** and average their gradients. Set `variance` to $\mathbb E\lVert\tilde g - g\rVert^2$.

# %% slideshow={"slide_type": "skip"} tags=["solution"]
variance = 3.0 / 5 * (20 - 5) / (20 - 1)

# %% slideshow={"slide_type": "skip"}
check_minibatch_variance(variance, sigma2=3.0, n=20, batch_size=5, replacement=False)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 3: fix the DataLoader call
#
# Seed 001 wrote `DataLoader(dataset, batch_size=32, shuffle=True, pin_device=True)`. Write
# `make_loader(dataset, batch_size, device)` that returns a `DataLoader` drawing a new permutation every
# epoch, keeping every batch at exactly `batch_size`, and pinning memory only when it helps.

# %% slideshow={"slide_type": "skip"} tags=["solution"]
def make_loader(dataset, batch_size, device):
    return DataLoader(dataset, batch_size=batch_size, shuffle=True, drop_last=True,
                      pin_memory=(device.type == "cuda"))


# %% slideshow={"slide_type": "skip"}
check_loader(make_loader)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# * A mini-batch gradient is unbiased, with variance $\sigma^2/B$ ($\times\frac{N-B}{N-1}$ without replacement).
# * Shuffle every epoch; never train on data stored in order.
# * A constant $\eta$ stalls in a noise ball of size $\propto \eta/B$: decay $\eta$ (Robbins-Monro) or grow $B$.
# * Linear scaling holds while $B \lesssim B_\text{noise}$; momentum has no effect there and extends it beyond.
# * Accumulate gradients with each micro-batch weighted by its share of the group.
# * $B_\text{noise}$ is measurable online (two batch sizes); seed 004's $B^*$ maximises a loose bound.

# %% [markdown] slideshow={"slide_type": "skip"}
# In full:
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
#   (Robbins-Monro, $t \to \infty$) keeps improving, and so does a growing batch (Smith et al.).
# * Linear scaling ($B \to kB$, $\eta \to k\eta$) held on digits up to $k = 4$ and broke beyond, where $B$
#   passes the noise scale. Momentum at the same effective rate changed nothing while the rule held and kept
#   it nearly working up to $k = 32$ (loss 0.300 against 0.224).
# * Gradient accumulation equals a big batch exactly when it steps after every $k$-th micro-batch and on
#   the last partial group, with each micro-batch loss weighted by its share of the group.
# * The best learning rate and progress per step follow $1/(1 + B_\text{noise}/B)$ (McCandlish et al.). Seed
#   004's $B^* = 16\sigma^2/g^2$ is correct algebra for maximising a loose lower bound per example; the true
#   progress per example falls with $B$, and $B^*$ lands where steps are 94% as good as full-batch steps.
#   On digits, McCandlish's two-batch estimator tracks the exact noise scale; the seed's running averages,
#   even corrected, drift away from it.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## References
#
# * H. Robbins, S. Monro, *A Stochastic Approximation Method*, 1951; L. Bottou, F. E. Curtis, J. Nocedal,
#   *Optimization Methods for Large-Scale Machine Learning*, SIAM Review 60(2), 2018.
# * P. Goyal et al., *Accurate, Large Minibatch SGD: Training ImageNet in 1 Hour*, arXiv:1706.02677, 2017.
# * S. McCandlish, J. Kaplan, D. Amodei et al., *An Empirical Model of Large-Batch Training*, arXiv:1812.06162, 2018.
# * S. L. Smith, P.-J. Kindermans, C. Ying, Q. V. Le, *Don't Decay the Learning Rate, Increase the Batch Size*, ICLR 2018.
# * M. Gürbüzbalaban et al., *Why Random Reshuffling Beats SGD*, Math. Prog. 186, 2021; K. Mishchenko et al.,
#   *Random Reshuffling: Simple Analysis with Vast Improvements*, NeurIPS 2020.
# * D. McAllester, *TTIC 31230 Fundamentals of Deep Learning*, SGD lecture, 2018 (seed 004).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What's next
#
# **06 · The learning-rate finder** turns the question "which $\eta$?" into a measurement on a real
# network, and **07 · Learning-rate schedules** builds the decaying schedules that section 5 called for
# (step, $1/(1+kt)$, cosine, warm-up, one-cycle) and compares them with a constant rate.
