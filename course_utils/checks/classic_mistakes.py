"""The known mistakes of the classic optimizers (notebooks 00 to 04): SGD, Adagrad, RMSProp, Adam
and AdamW, each a turned knob of the course's reference class in `course_utils.optim`.

Registered here with `course_utils.checks.mistakes.register`, as any other module registers
its own references. ``DEFAULT_CONFIGS`` of each reference are the hyperparameter settings that
expose its mistakes (dampening > 0 for the first momentum buffer, weight decay, lr_decay,
centered, amsgrad...); the checker's tiny-scale problem makes the placement of eps visible.
The order of each list is the order the checker tries them in.
"""

from __future__ import annotations

import torch

from ..optim import GD, SGD, Adagrad, Adam, AdamW, RMSProp
from .mistakes import Mistake, register

__all__ = [
    "ADAGRAD_MISTAKES",
    "ADAMW_MISTAKES",
    "ADAM_MISTAKES",
    "RMSPROP_MISTAKES",
    "SGD_MISTAKES",
]

SGD_MISTAKES = [
    Mistake(
        "SGDWrongSign", "wrong sign",
        ("your parameters move uphill: the update is theta <- theta - lr * d; a minus sign is "
         "missing (or doubled)."),
        {"sign": -1.0},
    ),
    Mistake(
        "SGDEwmaBuffer", "EWMA momentum buffer",
        ("torch's buffer is b_t = mu * b_{t-1} + (1 - dampening) * g_t with b_1 = g_1, not the "
         "EWMA b_t = mu * b_{t-1} + (1 - mu) * g_t from b_0 = 0 (that is beta*0 + (1-beta)*g_1 at "
         "t = 1)."),
        {"buffer_rule": "ewma"},
    ),
    Mistake(
        "SGDFirstBufferDampened", "first momentum buffer dampened",
        ("the first momentum buffer is wrong: torch sets b_1 = g_1 (no dampening on the first "
         "step), not (1 - dampening) * g_1, i.e. it does not start from b_0 = 0."),
        {"buffer_rule": "zero_start"},
    ),
    Mistake(
        "SGDDampeningSwapped", "dampening instead of 1 - dampening",
        "the gradient enters the buffer with weight (1 - dampening), not dampening.",
        {"buffer_rule": "dampening_swapped"},
    ),
    Mistake(
        "SGDNesterovIgnored", "nesterov=True ignored",
        ("with nesterov=True torch steps along the look-ahead d = g_t + mu * b_t, with the buffer "
         "already updated at this step; the plain buffer b_t (or g_t + mu * b_{t-1}, the same "
         "thing) is classical momentum."),
        {"nesterov_rule": "ignored"},
    ),
    Mistake(
        "SGDDecayAfterMomentum", "weight decay kept out of the momentum buffer",
        ("SGD's weight_decay is L2: add lambda * theta to the gradient BEFORE it enters the "
         "momentum buffer; adding it to the step afterwards, or shrinking theta directly (AdamW's "
         "decoupled form), keeps it out of the buffer."),
        {"weight_decay_rule": "after_momentum"},
    ),
]

ADAGRAD_MISTAKES = [
    Mistake(
        "AdagradWrongSign", "wrong sign",
        "your parameters move uphill: theta <- theta - lr_t * g / (sqrt(s_t) + eps).",
        {"sign": -1.0},
    ),
    Mistake(
        "AdagradEpsInsideSqrt", "eps inside the square root",
        ("eps goes OUTSIDE the square root in torch: sqrt(s_t) + eps, not sqrt(s_t + eps) (the "
         "difference shows when gradients are tiny)."),
        {"eps_rule": "inside_sqrt"},
    ),
    Mistake(
        "AdagradNoEps", "eps missing",
        ("eps is missing: divide by sqrt(s_t) + eps; it is a floor under tiny sums (without it a "
         "component whose gradients are all 0 gives 0/0 = nan)."),
        {"eps_rule": "none"},
    ),
    Mistake(
        "AdagradNoSqrt", "missing square root",
        "divide by the square ROOT of the accumulated squares: sqrt(s_t) + eps, not s_t + eps.",
        {"take_sqrt": False},
    ),
    Mistake(
        "AdagradMean", "mean instead of sum of squares",
        ("Adagrad divides by the root of the SUM of squared gradients, s_t = s_{t-1} + g_t^2, not "
         "of their mean (the root-mean-square of seed 003)."),
        {"accumulate": "mean"},
    ),
    Mistake(
        "AdagradAccumulateAfter", "accumulator updated after the step",
        ("add g_t^2 to the sum BEFORE dividing: the step uses s_t, which already contains the "
         "current gradient (with s_{t-1} the first step divides by eps alone)."),
        {"accumulate": "after"},
    ),
    Mistake(
        "AdagradLrDecayOffByOne", "lr_decay off by one",
        ("lr_decay is off by one: torch uses eta_t = lr / (1 + (t - 1) * lr_decay), so the first "
         "step (t = 1) has the full learning rate."),
        {"lr_decay_offset": 1},
    ),
    Mistake(
        "AdagradDecayNotAccumulated", "weight decay left out of the sum of squares",
        ("add lambda * theta to the gradient FIRST: the decayed gradient is both squared into the "
         "sum and used in the step."),
        {"weight_decay_rule": "not_accumulated"},
    ),
    Mistake(
        "AdagradDecayDecoupled", "decoupled weight decay in Adagrad",
        ("Adagrad's weight_decay is L2: g <- g + lambda * theta, not theta <- theta * (1 - lr * "
         "lambda)."),
        {"weight_decay_rule": "decoupled"},
    ),
    Mistake(
        "AdagradIgnoresInitialAccumulator", "initial_accumulator_value ignored",
        "the sum starts at s_0 = initial_accumulator_value, not at 0.",
        {"use_initial_accumulator": False},
    ),
]

RMSPROP_MISTAKES = [
    Mistake(
        "RMSPropWrongSign", "wrong sign",
        "your parameters move uphill: theta <- theta - lr * g / (sqrt(v_t) + eps).",
        {"sign": -1.0},
    ),
    Mistake(
        "RMSPropEpsInsideSqrt", "eps inside the square root",
        ("eps goes OUTSIDE the square root in torch.optim.RMSprop: sqrt(v_t) + eps, not sqrt(v_t + "
         "eps) (the difference shows when gradients are tiny)."),
        {"eps_rule": "inside_sqrt"},
    ),
    Mistake(
        "RMSPropNoEps", "eps missing",
        ("eps is missing: divide by sqrt(v_t) + eps; it is a floor under tiny averages (without it "
         "a component whose gradient is 0 gives 0/0 = nan)."),
        {"eps_rule": "none"},
    ),
    Mistake(
        "RMSPropNoSqrt", "missing square root",
        "divide by the square ROOT of the average of squares: sqrt(v_t) + eps, not v_t + eps.",
        {"take_sqrt": False},
    ),
    Mistake(
        "RMSPropAlphaSwapped", "alpha and 1 - alpha swapped",
        ("alpha multiplies the OLD average: v_t = alpha * v_{t-1} + (1 - alpha) * g_t^2 (alpha = "
         "0.99 keeps a long memory)."),
        {"alpha_swapped": True},
    ),
    Mistake(
        "RMSPropBiasCorrected", "bias correction in RMSProp",
        ("torch.optim.RMSprop has no bias correction: divide by sqrt(v_t) + eps, not by sqrt(v_t / "
         "(1 - alpha^t)) + eps (that correction is Adam's)."),
        {"bias_correction": True},
    ),
    Mistake(
        "RMSPropCenteredIgnored", "centered=True ignored",
        ("with centered=True keep gbar_t = alpha * gbar_{t-1} + (1 - alpha) * g_t too and divide "
         "by sqrt(v_t - gbar_t^2) + eps (an estimate of the standard deviation)."),
        {"centered_rule": "ignored"},
    ),
    Mistake(
        "RMSPropCenteredStale", "centered with the previous average",
        "update the gradient average first: the centered denominator uses gbar_t, not gbar_{t-1}.",
        {"centered_rule": "stale"},
    ),
    Mistake(
        "RMSPropCenteredNoSquare", "centered without squaring the mean",
        "the centered variance is v_t - gbar_t^2 (the mean SQUARED), not v_t - gbar_t.",
        {"centered_rule": "no_square"},
    ),
    Mistake(
        "RMSPropMomentumEwma", "EWMA momentum in RMSProp",
        ("RMSprop's momentum buffer is b_t = mu * b_{t-1} + g_t / (sqrt(v_t) + eps), without a (1 "
         "- mu) factor."),
        {"momentum_rule": "ewma"},
    ),
    Mistake(
        "RMSPropMomentumBeforeNormalising", "momentum on the raw gradient",
        ("torch's RMSprop puts the NORMALISED gradient g_t / (sqrt(v_t) + eps) into the momentum "
         "buffer; the raw gradient does not go in."),
        {"momentum_rule": "before_normalising"},
    ),
    Mistake(
        "RMSPropMomentumIgnored", "momentum ignored",
        ("with momentum > 0: b_t = mu * b_{t-1} + g_t / (sqrt(v_t) + eps), then theta <- theta - "
         "lr * b_t."),
        {"momentum_rule": "ignored"},
    ),
    Mistake(
        "RMSPropDecayDecoupled", "decoupled weight decay in RMSProp",
        "RMSprop's weight_decay is L2: g <- g + lambda * theta, before the average of squares.",
        {"weight_decay_rule": "decoupled"},
    ),
]


def _adam_family(name: str) -> list[Mistake]:
    """The mistakes Adam and AdamW share; their class names start with ``name``
    ("AdamEpsInsideSqrt", "AdamWEpsInsideSqrt", ...)."""
    return [
        Mistake(
            f"{name}WrongSign", "wrong sign",
            "your parameters move uphill: theta <- theta - lr * m_hat / (sqrt(v_hat) + eps).",
            {"sign": -1.0},
        ),
        Mistake(
            f"{name}EpsInsideSqrt", "eps inside the square root",
            ("eps goes OUTSIDE the square root: sqrt(v_hat) + eps, not sqrt(v_hat + eps) (it "
             "matters when gradients are tiny)."),
            {"eps_rule": "inside_sqrt"},
        ),
        Mistake(
            f"{name}EpsBeforeCorrection", "eps added before the bias correction",
            ("torch adds eps AFTER correcting v: sqrt(v_t) / sqrt(1 - beta2^t) + eps; your eps is "
             "added to sqrt(v_t) before the correction (the 'efficient' form of Kingma & Ba, "
             "section 2)."),
            {"eps_rule": "before_correction"},
        ),
        Mistake(
            f"{name}NoEps", "eps missing",
            ("eps is missing: divide by sqrt(v_hat) + eps; it is a floor under tiny gradients "
             "(without it a component whose gradient is 0 gives 0/0 = nan)."),
            {"eps_rule": "none"},
        ),
        Mistake(
            f"{name}NoSqrt", "missing square root",
            "divide by the square ROOT of v_hat: sqrt(v_hat) + eps, not v_hat + eps.",
            {"take_sqrt": False},
        ),
        Mistake(
            f"{name}NoBiasCorrection", "no bias correction",
            ("the bias correction is missing: m_hat = m_t / (1 - beta1^t) and v_hat = v_t / (1 - "
             "beta2^t)."),
            {"correct_m": False, "correct_v": False},
        ),
        Mistake(
            f"{name}NoBiasCorrection1", "no bias correction of m",
            "m_t is not bias-corrected: divide it by 1 - beta1^t.",
            {"correct_m": False},
        ),
        Mistake(
            f"{name}NoBiasCorrection2", "no bias correction of v",
            "v_t is not bias-corrected: divide it by 1 - beta2^t (sqrt(v_t) / sqrt(1 - beta2^t)).",
            {"correct_v": False},
        ),
        Mistake(
            f"{name}BiasCorrectionTPlus1", "bias correction with t + 1",
            ("the bias correction is off by one: the first step has t = 1, so use 1 - beta^t with "
             "t = 1, 2, ..."),
            {"t_offset": 1},
        ),
        Mistake(
            f"{name}BiasCorrectionTFrom0", "bias correction with t from 0",
            ("t counts from 1: with t = 0 the first correction is 1 - beta^0 = 0, a division by "
             "zero. Use state['step'], which is already 1 on the first call."),
            {"t_offset": -1},
        ),
        Mistake(
            f"{name}BetasSwapped", "betas swapped",
            "beta1 belongs to the first moment m and beta2 to the second moment v.",
            {"swap_betas": True},
        ),
        Mistake(
            f"{name}AmsgradIgnored", "amsgrad ignored",
            "with amsgrad=True keep vmax_t = max(vmax_{t-1}, v_t) and use it in place of v_t.",
            {"amsgrad_rule": "ignored"},
        ),
        Mistake(
            f"{name}AmsgradCorrectedMax", "amsgrad max of the corrected v",
            ("torch's amsgrad keeps the max of the RAW v_t and then divides by sqrt(1 - beta2^t); "
             "your max is taken over the corrected v_hat."),
            {"amsgrad_rule": "corrected_max"},
        ),
    ]


ADAM_MISTAKES = [
    *_adam_family("Adam"),
    Mistake(
        "AdamDecayDecoupled", "Adam's L2 decay decoupled",
        ("torch.optim.Adam's weight_decay is L2: add lambda * theta to the gradient, so it passes "
         "through m and v; shrinking theta directly is AdamW (decoupled decay)."),
        {"weight_decay_rule": "decoupled"},
    ),
]

ADAMW_MISTAKES = [
    *_adam_family("AdamW"),
    Mistake(
        "AdamWDecayAfterUpdate", "AdamW decay after the update",
        ("AdamW shrinks theta BEFORE the Adam step: theta <- theta * (1 - lr * lambda), then theta "
         "<- theta - lr * m_hat / (sqrt(v_hat) + eps); yours decays after it."),
        {"weight_decay_rule": "decoupled_after"},
    ),
    Mistake(
        "AdamWDecayInGradient", "AdamW decay added to the gradient",
        ("AdamW's decay is decoupled: theta <- theta * (1 - lr * lambda), never added to the "
         "gradient (adding it to g is Adam's L2, which m and v then rescale)."),
        {"weight_decay_rule": "l2"},
    ),
    Mistake(
        "AdamWDecayWithoutLr", "AdamW decay without the learning rate",
        ("torch's AdamW multiplies the decay by the learning rate: theta <- theta * (1 - lr * "
         "lambda)."),
        {"weight_decay_rule": "decoupled_no_lr"},
    ),
]

register(torch.optim.SGD, SGD, SGD_MISTAKES, [
    {"lr": 1e-3},
    {"lr": 1e-3, "momentum": 0.9},
    {"lr": 1e-3, "momentum": 0.9, "dampening": 0.5},
    {"lr": 1e-3, "momentum": 0.9, "nesterov": True},
    {"lr": 1e-3, "momentum": 0.9, "weight_decay": 0.1},
], aliases=[GD])
register(torch.optim.Adagrad, Adagrad, ADAGRAD_MISTAKES, [
    {"lr": 0.1},
    {"lr": 0.1, "lr_decay": 0.1},
    {"lr": 0.1, "weight_decay": 0.1},
    {"lr": 0.1, "initial_accumulator_value": 0.5},
])
register(torch.optim.RMSprop, RMSProp, RMSPROP_MISTAKES, [
    {"lr": 0.01},
    {"lr": 0.01, "alpha": 0.9},
    {"lr": 0.01, "weight_decay": 0.1},
    {"lr": 0.01, "centered": True},
    {"lr": 0.01, "momentum": 0.9},
    {"lr": 0.01, "centered": True, "momentum": 0.5},
])
register(torch.optim.Adam, Adam, ADAM_MISTAKES, [
    {"lr": 0.01},
    {"lr": 0.01, "betas": (0.8, 0.99)},
    {"lr": 0.01, "weight_decay": 0.1},
    {"lr": 0.01, "amsgrad": True},
])
register(torch.optim.AdamW, AdamW, ADAMW_MISTAKES, [
    {"lr": 0.01},
    {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.1},
    {"lr": 0.01, "amsgrad": True},
])
