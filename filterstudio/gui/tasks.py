"""Runs one function on a pool thread and reports its progress and its end on the GUI thread.

:func:`start_task` hands ``fn(control)`` to a ``QThreadPool`` and returns a :class:`TaskHandle`
at once. ``control`` is a plain object (no Qt) that ``fn`` uses to say how far it is
(``control.progress(done, total)``) and to ask whether it should stop (``control.cancelled()``).
The handle's signals arrive on the GUI thread: ``progress(done, total)`` at most about ten
times a second (always ending with the last value reported), then exactly one of
``finished(value)``, ``failed(exception)`` or ``cancelled()``.

Why it is built this way:

- The pool owns what runs (a callable, freed by the pool when it returns); nothing the GUI
  thread frees is touched by the pool thread.
- Pool threads emit only through one long-lived relay object, made on the GUI thread once and
  never freed, so a queued signal never outlives its sender while the pool thread is still
  returning from ``emit``. The relay hands each report to the task's handle by number; a handle
  deleted meanwhile (its parent closed) is simply not told.
- Progress from a thread that reports every millisecond queues at most one event at a time and
  the handle passes it on at most every :data:`PROGRESS_INTERVAL_MS`, so the GUI never floods.

This module imports no other part of the window, so any widget may use it.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QEventLoop, QObject, QThreadPool, QTimer, Signal

from ..compute.mailbox import Mailbox

__all__ = [
    "PROGRESS_INTERVAL_MS", "TaskCancelled", "TaskControl", "TaskHandle", "RunningTasks", "run_until",
    "start_task",
]  # fmt: skip


def run_until(done: Callable[[], bool], *signals, timeout: float | None = None) -> None:
    """Run the event loop until ``done()`` holds, looking again whenever one of ``signals``
    fires, or until ``timeout`` seconds (None: no limit) have passed."""
    if done():
        return
    loop = QEventLoop()
    for signal in signals:
        signal.connect(loop.quit)
    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(loop.quit)
    if timeout is not None:
        timer.start(int(timeout * 1000))
    try:
        while not done() and (timeout is None or timer.isActive()):
            loop.exec()
    finally:
        for signal in signals:
            signal.disconnect(loop.quit)


#: Shortest time between two progress signals of one task.
PROGRESS_INTERVAL_MS = 100


class TaskCancelled(Exception):
    """Raised by :meth:`TaskControl.check` (or by ``fn`` itself) to stop after a cancel."""


class TaskControl:
    """What the function running on the pool thread sees: progress out, cancel in. No Qt."""

    def __init__(self, report: Callable[[], None]) -> None:
        self._cancel = threading.Event()
        self._latest: Mailbox[tuple[int, int]] = Mailbox()
        self._report = report  # queues one "progress" report to the GUI thread

    def progress(self, done: int, total: int) -> None:
        """Say that ``done`` of ``total`` units are done (any thread, as often as you like)."""
        if self._latest.put((int(done), int(total))):
            self._report()  # else the report already queued will read this newer value

    def cancelled(self) -> bool:
        """Whether the task was asked to stop; ``fn`` should then stop soon by raising."""
        return self._cancel.is_set()

    def check(self) -> None:
        """Raise :class:`TaskCancelled` if the task was asked to stop."""
        if self._cancel.is_set():
            raise TaskCancelled

    def _take_progress(self) -> tuple[int, int] | None:
        return self._latest.take()


class _Relay(QObject):
    """Lives for the whole process on the GUI thread; pool threads emit only through it."""

    progressed = Signal(int)  # task number
    ended = Signal(int, str, object)  # task number, "finished" | "failed" | "cancelled", value

    def __init__(self) -> None:
        super().__init__()
        self.handles: dict[int, TaskHandle] = {}
        # Emitted on pool threads, delivered here on the GUI thread (queued connections).
        self.progressed.connect(self._on_progressed)
        self.ended.connect(self._on_ended)

    def _on_progressed(self, number: int) -> None:
        handle = self.handles.get(number)
        if handle is not None and shiboken6.isValid(handle):
            handle._on_progressed()

    def _on_ended(self, number: int, outcome: str, value: object) -> None:
        handle = self.handles.pop(number, None)
        if handle is not None and shiboken6.isValid(handle):  # not deleted with its parent
            handle._on_ended(outcome, value)


_relay: _Relay | None = None
_numbers = itertools.count(1)


def _the_relay() -> _Relay:
    global _relay
    if _relay is None:
        _relay = _Relay()
    return _relay


class TaskHandle(QObject):
    """The GUI thread's side of one running function: its signals, cancel and wait.

    Signals
    -------
    progress(int, int)
        ``(done, total)`` as the function last reported it, at most every
        :data:`PROGRESS_INTERVAL_MS`; the last value reported is always passed on before the end.
    finished(object)
        The function returned this value.
    failed(object)
        The function raised this exception (not a cancel); the caller turns it into a sentence.
    cancelled()
        :meth:`cancel` was called and the function then stopped by raising.
    """

    progress = Signal(int, int)
    finished = Signal(object)
    failed = Signal(object)
    cancelled = Signal()

    def __init__(self, control: TaskControl, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._control = control
        self._ended = threading.Event()  # set on the pool thread once fn has returned or raised
        self._reported = False  # set on the GUI thread once the end was signalled
        self._last_emit = float("-inf")
        self._pending: tuple[int, int] | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._flush_progress)

    def cancel(self) -> None:
        """Ask the function to stop (it stops when it next looks); safe to call at any time."""
        self._control._cancel.set()

    def is_running(self) -> bool:
        """True until the end has been signalled on the GUI thread."""
        return not self._reported

    def wait(self, ms: int | None = None) -> bool:
        """Block until the function has returned on its thread (its end signal may still be
        queued: it arrives when the event loop next runs). False if ``ms`` passed first."""
        return self._ended.wait(None if ms is None else max(0, ms) / 1000)

    def wait_ended(self) -> None:
        """Run the event loop until the end has been signalled (at once if it has been)."""
        run_until(lambda: not self.is_running(), self.finished, self.failed, self.cancelled)

    # -- reports from the relay (GUI thread) ---------------------------------------------------
    def _on_progressed(self) -> None:
        latest = self._control._take_progress()
        if latest is None:
            return
        self._pending = latest
        wait_ms = PROGRESS_INTERVAL_MS - (time.monotonic() - self._last_emit) * 1000
        if wait_ms <= 0:
            self._flush_progress()
        elif not self._timer.isActive():
            self._timer.start(int(wait_ms) + 1)

    def _flush_progress(self) -> None:
        self._timer.stop()
        if self._pending is not None:
            done, total = self._pending
            self._pending = None
            self._last_emit = time.monotonic()
            self.progress.emit(done, total)

    def _on_ended(self, outcome: str, value: object) -> None:
        self._on_progressed()  # a value reported after the last queued report
        self._flush_progress()
        self._reported = True
        if outcome == "finished":
            self.finished.emit(value)
        elif outcome == "cancelled":
            self.cancelled.emit()
        else:
            self.failed.emit(value)


def start_task(
    fn: Callable[[TaskControl], Any],
    *,
    parent: QObject | None,
    pool: QThreadPool | None = None,
) -> TaskHandle:
    """Run ``fn(control)`` on a pool thread; return its handle at once (call on the GUI thread).

    Parameters
    ----------
    fn : callable
        Runs on a pool thread with a :class:`TaskControl`. What it returns is passed to
        ``finished``; an exception it raises to ``failed``, or, once :meth:`TaskHandle.cancel`
        was called, becomes ``cancelled``. It must not touch widgets.
    parent : QObject or None
        Owner of the handle. Without one, the handle lives while the task runs and while the
        caller keeps a reference to it.
    pool : QThreadPool, optional
        The pool to run on (default: Qt's global pool).

    Returns
    -------
    TaskHandle
        Connect to its signals before control returns to the event loop.
    """
    relay = _the_relay()
    number = next(_numbers)
    control = TaskControl(lambda: relay.progressed.emit(number))
    handle = TaskHandle(control, parent)
    relay.handles[number] = handle
    ended = handle._ended  # the pool thread sees this event and the relay, not the handle

    def run() -> None:
        try:
            value = fn(control)
        except BaseException as exc:  # noqa: BLE001 - reported to the GUI thread, never raised
            outcome, value = ("cancelled" if control.cancelled() else "failed"), exc
        else:
            outcome = "finished"
        try:
            relay.ended.emit(number, outcome, value)
        except RuntimeError:  # the process is ending and Python has freed the relay
            pass
        finally:
            ended.set()

    (pool or QThreadPool.globalInstance()).start(run)
    return handle


class RunningTasks:
    """The tasks one owner started that have not ended yet; each is forgotten as it ends."""

    def __init__(self, parent: QObject) -> None:
        self._parent = parent
        self._handles: list[TaskHandle] = []

    def start(self, fn: Callable[[TaskControl], Any]) -> TaskHandle:
        """:func:`start_task` with the owner as parent, kept until it ends."""
        handle = start_task(fn, parent=self._parent)
        self._handles.append(handle)
        for signal in (handle.finished, handle.failed, handle.cancelled):
            signal.connect(lambda *_a, h=handle: self._forget(h))
        return handle

    def running(self) -> bool:
        """Whether any of them has not ended yet."""
        return bool(self._handles)

    def cancel_all(self) -> None:
        """Ask every running task to stop and forget them all (their answers are not wanted)."""
        handles, self._handles = self._handles, []
        for handle in handles:
            handle.cancel()

    def _forget(self, handle: TaskHandle) -> None:
        if handle in self._handles:
            self._handles.remove(handle)
