"""Number fields read what was typed: decimals in every locale, negatives, fractions, and a
sentence (never a silent change) for a value they cannot take."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QLocale, Qt, QTimer
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QDialog, QWidget

from filterstudio.gui.widgets import KernelEditorWidget, LayerControlsWidget
from filterstudio.gui.widgets.number_box import NumberBox, parse_number
from filterstudio.model.bank import Filter

SOBEL_X = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float32)


@pytest.fixture(params=["C", "de_DE"])
def system_locale(request):
    """The studio under an English and under a comma-decimal system locale."""
    old = QLocale()
    QLocale.setDefault(QLocale(request.param))
    yield request.param
    QLocale.setDefault(old)


def type_and_tab(qtbot, box, text):
    box.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(box.hasFocus)
    box.lineEdit().selectAll()
    qtbot.keyClicks(box.lineEdit(), text)
    # Tab moves the focus on, which commits the field.
    box.clearFocus()


@pytest.fixture
def pushed_editor(qtbot, system_locale):
    """An editor whose every bias edit comes back through ``set_filter``, as the window does."""
    host = QWidget()
    qtbot.addWidget(host)
    editor = KernelEditorWidget(host)
    state = {"filter": Filter("sobel", SOBEL_X)}

    def on_bias(bias, _tag):
        state["filter"] = Filter("sobel", SOBEL_X, bias=bias, uid=state["filter"].uid)
        editor.set_filter(state["filter"])

    editor.biasEdited.connect(on_bias)
    editor.set_filter(state["filter"])
    host.resize(420, 620)
    editor.resize(420, 620)
    host.show()
    qtbot.waitExposed(host)
    yield editor, state
    host.close()


@pytest.mark.parametrize(
    "text, value",
    [
        ("2.5", 2.5),
        ("0.25", 0.25),
        ("-1.5", -1.5),
        ("0.0625", 0.0625),
        ("1/16", 0.0625),
        ("-3", -3.0),
    ],
)
def test_bias_keeps_what_was_typed(qtbot, pushed_editor, text, value):
    editor, state = pushed_editor
    type_and_tab(qtbot, editor.bias_box(), text)
    assert state["filter"].bias == pytest.approx(value)
    assert editor.bias_box().value() == pytest.approx(value)


@pytest.mark.parametrize("text, value", [("0.5", 0.5), ("-0.25", -0.25), ("0.125", 0.125)])
def test_border_value_keeps_what_was_typed(qtbot, system_locale, text, value):
    controls = LayerControlsWidget()
    qtbot.addWidget(controls)
    controls.show()
    qtbot.waitExposed(controls)
    seen = []
    controls.layerEdited.connect(seen.append)
    type_and_tab(qtbot, controls.cval_box(), text)
    assert seen and seen[-1]["cval"] == pytest.approx(value)


def test_a_word_is_refused_aloud(qtbot, pushed_editor):
    editor, state = pushed_editor
    with qtbot.waitSignal(editor.message) as blocker:
        type_and_tab(qtbot, editor.bias_box(), "1/0")
    assert "zero" in blocker.args[0] and "stays 0" in blocker.args[0]
    assert state["filter"].bias == 0.0
    assert editor.bias_box().error()


def test_scale_dialog_reads_decimals_in_every_locale(qtbot, system_locale, monkeypatch):
    host = QWidget()
    qtbot.addWidget(host)
    editor = KernelEditorWidget(host)
    editor.set_filter(Filter("ones", np.ones((3, 3), np.float32)))
    host.show()
    qtbot.waitExposed(host)

    def answer():
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, QDialog)
        box = dialog.findChild(NumberBox)
        if box is None:  # a box that reads numbers its own way: answer as a user would
            box = dialog.findChild(QAbstractSpinBox)
        box.lineEdit().selectAll()
        qtbot.keyClicks(box.lineEdit(), "0.25")
        qtbot.keyClick(box, Qt.Key.Key_Return)
        dialog.accept()

    QTimer.singleShot(0, answer)
    with qtbot.waitSignal(editor.kernelEdited) as blocker:
        editor.tool_button("scale").click()
    np.testing.assert_allclose(blocker.args[0], np.full((3, 3), 0.25))


@pytest.mark.parametrize(
    "text, value",
    [("2.5", 2.5), ("-0.25", -0.25), ("1/16", 0.0625), ("2,5", 2.5), (" 3 ", 3.0), ("1e-3", 0.001)],
)
def test_parse_number(text, value):
    assert parse_number(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["", "abc", "1/0", "nan", "inf", "1.2.3"])
def test_parse_number_refuses_with_a_sentence(text):
    with pytest.raises(ValueError, match=r"\.$"):
        parse_number(text)
