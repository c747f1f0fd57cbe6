"""One slot between a worker thread and the GUI thread: the newest value waits, the taker is told once.

A worker leaves values as often as it likes; a value left over one not taken yet replaces it
(or is merged with it). :meth:`Mailbox.put` says when the slot was empty, which is when the
taker should be told: one notice is queued to the GUI thread however many values come before it
takes them. No Qt.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["Mailbox"]

T = TypeVar("T")


class Mailbox(Generic[T]):
    """A one-value slot, safe to use from any thread.

    ``merge(new, old)`` makes the value left when ``new`` is put over ``old`` not yet taken;
    without it the newer value replaces the older one.
    """

    def __init__(self, merge: Callable[[T, T], T] | None = None) -> None:
        self._lock = threading.Lock()
        self._value: T | None = None
        self._merge = merge

    def put(self, value: T) -> bool:
        """Leave ``value``; True when the slot was empty (the taker should be told)."""
        with self._lock:
            old = self._value
            if old is not None and self._merge is not None:
                value = self._merge(value, old)
            self._value = value
        return old is None

    def take(self) -> T | None:
        """The value waiting, or None; the slot is empty after."""
        with self._lock:
            value, self._value = self._value, None
        return value

    def empty(self) -> bool:
        with self._lock:
            return self._value is None
