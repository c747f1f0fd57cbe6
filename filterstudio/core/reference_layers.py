"""The yardstick for layers: SPEC.md's conv2d and pool2d written plainly in float64 numpy."""

from __future__ import annotations

import numpy as np

from .reference import _pads, _pair, convolve_reference

POOL_MODES = ("max", "avg")


def conv2d_reference(
    x,
    weight,
    bias=None,
    *,
    stride=1,
    padding=0,
    dilation=1,
    border: str = "constant",
    cval: float = 0.0,
    groups: int = 1,
) -> np.ndarray:
    """The same layer as :func:`filterstudio.core.conv2d.conv2d`, in float64.

    Every output map is the sum, over its group's input maps, of ``convolve_reference`` of one
    map with one 2-D kernel, plus the bias. Slow and obviously right.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 2:
        x = x[:, :, None]
    w = np.asarray(weight, dtype=np.float64)
    if w.ndim != 4:
        raise ValueError(f"The weight must be 4-D, not {w.ndim}-D.")
    c_out, per_group = w.shape[:2]
    if groups < 1 or x.shape[2] % groups or c_out % groups or per_group * groups != x.shape[2]:
        raise ValueError("The groups do not split the channels and filters evenly.")
    out_per_group = c_out // groups
    maps = []
    for o in range(c_out):
        g = o // out_per_group
        total = 0.0
        for c in range(per_group):
            total = total + convolve_reference(
                x[:, :, g * per_group + c],
                w[o, c],
                stride=stride,
                padding=padding,
                dilation=dilation,
                border=border,
                cval=cval,
            )
        if bias is not None:
            total = total + float(np.asarray(bias, dtype=np.float64)[o])
        maps.append(total)
    return np.stack(maps, axis=2)


def pool2d_reference(x, size, *, stride=None, mode: str = "max", padding=0) -> np.ndarray:
    """The same map as :func:`filterstudio.core.pooling.pool2d`, in float64.

    Pads with ``-inf`` (max) or ``0`` (avg), then takes the max or the mean of every window,
    one output cell at a time: torch's ``max_pool2d``/``avg_pool2d`` with ``ceil_mode=False``
    and ``count_include_pad=True``. NaN in a window gives NaN, as in torch.
    """
    x = np.asarray(x, dtype=np.float64)
    squeeze = x.ndim == 2
    if squeeze:
        x = x[:, :, None]
    if mode not in POOL_MODES:
        raise ValueError(f"Unknown pooling mode {mode!r}: use 'max' or 'avg'.")
    ph, pw = _pair(size, "pool size", 1)
    sy, sx = _pair(size if stride is None else stride, "stride", 1)
    py, px = _pair(padding, "padding", 0)
    if 2 * py > ph or 2 * px > pw:
        raise ValueError("The padding can be at most half the pool size.")
    (pt, pb), (pl, pr) = _pads(0, 1, 0, py), _pads(0, 1, 0, px)
    fill = -np.inf if mode == "max" else 0.0
    p = np.pad(x, ((pt, pb), (pl, pr), (0, 0)), mode="constant", constant_values=fill)
    if ph > p.shape[0] or pw > p.shape[1]:
        raise ValueError("The pool window is larger than the padded input.")
    oh = (p.shape[0] - ph) // sy + 1
    ow = (p.shape[1] - pw) // sx + 1
    out = np.empty((oh, ow, x.shape[2]))
    for i in range(oh):
        for j in range(ow):
            window = p[i * sy : i * sy + ph, j * sx : j * sx + pw]
            if mode == "max":
                out[i, j] = window.max(axis=(0, 1))  # numpy's max propagates NaN
            else:
                with np.errstate(invalid="ignore"):  # inf - inf is NaN, as in torch
                    out[i, j] = window.sum(axis=(0, 1)) / (ph * pw)
    return out[:, :, 0] if squeeze else out


def pool2d_argmax_reference(x, size, *, stride=None, padding=0) -> tuple[np.ndarray, np.ndarray]:
    """Input row and column of each max-pool window's winner, scanning torch's way.

    Within a window, real pixels are visited row by row; a pixel wins if it is greater than the
    best so far or is NaN (so the first maximum wins, and the last NaN). A window whose pixels are
    all ``-inf`` names its first real pixel.
    """
    x = np.asarray(x, dtype=np.float64)
    squeeze = x.ndim == 2
    if squeeze:
        x = x[:, :, None]
    ph, pw = _pair(size, "pool size", 1)
    sy, sx = _pair(size if stride is None else stride, "stride", 1)
    py, px = _pair(padding, "padding", 0)
    h, w, c = x.shape
    oh = (h + 2 * py - ph) // sy + 1
    ow = (w + 2 * px - pw) // sx + 1
    rows = np.zeros((oh, ow, c), np.int64)
    cols = np.zeros((oh, ow, c), np.int64)
    for i in range(oh):
        for j in range(ow):
            for k in range(c):
                best, where = -np.inf, None
                for y in range(i * sy - py, i * sy - py + ph):
                    for xx in range(j * sx - px, j * sx - px + pw):
                        if not (0 <= y < h and 0 <= xx < w):
                            continue
                        if where is None:
                            where = (y, xx)
                        v = x[y, xx, k]
                        if v > best or np.isnan(v):
                            best, where = v, (y, xx)
                rows[i, j, k], cols[i, j, k] = where
    if squeeze:
        return rows[:, :, 0], cols[:, :, 0]
    return rows, cols
