"""kernel_code() for a bank filter: channel mode, bias and activation give apply_filter's map."""

from __future__ import annotations

import importlib.util
import itertools
import sys
import types

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from filterstudio.core.codegen import LIBRARIES, filter_code, kernel_code
from filterstudio.core.convolution import BORDERS
from filterstudio.core.kernels import PRESETS
from filterstudio.core.pipeline import apply_bank_filter, apply_filter
from filterstudio.model.bank import Filter, Layer

MODES = ("color", "gray", "depth")
# Keras is checked where it is installed (its conventions are covered in test_codegen).
RUNNABLE = tuple(
    lib
    for lib in LIBRARIES
    if lib in ("numpy", "scipy", "opencv")
    or importlib.util.find_spec({"pytorch": "torch", "keras": "keras"}[lib]) is not None
)


def run(code: str, image: np.ndarray) -> np.ndarray:
    namespace = {"image": image}
    exec(compile(code, "<snippet>", "exec"), namespace)
    return namespace["out"]


def check(library, image, kernel, **options) -> str:
    """The snippet's ``out`` against apply_filter's map; returns the code."""
    channels = 1 if image.ndim == 2 else image.shape[2]
    want = apply_filter(image, kernel, **options)
    tol = 1e-4 * (1.0 + np.abs(kernel).sum() * np.abs(image).max() + abs(options.get("bias", 0)))
    if options.get("channel_mode") is not None:
        options = dict(options, channels=channels)
    code = kernel_code(kernel, library, **options)
    got = run(code, image.copy())
    assert got.dtype == np.float32 and got.shape == want.shape, code
    np.testing.assert_allclose(got, want, rtol=0, atol=tol, err_msg=code)
    return code


def case(rng, mode: str, grey_picture: bool, depth_kernel: bool):
    h, w = (int(v) for v in rng.integers(4, 11, 2))
    image = rng.random((h, w) if grey_picture else (h, w, 3)).astype(np.float32)
    k = int(rng.choice([1, 3, 5]))
    kernel = rng.standard_normal((k, k, 3) if depth_kernel else (k, k)).astype(np.float32)
    options = dict(
        channel_mode=mode,
        bias=float(rng.choice([0.0, 0.5, -0.25])),
        activation=str(rng.choice(["none", "relu", "abs"])),
        stride=int(rng.integers(1, 3)),
        padding=str(rng.choice(["valid", "same", "full"])),
        border=str(rng.choice(BORDERS)),
        cval=float(rng.choice([0.0, 0.25])),
        dilation=int(rng.integers(1, 3)),
    )
    return image, kernel, options


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("library", RUNNABLE)
def test_every_mode_picture_and_kernel_gives_apply_filters_map(library):
    rng = np.random.default_rng(LIBRARIES.index(library))
    for mode, grey, deep in itertools.product(MODES, (False, True), (False, True)):
        for _ in range(2):
            image, kernel, options = case(rng, mode, grey, deep)
            try:
                apply_filter(image, kernel, **options)
            except ValueError:
                continue  # a kernel larger than the padded picture
            check(library, image, kernel, **options)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(["numpy", "scipy", "opencv"]))
def test_random_filters(seed, library):
    rng = np.random.default_rng(seed)
    image, kernel, options = case(
        rng, str(rng.choice(MODES)), bool(rng.random() < 0.3), bool(rng.random() < 0.5)
    )
    try:
        apply_filter(image, kernel, **options)
    except ValueError:
        return
    check(library, image, kernel, **options)


def test_grey_mode_takes_the_luma_and_says_so():
    rng = np.random.default_rng(1)
    image = rng.random((6, 7, 3)).astype(np.float32)
    code = check("numpy", image, PRESETS["sobel_x"].kernel, channel_mode="gray")
    assert "image = image[:, :, :3] @ np.array([0.299, 0.587, 0.114], dtype=np.float32)" in code
    assert "filterstudio.apply_filter(image, kernel, channel_mode='gray')" in code
    assert "`image`: (H, W, 3)" in code
    # A grey picture needs no luma.
    grey = check("numpy", image[:, :, 0].copy(), PRESETS["sobel_x"].kernel, channel_mode="gray")
    assert "luma" not in grey and "`image`: (H, W)" in grey


def test_bias_and_activation_lines():
    rng = np.random.default_rng(2)
    image = rng.random((6, 7)).astype(np.float32)
    k = PRESETS["laplacian"].kernel
    code = check("opencv", image, k, bias=0.125, activation="relu")
    lines = code.splitlines()
    assert lines[-2].startswith("out = out + np.float32(0.125)")
    assert lines[-1].startswith("out = np.maximum(out, 0)")
    assert "filterstudio.apply_filter(image, kernel, bias=0.125, activation='relu')" in code
    assert check("scipy", image, k, activation="abs").splitlines()[-1].startswith("out = np.abs")
    # Without any of them the program is the plain convolve one, as before.
    assert kernel_code(k, "numpy", bias=0.0, activation="none") == kernel_code(k, "numpy")


def test_depth_mode_writes_a_repeated_kernel_once_and_sums_on_a_grey_picture():
    rng = np.random.default_rng(3)
    image = rng.random((7, 8, 3)).astype(np.float32)
    code = check("numpy", image, PRESETS["sobel_x"].kernel, channel_mode="depth")
    assert "the same 3x3 weights on each of the 3 channels" in code
    assert "kernel = np.repeat(kernel[:, :, None], 3, axis=2)" in code
    deep = rng.standard_normal((3, 3, 3)).astype(np.float32)
    summed = check("opencv", image[:, :, 1].copy(), deep, channel_mode="depth")
    assert "the depth kernel's 3 channels added up: the picture has one channel" in summed
    assert "added up" not in kernel_code(deep, "scipy")  # no mode: convolve's rules
    colour = check("scipy", image, deep, channel_mode="color")
    assert "channels added up: colour mode filters each channel" in colour


def test_filter_code_redoes_a_bank_filter():
    rng = np.random.default_rng(4)
    image = rng.random((9, 10, 3)).astype(np.float32)
    flt = Filter("edges x", PRESETS["sobel_x"].kernel, bias=-0.5, activation="relu")
    layer = Layer(stride=(2, 1), padding="same", border="symmetric", channel_mode="gray")
    code = filter_code(flt, layer, "scipy", channels=3)
    assert "The 'edges x' map" in code
    np.testing.assert_allclose(
        run(code, image.copy()), apply_bank_filter(image, flt, layer), atol=1e-5
    )


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (dict(bias=float("inf")), "finite"),
        (dict(bias="1"), "number"),
        (dict(bias=1e39), "32-bit"),
        (dict(activation="tanh"), "Unknown activation"),
        (dict(channel_mode="rgb"), "Unknown channel mode"),
        (dict(channel_mode="gray", channels=2), "red, green and blue"),
        (dict(channel_mode="color", channels=0), "at least 1"),
        (dict(channel_mode="color", channels=1.5), "whole number"),
        (dict(channels=3), "only with a channel mode"),
        (dict(kernel=np.ones((3, 3, 4)), channel_mode="depth", channels=3), "4 channels"),
    ],
)
def test_bad_filter_options_get_one_sentence(options, words):
    kernel = options.pop("kernel", np.ones((3, 3)))
    with pytest.raises(ValueError, match=words) as info:
        kernel_code(kernel, "numpy", **options)
    assert str(info.value).endswith(".")


def test_keras_programs_of_filters_on_emulated_keras(monkeypatch):
    """Keras' program for every mode, run on the numpy emulation of keras.ops (test_codegen)."""
    from test_codegen import _tf_conv  # the same emulation test_codegen checks against convolve

    ops = types.SimpleNamespace(
        conv=lambda x, k, **kw: _tf_conv(x, k, **kw),
        depthwise_conv=lambda x, k, **kw: _tf_conv(x, k, depthwise=True, **kw),
        convert_to_numpy=np.asarray,
    )
    module = types.ModuleType("keras")
    module.ops = ops
    monkeypatch.setitem(sys.modules, "keras", module)
    rng = np.random.default_rng(7)
    ran = 0
    for mode, grey, deep in itertools.product(MODES, (False, True), (False, True)):
        for _ in range(2):
            image, kernel, options = case(rng, mode, grey, deep)
            try:
                apply_filter(image, kernel, **options)
            except ValueError:
                continue
            check("keras", image, kernel, **options)
            ran += 1
    assert ran >= 12
