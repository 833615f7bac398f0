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
        "your parameters move uphill: look at the sign of the update.",
        {"sign": -1.0},
        detail=("your parameters move uphill: the update is theta <- theta - lr * d; a minus sign is "
                "missing (or doubled)."),
    ),
    Mistake(
        "SGDEwmaBuffer", "EWMA momentum buffer",
        ("the momentum buffer is a different kind of average than torch's: look at the "
         "weight the new gradient gets in the buffer, and what the buffer starts from."),
        {"buffer_rule": "ewma"},
        detail=("torch's buffer is b_t = beta * b_{t-1} + (1 - dampening) * g_t with b_1 = g_1, not the "
                "EWMA b_t = beta * b_{t-1} + (1 - beta) * g_t from b_0 = 0 (that is beta*0 + (1-beta)*g_1 at "
                "t = 1)."),
    ),
    Mistake(
        "SGDFirstBufferDampened", "first momentum buffer dampened",
        ("your first momentum buffer differs from torch's: look at what torch does on "
         "the very first step (is dampening applied there?)."),
        {"buffer_rule": "zero_start"},
        detail=("the first momentum buffer is wrong: torch sets b_1 = g_1 (no dampening on the first "
                "step), not (1 - dampening) * g_1, i.e. it does not start from b_0 = 0."),
    ),
    Mistake(
        "SGDDampeningSwapped", "dampening instead of 1 - dampening",
        ("the weight of the new gradient in the momentum buffer: look at where "
         "dampening enters."),
        {"buffer_rule": "dampening_swapped"},
        detail="the gradient enters the buffer with weight (1 - dampening), not dampening.",
    ),
    Mistake(
        "SGDNesterovIgnored", "nesterov=True ignored",
        ("nesterov=True changes nothing in your steps: look at which direction a "
         "Nesterov step follows."),
        {"nesterov_rule": "ignored"},
        detail=("with nesterov=True torch steps along the look-ahead d = g_t + beta * b_t, with the buffer "
                "already updated at this step; the plain buffer b_t (or g_t + beta * b_{t-1}, the same "
                "thing) is classical momentum."),
    ),
    Mistake(
        "SGDDecayAfterMomentum", "weight decay kept out of the momentum buffer",
        ("weight decay enters in the wrong place: should it pass through the momentum "
         "buffer?"),
        {"weight_decay_rule": "after_momentum"},
        detail=("SGD's weight_decay is L2: add omega * theta to the gradient BEFORE it enters the "
                "momentum buffer; adding it to the step afterwards, or shrinking theta directly (AdamW's "
                "decoupled form), keeps it out of the buffer."),
    ),
]

ADAGRAD_MISTAKES = [
    Mistake(
        "AdagradWrongSign", "wrong sign",
        "your parameters move uphill: look at the sign of the update.",
        {"sign": -1.0},
        detail="your parameters move uphill: theta <- theta - lr_t * g / (sqrt(s_t) + eps).",
    ),
    Mistake(
        "AdagradEpsInsideSqrt", "eps inside the square root",
        ("look at where eps sits in the denominator (it matters only when gradients "
         "are tiny)."),
        {"eps_rule": "inside_sqrt"},
        detail=("eps goes OUTSIDE the square root in torch: sqrt(s_t) + eps, not sqrt(s_t + eps) (the "
                "difference shows when gradients are tiny)."),
    ),
    Mistake(
        "AdagradNoEps", "eps missing",
        "something is missing from the denominator: what keeps it away from zero?",
        {"eps_rule": "none"},
        detail=("eps is missing: divide by sqrt(s_t) + eps; it is a floor under tiny sums (without it a "
                "component whose gradients are all 0 gives 0/0 = nan)."),
    ),
    Mistake(
        "AdagradNoSqrt", "missing square root",
        ("the size of your step is off: look at how the accumulated squares become the "
         "denominator (compare the units of the step and of g)."),
        {"take_sqrt": False},
        detail="divide by the square ROOT of the accumulated squares: sqrt(s_t) + eps, not s_t + eps.",
    ),
    Mistake(
        "AdagradMean", "mean instead of sum of squares",
        ("look at how the squared gradients are accumulated: does your denominator "
         "keep growing, as Adagrad's does?"),
        {"accumulate": "mean"},
        detail=("Adagrad divides by the root of the SUM of squared gradients, s_t = s_{t-1} + g_t^2, not "
                "of their mean (the root-mean-square of seed 003)."),
    ),
    Mistake(
        "AdagradAccumulateAfter", "accumulator updated after the step",
        ("the order inside a step: does your step use the accumulator before or after "
         "the current gradient is added to it?"),
        {"accumulate": "after"},
        detail=("add g_t^2 to the sum BEFORE dividing: the step uses s_t, which already contains the "
                "current gradient (with s_{t-1} the first step divides by eps alone)."),
    ),
    Mistake(
        "AdagradLrDecayOffByOne", "lr_decay off by one",
        "lr_decay: look at the learning rate of the very first step.",
        {"lr_decay_offset": 1},
        detail=("lr_decay is off by one: torch uses eta_t = lr / (1 + (t - 1) * lr_decay), so the first "
                "step (t = 1) has the full learning rate."),
    ),
    Mistake(
        "AdagradDecayNotAccumulated", "weight decay left out of the sum of squares",
        ("weight decay: look at which gradient (with or without the decay term) is "
         "squared into the accumulator."),
        {"weight_decay_rule": "not_accumulated"},
        detail=("add omega * theta to the gradient FIRST: the decayed gradient is both squared into the "
                "sum and used in the step."),
    ),
    Mistake(
        "AdagradDecayDecoupled", "decoupled weight decay in Adagrad",
        ("weight decay: Adagrad's weight_decay acts through the gradient; yours acts "
         "on theta directly."),
        {"weight_decay_rule": "decoupled"},
        detail=("Adagrad's weight_decay is L2: g <- g + omega * theta, not theta <- theta * (1 - lr * "
                "omega)."),
    ),
    Mistake(
        "AdagradIgnoresInitialAccumulator", "initial_accumulator_value ignored",
        ("initial_accumulator_value has no effect in your class: look at where the "
         "accumulator starts."),
        {"use_initial_accumulator": False},
        detail="the sum starts at s_0 = initial_accumulator_value, not at 0.",
    ),
]

RMSPROP_MISTAKES = [
    Mistake(
        "RMSPropWrongSign", "wrong sign",
        "your parameters move uphill: look at the sign of the update.",
        {"sign": -1.0},
        detail="your parameters move uphill: theta <- theta - lr * g / (sqrt(v_t) + eps).",
    ),
    Mistake(
        "RMSPropEpsInsideSqrt", "eps inside the square root",
        ("look at where eps sits in the denominator (it matters only when gradients "
         "are tiny)."),
        {"eps_rule": "inside_sqrt"},
        detail=("eps goes OUTSIDE the square root in torch.optim.RMSprop: sqrt(v_t) + eps, not sqrt(v_t + "
                "eps) (the difference shows when gradients are tiny)."),
    ),
    Mistake(
        "RMSPropNoEps", "eps missing",
        "something is missing from the denominator: what keeps it away from zero?",
        {"eps_rule": "none"},
        detail=("eps is missing: divide by sqrt(v_t) + eps; it is a floor under tiny averages (without it "
                "a component whose gradient is 0 gives 0/0 = nan)."),
    ),
    Mistake(
        "RMSPropNoSqrt", "missing square root",
        ("the size of your step is off: look at how the average of squares becomes the "
         "denominator (compare the units of the step and of g)."),
        {"take_sqrt": False},
        detail="divide by the square ROOT of the average of squares: sqrt(v_t) + eps, not v_t + eps.",
    ),
    Mistake(
        "RMSPropAlphaSwapped", "alpha and 1 - alpha swapped",
        "your average of squares forgets too fast: look at which term alpha weights.",
        {"alpha_swapped": True},
        detail=("alpha multiplies the OLD average: v_t = alpha * v_{t-1} + (1 - alpha) * g_t^2 (alpha = "
                "0.99 keeps a long memory)."),
    ),
    Mistake(
        "RMSPropBiasCorrected", "bias correction in RMSProp",
        ("your first steps differ from torch's by a factor that fades: does torch's "
         "RMSprop correct its average?"),
        {"bias_correction": True},
        detail=("torch.optim.RMSprop has no bias correction: divide by sqrt(v_t) + eps, not by sqrt(v_t / "
                "(1 - alpha^t)) + eps (that correction is Adam's)."),
    ),
    Mistake(
        "RMSPropCenteredIgnored", "centered=True ignored",
        ("centered=True changes nothing in your steps: look at what 'centered' "
         "subtracts from the average of squares."),
        {"centered_rule": "ignored"},
        detail=("with centered=True keep m_t = alpha * m_{t-1} + (1 - alpha) * g_t too and divide "
                "by sqrt(v_t - m_t^2) + eps (an estimate of the standard deviation)."),
    ),
    Mistake(
        "RMSPropCenteredStale", "centered with the previous average",
        ("centered: look at which gradient average (this step's or the previous one) "
         "your denominator uses."),
        {"centered_rule": "stale"},
        detail="update the gradient average first: the centered denominator uses m_t, not m_{t-1}.",
    ),
    Mistake(
        "RMSPropCenteredNoSquare", "centered without squaring the mean",
        ("centered: look at the variance estimate, and at what exactly is subtracted "
         "from the average of squares."),
        {"centered_rule": "no_square"},
        detail="the centered variance is v_t - m_t^2 (the mean SQUARED), not v_t - m_t.",
    ),
    Mistake(
        "RMSPropMomentumEwma", "EWMA momentum in RMSProp",
        ("RMSprop's momentum buffer: compare the weight the new term gets in your "
         "buffer and in torch's."),
        {"momentum_rule": "ewma"},
        detail=("RMSprop's momentum buffer is b_t = beta * b_{t-1} + g_t / (sqrt(v_t) + eps), without a (1 "
                "- beta) factor."),
    ),
    Mistake(
        "RMSPropMomentumBeforeNormalising", "momentum on the raw gradient",
        "momentum: look at what goes into RMSprop's momentum buffer.",
        {"momentum_rule": "before_normalising"},
        detail=("torch's RMSprop puts the NORMALISED gradient g_t / (sqrt(v_t) + eps) into the momentum "
                "buffer; the raw gradient does not go in."),
    ),
    Mistake(
        "RMSPropMomentumIgnored", "momentum ignored",
        "momentum > 0 changes nothing in your steps: look at the momentum buffer.",
        {"momentum_rule": "ignored"},
        detail=("with momentum > 0: b_t = beta * b_{t-1} + g_t / (sqrt(v_t) + eps), then theta <- theta - "
                "lr * b_t."),
    ),
    Mistake(
        "RMSPropDecayDecoupled", "decoupled weight decay in RMSProp",
        ("weight decay: RMSprop's weight_decay acts through the gradient; yours acts "
         "on theta directly."),
        {"weight_decay_rule": "decoupled"},
        detail="RMSprop's weight_decay is L2: g <- g + omega * theta, before the average of squares.",
    ),
]


def _adam_family(name: str) -> list[Mistake]:
    """The mistakes Adam and AdamW share; their class names start with ``name``
    ("AdamEpsInsideSqrt", "AdamWEpsInsideSqrt", ...)."""
    return [
        Mistake(
            f"{name}WrongSign", "wrong sign",
            "your parameters move uphill: look at the sign of the update.",
            {"sign": -1.0},
            detail="your parameters move uphill: theta <- theta - lr * m_hat / (sqrt(v_hat) + eps).",
        ),
        Mistake(
            f"{name}EpsInsideSqrt", "eps inside the square root",
            ("look at where eps sits in the denominator (it matters only when "
             "gradients are tiny)."),
            {"eps_rule": "inside_sqrt"},
            detail=("eps goes OUTSIDE the square root: sqrt(v_hat) + eps, not sqrt(v_hat + eps) (it "
                    "matters when gradients are tiny)."),
        ),
        Mistake(
            f"{name}EpsBeforeCorrection", "eps added before the bias correction",
            ("look at the order of eps and of the bias correction of v in the "
             "denominator."),
            {"eps_rule": "before_correction"},
            detail=("torch adds eps AFTER correcting v: sqrt(v_t) / sqrt(1 - beta2^t) + eps; your eps is "
                    "added to sqrt(v_t) before the correction (the 'efficient' form of Kingma & Ba, "
                    "section 2)."),
        ),
        Mistake(
            f"{name}NoEps", "eps missing",
            "something is missing from the denominator: what keeps it away from zero?",
            {"eps_rule": "none"},
            detail=("eps is missing: divide by sqrt(v_hat) + eps; it is a floor under tiny gradients "
                    "(without it a component whose gradient is 0 gives 0/0 = nan)."),
        ),
        Mistake(
            f"{name}NoSqrt", "missing square root",
            ("the size of your step is off: look at how v_hat becomes the denominator "
             "(compare the units of the step and of g)."),
            {"take_sqrt": False},
            detail="divide by the square ROOT of v_hat: sqrt(v_hat) + eps, not v_hat + eps.",
        ),
        Mistake(
            f"{name}NoBiasCorrection", "no bias correction",
            ("your first steps are off by factors that fade with t: look at the bias "
             "correction of both moments."),
            {"correct_m": False, "correct_v": False},
            detail=("the bias correction is missing: m_hat = m_t / (1 - beta1^t) and v_hat = v_t / (1 - "
                    "beta2^t)."),
        ),
        Mistake(
            f"{name}NoBiasCorrection1", "no bias correction of m",
            ("your first steps are off by a factor that fades with t: look at the bias "
             "correction of the first moment m."),
            {"correct_m": False},
            detail="m_t is not bias-corrected: divide it by 1 - beta1^t.",
        ),
        Mistake(
            f"{name}NoBiasCorrection2", "no bias correction of v",
            ("your first steps are off by a factor that fades with t: look at the bias "
             "correction of the second moment v."),
            {"correct_v": False},
            detail="v_t is not bias-corrected: divide it by 1 - beta2^t (sqrt(v_t) / sqrt(1 - beta2^t)).",
        ),
        Mistake(
            f"{name}BiasCorrectionTPlus1", "bias correction with t + 1",
            "the step count in the bias correction: what is t on the very first step?",
            {"t_offset": 1},
            detail=("the bias correction is off by one: the first step has t = 1, so use 1 - beta^t with "
                    "t = 1, 2, ..."),
        ),
        Mistake(
            f"{name}BiasCorrectionTFrom0", "bias correction with t from 0",
            ("the step count in the bias correction: your first correction divides by "
             "zero."),
            {"t_offset": -1},
            detail=("t counts from 1: with t = 0 the first correction is 1 - beta^0 = 0, a division by "
                    "zero. Use state['step'], which is already 1 on the first call."),
        ),
        Mistake(
            f"{name}BetasSwapped", "betas swapped",
            "the two betas: which moment does each one average?",
            {"swap_betas": True},
            detail="beta1 belongs to the first moment m and beta2 to the second moment v.",
        ),
        Mistake(
            f"{name}AmsgradIgnored", "amsgrad ignored",
            ("amsgrad=True changes nothing in your steps: look at what AMSGrad keeps "
             "in the state."),
            {"amsgrad_rule": "ignored"},
            detail="with amsgrad=True keep vmax_t = max(vmax_{t-1}, v_t) and use it in place of v_t.",
        ),
        Mistake(
            f"{name}AmsgradCorrectedMax", "amsgrad max of the corrected v",
            ("amsgrad: look at which v (raw or bias-corrected) your running maximum is "
             "taken over."),
            {"amsgrad_rule": "corrected_max"},
            detail=("torch's amsgrad keeps the max of the RAW v_t and then divides by sqrt(1 - beta2^t); "
                    "your max is taken over the corrected v_hat."),
        ),
    ]


ADAM_MISTAKES = [
    *_adam_family("Adam"),
    Mistake(
        "AdamDecayDecoupled", "Adam's L2 decay decoupled",
        ("weight decay: torch.optim.Adam's weight_decay acts through the gradient "
         "(L2); yours shrinks theta directly."),
        {"weight_decay_rule": "decoupled"},
        detail=("torch.optim.Adam's weight_decay is L2: add omega * theta to the gradient, so it passes "
                "through m and v; shrinking theta directly is AdamW (decoupled decay)."),
    ),
]

ADAMW_MISTAKES = [
    *_adam_family("AdamW"),
    Mistake(
        "AdamWDecayAfterUpdate", "AdamW decay after the update",
        "weight decay: look at when theta is shrunk, before or after the Adam step.",
        {"weight_decay_rule": "decoupled_after"},
        detail=("AdamW shrinks theta BEFORE the Adam step: theta <- theta * (1 - lr * omega), then theta "
                "<- theta - lr * m_hat / (sqrt(v_hat) + eps); yours decays after it."),
    ),
    Mistake(
        "AdamWDecayInGradient", "AdamW decay added to the gradient",
        ("weight decay: AdamW's decay is decoupled from the gradient; yours passes "
         "through m and v."),
        {"weight_decay_rule": "l2"},
        detail=("AdamW's decay is decoupled: theta <- theta * (1 - lr * omega), never added to the "
                "gradient (adding it to g is Adam's L2, which m and v then rescale)."),
    ),
    Mistake(
        "AdamWDecayWithoutLr", "AdamW decay without the learning rate",
        ("weight decay: your shrink factor has the wrong size; what scales it in "
         "torch's AdamW?"),
        {"weight_decay_rule": "decoupled_no_lr"},
        detail=("torch's AdamW multiplies the decay by the learning rate: theta <- theta * (1 - lr * "
                "omega)."),
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
