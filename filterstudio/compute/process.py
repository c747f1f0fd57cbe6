"""Answers one request: a filter's exact map or its preview, or a combined map, never raising.

:func:`process_request` is a plain function of a request and a :class:`MapCache` (the last
exact map per filter and the prepared input), so it runs the same on the studio's compute
thread, in a test, or in a pool.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from ..core.combine import combine
from ..core.errors import sentence
from ..core.geometry import MapGeometry
from ..core.pipeline import apply_bank_filter, effective_kernel, prepare_input
from .planning import display_copy, preview_cells, preview_factor, preview_layer
from .requests import CombineRequest, ComputeRequest, ComputeResult, MapKey, Request, answer

__all__ = ["Engine", "MapCache", "planned", "process_request"]

#: ``engine(prepared_input, filter, layer, prepared=True) -> float32 map``.
Engine = Callable[..., np.ndarray]


class MapCache:
    """The last exact map of each filter and the prepared input, shared by successive requests.

    Written on the compute thread only; :meth:`forget` and :meth:`revive` may be called from
    any thread (a filter removed while its map is being computed never gets it cached).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[MapKey, tuple[tuple, np.ndarray]] = {}
        self._forgotten: set[MapKey] = set()
        self._prepared: tuple[tuple, np.ndarray] | None = None

    def get(self, uid: MapKey, key: tuple | None = None) -> np.ndarray | None:
        """The cached map of ``uid`` (only if it was made for ``key``, when one is given)."""
        with self._lock:
            found = self._values.get(uid)
        if found is None or (key is not None and found[0] != key):
            return None
        return found[1]

    def put(self, uid: MapKey, key: tuple, values: np.ndarray) -> None:
        with self._lock:
            if uid not in self._forgotten:
                self._values[uid] = (key, values)

    def drop(self, uid: MapKey) -> None:
        with self._lock:
            self._values.pop(uid, None)

    def forget(self, uid: MapKey) -> None:
        """``uid`` is gone: drop its map, and keep none that is being computed now."""
        with self._lock:
            self._forgotten.add(uid)
            self._values.pop(uid, None)

    def revive(self, uid: MapKey) -> None:
        """``uid`` is asked for again (an undone removal): its maps may be kept again."""
        with self._lock:
            self._forgotten.discard(uid)

    def is_forgotten(self, uid: MapKey) -> bool:
        with self._lock:
            return uid in self._forgotten

    def cached_uids(self) -> set[MapKey]:
        with self._lock:
            return set(self._values)

    def prepared_input(self, req: ComputeRequest) -> np.ndarray:
        """The picture as the engine reads it under the request's channel mode (kept once)."""
        key = (req.image_key, req.layer.channel_mode)
        if self._prepared is None or self._prepared[0] != key:
            self._prepared = None  # free the old one before making the new one
            self._prepared = (key, prepare_input(req.image, req.layer.channel_mode))
        return self._prepared[1]


def planned(req: Request, cache: MapCache) -> Request:
    """``req`` as it should be computed first: a strided preview if its map is large.

    A map whose exact values are cached (only the display changed) is never previewed.
    """
    if not isinstance(req, ComputeRequest) or cache.get(req.uid, req.compute_key()) is not None:
        return req
    try:
        geo = MapGeometry.for_layer(req.image.shape[:2], req.flt.size, req.layer)
    except ValueError:
        return req
    if 0 in geo.out_hw:
        return req
    f = preview_factor(geo.out_hw, preview_cells(req.max_display_side))
    return replace(req, preview=f) if f > 1 else req


def process_request(
    req: Request, cache: MapCache, engine: Engine = apply_bank_filter
) -> ComputeResult:
    """The answer to ``req``; every fault becomes the result's one-sentence ``error``."""
    if isinstance(req, CombineRequest):
        return _combined(req, cache)
    if req.preview > 1:
        return _preview(req, cache, engine)
    return _full(req, cache, engine)


def _combined(req: CombineRequest, cache: MapCache) -> ComputeResult:
    start = time.perf_counter()
    try:
        a, b = cache.get(req.a_uid), cache.get(req.b_uid)
        if a is None or b is None:
            raise ValueError("One of the two maps is not available.")
        values = combine(a, b, req.op)
        pixels, stats = display_copy(values, req.mapping, req.colormap, req.max_display_side)
        return answer(
            req, start, req.geometry, values=values, pixels=pixels, stats=stats,
            full_hw=values.shape[:2],
        )  # fmt: skip
    except (ValueError, MemoryError) as exc:
        return answer(req, start, req.geometry, error=sentence(exc))


def _preview(req: ComputeRequest, cache: MapCache, engine: Engine) -> ComputeResult:
    """Every ``req.preview``-th cell of the exact map, computed directly (stride times f)."""
    start = time.perf_counter()
    geometry = MapGeometry.for_layer(req.image.shape[:2], req.flt.size, req.layer)
    try:
        src = cache.prepared_input(req)
        layer = preview_layer(req.layer, geometry, req.preview)
        values = engine(src, req.flt, layer, prepared=True)
        pixels, stats = display_copy(values, req.mapping, req.colormap, req.max_display_side)
        return answer(
            req, start, geometry, pixels=pixels, stats=stats, full_hw=geometry.out_hw
        )
    except Exception as exc:  # noqa: BLE001 - shown in the panel like any fault
        return answer(req, start, geometry, error=sentence(exc))


def _full(req: ComputeRequest, cache: MapCache, engine: Engine) -> ComputeResult:
    start = time.perf_counter()
    geometry = None
    try:
        geometry = MapGeometry.for_layer(req.image.shape[:2], req.flt.size, req.layer)
        if 0 in geometry.out_hw:
            raise ValueError("The kernel is larger than the padded image: output size 0.")
        key = req.compute_key()
        values = cache.get(req.uid, key)
        recomputed = values is None
        if recomputed:
            cache.drop(req.uid)  # free the old map before the new one is made
            src = cache.prepared_input(req)
            channels = 1 if src.ndim == 2 else src.shape[2]
            effective_kernel(req.flt.kernel, req.layer.channel_mode, channels)  # validates
            values = engine(src, req.flt, req.layer, prepared=True)
            values.setflags(write=False)
            cache.put(req.uid, key, values)
        pixels, stats = display_copy(values, req.mapping, req.colormap, req.max_display_side)
        return answer(
            req, start, geometry, values=values, pixels=pixels, stats=stats,
            recomputed=recomputed, full_hw=values.shape[:2],
        )  # fmt: skip
    except Exception as exc:  # noqa: BLE001 - every fault becomes a message in its panel
        cache.drop(req.uid)
        if not isinstance(exc, (ValueError, MemoryError)):
            traceback.print_exc()
        return answer(req, start, geometry, error=sentence(exc))
