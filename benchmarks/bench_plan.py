"""Small-picture benchmark: what deciding separability costs convolve, cached and not.

Run ``python benchmarks/bench_plan.py``. On small pictures (lesson images, previews) the
decision (an SVD and readable factors) can cost more than the filtering itself, so convolve
keeps each kernel's plan. This compares, on the same picture and kernel, in a rotating order:

- ``direct``: the one OpenCV call a user would write (``sepFilter2D`` for a rank-1 kernel,
  ``filter2D`` otherwise), 'same' size, reflect border;
- ``convolve``: ``filterstudio.convolve`` with its plan cache warm (a kernel being shown);
- ``cold``: the same with the cache emptied before every call (a kernel being edited).

The table shows medians and the ratios to ``direct``.
"""

from __future__ import annotations

import statistics
import time

import cv2
import numpy as np

from filterstudio.core import convolution
from filterstudio.core.convolution import convolve
from filterstudio.core.kernels import GAUSSIAN_BLUR_5X5, GAUSSIAN_BLUR_7X7, SOBEL_X
from filterstudio.core.separable import separable

REPEATS = 15
SIZES = {"32x32x3": (32, 32, 3), "128x128x3": (128, 128, 3), "512x512x3": (512, 512, 3)}


def kernels() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(3)
    return {
        "sobel3": SOBEL_X,
        "gauss5": GAUSSIAN_BLUR_5X5,
        "gauss7": GAUSSIAN_BLUR_7X7,
        "dense7": rng.standard_normal((7, 7)).astype(np.float32),
    }


def contenders(image: np.ndarray, kernel: np.ndarray) -> dict:
    factors = separable(kernel)
    if factors is not None and kernel.shape[0] >= 4:
        col, row = (f.astype(np.float32) for f in factors)

        def direct():
            return cv2.sepFilter2D(image, -1, row, col, borderType=cv2.BORDER_REFLECT_101)
    else:

        def direct():
            return cv2.filter2D(image, -1, kernel, borderType=cv2.BORDER_REFLECT_101)

    def warm():
        return convolve(image, kernel, padding="same", border="reflect")

    def cold():
        convolution._cached_plan.cache_clear()
        return convolve(image, kernel, padding="same", border="reflect")

    return {"direct": direct, "convolve": warm, "cold": cold}


def time_call(fn, budget: float = 0.02) -> float:
    """Seconds per call, from enough calls to fill ``budget`` seconds."""
    n, start = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        elapsed = time.perf_counter() - start
        if elapsed >= budget:
            return elapsed / n


def main() -> None:
    rng = np.random.default_rng(1)
    print(
        f"{'picture':>10} {'kernel':>7} {'direct':>10} {'convolve':>10} {'cold':>10}"
        f" {'conv/dir':>9} {'cold/dir':>9}"
    )
    for size_name, shape in SIZES.items():
        image = rng.random(shape, dtype=np.float32)
        for kernel_name, kernel in kernels().items():
            fns = contenders(image, kernel)
            want = fns["direct"]()
            for fn in fns.values():  # every contender computes the same map
                np.testing.assert_allclose(fn(), want, atol=1e-4 * (1 + np.abs(kernel).sum()))
            times = {name: [] for name in fns}
            order = list(fns)
            for r in range(REPEATS):
                for name in order[r % 3 :] + order[: r % 3]:
                    times[name].append(time_call(fns[name]))
            med = {name: statistics.median(t) * 1e6 for name, t in times.items()}
            print(
                f"{size_name:>10} {kernel_name:>7} {med['direct']:>8.1f}us {med['convolve']:>8.1f}us"
                f" {med['cold']:>8.1f}us {med['convolve'] / med['direct']:>9.2f}"
                f" {med['cold'] / med['direct']:>9.2f}"
            )


if __name__ == "__main__":
    main()
