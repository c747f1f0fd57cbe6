"""File > Apply to Folder: the bank as the window shows it, through every picture of a folder."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDialog, QLineEdit

import filterstudio
from filterstudio.core.display import to_uint8
from filterstudio.core.imageio import load_image

LAYER = {"stride": 2, "padding": "same", "border": "reflect"}


def make_pictures(folder, count: int = 3, size: tuple[int, int] = (23, 31)) -> list[str]:
    folder.mkdir(exist_ok=True)
    rng = np.random.default_rng(count)
    paths = []
    for i in range(count):
        shape = size if i == 1 else (*size, 3)  # one grey picture among colour ones
        path = folder / f"photo{i:02d}.{'jpg' if i == 2 else 'png'}"
        Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8)).save(path)
        paths.append(os.fspath(path))
    return paths


def reference(window, source: str, index: int) -> np.ndarray:
    """Filter ``index``'s exact map of ``source``, from ``filterstudio.convolve`` alone."""
    f = window.bank.filters[index]
    out = filterstudio.convolve(load_image(source), f.kernel, **LAYER) + np.float32(f.bias)
    return np.maximum(out, 0) if f.activation == "relu" else out


def no_temporary_files(folder) -> bool:
    return not any(n.startswith(".") for _, _, files in os.walk(folder) for n in files)


def stem(path: str) -> str:
    return os.path.splitext(os.path.basename(path))[0]


@pytest.fixture
def studio(window):
    """The starter bank with a layer, a bias, an activation and a switched-off filter."""
    window.set_layer(**LAYER)
    window.controller.set_filter_fields(1, bias=0.25, activation="relu")
    window.controller.set_filter_fields(2, enabled=False)
    window.controller.set_display("minmax", "viridis", uid=window.bank.filters[3].uid)
    return window


def test_every_picture_gets_the_maps_the_panels_show_and_a_bad_one_is_named(studio, tmp_path):
    pictures = make_pictures(tmp_path / "photos")
    (tmp_path / "photos" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    summary = studio.apply_to_folder(tmp_path / "photos", tmp_path / "maps")
    assert summary.error is None and not summary.cancelled
    assert summary.total == 4 and summary.written == tuple(pictures) and not summary.skipped
    [(bad, reason)] = summary.failed
    assert bad.endswith("broken.png") and "broken.png" in reason and reason.count(".") >= 1
    assert "\n" not in reason
    shown = [f for f in studio.bank.filters if f.enabled]
    assert sorted(os.listdir(tmp_path / "maps")) == sorted(f.name for f in shown)
    for index, f in enumerate(studio.bank.filters):
        if not f.enabled:
            continue
        mapping, cmap, _ = studio.controller.display.for_uid(f.uid)
        for source in pictures:
            with Image.open(tmp_path / "maps" / f.name / f"{stem(source)}.png") as im:
                written = np.asarray(im)
            expected = to_uint8(reference(studio, source, index), mapping, colormap=cmap)
            np.testing.assert_array_equal(written, expected)
    assert no_temporary_files(tmp_path / "maps")
    box = studio.folder_apply.summary_box()
    assert "3 of 4 pictures" in box.text() and "1 failed" in box.text()
    assert reason in box.informativeText()


def test_exact_values_match_convolve(studio, tmp_path):
    pictures = make_pictures(tmp_path / "photos", 2)
    summary = studio.apply_to_folder(tmp_path / "photos", tmp_path / "maps", fmt="npy")
    assert len(summary.written) == 2
    for index in (0, 1, 3):
        name = studio.bank.filters[index].name
        for source in pictures:
            values = np.load(tmp_path / "maps" / name / f"{stem(source)}.npy")
            np.testing.assert_allclose(values, reference(studio, source, index), atol=1e-5)


def test_existing_maps_are_skipped_unless_overwrite(studio, tmp_path):
    make_pictures(tmp_path / "photos", 2)
    first = studio.apply_to_folder(tmp_path / "photos", tmp_path / "maps")
    assert len(first.written) == 2
    kept = tmp_path / "maps" / studio.bank.filters[0].name / "photo00.png"
    kept.write_bytes(b"kept")
    again = studio.apply_to_folder(tmp_path / "photos", tmp_path / "maps")
    assert again.written == () and len(again.skipped) == 2 and not again.failed
    assert "2 had their maps already" in again.text
    assert kept.read_bytes() == b"kept"
    forced = studio.apply_to_folder(tmp_path / "photos", tmp_path / "maps", overwrite=True)
    assert len(forced.written) == 2
    assert kept.read_bytes()[:4] == b"\x89PNG"


def test_cancel_mid_run_leaves_no_partial_file_and_a_second_run_finishes(window, qtbot, tmp_path):
    for _ in range(4):  # eight filters: each picture takes a while
        window.controller.add_filter("sharpen")
    pictures = make_pictures(tmp_path / "photos", 40, (240, 320))
    fa = window.folder_apply

    def cancel_once_some_are_done(done: int, total: int) -> None:
        if done >= 1 and fa.progress_dialog() is not None:
            button = fa.progress_dialog().findChild(object, "cancelButton")
            qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    fa.progress.connect(cancel_once_some_are_done)
    with qtbot.waitSignal(fa.finished, timeout=60_000) as ended:
        assert fa.apply_to_folder(tmp_path / "photos", tmp_path / "maps", wait=False) is None
        assert fa.is_running()
    fa.progress.disconnect(cancel_once_some_are_done)
    summary = ended.args[0]
    assert summary.cancelled and 1 <= len(summary.written) < len(pictures)
    assert "Cancelled" in summary.text and "half-written" in summary.text
    assert no_temporary_files(tmp_path / "maps")
    for path in summary.maps:  # every map there is whole
        with Image.open(path) as im:
            im.load()
    rest = window.apply_to_folder(tmp_path / "photos", tmp_path / "maps")
    assert not rest.cancelled and not rest.failed
    assert len(rest.written) + len(rest.skipped) == len(pictures)
    assert set(rest.written).isdisjoint(summary.written) or len(rest.skipped) > 0


def test_closing_the_window_during_a_run_cancels_it_cleanly(qtbot, tmp_path):
    from filterstudio.gui.main_window import MainWindow

    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    make_pictures(tmp_path / "photos", 30, (240, 320))
    fa = win.folder_apply
    with qtbot.waitSignal(fa.progress, timeout=30_000, check_params_cb=lambda d, t: d >= 1):
        win.apply_to_folder(tmp_path / "photos", tmp_path / "maps", wait=False)
    win.controller.mark_clean()
    win.close_without_asking()
    qtbot.waitUntil(lambda: not fa.is_running(), timeout=30_000)
    summary = fa.last_summary()
    assert summary.cancelled and len(summary.written) < 30
    assert no_temporary_files(tmp_path / "maps")
    assert fa.summary_box() is None  # no box opens over a closing window


@contextlib.contextmanager
def read_only(folders):
    """``folders`` made read-only (for root too, where the file system allows it)."""
    immutable = os.geteuid() == 0 and shutil.which("chattr") is not None
    made: list = []
    try:
        for folder in folders:
            folder.chmod(0o555)
            if immutable and subprocess.run(["chattr", "+i", str(folder)]).returncode == 0:
                made.append(folder)
        try:
            (folders[-1] / "probe").write_bytes(b"")
        except OSError:
            yield
        else:
            (folders[-1] / "probe").unlink()
            pytest.skip("this file system lets this user write into a read-only folder")
    finally:
        for folder in made:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        for folder in folders:
            folder.chmod(0o755)


@pytest.mark.parametrize("earlier_run", [False, True])
def test_a_read_only_output_folder_is_one_sentence(studio, tmp_path, earlier_run):
    make_pictures(tmp_path / "photos", 3)
    out = tmp_path / "maps"
    out.mkdir()
    folders = [out]
    if earlier_run:  # the filters' folders are there already: a run into them fails per map
        studio.apply_to_folder(tmp_path / "photos", out)
        make_pictures(tmp_path / "photos", 5)
        folders = [out / f.name for f in studio.bank.filters if f.enabled] + [out]
    before = sorted(os.walk(out))
    errors: list[str] = []
    studio.dialogs.errorShown.connect(errors.append)
    with read_only(folders):
        summary = studio.apply_to_folder(tmp_path / "photos", out)
    assert len(errors) == 1 and errors[0] == summary.error
    assert "maps" in summary.error and summary.error.endswith(".") and "\n" not in summary.error
    assert summary.written == () and summary.failed == ()
    assert sorted(os.walk(out)) == before


@pytest.mark.parametrize(
    ("case", "words"),
    [
        ("missing", "does not exist"),
        ("same", "among the pictures"),
        ("file", "is a file"),
        ("empty", "no picture"),
        ("off", "Switch a filter on"),
    ],
)
def test_a_run_that_cannot_go_is_one_sentence(window, tmp_path, case, words):
    photos = tmp_path / "photos"
    make_pictures(photos, 1)
    source, target = photos, tmp_path / "maps"
    if case == "missing":
        source = tmp_path / "nowhere"
    elif case == "same":
        target = photos
    elif case == "file":
        target.write_bytes(b"x")
    elif case == "empty":
        source = tmp_path / "empty"
        source.mkdir()
    else:
        for i in range(len(window.bank.filters)):
            window.controller.set_filter_fields(i, enabled=False)
    errors: list[str] = []
    window.dialogs.errorShown.connect(errors.append)
    summary = window.apply_to_folder(source, target)
    assert words in summary.error and errors == [summary.error]
    assert not os.path.isdir(tmp_path / "maps") or case == "same"


def test_the_menu_command_asks_for_the_folders_and_runs(window, qtbot, tmp_path):
    make_pictures(tmp_path / "photos", 2)
    action = window.action("file.apply_to_folder")
    assert action.text() == "Apply to &Folder…"

    def fill_and_apply() -> None:
        dialog = window.findChild(QDialog, "folderApplyDialog")
        dialog.findChild(QLineEdit, "sourceFolder").setText(str(tmp_path / "photos"))
        dialog.findChild(QLineEdit, "targetFolder").setText(str(tmp_path / "maps"))
        dialog.accept()

    QTimer.singleShot(0, fill_and_apply)
    with qtbot.waitSignal(window.folder_apply.finished, timeout=30_000) as ended:
        action.trigger()
    assert len(ended.args[0].written) == 2
    names = [f.name for f in window.bank.filters if f.enabled]
    assert sorted(os.listdir(tmp_path / "maps")) == sorted(names)
