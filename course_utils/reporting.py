"""Printing numbers so a notebook's text reproduces on every machine."""

from __future__ import annotations

__all__ = ["fmt_diff"]


def fmt_diff(diff: float, floor: float = 1e-12) -> str:
    """A difference for printing: ``"< 1e-12"`` when it is at the level of float rounding, else
    ``"3.2e-05"``. The exact size of a rounding difference (1.1e-16 or 2.2e-16) depends on the
    CPU and the order of operations, so printing it would make the output machine dependent."""
    diff = abs(float(diff))
    if diff < floor:
        return f"< {floor:.0e}".replace("e-0", "e-")
    return f"{diff:.1e}"
