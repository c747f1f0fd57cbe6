"""Atomic file replacement for the model's files: the old file stays whole if a save fails."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from typing import BinaryIO

# Read once at import (single-threaded then): os.umask can only be read by setting it.
_UMASK = os.umask(0)
os.umask(_UMASK)


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, *, overwrite: bool = True) -> Iterator[BinaryIO]:
    """Yield a binary file in ``path``'s folder that replaces ``path`` only if the block succeeds.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write.
    overwrite : bool
        If False, raise :class:`FileExistsError` when ``path`` exists (checked before writing
        and again, without a race, when the new file is put in place).

    Raises
    ------
    OSError
        From the file system; the temporary file is removed and ``path`` is left as it was.
    """
    target = os.fspath(path)
    if not overwrite and os.path.exists(target):
        raise FileExistsError(target)
    folder = os.path.dirname(os.path.abspath(target))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(target)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        # mkstemp makes the file private (0600); give it the mode a plain open() would have.
        try:
            mode = os.stat(target).st_mode & 0o7777
        except OSError:
            mode = 0o666 & ~_UMASK
        os.chmod(tmp, mode)
        if overwrite:
            os.replace(tmp, target)
        else:
            try:
                os.link(tmp, target)  # fails if the target appeared meanwhile
            except FileExistsError:
                raise
            except OSError:  # no hard links here (FAT, some network shares)
                if os.path.exists(target):
                    raise FileExistsError(target) from None
                os.replace(tmp, target)
            else:
                os.unlink(tmp)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
