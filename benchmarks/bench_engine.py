"""Engine benchmark: filterstudio.convolve against hand-written OpenCV, scipy, numpy and PyTorch.

Run ``python benchmarks/bench_engine.py`` (``--quick`` while iterating). Every contender computes
the same map; results are checked against OpenCV before anything is timed. Each repeat runs the
contenders of a case back to back, in a rotating order, so they share the machine's noise; the
table shows medians.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import cv2
import numpy as np

from filterstudio.core.convolution import convolve, output_shape, resolve_padding
from filterstudio.core.reference import convolve_reference

try:
    import scipy
    import scipy.ndimage as ndi
except ImportError:  # pragma: no cover - scipy is a bench extra
    scipy = ndi = None

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    torch = F = None

SIZES = {"6MP": (2000, 3000), "12MP": (3000, 4000)}
# The plain-numpy reference is too slow for full images: it runs on this crop and its time is
# scaled by the pixel count (it is linear in pixels), marked "~" in the table.
CROP = (500, 750)

_CV_BORDER = {"reflect": cv2.BORDER_REFLECT_101, "constant": cv2.BORDER_CONSTANT}
_SCIPY_MODE = {"reflect": "mirror", "constant": "constant"}


def kernels() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    g = cv2.getGaussianKernel(7, 0).astype(np.float64)
    return {
        "dense3": rng.standard_normal((3, 3)).astype(np.float32),
        "dense5": rng.standard_normal((5, 5)).astype(np.float32),
        "dense7": rng.standard_normal((7, 7)).astype(np.float32),
        "gauss7": (g @ g.T).astype(np.float32),
        "sobel3": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], np.float32),
    }


@dataclass
class Case:
    size: str
    kname: str
    stride: int
    padding: str  # "valid" or "same" (with reflect)
    times: dict[str, list[float]] = field(default_factory=dict)

    @property
    def border(self) -> str:
        return "reflect" if self.padding == "same" else "constant"

    @property
    def label(self) -> str:
        pad = "same+reflect" if self.padding == "same" else "valid"
        return f"{self.size} {self.kname} s{self.stride} {pad}"


def run_convolve(x, k, s, padding, border):
    return convolve(x, k, stride=s, padding=padding, border=border)


def run_opencv(x, k, s, padding, border):
    """What a person writes by hand: pad if needed, filter2D everything, slice the stride."""
    (pt, pb), (pl, pr) = resolve_padding(x.shape[:2], k.shape, stride=s, padding=padding)
    if pt or pb or pl or pr:
        x = cv2.copyMakeBorder(x, pt, pb, pl, pr, _CV_BORDER[border])
    y = cv2.filter2D(x, -1, k, anchor=(0, 0), borderType=cv2.BORDER_CONSTANT)
    oh = (x.shape[0] - k.shape[0]) // s + 1
    ow = (x.shape[1] - k.shape[1]) // s + 1
    return y[: (oh - 1) * s + 1 : s, : (ow - 1) * s + 1 : s]


def run_scipy(x, k, s, padding, border):
    (pt, pb), (pl, pr) = resolve_padding(x.shape[:2], k.shape, stride=s, padding=padding)
    y = ndi.correlate(x, k[:, :, None], mode=_SCIPY_MODE[border])
    # scipy centres the kernel at k // 2; SPEC's window for output i starts at i*s - pad_top.
    oh = (x.shape[0] + pt + pb - k.shape[0]) // s + 1
    ow = (x.shape[1] + pl + pr - k.shape[1]) // s + 1
    r0, c0 = k.shape[0] // 2 - pt, k.shape[1] // 2 - pl
    return y[r0 : r0 + (oh - 1) * s + 1 : s, c0 : c0 + (ow - 1) * s + 1 : s]


def run_torch(x, k, s, padding, border):
    (pt, pb), (pl, pr) = resolve_padding(x.shape[:2], k.shape, stride=s, padding=padding)
    c = x.shape[2]
    t = torch.from_numpy(x).permute(2, 0, 1)[None]
    if pt or pb or pl or pr:
        t = F.pad(t, (pl, pr, pt, pb), mode="reflect" if border == "reflect" else "constant")
    w = torch.from_numpy(k)[None, None].expand(c, 1, *k.shape).contiguous()
    with torch.no_grad():
        y = F.conv2d(t, w, stride=s, groups=c)
    return y[0].permute(1, 2, 0)


_floor_pool = ThreadPoolExecutor(2)


def memory_floor(x, k, s, padding, border):
    """What no engine can skip: read every input row the output needs, once, and write the
    output, once, into a fresh array; in bands on two threads, as the engine works. No
    arithmetic: the time a perfect strided engine would still take on this machine."""
    pt = resolve_padding(x.shape[:2], k.shape, stride=s, padding=padding)[0][0]
    oh, ow = output_shape(x.shape[:2], k.shape, stride=s, padding=padding)
    out = np.empty((oh, ow) + x.shape[2:], np.float32)
    step = 48

    def band(i0: int) -> None:
        i1 = min(oh, i0 + step)
        lo, hi = max(0, i0 * s - pt), min(x.shape[0], (i1 - 1) * s + k.shape[0] - pt)
        cv2.sumElems(x[lo:hi])
        out[i0:i1] = 0.0

    list(_floor_pool.map(band, range(0, oh, step)))
    return out


def tolerance(x, k) -> float:
    return 1e-4 * (1 + float(np.abs(k).sum()) * float(np.abs(x).max()))


def timed(fn: Callable, *args, **kwargs) -> float:
    t0 = time.perf_counter()
    fn(*args, **kwargs)
    return (time.perf_counter() - t0) * 1e3


def machine() -> str:
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    parts = [
        f"cpu: {cpu}",
        f"cores: {os.cpu_count()}",
        f"python {platform.python_version()}",
        f"numpy {np.__version__}",
        f"opencv {cv2.__version__} (threads {cv2.getNumThreads()})",
        f"scipy {scipy.__version__}" if scipy else "scipy: not installed",
        f"torch {torch.__version__} (threads {torch.get_num_threads()})"
        if torch
        else "torch: not installed (skipped)",
    ]
    return "\n".join(parts)


def fmt(v: float | None, spec: str = "8.1f") -> str:
    return format(v, spec) if v is not None else format("-", ">" + spec.split(".")[0])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="6 MP only, strides 1 and 2, 3 repeats")
    ap.add_argument("--repeats", type=int, default=None, help="repeats per case (default 7)")
    ap.add_argument("--scipy-repeats", type=int, default=1, help="scipy is slow: its repeats")
    ap.add_argument("--no-scipy", action="store_true", help="leave scipy out")
    args = ap.parse_args(argv)

    repeats = args.repeats or (3 if args.quick else 7)
    sizes = ["6MP"] if args.quick else ["6MP", "12MP"]
    strides = [1, 2] if args.quick else [1, 2, 3]
    use_scipy = ndi is not None and not args.no_scipy
    ks = kernels()

    print(machine())
    print(f"repeats: {repeats} (scipy {args.scipy_repeats}); medians in ms; RGB float32")
    print(f"numpy reference: timed on a {CROP[0]}x{CROP[1]} crop, scaled by pixel count (~)\n")

    rng = np.random.default_rng(0)
    images = {s: rng.random((*SIZES[s], 3), dtype=np.float32) for s in sizes}
    cases = [
        Case(size, kname, s, pad)
        for size in sizes
        for pad in ("valid", "same")
        for kname in ks
        for s in strides
    ]

    contenders: dict[str, Callable] = {"convolve": run_convolve, "opencv": run_opencv}
    if use_scipy:
        contenders["scipy"] = run_scipy
    if torch is not None:
        contenders["torch"] = run_torch

    for n, case in enumerate(cases):
        x, k = images[case.size], ks[case.kname]
        call = (k, case.stride, case.padding, case.border)
        ours = run_convolve(x, *call)
        tol = tolerance(x, k)
        for name, fn in contenders.items():
            got = np.asarray(fn(x, *call))
            if got.shape != ours.shape or float(np.abs(got - ours).max()) > tol:
                print(f"MISMATCH {case.label}: {name} disagrees with convolve", file=sys.stderr)
                return 1
        crop = np.ascontiguousarray(x[: CROP[0], : CROP[1]])
        ref = convolve_reference(
            crop, k, stride=case.stride, padding=case.padding, border=case.border
        )
        if float(np.abs(run_convolve(crop, *call) - ref).max()) > tolerance(crop, k):
            print(f"MISMATCH {case.label}: convolve disagrees with the reference", file=sys.stderr)
            return 1
        scale = x.shape[0] * x.shape[1] / (CROP[0] * CROP[1])
        names = list(contenders)
        for r in range(repeats):
            order = names[r % len(names) :] + names[: r % len(names)]
            for name in order:
                if name == "scipy" and r >= args.scipy_repeats:
                    continue
                case.times.setdefault(name, []).append(timed(contenders[name], x, *call))
            case.times.setdefault("floor", []).append(timed(memory_floor, x, *call))
            if r == 0:
                t = timed(
                    convolve_reference,
                    crop,
                    k,
                    stride=case.stride,
                    padding=case.padding,
                    border=case.border,
                )
                case.times["numpy"] = [t * scale]
        print(f"  [{n + 1}/{len(cases)}] {case.label}", file=sys.stderr)

    cols = ["convolve", "opencv", "scipy", "numpy~", "torch"]
    head = f"{'case':34s}" + "".join(f"{c:>10s}" for c in cols)
    head += f"{'conv/cv':>9s}{'scipy/conv':>11s}{'torch/conv':>11s}"
    print(head)
    print("-" * len(head))
    totals = dict.fromkeys(cols, 0.0)
    for case in cases:
        med = {n: statistics.median(v) for n, v in case.times.items()}
        med["numpy~"] = med.pop("numpy")
        row = f"{case.label:34s}"
        for c in cols:
            row += f"{fmt(med.get(c), '10.1f')}"
            if c in med:
                totals[c] += med[c]
        conv = med["convolve"]
        row += f"{conv / med['opencv']:9.2f}"
        row += fmt(med["scipy"] / conv if "scipy" in med else None, "11.1f")
        row += fmt(med["torch"] / conv if "torch" in med else None, "11.1f")
        print(row)
    print("-" * len(head))
    row = f"{'TOTAL (sum of medians)':34s}"
    for c in cols:
        row += fmt(totals[c] if totals[c] else None, "10.1f")
    row += f"{totals['convolve'] / totals['opencv']:9.2f}"
    row += fmt(totals["scipy"] / totals["convolve"] if totals["scipy"] else None, "11.1f")
    row += fmt(totals["torch"] / totals["convolve"] if totals["torch"] else None, "11.1f")
    print(row)

    print(
        "\nstride cost as % of stride 1 (convolve, medians); in brackets the memory floor at that"
        "\nstride: reading the input once and writing the output once, no arithmetic, as % of"
        "\nthe same stride-1 time:"
    )
    by_key = {(c.size, c.kname, c.padding, c.stride): c for c in cases}
    for size in sizes:
        for pad in ("valid", "same"):
            for kname in ks:
                base = statistics.median(by_key[(size, kname, pad, 1)].times["convolve"])
                parts = []
                for s in strides[1:]:
                    times = by_key[(size, kname, pad, s)].times
                    t = statistics.median(times["convolve"])
                    floor = statistics.median(times["floor"])
                    parts.append(f"s{s} {100 * t / base:5.1f}% ({100 * floor / base:4.1f}%)")
                label = "same+reflect" if pad == "same" else "valid"
                print(f"  {size} {kname} {label:13s} " + "  ".join(parts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
