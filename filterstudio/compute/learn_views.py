"""Display-sized pictures of a learning problem: the target, a kernel's map and its residual.

A large map is shown through an exact strided preview, as the studio's panels first show it:
every ``f``-th cell of the real map, made by running the kernel with ``f`` times the stride, so
a frame of a descent on a 12 MP photo costs one small convolution. The target and every map
share the target's limits (``minmax``), so a learned map that matches looks the same; the
residual (map minus target) is shown diverging around zero, blue where the map is too dark and
red where it is too bright. :func:`solve` is the exact fit with its pictures. No Qt.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from ..core import display
from ..core.convolution import convolve, resolve_padding
from ..core.fit import KernelFit, fit_kernel_report
from ..core.readonly import read_only
from .learn_targets import LearnProblem

__all__ = ["DEFAULT_VIEW_SIDE", "MapPreview", "Solved", "residual_limit", "solve"]

#: The longer side of the Learn view's pictures unless the view asks for another.
DEFAULT_VIEW_SIDE = 640


class MapPreview:
    """Cut once per problem: renders a kernel's map and residual at display size.

    Not thread-safe; the thread that renders owns it.
    """

    def __init__(self, problem: LearnProblem, side: int = DEFAULT_VIEW_SIDE) -> None:
        self.problem = problem
        target = problem.target
        oh, ow = target.shape[:2]
        self.factor = max(1, math.ceil(max(oh, ow) / max(16, int(side))))
        f = self.factor
        layer = problem.layer
        (pt, _), (pl, _) = resolve_padding(
            problem.picture.shape[:2], problem.size, stride=layer.stride,
            padding=layer.padding, dilation=layer.dilation,
        )  # fmt: skip
        # The same top-left padding and f times the stride put preview cell (i, j) exactly on
        # map cell (f*i, f*j); a last row reading the extra bottom padding may be missing.
        self._conv = dict(
            stride=(layer.stride[0] * f, layer.stride[1] * f),
            padding=(pt, pl),
            border=layer.border,
            cval=layer.cval,
            dilation=layer.dilation,
        )
        self._target = target[::f, ::f]
        self.limits = problem.limits
        self.target_pixels = read_only(self._to_pixels(self._target))

    @property
    def shape(self) -> tuple[int, int]:
        """The preview's ``(rows, cols)``."""
        return tuple(self._target.shape[:2])

    def _to_pixels(self, values: np.ndarray) -> np.ndarray:
        return display.to_uint8(values, "minmax", limits=self.limits)

    def values(self, kernel: np.ndarray, bias: float) -> tuple[np.ndarray, np.ndarray]:
        """The preview of ``kernel``'s map (plus ``bias``) and its residual, float32."""
        out = convolve(self.problem.picture, kernel, **self._conv)
        th, tw = self._target.shape[:2]
        out = out[:th, :tw]
        target = self._target[: out.shape[0], : out.shape[1]]
        if bias:
            out += np.float32(bias)
        return out, out - target

    def render(self, kernel: np.ndarray, bias: float):
        """8-bit pictures of ``kernel``'s map and residual, and the residual's colour limit.

        The limit is the residual's 99.5th percentile of size (a few clipped pixels do not
        wash the rest out), but at least 2% of the target's range: a residual that small is
        shown nearly white, not stretched into loud noise.
        """
        values, residual = self.values(kernel, bias)
        limit = residual_limit(residual, self.limits)
        res_px = display.to_uint8(residual, "diverging", limits=(-limit, limit))
        return read_only(self._to_pixels(values)), read_only(res_px), limit

    def residual_rms(self, kernel: np.ndarray, bias: float) -> float:
        """RMS of the preview's residual: a quick figure for a kernel someone typed."""
        _, residual = self.values(kernel, bias)
        return math.sqrt(cv2.norm(residual.reshape(residual.shape[0], -1), cv2.NORM_L2SQR)
                         / max(1, residual.size))  # fmt: skip


def residual_limit(residual: np.ndarray, limits: tuple[float, float]) -> float:
    """The value a residual picture shows fully blue or red (see :meth:`MapPreview.render`)."""
    floor = 0.02 * (limits[1] - limits[0]) or 1e-6
    flat = residual.reshape(-1)
    # Every n-th value (at most about 65,000): a percentile needs no more, and the worker
    # keeps the interpreter lock for less time between frames.
    flat = np.abs(flat[:: max(1, flat.size >> 16)])
    flat = flat[np.isfinite(flat)]
    if flat.size == 0:
        return floor
    k = min(flat.size - 1, int(0.995 * flat.size))
    return max(float(np.partition(flat, k)[k]), floor)


@dataclass(frozen=True, eq=False)
class Solved:
    """An exact fit with what the view shows of it.

    ``map_pixels`` and ``residual_pixels`` are read-only uint8 previews (``target_pixels`` the
    target's, at the same size); ``residual_limit`` the value shown fully blue or red.
    """

    fit: KernelFit
    target_pixels: np.ndarray
    map_pixels: np.ndarray
    residual_pixels: np.ndarray
    residual_limit: float
    factor: int


def solve(problem: LearnProblem, side: int = DEFAULT_VIEW_SIDE) -> Solved:
    """The exact least-squares kernel of ``problem`` and its pictures (seconds on 12 MP)."""
    fit = fit_kernel_report(problem.picture, problem.target, mask=problem.mask,
                            **problem.fit_kwargs())  # fmt: skip
    preview = MapPreview(problem, side)
    map_px, res_px, limit = preview.render(fit.kernel, fit.bias)
    return Solved(fit, preview.target_pixels, map_px, res_px, limit, preview.factor)
