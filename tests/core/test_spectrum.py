"""frequency_response against numpy and the DFT sum; the kernel classifier on presets and random kernels."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import filterstudio
from filterstudio.core import kernels as K
from filterstudio.core.spectrum import (
    KINDS,
    classify_response,
    describe_response,
    frequency_axis,
    frequency_response,
)

# What a teacher calls each preset: (kind, the direction it works along or None).
EXPECTED = {
    "identity": ("all-pass", None),
    "box_blur": ("low-pass", None),
    "gaussian_blur": ("low-pass", None),
    "gaussian_blur_5x5": ("low-pass", None),
    "gaussian_blur_7x7": ("low-pass", None),
    "sharpen": ("high-boost", None),
    "unsharp_mask": ("high-boost", None),
    "laplacian": ("high-pass", None),
    "outline": ("high-pass", None),
    "sobel_x": ("high-pass", "left-right"),
    "sobel_y": ("high-pass", "up-down"),
    "prewitt_x": ("high-pass", "left-right"),
    "prewitt_y": ("high-pass", "up-down"),
    "scharr_x": ("high-pass", "left-right"),
    "scharr_y": ("high-pass", "up-down"),
    "emboss": ("high-boost", "top-left to bottom-right"),
    "vertical_line": ("low-pass", "up-down"),
    "horizontal_line": ("low-pass", "left-right"),
    "motion_blur": ("low-pass", "top-left to bottom-right"),
    "laplacian_of_gaussian": ("high-pass", None),
    "random": ("high-boost", None),
}

TRANSPOSED = {
    None: None,
    "left-right": "up-down",
    "up-down": "left-right",
    "top-left to bottom-right": "top-left to bottom-right",
    "top-right to bottom-left": "top-right to bottom-left",
}
ROTATED = {
    None: None,
    "left-right": "up-down",
    "up-down": "left-right",
    "top-left to bottom-right": "top-right to bottom-left",
    "top-right to bottom-left": "top-left to bottom-right",
}


def dft_magnitude(k: np.ndarray, n: int) -> np.ndarray:
    """|sum_ab k[a, b] exp(-2 pi i (fy a + fx b))| at the grid's frequencies, term by term."""
    f = frequency_axis(n)
    out = np.zeros((n, n), dtype=complex)
    for a in range(k.shape[0]):
        for b in range(k.shape[1]):
            out += k[a, b] * np.exp(-2j * np.pi * (f[:, None] * a + f[None, :] * b))
    return np.abs(out)


def gaussian(size: int, sigma: float) -> np.ndarray:
    t = np.arange(size) - size // 2
    g = np.exp(-(t**2) / (2 * sigma**2))
    return np.outer(g, g) / g.sum() ** 2


kernels_2d = st.tuples(st.integers(1, 7), st.integers(1, 7), st.integers(0, 2**32 - 1)).map(
    lambda t: np.random.default_rng(t[2]).standard_normal((t[0], t[1]))
)


# ----------------------------------------------------------------------------- the response


@settings(max_examples=60, deadline=None)
@given(kernels_2d, st.integers(0, 25))
def test_response_is_the_shifted_dft_magnitude(kernel, extra):
    n = max(kernel.shape) + extra
    got = frequency_response(kernel, n=n)
    assert got.shape == (n, n) and got.dtype == np.float64
    want = np.abs(np.fft.fftshift(np.fft.fft2(kernel, (n, n))))
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12 * (1 + np.abs(kernel).sum()))
    np.testing.assert_allclose(got, dft_magnitude(kernel, n), rtol=0, atol=1e-9)
    # Zero frequency sits in the middle and is the sum of the weights.
    assert got[n // 2, n // 2] == pytest.approx(abs(kernel.sum()), abs=1e-12)


@settings(max_examples=30, deadline=None)
@given(kernels_2d, st.integers(0, 5), st.integers(0, 5))
def test_placement_and_flip_change_only_the_phase(kernel, dy, dx):
    n = 16
    placed = np.zeros((kernel.shape[0] + dy, kernel.shape[1] + dx))
    placed[dy:, dx:] = kernel
    base = frequency_response(kernel, n=n)
    for other in (placed, kernel[::-1, ::-1], K.flip(kernel).astype(np.float64)):
        np.testing.assert_allclose(frequency_response(other, n=n), base, atol=1e-5)


def test_a_depth_kernel_shows_its_sum_or_one_channel():
    rng = np.random.default_rng(3)
    depth = rng.standard_normal((3, 5, 3))
    np.testing.assert_allclose(frequency_response(depth, 8), frequency_response(depth.sum(2), 8))
    for c in range(3):
        np.testing.assert_allclose(
            frequency_response(depth, 8, channel=c), frequency_response(depth[:, :, c], 8)
        )
    assert describe_response(depth).startswith("On a grey picture (its 3 channels summed): ")


def test_the_frequency_axis_matches_the_grid():
    np.testing.assert_array_equal(frequency_axis(4), [-0.5, -0.25, 0.0, 0.25])
    np.testing.assert_array_equal(frequency_axis(5), np.fft.fftshift(np.fft.fftfreq(5)))
    # [1, 2, 1] as a row: gain 4 at zero frequency, 0 at the Nyquist frequency.
    np.testing.assert_allclose(frequency_response([[1, 2, 1]], n=4)[2], [0, 2, 4, 2], atol=1e-12)


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: frequency_response(np.ones((5, 5)), n=4), "from 5"),
        (lambda: frequency_response(np.ones((3, 3)), n=5000), "to 1024"),
        (lambda: frequency_response(np.ones((3, 3)), n=8.5), "whole number"),
        (lambda: frequency_response([[1, np.nan]]), "finite"),
        (lambda: frequency_response(np.ones(3)), "1-D"),
        (lambda: frequency_response(np.ones((0, 3))), "empty"),
        (lambda: frequency_response([["a"]]), "real"),
        (lambda: frequency_response(np.ones((3, 3)), channel=0), "depth kernel"),
        (lambda: frequency_response(np.ones((3, 3, 3)), channel=3), "0 to 2"),
        (lambda: describe_response(np.ones((3, 3, 2)), channel=-1), "0 to 1"),
        (lambda: frequency_axis(0), "positive"),
    ],
)
def test_bad_input_gets_one_sentence(call, words):
    with pytest.raises(ValueError, match=words) as info:
        call()
    message = str(info.value)
    assert message.endswith(".") and "\n" not in message


# ----------------------------------------------------------------------------- the classifier


def test_every_preset_has_an_expected_name():
    assert set(EXPECTED) == set(K.PRESETS)


@pytest.mark.parametrize("name", list(K.PRESETS))
def test_presets_are_named_as_a_teacher_would(name):
    kind, direction = EXPECTED[name]
    summary = classify_response(K.PRESETS[name].kernel)
    assert (summary.kind, summary.direction) == (kind, direction), summary.sentence
    assert summary.dc_gain == pytest.approx(float(K.PRESETS[name].kernel.sum(dtype=np.float64)))
    assert summary.sentence == describe_response(K.PRESETS[name].kernel)


def test_sentences_for_the_classic_kernels():
    sobel = describe_response(K.SOBEL_X)
    assert sobel == (
        "High-pass in one direction: responds to changes from left to right, across columns "
        "(vertical edges); its weights sum to 0, so flat areas become 0 (it removes them)."
    )
    assert "horizontal edges" in describe_response(K.SOBEL_Y)
    assert describe_response(K.BOX_BLUR).startswith("Low-pass: blurs")
    assert "keeps brightness" in describe_response(K.GAUSSIAN_BLUR)
    assert describe_response(K.SHARPEN).startswith("High-boost (sharpening)")
    assert "smooths up and down, along columns, and keeps detail from left to right" in (
        describe_response(K.VERTICAL_LINE)
    )
    assert "3 times as bright" in describe_response(K.VERTICAL_LINE)
    assert describe_response(K.IDENTITY).startswith("All-pass")
    assert (
        describe_response(np.zeros((3, 3)))
        == "Every weight is zero, so the map is zero everywhere."
    )


@pytest.mark.parametrize(
    ("scale", "words"),
    [
        (1.0, "keeps brightness"),
        (-1.0, "inverts it"),
        (0.5, "come out darker (0.5 of their brightness)"),
        (2.5, "come out 2.5 times as bright"),
        (-2.0, "inverted (-2 times their brightness)"),
    ],
)
def test_the_sum_of_weights_is_said_in_words(scale, words):
    assert words in describe_response(K.GAUSSIAN_BLUR * scale)


def test_constructed_kernels_of_every_kind():
    # Difference of Gaussians: zero sum, strongest at coarse-to-middle detail.
    dog = gaussian(15, 1.5) - gaussian(15, 3.0)
    assert classify_response(dog).kind == "band-pass"
    assert "pixels across" in describe_response(dog)
    # A Gabor filter: band-pass along one direction.
    t = np.arange(15) - 7
    gabor = np.outer(np.exp(-(t**2) / 18), np.exp(-(t**2) / 18) * np.cos(2 * np.pi * 0.1 * t))
    gabor -= gabor.mean()
    summary = classify_response(gabor)
    assert (summary.kind, summary.direction) == ("band-pass", "left-right")
    # A gentle blur: a little weight on the neighbours.
    assert describe_response([[0.1, 0.8, 0.1]]).startswith("Gentle low-pass")
    # One weight anywhere copies (and shifts) the picture.
    assert classify_response([[0, 0], [0, 3]]).kind == "all-pass"
    assert {s for s in KINDS} == {
        "zero",
        "all-pass",
        "low-pass",
        "high-pass",
        "band-pass",
        "high-boost",
    }


@settings(max_examples=60, deadline=None)
@given(kernels_2d)
def test_random_kernels_get_one_sentence_that_survives_symmetries(kernel):
    summary = classify_response(kernel)
    assert summary.kind in KINDS
    text = summary.sentence
    assert text[0].isupper() and text.endswith(".") and ". " not in text
    # The magnitude is all the classifier reads: scaling up, flipping and zero-padding keep it.
    for same in (kernel * 3.0, kernel[::-1, ::-1], np.pad(kernel, ((2, 1), (0, 3)))):
        other = classify_response(same)
        assert (other.kind, other.direction) == (summary.kind, summary.direction)
    assert classify_response(kernel.T).direction == TRANSPOSED[summary.direction]
    assert classify_response(np.rot90(kernel, -1)).direction == ROTATED[summary.direction]


@settings(max_examples=40, deadline=None)
@given(kernels_2d)
def test_averaging_kernels_are_low_pass_and_zero_sum_kernels_remove_flat_areas(kernel):
    weights = np.abs(kernel)
    summary = classify_response(weights)
    # Non-negative weights: the response is largest at zero frequency. All-pass only when it
    # barely falls (one weight, or one that dwarfs the rest).
    if np.count_nonzero(weights) == 1:
        assert summary.kind == "all-pass"
    else:
        grid = frequency_response(weights)
        flat = grid.max() - grid.min() <= 0.02 * grid.max()
        assert summary.kind == ("all-pass" if flat else "low-pass")
    zero_sum = kernel - kernel.mean()
    if np.abs(zero_sum).max() > 1e-9:
        summary = classify_response(zero_sum)
        assert summary.kind in ("high-pass", "band-pass")
        assert summary.sentence.endswith("flat areas become 0 (it removes them).")


def test_the_public_api_exports_the_insight_functions():
    for name in ("frequency_response", "frequency_axis", "classify_response", "describe_response"):
        assert getattr(filterstudio, name) is not None
