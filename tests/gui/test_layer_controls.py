"""Layer controls: each control emits only its own field, set_layer is silent, formula text."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from filterstudio.gui.widgets import LayerControlsWidget, formula_text
from filterstudio.model.bank import Layer
from filterstudio.model.bank_io import MAX_DILATION, MAX_PADDING, MAX_STRIDE


@pytest.fixture
def controls(qtbot):
    w = LayerControlsWidget()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def choose(combo, value):
    index = combo.findData(value)
    assert index >= 0, value
    combo.setCurrentIndex(index)
    combo.activated.emit(index)


def test_stride_emits_a_pair(qtbot, controls):
    with qtbot.waitSignal(controls.layerEdited) as blocker:
        controls.stride_spins()[0].setValue(2)
    assert blocker.args == [{"stride": (2, 2)}]


def test_separate_rows_and_columns(qtbot, controls):
    assert controls.stride_spins()[1].isHidden()
    with qtbot.assertNotEmitted(controls.layerEdited):
        controls.separate_check().setChecked(True)
    assert not controls.stride_spins()[1].isHidden()
    assert not controls.dilation_spins()[1].isHidden()
    with qtbot.waitSignal(controls.layerEdited) as blocker:
        controls.stride_spins()[1].setValue(3)
    assert blocker.args == [{"stride": (1, 3)}]
    with qtbot.waitSignal(controls.layerEdited) as blocker:
        controls.dilation_spins()[0].setValue(2)
    assert blocker.args == [{"dilation": (2, 1)}]
    # Back to one value for both axes: the rows value wins.
    with qtbot.waitSignal(controls.layerEdited) as blocker:
        controls.separate_check().setChecked(False)
    assert blocker.args == [{"stride": (1, 1), "dilation": (2, 2)}]


@pytest.mark.parametrize("name", ["same", "full", "valid"])
def test_padding_names(qtbot, controls, name):
    if name == "valid":
        choose(controls.padding_box(), "same")
    with qtbot.waitSignal(controls.layerEdited) as blocker:
        choose(controls.padding_box(), name)
    assert blocker.args == [{"padding": name}]


def test_custom_padding_emits_pairs(qtbot, controls):
    assert controls.padding_spins()[0].isHidden()
    with qtbot.waitSignal(controls.layerEdited) as blocker:
        choose(controls.padding_box(), "custom")
    assert blocker.args == [{"padding": (0, 0)}]
    assert not controls.padding_spins()[0].isHidden()
    with qtbot.waitSignal(controls.layerEdited) as blocker:
        controls.padding_spins()[0].setValue(2)
    assert blocker.args == [{"padding": (2, 2)}]
    controls.separate_check().setChecked(True)
    with qtbot.waitSignal(controls.layerEdited) as blocker:
        controls.padding_spins()[1].setValue(5)
    assert blocker.args == [{"padding": (2, 5)}]


def test_border_cval_dilation_and_channels(qtbot, controls):
    with qtbot.waitSignal(controls.layerEdited) as blocker:
        controls.cval_box().setValue(0.5)
    assert blocker.args == [{"cval": 0.5}]
    with qtbot.waitSignal(controls.layerEdited) as blocker:
        choose(controls.border_box(), "reflect")
    assert blocker.args == [{"border": "reflect"}]
    assert "REFLECT_101" in controls.border_box().toolTip()
    assert not controls.cval_box().isEnabled()
    with qtbot.waitSignal(controls.layerEdited) as blocker:
        controls.dilation_spins()[0].setValue(3)
    assert blocker.args == [{"dilation": (3, 3)}]
    for mode in ("gray", "depth", "color"):
        with qtbot.waitSignal(controls.layerEdited) as blocker:
            choose(controls.channel_box(), mode)
        assert blocker.args == [{"channel_mode": mode}]


def test_every_border_has_an_explanation(controls):
    from PySide6.QtCore import Qt

    combo = controls.border_box()
    values = [combo.itemData(i) for i in range(combo.count())]
    assert values == ["constant", "edge", "reflect", "symmetric", "wrap"]
    for i in range(combo.count()):
        assert combo.itemData(i, Qt.ItemDataRole.ToolTipRole).startswith(values[i] + " —")


def test_set_layer_round_trip_is_silent(qtbot, controls):
    layer = Layer(
        stride=(2, 3),
        padding=(1, 4),
        border="wrap",
        cval=0.25,
        dilation=(2, 1),
        channel_mode="depth",
    )
    with qtbot.assertNotEmitted(controls.layerEdited):
        controls.set_layer(layer)
    assert controls.layer() == layer
    assert controls.separate_check().isChecked()
    assert controls.stride_spins()[0].value() == 2 and controls.stride_spins()[1].value() == 3
    assert controls.padding_box().currentData() == "custom"
    assert (controls.padding_spins()[0].value(), controls.padding_spins()[1].value()) == (1, 4)
    assert controls.border_box().currentData() == "wrap"
    assert controls.cval_box().value() == 0.25
    assert controls.channel_box().currentData() == "depth"
    with qtbot.assertNotEmitted(controls.layerEdited):
        controls.set_layer(Layer(padding="same"))
    assert controls.padding_box().currentData() == "same"
    assert controls.padding_spins()[0].isHidden()


def test_formula_for_a_known_case(qtbot, controls):
    controls.set_layer(Layer(stride=2, padding="same"))
    controls.set_geometry_info((2000, 3000), (3, 3))
    text = controls.geometry_text()
    # Width first, labelled, as every size in the studio is written.
    assert text.splitlines()[0] == "Output 1500 × 1000 (w × h)"
    lines = text.splitlines()
    assert lines[1] == "width: floor((3000 + 0 + 1 - 1·(3 - 1) - 1) / 2) + 1"
    assert lines[2].strip() == "= 1500"
    assert lines[3] == "height: floor((2000 + 0 + 1 - 1·(3 - 1) - 1) / 2) + 1"
    assert lines[4].strip() == "= 1000"


def test_formula_follows_edits(qtbot, controls):
    controls.set_geometry_info((8, 8), (3, 3))
    assert controls.geometry_text().startswith("Output 6 × 6")
    controls.stride_spins()[0].setValue(2)
    assert controls.geometry_text().startswith("Output 3 × 3")


def test_kernel_bigger_than_the_image(qtbot, controls):
    controls.set_geometry_info((4, 4), (7, 7))
    text = controls.geometry_text()
    assert text.startswith("Output 0 × 0 (w × h): the kernel is larger than the padded image.")
    assert "color" in controls.geometry_label().styleSheet()
    controls.set_geometry_info((40, 40), (7, 7))
    assert controls.geometry_label().styleSheet() == ""


def test_no_image_or_no_filter(controls):
    controls.set_geometry_info(None, (3, 3))
    assert "open an image" in controls.geometry_text()
    controls.set_geometry_info((10, 10), None)
    assert "select a filter" in controls.geometry_text()


def test_formula_text_with_dilation_and_custom_padding():
    text, empty = formula_text((7, 10), (3, 5), Layer(padding=(1, 2), dilation=(2, 1)))
    assert not empty
    flat = " ".join(text.split())
    assert "height: floor((7 + 1 + 1 - 2·(3 - 1) - 1) / 1) + 1 = 5" in flat
    assert "width: floor((10 + 2 + 2 - 1·(5 - 1) - 1) / 1) + 1 = 10" in flat
    assert text.startswith("Output 10 × 5 (w × h)")


@pytest.mark.parametrize("box", ["padding", "dilation", "stride"])
def test_the_boxes_take_what_the_engine_takes(qtbot, controls, box):
    if box == "padding":
        choose(controls.padding_box(), "custom")
    spin = getattr(controls, f"{box}_spins")()[0]
    limit = {"padding": MAX_PADDING, "dilation": MAX_DILATION, "stride": MAX_STRIDE}[box]
    assert spin.maximum() == limit
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus)
    spin.lineEdit().selectAll()
    with qtbot.waitSignal(controls.layerEdited) as blocker:
        qtbot.keyClicks(spin.lineEdit(), "60")
        qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert blocker.args[0][box] == (60, 60)


@pytest.mark.parametrize("text", ["5000", "-3", "1.5"])
def test_a_value_out_of_range_is_refused_aloud(qtbot, controls, text):
    choose(controls.padding_box(), "custom")
    spin = controls.padding_spins()[0]
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus)
    spin.lineEdit().selectAll()
    with qtbot.assertNotEmitted(controls.layerEdited), qtbot.waitSignal(controls.message) as said:
        qtbot.keyClicks(spin.lineEdit(), text)
        qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert "Padding" in said.args[0] and "stays 0" in said.args[0]
    assert controls.note_text() == said.args[0]
    assert controls.layer().padding == (0, 0)
    # The next accepted edit clears the note.
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin.lineEdit(), "2")
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert controls.layer().padding == (2, 2) and controls.note_text() == ""
