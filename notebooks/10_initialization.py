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
# # 10 · Initialization and gradient health
#
# A deep network multiplies its input by one weight matrix per layer, and backpropagation
# multiplies the gradient by the same matrices on the way back: a factor 2 too small or too large
# per layer becomes about $10^{\mp 9}$ after thirty layers, and no optimizer can follow that. We derive how the
# variance of activations and gradients changes from layer to layer, measure it in a 30-layer
# network under six initializations, write Xavier's and Kaiming's initializers, and see what each
# start does to training and to the sharpness $\lambda_{\max}$, and what gradient clipping and
# BatchNorm can repair.
#
# **Learning objectives**
# - Derive the layer-to-layer variance of activations ($n_{\text{in}}$) and of gradients
#   ($n_{\text{out}}$), with ReLU's factor $\tfrac12$ and tanh's linear regime.
# - Write Xavier and Kaiming initialization, check them against `torch.nn.init`, and state
#   PyTorch's default for `nn.Linear`.
# - Predict from one factor per layer whether a deep network's signal vanishes or explodes.
# - Implement gradient clipping by global norm as `torch.nn.utils.clip_grad_norm_`, and tell
#   what it repairs and what it does not.
# - Relate the start to $\lambda_{\max}$ and the stable learning rate, and measure what BatchNorm
#   does to the gradients.
#
# **Prerequisites** 00 (the limit $2/\lambda_{\max}$), 02 (momentum), 05 (mini-batches), 08 (power
# iteration on Hessian-vector products).
#
# **Time to complete:** about 75 minutes

# %% slideshow={"slide_type": "skip"}
import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from course_utils import (
    PALETTE,
    check_clip_grad_norm,
    check_init_fix,
    check_kaiming_init,
    deep_mlp,
    fmt_diff,
    gaussian_expectation,
    layer_statistics,
    linear_layers,
    load_digits,
    new_figure,
    power_iteration,
    setup_notebook,
)

DEVICE = setup_notebook(seed=0)
F64 = torch.float64

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. Depth multiplies
#
# Take a network of $D$ linear layers, $u^{(l)} = W^{(l)} x^{(l-1)} + b^{(l)}$ and
# $x^{(l)} = f(u^{(l)})$ for $l = 1, \dots, D$: layer $l$ takes the input $x^{(l-1)}$ (the
# network's input is $x^{(0)} = x$), forms the pre-activation $u^{(l)}$ and applies an activation
# $f$ (ReLU or tanh). Superscripts in parentheses number the layers. If every layer multiplies
# the size of its signal by a factor $r$, layer $D$ sees $r^{D-1}$ times the size of layer 1; the
# gradient flowing back is multiplied by its own factor per layer. A factor of 1 is the only one
# that depth forgives:

# %%
DEPTH = 30
print(f"{'factor per layer':>16} {'after 29 layers':>16}")
for r in (0.5, 0.9, 1.0, 1.1, 2.0):
    print(f"{r:16.1f} {r ** (DEPTH - 1):16.1e}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# Our network throughout: scikit-learn's digits (8x8 images, 64 pixels, 10 classes), each pixel
# standardized to mean 0 and variance 1 on the training set (the few pixels that are 0 in every
# image stay 0), and a multilayer perceptron (MLP) of
# $D = 30$ linear layers of width $n = 64$ (64 to 64, 28 times 64 to 64, then 64 to 10), built by
# `course_utils.deep_mlp`. It takes an initializer, any function that fills a weight tensor in
# place, and then sets the biases to 0.

# %%
digits = load_digits(dtype=F64)
pixel_mean, pixel_std = digits.X_train.mean(0), digits.X_train.std(0)
pixel_std = torch.where(pixel_std > 0, pixel_std, torch.ones_like(pixel_std))  # always-0 pixels stay 0
X_train, y_train = (digits.X_train - pixel_mean) / pixel_std, digits.y_train
WIDTH, N_IN, N_OUT = 64, 64, 10
X_probe, y_probe = X_train[:512], y_train[:512]  # one fixed batch for measurements at init
mean_x2 = float((X_probe**2).mean())
net = deep_mlp(N_IN, WIDTH, DEPTH, N_OUT, activation="relu")
n_params = sum(p.numel() for p in net.parameters())
print(f"{len(X_train)} training images of {N_IN} pixels; E[x^2] over the probe batch = "
      f"{mean_x2:.2f}")
print(f"{len(linear_layers(net))} linear layers, {n_params:,} parameters")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. Variance propagation: the derivation
#
# **Forward.** At initialization the weights $W^{(l)}_{ij}$ are independent draws with mean 0 and
# variance $\sigma_W^2$, independent of the layer's input $x^{(l-1)}$ (which depends only on
# earlier layers), and $b^{(l)} = 0$. Then $u^{(l)}_i = \sum_{j=1}^{n_{\text{in}}} W^{(l)}_{ij} x^{(l-1)}_j$
# is a sum of $n_{\text{in}}$ uncorrelated terms of mean 0 and variance
# $\sigma_W^2\,\mathbb{E}[(x^{(l-1)}_j)^2]$:
#
# $$
# \operatorname{Var}[u^{(l)}] = n_{\text{in}}\,\sigma_W^2\;\mathbb{E}\big[(x^{(l-1)})^2\big].
# $$
#
# With $\sigma_l^2 = \operatorname{Var}[u^{(l)}]$, the activation turns $\sigma_{l-1}^2$ into
# $\mathbb{E}[(x^{(l-1)})^2]$:
#
# $$
# \mathbb{E}[\operatorname{relu}(u)^2] = \tfrac12\, \sigma^2, \qquad
# \mathbb{E}[\tanh(u)^2] \approx \sigma^2 \ \ (\text{small } \sigma^2), \qquad\text{so}\qquad
# \sigma_l^2 = r_{\text{f}}\, \sigma_{l-1}^2,\quad r_{\text{f}} = n_{\text{in}}\sigma_W^2 \times \begin{cases}\tfrac12 & \text{ReLU}\\ 1 & \text{tanh}\end{cases}
# $$

# %% [markdown] slideshow={"slide_type": "skip"}
# Why each step holds. The terms $W_{ij}x_j$ have mean $\mathbb{E}[W_{ij}]\,\mathbb{E}[x_j] = 0$
# and are uncorrelated, $\mathbb{E}[W_{ij}W_{ik}x_jx_k] = \mathbb{E}[W_{ij}]\,\mathbb{E}[W_{ik}]\,
# \mathbb{E}[x_jx_k] = 0$ for $j \ne k$, so the variance of the sum is the sum of
# $\mathbb{E}[W_{ij}^2]\,\mathbb{E}[x_j^2] = \sigma_W^2\,\mathbb{E}[x_j^2]$. It is the *second
# moment* $\mathbb{E}[x^2]$ of the layer's input that enters, not its variance: a ReLU's outputs
# have a positive mean, and using their variance would give the wrong factor. Because $W^{(l)}$ is
# symmetric about 0 and independent of its input, $u^{(l)}$ is symmetric about 0, and for any
# symmetric $u$ of variance $\sigma^2$, $\mathbb{E}[\operatorname{relu}(u)^2] =
# \mathbb{E}[u^2\,\mathbb{1}\{u>0\}] = \tfrac12\sigma^2$: ReLU zeroes half of the signal, exactly.
# For tanh, $\tanh u = u - u^3/3 + \dots$, so $\mathbb{E}[\tanh^2 u] \approx \sigma^2$ while
# $\sigma^2$ is small (the *linear regime*), and $\tanh^2 u \le u^2$ always, so
# $n_{\text{in}}\sigma_W^2$ is an upper bound on tanh's factor: large signals saturate at $\pm 1$.

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Backward.** With $g^{(l)} = \partial\mathcal{L}/\partial u^{(l)}$, the gradient of the loss with
# respect to layer $l$'s pre-activation, the chain rule gives
# $g^{(l-1)}_j = f'(u^{(l-1)}_j)\sum_{i=1}^{n_{\text{out}}} W^{(l)}_{ij}\,g^{(l)}_i$: the
# same kind of sum, now over the $n_{\text{out}}$ units the weight feeds. Treating $W^{(l)}$ as
# independent of $g^{(l)}$,
#
# $$
# \operatorname{Var}[g^{(l-1)}] = r_{\text{b}}\,\operatorname{Var}[g^{(l)}], \qquad
# r_{\text{b}} = n_{\text{out}}\,\sigma_W^2\;\mathbb{E}[f'(u^{(l-1)})^2]
# = n_{\text{out}}\sigma_W^2 \times \begin{cases}\tfrac12 & \text{ReLU } (f' = \mathbb{1}\{u > 0\})\\
# 1 & \text{tanh, small } \sigma^2\end{cases}
# $$
#
# The weight gradient $\partial\mathcal{L}/\partial W^{(l)}_{ij} = \sum_{\text{batch}} g^{(l)}_i x^{(l-1)}_j$
# carries both: the backward signal at layer $l$ times the forward signal at layer $l-1$.

# %% [markdown] slideshow={"slide_type": "skip"}
# The independence of $W^{(l)}$ and $g^{(l)}$ is an approximation ($g^{(l)}$ depends on
# $W^{(l)}$ through the layers above), good for wide layers; the measurements below test it. Beyond
# the linear regime of tanh, the same two recursions hold with the expectations taken over the
# distribution of $u$. A sum of many independent terms is close to Gaussian, so take
# $u \sim \mathcal{N}(0, \sigma_{l-1}^2)$:
# $\sigma_l^2 = n_{\text{in}}\sigma_W^2\,\mathbb{E}[f(u)^2]$ and
# $r_{\text{b}} = n_{\text{out}}\sigma_W^2\,\mathbb{E}[f'(u)^2]$ at layer $l-1$ (the *mean-field*
# recursions of Poole et al. 2016 and Schoenholz et al. 2017). For ReLU they are exactly the
# factors $\tfrac12$ above; for tanh they bend: the factor falls as $\sigma^2$ grows.
# `course_utils.gaussian_expectation` computes $\mathbb{E}[f(u)]$ for $u \sim \mathcal{N}(0, \sigma^2)$
# by numerical integration. A random bias of variance $\sigma_b^2$, independent of everything else,
# adds $\sigma_b^2$ to $\sigma_l^2$; the backward recursion has no term in $b$ (for tanh it feels the
# bias only through the $\sigma_l^2$ at which $\mathbb{E}[f'(u)^2]$ is taken).

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Keeping both factors at 1.** $r_{\text{f}} = 1$ wants $\sigma_W^2 = 1/n_{\text{in}}$ for tanh near 0
# and $2/n_{\text{in}}$ for ReLU; $r_{\text{b}} = 1$ wants the same with $n_{\text{out}}$.
#
# - **Xavier / Glorot** (Glorot & Bengio 2010, for tanh near 0 and linear layers): the compromise
#   $\sigma_W^2 = 2/(n_{\text{in}} + n_{\text{out}})$.
# - **Kaiming / He** (He et al. 2015, for ReLU): $\sigma_W^2 = 2/n_{\text{in}}$ keeps the
#   forward pass exactly (`mode="fan_in"`, PyTorch's default), or $2/n_{\text{out}}$ the backward
#   pass (`mode="fan_out"`). Either way the other pass is off by $n_{\text{out}}/n_{\text{in}}$ per
#   layer, a product that telescopes to the ratio of the first and last widths: a constant, not a
#   power of the depth.
#
# In our network every layer but the last is 64 to 64, so both passes have the same factor,
# $64\,\sigma_W^2$ times $\tfrac12$ for ReLU, and at most $64\,\sigma_W^2$ for tanh. The six starts
# we compare follow (biases 0 in all but PyTorch's default).

# %% [markdown] slideshow={"slide_type": "skip"}
# The papers' forms and PyTorch's gains. Glorot & Bengio's "normalized initialization" (their
# eq. 16) draws the weights uniformly, $W_{ij} \sim U[-a, a]$ with
# $a = \sqrt{6/(n_{\text{in}} + n_{\text{out}})}$: a uniform on $[-a, a]$ has variance $a^2/3 =
# 2/(n_{\text{in}} + n_{\text{out}})$, the same as the Gaussian here (`nn.init.xavier_uniform_`).
# He et al. draw Gaussians of variance $2/n_{\text{in}}$ (their eq. 10), or $2/n_{\text{out}}$ for
# the backward pass (their eq. 14). `torch.nn.init` writes both with a *gain*: standard deviation
# $\text{gain}\cdot\sqrt{2/(n_{\text{in}} + n_{\text{out}})}$ for Xavier (gain 1 by default) and
# $\text{gain}/\sqrt{\text{fan}}$ for Kaiming, where `calculate_gain` gives $\sqrt2$ for ReLU,
# $\sqrt{2/(1+\nu^2)}$ for a leaky ReLU of slope $\nu$, 1 for a linear layer and $5/3$ for tanh
# (a gain above 1 that offsets part of tanh's compression, which section 4 measures).

# %% slideshow={"slide_type": "subslide"}
def constant_(weight):
    """Every weight 1/n_in: each unit outputs the mean of the previous layer."""
    with torch.no_grad():
        return weight.fill_(1.0 / weight.shape[1])


def too_small_(weight):
    """N(0, 0.1^2), whatever the width."""
    with torch.no_grad():
        return weight.normal_(0.0, 0.1)


def too_large_(weight):
    """N(0, 0.3^2), whatever the width."""
    with torch.no_grad():
        return weight.normal_(0.0, 0.3)


def xavier_normal_(weight):
    """Glorot & Bengio (2010): W_ij ~ N(0, 2 / (n_in + n_out)); the weight is (n_out, n_in)."""
    n_out, n_in = weight.shape
    with torch.no_grad():
        return weight.normal_(0.0, math.sqrt(2.0 / (n_in + n_out)))


def kaiming_normal_(weight):
    """He et al. (2015), ReLU, fan-in mode: W_ij ~ N(0, 2 / n_in), std = gain / sqrt(n_in)."""
    n_out, n_in = weight.shape
    with torch.no_grad():
        return weight.normal_(0.0, math.sqrt(2.0) / math.sqrt(n_in))


# %% slideshow={"slide_type": "subslide"}
SCHEMES = {"constant": constant_, "too small": too_small_, "too large": too_large_,
           "Xavier": xavier_normal_, "Kaiming": kaiming_normal_, "PyTorch default": None}
COLORS = dict(zip(SCHEMES, PALETTE))  # one colour per start in every figure
VAR_W = {"constant": None, "too small": 0.1**2, "too large": 0.3**2,  # sigma_W^2, 64 -> 64
         "Xavier": 2 / (2 * WIDTH), "Kaiming": 2 / WIDTH, "PyTorch default": 1 / (3 * WIDTH)}
VAR_B = {name: 0.0 for name in SCHEMES} | {"PyTorch default": 1 / (3 * WIDTH)}  # sigma_b^2
print(f"{'scheme':>16} {'sigma_W^2':>10} {'n sigma_W^2':>12} {'ReLU r':>7} {'tanh r (linear)':>16}")
for name, var_w in VAR_W.items():
    if var_w is None:
        print(f"{name:>16} {'(all equal: not random)':>48}")
        continue
    nv = WIDTH * var_w
    print(f"{name:>16} {var_w:10.4f} {nv:12.3f} {nv / 2:7.3f} {nv:16.3f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# The "PyTorch default" row is what `nn.Linear` does when you do nothing: weights *and biases*
# drawn from $U(-1/\sqrt{n_{\text{in}}}, 1/\sqrt{n_{\text{in}}})$ (the next section measures it);
# it is the only start with non-zero biases. The predicted curves come from the two mean-field
# recursions, run from the first layer's $\sigma_1^2 = n_{\text{in}}\sigma_W^2\,\mathbb{E}[x^2] + \sigma_b^2$
# for the forward pass and from the measured gradient at the top layer for the backward pass:

# %%
ACT = {"relu": (lambda u: np.maximum(u, 0.0), lambda u: (u > 0) * 1.0),
       "tanh": (np.tanh, lambda u: 1.0 - np.tanh(u) ** 2)}


def predicted_variances(activation, var_w, var_1, var_b=0.0, depth=DEPTH - 1, n=WIDTH):
    """sigma_l^2 = n var_w E[f(u)^2] + var_b; r_b at layer l = n var_w E[f'(u)^2];
    u ~ N(0, sigma_l^2)."""
    f, df = ACT[activation]
    var_u = [var_1]
    for _ in range(depth - 1):
        second_moment = gaussian_expectation(lambda u: f(u) ** 2, var_u[-1])
        var_u.append(n * var_w * second_moment + var_b)
    r_b = [n * var_w * gaussian_expectation(lambda u: df(u) ** 2, v) for v in var_u]
    return np.array(var_u), np.array(r_b)


var_pred, rb_pred = predicted_variances("relu", 2 / WIDTH, N_IN * 2 / WIDTH * mean_x2)
print(f"ReLU, Kaiming: sigma_l^2 at layers 1, 2, 29 = "
      f"{var_pred[0]:.3f}, {var_pred[1]:.3f}, {var_pred[-1]:.3f}; r_b = {rb_pred[0]:.3f} at every layer")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. The course's initializers against `torch.nn.init`, and PyTorch's default
#
# `xavier_normal_` and `kaiming_normal_` above are the whole algorithm: one variance, one draw.
# `torch.nn.init` draws with the same `normal_`, so from the same seed it must produce the same
# numbers; and on a large weight the sample variance must match the formula. We use weights of
# shape $(256, 1024)$ and $(1024, 256)$, so that $n_{\text{in}}$ and $n_{\text{out}}$ differ.

# %%
print(f"{'initializer':>15} {'shape':>12} {'max |ours - torch|':>19} {'Var[W] ours':>12} "
      f"{'torch':>10} {'formula':>10}")
for name, ours, theirs, formula in (
    ("xavier_normal_", xavier_normal_, nn.init.xavier_normal_,
     lambda n_in, n_out: 2 / (n_in + n_out)),
    ("kaiming_normal_", kaiming_normal_,
     lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu"), lambda n_in, n_out: 2 / n_in),
):
    for shape in ((256, 1024), (1024, 256)):
        torch.manual_seed(1)
        w_ours = ours(torch.empty(shape, dtype=F64))
        torch.manual_seed(1)
        w_torch = theirs(torch.empty(shape, dtype=F64))
        print(f"{name:>15} {str(shape):>12} {fmt_diff((w_ours - w_torch).abs().max()):>19} "
              f"{float(w_ours.var()):12.3e} {float(w_torch.var()):10.3e} "
              f"{formula(shape[1], shape[0]):10.3e}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **PyTorch's default.** `nn.Linear.reset_parameters` calls `kaiming_uniform_(weight, a=sqrt(5))`:
# the gain of a leaky ReLU of negative slope $\nu = \sqrt5$, $\sqrt{2/(1+\nu^2)} = \sqrt{1/3}$, times $\sqrt{3/n_{\text{in}}}$
# gives the bound $1/\sqrt{n_{\text{in}}}$, so $W_{ij} \sim U(-1/\sqrt{n_{\text{in}}}, 1/\sqrt{n_{\text{in}}})$
# with variance $\text{bound}^2/3 = 1/(3 n_{\text{in}})$, and the bias gets the same uniform
# distribution (PyTorch issue 57109 discusses this choice).

# %%
torch.manual_seed(0)
default_layer = nn.Linear(1000, 1000)
w_default = default_layer.weight.detach().double()
n_var = 1000 * float(w_default.var())  # n_in Var[W]
print(f"nn.Linear(1000, 1000): max |W| * sqrt(n_in) = "
      f"{float(w_default.abs().max()) * math.sqrt(1000):.4f} (the bound 1)")
print(f"n_in * Var[W] = {n_var:.4f}   (1/3 = {1 / 3:.4f}; Kaiming for ReLU: 2)")
print(f"per-layer factor with ReLU: {n_var / 2:.3f}; over 29 layers: {(n_var / 2) ** 29:.0e}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice**
# - Same seed, same numbers: our two functions and `torch.nn.init`'s agree to the last bit, and
#   the sample variances match the formulas within 0.3%, the sampling error of 262,144 draws.
#   Xavier's variance is the same for both orientations; Kaiming's depends on which side is
#   $n_{\text{in}}$, the second dimension of an `nn.Linear` weight.
# - PyTorch's default gives $n_{\text{in}}\operatorname{Var}[W] = \tfrac13$, six times less than
#   Kaiming's 2: a plain stack of default `nn.Linear` + ReLU layers shrinks the variance of its
#   gradient by a factor 6 per layer (and that of its signal too, until the biases take over,
#   section 4). It is the "standard" start $U(-1/\sqrt{n}, 1/\sqrt{n})$ that Glorot & Bengio (2010)
#   began from and replaced; models that go deep re-initialize or normalize.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. Measured, layer by layer
#
# For each activation and each scheme we build the 30-layer network in float64 and run one
# forward and backward pass of the cross-entropy loss on a fixed batch of 512 images.
# `course_utils.layer_statistics` records, for every linear layer, $\sigma_l^2 = \operatorname{Var}[u^{(l)}]$
# (over examples and units) and $\operatorname{Var}[g^{(l)}]$. The per-layer factor we report is the
# geometric mean over the 28 steps between layers 1 and 29 (all 64 to 64):
# $(\sigma_{29}^2/\sigma_1^2)^{1/28}$ forward, $(\operatorname{Var}[g^{(1)}]/\operatorname{Var}[g^{(29)}])^{1/28}$ backward.

# %%
def geometric_factor(first, last, steps=DEPTH - 2):
    return (last / first) ** (1.0 / steps)


measured, predicted = {}, {}
for activation in ("tanh", "relu"):
    for name, init in SCHEMES.items():
        model = deep_mlp(N_IN, WIDTH, DEPTH, N_OUT, activation=activation, init=init,
                         dtype=F64)
        stats = layer_statistics(model, X_probe, y_probe)
        measured[activation, name] = stats
        if VAR_W[name] is not None:
            var_1 = N_IN * VAR_W[name] * mean_x2 + VAR_B[name]
            var_u, r_b = predicted_variances(activation, VAR_W[name], var_1, VAR_B[name])
            # backward: from the measured Var[g^(29)], times r_b at layers 28, ..., 1
            var_g = [float(stats.grad_out_var[DEPTH - 2])]
            for factor in r_b[:-1][::-1]:
                var_g.append(var_g[-1] * factor)
            predicted[activation, name] = (var_u, np.array(var_g[::-1]))


# %% slideshow={"slide_type": "subslide"}
def sig2(x):
    return f"{x:#.2g}"


print(f"{'':>4} {'scheme':>15} | {'forward r_f':^14} | {'backward r_b':^14} | "
      f"{'u(29)/u(1)':>10} {'g(1)/g(29)':>10}")
print(f"{'':>4} {'':>15} | {'predict':>7} {'measure':>6} | {'predict':>7} {'measure':>6} | "
      f"{'variances':^21}")
for (activation, name), stats in measured.items():
    v_u, v_g = stats.out_var, stats.grad_out_var
    zf = geometric_factor(float(v_u[0]), float(v_u[DEPTH - 2]))
    gb = geometric_factor(float(v_g[DEPTH - 2]), float(v_g[0]))
    if (activation, name) in predicted:
        var_u, var_g = predicted[activation, name]
        pf = sig2(geometric_factor(var_u[0], var_u[-1]))
        pb = sig2(geometric_factor(var_g[-1], var_g[0]))
        mb, rb = sig2(gb), f"{gb**28:.0e}"
    else:  # constant: not random, no gradient below the output layer (section 4's last slide)
        pf = pb = mb = rb = "n/a"
    print(f"{activation:>4} {name:>15} | {pf:>7} {sig2(zf):>6} | {pb:>7} {mb:>6} | "
          f"{zf**28:10.0e} {rb:>10}")

# %% slideshow={"slide_type": "subslide"} tags=["hide-input"]
fig, axes = new_figure(2, 2, figsize=(9.6, 6.6), sharex=True)
layers_axis = np.arange(1, DEPTH)
for col, activation in enumerate(("tanh", "relu")):
    for name in SCHEMES:
        stats = measured[activation, name]
        color = COLORS[name]
        axes[0, col].semilogy(layers_axis, stats.out_var[: DEPTH - 1].numpy(), "o-", ms=3, color=color, label=name)
        if name != "constant":  # its gradient below the output layer is zero (rounding noise)
            axes[1, col].semilogy(layers_axis, stats.grad_out_var[: DEPTH - 1].numpy(), "o-", ms=3, color=color)
        if (activation, name) in predicted:
            var_u, var_g = predicted[activation, name]
            axes[0, col].semilogy(layers_axis, var_u, "--", color=color, lw=1.2)
            axes[1, col].semilogy(layers_axis, var_g, "--", color=color, lw=1.2)
    axes[0, col].set(title=f"{activation}: forward, Var[$u^{{(l)}}$]", ylabel="variance (log scale)")
    axes[1, col].set(title=f"{activation}: backward, Var[$g^{{(l)}}$]", xlabel="layer $l$",
                     ylabel="variance (log scale)")
axes[0, 0].plot([], [], "k--", lw=1.2, label="predicted")
axes[0, 0].legend(loc="lower left", fontsize=7, ncol=2)
fig.suptitle("A 30-layer MLP at initialization: measured (dots) and predicted (dashed)")
fig.set_dpi(80)
fig

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice**
# - ReLU follows the prediction $r_{\text{f}} = r_{\text{b}} = n\sigma_W^2/2$, forward to two digits and
#   backward within a few percent: Kaiming keeps both variances nearly flat, Xavier halves them at
#   each layer ($5\times10^{-9}$ over the depth), the too-small start loses a factor 3 per layer
#   and the too-large start gains a factor 3 ($10^{13}$ over the depth).
# - PyTorch's default is the one start with biases: its forward variance stops falling at the
#   level the biases sustain, $\sigma_b^2/(1 - \tfrac16)$ with $\sigma_b^2 = 1/192$, a factor 50 below
#   layer 1's, while its gradient variance keeps shrinking by 6 per layer, to $10^{-22}$ of the top
#   layer's. A forward pass that settles says nothing about the backward one.
# - tanh bends away from the linear-regime factor $n\sigma_W^2$ as the mean-field curve says,
#   within 0.01 per layer. Xavier's factor is 0.86, not 1: tanh compresses most in the first
#   layers, where $\sigma^2$ is near 1, and less and less as the signal shrinks. The too-large
#   start does not explode forward, because tanh saturates at $\pm1$, but its gradient grows by
#   about 1.5 per layer going back, $10^{5}$ over the depth.

# %% [markdown] slideshow={"slide_type": "skip"}
# Two finer points. For ReLU the measured backward factor sits a few percent above the predicted
# one in every row (0.33 for 0.32, 3.0 for 2.9, 0.51 for 0.50), enough to make Kaiming's gradient
# variance grow by a factor 2 over the 28 steps: treating $W^{(l)}$ as independent of $g^{(l)}$ is
# an approximation at width 64. The rows are not independent checks of it, though: the four
# Gaussian starts draw from the same seed, so their weights are the same numbers times one scale
# factor, and their ReLU networks differ only by that scale. And for ReLU the backward factor equals the forward one wherever the
# weights alone set the scale (every start but the default), as the derivation says for square
# layers ($n_{\text{in}} = n_{\text{out}}$). For tanh they part beyond the linear regime:
# $\mathbb{E}[\tanh(u)^2]/\sigma^2$ and $\mathbb{E}[\tanh'(u)^2]$ both fall as $\sigma^2$ grows, the
# first faster.

# %% [markdown] slideshow={"slide_type": "subslide"}
# The constant start escapes the variance argument (its weights are not random). Its problem is
# a different one: every unit of a layer gets the same weights, hence the same input, the same
# output and the same gradient, so no update can ever make two units differ. At the very start
# the gradient below the output layer is even zero: every entry of $W^{(30)}$ is $\tfrac{1}{64}$, and
# the softmax probabilities $p_k$ sum to 1 like the one-hot target $y_k$, so
# $\partial\mathcal{L}/\partial x^{(29)}_j = \sum_k W^{(30)}_{kj}(p_k - y_k) = \tfrac{1}{64}\sum_k (p_k - y_k) = 0$
# (per example, up to the factor $1/B$ of the batch mean).

# %%
for activation in ("tanh", "relu"):
    model = deep_mlp(N_IN, WIDTH, DEPTH, N_OUT, activation=activation, init=constant_,
                     dtype=F64)
    with torch.no_grad():
        h = model[:-1](X_probe)  # the last hidden layer's activations, 512 x 64
    spread = float((h - h[:, :1]).abs().max())
    g_std = float(measured[activation, "constant"].grad_out_var[DEPTH - 2].sqrt())
    print(f"{activation}, constant start, layer 29: max |unit j - unit 1| = {fmt_diff(spread)}; "
          f"std of g(29) = {fmt_diff(g_std)}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Sharpness at initialization
#
# Gradient descent is stable only for $\eta < 2/\lambda_{\max}$ (notebook 00), heavy-ball momentum
# $\beta$ for $\eta < 2(1+\beta)/\lambda_{\max}$ (notebook 02), with $\lambda_{\max}$ the largest
# eigenvalue of the Hessian $H$. The initialization sets $\lambda_{\max}$ at the start. We measure
# it for the ReLU network under each scheme with `power_iteration` on Hessian-vector products
# (notebook 08), on a batch of 128 images in float64, and compare the limits with the optimizer of
# section 6, $\eta = 0.005$ and $\beta = 0.9$. The last column is the share of the top unit
# eigenvector $q_1$ (of its squared norm) in layers 1 to 15: how much the lower half of the network,
# far from the loss, takes part in the sharpest direction.

# %% slideshow={"slide_type": "subslide"}
ETA, BETA = 0.005, 0.9
X_h, y_h = X_train[:128], y_train[:128]
print(f"{'scheme':>16} {'lambda_max':>10} {'2/lambda':>9} {'2(1+beta)/lambda':>16} "
      f"{'eta = 0.005':>11} {'q_1, layers 1-15':>16}")
for name, init in SCHEMES.items():
    model = deep_mlp(N_IN, WIDTH, DEPTH, N_OUT, activation="relu", init=init, dtype=F64)
    params = list(model.parameters())  # W1, b1, W2, b2, ...: layers 1-15 are 30 tensors
    res = power_iteration(lambda model=model: F.cross_entropy(model(X_h), y_h), params,
                          tol=1e-3, max_iter=300)
    lam, q1 = float(res.eigenvalues[0]), res.eigenvectors[0]
    lower = sum(p.numel() for p in params[:30])
    share = float((q1[:lower] ** 2).sum() / (q1**2).sum())
    stable = "stable" if ETA < 2 * (1 + BETA) / lam else "unstable"
    print(f"{name:>16} {lam:10.2g} {2 / lam:9.2g} {2 * (1 + BETA) / lam:16.2g} {stable:>11} "
          f"{share:16.0%}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice**
# - Every $\lambda_{\max}$ is positive, so the eigenvalue of largest magnitude that power
#   iteration returns is the largest one.
# - The too-large start has $\lambda_{\max}$ near $10^{9}$: no learning rate that can make
#   progress is stable there. Kaiming's curvature allows $\eta$ up to about 0.01 with momentum
#   0.9 (0.005 without), and $\eta = 0.005$ sits at half of that.
# - The vanishing starts (too small, Xavier and the default on ReLU) have tiny curvature, none of
#   it in the lower half of the network: the loss hardly depends on layers whose gradient variances
#   are $10^{-8}$ (Xavier) to $10^{-22}$ (the default) of the top layer's (section 4). Their small $\lambda_{\max}$ would allow a huge
#   $\eta$, but it only measures the layers that still feel the loss.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. Training under each initialization
#
# The same network (ReLU, 30 layers), the same optimizer (`torch.optim.SGD`, $\eta = 0.005$,
# momentum $\beta = 0.9$), the same 100 mini-batches of 128 images, in float64; only the start
# differs (PyTorch's default, whose gradient vanishes fastest in section 4, is left out to save
# time).
# `train_deep` records the loss of every mini-batch and the global gradient norm
# $\lVert\tilde g_t\rVert$ of the mini-batch gradient (all parameters together); its optional `clip`
# is for section 7. With momentum the update is $b_t = \beta b_{t-1} + \tilde g_t$,
# $\theta_t = \theta_{t-1} - \eta\, b_t$.

# %%
STEPS, BATCH = 100, 128


def train_deep(init, *, norm=None, clip=None, steps=STEPS, seed=0):
    """SGD with momentum on the 30-layer ReLU net; returns (model, losses, gradient norms)."""
    model = deep_mlp(N_IN, WIDTH, DEPTH, N_OUT, activation="relu", init=init, norm=norm,
                     seed=seed, dtype=F64)
    params = list(model.parameters())
    opt = torch.optim.SGD(params, lr=ETA, momentum=BETA)
    gen = torch.Generator().manual_seed(seed)
    losses, norms = [], []
    for _ in range(steps):
        idx = torch.randint(len(X_train), (BATCH,), generator=gen)
        opt.zero_grad()
        loss = F.cross_entropy(model(X_train[idx]), y_train[idx])
        loss.backward()
        grads = [p.grad for p in params]
        norm_t = clip(params) if clip else torch.nn.utils.get_total_norm(grads)
        opt.step()
        losses.append(float(loss.detach()))
        norms.append(float(norm_t))
        if not math.isfinite(losses[-1]):
            break
    return model, np.array(losses), np.array(norms)


# %% slideshow={"slide_type": "skip"}
def loss_text(x):
    """A loss for printing: 2 decimals up to 10; above, only its power of ten (runs there are chaotic)."""
    if not math.isfinite(x):
        return "nan"
    return f"{x:.2f}" if x < 10 else f"> {10 ** math.floor(math.log10(x)):.0e}"


def verdict(losses):
    """Robust facts about a run: where it ended (mean of the last 10 losses), or when it blew up."""
    if not np.isfinite(losses).all():
        return f"diverged: loss nan/inf at step {int(np.argmin(np.isfinite(losses))) + 1}"
    final = losses[-10:].mean()
    if abs(final - math.log(10)) < 0.05:
        return "stuck at chance (ln 10 = 2.30)"
    if final > math.log(10):
        return "above chance: not trained"
    return "learns (below 2.2)" if final < math.log(10) - 0.1 else "barely moves"


# %% slideshow={"slide_type": "subslide"}
runs = {name: train_deep(init) for name, init in SCHEMES.items() if name != "PyTorch default"}
print(f"{'scheme':>9} {'first loss':>10} {'last 10':>7} {'median |g|':>10}  verdict")
for name, (_, losses, norms) in runs.items():
    print(f"{name:>9} {losses[0]:10.2g} {loss_text(losses[-10:].mean()):>7} "
          f"{np.median(norms):10.2g}  {verdict(losses)}")

# %% slideshow={"slide_type": "subslide"} tags=["hide-input"]
fig, (ax0, ax1) = new_figure(1, 2, figsize=(9.6, 3.9))
for name, (_, losses, norms) in runs.items():
    steps = np.arange(1, len(losses) + 1)
    ax0.plot(steps, losses, color=COLORS[name], label=name)
    ax1.semilogy(steps, norms, color=COLORS[name], label=name)
ax0.axhline(math.log(10), color="gray", ls=":", label="chance, ln 10")
for ax, y in ((ax0, 3.25), (ax1, 3e9)):  # the too-large run starts above both plots and overflows
    ax.text(4, y, "too large: off the plot, overflow at step 3", color=COLORS["too large"],
            fontsize=8, va="top")
ax0.set(title="Training loss per mini-batch", xlabel="step $t$", ylabel="loss", ylim=(1.3, 3.3))
ax1.set(title=r"Global gradient norm $\|\tilde g_t\|$", xlabel="step $t$", ylabel="norm (log scale)",
        ylim=(1e-2, 1e10))
ax0.legend(loc="lower left", fontsize=7)
fig

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice**
# - Only Kaiming learns: its loss falls from 3.1 to 1.62 in 100 steps (a 30-layer network without
#   normalization trains slowly even from a good start). The vanishing starts (too small, Xavier)
#   sit at the chance loss $\ln 10$: the signal reaching the last layer has $10^{-8}$ of layer 1's
#   variance or less, so the output hardly depends on the input, and the gradient reaching layer 1
#   is as small (section 4). The too-large start begins at a loss of $10^{7}$ and overflows at
#   step 3 (its curves leave the plot).

# %% [markdown] slideshow={"slide_type": "subslide"}
# The constant start is stuck too, for its own reason: it is a network of width 1, since its 64
# units per layer are copies of each other. They still are after training:

# %%
constant_net = runs["constant"][0]
hidden = [m.weight.detach() for m in linear_layers(constant_net)[:-1]]
identical = sum(bool(torch.allclose(w, w[:1].expand_as(w), rtol=1e-9, atol=0))
                for w in hidden)
print(f"constant start, after {STEPS} steps: {identical} of {len(hidden)} hidden layers "
      "still have 64 identical rows (identical units)")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. Gradient clipping by global norm
#
# Clipping rescales the whole gradient when its norm exceeds a threshold $g_{\max}$ (`max_norm`):
#
# $$
# g \leftarrow g\cdot\min\Big(1,\ \frac{g_{\max}}{\lVert g\rVert + \epsilon}\Big), \qquad
# \lVert g\rVert = \Big(\sum_{\text{tensors } p}\lVert g_p\rVert^2\Big)^{1/2}, \quad \epsilon = 10^{-6}.
# $$
#
# One norm for all parameters and one coefficient for all: the direction of the step is kept,
# only its length is capped. `clip_grad_norm` below does it in place on every `p.grad`, as
# `torch.nn.utils.clip_grad_norm_` does, and returns the norm before clipping.

# %%
def clip_grad_norm(parameters, max_norm, eps=1e-6):
    """Scale all gradients in place by min(1, max_norm / (||g|| + eps)); return ||g||."""
    grads = [p.grad for p in parameters if p.grad is not None]
    per_tensor = torch.stack([torch.linalg.vector_norm(g) for g in grads])
    total = torch.linalg.vector_norm(per_tensor)  # the 2-norm of all gradients together
    coef = max_norm / (total + eps)
    if coef < 1:
        for g in grads:
            g.mul_(coef)
    return total


# %% slideshow={"slide_type": "subslide"}
def gradients_of(init):
    model = deep_mlp(N_IN, WIDTH, DEPTH, N_OUT, activation="relu", init=init, dtype=F64)
    F.cross_entropy(model(X_probe), y_probe).backward()
    return model


def flat_grad(model):
    return torch.cat([p.grad.reshape(-1) for p in model.parameters()])


print("relative differences: max |ours - torch| / max |torch| over all gradients; norms")
for name, max_norm in (("Kaiming", 1.0), ("Kaiming", 100.0), ("too large", 1.0)):
    ours, ref = gradients_of(SCHEMES[name]), gradients_of(SCHEMES[name])
    n_ours = clip_grad_norm(list(ours.parameters()), max_norm)
    n_ref = torch.nn.utils.clip_grad_norm_(ref.parameters(), max_norm)
    g_ours, g_ref = flat_grad(ours), flat_grad(ref)
    fires = bool(n_ours > max_norm)
    print(f"{name:>9}, max_norm {max_norm:3g}: ||g|| = {float(n_ours):.2g}, fires: {fires!s:>5}; "
          f"gradients {fmt_diff((g_ours - g_ref).abs().max() / g_ref.abs().max())}, "
          f"norms {fmt_diff((n_ours - n_ref) / n_ref)}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# Does clipping rescue the exploding start? We train again with $g_{\max} = 5$, about three times
# the median gradient norm of the healthy Kaiming run (1.6, section 6), and count how often it
# fires.

# %%
MAX_NORM = 5.0
clipped = {name: train_deep(SCHEMES[name], clip=lambda ps: clip_grad_norm(ps, MAX_NORM))
           for name in ("too large", "Kaiming")}
print(f"{'scheme':>9} {'clipping':>8} {'fires':>7} {'first loss':>10} {'last 10':>7}  verdict")
for name in ("too large", "Kaiming"):
    for label, (_, losses, norms) in (("off", runs[name]), ("on", clipped[name])):
        fires = f"{int((norms > MAX_NORM).sum())}/{len(norms)}" if label == "on" else "-"
        print(f"{name:>9} {label:>8} {fires:>7} {losses[0]:10.2g} "
              f"{loss_text(losses[-10:].mean()):>7}  {verdict(losses)}")
print("Kaiming, clipped: fires at steps", *(np.flatnonzero(clipped["Kaiming"][2] > MAX_NORM) + 1))
big = linear_layers(deep_mlp(N_IN, WIDTH, DEPTH, N_OUT, init=too_large_, dtype=F64))
norm_big = math.sqrt(sum(float(m.weight.detach().square().sum()) for m in big))  # ||theta_0||, biases 0
to_kaiming = norm_big * (1 - math.sqrt(2 / WIDTH) / 0.3)  # every weight times sigma_Kaiming / 0.3
print(f"too large -> Kaiming's scale moves the weights by {to_kaiming:.0f}; {STEPS} clipped steps "
      f"move them by at most {STEPS * ETA * MAX_NORM / (1 - BETA):.0f}")

# %% slideshow={"slide_type": "subslide"} tags=["hide-input"]
fig, (ax0, ax1) = new_figure(1, 2, figsize=(9.6, 3.7))
for name in ("too large", "Kaiming"):
    for (label, (_, losses, norms)), ls in (((f"{name}, no clipping", runs[name]), ":"),
                                            ((f"{name}, clipped at {MAX_NORM:g}", clipped[name]), "-")):
        steps = np.arange(1, len(losses) + 1)
        ax0.semilogy(steps, losses, ls, color=COLORS[name], label=label)
        ax1.semilogy(steps, norms, ls, color=COLORS[name], label=label)
threshold = ax1.axhline(MAX_NORM, color="gray", lw=1, label=r"$g_{\max}$")
ax0.set(title="Loss per mini-batch", xlabel="step $t$", ylabel="loss (log scale)", ylim=(1, 1e9))
ax1.set(title=r"$\|\tilde g_t\|$ before clipping", xlabel="step $t$", ylabel="norm (log scale)",
        ylim=(0.3, 1e10))
ax0.text(5, 5e8, "too large, no clipping: overflow at step 3", color=COLORS["too large"], fontsize=8,
         va="top")
ax0.legend(loc="upper right", bbox_to_anchor=(1.0, 0.88), fontsize=7)
ax1.legend(handles=[threshold], loc="lower right", bbox_to_anchor=(1.0, 0.3), fontsize=8)
fig

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice**
# - Our clipper equals torch's to rounding, above and below the threshold.
# - On the too-large start clipping fires at every step. It stops the blow-up (no overflow), and
#   the loss falls by more than three orders of magnitude, but after 100 steps it is still above
#   1000, over 400 times the chance loss. A clipped step moves the weights by at most
#   $\eta\,g_{\max}/(1-\beta) = 0.25$ (the momentum buffer sums at most $1/(1-\beta)$ clipped
#   gradients), 25 in 100 steps, while shrinking every layer's weights to Kaiming's scale (by
#   $\sqrt{2.9} \approx 1.7$) is a move of 43.
#   Clipping caps the step; it does not repair the signal propagation.
# - On the Kaiming start it fires in 11 of the 100 steps: the first three, where the fresh
#   network's gradient is largest, and late spikes. The run learns as before: that is what
#   clipping is for, a safety belt for the occasional spike.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 8. Normalization: BatchNorm makes the depth trainable
#
# Batch normalization (Ioffe & Szegedy 2015) rescales each unit's pre-activation over the batch to
# mean 0 and variance 1 (then applies a learned scale and shift, 1 and 0 at the start):
# $\operatorname{BN}(u) = (u - \bar u_{\mathcal B})/\sqrt{\sigma^2_{\mathcal B} + \epsilon}$, with $\bar u_{\mathcal B}$ and
# $\sigma^2_{\mathcal B}$ the unit's mean and variance over the batch. Inserted after every
# hidden linear layer, it resets the variance to 1 at every layer whatever $\sigma_W$ is: the forward
# factor is 1 by construction. Backwards, a hidden layer's output no longer depends on the scale of
# its weights: multiplying $W^{(l)}$ by $c$ divides its gradient by $c$ and changes no other
# gradient, so only the unnormalized output layer still feels the scale. We measure the weight-gradient norm
# $\lVert\partial\mathcal{L}/\partial W^{(l)}\rVert$ of every layer at initialization, without and
# with BatchNorm.

# %%
norm_runs = ("too small", "too large", "Kaiming")
grad_profile = {}
print(f"{'scheme':>10} {'BatchNorm':>9} {'|dL/dW| layer 1':>15} {'layer 29':>9} {'ratio 1/29':>10}")
for name in norm_runs:
    for norm in (None, "batchnorm"):
        model = deep_mlp(N_IN, WIDTH, DEPTH, N_OUT, activation="relu", init=SCHEMES[name],
                         norm=norm, dtype=F64)
        g = layer_statistics(model, X_probe, y_probe).grad_w_norm
        grad_profile[name, norm] = g
        print(f"{name:>10} {'yes' if norm else 'no':>9} {float(g[0]):15.1e} {float(g[DEPTH - 2]):9.1e} "
              f"{float(g[0] / g[DEPTH - 2]):10.0e}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# And training, with the same optimizer and mini-batches as in section 6. Training with
# BatchNorm turns out to be chaotic here: a change in the last bit of the arithmetic moves the
# loss after 100 steps by about 0.1, so we print only the verdict (the figure shows the curves).

# %%
bn_runs = {name: train_deep(SCHEMES[name], norm="batchnorm")
           for name in ("too small", "too large")}
print(f"{'scheme':>10} {'BatchNorm':>9} {'first loss':>10}  verdict after {STEPS} steps")
for name in ("too small", "too large"):
    for label, (_, losses, _) in (("no", runs[name]), ("yes", bn_runs[name])):
        print(f"{name:>10} {label:>9} {losses[0]:10.2g}  {verdict(losses)}")

# %% slideshow={"slide_type": "subslide"} tags=["hide-input"]
fig, (ax0, ax1) = new_figure(1, 2, figsize=(9.6, 3.7))
for name in norm_runs:
    for norm, ls in ((None, ":"), ("batchnorm", "-")):
        label = f"{name}, " + ("BatchNorm" if norm else "plain")
        ax0.semilogy(np.arange(1, DEPTH + 1), grad_profile[name, norm].numpy(), ls, marker="o", ms=2.5,
                     color=COLORS[name], label=label)
for name in ("too small", "too large"):
    losses = bn_runs[name][1]
    ax1.plot(np.arange(1, len(losses) + 1), losses, color=COLORS[name], label=f"{name}, BatchNorm")
ax1.plot(np.arange(1, STEPS + 1), runs["Kaiming"][1], color=COLORS["Kaiming"], ls=":", label="Kaiming, plain")
ax0.set(title=r"$\|\partial\mathcal{L}/\partial W^{(l)}\|$ at initialization", xlabel="layer $l$",
        ylabel="norm (log scale)")
ax1.set(title="Training loss with BatchNorm", xlabel="step $t$", ylabel="loss")
ax0.legend(loc="lower right", bbox_to_anchor=(1.0, 0.12), fontsize=7, ncol=2)
ax1.legend(loc="upper right", fontsize=8)
fig

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What to notice**
# - Without normalization each profile is nearly flat (ratio 0.2 to 1): $\partial\mathcal{L}/\partial W^{(l)}$
#   is a backward signal times a forward one, and in square layers the two vanish or explode
#   together and cancel. What is wrong is the level: $10^{-8}$ (too small) and $10^{7}$ (too
#   large) times Kaiming's. With BatchNorm the three profiles lie nearly on top of each other.
# - That profile is not flat, though: with BatchNorm the gradient grows by about 1.2 per layer going
#   back, a factor 70 to 90 from layer 29 to layer 1, for every start. Yang et al. (2019) showed
#   that deep networks with batch normalization and no skip connections have exploding gradients
#   at initialization whatever the weights' scale; here the growth is mild, and does not stop the
#   runs from learning.
# - Both starts that failed in section 6 now learn, with the same optimizer. The weights' scale
#   still matters in one way: when $W^{(l)}$ is multiplied by $c$ the output is unchanged and the
#   gradient is divided by $c$, so a layer's effective learning rate is about
#   $\eta/\lVert W^{(l)}\rVert^2$ (Arora et al. 2019): at first the too-small start's hidden layers move
#   $(0.3/0.1)^2 = 9$ times faster, relative to their size, than the too-large start's (whose
#   unnormalized output layer also makes its first loss higher).

# %% [markdown] slideshow={"slide_type": "skip"}
# Train and eval. Everything above runs BatchNorm in training mode, the state a fresh module is
# in: each forward pass normalizes with the statistics of its own batch (the biased variance) and
# updates running averages of them (`momentum=0.1`, the unbiased variance). After `model.eval()`
# BatchNorm uses those running averages instead, so a prediction no longer depends on the other
# examples in the batch. The averages mix the statistics of the last ten or so batches, taken
# while the weights were still moving, so early in training a loss measured in eval mode can
# differ from the training-mode loss for that reason alone.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 1: Kaiming initialization for (leaky) ReLU
#
# A leaky ReLU is $f(u) = u$ for $u > 0$ and $\nu u$ for $u \le 0$, with a slope $\nu$ (PyTorch's
# `negative_slope`; ReLU is $\nu = 0$). Derive $\mathbb{E}[f(u)^2]$ for a symmetric $u$ of variance
# $\sigma^2$, and from it the weight variance that keeps $\operatorname{Var}[u^{(l)}]$ constant in the
# forward pass. Write
# `my_kaiming_normal_(weight, negative_slope=0.0)` that fills an `nn.Linear` weight (shape
# $(n_{\text{out}}, n_{\text{in}})$) in place with Gaussian draws of that variance. The check
# measures the variance on large weights of two shapes, for $\nu = 0$ and $\nu = 0.2$.

# %% tags=["solution"]
def my_kaiming_normal_(weight, negative_slope=0.0):
    n_out, n_in = weight.shape
    std = math.sqrt(2.0 / ((1.0 + negative_slope**2) * n_in))
    with torch.no_grad():
        return weight.normal_(0.0, std)


# %%
check_kaiming_init(my_kaiming_normal_)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 2: your own gradient clipper
#
# Write `my_clip_grad_norm_(parameters, max_norm, norm_type=2.0, eps=1e-6)` with the behaviour of
# `torch.nn.utils.clip_grad_norm_`: one norm over all gradients (for `norm_type=math.inf`, the
# largest $|g_i|$ over all of them), every `p.grad` scaled in place by
# $\min(1, g_{\max}/(\lVert g\rVert + \epsilon))$ with $g_{\max}$ = `max_norm`, parameters whose `.grad` is `None`
# skipped, and the norm before clipping returned. The check compares with torch in float64.

# %% tags=["solution"]
def my_clip_grad_norm_(parameters, max_norm, norm_type=2.0, eps=1e-6):
    grads = [p.grad for p in parameters if p.grad is not None]
    norms = torch.stack([torch.linalg.vector_norm(g, norm_type) for g in grads])
    total = torch.linalg.vector_norm(norms, norm_type)
    coef = max_norm / (total + eps)
    if coef < 1:
        for g in grads:
            g.mul_(coef)
    return total


# %%
check_clip_grad_norm(my_clip_grad_norm_)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 3: spot the bug in an initializer
#
# This function is meant to give every linear layer of a ReLU network Kaiming weights and zero
# biases. Measured on our 30-layer network, its per-layer factor is not 1:

# %%
def init_relu_net(model):
    """Kaiming initialization for every linear layer of a ReLU network, biases zero."""
    for layer in model.modules():
        if isinstance(layer, nn.Linear):
            n_out, n_in = layer.weight.shape
            with torch.no_grad():
                layer.weight.normal_(0.0, 2 / math.sqrt(n_in))
                layer.bias.zero_()


buggy = deep_mlp(N_IN, WIDTH, DEPTH, N_OUT, activation="relu", dtype=F64)
init_relu_net(buggy)
out_var = layer_statistics(buggy, X_probe, y_probe).out_var
first, last = float(out_var[0]), float(out_var[DEPTH - 2])
print(f"forward factor per layer: {sig2(geometric_factor(first, last))}; "
      f"Var u(29)/u(1) = {last / first:.0e}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# Compare with the derivation of section 2, find the bug and write `init_relu_net_fixed(model)`.
# The check runs it on a network whose layers have different fan-in and fan-out (200, 400 and 50
# units), so a fix that uses the wrong fan shows too.

# %% tags=["solution"]
def init_relu_net_fixed(model):
    """Kaiming initialization for every linear layer of a ReLU network, biases zero."""
    for layer in model.modules():
        if isinstance(layer, nn.Linear):
            n_out, n_in = layer.weight.shape
            with torch.no_grad():
                layer.weight.normal_(0.0, math.sqrt(2 / n_in))
                layer.bias.zero_()


# %%
check_init_fix(init_relu_net_fixed)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - At initialization each layer multiplies the variance of the signal by
#   $r_{\text{f}} = n_{\text{in}}\sigma_W^2\,\mathbb{E}[f(u)^2]/\sigma^2$ and that of the gradient by
#   $r_{\text{b}} = n_{\text{out}}\sigma_W^2\,\mathbb{E}[f'(u)^2]$: $\tfrac12 n\sigma_W^2$ for ReLU,
#   at most $n\sigma_W^2$ for tanh. Over 29 layers a factor 2 off becomes $2^{\pm29} \approx 10^{\pm9}$.
# - Xavier ($2/(n_{\text{in}}+n_{\text{out}})$) is right for tanh in its linear regime (here tanh's
#   compression still costs a factor 0.86 per layer) and halves the signal at every ReLU layer;
#   Kaiming ($2/n_{\text{in}}$) is right for ReLU. The measured factors of a 30-layer network
#   matched the predictions; PyTorch's default `nn.Linear` has
#   $n_{\text{in}}\operatorname{Var}[W] = \tfrac13$ and vanishes.
# - A constant start keeps every unit of a layer identical forever: randomness breaks symmetry.
# - Only the Kaiming start learned in 100 steps of SGD with momentum; the too-large one has
#   $\lambda_{\max}$ near $10^{9}$ and no usable stable learning rate.
# - Clipping by global norm caps the step and stops the overflow, but does not make a badly
#   initialized network trainable. BatchNorm makes the gradient profile independent of the
#   start's scale (a mild growth of about 1.2 per layer remains) and made both failed starts learn.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## References
#
# - Xavier Glorot and Yoshua Bengio, "Understanding the difficulty of training deep feedforward
#   neural networks", AISTATS 2010.
# - Kaiming He, Xiangyu Zhang, Shaoqing Ren and Jian Sun, "Delving deep into rectifiers:
#   surpassing human-level performance on ImageNet classification", ICCV 2015.
# - Ben Poole, Subhaneil Lahiri, Maithra Raghu, Jascha Sohl-Dickstein and Surya Ganguli,
#   "Exponential expressivity in deep neural networks through transient chaos", NeurIPS 2016.
# - Samuel S. Schoenholz, Justin Gilmer, Surya Ganguli and Jascha Sohl-Dickstein, "Deep
#   information propagation", ICLR 2017.
# - Razvan Pascanu, Tomas Mikolov and Yoshua Bengio, "On the difficulty of training recurrent
#   neural networks", ICML 2013 (gradient clipping by norm).
# - Sergey Ioffe and Christian Szegedy, "Batch normalization: accelerating deep network training
#   by reducing internal covariate shift", ICML 2015.
# - Greg Yang, Jeffrey Pennington, Vinay Rao, Jascha Sohl-Dickstein and Samuel S. Schoenholz, "A
#   mean field theory of batch normalization", ICLR 2019 (gradient explosion in deep BatchNorm
#   networks).
# - Sanjeev Arora, Zhiyuan Li and Kaifeng Lyu, "Theoretical analysis of auto rate-tuning by batch
#   normalization", ICLR 2019 (the effective learning rate of scale-invariant weights).
# - Phillip Lippe, *UvA Deep Learning Tutorials*, Tutorial 4: "Optimization and Initialization",
#   University of Amsterdam, 2022.
# - PyTorch issue 57109, "Linear layer default initialization" (why `a = sqrt(5)`).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What's next
#
# Notebook 11, the capstone, trains a small character-level transformer with the modern recipe.
# Three of its ingredients meet here: LayerNorm keeps its activations at a fixed scale (section
# 8 did it with BatchNorm), gradient clipping by global norm guards every step (section 7), and
# the sharpness $\lambda_{\max}$ is tracked against the stability limit $2/\eta$ (section 5).
