"""The optimizer template of the course and reference optimizers built on it.

`OptimizerBase` is the teaching template: a subclass writes only
`update_param(p, grad, state, group)`, the update of one parameter tensor.
The base class is a real `torch.optim.Optimizer`, so every
`torch.optim.lr_scheduler` class drives it and `state_dict()` round-trips.

Every reference optimizer below reproduces the `torch.optim` class of the same
name (its single-tensor code path) option for option; `tests/test_optim.py`
proves it to 1e-10 in float64.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import Tensor

__all__ = [
    "Interval",
    "OptimizerBase",
    "GD",
    "SGD",
    "Adagrad",
    "RMSProp",
    "Adam",
    "AdamW",
]


@dataclass(frozen=True)
class Interval:
    """An allowed range for a hyperparameter, e.g. ``Interval(0, 1, high_closed=False)`` is [0, 1)."""

    low: float = 0.0
    high: float = math.inf
    low_closed: bool = True
    high_closed: bool = False

    def __contains__(self, x: float) -> bool:
        if isinstance(x, bool) or not isinstance(x, (int, float)) or math.isnan(x):
            return False
        above = x >= self.low if self.low_closed else x > self.low
        below = x <= self.high if self.high_closed else x < self.high
        return above and below

    def __str__(self) -> str:
        left = "[" if self.low_closed else "("
        right = "]" if self.high_closed and math.isfinite(self.high) else ")"
        high = "inf" if math.isinf(self.high) else f"{self.high:g}"
        return f"{left}{self.low:g}, {high}{right}"


NON_NEGATIVE = Interval(0.0, math.inf)
UNIT = Interval(0.0, 1.0, high_closed=False)  # [0, 1)
UNIT_CLOSED = Interval(0.0, 1.0, high_closed=True)  # [0, 1]


class OptimizerBase(torch.optim.Optimizer):
    """Teaching template: subclass it and write only ``update_param``.

    The base class does the bookkeeping that every optimizer shares:

    * ``zero_grad()`` (inherited from ``torch.optim.Optimizer``);
    * the loop over parameter groups and over the parameters that have a gradient;
    * per-parameter state: ``state["step"]`` counts the updates of that parameter
      (t = 1 on the first call), and ``init_state`` creates the rest on first use;
    * validation of every hyperparameter against ``hyperparameters``, a mapping
      from name to `Interval`, raising ``ValueError`` that names the parameter
      and its allowed range.

    Subclasses set ``hyperparameters`` and ``defaults`` (class attributes) and write
    ``update_param(p, grad, state, group)``, which changes ``p`` in place; it is
    called under ``torch.no_grad()``.
    """

    hyperparameters: ClassVar[dict[str, Interval]] = {"lr": NON_NEGATIVE}
    defaults_: ClassVar[dict[str, Any]] = {"lr": 1e-3}

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], **hyperparams: Any) -> None:
        unknown = set(hyperparams) - set(self.defaults_)
        if unknown:
            allowed = ", ".join(sorted(self.defaults_))
            raise TypeError(
                f"{type(self).__name__} got unknown hyperparameter(s) {sorted(unknown)}; "
                f"allowed: {allowed}"
            )
        defaults = {**self.defaults_, **hyperparams}
        self.validate(defaults)
        super().__init__(params, defaults)

    # -- validation --------------------------------------------------------------------------
    def validate(self, group: dict[str, Any]) -> None:
        """Raise ``ValueError`` if a hyperparameter in ``group`` is outside its allowed range."""
        for name, allowed in self.hyperparameters.items():
            if name not in group:
                continue
            value = group[name]
            if isinstance(value, tuple):  # e.g. betas=(beta1, beta2)
                for i, v in enumerate(value):
                    if v not in allowed:
                        raise ValueError(
                            f"{name}[{i}] must be in {allowed}, got {v!r}"
                        )
            elif value not in allowed:
                raise ValueError(f"{name} must be in {allowed}, got {value!r}")
        self.check_options(group)

    def check_options(self, group: dict[str, Any]) -> None:
        """Hook for constraints between hyperparameters (e.g. Nesterov needs momentum)."""

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        super().add_param_group(param_group)
        self.validate(self.param_groups[-1])

    # -- the step ----------------------------------------------------------------------------
    def init_state(self, p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        """Create the per-parameter state (buffers) on the first step. Default: nothing."""

    def update_param(
        self, p: Tensor, grad: Tensor, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        """Update ``p`` in place from its gradient. ``state["step"]`` is t (1 on the first call)."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement update_param(p, grad, state, group)"
        )

    @torch.no_grad()
    def step(self, closure=None):  # type: ignore[override]
        """One optimisation step: ``update_param`` for every parameter that has a gradient."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.grad.is_sparse:
                    raise RuntimeError(f"{type(self).__name__} does not support sparse gradients")
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    self.init_state(p, state, group)
                state["step"] += 1
                self.update_param(p, p.grad, state, group)
        return loss


class GD(OptimizerBase):
    """Plain gradient descent: theta <- theta - eta * g."""

    defaults_ = {"lr": 1e-3}

    def update_param(self, p, grad, state, group):
        p.add_(grad, alpha=-group["lr"])


class SGD(OptimizerBase):
    """SGD with momentum, dampening, Nesterov and L2 weight decay, as ``torch.optim.SGD``.

    g <- g + omega * theta                                  (weight decay)
    b_1 = g;  b_t = beta * b_{t-1} + (1 - dampening) * g   (momentum buffer)
    d = g + beta * b_t  (Nesterov)  or  d = b_t
    theta <- theta - lr * d
    """

    hyperparameters = {
        "lr": NON_NEGATIVE,
        "momentum": NON_NEGATIVE,
        "dampening": UNIT_CLOSED,
        "weight_decay": NON_NEGATIVE,
    }
    defaults_ = {"lr": 1e-3, "momentum": 0.0, "dampening": 0.0, "weight_decay": 0.0, "nesterov": False}

    def check_options(self, group):
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("nesterov=True requires momentum > 0 and dampening = 0")

    def update_param(self, p, grad, state, group):
        lr, beta, wd = group["lr"], group["momentum"], group["weight_decay"]
        if wd != 0:
            grad = grad.add(p, alpha=wd)
        if beta != 0:
            if "momentum_buffer" not in state:
                buf = state["momentum_buffer"] = grad.clone()  # b_1 = g_1: no dampening on the first step
            else:
                buf = state["momentum_buffer"]
                buf.mul_(beta).add_(grad, alpha=1 - group["dampening"])
            grad = grad.add(buf, alpha=beta) if group["nesterov"] else buf
        p.add_(grad, alpha=-lr)


class Adagrad(OptimizerBase):
    """Adagrad, as ``torch.optim.Adagrad``.

    g <- g + lambda * theta
    eta_t = eta / (1 + (t - 1) * lr_decay)
    s_t = s_{t-1} + g^2          (s_0 = initial_accumulator_value)
    theta <- theta - eta_t * g / (sqrt(s_t) + eps)
    """

    hyperparameters = {
        "lr": NON_NEGATIVE,
        "lr_decay": NON_NEGATIVE,
        "weight_decay": NON_NEGATIVE,
        "initial_accumulator_value": NON_NEGATIVE,
        "eps": NON_NEGATIVE,
    }
    defaults_ = {
        "lr": 1e-2,
        "lr_decay": 0.0,
        "weight_decay": 0.0,
        "initial_accumulator_value": 0.0,
        "eps": 1e-10,
    }

    def init_state(self, p, state, group):
        state["sum"] = torch.full_like(p, group["initial_accumulator_value"])

    def update_param(self, p, grad, state, group):
        t, s = state["step"], state["sum"]
        if group["weight_decay"] != 0:
            grad = grad.add(p, alpha=group["weight_decay"])
        lr_t = group["lr"] / (1 + (t - 1) * group["lr_decay"])
        s.addcmul_(grad, grad)
        std = s.sqrt().add_(group["eps"])
        p.addcdiv_(grad, std, value=-lr_t)


class RMSProp(OptimizerBase):
    """RMSProp, as ``torch.optim.RMSprop`` (eps outside the square root, no bias correction).

    g <- g + lambda * theta
    v_t = alpha * v_{t-1} + (1 - alpha) * g^2
    centered:  gbar_t = alpha * gbar_{t-1} + (1 - alpha) * g;  denom = sqrt(v_t - gbar_t^2) + eps
    otherwise: denom = sqrt(v_t) + eps
    momentum:  b_t = mu * b_{t-1} + g / denom;  theta <- theta - eta * b_t
    otherwise: theta <- theta - eta * g / denom
    """

    hyperparameters = {
        "lr": NON_NEGATIVE,
        "alpha": UNIT_CLOSED,
        "eps": NON_NEGATIVE,
        "weight_decay": NON_NEGATIVE,
        "momentum": NON_NEGATIVE,
    }
    defaults_ = {
        "lr": 1e-2,
        "alpha": 0.99,
        "eps": 1e-8,
        "weight_decay": 0.0,
        "momentum": 0.0,
        "centered": False,
    }

    def init_state(self, p, state, group):
        state["square_avg"] = torch.zeros_like(p)
        if group["centered"]:
            state["grad_avg"] = torch.zeros_like(p)
        if group["momentum"] > 0:
            state["momentum_buffer"] = torch.zeros_like(p)

    def update_param(self, p, grad, state, group):
        alpha, eps, v = group["alpha"], group["eps"], state["square_avg"]
        if group["weight_decay"] != 0:
            grad = grad.add(p, alpha=group["weight_decay"])
        v.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
        if group["centered"]:
            gbar = state["grad_avg"]
            gbar.lerp_(grad, 1 - alpha)  # gbar = alpha * gbar + (1 - alpha) * g
            denom = v.addcmul(gbar, gbar, value=-1).sqrt_().add_(eps)
        else:
            denom = v.sqrt().add_(eps)
        if group["momentum"] > 0:
            buf = state["momentum_buffer"]
            buf.mul_(group["momentum"]).addcdiv_(grad, denom)
            p.add_(buf, alpha=-group["lr"])
        else:
            p.addcdiv_(grad, denom, value=-group["lr"])


class Adam(OptimizerBase):
    """Adam, as ``torch.optim.Adam`` (L2 weight decay added to the gradient).

    g <- g + lambda * theta
    m_t = beta1 * m_{t-1} + (1 - beta1) * g
    v_t = beta2 * v_{t-1} + (1 - beta2) * g^2
    vmax_t = max(vmax_{t-1}, v_t)                    (amsgrad only; used in place of v_t)
    theta <- theta - eta / (1 - beta1^t) * m_t / (sqrt(v_t) / sqrt(1 - beta2^t) + eps)
    """

    hyperparameters = {
        "lr": NON_NEGATIVE,
        "betas": UNIT,
        "eps": NON_NEGATIVE,
        "weight_decay": NON_NEGATIVE,
    }
    defaults_ = {
        "lr": 1e-3,
        "betas": (0.9, 0.999),
        "eps": 1e-8,
        "weight_decay": 0.0,
        "amsgrad": False,
    }
    decoupled_weight_decay: ClassVar[bool] = False

    def check_options(self, group):
        if not (isinstance(group["betas"], tuple) and len(group["betas"]) == 2):
            raise ValueError(f"betas must be a pair (beta1, beta2), got {group['betas']!r}")

    def __init__(self, params, **hyperparams):
        if "betas" in hyperparams:
            hyperparams["betas"] = tuple(hyperparams["betas"])
        super().__init__(params, **hyperparams)

    def init_state(self, p, state, group):
        state["exp_avg"] = torch.zeros_like(p)
        state["exp_avg_sq"] = torch.zeros_like(p)
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = torch.zeros_like(p)

    def update_param(self, p, grad, state, group):
        lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        t, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
        if wd != 0:
            if self.decoupled_weight_decay:
                p.mul_(1 - lr * wd)  # AdamW: shrink theta directly, before the Adam step
            else:
                grad = grad.add(p, alpha=wd)  # Adam: L2 penalty folded into the gradient
        m.lerp_(grad, 1 - beta1)  # m = beta1 * m + (1 - beta1) * g
        v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        if group["amsgrad"]:
            torch.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]
        bias_correction1 = 1 - beta1**t
        bias_correction2 = 1 - beta2**t
        denom = (v.sqrt() / math.sqrt(bias_correction2)).add_(eps)
        p.addcdiv_(m, denom, value=-lr / bias_correction1)


class AdamW(Adam):
    """AdamW, as ``torch.optim.AdamW``: decoupled weight decay theta <- theta * (1 - eta * lambda),
    applied before the Adam step and never seen by m or v."""

    defaults_ = {**Adam.defaults_, "weight_decay": 1e-2}
    decoupled_weight_decay = True
