"""The row over the kernel grid: the size selector, the preset menu and the text box switch."""

from __future__ import annotations

import functools

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QMenu, QToolButton, QWidget

from filterstudio.core import kernels

GRID_SIZES = (3, 5, 7)
"""Square sizes offered by the size selector."""

GRID_SHAPES: tuple[tuple[int, int], ...] = (
    (3, 3), (5, 5), (7, 7), (1, 3), (1, 5), (1, 7), (3, 1), (5, 1), (7, 1), (3, 5), (5, 3),
)  # fmt: skip
"""``(rows, columns)`` the size selector offers: squares, rows and columns for 1-D lessons, and
two rectangles; any other size read from a file is shown as it is."""


def shape_label(rows: int, cols: int) -> str:
    """How the size selector names a shape: ``3x3``, ``1x5 (row)``, ``5x1 (column)``."""
    text = f"{rows}x{cols}"
    if rows == 1 and cols > 1:
        text += " (row)"
    elif cols == 1 and rows > 1:
        text += " (column)"
    return text


class KernelHeaderWidget(QWidget):
    """Size, presets and the text switch, in one row.

    Signals
    -------
    shapeChosen(object)
        ``(rows, columns)`` chosen in the size selector.
    presetChosen(str)
        The name of the preset picked from the menu.
    textToggled(bool)
        The text box was asked to show or hide.
    """

    shapeChosen = Signal(object)
    presetChosen = Signal(str)
    textToggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._size_combo = QComboBox(self)
        for rows, cols in GRID_SHAPES:
            # The data is the shape as text ("1x5"): a tuple would come back as a list.
            self._size_combo.addItem(shape_label(rows, cols), f"{rows}x{cols}")
        self._size_combo.setToolTip(
            "Kernel size, rows x columns. Resizing keeps the centre: growing adds zeros around "
            "the edge."
        )
        self._size_combo.setAccessibleName("kernel size, rows by columns")
        self._size_combo.activated.connect(self._on_size_activated)

        self._preset_button = QToolButton(self)
        self._preset_button.setText("Preset")
        self._preset_button.setToolTip("Replace the kernel with a named preset.")
        self._preset_button.setAccessibleName("kernel presets")
        self._preset_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self._preset_menu = QMenu(self._preset_button)
        self._preset_menu.setToolTipsVisible(True)
        for name, preset in kernels.PRESETS.items():
            kh, kw = preset.kernel.shape[:2]
            action = self._preset_menu.addAction(f"{name}  ({kh}x{kw})")
            action.setData(name)
            action.setToolTip(preset.description)
            action.setStatusTip(preset.description)
            action.triggered.connect(functools.partial(self.presetChosen.emit, name))
        self._preset_button.setMenu(self._preset_menu)
        # Room for the menu arrow, which otherwise covers the last letter.
        self._preset_button.setMinimumWidth(self._preset_button.sizeHint().width() + 16)

        self._text_toggle = QToolButton(self)
        self._text_toggle.setText("Text")
        self._text_toggle.setCheckable(True)
        self._text_toggle.setToolTip("Type or paste the whole kernel as text (rows on lines).")
        self._text_toggle.setAccessibleName("show the kernel as text")
        self._text_toggle.toggled.connect(self.textToggled)

        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        size_label = QLabel("&Size", self)
        size_label.setBuddy(self._size_combo)
        row.addWidget(size_label)
        row.addWidget(self._size_combo)
        row.addWidget(self._preset_button)
        row.addWidget(self._text_toggle)
        row.addStretch(1)

    def size_selector(self) -> QComboBox:
        """The size box (item data ``"rows"x"columns"`` text such as ``"1x5"``; a size read
        from a file that it does not offer: None)."""
        return self._size_combo

    def preset_button(self) -> QToolButton:
        """The button whose menu holds the presets."""
        return self._preset_button

    def preset_actions(self) -> list[QAction]:
        """The preset menu's actions; each one's ``data()`` is the preset's name."""
        return self._preset_menu.actions()

    def text_toggle(self) -> QToolButton:
        """The button that shows or hides the kernel text box."""
        return self._text_toggle

    def show_shape(self, rows: int, cols: int) -> None:
        """Select ``(rows, cols)`` without emitting, added to the list if it is not offered."""
        combo = self._size_combo
        with QSignalBlocker(combo):
            while combo.count() > len(GRID_SHAPES):
                combo.removeItem(combo.count() - 1)
            if (rows, cols) in GRID_SHAPES:
                combo.setCurrentIndex(GRID_SHAPES.index((rows, cols)))
            else:
                combo.addItem(shape_label(rows, cols), None)
                combo.setCurrentIndex(combo.count() - 1)

    def _on_size_activated(self, index: int) -> None:
        shape = self._size_combo.itemData(index)
        if shape:
            rows, cols = (int(n) for n in str(shape).split("x"))
            self.shapeChosen.emit((rows, cols))


__all__ = ["GRID_SHAPES", "GRID_SIZES", "KernelHeaderWidget", "shape_label"]
