"""The arithmetic of one cell of a later stage: products summed over every map read, or a window's
maximum or mean.

A later conv stage's cell is ``activation(sum_c sum_ab map_c[y, x] * W[a, b, c] + bias)``:
:func:`maps_cell_breakdown` writes it as a :class:`~filterstudio.core.lesson.CellBreakdown`
whose parts are the partial sums of each map it reads (named after the map), so the hover
arithmetic and the lesson write it as they write a depth kernel over colour channels. A
pooling cell is :func:`pool_cell`: the window's values, the winner of a max (found with
:func:`~filterstudio.core.pooling.pool2d_argmax` on the window alone) or the mean. Only the
window's few values are read: nothing as large as a map is padded or copied. No Qt.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .convolution import BORDERS, as_pair
from .geometry import MapGeometry
from .lesson import CellBreakdown, ChannelPart, OutputBreakdown, Term, _activate_scalar
from .pooling import _padding, pool2d_argmax
from .sizes import size_label

__all__ = ["PoolCell", "maps_cell_breakdown", "padded_index", "pool_cell", "pool_window"]


def padded_index(n: int, before: int, after: int, border: str) -> np.ndarray:
    """Where each padded position of an axis of ``n`` cells reads from: ``index[p]`` is the
    source cell of padded position ``p`` (``p - before`` inside), ``-1`` for a constant fill.

    The same rule as ``numpy.pad`` (and so the engine) for every border mode.
    """
    if border not in BORDERS:
        raise ValueError(f"Unknown border {border!r}.")
    idx = np.arange(n)
    if border == "constant":
        return np.pad(idx, (before, after), mode="constant", constant_values=-1)
    return np.pad(idx, (before, after), mode=border)


def maps_cell_breakdown(
    planes: Sequence[np.ndarray | None],
    kernel: np.ndarray,
    i: int,
    j: int,
    *,
    bias: float = 0.0,
    activation: str = "none",
    stride=1,
    padding="valid",
    border: str = "constant",
    cval: float = 0.0,
    dilation=1,
    labels: Sequence[str] = (),
) -> CellBreakdown:
    """How cell ``(i, j)`` of a conv stage over several maps is made: one part per map.

    Parameters
    ----------
    planes : sequence of ndarray or None
        The maps read, ``(H, W)`` each, in kernel-depth order; None for a map of zeros (a
        switched-off filter).
    kernel : ndarray
        ``(kh, kw, C)`` with ``C = len(planes)``.
    i, j : int
        The cell.
    bias, activation, stride, padding, border, cval, dilation
        As the stage applies them (``convolve``'s meanings).
    labels : sequence of str
        The maps' names, one per plane (the parts carry them).

    Returns
    -------
    CellBreakdown
        ``mode`` ``"maps"``, one output whose parts are the maps' partial sums; its ``value``
        equals the stage's map at ``(i, j)``.

    Examples
    --------
    >>> a, b = np.ones((4, 4), np.float32), np.full((4, 4), 2, np.float32)
    >>> k = np.zeros((3, 3, 2), np.float32); k[1, 1] = [1, -1]
    >>> bd = maps_cell_breakdown([a, b], k, 0, 0, labels=["one", "two"])
    >>> [p.total for p in bd.outputs[0].parts], bd.outputs[0].value
    ([1.0, -2.0], -1.0)
    """
    k = np.asarray(kernel, dtype=np.float32)
    if k.ndim == 2:
        k = k[:, :, None]
    if k.ndim != 3 or k.shape[2] != len(planes):
        raise ValueError(f"The kernel reads {k.shape[-1]} maps, but {len(planes)} are given.")
    shapes = {p.shape[:2] for p in planes if p is not None}
    if len(shapes) > 1:
        raise ValueError("The maps a stage reads must all have one size.")
    if not shapes:
        raise ValueError("A cell needs at least one map that is not switched off to read.")
    in_hw = shapes.pop()
    g = MapGeometry.compute(in_hw, k.shape[:2], stride=stride, padding=padding, dilation=dilation)
    oh, ow = g.out_hw
    if not (0 <= i < oh and 0 <= j < ow):
        raise ValueError(f"The map has no cell ({i}, {j}); it is {size_label(oh, ow)}.")
    rows = padded_index(in_hw[0], g.pad_top, g.pad_bottom, border)
    cols = padded_index(in_hw[1], g.pad_left, g.pad_right, border)
    taps = g.taps(i, j)
    parts = []
    for c, plane in enumerate(planes):
        terms = []
        for a, b, y, x, inside in taps:
            sy, sx = rows[y + g.pad_top], cols[x + g.pad_left]
            if sy < 0 or sx < 0:
                value = float(cval)
            else:
                value = 0.0 if plane is None else float(plane[sy, sx])
            terms.append(Term(a, b, y, x, bool(inside), value, float(k[a, b, c])))
        label = labels[c] if c < len(labels) else f"map {c + 1}"
        parts.append(ChannelPart(c, tuple(terms), math.fsum(t.product for t in terms), label))
    total = math.fsum(p.total for p in parts)
    pre = total + float(bias)
    out = OutputBreakdown(
        None, tuple(parts), total, float(bias), pre, activation, _activate_scalar(pre, activation)
    )
    return CellBreakdown(int(i), int(j), "maps", (out,))


@dataclass(frozen=True)
class PoolCell:
    """One cell of a pooling stage: its window on the map it reads and what came of it.

    ``top, left`` is the window's first cell (negative or past the edge: padding), ``size`` its
    ``(rows, cols)``; ``values`` the real cells in it as ``(row, col, value)``, row by row;
    ``winner`` the cell whose value a max pool took (None for ``avg``), ``value`` the pooled
    value (the mean divides by the whole window, padding included, as PyTorch does).
    """

    i: int
    j: int
    mode: str
    top: int
    left: int
    size: tuple[int, int]
    values: tuple[tuple[int, int, float], ...]
    winner: tuple[int, int] | None
    value: float

    @property
    def padded_cells(self) -> int:
        """How many cells of the window lie in the padding."""
        return self.size[0] * self.size[1] - len(self.values)


def pool_window(in_hw, i: int, j: int, *, size, stride=None, padding=0) -> tuple[int, int, int, int]:
    """``(top, left, rows, cols)`` of the window of cell ``(i, j)`` on a map of ``in_hw``."""
    ph, pw = as_pair(size, "pool size")
    sy, sx = as_pair((ph, pw) if stride is None else stride, "stride")
    py, px = _padding(padding, (ph, pw))
    h, w = int(in_hw[0]), int(in_hw[1])
    oh, ow = (h + 2 * py - ph) // sy + 1, (w + 2 * px - pw) // sx + 1
    if not (0 <= i < oh and 0 <= j < ow):
        raise ValueError(f"The pooled map has no cell ({i}, {j}); it is {size_label(oh, ow)}.")
    return i * sy - py, j * sx - px, ph, pw


def pool_cell(
    plane: np.ndarray | None,
    i: int,
    j: int,
    *,
    size,
    stride=None,
    padding=0,
    mode: str = "max",
    in_hw=None,
) -> PoolCell:
    """Cell ``(i, j)`` of ``pool2d(plane, size, stride=..., padding=..., mode=...)``, explained.

    ``plane`` None is a map of zeros of ``in_hw`` (a switched-off filter's).

    Examples
    --------
    >>> x = np.array([[0, 1, 5, 2], [3, 2, 2, 5]], np.float32)
    >>> c = pool_cell(x, 0, 1, size=2)
    >>> c.winner, c.value
    ((0, 2), 5.0)
    >>> pool_cell(x, 0, 0, size=2, mode="avg").value
    1.5
    """
    if mode not in ("max", "avg"):
        raise ValueError(f"Unknown pooling mode {mode!r}; choose max or avg.")
    if plane is None:
        if in_hw is None:
            raise ValueError("A map of zeros needs its size.")
        plane = np.zeros(tuple(in_hw), np.float32)
    h, w = plane.shape[:2]
    top, left, ph, pw = pool_window((h, w), i, j, size=size, stride=stride, padding=padding)
    r0, r1 = max(top, 0), min(top + ph, h)
    c0, c1 = max(left, 0), min(left + pw, w)
    crop = np.asarray(plane[r0:r1, c0:c1], dtype=np.float32)
    values = tuple(
        (r0 + a, c0 + b, float(crop[a, b])) for a in range(crop.shape[0]) for b in range(crop.shape[1])
    )
    if mode == "max":
        # Padding never wins, so the window's real cells alone decide, in PyTorch's order.
        rows, cols = pool2d_argmax(crop, crop.shape[:2])
        winner = (r0 + int(rows[0, 0]), c0 + int(cols[0, 0]))
        value = float(plane[winner])
    else:
        winner = None
        with np.errstate(invalid="ignore", over="ignore"):
            value = float(np.float32(crop.sum(dtype=np.float32)) / np.float32(ph * pw))
    return PoolCell(int(i), int(j), mode, top, left, (ph, pw), values, winner, value)
