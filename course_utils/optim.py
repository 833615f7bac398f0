"""The optimizer template of the course and reference optimizers built on it.

`OptimizerBase` is the teaching template: a subclass writes only
`update_param(p, grad, state, group)`, the update of one parameter tensor.
The base class is a real `torch.optim.Optimizer`, so every
`torch.optim.lr_scheduler` class drives it and `state_dict()` round-trips.

Every reference optimizer below reproduces the `torch.optim` class of the same
name (its single-tensor code path) option for option; `tests/test_optim.py`
proves it to 1e-10 in float64.

**Knobs.** Each reference class also carries a few class attributes, its *knobs*
(``ClassVar``; the ``Literal`` annotation lists the values a knob takes). The
defaults are torch's rule; every other value is a known mistake, e.g.
``Adam.eps_rule = "inside_sqrt"`` divides by sqrt(v_hat + eps). A subclass with one
knob turned is a known wrong optimizer: `course_utils.checks.mistakes` declares
every known mistake as data (a name, a hint, the knobs it turns) and builds those
subclasses, which `check_optimizer` runs to name a student's mistake. So each update
rule is written once, here, and a mistake is a small branch of it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

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


EpsRule = Literal["outside_sqrt", "inside_sqrt", "none"]


def _root_plus_eps(x: Tensor, eps: float, eps_rule: EpsRule, take_sqrt: bool) -> Tensor:
    """The denominator sqrt(x) + eps (torch's); the knobs' mistakes give sqrt(x + eps)
    (``eps_rule="inside_sqrt"``), sqrt(x) (``"none"``) or x + eps (``take_sqrt=False``)."""
    if eps_rule == "none":
        return x.sqrt()
    if not take_sqrt:
        return x.add(eps)
    if eps_rule == "inside_sqrt":
        return x.add(eps).sqrt_()
    return x.sqrt().add_(eps)


class GD(OptimizerBase):
    """Plain gradient descent: theta <- theta - eta * g."""

    defaults_ = {"lr": 1e-3}

    def update_param(self, p, grad, state, group):
        p.add_(grad, alpha=-group["lr"])


class SGD(OptimizerBase):
    """SGD with momentum, dampening, Nesterov and L2 weight decay, as ``torch.optim.SGD``.

    g <- g + lambda * theta                              (weight decay)
    b_1 = g;  b_t = mu * b_{t-1} + (1 - dampening) * g   (momentum buffer)
    d = g + mu * b_t  (Nesterov)  or  d = b_t
    theta <- theta - eta * d

    Knobs (torch's rule first): ``sign`` (-1: theta + eta * d); ``buffer_rule`` ("zero_start":
    b_1 = (1 - dampening) g, as if from b_0 = 0; "ewma": b_t = mu b_{t-1} + (1 - mu) g from
    b_0 = 0; "dampening_swapped": g enters with weight dampening); ``nesterov_rule``
    ("ignored": d = b_t); ``weight_decay_rule`` ("after_momentum": lambda * theta added to d).
    """

    hyperparameters = {
        "lr": NON_NEGATIVE,
        "momentum": NON_NEGATIVE,
        "dampening": UNIT_CLOSED,
        "weight_decay": NON_NEGATIVE,
    }
    defaults_ = {"lr": 1e-3, "momentum": 0.0, "dampening": 0.0, "weight_decay": 0.0, "nesterov": False}
    sign: ClassVar[float] = 1.0
    buffer_rule: ClassVar[Literal["torch", "zero_start", "ewma", "dampening_swapped"]] = "torch"
    nesterov_rule: ClassVar[Literal["torch", "ignored"]] = "torch"
    weight_decay_rule: ClassVar[Literal["l2", "after_momentum"]] = "l2"

    def check_options(self, group):
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("nesterov=True requires momentum > 0 and dampening = 0")

    def update_param(self, p, grad, state, group):
        lr, mu, damp, wd = group["lr"], group["momentum"], group["dampening"], group["weight_decay"]
        if wd != 0 and self.weight_decay_rule == "l2":
            grad = grad.add(p, alpha=wd)
        if mu != 0:
            if "momentum_buffer" not in state:
                buf = state["momentum_buffer"] = grad.clone()  # b_1 = g_1: no dampening on the first step
                if self.buffer_rule in ("zero_start", "ewma"):  # b_1 = c * g_1, from b_0 = 0
                    buf.mul_(1 - mu if self.buffer_rule == "ewma" else 1 - damp)
            else:
                buf = state["momentum_buffer"]
                weight = {"ewma": 1 - mu, "dampening_swapped": damp}.get(self.buffer_rule, 1 - damp)
                buf.mul_(mu).add_(grad, alpha=weight)
            nesterov = group["nesterov"] and self.nesterov_rule == "torch"
            grad = grad.add(buf, alpha=mu) if nesterov else buf
        if wd != 0 and self.weight_decay_rule == "after_momentum":
            grad = grad.add(p, alpha=wd)
        p.add_(grad, alpha=-self.sign * lr)


class Adagrad(OptimizerBase):
    """Adagrad, as ``torch.optim.Adagrad``.

    g <- g + lambda * theta
    eta_t = eta / (1 + (t - 1) * lr_decay)
    s_t = s_{t-1} + g^2          (s_0 = initial_accumulator_value)
    theta <- theta - eta_t * g / (sqrt(s_t) + eps)

    Knobs (torch's rule first): ``sign``; ``eps_rule`` ("inside_sqrt", "none") and
    ``take_sqrt`` (False: s_t + eps); ``accumulate`` ("mean": s_t / t, "after": the step uses
    s_{t-1}); ``lr_decay_offset`` (1: eta / (1 + t * lr_decay)); ``weight_decay_rule``
    ("not_accumulated": the raw g is squared, "decoupled": theta * (1 - eta * lambda));
    ``use_initial_accumulator`` (False: s_0 = 0).
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
    sign: ClassVar[float] = 1.0
    eps_rule: ClassVar[EpsRule] = "outside_sqrt"
    take_sqrt: ClassVar[bool] = True
    accumulate: ClassVar[Literal["sum", "mean", "after"]] = "sum"
    lr_decay_offset: ClassVar[int] = 0
    weight_decay_rule: ClassVar[Literal["l2", "not_accumulated", "decoupled"]] = "l2"
    use_initial_accumulator: ClassVar[bool] = True

    def init_state(self, p, state, group):
        s_0 = group["initial_accumulator_value"] if self.use_initial_accumulator else 0.0
        state["sum"] = torch.full_like(p, s_0)

    def update_param(self, p, grad, state, group):
        t, s, wd = state["step"], state["sum"], group["weight_decay"]
        raw = grad
        if wd != 0:
            if self.weight_decay_rule == "decoupled":
                p.mul_(1 - group["lr"] * wd)
            else:
                grad = grad.add(p, alpha=wd)
        lr_t = group["lr"] / (1 + (t - 1 + self.lr_decay_offset) * group["lr_decay"])  # eta_t
        squared = raw if self.weight_decay_rule == "not_accumulated" else grad
        s_used = s.clone() if self.accumulate == "after" else s  # "after", a mistake: s_{t-1}
        s.addcmul_(squared, squared)  # s_t = s_{t-1} + g^2
        if self.accumulate == "mean":  # a mistake: s_t / t
            s_used = s / t
        std = _root_plus_eps(s_used, group["eps"], self.eps_rule, self.take_sqrt)  # sqrt(s_t) + eps
        p.addcdiv_(grad, std, value=-self.sign * lr_t)  # theta <- theta - eta_t * g / std


class RMSProp(OptimizerBase):
    """RMSProp, as ``torch.optim.RMSprop`` (eps outside the square root, no bias correction).

    g <- g + lambda * theta
    v_t = alpha * v_{t-1} + (1 - alpha) * g^2
    centered:  gbar_t = alpha * gbar_{t-1} + (1 - alpha) * g;  denom = sqrt(v_t - gbar_t^2) + eps
    otherwise: denom = sqrt(v_t) + eps
    momentum:  b_t = mu * b_{t-1} + g / denom;  theta <- theta - eta * b_t
    otherwise: theta <- theta - eta * g / denom

    Knobs (torch's rule first): ``sign``; ``eps_rule`` ("inside_sqrt", "none") and ``take_sqrt``;
    ``alpha_swapped`` (v_t = (1 - alpha) v_{t-1} + alpha g^2); ``bias_correction``
    (v_t / (1 - alpha^t)); ``centered_rule`` ("ignored", "stale": gbar_{t-1}, "no_square":
    v_t - gbar_t); ``momentum_rule`` ("ewma": (1 - mu) g / denom, "before_normalising":
    b_t = mu b_{t-1} + g and theta <- theta - eta b_t / denom, "ignored");
    ``weight_decay_rule`` ("decoupled").
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
    sign: ClassVar[float] = 1.0
    eps_rule: ClassVar[EpsRule] = "outside_sqrt"
    take_sqrt: ClassVar[bool] = True
    alpha_swapped: ClassVar[bool] = False
    bias_correction: ClassVar[bool] = False
    centered_rule: ClassVar[Literal["torch", "ignored", "stale", "no_square"]] = "torch"
    momentum_rule: ClassVar[Literal["torch", "ewma", "before_normalising", "ignored"]] = "torch"
    weight_decay_rule: ClassVar[Literal["l2", "decoupled"]] = "l2"

    def init_state(self, p, state, group):
        state["square_avg"] = torch.zeros_like(p)
        if group["centered"]:
            state["grad_avg"] = torch.zeros_like(p)
        if group["momentum"] > 0:
            state["momentum_buffer"] = torch.zeros_like(p)

    def update_param(self, p, grad, state, group):
        alpha, wd, mu, v = group["alpha"], group["weight_decay"], group["momentum"], state["square_avg"]
        if wd != 0:
            if self.weight_decay_rule == "decoupled":
                p.mul_(1 - group["lr"] * wd)
            else:
                grad = grad.add(p, alpha=wd)
        a = 1 - alpha if self.alpha_swapped else alpha
        v.mul_(a).addcmul_(grad, grad, value=1 - a)  # v = alpha * v + (1 - alpha) * g^2
        var = v / (1 - alpha ** state["step"]) if self.bias_correction and alpha < 1 else v
        if group["centered"] and self.centered_rule != "ignored":
            gbar = state["grad_avg"]
            gbar_used = gbar.clone() if self.centered_rule == "stale" else gbar
            gbar.lerp_(grad, 1 - alpha)  # gbar = alpha * gbar + (1 - alpha) * g
            if self.centered_rule == "no_square":  # a mistake: v - gbar
                var = var - gbar_used
            else:
                var = var.addcmul(gbar_used, gbar_used, value=-1)  # v - gbar^2
        denom = _root_plus_eps(var, group["eps"], self.eps_rule, self.take_sqrt)  # sqrt(var) + eps
        lr = self.sign * group["lr"]
        if mu > 0 and self.momentum_rule != "ignored":
            buf = state["momentum_buffer"]
            if self.momentum_rule == "before_normalising":
                buf.mul_(mu).add_(grad)
                p.addcdiv_(buf, denom, value=-lr)
            else:
                buf.mul_(mu).addcdiv_(grad, denom, value=1 - mu if self.momentum_rule == "ewma" else 1)
                p.add_(buf, alpha=-lr)
        else:
            p.addcdiv_(grad, denom, value=-lr)


class Adam(OptimizerBase):
    """Adam, as ``torch.optim.Adam`` (L2 weight decay added to the gradient).

    g <- g + lambda * theta
    m_t = beta1 * m_{t-1} + (1 - beta1) * g
    v_t = beta2 * v_{t-1} + (1 - beta2) * g^2
    vmax_t = max(vmax_{t-1}, v_t)                    (amsgrad only; used in place of v_t)
    theta <- theta - eta / (1 - beta1^t) * m_t / (sqrt(v_t) / sqrt(1 - beta2^t) + eps)

    Knobs (torch's rule first): ``sign``; ``weight_decay_rule`` ("decoupled": theta <- theta *
    (1 - eta * lambda) first, AdamW's rule; "decoupled_after": after the step; "decoupled_no_lr":
    theta * (1 - lambda)); ``swap_betas``; ``correct_m`` and ``correct_v`` (False: no bias
    correction); ``t_offset`` (the corrections use t + t_offset); ``amsgrad_rule`` ("ignored",
    "corrected_max": the max of v_t / (1 - beta2^t)); ``eps_rule`` ("inside_sqrt":
    sqrt(v_hat + eps), "before_correction": sqrt(v_t) + eps with the correction moved into
    the step size, "none") and ``take_sqrt`` (False: v_hat + eps).
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
    sign: ClassVar[float] = 1.0
    weight_decay_rule: ClassVar[Literal["l2", "decoupled", "decoupled_after", "decoupled_no_lr"]] = "l2"
    swap_betas: ClassVar[bool] = False
    correct_m: ClassVar[bool] = True
    correct_v: ClassVar[bool] = True
    t_offset: ClassVar[int] = 0
    amsgrad_rule: ClassVar[Literal["torch", "ignored", "corrected_max"]] = "torch"
    eps_rule: ClassVar[Literal["outside_sqrt", "inside_sqrt", "before_correction", "none"]] = "outside_sqrt"
    take_sqrt: ClassVar[bool] = True

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
        if self.swap_betas:
            beta1, beta2 = beta2, beta1
        t, m, v = state["step"] + self.t_offset, state["exp_avg"], state["exp_avg_sq"]
        if wd != 0:
            if self.weight_decay_rule == "l2":
                grad = grad.add(p, alpha=wd)  # Adam: L2 penalty folded into the gradient
            elif self.weight_decay_rule == "decoupled":
                p.mul_(1 - lr * wd)  # AdamW: shrink theta directly, before the Adam step
            elif self.weight_decay_rule == "decoupled_no_lr":
                p.mul_(1 - wd)
        m.lerp_(grad, 1 - beta1)  # m = beta1 * m + (1 - beta1) * g
        v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)  # v = beta2 * v + (1 - beta2) * g^2
        bias_correction1 = 1 - beta1**t if self.correct_m else 1.0
        bias_correction2 = 1 - beta2**t if self.correct_v else 1.0
        if group["amsgrad"] and self.amsgrad_rule != "ignored":
            vmax = state["max_exp_avg_sq"]
            if self.amsgrad_rule == "corrected_max":  # a mistake: the max of v / (1 - beta2^t)
                torch.maximum(vmax, v / bias_correction2, out=vmax)
                bias_correction2 = 1.0
            else:
                torch.maximum(vmax, v, out=vmax)  # vmax = max(vmax, v)
            v = vmax
        step_size = lr / bias_correction1
        if self.eps_rule == "inside_sqrt":  # a mistake: sqrt(v_hat + eps)
            denom = (v / bias_correction2).add_(eps).sqrt_()
        elif self.eps_rule == "before_correction":  # a mistake: Kingma & Ba's "efficient" form, eps_hat = eps
            denom = v.sqrt().add_(eps)
            step_size = lr * math.sqrt(bias_correction2) / bias_correction1
        elif not self.take_sqrt:  # a mistake: v_hat + eps
            denom = (v / bias_correction2).add_(eps)
        else:
            denom = v.sqrt() / math.sqrt(bias_correction2)  # sqrt(v_hat) = sqrt(v) / sqrt(1 - beta2^t)
            if self.eps_rule == "outside_sqrt":
                denom.add_(eps)  # sqrt(v_hat) + eps
        p.addcdiv_(m, denom, value=-self.sign * step_size)  # theta <- theta - eta / (1 - beta1^t) * m / denom
        if wd != 0 and self.weight_decay_rule == "decoupled_after":
            p.mul_(1 - lr * wd)


class AdamW(Adam):
    """AdamW, as ``torch.optim.AdamW``: decoupled weight decay theta <- theta * (1 - eta * lambda),
    applied before the Adam step and never seen by m or v (``weight_decay_rule = "decoupled"``)."""

    defaults_ = {**Adam.defaults_, "weight_decay": 1e-2}
    weight_decay_rule = "decoupled"
