"""compose_kernels(): two linear stages equal one, per channel, with depth, and as CNN layers."""

from __future__ import annotations

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from filterstudio.core.compose import compose_bias, compose_kernels
from filterstudio.core.conv2d import conv2d
from filterstudio.core.convolution import convolve
from filterstudio.core.reference import convolve_reference

small_pairs = st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3)))


def tolerance(x, *kernels) -> float:
    """SPEC's tolerance for a map made through every one of ``kernels`` in turn."""
    gain = np.prod([np.abs(np.asarray(k, np.float64)).sum() for k in kernels])
    return 1e-4 * (1.0 + gain * np.abs(np.asarray(x, np.float64)).max())


@st.composite
def two_stages(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    k1 = rng.standard_normal((draw(st.integers(1, 4)), draw(st.integers(1, 4))))
    k2 = rng.standard_normal((draw(st.integers(1, 3)), draw(st.integers(1, 3))))
    return k1, k2, draw(small_pairs), draw(small_pairs), draw(small_pairs), rng


def _pair(v):
    return (v, v) if isinstance(v, int) else v


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(two_stages(), st.sampled_from([None, 1, 3]))
def test_two_stages_equal_the_composed_kernel(stages, channels):
    k1, k2, s1, d1, d2, rng = stages
    # A picture large enough that both stages leave at least one cell.
    (sy, sx), (d1y, d1x), (d2y, d2x) = _pair(s1), _pair(d1), _pair(d2)
    need_h = d1y * (k1.shape[0] - 1) + 1 + sy * d2y * (k2.shape[0] - 1) + rng.integers(0, 6)
    need_w = d1x * (k1.shape[1] - 1) + 1 + sx * d2x * (k2.shape[1] - 1) + rng.integers(0, 6)
    shape = (need_h, need_w) if channels is None else (need_h, need_w, channels)
    x = rng.standard_normal(shape)
    composed = compose_kernels(k1, k2, stride1=s1, dilation1=d1, dilation2=d2)
    assert composed.dtype == np.float32
    assert composed.shape == (
        d1y * (k1.shape[0] - 1) + 1 + sy * d2y * (k2.shape[0] - 1),
        d1x * (k1.shape[1] - 1) + 1 + sx * d2x * (k2.shape[1] - 1),
    )
    two = convolve_reference(convolve_reference(x, k1, stride=s1, dilation=d1), k2, dilation=d2)
    one = convolve(x, composed, stride=s1)
    assert one.shape == two.shape
    np.testing.assert_allclose(one, two, rtol=0, atol=tolerance(x, k1, k2))


def test_a_depth_filter_then_a_kernel_is_one_depth_filter():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((23, 19, 3))
    k1 = rng.standard_normal((3, 3, 3))
    k2 = rng.standard_normal((2, 3))
    composed = compose_kernels(k1, k2, stride1=2)
    assert composed.shape == (5, 7, 3)
    two = convolve(convolve(x, k1, stride=2), k2)
    np.testing.assert_allclose(convolve(x, composed, stride=2), two, rtol=0, atol=1e-4)


@pytest.mark.parametrize("stride1", [1, 2, (1, 3)])
def test_two_cnn_layers_with_biases_equal_one(stride1):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((26, 29, 3))
    w1, b1 = rng.standard_normal((4, 3, 3, 2)), rng.standard_normal(4)
    w2, b2 = rng.standard_normal((5, 4, 2, 3)), rng.standard_normal(5)
    composed, bias = compose_kernels(w1, w2, stride1=stride1), compose_bias(b1, w2, b2)
    assert composed.shape[:2] == (5, 3)
    two = conv2d(conv2d(x, w1, b1, stride=stride1), w2, b2)
    one = conv2d(x, composed, bias, stride=stride1)
    assert one.shape == two.shape
    np.testing.assert_allclose(one, two, rtol=0, atol=1e-3)


def test_a_relu_between_the_stages_breaks_the_equality():
    """What the studio shows: with an activation between them no single kernel does it."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((20, 20))
    k1, k2 = rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    composed = compose_kernels(k1, k2)
    relu_between = convolve(np.maximum(convolve(x, k1), 0), k2)
    assert np.abs(convolve(x, composed) - relu_between).max() > 0.1


def test_worked_examples():
    np.testing.assert_array_equal(compose_kernels([[1, 1]], [[1, 1]]), [[1, 2, 1]])
    np.testing.assert_array_equal(compose_kernels([[1, 1]], [[1, 1]], stride1=2), [[1, 1, 1, 1]])
    # Two 3x3 box filters are one 5x5 with the counts of a tent.
    tent = compose_kernels(np.ones((3, 3)), np.ones((3, 3)))
    np.testing.assert_array_equal(tent[2], [3, 6, 9, 6, 3])
    assert compose_bias(0.5, [[1, 2], [3, 4]], 1.0) == pytest.approx(6.0)
    assert compose_bias(2.0, np.ones((3, 3))) == pytest.approx(18.0)


@pytest.mark.parametrize(
    ("args", "kwargs", "words"),
    [
        (([[1.0]], np.ones((1, 1, 1, 1))), {}, "not 2-D then 4-D"),
        ((np.ones((2, 3, 3, 3)), np.ones((4, 3, 3, 3))), {}, "reads 3 maps but the first makes 2"),
        (([[np.nan]], [[1.0]]), {}, "finite"),
        (([[1.0]], [[np.inf]]), {}, "finite"),
        ((np.ones((0, 2)), [[1.0]]), {}, "empty"),
        (([[1.0]], [[1.0]]), dict(stride1=0), "at least 1"),
        (([[1.0]], [[1.0]]), dict(dilation2=(1, 2, 3)), "pair"),
    ],
)
def test_refuses_nonsense_with_one_sentence(args, kwargs, words):
    with pytest.raises(ValueError) as info:
        compose_kernels(*args, **kwargs)
    message = str(info.value)
    assert words in message
    assert message.endswith(".") and "\n" not in message


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ((np.ones(2), [[1.0]]), "one number"),
        ((np.ones(3), np.ones((2, 2, 1, 1))), "shape (2,)"),
        ((np.ones(2), np.ones((2, 2, 1, 1)), np.ones(3)), "one value per filter"),
        ((1.0, np.ones((2, 2, 2))), "2-D or 4-D"),
    ],
)
def test_compose_bias_refuses_mismatched_shapes(args, words):
    with pytest.raises(ValueError) as info:
        compose_bias(*args)
    assert words in str(info.value)
