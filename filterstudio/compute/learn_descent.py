"""Gradient descent for a view to watch: a loop a worker thread runs and the frames it sends.

:class:`DescentLoop` owns one :class:`~filterstudio.core.descent.KernelDescent` and steps it at
the pace asked for (steps per second, or as fast as it can), pausable, one step at a time, with
the learning rate and momentum changed while it runs. What the GUI thread sees are immutable
:class:`DescentFrame` values in a one-slot :class:`FrameMailbox`: a frame is made only when the
previous one was taken and a display refresh has passed (newest step wins; no frame is made to
be dropped), and the losses of the steps in between travel with it. The pictures of a frame
(the map and the residual at display size) cost more than a step on a small picture, so they
are made at most as often as leaves the loop two thirds of its time for stepping.
:class:`LossHistory` keeps a bounded curve of the losses for drawing. No Qt.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from ..core.descent import DescentStep, KernelDescent
from ..core.errors import sentence
from ..core.fit import KernelFit, fit_verdict
from ..core.readonly import read_only
from .learn_targets import LearnProblem
from .learn_views import DEFAULT_VIEW_SIDE, MapPreview
from .mailbox import Mailbox

__all__ = [
    "MOMENTUMS",
    "RATE_SCALES",
    "SPEEDS",
    "DescentFrame",
    "DescentJob",
    "DescentLoop",
    "FrameMailbox",
    "LossHistory",
    "exact_verdict",
    "rate_text",
]

#: Learning rates offered, as multiples of the suggested one (1/L).
RATE_SCALES = (0.01, 0.03, 0.1, 0.3, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0)
#: Steps per second offered; None runs as fast as the machine goes.
SPEEDS = (1, 2, 5, 10, 20, 50, 100, 200, 500, None)
#: Momentums offered (0 is plain gradient descent).
MOMENTUMS = (0.0, 0.5, 0.9, 0.99)


def rate_text(scale: float, suggested: float | None) -> str:
    """E.g. ``"0.0123 (1x the suggested 1/L = 0.0123)"``; the rate alone before it is known."""
    if suggested is None:
        return f"{scale:g}x the suggested rate"
    return f"{scale * suggested:.3g} ({scale:g}x the suggested 1/L = {suggested:.3g})"


def exact_verdict(problem: LearnProblem, exact: DescentStep, equations: int) -> str:
    """The fit's sentence for the exact answer on a descent's working rows (see ``fit_verdict``).

    The target's spread is measured on at most a million of its values (those a mask keeps).
    """
    t = problem.target if problem.mask is None else problem.target[problem.mask]
    flat = t.reshape(-1)
    sample = flat[:: max(1, flat.size // (1 << 20))]
    spread = float(np.std(sample, dtype=np.float64))
    rms = math.sqrt(max(exact.loss, 0.0))
    fit = KernelFit(exact.kernel, exact.bias, rms, spread, True, 1.0, equations, equations)
    return fit_verdict(fit, bias=problem.bias)


_NO_STEPS = read_only(np.zeros(0, np.int64))
_NO_LOSSES = read_only(np.zeros(0, np.float64))


@dataclass(frozen=True)
class DescentJob:
    """What a descent loop needs; ``generation`` tags every frame it sends."""

    generation: int
    problem: LearnProblem = field(repr=False)
    rate_scale: float = 1.0
    momentum: float = 0.9
    steps_per_second: float | None = 20.0
    side: int = DEFAULT_VIEW_SIDE
    frame_interval: float = 1 / 60
    start: np.ndarray | None = field(default=None, repr=False)


@dataclass(frozen=True, eq=False)
class DescentFrame:
    """Where a descent stands, as the view shows it.

    ``steps`` and ``losses`` are the steps taken since the previous frame the view took (and
    their losses); ``epoch`` grows with each reset, whose frame starts the curve again.
    ``map_pixels`` and ``residual_pixels`` (read-only uint8, None when this frame brings none)
    show ``image_step``'s kernel. ``error`` is a sentence when the descent could not start.
    """

    generation: int
    epoch: int = 0
    state: DescentStep | None = None
    steps: np.ndarray = field(default_factory=lambda: _NO_STEPS, repr=False)
    losses: np.ndarray = field(default_factory=lambda: _NO_LOSSES, repr=False)
    map_pixels: np.ndarray | None = field(default=None, repr=False)
    residual_pixels: np.ndarray | None = field(default=None, repr=False)
    residual_limit: float = 0.0
    image_step: int = -1
    target_pixels: np.ndarray | None = field(default=None, repr=False)
    exact: DescentStep | None = None
    learning_rate: float = 0.0
    suggested_rate: float = 0.0
    running: bool = False
    verdict: str = ""
    error: str | None = None

    def after(self, older: DescentFrame) -> DescentFrame:
        """This frame carrying also what ``older`` (not taken) brought: its losses, pictures."""
        if older.generation != self.generation or older.epoch != self.epoch:
            return self
        changes: dict = {
            "steps": read_only(np.concatenate([older.steps, self.steps])),
            "losses": read_only(np.concatenate([older.losses, self.losses])),
        }
        if self.map_pixels is None and older.map_pixels is not None:
            changes.update(map_pixels=older.map_pixels, residual_pixels=older.residual_pixels,
                           residual_limit=older.residual_limit, image_step=older.image_step)  # fmt: skip
        if self.target_pixels is None:
            changes["target_pixels"] = older.target_pixels
        if not self.verdict:
            changes["verdict"] = older.verdict
        return replace(self, **changes)


class FrameMailbox(Mailbox[DescentFrame]):
    """One slot between the worker and the GUI thread; a frame put over one not taken merges."""

    def __init__(self) -> None:
        super().__init__(DescentFrame.after)


class _Losses:
    """Losses of the steps since the last frame made (worker side)."""

    def __init__(self) -> None:
        self.steps: list[int] = []
        self.losses: list[float] = []

    def add(self, state: DescentStep) -> None:
        self.steps.append(state.step)
        self.losses.append(state.loss)

    def drain(self) -> tuple[np.ndarray, np.ndarray]:
        steps = read_only(np.asarray(self.steps, np.int64))
        losses = read_only(np.asarray(self.losses, np.float64))
        self.steps, self.losses = [], []
        return steps, losses


class DescentLoop:
    """A descent run by one worker thread (:meth:`run`) and steered from any other.

    ``notify`` is called (on the worker thread) when a frame is left in an empty mailbox; the
    GUI thread then calls :meth:`take`. ``clock`` and ``wait`` may be replaced in tests.
    """

    def __init__(self, job: DescentJob, notify: Callable[[], None], *,
                 clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self.job = job
        self.mailbox = FrameMailbox()
        self._notify = notify
        self._clock = clock
        self._cond = threading.Condition()
        self._running = False
        self._pending = 0  # single steps asked for while paused
        self._stop = False
        self._reset = False
        self._rate_scale = float(job.rate_scale)
        self._momentum = float(job.momentum)
        self._speed = job.steps_per_second
        self._dirty = False  # rate or momentum changed

    # -- steering (any thread) ------------------------------------------------------------
    def _command(self, **changes) -> None:
        with self._cond:
            for name, value in changes.items():
                setattr(self, name, value)
            self._cond.notify_all()

    def play(self) -> None:
        self._command(_running=True)

    def pause(self) -> None:
        self._command(_running=False, _pending=0)

    def step(self, count: int = 1) -> None:
        """Take ``count`` steps while paused."""
        with self._cond:
            self._pending += max(0, int(count))
            self._cond.notify_all()

    def reset(self) -> None:
        """Back to the starting kernel, paused; the next frame starts a new curve."""
        self._command(_reset=True, _running=False, _pending=0)

    def stop(self) -> None:
        """Ask :meth:`run` to return (soon: after the step under way)."""
        self._command(_stop=True)

    def set_rate_scale(self, scale: float) -> None:
        if not (math.isfinite(scale) and scale > 0):
            raise ValueError(f"The learning rate scale must be a positive number, not {scale!r}.")
        self._command(_rate_scale=float(scale), _dirty=True)

    def set_momentum(self, momentum: float) -> None:
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"The momentum must be from 0 to below 1, not {momentum!r}.")
        self._command(_momentum=float(momentum), _dirty=True)

    def set_speed(self, steps_per_second: float | None) -> None:
        """Steps per second, or None for as fast as it goes."""
        if steps_per_second is not None and not steps_per_second > 0:
            raise ValueError("Steps per second must be a positive number.")
        self._command(_speed=steps_per_second)

    def take(self) -> DescentFrame | None:
        """The newest frame not yet taken (GUI thread)."""
        return self.mailbox.take()

    # -- the worker thread ----------------------------------------------------------------
    def run(self) -> None:
        """Step until :meth:`stop`; never raises: a failure is a frame carrying its sentence."""
        try:
            self._run()
        except Exception as exc:  # noqa: BLE001 - becomes the frame's sentence
            self._put(DescentFrame(self.job.generation, error=sentence(exc)))

    def _run(self) -> None:
        job = self.job
        p = job.problem
        descent = KernelDescent(p.picture, p.target, mask=p.mask, momentum=self._momentum,
                                start=job.start, **p.fit_kwargs())  # fmt: skip
        preview = MapPreview(p, job.side)
        exact = descent.exact()
        self._verdict = exact_verdict(p, exact, descent.equations)
        self._descent, self._preview, self._exact = descent, preview, exact
        self._suggested = descent.suggested_learning_rate
        descent.learning_rate = self._suggested * self._rate_scale
        self._epoch = 0
        self._losses = _Losses()
        self._losses.add(descent.state)
        self._image_cost = 0.0
        self._last_frame = self._last_images = -math.inf
        self._frame(descent.state, images=True, target=True)
        next_at: float | None = None
        while True:
            with self._cond:
                if not (self._running or self._pending):
                    next_at = None  # paused: pacing starts again from the next step
                while not (self._stop or self._reset or self._dirty or self._running
                           or self._pending):  # fmt: skip
                    self._cond.wait()
                if self._stop:
                    return
                if self._dirty:
                    self._dirty = False
                    descent.learning_rate = self._suggested * self._rate_scale
                    descent.momentum = self._momentum
                    if not (self._running or self._pending or self._reset):
                        self._frame(descent.state)
                        continue
                if self._reset:
                    self._reset = False
                    self._epoch += 1
                    self._losses = _Losses()
                    self._losses.add(descent.reset(job.start))
                    self._frame(descent.state, images=True)
                    continue
                single = not self._running
                if single:
                    self._pending -= 1
                speed = self._speed
            state = descent.step()
            self._losses.add(state)
            time.sleep(0)  # hand the interpreter lock to the GUI thread if it is waiting
            with self._cond:
                if state.diverged:
                    self._running, self._pending = False, 0
                last = not (self._running or self._pending)
            now = self._clock()
            due = now - self._last_frame >= job.frame_interval
            if last or (due and self.mailbox.empty()):
                budget = max(job.frame_interval, 2.0 * self._image_cost)
                self._frame(state, images=last or now - self._last_images >= budget)
            if speed is not None and not single:
                start = self._clock() if next_at is None else next_at
                next_at = max(start + 1.0 / speed, self._clock() - 0.25)
                with self._cond:
                    while not (self._stop or self._reset or self._dirty or not self._running):
                        left = next_at - self._clock()
                        if left <= 0:
                            break
                        self._cond.wait(left)
            else:
                next_at = None

    def _frame(self, state: DescentStep, *, images: bool = False, target: bool = False) -> None:
        """Make a frame of ``state`` and leave it for the GUI thread."""
        extra: dict = {}
        if images:
            t0 = self._clock()
            map_px, res_px, limit = self._preview.render(state.kernel, state.bias)
            self._image_cost = self._clock() - t0
            self._last_images = self._clock()
            extra = dict(map_pixels=map_px, residual_pixels=res_px, residual_limit=limit,
                         image_step=state.step)  # fmt: skip
        if target:
            extra.update(target_pixels=self._preview.target_pixels, verdict=self._verdict)
        steps, losses = self._losses.drain()
        with self._cond:
            running = self._running or self._pending > 0
        frame = DescentFrame(
            self.job.generation, self._epoch, state, steps, losses, exact=self._exact,
            learning_rate=self._descent.learning_rate, suggested_rate=self._suggested,
            running=running, **extra,
        )  # fmt: skip
        self._last_frame = self._clock()
        self._put(frame)

    def _put(self, frame: DescentFrame) -> None:
        if self.mailbox.put(frame):
            self._notify()


class LossHistory:
    """The loss curve for drawing: at most about ``capacity`` points, however long the run.

    Past ``capacity`` points every other one is dropped and only every ``stride``-th step is
    kept from then on (the stride doubles each time); the newest step is always the last point.
    """

    def __init__(self, capacity: int = 4096) -> None:
        self.capacity = max(8, int(capacity))
        self.clear()

    def clear(self) -> None:
        self._steps = np.zeros(0, np.int64)
        self._losses = np.zeros(0, np.float64)
        self.stride = 1
        self._latest: tuple[int, float] | None = None

    def __len__(self) -> int:
        return len(self.steps())

    @property
    def latest(self) -> tuple[int, float] | None:
        """``(step, loss)`` of the newest step."""
        return self._latest

    def extend(self, steps: np.ndarray, losses: np.ndarray) -> None:
        steps = np.asarray(steps, np.int64)
        losses = np.asarray(losses, np.float64)
        if steps.size == 0:
            return
        self._latest = (int(steps[-1]), float(losses[-1]))
        keep = steps % self.stride == 0
        if self._steps.size:
            keep &= steps > self._steps[-1]
        self._steps = np.concatenate([self._steps, steps[keep]])
        self._losses = np.concatenate([self._losses, losses[keep]])
        while self._steps.size > self.capacity:
            self.stride *= 2
            kept = self._steps % self.stride == 0
            self._steps, self._losses = self._steps[kept], self._losses[kept]

    def steps(self) -> np.ndarray:
        return self.points()[0]

    def points(self) -> tuple[np.ndarray, np.ndarray]:
        """Steps and losses to draw, the newest step last."""
        if self._latest is not None and (
            not self._steps.size or self._steps[-1] != self._latest[0]
        ):
            return (
                np.append(self._steps, self._latest[0]),
                np.append(self._losses, self._latest[1]),
            )
        return self._steps.copy(), self._losses.copy()
