"""Headless Chromium (through Playwright) on the built course, offline: every slide of a deck
measured against reveal.js's 960x700 canvas, the speaker view opened, and the PDF handouts printed
(a deck in reveal.js's print-pdf layout, one slide per page; a page as an A4 document).

Chromium is the system's (``/usr/bin/chromium``, or ``$COURSE_CHROMIUM``), driven through
``executable_path``: nothing is downloaded. Every page is opened from disk with the network off
(an offline context, and every request that is not ``file:``/``data:``/``blob:`` aborted).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CANVAS",
    "SlideSize",
    "chromium_path",
    "measure_deck",
    "offline_browser",
    "print_deck_pdf",
    "print_page_pdf",
    "wait_for_math",
]

CANVAS = (960, 700)  # reveal.js's width and height (site.py's Reveal.initialize)
VIEWPORT = {"width": 1280, "height": 720}
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-sync",
        "--disable-component-update", "--disable-extensions", "--no-first-run", "--mute-audio",
        "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>"]  # any network load fails


def chromium_path() -> str | None:
    """The Chromium to drive: ``$COURSE_CHROMIUM``, else ``chromium`` (or ``chromium-browser``)
    on the PATH; None when there is none."""
    env = os.environ.get("COURSE_CHROMIUM")
    if env:
        return env if Path(env).exists() else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


@contextmanager
def offline_browser(executable: str | None = None) -> Iterator[object]:
    """A Playwright browser context (1280x720, offline, popups allowed) on the system's Chromium."""
    from playwright.sync_api import sync_playwright

    path = executable or chromium_path()
    if path is None:
        raise FileNotFoundError("Chromium is not installed (apt-get install -y chromium), "
                                "or set COURSE_CHROMIUM to its path")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, args=ARGS, headless=True)
        try:
            context = browser.new_context(viewport=VIEWPORT, offline=True)

            def local_only(route) -> None:
                if route.request.url.startswith(("file:", "data:", "blob:", "about:")):
                    route.continue_()
                else:
                    route.abort()

            context.route("**/*", local_only)
            yield context
        finally:
            browser.close()


# Resolves once MathJax 2 has typeset the page (its start-up queue ran dry) and every image loaded;
# false when the page has no MathJax.
_WAIT_FOR_MATH = """() => new Promise(resolve => {
  const images = () => Promise.all(Array.from(document.images).map(img => img.complete ? null :
      new Promise(done => { img.onload = img.onerror = done; })));
  if (!window.MathJax || !window.MathJax.Hub) { images().then(() => resolve(false)); return; }
  // (a hook that returned the queue's callback would make start-up wait for itself)
  MathJax.Hub.Register.StartupHook('End', () => { MathJax.Hub.Queue(() => { images().then(() => resolve(true)); }); });
})"""

_DECK_READY = """() => new Promise(resolve => {
  const ready = () => window.Reveal && window.Reveal.isReady && window.Reveal.isReady();
  const poll = () => ready() ? resolve(true) : setTimeout(poll, 50);
  poll();
})"""

# Shows every slide with all its fragments and measures its content: the section's height in
# reveal's canvas pixels (offsetHeight ignores reveal's scale transform).
_MEASURE = r"""async () => {
  const R = window.Reveal;
  const settle = () => new Promise(resolve => MathJax.Hub.Queue(() => { requestAnimationFrame(() => resolve()); }));
  const out = [];
  let lastHeading = '';
  const slides = R.getSlides();
  for (let i = 0; i < slides.length; i++) {
    const slide = slides[i];
    const idx = R.getIndices(slide);
    const fragments = slide.querySelectorAll('.fragment').length;
    R.slide(idx.h, idx.v || 0, fragments ? fragments - 1 : undefined);
    await settle();
    const heading = slide.querySelector('h1, h2, h3, h4');
    // an element's text with its math as $TeX$ (MathJax's rendered glyphs and the notes left out)
    const clean = el => {
      const copy = el.cloneNode(true);
      copy.querySelectorAll('.MathJax, .MathJax_Display, .MathJax_Preview, .MJX_Assistive_MathML, aside.notes, a.anchor-link')
          .forEach(n => n.remove());
      copy.querySelectorAll('script[type^="math/tex"]').forEach(s => s.replaceWith('$' + s.textContent + '$'));
      return copy.textContent.replace(/\u00b6/g, '').replace(/\s+/g, ' ').trim();
    };
    let title;
    if (heading) { title = clean(heading); lastHeading = title; }
    else { title = (lastHeading ? lastHeading + ' > ' : '') + clean(slide).slice(0, 50); }
    let bottom = 0;
    const top = slide.getBoundingClientRect().top;
    const scale = R.getScale();
    for (const el of slide.querySelectorAll('*')) {
      if (el.closest('aside.notes')) continue;
      const r = el.getBoundingClientRect();
      if (r.height > 0) bottom = Math.max(bottom, (r.bottom - top) / scale);
    }
    // blocks of code or output that scroll sideways (wider than the slide)
    let wide = 0;
    for (const pre of slide.querySelectorAll('pre')) {
      if (!pre.closest('aside.notes') && pre.scrollWidth > pre.clientWidth + 1) wide += 1;
    }
    out.push({index: i, h: idx.h, v: idx.v || 0, title: title, wide: wide,
              height: Math.round(Math.max(slide.offsetHeight, slide.scrollHeight, bottom)),
              width: Math.round(Math.max(slide.offsetWidth, slide.scrollWidth))});
  }
  return out;
}"""


@dataclass(frozen=True)
class SlideSize:
    """One slide (or sub-slide) of a deck, all fragments shown: its content's size in canvas pixels."""

    deck: str
    index: int  # position in the deck (reveal's getSlides order), from 0
    h: int
    v: int
    title: str
    height: int
    width: int
    wide: int = 0  # code or output blocks that scroll sideways

    @property
    def fits(self) -> bool:
        return self.height <= CANVAS[1] and self.wide == 0

    def __str__(self) -> str:
        scrolls = f", {self.wide} block(s) scrolling sideways" if self.wide else ""
        return (f"{self.deck} slide {self.index} (#/{self.h}/{self.v}) {self.title!r}: "
                f"{self.height} px tall (canvas {CANVAS[1]}){scrolls}")


def wait_for_math(page, timeout_ms: int = 60_000) -> bool:
    """Wait until MathJax typeset ``page`` and its images loaded; True if it has MathJax."""
    page.set_default_timeout(timeout_ms)
    return bool(page.evaluate(_WAIT_FOR_MATH))


def _open_deck(context, deck: Path, query: str = ""):
    page = context.new_page()
    page.goto(deck.resolve().as_uri() + query)
    page.evaluate(_DECK_READY)
    wait_for_math(page)
    return page


def measure_deck(context, deck: Path) -> list[SlideSize]:
    """Every slide and sub-slide of ``deck``, with all its fragments shown, measured."""
    page = _open_deck(context, deck)
    try:
        rows = page.evaluate(_MEASURE)
    finally:
        page.close()
    name = deck.name.removesuffix(".slides.html")
    return [SlideSize(name, r["index"], r["h"], r["v"], r["title"], r["height"], r["width"],
                      r["wide"]) for r in rows]


def print_deck_pdf(context, deck: Path, pdf: Path) -> None:
    """``deck`` in reveal.js's print-pdf layout, one slide (all fragments shown) per page."""
    page = _open_deck(context, deck, "?print-pdf")
    try:
        page.wait_for_function("() => document.querySelector('.reveal .pdf-page') !== null")
        page.evaluate("() => new Promise(resolve => MathJax.Hub.Queue(() => { resolve(); }))")
        pages = page.evaluate("() => document.querySelectorAll('.reveal .pdf-page').length")
        pdf.parent.mkdir(parents=True, exist_ok=True)
        # (Chromium adds a blank page after reveal's last one: print the slides' pages only)
        page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True, page_ranges=f"1-{pages}")
    finally:
        page.close()


def print_page_pdf(context, html: Path, pdf: Path) -> None:
    """A course page as an A4 PDF (the navigation is hidden in print)."""
    page = context.new_page()
    try:
        page.goto(html.resolve().as_uri())
        wait_for_math(page)
        pdf.parent.mkdir(parents=True, exist_ok=True)
        page.pdf(path=str(pdf), format="A4", print_background=True,
                 margin={"top": "12mm", "bottom": "12mm", "left": "10mm", "right": "10mm"})
    finally:
        page.close()
