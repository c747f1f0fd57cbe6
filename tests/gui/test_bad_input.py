"""Bad files, bad cells, faults and closing: the window answers with a sentence and keeps going."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

import filterstudio.core.imageio as imageio
import filterstudio.gui.loading as loading
from filterstudio.core.kernels import get_preset
from filterstudio.core.pipeline import apply_bank_filter
from filterstudio.gui.widgets import KernelCellWidget

WAIT_MS = 20000


# == helpers ===================================================================================
def _current(qtbot, win) -> None:
    qtbot.waitUntil(win.is_current, timeout=WAIT_MS)


def _error_boxes(win) -> list[QMessageBox]:
    return [b for b in win.findChildren(QMessageBox, "errorBox") if b.isVisible()]


def _close_error_boxes(win) -> None:
    for box in _error_boxes(win):
        box.close()


def _one_sentence(text: str) -> bool:
    text = text.strip()
    return (
        bool(text)
        and text.endswith(".")
        and "\n" not in text
        and "Traceback" not in text
    )


def _answer(monkeypatch, button) -> list[tuple]:
    """QMessageBox.question answers ``button``; returns the questions asked."""
    asked: list[tuple] = []

    def question(*args, **kwargs):
        asked.append(args)
        return button

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    return asked


def _png(path, shape=(24, 32, 3), seed=0) -> str:
    rng = np.random.default_rng(seed)
    arr = (rng.random(shape) * 255).astype(np.uint8)
    Image.fromarray(arr).save(path)
    return str(path)


@pytest.fixture
def studio(qtbot, window):
    """The window on a small known picture, maps current."""
    window.set_image_array(np.random.default_rng(7).random((40, 48, 3), dtype=np.float32), "start")
    _current(qtbot, window)
    yield window
    _close_error_boxes(window)


# == files that do not open ======================================================================
def _empty(tmp_path):
    p = tmp_path / "empty.png"
    p.write_bytes(b"")
    return str(p)


def _truncated(tmp_path):
    full = _png(tmp_path / "full.png", (64, 64, 3))
    data = Path(full).read_bytes()
    p = tmp_path / "cut.png"
    p.write_bytes(data[: len(data) // 2])
    return str(p)


def _text(tmp_path):
    p = tmp_path / "notes.png"
    p.write_text("this is not a picture\n")
    return str(p)


def _folder(tmp_path):
    p = tmp_path / "folder.png"
    p.mkdir()
    return str(p)


def _missing(tmp_path):
    return str(tmp_path / "nowhere" / "missing.png")


@pytest.mark.parametrize("make", [_empty, _truncated, _text, _folder, _missing],
                         ids=["empty", "truncated", "text", "folder", "missing"])
def test_unreadable_file_gives_one_sentence_and_keeps_the_picture(studio, tmp_path, make):
    before = studio.controller.image
    path = make(tmp_path)
    assert studio.open_image(path) is False
    assert studio.controller.image is before
    boxes = _error_boxes(studio)
    assert len(boxes) == 1
    assert not boxes[0].isModal() or boxes[0].windowModality() != Qt.ApplicationModal
    text = boxes[0].text()
    assert _one_sentence(text), text
    assert studio.statusBar().currentMessage() == text


def _unicode(tmp_path):
    folder = tmp_path / "Bilder ünï 画像"
    folder.mkdir()
    return _png(folder / "smile ☺.png"), (24, 32, 3)


def _cmyk_jpeg(tmp_path):
    p = tmp_path / "print.jpg"
    Image.new("CMYK", (30, 20), (0, 128, 255, 10)).save(p, "JPEG")
    return str(p), (20, 30, 3)


def _palette_transparent(tmp_path):
    p = tmp_path / "palette.png"
    im = Image.new("P", (16, 12), 0)
    im.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0] + [0] * (256 * 3 - 9))
    im.paste(1, (0, 0, 8, 12))
    im.paste(2, (8, 0, 16, 6))
    im.save(p, transparency=0)
    return str(p), (12, 16, 3)


def _animated_gif(tmp_path):
    p = tmp_path / "anim.gif"
    frames = [Image.new("L", (10, 8), v) for v in (10, 120, 250)]
    frames[0].save(p, save_all=True, append_images=frames[1:], duration=50, loop=0)
    return str(p), (8, 10, 3)  # a GIF is a palette picture: read as RGB, first frame


def _one_pixel_wide(tmp_path):
    return _png(tmp_path / "thin.png", (20, 1, 3)), (20, 1, 3)


@pytest.mark.parametrize(
    "make",
    [_unicode, _cmyk_jpeg, _palette_transparent, _animated_gif, _one_pixel_wide],
    ids=["unicode-path", "cmyk-jpeg", "palette-transparency", "animated-gif", "one-pixel-wide"],
)
def test_unusual_but_legal_files_open(qtbot, studio, tmp_path, make):
    path, shape = make(tmp_path)
    assert studio.open_image(path) is True
    assert not _error_boxes(studio)
    pixels = studio.controller.image.pixels
    assert pixels.shape[:2] == shape[:2]
    assert pixels.ndim == len(shape)
    assert np.all(np.isfinite(pixels)) and pixels.min() >= 0 and pixels.max() <= 1
    np.testing.assert_array_equal(pixels, imageio.load_image(path))
    _current(qtbot, studio)
    for i, f in enumerate(studio.bank.filters):
        res = studio.controller.result(f.uid)
        if res.error:
            # A 1-pixel-wide picture is narrower than a 3x3 kernel under "valid".
            assert "larger than the padded image" in res.error
            assert studio.map_values(i) is None
        else:
            np.testing.assert_allclose(
                studio.map_values(i), apply_bank_filter(pixels, f, studio.bank.layer), atol=1e-4
            )


def test_animated_gif_gives_its_first_frame(studio, tmp_path):
    path, _ = _animated_gif(tmp_path)
    assert studio.open_image(path)
    np.testing.assert_allclose(studio.controller.image.pixels, 10 / 255, atol=1e-6)


def test_palette_transparency_is_dropped_not_blackened(studio, tmp_path):
    path, _ = _palette_transparent(tmp_path)
    assert studio.open_image(path)
    pixels = studio.controller.image.pixels
    np.testing.assert_allclose(pixels[0, 0], (1.0, 0.0, 0.0))
    np.testing.assert_allclose(pixels[0, 15], (0.0, 1.0, 0.0))


# == size limits ===================================================================================
def test_decompression_bomb_is_refused_before_decoding(studio, tmp_path, monkeypatch):
    path = _png(tmp_path / "bomb.png", (100, 100, 3))
    decoded: list[str] = []
    real_pillow, real_opencv = imageio._decode_pillow, imageio._decode_opencv
    monkeypatch.setattr(imageio, "_decode_pillow",
                        lambda *a, **k: decoded.append("pillow") or real_pillow(*a, **k))
    monkeypatch.setattr(imageio, "_decode_opencv",
                        lambda *a, **k: decoded.append("opencv") or real_opencv(*a, **k))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    asked = _answer(monkeypatch, QMessageBox.StandardButton.Yes)
    before = studio.controller.image
    assert studio.open_image(path) is False
    assert studio.controller.image is before
    assert decoded == []  # refused from the header: fast, whatever the claimed size
    assert asked == []  # a bomb is not offered as a reduced copy
    (box,) = _error_boxes(studio)
    assert _one_sentence(box.text()) and "safe limit" in box.text()


def test_bomb_between_one_and_two_times_the_limit_is_refused_too(studio, tmp_path, monkeypatch):
    path = _png(tmp_path / "warn.png", (40, 40, 3))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # 1600 pixels: Pillow only warns
    before = studio.controller.image
    assert studio.open_image(path) is False
    assert studio.controller.image is before
    (box,) = _error_boxes(studio)
    assert "safe limit" in box.text()


def _limit_pixels(monkeypatch, limit: int) -> None:
    monkeypatch.setattr(imageio, "DEFAULT_MAX_PIXELS", limit)
    # load_image's default was bound when the module was imported; make it follow the limit.
    monkeypatch.setitem(imageio.load_image.__kwdefaults__, "max_pixels", limit)


def test_large_picture_reduced_copy_accepted(qtbot, studio, tmp_path, monkeypatch):
    path = _png(tmp_path / "large.png", (60, 80, 3))
    _limit_pixels(monkeypatch, 1000)
    monkeypatch.setattr(loading, "REDUCED_PIXELS", 1000)
    asked = _answer(monkeypatch, QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(studio.imageLoaded, timeout=WAIT_MS):
        assert studio.open_image(path) is True
    assert len(asked) == 1
    assert "4,800" in asked[0][2]
    state = studio.controller.image
    h, w = state.pixels.shape[:2]
    assert h * w <= 1000 and (h, w) != (60, 80)
    assert abs(w / h - 80 / 60) < 0.1
    assert state.note and "reduced copy" in state.note
    assert "reduced copy" in studio.statusBar().currentMessage()
    assert not _error_boxes(studio)
    _current(qtbot, studio)
    np.testing.assert_allclose(
        studio.map_values(0), apply_bank_filter(state.pixels, studio.bank.filters[0],
                                                studio.bank.layer), atol=1e-4
    )


def test_large_picture_reduced_copy_declined(qtbot, studio, tmp_path, monkeypatch):
    path = _png(tmp_path / "large.png", (60, 80, 3))
    _limit_pixels(monkeypatch, 1000)
    asked = _answer(monkeypatch, QMessageBox.StandardButton.No)
    before = studio.controller.image
    assert studio.open_image(path) is False
    assert len(asked) == 1
    assert studio.controller.image is before
    assert studio.is_current()
    assert not _error_boxes(studio)


def test_the_pixel_limit_is_read_when_a_picture_is_opened(studio, tmp_path, monkeypatch):
    path = _png(tmp_path / "large.png", (60, 80, 3))
    monkeypatch.setattr(imageio, "DEFAULT_MAX_PIXELS", 1000)
    asked = _answer(monkeypatch, QMessageBox.StandardButton.No)
    studio.open_image(path)
    assert len(asked) == 1


# == the kernel editor =============================================================================
def _cell(win, row: int, col: int) -> KernelCellWidget:
    cells = [c for c in win.kernel_editor.findChildren(KernelCellWidget)
             if c.isVisibleTo(win.kernel_editor) and c.channel == 0]
    return next(c for c in cells if (c.row, c.col) == (row, col))


@pytest.mark.parametrize("typed", ["nan", "inf", "abc", ""])
def test_rejected_cell_leaves_the_kernel_and_says_why(qtbot, studio, typed):
    before = studio.bank.filters[0]
    depth = studio.controller.undo_stack.count()
    cell = _cell(studio, 1, 2)
    cell.setFocus()
    cell.selectAll()
    if typed:
        qtbot.keyClicks(cell, typed)
    else:
        qtbot.keyClick(cell, Qt.Key.Key_Backspace)
    assert cell.isModified()
    qtbot.keyClick(cell, Qt.Key.Key_Return)
    after = studio.bank.filters[0]
    assert after == before
    np.testing.assert_array_equal(after.kernel, before.kernel)
    assert studio.controller.undo_stack.count() == depth
    message = studio.statusBar().currentMessage()
    assert "row 2, column 3" in message and "stays" in message, message
    assert cell.error
    assert cell.text() == "0"  # the vertical-line kernel's value there, shown again
    assert not _error_boxes(studio)
    # The next good value goes through.
    cell.selectAll()
    qtbot.keyClicks(cell, "0.5")
    qtbot.keyClick(cell, Qt.Key.Key_Return)
    assert studio.bank.filters[0].kernel[1, 2] == np.float32(0.5)
    assert not cell.error


def test_normalize_zero_sum_kernel_says_so_and_changes_nothing(studio):
    index = [f.name for f in studio.bank.filters].index("sobel_x")
    studio.controller.select(index)  # sobel_x: its weights add up to 0
    before = studio.bank.filters[index]
    assert float(before.kernel.sum()) == 0
    depth = studio.controller.undo_stack.count()
    studio.kernel_editor.tool_button("normalize").click()
    assert studio.bank.filters[index] == before
    assert studio.controller.undo_stack.count() == depth
    assert "sum" in studio.statusBar().currentMessage().lower()


def test_kernel_larger_than_the_padded_picture(qtbot, studio):
    studio.set_image_array(np.random.default_rng(3).random((4, 5), dtype=np.float32), "tiny")
    studio.set_kernel(0, get_preset("gaussian_blur_5").kernel
                      if "gaussian_blur_5" in _presets() else np.ones((7, 7)))
    studio.controller.select(0)
    _current(qtbot, studio)
    assert studio.map_values(0) is None
    assert "larger than the padded image" in studio.panel(0).error_text()
    assert "Output 0 × " in studio.layer_controls.geometry_text()
    assert "larger than the padded image" in studio.statusBar().currentMessage()
    # The 3x3 filters still fit.
    np.testing.assert_allclose(
        studio.map_values(1),
        apply_bank_filter(studio.controller.image.pixels, studio.bank.filters[1],
                          studio.bank.layer), atol=1e-5,
    )
    studio.set_layer(padding="same")
    _current(qtbot, studio)
    assert studio.map_values(0).shape == (4, 5)
    assert not studio.panel(0).has_error()
    assert "Output 5 × 4 (w × h)" in studio.layer_controls.geometry_text()


def _presets() -> tuple[str, ...]:
    from filterstudio.core.kernels import PRESETS

    return tuple(PRESETS)


# == faults in the engine ==========================================================================
def test_worker_fault_shows_a_message_and_the_maps_recover(qtbot, studio, monkeypatch):
    worker = studio.controller.worker

    def out_of_memory(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(worker, "engine", out_of_memory)
    studio.set_layer(border="reflect")
    _current(qtbot, studio)
    for i in range(len(studio.bank.filters)):
        assert studio.map_values(i) is None
        assert "Not enough memory" in studio.panel(i).error_text()
    assert "Not enough memory" in studio.statusBar().currentMessage()
    monkeypatch.setattr(worker, "engine", apply_bank_filter)
    studio.set_layer(border="edge")
    _current(qtbot, studio)
    image = studio.controller.image.pixels
    for i, f in enumerate(studio.bank.filters):
        assert not studio.panel(i).has_error()
        np.testing.assert_allclose(studio.map_values(i),
                                   apply_bank_filter(image, f, studio.bank.layer), atol=1e-5)


def test_worker_fault_then_the_same_state_again_recomputes(qtbot, studio, monkeypatch):
    """Undoing back to a state whose map failed asks for it again instead of keeping the error."""
    worker = studio.controller.worker
    monkeypatch.setattr(worker, "engine", lambda *a, **k: (_ for _ in ()).throw(MemoryError()))
    studio.set_layer(border="wrap")
    _current(qtbot, studio)
    assert studio.map_values(0) is None
    monkeypatch.setattr(worker, "engine", apply_bank_filter)
    studio.controller.undo_stack.undo()
    studio.controller.undo_stack.redo()  # back to border="wrap", now with a working engine
    _current(qtbot, studio)
    image = studio.controller.image.pixels
    for i, f in enumerate(studio.bank.filters):
        np.testing.assert_allclose(studio.map_values(i),
                                   apply_bank_filter(image, f, studio.bank.layer), atol=1e-5)


# == closing ======================================================================================
def test_closing_while_computing_stops_the_worker(qtbot, window):
    window.set_image_array(np.random.default_rng(5).random((1500, 1500, 3), dtype=np.float32))
    window.set_layer(dilation=2, padding="full")
    assert not window.is_current()
    window.controller.mark_clean()
    assert window.close() is True
    assert not window.isVisible()
    assert window.controller.worker.isFinished()


def test_close_with_unsaved_changes_cancel_then_discard_then_again(qtbot, studio, monkeypatch):
    studio.set_kernel(0, np.eye(3))
    assert studio.controller.is_dirty()
    asked = _answer(monkeypatch, QMessageBox.StandardButton.Cancel)
    assert studio.close() is False
    assert len(asked) == 1
    assert studio.isVisible()
    assert studio.controller.worker.isRunning()
    # Still fully working after the cancelled close.
    studio.set_kernel(1, np.eye(3) * 2)
    _current(qtbot, studio)
    asked = _answer(monkeypatch, QMessageBox.StandardButton.Discard)
    assert studio.close() is True
    assert len(asked) == 1
    assert not studio.isVisible()
    assert studio.controller.worker.isFinished()
    # A second close asks nothing and does no harm.
    assert studio.close() is True
    assert len(asked) == 1
    assert not studio.isVisible()


# == saving maps =================================================================================
def test_save_map_into_a_missing_folder(studio, tmp_path):
    target = tmp_path / "no such folder" / "map.png"
    assert studio.exports.save_map(0, target) is False
    assert not target.parent.exists()
    assert list(tmp_path.iterdir()) == []
    (box,) = _error_boxes(studio)
    assert _one_sentence(box.text()), box.text()


def test_save_map_with_an_unknown_extension(studio, tmp_path):
    target = tmp_path / "map.xyz"
    assert studio.exports.save_map(0, target) is False
    assert list(tmp_path.iterdir()) == []
    (box,) = _error_boxes(studio)
    assert _one_sentence(box.text()), box.text()


@pytest.mark.parametrize("name", ["map.png", "map.npy", "map.tif"])
def test_save_map_when_the_final_rename_fails(studio, tmp_path, monkeypatch, name):
    target = tmp_path / name
    target.write_bytes(b"the old file")

    def refuse(src, dst):
        raise OSError(28, "No space left on device", str(dst))

    real_replace = os.replace
    monkeypatch.setattr(os, "replace", refuse)
    assert studio.exports.save_map(0, target, overwrite=True) is False
    monkeypatch.setattr(os, "replace", real_replace)
    assert target.read_bytes() == b"the old file"
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]
    (box,) = _error_boxes(studio)
    assert _one_sentence(box.text()), box.text()
    assert "disk is full" in box.text()
    # Once the disk is fine again the same call works.
    _close_error_boxes(studio)
    assert studio.exports.save_map(0, target, overwrite=True) is True
    assert target.read_bytes() != b"the old file"


# == pictures that are huge, hang, or are still loading at close =================================
def test_a_pasted_picture_over_the_limit_is_offered_as_a_reduced_copy(qtbot, studio, monkeypatch):
    from PySide6.QtGui import QGuiApplication, QImage

    image = QImage(80, 60, QImage.Format.Format_RGB888)
    image.fill(Qt.GlobalColor.green)
    QGuiApplication.clipboard().setImage(image)
    monkeypatch.setattr(imageio, "DEFAULT_MAX_PIXELS", 1000)
    monkeypatch.setattr(loading, "REDUCED_PIXELS", 1000)
    before = studio.controller.image
    asked = _answer(monkeypatch, QMessageBox.StandardButton.No)
    studio.tabs.setFocus()
    studio.action("file.paste").trigger()
    assert len(asked) == 1 and "4,800" in asked[0][2]
    assert studio.controller.image is before
    asked = _answer(monkeypatch, QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(studio.imageLoaded, timeout=WAIT_MS):
        studio.action("file.paste").trigger()
    h, w = studio.controller.image.pixels.shape[:2]
    assert h * w <= 1000 and abs(w / h - 80 / 60) < 0.1
    assert "reduced copy" in studio.statusBar().currentMessage()


def _hanging_decoder(monkeypatch):
    """load_image that blocks until the returned event is set (a file that never ends)."""
    import threading

    real = imageio.load_image
    release = threading.Event()

    def hang(*args, **kwargs):
        release.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(imageio, "load_image", hang)
    return release


def test_a_file_that_never_finishes_decoding_leaves_the_window_working(qtbot, studio, tmp_path,
                                                                        monkeypatch):  # fmt: skip
    release = _hanging_decoder(monkeypatch)
    path = _png(tmp_path / "slow.png")
    try:
        assert studio.open_image(path, wait=False)
        qtbot.wait(50)  # the event loop runs: timers fire, edits are computed
        studio.set_kernel(1, np.eye(3))
        _current(qtbot, studio)
        assert studio.controller.image.name == "start"
    finally:
        release.set()
    qtbot.waitUntil(lambda: studio.controller.image.name == "slow.png", timeout=WAIT_MS)


def test_a_sessions_picture_is_decoded_in_the_background(qtbot, studio, tmp_path, monkeypatch):
    assert studio.open_image(_png(tmp_path / "photo.png"))
    session = tmp_path / "s.fstudio"
    assert studio.document.save_session(session)
    release = _hanging_decoder(monkeypatch)
    try:
        assert studio.document.open_session(session)  # returns while the picture decodes
        assert studio.loader.is_loading()
    finally:
        release.set()
    qtbot.waitUntil(lambda: not studio.loader.is_loading(), timeout=WAIT_MS)
    assert studio.controller.image.path == str(tmp_path / "photo.png")


def test_closing_while_a_picture_loads_exits_cleanly(qtbot, window, tmp_path, monkeypatch):
    release = _hanging_decoder(monkeypatch)
    shown = []
    window.loader.imageLoaded.connect(shown.append)
    assert window.open_image(_png(tmp_path / "late.png"), wait=False)
    window.controller.mark_clean()
    release.set()  # the decode ends while the window closes
    assert window.close()
    assert window.controller.worker.isFinished()
    assert not window.loader.is_loading()
    qtbot.wait(50)
    assert shown == []
