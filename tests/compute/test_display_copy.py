"""The worker's display copies: exact limits, and downscaling that reads views in place."""

from __future__ import annotations

import numpy as np
import pytest

from filterstudio.compute.planning import display_copy, value_range
from filterstudio.core import display


@pytest.mark.parametrize("shape", [(7,), (40, 33), (40, 33, 1), (40, 33, 3), (40, 33, 6)])
def test_value_range_is_the_exact_min_and_max(shape):
    values = np.random.default_rng(len(shape)).standard_normal(shape).astype(np.float32) * 9
    assert value_range(values) == (float(values.min()), float(values.max()))
    # A strided view gives the same answer as its copy.
    if values.ndim >= 2:
        view = values[::2, 1::3]
        assert value_range(view) == (float(view.min()), float(view.max()))


def test_value_range_of_a_map_with_nan_reports_the_finite_values():
    values = np.arange(12, dtype=np.float32).reshape(3, 4) - 5
    values[1, 1] = np.nan
    assert value_range(values) == (-5.0, 6.0)


def test_display_copy_reports_the_full_maps_limits():
    values = np.zeros((400, 300), np.float32)
    values[5, 7] = -3.0  # a single extreme cell that area averaging would blur away
    values[200, 150] = 2.0
    pixels, stats = display_copy(values, "diverging", None, 100)
    assert pixels.shape[:2] == (100, 75)
    assert (stats.min, stats.max) == (-3.0, 2.0)
    expected = display.map_stats(display.downscale_for_display(values, 100, whole_factor=True), exact_limits=(-3.0, 2.0))
    np.testing.assert_array_equal(stats.histogram, expected.histogram)
    assert stats.mean == pytest.approx(expected.mean)
