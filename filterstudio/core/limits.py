"""The limits on what the studio computes, shared by the engine, the command line and bank files.

Kept free of heavy imports so that reading a bank file does not load OpenCV to learn them.
"""

from __future__ import annotations

import os

#: The largest padding given as a number, and the largest dilation and stride, accepted anywhere.
MAX_PADDING = 1000
MAX_DILATION = 100
MAX_STRIDE = 100
#: The most memory one convolution may need for its padded copy and its map, judged before work.
MAX_CALL_BYTES = 2 << 30
#: The smallest magnitude that rounds to infinity as a float32 (halfway past the largest float32).
FLOAT32_LIMIT = 2.0**128 - 2.0**103
#: A stack holds at most this many stages, and a stage reads at most this many maps (the depth
#: of a later conv stage's kernels; the first stage reads the picture's 1 to 4 channels).
MAX_STAGES = 8
MAX_STAGE_DEPTH = 64
#: The most memory one stage's maps may take together (every map of a stage is kept for the next).
MAX_STAGE_BYTES = 2 << 30


def default_workers() -> int:
    """Threads for work that runs on every core: one per core this process may use, at most 4."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(4, cores))
