"""The worked examples of SPEC.md, verbatim: they must hold."""

from __future__ import annotations

import numpy as np
import pytest

from filterstudio.core.convolution import convolve
from filterstudio.core.reference import convolve_reference

VERTICAL_LINE = [[0, 1, 0], [0, 1, 0], [0, 1, 0]]


@pytest.mark.parametrize("fn", [convolve, convolve_reference])
def test_example_1_vertical_line(fn):
    # 8x8 image, columns 3 and 4 equal to 1, kernel [[0,1,0],[0,1,0],[0,1,0]], valid, stride 1:
    # a 6x6 map whose every row is [0, 0, 3, 3, 0, 0].
    image = np.zeros((8, 8))
    image[:, 3] = image[:, 4] = 1
    out = fn(image, VERTICAL_LINE, padding="valid", stride=1)
    assert out.shape == (6, 6)
    np.testing.assert_array_equal(out, np.tile([0, 0, 3, 3, 0, 0], (6, 1)))


@pytest.mark.parametrize("fn", [convolve, convolve_reference])
def test_example_2_one_dimensional(fn):
    # The 1x8 image [0,0,0,1,1,0,0,0] with the 1x3 kernel [0,1,0]: [0, 0, 1, 1, 0, 0].
    out = fn([[0, 0, 0, 1, 1, 0, 0, 0]], [[0, 1, 0]])
    np.testing.assert_array_equal(out, [[0, 0, 1, 1, 0, 0]])


@pytest.mark.parametrize(
    ("image_hw", "map_hw"),
    [((8, 8), (6, 6)), ((12, 10), (10, 8)), ((10, 10), (8, 8)), ((12, 8), (10, 6))],
)
def test_example_3_map_sizes(image_hw, map_hw):
    # 3x3 kernel, valid, stride 1, on images 8x8, 12x10, 10x10, 12x8: maps 6x6, 10x8, 8x8, 10x6.
    assert convolve(np.zeros(image_hw), np.ones((3, 3)), padding="valid", stride=1).shape == map_hw


def test_example_4_binary_image_counts_matching_ones():
    # 7x7 binary image, 3x3 kernel, valid: 5x5 at stride 1, 3x3 at stride 2; 4x4 at stride 2
    # with "same"; for a 0/1 kernel on a 0/1 image each cell counts the ones that match.
    rng = np.random.default_rng(0)
    image = (rng.random((7, 7)) < 0.5).astype(np.float32)
    kernel = (rng.random((3, 3)) < 0.5).astype(np.float32)
    assert convolve(image, kernel, padding="valid", stride=1).shape == (5, 5)
    assert convolve(image, kernel, padding="valid", stride=2).shape == (3, 3)
    assert convolve(image, kernel, padding="same", stride=2).shape == (4, 4)
    out = convolve(image, kernel, padding="valid", stride=1)
    for i in range(5):
        for j in range(5):
            window = image[i : i + 3, j : j + 3]
            assert out[i, j] == np.count_nonzero((window == 1) & (kernel == 1))
