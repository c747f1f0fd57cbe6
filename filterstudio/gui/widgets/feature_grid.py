"""Lays the map panels out in rows and columns that show each as large as the room allows."""

from __future__ import annotations

import math
from collections.abc import Sequence

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QGridLayout, QLayout, QWidget

from .map_view import MapView
from .panel_parts import PANEL_OVERHEAD

#: The least the feature grid shrinks to when it holds no panels.
GRID_MINIMUM = (160, 130)
GRID_SPACING = 4


def grid_shape(
    count: int,
    width: float,
    height: float,
    *,
    aspect: float = 4 / 3,
    overhead: tuple[float, float] = PANEL_OVERHEAD,
    spacing: float = GRID_SPACING,
    minimum: tuple[float, float] = (0.0, 0.0),
) -> tuple[int, int]:
    """Rows and columns that show ``count`` panels in ``width x height`` as large as possible.

    Parameters
    ----------
    count : int
        Number of panels.
    width, height : float
        Space for the whole grid, in pixels.
    aspect : float
        Width / height of the pictures the panels show.
    overhead : tuple of float
        Pixels of each panel that are not picture: ``(horizontal, vertical)``.
    spacing : float
        Gap between panels.
    minimum : tuple of float
        The smallest ``(width, height)`` a panel can take. A layout whose cells are smaller
        loses to every layout whose cells hold a panel (its panels would be cut off); when no
        layout holds them, the one that comes closest wins.

    Returns
    -------
    tuple of int
        ``(rows, cols)``; ``(0, 0)`` for no panels. Ties go to the layout with fewer empty
        cells, then to fewer columns.

    Examples
    --------
    >>> grid_shape(4, 1200, 800)
    (2, 2)
    """
    if count <= 0:
        return (0, 0)
    aspect = aspect if aspect > 0 and math.isfinite(aspect) else 4 / 3
    best: tuple[bool, float, int, int] | None = None
    best_shape = (count, 1)
    for cols in range(1, count + 1):
        rows = math.ceil(count / cols)
        if (rows - 1) * cols >= count:
            continue  # a whole empty row: another column count does it better
        cell_w = (width - spacing * (cols - 1)) / cols
        cell_h = (height - spacing * (rows - 1)) / rows
        # The layout hands out whole pixels: some cells get the rounded-down share.
        fits = math.floor(cell_w) >= minimum[0] and math.floor(cell_h) >= minimum[1]
        if fits:
            # Width of the picture fitted into the cell; rounded so that near-ties are ties.
            cw, ch = cell_w - overhead[0], cell_h - overhead[1]
            score = round(max(0.0, min(cw, ch * aspect)), 0)
        else:
            # The share of a panel's minimum that the tighter side of a cell offers.
            score = round(min(cell_w / max(minimum[0], 1.0), cell_h / max(minimum[1], 1.0)), 3)
        key = (fits, score, -(rows * cols - count), -cols)
        if best is None or key > best:
            best, best_shape = key, (rows, cols)
    return best_shape


class FeatureGridWidget(QWidget):
    """Lays out map panels in a grid whose shape follows the available space.

    The number of columns is chosen (see :func:`grid_shape`) so that the pictures are as large
    as the width, height and the input's aspect ratio allow, among the shapes whose cells hold
    a panel at its minimum size; it is recomputed on resize. The grid's own minimum size is
    what the panels need in the narrowest shape that fits its current height (and the lowest
    that fits its width), so a splitter beside it cannot squeeze the panels off its edge.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._panels: list[QWidget] = []
        self._presenting = False
        self._shape: tuple[int, int] = (0, 0)
        self._aspect: float | None = None
        self._minimum_hint = QSize(GRID_MINIMUM[0], GRID_MINIMUM[1])
        self._layout = QGridLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(GRID_SPACING)
        # The grid's minimum is minimumSizeHint(), not that of whatever shape is laid out now
        # (a shape chosen for a tall grid would otherwise pin the width of a short one).
        self._layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)

    def sizeHint(self) -> QSize:
        return QSize(760, 600)

    def minimumSizeHint(self) -> QSize:
        return QSize(self._minimum_hint)

    def panel_minimum(self) -> QSize:
        """The smallest size that holds every panel (the largest of their minimum sizes)."""
        size = QSize(1, 1)
        for panel in self._panels:
            size = size.expandedTo(panel.minimumSizeHint()).expandedTo(panel.minimumSize())
        return size

    def _compute_minimum_hint(self) -> QSize:
        n = len(self._panels)
        if n == 0:
            return QSize(GRID_MINIMUM[0], GRID_MINIMUM[1])
        least = self.panel_minimum()
        pw, ph = least.width(), least.height()

        def needed(cols: int) -> tuple[int, int]:
            rows = math.ceil(n / cols)
            return cols * pw + (cols - 1) * GRID_SPACING, rows * ph + (rows - 1) * GRID_SPACING

        # The squarest shape bounds both sides, so that a grid not yet laid out (height 0)
        # never asks for all its panels side by side.
        square_w, square_h = needed(math.ceil(math.sqrt(n)))
        height = max(self.height(), square_h)
        width = max(self.width(), square_w)
        shapes = [needed(cols) for cols in range(1, n + 1)]
        min_w = min(w for w, h in shapes if h <= height)
        min_h = min(h for w, h in shapes if w <= width)
        return QSize(max(min_w, GRID_MINIMUM[0]), max(min_h, GRID_MINIMUM[1]))

    def _update_minimum_hint(self) -> None:
        hint = self._compute_minimum_hint()
        if hint != self._minimum_hint:
            self._minimum_hint = hint
            self.updateGeometry()

    def panels(self) -> list[QWidget]:
        """The panels, in order."""
        return list(self._panels)

    def shape(self) -> tuple[int, int]:
        """Current ``(rows, cols)``."""
        return self._shape

    def set_presentation(self, on: bool) -> None:
        """Projector size for every panel, now and added later."""
        self._presenting = bool(on)
        for panel in self._panels:
            if hasattr(panel, "set_presentation"):
                panel.set_presentation(self._presenting)
        self._update_minimum_hint()
        self._relayout(force=True)

    def set_aspect(self, aspect: float | None) -> None:
        """Width / height of the pictures; None takes it from the first panel's input."""
        self._aspect = aspect
        self._relayout(force=True)

    def set_panels(self, panels: Sequence[QWidget]) -> None:
        """Show ``panels`` in this order; widgets already shown stay (no re-creation).

        Panels no longer in the list are hidden and unparented; deleting them is up to the
        caller.
        """
        new = list(panels)
        for panel in new:
            # A panel added while presenting presents too.
            if hasattr(panel, "set_presentation"):
                panel.set_presentation(self._presenting)
        for old in self._panels:
            if old not in new:
                self._layout.removeWidget(old)
                old.hide()
                old.setParent(None)
        self._panels = new
        self._relayout(force=True)
        self._update_minimum_hint()

    def _aspect_ratio(self) -> float:
        if self._aspect:
            return self._aspect
        for panel in self._panels:
            view = getattr(panel, "view", None)
            if isinstance(view, MapView):
                rect = view.input_rect()
                if rect.width() > 0 and rect.height() > 0:
                    return rect.width() / rect.height()
        return 4 / 3

    def refresh_layout(self) -> None:
        """Re-choose the grid shape (cheap when it does not change)."""
        self._relayout()

    def _relayout(self, *, force: bool = False) -> None:
        least = self.panel_minimum()
        shape = grid_shape(
            len(self._panels),
            self.width(),
            self.height(),
            aspect=self._aspect_ratio(),
            minimum=(least.width(), least.height()),
        )
        if shape == self._shape and not force:
            return
        self._shape = shape
        layout = self._layout
        while layout.count():
            layout.takeAt(0)
        rows, cols = shape
        for k, panel in enumerate(self._panels):
            if panel.parent() is not self:
                panel.setParent(self)
            layout.addWidget(panel, k // max(cols, 1), k % max(cols, 1))
            panel.show()
        for r in range(max(layout.rowCount(), rows)):
            layout.setRowStretch(r, 1 if r < rows else 0)
        for c in range(max(layout.columnCount(), cols)):
            layout.setColumnStretch(c, 1 if c < cols else 0)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._relayout()
        self._update_minimum_hint()
