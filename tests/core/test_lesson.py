"""The lesson's steps and hover arithmetic agree with the engine at every window position."""

from __future__ import annotations

import math

import numpy as np
import pytest

from filterstudio.core.lesson import (
    build_lesson,
    cell_breakdown,
    format_number,
    reduce_to_lesson,
)
from filterstudio.core.lesson_text import equation_lines
from filterstudio.core.pipeline import apply_filter
from filterstudio.model.bank import Filter, Layer

VERTICAL_LINE = [[0, 1, 0], [0, 1, 0], [0, 1, 0]]


def vertical_line_image() -> np.ndarray:
    img = np.zeros((8, 8), np.float32)
    img[:, 3:5] = 1
    return img


def x_image() -> np.ndarray:
    img = np.zeros((7, 7), np.float32)
    for n in range(1, 6):
        img[n, n] = img[n, 6 - n] = 1
    return img


def rng_image(shape, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).random(shape).astype(np.float32)


def engine_map(image, flt, layer, flip=False) -> np.ndarray:
    return apply_filter(
        image,
        flt.kernel,
        bias=flt.bias,
        activation=flt.activation,
        channel_mode=layer.channel_mode,
        flip=flip,
        **layer.conv_kwargs(),
    )


def tolerance(kernel, image) -> float:
    return 1e-4 * (1 + float(np.abs(kernel).sum()) * float(np.abs(image).max()))


CONFIGS = [
    pytest.param(Layer(), id="valid"),
    pytest.param(Layer(stride=(2, 2)), id="stride2"),
    pytest.param(Layer(padding="same", stride=(2, 2)), id="same-stride2"),
    pytest.param(Layer(padding="full"), id="full"),
    pytest.param(Layer(padding=(2, 1), border="reflect"), id="pad-reflect"),
    pytest.param(Layer(padding=2, border="edge", dilation=(2, 2)), id="edge-dilated"),
    pytest.param(Layer(padding=(1, 3), border="symmetric", stride=(1, 2)), id="symmetric"),
    pytest.param(Layer(padding=3, border="wrap"), id="wrap"),
    pytest.param(Layer(padding=1, border="constant", cval=0.5), id="cval"),
]


@pytest.mark.parametrize("layer", CONFIGS)
@pytest.mark.parametrize("flip", [False, True])
def test_every_step_equals_engine_gray(layer, flip):
    image = rng_image((7, 6))
    flt = Filter(
        "k", np.arange(9, dtype=np.float32).reshape(3, 3) - 4, bias=0.25, activation="relu"
    )
    plan = build_lesson(image, flt, layer, flip=flip)
    expected = engine_map(image, flt, layer, flip=flip)
    assert plan.result.shape == expected.shape
    np.testing.assert_allclose(plan.result, expected, atol=1e-6)
    tol = tolerance(flt.kernel, image)
    for k, (i, j) in enumerate(plan.steps):
        bd = plan.breakdown(k)
        assert (bd.i, bd.j, bd.mode) == (i, j, "gray")
        (out,) = bd.outputs
        assert len(out.parts) == 1
        assert math.isclose(out.value, float(expected[i, j]), abs_tol=tol)
        assert math.isclose(out.pre_activation, out.total + 0.25, abs_tol=1e-12)


@pytest.mark.parametrize("layer", CONFIGS[:5])
def test_every_step_equals_engine_color(layer):
    image = rng_image((6, 7, 3), seed=1)
    flt = Filter("k", rng_image((3, 3), seed=2) - 0.5, bias=-0.1, activation="abs")
    plan = build_lesson(image, flt, layer)
    expected = engine_map(image, flt, layer)
    assert expected.ndim == 3
    tol = tolerance(flt.kernel, image)
    for k, (i, j) in enumerate(plan.steps):
        bd = plan.breakdown(k)
        assert bd.mode == "color"
        assert [o.channel for o in bd.outputs] == [0, 1, 2]
        for out in bd.outputs:
            assert len(out.parts) == 1 and out.parts[0].channel == out.channel
            assert math.isclose(out.value, float(expected[i, j, out.channel]), abs_tol=tol)


@pytest.mark.parametrize("layer", CONFIGS[:6])
def test_every_step_equals_engine_depth(layer):
    image = rng_image((6, 7, 3), seed=3)
    flt = Filter("k", rng_image((3, 3, 3), seed=4) - 0.5, bias=0.2, activation="none")
    layer = Layer(**{**layer.__dict__, "channel_mode": "depth"})
    plan = build_lesson(image, flt, layer)
    expected = engine_map(image, flt, layer)
    assert expected.ndim == 2
    tol = tolerance(flt.kernel, image)
    for k, (i, j) in enumerate(plan.steps):
        bd = plan.breakdown(k)
        assert bd.mode == "depth"
        (out,) = bd.outputs
        assert [p.channel for p in out.parts] == [0, 1, 2]
        assert math.isclose(out.total, math.fsum(p.total for p in out.parts))
        assert math.isclose(out.value, float(expected[i, j]), abs_tol=tol)


def test_gray_mode_on_colour_image_uses_luma():
    image = rng_image((5, 5, 3), seed=5)
    layer = Layer(channel_mode="gray")
    flt = Filter("k", np.ones((3, 3), np.float32))
    plan = build_lesson(image, flt, layer)
    expected = engine_map(image, flt, layer)
    for k, (i, j) in enumerate(plan.steps):
        assert math.isclose(plan.breakdown(k).outputs[0].value, float(expected[i, j]), abs_tol=1e-4)


def test_cell_breakdown_matches_plan_and_engine():
    image = vertical_line_image()
    flt = Filter("line", VERTICAL_LINE)
    bd = cell_breakdown(image, flt, Layer(), 0, 2)
    assert bd.outputs[0].value == 3.0
    assert bd == build_lesson(image, flt, Layer()).breakdown(2)


def test_cell_breakdown_rejects_cell_outside_map():
    with pytest.raises(ValueError, match="no cell"):
        cell_breakdown(vertical_line_image(), Filter("line", VERTICAL_LINE), Layer(), 6, 0)


@pytest.mark.parametrize(
    "layer",
    [Layer(), Layer(stride=(2, 3)), Layer(padding="same"), Layer(padding=2, dilation=(2, 1))],
)
def test_steps_are_window_origins_in_raster_order(layer):
    image = rng_image((7, 9))
    flt = Filter("k", np.ones((3, 3), np.float32))
    plan = build_lesson(image, flt, layer)
    g = plan.geometry
    sy, sx = layer.stride
    dy, dx = layer.dilation
    assert plan.steps == tuple((i, j) for i in range(g.out_hw[0]) for j in range(g.out_hw[1]))
    for k, (i, j) in enumerate(plan.steps):
        assert plan.step_of_cell(i, j) == k
        assert plan.window_origin(k) == (i * sy - g.pad_top, j * sx - g.pad_left)
        terms = plan.breakdown(k).outputs[0].parts[0].terms
        origin = plan.window_origin(k)
        for t in terms:
            assert (t.y, t.x) == (origin[0] + t.a * dy, origin[1] + t.b * dx)
            assert t.inside == (0 <= t.y < 7 and 0 <= t.x < 9)


def test_padded_edge_taps_carry_border_fill_values():
    image = np.arange(12, dtype=np.float32).reshape(3, 4)
    flt = Filter("k", np.ones((3, 3), np.float32))
    for border in ("constant", "edge", "reflect", "symmetric", "wrap"):
        layer = Layer(padding=2, border=border, cval=-1.0)
        plan = build_lesson(image, flt, layer)
        kw = {"constant_values": -1.0} if border == "constant" else {}
        padded = np.pad(image, 2, mode=border, **kw)
        np.testing.assert_array_equal(plan.padded_image, padded)
        assert plan.pad_offset == (2, 2)
        terms = plan.breakdown(0).outputs[0].parts[0].terms
        assert plan.window_origin(0) == (-2, -2)
        assert not terms[0].inside
        for t in terms:
            assert t.value == padded[t.y + 2, t.x + 2]
            if t.inside:
                assert t.value == image[t.y, t.x]


def test_partial_map_fills_in_reading_order():
    plan = build_lesson(vertical_line_image(), Filter("line", VERTICAL_LINE), Layer())
    assert np.isnan(plan.partial_map(-1)).all()
    m = plan.partial_map(7)
    assert np.isfinite(m.reshape(-1)[:8]).all()
    assert np.isnan(m.reshape(-1)[8:]).all()
    np.testing.assert_array_equal(plan.partial_map(plan.step_count - 1), plan.result)
    with pytest.raises(IndexError):
        plan.partial_map(plan.step_count)


def test_partial_map_colour_keeps_channels():
    plan = build_lesson(rng_image((5, 5, 3)), Filter("k", np.ones((3, 3))), Layer())
    m = plan.partial_map(3)
    assert m.shape == (3, 3, 3)
    assert np.isfinite(m[1, 0]).all() and np.isnan(m[1, 1]).all()


def test_spec_example_vertical_line_matches():
    plan = build_lesson(vertical_line_image(), Filter("line", VERTICAL_LINE), Layer())
    assert plan.geometry.out_hw == (6, 6)
    for k, (i, j) in enumerate(plan.steps):
        m = plan.matches(k)
        assert m is not None
        assert m.count == [0, 0, 3, 3, 0, 0][j] == plan.result[i, j]
        assert all(t.weight == 1 and t.value == 1 for t in m.taps)
        if j == 2:
            assert sorted((t.y, t.x) for t in m.taps) == [(i, 3), (i + 1, 3), (i + 2, 3)]


def test_spec_example_bump_1d():
    image = np.array([[0, 0, 0, 1, 1, 0, 0, 0]], np.float32)
    plan = build_lesson(image, Filter("k", [[0, 1, 0]]), Layer())
    np.testing.assert_array_equal(plan.result, [[0, 0, 1, 1, 0, 0]])
    assert [plan.matches(k).count for k in range(plan.step_count)] == [0, 0, 1, 1, 0, 0]


@pytest.mark.parametrize(
    ("layer", "shape"),
    [
        (Layer(), (5, 5)),
        (Layer(stride=(2, 2)), (3, 3)),
        (Layer(stride=(2, 2), padding="same"), (4, 4)),
    ],
)
def test_spec_example_x_image_counts_matching_ones(layer, shape):
    image = x_image()
    flt = Filter("diag", np.eye(3, dtype=np.float32))
    plan = build_lesson(image, flt, layer)
    assert plan.geometry.out_hw == shape
    assert plan.step_count == shape[0] * shape[1]
    for k, (i, j) in enumerate(plan.steps):
        assert plan.matches(k).count == plan.result[i, j]


def test_matches_none_for_non_binary():
    assert build_lesson(rng_image((5, 5)), Filter("k", np.ones((3, 3))), Layer()).matches(0) is None
    plan = build_lesson(x_image(), Filter("k", [[0, 2, 0]] * 3), Layer())
    assert plan.matches(0) is None
    # A border value of 0.5 makes the padded image non-binary.
    plan = build_lesson(x_image(), Filter("k", np.eye(3)), Layer(padding=1, cval=0.5))
    assert plan.matches(0) is None


def test_reduce_to_lesson_keeps_small_images():
    img = rng_image((16, 10))
    small, note = reduce_to_lesson(img)
    assert note is None
    np.testing.assert_array_equal(small, img)
    assert small is not img


def test_reduce_to_lesson_area_averages_large_images():
    img = np.zeros((64, 32), np.float32)
    img[:, :16] = 1
    small, note = reduce_to_lesson(img, max_side=16)
    assert small.shape == (16, 8)
    np.testing.assert_allclose(small[:, :4], 1)
    np.testing.assert_allclose(small[:, 4:], 0)
    assert "32 × 64 pixels, w × h" in note and "to 8 × 16 by" in note and note.endswith(".")
    colour, note = reduce_to_lesson(rng_image((40, 40, 3)), max_side=10)
    assert colour.shape == (10, 10, 3) and colour.dtype == np.float32 and note


def test_build_lesson_reduces_and_notes():
    plan = build_lesson(rng_image((100, 50)), Filter("k", np.ones((3, 3))), Layer())
    assert plan.image.shape == (16, 8)
    assert plan.note
    assert plan.result.shape == (14, 6)


def test_build_lesson_kernel_too_big_is_a_sentence():
    with pytest.raises(ValueError, match=r"does not fit.*\.$"):
        build_lesson(np.zeros((3, 3), np.float32), Filter("k", np.ones((5, 5))), Layer())


def test_flip_rotates_the_kernel():
    kernel = np.arange(9, dtype=np.float32).reshape(3, 3)
    plan = build_lesson(rng_image((5, 5)), Filter("k", kernel), Layer(), flip=True)
    np.testing.assert_array_equal(plan.kernel, kernel[::-1, ::-1])


def test_equation_lines_read_as_arithmetic():
    plan = build_lesson(
        vertical_line_image(), Filter("line", VERTICAL_LINE, bias=-1, activation="relu"), Layer()
    )
    lines = equation_lines(plan.breakdown(2).outputs[0])
    assert lines == [
        "0×0 + 1×1 + 1×0 +",
        "0×0 + 1×1 + 1×0 +",
        "0×0 + 1×1 + 1×0 = 3",
        "3 + bias -1 = 2",
        "ReLU(2) = 2",
    ]


def test_equation_lines_depth_names_channels():
    image = np.ones((3, 3, 3), np.float32)
    flt = Filter("k", np.ones((3, 3, 3)))
    plan = build_lesson(image, flt, Layer(channel_mode="depth"))
    lines = equation_lines(plan.breakdown(0).outputs[0])
    assert lines[0].startswith("Red: ")
    assert lines[-1] == "Total: 9 + 9 + 9 = 27"


def test_format_number():
    assert format_number(1.0) == "1"
    assert format_number(0.5) == "0.5"
    assert format_number(-0.0001) == "0"
    assert format_number(2 / 3, 2) == "0.67"
