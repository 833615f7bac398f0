"""The decks an instructor lectures from, in headless Chromium (Playwright on the system's
Chromium, offline, 1280x720):

* every slide fits: every slide and sub-slide of every deck, with all its fragments shown, is
  measured, and any whose content is taller than reveal.js's 960x700 canvas fails the test,
  named by deck, index (and reveal's #/h/v), title and height;
* the speaker view (``s``) works from disk: it opens as a pop-up that shows the current slide's
  notes, the current slide and the next one.

The decks are rendered from the committed notebooks (``render_slides``) into a temporary
``_build/slides/``, so the test never reads a stale build. Without Chromium the tests are
skipped, except in CI (env CI=true), where they fail.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from _course_fixture import course_notebooks, need, need_node_modules, write_pair

from course_utils.authoring.browser import CANVAS, chromium_path, measure_deck, offline_browser
from course_utils.authoring.site import copy_assets, render_slides

pytestmark = pytest.mark.slow  # drives a browser: `make slow` and CI

DECKS = [pytest.param(None, id="00_fixture")] + [pytest.param(p, id=p.stem) for p in course_notebooks()]

NOTES_PY = '''\
# %% [markdown] slideshow={"slide_type": "slide"}
# # 00 · Speaker notes
#
# First slide, with $x^2$.

# %% [markdown] slideshow={"slide_type": "notes"}
# Say first: welcome to the course.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Second slide
#
# The second idea.

# %% [markdown] slideshow={"slide_type": "notes"}
# Say second: this is the second slide.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Third slide

# %% [markdown] slideshow={"slide_type": "notes"}
# Say third: the end.
'''


@pytest.fixture(scope="module")
def build(tmp_path_factory) -> Path:
    """A temporary _build/ with the offline assets and a slides/ folder."""
    need(chromium_path() is not None, "Chromium is not installed (apt-get install -y chromium)")
    out = tmp_path_factory.mktemp("build")
    copy_assets(need_node_modules(), out / "assets")
    (out / "slides").mkdir()
    return out


def deck_of(build: Path, ipynb: Path) -> Path:
    nb = nbformat.read(ipynb, as_version=4)
    deck = build / "slides" / f"{ipynb.stem}.slides.html"
    deck.write_text(render_slides(nb, ipynb.stem), encoding="utf-8")
    return deck


@pytest.mark.parametrize("ipynb", DECKS)
def test_every_slide_fits_the_canvas(build, ipynb, tmp_path):
    if ipynb is None:
        ipynb = write_pair(tmp_path / "nb").with_suffix(".ipynb")
    nb = nbformat.read(ipynb, as_version=4)
    deck = deck_of(build, ipynb)
    with offline_browser() as context:
        sizes = measure_deck(context, deck)
    # every slide was measured: one per slide/subslide cell (a first cell without one starts one too)
    kinds = [c.get("metadata", {}).get("slideshow", {}).get("slide_type") for c in nb.cells]
    expected = sum(k in ("slide", "subslide") for k in kinds) + (kinds[0] not in ("slide", "subslide"))
    assert len(sizes) == expected, (len(sizes), expected)
    assert all(s.height > 0 for s in sizes), "a slide measured 0 px: it was not shown"
    too_tall = [s for s in sizes if s.height > CANVAS[1]]
    assert not too_tall, (f"{len(too_tall)} of {len(sizes)} slides of {deck.name} are taller than "
                          f"the {CANVAS[0]}x{CANVAS[1]} canvas:\n" + "\n".join(map(str, too_tall)))
    sideways = [s for s in sizes if s.wide]
    assert not sideways, (f"{len(sideways)} slides of {deck.name} scroll sideways:\n"
                          + "\n".join(map(str, sideways)))


def test_a_tall_slide_is_caught(build, tmp_path):
    """The measurement can fail: a slide with 40 paragraphs of text is reported with its height."""
    wall = "\n#\n".join(f"# Line {i} of a wall of text." for i in range(40))
    py = write_pair(tmp_path / "nb", '# %% [markdown] slideshow={"slide_type": "slide"}\n# # 00 · Tall\n\n'
                    '# %% [markdown] slideshow={"slide_type": "slide"}\n# ## Too much\n#\n' + wall + "\n",
                    stem="00_tall")
    deck = deck_of(build, py.with_suffix(".ipynb"))
    with offline_browser() as context:
        sizes = measure_deck(context, deck)
    assert [s.title for s in sizes] == ["00 · Tall", "Too much"]
    assert sizes[0].fits and not sizes[1].fits and sizes[1].height > 1500
    assert "00_tall slide 1 (#/1/0) 'Too much'" in str(sizes[1])


LONG = "x = " + " + ".join(f"value_{i:03d}" for i in range(16))  # a 195-character line of code


def test_a_wide_line_is_fitted_and_a_scrolling_block_is_caught(build, tmp_path):
    """A code line wider than the slide gets a smaller font (or wraps): the slide does not scroll
    sideways. With the fitting switched off, the measurement reports the block that scrolls."""
    py = write_pair(tmp_path / "nb", '# %% [markdown] slideshow={"slide_type": "slide"}\n# # 00 · Wide\n\n'
                    '# %% slideshow={"slide_type": "slide"}\nvalue_000 = 1\n' + LONG + "\n", stem="00_wide")
    deck = deck_of(build, py.with_suffix(".ipynb"))
    with offline_browser() as context:
        fitted = measure_deck(context, deck)
        page = context.new_page()
        page.goto(deck.as_uri() + "#/1")
        page.wait_for_function("() => window.Reveal && Reveal.isReady()")
        font = page.evaluate("() => parseFloat(getComputedStyle(Reveal.getCurrentSlide()"
                             ".querySelector('div.highlight > pre')).fontSize)")
        page.close()
        deck.write_text(deck.read_text(encoding="utf-8").replace("function fitWide(root) {",
                                                                 "function fitWide(root) { return;"))
        unfitted = measure_deck(context, deck)
    assert [s.wide for s in fitted] == [0, 0], [str(s) for s in fitted]
    assert font < 15, font
    assert [s.wide for s in unfitted] == [0, 1] and not unfitted[1].fits, [str(s) for s in unfitted]
    assert "1 block(s) scrolling sideways" in str(unfitted[1])


# Starts the reveal.js of the speaker view's "upcoming" preview 3 s late, as on a busy machine:
# the deck's state reaches that preview before anything there listens for it.
LATE_PREVIEW = """
if (/receiver/.test(location.search) && /controls=false/.test(location.search)) {
  let loader;
  Object.defineProperty(window, "require", {
    configurable: true,
    set(value) { loader = value; },
    get() { return loader && function () { setTimeout(() => loader.apply(null, arguments), 3000); }; },
  });
}
"""


@pytest.mark.parametrize("preview", ["on time", "late"])
def test_speaker_view_opens_from_disk_with_notes_and_next_slide(build, tmp_path, preview):
    """The speaker view shows this slide's notes, this slide and the next one, and follows the
    deck; also when the upcoming preview loads after the deck sent its state."""
    deck = deck_of(build, write_pair(tmp_path / "nb", NOTES_PY, stem="00_notes").with_suffix(".ipynb"))
    with offline_browser() as context:
        if preview == "late":
            context.add_init_script(LATE_PREVIEW)
        page = context.new_page()
        page.goto(deck.as_uri() + "#/1")
        page.wait_for_function("() => window.Reveal && Reveal.isReady()")
        with page.expect_popup() as popup_info:
            page.keyboard.press("s")
        notes = popup_info.value
        notes.wait_for_load_state()
        # the speaker view connects to the deck, then shows the notes and both previews
        notes.wait_for_function(
            "() => document.querySelector('.speaker-controls-notes .value') && "
            "document.querySelector('.speaker-controls-notes .value').textContent.includes('Say second')",
            timeout=30_000, polling=250)
        text = notes.locator(".speaker-controls-notes .value").inner_text()
        assert "this is the second slide" in text and "welcome" not in text
        for box, h in (("#current-slide", 1), ("#upcoming-slide", 2)):  # this slide and the next
            frame = notes.wait_for_selector(f"{box} iframe").content_frame()
            assert "receiver" in frame.url
            frame.wait_for_function(f"() => window.Reveal && Reveal.isReady() && Reveal.getIndices().h === {h}",
                                    timeout=30_000, polling=250)
        # moving on in the deck moves the speaker view
        page.bring_to_front()
        page.keyboard.press("ArrowRight")
        notes.wait_for_function("() => document.querySelector('.speaker-controls-notes .value')"
                                ".textContent.includes('Say third')", timeout=30_000, polling=250)
        assert page.evaluate("() => Reveal.getIndices().h") == 2
