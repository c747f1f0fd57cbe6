"""kernel_code(): every snippet, run for every installed library, gives convolve's map."""

from __future__ import annotations

import ast
import importlib.util
import itertools
import os
import sys
import types

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import filterstudio
from filterstudio.core.codegen import LIBRARIES, kernel_code
from filterstudio.core.convolution import BORDERS, convolve

PADDINGS = ("valid", "same", "full", "int", "pair", "zero")
CHANNELS = ("gray", "color", "depth")
MODULES = {
    "numpy": {"numpy"},
    "scipy": {"numpy", "scipy"},
    "opencv": {"numpy", "cv2"},
    "pytorch": {"numpy", "torch"},
    "keras": {"numpy", "keras"},
}
# Keras' torch backend converts tensors with np.array(x, copy=False), which numpy 2 warns
# about for torch tensors; not something the snippet does.
KERAS_WARNING = "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"


def tolerance(image, kernel) -> float:
    return 1e-4 * (1.0 + np.abs(kernel).sum() * np.abs(image).max())


def need(library: str) -> None:
    """Skip unless ``library`` can run here (numpy, scipy and OpenCV always can)."""
    if library == "pytorch":
        pytest.importorskip("torch")
    elif library == "keras":
        if importlib.util.find_spec("torch") is not None:
            os.environ.setdefault("KERAS_BACKEND", "torch")
        pytest.importorskip("keras")
    elif library == "scipy":
        import scipy.ndimage  # noqa: F401  (in the test extra: CI runs these snippets)


def run(code: str, image: np.ndarray) -> np.ndarray:
    namespace = {"image": image}
    exec(compile(code, "<snippet>", "exec"), namespace)
    return namespace["out"]


def check(library: str, image, kernel, **options) -> str:
    """Run the snippet and compare with convolve; returns the code."""
    want = convolve(image, kernel, **options)
    code = kernel_code(kernel, library, **options)
    got = run(code, image.copy())
    assert isinstance(got, np.ndarray), code
    assert got.dtype == np.float32, code
    assert got.shape == want.shape, code
    np.testing.assert_allclose(got, want, rtol=0, atol=tolerance(image, kernel), err_msg=code)
    return code


def grid_case(border: str, padding_kind: str, flip: bool, channels: str, seed: int):
    """A random problem with these options that convolve accepts."""
    rng = np.random.default_rng(seed)
    for _ in range(100):
        h, w = (int(v) for v in rng.integers(1, 10, 2))
        kh, kw = (int(v) for v in rng.integers(1, 5, 2))
        image = rng.random((h, w) if channels == "gray" else (h, w, 3)).astype(np.float32)
        kshape = (kh, kw, 3) if channels == "depth" else (kh, kw)
        kernel = rng.standard_normal(kshape).astype(np.float32)
        padding = {
            "valid": "valid",
            "same": "same",
            "full": "full",
            "int": int(rng.integers(1, 6)),
            "pair": tuple(int(v) for v in rng.integers(0, 6, 2)),
            "zero": 0,
        }[padding_kind]
        stride = int(rng.integers(1, 4)) if rng.random() < 0.5 else tuple(rng.integers(1, 4, 2))
        dilation = int(rng.integers(1, 3)) if rng.random() < 0.5 else tuple(rng.integers(1, 3, 2))
        options = dict(
            stride=stride,
            padding=padding,
            border=border,
            cval=float(rng.choice([0.0, 0.5, -1.25])),
            dilation=dilation,
            flip=flip,
        )
        try:
            convolve(image, kernel, **options)
        except ValueError:
            continue
        return image, kernel, options
    raise AssertionError("no problem found")  # pragma: no cover


# ----------------------------------------------------------------------------- every option


@pytest.mark.filterwarnings(KERAS_WARNING)
@pytest.mark.parametrize("border", BORDERS)
@pytest.mark.parametrize("library", LIBRARIES)
def test_snippets_match_convolve_over_every_option(library, border):
    need(library)
    cases = itertools.product(PADDINGS, (False, True), CHANNELS)
    for n, (padding, flip, channels) in enumerate(cases):
        seed = 100 * BORDERS.index(border) + n
        image, kernel, options = grid_case(border, padding, flip, channels, seed)
        check(library, image, kernel, **options)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(["numpy", "scipy", "opencv"]))
def test_snippets_match_convolve_on_random_problems(seed, library):
    rng = np.random.default_rng(seed)
    border = str(rng.choice(BORDERS))
    padding = str(rng.choice(PADDINGS))
    channels = str(rng.choice(CHANNELS))
    image, kernel, options = grid_case(border, padding, bool(rng.random() < 0.5), channels, seed)
    check(library, image, kernel, **options)


# ----------------------------------------------------------------------------- the traps


@pytest.mark.parametrize("mode", ["valid", "full", "same"])
def test_flip_matches_scipy_signal_convolve2d(mode):
    signal = pytest.importorskip("scipy.signal")
    rng = np.random.default_rng(1)
    image = rng.random((11, 9)).astype(np.float32)
    kernel = rng.standard_normal((3, 5)).astype(np.float32)
    code = check("scipy", image, kernel, padding=mode, flip=True)
    assert "ndimage.convolve(" in code
    want = signal.convolve2d(image, kernel, mode=mode)
    np.testing.assert_allclose(run(code, image), want, atol=tolerance(image, kernel))
    # Without flip the snippet correlates, and signal.convolve2d is the wrong tool.
    plain = kernel_code(kernel, "scipy", padding=mode)
    assert "ndimage.correlate(" in plain
    assert np.abs(run(plain, image) - want).max() > 0.1


def test_wrap_with_opencv_pads_first():
    rng = np.random.default_rng(2)
    image = rng.random((9, 8, 3)).astype(np.float32)
    code = check("opencv", image, rng.standard_normal((3, 3)), padding="same", border="wrap")
    assert "cv2.copyMakeBorder(image, 1, 1, 1, 1, cv2.BORDER_WRAP)" in code
    assert "borderType=cv2.BORDER_WRAP" not in code  # filter2D refuses it


def test_opencv_fills_every_channel_with_cval():
    rng = np.random.default_rng(3)
    image = rng.random((6, 7, 3)).astype(np.float32)
    code = check("opencv", image, np.ones((3, 3)), padding="same", cval=0.75)
    assert "value=(0.75, 0.75, 0.75, 0.75)" in code


def test_opencv_anchor_places_even_kernels():
    rng = np.random.default_rng(4)
    image = rng.random((8, 9)).astype(np.float32)
    code = check("opencv", image, rng.standard_normal((4, 2)), padding="same", border="reflect")
    assert "anchor=(0, 1)" in code  # 'same' puts the odd extra cell bottom/right


@pytest.mark.filterwarnings(KERAS_WARNING)
def test_keras_same_with_reflect_pads_first():
    need("keras")
    rng = np.random.default_rng(5)
    image = rng.random((9, 10, 3)).astype(np.float32)
    code = check("keras", image, rng.standard_normal((3, 3)), padding="same", border="reflect")
    assert 'mode="reflect"' in code and 'padding="valid"' in code
    zeros = check("keras", image, rng.standard_normal((4, 3)), stride=2, padding="same")
    assert 'padding="same"' in zeros and "np.pad" not in zeros


@pytest.mark.filterwarnings(KERAS_WARNING)
@pytest.mark.parametrize("library", LIBRARIES)
def test_stride_dilation_and_pair_padding_together(library):
    need(library)
    rng = np.random.default_rng(6)
    for channels in ("gray", "color", "depth"):
        image = rng.random((13, 11) if channels == "gray" else (13, 11, 3)).astype(np.float32)
        kernel = rng.standard_normal((3, 2, 3) if channels == "depth" else (3, 2))
        for border in BORDERS:
            check(library, image, kernel, stride=2, dilation=2, padding=(1, 3), border=border)


@pytest.mark.filterwarnings(KERAS_WARNING)
@pytest.mark.parametrize("library", LIBRARIES)
def test_the_presets_in_the_classroom_setting(library):
    need(library)
    rng = np.random.default_rng(7)
    image = rng.random((12, 14, 3)).astype(np.float32)
    for preset in filterstudio.PRESETS.values():
        check(library, image, preset.kernel, padding="same", border="reflect")
        check(library, image, preset.kernel, stride=2, padding="same")


# ----------------------------------------------------------------------------- Keras in CI


def _tf_conv(x, kernel, strides=1, padding="valid", dilation_rate=1, depthwise=False):
    """TensorFlow's convolution, channels last, written out in numpy (no Keras needed)."""
    sy, sx = (strides, strides) if np.ndim(strides) == 0 else strides
    dy, dx = (dilation_rate,) * 2 if np.ndim(dilation_rate) == 0 else dilation_rate
    if max(sy, sx) > 1 and max(dy, dx) > 1:
        raise ValueError("strides > 1 not supported in conjunction with dilation_rate > 1")
    x, kernel = np.asarray(x, np.float64), np.asarray(kernel, np.float64)
    kh, kw = kernel.shape[:2]
    keh, kew = dy * (kh - 1) + 1, dx * (kw - 1) + 1
    if padding == "same":
        pads = []
        for n, s, k in ((x.shape[1], sy, keh), (x.shape[2], sx, kew)):
            total = max((-(-n // s) - 1) * s + k - n, 0)
            pads.append((total // 2, total - total // 2))
        x = np.pad(x, [(0, 0), *pads, (0, 0)])
    oh, ow = (x.shape[1] - keh) // sy + 1, (x.shape[2] - kew) // sx + 1
    out = 0.0
    for a in range(kh):
        for b in range(kw):
            patch = x[
                :,
                a * dy : a * dy + (oh - 1) * sy + 1 : sy,
                b * dx : b * dx + (ow - 1) * sx + 1 : sx,
            ]
            if depthwise:  # kernel (kh, kw, C, M): output channel c * M + m
                part = patch[..., None] * kernel[a, b]
                out = out + part.reshape(part.shape[:3] + (-1,))
            else:
                out = out + np.einsum("nhwc,co->nhwo", patch, kernel[a, b])
    return out.astype(np.float32)


@pytest.fixture
def emulated_keras(monkeypatch):
    ops = types.SimpleNamespace(
        conv=lambda x, k, **kw: _tf_conv(x, k, **kw),
        depthwise_conv=lambda x, k, **kw: _tf_conv(x, k, depthwise=True, **kw),
        convert_to_numpy=np.asarray,
    )
    module = types.ModuleType("keras")
    module.ops = ops
    monkeypatch.setitem(sys.modules, "keras", module)


def test_the_emulated_keras_agrees_with_convolve():
    rng = np.random.default_rng(8)
    x = rng.random((1, 9, 8, 3))
    k = rng.standard_normal((3, 4, 3, 1))
    for stride, padding in ((1, "same"), (2, "same"), (3, "valid")):
        got = _tf_conv(x, k, strides=stride, padding=padding)[0, :, :, 0]
        want = convolve(x[0], k[:, :, :, 0], stride=stride, padding=padding)
        np.testing.assert_allclose(got, want, atol=1e-5)


@pytest.mark.parametrize("border", BORDERS)
def test_keras_snippets_on_emulated_keras(emulated_keras, border):
    cases = itertools.product(PADDINGS, (False, True), CHANNELS)
    for n, (padding, flip, channels) in enumerate(cases):
        image, kernel, options = grid_case(border, padding, flip, channels, 1000 + n)
        check("keras", image, kernel, **options)


# ----------------------------------------------------------------------------- the text


@pytest.mark.parametrize("library", LIBRARIES)
def test_snippets_import_only_their_library_and_numpy(library):
    rng = np.random.default_rng(9)
    for options in (
        dict(),
        dict(stride=2, padding="same", border="symmetric", flip=True, dilation=(1, 2)),
        dict(padding="full", border="wrap", cval=1.0),
    ):
        for kernel in (rng.standard_normal((3, 3)), rng.standard_normal((2, 3, 3))):
            code = kernel_code(kernel, library, name="my filter", **options)
            tree = ast.parse(code)
            imported = set()
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    imported |= {a.name.split(".")[0] for a in node.names}
                elif isinstance(node, ast.ImportFrom):
                    imported.add(node.module.split(".")[0])
                elif isinstance(node, (ast.FunctionDef, ast.Lambda, ast.ClassDef)):
                    pytest.fail(f"the snippet defines a helper:\n{code}")
            assert imported == MODULES[library], code
            lines = code.splitlines()
            assert lines[-1].startswith("out") and code.endswith("\n")
            comment = next(line for line in lines if line.startswith("# "))
            assert "filterstudio.convolve(" in comment and "my filter" in comment


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.floats(width=32, allow_nan=False, allow_infinity=False, allow_subnormal=True),
        min_size=1,
        max_size=12,
    )
)
def test_kernels_are_written_as_exact_float32(values):
    kernel = np.array(values, dtype=np.float32).reshape(1, -1)
    for library in LIBRARIES:
        code = kernel_code(kernel, library)
        # The literal may run over several lines: everything from "kernel = " to its dtype.
        start = code.index("kernel = ")
        end = code.index("dtype=np.float32)", start) + len("dtype=np.float32)")
        built = {}
        exec("import numpy as np\n" + code[start:end], built)
        # Every float32 value exactly (-0.0 is written 0: the same weight to every sum).
        np.testing.assert_array_equal(built["kernel"], kernel)
        assert built["kernel"].dtype == np.float32


def test_depth_kernels_are_written_channel_by_channel():
    kernel = np.arange(12, dtype=np.float32).reshape(2, 2, 3) / 8
    code = kernel_code(kernel, "numpy")
    assert "kernel = np.zeros((2, 2, 3), dtype=np.float32)" in code
    assert "kernel[:, :, 2] = [\n    [0.25, 0.625],\n    [   1, 1.375],\n]" in code
    built = {}
    exec(code.split("windows = ")[0], built)
    np.testing.assert_array_equal(built["kernel"], kernel)


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (dict(library="matlab"), "Unknown library"),
        (dict(library="numpy", stride=0), "at least 1"),
        (dict(library="numpy", dilation=1.5), "whole number"),
        (dict(library="numpy", padding="half"), "Unknown padding"),
        (dict(library="numpy", border="mirror"), "Unknown border"),
        (dict(library="numpy", cval=float("nan")), "finite"),
        (dict(library="numpy", flip="yes"), "True or False"),
        (dict(library="numpy", name=3), "text"),
        (dict(library="numpy", kernel=np.ones(3)), "1-D"),
        (dict(library="numpy", kernel=[[np.inf]]), "finite"),
        (dict(library="numpy", kernel=np.ones((0, 3))), "empty"),
    ],
)
def test_bad_options_get_one_sentence(options, words):
    kernel = options.pop("kernel", np.ones((3, 3)))
    library = options.pop("library")
    with pytest.raises(ValueError, match=words) as info:
        kernel_code(kernel, library, **options)
    assert str(info.value).endswith(".")


def test_library_names_are_forgiving():
    kernel = np.ones((3, 3))
    assert kernel_code(kernel, "cv2") == kernel_code(kernel, "OpenCV")
    assert kernel_code(kernel, "torch") == kernel_code(kernel, "pytorch")
    assert filterstudio.kernel_code is kernel_code
