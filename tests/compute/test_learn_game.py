"""The guessing game: a round, guesses scored against the fit, the reveal; the views' pictures."""

from __future__ import annotations

import numpy as np
import pytest

from filterstudio import convolve
from filterstudio.compute.learn_game import (
    GAME_SIDE,
    GameState,
    check_guess,
    new_round,
    parse_guess,
)
from filterstudio.compute.learn_targets import PLAIN, LearnProblem
from filterstudio.compute.learn_views import MapPreview, residual_limit, solve

RNG = np.random.default_rng(5)
PICTURE = RNG.random((36, 40, 3)).astype(np.float32)


def test_a_round_is_the_same_for_the_same_seed_and_its_fit_is_the_kernel():
    a = new_round(PICTURE, seed=12, size=3)
    b = new_round(PICTURE, seed=12, size=3)
    assert a.mystery.name == b.mystery.name and a.shape == (3, 3)
    np.testing.assert_allclose(a.fit.kernel, a.mystery.kernel, atol=1e-4)
    assert a.target_pixels.dtype == np.uint8 and not a.target_pixels.flags.writeable
    assert a.reveal_text().startswith("It was ") and a.reveal_text().endswith(".")


def test_a_large_picture_is_played_on_a_reduced_copy():
    big = RNG.random((1200, 1500)).astype(np.float32)
    rnd = new_round(big, seed=1, size=3)
    assert max(rnd.problem.picture.shape) <= GAME_SIDE


def test_the_right_guess_scores_full_marks_and_a_blank_one_none():
    rnd = new_round(PICTURE, seed=3, size=5)
    right = check_guess(rnd, rnd.mystery.kernel, rnd.mystery.bias)
    assert right.score.score >= 99.9 and "found it" in right.score.sentence
    blank = check_guess(rnd, np.zeros((5, 5)), rnd.mystery.bias)
    assert blank.score.score == pytest.approx(0.0, abs=1e-6)
    assert right.map_pixels.shape == rnd.target_pixels.shape[:2] + right.map_pixels.shape[2:]
    state = GameState(rnd).with_check(blank).with_check(right)
    assert state.best is right and state.last is right
    assert state.tries_text() == "2 guesses; the best reached 100%."
    assert state.kernel_text() == ""
    assert state.revealing().kernel_text().count("\n") == 4


def test_a_guess_of_the_wrong_shape_or_text_is_a_sentence():
    rnd = new_round(PICTURE, seed=3, size=3)
    with pytest.raises(ValueError, match="5x5 but the mystery kernel is 3x3"):
        check_guess(rnd, np.zeros((5, 5)))
    with pytest.raises(ValueError, match="2x2 but the mystery kernel is 3x3"):
        parse_guess("1 2\n3 4", (3, 3))
    np.testing.assert_array_equal(parse_guess("0 1 0\n1 -4 1\n0 1 0", (3, 3))[1], [1, -4, 1])


def test_a_preview_is_every_f_th_cell_of_the_real_map():
    kernel = RNG.normal(size=(3, 3)).astype(np.float32)
    big = RNG.random((90, 130)).astype(np.float32)
    target = convolve(big, kernel)
    target.setflags(write=False)
    p = LearnProblem(
        big, target, (3, 3), PLAIN, True, None, (float(target.min()), float(target.max()))
    )
    preview = MapPreview(p, side=40)
    assert preview.factor == 4
    values, residual = preview.values(kernel, 0.5)
    np.testing.assert_allclose(values, target[::4, ::4] + 0.5, atol=1e-5)
    np.testing.assert_allclose(residual, 0.5, atol=1e-5)


def test_the_residual_limit_ignores_a_few_outliers_but_not_the_target_scale():
    r = np.full(1000, 0.1, np.float32)
    r[:3] = 50.0
    assert residual_limit(r, (0.0, 1.0)) == pytest.approx(0.1)
    assert residual_limit(np.zeros(10, np.float32), (0.0, 1.0)) == pytest.approx(0.02)


def test_solve_gives_the_fit_and_its_pictures():
    kernel = RNG.normal(size=(3, 3)).astype(np.float32)
    target = convolve(PICTURE, kernel)
    target.setflags(write=False)
    p = LearnProblem(
        PICTURE, target, (3, 3), PLAIN, True, None, (float(target.min()), float(target.max()))
    )
    solved = solve(p)
    np.testing.assert_allclose(solved.fit.kernel, kernel, atol=1e-4)
    assert "completely" in solved.fit.verdict
    assert solved.map_pixels.shape == solved.target_pixels.shape
