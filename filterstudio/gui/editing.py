"""The editing side of the window: filter list, kernel editor, layer controls and lesson, kept
in step with the studio and touched only where a change reaches them.

:class:`EditingPresenter` keeps its own copy of what it was pushed (bank, selection, picture)
and forwards what the user does as intents (``kernelEdited``, ``layerEdited``...) with the
selected position attached, so no widget and no presenter reads the controller back.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from ..core.errors import sentence
from ..model.bank import Bank, Filter
from ..model.studio import BankChange, ImageState, filter_at
from .widgets import FilterListWidget, KernelEditorWidget, LayerControlsWidget, LessonWidget


class EditingPresenter(QObject):
    """Pushes state into the editing widgets; turns their signals into the controller's calls.

    ``controller`` is used for edits only (calls going in); what comes out of it arrives by
    the ``on_*`` slots.
    """

    message = Signal(str)

    def __init__(
        self,
        controller,
        filter_list: FilterListWidget,
        editor: KernelEditorWidget,
        layer_controls: LayerControlsWidget,
        lesson: LessonWidget,
        lesson_visible,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._c = controller
        self.filter_list = filter_list
        self.editor = editor
        self.layer_controls = layer_controls
        self.lesson = lesson
        self._lesson_visible = lesson_visible  # () -> bool: is the Lesson tab showing
        self._bank: Bank | None = None
        self._selected = 0
        self._image: ImageState | None = None
        self._depth = 0
        self._lesson_stale = True
        self._connect()

    def _connect(self) -> None:
        c, fl, ke = self._c, self.filter_list, self.editor
        ke.kernelEdited.connect(self._on_editor_kernel_edited)
        ke.biasEdited.connect(lambda b, tag: self._edit_selected(tag, bias=b))
        ke.activationEdited.connect(lambda a: self._edit_selected("", activation=a))
        ke.message.connect(self.message)
        self.layer_controls.layerEdited.connect(self._on_layer_controls_edited)
        self.layer_controls.message.connect(self.message)
        fl.selectRequested.connect(c.select)
        fl.addRequested.connect(lambda name: c.add_filter(name))
        fl.duplicateRequested.connect(c.duplicate_filter)
        fl.removeRequested.connect(c.remove_filter)
        fl.renameRequested.connect(c.rename_filter)
        fl.moveRequested.connect(c.move_filter)
        fl.enabledToggled.connect(lambda i, on: c.set_filter_fields(i, enabled=bool(on)))

    @property
    def selected_filter(self) -> Filter | None:
        return None if self._bank is None else filter_at(self._bank, self._selected)

    # -- model -> widgets ------------------------------------------------------------------
    def on_bank_changed(self, change: BankChange) -> None:
        old = self._bank
        self._bank, self._selected = change.bank, change.selected
        selected = change.selected_filter
        if old is None or change.structure_changed or self._list_differs(old, change):
            self.filter_list.set_bank(change.bank, change.selected)
        if change.layer_changed:
            self.layer_controls.set_layer(change.bank.layer)
            depth = 3 if change.bank.layer.channel_mode == "depth" else 1
            if depth != self._depth:
                self._depth = depth
                self.editor.set_depth_channels(depth)
        touched = selected is not None and change.map_changed(selected.uid)
        if touched or old is None or change.structure_changed:
            self.editor.set_filter(selected)
        if touched or change.layer_changed or old is None or change.structure_changed:
            self._update_geometry()
            self._lesson_changed()

    def on_selection_changed(self, index: int) -> None:
        self._selected = index
        if self._bank is not None:
            self.filter_list.set_bank(self._bank, index)
        self.editor.set_filter(self.selected_filter)
        self._update_geometry()
        self._lesson_changed()

    def on_image_changed(self, state: ImageState | None) -> None:
        self._image = state
        self._update_geometry()
        self._lesson_changed()

    def on_tab_changed(self) -> None:
        if self._lesson_stale:
            self._refresh_lesson()

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
        self.layer_controls.set_geometry_info(
            None if self._image is None else self._image.pixels.shape[:2],
            None if f is None else f.size,
        )

    def _lesson_changed(self) -> None:
        self._lesson_stale = True
        self._refresh_lesson()

    def _refresh_lesson(self) -> None:
        """The lesson follows the selected filter, built only while its tab shows."""
        if not self._lesson_visible():
            return
        f, img = self.selected_filter, self._image
        if img is None or f is None or self._bank is None:
            return
        self._lesson_stale = False
        try:
            self.lesson.set_lesson(img.pixels, f, self._bank.layer)
        except ValueError as exc:
            self.message.emit(sentence(exc))

    # -- widgets -> controller -------------------------------------------------------------
    def _edit_selected(self, tag: str, **changes) -> None:
        if self.selected_filter is not None:
            self._c.set_filter_fields(self._selected, tag, **changes)

    def _on_editor_kernel_edited(self, kernel, tag: str) -> None:
        if self.selected_filter is None:
            return
        try:
            self._c.set_kernel(self._selected, kernel, tag)
        except ValueError as exc:
            self.message.emit(sentence(exc))
            self.editor.set_filter(self.selected_filter)

    def _on_layer_controls_edited(self, changes: dict) -> None:
        try:
            self._c.set_layer(**changes)
        except ValueError as exc:
            self.message.emit(sentence(exc))
            if self._bank is not None:
                self.layer_controls.set_layer(self._bank.layer)

