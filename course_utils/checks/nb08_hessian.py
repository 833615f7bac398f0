"""Checks of notebook 08 (Hessians and saddle points): power iteration, the second-order test."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import torch

from ..hessian import classify_critical_point, hessian
from .core import FAIL, PASS, CheckResult, fmt, guard

__all__ = [
    "CRITICAL_POINT_HESSIANS",
    "check_critical_point_kinds",
    "check_power_iteration",
]


def _spectrum_matrix(eigenvalues: Sequence[float], seed: int) -> torch.Tensor:
    """Q diag(lambda) Q^T with a seeded random orthogonal Q (float64)."""
    lam = torch.tensor(list(eigenvalues), dtype=torch.float64)
    gen = torch.Generator().manual_seed(seed)
    Q, _ = torch.linalg.qr(torch.randn(len(lam), len(lam), generator=gen, dtype=torch.float64))
    A = Q @ torch.diag(lam) @ Q.T
    return (A + A.T) / 2


def _power_iteration_cases() -> list[tuple[str, Callable[[torch.Tensor], torch.Tensor], int, torch.Tensor]]:
    """(name, matvec, n, exact eigenvalues) for the power-iteration check."""
    cases = []
    for name, spectrum, seed in (
        ("a 4 x 4 matrix with eigenvalues (5, 2, 1, -1)", (5.0, 2.0, 1.0, -1.0), 0),
        ("a 5 x 5 matrix whose dominant eigenvalue is negative, (-6, 3, 1, 0.5, 0)", (-6.0, 3.0, 1.0, 0.5, 0.0), 1),
        ("a 30 x 30 matrix with eigenvalues in [-2, 8]", tuple(torch.linspace(-2.0, 8.0, 30).tolist()), 2),
    ):
        A = _spectrum_matrix(spectrum, seed)
        cases.append((name, (lambda v, A=A: A @ v), A.shape[0], torch.linalg.eigvalsh(A)))
    # the Hessian-vector product of a small tanh network (cross-entropy on 20 random points)
    gen = torch.Generator().manual_seed(3)
    W1 = torch.randn(3, 5, generator=gen, dtype=torch.float64).requires_grad_()
    W2 = torch.randn(5, 3, generator=gen, dtype=torch.float64).requires_grad_()
    X = torch.randn(20, 3, generator=gen, dtype=torch.float64)
    y = torch.randint(0, 3, (20,), generator=gen)

    def loss_fn() -> torch.Tensor:
        return torch.nn.functional.cross_entropy(torch.tanh(X @ W1) @ W2, y)

    params = [W1, W2]
    H = hessian(loss_fn, params)
    grads = torch.autograd.grad(loss_fn(), params, create_graph=True)

    def hvp_matvec(v: torch.Tensor) -> torch.Tensor:
        parts = torch.split(v.detach(), [p.numel() for p in params])
        dot = sum((g * u.reshape(g.shape)).sum() for g, u in zip(grads, parts, strict=True))
        out = torch.autograd.grad(dot, params, retain_graph=True)
        return torch.cat([o.reshape(-1) for o in out])

    cases.append(("the Hessian-vector product of a small tanh network (n = 30)", hvp_matvec, H.shape[0],
                  torch.linalg.eigvalsh(H)))
    return cases


def check_power_iteration(student_fn: Callable[..., Any], iters: int = 300, rtol: float = 1e-4) -> CheckResult:
    """``student_fn(matvec, n, iters)`` must return the eigenvalue of largest magnitude (with its
    sign) of the symmetric operator ``matvec``, compared with torch.linalg.eigvalsh."""
    title = "power iteration: the eigenvalue of largest magnitude"

    def body() -> CheckResult:
        torch.manual_seed(0)  # the student's random start
        for name, matvec, n, lam in _power_iteration_cases():
            got = student_fn(matvec, n, iters)
            if got is None:
                raise NotImplementedError
            value = float(torch.as_tensor(got).reshape(-1)[0]) if torch.is_tensor(got) else float(got)
            dominant = float(lam[lam.abs().argmax()])
            if math.isclose(value, dominant, rel_tol=rtol):
                continue
            msg = f"on {name}: got {fmt(value)}, expected {fmt(dominant)}"
            second = float(lam[lam.abs().argsort(descending=True)[1]])
            if not math.isfinite(value):
                hint = "the iterate over- or underflowed: divide by its norm at every step, v <- Hv / ||Hv||."
            elif math.isclose(value, abs(dominant), rel_tol=rtol) and dominant < 0:
                hint = ("you returned a magnitude (||Hv|| or abs): the Rayleigh quotient v^T H v keeps the "
                        "sign, and here the dominant eigenvalue is negative.")
            elif math.isclose(value, dominant**2, rel_tol=rtol):
                hint = "that is lambda^2: return v^T H v for a unit vector v, not ||Hv||^2 or v^T H^2 v."
            elif math.isclose(value, float(lam[-1]), rel_tol=rtol):
                hint = ("that is the largest *algebraic* eigenvalue; plain power iteration finds the one of "
                        "largest magnitude, here a negative one.")
            elif math.isclose(value, second, rel_tol=1e-2):
                hint = "that is the second eigenvalue: did you project something out, or stop too early?"
            elif min(abs(value - float(x)) for x in lam) <= 1e-3 * abs(dominant):
                hint = "that is an eigenvalue, but not the one of largest magnitude: check the update v <- Hv."
            else:
                hint = ("start from a random unit vector, repeat v <- Hv / ||Hv||, and return the Rayleigh "
                        "quotient v^T H v (v a unit vector).")
            return CheckResult(FAIL, title, msg, hint)
        return CheckResult(PASS, title, f"matches eigvalsh (rel. tolerance {rtol:g}) on 3 matrices, one with a "
                           "negative dominant eigenvalue, and on a network's Hessian-vector product.")

    return guard(title, body)


CRITICAL_POINT_HESSIANS: dict[str, list[list[float]]] = {
    "A": [[2.0, 1.0], [1.0, 2.0]],
    "B": [[1.0, 3.0], [3.0, 1.0]],
    "C": [[-2.0, 0.0], [0.0, -0.5]],
    "D": [[1.0, 1.0], [1.0, 1.0]],
    "E": [[4.0, 0.0, 0.0], [0.0, 3.0, 0.0], [0.0, 0.0, -0.01]],
}
"""The Hessians of notebook 08's exercise 2, at critical points."""

_KIND_HINTS: dict[str, str] = {
    "A": "det = 3 > 0 and trace = 4 > 0: both eigenvalues (1 and 3) are positive.",
    "B": "the diagonal is positive, but det = 1 - 9 = -8 < 0: the eigenvalues 4 and -2 have opposite signs. "
         "Look at the eigenvalues, not at the diagonal.",
    "C": "both eigenvalues are negative: the loss curves down in every direction.",
    "D": "det = 0, so one eigenvalue is 0 (the other is 2): the second-order test cannot decide.",
    "E": "one negative eigenvalue is enough, however small (-0.01 is small, not zero): with mixed signs the "
         "point is a saddle.",
}


def check_critical_point_kinds(answers: Any) -> CheckResult:
    """``answers`` maps "A".."E" to "minimum", "maximum", "saddle" or "degenerate" for the Hessians
    in CRITICAL_POINT_HESSIANS; the truth comes from `classify_critical_point`."""
    title = "classify the critical points A to E"

    def body() -> CheckResult:
        if answers is None or answers is Ellipsis:
            raise NotImplementedError
        if not isinstance(answers, dict):
            return CheckResult(FAIL, title, f"expected a dict like {{'A': 'minimum', ...}}, got {type(answers).__name__}")
        allowed = ("minimum", "maximum", "saddle", "degenerate")
        given = {str(k).strip().upper(): (str(v).strip().lower() if v is not None else None) for k, v in answers.items()}
        wrong = []
        for key, H in CRITICAL_POINT_HESSIANS.items():
            truth = classify_critical_point(torch.tensor(H, dtype=torch.float64))
            got = given.get(key)
            if got is None:
                raise NotImplementedError
            if got not in allowed:
                return CheckResult(FAIL, title, f"{key}: {got!r} is not one of {', '.join(allowed)}")
            if got != truth:
                wrong.append((key, got))
        if not wrong:
            return CheckResult(PASS, title, "all five right.")
        key, got = wrong[0]
        names = ", ".join(k for k, _ in wrong)
        return CheckResult(FAIL, title, f"{len(wrong)} of 5 wrong ({names}); {key} is not a {got}.", _KIND_HINTS[key])

    return guard(title, body)
