"""fit_kernel: its sums against a plain-numpy design matrix, kernels recovered, refusals."""

from __future__ import annotations

import doctest

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings

from filterstudio.core import fit as fit_module
from filterstudio.core import fit_inputs
from filterstudio.core.convolution import BORDERS, convolve
from filterstudio.core.fit import (
    fit_kernel,
    fit_kernel_report,
    fit_verdict,
    inner_cells,
    residual_map,
    residual_rms,
    unclipped,
)
from filterstudio.core.kernels import LAPLACIAN, OUTLINE, SHARPEN, SOBEL_X, UNSHARP_MASK
from filterstudio.core.normal_equations import accumulate, fit_geometry, plan_bands
from filterstudio.core.samples import sample_photo

# --------------------------------------------------------------------------------------------
# The reference: the design matrix written out with numpy.pad and strided slices


def design_matrix(image, geom) -> np.ndarray:
    """``A`` (values x taps, float64): row ``e`` holds the picture under the kernel at value e."""
    x = np.asarray(image, np.float64)
    width = list(geom.pads) + [(0, 0)] * (x.ndim - 2)
    extra = {"constant_values": geom.cval} if geom.border == "constant" else {}
    p = np.pad(x, width, mode=geom.border, **extra)
    (sy, sx), (dy, dx) = geom.stride, geom.dilation
    cols = []
    for a in range(geom.kh):
        for b in range(geom.kw):
            win = p[
                a * dy : a * dy + (geom.oh - 1) * sy + 1 : sy,
                b * dx : b * dx + (geom.ow - 1) * sx + 1 : sx,
            ]
            cols.append(win.reshape(-1))
    return np.stack(cols, axis=1)


def lstsq_fit(image, target, geom, bias=True):
    a = design_matrix(image, geom)
    if bias:
        a = np.hstack([a, np.ones((a.shape[0], 1))])
    sol = np.linalg.lstsq(a, np.asarray(target, np.float64).reshape(-1), rcond=None)[0]
    k = sol[: geom.taps].reshape(geom.kh, geom.kw)
    return k, (float(sol[-1]) if bias else 0.0)


pairs = st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3)))
paddings = st.one_of(
    st.sampled_from(["valid", "same", "full"]),
    st.integers(0, 4),
    st.tuples(st.integers(0, 4), st.integers(0, 4)),
)


@st.composite
def problems(draw, max_side=5):
    """A picture, a kernel size and options for which the map exists."""
    h, w = draw(st.integers(3, 14)), draw(st.integers(3, 14))
    channels = draw(st.sampled_from([None, 1, 3]))
    kh, kw = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    options = dict(
        stride=draw(pairs),
        dilation=draw(pairs),
        padding=draw(paddings),
        border=draw(st.sampled_from(BORDERS)),
        cval=draw(st.sampled_from([0.0, 0.25, -1.5])),
    )
    seed = draw(st.integers(0, 2**32 - 1))
    shape = (h, w) if channels is None else (h, w, channels)
    try:
        geom = fit_geometry(shape, (kh, kw), **options)
    except ValueError:
        assume(False)
    rng = np.random.default_rng(seed)
    image = rng.random(shape).astype(np.float32)
    return image, (kh, kw), options, geom, rng


# --------------------------------------------------------------------------------------------
# The sums


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.data())
def test_normal_equations_match_the_design_matrix(problem, data):
    image, _, _, geom, rng = problem
    target = rng.standard_normal((geom.oh, geom.ow) + image.shape[2:]).astype(np.float32)
    # Any split of the rows into bands gives the same sums.
    cuts = sorted(set(data.draw(st.lists(st.integers(1, max(1, geom.oh - 1)), max_size=4))))
    edges = [0] + [c for c in cuts if c < geom.oh] + [geom.oh]
    bands = list(zip(edges[:-1], edges[1:]))
    mask = None
    if data.draw(st.booleans()):
        mask = rng.random(target.shape) < data.draw(st.sampled_from([0.2, 0.7, 0.95]))
    centred = accumulate(image, target, geom, bands, mask)
    a = design_matrix(image, geom)
    t = target.reshape(-1).astype(np.float64)
    if mask is not None:
        keep = mask.reshape(-1)
        a, t = a[keep], t[keep]
    ac = a - centred.shift
    for ne, design in ((centred, ac), (centred.uncentred(), a)):
        scale = 1.0 + (design**2).sum()
        np.testing.assert_allclose(ne.gram, design.T @ design, rtol=1e-9, atol=1e-12 * scale)
        np.testing.assert_allclose(ne.tap_sums, design.sum(0), rtol=1e-9, atol=1e-12 * scale)
        np.testing.assert_allclose(ne.rhs, design.T @ t, rtol=1e-9, atol=1e-12 * scale)
    ne = centred
    assert ne.count == len(t)
    assert ne.target_sum == pytest.approx(t.sum(), abs=1e-6 * (1 + np.abs(t).sum()))
    assert ne.target_squares == pytest.approx(t @ t, rel=1e-6)


def test_gram_keeps_the_detail_of_a_bright_picture():
    """Float32 products or running sums would lose the 1e-3 detail on a level of 0.9."""
    rng = np.random.default_rng(3)
    image = (0.9 + 0.001 * rng.random((600, 700))).astype(np.float32)
    geom = fit_geometry(image.shape, 3)
    target = np.zeros((geom.oh, geom.ow), np.float32)
    ne = accumulate(image, target, geom, plan_bands(geom, None))
    a = design_matrix(image, geom)
    a -= a.mean(axis=0)
    n = len(a)
    covariance = ne.gram / n - np.outer(ne.tap_sums, ne.tap_sums) / n**2
    np.testing.assert_allclose(covariance, a.T @ a / n, rtol=1e-7)


# --------------------------------------------------------------------------------------------
# Recovery


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.booleans())
def test_hidden_kernel_is_recovered(problem, with_bias):
    image, size, options, geom, rng = problem
    # Enough equations, and a picture that pins the kernel down: a reflected or wrapped
    # border can repeat the same pixels under two taps.
    assume(geom.equations >= 4 * (geom.taps + 1))
    a = design_matrix(image, geom)
    if with_bias:
        a = np.hstack([a, np.ones((a.shape[0], 1))])
    assume(np.linalg.cond(a) < 1e3)
    kernel = rng.standard_normal(size).astype(np.float32)
    bias = float(rng.uniform(-1, 1)) if with_bias else 0.0
    target = convolve(image, kernel, **options) + np.float32(bias)
    fit = fit_kernel_report(image, target, size, bias=with_bias, **options)
    assert fit.determined
    assert fit.kernel.shape == size and fit.kernel.dtype == np.float32
    np.testing.assert_allclose(fit.kernel, kernel, atol=1e-4)
    assert fit.bias == pytest.approx(bias, abs=1e-4)
    assert fit.rms < 1e-5


@pytest.mark.parametrize("size", [3, (3, 5), 5, (7, 4), 7])
@pytest.mark.parametrize("channels", [None, 3])
def test_recovery_on_a_photo(size, channels):
    """A photo's neighbouring pixels are alike: a harder problem than random pixels."""
    photo = sample_photo(90, 120)
    image = photo if channels else photo[:, :, 1]
    rng = np.random.default_rng(7)
    kernel = rng.standard_normal(size if isinstance(size, tuple) else (size, size))
    kernel = kernel.astype(np.float32)
    options = dict(padding="same", border="reflect", stride=(1, 2), dilation=(2, 1))
    target = convolve(image, kernel, **options) + np.float32(0.125)
    k, b, rms = fit_kernel(image, target, kernel.shape, **options)
    np.testing.assert_allclose(k, kernel, atol=1e-4)
    assert b == pytest.approx(0.125, abs=1e-4)
    assert rms < 1e-5


def test_sub_sampled_fit_is_exact_and_says_so():
    rng = np.random.default_rng(11)
    image = rng.random((300, 200, 3)).astype(np.float32)
    kernel = rng.standard_normal((5, 5)).astype(np.float32)
    target = convolve(image, kernel, padding="same", border="edge") - np.float32(0.3)
    fit = fit_kernel_report(image, target, 5, padding="same", border="edge", max_equations=20_000)
    assert fit.sampled and 20_000 <= fit.equations_used < fit.equations // 5
    np.testing.assert_allclose(fit.kernel, kernel, atol=1e-4)
    assert fit.bias == pytest.approx(-0.3, abs=1e-4)
    assert fit.rms < 1e-5


def test_sub_sampled_rms_counts_the_bands_it_fitted():
    rng = np.random.default_rng(12)
    image = rng.random((400, 150)).astype(np.float32)
    noise = 0.01 * rng.standard_normal((398, 148))
    target = (convolve(image, SHARPEN) + noise).astype(np.float32)
    fit = fit_kernel_report(image, target, 3, max_equations=10_000)
    assert fit.sampled
    geom = fit_geometry(image.shape, 3)
    rows = np.concatenate([np.arange(a, b) for a, b in plan_bands(geom, 10_000)])
    residual = (convolve(image, fit.kernel) + np.float32(fit.bias) - target)[rows]
    assert fit.rms == pytest.approx(np.sqrt(np.mean(residual.astype(np.float64) ** 2)), rel=1e-5)
    assert fit.target_std == pytest.approx(target[rows].astype(np.float64).std(), rel=1e-6)
    assert residual_rms(image, target, fit.kernel, fit.bias, max_equations=10_000) == fit.rms
    whole = convolve(image, fit.kernel) + np.float32(fit.bias) - target
    assert fit.rms == pytest.approx(np.sqrt(np.mean(whole.astype(np.float64) ** 2)), rel=0.05)


def test_band_plan_spreads_evenly_and_holds_the_budget():
    geom = fit_geometry((3000, 4000, 3), 7, padding="same")
    bands = plan_bands(geom, 1 << 21)
    rows = sum(b - a for a, b in bands)
    assert rows * geom.ow * 3 >= 1 << 21
    assert rows < geom.oh / 10
    assert bands[0][0] == 0 and bands[-1][1] == geom.oh
    assert all(b1 <= a2 for (_, b1), (a2, _) in zip(bands, bands[1:]))
    gaps = np.diff([a for a, _ in bands])
    assert gaps.max() - gaps.min() <= 1
    whole = plan_bands(geom, None)
    assert whole[0][0] == 0 and whole[-1][1] == geom.oh
    assert all(b1 == a2 for (_, b1), (a2, _) in zip(whole, whole[1:]))


def test_flat_sample_is_widened_until_the_kernel_is_pinned_down():
    """The spread bands see only a flat area: more bands, up to the whole target, pin it down."""
    rng = np.random.default_rng(5)
    image = np.full((400, 60), 0.5, np.float32)
    image[30:55] = rng.random((25, 60))
    kernel = rng.standard_normal((3, 3)).astype(np.float32)
    target = convolve(image, kernel)
    fit = fit_kernel_report(image, target, 3, max_equations=2000)
    assert fit.determined and 2000 * 4 <= fit.equations_used <= fit.equations
    np.testing.assert_allclose(fit.kernel, kernel, atol=1e-4)


def test_ridge_matches_its_definition_and_shrinks_the_kernel():
    rng = np.random.default_rng(2)
    image = rng.random((30, 40)).astype(np.float32)
    target = (convolve(image, SHARPEN) + 0.05 * rng.standard_normal((28, 38))).astype(np.float32)
    geom = fit_geometry(image.shape, 3)
    a = np.hstack([design_matrix(image, geom), np.ones((28 * 38, 1))])
    t = target.reshape(-1).astype(np.float64)
    n = len(t)
    for ridge in (0.0, 0.01, 1.0):
        k, b, _ = fit_kernel(image, target, 3, ridge=ridge)
        penalty = np.diag([ridge] * 9 + [0.0])
        want = np.linalg.solve(a.T @ a / n + penalty, a.T @ t / n)
        np.testing.assert_allclose(k.ravel(), want[:9], atol=1e-5)
        assert b == pytest.approx(want[9], abs=1e-5)
    assert np.abs(fit_kernel(image, target, 3, ridge=1.0)[0]).sum() < np.abs(SHARPEN).sum() / 2


def test_noisy_target_gives_the_least_squares_answer():
    rng = np.random.default_rng(4)
    image = rng.random((25, 31, 3)).astype(np.float32)
    target = rng.random((23, 16, 3)).astype(np.float32)
    options = dict(stride=(1, 2), padding=(0, 1), border="wrap")
    geom = fit_geometry(image.shape, (3, 3), **options)
    for bias in (True, False):
        k, b, rms = fit_kernel(image, target, 3, bias=bias, **options)
        want_k, want_b = lstsq_fit(image, target, geom, bias)
        np.testing.assert_allclose(k, want_k, atol=1e-5)
        assert b == pytest.approx(want_b, abs=1e-5)
        want_rms = np.sqrt(np.mean((convolve(image, want_k, **options) + want_b - target) ** 2))
        assert rms == pytest.approx(want_rms, rel=1e-5)


def test_plain_picture_gives_the_smallest_kernel_and_says_so():
    """Columns that never change down the picture cannot tell a kernel's rows apart."""
    rng = np.random.default_rng(6)
    image = np.broadcast_to(rng.random(30).astype(np.float32), (20, 30))
    kernel = rng.standard_normal((3, 3)).astype(np.float32)
    target = convolve(image, kernel)
    fit = fit_kernel_report(image, target, 3)
    assert not fit.determined
    # Every kernel with these column sums fits; the smallest spreads each sum down its column.
    want = np.broadcast_to(kernel.sum(axis=0) / 3, (3, 3))
    np.testing.assert_allclose(fit.kernel, want, atol=1e-4)
    assert fit.rms < 1e-5
    assert fit.verdict.endswith(
        "the picture is too plain to pin down every weight, so this is the smallest kernel "
        "that does it."
    )


# --------------------------------------------------------------------------------------------
# A photo editor's effects on an 8-bit photo


def editor(image8, kernel, offset=0.0):
    """What a photo editor saves: the filter over the same-size picture, clipped, 8 bits."""
    out = convolve(image8, kernel, padding="same", border="edge") + np.float32(offset)
    return (np.round(np.clip(out, 0, 1) * 255) / 255).astype(np.float32)


@pytest.mark.parametrize(
    ("kernel", "offset"),
    [(SHARPEN, 0.0), (UNSHARP_MASK, 0.0), (SOBEL_X / 4, 0.5), (OUTLINE / 2, 0.5), (LAPLACIAN, 0.5)],
    ids=["sharpen", "unsharp_mask", "sobel_x", "outline", "laplacian"],
)
def test_photo_editor_effect_is_recovered_within_hundredths(kernel, offset):
    photo8 = (np.round(sample_photo(150, 200) * 255) / 255).astype(np.float32)
    after = editor(photo8, kernel, offset)
    options = dict(padding="same", border="edge")
    fit = fit_kernel_report(photo8, after, kernel.shape, mask=unclipped(after), **options)
    assert np.abs(fit.kernel - kernel).max() < 0.02
    assert fit.bias == pytest.approx(offset, abs=0.01)
    assert fit.explained > 0.999


def test_clipped_values_counted_pull_the_kernel_away():
    """Why the mask is there: counting the clipped values misses the sharpen by whole units."""
    photo8 = (np.round(sample_photo(150, 200) * 255) / 255).astype(np.float32)
    after = editor(photo8, SHARPEN)
    k, _, _ = fit_kernel(photo8, after, 3, padding="same", border="edge")
    assert np.abs(k - SHARPEN).max() > 0.3


def test_unclipped():
    assert unclipped(np.array([[0.0, 0.2], [1.0, 0.9]])).tolist() == [[False, True], [False, True]]
    assert unclipped(np.array([2.0, 0.0, 1.0])).all()
    assert unclipped(np.array([0.5, 1.0, 2.0]), low=0.5, high=2.0).tolist() == [False, True, False]


# --------------------------------------------------------------------------------------------
# Residual map and verdict


def test_residual_map_is_the_map_minus_the_target():
    rng = np.random.default_rng(8)
    image = rng.random((12, 15, 3)).astype(np.float32)
    target = rng.random((6, 8, 3)).astype(np.float32)
    options = dict(stride=2, padding="same", border="symmetric")
    got = residual_map(image, target, SOBEL_X, 0.25, **options)
    want = convolve(image, SOBEL_X, **options) + np.float32(0.25) - target
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, want, atol=1e-6)
    with pytest.raises(ValueError, match="2-D"):
        residual_map(image, target, np.ones((3, 3, 3)))
    with pytest.raises(ValueError, match="bias"):
        residual_map(image, target, SOBEL_X, float("nan"), **options)


@pytest.mark.parametrize("measure", [residual_map, residual_rms])
@pytest.mark.parametrize(
    ("kernel", "bias", "sentence"),
    [
        (np.ones((3, 3, 3)), 0.0, r"^The kernel must be a 2-D grid of weights \(kh, kw\), not 3-D\.$"),
        ([[1.0, np.nan, 0.0]] * 3, 0.0, r"^The kernel contains a value that is not a finite number\.$"),
        (np.full((3, 3), 1e300), 0.0, r"^The kernel holds values too large for 32-bit floats\.$"),
        ([["a"] * 3] * 3, 0.0, r"^The kernel must hold real numbers"),
        (SOBEL_X, float("inf"), r"^The bias must be a finite number, not inf\.$"),
        (SOBEL_X, None, r"^The bias must be a finite number, not None\.$"),
        (SOBEL_X, "0.5", r"^The bias must be a finite number, not '0\.5'\.$"),
        (SOBEL_X, True, r"^The bias must be a finite number, not True\.$"),
    ],
)
def test_a_given_kernel_and_bias_are_refused_alike(measure, kernel, bias, sentence):
    """residual_map and residual_rms check the kernel and bias they are given the same way."""
    image = np.zeros((8, 8), np.float32)
    with pytest.raises(ValueError, match=sentence):
        measure(image, np.zeros((6, 6), np.float32), kernel, bias)


def test_verdict_tells_a_tone_curve_from_a_filter():
    photo = sample_photo(90, 120)[:, :, 0]
    linear = convolve(photo, SHARPEN)
    fit = fit_kernel_report(photo, linear, 3)
    assert (
        fit.verdict == "A single 3x3 kernel explains this change completely: it is a linear filter."
    )
    curved = (photo[1:-1, 1:-1] ** 3).astype(np.float32)  # a tone curve: no kernel makes it
    fit = fit_kernel_report(photo, curved, 3)
    assert fit.explained < 0.99
    assert fit.verdict.startswith("A single 3x3 kernel explains only ")
    assert fit.verdict.endswith("the rest (a tone curve, a median?) is not a linear filter.")
    assert fit_verdict(fit, bias=False).endswith("or needs the bias that was not fitted.")
    rng = np.random.default_rng(1)
    noisy = (linear + 0.02 * rng.standard_normal(linear.shape)).astype(np.float32)
    sentence = fit_kernel_report(photo, noisy, 3).verdict
    assert (
        "the small rest is rounding, clipping or noise" in sentence or "up to rounding" in sentence
    )


def test_verdict_on_a_flat_target():
    fit = fit_kernel_report(np.random.default_rng(0).random((9, 9)), np.full((7, 7), 0.5), 3)
    assert fit.target_std == 0 and fit.verdict.startswith("The target is one flat value")
    assert np.abs(fit.kernel).max() < 1e-6 and fit.bias == pytest.approx(0.5)


# --------------------------------------------------------------------------------------------
# Refusals: one sentence each


def one_sentence(err: pytest.ExceptionInfo) -> str:
    text = str(err.value)
    assert text.endswith(".") and "\n" not in text
    return text


@pytest.mark.parametrize(
    ("image", "target", "kwargs", "fragment"),
    [
        (np.zeros((10, 10)), np.zeros((10, 10)), {}, "needs padding 'same'"),
        (np.zeros((10, 10)), np.zeros((8, 9)), {}, "maps this 10x10 picture to 8x8"),
        (np.zeros((10, 10, 3)), np.zeros((8, 8)), {}, "same channels"),
        (np.zeros((10, 10)), np.zeros((8, 8, 3)), {}, "same channels"),
        (np.full((10, 10), np.nan), np.zeros((8, 8)), {}, "picture contains a value that is not"),
        (np.zeros((10, 10)), np.full((8, 8), np.inf), {}, "target contains a value that is not"),
        (np.zeros((3, 3)), np.zeros((1, 1)), {}, "1 value for 10 unknowns"),
        (np.zeros((4, 4)), np.zeros((2, 2)), {"bias": False}, "4 values for 9 unknowns"),
        (np.zeros((10, 10)), np.zeros((8, 8)), {"size": 0}, "at least 1"),
        (np.zeros((20, 20)), np.zeros((4, 4)), {"size": 16}, "at most 15x15"),
        (np.zeros((10, 10)), np.zeros((8, 8)), {"size": True}, "kernel size"),
        (np.zeros((10, 10)), np.zeros((8, 8)), {"ridge": -1}, "ridge"),
        (np.zeros((10, 10)), np.zeros((8, 8)), {"ridge": float("nan")}, "ridge"),
        (np.zeros((10, 10)), np.zeros((8, 8)), {"bias": 1}, "True or False"),
        (np.zeros((10, 10)), np.zeros((8, 8)), {"border": "mirror"}, "Unknown border"),
        (np.zeros((10, 10)), np.zeros((8, 8)), {"stride": 0}, "stride"),
        (np.zeros((10, 10)), np.zeros((8, 8)), {"cval": float("inf")}, "cval"),
        (np.zeros((2, 2)), np.zeros((1, 1)), {"size": 3}, "larger than the padded picture"),
        (np.zeros((10,)), np.zeros((8,)), {}, "2-D (H, W) or 3-D"),
        (np.array([["a"]]), np.zeros((8, 8)), {}, "real numbers"),
        (np.zeros((0, 5)), np.zeros((8, 8)), {}, "empty"),
    ],
)
def test_refusals(image, target, kwargs, fragment):
    with pytest.raises(ValueError) as err:
        fit_kernel(image, target, **kwargs)
    assert fragment in one_sentence(err)


def test_mask_refusals():
    image, target = np.zeros((10, 10, 3)), np.zeros((8, 8, 3))
    with pytest.raises(ValueError) as err:
        fit_kernel_report(image, target, mask=np.ones((8, 8, 3), np.uint8))
    assert "True/False" in one_sentence(err)
    with pytest.raises(ValueError) as err:
        fit_kernel_report(image, target, mask=np.ones((8, 7), bool))
    assert "must match" in one_sentence(err)
    with pytest.raises(ValueError) as err:
        fit_kernel_report(image, target, mask=np.zeros((8, 8), bool))
    assert "keeps 0 of the target's values for 10 unknowns" in one_sentence(err)
    with pytest.raises(ValueError) as err:
        fit_kernel_report(image, target, max_equations=0)
    assert "max_equations" in one_sentence(err)


def test_inputs_are_not_modified_and_any_real_dtype_works():
    rng = np.random.default_rng(9)
    image = rng.integers(0, 256, (20, 24), dtype=np.uint8)
    target = convolve(image, SOBEL_X)
    before = image.copy(), target.copy()
    k, b, rms = fit_kernel(image, target.astype(np.float64), 3)
    np.testing.assert_array_equal(image, before[0])
    np.testing.assert_array_equal(target, before[1])
    np.testing.assert_allclose(k, SOBEL_X, atol=1e-4)
    assert isinstance(b, float) and isinstance(rms, float) and k.flags.writeable


@pytest.mark.parametrize("module", [fit_module, fit_inputs])
def test_examples_in_docstrings_hold(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_inner_cells_do_not_depend_on_the_border(problem):
    image, size, options, geom, rng = problem
    kernel = rng.standard_normal(size).astype(np.float32)
    inner = inner_cells(image.shape, size, **options)
    assert inner.shape == (geom.oh, geom.ow)
    # Any border, and a fill far from the picture's values: the inner cells never see it.
    maps = [
        convolve(image, kernel, **{**options, "border": border, "cval": 7.0}) for border in BORDERS
    ]
    for other in maps[1:]:
        np.testing.assert_allclose(other[inner], maps[0][inner], atol=1e-5)
    if geom.pads == ((0, 0), (0, 0)):
        assert inner.all()
