"""The studio controller: the only place that changes the studio's state, told by signals.

Widgets and scripts call the edit methods; the controller pushes an undo command, asks the
ledger which maps need computing, submits those to the compute thread, and applies the answers
the ledger lets through. Every signal carries the data a view needs, so no view reads the
controller back after one.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import replace

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal
from PySide6.QtGui import QUndoStack

from ..compute.ledger import Ledger
from ..compute.requests import (
    DEFAULT_DISPLAY_SIDE,
    CombineRequest,
    ComputeRequest,
    ComputeResult,
    MapKey,
)
from ..core.kernels import get_preset
from ..model.bank import MAX_FILTERS, Bank, Filter
from ..model.studio import (
    BankChange,
    DerivedMap,
    DisplayState,
    ImageState,
    bank_change,
    filter_at,
    make_derived,
    suggested_mapping,
)
from .undo import BankCommand
from .worker import ComputeWorker


class StudioController(QObject):
    """State of one studio and the only place that changes it.

    Signals
    -------
    bankChanged(BankChange)
        The bank was replaced; the change names the filters added, removed, changed, renamed.
    selectionChanged(int)
        The selected position moved (not emitted when an edit keeps it).
    imageChanged(ImageState | None)
        A new picture (every map is asked for again).
    displayChanged(DisplayState)
        How maps are shown changed.
    derivedChanged(tuple[DerivedMap, ...])
        The combined maps shown, in panel order.
    resultApplied(ComputeResult)
        A map's answer (or a preview of it, or its error) is now the one shown.
    progressChanged(int, int)
        Maps shown at their newest state, out of the enabled filters.
    mapsUpdated(float)
        Every map is current; seconds since the edit (or picture) that asked for the last map.
    mapsCurrent()
        Every map is current (after :attr:`mapsUpdated`).
    busyChanged(bool), message(str), dirtyChanged(bool)
    """

    bankChanged = Signal(object)
    selectionChanged = Signal(int)
    imageChanged = Signal(object)
    displayChanged = Signal(object)
    derivedChanged = Signal(object)
    resultApplied = Signal(object)
    progressChanged = Signal(int, int)
    mapsUpdated = Signal(float)
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
        self._derived: tuple[DerivedMap, ...] = ()
        self._extra_dirty = False
        self._asked_at: float | None = None  # when the newest edit asked for a map
        self.ledger = Ledger()
        self.max_display_side = DEFAULT_DISPLAY_SIDE
        self.worker = ComputeWorker()
        self.worker.resultReady.connect(self._on_worker_result)
        self.worker.busyChanged.connect(self.busyChanged)
        # Results come in bursts (a stride change previews every filter within a few tens of
        # milliseconds). Each is applied in its own pass of the event loop, so paints and input
        # run in between, and a newer result for a map replaces an older one still waiting.
        self._inbox_timer = QTimer(self)
        self._inbox_timer.setSingleShot(True)
        self._inbox_timer.setInterval(0)
        self._inbox_timer.timeout.connect(self._apply_next_result)
        self.worker.start()
        app = QCoreApplication.instance()
        if app is not None:
            # Whatever happens to the window, the thread is stopped before Qt tears down.
            app.aboutToQuit.connect(self.shutdown)

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
        return filter_at(self._bank, self._selected)

    @property
    def derived(self) -> tuple[DerivedMap, ...]:
        return self._derived

    def derived_title(self, d: DerivedMap) -> str:
        names = {f.uid: f.name for f in self._bank.filters}
        return f"{d.op}({names.get(d.a_uid, '?')}, {names.get(d.b_uid, '?')})"

    def result(self, uid: MapKey) -> ComputeResult | None:
        """The answer map ``uid`` shows now (a preview, a full map or an error), or None."""
        return self.ledger.shown(uid)

    def requested_generation(self, uid: MapKey) -> int | None:
        """The generation of the newest request for map ``uid`` (results carry theirs)."""
        return self.ledger.latest(uid)

    def is_current(self) -> bool:
        """True when every enabled filter and combined map shows the map of the newest state."""
        if self._image is None:
            return True
        if not self.ledger.all_final(f.uid for f in self._bank.filters if f.enabled):
            return False
        for d in self._derived:
            if self._final_values(d.a_uid) is None or self._final_values(d.b_uid) is None:
                continue  # a source map failed or is off: nothing to wait for
            if not self.ledger.is_final(d.uid):
                return False
        return True

    def progress(self) -> tuple[int, int]:
        """How many enabled filters show their newest map, out of how many (none without a
        picture: nothing is being computed)."""
        if self._image is None:
            return 0, 0
        live = [f.uid for f in self._bank.filters if f.enabled]
        return sum(1 for u in live if self.ledger.is_final(u)), len(live)

    def is_dirty(self) -> bool:
        return self._extra_dirty or not self.undo_stack.isClean()

    # -- edits (each one undoable) ---------------------------------------------------------
    def push_bank(self, new_bank: Bank, text: str, tag: str = "") -> None:
        if new_bank == self._bank:
            return
        self.undo_stack.push(
            BankCommand(self._set_bank, lambda: self._derived, self._bank, new_bank, text, tag)
        )

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
            suggested = suggested_mapping(new.kernel)
            if suggested is not None:  # an edge detector shows edge strength, as at the start
                self._display = self._display.with_override(new.uid, suggested, None)
                self.displayChanged.emit(self._display)
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
            # The list shows the name typed; tell it the name kept.
            uid = self._bank.filters[index].uid
            self.bankChanged.emit(BankChange(self._bank, renamed=(uid,), selected=self._selected))
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

    # -- combined maps ----------------------------------------------------------------------
    def make_derived(self, a_uid: str, b_uid: str, op: str) -> DerivedMap:
        """A new combined map of the filters ``a_uid`` and ``b_uid`` with a uid of its own.

        Nothing is shown until it is passed to :meth:`load_state`; :meth:`add_derived` shows one
        at once.
        """
        return make_derived(a_uid, b_uid, op)

    def add_derived(self, a_index: int, b_index: int, op: str) -> DerivedMap:
        """Show ``op`` of two filters' maps as a panel of its own (e.g. sobel_x with sobel_y).

        Sessions keep combined maps, so adding one is an unsaved change.
        """
        a, b = self._bank.filters[a_index], self._bank.filters[b_index]
        d = make_derived(a.uid, b.uid, op)
        self._set_derived(self._derived + (d,))
        self._mark_extra_dirty()
        self._schedule_derived()
        return d

    def remove_derived(self, uid: str | None = None) -> None:
        """Remove one combined map, or all of them when ``uid`` is None."""
        kept = tuple(d for d in self._derived if uid is not None and d.uid != uid)
        if kept != self._derived:
            self._set_derived(kept)
            self._mark_extra_dirty()

    # -- display, picture, whole state ----------------------------------------------------
    def set_display(
        self, mapping: str | None = None, colormap: str | None = None, uid: str | None = None
    ) -> None:
        """Change the default mapping (``uid`` None) or one map's mapping ("default" resets)."""
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
        """Show ``state`` as the picture: every map is asked for again, none of the old shown."""
        self._image = state
        self.ledger.new_picture()
        self.imageChanged.emit(state)
        self._schedule()
        self._emit_progress()

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
        display = display or DisplayState()
        if display != self._display:
            self._display = display
            self.displayChanged.emit(display)
        self._selected = max(0, min(selected, len(bank.filters) - 1))
        self._set_bank(bank, tuple(derived), load=True)
        self.undo_stack.clear()
        self._extra_dirty = False
        self.undo_stack.setClean()
        self.dirtyChanged.emit(False)

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
        self.ledger.ask_again()
        self._schedule()

    def shutdown(self) -> None:
        self._inbox_timer.stop()
        self.worker.stop()

    # -- internals ------------------------------------------------------------------------
    def _mark_extra_dirty(self) -> None:
        """A change the undo stack does not hold (display, combined maps) is unsaved."""
        self._extra_dirty = True
        self.dirtyChanged.emit(True)

    def _unique_name(self, base: str) -> str:
        names = {f.name for f in self._bank.filters}
        if base not in names:
            return base
        for n in itertools.count(2):
            cand = f"{base} {n}"
            if cand not in names:
                return cand
        return base  # pragma: no cover

    def _set_derived(self, derived: tuple[DerivedMap, ...]) -> None:
        """Show ``derived`` (those whose two sources are in the bank); forget the others."""
        uids = {f.uid for f in self._bank.filters}
        derived = tuple(d for d in derived if d.a_uid in uids and d.b_uid in uids)
        if derived == self._derived:
            return
        for d in set(self._derived) - set(derived):
            self._forget(d.uid)
        self._derived = derived
        self.derivedChanged.emit(derived)

    def _forget(self, uid: MapKey) -> None:
        self.ledger.forget(uid)
        self.worker.forget(uid)

    def _set_bank(
        self, bank: Bank, derived: tuple[DerivedMap, ...] | None = None, load: bool = False
    ) -> None:
        old = self._bank
        old_sel = self.selected_filter
        self._bank = bank
        live = {f.uid for f in bank.filters}
        if old_sel is not None and old_sel.uid in live and not load:
            index = bank.index_of(old_sel.uid)
        else:
            index = min(self._selected, len(bank.filters) - 1)
        moved = max(index, 0) != self._selected
        self._selected = max(index, 0)
        # A filter removed before its first map has no result yet: look everywhere it may be.
        derived_uids = {d.uid for d in (derived or ()) + self._derived}
        for uid in self.ledger.known() - live - derived_uids:
            self._forget(uid)
        for uid in {f.uid for f in old.filters} - live:
            self.worker.forget(uid)
        self._set_derived(self._derived if derived is None else derived)
        # Views refresh the editor from bankChanged; a selection signal only when the selected
        # position really moved, so an edit costs one refresh, not two.
        self.bankChanged.emit(bank_change(old, bank, self._selected, reload=load))
        if moved or load:
            self.selectionChanged.emit(self._selected)
        self._schedule()
        self._emit_progress()

    def _schedule(self) -> None:
        """Submit every enabled filter whose inputs changed since it was last submitted."""
        img = self._image
        if img is None:
            return
        for f in self._bank.filters:
            if not f.enabled:
                continue
            mapping, cmap, _ = self._display.for_uid(f.uid)
            inputs = (img.key, self._bank.layer, f.content_key(), mapping, cmap,
                      self.max_display_side)  # fmt: skip
            generation = self.ledger.ask(f.uid, inputs)
            if generation is None:
                continue
            self._asked_at = time.perf_counter()
            self.worker.submit(
                ComputeRequest(
                    generation=generation,
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

    def _final_values(self, uid: MapKey) -> ComputeResult | None:
        """The shown answer of ``uid`` if it is the newest request's exact map."""
        res = self.ledger.shown(uid)
        if res is None or res.values is None or not self.ledger.is_final(uid):
            return None
        return res

    def _schedule_derived(self) -> None:
        """Submit each combined map whose two source maps are current and changed."""
        for d in self._derived:
            a, b = self._final_values(d.a_uid), self._final_values(d.b_uid)
            if a is None or b is None:
                continue
            mapping, cmap, _ = self._display.for_uid(d.uid)
            generation = self.ledger.ask(d.uid, (a.generation, b.generation, d.op, mapping, cmap))
            if generation is None:
                continue
            self.worker.submit(
                CombineRequest(
                    generation=generation,
                    uid=d.uid,
                    a_uid=d.a_uid,
                    b_uid=d.b_uid,
                    op=d.op,
                    geometry=a.geometry,
                    mapping=mapping,
                    colormap=cmap,
                    max_display_side=self.max_display_side,
                    image_key=a.image_key,
                )
            )

    def _on_worker_result(self, result: ComputeResult) -> None:
        if self.ledger.receive(result) and not self._inbox_timer.isActive():
            self._inbox_timer.start()

    def _apply_next_result(self) -> None:
        result = self.ledger.next_to_show()
        if result is not None:
            self._show(result)
        if self.ledger.has_inbox():
            self._inbox_timer.start()

    def _show(self, result: ComputeResult) -> None:
        self.resultApplied.emit(result)
        self._schedule_derived()
        if result.error:
            f = next((f for f in self._bank.filters if f.uid == result.uid), None)
            self.message.emit(f"{f.name if f else 'A filter'}: {result.error}")
        self._emit_progress()
        if self.is_current():
            asked, self._asked_at = self._asked_at, None
            if asked is not None:
                self.mapsUpdated.emit(time.perf_counter() - asked)
            self.mapsCurrent.emit()

    def _emit_progress(self) -> None:
        self.progressChanged.emit(*self.progress())

    def _on_undo_clean_changed(self, _clean: bool) -> None:
        self.dirtyChanged.emit(self.is_dirty())


def _tag(tag: str, f: Filter) -> str:
    return f"{f.uid}:{tag}" if tag else ""
