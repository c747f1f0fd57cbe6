"""Large arrays freed go straight back to the system: glibc's malloc told not to keep them.

The studio makes and drops feature maps of every size as strides, paddings and pictures change
(a 12 MP colour map is 137 MB; the same map at stride 3 is 15 MB). glibc serves allocations above
its *mmap threshold* with a mapping of their own, returned to the system when freed, and the rest
from its heaps, which return memory only from their top. The threshold is raised on its own each
time a mapped block is freed (up to 32 MB), so after the first big map is dropped, maps of a few
megabytes to 32 MB come from the heaps and their memory, freed in the middle, stays with the
process: after a few stride changes a 16-filter 12 MP studio held about 230 MB it no longer
used. A fixed threshold keeps every array of :data:`MMAP_THRESHOLD` bytes or more in a mapping
of its own. Elsewhere (macOS, Windows, musl) nothing is changed.

Fixing the threshold also fixes glibc's *trim threshold*, at 128 KB: the heap then gave its
top back at nearly every free, and the few arrays of 1 to 4 MB that every preview's display copy
makes were faulted in afresh each time (3.6 ms of a 12 MP preview's 4 ms of statistics). The
heap keeps up to :data:`TRIM_THRESHOLD` free at its top instead.

The price is a fresh mapping, faulted in page by page, for each array of 4 to 32 MB (a
preview, a strided map): ``benchmarks/bench_heap.py`` finds no measurable cost to a preview or
a stride change on the compute thread, and 64 MB less held by four 12 MP maps after them.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

__all__ = ["MMAP_THRESHOLD", "TRIM_THRESHOLD", "return_large_blocks"]

#: Allocations of this many bytes or more get a mapping of their own (and give it back when freed).
MMAP_THRESHOLD = 4 << 20
#: Free memory the heap may keep at its top rather than give back at once.
TRIM_THRESHOLD = 16 << 20

_M_TRIM_THRESHOLD = -1  # glibc's <malloc.h>
_M_MMAP_THRESHOLD = -3


def return_large_blocks(threshold: int = MMAP_THRESHOLD) -> bool:
    """Fix glibc's mmap threshold at ``threshold`` bytes and its trim threshold at
    :data:`TRIM_THRESHOLD`; True if they were set.

    Safe to call more than once and on any platform (False where there is no glibc).
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False  # not glibc (musl has no mallopt)
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    if not mallopt(_M_MMAP_THRESHOLD, int(threshold)):
        return False
    return bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
