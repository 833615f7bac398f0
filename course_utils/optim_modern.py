"""The optimizers of notebook 09, on the course template: NAdam, RAdam, Adafactor and Muon as in
``torch.optim`` (torch 2.13, single-tensor code path), Lion as in ``lion_pytorch.Lion`` (0.2.5) and
schedule-free AdamW as in ``schedulefree.AdamWScheduleFree`` (1.4.1), with their signatures,
defaults and hyperparameter ranges. `tests/test_optim_modern.py` proves each equal to its
reference to 1e-10 in float64, option for option (Muon bit for bit: its Newton-Schulz iteration
runs in bfloat16 exactly as torch's does).

Each class carries class-level knobs (``ClassVar``) whose defaults are the reference's rule; a
known mistake is the same class with one knob turned, registered in ``course_utils/checks/modern_mistakes.py``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, ClassVar

import torch
from torch import Tensor

from .optim import NON_NEGATIVE, UNIT, UNIT_CLOSED, Interval, OptimizerBase

__all__ = [
    "NAdam",
    "RAdam",
    "Adafactor",
    "Muon",
    "Lion",
    "ScheduleFreeAdamW",
    "newton_schulz",
    "MUON_COEFFICIENTS",
]

POSITIVE = Interval(0.0, math.inf, low_closed=False)
MUON_COEFFICIENTS = (3.4445, -4.7750, 2.0315)  # Keller Jordan's quintic, torch's default


def _scalar_dtype() -> torch.dtype:
    """The dtype torch keeps scalar optimizer state in (``torch.optim.optimizer._get_scalar_dtype``)."""
    return torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32


def _check_pair(name: str, value: Any) -> None:
    if not (isinstance(value, tuple) and len(value) == 2):
        raise ValueError(f"{name} must be a pair, got {value!r}")


class _Unsupported:
    """Mixin: options of the torch signature that only change how torch computes, not what."""

    only_false: ClassVar[tuple[str, ...]] = ("capturable", "differentiable")

    def check_options(self, group: dict[str, Any]) -> None:
        for name in self.only_false:
            if group.get(name):
                raise ValueError(f"{name}=True is not supported by the course's {type(self).__name__}")


# --------------------------------------------------------------------------------------------
# NAdam
# --------------------------------------------------------------------------------------------
class NAdam(_Unsupported, OptimizerBase):
    """NAdam, as ``torch.optim.NAdam`` (Dozat 2016, with Dozat's momentum schedule):

    mu_t = beta1 (1 - 0.5 * 0.96^(t psi))                     (psi = momentum_decay)
    m_t = beta1 m_{t-1} + (1 - beta1) g;  v_t = beta2 v_{t-1} + (1 - beta2) g^2
    theta <- theta - eta [(1 - mu_t) g / (1 - prod_{i<=t} mu_i) + mu_{t+1} m_t / (1 - prod_{i<=t+1} mu_i)]
                       / (sqrt(v_t / (1 - beta2^t)) + eps)
    The running product is kept, as torch keeps it, in a scalar tensor of torch's scalar dtype
    (float32 unless the default dtype is float64).
    """

    hyperparameters = {"lr": NON_NEGATIVE, "betas": UNIT, "eps": NON_NEGATIVE, "weight_decay": NON_NEGATIVE,
                       "momentum_decay": NON_NEGATIVE}
    defaults_ = {"lr": 2e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "momentum_decay": 4e-3,
                 "decoupled_weight_decay": False, "foreach": None, "maximize": False, "capturable": False,
                 "differentiable": False}
    mu_product_rule: ClassVar[str] = "torch"  # "torch": 1 - prod_{i<=t+1} in the momentum term | "no_next": prod_{i<=t}
    momentum_schedule: ClassVar[str] = "torch"  # "torch": the warming schedule mu_t | "constant": mu_t = beta1
    look_ahead: ClassVar[str] = "torch"  # "torch": m_t weighted by mu_{t+1} | "current": by mu_t
    decay_rule: ClassVar[str] = "torch"  # "torch" | "always_l2" (decoupled_weight_decay ignored)

    def __init__(self, params: Iterable[Any], lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False) -> None:
        super().__init__(params, lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                         momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
                         foreach=foreach, maximize=maximize, capturable=capturable, differentiable=differentiable)

    def check_options(self, group):
        _check_pair("betas", group["betas"])
        super().check_options(group)

    def momentum(self, t: int, beta1: float, psi: float) -> float:
        """mu_t = beta1 (1 - 0.5 * 0.96^(t psi))."""
        if self.momentum_schedule == "constant":
            return beta1
        return beta1 * (1.0 - 0.5 * (0.96 ** (t * psi)))

    def init_state(self, p, state, group):
        state["mu_product"] = torch.tensor(1.0, dtype=_scalar_dtype())
        state["exp_avg"] = torch.zeros_like(p)
        state["exp_avg_sq"] = torch.zeros_like(p)

    def update_param(self, p, grad, state, group):
        lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        t, m, v, mu_product = state["step"], state["exp_avg"], state["exp_avg_sq"], state["mu_product"]
        if group["maximize"]:
            grad = -grad
        if wd != 0:
            if group["decoupled_weight_decay"] and self.decay_rule == "torch":
                p.mul_(1 - lr * wd)
            else:
                grad = grad.add(p, alpha=wd)
        mu = self.momentum(t, beta1, group["momentum_decay"])
        mu_next = self.momentum(t + 1, beta1, group["momentum_decay"]) if self.look_ahead == "torch" else mu
        mu_product *= mu
        m.lerp_(grad, 1 - beta1)
        v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        denom = v.div(1 - beta2**t).sqrt().add_(eps)
        p.addcdiv_(grad, denom, value=-lr * (1.0 - mu) / (1.0 - mu_product.item()))
        prod_next = mu_product.item() * (mu_next if self.mu_product_rule == "torch" else 1.0)
        p.addcdiv_(m, denom, value=(-lr * mu_next) / (1.0 - prod_next))


# --------------------------------------------------------------------------------------------
# RAdam
# --------------------------------------------------------------------------------------------
class RAdam(_Unsupported, OptimizerBase):
    """RAdam, as ``torch.optim.RAdam`` (Liu et al. 2020):

    m_t, v_t as Adam's;  rho_inf = 2 / (1 - beta2) - 1;  rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
    rho_t > 5: theta <- theta - eta m_hat_t * sqrt(1 - beta2^t) / (sqrt(v_t) + eps) * phi_t,
               phi_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
    otherwise: theta <- theta - eta m_hat_t                   (the paper's threshold is 4, torch's 5)
    """

    hyperparameters = {"lr": NON_NEGATIVE, "betas": UNIT, "eps": NON_NEGATIVE, "weight_decay": NON_NEGATIVE}
    defaults_ = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0,
                 "decoupled_weight_decay": False, "foreach": None, "maximize": False, "capturable": False,
                 "differentiable": False}
    rho_threshold: ClassVar[float] = 5.0  # the paper writes 4
    rectify: ClassVar[bool] = True  # False: phi_t = 1 (plain Adam once rho_t > threshold)
    correct_m_early: ClassVar[bool] = True  # the early (un-adapted) step uses m_hat_t, not m_t
    rho_factor: ClassVar[float] = 2.0  # rho_t = rho_inf - rho_factor * t beta2^t / (1 - beta2^t)

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        super().__init__(params, lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                         decoupled_weight_decay=decoupled_weight_decay, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable)

    def check_options(self, group):
        _check_pair("betas", group["betas"])
        super().check_options(group)

    def init_state(self, p, state, group):
        state["exp_avg"] = torch.zeros_like(p)
        state["exp_avg_sq"] = torch.zeros_like(p)

    def rho(self, t: int, beta2: float) -> tuple[float, float]:
        """(rho_t, rho_inf): the length of the simple moving average that Adam's EWMA of g^2 resembles."""
        rho_inf = 2 / (1 - beta2) - 1
        return rho_inf - self.rho_factor * t * (beta2**t) / (1 - beta2**t), rho_inf

    def update_param(self, p, grad, state, group):
        lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        t, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
        if group["maximize"]:
            grad = -grad
        if wd != 0:
            if group["decoupled_weight_decay"]:
                p.mul_(1 - lr * wd)
            else:
                grad = grad.add(p, alpha=wd)
        m.lerp_(grad, 1 - beta1)
        v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        bias_correction1, bias_correction2 = 1 - beta1**t, 1 - beta2**t
        m_hat = m / bias_correction1
        rho_t, rho_inf = self.rho(t, beta2)
        if rho_t > self.rho_threshold:
            rect = 1.0
            if self.rectify:
                rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            adaptive_lr = (bias_correction2**0.5) / v.sqrt().add_(eps)
            p.add_(m_hat * lr * adaptive_lr * rect, alpha=-1.0)
        else:
            p.add_((m_hat if self.correct_m_early else m) * lr, alpha=-1.0)


# --------------------------------------------------------------------------------------------
# Adafactor
# --------------------------------------------------------------------------------------------
class Adafactor(OptimizerBase):
    """Adafactor, as ``torch.optim.Adafactor`` (Shazeer & Stern 2018, with torch's lr and eps1):

    beta2_hat_t = 1 - t^beta2_decay;  rho_t = min(lr, 1 / sqrt(t));  alpha_t = max(eps2, RMS(theta)) rho_t
    theta <- theta (1 - lr * weight_decay)
    matrix G (n x m, the last two dims): R_t = beta2_hat R + (1 - beta2_hat) mean_cols(G^2) (n numbers),
        C_t = beta2_hat C + (1 - beta2_hat) mean_rows(G^2) (m numbers),  V_t = R_t C_t / max(mean(R_t), eps1)
    vector: V_t = beta2_hat V + (1 - beta2_hat) G^2
    U = G / max(sqrt(V_t), eps1);  U_hat = U / max(1, RMS(U) / d);  theta <- theta - alpha_t U_hat
    eps1 = None means the machine epsilon of the parameter's dtype.
    """

    hyperparameters = {"lr": NON_NEGATIVE, "beta2_decay": Interval(-math.inf, 0.0, high_closed=True),
                       "d": Interval(1.0, math.inf), "weight_decay": NON_NEGATIVE}
    defaults_ = {"lr": 1e-2, "beta2_decay": -0.8, "eps": (None, 1e-3), "d": 1.0, "weight_decay": 0.0,
                 "foreach": None, "maximize": False}
    factor_axes: ClassVar[str] = "torch"  # "torch" | "transposed" (row factor averaged over rows)
    clip_update: ClassVar[bool] = True  # False: no update clipping by RMS(U) / d
    relative_step: ClassVar[bool] = True  # False: alpha_t = rho_t, not scaled by RMS(theta)
    beta2_rule: ClassVar[str] = "torch"  # "torch": 1 - beta2_hat = t^beta2_decay | "swapped": beta2_hat = t^decay
    rms_after_decay: ClassVar[bool] = False  # True: RMS(theta) measured after the weight decay

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, beta2_decay: float = -0.8,
                 eps: tuple[float | None, float] = (None, 1e-3), d: float = 1.0, weight_decay: float = 0.0, *,
                 foreach: bool | None = None, maximize: bool = False) -> None:
        super().__init__(params, lr=lr, beta2_decay=beta2_decay, eps=tuple(eps), d=d, weight_decay=weight_decay,
                         foreach=foreach, maximize=maximize)

    def check_options(self, group):
        eps = group["eps"]
        _check_pair("eps", eps)
        if eps[0] is not None and eps[0] not in NON_NEGATIVE:
            raise ValueError(f"eps[0] must be None or in {NON_NEGATIVE}, got {eps[0]!r}")
        if eps[1] not in NON_NEGATIVE:
            raise ValueError(f"eps[1] must be in {NON_NEGATIVE}, got {eps[1]!r}")

    def init_state(self, p, state, group):
        if p.dim() > 1:
            state["row_var"] = p.new_zeros((*p.shape[:-1], 1))  # one number per row: n
            state["col_var"] = p.new_zeros((*p.shape[:-2], 1, p.shape[-1]))  # one per column: m
        else:
            state["variance"] = torch.zeros_like(p)

    def update_param(self, p, grad, state, group):
        lr, wd, d = group["lr"], group["weight_decay"], group["d"]
        eps1, eps2 = group["eps"]
        if eps1 is None:
            eps1 = torch.finfo(p.dtype).eps
        if group["maximize"]:
            grad = -grad
        t = float(state["step"])
        one_minus_beta2_t = t ** group["beta2_decay"]
        if self.beta2_rule == "swapped":
            one_minus_beta2_t = 1 - one_minus_beta2_t
        rho_t = min(lr, 1 / (t**0.5))
        if wd != 0 and self.rms_after_decay:
            p.mul_(1 - lr * wd)
        rms = p.norm(2).item() / (p.numel() ** 0.5)
        alpha = (max(eps2, rms) if self.relative_step else 1.0) * rho_t
        if wd != 0 and not self.rms_after_decay:
            p.mul_(1 - lr * wd)
        if grad.dim() > 1:
            row_var, col_var = state["row_var"], state["col_var"]
            rows, cols = (-1, -2) if self.factor_axes == "torch" else (-2, -1)
            row_var.lerp_(torch.norm(grad, dim=rows, keepdim=True).square_().div_(grad.size(rows))
                          .reshape(row_var.shape), one_minus_beta2_t)  # mean of g^2 over each row
            col_var.lerp_(torch.norm(grad, dim=cols, keepdim=True).square_().div_(grad.size(cols))
                          .reshape(col_var.shape), one_minus_beta2_t)  # mean of g^2 over each column
            var_estimate = row_var @ col_var
            var_estimate.div_(row_var.mean(dim=-2, keepdim=True).clamp_(min=eps1))
        else:
            state["variance"].lerp_(grad * grad, one_minus_beta2_t)
            var_estimate = state["variance"].clone()
        update = var_estimate.clamp_(min=eps1 * eps1).rsqrt_()
        update.mul_(grad)
        denom = max(1.0, update.norm(2).item() / ((update.numel() ** 0.5) * d)) if self.clip_update else 1.0
        p.add_(update, alpha=-alpha / denom)


# --------------------------------------------------------------------------------------------
# Muon
# --------------------------------------------------------------------------------------------
def newton_schulz(
    G: Tensor, coefficients: tuple[float, float, float] = MUON_COEFFICIENTS, steps: int = 5, eps: float = 1e-7, *,
    dtype: torch.dtype = torch.bfloat16, transpose_tall: bool = True, normalize: str = "clamp",
) -> Tensor:
    """Approximate orthogonal polar factor of a matrix, as torch's Muon computes it (in ``dtype``).

    X_0 = G / max(||G||_F, eps);  X_k = a X + b (X X^T) X + c (X X^T)^2 X;  a tall G is transposed
    first so that X X^T is the small Gram matrix. ``normalize``: "clamp" (torch), "add" (divide by
    ||G||_F + eps, Keller Jordan's code) or "none". The result has ``dtype``. Like torch's, it divides
    in place, so a ``G`` that already has ``dtype`` is normalized too.
    """
    a, b, c = coefficients
    X = G.to(dtype)
    tall = G.size(0) > G.size(1) and transpose_tall
    if tall:
        X = X.T
    if normalize == "clamp":
        X.div_(X.norm().clamp(min=eps))
    elif normalize == "add":
        X = X / (X.norm() + eps)
    for _ in range(steps):
        A = X @ X.T
        B = torch.addmm(A, A, A, beta=b, alpha=c)  # b A + c A^2
        X = torch.addmm(X, B, X, beta=a)  # a X + B X
    return X.T if tall else X


class Muon(OptimizerBase):
    """Muon, as ``torch.optim.Muon`` (Jordan et al. 2024), for 2-D parameters only:

    B_t = mu B_{t-1} + (1 - mu) g  (torch's EMA form);  nesterov: D_t = (1 - mu) g + mu B_t, else D_t = B_t
    O_t = newton_schulz(D_t) (in bfloat16);  theta <- theta (1 - eta lambda) - eta' O_t,
    eta' = eta sqrt(max(1, rows / cols)) ("original") or 0.2 eta sqrt(max(rows, cols)) ("match_rms_adamw")
    """

    hyperparameters = {"lr": NON_NEGATIVE, "weight_decay": NON_NEGATIVE, "momentum": NON_NEGATIVE,
                       "eps": NON_NEGATIVE}
    defaults_ = {"lr": 1e-3, "weight_decay": 0.1, "momentum": 0.95, "nesterov": True,
                 "ns_coefficients": MUON_COEFFICIENTS, "eps": 1e-7, "ns_steps": 5, "adjust_lr_fn": None}
    refuse_non_2d: ClassVar[bool] = True
    transpose_tall: ClassVar[bool] = True
    normalize: ClassVar[str] = "clamp"  # "clamp" | "add" | "none"
    ns_dtype: ClassVar[torch.dtype] = torch.bfloat16
    ns_steps_offset: ClassVar[int] = 0
    coefficient_order: ClassVar[tuple[int, int, int]] = (0, 1, 2)  # (0, 2, 1): b and c swapped
    nesterov_rule: ClassVar[str] = "torch"  # "torch" | "ignored" | "sgd" (g + mu B_t)
    adjust_lr: ClassVar[bool] = True  # False: the shape factor is left out
    decay_with_adjusted_lr: ClassVar[bool] = False

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, weight_decay: float = 0.1, momentum: float = 0.95,
                 nesterov: bool = True, ns_coefficients: tuple[float, float, float] = MUON_COEFFICIENTS,
                 eps: float = 1e-7, ns_steps: int = 5, adjust_lr_fn: str | None = None) -> None:
        super().__init__(params, lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov,
                         ns_coefficients=tuple(ns_coefficients), eps=eps, ns_steps=ns_steps,
                         adjust_lr_fn=adjust_lr_fn)

    def check_options(self, group):
        if group["adjust_lr_fn"] not in (None, "original", "match_rms_adamw"):
            raise ValueError(f"adjust_lr_fn must be None, 'original' or 'match_rms_adamw', got {group['adjust_lr_fn']!r}")
        steps = group["ns_steps"]
        if isinstance(steps, bool) or not isinstance(steps, int) or not 0 <= steps < 100:
            raise ValueError(f"ns_steps must be an integer in [0, 100), got {steps!r}")
        if not (isinstance(group["ns_coefficients"], tuple) and len(group["ns_coefficients"]) == 3):
            raise ValueError(f"ns_coefficients must be three numbers (a, b, c), got {group['ns_coefficients']!r}")
        if self.refuse_non_2d:
            for p in group.get("params", []):
                if p.ndim != 2:
                    raise ValueError("Muon only supports 2-D parameters (weight matrices); got a parameter of "
                                     f"size {tuple(p.shape)}: put biases, norms and embeddings on AdamW")

    def adjusted_lr(self, lr: float, fn: str | None, shape: torch.Size) -> float:
        """eta' = eta sqrt(max(1, A / B)) ("original", the default) or 0.2 eta sqrt(max(A, B))."""
        A, B = shape[:2]
        if not self.adjust_lr:
            return lr
        ratio = math.sqrt(max(1, A / B)) if fn is None or fn == "original" else 0.2 * math.sqrt(max(A, B))
        return lr * ratio

    def init_state(self, p, state, group):
        state["momentum_buffer"] = torch.zeros_like(p)

    def update_param(self, p, grad, state, group):
        lr, wd, mu = group["lr"], group["weight_decay"], group["momentum"]
        if grad.ndim != 2 and self.refuse_non_2d:
            raise ValueError("Muon's gradient must be a 2-D matrix")
        if grad.ndim < 2:
            grad = grad.reshape(1, -1)
        buf = state["momentum_buffer"].view_as(grad)
        buf.lerp_(grad, 1 - mu)  # B_t = mu B_{t-1} + (1 - mu) g
        if group["nesterov"] and self.nesterov_rule == "torch":
            update = grad.lerp(buf, mu)  # (1 - mu) g + mu B_t
        elif group["nesterov"] and self.nesterov_rule == "sgd":
            update = grad.add(buf, alpha=mu)
        else:
            update = buf
        coefficients = tuple(group["ns_coefficients"][i] for i in self.coefficient_order)
        update = newton_schulz(update, coefficients, group["ns_steps"] + self.ns_steps_offset, group["eps"],
                               dtype=self.ns_dtype, transpose_tall=self.transpose_tall, normalize=self.normalize)
        adjusted = self.adjusted_lr(lr, group["adjust_lr_fn"], grad.shape)
        p.mul_(1 - (adjusted if self.decay_with_adjusted_lr else lr) * wd)
        p.add_(update.view_as(p), alpha=-adjusted)


# --------------------------------------------------------------------------------------------
# Lion
# --------------------------------------------------------------------------------------------
class Lion(OptimizerBase):
    """Lion, as ``lion_pytorch.Lion`` (Chen et al. 2023, Algorithm 2):

    theta <- theta (1 - eta lambda)          (decoupled_weight_decay: lambda / eta_0, eta_0 the constructor's lr)
    c_t = beta1 m_{t-1} + (1 - beta1) g;  theta <- theta - eta sign(c_t)
    m_t = beta2 m_{t-1} + (1 - beta2) g
    """

    hyperparameters = {"lr": POSITIVE, "betas": UNIT_CLOSED, "weight_decay": NON_NEGATIVE}
    defaults_ = {"lr": 1e-4, "betas": (0.9, 0.99), "weight_decay": 0.0, "use_triton": False,
                 "decoupled_weight_decay": False}
    momentum_first: ClassVar[bool] = False  # True: m_t updated before c_t is formed (c uses m_t)
    betas_swapped: ClassVar[bool] = False
    decay_rule: ClassVar[str] = "lr"  # "lr": theta (1 - eta lambda) | "no_lr": theta (1 - lambda)
    use_sign: ClassVar[bool] = True

    def __init__(self, params: Iterable[Any], lr: float = 1e-4, betas: tuple[float, float] = (0.9, 0.99),
                 weight_decay: float = 0.0, use_triton: bool = False, decoupled_weight_decay: bool = False) -> None:
        self._init_lr = lr
        super().__init__(params, lr=lr, betas=tuple(betas), weight_decay=weight_decay, use_triton=use_triton,
                         decoupled_weight_decay=decoupled_weight_decay)

    def check_options(self, group):
        _check_pair("betas", group["betas"])
        if group["use_triton"]:
            raise ValueError("use_triton=True is not supported: the course's Lion is the plain PyTorch update")

    def init_state(self, p, state, group):
        state["exp_avg"] = torch.zeros_like(p)

    def update_param(self, p, grad, state, group):
        lr, wd, m = group["lr"], group["weight_decay"], state["exp_avg"]
        beta1, beta2 = group["betas"][::-1] if self.betas_swapped else group["betas"]
        if group["decoupled_weight_decay"]:
            wd /= self._init_lr
        p.mul_(1.0 - (lr if self.decay_rule == "lr" else 1.0) * wd)
        if self.momentum_first:
            m.mul_(beta2).add_(grad, alpha=1.0 - beta2)
        update = m.clone().mul_(beta1).add(grad, alpha=1.0 - beta1)  # c_t
        p.add_(update.sgn_() if self.use_sign else update, alpha=-lr)
        if not self.momentum_first:
            m.mul_(beta2).add_(grad, alpha=1.0 - beta2)


# --------------------------------------------------------------------------------------------
# Schedule-free AdamW
# --------------------------------------------------------------------------------------------
class ScheduleFreeAdamW(OptimizerBase):
    """Schedule-free AdamW, as ``schedulefree.AdamWScheduleFree`` (Defazio et al. 2024).

    The parameters hold y in train mode and x in eval mode; z is in the state, x is never stored:
    y_t = (1 - beta1) z_t + beta1 x_t (the gradient is taken here), with k = t - 1 the group's counter,
    eta_t = eta min(1, t / warmup_steps),  c_{t+1} = w_t / sum_{i<=t} w_i,  w_t = t^r (max_{i<=t} eta_i)^p
    d_t = g / (sqrt(v_t / (1 - beta2^t)) + eps) + lambda y_t       (v_t as Adam's)
    z_{t+1} = z_t - eta_t d_t;  x_{t+1} = (1 - c_{t+1}) x_t + c_{t+1} z_{t+1}
    ``train()`` sets the parameters to y, ``eval()`` to x; ``step()`` needs train mode.
    """

    hyperparameters = {"lr": NON_NEGATIVE, "eps": NON_NEGATIVE, "weight_decay": NON_NEGATIVE,
                       "r": NON_NEGATIVE, "weight_lr_power": NON_NEGATIVE}
    defaults_ = {"lr": 0.0025, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "warmup_steps": 0,
                 "r": 0.0, "weight_lr_power": 2.0, "foreach": True}
    internal_: ClassVar[dict[str, Any]] = {"k": 0, "train_mode": False, "weight_sum": 0.0, "lr_max": -1.0,
                                           "scheduled_lr": 0.0}
    eval_switch: ClassVar[bool] = True  # False: eval() leaves the parameters at y
    average_rule: ClassVar[str] = "lr_power"  # "lr_power": w_t = t^r lr_max^p | "uniform": c_{t+1} = 1 / t
    decay_at: ClassVar[str] = "y"  # "y" | "z"
    interpolation_swapped: ClassVar[bool] = False  # True: y = beta1 z + (1 - beta1) x
    bias_correction: ClassVar[bool] = True

    def __init__(self, params: Iterable[Any], lr: float = 0.0025, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, warmup_steps: int = 0, r: float = 0.0,
                 weight_lr_power: float = 2.0, foreach: bool | None = True) -> None:
        self._ckp1: dict[int, float] = {}
        super().__init__(params, lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                         warmup_steps=warmup_steps, r=r, weight_lr_power=weight_lr_power, foreach=foreach)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        for key, value in self.internal_.items():
            param_group.setdefault(key, value)
        super().add_param_group(param_group)

    def check_options(self, group):
        _check_pair("betas", group["betas"])
        beta1, beta2 = group["betas"]
        if beta1 not in Interval(0.0, 1.0, low_closed=False):
            raise ValueError(f"betas[0] must be in (0, 1), got {beta1!r} (eval() divides by beta1)")
        if beta2 not in UNIT:
            raise ValueError(f"betas[1] must be in {UNIT}, got {beta2!r}")
        w = group["warmup_steps"]
        if isinstance(w, bool) or not isinstance(w, int) or w < 0:
            raise ValueError(f"warmup_steps must be an integer in [0, inf), got {w!r}")

    def _weight(self, beta1: float) -> float:
        """w in y = (1 - w) z + w x: beta1."""
        return 1 - beta1 if self.interpolation_swapped else beta1

    @torch.no_grad()
    def eval(self) -> None:
        """Set the parameters to the average x = (y - (1 - beta1) z) / beta1 (for evaluation, saving)."""
        for group in self.param_groups:
            if group["train_mode"]:
                w = self._weight(group["betas"][0])
                for p in group["params"]:
                    if "z" in self.state[p] and self.eval_switch:
                        p.lerp_(end=self.state[p]["z"], weight=1 - 1 / w)
                group["train_mode"] = False

    @torch.no_grad()
    def train(self) -> None:
        """Set the parameters to y = (1 - beta1) z + beta1 x, where the gradient is taken."""
        for group in self.param_groups:
            if not group["train_mode"]:
                w = self._weight(group["betas"][0])
                for p in group["params"]:
                    if "z" in self.state[p]:
                        p.lerp_(end=self.state[p]["z"], weight=1 - w)
                group["train_mode"] = True

    @torch.no_grad()
    def step(self, closure=None):  # type: ignore[override]
        if not self.param_groups[0]["train_mode"]:
            raise RuntimeError("ScheduleFreeAdamW is not in train mode: call optimizer.train() before "
                               "training and optimizer.eval() before evaluating")
        self._ckp1.clear()
        for group in self.param_groups:  # the group's scalars for this step (k = t - 1)
            k, warmup = group["k"], group["warmup_steps"]
            lr = group["lr"] * ((k + 1) / warmup if k < warmup else 1.0)
            group["scheduled_lr"] = lr
            lr_max = group["lr_max"] = max(lr, group["lr_max"])
            weight = ((k + 1) ** group["r"]) * (lr_max ** group["weight_lr_power"])
            weight_sum = group["weight_sum"] = group["weight_sum"] + weight
            try:
                ckp1 = weight / weight_sum
            except ZeroDivisionError:
                ckp1 = 0
            self._ckp1[id(group)] = 1 / (k + 1) if self.average_rule == "uniform" else ckp1
        loss = super().step(closure)
        for group in self.param_groups:
            group["k"] += 1
        return loss

    def init_state(self, p, state, group):
        state["z"] = p.detach().clone()
        state["exp_avg_sq"] = torch.zeros_like(p)

    def update_param(self, p, grad, state, group):
        beta1, beta2 = group["betas"]
        lr, ckp1, w = group["scheduled_lr"], self._ckp1[id(group)], self._weight(beta1)
        z, v = state["z"], state["exp_avg_sq"]
        v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        bias_correction2 = 1 - beta2 ** (group["k"] + 1) if self.bias_correction else 1.0
        d = grad.div(v.div(bias_correction2).sqrt_().add_(group["eps"]))  # the normalised gradient
        if group["weight_decay"] != 0:
            d.add_(p if self.decay_at == "y" else z, alpha=group["weight_decay"])
        p.lerp_(end=z, weight=ckp1)  # y_{t+1} from y_t and z_t without storing x
        p.add_(d, alpha=lr * (w * (1 - ckp1) - 1))
        z.sub_(d, alpha=lr)
