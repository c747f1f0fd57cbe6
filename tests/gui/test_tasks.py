"""Background tasks: value, error and cancel reach the GUI thread; progress is coalesced."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QObject

from filterstudio.gui.tasks import PROGRESS_INTERVAL_MS, TaskCancelled, start_task

WAIT_MS = 20_000  # a ceiling for a busy machine; the tests wait on signals


def test_the_return_value_arrives_on_the_gui_thread(qtbot):
    threads = []

    def work(control):
        threads.append(threading.get_ident())
        return 6 * 7

    seen = []
    handle = start_task(work, parent=None)
    handle.finished.connect(lambda value: seen.append((value, threading.get_ident())))
    assert handle.is_running()
    with qtbot.waitSignal(handle.finished, timeout=WAIT_MS) as blocker:
        pass
    assert blocker.args == [42]
    assert threads and threads[0] != threading.get_ident()
    assert seen == [(42, threading.get_ident())]
    assert not handle.is_running() and handle.wait(0)


def test_an_exception_is_handed_over_not_raised(qtbot):
    def work(control):
        raise OSError(28, "No space left on device")

    handle = start_task(work, parent=None)
    with qtbot.waitSignal(handle.failed, timeout=WAIT_MS) as blocker:
        pass
    error = blocker.args[0]
    assert isinstance(error, OSError) and error.errno == 28


def test_cancel_stops_a_cooperative_function(qtbot):
    started = threading.Event()
    steps = []

    def work(control):
        started.set()
        while True:
            control.check()
            steps.append(1)
            threading.Event().wait(0.001)

    handle = start_task(work, parent=None)
    assert started.wait(WAIT_MS / 1000)
    failed = []
    handle.failed.connect(failed.append)
    with qtbot.waitSignal(handle.cancelled, timeout=WAIT_MS):
        handle.cancel()
    assert handle.wait(WAIT_MS)
    assert not failed and not handle.is_running()


def test_a_function_that_ends_despite_a_cancel_still_finishes(qtbot):
    gate = threading.Event()

    def work(control):
        gate.wait(WAIT_MS / 1000)
        return "done"

    handle = start_task(work, parent=None)
    handle.cancel()
    with qtbot.waitSignal(handle.finished, timeout=WAIT_MS) as blocker:
        gate.set()
    assert blocker.args == ["done"]


def test_wait_returns_once_the_function_has_returned(qtbot):
    gate = threading.Event()
    handle = start_task(lambda control: gate.wait(WAIT_MS / 1000), parent=None)
    assert not handle.wait(20)
    gate.set()
    assert handle.wait(WAIT_MS)
    qtbot.waitUntil(lambda: not handle.is_running(), timeout=WAIT_MS)


def test_a_flood_of_progress_is_coalesced_and_ends_with_the_last_value(qtbot):
    total = 20_000

    def work(control):
        for done in range(total + 1):
            control.progress(done, total)
        return None

    handle = start_task(work, parent=None)
    seen = []
    handle.progress.connect(lambda done, n: seen.append((done, n)))
    with qtbot.waitSignal(handle.finished, timeout=WAIT_MS):
        pass
    assert seen[-1] == (total, total)
    assert len(seen) < 50  # not one event per report
    dones = [d for d, _ in seen]
    assert dones == sorted(dones)


def test_progress_is_spaced_but_a_late_value_is_not_lost(qtbot):
    gate = threading.Event()

    def work(control):
        control.progress(1, 3)
        control.progress(2, 3)  # right after: held back, then passed on by the timer
        gate.wait(WAIT_MS / 1000)
        return None

    handle = start_task(work, parent=None)
    seen = []
    handle.progress.connect(lambda done, n: seen.append(done))
    qtbot.waitUntil(lambda: bool(seen) and seen[-1] == 2, timeout=WAIT_MS)
    assert handle.is_running()
    gate.set()
    with qtbot.waitSignal(handle.finished, timeout=WAIT_MS):
        pass
    assert seen in ([1, 2], [2])
    assert PROGRESS_INTERVAL_MS <= 100


def test_a_handle_deleted_with_its_parent_is_not_told(qtbot):
    gate = threading.Event()
    owner = QObject()
    handle = start_task(lambda control: gate.wait(WAIT_MS / 1000), parent=owner)
    other = start_task(lambda control: None, parent=None)
    owner.deleteLater()
    qtbot.waitUntil(lambda: not _alive(handle), timeout=WAIT_MS)
    gate.set()
    # A later task's end still arrives, so the relay went on after the orphaned report.
    with qtbot.waitSignal(start_task(lambda c: 1, parent=None).finished, timeout=WAIT_MS):
        pass
    assert other.wait(WAIT_MS)


def _alive(obj) -> bool:
    import shiboken6

    return shiboken6.isValid(obj)


def test_task_cancelled_is_an_exception():
    with pytest.raises(TaskCancelled):
        raise TaskCancelled


def test_the_last_progress_arrives_before_the_end(qtbot):
    shown = threading.Event()

    def work(control):
        control.progress(1, 3)
        shown.wait(WAIT_MS / 1000)
        control.progress(3, 3)  # within the interval of the first: held back, then flushed
        return "done"

    handle = start_task(work, parent=None)
    seen = []

    def on_progress(done, total):
        seen.append(done)
        shown.set()

    handle.progress.connect(on_progress)
    at_end = []
    handle.finished.connect(lambda value: at_end.append(list(seen)))
    with qtbot.waitSignal(handle.finished, timeout=WAIT_MS):
        pass
    assert at_end == [[1, 3]]
