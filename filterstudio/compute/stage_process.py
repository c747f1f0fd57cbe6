"""Answers one map of a later stage of a stack from the exact maps it reads, never raising.

A conv map whose output is larger than its panel is first answered with an exact strided
preview computed from the full maps it reads (every ``f``-th cell of the real map, as the first
stage's previews are); the full map follows once the stage is left alone. Pooled maps are cheap
and never previewed. A map whose inputs failed is answered with its one sentence.
"""

from __future__ import annotations

import time
import traceback

from ..core.errors import sentence
from ..core.geometry import MapGeometry
from .planning import (
    display_copy,
    map_answer,
    preview_layer,
    previewed,
)
from .requests import ComputeResult, StageRequest, answer
from .stagework import conv_map, pool_map

__all__ = ["planned_stage", "process_stage", "stage_geometry"]


def stage_geometry(req: StageRequest) -> MapGeometry:
    """How the map of ``req`` lines up with the maps it reads."""
    if req.in_hw is None:
        raise ValueError("The maps this one reads have no cells.")
    if req.pool is not None:
        p = req.pool
        return MapGeometry.compute(req.in_hw, p.size, stride=p.strides, padding=p.padding)
    return MapGeometry.for_layer(req.in_hw, req.flt.size, req.layer)


def planned_stage(req: StageRequest, cache) -> StageRequest:
    """``req`` as it should be computed first: a strided preview of a large conv map."""
    if req.pool is not None or req.failed or not req.may_preview:
        return req
    if cache.get(req.uid, req.compute_key()) is not None:
        return req
    return previewed(req, lambda: stage_geometry(req))


def _compute(req: StageRequest, cache, geometry: MapGeometry, preview: int):
    planes = cache.planes(req)
    if req.pool is not None:
        return pool_map(planes[0], req.pool, req.in_hw)
    layer = req.layer if preview == 1 else preview_layer(req.layer, geometry, preview)
    return conv_map(planes, req.flt, layer, req.in_hw)


def process_stage(req: StageRequest, cache) -> ComputeResult:
    """The answer to ``req`` (``cache`` is the compute thread's ``MapCache``)."""
    start = time.perf_counter()
    geometry = None
    try:
        if req.failed:
            raise ValueError(req.failed)
        geometry = stage_geometry(req)
        if 0 in geometry.out_hw:
            raise ValueError("The window is larger than the padded map: output size 0.")
        if req.preview > 1:
            values = _compute(req, cache, geometry, req.preview)
            pixels, stats = display_copy(values, req.mapping, req.colormap, req.max_display_side)
            return answer(req, start, geometry, pixels=pixels, stats=stats, full_hw=geometry.out_hw)
        values, recomputed = cache.kept_or_made(req, lambda: _compute(req, cache, geometry, 1))
        cache.release_pages(*(src.key for src in req.sources))
        return cache.settle(map_answer(req, start, geometry, values, recomputed=recomputed))
    except Exception as exc:  # noqa: BLE001 - every fault becomes a message in its panel
        if req.preview == 1:
            cache.drop(req.uid)
        if not isinstance(exc, (ValueError, MemoryError)):
            traceback.print_exc()
        return answer(req, start, geometry, error=sentence(exc))
