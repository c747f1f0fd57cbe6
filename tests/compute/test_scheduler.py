"""The scheduler: newest request per map wins, previews first, full maps once a map settles."""

from __future__ import annotations

import threading

import numpy as np

from filterstudio.compute.requests import ComputeRequest, ComputeResult
from filterstudio.compute.scheduler import Scheduler
from filterstudio.model.bank import Filter, Layer

_PICTURE = np.zeros((4, 4), np.float32)
_FILTER = Filter("f", np.ones((3, 3)))


def _request(uid: str, generation: int, image_key: int = 1, preview: int = 1):
    return ComputeRequest(
        generation=generation, uid=uid, image_key=image_key, image=_PICTURE, flt=_FILTER,
        layer=Layer(), preview=preview,
    )  # fmt: skip


def _result(req: ComputeRequest, error: str | None = None) -> ComputeResult:
    return ComputeResult(
        generation=req.generation, uid=req.uid, values=None, pixels=None, stats=None,
        geometry=None, mapping="minmax", colormap=None, error=error, preview=req.preview,
    )  # fmt: skip


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_for_one_map_leaves_only_the_newest_waiting():
    s = Scheduler()
    for g in range(1, 31):
        s.submit(_request("a", g))
    s.submit(_request("b", 31))
    assert s.pending_count() == 2
    first, second = s.take(), s.take()
    assert (first.request.uid, first.request.generation) == ("a", 30)
    assert (second.request.uid, second.request.generation) == ("b", 31)
    assert first.fresh and second.fresh


def test_frames_replacing_the_picture_drop_stale_work_instead_of_queueing_it():
    # A frame source replaces the picture 30 times a second: each frame asks for every map
    # again under a new picture key; only the newest frame's requests may be computed.
    s = Scheduler()
    maps = ("f1", "f2", "f3", "f4")
    generation = 0
    for frame in range(1, 31):
        for uid in maps:
            generation += 1
            s.submit(_request(uid, generation, image_key=frame))
    assert s.pending_count() == len(maps)
    taken = [s.take().request for _ in maps]
    assert {r.image_key for r in taken} == {30}
    assert [r.uid for r in taken] == list(maps)


def test_a_preview_defers_the_full_map_until_the_map_settles():
    clock = Clock()
    s = Scheduler(settle=0.5, clock=clock)
    s.submit(_request("a", 1))
    job = s.take()
    previewed = _request("a", 1, preview=3)
    assert s.finish(previewed, _result(previewed))
    assert s.pending_count() == 1  # the full map waits
    s.submit(_request("b", 2))
    assert s.take().request.uid == "b"  # other maps are previewed first
    clock.now += 0.6
    full = s.take()
    assert not full.fresh and full.request.uid == "a" and full.request.preview == 1
    assert job.request.generation == full.request.generation


def test_no_full_map_follows_a_preview_that_failed_or_was_superseded():
    s = Scheduler(settle=0.0)
    failed = _request("a", 1, preview=2)
    s.finish(failed, _result(failed, error="The kernel is larger than the padded image."))
    superseded = _request("b", 2, preview=2)
    s.submit(_request("b", 3))
    s.finish(superseded, _result(superseded))
    assert s.pending_count() == 1
    assert s.take().request.generation == 3


def test_forgetting_a_map_drops_its_waiting_and_deferred_work():
    s = Scheduler(settle=10.0)
    s.submit(_request("a", 1))
    s.forget("a")
    previewed = _request("b", 2, preview=2)
    s.finish(previewed, _result(previewed))
    s.forget("b")
    assert s.pending_count() == 0
    s.submit(_request("b", 3))  # asked for again (an undone removal): live again
    assert s.take().request.generation == 3


def test_stop_wakes_a_waiting_taker_and_refuses_results():
    s = Scheduler()
    busy: list[bool] = []
    s = Scheduler(on_busy=busy.append)
    taken = []
    thread = threading.Thread(target=lambda: taken.append(s.take()))
    thread.start()
    s.stop()
    thread.join(5)
    assert not thread.is_alive() and taken == [None]
    req = _request("a", 1)
    assert s.finish(req, _result(req)) is False
    assert busy in ([], [False])
