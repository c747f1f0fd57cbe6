"""The descent's thread: a QThread that runs one :class:`DescentLoop` and says when a frame waits.

All decisions (pace, when to make a frame and its pictures, what a frame carries) live in
:mod:`filterstudio.compute.learn_descent`; this shell owns the thread, and :class:`DescentThreads`
keeps every thread alive until it has returned, so a descent is replaced without the GUI
thread waiting for the old one to notice.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, QThread, Signal

from ..compute.learn_descent import DescentJob, DescentLoop


class DescentThread(QThread):
    """Runs ``DescentLoop(job)``; ``frameReady`` (queued to the GUI thread) means "take one"."""

    frameReady = Signal()

    def __init__(self, job: DescentJob, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.loop = DescentLoop(job, self.frameReady.emit)

    def run(self) -> None:  # noqa: D102
        self.loop.run()


#: How often (seconds) the interpreter hands its lock to another waiting thread while a descent
#: runs. The descent's steps run Python between their OpenCV calls; at the default 5 ms the
#: GUI thread waits that long for each of a frame's slots and paints, and the event loop's
#: longest stall on a 12 MP photo was about half again as long (bench_learn.py).
SWITCH_INTERVAL = 0.001

# Descent thread sets holding the short interval, across every window of the process, and the
# interval to put back when the last lets go.
_holders = 0
_interval_before: float | None = None


def _hold_short_interval() -> None:
    global _holders, _interval_before
    if _holders == 0:
        _interval_before = sys.getswitchinterval()
        sys.setswitchinterval(min(_interval_before, SWITCH_INTERVAL))
    _holders += 1


def _release_short_interval() -> None:
    global _holders, _interval_before
    _holders -= 1
    if _holders == 0 and _interval_before is not None:
        sys.setswitchinterval(_interval_before)
        _interval_before = None


class DescentThreads(QObject):
    """The current descent thread and those asked to stop that have not returned yet.

    While any of them runs, the interpreter switches threads every :data:`SWITCH_INTERVAL`;
    the interval it had is put back once the last one has returned.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.current: DescentThread | None = None
        self._stopping: set[DescentThread] = set()
        self._holding = False  # whether this set holds the short switch interval

    def start(self, job: DescentJob) -> DescentThread:
        """Retire the current thread and start one for ``job``."""
        self.retire()
        if not self._holding:
            _hold_short_interval()
            self._holding = True
        thread = DescentThread(job)
        self.current = thread
        thread.start()
        return thread

    def retire(self) -> None:
        """Ask the current thread to stop; it is freed once it has returned (never waited on)."""
        thread, self.current = self.current, None
        if thread is None:
            return
        # Listen before asking it to stop: a thread that returns between a check of
        # isRunning() and a later connect would never be forgotten, and the short interval
        # never put back.
        self._stopping.add(thread)
        thread.finished.connect(lambda t=thread: self._forget(t))
        thread.loop.stop()
        if thread.isFinished():
            self._forget(thread)

    def _forget(self, thread: DescentThread) -> None:
        if thread not in self._stopping:
            return  # already forgotten (its finished signal after a direct call)
        self._stopping.discard(thread)
        thread.deleteLater()
        self._settle()

    def _settle(self) -> None:
        """Put the interpreter's switch interval back once no descent thread is left."""
        if self.current is None and not self._stopping and self._holding:
            self._holding = False
            _release_short_interval()

    def stopping_count(self) -> int:
        return len(self._stopping)

    def shutdown(self, ms: int = 10_000) -> None:
        """Stop every thread and wait for each (the window is closing)."""
        self.retire()
        for thread in list(self._stopping):
            thread.loop.stop()
            thread.wait(ms)
        self._stopping.clear()
        self._settle()
