"""conv2d() against its plain-numpy reference over every option, and its refusals."""

from __future__ import annotations

import contextlib
import tracemalloc

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from filterstudio.core import conv2d as layer
from filterstudio.core import convolution
from filterstudio.core.conv2d import conv2d
from filterstudio.core.convolution import BORDERS, convolve
from filterstudio.core.reference_layers import conv2d_reference

ENGINES = (None, "planes", "patches")


def tolerance(x, weight, bias=None) -> float:
    """SPEC's ``1e-4 * (1 + sum|K| * max|x|)``, with the largest filter's ``sum|K|``."""
    x = np.abs(np.asarray(x, np.float64))
    w = np.abs(np.asarray(weight, np.float64))
    per_filter = w.reshape(w.shape[0], -1).sum(axis=1).max()
    b = 0.0 if bias is None else float(np.abs(np.asarray(bias, np.float64)).max())
    return 1e-4 * (1.0 + per_filter * x.max() + b)


KNOBS = ("FORCE_ENGINE", "PATCH_BYTES", "MIN_PATCH_COLUMNS", "BAND_BYTES",
         "PARALLEL_MIN_VALUES")


@contextlib.contextmanager
def engine(name: str | None, *, patch_bytes: int | None = None, threads: bool = False):
    """Run one engine. A small ``patch_bytes`` cuts tiny inputs into many bands and many
    matrix products, and ``threads`` runs the bands on the pool, as large pictures run."""
    saved = {k: getattr(layer, k) for k in KNOBS}
    saved_workers = convolution.MAX_WORKERS
    layer.FORCE_ENGINE = name
    if patch_bytes is not None:
        layer.PATCH_BYTES = layer.BAND_BYTES = patch_bytes
        layer.MIN_PATCH_COLUMNS = 1
    if threads:
        layer.PARALLEL_MIN_VALUES = 0
        convolution.MAX_WORKERS = 2
    try:
        yield
    finally:
        for k, v in saved.items():
            setattr(layer, k, v)
        convolution.MAX_WORKERS = saved_workers


pairs = st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3)))
paddings = st.one_of(
    st.sampled_from(["valid", "same", "full"]),
    st.integers(0, 6),
    st.tuples(st.integers(0, 6), st.integers(0, 6)),
)


@st.composite
def layers(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    per_group_in = draw(st.integers(1, 6 if groups == 1 else 3))
    per_group_out = draw(st.integers(1, 3))
    c_in = groups * per_group_in
    h, w = draw(st.integers(1, 10)), draw(st.integers(1, 10))
    dtype = draw(st.sampled_from([np.float32, np.float64, np.uint8, np.int16]))
    shape = (h, w) if c_in == 1 and draw(st.booleans()) else (h, w, c_in)
    if np.dtype(dtype).kind == "f":
        x = (rng.standard_normal(shape) * 2).astype(dtype)
    else:
        x = rng.integers(0, 100, size=shape).astype(dtype)
    if draw(st.booleans()):  # a view, not a fresh contiguous array
        x = x[::-1]
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    weight = rng.standard_normal((groups * per_group_out, per_group_in, kh, kw))
    if draw(st.booleans()):
        weight[rng.random(weight.shape) < 0.3] = 0.0  # zero taps are skipped: still exact
    weight = weight.astype(draw(st.sampled_from([np.float32, np.float64])))
    bias = rng.standard_normal(weight.shape[0]) if draw(st.booleans()) else None
    kwargs = dict(
        stride=draw(pairs),
        padding=draw(paddings),
        dilation=draw(pairs),
        border=draw(st.sampled_from(BORDERS)),
        cval=draw(st.floats(-2, 2, allow_nan=False)),
        groups=groups,
    )
    run = dict(
        name=draw(st.sampled_from(ENGINES)),
        patch_bytes=draw(st.sampled_from([None, 1, 48, 600])),
        threads=draw(st.booleans()),
    )
    return x, weight, bias, kwargs, run


def check_layer(x, weight, bias, kwargs, run) -> None:
    before = (x.copy(), weight.copy())
    try:
        want = conv2d_reference(x, weight, bias, **kwargs)
    except ValueError:
        with engine(**run), pytest.raises(ValueError):
            conv2d(x, weight, bias, **kwargs)
        return
    with engine(**run):
        got = conv2d(x, weight, bias, **kwargs)
    assert got.dtype == np.float32
    assert got.shape == want.shape
    assert got.shape[2] == weight.shape[0]
    np.testing.assert_allclose(got, want, rtol=0, atol=tolerance(x, weight, bias))
    np.testing.assert_array_equal(x, before[0])
    np.testing.assert_array_equal(weight, before[1])


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layers())
def test_conv2d_matches_reference(case):
    check_layer(*case)


@pytest.mark.parametrize("name", ENGINES)
@pytest.mark.parametrize(
    "kwargs",
    [
        dict(stride=2, padding="same", border="reflect"),
        dict(stride=(1, 3), padding=(2, 0), dilation=(2, 1), border="wrap"),
        dict(padding="full", border="constant", cval=0.5),
        dict(stride=3, padding=4, border="symmetric", dilation=2),
        dict(padding="valid", border="edge", groups=2),
    ],
)
def test_both_engines_on_a_larger_picture(name, kwargs):
    """Many bands, on the thread pool, with every tap in one matrix or chunked."""
    rng = np.random.default_rng(4)
    x = rng.random((61, 47, 4), dtype=np.float32)
    groups = kwargs.get("groups", 1)
    weight = rng.standard_normal((6, 4 // groups, 3, 5)).astype(np.float32)
    bias = rng.standard_normal(6)
    want = conv2d_reference(x, weight, bias, **kwargs)
    for patch_bytes in (None, 1, 5000):
        with engine(name, patch_bytes=patch_bytes, threads=True):
            got = conv2d(x, weight, bias, **kwargs)
        np.testing.assert_allclose(got, want, rtol=0, atol=tolerance(x, weight, bias))


def test_one_filter_per_channel_is_convolve_with_a_depth_kernel():
    rng = np.random.default_rng(5)
    x = rng.random((20, 17, 3), dtype=np.float32)
    weight = rng.standard_normal((1, 3, 3, 3)).astype(np.float32)
    depth_kernel = np.moveaxis(weight[0], 0, 2)  # (kh, kw, C)
    for name in ENGINES:
        with engine(name):
            got = conv2d(x, weight, stride=2, padding="same", border="reflect")
        want = convolve(x, depth_kernel, stride=2, padding="same", border="reflect")
        np.testing.assert_allclose(got[:, :, 0], want, rtol=0, atol=1e-5)


def test_depthwise_groups_equal_convolve_per_channel():
    rng = np.random.default_rng(6)
    x = rng.random((15, 16, 3), dtype=np.float32)
    weight = rng.standard_normal((3, 1, 3, 3)).astype(np.float32)
    got = conv2d(x, weight, groups=3, padding=1)
    for c in range(3):
        want = convolve(x[:, :, c], weight[c, 0], padding=1)
        np.testing.assert_allclose(got[:, :, c], want, rtol=0, atol=1e-5)


def test_a_gray_picture_is_one_channel_and_the_result_keeps_its_channel_axis():
    x = np.zeros((6, 6), np.float32)
    x[:, 2:4] = 1.0
    weight = np.array([[[[0, 1, 0], [0, 1, 0], [0, 1, 0]]]], np.float32)
    out = conv2d(x, weight, [0.5])
    assert out.shape == (4, 4, 1)
    np.testing.assert_array_equal(out[:, :, 0], np.tile([0.5, 3.5, 3.5, 0.5], (4, 1)))


@pytest.mark.parametrize("name", ENGINES)
def test_more_channels_than_opencv_interleaves(name):
    rng = np.random.default_rng(10)
    x = rng.random((6, 5, 600), dtype=np.float32)
    weight = rng.standard_normal((2, 600, 3, 3))
    for kwargs in (dict(padding=1, border="reflect"), dict(padding=2, cval=0.5), dict(stride=2)):
        with engine(name):
            got = conv2d(x, weight, **kwargs)
        want = conv2d_reference(x, weight, **kwargs)
        np.testing.assert_allclose(got, want, rtol=0, atol=tolerance(x, weight))


def test_the_result_is_a_fresh_array_the_caller_owns():
    rng = np.random.default_rng(7)
    x = rng.random((30, 30, 5), dtype=np.float32)
    weight = rng.standard_normal((8, 5, 3, 3)).astype(np.float32)
    with engine("patches"):
        a = conv2d(x, weight)
        b = conv2d(x, weight)
    assert not np.shares_memory(a, b)
    np.testing.assert_array_equal(a, b)
    a[...] = -1.0  # writing to one result leaves the next untouched
    with engine("patches"):
        np.testing.assert_array_equal(conv2d(x, weight), b)


def test_blas_limit_is_restored_after_the_layer():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    rng = np.random.default_rng(8)
    x = rng.random((12, 12, 4), dtype=np.float32)
    weight = rng.standard_normal((4, 4, 3, 3)).astype(np.float32)
    before = [lib["num_threads"] for lib in threadpoolctl.threadpool_info()]
    with engine("patches"):
        conv2d(x, weight)
    assert [lib["num_threads"] for lib in threadpoolctl.threadpool_info()] == before


def test_engine_choice_follows_the_measured_rule():
    # One map in and out: filter2D beats copying windows. Many pairs: one matrix product.
    assert layer.prefers_planes(1, 1, (3, 3), (1000, 1000), (1000, 1000), (1, 1))
    assert layer.prefers_planes(3, 1, (7, 7), (1000, 1000), (1000, 1000), (1, 1))
    assert not layer.prefers_planes(3, 16, (3, 3), (1000, 1000), (1000, 1000), (1, 1))
    assert not layer.prefers_planes(16, 16, (3, 3), (1000, 1000), (500, 500), (2, 2))


GOOD = dict(x=np.ones((5, 5, 2)), weight=np.ones((3, 2, 3, 3)))


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (dict(weight=np.ones((2, 3, 3))), "4-D"),
        (dict(weight=np.ones((3, 3, 3, 2))), "input has 2"),
        (dict(weight=np.ones((0, 2, 3, 3))), "empty"),
        (dict(weight=np.full((3, 2, 3, 3), np.nan)), "finite"),
        (dict(weight=np.full((3, 2, 3, 3), np.inf)), "finite"),
        (dict(weight=np.ones((3, 2, 3, 3), complex)), "real numbers"),
        (dict(x=np.ones((5, 5, 2, 1))), "2-D"),
        (dict(x=np.ones((0, 5, 2))), "empty"),
        (dict(x=np.array([["a"]])), "real numbers"),
        (dict(bias=np.ones(2)), "one value per filter"),
        (dict(bias=[0, 0, np.nan]), "finite"),
        (dict(groups=0), "groups"),
        (dict(groups=1.5), "groups"),
        (dict(groups=True), "groups"),
        (dict(groups=2), "3 filters cannot be split"),
        (dict(weight=np.ones((4, 1, 3, 3)), groups=3), "2 input channels cannot"),
        (dict(stride=0), "at least 1"),
        (dict(stride=-2), "at least 1"),
        (dict(stride=(1, 2, 3)), "pair"),
        (dict(dilation=0), "at least 1"),
        (dict(padding=-1), "negative"),
        (dict(padding="wide"), "Unknown padding"),
        (dict(border="mirror"), "Unknown border"),
        (dict(cval=np.nan), "finite"),
        (dict(weight=np.ones((3, 2, 6, 3))), "larger than the padded input"),
        (dict(dilation=3), "larger than the padded input"),
    ],
)
def test_refuses_nonsense_with_one_sentence(change, words):
    args = dict(GOOD, bias=None)
    args.update(change)
    x, weight, bias = args.pop("x"), args.pop("weight"), args.pop("bias")
    with pytest.raises(ValueError) as info:
        conv2d(x, weight, bias, **args)
    message = str(info.value)
    assert words in message
    assert message.endswith(".") and "\n" not in message
    assert message[0].isupper()


def test_a_wrong_input_channel_count_names_both_counts():
    with pytest.raises(ValueError, match="reads 3 channels per group.*input has 2"):
        conv2d(np.ones((5, 5, 2)), np.ones((4, 3, 3, 3)))


@pytest.mark.parametrize("name", ["patches", "planes"])
def test_memory_stays_near_the_output_size(name):
    """The windows are never laid out for the whole picture at once (that would be 132 MB)."""
    rng = np.random.default_rng(9)
    x = rng.random((600, 800, 8), dtype=np.float32)
    weight = rng.standard_normal((16, 8, 3, 3)).astype(np.float32)
    tracemalloc.start()
    try:
        with engine(name):
            out = conv2d(x, weight, padding=1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # patches: the output and a few cache-sized buffers; planes: each map, then all interleaved.
    allowed = out.nbytes * (1 if name == "patches" else 2) + (24 << 20)
    assert peak <= allowed, f"peak {peak / 2**20:.0f} MB"
