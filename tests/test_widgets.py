"""The explorer widget: its pure figure function, its sliders, and that a slider move redraws."""

from __future__ import annotations

import math
from pathlib import Path

import ipywidgets as w
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

from course_utils import GD, SGD, pathological, quadratic, run_trajectory
from course_utils.widgets import (
    Slider,
    explorer_figure,
    explorer_trajectories,
    resolve_hyperparameters,
    trajectory_explorer,
)

LAND = quadratic((1.0, 10.0), angle=0.4)
START = (-1.5, 1.2)
OPTIMIZERS = {
    "GD": GD,
    "heavy ball": (SGD, {"momentum": 0.9}),
    "torch Nesterov": (torch.optim.SGD, lambda v: {"lr": v["lr"], "momentum": v["beta"], "nesterov": True}),
}


def _main_axes(fig):
    """The contour axes and the loss axes (colorbars left out)."""
    return [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]


def _trajectory_lines(ax):
    """Lines with a label that is not a matplotlib default (trajectories, not start markers)."""
    return [ln for ln in ax.get_lines() if not ln.get_label().startswith("_") and ln.get_label() != "minimum"]


# --------------------------------------------------------------------------------------------
# resolve_hyperparameters: who gets which slider
# --------------------------------------------------------------------------------------------
def test_class_gets_only_the_sliders_it_accepts():
    cls, hp = resolve_hyperparameters(GD, {"lr": 0.1, "momentum": 0.9})
    assert cls is GD and hp == {"lr": 0.1}
    cls, hp = resolve_hyperparameters(SGD, {"lr": 0.1, "momentum": 0.9, "beta": 0.5})
    assert hp == {"lr": 0.1, "momentum": 0.9}


def test_torch_class_is_read_from_its_signature():
    _, hp = resolve_hyperparameters(torch.optim.SGD, {"lr": 0.1, "momentum": 0.5, "beta": 0.3})
    assert hp == {"lr": 0.1, "momentum": 0.5}
    _, hp = resolve_hyperparameters(torch.optim.Adam, {"lr": 0.1, "momentum": 0.5})
    assert hp == {"lr": 0.1}


def test_fixed_hyperparameters_win_and_callables_are_used_as_is():
    _, hp = resolve_hyperparameters((SGD, {"momentum": 0.9}), {"lr": 0.1, "momentum": 0.2})
    assert hp == {"lr": 0.1, "momentum": 0.9}
    _, hp = resolve_hyperparameters((SGD, lambda v: {"lr": v["eta"] * (1 - v["beta"]), "momentum": v["beta"]}),
                                    {"eta": 0.2, "beta": 0.75})
    assert hp == {"lr": pytest.approx(0.05), "momentum": 0.75}


def test_bad_optimizer_entry_is_rejected():
    with pytest.raises(ValueError, match="optimizers\\['x'\\]"):
        resolve_hyperparameters((SGD, 0.9), {"lr": 0.1}, label="x")
    with pytest.raises(ValueError, match="at least one"):
        explorer_trajectories(LAND, {}, START, 5, {"lr": 0.1})


# --------------------------------------------------------------------------------------------
# The pure functions
# --------------------------------------------------------------------------------------------
@settings(max_examples=15, deadline=None)
@given(lr=st.floats(0.001, 0.15), beta=st.floats(0.05, 0.95), steps=st.integers(0, 25))
def test_trajectories_equal_direct_runs(lr, beta, steps):
    trs = explorer_trajectories(LAND, OPTIMIZERS, START, steps, {"lr": lr, "beta": beta})
    direct = [
        run_trajectory(LAND, GD, START, steps, lr=lr),
        run_trajectory(LAND, SGD, START, steps, lr=lr, momentum=0.9),
        run_trajectory(LAND, torch.optim.SGD, START, steps, lr=lr, momentum=beta, nesterov=True),
    ]
    assert len(trs) == 3
    for got, want in zip(trs, direct, strict=True):
        np.testing.assert_array_equal(got.positions, want.positions)
        np.testing.assert_array_equal(got.losses, want.losses)
        assert len(got) == steps + 1


def test_labels_name_the_optimizer_its_values_and_divergence():
    trs = explorer_trajectories(LAND, {"GD": GD}, START, 40, {"lr": 0.5})  # 0.5 > 2/10: diverges
    assert trs[0].label.startswith("GD (lr=0.5")
    assert trs[0].diverged and "diverged at step" in trs[0].label
    ok = explorer_trajectories(LAND, {"GD": GD}, START, 40, {"lr": 0.1})[0]
    assert not ok.diverged and "diverged" not in ok.label


@pytest.mark.parametrize("names", [["GD"], ["GD", "heavy ball"], list(OPTIMIZERS)])
def test_figure_has_one_trajectory_and_one_loss_curve_per_optimizer(names):
    opts = {k: OPTIMIZERS[k] for k in names}
    fig = explorer_figure(LAND, opts, START, 12, {"lr": 0.05, "beta": 0.8})
    assert isinstance(fig, Figure)
    contour_ax, loss_ax = _main_axes(fig)
    paths = _trajectory_lines(contour_ax)
    curves = _trajectory_lines(loss_ax)
    assert len(paths) == len(names) and len(curves) == len(names)
    for label, path, curve in zip(names, paths, curves, strict=True):
        assert path.get_label().startswith(label) and curve.get_label().startswith(label)
        assert len(path.get_xdata()) == 13 and len(curve.get_ydata()) == 13
    assert "lr = 0.05" in fig.get_suptitle() and "beta = 0.8" in fig.get_suptitle()


def test_figure_paths_are_the_computed_positions():
    fig = explorer_figure(LAND, {"heavy ball": (SGD, {"momentum": 0.5})}, START, 8, {"lr": 0.07})
    want = run_trajectory(LAND, SGD, START, 8, lr=0.07, momentum=0.5).positions
    path = _trajectory_lines(fig.axes[0])[0]
    np.testing.assert_allclose(path.get_xdata(), want[:, 0])
    np.testing.assert_allclose(path.get_ydata(), want[:, 1])


def test_draw_explorer_draws_given_trajectories_with_a_given_title():
    from course_utils.widgets import draw_explorer

    runs = [run_trajectory(LAND, GD, START, 6, lr=0.05, label="first"),
            run_trajectory(LAND, SGD, START, 9, lr=0.05, momentum=0.5, label="second")]
    fig = draw_explorer(LAND, runs, title="my title", n=40)
    contour_ax, loss_ax = _main_axes(fig)
    assert [ln.get_label() for ln in _trajectory_lines(contour_ax)] == ["first", "second"]
    assert [len(ln.get_ydata()) for ln in _trajectory_lines(loss_ax)] == [7, 10]
    assert fig.get_suptitle() == "my title"
    assert draw_explorer(LAND, runs, {"lr": 0.05}).get_suptitle() == "lr = 0.05"


def test_loss_axis_is_log_only_when_losses_are_positive():
    fig = explorer_figure(LAND, {"GD": GD}, START, 5, {"lr": 0.05})
    assert _main_axes(fig)[1].get_yscale() == "log"
    from course_utils import saddle

    fig = explorer_figure(saddle, {"GD": GD}, (1.0, 0.5), 5, {"lr": 0.05})
    assert _main_axes(fig)[1].get_yscale() == "linear"


# --------------------------------------------------------------------------------------------
# Sliders
# --------------------------------------------------------------------------------------------
def test_slider_specs():
    s = Slider.from_spec((0.0, 0.99, 0.01, 0.9))
    assert (s.min, s.max, s.step, s.value, s.log) == (0.0, 0.99, 0.01, 0.9, False)
    s = Slider.from_spec((1e-3, 1.0, 0.1, 0.01, "log"))
    assert s.log and s.value == 0.01
    for bad, match in [
        ((1.0, 0.0, 0.1, 0.5), "min must be < max"),
        ((0.0, 1.0, 0.0, 0.5), "step must be > 0"),
        ((0.0, 1.0, 0.1, 2.0), "initial value"),
        ((0.0, 1.0, 0.1, 0.5, "log"), "log-scale slider needs min > 0"),
        ((0.0, 1.0, 0.1), "is \\(min, max, step, initial\\)"),
        ((0.0, 1.0, 0.1, 0.5, "cubic"), "is \\(min, max, step, initial\\)"),
    ]:
        with pytest.raises(ValueError, match=match):
            Slider.from_spec(bad)


def _explorer(**kw):
    return trajectory_explorer(
        LAND, OPTIMIZERS, START, 15,
        {"lr": (1e-3, 1.0, 0.1, 0.05, "log"), "beta": (0.0, 0.99, 0.01, 0.8)}, **kw,
    )


def test_one_slider_per_entry_with_the_right_ranges():
    ex = _explorer()
    assert list(ex.sliders) == ["lr", "beta"]
    lr, beta = ex.sliders["lr"], ex.sliders["beta"]
    assert isinstance(lr, w.FloatLogSlider) and isinstance(beta, w.FloatSlider)
    assert lr.base == 10 and lr.min == pytest.approx(-3.0) and lr.max == pytest.approx(0.0)
    assert lr.step == pytest.approx(0.1) and lr.value == pytest.approx(0.05)
    assert (beta.min, beta.max, beta.step, beta.value) == (0.0, 0.99, 0.01, 0.8)
    assert lr.description == "lr" and not lr.continuous_update
    # the widget shows the sliders above the output
    sliders_box, output = ex.widget.children
    assert list(sliders_box.children) == [lr, beta] and output is ex.output
    assert isinstance(ex.output, w.Output)


def test_building_draws_once_with_the_initial_values():
    ex = _explorer()
    assert ex.redraws == 1
    assert ex.values == {"lr": pytest.approx(0.05), "beta": pytest.approx(0.8)}
    assert isinstance(ex.figure, Figure) and len(ex.trajectories) == 3


def test_moving_a_slider_redraws_with_the_new_value():
    ex = _explorer()
    first_fig, first = ex.figure, ex.trajectories
    ex.sliders["beta"].value = 0.3
    assert ex.redraws == 2
    assert ex.values["beta"] == pytest.approx(0.3) and ex.values["lr"] == pytest.approx(0.05)
    assert ex.figure is not first_fig
    assert "beta = 0.3" in ex.figure.get_suptitle()
    # GD ignores beta, so its path is unchanged; the torch Nesterov path follows beta
    np.testing.assert_array_equal(ex.trajectories[0].positions, first[0].positions)
    assert not np.allclose(ex.trajectories[2].positions, first[2].positions)
    want = run_trajectory(LAND, torch.optim.SGD, START, 15, lr=0.05, momentum=0.3, nesterov=True)
    np.testing.assert_allclose(ex.trajectories[2].positions, want.positions)

    ex.sliders["lr"].value = 0.01
    assert ex.redraws == 3 and ex.values["lr"] == pytest.approx(0.01)
    want = run_trajectory(LAND, GD, START, 15, lr=ex.sliders["lr"].value)
    np.testing.assert_allclose(ex.trajectories[0].positions, want.positions)


def test_explorer_passes_limits_to_the_figure():
    ex = trajectory_explorer(pathological, {"GD": GD}, (-4.0, 4.5), 10,
                             {"lr": (0.1, 3.0, 0.1, 1.0)}, xlim=(-5.0, 1.0), ylim=(-6.0, 6.0))
    ax = ex.figure.axes[0]
    assert ax.get_xlim() == (-5.0, 1.0) and ax.get_ylim() == (-6.0, 6.0)
    assert not math.isclose(ex.figure.axes[0].get_xlim()[0], pathological.xlim[1])


def test_figure_size_and_the_explorers_dpi():
    fig = explorer_figure(LAND, {"GD": GD}, START, 5, {"lr": 0.05}, figsize=(8.0, 3.0))
    assert tuple(fig.get_size_inches()) == (8.0, 3.0)
    assert explorer_figure(LAND, {"GD": GD}, START, 5, {"lr": 0.05}, dpi=60.0).dpi == 60.0
    assert _explorer().figure.dpi == 100.0  # text of 9 pt and more is at least 12 px high
    assert _explorer(dpi=50.0).figure.dpi == 50.0


def test_explorer_needs_sliders():
    with pytest.raises(ValueError, match="sliders"):
        trajectory_explorer(LAND, {"GD": GD}, START, 5, {})


def test_one_style_object_for_explorer_figure_and_draw_explorer():
    from course_utils.widgets import ExplorerStyle, draw_explorer

    style = ExplorerStyle(title="styled", n=30, figsize=(8.0, 3.0), dpi=50.0)
    fig = explorer_figure(LAND, {"GD": GD}, START, 5, {"lr": 0.05}, style)
    assert fig.get_suptitle() == "styled" and fig.dpi == 50.0
    assert tuple(fig.get_size_inches()) == (8.0, 3.0)
    runs = [run_trajectory(LAND, GD, START, 4, lr=0.05)]
    assert draw_explorer(LAND, runs, style=style, title="override").get_suptitle() == "override"
    with pytest.raises(TypeError):
        draw_explorer(LAND, runs, colour="red")  # not a field of ExplorerStyle


# --------------------------------------------------------------------------------------------
# Readable at every slider value (issue 12, items 1, 7, 8)
# --------------------------------------------------------------------------------------------
SHOTS = Path(__file__).resolve().parent.parent / "_build" / "screenshots" / "explorers"
RAVINE = quadratic((1.0, 50.0), angle=0.3)
NESTEROV_EXPLORER = {  # as in notebook 02, but with nesterov=True at every beta: beta = 0 is refused
    "GD": GD,
    "heavy ball": (torch.optim.SGD, lambda v: {"lr": v["lr"], "momentum": v["beta"]}),
    "Nesterov": (torch.optim.SGD, lambda v: {"lr": v["lr"], "momentum": v["beta"], "nesterov": True}),
}


def _px_boxes(fig):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return canvas.get_renderer()


def assert_readable(fig, name: str) -> None:
    """Titles and legends inside the figure, off the axes' data area; text at least 10 px high.
    Saves the PNG under _build/screenshots/explorers/ for a person to look at."""
    from matplotlib.transforms import Bbox

    renderer = _px_boxes(fig)
    whole = Bbox.from_bounds(0, 0, fig.bbox.width, fig.bbox.height).padded(1.0)
    axes = _main_axes(fig)
    texts = [fig._suptitle] + [ax.title for ax in axes]
    legends = list(fig.legends) + [ax.get_legend() for ax in axes if ax.get_legend() is not None]
    assert fig.legends, "the explorer has one legend, below the panels"
    for artist in [t for t in texts if t is not None and t.get_text()] + legends:
        box = artist.get_window_extent(renderer)
        assert whole.contains(box.x0, box.y0) and whole.contains(box.x1, box.y1), (name, artist, box, whole)
        for ax in axes:
            data = ax.get_window_extent(renderer)
            assert not box.overlaps(data.shrunk(0.98, 0.98)), (name, artist, "over the data of", ax.get_title())
    for t in texts + [txt for leg in legends for txt in leg.get_texts()]:
        if t is not None and t.get_text():
            assert t.get_fontsize() * fig.dpi / 72 >= 10, (name, t.get_text(), t.get_fontsize(), fig.dpi)
    widths = [ax.get_window_extent(renderer).width for ax in axes]
    assert min(widths) > 0.25 * fig.bbox.width, (name, "a panel is squeezed", widths)
    SHOTS.mkdir(parents=True, exist_ok=True)
    fig.savefig(SHOTS / f"{name}.png", dpi=fig.dpi)


@pytest.mark.parametrize("lr, beta", [(1e-3, 0.0), (1e-3, 0.99), (0.1, 0.0), (0.1, 0.99), (0.02, 0.9), (0.06, 0.5)])
def test_the_explorer_is_readable_at_the_extremes_and_when_runs_diverge(lr, beta):
    from course_utils.widgets import draw_explorer, explorer_runs

    values = {"lr": lr, "beta": beta}
    runs, skipped = explorer_runs(RAVINE, NESTEROV_EXPLORER, (-1.5, 1.0), 60, values)
    assert (len(skipped) == 1 and "Nesterov skipped" in skipped[0]) == (beta == 0.0)
    fig = draw_explorer(RAVINE, runs, values, 60, notes=skipped, figsize=(9.5, 3.8), dpi=100)
    title = fig._suptitle.get_text()
    assert "skipped" in title if beta == 0.0 else "skipped" not in title
    for tr in runs:
        if tr.diverged:
            assert f"diverged at step {len(tr) - 1}" in title
    legend_labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert not any("diverged" in label for label in legend_labels)  # labels do not grow
    assert_readable(fig, f"ravine_lr{lr:g}_beta{beta:g}")


def test_a_refused_value_is_skipped_in_the_widget_not_raised():
    explorer = trajectory_explorer(RAVINE, NESTEROV_EXPLORER, (-1.5, 1.0), 20,
                                   sliders={"lr": (1e-3, 0.1, 0.05, 0.02, "log"), "beta": (0.0, 0.99, 0.01, 0.9)})
    explorer.sliders["beta"].value = 0.0
    assert explorer.skipped and explorer.skipped[0].startswith("Nesterov skipped: ")
    assert len(explorer.trajectories) == 2 and explorer.figure.dpi == 100
