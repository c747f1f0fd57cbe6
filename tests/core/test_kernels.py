"""Presets and kernel transforms."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from filterstudio.core import kernels as K
from filterstudio.core.parse import parse_kernel

BLURS = ("box_blur", "gaussian_blur", "gaussian_blur_5x5", "gaussian_blur_7x7", "motion_blur")
SUM_ONE = BLURS + ("identity", "sharpen", "unsharp_mask", "emboss")
SUM_ZERO = (
    "laplacian",
    "outline",
    "sobel_x",
    "sobel_y",
    "prewitt_x",
    "prewitt_y",
    "scharr_x",
    "scharr_y",
    "laplacian_of_gaussian",
)


@pytest.mark.parametrize("name", list(K.PRESETS))
def test_every_preset_is_a_readonly_odd_square_float32(name):
    p = K.PRESETS[name]
    assert p.name == name
    assert p.description and "\n" not in p.description and p.description.endswith(".")
    k = p.kernel
    assert k.dtype == np.float32 and k.ndim == 2
    assert k.shape[0] == k.shape[1] and k.shape[0] % 2 == 1
    assert np.all(np.isfinite(k))
    assert not k.flags.writeable
    with pytest.raises(ValueError):
        k[0, 0] = 1


def test_display_order_and_expected_names():
    names = list(K.PRESETS)
    assert names[:3] == ["identity", "box_blur", "gaussian_blur"]
    expected = set(SUM_ONE + SUM_ZERO + ("vertical_line", "horizontal_line", "random"))
    assert expected == set(names)


@pytest.mark.parametrize("name", SUM_ONE)
def test_brightness_keeping_presets_sum_to_one(name):
    assert float(K.PRESETS[name].kernel.sum(dtype=np.float64)) == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("name", SUM_ZERO)
def test_edge_detectors_sum_to_zero(name):
    assert float(K.PRESETS[name].kernel.sum(dtype=np.float64)) == pytest.approx(0.0, abs=1e-6)


def test_exact_values_of_named_kernels():
    np.testing.assert_array_equal(K.SOBEL_X, [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    np.testing.assert_array_equal(K.SOBEL_Y, K.SOBEL_X.T)
    np.testing.assert_array_equal(K.PREWITT_Y, K.PREWITT_X.T)
    np.testing.assert_array_equal(K.SCHARR_Y, K.SCHARR_X.T)
    np.testing.assert_array_equal(K.VERTICAL_LINE, [[0, 1, 0], [0, 1, 0], [0, 1, 0]])
    np.testing.assert_array_equal(K.HORIZONTAL_LINE, K.VERTICAL_LINE.T)
    np.testing.assert_array_equal(K.GAUSSIAN_BLUR * 16, [[1, 2, 1], [2, 4, 2], [1, 2, 1]])
    assert K.GAUSSIAN_BLUR_5X5.shape == (5, 5) and K.GAUSSIAN_BLUR_5X5[2, 2] * 256 == 36
    assert K.GAUSSIAN_BLUR_7X7.shape == (7, 7) and K.GAUSSIAN_BLUR_7X7[3, 3] * 4096 == 400
    assert K.UNSHARP_MASK[2, 2] == np.float32(476 / 256)
    assert K.UNSHARP_MASK[0, 0] == np.float32(-1 / 256)
    np.testing.assert_array_equal(K.MOTION_BLUR, np.eye(7, dtype=np.float32) / 7)
    assert K.LAPLACIAN_OF_GAUSSIAN[2, 2] == 16
    assert K.PRESETS["random"].kernel.shape == (3, 3)


def test_presets_share_values_with_module_constants():
    assert K.PRESETS["sobel_x"].kernel is not K.SOBEL_X  # a frozen copy, not the constant
    np.testing.assert_array_equal(K.PRESETS["sobel_x"].kernel, K.SOBEL_X)
    assert not K.SOBEL_X.flags.writeable


@pytest.mark.parametrize(
    "spelling", ["sobel_x", "Sobel_X", "SOBEL-X", "sobel x", "  sobel_x  ", "Sobel  X"]
)
def test_get_preset_is_forgiving_about_spelling(spelling):
    assert K.get_preset(spelling).name == "sobel_x"


def test_get_preset_aliases():
    assert K.get_preset("gaussian").name == "gaussian_blur"
    assert K.get_preset("LoG").name == "laplacian_of_gaussian"


def test_unknown_preset_names_the_closest():
    with pytest.raises(ValueError, match=r"closest is 'sobel_x'\.$"):
        K.get_preset("sobelx")
    with pytest.raises(ValueError, match=r"the presets are identity, box_blur"):
        K.get_preset("qqqqqqqq")


def test_random_kernel_is_seeded_and_scaled():
    a, b = K.random_kernel(3, seed=7), K.random_kernel(3, seed=7)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, K.random_kernel(3, seed=8))
    assert a.dtype == np.float32 and a.shape == (3, 3)
    big = K.random_kernel(15, seed=0, depth=4)
    assert big.shape == (15, 15, 4)
    # He-normal: standard deviation sqrt(2 / fan_in)
    assert np.std(big) == pytest.approx(np.sqrt(2 / (15 * 15 * 4)), rel=0.15)
    np.testing.assert_array_equal(K.PRESETS["random"].kernel, K.random_kernel(3, seed=0))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"size": 0},
        {"size": 16},
        {"size": 2.5},
        {"size": True},
        {"size": 3, "depth": 0},
        {"size": 3, "depth": 5},
    ],
)
def test_random_kernel_rejects_bad_sizes(kwargs):
    with pytest.raises(ValueError, match=r"\.$"):
        K.random_kernel(**kwargs)


# Transforms --------------------------------------------------------------------------------


def test_normalize_divides_by_the_sum():
    out, msg = K.normalize([[1, 2, 1], [2, 4, 2], [1, 2, 1]])
    assert msg is None
    np.testing.assert_array_equal(out, K.GAUSSIAN_BLUR)
    assert out.dtype == np.float32


def test_normalize_leaves_a_zero_sum_kernel_and_says_so():
    out, msg = K.normalize(K.SOBEL_X)
    assert msg == "The weights sum to zero, so normalize left the kernel as it is."
    np.testing.assert_array_equal(out, K.SOBEL_X)
    assert out is not K.SOBEL_X and out.flags.writeable
    assert K.normalize(np.zeros((3, 3)))[1] is not None


def test_normalize_works_on_depth_kernels():
    out, msg = K.normalize(np.ones((3, 3, 3)))
    assert msg is None and out.shape == (3, 3, 3)
    assert out.sum() == pytest.approx(1.0)


def test_scale():
    np.testing.assert_array_equal(K.scale(K.SOBEL_X, -2), -2 * K.SOBEL_X)
    with pytest.raises(ValueError, match="finite"):
        K.scale(K.SOBEL_X, float("inf"))
    with pytest.raises(ValueError, match="too large"):
        K.scale(K.SOBEL_X, 1e39)


def test_flip_rotates_180_degrees_also_in_depth():
    k = np.arange(9, dtype=np.float32).reshape(3, 3)
    np.testing.assert_array_equal(K.flip(k), [[8, 7, 6], [5, 4, 3], [2, 1, 0]])
    d = np.arange(18, dtype=np.float32).reshape(3, 3, 2)
    f = K.flip(d)
    for c in range(2):
        np.testing.assert_array_equal(f[:, :, c], d[::-1, ::-1, c])
    np.testing.assert_array_equal(K.flip(K.flip(d)), d)
    assert f.flags.c_contiguous and f.flags.writeable


def test_rotate90_and_transpose():
    k = np.array([[1, 2], [3, 4]], dtype=np.float32)
    np.testing.assert_array_equal(K.rotate90(k), [[3, 1], [4, 2]])
    np.testing.assert_array_equal(K.rotate90(k, clockwise=False), [[2, 4], [1, 3]])
    r = K.SOBEL_X
    for _ in range(4):
        r = K.rotate90(r)
    np.testing.assert_array_equal(r, K.SOBEL_X)
    np.testing.assert_array_equal(K.transpose(K.SOBEL_X), K.SOBEL_Y)
    np.testing.assert_array_equal(K.rotate90(K.rotate90(K.SOBEL_X)), K.flip(K.SOBEL_X))
    assert K.transpose(np.zeros((3, 5, 2))).shape == (5, 3, 2)


def test_resize_centered_grows_with_zeros_and_shrinks_to_the_centre():
    big = K.resize_centered(K.SOBEL_X, 5)
    assert big.shape == (5, 5)
    np.testing.assert_array_equal(big[1:4, 1:4], K.SOBEL_X)
    assert big.sum() == 0 and np.count_nonzero(big) == np.count_nonzero(K.SOBEL_X)
    np.testing.assert_array_equal(K.resize_centered(big, 3), K.SOBEL_X)
    np.testing.assert_array_equal(K.resize_centered(K.GAUSSIAN_BLUR_5X5, 1), [[36 / 256]])
    assert K.resize_centered(np.ones((3, 3, 3)), 7).shape == (7, 7, 3)
    assert K.resize_centered(K.SOBEL_X, (1, 5)).shape == (1, 5)
    with pytest.raises(ValueError, match="1 to 15"):
        K.resize_centered(K.SOBEL_X, 17)


def test_cleared_keeps_the_shape():
    c = K.cleared(np.ones((5, 5, 3)))
    assert c.shape == (5, 5, 3) and c.dtype == np.float32 and not c.any()


def test_transforms_never_modify_their_input():
    k = np.arange(9, dtype=np.float32).reshape(3, 3)
    before = k.copy()
    for fn in (K.flip, K.rotate90, K.transpose, K.cleared):
        fn(k)
    K.normalize(k)
    K.scale(k, 3)
    K.resize_centered(k, 5)
    np.testing.assert_array_equal(k, before)


def test_transforms_reject_a_non_grid():
    with pytest.raises(ValueError, match="dimensions"):
        K.flip(np.zeros(3))


# Text form ---------------------------------------------------------------------------------


def test_format_kernel_shows_integers_plainly():
    assert K.format_kernel(K.SOBEL_X) == "-1 0 1\n-2 0 2\n-1 0 1"
    assert K.format_kernel([[0.0625, 1e-7, -0.0]]) == "0.0625 1e-07 0"


def test_format_kernel_aligns_columns():
    text = K.format_kernel([[1, -10], [100, 2]])
    assert text.splitlines() == ["  1 -10", "100   2"]


def test_format_kernel_depth_has_blank_lines_between_channels():
    d = np.stack([K.SOBEL_X, K.SOBEL_Y, K.IDENTITY], axis=2)
    text = K.format_kernel(d)
    assert text.count("\n\n") == 2
    np.testing.assert_array_equal(parse_kernel(text), d)


@pytest.mark.parametrize("name", list(K.PRESETS))
def test_every_preset_round_trips_through_text(name):
    k = K.PRESETS[name].kernel
    back = parse_kernel(K.format_kernel(k))
    assert back.dtype == np.float32
    np.testing.assert_array_equal(back, k)


finite32 = st.floats(width=32, allow_nan=False, allow_infinity=False)


@given(
    hnp.arrays(
        np.float32,
        st.tuples(st.integers(1, 15), st.integers(1, 15)),
        elements=finite32,
    )
)
def test_format_parse_round_trip_is_exact(k):
    back = parse_kernel(K.format_kernel(k))
    np.testing.assert_array_equal(back, k)


@given(
    hnp.arrays(
        np.float32,
        st.tuples(st.integers(2, 5), st.integers(1, 5), st.integers(1, 4)),
        elements=finite32,
    )
)
def test_format_parse_round_trip_depth(k):
    np.testing.assert_array_equal(parse_kernel(K.format_kernel(k)), k)


@given(finite32)
def test_format_value_is_exact_and_short(x):
    text = K.format_value(x)
    assert np.float32(float(text)) == np.float32(x)
    assert not text.endswith(".0")
    assert len(text) <= 16


def test_every_preset_says_what_it_finds():
    from filterstudio.core.kernels import FINDS, PRESETS, finds_caption, get_preset

    assert set(FINDS) == set(PRESETS)
    assert all(0 < len(text) <= 60 for text in FINDS.values())
    assert finds_caption(get_preset("sobel_x").kernel).startswith("vertical edges")
    assert finds_caption(np.ones((2, 2), np.float32)) == ""
