"""The filter list: the bank's filters with their size and an enabled checkbox, and list actions.

The widget never changes the bank: it emits requests (select, add, duplicate, remove, rename,
move, enable) and the controller pushes the new bank back with ``set_bank``.

Keyboard: F2 renames, Delete removes, Alt+Up / Alt+Down move the selected filter, Space
toggles its checkbox. Rows can also be dragged to a new place.
"""

from __future__ import annotations

import functools

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QDropEvent, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QMenu,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from filterstudio.core import kernels
from filterstudio.model.bank import MAX_FILTERS, Bank

from .presentation import present

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


class FilterTreeView(QTreeWidget):
    """Two columns (name with checkbox, size); drops and keys become requests, never moves."""

    dropMoveRequested = Signal(int, int)
    keyRemoveRequested = Signal()
    keyMoveRequested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setColumnCount(2)
        self.setHeaderLabels(["Filter", "Size"])
        self.setAccessibleName("filters: name, size (rows x columns) and on/off")
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(
            QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.DoubleClicked
        )
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)

    def dropEvent(self, event: QDropEvent) -> None:
        source = self.currentIndex().row()
        target_item = self.itemAt(event.position().toPoint())
        position = self.dropIndicatorPosition()
        if target_item is None:
            target = self.topLevelItemCount() - 1
        else:
            target = self.indexOfTopLevelItem(target_item)
            if position == QAbstractItemView.DropIndicatorPosition.BelowItem:
                target += 1
            # Removing the source first shifts every later row up by one.
            if target > source:
                target -= 1
        # The bank is the only truth: ask for the move and let set_bank redraw the list.
        event.setDropAction(Qt.DropAction.IgnoreAction)
        event.ignore()
        if source >= 0 and target != source:
            self.dropMoveRequested.emit(source, max(target, 0))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        alt = bool(event.modifiers() & Qt.KeyboardModifier.AltModifier)
        if self.state() != QAbstractItemView.State.EditingState:
            if key == Qt.Key.Key_Delete:
                self.keyRemoveRequested.emit()
                return
            if alt and key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
                self.keyMoveRequested.emit(-1 if key == Qt.Key.Key_Up else 1)
                return
        super().keyPressEvent(event)


class FilterListWidget(QWidget):
    """The bank's filters, in order, with add/duplicate/remove/rename/move actions.

    Signals
    -------
    selectRequested(int)
        The user selected the filter at this index.
    addRequested(str)
        Add a filter from the named preset.
    duplicateRequested(int), removeRequested(int)
        Duplicate or remove the filter at this index.
    renameRequested(int, str)
        Rename the filter at this index.
    moveRequested(int, int)
        Move the filter from the first index to the second.
    enabledToggled(int, bool)
        The filter's checkbox was toggled.
    """

    #: The keys the list answers while it has the focus, for the list of shortcuts.
    KEYS: tuple[tuple[str, str], ...] = (
        ("Up, Down", "select another filter"),
        ("Alt+Up, Alt+Down", "move the selected filter up or down"),
        ("Delete", "remove the selected filter"),
        ("Space", "switch the selected filter on or off"),
    )

    selectRequested = Signal(int)
    addRequested = Signal(str)
    duplicateRequested = Signal(int)
    removeRequested = Signal(int)
    renameRequested = Signal(int, str)
    moveRequested = Signal(int, int)
    enabledToggled = Signal(int, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bank = Bank()

        self._tree = FilterTreeView(self)
        self._tree.setToolTip(
            "The filters of the bank. Tick to compute a filter; F2 renames, Delete removes, "
            "Alt+Up/Down or drag to reorder."
        )
        self._tree.currentItemChanged.connect(self._on_tree_current_changed)
        self._tree.itemChanged.connect(self._on_tree_item_changed)
        self._tree.dropMoveRequested.connect(self.moveRequested)
        self._tree.keyRemoveRequested.connect(self._on_remove_clicked)
        self._tree.keyMoveRequested.connect(self._on_move_key)

        self._add_button = QToolButton(self)
        self._add_button.setText("Add")
        self._add_button.setToolTip("Add a filter from a preset.")
        self._add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self._add_button)
        menu.setToolTipsVisible(True)
        for name, preset in kernels.PRESETS.items():
            action = menu.addAction(name)
            action.setData(name)
            action.setToolTip(preset.description)
            action.triggered.connect(functools.partial(self.addRequested.emit, name))
        self._add_button.setMenu(menu)
        self._add_button.setMinimumWidth(self._add_button.sizeHint().width() + 16)
        self._add_menu = menu

        self._buttons: dict[str, QToolButton] = {"add": self._add_button}
        specs = (
            ("duplicate", "Duplicate", "Add a copy of the selected filter."),
            ("remove", "Remove", "Remove the selected filter (Delete)."),
            ("rename", "Rename", "Rename the selected filter (F2)."),
            ("up", "▲", "Move the selected filter up (Alt+Up)."),
            ("down", "▼", "Move the selected filter down (Alt+Down)."),
        )
        buttons = QHBoxLayout()
        buttons.setSpacing(3)
        buttons.addWidget(self._add_button)
        for key, text, tip in specs:
            button = QToolButton(self)
            button.setText(text)
            button.setToolTip(tip)
            button.clicked.connect(getattr(self, f"_on_{key}_clicked"))
            buttons.addWidget(button)
            self._buttons[key] = button
        buttons.addStretch(1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._tree, 1)
        layout.addLayout(buttons)
        self._update_buttons()

    # ---------------------------------------------------------------- model -> widget

    def set_presentation(self, on: bool) -> None:
        """Projector size: the list and its buttons grow with the presentation scale."""
        present(self, on)

    def set_bank(self, bank: Bank, selected_index: int) -> None:
        """Show the filters of ``bank`` with ``selected_index`` selected, without emitting.

        Parameters
        ----------
        bank : Bank
            The filter bank.
        selected_index : int
            Index of the selected filter; ``-1`` for none.
        """
        self._bank = bank
        with QSignalBlocker(self), QSignalBlocker(self._tree):
            tree = self._tree
            while tree.topLevelItemCount() > len(bank.filters):
                tree.takeTopLevelItem(tree.topLevelItemCount() - 1)
            for i, flt in enumerate(bank.filters):
                item = tree.topLevelItem(i)
                if item is None:
                    item = QTreeWidgetItem()
                    tree.addTopLevelItem(item)
                item.setFlags(
                    Qt.ItemFlag.ItemIsSelectable
                    | Qt.ItemFlag.ItemIsEnabled
                    | Qt.ItemFlag.ItemIsEditable
                    | Qt.ItemFlag.ItemIsUserCheckable
                    | Qt.ItemFlag.ItemIsDragEnabled
                )
                item.setText(0, flt.name)
                item.setText(1, flt.size_label)
                item.setCheckState(
                    0, Qt.CheckState.Checked if flt.enabled else Qt.CheckState.Unchecked
                )
                item.setToolTip(0, f"{flt.name}: {'computed' if flt.enabled else 'switched off'}")
                item.setTextAlignment(1, _RIGHT)
            if 0 <= selected_index < len(bank.filters):
                tree.setCurrentItem(tree.topLevelItem(selected_index))
            else:
                tree.setCurrentItem(None)
                tree.clearSelection()
        self._update_buttons()

    def bank(self) -> Bank:
        """The bank the list shows."""
        return self._bank

    def tree_view(self) -> FilterTreeView:
        """The list itself: one row per filter (name, size), checkable and draggable."""
        return self._tree

    def button(self, key: str) -> QToolButton:
        """A button under the list: ``add``, or one of the others by its key."""
        return self._buttons[key]

    def add_menu(self) -> QMenu:
        """The Add button's menu; each action's ``data()`` is a preset's name."""
        return self._add_menu

    def current_index(self) -> int:
        """Index of the selected filter, ``-1`` for none."""
        item = self._tree.currentItem()
        return -1 if item is None else self._tree.indexOfTopLevelItem(item)

    def _update_buttons(self) -> None:
        n = len(self._bank.filters)
        row = self.current_index()
        has = 0 <= row < n
        self._add_button.setEnabled(n < MAX_FILTERS)
        self._add_button.setToolTip(
            "Add a filter from a preset."
            if n < MAX_FILTERS
            else f"A bank holds at most {MAX_FILTERS} filters."
        )
        self._buttons["duplicate"].setEnabled(has and n < MAX_FILTERS)
        self._buttons["remove"].setEnabled(has and n > 1)
        self._buttons["rename"].setEnabled(has)
        self._buttons["up"].setEnabled(has and row > 0)
        self._buttons["down"].setEnabled(has and row < n - 1)

    # ---------------------------------------------------------------- widget -> controller

    def _on_tree_current_changed(self, current: QTreeWidgetItem | None, _previous) -> None:
        self._update_buttons()
        if current is not None:
            self.selectRequested.emit(self._tree.indexOfTopLevelItem(current))

    def _on_tree_item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        row = self._tree.indexOfTopLevelItem(item)
        if not 0 <= row < len(self._bank.filters) or column != 0:
            return
        flt = self._bank.filters[row]
        enabled = item.checkState(0) == Qt.CheckState.Checked
        if enabled != flt.enabled:
            self.enabledToggled.emit(row, enabled)
        name = item.text(0).strip()
        if name != flt.name:
            if name:
                self.renameRequested.emit(row, name)
            else:
                # An empty name is not a rename: put the old one back.
                with QSignalBlocker(self._tree):
                    item.setText(0, flt.name)

    def _on_duplicate_clicked(self) -> None:
        row = self.current_index()
        if row >= 0 and len(self._bank.filters) < MAX_FILTERS:
            self.duplicateRequested.emit(row)

    def _on_remove_clicked(self) -> None:
        row = self.current_index()
        if row >= 0 and len(self._bank.filters) > 1:
            self.removeRequested.emit(row)

    def _on_rename_clicked(self) -> None:
        item = self._tree.currentItem()
        if item is not None:
            self._tree.setFocus()
            self._tree.editItem(item, 0)

    def _on_up_clicked(self) -> None:
        self._on_move_key(-1)

    def _on_down_clicked(self) -> None:
        self._on_move_key(1)

    def _on_move_key(self, step: int) -> None:
        row = self.current_index()
        target = row + step
        if row >= 0 and 0 <= target < len(self._bank.filters):
            self.moveRequested.emit(row, target)
