"""The kernel editor: a tinted, keyboard-driven grid of weights with bias, activation and tools.

The editor never changes the model. Every edit is emitted (``kernelEdited``, ``biasEdited``,
``activationEdited``) and the controller pushes the resulting model state back with
:meth:`KernelEditorWidget.set_filter`, which blocks signals so nothing loops. The editor also
shows an edit at once, so it stays usable (and testable) without a controller.

Keyboard
--------
- Tab / Shift+Tab: next / previous cell (row by row), then on to the tools.
- Arrow keys: move between cells, committing what was typed. F2 (or a mouse click) puts the
  caret in the text, so Left/Right move the caret until the value is committed.
- Enter commits, Escape undoes the typing in a cell.
- Alt+Up / Alt+Down or PageUp / PageDown: nudge the value by 0.1 (Shift: 1, Ctrl: 0.01), as the
  mouse wheel over a cell does. One burst of nudges is one undo step (merge tag ``cell:r,c``).
- Ctrl+C / Ctrl+V copy and paste the whole kernel as text, but only while the editor has the
  keyboard focus; elsewhere in the window those keys keep their window-wide meaning. In a cell
  in caret mode Ctrl+C copies the selected text, and Ctrl+V of a single number pastes into the
  cell. The editor defines no application-wide shortcut.
"""

from __future__ import annotations

import functools
import itertools
import math

import numpy as np
from PySide6.QtCore import QEvent, QRect, QSignalBlocker, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QFont,
    QFontDatabase,
    QFontMetrics,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from filterstudio.core import kernels
from filterstudio.core.parse import parse_cell_value, parse_kernel_text
from filterstudio.core.vocabulary import ACTIVATION_TERMS
from filterstudio.model.bank import Filter, frozen_kernel

from .choices import fill_choices

GRID_SIZES = (3, 5, 7)
"""Sizes offered by the size selector; other odd sizes from files are shown as they are."""

STEP = 0.1
STEP_COARSE = 1.0
STEP_FINE = 0.01


CHANNEL_NAMES = ("R", "G", "B", "A")
CHANNEL_COLORS = ("#d62728", "#2ca02c", "#1f77b4", "#7f7f7f")

# Diverging tint: blue for negative weights, red for positive ones, white for zero.
_POSITIVE = (178, 24, 43)
_NEGATIVE = (33, 102, 172)
_WHITE = (255, 255, 255)
_INVALID = QColor("#e00000")


def format_cell(value: float) -> str:
    """Compact text for a weight: integers without decimals, otherwise 4 significant digits.

    Parameters
    ----------
    value : float
        The weight.

    Returns
    -------
    str
        For example ``"-2"``, ``"0.0625"``, ``"0.3333"``, ``"1e-05"``.
    """
    v = float(value)
    if v == 0:
        return "0"
    if abs(v) < 1e7 and v == round(v):
        return str(round(v))
    text = f"{v:.4g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text


def cell_colors(value: float, max_abs: float) -> tuple[QColor, QColor]:
    """Background and text colour for a cell holding ``value``.

    Parameters
    ----------
    value : float
        The weight shown.
    max_abs : float
        ``max |K|`` over the kernel; the saturation is ``|value| / max_abs``.

    Returns
    -------
    (QColor, QColor)
        The tint (blue negative, red positive, white zero) and black or white text, whichever
        contrasts more with the tint.
    """
    t = 0.0 if max_abs <= 0 else min(abs(float(value)) / max_abs, 1.0)
    end = _POSITIVE if value > 0 else _NEGATIVE
    rgb = tuple(round(w + (e - w) * t) for w, e in zip(_WHITE, end, strict=True))
    bg = QColor(*rgb)
    lum = _relative_luminance(rgb)
    # Contrast ratio against black and white (WCAG): pick the larger.
    fg = QColor("black") if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else QColor("white")
    return bg, fg


def _relative_luminance(rgb: tuple[int, int, int]) -> float:
    def lin(c: int) -> float:
        s = c / 255.0
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _nudge_step(modifiers: Qt.KeyboardModifier) -> float:
    if modifiers & Qt.KeyboardModifier.ShiftModifier:
        return STEP_COARSE
    if modifiers & Qt.KeyboardModifier.ControlModifier:
        return STEP_FINE
    return STEP


class KernelCellWidget(QLineEdit):
    """One weight of the grid: a line edit that navigates like a spreadsheet cell.

    The cell only reports; :class:`KernelEditorWidget` decides what each request does.
    """

    commitRequested = Signal()
    navigateRequested = Signal(str)
    nudgeRequested = Signal(float)
    kernelCopyRequested = Signal()
    kernelPasteRequested = Signal()

    def __init__(self, channel: int, row: int, col: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.channel = channel
        self.row = row
        self.col = col
        self.error = ""
        self.caret_mode = False
        self._wheel_rest = 0
        self._bg = QColor("white")
        self._centre = False
        self.setFrame(False)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName(f"weight row {row + 1} column {col + 1}")
        self.setToolTipDuration(8000)

    # -- appearance -------------------------------------------------------------------------

    def set_tint(self, bg: QColor, fg: QColor) -> None:
        """Show the cell on ``bg`` with ``fg`` text."""
        self._bg = bg
        pal = self.palette()
        pal.setColor(QPalette.ColorRole.Base, bg)
        pal.setColor(QPalette.ColorRole.Text, fg)
        # Selected text keeps the tint readable: invert it instead of the system highlight.
        pal.setColor(QPalette.ColorRole.Highlight, fg)
        pal.setColor(QPalette.ColorRole.HighlightedText, bg)
        self.setPalette(pal)

    def set_centre(self, centre: bool) -> None:
        """Mark the kernel's centre cell (the pixel the output belongs to)."""
        self._centre = centre

    def set_error(self, error: str) -> None:
        """Show (or with ``""`` clear) a rejected input: red border and the reason as tooltip."""
        self.error = error
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), self._bg)
        p.end()
        super().paintEvent(event)
        p = QPainter(self)
        r = self.rect()
        if self.error:
            p.setPen(QPen(_INVALID, 3))
            p.drawRect(r.adjusted(1, 1, -2, -2))
        elif self.hasFocus():
            p.setPen(QPen(self.palette().color(QPalette.ColorRole.Text), 3))
            p.drawRect(r.adjusted(1, 1, -2, -2))
        else:
            p.setPen(QPen(QColor(170, 170, 170), 1))
            p.drawRect(r.adjusted(0, 0, -1, -1))
        if self._centre:
            # A small corner mark: the output value belongs to the pixel under this weight.
            mark = QColor(self.palette().color(QPalette.ColorRole.Text))
            mark.setAlpha(150)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(mark)
            p.drawEllipse(5, 5, 6, 6)
        p.end()

    # -- focus and keys -----------------------------------------------------------------------

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        if event.reason() == Qt.FocusReason.MouseFocusReason:
            self.caret_mode = True
        else:
            self.caret_mode = False
            self.selectAll()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.caret_mode = False
        self.commitRequested.emit()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        mods = event.modifiers()
        alt = bool(mods & Qt.KeyboardModifier.AltModifier)
        if key in (Qt.Key.Key_Up, Qt.Key.Key_Down) and alt:
            self.nudgeRequested.emit(_nudge_step(mods) * (1 if key == Qt.Key.Key_Up else -1))
        elif key in (Qt.Key.Key_PageUp, Qt.Key.Key_PageDown):
            self.nudgeRequested.emit(_nudge_step(mods) * (1 if key == Qt.Key.Key_PageUp else -1))
        elif key == Qt.Key.Key_Up:
            self.navigateRequested.emit("up")
        elif key == Qt.Key.Key_Down:
            self.navigateRequested.emit("down")
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Right) and not self.caret_mode:
            self.navigateRequested.emit("left" if key == Qt.Key.Key_Left else "right")
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.commitRequested.emit()
            self.caret_mode = False
            self.selectAll()
        elif key == Qt.Key.Key_Escape and self.isModified():
            self.setModified(False)
            self.commitRequested.emit()  # with nothing modified this restores the shown value
            self.selectAll()
        elif key == Qt.Key.Key_F2:
            self.caret_mode = True
            self.deselect()
            self.end(False)
        elif event.matches(QKeySequence.StandardKey.Copy) and not (
            self.caret_mode and self.hasSelectedText()
        ):
            self.kernelCopyRequested.emit()
        elif event.matches(QKeySequence.StandardKey.Paste) and _clipboard_holds_grid():
            self.kernelPasteRequested.emit()
        else:
            super().keyPressEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta()
        amount = delta.y() or delta.x()
        self._wheel_rest += amount
        notches = int(self._wheel_rest / 120)
        if notches:
            self._wheel_rest -= notches * 120
            self.nudgeRequested.emit(round(notches * _nudge_step(event.modifiers()), 6))
        event.accept()


def _clipboard_holds_grid() -> bool:
    """True when the clipboard text looks like a kernel (more than one value), not one number."""
    text = QGuiApplication.clipboard().text()
    return len(text.replace(",", " ").replace(";", " ").split()) > 1


class KernelGridView(QWidget):
    """The cells of one kernel channel, with an optional coloured title and frame."""

    def __init__(
        self,
        channel: int,
        shape: tuple[int, int],
        *,
        title: str = "",
        color: str = "",
        cell_size: tuple[int, int] = (60, 36),
        font: QFont | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._color = QColor(color) if color else None
        layout = QVBoxLayout(self)
        margin = 6 if self._color else 0
        layout.setContentsMargins(margin, margin, margin, margin)
        layout.setSpacing(4)
        if title:
            label = QLabel(title, self)
            label.setStyleSheet(f"color: {color}; font-weight: bold;")
            layout.addWidget(label)
        grid = QGridLayout()
        grid.setSpacing(2)
        layout.addLayout(grid)
        kh, kw = shape
        self.cells: list[list[KernelCellWidget]] = []
        for r in range(kh):
            row = []
            for c in range(kw):
                cell = KernelCellWidget(channel, r, c, self)
                cell.setFixedSize(*cell_size)
                if font is not None:
                    cell.setFont(font)
                cell.set_centre(kh % 2 == 1 and kw % 2 == 1 and r == kh // 2 and c == kw // 2)
                grid.addWidget(cell, r, c)
                row.append(cell)
            self.cells.append(row)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def paintEvent(self, event: QPaintEvent) -> None:
        if self._color is None:
            return
        p = QPainter(self)
        p.setPen(QPen(self._color, 3))
        p.drawRoundedRect(QRect(self.rect()).adjusted(1, 1, -2, -2), 4, 4)
        p.end()


class KernelEditorWidget(QWidget):
    """Edit one filter: its kernel grid, bias and activation, plus presets and transforms.

    Signals
    -------
    kernelEdited(object, str)
        A new float32 kernel (2-D, or 3-D in depth mode) and a merge tag: ``""`` for an edit
        that is its own undo step, ``"cell:r,c"`` (``"cell:r,c,ch"`` for a depth kernel) for
        scrubbing one cell, so a burst of nudges is one undo step.
    biasEdited(float, str)
        The new bias and the merge tag ``"bias"``.
    activationEdited(str)
        ``"none"``, ``"relu"`` or ``"abs"``.
    message(str)
        A status line for the user: a rejected cell, a zero-sum normalize, a failed paste.
    """

    kernelEdited = Signal(object, str)
    biasEdited = Signal(float, str)
    activationEdited = Signal(str)
    message = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._kernel = np.zeros((3, 3), dtype=np.float32)
        self._depth_channels = 1
        self._uid: str | None = None
        self._grids: list[KernelGridView] = []
        self._cells: list[list[list[KernelCellWidget]]] = []
        self._grid_key: tuple | None = None
        self._rng = np.random.default_rng()
        self._side_by_side: bool | None = None
        self._min_cell_width = 52
        self._cell_width = self._min_cell_width

        fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self._cell_font = QFont(fixed)
        self._cell_font.setPointSize(12)
        self._small_cell_font = QFont(fixed)
        self._small_cell_font.setPointSize(10)

        # Top row: size and presets.
        self._size_combo = QComboBox(self)
        for n in GRID_SIZES:
            self._size_combo.addItem(f"{n}x{n}", n)
        self._size_combo.setToolTip(
            "Kernel size. Resizing keeps the centre: growing adds zeros around the edge."
        )
        self._size_combo.setAccessibleName("kernel size")
        self._size_combo.activated.connect(self._on_size_activated)

        self._preset_button = QToolButton(self)
        self._preset_button.setText("Preset")
        self._preset_button.setToolTip("Replace the kernel with a named preset.")
        self._preset_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self._preset_menu = QMenu(self._preset_button)
        self._preset_menu.setToolTipsVisible(True)
        for name, preset in kernels.PRESETS.items():
            kh, kw = preset.kernel.shape[:2]
            action = self._preset_menu.addAction(f"{name}  ({kh}x{kw})")
            action.setData(name)
            action.setToolTip(preset.description)
            action.setStatusTip(preset.description)
            action.triggered.connect(functools.partial(self._on_preset_triggered, name))
        self._preset_button.setMenu(self._preset_menu)
        # Room for the menu arrow, which otherwise covers the last letter.
        self._preset_button.setMinimumWidth(self._preset_button.sizeHint().width() + 16)

        self._sum_label = QLabel(self)
        self._sum_label.setToolTip(
            "Sum of the weights: 1 keeps the overall brightness, 0 responds only to change."
        )
        self._sum_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        top = QHBoxLayout()
        size_label = QLabel("&Size", self)
        size_label.setBuddy(self._size_combo)
        top.addWidget(size_label)
        top.addWidget(self._size_combo)
        top.addWidget(self._preset_button)
        top.addStretch(1)

        # The grids live in a scroll area so a 15x15 or a depth kernel is never clipped.
        self._grid_host = QWidget(self)
        self._grid_layout = QGridLayout(self._grid_host)
        self._grid_layout.setContentsMargins(0, 0, 0, 0)
        self._grid_layout.setSpacing(8)
        self._scroll = QScrollArea(self)
        self._scroll.setWidget(self._grid_host)
        self._scroll.setWidgetResizable(True)
        self._scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self._scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._scroll.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)

        # Tools.
        self._tool_buttons: dict[str, QToolButton] = {}
        tools = QGridLayout()
        tools.setSpacing(4)
        specs = (
            ("normalize", "Normalize", "Divide by the sum of the weights, so they add up to 1."),
            ("scale", "Scale…", "Multiply every weight by a factor."),
            (
                "flip",
                "Flip",
                "Rotate 180°: cross-correlation with the flipped kernel is true convolution.",
            ),
            ("rotate90", "Rotate 90°", "Rotate a quarter turn clockwise."),
            ("transpose", "Transpose", "Swap rows and columns (Sobel X becomes Sobel Y)."),
            ("clear", "Clear", "Set every weight to zero."),
            ("randomize", "Randomize", "Random weights, like an untrained CNN filter."),
            ("copy", "Copy", "Copy the kernel as text (Ctrl+C while the editor has focus)."),
            ("paste", "Paste", "Paste a kernel from text (Ctrl+V while the editor has focus)."),
        )
        for i, (key, text, tip) in enumerate(specs):
            button = QToolButton(self)
            button.setText(text)
            button.setToolTip(tip)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            button.clicked.connect(getattr(self, f"_on_{key}_clicked"))
            # Three columns keep every label whole in a narrow side panel.
            tools.addWidget(button, i // 3, i % 3)
            self._tool_buttons[key] = button

        # Bias and activation.
        self._bias_spin = QDoubleSpinBox(self)
        self._bias_spin.setRange(-1000.0, 1000.0)
        self._bias_spin.setDecimals(3)
        self._bias_spin.setSingleStep(0.1)
        self._bias_spin.setToolTip("Added to every output value after the weighted sum.")
        self._bias_spin.valueChanged.connect(self._on_bias_changed)
        self._activation_combo = QComboBox(self)
        fill_choices(self._activation_combo, ACTIVATION_TERMS)
        self._activation_combo.setToolTip(
            "Applied last: none keeps negatives, ReLU sets them to 0, abs makes them positive."
        )
        self._activation_combo.activated.connect(self._on_activation_activated)
        form = QFormLayout()
        form.addRow("&Bias", self._bias_spin)
        form.addRow("&Activation", self._activation_combo)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self._scroll)
        layout.addWidget(self._sum_label)
        layout.addLayout(tools)
        layout.addLayout(form)
        layout.addStretch(1)

        self._refresh()

    # ---------------------------------------------------------------- model -> widget

    def set_filter(self, flt: Filter | None) -> None:
        """Show ``flt`` (kernel, bias, activation) without emitting; ``None`` disables the editor.

        Parameters
        ----------
        flt : Filter or None
            The selected filter of the bank.
        """
        blockers = [QSignalBlocker(w) for w in (self, self._bias_spin, self._activation_combo)]
        try:
            if flt is None:
                self._uid = None
                self._kernel = np.zeros((3, 3), dtype=np.float32)
                self._bias_spin.setValue(0.0)
                self._activation_combo.setCurrentIndex(0)
                self._refresh()
                self.setEnabled(False)
                return
            self.setEnabled(True)
            if flt.uid != self._uid:
                for cell in self._iter_cells():
                    cell.set_error("")
                    cell.setModified(False)
            self._uid = flt.uid
            self._kernel = np.array(flt.kernel, dtype=np.float32)
            self._bias_spin.setValue(flt.bias)
            self._activation_combo.setCurrentIndex(
                max(0, self._activation_combo.findData(flt.activation))
            )
            self._refresh()
        finally:
            del blockers

    def set_depth_channels(self, n: int) -> None:
        """Show one grid (``n == 1``) or one grid per colour channel (depth mode, ``n == 3``).

        In depth mode a 2-D kernel is shown as equal grids and any edit emits a 3-D kernel.
        A 3-D kernel is always shown channel by channel, whatever ``n`` is.
        """
        n = int(n)
        if not 1 <= n <= len(CHANNEL_NAMES):
            raise ValueError(f"The editor shows 1 to {len(CHANNEL_NAMES)} channels, not {n}.")
        self._depth_channels = n
        self._refresh()

    def kernel(self) -> np.ndarray:
        """A copy of the kernel the editor shows (2-D, or 3-D for a depth kernel)."""
        return self._kernel.copy()

    def copy_kernel(self) -> None:
        """Put the kernel on the clipboard as text (``format_kernel``), as the Copy button does."""
        self._on_copy_clicked()

    def paste_kernel(self) -> None:
        """Replace the kernel with the clipboard text read by ``parse_kernel_text``.

        An unreadable clipboard emits ``message`` and leaves the kernel as it is.
        """
        self._on_paste_clicked()

    # ---------------------------------------------------------------- display

    def _display_kernel(self) -> np.ndarray:
        """The kernel as ``(kh, kw, grids)``: what each grid shows."""
        k = self._kernel
        if k.ndim == 3:
            return k
        return np.repeat(k[:, :, None], self._depth_channels, axis=2)

    def _edit_base(self) -> np.ndarray:
        """A writable copy of the kernel to edit: 3-D as soon as depth mode shows channels."""
        k = self._kernel
        if k.ndim == 2 and self._depth_channels > 1:
            return np.repeat(k[:, :, None], self._depth_channels, axis=2)
        return k.copy()

    def _iter_cells(self):
        for grid in self._cells:
            for row in grid:
                yield from row

    def _refresh(self) -> None:
        """Bring grids, size selector and sum label in line with ``self._kernel``."""
        shown = self._display_kernel()
        kh, kw, n = shown.shape
        key = (kh, kw, n)
        if key != self._grid_key:
            self._rebuild_grids(kh, kw, n)
            self._grid_key = key
        max_abs = float(np.abs(shown).max()) if shown.size else 0.0
        for cell in self._iter_cells():
            value = float(shown[cell.row, cell.col, cell.channel])
            bg, fg = cell_colors(value, max_abs)
            cell.set_tint(bg, fg)
            tip = f"Row {cell.row + 1}, column {cell.col + 1}: {value:.8g}"
            if cell.error:
                tip = f"{cell.error}\n{tip}"
            cell.setToolTip(tip)
            text = format_cell(value)
            if cell.text() != text and not cell.isModified():
                cell.setText(text)
                if cell.hasFocus() and not cell.caret_mode:
                    cell.selectAll()
            cell.update()
        self._fit_cell_width()
        self._place_grids()
        self._sync_size_combo(kh, kw)
        self._update_sum()

    def _fit_cell_width(self) -> None:
        """Size every cell so the longest number fits: nothing is ever cut off.

        A grid wider than the editor first switches to the smaller font; beyond that the
        scroll area takes over.
        """
        cells = list(self._iter_cells())
        if not cells:
            return
        kh, kw = len(self._cells[0]), len(self._cells[0][0])
        texts = [c.text() for c in cells]

        def width_for(font: QFont) -> int:
            metrics = QFontMetrics(font)
            return max(self._min_cell_width, max(map(metrics.horizontalAdvance, texts)) + 14)

        font = self._cell_font
        if len(self._cells) > 1 or max(kh, kw) > 7:
            font = self._small_cell_font
        width = width_for(font)
        if font is self._cell_font and kw * (width + 2) > max(self.width() - 30, 150):
            font = self._small_cell_font
            width = width_for(font)
        if width != self._cell_width or cells[0].width() != width or cells[0].font() != font:
            self._cell_width = width
            for c in cells:
                c.setFont(font)
                c.setFixedWidth(width)
            for grid in self._grids:
                grid.adjustSize()
            self._side_by_side = None

    def _place_grids(self) -> None:
        """Channel grids side by side when they fit the editor's width, otherwise stacked."""
        if not self._grids:
            return
        spacing = self._grid_layout.horizontalSpacing()
        needed = sum(g.sizeHint().width() for g in self._grids) + spacing * (len(self._grids) - 1)
        available = max(self.width() - 24, 200)
        side_by_side = len(self._grids) == 1 or needed <= available
        if side_by_side == self._side_by_side:
            return
        self._side_by_side = side_by_side
        for grid in self._grids:
            self._grid_layout.removeWidget(grid)
        for i, grid in enumerate(self._grids):
            if side_by_side:
                self._grid_layout.addWidget(grid, 0, i, Qt.AlignmentFlag.AlignTop)
            else:
                self._grid_layout.addWidget(grid, i, 0, Qt.AlignmentFlag.AlignLeft)
        self._grid_host.adjustSize()
        height = self._grid_layout.sizeHint().height()
        bar = self._scroll.horizontalScrollBar().sizeHint().height()
        self._scroll.setMinimumHeight(min(height + bar + 6, 560))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_cell_width()
        self._place_grids()

    def _rebuild_grids(self, kh: int, kw: int, n: int) -> None:
        focus = QApplication.focusWidget()
        refocus = None
        if isinstance(focus, KernelCellWidget) and focus in set(self._iter_cells()):
            refocus = (focus.channel, focus.row, focus.col)
        for grid in self._grids:
            for cell in (c for row in grid.cells for c in row):
                # A grid that goes away must not commit into the new kernel.
                cell.blockSignals(True)
            self._grid_layout.removeWidget(grid)
            grid.hide()
            grid.deleteLater()
        self._grids = []
        self._cells = []
        small = n > 1 or max(kh, kw) > 7
        cell_size = (self._cell_width, 32 if small else 38)
        font = self._small_cell_font if small else self._cell_font
        for ch in range(n):
            depth = n > 1 or self._kernel.ndim == 3
            name = CHANNEL_NAMES[ch] if ch < len(CHANNEL_NAMES) else str(ch)
            title = f"{name} channel" if depth else ""
            color = CHANNEL_COLORS[ch] if depth and ch < len(CHANNEL_COLORS) else ""
            grid = KernelGridView(
                ch,
                (kh, kw),
                title=title,
                color=color,
                cell_size=cell_size,
                font=font,
                parent=self._grid_host,
            )
            for cell in (c for row in grid.cells for c in row):
                where = f"row {cell.row + 1} column {cell.col + 1}"
                cell.setAccessibleName(f"{title} {where}" if title else f"weight {where}")
                cell.commitRequested.connect(functools.partial(self._on_cell_commit, cell))
                cell.navigateRequested.connect(functools.partial(self._on_cell_navigate, cell))
                cell.nudgeRequested.connect(functools.partial(self._on_cell_nudge, cell))
                cell.textEdited.connect(functools.partial(self._on_cell_text_edited, cell))
                cell.kernelCopyRequested.connect(self._on_copy_clicked)
                cell.kernelPasteRequested.connect(self._on_paste_clicked)
            self._grids.append(grid)
            self._cells.append(grid.cells)
        self._side_by_side = None
        self._fix_tab_order()
        if refocus is not None:
            ch, r, c = refocus
            if ch < n and r < kh and c < kw:
                self._cells[ch][r][c].setFocus(Qt.FocusReason.OtherFocusReason)

    def _fix_tab_order(self) -> None:
        """Size, then the cells row by row (channel by channel), then presets and tools."""
        chain: list[QWidget] = [self._size_combo]
        chain += list(self._iter_cells())
        chain.append(self._preset_button)
        chain += list(self._tool_buttons.values())
        chain += [self._bias_spin, self._activation_combo]
        for a, b in itertools.pairwise(chain):
            QWidget.setTabOrder(a, b)

    def _sync_size_combo(self, kh: int, kw: int) -> None:
        combo = self._size_combo
        with QSignalBlocker(combo):
            # Remove a previous odd size, then add the current one if the presets lack it.
            while combo.count() > len(GRID_SIZES):
                combo.removeItem(combo.count() - 1)
            if kh == kw and kh in GRID_SIZES:
                combo.setCurrentIndex(GRID_SIZES.index(kh))
            else:
                combo.addItem(f"{kh}x{kw}", None)
                combo.setCurrentIndex(combo.count() - 1)

    def _update_sum(self, preview: tuple[KernelCellWidget, float] | None = None) -> None:
        shown = self._display_kernel().astype(np.float64)
        if preview is not None:
            cell, value = preview
            shown[cell.row, cell.col, cell.channel] = value
        total = float(shown.sum())
        text = f"Sum of weights: {format_cell(_tidy(total))}"
        if shown.shape[2] > 1:
            parts = ", ".join(
                f"{CHANNEL_NAMES[c] if c < len(CHANNEL_NAMES) else c} "
                f"{format_cell(_tidy(float(shown[:, :, c].sum())))}"
                for c in range(shown.shape[2])
            )
            text += f"  ({parts})"
        self._sum_label.setText(text)

    # ---------------------------------------------------------------- emitting

    def _emit_kernel(self, kernel: np.ndarray, tag: str = "") -> None:
        """Show ``kernel`` at once and emit it; the controller's ``set_filter`` confirms it."""
        try:
            kernel = np.array(frozen_kernel(kernel), dtype=np.float32)
        except ValueError as exc:
            self.message.emit(str(exc))
            return
        self._kernel = kernel
        self._refresh()
        self.kernelEdited.emit(kernel.copy(), tag)

    def _cell_tag(self, cell: KernelCellWidget, base: np.ndarray) -> str:
        if base.ndim == 3:
            return f"cell:{cell.row},{cell.col},{cell.channel}"
        return f"cell:{cell.row},{cell.col}"

    def _set_cell(self, base: np.ndarray, cell: KernelCellWidget, value: float) -> None:
        if base.ndim == 3:
            base[cell.row, cell.col, cell.channel] = value
        else:
            base[cell.row, cell.col] = value

    # ---------------------------------------------------------------- cell slots

    def _on_cell_commit(self, cell: KernelCellWidget) -> None:
        shown = self._display_kernel()
        old = float(shown[cell.row, cell.col, cell.channel])
        if not cell.isModified():
            # Nothing typed (or Escape): make sure the last good value is what the cell shows.
            if cell.text() != format_cell(old):
                cell.setText(format_cell(old))
            self._update_sum()
            return
        text = cell.text()
        cell.setModified(False)
        try:
            if not text.strip():
                raise ValueError("A weight cannot be empty; type a number such as 0.")
            value = float(parse_cell_value(text))
            if not math.isfinite(value):
                raise ValueError(f"{text.strip()!r} is not a finite number.")
        except ValueError as exc:
            reason = str(exc)
            where = f"row {cell.row + 1}, column {cell.col + 1}"
            cell.set_error(f"Rejected {text.strip()!r}: {reason}")
            cell.setText(format_cell(old))
            if cell.hasFocus() and not cell.caret_mode:
                cell.selectAll()
            self._refresh()
            self.message.emit(f"The weight at {where} stays {format_cell(old)}: {reason}")
            return
        cell.set_error("")
        if np.float32(value) == np.float32(old):
            self._refresh()
            return
        base = self._edit_base()
        self._set_cell(base, cell, value)
        self._emit_kernel(base, "")

    def _on_cell_text_edited(self, cell: KernelCellWidget, text: str) -> None:
        try:
            value = float(parse_cell_value(text))
        except ValueError:
            return
        if math.isfinite(value):
            self._update_sum(preview=(cell, value))

    def _on_cell_navigate(self, cell: KernelCellWidget, direction: str) -> None:
        self._on_cell_commit(cell)
        n = len(self._cells)
        kh, kw = len(self._cells[0]), len(self._cells[0][0])
        ch, r, c = cell.channel, cell.row, cell.col
        if direction == "up":
            r = max(r - 1, 0)
        elif direction == "down":
            r = min(r + 1, kh - 1)
        elif direction == "left":
            if c > 0:
                c -= 1
            elif ch > 0:
                ch, c = ch - 1, kw - 1
        elif direction == "right":
            if c < kw - 1:
                c += 1
            elif ch < n - 1:
                ch, c = ch + 1, 0
        target = self._cells[ch][r][c]
        if target is cell:
            cell.selectAll()
            return
        target.setFocus(Qt.FocusReason.OtherFocusReason)

    def _on_cell_nudge(self, cell: KernelCellWidget, delta: float) -> None:
        if cell.isModified():
            self._on_cell_commit(cell)
        base = self._edit_base()
        index = (cell.row, cell.col, cell.channel) if base.ndim == 3 else (cell.row, cell.col)
        old = float(base[index])
        value = _tidy(round(old + delta, 6))
        cell.set_error("")
        self._set_cell(base, cell, value)
        self._emit_kernel(base, self._cell_tag(cell, base))

    # ---------------------------------------------------------------- tool slots

    def _on_size_activated(self, index: int) -> None:
        size = self._size_combo.itemData(index)
        if size is None or self._kernel.shape[:2] == (size, size):
            return
        self._emit_kernel(kernels.resize_centered(self._edit_base(), size), "")

    def _on_preset_triggered(self, name: str) -> None:
        k = np.array(kernels.get_preset(name).kernel, dtype=np.float32)
        self._emit_kernel(self._with_depth(k), "")

    def _with_depth(self, k: np.ndarray) -> np.ndarray:
        """``k`` made 3-D when depth mode shows channels, so every edit there is a depth kernel."""
        if k.ndim == 2 and self._depth_channels > 1:
            return np.repeat(k[:, :, None], self._depth_channels, axis=2)
        return k

    def _on_normalize_clicked(self) -> None:
        k, note = kernels.normalize(self._edit_base())
        if note:
            self.message.emit(note)
            return
        self._emit_kernel(k, "")

    def _on_scale_clicked(self) -> None:
        factor, ok = QInputDialog.getDouble(
            self, "Scale kernel", "Multiply every weight by:", 2.0, -1000.0, 1000.0, 4
        )
        if not ok:
            return
        try:
            k = kernels.scale(self._edit_base(), factor)
        except ValueError as exc:
            self.message.emit(str(exc))
            return
        self._emit_kernel(k, "")

    def _on_flip_clicked(self) -> None:
        self._emit_kernel(kernels.flip(self._edit_base()), "")

    def _on_rotate90_clicked(self) -> None:
        self._emit_kernel(kernels.rotate90(self._edit_base()), "")

    def _on_transpose_clicked(self) -> None:
        self._emit_kernel(kernels.transpose(self._edit_base()), "")

    def _on_clear_clicked(self) -> None:
        self._emit_kernel(kernels.cleared(self._edit_base()), "")

    def _on_randomize_clicked(self) -> None:
        base = self._edit_base()
        kh, kw = base.shape[:2]
        seed = int(self._rng.integers(0, 2**31 - 1))
        depth = base.shape[2] if base.ndim == 3 else None
        k = kernels.random_kernel(kh, seed=seed, depth=depth)
        if (kh, kw) != k.shape[:2]:
            k = kernels.resize_centered(k, (kh, kw))
        self._emit_kernel(k, "")

    def _on_copy_clicked(self) -> None:
        QGuiApplication.clipboard().setText(kernels.format_kernel(self._kernel))
        kh, kw = self._kernel.shape[:2]
        self.message.emit(f"Copied the {kh}x{kw} kernel as text.")

    def _on_paste_clicked(self) -> None:
        text = QGuiApplication.clipboard().text()
        if not text.strip():
            self.message.emit("The clipboard holds no text to read a kernel from.")
            return
        try:
            k = np.asarray(parse_kernel_text(text), dtype=np.float32)
            if k.ndim == 3 and self._depth_channels > 1 and k.shape[2] != self._depth_channels:
                raise ValueError(
                    f"The pasted kernel has {k.shape[2]} channels; depth mode needs "
                    f"{self._depth_channels}."
                )
        except ValueError as exc:
            self.message.emit(f"Could not paste a kernel: {exc}")
            return
        self._emit_kernel(self._with_depth(k), "")

    # ---------------------------------------------------------------- bias and activation

    def _on_bias_changed(self, value: float) -> None:
        self.biasEdited.emit(float(value), "bias")

    def _on_activation_activated(self, index: int) -> None:
        self.activationEdited.emit(str(self._activation_combo.itemData(index)))

    # ---------------------------------------------------------------- editor-wide keys

    def event(self, event: QEvent) -> bool:
        # Claim Ctrl+C / Ctrl+V only while focus is inside the editor, so a window-level
        # shortcut on the same keys still works everywhere else.
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and (
                event.matches(QKeySequence.StandardKey.Copy)
                or event.matches(QKeySequence.StandardKey.Paste)
            )
        ):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Copy):
            self._on_copy_clicked()
        elif event.matches(QKeySequence.StandardKey.Paste):
            self._on_paste_clicked()
        else:
            super().keyPressEvent(event)


def _tidy(value: float) -> float:
    """Drop float noise such as ``0.30000000000000004`` and the sign of ``-0.0``."""
    v = float(np.float32(value))
    v = float(f"{v:.7g}")
    return v + 0.0


__all__ = ["KernelCellWidget", "KernelEditorWidget", "KernelGridView", "cell_colors", "format_cell"]
