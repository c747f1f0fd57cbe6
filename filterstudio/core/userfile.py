"""Open a file a user named for reading: regular files only, never blocking, never past a limit.

Every file the studio reads on a user's behalf (pictures, kernel files, banks, sessions, weights)
goes through :func:`open_user_file` or :func:`read_user_file`. The rules:

* The path is looked up first (``os.stat``, following links): only a regular file is opened.
  A folder, a named pipe (FIFO), a device (``/dev/zero``, a terminal), or a socket is refused
  with one sentence before anything is opened, so nothing can wait for a writer for ever.
* The file is then opened with ``O_NONBLOCK`` and looked at again through its descriptor
  (``os.fstat``): a path swapped for a pipe between the two looks is refused, not read.
* A file larger than the caller's limit is refused before it is read, and a read never takes
  more than the limit (``/proc`` files report size 0; files may grow while they are read).
"""

from __future__ import annotations

import os
import stat
from typing import BinaryIO

__all__ = ["describe_size", "display_name", "open_user_file", "read_user_file"]

_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_OPEN_FLAGS = (
    os.O_RDONLY
    | _NONBLOCK
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_BINARY", 0)
)


def display_name(path: str) -> str:
    """The file's name as messages show it: ``'photo.png'``."""
    return repr(os.path.basename(path) or path)


def describe_size(n: int) -> str:
    """``n`` bytes in words: ``512 bytes``, ``14 KB``, ``3.2 MB``, ``8.0 GB``."""
    if n < 1024:
        return f"{n} bytes"
    if n < 1024**2:
        return f"{n / 1024:.0f} KB"
    if n < 1024**3:
        return f"{n / 1024**2:.1f} MB"
    return f"{n / 1024**3:.1f} GB"


def _as_path(path: str | os.PathLike, error: type[ValueError]) -> str:
    try:
        p = os.fspath(path)
    except TypeError:
        raise error(f"{path!r} is not a file path.") from None
    if isinstance(p, bytes):
        p = os.fsdecode(p)
    if not p:
        raise error("No file was named (the path is empty).")
    if "\x00" in p:
        raise error("The file name holds a null character, so it cannot name a file.")
    return p


def _kind(mode: int) -> str | None:
    """What a non-regular file is, in words; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _refuse_kind(p: str, kind: str, what: str, error: type[ValueError]) -> ValueError:
    return error(f"{display_name(p)} is {kind}, not a {what}; only regular files are read.")


def _os_error(p: str, exc: OSError, what: str, error: type[ValueError]) -> ValueError:
    if isinstance(exc, FileNotFoundError):
        return error(f"There is no file at {p!r}.")
    if isinstance(exc, PermissionError):
        return error(f"{display_name(p)} cannot be read: permission denied.")
    if isinstance(exc, NotADirectoryError):
        return error(f"There is no file at {p!r} (a part of the path is not a folder).")
    reason = (exc.strerror or str(exc) or type(exc).__name__).rstrip(".")
    return error(f"{display_name(p)} cannot be read: {reason}.")


def _too_large(p: str, size: int, max_bytes: int, what: str, error: type[ValueError]):
    return error(
        f"{display_name(p)} is {describe_size(size)}; a {what} is at most "
        f"{describe_size(max_bytes)}."
    )


def open_user_file(
    path: str | os.PathLike,
    *,
    max_bytes: int | None,
    what: str = "file",
    error: type[ValueError] = ValueError,
) -> BinaryIO:
    """Open the regular file at ``path`` for reading in binary mode, or refuse with a sentence.

    Parameters
    ----------
    path : str or os.PathLike
        The file a user named.
    max_bytes : int or None
        A larger file is refused before it is opened (None: no size limit; readers of such
        files must bound what they read themselves).
    what : str
        What the file should be, for messages: ``"picture"``, ``"bank file"``...
    error : type
        The ``ValueError`` subclass raised, so that each caller keeps its own error type.

    Returns
    -------
    file object
        Open in binary mode, blocking again (it is a regular file); the caller closes it.

    Raises
    ------
    error
        Missing, unreadable, not a regular file, or too large.
    """
    p = _as_path(path, error)
    try:
        before = os.stat(p)
    except OSError as exc:
        raise _os_error(p, exc, what, error) from None
    except ValueError:  # e.g. a path too long for the platform's API
        raise error(f"{p[:60]!r}... cannot name a file.") from None
    kind = _kind(before.st_mode)
    if kind is not None:
        raise _refuse_kind(p, kind, what, error)
    if max_bytes is not None and before.st_size > max_bytes:
        raise _too_large(p, before.st_size, max_bytes, what, error)
    try:
        fd = os.open(p, _OPEN_FLAGS)
    except OSError as exc:
        raise _os_error(p, exc, what, error) from None
    try:
        after = os.fstat(fd)
        kind = _kind(after.st_mode)
        if kind is not None:  # swapped between the two looks
            raise _refuse_kind(p, kind, what, error)
        if max_bytes is not None and after.st_size > max_bytes:
            raise _too_large(p, after.st_size, max_bytes, what, error)
        if _NONBLOCK:
            import fcntl

            flags = fcntl.fcntl(fd, fcntl.F_GETFL)
            fcntl.fcntl(fd, fcntl.F_SETFL, flags & ~_NONBLOCK)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_user_file(
    path: str | os.PathLike,
    *,
    max_bytes: int,
    what: str = "file",
    error: type[ValueError] = ValueError,
) -> bytes:
    """The whole content of the regular file at ``path``, at most ``max_bytes`` bytes.

    Refused as :func:`open_user_file` refuses, and also when more than ``max_bytes`` bytes
    arrive (a file that grew while it was read, or one of ``/proc`` that reports size 0).
    """
    with open_user_file(path, max_bytes=max_bytes, what=what, error=error) as f:
        p = _as_path(path, error)
        try:
            data = f.read(max_bytes + 1)
        except OSError as exc:
            raise _os_error(p, exc, what, error) from None
    if len(data) > max_bytes:
        raise error(f"{display_name(p)} is larger than a {what} may be ({describe_size(max_bytes)}).")
    return data
