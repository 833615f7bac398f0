"""The known mistakes of notebook 09's optimizers: NAdam, RAdam, Adafactor and Muon (``torch.optim``),
Lion (``lion_pytorch``) and schedule-free AdamW (``schedulefree``), registered with
`course_utils.checks.mistakes.register` as `classic_mistakes` registers those of 00 to 04.

Each mistake is a `Mistake` turning class-level knobs of the same-named class in
`course_utils.optim_modern` (every knob's default is the reference's rule). ``DEFAULT_CONFIGS``
holds the configurations that expose them. What the registry cannot say is kept here in
`MODERN_GRADERS`: the problems that expose the mistakes (Adafactor and Muon need matrices, Muon
refuses biases, RAdam's early momentum steps blow up on Rosenbrock), the driver that calls
schedule-free's ``train()``/``eval()`` around every step, and Muon's check that a 1-D parameter
is refused; the checks of notebook 09 run `check_optimizer` with them.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import lion_pytorch
import schedulefree
import torch

from ..optim_modern import Adafactor, Lion, Muon, NAdam, RAdam, ScheduleFreeAdamW
from .core import FAIL, CheckResult
from .mistakes import Mistake, known_mistakes, register
from .optimizer import DEFAULT_PROBLEMS, _Problem, _regression_problem

__all__ = [
    "ADAFACTOR_MISTAKES",
    "LION_MISTAKES",
    "MODERN_GRADERS",
    "MUON_MISTAKES",
    "NADAM_MISTAKES",
    "RADAM_MISTAKES",
    "SCHEDULE_FREE_MISTAKES",
    "ModernGrader",
]


def _m(name: str, mistake: str, hint: str, detail: str, **knobs: Any) -> Mistake:
    """A `Mistake`: ``hint`` (the concept, shown first) and ``detail`` (the formula, shown after
    repeated failures)."""
    return Mistake(name, mistake, hint, knobs, detail=detail)


NADAM_MISTAKES = [
    _m("NAdamMomentumProductOffByOne", "mu product off by one in the momentum term",
       "the bias correction of the momentum term: compare how far the product of momentum coefficients "
       "runs there with how far it runs in the gradient term.",
       "the momentum term is corrected by 1 - prod_{i<=t+1} beta_{1,i}: the product up to t times the NEXT "
       "coefficient beta_{1,t+1}; yours stops at t (the gradient term uses prod_{i<=t}).",
       mu_product_rule="no_next"),
    _m("NAdamConstantMomentum", "momentum_decay ignored",
       "torch's NAdam changes the momentum coefficient from step to step: look at what momentum_decay does.",
       "torch's NAdam schedules the momentum: beta_{1,t} = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay)); "
       "yours uses the constant beta1 (the paper's simplified form).", momentum_schedule="constant"),
    _m("NAdamNoLookAhead", "momentum weighted by the current coefficient",
       "NAdam's look-ahead: which step's momentum coefficient weights the momentum term?",
       "the look-ahead: the momentum term is weighted by the NEXT coefficient beta_{1,t+1} (and corrected by "
       "the product up to t+1); yours uses beta_{1,t}.", look_ahead="current"),
    _m("NAdamDecoupledIgnored", "decoupled_weight_decay ignored",
       "decoupled_weight_decay=True changes nothing in your steps: does the decay go through the gradient, "
       "or act on the weights directly?",
       "with decoupled_weight_decay=True NAdam shrinks theta by (1 - eta * omega) before the step "
       "(NAdamW) instead of adding omega * theta to the gradient.", decay_rule="always_l2"),
]

RADAM_MISTAKES = [
    _m("RAdamThresholdFour", "the paper's threshold 4",
       "your switch from the momentum step to the adaptive step comes one step off torch's: compare your "
       "threshold on rho_t (the length of the approximated SMA) with torch's.",
       "torch takes the adaptive step only when rho_t > 5; the paper's rho_t > 4 differs at t = 5 when "
       "beta2 = 0.999 (rho_5 = 4.996).", rho_threshold=4.0),
    _m("RAdamNoRectification", "rectification missing",
       "your first adaptive steps are too large: look at the factor that rectifies the variance of the "
       "adaptive learning rate.",
       "once rho_t > 5 the adaptive step is multiplied by the rectification phi_t = sqrt((rho_t - 4)(rho_t - 2) "
       "rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t)), which is small at first.", rectify=False),
    _m("RAdamEarlyStepUncorrected", "early steps with m instead of m_hat",
       "your early steps (before the adaptive step starts) are too small: is the momentum there "
       "bias-corrected?",
       "while rho_t <= 5 RAdam steps by eta * m_hat_t, the bias-corrected momentum m_t / (1 - beta1^t); "
       "yours uses m_t.", correct_m_early=False),
    _m("RAdamRhoFactor", "rho_t without the factor 2",
       "your adaptive steps start too early: check each factor in your formula for rho_t, the length of "
       "the approximated SMA.",
       "rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t): the factor 2 is missing, so rho_t passes 5 at once.",
       rho_factor=1.0),
]

ADAFACTOR_MISTAKES = [
    _m("AdafactorFactorsTransposed", "row and column factors transposed",
       "the factored second moment: which factor holds one number per row and which one per column, i.e. "
       "which dimension does each average over?",
       "the row factor R holds one number per ROW (the mean of g^2 over the columns, dim=-1) and the column "
       "factor C one per COLUMN (mean over the rows, dim=-2); V_hat = R C / mean(R).", factor_axes="transposed"),
    _m("AdafactorNoClipping", "update clipping missing",
       "Adafactor limits the size of each update: look at the update clipping (the RMS of the update "
       "against the threshold d).",
       "clip the update: U_hat = U / max(1, RMS(U) / d), with RMS(U) = sqrt(mean(U^2)).", clip_update=False),
    _m("AdafactorAbsoluteStep", "step not relative to the weights",
       "Adafactor's step size is relative to the scale of the weights: look at how the step size is computed.",
       "Adafactor's step size is relative: alpha_t = max(eps2, RMS(theta_{t-1})) * min(eta, 1/sqrt(t)); "
       "yours leaves out the RMS of the weights.", relative_step=False),
    _m("AdafactorBeta2Swapped", "beta2_hat and 1 - beta2_hat swapped",
       "the average of squared gradients: which weight does the new g^2 get, and what does the very first "
       "step see?",
       "the new g^2 enters with weight 1 - beta2_hat_t = t^beta2_decay (1 at t = 1: the first step sees only "
       "g_1^2); yours gives it beta2_hat_t.", beta2_rule="swapped"),
    _m("AdafactorRmsAfterDecay", "RMS(theta) measured after the weight decay",
       "the weight decay and the relative step size: at which moment does torch measure the scale of "
       "the weights?",
       "torch measures RMS(theta_{t-1}) for the step size BEFORE applying the weight decay.",
       rms_after_decay=True),
]

MUON_MISTAKES = [
    _m("MuonAcceptsNon2D", "Muon applied to a bias or 1-D parameter",
       "Muon orthogonalizes matrices: what should it do when it is given a bias, or any parameter that is "
       "not a matrix?",
       "torch.optim.Muon raises ValueError for any parameter that is not 2-D (biases, norms); they belong "
       "on AdamW. Raise ValueError when such a parameter is given.",
       refuse_non_2d=False),
    _m("MuonNoTransposition", "no transposition for tall matrices",
       "tall matrices (more rows than columns): look at the orientation in which torch runs Newton-Schulz, "
       "i.e. which Gram matrix it forms.",
       "torch transposes a tall matrix (more rows than columns) before Newton-Schulz, so that X X^T is the "
       "small Gram matrix, and transposes back; in bfloat16 the result rounds differently without it.",
       transpose_tall=False),
    _m("MuonCoefficientsSwapped", "Newton-Schulz coefficients b and c swapped",
       "the quintic Newton-Schulz step: check which coefficient multiplies which power of X X^T.",
       "the quintic step is X <- a X + (b A + c A^2) X with A = X X^T and (a, b, c) = (3.4445, -4.7750, "
       "2.0315): torch.addmm(A, A, A, beta=b, alpha=c).", coefficient_order=(0, 2, 1)),
    _m("MuonStepsOffByOne", "one Newton-Schulz step too few",
       "count your Newton-Schulz iterations.",
       "run exactly ns_steps Newton-Schulz iterations (5 by default).", ns_steps_offset=-1),
    _m("MuonNotBfloat16", "Newton-Schulz in float32 instead of bfloat16",
       "the precision of Newton-Schulz: in which dtype does torch run the iteration?",
       "torch runs the Newton-Schulz iteration in bfloat16 (G.bfloat16() first); to match it, do the same.",
       ns_dtype=torch.float32),
    _m("MuonNoNormalization", "no normalization before Newton-Schulz",
       "what Newton-Schulz needs of its input: look at the scale of the matrix (its singular values) before "
       "the first iteration.",
       "divide by the Frobenius norm first, X / max(||X||_F, eps), so that every singular value is at most 1.",
       normalize="none"),
    _m("MuonEpsAdded", "eps added to the norm instead of clamping it",
       "the normalization before Newton-Schulz: how does torch keep a tiny norm from dividing by almost zero?",
       "torch divides by ||X||_F.clamp(min=eps); X / (||X||_F + eps) differs when the norm is small.",
       normalize="add"),
    _m("MuonNesterovIgnored", "nesterov=True ignored",
       "nesterov=True changes nothing in your steps: look at which matrix is orthogonalized with Nesterov "
       "momentum.",
       "with nesterov=True orthogonalize (1 - beta) g_t + beta m_t (beta: `momentum`; m_t: the momentum "
       "average, beta m_{t-1} + (1 - beta) g_t), i.e. grad.lerp(m, momentum), not m_t itself.",
       nesterov_rule="ignored"),
    _m("MuonNoShapeFactor", "learning rate not adjusted to the shape",
       "the learning rate of a non-square matrix: torch adjusts it to the matrix's shape (adjust_lr_fn).",
       "torch scales the step by sqrt(max(1, rows / cols)) (adjust_lr_fn 'original'; 0.2 sqrt(max(rows, "
       "cols)) for 'match_rms_adamw').", adjust_lr=False),
    _m("MuonDecayWithAdjustedLr", "weight decay with the adjusted lr",
       "the decoupled weight decay: which learning rate does it use, the plain one or the shape-adjusted one?",
       "the decoupled decay uses the plain eta, theta * (1 - eta * omega), not the shape-adjusted eta.",
       decay_with_adjusted_lr=True),
]

LION_MISTAKES = [
    _m("LionMomentumFirst", "interpolation and momentum update swapped",
       "the order of Lion's two averages: does the step's direction use the old momentum or the new one?",
       "Lion interpolates with the OLD momentum, u_t = beta1 m_{t-1} + (1 - beta1) g_t, steps along sign(u_t), "
       "and only then updates m_t = beta2 m_{t-1} + (1 - beta2) g_t; yours updates m first.",
       momentum_first=True),
    _m("LionBetasSwapped", "betas swapped",
       "Lion's two coefficients have different jobs: which one sets the step's direction, and which one "
       "the momentum's decay?",
       "beta1 (0.9) interpolates the step's direction, beta2 (0.99) is the momentum's decay: u_t uses beta1, "
       "m_t uses beta2.", betas_swapped=True),
    _m("LionDecayWithoutLr", "decoupled decay missing the lr",
       "the strength of Lion's decoupled weight decay: look at what omega is multiplied by.",
       "Lion's decay is multiplied by the learning rate: theta <- theta * (1 - eta * omega).",
       decay_rule="no_lr"),
    _m("LionNoSign", "sign missing",
       "Lion's update direction: every coordinate should move by the same amount.",
       "Lion steps along sign(u_t): every coordinate moves by exactly eta; yours steps along u_t itself.",
       use_sign=False),
]

SCHEDULE_FREE_MISTAKES = [
    _m("ScheduleFreeEvalNotSwitched", "schedule-free's eval weights not switched",
       "eval() must change the parameters: which point is evaluated, the training point or the average?",
       "eval() must load the average z_bar = (theta - (1 - beta1) z) / beta1 into the parameters "
       "(p.lerp_(z, 1 - 1/beta1)); yours leaves the training point theta there.", eval_switch=False),
    _m("ScheduleFreeInterpolationSwapped", "beta1 and 1 - beta1 swapped in theta",
       "the gradient point interpolates between z and the average z_bar: which of the two gets beta1's "
       "weight?",
       "the gradient point is theta = (1 - beta1) z + beta1 z_bar: close to the average z_bar when beta1 = 0.9.",
       interpolation_swapped=True),
    _m("ScheduleFreeUniformAverage", "averaging weights ignore the warmup",
       "the weights of the average: during a warmup the iterates do not all count equally; look at how the "
       "weight of an iterate depends on the learning rate.",
       "the weight of z_t in the average is nu_t / sum_i nu_i with nu_t = t^r * (max eta so far)^weight_lr_power, "
       "not 1/t: during a warmup the later iterates count more.", average_rule="uniform"),
    _m("ScheduleFreeDecayAtZ", "weight decay at z",
       "the point at which the weight decay is evaluated: of theta, z and z_bar, which one does torch use?",
       "schedule-free AdamW evaluates the weight decay at the gradient point theta (y in the paper), not at z.",
       decay_at="z"),
    _m("ScheduleFreeNoBiasCorrection", "no bias correction of v",
       "the average of squared gradients starts at zero: is it bias-corrected in your denominator?",
       "divide v_t by 1 - beta2^t inside the square root: sqrt(v_t / (1 - beta2^t)) + eps.",
       bias_correction=False),
]


register(torch.optim.NAdam, NAdam, NADAM_MISTAKES, [
    {"lr": 0.01},
    {"lr": 0.01, "momentum_decay": 0.1},
    {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True},
])
register(torch.optim.RAdam, RAdam, RADAM_MISTAKES, [
    {"lr": 0.01},
    {"lr": 0.01, "betas": (0.9, 0.99)},
    {"lr": 0.01, "weight_decay": 0.1},
])
register(torch.optim.Adafactor, Adafactor, ADAFACTOR_MISTAKES, [
    {"lr": 0.01},
    {"lr": 0.05, "weight_decay": 0.5},
])
register(torch.optim.Muon, Muon, MUON_MISTAKES, [
    {"lr": 0.02},
    {"lr": 0.02, "nesterov": False},
])
register(lion_pytorch.Lion, Lion, LION_MISTAKES, [
    {"lr": 0.01},
    {"lr": 0.01, "weight_decay": 0.5},
    {"lr": 0.01, "betas": (0.5, 0.8)},
])
register(schedulefree.AdamWScheduleFree, ScheduleFreeAdamW, SCHEDULE_FREE_MISTAKES, [
    {"lr": 0.01},
    {"lr": 0.01, "warmup_steps": 5},
    {"lr": 0.01, "weight_decay": 0.1},
])


# --------------------------------------------------------------------------------------------
# Problems that expose the mistakes
# --------------------------------------------------------------------------------------------
def _matrix_problem(shapes: Sequence[tuple[int, int]], scale: float, label: str, bias: bool = False) -> _Problem:
    """A tanh network x -> W_k ... tanh(W_1 x) (with biases if ``bias``) on fixed data, times ``scale``."""

    def make():
        gen = torch.Generator().manual_seed(3)
        X = torch.randn(shapes[0][1], 16, generator=gen, dtype=torch.float64)
        y = torch.randn(shapes[-1][0], 16, generator=gen, dtype=torch.float64)
        Ws = [torch.randn(*s, generator=gen, dtype=torch.float64).div_(s[1] ** 0.5).requires_grad_() for s in shapes]
        bs = [torch.zeros(s[0], dtype=torch.float64, requires_grad=True) for s in shapes] if bias else []

        def loss(ps):
            Ws, bs = ps[: len(shapes)], ps[len(shapes):]
            h = X
            for k, W in enumerate(Ws):
                h = W @ h + (bs[k][:, None] if bs else 0.0)
                if k < len(Ws) - 1:
                    h = torch.tanh(h)
            return scale * ((h - y) ** 2).mean()

        return [*Ws, *bs], loss

    return _Problem(label + (f" x {scale:g}" if scale != 1.0 else ""), make)


_SQUARE = [(4, 4), (4, 4)]
_RECTANGULAR = [(6, 3), (2, 6)]  # tall, then wide
ADAFACTOR_PROBLEMS = [
    _matrix_problem(_SQUARE, 1.0, "a two-layer tanh network with 4 x 4 matrices and biases", bias=True),
    _matrix_problem(_RECTANGULAR, 1.0, "a tanh network with a tall 6 x 3 and a wide 2 x 6 matrix", bias=True),
    _regression_problem(scale=1e-8),
]
MUON_PROBLEMS = [
    _matrix_problem([(6, 3), (6, 6), (2, 6)], 1.0, "a bias-free tanh network (6 x 3, 6 x 6, 2 x 6)"),
    _matrix_problem([(6, 3), (6, 6), (2, 6)], 1e-6, "a bias-free tanh network (6 x 3, 6 x 6, 2 x 6)"),
]


# --------------------------------------------------------------------------------------------
# Graders
# --------------------------------------------------------------------------------------------
def _identity(cls: Any) -> Any:
    return cls


def schedule_free_driver(cls: Any) -> type:
    """Drive a schedule-free optimizer as ``train(); step(); eval()`` at every step, so that the path
    `check_optimizer` records is the eval weights z_bar after every step (each gradient is taken where
    the parameters stand, at z_bar: a test harness that exercises step, train and eval every step)."""

    def __init__(self, params, **config):
        self.inner = cls(params, **config)

    try:
        __init__.__signature__ = inspect.signature(cls.__init__)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        pass

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.inner.zero_grad(set_to_none=set_to_none)

    def step(self, closure=None):
        self.inner.train()
        loss = self.inner.step(closure)
        self.inner.eval()
        return loss

    attrs = {"__init__": __init__, "zero_grad": zero_grad, "step": step, "__doc__": schedule_free_driver.__doc__}
    if isinstance(getattr(cls, "defaults_", None), dict):
        attrs["defaults_"] = cls.defaults_
    return type(getattr(cls, "__name__", "ScheduleFree"), (), attrs)


def _refuses_non_2d(student_cls: Any) -> CheckResult | None:
    """A FAIL naming the mistake if ``student_cls`` accepts a 1-D parameter (at construction or first step)."""
    bias = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    try:
        opt = student_cls([bias], lr=0.02)
        bias.sum().backward()
        opt.step()
    except ValueError:
        return None
    except NotImplementedError:
        raise
    except Exception as exc:  # noqa: BLE001
        return CheckResult(FAIL, f"{getattr(student_cls, '__name__', student_cls)} against torch.optim.Muon",
                           f"given a bias (shape (3,)) your optimizer raised {type(exc).__name__}: {exc}",
                           "raise ValueError for a parameter that is not 2-D, as torch.optim.Muon does.")
    refused = next(m for m in MUON_MISTAKES if m.name == "MuonAcceptsNon2D")
    return CheckResult(FAIL, f"{getattr(student_cls, '__name__', student_cls)} against torch.optim.Muon",
                       "your optimizer accepted and stepped a bias (shape (3,)); torch.optim.Muon raises ValueError",
                       refused.hint, refused.detail)


@dataclass
class ModernGrader:
    """What `check_optimizer` needs for one optimizer of notebook 09 besides the registry: the
    problems, a wrapper for the student's class, the reference and the mutants (schedule-free's
    driver), and a check run first (Muon's refusal of 1-D parameters, a mistake no path shows)."""

    reference: Any
    reference_name: str
    problems: list[_Problem] | None = None
    steps: int = 30
    wrap: Callable[[Any], Any] = _identity
    precheck: Callable[[Any], CheckResult | None] | None = None
    skip_in_check: tuple[str, ...] = field(default_factory=tuple)  # mistakes found by precheck, not by paths

    def mutants(self) -> list[tuple[str, str, Any]]:
        """(hint, detail, wrapped mutant class) for every registered mistake that shows in a path."""
        return [(m.hint, m.detail, self.wrap(m)) for m in known_mistakes(self.reference)
                if m.__name__ not in self.skip_in_check]


MODERN_GRADERS: dict[str, ModernGrader] = {
    "NAdam": ModernGrader(torch.optim.NAdam, "torch.optim.NAdam"),
    # on Rosenbrock RAdam's early momentum steps (lr * m_hat) blow up
    "RAdam": ModernGrader(torch.optim.RAdam, "torch.optim.RAdam", problems=list(DEFAULT_PROBLEMS[1:])),
    "Adafactor": ModernGrader(torch.optim.Adafactor, "torch.optim.Adafactor", problems=ADAFACTOR_PROBLEMS),
    "Muon": ModernGrader(torch.optim.Muon, "torch.optim.Muon", problems=MUON_PROBLEMS, precheck=_refuses_non_2d,
                         skip_in_check=("MuonAcceptsNon2D",)),
    "Lion": ModernGrader(lion_pytorch.Lion, "lion_pytorch.Lion"),
    "ScheduleFreeAdamW": ModernGrader(schedulefree.AdamWScheduleFree, "schedulefree.AdamWScheduleFree",
                                      wrap=schedule_free_driver),
}
"""optimizer name -> what its check needs besides the registry (configurations: ``DEFAULT_CONFIGS``)."""
