"""What one edit costs the Kernel Insight panel, and why it runs off the GUI thread.

Run ``python benchmarks/bench_insight.py``. For each kernel, in a rotating order:

- ``fft``: the one numpy line a user would write for the picture alone,
  ``abs(fftshift(fft2(k, (64, 64))))``;
- ``response``: ``frequency_response`` (the same, checked);
- ``describe``: ``classify_response`` (the sentence: a 64x64 grid and polar samples);
- ``separable``: ``describe_separable`` (an SVD and readable factors);
- ``insight``: ``kernel_insight``, everything the panel shows for one edit.

The table shows medians in milliseconds and the ratio of ``insight`` to ``fft``. A GUI thread
can afford about a millisecond per edit while a value is scrubbed; above that the panel
computes on its own pool thread, newest request wins.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from filterstudio.core.insight import kernel_insight
from filterstudio.core.kernels import GAUSSIAN_BLUR_7X7, LAPLACIAN, SOBEL_X
from filterstudio.core.separable import describe_separable
from filterstudio.core.spectrum import classify_response, frequency_response

REPEATS = 9


def kernels() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {
        "sobel3": SOBEL_X,
        "laplace3": LAPLACIAN,
        "gauss7": GAUSSIAN_BLUR_7X7,
        "dense7": rng.standard_normal((7, 7)).astype(np.float32),
        "depth5x5x3": rng.standard_normal((5, 5, 3)).astype(np.float32),
    }


def contenders(k: np.ndarray) -> dict:
    plane = k.sum(axis=2) if k.ndim == 3 else k
    return {
        "fft": lambda: np.abs(np.fft.fftshift(np.fft.fft2(plane, (64, 64)))),
        "response": lambda: frequency_response(k, 64),
        "describe": lambda: classify_response(k),
        "separable": lambda: describe_separable(k),
        "insight": lambda: kernel_insight(k, stride=2),
    }


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
    names = list(contenders(SOBEL_X))
    print(f"{'kernel':>11} " + " ".join(f"{n:>10}" for n in names) + f" {'insight/fft':>12}")
    for label, k in kernels().items():
        calls = contenders(k)
        times: dict[str, list[float]] = {n: [] for n in names}
        for r in range(REPEATS):
            order = names[r % len(names) :] + names[: r % len(names)]
            for n in order:
                times[n].append(time_call(calls[n]))
        med = {n: statistics.median(v) * 1e3 for n, v in times.items()}
        row = " ".join(f"{med[n]:>9.3f}m" for n in names)
        print(f"{label:>11} {row} {med['insight'] / med['fft']:>11.0f}x")


if __name__ == "__main__":
    main()
