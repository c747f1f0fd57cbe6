"""Two linear conv stages as one: the kernel (and bias) equal to a stage followed by another."""

from __future__ import annotations

import numpy as np

from .arguments import as_pair, real_array


def _finite(arr: np.ndarray, what: str) -> np.ndarray:
    if arr.size == 0:
        raise ValueError(f"The {what} is empty (shape {arr.shape}).")
    out = arr.astype(np.float64)
    if not np.isfinite(out).all():
        raise ValueError(f"The {what} contains a value that is not a finite number.")
    return out


def _dilated(k: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """``k`` over its last two axes with ``dy - 1`` / ``dx - 1`` zeros between taps."""
    if dy == dx == 1:
        return k
    kh, kw = k.shape[-2:]
    out = np.zeros(k.shape[:-2] + ((kh - 1) * dy + 1, (kw - 1) * dx + 1))
    out[..., ::dy, ::dx] = k
    return out


def _full(a: np.ndarray, b: np.ndarray, sy: int, sx: int) -> np.ndarray:
    """``sum_b a shifted by (b0 * sy, b1 * sx) times b[b0, b1]`` over the last two axes of
    ``a`` and ``b``: the full convolution of ``a`` with ``b`` spread ``sy``/``sx`` apart.

    ``a``: ``(..., ah, aw)``; ``b``: ``(..., bh, bw)`` broadcasting against ``a``'s lead axes.
    """
    ah, aw = a.shape[-2:]
    bh, bw = b.shape[-2:]
    lead = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    out = np.zeros(lead + (ah + (bh - 1) * sy, aw + (bw - 1) * sx))
    for r in range(bh):
        for c in range(bw):
            out[..., r * sy : r * sy + ah, c * sx : c * sx + aw] += b[..., r, c, None, None] * a
    return out


def compose_kernels(k1, k2, *, stride1=1, dilation1=1, dilation2=1) -> np.ndarray:
    """The one kernel equal to ``k1`` followed by ``k2`` with nothing in between.

    ``convolve(convolve(x, k1, stride=s1), k2) == convolve(x, K, stride=s1)`` (valid padding)
    for ``K`` the full 2-D convolution of ``k1`` with ``k2`` dilated by ``s1`` (SPEC.md).
    With dilations, ``k1`` runs dilated by ``dilation1`` and ``k2`` by ``dilation2``; ``K``
    is then used with dilation 1.

    Supported pairs:

    - ``(kh, kw)`` then ``(kh2, kw2)``: per channel, as ``convolve`` applies a 2-D kernel;
    - ``(kh, kw, C)`` (a filter with depth, giving one map) then ``(kh2, kw2)``: ``K`` has
      depth ``C``;
    - ``(C_mid, C_in, kh, kw)`` then ``(C_out, C_mid, kh2, kw2)`` (PyTorch's layout, as
      ``conv2d`` takes it, groups 1): ``K`` is ``(C_out, C_in, ...)`` and
      ``conv2d(conv2d(x, W1, stride=s1), W2) == conv2d(x, K, stride=s1)``.

    Biases compose too: see :func:`compose_bias`. With padding other than valid the two stages
    see padding at different places, so the maps agree only away from the borders.

    Returns
    -------
    numpy.ndarray
        float32, ``kh + (kh2 - 1) * s1`` rows (dilations included), columns likewise.

    Examples
    --------
    >>> compose_kernels([[1, 1]], [[1, 1]])
    array([[1., 2., 1.]], dtype=float32)
    >>> compose_kernels([[1, 1]], [[1, 1]], stride1=2)
    array([[1., 1., 1., 1.]], dtype=float32)
    """
    a = _finite(real_array(k1, "first kernel"), "first kernel")
    b = _finite(real_array(k2, "second kernel"), "second kernel")
    sy, sx = as_pair(stride1, "stride")
    d1y, d1x = as_pair(dilation1, "dilation")
    d2y, d2x = as_pair(dilation2, "dilation")
    if a.ndim == 2 and b.ndim == 2:
        out = _full(_dilated(a, d1y, d1x), b, sy * d2y, sx * d2x)
    elif a.ndim == 3 and b.ndim == 2:
        # A depth filter's channels each pass through the same second kernel.
        planes = _dilated(np.moveaxis(a, 2, 0), d1y, d1x)
        out = np.moveaxis(_full(planes, b[None], sy * d2y, sx * d2x), 0, 2)
    elif a.ndim == 4 and b.ndim == 4:
        if b.shape[1] != a.shape[0]:
            raise ValueError(
                f"The second weight reads {b.shape[1]} maps but the first makes {a.shape[0]}."
            )
        # K[o, c] = sum_m full(W1[m, c], W2[o, m]): broadcast over (o, m, c), sum over m.
        terms = _full(_dilated(a, d1y, d1x)[None], b[:, :, None], sy * d2y, sx * d2x)
        out = terms.sum(axis=1)
    else:
        raise ValueError(
            "compose_kernels takes two 2-D kernels, a 3-D depth filter then a 2-D kernel, or "
            f"two 4-D weights (C_out, C_in, kh, kw); not {a.ndim}-D then {b.ndim}-D."
        )
    return out.astype(np.float32)


def compose_bias(bias1, k2, bias2=None) -> np.ndarray | float:
    """The bias of the composed stage: ``bias2 + bias1 * sum(k2)`` (valid padding).

    ``bias1``, ``bias2`` are numbers for 2-D or 3-D kernels; for 4-D weights ``bias1`` is
    ``(C_mid,)``, ``bias2`` ``(C_out,)`` or None, and the result ``(C_out,)`` float32 with
    ``out[o] = bias2[o] + sum_m bias1[m] * sum(W2[o, m])``.

    Examples
    --------
    >>> compose_bias(0.5, [[1, 2], [3, 4]], 1.0)
    6.0
    """
    b = _finite(real_array(k2, "second kernel"), "second kernel")
    b1 = _finite(real_array(bias1, "first bias"), "first bias")
    if b.ndim == 2:
        if b1.ndim != 0:
            raise ValueError("With a 2-D second kernel the first bias is one number.")
        b2 = 0.0 if bias2 is None else float(_finite(real_array(bias2, "bias"), "bias"))
        return float(b2 + float(b1) * b.sum())
    if b.ndim != 4:
        raise ValueError(f"The second kernel must be 2-D or 4-D, not {b.ndim}-D.")
    if b1.shape != (b.shape[1],):
        raise ValueError(
            f"The first bias must have one value per map the second weight reads, "
            f"shape ({b.shape[1]},), not {b1.shape}."
        )
    out = b.sum(axis=(2, 3)) @ b1
    if bias2 is not None:
        b2 = _finite(real_array(bias2, "second bias"), "second bias")
        if b2.shape != (b.shape[0],):
            raise ValueError(
                f"The second bias must have one value per filter, shape ({b.shape[0]},), "
                f"not {b2.shape}."
            )
        out = out + b2
    return out.astype(np.float32)
