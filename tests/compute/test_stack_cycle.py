"""The compute cycle of a stack without Qt: later stages wait for exact maps, stale answers never
show, display changes recompute nothing, every map equals the stack computed in one go."""

from __future__ import annotations

import numpy as np
import pytest

from filterstudio.compute.cache import MapCache
from filterstudio.compute.ledger import Ledger
from filterstudio.compute.planning import preview_layer
from filterstudio.compute.process import planned, process_request
from filterstudio.compute.requests import ComputeRequest, StageRequest
from filterstudio.compute.scheduler import Scheduler
from filterstudio.compute.scratch import Scratch
from filterstudio.compute.stack_plan import expected_maps, plan_stack
from filterstudio.compute.stage_process import stage_geometry
from filterstudio.compute.stagework import conv_map, run_stack
from filterstudio.core.conv2d import conv2d
from filterstudio.model.bank import Bank, Filter, Layer
from filterstudio.model.stack import Stack
from filterstudio.model.studio import DisplayState, make_image_state

rng = np.random.default_rng(8)


def small_stack(mode="gray") -> Stack:
    bank = Bank(
        tuple(Filter(f"f{i}", rng.normal(size=(3, 3)), activation="relu") for i in range(3)),
        Layer(channel_mode=mode, padding="same"),
    )
    return Stack.of(bank).adding_stage("pool").adding_stage("conv", count=2)


class Cycle:
    """The controller's loop without Qt: plan, compute in order, receive, show."""

    def __init__(self, stack: Stack, pixels: np.ndarray, cache: MapCache | None = None) -> None:
        self.stack = stack
        self.image = make_image_state(pixels, "p", with_display=False)
        self.display = DisplayState()
        self.ledger = Ledger()
        self.cache = cache if cache is not None else MapCache()
        self.pending: list = []
        self.held: list = []
        self.computed: list = []

    def plan(self) -> None:
        plan = plan_stack(self.stack, self.image, self.display, self.ledger, 256)
        self.held += plan.held
        waiting = {r.uid for r in plan.submit}
        self.pending = [r for r in self.pending if r.uid not in waiting and r.uid not in plan.held]
        self.pending += plan.submit

    def step(self) -> bool:
        """Compute and show one request (full maps only); False when nothing is left."""
        if not self.pending:
            return False
        req = self.pending.pop(0)
        self.computed.append(req)
        self.deliver(process_request(req, self.cache))
        return True

    def deliver(self, result) -> None:
        self.ledger.receive(result)
        while self.ledger.has_inbox():
            if self.ledger.next_to_show() is not None:
                self.plan()

    def run(self) -> None:
        self.plan()
        while self.step():
            pass

    def current(self) -> bool:
        return self.ledger.all_final(expected_maps(self.stack))

    def values(self, k: int) -> dict:
        return {
            key: self.ledger.shown(key).values
            for key in self.stack.map_keys(k)
            if self.ledger.shown(key) is not None
        }


@pytest.mark.parametrize("mode", ["gray", "color", "depth"])
def test_every_stage_equals_the_stack_computed_in_one_go(mode):
    pixels = rng.random((23, 30, 3)).astype(np.float32)
    cycle = Cycle(small_stack(mode), pixels)
    cycle.run()
    assert cycle.current()
    ref = run_stack(pixels, cycle.stack)
    for k in range(3):
        got = cycle.values(k)
        assert set(got) == set(ref[k])
        for key, values in ref[k].items():
            np.testing.assert_array_equal(got[key], values)
    # The last stage is conv2d of the pooled maps with the stage's weights (PyTorch layout).
    pooled = np.stack([ref[1][key] for key in cycle.stack.map_keys(1)], axis=2)
    weight = np.stack([f.kernel.transpose(2, 0, 1) for f in cycle.stack.stages[2].filters])
    out = conv2d(pooled, weight, [f.bias for f in cycle.stack.stages[2].filters])
    for o, key in enumerate(cycle.stack.map_keys(2)):
        np.testing.assert_allclose(cycle.values(2)[key], out[:, :, o], atol=1e-5)


@pytest.mark.parametrize("mode", ["gray", "color"])
def test_a_stack_whose_maps_all_went_to_scratch_files_is_still_exact(tmp_path, mode):
    pixels = rng.random((23, 30, 3)).astype(np.float32)
    cache = MapCache(budget=0, scratch=Scratch(tmp_path, min_bytes=0))
    cycle = Cycle(small_stack(mode), pixels, cache)
    cycle.run()
    assert cycle.current()
    assert cache.spilled_uids() == cache.cached_uids() and cache.cached_uids()
    ref = run_stack(pixels, cycle.stack)
    for k in range(3):
        for key, values in ref[k].items():
            np.testing.assert_array_equal(cycle.values(k)[key], values)


def test_later_stages_wait_for_exact_maps_and_carry_them():
    cycle = Cycle(small_stack(), rng.random((16, 16)).astype(np.float32))
    cycle.plan()
    assert all(isinstance(r, ComputeRequest) for r in cycle.pending)
    assert set(cycle.held) == set(cycle.stack.map_keys(1)) | set(cycle.stack.map_keys(2))
    while any(isinstance(r, ComputeRequest) for r in cycle.pending):
        cycle.step()
    pooled = [r for r in cycle.pending if isinstance(r, StageRequest)]
    assert [r.stage for r in pooled] == [1, 1, 1]
    first = cycle.stack.bank.filters[0].uid
    assert pooled[0].sources[0].values is cycle.ledger.shown(first).values  # no copy


def test_an_edit_in_stage_one_holds_every_later_map_and_drops_their_late_answers():
    cycle = Cycle(small_stack(), rng.random((16, 16)).astype(np.float32))
    cycle.run()
    last = cycle.stack.map_keys(2)[0]
    # A request of the last stage is computed now; the user edits stage 1 meanwhile.
    old_request = cycle.computed[-1]
    assert old_request.uid in cycle.stack.map_keys(2)
    late = process_request(old_request, MapCache())
    cycle.stack = cycle.stack.with_stage_kernel(0, 0, np.ones((3, 3)))
    cycle.held.clear()
    cycle.plan()
    assert set(cycle.held) == set(cycle.stack.map_keys(1)[:1]) | set(cycle.stack.map_keys(2))
    assert cycle.ledger.shown(last) is None and not cycle.current()
    assert not cycle.ledger.should_show(late)  # asked before the change: never shown again
    cycle.deliver(late)
    assert cycle.ledger.shown(last) is None
    before = len(cycle.computed)
    while cycle.step():
        pass
    assert cycle.current()
    followed = [r for r in cycle.computed[before:] if isinstance(r, StageRequest)]
    assert followed and not any(r.may_preview for r in followed)
    ref = run_stack(cycle.image.pixels, cycle.stack)
    np.testing.assert_array_equal(cycle.values(2)[last], ref[2][last])
    # Its own edit is previewed as a drag would be.
    cycle.stack = cycle.stack.with_stage_kernel(2, 0, np.ones((3, 3, 3)))
    cycle.plan()
    (own,) = cycle.pending
    assert own.uid == last and own.may_preview


def test_only_the_pooled_maps_of_the_edited_filter_are_asked_again():
    cycle = Cycle(small_stack(), rng.random((16, 16)).astype(np.float32))
    cycle.run()
    cycle.computed.clear()
    cycle.stack = cycle.stack.with_stage_kernel(0, 1, np.eye(3))
    cycle.run()
    asked = [r.uid for r in cycle.computed]
    f1 = cycle.stack.bank.filters[1].uid
    assert asked[0] == f1
    assert [u for u in asked if "/" in u] == [cycle.stack.map_keys(1)[1]]
    assert set(cycle.stack.map_keys(2)) <= set(asked)


def test_a_display_change_recomputes_no_later_stage():
    cycle = Cycle(small_stack(), rng.random((16, 16)).astype(np.float32))
    cycle.run()
    cycle.computed.clear()
    cycle.display = cycle.display.with_override(cycle.stack.bank.filters[0].uid, "abs", None)
    cycle.run()
    assert [r.uid for r in cycle.computed] == [cycle.stack.bank.filters[0].uid]
    assert cycle.current()


def test_a_failed_map_and_a_stage_that_cannot_run_answer_with_a_sentence():
    stack = small_stack()
    big = Filter("big", np.ones((13, 3)))  # taller than the picture
    cycle = Cycle(
        stack.with_stage_filter(0, 0, big).with_stage_settings(0, padding="valid"),
        rng.random((10, 16)).astype(np.float32),
    )
    cycle.run()
    assert cycle.current()
    pooled = cycle.ledger.shown(cycle.stack.map_keys(1)[0])
    assert pooled.error == "It reads the map of 'big', which could not be computed."
    conv = cycle.ledger.shown(cycle.stack.map_keys(2)[0])
    assert conv.error == "Stage 3 reads a map of stage 2 that has no cells."


def test_switched_off_filters_give_zeros_and_no_request():
    stack = small_stack()
    stack = stack.with_stage_filter(0, 2, Filter("off", np.ones((3, 3)), enabled=False))
    cycle = Cycle(stack, rng.random((16, 16)).astype(np.float32))
    cycle.run()
    off = cycle.stack.bank.filters[2].uid
    assert off not in {r.uid for r in cycle.computed}
    assert not cycle.values(1)[cycle.stack.map_keys(1)[2]].any()
    ref = run_stack(cycle.image.pixels, cycle.stack)
    for key in cycle.stack.map_keys(2):
        np.testing.assert_array_equal(cycle.values(2)[key], ref[2][key])


def test_floor_a_hold_outranks_every_answer_asked_before_it():
    ledger = Ledger()
    g1 = ledger.ask("m", ("a",))
    g2 = ledger.ask("m", ("b",))
    assert ledger.hold("m", ("c",)) and not ledger.hold("m", ("c",))
    assert ledger.asked_with("m") is None and ledger.is_held("m")
    from filterstudio.compute.requests import ComputeResult

    def result(g):
        return ComputeResult(g, "m", np.zeros((1, 1), np.float32), None, None, None, "minmax", None)

    assert not ledger.should_show(result(g1)) and not ledger.should_show(result(g2))
    g3 = ledger.ask("m", ("c",))
    assert g3 is not None and ledger.should_show(result(g3)) and not ledger.is_held("m")


def test_the_scheduler_withdraws_stale_work_but_takes_the_next():
    s = Scheduler(settle=0.0)
    req = StageRequest(1, "m", 1, 1, (), (4, 4), ("v",), pool=None)
    s.submit(req)
    s.withdraw("m")
    assert s.pending_count() == 0
    s.submit(req)
    assert s.take().request is req


def test_colour_maps_are_split_once_per_version():
    cycle = Cycle(small_stack("color"), rng.random((16, 16, 3)).astype(np.float32))
    cycle.run()
    reqs = [r for r in cycle.computed if isinstance(r, StageRequest) and r.stage == 1]
    planes = [cycle.cache.planes(r) for r in reqs[:3]]  # R, G, B of the first filter
    again = cycle.cache.planes(reqs[0])
    assert again[0] is planes[0][0]
    assert all(p[0].flags.c_contiguous for p in planes)


@pytest.mark.parametrize("f", [2, 3])
def test_a_later_preview_is_every_fth_cell_of_the_full_map(f):
    stack = Stack.of(Bank((Filter("a", rng.normal(size=(3, 3))),), Layer(channel_mode="gray")))
    stack = stack.adding_stage("conv", count=1, size=5, padding="same", border="reflect")
    cycle = Cycle(stack, rng.random((40, 33)).astype(np.float32))
    cycle.plan()
    cycle.step()
    cycle.plan()
    (req,) = cycle.pending
    from dataclasses import replace

    preview = process_request(replace(req, preview=f), cycle.cache)
    full = process_request(req, cycle.cache)
    geo = stage_geometry(req)
    direct = conv_map(cycle.cache.planes(req), req.flt, preview_layer(req.layer, geo, f), req.in_hw)
    sub = full.values[::f, ::f]
    # Only a last row/column reading the extra bottom/right "same" padding may be missing.
    assert sub.shape[0] - direct.shape[0] in (0, 1) and sub.shape[1] - direct.shape[1] in (0, 1)
    np.testing.assert_allclose(direct, sub[: direct.shape[0], : direct.shape[1]], atol=1e-5)
    assert preview.preview == f and preview.values is None and preview.full_hw == full.values.shape
    # A large later map is previewed first; a cached one never is.
    big = replace(req, in_hw=(800, 700), may_preview=True)  # planning reads sizes only
    assert planned(big, MapCache()).preview > 1
    assert planned(req, MapCache()).preview == 1  # small: at once in full
    assert planned(big, cycle.cache).preview == 1  # cached: only its display changes
    # A map that waited for the maps before it comes in full at once.
    assert planned(replace(big, may_preview=False), MapCache()).preview == 1
