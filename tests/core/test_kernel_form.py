"""A kernel as whole numbers over a divisor, GIMP's form, and back."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from filterstudio.core import kernels
from filterstudio.core.kernel_form import grid_of, kernel_of, whole_over


@pytest.mark.parametrize(
    "name, divisor, corner",
    [("gaussian_blur", 16, 1), ("gaussian_blur_5x5", 256, 1), ("gaussian_blur_7x7", 4096, 1),
     ("box_blur", 9, 1), ("motion_blur", 7, 1), ("sobel_x", 1, -1), ("unsharp_mask", 256, -1)],
)  # fmt: skip
def test_presets_have_their_textbook_form(name, divisor, corner):
    grid, d = kernels.integer_form(kernels.get_preset(name).kernel)
    assert d == divisor and grid[0, 0] == corner
    assert np.all(grid == np.rint(grid))


def test_random_weights_stay_as_they_are():
    k = kernels.random_kernel(5, seed=3)
    grid, d = kernels.integer_form(k)
    assert d == 1
    np.testing.assert_array_equal(grid.astype(np.float32), k)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(-50, 50), min_size=1, max_size=9),
    st.sampled_from([1, 2, 3, 7, 9, 10, 16, 49, 256, 4096]),
)
def test_whole_numbers_over_a_divisor_read_back_exactly(numbers, divisor):
    k = (np.array([numbers], np.float64) / divisor).astype(np.float32)
    grid, d = kernels.integer_form(k)
    # The smallest divisor that writes the kernel in whole numbers, and exactly the kernel.
    assert d <= divisor
    np.testing.assert_array_equal((grid / d).astype(np.float32), k)
    assert np.all(grid == np.rint(grid))


def test_auto_normalise_divides_by_the_sum():
    k, d, note = kernel_of([[1, 2, 1]], 1, auto=True)
    assert d == 4 and note is None
    np.testing.assert_allclose(k, [[0.25, 0.5, 0.25]])
    k, d, note = kernel_of([[-1, 0, 1]], 3, auto=True)
    assert d == 3 and "adds up to 0" in note


def test_grid_of_and_whole_over():
    k = kernels.get_preset("gaussian_blur").kernel
    assert grid_of(k, 16).tolist() == [[1, 2, 1], [2, 4, 2], [1, 2, 1]]
    assert whole_over(k, 16) and not whole_over(k, 3)
