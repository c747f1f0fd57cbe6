"""Pooling as SPEC.md says: ``pool2d`` (max or average) and which input won each max window."""

from __future__ import annotations

import numpy as np

from . import convolution as _engine
from .arguments import as_pair, planar_array, split_pair, whole
from .convolution import _cv_ready, _executor, _scratch_array, _subsample_cols

POOL_MODES = ("max", "avg")
_CV_MAX_CHANNELS = 512  # OpenCV's arrays interleave at most this many channels
# A band reads about this many input values: its rows stay in cache between the passes (a
# tuning knob: tests lower it to cut tiny inputs into many bands).
BAND_VALUES = 1 << 20


def _padding(padding, size: tuple[int, int]) -> tuple[int, int]:
    a, b = split_pair(padding, "padding")
    pads = (whole(a, "padding"), whole(b, "padding"))
    if min(pads) < 0:
        raise ValueError("The padding cannot be negative.")
    for p, k, axis in zip(pads, size, ("rows", "columns")):
        if 2 * p > k:
            raise ValueError(
                f"The padding of the {axis} ({p}) can be at most half the pool size ({k})."
            )
    return pads


def _check(x, size, stride, padding):
    arr = planar_array(x, "input", needs="; it needs at least one pixel and one channel")
    ph, pw = as_pair(size, "pool size")
    sy, sx = as_pair((ph, pw) if stride is None else stride, "stride")
    py, px = _padding(padding, (ph, pw))
    h, w = arr.shape[:2]
    if ph > h + 2 * py or pw > w + 2 * px:
        raise ValueError(
            f"The pool window ({ph}x{pw}) is larger than the padded input "
            f"({h + 2 * py}x{w + 2 * px}); use a smaller window or more padding."
        )
    out_hw = ((h + 2 * py - ph) // sy + 1, (w + 2 * px - pw) // sx + 1)
    return arr, (ph, pw), (sy, sx), (py, px), out_hw


def _padded(x: np.ndarray, py: int, px: int, fill: float) -> np.ndarray:
    """``x`` (float32, 3-D) with ``py`` rows and ``px`` columns of ``fill`` on every side."""
    if py == px == 0:
        return x
    h, w, c = x.shape
    p = np.empty((h + 2 * py, w + 2 * px, c), np.float32)
    p[:py] = fill
    p[py + h :] = fill
    p[py : py + h, :px] = fill
    p[py : py + h, px + w :] = fill
    p[py : py + h, px : px + w] = x
    return p


def _band(x: np.ndarray, i0: int, i1: int, size, strides, pads, reduce, fill, out) -> None:
    """Output rows ``[i0, i1)``: ``reduce`` over each window, its rows first, then its columns."""
    # Sums of inf and -inf are NaN, as in torch, without a warning. The error state belongs to
    # the thread that runs the band, so it is set here.
    with np.errstate(invalid="ignore", over="ignore"):
        _band_rows(x, i0, i1, size, strides, pads, reduce, fill, out)


def _band_rows(x: np.ndarray, i0: int, i1: int, size, strides, pads, reduce, fill, out) -> None:
    """The work of :func:`_band`.

    Every step combines contiguous runs of values, so numpy's vector loops do the work and keep
    a NaN as PyTorch does. Padding rows are never copied: a window row outside the picture adds
    nothing to the rows pass; ``px`` columns of ``fill`` border the rows it makes.
    """
    (ph, pw), (sy, sx), (py, px) = size, strides, pads
    h, w, c = x.shape
    n, ow = i1 - i0, out.shape[1]
    rows = _scratch_array(0, (n, w + 2 * px, c))
    if px:
        rows[:, :px] = fill
        rows[:, px + w :] = fill
    inner = rows[:, px : px + w]
    # Window row a of output row i is picture row i*sy + a - py: the output rows for which it
    # lies inside the picture form one range [lo, hi).
    parts = []
    for a in range(ph):
        lo = max(i0, -((a - py) // sy))
        hi = min(i1, (h - 1 - a + py) // sy + 1)
        if lo < hi:
            parts.append((lo, hi, x[lo * sy + a - py : (hi - 1) * sy + a - py + 1 : sy]))
    whole = [p for p in parts if p[:2] == (i0, i1)]
    if len(whole) >= 2:  # the usual case: two window rows combine into the rows at once
        reduce(whole[0][2], whole[1][2], out=inner)
        done = 2
    elif whole:
        np.copyto(inner, whole[0][2])
        done = 1
    else:
        inner[...] = fill
        done = 0
    for lo, hi, src in [p for p in parts if p[:2] != (i0, i1)] + whole[done:]:
        dst = inner[lo - i0 : hi - i0]
        reduce(dst, src, out=dst)
    dst = out[i0:i1]
    if sx == 1:
        if pw == 1:
            np.copyto(dst, rows[:, :ow])
        else:
            reduce(rows[:, :ow], rows[:, 1 : 1 + ow], out=dst)
        for b in range(2, pw):
            reduce(dst, rows[:, b : b + ow], out=dst)
        return
    # Stride > 1: a nearest-neighbour resize picks every sx-th column into contiguous rows
    # (OpenCV interleaves at most 512 channels: numpy picks them beyond that).
    def pick(src, into):
        if c > _CV_MAX_CHANNELS:
            np.copyto(into, src[:, : (ow - 1) * sx + 1 : sx])
        else:
            _subsample_cols(src, sx, ow, into)

    pick(rows, dst)
    if pw > 1:
        picked = _scratch_array(1, dst.shape)
        for b in range(1, pw):
            pick(rows[:, b:], picked)
            reduce(dst, picked, out=dst)


def _pool(x: np.ndarray, size, strides, pads, out_hw, reduce, fill) -> np.ndarray:
    """``(OH, OW, C)`` float32 from ``x`` (float32, 3-D), in bands over threads when large."""
    oh, ow = out_hw
    c = x.shape[2]
    out = np.empty((oh, ow, c), np.float32)
    workers = _engine.MAX_WORKERS
    row_values = (x.shape[1] + 2 * pads[1]) * c * max(strides[0], size[0])
    per_band = max(1, BAND_VALUES // max(1, row_values))
    parallel = x.size >= _engine.PARALLEL_MIN_VALUES and workers > 1
    if parallel:
        per_band = min(per_band, max(1, -(-oh // (2 * workers))))
    starts = range(0, oh, per_band)
    args = (size, strides, pads, reduce, fill, out)
    if len(starts) == 1 or not parallel:
        for i0 in starts:
            _band(x, i0, min(oh, i0 + per_band), *args)
    else:
        jobs = [_executor().submit(_band, x, i0, min(oh, i0 + per_band), *args) for i0 in starts]
        for job in jobs:
            job.result()
    return out


def pool2d(x, size, *, stride=None, mode: str = "max", padding=0) -> np.ndarray:
    """The maximum or the mean of every ``size`` window, each channel on its own, as float32.

    Parameters
    ----------
    x : array_like
        ``(H, W)`` or ``(H, W, C)``, any real dtype. Never modified.
    size : int or (int, int)
        The window ``(ph, pw)``.
    stride : int or (int, int), optional
        Step between windows; defaults to ``size`` (windows side by side).
    mode : {"max", "avg"}, optional
        ``"max"`` pads with ``-inf`` and a NaN in a window wins; ``"avg"`` pads with zeros and
        always divides by ``ph * pw`` (PyTorch's ``count_include_pad=True``).
    padding : int or (int, int), optional
        ``(py, px)`` cells on every side, each at most half the window (PyTorch's rule).

    Returns
    -------
    numpy.ndarray
        float32 ``(OH, OW)`` or ``(OH, OW, C)``, ``OH = (H + 2 py - ph) // sy + 1``: equals
        ``torch.nn.functional.max_pool2d`` / ``avg_pool2d`` with ``ceil_mode=False``.

    Raises
    ------
    ValueError
        One sentence naming what cannot be used, e.g. an unknown mode or padding over half
        the window.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(16, dtype=np.float32).reshape(4, 4)
    >>> pool2d(x, 2)
    array([[ 5.,  7.],
           [13., 15.]], dtype=float32)
    >>> pool2d(x, 2, mode="avg")
    array([[ 2.5,  4.5],
           [10.5, 12.5]], dtype=float32)
    """
    if not isinstance(mode, str) or mode not in POOL_MODES:
        raise ValueError(f"Unknown pooling mode {mode!r}: use 'max' or 'avg'.")
    arr, size, strides, (py, px), out_hw = _check(x, size, stride, padding)
    x3 = arr.astype(np.float32, copy=False)
    squeeze = x3.ndim == 2
    if squeeze:
        x3 = x3[:, :, None]
    x3 = _cv_ready(x3)
    if mode == "max":
        # np.maximum keeps a NaN, as PyTorch's max pool does.
        out = _pool(x3, size, strides, (py, px), out_hw, np.maximum, -np.inf)
    else:
        out = _pool(x3, size, strides, (py, px), out_hw, np.add, 0.0)
        out *= np.float32(1.0 / (size[0] * size[1]))
    return out[:, :, 0] if squeeze else out


def pool2d_argmax(x, size, *, stride=None, padding=0) -> tuple[np.ndarray, np.ndarray]:
    """Which input pixel won each window of a max pool: its row and its column in ``x``.

    Scans every window row by row as PyTorch does: a pixel wins when it is greater than the
    best so far or is NaN, so of equal maxima the first wins. A window whose pixels are all
    ``-inf`` names its first pixel. Padding never wins: every window holds a real pixel.

    Returns
    -------
    (rows, cols) : tuple of numpy.ndarray
        int64, each shaped like ``pool2d(x, size, ...)``; ``x[rows[i, j], cols[i, j]]`` (per
        channel) equals the pooled value.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[0, 1, 5, 2], [3, 2, 2, 5]], np.float32)
    >>> rows, cols = pool2d_argmax(x, 2)
    >>> rows, cols
    (array([[1, 0]]), array([[0, 2]]))
    """
    arr, (ph, pw), (sy, sx), (py, px), (oh, ow) = _check(x, size, stride, padding)
    x3 = arr.astype(np.float32, copy=False)
    squeeze = x3.ndim == 2
    if squeeze:
        x3 = x3[:, :, None]
    p = _padded(x3, py, px, -np.inf)
    c = x3.shape[2]
    top = np.arange(oh) * sy - py
    left = np.arange(ow) * sx - px
    # Start from each window's first real pixel, with -inf as the best so far.
    rows = np.broadcast_to(np.maximum(top, 0)[:, None, None], (oh, ow, c)).copy()
    cols = np.broadcast_to(np.maximum(left, 0)[None, :, None], (oh, ow, c)).copy()
    best = np.full((oh, ow, c), -np.inf, np.float32)
    for a in range(ph):
        for b in range(pw):
            v = p[a : a + (oh - 1) * sy + 1 : sy, b : b + (ow - 1) * sx + 1 : sx]
            wins = (v > best) | np.isnan(v)
            np.copyto(best, v, where=wins)
            np.copyto(rows, (top + a)[:, None, None], where=wins)
            np.copyto(cols, (left + b)[None, :, None], where=wins)
    if squeeze:
        return rows[:, :, 0], cols[:, :, 0]
    return rows, cols
