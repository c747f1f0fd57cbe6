"""The editing side of the window: filter list, kernel editor, layer controls and lesson, kept
in step with the studio and touched only where a change reaches them.

:class:`EditingPresenter` keeps its own copy of what it was pushed (stack, selection, picture)
and forwards what the user does as intents (``kernelEdited``, ``layerEdited``...) with the
selected position attached, so no widget and no presenter reads the controller back. The
widgets show the stage being edited (:mod:`.stages`): the bank, or a later conv stage (its
kernels one slice per map read, its layer without a channel mode), or a pooling stage (its
window settings in place of the layer's, no filters).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Signal

from ..compute.stage_lessons import build_stage_lesson
from ..compute.stagework import StackShapes
from ..core.errors import sentence
from ..core.kernels import get_preset
from ..model.bank import Bank, Filter
from ..model.stack import ConvStage, PoolStage, Stack
from ..model.studio import BankChange, ImageState, filter_at
from .widgets import (
    FilterListWidget,
    KernelEditorWidget,
    LayerControlsWidget,
    LessonWidget,
    PoolControlsWidget,
)


class EditingPresenter(QObject):
    """Pushes state into the editing widgets; turns their signals into the controller's calls.

    ``controller`` is used for edits only (calls going in); what comes out of it arrives by
    the ``on_*`` slots. ``pool_controls`` (shown in place of the layer controls) and
    ``pool_note`` (in place of the filter list and editor) serve a pooling stage.
    """

    message = Signal(str)
    #: The user picked map ``index`` of stage ``k`` in the filter list (a later stage's).
    stageMapChosen = Signal(int, int)

    def __init__(
        self,
        controller,
        filter_list: FilterListWidget,
        editor: KernelEditorWidget,
        layer_controls: LayerControlsWidget,
        lesson: LessonWidget,
        lesson_visible,
        parent: QObject | None = None,
        *,
        pool_controls: PoolControlsWidget | None = None,
        pool_note=None,
    ) -> None:
        super().__init__(parent)
        self._c = controller
        self.filter_list = filter_list
        self.editor = editor
        self.layer_controls = layer_controls
        self.pool_controls = pool_controls
        self.pool_note = pool_note
        self.lesson = lesson
        self._lesson_visible = lesson_visible  # () -> bool: is the Lesson tab showing
        self._bank: Bank | None = None
        self._stack = Stack()
        self._selected = 0
        self._stage = 0  # the stage being edited
        self._stage_sel = 0  # its selected map, for a later stage
        self._image: ImageState | None = None
        self._depth = 0
        self._lesson_stale = True
        self._connect()

    def _connect(self) -> None:
        fl, ke = self.filter_list, self.editor
        ke.kernelEdited.connect(self._on_editor_kernel_edited)
        ke.biasEdited.connect(lambda b, tag: self._edit_selected(tag, bias=b))
        ke.activationEdited.connect(lambda a: self._edit_selected("", activation=a))
        ke.message.connect(self.message)
        self.layer_controls.layerEdited.connect(self._on_layer_controls_edited)
        self.layer_controls.message.connect(self.message)
        if self.pool_controls is not None:
            self.pool_controls.poolEdited.connect(self._on_pool_edited)
            self.pool_controls.message.connect(self.message)
        fl.selectRequested.connect(self._on_list_select)
        fl.addRequested.connect(self._on_list_add)
        fl.duplicateRequested.connect(self.duplicate_filter)
        fl.removeRequested.connect(self.remove_filter)
        fl.renameRequested.connect(self._on_list_rename)
        fl.moveRequested.connect(self._on_list_move)
        fl.enabledToggled.connect(self._on_list_toggled)

    @property
    def selected_filter(self) -> Filter | None:
        if self._stage:
            s = self._stack.stages[self._stage]
            return filter_at(s.bank, self._stage_sel) if isinstance(s, ConvStage) else None
        return None if self._bank is None else filter_at(self._bank, self._selected)

    @property
    def stage(self) -> int:
        """The stage the widgets show."""
        return self._stage

    # -- model -> widgets ------------------------------------------------------------------
    def on_bank_changed(self, change: BankChange) -> None:
        old = self._bank
        self._bank, self._selected, self._stack = change.bank, change.selected, change.stack
        if self._stage:
            if self._stage >= len(self._stack):
                return  # the stages presenter chooses another stage next
            self._show_stage(change, old is None)
            return
        selected = change.selected_filter
        if old is None or change.structure_changed or self._list_differs(old, change):
            self.filter_list.set_bank(change.bank, change.selected)
        if change.layer_changed:
            self.layer_controls.set_layer(change.bank.layer)
            self._set_depth(3 if change.bank.layer.channel_mode == "depth" else 1)
        touched = selected is not None and change.map_changed(selected.uid)
        if touched or old is None or change.structure_changed:
            self.editor.set_filter(selected)
        if touched or change.layer_changed or old is None or change.structure_changed:
            self._update_geometry()
            self._lesson_changed()
        elif change.stages:
            self._lesson_changed()  # the lesson of a later stage reads the bank's maps

    def on_selection_changed(self, index: int) -> None:
        self._selected = index
        if self._stage:
            return
        if self._bank is not None:
            self.filter_list.set_bank(self._bank, index)
        self.editor.set_filter(self.selected_filter)
        self._update_geometry()
        self._lesson_changed()

    def on_stage_selected(self, k: int, index: int) -> None:
        """Show stage ``k`` (0: the bank) with its map ``index`` selected."""
        self._stage, self._stage_sel = int(k), int(index)
        if k == 0:
            self._show_pool(False)
            self.layer_controls.set_channel_mode_shown(True)
            self.editor.set_input_maps(None)
            self._depth = 0
            if self._bank is not None:
                self._set_depth(3 if self._bank.layer.channel_mode == "depth" else 1)
                self.layer_controls.set_layer(self._bank.layer)
                self.filter_list.set_bank(self._bank, self._selected)
            self.editor.set_filter(self.selected_filter)
            self._update_geometry()
            self._lesson_changed()
            return
        self._show_stage(None, True)

    def on_image_changed(self, state: ImageState | None) -> None:
        self._image = state
        self._update_geometry()
        self._lesson_changed()

    def on_tab_changed(self) -> None:
        if self._lesson_stale:
            self._refresh_lesson()

    def _show_stage(self, change: BankChange | None, anew: bool) -> None:
        """The widgets for later stage ``self._stage`` after ``change`` (None: all of them)."""
        k, stack = self._stage, self._stack
        s = stack.stages[k]
        sc = None if change is None else change.stage(s.uid)
        upstream = change is None or any(c.index < k for c in change.stages) or change.layer_changed
        self._show_pool(isinstance(s, PoolStage))
        if isinstance(s, PoolStage):
            if self.pool_controls is not None and (anew or sc is not None or upstream):
                self.pool_controls.set_stage(s, self._in_hw(k))
            if anew or sc is not None or upstream:
                self._lesson_changed()
            return
        self._stage_sel = min(self._stage_sel, len(s.filters) - 1)
        f = s.filters[self._stage_sel]
        if anew or sc is not None:
            self.filter_list.set_bank(s.bank, self._stage_sel)
            self.layer_controls.set_channel_mode_shown(False)
            self.layer_controls.set_layer(s.layer)
            self.editor.set_input_maps(stack.plane_labels(k - 1))
            self.editor.set_filter(f)
        elif upstream:
            self.editor.set_input_maps(stack.plane_labels(k - 1))  # names may have changed
        if anew or sc is not None or upstream:
            self.layer_controls.set_geometry_info(self._in_hw(k), f.size)
            self._lesson_changed()

    def _show_pool(self, pool: bool) -> None:
        if self.pool_controls is None:
            return
        self.filter_list.setVisible(not pool)
        self.editor.setVisible(not pool)
        self.layer_controls.setVisible(not pool)
        self.pool_controls.setVisible(pool)
        if self.pool_note is not None:
            self.pool_note.setVisible(pool)

    def _set_depth(self, depth: int) -> None:
        if depth != self._depth:
            self._depth = depth
            self.editor.set_depth_channels(depth)

    def _in_hw(self, k: int) -> tuple[int, int] | None:
        """The size of the maps stage ``k`` reads (None without a picture)."""
        if self._image is None:
            return None
        try:
            return StackShapes.of(self._stack, self._image.pixels.shape[:2]).in_hw(
                self._stack, k, 0
            )
        except (ValueError, IndexError):
            return None

    def _list_differs(self, old: Bank, change: BankChange) -> bool:
        """Whether a filter the list shows (name, size, on/off) looks different now."""
        if change.renamed:
            return True
        before = {f.uid: f for f in old.filters}
        for f in change.bank.filters:
            if f.uid in change.changed:
                was = before.get(f.uid)
                if was is None or (was.size_label, was.enabled) != (f.size_label, f.enabled):
                    return True
        return False

    def _update_geometry(self) -> None:
        f = self.selected_filter
        if self._stage:
            self.layer_controls.set_geometry_info(
                self._in_hw(self._stage), None if f is None else f.size
            )
            return
        self.layer_controls.set_geometry_info(
            None if self._image is None else self._image.pixels.shape[:2],
            None if f is None else f.size,
        )

    def _lesson_changed(self) -> None:
        self._lesson_stale = True
        self._refresh_lesson()

    def _refresh_lesson(self) -> None:
        """The lesson follows the selected filter (or a later stage's map), built only while
        its tab shows."""
        if not self._lesson_visible():
            return
        img = self._image
        if img is None or self._bank is None:
            return
        self._lesson_stale = False
        if self._stage:
            plan = None
            try:
                plan = build_stage_lesson(img.pixels, self._stack, self._stage, self._stage_sel)
            except ValueError as exc:
                self.lesson.show_problem(sentence(exc))
                return
            self.lesson.set_stage_lesson(plan)
            return
        f = self.selected_filter
        if f is None:
            return
        try:
            self.lesson.set_lesson(img.pixels, f, self._bank.layer)
        except ValueError as exc:
            self.message.emit(sentence(exc))

    # -- commands on the selected filter (menus) -------------------------------------------
    def select_step(self, step: int) -> None:
        """The next (``step`` 1) or previous (-1) filter of the stage being edited."""
        if self._stage:
            n = len(self._stack.map_keys(self._stage))
            i = self._stage_sel + step
            if 0 <= i < n:
                self.stageMapChosen.emit(self._stage, i)
            return
        self._c.select(self._selected + step)

    def duplicate_filter(self, index: int | None = None) -> None:
        i = self._current(index)
        if self._stage:
            s = self._stack.stages[self._stage]
            if isinstance(s, ConvStage) and i is not None:
                f = s.filters[i]
                if self._c.add_stage_filter(self._stage, f.kernel, f"{f.name} copy"):
                    self.stageMapChosen.emit(self._stage, len(s.filters))
            return
        if i is not None:
            self._c.duplicate_filter(i)

    def remove_filter(self, index: int | None = None) -> None:
        i = self._current(index)
        if i is None:
            return
        if self._stage:
            self._c.remove_stage_filter(self._stage, i)
        else:
            self._c.remove_filter(i)

    def _current(self, index: int | None) -> int | None:
        if index is not None:
            return int(index)
        if self._stage and not isinstance(self._stack.stages[self._stage], ConvStage):
            self.message.emit(f"Stage {self._stage + 1} is a pooling stage; it has no filters.")
            return None
        return self._stage_sel if self._stage else self._selected

    # -- widgets -> controller -------------------------------------------------------------
    def _on_list_select(self, i: int) -> None:
        if self._stage:
            self.stageMapChosen.emit(self._stage, i)
        else:
            self._c.select(i)

    def _on_list_add(self, name: str) -> None:
        if not self._stage:
            self._c.add_filter(name)
            return
        # A preset in a later stage looks at the mean of the maps it reads.
        n = self._stack.maps_in(self._stage)
        k2 = np.asarray(get_preset(name).kernel, np.float32)
        kernel = np.repeat(k2[:, :, None] / np.float32(n), n, axis=2)
        s = self._stack.stages[self._stage]
        if self._c.add_stage_filter(self._stage, kernel, name):
            self.stageMapChosen.emit(self._stage, len(s.filters))

    def _on_list_rename(self, i: int, name: str) -> None:
        if not self._stage:
            self._c.rename_filter(i, name)
        elif name.strip():
            self._c.set_stage_filter(self._stage, i, name=name.strip())

    def _on_list_move(self, i: int, j: int) -> None:
        if not self._stage:
            self._c.move_filter(i, j)
            return
        s = self._stack.stages[self._stage]
        if not 0 <= j < len(s.filters) or i == j:
            return
        try:
            moved = self._stack.moving_filter(self._stage, i, j)
        except ValueError as exc:
            self.message.emit(sentence(exc))
            return
        self._c.push_stack(moved, f"Move {s.filters[i].name}")
        self.stageMapChosen.emit(self._stage, j)

    def _on_list_toggled(self, i: int, on: bool) -> None:
        if self._stage:
            self._c.set_stage_filter(self._stage, i, enabled=bool(on))
        else:
            self._c.set_filter_fields(i, enabled=bool(on))

    def _edit_selected(self, tag: str, **changes) -> None:
        if self.selected_filter is None:
            return
        if self._stage:
            self._c.set_stage_filter(self._stage, self._stage_sel, tag, **changes)
        else:
            self._c.set_filter_fields(self._selected, tag, **changes)

    def _on_editor_kernel_edited(self, kernel, tag: str) -> None:
        if self.selected_filter is None:
            return
        if self._stage:
            if not self._c.set_stage_kernel(self._stage, self._stage_sel, kernel, tag):
                self.editor.set_filter(self.selected_filter)
            return
        try:
            self._c.set_kernel(self._selected, kernel, tag)
        except ValueError as exc:
            self.message.emit(sentence(exc))
            self.editor.set_filter(self.selected_filter)

    def _on_layer_controls_edited(self, changes: dict) -> None:
        if self._stage:
            if not self._c.set_stage(self._stage, **changes):
                self.layer_controls.set_layer(self._stack.stages[self._stage].layer)
            return
        try:
            self._c.set_layer(**changes)
        except ValueError as exc:
            self.message.emit(sentence(exc))
            if self._bank is not None:
                self.layer_controls.set_layer(self._bank.layer)

    def _on_pool_edited(self, changes: dict) -> None:
        s = self._stack.stages[self._stage] if self._stage < len(self._stack) else None
        if not isinstance(s, PoolStage):
            return
        if not self._c.set_stage(self._stage, **changes):
            self.pool_controls.set_stage(s, self._in_hw(self._stage))
