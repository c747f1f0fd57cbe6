"""The kernel typed or pasted as text, whole, as ImageJ's Convolver takes it.

Rows on lines, numbers separated by spaces or commas, fractions such as ``1/16`` allowed, a
depth kernel channel by channel under ``# channel N`` lines: what
:func:`filterstudio.core.parse.parse_kernel_text` reads. The text is the grid the editor
shows (whole numbers when the kernel has a divisor), so it reads back as the same kernel.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QFontDatabase, QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from filterstudio.core.kernels import format_kernel
from filterstudio.core.parse import parse_kernel_text

HINT = "Rows on lines; numbers apart by spaces or commas; 1/16 works. Ctrl+Enter applies."


class _TextEdit(QPlainTextEdit):
    """A plain text box in which Ctrl+Enter applies and Tab moves the focus on."""

    applyRequested = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.applyRequested.emit()
            event.accept()
            return
        super().keyPressEvent(event)


class KernelTextWidget(QWidget):
    """A text box holding the whole grid, and an Apply button.

    Signals
    -------
    gridApplied(object)
        The text read as a float32 grid (2-D, or 3-D for a depth kernel).
    message(str)
        Why the text could not be read.
    """

    gridApplied = Signal(object)
    message = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._edit = _TextEdit(self)
        self._edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self._edit.setTabChangesFocus(True)
        self._edit.setAccessibleName("kernel as text")
        self._edit.setToolTip(HINT)
        line = self._edit.fontMetrics().lineSpacing()
        self._edit.setMinimumHeight(line * 4 + 12)
        self._edit.setMaximumHeight(line * 8 + 12)
        self._edit.applyRequested.connect(self.apply)
        self._apply = QPushButton("Apply text", self)
        self._apply.setToolTip("Replace the grid with the text (Ctrl+Enter in the text).")
        self._apply.setAccessibleName("apply kernel text")
        self._apply.clicked.connect(self.apply)
        hint = QLabel(HINT, self)
        hint.setWordWrap(True)
        hint.setStyleSheet("color: palette(placeholder-text);")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(hint, 1)
        row.addWidget(self._apply, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addWidget(self._edit)
        layout.addLayout(row)

    def set_grid(self, grid: np.ndarray) -> None:
        """Show ``grid`` as text, unless the user is typing in the box."""
        if self._edit.hasFocus() and self._edit.document().isModified():
            return
        text = format_kernel(np.asarray(grid, dtype=np.float32))
        if text != self._edit.toPlainText():
            with QSignalBlocker(self._edit):
                self._edit.setPlainText(text)
        self._edit.document().setModified(False)

    def text(self) -> str:
        """The text in the box."""
        return self._edit.toPlainText()

    def set_text(self, text: str) -> None:
        """Put ``text`` in the box as if typed (not applied)."""
        self._edit.setPlainText(text)
        self._edit.document().setModified(True)

    def text_box(self) -> QPlainTextEdit:
        """The text box."""
        return self._edit

    def apply_button(self) -> QPushButton:
        """The button that applies the text."""
        return self._apply

    def apply(self) -> None:
        """Read the text and emit :attr:`gridApplied`, or :attr:`message` with the reason."""
        text = self._edit.toPlainText()
        if not text.strip():
            self.message.emit("The kernel text is empty; type rows of numbers such as 1 2 1.")
            return
        try:
            grid = np.asarray(parse_kernel_text(text), dtype=np.float32)
        except ValueError as exc:
            self.message.emit(f"Could not read the kernel text: {exc}")
            return
        self._edit.document().setModified(False)
        self.gridApplied.emit(grid)


__all__ = ["KernelTextWidget"]
