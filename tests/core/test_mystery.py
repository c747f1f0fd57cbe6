"""Mystery kernels: seeded, recognisable, learnable; a guess scored against the exact fit."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

from filterstudio.core import mystery as mystery_module
from filterstudio.core.convolution import convolve
from filterstudio.core.fit import fit_kernel, fit_kernel_report
from filterstudio.core.kernels import PRESETS, format_kernel
from filterstudio.core.mystery import MYSTERY_KINDS, mystery_kernel, score_guess
from filterstudio.core.parse import parse_kernel
from filterstudio.core.samples import sample_photo


def test_same_seed_same_kernel_and_seeds_vary():
    a, b = mystery_kernel(42), mystery_kernel(42)
    assert a.name == b.name and np.array_equal(a.kernel, b.kernel) and a.bias == b.bias
    names = {mystery_kernel(seed).name for seed in range(40)}
    assert len(names) > 20


@pytest.mark.parametrize("kind", MYSTERY_KINDS)
@pytest.mark.parametrize("size", [3, 5, 7])
def test_every_kind_and_size(kind, size):
    for seed in range(6):
        m = mystery_kernel(seed, size=size, kind=kind)
        assert m.kernel.shape == (size, size) and m.kernel.dtype == np.float32
        assert not m.kernel.flags.writeable
        assert np.isfinite(m.kernel).all() and np.abs(m.kernel).sum() > 0
        assert m.name and m.description.endswith(".")
        # What the reveal shows is what a student can type back in.
        np.testing.assert_array_equal(parse_kernel(format_kernel(m.kernel)), m.kernel)


def test_kinds_are_what_they_say():
    shift = mystery_kernel(1, size=5, kind="shift")
    assert np.count_nonzero(shift.kernel) == 1 and shift.kernel.sum() == 1
    assert shift.kernel[2, 2] == 0
    blur = mystery_kernel(2, size=7, kind="blur")
    assert (blur.kernel >= 0).all() and blur.kernel.sum() == pytest.approx(1, abs=0.05)
    edge = mystery_kernel(3, size=5, kind="edge")
    assert edge.kernel.sum() == pytest.approx(0, abs=1e-6) and edge.bias in (0.0, 0.5)
    sharpen = mystery_kernel(4, size=3, kind="sharpen")
    assert sharpen.kernel.sum() == pytest.approx(1) and sharpen.kernel[1, 1] > 1
    preset = mystery_kernel(5, size=3, kind="preset")
    assert preset.name in PRESETS and preset.name != "random"


def test_shift_moves_the_picture_the_way_it_says():
    image = np.zeros((9, 9), np.float32)
    image[4, 4] = 1.0
    for seed in range(10):
        m = mystery_kernel(seed, size=3, kind="shift")
        moved = m.target(image, padding="same")
        ((y, x),) = np.argwhere(moved == 1)
        words = m.description
        assert ("down" in words) == (y > 4) and ("up" in words) == (y < 4)
        assert ("right" in words) == (x > 4) and ("left" in words) == (x < 4)


def test_a_mystery_is_learned_back():
    photo = sample_photo(80, 100)
    for seed in range(8):
        m = mystery_kernel(seed)
        target = m.target(photo, padding="same", border="reflect")
        np.testing.assert_allclose(
            target, convolve(photo, m.kernel, padding="same", border="reflect") + np.float32(m.bias)
        )
        k, b, _ = fit_kernel(photo, target, m.kernel.shape, padding="same", border="reflect")
        np.testing.assert_allclose(k, m.kernel, atol=1e-4)
        assert b == pytest.approx(m.bias, abs=1e-4)


def test_score_of_a_guess():
    photo = sample_photo(60, 80)[:, :, 0]
    m = mystery_kernel(9, size=3, kind="preset")
    target = m.target(photo)
    right = score_guess(photo, target, m.kernel, m.bias)
    assert right.score == pytest.approx(100) and right.sentence.endswith("found it.")
    blank = score_guess(photo, target, np.zeros((3, 3)), m.bias)
    assert blank.score == 0 and blank.rms == pytest.approx(blank.blank_rms)
    half = score_guess(photo, target, m.kernel * 0.5, m.bias)
    assert 0 < half.score < 100 and half.rms > half.best_rms
    assert half.sentence.startswith("Your guess leaves an RMS error of ")
    assert half.sentence.endswith("% of the way from a blank grid.")
    # A fit made already is used as it is.
    fit = fit_kernel_report(photo, target, 3)
    again = score_guess(photo, target, m.kernel * 0.5, m.bias, fit=fit)
    assert again.score == pytest.approx(half.score) and again.best_rms == fit.rms


def test_score_refusals():
    photo = sample_photo(30, 40)[:, :, 0]
    target = convolve(photo, np.ones((3, 3)))
    with pytest.raises(ValueError, match="2-D grid"):
        score_guess(photo, target, np.zeros(9))
    with pytest.raises(ValueError, match="not a finite number"):
        score_guess(photo, target, np.full((3, 3), np.nan))
    with pytest.raises(ValueError, match="maps this 30x40 picture to 26x36"):
        score_guess(photo, target, np.zeros((5, 5)))
    fit = fit_kernel_report(photo, convolve(photo, np.ones((5, 5))), 5)
    with pytest.raises(ValueError, match="the fit is 5x5"):
        score_guess(photo, target, np.zeros((3, 3)), fit=fit)


def test_mystery_refusals():
    with pytest.raises(ValueError, match="3, 5 or 7"):
        mystery_kernel(1, size=4)
    with pytest.raises(ValueError, match="Unknown kind"):
        mystery_kernel(1, kind="median")


def test_examples_in_docstrings_hold():
    result = doctest.testmod(mystery_module)
    assert result.failed == 0 and result.attempted > 0
