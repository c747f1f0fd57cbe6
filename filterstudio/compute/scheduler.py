"""Which request the compute thread takes next: newest per map, previews before full maps.

A plain class with a condition variable, driven by one thread that calls :meth:`take` and
:meth:`finish` in a loop and fed by another that calls :meth:`submit` and :meth:`forget`.
Pending requests are kept per map key, so a burst of edits to one filter (or a picture replaced
by the next frame thirty times a second) leaves only its newest request waiting: stale work is
dropped, never queued. A previewed map's full computation waits in a deferred list until its
filter has been left alone for the settle time, so every changed map is previewed first.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace

from .planning import SETTLE_SECONDS
from .requests import ComputeResult, MapKey, Request

__all__ = ["Job", "Scheduler"]


@dataclass(frozen=True)
class Job:
    """A request taken for computing; ``fresh`` when it has not been previewed yet."""

    request: Request
    fresh: bool


class Scheduler:
    """Pending and deferred requests per map key; newest wins.

    Parameters
    ----------
    settle : float
        Seconds a previewed map waits, unasked again, before its full map is computed.
    clock : callable
        Monotonic seconds (replaceable in tests).
    on_busy : callable, optional
        Called with True when work is taken after a rest and False when none is left; called
        on the taking thread, with the lock held: it must only hand the news on.
    """

    def __init__(
        self,
        settle: float = SETTLE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        on_busy: Callable[[bool], None] | None = None,
    ) -> None:
        self._cond = threading.Condition()
        self._pending: OrderedDict[MapKey, Request] = OrderedDict()
        self._deferred: dict[MapKey, tuple[float, Request]] = {}
        self._forgotten: set[MapKey] = set()
        self._stopping = False
        self._busy = False
        self._settle = settle
        self._clock = clock
        self._on_busy = on_busy

    # -- the feeding thread ------------------------------------------------------------
    def submit(self, request: Request) -> None:
        """Ask for ``request``; it replaces anything still waiting for the same map."""
        with self._cond:
            self._forgotten.discard(request.uid)  # asked for again: it is live again
            self.withdraw(request.uid)
            self._pending[request.uid] = request
            self._cond.notify()

    def forget(self, uid: MapKey) -> None:
        """Drop everything waiting for ``uid`` (its filter was removed)."""
        with self._cond:
            self._forgotten.add(uid)
            self.withdraw(uid)  # the condition's lock is re-entrant

    def withdraw(self, uid: MapKey) -> None:
        """Drop what waits for ``uid`` (it is stale), but keep taking its next request."""
        with self._cond:
            self._pending.pop(uid, None)
            self._deferred.pop(uid, None)

    def pending_count(self) -> int:
        with self._cond:
            return len(self._pending) + len(self._deferred)

    def waiting_keys(self) -> dict[MapKey, tuple | None]:
        """Each map with work waiting, and what its exact map will be made of (its compute
        key; None for a combined map)."""
        with self._cond:
            waiting = [*self._pending.values(), *(r for _, r in self._deferred.values())]
        return {r.uid: r.compute_key() if hasattr(r, "compute_key") else None for r in waiting}

    def stop(self) -> None:
        """Drop all waiting work and make :meth:`take` return None from now on."""
        with self._cond:
            self._stopping = True
            self._pending.clear()
            self._deferred.clear()
            self._cond.notify_all()

    @property
    def stopping(self) -> bool:
        with self._cond:
            return self._stopping

    # -- the computing thread ----------------------------------------------------------
    def take(self) -> Job | None:
        """The next job, waiting for one; None once :meth:`stop` was called.

        New requests come first, in the order they came; then deferred full maps whose time
        has come.
        """
        with self._cond:
            while not self._stopping:
                if self._pending:
                    _, request = self._pending.popitem(last=False)
                    self._set_busy(True)
                    return Job(request, fresh=True)
                if self._deferred:
                    uid, (due, request) = min(self._deferred.items(), key=lambda kv: kv[1][0])
                    left = due - self._clock()
                    if left <= 0:
                        del self._deferred[uid]
                        self._set_busy(True)
                        return Job(request, fresh=False)
                    self._cond.wait(left)
                    continue
                self._set_busy(False)
                self._cond.wait()
            return None

    def finish(self, request: Request, result: ComputeResult) -> bool:
        """Record that ``request`` was answered by ``result``; False if stopping (drop it).

        After a preview the full map is deferred, unless a newer request for the map is
        already waiting or the map was forgotten. Even a superseded preview is worth showing:
        during a drag faster than the engine, previews are what keep a map following it.
        """
        with self._cond:
            if self._stopping:
                return False
            uid = request.uid
            waiting = uid in self._pending or uid in self._forgotten
            if request.preview > 1 and not result.error and not waiting:
                self._deferred[uid] = (self._clock() + self._settle, replace(request, preview=1))
            return True

    def _set_busy(self, busy: bool) -> None:
        if self._busy != busy:
            self._busy = busy
            if self._on_busy is not None:
                self._on_busy(busy)
