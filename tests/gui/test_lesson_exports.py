"""The lesson's exports through the window: its save dialog, its replace prompt, its error box."""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QMessageBox

Yes, No = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No
EXPORT_MS = 60_000


def _lesson_ready(qtbot, window):
    window.open_sample("smiley")
    window.tabs.setCurrentWidget(window.lesson)
    qtbot.waitUntil(lambda: window.lesson.plan() is not None, timeout=10000)
    return window.lesson


def _answer(monkeypatch, reply) -> list[str]:
    asked: list[str] = []

    def question(parent, title, text, *args, **kwargs):
        asked.append(text)
        return reply

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    return asked


def test_the_export_button_asks_where_through_the_window(qtbot, window, tmp_path, monkeypatch):
    lesson = _lesson_ready(qtbot, window)
    target = tmp_path / "class"  # typed without its extension
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName",
        staticmethod(lambda *a, **k: (str(target), "GIF animation (*.gif)")),
    )  # fmt: skip
    with qtbot.waitSignal(lesson.exportFinished, timeout=EXPORT_MS) as done:
        lesson.exportRequested.emit("gif")  # what the Export GIF… button sends
    assert done.args[0], done.args
    assert (tmp_path / "class.gif").read_bytes()[:6] == b"GIF89a"


def test_replacing_is_asked_once_through_the_window_prompt(qtbot, window, tmp_path, monkeypatch):
    lesson = _lesson_ready(qtbot, window)
    path = tmp_path / "lesson.gif"
    path.write_bytes(b"old")
    asked = _answer(monkeypatch, No)
    assert not lesson.export_gif_to(str(path))
    assert asked == ["lesson.gif already exists. Replace it?"]
    assert path.read_bytes() == b"old"
    asked = _answer(monkeypatch, Yes)
    with qtbot.waitSignal(lesson.exportFinished, timeout=EXPORT_MS) as done:
        assert lesson.export_gif_to(str(path))
    assert done.args[0] and len(asked) == 1
    (tmp_path / "frame_001.png").write_bytes(b"mine")
    asked = _answer(monkeypatch, No)
    assert not lesson.export_png_to(str(tmp_path))
    assert asked == ["frame_001.png already exists. Replace it?"]
    assert (tmp_path / "frame_001.png").read_bytes() == b"mine"


def test_a_failed_export_is_shown_in_the_window_error_box(qtbot, window, tmp_path):
    lesson = _lesson_ready(qtbot, window)
    shown: list[str] = []
    window.dialogs.errorShown.connect(shown.append)
    missing = tmp_path / "missing"
    with qtbot.waitSignal(lesson.exportFinished, timeout=EXPORT_MS) as done:
        assert lesson.export_png_to(str(missing))
    assert not done.args[0]
    assert shown == [done.args[1]] and "does not exist" in shown[0]
    box = window.findChild(QMessageBox, "errorBox")
    assert box is not None and box.text() == shown[0]
    assert lesson.findChildren(QMessageBox) == []
    box.close()
