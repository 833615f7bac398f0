"""A tiny course notebook with the full anatomy, for the build, check and browser tests.

``write_pair(folder)`` writes ``folder/00_fixture.py`` and pairs it (``jupytext
--set-formats``), so the pair is in sync by construction; ``execute_pair`` runs it with the
course's ``optim-course execute`` code path. It has: a title cell, a setup cell, display and
inline math, a PNG figure, a widget, two exercises (a value and an optimizer class), each with
a check cell, a summary cell that uses an exercise's answer, references and what's next.
(Not a test module: pytest collects only ``test_*.py``.)
"""

from __future__ import annotations

from pathlib import Path

STEM = "00_fixture"

FIXTURE_PY = '''\
# %% [markdown] slideshow={"slide_type": "slide"}
# # 00 · A tiny fixture
#
# A notebook that exercises every part of the build, with math such as $\\eta \\lambda < 2$.
#
# **Learning objectives**
# - state the update $\\theta_{t+1} = \\theta_t - \\eta g_t$
# - find the critical learning rate
# - read a loss curve
#
# **Prerequisites** none.
#
# **Time to complete:** about 5 minutes

# %%
import ipywidgets
import torch

from course_utils import GD, OptimizerBase, check_optimizer, check_value, new_figure, setup_notebook

DEVICE = setup_notebook(seed=0)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The math
#
# Gradient descent on $f(\\theta) = \\tfrac{\\lambda}{2}\\theta^2$ multiplies the error by
# $1 - \\eta\\lambda$ at every step:
#
# $$\\theta_{t+1} = (1 - \\eta \\lambda)\\, \\theta_t .$$
#
# It converges when \\( |1 - \\eta\\lambda| < 1 \\).

# %%
lam, eta = 4.0, 0.1
thetas = [1.0]
for _ in range(20):
    thetas.append((1 - eta * lam) * thetas[-1])
fig, ax = new_figure()
ax.semilogy([abs(t) for t in thetas], label=r"$|\\theta_t|$")
ax.set(title="GD on a quadratic", xlabel="step $t$", ylabel="distance to the minimum")
ax.legend()
print(f"contraction per step: {thetas[1] / thetas[0]:.2f}")
fig

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "fragment"}
ipywidgets.IntSlider(value=3, min=0, max=10, description="steps")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# **Exercise 1.** The largest learning rate that does not diverge for $\\lambda = 4$.

# %% tags=["solution"]
critical_lr = 2 / lam

# %%
check_value("critical learning rate", critical_lr, 0.5)

# %% [markdown]
# **Exercise 2.** Gradient descent on the course template.

# %% tags=["solution"]
class MyGD(OptimizerBase):
    """theta <- theta - lr * g."""

    hyperparameters = GD.hyperparameters
    defaults_ = {"lr": 0.01}

    def init_state(self, p, state, group):
        pass

    def update_param(self, p, grad, state, group):
        """One step."""
        p.add_(grad, alpha=-group["lr"])

# %%
check_optimizer(MyGD, torch.optim.SGD, [{"lr": 0.01}], steps=5)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# GD diverges past $\\eta = 2/\\lambda$.

# %%
print(f"twice the critical rate: {2 * critical_lr:.2f}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## References
#
# Cauchy, *Méthode générale pour la résolution des systèmes d'équations simultanées*, 1847.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What's next
#
# Nothing: this is a fixture.
'''


def write_pair(folder: Path, text: str = FIXTURE_PY, stem: str = STEM) -> Path:
    """Write ``folder/<stem>.py`` and its paired (unexecuted) ``.ipynb``; returns the .py."""
    folder.mkdir(parents=True, exist_ok=True)
    py = folder / f"{stem}.py"
    py.write_text(text, encoding="utf-8")
    from jupytext.cli import jupytext as jupytext_cli

    jupytext_cli(["--quiet", "--set-formats", "ipynb,py:percent", str(py)])
    return py


def execute_pair(py: Path) -> Path:
    """Execute the pair's .ipynb in place and re-sync, as ``optim-course execute`` does."""
    from course_utils.authoring.cli import main

    assert main(["execute", str(py.with_suffix(".ipynb"))]) == 0
    return py.with_suffix(".ipynb")


def fake_execute(py: Path) -> Path:
    """Give the pair's .ipynb the outputs an execution would (a PNG figure, printed text,
    check results) without starting a kernel, then re-sync the pair; returns the .ipynb."""
    import base64
    import io

    import nbformat
    from matplotlib.figure import Figure

    from course_utils.authoring.cli import jupytext_sync

    fig = Figure(figsize=(3, 2))
    ax = fig.subplots()
    ax.semilogy([0.6**t for t in range(21)])
    ax.set(title="GD on a quadratic", xlabel="step", ylabel="distance")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=60)
    png = base64.b64encode(buf.getvalue()).decode()

    ipynb = py.with_suffix(".ipynb")
    nb = nbformat.read(ipynb, as_version=4)
    count = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        count += 1
        cell.execution_count = count
        if "fig" in cell.source.splitlines()[-1:]:
            cell.outputs = [
                nbformat.v4.new_output("stream", name="stdout", text="contraction per step: 0.60\n"),
                nbformat.v4.new_output("execute_result", execution_count=count,
                                       data={"image/png": png, "text/plain": "<Figure>"}),
            ]
        elif cell.source.startswith("check_"):
            cell.outputs = [nbformat.v4.new_output("execute_result", execution_count=count,
                                                   data={"text/plain": "[PASS] fixture check"})]
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python",
                                 "name": "python3"}
    nbformat.write(nb, ipynb)
    jupytext_sync(py)
    return ipynb


ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"


def in_ci() -> bool:
    import os

    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def need(condition: bool, reason: str) -> None:
    """Skip the test when ``condition`` is false, except in CI (env CI=true), where it fails."""
    import pytest

    if condition:
        return
    if in_ci():
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)")
    pytest.skip(reason)


def need_node_modules() -> Path:
    need((NODE_MODULES / "reveal.js" / "dist" / "reveal.js").exists(),
         "node_modules/ is missing: run `make node_modules` (npm ci) to get the offline assets")
    return NODE_MODULES


def course_notebooks() -> list[Path]:
    """The committed, executed notebooks of the course: notebooks/NN_stem.ipynb with a .py pair."""
    folder = ROOT / "notebooks"
    return [py.with_suffix(".ipynb") for py in sorted(folder.glob("[0-9][0-9]_*.py"))
            if py.with_suffix(".ipynb").exists()]
