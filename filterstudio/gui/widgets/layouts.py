"""Builds the layouts several views repeat: a splitter of parts that share its room by weight."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QWidget


def splitter(
    orientation: Qt.Orientation,
    *parts: tuple[QWidget, int],
    name: str = "",
    parent: QWidget | None = None,
) -> QSplitter:
    """A splitter holding ``parts`` (``(widget, stretch factor)``) in order; ``name`` is its
    object name (the window's layout is saved under it)."""
    split = QSplitter(orientation, parent)
    if name:
        split.setObjectName(name)
    for index, (widget, stretch) in enumerate(parts):
        split.addWidget(widget)
        split.setStretchFactor(index, stretch)
    return split
