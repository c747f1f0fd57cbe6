"""Answers one request: a filter's exact map or its preview, or a combined map, never raising.

:func:`process_request` is a plain function of a request and a :class:`MapCache` (the last
exact map per filter and the prepared input), so it runs the same on the studio's compute
thread, in a test, or in a pool.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable

import numpy as np

from ..core.combine import combine
from ..core.errors import sentence
from ..core.geometry import MapGeometry
from ..core.pipeline import apply_bank_filter, effective_kernel
from .cache import MapCache
from .planning import (
    display_copy,
    map_answer,
    preview_layer,
    previewed,
)
from .requests import CombineRequest, ComputeRequest, ComputeResult, Request, StageRequest, answer
from .stage_process import planned_stage, process_stage

__all__ = ["Engine", "MapCache", "planned", "process_request"]

#: ``engine(prepared_input, filter, layer, prepared=True) -> float32 map``.
Engine = Callable[..., np.ndarray]


def planned(req: Request, cache: MapCache) -> Request:
    """``req`` as it should be computed first: a strided preview if its map is large.

    A map whose exact values are cached (only the display changed), or a frame of a video
    (``may_preview`` False), is never previewed.
    """
    if isinstance(req, StageRequest):
        return planned_stage(req, cache)
    if not isinstance(req, ComputeRequest) or not req.may_preview:
        return req
    if cache.get(req.uid, req.compute_key()) is not None:
        return req
    return previewed(
        req, lambda: MapGeometry.for_layer(req.image.shape[:2], req.flt.size, req.layer)
    )


def process_request(
    req: Request, cache: MapCache, engine: Engine = apply_bank_filter
) -> ComputeResult:
    """The answer to ``req``; every fault becomes the result's one-sentence ``error``."""
    if isinstance(req, CombineRequest):
        return _combined(req, cache)
    if isinstance(req, StageRequest):
        return process_stage(req, cache)
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
        cache.release_pages(req.a_uid, req.b_uid)
        pixels, stats = display_copy(values, req.mapping, req.colormap, req.max_display_side)
        return answer(
            req, start, req.geometry, values=values, pixels=pixels, stats=stats,
            full_hw=values.shape[:2],
        )  # fmt: skip
    except (ValueError, MemoryError) as exc:
        return answer(req, start, req.geometry, error=sentence(exc))


def _preview(req: ComputeRequest, cache: MapCache, engine: Engine) -> ComputeResult:
    """Every ``req.preview``-th cell of the exact map, computed directly (stride times f): from
    the kept tap planes where they apply (``compute.tap_planes``), else by the engine."""
    start = time.perf_counter()
    geometry = MapGeometry.for_layer(req.image.shape[:2], req.flt.size, req.layer)
    try:
        src = cache.prepared_input(req)
        layer = preview_layer(req.layer, geometry, req.preview)
        picture = (req.image_key, req.layer.channel_mode)
        values = cache.taps.preview(src, picture, req.flt, layer, owner=req.uid)
        if values is None:
            values = engine(src, req.flt, layer, prepared=True)
        pixels, stats = display_copy(values, req.mapping, req.colormap, req.max_display_side)
        return answer(req, start, geometry, pixels=pixels, stats=stats, full_hw=geometry.out_hw)
    except Exception as exc:  # noqa: BLE001 - shown in the panel like any fault
        return answer(req, start, geometry, error=sentence(exc))


def _full(req: ComputeRequest, cache: MapCache, engine: Engine) -> ComputeResult:
    start = time.perf_counter()
    geometry = None
    try:
        geometry = MapGeometry.for_layer(req.image.shape[:2], req.flt.size, req.layer)
        if 0 in geometry.out_hw:
            raise ValueError("The kernel is larger than the padded image: output size 0.")

        def make() -> np.ndarray:
            cache.taps.clear()  # a full map is what peaks: previews gather their planes again
            src = cache.prepared_input(req)
            channels = 1 if src.ndim == 2 else src.shape[2]
            effective_kernel(req.flt.kernel, req.layer.channel_mode, channels)  # validates
            return engine(src, req.flt, req.layer, prepared=True)

        values, recomputed = cache.kept_or_made(req, make)
        return cache.settle(map_answer(req, start, geometry, values, recomputed=recomputed))
    except Exception as exc:  # noqa: BLE001 - every fault becomes a message in its panel
        cache.drop(req.uid)
        if not isinstance(exc, (ValueError, MemoryError)):
            traceback.print_exc()
        return answer(req, start, geometry, error=sentence(exc))
