"""NumPy ``.npy`` and ``.npz`` files read header first: type, shape and size checked before data.

``numpy.load`` reads (or maps) a whole array before anyone can look at its shape, and inflates a
``.npz`` member whole. Here the header is parsed on its own (``numpy.lib.format``), the caller's
rules and a byte limit are applied to it, and only then are exactly the array's bytes read.
Only plain numbers are read (booleans, integers, floats): never objects, so never pickles.
"""

from __future__ import annotations

import contextlib
import math
import os
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO

import numpy as np
from numpy.lib import format as npformat

from .userfile import describe_size, open_user_file

if TYPE_CHECKING:  # zipfile is imported when an archive is opened, not at start-up
    import zipfile

__all__ = ["NPY_MAGIC", "ZIP_MAGIC", "NpyHeader", "NpzArchive", "open_npz", "read_npy"]

NPY_MAGIC = b"\x93NUMPY"
ZIP_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP = b"PK\x05\x06"
#: At most this many members are looked at in a .npz archive.
MAX_MEMBERS = 1024
_MAX_HEADER = 10_000


@dataclass(frozen=True)
class NpyHeader:
    """What an array's header claims: its shape, element type and memory order."""

    shape: tuple[int, ...]
    dtype: np.dtype
    fortran_order: bool

    @property
    def nbytes(self) -> int:
        """Bytes of the array's data (a Python int: never overflows)."""
        return math.prod(self.shape) * self.dtype.itemsize

    def describe(self) -> str:
        """``(3, 3, 1, 64) float32``."""
        return "(" + ", ".join(str(n) for n in self.shape) + f") {self.dtype}"


def _header(fp: BinaryIO, name: str, error: type[ValueError]) -> NpyHeader:
    try:
        version = npformat.read_magic(fp)
        if version == (1, 0):
            shape, fortran, dtype = npformat.read_array_header_1_0(fp, max_header_size=_MAX_HEADER)
        elif version == (2, 0):
            shape, fortran, dtype = npformat.read_array_header_2_0(fp, max_header_size=_MAX_HEADER)
        else:
            raise error(f"{name} is a NumPy file of a version ({version[0]}.{version[1]}) "
                        "that Filter Studio does not read.")
    except error:
        raise
    except Exception:  # noqa: BLE001 - numpy reports bad headers as ValueError, EOFError, ...
        raise error(f"{name} is not a readable NumPy array: its header is damaged.") from None
    dtype = np.dtype(dtype)
    if dtype.hasobject or dtype.fields is not None or dtype.subdtype is not None or (
        dtype.kind not in "biuf"
    ):
        raise error(f"{name} holds {dtype} values, not real numbers.")
    return NpyHeader(tuple(int(n) for n in shape), dtype, bool(fortran))


def _check(header: NpyHeader, name: str, max_bytes: int, error: type[ValueError]) -> None:
    if header.nbytes > max_bytes:
        raise error(
            f"{name} claims an array of shape {header.describe()} "
            f"({describe_size(header.nbytes)}), too large for what it should hold "
            f"(at most {describe_size(max_bytes)})."
        )


def _data(fp: BinaryIO, header: NpyHeader, name: str, error: type[ValueError]) -> np.ndarray:
    n = header.nbytes
    try:
        raw = fp.read(n) if n else b""
    except Exception as exc:  # noqa: BLE001 - a member's CRC (BadZipFile), I/O, a short read
        raise error(f"{name} is damaged: its array could not be read ({type(exc).__name__}).") from None
    if len(raw) < n:
        raise error(f"{name} is cut short: it holds fewer values than its header says.")
    arr = np.frombuffer(raw, dtype=header.dtype)
    order = "F" if header.fortran_order else "C"
    return arr.reshape(header.shape, order=order)


def read_npy(
    path: str | os.PathLike,
    *,
    max_bytes: int,
    max_file_bytes: int | None = None,
    check: Callable[[NpyHeader], None] | None = None,
    what: str = "NumPy array",
    error: type[ValueError] = ValueError,
) -> np.ndarray:
    """The array of a ``.npy`` file, read only after its header passed every check.

    Parameters
    ----------
    path : str or os.PathLike
        A regular file (see :func:`~filterstudio.core.userfile.open_user_file`).
    max_bytes : int
        An array whose data would be larger is refused from its header alone.
    max_file_bytes : int, optional
        A larger file is refused before it is opened (default: ``max_bytes`` plus the header).
    check : callable, optional
        Called with the :class:`NpyHeader` before any data is read; raises to refuse.
    what, error
        For messages, as in ``open_user_file``.

    Returns
    -------
    numpy.ndarray
        Read-only, of the header's shape and type.

    Raises
    ------
    error
        One sentence: not a regular file, not a .npy file (a .npz archive is named as such),
        an object or structured type, too large, damaged or cut short.
    """
    name = os.path.basename(os.fsdecode(os.fspath(path))) or os.fsdecode(os.fspath(path))
    limit = max_file_bytes if max_file_bytes is not None else max_bytes + 65_536
    with open_user_file(path, max_bytes=limit, what=what, error=error) as fp:
        start = fp.read(len(NPY_MAGIC))
        if start[:4] in (ZIP_MAGIC, _EMPTY_ZIP):
            raise error(
                f"{name} is a NumPy .npz archive (several arrays), not a single .npy array; "
                "rename it to end in .npz."
            )
        if start != NPY_MAGIC:
            raise error(f"{name} is not a readable NumPy .npy file.")
        fp.seek(0)
        header = _header(fp, name, error)
        _check(header, name, max_bytes, error)
        if check is not None:
            check(header)
        return _data(fp, header, name, error)


def _zip_entries(fp: BinaryIO) -> int | None:
    """The entry count in a zip's end record, or None if it cannot be found."""
    import zipfile

    try:
        record = zipfile._EndRecData(fp)  # the reader zipfile itself uses, without listing
    except (OSError, struct.error, AttributeError):
        return None
    if not record:
        return None
    return int(record[zipfile._ECD_ENTRIES_TOTAL])


class NpzArchive:
    """The arrays of an open ``.npz`` file: headers of every member, data only on request."""

    def __init__(self, zf: zipfile.ZipFile, name: str, error: type[ValueError]) -> None:
        self._zf = zf
        self._name = name
        self._error = error
        self._members: dict[str, zipfile.ZipInfo] = {}
        for info in zf.infolist():
            if info.filename.endswith(".npy") and not info.is_dir():
                self._members.setdefault(info.filename[: -len(".npy")], info)
        self._headers: dict[str, NpyHeader] = {}

    @property
    def keys(self) -> list[str]:
        """Array names, in the archive's order."""
        return list(self._members)

    def header(self, key: str) -> NpyHeader:
        """The header of array ``key`` (only its first bytes are inflated)."""
        if key not in self._headers:
            where = f"{self._name} (array {key!r})"
            try:
                with self._zf.open(self._members[key]) as member:
                    self._headers[key] = _header(member, where, self._error)
            except self._error:
                raise
            except Exception:  # noqa: BLE001 - zip errors of many kinds
                raise self._error(f"{where} cannot be read: the archive is damaged.") from None
        return self._headers[key]

    def read(self, key: str, *, max_bytes: int) -> np.ndarray:
        """The array ``key``, read only if its header passes ``max_bytes``."""
        header = self.header(key)
        where = f"{self._name} (array {key!r})"
        _check(header, where, max_bytes, self._error)
        try:
            with self._zf.open(self._members[key]) as member:
                _header(member, where, self._error)
                return _data(member, header, where, self._error)
        except self._error:
            raise
        except Exception:  # noqa: BLE001 - zip errors of many kinds
            raise self._error(f"{where} cannot be read: the archive is damaged.") from None


@contextlib.contextmanager
def open_npz(
    path: str | os.PathLike,
    *,
    max_file_bytes: int,
    what: str = "NumPy archive",
    error: type[ValueError] = ValueError,
) -> Iterator[NpzArchive]:
    """Open a ``.npz`` archive whose members are read header first (see :class:`NpzArchive`).

    Refused with one sentence: not a regular file, larger than ``max_file_bytes``, a single
    ``.npy`` array (named as such), not a zip archive, or more than ``MAX_MEMBERS`` members.
    """
    name = os.path.basename(os.fsdecode(os.fspath(path))) or os.fsdecode(os.fspath(path))
    with open_user_file(path, max_bytes=max_file_bytes, what=what, error=error) as fp:
        start = fp.read(len(NPY_MAGIC))
        if start == NPY_MAGIC:
            raise error(
                f"{name} is a single NumPy .npy array, not a .npz archive; rename it to end "
                "in .npy."
            )
        if start[:4] not in (ZIP_MAGIC, _EMPTY_ZIP):
            raise error(f"{name} is not a NumPy .npz file (it is not a zip archive).")
        entries = _zip_entries(fp)
        if entries is None:
            raise error(f"{name} is not a readable NumPy .npz file.")
        if entries > MAX_MEMBERS:
            raise error(
                f"{name} holds {entries} entries; a weights archive is read with at most "
                f"{MAX_MEMBERS}."
            )
        fp.seek(0)
        import zipfile

        try:
            zf = zipfile.ZipFile(fp)
        except Exception:  # noqa: BLE001 - zipfile reports damage in many ways
            raise error(f"{name} is not a readable NumPy .npz file.") from None
        with zf:
            yield NpzArchive(zf, name, error)
