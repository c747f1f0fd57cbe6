"""The descent side of the Learn page: its thread steered, its frames shown, its pace measured.

:class:`DescentPresenter` starts a :class:`~.learn_worker.DescentThread` for the lined-up target
on first use, forwards play, pause, single steps, reset, learning rate, momentum and speed to
its loop, and pushes each frame it takes into the Learn page: the kernel, the map and residual
when the frame brings them, the loss curve (:class:`~filterstudio.compute.learn_descent.LossHistory`)
and the exact answer's verdict. A frame of another generation is dropped.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QGuiApplication

from ..compute.learn_descent import DescentFrame, DescentJob, LossHistory, rate_text
from ..compute.learn_targets import LearnProblem
from .learn_worker import DescentThread, DescentThreads
from .widgets import LearnWidget

#: Frames a descent sends at most per second (and never more than one per display refresh):
#: each costs the GUI thread a slot and two paints, taken between the worker's steps.
MAX_FRAMES_PER_SECOND = 30.0

DIVERGED = (
    "The loss grew without bound at this learning rate, so the descent stopped: choose a "
    "smaller rate and descend again."
)


class DescentPresenter(QObject):
    """One descent at a time for the Learn page.

    Signals
    -------
    frameShown(object)
        A :class:`~filterstudio.compute.learn_descent.DescentFrame` was pushed into the page.
    message(str)
    """

    frameShown = Signal(object)
    message = Signal(str)

    def __init__(self, page: LearnWidget, side: Callable[[], int], show_maps: Callable,
                 parent: QObject | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.page = page
        self._side = side
        self._show_maps = show_maps  # (map pixels, residual pixels, limit) into the page
        self._threads = DescentThreads(self)
        self._generation = 0
        self._problem: LearnProblem | None = None
        self._history = LossHistory()
        self._epoch = 0
        self._running = False
        self._step = 0
        self._frames = 0
        self._pace: deque[tuple[float, int]] = deque()
        self._said_at = 0.0
        self._rate_scale, self._momentum = 1.0, 0.9
        self._speed: float | None = 20.0
        self._suggested: float | None = None
        self.verdict = ""
        self._show_rate()

    # == a new target ========================================================================
    def restart(self, generation: int, problem: LearnProblem | None = None) -> None:
        """Forget the descent shown; the next one runs on ``problem`` (None: none yet)."""
        self._threads.retire()
        self._generation, self._problem = generation, problem
        self._history.clear()
        self._epoch = self._step = 0
        self._running, self._suggested, self.verdict = False, None, ""
        self._pace.clear()
        self.page.set_running(False)
        self._show_rate()

    def set_problem(self, generation: int, problem: LearnProblem) -> None:
        if generation == self._generation:
            self._problem = problem

    # == steering ============================================================================
    def play(self) -> bool:
        if self._problem is None:
            return False
        self._running = True
        self.page.set_running(True)
        self._thread().loop.play()
        return True

    def pause(self) -> None:
        if self._running and self._threads.current is not None:
            self._threads.current.loop.pause()
            self.page.set_status(f"Paused at step {self._step}.")
        self._running = False
        self.page.set_running(False)

    def step(self, count: int = 1) -> bool:
        if self._problem is None:
            return False
        self.pause()
        self._thread().loop.step(count)
        return True

    def reset(self) -> None:
        self.pause()
        if self._threads.current is not None:
            self._threads.current.loop.reset()

    def set_rate_scale(self, scale: float) -> None:
        if not (isinstance(scale, (int, float)) and math.isfinite(scale) and scale > 0):
            self.message.emit(f"The learning rate scale must be a positive number, not {scale!r}.")
            return
        if self._threads.current is not None:
            self._threads.current.loop.set_rate_scale(scale)  # refuses a bad value first
        self._rate_scale = float(scale)
        self._show_controls()

    def set_momentum(self, momentum: float) -> None:
        if not (isinstance(momentum, (int, float)) and 0.0 <= momentum < 1.0):
            self.message.emit(f"The momentum must be from 0 to below 1, not {momentum!r}.")
            return
        if self._threads.current is not None:
            self._threads.current.loop.set_momentum(momentum)
        self._momentum = float(momentum)
        self._show_controls()

    def set_speed(self, steps_per_second: float | None) -> None:
        ok = steps_per_second is None or (
            isinstance(steps_per_second, (int, float)) and steps_per_second > 0
        )
        if not ok:
            self.message.emit(
                f"Steps per second must be a positive number (or None for as fast as it goes), "
                f"not {steps_per_second!r}."
            )
            return
        if self._threads.current is not None:
            self._threads.current.loop.set_speed(steps_per_second)
        self._speed = steps_per_second
        self._show_controls()

    def _show_controls(self) -> None:
        self.page.set_descent_controls(self._rate_scale, self._momentum, self._speed)
        self._show_rate()

    def _thread(self) -> DescentThread:
        """This generation's descent thread, started on first use."""
        thread = self._threads.current
        if thread is not None:
            return thread
        screen = QGuiApplication.primaryScreen()
        refresh = screen.refreshRate() if screen is not None else 60.0
        job = DescentJob(
            self._generation, self._problem, self._rate_scale, self._momentum, self._speed,
            self._side(), 1.0 / min(max(refresh, 24.0), MAX_FRAMES_PER_SECOND),
        )  # fmt: skip
        thread = self._threads.start(job)
        thread.frameReady.connect(lambda t=thread: self._take_frame(t))
        self.page.set_status("Setting up the descent…")
        return thread

    # == frames ==============================================================================
    def _take_frame(self, thread: DescentThread) -> None:
        if thread is not self._threads.current:
            return
        frame: DescentFrame | None = thread.loop.take()
        if frame is None or frame.generation != self._generation:
            return
        if frame.error:
            self.pause()
            self._threads.retire()
            self.message.emit(frame.error)
            return
        if frame.epoch != self._epoch:
            self._epoch = frame.epoch
            self._history.clear()
        self._history.extend(frame.steps, frame.losses)
        state = frame.state
        self._step = state.step
        caption = f"step {state.step} · loss {state.loss:.3g} · bias {state.bias:.4g}"
        self.page.set_kernel(state.kernel, caption)
        if frame.map_pixels is not None:
            self._show_maps(frame.map_pixels, frame.residual_pixels, frame.residual_limit)
        steps, losses = self._history.points()
        self.page.set_curve(steps, losses, frame.exact.loss if frame.exact else None)
        if frame.verdict and frame.verdict != self.verdict:
            self.verdict = frame.verdict
            self.page.set_verdict(f"Where the steps lead: {frame.verdict}")
        if frame.suggested_rate != self._suggested:
            self._suggested = frame.suggested_rate
            self._show_rate()
        if state.diverged and self._running:
            self.pause()
            self.message.emit(DIVERGED)
        self._frames += 1
        self._show_pace(state.step)
        self.frameShown.emit(frame)

    def _show_pace(self, step: int) -> None:
        """Say how fast the steps go, measured over the last two seconds of frames."""
        now = time.monotonic()
        pace = self._pace
        if pace and step < pace[-1][1]:
            pace.clear()  # a reset
        pace.append((now, step))
        while len(pace) > 2 and now - pace[0][0] > 2.0:
            pace.popleft()
        # A label whose text changes lays the page out again: twice a second is enough.
        if not self._running:
            self.page.set_status(f"Paused at step {step}.")
            self._said_at = 0.0
        elif len(pace) > 1 and pace[-1][0] > pace[0][0] and now - self._said_at >= 0.5:
            rate = (pace[-1][1] - pace[0][1]) / (pace[-1][0] - pace[0][0])
            self.page.set_status(f"Step {step} · {rate:.3g} steps per second")
            self._said_at = now

    def _show_rate(self) -> None:
        self.page.set_rate_text(rate_text(self._rate_scale, self._suggested))

    # == reading =============================================================================
    def is_running(self) -> bool:
        return self._running

    def step_count(self) -> int:
        return self._step

    def loss_history(self) -> tuple[np.ndarray, np.ndarray]:
        return self._history.points()

    def frames_shown(self) -> int:
        return self._frames

    def suggested_learning_rate(self) -> float | None:
        return self._suggested

    def shutdown(self) -> None:
        self._generation += 1
        self._threads.shutdown()
