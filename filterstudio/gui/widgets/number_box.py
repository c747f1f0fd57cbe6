"""A number field that reads what was typed: '.' decimals in every locale, fractions, a sentence
for a value out of range, and no rewriting of the text while it is being typed.

Qt's spin boxes follow the system locale (``2.5`` is 25 where the decimal mark is a comma),
round to their ``decimals``, silently refuse a keystroke that would leave the range ("60"
becomes "6" in a box that stops at 15) and silently put the old value back when the text does
not parse. :class:`NumberBox` keeps the spin box (arrows, wheel, keyboard steps, accessibility)
and changes what typing does: any text that could still become a number is allowed while
typing, and when the edit is committed (Enter, Tab, focus out) a value that is not a number or
lies outside the range is refused with :attr:`NumberBox.rejected`, a red frame and a tooltip
that say why, instead of being changed behind the user's back.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QLocale, QSignalBlocker, Qt, Signal
from PySide6.QtGui import QColor, QFocusEvent, QKeyEvent, QPainter, QPaintEvent, QPen, QValidator
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

#: Significant decimals a number field keeps (a float32 weight or a bias needs no more).
DECIMALS = 6

_ALLOWED = set("0123456789.,-+/eE ")
_INVALID = QColor("#e00000")


def parse_number(text: str) -> float:
    """The number in ``text``: ``2.5``, ``-0.25``, ``1e-3``, ``1/16``; a lone comma is a decimal
    mark (``2,5``).

    Raises
    ------
    ValueError
        With one sentence, for empty text, words, a zero denominator, NaN or infinity.

    Examples
    --------
    >>> parse_number("1/16"), parse_number("-2,5")
    (0.0625, -2.5)
    """
    t = text.strip().replace("\u2212", "-").replace(" ", "")
    if not t:
        raise ValueError("The field is empty; type a number such as 0.5, -2 or 1/16.")
    if "," in t and "." not in t and t.count(",") == 1:
        t = t.replace(",", ".")
    try:
        if "/" in t:
            num, _, den = t.partition("/")
            d = float(den)
            if d == 0:
                raise ValueError(f"{text.strip()!r} divides by zero.")
            value = float(num) / d
        else:
            value = float(t)
    except ValueError as exc:
        if "divides by zero" in str(exc):
            raise
        raise ValueError(
            f"{text.strip()!r} is not a number; type one such as 0.5, -2 or 1/16."
        ) from None
    if not math.isfinite(value):
        raise ValueError(f"{text.strip()!r} is not a finite number.")
    return value


def format_number_text(value: float, decimals: int = DECIMALS) -> str:
    """``value`` with at most ``decimals`` decimals and no trailing zeros: ``2.5``, ``-1``, ``0``."""
    text = f"{float(value):.{max(0, decimals)}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "", "-") else text


class NumberBox(QDoubleSpinBox):
    """A spin box for one number (``whole=True``: a whole number) that never misreads typing.

    Parameters
    ----------
    name : str
        What the number is, for sentences: ``"The bias"``, ``"Padding"``.
    minimum, maximum : float
        The range. A typed value outside it is refused with a sentence naming the range.
    whole : bool
        Whole numbers only (stride, padding, dilation).
    step : float
        The arrow / wheel step.
    nonzero : bool
        Refuse 0 (a divisor).

    Signals
    -------
    rejected(str)
        A committed text was refused; the sentence says why and what the value stays.

    ``valueChanged`` fires only when an edit is committed (keyboard tracking is off), so a model
    pushing the value back never rewrites a number half typed.
    """

    rejected = Signal(str)

    def __init__(
        self,
        name: str,
        minimum: float,
        maximum: float,
        *,
        whole: bool = False,
        step: float = 1.0,
        nonzero: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._name = name
        self._whole = bool(whole)
        self._nonzero = bool(nonzero)
        self._error = ""
        self._tip = ""
        # '.' is the decimal mark whatever the system locale; no group separators to misread.
        locale = QLocale.c()
        locale.setNumberOptions(QLocale.NumberOption.OmitGroupSeparator)
        self.setLocale(locale)
        self.setDecimals(0 if whole else DECIMALS)
        self.setRange(minimum, maximum)
        self.setSingleStep(step)
        self.setKeyboardTracking(False)
        self.setCorrectionMode(QDoubleSpinBox.CorrectionMode.CorrectToPreviousValue)
        self.setAccessibleName(name[4:] if name.lower().startswith("the ") else name)

    # -- reading and writing text -------------------------------------------------------------
    def _bare(self, text: str) -> str:
        prefix, suffix = self.prefix(), self.suffix()
        if prefix and text.startswith(prefix):
            text = text[len(prefix) :]
        if suffix and text.endswith(suffix):
            text = text[: len(text) - len(suffix)]
        return text.strip()

    def textFromValue(self, value: float) -> str:  # noqa: N802 - Qt's name
        return format_number_text(value, 0 if self._whole else DECIMALS)

    def valueFromText(self, text: str) -> float:  # noqa: N802 - Qt's name
        try:
            return self._parse(self._bare(text))
        except ValueError:
            return self.value()

    def _parse(self, bare: str) -> float:
        value = parse_number(bare)
        if self._whole and value != round(value):
            raise ValueError(f"{self._name} takes whole numbers, not {bare}.")
        if self._nonzero and value == 0:
            raise ValueError(f"{self._name} cannot be 0.")
        return float(round(value)) if self._whole else value

    def validate(self, text: str, pos: int):  # noqa: D102 - Qt's name
        bare = self._bare(text)
        state = QValidator.State
        if any(ch not in _ALLOWED for ch in bare):
            return state.Invalid, text, pos
        try:
            value = self._parse(bare)
        except ValueError:
            # Something that may still become a number ("-", "1/", "2e"): let typing go on.
            return state.Intermediate, text, pos
        if self.minimum() <= value <= self.maximum():
            return state.Acceptable, text, pos
        # Out of range: typing goes on (the next key may fix it); a commit is refused aloud.
        return state.Intermediate, text, pos

    def fixup(self, text: str) -> str:  # noqa: D102 - Qt's name
        return text  # never "correct" a number into another one

    # -- committing ---------------------------------------------------------------------------
    def _check_commit(self) -> None:
        """Before Qt commits or reverts the text: refuse aloud what it would revert silently."""
        bare = self._bare(self.lineEdit().text())
        kept = self.textFromValue(self.value())
        if bare == kept:
            self.set_error("")
            return
        try:
            value = self._parse(bare)
        except ValueError as exc:
            self._refuse(str(exc))
            return
        if not self.minimum() <= value <= self.maximum():
            lo, hi = self.textFromValue(self.minimum()), self.textFromValue(self.maximum())
            self._refuse(f"{self._name} takes {lo} to {hi}; {bare} is out of range.")
            return
        self.set_error("")

    def _refuse(self, reason: str) -> None:
        sentence = f"{reason.rstrip('.')}; it stays {self.textFromValue(self.value())}."
        self.set_error(sentence)
        self.rejected.emit(sentence)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._check_commit()
            if self._error:
                self._show_kept(event)
                return
        elif event.key() == Qt.Key.Key_Escape:
            self.set_error("")
            self._show_kept(event)
            return
        super().keyPressEvent(event)

    def _show_kept(self, event: QKeyEvent) -> None:
        """Put the value kept back in the box, selected for the next try; ``event`` is done."""
        self.lineEdit().setText(self.prefix() + self.textFromValue(self.value()) + self.suffix())
        self.selectAll()
        event.accept()

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt's name
        self._check_commit()
        super().focusOutEvent(event)

    # -- model -> widget ----------------------------------------------------------------------
    def set_value_quietly(self, value: float) -> None:
        """Show ``value`` without emitting; a number being typed is left alone unless it differs."""
        shown = self._bare(self.lineEdit().text())
        if value == self.value() and shown == self.textFromValue(value):
            return  # already shown: setting it again would repaint the box for nothing
        with QSignalBlocker(self):
            if self.hasFocus() and shown != self.textFromValue(value):
                try:
                    typed = self._parse(self._bare(self.lineEdit().text()))
                except ValueError:
                    typed = None
                if typed is not None and typed == value:
                    return
            self.setValue(value)

    # -- the refusal shows on the box itself --------------------------------------------------
    def set_error(self, error: str) -> None:
        """Show (``""``: clear) a refused entry as a red frame and a tooltip."""
        if error == self._error:
            return
        if not self._error:
            self._tip = self.toolTip()
        self._error = error
        self.setToolTip(f"{error}\n{self._tip}" if error else self._tip)
        self.update()

    def error(self) -> str:
        """The last refusal's sentence, ``""`` once a good value is committed."""
        return self._error

    def setToolTip(self, tip: str) -> None:  # noqa: N802 - Qt's name
        if not self._error:
            self._tip = tip
        super().setToolTip(tip)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        super().paintEvent(event)
        if self._error:
            p = QPainter(self)
            p.setPen(QPen(_INVALID, 2))
            p.drawRect(self.rect().adjusted(1, 1, -1, -1))
            p.end()


def ask_number(
    parent: QWidget | None,
    title: str,
    label: str,
    value: float,
    minimum: float,
    maximum: float,
    *,
    name: str = "The number",
) -> tuple[float, bool]:
    """A small modal dialog with one :class:`NumberBox`; returns ``(value, accepted)``.

    Replaces ``QInputDialog.getDouble``, whose box follows the system locale and rounds to a
    fixed number of decimals.
    """
    dialog = QDialog(parent)
    dialog.setWindowTitle(title)
    box = NumberBox(name, minimum, maximum, step=0.1, parent=dialog)
    box.setValue(value)
    box.selectAll()
    note = QLabel(dialog)
    note.setStyleSheet("color: #c0392b;")
    note.setWordWrap(True)
    note.hide()

    def on_rejected(sentence: str) -> None:
        note.setText(sentence)
        note.show()

    box.rejected.connect(on_rejected)
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, dialog
    )
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    form = QFormLayout()
    caption = QLabel(label, dialog)
    caption.setBuddy(box)
    form.addRow(caption, box)
    layout = QVBoxLayout(dialog)
    layout.addLayout(form)
    layout.addWidget(note)
    layout.addWidget(buttons)
    accepted = dialog.exec() == QDialog.DialogCode.Accepted
    result = box.value()
    if accepted:
        bare = box.lineEdit().text()
        try:
            typed = parse_number(bare)
        except ValueError:
            typed = None
        if typed is not None and minimum <= typed <= maximum:
            result = typed
    dialog.deleteLater()
    return result, accepted


__all__ = ["DECIMALS", "NumberBox", "ask_number", "format_number_text", "parse_number"]
