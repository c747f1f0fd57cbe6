"""The window on a laptop: it opens inside the screen, the side docks fit whole, sixteen maps keep
their numbers, and the lesson on a photo writes its numbers."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QRect, QSettings
from PySide6.QtGui import QScreen

from filterstudio.core.kernels import PRESETS
from filterstudio.gui.window_fit import FRAME_ALLOWANCE, clamped, first_geometry

LAPTOP = QRect(0, 0, 1366, 768)
DESKTOP = QRect(0, 0, 1920, 1080)


def _inside(rect: QRect, available: QRect) -> bool:
    """``rect`` with a window frame around it lies inside ``available``."""
    framed = rect.adjusted(
        -FRAME_ALLOWANCE.width() // 2,
        -(FRAME_ALLOWANCE.height() - FRAME_ALLOWANCE.width() // 2),
        FRAME_ALLOWANCE.width() // 2,
        FRAME_ALLOWANCE.width() // 2,
    )
    return available.contains(framed)


@pytest.mark.parametrize("available", [LAPTOP, QRect(0, 0, 1280, 720), QRect(0, 27, 1366, 741)])
def test_a_fresh_start_on_a_small_screen_fills_it_and_stays_inside(available):
    rect = first_geometry(available)
    assert _inside(rect, available)
    assert rect.width() >= available.width() - FRAME_ALLOWANCE.width()
    assert rect.height() >= available.height() - FRAME_ALLOWANCE.height()


@pytest.mark.parametrize("available", [DESKTOP, QRect(0, 0, 1920, 1040), QRect(0, 0, 3840, 2160)])
def test_a_fresh_start_on_a_large_screen_is_large_centred_and_leaves_room(available):
    rect = first_geometry(available)
    assert _inside(rect, available)
    assert rect.width() >= 1400 and rect.height() >= 860  # room for the maps
    assert rect.width() < available.width() and rect.height() < available.height()
    assert abs(rect.center().x() - available.center().x()) <= 1


@pytest.mark.parametrize("rect", [QRect(0, 0, 1400, 860), QRect(500, 300, 1900, 1000)])
def test_a_geometry_from_a_larger_screen_is_clamped(rect):
    out = clamped(rect, LAPTOP)
    assert _inside(out, LAPTOP)
    small = QRect(100, 100, 800, 500)
    assert clamped(small, LAPTOP) == small  # what already fits stays where it is


def _laptop(monkeypatch):
    monkeypatch.setattr(QScreen, "availableGeometry", lambda self: QRect(LAPTOP))


def test_the_window_opens_inside_a_laptop_screen(qtbot, monkeypatch):
    from filterstudio.gui.main_window import MainWindow

    _laptop(monkeypatch)
    win = MainWindow()
    qtbot.addWidget(win)
    assert _inside(win.geometry(), LAPTOP), win.geometry()


def test_a_window_saved_on_a_large_screen_opens_inside_a_laptop_screen(qtbot, monkeypatch):
    from filterstudio.gui.main_window import MainWindow

    monkeypatch.setattr(QScreen, "availableGeometry", lambda self: QRect(DESKTOP))
    big = MainWindow()
    qtbot.addWidget(big)
    big.setGeometry(QRect(40, 60, 1850, 1000))
    big.show()
    big.close()
    assert QSettings().value("geometry") is not None
    _laptop(monkeypatch)
    win = MainWindow()
    qtbot.addWidget(win)
    assert _inside(win.geometry(), LAPTOP), win.geometry()


@pytest.fixture
def laptop_window(qtbot, monkeypatch):
    from filterstudio.gui.main_window import MainWindow

    _laptop(monkeypatch)
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.controller.mark_clean()
    win.close()


def _no_scrolling(dock) -> bool:
    return dock.isVisible() and dock.widget().verticalScrollBar().maximum() == 0


@pytest.mark.parametrize("size", [3, 5, 7])
def test_on_a_laptop_the_side_docks_need_no_scrolling(qtbot, laptop_window, size):
    win = laptop_window
    win.set_kernel(0, np.ones((size, size)) / size**2)
    win.controller.select(0)
    qtbot.waitUntil(lambda: _no_scrolling(win.filters_dock), timeout=3000)
    editor = win.kernel_editor
    viewport = win.filters_dock.widget().viewport()
    last = editor.cell(size - 1, size - 1)
    assert viewport.rect().contains(last.mapTo(viewport, last.rect().bottomRight()))
    win.layer_dock.raise_()  # its tab, when the two share the height
    qtbot.waitUntil(lambda: _no_scrolling(win.layer_dock), timeout=3000)


def test_on_a_laptop_sixteen_maps_keep_min_max_and_mean(qtbot, laptop_window):
    win = laptop_window
    win.open_sample("photo")
    names = [n for n in PRESETS if n != "random"]
    for name in names[: 16 - len(win.bank.filters)]:
        win.controller.add_filter(name)
    assert len(win.bank.filters) == 16
    qtbot.waitUntil(win.is_current, timeout=60000)
    for i in range(16):
        panel = win.panel(i)
        assert panel.isVisible()
        label = panel.stats_label()
        qtbot.waitUntil(label.isVisible, timeout=3000)
        shown = label.shown_text()
        assert "\u2026" not in shown and "mean" in shown, (i, shown)


@pytest.mark.parametrize("rgb", [True, False])
def test_on_a_laptop_the_photo_lesson_writes_its_numbers(qtbot, rgb):
    from filterstudio.core.samples import load_sample
    from filterstudio.gui.widgets import LessonWidget
    from filterstudio.gui.widgets.lesson_canvas import READABLE_VALUE_PX
    from filterstudio.model.bank import Filter, Layer

    photo = load_sample("photo")
    if not rgb:
        photo = photo.mean(axis=2)
    lesson = LessonWidget()
    qtbot.addWidget(lesson)
    lesson.resize(960, 620)  # the Lesson tab beside the docks on a 1366 x 768 screen
    assert lesson.set_lesson(photo, Filter("line", [[0, 1, 0]] * 3), Layer())
    lesson.show()
    qtbot.waitExposed(lesson)
    canvas = lesson.canvas
    for step in (0, lesson.step_count() // 2, lesson.step_count() - 1):
        lesson.set_step(step)
        lay = canvas.layout()
        assert lay.value_px >= READABLE_VALUE_PX, (step, lay.value_px)
        # The drawn part holds the kernel's window and the cell being made, and a click on
        # that cell finds it.
        i, j = lesson.plan().steps[step]
        assert lay.map_crop.contains(i, j)
        assert canvas.cell_at(canvas.map_cell_center(i, j)) == (i, j)
        assert canvas.rect().contains(canvas.map_cell_center(i, j).toPoint())
    if rgb:
        assert not lay.input_crop.whole  # too large to number whole at this size
