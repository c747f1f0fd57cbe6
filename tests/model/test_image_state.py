"""A picture's pixels are held once: copied from a caller that may still write them, kept when
handed over (a picture just decoded), and always read-only float32."""

from __future__ import annotations

import numpy as np
import pytest

from filterstudio.model.studio import make_image_state


def _pixels(dtype=np.float32) -> np.ndarray:
    return np.random.default_rng(0).random((6, 8, 3)).astype(dtype)


def test_a_callers_array_is_copied_and_left_writable():
    pixels = _pixels()
    state = make_image_state(pixels, "p", with_display=False)
    assert not np.shares_memory(state.pixels, pixels)
    assert pixels.flags.writeable and not state.pixels.flags.writeable
    np.testing.assert_array_equal(state.pixels, pixels)


def test_a_handed_over_array_is_kept_not_copied():
    pixels = _pixels()
    state = make_image_state(pixels, "p", take=True)
    assert state.pixels is pixels and not pixels.flags.writeable
    assert state.display_pixels.dtype == np.uint8


@pytest.mark.parametrize(
    "make",
    [
        lambda: _pixels(np.float64),  # not float32: converted
        lambda: _pixels()[:, ::2],  # a view of another array: that array may still be written
        lambda: np.asfortranarray(_pixels()),  # not C-contiguous
    ],
)
def test_what_cannot_be_kept_is_copied_even_when_handed_over(make):
    pixels = make()
    state = make_image_state(pixels, "p", with_display=False, take=True)
    assert not np.shares_memory(state.pixels, pixels)
    assert state.pixels.dtype == np.float32 and state.pixels.flags.c_contiguous
    np.testing.assert_array_equal(state.pixels, pixels.astype(np.float32))


def test_a_single_channel_picture_becomes_two_dimensional():
    pixels = _pixels()[:, :, :1].copy()
    state = make_image_state(pixels, "p", with_display=False, take=True)
    assert state.pixels.shape == (6, 8) and state.mode_label == "grey"
