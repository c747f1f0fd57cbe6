"""Presentation on a projector: every Studio widget's type and numbers grow, and come back."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from filterstudio.core import kernels
from filterstudio.core.geometry import MapGeometry
from filterstudio.core.lesson import cell_breakdown
from filterstudio.gui.widgets import (
    ArithmeticWidget,
    FeatureGridWidget,
    FilterListWidget,
    InputPanelWidget,
    KernelEditorWidget,
    LayerControlsWidget,
    MapPanelWidget,
)
from filterstudio.gui.widgets.presentation import PRESENTATION_SCALE
from filterstudio.model.bank import Bank, Filter, Layer


def _size(font) -> float:
    return font.pointSizeF()


def _shown(qtbot, widget):
    qtbot.addWidget(widget)
    widget.resize(420, 600)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_kernel_editor_grows_cells_numbers_and_controls(qtbot):
    editor = _shown(qtbot, KernelEditorWidget())
    editor.set_filter(Filter("s", kernels.get_preset("sobel_x").kernel))
    editor.resize(700, 900)
    cell, bias = editor.cell(0, 0), editor.bias_box()
    before = (cell.height(), _size(cell.font()), _size(bias.font()))
    editor.set_presentation(True)
    qtbot.waitUntil(lambda: editor.cell(0, 0).height() > before[0])
    assert _size(editor.cell(0, 0).font()) >= before[1] * 1.4
    assert _size(bias.font()) >= before[2] * 1.4
    editor.set_presentation(False)
    qtbot.waitUntil(lambda: editor.cell(0, 0).height() == before[0])
    assert _size(bias.font()) == before[2]


@pytest.mark.parametrize("make", [LayerControlsWidget, FilterListWidget, InputPanelWidget])
def test_side_widgets_grow(qtbot, make):
    widget = _shown(qtbot, make())
    if isinstance(widget, FilterListWidget):
        widget.set_bank(Bank((Filter("a", np.eye(3)),)), 0)
    base = _size(QApplication.font())
    widget.set_presentation(True)
    assert _size(widget.font()) == pytest.approx(base * PRESENTATION_SCALE)
    widget.set_presentation(False)
    assert _size(widget.font()) == pytest.approx(base)


def test_layer_formula_grows(qtbot):
    controls = _shown(qtbot, LayerControlsWidget())
    before = _size(controls.geometry_label().font())
    controls.set_presentation(True)
    assert _size(controls.geometry_label().font()) == pytest.approx(before * PRESENTATION_SCALE)


def test_map_panels_grow_now_and_when_added(qtbot):
    grid = _shown(qtbot, FeatureGridWidget())
    first = MapPanelWidget()
    grid.set_panels([first])
    small = _size(first.mapping_box().font())
    grid.set_presentation(True)
    assert first.is_presentation()
    assert _size(first.mapping_box().font()) >= small * 1.4
    assert _size(first.title_label().font()) >= _size(QApplication.font()) * 1.4
    later = MapPanelWidget()
    grid.set_panels([first, later])
    assert later.is_presentation()
    geo = MapGeometry.compute((8, 8), (3, 3))
    first.set_map(None, geometry=geo, values=np.zeros(geo.out_hw, np.float32), mapping="clip")
    assert _size(first.view.font()) >= _size(QApplication.font()) * 1.4


def test_arithmetic_grows(qtbot):
    view = _shown(qtbot, ArithmeticWidget())
    bd = cell_breakdown(np.ones((4, 4), np.float32), Filter("k", np.ones((3, 3))), Layer(), 0, 0)
    view.show_breakdown(bd, title="k")
    assert "font-size:11pt" in view.html().replace(" ", "") or "11pt" in view.html()
    view.set_presentation(True)
    assert "16pt" in view.html() and "k: map cell" in view.plain_text()
