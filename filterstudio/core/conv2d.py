"""A CNN layer over several input maps: ``conv2d`` as SPEC.md says, on OpenCV and BLAS."""

from __future__ import annotations

import contextlib
import math
import threading

import cv2
import numpy as np
from numpy.lib.stride_tricks import as_strided

from . import convolution as _engine
from .arguments import (
    as_pair,
    check_border,
    fill_value,
    is_number,
    planar_array,
    real_array,
    resolve_padding,
)
from .convolution import _correlate, _cv_ready, _executor, _PaddedRows, _plan

# Two ways to compute a layer; ``prefers_planes`` picks one per group of channels.
#  - planes: one OpenCV correlation per (output, input) pair of maps, summed. Nothing is copied
#    but the maps themselves, and OpenCV's filters are fast for one small kernel on one map.
#  - patches: the window under every output cell laid out as a column (im2col), band by band,
#    and one matrix product with all filters at once. Copying the windows costs about as much
#    as a few filters; the product then serves every filter. Wins once there are many pairs.
# The estimates below are nanoseconds per pixel measured on 1 MP pictures, 1-16 channels,
# kernels 3-11, strides 1-2 (see benchmarks/bench_layers.py --rule); only their ratio matters.
_PLANES_NS_PER_PAIR = 3.0  # one filter2D pass and one addition, per input pixel
_PLANES_NS_PER_TAP = 0.06  # and per kernel tap
_PATCH_NS_PER_VALUE = 0.7  # copying one window value into the patch matrix, per output cell
_PATCH_NS_PER_MAC = 0.05  # one multiply-add of the matrix product
_PATCH_NS_PER_OUTPUT = 1.0  # moving one output value into place
# The upper-case names without a leading underscore below are tuning knobs that tests and
# benchmarks set, to run small inputs the way large ones run.
# "planes" or "patches" runs that engine whatever the estimates say (tests, benchmarks).
FORCE_ENGINE: str | None = None

# A patch matrix holds about this many bytes, so that it stays near a core's L2 cache while the
# matrix product reads it: with a whole band's patches (10 MB) the product ran at a fifth of
# its speed (12 GFLOP/s instead of 55 on the 1 MB L2 of the machine measured). It also bounds
# the memory a layer needs beyond its output.
PATCH_BYTES = 1 << 20
# But never fewer output cells than this per product: with large kernels the copies and calls
# of many short slices cost more than the cache saves (7x7 kernels ran twice as long at 256).
MIN_PATCH_COLUMNS = 2048
# A band of output rows reads about this many bytes of input (its phase planes are as large).
BAND_BYTES = 2 << 20
# OpenCV's arrays hold at most this many interleaved channels (CV_CN_MAX).
_CV_MAX_CHANNELS = 512
# Below this many output values a layer is one band: threads would cost more than they save.
PARALLEL_MIN_VALUES = 1 << 17


_blas_lock = threading.Lock()
_blas_users = 0
_blas_limit = None  # the active limit, restored when the last user leaves
_blas_controller = None


@contextlib.contextmanager
def _blas_on_one_thread():
    """BLAS runs each product on the calling thread while any layer computes.

    The bands already keep every core busy; BLAS's own threads on top of them oversubscribe the
    cores and spin, several times slower on a shared machine. Calls may overlap from several
    threads: the first in sets the limit, the last out restores what was there before.
    """
    global _blas_users, _blas_limit, _blas_controller
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency; run as BLAS likes
        yield
        return
    with _blas_lock:
        if _blas_users == 0:
            if _blas_controller is None:  # finding the loaded libraries takes milliseconds
                _blas_controller = ThreadpoolController()
            _blas_limit = _blas_controller.limit(limits=1, user_api="blas")
        _blas_users += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_users -= 1
            if _blas_users == 0 and _blas_limit is not None:
                _blas_limit.restore_original_limits()
                _blas_limit = None


_scratch = threading.local()
# Buffers above this size are not kept between calls.
_SCRATCH_MAX_BYTES = 64 << 20


def _buffer(name: str, shape: tuple[int, ...]) -> np.ndarray:
    """A float32 array of ``shape`` this thread reuses from band to band under ``name``.

    A fresh array per band is faulted in page by page by its first writes, which costs more than
    the copies that fill it. Contents are left over: callers overwrite what they read. Nothing a
    layer returns is a view of these buffers.
    """
    size = math.prod(shape)
    if size * 4 > _SCRATCH_MAX_BYTES:
        return np.empty(shape, np.float32)
    bufs = getattr(_scratch, "bufs", None)
    if bufs is None:
        bufs = _scratch.bufs = {}
    buf = bufs.get(name)
    if buf is None or buf.size < size:
        buf = bufs[name] = np.empty(size, np.float32)
    return buf[:size].reshape(shape)


def _weights(weight) -> np.ndarray:
    w = real_array(weight, "weight")
    if w.ndim != 4:
        raise ValueError(
            f"The weight must be 4-D (C_out, C_in // groups, kh, kw), PyTorch's layout, "
            f"not {w.ndim}-D with shape {w.shape}."
        )
    if w.size == 0:
        raise ValueError(f"The weight is empty (shape {w.shape}); it needs at least one value.")
    if w.dtype.kind == "f" and not np.isfinite(w).all():
        raise ValueError("The weight contains a value that is not a finite number.")
    return w


def _groups(groups, c_in: int, c_out: int, per_group: int) -> int:
    if isinstance(groups, np.ndarray) and groups.ndim == 0:
        groups = groups.item()
    if (
        not is_number(groups)
        or not math.isfinite(float(groups))
        or float(groups) != int(groups)
        or int(groups) < 1
    ):
        raise ValueError(f"The groups must be a whole number of at least 1, not {groups!r}.")
    g = int(groups)
    if c_in % g:
        raise ValueError(f"The {c_in} input channels cannot be split into {g} equal groups.")
    if c_out % g:
        raise ValueError(f"The {c_out} filters cannot be split into {g} equal groups.")
    if per_group * g != c_in:
        raise ValueError(
            f"The weight reads {per_group} channels per group, {per_group * g} in all "
            f"with {g} group{'s' if g > 1 else ''}, but the input has {c_in}."
        )
    return g


def _bias(bias, c_out: int) -> np.ndarray | None:
    if bias is None:
        return None
    b = real_array(bias, "bias")
    if b.shape != (c_out,):
        raise ValueError(
            f"The bias must have one value per filter, shape ({c_out},), not {b.shape}."
        )
    if b.dtype.kind == "f" and not np.isfinite(b).all():
        raise ValueError("The bias contains a value that is not a finite number.")
    return b.astype(np.float64)


def _check(x, weight, bias, stride, padding, dilation, border, cval, groups):
    img = planar_array(x, "input", needs="; it needs at least one pixel and one channel")
    w = _weights(weight)
    c_in = 1 if img.ndim == 2 else img.shape[2]
    g = _groups(groups, c_in, w.shape[0], w.shape[1])
    b = _bias(bias, w.shape[0])
    check_border(border)
    cval = fill_value(cval)
    strides = as_pair(stride, "stride")
    dils = as_pair(dilation, "dilation")
    kh, kw = w.shape[2:]
    pads = resolve_padding(img.shape[:2], (kh, kw), stride=strides, padding=padding, dilation=dils)
    keh, kew = dils[0] * (kh - 1) + 1, dils[1] * (kw - 1) + 1
    ph = img.shape[0] + pads[0][0] + pads[0][1]
    pw = img.shape[1] + pads[1][0] + pads[1][1]
    if keh > ph or kew > pw:
        raise ValueError(
            f"The kernel ({keh}x{kew} with its dilation) is larger than the padded input "
            f"({ph}x{pw}); use a smaller kernel or dilation, or more padding."
        )
    oh, ow = (ph - keh) // strides[0] + 1, (pw - kew) // strides[1] + 1
    return img, w, b, strides, dils, pads, cval, g, (oh, ow)


def prefers_planes(c_in: int, c_out: int, kernel_hw, in_hw, out_hw, strides) -> bool:
    """Whether one group of ``c_in`` inputs and ``c_out`` filters runs map by map (or as one
    matrix product), by the estimated cost of each."""
    taps = kernel_hw[0] * kernel_hw[1]
    in_px, out_px = in_hw[0] * in_hw[1], out_hw[0] * out_hw[1]
    # A strided filter2D pass skips rows but still filters whole rows: it saves about sqrt(s).
    planes = (
        c_in
        * c_out
        * in_px
        * (_PLANES_NS_PER_PAIR + _PLANES_NS_PER_TAP * taps)
        / math.sqrt(strides[0] * strides[1])
    )
    patches = out_px * (
        c_in * taps * (_PATCH_NS_PER_VALUE + _PATCH_NS_PER_MAC * c_out)
        + _PATCH_NS_PER_OUTPUT * c_out
    )
    return planes <= patches


# --------------------------------------------------------------------------- planes engine


def _planes(planes, w64, pads, border, cval, strides, dils, out_hw, out, first_out: int):
    """``out[:, :, first_out + o] = sum_c corr(planes[c], w64[o, c])`` for the group's filters."""
    sy, sx = strides
    dy, dx = dils
    oh, ow = out_hw
    maps = []
    for o in range(w64.shape[0]):
        acc = None
        for c, plane in enumerate(planes):
            k = w64[o, c]
            if not k.any():
                continue
            part = _correlate(plane, _plan(k, dy, dx), pads, border, cval, sy, sx, oh, ow)
            if acc is None:
                acc = np.ascontiguousarray(part)  # a fresh array: the engine hands out no scratch
            else:
                np.add(acc, part, out=acc)
        maps.append(np.zeros((oh, ow), np.float32) if acc is None else acc)
    # One interleaving pass for all maps: writing them one channel at a time was five times slower.
    if len(maps) == 1:
        out[:, :, first_out] = maps[0]
    elif first_out == 0 and len(maps) == out.shape[2]:
        got = cv2.merge(maps, dst=out)
        if got is not out:  # OpenCV wrote elsewhere: copy it in
            np.copyto(out, got)
    else:
        out[:, :, first_out : first_out + len(maps)] = cv2.merge(maps)


# --------------------------------------------------------------------------- patches engine


class _Patches:
    """One group's filters as a matrix, and the band-by-band patch matrices it multiplies.

    Output cell ``(i, j)`` reads padded pixel ``(i*sy + a*dy, j*sx + b*dx)`` for tap ``(a, b)``.
    Splitting the padded rows and columns by their remainder modulo the stride turns every tap
    into a fixed offset in one flattened phase plane: ``(i + qa) * width + (j + qb)``. With the
    band's channels as planes (channel first), a row of the patch matrix is then one contiguous
    slice of a plane: the patch matrix is built by plain block copies. Slices that run past the
    last output column read on into the next row; those products are computed and dropped.
    """

    def __init__(self, w64: np.ndarray, strides, dils, out_w: int, padded_w: int):
        c_out, c_in, kh, kw = w64.shape
        self.c_in, self.c_out = c_in, c_out
        self.sy, self.sx = strides
        dy, dx = dils
        # Taps whose weights are all zero are skipped: they add nothing. Each tap becomes its
        # phase (ry, rx) and offset (qa, qb); sorted so that the taps of one phase and row sit
        # side by side, their offsets qb then step evenly and one strided copy moves them all.
        taps = sorted(
            ((a * dy) % self.sy, (b * dx) % self.sx, (a * dy) // self.sy, (b * dx) // self.sx, a, b)
            for a in range(kh)
            for b in range(kw)
            if w64[:, :, a, b].any()
        ) or [(0, 0, 0, 0, 0, 0)]
        self.taps = [t[:4] for t in taps]
        # Matrix columns ordered tap by tap, channel by channel within a tap.
        mat = np.stack([w64[:, :, a, b] for *_, a, b in taps], axis=1)  # (c_out, T, c_in)
        self.matrix = np.ascontiguousarray(mat.reshape(c_out, len(taps) * c_in), np.float32)
        # Runs of taps: (first tap, count, ry, rx, qa, first qb, gap between their qb).
        self.runs = []
        for t, (ry, rx, qa, qb) in enumerate(self.taps):
            if self.runs:
                t0, n, ry0, rx0, qa0, qb0, gap = self.runs[-1]
                if (ry0, rx0, qa0) == (ry, rx, qa) and (n == 1 or qb - qb0 == n * gap):
                    self.runs[-1] = (t0, n + 1, ry, rx, qa, qb0, qb - qb0 if n == 1 else gap)
                    continue
            self.runs.append((t, 1, ry, rx, qa, qb, 0))
        self.phases = sorted({(ry, rx) for ry, rx, _, _ in self.taps})
        self.width = -(-padded_w // self.sx)  # columns of every phase plane
        self.extra_rows = max(qa for _, _, qa, _ in self.taps)
        self.out_w = out_w
        # Output cells per matrix product: the patch matrix fits the budget.
        k = len(taps) * c_in
        self.columns = max(MIN_PATCH_COLUMNS, PATCH_BYTES // (4 * k))

    def rows_per_band(self, out_h: int) -> int:
        """Rows whose input is about ``BAND_BYTES`` and whose output at most four times that."""
        in_row = self.width * self.sx * self.sy * self.c_in * 4
        out_row = self.width * self.c_out * 4
        return max(1, min(out_h, BAND_BYTES // max(1, in_row), 4 * BAND_BYTES // out_row))

    def _phase_planes(self, padded: np.ndarray, nq: int) -> dict:
        """Each phase of the band as flat planes ``(c_in, nq * width)``."""
        c = self.c_in
        nr, pw = padded.shape[:2]
        if c == 1:
            chw = padded.reshape(1, nr, pw)
        else:
            dst = _buffer("planes", (c, nr * pw))
            chw = cv2.transpose(padded.reshape(nr * pw, c), dst=dst).reshape(c, nr, pw)
        if self.sy == self.sx == 1:
            return {(0, 0): chw.reshape(c, nr * pw)}
        flat = {}
        phases = _buffer("phases", (len(self.phases), c, nq, self.width))
        for p, (ry, rx) in enumerate(self.phases):
            src = chw[:, ry :: self.sy, rx :: self.sx][:, :nq]
            plane = phases[p]
            plane[:, : src.shape[1], : src.shape[2]] = src
            # Cells that only thrown-away outputs read: zeros, so that no stale value left in
            # the buffer (a denormal, say) slows the product down.
            plane[:, : src.shape[1], src.shape[2] :] = 0.0
            plane[:, src.shape[1] :] = 0.0
            flat[ry, rx] = plane.reshape(c, nq * self.width)
        return flat

    def band(self, padded: np.ndarray, n: int) -> np.ndarray:
        """Products for ``n`` output rows whose padded rows start at ``padded[0]``, as a
        ``(n, out_w, c_out)`` view of this thread's scratch buffer: copy it out at once.

        The band's cells, flattened row after row, go through the product a slice at a time:
        slices need not end at a row's end, so each one fills the patch budget exactly.
        """
        c, width = self.c_in, self.width
        flat = self._phase_planes(padded, n + self.extra_rows)
        m = (n - 1) * width + self.out_w  # the last row stops at its last output
        step = min(self.columns, m)
        patches = _buffer("patches", (len(self.taps) * c, step))
        result = _buffer("result", (self.c_out, step))
        hwc = _buffer("hwc", (n * width, self.c_out))
        for f0 in range(0, m, step):
            cols = min(step, m - f0)
            part = patches[:, :cols]
            for t0, count, ry, rx, qa, qb, gap in self.runs:
                src = flat[ry, rx]
                start = qa * width + qb + f0
                if count == 1:
                    part[t0 * c : (t0 + 1) * c] = src[:, start : start + cols]
                    continue
                # Taps whose windows start `gap` cells apart: one strided view of them all.
                view = as_strided(
                    src[:, start:],
                    shape=(count, c, cols),
                    strides=(gap * src.strides[1], src.strides[0], src.strides[1]),
                    writeable=False,
                )
                part[t0 * c : (t0 + count) * c].reshape(count, c, cols)[...] = view
            product = np.matmul(self.matrix, part, out=result[:, :cols])
            if self.c_out == 1:
                hwc[f0 : f0 + cols, 0] = product[0]
            else:
                dst = hwc[f0 : f0 + cols]
                got = cv2.transpose(product, dst=dst)
                if got is not dst:  # OpenCV wrote elsewhere: copy it in
                    np.copyto(dst, got)
        return hwc.reshape(n, width, self.c_out)[:, : self.out_w]


def _patches(x, w64, pads, border, cval, strides, dils, out_hw, out, first_out: int):
    """The patches engine for one group: ``x`` is the group's ``(H, W, c_in)`` float32 input."""
    oh, ow = out_hw
    keh = dils[0] * (w64.shape[2] - 1) + 1
    c_in = x.shape[2]
    padded_w = x.shape[1] + pads[1][0] + pads[1][1]
    eng = _Patches(w64, strides, dils, ow, padded_w)
    if c_in > _CV_MAX_CHANNELS and any(pads[0] + pads[1]):
        # OpenCV pads at most 512 interleaved channels: numpy pads such an input once, whole.
        fill = {"constant_values": cval} if border == "constant" else {}
        x = np.pad(x, (*pads, (0, 0)), mode=border, **fill)
        pads = ((0, 0), (0, 0))
    src = _PaddedRows(x, pads, border, cval, 0)
    sy = strides[0]
    n_band = eng.rows_per_band(oh)
    workers = _engine.MAX_WORKERS
    parallel = oh * ow * w64.shape[0] >= PARALLEL_MIN_VALUES and workers > 1
    if parallel:
        n_band = min(n_band, max(1, -(-oh // (2 * workers))))
    cols = slice(first_out, first_out + w64.shape[0])

    def run(i0: int) -> None:
        i1 = min(oh, i0 + n_band)
        n = i1 - i0
        # The padded rows the band's outputs read. Flattened reads for outputs that are thrown
        # away may run past them into the phase planes' zeros; at stride 1 they stop at the end.
        stop = (i1 - 1) * sy + keh
        rows = np.ascontiguousarray(src.rows(i0 * sy, stop), np.float32)
        out[i0:i1, :, cols] = eng.band(rows.reshape(-1, padded_w, c_in), n)

    starts = range(0, oh, n_band)
    if len(starts) == 1 or not parallel:
        for i0 in starts:
            run(i0)
    else:
        for job in [_executor().submit(run, i0) for i0 in starts]:
            job.result()


# --------------------------------------------------------------------------- public


def conv2d(
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
    """One CNN layer: every filter of ``weight`` over all input maps, summed, plus its bias.

    Parameters
    ----------
    x : array_like
        ``(H, W, C_in)`` maps, or ``(H, W)`` for one map; any real dtype. Never modified.
    weight : array_like
        ``(C_out, C_in // groups, kh, kw)``, PyTorch's layout; every value finite.
    bias : array_like, optional
        ``(C_out,)``, added to each filter's map; None adds nothing.
    stride, padding, dilation, border, cval
        As :func:`filterstudio.convolve`: ``padding`` is ``"valid"``, ``"same"`` (Keras' rule),
        ``"full"``, an int or a pair; ``border`` names a ``numpy.pad`` mode.
    groups : int, optional
        Input channels and filters split into this many groups; filter ``o`` reads the input
        channels of group ``o // (C_out // groups)`` only (PyTorch's ``groups``).

    Returns
    -------
    numpy.ndarray
        float32 ``(OH, OW, C_out)``:
        ``out[i, j, o] = bias[o] + sum_c sum_a sum_b W[o, c, a, b] * P[i*sy + a*dy, j*sx + b*dx, g*C_in/groups + c]``,
        ``P`` the padded input and ``g`` the filter's group. Equals
        ``torch.nn.functional.conv2d`` (NCHW moved to HWC) for ``border="constant"``, ``cval=0``.

    Raises
    ------
    ValueError
        One sentence naming what cannot be used, as :func:`filterstudio.convolve` says it.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.ones((5, 5, 2), np.float32)
    >>> w = np.ones((3, 2, 3, 3), np.float32)
    >>> conv2d(x, w, [0.0, 1.0, -1.0]).shape
    (3, 3, 3)
    >>> conv2d(x, w, [0.0, 1.0, -1.0])[0, 0]
    array([18., 19., 17.], dtype=float32)
    """
    img, w, b, strides, dils, pads, cval, groups, out_hw = _check(
        x, weight, bias, stride, padding, dilation, border, cval, groups
    )
    x3 = _cv_ready(img if img.ndim == 3 else img[:, :, None])
    w64 = w.astype(np.float64)
    c_out = w.shape[0]
    cin_g, cout_g = w.shape[1], c_out // groups
    out = np.empty(out_hw + (c_out,), np.float32)
    planes = None
    for g in range(groups):
        wg = w64[g * cout_g : (g + 1) * cout_g]
        if FORCE_ENGINE is not None:
            use_planes = FORCE_ENGINE == "planes"
        else:
            use_planes = prefers_planes(cin_g, cout_g, w.shape[2:], img.shape[:2], out_hw, strides)
        if use_planes:
            if planes is None:
                # One pass splits every channel (a strided copy per channel took three times longer).
                if 1 < x3.shape[2] <= _CV_MAX_CHANNELS:
                    planes = list(cv2.split(x3))
                else:
                    planes = [np.ascontiguousarray(x3[:, :, c]) for c in range(x3.shape[2])]
            group_planes = planes[g * cin_g : (g + 1) * cin_g]
            _planes(group_planes, wg, pads, border, cval, strides, dils, out_hw, out, g * cout_g)
        else:
            xg = x3 if groups == 1 else np.ascontiguousarray(x3[:, :, g * cin_g : (g + 1) * cin_g])
            with _blas_on_one_thread():
                _patches(xg, wg, pads, border, cval, strides, dils, out_hw, out, g * cout_g)
    if b is not None and b.any():
        out += b.astype(np.float32)
    return out
