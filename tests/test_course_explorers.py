"""Every slider of every explorer in the course, swept over its range (issue 12, items 1 and 7):
no value raises, and the figure stays readable (titles and legend inside the figure, off the data).

Each notebook that builds a `trajectory_explorer` is run, cell by cell, up to that cell, with
the explorer recorded instead of shown; then every slider is set to both ends and three values
between (the others at their initial values), and the four corners are drawn too. The PNGs go
to _build/screenshots/explorers/ for a person to look at.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest
from test_widgets import assert_readable

import course_utils.widgets as widgets_module

pytestmark = pytest.mark.slow  # runs notebooks up to their explorer cell: `make slow` and CI

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
WITH_EXPLORERS = sorted(p for p in NOTEBOOKS.glob("[0-9][0-9]_*.py") if "trajectory_explorer(" in p.read_text())


def _explorers_of(py: Path) -> list[dict]:
    """Run the notebook's code cells until its last explorer; return each explorer's arguments."""
    import jupytext
    import matplotlib

    matplotlib.use("Agg")
    nb = jupytext.read(py)
    recorded: list[dict] = []

    class Recorder:
        def __init__(self, landscape, optimizers, start, steps, sliders, **kw):
            recorded.append({"landscape": landscape, "optimizers": dict(optimizers), "start": start,
                             "steps": steps, "sliders": dict(sliders), "kw": kw})

        def _ipython_display_(self):  # pragma: no cover
            pass

    cells = [c.source for c in nb.cells if c.cell_type == "code"]
    last = max(i for i, src in enumerate(cells) if "trajectory_explorer(" in src)
    namespace: dict = {"__name__": "__main__"}
    original = widgets_module.TrajectoryExplorer
    widgets_module.TrajectoryExplorer = Recorder
    try:
        for i, src in enumerate(cells[: last + 1]):
            exec(compile(src, f"{py.name}, code cell {i}", "exec"), namespace)  # noqa: S102
    finally:
        widgets_module.TrajectoryExplorer = original
    return recorded


def _values(slider: widgets_module.Slider) -> list[float]:
    if slider.log:
        lo, hi = math.log10(slider.min), math.log10(slider.max)
        return [float(10 ** x) for x in np.linspace(lo, hi, 5)]
    return [float(x) for x in np.linspace(slider.min, slider.max, 5)]


@pytest.mark.parametrize("py", WITH_EXPLORERS, ids=lambda p: p.stem)
def test_every_slider_value_of_every_explorer_draws_a_readable_figure(py):
    explorers = _explorers_of(py)
    assert explorers, f"{py.name} mentions trajectory_explorer but built none"
    for k, ex in enumerate(explorers):
        specs = {name: widgets_module.Slider.from_spec(s) for name, s in ex["sliders"].items()}
        initial = {name: s.value for name, s in specs.items()}
        settings = []
        for name, spec in specs.items():
            settings += [{**initial, name: v} for v in _values(spec)]
        ends = [(s.min, s.max) for s in specs.values()]
        settings += [dict(zip(specs, corner, strict=True)) for corner in itertools.product(*ends)]
        style_kw = {key: v for key, v in ex["kw"].items() if key not in ("continuous_update", "dpi")}
        style = widgets_module.ExplorerStyle(**style_kw)
        for values in settings:
            runs, skipped = widgets_module.explorer_runs(ex["landscape"], ex["optimizers"], ex["start"],
                                                         ex["steps"], values)
            fig = widgets_module.draw_explorer(ex["landscape"], runs, values, ex["steps"], style, notes=skipped)
            fig.set_dpi(ex["kw"].get("dpi", 100.0))
            tag = "_".join(f"{n}{v:.3g}" for n, v in values.items())
            assert_readable(fig, f"{py.stem}_explorer{k}_{tag}")
