"""Speed and accuracy of the Hessian tools (course_utils.hessian), on one core.

    .venv/bin/python benchmarks/hessian_bench.py

Rows: the top Hessian eigenvalue of a ~100k-parameter MLP on digits by power iteration
(target < 2 s on one core; H itself, 100k x 100k, would not fit in memory), and the
agreement of power iteration with the exact eigenvalue (eigvalsh of the full Hessian) on a
small net (target: relative error <= 1e-6). `benchmarks/run.py` imports `bench_top_eigenvalue`.
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from course_utils import (  # noqa: E402
    HessianOperator,
    hessian,
    load_digits,
    make_mlp,
    num_parameters,
    power_iteration,
)

TARGET_SECONDS = 2.0
TARGET_REL_ERR = 1e-6


def _digits_loss(model: nn.Module, dtype: torch.dtype, n_train: int | None = None):
    data = load_digits(dtype=dtype)
    X, y = data.X_train[:n_train], data.y_train[:n_train]
    model = model.to(dtype)
    return model, (lambda: nn.functional.cross_entropy(model(X), y)), len(X)


def _pretrain(model: nn.Module, closure, steps: int = 30, lr: float = 1e-2) -> None:
    """A few full-batch Adam steps, so the curvature is that of a net that has started learning."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        closure().backward()
        opt.step()


def _max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: kB


def bench_top_eigenvalue(repeats: int = 3) -> list[dict]:
    """Time lambda_max of a ~100k-parameter MLP on digits; check power iteration on a small net."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        rows: list[dict] = []
        # 1. speed: [64, 300, 256, 10] = 99,126 parameters, float32, the 1,348 training digits
        model, closure, n_samples = _digits_loss(make_mlp([64, 300, 256, 10], seed=0), torch.float32)
        _pretrain(model, closure)
        params = list(model.parameters())
        n = num_parameters(params)
        times, lam, iters = [], float("nan"), 0
        rss_before = _max_rss_mb()
        for _ in range(repeats):
            start = time.perf_counter()
            res = power_iteration(HessianOperator(closure, params), k=1, tol=1e-3, max_iter=200, seed=0)
            times.append(time.perf_counter() - start)
            lam, iters = float(res.eigenvalues[0]), res.matvecs
        rss_growth = _max_rss_mb() - rss_before
        best = min(times)
        rows.append({
            "what": f"top Hessian eigenvalue, MLP with {n:,} params on {n_samples} digits "
                    f"(power iteration, tol 1e-3, one core)",
            "measured": f"{best:.2f} s ({iters} HVPs, lambda_max = {lam:.4g})",
            "target": f"< {TARGET_SECONDS:g} s",
            "verdict": "ok" if best < TARGET_SECONDS else "SLOW",
        })
        tight = power_iteration(HessianOperator(closure, params), k=1, tol=1e-7, max_iter=2000, seed=1)
        lam_tight = float(tight.eigenvalues[0])
        rel_fast = abs(lam - lam_tight) / abs(lam_tight)
        rows.append({
            "what": "that tol-1e-3 answer vs a tol-1e-7 run from another start (same MLP)",
            "measured": f"rel. difference {rel_fast:.1e} ({tight.matvecs} HVPs)",
            "target": "<= 1e-3",
            "verdict": "ok" if rel_fast <= 1e-3 else "FAIL",
        })
        h_gb = n * n * 4 / 2**30
        rows.append({
            "what": "peak memory growth during those runs (the full H would need "
                    f"{h_gb:,.0f} GB in float32)",
            "measured": f"{max(rss_growth, 0.0):.0f} MB",
            "target": "O(n): no n x n matrix",
            "verdict": "ok" if rss_growth < 0.01 * h_gb * 1024 else "HIGH",
        })
        # 2. accuracy: a net small enough for the exact Hessian, float64
        small, closure_s, n_small = _digits_loss(make_mlp([64, 16, 10], seed=0), torch.float64, n_train=512)
        _pretrain(small, closure_s)
        ps = list(small.parameters())
        exact = float(torch.linalg.eigvalsh(hessian(closure_s, ps))[-1])
        res = power_iteration(closure_s, ps, k=1, which="LA", tol=1e-10, max_iter=5000)
        est = float(res.eigenvalues[0])
        rel = abs(est - exact) / abs(exact)
        rows.append({
            "what": f"power iteration vs eigvalsh of the full Hessian, MLP with {num_parameters(ps):,} "
                    f"params on {n_small} digits (float64)",
            "measured": f"rel. error {rel:.1e} (lambda_max = {exact:.6g}, {res.matvecs} HVPs)",
            "target": f"<= {TARGET_REL_ERR:g}",
            "verdict": "ok" if rel <= TARGET_REL_ERR else "FAIL",
        })
        return rows
    finally:
        torch.set_num_threads(threads)


def main() -> None:
    rows = bench_top_eigenvalue()
    print("| measurement | result | target | |")
    print("|---|---|---|---|")
    for r in rows:
        print(f"| {r['what']} | {r['measured']} | {r['target']} | {r['verdict']} |")


if __name__ == "__main__":
    main()
