"""The studio window end to end: each control reaches the model and a recomputed map, and back."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QGuiApplication, QImage
from PySide6.QtWidgets import QComboBox, QMessageBox

from filterstudio.core.kernels import get_preset
from filterstudio.core.pipeline import apply_bank_filter
from filterstudio.core.sizes import size_label
from filterstudio.model.studio import STARTER_FILTERS


def _current(qtbot, win):
    qtbot.waitUntil(win.is_current, timeout=15000)


def _expected(win, index):
    img = win.controller.image.pixels
    return apply_bank_filter(img, win.bank.filters[index], win.bank.layer)


def test_opens_on_a_sample_with_four_visible_maps(qtbot, window):
    window.open_sample("photo")
    _current(qtbot, window)
    assert "Filter Studio" in window.windowTitle()
    assert [f.name for f in window.bank.filters] == list(STARTER_FILTERS)
    for i in range(4):
        panel = window.panel(i)
        assert panel.isVisible()
        # Edge detectors show the strength of an edge; the blur shows the default.
        signed = window.bank.filters[i].kernel.min() < 0
        assert panel.mapping() == ("abs" if signed else "default")
        np.testing.assert_allclose(window.map_values(i), _expected(window, i), atol=1e-4)
    h, w = window.controller.image.pixels.shape[:2]
    assert window.input_panel.isVisible()
    assert size_label(h, w) in window.status.size_label.text()


def test_kernel_editor_edit_recomputes_and_model_flows_back(qtbot, window):
    window.open_sample("smiley")
    _current(qtbot, window)
    kernel = np.arange(9, dtype=np.float32).reshape(3, 3)
    window.kernel_editor.kernelEdited.emit(kernel, "")
    _current(qtbot, window)
    np.testing.assert_array_equal(window.bank.filters[0].kernel, kernel)
    np.testing.assert_allclose(window.map_values(0), _expected(window, 0), atol=1e-4)
    # Model -> widget: a scripted edit shows in the editor's grid.
    window.set_kernel(0, np.eye(3))
    np.testing.assert_array_equal(window.kernel_editor.kernel(), np.eye(3))


def test_layer_controls_reach_every_map(qtbot, window):
    # Large enough for every starter kernel under every change below.
    window.set_image_array(np.random.default_rng(5).random((21, 26, 3), dtype=np.float32), "r")
    _current(qtbot, window)
    for changes in (
        {"stride": (2, 2)},
        {"padding": "same"},
        {"border": "reflect"},
        {"dilation": (2, 2)},
        {"channel_mode": "gray"},
        {"padding": (1, 2)},
    ):
        window.layer_controls.layerEdited.emit(changes)
        _current(qtbot, window)
        for key, value in changes.items():
            assert getattr(window.bank.layer, key) == value
        for i in range(len(window.bank.filters)):
            np.testing.assert_allclose(window.map_values(i), _expected(window, i), atol=1e-4)
    # Model -> widget: undo puts the layer controls back.
    window.controller.undo_stack.undo()
    assert window.layer_controls.layer() == window.bank.layer


def test_selecting_a_panel_selects_the_filter(qtbot, window):
    window.open_sample("smiley")
    _current(qtbot, window)
    window.panel(2).selectRequested.emit()
    assert window.controller.selected_index == 2
    np.testing.assert_array_equal(window.kernel_editor.kernel(), window.bank.filters[2].kernel)


def test_relu_toggle_on_a_panel(qtbot, window):
    window.open_sample("smiley")
    window.set_kernel(0, get_preset("sobel_x").kernel)
    _current(qtbot, window)
    assert window.map_values(0).min() < 0
    window.panel(0).reluToggled.emit(True)
    _current(qtbot, window)
    assert window.bank.filters[0].activation == "relu"
    assert window.map_values(0).min() >= 0


def test_filter_list_add_remove_and_undo_redo_shortcuts(qtbot, window):
    window.open_sample("smiley")
    _current(qtbot, window)
    window.filter_list.addRequested.emit("laplacian")
    _current(qtbot, window)
    assert len(window.bank.filters) == 5 and window.bank.filters[4].name == "laplacian"
    np.testing.assert_allclose(window.map_values(4), _expected(window, 4), atol=1e-4)
    window.filter_list.removeRequested.emit(0)
    assert len(window.bank.filters) == 4
    window.activateWindow()
    window.tabs.setFocus()
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)
    assert len(window.bank.filters) == 5
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    assert len(window.bank.filters) == 4


def test_only_the_edited_filter_is_recomputed(qtbot, window):
    window.open_sample("photo")
    _current(qtbot, window)
    before = {f.uid: window.controller.result(f.uid) for f in window.bank.filters}
    window.set_kernel(1, np.ones((3, 3)) / 9)
    _current(qtbot, window)
    for i, f in enumerate(window.bank.filters):
        same = window.controller.result(f.uid) is before[f.uid]
        assert same == (i != 1)


def test_a_kernel_bigger_than_the_image_says_so_in_its_panel(qtbot, window):
    window.open_sample("bump")  # 1x8
    _current(qtbot, window)
    assert window.map_values(0) is None
    assert (
        "larger than the padded image" in window.controller.result(window.bank.filters[0].uid).error
    )
    window.set_layer(padding="same")
    _current(qtbot, window)
    assert window.map_values(0).shape == (1, 8)


def _png(tmp_path, name="pic.png", size=(20, 16)):
    path = tmp_path / name
    rng = np.random.default_rng(0)
    Image.fromarray((rng.random((size[1], size[0], 3)) * 255).astype(np.uint8)).save(path)
    return path


@pytest.mark.parametrize("target", ["window", "input view", "map panel"])
def test_drop_an_image_file(qtbot, window, tmp_path, target):
    path = _png(tmp_path, "drop ü.png")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    receiver = {
        "window": window,
        "input view": window.input_panel.view.viewport(),
        "map panel": window.panel(1).view.viewport(),
    }[target]
    # Qt delivers a drag to the innermost widget under the cursor that accepts drops; offscreen
    # no real drag can be made, so the event goes where Qt would send it.
    assert receiver.acceptDrops() and receiver in window.loader.drop_targets()
    event = QDropEvent(QPointF(10, 10), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    with qtbot.waitSignal(window.imageLoaded, timeout=10000):
        assert window.loader.eventFilter(receiver, event)
    assert event.isAccepted()
    assert window.controller.image.pixels.shape == (16, 20, 3)
    _current(qtbot, window)


def test_paste_an_image_from_the_clipboard(qtbot, window):
    img = QImage(12, 9, QImage.Format_RGB888)
    img.fill(Qt.red)
    QGuiApplication.clipboard().setImage(img)
    window.tabs.setFocus()
    window.action("file.paste").trigger()
    qtbot.waitUntil(lambda: window.controller.image is not None and window.controller.image.name == "pasted image", timeout=10000)
    pixels = window.controller.image.pixels
    assert pixels.shape == (9, 12, 3)
    np.testing.assert_allclose(pixels[0, 0], [1, 0, 0])
    _current(qtbot, window)


def test_open_a_broken_file_gives_a_message_and_keeps_the_picture(qtbot, window, tmp_path):
    window.open_sample("smiley")
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    before = window.controller.image
    assert window.open_image(str(bad)) is False
    assert window.controller.image is before
    box = window.findChild(QMessageBox, "errorBox")
    assert box is not None and "broken.png" in box.text()
    box.close()


def test_combined_map_panel(qtbot, window):
    window.open_sample("photo")
    window.set_kernel(0, get_preset("sobel_x").kernel)
    window.set_kernel(1, get_preset("sobel_y").kernel)
    window.add_combined_map(0, 1, "magnitude")
    _current(qtbot, window)
    d = window.controller.derived[0]
    np.testing.assert_allclose(
        window.controller.result(d.uid).values,
        np.hypot(_expected(window, 0), _expected(window, 1)),
        atol=1e-4,
    )
    assert len(window.feature_grid.findChildren(type(window.panel(0)))) >= 5


def test_close_while_computing_exits_cleanly(qtbot):
    from filterstudio.gui.main_window import MainWindow

    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    win.set_image_array(np.random.default_rng(0).random((1500, 2000, 3), dtype=np.float32), "big")
    win.set_kernel(0, np.ones((7, 7)))
    win.controller.mark_clean()
    win.close()
    assert win.controller.worker.isFinished()


def test_scripting_surface_waits_for_current_maps(qtbot, window):
    window.open_sample("vertical_line")
    window.set_stride(2)
    assert window.wait_until_current(10)
    assert window.map_values(0).shape == (3, 3)


@pytest.mark.parametrize("name", ["vertical_line", "smiley", "bump", "checkerboard", "x"])
def test_lesson_samples_open(qtbot, window, name):
    window.open_sample(name)
    _current(qtbot, window)
    assert window.controller.image.sample == name


def test_panel_mapping_both_directions(qtbot, window):
    window.open_sample("smiley")
    _current(qtbot, window)
    uid = window.bank.filters[2].uid
    # Widget -> model -> recomputed display.
    window.panel(2).mappingChanged.emit("abs", "")
    _current(qtbot, window)
    assert window.controller.result(uid).mapping == "abs"
    # Model -> widget: a change made elsewhere shows in the panel's own combo.
    window.controller.set_display("diverging", None, uid=uid)
    _current(qtbot, window)
    combo_texts = [c.currentText() for c in window.panel(2).findChildren(QComboBox)]
    assert "diverging" in combo_texts


def test_progress_bar_shows_maps_done_without_a_repaint_per_result(window):
    window.controller.progressChanged.emit(8, 8)  # whatever start-up showed: an idle bar
    window.status.flush()
    assert window.busy_text() == ""
    window.controller.progressChanged.emit(3, 8)
    window.controller.progressChanged.emit(4, 8)
    assert window.busy_text() == ""  # coalesced: the bar follows at most ten times a second
    window.status.flush()
    assert window.busy_text() == "4/8 maps"
    window.controller.progressChanged.emit(8, 8)
    window.status.flush()
    assert window.busy_text() == ""


def test_startup_objects_are_frozen_once_the_first_maps_show(window, monkeypatch):
    import gc

    from filterstudio.gui import startup

    calls = []
    monkeypatch.setattr(startup, "_startup_frozen", False)
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    monkeypatch.setattr(gc, "collect", lambda *a: calls.append("collect") or 0)
    window.open_sample("smiley")
    assert window.wait_until_current(30)
    window.controller.mapsCurrent.emit()  # a second time: nothing more
    assert calls == ["collect", "freeze"]


# == menus, keys, status, start-up ==========================================================


def _bindings(window) -> list[tuple[str, str]]:
    """Every key sequence of every action and shortcut in the window, with its owner."""
    from PySide6.QtGui import QAction, QKeySequence, QShortcut

    found = []
    for act in window.findChildren(QAction):
        for key in act.shortcuts():
            found.append((key.toString(QKeySequence.PortableText), act.text()))
    for shortcut in window.findChildren(QShortcut):
        found.append((shortcut.key().toString(QKeySequence.PortableText), "shortcut"))
    return found


def test_no_two_actions_share_a_key_sequence(window):
    keys = [k for k, _ in _bindings(window)]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    assert twice == [], f"bound more than once: {twice}"


def test_redo_is_ctrl_shift_z_and_ctrl_y(qtbot, window):
    from PySide6.QtGui import QKeySequence

    redo = {k.toString(QKeySequence.PortableText) for k in window.action("edit.redo").shortcuts()}
    assert redo == {"Ctrl+Shift+Z", "Ctrl+Y"}
    window.set_kernel(0, np.eye(3))
    window.activateWindow()
    window.tabs.setFocus()
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)
    assert not window.controller.is_dirty()
    qtbot.keyClick(window, Qt.Key_Y, Qt.ControlModifier)
    np.testing.assert_array_equal(window.bank.filters[0].kernel, np.eye(3))


def test_a_combined_map_stays_shown_after_an_edit_of_another_filter(qtbot, window):
    window.open_sample("smiley")
    window.set_kernel(0, get_preset("sobel_x").kernel)
    window.set_kernel(1, get_preset("sobel_y").kernel)
    window.add_combined_map(0, 1, "magnitude")
    _current(qtbot, window)
    expected = np.hypot(_expected(window, 0), _expected(window, 1))
    np.testing.assert_allclose(window.combined_values(0), expected, atol=1e-4)
    window.set_kernel(2, np.ones((3, 3)) / 9)  # a filter the combined map does not read
    _current(qtbot, window)
    qtbot.wait(50)
    np.testing.assert_allclose(window.combined_values(0), expected, atol=1e-4)
    assert not window.combined_panel(0).is_busy()


def test_no_map_of_the_previous_picture_is_shown_after_a_load(qtbot, window):
    import threading

    window.set_image_array(np.random.default_rng(1).random((30, 40, 3), dtype=np.float32), "a")
    _current(qtbot, window)
    worker = window.controller.worker
    entered, release, hold = threading.Event(), threading.Event(), threading.Event()

    def gated(*args, **kwargs):
        if not entered.is_set():
            entered.set()
            release.wait(30)  # the old picture's map, held until the new picture is in
        else:
            hold.wait(30)  # the new picture's maps, held until the old answer was handled
        return apply_bank_filter(*args, **kwargs)

    shown: list[int] = []
    window.controller.resultApplied.connect(lambda res: shown.append(res.image_key))
    worker.engine = gated
    try:
        window.set_kernel(0, np.eye(3))
        qtbot.waitUntil(entered.is_set, timeout=10000)
        old_key = window.controller.image.key
        window.set_image_array(np.random.default_rng(2).random((30, 40), dtype=np.float32), "b")
        new_key = window.controller.image.key
        with qtbot.waitSignal(worker.resultReady, timeout=10000,
                              check_params_cb=lambda res: res.image_key == old_key):  # fmt: skip
            release.set()  # the old picture's map arrives after the new picture was asked for
        qtbot.wait(100)  # every pass of the event loop that could apply it
    finally:
        worker.engine = apply_bank_filter
        release.set()
        hold.set()
    _current(qtbot, window)
    assert old_key not in shown
    assert new_key in shown
    np.testing.assert_allclose(window.map_values(0), _expected(window, 0), atol=1e-5)


def test_the_update_time_counts_from_the_change_that_caused_it(qtbot, window):
    window.open_sample("smiley")
    _current(qtbot, window)
    window.kernel_editor.kernelEdited.emit(np.eye(3, dtype=np.float32), "")
    _current(qtbot, window)
    qtbot.wait(1200)  # the user looks at the maps for a while...
    window.open_sample("x")  # ...then opens another picture
    _current(qtbot, window)
    text = window.status.time_label.text()
    ms = float(text.rsplit("(", 1)[1].split(" ms")[0])
    assert ms < 1000, text


def test_the_opening_message_goes_when_the_load_ends(qtbot, window, tmp_path):
    path = _png(tmp_path, "later.png")
    with qtbot.waitSignal(window.imageLoaded, timeout=10000):
        assert window.open_image(str(path), wait=False)
        assert window.statusBar().currentMessage().startswith("Opening later.png")
    assert not window.statusBar().currentMessage().startswith("Opening")
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not a picture")
    with qtbot.waitSignal(window.loader.loadFailed, timeout=10000):
        window.open_image(str(bad), wait=False)
    assert "bad.png" in window.statusBar().currentMessage()
    window.findChild(QMessageBox, "errorBox").close()


@pytest.mark.parametrize("name", ["broken.png", "broken.fstudio"])
def test_a_bad_file_at_start_says_why_and_opens_the_sample(qtbot, window, tmp_path, name):
    bad = tmp_path / name
    bad.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    with qtbot.waitSignal(window.imageLoaded, timeout=10000):
        window.open_at_start(str(bad))
    assert window.controller.image.sample == "photo"
    box = window.findChild(QMessageBox, "errorBox")
    assert box is not None and name in box.text() or "damaged" in box.text()
    box.close()


def test_the_action_table_refuses_a_key_bound_twice(window):
    from PySide6.QtWidgets import QMenuBar

    from filterstudio.gui.actions import ActionSpec, build_actions

    table = [
        ActionSpec("a.one", "One", lambda: None, "&Menu", ("Ctrl+Shift+Z",)),
        ActionSpec("a.two", "Two", lambda: None, "&Menu", ("Ctrl+Y", "Ctrl+Shift+Z")),
    ]
    with pytest.raises(ValueError, match="Ctrl\\+Shift\\+Z"):
        build_actions(window, QMenuBar(window), table)


def test_an_edit_of_one_filter_touches_that_filters_panel_only(qtbot, window, monkeypatch):
    window.open_sample("smiley")
    _current(qtbot, window)
    touched: list[str] = []

    def spy(obj, name, label):
        real = getattr(obj, name)
        monkeypatch.setattr(obj, name, lambda *a, **k: touched.append(label) or real(*a, **k))

    spy(window.filter_list, "set_bank", "filter list")
    spy(window.layer_controls, "set_layer", "layer controls")
    for i in range(len(window.bank.filters)):
        for method in ("set_map", "set_title", "set_mapping", "set_error", "set_relu"):
            spy(window.panel(i), method, f"panel {i}")
    window.controller.select(2)
    touched.clear()
    shape = window.bank.filters[2].kernel.shape  # the same size: the list has nothing new
    window.kernel_editor.kernelEdited.emit(np.full(shape, 0.5, np.float32), "cell:1,1")
    _current(qtbot, window)
    assert set(touched) == {"panel 2"}, touched
