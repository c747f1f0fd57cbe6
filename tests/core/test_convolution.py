"""convolve() against the plain-numpy reference, and its contract from SPEC.md."""

from __future__ import annotations

import contextlib

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from filterstudio.core import convolution
from filterstudio.core.convolution import BORDERS, convolve, output_shape, resolve_padding
from filterstudio.core.reference import convolve_reference

DTYPES = (
    np.uint8,
    np.uint16,
    np.int16,
    np.int32,
    np.int64,
    np.bool_,
    np.float16,
    np.float32,
    np.float64,
)


def tolerance(image, kernel) -> float:
    x = np.abs(np.asarray(image, dtype=np.float64))
    k = np.abs(np.asarray(kernel, dtype=np.float64))
    return 1e-4 * (1.0 + k.sum() * (x.max() if x.size else 0.0))


def assert_matches_reference(image, kernel, **kw) -> np.ndarray:
    got = convolve(image, kernel, **kw)
    want = convolve_reference(image, kernel, **kw)
    assert got.dtype == np.float32
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=0, atol=tolerance(image, kernel))
    return got


def random_image(rng: np.random.Generator, shape, dtype) -> np.ndarray:
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return rng.random(shape) < 0.5
    if dtype.kind in "ui":
        info = np.iinfo(dtype)
        lo, hi = max(info.min, -1000), min(info.max, 1000) if dtype.itemsize > 2 else info.max
        return rng.integers(lo, hi, size=shape, endpoint=True).astype(dtype)
    return (rng.standard_normal(shape) * 3).astype(dtype)


@contextlib.contextmanager
def banded_engine():
    """Force the banded, threaded engine on tiny images: many one-row bands, run in parallel."""
    knobs = {"PARALLEL_MIN_VALUES": 0, "BAND_BYTES": 1, "MIN_BAND_ROWS": 1, "MAX_WORKERS": 2}
    saved = {name: getattr(convolution, name) for name in knobs}
    for name, value in knobs.items():
        setattr(convolution, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(convolution, name, value)


pairs = st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3)))
paddings = st.one_of(
    st.sampled_from(["valid", "same", "full"]),
    st.integers(0, 14),
    st.tuples(st.integers(0, 14), st.integers(0, 14)),
)


@st.composite
def problems(draw):
    h, w = draw(st.integers(1, 11)), draw(st.integers(1, 11))
    channels = draw(st.sampled_from([None, 1, 2, 3, 4, 5]))
    shape = (h, w) if channels is None else (h, w, channels)
    dtype = draw(st.sampled_from(DTYPES))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    image = random_image(rng, shape, dtype)
    layout = draw(st.sampled_from(["c", "f", "reversed"]))
    if layout == "f":
        image = np.asfortranarray(image)
    elif layout == "reversed":
        image = image[::-1, ::-1]
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    depth = channels is not None and draw(st.booleans())
    kshape = (kh, kw, channels) if depth else (kh, kw)
    kind = draw(st.sampled_from(["dense", "separable", "integer"]))
    if kind == "separable":
        k = np.multiply.outer(rng.standard_normal(kh), rng.standard_normal(kw))
        kernel = k[:, :, None] * rng.standard_normal(channels) if depth else k
    elif kind == "integer":
        kernel = rng.integers(-2, 3, size=kshape)
    else:
        kernel = rng.standard_normal(kshape)
    kwargs = dict(
        stride=draw(pairs),
        dilation=draw(pairs),
        padding=draw(paddings),
        border=draw(st.sampled_from(BORDERS)),
        cval=draw(st.floats(-2, 2, allow_nan=False)),
        flip=draw(st.booleans()),
    )
    return image, kernel, kwargs


def check_problem(image, kernel, kwargs) -> None:
    image_before, kernel_before = image.copy(), np.array(kernel, copy=True)
    try:
        want = convolve_reference(image, kernel, **kwargs)
    except ValueError:
        with pytest.raises(ValueError):
            convolve(image, kernel, **kwargs)
        return
    got = convolve(image, kernel, **kwargs)
    assert got.dtype == np.float32
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=0, atol=tolerance(image, kernel))
    # The shape helpers describe exactly what convolve returns.
    geometry = dict(stride=kwargs["stride"], padding=kwargs["padding"], dilation=kwargs["dilation"])
    assert got.shape[:2] == output_shape(image.shape[:2], np.shape(kernel)[:2], **geometry)
    (pt, pb), (pl, pr) = resolve_padding(image.shape[:2], np.shape(kernel)[:2], **geometry)
    sy, sx = convolution.as_pair(kwargs["stride"], "stride")
    dy, dx = convolution.as_pair(kwargs["dilation"], "dilation")
    keh, kew = dy * (np.shape(kernel)[0] - 1) + 1, dx * (np.shape(kernel)[1] - 1) + 1
    assert got.shape[0] == (image.shape[0] + pt + pb - keh) // sy + 1
    assert got.shape[1] == (image.shape[1] + pl + pr - kew) // sx + 1
    np.testing.assert_array_equal(image, image_before)
    np.testing.assert_array_equal(kernel, kernel_before)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_convolve_matches_reference(problem):
    check_problem(*problem)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_banded_engine_matches_reference(problem):
    with banded_engine():
        check_problem(*problem)


@pytest.mark.parametrize("border", BORDERS)
@pytest.mark.parametrize("pad", [1, 2, 5, 13, (0, 9), (7, 0)])
@pytest.mark.parametrize("shape", [(1, 1), (1, 4), (4, 1), (3, 5, 3), (2, 2, 5)])
def test_borders_equal_numpy_pad_for_any_padding(border, pad, shape):
    rng = np.random.default_rng(3)
    image = rng.standard_normal(shape).astype(np.float32)
    py, px = (pad, pad) if isinstance(pad, int) else pad
    width = ((py, py), (px, px)) + ((0, 0),) * (image.ndim - 2)
    extra = {"constant_values": 0.25} if border == "constant" else {}
    want = np.pad(image.astype(np.float64), width, mode=border, **extra)
    # An identity kernel turns the padded image into the map: both engines must show np.pad.
    for fn in (convolve, convolve_reference):
        got = fn(image, [[1.0]], padding=pad, border=border, cval=0.25)
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)
    with banded_engine():
        got = convolve(image, [[1.0]], padding=pad, border=border, cval=0.25, stride=(1, 2))
        np.testing.assert_allclose(got, want[:, ::2], rtol=0, atol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
def test_output_is_float32_for_every_input_dtype(dtype):
    image = random_image(np.random.default_rng(1), (9, 7, 3), dtype)
    out = assert_matches_reference(image, np.ones((3, 3), np.int64), padding="same")
    assert out.dtype == np.float32
    assert out.shape == (9, 7, 3)


@pytest.mark.parametrize("read_only", [False, True])
def test_inputs_are_not_modified(read_only):
    rng = np.random.default_rng(2)
    image = rng.random((40, 30, 3), dtype=np.float32)
    kernel = rng.standard_normal((3, 3)).astype(np.float32)
    image.flags.writeable = not read_only
    kernel.flags.writeable = not read_only
    flag_names = ("C_CONTIGUOUS", "F_CONTIGUOUS", "OWNDATA", "WRITEABLE", "ALIGNED")
    before = [(a.copy(), [a.flags[f] for f in flag_names], a.strides) for a in (image, kernel)]
    for kwargs in ({}, {"padding": "same", "border": "wrap", "stride": 2}, {"flip": True}):
        out = convolve(image, kernel, **kwargs)
        assert not np.shares_memory(out, image)
        out[...] = -1.0  # the result is the caller's to write to
    for a, (copy, flags, strides) in zip((image, kernel), before, strict=True):
        np.testing.assert_array_equal(a, copy)
        assert [a.flags[f] for f in flag_names] == flags
        assert a.strides == strides


@pytest.mark.parametrize(
    ("n", "k", "s", "pads"),
    [
        (7, 3, 1, (1, 1)),
        (7, 3, 2, (1, 1)),
        (8, 3, 2, (0, 1)),  # the odd extra cell goes to the bottom/right
        (5, 4, 1, (1, 2)),
        (6, 1, 3, (0, 0)),
        (10, 5, 3, (2, 2)),
        (2, 7, 1, (3, 3)),
    ],
)
def test_same_follows_the_keras_rule(n, k, s, pads):
    assert resolve_padding((n, n), (k, k), stride=s, padding="same") == (pads, pads)
    out = convolve(np.ones((n, n)), np.ones((k, k)), stride=s, padding="same")
    assert out.shape == (-(-n // s), -(-n // s))


def test_same_with_dilation_uses_the_effective_kernel():
    # ke = 2*(3-1)+1 = 5: two cells on each side.
    assert resolve_padding((9, 9), (3, 3), padding="same", dilation=2) == ((2, 2), (2, 2))
    out = assert_matches_reference(
        np.arange(81.0).reshape(9, 9), np.ones((3, 3)), padding="same", dilation=2, border="reflect"
    )
    assert out.shape == (9, 9)


def test_output_shape_is_zero_when_the_kernel_does_not_fit():
    assert output_shape((3, 8), (5, 3)) == (0, 6)
    assert output_shape((3, 8), (5, 3), padding=1) == (1, 8)


BAD_ARGUMENTS = [
    (dict(image=np.ones((3, 3)), kernel=np.ones((5, 5))), "larger than the padded image"),
    (dict(image=np.ones((9, 9)), kernel=np.ones((3, 3)), dilation=5), "larger than the padded"),
    (dict(kernel=[[1.0, np.nan]]), "not a finite number"),
    (dict(kernel=[[1.0, np.inf]]), "not a finite number"),
    (dict(image=np.ones((5, 5, 3)), kernel=np.ones((3, 3, 2))), "depth kernel has 2 channels"),
    (dict(image=np.ones((5, 5)), kernel=np.ones((3, 3, 3))), "depth kernel has 3 channels"),
    (dict(stride=0), "stride must be at least 1"),
    (dict(stride=(1, -2)), "stride must be at least 1"),
    (dict(stride=1.5), "stride must be a whole number"),
    (dict(stride=True), "stride must be a whole number"),
    (dict(stride=(1, 2, 3)), "stride takes one whole number or a pair"),
    (dict(dilation=0), "dilation must be at least 1"),
    (dict(dilation="2"), "dilation must be a whole number"),
    (dict(padding="middle"), "Unknown padding"),
    (dict(padding=-1), "padding cannot be negative"),
    (dict(padding=(1, 2, 3)), "exactly two numbers"),
    (dict(padding=None), "padding must be"),
    (dict(padding=1.5), "padding must be a whole number"),
    (dict(border="mirror"), "Unknown border"),
    (dict(border=None), "Unknown border"),
    (dict(cval=np.nan), "cval must be a finite number"),
    (dict(cval="zero"), "cval must be a finite number"),
    (dict(flip="yes"), "flip option must be True or False"),
    (dict(image=np.ones(5)), "image must be 2-D"),
    (dict(image=np.ones((2, 2, 2, 2))), "image must be 2-D"),
    (dict(image=np.ones((0, 4))), "image is empty"),
    (dict(image=np.ones((4, 4, 0))), "image is empty"),
    (dict(image=np.array([["a", "b"], ["c", "d"]])), "image must hold real numbers"),
    (dict(image=np.ones((3, 3), complex)), "image must hold real numbers"),
    (dict(image=[[1, 2], [3]]), "image must be an array of real numbers"),
    (dict(image=None), "image must hold real numbers"),
    (dict(kernel=np.ones(3)), "kernel must be 2-D"),
    (dict(kernel=np.ones((0, 3))), "kernel is empty"),
    (dict(kernel=[["x"]]), "kernel must hold real numbers"),
]


@pytest.mark.parametrize(("kwargs", "fragment"), BAD_ARGUMENTS)
def test_bad_arguments_raise_a_sentence(kwargs, fragment):
    kwargs = {"image": np.ones((6, 6)), "kernel": np.ones((3, 3)), **kwargs}
    with pytest.raises(ValueError, match=fragment) as info:
        convolve(**kwargs)
    message = str(info.value)
    assert message[0].isupper() and message.endswith("."), message
    assert "\n" not in message


def test_flip_is_true_convolution_as_scipy_signal():
    signal = pytest.importorskip("scipy.signal")
    rng = np.random.default_rng(4)
    image = rng.standard_normal((13, 17))
    kernel = rng.standard_normal((3, 5))
    for mode in ("full", "valid", "same"):
        want = signal.convolve2d(image, kernel, mode=mode)
        got = convolve(image, kernel, flip=True, padding=mode)
        np.testing.assert_allclose(got, want, rtol=0, atol=tolerance(image, kernel))
    # Without flip it is the cross-correlation.
    want = signal.correlate2d(image, kernel, mode="valid")
    np.testing.assert_allclose(convolve(image, kernel), want, rtol=0, atol=tolerance(image, kernel))


def gaussian(size: int, sigma: float) -> np.ndarray:
    t = np.arange(size) - size // 2
    g = np.exp(-(t**2) / (2 * sigma**2))
    return np.outer(g, g) / g.sum() ** 2


@pytest.mark.parametrize("stride", [1, 2, 3, (1, 3)])
@pytest.mark.parametrize("padding", ["valid", "same", "full"])
def test_separable_and_dense_kernels_are_both_exact(stride, padding):
    rng = np.random.default_rng(5)
    image = rng.random((61, 47, 3), dtype=np.float32)
    separable = gaussian(7, 1.5)
    assert convolution._plan(separable, 1, 1).col is not None
    dense = rng.standard_normal((7, 7))
    assert convolution._plan(dense, 1, 1).col is None
    # Nearly separable is not separable: the two 1-D passes would miss the remainder.
    nearly = separable + 1e-4 * dense
    assert convolution._plan(nearly, 1, 1).col is None
    for kernel in (separable, dense, nearly, np.outer([1, 2, 1], [-1, 0, 1])):
        for border in ("reflect", "constant"):
            assert_matches_reference(image, kernel, stride=stride, padding=padding, border=border)
            assert_matches_reference(image, kernel, stride=stride, padding=padding, dilation=2)


def test_large_image_runs_the_parallel_bands_exactly():
    rng = np.random.default_rng(6)
    image = rng.random((601, 503, 3), dtype=np.float32)
    assert image.size >= convolution.PARALLEL_MIN_VALUES
    for kernel in (rng.standard_normal((3, 3)), gaussian(5, 1.0)):
        for stride in (1, 2, 3):
            for padding, border in (("valid", "constant"), ("same", "reflect"), ("full", "wrap")):
                assert_matches_reference(
                    image, kernel, stride=stride, padding=padding, border=border
                )


def test_big_kernels_and_dilations_are_exact():
    rng = np.random.default_rng(7)
    image = rng.random((70, 64, 2), dtype=np.float32) * 10
    for kernel, dilation in ((rng.standard_normal((15, 15)), 1), (rng.standard_normal((5, 5)), 4)):
        assert_matches_reference(
            image, kernel, padding="same", border="symmetric", dilation=dilation
        )
        assert_matches_reference(image, kernel, stride=2, dilation=dilation)


def test_depth_kernel_sums_over_channels():
    rng = np.random.default_rng(8)
    image = rng.random((12, 10, 3))
    kernel = rng.standard_normal((3, 3, 3))
    out = assert_matches_reference(image, kernel, padding="same")
    assert out.shape == (12, 10)
    by_channel = sum(convolve(image[:, :, c], kernel[:, :, c], padding="same") for c in range(3))
    np.testing.assert_allclose(out, by_channel, atol=1e-5)


def test_per_channel_kernel_keeps_every_channel():
    rng = np.random.default_rng(9)
    for channels in (1, 2, 3, 4, 5, 7):
        image = rng.random((9, 8, channels))
        out = assert_matches_reference(image, np.ones((3, 3)), stride=2)
        assert out.shape == (4, 3, channels)
        for c in range(channels):
            np.testing.assert_allclose(
                out[:, :, c], convolve(image[:, :, c], np.ones((3, 3)), stride=2), atol=1e-5
            )


def test_reference_pads_with_numpy_pad():
    image = np.arange(6.0).reshape(2, 3)
    for border in ("edge", "reflect", "symmetric", "wrap"):
        got = convolve_reference(image, [[1.0]], padding=(4, 5), border=border)
        np.testing.assert_array_equal(got, np.pad(image, ((4, 4), (5, 5)), mode=border))
    got = convolve_reference(image, [[1.0]], padding=2, cval=-3.0)
    np.testing.assert_array_equal(got, np.pad(image, 2, constant_values=-3.0))
    assert convolve_reference(image, [[1.0]]).dtype == np.float64


@pytest.mark.parametrize("channels", [None, 1, 3, 4])
@pytest.mark.parametrize("sx", [2, 3, 5, 8])
def test_column_thinning_picks_every_sx_th_column(sx, channels):
    # Strided output is thinned with a nearest-neighbour resize, which must land exactly on
    # columns 0, sx, 2*sx, ... for every width, including when the last column ends the row.
    rng = np.random.default_rng(sx)
    for width in (1, 2, sx, sx + 1, 2 * sx - 1, 1000, 4001, 9 * sx + 2):
        shape = (3, width) if channels is None else (3, width, channels)
        acc = rng.random(shape, dtype=np.float32)
        ow = (width - 1) // sx + 1
        dst = np.full((3, ow) + shape[2:], np.nan, np.float32)
        convolution._subsample_cols(acc, sx, ow, dst)
        np.testing.assert_array_equal(dst, acc[:, ::sx])


@pytest.mark.parametrize("parallel", [False, True])
def test_reused_band_buffers_never_leak_into_results(parallel):
    # Bands compute into buffers each thread keeps from call to call. A result must own its
    # values: later calls, with larger and smaller bands, other kernels and strides, leave it
    # unchanged, and each of them is exact.
    rng = np.random.default_rng(11)
    calls = [
        (rng.random((40, 57, 3), dtype=np.float32), rng.standard_normal((3, 3)), 2, "valid"),
        (rng.random((90, 31), dtype=np.float32), gaussian(5, 1.0), 3, "same"),
        (rng.random((12, 80, 4), dtype=np.float32), rng.standard_normal((7, 7)), 2, "full"),
        (rng.random((65, 66, 3), dtype=np.float32), rng.standard_normal((2, 5)), 1, 3),
    ]
    engine = banded_engine() if parallel else contextlib.nullcontext()
    with engine:
        results = []
        for image, kernel, stride, padding in calls + calls[::-1]:
            got = assert_matches_reference(
                image, kernel, stride=stride, padding=padding, border="wrap"
            )
            results.append((got, got.copy()))
    for got, first in results:
        np.testing.assert_array_equal(got, first)


@pytest.mark.parametrize("border", ["constant", "edge", "reflect", "symmetric", "wrap"])
@pytest.mark.parametrize(("stride", "padding"), [(1, "full"), ((2, 3), (70, 90)), (3, "same")])
def test_widely_dilated_kernels_match_the_reference(border, stride, padding):
    # A 5x5 kernel at dilation (20, 24) spans 81x97 cells, nearly all of them the zeros between
    # taps: the engine applies it tap by tap rather than through the whole span.
    rng = np.random.default_rng(7)
    image = rng.random((30, 40, 2)).astype(np.float32)
    kernel = rng.normal(size=(5, 5))
    kernel[2, 3] = 0.0
    kwargs = dict(stride=stride, padding=padding, border=border, cval=0.25, dilation=(20, 24))
    got = convolve(image, kernel, **kwargs)
    want = convolve_reference(image, kernel, **kwargs)
    assert got.dtype == np.float32 and got.shape == want.shape
    np.testing.assert_allclose(got, want, atol=1e-4 * (1 + np.abs(kernel).sum()))
