"""The Camera menu: cameras probed off the GUI thread when it opens, a disabled sentence with
none, at most one probe every few seconds, and a chosen camera opened."""

from __future__ import annotations

import threading

from PySide6.QtCore import QElapsedTimer, QTimer
from PySide6.QtWidgets import QMenu

from filterstudio.gui.cameras import LOOKING, NO_CAMERA, CameraMenu
from filterstudio.media.camera import CameraInfo

WAIT = 10000


def test_the_window_says_when_there_is_no_camera(qtbot, window, monkeypatch):
    import filterstudio.media.camera as camera

    monkeypatch.setattr(camera, "list_cameras", lambda *a, **k: [])
    menu = window.actions.submenus["file.camera"]
    cameras = window.cameras
    with qtbot.waitSignal(cameras.listed, timeout=WAIT):
        menu.aboutToShow.emit()
    assert cameras.entries() == [(NO_CAMERA, False)]
    assert window.action("file.open_video").text() == "Open Vi&deo…"


def test_probing_runs_off_the_gui_thread_and_fills_the_open_menu(qtbot):
    release = threading.Event()
    threads, opened = [], []

    def probe(_control):
        threads.append(threading.current_thread())
        release.wait(WAIT / 1000)
        return [CameraInfo(0, "Laptop camera"), CameraInfo(2, "USB camera")]

    menu = QMenu()
    cameras = CameraMenu(menu, lambda i, name: opened.append((i, name)), probe=probe)
    menu.aboutToShow.emit()
    assert cameras.is_probing() and cameras.entries() == [(LOOKING, False)]
    # The window keeps working while a driver takes its time.
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(10)
    clock = QElapsedTimer()
    clock.start()
    qtbot.waitUntil(lambda: len(ticks) >= 5, timeout=WAIT)
    assert clock.elapsed() < 2000
    timer.stop()
    with qtbot.waitSignal(cameras.listed, timeout=WAIT):
        release.set()
    assert threads and threads[0] is not threading.main_thread()
    assert cameras.entries() == [
        ("Laptop camera (camera 0)", True),
        ("USB camera (camera 2)", True),
    ]
    menu.actions()[1].trigger()
    assert opened == [(2, "USB camera")]


def test_the_menu_probes_again_only_after_a_few_seconds(qtbot):
    calls = []

    def probe(_control):
        calls.append(1)
        return []

    menu = QMenu()
    cameras = CameraMenu(menu, lambda *_: None, probe=probe)
    with qtbot.waitSignal(cameras.listed, timeout=WAIT):
        menu.aboutToShow.emit()
    menu.aboutToShow.emit()
    menu.aboutToShow.emit()
    assert len(calls) == 1 and not cameras.is_probing()
    with qtbot.waitSignal(cameras.listed, timeout=WAIT):
        cameras.refresh(force=True)
    assert len(calls) == 2
