"""The Kernel Insight panel follows the selected filter through the window's scripting surface."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from filterstudio.core.kernels import PRESETS
from filterstudio.core.separable import describe_separable
from filterstudio.core.spectrum import describe_response
from filterstudio.gui.widgets import KernelInsightWidget
from filterstudio.gui.widgets.frequency_view import response_to_uint8

WAIT_MS = 10_000


def numpy_response(k, n=64):
    return np.abs(np.fft.fftshift(np.fft.fft2(np.asarray(k, np.float64), (n, n))))


@pytest.fixture
def studio(window, qtbot):
    """The window with a small picture, the insight dock in front and current."""
    rng = np.random.default_rng(0)
    window.set_image_array(rng.random((24, 30, 3)).astype(np.float32), "noise")
    window.show_insight()
    qtbot.waitUntil(window.insight.is_current, timeout=WAIT_MS)
    return window


def shown(window, qtbot):
    qtbot.waitUntil(window.insight.is_current, timeout=WAIT_MS)
    return window.insight


@pytest.mark.parametrize("name", ["sobel_x", "gaussian_blur", "laplacian", "gaussian_blur_7x7"])
def test_set_kernel_shows_its_sentence_and_numpys_response(studio, qtbot, name):
    k = PRESETS[name].kernel
    studio.set_kernel(0, k)
    panel = shown(studio, qtbot)
    assert panel.response_text() == describe_response(k)
    np.testing.assert_array_equal(panel.response_values(), numpy_response(k))
    # What is drawn is that response through the colour map, peak at the top of the bar.
    np.testing.assert_array_equal(panel.response_image(), response_to_uint8(numpy_response(k)))
    sep = describe_separable(k)
    assert panel.separable_text() == sep.split(", the column ")[0] + (
        ":" if "the column" in sep else ""
    )


def test_the_drawing_is_low_in_the_middle_for_edges_and_high_for_blurs(studio, qtbot):
    studio.set_kernel(0, PRESETS["laplacian"].kernel)
    centre = shown(studio, qtbot).response_image()[32, 32].copy()
    studio.set_kernel(0, PRESETS["gaussian_blur"].kernel)
    assert shown(studio, qtbot).response_image()[32, 32].sum() > centre.sum() + 200


def test_separable_rows_show_the_two_1d_kernels(studio, qtbot):
    studio.set_kernel(0, PRESETS["gaussian_blur_5x5"].kernel)
    panel = shown(studio, qtbot)
    assert panel.separable_text() == "Separable: 5 + 5 = 10 multiplies per pixel instead of 25:"
    assert panel.factor_texts() == ("[1 4 6 4 1] / 16", "[1 4 6 4 1] / 16")
    column, row = panel.factor_rows()
    assert column.cell_texts() == ["1", "4", "6", "4", "1"] and column.isVisible()
    studio.set_kernel(0, PRESETS["laplacian"].kernel)
    panel = shown(studio, qtbot)
    assert panel.factor_texts() is None and not column.isVisible()
    assert panel.separable_text().startswith("Not separable: 9 multiplies")


def test_an_edit_in_the_grid_redraws_the_panel(studio, qtbot):
    index = [f.name for f in studio.bank.filters].index("sobel_x")
    studio.controller.select(index)
    panel = shown(studio, qtbot)
    assert panel.response_text() == describe_response(PRESETS["sobel_x"].kernel)
    cell = studio.kernel_editor.cell(1, 1)
    cell.setFocus()
    qtbot.keyClick(cell, Qt.Key.Key_PageUp, Qt.KeyboardModifier.ShiftModifier)  # +1
    qtbot.waitUntil(lambda: studio.bank.filters[index].kernel[1, 1] == 1.0, timeout=WAIT_MS)
    panel = shown(studio, qtbot)
    edited = studio.bank.filters[index].kernel
    assert panel.response_text() == describe_response(edited)
    np.testing.assert_array_equal(panel.response_values(), numpy_response(edited))


def test_selection_and_undo_reach_the_panel(studio, qtbot):
    studio.set_kernel(3, PRESETS["gaussian_blur"].kernel)
    studio.controller.select(3)
    assert shown(studio, qtbot).response_text().startswith("Low-pass")
    studio.set_kernel(3, PRESETS["sharpen"].kernel)
    assert shown(studio, qtbot).response_text().startswith("High-boost")
    studio.controller.undo_stack.undo()
    assert shown(studio, qtbot).response_text().startswith("Low-pass")


def test_stride_draws_the_square_and_says_what_aliases(studio, qtbot):
    studio.set_kernel(0, PRESETS["identity"].kernel)
    assert shown(studio, qtbot).stride_text() == ""
    studio.set_stride(2)
    panel = shown(studio, qtbot)
    assert panel.stride_text().startswith("At stride 2 the map keeps every 2nd row and column")
    assert panel.insight().nyquist == (0.25, 0.25)
    studio.set_layer(stride=1, dilation=3)
    panel = shown(studio, qtbot)
    spread = np.zeros((7, 7))
    spread[::3, ::3] = PRESETS["identity"].kernel
    np.testing.assert_allclose(panel.response_values(), numpy_response(spread), atol=1e-12)


def test_a_depth_kernel_offers_its_channels(studio, qtbot):
    studio.set_layer(channel_mode="depth")
    k = np.random.default_rng(2).standard_normal((3, 3, 3)).astype(np.float32)
    studio.set_kernel(0, k)
    panel = shown(studio, qtbot)
    assert panel.channel() is None
    np.testing.assert_allclose(
        panel.response_values(), numpy_response(k.astype(np.float64).sum(axis=2)), atol=1e-12
    )
    with qtbot.waitSignal(panel.updated, timeout=WAIT_MS):
        panel.set_channel(2)
    np.testing.assert_array_equal(panel.response_values(), numpy_response(k[:, :, 2]))
    assert panel.channel() == 2
    # Outside depth mode the kernel is applied summed, and so it is described.
    studio.set_layer(channel_mode="gray")
    panel = shown(studio, qtbot)
    np.testing.assert_array_equal(panel.response_values(), numpy_response(k.sum(axis=2)))


def test_log_scale_redraws_the_same_response(studio, qtbot):
    studio.set_kernel(0, PRESETS["gaussian_blur"].kernel)
    panel = shown(studio, qtbot)
    with qtbot.waitSignal(panel.updated, timeout=WAIT_MS):
        panel.set_log_scale(True)
    want = response_to_uint8(numpy_response(PRESETS["gaussian_blur"].kernel), log=True)
    np.testing.assert_array_equal(panel.response_image(), want)


def test_a_hidden_panel_waits_and_catches_up(studio, qtbot):
    studio.layer_dock.raise_()  # the insight dock's tab goes behind the layer's
    qtbot.waitUntil(lambda: not studio.insight.is_active(), timeout=WAIT_MS)
    studio.set_kernel(0, PRESETS["laplacian"].kernel)
    qtbot.wait(50)
    assert not studio.insight.is_current()
    studio.action("filters.insight").trigger()
    panel = shown(studio, qtbot)
    assert panel.response_text() == describe_response(PRESETS["laplacian"].kernel)


def test_a_burst_of_edits_ends_on_the_newest_and_skips_the_rest(qtbot):
    panel = KernelInsightWidget()
    qtbot.addWidget(panel)
    panel.show()
    drawn = []
    panel.updated.connect(lambda: drawn.append(panel.response_values()))
    rng = np.random.default_rng(3)
    kernels = [rng.standard_normal((5, 5)) for _ in range(30)]
    for k in kernels:
        panel.show_kernel(k)
    qtbot.waitUntil(panel.is_current, timeout=WAIT_MS)
    np.testing.assert_allclose(
        panel.response_values(), numpy_response(kernels[-1].astype(np.float32))
    )
    assert len(drawn) < 10  # the ones waiting behind a newer request were never computed
    panel.show_kernel(None)
    assert panel.is_current() and panel.response_text() == "No filter selected."
    panel.shutdown()


def test_presentation_keeps_the_insight_dock_on_the_studio_tab_and_gives_the_lesson_its_room(
    studio, qtbot
):
    assert studio.insight_dock.isVisible()
    studio.set_presentation(True)
    qtbot.waitUntil(studio.isFullScreen, timeout=WAIT_MS)
    assert studio.insight_dock.isVisible()  # kernels are still read in front of the room
    studio.tabs.setCurrentWidget(studio.lesson)
    qtbot.waitUntil(lambda: not studio.insight_dock.isVisible(), timeout=WAIT_MS)
    studio.set_presentation(False)
    studio.tabs.setCurrentIndex(0)
    qtbot.waitUntil(studio.insight_dock.isVisible, timeout=WAIT_MS)
