"""The Learn tab's widgets on their own: loss curve, kernel values, pictures, the two pages."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QGuiApplication

from filterstudio.compute.learn_descent import RATE_SCALES, SPEEDS
from filterstudio.gui.widgets import (
    GuessWidget,
    KernelValuesView,
    LearnWidget,
    LossCurveWidget,
    PictureView,
)
from filterstudio.gui.widgets.kernel_values import format_weight
from filterstudio.gui.widgets.loss_curve import column_envelope, nice_step


def test_a_long_curve_is_thinned_to_two_points_a_column():
    x = np.linspace(0, 1, 100_000)
    y = np.sin(40 * x)
    xs, ys = column_envelope(x, y, 200)
    assert xs.size <= 400
    assert ys.max() == pytest.approx(y.max(), abs=1e-6) and ys.min() == pytest.approx(
        y.min(), abs=1e-6
    )
    short_x, short_y = column_envelope(x[:50], y[:50], 200)
    assert short_x.size == 50


def test_nice_steps_are_one_two_or_five_times_a_power_of_ten():
    assert nice_step(1000, 5) == 200
    assert nice_step(47, 4) == 20
    assert nice_step(0) == 1.0


def test_the_loss_curve_draws_a_long_run_and_an_exact_line(qtbot):
    w = LossCurveWidget()
    qtbot.addWidget(w)
    w.resize(400, 220)
    steps = np.arange(50_000)
    w.set_curve(steps, 10.0 ** (-steps / 5000.0), exact=1e-20)
    image = w.grab().toImage()
    assert not image.isNull() and w.point_count() == 50_000
    w.clear("nothing yet")
    assert w.point_count() == 0
    w.grab()


def test_weights_are_shown_to_the_resolution_of_the_largest():
    assert format_weight(0.3775, 0.3775) == "0.378"
    assert format_weight(-0.009327, 0.3775) == "-0.009"
    assert format_weight(3e-9, 7.0) == "0"
    assert format_weight(-1.5, 7.0) == "-1.5"
    assert format_weight(float("nan"), 1.0) == "nan"


def test_kernel_values_show_each_weight_and_the_exact_values_in_the_tip(qtbot):
    v = KernelValuesView()
    qtbot.addWidget(v)
    v.resize(200, 150)
    v.set_kernel(np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 1e-9]], np.float32))
    assert v.texts()[1] == ["-1", "5", "-1"] and v.texts()[2][2] == "0"
    assert "1e-09" in v.toolTip()
    v.grab()
    v.set_kernel(None)
    assert v.texts() == []


def test_a_picture_view_fits_its_picture_and_keeps_its_caption(qtbot):
    p = PictureView("Target")
    qtbot.addWidget(p)
    p.resize(300, 260)
    p.set_pixels(np.zeros((30, 40, 3), np.uint8), "40x30")
    assert p.caption() == "40x30" and p.display_side() > 100
    p.grab()
    p.set_pixels(None)
    assert p.pixels() is None and p.caption() == "40x30"


def test_the_learn_page_reports_what_is_asked(qtbot):
    page = LearnWidget()
    qtbot.addWidget(page)
    page.set_filters(["a", "b"], 1)
    page.set_can_learn(True)
    with qtbot.waitSignal(page.mapTargetRequested) as got:
        page.map_radio.click()
    assert got.args == [1]
    with qtbot.waitSignal(page.settingsEdited) as got:
        page.rows_box.setValue(5)
    assert got.args == [{"size": (5, 3)}]
    with qtbot.waitSignal(page.mysteryRequested) as got:
        page.mystery_size.setCurrentIndex(2)
        page.new_mystery.click()
    assert got.args == [5] and page.mystery_radio.isChecked()
    with qtbot.waitSignal(page.rateScaleChosen) as got:
        page.rate_slider.setValue(0)
    assert got.args == [RATE_SCALES[0]]
    with qtbot.waitSignal(page.speedChosen) as got:
        page.speed_slider.setValue(len(SPEEDS) - 1)
    assert got.args == [None] and page.speed_label.text() == "as fast as it goes"
    with qtbot.waitSignal(page.playRequested):
        page.play_button.click()
    page.set_running(True)
    assert not page.step_button.isEnabled()
    with qtbot.waitSignal(page.pauseRequested):
        page.play_button.click()
    page.set_settings((2, 4), False, True, "stride 2, padding same")
    assert page.layer_combo.currentText() == "the bank's layer: stride 2, padding same"
    assert not page.bias_check.isChecked() and page.cols_box.value() == 4


def test_the_guess_grid_refuses_a_word_and_takes_a_pasted_grid(qtbot):
    page = GuessWidget()
    qtbot.addWidget(page)
    page.start_round((3, 3), np.zeros((8, 8), np.uint8), np.zeros((6, 6), np.uint8), "map")
    cell = page.grid.cells()[4]
    cell.setFocus()
    with qtbot.waitSignal(page.message) as said:
        qtbot.keyClicks(cell, "two")
        qtbot.keyClick(cell, "\r")
    assert "stays 0" in said.args[0] and cell.error
    QGuiApplication.clipboard().setText("0 1 0\n1 -4 1\n0 1 0")
    with qtbot.waitSignal(page.checkRequested) as asked:
        page.grid.pasteRequested.emit()
    np.testing.assert_array_equal(asked.args[0][1], [1, -4, 1])
    with qtbot.waitSignal(page.message) as said:
        page.text_edit.setText("1 2; 3 4")
        page.text_edit.returnPressed.emit()
    assert "2x2 but the mystery kernel is 3x3" in said.args[0]
