"""The verdict framework: `CheckResult` (PASS, FAIL, NOT IMPLEMENTED YET, ERROR), the guard that
turns a stub or a crash in a student's code into a verdict, and `check_value` for numeric answers."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "PASS",
    "FAIL",
    "TODO",
    "ERROR",
    "CheckResult",
    "check_value",
    "fmt",
    "guard",
]

PASS, FAIL, TODO, ERROR = "PASS", "FAIL", "NOT IMPLEMENTED YET", "ERROR"


@dataclass
class CheckResult:
    """The verdict of a check. ``bool(result)`` is True only for a pass."""

    status: str
    title: str
    message: str = ""
    hint: str = ""

    @property
    def passed(self) -> bool:
        return self.status == PASS

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        mark = {PASS: "[PASS]", FAIL: "[FAIL]", TODO: "[TODO]", ERROR: "[ERROR]"}[self.status]
        lines = [f"{mark} {self.title}"]
        if self.status == TODO:
            lines.append("  not implemented yet: write your solution in the cell above, run it, then this one.")
        if self.message:
            lines.append(f"  {self.message}")
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)

    __str__ = __repr__


def guard(title: str, fn: Callable[[], CheckResult]) -> CheckResult:
    """Run a check body; turn a stub or a crash in the student's code into a readable result."""
    try:
        return fn()
    except NotImplementedError:
        return CheckResult(TODO, title)
    except Exception as exc:  # the student's code raised: report it, do not crash the notebook
        return CheckResult(ERROR, title, f"your code raised {type(exc).__name__}: {exc}")


def fmt(x: float) -> str:
    return f"{x:.6g}"



# --------------------------------------------------------------------------------------------
# Scalar answers
# --------------------------------------------------------------------------------------------
def check_value(
    title: str, answer: Any, expected: float, *, rtol: float = 1e-3, atol: float = 0.0,
    hints: Sequence[tuple[float, str]] = (), default_hint: str = "",
) -> CheckResult:
    """Compare a numeric ``answer`` with ``expected``; ``hints`` map known wrong values to a hint."""

    def body() -> CheckResult:
        if answer is None or answer is Ellipsis:
            raise NotImplementedError
        value = float(answer)
        if math.isclose(value, expected, rel_tol=rtol, abs_tol=atol):
            return CheckResult(PASS, title, f"{fmt(value)} is right.")
        for wrong, hint in hints:
            if math.isclose(value, wrong, rel_tol=rtol, abs_tol=atol):
                return CheckResult(FAIL, title, f"{fmt(value)} is not the answer.", hint)
        return CheckResult(FAIL, title, f"{fmt(value)} is not the answer.", default_hint)

    return guard(title, body)
