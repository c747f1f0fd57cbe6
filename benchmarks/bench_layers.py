"""Layer benchmark: filterstudio.conv2d and pool2d against PyTorch, OpenCV, scipy and numpy.

Run ``python benchmarks/bench_layers.py`` (``--quick`` while iterating; ``--rule`` prints what
each of conv2d's two engines costs, beside the engine its rule picks). Every contender computes
the same maps from the same HWC float32 arrays; results are checked against conv2d/pool2d
before anything is timed. Each repeat runs the contenders of a case back to back, in a rotating
order, so they share the machine's noise; the table shows medians in ms.

PyTorch is timed on NCHW tensors made beforehand (its best case: no layout change is counted).
scipy and numpy are slow on whole pictures: they run on a crop and their time is scaled by the
number of output cells (both are linear in it), marked "~".
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

from filterstudio.core import conv2d as layer
from filterstudio.core.conv2d import conv2d
from filterstudio.core.pooling import pool2d

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

SIZES = {"1MP": (1000, 1000), "6MP": (2000, 3000)}
CROP = (200, 300)


@dataclass
class ConvCase:
    size: str
    c_in: int
    c_out: int
    k: int
    stride: int
    padding: int
    times: dict[str, list[float]] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.size} {self.c_in}->{self.c_out} {self.k}x{self.k} s{self.stride} p{self.padding}"


@dataclass
class PoolCase:
    size: str
    channels: int
    k: int
    stride: int
    padding: int
    mode: str
    times: dict[str, list[float]] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.size} C{self.channels} {self.mode} {self.k}x{self.k} s{self.stride} p{self.padding}"


# --------------------------------------------------------------------------- conv contenders


def conv_ours(x, w, case):
    return conv2d(x, w, stride=case.stride, padding=case.padding)


def conv_opencv(x, w, case):
    """What a person writes by hand: pad once, filter2D every (output, input) pair, sum,
    slice the stride, stack the maps."""
    p, s = case.padding, case.stride
    planes = [np.ascontiguousarray(x[:, :, c]) for c in range(x.shape[2])]
    if p:
        planes = [cv2.copyMakeBorder(q, p, p, p, p, cv2.BORDER_CONSTANT, value=0) for q in planes]
    k = w.shape[2]
    oh = (planes[0].shape[0] - k) // s + 1
    ow = (planes[0].shape[1] - k) // s + 1
    maps = []
    for o in range(w.shape[0]):
        acc = None
        for c, q in enumerate(planes):
            y = cv2.filter2D(q, -1, w[o, c], anchor=(0, 0), borderType=cv2.BORDER_CONSTANT)
            acc = y if acc is None else cv2.add(acc, y)
        maps.append(acc[: (oh - 1) * s + 1 : s, : (ow - 1) * s + 1 : s])
    return np.dstack(maps)


def conv_scipy(x, w, case):
    """scipy.ndimage.correlate per pair of maps (it centres the kernel: shift, then slice)."""
    p, s = case.padding, case.stride
    k = w.shape[2]
    xp = np.pad(x, ((p, p), (p, p), (0, 0)))
    oh = (xp.shape[0] - k) // s + 1
    ow = (xp.shape[1] - k) // s + 1
    out = np.zeros((oh, ow, w.shape[0]), np.float32)
    c0 = k // 2
    for o in range(w.shape[0]):
        for c in range(x.shape[2]):
            y = ndi.correlate(xp[:, :, c], w[o, c], mode="constant")
            out[:, :, o] += y[c0 : c0 + (oh - 1) * s + 1 : s, c0 : c0 + (ow - 1) * s + 1 : s]
    return out


def conv_numpy(x, w, case):
    """The numpy one-liner: every window as a view, one tensordot with all filters."""
    p, s = case.padding, case.stride
    xp = np.pad(x, ((p, p), (p, p), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(xp, w.shape[2:], axis=(0, 1))[::s, ::s]
    return np.tensordot(windows, w, axes=([2, 3, 4], [1, 2, 3]))


def conv_torch(t, wt, case):
    with torch.no_grad():
        return F.conv2d(t, wt, stride=case.stride, padding=case.padding)


# --------------------------------------------------------------------------- pool contenders


def pool_ours(x, case):
    return pool2d(x, case.k, stride=case.stride, padding=case.padding, mode=case.mode)


def pool_opencv(x, case):
    """By hand: dilate (max) or a normalised box filter (avg) over everything, slice the stride."""
    k, s, p = case.k, case.stride, case.padding
    h, w = x.shape[:2]
    oh, ow = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
    if case.mode == "max":
        y = cv2.dilate(x, np.ones((k, k), np.uint8), anchor=(p, p),
                       borderType=cv2.BORDER_CONSTANT, borderValue=(-np.inf,) * 4)
    else:
        y = cv2.boxFilter(x, -1, (k, k), anchor=(p, p), normalize=True,
                          borderType=cv2.BORDER_CONSTANT)
    return y[: (oh - 1) * s + 1 : s, : (ow - 1) * s + 1 : s]


def pool_numpy(x, case):
    """Windows side by side: the reshape trick; otherwise every window as a view."""
    k, s, p = case.k, case.stride, case.padding
    fill = -np.inf if case.mode == "max" else 0.0
    xp = np.pad(x, ((p, p), (p, p), (0, 0)), constant_values=fill) if p else x
    reduce = np.max if case.mode == "max" else np.mean
    if k == s:
        oh, ow = xp.shape[0] // k, xp.shape[1] // k
        blocks = xp[: oh * k, : ow * k].reshape(oh, k, ow, k, -1)
        return reduce(blocks, axis=(1, 3))
    windows = np.lib.stride_tricks.sliding_window_view(xp, (k, k), axis=(0, 1))[::s, ::s]
    return reduce(windows, axis=(3, 4))


def pool_torch(t, case):
    k, s, p = case.k, case.stride, case.padding
    if case.mode == "max":
        return F.max_pool2d(t, k, s, p)
    return F.avg_pool2d(t, k, s, p, ceil_mode=False, count_include_pad=True)


# --------------------------------------------------------------------------- running


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
    return "\n".join([
        f"cpu: {cpu}, cores: {os.cpu_count()}, python {platform.python_version()}",
        f"numpy {np.__version__}, opencv {cv2.__version__} (threads {cv2.getNumThreads()})",
        f"scipy {scipy.__version__}" if scipy else "scipy: not installed (skipped)",
        f"torch {torch.__version__} (threads {torch.get_num_threads()})"
        if torch else "torch: not installed (skipped)",
    ])


def nchw(x):
    return torch.from_numpy(np.ascontiguousarray(np.moveaxis(x, 2, 0)))[None]


def check(name, got, want, tol, label) -> bool:
    if torch is not None and isinstance(got, torch.Tensor):
        got = np.moveaxis(got[0].numpy(), 0, 2)
    got = np.asarray(got)
    if got.shape != want.shape or float(np.abs(got - want).max()) > tol:
        print(f"MISMATCH {label}: {name} disagrees", file=sys.stderr)
        return False
    return True


def run_cases(cases, contenders, make_args, reference, repeats, tol, slow) -> bool:
    """Check, then time every contender of every case; ``slow`` contenders run on a crop."""
    for n, case in enumerate(cases):
        args = make_args(case)
        crop_args = make_args(case, crop=True)
        want, want_crop = reference(args["np"], case), reference(crop_args["np"], case)
        for name, (fn, kind) in contenders.items():
            a = crop_args if name in slow else args
            if not check(name, fn(*a[kind], case), want_crop if name in slow else want, tol(a),
                         case.label):
                return False
        scale = want.shape[0] * want.shape[1] / (want_crop.shape[0] * want_crop.shape[1])
        names = list(contenders)
        for r in range(repeats):
            for name in names[r % len(names):] + names[: r % len(names)]:
                if name in slow and r > 0:
                    continue
                fn, kind = contenders[name]
                a = crop_args if name in slow else args
                t = timed(fn, *a[kind], case)
                case.times.setdefault(name, []).append(t * scale if name in slow else t)
        print(f"  [{n + 1}/{len(cases)}] {case.label}", file=sys.stderr)
    return True


def table(cases, ours: str, cols: list[str], slow) -> None:
    shown = [c for c in cols if any(c in case.times for case in cases)]
    head = f"{'case':34s}" + "".join(f"{c + ('~' if c in slow else ''):>10s}" for c in shown)
    head += "".join(f"{c + '/' + ours[:4]:>13s}" for c in shown if c != ours)
    print(head)
    print("-" * len(head))
    totals = dict.fromkeys(shown, 0.0)
    for case in cases:
        med = {n: statistics.median(v) for n, v in case.times.items()}
        row = f"{case.label:34s}" + "".join(f"{med[c]:10.1f}" for c in shown)
        row += "".join(f"{med[c] / med[ours]:13.2f}" for c in shown if c != ours)
        for c in shown:
            totals[c] += med[c]
        print(row)
    print("-" * len(head))
    row = f"{'TOTAL (sum of medians)':34s}" + "".join(f"{totals[c]:10.1f}" for c in shown)
    row += "".join(f"{totals[c] / totals[ours]:13.2f}" for c in shown if c != ours)
    print(row + "\n")


def conv_bench(sizes, repeats, rng) -> bool:
    shapes = [(3, 8, 3, 1, 1), (3, 16, 5, 2, 2), (8, 16, 3, 1, 1), (16, 16, 3, 2, 1),
              (16, 32, 3, 1, 1), (1, 8, 3, 1, 1)]
    cases = [ConvCase(size, *shape) for size in sizes for shape in shapes]
    pictures, weights = {}, {}

    def make_args(case, crop=False):
        key = (case.size, case.c_in)
        if key not in pictures:
            pictures[key] = rng.random((*SIZES[case.size], case.c_in), dtype=np.float32)
        x = pictures[key]
        if crop:
            x = np.ascontiguousarray(x[: CROP[0], : CROP[1]])
        wkey = (case.c_out, case.c_in, case.k)
        if wkey not in weights:
            weights[wkey] = rng.standard_normal(wkey + (case.k,)).astype(np.float32)
        w = weights[wkey]
        out = {"np": (x, w)}
        if torch is not None:
            out["torch"] = (nchw(x), torch.from_numpy(w))
        return out

    contenders = {"conv2d": (conv_ours, "np"), "opencv": (conv_opencv, "np")}
    if torch is not None:
        contenders["torch"] = (conv_torch, "torch")
    if ndi is not None:
        contenders["scipy"] = (conv_scipy, "np")
    contenders["numpy"] = (conv_numpy, "np")
    slow = {"scipy", "numpy"}

    def tol(args):
        x, w = args["np"]
        return 1e-4 * (1 + float(np.abs(w).reshape(w.shape[0], -1).sum(1).max()) * float(x.max()))

    def reference(x_w, case):
        return conv_ours(*x_w, case)

    print("conv2d: HWC float32 in and out, zero padding")
    if not run_cases(cases, contenders, make_args, reference, repeats, tol, slow):
        return False
    table(cases, "conv2d", ["conv2d", "opencv", "torch", "scipy", "numpy"], slow)
    return True


def pool_bench(sizes, repeats, rng) -> bool:
    shapes = [(3, 2, 2, 0), (8, 2, 2, 0), (16, 2, 2, 0), (16, 3, 2, 1), (8, 3, 1, 1)]
    cases = [PoolCase(size, c, k, s, p, mode) for size in sizes for (c, k, s, p) in shapes
             for mode in ("max", "avg")]
    pictures = {}

    def make_args(case, crop=False):
        key = (case.size, case.channels)
        if key not in pictures:
            pictures[key] = rng.random((*SIZES[case.size], case.channels), dtype=np.float32)
        x = pictures[key]
        if crop:
            x = np.ascontiguousarray(x[: CROP[0] * 2, : CROP[1] * 2])
        out = {"np": (x,)}
        if torch is not None:
            out["torch"] = (nchw(x),)
        return out

    contenders = {"pool2d": (pool_ours, "np"), "opencv": (pool_opencv, "np")}
    if torch is not None:
        contenders["torch"] = (pool_torch, "torch")
    contenders["numpy"] = (pool_numpy, "np")
    print("pool2d: HWC float32 in and out")
    if not run_cases(cases, contenders, make_args, lambda a, c: pool_ours(*a, c), repeats,
                     lambda a: 1e-5, {"numpy"}):
        return False
    table(cases, "pool2d", ["pool2d", "opencv", "torch", "numpy"], {"numpy"})
    return True


def rule_table(repeats: int, rng) -> None:
    """Both conv2d engines on a 1 MP picture, beside the engine the rule picks."""
    print("conv2d engines on 1 MP, 'same' padding: planes (filter2D per pair) and patches "
          "(im2col + matrix product); * marks the rule's pick")
    x_all = rng.random((1000, 1000, 8), dtype=np.float32)
    for k in (3, 5, 7):
        for s in (1, 2):
            for c_in in (1, 3, 8):
                for c_out in (1, 4, 16):
                    x = np.ascontiguousarray(x_all[:, :, :c_in])
                    w = rng.standard_normal((c_out, c_in, k, k)).astype(np.float32)
                    times = {}
                    for r in range(repeats):
                        for name in (("planes", "patches") if r % 2 == 0 else
                                     ("patches", "planes")):
                            layer.FORCE_ENGINE = name
                            times.setdefault(name, []).append(
                                timed(conv2d, x, w, stride=s, padding="same"))
                    layer.FORCE_ENGINE = None
                    p, q = statistics.median(times["planes"]), statistics.median(times["patches"])
                    out_hw = (-(-1000 // s),) * 2
                    pick = layer.prefers_planes(c_in, c_out, (k, k), (1000, 1000), out_hw, (s, s))
                    print(f"  {k}x{k} s{s} {c_in:2d}->{c_out:2d}: planes {p:7.1f}{'*' if pick else ' '}"
                          f" patches {q:7.1f}{' ' if pick else '*'}  planes/patches {p / q:5.2f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="1 MP only, 3 repeats")
    ap.add_argument("--repeats", type=int, default=None, help="repeats per case (default 7)")
    ap.add_argument("--rule", action="store_true", help="time both conv2d engines instead")
    ap.add_argument("--only", choices=["conv", "pool"], help="one of the two tables")
    args = ap.parse_args(argv)
    repeats = args.repeats or (3 if args.quick else 7)
    rng = np.random.default_rng(0)
    print(machine())
    print(f"repeats: {repeats}; medians in ms\n")
    if args.rule:
        rule_table(repeats, rng)
        return 0
    sizes = ["1MP"] if args.quick else ["1MP", "6MP"]
    if args.only != "pool" and not conv_bench(sizes, repeats, rng):
        return 1
    if args.only != "conv" and not pool_bench(sizes, repeats, rng):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
