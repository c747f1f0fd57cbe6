"""Help that helps: every shortcut listed from the commands themselves, and a short guide."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence

from filterstudio.gui.widgets import KernelCellWidget, LessonWidget


def _help_titles(window) -> list[str]:
    menu = window.actions.menus["&Help"]
    return [a.text().replace("&", "") for a in menu.actions() if a.text()]


def test_the_help_menu_offers_a_guide_and_the_shortcuts(window):
    assert _help_titles(window)[:2] == ["Getting Started", "Keyboard Shortcuts"]
    assert "About Filter Studio" in _help_titles(window)


def test_every_command_with_a_key_is_listed_with_its_key(qtbot, window):
    window.action("help.shortcuts").trigger()
    dialog = window.help_dialog("Keyboard Shortcuts")
    assert dialog is not None and dialog.isVisible()
    text = dialog.text()
    listed = 0
    for action in window.actions.actions.values():
        keys = action.shortcuts()
        if not keys:
            continue
        first = keys[0].toString(QKeySequence.SequenceFormat.NativeText)
        title = action.text().replace("&", "").rstrip("…")
        title = title.split(" ")[0] if title.startswith(("Undo", "Redo")) else title
        assert first in text, (action.objectName(), first)
        assert title in text, (action.objectName(), title)
        listed += 1
    assert listed >= 20
    for keys, what in KernelCellWidget.KEYS + LessonWidget.KEYS:
        assert keys in text and what in text


def test_the_guide_walks_through_the_first_steps(qtbot, window):
    window.action("help.getting_started").trigger()
    text = window.help_dialog("Getting Started").text()
    for topic in ("Open Image", "kernel", "Stride", "Padding", "pointer", "Lesson", "Save Session"):
        assert topic in text, topic


def test_a_help_window_closes_with_esc(qtbot, window):
    window.show_shortcuts()
    dialog = window.help_dialog("Keyboard Shortcuts")
    qtbot.waitUntil(dialog.isVisible)
    qtbot.keyClick(dialog.browser(), Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    window.show_shortcuts()  # and opens again
    assert dialog.isVisible()


def test_space_switches_the_selected_filter_as_the_list_says(qtbot, window):
    tree = window.filter_list.tree_view()
    tree.setFocus()
    tree.setCurrentItem(tree.topLevelItem(1), 0)
    assert window.bank.filters[1].enabled
    qtbot.keyClick(tree, Qt.Key.Key_Space)
    assert not window.bank.filters[1].enabled
