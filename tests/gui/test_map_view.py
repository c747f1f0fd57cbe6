"""MapView placement, hover, overlays and zoom detail; ViewSync keeps views together."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QTransform
from PySide6.QtTest import QTest

from filterstudio.core.geometry import MapGeometry
from filterstudio.gui.widgets import (
    GRID_MIN_PX,
    VALUES_MIN_PX,
    MapView,
    ViewSync,
    detail_level,
    format_value,
)

IN_HW = (20, 30)


def _view(qtbot, size=(300, 200)) -> MapView:
    view = MapView()
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    return view


def _input(view: MapView, hw=IN_HW) -> np.ndarray:
    values = np.arange(hw[0] * hw[1], dtype=np.float32).reshape(hw) / (hw[0] * hw[1])
    pixels = np.ascontiguousarray(np.rint(values * 255).astype(np.uint8))
    view.set_content(pixels, geometry=None, values=values)
    return values


def _map(view: MapView, geometry: MapGeometry, *, display_hw=None, channels=0):
    shape = geometry.out_hw + ((channels,) if channels else ())
    values = np.linspace(-1, 1, int(np.prod(shape)), dtype=np.float32).reshape(shape)
    dh, dw = display_hw or geometry.out_hw
    pixels = np.zeros((dh, dw) + ((3,) if channels else ()), np.uint8)
    view.set_content(pixels, geometry=geometry, values=values, full_hw=geometry.out_hw)
    return values


def _rect_tuple(rect) -> tuple[float, float, float, float]:
    return (rect.top(), rect.left(), rect.height(), rect.width())


@pytest.mark.parametrize(
    "kwargs",
    [
        {"stride": 1, "padding": "valid", "dilation": 1},
        {"stride": 2, "padding": "valid", "dilation": 1},
        {"stride": 1, "padding": "same", "dilation": 1},
        {"stride": 2, "padding": "same", "dilation": 1},
        {"stride": 1, "padding": "valid", "dilation": 2},
        {"stride": (2, 3), "padding": "full", "dilation": (2, 1)},
    ],
)
def test_map_lands_where_geometry_says(qtbot, kwargs):
    view = _view(qtbot)
    geo = MapGeometry.compute(IN_HW, (3, 3), **kwargs)
    _map(view, geo)
    oh, ow = geo.out_hw
    top, left, _, _ = geo.cell_rect(0, 0)
    bottom_top, right_left, ch, cw = geo.cell_rect(oh - 1, ow - 1)
    expected = (top, left, bottom_top + ch - top, right_left + cw - left)
    got = _rect_tuple(view.pixmap_item().sceneBoundingRect())
    assert got == pytest.approx(expected)
    for i, j in [(0, 0), (oh - 1, ow - 1), (oh // 2, ow // 3)]:
        assert _rect_tuple(view.cell_rect(i, j)) == pytest.approx(geo.cell_rect(i, j))


def test_downscaled_pixels_cover_the_full_map(qtbot):
    view = _view(qtbot)
    geo = MapGeometry.compute((200, 300), (5, 5), stride=2, padding="same")
    _map(view, geo, display_hw=(25, 38))
    rect = view.pixmap_item().sceneBoundingRect()
    top, left, _, _ = geo.cell_rect(0, 0)
    assert (rect.top(), rect.left()) == pytest.approx((top, left))
    assert rect.height() == pytest.approx(geo.out_hw[0] * 2)
    assert rect.width() == pytest.approx(geo.out_hw[1] * 2)


def test_input_pixels_cover_unit_squares(qtbot):
    view = _view(qtbot)
    _input(view)
    assert _rect_tuple(view.pixmap_item().sceneBoundingRect()) == (0, 0, 20, 30)
    assert view.map_geometry() is None


def test_set_content_none_clears(qtbot):
    view = _view(qtbot)
    _input(view)
    view.set_content(None, geometry=None)
    assert view.pixmap_item().pixmap().isNull()
    assert view.current_detail_level() == "pixels"


def test_nearest_neighbour_when_zoomed_in(qtbot):
    view = _view(qtbot)
    _input(view)
    view.set_zoom(8)
    assert view.pixmap_item().transformationMode() == Qt.TransformationMode.FastTransformation


def test_hovered_cell_for_input_and_map(qtbot):
    view = _view(qtbot)
    _input(view)
    view.apply_view_state(10.0, QPointF(15, 10))
    target = view.mapFromScene(QPointF(7.5, 4.5))
    with qtbot.waitSignal(view.hoveredCell, check_params_cb=lambda i, j: (i, j) == (4, 7)):
        QTest.mouseMove(view.viewport(), target)

    geo = MapGeometry.compute(IN_HW, (3, 3), stride=2, padding="valid")
    _map(view, geo)
    top, left, h, w = geo.cell_rect(3, 5)
    target = view.mapFromScene(QPointF(left + w / 2, top + h / 2))
    with qtbot.waitSignal(view.hoveredCell, check_params_cb=lambda i, j: (i, j) == (3, 5)):
        QTest.mouseMove(view.viewport(), target)
    off = view.mapFromScene(QPointF(-3.0, -3.0))
    with qtbot.waitSignal(view.hoveredCell, check_params_cb=lambda i, j: (i, j) == (-1, -1)):
        QTest.mouseMove(view.viewport(), off)


def test_cell_at_scene_matches_geometry(qtbot):
    view = _view(qtbot)
    geo = MapGeometry.compute(IN_HW, (3, 3), stride=2, padding="same", dilation=2)
    _map(view, geo)
    for y, x in [(0.6, 0.6), (5.2, 9.9), (19.4, 29.4), (-5, 3)]:
        expected = geo.cell_at(y, x) or (-1, -1)
        assert view.cell_at_scene(QPointF(x, y)) == expected


def test_click_without_drag_emits_clicked(qtbot):
    view = _view(qtbot)
    _input(view)
    with qtbot.waitSignal(view.clicked):
        QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(50, 50))


def test_receptive_field_items_match_taps(qtbot):
    view = _view(qtbot)
    _input(view)
    geo = MapGeometry.compute(IN_HW, (3, 3), padding="same", dilation=2)
    taps = geo.taps(0, 0)
    view.set_receptive_field(taps)
    items = view.receptive_field_items()
    assert len(items) == len(taps) == 9
    for item, (_a, _b, y, x, inside) in zip(items, taps):
        assert _rect_tuple(item.mapRectToScene(item.rect())) == pytest.approx((y, x, 1, 1))
        style = item.pen().style()
        assert style == (Qt.PenStyle.SolidLine if inside else Qt.PenStyle.DashLine)
    inside_colors = {i.pen().color().name() for i, t in zip(items, taps) if t[4]}
    padded_colors = {i.pen().color().name() for i, t in zip(items, taps) if not t[4]}
    assert inside_colors and padded_colors and inside_colors.isdisjoint(padded_colors)
    # Dilation 2: the taps are two pixels apart, so the gaps between them stay visible.
    xs = sorted({t[3] for t in taps})
    assert np.diff(xs).tolist() == [2, 2]
    window = view.window_item()
    assert window.isVisible()
    assert _rect_tuple(window.rect()) == (-2, -2, 5, 5)
    view.set_receptive_field(None)
    assert view.receptive_field_items() == []
    assert not window.isVisible()
    assert all(item.scene() is None for item in items)


def test_highlight_cell(qtbot):
    view = _view(qtbot)
    geo = MapGeometry.compute(IN_HW, (3, 3), stride=2)
    _map(view, geo)
    view.set_highlight_cell(2, 3)
    item = view.highlight_item()
    assert item.isVisible()
    assert _rect_tuple(item.rect()) == pytest.approx(geo.cell_rect(2, 3))
    view.set_highlight_cell(-1, -1)
    assert not item.isVisible()


def test_detail_level_thresholds():
    assert detail_level(1.0) == "pixels"
    assert detail_level(GRID_MIN_PX - 0.1) == "pixels"
    assert detail_level(GRID_MIN_PX) == "grid"
    assert detail_level(VALUES_MIN_PX - 0.1) == "grid"
    assert detail_level(VALUES_MIN_PX) == "values"
    assert detail_level(200, has_values=False) == "grid"


def test_view_detail_level_follows_zoom_and_stride(qtbot):
    view = _view(qtbot)
    geo = MapGeometry.compute(IN_HW, (3, 3), stride=2)
    _map(view, geo)
    view.set_zoom(4)
    assert view.current_detail_level() == "pixels"
    view.set_zoom(8)  # cells of 2 input pixels: 16 screen pixels
    assert view.cell_screen_px() == pytest.approx(16)
    assert view.current_detail_level() == "grid"
    view.set_zoom(20)
    assert view.current_detail_level() == "values"


def test_values_drawn_when_zoomed_in(qtbot):
    """A 7x7 lesson image at a large zoom paints (exercises drawForeground with numbers)."""
    view = _view(qtbot, size=(400, 400))
    values = np.zeros((7, 7), np.float32)
    values[:, 3] = 1.0
    view.set_content(
        np.ascontiguousarray((values * 255).astype(np.uint8)), geometry=None, values=values
    )
    view.zoom_fit()
    assert view.current_detail_level() == "values"
    assert not view.grab().isNull()
    rgb = np.zeros((5, 5, 3), np.float32)
    geo = MapGeometry.compute((7, 7), (3, 3))
    view.set_content(np.zeros((5, 5, 3), np.uint8), geometry=geo, values=rgb)
    assert not view.grab().isNull()


def test_format_value():
    assert format_value(3.0) == "3"
    assert format_value(-2.3125) == "-2.31"
    assert format_value(-0.0) == "0"
    assert format_value(0.125) == "0.125"
    assert format_value(float("nan")) == "nan"


def test_zoom_keys_fit_and_100(qtbot):
    view = _view(qtbot)
    _input(view)
    view.zoom_100()
    assert view.zoom() == pytest.approx(1.0)
    assert not view.is_fit()
    with qtbot.waitSignal(view.viewChanged):
        QTest.keyClick(view, Qt.Key.Key_Plus)
    assert view.zoom() == pytest.approx(1.25)
    QTest.keyClick(view, Qt.Key.Key_Minus)
    assert view.zoom() == pytest.approx(1.0)
    view.zoom_fit()
    assert view.is_fit()
    assert view.zoom() == pytest.approx(view.fit_zoom())
    assert view.center().x() == pytest.approx(15, abs=1 / view.zoom())


def test_wheel_zooms_about_cursor(qtbot):
    from PySide6.QtCore import QPoint as _P
    from PySide6.QtGui import QWheelEvent

    view = _view(qtbot)
    _input(view)
    view.apply_view_state(4.0, QPointF(15, 10))
    pos = QPointF(60, 50)
    before = view.mapToScene(pos.toPoint())
    event = QWheelEvent(
        pos,
        view.viewport().mapToGlobal(pos),
        _P(0, 0),
        _P(0, 120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    with qtbot.waitSignal(view.viewChanged):
        view.wheelEvent(event)
    assert view.zoom() == pytest.approx(5.0)
    after = view.mapToScene(pos.toPoint())
    assert after.x() == pytest.approx(before.x(), abs=0.5)
    assert after.y() == pytest.approx(before.y(), abs=0.5)


# ---------------------------------------------------------------------------- ViewSync


def _synced(qtbot, n=3):
    sync = ViewSync()
    views = []
    for k in range(n):
        view = _view(qtbot)
        if k == 0:
            _input(view)
        else:
            _map(view, MapGeometry.compute(IN_HW, (3, 3), stride=k, padding="same"))
        sync.add(view)
        views.append(view)
    return sync, views


def _assert_same_view(views):
    ref = views[0]
    tol = 1.0 / ref.zoom()
    for view in views[1:]:
        assert view.transform() == ref.transform()
        assert view.center().x() == pytest.approx(ref.center().x(), abs=tol)
        assert view.center().y() == pytest.approx(ref.center().y(), abs=tol)


def test_sync_zoom_and_centre_follow_one_view(qtbot):
    _sync, views = _synced(qtbot)
    views[1].set_zoom(6.0)
    assert views[2].zoom() == pytest.approx(6.0)
    _assert_same_view(views)
    views[2].center_on_point(4.0, 17.0)
    assert views[0].center().x() == pytest.approx(4.0, abs=1 / 6)
    _assert_same_view(views)
    QTest.keyClick(views[0], Qt.Key.Key_Plus)
    assert views[1].zoom() == pytest.approx(7.5)
    _assert_same_view(views)


def test_sync_drag_pan_moves_others(qtbot):
    _sync, views = _synced(qtbot)
    views[0].set_zoom(10.0)
    before = views[1].center()
    vp = views[0].viewport()
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, pos=QPoint(150, 100))
    QTest.mouseMove(vp, QPoint(120, 90))
    QTest.mouseMove(vp, QPoint(100, 80))
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=QPoint(100, 80))
    assert views[1].center() != before
    _assert_same_view(views)


def test_sync_has_no_feedback_loop(qtbot):
    _sync, views = _synced(qtbot)
    counts = [0] * len(views)
    for k, view in enumerate(views):
        view.viewChanged.connect(lambda k=k: counts.__setitem__(k, counts[k] + 1))
    views[1].set_zoom(3.0)
    assert counts == [0, 1, 0]


def test_sync_all_actions(qtbot):
    sync, views = _synced(qtbot)
    sync.zoom_100_all()
    assert all(v.zoom() == pytest.approx(1.0) for v in views)
    sync.zoom_in_all()
    assert all(v.zoom() == pytest.approx(1.25) for v in views)
    sync.zoom_out_all()
    assert all(v.zoom() == pytest.approx(1.0) for v in views)
    _assert_same_view(views)
    sync.fit_all()
    assert all(v.is_fit() for v in views)
    assert all(v.zoom() == pytest.approx(v.fit_zoom()) for v in views)


def test_new_view_adopts_and_removed_view_is_free(qtbot):
    sync, views = _synced(qtbot, n=2)
    views[0].set_zoom(5.0)
    views[0].center_on_point(8.0, 6.0)
    late = _view(qtbot)
    _map(late, MapGeometry.compute(IN_HW, (5, 5)))
    sync.add(late)
    _assert_same_view([views[0], late])
    sync.remove(late)
    views[0].set_zoom(2.0)
    assert late.zoom() == pytest.approx(5.0)
    assert sync.views() == views


def test_sync_forgets_deleted_views(qtbot):
    sync, views = _synced(qtbot, n=2)
    doomed = MapView()
    sync.add(doomed)
    doomed.deleteLater()
    qtbot.waitUntil(lambda: all(v is not doomed for v in sync.views()))
    views[0].set_zoom(2.0)
    assert views[1].zoom() == pytest.approx(2.0)


def test_transform_is_plain_scale(qtbot):
    view = _view(qtbot)
    _input(view)
    view.set_zoom(3.0)
    assert view.transform() == QTransform.fromScale(3.0, 3.0)


def _big_map_with_overview(view: MapView, factor: int = 8):
    """A 160x240 map shown through a block-averaged overview, with a grey renderer."""
    geometry = MapGeometry.compute((160, 240), (1, 1))
    rng = np.random.default_rng(11)
    values = rng.random(geometry.out_hw, dtype=np.float32)
    h, w = geometry.out_hw
    overview = values.reshape(h // factor, factor, w // factor, factor).mean(axis=(1, 3))
    pixels = np.ascontiguousarray(np.rint(overview * 255).astype(np.uint8))
    view.set_detail_renderer(lambda crop: np.rint(crop * 255).astype(np.uint8))
    view.set_content(pixels, geometry=geometry, values=values, full_hw=geometry.out_hw)
    return values


def test_deep_zoom_draws_the_exact_cells_at_full_resolution(qtbot):
    view = _view(qtbot, (100, 80))
    values = _big_map_with_overview(view, factor=2)
    view.refresh_detail()
    assert view.detail_cells() is None  # fitted: the overview is shrunk, not magnified
    with qtbot.waitSignal(view.detailChanged, timeout=2000):
        view.apply_view_state(6.0, QPointF(100.5, 60.5))
    cells = view.detail_cells()
    assert cells is not None
    i0, i1, j0, j1 = cells
    assert i0 <= 60 < i1 and j0 <= 100 < j1
    # The tile's pixel at a cell is that cell's own value, not its block's average.
    tile = view.detail_item().pixmap().toImage()
    for i, j in ((60, 100), (i0, j0), (i1 - 1, j1 - 1)):
        assert tile.pixelColor(j - j0, i - i0).red() == round(float(values[i, j]) * 255)
    rect = view.detail_item().sceneBoundingRect()
    assert (rect.left(), rect.top(), rect.width(), rect.height()) == (j0, i0, j1 - j0, i1 - i0)
    # Zoomed back out, the overview is enough again and the tile goes.
    with qtbot.waitSignal(view.detailChanged, timeout=2000):
        view.zoom_fit()
    assert view.detail_cells() is None and not view.detail_item().isVisible()


def test_new_values_redraw_the_detail_tile_at_once(qtbot):
    view = _view(qtbot, (320, 240))
    _big_map_with_overview(view)
    with qtbot.waitSignal(view.detailChanged, timeout=2000):
        view.apply_view_state(6.0, QPointF(100.5, 60.5))
    i0, _, j0, _ = view.detail_cells()
    values = _big_map_with_overview(view)  # the same size, new values: no stale tile shown
    values_now = view.detail_item().pixmap().toImage().pixelColor(0, 0).red()
    assert values_now == round(float(values[i0, j0]) * 255)


def test_no_detail_tile_without_exact_values_or_renderer(qtbot):
    view = _view(qtbot, (320, 240))
    geometry = MapGeometry.compute((160, 240), (1, 1))
    pixels = np.zeros((20, 30), np.uint8)
    view.set_detail_renderer(lambda crop: np.zeros(crop.shape[:2], np.uint8))
    # A preview: no exact values, so nothing sharper can be drawn.
    view.set_content(pixels, geometry=geometry, values=None, full_hw=geometry.out_hw)
    view.apply_view_state(6.0, QPointF(100.5, 60.5))
    view.refresh_detail()
    assert view.detail_cells() is None
    view.set_detail_renderer(None)
    view.set_content(
        pixels,
        geometry=geometry,
        values=np.zeros(geometry.out_hw, np.float32),
        full_hw=geometry.out_hw,
    )
    view.refresh_detail()
    assert view.detail_cells() is None
