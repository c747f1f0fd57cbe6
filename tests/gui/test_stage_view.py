"""The stack in the studio's views, through the scripting surface: a row of panels per stage
placed through the receptive fields, stages chosen and edited with the list, editor and layer
panel, keyboard commands, hovering a later cell, undo and sessions."""

from __future__ import annotations

import numpy as np
import pytest

from filterstudio.compute.receptive_fields import cell_field, map_placement
from filterstudio.compute.stagework import run_stack
from filterstudio.model.bank import Bank, Filter, Layer

rng = np.random.default_rng(17)
# 8-bit values, so a session's embedded PNG brings back the same picture.
PIXELS = (rng.integers(0, 256, (36, 44, 3)) / 255).astype(np.float32)


def _current(qtbot, win):
    qtbot.waitUntil(win.is_current, timeout=15000)


def _stacked(qtbot, win, mode="gray", activation="relu", count=3):
    """conv 3 -> ReLU -> max pool 2 -> conv 2 (padding same, stride 1), on a small picture."""
    bank = Bank(
        tuple(
            Filter(f"f{i}", rng.normal(size=(3, 3)), activation=activation) for i in range(count)
        ),  # fmt: skip
        Layer(channel_mode=mode, padding="same"),
    )
    win.controller.load_state(bank)
    win.set_image_array(PIXELS, "noise")
    win.action("stack.add_pool").trigger()
    win.action("stack.add_conv").trigger()
    _current(qtbot, win)


def test_each_stage_has_a_row_of_panels_placed_on_the_picture(qtbot, window):
    _stacked(qtbot, window)
    stack = window.stack
    assert [s.kind for s in stack.stages] == ["conv", "pool", "conv"]
    assert window.stack_view.row_uids() == [s.uid for s in stack.stages]
    assert "receptive field 8 × 8 pixels" in window.stack_view.title(stack.stages[2].uid)
    ref = run_stack(PIXELS, stack)
    for k in (1, 2):
        for i, key in enumerate(stack.map_keys(k)):
            panel = window.stage_panel(k, i)
            assert panel.isVisible() and not panel.is_busy()
            assert panel.view in window.sync.views()
            geo = panel.view.map_geometry()
            assert geo == map_placement(stack, PIXELS.shape[:2], k, i)
            np.testing.assert_array_equal(window.stage_map_values(k, i), ref[k][key])
    # The pooled map's cells are 2x2 picture pixels; zooming one view zooms them all.
    assert window.stage_panel(1, 0).view.map_geometry().stride == (2, 2)
    window.stage_panel(2, 1).view.set_zoom(3.0)
    assert window.input_panel.view.zoom() == pytest.approx(3.0)
    assert window.panel(0).view.zoom() == pytest.approx(3.0)
    # Pooling has no activation to switch.
    assert not window.stage_panel(1, 0).relu_button().isVisible()


def test_stages_are_chosen_added_and_removed_from_the_menu_and_the_bar(qtbot, window):
    _stacked(qtbot, window)
    assert window.current_stage == 2  # the stage just added is the one edited
    assert window.action("stack.add_conv").shortcut().toString() == "Ctrl+Alt+C"
    window.action("stack.previous").trigger()
    assert window.current_stage == 1 and window.stage_bar.current() == 1
    assert window.stack_view.title_button(window.stack.stages[1].uid).isChecked()
    window.action("stack.add_conv").trigger()  # after the current stage: between pool and conv
    assert [s.kind for s in window.stack.stages] == ["conv", "pool", "conv", "conv"]
    assert window.current_stage == 2 and window.stack.maps_in(2) == 3
    window.action("stack.remove").trigger()
    assert len(window.stack) == 3 and window.current_stage == 1
    window.stage_bar.button(0).click()
    assert window.current_stage == 0 and window.filter_list.bank() is window.bank
    window.controller.undo_stack.undo()  # the removal: the stage comes back and is chosen
    assert len(window.stack) == 4 and window.current_stage == 2
    _current(qtbot, window)
    assert window.stage_map_values(3, 0) is not None


def test_the_editor_shows_a_later_stage_and_edits_its_weights_per_map(qtbot, window):
    _stacked(qtbot, window)
    editor = window.kernel_editor
    assert window.select_stage(2, 1)
    f = window.stack.stages[2].filters[1]
    assert window.filter_list.bank() is window.stack.stages[2].bank
    assert window.filter_list.current_index() == 1
    assert editor.shown_slices() == (0, 1, 2)  # three maps read: three grids, named
    assert not window.layer_controls.channel_box().isVisible()
    cell = editor.cell(1, 1, 2)
    assert cell.accessibleName().startswith("3: f2")
    cell.setText("2")
    cell.setModified(True)
    cell.commitRequested.emit()
    assert window.stack.stages[2].filters[1].kernel[1, 1, 2] == 2.0
    assert window.stack.stages[2].filters[1].uid == f.uid
    editor.bias_box().setValue(0.5)
    assert window.stack.stages[2].filters[1].bias == 0.5
    window.layer_controls.stride_spins()[0].setValue(2)
    assert window.stack.stages[2].layer.stride == (2, 2)
    _current(qtbot, window)
    np.testing.assert_array_equal(
        window.stage_map_values(2, 1), run_stack(PIXELS, window.stack)[2][f.uid]
    )
    for _ in range(3):
        window.controller.undo_stack.undo()
    assert window.stack.stages[2].filters[1].kernel[1, 1, 2] == f.kernel[1, 1, 2]
    assert window.stack.stages[2].layer.stride == (1, 1)
    # Back on the bank: its filters, its channel mode.
    window.select_stage(0)
    assert window.layer_controls.channel_box().isVisibleTo(window.layer_controls)
    assert editor.shown_slices() == (0,)


def test_a_deep_kernel_is_edited_one_named_map_at_a_time(qtbot, window):
    _stacked(qtbot, window, mode="color", count=2)  # 2 filters x R, G, B: 6 maps read
    editor = window.kernel_editor
    window.select_stage(2, 0)
    selector = editor.depth_selector()
    assert selector.isVisible() and selector.combo().count() == 6
    assert selector.combo().itemText(4) == "5: f1 G"
    editor.show_slice(4)
    assert editor.shown_slices() == (4,)
    assert "map 5" in editor.sum_text()
    cell = editor.cell(0, 0, 4)
    cell.setText("1.5")
    cell.setModified(True)
    cell.commitRequested.emit()
    assert window.stack.stages[2].filters[0].kernel[0, 0, 4] == 1.5


def test_a_pooling_stage_is_set_in_the_layer_panel(qtbot, window):
    _stacked(qtbot, window)
    window.select_stage(1)
    pool = window.pool_controls
    assert pool.isVisible() and not window.layer_controls.isVisible()
    assert not window.kernel_editor.isVisible() and window.pool_note.isVisible()
    assert "44 × 36 -> 22 × 18" in pool.info_text()
    pool.mode_box().setCurrentIndex(pool.mode_box().findData("avg"))
    pool.mode_box().activated.emit(pool.mode_box().currentIndex())
    pool.size_box().setValue(3)
    assert window.stack.stages[1].mode == "avg" and window.stack.stages[1].size == (3, 3)
    _current(qtbot, window)
    assert window.stage_map_values(1, 0).shape == (12, 14)
    assert "max" not in window.stage_panel(1, 0).title()
    window.controller.undo_stack.undo()
    assert window.stack.stages[1].size == (2, 2)
    assert pool.size_box().value() == 2


def test_hovering_a_later_cell_draws_its_field_and_writes_its_sum(qtbot, window):
    _stacked(qtbot, window)
    stack = window.stack
    view = window.stage_panel(2, 0).view
    view.hoveredCell.emit(5, 7)
    field = cell_field(stack, PIXELS.shape[:2], 2, 0, (5, 7))
    assert window.receptive_field_text() == "receptive field 8 × 8 pixels"
    item = window.input_panel.view.field_item()
    assert item.isVisible()
    r = item.rect()
    assert (r.top(), r.left(), r.height(), r.width()) == (field.top, field.left, 8, 8)
    # The pooled maps it reads show the 3x3 cells it reads.
    pooled = window.stage_panel(1, 2).view.field_item()
    assert pooled.isVisible() and pooled.rect().width() == pytest.approx(6.0)
    text = window.arithmetic.plain_text()
    assert "Stage 3, conv3 1" in text and "total over channels" in text
    assert "f0 slice of the kernel" in text
    # A pooled cell: its window and the cell that won, on the map it pools.
    window.stage_panel(1, 1).view.hoveredCell.emit(3, 4)
    source = window.panel(1).view
    assert source.mark_item().isVisible()
    values = window.map_values(1)
    window_vals = values[6:8, 8:10]
    y, x = np.unravel_index(np.argmax(window_vals), (2, 2))
    mark = source.mark_item().rect()
    cell = source.cell_rect(6 + y, 8 + x)
    assert (mark.top(), mark.left()) == (cell.top(), cell.left())
    assert "max(" in window.arithmetic.plain_text()
    assert not pooled.isVisible()  # the last cell's field is gone
    view.hoveredCell.emit(-1, -1)
    assert not window.input_panel.view.field_item().isVisible()
    assert window.receptive_field_text() == ""


def test_a_later_map_waiting_for_its_inputs_says_updating(qtbot, window):
    _stacked(qtbot, window)
    with qtbot.waitSignal(window.controller.mapsWaiting, timeout=5000):
        window.set_kernel(0, np.eye(3))
    assert window.stage_panel(2, 0).is_busy()
    _current(qtbot, window)
    assert not window.stage_panel(2, 0).is_busy()


def test_a_session_brings_the_stack_and_its_rows_back(qtbot, window, tmp_path):
    _stacked(qtbot, window)
    window.select_stage(2, 1)
    before = [window.stage_map_values(2, i) for i in range(2)]
    assert window.document.save_session(tmp_path / "s.fstudio", embed_image=True)
    window.controller.load_state(Bank((Filter("x", np.ones((3, 3))),), Layer()))
    assert window.stack_view.row_uids() == [window.stack.stages[0].uid]
    assert window.current_stage == 0
    with qtbot.waitSignal(window.imageLoaded, timeout=10000):
        assert window.document.open_session(tmp_path / "s.fstudio")
    _current(qtbot, window)
    assert len(window.stack_view.row_uids()) == 3
    for i in range(2):
        np.testing.assert_array_equal(window.stage_map_values(2, i), before[i])
        assert not window.stage_panel(2, i).is_busy()


def test_the_filter_list_edits_a_later_stage_and_undo_takes_each_edit_back(qtbot, window):
    _stacked(qtbot, window)
    window.select_stage(2, 0)
    fl, c = window.filter_list, window.controller
    stage = lambda: window.stack.stages[2]  # noqa: E731 - read after each edit
    fl.renameRequested.emit(0, "corners")
    fl.enabledToggled.emit(1, False)
    fl.moveRequested.emit(0, 1)
    assert [f.name for f in stage().filters] == ["conv3 2", "corners", "conv3 3", "conv3 4"]
    assert window.current_stage == 2 and fl.current_index() == 1
    fl.addRequested.emit("sobel_x")
    assert stage().filters[-1].kernel.shape == (3, 3, 3) and window.filter_list.current_index() == 4
    window.action("filters.duplicate").trigger()
    assert [f.name for f in stage().filters][-1] == "sobel_x copy"
    window.action("filters.remove").trigger()
    assert len(stage().filters) == 5
    _current(qtbot, window)
    assert window.stage_panel(2, 0).error_text() == "This filter is switched off."
    texts = []
    while c.undo_stack.canUndo() and len(texts) < 6:
        texts.append(c.undo_stack.undoText())
        c.undo_stack.undo()
    assert texts == ["Remove sobel_x copy", "Add sobel_x copy to stage 3", "Add sobel_x to stage 3",
                     "Move corners", "Change enabled of conv3 2", "Change name of conv3 1"]  # fmt: skip
    assert [f.name for f in stage().filters] == ["conv3 1", "conv3 2", "conv3 3", "conv3 4"]
    assert all(f.enabled for f in stage().filters)
    _current(qtbot, window)
    assert not window.stage_panel(2, 1).has_error()


def test_the_documented_teaching_example_runs(qtbot, window, tmp_path, monkeypatch):
    import re
    from pathlib import Path

    doc = Path(__file__).resolve().parents[2] / "docs" / "SCRIPTING.md"
    section = doc.read_text(encoding="utf-8").split("## A stack of stages", 1)[1]
    first, second = re.findall(r"```python\n(.*?)```", section, re.S)[:2]
    monkeypatch.chdir(tmp_path)
    window.set_image_array(PIXELS, "noise")
    names = {"win": window, "np": np}
    exec(compile(first, str(doc), "exec"), names)  # noqa: S102 - the documented examples
    with qtbot.waitSignal(window.lesson.exportFinished, timeout=30000) as done:
        exec(compile(second, str(doc), "exec"), names)  # noqa: S102
    assert done.args[0] and (tmp_path / "stage3.gif").is_file()
    assert names["eq"] is None
    # The starter bank's 7x7 blur, a 2x2 pool, then a 3x3 kernel: 7 + 1 + 2 * 2 pixels.
    assert window.receptive_field_text() == "receptive field 12 × 12 pixels"


def test_a_filter_switched_on_again_shows_its_map_again(qtbot, window):
    _stacked(qtbot, window)
    window.controller.set_filter_fields(1, enabled=False)
    _current(qtbot, window)
    assert window.panel(1).error_text() == "This filter is switched off."
    window.controller.undo_stack.undo()
    _current(qtbot, window)
    assert not window.panel(1).has_error() and window.panel(1).view.map_geometry() is not None


def test_kernel_insight_describes_the_filter_of_the_stage_being_edited(qtbot, window):
    _stacked(qtbot, window)
    window.show_insight()
    insight = window.insight
    qtbot.waitUntil(insight.is_current, timeout=15000)
    assert window.select_stage(2, 1)
    qtbot.waitUntil(insight.is_current, timeout=15000)
    later = window.stack.stages[2].filters[1].kernel
    assert later.ndim == 3  # one slice per map read
    insight.set_channel(None)  # the sum of its slices
    qtbot.waitUntil(insight.is_current, timeout=15000)
    expected = np.abs(np.fft.fftshift(np.fft.fft2(later.sum(axis=2).astype(np.float64), (64, 64))))
    np.testing.assert_allclose(insight.response_values(), expected, rtol=1e-5, atol=1e-6)
    # It reads the maps of the stage before it, not a picture, and says so.
    n = later.shape[2]
    assert insight.response_text().startswith(
        f"Where the {n} maps it reads are equal (its {n} channels summed)"
    )
    assert window.select_stage(1)  # pooling: no kernel to describe
    qtbot.waitUntil(insight.is_current, timeout=15000)
    assert insight.insight() is None
    assert window.select_stage(0, 0)
    qtbot.waitUntil(insight.is_current, timeout=15000)
    first = window.stack.stages[0].filters[0].kernel
    expected = np.abs(np.fft.fftshift(np.fft.fft2(first.astype(np.float64), (64, 64))))
    np.testing.assert_allclose(insight.response_values(), expected, rtol=1e-5, atol=1e-6)
