"""Gradient descent on a kernel fit, one step at a time: what training a CNN filter does.

Each step runs the kernel over the picture (``convolve``), compares the map with the target,
and moves every weight against the gradient of the mean squared residual, which is the
correlation of the residual with the picture. The exact answer (:func:`~.fit.fit_kernel`) is
where the steps lead; a view can show both. No Qt: a worker thread owns one
:class:`KernelDescent` and hands its immutable :class:`DescentStep` results to the window.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from .arguments import real_number
from .convolution import convolve
from .fit import solve_normal_equations
from .fit_inputs import check_fit
from .normal_equations import BandSource, TapLayout, accumulate, plan_bands, tap_sums_with

__all__ = ["DEFAULT_DESCENT_EQUATIONS", "DescentStep", "KernelDescent"]

# The steps work on an evenly spread subset of the map's rows holding about this many values
# (target cells times channels): a step on a 12 MP pair then costs tens of milliseconds.
DEFAULT_DESCENT_EQUATIONS = 1 << 18

# A loss this many times the starting one means the learning rate is too large.
_BLOW_UP = 1e6


@dataclass(frozen=True)
class DescentStep:
    """Where the descent stands after ``step`` steps.

    Attributes
    ----------
    step : int
        Steps taken (0: the starting kernel).
    kernel : ndarray
        float32 ``(kh, kw)``, read-only.
    bias : float
    loss : float
        Mean squared residual of this kernel and bias over the working rows.
    diverged : bool
        True when the step was refused because the loss grew without bound (the learning rate
        is too large); ``kernel`` and ``bias`` are then those before the step.
    """

    step: int
    kernel: np.ndarray
    bias: float
    loss: float
    diverged: bool = False


def _positive(value, what: str) -> float:
    return real_number(
        value,
        f"{what} must be a positive number",
        lambda v: v > 0,
        f"{what} must be a positive finite number",
    )


def _momentum(value) -> float:
    return real_number(value, "momentum must be a number from 0 to below 1", lambda v: 0 <= v < 1)


class KernelDescent:
    """Learn a kernel by gradient descent, step by step, from a picture and its target.

    Parameters
    ----------
    image, target, size, stride, padding, border, cval, dilation, bias, ridge
        As :func:`~filterstudio.core.fit.fit_kernel` takes them (``ridge`` acts as weight decay).
    learning_rate : float, optional
        Step size. The default, :attr:`suggested_learning_rate`, is ``1 / L`` for ``L`` the
        largest eigenvalue of the loss's Hessian on the working rows: the largest step that
        still shrinks the loss along every direction, for any picture and any scale of values.
        Twice that diverges.
    momentum : float
        Heavy-ball momentum, 0 (plain gradient descent) to below 1; 0.9 by default, as most
        training runs use: on a photo, whose neighbouring pixels are alike, plain descent
        crawls along the directions that tell neighbours apart. Stable with the default
        learning rate for any momentum.
    max_equations : int or None
        The steps work on an evenly spread subset of the map's full-width rows holding about
        this many target values (None: every row), as :func:`fit_kernel` sub-samples.
    start : array_like, optional
        The starting kernel; zeros when None. The bias starts at ``start_bias``.
    mask : array_like of bool, optional
        Target values to leave out where False, as :func:`fit_kernel_report` takes it
        (e.g. ``unclipped(target)``).

    Notes
    -----
    One step: the map ``convolve(rows, K) + b`` of the working rows, the residual ``R`` (map
    minus target), the gradient ``2/N * sum(R * window)`` for each tap (the correlation of the
    residual with the picture) and ``2/N * sum(R)`` for the bias, then ``v = momentum * v -
    rate * gradient`` and the weights move by ``v``. The loss reported with a kernel is that
    kernel's own. Not thread-safe: one thread at a time steps it.

    Examples
    --------
    >>> import numpy as np
    >>> from filterstudio import convolve
    >>> picture = np.random.default_rng(0).random((32, 32))
    >>> target = convolve(picture, [[0, 1, 0], [1, -4, 1], [0, 1, 0]])
    >>> descent = KernelDescent(picture, target, 3)
    >>> first = descent.state.loss
    >>> last = [s for s in descent.steps(300)][-1]
    >>> bool(last.loss < 1e-4 * first)
    True
    """

    def __init__(
        self,
        image,
        target,
        size=3,
        *,
        stride=1,
        padding="valid",
        border: str = "constant",
        cval: float = 0.0,
        dilation=1,
        bias: bool = True,
        ridge: float = 0.0,
        learning_rate: float | None = None,
        momentum: float = 0.9,
        max_equations: int | None = DEFAULT_DESCENT_EQUATIONS,
        start=None,
        start_bias: float = 0.0,
        mask=None,
    ) -> None:
        options = dict(stride=stride, padding=padding, border=border, cval=cval, dilation=dilation)
        img, tgt, geom, keep, self._fit_bias, self._ridge, max_equations = check_fit(
            image,
            target,
            size,
            bias=bias,
            ridge=ridge,
            max_equations=max_equations,
            mask=mask,
            **options,
        )
        self._geom = geom
        self._layout = TapLayout(geom)
        source = BandSource(img, self._layout)
        bands = plan_bands(geom, max_equations, keep)
        self._normal = accumulate(img, tgt, geom, bands, keep)
        if self._normal.count == 0:  # the working rows keep nothing: work on every row
            bands = plan_bands(geom, None)
            self._normal = accumulate(img, tgt, geom, bands, keep)
        # What each step needs from the picture, cut once: the padded input rows of each band
        # (for convolve), its phase pictures (for the gradient), its target rows and, with a
        # mask, the values it leaves out.
        self._bands = [
            (
                source.padded_rows(i0, i1),
                source.band(i0, i1),
                tgt[i0:i1].reshape(i1 - i0, -1),
                None if keep is None else ~keep[i0:i1].reshape(i1 - i0, -1),
            )
            for i0, i1 in bands
        ]
        self._conv = dict(stride=geom.stride, dilation=geom.dilation)
        self._count = self._normal.count
        self._suggested = self._suggest()
        self._rate = (
            self._suggested if learning_rate is None else _positive(learning_rate, "learning rate")
        )
        self._momentum = _momentum(momentum)
        self._best: DescentStep | None = None
        self.reset(start, start_bias)

    # ---------------------------------------------------------------------------- settings

    @property
    def suggested_learning_rate(self) -> float:
        """``1 / L``, ``L`` the largest eigenvalue of the loss's Hessian on the working rows."""
        return self._suggested

    @property
    def learning_rate(self) -> float:
        return self._rate

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        self._rate = _positive(value, "learning rate")

    @property
    def momentum(self) -> float:
        return self._momentum

    @momentum.setter
    def momentum(self, value: float) -> None:
        self._momentum = _momentum(value)

    @property
    def equations(self) -> int:
        """Target values the steps work on (the working rows times width times channels)."""
        return self._count

    @property
    def state(self) -> DescentStep:
        """The current kernel, bias and loss."""
        return self._state

    def _suggest(self) -> float:
        ne, n = self._normal.uncentred(), self._geom.taps
        if self._fit_bias:
            h = np.empty((n + 1, n + 1))
            h[:n, :n] = ne.gram
            h[:n, n] = h[n, :n] = ne.tap_sums
            h[n, n] = ne.count
        else:
            h = ne.gram.copy()
        h *= 2.0 / ne.count
        h[np.diag_indices(n)] += 2.0 * self._ridge
        top = float(np.linalg.eigvalsh(h)[-1])
        return 1.0 / top if top > 0 else 1.0

    # ---------------------------------------------------------------------------- the steps

    def _forward(self, kernel: np.ndarray, bias: float) -> tuple[float, list[np.ndarray]]:
        """The loss of ``kernel`` and ``bias`` and the residual of each band."""
        residuals = []
        total = 0.0
        b = np.float32(bias)
        for rows, _, t_band, left_out in self._bands:
            out = convolve(rows, kernel, **self._conv)
            r = out.reshape(out.shape[0], -1)
            if b:
                r += b
            r -= t_band
            if left_out is not None:
                r[left_out] = 0.0
            total += cv2.norm(r, cv2.NORM_L2SQR)
            residuals.append(r)
        loss = total / self._count
        if self._ridge:
            loss += self._ridge * float(np.sum(kernel.astype(np.float64) ** 2))
        return loss, residuals

    def _gradient(self, residuals: list[np.ndarray]) -> tuple[np.ndarray, float]:
        g = np.zeros(self._geom.taps)
        gb = 0.0
        for (_, arrays, _, _), r in zip(self._bands, residuals):
            g += tap_sums_with(arrays, self._layout, r)
            gb += cv2.sumElems(r)[0]
        scale = 2.0 / self._count
        g *= scale
        if self._ridge:
            g += 2.0 * self._ridge * self._weights
        return g, gb * scale if self._fit_bias else 0.0

    def _snapshot(self, step: int, loss: float, diverged: bool = False) -> DescentStep:
        kernel = self._weights.reshape(self._geom.kh, self._geom.kw).astype(np.float32)
        kernel.setflags(write=False)
        return DescentStep(step, kernel, float(self._bias), float(loss), diverged)

    def reset(self, start=None, start_bias: float = 0.0) -> DescentStep:
        """Start again from ``start`` (zeros when None) and ``start_bias``; momentum cleared."""
        n, shape = self._geom.taps, (self._geom.kh, self._geom.kw)
        if start is None:
            weights = np.zeros(n)
        else:
            k = np.asarray(start, dtype=np.float64)
            if k.shape != shape:
                raise ValueError(
                    f"The starting kernel is {'x'.join(map(str, k.shape))}, "
                    f"not {shape[0]}x{shape[1]} as fitted."
                )
            if not np.isfinite(k).all():
                raise ValueError("The starting kernel contains a value that is not finite.")
            weights = k.ravel().copy()
        b = float(start_bias) if self._fit_bias else 0.0
        if not math.isfinite(b):
            raise ValueError("The starting bias must be a finite number.")
        self._weights, self._bias = weights, b
        self._velocity = np.zeros(n + 1)
        self._step = 0
        loss, self._residuals = self._forward(self._kernel32(), b)
        self._start_loss = loss
        self._state = self._snapshot(0, loss)
        return self._state

    def _kernel32(self) -> np.ndarray:
        return self._weights.reshape(self._geom.kh, self._geom.kw).astype(np.float32)

    def step(self) -> DescentStep:
        """Take one step and return where it lands (with that kernel's own loss)."""
        g, gb = self._gradient(self._residuals)
        velocity = self._momentum * self._velocity
        velocity[:-1] -= self._rate * g
        velocity[-1] -= self._rate * gb
        weights = self._weights + velocity[:-1]
        bias = self._bias + velocity[-1]
        limit = _BLOW_UP * max(self._start_loss, 1e-30)
        with np.errstate(over="ignore", invalid="ignore"):
            ok = bool(np.isfinite(weights).all()) and math.isfinite(bias)
            if ok:
                kernel = weights.reshape(self._geom.kh, self._geom.kw).astype(np.float32)
                loss, residuals = self._forward(kernel, bias)
                ok = math.isfinite(loss) and loss <= limit
        self._step += 1
        if not ok:
            # Too large a step: stay where the descent was and let the caller lower the rate.
            self._velocity[:] = 0.0
            self._state = self._snapshot(self._step, self._state.loss, diverged=True)
            return self._state
        self._weights, self._bias, self._velocity = weights, bias, velocity
        self._residuals = residuals
        self._state = self._snapshot(self._step, loss)
        return self._state

    def steps(self, count: int | None = None) -> Iterator[DescentStep]:
        """Take ``count`` steps (forever when None), yielding each."""
        taken = 0
        while count is None or taken < count:
            yield self.step()
            taken += 1

    def exact(self) -> DescentStep:
        """The exact least-squares answer on the same working rows: where the steps lead.

        Its ``step`` is -1; the loss is that kernel's own on the working rows.
        """
        if self._best is None:
            sol = solve_normal_equations(self._normal, bias=self._fit_bias, ridge=self._ridge)
            kernel = sol.weights.reshape(self._geom.kh, self._geom.kw).astype(np.float32)
            kernel.setflags(write=False)
            loss, _ = self._forward(kernel, sol.bias)
            self._best = DescentStep(-1, kernel, sol.bias, loss)
        return self._best
