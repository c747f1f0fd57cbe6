"""Strided previews as weighted sums of tap planes: the picture's cells each kernel tap reads.

A preview (``compute.planning``) is the map at a stride ``f`` times larger. Its cell ``(i, j)``
is ``sum over taps (a, b) of k[a, b] * P[a*dy + i*SY, b*dx + j*SX]``, where ``P`` is the padded
picture and ``SY, SX`` the preview's strides: each tap reads one small plane of ``P``, every
``SY``-th row and ``SX``-th column from the tap's offset. The planes depend on the picture and the
layout (strides, padding, border), not on the weights, so while a kernel is dragged they are
gathered once and every later preview of it is a few OpenCV multiply-adds over planes the size
of the preview, instead of a filter pass over every ``SY``-th row of the whole picture.

The planes are kept for one map at a time, from its second preview in a row on (a drag; a
stride change previews every map once and keeps nothing), within :data:`PLANE_BYTES`, and only
until the next full map is made (:meth:`TapPlanes.clear`), so they never add to the studio's peak.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..core.geometry import MapGeometry
from ..core.limits import MAX_DILATION, MAX_PADDING
from ..core.pipeline import effective_kernel, finish_map

__all__ = ["PLANE_BYTES", "TapPlanes", "gather_plane"]

#: The most memory the planes of one layout may keep between previews.
PLANE_BYTES = 96 << 20


def _source_index(n: int, before: int, after: int, border: str) -> np.ndarray:
    """For each padded position, the picture row (or column) it shows; -1 for a constant fill.

    ``numpy.pad`` of the positions themselves, so every border mode and every pad width (even
    wider than the picture) means exactly what it means to the engine.
    """
    index = np.arange(n, dtype=np.int64)
    if border == "constant":
        return np.pad(index, (before, after), constant_values=-1)
    return np.pad(index, (before, after), mode=border)


def _inside(offset: int, step: int, pad: int, n: int, count: int) -> tuple[int, int]:
    """The range of plane positions ``[lo, hi)`` whose padded position falls on the picture."""
    lo = min(count, max(0, -(-(pad - offset) // step)))
    hi = min(count, (n - 1 + pad - offset) // step + 1)
    return lo, max(lo, hi)


def _columns(rows: np.ndarray, start: int, step: int, count: int, out: np.ndarray) -> None:
    """``out[:] = rows[:, start : : step][:, :count]``: one nearest-neighbour resize of OpenCV.

    A resize by exactly ``1 / step`` reads column ``j * step``; it needs ``count * step`` source
    columns, so a last column that ends the row is copied apart.
    """
    if step == 1:
        np.copyto(out, rows[:, start : start + count])
        return
    full = min(count, (rows.shape[1] - start) // step)
    if full:
        part = out[:, :full]
        src = rows[:, start : start + full * step]
        got = cv2.resize(src, (full, rows.shape[0]), dst=part, interpolation=cv2.INTER_NEAREST)
        if got is not part:  # OpenCV wrote elsewhere: copy it in
            np.copyto(part, got.reshape(part.shape))
    if full < count:
        np.copyto(out[:, full:], rows[:, start + full * step :: step][:, : count - full])


def gather_plane(
    x: np.ndarray,
    origin: tuple[int, int],
    step: tuple[int, int],
    out_hw: tuple[int, int],
    pads: tuple[tuple[int, int], tuple[int, int]],
    border: str,
    cval: float,
) -> np.ndarray:
    """``P[oy + i*SY, ox + j*SX]`` for ``i, j < out_hw``, where ``P`` is ``x`` padded by ``pads``.

    The cells on the picture come from one strided view and one resize; only the few rows and
    columns that fall in the padding are gathered one by one.
    """
    (oy, ox), (sy, sx), (oh, ow) = origin, step, out_hw
    (pt, pb), (pl, pr) = pads
    h, w = x.shape[:2]
    out = np.empty((oh, ow) + x.shape[2:], np.float32)
    i0, i1 = _inside(oy, sy, pt, h, oh)
    j0, j1 = _inside(ox, sx, pl, w, ow)
    if i1 > i0 and j1 > j0:
        r0 = oy + i0 * sy - pt
        rows = x[r0 : r0 + (i1 - i0 - 1) * sy + 1 : sy]
        _columns(rows, ox + j0 * sx - pl, sx, j1 - j0, out[i0:i1, j0:j1])
    if (i0, i1, j0, j1) == (0, oh, 0, ow):
        return out
    rows_at = _source_index(h, pt, pb, border)[oy : oy + (oh - 1) * sy + 1 : sy]
    cols_at = _source_index(w, pl, pr, border)[ox : ox + (ow - 1) * sx + 1 : sx]
    edge_rows = np.r_[0:i0, i1:oh]
    edge_cols = np.r_[0:j0, j1:ow]
    for r_idx, c_idx, r_at, c_at in (
        (edge_rows, np.arange(ow), rows_at[edge_rows], cols_at),
        (np.arange(i0, i1), edge_cols, rows_at[i0:i1], cols_at[edge_cols]),
    ):
        if len(r_idx) and len(c_idx):
            cells = x[np.maximum(r_at, 0)[:, None], np.maximum(c_at, 0)[None, :]]
            cells[(r_at[:, None] < 0) | (c_at[None, :] < 0)] = cval
            out[r_idx[:, None], c_idx[None, :]] = cells
    return out


class TapPlanes:
    """The tap planes of one picture and layout, kept between previews of edited kernels.

    Used on the compute thread only. :meth:`preview` answers a strided preview from the planes,
    gathering the ones it lacks; :meth:`clear` lets them go.
    """

    def __init__(self, budget: int = PLANE_BYTES) -> None:
        self._budget = budget
        self._layout: tuple | None = None
        self._owner = None
        self._planes: dict[tuple[int, int], np.ndarray] = {}
        self._bytes = 0

    @property
    def kept_bytes(self) -> int:
        return self._bytes

    def clear(self) -> None:
        self._layout, self._owner, self._planes, self._bytes = None, None, {}, 0

    def preview(self, src: np.ndarray, picture_key, flt, layer, owner=None) -> np.ndarray | None:
        """The map of ``flt`` under the (preview) ``layer`` on the prepared ``src``, or None
        when the planes do not apply (a layout the engine must check, or too many channels).

        ``owner`` names the map asking; planes are kept only when it asked the time before too.
        """
        channels = 1 if src.ndim == 2 else src.shape[2]
        kernel = effective_kernel(flt.kernel, layer.channel_mode, channels)
        depth = kernel.ndim == 3
        if channels > 4 or src.dtype != np.float32 or max(layer.dilation) > MAX_DILATION:
            return None
        try:
            geo = MapGeometry.for_layer(src.shape[:2], flt.size, layer)
        except ValueError:
            return None
        pads = ((geo.pad_top, geo.pad_bottom), (geo.pad_left, geo.pad_right))
        # OpenCV reads a one-cell array of up to four channels as a scalar: the engine does those.
        if geo.out_hw[0] * geo.out_hw[1] < 2 or max(pads[0] + pads[1]) > MAX_PADDING:
            return None
        layout = (picture_key, src.shape, geo.stride, pads, geo.out_hw, layer.border, layer.cval)
        keep = layout == self._layout and owner == self._owner
        if not keep:
            self.clear()
            self._layout, self._owner = layout, owner
        dy, dx = geo.dilation
        out = np.zeros(geo.out_hw + (() if depth or channels == 1 else (channels,)), np.float32)
        # Only the taps with a weight read anything.
        live = (kernel != 0).any(axis=2) if depth else kernel != 0
        for a, b in zip(*np.nonzero(live)):
            weights = kernel[a, b]
            plane = self._plane(src, (int(a) * dy, int(b) * dx), geo, pads, layer, keep)
            if depth:
                mixed = cv2.transform(plane, weights.reshape(1, -1)).reshape(out.shape)
                cv2.add(out, mixed, dst=out)
            else:
                cv2.scaleAdd(plane, float(weights), out, dst=out)
        return finish_map(out, flt.bias, flt.activation)

    def _plane(self, src, origin, geo: MapGeometry, pads, layer, keep: bool) -> np.ndarray:
        plane = self._planes.get(origin)
        if plane is None:
            plane = gather_plane(
                src, origin, geo.stride, geo.out_hw, pads, layer.border, float(layer.cval)
            )
            if keep and self._bytes + plane.nbytes <= self._budget:
                self._planes[origin] = plane
                self._bytes += plane.nbytes
        return plane
