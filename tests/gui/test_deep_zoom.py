"""Deep zoom into a large picture shows its exact cells, drawn as the overview draws them."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF

from filterstudio.core import display


def _tile_rgb(view, i: int, j: int) -> tuple[int, int, int]:
    i0, _, j0, _ = view.detail_cells()
    c = view.detail_item().pixmap().toImage().pixelColor(j - j0, i - i0)
    return c.red(), c.green(), c.blue()


def _as_rgb(pixel) -> tuple[int, int, int]:
    p = np.atleast_1d(pixel)
    return (int(p[0]),) * 3 if p.size == 1 else (int(p[0]), int(p[1]), int(p[2]))


def test_a_large_maps_cells_are_exact_when_zoomed_in(window, qtbot):
    rng = np.random.default_rng(5)
    picture = rng.random((900, 2400, 3), dtype=np.float32)  # wider than any overview
    window.set_image_array(picture, "noise")
    assert window.wait_until_current(60)
    uid = window.bank.filters[0].uid
    res = window.controller.result(uid)
    assert res.values is not None and res.pixels.shape[1] < res.values.shape[1]

    view = window.panel(0).view
    with qtbot.waitSignal(view.detailChanged, timeout=5000):
        view.apply_view_state(8.0, QPointF(1200.5, 450.5))
    i0, i1, j0, j1 = view.detail_cells()
    expected = display.to_uint8(
        res.values[i0:i1, j0:j1],
        res.mapping,
        colormap=res.colormap,
        limits=(res.stats.min, res.stats.max),
    )
    for i, j in ((i0, j0), ((i0 + i1) // 2, (j0 + j1) // 2), (i1 - 1, j1 - 1)):
        assert _tile_rgb(view, i, j) == _as_rgb(expected[i - i0, j - j0])

    # The input too: its pixels, not a resampled overview.
    in_view = window.input_panel.view
    with qtbot.waitSignal(in_view.detailChanged, timeout=5000):
        in_view.apply_view_state(8.0, QPointF(1200.5, 450.5))
    i0, i1, j0, j1 = in_view.detail_cells()
    i, j = (i0 + i1) // 2, (j0 + j1) // 2
    want = np.clip(np.rint(picture[i, j] * 255), 0, 255).astype(int)
    assert np.abs(np.array(_tile_rgb(in_view, i, j)) - want).max() <= 1
