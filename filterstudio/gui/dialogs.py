"""Every question and error box of the window, each written once: errors, replace, save paths.

One error box (non-modal, reused, so a burst of errors never piles up windows), one
replace-file prompt for one file or many, one unsaved-changes question, and one save dialog
that honours an extension the user typed over the filter they left selected.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QInputDialog,
    QMessageBox,
    QWidget,
)

from ..core.combine import COMBINE_OPS
from ..core.errors import sentence
from .status import StatusPresenter

_Button = QMessageBox.StandardButton


@dataclass(frozen=True)
class SaveChoice:
    """One entry of a save dialog's type list: its label, its extensions and what it means."""

    label: str
    suffixes: tuple[str, ...]
    meaning: object = None

    def matches(self, path: str) -> bool:
        return Path(path).suffix.lower() in self.suffixes


def with_suffix(path: str, suffixes: Sequence[str]) -> str:
    """``path`` with ``suffixes[0]`` appended unless it already ends in one of ``suffixes``."""
    return path if Path(path).suffix.lower() in suffixes else path + suffixes[0]


class Dialogs(QObject):
    """Errors, questions and file dialogs over ``window``; messages go to ``status``.

    Signals
    -------
    errorShown(str)
        An error sentence was shown (in the status bar, and in the box unless closing).
    """

    errorShown = Signal(str)

    def __init__(self, window: QWidget, status: StatusPresenter) -> None:
        super().__init__(window)
        self._window = window
        self._status = status
        self._closing = False

    def set_closing(self) -> None:
        """The window is closing: errors go to the status bar only, no box opens."""
        self._closing = True

    # -- telling -----------------------------------------------------------------------
    def message(self, text: str) -> None:
        self._status.show(text)

    def error(self, text: str) -> None:
        """Show one sentence in the status bar and in the error box."""
        self._status.show(text)
        if not self._closing:
            box = self._window.findChild(QMessageBox, "errorBox")
            if box is None:
                box = QMessageBox(
                    QMessageBox.Icon.Warning, "Filter Studio", text, _Button.Ok, self._window
                )
                box.setObjectName("errorBox")
            box.setText(text)
            box.open()
        self.errorShown.emit(text)

    def failure(self, exc: BaseException) -> None:
        """Show ``exc`` as one sentence."""
        self.error(sentence(exc))

    # -- asking ------------------------------------------------------------------------
    def may_replace(self, paths: Sequence[str | os.PathLike], overwrite: bool = False) -> bool:
        """Whether ``paths`` may be written: none exists, ``overwrite`` is set, or the user agrees."""
        existing = [Path(p) for p in paths if os.path.lexists(p)]
        if overwrite or not existing:
            return True
        if len(paths) == 1:
            title, text = "Replace file?", f"{existing[0].name} already exists. Replace it?"
        else:
            folder = existing[0].parent
            n = len(existing)
            title = "Replace files?"
            text = f"Replace {n} existing file{'s' if n != 1 else ''} in {folder.name or folder}?"
        answer = QMessageBox.question(
            self._window, title, text, _Button.Yes | _Button.No, _Button.No
        )
        return answer == _Button.Yes

    def save_changes(self, name: str, reason: str) -> str:
        """Ask whether to save ``name`` before ``reason``: ``"save"``, ``"discard"`` or ``"cancel"``."""
        answer = QMessageBox.question(
            self._window,
            "Unsaved changes",
            f"Save the changes to {name} before {reason}?",
            _Button.Save | _Button.Discard | _Button.Cancel,
            _Button.Save,
        )
        return {_Button.Save: "save", _Button.Discard: "discard"}.get(answer, "cancel")

    def yes_no(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(
            self._window, title, text, _Button.Yes | _Button.No, _Button.Yes
        )
        return answer == _Button.Yes

    def choose(self, title: str, label: str, items: list[str], key: str) -> str | None:
        """Pick one of ``items``; the last choice (kept under settings ``key``) comes first."""
        settings = QSettings()
        last = settings.value(key, items[0], str)
        item, ok = QInputDialog.getItem(
            self._window, title, label, items, items.index(last) if last in items else 0, False
        )
        if not ok:
            return None
        settings.setValue(key, item)
        return item

    # -- files ---------------------------------------------------------------------------
    def open_file(self, title: str, folder: str, filters: str) -> str | None:
        path, _ = QFileDialog.getOpenFileName(self._window, title, folder, filters)
        return path or None

    def folder(self, title: str, folder: str) -> str | None:
        return QFileDialog.getExistingDirectory(self._window, title, folder) or None

    def save_file(
        self, title: str, suggested: str, choices: Sequence[SaveChoice]
    ) -> tuple[str, SaveChoice, bool] | None:
        """Ask where to save; ``(path, choice, asked)`` or None when cancelled.

        An extension the user typed that one of ``choices`` takes decides the choice, whatever
        filter was left selected (``x.npy`` under the PNG filter is a NumPy file, not
        ``x.npy.png``); a name without one gets the selected filter's extension. ``asked`` says
        whether the dialog already asked about replacing that exact path.
        """
        path, chosen = QFileDialog.getSaveFileName(
            self._window, title, suggested, ";;".join(c.label for c in choices), choices[0].label
        )
        if not path:
            return None
        selected = next((c for c in choices if c.label == chosen), choices[0])
        if selected.matches(path):
            return path, selected, True
        typed = next((c for c in choices if c.matches(path)), None)
        if typed is not None:
            return path, typed, True
        full = with_suffix(path, selected.suffixes)
        return full, selected, full == path

    # -- combining maps -----------------------------------------------------------------
    def combine(self, names: list[str]) -> tuple[int, int, str] | None:
        """Ask which two maps to combine and how: ``(first, second, op)`` or None."""
        dialog = CombineDialog(names, self._window)
        try:
            return dialog.choice() if dialog.exec() == QDialog.DialogCode.Accepted else None
        finally:
            dialog.deleteLater()


#: Pairs of presets that are usually combined, first found first chosen.
_USUAL_PAIRS = (
    ("sobel_x", "sobel_y"),
    ("vertical_line", "horizontal_line"),
    ("scharr_x", "scharr_y"),
    ("prewitt_x", "prewitt_y"),
)
_OP_LABELS = {
    "magnitude": "magnitude  sqrt(a² + b²)",
    "sum": "sum  a + b",
    "maximum": "maximum  max(a, b)",
}


class CombineDialog(QDialog):
    """Pick two maps and how to combine them."""

    def __init__(self, names: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Combine Maps")
        form = QFormLayout(self)
        self.a = QComboBox()
        self.b = QComboBox()
        self.a.addItems(names)
        self.b.addItems(names)
        for first, second in _USUAL_PAIRS:
            if first in names and second in names:
                self.a.setCurrentIndex(names.index(first))
                self.b.setCurrentIndex(names.index(second))
                break
        if self.a.currentIndex() == self.b.currentIndex() and len(names) > 1:
            self.b.setCurrentIndex(1)
        self.op = QComboBox()
        for op in COMBINE_OPS:
            self.op.addItem(_OP_LABELS.get(op, op), op)
        form.addRow("First map", self.a)
        form.addRow("Second map", self.b)
        form.addRow("Combine by", self.op)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def choice(self) -> tuple[int, int, str]:
        return self.a.currentIndex(), self.b.currentIndex(), self.op.currentData()
