# The .py notebooks are jupytext sources, never test modules: pytest must not import them.
collect_ignore_glob = ["notebooks/*.py", "_build/*", "node_modules/*"]
