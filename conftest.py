"""Root conftest: what every pytest run of the repository shares."""

from __future__ import annotations

import pytest

# The .py notebooks are jupytext sources, never test modules: pytest must not import them.
collect_ignore_glob = ["notebooks/*.py", "_build/*", "node_modules/*"]

try:
    from xdist.scheduler import LoadScopeScheduling
except ImportError:  # pytest-xdist is in the lock; without it there is nothing to schedule
    LoadScopeScheduling = None


if LoadScopeScheduling is not None:

    class NotebookScheduling(LoadScopeScheduling):
        """One unit of work per notebook (nbval runs its cells in order in one kernel), one per
        other test. xdist hands out the biggest units (the notebooks) first and fills the gaps
        with unit tests, so `make test` runs both in one balanced run."""

        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return path if path.endswith(".ipynb") else nodeid

    def pytest_xdist_make_scheduler(config: pytest.Config, log):
        """``--dist loadgroup`` in this repository means NotebookScheduling. (xdist's own
        loadgroup renames node ids, which pytest 9 no longer allows: its groups are ignored.)"""
        if config.getvalue("dist") == "loadgroup":
            return NotebookScheduling(config, log)
        return None
