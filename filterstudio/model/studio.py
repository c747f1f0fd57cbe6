"""The studio's state as plain immutable values: the picture, how maps are shown, combined maps.

Nothing here imports Qt. The window's controller holds one of each and replaces them whole;
what crosses to the compute thread is one of these values or a part of one. A
:class:`BankChange` says what one replacement of the stack (its bank first) changed, so that
each view can touch only what it shows.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..core import display
from ..core.combine import COMBINE_OPS
from ..core.kernels import get_preset
from ..core.sizes import size_label
from .bank import Bank, Filter, Layer
from .stack import PoolStage, Stack, Stage

__all__ = [
    "INPUT_DISPLAY_SIDE",
    "BankChange",
    "DerivedMap",
    "FilterChanges",
    "StageChange",
    "DisplayState",
    "ImageState",
    "bank_change",
    "default_bank",
    "stack_change",
    "default_display",
    "filter_at",
    "image_name",
    "input_display_pixels",
    "make_derived",
    "make_image_state",
    "suggested_mapping",
]

#: The longer side of the input picture's 8-bit display copy.
INPUT_DISPLAY_SIDE = 2048

_image_keys = itertools.count(1)
_derived_ids = itertools.count(1)


@dataclass(frozen=True, eq=False)
class ImageState:
    """The picture every filter reads: a read-only float32 array and where it came from.

    ``key`` is new for every picture (and every frame of a moving one): maps are asked for and
    answered under it. ``display_pixels`` is the read-only 8-bit copy the input panel shows,
    made where the picture was decoded (off the GUI thread for files). ``frame`` is the frame's
    index when the picture is a frame of a video or camera (None for a still picture): the next
    frame follows at once, so its maps are computed whole (no preview first) and views keep
    their zoom from frame to frame.
    """

    pixels: np.ndarray
    key: int
    name: str
    path: str | None = None
    sample: str | None = None
    note: str | None = None
    display_pixels: np.ndarray | None = field(default=None, repr=False)
    frame: int | None = None

    @property
    def mode_label(self) -> str:
        return "RGB" if self.pixels.ndim == 3 else "grey"

    @property
    def size_label(self) -> str:
        """The picture's size as the studio writes sizes: ``"800 × 600 (w × h)"``."""
        h, w = self.pixels.shape[:2]
        return size_label(h, w)


def input_display_pixels(pixels: np.ndarray, max_side: int = INPUT_DISPLAY_SIDE) -> np.ndarray:
    """A read-only 8-bit copy of an input picture, its longer side at most ``max_side``."""
    small = display.downscale_for_display(pixels, max_side)
    out = display.to_uint8(small, "clip")
    out.setflags(write=False)
    return out


def make_image_state(
    pixels: np.ndarray,
    name: str,
    *,
    path: str | None = None,
    sample: str | None = None,
    note: str | None = None,
    with_display: bool = True,
    frame: int | None = None,
    display_side: int = INPUT_DISPLAY_SIDE,
    take: bool = False,
) -> ImageState:
    """A new picture with a key of its own: a read-only float32 copy of ``pixels``.

    A single-channel ``(H, W, 1)`` array becomes ``(H, W)``. ``with_display`` also makes the
    8-bit copy the input panel shows (leave it out where no panel shows the picture), its
    longer side at most ``display_side``. ``frame`` marks a frame of a moving picture (its
    index). A read-only float32 array that owns its memory (a decoded frame's pixels, which
    nobody writes to) is taken as it is instead of copied. ``take`` says the caller hands
    ``pixels`` over (a picture it has just decoded, held by nothing else): a float32 array
    that owns its memory is then kept, made read-only, instead of copied; a 12 MP colour
    picture is 137 MB, and opening one beside a studio's maps would otherwise hold it twice.
    """
    arr = np.asarray(pixels)
    given = take and arr is pixels  # np.asarray made nothing new: the caller's own array
    owned = arr.dtype == np.float32 and arr.flags.owndata and (given or not arr.flags.writeable)
    if not (owned and arr.flags.c_contiguous):
        # Row-major whatever the caller's layout: the engine would copy any other for each map.
        arr = np.array(pixels, dtype=np.float32, copy=True, order="C")
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0].copy()
    arr.setflags(write=False)
    shown = input_display_pixels(arr, display_side) if with_display else None
    return ImageState(
        pixels=arr,
        key=next(_image_keys),
        name=name,
        path=path,
        sample=sample,
        note=note,
        display_pixels=shown,
        frame=frame,
    )


def image_name(path: str | Path) -> str:
    return Path(path).name


@dataclass(frozen=True)
class DisplayState:
    """How maps become pixels: a default mapping and colour map, overridden per map uid."""

    mapping: str = "minmax"
    colormap: str | None = None
    per_filter: tuple[tuple[str, str, str | None], ...] = field(default_factory=tuple)

    def for_uid(self, uid: str) -> tuple[str, str | None, bool]:
        """``(mapping, colour map, overridden)`` of the map ``uid``."""
        for u, mapping, cmap in self.per_filter:
            if u == uid:
                return mapping, cmap, True
        return self.mapping, self.colormap, False

    def with_override(self, uid: str, mapping: str | None, colormap: str | None) -> DisplayState:
        rest = tuple(p for p in self.per_filter if p[0] != uid)
        if mapping is None or mapping == "default":
            return replace(self, per_filter=rest)
        return replace(self, per_filter=rest + ((uid, mapping, colormap),))

    def changed_uids(self, other: DisplayState, uids: Sequence[str]) -> tuple[str, ...]:
        """Which of ``uids`` are shown differently under ``other`` than under this state."""
        return tuple(u for u in uids if self.for_uid(u) != other.for_uid(u))


@dataclass(frozen=True)
class DerivedMap:
    """A map made from two filters' maps: ``op`` is magnitude, sum or maximum."""

    uid: str
    a_uid: str
    b_uid: str
    op: str


def filter_at(bank: Bank, index: int) -> Filter | None:
    """The filter at position ``index`` of ``bank``, or None (no filter selected)."""
    return bank.filters[index] if 0 <= index < len(bank.filters) else None


def make_derived(a_uid: str, b_uid: str, op: str) -> DerivedMap:
    """A new combined map of the filters ``a_uid`` and ``b_uid``, with a uid of its own."""
    if op not in COMBINE_OPS:
        raise ValueError(f"Unknown way to combine maps {op!r}; choose {', '.join(COMBINE_OPS)}.")
    return DerivedMap(uid=f"d{next(_derived_ids)}", a_uid=a_uid, b_uid=b_uid, op=op)


@dataclass(frozen=True, kw_only=True)
class FilterChanges:
    """What one replacement changed among one stage's filters, by filter uid.

    ``changed`` are filters whose map changes (kernel, bias, activation, switched on or off);
    ``renamed`` those whose name alone changed. ``reordered`` means the surviving filters are
    in another order.
    """

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    renamed: tuple[str, ...] = ()
    reordered: bool = False

    @property
    def structure_changed(self) -> bool:
        """Filters came, went or moved: lists and grids need their rows again."""
        return bool(self.added or self.removed or self.reordered)

    def map_changed(self, uid: str) -> bool:
        """Whether the filter ``uid`` is new or computes another map after this change."""
        return uid in self.added or uid in self.changed


@dataclass(frozen=True)
class StageChange(FilterChanges):
    """What one replacement of the stack changed in one stage (by uid; ``index`` after it).

    The :class:`FilterChanges` fields say it of the stage's filters as :class:`BankChange`
    does of the bank's; ``settings_changed`` of its shared
    settings (a conv stage's layer, a pooling stage's mode, window, stride, padding). ``new``
    marks a stage that was not there before; ``moved`` one now at another position.
    """

    uid: str
    index: int
    kind: str
    new: bool = False
    moved: bool = False
    settings_changed: bool = False


@dataclass(frozen=True)
class BankChange(FilterChanges):
    """What one replacement of the bank (the stack's first stage) changed, by filter uid.

    The :class:`FilterChanges` fields say it of the bank's filters; ``layer_changed`` of its
    shared layer settings. ``selected`` is the selected position after the change.

    The whole stack: ``stack`` is the stack after the change (its ``bank`` is :attr:`bank`),
    ``stages`` one :class:`StageChange` per stage that changed (the first stage too),
    ``stages_removed`` the uids of stages that went. Every map of a stage after a changed one
    is computed again; the controller's ``mapsWaiting`` names them.
    """

    bank: Bank
    layer_changed: bool = False
    selected: int = 0
    stack: Stack | None = None
    stages: tuple[StageChange, ...] = ()
    stages_removed: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.stack is None:
            object.__setattr__(self, "stack", Stack.of(self.bank))

    def stage(self, uid: str) -> StageChange | None:
        """What changed in the stage ``uid`` (None: nothing)."""
        return next((c for c in self.stages if c.uid == uid), None)

    @property
    def stages_changed(self) -> bool:
        """Stages came, went or moved: rows per stage need laying out again."""
        return bool(self.stages_removed) or any(c.new or c.moved for c in self.stages)

    @property
    def selected_filter(self) -> Filter | None:
        return filter_at(self.bank, self.selected)



def bank_change(old: Bank | None, new: Bank, selected: int, *, reload: bool = False) -> BankChange:
    """The difference from ``old`` to ``new`` (everything is added when ``old`` is None).

    ``reload`` (a session opened) marks every filter kept and the layer as changed, so every
    view shows the new state in full.
    """
    diff = _filters_diff(None if old is None else old.filters, new.filters, reload)
    return BankChange(
        new,
        **diff,
        layer_changed=reload or old is None or old.layer != new.layer,
        selected=selected,
    )


def _filters_diff(old, new, reload: bool) -> dict:
    before = {} if old is None else {f.uid: f for f in old}
    after = {f.uid: f for f in new}
    changed, renamed = [], []
    for uid, f in after.items():
        was = before.get(uid)
        if was is None:
            continue
        if reload or not was.same_content(f) or was.enabled != f.enabled:
            changed.append(uid)
        if reload or was.name != f.name:
            renamed.append(uid)
    kept_before = [u for u in before if u in after]
    kept_after = [u for u in after if u in before]
    return dict(
        added=tuple(u for u in after if u not in before),
        removed=tuple(u for u in before if u not in after),
        changed=tuple(changed),
        renamed=tuple(renamed),
        reordered=reload or kept_before != kept_after,
    )


def _settings(stage: Stage) -> tuple:
    if isinstance(stage, PoolStage):
        return (stage.mode, stage.size, stage.stride, stage.padding)
    return (stage.layer,)


def stack_change(
    old: Stack | None, new: Stack, selected: int, *, reload: bool = False
) -> BankChange:
    """The difference from ``old`` to ``new``: the bank's as :func:`bank_change` says it, and
    one :class:`StageChange` per stage that changed (every stage when ``reload``)."""
    base = bank_change(None if old is None else old.bank, new.bank, selected, reload=reload)
    before = {} if old is None else {s.uid: (k, s) for k, s in enumerate(old.stages)}
    stages = []
    for k, s in enumerate(new.stages):
        was_k, was = before.get(s.uid, (None, None))
        diff = _filters_diff(
            None if was is None else getattr(was, "filters", ()), getattr(s, "filters", ()), reload
        )
        change = StageChange(
            uid=s.uid,
            index=k,
            kind=s.kind,
            new=was is None,
            moved=was is not None and was_k != k,
            settings_changed=reload or was is None or _settings(was) != _settings(s),
            **diff,
        )
        interesting = (
            change.new or change.moved or change.settings_changed or change.added
            or change.removed or change.changed or change.renamed or diff["reordered"]
        )  # fmt: skip
        if interesting:
            stages.append(change)
    gone = tuple(u for u in before if u not in {s.uid for s in new.stages})
    return replace(base, stack=new, stages=tuple(stages), stages_removed=gone)


#: The starter bank, one filter for each thing convolution does at a glance: edges across,
#: edges down, a blur, outlines.
STARTER_FILTERS = ("sobel_y", "sobel_x", "motion_blur", "outline")


def default_bank() -> Bank:
    """The starter bank: maps that differ at a glance and none like the picture itself.

    Horizontal edges (``sobel_y``), vertical edges (``sobel_x``), a strong blur and outlines;
    :func:`default_display` shows each so that it reads.
    """
    return Bank(
        filters=tuple(Filter(name=n, kernel=get_preset(n).kernel) for n in STARTER_FILTERS),
        layer=Layer(),
    )


def suggested_mapping(kernel) -> str | None:
    """How a map of ``kernel`` reads best when the default would not: ``"abs"`` for a kernel
    with weights of both signs that sum to zero (an edge or outline detector: its map is near
    zero on flat ground and strong on either side of an edge, so ``minmax`` would show a grey
    relief of the picture); None otherwise."""
    k = np.asarray(kernel, dtype=np.float64)
    if k.size == 0 or not (k.max() > 0 > k.min()):
        return None
    return "abs" if abs(float(k.sum())) <= 1e-6 * float(np.abs(k).sum()) else None


def default_display(bank: Bank) -> DisplayState:
    """The display a bank opens with: the default mapping, and :func:`suggested_mapping` for
    the filters it names (the edge detectors of the starter bank show as strength of edge)."""
    overrides = tuple(
        (f.uid, mapping, None)
        for f in bank.filters
        if (mapping := suggested_mapping(f.kernel)) is not None
    )
    return DisplayState(per_filter=overrides)
