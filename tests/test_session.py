from __future__ import annotations

import matplotlib as mpl
import numpy as np
import torch

from course_utils import PALETTE, seed_everything, setup_notebook


def test_seed_everything_makes_runs_repeat():
    seed_everything(3)
    a = (torch.rand(3), np.random.rand(2))
    seed_everything(3)
    b = (torch.rand(3), np.random.rand(2))
    assert torch.equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def test_setup_notebook_applies_style_and_returns_a_device(monkeypatch):
    threads = torch.get_num_threads()
    try:
        monkeypatch.setenv("COURSE_DEVICE", "cpu")
        dev = setup_notebook(seed=1)
        assert dev == torch.device("cpu")
        assert torch.get_num_threads() == 1
        assert mpl.rcParams["axes.prop_cycle"].by_key()["color"][0] == PALETTE[0]
    finally:
        torch.set_num_threads(threads)


def test_figure_png_is_a_small_palette_png():
    import io

    from PIL import Image

    from course_utils import new_figure
    from course_utils.session import figure_png

    fig, ax = new_figure()
    x = np.linspace(0, 1, 200)
    ax.contourf(*np.meshgrid(x, x), np.add.outer(x, x) ** 2, levels=40)
    ax.set_title("t")
    data = figure_png(fig)
    img = Image.open(io.BytesIO(data))
    assert img.format == "PNG" and img.mode == "P"
    assert len(img.getcolors(maxcolors=1000)) <= 256
    full = io.BytesIO()
    fig.savefig(full, format="png", bbox_inches="tight")
    assert len(data) < len(full.getvalue())
    assert figure_png(new_figure()[0].__class__()) is None  # a figure without axes shows nothing


def test_fmt_diff_hides_rounding_noise_only():
    from course_utils import fmt_diff

    assert fmt_diff(1.1e-16) == fmt_diff(2.2e-16) == fmt_diff(0.0) == "< 1e-12"
    assert fmt_diff(-3.21e-5) == "3.2e-05"
    assert fmt_diff(1e-9, floor=1e-6) == "< 1e-6"
    assert fmt_diff(2e-12) == "2.0e-12"
