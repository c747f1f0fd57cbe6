"""Filter list: set_bank is silent, and every action becomes the right request."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from filterstudio.core import kernels
from filterstudio.gui.widgets import FilterListWidget
from filterstudio.model.bank import MAX_FILTERS, Bank, Filter


def make_bank(n=3):
    names = ["sobel_x", "box_blur", "sharpen", "laplacian"]
    filters = [
        Filter(names[i % 4], kernels.PRESETS[names[i % 4]].kernel, enabled=i != 1) for i in range(n)
    ]
    return Bank(tuple(filters))


@pytest.fixture
def flist(qtbot):
    w = FilterListWidget()
    qtbot.addWidget(w)
    w.set_bank(make_bank(), 0)
    w.show()
    qtbot.waitExposed(w)
    return w


def test_set_bank_shows_names_sizes_and_checkboxes_silently(qtbot):
    w = FilterListWidget()
    qtbot.addWidget(w)
    bank = make_bank(3).adding(Filter("deep", np.zeros((5, 5, 3), dtype=np.float32)))
    signals = [w.selectRequested, w.enabledToggled, w.renameRequested]
    with (
        qtbot.assertNotEmitted(signals[0]),
        qtbot.assertNotEmitted(signals[1]),
        qtbot.assertNotEmitted(signals[2]),
    ):
        w.set_bank(bank, 2)
    tree = w.tree_view()
    assert tree.topLevelItemCount() == 4
    assert [tree.topLevelItem(i).text(0) for i in range(4)] == [
        "sobel_x",
        "box_blur",
        "sharpen",
        "deep",
    ]
    assert tree.topLevelItem(3).text(1) == "5x5x3"
    assert tree.topLevelItem(1).checkState(0) == Qt.CheckState.Unchecked
    assert w.current_index() == 2
    with qtbot.assertNotEmitted(w.selectRequested):
        w.set_bank(make_bank(2), 0)
    assert tree.topLevelItemCount() == 2


def test_selecting_a_row_requests_it(qtbot, flist):
    with qtbot.waitSignal(flist.selectRequested) as blocker:
        flist.tree_view().setCurrentItem(flist.tree_view().topLevelItem(2))
    assert blocker.args == [2]


def test_checkbox_toggles_enabled(qtbot, flist):
    item = flist.tree_view().topLevelItem(1)
    with qtbot.waitSignal(flist.enabledToggled) as blocker:
        item.setCheckState(0, Qt.CheckState.Checked)
    assert blocker.args == [1, True]


def test_add_menu_lists_presets(qtbot, flist):
    actions = {a.data(): a for a in flist.add_menu().actions()}
    assert list(actions) == list(kernels.PRESETS)
    with qtbot.waitSignal(flist.addRequested) as blocker:
        actions["emboss"].trigger()
    assert blocker.args == ["emboss"]


def test_buttons_request_actions(qtbot, flist):
    flist.set_bank(flist.bank(), 1)
    with qtbot.waitSignal(flist.duplicateRequested) as blocker:
        flist.button("duplicate").click()
    assert blocker.args == [1]
    with qtbot.waitSignal(flist.removeRequested) as blocker:
        flist.button("remove").click()
    assert blocker.args == [1]
    with qtbot.waitSignal(flist.moveRequested) as blocker:
        flist.button("up").click()
    assert blocker.args == [1, 0]
    with qtbot.waitSignal(flist.moveRequested) as blocker:
        flist.button("down").click()
    assert blocker.args == [1, 2]


def test_keyboard_move_and_remove(qtbot, flist):
    flist.set_bank(flist.bank(), 1)
    flist.tree_view().setFocus()
    qtbot.waitUntil(flist.tree_view().hasFocus)
    with qtbot.waitSignal(flist.moveRequested) as blocker:
        qtbot.keyClick(flist.tree_view(), Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    assert blocker.args == [1, 2]
    with qtbot.waitSignal(flist.removeRequested) as blocker:
        qtbot.keyClick(flist.tree_view(), Qt.Key.Key_Delete)
    assert blocker.args == [1]


def test_rename_inline(qtbot, flist):
    item = flist.tree_view().topLevelItem(0)
    with qtbot.waitSignal(flist.renameRequested) as blocker:
        item.setText(0, "  edges  ")
    assert blocker.args == [0, "edges"]
    with qtbot.assertNotEmitted(flist.renameRequested):
        item.setText(0, "")
    assert item.text(0) == "sobel_x"


def test_f2_opens_the_name_editor(qtbot, flist):
    flist.tree_view().setFocus()
    qtbot.waitUntil(flist.tree_view().hasFocus)
    qtbot.keyClick(flist.tree_view(), Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: flist.tree_view().state() == flist.tree_view().State.EditingState)
    editor = flist.tree_view().focusWidget() or flist.tree_view().viewport().focusWidget()
    assert editor is not None
    editor.selectAll()
    qtbot.keyClicks(editor, "renamed")
    with qtbot.waitSignal(flist.renameRequested) as blocker:
        qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert blocker.args == [0, "renamed"]


def test_limits_disable_add_and_remove(qtbot, flist):
    flist.set_bank(make_bank(1), 0)
    assert not flist.button("remove").isEnabled()
    assert not flist.button("up").isEnabled() and not flist.button("down").isEnabled()
    with qtbot.assertNotEmitted(flist.removeRequested):
        qtbot.keyClick(flist.tree_view(), Qt.Key.Key_Delete)
    flist.set_bank(make_bank(MAX_FILTERS), 3)
    assert not flist.button("add").isEnabled()
    assert not flist.button("duplicate").isEnabled()
    assert flist.button("remove").isEnabled()
