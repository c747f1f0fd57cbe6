"""Atomic file writes that leave nothing half-written behind, even when the process is stopped.

:func:`atomic_write` writes into a hidden temporary file beside the target and renames it over
the target only when the block succeeds. Every temporary file in progress is listed here, so that
:func:`remove_unfinished_writes` can delete them when the process is told to stop, and
:func:`stop_on_signals` installs handlers for SIGTERM, SIGHUP and SIGINT that do so and then end
the program with an exception (so ``finally`` blocks run) instead of dying mid-write.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import threading
from collections.abc import Callable, Iterator

__all__ = [
    "Stopped",
    "atomic_write",
    "check_target",
    "remove_unfinished_writes",
    "stop_on_signals",
    "unfinished_writes",
]

_lock = threading.Lock()
_unfinished: set[str] = set()
_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


class Stopped(BaseException):
    """The process was told to stop (SIGTERM, SIGHUP, SIGINT) while :func:`stop_on_signals` held.

    A ``BaseException``, like ``KeyboardInterrupt``, so that ``except Exception`` blocks do not
    swallow it. ``signum`` is the signal; ``exit_code`` is ``128 + signum``, as a shell reports.
    """

    def __init__(self, signum: int) -> None:
        self.signum = int(signum)
        self.exit_code = 128 + self.signum
        super().__init__(f"stopped by signal {self.signum}")


def unfinished_writes() -> tuple[str, ...]:
    """The temporary files of writes in progress (absolute paths)."""
    with _lock:
        return tuple(sorted(_unfinished))


def remove_unfinished_writes() -> None:
    """Delete the temporary file of every write in progress; the targets stay as they were.

    Safe to call from a signal handler or at exit: a write whose temporary file is removed
    fails when it tries to put it in place, and its target is left untouched.
    """
    with _lock:
        pending = list(_unfinished)
    for tmp in pending:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def _on_signal(signum: int, frame) -> None:  # noqa: ARG001 - the signal module's signature
    remove_unfinished_writes()
    raise Stopped(signum)


@contextlib.contextmanager
def stop_on_signals(signals: tuple[int, ...] | None = None) -> Iterator[None]:
    """While the block runs, SIGTERM, SIGHUP and SIGINT remove unfinished writes and raise.

    The handlers remove every temporary file in progress, then raise :class:`Stopped` in the
    main thread, so each ``atomic_write`` also cleans up as the exception passes. The previous
    handlers are put back afterwards. Outside the main thread this does nothing (Python lets
    only the main thread set handlers).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    if signals is None:
        signals = tuple(
            getattr(signal, name) for name in ("SIGTERM", "SIGHUP", "SIGINT") if hasattr(signal, name)
        )
    previous: dict[int, Callable | int | None] = {}
    try:
        for signum in signals:
            previous[signum] = signal.signal(signum, _on_signal)
        yield
    finally:
        for signum, handler in previous.items():
            with contextlib.suppress(OSError, ValueError, TypeError):
                signal.signal(signum, handler if handler is not None else signal.SIG_DFL)


def _umask() -> int:
    # os.umask can only be read by setting it, which races with other threads; /proc does not.
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def _new_temp(folder: str, base: str, suffix: str) -> str:
    """Create an empty private file beside the target, listed as unfinished before it exists."""
    for _ in range(100):
        tmp = os.path.join(folder, f".{base}.{os.urandom(4).hex()}{suffix}")
        with _lock:
            _unfinished.add(tmp)
        try:
            fd = os.open(tmp, _CREATE_FLAGS, 0o600)
        except FileExistsError:
            with _lock:
                _unfinished.discard(tmp)
            continue
        except BaseException:
            with _lock:
                _unfinished.discard(tmp)
            raise
        os.close(fd)
        return tmp
    raise FileExistsError(errno.EEXIST, "No free temporary name", folder)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, *, overwrite: bool = True) -> Iterator[str]:
    """Yield a temporary path beside ``path`` that replaces ``path`` only if the block succeeds.

    The temporary file has the same extension (so encoders that look at it pick the right
    format), is flushed to disk, and is renamed over ``path`` in one step: a reader sees the old
    file or the new one, never a partial one. On any failure, or when the process is stopped
    under :func:`stop_on_signals`, the temporary file is removed and ``path`` is left exactly as
    it was.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write.
    overwrite : bool
        If False, raise :class:`FileExistsError` when ``path`` exists (checked before writing and
        again, without a race, when the new file is put in place).

    Raises
    ------
    OSError
        From the file system (missing or read-only folder, full disk, ...).
    """
    target = os.fspath(path)
    if not overwrite and os.path.lexists(target):
        raise FileExistsError(errno.EEXIST, "File exists", target)
    folder = os.path.dirname(os.path.abspath(target))
    base = os.path.basename(target)
    suffix = os.path.splitext(base)[1]
    tmp = _new_temp(folder, base, suffix)
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        # The private temporary file gets the mode a plain open() would give the target.
        try:
            mode = os.stat(target).st_mode & 0o7777
        except OSError:
            mode = 0o666 & ~_umask()
        os.chmod(tmp, mode)
        if overwrite:
            os.replace(tmp, target)
        else:
            try:
                os.link(tmp, target)  # refuses, atomically, if the target appeared meanwhile
            except FileExistsError:
                raise
            except OSError:  # no hard links on this file system (FAT, some network shares)
                if os.path.lexists(target):
                    raise FileExistsError(errno.EEXIST, "File exists", target) from None
                os.replace(tmp, target)
            else:
                os.unlink(tmp)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    finally:
        with _lock:
            _unfinished.discard(tmp)
    _sync_folder(folder)


def check_target(path: str, *, overwrite: bool, error: type[Exception]) -> None:
    """Refuse, as ``error`` with one sentence, a ``path`` that :func:`atomic_write` cannot fill.

    A folder, a path in a folder that does not exist, and (unless ``overwrite``) a file that
    exists are refused before any work is spent on what would be written.
    """
    name = repr(os.path.basename(path) or path)
    if os.path.isdir(path):
        raise error(f"Cannot save to {name}: it is a folder.")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise error(f"Cannot write {name}: the folder {folder!r} does not exist.")
    if not overwrite and os.path.lexists(path):
        raise error(f"{name} already exists.")


def _sync_folder(folder: str) -> None:
    """Make the rename itself durable where the platform allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
