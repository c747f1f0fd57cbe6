"""Read-only properties of an object shared with a worker thread, each read under its lock.

An object whose worker thread updates counters and flags (a frame reader, a recorder) shows
them to the consumer's thread as properties; each read takes the object's lock, so it sees
the value as the worker last left it, never one half-way through an update. Writing such a
property as ``locked("_dropped", "Frames replaced ...")`` says that in one line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["locked"]


class locked:  # lower case, as ``property`` is
    """A read-only property: ``read`` (an attribute name, or a function of the object) under a lock.

    ``lock`` names the object's attribute that holds the lock (a ``threading.Lock``, ``RLock``
    or ``Condition``).

    >>> import threading
    >>> class Counter:
    ...     count = locked("_count", "Times counted.")
    ...     def __init__(self):
    ...         self._lock, self._count = threading.Lock(), 3
    >>> Counter().count
    3
    """

    def __init__(
        self, read: str | Callable[[Any], Any], doc: str | None = None, *, lock: str = "_lock"
    ) -> None:
        self._read = (lambda obj: getattr(obj, read)) if isinstance(read, str) else read
        self._lock = lock
        self.__doc__ = doc

    def __set_name__(self, owner: type, name: str) -> None:
        self.__name__ = name

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        with getattr(obj, self._lock):
            return self._read(obj)

    def __set__(self, obj: Any, value: Any) -> None:
        raise AttributeError(f"{self.__name__} is read-only.")
