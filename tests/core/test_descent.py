"""KernelDescent: its gradient, its default step size, convergence to the exact fit, refusals."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

from filterstudio.core import descent as descent_module
from filterstudio.core.convolution import convolve
from filterstudio.core.descent import KernelDescent
from filterstudio.core.fit import fit_kernel, unclipped
from filterstudio.core.kernels import GAUSSIAN_BLUR_5X5, SHARPEN, SOBEL_X
from filterstudio.core.samples import sample_photo


def numeric_gradient(image, target, kernel, bias, options, eps=1e-3):
    """Central differences of the mean squared residual, in float64."""

    def loss(k, b):
        out = convolve(image.astype(np.float64), k, **options) + b - target
        return np.mean(out.astype(np.float64) ** 2)

    g = np.zeros(kernel.size + 1)
    k = kernel.astype(np.float64)
    for i in range(kernel.size):
        d = np.zeros(kernel.size)
        d[i] = eps
        g[i] = (loss(k + d.reshape(k.shape), bias) - loss(k - d.reshape(k.shape), bias)) / (2 * eps)
    g[-1] = (loss(k, bias + eps) - loss(k, bias - eps)) / (2 * eps)
    return g


@pytest.mark.parametrize(
    "options",
    [{}, {"stride": 2, "padding": "same", "border": "reflect"}, {"dilation": (1, 2), "padding": 2}],
)
@pytest.mark.parametrize("channels", [None, 3])
def test_first_step_follows_the_gradient(options, channels):
    rng = np.random.default_rng(1)
    shape = (14, 17) if channels is None else (14, 17, channels)
    image = rng.random(shape).astype(np.float32)
    target = convolve(image, SOBEL_X, **options) + np.float32(0.3)
    start = rng.standard_normal((3, 3)).astype(np.float32)
    d = KernelDescent(
        image, target, 3, learning_rate=0.01, momentum=0.0, start=start, start_bias=0.1, **options
    )
    before = d.state
    after = d.step()
    moved = np.append(after.kernel.astype(np.float64) - start, after.bias - 0.1)
    want = -0.01 * numeric_gradient(image, target, start, 0.1, options)
    np.testing.assert_allclose(moved, want, atol=2e-6)
    assert after.step == 1 and before.step == 0
    assert after.loss < before.loss


def test_loss_reported_is_the_kernels_own():
    rng = np.random.default_rng(2)
    image = rng.random((20, 20)).astype(np.float32)
    target = convolve(image, SHARPEN)
    d = KernelDescent(image, target, 3)
    for s in d.steps(5):
        out = convolve(image, s.kernel) + np.float32(s.bias) - target
        assert s.loss == pytest.approx(np.mean(out.astype(np.float64) ** 2), rel=1e-5)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_descent_converges_to_the_exact_fit(momentum):
    rng = np.random.default_rng(3)
    image = rng.random((40, 40, 3)).astype(np.float32)
    target = convolve(image, SOBEL_X, stride=2, padding="same") + np.float32(0.2)
    d = KernelDescent(image, target, 3, stride=2, padding="same", momentum=momentum)
    exact = d.exact()
    np.testing.assert_allclose(exact.kernel, SOBEL_X, atol=1e-4)
    losses = [s.loss for s in d.steps(400)]
    if momentum == 0.0:  # plain descent at the default rate never goes uphill
        assert all(b <= a * (1 + 1e-9) + 1e-12 for a, b in zip(losses, losses[1:]))
    assert losses[-1] < (1e-6 if momentum else 1e-5) * losses[0]
    assert np.abs(d.state.kernel - SOBEL_X).max() < (1e-3 if momentum else 2e-2)


def test_default_rate_converges_on_a_photo_at_any_scale():
    """The step size comes from the data: a picture ten times brighter needs no new rate."""
    photo = sample_photo(60, 80)
    for scale in (1.0, 10.0):
        image = photo * np.float32(scale)
        target = convolve(image, GAUSSIAN_BLUR_5X5, padding="same", border="edge")
        d = KernelDescent(image, target, 5, padding="same", border="edge")
        first = d.state.loss
        last = list(d.steps(300))[-1]
        assert not last.diverged
        assert last.loss < 1e-3 * first
    assert d.suggested_learning_rate == d.learning_rate


def test_twice_the_largest_stable_rate_is_refused_without_harm():
    rng = np.random.default_rng(4)
    image = rng.random((20, 20)).astype(np.float32)
    target = convolve(image, SHARPEN)
    d = KernelDescent(image, target, 3, momentum=0.0)
    d.learning_rate = 50 * d.suggested_learning_rate
    steps = list(d.steps(30))
    assert steps[-1].diverged
    assert np.isfinite(steps[-1].kernel).all() and np.isfinite(steps[-1].loss)
    d.learning_rate = d.suggested_learning_rate
    d.reset()
    assert not any(s.diverged for s in d.steps(50))


def test_sub_sampled_working_rows_and_the_mask():
    rng = np.random.default_rng(5)
    image = rng.random((2000, 90)).astype(np.float32)
    target = np.clip(convolve(image, SHARPEN, padding="same"), 0, 1)  # clips four values in five
    mask = unclipped(target)
    d = KernelDescent(image, target, 3, padding="same", max_equations=5000, mask=mask)
    assert 5000 <= d.equations < mask.sum() / 3
    np.testing.assert_allclose(d.exact().kernel, SHARPEN, atol=1e-4)
    last = list(d.steps(800))[-1]
    assert np.abs(last.kernel - SHARPEN).max() < 1e-2


def test_ridge_is_weight_decay_toward_the_ridge_fit():
    rng = np.random.default_rng(6)
    image = rng.random((30, 30)).astype(np.float32)
    target = convolve(image, SHARPEN)
    d = KernelDescent(image, target, 3, ridge=0.05)
    want, b, _ = fit_kernel(image, target, 3, ridge=0.05)
    np.testing.assert_allclose(d.exact().kernel, want, atol=1e-5)
    last = list(d.steps(600))[-1]
    np.testing.assert_allclose(last.kernel, want, atol=1e-3)


def test_no_bias_stays_at_zero():
    rng = np.random.default_rng(7)
    image = rng.random((16, 16)).astype(np.float32)
    d = KernelDescent(image, convolve(image, SHARPEN) + 1, 3, bias=False, start_bias=5.0)
    assert all(s.bias == 0.0 for s in d.steps(5))


def test_steps_are_immutable():
    rng = np.random.default_rng(8)
    image = rng.random((16, 16)).astype(np.float32)
    d = KernelDescent(image, convolve(image, SHARPEN), 3)
    s = d.step()
    with pytest.raises(ValueError):
        s.kernel[0, 0] = 1.0
    with pytest.raises(AttributeError):
        s.loss = 0.0


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda d: setattr(d, "learning_rate", 0), "learning rate"),
        (lambda d: setattr(d, "learning_rate", float("inf")), "learning rate"),
        (lambda d: setattr(d, "momentum", 1.0), "momentum"),
        (lambda d: setattr(d, "momentum", -0.1), "momentum"),
        (lambda d: d.reset(np.ones((5, 5))), "5x5, not 3x3"),
        (lambda d: d.reset(np.full((3, 3), np.nan)), "not finite"),
    ],
)
def test_refusals(change, fragment):
    image = np.random.default_rng(0).random((10, 10))
    d = KernelDescent(image, convolve(image, SHARPEN), 3)
    with pytest.raises(ValueError, match=fragment) as err:
        change(d)
    assert str(err.value).endswith(".")


def test_construction_refusals_are_those_of_the_fit():
    with pytest.raises(ValueError, match="maps this 10x10 picture to 8x8"):
        KernelDescent(np.zeros((10, 10)), np.zeros((10, 10)), 3)
    with pytest.raises(ValueError, match="max_equations"):
        KernelDescent(np.zeros((10, 10)), np.zeros((8, 8)), 3, max_equations=0)


def test_examples_in_docstrings_hold():
    result = doctest.testmod(descent_module)
    assert result.failed == 0 and result.attempted > 0
