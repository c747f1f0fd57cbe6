"""The descent loop on its own thread: frames, pause, single steps, reset, divergence; the curve."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from filterstudio import convolve
from filterstudio.compute.learn_descent import (
    DescentFrame,
    DescentJob,
    DescentLoop,
    FrameMailbox,
    LossHistory,
    rate_text,
)
from filterstudio.compute.learn_targets import PLAIN, LearnProblem, mystery_target
from filterstudio.core.mystery import mystery_kernel

RNG = np.random.default_rng(11)
PICTURE = RNG.random((40, 44)).astype(np.float32)
LAPLACE = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], np.float32)


def problem(target=None) -> LearnProblem:
    t = convolve(PICTURE, LAPLACE) + np.float32(0.2) if target is None else target
    t.setflags(write=False)
    return LearnProblem(PICTURE, t, (3, 3), PLAIN, True, None, (float(t.min()), float(t.max())))


class Runner:
    """A loop on a thread; frames collected as the GUI thread would take them."""

    def __init__(self, **job) -> None:
        self.told = threading.Event()
        self.loop = DescentLoop(DescentJob(7, job.pop("problem", None) or problem(), **job),
                                self.told.set)  # fmt: skip
        self.frames: list[DescentFrame] = []
        self.thread = threading.Thread(target=self.loop.run, daemon=True)
        self.thread.start()

    def until(self, pred, timeout: float = 20.0) -> DescentFrame:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.told.wait(0.05)
            self.told.clear()
            frame = self.loop.take()
            if frame is not None:
                self.frames.append(frame)
                if pred(frame):
                    return frame
        raise AssertionError("no such frame came")

    def close(self) -> None:
        self.loop.stop()
        self.thread.join(10)
        assert not self.thread.is_alive()


@pytest.fixture
def runner():
    made: list[Runner] = []

    def make(**job) -> Runner:
        made.append(Runner(**job))
        return made[-1]

    yield make
    for r in made:
        r.close()


def test_the_first_frame_shows_the_start_the_target_and_the_exact_answer(runner):
    r = runner()
    first = r.until(lambda f: True)
    assert first.generation == 7 and first.epoch == 0 and first.error is None
    assert first.state.step == 0 and not first.running
    assert first.target_pixels is not None and first.map_pixels is not None
    assert not first.map_pixels.flags.writeable and not first.residual_pixels.flags.writeable
    np.testing.assert_allclose(first.exact.kernel, LAPLACE, atol=1e-4)
    assert first.suggested_rate > 0 and first.learning_rate == pytest.approx(first.suggested_rate)
    assert list(first.steps) == [0] and first.losses[0] == pytest.approx(first.state.loss)


def test_playing_converges_and_every_step_reaches_the_curve(runner):
    r = runner(steps_per_second=None)
    start = r.until(lambda f: True)
    r.loop.play()
    last = r.until(lambda f: f.state.loss < 1e-8 * start.state.loss)
    r.loop.pause()
    paused = r.until(lambda f: not f.running)
    history = LossHistory()
    for f in r.frames:
        history.extend(f.steps, f.losses)
    steps, losses = history.points()
    assert list(steps) == list(range(paused.state.step + 1))  # none lost, none twice
    assert losses[-1] == pytest.approx(paused.state.loss)
    assert last.state.step > 10
    np.testing.assert_allclose(paused.state.kernel, LAPLACE, atol=1e-3)
    assert paused.map_pixels is not None and paused.image_step == paused.state.step


def test_single_steps_while_paused_and_a_reset_starts_a_new_curve(runner):
    r = runner()
    r.until(lambda f: True)
    r.loop.step(3)
    three = r.until(lambda f: f.state.step == 3)
    assert not three.running
    r.loop.reset()
    again = r.until(lambda f: f.epoch == 1)
    assert again.state.step == 0 and list(again.steps) == [0]
    assert again.state.loss == pytest.approx(r.frames[0].state.loss)


def test_a_rate_far_too_large_diverges_and_pauses_with_the_kernel_kept(runner):
    r = runner(rate_scale=50.0, momentum=0.0, steps_per_second=None)
    r.until(lambda f: True)
    r.loop.play()
    bad = r.until(lambda f: f.state.diverged)
    assert not bad.running
    assert np.isfinite(bad.state.kernel).all()
    r.loop.set_rate_scale(1.0)
    fixed = r.until(lambda f: f.learning_rate == pytest.approx(f.suggested_rate))
    assert not fixed.running


def test_speed_paces_the_steps(runner):
    r = runner(steps_per_second=20)
    r.until(lambda f: True)
    t0 = time.monotonic()
    r.loop.play()
    r.until(lambda f: f.state.step >= 6)
    assert time.monotonic() - t0 >= 0.25  # 6 steps at 20 per second take 0.3 s


def test_a_problem_the_descent_refuses_is_one_sentence(runner):
    tiny = np.zeros((1, 2), np.float32)
    r = runner(problem=LearnProblem(PICTURE[:3, :4], tiny, (3, 3), PLAIN, True, None, (0.0, 0.0)))
    frame = r.until(lambda f: True)
    assert frame.state is None and frame.error.endswith(".")
    r.thread.join(5)
    assert not r.thread.is_alive()


def test_a_mystery_problem_descends_towards_its_kernel(runner):
    m = mystery_kernel(4, size=3, kind="sharpen")
    p = mystery_target(PICTURE, m).problem(3, PLAIN)
    r = runner(problem=p, steps_per_second=None)
    r.until(lambda f: True)
    r.loop.play()
    done = r.until(lambda f: np.abs(f.state.kernel - m.kernel).max() < 1e-3)
    assert done.exact is not None


def test_a_frame_put_over_one_not_taken_carries_both_losses():
    box = FrameMailbox()
    pixels = np.zeros((2, 2), np.uint8)
    a = DescentFrame(1, 0, None, np.array([1, 2]), np.array([0.5, 0.4]), map_pixels=pixels,
                     residual_pixels=pixels, image_step=2)  # fmt: skip
    b = DescentFrame(1, 0, None, np.array([3]), np.array([0.3]))
    assert box.put(a) is True
    assert box.put(b) is False  # already told
    got = box.take()
    assert list(got.steps) == [1, 2, 3] and list(got.losses) == [0.5, 0.4, 0.3]
    assert got.map_pixels is pixels and got.image_step == 2
    assert box.take() is None and box.empty()
    # A frame of a new epoch (a reset) does not carry the old curve.
    box.put(a)
    box.put(DescentFrame(1, 1, None, np.array([0]), np.array([0.9])))
    assert list(box.take().steps) == [0]


def test_the_loss_history_stays_bounded_and_keeps_the_newest_step():
    h = LossHistory(capacity=64)
    for start in range(0, 1000, 7):
        steps = np.arange(start, min(start + 7, 1000))
        h.extend(steps, 1.0 / (1 + steps))
    steps, losses = h.points()
    assert len(steps) <= 65 and steps[0] == 0 and steps[-1] == 999
    assert np.all(np.diff(steps) > 0)
    np.testing.assert_allclose(losses, 1.0 / (1 + steps))
    assert h.latest == (999, pytest.approx(1 / 1000))
    h.clear()
    assert len(h) == 0 and h.latest is None


def test_rate_text_shows_the_rate_and_the_suggested_one():
    assert rate_text(2.0, 0.05) == "0.1 (2x the suggested 1/L = 0.05)"
    assert rate_text(1.0, None) == "1x the suggested rate"


def test_a_fault_during_the_steps_is_a_sentence_and_ends_the_thread(runner, monkeypatch):
    from filterstudio.core.descent import KernelDescent

    def broken(self):
        raise MemoryError

    monkeypatch.setattr(KernelDescent, "step", broken)
    r = runner()
    r.until(lambda f: True)
    r.loop.play()
    frame = r.until(lambda f: f.error is not None)
    assert frame.error.endswith(".")
    r.thread.join(5)
    assert not r.thread.is_alive()
