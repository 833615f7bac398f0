"""Speed targets of the course, measured (never asserted in tests).

    .venv/bin/python benchmarks/run.py                  # everything, prints a Markdown table
    .venv/bin/python benchmarks/run.py --only grid optim
    .venv/bin/python benchmarks/run.py --update-readme  # also rewrite the table in README.md
    .venv/bin/python benchmarks/run.py --only notebooks --repeat 1   # one run per notebook

Targets: each notebook executes in <= 15 s on one core (00-04; <= 20 s for 05-10; <= 40 s for
the capstone 11); a 200x200 landscape grid in one call is >= 100x faster than a Python double loop of scalar calls (the
seeds' way); our optimizers' step is <= 1.5x torch.optim's single-tensor (foreach=False) step on
a ~1M-parameter MLP; the top Hessian eigenvalue of a ~100k-parameter MLP takes < 2 s.

The machine's speed is measured before every notebook run: a fixed probe (60 float64 training
steps of a small transformer, one core, the median of 9). Its range is printed above the notebook
rows. On a shared virtual machine it drifts: for example 0.31 s to 0.47 s within one table, while an
unchanged notebook took 13 s one morning and 25 s one afternoon. The probe shows such drift; it is
too noisy to correct for it (scaling each run by its probe made the rows vary more, not less).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

Row = tuple[str, str, str, str]  # what, measured, target, verdict


def _one_core() -> list[str]:
    """Prefix that pins a command to one core, when taskset is available."""
    return ["taskset", "-c", "0"] if shutil.which("taskset") else []


_PROBE = """
import time, torch
torch.set_num_threads(1)
from course_utils.transformer import CharTransformer, TransformerConfig, lm_loss
cfg = TransformerConfig(vocab_size=96, context=32, d_model=32, n_heads=4, n_layers=1, mlp_ratio=2)
gen = torch.Generator().manual_seed(0)
x, y = (torch.randint(0, 96, (16, 32), generator=gen) for _ in range(2))
times = []
for _ in range(9):
    model = CharTransformer(cfg, seed=0, dtype=torch.float64)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    start = time.perf_counter()
    for _ in range(60):
        opt.zero_grad()
        lm_loss(model, x, y).backward()
        opt.step()
    times.append(time.perf_counter() - start)
print(sorted(times)[len(times) // 2])
"""


def probe_seconds() -> float:
    """The probe's time on one core now: 60 float64 training steps of a small transformer, the
    median of 9 (a virtual machine's speed also varies from one second to the next)."""
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    out = subprocess.run(_one_core() + [sys.executable, "-c", _PROBE], capture_output=True, text=True,
                         env=env, cwd=ROOT, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def bench_notebooks(repeat: int = 3, only: str = "") -> list[Row]:
    """Each notebook's execution time on one core, the median of ``repeat`` fresh-kernel runs; the
    speed probe runs before each run, and the first row gives its range."""
    rows: list[Row] = []
    probes: list[float] = []
    sources = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
    for py in (py for py in sources if py.stem.startswith(only)):
        ipynb = py.with_suffix(".ipynb")
        if not ipynb.exists():
            continue
        runs = []
        for _ in range(repeat):
            probes.append(probe_seconds())
            seconds = _execute_once(ipynb)
            if seconds is None:
                break
            runs.append(seconds)
        if len(runs) < repeat:
            rows.append((f"notebook {py.stem}", "failed", "", "FAIL"))
            continue
        seconds = statistics.median(runs)
        number = int(py.stem[:2])
        limit = 15.0 if number <= 4 else 20.0 if number <= 10 else 40.0
        rows.append((f"notebook {py.stem} (one core, median of {repeat})", f"{seconds:.1f} s", f"<= {limit:.0f} s",
                     "ok" if seconds <= limit else "SLOW"))
    if probes:
        rows.insert(0, (f"machine speed: the probe before each run (one core; {len(probes)} probes)",
                        f"{min(probes):.2f}-{max(probes):.2f} s", "", ""))
    return rows


def _execute_once(ipynb: Path) -> float | None:
    """Seconds to execute a copy of ``ipynb`` in a fresh kernel pinned to one core (None: failed)."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / ipynb.name
        shutil.copy2(ipynb, copy)
        code = (
            "from pathlib import Path; from course_utils.authoring.cli import execute; "
            f"print(execute(Path({str(copy)!r})))"
        )
        env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", TQDM_DISABLE="1")
        out = subprocess.run(_one_core() + [sys.executable, "-c", code], capture_output=True,
                             text=True, env=env, cwd=ROOT)
    if out.returncode != 0:
        return None
    return float(out.stdout.strip().splitlines()[-1])


def bench_grid() -> list[Row]:
    import numpy as np
    import torch

    from course_utils import pathological

    torch.set_num_threads(1)
    n = 200
    xs, ys = np.linspace(-5, 5, n), np.linspace(-7, 7, n)
    X, Y = np.meshgrid(xs, ys)

    def vectorised():
        pathological.grid(n, (-5, 5), (-7, 7))

    def double_loop():  # the seeds' plot_surface: one scalar call per grid point
        Z = np.zeros_like(X)
        for i in range(n):
            for j in range(n):
                Z[i, j] = pathological(torch.tensor(X[i, j]), torch.tensor(Y[i, j]))
        return Z

    t_vec = min(_time(vectorised) for _ in range(20))
    t_loop = _time(double_loop)
    ratio = t_loop / t_vec
    return [
        ("200x200 grid, one vectorised call", f"{t_vec * 1e3:.2f} ms", "", ""),
        ("200x200 grid, double loop of scalar calls", f"{t_loop:.2f} s", "", ""),
        ("grid speed-up (loop / vectorised)", f"{ratio:.0f}x", ">= 100x", "ok" if ratio >= 100 else "SLOW"),
    ]


def bench_optimizers(repeats: int = 30) -> list[Row]:
    import torch

    import course_utils.optim as O

    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 1024), torch.nn.ReLU(), torch.nn.Linear(1024, 256), torch.nn.ReLU(),
        torch.nn.Linear(256, 10),
    )
    n_params = sum(p.numel() for p in model.parameters())
    for p in model.parameters():
        p.grad = torch.randn_like(p) * 1e-3
    pairs = [
        ("SGD (momentum 0.9)", O.SGD, torch.optim.SGD, {"lr": 1e-3, "momentum": 0.9}),
        ("Adagrad", O.Adagrad, torch.optim.Adagrad, {"lr": 1e-3}),
        ("RMSProp", O.RMSProp, torch.optim.RMSprop, {"lr": 1e-3}),
        ("Adam", O.Adam, torch.optim.Adam, {"lr": 1e-3}),
        ("AdamW", O.AdamW, torch.optim.AdamW, {"lr": 1e-3}),
    ]
    rows: list[Row] = []
    for name, ours, theirs, kw in pairs:
        # interleaved rounds, so that a busy machine slows both sides alike
        opt_ours = ours(model.parameters(), **kw)
        opt_torch = theirs(model.parameters(), foreach=False, **kw)
        t_ours, t_torch = float("inf"), float("inf")
        for _ in range(5):
            t_ours = min(t_ours, _step_time(opt_ours, repeats // 5))
            t_torch = min(t_torch, _step_time(opt_torch, repeats // 5))
        ratio = t_ours / t_torch
        rows.append((f"{name} step, {n_params / 1e6:.2f}M params: ours / torch (foreach=False)",
                     f"{t_ours * 1e3:.2f} / {t_torch * 1e3:.2f} ms = {ratio:.2f}x", "<= 1.5x",
                     "ok" if ratio <= 1.5 else "SLOW"))
    return rows


def _step_time(opt, repeats: int) -> float:
    """Median seconds of one ``opt.step()`` (after warm-up steps that create the state)."""
    for _ in range(2):
        opt.step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        opt.step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _time(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench_hessian() -> list[Row]:
    try:
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from hessian_bench import bench_top_eigenvalue  # type: ignore[import-not-found]
    except ImportError:
        return []
    rows: list[Row] = []
    for r in bench_top_eigenvalue():
        rows.append((str(r.get("what", "")), str(r.get("measured", "")), str(r.get("target", "")),
                     str(r.get("verdict", ""))))
    return rows


BENCHES = {"notebooks": bench_notebooks, "grid": bench_grid, "optim": bench_optimizers, "hessian": bench_hessian}


def table(rows: list[Row]) -> str:
    lines = ["| measurement | result | target | |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(lines)


def update_readme(text: str) -> None:
    readme = ROOT / "README.md"
    content = readme.read_text(encoding="utf-8")
    new, n = re.subn(r"(<!-- benchmark:start -->\n).*?(\n<!-- benchmark:end -->)",
                     lambda m: m.group(1) + text + m.group(2), content, flags=re.S)
    if n != 1:
        raise SystemExit("README.md has no <!-- benchmark:start --> ... <!-- benchmark:end --> block")
    readme.write_text(new, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHES), help="run only these benchmarks")
    parser.add_argument("--update-readme", action="store_true", help="write the table into README.md")
    parser.add_argument("--repeat", type=int, default=3,
                        help="fresh-kernel runs per notebook, the median is reported (default 3)")
    parser.add_argument("--notebook", default="", metavar="PREFIX",
                        help="time only the notebooks whose name starts with PREFIX (say 11)")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error(f"--repeat must be at least 1, got {args.repeat}")
    rows: list[Row] = []
    for name in args.only or list(BENCHES):
        rows += bench_notebooks(args.repeat, args.notebook) if name == "notebooks" else BENCHES[name]()
    out = table(rows)
    print(out)
    if args.update_readme:
        update_readme(out)


if __name__ == "__main__":
    main()
