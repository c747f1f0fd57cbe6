"""The studio controller: the only place that changes the studio's state, told by signals.

Widgets and scripts call the edit methods; the controller pushes an undo command, asks the
ledger which maps need computing (``compute.stack_plan``: the bank's maps, then each later
stage's once the maps it reads are exact), submits those to the compute thread, and applies
the answers the ledger lets through. Every signal carries the data a view needs, so no view
reads the controller back after one.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import replace

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal
from PySide6.QtGui import QUndoStack

from ..compute.ledger import Ledger
from ..compute.requests import DEFAULT_DISPLAY_SIDE, CombineRequest, ComputeResult, MapKey
from ..compute.stack_plan import expected_maps, plan_stack, stale_keys
from ..core.errors import sentence
from ..core.kernels import get_preset
from ..model import stack_edits
from ..model.bank import MAX_FILTERS, Bank, Filter
from ..model.stack import Stack
from ..model.studio import (
    BankChange,
    DerivedMap,
    DisplayState,
    ImageState,
    filter_at,
    make_derived,
    stack_change,
    suggested_mapping,
)
from .undo import StackCommand
from .worker import ComputeWorker


class StudioController(QObject):
    """State of one studio and the only place that changes it.

    Signals
    -------
    bankChanged(BankChange)
        The stack (its bank first) was replaced; the change names the filters added, removed,
        changed, renamed, and the stages changed (``change.stages``).
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
    mapsWaiting(tuple[str, ...])
        Maps of later stages whose old answer is no longer right: they wait for the maps they
        read and are asked for again once those are exact (show them as updating).
    progressChanged(int, int)
        Maps shown at their newest state, out of all maps of the stack (enabled filters').
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
    mapsWaiting = Signal(object)
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
        self._stack = Stack.of(Bank())
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
        """The stack's first stage: the filters that read the picture."""
        return self._stack.bank

    @property
    def stack(self) -> Stack:
        """The whole stack (immutable): the bank, then any later conv and pooling stages."""
        return self._stack

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
        return filter_at(self.bank, self._selected)

    @property
    def derived(self) -> tuple[DerivedMap, ...]:
        return self._derived

    def derived_title(self, d: DerivedMap) -> str:
        names = {f.uid: f.name for f in self.bank.filters}
        return f"{d.op}({names.get(d.a_uid, '?')}, {names.get(d.b_uid, '?')})"

    def result(self, uid: MapKey) -> ComputeResult | None:
        """The answer map ``uid`` of any stage shows now (a preview, a full map or an error),
        or None (a later stage's map waiting for the maps it reads has none)."""
        return self.ledger.shown(uid)

    def map_key(self, stage: int, index: int) -> MapKey:
        """The key of map ``index`` of ``stage`` (0 is the bank; see ``Stack.map_keys``)."""
        return self._stack.map_keys(stage)[index]

    def stage_result(self, stage: int, index: int) -> ComputeResult | None:
        """:meth:`result` of map ``index`` of ``stage``."""
        return self.result(self.map_key(stage, index))

    def requested_generation(self, uid: MapKey) -> int | None:
        """The generation of the newest request for map ``uid`` (results carry theirs)."""
        return self.ledger.latest(uid)

    def is_current(self) -> bool:
        """True when every map of every stage (enabled filters') and every combined map shows
        the map of the newest state."""
        if self._image is None:
            return True
        if not self.ledger.all_final(expected_maps(self._stack)):
            return False
        for d in self._derived:
            if self._final_values(d.a_uid) is None or self._final_values(d.b_uid) is None:
                continue  # a source map failed or is off: nothing to wait for
            if not self.ledger.is_final(d.uid):
                return False
        return True

    def progress(self) -> tuple[int, int]:
        """How many maps of the stack show their newest state, out of how many (none without a
        picture: nothing is being computed)."""
        if self._image is None:
            return 0, 0
        live = expected_maps(self._stack)
        return sum(1 for u in live if self.ledger.is_final(u)), len(live)

    def is_dirty(self) -> bool:
        return self._extra_dirty or not self.undo_stack.isClean()

    # -- edits (each one undoable) ---------------------------------------------------------
    def push_bank(self, new_bank: Bank, text: str, tag: str = "") -> None:
        """Replace the first stage by ``new_bank`` (later stages follow its maps), undoably."""
        self.push_stack(self._stack.with_bank(new_bank), text, tag)

    def push_stack(self, new_stack: Stack, text: str, tag: str = "") -> None:
        """Replace the whole stack, as one undo step (``tag``: scrubs fold into one)."""
        if new_stack == self._stack:
            return
        self.undo_stack.push(
            StackCommand(self._set_stack, lambda: self._derived, self._stack, new_stack, text, tag)
        )

    def set_kernel(self, index: int, kernel, tag: str = "") -> None:
        f = self.bank.filters[index]
        self.push_bank(
            self.bank.with_filter(index, f.with_kernel(kernel)), f"Edit {f.name}", _tag(tag, f)
        )

    def set_filter_fields(self, index: int, tag: str = "", **changes) -> None:
        f = self.bank.filters[index]
        what = ", ".join(changes)
        self.push_bank(
            self.bank.with_filter_changes(index, **changes),
            f"Change {what} of {f.name}",
            _tag(tag, f),
        )

    def set_layer(self, tag: str = "", **changes) -> None:
        what = ", ".join(k.replace("_", " ") for k in changes)
        self.push_bank(self.bank.with_layer(**changes), f"Change {what}", tag and f"layer:{tag}")

    # -- stages of the stack (each one undoable; False and a message when refused) ---------
    def add_stage(self, kind: str, after: int | None = None, **settings) -> bool:
        """Add a ``"conv"`` stage (filters as deep as the maps it reads) or a ``"pool"`` stage
        (2x2 max unless ``settings`` say otherwise) after stage ``after`` (default: last)."""
        return self._edit(stack_edits.add_stage, kind, after, **settings)

    def remove_stage(self, stage: int) -> bool:
        return self._edit(stack_edits.remove_stage, stage)

    def set_stage(self, stage: int, tag: str = "", **settings) -> bool:
        """A stage's shared settings: a conv stage's ``stride``, ``padding``, ``border``,
        ``cval``, ``dilation``; a pooling stage's ``mode``, ``size``, ``stride``, ``padding``."""
        return self._edit(stack_edits.set_stage, stage, tag, **settings)

    def set_stage_kernel(self, stage: int, index: int, kernel, tag: str = "") -> bool:
        """Filter ``index`` of conv stage ``stage`` gets ``kernel`` (``(kh, kw, C_in)``)."""
        return self._edit(stack_edits.set_stage_kernel, stage, index, kernel, tag)

    def set_stage_filter(self, stage: int, index: int, tag: str = "", **changes) -> bool:
        """A filter's ``name``, ``bias``, ``activation`` or ``enabled`` in any conv stage."""
        return self._edit(stack_edits.set_stage_filter, stage, index, tag, **changes)

    def add_stage_filter(self, stage: int, kernel=None, name: str | None = None) -> bool:
        """A filter added to conv stage ``stage`` (random weights of the right depth unless
        ``kernel`` is given); the next conv stage gets a zero slice for its map."""
        return self._edit(stack_edits.add_stage_filter, stage, kernel, name)

    def remove_stage_filter(self, stage: int, index: int) -> bool:
        return self._edit(stack_edits.remove_stage_filter, stage, index)

    def _edit(self, make, *args, **kwargs) -> bool:
        try:
            edit = make(self._stack, *args, **kwargs)
        except (ValueError, TypeError) as exc:
            self.message.emit(sentence(exc))
            return False
        self.push_stack(edit.stack, edit.text, edit.tag)
        if edit.note:
            self.message.emit(edit.note)
        return True

    def add_filter(self, preset: str | Filter = "identity", index: int | None = None) -> None:
        if len(self.bank.filters) >= MAX_FILTERS:
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
        at = len(self.bank.filters) if index is None else index
        self.push_bank(self.bank.adding(new, at), f"Add {new.name}")
        self.select(at)

    def duplicate_filter(self, index: int) -> None:
        if len(self.bank.filters) >= MAX_FILTERS:
            self.message.emit(f"A bank holds at most {MAX_FILTERS} filters.")
            return
        f = self.bank.filters[index]
        self.push_bank(
            self.bank.adding(f.duplicate(self._unique_name(f.name)), index + 1),
            f"Duplicate {f.name}",
        )
        self.select(index + 1)

    def remove_filter(self, index: int) -> None:
        if len(self.bank.filters) <= 1:
            self.message.emit("The bank keeps at least one filter.")
            return
        f = self.bank.filters[index]
        self.push_bank(self.bank.removing(index), f"Remove {f.name}")

    def rename_filter(self, index: int, name: str) -> None:
        name = name.strip()
        if not name:
            self.message.emit("A filter needs a name.")
            # The list shows the name typed; tell it the name kept.
            uid = self.bank.filters[index].uid
            change = BankChange(self.bank, renamed=(uid,), selected=self._selected, stack=self._stack)
            self.bankChanged.emit(change)
            return
        self.set_filter_fields(index, name=name)

    def move_filter(self, index: int, new_index: int) -> None:
        if not 0 <= new_index < len(self.bank.filters) or new_index == index:
            return
        uid = self.bank.filters[index].uid
        self.push_bank(
            self.bank.moving(index, new_index), f"Move {self.bank.filters[index].name}"
        )
        self.select(self.bank.index_of(uid))

    def replace_bank(self, bank: Bank | Stack, text: str = "Load filters") -> None:
        """Replace the bank (later stages kept, following its maps) or, given a stack, all."""
        if isinstance(bank, Stack):
            self.push_stack(bank, text)
        else:
            self.push_bank(bank, text)
        self.select(min(self._selected, len(self.bank.filters) - 1))

    def select(self, index: int) -> None:
        index = max(0, min(index, len(self.bank.filters) - 1))
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
        a, b = self.bank.filters[a_index], self.bank.filters[b_index]
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
        bank: Bank | Stack,
        display: DisplayState | None = None,
        selected: int = 0,
        derived: Sequence[DerivedMap] = (),
    ) -> None:
        """Replace everything (opening a session): not undoable, and the result is clean.

        ``bank`` is a bank or a whole stack. ``derived`` are the combined maps to show, made by
        :meth:`make_derived` from the uids of the bank's filters; ``display`` may hold their
        mappings under their uids.
        """
        stack = bank if isinstance(bank, Stack) else Stack.of(bank)
        display = display or DisplayState()
        if display != self._display:
            self._display = display
            self.displayChanged.emit(display)
        self._selected = max(0, min(selected, len(stack.bank.filters) - 1))
        self._set_stack(stack, tuple(derived), load=True)
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
        names = {f.name for f in self.bank.filters}
        if base not in names:
            return base
        for n in itertools.count(2):
            cand = f"{base} {n}"
            if cand not in names:
                return cand
        return base  # pragma: no cover

    def _set_derived(self, derived: tuple[DerivedMap, ...]) -> None:
        """Show ``derived`` (those whose two sources are in the bank); forget the others."""
        uids = {f.uid for f in self.bank.filters}
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

    def _set_stack(
        self, stack: Stack, derived: tuple[DerivedMap, ...] | None = None, load: bool = False
    ) -> None:
        old_stack = self._stack
        old_sel = self.selected_filter
        self._stack = stack
        bank = stack.bank
        live = {f.uid for f in bank.filters}
        if old_sel is not None and old_sel.uid in live and not load:
            index = bank.index_of(old_sel.uid)
        else:
            index = min(self._selected, len(bank.filters) - 1)
        moved = max(index, 0) != self._selected
        self._selected = max(index, 0)
        # A filter removed before its first map has no result yet: look everywhere it may be.
        derived_uids = {d.uid for d in (derived or ()) + self._derived}
        for uid in stale_keys(self.ledger, stack, derived_uids):
            self._forget(uid)
        old_keys = {key for k in range(len(old_stack)) for key in old_stack.map_keys(k)}
        for uid in old_keys - {key for k in range(len(stack)) for key in stack.map_keys(k)}:
            self.worker.forget(uid)
        self._set_derived(self._derived if derived is None else derived)
        # The compute thread starts on the new maps first; the views catch up meanwhile (its
        # answers reach them through the event loop, after this returns).
        held = self._schedule(announce=False)
        # Views refresh the editor from bankChanged; a selection signal only when the selected
        # position really moved, so an edit costs one refresh, not two.
        self.bankChanged.emit(stack_change(old_stack, stack, self._selected, reload=load))
        if moved or load:
            self.selectionChanged.emit(self._selected)
        if held:
            self.mapsWaiting.emit(held)
        # A filter switched on again whose answer is still the newest: nothing is asked, so
        # its panel is given that answer again (it said "switched off").
        was_off = {f.uid for f in old_stack.all_filters() if not f.enabled}
        for f in stack.all_filters():
            if f.enabled and f.uid in was_off and self.ledger.is_final(f.uid):
                self.resultApplied.emit(self.ledger.shown(f.uid))
        self._emit_progress()

    def _schedule(self, after_result: bool = False, announce: bool = True) -> tuple[MapKey, ...]:
        """Submit every map whose inputs changed since it was last submitted; hold the maps of
        later stages that wait for the maps they read (``compute.stack_plan``) and return them,
        named in ``mapsWaiting`` too unless ``announce`` is False."""
        plan = plan_stack(
            self._stack, self._image, self._display, self.ledger, self.max_display_side
        )
        for uid in plan.held:
            self.worker.withdraw(uid)  # a request still waiting reads maps that are no more
        if plan.submit and not (after_result and self._asked_at is not None):
            # The time of the edit that asked, not of the later stages that follow its maps.
            self._asked_at = time.perf_counter()
        for request in plan.submit:
            self.worker.submit(request)
        held = tuple(plan.held)
        if held and announce:
            self.mapsWaiting.emit(held)
        return held

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
        if len(self._stack) > 1 and result.is_final:
            self._schedule(after_result=True)  # later stages whose maps are now all exact
        if result.error:
            self.message.emit(f"{self._map_name(result.uid)}: {result.error}")
        self._emit_progress()
        if self.is_current():
            asked, self._asked_at = self._asked_at, None
            if asked is not None:
                self.mapsUpdated.emit(time.perf_counter() - asked)
            self.mapsCurrent.emit()

    def _map_name(self, uid: MapKey) -> str:
        try:
            k, i = self._stack.find_map(uid)
        except KeyError:
            return "A filter"
        name = self._stack.map_labels(k)[i]
        return name if k == 0 else f"Stage {k + 1}, {name}"

    def _emit_progress(self) -> None:
        self.progressChanged.emit(*self.progress())

    def _on_undo_clean_changed(self, _clean: bool) -> None:
        self.dirtyChanged.emit(self.is_dirty())


def _tag(tag: str, f: Filter) -> str:
    return f"{f.uid}:{tag}" if tag else ""
