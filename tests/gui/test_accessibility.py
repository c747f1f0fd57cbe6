"""Every control of every widget has a name a screen reader reads, and keyboard focus shows."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QScrollBar,
    QTextEdit,
    QWidget,
)

from filterstudio.core import kernels
from filterstudio.core.geometry import MapGeometry
from filterstudio.gui.widgets import (
    ArithmeticWidget,
    FeatureGridWidget,
    FilterListWidget,
    InputPanelWidget,
    KernelEditorWidget,
    LayerControlsWidget,
    LessonWidget,
    MapPanelWidget,
)
from filterstudio.model.bank import Bank, Filter, Layer

INTERACTIVE = (
    QAbstractButton,
    QComboBox,
    QAbstractSpinBox,
    QLineEdit,
    QAbstractSlider,
    QAbstractItemView,
    QPlainTextEdit,
    QTextEdit,
)


def _kernel_editor():
    w = KernelEditorWidget()
    w.set_filter(Filter("g", kernels.get_preset("gaussian_blur").kernel))
    w.text_toggle().setChecked(True)
    return w


def _map_panel():
    w = MapPanelWidget()
    geo = MapGeometry.compute((12, 16), (3, 3))
    values = np.linspace(-1, 1, geo.out_hw[0] * geo.out_hw[1], dtype=np.float32)
    w.set_map(None, geometry=geo, values=values.reshape(geo.out_hw), mapping="diverging")
    return w


def _filter_list():
    w = FilterListWidget()
    w.set_bank(Bank((Filter("a", np.eye(3)), Filter("b", np.ones((3, 3))))), 0)
    return w


def _lesson():
    w = LessonWidget()
    w.set_lesson(np.eye(5, dtype=np.float32), Filter("k", np.eye(3)), Layer())
    return w


BUILDERS = {
    "kernel editor": _kernel_editor,
    "layer controls": LayerControlsWidget,
    "map panel": _map_panel,
    "input panel": InputPanelWidget,
    "filter list": _filter_list,
    "lesson": _lesson,
    "arithmetic": ArithmeticWidget,
    "feature grid": FeatureGridWidget,
}


def _spoken_name(widget: QWidget) -> str:
    """The name assistive technology reads for ``widget`` (its own, a label buddy's, its text)."""
    iface = QAccessible.queryAccessibleInterface(widget)
    return iface.text(QAccessible.Text.Name).strip() if iface is not None else ""


@pytest.mark.parametrize("name", list(BUILDERS))
def test_every_control_has_a_name(qtbot, name):
    top = BUILDERS[name]()
    qtbot.addWidget(top)
    top.resize(500, 700)
    top.show()
    qtbot.waitExposed(top)
    controls = [w for w in top.findChildren(QWidget) if isinstance(w, INTERACTIVE)]
    if isinstance(top, INTERACTIVE):
        controls.append(top)
    # Parts of a control are named by their owner: a combo's or a spin box's line edit, a
    # scroll area's scroll bars, a list's header.
    controls = [
        w for w in controls
        if not isinstance(w.parentWidget(), (QComboBox, QAbstractSpinBox))
        and not isinstance(w, (QScrollBar, QHeaderView))
        and w.window() is top.window()
    ]  # fmt: skip
    nameless = [f"{type(w).__name__} {w.objectName()}" for w in controls if not _spoken_name(w)]
    assert not nameless, nameless


def _differs_with_focus(qtbot, widget: QWidget, focus_target: QWidget) -> bool:
    before = widget.grab().toImage()
    focus_target.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(focus_target.hasFocus)
    widget.repaint()
    after = widget.grab().toImage()
    return before != after


def test_focus_shows_on_a_map_view(qtbot):
    panel = _map_panel()
    qtbot.addWidget(panel)
    panel.resize(400, 300)
    panel.show()
    qtbot.waitExposed(panel)
    view = panel.view
    assert view.focusPolicy() != Qt.FocusPolicy.NoFocus
    assert _differs_with_focus(qtbot, view, view)


def test_focus_shows_on_the_lesson(qtbot):
    lesson = _lesson()
    qtbot.addWidget(lesson)
    lesson.resize(700, 500)
    lesson.show()
    qtbot.waitExposed(lesson)
    lesson.clearFocus()
    assert _differs_with_focus(qtbot, lesson.canvas, lesson)


def test_focus_shows_on_a_kernel_cell(qtbot):
    editor = _kernel_editor()
    qtbot.addWidget(editor)
    editor.show()
    qtbot.waitExposed(editor)
    editor.bias_box().setFocus()
    cell = editor.cell(0, 0)
    assert _differs_with_focus(qtbot, cell, cell)
