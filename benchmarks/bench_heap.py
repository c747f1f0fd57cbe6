"""What the fixed mmap threshold (core.heap) costs the compute thread, and what it saves.

Run ``python benchmarks/bench_heap.py [--rounds N] [--reps N] [--threshold MB]``. The
threshold changes only where glibc takes allocations of 4 MB to 32 MB from (a mapping of their
own, faulted in afresh, instead of the heaps' reused memory), so this times the compute work
that makes such arrays, exactly as the studio's compute thread does it (``process_request``
with the studio's cache): the preview of an edited 12 MP colour map (about 7 MB), and the full
maps of a stride change (1 -> 2 -> 3 -> 4 -> 1: 137, 34, 15, 9 MB maps, each replacing the
last). Each round runs one process without the threshold and one with it, in alternating
order, and prints the median time per preview and per stride cycle, and the process's
resident memory at the end (what glibc keeps of the arrays freed). A ratio above 1 means the
threshold is slower; the ratio within each pair (run back to back, under the same load) is
the steadier figure on a busy machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

from filterstudio.core.heap import MMAP_THRESHOLD

CHILD = r"""
import json, statistics, sys, time
import cv2, numpy as np
if sys.argv[1] != "none":
    from filterstudio.core.heap import return_large_blocks
    assert return_large_blocks(int(sys.argv[1]))
from filterstudio.compute.cache import MapCache
from filterstudio.compute.process import planned, process_request
from filterstudio.compute.requests import ComputeRequest
from filterstudio.core.kernels import random_kernel
from filterstudio.core.samples import load_sample
from filterstudio.model.bank import Filter, Layer

reps = int(sys.argv[2])
pixels = cv2.resize(load_sample("photo"), (4000, 3000), interpolation=cv2.INTER_CUBIC).clip(0, 1)
pixels.setflags(write=False)
cache = MapCache()
filters = [Filter(f"f{i}", random_kernel(7, seed=i)) for i in range(4)]
generation = 0

def ask(flt, layer):
    global generation
    generation += 1
    return ComputeRequest(generation, flt.uid, 1, pixels, flt, layer, max_display_side=480)

for flt in filters:  # every map exact first, as after a picture is opened
    process_request(ask(flt, Layer()), cache)
previews = []
for n in range(reps * 8):
    k = filters[0].kernel.copy()
    k[1, 1] += 0.01 * (n + 1)
    req = planned(ask(filters[0].with_kernel(k), Layer()), cache)
    t = time.perf_counter()
    assert process_request(req, cache).preview > 1
    previews.append(time.perf_counter() - t)
cycles = []
for _ in range(reps):
    t = time.perf_counter()
    for s in (2, 3, 4, 1):
        for flt in filters:
            process_request(ask(flt, Layer(stride=s)), cache)
    cycles.append(time.perf_counter() - t)
with open("/proc/self/statm") as f:
    rss = int(f.read().split()[1]) * 4096 / 2**20
print(json.dumps({"preview": statistics.median(previews), "cycle": statistics.median(cycles), "rss": rss}))
"""


def run(threshold: str, reps: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, threshold, str(reps)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=4, help="pairs of processes, order alternating")
    ap.add_argument("--reps", type=int, default=5, help="stride cycles per process (8x previews)")
    ap.add_argument(
        "--threshold", type=float, default=MMAP_THRESHOLD / 2**20, help="MB (default: the studio's)"
    )
    args = ap.parse_args()
    arg = {"without": "none", "with": str(int(args.threshold * 2**20))}
    print(f"threshold {args.threshold:g} MB")
    got: dict[str, list[dict]] = {"without": [], "with": []}
    for r in range(args.rounds):
        order = ("without", "with") if r % 2 == 0 else ("with", "without")
        for kind in order:
            got[kind].append(run(arg[kind], args.reps))
            g = got[kind][-1]
            print(
                f"round {r + 1} {kind:>7}: preview {g['preview'] * 1000:6.1f} ms, "
                f"stride cycle {g['cycle'] * 1000:7.0f} ms, resident {g['rss']:5.0f} MB"
            )

    def med(kind: str, key: str) -> float:
        return statistics.median(g[key] for g in got[kind])

    print(
        "medians over rounds      without threshold      with   ratio of medians   median ratio of pairs"
    )
    for key, unit, scale in (("preview", "ms", 1000), ("cycle", "ms", 1000), ("rss", "MB", 1)):
        a, b = med("without", key) * scale, med("with", key) * scale
        pairs = statistics.median(w[key] / o[key] for w, o in zip(got["with"], got["without"]))
        print(f"{key:<24}{a:>12.1f} {unit}{b:>9.1f} {unit}{b / a:>13.2f}{pairs:>18.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
