"""The grid of weights: tinted cells that navigate like a spreadsheet and scrub with the wheel.

:class:`KernelGridView` holds the cells (:mod:`.kernel_cell`) of one channel;
:class:`KernelGridsWidget` every channel of a kernel, its cells sized to the width it is
given, side by side or stacked. The grids only show and report: the editor around them
(:mod:`.kernel_editor`) decides what a commit, a nudge or a paste does.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QRect, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QFontMetrics,
    QPainter,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import (
    QApplication,
    QGridLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from .kernel_cell import KernelCellWidget, cell_colors, format_cell

CHANNEL_NAMES = ("R", "G", "B", "A")
CHANNEL_COLORS = ("#d62728", "#2ca02c", "#1f77b4", "#7f7f7f")
#: The frame of a slice that reads a map of the stage before (not a colour channel).
MAP_COLOR = "#6a4fb0"

#: Space between cells, between channel grids, and inside a channel grid's coloured frame.
CELL_SPACING = 1
GRIDS_GAP = 8
FRAME_MARGIN = 6
#: The widest a cell grows, and the narrowest it becomes before the grid scrolls sideways.
CELL_MAX_WIDTH = 64
CELL_MIN_WIDTH = 24
#: Room around the number inside a cell.
CELL_PADDING = 4
#: What a grid tries, best first: (font size in points, significant digits). The font shrinks
#: first, to 9 points; below that a narrow cell shows fewer digits (the full value is in its
#: tooltip and comes back when the cell is edited) before the font reaches its 8-point floor.
FIT_STEPS = ((12, 4), (11, 4), (10, 4), (9, 4), (9, 3), (8, 3), (8, 2))


@dataclass(frozen=True)
class GridFit:
    """How the cells are drawn at a given width: font, digits, cell size, grids side by side."""

    point_size: int
    digits: int
    cell_width: int
    cell_height: int
    side_by_side: bool


class KernelGridView(QWidget):
    """The cells of one kernel channel, with an optional coloured title and frame."""

    def __init__(
        self,
        channel: int,
        shape: tuple[int, int],
        *,
        title: str = "",
        color: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._color = QColor(color) if color else None
        layout = QVBoxLayout(self)
        margin = FRAME_MARGIN if self._color else 0
        layout.setContentsMargins(margin, margin, margin, margin)
        layout.setSpacing(4)
        if title:
            label = QLabel(title, self)
            label.setStyleSheet(f"color: {color}; font-weight: bold;")
            layout.addWidget(label)
        grid = QGridLayout()
        grid.setSpacing(CELL_SPACING)
        layout.addLayout(grid)
        kh, kw = shape
        self.cells: list[list[KernelCellWidget]] = []
        for r in range(kh):
            row = []
            for c in range(kw):
                cell = KernelCellWidget(channel, r, c, self)
                cell.set_centre(kh % 2 == 1 and kw % 2 == 1 and r == kh // 2 and c == kw // 2)
                grid.addWidget(cell, r, c)
                row.append(cell)
            self.cells.append(row)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def frame_width(self) -> int:
        """Width the grid adds around its cells (its coloured frame)."""
        return 2 * FRAME_MARGIN if self._color else 0

    def paintEvent(self, event: QPaintEvent) -> None:
        if self._color is None:
            return
        p = QPainter(self)
        p.setPen(QPen(self._color, 3))
        p.drawRoundedRect(QRect(self.rect()).adjusted(1, 1, -2, -2), 4, 4)
        p.end()


class KernelGridsWidget(QScrollArea):
    """Every channel grid of a kernel, sized to the width it is given so every cell shows whole.

    The cells take the width the side panel gives them (up to :data:`CELL_MAX_WIDTH`); the font
    shrinks to fit the longest number, then a narrow grid shows fewer digits, never below an
    8-point font. The area is exactly as tall as its grids, so a kernel is never cut off at
    the bottom nor hidden under the controls below it; only a kernel wider than a readable
    minimum (a 15x15, or long decimals in a very narrow panel) scrolls sideways. Channel grids
    stand side by side when they fit, else one under the other.

    Signals
    -------
    commitRequested(object)
        The cell (a :class:`KernelCellWidget`) asks for what was typed in it to be committed.
    nudgeRequested(object, float)
        The cell asks for its value to move by the amount (keys or wheel).
    cellTextEdited(object, str)
        The user typed in the cell (not committed yet).
    copyRequested(), pasteRequested()
        A cell asked to copy or paste the whole kernel.
    rebuilt()
        The cells were made anew (another size or channel count).
    """

    commitRequested = Signal(object)
    nudgeRequested = Signal(object, float)
    cellTextEdited = Signal(object, str)
    copyRequested = Signal()
    pasteRequested = Signal()
    rebuilt = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._grids: list[KernelGridView] = []
        self._cells: list[list[list[KernelCellWidget]]] = []
        self._slices: tuple[int, ...] = ()
        self._grid_key: tuple | None = None
        self._values: np.ndarray | None = None
        self._fit: GridFit | None = None
        self._scale = 1.0
        self._fixed_family = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont).family()
        self._host = QWidget(self)
        self._layout = QGridLayout(self._host)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(GRIDS_GAP)
        self.setWidget(self._host)
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    # -- public API -------------------------------------------------------------------------------
    def cells(self) -> list[KernelCellWidget]:
        """Every cell, channel by channel, row by row."""
        return [cell for grid in self._cells for row in grid for cell in row]

    def cell(self, channel: int, row: int, col: int) -> KernelCellWidget:
        """The cell of weight ``(row, col)`` in the grid of slice ``channel``."""
        return self._cells[self._slices.index(channel)][row][col]

    def shown_slices(self) -> tuple[int, ...]:
        """The slices that have a grid, in order."""
        return self._slices

    def grids(self) -> list[KernelGridView]:
        """The channel grids, in order."""
        return list(self._grids)

    def is_side_by_side(self) -> bool:
        """Whether the channel grids stand side by side (else stacked)."""
        return bool(self._fit and self._fit.side_by_side)

    def fit(self) -> GridFit | None:
        """How the cells are drawn now (font, digits, cell size), None before any kernel."""
        return self._fit

    def set_room(self, width: int) -> None:
        """Kept for callers that pass the editor's width; the grids follow their own width."""
        self._refit()

    def set_scale(self, scale: float) -> None:
        """Grow the cells and their numbers by ``scale`` (presentation on a projector: 1.5)."""
        self._scale = max(0.5, float(scale))
        self._fit = None
        self._refit()

    def show_kernel(
        self,
        shown: np.ndarray,
        *,
        depth: bool,
        titles: Sequence[str] | None = None,
        slices: Sequence[int] | None = None,
    ) -> None:
        """Show ``shown`` (``(kh, kw, grids)``), each grid titled by its channel when ``depth``.

        ``titles`` name the slices instead (the input maps of a later stage's kernel: one
        grid per map read); ``slices`` picks which slices get a grid (default: all). A cell
        keeps the index of its slice in ``shown`` whichever grids are shown. A cell the user is
        typing in keeps its text; errors and tints are brought up to date.
        """
        kh, kw, n = shown.shape
        slices = tuple(range(n)) if slices is None else tuple(int(c) for c in slices)
        names = None if titles is None else tuple(titles[c] for c in slices)
        key = (kh, kw, slices, depth, names)
        if key != self._grid_key:
            self._rebuild(kh, kw, slices, depth, names)
            self._grid_key = key
            self._fit = None
        self._values = np.array(shown, dtype=np.float64)
        max_abs = float(np.abs(shown).max()) if shown.size else 0.0
        # Only the cells whose tint or tip changed are touched: one edited weight repaints
        # one cell unless it moved the largest magnitude (which retints them all).
        for cell in self.cells():
            value = float(shown[cell.row, cell.col, cell.channel])
            bg, fg = cell_colors(value, max_abs)
            cell.set_tint(bg, fg)
            tip = f"Row {cell.row + 1}, column {cell.col + 1}: {value:.8g}"
            if cell.error:
                tip = f"{cell.error}\n{tip}"
            if cell.toolTip() != tip:
                cell.setToolTip(tip)
        # The fit is chosen again from the new values; cells are re-sized only if it changed.
        self._refit()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._refit()

    # -- layout -----------------------------------------------------------------------------------
    def _font(self, points: float) -> QFont:
        font = QFont(self._fixed_family)
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPointSizeF(points)
        return font

    def _choose(self, width: int) -> GridFit:
        """The best :data:`FIT_STEPS` entry whose longest number fits the cells ``width`` allows."""
        values = self._values[:, :, list(self._slices)]
        n = len(self._grids)
        kw = len(self._cells[0][0])
        frame = self._grids[0].frame_width()
        scale = self._scale
        max_w = round(CELL_MAX_WIDTH * scale)

        def cell_room(side_by_side: bool) -> int:
            per_grid = (width - GRIDS_GAP * (n - 1)) / n if side_by_side else width
            return int((per_grid - frame - CELL_SPACING * (kw - 1)) // kw)

        def attempt(side_by_side: bool) -> GridFit | None:
            room = min(cell_room(side_by_side), max_w)
            for points, digits in FIT_STEPS:
                font = self._font(points * scale)
                metrics = QFontMetrics(font)
                widest = max(
                    metrics.horizontalAdvance(format_cell(v, digits)) for v in values.ravel()
                )
                need = widest + CELL_PADDING
                if need <= room:
                    height = min(max(metrics.height() + 12, 24), round(40 * scale))
                    cell_w = max(room, round(CELL_MIN_WIDTH * scale))
                    return GridFit(points, digits, cell_w, height, side_by_side)
            return None

        if n > 1:
            # Side by side only while the numbers stay at least 9 points with every digit.
            beside = attempt(True)
            if beside is not None and beside.point_size >= 9 and beside.digits == 4:
                return beside
        best = attempt(False)
        if best is not None:
            return best
        # Too narrow even for the smallest form: the smallest form, and the grid scrolls.
        points, digits = FIT_STEPS[-1]
        metrics = QFontMetrics(self._font(points * scale))
        widest = max(metrics.horizontalAdvance(format_cell(v, digits)) for v in values.ravel())
        return GridFit(points, digits, max(widest + CELL_PADDING, CELL_MIN_WIDTH),
                       min(max(metrics.height() + 12, 24), 40), False)  # fmt: skip

    def _refit(self) -> None:
        if not self._grids or self._values is None:
            return
        width = self.width()
        fit = self._choose(width)
        if fit != self._fit:
            self._apply(fit)
        self._update_texts()

    def _apply(self, fit: GridFit) -> None:
        self._fit = fit
        font = self._font(fit.point_size * self._scale)
        for cell in self.cells():
            cell.setFont(font)
            cell.setFixedSize(fit.cell_width, fit.cell_height)
        for grid in self._grids:
            self._layout.removeWidget(grid)
        for i, grid in enumerate(self._grids):
            if fit.side_by_side:
                self._layout.addWidget(grid, 0, i, Qt.AlignmentFlag.AlignTop)
            else:
                self._layout.addWidget(grid, i, 0, Qt.AlignmentFlag.AlignLeft)
        for grid in self._grids:
            grid.adjustSize()
        self._host.adjustSize()
        content = self._layout.sizeHint()
        height = content.height()
        if content.width() > self.width():
            height += self.horizontalScrollBar().sizeHint().height()
        # Exactly as tall as the grids: the layout around gives the area that much room.
        self.setFixedHeight(height)

    def _update_texts(self) -> None:
        values = self._values
        digits = self._fit.digits if self._fit else 4
        for cell in self.cells():
            value = float(values[cell.row, cell.col, cell.channel])
            cell.show_value(format_cell(value), format_cell(value, digits))

    def _rebuild(self, kh: int, kw: int, slices: tuple[int, ...], depth: bool,
                 names: tuple[str, ...] | None) -> None:  # fmt: skip
        focus = QApplication.focusWidget()
        refocus = None
        if isinstance(focus, KernelCellWidget) and focus in set(self.cells()):
            refocus = (focus.channel, focus.row, focus.col)
        for grid in self._grids:
            for cell in (c for row in grid.cells for c in row):
                # A grid that goes away must not commit into the new kernel.
                cell.blockSignals(True)
            self._layout.removeWidget(grid)
            grid.hide()
            grid.deleteLater()
        self._grids = []
        self._cells = []
        self._slices = slices
        for pos, ch in enumerate(slices):
            if names is not None:
                title, color = f"{ch + 1}: {names[pos]}", MAP_COLOR
            else:
                titled = len(slices) > 1 or depth
                name = CHANNEL_NAMES[ch] if ch < len(CHANNEL_NAMES) else str(ch)
                title = f"{name} channel" if titled else ""
                color = CHANNEL_COLORS[ch] if titled and ch < len(CHANNEL_COLORS) else ""
            grid = KernelGridView(ch, (kh, kw), title=title, color=color, parent=self._host)
            for cell in (c for row in grid.cells for c in row):
                where = f"row {cell.row + 1} column {cell.col + 1}"
                cell.setAccessibleName(f"{title} {where}" if title else f"weight {where}")
                cell.commitRequested.connect(functools.partial(self.commitRequested.emit, cell))
                cell.navigateRequested.connect(functools.partial(self._on_cell_navigate, cell))
                cell.nudgeRequested.connect(functools.partial(self.nudgeRequested.emit, cell))
                cell.textEdited.connect(functools.partial(self.cellTextEdited.emit, cell))
                cell.kernelCopyRequested.connect(self.copyRequested)
                cell.kernelPasteRequested.connect(self.pasteRequested)
            self._grids.append(grid)
            self._cells.append(grid.cells)
            grid.show()
        self.rebuilt.emit()
        if refocus is not None:
            ch, r, c = refocus
            if ch in slices and r < kh and c < kw:
                self.cell(ch, r, c).setFocus(Qt.FocusReason.OtherFocusReason)

    def _on_cell_navigate(self, cell: KernelCellWidget, direction: str) -> None:
        self.commitRequested.emit(cell)
        n = len(self._cells)
        kh, kw = len(self._cells[0]), len(self._cells[0][0])
        ch, r, c = self._slices.index(cell.channel), cell.row, cell.col
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
