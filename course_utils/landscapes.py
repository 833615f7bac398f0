"""Two-dimensional test functions ("loss landscapes") for the 2-D experiments.

Every landscape is a `Landscape`: call it as ``f(x, y)`` with tensors of any (broadcastable)
shape, so a whole grid is evaluated in one call, or as ``f.loss(w)`` with a parameter vector
``w = (x, y)``. Each one lists its known critical points with their kind.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
from torch import Tensor

__all__ = [
    "CriticalPoint",
    "Landscape",
    "quadratic",
    "pathological",
    "rosenbrock",
    "saddle",
    "monkey_saddle",
    "himmelblau",
    "LANDSCAPES",
]


@dataclass(frozen=True)
class CriticalPoint:
    """A point where the gradient vanishes; ``kind`` is minimum, maximum, saddle or degenerate."""

    x: float
    y: float
    kind: str


@dataclass
class Landscape:
    """A function of two parameters with its known critical points and a default plot window."""

    name: str
    fn: Callable[[Tensor, Tensor], Tensor]
    critical_points: list[CriticalPoint] = field(default_factory=list)
    xlim: tuple[float, float] = (-2.0, 2.0)
    ylim: tuple[float, float] = (-2.0, 2.0)
    formula: str = ""

    def __call__(self, x: Tensor | float, y: Tensor | float) -> Tensor:
        x = torch.as_tensor(x, dtype=torch.get_default_dtype()) if not torch.is_tensor(x) else x
        y = torch.as_tensor(y, dtype=x.dtype) if not torch.is_tensor(y) else y
        return self.fn(x, y)

    def loss(self, w: Tensor) -> Tensor:
        """The loss at ``w``, a tensor whose last dimension holds (x, y)."""
        return self.fn(w[..., 0], w[..., 1])

    def grid(
        self,
        n: int = 200,
        xlim: tuple[float, float] | None = None,
        ylim: tuple[float, float] | None = None,
        dtype: torch.dtype = torch.float64,
    ) -> tuple[Tensor, Tensor, Tensor]:
        """``(X, Y, Z)`` on an ``n x n`` grid, evaluated in one vectorised call."""
        xlim, ylim = xlim or self.xlim, ylim or self.ylim
        xs = torch.linspace(*xlim, n, dtype=dtype)
        ys = torch.linspace(*ylim, n, dtype=dtype)
        X, Y = torch.meshgrid(xs, ys, indexing="xy")
        return X, Y, self.fn(X, Y)

    def minima(self) -> list[CriticalPoint]:
        return [c for c in self.critical_points if c.kind == "minimum"]

    def __repr__(self) -> str:
        return f"Landscape({self.name!r}, {len(self.critical_points)} known critical points)"


def quadratic(
    eigenvalues: Sequence[float] = (1.0, 10.0),
    angle: float = 0.0,
    center: Sequence[float] = (0.0, 0.0),
) -> Landscape:
    """f(w) = 1/2 (w - c)^T H (w - c) with H = R(angle) diag(eigenvalues) R(angle)^T.

    ``angle`` is in radians. The curvature along the rotated axes is given by the eigenvalues,
    so the condition number is kappa = max|lambda| / min|lambda|.
    """
    l1, l2 = (float(e) for e in eigenvalues)
    cx, cy = (float(c) for c in center)
    cos, sin = math.cos(angle), math.sin(angle)

    def fn(x: Tensor, y: Tensor) -> Tensor:
        dx, dy = x - cx, y - cy
        u = cos * dx + sin * dy  # coordinate along the first eigenvector
        v = -sin * dx + cos * dy  # coordinate along the second eigenvector
        return 0.5 * (l1 * u**2 + l2 * v**2)

    if l1 > 0 and l2 > 0:
        kind = "minimum"
    elif l1 < 0 and l2 < 0:
        kind = "maximum"
    elif l1 * l2 < 0:
        kind = "saddle"
    else:
        kind = "degenerate"
    scale = 2.0
    return Landscape(
        name=f"quadratic(eigenvalues=({l1:g}, {l2:g}))",
        fn=fn,
        critical_points=[CriticalPoint(cx, cy, kind)],
        xlim=(cx - scale, cx + scale),
        ylim=(cy - scale, cy + scale),
        formula=r"$\frac{1}{2}(w-c)^\top H (w-c)$",
    )


# The pathological surface's only critical point: d/dy [0.01|y| + sigmoid(y)] = 0 for y < 0
# means sigmoid(y) (1 - sigmoid(y)) = 0.01, i.e. sigmoid(y) = (1 - sqrt(0.96)) / 2.
_S_STAR = (1.0 - math.sqrt(1.0 - 4 * 0.01)) / 2.0
PATHOLOGICAL_Y_STAR = math.log(_S_STAR / (1.0 - _S_STAR))


def _pathological(x: Tensor, y: Tensor) -> Tensor:
    return torch.tanh(x) ** 2 + 0.01 * torch.abs(y) + torch.sigmoid(y)


pathological = Landscape(
    name="pathological",
    fn=_pathological,
    critical_points=[CriticalPoint(0.0, PATHOLOGICAL_Y_STAR, "minimum")],
    xlim=(-5.0, 5.0),
    ylim=(-7.0, 7.0),
    formula=r"$\tanh^2 w_0 + 0.01|w_1| + \mathrm{sigmoid}(w_1)$",
)
"""tanh(w_0)^2 + 0.01 |w_1| + sigmoid(w_1) (adapted from the course's seed 001): plateaus for
large |w_0|, a kink at w_1 = 0, and one minimum at (0, w_1*) with
w_1* = logit((1 - sqrt(0.96)) / 2) ~ -4.585."""


def rosenbrock(a: float = 1.0, b: float = 100.0) -> Landscape:
    """f(x, y) = (a - x)^2 + b (y - x^2)^2: a curved, narrow valley; minimum at (a, a^2)."""

    def fn(x: Tensor, y: Tensor) -> Tensor:
        return (a - x) ** 2 + b * (y - x**2) ** 2

    return Landscape(
        name="rosenbrock",
        fn=fn,
        critical_points=[CriticalPoint(a, a * a, "minimum")],
        xlim=(-2.0, 2.0),
        ylim=(-1.0, 3.0),
        formula=rf"$({a:g} - w_0)^2 + {b:g}(w_1 - w_0^2)^2$",
    )


saddle = Landscape(
    name="saddle",
    fn=lambda x, y: x**2 - y**2,
    critical_points=[CriticalPoint(0.0, 0.0, "saddle")],
    formula=r"$w_0^2 - w_1^2$",
)
"""w_0^2 - w_1^2: a saddle at the origin (curvature +2 along w_0, -2 along w_1)."""

monkey_saddle = Landscape(
    name="monkey saddle",
    fn=lambda x, y: x**3 - 3 * x * y**2,
    critical_points=[CriticalPoint(0.0, 0.0, "degenerate")],
    formula=r"$w_0^3 - 3 w_0 w_1^2$",
)
"""x^3 - 3 x y^2: the Hessian vanishes at the origin, so second-order tests cannot classify it."""


def _himmelblau(x: Tensor, y: Tensor) -> Tensor:
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


himmelblau = Landscape(
    name="himmelblau",
    fn=_himmelblau,
    critical_points=[
        CriticalPoint(3.0, 2.0, "minimum"),
        CriticalPoint(-2.805118, 3.131312, "minimum"),
        CriticalPoint(-3.779310, -3.283186, "minimum"),
        CriticalPoint(3.584428, -1.848126, "minimum"),
        CriticalPoint(-0.270845, -0.923039, "maximum"),
        CriticalPoint(0.086677, 2.884254, "saddle"),
        CriticalPoint(-3.073026, -0.081353, "saddle"),
        CriticalPoint(3.385154, 0.073852, "saddle"),
        CriticalPoint(-0.127961, -1.953715, "saddle"),
    ],
    xlim=(-5.0, 5.0),
    ylim=(-5.0, 5.0),
    formula=r"$(w_0^2 + w_1 - 11)^2 + (w_0 + w_1^2 - 7)^2$",
)
"""(x^2 + y - 11)^2 + (x + y^2 - 7)^2: four minima (all with f = 0), one maximum, four saddles."""


LANDSCAPES: dict[str, Landscape] = {
    "quadratic": quadratic(),
    "pathological": pathological,
    "rosenbrock": rosenbrock(),
    "saddle": saddle,
    "monkey_saddle": monkey_saddle,
    "himmelblau": himmelblau,
}
