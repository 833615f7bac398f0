"""course_utils: the tested helper package of *Optimization for Deep Learning*.

One job per module; the public names are re-exported here so notebooks can write
``from course_utils import SGD, quadratic, run_trajectory, plot_contour``.
"""

from .averages import effective_window, ewma, ewma_weights
from .checks import (
    CheckResult,
    check_accumulation,
    check_bias_steps,
    check_critical_lr,
    check_ewma,
    check_ewma_weights,
    check_loader,
    check_minibatch_variance,
    check_optimizer,
    check_trajectory_logger,
    check_value,
    minibatch_gradient_variance,
)
from .data import Split, cubic_data, linear_regression_data, load_digits
from .landscapes import (
    LANDSCAPES,
    CriticalPoint,
    Landscape,
    himmelblau,
    monkey_saddle,
    pathological,
    quadratic,
    rosenbrock,
    saddle,
)
from .mistakes import DEFAULT_CONFIGS, KNOWN_MISTAKES, Mutant
from .optim import GD, SGD, Adagrad, Adam, AdamW, Interval, OptimizerBase, RMSProp
from .plotting import (
    COURSE_STYLE,
    PALETTE,
    new_figure,
    plot_contour,
    plot_losses,
    plot_surface,
    plot_trajectories,
    use_course_style,
)
from .session import default_device, seed_everything, setup_notebook
from .checks import (  # notebooks 06 and 07
    check_lr_pick,
    check_lr_sequence,
    check_scheduler_order,
    check_set_lr,
    check_warmup_cosine,
)
from .lr_finder import LRFinderResult, lr_range_test, lr_schedule, plot_lr_finder, suggest_lrs, valley_index
from .schedules import (
    SCHEDULES,
    as_lambda_lr,
    compare_lrs,
    constant,
    cosine,
    cosine_warm_restarts,
    exponential,
    get_schedule,
    inverse_time,
    one_cycle,
    polynomial,
    schedule_lrs,
    step_decay,
    torch_lrs,
    warmup_cosine,
)
from .checks import check_critical_point_kinds, check_power_iteration  # notebook 08
from .hessian import (  # notebook 08
    EigenResult,
    HessianOperator,
    MatrixOperator,
    SpectralDensity,
    TraceEstimate,
    classify_critical_point,
    flatten,
    hessian,
    hutchinson_trace,
    hvp,
    hvp_func,
    lanczos,
    lanczos_spectrum,
    num_parameters,
    power_iteration,
    spectral_radius,
    top_eigenvalues,
    unflatten,
)
from .trajectory import Trajectory, run_trajectory
from .training import History, evaluate, make_mlp, train
from .widgets import (
    Slider,
    TrajectoryExplorer,
    draw_explorer,
    explorer_figure,
    explorer_trajectories,
    resolve_hyperparameters,
    trajectory_explorer,
)

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_CONFIGS", "KNOWN_MISTAKES", "Mutant",
    "Adagrad", "Adam", "AdamW", "CheckResult", "COURSE_STYLE", "CriticalPoint", "GD", "Interval",
    "LANDSCAPES", "Landscape", "OptimizerBase", "PALETTE", "RMSProp", "SGD", "Trajectory",
    "check_bias_steps", "check_critical_lr", "check_ewma", "check_ewma_weights", "check_optimizer",
    "check_trajectory_logger", "check_value", "default_device", "effective_window", "ewma",
    "ewma_weights", "himmelblau", "monkey_saddle", "new_figure", "pathological", "plot_contour",
    "plot_losses", "plot_surface", "plot_trajectories", "quadratic", "rosenbrock",
    "run_trajectory", "saddle", "seed_everything", "setup_notebook", "use_course_style",
    "Split", "cubic_data", "linear_regression_data", "load_digits",
    "History", "evaluate", "make_mlp", "train",
    "check_accumulation", "check_loader", "check_minibatch_variance", "minibatch_gradient_variance",
    "Slider", "TrajectoryExplorer", "draw_explorer", "explorer_figure", "explorer_trajectories",
    "resolve_hyperparameters", "trajectory_explorer",
    "check_lr_pick", "check_lr_sequence", "check_scheduler_order", "check_set_lr", "check_warmup_cosine",
    "LRFinderResult", "lr_range_test", "lr_schedule", "plot_lr_finder", "suggest_lrs", "valley_index",
    "SCHEDULES", "as_lambda_lr", "compare_lrs", "constant", "cosine", "cosine_warm_restarts",
    "exponential", "get_schedule", "inverse_time", "one_cycle", "polynomial", "schedule_lrs",
    "step_decay", "torch_lrs", "warmup_cosine",
    "EigenResult", "HessianOperator", "MatrixOperator", "SpectralDensity", "TraceEstimate",
    "classify_critical_point", "flatten", "hessian", "hutchinson_trace", "hvp", "hvp_func", "lanczos",
    "lanczos_spectrum", "num_parameters", "power_iteration", "spectral_radius", "top_eigenvalues",
    "unflatten",
    "check_critical_point_kinds", "check_power_iteration",
]
