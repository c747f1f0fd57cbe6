"""Map panels, the input panel and the feature grid: what they show and what they emit."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from filterstudio.core import display
from filterstudio.core.geometry import MapGeometry
from filterstudio.gui.widgets import (
    FeatureGridWidget,
    InputPanelWidget,
    MapPanelWidget,
    format_stats,
    grid_shape,
)

IN_HW = (30, 40)


def _panel(qtbot, size=(420, 320)) -> MapPanelWidget:
    panel = MapPanelWidget()
    qtbot.addWidget(panel)
    panel.resize(*size)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def _set_map(panel: MapPanelWidget, mapping="minmax", colormap="gray"):
    geo = MapGeometry.compute(IN_HW, (3, 3), stride=2, padding="same")
    values = np.linspace(-2.31, 3.02, geo.out_hw[0] * geo.out_hw[1], dtype=np.float32)
    values = values.reshape(geo.out_hw)
    stats = display.map_stats(values)
    pixels = display.to_uint8(values, mapping, colormap=colormap)
    panel.set_map(
        pixels,
        geometry=geo,
        values=values,
        full_hw=geo.out_hw,
        stats=stats,
        mapping=mapping,
        colormap=colormap,
    )
    return values, stats


def test_set_title_and_map_fill_title_and_stats(qtbot):
    panel = _panel(qtbot)
    panel.set_title("sobel_x  3x3 -> 20x15")
    _values, stats = _set_map(panel)
    assert panel.title() == "sobel_x  3x3 -> 20x15"
    text = panel.stats_text()
    assert text.startswith("min -2.31  max 3.02  mean ")
    assert text.endswith(f"neg {stats.negative_fraction * 100:.0f}%")
    assert panel.view.pixmap_item().pixmap().width() == 20
    assert not panel.has_error()


def test_format_stats():
    stats = display.map_stats(np.array([[-2.31, 3.02], [0.0, -1e-12]], np.float32))
    assert format_stats(stats) == "min -2.31  max 3.02  mean 0.178  neg 50%"
    assert format_stats(stats, compact=True) == "min -2.31 max 3.02 mean 0.178"
    assert format_stats(stats, tight=True) == "-2.31 to 3.02, mean 0.178"
    tiny = display.map_stats(np.array([[-1.0, 1.0 + 1e-9]], np.float32))
    assert "mean 0 " in format_stats(tiny)


def test_colorbar_shown_for_diverging_and_colormaps_only(qtbot):
    panel = _panel(qtbot)
    _set_map(panel, "minmax", "gray")
    assert not panel.colorbar_widget().isVisible()
    _set_map(panel, "diverging", "RdBu_r")
    assert panel.colorbar_widget().isVisible()
    labels = [label for _, label in panel.colorbar_widget().ticks()]
    assert labels == ["-3.02", "0", "3.02"]
    _set_map(panel, "clip", "viridis")
    assert [label for _, label in panel.colorbar_widget().ticks()] == ["0", "0.5", "1"]


def test_histogram_gets_stats(qtbot):
    panel = _panel(qtbot)
    _set_map(panel)
    hist = panel.histogram_widget()
    assert hist.zero_position() == pytest.approx(2.31 / 5.33, abs=1e-3)


def test_mapping_combo_emits_names(qtbot):
    panel = _panel(qtbot)
    combo = panel.mapping_box()
    with qtbot.waitSignal(
        panel.mappingChanged, check_params_cb=lambda m, c: m == "diverging" and c == ""
    ):
        combo.setCurrentIndex(combo.findData("diverging"))
    cmaps = [panel.colormap_box().itemData(k) for k in range(panel.colormap_box().count())]
    assert cmaps == ["", *display.DIVERGING_COLORMAPS]
    cm = panel.colormap_box()
    with qtbot.waitSignal(
        panel.mappingChanged, check_params_cb=lambda m, c: (m, c) == ("diverging", "coolwarm")
    ):
        cm.setCurrentIndex(cm.findData("coolwarm"))
    with qtbot.waitSignal(panel.mappingChanged, check_params_cb=lambda m, c: m == "minmax"):
        combo.setCurrentIndex(combo.findData("minmax"))
    cmaps = [cm.itemData(k) for k in range(cm.count())]
    assert cmaps == ["", *display.COLORMAPS]


def test_set_mapping_is_silent(qtbot):
    panel = _panel(qtbot)
    with qtbot.assertNotEmitted(panel.mappingChanged):
        panel.set_mapping("diverging", "bwr")
    assert (panel.mapping(), panel.colormap()) == ("diverging", "bwr")
    with qtbot.assertNotEmitted(panel.mappingChanged):
        panel.set_mapping("default", "")
    assert (panel.mapping(), panel.colormap()) == ("default", "")


def test_relu_toggle_emits_and_set_relu_is_silent(qtbot):
    panel = _panel(qtbot)
    with qtbot.waitSignal(panel.reluToggled, check_params_cb=lambda on: on is True):
        QTest.mouseClick(panel.relu_button(), Qt.MouseButton.LeftButton)
    with qtbot.assertNotEmitted(panel.reluToggled):
        panel.set_relu(False)
    assert not panel.is_relu()


def test_set_error_shows_message_and_set_map_recovers(qtbot):
    panel = _panel(qtbot)
    _set_map(panel)
    message = "The kernel is larger than the padded image: output size 0."
    panel.set_error(message)
    assert panel.has_error()
    assert panel.error_text() == message
    assert panel.error_label().isVisible()
    assert panel.stats_text() == ""
    _set_map(panel)
    assert not panel.has_error()
    assert panel.view.isVisible()


def test_click_emits_select_requested(qtbot):
    panel = _panel(qtbot)
    _set_map(panel)
    with qtbot.waitSignal(panel.selectRequested):
        QTest.mouseClick(panel, Qt.MouseButton.LeftButton, pos=QPoint(2, 2))
    with qtbot.waitSignal(panel.selectRequested):
        QTest.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(30, 30))
    with qtbot.waitSignal(panel.selectRequested):
        QTest.mouseClick(panel.title_label(), Qt.MouseButton.LeftButton)


def test_busy_selected_and_hover(qtbot):
    panel = _panel(qtbot)
    panel.set_busy(True)
    assert panel.is_busy() and panel.busy_label().isVisible()
    panel.set_busy(False)
    assert not panel.busy_label().isVisible()
    panel.set_selected(True)
    assert panel.is_selected()
    with qtbot.waitSignal(panel.hoveredCell, check_params_cb=lambda i, j: (i, j) == (2, 3)):
        panel.view.hoveredCell.emit(2, 3)


def test_small_panel_collapses_controls(qtbot):
    panel = _panel(qtbot, size=(170, 130))
    _set_map(panel)
    assert not panel.histogram_widget().isVisible()
    assert not panel.colormap_box().isVisible()
    assert panel.mapping_box().isVisible()
    panel.resize(520, 360)
    qtbot.waitUntil(lambda: panel.histogram_widget().isVisible())


def test_input_panel(qtbot):
    panel = InputPanelWidget()
    qtbot.addWidget(panel)
    panel.resize(300, 240)
    panel.show()
    values = np.zeros((300, 400, 3), np.float32)
    pixels = np.zeros((75, 100, 3), np.uint8)
    panel.set_image(pixels, values, title="photo.jpg  400x300 RGB")
    assert panel.title() == "photo.jpg  400x300 RGB"
    rect = panel.view.pixmap_item().sceneBoundingRect()
    assert (rect.width(), rect.height()) == (400, 300)
    with qtbot.waitSignal(panel.hoveredPixel, check_params_cb=lambda y, x: (y, x) == (5, 6)):
        panel.view.hoveredCell.emit(5, 6)


@pytest.mark.parametrize(
    ("count", "expected"),
    # 16 maps: three rows of six give larger pictures than four of four, now that a colour
    # bar takes no width from a panel's picture.
    [(1, (1, 1)), (2, (1, 2)), (4, (2, 2)), (6, (2, 3)), (9, (3, 3)), (16, (3, 6))],
)
def test_grid_shape_at_1200x800(count, expected):
    assert grid_shape(count, 1200, 800, aspect=4 / 3) == expected


def test_grid_shape_follows_space():
    assert grid_shape(2, 500, 1000, aspect=4 / 3) == (2, 1)
    assert grid_shape(4, 2000, 300, aspect=4 / 3) == (1, 4)
    assert grid_shape(0, 800, 600) == (0, 0)


@pytest.mark.parametrize("count", [1, 2, 4, 6, 9, 16])
def test_feature_grid_columns(qtbot, count):
    grid = FeatureGridWidget()
    qtbot.addWidget(grid)
    grid.set_aspect(4 / 3)
    grid.resize(1200, 800)
    grid.show()
    panels = [MapPanelWidget() for _ in range(count)]
    grid.set_panels(panels)
    rows, cols = grid_shape(count, 1200, 800, aspect=4 / 3)
    qtbot.waitUntil(lambda: grid.shape() == (rows, cols))
    layout = grid.layout()
    for k, panel in enumerate(panels):
        r, c, _, _ = layout.getItemPosition(layout.indexOf(panel))
        assert (r, c) == (k // cols, k % cols)


def test_feature_grid_keeps_widgets(qtbot):
    grid = FeatureGridWidget()
    qtbot.addWidget(grid)
    grid.resize(900, 600)
    grid.show()
    a, b, c = (MapPanelWidget() for _ in range(3))
    grid.set_panels([a, b, c])
    grid.set_panels([c, a])
    assert grid.panels() == [c, a]
    assert a.parent() is grid and c.parent() is grid
    assert b.parent() is None and not b.isVisible()
    b.deleteLater()


def test_histogram_bars_are_drawn_and_redrawn_for_new_counts(qtbot):
    from filterstudio.gui.widgets import HistogramWidget
    from filterstudio.gui.widgets.panel_parts import NEGATIVE_BAR, POSITIVE_BAR

    hist = HistogramWidget()
    qtbot.addWidget(hist)
    hist.resize(90, 18)
    hist.show()
    qtbot.waitExposed(hist)

    def bar_colour(k: int):  # bottom pixel in the middle of bar k of 3
        image = hist.grab().toImage()
        return image.pixelColor(int((k + 0.5) * 90 / 3), 15)

    hist.set_histogram([4, 0, 1], [-1.5, -0.5, 0.5, 1.5])
    assert bar_colour(0) == NEGATIVE_BAR and bar_colour(2) == POSITIVE_BAR
    assert bar_colour(1) != POSITIVE_BAR  # an empty bin draws nothing
    hist.set_histogram([0, 3, 0], [-1.5, -0.5, 0.5, 1.5])  # new counts: not the cached bars
    assert bar_colour(0) != NEGATIVE_BAR and bar_colour(2) != POSITIVE_BAR
    hist.resize(60, 18)  # a new size draws again at that size
    image = hist.grab().toImage()
    assert image.width() == 60 and image.pixelColor(25, 15) == POSITIVE_BAR


def test_busy_note_does_not_lay_the_panel_out_again(qtbot):
    panel = _panel(qtbot)
    _set_map(panel)
    panel.set_title("a long title that has to be shortened to fit " * 3)
    QApplication.processEvents()  # run the pending layout
    before = panel.title_label().geometry()
    panel.set_busy(True)
    QApplication.processEvents()
    assert panel.busy_label().isVisible() and panel.title_label().geometry() == before
    panel.set_busy(False)
    QApplication.processEvents()
    assert not panel.busy_label().isVisible() and panel.title_label().geometry() == before
    # The note lies over the picture's top-right corner and leaves the title its whole row.
    panel.set_busy(True)
    assert panel.map_area().geometry().contains(panel.busy_label().geometry())
    assert panel.title_label().geometry().right() >= panel.width() - 12


@pytest.mark.parametrize("size", [(420, 320), (260, 200), (600, 500)])
def test_a_colour_bar_does_not_shrink_the_map(qtbot, size):
    """Panels side by side line up: the map area is the same with and without a colour bar."""
    plain, barred = _panel(qtbot, size), _panel(qtbot, size)
    _set_map(plain, "minmax", "gray")
    _set_map(barred, "diverging", "RdBu_r")
    assert barred.colorbar_widget().isVisible() and not plain.colorbar_widget().isVisible()
    for panel in (plain, barred):
        panel.layout().activate()

    def map_rect(panel):
        viewport = panel.view.viewport()
        return viewport.mapTo(panel, QPoint(0, 0)), viewport.size()

    assert map_rect(plain) == map_rect(barred)
    # The bar stays inside the panel and clear of the map.
    bar = barred.colorbar_widget()
    top_left, map_size = map_rect(barred)
    bar_rect = bar.geometry().translated(bar.parentWidget().mapTo(barred, QPoint(0, 0)))
    assert barred.rect().contains(bar_rect)
    assert bar_rect.bottom() < top_left.y() or bar_rect.top() > top_left.y() + map_size.height()


def test_default_choices_say_what_they_resolve_to(qtbot):
    panel = _panel(qtbot)
    mapping, colormap = panel.mapping_box(), panel.colormap_box()
    assert mapping.accessibleName() == "display mapping"
    assert colormap.accessibleName() == "colour map"
    assert "Display mapping" in mapping.toolTip() and "Colour map" in colormap.toolTip()
    panel.set_defaults("minmax", "gray")
    assert mapping.itemText(0) == "minmax (default)"
    assert colormap.itemText(0) == "gray (default)"
    assert "Default: minmax" in mapping.toolTip()
    # Without a push, the panel learns the default from the map drawn with it.
    other = _panel(qtbot)
    _set_map(other, "diverging", None)
    assert other.mapping_box().itemText(0) == "diverging (default)"
    assert other.colormap_box().itemText(0) == f"{display.DEFAULT_DIVERGING} (default)"
    assert other.mapping() == "default" and other.colormap() == ""


def test_caption_says_what_the_filter_finds_without_moving_the_map(qtbot):
    plain, captioned = _panel(qtbot), _panel(qtbot)
    for panel in (plain, captioned):
        _set_map(panel)
    captioned.set_caption("vertical edges (brightness changing left to right)")
    assert captioned.caption().startswith("vertical edges")
    assert captioned.caption_label().isVisible()
    for panel in (plain, captioned):
        panel.layout().activate()
    assert plain.view.viewport().geometry() == captioned.view.viewport().geometry()
    captioned.set_caption("")
    assert captioned.caption() == ""


def test_a_narrow_choice_shows_the_name_without_its_note_rather_than_cut_words(qtbot):
    panel = _panel(qtbot)
    panel.set_defaults("minmax", "gray")
    for combo, name in ((panel.mapping_box(), "minmax"), (panel.colormap_box(), "gray")):
        full = f"{name} (default)"
        assert combo.currentText() == full
        combo.setFixedWidth(400)
        assert combo.shown_text() == full  # room for all of it: all of it
        seen = set()
        for width in range(150, 40, -5):
            combo.setFixedWidth(width)
            shown = combo.shown_text()
            seen.add(shown)
            # Whole, or the name alone (cut with an ellipsis only when even that does not fit).
            assert shown == full or shown == name or (
                shown.endswith("\u2026") and name.startswith(shown[:-1])
            ), (width, shown)
        assert name in seen  # the note goes first
