"""One weight of the kernel grid: a tinted cell that navigates like a spreadsheet and scrubs.

:class:`KernelCellWidget` only reports (commit, navigate, nudge, copy, paste); the grid
(:mod:`.kernel_grid`) and the editor around it (:mod:`.kernel_editor`) decide what happens.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QPolygonF,
    QWheelEvent,
)
from PySide6.QtWidgets import QLineEdit, QWidget

from filterstudio.core.colors import contrast_ink, weight_rgb

STEP = 0.1
STEP_COARSE = 1.0
STEP_FINE = 0.01


# Diverging tint: blue for negative weights, red for positive ones, white for zero.
_POSITIVE = (178, 24, 43)
_NEGATIVE = (33, 102, 172)
_INVALID = QColor("#e00000")


def format_cell(value: float, digits: int = 4) -> str:
    """Compact text for a weight: integers without decimals, otherwise 4 significant digits.

    A narrow grid asks for fewer ``digits`` (3 or 2): then a value is also held to that many
    decimals, as a spreadsheet column too narrow for its numbers shows them; the cell's
    tooltip and the cell being edited show the value in full.

    Parameters
    ----------
    value : float
        The weight.
    digits : int
        Significant digits (and, below 4, the most decimals) of a value that is not whole.

    Returns
    -------
    str
        For example ``"-2"``, ``"0.0625"``, ``"0.3333"``, ``"1e-05"``; with ``digits=2``
        ``"-0.26"`` for -0.2633 and ``"1.9"`` for 1.859.
    """
    v = float(value)
    if v == 0:
        return "0"
    if abs(v) < 1e7 and v == round(v):
        return str(round(v))
    if digits >= 4:
        text = f"{v:.{digits}g}"
    else:
        whole = len(str(int(abs(v)))) if abs(v) >= 1 else 0
        decimals = max(0, digits - whole) if whole else digits
        text = f"{v:.{decimals}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        if text in ("0", "-0"):
            text = f"{v:.0e}"  # too small for the decimals shown: its order of magnitude
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
    bg = weight_rgb(value, max_abs, _POSITIVE, _NEGATIVE)
    return QColor(*bg), QColor(*contrast_ink(bg))


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

    #: The keys a cell answers, for the window's list of keyboard shortcuts.
    KEYS: tuple[tuple[str, str], ...] = (
        ("Arrow keys", "move to the next cell (the typed number is kept)"),
        ("Enter", "keep the typed number"),
        ("Esc", "undo what was typed in the cell"),
        ("F2", "edit inside the number (Left and Right move the caret)"),
        ("Alt+Up, Alt+Down, Page Up, Page Down, wheel",
         f"raise or lower the weight by {STEP:g} (with Shift {STEP_COARSE:g}, with Ctrl {STEP_FINE:g})"),
        ("Ctrl+C, Ctrl+V", "copy or paste the whole kernel as text"),
    )  # fmt: skip

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
        self._select_on_release = False
        self._full = self._short = ""
        self._bg = QColor("white")
        self._fg: QColor | None = None
        self._centre = False
        self.setFrame(False)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName(f"weight row {row + 1} column {col + 1}")
        self.setToolTipDuration(8000)

    # -- appearance -------------------------------------------------------------------------

    def set_tint(self, bg: QColor, fg: QColor) -> None:
        """Show the cell on ``bg`` with ``fg`` text (nothing happens when it already is)."""
        if self._bg == bg and self._fg == fg:
            return
        self._bg, self._fg = QColor(bg), QColor(fg)
        pal = self.palette()
        pal.setColor(QPalette.ColorRole.Base, bg)
        pal.setColor(QPalette.ColorRole.Text, fg)
        # Selected text keeps the tint readable: invert it instead of the system highlight.
        pal.setColor(QPalette.ColorRole.Highlight, fg)
        pal.setColor(QPalette.ColorRole.HighlightedText, bg)
        self.setPalette(pal)

    def show_value(self, full: str, short: str) -> None:
        """The value's text in full (shown while the cell is edited) and as the grid's width
        allows (shown otherwise). Text being typed is left alone."""
        self._full, self._short = full, short
        if not self.isModified():
            self.restore()

    def restore(self) -> None:
        """Show the value again (full while focused, else as short as the grid needs)."""
        text = self._full if self.hasFocus() else self._short
        if self.text() != text:
            self.setText(text)
            if self.hasFocus() and not self.caret_mode:
                self.selectAll()
        self.setModified(False)

    def full_text(self) -> str:
        """The value as written when the cell is edited (four significant digits)."""
        return self._full

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
            # A triangle in the corner stays clear of the number in the narrowest cells.
            mark = QColor(self.palette().color(QPalette.ColorRole.Text))
            mark.setAlpha(170)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(mark)
            side = max(5.0, min(r.width(), r.height()) * 0.22)
            p.drawPolygon(QPolygonF([QPointF(2, 2), QPointF(2 + side, 2), QPointF(2, 2 + side)]))
        p.end()

    # -- focus and keys -----------------------------------------------------------------------

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        self.caret_mode = False
        if not self.isModified() and self._full and self.text() != self._full:
            self.setText(self._full)  # a narrow grid shows fewer digits; editing shows all
        self.selectAll()
        # QLineEdit places the caret on the mouse press that follows focus-in, which drops the
        # selection: the release of that first click selects the number again, so typing
        # replaces it ("-1" over a "0" is -1, not "0-1"). A later click puts the caret.
        self._select_on_release = event.reason() == Qt.FocusReason.MouseFocusReason

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if not self._select_on_release and self.hasFocus():
            self.caret_mode = True
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        if self._select_on_release:
            self._select_on_release = False
            # A drag that selected part of the number keeps that selection.
            if not self.hasSelectedText():
                self.selectAll()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.caret_mode = False
        self.commitRequested.emit()
        if not self.isModified() and self._short and self.text() == self._full:
            self.setText(self._short)

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


__all__ = ["KernelCellWidget", "cell_colors", "format_cell"]
