"""The Copy as Code dialog: the program that redoes the selected filter's map, in a chosen library.

The dialog is handed a function ``library -> code`` (the window's, which knows the filter, the
layer and the picture) and shows its text, monospace and selectable, with a Copy button. It
does not keep settings itself: it says which library was chosen (``libraryChosen``) and the
window remembers it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from filterstudio.core.codegen import LIBRARIES
from filterstudio.core.errors import sentence

from .panel_parts import mono_font

__all__ = ["LIBRARY_TITLES", "CodeDialog"]

#: What the library box says for each library name.
LIBRARY_TITLES = {
    "numpy": "NumPy",
    "scipy": "SciPy (ndimage)",
    "opencv": "OpenCV",
    "pytorch": "PyTorch",
    "keras": "Keras 3",
}


class CodeDialog(QDialog):
    """Choose a library, read the program, copy it.

    Signals
    -------
    libraryChosen(str)
        The user (or :meth:`set_library`) chose a library: its name in ``LIBRARIES``.
    copied(str)
        The program was put on the clipboard; the sentence the dialog shows about it.
    """

    libraryChosen = Signal(str)
    copied = Signal(str)

    def __init__(
        self, code_for: Callable[[str], str], title: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._code_for = code_for
        self.setWindowTitle(f"Copy as Code: {title}")
        self.setObjectName("copyCodeDialog")
        self._library = QComboBox(self)
        for name in LIBRARIES:
            self._library.addItem(LIBRARY_TITLES[name], name)
        self._library.setAccessibleName("library")
        self._library.activated.connect(self._on_library_activated)
        label = QLabel("&Library", self)
        label.setBuddy(self._library)
        note = QLabel(
            "Run it with <code>image</code> set to your picture (float32 in [0, 1]); "
            "<code>out</code> is then the map the studio shows.",
            self,
        )
        note.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(label)
        top.addWidget(self._library)
        top.addStretch(1)

        self._text = QPlainTextEdit(self)
        self._text.setReadOnly(True)
        self._text.setFont(mono_font(self))
        self._text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self._text.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self._text.setAccessibleName("program")
        self._text.setMinimumHeight(320)

        self._status = QLabel(self)
        self._status.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self._copy = QPushButton("&Copy", self)
        self._copy.setDefault(True)
        self._copy.setToolTip("Put the whole program on the clipboard")
        buttons.addButton(self._copy, QDialogButtonBox.ButtonRole.ActionRole)
        self._copy.clicked.connect(self.copy)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(note)
        layout.addWidget(self._text, 1)
        layout.addWidget(self._status)
        layout.addWidget(buttons)
        self._refresh()

    # -- public ----------------------------------------------------------------------------
    def set_library(self, name: str) -> None:
        """Show the program for library ``name`` (one of ``LIBRARIES``)."""
        index = self._library.findData(name)
        if index < 0:
            raise ValueError(f"Unknown library {name!r}: use {', '.join(LIBRARIES)}.")
        self._library.setCurrentIndex(index)
        self._on_library_activated(index)

    def library(self) -> str:
        """The library shown."""
        return str(self._library.currentData())

    def code_text(self) -> str:
        """The program shown ("" when it could not be written)."""
        return self._text.toPlainText() if self._copy.isEnabled() else ""

    def status_text(self) -> str:
        """The line under the program: why there is none, or what Copy did."""
        return self._status.text()

    def copy_button(self) -> QPushButton:
        return self._copy

    def copy(self) -> None:
        """Put the program on the clipboard."""
        code = self.code_text()
        if not code:
            return
        QGuiApplication.clipboard().setText(code)
        lines = code.count("\n")
        said = f"Copied {lines} lines of {LIBRARY_TITLES[self.library()]} code to the clipboard."
        self._status.setText(said)
        self.copied.emit(said)

    def refresh(self) -> None:
        """Ask for the program again (the filter or the layer changed)."""
        self._refresh()

    # -- inside ----------------------------------------------------------------------------
    def _on_library_activated(self, _index: int) -> None:
        self._refresh()
        self.libraryChosen.emit(self.library())

    def _refresh(self) -> None:
        try:
            code = self._code_for(self.library())
        except ValueError as exc:
            self._text.setPlainText("")
            self._status.setText(sentence(exc))
            self._copy.setEnabled(False)
            return
        self._text.setPlainText(code)
        self._status.setText("")
        self._copy.setEnabled(True)
        self._fit_width(code)

    def _fit_width(self, code: str) -> None:
        """Room for the longest line and every line (up to most of the screen), never less."""
        fm = self._text.fontMetrics()
        lines = code.splitlines()
        longest = max((fm.horizontalAdvance(line) for line in lines), default=0)
        screen = self.screen().availableGeometry() if self.screen() else None
        width, height = (1280, 720) if screen is None else (screen.width(), screen.height())
        extra = 2 * self._text.frameWidth() + self._text.verticalScrollBar().sizeHint().width()
        wanted = min(longest + extra + 12, int(width * 0.85) - 40)
        if wanted > self._text.minimumWidth():
            self._text.setMinimumWidth(wanted)
        tall = min(fm.lineSpacing() * (len(lines) + 1) + extra, int(height * 0.6))
        if tall > self._text.minimumHeight():
            self._text.setMinimumHeight(tall)
