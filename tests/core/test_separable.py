"""separable(): exact, readable factors of rank-1 kernels; the engine decides with it."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import filterstudio
from filterstudio.core import convolution
from filterstudio.core import kernels as K
from filterstudio.core.reference import convolve_reference
from filterstudio.core.separable import (
    DEFAULT_TOL,
    describe_separable,
    format_factor,
    separable,
    separable_cost,
)

READABLE = {
    "identity": ([0, 1, 0], [0, 1, 0]),
    "box_blur": ([1 / 3] * 3, [1 / 3] * 3),
    "gaussian_blur": (np.array([1, 2, 1]) / 4, np.array([1, 2, 1]) / 4),
    "gaussian_blur_5x5": (np.array([1, 4, 6, 4, 1]) / 16, np.array([1, 4, 6, 4, 1]) / 16),
    "gaussian_blur_7x7": (
        np.array([1, 6, 15, 20, 15, 6, 1]) / 64,
        np.array([1, 6, 15, 20, 15, 6, 1]) / 64,
    ),
    "sobel_x": ([1, 2, 1], [-1, 0, 1]),
    "sobel_y": ([-1, 0, 1], [1, 2, 1]),
    "prewitt_x": ([1, 1, 1], [-1, 0, 1]),
    "prewitt_y": ([-1, 0, 1], [1, 1, 1]),
    "scharr_x": ([3, 10, 3], [-1, 0, 1]),
    "scharr_y": ([-1, 0, 1], [3, 10, 3]),
    "vertical_line": ([1, 1, 1], [0, 1, 0]),
    "horizontal_line": ([0, 1, 0], [1, 1, 1]),
}
NOT_SEPARABLE = (
    "sharpen",
    "unsharp_mask",
    "laplacian",
    "outline",
    "emboss",
    "motion_blur",
    "laplacian_of_gaussian",
    "random",
)


def test_every_preset_is_sorted():
    assert set(READABLE) | set(NOT_SEPARABLE) == set(K.PRESETS)


@pytest.mark.parametrize("name", list(READABLE))
def test_separable_presets_split_into_readable_factors(name):
    kernel = K.PRESETS[name].kernel
    col, row = separable(kernel)
    want_col, want_row = READABLE[name]
    np.testing.assert_allclose(col, want_col, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(row, want_row, rtol=1e-6, atol=1e-12)
    assert col.dtype == row.dtype == np.float64
    np.testing.assert_allclose(np.outer(col, row), kernel, rtol=0, atol=1e-7)


@pytest.mark.parametrize("name", NOT_SEPARABLE)
def test_other_presets_are_not_separable(name):
    assert separable(K.PRESETS[name].kernel) is None


def test_the_cost_sentence_counts_right():
    assert describe_separable(K.GAUSSIAN_BLUR_5X5) == (
        "Separable: 5 + 5 = 10 multiplies per pixel instead of 25, "
        "the column [1 4 6 4 1] / 16 then the row [1 4 6 4 1] / 16."
    )
    assert describe_separable(K.SOBEL_X) == (
        "Separable: 3 + 3 = 6 multiplies per pixel instead of 9, "
        "the column [1 2 1] then the row [-1 0 1]."
    )
    assert describe_separable(K.LAPLACIAN) == (
        "Not separable: 9 multiplies per pixel (it is not one column times one row)."
    )
    assert describe_separable([[1, 2, 1]]) == "Already one row: 3 multiplies per pixel."
    assert describe_separable([[1], [2]]) == "Already one column: 2 multiplies per pixel."
    assert "saves nothing: 2 + 2 = 4 multiplies per pixel against 4" in describe_separable(
        np.ones((2, 2))
    )
    depth = np.stack([K.SOBEL_X, K.LAPLACIAN, K.BOX_BLUR], axis=-1)
    assert describe_separable(depth) == (
        "2 of its 3 channels separable: 21 multiplies per pixel instead of 27."
    )
    assert describe_separable(np.stack([K.LAPLACIAN] * 2, -1)) == (
        "No channel splits to save work: 18 multiplies per pixel."
    )


def test_separable_cost():
    assert separable_cost(K.GAUSSIAN_BLUR_5X5) == (10, 25)
    assert separable_cost(K.SHARPEN) == (9, 9)
    assert separable_cost([[1, 2, 1]]) == (3, 3)  # one row: nothing to split
    assert separable_cost(np.stack([K.SOBEL_X, K.LAPLACIAN], axis=-1)) == (6 + 9, 18)


def test_format_factor():
    assert format_factor([0.0625, 0.25, 0.375, 0.25, 0.0625]) == "[1 4 6 4 1] / 16"
    assert format_factor([-2.0, 0.0, 2.0]) == "[-2 0 2]"
    assert format_factor([1 / 3, 1 / 3]) == "[1 1] / 3"
    assert format_factor(np.float32([1 / 9, 1 / 9])) == "[1 1] / 9"
    assert format_factor([0.1234567, 1.0]) == "[0.1234567 1]"
    assert format_factor([0.1234567, 1.0], digits=3) == "[0.123 1]"
    assert format_factor([0.0, 0.0]) == "[0 0]"


@st.composite
def rank_one(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kh, kw = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    kind = draw(st.sampled_from(["normal", "integer", "scaled integer"]))
    if kind == "normal":
        c, r = rng.standard_normal(kh), rng.standard_normal(kw)
    else:
        c, r = rng.integers(-4, 5, kh).astype(float), rng.integers(-4, 5, kw).astype(float)
    k = np.outer(c, r)
    if kind == "scaled integer":
        k = k / draw(st.sampled_from([3.0, 16.0, 7.0, -2.0]))
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    return k.astype(dtype)


@settings(max_examples=150, deadline=None)
@given(rank_one())
def test_rank_one_kernels_split_exactly(kernel):
    factors = separable(kernel)
    assert factors is not None
    col, row = factors
    assert col.shape == (kernel.shape[0],) and row.shape == (kernel.shape[1],)
    k = kernel.astype(np.float64)
    assert np.linalg.norm(np.outer(col, row) - k) <= DEFAULT_TOL * np.linalg.norm(k) + 1e-300

    # Signs: the column sums to a positive number (unless to zero); the row carries the
    # kernel's sign, or sums to a positive number when the column sums to zero.
    def zero_sum(f):
        return abs(f.sum()) <= 1e-9 * np.abs(f).sum()

    if not zero_sum(col):
        assert col.sum() > 0
        if not zero_sum(row):
            assert np.sign(row.sum()) == np.sign(k.sum())
    elif not zero_sum(row):
        assert row.sum() > 0
    assert not np.signbit(col[col == 0]).any() and not np.signbit(row[row == 0]).any()


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 8), st.integers(2, 8), st.integers(0, 2**32 - 1))
def test_rank_two_kernels_do_not_split(kh, kw, seed):
    rng = np.random.default_rng(seed)
    # Two orthogonal rank-one parts, the second a thousandth of the first: what is left after
    # the best single outer product is 1e-3 of the kernel, far above the default tolerance.
    # (Two random perturbations could be nearly parallel, and that kernel would split.)
    u, _ = np.linalg.qr(rng.standard_normal((kh, 2)))
    v, _ = np.linalg.qr(rng.standard_normal((kw, 2)))
    scale = rng.uniform(0.1, 10)
    k = scale * (np.outer(u[:, 0], v[:, 0]) + 1e-3 * np.outer(u[:, 1], v[:, 1]))
    assert separable(k) is None


def test_the_tolerance_is_relative_to_the_kernel_norm():
    rng = np.random.default_rng(1)
    base = np.outer([1.0, 2, 1], [1.0, 0, -1])
    noise = rng.standard_normal((3, 3))
    k = base + 1e-5 * noise
    s = np.linalg.svd(k, compute_uv=False)
    remainder = np.sqrt(np.sum(s[1:] ** 2)) / np.linalg.norm(k)
    assert separable(k, tol=remainder * 1.01) is not None
    assert separable(k, tol=remainder * 0.99) is None
    assert separable(k * 1e6, tol=remainder * 1.01) is not None
    assert separable(base, tol=0) is not None


def test_degenerate_kernels():
    col, row = separable(np.zeros((3, 4)))
    np.testing.assert_array_equal(col, np.zeros(3))
    np.testing.assert_array_equal(row, np.zeros(4))
    col, row = separable([[0.25, 0.5, 0.25]])
    np.testing.assert_array_equal(col, [1.0])
    np.testing.assert_array_equal(row, [0.25, 0.5, 0.25])
    assert separable([[7]]) == (np.array([1.0]), np.array([7.0]))


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: separable(np.ones((3, 3, 3))), "one channel"),
        (lambda: separable(np.ones(3)), "1-D"),
        (lambda: separable(np.ones((0, 2))), "empty"),
        (lambda: separable([[1, np.inf]]), "finite"),
        (lambda: separable([["x"]]), "real"),
        (lambda: separable(np.ones((2, 2)), tol=-1), "at least 0"),
        (lambda: separable(np.ones((2, 2)), tol="a"), "number"),
        (lambda: separable_cost(np.ones(3)), "1-D"),
    ],
)
def test_bad_input_gets_one_sentence(call, words):
    with pytest.raises(ValueError, match=words) as info:
        call()
    assert str(info.value).endswith(".")


# ----------------------------------------------------------------------------- the engine


@settings(max_examples=60, deadline=None)
@given(rank_one())
def test_the_engine_runs_what_separable_splits_as_two_passes(kernel):
    plan = convolution._plan(kernel.astype(np.float64), 1, 1)
    kh, kw = kernel.shape
    worth_it = kh > 1 and kw > 1 and kh * kw >= 2 * (kh + kw)
    assert (plan.col is not None) == (worth_it and separable(kernel) is not None)
    if plan.col is not None:
        col, row = separable(kernel)
        np.testing.assert_allclose(plan.col, col, rtol=1e-6)
        np.testing.assert_allclose(plan.row, row, rtol=1e-6)


def test_the_engine_stays_exact_with_readable_factors():
    rng = np.random.default_rng(2)
    image = rng.random((23, 19, 3), dtype=np.float32)
    cases = [
        K.GAUSSIAN_BLUR_5X5,
        K.GAUSSIAN_BLUR_7X7,
        np.outer([1, 4, 6, 4, 1], [-1, -2, 0, 2, 1]).astype(np.float32) / 7,
        np.outer(rng.standard_normal(5), rng.standard_normal(6)).astype(np.float32),
    ]
    for kernel in cases:
        assert convolution._plan(kernel.astype(np.float64), 1, 1).col is not None
        for kw in (
            dict(padding="same", border="reflect"),
            dict(stride=2, dilation=2, padding="full", border="wrap"),
            dict(stride=(1, 3), padding=(2, 1), border="constant", cval=0.5, flip=True),
        ):
            got = convolution.convolve(image, kernel, **kw)
            want = convolve_reference(image, kernel, **kw)
            tol = 1e-4 * (1 + np.abs(kernel).sum() * np.abs(image).max())
            np.testing.assert_allclose(got, want, rtol=0, atol=tol)


@pytest.mark.parametrize("factor", [0.3, 3.0])
def test_the_engine_splits_only_within_its_error_budget(factor):
    rng = np.random.default_rng(11)
    base = np.outer(rng.standard_normal(6), rng.standard_normal(5))
    noise = rng.standard_normal((6, 5))
    # Scale the noise so that the rank-1 remainder is `factor` times the engine's bound.
    bound = convolution._SEPARABLE_ERROR / np.sqrt(base.size)
    eps = 1e-9
    for _ in range(60):  # the remainder grows in proportion to eps: a few corrections
        k = base + eps * noise
        s = np.linalg.svd(k, compute_uv=False)
        rel = np.sqrt(np.sum(s[1:] ** 2)) / np.linalg.norm(k)
        eps *= factor * bound / rel
    plan = convolution._plan(k, 1, 1)
    assert (plan.col is not None) == (factor < 1)
    image = np.random.default_rng(12).random((31, 29)) * 100
    for stride in (1, 2):
        got = convolution.convolve(image, k, stride=stride, padding="same")
        want = convolve_reference(image, k, stride=stride, padding="same")
        tol = 1e-4 * (1 + np.abs(k).sum() * np.abs(image).max())
        np.testing.assert_allclose(got, want, rtol=0, atol=tol)


def test_plans_are_cached_and_read_only():
    kernel = K.GAUSSIAN_BLUR_5X5.astype(np.float64)
    first = convolution._plan(kernel, 1, 1)
    assert convolution._plan(kernel.copy(), 1, 1) is first
    assert convolution._plan(kernel, 2, 1) is not first
    for arr in (first.kernel, first.col, first.row):
        assert not arr.flags.writeable


def test_the_public_api_exports_separable():
    assert filterstudio.separable is separable
    assert filterstudio.separable_cost is separable_cost
    assert filterstudio.describe_separable is describe_separable
