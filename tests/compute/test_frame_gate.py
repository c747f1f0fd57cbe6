"""When the next frame may go, without Qt: maps shown, the deadline, its back-off, the rate."""

from __future__ import annotations

import numpy as np

from filterstudio.compute.frame_gate import MIN_DEADLINE, FrameGate, maps_shown
from filterstudio.compute.ledger import Ledger
from filterstudio.compute.requests import ComputeResult
from filterstudio.model.bank import Bank, Filter
from filterstudio.model.stack import Stack
from filterstudio.model.studio import make_derived


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _result(uid: str, generation: int, preview: int = 1, error: str | None = None):
    values = None if error else np.zeros((2, 2), np.float32)
    return ComputeResult(generation, uid, values, None, None, None, "minmax", None, error=error,
                         preview=preview)  # fmt: skip


def _show(ledger: Ledger, result: ComputeResult) -> None:
    ledger.receive(result)
    assert ledger.next_to_show() is result


def test_a_frame_may_go_once_its_maps_are_complete_and_not_before():
    clock = Clock()
    gate = FrameGate(clock=clock)
    assert gate.ready() and not gate.waiting  # nothing out: the first frame goes at once
    gate.handed_over()
    assert not gate.ready() and gate.waiting
    clock.now += 0.05
    assert gate.complete()
    assert not gate.complete()  # once per frame
    assert gate.ready() and gate.frames_complete == 1 and gate.frames_abandoned == 0


def test_the_deadline_lets_the_next_frame_go_and_follows_the_median_frame_time():
    clock = Clock()
    gate = FrameGate(clock=clock)
    for _ in range(5):
        gate.handed_over()
        clock.now += 0.2
        gate.complete()
    assert abs(gate.deadline - 3 * 0.2) < 1e-9
    gate.handed_over()
    clock.now += 0.59
    assert not gate.ready()
    assert abs(gate.seconds_to_deadline() - 0.01) < 1e-6
    clock.now += 0.02
    assert gate.ready()  # the maps are late: the video goes on


def test_a_deadline_that_passes_doubles_so_a_slower_map_is_never_starved():
    clock = Clock()
    gate = FrameGate(clock=clock)
    gate.handed_over()
    clock.now += 0.01
    gate.complete()
    assert gate.deadline == MIN_DEADLINE
    # The maps became far slower (a stage added): each frame is abandoned at the deadline...
    deadlines = []
    for _ in range(4):
        gate.handed_over()
        clock.now += gate.deadline
        assert gate.ready()
        deadlines.append(gate.deadline)
    gate.handed_over()
    assert gate.frames_abandoned == 4
    assert deadlines == [MIN_DEADLINE * 2**k for k in range(4)]
    # ...until the deadline is longer than they take: the frame completes again.
    clock.now += 3.0
    assert gate.deadline > 3.0 and not gate.ready()
    assert gate.complete()


def test_the_rate_counts_complete_frames_over_the_last_seconds():
    clock = Clock()
    gate = FrameGate(clock=clock)
    assert gate.shown_rate() == 0.0
    for _ in range(11):
        gate.handed_over()
        clock.now += 0.1
        gate.complete()
    assert abs(gate.shown_rate() - 10.0) < 1e-6
    clock.now += 5.0  # nothing for a while: the old frames no longer count
    assert gate.shown_rate() == 0.0


def test_reset_forgets_the_frame_out():
    gate = FrameGate(clock=Clock())
    gate.handed_over()
    gate.reset()
    assert gate.ready() and not gate.waiting and gate.seconds_to_deadline() is None


def test_maps_shown_needs_every_full_map_of_the_picture_whichever_edit_asked():
    a, b = Filter("a", np.eye(3)), Filter("b", np.ones((3, 3)))
    stack = Stack.of(Bank((a, b, Filter("c", np.eye(3), enabled=False))))
    ledger = Ledger()
    ledger.new_picture()
    ga, gb = ledger.ask(a.uid, ("frame 1", 1)), ledger.ask(b.uid, ("frame 1", 1))
    assert not maps_shown(ledger, stack)
    _show(ledger, _result(a.uid, ga))
    _show(ledger, _result(b.uid, gb, preview=2))
    assert not maps_shown(ledger, stack)  # a preview is not the map
    # An edit of b asks again; the full answer to the older request still counts for the frame.
    ledger.ask(b.uid, ("frame 1", 2))
    _show(ledger, _result(b.uid, gb))
    assert maps_shown(ledger, stack)  # the switched-off filter is not waited for
    ledger.new_picture()  # the next frame: nothing of the old one counts
    assert not maps_shown(ledger, stack)


def test_maps_shown_waits_for_a_combined_map_once_its_sources_are_there():
    a, b = Filter("a", np.eye(3)), Filter("b", np.ones((3, 3)))
    stack = Stack.of(Bank((a, b)))
    d = make_derived(a.uid, b.uid, "magnitude")
    ledger = Ledger()
    ledger.new_picture()
    ga, gb = ledger.ask(a.uid, (1,)), ledger.ask(b.uid, (1,))
    _show(ledger, _result(a.uid, ga))
    _show(ledger, _result(b.uid, gb, error="It failed."))
    assert maps_shown(ledger, stack, [d])  # b failed: the combined map cannot come
    ledger.new_picture()
    ga, gb = ledger.ask(a.uid, (2,)), ledger.ask(b.uid, (2,))
    _show(ledger, _result(a.uid, ga))
    _show(ledger, _result(b.uid, gb))
    assert not maps_shown(ledger, stack, [d])
    _show(ledger, _result(d.uid, ledger.ask(d.uid, (ga, gb))))
    assert maps_shown(ledger, stack, [d])
