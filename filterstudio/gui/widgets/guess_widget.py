"""The classroom game: guess the mystery kernel from the picture and the map it makes.

The class sees the picture and the hidden kernel's map, types a guess into a grid (Tab moves
between cells, Enter checks) or as text, and gets a score against the best possible kernel with
the guess's own map and residual beside the target; Reveal shows the kernel and its name. The
widget shows what it is pushed and reports guesses; the presenter scores them off the GUI thread.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from filterstudio.core.kernels import format_kernel
from filterstudio.core.parse import parse_cell_value, parse_kernel

from .choices import mystery_size_combo
from .kernel_grid import KernelCellWidget, KernelGridsWidget, format_cell
from .kernel_values import KernelValuesView
from .layouts import side_column, side_page
from .picture_view import PictureView

__all__ = ["GuessWidget"]

_ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


class GuessWidget(QWidget):
    """The "guess the mystery kernel" page.

    Signals (intents)
    -----------------
    newRoundRequested(int)
        Draw a new mystery kernel of this size (0: any of 3, 5, 7).
    checkRequested(object, float)
        Score this guess (a float32 kernel) with this bias.
    revealRequested()
    message(str)
        A sentence for the status bar (a value the grid refused).
    """

    newRoundRequested = Signal(int)
    checkRequested = Signal(object, float)
    revealRequested = Signal()
    message = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._guess = np.zeros((3, 3), np.float32)
        self._playing = False

        controls = QWidget()
        col = side_column(controls)
        head = QLabel(
            "A kernel is hidden. Look at the picture and the map it makes, then type your "
            "guess: Tab moves between cells, Enter checks it."
        )
        head.setWordWrap(True)
        col.addWidget(head)
        row = QHBoxLayout()
        self.size_combo = mystery_size_combo()
        self.size_combo.setCurrentIndex(1)
        self.new_button = QPushButton("New mystery kernel")
        self.new_button.setToolTip("Draw another hidden kernel (Ctrl+Shift+N)")
        row.addWidget(self.size_combo)
        row.addWidget(self.new_button, 1)
        col.addLayout(row)

        guess = QGroupBox("Your guess")
        gl = QVBoxLayout(guess)
        self.grid = KernelGridsWidget()
        self.grid.set_room(300)
        gl.addWidget(self.grid)
        bias_row = QHBoxLayout()
        bias_row.addWidget(QLabel("Bias"))
        self.bias_box = QDoubleSpinBox()
        self.bias_box.setRange(-100.0, 100.0)
        self.bias_box.setDecimals(3)
        self.bias_box.setSingleStep(0.1)
        self.bias_box.setAccessibleName("guess bias")
        bias_row.addWidget(self.bias_box, 1)
        gl.addLayout(bias_row)
        self.text_edit = QLineEdit()
        self.text_edit.setPlaceholderText("or as text: 0 1 0; 1 -4 1; 0 1 0")
        self.text_edit.setAccessibleName("guess as text")
        gl.addWidget(self.text_edit)
        buttons = QHBoxLayout()
        self.check_button = QPushButton("Check (Enter)")
        self.reveal_button = QPushButton("Reveal (Ctrl+R)")
        buttons.addWidget(self.check_button)
        buttons.addWidget(self.reveal_button)
        gl.addLayout(buttons)
        col.addWidget(guess)

        self.score_text = QLabel("")
        self.score_text.setWordWrap(True)
        self.score_text.setObjectName("guessScore")
        self.score_text.setStyleSheet("QLabel#guessScore { font-size: 12pt; font-weight: bold; }")
        col.addWidget(self.score_text)
        self.tries_text = QLabel("")
        col.addWidget(self.tries_text)
        reveal = QGroupBox("The mystery kernel")
        rl = QVBoxLayout(reveal)
        self.reveal_text = QLabel("Hidden until you reveal it.")
        self.reveal_text.setWordWrap(True)
        self.answer_view = KernelValuesView()
        self.answer_view.setMinimumHeight(110)
        rl.addWidget(self.reveal_text)
        rl.addWidget(self.answer_view, 1)
        col.addWidget(reveal, 1)

        self.picture_view = PictureView("The picture")
        self.target_view = PictureView("The mystery kernel's map")
        self.guess_view = PictureView("Your guess's map")
        self.residual_view = PictureView("Difference: your map minus the mystery's")
        self.target_view.set_placeholder("Press New mystery kernel to start.")
        self.guess_view.set_placeholder("Check a guess to see its map.")
        pictures = QWidget()
        pg = QGridLayout(pictures)
        pg.setContentsMargins(0, 0, 0, 0)
        pg.addWidget(self.picture_view, 0, 0)
        pg.addWidget(self.target_view, 0, 1)
        pg.addWidget(self.guess_view, 1, 0)
        pg.addWidget(self.residual_view, 1, 1)

        side_page(self, controls, pictures, min_width=330, max_width=380)

        self.new_button.clicked.connect(
            lambda: self.newRoundRequested.emit(int(self.size_combo.currentData()))
        )
        self.check_button.clicked.connect(self.check)
        self.reveal_button.clicked.connect(self.revealRequested)
        self.text_edit.returnPressed.connect(self._on_text_entered)
        self.grid.commitRequested.connect(self._on_cell_commit)
        self.grid.nudgeRequested.connect(self._on_cell_nudge)
        self.grid.pasteRequested.connect(self._paste)
        self.grid.rebuilt.connect(self._watch_cells)
        self.bias_box.installEventFilter(self)
        self._show_guess()
        self.set_playing(False)

    # == state in ============================================================================
    def set_playing(self, playing: bool, busy: str = "") -> None:
        """Whether a round is on (guessing allowed) and, while waiting, what for."""
        self._playing = playing
        for w in (self.check_button, self.reveal_button, self.text_edit, self.grid, self.bias_box):
            w.setEnabled(playing and not busy)
        self.new_button.setEnabled(not busy)
        if busy:
            self.score_text.setText(busy)

    def start_round(self, shape: tuple[int, int], picture: np.ndarray, target: np.ndarray,
                    caption: str) -> None:  # fmt: skip
        """A new mystery of ``shape``: a blank guess, the picture and the map to match."""
        self._guess = np.zeros(shape, np.float32)
        self.bias_box.setValue(0.0)
        self.text_edit.clear()
        self._show_guess()
        self.picture_view.set_pixels(picture, "What the kernel reads")
        self.target_view.set_pixels(target, caption)
        self.guess_view.set_pixels(None, "")
        self.residual_view.set_pixels(None, "")
        self.score_text.setText("")
        self.tries_text.setText("")
        self.reveal_text.setText("Hidden until you reveal it.")
        self.answer_view.set_kernel(None)
        self.set_playing(True)
        self.focus_grid()

    def show_check(self, sentence: str, tries: str, map_pixels, residual_pixels,
                   limit: float) -> None:  # fmt: skip
        self.score_text.setText(sentence)
        self.tries_text.setText(tries)
        self.guess_view.set_pixels(map_pixels, "Same limits as the mystery's map")
        self.residual_view.set_pixels(residual_pixels, f"±{limit:.3g}: blue below, red above")

    def show_reveal(self, kernel: np.ndarray, text: str) -> None:
        self.reveal_text.setText(text)
        self.answer_view.set_kernel(kernel)
        self.answer_view.setToolTip(format_kernel(kernel))

    def focus_grid(self) -> None:
        cells = self.grid.cells()
        if cells:
            cells[0].setFocus(Qt.FocusReason.TabFocusReason)

    # == the guess ===========================================================================
    def guess(self) -> np.ndarray:
        """The guess as the grid holds it (what was typed in a cell not yet left included)."""
        for cell in self.grid.cells():
            if cell.isModified():
                self._on_cell_commit(cell)
        return self._guess.copy()

    def set_guess(self, kernel, bias: float | None = None) -> None:
        """Fill the grid (and the bias), as typing would."""
        k = np.asarray(kernel, dtype=np.float32)
        if k.shape != self._guess.shape:
            raise ValueError(
                f"The guess is {'x'.join(map(str, k.shape))} but the mystery kernel is "
                f"{self._guess.shape[0]}x{self._guess.shape[1]}."
            )
        self._guess = k.copy()
        if bias is not None:
            self.bias_box.setValue(float(bias))
        self._show_guess()

    def check(self) -> None:
        """Ask for the guess in the grid to be scored."""
        if self._playing:
            self.checkRequested.emit(self.guess(), float(self.bias_box.value()))

    def _show_guess(self) -> None:
        self.grid.show_kernel(self._guess[:, :, None], depth=False)

    def _on_cell_commit(self, cell: KernelCellWidget) -> None:
        old = float(self._guess[cell.row, cell.col])
        if not cell.isModified():
            if cell.text() != format_cell(old):
                cell.setText(format_cell(old))
            return
        text = cell.text()
        cell.setModified(False)
        try:
            value = float(parse_cell_value(text)) if text.strip() else 0.0
            if not math.isfinite(value):
                raise ValueError(f"{text.strip()!r} is not a finite number.")
        except ValueError as exc:
            cell.set_error(str(exc))
            cell.setText(format_cell(old))
            self.message.emit(f"The guess at row {cell.row + 1}, column {cell.col + 1} stays "
                              f"{format_cell(old)}: {exc}")  # fmt: skip
            return
        cell.set_error("")
        self._guess[cell.row, cell.col] = value
        self._show_guess()

    def _on_cell_nudge(self, cell: KernelCellWidget, delta: float) -> None:
        if cell.isModified():
            self._on_cell_commit(cell)
        self._guess[cell.row, cell.col] = round(float(self._guess[cell.row, cell.col]) + delta, 6)
        self._show_guess()

    def _on_text_entered(self) -> None:
        self._take_text(self.text_edit.text())

    def _paste(self) -> None:
        self._take_text(QGuiApplication.clipboard().text())

    def _take_text(self, text: str) -> None:
        try:
            k = parse_kernel(text)
            if k.ndim != 2:
                raise ValueError("A guess is one grid of numbers.")
            self.set_guess(k)
        except ValueError as exc:
            self.message.emit(str(exc))
            return
        self.check()

    # == keys ================================================================================
    def _watch_cells(self) -> None:
        for cell in self.grid.cells():
            cell.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        """Enter in a cell or the bias box checks the guess (after taking what was typed)."""
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            if event.key() in _ENTER and not event.modifiers():
                if isinstance(obj, KernelCellWidget):
                    self._on_cell_commit(obj)
                    obj.selectAll()
                else:
                    self.bias_box.interpretText()
                self.check()
                return True
        return super().eventFilter(obj, event)

    def event(self, event: QEvent) -> bool:
        # Ctrl+V in the grid pastes a guess, not a picture into the studio.
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and event.matches(QKeySequence.StandardKey.Paste)
        ):
            event.accept()
            return True
        return super().event(event)
