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
# Every notebook so far asked how to take a step. This one asks whether there is anything to step
# on. A deep network multiplies its input by one weight matrix per layer, and backpropagation
# multiplies the gradient by the same matrices on the way back; if each layer scales the signal
# by a factor a little off 1, thirty layers scale it by that factor to the thirtieth power, and
# no optimizer can follow a gradient of $10^{-15}$ or survive one of $10^{8}$. We derive how the
# variance of the signal and of the gradient changes from layer to layer, measure it in a
# 30-layer network under six initializations, write Xavier's and Kaiming's initializers and check
# them against `torch.nn.init`, then see what each start does to training, to the curvature
# $\lambda_{\max}$ and the learning rates it allows, and what two standard remedies achieve:
# gradient clipping and a normalization layer.
#
# **Learning objectives**
# - Derive the variance of activations and gradients layer by layer,
#   $\operatorname{Var}[z^{(l)}] = n_{\text{in}}\sigma_W^2\,\mathbb{E}[(a^{(l-1)})^2]$, with the factor
#   $\tfrac12$ of ReLU and the linear regime of tanh, and the same with $n_{\text{out}}$ backwards.
# - Write Xavier (Glorot) and Kaiming (He) initialization and say which activation each is for;
#   state what PyTorch's default `nn.Linear` initialization is.
# - Predict from one number per layer whether a deep network's signal and gradient vanish or
#   explode, and check the prediction on a real network.
# - Implement gradient clipping by global norm exactly as `torch.nn.utils.clip_grad_norm_`, and
#   tell what it can and cannot repair.
# - Relate the initialization to the sharpness $\lambda_{\max}$ at the start and to the stable
#   learning rate, and measure how a normalization layer changes the gradients.
#
# **Prerequisites** 00 · Gradient descent (the stability limit $2/\lambda_{\max}$), 02 · Momentum
# (its limit $2(1+\beta)/\lambda_{\max}$), 05 · Stochastic gradients, 08 · The Hessian (power
# iteration on Hessian-vector products).
#
# **Time to complete:** about 75 minutes

# %%
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
# Take a network of $D$ linear layers, $z^{(l)} = W^{(l)} a^{(l-1)} + b^{(l)}$ and
# $a^{(l)} = \phi(z^{(l)})$ for $l = 1, \dots, D$, with input $a^{(0)} = x$ and an activation
# $\phi$ (ReLU or tanh). Superscripts in parentheses number the layers. If every layer multiplies
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
# standardized to mean 0 and variance 1 on the training set, and a multilayer perceptron (MLP) of
# $D = 30$ linear layers of width $n = 64$ (64 to 64, 28 times 64 to 64, then 64 to 10), built by
# `course_utils.deep_mlp`. It takes an initializer, any function that fills a weight tensor in
# place, and then sets the biases to 0.

# %%
digits = load_digits(dtype=F64)
pixel_mean, pixel_std = digits.X_train.mean(0), digits.X_train.std(0)
pixel_std = torch.where(pixel_std > 0, pixel_std, torch.ones_like(pixel_std))  # pixels that are always 0 stay 0
X_train, y_train = (digits.X_train - pixel_mean) / pixel_std, digits.y_train
WIDTH, N_IN, N_OUT = 64, 64, 10
X_probe, y_probe = X_train[:512], y_train[:512]  # one fixed batch for measurements at initialization
mean_x2 = float((X_probe**2).mean())
net = deep_mlp(N_IN, WIDTH, DEPTH, N_OUT, activation="relu")
print(f"{len(X_train)} training images of {N_IN} pixels; E[x^2] over the probe batch = {mean_x2:.2f}")
print(f"{len(linear_layers(net))} linear layers, {sum(p.numel() for p in net.parameters()):,} parameters")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. Variance propagation: the derivation
#
# **Forward.** At initialization the weights $W^{(l)}_{ij}$ are independent draws with mean 0 and
# variance $\sigma_W^2$, independent of the layer's input $a^{(l-1)}$ (which depends only on
# earlier layers), and $b^{(l)} = 0$. Then $z^{(l)}_i = \sum_{j=1}^{n_{\text{in}}} W^{(l)}_{ij} a^{(l-1)}_j$
# is a sum of $n_{\text{in}}$ uncorrelated terms of mean 0 and variance
# $\sigma_W^2\,\mathbb{E}[(a^{(l-1)}_j)^2]$:
#
# $$
# \operatorname{Var}[z^{(l)}] = n_{\text{in}}\,\sigma_W^2\;\mathbb{E}\big[(a^{(l-1)})^2\big].
# $$
#
# With $q^{(l)} = \operatorname{Var}[z^{(l)}]$, the activation turns $q^{(l-1)}$ into
# $\mathbb{E}[(a^{(l-1)})^2]$:
#
# $$
# \mathbb{E}[\operatorname{relu}(z)^2] = \tfrac12\, q, \qquad
# \mathbb{E}[\tanh(z)^2] \approx q \ \ (\text{small } q), \qquad\text{so}\qquad
# q^{(l)} = r\, q^{(l-1)},\quad r = n_{\text{in}}\sigma_W^2 \times \begin{cases}\tfrac12 & \text{ReLU}\\ 1 & \text{tanh}\end{cases}
# $$

# %% [markdown] slideshow={"slide_type": "skip"}
# Why each step holds. The terms $W_{ij}a_j$ have mean $\mathbb{E}[W_{ij}]\,\mathbb{E}[a_j] = 0$
# and are uncorrelated, $\mathbb{E}[W_{ij}W_{ik}a_ja_k] = \mathbb{E}[W_{ij}]\,\mathbb{E}[W_{ik}]\,
# \mathbb{E}[a_ja_k] = 0$ for $j \ne k$, so the variance of the sum is the sum of
# $\mathbb{E}[W_{ij}^2]\,\mathbb{E}[a_j^2] = \sigma_W^2\,\mathbb{E}[a_j^2]$. It is the *second
# moment* $\mathbb{E}[a^2]$ that enters, not $\operatorname{Var}[a]$: a ReLU's outputs have a
# positive mean, and using their variance would give the wrong factor. Because $W^{(l)}$ is
# symmetric about 0 and independent of its input, $z^{(l)}$ is symmetric about 0, and for any
# symmetric $z$, $\mathbb{E}[\operatorname{relu}(z)^2] = \mathbb{E}[z^2\,\mathbb{1}\{z>0\}] =
# \tfrac12\mathbb{E}[z^2]$: ReLU zeroes half of the signal, exactly. For tanh,
# $\tanh z = z - z^3/3 + \dots$, so $\mathbb{E}[\tanh^2 z] \approx q$ while $q$ is small (the
# *linear regime*), and $\tanh^2 z \le z^2$ always, so $n_{\text{in}}\sigma_W^2$ is an upper bound
# on tanh's factor: large signals saturate at $\pm 1$.

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Backward.** With $\delta^{(l)} = \partial\mathcal{L}/\partial z^{(l)}$, the chain rule gives
# $\delta^{(l-1)}_j = \phi'(z^{(l-1)}_j)\sum_{i=1}^{n_{\text{out}}} W^{(l)}_{ij}\,\delta^{(l)}_i$: the
# same kind of sum, now over the $n_{\text{out}}$ units the weight feeds. Treating $W^{(l)}$ as
# independent of $\delta^{(l)}$,
#
# $$
# \operatorname{Var}[\delta^{(l-1)}] = \chi\,\operatorname{Var}[\delta^{(l)}], \qquad
# \chi = n_{\text{out}}\,\sigma_W^2\;\mathbb{E}[\phi'(z^{(l-1)})^2]
# = n_{\text{out}}\sigma_W^2 \times \begin{cases}\tfrac12 & \text{ReLU } (\phi' = \mathbb{1}\{z > 0\})\\
# 1 & \text{tanh, small } q\end{cases}
# $$
#
# The weight gradient $\partial\mathcal{L}/\partial W^{(l)}_{ij} = \sum_{\text{batch}} \delta^{(l)}_i a^{(l-1)}_j$
# carries both: the backward signal at layer $l$ times the forward signal at layer $l-1$.

# %% [markdown] slideshow={"slide_type": "skip"}
# The independence of $W^{(l)}$ and $\delta^{(l)}$ is an approximation ($\delta^{(l)}$ depends on
# $W^{(l)}$ through the layers above), good for wide layers; the measurements below test it. Beyond
# the linear regime of tanh, the same two recursions hold with the expectations taken over the
# distribution of $z$. A sum of many independent terms is close to Gaussian, so take
# $z \sim \mathcal{N}(0, q^{(l-1)})$:
# $q^{(l)} = n_{\text{in}}\sigma_W^2\,\mathbb{E}[\phi(z)^2]$ and
# $\chi^{(l-1)} = n_{\text{out}}\sigma_W^2\,\mathbb{E}[\phi'(z)^2]$ (the *mean-field* recursions of
# Poole et al. 2016 and Schoenholz et al. 2017). For ReLU they are exactly the factors $\tfrac12$
# above; for tanh they bend: the factor falls as $q$ grows. `course_utils.gaussian_expectation`
# computes $\mathbb{E}[f(z)]$ for $z \sim \mathcal{N}(0, q)$ by numerical integration. A random bias of
# variance $\sigma_b^2$, independent of everything else, adds $\sigma_b^2$ to $q^{(l)}$ and changes
# nothing in the backward recursion, which never involves $b$.

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Keeping both factors at 1.** The forward pass wants $\sigma_W^2 = 1/(c\, n_{\text{in}})$, the
# backward pass $1/(c\, n_{\text{out}})$, with the activation's factor $c = \tfrac12$ for ReLU and
# $c = 1$ for tanh near 0 (the same in both recursions above).
#
# - **Xavier / Glorot** (Glorot & Bengio 2010, for tanh and linear layers, $c = 1$): the compromise
#   $\sigma_W^2 = 2/(n_{\text{in}} + n_{\text{out}})$.
# - **Kaiming / He** (He et al. 2015, for ReLU, $c = \tfrac12$): $\sigma_W^2 = 2/n_{\text{in}}$ keeps the
#   forward pass exactly (`mode="fan_in"`, PyTorch's default), or $2/n_{\text{out}}$ the backward
#   pass (`mode="fan_out"`). Either way the other pass is off by $n_{\text{out}}/n_{\text{in}}$ per
#   layer, a product that telescopes to the ratio of the first and last widths: a constant, not a
#   power of the depth.
#
# In our network every layer but the last is 64 to 64, so both passes have the same factor,
# $64\,\sigma_W^2$ times $c$. The six starts we compare (biases 0 in all but the last):

# %%
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
    """Glorot & Bengio (2010): W_ij ~ N(0, 2 / (n_in + n_out)). nn.Linear's weight is (n_out, n_in)."""
    n_out, n_in = weight.shape
    with torch.no_grad():
        return weight.normal_(0.0, math.sqrt(2.0 / (n_in + n_out)))


def kaiming_normal_(weight):
    """He et al. (2015), ReLU, fan-in mode: W_ij ~ N(0, 2 / n_in), written as gain / sqrt(n_in)."""
    n_out, n_in = weight.shape
    with torch.no_grad():
        return weight.normal_(0.0, math.sqrt(2.0) / math.sqrt(n_in))


# %% slideshow={"slide_type": "subslide"}
SCHEMES = {"constant": constant_, "too small": too_small_, "too large": too_large_,
           "Xavier": xavier_normal_, "Kaiming": kaiming_normal_, "PyTorch default": None}
VAR_W = {"constant": None, "too small": 0.1**2, "too large": 0.3**2, "Xavier": 2 / (2 * WIDTH),
         "Kaiming": 2 / WIDTH, "PyTorch default": 1 / (3 * WIDTH)}  # sigma_W^2 of a 64 -> 64 layer
VAR_B = {name: 1 / (3 * WIDTH) if name == "PyTorch default" else 0.0 for name in SCHEMES}  # its bias's variance
print(f"{'scheme':>16} {'sigma_W^2':>10} {'n sigma_W^2':>12} {'ReLU r':>7} {'tanh r (small q)':>17}")
for name, var_w in VAR_W.items():
    if var_w is None:
        print(f"{name:>16} {'(all equal: not random)':>48}")
        continue
    print(f"{name:>16} {var_w:10.4f} {WIDTH * var_w:12.3f} {WIDTH * var_w / 2:7.3f} {WIDTH * var_w:17.3f}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# The "PyTorch default" row is what `nn.Linear` does when you do nothing: weights *and biases*
# drawn from $U(-1/\sqrt{n_{\text{in}}}, 1/\sqrt{n_{\text{in}}})$ (the next section measures it);
# it is the only start with non-zero biases. The predicted curves come from the two mean-field
# recursions, run from the first layer's $q^{(1)} = n_{\text{in}}\sigma_W^2\,\mathbb{E}[x^2] + \sigma_b^2$
# for the forward pass and from the measured gradient at the top layer for the backward pass:

# %%
ACT = {"relu": (lambda z: np.maximum(z, 0.0), lambda z: (z > 0) * 1.0),
       "tanh": (np.tanh, lambda z: 1.0 - np.tanh(z) ** 2)}


def predicted_variances(activation, var_w, q1, var_b=0.0, depth=DEPTH - 1, n=WIDTH):
    """q^(l) = n var_w E[phi(z)^2] + var_b and chi at layer l = n var_w E[phi'(z)^2], z ~ N(0, q^(l))."""
    phi, dphi = ACT[activation]
    q = [q1]
    for _ in range(depth - 1):
        q.append(n * var_w * gaussian_expectation(lambda z: phi(z) ** 2, q[-1]) + var_b)
    chi = [n * var_w * gaussian_expectation(lambda z: dphi(z) ** 2, ql) for ql in q]
    return np.array(q), np.array(chi)


q_pred, chi_pred = predicted_variances("relu", 2 / WIDTH, N_IN * 2 / WIDTH * mean_x2)
print(f"ReLU, Kaiming: q at layers 1, 2, 29 = {q_pred[0]:.3f}, {q_pred[1]:.3f}, {q_pred[-1]:.3f}; "
      f"chi = {chi_pred[0]:.3f} at every layer")

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
    ("xavier_normal_", xavier_normal_, nn.init.xavier_normal_, lambda n_in, n_out: 2 / (n_in + n_out)),
    ("kaiming_normal_", kaiming_normal_, lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu"),
     lambda n_in, n_out: 2 / n_in),
):
    for shape in ((256, 1024), (1024, 256)):
        torch.manual_seed(1)
        w_ours = ours(torch.empty(shape, dtype=F64))
        torch.manual_seed(1)
        w_torch = theirs(torch.empty(shape, dtype=F64))
        print(f"{name:>15} {str(shape):>12} {fmt_diff((w_ours - w_torch).abs().max()):>19} "
              f"{float(w_ours.var()):12.3e} {float(w_torch.var()):10.3e} {formula(shape[1], shape[0]):10.3e}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **PyTorch's default.** `nn.Linear.reset_parameters` calls `kaiming_uniform_(weight, a=sqrt(5))`:
# the gain of a leaky ReLU of slope $a$, $\sqrt{2/(1+a^2)} = \sqrt{1/3}$, times $\sqrt{3/n_{\text{in}}}$
# gives the bound $1/\sqrt{n_{\text{in}}}$, so $W_{ij} \sim U(-1/\sqrt{n_{\text{in}}}, 1/\sqrt{n_{\text{in}}})$
# with variance $\text{bound}^2/3 = 1/(3 n_{\text{in}})$, and the bias gets the same uniform
# distribution (PyTorch issue 57109 discusses this choice).

# %%
torch.manual_seed(0)
default_layer = nn.Linear(1000, 1000)
w_default = default_layer.weight.detach().double()
print(f"nn.Linear(1000, 1000): max |W| * sqrt(n_in) = {float(w_default.abs().max()) * math.sqrt(1000):.4f} "
      f"(the bound 1)")
print(f"n_in * Var[W] = {1000 * float(w_default.var()):.4f}   (1/3 = {1 / 3:.4f}; Kaiming for ReLU: 2)")
print(f"per-layer factor with ReLU: {1000 * float(w_default.var()) / 2:.3f}; over 29 layers: "
      f"{(1000 * float(w_default.var()) / 2) ** 29:.0e}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice**
# - Same seed, same numbers: our two functions and `torch.nn.init`'s agree to the last bit, and
#   the sample variances match the formulas within 0.3%, the sampling error of 262,144 draws.
#   Xavier's variance is the same for both orientations; Kaiming's depends on which side is
#   $n_{\text{in}}$, the second dimension of an `nn.Linear` weight.
# - PyTorch's default gives $n_{\text{in}}\operatorname{Var}[W] = \tfrac13$, six times less than
#   Kaiming's 2: a plain stack of default `nn.Linear` + ReLU layers shrinks its gradient by a
#   factor 6 per layer (and its signal too, until the biases take over, section 4). It was never
#   meant for 30-layer MLPs; models that go deep re-initialize or normalize.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. Measured, layer by layer
#
# For each activation and each scheme we build the 30-layer network in float64 and run one
# forward and backward pass of the cross-entropy loss on a fixed batch of 512 images.
# `course_utils.layer_statistics` records, for every linear layer, $\operatorname{Var}[z^{(l)}]$
# (over examples and units) and $\operatorname{Var}[\delta^{(l)}]$. The per-layer factor we report is
# the geometric mean over the 28 steps between layers 1 and 29 (all 64 to 64):
# $(q^{(29)}/q^{(1)})^{1/28}$ forward, $(\operatorname{Var}[\delta^{(1)}]/\operatorname{Var}[\delta^{(29)}])^{1/28}$ backward.

# %%
def geometric_factor(first, last, steps=DEPTH - 2):
    return (last / first) ** (1.0 / steps)


measured, predicted = {}, {}
for activation in ("tanh", "relu"):
    for name, init in SCHEMES.items():
        model = deep_mlp(N_IN, WIDTH, DEPTH, N_OUT, activation=activation, init=init, dtype=F64)
        stats = layer_statistics(model, X_probe, y_probe)
        measured[activation, name] = stats
        if VAR_W[name] is not None:
            q1 = N_IN * VAR_W[name] * mean_x2 + VAR_B[name]
            q, chi = predicted_variances(activation, VAR_W[name], q1, VAR_B[name])
            # backward: start from the measured Var[delta^(29)], multiply by chi at layers 28, ..., 1
            d = [float(stats.grad_z_var[DEPTH - 2])]
            for c in chi[:-1][::-1]:
                d.append(d[-1] * c)
            predicted[activation, name] = (q, np.array(d[::-1]))


# %% slideshow={"slide_type": "subslide"}
def sig2(x):
    return f"{x:#.2g}"


print(f"{'':>4} {'scheme':>15} | {'forward factor r':^17} | {'backward factor chi':^19} | "
      f"{'q(29)/q(1)':>10} {'d(1)/d(29)':>10}")
print(f"{'':>4} {'':>15} | {'predicted':>9} {'measured':>7} | {'predicted':>9} {'measured':>9} |")
for (activation, name), stats in measured.items():
    zf = geometric_factor(float(stats.z_var[0]), float(stats.z_var[DEPTH - 2]))
    gb = geometric_factor(float(stats.grad_z_var[DEPTH - 2]), float(stats.grad_z_var[0]))
    if (activation, name) in predicted:
        q, d = predicted[activation, name]
        pf, pb = sig2(geometric_factor(q[0], q[-1])), sig2(geometric_factor(d[-1], d[0]))
        mb, rb = sig2(gb), f"{gb**28:.0e}"
    else:  # constant: no randomness, and no gradient below the output layer (section 4's last slide)
        pf = pb = mb = rb = "n/a"
    print(f"{activation:>4} {name:>15} | {pf:>9} {sig2(zf):>7} | {pb:>9} {mb:>9} | {zf**28:10.0e} {rb:>10}")

# %% slideshow={"slide_type": "subslide"}
fig, axes = new_figure(2, 2, figsize=(9.6, 6.6), sharex=True)
layers_axis = np.arange(1, DEPTH)
for col, activation in enumerate(("tanh", "relu")):
    for i, name in enumerate(SCHEMES):
        stats = measured[activation, name]
        color = PALETTE[i]
        axes[0, col].semilogy(layers_axis, stats.z_var[: DEPTH - 1].numpy(), "o-", ms=3, color=color, label=name)
        if name != "constant":  # its gradient below the output layer is zero (rounding noise)
            axes[1, col].semilogy(layers_axis, stats.grad_z_var[: DEPTH - 1].numpy(), "o-", ms=3, color=color)
        if (activation, name) in predicted:
            q, d = predicted[activation, name]
            axes[0, col].semilogy(layers_axis, q, "--", color=color, lw=1.2)
            axes[1, col].semilogy(layers_axis, d, "--", color=color, lw=1.2)
    axes[0, col].set(title=f"{activation}: forward, Var[$z^{{(l)}}$]", ylabel="variance (log scale)")
    axes[1, col].set(title=f"{activation}: backward, Var[$\\delta^{{(l)}}$]", xlabel="layer $l$",
                     ylabel="variance (log scale)")
axes[0, 0].plot([], [], "k--", lw=1.2, label="predicted")
axes[0, 0].legend(loc="lower left", fontsize=7, ncol=2)
fig.suptitle("A 30-layer MLP at initialization: measured (dots) and predicted (dashed)")
fig.set_dpi(80)
fig

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice**
# - ReLU follows the prediction $r = \chi = n\sigma_W^2/2$ to two digits at every scheme: Kaiming
#   keeps both variances flat over 29 layers, Xavier halves them at each layer ($5\times10^{-9}$
#   over the depth), the too-small start loses a factor 3 per layer and the too-large start gains
#   a factor 3 ($10^{13}$ over the depth).
# - PyTorch's default is the one start with biases: its forward variance stops falling at the
#   level the biases add, $\sigma_b^2 = 1/192$, and looks almost healthy, while its gradient keeps
#   shrinking by 6 per layer, to $10^{-22}$. A healthy forward pass says nothing about the
#   backward one.
# - tanh bends away from the linear-regime factor $n\sigma_W^2$ exactly as the mean-field curve
#   says. Xavier's factor is a little below 1 (tanh compresses, and the signal drifts down
#   slowly). The too-large start does not explode forward at all, because tanh saturates at
#   $\pm1$, but its gradient grows by about 1.5 per layer going back, $10^{5}$ over the depth.
# - Wherever the weights alone set the scale, backward and forward factors agree, as the
#   derivation says for square layers ($n_{\text{in}} = n_{\text{out}}$).

# %% [markdown] slideshow={"slide_type": "subslide"}
# The constant start escapes the variance argument (its weights are not random). Its problem is
# a different one: every unit of a layer gets the same weights, hence the same input, the same
# output and the same gradient, so no update can ever make two units differ. At the very start
# the gradient below the output layer is even zero: the ten logits are equal, so
# $\partial\mathcal{L}/\partial a^{(29)}_j = \sum_k W^{(30)}_{kj}(p_k - y_k) = \tfrac{1}{64}\sum_k (p_k - y_k) = 0$.

# %%
for activation in ("tanh", "relu"):
    model = deep_mlp(N_IN, WIDTH, DEPTH, N_OUT, activation=activation, init=constant_, dtype=F64)
    with torch.no_grad():
        h = model[:-1](X_probe)  # the last hidden layer's activations, 512 x 64
    spread = float((h - h[:, :1]).abs().max())
    delta = float(measured[activation, "constant"].grad_z_var[DEPTH - 2].sqrt())
    print(f"{activation}, constant start: max over the batch of |unit j - unit 1| in layer 29 = {fmt_diff(spread)}; "
          f"std of delta(29) = {fmt_diff(delta)}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Sharpness at initialization
#
# Notebook 00 showed that gradient descent is stable only for $\eta < 2/\lambda_{\max}$, with
# $\lambda_{\max}$ the largest eigenvalue of the Hessian $H$; with heavy-ball momentum $\beta$ the
# limit is $2(1+\beta)/\lambda_{\max}$ (notebook 02). The initialization sets $\lambda_{\max}$ at
# the start. We measure it for the ReLU network under each scheme with `power_iteration` on
# Hessian-vector products (notebook 08), on a batch of 128 images (the batch size of the next
# section) in float64, and compare the
# limits with $\eta = 0.005$, $\beta = 0.9$, the optimizer of the next section. The last column is
# the share of the top eigenvector $v$ (its squared norm) that lies in the lower half of the
# network, layers 1 to 15: how much of the sharpest direction involves the deep layers.

# %%
ETA, BETA = 0.005, 0.9
X_h, y_h = X_train[:128], y_train[:128]
print(f"{'scheme':>16} {'lambda_max':>10} {'2/lambda':>9} {'2(1+b)/lambda':>13} {'eta = 0.005':>11} "
      f"{'v in layers 1-15':>16}")
for name, init in SCHEMES.items():
    model = deep_mlp(N_IN, WIDTH, DEPTH, N_OUT, activation="relu", init=init, dtype=F64)
    params = list(model.parameters())  # W1, b1, W2, b2, ...: layers 1 to 15 are the first 30 tensors
    res = power_iteration(lambda model=model: F.cross_entropy(model(X_h), y_h), params, tol=1e-3, max_iter=300)
    lam, v = float(res.eigenvalues[0]), res.eigenvectors[0]
    lower = sum(p.numel() for p in params[:30])
    share = float((v[:lower] ** 2).sum() / (v**2).sum())
    stable = "stable" if ETA < 2 * (1 + BETA) / lam else "unstable"
    print(f"{name:>16} {lam:10.2g} {2 / lam:9.2g} {2 * (1 + BETA) / lam:13.2g} {stable:>11} {share:16.0%}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice**
# - Every $\lambda_{\max}$ is positive, so the eigenvalue of largest magnitude that power
#   iteration returns is the largest one.
# - The too-large start has $\lambda_{\max}$ near $10^{9}$: no learning rate that can make
#   progress is stable there. Kaiming's curvature allows $\eta$ up to about 0.01 with momentum
#   0.9 (0.005 without), and $\eta = 0.005$ sits at half of that.
# - The vanishing starts (too small, Xavier and the default on ReLU) have tiny curvature, none of
#   it in the lower half of the network: the loss hardly depends on layers whose gradients are
#   $10^{-8}$ to $10^{-20}$ of the top layer's. Their small $\lambda_{\max}$ would allow a huge
#   $\eta$, but it only measures the layers that still feel the loss.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. Training under each initialization
#
# The same network (ReLU, 30 layers), the same optimizer (`torch.optim.SGD`, $\eta = 0.005$,
# momentum $\beta = 0.9$), the same 100 mini-batches of 128 images, in float64; only the start
# differs (PyTorch's default behaves as the other vanishing starts, and is left out to save time).
# `train_deep` records the loss of every mini-batch and the global gradient norm
# $\lVert g_t\rVert$ (all parameters together); its optional `clip` is for section 7. With
# momentum the update is $b_t = \beta b_{t-1} + g_t$, $\theta_t = \theta_{t-1} - \eta\, b_t$.

# %%
STEPS, BATCH = 100, 128


def train_deep(init, *, norm=None, clip=None, steps=STEPS, seed=0):
    """SGD with momentum on the 30-layer ReLU net; returns (model, losses, gradient norms) per step."""
    model = deep_mlp(N_IN, WIDTH, DEPTH, N_OUT, activation="relu", init=init, norm=norm, seed=seed, dtype=F64)
    params = list(model.parameters())
    opt = torch.optim.SGD(params, lr=ETA, momentum=BETA)
    gen = torch.Generator().manual_seed(seed)
    losses, norms = [], []
    for _ in range(steps):
        idx = torch.randint(len(X_train), (BATCH,), generator=gen)
        opt.zero_grad()
        loss = F.cross_entropy(model(X_train[idx]), y_train[idx])
        loss.backward()
        norm_t = clip(params) if clip else torch.nn.utils.get_total_norm([p.grad for p in params])
        opt.step()
        losses.append(float(loss.detach()))
        norms.append(float(norm_t))
        if not math.isfinite(losses[-1]):
            break
    return model, np.array(losses), np.array(norms)


# %% slideshow={"slide_type": "subslide"}
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


runs = {name: train_deep(init) for name, init in SCHEMES.items() if name != "PyTorch default"}
print(f"{'scheme':>16} {'first loss':>10} {'last 10 steps':>13} {'median |g|':>10}  verdict")
for name, (_, losses, norms) in runs.items():
    print(f"{name:>16} {losses[0]:10.2g} {loss_text(losses[-10:].mean()):>13} {np.median(norms):10.2g}  "
          f"{verdict(losses)}")

# %% slideshow={"slide_type": "subslide"}
fig, (ax0, ax1) = new_figure(1, 2, figsize=(9.6, 3.9))
for i, (name, (_, losses, norms)) in enumerate(runs.items()):
    steps = np.arange(1, len(losses) + 1)
    ax0.semilogy(steps, losses, color=PALETTE[i], label=name)
    ax1.semilogy(steps, norms, color=PALETTE[i], label=name)
ax0.axhline(math.log(10), color="gray", ls=":", label="chance, ln 10")
ax0.set(title="Training loss per mini-batch", xlabel="step $t$", ylabel="loss (log scale)")
ax1.set(title=r"Global gradient norm $\|g_t\|$", xlabel="step $t$", ylabel="norm (log scale)")
ax0.legend(loc="upper right", fontsize=7)
fig

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice**
# - Only Kaiming learns: its loss falls from 3.1 to 1.62 in 100 steps (a 30-layer network without
#   normalization trains slowly even from a good start). The vanishing starts (too small, Xavier)
#   sit at the chance loss $\ln 10$, because the gradient reaching the lower layers is $10^{-8}$
#   of what the top layer gets or less; the too-large start begins at a loss of $10^{7}$ and
#   overflows at step 3.
# - The constant start is stuck too, for its own reason: it is a network of width 1, since its 64
#   units per layer are copies of each other. They still are after training:

# %%
constant_net = runs["constant"][0]
hidden = [m.weight.detach() for m in linear_layers(constant_net)[:-1]]
identical = sum(bool(torch.allclose(w, w[:1].expand_as(w), rtol=1e-9, atol=0)) for w in hidden)
print(f"constant start, after {STEPS} steps: {identical} of {len(hidden)} hidden layers still have 64 "
      "identical rows (identical units)")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. Gradient clipping by global norm
#
# Clipping rescales the whole gradient when its norm exceeds a threshold `max_norm`:
#
# $$
# g \leftarrow g\cdot\min\Big(1,\ \frac{\texttt{max\_norm}}{\lVert g\rVert + \epsilon}\Big), \qquad
# \lVert g\rVert = \Big(\sum_{\text{tensors } p}\lVert g_p\rVert^2\Big)^{1/2}, \quad \epsilon = 10^{-6}.
# $$
#
# One norm for all parameters and one coefficient for all: the direction of the step is kept,
# only its length is capped. `clip_grad_norm` below does it in place on every `p.grad`, as
# `torch.nn.utils.clip_grad_norm_` does, and returns the norm before clipping.

# %%
def clip_grad_norm(parameters, max_norm, eps=1e-6):
    """Scale all gradients in place by min(1, max_norm / (||g|| + eps)); return ||g|| (2-norm of all)."""
    grads = [p.grad for p in parameters if p.grad is not None]
    total = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))
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


print("relative differences: max |ours - torch| / max |torch| over all gradients, and between the norms")
for name, max_norm in (("Kaiming", 1.0), ("Kaiming", 100.0), ("too large", 1.0)):
    ours, ref = gradients_of(SCHEMES[name]), gradients_of(SCHEMES[name])
    n_ours = clip_grad_norm(list(ours.parameters()), max_norm)
    n_ref = torch.nn.utils.clip_grad_norm_(ref.parameters(), max_norm)
    g_ours, g_ref = flat_grad(ours), flat_grad(ref)
    print(f"{name:>9}, max_norm {max_norm:5g}: ||g|| = {float(n_ours):.2g}, fires: {bool(n_ours > max_norm)!s:>5}; "
          f"gradients {fmt_diff((g_ours - g_ref).abs().max() / g_ref.abs().max())}, "
          f"norms {fmt_diff((n_ours - n_ref) / n_ref)}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# Does clipping rescue the exploding start? We train again with `max_norm = 5`, a little above the
# gradient norms of the healthy Kaiming run (median printed in section 6), and count how often it
# fires.

# %%
MAX_NORM = 5.0
clipped = {name: train_deep(SCHEMES[name], clip=lambda ps: clip_grad_norm(ps, MAX_NORM))
           for name in ("too large", "Kaiming")}
print(f"{'scheme':>10} {'clipping':>8} {'fires':>10} {'first loss':>10} {'last 10 steps':>13}  verdict")
for name in ("too large", "Kaiming"):
    for label, (_, losses, norms) in (("off", runs[name]), ("on", clipped[name])):
        fires = f"{int((norms > MAX_NORM).sum())}/{len(norms)}" if label == "on" else "-"
        print(f"{name:>10} {label:>8} {fires:>10} {losses[0]:10.2g} {loss_text(losses[-10:].mean()):>13}  "
              f"{verdict(losses)}")

# %% slideshow={"slide_type": "subslide"}
fig, (ax0, ax1) = new_figure(1, 2, figsize=(9.6, 3.7))
for i, name in enumerate(("too large", "Kaiming")):
    for (label, (_, losses, norms)), ls in (((f"{name}, no clipping", runs[name]), ":"),
                                            ((f"{name}, clipped at {MAX_NORM:g}", clipped[name]), "-")):
        steps = np.arange(1, len(losses) + 1)
        ax0.semilogy(steps, losses, ls, color=PALETTE[2 * i + 1], label=label)
        ax1.semilogy(steps, norms, ls, color=PALETTE[2 * i + 1], label=label)
ax1.axhline(MAX_NORM, color="gray", lw=1, label="max_norm")
ax0.set(title="Loss per mini-batch", xlabel="step $t$", ylabel="loss (log scale)")
ax1.set(title=r"$\|g_t\|$ before clipping", xlabel="step $t$", ylabel="norm (log scale)")
ax0.legend(loc="upper right", fontsize=7)
fig

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice**
# - Our clipper equals torch's to rounding, above and below the threshold.
# - On the too-large start clipping fires at every step. It stops the blow-up (no overflow), and
#   the loss falls by more than three orders of magnitude, but after 100 steps it is still above
#   1000, hundreds of times the chance loss: each step moves the weights by at most $\eta\,\texttt{max\_norm}$, while the
#   network would need the weights of every layer shrunk by a factor $\sqrt{2.9} \approx 1.7$.
#   Clipping caps the step; it does not repair the signal propagation.
# - On the Kaiming start it fires in 11 of the 100 steps, where the gradient spikes, and the run
#   learns as before: that is what clipping is for, a safety belt for the occasional spike.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 8. Normalization: BatchNorm makes the depth trainable
#
# Batch normalization (Ioffe & Szegedy 2015) rescales each unit's pre-activation over the batch to
# mean 0 and variance 1 (then applies a learned scale and shift, 1 and 0 at the start):
# $\hat z = (z - \mu_{\mathcal B})/\sqrt{\sigma^2_{\mathcal B} + \epsilon}$. Inserted after every
# hidden linear layer, it resets $q^{(l)}$ to 1 at every layer whatever $\sigma_W$ is: the forward
# factor is 1 by construction. Backwards, the division by $\sigma_{\mathcal B}$ makes the gradient
# of $W^{(l)}$ scale like $1/\sigma_W$ whatever the layer. We measure the weight-gradient norm
# $\lVert\partial\mathcal{L}/\partial W^{(l)}\rVert$ of every layer at initialization, without and
# with BatchNorm.

# %%
norm_runs = ("too small", "too large", "Kaiming")
grad_profile = {}
print(f"{'scheme':>10} {'BatchNorm':>9} {'|dL/dW| layer 1':>15} {'layer 29':>9} {'ratio 1/29':>10}")
for name in norm_runs:
    for norm in (None, "batchnorm"):
        model = deep_mlp(N_IN, WIDTH, DEPTH, N_OUT, activation="relu", init=SCHEMES[name], norm=norm, dtype=F64)
        g = layer_statistics(model, X_probe, y_probe).grad_w_norm
        grad_profile[name, norm] = g
        print(f"{name:>10} {'yes' if norm else 'no':>9} {float(g[0]):15.1e} {float(g[DEPTH - 2]):9.1e} "
              f"{float(g[0] / g[DEPTH - 2]):10.0e}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# And training, with the same optimizer and mini-batches as in section 6. Training with
# BatchNorm turns out to be chaotic here: a change in the last bit of the arithmetic moves the
# loss after 100 steps by about 0.1, so we print only the verdict (the figure shows the curves).

# %%
bn_runs = {name: train_deep(SCHEMES[name], norm="batchnorm") for name in ("too small", "too large")}
print(f"{'scheme':>10} {'BatchNorm':>9} {'first loss':>10}  verdict after {STEPS} steps")
for name in ("too small", "too large"):
    for label, (_, losses, _) in (("no", runs[name]), ("yes", bn_runs[name])):
        print(f"{name:>10} {label:>9} {losses[0]:10.2g}  {verdict(losses)}")

# %% slideshow={"slide_type": "subslide"}
fig, (ax0, ax1) = new_figure(1, 2, figsize=(9.6, 3.7))
for i, name in enumerate(norm_runs):
    for norm, ls in ((None, ":"), ("batchnorm", "-")):
        label = f"{name}, " + ("BatchNorm" if norm else "plain")
        ax0.semilogy(np.arange(1, DEPTH + 1), grad_profile[name, norm].numpy(), ls, marker="o", ms=2.5,
                     color=PALETTE[i], label=label)
for i, name in enumerate(("too small", "too large")):
    losses = bn_runs[name][1]
    ax1.plot(np.arange(1, len(losses) + 1), losses, color=PALETTE[i], label=f"{name}, BatchNorm")
ax1.plot(np.arange(1, STEPS + 1), runs["Kaiming"][1], color=PALETTE[2], ls=":", label="Kaiming, plain")
ax0.set(title=r"$\|\partial\mathcal{L}/\partial W^{(l)}\|$ at initialization", xlabel="layer $l$",
        ylabel="norm (log scale)")
ax1.set(title="Training loss with BatchNorm", xlabel="step $t$", ylabel="loss")
ax0.legend(loc="lower right", fontsize=7, ncol=2)
ax1.legend(loc="upper right", fontsize=8)
fig

# %% [markdown] slideshow={"slide_type": "fragment"}
# **What to notice**
# - Without normalization the weight-gradient norms at layer 29 are $10^{-8}$ (too small) and
#   $10^{7}$ (too large) times Kaiming's. With BatchNorm the three profiles lie on top of each other:
#   the start's scale no longer matters.
# - The profile is not flat, though: with BatchNorm the gradient grows by about 1.2 per layer going
#   back, a factor 70 to 90 from layer 29 to layer 1, for every start. Yang et al. (2019) proved
#   that this mild explosion is caused by batch normalization itself in deep networks without
#   skip connections; it is tamed within the first steps of training.
# - Both starts that failed in section 6 now learn, with the same optimizer. The weights' scale
#   still matters in one way: when $W^{(l)}$ is multiplied by $c$ the output is unchanged and the
#   gradient is divided by $c$, so a layer's effective learning rate is about
#   $\eta/\lVert W^{(l)}\rVert^2$: small weights learn fast, large ones slowly (compare the two
#   curves).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 1: Kaiming initialization for (leaky) ReLU
#
# A leaky ReLU is $\phi(z) = z$ for $z > 0$ and $a z$ for $z \le 0$ (ReLU is $a = 0$). Derive
# $\mathbb{E}[\phi(z)^2]$ for a symmetric $z$ of variance $q$, and from it the weight variance that
# keeps $\operatorname{Var}[z^{(l)}]$ constant in the forward pass. Write
# `my_kaiming_normal_(weight, negative_slope=0.0)` that fills an `nn.Linear` weight (shape
# $(n_{\text{out}}, n_{\text{in}})$) in place with Gaussian draws of that variance. The check
# measures the variance on large weights of two shapes, for $a = 0$ and $a = 0.2$.

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
# $\min(1, \texttt{max\_norm}/(\lVert g\rVert + \epsilon))$, parameters whose `.grad` is `None`
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
z_var = layer_statistics(buggy, X_probe, y_probe).z_var
print(f"forward factor per layer: {sig2(geometric_factor(float(z_var[0]), float(z_var[DEPTH - 2])))}; "
      f"q(29)/q(1) = {float(z_var[DEPTH - 2] / z_var[0]):.0e}")

# %% [markdown]
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
#   $r = n_{\text{in}}\sigma_W^2\,\mathbb{E}[\phi(z)^2]/q$ and that of the gradient by
#   $\chi = n_{\text{out}}\sigma_W^2\,\mathbb{E}[\phi'(z)^2]$: $\tfrac12 n\sigma_W^2$ for ReLU,
#   at most $n\sigma_W^2$ for tanh. Over 29 layers a factor 2 off becomes $2^{\pm29} \approx 10^{\pm9}$.
# - Xavier ($2/(n_{\text{in}}+n_{\text{out}})$) is right for tanh and halves the signal at every
#   ReLU layer; Kaiming ($2/n_{\text{in}}$) is right for ReLU. The measured factors of a
#   30-layer network matched the predictions; PyTorch's default `nn.Linear` has
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
# Two of its ingredients come from here: the residual stream and LayerNorm keep the signal of a
# deep stack at a fixed scale, and gradient clipping by global norm guards every step. The
# sharpness tools of notebooks 08 and 10 measure what warmup does to $\lambda_{\max}$ early in
# training.
