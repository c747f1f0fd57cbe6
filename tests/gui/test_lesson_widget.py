"""The classroom lesson widget: keys, clicks, playing, presentation and exports."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from filterstudio.gui.widgets.lesson_view import (
    LessonWidget,
    explanations_html,
    relevant_concepts,
    step_interval_ms,
)
from filterstudio.model.bank import Filter, Layer


def line_image() -> np.ndarray:
    img = np.zeros((8, 8), np.float32)
    img[:, 3:5] = 1
    return img


@pytest.fixture
def lesson(qtbot):
    w = LessonWidget()
    qtbot.addWidget(w)
    w.resize(1200, 700)
    assert w.set_lesson(line_image(), Filter("line", [[0, 1, 0]] * 3), Layer())
    w.show()
    qtbot.waitExposed(w)
    w.setFocus()
    return w


def test_starts_at_first_step_with_label(lesson):
    assert lesson.step_count() == 36
    assert lesson.current_step() == 0
    assert lesson.step_text() == "Step 1 of 36: output cell (0, 0)"
    assert lesson.note_text() == ""


def test_keys_move_the_step(lesson, qtbot):
    with qtbot.waitSignal(lesson.stepChanged) as blocker:
        qtbot.keyClick(lesson, Qt.Key.Key_Right)
    assert blocker.args == [1]
    qtbot.keyClick(lesson, Qt.Key.Key_Right)
    assert lesson.current_step() == 2
    qtbot.keyClick(lesson, Qt.Key.Key_Left)
    assert lesson.current_step() == 1
    qtbot.keyClick(lesson, Qt.Key.Key_End)
    assert lesson.current_step() == 35
    assert lesson.step_text() == "Step 36 of 36: output cell (5, 5)"
    qtbot.keyClick(lesson, Qt.Key.Key_Right)
    assert lesson.current_step() == 35
    qtbot.keyClick(lesson, Qt.Key.Key_Home)
    assert lesson.current_step() == 0
    qtbot.keyClick(lesson, Qt.Key.Key_Left)
    assert lesson.current_step() == 0


def test_space_plays_to_the_end_and_pauses(lesson, qtbot):
    lesson.set_speed(10)
    lesson.set_step(33)
    qtbot.keyClick(lesson, Qt.Key.Key_Space)
    assert lesson.is_playing()
    qtbot.waitUntil(lambda: lesson.current_step() == 35, timeout=5000)
    qtbot.waitUntil(lambda: not lesson.is_playing(), timeout=5000)


def test_space_pauses_while_playing(lesson, qtbot):
    lesson.set_speed(10)
    qtbot.keyClick(lesson, Qt.Key.Key_Space)
    with qtbot.waitSignal(lesson.stepChanged, timeout=5000):
        pass
    qtbot.keyClick(lesson, Qt.Key.Key_Space)
    assert not lesson.is_playing()
    step = lesson.current_step()
    assert step >= 1
    qtbot.keyClick(lesson, Qt.Key.Key_Right)
    assert lesson.current_step() == step + 1


def test_play_from_the_end_starts_over(lesson):
    lesson.go_end()
    lesson.play()
    assert lesson.current_step() == 0 and lesson.is_playing()
    lesson.pause()


def test_speed_sets_the_timer_interval(lesson):
    lesson.set_speed(1)
    assert lesson.interval_ms() == step_interval_ms(1) == 1800
    lesson.set_speed(10)
    assert lesson.interval_ms() == 180


def test_clicking_a_map_cell_jumps_to_its_step(lesson, qtbot):
    point = lesson.canvas.map_cell_center(2, 4).toPoint()
    assert lesson.canvas.cell_at(lesson.canvas.map_cell_center(2, 4)) == (2, 4)
    with qtbot.waitSignal(lesson.stepChanged) as blocker:
        qtbot.mouseClick(lesson.canvas, Qt.MouseButton.LeftButton, pos=point)
    assert blocker.args == [2 * 6 + 4]
    assert lesson.step_text() == "Step 17 of 36: output cell (2, 4)"


def test_clicking_outside_the_map_does_nothing(lesson, qtbot):
    lesson.set_step(5)
    qtbot.mouseClick(lesson.canvas, Qt.MouseButton.LeftButton, pos=lesson.canvas.rect().topLeft())
    assert lesson.current_step() == 5


def test_jump_to_cell_and_methods(lesson):
    lesson.jump_to_cell(5, 0)
    assert lesson.current_step() == 30
    lesson.step_back()
    assert lesson.current_step() == 29
    lesson.step_forward()
    lesson.go_start()
    assert lesson.current_step() == 0
    lesson.jump_to_cell(9, 9)  # not in the map: ignored
    assert lesson.current_step() == 0


def test_presentation_toggle(lesson, qtbot):
    lesson.set_step(8)
    normal = lesson.canvas.layout()
    lesson.set_presentation(True)
    assert lesson.is_presentation()
    projected = lesson.canvas.layout()
    assert projected.title_px > normal.title_px
    assert lesson.grab().size().width() > 0
    lesson.set_presentation(False)
    assert not lesson.is_presentation()
    assert lesson.canvas.layout().title_px == normal.title_px


def test_equation_shown_equals_engine(lesson):
    lesson.jump_to_cell(1, 2)
    lines = lesson.canvas.step_lines(lesson.current_step())
    assert lines[2].endswith("= 3  → map value 3")
    assert lines[-1] == "3 matching cells: kernel 1 on input 1."


def test_large_image_is_reduced_with_a_note(qtbot):
    w = LessonWidget()
    qtbot.addWidget(w)
    assert w.set_lesson(np.zeros((64, 64), np.float32), Filter("k", np.ones((3, 3))), Layer())
    assert w.plan().image.shape == (16, 16)
    assert "reduced" in w.note_text()


def test_impossible_lesson_shows_a_sentence(qtbot):
    w = LessonWidget()
    qtbot.addWidget(w)
    assert not w.set_lesson(np.zeros((3, 3), np.float32), Filter("k", np.ones((5, 5))), Layer())
    assert w.plan() is None and w.step_count() == 0
    assert "does not fit" in w.note_text()
    w.step_forward()
    w.play()
    assert not w.is_playing()


def test_explanations_highlight_current_settings(qtbot):
    w = LessonWidget()
    qtbot.addWidget(w)
    rgb = np.random.default_rng(0).random((6, 6, 3)).astype(np.float32)
    layer = Layer(stride=(2, 2), padding="same", channel_mode="depth")
    w.set_lesson(
        rgb,
        Filter("k", np.ones((3, 3, 3)), bias=0.5, activation="relu"),
        layer,
        flip=True,
        filter_count=2,
    )
    keys = relevant_concepts(w.plan(), filter_count=2)
    assert keys == {
        "input",
        "kernel",
        "map",
        "stride",
        "padding",
        "filters",
        "channels",
        "bias",
        "relu",
        "flip",
    }
    text = w.explanations_text()
    for title in (
        "Stride",
        "Padding",
        "Bias",
        "ReLU",
        "Channels and depth",
        "Correlation versus convolution",
    ):
        assert title in text
    plain = explanations_html({"input", "kernel", "map"})
    assert plain.index("Feature map") < plain.index("Stride")
    assert "#fff1b8" not in plain.split("Stride")[1]


def test_gif_export(lesson, tmp_path):
    from PIL import Image

    path = tmp_path / "lesson.gif"
    assert lesson.export_gif_to(str(path), frame_ms=50)
    with Image.open(path) as gif:
        assert gif.n_frames == 37


def test_png_export(lesson, tmp_path):
    assert lesson.export_png_to(str(tmp_path))
    assert len(list(tmp_path.glob("frame_*.png"))) == 37


def test_export_error_is_a_message_not_a_traceback(lesson, tmp_path, qtbot):
    assert not lesson.export_png_to(str(tmp_path / "missing"))
    assert "not saved" in lesson.last_message()
    assert "does not exist" in lesson.last_message()
