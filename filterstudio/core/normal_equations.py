"""The normal equations of a kernel fit, summed from products of shifted pictures, band by band.

Fitting a ``kh x kw`` kernel (and a bias) to a target is a linear least-squares problem: each
cell of the target is one equation whose unknowns multiply the picture's values under the kernel
there. Its normal equations need ``A^T A`` (the Gram matrix: one sum per pair of kernel taps),
``A^T 1`` (the sum under each tap), ``A^T t`` and the target's sums. Nothing here builds ``A``.

Two taps ``(a, b)`` and ``(a', b')`` read the padded picture ``P`` at windows that are shifted
copies of each other, so the Gram entry of the pair is the sum, over a window, of
``P[u] * P[u + delta]``: every pair with the same shift ``delta`` shares one product picture and
differs only in the window summed. With a stride the picture splits into ``sy * sx`` phase
pictures (every ``sy``-th row from row ``ry``...); each tap reads one phase picture at a
stride-1 window, and the same holds per pair of phases. A product picture is summed once into
row sums (float64) and a few thin column strips, and each pair's window sum is then four
look-ups in their prefix sums. A 7x7 kernel needs 85 product pictures instead of 1225
(the 49 right-hand sides are one product each).

The picture's mean (a float32 constant) is taken off in float64 before the products, so every
product of two float32 values is exact and every sum is accumulated in float64 by OpenCV's
reductions: the sums of a bright picture do not drown its detail.

Work goes in bands of output rows, so memory stays a few megabytes whatever the picture size,
and a fit on a large picture can use an evenly spread subset of the bands
(:func:`plan_bands`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from .arguments import as_pair, check_border, fill_value, resolve_padding
from .kernels import MAX_KERNEL_SIZE

__all__ = [
    "BandSource",
    "FitGeometry",
    "NormalEquations",
    "TapLayout",
    "accumulate",
    "fit_geometry",
    "plan_bands",
    "tap_sums_with",
]

# A band's product pictures hold about this many values (1 MB of float32): they stay in cache.
_BAND_VALUES = 1 << 18


@dataclass(frozen=True)
class FitGeometry:
    """Where each kernel tap reads the padded picture, for one picture shape and one set of options.

    Attributes
    ----------
    height, width, channels : int
        The picture's shape (``channels`` is 1 for a 2-D picture).
    kh, kw : int
        Kernel size.
    stride, dilation : (int, int)
    pads : ((int, int), (int, int))
        ``((top, bottom), (left, right))`` as :func:`~filterstudio.core.convolution.resolve_padding`.
    border : str
    cval : float
    oh, ow : int
        The map's size, as ``convolve`` makes it.
    """

    height: int
    width: int
    channels: int
    kh: int
    kw: int
    stride: tuple[int, int]
    dilation: tuple[int, int]
    pads: tuple[tuple[int, int], tuple[int, int]]
    border: str
    cval: float
    oh: int
    ow: int

    @property
    def taps(self) -> int:
        return self.kh * self.kw

    @property
    def equations(self) -> int:
        """Cells of the map over all channels: one equation each."""
        return self.oh * self.ow * self.channels

    def conv_kwargs(self) -> dict:
        """The options as :func:`filterstudio.convolve` takes them."""
        (pt, pb), (pl, pr) = self.pads
        if pt == pb and pl == pr:
            padding: object = (pt, pl)
        else:  # an uneven "same": give the name back, which resolves to the same cells
            padding = "same"
        return dict(
            stride=self.stride,
            padding=padding,
            border=self.border,
            cval=self.cval,
            dilation=self.dilation,
        )


def _kernel_size(size) -> tuple[int, int]:
    if isinstance(size, (bool, np.bool_)):
        raise ValueError(f"The kernel size must be a whole number or a pair, not {size!r}.")
    kh, kw = as_pair(size, "kernel size")
    if kh > MAX_KERNEL_SIZE or kw > MAX_KERNEL_SIZE:
        raise ValueError(
            f"A fitted kernel may be at most {MAX_KERNEL_SIZE}x{MAX_KERNEL_SIZE}; "
            f"{kh}x{kw} was asked for."
        )
    return kh, kw


def fit_geometry(
    shape, size, *, stride=1, padding="valid", border="constant", cval=0.0, dilation=1
) -> FitGeometry:
    """Check the options of a fit for a picture of ``shape`` and say where each tap reads.

    Raises
    ------
    ValueError
        With one sentence for an option that cannot be used, or a kernel (with its dilation)
        larger than the padded picture.
    """
    h, w = int(shape[0]), int(shape[1])
    channels = 1 if len(shape) == 2 else int(shape[2])
    kh, kw = _kernel_size(size)
    strides = as_pair(stride, "stride")
    dils = as_pair(dilation, "dilation")
    check_border(border)
    cval = fill_value(cval)
    pads = resolve_padding((h, w), (kh, kw), stride=strides, padding=padding, dilation=dils)
    keh, kew = dils[0] * (kh - 1) + 1, dils[1] * (kw - 1) + 1
    ph, pw = h + pads[0][0] + pads[0][1], w + pads[1][0] + pads[1][1]
    if keh > ph or kew > pw:
        raise ValueError(
            f"The kernel ({keh}x{kew} with its dilation) is larger than the padded picture "
            f"({ph}x{pw}); fit a smaller kernel or dilation, or use more padding."
        )
    oh, ow = (ph - keh) // strides[0] + 1, (pw - kew) // strides[1] + 1
    return FitGeometry(h, w, channels, kh, kw, strides, dils, pads, border, cval, oh, ow)


# --------------------------------------------------------------------------------------------
# Band plan


def plan_bands(
    geom: FitGeometry, max_equations: int | None, keep: np.ndarray | None = None
) -> list[tuple[int, int]]:
    """Bands ``[(i0, i1), ...]`` of output rows whose equations are summed.

    All rows when the map has at most ``max_equations`` equations (or ``max_equations`` is
    None). Otherwise equal bands (at least two), evenly spread from the top row to the bottom
    row, together holding at least ``max_equations`` equations; every band spans the full
    width. ``keep`` is the mask of the values counted (bool, the target's shape; None: all), so
    that the kept ones meet the count.
    """
    kept = 1.0 if keep is None else np.count_nonzero(keep) / geom.equations
    row_values = geom.ow * geom.channels
    extra = (geom.dilation[0] * (geom.kh - 1)) // geom.stride[0]  # rows a band reads beyond it
    height = max(8, 4 * extra, _BAND_VALUES // max(1, row_values))
    oh = geom.oh
    whole = [(i0, min(oh, i0 + height)) for i0 in range(0, oh, height)]
    kept = min(1.0, max(float(kept), 1e-9))
    if max_equations is None or geom.equations * kept <= max_equations:
        return whole
    rows = math.ceil(max_equations / (row_values * kept))
    height = min(height, max(8, 4 * extra, rows // 8))  # at least 8 bands where rows allow
    count = max(2, math.ceil(rows / height))
    if count * height >= oh:
        return whole
    return [(i0, i0 + height) for i0 in _spread(oh, height, count)]


def _spread(oh: int, height: int, count: int) -> list[int]:
    """``count`` (at least 2) band starts from 0 to ``oh - height``, evenly spaced."""
    last = oh - height
    return [round(k * last / (count - 1)) for k in range(count)]


# --------------------------------------------------------------------------------------------
# The sums


@dataclass(frozen=True)
class NormalEquations:
    """Sums over the equations of a fit (float64), for the picture less a constant ``shift``.

    With ``A`` the design matrix (one row per target value, one column per kernel tap, in
    row-major order) and ``A_c = A - shift``:

    Attributes
    ----------
    gram : (n, n) ndarray
        ``A_c^T A_c``.
    tap_sums : (n,) ndarray
        ``A_c^T 1``: the sum of the (shifted) picture under each tap.
    rhs : (n,) ndarray
        ``A_c^T t``.
    target_sum, target_squares : float
        ``sum t`` and ``sum t^2``.
    count : int
        The number of equations summed.
    shift : float
        Taken off every value of the picture before the products: near the picture's mean, it
        keeps the sums of a bright picture from drowning its detail, and the products exact.
    """

    gram: np.ndarray
    tap_sums: np.ndarray
    rhs: np.ndarray
    target_sum: float
    target_squares: float
    count: int
    shift: float = 0.0

    def uncentred(self) -> NormalEquations:
        """The same sums for the picture as it is (``shift`` 0)."""
        s = self.shift
        if s == 0.0:
            return self
        n = len(self.tap_sums)
        ones = np.ones(n)
        gram = (
            self.gram
            + s * (np.outer(self.tap_sums, ones) + np.outer(ones, self.tap_sums))
            + self.count * s * s
        )
        return NormalEquations(
            gram,
            self.tap_sums + self.count * s,
            self.rhs + s * self.target_sum,
            self.target_sum,
            self.target_squares,
            self.count,
            0.0,
        )


@dataclass(frozen=True)
class _Group:
    """Tap pairs that share one product picture: phases ``p1``, ``p2`` and a shift ``delta``."""

    p1: tuple[int, int]
    p2: tuple[int, int] | None  # None: no product, the window sums of phase p1 itself
    delta: tuple[int, int]
    y0: np.ndarray  # per member: window origin in phase p1, rows
    x0: np.ndarray  # per member: window origin, columns
    entries: np.ndarray  # per member: index into the flattened output


class TapLayout:
    """Phases, windows and product groups of one geometry; independent of the band."""

    def __init__(self, geom: FitGeometry) -> None:
        self.geom = geom
        sy, sx = geom.stride
        dy, dx = geom.dilation
        py = [a * dy for a in range(geom.kh)]
        px = [b * dx for b in range(geom.kw)]
        row_ph = {p % sy for p in py}
        col_ph = {p % sx for p in px}
        # Each phase picture starts at the smallest window any of its taps reads.
        self.oy_min = {r: min(p // sy for p in py if p % sy == r) for r in row_ph}
        self.oy_max = {r: max(p // sy for p in py if p % sy == r) for r in row_ph}
        self.ox_min = {r: min(p // sx for p in px if p % sx == r) for r in col_ph}
        self.ox_max = {r: max(p // sx for p in px if p % sx == r) for r in col_ph}
        self.phase = []  # per tap
        self.origin = []  # per tap: (row, column) of its window in its phase picture
        for a in range(geom.kh):
            for b in range(geom.kw):
                ry, rx = py[a] % sy, px[b] % sx
                self.phase.append((ry, rx))
                self.origin.append((py[a] // sy - self.oy_min[ry], px[b] // sx - self.ox_min[rx]))
        self.phases = sorted(set(self.phase))
        self.pair_groups = self._pair_groups()
        self.sum_groups = [
            self._group(
                p, None, (0, 0), [(t, t) for t in range(len(self.phase)) if self.phase[t] == p]
            )
            for p in self.phases
        ]

    def _group(self, p1, p2, delta, members) -> _Group:
        n = len(self.phase)
        return _Group(
            p1,
            p2,
            delta,
            np.array([self.origin[t][0] for t, _ in members], np.intp),
            np.array([self.origin[t][1] for t, _ in members], np.intp),
            np.array(
                [min(t, u) * n + max(t, u) if p2 is not None else t for t, u in members],
                np.intp,
            ),
        )

    def _pair_groups(self) -> list[_Group]:
        groups: dict[tuple, list[tuple[int, int]]] = {}
        n = len(self.phase)
        for t in range(n):
            for u in range(t, n):
                (y1, x1), (y2, x2) = self.origin[t], self.origin[u]
                key_a = (self.phase[t], self.phase[u], (y2 - y1, x2 - x1))
                key_b = (self.phase[u], self.phase[t], (y1 - y2, x1 - x2))
                # One orientation per unordered pair, so that pairs sharing a product meet.
                if key_a <= key_b:
                    groups.setdefault(key_a, []).append((t, u))
                else:
                    groups.setdefault(key_b, []).append((u, t))
        return [self._group(k[0], k[1], k[2], m) for k, m in sorted(groups.items())]


def _index_map(n: int, before: int, after: int, border: str) -> np.ndarray:
    """Source index of every padded position along one axis; -1 where ``constant`` fills."""
    idx = np.arange(n, dtype=np.intp)
    if before == 0 and after == 0:
        return idx
    if border == "constant":
        return np.pad(idx, (before, after), mode="constant", constant_values=-1)
    return np.pad(idx, (before, after), mode=border)


class BandSource:
    """The phase pictures of any band of output rows, cut (and padded) from the picture."""

    def __init__(self, image: np.ndarray, layout: TapLayout, shift: float | None = None) -> None:
        """``shift`` None: float32 phase pictures, as the picture is (views where possible).
        A number: float64 copies less ``shift`` (exactly, for float32 values)."""
        geom = layout.geom
        self.shift = shift
        self.flat = image.ndim == 2
        self.image = image if image.ndim == 3 else image[:, :, None]
        self.layout = layout
        (pt, pb), (pl, pr) = geom.pads
        self.rows = _index_map(geom.height, pt, pb, geom.border)
        self.cols = _index_map(geom.width, pl, pr, geom.border)
        self.col_cache: dict[int, tuple[slice | np.ndarray, bool]] = {}

    @staticmethod
    def _select(idx: np.ndarray) -> tuple[slice | np.ndarray, bool]:
        """A slice when ``idx`` steps evenly through the picture, else the indices; any fill?"""
        fill = bool((idx < 0).any())
        if not fill and len(idx) > 0:
            step = int(idx[1] - idx[0]) if len(idx) > 1 else 1
            if step > 0 and np.array_equal(idx, idx[0] + step * np.arange(len(idx))):
                return slice(int(idx[0]), int(idx[-1]) + 1, step), False
        return np.maximum(idx, 0), fill

    def _columns(self, rx: int) -> tuple[slice | np.ndarray, bool]:
        if rx not in self.col_cache:
            geom, lay = self.layout.geom, self.layout
            n = np.arange(lay.ox_min[rx], geom.ow + lay.ox_max[rx])
            self.col_cache[rx] = self._select(self.cols[rx + geom.stride[1] * n])
        return self.col_cache[rx]

    def padded_rows(self, i0: int, i1: int) -> np.ndarray:
        """The padded picture's rows that map rows ``[i0, i1)`` read, all padded columns.

        A new contiguous float32 array, ``(rows, PW)`` or ``(rows, PW, C)`` as the picture is.
        """
        geom = self.layout.geom
        sy, dy = geom.stride[0], geom.dilation[0]
        lo, hi = i0 * sy, (i1 - 1) * sy + dy * (geom.kh - 1) + 1
        ridx, cidx = self.rows[lo:hi], self.cols
        part = np.take(
            np.take(self.image, np.maximum(ridx, 0), axis=0), np.maximum(cidx, 0), axis=1
        )
        part[ridx < 0] = geom.cval
        part[:, cidx < 0] = geom.cval
        return part[:, :, 0] if self.flat else part

    def band(self, i0: int, i1: int) -> dict[tuple[int, int], np.ndarray]:
        """Phase pictures for output rows ``[i0, i1)``: 2-D, columns and channels merged."""
        geom, lay = self.layout.geom, self.layout
        out = {}
        for ry, rx in lay.phases:
            m = np.arange(i0 + lay.oy_min[ry], i1 + lay.oy_max[ry])
            rsel, rfill = self._select(self.rows[ry + geom.stride[0] * m])
            csel, cfill = self._columns(rx)
            if isinstance(rsel, slice):
                part = self.image[rsel]
            else:
                part = np.take(self.image, rsel, axis=0)
            if isinstance(csel, slice):
                part = part[:, csel]
                if csel.step != 1:
                    part = np.ascontiguousarray(part)
            else:
                part = np.take(part, csel, axis=1)
            if rfill or cfill:
                if part.base is not None:
                    part = part.copy()
                if rfill:
                    part[self.rows[ry + geom.stride[0] * m] < 0] = geom.cval
                if cfill:
                    crow = self.cols[
                        rx + geom.stride[1] * np.arange(lay.ox_min[rx], geom.ow + lay.ox_max[rx])
                    ]
                    part[:, crow < 0] = geom.cval
            if self.shift is not None:
                part = np.subtract(part, self.shift, dtype=np.float64)
            out[(ry, rx)] = part.reshape(part.shape[0], -1)
        return out


def _window_sums(q: np.ndarray, group: _Group, rows: int, width: int, c: int) -> np.ndarray:
    """Sums of ``q`` over each member's window (``rows`` x ``width`` cells of ``c`` values).

    ``q`` covers the members' bounding box, its origin at the smallest member origin.
    """
    ys = group.y0 - group.y0.min()
    xs = (group.x0 - group.x0.min()) * c
    w = width * c
    spread = int(xs.max())
    total_cols = q.shape[1]
    # Prefix sums along a row, needed only at the members' left and right window edges:
    # thin strips at both ends, and one float64 row sum of the wide middle.
    if spread == 0:
        prefix = np.zeros((q.shape[0], 2))
        prefix[:, 1:] = cv2.reduce(q, 1, cv2.REDUCE_SUM, dtype=cv2.CV_64F)
        left_at, right_at = np.zeros_like(xs), np.ones_like(xs)
    elif w <= spread:
        prefix = np.zeros((q.shape[0], total_cols + 1))
        np.cumsum(q, axis=1, dtype=np.float64, out=prefix[:, 1:])
        left_at, right_at = xs, xs + w
    else:
        left = np.cumsum(q[:, :spread], axis=1, dtype=np.float64)
        middle = cv2.reduce(q[:, spread:w], 1, cv2.REDUCE_SUM, dtype=cv2.CV_64F)
        right = np.cumsum(q[:, w:total_cols], axis=1, dtype=np.float64)
        # prefix[:, k]: sum of columns before position k (0..spread), then w..w+spread.
        prefix = np.zeros((q.shape[0], 2 * spread + 2))
        prefix[:, 1 : spread + 1] = left
        prefix[:, spread + 1] = left[:, -1] + middle[:, 0]
        prefix[:, spread + 2 :] = prefix[:, spread + 1 : spread + 2] + right
        left_at, right_at = xs, spread + 1 + xs
    integral = np.zeros((q.shape[0] + 1, prefix.shape[1]))
    np.cumsum(prefix, axis=0, out=integral[1:])
    y1 = ys + rows
    return (
        integral[y1, right_at]
        - integral[ys, right_at]
        - integral[y1, left_at]
        + integral[ys, left_at]
    )


def tap_sums_with(
    arrays: dict[tuple[int, int], np.ndarray], layout: TapLayout, values: np.ndarray
) -> np.ndarray:
    """``sum(window_t * values)`` for every tap ``t``: ``A^T values`` over one band (float64).

    ``arrays`` are the band's phase pictures (:meth:`BandSource.band`), ``values`` the band's
    map rows as 2-D float32 ``(rows, OW * C)``. With the target this is a band's ``A^T t``;
    with a residual it is the gradient of the squared error: the correlation of the residual
    with the picture.
    """
    c = layout.geom.channels
    rows, width = values.shape[0], layout.geom.ow * c
    out = np.empty(len(layout.phase))
    for t, (y, x) in enumerate(layout.origin):
        win = arrays[layout.phase[t]][y : y + rows, x * c : x * c + width]
        out[t] = cv2.sumElems(cv2.multiply(win, values))[0]
    return out


def _design_rows(
    arrays: dict[tuple[int, int], np.ndarray], layout: TapLayout, ii: np.ndarray, jj: np.ndarray
) -> np.ndarray:
    """Rows of the design matrix ``A`` (float64) for the band's values at ``(ii, jj)``.

    ``jj`` counts columns and channels together (``j * C + c``), as the 2-D band arrays do.
    """
    c = layout.geom.channels
    out = np.empty((len(ii), len(layout.phase)))
    for t, (y, x) in enumerate(layout.origin):
        out[:, t] = arrays[layout.phase[t]][y + ii, x * c + jj]
    return out


def _gram_of_rows(a: np.ndarray) -> np.ndarray:
    """``a.T @ a`` in chunks of rows small enough that a BLAS keeps each on one thread.

    A multithreaded BLAS spins for cores it does not get: on a busy machine, or beside
    OpenCV's own threads, one tall product took seconds instead of a millisecond.
    """
    n = a.shape[1]
    step = max(8, (1 << 18) // max(1, n * n))
    out = np.zeros((n, n))
    for i in range(0, len(a), step):
        part = a[i : i + step]
        out += np.dot(part.T, part)
    return out


def _band_sums(arrays, layout: TapLayout, t_band: np.ndarray, gram: np.ndarray, sums: np.ndarray):
    """Add one band's ``A^T A`` (upper triangle, flattened) and ``A^T 1`` to ``gram`` and ``sums``."""
    c, ow = layout.geom.channels, layout.geom.ow
    rows = t_band.shape[0]
    for g in layout.pair_groups:
        x1, x2 = arrays[g.p1], arrays[g.p2]
        ya, xa = int(g.y0.min()), int(g.x0.min())
        nrows = int(g.y0.max()) - ya + rows
        ncols = int(g.x0.max()) - xa + ow
        dy, dx = g.delta
        q = cv2.multiply(
            x1[ya : ya + nrows, xa * c : (xa + ncols) * c],
            x2[ya + dy : ya + dy + nrows, (xa + dx) * c : (xa + dx + ncols) * c],
        )
        gram[g.entries] += _window_sums(q, g, rows, ow, c)
    for g in layout.sum_groups:
        x1 = arrays[g.p1]
        ya, xa = int(g.y0.min()), int(g.x0.min())
        nrows = int(g.y0.max()) - ya + rows
        ncols = int(g.x0.max()) - xa + ow
        sums[g.entries] += _window_sums(
            x1[ya : ya + nrows, xa * c : (xa + ncols) * c], g, rows, ow, c
        )


def accumulate(
    image: np.ndarray,
    target: np.ndarray,
    geom: FitGeometry,
    bands: list[tuple[int, int]],
    mask: np.ndarray | None = None,
) -> NormalEquations:
    """The normal equations over the map rows in ``bands``.

    ``image`` is float32 ``(H, W)`` or ``(H, W, C)``; ``target`` float32 with the map's shape,
    both checked by the caller. ``mask`` (bool, the target's shape) leaves out the values where
    it is False: a band missing at most half its values has the left-out rows of ``A`` (built
    exactly, in float64) taken off its sums; a band missing more sums its kept rows directly.
    """
    layout = TapLayout(geom)
    flat = image.reshape(image.shape[0], -1)
    # Products of float32 values less a float32 shift are exact in float64: the sums then
    # carry only float64 rounding, whatever the picture's conditioning.
    shift = float(np.float32(cv2.mean(flat)[0])) if flat.size else 0.0
    source = BandSource(image, layout, shift)
    n = geom.taps
    tgt = target.reshape(target.shape[0], -1)
    keep = None if mask is None else mask.reshape(mask.shape[0], -1)
    gram = np.zeros(n * n)
    tap_sums = np.zeros(n)
    rhs = np.zeros(n)
    t_sum = t_sq = 0.0
    count = 0
    for i0, i1 in bands:
        arrays = source.band(i0, i1)
        t_band = tgt[i0:i1]
        k_band = None if keep is None else keep[i0:i1]
        dropped = 0 if k_band is None else t_band.size - int(np.count_nonzero(k_band))
        if 2 * dropped <= t_band.size:
            _band_sums(arrays, layout, t_band, gram, tap_sums)
            rhs += tap_sums_with(arrays, layout, t_band.astype(np.float64))
            t_sum += cv2.sumElems(t_band)[0]
            t_sq += cv2.norm(t_band, cv2.NORM_L2SQR)
            count += t_band.size
            sign, pick = -1.0, None if not dropped else ~k_band
        else:
            sign, pick = 1.0, k_band
        if pick is not None:
            ii, jj = np.nonzero(pick)
            a = _design_rows(arrays, layout, ii, jj)
            t = t_band[ii, jj].astype(np.float64)
            gram += sign * _gram_of_rows(a).ravel()
            tap_sums += sign * a.sum(axis=0)
            rhs += sign * (a * t[:, None]).sum(axis=0)
            t_sum += sign * float(t.sum())
            t_sq += sign * float(t @ t)
            count += int(sign) * len(t)
    gram = gram.reshape(n, n)
    gram = np.triu(gram) + np.triu(gram, 1).T
    return NormalEquations(gram, tap_sums, rhs, float(t_sum), float(t_sq), int(count), shift)
