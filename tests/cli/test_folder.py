"""filterstudio apply PHOTOS/ OUT/: one map per picture, resumable, failures named, exit codes."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image

from filterstudio.cli import main
from filterstudio.core.display import to_uint8
from filterstudio.core.imageio import load_image
from filterstudio.core.kernels import PRESETS
from filterstudio.core.pipeline import apply_filter


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def save(path, seed: int, shape=(12, 15, 3)) -> str:
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8)).save(path)
    return os.fspath(path)


@pytest.fixture
def photos(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    save(folder / "one.jpg", 1)
    save(folder / "two.png", 2)
    save(folder / "three.PNG", 3, shape=(12, 15))
    return folder


def sobel_abs(path) -> np.ndarray:
    result = apply_filter(load_image(path), PRESETS["sobel_x"].kernel, padding="same")
    return to_uint8(result, "abs")


def pixels(path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im)


def assert_clean(folder) -> None:
    hidden = [n for _, _, files in os.walk(folder) for n in files if n.startswith(".")]
    assert hidden == []


def test_a_folder_gets_one_map_per_picture_with_the_same_name(capsys, photos, tmp_path):
    out = tmp_path / "out"
    code, stdout, err = run(capsys, "apply", photos, out, "-k", "sobel_x", "--padding", "same",
                            "--display", "abs")
    assert (code, err) == (0, "")
    assert sorted(os.listdir(out)) == ["one.png", "three.png", "two.png"]
    for name in ("one.jpg", "two.png", "three.PNG"):
        stem = os.path.splitext(name)[0]
        np.testing.assert_array_equal(pixels(out / f"{stem}.png"), sobel_abs(photos / name))
    assert stdout.startswith("Wrote the maps of 3 of 3 pictures to ")
    assert stdout.count("\n") == 1


@pytest.mark.parametrize("fmt", ["jpg", "bmp", "webp", "tif", "npy"])
def test_format_picks_the_file_type(capsys, photos, tmp_path, fmt):
    out = tmp_path / "out"
    code, _, err = run(capsys, "apply", photos, out, "-k", "sharpen", "--format", fmt)
    assert (code, err) == (0, "")
    assert sorted(os.listdir(out)) == [f"one.{fmt}", f"three.{fmt}", f"two.{fmt}"]
    if fmt in ("npy", "tif"):  # the exact float32 map
        expected = apply_filter(load_image(photos / "two.png"), PRESETS["sharpen"].kernel)
        loaded = np.load(out / "two.npy") if fmt == "npy" else load_image(out / "two.tif")
        np.testing.assert_array_equal(loaded, expected)


def test_maps_that_exist_are_skipped_so_a_run_resumes(capsys, photos, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "two.png").write_bytes(b"from an earlier run")
    code, stdout, _ = run(capsys, "apply", photos, out, "-k", "sobel_x")
    assert code == 0
    assert (out / "two.png").read_bytes() == b"from an earlier run"
    assert "2 of 3 pictures" in stdout and "1 had its maps already (--force" in stdout
    code, stdout, _ = run(capsys, "apply", photos, out, "-k", "sobel_x", "--force")
    assert code == 0 and "3 of 3 pictures" in stdout
    assert (out / "two.png").read_bytes().startswith(b"\x89PNG")


def test_a_failing_picture_is_named_and_the_exit_code_says_so(capsys, photos, tmp_path):
    (photos / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0" + bytes(40))
    (photos / "empty.png").write_bytes(b"")
    out = tmp_path / "out"
    code, stdout, err = run(capsys, "apply", photos, out, "-k", "sobel_x")
    assert code == 1
    lines = sorted(err.strip().splitlines())  # in the order the pictures finish
    assert len(lines) == 2
    assert lines[0].startswith("filterstudio: 'broken.jpg' ")
    assert lines[1].startswith("filterstudio: 'empty.png' is empty")
    assert all(line.endswith(".") for line in lines)
    assert sorted(os.listdir(out)) == ["one.png", "three.png", "two.png"]
    assert "3 of 5 pictures" in stdout and "2 failed" in stdout


def test_a_bank_writes_one_sub_folder_per_filter(capsys, photos, tmp_path):
    bank = tmp_path / "bank.json"
    bank.write_text(json.dumps({
        "format": "filterstudio-bank",
        "version": 1,
        "layer": {"padding": "same"},
        "filters": [
            {"name": "Edges: x", "kernel": [[1, 0, -1], [2, 0, -2], [1, 0, -1]]},
            {"name": "off", "kernel": [[1]], "enabled": False},
            {"name": "blur", "kernel": [[1, 1], [1, 1]], "bias": 0.5},
        ],
    }))
    out = tmp_path / "out"
    code, _, err = run(capsys, "apply", photos, out, "--bank", bank, "--format", "npy",
                       "--bias", "0.25")
    assert (code, err) == (0, ""), err
    assert sorted(os.listdir(out)) == ["Edges_x", "blur"]
    for sub in ("Edges_x", "blur"):
        assert sorted(os.listdir(out / sub)) == ["one.npy", "three.npy", "two.npy"]
    expected = apply_filter(load_image(photos / "one.jpg"), np.ones((2, 2), np.float32),
                            bias=0.25, padding="same")
    np.testing.assert_array_equal(np.load(out / "blur" / "one.npy"), expected)


def test_a_stack_of_several_stages_is_refused_for_a_folder(capsys, photos, tmp_path):
    from filterstudio.model.bank import Bank, Filter, Layer
    from filterstudio.model.stack import Stack
    from filterstudio.model.stack_io import save_stack

    bank = Bank((Filter("edges", PRESETS["sobel_x"].kernel),), Layer(padding="same"))
    save_stack(tmp_path / "stack.json", Stack.of(bank).adding_stage("pool", size=2))
    code, _, err = run(capsys, "apply", photos, tmp_path / "out", "--bank",
                       tmp_path / "stack.json")
    assert code == 2 and err.count("\n") == 1 and "stack of 2 stages" in err
    assert not (tmp_path / "out").exists()


def test_other_files_and_sub_folders_are_left_alone(capsys, photos, tmp_path):
    (photos / "notes.txt").write_text("not a picture")
    (photos / "raw").mkdir()
    save(photos / "raw" / "inner.png", 4)
    out = tmp_path / "out"
    code, stdout, err = run(capsys, "apply", photos, out, "-k", "sobel_x")
    assert (code, err) == (0, "")
    assert sorted(os.listdir(out)) == ["one.png", "three.png", "two.png"]
    assert "2 other entries of the folder left alone (notes.txt, raw/)" in stdout


def test_png_compression_changes_the_size_not_the_pixels(capsys, photos, tmp_path):
    save(photos / "big.png", 5, shape=(120, 160, 3))
    for name, extra in (("fast", []), ("small", ["--png-compression", "9"])):
        code, _, err = run(capsys, "apply", photos, tmp_path / name, "-k", "box_blur", *extra)
        assert (code, err) == (0, "")
    fast, small = tmp_path / "fast" / "big.png", tmp_path / "small" / "big.png"
    assert small.stat().st_size < fast.stat().st_size
    np.testing.assert_array_equal(pixels(fast), pixels(small))


@pytest.mark.parametrize("level", ["10", "-1", "fast", "1.5"])
def test_a_bad_compression_level_is_a_usage_error(capsys, photos, tmp_path, level):
    code, _, err = run(capsys, "apply", photos, tmp_path / "out", "-k", "sobel_x",
                       "--png-compression", level)
    assert code == 2 and "PNG compression level is 0 to 9" in err


def test_mistakes_are_one_sentence_and_exit_2(capsys, photos, tmp_path):
    (tmp_path / "file").write_bytes(b"")
    empty = tmp_path / "empty"
    empty.mkdir()
    cases = [
        ((photos, tmp_path / "file", "-k", "sobel_x"), "is a file"),
        ((photos, photos, "-k", "sobel_x"), "among the pictures"),
        ((empty, tmp_path / "out", "-k", "sobel_x"), "There is no picture"),
        ((photos, tmp_path / "out", "-k", "sobel_x", "--colormap", "nope"), "colour map"),
        ((photos, tmp_path / "out", "-k", "no_such_kernel"), "no_such_kernel"),
    ]
    for argv, fragment in cases:
        code, _, err = run(capsys, "apply", *argv)
        lines = err.strip().splitlines()
        assert code == 2 and len(lines) == 1 and fragment in lines[0], (argv, err)
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------------------------
# Whole processes: the progress line on a terminal, and Ctrl+C


def test_a_terminal_shows_a_progress_line(photos, tmp_path):
    import pty

    leader, follower = pty.openpty()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "filterstudio", "apply", str(photos), str(tmp_path / "out"),
             "-k", "sobel_x"],
            stdout=subprocess.PIPE, stderr=follower, timeout=120, check=False,
        )
        os.close(follower)
        follower = -1
        drawn = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        if follower != -1:
            os.close(follower)
        os.close(leader)
    assert proc.returncode == 0
    text = drawn.decode()
    assert "/3 " in text and " pictures" in text  # done of 3, counted in pictures
    assert re.search(r"\r +\r+$", text)  # the bar is wiped off its line before the summary
    assert b"\r" not in proc.stdout


# Slow enough that a signal arrives mid-run: many pictures, a costly PNG level.
def _many(folder, n: int) -> None:
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(n):
        Image.fromarray(rng.integers(0, 256, (96, 128, 3), dtype=np.uint8)).save(
            folder / f"p{i:02d}.png")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_stopped_run_leaves_whole_files_and_resumes(tmp_path, signum):
    folder, out = tmp_path / "photos", tmp_path / "out"
    _many(folder, 40)
    argv = [sys.executable, "-m", "filterstudio", "apply", str(folder), str(out), "-k",
            "gaussian_blur_5x5", "--png-compression", "9", "--flip"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (out.is_dir() and [n for n in os.listdir(out) if not n.startswith(".")]):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.002)
        proc.send_signal(signum)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 128 + signum, stderr
    written = sorted(n for n in os.listdir(out) if not n.startswith("."))
    assert 1 <= len(written) < 40, "the run ended before the signal"
    assert stderr.strip().splitlines() == [
        f"filterstudio: stopped by signal {signum} after {len(written)} "
        f"picture{'s' if len(written) > 1 else ''} written of 40; no file is half-written, and "
        "the same command again writes the rest."
    ]
    assert_clean(out)
    for name in written:  # every map there is whole
        assert pixels(out / name).shape == (92, 124, 3)  # "valid" with a 5x5 kernel
    again = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    assert again.returncode == 0, again.stderr
    assert f"{40 - len(written)} of 40 pictures" in again.stdout
    assert f"{len(written)} had" in again.stdout
    assert len(os.listdir(out)) == 40


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_second_ctrl_c_stops_at_once_and_still_leaves_whole_files(tmp_path):
    folder, out = tmp_path / "photos", tmp_path / "out"
    _many(folder, 40)
    argv = [sys.executable, "-m", "filterstudio", "apply", str(folder), str(out), "-k",
            "gaussian_blur_5x5", "--png-compression", "9"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (out.is_dir() and [n for n in os.listdir(out) if not n.startswith(".")]):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.002)
        proc.send_signal(signal.SIGINT)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("filterstudio: stopped by signal 2 after ")
    assert_clean(out)
    for name in os.listdir(out):
        assert pixels(out / name).shape == (92, 124, 3)
