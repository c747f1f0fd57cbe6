"""conv2d and pool2d give PyTorch's numbers on random cases (skipped where torch is absent)."""

from __future__ import annotations

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from filterstudio.core.conv2d import conv2d
from filterstudio.core.pooling import pool2d, pool2d_argmax

torch = pytest.importorskip("torch")
F = torch.nn.functional
torch.set_num_threads(1)  # tiny tensors: threads would only wait for each other

# numpy.pad's name -> torch.nn.functional.pad's, for the borders both know.
TORCH_PAD = {"reflect": "reflect", "edge": "replicate", "wrap": "circular"}


def to_torch(x: np.ndarray):
    """``(H, W, C)`` -> ``(1, C, H, W)``."""
    return torch.from_numpy(np.ascontiguousarray(np.moveaxis(x, 2, 0)))[None]


def from_torch(t) -> np.ndarray:
    return np.moveaxis(t[0].numpy(), 0, 2)


def tolerance(x, weight, bias) -> float:
    per_filter = np.abs(weight).reshape(weight.shape[0], -1).sum(axis=1).max()
    return 1e-4 * (1.0 + per_filter * np.abs(x).max() + np.abs(bias).max())


@st.composite
def conv_cases(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    groups = draw(st.sampled_from([1, 1, 2, 4]))
    c_in = groups * draw(st.integers(1, 3))
    c_out = groups * draw(st.integers(1, 4))
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = (draw(st.integers(0, 3)), draw(st.integers(0, 3)))
    h = draw(st.integers(dilation[0] * (kh - 1) + 1, 24))
    w = draw(st.integers(dilation[1] * (kw - 1) + 1, 24))
    x = rng.standard_normal((h, w, c_in)).astype(np.float32)
    weight = rng.standard_normal((c_out, c_in // groups, kh, kw)).astype(np.float32)
    bias = rng.standard_normal(c_out).astype(np.float32)
    border = draw(st.sampled_from(["constant", "reflect", "edge", "wrap"]))
    if border == "reflect":  # torch reflects only pads smaller than the picture
        padding = (min(padding[0], h - 1), min(padding[1], w - 1))
    elif border == "wrap":  # and wraps around once at most
        padding = (min(padding[0], h), min(padding[1], w))
    return x, weight, bias, dict(stride=stride, dilation=dilation, padding=padding,
                                 groups=groups, border=border)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conv_cases())
def test_conv2d_equals_torch(case):
    x, weight, bias, kwargs = case
    py, px = kwargs["padding"]
    t = to_torch(x)
    if kwargs["border"] == "constant":
        pad = (py, px)
    else:
        t = F.pad(t, (px, px, py, py), mode=TORCH_PAD[kwargs["border"]])
        pad = 0
    want = F.conv2d(t, torch.from_numpy(weight), torch.from_numpy(bias), stride=kwargs["stride"],
                    padding=pad, dilation=kwargs["dilation"], groups=kwargs["groups"])
    got = conv2d(x, weight, bias, **kwargs)
    np.testing.assert_allclose(got, from_torch(want), rtol=0, atol=tolerance(x, weight, bias))


def test_conv2d_equals_torch_on_a_picture_with_many_channels():
    rng = np.random.default_rng(1)
    x = rng.random((150, 130, 16), dtype=np.float32)
    weight = rng.standard_normal((32, 16, 3, 3)).astype(np.float32)
    bias = rng.standard_normal(32).astype(np.float32)
    for stride, padding in ((1, 1), (2, 1), (2, 0)):
        want = F.conv2d(to_torch(x), torch.from_numpy(weight), torch.from_numpy(bias),
                        stride=stride, padding=padding)
        got = conv2d(x, weight, bias, stride=stride, padding=padding)
        np.testing.assert_allclose(got, from_torch(want), rtol=0, atol=tolerance(x, weight, bias))


@st.composite
def pool_cases(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    ph, pw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    padding = (draw(st.integers(0, ph // 2)), draw(st.integers(0, pw // 2)))
    stride = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    h = draw(st.integers(max(1, ph - 2 * padding[0]), 20))
    w = draw(st.integers(max(1, pw - 2 * padding[1]), 20))
    c = draw(st.integers(1, 5))
    if draw(st.booleans()):
        x = rng.integers(0, 3, size=(h, w, c)).astype(np.float32)  # ties
    else:
        x = rng.standard_normal((h, w, c)).astype(np.float32)
    return x, (ph, pw), dict(stride=stride, padding=padding)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pool_cases())
def test_pool2d_and_its_winners_equal_torch(case):
    x, size, kwargs = case
    t = to_torch(x)
    want_max, indices = F.max_pool2d(t, size, return_indices=True, **kwargs)
    want_avg = F.avg_pool2d(t, size, ceil_mode=False, count_include_pad=True, **kwargs)
    np.testing.assert_array_equal(pool2d(x, size, **kwargs), from_torch(want_max))
    np.testing.assert_allclose(pool2d(x, size, mode="avg", **kwargs), from_torch(want_avg),
                               rtol=0, atol=1e-6 * (1 + np.abs(x).max()))
    rows, cols = pool2d_argmax(x, size, **kwargs)
    np.testing.assert_array_equal(rows * x.shape[1] + cols, from_torch(indices))


def test_max_pool_keeps_nan_and_names_it_as_torch_does():
    x = np.arange(32, dtype=np.float32).reshape(4, 4, 2)
    x[0, 1, 0] = np.nan
    x[1, 0, 0] = np.nan
    want, indices = F.max_pool2d(to_torch(x), 2, return_indices=True)
    got = pool2d(x, 2)
    np.testing.assert_array_equal(got, from_torch(want))  # NaN where torch has NaN
    rows, cols = pool2d_argmax(x, 2)
    np.testing.assert_array_equal(rows * 4 + cols, from_torch(indices))
