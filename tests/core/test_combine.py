"""Two feature maps combined into one: magnitude, sum, maximum."""

from __future__ import annotations

import numpy as np
import pytest

from filterstudio.core.combine import COMBINE_OPS, combine


def test_ops_in_menu_order():
    assert COMBINE_OPS == ("magnitude", "sum", "maximum")


@pytest.mark.parametrize("shape", [(4, 5), (3, 4, 3), (1, 1)])
def test_each_op_matches_numpy(shape):
    rng = np.random.default_rng(0)
    a = rng.normal(size=shape).astype(np.float32)
    b = rng.normal(size=shape).astype(np.float32)
    expected = {
        "magnitude": np.hypot(a.astype(np.float64), b),
        "sum": a.astype(np.float64) + b,
        "maximum": np.maximum(a, b),
    }
    for op in COMBINE_OPS:
        out = combine(a, b, op)
        assert out.dtype == np.float32 and out.shape == shape
        np.testing.assert_allclose(out, expected[op], rtol=1e-5, atol=1e-6)


def test_sobel_pair_magnitude():
    out = combine(np.array([[3.0, -6.0]]), np.array([[4.0, 8.0]]), "magnitude")
    np.testing.assert_allclose(out, [[5.0, 10.0]])


def test_inputs_are_not_modified():
    a = np.ones((2, 2), np.float32)
    b = np.full((2, 2), 2.0, np.float32)
    for op in COMBINE_OPS:
        out = combine(a, b, op)
        assert out is not a and out is not b
    np.testing.assert_array_equal(a, 1)
    np.testing.assert_array_equal(b, 2)


def test_size_mismatch_is_a_sentence():
    with pytest.raises(
        ValueError, match=r"^The two maps have different sizes \(5 × 4 and 4 × 4, w × h\)"
    ):
        combine(np.zeros((4, 5)), np.zeros((4, 4)), "sum")


def test_unknown_op():
    with pytest.raises(ValueError, match="magnitude, sum, maximum"):
        combine(np.zeros((2, 2)), np.zeros((2, 2)), "product")
