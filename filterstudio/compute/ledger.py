"""Which answer each map shows: generations, the newest asked per map, the floor, the inbox.

The GUI thread asks for maps and receives answers through one :class:`Ledger`. Every request
gets the next number of one counter (its generation). An answer is shown only if it is for the
newest request of its map (or a preview on the way to it) and newer than what the map shows,
and never if it was asked for before the picture changed (the *floor*): a map of the previous
picture must not flash after a load, however late it arrives. Answers come in bursts; the
inbox keeps the newest per map until the event loop applies them, one per pass.

A map of a later stage of a stack cannot be asked for until the maps it reads are exact, but
its old answer is wrong as soon as they change: :meth:`Ledger.hold` marks it waiting, with a
floor of its own, so that nothing asked for it before is shown again.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from .requests import ComputeResult, MapKey

__all__ = ["Ledger"]


def _rank(result: ComputeResult) -> tuple[int, int]:
    """Newer generation first; within one generation the full map beats its preview."""
    return result.generation, -result.preview


class Ledger:
    """Generations asked and answers shown, per map key; no Qt, no threads."""

    def __init__(self) -> None:
        self._generations = itertools.count(1)
        self._floor = 0
        self._latest: dict[MapKey, int] = {}
        self._asked_for: dict[MapKey, tuple] = {}
        self._shown: dict[MapKey, ComputeResult] = {}
        self._inbox: dict[MapKey, ComputeResult] = {}
        self._floors: dict[MapKey, int] = {}  # per map: nothing asked before is shown
        self._held: dict[MapKey, tuple] = {}  # maps waiting for their inputs, and those inputs

    # -- asking ------------------------------------------------------------------------
    def ask(self, uid: MapKey, inputs: tuple) -> int | None:
        """A new generation for ``uid``'s map of ``inputs``, or None if already asked for.

        ``inputs`` is everything the answer depends on (picture, layer, kernel, display...);
        asking again with the same inputs costs nothing.
        """
        if self._asked_for.get(uid) == inputs and uid in self._latest:
            return None
        generation = next(self._generations)
        self._latest[uid] = generation
        self._asked_for[uid] = inputs
        self._held.pop(uid, None)
        return generation

    def asked_with(self, uid: MapKey) -> tuple | None:
        """The inputs ``uid``'s newest request was asked with (None if held or never asked)."""
        return self._asked_for.get(uid)

    def hold(self, uid: MapKey, inputs: tuple) -> bool:
        """``uid``'s map now depends on ``inputs`` that are not ready yet (a later stage whose
        maps before it are being computed): nothing asked for it before is shown from now on,
        and it is not current until asked again. True if it was not already held for them.
        """
        if self._held.get(uid) == inputs:
            return False
        floor = next(self._generations)
        self._held[uid] = inputs
        self._latest[uid] = floor
        self._floors[uid] = floor
        self._asked_for.pop(uid, None)
        self._shown.pop(uid, None)
        self._inbox.pop(uid, None)
        return True

    def is_held(self, uid: MapKey) -> bool:
        return uid in self._held

    def new_picture(self) -> None:
        """The picture changed: nothing asked for before now is ever shown again."""
        self._floor = next(self._generations)
        self._shown.clear()
        self._inbox.clear()

    def forget(self, uid: MapKey) -> None:
        """``uid`` is gone (its filter removed): its answers are dropped from now on."""
        self._latest.pop(uid, None)
        self._asked_for.pop(uid, None)
        self._shown.pop(uid, None)
        self._inbox.pop(uid, None)
        self._floors.pop(uid, None)
        self._held.pop(uid, None)

    def ask_again(self) -> None:
        """Forget what was asked, so that every map is asked for once more."""
        self._asked_for.clear()
        self._held.clear()

    def known(self) -> set[MapKey]:
        """Every key asked for, shown or waiting."""
        return set(self._latest) | set(self._shown) | set(self._inbox) | set(self._asked_for)

    # -- answers -----------------------------------------------------------------------
    def should_show(self, result: ComputeResult) -> bool:
        """Whether ``result`` may replace what its map shows now."""
        latest = self._latest.get(result.uid)
        if latest is None or result.generation > latest:
            return False  # the map is gone, or this is not an answer to anything asked
        if result.generation < max(self._floor, self._floors.get(result.uid, 0)):
            return False  # asked for before the picture (or the maps it reads) changed
        shown = self._shown.get(result.uid)
        return shown is None or _rank(result) >= _rank(shown)

    def receive(self, result: ComputeResult) -> bool:
        """Keep ``result`` in the inbox (newest per map); True if the inbox was empty. Of two
        answers of the same rank the later is kept: an answer made again (its map moved to a
        scratch file) replaces the one it stands for."""
        was_empty = not self._inbox
        waiting = self._inbox.get(result.uid)
        if waiting is None or _rank(result) >= _rank(waiting):
            self._inbox[result.uid] = result
        return was_empty

    def has_inbox(self) -> bool:
        return bool(self._inbox)

    def next_to_show(self) -> ComputeResult | None:
        """The oldest waiting answer that may be shown, recorded as shown; None if none is."""
        while self._inbox:
            uid = next(iter(self._inbox))
            result = self._inbox.pop(uid)
            if self.should_show(result):
                self._shown[uid] = result
                return result
        return None

    # -- reading -----------------------------------------------------------------------
    def shown(self, uid: MapKey) -> ComputeResult | None:
        """The answer ``uid``'s map shows, or None."""
        return self._shown.get(uid)

    def latest(self, uid: MapKey) -> int | None:
        """The generation of the newest request for ``uid``'s map."""
        return self._latest.get(uid)

    def is_final(self, uid: MapKey) -> bool:
        """The newest request's full-resolution answer (or its error) is shown."""
        res = self._shown.get(uid)
        return res is not None and res.generation == self._latest.get(uid) and res.is_final

    def all_final(self, uids: Iterable[MapKey]) -> bool:
        return all(self.is_final(u) for u in uids)
