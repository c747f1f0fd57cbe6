"""The cycle collector runs on the GUI thread's timer: young passes often, full ones in pauses."""

from __future__ import annotations

import gc
import weakref

import pytest

from filterstudio.gui.collector import CycleCollector


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class _Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it


@pytest.fixture
def restore_gc():
    enabled = gc.isenabled()
    yield
    if enabled:
        gc.enable()


def test_automatic_passes_are_off_while_it_runs_and_back_after(qtbot, restore_gc):
    gc.enable()
    collector = CycleCollector(young_ms=5)
    assert not gc.isenabled()
    # A cycle made now is freed by the timer's passes, on this (the GUI) thread.
    node = _Node()
    ref = weakref.ref(node)
    del node
    young = [[] for _ in range(gc.get_threshold()[0] + 10)]  # allocations enough for a pass
    qtbot.waitUntil(lambda: ref() is None, timeout=5000)
    del young
    collector.stop()
    assert gc.isenabled()


def test_a_full_pass_waits_for_a_pause_but_not_forever(qtbot, restore_gc):
    clock = _Clock()
    collector = CycleCollector(young_ms=10_000, quiet=1.0, every=10.0, at_latest=60.0, clock=clock)
    try:
        # Busy: an edit every half second. No full pass, even after the usual interval...
        for _ in range(40):
            clock.now += 0.5
            collector.activity()
            collector.tick()
        assert collector.full_passes() == 0
        # ...but one at the latest a minute after the last.
        for _ in range(90):
            clock.now += 0.5
            collector.activity()
            collector.tick()
        assert collector.full_passes() == 1
        # A pause of a second, ten seconds after the last full pass: one now.
        clock.now += 10.0
        collector.tick()
        assert collector.full_passes() == 2
        collector.tick()  # and not again at once
        assert collector.full_passes() == 2
    finally:
        collector.stop()
