"""A stack in the real window, driven through the scripting surface: stages live on the worker,
edits undoable, stale maps never shown, sessions and bank files round trip."""

from __future__ import annotations

import numpy as np

from filterstudio.compute.stagework import run_stack
from filterstudio.model.bank import Bank, Filter, Layer

rng = np.random.default_rng(4)
PIXELS = rng.random((30, 36, 3)).astype(np.float32)


def _current(qtbot, win):
    qtbot.waitUntil(win.is_current, timeout=15000)


def _stacked(qtbot, win):
    """conv 3 filters -> ReLU -> max pool 2 -> conv 2 filters, grey, on a small picture."""
    bank = Bank(
        tuple(Filter(f"f{i}", rng.normal(size=(3, 3)), activation="relu") for i in range(3)),
        Layer(channel_mode="gray", padding="same"),
    )
    win.controller.load_state(bank)
    win.set_image_array(PIXELS, "noise")
    assert win.add_stage("pool") and win.add_stage("conv", count=2)
    _current(qtbot, win)


def _assert_exact(win):
    ref = run_stack(win.controller.image.pixels, win.stack)
    for k in range(len(win.stack)):
        for i, key in enumerate(win.stack.map_keys(k)):
            if key in ref[k]:
                np.testing.assert_array_equal(win.stage_map_values(k, i), ref[k][key])


def test_every_stage_is_computed_live_and_exact(qtbot, window):
    _stacked(qtbot, window)
    assert [s.kind for s in window.stack.stages] == ["conv", "pool", "conv"]
    assert window.stack.stages[2].filters[0].kernel.shape == (3, 3, 3)
    assert window.controller.progress() == (3 + 3 + 2, 3 + 3 + 2)
    _assert_exact(window)
    assert window.stage_map_values(2, 1).shape == (13, 16)  # 30x36, pooled 15x18, 3x3 valid
    # The window still shows the bank's panels, and map_values reads them as before.
    assert window.panel(0).isVisible()
    np.testing.assert_array_equal(window.map_values(0), window.stage_map_values(0, 0))


def test_an_edit_in_stage_one_holds_later_maps_until_they_are_exact_again(qtbot, window):
    _stacked(qtbot, window)
    c = window.controller
    last = c.map_key(2, 0)
    old = window.stage_map_values(2, 0)
    with qtbot.waitSignal(c.mapsWaiting, timeout=5000) as waiting:
        window.set_kernel(0, np.eye(3))
    assert last in waiting.args[0] and c.map_key(1, 0) in waiting.args[0]
    assert c.map_key(1, 1) not in waiting.args[0]  # pools only what the edit changed
    assert not window.is_current() and window.stage_map_values(2, 0) is None
    stale = []
    c.resultApplied.connect(
        lambda r: (
            stale.append(r)
            if r.uid == last and r.generation < c.requested_generation(last)
            else None
        )
    )
    _current(qtbot, window)
    assert not stale
    assert not np.array_equal(window.stage_map_values(2, 0), old)
    _assert_exact(window)


def test_an_edit_in_stage_two_recomputes_only_what_follows(qtbot, window):
    _stacked(qtbot, window)
    c = window.controller
    seen = []
    c.resultApplied.connect(lambda r: seen.append((r.uid, r.recomputed)))
    kernel = np.zeros((3, 3, 3), np.float32)
    kernel[1, 1] = 1
    assert window.set_stage_kernel(2, 1, kernel)
    _current(qtbot, window)
    # Only the edited map is made anew. (The panels settling to their size may show any map
    # again from its kept values, at a new display size: that computes nothing.)
    assert {uid for uid, made in seen if made} <= {c.map_key(2, 1)}
    assert c.map_key(2, 1) in {uid for uid, _ in seen}
    _assert_exact(window)


def test_stage_edits_are_undoable_and_refused_with_a_sentence(qtbot, window):
    _stacked(qtbot, window)
    c = window.controller
    messages = []
    c.message.connect(messages.append)
    assert not window.set_stage_kernel(2, 0, np.ones((3, 3, 2)))
    assert (
        messages[-1]
        == "Stage 3 reads 3 maps, so each of its kernels needs depth 3; 'conv3 1' is 3x3x2."
    )
    assert not window.remove_stage(0) and "cannot be removed" in messages[-1]
    assert window.set_stage(1, size=3, stride=1)
    _current(qtbot, window)
    assert window.stage_map_values(2, 0).shape == (26, 32)
    assert c.add_stage_filter(0) and window.stack.maps_in(2) == 4
    assert c.set_stage_filter(2, 0, activation="relu", name="corners")
    assert window.remove_stage(1)
    _current(qtbot, window)
    _assert_exact(window)
    assert c.undo_stack.undoText() == "Remove stage 2"
    for _ in range(3):
        c.undo_stack.undo()
    assert len(window.stack) == 3 and window.stack.maps_in(2) == 3
    assert window.stack.stages[1].size == (3, 3)
    c.undo_stack.undo()
    assert window.stack.stages[1].size == (2, 2)
    _current(qtbot, window)
    _assert_exact(window)


def test_bank_change_names_the_stage_that_changed(qtbot, window):
    _stacked(qtbot, window)
    c = window.controller
    with qtbot.waitSignal(c.bankChanged, timeout=3000) as changed:
        window.set_stage(1, mode="avg")
    change = changed.args[0]
    assert change.stack is window.stack and [s.index for s in change.stages] == [1]
    assert change.stages[0].settings_changed and not change.changed
    with qtbot.waitSignal(c.bankChanged, timeout=3000) as changed:
        window.remove_stage(1)
    change = changed.args[0]
    assert change.stages_removed and change.stages_changed
    # A pooling stage passes its maps on: the conv stage after it reads the same maps, unrefit.
    moved = change.stage(window.stack.stages[1].uid)
    assert moved.moved and moved.index == 1 and not moved.changed


def test_sessions_and_bank_files_round_trip_through_the_window(qtbot, window, tmp_path):
    _stacked(qtbot, window)
    window.controller.set_display("abs", uid=window.controller.map_key(2, 1))
    kernels = [f.kernel for f in window.stack.stages[2].filters]
    assert window.document.save_session(tmp_path / "s.fstudio", embed_image=True)
    assert window.bank_files.export_bank(tmp_path / "stack.json")
    window.controller.load_state(Bank((Filter("x", np.ones((3, 3))),), Layer()))
    assert len(window.stack) == 1
    with qtbot.waitSignal(window.imageLoaded, timeout=10000):
        assert window.document.open_session(tmp_path / "s.fstudio")
    _current(qtbot, window)
    assert [s.kind for s in window.stack.stages] == ["conv", "pool", "conv"]
    key = window.controller.map_key(2, 1)
    assert window.controller.display.for_uid(key)[0] == "abs"
    for f, kernel in zip(window.stack.stages[2].filters, kernels):
        np.testing.assert_array_equal(f.kernel, kernel)
    _assert_exact(window)  # on the embedded copy of the picture
    assert window.remove_stage(2)
    assert window.bank_files.import_bank(tmp_path / "stack.json")
    assert len(window.stack) == 3
    _current(qtbot, window)


def test_weights_go_into_a_later_stage(qtbot, window, tmp_path):
    _stacked(qtbot, window)
    w = rng.normal(size=(4, 3, 1, 1)).astype(np.float32)
    np.savez(tmp_path / "w.npz", weight=w, bias=np.arange(4, dtype=np.float32))
    assert window.bank_files.import_weights(tmp_path / "w.npz", stage=2)
    assert len(window.stack.stages[2].filters) == 4
    _current(qtbot, window)
    _assert_exact(window)
    errors = []
    window.dialogs.errorShown.connect(errors.append)
    np.savez(tmp_path / "bad.npz", weight=np.ones((2, 5, 3, 3), np.float32))
    assert not window.bank_files.import_weights(tmp_path / "bad.npz", layout="pytorch", stage=2)
    assert errors == [
        "These weights read 5 maps, but the stage reads 3 (the maps of the stage before it)."
    ]


def test_the_documented_stack_example_runs(qtbot, window):
    import re
    from pathlib import Path

    doc = Path(__file__).resolve().parents[2] / "docs" / "SCRIPTING.md"
    section = doc.read_text(encoding="utf-8").split("## A stack of stages", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    window.set_image_array(PIXELS, "noise")
    names = {"win": window, "np": np}
    exec(compile(code, str(doc), "exec"), names)  # noqa: S102 - the documented example itself
    assert [s.kind for s in window.stack.stages] == ["conv", "pool", "conv"]
    ref = run_stack(PIXELS, window.stack)
    np.testing.assert_array_equal(names["out"], ref[2][window.controller.map_key(2, 0)])


def test_a_conv_stage_after_mixed_kernel_sizes_runs_and_says_what_it_changed(qtbot, window):
    bank = Bank(
        (Filter("s3", rng.normal(size=(3, 3))), Filter("s7", rng.normal(size=(7, 7)))),
        Layer(channel_mode="gray"),
    )
    window.controller.load_state(bank)
    window.set_image_array(PIXELS, "noise")
    messages = []
    window.controller.message.connect(messages.append)
    assert window.add_stage("pool") and window.add_stage("conv", count=2)
    assert window.stack.stages[0].layer.padding == "same"
    assert messages and messages[-1].startswith("Stage 1 now uses same padding")
    _current(qtbot, window)
    _assert_exact(window)
    assert window.stage_map_values(2, 0) is not None
    # One undo takes the stage and the padding back together.
    window.controller.undo_stack.undo()
    assert len(window.stack) == 2 and window.stack.stages[0].layer.padding == "valid"
