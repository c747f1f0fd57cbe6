"""Builds the layouts several views repeat: weighted splitters, columns, side-column pages."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QScrollArea, QSplitter, QVBoxLayout, QWidget


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


def side_column(holder: QWidget) -> QVBoxLayout:
    """The layout of a page's side column ``holder``: top to bottom, clear of the scroll bar."""
    col = QVBoxLayout(holder)
    col.setContentsMargins(0, 0, 4, 0)
    return col


def side_page(page: QWidget, side: QWidget, main: QWidget, *, min_width: int, max_width: int):
    """Lay ``page`` out as ``side`` on the left, in a frameless scroll area ``min_width`` to
    ``max_width`` pixels wide that scrolls only up and down, and ``main`` taking the rest."""
    scroll = QScrollArea(page)
    scroll.setWidget(side)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QScrollArea.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setMinimumWidth(min_width)
    scroll.setMaximumWidth(max_width)
    layout = QHBoxLayout(page)
    layout.setContentsMargins(6, 6, 6, 6)
    layout.addWidget(scroll)
    layout.addWidget(main, 1)
