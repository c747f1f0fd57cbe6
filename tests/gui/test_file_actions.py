"""File commands: sessions, saved and copied maps, montage, banks and CNN weights."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QSettings
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMessageBox

from filterstudio.core.display import to_uint8
from filterstudio.core.imageio import load_image
from filterstudio.gui.bank_files import BankFiles
from filterstudio.gui.main_window import MainWindow
from filterstudio.model.bank_io import bank_to_dict

Yes, No = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No
Save, Discard, Cancel = (
    QMessageBox.StandardButton.Save,
    QMessageBox.StandardButton.Discard,
    QMessageBox.StandardButton.Cancel,
)


@pytest.fixture(autouse=True)
def settings(tmp_path):
    """Keep recent-file lists and folders out of the user's own settings."""
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "ini"))
    QSettings().clear()
    yield
    QSettings().clear()


class Questions:
    """Stands in for QMessageBox.question: answers in turn and records what was asked."""

    def __init__(self, *answers: QMessageBox.StandardButton) -> None:
        self.answers = list(answers)
        self.asked: list[str] = []

    def __call__(self, parent, title, text, *args, **kwargs):
        self.asked.append(text)
        assert self.answers, f"unexpected question: {text}"
        return self.answers.pop(0)


@pytest.fixture
def ask(monkeypatch):
    """Install scripted answers: ``ask(Yes)``; a question nobody expected fails the test."""

    def install(*answers):
        q = Questions(*answers)
        monkeypatch.setattr(QMessageBox, "question", q)
        return q

    install()
    return install


def _make_window(qtbot, monkeypatch) -> MainWindow:
    w = MainWindow()
    # Closing at the end of a test must not ask about unsaved changes.
    qtbot.addWidget(w, before_close_func=lambda win: win.controller.mark_clean())
    errors: list[str] = []
    w.dialogs.errorShown.connect(errors.append)
    w.errors = errors  # type: ignore[attr-defined]
    return w


@pytest.fixture
def make_window(qtbot, monkeypatch, ask):
    return lambda: _make_window(qtbot, monkeypatch)


@pytest.fixture
def window(make_window) -> MainWindow:
    return make_window()


def _picture(path: Path, h: int = 36, w: int = 44, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(path)
    return path


def _open(qtbot, window: MainWindow, path: Path) -> None:
    assert window.open_image(str(path), wait=True)
    qtbot.waitUntil(window.is_current, timeout=15000)


def _open_session(qtbot, window: MainWindow, path) -> bool:
    """Open a session and wait for its picture (decoded in the background) to be in."""
    with qtbot.waitSignal(window.imageLoaded, timeout=15000):
        opened = window.document.open_session(path)
    return opened


def _edit(window: MainWindow) -> None:
    """Edits of every kind a session keeps: a kernel, the layer, a mapping, the selection."""
    window.set_kernel(1, [[1, 2, 1], [0, 0, 0], [-1, -2, -1]])
    window.controller.set_filter_fields(2, bias=0.25, activation="relu")
    window.controller.rename_filter(3, "soft blur")
    window.set_layer(padding="same", border="reflect")
    window.controller.set_display("offset", None, uid=window.bank.filters[1].uid)
    window.controller.select(2)


def _bank_form(window: MainWindow) -> dict:
    return bank_to_dict(window.bank)


def _maps(window: MainWindow) -> list[np.ndarray]:
    return [window.map_values(i) for i in range(len(window.bank.filters))]


# == sessions =============================================================================


def test_saved_session_opens_with_the_same_bank_maps_display_and_selection(
    qtbot, make_window, tmp_path
):
    first = make_window()
    _open(qtbot, first, _picture(tmp_path / "photo.png"))
    _edit(first)
    qtbot.waitUntil(first.is_current, timeout=15000)
    path = tmp_path / "lesson.fstudio"
    assert first.document.save_session(path)
    assert json.loads(path.read_text())["image"]["path"] == "photo.png"

    second = make_window()
    assert _open_session(qtbot, second, path)
    qtbot.waitUntil(second.is_current, timeout=15000)
    assert second.errors == []
    assert _bank_form(second) == _bank_form(first)
    assert second.controller.selected_index == 2
    assert second.controller.image.path == str(tmp_path / "photo.png")
    uid1 = second.bank.filters[1].uid
    assert second.controller.display.for_uid(uid1)[:2] == ("offset", None)
    assert second.controller.display.mapping == first.controller.display.mapping
    for a, b in zip(_maps(first), _maps(second)):
        assert np.array_equal(a, b)
    assert not second.controller.is_dirty()
    assert second.document.session_path == str(path)
    assert "lesson.fstudio" in second.windowTitle()


def test_session_with_embedded_image_round_trips(qtbot, make_window, tmp_path):
    first = make_window()
    pixels = np.random.default_rng(3).integers(0, 256, (20, 30, 3)).astype(np.float32) / 255
    first.set_image_array(pixels, "pasted image")
    qtbot.waitUntil(first.is_current, timeout=15000)
    path = tmp_path / "pasted.fstudio"
    # A pasted picture has no file: the session carries it without being asked to.
    assert first.document.save_session(path)
    assert json.loads(path.read_text())["image"]["embedded_png"]

    second = make_window()
    assert _open_session(qtbot, second, path)
    qtbot.waitUntil(second.is_current, timeout=15000)
    assert second.errors == []
    assert np.array_equal(second.controller.image.pixels, first.controller.image.pixels)
    for a, b in zip(_maps(first), _maps(second)):
        assert np.array_equal(a, b)


def test_embedded_copy_is_used_when_the_image_file_is_gone(qtbot, make_window, tmp_path):
    first = make_window()
    photo = _picture(tmp_path / "photo.png")
    _open(qtbot, first, photo)
    path = tmp_path / "carry.fstudio"
    assert first.document.save_session(path, embed_image=True)
    photo.unlink()

    second = make_window()
    assert _open_session(qtbot, second, path)
    qtbot.waitUntil(second.is_current, timeout=15000)
    assert np.array_equal(second.controller.image.pixels, first.controller.image.pixels)
    assert len(second.errors) == 1 and "inside the session" in second.errors[0]
    # Saving again keeps the copy.
    assert second.document.save_session()
    assert json.loads(path.read_text())["image"]["embedded_png"]


def test_session_of_a_sample_picture_reopens_the_sample(qtbot, make_window, tmp_path):
    first = make_window()
    first.open_sample("photo")
    qtbot.waitUntil(first.is_current, timeout=15000)
    path = tmp_path / "sample.fstudio"
    assert first.document.save_session(path)
    saved = json.loads(path.read_text())["image"]
    assert saved == {"path": None, "embedded_png": None, "sample": "photo"}

    second = make_window()
    assert _open_session(qtbot, second, path)
    assert second.controller.image.sample == "photo"
    assert np.array_equal(second.controller.image.pixels, first.controller.image.pixels)


def test_session_moved_with_its_image_still_finds_it(qtbot, make_window, tmp_path):
    first = make_window()
    old = tmp_path / "old"
    (old / "pictures").mkdir(parents=True)
    _open(qtbot, first, _picture(old / "pictures" / "photo.png"))
    assert first.document.save_session(old / "s.fstudio")
    new = tmp_path / "moved"
    shutil.move(str(old), str(new))

    second = make_window()
    assert _open_session(qtbot, second, new / "s.fstudio")
    assert second.errors == []
    assert second.controller.image.path == str(new / "pictures" / "photo.png")


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"{ this is not json", "damaged"),
        (b'{"format": "filterstudio-session", "version": 99, "bank": {"filters": []}}', "newer"),
        (b'{"format": "filterstudio-bank", "version": 1, "filters": []}', "bank"),
    ],
)
def test_unreadable_session_changes_nothing_and_says_why(
    qtbot, window, tmp_path, ask, content, words
):
    _open(qtbot, window, _picture(tmp_path / "photo.png"))
    window.set_kernel(0, np.eye(3))
    before = _bank_form(window)
    path = tmp_path / "bad.fstudio"
    path.write_bytes(content)
    assert not window.document.open_session(path)
    assert len(window.errors) == 1 and words in window.errors[0]
    assert window.errors[0].endswith(".") and "Traceback" not in window.errors[0]
    assert _bank_form(window) == before
    assert window.controller.is_dirty()
    assert window.document.session_path is None


def test_combined_maps_survive_a_session(qtbot, make_window, tmp_path):
    first = make_window()
    _open(qtbot, first, _picture(tmp_path / "photo.png"))
    first.add_combined_map(0, 1, "magnitude")
    first.add_combined_map(1, 1, "sum")
    a, b = (f.name for f in first.bank.filters[:2])
    first.controller.set_display("diverging", "coolwarm", uid=first.controller.derived[0].uid)
    qtbot.waitUntil(first.is_current, timeout=15000)
    path = tmp_path / "combined.fstudio"
    assert first.document.save_session(path)

    second = make_window()
    assert _open_session(qtbot, second, path)
    qtbot.waitUntil(second.is_current, timeout=15000)
    assert second.errors == []
    names = {f.uid: f.name for f in second.bank.filters}
    assert [(names[d.a_uid], names[d.b_uid], d.op) for d in second.controller.derived] == [
        (a, b, "magnitude"),
        (b, b, "sum"),
    ]
    shown, plain = second.controller.derived
    assert second.controller.display.for_uid(shown.uid) == ("diverging", "coolwarm", True)
    assert second.controller.display.for_uid(plain.uid)[2] is False
    for d, e in zip(first.controller.derived, second.controller.derived):
        assert second.controller.derived_title(e) == first.controller.derived_title(d)
        before, after = first.controller.result(d.uid), second.controller.result(e.uid)
        # The same map, up to the last bit float32 sums may differ in between engine paths.
        assert after is not None
        np.testing.assert_allclose(after.values, before.values, rtol=1e-6, atol=1e-7)
    panels = second.feature_grid.panels()
    assert len(panels) == len(second.bank.filters) + 2
    assert panels[-2].title().startswith(f"magnitude({a}, {b})")
    assert panels[-2].mapping() == "diverging" and panels[-2].colormap() == "coolwarm"
    assert not second.controller.is_dirty()


def test_adding_or_removing_a_combined_map_is_an_unsaved_change(qtbot, window, tmp_path):
    assert not window.controller.is_dirty()
    window.add_combined_map(0, 1, "sum")
    assert window.controller.is_dirty() and window.isWindowModified()
    assert window.document.save_session(tmp_path / "s.fstudio")
    assert not window.controller.is_dirty()
    window.controller.remove_derived()
    assert window.controller.is_dirty()


def test_a_session_without_combined_maps_removes_those_shown(qtbot, window, tmp_path):
    path = tmp_path / "old.fstudio"
    assert window.document.save_session(path)
    data = json.loads(path.read_text())
    del data["combined"]  # as written before sessions kept combined maps
    path.write_text(json.dumps(data))
    window.add_combined_map(0, 1, "sum")
    window.controller.mark_clean()
    assert window.document.open_session(path)
    assert window.errors == []
    assert window.controller.derived == ()
    assert len(window.feature_grid.panels()) == len(window.bank.filters)


def test_a_broken_combined_map_changes_nothing_and_says_why(qtbot, window, tmp_path):
    path = tmp_path / "s.fstudio"
    assert window.document.save_session(path)
    data = json.loads(path.read_text())
    data["combined"] = [{"a": 0, "b": 9, "op": "sum"}]
    path.write_text(json.dumps(data))
    window.add_combined_map(0, 1, "magnitude")
    before = window.controller.derived
    assert not window.document.open_session(path)
    assert window.errors == ["Combined map 1 names filter position 9, but the bank has 4 filters."]
    assert window.controller.derived == before


def test_missing_image_still_loads_the_bank_and_says_so(qtbot, make_window, tmp_path):
    first = make_window()
    photo = _picture(tmp_path / "photo.png")
    _open(qtbot, first, photo)
    _edit(first)
    path = tmp_path / "s.fstudio"
    assert first.document.save_session(path)
    photo.unlink()

    second = make_window()
    assert second.document.open_session(path)
    assert _bank_form(second) == _bank_form(first)
    assert len(second.errors) == 1
    assert "photo.png" in second.errors[0] and "not found" in second.errors[0]


def test_title_shows_the_unsaved_mark_until_the_session_is_saved(qtbot, window, tmp_path):
    assert not window.isWindowModified()
    window.set_kernel(0, np.eye(3))
    assert window.isWindowModified()
    assert "[*]" in window.windowTitle()
    path = tmp_path / "marked.fstudio"
    assert window.document.save_session(path)
    assert not window.isWindowModified()
    assert "marked.fstudio" in window.windowTitle()
    window.controller.set_display("abs")  # display settings are part of the session too
    assert window.isWindowModified()
    assert window.document.save_session()
    assert not window.isWindowModified()


def test_closing_with_changes_cancel_keeps_the_window_open(qtbot, window, ask):
    window.show()
    window.set_kernel(0, np.eye(3))
    q = ask(Cancel)
    assert not window.close()
    assert window.isVisible()
    assert q.asked and "closing" in q.asked[0]
    ask(Discard)
    assert window.close()


def test_closing_with_save_writes_the_session_first(qtbot, window, tmp_path, ask):
    path = tmp_path / "s.fstudio"
    assert window.document.save_session(path)
    window.set_kernel(0, np.eye(3))
    ask(Save)
    assert window.document.confirm_discard("closing")
    assert not window.controller.is_dirty()
    assert json.loads(path.read_text())["bank"]["filters"][0]["kernel"][0] == [1, 0, 0]


def test_save_without_a_session_file_asks_for_one_and_adds_the_suffix(
    qtbot, window, tmp_path, monkeypatch
):
    asked = []

    def dialog(parent, caption, folder, filters, *args):
        asked.append(filters)
        return str(tmp_path / "chosen"), filters

    monkeypatch.setattr(QFileDialog, "getSaveFileName", dialog)
    window.action("file.save_session").trigger()
    assert asked and "*.fstudio" in asked[0]
    assert (tmp_path / "chosen.fstudio").is_file()
    assert window.document.session_path == str(tmp_path / "chosen.fstudio")


def test_opening_another_session_offers_to_save_first(qtbot, window, tmp_path, ask):
    path = tmp_path / "a.fstudio"
    assert window.document.save_session(path)
    window.set_kernel(0, np.eye(3))
    q = ask(Cancel)
    assert not window.document.open_session(path)
    assert q.asked and window.controller.is_dirty()


def test_existing_file_is_replaced_only_when_allowed(qtbot, window, tmp_path, ask):
    path = tmp_path / "taken.fstudio"
    path.write_text("keep me")
    ask(No)
    assert not window.document.save_session(path)
    assert path.read_text() == "keep me"
    ask(Yes)
    assert window.document.save_session(path)
    assert json.loads(path.read_text())["format"] == "filterstudio-session"


def test_failed_save_leaves_the_old_session_file_untouched(qtbot, window, tmp_path, monkeypatch):
    path = tmp_path / "s.fstudio"
    assert window.document.save_session(path)
    old = path.read_bytes()
    window.set_kernel(0, np.eye(3))

    def refuse(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    assert not window.document.save_session()
    assert path.read_bytes() == old
    assert len(window.errors) == 1 and "Traceback" not in window.errors[0]
    assert window.controller.is_dirty()
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["s.fstudio"]


def test_recent_sessions_are_remembered_and_offered(qtbot, window, tmp_path):
    for name in ("a.fstudio", "b.fstudio"):
        assert window.document.save_session(tmp_path / name, overwrite=True)
    recent = window.document.recent_sessions()
    assert recent[:2] == [str(tmp_path / "b.fstudio"), str(tmp_path / "a.fstudio")]
    menu = window.actions.submenus["file.recent_sessions"]
    assert [a.text() for a in menu.actions()][:2] == recent[:2]
    (tmp_path / "a.fstudio").unlink()
    assert not window.document.open_session(tmp_path / "a.fstudio")
    assert str(tmp_path / "a.fstudio") not in window.document.recent_sessions()


# == maps =================================================================================


def test_exact_map_files_hold_the_map_values(qtbot, window, tmp_path):
    _open(qtbot, window, _picture(tmp_path / "photo.png"))
    assert window.exports.save_map(2, tmp_path / "m.npy")
    assert np.array_equal(np.load(tmp_path / "m.npy"), window.map_values(2))
    assert window.exports.save_map(2, tmp_path / "m.tif", exact=True)
    assert np.array_equal(load_image(tmp_path / "m.tif"), window.map_values(2))


@pytest.mark.parametrize(
    ("mapping", "cmap"),
    [("minmax", None), ("offset", None), ("diverging", None), ("abs", "viridis")],
)
def test_displayed_map_file_is_the_panel_mapping_of_the_values(
    qtbot, window, tmp_path, mapping, cmap
):
    _open(qtbot, window, _picture(tmp_path / "photo.png"))
    window.controller.set_display(mapping, cmap, uid=window.bank.filters[2].uid)
    qtbot.waitUntil(window.is_current, timeout=15000)
    assert window.exports.save_map(2, tmp_path / "m.png")
    saved = np.asarray(Image.open(tmp_path / "m.png"))
    assert np.array_equal(saved, to_uint8(window.map_values(2), mapping, colormap=cmap))


def test_save_map_refuses_what_it_cannot_do(qtbot, window, tmp_path, ask):
    assert not window.exports.save_map(0, tmp_path / "m.png")  # no picture yet
    _open(qtbot, window, _picture(tmp_path / "photo.png"))
    assert not window.exports.save_map(0, tmp_path / "m.png", exact=True)
    assert not window.exports.save_map(0, tmp_path / "m.xyz")
    assert not window.exports.save_map(0, tmp_path / "missing" / "m.png")
    window.controller.set_filter_fields(0, enabled=False)
    assert not window.exports.save_map(0, tmp_path / "m.png")
    assert len(window.errors) == 5
    assert all(e.endswith(".") for e in window.errors)
    assert not (tmp_path / "m.png").exists()


def test_save_all_maps_writes_one_safely_named_file_per_filter(qtbot, window, tmp_path, ask):
    _open(qtbot, window, _picture(tmp_path / "photo.png"))
    c = window.controller
    c.rename_filter(0, "edges / left")
    c.rename_filter(1, "edges ? left")
    c.rename_filter(2, "..")
    c.set_filter_fields(3, enabled=False)
    qtbot.waitUntil(window.is_current, timeout=15000)
    out = tmp_path / "maps"
    out.mkdir()
    written = window.exports.save_all_maps(out, "png")
    assert [p.name for p in written] == ["edges_left.png", "edges_left_2.png", "filter.png"]
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in written)
    for i, p in enumerate(written):
        mapping, cmap, _ = c.display.for_uid(window.bank.filters[i].uid)
        expected = to_uint8(window.map_values(i), mapping, colormap=cmap)
        assert np.array_equal(np.asarray(Image.open(p)), expected)

    stamp = [p.read_bytes() for p in written]
    q = ask(No)
    assert window.exports.save_all_maps(out, "png") == []
    assert q.asked == ["Replace 3 existing files in maps?"]
    assert [p.read_bytes() for p in written] == stamp
    ask(Yes)
    assert len(window.exports.save_all_maps(out, "png")) == 3

    exact = window.exports.save_all_maps(out, "npy")
    for i, p in enumerate(exact):
        assert np.array_equal(np.load(p), window.map_values(i))


def test_maps_are_written_on_a_worker_while_the_window_goes_on(qtbot, window, tmp_path):
    _open(qtbot, window, _picture(tmp_path / "photo.png"))
    qtbot.waitUntil(window.is_current, timeout=15000)
    out = tmp_path / "maps"
    out.mkdir()
    with qtbot.waitSignal(window.exports.saved, timeout=15000) as ended:
        assert window.exports.save_all_maps(out, "npy", wait=False) == []  # returns at once
        assert window.exports.is_saving()  # its end is told through the event loop
    assert not window.exports.is_saving()
    assert sorted(p.name for p in ended.args[0]) == sorted(p.name for p in out.iterdir())
    assert len(ended.args[0]) == len(window.bank.filters)
    for i, f in enumerate(window.bank.filters):
        assert np.array_equal(np.load(out / f"{f.name}.npy"), window.map_values(i))
    # A write that fails stops the run with one sentence; what was written is told.
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    (blocked / f"{window.bank.filters[1].name}.npy").mkdir()  # a folder where a file should go
    with qtbot.waitSignal(window.dialogs.errorShown, timeout=15000) as error:
        written = window.exports.save_all_maps(blocked, "npy", overwrite=True)
    assert [p.name for p in written] == [f"{window.bank.filters[0].name}.npy"]
    assert "\n" not in error.args[0] and error.args[0].endswith(".")


def test_copy_map_puts_the_displayed_map_on_the_clipboard(qtbot, window, tmp_path):
    _open(qtbot, window, _picture(tmp_path / "photo.png"))
    window.controller.select(1)
    assert window.exports.copy_map()
    image = QGuiApplication.clipboard().image()
    values = window.map_values(1)
    assert (image.height(), image.width()) == values.shape[:2]
    mapping, cmap, _ = window.controller.display.for_uid(window.bank.filters[1].uid)
    expected = to_uint8(values, mapping, colormap=cmap)
    assert image.pixelColor(5, 7).red() == expected[7, 5, 0]


def test_edit_copy_map_draws_on_a_worker_and_copies_the_selected_map(qtbot, window, tmp_path):
    _open(qtbot, window, _picture(tmp_path / "photo.png"))
    window.controller.select(2)
    QGuiApplication.clipboard().clear()
    window.action("edit.copy_map").trigger()
    assert QGuiApplication.clipboard().image().isNull()  # drawn on the worker: not yet
    qtbot.waitUntil(lambda: not QGuiApplication.clipboard().image().isNull(), timeout=15000)
    image = QGuiApplication.clipboard().image()
    mapping, cmap, _ = window.controller.display.for_uid(window.bank.filters[2].uid)
    expected = to_uint8(window.map_values(2), mapping, colormap=cmap)
    assert (image.height(), image.width()) == expected.shape[:2]
    assert image.pixelColor(9, 4).red() == expected[4, 9, 0]


def test_montage_is_a_picture_larger_than_the_input(qtbot, window, tmp_path, ask):
    _open(qtbot, window, _picture(tmp_path / "photo.png"))
    path = tmp_path / "montage.png"
    assert window.exports.export_montage(path)
    with Image.open(path) as img:
        assert img.format == "PNG"
        assert img.width > 44 and img.height > 36
        assert img.width == 1920
    q = ask(No)
    assert not window.exports.export_montage(path)
    assert q.asked


# == banks and weights ====================================================================


def test_bank_export_then_import_restores_the_filters(qtbot, window, tmp_path):
    _edit(window)
    before = _bank_form(window)
    path = tmp_path / "bank.json"
    assert window.bank_files.export_bank(path)
    window.controller.remove_filter(0)
    window.set_layer(padding="valid")
    assert window.bank_files.import_bank(path)
    assert _bank_form(window) == before
    window.controller.undo_stack.undo()
    assert len(window.bank.filters) == 3


def test_unreadable_bank_changes_nothing(qtbot, window, tmp_path):
    before = _bank_form(window)
    path = tmp_path / "bank.json"
    path.write_text('{"format": "filterstudio-bank", "version": 1, "filters": [{"name": 3}]}')
    assert not window.bank_files.import_bank(path)
    assert not window.bank_files.import_bank(tmp_path / "nowhere.json")
    assert _bank_form(window) == before
    assert len(window.errors) == 2


def test_keras_and_pytorch_weights_import_as_the_same_kernels(qtbot, window, tmp_path):
    rng = np.random.default_rng(5)
    kernels = rng.normal(size=(4, 5, 5)).astype(np.float32)  # F, kh, kw
    keras = np.transpose(kernels, (1, 2, 0))[:, :, None, :]  # kh, kw, 1, F
    torch = kernels[:, None]  # F, 1, kh, kw
    np.savez(tmp_path / "keras.npz", kernel=keras, bias=np.arange(4, dtype=np.float32))
    np.save(tmp_path / "torch.npy", torch)
    assert window.bank_files.import_weights(tmp_path / "keras.npz")
    from_keras = [f.kernel.copy() for f in window.bank.filters]
    assert [f.bias for f in window.bank.filters] == [0, 1, 2, 3]
    assert window.bank_files.import_weights(tmp_path / "torch.npy")
    for a, b, k in zip(from_keras, window.bank.filters, kernels):
        assert np.array_equal(a, k) and np.array_equal(b.kernel, k)
    assert window.errors == []


@pytest.mark.parametrize("answer", ["keras", "pytorch"])
def test_ambiguous_weights_ask_for_the_layout_and_switch_to_depth(
    qtbot, window, tmp_path, monkeypatch, answer
):
    weights = np.random.default_rng(2).normal(size=(3, 3, 3, 3)).astype(np.float32)
    np.save(tmp_path / "w.npy", weights)
    asked = []

    def choose(self, text):
        asked.append(text)
        return answer

    monkeypatch.setattr(BankFiles, "ask_layout", choose)
    before = _bank_form(window)
    assert window.bank_files.import_weights(tmp_path / "w.npy")
    assert len(asked) == 1 and "Keras" in asked[0] and "PyTorch" in asked[0]
    expected = weights if answer == "keras" else np.transpose(weights, (2, 3, 1, 0))
    for i, f in enumerate(window.bank.filters):
        assert np.array_equal(f.kernel, expected[..., i])  # (kh, kw, C) per filter
    assert window.bank.layer.channel_mode == "depth"
    window.controller.undo_stack.undo()  # the filters and the channel mode: one step
    assert _bank_form(window) == before


def test_declined_layout_question_changes_nothing(qtbot, window, tmp_path, monkeypatch):
    np.save(tmp_path / "w.npy", np.zeros((3, 3, 3, 3), np.float32))
    monkeypatch.setattr(BankFiles, "ask_layout", lambda self, text: None)
    before = _bank_form(window)
    assert not window.bank_files.import_weights(tmp_path / "w.npy")
    assert _bank_form(window) == before


def test_layout_question_offers_both_layouts(qtbot, window):
    box, buttons = window.bank_files.layout_question("Which layout?")
    assert sorted(b.text() for b in buttons) == ["Keras (kh, kw, C, F)", "PyTorch (F, C, kh, kw)"]
    assert sorted(buttons.values()) == ["keras", "pytorch"]
    box.deleteLater()


@pytest.mark.parametrize("layout", ["keras", "pytorch"])
def test_weights_export_then_import_gives_the_same_kernels(qtbot, window, tmp_path, layout):
    for i, f in enumerate(window.bank.filters):  # one weight array holds kernels of one size
        if f.kernel.shape != (3, 3):
            window.set_kernel(i, np.arange(9.0).reshape(3, 3) / 36)
    window.controller.set_filter_fields(1, bias=0.5)
    before = [(f.kernel.copy(), f.bias) for f in window.bank.filters]
    path = tmp_path / f"{layout}.npz"
    assert window.bank_files.export_weights(path, layout)
    assert window.bank_files.import_weights(path, layout)
    after = [(f.kernel, f.bias) for f in window.bank.filters]
    for (k0, b0), (k1, b1) in zip(before, after):
        assert np.array_equal(k0, k1) and b0 == b1
    assert window.errors == []


def test_weights_of_mixed_sizes_are_refused_with_a_sentence(qtbot, window, tmp_path):
    window.set_kernel(0, np.ones((5, 5)))
    assert not window.bank_files.export_weights(tmp_path / "w.npz", "keras")
    assert len(window.errors) == 1 and window.errors[0].endswith(".")
    assert not (tmp_path / "w.npz").exists()


# == menus ================================================================================


def test_actions_sit_in_the_file_and_edit_menus_with_their_shortcuts(qtbot, window):
    file_menu = window.actions.menus["&File"].actions()
    for name in ("open_session", "save_session", "save_map", "export_montage",
                 "import_weights", "export_weights"):  # fmt: skip
        assert window.action(f"file.{name}") in file_menu
    assert window.action("edit.copy_map") in window.actions.menus["&Edit"].actions()
    shortcuts = {
        "file.open_session": "Ctrl+Shift+O",
        "file.save_session": "Ctrl+S",
        "file.save_session_as": "Ctrl+Shift+S",
        "edit.copy_map": "Ctrl+Shift+C",
    }
    for name, keys in shortcuts.items():
        assert window.action(name).shortcut() == QKeySequence(keys)


def test_save_map_dialog_choice_decides_exact_or_displayed(qtbot, window, tmp_path, monkeypatch):
    _open(qtbot, window, _picture(tmp_path / "photo.png"))
    answers = iter(
        [
            (str(tmp_path / "a"), "NumPy (*.npy)"),
            (str(tmp_path / "b"), "TIFF float32 (*.tif)"),
            (str(tmp_path / "c.tif"), "TIFF image as displayed (*.tif *.tiff)"),
        ]
    )
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: next(answers))
    for _ in range(3):
        with qtbot.waitSignal(window.exports.saved, timeout=15000):
            window.action("file.save_map").trigger()  # written on a worker
    sel = window.controller.selected_index
    assert np.array_equal(np.load(tmp_path / "a.npy"), window.map_values(sel))
    assert np.array_equal(load_image(tmp_path / "b.tif"), window.map_values(sel))
    with Image.open(tmp_path / "c.tif") as img:
        assert img.mode in ("L", "RGB")


def test_a_filters_colour_map_survives_a_session(qtbot, make_window, tmp_path):
    first = make_window()
    _open(qtbot, first, _picture(tmp_path / "photo.png"))
    uid = first.bank.filters[2].uid
    first.controller.set_display("diverging", "coolwarm", uid=uid)
    qtbot.waitUntil(first.is_current, timeout=15000)
    path = tmp_path / "colours.fstudio"
    assert first.document.save_session(path)

    second = make_window()
    assert _open_session(qtbot, second, path)
    qtbot.waitUntil(second.is_current, timeout=15000)
    assert second.controller.display.for_uid(second.bank.filters[2].uid) == (
        "diverging",
        "coolwarm",
        True,
    )


def test_a_typed_extension_wins_over_the_selected_filter(qtbot, window, tmp_path, monkeypatch):
    _open(qtbot, window, _picture(tmp_path / "photo.png"))
    answers = iter([(str(tmp_path / "x.npy"), "PNG image (*.png)"),
                    (str(tmp_path / "y.jpg"), "NumPy (*.npy)")])  # fmt: skip
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: next(answers))
    for _ in range(2):
        with qtbot.waitSignal(window.exports.saved, timeout=15000):
            window.action("file.save_map").trigger()  # written on a worker
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix in (".npy", ".jpg")) == ["x.npy", "y.jpg"]
    sel = window.controller.selected_index
    assert np.array_equal(np.load(tmp_path / "x.npy"), window.map_values(sel))
    with Image.open(tmp_path / "y.jpg") as img:
        assert img.format == "JPEG"


def test_save_all_maps_includes_combined_maps(qtbot, window, tmp_path):
    _open(qtbot, window, _picture(tmp_path / "photo.png"))
    window.add_combined_map(0, 1, "magnitude")
    qtbot.waitUntil(window.is_current, timeout=15000)
    out = tmp_path / "maps"
    out.mkdir()
    written = window.exports.save_all_maps(out, "npy")
    assert len(written) == len(window.bank.filters) + 1
    combined = [p for p in written if p.name.startswith("magnitude")]
    assert len(combined) == 1
    assert np.array_equal(np.load(combined[0]), window.combined_values(0))


def test_the_montage_is_made_of_the_exact_maps_at_full_size(qtbot, window, tmp_path, monkeypatch):
    from filterstudio.gui import exports

    _open(qtbot, window, _picture(tmp_path / "photo.png", h=300, w=2600))  # wider than a panel
    seen = {}

    def spy(input_pixels, maps, *, title=None):
        seen["input"], seen["maps"] = input_pixels, maps
        return np.zeros((4, 4, 3), np.uint8)

    monkeypatch.setattr(exports, "render_montage", spy)
    assert window.exports.montage() is not None
    assert seen["input"].shape[:2] == window.controller.image.pixels.shape[:2]
    display = window.controller.display
    for i, (name, pixels, kernel) in enumerate(seen["maps"]):
        values = window.map_values(i)
        assert name == window.bank.filters[i].name
        mapping, cmap, _ = display.for_uid(window.bank.filters[i].uid)
        assert np.array_equal(pixels, to_uint8(values, mapping, colormap=cmap))
        assert np.array_equal(kernel, window.bank.filters[i].kernel)
