"""Notebook 08's checkers, fed right and deliberately wrong answers: each wrong answer gets the hint
that names its mistake, the concept first and the detail only from the second failure on."""

from __future__ import annotations

import pytest
import torch

from course_utils.checks import (
    CRITICAL_POINT_HESSIANS,
    check_critical_point_kinds,
    check_fd_hvp,
    check_power_iteration,
    check_smallest_eigenvalue,
    nb08_hessian,
)
from course_utils.hessian import classify_critical_point

DT = torch.float64


@pytest.fixture(autouse=True)
def fresh_hint_levels():
    """Every test starts as a student who has not failed yet."""
    nb08_hessian._FAILURES.clear()
    yield
    nb08_hessian._FAILURES.clear()


def _power(matvec, n, iters, finish=lambda m, v: float(v @ m(v)), seed=0):
    v = torch.randn(n, generator=torch.Generator().manual_seed(seed), dtype=DT)
    v = v / v.norm()
    for _ in range(iters):
        w = matvec(v)
        v = w / w.norm()
    return finish(matvec, v)


# --------------------------------------------------------------------------------------------
# Power iteration
# --------------------------------------------------------------------------------------------
def test_check_power_iteration_passes_a_correct_solution():
    result = check_power_iteration(lambda mv, n, iters: _power(mv, n, iters))
    assert result.passed, result


@pytest.mark.parametrize("wrong,hint", [
    (lambda mv, n, iters: _power(mv, n, iters, lambda m, v: float(m(v).norm())), "sign"),
    (lambda mv, n, iters: _power(mv, n, iters, lambda m, v: float(m(v) @ m(v))), "lambda^2"),
    (lambda mv, n, iters: _power(mv, n, 3), ""),  # stops far too early
    (lambda mv, n, iters: float("nan"), "renormalise"),
])
def test_check_power_iteration_rejects_wrong_solutions(wrong, hint):
    result = check_power_iteration(wrong)
    assert not result.passed and result.status == "FAIL"
    assert hint in result.hint


def test_check_power_iteration_names_the_algebraic_maximum_and_stubs():
    def largest_algebraic(mv, n, iters):
        A = torch.stack([mv(e) for e in torch.eye(n, dtype=DT)], dim=1)
        return float(torch.linalg.eigvalsh(A)[-1])

    result = check_power_iteration(largest_algebraic)
    assert not result.passed and "algebraic" in result.hint

    def stub(mv, n, iters):
        raise NotImplementedError

    assert check_power_iteration(stub).status == "NOT IMPLEMENTED YET"


def test_the_power_iteration_hint_escalates():
    magnitude = lambda mv, n, iters: _power(mv, n, iters, lambda m, v: float(m(v).norm()))  # noqa: E731
    first, second = check_power_iteration(magnitude), check_power_iteration(magnitude)
    assert "Rayleigh" not in first.hint and "Rayleigh" in second.hint
    assert second.hint.startswith(first.hint)


# --------------------------------------------------------------------------------------------
# Exercise 1: the smallest eigenvalue
# --------------------------------------------------------------------------------------------
def _smallest(mv, d, iters):
    radius = abs(_power(mv, d, iters))
    return _power(lambda v: mv(v) - radius * v, d, iters) + radius


def test_check_smallest_eigenvalue_passes_a_correct_solution():
    result = check_smallest_eigenvalue(_smallest)
    assert result.passed, result


def test_check_smallest_eigenvalue_passes_an_exact_solution():
    def exact(mv, d, iters):
        A = torch.stack([mv(e) for e in torch.eye(d, dtype=DT)], dim=1)
        return float(torch.linalg.eigvalsh((A + A.T) / 2)[0])

    assert check_smallest_eigenvalue(exact).passed


def _no_undo(mv, d, iters):
    radius = abs(_power(mv, d, iters))
    return _power(lambda v: mv(v) - radius * v, d, iters)


def _signed_shift(mv, d, iters):  # shifts by lambda_LM with its sign: wrong when it is negative
    lam = _power(mv, d, iters)
    return _power(lambda v: mv(v) - lam * v, d, iters) + lam


@pytest.mark.parametrize("wrong,concept", [
    (lambda mv, d, iters: _power(mv, d, iters), "largest magnitude"),  # no shift at all
    (_no_undo, "undo the shift"),
    (_signed_shift, "largest eigenvalue"),
    (lambda mv, d, iters: _smallest(mv, d, 2), "not converged"),
    (lambda mv, d, iters: float("inf"), "renormalise"),
])
def test_check_smallest_eigenvalue_names_the_mistake(wrong, concept):
    result = check_smallest_eigenvalue(wrong)
    assert result.status == "FAIL" and concept in result.hint, result


def test_the_smallest_eigenvalue_hint_gives_the_shift_only_on_the_second_failure():
    first, second = check_smallest_eigenvalue(lambda mv, d, iters: _power(mv, d, iters)), None
    second = check_smallest_eigenvalue(lambda mv, d, iters: _power(mv, d, iters))
    assert "H - s I" not in first.hint and "H - s I" in second.hint


def test_check_smallest_eigenvalue_reports_a_stub():
    def stub(mv, d, iters):
        raise NotImplementedError

    assert check_smallest_eigenvalue(stub).status == "NOT IMPLEMENTED YET"
    assert check_smallest_eigenvalue(lambda mv, d, iters: None).status == "NOT IMPLEMENTED YET"


# --------------------------------------------------------------------------------------------
# Exercise 2: the second-order test
# --------------------------------------------------------------------------------------------
def test_check_critical_point_kinds():
    truth = {k: classify_critical_point(torch.tensor(H)) for k, H in CRITICAL_POINT_HESSIANS.items()}
    assert truth == {"A": "minimum", "B": "saddle", "C": "maximum", "D": "degenerate", "E": "saddle"}
    assert check_critical_point_kinds(dict(truth)).passed
    assert check_critical_point_kinds({k.lower(): v.upper() for k, v in truth.items()}).passed  # lenient case
    diagonal_reader = dict(truth, B="minimum")  # judged by the positive diagonal
    result = check_critical_point_kinds(diagonal_reader)
    assert not result.passed and "B" in result.message and "eigenvalues" in result.hint
    assert "-2" not in result.hint  # the first hint names the concept, not the eigenvalues
    result = check_critical_point_kinds(dict(truth, E="minimum"))
    assert not result.passed and "small eigenvalue is not a zero one" in result.hint
    result = check_critical_point_kinds(dict(truth, D="minimum"))
    assert not result.passed and "zero determinant" in result.hint
    assert not check_critical_point_kinds(dict(truth, A="bowl")).passed
    assert check_critical_point_kinds(None).status == "NOT IMPLEMENTED YET"
    assert check_critical_point_kinds({"A": "minimum"}).status == "NOT IMPLEMENTED YET"


def test_the_critical_point_hint_escalates():
    truth = {k: classify_critical_point(torch.tensor(H)) for k, H in CRITICAL_POINT_HESSIANS.items()}
    first = check_critical_point_kinds(dict(truth, B="minimum"))
    second = check_critical_point_kinds(dict(truth, B="minimum"))
    assert "opposite signs" not in first.hint and "opposite signs" in second.hint


# --------------------------------------------------------------------------------------------
# Exercise 3: a Hessian-vector product from two gradients
# --------------------------------------------------------------------------------------------
def _central(g, th, v, eps):
    return (g(th + eps * v) - g(th - eps * v)) / (2 * eps)


def test_check_fd_hvp_passes_a_central_difference():
    result = check_fd_hvp(_central)
    assert result.passed, result


def _normalising(g, th, v, eps):
    return _central(g, th, v / v.norm(), eps)


@pytest.mark.parametrize("wrong,concept", [
    (lambda g, th, v, eps: (g(th + eps * v) - g(th)) / eps, "one-sided"),
    (lambda g, th, v, eps: (g(th) - g(th - eps * v)) / eps, "one-sided"),
    (lambda g, th, v, eps: (g(th + eps * v) - g(th - eps * v)) / eps, "factor of 2"),
    (lambda g, th, v, eps: (g(th - eps * v) - g(th + eps * v)) / (2 * eps), "sign"),
    (_normalising, "linear in v"),
    (lambda g, th, v, eps: _central(g, th, v, 1e-2), "the eps you are given"),
    (lambda g, th, v, eps: g(th), "directional derivative"),
    (lambda g, th, v, eps: _central(g, th, v, eps)[:10], "length 30"),
])
def test_check_fd_hvp_names_the_mistake(wrong, concept):
    result = check_fd_hvp(wrong)
    assert result.status == "FAIL" and concept in (result.hint + result.message), result


def test_the_fd_hvp_hint_gives_the_formula_only_on_the_second_failure():
    forward = lambda g, th, v, eps: (g(th + eps * v) - g(th)) / eps  # noqa: E731
    first, second = check_fd_hvp(forward), check_fd_hvp(forward)
    assert "2 eps" not in first.hint and "2 eps" in second.hint


def test_check_fd_hvp_reports_a_stub():
    def stub(g, th, v, eps):
        raise NotImplementedError

    assert check_fd_hvp(stub).status == "NOT IMPLEMENTED YET"
