"""The studio controller: owns the session state, the undo stack and the compute worker."""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from ..core.kernels import get_preset
from ..model.bank import MAX_FILTERS, Bank, Filter, Layer
from .worker import (
    DEFAULT_DISPLAY_SIDE,
    CombineRequest,
    ComputeRequest,
    ComputeResult,
    ComputeWorker,
)

_image_keys = itertools.count(1)


@dataclass(frozen=True)
class ImageState:
    """The picture every filter reads: a read-only float32 array and where it came from."""

    pixels: np.ndarray
    key: int
    name: str
    path: str | None = None
    sample: str | None = None
    note: str | None = None

    @property
    def mode_label(self) -> str:
        return "RGB" if self.pixels.ndim == 3 else "grey"

    @property
    def size_label(self) -> str:
        h, w = self.pixels.shape[:2]
        return f"{w}x{h}"


def make_image_state(pixels: np.ndarray, name: str, **kwargs) -> ImageState:
    arr = np.array(pixels, dtype=np.float32, copy=True)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0].copy()
    arr.setflags(write=False)
    return ImageState(pixels=arr, key=next(_image_keys), name=name, **kwargs)


@dataclass(frozen=True)
class DisplayState:
    """How maps become pixels: a default mapping and colour map, overridden per filter uid."""

    mapping: str = "minmax"
    colormap: str | None = None
    per_filter: tuple[tuple[str, str, str | None], ...] = field(default_factory=tuple)

    def for_uid(self, uid: str) -> tuple[str, str | None, bool]:
        for u, mapping, cmap in self.per_filter:
            if u == uid:
                return mapping, cmap, True
        return self.mapping, self.colormap, False

    def with_override(self, uid: str, mapping: str | None, colormap: str | None) -> DisplayState:
        rest = tuple(p for p in self.per_filter if p[0] != uid)
        if mapping is None or mapping == "default":
            return replace(self, per_filter=rest)
        return replace(self, per_filter=rest + ((uid, mapping, colormap),))


@dataclass(frozen=True)
class DerivedMap:
    """A map made from two filters' maps: ``op`` is magnitude, sum or maximum."""

    uid: str
    a_uid: str
    b_uid: str
    op: str


class BankCommand(QUndoCommand):
    """One undoable change of the bank; consecutive edits with the same merge tag fold into one."""

    MERGE_ID = 4242
    MERGE_SECONDS = 1.5

    def __init__(
        self, controller: StudioController, before: Bank, after: Bank, text: str, tag: str
    ):
        super().__init__(text)
        self._controller = controller
        self.before = before
        self.after = after
        # Combined maps go with a filter they are made from; undo brings them back with it.
        self.derived_before = controller.derived
        self.tag = tag
        self.stamp = time.monotonic()

    def id(self) -> int:  # noqa: A003 - Qt's name
        return self.MERGE_ID if self.tag else -1

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt's name
        if not isinstance(other, BankCommand) or not self.tag or other.tag != self.tag:
            return False
        # A pause longer than MERGE_SECONDS starts a new undo step: two separate scrubs of one
        # cell are two steps, one continuous scrub is one.
        if other.stamp - self.stamp > self.MERGE_SECONDS:
            return False
        self.after = other.after
        self.stamp = other.stamp
        return True

    def redo(self) -> None:
        self._controller._set_bank(self.after)

    def undo(self) -> None:
        # Bring back the combined maps this step dropped; keep any made since.
        now = list(self._controller.derived)
        for index, d in enumerate(self.derived_before):
            if d not in now:
                now.insert(min(index, len(now)), d)
        self._controller._set_bank(self.before, derived=tuple(now))


class StudioController(QObject):
    """State of one studio session and the only place that changes it.

    Widgets call the edit methods; the controller pushes an undo command, submits the filters
    whose inputs changed to the worker, and tells the window through signals.
    """

    bankChanged = Signal(object)  # Bank
    selectionChanged = Signal(int)
    imageChanged = Signal(object)  # ImageState | None
    displayChanged = Signal(object)  # DisplayState
    resultApplied = Signal(str)  # filter uid or derived-map uid
    derivedChanged = Signal()
    mapsCurrent = Signal()
    busyChanged = Signal(bool)
    message = Signal(str)
    dirtyChanged = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._on_undo_clean_changed)
        self._bank = Bank()
        self._image: ImageState | None = None
        self._display = DisplayState()
        self._selected = 0
        self._generation = itertools.count(1)
        self._floor = 0  # results asked for before the picture changed are never shown
        self._latest: dict[str, int] = {}  # uid -> newest generation asked for
        self._submitted_keys: dict[str, tuple] = {}
        self._results: dict[str, ComputeResult] = {}
        self._extra_dirty = False
        self._derived: tuple[DerivedMap, ...] = ()
        self._derived_ids = itertools.count(1)
        self.worker = ComputeWorker()
        self.worker.resultReady.connect(self._on_worker_result)
        # Results come in bursts (a stride change previews every filter within a few tens of
        # milliseconds). Each is applied in its own pass of the event loop, so paints and input
        # run in between, and a newer result for a map replaces an older one still waiting.
        self._inbox: dict[str, ComputeResult] = {}
        self._inbox_timer = QTimer(self)
        self._inbox_timer.setSingleShot(True)
        self._inbox_timer.setInterval(0)
        self._inbox_timer.timeout.connect(self._apply_next_result)
        self.worker.busyChanged.connect(self.busyChanged)
        self.worker.start()
        app = QCoreApplication.instance()
        if app is not None:
            # Whatever happens to the window, the thread is stopped before Qt tears down.
            app.aboutToQuit.connect(self.shutdown)
        self.max_display_side = DEFAULT_DISPLAY_SIDE

    # -- reading state -------------------------------------------------------------------
    @property
    def bank(self) -> Bank:
        return self._bank

    @property
    def image(self) -> ImageState | None:
        return self._image

    @property
    def display(self) -> DisplayState:
        return self._display

    @property
    def selected_index(self) -> int:
        return self._selected

    @property
    def selected_filter(self) -> Filter | None:
        if 0 <= self._selected < len(self._bank.filters):
            return self._bank.filters[self._selected]
        return None

    @property
    def derived(self) -> tuple[DerivedMap, ...]:
        return self._derived

    def derived_title(self, d: DerivedMap) -> str:
        names = {f.uid: f.name for f in self._bank.filters}
        return f"{d.op}({names.get(d.a_uid, '?')}, {names.get(d.b_uid, '?')})"

    def make_derived(self, a_uid: str, b_uid: str, op: str) -> DerivedMap:
        """A new combined map of the filters ``a_uid`` and ``b_uid`` with a uid of its own.

        Nothing is shown until it is passed to :meth:`load_state`; :meth:`add_derived` shows one
        at once.
        """
        from ..core.combine import COMBINE_OPS

        if op not in COMBINE_OPS:
            raise ValueError(
                f"Unknown way to combine maps {op!r}; choose {', '.join(COMBINE_OPS)}."
            )
        return DerivedMap(uid=f"d{next(self._derived_ids)}", a_uid=a_uid, b_uid=b_uid, op=op)

    def add_derived(self, a_index: int, b_index: int, op: str) -> DerivedMap:
        """Show ``op`` of two filters' maps as a panel of its own (e.g. sobel_x with sobel_y).

        Sessions keep combined maps, so adding one is an unsaved change.
        """
        a, b = self._bank.filters[a_index], self._bank.filters[b_index]
        d = self.make_derived(a.uid, b.uid, op)
        self._derived = self._derived + (d,)
        self._mark_extra_dirty()
        self.derivedChanged.emit()
        self._schedule_derived()
        return d

    def remove_derived(self, uid: str | None = None) -> None:
        """Remove one combined map, or all of them when ``uid`` is None."""
        gone = [d for d in self._derived if uid is None or d.uid == uid]
        self._derived = tuple(d for d in self._derived if d not in gone)
        for d in gone:
            self._results.pop(d.uid, None)
            self._latest.pop(d.uid, None)
            self._submitted_keys.pop(d.uid, None)
        if gone:
            self._mark_extra_dirty()
        self.derivedChanged.emit()

    def result(self, uid: str) -> ComputeResult | None:
        return self._results.get(uid)

    def is_current(self) -> bool:
        """True when every enabled filter shows the map of the newest state."""
        if self._image is None:
            return True
        for f in self._bank.filters:
            if not f.enabled:
                continue
            if not self._is_final(f.uid):
                return False
        for d in self._derived:
            if self._filter_current(d.a_uid) is None or self._filter_current(d.b_uid) is None:
                continue  # a source map failed or is off: nothing to wait for
            if not self._is_final(d.uid):
                return False
        return True

    def _is_final(self, uid: str) -> bool:
        """The newest request's full-resolution answer (or its error) has arrived."""
        res = self._results.get(uid)
        return res is not None and res.generation == self._latest.get(uid) and res.preview == 1

    def progress(self) -> tuple[int, int]:
        """How many enabled filters show their newest map, out of how many."""
        live = [f for f in self._bank.filters if f.enabled]
        done = sum(1 for f in live if self._is_final(f.uid))
        return done, len(live)

    def is_dirty(self) -> bool:
        return self._extra_dirty or not self.undo_stack.isClean()

    # -- edits (each one undoable) ---------------------------------------------------------
    def push_bank(self, new_bank: Bank, text: str, tag: str = "") -> None:
        if new_bank == self._bank:
            return
        self.undo_stack.push(BankCommand(self, self._bank, new_bank, text, tag))

    def set_kernel(self, index: int, kernel, tag: str = "") -> None:
        f = self._bank.filters[index]
        self.push_bank(
            self._bank.with_filter(index, f.with_kernel(kernel)), f"Edit {f.name}", _tag(tag, f)
        )

    def set_filter_fields(self, index: int, tag: str = "", **changes) -> None:
        f = self._bank.filters[index]
        what = ", ".join(changes)
        self.push_bank(
            self._bank.with_filter_changes(index, **changes),
            f"Change {what} of {f.name}",
            _tag(tag, f),
        )

    def set_layer(self, tag: str = "", **changes) -> None:
        what = ", ".join(k.replace("_", " ") for k in changes)
        self.push_bank(self._bank.with_layer(**changes), f"Change {what}", tag and f"layer:{tag}")

    def add_filter(self, preset: str | Filter = "identity", index: int | None = None) -> None:
        if len(self._bank.filters) >= MAX_FILTERS:
            self.message.emit(f"A bank holds at most {MAX_FILTERS} filters.")
            return
        if isinstance(preset, Filter):
            new = preset
        else:
            p = get_preset(preset)
            new = Filter(name=self._unique_name(p.name), kernel=p.kernel)
        at = len(self._bank.filters) if index is None else index
        self.push_bank(self._bank.adding(new, at), f"Add {new.name}")
        self.select(at)

    def duplicate_filter(self, index: int) -> None:
        if len(self._bank.filters) >= MAX_FILTERS:
            self.message.emit(f"A bank holds at most {MAX_FILTERS} filters.")
            return
        f = self._bank.filters[index]
        self.push_bank(
            self._bank.adding(f.duplicate(self._unique_name(f.name)), index + 1),
            f"Duplicate {f.name}",
        )
        self.select(index + 1)

    def remove_filter(self, index: int) -> None:
        if len(self._bank.filters) <= 1:
            self.message.emit("The bank keeps at least one filter.")
            return
        f = self._bank.filters[index]
        self.push_bank(self._bank.removing(index), f"Remove {f.name}")

    def rename_filter(self, index: int, name: str) -> None:
        name = name.strip()
        if not name:
            self.message.emit("A filter needs a name.")
            self.bankChanged.emit(self._bank)
            return
        self.set_filter_fields(index, name=name)

    def move_filter(self, index: int, new_index: int) -> None:
        if not 0 <= new_index < len(self._bank.filters) or new_index == index:
            return
        uid = self._bank.filters[index].uid
        self.push_bank(
            self._bank.moving(index, new_index), f"Move {self._bank.filters[index].name}"
        )
        self.select(self._bank.index_of(uid))

    def replace_bank(self, bank: Bank, text: str = "Load filters") -> None:
        self.push_bank(bank, text)
        self.select(min(self._selected, len(bank.filters) - 1))

    def select(self, index: int) -> None:
        index = max(0, min(index, len(self._bank.filters) - 1))
        if index != self._selected:
            self._selected = index
            self.selectionChanged.emit(index)

    def set_display(
        self, mapping: str | None = None, colormap: str | None = None, uid: str | None = None
    ) -> None:
        """Change the default mapping (``uid`` None) or one filter's mapping ("default" resets)."""
        if uid is None:
            new = replace(
                self._display, mapping=mapping or self._display.mapping, colormap=colormap
            )
        else:
            new = self._display.with_override(uid, mapping, colormap)
        if new != self._display:
            self._display = new
            self._mark_extra_dirty()
            self.displayChanged.emit(new)
            self._schedule()
            self._schedule_derived()

    def set_image(self, state: ImageState | None) -> None:
        self._image = state
        self._floor = next(self._generation)
        self._results.clear()
        self.imageChanged.emit(state)
        self._schedule()

    def load_state(
        self,
        bank: Bank,
        display: DisplayState | None = None,
        selected: int = 0,
        derived: Sequence[DerivedMap] = (),
    ) -> None:
        """Replace everything (opening a session): not undoable, and the result is clean.

        ``derived`` are the combined maps to show, made by :meth:`make_derived` from the uids
        of ``bank``'s filters; ``display`` may hold their mappings under their uids.
        """
        self._display = display or DisplayState()
        had_derived = self._derived
        # Before the bank: _set_bank keeps the maps whose sources are in the new bank and drops
        # every cached result of the old ones.
        self._derived = tuple(derived)
        self._set_bank(bank)
        if self._derived != had_derived:
            self.derivedChanged.emit()
        self.undo_stack.clear()
        self._extra_dirty = False
        self.undo_stack.setClean()
        self.displayChanged.emit(self._display)
        self._selected = -1
        self.select(selected)
        self.dirtyChanged.emit(False)

    def _mark_extra_dirty(self) -> None:
        """A change the undo stack does not hold (display, combined maps) is unsaved."""
        self._extra_dirty = True
        self.dirtyChanged.emit(True)

    def mark_clean(self) -> None:
        self._extra_dirty = False
        self.undo_stack.setClean()
        self.dirtyChanged.emit(False)

    def set_display_side(self, side: int) -> None:
        """Make display copies about ``side`` pixels on their longer side (the panels' size).

        Only the 8-bit copies are redone; exact maps are kept.
        """
        side = int(max(256, min(4096, side)))
        if side != self.max_display_side:
            self.max_display_side = side
            self._schedule()

    def recompute_all(self) -> None:
        self._submitted_keys.clear()
        self._schedule()

    def shutdown(self) -> None:
        self._inbox_timer.stop()
        self._inbox.clear()
        self.worker.stop()

    # -- internals ------------------------------------------------------------------------
    def _unique_name(self, base: str) -> str:
        names = {f.name for f in self._bank.filters}
        if base not in names:
            return base
        for n in itertools.count(2):
            cand = f"{base} {n}"
            if cand not in names:
                return cand
        return base  # pragma: no cover

    def _set_bank(self, bank: Bank, derived: tuple[DerivedMap, ...] | None = None) -> None:
        old_sel = self.selected_filter
        self._bank = bank
        if derived is not None and derived != self._derived:
            uids = {f.uid for f in bank.filters}
            self._derived = tuple(d for d in derived if d.a_uid in uids and d.b_uid in uids)
            self.derivedChanged.emit()
        live = {f.uid for f in bank.filters} | {d.uid for d in self._derived}
        # A filter removed before its first map has no result yet: look everywhere it may be.
        for uid in set(self._results) | set(self._latest) | set(self._submitted_keys):
            if uid not in live:
                self._results.pop(uid, None)
                self._latest.pop(uid, None)
                self._submitted_keys.pop(uid, None)
                self.worker.forget(uid)
        if any(d.a_uid not in live or d.b_uid not in live for d in self._derived):
            self._derived = tuple(d for d in self._derived if d.a_uid in live and d.b_uid in live)
            self.derivedChanged.emit()
        if old_sel is not None and old_sel.uid in live:
            idx = bank.index_of(old_sel.uid)
        else:
            idx = min(self._selected, len(bank.filters) - 1)
        moved = max(idx, 0) != self._selected
        self._selected = max(idx, 0)
        # The window refreshes the editor from bankChanged; a selection signal only when the
        # selected position really moved, so an edit costs one refresh, not two.
        self.bankChanged.emit(bank)
        if moved:
            self.selectionChanged.emit(self._selected)
        self._schedule()

    def _schedule(self) -> None:
        """Submit every enabled filter whose inputs changed since it was last submitted."""
        if self._image is None:
            return
        img = self._image
        for f in self._bank.filters:
            if not f.enabled:
                continue
            mapping, cmap, _ = self._display.for_uid(f.uid)
            key = (img.key, self._bank.layer, f.content_key(), mapping, cmap, self.max_display_side)
            if self._submitted_keys.get(f.uid) == key and f.uid in self._latest:
                continue
            gen = next(self._generation)
            self._latest[f.uid] = gen
            self._submitted_keys[f.uid] = key
            self.worker.submit(
                ComputeRequest(
                    generation=gen,
                    uid=f.uid,
                    image_key=img.key,
                    image=img.pixels,
                    flt=f,
                    layer=self._bank.layer,
                    mapping=mapping,
                    colormap=cmap,
                    max_display_side=self.max_display_side,
                )
            )

    def _filter_current(self, uid: str) -> ComputeResult | None:
        res = self._results.get(uid)
        if not self._is_final(uid) or res.values is None:
            return None
        return res

    def _schedule_derived(self) -> None:
        """Submit each combined map whose two source maps are current and changed."""
        for d in self._derived:
            a, b = self._filter_current(d.a_uid), self._filter_current(d.b_uid)
            if a is None or b is None:
                continue
            mapping, cmap, _ = self._display.for_uid(d.uid)
            key = (a.generation, b.generation, d.op, mapping, cmap)
            if self._submitted_keys.get(d.uid) == key:
                continue
            gen = next(self._generation)
            self._latest[d.uid] = gen
            self._submitted_keys[d.uid] = key
            self.worker.submit(
                CombineRequest(
                    generation=gen,
                    uid=d.uid,
                    a_uid=d.a_uid,
                    b_uid=d.b_uid,
                    op=d.op,
                    geometry=a.geometry,
                    mapping=mapping,
                    colormap=cmap,
                    max_display_side=self.max_display_side,
                )
            )

    def _on_worker_result(self, result: ComputeResult) -> None:
        waiting = self._inbox.get(result.uid)
        if waiting is None or (result.generation, -result.preview) > (
            waiting.generation,
            -waiting.preview,
        ):
            self._inbox[result.uid] = result
        if not self._inbox_timer.isActive():
            self._inbox_timer.start()

    def _apply_next_result(self) -> None:
        if self._inbox:
            uid = next(iter(self._inbox))
            self._apply_result(self._inbox.pop(uid))
        if self._inbox:
            self._inbox_timer.start()

    def _apply_result(self, result: ComputeResult) -> None:
        latest = self._latest.get(result.uid)
        shown = self._results.get(result.uid)
        if latest is None or result.generation > latest or result.generation < self._floor:
            return  # the filter is gone, or the picture changed since it was asked for
        if shown is not None and (
            result.generation < shown.generation
            or (result.generation == shown.generation and result.preview > shown.preview)
        ):
            return  # stale: the panel already shows something newer
        self._results[result.uid] = result
        self.resultApplied.emit(result.uid)
        self._schedule_derived()
        if result.error:
            f = next((f for f in self._bank.filters if f.uid == result.uid), None)
            self.message.emit(f"{f.name if f else 'A filter'}: {result.error}")
        if self.is_current():
            self.mapsCurrent.emit()

    def _on_undo_clean_changed(self, clean: bool) -> None:
        self.dirtyChanged.emit(self.is_dirty())


def _tag(tag: str, f: Filter) -> str:
    return f"{f.uid}:{tag}" if tag else ""


def default_bank() -> Bank:
    """The starter bank: line detectors, an edge detector and a blur, visible at once."""
    names = ("vertical_line", "horizontal_line", "sobel_x", "gaussian_blur")
    return Bank(
        filters=tuple(Filter(name=n, kernel=get_preset(n).kernel) for n in names), layer=Layer()
    )


def image_name(path: str | Path) -> str:
    return Path(path).name
