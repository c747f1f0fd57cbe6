"""One filter of a bank: bias and activation after the convolution, in every layout."""

from __future__ import annotations

import numpy as np
import pytest

from filterstudio.core.convolution import convolve
from filterstudio.core.pipeline import activate, apply_filter, prepare_input


@pytest.mark.parametrize(
    "shape", [(6, 9), (6, 9, 1), (6, 9, 3), (6, 9, 4), (6, 9, 6), (1, 1), (1, 1, 3), (1, 2)]
)
@pytest.mark.parametrize("activation", ["none", "relu", "abs"])
def test_activation_is_applied_in_place_in_every_layout(shape, activation):
    values = np.random.default_rng(len(shape)).standard_normal(shape).astype(np.float32)
    expected = {"none": values, "relu": np.maximum(values, 0), "abs": np.abs(values)}[activation]
    expected = expected.copy()
    out = activate(values, activation)
    assert out is values
    np.testing.assert_array_equal(out, expected)


def test_relu_of_a_strided_view_writes_into_the_view():
    base = np.random.default_rng(1).standard_normal((8, 10, 3)).astype(np.float32)
    view = base[:, ::2]
    expected = np.maximum(view, 0)
    activate(view, "relu")
    np.testing.assert_array_equal(base[:, ::2], expected)


def test_unknown_activation_is_a_sentence():
    with pytest.raises(ValueError, match="Unknown activation"):
        activate(np.zeros((2, 2), np.float32), "tanh")


@pytest.mark.parametrize("mode", ["gray", "color", "depth"])
def test_apply_filter_is_activation_of_convolution_plus_bias(mode):
    rng = np.random.default_rng(2)
    image = rng.random((12, 15, 3), dtype=np.float32)
    kernel = rng.standard_normal((3, 3)).astype(np.float32)
    got = apply_filter(image, kernel, bias=-0.25, activation="relu", channel_mode=mode, stride=2)
    src = prepare_input(image, mode)
    k = np.repeat(kernel[:, :, None], 3, axis=2) if mode == "depth" else kernel
    want = np.maximum(convolve(src, k, stride=2) - np.float32(0.25), 0)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)
