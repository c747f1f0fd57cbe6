"""The descent's thread: a QThread that runs one :class:`DescentLoop` and says when a frame waits.

All decisions (pace, when to make a frame and its pictures, what a frame carries) live in
:mod:`filterstudio.compute.learn_descent`; this shell owns the thread, and :class:`DescentThreads`
keeps every thread alive until it has returned, so a descent is replaced without the GUI
thread waiting for the old one to notice.
"""

from __future__ import annotations

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


class DescentThreads(QObject):
    """The current descent thread and those asked to stop that have not returned yet."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.current: DescentThread | None = None
        self._stopping: set[DescentThread] = set()

    def start(self, job: DescentJob) -> DescentThread:
        """Retire the current thread and start one for ``job``."""
        self.retire()
        thread = DescentThread(job)
        self.current = thread
        thread.start()
        return thread

    def retire(self) -> None:
        """Ask the current thread to stop; it is freed once it has returned (never waited on)."""
        thread, self.current = self.current, None
        if thread is None:
            return
        thread.loop.stop()
        if thread.isRunning():
            self._stopping.add(thread)
            thread.finished.connect(lambda t=thread: self._forget(t))
        else:
            thread.deleteLater()

    def _forget(self, thread: DescentThread) -> None:
        self._stopping.discard(thread)
        thread.deleteLater()

    def stopping_count(self) -> int:
        return len(self._stopping)

    def shutdown(self, ms: int = 10_000) -> None:
        """Stop every thread and wait for each (the window is closing)."""
        self.retire()
        for thread in list(self._stopping):
            thread.loop.stop()
            thread.wait(ms)
        self._stopping.clear()
