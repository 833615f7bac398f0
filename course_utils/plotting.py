"""Figures in one course style: contour plots with trajectories, 3-D surfaces, loss curves.

Every function returns a `matplotlib.figure.Figure` (or draws on an ``ax`` it is given) and never
calls ``plt.show()``. Figures are created without pyplot, so a notebook cell shows a figure once,
by ending with it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.ticker import LogLocator

from .landscapes import Landscape
from .trajectory import Trajectory

__all__ = [
    "PALETTE",
    "COURSE_STYLE",
    "use_course_style",
    "new_figure",
    "plot_contour",
    "plot_surface",
    "plot_losses",
    "SparseLogMinorLocator",
    "plot_trajectories",
]

# Okabe & Ito (2008), a palette that stays distinct under the common colour-vision deficiencies.
PALETTE: list[str] = [
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#000000",  # black
    "#F0E442",  # yellow (last: poor contrast on white)
]

COURSE_STYLE: dict[str, Any] = {
    "axes.prop_cycle": mpl.cycler(color=PALETTE),
    "axes.grid": True,
    "grid.linestyle": ":",
    "grid.alpha": 0.6,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "legend.fontsize": 9,
    "legend.framealpha": 0.9,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "figure.dpi": 90,
    "savefig.dpi": 90,
    "figure.constrained_layout.use": True,
    "lines.linewidth": 1.8,
    "image.cmap": "viridis",
}


def use_course_style() -> None:
    """Apply the course style to matplotlib's global settings."""
    mpl.rcParams.update(COURSE_STYLE)


def new_figure(
    nrows: int = 1, ncols: int = 1, figsize: tuple[float, float] | None = None, **kw: Any
) -> tuple[Figure, Any]:
    """A pyplot-free figure and its axes (as ``plt.subplots``), in the course style."""
    with mpl.rc_context(COURSE_STYLE):
        fig = Figure(figsize=figsize or (5.0 * ncols, 4.2 * nrows), layout="constrained")
        axes = fig.subplots(nrows, ncols, **kw)
    return fig, axes


class SparseLogMinorLocator(LogLocator):
    """Minor ticks at 2..9 x 10^k on a log axis spanning at most ``max_decades`` decades, none
    on a wider one (where they are clutter, and a quarter of the figure's drawing time)."""

    def __init__(self, max_decades: float = 3.0) -> None:
        super().__init__(base=10.0, subs="auto")
        self.max_decades = max_decades

    def tick_values(self, vmin: float, vmax: float) -> np.ndarray:
        lo, hi = sorted((vmin, vmax))
        if lo > 0 and np.log10(hi / lo) > self.max_decades:
            return np.array([])
        return super().tick_values(vmin, vmax)


def _color(i: int) -> str:
    return PALETTE[i % (len(PALETTE) - 1)]  # skip yellow unless there are many lines


def plot_contour(
    landscape: Landscape,
    trajectories: Sequence[Trajectory] = (),
    *,
    ax: Axes | None = None,
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
    n: int = 200,
    levels: int | Sequence[float] = 25,
    log_scale: bool = False,
    title: str | None = None,
    mark_critical: bool = True,
    colors: Sequence[str] | None = None,
    markersize: float = 3.0,
) -> Figure:
    """Filled contours of ``landscape`` with optimizer ``trajectories`` drawn on top.

    ``log_scale`` spaces the levels logarithmically (for landscapes such as Rosenbrock whose
    loss spans decades). Known critical points are marked (minimum: star, saddle: x).
    """
    if ax is None:
        fig, ax = new_figure(figsize=(5.6, 4.6))
    fig = ax.figure
    xlim, ylim = xlim or landscape.xlim, ylim or landscape.ylim
    X, Y, Z = (t.numpy() for t in landscape.grid(n, xlim, ylim))
    with mpl.rc_context(COURSE_STYLE):
        if log_scale:
            zmin = max(float(np.nanmin(Z)), 0.0)
            shifted = Z - zmin + 1e-3
            lv = np.geomspace(shifted.min(), shifted.max(), levels if isinstance(levels, int) else len(levels))
            cs = ax.contourf(X, Y, shifted, levels=lv, norm=LogNorm(), cmap="Greys_r", alpha=0.85)
            ax.contour(X, Y, shifted, levels=lv, colors="white", linewidths=0.4, alpha=0.6)
            label = "loss (log scale, shifted)"
        else:
            cs = ax.contourf(X, Y, Z, levels=levels, cmap="Greys_r", alpha=0.85)
            ax.contour(X, Y, Z, levels=cs.levels, colors="white", linewidths=0.4, alpha=0.6)
            label = "loss"
        fig.colorbar(cs, ax=ax, label=label, shrink=0.9, format="%.3g")
        if mark_critical:
            markers = {"minimum": "*", "maximum": "^", "saddle": "X", "degenerate": "D"}
            seen: set[str] = set()
            for cp in landscape.critical_points:
                if xlim[0] <= cp.x <= xlim[1] and ylim[0] <= cp.y <= ylim[1]:
                    ax.plot(
                        cp.x, cp.y, markers.get(cp.kind, "o"), color="#F0E442", markersize=12,
                        markeredgecolor="black", zorder=5,
                        label=None if cp.kind in seen else cp.kind,
                    )
                    seen.add(cp.kind)
        for i, tr in enumerate(trajectories):
            c = colors[i] if colors is not None else _color(i)
            pos = tr.positions
            ax.plot(pos[:, 0], pos[:, 1], "-o", color=c, markersize=markersize, linewidth=1.4,
                    label=tr.label, zorder=4)
            ax.plot(pos[0, 0], pos[0, 1], "o", color=c, markersize=7, markeredgecolor="black", zorder=6)
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        ax.set_xlabel("$w_0$")
        ax.set_ylabel("$w_1$")
        ax.set_title(title if title is not None else f"{landscape.name}: {landscape.formula}")
        if trajectories or (mark_critical and landscape.critical_points):
            ax.legend(loc="best")
        ax.grid(False)
    return fig


def plot_surface(
    landscape: Landscape,
    *,
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
    n: int = 80,
    title: str | None = None,
    ax: Axes | None = None,
    elev: float = 35.0,
    azim: float = -60.0,
) -> Figure:
    """A 3-D surface plot of ``landscape``."""
    if ax is None:
        with mpl.rc_context(COURSE_STYLE):
            fig = Figure(figsize=(5.6, 4.6), layout="constrained")
            ax = fig.add_subplot(111, projection="3d")
    fig = ax.figure
    X, Y, Z = (t.numpy() for t in landscape.grid(n, xlim, ylim))
    with mpl.rc_context(COURSE_STYLE):
        surf = ax.plot_surface(X, Y, Z, cmap="viridis", linewidth=0, antialiased=True, alpha=0.95)
        fig.colorbar(surf, ax=ax, label="loss", shrink=0.6, pad=0.1, format="%.3g")
        ax.view_init(elev=elev, azim=azim)
        ax.set_xlabel("$w_0$")
        ax.set_ylabel("$w_1$")
        ax.set_zlabel("loss")
        ax.set_title(title if title is not None else f"{landscape.name}: {landscape.formula}")
    return fig


def plot_losses(
    curves: Sequence[Trajectory] | Mapping[str, Sequence[float]],
    *,
    ax: Axes | None = None,
    logy: bool = False,
    title: str = "Loss per step",
    xlabel: str = "step $t$",
    ylabel: str = "loss",
    colors: Sequence[str] | None = None,
) -> Figure:
    """Loss curves: from trajectories, or from a mapping label -> values."""
    if ax is None:
        fig, ax = new_figure(figsize=(5.6, 4.2))
    fig = ax.figure
    items = list(curves.items()) if isinstance(curves, Mapping) else [(t.label, t.losses) for t in curves]
    with mpl.rc_context(COURSE_STYLE):
        for i, (label, values) in enumerate(items):
            c = colors[i] if colors is not None else _color(i)
            ax.plot(np.arange(len(values)), np.asarray(values, dtype=float), color=c, label=label)
        if logy:
            ax.set_yscale("log")
            ax.yaxis.set_minor_locator(SparseLogMinorLocator())
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel + (" (log scale)" if logy else ""))
        ax.set_title(title)
        if items:
            ax.legend(loc="best")
    return fig


def plot_trajectories(
    landscape: Landscape,
    trajectories: Sequence[Trajectory],
    *,
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
    logy: bool = False,
    log_scale: bool = False,
    title: str | None = None,
    colors: Sequence[str] | None = None,
) -> Figure:
    """Two panels: the trajectories on the contour (left) and their losses per step (right)."""
    fig, (ax0, ax1) = new_figure(1, 2, figsize=(11.5, 4.6))
    plot_contour(landscape, trajectories, ax=ax0, xlim=xlim, ylim=ylim, log_scale=log_scale,
                 colors=colors, title="Trajectories on " + landscape.name)
    plot_losses(trajectories, ax=ax1, logy=logy, colors=colors, title="Loss at each recorded point")
    if title:
        fig.suptitle(title)
    return fig
