"""The Learn tab through the window's scripting surface: targets, solve, descent, the game."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt

from filterstudio.gui.learn_descent import DIVERGED

RNG = np.random.default_rng(21)


def picture(h=36, w=44) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w] / 9.0
    smooth = 0.5 + 0.3 * np.sin(xx + 0.7 * yy)[:, :, None] * np.array([1.0, 0.8, 0.6])
    return np.clip(smooth + 0.15 * RNG.random((h, w, 3)), 0, 1).astype(np.float32)


@pytest.fixture
def win(window, qtbot):
    window.set_image_array(picture(), "test")
    assert window.wait_until_current()
    window.learn.show(0)
    return window


def ready(qtbot, learn, start):
    with qtbot.waitSignal(learn.targetReady, timeout=20_000):
        assert start() is not False


def solved(qtbot, learn):
    with qtbot.waitSignal(learn.solved, timeout=20_000) as blocker:
        assert learn.solve()
    return blocker.args[0]


def test_a_filters_map_is_learned_exactly(win, qtbot):
    learn = win.learn
    index = [f.name for f in win.bank.filters].index("sobel_x")
    ready(qtbot, learn, lambda: learn.set_target_map(index))
    assert "sobel_x" in learn.target_text()
    s = solved(qtbot, learn)
    kernel, bias = learn.current_kernel()
    np.testing.assert_allclose(kernel, win.bank.filters[index].kernel, atol=1e-4)
    assert abs(bias) < 1e-4
    assert "completely" in learn.verdict_text() and learn.verdict_text() == s.fit.verdict
    page = learn.page
    assert page.map_view.pixels() is not None and page.residual_view.pixels() is not None
    assert page.kernel_view.kernel() is not None


def test_a_map_still_computing_becomes_the_target_when_it_comes(window, qtbot):
    learn = window.learn
    window.set_image_array(picture(30, 31), "fresh")
    ready(qtbot, learn, lambda: learn.set_target_map(0))
    assert learn.is_ready()


def test_the_target_follows_an_edit_of_its_filter(win, qtbot):
    learn = win.learn
    ready(qtbot, learn, lambda: learn.set_target_map(0))
    new = np.array([[0, 0, 0], [0, 2, 0], [0, 0, -1]], np.float32)
    ready(qtbot, learn, lambda: win.set_kernel(0, new))
    solved(qtbot, learn)
    np.testing.assert_allclose(learn.current_kernel()[0], new, atol=1e-4)


def test_a_depth_layer_is_refused_with_a_sentence(win, qtbot):
    win.set_layer(channel_mode="depth")
    with qtbot.waitSignal(win.learn.targetFailed) as blocker:
        win.learn.set_target_map(0)
    assert "depth" in blocker.args[0] and blocker.args[0].endswith(".")


def test_a_mystery_kernel_is_found_by_descent(win, qtbot):
    learn = win.learn
    ready(qtbot, learn, lambda: learn.set_target_mystery(seed=4, size=5))
    assert learn.settings().size == (5, 5)
    assert "seed 4" in learn.target_text()
    learn.set_speed(None)
    assert learn.start_descent() and learn.is_running()
    qtbot.waitUntil(lambda: learn.step_count() >= 60, timeout=30_000)
    learn.pause()
    assert not learn.is_running()
    steps, losses = learn.loss_history()
    assert steps[0] == 0 and np.all(np.diff(steps) > 0)
    assert losses[-1] < 0.05 * losses[0]
    assert learn.frames_shown() > 0
    assert learn.suggested_learning_rate() > 0
    assert "Where the steps lead" in learn.page.verdict.text()
    qtbot.waitUntil(lambda: "Paused" in learn.page.status.text(), timeout=10_000)
    with qtbot.waitSignal(learn.frameShown, timeout=10_000):
        learn.reset()
    qtbot.waitUntil(lambda: learn.step_count() == 0, timeout=10_000)


def test_single_steps_move_one_step_each(win, qtbot):
    learn = win.learn
    ready(qtbot, learn, lambda: learn.set_target_mystery(seed=2, size=3))
    with qtbot.waitSignal(learn.frameShown, timeout=20_000):
        assert learn.step(3)
    qtbot.waitUntil(lambda: learn.step_count() == 3, timeout=10_000)
    assert not learn.is_running()


def test_too_large_a_learning_rate_stops_with_a_sentence(win, qtbot):
    learn = win.learn
    ready(qtbot, learn, lambda: learn.set_target_mystery(seed=9, size=3))
    learn.set_momentum(0.0)
    learn.set_learning_rate_scale(4.0)
    learn.set_speed(None)
    with qtbot.waitSignal(learn.message, timeout=30_000, check_params_cb=lambda t: t == DIVERGED):
        learn.start_descent()
    assert not learn.is_running()


def test_a_tone_curve_is_not_a_linear_filter_and_the_studio_says_so(win, qtbot):
    learn = win.learn
    pix = win.controller.image.pixels
    ready(qtbot, learn, lambda: learn.set_target_pixels(pix**2.2, "gamma"))
    solved(qtbot, learn)
    assert "only" in learn.verdict_text() and "not a linear filter" in learn.verdict_text()
    residual = learn.page.residual_view.pixels()
    assert residual is not None and residual.std() > 0  # the residual shows where


def test_a_picture_of_another_size_is_refused_or_resized(win, qtbot, tmp_path):
    path = tmp_path / "other.png"
    Image.fromarray((RNG.random((20, 24, 3)) * 255).astype(np.uint8)).save(path)
    learn = win.learn
    with qtbot.waitSignal(learn.targetFailed, timeout=20_000) as blocker:
        learn.set_target_picture(str(path), resize=False)
    assert "24x20 but the picture is 44x36" in blocker.args[0]
    ready(qtbot, learn, lambda: learn.set_target_picture(str(path), resize=True))
    assert learn.is_ready()


def test_a_bad_target_file_is_one_sentence(win, qtbot, tmp_path):
    path = tmp_path / "not_a_picture.png"
    path.write_text("hello")
    with qtbot.waitSignal(win.learn.targetFailed, timeout=20_000) as blocker:
        win.learn.set_target_picture(str(path))
    assert blocker.args[0].endswith(".") and "Traceback" not in blocker.args[0]


def test_the_learned_kernel_goes_into_the_bank_and_undo_takes_it_out(win, qtbot):
    learn = win.learn
    index = [f.name for f in win.bank.filters].index("sobel_x")
    ready(qtbot, learn, lambda: learn.set_target_map(index))
    solved(qtbot, learn)
    before = len(win.bank.filters)
    assert learn.use_kernel()
    assert len(win.bank.filters) == before + 1
    added = win.bank.filters[-1]
    assert added.name == "learned 3x3"
    np.testing.assert_allclose(added.kernel, learn.current_kernel()[0])
    win.controller.undo_stack.undo()
    assert len(win.bank.filters) == before


def test_settings_start_over_and_a_wrong_size_is_a_sentence(win, qtbot):
    learn = win.learn
    ready(qtbot, learn, lambda: learn.set_target_map(0))
    # A 2x4 kernel's map reaches a row further up than the 3x3 filter's map has.
    with qtbot.waitSignal(learn.targetFailed, timeout=20_000) as blocker:
        learn.set_settings(size=(2, 4))
    assert "reaches past" in blocker.args[0]
    ready(qtbot, learn, lambda: learn.set_target_mystery(seed=3, size=3))
    ready(qtbot, learn, lambda: learn.set_settings(size=(2, 4), bias=False))
    assert learn.page.rows_box.value() == 2 and learn.page.cols_box.value() == 4
    s = solved(qtbot, learn)
    assert s.fit.kernel.shape == (2, 4) and s.fit.bias == 0.0
    with qtbot.waitSignal(learn.message) as blocker:
        learn.set_settings(size=9)
    assert "1 to 7" in blocker.args[0]


def test_the_learn_page_sends_its_intents_to_the_presenter(win, qtbot):
    learn, page = win.learn, win.learn.page
    ready(qtbot, learn, lambda: page.mystery_radio.click())
    with qtbot.waitSignal(learn.solved, timeout=20_000):
        page.solve_button.click()
    assert page.use_button.isEnabled()
    with qtbot.waitSignal(learn.frameShown, timeout=20_000):
        page.play_button.click()
    assert page.play_button.text() == "Pause"
    page.play_button.click()
    assert not learn.is_running() and page.play_button.text() == "Descend"


def test_the_game_scores_a_guess_and_reveals(win, qtbot):
    game = win.learn.game
    win.learn.show(1)
    with qtbot.waitSignal(game.roundReady, timeout=20_000) as blocker:
        assert game.new_round(seed=6, size=3)
    rnd = blocker.args[0]
    with qtbot.waitSignal(game.checked, timeout=20_000) as checked:
        game.check(np.zeros((3, 3)), 0.0)
    assert checked.args[0].score.score < 100
    with qtbot.waitSignal(game.checked, timeout=20_000) as checked:
        game.check(rnd.mystery.kernel, rnd.mystery.bias)
    assert checked.args[0].score.score >= 99.9
    assert game.score().score >= 99.9
    assert "2 guesses" in game.page.tries_text.text()
    with qtbot.waitSignal(game.revealed) as revealed:
        win.action("learn.reveal").trigger()
    assert revealed.args[0].startswith("It was ")
    assert game.is_revealed()
    np.testing.assert_array_equal(game.page.answer_view.kernel(), rnd.mystery.kernel)


def test_the_game_is_played_from_the_keyboard(win, qtbot):
    game = win.learn.game
    win.learn.show(1)
    with qtbot.waitSignal(game.roundReady, timeout=20_000):
        game.new_round(seed=1, size=3)
    cells = game.page.grid.cells()
    for cell, text in zip(cells[:3], ("1", "2", "x")):
        cell.setFocus()
        qtbot.keyClicks(cell, text)
        qtbot.keyClick(cell, "\t")
    assert game.page.guess()[0].tolist() == [1.0, 2.0, 0.0]  # "x" was refused
    with qtbot.waitSignal(game.checked, timeout=20_000) as checked:
        qtbot.keyClick(cells[4], "\r")
    assert checked.args[0].guess[0].tolist() == [1.0, 2.0, 0.0]
    with qtbot.waitSignal(game.checked, timeout=20_000) as checked:
        game.page.text_edit.setText("0 0 0; 0 1 0; 0 0 0")
        qtbot.keyClick(game.page.text_edit, "\r")
    assert checked.args[0].guess[1, 1] == 1.0
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow)
    cells[0].setFocus()
    with qtbot.waitSignal(game.revealed):
        qtbot.keyClick(cells[0], "r", Qt.KeyboardModifier.ControlModifier)


def test_scripted_descent_controls_show_in_the_page_and_bad_ones_are_sentences(win, qtbot):
    learn, page = win.learn, win.learn.page
    learn.set_speed(10)
    assert page.speed_label.text() == "10 steps per second"
    learn.set_speed(None)
    assert page.speed_slider.value() == page.speed_slider.maximum()
    learn.set_learning_rate_scale(2.0)
    assert "2x the suggested" in page.rate_label.text()
    learn.set_momentum(0.0)
    assert page.momentum_combo.currentIndex() == 0
    for call, bad in ((learn.set_learning_rate_scale, 0), (learn.set_momentum, 1.5),
                      (learn.set_speed, -3)):  # fmt: skip
        with qtbot.waitSignal(learn.message) as said:
            call(bad)
        assert said.args[0].endswith(".")
    assert "2x the suggested" in page.rate_label.text()


def test_a_photo_editors_sharpen_on_an_8_bit_picture_is_recovered_closely(win, qtbot):
    from filterstudio import convolve

    pix = win.controller.image.pixels
    sharpen = np.array([[0, -0.5, 0], [-0.5, 3, -0.5], [0, -0.5, 0]], np.float32)
    edited = convolve(pix, sharpen, padding="same", border="edge")
    edited = np.round(np.clip(edited, 0, 1) * 255) / 255  # clipped and saved as 8 bits
    learn = win.learn
    ready(qtbot, learn, lambda: learn.set_target_pixels(edited, "sharpened.jpg"))
    solved(qtbot, learn)
    kernel, bias = learn.current_kernel()
    assert np.abs(kernel - sharpen).max() < 0.03
    assert "linear filter" in learn.verdict_text()


def test_a_strided_map_is_learned_with_the_banks_layer_and_refused_plain(win, qtbot):
    learn = win.learn
    index = [f.name for f in win.bank.filters].index("sobel_x")
    win.set_layer(stride=2, padding="same", border="reflect")
    assert win.wait_until_current()
    with qtbot.waitSignal(learn.targetFailed, timeout=20_000) as blocker:
        learn.set_target_map(index)  # plain settings: a stride-1 map does not sit on these cells
    assert "apart" in blocker.args[0]
    ready(qtbot, learn, lambda: learn.set_settings(use_layer=True))
    assert "stride 2" in learn.page.layer_combo.currentText()
    solved(qtbot, learn)
    np.testing.assert_allclose(learn.current_kernel()[0], win.bank.filters[index].kernel, atol=1e-4)


def test_the_interpreter_switches_threads_often_only_while_a_descent_runs(win, qtbot):
    import sys

    from filterstudio.gui.learn_worker import SWITCH_INTERVAL

    before = sys.getswitchinterval()
    learn = win.learn
    ready(qtbot, learn, lambda: learn.set_target_mystery(seed=2, size=3))
    with qtbot.waitSignal(learn.frameShown, timeout=20_000):
        learn.start_descent()
    assert sys.getswitchinterval() == pytest.approx(min(before, SWITCH_INTERVAL))
    ready(qtbot, learn, lambda: learn.set_target_mystery(seed=3, size=3))  # the old one retires
    qtbot.waitUntil(lambda: sys.getswitchinterval() == pytest.approx(before), timeout=10_000)


def test_a_larger_filters_map_is_learned_with_a_kernel_of_its_size(win, qtbot):
    learn = win.learn
    index = [f.name for f in win.bank.filters].index("motion_blur")
    shape = win.bank.filters[index].kernel.shape[:2]
    assert shape != (3, 3)
    ready(qtbot, learn, lambda: learn.set_target_map(index))
    assert tuple(learn.settings().size) == shape
    solved(qtbot, learn)
    np.testing.assert_allclose(learn.current_kernel()[0], win.bank.filters[index].kernel, atol=1e-4)
