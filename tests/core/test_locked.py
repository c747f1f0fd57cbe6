"""locked(): a property read under its owner's lock, read-only, documented."""

from __future__ import annotations

import threading

import pytest

from filterstudio.core.locked import locked


class _RecordingLock:
    """A lock that notes whether it is held when the value is read."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.held_during: list[bool] = []

    def __enter__(self):
        self._lock.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self._lock.release()

    def locked(self) -> bool:
        return self._lock.locked()


class _Worker:
    count = locked("_count", "Times counted.")
    idle = locked(lambda w: w._note_held() and w._count == 0, "Nothing counted yet.", lock="_cond")

    def __init__(self) -> None:
        self._lock = self._cond = _RecordingLock()
        self._count = 0

    def _note_held(self) -> bool:
        self._lock.held_during.append(self._lock.locked())
        return True

    def __getattribute__(self, name):
        if name == "_count":
            lock = object.__getattribute__(self, "_lock")
            lock.held_during.append(lock.locked())
        return object.__getattribute__(self, name)


def test_reads_the_attribute_or_function_under_the_named_lock():
    w = _Worker()
    assert w.count == 0 and w.idle
    w._count = 3
    assert w.count == 3 and not w.idle
    assert w._lock.held_during and all(w._lock.held_during)


def test_read_only_and_documented_on_the_class():
    w = _Worker()
    with pytest.raises(AttributeError, match="count is read-only"):
        w.count = 5
    assert _Worker.count.__doc__ == "Times counted."
    assert _Worker.idle.__doc__ == "Nothing counted yet."
