"""A kernel written as GIMP writes it: a grid of whole numbers over a divisor, kernel = grid / divisor.

The window's kernel editor shows this form; the functions here are its arithmetic, without Qt:
finding the form (:func:`~filterstudio.core.kernels.integer_form`), checking that a divisor
still fits a kernel, and turning an edited grid back into a kernel, with auto-normalise (the
divisor follows the sum of the grid, as GIMP's "Normalise" does).
"""

from __future__ import annotations

import numpy as np

from .kernels import integer_form

__all__ = ["grid_of", "integer_form", "kernel_of", "snapped", "tidy", "whole_over"]

#: How close to a whole number float32 noise may leave a grid value.
_NOISE = 1e-5


def tidy(value: float) -> float:
    """Drop float noise such as ``0.30000000000000004`` and the sign of ``-0.0``.

    >>> tidy(0.1 + 0.2), tidy(-0.0)
    (0.3, 0.0)
    """
    v = float(np.float32(value))
    return float(f"{v:.7g}") + 0.0


def snapped(grid) -> np.ndarray:
    """``grid`` (float64) with values within float32 noise of a whole number made whole."""
    g = np.asarray(grid, dtype=np.float64)
    whole = np.rint(g)
    near = np.abs(g - whole) <= _NOISE * np.maximum(np.abs(whole), 1.0)
    return np.where(near, whole, g) + 0.0


def whole_over(kernel, divisor: float) -> bool:
    """Whether ``kernel × divisor`` is whole numbers: the divisor still fits the kernel."""
    g = np.asarray(kernel, dtype=np.float64) * float(divisor)
    return bool(np.all(np.abs(g - np.rint(g)) <= _NOISE * np.maximum(np.abs(g), 1.0)))


def grid_of(kernel, divisor: float) -> np.ndarray:
    """The grid the kernel is shown as: ``kernel × divisor``, float noise rounded away.

    >>> grid_of(np.float32([[0.0625, 0.125]]), 16).tolist()
    [[1.0, 2.0]]
    """
    return snapped(np.asarray(kernel, dtype=np.float64) * float(divisor))


def kernel_of(grid, divisor: float, *, auto: bool = False) -> tuple[np.ndarray, float, str | None]:
    """The kernel an edited grid stands for: ``(grid / divisor, divisor, note)``.

    With ``auto`` the divisor becomes the sum of the grid; a grid that adds up to 0 keeps the
    divisor it had, and ``note`` says so (otherwise None).

    >>> k, d, note = kernel_of([[1, 2, 1]], 1, auto=True)
    >>> k.tolist(), d, note
    ([[0.25, 0.5, 0.25]], 4.0, None)
    """
    g = np.asarray(grid, dtype=np.float64)
    d = float(divisor)
    note = None
    if auto:
        total = tidy(float(g.sum()))
        if total != 0:
            d = total
        else:
            note = f"The grid adds up to 0, so auto-normalise keeps the divisor at {tidy(d):g}."
    return g / d, d, note
