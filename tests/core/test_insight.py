"""kernel_insight(): the response drawn is numpy's DFT of the kernel as applied; the sentences."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from filterstudio.core.insight import GRID, dilated_response, kernel_insight
from filterstudio.core.kernels import PRESETS
from filterstudio.core.lesson import build_lesson
from filterstudio.core.lesson_concepts import concept_notes, explanations_html
from filterstudio.core.separable import describe_separable, separable_cost
from filterstudio.core.spectrum import describe_response
from filterstudio.model.bank import Filter, Layer


def numpy_response(k, n=GRID):
    return np.abs(np.fft.fftshift(np.fft.fft2(np.asarray(k, np.float64), (n, n))))


def dilate(k, dy, dx):
    out = np.zeros((dy * (k.shape[0] - 1) + 1, dx * (k.shape[1] - 1) + 1))
    out[::dy, ::dx] = k
    return out


kernels = hnp.arrays(
    np.float32,
    st.tuples(st.integers(1, 7), st.integers(1, 7)),
    elements=st.floats(-4, 4, width=32, allow_subnormal=False),
)


@settings(max_examples=25, deadline=None)
@given(kernels, st.integers(1, 6), st.integers(1, 6))
def test_the_dilated_response_is_numpys_dft_of_the_dilated_kernel(k, dy, dx):
    spread = dilate(k, dy, dx)
    n = max(GRID, *spread.shape)
    np.testing.assert_allclose(
        dilated_response(k, (dy, dx), n), numpy_response(spread, n), rtol=0, atol=1e-9
    )


@pytest.mark.parametrize("name", ["sobel_x", "gaussian_blur", "laplacian", "gaussian_blur_7x7"])
def test_the_response_is_exactly_numpys(name):
    k = PRESETS[name].kernel
    got = kernel_insight(k)
    np.testing.assert_array_equal(got.response, numpy_response(k))
    assert not got.response.flags.writeable
    assert got.response_text == describe_response(k)
    assert got.separable_text == describe_separable(k)
    assert got.stride_text == "" and got.alias_share == 0.0


def test_separable_factors_and_costs():
    sobel = kernel_insight(PRESETS["sobel_x"].kernel)
    np.testing.assert_array_equal(sobel.factors[0], [1, 2, 1])
    np.testing.assert_array_equal(sobel.factors[1], [-1, 0, 1])
    assert sobel.cost == (6, 9)
    laplacian = kernel_insight(PRESETS["laplacian"].kernel)
    assert laplacian.factors is None and laplacian.cost == (9, 9)
    assert kernel_insight(np.ones((1, 5))).factors is None  # already one row
    for k in [*(p.kernel for p in PRESETS.values()), np.ones((1, 5)), np.zeros((3, 3))]:
        assert kernel_insight(k).cost == separable_cost(k)


def test_a_depth_kernel_is_summed_or_one_channel():
    rng = np.random.default_rng(0)
    k = rng.standard_normal((3, 5, 3)).astype(np.float32)
    summed = kernel_insight(k)
    np.testing.assert_allclose(
        summed.response, numpy_response(k.astype(np.float64).sum(axis=2)), atol=1e-12
    )
    assert summed.response_text.startswith("On a grey picture (its 3 channels summed)")
    later = kernel_insight(k, reads="maps", dilation=2)
    assert later.response_text.startswith("Where the 3 maps it reads are equal")
    with pytest.raises(ValueError, match="picture or maps"):
        kernel_insight(k, reads="frames")
    assert summed.factors is None and summed.depth == 3
    one = kernel_insight(k, channel=1)
    np.testing.assert_array_equal(one.response, numpy_response(k[:, :, 1]))
    assert one.separable_text == describe_separable(k[:, :, 1])
    with pytest.raises(ValueError, match="channels 0 to 2"):
        kernel_insight(k, channel=3)


def test_stride_square_and_alias_share():
    identity = kernel_insight(PRESETS["identity"].kernel, stride=2)
    f = np.fft.fftshift(np.fft.fftfreq(GRID))
    inside = (np.abs(f) <= 0.25).sum() ** 2
    assert identity.alias_share == pytest.approx(1 - inside / GRID**2)
    assert identity.nyquist == (0.25, 0.25)
    assert "At stride 2" in identity.stride_text and "blur first" in identity.stride_text
    blur = kernel_insight(PRESETS["gaussian_blur_7x7"].kernel, stride=2)
    assert blur.alias_share < 0.01 and "blur first" not in blur.stride_text
    assert kernel_insight(PRESETS["sobel_x"].kernel, stride=(2, 3)).nyquist == (0.25, 0.5 / 3)


def test_dilation_is_described_and_any_width_is_drawn():
    k = PRESETS["gaussian_blur"].kernel
    two = kernel_insight(k, dilation=2)
    np.testing.assert_allclose(two.response, numpy_response(dilate(k, 2, 2)), atol=1e-12)
    assert "Dilated 2: " in two.response_text
    wide = kernel_insight(PRESETS["gaussian_blur_7x7"].kernel, dilation=100)
    assert wide.response.shape == (GRID, GRID)
    assert "repeats 100 times" in wide.response_text


def test_concept_cards_carry_the_lessons_kernel():
    image = np.random.default_rng(1).random((8, 8)).astype(np.float32)
    sobel = Filter("sobel_x", PRESETS["sobel_x"].kernel)
    plan = build_lesson(image, sobel, Layer())
    notes = concept_notes(plan)
    assert notes == {"frequencies": "This kernel: " + describe_response(PRESETS["sobel_x"].kernel)}
    strided = concept_notes(build_lesson(image, sobel, Layer(stride=(2, 2))))
    assert strided["aliasing"].startswith("This kernel at stride 2: 50% of what it lets through")
    page = explanations_html({"frequencies", "aliasing"}, notes=strided)
    assert "What a kernel does to frequencies" in page and "Why stride without blur" in page
    assert "This kernel at stride 2" in page
    assert concept_notes(None) == {}
