"""Known wrong optimizers ("mutants") that let `check_optimizer` name a student's mistake.

Each mutant is an `OptimizerBase` subclass with exactly one deliberate mistake and a ``hint``
(what is wrong and what torch does instead). When a student's path leaves torch's, the checker
runs the mutants registered for that reference; the one whose path the student's reproduces
names the mistake. The mutants are built on four "core" update rules (SGD, Adagrad, RMSProp,
Adam/AdamW) whose knobs default to torch's behaviour, so the core with no knob turned equals
``torch.optim`` bit for bit and each mutant differs from torch in one place only.

``KNOWN_MISTAKES[torch.optim.Adam]`` lists the mutants of Adam, and ``DEFAULT_CONFIGS`` the
hyperparameter settings that expose them (dampening > 0 for the first momentum buffer, weight
decay, lr_decay, centered, amsgrad...); together with a tiny loss scale (in the checker's
problems) that makes the placement of eps visible.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import torch

from .optim import GD as _GD
from .optim import NON_NEGATIVE, UNIT, OptimizerBase
from .optim import SGD as _SGD
from .optim import Adagrad as _Adagrad
from .optim import Adam as _Adam
from .optim import AdamW as _AdamW
from .optim import RMSProp as _RMSProp

__all__ = [
    "Mutant",
    "SGDCore",
    "AdagradCore",
    "RMSPropCore",
    "AdamCore",
    "AdamWCore",
    "KNOWN_MISTAKES",
    "DEFAULT_CONFIGS",
    "torch_reference",
    "known_mistakes",
    "default_configs",
]


class Mutant(OptimizerBase):
    """Marker base: a deliberately wrong optimizer. ``hint`` names the mistake."""

    hint: ClassVar[str] = ""
    mistake: ClassVar[str] = ""  # a short name, e.g. "eps inside the square root"


# --------------------------------------------------------------------------------------------
# SGD (momentum, dampening, Nesterov, L2 weight decay)
# --------------------------------------------------------------------------------------------
class SGDCore(OptimizerBase):
    """torch.optim.SGD with knobs (the defaults are torch's rule):

    g <- g + omega * theta                                 (wd_rule = "l2")
    b_1 = g_1;  b_t = beta b_{t-1} + (1 - dampening) g_t   (buffer_rule = "torch")
    d = g_t + beta b_t (nesterov_rule = "torch") or d = b_t
    theta <- theta - sign * eta * d                      (sign = +1)
    """

    hyperparameters = _SGD.hyperparameters
    defaults_ = _SGD.defaults_
    sign: ClassVar[float] = 1.0
    buffer_rule: ClassVar[str] = "torch"  # "torch" | "zero_start" | "ewma" | "dampening_swapped"
    nesterov_rule: ClassVar[str] = "torch"  # "torch" | "ignored"
    wd_rule: ClassVar[str] = "l2"  # "l2" | "after_momentum"

    check_options = _SGD.check_options

    def update_param(self, p, grad, state, group):
        lr, mu, wd, damp = group["lr"], group["momentum"], group["weight_decay"], group["dampening"]
        if wd != 0 and self.wd_rule == "l2":
            grad = grad.add(p, alpha=wd)
        if mu != 0:
            if "momentum_buffer" not in state:
                if self.buffer_rule == "ewma":
                    buf = grad.mul(1 - mu)
                elif self.buffer_rule == "zero_start":  # b_0 = 0, then the usual rule
                    buf = grad.mul(1 - damp)
                else:
                    buf = grad.clone()
                state["momentum_buffer"] = buf
            else:
                buf = state["momentum_buffer"]
                weight = {"ewma": 1 - mu, "dampening_swapped": damp}.get(self.buffer_rule, 1 - damp)
                buf.mul_(mu).add_(grad, alpha=weight)
            if group["nesterov"] and self.nesterov_rule == "torch":
                grad = grad.add(buf, alpha=mu)
            else:
                grad = buf
        if wd != 0 and self.wd_rule == "after_momentum":
            grad = grad.add(p, alpha=wd)
        p.add_(grad, alpha=-self.sign * lr)


class SGDWrongSign(SGDCore, Mutant):
    sign = -1.0
    mistake = "wrong sign"
    hint = ("your parameters move uphill: the update is theta <- theta - lr * d; "
            "a minus sign is missing (or doubled).")


class SGDFirstBufferDampened(SGDCore, Mutant):
    buffer_rule = "zero_start"
    mistake = "first momentum buffer dampened"
    hint = ("the first momentum buffer is wrong: torch sets b_1 = g_1 (no dampening on the first "
            "step), not (1 - dampening) * g_1, i.e. it does not start from b_0 = 0.")


class SGDEwmaBuffer(SGDCore, Mutant):
    buffer_rule = "ewma"
    mistake = "EWMA momentum buffer"
    hint = ("torch's buffer is b_t = beta * b_{t-1} + (1 - dampening) * g_t with b_1 = g_1, not the EWMA "
            "b_t = beta * b_{t-1} + (1 - beta) * g_t from b_0 = 0 (that is beta*0 + (1-beta)*g_1 at t = 1).")


class SGDDampeningSwapped(SGDCore, Mutant):
    buffer_rule = "dampening_swapped"
    mistake = "dampening instead of 1 - dampening"
    hint = "the gradient enters the buffer with weight (1 - dampening), not dampening."


class SGDNesterovIgnored(SGDCore, Mutant):
    nesterov_rule = "ignored"
    mistake = "nesterov=True ignored"
    hint = ("with nesterov=True torch steps along the look-ahead d = g_t + beta * b_t, with the buffer "
            "already updated at this step; the plain buffer b_t (or g_t + beta * b_{t-1}, the same thing) "
            "is classical momentum.")


class SGDDecayAfterMomentum(SGDCore, Mutant):
    wd_rule = "after_momentum"
    mistake = "weight decay kept out of the momentum buffer"
    hint = ("SGD's weight_decay is L2: add omega * theta to the gradient BEFORE it enters the momentum "
            "buffer; adding it to the step afterwards, or shrinking theta directly (AdamW's decoupled "
            "form), keeps it out of the buffer.")


# --------------------------------------------------------------------------------------------
# Adagrad
# --------------------------------------------------------------------------------------------
class AdagradCore(OptimizerBase):
    """torch.optim.Adagrad with knobs (the defaults are torch's rule):

    g <- g + lambda * theta;  eta_t = eta / (1 + (t - 1 + lr_decay_offset) * lr_decay)
    s_t = s_{t-1} + g_t^2 (s_0 = initial_accumulator_value);  theta <- theta - eta_t g / (sqrt(s_t) + eps)
    """

    hyperparameters = _Adagrad.hyperparameters
    defaults_ = _Adagrad.defaults_
    sign: ClassVar[float] = 1.0
    eps_inside_sqrt: ClassVar[bool] = False
    no_eps: ClassVar[bool] = False
    use_sqrt: ClassVar[bool] = True
    accumulate: ClassVar[str] = "sum"  # "sum" | "mean" (the RMS of seed 003) | "after" (s_{t-1} used)
    lr_decay_offset: ClassVar[int] = 0
    wd_rule: ClassVar[str] = "l2"  # "l2" | "not_accumulated" | "decoupled"
    ignore_initial_accumulator: ClassVar[bool] = False

    def init_state(self, p, state, group):
        init = 0.0 if self.ignore_initial_accumulator else group["initial_accumulator_value"]
        state["sum"] = torch.full_like(p, init)

    def update_param(self, p, grad, state, group):
        t, s, eps, wd = state["step"], state["sum"], group["eps"], group["weight_decay"]
        raw = grad
        if wd != 0:
            if self.wd_rule == "decoupled":
                p.mul_(1 - group["lr"] * wd)
            else:
                grad = grad.add(p, alpha=wd)
        lr_t = group["lr"] / (1 + (t - 1 + self.lr_decay_offset) * group["lr_decay"])
        squared = raw if self.wd_rule == "not_accumulated" else grad
        if self.accumulate == "after":
            acc = s.clone()
            s.addcmul_(squared, squared)
        else:
            s.addcmul_(squared, squared)
            acc = s / t if self.accumulate == "mean" else s
        if self.no_eps:
            std = acc.sqrt()
        elif not self.use_sqrt:
            std = acc.add(eps)
        elif self.eps_inside_sqrt:
            std = acc.add(eps).sqrt_()
        else:
            std = acc.sqrt().add_(eps)
        p.addcdiv_(grad, std, value=-self.sign * lr_t)


class AdagradWrongSign(AdagradCore, Mutant):
    sign = -1.0
    mistake = "wrong sign"
    hint = "your parameters move uphill: theta <- theta - lr_t * g / (sqrt(s_t) + eps)."


class AdagradEpsInsideSqrt(AdagradCore, Mutant):
    eps_inside_sqrt = True
    mistake = "eps inside the square root"
    hint = ("eps goes OUTSIDE the square root in torch: sqrt(s_t) + eps, not sqrt(s_t + eps) "
            "(the difference shows when gradients are tiny).")


class AdagradNoEps(AdagradCore, Mutant):
    no_eps = True
    mistake = "eps missing"
    hint = ("eps is missing: divide by sqrt(s_t) + eps; it is a floor under tiny sums (without it a "
            "component whose gradients are all 0 gives 0/0 = nan).")


class AdagradNoSqrt(AdagradCore, Mutant):
    use_sqrt = False
    mistake = "missing square root"
    hint = "divide by the square ROOT of the accumulated squares: sqrt(s_t) + eps, not s_t + eps."


class AdagradMean(AdagradCore, Mutant):
    accumulate = "mean"
    mistake = "mean instead of sum of squares"
    hint = ("Adagrad divides by the root of the SUM of squared gradients, s_t = s_{t-1} + g_t^2, "
            "not of their mean (the root-mean-square of seed 003).")


class AdagradAccumulateAfter(AdagradCore, Mutant):
    accumulate = "after"
    mistake = "accumulator updated after the step"
    hint = ("add g_t^2 to the sum BEFORE dividing: the step uses s_t, which already contains the "
            "current gradient (with s_{t-1} the first step divides by eps alone).")


class AdagradLrDecayOffByOne(AdagradCore, Mutant):
    lr_decay_offset = 1
    mistake = "lr_decay off by one"
    hint = ("lr_decay is off by one: torch uses eta_t = lr / (1 + (t - 1) * lr_decay), so the first "
            "step (t = 1) has the full learning rate.")


class AdagradDecayNotAccumulated(AdagradCore, Mutant):
    wd_rule = "not_accumulated"
    mistake = "weight decay left out of the sum of squares"
    hint = ("add lambda * theta to the gradient FIRST: the decayed gradient is both squared into "
            "the sum and used in the step.")


class AdagradDecayDecoupled(AdagradCore, Mutant):
    wd_rule = "decoupled"
    mistake = "decoupled weight decay in Adagrad"
    hint = "Adagrad's weight_decay is L2: g <- g + lambda * theta, not theta <- theta * (1 - lr * lambda)."


class AdagradIgnoresInitialAccumulator(AdagradCore, Mutant):
    ignore_initial_accumulator = True
    mistake = "initial_accumulator_value ignored"
    hint = "the sum starts at s_0 = initial_accumulator_value, not at 0."


# --------------------------------------------------------------------------------------------
# RMSProp
# --------------------------------------------------------------------------------------------
class RMSPropCore(OptimizerBase):
    """torch.optim.RMSprop with knobs (the defaults are torch's rule):

    g <- g + lambda * theta;  v_t = alpha v_{t-1} + (1 - alpha) g^2
    centered: gbar_t = alpha gbar_{t-1} + (1 - alpha) g;  denom = sqrt(v_t - gbar_t^2) + eps
    momentum: b_t = mu b_{t-1} + g / denom;  theta <- theta - eta b_t;  else theta <- theta - eta g / denom
    """

    hyperparameters = _RMSProp.hyperparameters
    defaults_ = _RMSProp.defaults_
    sign: ClassVar[float] = 1.0
    eps_inside_sqrt: ClassVar[bool] = False
    no_eps: ClassVar[bool] = False
    use_sqrt: ClassVar[bool] = True
    alpha_swapped: ClassVar[bool] = False
    bias_correction: ClassVar[bool] = False
    centered_rule: ClassVar[str] = "torch"  # "torch" | "ignored" | "stale" (gbar_{t-1}) | "no_square"
    momentum_rule: ClassVar[str] = "torch"  # "torch" | "ewma" | "before_normalising" | "ignored"
    wd_rule: ClassVar[str] = "l2"  # "l2" | "decoupled"

    def init_state(self, p, state, group):
        state["square_avg"] = torch.zeros_like(p)
        state["grad_avg"] = torch.zeros_like(p)
        state["momentum_buffer"] = torch.zeros_like(p)

    def update_param(self, p, grad, state, group):
        alpha, eps, wd, mu = group["alpha"], group["eps"], group["weight_decay"], group["momentum"]
        v, t = state["square_avg"], state["step"]
        if wd != 0:
            if self.wd_rule == "decoupled":
                p.mul_(1 - group["lr"] * wd)
            else:
                grad = grad.add(p, alpha=wd)
        a = 1 - alpha if self.alpha_swapped else alpha
        v.mul_(a).addcmul_(grad, grad, value=1 - a)
        var = v / (1 - alpha**t) if self.bias_correction and alpha < 1 else v
        if group["centered"] and self.centered_rule != "ignored":
            gbar = state["grad_avg"]
            old = gbar.clone()
            gbar.lerp_(grad, 1 - alpha)
            used = old if self.centered_rule == "stale" else gbar
            var = var.addcmul(used, used, value=-1) if self.centered_rule != "no_square" else var - used
        if self.no_eps:
            denom = var.sqrt()
        elif not self.use_sqrt:
            denom = var.add(eps)
        elif self.eps_inside_sqrt:
            denom = var.add(eps).sqrt_()
        else:
            denom = var.sqrt().add_(eps)
        lr = self.sign * group["lr"]
        if mu > 0 and self.momentum_rule != "ignored":
            buf = state["momentum_buffer"]
            if self.momentum_rule == "before_normalising":
                buf.mul_(mu).add_(grad)
                p.addcdiv_(buf, denom, value=-lr)
                return
            buf.mul_(mu).addcdiv_(grad, denom, value=1 - mu if self.momentum_rule == "ewma" else 1.0)
            p.add_(buf, alpha=-lr)
        else:
            p.addcdiv_(grad, denom, value=-lr)


class RMSPropWrongSign(RMSPropCore, Mutant):
    sign = -1.0
    mistake = "wrong sign"
    hint = "your parameters move uphill: theta <- theta - lr * g / (sqrt(v_t) + eps)."


class RMSPropEpsInsideSqrt(RMSPropCore, Mutant):
    eps_inside_sqrt = True
    mistake = "eps inside the square root"
    hint = ("eps goes OUTSIDE the square root in torch.optim.RMSprop: sqrt(v_t) + eps, not "
            "sqrt(v_t + eps) (the difference shows when gradients are tiny).")


class RMSPropNoEps(RMSPropCore, Mutant):
    no_eps = True
    mistake = "eps missing"
    hint = ("eps is missing: divide by sqrt(v_t) + eps; it is a floor under tiny averages (without it a "
            "component whose gradient is 0 gives 0/0 = nan).")


class RMSPropNoSqrt(RMSPropCore, Mutant):
    use_sqrt = False
    mistake = "missing square root"
    hint = "divide by the square ROOT of the average of squares: sqrt(v_t) + eps, not v_t + eps."


class RMSPropAlphaSwapped(RMSPropCore, Mutant):
    alpha_swapped = True
    mistake = "alpha and 1 - alpha swapped"
    hint = ("alpha multiplies the OLD average: v_t = alpha * v_{t-1} + (1 - alpha) * g_t^2 "
            "(alpha = 0.99 keeps a long memory).")


class RMSPropBiasCorrected(RMSPropCore, Mutant):
    bias_correction = True
    mistake = "bias correction in RMSProp"
    hint = ("torch.optim.RMSprop has no bias correction: divide by sqrt(v_t) + eps, not by "
            "sqrt(v_t / (1 - alpha^t)) + eps (that correction is Adam's).")


class RMSPropCenteredIgnored(RMSPropCore, Mutant):
    centered_rule = "ignored"
    mistake = "centered=True ignored"
    hint = ("with centered=True keep gbar_t = alpha * gbar_{t-1} + (1 - alpha) * g_t too and divide by "
            "sqrt(v_t - gbar_t^2) + eps (an estimate of the standard deviation).")


class RMSPropCenteredStale(RMSPropCore, Mutant):
    centered_rule = "stale"
    mistake = "centered with the previous average"
    hint = "update the gradient average first: the centered denominator uses gbar_t, not gbar_{t-1}."


class RMSPropCenteredNoSquare(RMSPropCore, Mutant):
    centered_rule = "no_square"
    mistake = "centered without squaring the mean"
    hint = "the centered variance is v_t - gbar_t^2 (the mean SQUARED), not v_t - gbar_t."


class RMSPropMomentumEwma(RMSPropCore, Mutant):
    momentum_rule = "ewma"
    mistake = "EWMA momentum in RMSProp"
    hint = ("RMSprop's momentum buffer is b_t = mu * b_{t-1} + g_t / (sqrt(v_t) + eps), "
            "without a (1 - mu) factor.")


class RMSPropMomentumBeforeNormalising(RMSPropCore, Mutant):
    momentum_rule = "before_normalising"
    mistake = "momentum on the raw gradient"
    hint = ("torch's RMSprop puts the NORMALISED gradient g_t / (sqrt(v_t) + eps) into the momentum "
            "buffer; the raw gradient does not go in.")


class RMSPropMomentumIgnored(RMSPropCore, Mutant):
    momentum_rule = "ignored"
    mistake = "momentum ignored"
    hint = "with momentum > 0: b_t = mu * b_{t-1} + g_t / (sqrt(v_t) + eps), then theta <- theta - lr * b_t."


class RMSPropDecayDecoupled(RMSPropCore, Mutant):
    wd_rule = "decoupled"
    mistake = "decoupled weight decay in RMSProp"
    hint = "RMSprop's weight_decay is L2: g <- g + lambda * theta, before the average of squares."


# --------------------------------------------------------------------------------------------
# Adam and AdamW
# --------------------------------------------------------------------------------------------
class AdamCore(OptimizerBase):
    """torch.optim.Adam (or AdamW, with ``wd_rule = "decoupled"``) with knobs; defaults are torch's:

    m_t = beta1 m_{t-1} + (1 - beta1) g;  v_t = beta2 v_{t-1} + (1 - beta2) g^2
    theta <- theta - eta / (1 - beta1^t) * m_t / (sqrt(v_t) / sqrt(1 - beta2^t) + eps)
    """

    hyperparameters = {"lr": NON_NEGATIVE, "betas": UNIT, "eps": NON_NEGATIVE, "weight_decay": NON_NEGATIVE}
    defaults_ = _Adam.defaults_
    sign: ClassVar[float] = 1.0
    eps_rule: ClassVar[str] = "torch"  # "torch" | "inside_sqrt" | "before_correction" | "none"
    use_sqrt: ClassVar[bool] = True
    correct_m: ClassVar[bool] = True
    correct_v: ClassVar[bool] = True
    t_offset: ClassVar[int] = 0  # the exponent of the bias correction is t + t_offset
    swap_betas: ClassVar[bool] = False
    wd_rule: ClassVar[str] = "l2"  # "l2" | "decoupled" | "decoupled_after" | "decoupled_no_lr"
    amsgrad_rule: ClassVar[str] = "torch"  # "torch" | "ignored" | "corrected_max"

    check_options = _Adam.check_options

    def __init__(self, params, **hyperparams: Any) -> None:
        if "betas" in hyperparams:
            hyperparams["betas"] = tuple(hyperparams["betas"])
        super().__init__(params, **hyperparams)

    def init_state(self, p, state, group):
        state["exp_avg"] = torch.zeros_like(p)
        state["exp_avg_sq"] = torch.zeros_like(p)
        state["max_exp_avg_sq"] = torch.zeros_like(p)

    def update_param(self, p, grad, state, group):
        lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        if self.swap_betas:
            beta1, beta2 = beta2, beta1
        t, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
        if wd != 0:
            if self.wd_rule == "l2":
                grad = grad.add(p, alpha=wd)
            elif self.wd_rule == "decoupled":
                p.mul_(1 - lr * wd)
            elif self.wd_rule == "decoupled_no_lr":
                p.mul_(1 - wd)
        m.lerp_(grad, 1 - beta1)
        v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        te = t + self.t_offset
        bias_correction1 = 1 - beta1**te if self.correct_m else 1.0
        bias_correction2 = 1 - beta2**te if self.correct_v else 1.0
        if group["amsgrad"] and self.amsgrad_rule == "torch":
            torch.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]
        elif group["amsgrad"] and self.amsgrad_rule == "corrected_max":
            # the max is taken over v_hat = v / (1 - beta2^t), not over v
            vmax = state["max_exp_avg_sq"]
            torch.maximum(vmax, v / bias_correction2, out=vmax)
            v, bias_correction2 = vmax, 1.0
        root = v.sqrt() if self.use_sqrt else v.clone()
        root2 = math.sqrt(bias_correction2) if self.use_sqrt else bias_correction2
        if self.eps_rule == "inside_sqrt":
            v_hat = v / bias_correction2
            denom = v_hat.add(eps).sqrt_() if self.use_sqrt else v_hat.add(eps)
            p.addcdiv_(m, denom, value=-self.sign * lr / bias_correction1)
        elif self.eps_rule == "before_correction":  # Kingma & Ba's "efficient" form with eps-hat = eps
            step_size = lr * root2 / bias_correction1
            p.addcdiv_(m, root.add_(eps), value=-self.sign * step_size)
        else:
            denom = (root / root2).add_(0.0 if self.eps_rule == "none" else eps)
            p.addcdiv_(m, denom, value=-self.sign * lr / bias_correction1)
        if wd != 0 and self.wd_rule == "decoupled_after":
            p.mul_(1 - lr * wd)


class AdamWCore(AdamCore):
    """torch.optim.AdamW with knobs: theta <- theta (1 - eta lambda) first, then the Adam step."""

    defaults_ = _AdamW.defaults_
    wd_rule = "decoupled"


def _adam_mutants(base: type[AdamCore]) -> list[type[Mutant]]:
    """The mistakes Adam and AdamW share, built on ``base``."""
    name = base.__name__.replace("Core", "")

    def make(suffix: str, mistake: str, hint: str, **knobs: Any) -> type[Mutant]:
        attrs = {"mistake": mistake, "hint": hint, "__doc__": f"{name} with one mistake: {mistake}.",
                 "__module__": __name__, **knobs}
        return type(f"{name}{suffix}", (base, Mutant), attrs)

    return [
        make("WrongSign", "wrong sign",
             "your parameters move uphill: theta <- theta - lr * m_hat / (sqrt(v_hat) + eps).", sign=-1.0),
        make("EpsInsideSqrt", "eps inside the square root",
             "eps goes OUTSIDE the square root: sqrt(v_hat) + eps, not sqrt(v_hat + eps) "
             "(it matters when gradients are tiny).", eps_rule="inside_sqrt"),
        make("EpsBeforeCorrection", "eps added before the bias correction",
             "torch adds eps AFTER correcting v: sqrt(v_t) / sqrt(1 - beta2^t) + eps; your eps is added to "
             "sqrt(v_t) before the correction (the 'efficient' form of Kingma & Ba, section 2).",
             eps_rule="before_correction"),
        make("NoEps", "eps missing",
             "eps is missing: divide by sqrt(v_hat) + eps; it is a floor under tiny gradients (without it "
             "a component whose gradient is 0 gives 0/0 = nan).", eps_rule="none"),
        make("NoSqrt", "missing square root",
             "divide by the square ROOT of v_hat: sqrt(v_hat) + eps, not v_hat + eps.", use_sqrt=False),
        make("NoBiasCorrection", "no bias correction",
             "the bias correction is missing: m_hat = m_t / (1 - beta1^t) and v_hat = v_t / (1 - beta2^t).",
             correct_m=False, correct_v=False),
        make("NoBiasCorrection1", "no bias correction of m",
             "m_t is not bias-corrected: divide it by 1 - beta1^t.", correct_m=False),
        make("NoBiasCorrection2", "no bias correction of v",
             "v_t is not bias-corrected: divide it by 1 - beta2^t (sqrt(v_t) / sqrt(1 - beta2^t)).",
             correct_v=False),
        make("BiasCorrectionTPlus1", "bias correction with t + 1",
             "the bias correction is off by one: the first step has t = 1, so use 1 - beta^t with t = 1, 2, ...",
             t_offset=1),
        make("BiasCorrectionTFrom0", "bias correction with t from 0",
             "t counts from 1: with t = 0 the first correction is 1 - beta^0 = 0, a division by zero. "
             "Use state['step'], which is already 1 on the first call.", t_offset=-1),
        make("BetasSwapped", "betas swapped",
             "beta1 belongs to the first moment m and beta2 to the second moment v.", swap_betas=True),
        make("AmsgradIgnored", "amsgrad ignored",
             "with amsgrad=True keep vmax_t = max(vmax_{t-1}, v_t) and use it in place of v_t.",
             amsgrad_rule="ignored"),
        make("AmsgradCorrectedMax", "amsgrad max of the corrected v",
             "torch's amsgrad keeps the max of the RAW v_t and then divides by sqrt(1 - beta2^t); "
             "your max is taken over the corrected v_hat.", amsgrad_rule="corrected_max"),
    ]


_ADAM_MUTANTS = _adam_mutants(AdamCore)
_ADAMW_MUTANTS = _adam_mutants(AdamWCore)
for _cls in _ADAM_MUTANTS + _ADAMW_MUTANTS:
    globals()[_cls.__name__] = _cls


class AdamDecayDecoupled(AdamCore, Mutant):
    wd_rule = "decoupled"
    mistake = "Adam's L2 decay decoupled"
    hint = ("torch.optim.Adam's weight_decay is L2: add lambda * theta to the gradient, so it passes "
            "through m and v; shrinking theta directly is AdamW (decoupled decay).")


class AdamWDecayAfterUpdate(AdamWCore, Mutant):
    wd_rule = "decoupled_after"
    mistake = "AdamW decay after the update"
    hint = ("AdamW shrinks theta BEFORE the Adam step: theta <- theta * (1 - lr * lambda), then "
            "theta <- theta - lr * m_hat / (sqrt(v_hat) + eps); yours decays after it.")


class AdamWDecayInGradient(AdamWCore, Mutant):
    wd_rule = "l2"
    mistake = "AdamW decay added to the gradient"
    hint = ("AdamW's decay is decoupled: theta <- theta * (1 - lr * lambda), never added to the gradient "
            "(adding it to g is Adam's L2, which m and v then rescale).")


class AdamWDecayWithoutLr(AdamWCore, Mutant):
    wd_rule = "decoupled_no_lr"
    mistake = "AdamW decay without the learning rate"
    hint = "torch's AdamW multiplies the decay by the learning rate: theta <- theta * (1 - lr * lambda)."


# --------------------------------------------------------------------------------------------
# Registry and the configurations that expose the mistakes
# --------------------------------------------------------------------------------------------
KNOWN_MISTAKES: dict[type, list[type[Mutant]]] = {
    torch.optim.SGD: [
        SGDWrongSign, SGDEwmaBuffer, SGDFirstBufferDampened, SGDDampeningSwapped, SGDNesterovIgnored,
        SGDDecayAfterMomentum,
    ],
    torch.optim.Adagrad: [
        AdagradWrongSign, AdagradEpsInsideSqrt, AdagradNoEps, AdagradNoSqrt, AdagradMean, AdagradAccumulateAfter,
        AdagradLrDecayOffByOne, AdagradDecayNotAccumulated, AdagradDecayDecoupled,
        AdagradIgnoresInitialAccumulator,
    ],
    torch.optim.RMSprop: [
        RMSPropWrongSign, RMSPropEpsInsideSqrt, RMSPropNoEps, RMSPropNoSqrt, RMSPropAlphaSwapped, RMSPropBiasCorrected,
        RMSPropCenteredIgnored, RMSPropCenteredStale, RMSPropCenteredNoSquare, RMSPropMomentumEwma,
        RMSPropMomentumBeforeNormalising, RMSPropMomentumIgnored, RMSPropDecayDecoupled,
    ],
    torch.optim.Adam: [*_ADAM_MUTANTS, AdamDecayDecoupled],
    torch.optim.AdamW: [*_ADAMW_MUTANTS, AdamWDecayAfterUpdate, AdamWDecayInGradient, AdamWDecayWithoutLr],
}
"""reference torch.optim class -> the mutants `check_optimizer` tries when a student's path differs."""

DEFAULT_CONFIGS: dict[type, list[dict[str, Any]]] = {
    torch.optim.SGD: [
        {"lr": 1e-3},
        {"lr": 1e-3, "momentum": 0.9},
        {"lr": 1e-3, "momentum": 0.9, "dampening": 0.5},
        {"lr": 1e-3, "momentum": 0.9, "nesterov": True},
        {"lr": 1e-3, "momentum": 0.9, "weight_decay": 0.1},
    ],
    torch.optim.Adagrad: [
        {"lr": 0.1},
        {"lr": 0.1, "lr_decay": 0.1},
        {"lr": 0.1, "weight_decay": 0.1},
        {"lr": 0.1, "initial_accumulator_value": 0.5},
    ],
    torch.optim.RMSprop: [
        {"lr": 0.01},
        {"lr": 0.01, "alpha": 0.9},
        {"lr": 0.01, "weight_decay": 0.1},
        {"lr": 0.01, "centered": True},
        {"lr": 0.01, "momentum": 0.9},
        {"lr": 0.01, "centered": True, "momentum": 0.5},
    ],
    torch.optim.Adam: [
        {"lr": 0.01},
        {"lr": 0.01, "betas": (0.8, 0.99)},
        {"lr": 0.01, "weight_decay": 0.1},
        {"lr": 0.01, "amsgrad": True},
    ],
    torch.optim.AdamW: [
        {"lr": 0.01},
        {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.1},
        {"lr": 0.01, "amsgrad": True},
    ],
}
"""reference -> configurations run by default: each exposes at least one registered mistake."""

_COURSE_TO_TORCH: dict[type, type] = {
    _GD: torch.optim.SGD,
    _SGD: torch.optim.SGD,
    _Adagrad: torch.optim.Adagrad,
    _RMSProp: torch.optim.RMSprop,
    _Adam: torch.optim.Adam,
    _AdamW: torch.optim.AdamW,
}


def torch_reference(reference: Any) -> Any:
    """The ``torch.optim`` class behind ``reference`` (a course reference class maps to torch's)."""
    return _COURSE_TO_TORCH.get(reference, reference)


def known_mistakes(reference: Any) -> list[type[Mutant]]:
    """The registered mutants of ``reference`` (empty for an unknown reference)."""
    return list(KNOWN_MISTAKES.get(torch_reference(reference), []))


def default_configs(reference: Any) -> list[dict[str, Any]]:
    """The default configurations for ``reference`` (``[{"lr": 0.01}]`` for an unknown one)."""
    return [dict(c) for c in DEFAULT_CONFIGS.get(torch_reference(reference), [{"lr": 0.01}])]

