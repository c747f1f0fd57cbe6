"""Learn targets: lined up with the map a kernel makes, refused with a sentence when they cannot be."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from filterstudio import convolve
from filterstudio.compute.learn_targets import (
    PLAIN,
    CellGrid,
    align,
    check_size,
    display_limits,
    layer_label,
    map_grid,
    map_target,
    mystery_target,
    picture_target,
    resized_target,
)
from filterstudio.core.fit import fit_kernel_report
from filterstudio.core.mystery import mystery_kernel
from filterstudio.model.bank import Filter, Layer

RNG = np.random.default_rng(3)
PICTURE = RNG.random((30, 34, 3)).astype(np.float32)
SHARPEN = np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], np.float32)


def test_sizes_are_one_to_seven_square_or_not():
    assert check_size(3) == (3, 3)
    assert check_size((2, 5)) == (2, 5)
    for bad in (0, 8, (3, 9), "x", True):
        with pytest.raises(ValueError, match="1 to 7|side"):
            check_size(bad)


def test_layer_label_says_what_differs_from_plain():
    assert layer_label(PLAIN) == "stride 1, padding valid"
    text = layer_label(Layer(stride=(2, 1), padding="same", border="reflect", dilation=2))
    assert text == "stride 2x1, padding same, reflect, dilation 2"


@settings(max_examples=40, deadline=None)
@given(
    k0=st.integers(1, 5), k=st.integers(1, 5), stride=st.integers(1, 3),
    padding=st.sampled_from(["valid", "same", "full"]), dilation=st.integers(1, 2),
)  # fmt: skip
def test_a_map_target_lined_up_for_another_kernel_is_the_map_that_kernel_makes(
    k0, k, stride, padding, dilation
):
    """A delta kernel (one 1 at the centre) copies the picture under each cell's centre: the
    centres of two maps' cells are where align() says they are."""
    pic = RNG.random((23, 19)).astype(np.float32)
    layer = Layer(stride=stride, padding=padding, dilation=dilation)

    def delta(n):
        d = np.zeros((n, n), np.float32)
        d[(n - 1) // 2, (n - 1) // 2] = 1
        return d

    source = map_grid(pic.shape, (k0, k0), layer)
    wanted = map_grid(pic.shape, (k, k), layer)
    values = convolve(pic, delta(k0), **layer.conv_kwargs())
    assert values.shape == source.shape
    expected = convolve(pic, delta(k), **layer.conv_kwargs())
    try:
        got = align(values, source, wanted)
    except ValueError as exc:
        assert str(exc).endswith(".")
        return
    # Cells whose centre falls in the padding read the border value (0) in both maps.
    np.testing.assert_array_equal(got, expected)


def test_align_refuses_another_stride_and_a_map_past_the_edge():
    values = np.zeros((10, 10), np.float32)
    with pytest.raises(ValueError, match="apart"):
        align(values, CellGrid((0, 0), (2, 2), (10, 10)), CellGrid((0, 0), (1, 1), (10, 10)))
    with pytest.raises(ValueError, match="reaches past"):
        align(values, CellGrid((0, 0), (1, 1), (10, 10)), CellGrid((-1, -1), (1, 1), (12, 12)))


def test_a_map_target_made_by_a_filter_is_recovered_exactly():
    layer = Layer(stride=2, padding="same", border="reflect")
    flt = Filter(name="sharp", kernel=SHARPEN, bias=0.1)
    values = convolve(PICTURE, SHARPEN, **layer.conv_kwargs()) + np.float32(0.1)
    target = map_target(PICTURE, flt, layer, values)
    assert target.name == "the map of sharp"
    problem = target.problem(3, layer)
    fit = fit_kernel_report(problem.picture, problem.target, **problem.fit_kwargs())
    np.testing.assert_allclose(fit.kernel, SHARPEN, atol=1e-4)
    assert fit.bias == pytest.approx(0.1, abs=1e-4)
    # A 5x5 kernel learns the same weights, with zeros around them.
    problem5 = target.problem(5, layer)
    fit5 = fit_kernel_report(problem5.picture, problem5.target, **problem5.fit_kwargs())
    np.testing.assert_allclose(fit5.kernel[1:4, 1:4], SHARPEN, atol=1e-4)
    assert np.abs(fit5.kernel).sum() == pytest.approx(np.abs(SHARPEN).sum(), abs=1e-3)


def test_a_depth_layer_and_a_stale_map_are_refused():
    flt = Filter(name="f", kernel=SHARPEN)
    with pytest.raises(ValueError, match="depth"):
        map_target(PICTURE, flt, Layer(channel_mode="depth"), np.zeros((28, 32), np.float32))
    with pytest.raises(ValueError, match="not current"):
        map_target(PICTURE, flt, PLAIN, np.zeros((5, 5, 3), np.float32))


def test_a_grey_map_target_reads_the_picture_in_grey():
    layer = Layer(channel_mode="gray")
    flt = Filter(name="f", kernel=SHARPEN)
    from filterstudio.core.pipeline import to_luma

    values = convolve(to_luma(PICTURE), SHARPEN)
    problem = map_target(PICTURE, flt, layer, values).problem(3, PLAIN)
    assert problem.picture.ndim == 2 and problem.target.shape == (28, 32)


def test_a_picture_target_is_cropped_under_the_kernel_centres():
    edited = np.zeros_like(PICTURE)
    edited[1:-1, 1:-1] = convolve(PICTURE, SHARPEN)
    target, note = picture_target(PICTURE, edited, "edited.png")
    assert note is None
    problem = target.problem(3, PLAIN)
    np.testing.assert_array_equal(problem.target, edited[1:-1, 1:-1])
    assert not problem.target.flags.writeable


def test_a_picture_target_of_another_size_is_refused_and_can_be_resized():
    other = RNG.random((20, 24, 3)).astype(np.float32)
    with pytest.raises(ValueError, match="24x20 but the picture is 34x30"):
        picture_target(PICTURE, other, "small.png")
    resized = resized_target(other, PICTURE.shape[:2])
    assert resized.shape == PICTURE.shape and resized.dtype == np.float32
    target, _ = picture_target(PICTURE, resized, "small.png")
    assert target.values.shape == PICTURE.shape


def test_a_grey_target_for_a_colour_picture_fits_both_in_grey():
    grey = RNG.random(PICTURE.shape[:2]).astype(np.float32)
    target, note = picture_target(PICTURE, grey, "grey.png")
    assert "grey" in note
    assert target.problem(3, PLAIN).picture.ndim == 2


def test_a_clipped_photo_target_leaves_the_clipped_values_out():
    yy, xx = np.mgrid[0:30, 0:34] / 40.0
    smooth = (0.5 + 0.45 * np.sin(4 * xx + 3 * yy) + 0.04 * RNG.random((30, 34))).astype(np.float32)
    edited = np.clip(convolve(smooth, SHARPEN * 1.5, padding="same"), 0, 1)
    target, _ = picture_target(smooth, edited, "punchy.jpg")
    problem = target.problem(3, PLAIN)
    assert problem.mask is not None and not problem.mask.all()
    fit = fit_kernel_report(problem.picture, problem.target, mask=problem.mask,
                            **problem.fit_kwargs())  # fmt: skip
    np.testing.assert_allclose(fit.kernel, SHARPEN * 1.5, atol=1e-3)


def test_a_mystery_target_is_made_for_the_settings_chosen():
    m = mystery_kernel(5, size=3)
    target = mystery_target(PICTURE, m)
    layer = Layer(stride=2, padding="same")
    problem = target.problem(3, layer)
    np.testing.assert_array_equal(problem.target, m.target(PICTURE, **layer.conv_kwargs()))
    lo, hi = problem.limits
    assert problem.target.min() <= lo < hi <= problem.target.max()


def test_display_limits_leave_out_a_few_extreme_cells():
    values = np.linspace(0, 1, 10_000).astype(np.float32)
    values[:5] = -40.0
    lo, hi = display_limits(values)
    assert -0.01 < lo < 0.01 and 0.99 < hi <= 1.0
    assert display_limits(np.full((3, 3), 2.0, np.float32)) == (2.0, 2.0)


def test_a_mystery_target_is_lined_up_for_a_kernel_of_another_size():
    m = mystery_kernel(5, size=3)
    full = m.target(PICTURE)  # 28x32: the 3x3 kernel's centres on rows and columns 1..
    smaller = mystery_target(PICTURE, m).problem((1, 3), PLAIN)
    assert smaller.mask is not None and not smaller.mask[0].any() and smaller.mask[1:-1].all()
    np.testing.assert_array_equal(smaller.target[1:-1], full)
    fit = fit_kernel_report(smaller.picture, smaller.target, mask=smaller.mask,
                            **smaller.fit_kwargs())  # fmt: skip
    assert fit.kernel.shape == (1, 3) and "only" in fit.verdict
    wider = mystery_target(PICTURE, m).problem((2, 4), PLAIN)
    assert wider.target.shape[:2] == (29, 31) and wider.mask[1:-1].all()
    np.testing.assert_array_equal(wider.target[1:], full[:, :31])
