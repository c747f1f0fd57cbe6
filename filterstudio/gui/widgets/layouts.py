"""Builds the layouts several views repeat: splitters of weighted parts, columns of widgets."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget


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


def column(*widgets: QWidget, margin: int = 0, stretch: bool = False) -> QWidget:
    """A widget holding ``widgets`` top to bottom, ``margin`` pixels in from each edge; with
    ``stretch`` the room left over goes below them."""
    holder = QWidget()
    lay = QVBoxLayout(holder)
    lay.setContentsMargins(margin, margin, margin, margin)
    for widget in widgets:
        lay.addWidget(widget)
    if stretch:
        lay.addStretch(1)
    return holder
