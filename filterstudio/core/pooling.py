"""Pooling as SPEC.md says: ``pool2d`` (max or average) and which input won each max window."""

from __future__ import annotations

import numpy as np

from .convolution import _real_array, _split_pair, _whole, as_pair

POOL_MODES = ("max", "avg")


def _padding(padding, size: tuple[int, int]) -> tuple[int, int]:
    a, b = _split_pair(padding, "padding")
    pads = (_whole(a, "padding"), _whole(b, "padding"))
    if min(pads) < 0:
        raise ValueError("The padding cannot be negative.")
    for p, k, axis in zip(pads, size, ("rows", "columns")):
        if 2 * p > k:
            raise ValueError(
                f"The padding of the {axis} ({p}) can be at most half the pool size ({k})."
            )
    return pads


def _check(x, size, stride, padding):
    arr = _real_array(x, "input")
    if arr.ndim not in (2, 3):
        raise ValueError(f"The input must be 2-D (H, W) or 3-D (H, W, C), not {arr.ndim}-D.")
    if arr.size == 0:
        raise ValueError(
            f"The input is empty (shape {arr.shape}); it needs at least one pixel and one channel."
        )
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


def _windows(p: np.ndarray, size, strides, out_hw, reduce) -> np.ndarray:
    """``reduce`` over each window: first over its rows, then over its columns.

    Each step combines strided views of whole rows (then of columns), so the work is
    ``ph`` passes over ``OH`` rows and ``pw`` passes over ``OH x OW`` cells.
    """
    (ph, pw), (sy, sx), (oh, ow) = size, strides, out_hw
    rows = None
    for a in range(ph):
        view = p[a : a + (oh - 1) * sy + 1 : sy]
        if rows is None:
            rows = view.copy()
        else:
            reduce(rows, view, out=rows)
    out = None
    for b in range(pw):
        view = rows[:, b : b + (ow - 1) * sx + 1 : sx]
        if out is None:
            out = view.copy()
        else:
            reduce(out, view, out=out)
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
        With one plain sentence for any argument that cannot be used.

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
    if mode == "max":
        # np.maximum keeps a NaN, as PyTorch's max pool does.
        out = _windows(_padded(x3, py, px, -np.inf), size, strides, out_hw, np.maximum)
    else:
        with np.errstate(invalid="ignore", over="ignore"):  # inf - inf is NaN, as in torch
            out = _windows(_padded(x3, py, px, 0.0), size, strides, out_hw, np.add)
            out *= np.float32(1.0 / (size[0] * size[1]))
    out = np.ascontiguousarray(out)
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
