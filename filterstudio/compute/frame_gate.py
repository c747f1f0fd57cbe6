"""When the next frame of a moving picture may be handed over, and how fast frames are shown.

A video or camera gives frames faster than every map can follow on a slow machine, so frames
are dropped rather than queued (newest wins, as for edits): the studio hands the next frame to
the compute cycle only once every map shows its answer for the frame on screen. "Its answer"
means the full map (or its error) computed for this frame, whatever kernel edit it was asked
with: an edit made while a frame is computed re-asks that map for the same frame, but the next
frame does not wait for it; it is computed with the newest kernel anyway, so an edit is never
lost and delays the video by at most one frame.

A map that never catches up must not freeze the video, so there is a *deadline*: if the maps
are not all shown that long after a hand-over, the next frame is handed over anyway (the late
answers of the old frame are then dropped by the ledger's floor). The deadline is three times
the median time recent frames took to show every map, at least a quarter of a second, so it
passes only when a frame takes far longer than usual (a burst of edits, a stage added). Each
time it passes without a frame completing it doubles, so a map that became slower than it is
not starved for ever: the deadline grows past its time, frames complete again, and it follows
the new median.

Nothing here knows Qt or threads; the window's playback part drives a :class:`FrameGate` from
its event loop, with the clock it is given.
"""

from __future__ import annotations

import statistics
import time
from collections import deque
from collections.abc import Callable, Iterable

from ..model.stack import Stack
from ..model.studio import DerivedMap
from .ledger import Ledger
from .stack_plan import expected_maps

__all__ = ["FrameGate", "maps_shown"]

#: The shortest deadline, the longest, and how many times the median frame time it is.
MIN_DEADLINE = 0.25
MAX_DEADLINE = 30.0
DEADLINE_FACTOR = 3.0
#: Frames shown per second are counted over this many seconds.
RATE_WINDOW = 2.0


def maps_shown(ledger: Ledger, stack: Stack, derived: Iterable[DerivedMap] = ()) -> bool:
    """Whether every map shows a full answer (or its error) for the picture on screen.

    The ledger forgets what was shown when the picture changes, so any full answer it shows
    was asked for this picture, whichever edit asked for it. A combined map counts once both
    maps it combines have values.
    """
    for key in expected_maps(stack):
        res = ledger.shown(key)
        if res is None or not res.is_final:
            return False
    for d in derived:
        a, b = ledger.shown(d.a_uid), ledger.shown(d.b_uid)
        if a is None or b is None or a.values is None or b.values is None:
            continue
        if not (a.is_final and b.is_final):
            continue
        res = ledger.shown(d.uid)
        if res is None or not res.is_final:
            return False
    return True


class FrameGate:
    """Decides when a frame may be handed over; counts frames shown, abandoned and their rate.

    Call :meth:`handed_over` when a frame goes to the compute cycle and :meth:`complete` when
    every map shows its answer for it (:func:`maps_shown`); ask :meth:`ready` whether the next
    one may go, and :meth:`seconds_to_deadline` when to ask again if nothing else happens.

    Parameters
    ----------
    clock : callable
        Monotonic seconds (replaceable in tests).
    min_deadline, max_deadline : float
        Bounds of the deadline, in seconds.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        min_deadline: float = MIN_DEADLINE,
        max_deadline: float = MAX_DEADLINE,
    ) -> None:
        self._clock = clock
        self._min = float(min_deadline)
        self._max = float(max(max_deadline, min_deadline))
        self._durations: deque[float] = deque(maxlen=9)
        self._completions: deque[float] = deque()
        self._out_at: float | None = None
        self._complete = False
        self._deadline = self._min
        #: Frames whose maps were all shown.
        self.frames_complete = 0
        #: Frames handed over whose maps were not all shown before the next one replaced them.
        self.frames_abandoned = 0

    # -- events ----------------------------------------------------------------------------
    def handed_over(self) -> None:
        """A frame went to the compute cycle now."""
        if self._out_at is not None and not self._complete:
            self.frames_abandoned += 1
            # It passed the deadline without completing: give the next frame longer.
            self._deadline = min(self._max, self._deadline * 2)
        self._out_at = self._clock()
        self._complete = False

    def complete(self) -> bool:
        """Every map shows its answer for the frame handed over last; True the first time."""
        if self._out_at is None or self._complete:
            return False
        now = self._clock()
        self._complete = True
        self.frames_complete += 1
        self._durations.append(now - self._out_at)
        median = statistics.median(self._durations)
        self._deadline = min(self._max, max(self._min, DEADLINE_FACTOR * median))
        self._completions.append(now)
        return True

    def reset(self) -> None:
        """Forget the frame out (a new source, or a still picture replaced the frames)."""
        self._out_at = None
        self._complete = False
        self._completions.clear()

    # -- questions -------------------------------------------------------------------------
    @property
    def deadline(self) -> float:
        """Seconds a frame's maps may take before the next frame is handed over anyway."""
        return self._deadline

    @property
    def waiting(self) -> bool:
        """A frame was handed over and its maps are not all shown yet."""
        return self._out_at is not None and not self._complete

    def ready(self) -> bool:
        """Whether the next frame may be handed over now."""
        if self._out_at is None or self._complete:
            return True
        return self._clock() >= self._out_at + self._deadline

    def seconds_to_deadline(self) -> float | None:
        """Seconds until :meth:`ready` turns True by the deadline (None if nothing waits)."""
        if not self.waiting:
            return None
        return max(0.0, self._out_at + self._deadline - self._clock())

    def shown_rate(self) -> float:
        """Frames whose maps were all shown, per second, over the last couple of seconds."""
        now = self._clock()
        times = self._completions
        while times and times[0] < now - RATE_WINDOW:
            times.popleft()
        if len(times) < 2 or times[-1] <= times[0]:
            return 0.0
        return (len(times) - 1) / (times[-1] - times[0])
