"""Checks of notebook 08 (Hessians and saddle points): power iteration, the smallest eigenvalue by
a shifted power iteration, the second-order test, a Hessian-vector product by finite differences.

Hints escalate: the first failure of a check names the concept or the likely mistake, later
failures of the same check add the detail.
"""

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
    "check_fd_hvp",
    "check_power_iteration",
    "check_smallest_eigenvalue",
]

_FAILURES: dict[str, int] = {}
"""How often each check (by title) has failed in this session: the hint level."""


def _fail(title: str, message: str, concept: str, detail: str = "") -> CheckResult:
    """A FAIL whose hint is ``concept`` on the first failure, ``concept`` + ``detail`` after."""
    _FAILURES[title] = _FAILURES.get(title, 0) + 1
    hint = concept if _FAILURES[title] == 1 or not detail else f"{concept} {detail}"
    return CheckResult(FAIL, title, message, hint)


def _spectrum_matrix(eigenvalues: Sequence[float], seed: int) -> torch.Tensor:
    """Q diag(lambda) Q^T with a seeded random orthogonal Q (float64)."""
    lam = torch.tensor(list(eigenvalues), dtype=torch.float64)
    gen = torch.Generator().manual_seed(seed)
    Q, _ = torch.linalg.qr(torch.randn(len(lam), len(lam), generator=gen, dtype=torch.float64))
    A = Q @ torch.diag(lam) @ Q.T
    return (A + A.T) / 2


def _tiny_network(seed: int = 3) -> tuple[Callable[[torch.Tensor], torch.Tensor], torch.Tensor]:
    """A small tanh network's cross-entropy (20 random points) as a function of its flat parameters
    theta (3 x 5 + 5 x 3 = 30 of them), and a point theta at which to look at it."""
    gen = torch.Generator().manual_seed(seed)
    theta = torch.randn(30, generator=gen, dtype=torch.float64)
    X = torch.randn(20, 3, generator=gen, dtype=torch.float64)
    y = torch.randint(0, 3, (20,), generator=gen)

    def loss_of(th: torch.Tensor) -> torch.Tensor:
        W1, W2 = th[:15].reshape(3, 5), th[15:].reshape(5, 3)
        return torch.nn.functional.cross_entropy(torch.tanh(X @ W1) @ W2, y)

    return loss_of, theta


def _network_hvp_case() -> tuple[str, Callable[[torch.Tensor], torch.Tensor], int, torch.Tensor]:
    """(name, matvec, n, exact eigenvalues) for the Hessian-vector product of the tiny network."""
    loss_of, theta = _tiny_network()
    w = theta.clone().requires_grad_(True)
    H = hessian(lambda: loss_of(w), w)
    grad = torch.autograd.grad(loss_of(w), w, create_graph=True)[0]

    def hvp_matvec(v: torch.Tensor) -> torch.Tensor:
        return torch.autograd.grad(grad @ v.detach(), w, retain_graph=True)[0]

    return "the Hessian-vector product of a small tanh network (n = 30)", hvp_matvec, 30, torch.linalg.eigvalsh(H)


def _matrix_cases(spectra: Sequence[tuple[str, Sequence[float], int]]) -> list[tuple[str, Any, int, torch.Tensor]]:
    cases = []
    for name, spectrum, seed in spectra:
        A = _spectrum_matrix(spectrum, seed)
        cases.append((name, (lambda v, A=A: A @ v), A.shape[0], torch.linalg.eigvalsh(A)))
    return cases


def _near(a: Any, b: Any, rel: float, scale: float) -> bool:
    """|a - b| <= rel * scale, for numbers or (by the norm) vectors."""
    return float(torch.as_tensor(a - b).norm()) <= rel * scale


def _as_float(got: Any) -> float:
    if got is None:
        raise NotImplementedError
    return float(torch.as_tensor(got).reshape(-1)[0]) if torch.is_tensor(got) else float(got)


# --------------------------------------------------------------------------------------------
# Power iteration (section 4 checks the notebook's own with it)
# --------------------------------------------------------------------------------------------
def check_power_iteration(student_fn: Callable[..., Any], iters: int = 300, rtol: float = 1e-4) -> CheckResult:
    """``student_fn(matvec, n, iters)`` must return the eigenvalue of largest magnitude (with its
    sign) of the symmetric operator ``matvec``, compared with torch.linalg.eigvalsh."""
    title = "power iteration: the eigenvalue of largest magnitude"

    def body() -> CheckResult:
        torch.manual_seed(0)  # the student's random start
        cases = _matrix_cases((
            ("a 4 x 4 matrix with eigenvalues (5, 2, 1, -1)", (5.0, 2.0, 1.0, -1.0), 0),
            ("a 5 x 5 matrix whose dominant eigenvalue is negative, (-6, 3, 1, 0.5, 0)", (-6.0, 3.0, 1.0, 0.5, 0.0), 1),
            ("a 30 x 30 matrix with eigenvalues in [-2, 8]", tuple(torch.linspace(-2.0, 8.0, 30).tolist()), 2),
        )) + [_network_hvp_case()]
        for name, matvec, n, lam in cases:
            value = _as_float(student_fn(matvec, n, iters))
            dominant = float(lam[lam.abs().argmax()])
            if math.isclose(value, dominant, rel_tol=rtol):
                continue
            msg = f"on {name}: got {fmt(value)}, expected {fmt(dominant)}"
            second = float(lam[lam.abs().argsort(descending=True)[1]])
            if not math.isfinite(value):
                return _fail(title, msg, "the iterate over- or underflowed: renormalise it at every step.",
                             "Divide H v by its norm, v <- Hv / ||Hv||.")
            if math.isclose(value, abs(dominant), rel_tol=rtol) and dominant < 0:
                return _fail(title, msg, "you returned a magnitude: an eigenvalue has a sign, and here the "
                             "dominant one is negative.", "The Rayleigh quotient v^T H v of a unit vector keeps the sign.")
            if math.isclose(value, dominant**2, rel_tol=rtol):
                return _fail(title, msg, "that is lambda^2, the square of the eigenvalue.",
                             "Return v^T H v for a unit vector v, not ||Hv||^2 or v^T H^2 v.")
            if math.isclose(value, float(lam[-1]), rel_tol=rtol):
                return _fail(title, msg, "that is the largest *algebraic* eigenvalue; plain power iteration "
                             "finds the one of largest magnitude, here a negative one.")
            if math.isclose(value, second, rel_tol=1e-2):
                return _fail(title, msg, "that is the second eigenvalue: did you project something out, or stop "
                             "too early?")
            if min(abs(value - float(x)) for x in lam) <= 1e-3 * abs(dominant):
                return _fail(title, msg, "that is an eigenvalue, but not the one of largest magnitude: check the "
                             "update of the vector.")
            return _fail(title, msg, "not the dominant eigenvalue: does every iteration multiply by H and "
                         "renormalise, and do all the iterations run?",
                         "Start from a random unit vector, repeat v <- Hv / ||Hv||, return v^T H v.")
        return CheckResult(PASS, title, f"matches eigvalsh (rel. tolerance {rtol:g}) on 3 matrices, one with a "
                           "negative dominant eigenvalue, and on a network's Hessian-vector product.")

    return guard(title, body)


# --------------------------------------------------------------------------------------------
# Exercise 1: the smallest eigenvalue, by power iteration on a shifted operator
# --------------------------------------------------------------------------------------------
def check_smallest_eigenvalue(student_fn: Callable[..., Any], iters: int = 300, rtol: float = 1e-6) -> CheckResult:
    """``student_fn(matvec, d, iters)`` must return lambda_min, the smallest (algebraic) eigenvalue
    of the symmetric operator ``matvec``; the error is measured relative to max_i |lambda_i|."""
    title = "the smallest eigenvalue by shifted power iteration"

    def body() -> CheckResult:
        torch.manual_seed(0)
        cases = _matrix_cases((
            ("a 4 x 4 matrix with eigenvalues (5, 2, 1, -1)", (5.0, 2.0, 1.0, -1.0), 0),
            ("a 4 x 4 positive definite matrix, eigenvalues (4, 3, 2, 1)", (4.0, 3.0, 2.0, 1.0), 4),
            ("a 5 x 5 matrix whose dominant eigenvalue is negative, (-6, 3, 1, 0.5, 0)", (-6.0, 3.0, 1.0, 0.5, 0.0), 1),
        )) + [_network_hvp_case()]
        for name, matvec, d, lam in cases:
            value = _as_float(student_fn(matvec, d, iters))
            lam_min, lam_max = float(lam[0]), float(lam[-1])
            radius = float(lam.abs().max())
            if abs(value - lam_min) <= rtol * radius:
                continue
            msg = f"on {name}: got {fmt(value)}, expected {fmt(lam_min)}"
            dominant = float(lam[lam.abs().argmax()])
            if not math.isfinite(value):
                return _fail(title, msg, "the iterate over- or underflowed: renormalise it at every step.")
            if _near(value, dominant, 1e-4, radius) and dominant != lam_min:
                return _fail(title, msg, "that is the eigenvalue of largest magnitude, what plain power iteration "
                             "finds. Change the operator so that lambda_min becomes its dominant eigenvalue.",
                             "H - s I has eigenvalues lambda_i - s: with s >= max_i |lambda_i| they are all <= 0 "
                             "and the most negative is lambda_min - s.")
            if any(_near(value, lam_min - s, 1e-4, radius) for s in (radius, abs(lam_max), 2 * radius)):
                return _fail(title, msg, "that is an eigenvalue of the shifted operator: undo the shift.",
                             "If you iterate on H - s I, its dominant eigenvalue is lambda_min - s: add s back.")
            if _near(value, lam_max, 1e-4, radius):
                return _fail(title, msg, "that is the largest eigenvalue: the shift moved the spectrum the wrong "
                             "way, or was too small to make lambda_min dominant.",
                             "The shift must be at least the spectral radius max_i |lambda_i| (a magnitude, "
                             "so mind the sign when the dominant eigenvalue is negative), and you subtract it.")
            return _fail(title, msg, "not converged to lambda_min: is the shift large enough for lambda_min - s "
                         "to be the eigenvalue of largest magnitude, and do enough iterations run?",
                         "Estimate s = |lambda| of largest magnitude with plain power iteration first.")
        return CheckResult(PASS, title, "matches eigvalsh on 3 matrices (one positive definite, one with a negative "
                           "dominant eigenvalue) and on a network's Hessian-vector product.")

    return guard(title, body)


# --------------------------------------------------------------------------------------------
# Exercise 2: the second-order test
# --------------------------------------------------------------------------------------------
CRITICAL_POINT_HESSIANS: dict[str, list[list[float]]] = {
    "A": [[2.0, 1.0], [1.0, 2.0]],
    "B": [[1.0, 3.0], [3.0, 1.0]],
    "C": [[-2.0, 0.0], [0.0, -0.5]],
    "D": [[1.0, 1.0], [1.0, 1.0]],
    "E": [[4.0, 0.0, 0.0], [0.0, 3.0, 0.0], [0.0, 0.0, -0.01]],
}
"""The Hessians of notebook 08's exercise 2, at critical points."""

_KIND_HINTS: dict[str, tuple[str, str]] = {  # (concept, detail)
    "A": ("for a 2 x 2 matrix, det H = lambda_1 lambda_2 and tr H = lambda_1 + lambda_2 give the signs of both "
          "eigenvalues.", "det A = 3 > 0 and tr A = 4 > 0: both eigenvalues (1 and 3) are positive."),
    "B": ("the second-order test reads the signs of the eigenvalues, not of the diagonal entries: look at "
          "det B = lambda_1 lambda_2.", "det B = 1 - 9 = -8 < 0: the eigenvalues (4 and -2) have opposite signs."),
    "C": ("C is diagonal: its eigenvalues are its diagonal entries. What do their signs say?",
          "Both are negative: the loss curves down in every direction."),
    "D": ("look at det D: what does a zero determinant say about an eigenvalue, and what can the second-order "
          "test conclude then?", "det D = 0, so one eigenvalue is 0 (the other is 2): the test cannot decide."),
    "E": ("a small eigenvalue is not a zero one: the test compares with a tolerance (1e-8 here), far below 0.01. "
          "What are the signs of E's three eigenvalues?",
          "4 and 3 are positive, -0.01 is negative, however small: with mixed signs the point is a saddle."),
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
        return _fail(title, f"{len(wrong)} of 5 wrong ({names}); {key} is not a {got}.", *_KIND_HINTS[key])

    return guard(title, body)


# --------------------------------------------------------------------------------------------
# Exercise 3: a Hessian-vector product by finite differences of gradients
# --------------------------------------------------------------------------------------------
def check_fd_hvp(student_fn: Callable[..., Any], eps: float = 1e-4, rtol: float = 1e-6) -> CheckResult:
    """``student_fn(grad_fn, theta, v, eps)`` must return H v from gradients only (a central
    difference (g(theta + eps v) - g(theta - eps v)) / (2 eps) has an O(eps^2) error); compared with
    the exact Hessian of a small tanh network times v, for unit and non-unit v."""
    title = "a Hessian-vector product from two gradients"

    def body() -> CheckResult:
        loss_of, theta = _tiny_network()
        w = theta.clone().requires_grad_(True)
        H = hessian(lambda: loss_of(w), w)

        def grad_fn(th: torch.Tensor) -> torch.Tensor:
            th = th.detach().clone().requires_grad_(True)
            return torch.autograd.grad(loss_of(th), th)[0]

        gen = torch.Generator().manual_seed(5)
        for scale in (1.0, 3.0):
            v = torch.randn(30, generator=gen, dtype=torch.float64)
            v = scale * v / v.norm()
            got = student_fn(grad_fn, theta.clone(), v.clone(), eps)
            if got is None:
                raise NotImplementedError
            got = torch.as_tensor(got, dtype=torch.float64).reshape(-1)
            exact = H @ v
            if got.shape != exact.shape:
                return CheckResult(FAIL, title, f"expected a vector of length {exact.numel()} (like theta), "
                                   f"got shape {tuple(got.shape)}")
            err = float((got - exact).norm() / exact.norm())
            if err <= rtol:
                continue
            msg = f"||result - H v|| / ||H v|| = {err:.1e} with ||v|| = {scale:g} and eps = {eps:g}"
            forward = (grad_fn(theta + eps * v) - grad_fn(theta)) / eps
            backward = (grad_fn(theta) - grad_fn(theta - eps * v)) / eps
            size = float(exact.norm())
            if _near(got, -exact, 1e-3, size):
                return _fail(title, msg, "the sign is flipped: which gradient is subtracted from which?")
            if _near(got, 2 * exact, 2e-3, size) or _near(got, exact / 2, 5e-4, size):
                return _fail(title, msg, "off by a factor of 2: compare the distance between the two points where "
                             "you take the gradient with the number you divide by.")
            if scale != 1.0 and _near(got, exact / scale, 1e-3 / scale, size):
                return _fail(title, msg, "H v is linear in v: do not normalise v (here ||v|| = 3).")
            if err < 1e-2 and (_near(got, forward, 1e-6, float(forward.norm()))
                               or _near(got, backward, 1e-6, float(backward.norm()))):
                return _fail(title, msg, "a one-sided difference: its error shrinks only like eps. A symmetric "
                             "difference around theta cancels the eps term.",
                             "(g(theta + eps v) - g(theta - eps v)) / (2 eps) has an error of order eps^2.")
            if err < 1e-2:
                return _fail(title, msg, "close, but not accurate enough: use the eps you are given, and a "
                             "difference whose error is of order eps^2.")
            return _fail(title, msg, "H v is the directional derivative of the gradient along v: how fast g "
                         "changes as theta moves along v.",
                         "Compare g at two nearby points theta +- eps v and divide by their distance in units of v.")
        return CheckResult(PASS, title, f"matches the exact H v (rel. error <= {rtol:g}) for a unit and a non-unit v.")

    return guard(title, body)
