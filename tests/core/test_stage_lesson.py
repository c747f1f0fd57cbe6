"""A later stage's lesson: pooling and a sum over maps step by step, their equations, their
drawing, and their export as a GIF, against the engine's own maps."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from filterstudio.core.conv2d import conv2d
from filterstudio.core.lesson_export import export_gif, frame_count, render_frame
from filterstudio.core.pooling import pool2d
from filterstudio.core.stage_lesson import MapsLessonPlan, PoolLessonPlan
from filterstudio.core.stage_lesson_scene import stage_scene

rng = np.random.default_rng(3)


def pool_plan(mode="max", padding=(0, 0)) -> PoolLessonPlan:
    plane = np.round(rng.normal(size=(6, 7)), 2).astype(np.float32)
    return PoolLessonPlan(1, plane, "edges", mode=mode, size=(2, 2), stride=(2, 2),
                          padding=padding, title="Stage 2: max pooling")  # fmt: skip


def maps_plan(padding="valid") -> MapsLessonPlan:
    planes = [np.round(rng.normal(size=(5, 6)), 2).astype(np.float32) for _ in range(3)]
    kernel = np.round(rng.normal(size=(3, 3, 3)), 1).astype(np.float32)
    layer = dict(stride=(1, 1), padding=padding, border="constant", cval=0.0, dilation=(1, 1))
    return MapsLessonPlan(2, planes, ["a", "b", "c"], kernel, bias=0.5, activation="relu",
                          layer=layer, filter_name="corners", title="Stage 3")  # fmt: skip


@pytest.mark.parametrize("mode", ["max", "avg"])
def test_a_pooling_lesson_fills_in_the_pooled_map(mode):
    plan = pool_plan(mode, padding=(1, 1))
    ref = pool2d(plan.inputs[0], 2, stride=2, mode=mode, padding=1)
    np.testing.assert_array_equal(plan.result, ref)
    assert plan.step_count == ref.size and plan.step_of_cell(1, 2) == 1 * ref.shape[1] + 2
    k = plan.step_of_cell(1, 1)
    partial = plan.partial_map(k)
    assert np.isnan(partial.ravel()[k + 1 :]).all() and not np.isnan(partial.ravel()[: k + 1]).any()
    cell = plan.cell(k)
    assert cell.value == pytest.approx(float(ref[1, 1]))
    lines = plan.lines(k)
    if mode == "max":
        assert lines[0].startswith("max(") and f"row {cell.winner[0]}, column" in lines[1]
    else:
        assert lines[0].startswith("(") and "/ 4" in lines[0]
    corner = plan.lines(0)[0]
    assert ("padded cell" in corner) if mode == "max" else (corner.count(" 0") >= 3)


def test_a_conv_stage_lesson_sums_every_map():
    plan = maps_plan()
    x = np.stack(plan.inputs, axis=2)
    ref = np.maximum(conv2d(x, plan.kernel.transpose(2, 0, 1)[None], np.array([0.5], np.float32))[:, :, 0], 0)
    np.testing.assert_array_equal(plan.result, ref)
    for k in range(plan.step_count):
        assert plan.breakdown(k).outputs[0].value == pytest.approx(float(ref.ravel()[k]), abs=1e-5)
    lines = plan.lines(4)
    assert [line.split(":")[0] for line in lines[:3]] == ["a", "b", "c"]
    assert lines[3].startswith("Total:") and "bias" in lines[4] and "ReLU(" in lines[5]


def test_a_step_is_drawn_with_its_window_and_the_output_so_far():
    plan = maps_plan(padding="same")
    scene = stage_scene(plan, 7)
    ox, oy, rows, cols = scene.output
    assert (rows, cols) == plan.out_hw
    assert scene.output_cell(ox + 1.5, oy + 1.2) == (1, 1)
    # Three maps with padding, three kernel slices, the output grid.
    ph, pw = plan.padded[0].shape
    assert len(scene.cells) == 3 * ph * pw + 3 * 9 + rows * cols
    windows = [f for f in scene.frames if f.w == 3 and f.h == 3 and f.fill is not None]
    assert len(windows) == 3
    done = [c for c in scene.cells if c.x >= ox and c.text]
    assert len(done) == 8  # steps 0..7 filled in
    assert any("Σ" == t.text for t in scene.texts)
    pool = stage_scene(pool_plan(), 3)
    assert any(f.color == (0, 160, 60) for f in pool.frames)  # the winner


@pytest.mark.parametrize("make", [pool_plan, maps_plan])
def test_a_stage_lesson_exports_as_a_gif(tmp_path, make):
    plan = make()
    first = render_frame(plan, 0)
    assert first.size == render_frame(plan, None).size
    path = export_gif(plan, tmp_path / "lesson.gif", frame_ms=100)
    with Image.open(path) as gif:
        assert gif.n_frames == frame_count(plan) == plan.step_count + 1
        assert gif.size == first.size
