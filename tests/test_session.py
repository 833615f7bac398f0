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
    from course_utils.figures_png import figure_png

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


def test_figure_png_honours_the_figure_dpi_and_paints_white():
    import io

    from PIL import Image

    from course_utils import new_figure
    from course_utils.figures_png import figure_png

    fig, ax = new_figure(figsize=(4.0, 3.0))
    ax.plot([0, 1], [0, 1])
    fig.set_facecolor((1, 1, 1, 0))  # transparent, as the inline backend makes figures
    canvas = fig.canvas
    for dpi in (50, 80):
        fig.set_dpi(dpi)
        img = Image.open(io.BytesIO(figure_png(fig))).convert("RGB")
        assert img.size == (4 * dpi, 3 * dpi)
        assert img.getpixel((0, 0)) == (255, 255, 255)
    assert fig.canvas is canvas and fig.get_facecolor() == (1, 1, 1, 0)  # the figure is left as it was


def test_figure_png_keeps_thin_lines_in_their_colours():
    """Three panels of grey contours with thin coloured paths (notebook 02's static explorer):
    a palette that spends its colours on the greys turns two of the paths into one colour."""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    from course_utils import PALETTE, new_figure
    from course_utils.figures_png import palette_png

    fig, axes = new_figure(1, 3, figsize=(12.0, 3.8))
    x = np.linspace(-2, 2, 100)
    X, Y = np.meshgrid(x, x)
    for ax in axes:
        cs = ax.contourf(X, Y, (X + Y) ** 2 + 50 * (X - Y) ** 2, levels=25, cmap="Greys_r", alpha=0.85)
        ax.contour(X, Y, (X + Y) ** 2 + 50 * (X - Y) ** 2, levels=cs.levels, colors="white", linewidths=0.4)
        fig.colorbar(cs, ax=ax)
        for i, color in enumerate(PALETTE[2::-1]):
            t = np.linspace(0, 1, 60)
            ax.plot(-1.5 + 1.5 * t, 1 - 1.2 * t + 0.05 * i * np.sin(40 * t), "-o", color=color,
                    markersize=2.0, linewidth=1.4, label=str(i))
        ax.legend(loc="lower right")
    fig.set_dpi(80)
    fig.set_facecolor("white")
    full = FigureCanvasAgg(fig)
    full.draw()
    exact = np.asarray(full.buffer_rgba())[..., :3]
    png = palette_png(Image.fromarray(exact))
    quantized = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    exact = exact.astype(int)
    for color in [*PALETTE[:3], "#FFFFFF"]:
        rgb = [int(color[k:k + 2], 16) for k in (1, 3, 5)]
        where = (exact == rgb).all(axis=2)
        assert where.sum() > 50, color
        assert np.abs(quantized[where] - rgb).max() <= 4, color
    grey = (exact[..., 0] == exact[..., 1]) & (exact[..., 1] == exact[..., 2])
    assert np.abs(quantized[grey] - quantized[grey][:, :1]).max() <= 2  # greys are not tinted
    assert np.abs(quantized - exact).mean() < 0.5
    img = Image.open(io.BytesIO(png))
    assert img.mode == "P" and len(img.getcolors(maxcolors=1000)) <= 256


def test_palette_png_is_exact_with_few_colours():
    import io

    from PIL import Image

    from course_utils.figures_png import palette_png

    rng = np.random.default_rng(0)
    colours = rng.integers(0, 256, size=(200, 3), dtype=np.uint8)
    pixels = colours[rng.integers(0, 200, size=(30, 40))]
    back = np.asarray(Image.open(io.BytesIO(palette_png(Image.fromarray(pixels)))).convert("RGB"))
    assert np.array_equal(back, pixels)


def test_fmt_diff_hides_rounding_noise_only():
    from course_utils import fmt_diff

    assert fmt_diff(1.1e-16) == fmt_diff(2.2e-16) == fmt_diff(0.0) == "< 1e-12"
    assert fmt_diff(-3.21e-5) == "3.2e-05"
    assert fmt_diff(1e-9, floor=1e-6) == "< 1e-6"
    assert fmt_diff(2e-12) == "2.0e-12"
