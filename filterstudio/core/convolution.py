"""The convolution engine: ``convolve`` exactly as SPEC.md says, with OpenCV on the hot path."""

from __future__ import annotations

import math
import os
import threading
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from .arguments import (
    as_pair,
    check_border,
    check_flag,
    fill_value,
    output_shape,
    planar_array,
    resolve_padding,
)
from .lazypool import LazyPool
from .limits import MAX_CALL_BYTES, MAX_DILATION, MAX_PADDING
from .separable import separable
from .sizes import kernel_too_large
from .vocabulary import BORDERS, PADDING_NAMES

__all__ = ["BORDERS", "PADDING_NAMES", "as_pair", "convolve", "output_shape", "resolve_padding"]


# numpy.pad mode -> OpenCV border (copyMakeBorder understands all five; filter2D refuses wrap).
_CV_BORDER = {
    "constant": cv2.BORDER_CONSTANT,
    "edge": cv2.BORDER_REPLICATE,
    "reflect": cv2.BORDER_REFLECT_101,
    "symmetric": cv2.BORDER_REFLECT,
    "wrap": cv2.BORDER_WRAP,
}

# A rank-1 kernel of N taps is run as two 1-D passes when separable() finds its rank-1 fit
# leaves a remainder R with |R| <= (_SEPARABLE_ERROR / sqrt(N)) |K| (Frobenius norms). The
# passes then miss at most sum|R| max|x| <= sqrt(N) |R| max|x| <= _SEPARABLE_ERROR sum|K| max|x|:
# under a sixth of SPEC's tolerance. Up to 15x15 the bound is at least separable()'s default,
# so every kernel the studio calls separable runs as two passes.
_SEPARABLE_ERROR = 1.5e-5
# Plans of recent kernels, keyed by their bytes: a live edit runs the same kernel on many
# frames, and deciding separability costs more than filtering a small image.
_PLAN_CACHE_SIZE = 64
# A dilated kernel spanning more cells than this, with at most one tap in 16 of them, is applied
# tap by tap: OpenCV would filter with the whole span (zeros included) through a DFT as large as
# the padded picture, seconds to minutes for a 15x15 kernel at dilation 100.
_SPARSE_SPAN = 4096

# Work is cut into horizontal bands of about this many input bytes, so that the intermediate
# rows of a band stay in cache and the bands of a large image run on several cores.
BAND_BYTES = 4 << 20
# Below this many input values an image is one band: threads would cost more than they save.
PARALLEL_MIN_VALUES = 1 << 18
# Fewer output rows than this per band would cost more in calls than it saves in cache.
MIN_BAND_ROWS = 8
# Threads for the bands of one call. BAND_BYTES, PARALLEL_MIN_VALUES, MIN_BAND_ROWS and
# MAX_WORKERS are tuning knobs: tests and benchmarks lower them to run small inputs in many
# bands on several threads, as large ones run.
MAX_WORKERS = max(1, min(4, os.cpu_count() or 1))
# A band's intermediate maps go into buffers each thread keeps (up to this many bytes each):
# a fresh array per band would be faulted in page by page, thousands of faults per call.
_SCRATCH_MAX_BYTES = 64 << 20

# The bands of one large call run on this pool (tests may lower MAX_WORKERS before first use).
_executor = LazyPool(lambda: MAX_WORKERS, "filterstudio-conv")


# --------------------------------------------------------------------------- argument checks


def _check_args(image, kernel, stride, padding, border, cval, dilation, flip):
    """Validate every argument; returns the arrays and the resolved geometry."""
    img = planar_array(image, "image", needs="; it needs at least one pixel and one channel")
    ker = planar_array(
        kernel, "kernel", axes=("kh, kw", "kh, kw, C"), needs="; it needs at least one weight"
    )
    if ker.dtype.kind == "f" and not np.isfinite(ker).all():
        raise ValueError("The kernel contains a value that is not a finite number.")
    channels = 1 if img.ndim == 2 else img.shape[2]
    if ker.ndim == 3 and ker.shape[2] != channels:
        raise ValueError(
            f"This depth kernel has {ker.shape[2]} channels but the image has {channels}."
        )
    check_border(border)
    cval = fill_value(cval, float32=True)
    flip = check_flag(flip, "flip")
    strides = as_pair(stride, "stride")
    dils = as_pair(dilation, "dilation")
    if max(dils) > MAX_DILATION:
        raise ValueError(f"The dilation may be at most {MAX_DILATION}, not {max(dils)}.")
    kh, kw = ker.shape[:2]
    pads = resolve_padding(img.shape[:2], (kh, kw), stride=strides, padding=padding, dilation=dils)
    if not isinstance(padding, str) and max(pads[0] + pads[1]) > MAX_PADDING:
        raise ValueError(
            f"The padding may be at most {MAX_PADDING} pixels, not {max(pads[0] + pads[1])}."
        )
    keh, kew = dils[0] * (kh - 1) + 1, dils[1] * (kw - 1) + 1
    ph = img.shape[0] + pads[0][0] + pads[0][1]
    pw = img.shape[1] + pads[1][0] + pads[1][1]
    if keh > ph or kew > pw:
        raise ValueError(kernel_too_large((kh, kw), dils, (ph, pw)))
    oh, ow = (ph - keh) // strides[0] + 1, (pw - kew) // strides[1] + 1
    out_channels = 1 if ker.ndim == 3 else channels
    need = 4 * (ph * pw * channels + oh * ow * out_channels)
    if need > MAX_CALL_BYTES:
        raise ValueError(
            f"This convolution would need about {need / 2**30:.1f} GB (a {ph}x{pw} padded picture "
            f"and a {oh}x{ow} map), more than the {MAX_CALL_BYTES >> 30} GB one call may use; "
            "use a smaller picture, less padding or a larger stride."
        )
    return img, ker, strides, dils, pads, cval, flip


# --------------------------------------------------------------------------- engine


@dataclass(frozen=True)
class _Plan:
    """One 2-D kernel ready for OpenCV: flipped and dilated, with its rank-1 factors if any."""

    kernel: np.ndarray  # (keh, kew) float32, zeros between dilated taps
    col: np.ndarray | None  # (keh,) float32 vertical factor of a rank-1 kernel
    row: np.ndarray | None  # (kew,) float32 horizontal factor
    step: tuple[int, int] = (1, 1)  # the dilation: taps sit at multiples of it

    @property
    def sparse(self) -> bool:
        """Whether the span is large and mostly the zeros between dilated taps."""
        keh, kew = self.kernel.shape
        dy, dx = self.step
        return keh * kew > _SPARSE_SPAN and dy * dx >= 16


def _dilate(k: np.ndarray, dy: int, dx: int) -> np.ndarray:
    if dy == 1 and dx == 1:
        return k
    out = np.zeros(((k.shape[0] - 1) * dy + 1, (k.shape[1] - 1) * dx + 1) + k.shape[2:], k.dtype)
    out[::dy, ::dx] = k
    return out


def _plan(k2: np.ndarray, dy: int, dx: int) -> _Plan:
    """``k2``: 2-D kernel, already flipped if asked for. Arrays of the plan are read-only."""
    k2 = np.ascontiguousarray(k2, dtype=np.float64)
    return _cached_plan(k2.tobytes(), k2.shape, dy, dx)


@lru_cache(maxsize=_PLAN_CACHE_SIZE)
def _cached_plan(data: bytes, shape: tuple[int, int], dy: int, dx: int) -> _Plan:
    k2 = np.frombuffer(data, dtype=np.float64).reshape(shape)
    col = row = None
    kh, kw = shape
    # Two 1-D passes pay off once the kernel has clearly more taps than its two factors.
    if kh > 1 and kw > 1 and kh * kw >= 2 * (kh + kw):
        factors = separable(k2, tol=_SEPARABLE_ERROR / math.sqrt(kh * kw))
        if factors is not None:
            col = _dilate(factors[0][:, None], dy, 1)[:, 0].astype(np.float32)
            row = _dilate(factors[1][None, :], 1, dx)[0].astype(np.float32)
    plan = _Plan(_dilate(k2, dy, dx).astype(np.float32), col, row, (dy, dx))
    for arr in (plan.kernel, plan.col, plan.row):
        if arr is not None:
            arr.setflags(write=False)
    return plan


def _cv_ready(a: np.ndarray) -> np.ndarray:
    """``a`` as float32 in a layout OpenCV reads without a copy (copying only when needed)."""
    if a.dtype == np.float32 and a.dtype.isnative:
        st, isz = a.strides, a.itemsize
        if a.ndim == 2 and st[1] == isz and st[0] >= a.shape[1] * isz:
            return a
        if (
            a.ndim == 3
            and st[2] == isz
            and st[1] == a.shape[2] * isz
            and st[0] >= st[1] * a.shape[1]
        ):
            return a
    return np.ascontiguousarray(a, dtype=np.float32)


def _subsample_cols(acc: np.ndarray, sx: int, ow: int, dst: np.ndarray) -> None:
    """``dst[:] = acc[:, ::sx][:, :ow]``, in one OpenCV pass for ``sx > 1``.

    A nearest-neighbour resize by exactly ``1 / sx`` reads column ``j * sx`` for output ``j``;
    it needs ``sx * ow`` source columns, so a last column that ends the row is copied apart.
    """
    if sx == 1:
        np.copyto(dst, acc[:, :ow])
        return
    n = acc.shape[0]
    full = min(ow, acc.shape[1] // sx)
    if full:
        part = dst[:, :full]
        got = cv2.resize(acc[:, : full * sx], (full, n), dst=part, interpolation=cv2.INTER_NEAREST)
        if got is not part:  # OpenCV wrote elsewhere: copy it in
            np.copyto(part, got.reshape(part.shape))
    if full < ow:
        np.copyto(dst[:, full:], acc[:, full * sx : (ow - 1) * sx + 1 : sx])


class _PaddedRows:
    """Rows of the padded image ``P`` on demand, equal to ``numpy.pad`` of the whole image."""

    def __init__(self, x: np.ndarray, pads, border: str, cval: float, kernel_w: int) -> None:
        (self.pt, self.pb), (self.pl, self.pr) = pads
        self.border, self.cval = border, cval
        h, w = x.shape[:2]
        # Columns: when filter2D knows the border and the padding fits its anchor, the filters
        # pad the columns themselves (anchor_x, col_border) and no band is copied for them.
        self.anchor_x, self.col_border = 0, cv2.BORDER_CONSTANT
        if (
            (border in ("edge", "reflect", "symmetric") or (border == "constant" and cval == 0.0))
            and self.pl + self.pr <= kernel_w - 1
            and max(self.pl, self.pr) < w
        ):
            self.anchor_x, self.col_border = self.pl, _CV_BORDER[border]
            self.pl = self.pr = 0
        self.none = self.pt == self.pb == self.pl == self.pr == 0
        # cv2.copyMakeBorder equals numpy.pad for pads smaller than the image; beyond that numpy
        # pads iteratively, so the whole padded image comes from numpy.pad itself. A wrapped row
        # border needs rows from the other end of the image: also padded once, whole.
        local = border in ("constant", "edge") or (
            max(self.pt, self.pb) < h and max(self.pl, self.pr) < w
        )
        if border == "wrap" and (self.pt or self.pb):
            local = False
        if not self.none and not local:
            width = ((self.pt, self.pb), (self.pl, self.pr)) + ((0, 0),) * (x.ndim - 2)
            x = np.pad(
                x, width, mode=border, **({"constant_values": cval} if border == "constant" else {})
            )
            self.none = True
        self.x = x

    def rows(self, a: int, b: int) -> np.ndarray:
        """Padded rows ``[a, b)``; columns padded unless the filters pad them (``anchor_x``)."""
        if self.none:
            return self.x[a:b]
        h = self.x.shape[0]
        lo, hi = max(a - self.pt, 0), min(b - self.pt, h)
        top, bot = lo - (a - self.pt), (b - self.pt) - hi
        if top == bot == self.pl == self.pr == 0:
            return self.x[lo:hi]
        # Rows a reflection reads must be inside the slice handed to copyMakeBorder.
        lo2 = min(lo, max(0, h - bot - 1)) if bot else lo
        hi2 = max(hi, min(h, top + 1)) if top else hi
        fill = (self.cval,) * 4
        bt = _CV_BORDER[self.border]
        band = cv2.copyMakeBorder(self.x[lo2:hi2], top, bot, self.pl, self.pr, bt, value=fill)
        start = lo - lo2
        return band[start : start + (b - a)]


_scratch = threading.local()


def _scratch_array(slot: int, shape: tuple[int, ...]) -> np.ndarray:
    """A float32 array of ``shape`` that this thread reuses from band to band (``slot`` 0 or 1).

    Its contents are left over from earlier bands: callers overwrite it whole. Nothing returned
    by ``convolve`` is ever a view of it.
    """
    size = math.prod(shape)
    if size * 4 > _SCRATCH_MAX_BYTES:
        return np.empty(shape, np.float32)
    bufs = getattr(_scratch, "bufs", None)
    if bufs is None:
        bufs = _scratch.bufs = [None, None]
    buf = bufs[slot]
    if buf is None or buf.size < size:
        buf = bufs[slot] = np.empty(size, np.float32)
    return buf[:size].reshape(shape)


def _band(src: _PaddedRows, plan: _Plan, i0: int, i1: int, sy: int, sx: int, out: np.ndarray):
    """Output rows ``[i0, i1)`` of the correlation of the padded image with ``plan``."""
    n = i1 - i0
    keh, kew = plan.kernel.shape
    pb = src.rows(i0 * sy, (i1 - 1) * sy + keh)
    ow = out.shape[1]
    anchor, const = (src.anchor_x, 0), src.col_border
    if sy == 1:
        buf = _scratch_array(0, pb.shape)
        if plan.col is not None:
            acc = cv2.sepFilter2D(
                pb, -1, plan.row, plan.col, dst=buf, anchor=anchor, borderType=const
            )
        else:
            acc = cv2.filter2D(pb, -1, plan.kernel, dst=buf, anchor=anchor, borderType=const)
        _subsample_cols(acc[:n], sx, ow, out[i0:i1])
        return
    # Stride > 1: only the rows that reach the output are filtered. The kernel rows r, r+sy, ...
    # read the padded rows r, r+sy, ...: a strided view, filtered by a shorter kernel.
    taps = plan.kernel if plan.col is None else plan.col[:, None]
    # A column of a rank-1 kernel has no horizontal taps: its columns need no border.
    sub_anchor = anchor if plan.col is None else (0, 0)
    acc = None
    for r in range(min(sy, keh)):
        sub = taps[r::sy]
        if not sub.any():
            continue
        m = n + sub.shape[0] - 1
        rows = pb[r : r + (m - 1) * sy + 1 : sy]
        buf = _scratch_array(0 if acc is None else 1, rows.shape)
        part = cv2.filter2D(rows, -1, sub, dst=buf, anchor=sub_anchor, borderType=const)
        if acc is None:
            acc = part[:n]
        else:
            cv2.add(acc, part[:n], dst=acc)
    if acc is None:
        out[i0:i1] = 0.0
        return
    if plan.col is not None:
        buf = _scratch_array(1, acc.shape)
        acc = cv2.filter2D(acc, -1, plan.row[None, :], dst=buf, anchor=anchor, borderType=const)
    _subsample_cols(acc, sx, ow, out[i0:i1])


def _correlate(x, plan: _Plan, pads, border: str, cval: float, sy: int, sx: int, oh: int, ow: int):
    """Correlation of ``x`` (float32, at most 4 channels) with one 2-D kernel, float32 result."""
    if x.ndim == 3 and x.shape[2] == 1:
        # OpenCV hands one-channel results back as 2-D arrays: work in 2-D, restore the axis.
        return _correlate(x[:, :, 0], plan, pads, border, cval, sy, sx, oh, ow)[:, :, None]
    if plan.sparse:
        return _correlate_taps(x, plan, pads, border, cval, sy, sx, oh, ow)
    h, w = x.shape[:2]
    keh, kew = plan.kernel.shape
    (pt, pb), (pl, pr) = pads
    # Stride 1 with a border filter2D knows: one call, its anchor placing the padding.
    if (
        sy == sx == 1
        and pt + pb <= keh - 1
        and pl + pr <= kew - 1
        and (border in ("edge", "reflect", "symmetric") or (border == "constant" and cval == 0.0))
        and max(pt, pb) < h
        and max(pl, pr) < w
    ):
        bt = _CV_BORDER[border]
        if plan.col is not None:
            y = cv2.sepFilter2D(x, -1, plan.row, plan.col, anchor=(pl, pt), borderType=bt)
        else:
            y = cv2.filter2D(x, -1, plan.kernel, anchor=(pl, pt), borderType=bt)
        return y if (oh, ow) == (h, w) else y[:oh, :ow]
    src = _PaddedRows(x, pads, border, cval, kew)
    out = np.empty((oh, ow) + x.shape[2:], np.float32)
    row_bytes = (w + pl + pr) * x.itemsize * (1 if x.ndim == 2 else x.shape[2])
    rows_per_band = max(MIN_BAND_ROWS, BAND_BYTES // max(1, row_bytes * sy))
    if x.size >= PARALLEL_MIN_VALUES and MAX_WORKERS > 1:
        # At least two bands per worker, so that a slow core does not hold up the others.
        rows_per_band = min(rows_per_band, max(MIN_BAND_ROWS, -(-oh // (2 * MAX_WORKERS))))
    starts = range(0, oh, rows_per_band)
    if len(starts) == 1 or x.size < PARALLEL_MIN_VALUES or MAX_WORKERS < 2:
        for i0 in starts:
            _band(src, plan, i0, min(oh, i0 + rows_per_band), sy, sx, out)
    else:
        jobs = [
            _executor().submit(_band, src, plan, i0, min(oh, i0 + rows_per_band), sy, sx, out)
            for i0 in starts
        ]
        for job in jobs:
            job.result()
    return out


def _correlate_taps(x, plan: _Plan, pads, border: str, cval: float, sy, sx, oh, ow):
    """Correlation as a sum over the kernel's taps, each a strided view of the padded image.

    For widely dilated kernels: the work is taps x output cells, whatever the span.
    """
    kwargs = {"constant_values": cval} if border == "constant" else {}
    widths = tuple(pads) + ((0, 0),) * (x.ndim - 2)
    padded = np.pad(x, widths, mode=border, **kwargs)
    dy, dx = plan.step
    taps = plan.kernel[::dy, ::dx]
    out = np.zeros((oh, ow) + x.shape[2:], np.float32)
    rows, cols = (oh - 1) * sy + 1, (ow - 1) * sx + 1
    for a in range(taps.shape[0]):
        for b in range(taps.shape[1]):
            weight = taps[a, b]
            if weight != 0:
                y0, x0 = a * dy, b * dx
                out += weight * padded[y0 : y0 + rows : sy, x0 : x0 + cols : sx]
    return out


def convolve(
    image,
    kernel,
    *,
    stride=1,
    padding="valid",
    border: str = "constant",
    cval: float = 0.0,
    dilation=1,
    flip: bool = False,
) -> np.ndarray:
    """Slide ``kernel`` over ``image``: the feature map a CNN layer computes, as float32.

    Parameters
    ----------
    image : array_like
        ``(H, W)`` or ``(H, W, C)``, any real dtype (bool, integers, floats). Never modified.
    kernel : array_like
        ``(kh, kw)``: applied to every channel on its own, giving ``(OH, OW)`` or
        ``(OH, OW, C)``. ``(kh, kw, C)`` with the image's ``C``: one filter with depth, summed
        over the channels, giving ``(OH, OW)``. Every weight must be finite.
    stride : int or (int, int), optional
        Step ``(sy, sx)`` between output cells, each at least 1.
    padding : {"valid", "same", "full"} or int or (int, int), optional
        ``"same"`` follows Keras: ``ceil(n / s)`` outputs, the odd extra cell bottom/right.
    border : {"constant", "edge", "reflect", "symmetric", "wrap"}, optional
        How padded cells are filled, exactly as ``numpy.pad`` fills them for any padding size.
    cval : float, optional
        The value of padded cells when ``border="constant"``.
    dilation : int or (int, int), optional
        Spacing ``(dy, dx)`` between kernel taps; the kernel spans ``d*(k-1) + 1`` pixels.
    flip : bool, optional
        False (default): cross-correlation, what CNN libraries call convolution.
        True: true convolution, the kernel rotated by 180 degrees.

    Returns
    -------
    numpy.ndarray
        float32 map of shape ``output_shape(...)`` (plus the channel axis for a 2-D kernel on a
        colour image): ``out[i, j] = sum K[a, b] * P[i*sy + a*dy, j*sx + b*dx]``.

    Raises
    ------
    ValueError
        With one plain sentence for any argument that cannot be used.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.zeros((8, 8), np.float32)
    >>> image[:, 3:5] = 1.0
    >>> convolve(image, [[0, 1, 0], [0, 1, 0], [0, 1, 0]])[0]
    array([0., 0., 3., 3., 0., 0.], dtype=float32)
    >>> convolve(np.ones((7, 7)), np.ones((3, 3)), stride=2, padding="same").shape
    (4, 4)
    """
    img, ker, (sy, sx), (dy, dx), pads, cval, flip = _check_args(
        image, kernel, stride, padding, border, cval, dilation, flip
    )
    oh, ow = _out_hw(img.shape, ker.shape, pads, sy, sx, dy, dx)
    k64 = ker.astype(np.float64)
    if flip:
        k64 = k64[::-1, ::-1]
    x = _cv_ready(img)
    if ker.ndim == 3:
        # One filter with depth: each channel meets its own slice of the kernel; the maps add up.
        out = None
        for c in range(ker.shape[2]):
            xc = x if x.ndim == 2 else cv2.extractChannel(x, c)
            part = _correlate(xc, _plan(k64[:, :, c], dy, dx), pads, border, cval, sy, sx, oh, ow)
            if out is None:
                out = np.ascontiguousarray(part)
            else:
                cv2.add(out, part, dst=out)
        return out
    plan = _plan(k64, dy, dx)
    if x.ndim == 2 or x.shape[2] <= 4:
        return _correlate(x, plan, pads, border, cval, sy, sx, oh, ow)
    # OpenCV filters at most four interleaved channels at once: larger stacks go four by four.
    out = np.empty((oh, ow, x.shape[2]), np.float32)
    for c0 in range(0, x.shape[2], 4):
        part = np.ascontiguousarray(x[:, :, c0 : c0 + 4])
        out[:, :, c0 : c0 + 4] = _correlate(part, plan, pads, border, cval, sy, sx, oh, ow)
    return out


def _out_hw(img_shape, ker_shape, pads, sy, sx, dy, dx) -> tuple[int, int]:
    keh, kew = dy * (ker_shape[0] - 1) + 1, dx * (ker_shape[1] - 1) + 1
    ph = img_shape[0] + pads[0][0] + pads[0][1]
    pw = img_shape[1] + pads[1][0] + pads[1][1]
    return (ph - keh) // sy + 1, (pw - kew) // sx + 1
