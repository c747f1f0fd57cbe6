"""Arrays made read-only in one way: what crosses threads or sits in a frozen record."""

from __future__ import annotations

import numpy as np


def read_only(arr: np.ndarray | None) -> np.ndarray | None:
    """``arr`` itself, no longer writable (None passes through)."""
    if arr is not None:
        arr.setflags(write=False)
    return arr


def read_only_copy(values, dtype=np.float32) -> np.ndarray:
    """A new read-only array of ``values`` as ``dtype``; ``values`` itself is left as it is."""
    arr = np.array(values, dtype=dtype, copy=True)
    arr.setflags(write=False)
    return arr
