"""Figures as small palette PNGs: how a notebook shows a figure (`setup_notebook` registers
`figure_png` as IPython's PNG formatter for matplotlib figures)."""

from __future__ import annotations

import io

import numpy as np

__all__ = ["figure_png", "palette_png"]


def figure_png(fig, max_colors: int = 256) -> bytes | None:
    """PNG bytes of ``fig`` at its own ``fig.dpi``, on white, with at most ``max_colors`` colours.

    Plots use few colours, so a palette PNG looks the same as a full-colour one at a third of
    the size: it keeps the committed notebooks small. Returns None for an empty figure.
    """
    if not fig.axes:
        return None
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    if fig.get_layout_engine() is None:  # e.g. a student's pyplot figure: trimmed as usual
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi="figure", bbox_inches="tight", facecolor="white")
        img = Image.open(buf).convert("RGB")
    else:
        # Every course figure is constrained: one Agg draw lays it out and renders it (savefig
        # would lay it out in an extra draw), and its pixels are read without a PNG round trip.
        canvas, face = fig.canvas, fig.get_facecolor()
        agg = canvas if isinstance(canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
        try:
            fig.set_facecolor("white")
            agg.draw()
            img = Image.fromarray(np.asarray(agg.buffer_rgba())[..., :3])
        finally:
            fig.set_facecolor(face)
            if agg is not canvas:
                fig.set_canvas(canvas)
    return palette_png(img, max_colors)


def palette_png(img, max_colors: int = 256) -> bytes:
    """PNG bytes of the PIL image ``img`` with a palette of at most ``max_colors`` of its colours.

    The palette is picked greedily: the most frequent colour first, then each time the colour
    that maximises (squared distance to the nearest colour picked so far) x sqrt(its pixel count);
    every pixel then takes its nearest palette colour. Large areas (white, contour bands) and
    thin lines keep their exact colours and greys stay grey; PIL's median cut spends the palette
    on the greys and can merge two line colours into one.
    """
    from PIL import Image

    rgb = np.asarray(img.convert("RGB"))
    packed = (rgb[..., 0].astype(np.uint32) << 16) | (rgb[..., 1].astype(np.uint32) << 8) | rgb[..., 2]
    values, inverse, counts = np.unique(packed.ravel(), return_inverse=True, return_counts=True)
    colors = np.stack([(values >> 16) & 255, (values >> 8) & 255, values & 255], axis=1).astype(np.int64)
    if len(values) <= max_colors:
        palette, nearest = colors, np.arange(len(values))
    else:
        weight = np.sqrt(counts)
        picked = [int(np.argmax(counts))]
        dist = ((colors - colors[picked[0]]) ** 2).sum(axis=1)
        nearest = np.zeros(len(values), dtype=np.int64)
        for k in range(1, max_colors):
            picked.append(int(np.argmax(dist * weight)))
            d = ((colors - colors[picked[-1]]) ** 2).sum(axis=1)
            closer = d < dist
            nearest[closer], dist = k, np.minimum(dist, d)
        palette = colors[picked]
    index = nearest[inverse.ravel()].astype(np.uint8).reshape(rgb.shape[:2])
    out_img = Image.fromarray(index)  # mode "L"; putpalette makes it "P"
    out_img.putpalette(palette.astype(np.uint8).ravel().tolist())
    out = io.BytesIO()
    out_img.save(out, format="PNG")
    return out.getvalue()
