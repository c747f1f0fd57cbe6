"""Fills a combo box with the vocabulary's choices: label shown, name as data, tip on hover."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox

from filterstudio.core.vocabulary import Term


def fill_choices(combo: QComboBox, terms: Iterable[Term]) -> None:
    """Add one item per term: its label, its name as the item's data, its tip as tooltip."""
    for t in terms:
        combo.addItem(t.label, t.name)
        if t.tip:
            combo.setItemData(combo.count() - 1, t.tip, Qt.ItemDataRole.ToolTipRole)


def choice_tip(combo: QComboBox, index: int | None = None) -> str:
    """The tooltip of item ``index`` (default: the current one), ``""`` if it has none."""
    i = combo.currentIndex() if index is None else index
    tip = combo.itemData(i, Qt.ItemDataRole.ToolTipRole) if i >= 0 else None
    return tip or ""
