"""The classroom lesson widget: keys, clicks, playing, presentation and exports."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QPushButton

from filterstudio.core import lesson_export
from filterstudio.core.lesson_concepts import explanations_html, relevant_concepts
from filterstudio.gui.widgets import LessonWidget, step_interval_ms
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
        "frequencies",
        "aliasing",
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


EXPORT_MS = 60_000  # a generous ceiling for a busy machine; the tests wait on signals


def _export(qtbot, lesson, start) -> list:
    """Start an export with ``start()``, wait for exportFinished, return its arguments."""
    with qtbot.waitSignal(lesson.exportFinished, timeout=EXPORT_MS) as blocker:
        assert start()
        assert lesson.is_exporting()  # the call returned with the export still under way
    assert not lesson.is_exporting()
    return blocker.args


def test_gif_export(lesson, qtbot, tmp_path):
    path = tmp_path / "lesson.gif"
    saved, message = _export(qtbot, lesson, lambda: lesson.export_gif_to(str(path), frame_ms=50))
    assert saved and message == "Saved the lesson as lesson.gif (37 frames)."
    assert lesson.export_text() == message
    with Image.open(path) as gif:
        assert gif.n_frames == 37
    assert os.listdir(tmp_path) == ["lesson.gif"]


def test_png_export(lesson, qtbot, tmp_path):
    saved, message = _export(qtbot, lesson, lambda: lesson.export_png_to(str(tmp_path)))
    assert saved and message == f"Saved 37 pictures of the lesson in {tmp_path.name}."
    assert len(list(tmp_path.glob("frame_*.png"))) == 37


def test_frames_are_drawn_off_the_gui_thread_with_progress(lesson, qtbot, tmp_path, monkeypatch):
    threads = set()
    render = lesson_export.FrameRenderer.render

    def spy(self, k):
        threads.add(threading.get_ident())
        return render(self, k)

    monkeypatch.setattr(lesson_export.FrameRenderer, "render", spy)
    progress = []
    lesson.exportProgress.connect(lambda done, total: progress.append((done, total)))
    saved, _ = _export(qtbot, lesson, lambda: lesson.export_png_to(str(tmp_path)))
    assert saved
    assert threads and threading.get_ident() not in threads
    # Progress is passed on at most about ten times a second: in order, ending at the end.
    assert progress and progress[-1] == (37, 37)
    dones = [done for done, total in progress if total == 37]
    assert len(dones) == len(progress) and dones == sorted(set(dones))


@pytest.fixture
def gate(monkeypatch):
    """Hold the export at its third frame until the test opens the gate."""
    opened = threading.Event()
    render = lesson_export.FrameRenderer.render

    def held(self, k):
        if k is not None and k >= 2:
            opened.wait(EXPORT_MS / 1000)
        return render(self, k)

    monkeypatch.setattr(lesson_export.FrameRenderer, "render", held)
    yield opened
    opened.set()


def _button(lesson, name: str) -> QPushButton:
    button = lesson.findChild(QPushButton, name)
    assert button is not None, name
    return button


def _cancel_at_third_frame(qtbot, lesson, gate, start) -> list:
    with qtbot.waitSignal(lesson.exportFinished, timeout=EXPORT_MS) as blocker:
        assert start()
        qtbot.waitUntil(lambda: lesson.export_progress() == (2, 37), timeout=EXPORT_MS)
        cancel = _button(lesson, "cancelExportButton")
        assert cancel.isVisible() and not _button(lesson, "exportGifButton").isEnabled()
        qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
        gate.set()
    return blocker.args


def test_cancel_button_stops_a_gif_and_keeps_the_old_file(lesson, qtbot, tmp_path, gate):
    path = tmp_path / "lesson.gif"
    path.write_bytes(b"old")
    start = lambda: lesson.export_gif_to(str(path), overwrite=True)  # noqa: E731
    saved, message = _cancel_at_third_frame(qtbot, lesson, gate, start)
    assert not saved and message == "The export was cancelled; nothing was written."
    assert lesson.export_text() == message and lesson.last_message() == ""
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["lesson.gif"]
    assert not _button(lesson, "cancelExportButton").isVisible()
    assert _button(lesson, "exportGifButton").isEnabled()


def test_cancelled_png_export_writes_no_picture(lesson, qtbot, tmp_path, gate):
    start = lambda: lesson.export_png_to(str(tmp_path))  # noqa: E731
    saved, _ = _cancel_at_third_frame(qtbot, lesson, gate, start)
    assert not saved
    assert os.listdir(tmp_path) == []


def test_an_existing_gif_is_replaced_only_when_the_prompt_agrees(lesson, qtbot, tmp_path):
    path = tmp_path / "lesson.gif"
    path.write_bytes(b"old")
    assert not lesson.export_gif_to(str(path))  # no prompt given: nothing is replaced
    asked = []
    reply = [False]
    lesson.set_replace_prompt(lambda paths: asked.append(paths) or reply[0])
    assert not lesson.export_gif_to(str(path))
    assert asked == [[str(path)]]
    assert not lesson.is_exporting() and path.read_bytes() == b"old"
    reply[0] = True
    saved, message = _export(qtbot, lesson, lambda: lesson.export_gif_to(str(path)))
    assert saved, message
    assert path.read_bytes()[:6] == b"GIF89a"


def test_frames_of_an_earlier_export_are_replaced_only_when_the_prompt_agrees(
    lesson, qtbot, tmp_path
):
    (tmp_path / "frame_001.png").write_bytes(b"mine")
    (tmp_path / "frame_002.png").write_bytes(b"mine")
    asked = []
    lesson.set_replace_prompt(lambda paths: asked.append(sorted(paths)) and False)
    assert not lesson.export_png_to(str(tmp_path))
    assert asked == [[str(tmp_path / "frame_001.png"), str(tmp_path / "frame_002.png")]]
    assert sorted(os.listdir(tmp_path)) == ["frame_001.png", "frame_002.png"]
    lesson.set_replace_prompt(lambda paths: True)
    saved, message = _export(qtbot, lesson, lambda: lesson.export_png_to(str(tmp_path)))
    assert saved, message
    assert len(os.listdir(tmp_path)) == 37
    assert (tmp_path / "frame_001.png").read_bytes()[:4] == b"\x89PNG"


def test_the_widget_opens_no_box_of_its_own(lesson, qtbot, tmp_path):
    failed = []
    lesson.exportFailed.connect(failed.append)
    saved, message = _export(qtbot, lesson, lambda: lesson.export_png_to(str(tmp_path / "no")))
    assert not saved and failed == [message]
    assert lesson.findChildren(QMessageBox) == []
    assert lesson.export_text() == message  # the row keeps the sentence
    requested = []
    lesson.exportRequested.connect(requested.append)
    qtbot.mouseClick(_button(lesson, "exportGifButton"), Qt.MouseButton.LeftButton)
    qtbot.mouseClick(_button(lesson, "exportPngButton"), Qt.MouseButton.LeftButton)
    assert requested == ["gif", "png"]


def test_export_error_is_a_sentence_not_a_traceback(lesson, qtbot, tmp_path):
    missing = tmp_path / "missing"
    saved, message = _export(qtbot, lesson, lambda: lesson.export_png_to(str(missing)))
    assert not saved
    assert message == f"The pictures cannot be saved: the folder {str(missing)!r} does not exist."
    assert lesson.last_message() == message


def test_a_failed_write_keeps_the_old_gif_and_says_why(lesson, qtbot, tmp_path, monkeypatch):
    path = tmp_path / "lesson.gif"
    path.write_bytes(b"old")

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", full)
    start = lambda: lesson.export_gif_to(str(path), overwrite=True)  # noqa: E731
    saved, message = _export(qtbot, lesson, start)
    assert not saved
    assert message == f"The GIF could not be written to {str(path)!r}: No space left on device."
    assert lesson.last_message() == message and "Traceback" not in message
    assert path.read_bytes() == b"old" and os.listdir(tmp_path) == ["lesson.gif"]


def test_one_export_at_a_time(lesson, qtbot, tmp_path, gate):
    with qtbot.waitSignal(lesson.exportFinished, timeout=EXPORT_MS):
        assert lesson.export_png_to(str(tmp_path))
        assert not lesson.export_gif_to(str(tmp_path / "b.gif"))
        assert lesson.last_message().startswith("An export is already running")
        gate.set()
    assert not (tmp_path / "b.gif").exists()


def test_closing_cancels_a_running_export(qtbot, tmp_path, gate, monkeypatch):
    from filterstudio.gui import tasks

    cancel = tasks.TaskHandle.cancel

    def cancel_and_open(task):
        cancel(task)
        gate.set()  # the held frame finishes; the export then stops before the next one

    monkeypatch.setattr(tasks.TaskHandle, "cancel", cancel_and_open)
    drawing = []  # frames being drawn right now
    drawn = []
    render = lesson_export.FrameRenderer.render

    def counted(self, k):
        drawing.append(k)
        try:
            return render(self, k)
        finally:
            drawing.remove(k)
            drawn.append(k)

    monkeypatch.setattr(lesson_export.FrameRenderer, "render", counted)
    w = LessonWidget()
    qtbot.addWidget(w)
    assert w.set_lesson(line_image(), Filter("line", [[0, 1, 0]] * 3), Layer())
    w.show()
    assert w.export_png_to(str(tmp_path))
    qtbot.waitUntil(lambda: w.export_progress() == (2, 37), timeout=EXPORT_MS)
    with qtbot.waitSignal(w.exportFinished, timeout=EXPORT_MS) as blocker:
        w.close()
        # close() returns once the export's thread has stopped drawing, before its report.
        assert not drawing
        frames_at_close = len(drawn)
    assert blocker.args == [False, "The export was cancelled; nothing was written."]
    assert len(drawn) == frames_at_close
    assert os.listdir(tmp_path) == []
