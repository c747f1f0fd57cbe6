"""Map panels always fit the feature grid: no column is cut off at the window's right edge."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QSplitter, QWidget

from filterstudio.gui.widgets import FeatureGridWidget, MapPanelWidget, grid_shape
from filterstudio.model.bank import MAX_FILTERS


def _inside(panel: QWidget, grid: QWidget) -> bool:
    return QRect(0, 0, grid.width(), grid.height()).contains(panel.geometry())


def test_grid_shape_skips_shapes_whose_cells_are_smaller_than_a_panel():
    # 4x4 gives the largest pictures, but its cells are 142 px wide: narrower than a panel.
    assert grid_shape(16, 583, 726, aspect=4 / 3) == (4, 4)
    assert grid_shape(16, 583, 726, aspect=4 / 3, minimum=(150, 100)) == (6, 3)
    # When the cells hold a panel the largest pictures still win.
    assert grid_shape(16, 583, 726, aspect=4 / 3, minimum=(137, 100)) == (4, 4)


def test_grid_shape_without_any_fitting_shape_takes_the_closest():
    # Nothing holds 16 panels of 200x200 in 400x400: the least cut-off shape is square.
    assert grid_shape(16, 400, 400, minimum=(200, 200)) == (4, 4)


def test_compact_panel_keeps_its_controls_inside(qtbot):
    host = QWidget()  # a child widget is resized at once, a window when the platform says so
    qtbot.addWidget(host)
    host.resize(500, 300)
    panel = MapPanelWidget(host)
    host.show()
    qtbot.waitExposed(host)
    least = panel.minimumSizeHint().width()
    row = [panel.mapping_box(), panel.colormap_box(), panel.relu_button(), panel.histogram_widget()]
    for width in range(min(least, 150), 420, 9):
        panel.resize(width, 200)
        assert panel.width() == width
        panel.layout().activate()
        for w in row:
            if not w.isVisible():
                continue
            assert w.geometry().right() < panel.width() - 1, (width, w)
            assert w.width() >= w.minimumSizeHint().width(), (width, w)


@pytest.fixture
def split_grid(qtbot):
    """A splitter like the studio's at 1280x800: a column beside the grid of all filters."""
    splitter = QSplitter(Qt.Orientation.Horizontal)
    qtbot.addWidget(splitter)
    left = QWidget()
    left.setMinimumWidth(150)
    grid = FeatureGridWidget()
    grid.set_aspect(4 / 3)
    splitter.addWidget(left)
    splitter.addWidget(grid)
    splitter.resize(878, 726)
    splitter.show()
    qtbot.waitExposed(splitter)
    panels = [MapPanelWidget() for _ in range(MAX_FILTERS)]
    grid.set_panels(panels)
    return splitter, grid, panels


def test_sixteen_panels_fit_a_1280_pixel_window(qtbot, split_grid):
    splitter, grid, panels = split_grid
    splitter.setSizes([291, 583])
    qtbot.waitUntil(lambda: all(_inside(p, grid) for p in panels))
    assert grid.shape() == (4, 4)


def test_the_splitter_cannot_squeeze_panels_off_the_grid(qtbot, split_grid):
    splitter, grid, panels = split_grid
    splitter.setSizes([800, 70])
    qtbot.waitUntil(lambda: grid.width() >= grid.minimumSizeHint().width())
    qtbot.waitUntil(lambda: all(_inside(p, grid) for p in panels))
    rows, cols = grid.shape()
    assert cols < 4 and rows * cols >= MAX_FILTERS


def test_all_panels_fit_in_the_window_at_1280x800(qtbot, window):
    assert window.size().toTuple() == (1280, 800)
    names = ["sobel_y", "identity", "box_blur", "sharpen", "laplacian", "emboss"]
    while len(window.bank.filters) < MAX_FILTERS:
        window.controller.add_filter(names[len(window.bank.filters) % len(names)])
    grid = window.feature_grid
    panels = grid.panels()
    assert len(panels) == MAX_FILTERS
    qtbot.waitUntil(lambda: all(_inside(p, grid) for p in panels))
    # The grid is whole inside the window too.
    corner = grid.mapTo(window, grid.rect().bottomRight())
    assert corner.x() < window.width() and corner.y() < window.height()
