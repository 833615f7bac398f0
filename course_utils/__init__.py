"""course_utils: the tested helper package of *Optimization for Deep Learning*.

One job per module (CONTRIBUTING.md opens with the map). The public names of the teaching
modules and of the checkers are re-exported here, so notebooks can write
``from course_utils import SGD, quadratic, run_trajectory, plot_contour``: ``__all__`` is the
union of the modules' own ``__all__`` (a new module is added to ``MODULES``; tests/test_package.py
fails when one is missing). The authoring tools (`course_utils.authoring`: the ``optim-course``
command) are not imported here, so a student's kernel never loads nbconvert or jinja2.
"""

import importlib as _importlib

from .averages import *  # noqa: F403
from .checks import *  # noqa: F403
from .data import *  # noqa: F403
from .figures_png import *  # noqa: F403
from .hessian import *  # noqa: F403
from .initialization import *  # noqa: F403
from .landscapes import *  # noqa: F403
from .lr_finder import *  # noqa: F403
from .numerics import *  # noqa: F403
from .optim import *  # noqa: F403
from .optim_modern import *  # noqa: F403
from .plotting import *  # noqa: F403
from .schedules import *  # noqa: F403
from .session import *  # noqa: F403
from .text import *  # noqa: F403
from .training import *  # noqa: F403
from .trajectory import *  # noqa: F403
from .transformer import *  # noqa: F403
from .widgets import *  # noqa: F403

__version__ = "0.1.0"

# by name: ``course_utils.hessian`` is the function `hessian`, which the star import binds over
# the module of the same name
MODULES = tuple(_importlib.import_module(f"{__name__}.{name}") for name in (
    "averages", "checks", "data", "figures_png", "hessian", "initialization", "landscapes", "lr_finder",
    "numerics", "optim", "optim_modern", "plotting", "schedules", "session", "text", "training", "trajectory",
    "transformer", "widgets",
))
__all__ = [name for module in MODULES for name in module.__all__]
