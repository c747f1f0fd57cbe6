"""What crosses between the GUI thread and the compute thread: frozen requests and results.

A map is named by its key, the uid of what it shows: a filter (``"f12"``) or a combined map
(``"d3"``). Uids are unique in the process, so the maps of several stages of a stack share one
namespace; a request also says which ``stage`` it belongs to. The picture is *not* part of the
key: a new picture, or the next frame of a moving one, asks for the same keys again, and the
newest request per key replaces any older one still waiting. Every request carries the
``image_key`` it was made for and a ``generation`` (one counter for everything asked), and its
result carries both back, so an answer that arrives too late is recognised and dropped.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..core.geometry import MapGeometry
from ..core.readonly import read_only
from ..model.bank import Filter, Layer
from ..model.stack import PoolStage

__all__ = [
    "DEFAULT_DISPLAY_SIDE",
    "CombineRequest",
    "ComputeRequest",
    "ComputeResult",
    "MapKey",
    "Request",
    "Source",
    "StageRequest",
    "answer",
]

#: The longer side of a map's 8-bit display copy until the panels say how large they are.
DEFAULT_DISPLAY_SIDE = 1280

#: The name of one map: the uid of its filter or combined map.
MapKey = str


@dataclass(frozen=True)
class ComputeRequest:
    """One filter's map to compute; everything in it is immutable (arrays are read-only).

    ``preview`` > 1 asks for every ``preview``-th cell of the map only (an exact strided
    preview); the compute thread decides that, never the GUI thread. ``may_preview`` False
    asks for the full map at once (a frame of a video: the next frame comes before a settled
    full map would).
    """

    generation: int
    uid: MapKey
    image_key: int
    image: np.ndarray = field(repr=False)
    flt: Filter
    layer: Layer
    mapping: str = "minmax"
    colormap: str | None = None
    max_display_side: int = DEFAULT_DISPLAY_SIDE
    stage: int = 0
    preview: int = 1
    may_preview: bool = True

    def compute_key(self) -> tuple:
        """What the exact map depends on (not how it is displayed)."""
        return (self.image_key, self.layer, self.flt.content_key())


@dataclass(frozen=True)
class CombineRequest:
    """A combined map of two filters' newest exact maps (magnitude, sum or maximum)."""

    generation: int
    uid: MapKey
    a_uid: MapKey
    b_uid: MapKey
    op: str
    geometry: MapGeometry | None
    mapping: str = "minmax"
    colormap: str | None = None
    max_display_side: int = DEFAULT_DISPLAY_SIDE
    image_key: int = 0
    stage: int = 0
    preview: int = 1


@dataclass(frozen=True, eq=False)
class Source:
    """One map a later stage's map reads: its key, the generation of the exact answer its
    values come from, the colour channel to read (a first-stage map in ``color`` mode) or None,
    and the read-only values (None: a switched-off filter's map of zeros)."""

    key: MapKey
    generation: int
    channel: int | None
    values: np.ndarray | None = field(repr=False)


@dataclass(frozen=True)
class StageRequest:
    """One map of a later stage of a stack (``stage`` >= 1), from the exact maps it reads.

    A conv map (``flt`` and ``layer`` given) reads every map of the stage before, a pooling
    map (``pool`` given) one. ``value_key`` is everything the exact map depends on (the
    stack's settings up to this stage and the picture); ``failed`` is the sentence to answer
    with when the map cannot be computed (a map it reads failed, or the stage cannot run).
    ``preview`` > 1 asks for every ``preview``-th cell only, computed from the full maps;
    ``may_preview`` False asks for the full map at once (the map only follows maps before it
    that changed: nobody is dragging this stage, and the exact map comes sooner).
    """

    generation: int
    uid: MapKey
    image_key: int
    stage: int
    sources: tuple[Source, ...] = field(repr=False)
    in_hw: tuple[int, int] | None
    value_key: tuple = field(repr=False)
    flt: Filter | None = None
    layer: Layer | None = None
    pool: PoolStage | None = None
    failed: str | None = None
    mapping: str = "minmax"
    colormap: str | None = None
    max_display_side: int = DEFAULT_DISPLAY_SIDE
    preview: int = 1
    may_preview: bool = True

    def compute_key(self) -> tuple:
        """What the exact map depends on (not how it is displayed)."""
        return self.value_key


Request = ComputeRequest | CombineRequest | StageRequest


@dataclass(frozen=True)
class ComputeResult:
    """The answer to one request, tagged with the request's generation and picture.

    ``values`` is the exact float32 map (None for a preview or an error), ``pixels`` its
    read-only 8-bit display copy, ``full_hw`` the real map's size even for a preview.
    """

    generation: int
    uid: MapKey
    values: np.ndarray | None = field(repr=False)
    pixels: np.ndarray | None = field(repr=False)
    stats: object | None = field(repr=False)
    geometry: MapGeometry | None
    mapping: str
    colormap: str | None
    error: str | None = None
    seconds: float = 0.0
    recomputed: bool = True
    preview: int = 1  # > 1: an exact every-n-th-cell subsample; the full map follows
    full_hw: tuple[int, int] | None = None
    image_key: int = 0
    stage: int = 0
    extra: dict = field(default_factory=dict, repr=False)

    @property
    def is_final(self) -> bool:
        """The full-resolution answer (or its error), not a preview."""
        return self.preview == 1


def answer(
    req: Request,
    start: float,
    geometry: MapGeometry | None,
    *,
    values: np.ndarray | None = None,
    pixels: np.ndarray | None = None,
    stats=None,
    error: str | None = None,
    recomputed: bool = True,
    full_hw: tuple[int, int] | None = None,
) -> ComputeResult:
    """The result of ``req`` (a map, or ``error``), timed from ``start`` (``perf_counter``)."""
    return ComputeResult(
        generation=req.generation,
        uid=req.uid,
        values=read_only(values),
        pixels=read_only(pixels),
        stats=stats,
        geometry=geometry,
        mapping=req.mapping,
        colormap=req.colormap,
        error=error,
        seconds=time.perf_counter() - start,
        recomputed=recomputed,
        preview=req.preview,
        full_hw=full_hw,
        image_key=req.image_key,
        stage=req.stage,
    )
