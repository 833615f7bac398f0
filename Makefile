# Optimization for Deep Learning: the two commands a newcomer runs are `make course` and `make test`.
PYTHON     ?= python3
VENV       ?= .venv
BIN        := $(VENV)/bin
# torch first and pinned: a bare `pip install torch` pulls gigabytes of CUDA packages.
TORCH_SPEC ?= torch==2.13.0
STAMP      := $(VENV)/.installed
# Every other package at the exact version (and hash) of the lock file; `make lock` updates it.
LOCK       := requirements.lock
# What only macOS or Windows needs (pip-compile on Linux leaves it out), pinned with hashes by hand.
PLATFORM_LOCK := requirements-platform.lock
JOBS       ?= 2
NBVAL      := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg
# Outputs are compared on the CPU on every machine: a GPU (TF32, other kernels) prints other numbers.
ON_CPU     := COURSE_DEVICE=cpu

.PHONY: help env test unit slow nbval perturb ci test-latest lock course check lab lab-instructor work sync clean

help:
	@echo "make course  build pages, slides and student editions into _build/ (creates .venv if missing)"
	@echo "make test    unit tests, pair check and nbval on every notebook (creates .venv if missing)"
	@echo "make slow    the slow tests: student editions executed, browser tests, nbval sensitivity"
	@echo "make perturb nbval on every notebook under two simulated other CPUs (last bits moved)"
	@echo "make lock    re-resolve requirements.lock (newest releases pyproject.toml allows, hashes for every platform)"
	@echo "make test-latest  nbval against the newest releases, in .venv-latest (drift shows up early; CI does not run it)"
	@echo "make check   pairs in sync, notebook anatomy, no committed file over 1 MB"
	@echo "make lab     the student's JupyterLab: work/ (student editions, filled only with what is missing)"
	@echo "make lab-instructor  JupyterLab on notebooks/ (solutions included; .py opens as a notebook)"
	@echo "make sync    sync .py/.ipynb pairs and re-execute the stale notebooks"
	@echo "make clean   remove _build/ and caches (never work/, never a student notebook you edited)"

$(STAMP): pyproject.toml $(LOCK) $(PLATFORM_LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH_SPEC)"
	$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r $(LOCK) -r $(PLATFORM_LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

# JupyterLab settings shipped with the environment: .py files open as notebooks (jupytext), widget
# state is saved with the notebook (a reopened notebook shows its sliders' last state).
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json
$(LAB_SETTINGS): jupyterlab/overrides.json $(STAMP)
	mkdir -p $(dir $@)
	cp jupyterlab/overrides.json $@

env: $(STAMP) $(LAB_SETTINGS)

# optim-course check (tests/test_cli_check.py), unit tests and nbval in one run: each notebook's
# cells stay on one worker (conftest.py's NotebookScheduling), the unit tests fill the gaps.
test: $(STAMP) node_modules
	$(ON_CPU) $(BIN)/python -m pytest $(NBVAL) -n $(JOBS) --dist loadgroup -q -m "not slow" notebooks tests

unit: $(STAMP)
	$(BIN)/python -m pytest tests -n $(JOBS) -q -m "not slow"

slow: $(STAMP) node_modules
	$(ON_CPU) $(BIN)/python -m pytest tests -n $(JOBS) -q -m slow

nbval: $(STAMP)
	$(ON_CPU) $(BIN)/python -m pytest $(NBVAL) -n $(JOBS) --dist loadfile -q notebooks

# What CI runs (.ci/run): everything.
ci: test perturb slow

# The perturbation check: the committed outputs must survive what another CPU does to the last bits
# of floating point (course_utils/numerics.py): one pass flips the lowest bit of every reduction,
# transcendental function and random draw; the other rounds them up, with PyTorch's unvectorised
# kernels and two threads.
perturb: $(STAMP)
	$(ON_CPU) COURSE_NUMERICS=flip $(BIN)/python -m pytest $(NBVAL) -n $(JOBS) --dist loadfile -q notebooks
	$(ON_CPU) COURSE_NUMERICS=up ATEN_CPU_CAPABILITY=default COURSE_THREADS=2 \
	  $(BIN)/python -m pytest $(NBVAL) -n $(JOBS) --dist loadfile -q notebooks

# The lock: every dependency but torch (installed first, from TORCH_SPEC) pinned with the hashes of
# every platform's files. Resolved against the CPU build of torch, whose metadata lists no CUDA
# packages. Hashing every platform's wheels downloads a few GB once; unchanged pins reuse their hashes.
lock: $(STAMP)
	echo "$(TORCH_SPEC)+cpu" > $(VENV)/torch-constraint.txt
	$(BIN)/pip-compile --upgrade --generate-hashes --extra dev --strip-extras --unsafe-package torch \
	  --no-emit-index-url --no-emit-find-links -c $(VENV)/torch-constraint.txt -o $(LOCK) pyproject.toml

# The newest releases of everything (torch stays at TORCH_SPEC unless you override it): upstream drift
# shows up here first. Not part of `make test` or CI; a failure means the lock needs care before `make lock`.
LATEST := .venv-latest
test-latest:
	test -x $(LATEST)/bin/python || $(PYTHON) -m venv $(LATEST)
	$(LATEST)/bin/python -m pip install --quiet --upgrade pip
	echo "$(TORCH_SPEC)" > $(LATEST)/torch-constraint.txt
	$(LATEST)/bin/python -m pip install --quiet "$(TORCH_SPEC)"
	$(LATEST)/bin/python -m pip install --quiet --upgrade --upgrade-strategy eager \
	  -c $(LATEST)/torch-constraint.txt -e ".[dev]"
	$(LATEST)/bin/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	$(ON_CPU) $(LATEST)/bin/python -m pytest $(NBVAL) -n $(JOBS) --dist loadfile -q notebooks

# Offline copies of reveal.js, MathJax 2, require.js and jQuery for _build/ (versions in package-lock.json).
node_modules: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

course: $(STAMP) node_modules
	$(BIN)/optim-course build

check: $(STAMP)
	$(BIN)/optim-course check

# The student's folder: work/ (gitignored). `optim-course work` writes there only the student
# editions that are missing (or that you never touched); a notebook you edited is kept, and a newer
# version of it lands beside it as NN_stem.updated.ipynb.
work: $(STAMP)
	$(BIN)/optim-course work --dir work --notebooks notebooks

lab: work $(LAB_SETTINGS)
	$(BIN)/jupyter lab --ServerApp.root_dir=work

lab-instructor: $(LAB_SETTINGS)
	$(BIN)/jupyter lab --ServerApp.root_dir=notebooks

sync: $(STAMP)
	$(BIN)/optim-course sync

# Never touches work/; in _build/student/ it keeps every notebook a student edited.
clean:
	if [ -x $(BIN)/optim-course ]; then $(BIN)/optim-course clean --out _build; \
	else find _build -mindepth 1 -maxdepth 1 ! -name student -exec rm -rf {} + 2>/dev/null || true; fi
	rm -rf .pytest_cache .hypothesis .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
