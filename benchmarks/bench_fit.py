"""What fitting a kernel costs, against what a user would write instead, and a descent step.

Run ``python benchmarks/bench_fit.py [--repeats N] [--sizes 1,6,12] [--memory-gb G]``.

For 8-bit-like RGB photos of 1, 6 and 12 MP and hidden 3x3, 5x5 and 7x7 kernels (target:
``convolve(..., padding="same", border="reflect") + 0.1``, float32, noise-free) it times:

* ``fit_kernel`` as shipped (normal equations from shifted-image products; targets beyond
  2**21 values fitted over spread bands of rows), and the same with every row
  (``max_equations=None``);
* what a user would write: the im2col design matrix from
  ``numpy.lib.stride_tricks.sliding_window_view`` (a bias column added), then
  ``numpy.linalg.lstsq``; and the same matrix through the normal equations (``A.T @ A``,
  float64, ``numpy.linalg.solve``). The matrix is ``values x (k*k + 1)`` float64: it is built
  only where it fits in ``--memory-gb`` (default 3; lstsq needs about twice the matrix), and
  the table says what it would need elsewhere;
* one ``KernelDescent`` step (and building the descent) at each size.

Accuracy is the largest weight error against the hidden kernel. Times are medians of
``--repeats`` runs; ratios are the alternative's median over fit_kernel's (above 1: slower).
"""

from __future__ import annotations

import argparse
import functools
import gc
import statistics
import time

import cv2
import numpy as np

from filterstudio.core.convolution import convolve
from filterstudio.core.descent import KernelDescent
from filterstudio.core.fit import fit_kernel, fit_kernel_report
from filterstudio.core.samples import sample_photo

SHAPES = {1: (866, 1155), 6: (2000, 3000), 12: (3000, 4000)}
OPTIONS = dict(padding="same", border="reflect")


def photo(mp: int) -> np.ndarray:
    """A photo-like RGB picture of ``mp`` megapixels, with grain, in 8-bit steps."""
    h, w = SHAPES[mp]
    base = sample_photo(600, 800)
    big = cv2.resize(np.ascontiguousarray(base), (w, h), interpolation=cv2.INTER_CUBIC)
    rng = np.random.default_rng(mp)
    big = big + rng.normal(0, 0.01, big.shape).astype(np.float32)
    return (np.round(np.clip(big, 0, 1) * 255) / 255).astype(np.float32)


def median_s(fn, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        gc.collect()
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def design_bytes(image: np.ndarray, k: int) -> int:
    return image.shape[0] * image.shape[1] * image.shape[2] * (k * k + 1) * 8


def numpy_design(image: np.ndarray, k: int) -> np.ndarray:
    """The im2col matrix a user writes: every k x k patch of the reflected picture, and a 1."""
    pad = k // 2
    p = np.pad(image, ((pad, k - 1 - pad), (pad, k - 1 - pad), (0, 0)), mode="reflect")
    windows = np.lib.stride_tricks.sliding_window_view(p, (k, k), axis=(0, 1))
    a = np.empty((windows.shape[0] * windows.shape[1] * windows.shape[2], k * k + 1))
    a[:, :-1] = windows.reshape(-1, k * k)  # (H, W, C, k, k): one row per value
    a[:, -1] = 1.0
    return a


def numpy_lstsq(image, target, k):
    a = numpy_design(image, k)
    sol = np.linalg.lstsq(a, target.reshape(-1).astype(np.float64), rcond=None)[0]
    return sol[:-1].reshape(k, k), sol[-1]


def numpy_normal(image, target, k):
    a = numpy_design(image, k)
    sol = np.linalg.solve(a.T @ a, a.T @ target.reshape(-1).astype(np.float64))
    return sol[:-1].reshape(k, k), sol[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", default="1,6,12", help="megapixels, from 1, 6, 12")
    parser.add_argument("--kernels", default="3,5,7")
    parser.add_argument("--memory-gb", type=float, default=3.0)
    parser.add_argument("--descent-steps", type=int, default=20)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    kernels = [int(k) for k in args.kernels.split(",")]
    rng = np.random.default_rng(0)
    print(f"repeats {args.repeats}; times are medians; err = largest weight error")
    header = (
        f"{'MP':>3} {'k':>2} | {'fit_kernel':>10} {'err':>8} {'used':>6} | {'all rows':>9} "
        f"{'err':>8} | {'lstsq':>8} {'ratio':>6} {'err':>8} | {'A.T@A':>8} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    descent_rows = []
    for mp in sizes:
        image = photo(mp)
        for k in kernels:
            hidden = (rng.standard_normal((k, k)) / k).astype(np.float32)
            target = convolve(image, hidden, **OPTIONS) + np.float32(0.1)
            t_fit, (kern, _, _) = median_s(
                functools.partial(fit_kernel, image, target, k, **OPTIONS), args.repeats
            )
            report = fit_kernel_report(image, target, k, **OPTIONS)
            used = report.equations_used / report.equations
            err = float(np.abs(kern - hidden).max())
            t_all, full = median_s(
                functools.partial(
                    fit_kernel_report, image, target, k, max_equations=None, **OPTIONS
                ),
                max(1, args.repeats - 1),
            )
            err_all = float(np.abs(full.kernel - hidden).max())
            need = design_bytes(image, k)
            if 2 * need <= args.memory_gb * 2**30:
                t_np, (k_np, _) = median_s(functools.partial(numpy_lstsq, image, target, k), 1)
                t_ne, _ = median_s(functools.partial(numpy_normal, image, target, k), 1)
                err_np = float(np.abs(k_np - hidden).max())
                alt = f"{t_np:7.2f}s {t_np / t_fit:6.1f} {err_np:8.1e} | {t_ne:7.2f}s {t_ne / t_fit:6.1f}"
            else:
                alt = f"needs {2 * need / 2**30:.0f} GB of memory (A is {need / 2**30:.1f} GB)"
            print(
                f"{mp:>3} {k:>2} | {t_fit:9.3f}s {err:8.1e} {used:6.1%} | {t_all:8.3f}s "
                f"{err_all:8.1e} | {alt}",
                flush=True,
            )
            t_build, d = median_s(functools.partial(KernelDescent, image, target, k, **OPTIONS), 1)
            d.step()  # first call warms the thread pool and scratch buffers
            t_step, _ = median_s(d.step, args.descent_steps)
            descent_rows.append((mp, k, t_build, t_step, d.equations))
    print()
    print("KernelDescent (working rows about 2**18 values):")
    print(f"{'MP':>3} {'k':>2} | {'build':>8} | {'step':>8} | {'values':>8}")
    for mp, k, t_build, t_step, n in descent_rows:
        print(f"{mp:>3} {k:>2} | {t_build:7.3f}s | {t_step * 1e3:6.1f}ms | {n:>8,}")


if __name__ == "__main__":
    main()
