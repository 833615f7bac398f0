"""Interactive explorers: sliders for hyperparameters (eta, beta, ...) that rerun and redraw.

The computing part is pure and testable without a browser:

* `explorer_trajectories(landscape, optimizers, start, steps, values)` runs every optimizer with
  the hyperparameters that the slider ``values`` give it and returns the trajectories;
* `explorer_figure(...)` draws them (contour + loss per step, drawn as an `ExplorerStyle`
  says) and returns the figure; `draw_explorer(...)` draws trajectories computed elsewhere.

`trajectory_explorer(...)` wires one slider per hyperparameter to `explorer_figure`: moving a
slider reruns `run_trajectory` for every optimizer and redraws the figure in an ``Output`` widget.

``optimizers`` maps a label to one of

* ``cls``: an optimizer class (ours or ``torch.optim``'s); it receives every slider value whose
  name it accepts as a keyword (``GD`` takes ``lr`` but not ``momentum``);
* ``(cls, fixed)``: ``fixed`` is a dict of hyperparameters held constant; they win over sliders
  of the same name;
* ``(cls, fn)``: ``fn(values) -> dict`` maps the slider values to the hyperparameters, e.g.
  ``(torch.optim.SGD, lambda v: {"lr": v["eta"] * (1 - v["beta"]), "momentum": v["beta"]})``.

``sliders`` maps a slider name to ``(min, max, step, initial)`` (a linear slider) or to
``(min, max, step, initial, "log")`` (a log-scale slider: min, max and initial are values, step
is in decades, e.g. ``(1e-3, 1.0, 0.1, 0.01, "log")``), or to a `Slider`.
"""

from __future__ import annotations

import inspect
import math
import re
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from .landscapes import Landscape
from .plotting import new_figure, plot_contour, plot_losses
from .trajectory import Trajectory, run_trajectory

__all__ = [
    "ExplorerStyle",
    "Slider",
    "TrajectoryExplorer",
    "draw_explorer",
    "explorer_figure",
    "explorer_runs",
    "explorer_trajectories",
    "resolve_hyperparameters",
    "trajectory_explorer",
]

OptimizerSpec = Any  # cls | (cls, dict) | (cls, Callable[[dict], dict])


@dataclass(frozen=True)
class Slider:
    """A slider's range: linear (``min + k * step``) or, with ``log=True``, logarithmic
    (values ``10 ** (log10(min) + k * step)``: ``step`` is in decades)."""

    min: float
    max: float
    step: float
    value: float
    log: bool = False

    def __post_init__(self) -> None:
        if not self.min < self.max:
            raise ValueError(f"slider min must be < max, got min={self.min!r}, max={self.max!r}")
        if not self.step > 0:
            raise ValueError(f"slider step must be > 0, got {self.step!r}")
        if not self.min <= self.value <= self.max:
            raise ValueError(
                f"slider initial value must be in [{self.min:g}, {self.max:g}], got {self.value!r}"
            )
        if self.log and not self.min > 0:
            raise ValueError(f"a log-scale slider needs min > 0, got {self.min!r}")

    @classmethod
    def from_spec(cls, spec: Slider | Sequence[Any]) -> Slider:
        """A `Slider` from ``(min, max, step, initial)`` or ``(min, max, step, initial, "log")``."""
        if isinstance(spec, Slider):
            return spec
        spec = tuple(spec)
        if len(spec) == 4:
            return cls(*(float(s) for s in spec))
        if len(spec) == 5 and spec[4] in ("log", "linear"):
            return cls(*(float(s) for s in spec[:4]), log=spec[4] == "log")
        raise ValueError(
            "a slider is (min, max, step, initial) or (min, max, step, initial, 'log'), "
            f"got {spec!r}"
        )

    def widget(self, name: str, continuous_update: bool = False) -> Any:
        """The ipywidgets slider: ``FloatLogSlider`` (base 10) or ``FloatSlider``."""
        import ipywidgets as w

        common = {"description": name, "continuous_update": continuous_update,
                  "style": {"description_width": "initial"}}
        if self.log:
            return w.FloatLogSlider(value=self.value, base=10, min=math.log10(self.min),
                                    max=math.log10(self.max), step=self.step,
                                    readout_format=".3g", **common)
        digits = max(0, -math.floor(math.log10(self.step))) if self.step < 1 else 0
        return w.FloatSlider(value=self.value, min=self.min, max=self.max, step=self.step,
                             readout_format=f".{digits}f", **common)


def _accepted_keywords(cls: Any) -> set[str] | None:
    """The hyperparameters ``cls`` accepts: ``defaults_`` for ours, the signature for torch's
    (None when it takes ``**kwargs``, i.e. anything)."""
    declared = getattr(cls, "defaults_", None)
    if isinstance(declared, dict):
        return set(declared)
    try:
        params = inspect.signature(cls).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return None
    return {p.name for p in params if p.kind is not inspect.Parameter.VAR_POSITIONAL} - {"params"}


def _split_spec(label: str, spec: OptimizerSpec) -> tuple[Any, dict[str, Any] | Callable[[dict], dict]]:
    if isinstance(spec, tuple):
        if len(spec) != 2 or not (isinstance(spec[1], dict) or callable(spec[1])):
            raise ValueError(
                f"optimizers[{label!r}] must be a class, (class, fixed_hyperparameters) or "
                f"(class, values -> hyperparameters), got {spec!r}"
            )
        return spec[0], spec[1]
    return spec, {}


def resolve_hyperparameters(spec: OptimizerSpec, values: Mapping[str, float], label: str = "") -> tuple[Any, dict[str, Any]]:
    """``(cls, hyperparameters)`` for one optimizer entry given the slider ``values``.

    A class receives each slider value it accepts, then its fixed hyperparameters on top;
    a ``(cls, fn)`` entry receives exactly ``fn(values)``.
    """
    cls, extra = _split_spec(label, spec)
    if callable(extra):
        return cls, dict(extra(dict(values)))
    accepted = _accepted_keywords(cls)
    hp = {k: v for k, v in values.items() if accepted is None or k in accepted}
    hp.update(extra)
    return cls, hp


def explorer_runs(
    landscape: Landscape,
    optimizers: Mapping[str, OptimizerSpec],
    start: Sequence[float],
    steps: int,
    values: Mapping[str, float],
) -> tuple[list[Trajectory], list[str]]:
    """`explorer_trajectories`, except that an optimizer that refuses the slider values (raises
    ``ValueError``, e.g. ``nesterov=True`` with momentum 0) is skipped: returns the trajectories
    of the others and one line per skipped run, ``"<label> skipped: <reason>"``."""
    if not optimizers:
        raise ValueError("optimizers must name at least one optimizer")
    trajectories, skipped = [], []
    for label, spec in optimizers.items():
        try:
            trajectories.append(_one_run(landscape, label, spec, start, steps, values))
        except ValueError as err:
            reason = " ".join(str(err).split()) or type(err).__name__
            skipped.append(f"{label} skipped: {reason}")
    return trajectories, skipped


def _one_run(landscape: Landscape, label: str, spec: OptimizerSpec, start: Sequence[float], steps: int,
             values: Mapping[str, float]) -> Trajectory:
    cls, hp = resolve_hyperparameters(spec, values, label)
    tr = run_trajectory(landscape, cls, start, steps, **hp)
    shown = ", ".join(f"{k}={v:.3g}" for k, v in hp.items() if isinstance(v, float))
    tr.label = f"{label} ({shown})" if shown else label
    if tr.diverged:
        tr.label += f", diverged at step {len(tr) - 1}"
    return tr


def explorer_trajectories(
    landscape: Landscape,
    optimizers: Mapping[str, OptimizerSpec],
    start: Sequence[float],
    steps: int,
    values: Mapping[str, float],
) -> list[Trajectory]:
    """One `run_trajectory` per optimizer, with the hyperparameters the slider ``values`` give it.

    Each trajectory is labelled ``label (name=value, ...)``; a diverged run is marked so. An
    optimizer that refuses the values raises (`explorer_runs` skips it instead).
    """
    if not optimizers:
        raise ValueError("optimizers must name at least one optimizer")
    return [_one_run(landscape, label, spec, start, steps, values) for label, spec in optimizers.items()]


_DIVERGED = re.compile(r", diverged at step (\d+)$")


def _status_line(trajectories: Sequence[Trajectory], notes: Sequence[str]) -> str:
    """"GD diverged at step 12; Nesterov skipped: ..." (empty when every run is fine)."""
    parts = []
    for tr in trajectories:
        m = _DIVERGED.search(tr.label)
        if m:
            parts.append(f"{_short(tr.label).split(' (')[0]} diverged at step {m.group(1)}")
    return "; ".join([*parts, *notes])


def _short(label: str) -> str:
    """A legend label: the optimizer's name and hyperparameters, without the divergence note."""
    return _DIVERGED.sub("", label)


def _wrap(text: str, width_in: float, fontsize: float) -> str:
    """``text`` wrapped at word boundaries to fit ``width_in`` inches at ``fontsize`` points."""
    chars = max(20, int(width_in * 72 / (0.5 * fontsize)))
    return "\n".join(textwrap.wrap(text, chars, break_long_words=False, break_on_hyphens=False)) if text else ""


@dataclass(frozen=True)
class ExplorerStyle:
    """How an explorer figure is drawn: the contour panel's ``xlim``/``ylim`` and ``log_scale``,
    the loss panel's ``logy`` (None: a log scale when every loss is positive), the ``title``
    (None: the slider values and the number of steps), the trajectories' ``colors``, the contour
    grid's resolution ``n`` (n x n points), ``figsize`` in inches and ``dpi`` (None: the course
    style's)."""

    xlim: tuple[float, float] | None = None
    ylim: tuple[float, float] | None = None
    logy: bool | None = None
    log_scale: bool = False
    title: str | None = None
    colors: Sequence[str] | None = None
    n: int = 120
    figsize: tuple[float, float] = (10.0, 4.4)
    dpi: float | None = None


def explorer_figure(
    landscape: Landscape,
    optimizers: Mapping[str, OptimizerSpec],
    start: Sequence[float],
    steps: int,
    values: Mapping[str, float],
    style: ExplorerStyle | None = None,
    **options: Any,
) -> Figure:
    """The explorer's figure for one setting of the sliders: every optimizer's trajectory on
    the contour of ``landscape`` (left) and its loss per step (right). ``style`` and the keyword
    ``options`` (fields of `ExplorerStyle`: ``xlim``, ``logy``, ``colors``, ``dpi``, ...) say
    how it is drawn; see `draw_explorer`.
    """
    trajectories = explorer_trajectories(landscape, optimizers, start, steps, values)
    return draw_explorer(landscape, trajectories, values, steps, style, **options)


def draw_explorer(
    landscape: Landscape,
    trajectories: Sequence[Trajectory],
    values: Mapping[str, float] | None = None,
    steps: int | None = None,
    style: ExplorerStyle | None = None,
    notes: Sequence[str] = (),
    **options: Any,
) -> Figure:
    """Draw already computed ``trajectories`` as `explorer_figure` does: the two panels of
    `plot_trajectories` (contour with paths, loss per step). ``options`` are fields of
    `ExplorerStyle` that override those of ``style``; the default title lists the slider
    ``values`` and the number of ``steps``.

    Readable at every slider value: one legend below both panels (the optimizers' names and
    hyperparameters, never over the data), titles wrapped to their width, and a status line
    under the title naming the runs that diverged (and at which step) and the ``notes`` (e.g.
    `explorer_runs`' skipped runs), instead of labels that grow.
    """
    st = replace(style or ExplorerStyle(), **options)
    logy = st.logy
    if logy is None:
        logy = all(bool(np.all(tr.losses > 0)) for tr in trajectories)
    title = st.title
    if title is None:
        parts = [f"{k} = {v:.3g}" for k, v in (values or {}).items()]
        title = ", ".join(parts) + (f" ({steps} steps)" if steps is not None else "")
    fig, (ax0, ax1) = new_figure(1, 2, figsize=st.figsize)
    shown = [replace(tr, label=_short(tr.label)) if _DIVERGED.search(tr.label) else tr for tr in trajectories]
    plot_contour(landscape, shown, ax=ax0, xlim=st.xlim, ylim=st.ylim, log_scale=st.log_scale,
                 colors=st.colors, n=st.n)
    plot_losses(shown, ax=ax1, logy=logy, colors=st.colors)
    panel_width = st.figsize[0] / 2 * 0.85
    for ax, text in ((ax0, "Trajectories on " + landscape.name), (ax1, "Loss at each recorded point")):
        ax.set_title(_wrap(text, panel_width, 11.0), fontsize=11)
        if ax.get_legend() is not None:
            ax.get_legend().remove()
    handles, labels = ax1.get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncols=min(len(handles), 3),
                   frameon=False, fontsize=10)
    status = _status_line(trajectories, notes)
    full = _wrap(title, st.figsize[0] * 0.95, 12.0) + ("\n" + _wrap(status, st.figsize[0] * 0.95, 12.0)
                                                       if status else "")
    fig.suptitle(full, fontsize=12)
    if st.dpi is not None:
        fig.set_dpi(st.dpi)
    return fig


class TrajectoryExplorer:
    """Sliders wired to `explorer_figure`; display it (or ``.widget``) in a notebook.

    ``sliders`` maps each name to its ipywidgets slider, ``output`` is the ``Output`` widget the
    figure is drawn into; ``values``, ``trajectories`` and ``figure`` are those of the latest
    redraw and ``redraws`` counts the redraws. Setting a slider's ``.value`` redraws, as moving it does.
    """

    def __init__(
        self,
        landscape: Landscape,
        optimizers: Mapping[str, OptimizerSpec],
        start: Sequence[float],
        steps: int,
        sliders: Mapping[str, Slider | Sequence[Any]],
        *,
        continuous_update: bool = False,
        dpi: float = 100.0,
        **figure_kw: Any,
    ) -> None:
        import ipywidgets as w

        if not sliders:
            raise ValueError("sliders must name at least one hyperparameter")
        self.landscape, self.optimizers = landscape, dict(optimizers)
        self.start, self.steps, self.dpi = tuple(start), int(steps), dpi
        self.style = ExplorerStyle(**figure_kw)
        self.specs = {name: Slider.from_spec(s) for name, s in sliders.items()}
        self.sliders = {name: s.widget(name, continuous_update) for name, s in self.specs.items()}
        self.figure: Figure | None = None
        self.trajectories: list[Trajectory] = []
        self.skipped: list[str] = []
        self.values: dict[str, float] = {}
        self.redraws = 0
        self.output = w.interactive_output(self._draw, self.sliders)
        self.widget = w.VBox([w.HBox(list(self.sliders.values())), self.output])

    def _draw(self, **values: float) -> None:
        from IPython.display import display

        self.values = dict(values)
        self.trajectories, self.skipped = explorer_runs(self.landscape, self.optimizers, self.start,
                                                        self.steps, self.values)
        self.figure = draw_explorer(self.landscape, self.trajectories, self.values, self.steps, self.style,
                                    notes=self.skipped)
        self.figure.set_dpi(self.dpi)  # the inline PNG's resolution: smaller notebooks, faster redraws
        self.redraws += 1
        display(self.figure)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


def trajectory_explorer(
    landscape: Landscape,
    optimizers: Mapping[str, OptimizerSpec],
    start: Sequence[float],
    steps: int,
    sliders: Mapping[str, Slider | Sequence[Any]],
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
    **kw: Any,
) -> TrajectoryExplorer:
    """Sliders for the hyperparameters in ``sliders``; every move reruns each optimizer in
    ``optimizers`` from ``start`` for ``steps`` steps and redraws contour + losses.

    Put the cell in ``nbval-ignore-output``: a widget's output is not reproducible text.
    ``kw`` are fields of `ExplorerStyle` (``logy``, ``log_scale``, ``title``, ``colors``, ``n``,
    ``figsize``) or ``continuous_update`` (redraw while dragging; default False: on release)
    or ``dpi`` (of the figure shown, default 100: text at least 12 px high). An optimizer that
    refuses a slider value is shown as skipped, with the reason, in the figure's status line.
    """
    return TrajectoryExplorer(landscape, optimizers, start, steps, sliders, xlim=xlim, ylim=ylim, **kw)
