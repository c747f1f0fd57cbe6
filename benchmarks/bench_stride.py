"""What a stride costs, and whether gathering columns first (polyphase) would make it cheaper.

Run ``python benchmarks/bench_stride.py [--repeats N]``. For dense 3x3, 5x5 and 7x7 kernels on a
12 MP RGB float32 picture ("valid"), it times ``filterstudio.convolve`` at strides 1-4 and prints
each stride's cost as a share of stride 1. Next to it runs the obvious alternative for the
columns: split each band into its ``s`` column phases with a nearest-neighbour resize (every
``s``-th column, contiguous), then filter each phase with its share of the kernel taps and add
the parts, so that only the output cells that exist are computed. Both use two threads over
bands; results are checked equal before timing. A ratio above 1 means the alternative is slower.
"""

from __future__ import annotations

import argparse
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np

from filterstudio.core.convolution import _scratch_array, convolve

BAND_ROWS = 48


def _column_phase(v: np.ndarray, s: int, width: int) -> np.ndarray:
    """Columns 0, s, 2s, ... of ``v``, ``width`` of them, as a contiguous array.

    Like the engine's intermediates, it lives in a buffer the thread reuses (slot 1), so that
    both sides pay the same for memory.
    """
    whole = min(width, v.shape[1] // s)
    out = _scratch_array(1, (v.shape[0], width) + v.shape[2:])
    cv2.resize(
        v[:, : s * whole], (whole, v.shape[0]), dst=out[:, :whole], interpolation=cv2.INTER_NEAREST
    )
    if whole < width:
        out[:, whole:] = v[:, s * whole :: s][:, : width - whole]
    return out


def _polyphase_band(band: np.ndarray, k: np.ndarray, s: int, out: np.ndarray) -> None:
    n, ow = out.shape[:2]
    first = True
    for q in range(min(s, k.shape[1])):
        kq = k[:, q::s]
        phase = _column_phase(band[:, q:], s, ow + kq.shape[1] - 1)
        for r in range(min(s, k.shape[0])):
            sub = np.ascontiguousarray(kq[r::s])
            rows = phase[r : r + (n + sub.shape[0] - 2) * s + 1 : s]
            buf = _scratch_array(0, rows.shape)
            part = cv2.filter2D(
                rows, -1, sub, dst=buf, anchor=(0, 0), borderType=cv2.BORDER_CONSTANT
            )
            if first:
                np.copyto(out, part[:n, :ow])
                first = False
            else:
                cv2.add(out, part[:n, :ow], dst=out)


def polyphase(x: np.ndarray, k: np.ndarray, s: int, pool: ThreadPoolExecutor) -> np.ndarray:
    kh, kw = k.shape
    oh, ow = (x.shape[0] - kh) // s + 1, (x.shape[1] - kw) // s + 1
    out = np.empty((oh, ow) + x.shape[2:], np.float32)
    jobs = []
    for i0 in range(0, oh, BAND_ROWS):
        i1 = min(oh, i0 + BAND_ROWS)
        band = x[i0 * s : (i1 - 1) * s + kh]
        jobs.append(pool.submit(_polyphase_band, band, k, s, out[i0:i1]))
    for job in jobs:
        job.result()
    return out


def median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    x = rng.random((3000, 4000, 3), dtype=np.float32)
    pool = ThreadPoolExecutor(2)
    print(
        f"12 MP RGB float32, 'valid', medians of {args.repeats}; polyphase / convolve > 1: slower"
    )
    print(
        f"{'kernel':8s}{'stride':>7s}{'convolve':>11s}{'% of s1':>9s}{'polyphase':>11s}{'ratio':>7s}"
    )
    for size in (3, 5, 7):
        k = rng.standard_normal((size, size)).astype(np.float32)
        base = None
        for s in (1, 2, 3, 4):
            ours = median_ms(lambda s=s, k=k: convolve(x, k, stride=s), args.repeats)
            base = base or ours
            row = f"{size}x{size}:{'':3s}{s:>7d}{ours:>9.1f}ms{100 * ours / base:>8.0f}%"
            if s > 1:
                want = convolve(x, k, stride=s)
                got = polyphase(x, k, s, pool)
                assert np.abs(got - want).max() < 1e-4, "polyphase disagrees with convolve"
                alt = median_ms(lambda s=s, k=k: polyphase(x, k, s, pool), args.repeats)
                row += f"{alt:>9.1f}ms{alt / ours:>7.2f}"
            print(row, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
