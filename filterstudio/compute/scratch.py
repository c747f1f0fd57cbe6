"""Where exact maps beyond the memory budget are kept: read-only arrays backed by scratch files.

A 12 MP colour map is 137 MiB of float32; sixteen of them are more than a laptop can spare.
Past the budget (:func:`map_memory_budget`), the compute thread writes a new map to a scratch
file and keeps an array that reads it back through the operating system's page cache, as
photo editors do with their scratch disks: the values stay exact, the maps stay ``numpy``
arrays for every reader, and the memory they take can be given back to the system at any time.
The file is unlinked as soon as it is made, so it disappears with the array (or the process),
whatever happens; a full disk, or a folder that cannot be written, keeps the map in memory.
"""

from __future__ import annotations

import mmap
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = [
    "BUDGET_ENV",
    "DEFAULT_BUDGET",
    "MIN_SPILL_BYTES",
    "Scratch",
    "give_back",
    "map_memory_budget",
    "scratch_folder",
]

#: The environment variable that sets the budget, in MiB (``0``: keep every map in memory).
BUDGET_ENV = "FILTERSTUDIO_MAP_MEMORY"
#: The budget at most, when the environment does not set one: ten 12 MP colour maps.
DEFAULT_BUDGET = 1536 << 20
#: Maps smaller than this never go to a scratch file (a file per small map gains nothing).
MIN_SPILL_BYTES = 16 << 20
#: What the disk must keep free beyond the map for it to be written there.
FREE_MARGIN = 1 << 30


def map_memory_budget() -> int | None:
    """How many bytes of exact maps the compute thread keeps in memory; None: no limit.

    ``FILTERSTUDIO_MAP_MEMORY`` (MiB; 0 for no limit) sets it; otherwise a quarter of the
    machine's memory, between 512 MiB and :data:`DEFAULT_BUDGET`.
    """
    text = os.environ.get(BUDGET_ENV, "").strip()
    if text:
        try:
            mib = float(text)
        except ValueError:
            mib = -1.0
        if mib == 0:
            return None
        if mib > 0:
            return int(mib * (1 << 20))
    ram = _physical_memory()
    if ram is None:
        return DEFAULT_BUDGET
    return max(512 << 20, min(DEFAULT_BUDGET, ram // 4))


def _physical_memory() -> int | None:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def scratch_folder() -> Path:
    """The user's cache folder for scratch files (on disk, unlike many systems' ``/tmp``)."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or tempfile.gettempdir()
        return Path(base) / "filterstudio" / "scratch"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "filterstudio" / "scratch"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "filterstudio" / "scratch"


@dataclass(frozen=True)
class Spilled:
    """A map read back from its scratch file, and the mapping that backs it."""

    values: np.ndarray
    mapping: mmap.mmap

    def release_pages(self) -> None:
        """Give the pages read so far back to the system (they are read again when needed)."""
        _release(self.mapping)


def _release(mapping: mmap.mmap) -> None:
    flag = getattr(mmap, "MADV_DONTNEED", None)  # not on every system
    if flag is not None and hasattr(mapping, "madvise"):
        try:
            mapping.madvise(flag)
        except (OSError, ValueError):
            pass


def give_back(values: np.ndarray | None) -> None:
    """If ``values`` reads a scratch file, give the pages read so far back to the system (a
    reader that went through a whole map, e.g. an export, calls it when done); else nothing."""
    base = values
    while isinstance(base, np.ndarray):
        base = base.base
    mapping = base.obj if isinstance(base, memoryview) else None
    if isinstance(mapping, mmap.mmap):
        _release(mapping)


class Scratch:
    """Writes maps to unlinked scratch files in ``folder`` (default :func:`scratch_folder`)."""

    def __init__(self, folder: Path | None = None, min_bytes: int = MIN_SPILL_BYTES) -> None:
        self.folder = Path(folder) if folder is not None else scratch_folder()
        self.min_bytes = min_bytes
        #: Why the last map could not be written (None: it was, or none was tried).
        self.last_failure: str | None = None

    def spill(self, values: np.ndarray) -> Spilled | None:
        """``values`` as a read-only array backed by a scratch file; None to keep it in memory
        (too small, no room on the disk, or the folder cannot be written)."""
        if values.nbytes < max(self.min_bytes, 1):
            return None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            if shutil.disk_usage(self.folder).free < values.nbytes + FREE_MARGIN:
                self.last_failure = f"{self.folder} has too little free space"
                return None
            with tempfile.TemporaryFile(dir=self.folder, prefix="map-") as f:
                _write_rows(f, values)
                mapping = mmap.mmap(f.fileno(), values.nbytes, access=mmap.ACCESS_READ)
        except (OSError, ValueError) as exc:
            self.last_failure = str(exc)
            return None
        self.last_failure = None
        out = np.frombuffer(mapping, dtype=values.dtype).reshape(values.shape)
        return Spilled(out, mapping)


def _write_rows(f, values: np.ndarray, chunk_bytes: int = 8 << 20) -> None:
    """Write ``values`` in C order, a few rows at a time: a map cut out of a larger one (a
    valid padding's crop) is never copied whole."""
    row_bytes = max(1, values.nbytes // max(1, values.shape[0]))
    step = max(1, chunk_bytes // row_bytes)
    for i in range(0, values.shape[0], step):
        f.write(memoryview(np.ascontiguousarray(values[i : i + step]).reshape(-1)).cast("B"))
    f.flush()
