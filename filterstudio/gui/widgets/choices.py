"""Fills combo boxes with the studio's choices: the vocabulary's terms and the mystery sizes.

A term shows its label, keeps its name as the item's data and its tip as the tooltip; a size
keeps its number as the data. :class:`ShortenedCombo` shows a choice's name alone when its note
("gray (default)") does not fit.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QStyle, QStyleOptionComboBox, QStylePainter

from filterstudio.core.vocabulary import Term


def fill_choices(combo: QComboBox, terms: Iterable[Term]) -> None:
    """Add one item per term: its label, its name as the item's data, its tip as tooltip."""
    for t in terms:
        combo.addItem(t.label, t.name)
        if t.tip:
            combo.setItemData(combo.count() - 1, t.tip, Qt.ItemDataRole.ToolTipRole)


#: Mystery kernel sizes offered: 0 draws any of 3, 5 and 7.
MYSTERY_SIZES = (0, 3, 5, 7)


def mystery_size_combo() -> QComboBox:
    """A combo of :data:`MYSTERY_SIZES` ("any size", "3x3"...), the size as each item's data."""
    combo = QComboBox()
    for s in MYSTERY_SIZES:
        combo.addItem("any size" if s == 0 else f"{s}x{s}", s)
    return combo


def choice_tip(combo: QComboBox, index: int | None = None) -> str:
    """The tooltip of item ``index`` (default: the current one), ``""`` if it has none."""
    i = combo.currentIndex() if index is None else index
    tip = combo.itemData(i, Qt.ItemDataRole.ToolTipRole) if i >= 0 else None
    return tip or ""


class ShortenedCombo(QComboBox):
    """A combo box that, when its current text does not fit, drops the note in brackets
    ("gray (default)" shows as "gray") before it cuts anything; the list shows every text whole."""

    def shown_text(self) -> str:
        """The current text as it fits the box."""
        opt = QStyleOptionComboBox()
        self.initStyleOption(opt)
        return self._fitted(opt)

    def _fitted(self, opt: QStyleOptionComboBox) -> str:
        text = opt.currentText
        field = self.style().subControlRect(
            QStyle.ComplexControl.CC_ComboBox, opt, QStyle.SubControl.SC_ComboBoxEditField, self
        )
        metrics = self.fontMetrics()
        if metrics.horizontalAdvance(text) <= field.width():
            return text
        short = text.split(" (", 1)[0]
        return metrics.elidedText(short, Qt.TextElideMode.ElideRight, field.width())

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        painter = QStylePainter(self)
        opt = QStyleOptionComboBox()
        self.initStyleOption(opt)
        painter.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, opt)
        opt.currentText = self._fitted(opt)
        painter.drawControl(QStyle.ControlElement.CE_ComboBoxLabel, opt)
