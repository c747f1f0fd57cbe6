"""Lesson exports: one frame per step plus the finished map, written atomically."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image

from filterstudio.core import lesson_export
from filterstudio.core.lesson import build_lesson
from filterstudio.core.lesson_export import (
    ExportCancelled,
    export_gif,
    export_png_sequence,
    frame_count,
    frame_file_names,
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


def test_frames_are_the_same_whatever_was_drawn_before(plan):
    # What no step changes is drawn once and reused: frames must not depend on the order.
    fresh = [np.asarray(render_frame(plan, k)) for k in (4, 0, None)]
    frames = list(render_frames(plan))
    for got, k in zip(fresh, (4, 0, -1)):
        np.testing.assert_array_equal(got, np.asarray(frames[k]))


def test_a_computed_cell_looks_the_same_in_every_later_frame(plan):
    from filterstudio.core.lesson_export import FrameRenderer

    renderer = FrameRenderer(plan)
    c = renderer.cell
    i, j = plan.steps[0]
    x0 = renderer.map_xy[0] + j * c + 4  # inside the cell, clear of the step's outline
    y0 = renderer.map_xy[1] + i * c + 4
    first = np.asarray(renderer.render(1))[y0 : y0 + c - 8, x0 : x0 + c - 8]
    last = np.asarray(renderer.render(None))[y0 : y0 + c - 8, x0 : x0 + c - 8]
    empty = np.asarray(renderer.render(0))[
        renderer.map_xy[1] + plan.steps[1][0] * c + 4 : renderer.map_xy[1]
        + plan.steps[1][0] * c
        + c
        - 4,
        renderer.map_xy[0] + plan.steps[1][1] * c + 4 : renderer.map_xy[0]
        + plan.steps[1][1] * c
        + c
        - 4,
    ]
    np.testing.assert_array_equal(first, last)
    assert (empty == 245).all()  # the next cell is still empty at step 0


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
    renderer = lesson_export.FrameRenderer(plan)
    assert any(renderer.times in line for line in renderer.equations[0])


def test_frame_file_names_have_at_least_three_digits(plan):
    assert frame_file_names(plan) == [f"frame_{n:03d}.png" for n in range(1, 11)]


@pytest.mark.parametrize("kind", ["gif", "png"])
def test_progress_counts_every_frame(plan, tmp_path, kind):
    calls = []
    if kind == "gif":
        export_gif(plan, tmp_path / "a.gif", frame_ms=100, progress=lambda *a: calls.append(a))
    else:
        export_png_sequence(plan, tmp_path, progress=lambda *a: calls.append(a))
    assert calls == [(k, 10) for k in range(11)]


class CancelAfter:
    """A ``cancelled`` callable that answers True once ``frames`` frames were made."""

    def __init__(self, frames: int) -> None:
        self.frames = frames
        self.done = 0

    def progress(self, done: int, total: int) -> None:
        self.done = done

    def __call__(self) -> bool:
        return self.done >= self.frames


def test_cancelled_gif_leaves_the_old_file_and_no_temp(plan, tmp_path):
    path = tmp_path / "lesson.gif"
    path.write_bytes(b"old")
    stop = CancelAfter(4)
    with pytest.raises(ExportCancelled):
        export_gif(plan, path, progress=stop.progress, cancelled=stop)
    assert stop.done == 4
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["lesson.gif"]


def test_cancelled_png_sequence_writes_no_frame(plan, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    stop = CancelAfter(6)
    with pytest.raises(ExportCancelled):
        export_png_sequence(plan, tmp_path, progress=stop.progress, cancelled=stop)
    assert os.listdir(tmp_path) == ["notes.txt"]


def test_png_sequence_failing_midway_leaves_no_frame(plan, tmp_path, monkeypatch):
    save = Image.Image.save
    calls = []

    def fails_on_the_fourth(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 4:
            raise OSError(28, "No space left on device")
        return save(self, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "save", fails_on_the_fourth)
    with pytest.raises(ValueError) as info:
        export_png_sequence(plan, tmp_path)
    assert str(info.value) == (
        f"The frames could not be written to {str(tmp_path)!r}: No space left on device."
    )
    assert os.listdir(tmp_path) == []


def test_existing_files_are_kept_unless_overwrite(plan, tmp_path):
    gif = tmp_path / "lesson.gif"
    gif.write_bytes(b"old")
    with pytest.raises(ValueError, match=r"^The GIF was not saved: .* already exists\.$"):
        export_gif(plan, gif, overwrite=False)
    assert gif.read_bytes() == b"old"
    (tmp_path / "frame_003.png").write_bytes(b"mine")
    with pytest.raises(ValueError) as info:
        export_png_sequence(plan, tmp_path, overwrite=False)
    assert str(info.value) == (
        f"The pictures were not saved: frame_003.png already exists in {str(tmp_path)!r}."
    )
    assert sorted(os.listdir(tmp_path)) == ["frame_003.png", "lesson.gif"]
    assert (tmp_path / "frame_003.png").read_bytes() == b"mine"
    export_png_sequence(plan, tmp_path)
    assert len(list(tmp_path.glob("frame_*.png"))) == 10
    assert (tmp_path / "frame_003.png").read_bytes() != b"mine"
