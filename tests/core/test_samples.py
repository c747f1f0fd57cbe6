"""The generated sample photo and the lesson images."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from filterstudio.core import samples as S
from filterstudio.core.kernels import SOBEL_X, SOBEL_Y, VERTICAL_LINE


def test_sample_photo_shape_range_and_cache():
    a = S.sample_photo()
    assert a.shape == (600, 800, 3) and a.dtype == np.float32
    assert 0.0 <= float(a.min()) and float(a.max()) <= 1.0
    assert not a.flags.writeable
    assert S.sample_photo() is a


def test_sample_photo_is_deterministic():
    first = S.sample_photo(120, 160)
    for side in range(16, 32, 2):  # more sizes than the cache keeps
        S.sample_photo(side, side)
    again = S.sample_photo(120, 160)
    assert again is not first  # drawn anew, not the cached array
    np.testing.assert_array_equal(first, again)
    small = S.sample_photo(60, 80)
    assert small.shape == (60, 80, 3)


def test_sample_photo_is_photo_like():
    a = S.sample_photo()
    # colourful, with a full tonal range and film grain (no perfectly flat areas)
    assert float(a.std()) > 0.15
    assert float(np.abs(a[..., 0] - a[..., 2]).mean()) > 0.05
    assert len(np.unique(a[:50, 400:450, 1])) > 50


def test_sample_photo_has_edges_in_every_direction():
    gray = cv2.cvtColor(np.ascontiguousarray(S.sample_photo()), cv2.COLOR_RGB2GRAY)
    gx = np.abs(cv2.filter2D(gray, -1, SOBEL_X))
    gy = np.abs(cv2.filter2D(gray, -1, SOBEL_Y))
    strong_v = np.count_nonzero(gx > 1.0)
    strong_h = np.count_nonzero(gy > 1.0)
    diagonal = np.count_nonzero((gx > 0.5) & (gy > 0.5))
    assert strong_v > 2000 and strong_h > 2000 and diagonal > 500


@pytest.mark.parametrize("size", [(15, 100), (100, 5000)])
def test_sample_photo_rejects_silly_sizes(size):
    with pytest.raises(ValueError, match="16 to 4096"):
        S.sample_photo(*size)


def test_lesson_images():
    assert list(S.LESSON_IMAGES) == ["vertical_line", "smiley", "bump", "checkerboard", "x"]
    for name, img in S.LESSON_IMAGES.items():
        assert img.name == name and img.title and img.description.endswith(".")
        assert img.pixels.dtype == np.float32 and img.pixels.ndim == 2
        assert set(np.unique(img.pixels)) <= {0.0, 1.0}
        assert not img.pixels.flags.writeable


def test_lesson_image_values():
    line = S.LESSON_IMAGES["vertical_line"].pixels
    assert line.shape == (8, 8)
    np.testing.assert_array_equal(line.sum(axis=0), [0, 0, 0, 8, 8, 0, 0, 0])
    assert S.LESSON_IMAGES["bump"].pixels.tolist() == [[0, 0, 0, 1, 1, 0, 0, 0]]
    board = S.LESSON_IMAGES["checkerboard"].pixels
    assert board.shape == (8, 8) and board.sum() == 32 and board[0, 0] != board[0, 1]
    x = S.LESSON_IMAGES["x"].pixels
    assert x.shape == (7, 7) and x.sum() == 13
    np.testing.assert_array_equal(x, x.T)
    np.testing.assert_array_equal(x, np.fliplr(x))
    smiley = S.LESSON_IMAGES["smiley"].pixels
    assert smiley.shape == (7, 7)
    np.testing.assert_array_equal(smiley, np.fliplr(smiley))


def test_spec_example_1_vertical_line():
    """SPEC worked example 1: every row of the valid map is [0, 0, 3, 3, 0, 0]."""
    img = S.load_sample("vertical_line")
    out = np.array(
        [
            [float((img[i : i + 3, j : j + 3] * VERTICAL_LINE).sum()) for j in range(6)]
            for i in range(6)
        ]
    )
    np.testing.assert_array_equal(out, np.tile([0, 0, 3, 3, 0, 0], (6, 1)))


def test_samples_and_load_sample():
    assert next(iter(S.SAMPLES)) == "photo"
    assert set(S.SAMPLES) == {"photo"} | set(S.LESSON_IMAGES)
    assert S.load_sample("photo").shape == (600, 800, 3)
    assert S.load_sample("Vertical-Line") is S.LESSON_IMAGES["vertical_line"].pixels
    with pytest.raises(ValueError, match=r"the closest is 'smiley'\.$"):
        S.load_sample("smily")
    with pytest.raises(ValueError, match="the samples are photo"):
        S.load_sample("qqqqqq")
