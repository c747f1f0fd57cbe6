"""The window tells its views what they say: the hovered filter, what "default" stands for,
what each filter finds, one way of writing sizes, and the Layer panel's sentences."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from filterstudio.core import kernels
from filterstudio.core.sizes import size_label, size_text


def _current(qtbot, win):
    qtbot.waitUntil(win.is_current, timeout=15000)


def test_the_hover_arithmetic_names_the_filter_it_shows(qtbot, window):
    window.open_sample("smiley")
    _current(qtbot, window)
    name = window.bank.filters[1].name
    window.panel(1).view.hoveredCell.emit(3, 4)
    text = window.arithmetic.plain_text()
    assert name in text and "filter 2" in text, text
    assert "row 3, column 4" in text


def test_the_default_choices_say_what_they_stand_for_at_once(qtbot, window):
    panel = window.panel(len(window.bank.filters) - 1)
    mapping, cmap = window.controller.display.mapping, window.controller.display.colormap
    # Before any map is drawn, the panel already knows what "default" is.
    assert panel.mapping_box().itemText(0) == f"{mapping} (default)"
    assert panel.colormap_box().itemText(0) == f"{cmap or 'gray'} (default)"
    window.set_default_mapping("clip")
    # At once, not when the next map arrives.
    assert panel.mapping_box().itemText(0) == "clip (default)"
    window.controller.set_display("clip", "viridis")
    assert panel.colormap_box().itemText(0) == "viridis (default)"


def test_a_combined_panel_learns_the_defaults_when_it_is_made(qtbot, window):
    window.set_default_mapping("abs")
    window.add_combined_map(0, 1, "sum")
    assert window.combined_panel(0).mapping_box().itemText(0) == "abs (default)"


def test_each_panel_says_what_its_filter_finds_and_only_the_edited_one_changes(
    qtbot, window, monkeypatch
):
    window.open_sample("smiley")
    _current(qtbot, window)
    for i, f in enumerate(window.bank.filters):
        assert window.panel(i).caption() == kernels.finds_caption(f.kernel)
        assert window.panel(i).caption(), f.name  # the starter filters are all presets
    calls: list[int] = []
    for i in range(len(window.bank.filters)):
        real = window.panel(i).set_caption
        monkeypatch.setattr(
            window.panel(i), "set_caption", lambda t, i=i, real=real: calls.append(i) or real(t)
        )
    window.set_kernel(1, kernels.get_preset("laplacian").kernel)
    assert window.panel(1).caption() == kernels.FINDS["laplacian"]
    assert calls == [1]
    window.set_kernel(1, np.eye(3))  # not a preset: no caption
    assert window.panel(1).caption() == ""
    window.controller.add_filter("emboss")
    assert window.panel(len(window.bank.filters) - 1).caption() == kernels.FINDS["emboss"]


def test_the_layer_panel_speaks_in_the_status_bar(qtbot, window):
    window.layer_controls.message.emit("Padding is at most 1000 pixels.")
    assert window.statusBar().currentMessage() == "Padding is at most 1000 pixels."


def test_sizes_are_written_one_way_everywhere(qtbot, window):
    window.open_sample("photo")
    _current(qtbot, window)
    h, w = window.controller.image.pixels.shape[:2]
    assert size_label(h, w) in window.status.size_label.text()
    assert size_text(h, w) in window.input_panel.title()
    oh, ow = window.map_values(0).shape[:2]
    assert size_text(oh, ow) in window.panel(0).title()
    assert f"{w}x{h}" not in window.status.size_label.text()
    window.add_combined_map(0, 1, "sum")
    _current(qtbot, window)
    qtbot.waitUntil(lambda: window.combined_values(0) is not None, timeout=15000)
    assert size_text(oh, ow) in window.combined_panel(0).title()


@pytest.mark.parametrize("size", [3, 5, 7])
def test_the_kernel_editor_shows_every_cell_without_a_fixed_height(qtbot, window, size):
    window.set_kernel(0, np.ones((size, size)) / size**2)
    window.controller.select(0)
    editor = window.kernel_editor
    scroll = window.filters_dock.widget()

    def whole(r: int, c: int) -> bool:
        cell = editor.cell(r, c)
        shown = scroll.viewport().rect()
        return cell.isVisible() and all(
            shown.contains(cell.mapTo(scroll.viewport(), corner))
            for corner in (cell.rect().topLeft(), cell.rect().bottomRight())
        )

    corners = ((0, 0), (size - 1, size - 1), (0, size - 1), (size - 1, 0))

    def seen() -> bool:  # every cell whole, and the dock needs no scrolling
        return all(whole(r, c) for r, c in corners) and scroll.verticalScrollBar().maximum() == 0

    qtbot.waitUntil(seen, timeout=3000)


def test_presentation_on_the_studio_tab_grows_every_view_and_keeps_the_kernel_in_view(
    qtbot, window
):
    from PySide6.QtWidgets import QApplication

    base = QApplication.font().pointSizeF()
    window.open_sample("smiley")
    _current(qtbot, window)
    editor_cell = window.kernel_editor.cell(0, 0).height()
    window.action("view.presentation").trigger()
    assert window.is_presenting()
    for view in (window.kernel_editor, window.layer_controls, window.filter_list,
                 window.input_panel):  # fmt: skip
        assert view.font().pointSizeF() >= base * 1.4, view
    assert window.panel(0).is_presentation()
    assert window.lesson.is_presentation()
    window.panel(1).view.hoveredCell.emit(2, 2)
    assert "16pt" in window.arithmetic.html()
    # The kernel is edited in front of the room: its dock stays, with larger cells.
    assert window.filters_dock.isVisible()
    qtbot.waitUntil(lambda: window.kernel_editor.cell(0, 0).height() > editor_cell, timeout=3000)
    window.tabs.setCurrentWidget(window.lesson)  # the lesson takes the whole screen
    assert not window.filters_dock.isVisible() and not window.layer_dock.isVisible()
    window.tabs.setCurrentIndex(0)
    assert window.filters_dock.isVisible()
    # F5 ends it, with the menus hidden.
    window.activateWindow()
    window.tabs.setFocus()
    qtbot.keyClick(window.tabs, Qt.Key.Key_F5)
    assert not window.is_presenting()
    assert window.kernel_editor.font().pointSizeF() == pytest.approx(base)
    assert not window.panel(0).is_presentation()
    assert window.menuBar().isVisible() and window.statusBar().isVisible()


def _rgba_png(path, alpha: int):
    from PIL import Image

    rgba = np.zeros((9, 12, 4), np.uint8)
    rgba[..., 0] = 200
    rgba[..., 3] = 255
    rgba[2:5, 3:7, 3] = alpha
    Image.fromarray(rgba, "RGBA").save(path)
    return path


@pytest.mark.parametrize("how", ["open", "drop-paste"])
def test_a_dropped_transparency_is_said_once(qtbot, window, tmp_path, how):
    from PySide6.QtGui import QGuiApplication, QImage

    from filterstudio.core.imageio import ALPHA_DROPPED

    said: list[str] = []
    window.statusBar().messageChanged.connect(said.append)
    if how == "open":
        assert window.open_image(str(_rgba_png(tmp_path / "see-through.png", 0)))
    else:
        image = QImage(str(_rgba_png(tmp_path / "see-through.png", 40)))
        assert image.hasAlphaChannel()
        QGuiApplication.clipboard().setImage(image)
        window.tabs.setFocus()
        with qtbot.waitSignal(window.imageLoaded, timeout=10000):
            window.action("file.paste").trigger()
    assert sum(ALPHA_DROPPED in m for m in said) == 1, said
    assert window.controller.image.pixels.shape == (9, 12, 3)
    said.clear()
    from PIL import Image

    Image.new("RGB", (12, 9), (10, 20, 30)).save(tmp_path / "solid.png")
    assert window.open_image(str(tmp_path / "solid.png"))
    assert not any(ALPHA_DROPPED in m for m in said)


def test_an_added_edge_detector_shows_edge_strength_as_the_starters_do(qtbot, window):
    window.controller.add_filter("prewitt_y")
    window.controller.add_filter("box_blur")
    prewitt, blur = (
        window.panel(len(window.bank.filters) - 2),
        window.panel(len(window.bank.filters) - 1),
    )
    assert prewitt.mapping() == "abs"
    assert blur.mapping() == "default"


def test_without_a_picture_the_status_bar_counts_no_maps(qtbot, window):
    assert window.controller.progress() == (0, 0)
    window.status.flush()
    assert window.busy_text() == ""
