"""The compute thread: a QThread that runs the scheduler's jobs through ``process_request``.

All decisions live in :mod:`filterstudio.compute` (what to take next, what to preview, how to
answer); this shell only owns the thread and hands each result to the GUI thread as a signal.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QThread, Signal

from ..compute.process import MapCache, planned, process_request
from ..compute.requests import MapKey, Request
from ..compute.scheduler import Scheduler
from ..core.pipeline import apply_bank_filter


class ComputeWorker(QThread):
    """One long-lived thread; the GUI thread only submits requests and receives results."""

    resultReady = Signal(object)  # ComputeResult
    busyChanged = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.scheduler = Scheduler(on_busy=self.busyChanged.emit)
        self.cache = MapCache()
        self.cache.waiting = self.scheduler.waiting_keys
        self.engine = apply_bank_filter  # replaceable in tests to inject faults

    # -- GUI thread -----------------------------------------------------------------------
    def submit(self, request: Request) -> None:
        self.cache.revive(request.uid)
        self.scheduler.submit(request)

    def forget(self, uid: MapKey) -> None:
        """Drop a removed map's pending work and cached values (also those computed now)."""
        self.scheduler.forget(uid)
        self.cache.forget(uid)

    def withdraw(self, uid: MapKey) -> None:
        """Drop the work waiting for ``uid`` (it reads maps that changed); keep its maps."""
        self.scheduler.withdraw(uid)

    def pending_count(self) -> int:
        return self.scheduler.pending_count()

    def cached_uids(self) -> set[MapKey]:
        """The maps whose exact values are kept for reuse."""
        return self.cache.cached_uids()

    def stop(self) -> None:
        """Ask the loop to finish after the current request and wait for it (never terminate)."""
        self.scheduler.stop()
        self.wait()

    # -- worker thread --------------------------------------------------------------------
    def run(self) -> None:  # noqa: D102
        while (job := self.scheduler.take()) is not None:
            request = planned(job.request, self.cache) if job.fresh else job.request
            result = process_request(request, self.cache, self.engine)
            if not self.scheduler.finish(request, result):
                return
            self.resultReady.emit(result)
            for moved in self.cache.take_moved():  # maps sent to scratch files to make room
                self.resultReady.emit(moved)
