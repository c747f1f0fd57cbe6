"""The controller and its worker without a window: undo, coalescing, stale results, faults."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from filterstudio.compute.requests import ComputeResult
from filterstudio.core.pipeline import apply_bank_filter
from filterstudio.gui.controller import StudioController
from filterstudio.model.studio import default_bank, make_image_state


@pytest.fixture
def controller(qtbot):
    c = StudioController()
    c.load_state(default_bank())
    yield c
    c.shutdown()


def _image(h=40, w=50, seed=0):
    return np.random.default_rng(seed).random((h, w, 3), dtype=np.float32)


def _wait_current(qtbot, c):
    qtbot.waitUntil(c.is_current, timeout=10000)


def _error_result(uid, generation, error, preview=1):
    """A result carrying only a message: enough to follow which result the controller keeps."""
    return ComputeResult(
        generation=generation,
        uid=uid,
        values=None,
        pixels=None,
        stats=None,
        geometry=None,
        mapping="clip",
        colormap=None,
        error=error,
        preview=preview,
    )


def _counting_engine(calls, gate=None):
    def engine(src, flt, layer, prepared=False):
        calls.append(flt.uid)
        if gate is not None:
            gate.wait(10)
        return apply_bank_filter(src, flt, layer, prepared=prepared)

    return engine


def test_every_filter_gets_its_map(qtbot, controller):
    img = _image()
    controller.set_image(make_image_state(img, "x"))
    _wait_current(qtbot, controller)
    for f in controller.bank.filters:
        res = controller.result(f.uid)
        expected = apply_bank_filter(img, f, controller.bank.layer)
        np.testing.assert_allclose(res.values, expected, atol=1e-5)
        assert res.pixels.dtype == np.uint8


def test_only_the_edited_filter_is_recomputed(qtbot, controller):
    controller.set_image(make_image_state(_image(), "x"))
    _wait_current(qtbot, controller)
    calls = []
    controller.worker.engine = _counting_engine(calls)
    uid = controller.bank.filters[2].uid
    controller.set_kernel(2, np.ones((3, 3)) / 9)
    _wait_current(qtbot, controller)
    assert calls == [uid]


def test_display_change_does_not_reconvolve(qtbot, controller):
    controller.set_image(make_image_state(_image(), "x"))
    _wait_current(qtbot, controller)
    calls = []
    controller.worker.engine = _counting_engine(calls)
    uid = controller.bank.filters[0].uid
    controller.set_display("abs", None, uid=uid)
    _wait_current(qtbot, controller)
    assert calls == []
    assert controller.result(uid).mapping == "abs"


def test_a_burst_of_edits_coalesces_to_the_newest(qtbot, controller):
    controller.set_image(make_image_state(_image(), "x"))
    _wait_current(qtbot, controller)
    gate = threading.Event()
    calls = []
    controller.worker.engine = _counting_engine(calls, gate)
    for v in range(1, 31):
        controller.set_kernel(0, np.full((3, 3), float(v)), tag="cell:0,0")
    gate.set()
    _wait_current(qtbot, controller)
    # The first edit may already be running when the rest arrive; the rest fold into one.
    assert len(calls) <= 2
    final = controller.result(controller.bank.filters[0].uid)
    expected = apply_bank_filter(_image(), controller.bank.filters[0], controller.bank.layer)
    np.testing.assert_allclose(final.values, expected, atol=1e-4)
    # Scrubbing one cell is one undo step.
    assert controller.undo_stack.count() == 1


def test_stale_results_are_dropped(qtbot, controller):
    controller.set_image(make_image_state(_image(), "x"))
    _wait_current(qtbot, controller)
    uid = controller.bank.filters[0].uid
    current = controller.result(uid)
    stale = _error_result(uid, current.generation - 1, "old")
    with qtbot.assertNotEmitted(controller.resultApplied, wait=100):
        controller.worker.resultReady.emit(stale)
    assert controller.result(uid) is current


def test_results_waiting_together_are_applied_one_per_pass_newest_per_map(qtbot, controller):
    controller.set_image(make_image_state(_image(), "x"))
    _wait_current(qtbot, controller)
    a, b = (f.uid for f in controller.bank.filters[:2])
    shown_a = controller.result(a)

    def result(uid, generation, preview):
        return _error_result(uid, generation, f"{generation}/{preview}", preview=preview)

    g = controller.requested_generation(a)
    # A burst: for map a a preview, then its full map, then an older preview arriving late.
    ready = controller.worker.resultReady
    ready.emit(result(a, g, 2))
    ready.emit(result(a, g, 1))
    ready.emit(result(a, g, 2))
    ready.emit(result(b, controller.requested_generation(b), 1))
    assert controller.result(a) is shown_a  # nothing applied inside the burst
    applied = []
    controller.resultApplied.connect(lambda res: applied.append(res.uid))
    qtbot.waitUntil(lambda: len(applied) == 2, timeout=5000)
    qtbot.wait(50)
    assert applied == [a, b]
    assert controller.result(a).error == f"{g}/1"  # the full map, not the late preview


def test_a_worker_fault_shows_and_the_next_edit_recovers(qtbot, controller):
    controller.set_image(make_image_state(_image(), "x"))
    _wait_current(qtbot, controller)

    def broken(src, flt, layer, prepared=False):
        raise MemoryError

    controller.worker.engine = broken
    with qtbot.waitSignal(controller.message, timeout=5000) as blocker:
        controller.set_kernel(1, np.eye(3))
    assert "memory" in blocker.args[0].lower()
    uid = controller.bank.filters[1].uid
    _wait_current(qtbot, controller)
    assert controller.result(uid).error
    controller.worker.engine = apply_bank_filter
    controller.set_kernel(1, np.eye(3) * 2)
    _wait_current(qtbot, controller)
    assert controller.result(uid).error is None


def test_kernel_larger_than_image_is_a_panel_message(qtbot, controller):
    controller.set_image(make_image_state(_image(4, 4), "tiny"))
    controller.set_kernel(0, np.ones((7, 7)))
    _wait_current(qtbot, controller)
    res = controller.result(controller.bank.filters[0].uid)
    assert res.error and "larger than the padded image" in res.error
    assert res.values is None


def test_undo_redo_every_kind_of_edit(qtbot, controller):
    start = controller.bank
    controller.set_kernel(0, np.eye(3))
    controller.set_layer(stride=(2, 2))
    controller.set_filter_fields(1, bias=0.5)
    controller.add_filter("laplacian")
    controller.remove_filter(0)
    controller.move_filter(0, 2)
    controller.rename_filter(1, "renamed")
    assert controller.undo_stack.count() == 7
    while controller.undo_stack.canUndo():
        controller.undo_stack.undo()
    assert controller.bank == start
    while controller.undo_stack.canRedo():
        controller.undo_stack.redo()
    assert controller.bank.layer.stride == (2, 2)
    assert controller.bank.filters[1].name == "renamed"


def test_dirty_follows_the_undo_stack(qtbot, controller):
    assert not controller.is_dirty()
    with qtbot.waitSignal(controller.dirtyChanged):
        controller.set_layer(border="reflect")
    assert controller.is_dirty()
    controller.undo_stack.undo()
    assert not controller.is_dirty()


def test_shutdown_while_computing_returns_cleanly(qtbot):
    c = StudioController()
    c.load_state(default_bank())
    c.set_image(
        make_image_state(np.random.default_rng(1).random((1500, 2000, 3), dtype=np.float32), "big")
    )
    c.shutdown()
    assert c.worker.isFinished()


def test_combined_magnitude_follows_its_sources(qtbot, controller):
    from filterstudio.core.kernels import get_preset

    img = _image()
    controller.set_image(make_image_state(img, "x"))
    controller.set_kernel(0, get_preset("sobel_x").kernel)
    controller.set_kernel(1, get_preset("sobel_y").kernel)
    d = controller.add_derived(0, 1, "magnitude")
    _wait_current(qtbot, controller)
    gx = apply_bank_filter(img, controller.bank.filters[0], controller.bank.layer)
    gy = apply_bank_filter(img, controller.bank.filters[1], controller.bank.layer)
    np.testing.assert_allclose(controller.result(d.uid).values, np.hypot(gx, gy), atol=1e-4)
    # Editing a source recomputes the combined map too.
    controller.set_kernel(1, -get_preset("sobel_y").kernel * 2)
    _wait_current(qtbot, controller)
    gy2 = apply_bank_filter(img, controller.bank.filters[1], controller.bank.layer)
    np.testing.assert_allclose(controller.result(d.uid).values, np.hypot(gx, gy2), atol=1e-4)
    # Removing a source removes the combined map; undo brings both back, and the map again.
    controller.remove_filter(0)
    assert controller.derived == ()
    with qtbot.waitSignal(controller.derivedChanged):
        controller.undo_stack.undo()
    assert controller.derived == (d,)
    _wait_current(qtbot, controller)
    np.testing.assert_allclose(controller.result(d.uid).values, np.hypot(gx, gy2), atol=1e-4)
    controller.undo_stack.redo()
    assert controller.derived == ()
    # Undoing an edit keeps a combined map made after it.
    controller.undo_stack.undo()
    assert controller.derived == (d,)
    controller.set_kernel(1, get_preset("sobel_y").kernel)
    e = controller.add_derived(1, 1, "sum")
    controller.undo_stack.undo()
    assert controller.derived == (d, e)


def test_a_large_map_shows_a_preview_first_then_the_full_map(qtbot, controller):
    img = _image(1500, 1200, seed=4)  # 1.8 M cells: previewed at every 2nd cell
    seen = []
    controller.resultApplied.connect(lambda res: seen.append(res.preview))
    controller.set_image(make_image_state(img, "big"))
    _wait_current(qtbot, controller)
    assert 2 in seen and seen[-1] == 1
    f = controller.bank.filters[0]
    np.testing.assert_allclose(
        controller.result(f.uid).values, apply_bank_filter(img, f, controller.bank.layer), atol=1e-4
    )


def test_every_panel_gets_its_preview_before_any_full_map_is_computed(qtbot, controller):
    # The full map of a previewed filter waits for the filter to be left alone; meanwhile the
    # worker goes on with the other filters, so a change to all of them previews all first.
    img = _image(1500, 1200, seed=5)
    order = []
    controller.resultApplied.connect(lambda res: order.append((res.uid, res.preview > 1)))
    controller.set_image(make_image_state(img, "big"))
    _wait_current(qtbot, controller)
    n = len([f for f in controller.bank.filters if f.enabled])
    assert n >= 3
    kinds = [preview for _, preview in order]
    assert kinds == [True] * n + [False] * n
    previewed = [uid for uid, preview in order if preview]
    assert sorted(previewed) == sorted(f.uid for f in controller.bank.filters if f.enabled)
