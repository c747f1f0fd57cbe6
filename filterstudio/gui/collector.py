"""When Python looks for reference cycles: on the GUI thread, a little at a time, fully only in a pause.

Python's own collector starts a pass on whichever thread happens to allocate. A full pass over
a running studio's objects takes about 30 ms: on the GUI thread that is a hitch in a drag, and
on the compute thread it holds the interpreter lock just as long and can free Qt objects away
from the thread that owns them. :class:`CycleCollector` switches the automatic passes off and
runs them itself from a timer on the GUI thread: the young generation often (each pass looks at
a few hundred objects), the middle one every tenth time, and a full pass only once the studio
has been left alone for a moment (no edit, no new map) or, at the latest, once a minute.
Reference counting frees everything else at once, as before.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QObject, QTimer

__all__ = ["CycleCollector", "collect_cycles_in_pauses"]

#: How often the young generation is looked at (ms).
YOUNG_MS = 100
#: A full pass waits until the studio has been left alone this long (s)...
QUIET_SECONDS = 1.0
#: ...and at least this long since the last one (s)...
FULL_EVERY_SECONDS = 10.0
#: ...unless this long has passed: then it runs whatever is going on (s).
FULL_AT_LATEST_SECONDS = 60.0


class CycleCollector(QObject):
    """Runs Python's cycle collector on the GUI thread's timer instead of automatically.

    Call :meth:`activity` when the user does something the studio answers (an edit, a new
    map): full passes wait for a pause. :meth:`stop` (also on ``aboutToQuit``) gives the
    collection back to Python.
    """

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        young_ms: int = YOUNG_MS,
        quiet: float = QUIET_SECONDS,
        every: float = FULL_EVERY_SECONDS,
        at_latest: float = FULL_AT_LATEST_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(parent)
        self._clock = clock
        self._quiet, self._every, self._at_latest = quiet, every, at_latest
        now = clock()
        self._last_activity = now
        self._last_full = now
        self._young_passes = 0
        self._full_passes = 0
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(int(young_ms))
        self._timer.timeout.connect(self.tick)
        self._timer.start()
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.stop)

    def activity(self, *_args) -> None:
        """The user did something: no full pass for a moment (a slot for any signal)."""
        self._last_activity = self._clock()

    def full_passes(self) -> int:
        """How many full passes ran so far."""
        return self._full_passes

    def tick(self) -> None:
        """One step: a young (or middle) pass when enough was allocated, a full one in a pause."""
        now = self._clock()
        quiet = now - self._last_activity >= self._quiet
        if now - self._last_full >= self._at_latest or (
            quiet and now - self._last_full >= self._every
        ):
            gc.collect(2)
            self._last_full = now
            self._full_passes += 1
            return
        young, _middle, _old = gc.get_count()
        if young >= gc.get_threshold()[0]:
            self._young_passes += 1
            gc.collect(1 if self._young_passes % 10 == 0 else 0)

    def stop(self) -> None:
        """Back to Python's automatic collection (as it was before)."""
        self._timer.stop()
        if self._was_enabled:
            gc.enable()


def collect_cycles_in_pauses(parent: QObject, *signals) -> CycleCollector:
    """A :class:`CycleCollector` owned by ``parent`` that each of ``signals`` tells of activity."""
    collector = CycleCollector(parent)
    for signal in signals:
        signal.connect(collector.activity)
    return collector
