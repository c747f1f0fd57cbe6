"""pool2d() and pool2d_argmax() against their plain-numpy references, and their refusals."""

from __future__ import annotations

import contextlib

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from filterstudio.core import convolution, pooling
from filterstudio.core.pooling import pool2d, pool2d_argmax
from filterstudio.core.reference_layers import pool2d_argmax_reference, pool2d_reference


@contextlib.contextmanager
def banded(on: bool):
    """One-row bands on two threads, as a large picture runs, on tiny inputs."""
    saved = (pooling.BAND_VALUES, convolution.PARALLEL_MIN_VALUES, convolution.MAX_WORKERS)
    if on:
        pooling.BAND_VALUES, convolution.PARALLEL_MIN_VALUES, convolution.MAX_WORKERS = 1, 0, 2
    try:
        yield
    finally:
        pooling.BAND_VALUES, convolution.PARALLEL_MIN_VALUES, convolution.MAX_WORKERS = saved


@st.composite
def pools(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    ph, pw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    size = ph if ph == pw and draw(st.booleans()) else (ph, pw)
    py, px = draw(st.integers(0, ph // 2)), draw(st.integers(0, pw // 2))
    padding = py if py == px and draw(st.booleans()) else (py, px)
    stride = draw(st.one_of(st.none(), st.integers(1, 4), st.tuples(*[st.integers(1, 4)] * 2)))
    h = draw(st.integers(max(1, ph - 2 * py), 12))
    w = draw(st.integers(max(1, pw - 2 * px), 12))
    channels = draw(st.sampled_from([None, 1, 2, 3, 5]))
    shape = (h, w) if channels is None else (h, w, channels)
    kind = draw(st.sampled_from(["normal", "ties", "uint8", "special"]))
    if kind == "ties":  # few distinct values: the first maximum must win
        x = rng.integers(0, 3, size=shape).astype(np.float32)
    elif kind == "uint8":
        x = rng.integers(0, 256, size=shape).astype(np.uint8)
    else:
        x = rng.standard_normal(shape).astype(draw(st.sampled_from([np.float32, np.float64])))
        if kind == "special":
            x[rng.random(shape) < 0.15] = -np.inf
            x[rng.random(shape) < 0.05] = np.nan
            x[rng.random(shape) < 0.05] = np.inf
    return x, size, dict(stride=stride, padding=padding)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pools(), st.sampled_from(["max", "avg"]), st.booleans())
def test_pool2d_matches_reference(case, mode, bands):
    x, size, kwargs = case
    before = x.copy()
    want = pool2d_reference(x, size, mode=mode, **kwargs)
    with banded(bands):
        got = pool2d(x, size, mode=mode, **kwargs)
    assert got.dtype == np.float32
    assert got.shape == want.shape
    finite = float(np.abs(x[np.isfinite(x)].astype(np.float64)).max(initial=0.0))
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6 * (1 + finite))
    np.testing.assert_array_equal(x, before)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pools())
def test_argmax_names_the_winner_as_torch_scans(case):
    x, size, kwargs = case
    rows, cols = pool2d_argmax(x, size, **kwargs)
    want_rows, want_cols = pool2d_argmax_reference(x, size, **kwargs)
    np.testing.assert_array_equal(rows, want_rows)
    np.testing.assert_array_equal(cols, want_cols)
    # The winner holds the pooled value (NaN for a window holding one).
    pooled = pool2d(x, size, **kwargs)
    x3 = np.asarray(x, np.float32)
    if x3.ndim == 2:
        picked = x3[rows, cols]
    else:
        picked = x3[rows, cols, np.arange(x3.shape[2])[None, None, :]]
    np.testing.assert_array_equal(picked, pooled)


def test_spec_output_size_and_a_worked_example():
    x = np.arange(36, dtype=np.float32).reshape(6, 6)
    np.testing.assert_array_equal(pool2d(x, 2), [[7, 9, 11], [19, 21, 23], [31, 33, 35]])
    np.testing.assert_array_equal(pool2d(x, 3, stride=3, mode="avg"), [[7, 10], [25, 28]])
    # OH = floor((H + 2 py - ph) / sy) + 1: 7x7, size 3, stride 2, padding 1 -> 4x4
    assert pool2d(np.ones((7, 7)), 3, stride=2, padding=1).shape == (4, 4)
    # Average counts the padding (count_include_pad=True): a corner of ones is 4/9.
    avg = pool2d(np.ones((7, 7)), 3, stride=2, padding=1, mode="avg")
    assert avg[0, 0] == pytest.approx(4 / 9)
    # Max pads with -inf: a corner of negative values is not 0.
    assert pool2d(-np.ones((7, 7)), 3, stride=2, padding=1)[0, 0] == -1.0


def test_argmax_of_windows_of_minus_infinity_is_their_first_pixel():
    x = np.full((4, 4), -np.inf, np.float32)
    rows, cols = pool2d_argmax(x, 3, stride=2, padding=1)
    np.testing.assert_array_equal(rows, [[0, 0], [1, 1]])
    np.testing.assert_array_equal(cols, [[0, 1], [0, 1]])


def test_more_channels_than_opencv_interleaves():
    x = np.random.default_rng(4).random((9, 8, 600), dtype=np.float32)
    for mode in ("max", "avg"):
        got = pool2d(x, 3, stride=2, padding=1, mode=mode)
        want = pool2d_reference(x, 3, stride=2, padding=1, mode=mode)
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)


def test_a_large_picture_with_many_channels():
    rng = np.random.default_rng(3)
    x = rng.random((203, 157, 7), dtype=np.float32)
    for mode in ("max", "avg"):
        for kwargs in (dict(size=2), dict(size=3, stride=2, padding=1), dict(size=(2, 5), stride=1)):
            size = kwargs.pop("size")
            got = pool2d(x, size, mode=mode, **kwargs)
            want = pool2d_reference(x, size, mode=mode, **kwargs)
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)
            kwargs["size"] = size


@pytest.mark.parametrize(
    ("args", "kwargs", "words"),
    [
        ((np.ones((4, 4)), 0), {}, "at least 1"),
        ((np.ones((4, 4)), (2, 2, 2)), {}, "pair"),
        ((np.ones((4, 4)), 2), dict(stride=0), "at least 1"),
        ((np.ones((4, 4)), 2), dict(stride=1.5), "whole number"),
        ((np.ones((4, 4)), 2), dict(padding=2), "at most half"),
        ((np.ones((4, 4)), (3, 2)), dict(padding=(1, 2)), "at most half"),
        ((np.ones((4, 4)), 2), dict(padding=-1), "negative"),
        ((np.ones((4, 4)), 2), dict(mode="min"), "Unknown pooling mode"),
        ((np.ones((4, 4)), 5), {}, "larger than the padded input"),
        ((np.ones((4, 4, 2, 1)), 2), {}, "2-D"),
        ((np.ones((0, 4)), 2), {}, "empty"),
        ((np.array([["a", "b"]]), 1), {}, "real numbers"),
    ],
)
def test_refuses_nonsense_with_one_sentence(args, kwargs, words):
    for fn in (pool2d, pool2d_argmax):
        if fn is pool2d_argmax and "mode" in kwargs:
            continue
        with pytest.raises(ValueError) as info:
            fn(*args, **kwargs)
        message = str(info.value)
        assert words in message
        assert message.endswith(".") and "\n" not in message and message[0].isupper()
