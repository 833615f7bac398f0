"""One call at the top of every notebook: seed everything, apply the course style, pick a device."""

from __future__ import annotations

import os
import random

import numpy as np
import torch

from .figures_png import figure_png
from .numerics import numerics_from_env
from .plotting import use_course_style

__all__ = ["seed_everything", "setup_notebook", "default_device"]


def seed_everything(seed: int = 0) -> None:
    """Seed Python's, NumPy's and PyTorch's random number generators.

    String hashing (the iteration order of a set of strings) is not seeded: ``PYTHONHASHSEED``
    only acts when an interpreter starts, so setting it here would change nothing in the running
    kernel. Set it in the kernel's environment instead (`optim-course execute` starts its kernels
    with ``PYTHONHASHSEED=0``).
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def default_device() -> torch.device:
    """CPU by default; the GPU when one is present (set COURSE_DEVICE=cpu to force the CPU)."""
    wanted = os.environ.get("COURSE_DEVICE", "")
    if wanted:
        return torch.device(wanted)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _inline_png() -> None:
    """In IPython, render figures inline as PNG (also pyplot-free ones a cell ends with)."""
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python: nothing to set up
        return
    ip = get_ipython()
    if ip is None:
        return
    ip.run_line_magic("matplotlib", "inline")
    from matplotlib.figure import Figure

    ip.display_formatter.formatters["image/png"].for_type(Figure, figure_png)


_NUMERICS = None  # the active LastBitNudge, if COURSE_NUMERICS asked for one


def setup_notebook(seed: int = 0, threads: int | None = 1) -> torch.device:
    """Seed the RNGs, apply the course plot style, fix the thread count, return the device.

    One thread by default keeps floating-point reductions in one order from run to run; pass
    ``threads=None`` to leave PyTorch's choice. For the perturbation check (``make perturb``),
    ``COURSE_THREADS`` overrides the thread count and ``COURSE_NUMERICS=flip`` or ``up`` moves
    the last bit of every reduction, transcendental function and random draw
    (`course_utils.numerics`), as another CPU would.
    """
    global _NUMERICS
    _inline_png()
    seed_everything(seed)
    if os.environ.get("COURSE_THREADS"):
        threads = int(os.environ["COURSE_THREADS"])
    if threads is not None:
        torch.set_num_threads(threads)
    if _NUMERICS is None:
        _NUMERICS = numerics_from_env()
        if _NUMERICS is not None:
            _NUMERICS.__enter__()  # stays on for the rest of the kernel's life
    use_course_style()
    np.set_printoptions(precision=4, suppress=True)
    torch.set_printoptions(precision=4, sci_mode=False)
    return default_device()
