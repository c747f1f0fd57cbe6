"""Lesson exports: one frame per step plus the finished map, written atomically."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image

from filterstudio.core import lesson_export
from filterstudio.core.lesson import build_lesson
from filterstudio.core.lesson_export import (
    export_gif,
    export_png_sequence,
    frame_count,
    render_frame,
    render_frames,
)
from filterstudio.model.bank import Filter, Layer


@pytest.fixture
def plan():
    img = np.zeros((6, 6), np.float32)
    img[:, 2:4] = 1
    return build_lesson(img, Filter("line", [[0, 1, 0]] * 3), Layer(stride=(2, 2), padding=1))


def test_frame_count_is_steps_plus_one(plan):
    assert plan.step_count == 9
    assert frame_count(plan) == 10
    frames = list(render_frames(plan))
    assert len(frames) == 10
    assert len({f.size for f in frames}) == 1


def test_frames_differ_step_to_step(plan):
    a = np.asarray(render_frame(plan, 0))
    b = np.asarray(render_frame(plan, 1))
    done = np.asarray(render_frame(plan, None))
    assert not np.array_equal(a, b)
    assert not np.array_equal(b, done)


def test_colour_and_depth_frames_render():
    rng = np.random.default_rng(0)
    img = rng.random((5, 5, 3)).astype(np.float32)
    for mode, kernel in (("color", rng.random((3, 3))), ("depth", rng.random((3, 3, 3)))):
        p = build_lesson(
            img, Filter("k", kernel), Layer(channel_mode=mode, dilation=(2, 2), padding=2)
        )
        assert render_frame(p, 3).mode == "RGB"


def test_gif_has_one_frame_per_step_plus_final(plan, tmp_path):
    path = tmp_path / "lesson.gif"
    assert export_gif(plan, path, frame_ms=100) == path
    with Image.open(path) as gif:
        assert gif.n_frames == plan.step_count + 1
        assert gif.info.get("loop") == 0
    assert [p.name for p in tmp_path.iterdir()] == ["lesson.gif"]


def test_png_sequence_numbers_frames(plan, tmp_path):
    files = export_png_sequence(plan, tmp_path)
    assert [f.name for f in files] == [f"frame_{n:03d}.png" for n in range(1, 11)]
    assert sorted(p.name for p in tmp_path.iterdir()) == [f.name for f in files]
    with Image.open(files[0]) as first:
        assert first.format == "PNG"


def test_gif_failure_leaves_old_file_and_no_temp(plan, tmp_path, monkeypatch):
    path = tmp_path / "lesson.gif"
    path.write_bytes(b"old")

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", broken)
    with pytest.raises(ValueError, match="could not be written"):
        export_gif(plan, path)
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["lesson.gif"]


def test_missing_folder_is_a_sentence(plan, tmp_path):
    with pytest.raises(ValueError, match=r"does not exist\.$"):
        export_png_sequence(plan, tmp_path / "nope")
    with pytest.raises(ValueError, match=r"does not exist\.$"):
        export_gif(plan, tmp_path / "nope" / "a.gif")


def test_frames_use_the_multiplication_sign_when_the_font_has_it(plan):
    renderer = lesson_export._FrameRenderer(plan)
    assert any(renderer.times in line for line in renderer.equations[0])
