"""The kernel editor: typing, navigation, scrubbing, transforms, depth mode, clipboard, presets."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt, QTimer
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence, QWheelEvent
from PySide6.QtWidgets import QApplication, QMainWindow, QVBoxLayout, QWidget

from filterstudio.core import kernels
from filterstudio.gui.widgets import (
    GRID_SHAPES,
    KernelEditorWidget,
    cell_colors,
    format_cell,
)
from filterstudio.gui.widgets.number_box import NumberBox
from filterstudio.model.bank import Filter

SOBEL_X = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float32)


@pytest.fixture
def editor(qtbot):
    w = KernelEditorWidget()
    qtbot.addWidget(w)
    w.set_filter(Filter("sobel", SOBEL_X, bias=0.5, activation="relu"))
    w.resize(420, 520)
    w.show()
    qtbot.waitExposed(w)
    return w


def cell(editor, r, c, ch=0):
    return editor.cell(r, c, ch)


def type_into(qtbot, editor, r, c, text, ch=0):
    """Focus a cell by keyboard (its text gets selected), type ``text`` and press Enter."""
    target = cell(editor, r, c, ch)
    target.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(target.hasFocus)
    target.selectAll()
    if text:
        qtbot.keyClicks(target, text)
    else:
        qtbot.keyClick(target, Qt.Key.Key_Delete)
    qtbot.keyClick(target, Qt.Key.Key_Return)
    return target


def wheel(target, notches=1, modifiers=Qt.KeyboardModifier.NoModifier):
    pos = QPointF(target.width() / 2, target.height() / 2)
    event = QWheelEvent(
        pos,
        target.mapToGlobal(pos),
        QPoint(0, 0),
        QPoint(0, 120 * notches),
        Qt.MouseButton.NoButton,
        modifiers,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(target, event)


# -- formatting and tint ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [(0, "0"), (-2, "-2"), (16, "16"), (0.0625, "0.0625"), (1 / 3, "0.3333"), (1e-5, "1e-5")],
)
def test_format_cell_is_compact(value, text):
    assert format_cell(value) == text


def test_tint_is_diverging_and_text_contrasts():
    white, black_text = cell_colors(0.0, 2.0)
    assert white.name() == "#ffffff" and black_text.name() == "#000000"
    red, red_text = cell_colors(2.0, 2.0)
    blue, blue_text = cell_colors(-2.0, 2.0)
    assert red.red() > red.blue() and blue.blue() > blue.red()
    assert red_text.name() == "#ffffff" and blue_text.name() == "#ffffff"
    pale, pale_text = cell_colors(0.2, 2.0)
    assert pale_text.name() == "#000000" and pale.red() > 200


# -- typing -------------------------------------------------------------------------------------


def test_typing_a_value_emits_the_new_kernel(qtbot, editor):
    with qtbot.waitSignal(editor.kernelEdited) as blocker:
        type_into(qtbot, editor, 0, 1, "3")
    kernel, tag = blocker.args
    expected = SOBEL_X.copy()
    expected[0, 1] = 3
    assert kernel.dtype == np.float32
    np.testing.assert_array_equal(kernel, expected)
    assert tag == ""
    assert cell(editor, 0, 1).text() == "3"


def test_fraction_is_accepted(qtbot, editor):
    with qtbot.waitSignal(editor.kernelEdited) as blocker:
        type_into(qtbot, editor, 1, 1, "1/16")
    assert blocker.args[0][1, 1] == pytest.approx(0.0625)
    assert cell(editor, 1, 1).text() == "0.0625"


@pytest.mark.parametrize("text", ["abc", "nan", "inf", ""])
def test_bad_input_is_rejected_in_place(qtbot, editor, text):
    with qtbot.assertNotEmitted(editor.kernelEdited), qtbot.waitSignal(editor.message) as blocker:
        target = type_into(qtbot, editor, 1, 2, text)
    assert "row 2, column 3" in blocker.args[0]
    assert target.text() == "2"
    assert target.error
    assert "Rejected" in target.toolTip()
    np.testing.assert_array_equal(editor.kernel(), SOBEL_X)
    # The next good value clears the mark.
    with qtbot.waitSignal(editor.kernelEdited):
        type_into(qtbot, editor, 1, 2, "4")
    assert not target.error


def test_escape_undoes_typing(qtbot, editor):
    target = cell(editor, 0, 0)
    target.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(target.hasFocus)
    qtbot.keyClicks(target, "9")
    with qtbot.assertNotEmitted(editor.kernelEdited):
        qtbot.keyClick(target, Qt.Key.Key_Escape)
        cell(editor, 0, 1).setFocus(Qt.FocusReason.TabFocusReason)
        qtbot.waitUntil(lambda: not target.hasFocus())
    assert target.text() == "-1"


def test_sum_label_follows_the_kernel(qtbot, editor):
    assert editor.sum_text() == "Sum of weights: 0"
    type_into(qtbot, editor, 1, 1, "1")
    assert editor.sum_text() == "Sum of weights: 1"
    editor.set_filter(Filter("box", np.full((3, 3), 1 / 9, dtype=np.float32)))
    assert editor.sum_text() == "Sum of weights: 1  (grid 9 ÷ 9)"


# -- keyboard navigation ------------------------------------------------------------------------


@pytest.mark.parametrize("where", [(0, 1), (1, 1), (2, 2)])
def test_a_click_selects_the_number_so_typing_replaces_it(qtbot, editor, where):
    r, c = where
    cell(editor, 0, 0).setFocus(Qt.FocusReason.TabFocusReason)
    target = cell(editor, r, c)
    qtbot.mouseClick(target, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(target.hasFocus)
    assert target.selectedText() == target.text()
    with qtbot.waitSignal(editor.kernelEdited) as blocker:
        qtbot.keyClicks(target, "-1")
        qtbot.keyClick(target, Qt.Key.Key_Return)
    assert blocker.args[0][r, c] == -1
    assert not target.error


def test_a_second_click_puts_the_caret_in_the_number(qtbot, editor):
    target = cell(editor, 1, 0)
    qtbot.mouseClick(target, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(target.hasFocus)
    qtbot.mouseClick(target, Qt.MouseButton.LeftButton)
    assert not target.hasSelectedText() and target.caret_mode


def test_tab_and_arrows_move_between_cells(qtbot, editor):
    first = cell(editor, 0, 0)
    first.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(first.hasFocus)
    qtbot.keyClick(first, Qt.Key.Key_Tab)
    qtbot.waitUntil(cell(editor, 0, 1).hasFocus)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Down)
    qtbot.waitUntil(cell(editor, 1, 1).hasFocus)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Right)
    qtbot.waitUntil(cell(editor, 1, 2).hasFocus)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Backtab)
    qtbot.waitUntil(cell(editor, 1, 1).hasFocus)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Up)
    qtbot.waitUntil(cell(editor, 0, 1).hasFocus)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Left)
    qtbot.waitUntil(first.hasFocus)


def test_arrow_key_commits_what_was_typed(qtbot, editor):
    target = cell(editor, 2, 2)
    target.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(target.hasFocus)
    with qtbot.waitSignal(editor.kernelEdited) as blocker:
        qtbot.keyClicks(target, "-0.5")
        qtbot.keyClick(target, Qt.Key.Key_Left)
    assert blocker.args[0][2, 2] == pytest.approx(-0.5)
    qtbot.waitUntil(cell(editor, 2, 1).hasFocus)


def test_f2_lets_arrows_move_the_caret(qtbot, editor):
    target = cell(editor, 0, 0)
    target.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(target.hasFocus)
    qtbot.keyClick(target, Qt.Key.Key_F2)
    qtbot.keyClick(target, Qt.Key.Key_Left)
    assert target.hasFocus()
    assert target.cursorPosition() == len(target.text()) - 1


def test_tab_leaves_the_grid_after_the_last_cell(qtbot, editor):
    last = cell(editor, 2, 2)
    last.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(last.hasFocus)
    qtbot.keyClick(last, Qt.Key.Key_Tab)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is editor.preset_button())


# -- scrubbing -----------------------------------------------------------------------------------


def test_wheel_scrubs_with_one_merge_tag(qtbot, editor):
    target = cell(editor, 1, 1)
    tags = []
    editor.kernelEdited.connect(lambda k, t: tags.append((float(k[1, 1]), t)))
    wheel(target, 1)
    wheel(target, 1)
    wheel(target, -1, Qt.KeyboardModifier.ShiftModifier)
    wheel(target, 1, Qt.KeyboardModifier.ControlModifier)
    assert [t for _, t in tags] == ["cell:1,1"] * 4
    values = [v for v, _ in tags]
    assert values == pytest.approx([0.1, 0.2, -0.8, -0.79])


def test_alt_arrows_and_page_keys_nudge(qtbot, editor):
    target = cell(editor, 0, 2)
    target.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(target.hasFocus)
    with qtbot.waitSignal(editor.kernelEdited) as blocker:
        qtbot.keyClick(target, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    assert blocker.args[0][0, 2] == pytest.approx(1.1)
    assert blocker.args[1] == "cell:0,2"
    with qtbot.waitSignal(editor.kernelEdited) as blocker:
        qtbot.keyClick(target, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ShiftModifier)
    assert blocker.args[0][0, 2] == pytest.approx(0.1)
    assert target.hasFocus()


# -- size ------------------------------------------------------------------------------------------


def test_resize_keeps_the_centre(qtbot, editor):
    combo = editor.size_selector()
    with qtbot.waitSignal(editor.kernelEdited) as blocker:
        combo.setCurrentIndex(1)
        combo.activated.emit(1)
    grown = blocker.args[0]
    assert grown.shape == (5, 5)
    np.testing.assert_array_equal(grown[1:4, 1:4], SOBEL_X)
    assert grown[0].sum() == 0 and grown[:, 4].sum() == 0
    assert editor.grid_size()[0] == 5
    with qtbot.waitSignal(editor.kernelEdited) as blocker:
        combo.setCurrentIndex(0)
        combo.activated.emit(0)
    np.testing.assert_array_equal(blocker.args[0], SOBEL_X)


def test_odd_size_from_a_file_is_shown_as_it_is(qtbot, editor):
    editor.set_filter(Filter("big", np.ones((9, 9), dtype=np.float32)))
    assert editor.size_selector().currentText() == "9x9"
    assert editor.grid_size() == (9, 9)
    editor.set_filter(Filter("row", np.array([[0, 1, 0]], dtype=np.float32)))
    assert editor.size_selector().currentText() == "1x3 (row)"
    editor.set_filter(Filter("wide", np.ones((3, 9), dtype=np.float32)))
    assert editor.size_selector().currentText() == "3x9"
    editor.set_filter(Filter("small", SOBEL_X))
    assert editor.size_selector().currentText() == "3x3"
    assert editor.size_selector().count() == len(GRID_SHAPES)


# -- transforms ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("button", "expected"),
    [
        ("flip", SOBEL_X[::-1, ::-1]),
        ("rotate90", np.rot90(SOBEL_X, -1)),
        ("transpose", SOBEL_X.T),
        ("clear", np.zeros((3, 3))),
    ],
)
def test_transform_buttons(qtbot, editor, button, expected):
    with qtbot.waitSignal(editor.kernelEdited) as blocker:
        editor.tool_button(button).click()
    np.testing.assert_array_equal(blocker.args[0], expected)
    assert blocker.args[1] == ""


def test_normalize(qtbot, editor):
    editor.set_filter(Filter("ones", np.full((3, 3), 2.0, dtype=np.float32)))
    with qtbot.waitSignal(editor.kernelEdited) as blocker:
        editor.tool_button("normalize").click()
    np.testing.assert_allclose(blocker.args[0], np.full((3, 3), 1 / 9), rtol=1e-6)


def test_normalize_with_zero_sum_only_says_so(qtbot, editor):
    with qtbot.assertNotEmitted(editor.kernelEdited), qtbot.waitSignal(editor.message) as blocker:
        editor.tool_button("normalize").click()
    assert "zero" in blocker.args[0]


def answer_dialog(qtbot, text, *, accept=True):
    """Type ``text`` into the modal number dialog about to open, then OK (or Cancel) it."""

    def answer():
        dialog = QApplication.activeModalWidget()
        box = dialog.findChild(NumberBox)
        box.lineEdit().selectAll()
        qtbot.keyClicks(box.lineEdit(), text)
        dialog.accept() if accept else dialog.reject()

    QTimer.singleShot(0, answer)


def test_scale_asks_for_a_factor(qtbot, editor):
    answer_dialog(qtbot, "0.5")
    with qtbot.waitSignal(editor.kernelEdited) as blocker:
        editor.tool_button("scale").click()
    np.testing.assert_array_equal(blocker.args[0], SOBEL_X * 0.5)
    answer_dialog(qtbot, "3", accept=False)
    with qtbot.assertNotEmitted(editor.kernelEdited):
        editor.tool_button("scale").click()


def test_randomize_draws_new_weights_each_time(qtbot, editor):
    with qtbot.waitSignal(editor.kernelEdited) as first:
        editor.tool_button("randomize").click()
    with qtbot.waitSignal(editor.kernelEdited) as second:
        editor.tool_button("randomize").click()
    assert first.args[0].shape == (3, 3)
    assert not np.array_equal(first.args[0], second.args[0])


def test_choosing_a_preset_replaces_the_kernel(qtbot, editor):
    actions = {a.data(): a for a in editor.preset_actions()}
    assert set(actions) == set(kernels.PRESETS)
    assert actions["sobel_y"].toolTip() == kernels.PRESETS["sobel_y"].description
    with qtbot.waitSignal(editor.kernelEdited) as blocker:
        actions["gaussian_blur_5x5"].trigger()
    np.testing.assert_array_equal(blocker.args[0], kernels.PRESETS["gaussian_blur_5x5"].kernel)
    assert editor.size_selector().currentText() == "5x5"


# -- clipboard -------------------------------------------------------------------------------------


def test_copy_paste_round_trip(qtbot, editor):
    k = np.array([[0.0625, -2, 1e-3], [1, 2, 3], [-0.5, 0, 7]], dtype=np.float32)
    editor.set_filter(Filter("k", k))
    editor.tool_button("copy").click()
    assert QGuiApplication.clipboard().text() == kernels.format_kernel(k)
    editor.set_filter(Filter("other", SOBEL_X))
    with qtbot.waitSignal(editor.kernelEdited) as blocker:
        editor.tool_button("paste").click()
    np.testing.assert_array_equal(blocker.args[0], k)


def test_paste_of_bad_text_says_why(qtbot, editor):
    QGuiApplication.clipboard().setText("hello there")
    with qtbot.assertNotEmitted(editor.kernelEdited), qtbot.waitSignal(editor.message) as blocker:
        editor.paste_kernel()
    assert blocker.args[0].startswith("Could not paste a kernel")


def test_ctrl_v_pastes_only_while_the_editor_has_focus(qtbot):
    window = QMainWindow()
    qtbot.addWidget(window)
    central = QWidget()
    layout = QVBoxLayout(central)
    editor = KernelEditorWidget()
    outside = QWidget()
    outside.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    layout.addWidget(editor)
    layout.addWidget(outside)
    window.setCentralWidget(central)
    window_pastes = []
    action = QAction("Paste image", window)
    action.setShortcut(QKeySequence.StandardKey.Paste)
    action.triggered.connect(lambda: window_pastes.append(1))
    window.addAction(action)
    editor.set_filter(Filter("sobel", SOBEL_X))
    window.show()
    qtbot.waitExposed(window)
    QGuiApplication.clipboard().setText("1 2 3\n4 5 6\n7 8 9")

    button = editor.tool_button("flip")
    button.setFocus()
    qtbot.waitUntil(button.hasFocus)
    with qtbot.waitSignal(editor.kernelEdited) as blocker:
        qtbot.keyClick(button, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert blocker.args[0][2, 2] == 9
    assert window_pastes == []

    outside.setFocus()
    qtbot.waitUntil(outside.hasFocus)
    with qtbot.assertNotEmitted(editor.kernelEdited):
        qtbot.keyClick(outside, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert window_pastes == [1]


def test_ctrl_v_of_one_number_pastes_into_the_cell(qtbot, editor):
    QGuiApplication.clipboard().setText("1/4")
    target = cell(editor, 0, 0)
    target.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(target.hasFocus)
    target.selectAll()
    qtbot.keyClick(target, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    with qtbot.waitSignal(editor.kernelEdited) as blocker:
        qtbot.keyClick(target, Qt.Key.Key_Return)
    assert blocker.args[0][0, 0] == pytest.approx(0.25)


# -- depth mode -----------------------------------------------------------------------------------


def test_depth_mode_shows_three_grids_and_emits_3d(qtbot, editor):
    editor.set_depth_channels(3)
    assert editor.channel_count() == 3
    for ch in range(3):
        assert cell(editor, 1, 2, ch).text() == "2"
    assert "R" in editor.sum_text() and "B" in editor.sum_text()
    with qtbot.waitSignal(editor.kernelEdited) as blocker:
        type_into(qtbot, editor, 0, 0, "5", ch=1)
    k = blocker.args[0]
    assert k.shape == (3, 3, 3)
    assert k[0, 0, 1] == 5 and k[0, 0, 0] == -1 and k[0, 0, 2] == -1
    with qtbot.waitSignal(editor.kernelEdited) as blocker:
        wheel(cell(editor, 2, 2, 2), 1)
    assert blocker.args[1] == "cell:2,2,2"
    with qtbot.waitSignal(editor.kernelEdited) as blocker:
        editor.tool_button("flip").click()
    assert blocker.args[0].shape == (3, 3, 3)


def test_right_arrow_crosses_from_one_channel_to_the_next(qtbot, editor):
    editor.set_depth_channels(3)
    edge = cell(editor, 1, 2, 0)
    edge.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(edge.hasFocus)
    qtbot.keyClick(edge, Qt.Key.Key_Right)
    qtbot.waitUntil(cell(editor, 1, 0, 1).hasFocus)


def test_a_depth_kernel_shows_its_channels_without_depth_mode(qtbot, editor):
    k = kernels.random_kernel(3, seed=4, depth=3)
    editor.set_filter(Filter("deep", k))
    assert editor.channel_count() == 3
    np.testing.assert_array_equal(editor.kernel(), k)


# -- model -> widget ------------------------------------------------------------------------------


def test_set_filter_does_not_emit(qtbot, editor):
    with qtbot.assertNotEmitted(editor.kernelEdited), qtbot.assertNotEmitted(
        editor.biasEdited
    ), qtbot.assertNotEmitted(editor.activationEdited):
        editor.set_filter(Filter("x", np.eye(5, dtype=np.float32), bias=-1.5, activation="abs"))
    assert editor.bias_box().value() == -1.5
    assert editor.activation_box().currentData() == "abs"
    assert editor.size_selector().currentText() == "5x5"
    np.testing.assert_array_equal(editor.kernel(), np.eye(5))


def test_none_disables_the_editor(qtbot, editor):
    editor.set_filter(None)
    assert not editor.isEnabled()
    editor.set_filter(Filter("back", SOBEL_X))
    assert editor.isEnabled()


def test_bias_and_activation_emit_values(qtbot, editor):
    with qtbot.waitSignal(editor.biasEdited) as blocker:
        editor.bias_box().setValue(0.75)
    assert blocker.args == [0.75, "bias"]
    combo = editor.activation_box()
    with qtbot.waitSignal(editor.activationEdited) as blocker:
        combo.setCurrentIndex(combo.findData("abs"))
        combo.activated.emit(combo.currentIndex())
    assert blocker.args == ["abs"]
