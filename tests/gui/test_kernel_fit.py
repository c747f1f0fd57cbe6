"""Every cell of a kernel up to 7x7 (and non-square, and with depth) is shown whole in the side
panel widths of a laptop and a desktop screen, and no cell lies under another control."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from filterstudio.core import kernels
from filterstudio.gui.widgets import KernelEditorWidget
from filterstudio.model.bank import Filter

WIDTHS = (300, 340, 392, 430, 480)


def _random(shape, seed=0):
    # Decimals with four significant digits: the longest numbers a grid shows.
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype(np.float32)


KERNELS = {
    "3x3": kernels.get_preset("sobel_x").kernel,
    "5x5": _random((5, 5), 1),
    "7x7": _random((7, 7), 2),
    "7x7 motion": kernels.get_preset("motion_blur").kernel,
    "1x5": _random((1, 5), 3),
    "5x1": _random((5, 1), 4),
    "3x5": _random((3, 5), 5),
    "1x7": _random((1, 7), 6),
    "5x5x3": _random((5, 5, 3), 7),
    "7x7x3": _random((7, 7, 3), 8),
}


@pytest.fixture
def dock(qtbot):
    """The editor in a scrolling side panel, as the studio's Filters dock holds it."""
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    inner = QWidget()
    layout = QVBoxLayout(inner)
    layout.setContentsMargins(6, 6, 6, 6)
    editor = KernelEditorWidget()
    layout.addWidget(editor)
    layout.addStretch(1)
    scroll.setWidget(inner)
    qtbot.addWidget(scroll)
    scroll.resize(WIDTHS[0], 700)
    scroll.show()
    qtbot.waitExposed(scroll)
    return scroll, editor


def _rect_in(widget: QWidget, ancestor: QWidget) -> QRect:
    return QRect(widget.mapTo(ancestor, QPoint(0, 0)), widget.size())


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(KERNELS))
def test_every_cell_is_shown_whole_and_covers_no_control(qtbot, dock, name, width):
    scroll, editor = dock
    editor.set_filter(Filter(name, KERNELS[name]))
    scroll.resize(width, 700)
    qtbot.waitUntil(lambda: scroll.width() == width)
    # Let the editor settle: fitting the cells may change its height once.
    for _ in range(3):
        qtbot.wait(1)
        scroll.widget().layout().activate()
    area = editor.grid_area()
    visible = _rect_in(area.viewport(), editor)
    controls = [
        w
        for w in editor.findChildren(QWidget)
        if isinstance(w, (QAbstractButton, QComboBox, QAbstractSpinBox)) and w.isVisibleTo(editor)
    ]
    cells = [editor.cell(r, c, ch) for ch in range(editor.channel_count())
             for r in range(editor.grid_size()[0]) for c in range(editor.grid_size()[1])]  # fmt: skip
    assert cells
    for cell in cells:
        rect = _rect_in(cell, editor)
        assert visible.contains(rect), (name, width, cell.accessibleName(), rect, visible)
        assert editor.rect().contains(rect)
        for w in controls:
            assert not rect.intersects(_rect_in(w, editor)), (name, width, w)
        # The number fits its cell: nothing of it is cut off.
        text_w = cell.fontMetrics().horizontalAdvance(cell.text())
        assert text_w <= cell.width() - 4, (name, width, cell.text(), cell.width())
        assert cell.font().pointSizeF() >= 8


def test_a_3x3_keeps_large_cells(qtbot, dock):
    scroll, editor = dock
    editor.set_filter(Filter("sobel", KERNELS["3x3"]))
    scroll.resize(392, 700)
    qtbot.waitUntil(lambda: scroll.width() == 392)
    assert editor.cell(0, 0).width() >= 50
    assert editor.cell(0, 0).font().pointSizeF() >= 11
