"""The compute worker: runs the engine off the GUI thread, newest request per filter wins."""

from __future__ import annotations

import math
import threading
import time
import traceback
from collections import OrderedDict
from dataclasses import dataclass, field

import cv2
import numpy as np
from PySide6.QtCore import QObject, QThread, Signal

from ..core import display
from ..core.combine import combine
from ..core.geometry import MapGeometry
from ..core.pipeline import apply_bank_filter, effective_kernel, prepare_input
from ..model.bank import Filter, Layer

DEFAULT_DISPLAY_SIDE = 1280
# Maps with more output cells than this are shown first as an exact strided preview.
PREVIEW_CELLS = 600_000
# How long a filter must stay unedited before its full-resolution map is computed.
SETTLE_SECONDS = 0.12
STATS_CELLS = 400_000


@dataclass(frozen=True)
class ComputeRequest:
    """One filter's map to compute; everything in it is immutable (arrays are read-only)."""

    generation: int
    uid: str
    image_key: int
    image: np.ndarray
    flt: Filter
    layer: Layer
    mapping: str = "minmax"
    colormap: str | None = None
    max_display_side: int = DEFAULT_DISPLAY_SIDE

    def compute_key(self) -> tuple:
        return (self.image_key, self.layer, self.flt.content_key())


@dataclass(frozen=True)
class CombineRequest:
    """A derived map from two filters' newest maps (magnitude, sum or maximum)."""

    generation: int
    uid: str
    a_uid: str
    b_uid: str
    op: str
    geometry: MapGeometry | None
    mapping: str = "minmax"
    colormap: str | None = None
    max_display_side: int = DEFAULT_DISPLAY_SIDE


@dataclass(frozen=True)
class ComputeResult:
    """The worker's answer for one request, tagged with the request's generation."""

    generation: int
    uid: str
    values: np.ndarray | None
    pixels: np.ndarray | None
    stats: object | None
    geometry: MapGeometry | None
    mapping: str
    colormap: str | None
    error: str | None = None
    seconds: float = 0.0
    recomputed: bool = True
    preview: int = 1  # > 1: an exact every-n-th-cell subsample; the full map follows
    full_hw: tuple[int, int] | None = None
    extra: dict = field(default_factory=dict)


def _readonly(arr: np.ndarray) -> np.ndarray:
    arr.setflags(write=False)
    return arr


def fast_downscale(values: np.ndarray, max_side: int) -> np.ndarray:
    """Area-average by a whole factor so the longer side fits ``max_side``.

    OpenCV's area resize has a fast path for whole factors (several times quicker than an
    arbitrary size on a 12-megapixel map); the last ``factor - 1`` rows or columns at most are
    left out, well under a screen pixel at that size.
    """
    h, w = values.shape[:2]
    f = -(-max(h, w) // max_side)
    if f <= 1:
        return values
    nh, nw = h // f, w // f
    src = values[: nh * f, : nw * f]
    if values.ndim == 3 and values.shape[2] > 4:
        src = np.ascontiguousarray(src)  # OpenCV reads at most four interleaved channels
    # The crop is a view: OpenCV reads its rows in place, no 100 MB copy of a 12 MP map.
    out = cv2.resize(src, (nw, nh), interpolation=cv2.INTER_AREA)
    return out.reshape((nh, nw) + values.shape[2:])


def value_range(values: np.ndarray) -> tuple[float, float]:
    """``(min, max)`` of a map: one OpenCV pass that lets the GUI thread run meanwhile."""
    flat = values.reshape(values.shape[0], -1) if values.ndim >= 2 else values.reshape(1, -1)
    if values.size and values.dtype == np.float32 and flat.strides[-1] == values.itemsize:
        lo, hi, _, _ = cv2.minMaxLoc(flat)
        if math.isfinite(lo) and math.isfinite(hi):
            return float(lo), float(hi)
    return float(values.min()), float(values.max())


def display_copy(
    values: np.ndarray, mapping: str, colormap: str | None, max_side: int, limits=None
):
    """8-bit display pixels (downscaled for large maps) and stats for a float map.

    ``limits`` are the full map's (min, max) when ``values`` is already a preview of it.
    """
    small = fast_downscale(values, max_side)
    if limits is None:
        lo, hi = value_range(values)
    else:
        lo, hi = limits
    pixels = display.to_uint8(small, mapping, colormap=colormap, limits=(lo, hi))
    step = max(1, int(np.ceil(np.sqrt(small.shape[0] * small.shape[1] / STATS_CELLS))))
    stats = display.map_stats(small[::step, ::step], exact_limits=(lo, hi))
    return pixels, stats


def _answer(
    req: ComputeRequest | CombineRequest,
    start: float,
    geometry: MapGeometry | None,
    *,
    values: np.ndarray | None = None,
    pixels: np.ndarray | None = None,
    stats=None,
    error: str | None = None,
    **extra,
) -> ComputeResult:
    """The result of ``req`` (a map, or ``error``), timed from ``start``."""
    return ComputeResult(
        generation=req.generation,
        uid=req.uid,
        values=values,
        pixels=None if pixels is None else _readonly(pixels),
        stats=stats,
        geometry=geometry,
        mapping=req.mapping,
        colormap=req.colormap,
        error=error,
        seconds=time.perf_counter() - start,
        **extra,
    )


def preview_factor(out_hw: tuple[int, int], max_cells: int = PREVIEW_CELLS) -> int:
    """Whole subsampling factor that brings a map of ``out_hw`` under ``max_cells`` cells."""
    cells = out_hw[0] * out_hw[1]
    if cells <= max_cells:
        return 1
    return int(np.ceil(np.sqrt(cells / max_cells)))


def _error_sentence(exc: BaseException) -> str:
    if isinstance(exc, MemoryError):
        return "Not enough memory to compute this map; try a smaller image or fewer filters."
    if isinstance(exc, ValueError):
        return str(exc)
    return f"The computation failed: {type(exc).__name__}: {exc}"


def _preview_cells(req: ComputeRequest) -> int:
    """A preview needs about as many cells as its panel has pixels, and no more than the cap."""
    return min(PREVIEW_CELLS, max(160_000, req.max_display_side**2 * 3 // 4))


def preview_layer(layer: Layer, geometry: MapGeometry, f: int) -> Layer:
    """The layer whose map is exactly every ``f``-th cell of ``layer``'s map (see ``geometry``)."""
    return Layer(
        stride=(layer.stride[0] * f, layer.stride[1] * f),
        padding=(geometry.pad_top, geometry.pad_left),
        border=layer.border,
        cval=layer.cval,
        dilation=layer.dilation,
        channel_mode=layer.channel_mode,
    )


class ComputeWorker(QThread):
    """A single long-lived thread; the GUI thread only submits requests and receives results.

    Pending requests are kept per filter uid, so a burst of edits to one filter leaves only its
    newest request waiting (latest wins), and edits to other filters keep their place.

    A large map is answered twice: an exact strided preview at once, then the full map once the
    filter has been left alone for :data:`SETTLE_SECONDS`. The full map waits in a deferred list,
    not in the loop, so meanwhile the other filters get their previews (a stride change shows
    every panel's preview before any full map is computed).
    """

    resultReady = Signal(object)
    busyChanged = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cond = threading.Condition()
        self._pending: OrderedDict[str, ComputeRequest] = OrderedDict()
        # Previewed requests whose full map is due at a time: uid -> (monotonic time, request).
        self._deferred: dict[str, tuple[float, ComputeRequest]] = {}
        self._stopping = False
        self._busy = False
        # Worker-thread-only caches: the last exact map per filter, and the prepared input.
        self._values: dict[str, tuple[tuple, np.ndarray]] = {}
        self._forgotten: set[str] = set()  # removed uids: a late map of one is not kept
        self._prepared: tuple | None = None
        self.engine = apply_bank_filter  # replaceable in tests to inject faults

    # -- GUI thread -----------------------------------------------------------------------
    def submit(self, request: ComputeRequest | CombineRequest) -> None:
        with self._cond:
            # A filter brought back (undo of its removal) is asked for again: it is live again.
            self._forgotten.discard(request.uid)
            self._pending.pop(request.uid, None)
            self._deferred.pop(request.uid, None)
            self._pending[request.uid] = request
            self._cond.notify()

    def forget(self, uid: str) -> None:
        """Drop a removed filter's pending work and cached map (also one being computed now)."""
        with self._cond:
            self._forgotten.add(uid)
            self._pending.pop(uid, None)
            self._deferred.pop(uid, None)
            self._values.pop(uid, None)

    def pending_count(self) -> int:
        with self._cond:
            return len(self._pending) + len(self._deferred)

    def stop(self) -> None:
        """Ask the loop to finish after the current request and wait for it (never terminate)."""
        with self._cond:
            self._stopping = True
            self._pending.clear()
            self._deferred.clear()
            self._cond.notify_all()
        self.wait()

    # -- worker thread --------------------------------------------------------------------
    def run(self) -> None:  # noqa: D102
        while True:
            with self._cond:
                fresh, request = self._next_request()
                if request is None:
                    return
            if fresh and isinstance(request, ComputeRequest) and self._wants_preview(request):
                result = self._compute_preview(request)
                with self._cond:
                    if self._stopping:
                        return
                    # Even a superseded preview is newer than what its panel shows: during a
                    # drag faster than the engine, these are what keep the map following it.
                    waiting = request.uid in self._pending or request.uid in self._forgotten
                    if not result.error and not waiting:
                        due = time.monotonic() + SETTLE_SECONDS
                        self._deferred[request.uid] = (due, request)
                self.resultReady.emit(result)
                continue
            result = self._compute(request)
            with self._cond:
                if self._stopping:
                    return
            self.resultReady.emit(result)

    def _next_request(self) -> tuple[bool, ComputeRequest | CombineRequest | None]:
        """The next work, waiting for it (called with the lock held); ``(fresh, request)``.

        New requests come first, in the order they came; then deferred full maps whose time has
        come. ``(False, None)`` means stop.
        """
        while not self._stopping:
            if self._pending:
                _, request = self._pending.popitem(last=False)
                self._set_busy(True)
                return True, request
            if self._deferred:
                uid, (due, request) = min(self._deferred.items(), key=lambda kv: kv[1][0])
                left = due - time.monotonic()
                if left <= 0:
                    del self._deferred[uid]
                    self._set_busy(True)
                    return False, request
                self._cond.wait(left)
                continue
            self._set_busy(False)
            self._cond.wait()
        return False, None

    def _set_busy(self, busy: bool) -> None:
        if self._busy != busy:
            self._busy = busy
            self.busyChanged.emit(busy)

    def _wants_preview(self, req: ComputeRequest) -> bool:
        cached = self._values.get(req.uid)
        if cached is not None and cached[0] == req.compute_key():
            return False  # only the display changes: the full map is at hand
        try:
            geo = MapGeometry.for_layer(req.image.shape[:2], req.flt.size, req.layer)
        except ValueError:
            return False
        return 0 not in geo.out_hw and preview_factor(geo.out_hw, _preview_cells(req)) > 1

    def _compute_preview(self, req: ComputeRequest) -> ComputeResult:
        """Every f-th cell of the exact map, computed directly (stride times f).

        Same top/left padding and a stride f times larger put the preview's cell ``(i, j)``
        exactly on the full map's cell ``(f*i, f*j)``; only a last row or column that reads the
        extra bottom/right padding of "same" can be missing.
        """
        start = time.perf_counter()
        geometry = MapGeometry.for_layer(req.image.shape[:2], req.flt.size, req.layer)
        f = preview_factor(geometry.out_hw, _preview_cells(req))
        try:
            src = self._prepared_input(req)
            values = self.engine(src, req.flt, preview_layer(req.layer, geometry, f), prepared=True)
            pixels, stats = display_copy(values, req.mapping, req.colormap, req.max_display_side)
            return _answer(
                req,
                start,
                geometry,
                pixels=pixels,
                stats=stats,
                preview=f,
                full_hw=geometry.out_hw,
            )
        except Exception as exc:  # noqa: BLE001 - shown in the panel like any fault
            return _answer(req, start, geometry, error=_error_sentence(exc))

    def _prepared_input(self, request: ComputeRequest) -> np.ndarray:
        key = (request.image_key, request.layer.channel_mode)
        if self._prepared is None or self._prepared[0] != key:
            self._prepared = None  # free the old one before making the new one
            self._prepared = (key, prepare_input(request.image, request.layer.channel_mode))
        return self._prepared[1]

    def _combine(self, req: CombineRequest) -> ComputeResult:
        start = time.perf_counter()
        try:
            a, b = self._values.get(req.a_uid), self._values.get(req.b_uid)
            if a is None or b is None:
                raise ValueError("One of the two maps is not available.")
            values = _readonly(combine(a[1], b[1], req.op))
            pixels, stats = display_copy(values, req.mapping, req.colormap, req.max_display_side)
            return _answer(req, start, req.geometry, values=values, pixels=pixels, stats=stats)
        except (ValueError, MemoryError) as exc:
            return _answer(req, start, req.geometry, error=_error_sentence(exc))

    def _compute(self, req: ComputeRequest | CombineRequest) -> ComputeResult:
        if isinstance(req, CombineRequest):
            return self._combine(req)
        start = time.perf_counter()
        geometry = None
        try:
            image = req.image
            geometry = MapGeometry.for_layer(image.shape[:2], req.flt.size, req.layer)
            if 0 in geometry.out_hw:
                raise ValueError("The kernel is larger than the padded image: output size 0.")
            key = req.compute_key()
            cached = self._values.get(req.uid)
            recomputed = cached is None or cached[0] != key
            if recomputed:
                self._values.pop(req.uid, None)
                src = self._prepared_input(req)
                channels = 1 if src.ndim == 2 else src.shape[2]
                effective_kernel(req.flt.kernel, req.layer.channel_mode, channels)  # validates
                values = _readonly(self.engine(src, req.flt, req.layer, prepared=True))
                with self._cond:
                    if req.uid not in self._forgotten:
                        self._values[req.uid] = (key, values)
            else:
                values = cached[1]
            pixels, stats = display_copy(values, req.mapping, req.colormap, req.max_display_side)
            return _answer(
                req,
                start,
                geometry,
                values=values,
                pixels=pixels,
                stats=stats,
                recomputed=recomputed,
                full_hw=values.shape[:2],
            )
        except Exception as exc:  # noqa: BLE001 - every fault becomes a message in its panel
            self._values.pop(req.uid, None)
            if not isinstance(exc, (ValueError, MemoryError)):
                traceback.print_exc()
            return _answer(req, start, geometry, error=_error_sentence(exc))
