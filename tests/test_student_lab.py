"""The student's path in a real JupyterLab (issue 12, items 6 and 8), driven through Chromium.

`optim-course work` fills a temporary work folder with the student edition of 02 (the notebook
with the sliders); JupyterLab runs on localhost (a random free port, a token, the course's
settings from jupyterlab/overrides.json); then, as a student: Run All (no error output), drag a
slider to its maximum (the figure redraws), type a correct answer into an exercise (PASS) and a
wrong one (FAIL with a hint), save, shut the kernel down, reopen: the sliders show their saved
state, never "Error displaying widget". Screenshots go to _build/screenshots/student/.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time

import pytest
from _course_fixture import ROOT, need

# In `make test` (issue 12): the student path in a real browser is what a student meets first.

SHOTS = ROOT / "_build" / "screenshots" / "student"
NOTEBOOK = "02_momentum.ipynb"
RIGHT = 'torch_config = {"lr": 0.01, "momentum": 0.9}'
WRONG = 'torch_config = {"lr": 0.1, "momentum": 0.9, "dampening": 0.9}'
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on a fresh work folder; yields (base URL with token, work folder)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    need(chromium is not None, "Chromium is not installed (apt-get install -y chromium)")
    need((ROOT / "notebooks" / NOTEBOOK).exists(), f"notebooks/{NOTEBOOK} is missing")
    pytest.importorskip("playwright")
    tmp = tmp_path_factory.mktemp("lab")
    work = tmp / "work"
    from course_utils.authoring.cli import main

    assert main(["work", "--dir", str(work), "--notebooks", str(ROOT / "notebooks")]) == 0
    settings = tmp / "app-settings"
    settings.mkdir()
    overrides = json.loads((ROOT / "jupyterlab" / "overrides.json").read_text(encoding="utf-8"))
    overrides["@jupyterlab/apputils-extension:notification"] = {"fetchNews": "false"}  # no pop-up over the shots
    (settings / "overrides.json").write_text(json.dumps(overrides), encoding="utf-8")
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp / "config"), "JUPYTERLAB_SETTINGS_DIR": str(tmp / "user"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces"), "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
           "PYTHONPATH": str(ROOT), "COURSE_DEVICE": "cpu"}
    log = open(tmp / "lab.log", "w")  # noqa: SIM115  (closed below)
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}",
         f"--LabApp.app_settings_dir={settings}", "--expose-app-in-browser",
         "--ServerApp.open_browser=False", *(["--allow-root"] if os.geteuid() == 0 else [])],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while time.time() < deadline and proc.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not start:\n" + (tmp / "lab.log").read_text()[-3000:])
        yield base, token, work, chromium
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


JS_ALL_RUN = """() => {
  const nb = window.jupyterapp.shell.currentWidget;
  if (!nb || !nb.content || !nb.sessionContext.session) return false;
  const kernel = nb.sessionContext.session.kernel;
  const cells = nb.content.model.cells;
  for (let i = 0; i < cells.length; i++) {
    const c = cells.get(i);
    if (c.type === 'code' && c.sharedModel.getSource().trim() && c.executionCount === null) return false;
  }
  return kernel && kernel.status === 'idle';
}"""

JS_ERRORS = """() => {
  const cells = window.jupyterapp.shell.currentWidget.content.model.cells;
  const found = [];
  for (let i = 0; i < cells.length; i++) {
    const c = cells.get(i);
    if (c.type !== 'code') continue;
    for (let j = 0; j < c.outputs.length; j++) {
      const o = c.outputs.get(j);
      if (o.type === 'error') found.push(i + ': ' + JSON.stringify(o.toJSON()).slice(0, 300));
    }
  }
  return found;
}"""

JS_CELL_WITH = """(text) => {
  const cells = window.jupyterapp.shell.currentWidget.content.model.cells;
  for (let i = 0; i < cells.length; i++) if (cells.get(i).sharedModel.getSource().startsWith(text)) return i;
  return -1;
}"""

JS_SET_AND_RUN = """async ([index, source]) => {
  const panel = window.jupyterapp.shell.currentWidget;
  panel.content.model.cells.get(index).sharedModel.setSource(source);
  panel.content.activeCellIndex = index;
  await window.jupyterapp.commands.execute('notebook:run-cell-and-select-next');
  await window.jupyterapp.commands.execute('notebook:run-cell-and-select-next');
}"""


def _wait(page, js: str, timeout_s: float, arg=None) -> None:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if page.evaluate(js, arg) if arg is not None else page.evaluate(js):
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {js[:80]!r}")


def _check_output(page, index: int) -> tuple[str, str]:
    """(the class list, the text) of the verdict box under cell ``index``."""
    cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
    box = cell.locator(".course-check")
    box.first.wait_for(timeout=60_000)
    return box.first.get_attribute("class") or "", box.first.inner_text()


def test_a_student_runs_02_drags_a_slider_and_does_an_exercise(lab):
    from playwright.sync_api import sync_playwright

    base, token, work, chromium = lab
    SHOTS.mkdir(parents=True, exist_ok=True)
    started = time.time()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{base}/lab/tree/{NOTEBOOK}?token={token}")
        page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget "
                               "&& window.jupyterapp.shell.currentWidget.sessionContext", timeout=120_000)
        page.wait_for_function("() => window.jupyterapp.shell.currentWidget.sessionContext.isReady", timeout=120_000)
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        _wait(page, JS_ALL_RUN, 240)
        assert page.evaluate(JS_ERRORS) == [], "an error output after Run All"
        page.screenshot(path=str(SHOTS / "02_after_run_all.png"))

        # the explorer: set beta to its maximum, the figure redraws
        explorer = page.locator(".jupyter-widgets.widget-vbox").first
        explorer.scroll_into_view_if_needed()
        image = explorer.locator(".widget-output img").first
        image.wait_for(timeout=60_000)
        before = image.get_attribute("src")
        explorer.screenshot(path=str(SHOTS / "02_explorer_initial.png"))
        readout = explorer.locator(".widget-readout").nth(1)  # the second slider: beta
        readout.click()
        page.keyboard.press("Control+A")
        page.keyboard.insert_text("0.99")
        page.keyboard.press("Enter")
        page.wait_for_function("([el, src]) => { const img = el.querySelector('.widget-output img'); "
                               "return img && img.getAttribute('src') !== src; }",
                               arg=[explorer.element_handle(), before], timeout=60_000)
        explorer.screenshot(path=str(SHOTS / "02_explorer_beta_max.png"))
        assert page.evaluate(JS_ERRORS) == []

        # exercise 3: a correct answer passes, a wrong one gets a hint
        index = page.evaluate(JS_CELL_WITH, "torch_config = None")
        assert index >= 0, "the stub of exercise 3 is not in the student edition"
        page.evaluate(JS_SET_AND_RUN, [index, RIGHT])
        classes, text = _check_output(page, index + 1)
        assert "course-check-pass" in classes and "PASS" in text, text
        page.locator(".jp-Notebook .jp-Cell").nth(index + 1).screenshot(path=str(SHOTS / "02_exercise_pass.png"))
        page.evaluate(JS_SET_AND_RUN, [index, WRONG])
        page.wait_for_function(f"() => !!document.querySelectorAll('.jp-Notebook .jp-Cell')[{index + 1}]"
                               ".querySelector('.course-check-fail')", timeout=60_000)
        classes, text = _check_output(page, index + 1)
        assert "FAIL" in text and "hint" in text, text
        page.locator(".jp-Notebook .jp-Cell").nth(index + 1).screenshot(path=str(SHOTS / "02_exercise_fail.png"))

        # save, shut the kernel down, reopen: the widget shows its saved state, never a bare error
        page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
        time.sleep(2)
        page.evaluate("() => window.jupyterapp.commands.execute('kernelmenu:shutdown')")
        time.sleep(2)
        page.evaluate("() => window.jupyterapp.commands.execute('application:close-all')")
        time.sleep(2)
        page.goto(f"{base}/lab/tree/{NOTEBOOK}?token={token}&reset")
        page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget "
                               "&& window.jupyterapp.shell.currentWidget.content", timeout=120_000)
        index = -1
        for _ in range(60):
            index = page.evaluate(JS_CELL_WITH, "explorer = trajectory_explorer(")
            if index >= 0:
                break
            time.sleep(1)
        assert index >= 0
        page.evaluate("async (i) => { const nb = window.jupyterapp.shell.currentWidget.content; "
                      "nb.activeCellIndex = i; await nb.scrollToItem(i, 'start'); }", index)
        text_of = ("(i) => { const w = window.jupyterapp.shell.currentWidget.content.widgets[i]; "
                   "const o = w && w.node.querySelector('.jp-OutputArea'); return o ? o.innerText : null; }")
        count = ("(i) => window.jupyterapp.shell.currentWidget.content.widgets[i].node"
                 ".querySelectorAll('.widget-slider, .widget-hslider').length")
        shown = ""
        for _ in range(90):
            shown = page.evaluate(text_of, index) or ""
            if page.evaluate(count, index) or "Error displaying" in shown or "run the cell" in shown:
                break
            time.sleep(1)
        saved = (work / NOTEBOOK).read_text(encoding="utf-8")
        assert '"application/vnd.jupyter.widget-state+json"' in saved, "widget state was not saved"
        output = page.evaluate_handle("(i) => window.jupyterapp.shell.currentWidget.content.widgets[i].node"
                                      ".querySelector('.jp-OutputArea')", index).as_element()
        output.scroll_into_view_if_needed()
        output.screenshot(path=str(SHOTS / "02_reopened_explorer.png"))
        sliders = page.evaluate(count, index)
        assert "Error displaying widget" not in shown, shown
        assert sliders > 0 or "run the cell" in shown, shown
        browser.close()
    saved = (work / NOTEBOOK).read_text(encoding="utf-8")
    assert '"application/vnd.jupyter.widget-state+json"' in saved, "widget state was not saved"
    print(f"student path in the browser: {time.time() - started:.0f} s")
