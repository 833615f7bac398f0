"""Figures come back (never shown), in the course style, with titles, labels and legends."""

from __future__ import annotations

import re

import numpy as np
import pytest
from matplotlib.figure import Figure

from course_utils import (
    GD,
    PALETTE,
    SparseLogMinorLocator,
    himmelblau,
    new_figure,
    pathological,
    plot_contour,
    plot_losses,
    plot_surface,
    plot_trajectories,
    quadratic,
    rosenbrock,
    run_trajectory,
)


@pytest.fixture(scope="module")
def trajectories():
    return [run_trajectory(pathological, GD, [-4.0, 5.0], 30, lr=lr) for lr in (3.0, 0.3)]


def labelled(ax):
    return bool(ax.get_title()) and bool(ax.get_xlabel()) and bool(ax.get_ylabel())


def test_contour_draws_every_trajectory_with_a_legend(trajectories):
    fig = plot_contour(pathological, trajectories)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert labelled(ax)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    for tr in trajectories:
        assert tr.label in legend
    paths = [ln for ln in ax.get_lines() if ln.get_label() in {t.label for t in trajectories}]
    assert len(paths) == 2
    np.testing.assert_array_equal(paths[0].get_xdata(), trajectories[0].positions[:, 0])


def test_contour_marks_critical_points_in_view():
    fig = plot_contour(himmelblau)
    labels = {ln.get_label() for ln in fig.axes[0].get_lines()}
    assert {"minimum", "maximum", "saddle"} <= labels


def test_log_scale_contour_for_rosenbrock():
    fig = plot_contour(rosenbrock(), log_scale=True)
    assert "log" in fig.axes[-1].get_ylabel()  # the colour bar says so


def test_surface_is_3d_and_labelled():
    fig = plot_surface(quadratic((1, 5)))
    ax = fig.axes[0]
    assert ax.name == "3d" and labelled(ax) and ax.get_zlabel() == "loss"


def test_losses_from_mapping_and_from_trajectories(trajectories):
    fig = plot_losses({"a": [3, 2, 1], "b": [1, 1, 1]}, logy=True, title="t")
    ax = fig.axes[0]
    assert labelled(ax) and ax.get_yscale() == "log"
    assert [ln.get_label() for ln in ax.get_lines()] == ["a", "b"]
    fig = plot_losses(trajectories)
    assert len(fig.axes[0].get_lines()) == 2


def test_log_loss_axis_drops_minor_ticks_only_over_many_decades():
    loc = SparseLogMinorLocator(max_decades=3)
    assert {2.0, 3.0, 20.0, 30.0} <= set(np.round(loc.tick_values(1.0, 100.0), 9))
    assert len(loc.tick_values(1e-6, 1e2)) == 0
    for values, expect_minor in (([50.0, 20.0, 5.0], True), ([1e2, 1e-3, 1e-6], False)):
        fig = plot_losses({"a": values}, logy=True)
        fig.draw_without_rendering()
        minor = fig.axes[0].yaxis.get_minorticklocs()
        lo, hi = fig.axes[0].get_ylim()
        assert (len([t for t in minor if lo <= t <= hi]) > 0) == expect_minor


def test_two_panel_figure(trajectories):
    fig = plot_trajectories(pathological, trajectories, title="regimes")
    contour_ax, loss_ax = fig.axes[0], fig.axes[1]
    assert labelled(contour_ax) and labelled(loss_ax)
    assert fig._suptitle.get_text() == "regimes"


def test_palette_is_distinct_hex_colours():
    assert len(set(PALETTE)) == len(PALETTE) >= 7
    assert all(re.fullmatch(r"#[0-9A-F]{6}", c) for c in PALETTE)


def test_new_figure_is_not_registered_with_pyplot():
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    fig, axes = new_figure(1, 2)
    assert len(axes) == 2 and plt.get_fignums() == before
    fig.savefig(__import__("io").BytesIO(), format="png")  # renders without pyplot
