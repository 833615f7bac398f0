"""Exercise checkers. Each returns a `CheckResult`: a notebook cell that ends with a check shows
PASS, or FAIL with what went wrong and a hint. A solution that is still a stub
(``raise NotImplementedError``) is reported as "not implemented yet", never as a crash.

``core`` holds the verdicts and the guard, ``optimizer`` the optimizer grader, ``mistakes`` the
registry of known wrong optimizers it names (``classic_mistakes`` registers those of SGD,
Adagrad, RMSProp, Adam and AdamW, ``modern_mistakes`` those of notebook 09's NAdam, RAdam,
Adafactor, Muon, Lion and schedule-free AdamW), and one module per notebook holds that notebook's checks.
Every public name of every module is re-exported here.
"""

from . import (
    classic_mistakes,
    core,
    mistakes,
    modern_mistakes,
    nb00_gradient_descent,
    nb01_ewma,
    nb02_momentum,
    nb03_adagrad_rmsprop,
    nb04_adam,
    nb05_sgd_minibatch,
    nb06_lr_finder,
    nb07_lr_schedules,
    nb08_hessian,
    nb09_beyond_adam,
    nb10_initialization,
    nb11_capstone,
    optimizer,
)
from .classic_mistakes import *  # noqa: F403
from .core import *  # noqa: F403
from .mistakes import *  # noqa: F403
from .modern_mistakes import *  # noqa: F403
from .nb00_gradient_descent import *  # noqa: F403
from .nb01_ewma import *  # noqa: F403
from .nb02_momentum import *  # noqa: F403
from .nb03_adagrad_rmsprop import *  # noqa: F403
from .nb04_adam import *  # noqa: F403
from .nb05_sgd_minibatch import *  # noqa: F403
from .nb06_lr_finder import *  # noqa: F403
from .nb07_lr_schedules import *  # noqa: F403
from .nb08_hessian import *  # noqa: F403
from .nb09_beyond_adam import *  # noqa: F403
from .nb10_initialization import *  # noqa: F403
from .nb11_capstone import *  # noqa: F403
from .optimizer import *  # noqa: F403

MODULES = (core, mistakes, classic_mistakes, modern_mistakes, optimizer, nb00_gradient_descent, nb01_ewma,
           nb02_momentum, nb03_adagrad_rmsprop, nb04_adam, nb05_sgd_minibatch, nb06_lr_finder,
           nb07_lr_schedules, nb08_hessian, nb09_beyond_adam, nb10_initialization, nb11_capstone)
__all__ = [name for module in MODULES for name in module.__all__]
