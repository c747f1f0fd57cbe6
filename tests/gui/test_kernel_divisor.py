"""GIMP's and ImageJ's habits in the kernel editor: a divisor, auto-normalise, the bias as the
offset, the whole kernel as text, and row and column kernels for 1-D lessons."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from filterstudio.core import kernels
from filterstudio.gui.widgets import KernelEditorWidget
from filterstudio.model.bank import Filter

GAUSS = kernels.get_preset("gaussian_blur").kernel


@pytest.fixture
def editor(qtbot):
    """An editor whose edits come back through ``set_filter``, as the window sends them."""
    w = KernelEditorWidget()
    qtbot.addWidget(w)
    state = {"filter": Filter("gauss", GAUSS)}

    def on_kernel(kernel, _tag):
        state["filter"] = Filter("gauss", kernel, uid=state["filter"].uid)
        w.set_filter(state["filter"])

    w.kernelEdited.connect(on_kernel)
    w.set_filter(state["filter"])
    w.resize(420, 700)
    w.show()
    qtbot.waitExposed(w)
    w.state = state
    return w


def type_into(qtbot, target, text):
    target.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(target.hasFocus)
    target.selectAll()
    qtbot.keyClicks(target, text)
    qtbot.keyClick(target, Qt.Key.Key_Return)


def test_gaussian_shows_whole_numbers_over_16(editor):
    texts = [[editor.cell(r, c).text() for c in range(3)] for r in range(3)]
    assert texts == [["1", "2", "1"], ["2", "4", "2"], ["1", "2", "1"]]
    assert editor.divisor() == 16
    assert editor.divisor_row().divisor_box().value() == 16
    assert editor.sum_text().startswith("Sum of weights: 1")


def test_a_cell_edit_keeps_the_divisor(qtbot, editor):
    type_into(qtbot, editor.cell(1, 1), "8")
    expected = np.array([[1, 2, 1], [2, 8, 2], [1, 2, 1]], np.float32) / 16
    np.testing.assert_allclose(editor.state["filter"].kernel, expected)
    # The grid stays over 16 although 16 is no longer the smallest divisor that would do.
    assert editor.divisor() == 16 and editor.cell(1, 1).text() == "8"


def test_typing_a_divisor_divides_the_grid(qtbot, editor):
    type_into(qtbot, editor.divisor_row().divisor_box(), "8")
    np.testing.assert_allclose(editor.state["filter"].kernel, GAUSS * 2)
    assert editor.cell(0, 0).text() == "1"


def test_a_zero_divisor_is_refused(qtbot, editor):
    with qtbot.waitSignal(editor.message) as said:
        type_into(qtbot, editor.divisor_row().divisor_box(), "0")
    assert "cannot be 0" in said.args[0]
    np.testing.assert_array_equal(editor.state["filter"].kernel, GAUSS)


def test_auto_normalise_follows_the_sum(qtbot, editor):
    editor.divisor_row().auto_box().setChecked(True)
    assert not editor.divisor_row().divisor_box().isEnabled()
    type_into(qtbot, editor.cell(1, 1), "8")
    assert editor.divisor() == 20
    np.testing.assert_allclose(editor.state["filter"].kernel.sum(), 1.0, rtol=1e-6)
    np.testing.assert_allclose(editor.state["filter"].kernel[1, 1], 8 / 20, rtol=1e-6)


def test_the_divisor_is_remembered_per_filter(qtbot, editor):
    type_into(qtbot, editor.divisor_row().divisor_box(), "32")
    gauss_filter = editor.state["filter"]
    editor.set_filter(Filter("sobel", kernels.get_preset("sobel_x").kernel))
    assert editor.divisor() == 1
    editor.set_filter(gauss_filter)
    assert editor.divisor() == 32 and editor.cell(1, 1).text() == "4"


def test_presets_and_paste_are_written_anew(editor):
    action = next(a for a in editor.preset_actions() if a.data() == "box_blur")
    action.trigger()
    assert editor.divisor() == 9 and editor.cell(0, 0).text() == "1"


def test_the_whole_kernel_can_be_typed_as_text(qtbot, editor):
    editor.text_toggle().setChecked(True)
    entry = editor.text_entry()
    assert entry.isVisible()
    # The text is the grid the cells show.
    assert entry.text().split() == ["1", "2", "1", "2", "4", "2", "1", "2", "1"]
    entry.set_text("1, 2, 1")
    qtbot.mouseClick(entry.apply_button(), Qt.MouseButton.LeftButton)
    np.testing.assert_allclose(editor.state["filter"].kernel, [[1 / 16, 2 / 16, 1 / 16]])
    assert editor.grid_size() == (1, 3)
    editor.divisor_row().auto_box().setChecked(True)
    np.testing.assert_allclose(editor.state["filter"].kernel, [[0.25, 0.5, 0.25]])
    entry.set_text("1/2 0\n0 -1/2")
    qtbot.keyClick(entry.text_box(), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert editor.state["filter"].kernel.shape == (2, 2)


def test_unreadable_text_says_why(qtbot, editor):
    editor.text_toggle().setChecked(True)
    editor.text_entry().set_text("1 2\n3")
    with qtbot.waitSignal(editor.message) as said:
        editor.text_entry().apply()
    assert "Could not read the kernel text" in said.args[0]
    np.testing.assert_array_equal(editor.state["filter"].kernel, GAUSS)


@pytest.mark.parametrize("shape", [(1, 3), (1, 5), (1, 7), (3, 1), (5, 1), (7, 1), (3, 5)])
def test_rows_and_columns_are_offered(qtbot, editor, shape):
    combo = editor.size_selector()
    index = combo.findData(f"{shape[0]}x{shape[1]}")
    assert index >= 0, shape
    combo.setCurrentIndex(index)
    combo.activated.emit(index)
    assert editor.state["filter"].kernel.shape == shape
    assert editor.grid_size() == shape


def test_randomize_fills_a_row_kernel(editor):
    editor.set_filter(Filter("row", np.zeros((1, 5), np.float32)))
    editor.tool_button("randomize").click()
    assert np.count_nonzero(editor.kernel()) == 5
