"""Landscapes evaluate grids in one call, and their listed critical points are right."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from course_utils.landscapes import (
    LANDSCAPES,
    PATHOLOGICAL_Y_STAR,
    himmelblau,
    pathological,
    quadratic,
    rosenbrock,
)

NAMES = sorted(LANDSCAPES)


def hessian_at(land, x, y):
    w = torch.tensor([x, y], dtype=torch.float64)
    return torch.autograd.functional.hessian(land.loss, w)


def grad_at(land, x, y):
    w = torch.tensor([x, y], dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(land.loss(w), w)
    return g


@settings(max_examples=30, deadline=None)
@given(name=st.sampled_from(NAMES), data=st.data())
def test_grid_equals_pointwise(name, data):
    land = LANDSCAPES[name]
    coords = st.floats(-4, 4, allow_nan=False)
    xs = data.draw(st.lists(coords, min_size=1, max_size=12))
    ys = data.draw(st.lists(coords, min_size=len(xs), max_size=len(xs)))
    X = torch.tensor(xs, dtype=torch.float64).reshape(-1, 1).expand(-1, 3)  # a 2-D block
    Y = torch.tensor(ys, dtype=torch.float64).reshape(-1, 1).expand(-1, 3)
    Z = land(X, Y)
    assert Z.shape == X.shape
    for i, (x, y) in enumerate(zip(xs, ys, strict=True)):
        z = land(torch.tensor(x, dtype=torch.float64), torch.tensor(y, dtype=torch.float64))
        assert torch.allclose(Z[i], z.expand(3), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_grid_method(name):
    land = LANDSCAPES[name]
    X, Y, Z = land.grid(50)
    assert X.shape == Y.shape == Z.shape == (50, 50)
    assert X[0, 0] == land.xlim[0] and X[0, -1] == land.xlim[1] and Y[-1, 0] == land.ylim[1]
    assert torch.equal(Z, land(X, Y))


def classify(eigs, tol=1e-6):
    if (eigs.abs() < tol).any():
        return "degenerate"
    if (eigs > 0).all():
        return "minimum"
    if (eigs < 0).all():
        return "maximum"
    return "saddle"


@pytest.mark.parametrize("name", NAMES)
def test_critical_points_have_zero_gradient_and_the_stated_kind(name):
    land = LANDSCAPES[name]
    assert land.critical_points, f"{name} lists no critical points"
    for cp in land.critical_points:
        g = grad_at(land, cp.x, cp.y)
        assert g.abs().max() < 2e-4, f"{name} {cp}: gradient {g}"
        eigs = torch.linalg.eigvalsh(hessian_at(land, cp.x, cp.y))
        assert classify(eigs) == cp.kind, f"{name} {cp}: eigenvalues {eigs}"


def test_himmelblau_has_four_zero_minima():
    minima = himmelblau.minima()
    assert len(minima) == 4
    for cp in minima:
        assert float(himmelblau(torch.tensor(cp.x), torch.tensor(cp.y))) < 1e-9


@settings(max_examples=25, deadline=None)
@given(l1=st.floats(0.1, 50), l2=st.floats(-50, 50).filter(lambda v: abs(v) > 0.1),
       angle=st.floats(0, math.pi), cx=st.floats(-2, 2), cy=st.floats(-2, 2))
def test_quadratic_hessian_has_the_chosen_eigenvalues(l1, l2, angle, cx, cy):
    land = quadratic((l1, l2), angle=angle, center=(cx, cy))
    eigs = torch.linalg.eigvalsh(hessian_at(land, 0.3, -0.7))
    assert torch.allclose(eigs, torch.tensor(sorted([l1, l2]), dtype=torch.float64), rtol=1e-9, atol=1e-9)
    assert float(land(torch.tensor(cx), torch.tensor(cy))) == pytest.approx(0.0, abs=1e-12)
    expected = "minimum" if l2 > 0 else "saddle"
    assert land.critical_points[0].kind == expected


def test_quadratic_first_eigenvector_follows_the_angle():
    land = quadratic((2.0, 10.0), angle=math.pi / 6)
    u = torch.tensor([math.cos(math.pi / 6), math.sin(math.pi / 6)], dtype=torch.float64)
    H = hessian_at(land, 0.0, 0.0)
    assert torch.allclose(H @ u, 2.0 * u)


def test_pathological_minimum_location():
    s = 1 / (1 + math.exp(-PATHOLOGICAL_Y_STAR))
    assert s * (1 - s) == pytest.approx(0.01, rel=1e-12)
    assert PATHOLOGICAL_Y_STAR == pytest.approx(-4.5848, abs=1e-3)
    # it is the global minimum on a fine grid
    X, Y, Z = pathological.grid(801, (-5, 5), (-20, 20))
    i = int(Z.argmin())
    assert abs(float(X.flatten()[i])) < 0.02 and abs(float(Y.flatten()[i]) - PATHOLOGICAL_Y_STAR) < 0.05


def test_plateau_of_pathological_surface_has_tiny_gradient():
    assert grad_at(pathological, -4.0, 6.0).abs().max() < 0.02


def test_rosenbrock_parameters():
    land = rosenbrock(a=2.0, b=10.0)
    assert land.critical_points[0].x == 2.0 and land.critical_points[0].y == 4.0
    assert float(land(torch.tensor(2.0), torch.tensor(4.0))) == 0.0


def test_scalar_floats_are_accepted():
    assert float(LANDSCAPES["saddle"](1.0, 2.0)) == -3.0
