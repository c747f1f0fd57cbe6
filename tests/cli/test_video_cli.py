"""filterstudio apply on videos: frame count and rate kept, each frame's map as convolve makes it."""

from __future__ import annotations

import json
import os
import pty
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from filterstudio.cli import main
from filterstudio.core.convolution import output_shape
from filterstudio.core.display import to_uint8
from filterstudio.core.filenames import unique_names
from filterstudio.core.kernels import get_preset
from filterstudio.core.pipeline import apply_filter

sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
from clips import clip_frames, decode_rgb, make_clip, stated_fps, write_clip  # noqa: E402

# Frame by frame, a lossy codec's error (mean absolute, 0..255) stays under this; a map of the
# neighbouring frame or with red and blue swapped is well over 10 away.
LOSSY_MAE = 8.0
KERNEL = np.array([[1, 2, 0], [-1, 0, 3], [0, 1, -2]], np.float32)
KERNEL_TEXT = "1 2 0; -1 0 3; 0 1 -2"


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_refused(code: int, err: str, *fragments: str) -> None:
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("filterstudio: ") and lines[0].endswith(".")
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def expected_maps(decoded: list[np.ndarray], kernel, display="clip", colormap=None, **options):
    """The 8-bit map of every decoded 8-bit RGB frame, as SPEC.md reads a picture."""
    maps = []
    for rgb in decoded:
        values = apply_filter(rgb.astype(np.float32) / np.float32(255), kernel, **options)
        u8 = to_uint8(values, display, colormap=colormap)
        maps.append(np.repeat(u8[:, :, None], 3, axis=2) if u8.ndim == 2 else u8)
    return maps


def files(folder) -> list[str]:
    return sorted(os.listdir(folder))


@pytest.fixture
def clip(tmp_path) -> str:
    return make_clip(tmp_path / "clip.mp4", count=36, width=64, height=48, fps=24)


@pytest.mark.parametrize("ext", [".mp4", ".avi"])
def test_a_36_frame_clip_matches_convolve_on_each_decoded_frame_within_codec_loss(
    capsys, tmp_path, ext
):
    source = make_clip(tmp_path / f"clip{ext}", count=36, fps=24)
    out = tmp_path / f"maps{ext}"
    code, stdout, err = run(capsys, "apply", source, out, "--kernel", KERNEL_TEXT,
                            "--display", "abs")
    assert (code, err) == (0, "")
    assert stdout == f"wrote {out} (36 frames of 62 x 46, 24 frames/s)\n"
    expected = expected_maps(decode_rgb(source), KERNEL, "abs")
    got = decode_rgb(out)
    assert len(got) == 36 and stated_fps(out) == pytest.approx(24, abs=1e-3)
    for frame, want in zip(got, expected):
        assert frame.shape == want.shape == (46, 62, 3)
        assert np.abs(frame.astype(int) - want).mean() < LOSSY_MAE


@pytest.mark.parametrize(
    ("options", "conv", "display", "colormap"),
    [
        ([], {}, "clip", None),
        (["--display", "offset", "--gray"], {"channel_mode": "gray"}, "offset", None),
        (["--display", "minmax", "--colormap", "viridis", "--gray"],
         {"channel_mode": "gray"}, "minmax", "viridis"),
        (["--depth", "--display", "diverging"], {"channel_mode": "depth"}, "diverging", None),
        (["--padding", "same", "--border", "reflect", "--bias", "0.25", "--activation", "relu",
          "--flip"],
         {"padding": "same", "border": "reflect", "bias": 0.25, "activation": "relu",
          "flip": True}, "clip", None),
    ],
)
def test_a_lossless_output_holds_exactly_the_8_bit_maps(
    capsys, tmp_path, options, conv, display, colormap
):
    frames = clip_frames(12, 40, 30)
    source = write_clip(tmp_path / "clip.mkv", frames, fps=30)
    out = tmp_path / "maps.mkv"
    code, _, err = run(capsys, "apply", source, out, "--kernel", KERNEL_TEXT, *options)
    assert (code, err) == (0, "")
    expected = expected_maps(frames, KERNEL, display, colormap, **conv)
    got = decode_rgb(out)
    assert len(got) == 12 and stated_fps(out) == pytest.approx(30, abs=1e-3)
    for frame, want in zip(got, expected):
        np.testing.assert_array_equal(frame, want)


def test_stride_shrinks_the_frames_and_odd_sizes_repeat_their_last_row_and_column(
    capsys, tmp_path
):
    frames = clip_frames(6, 64, 48)
    source = write_clip(tmp_path / "clip.mkv", frames)
    out = tmp_path / "small.mkv"
    code, stdout, err = run(capsys, "apply", source, out, "-k", "sobel_y", "--stride", "3,2")
    assert (code, err) == (0, "")
    oh, ow = output_shape((48, 64), (3, 3), stride=(3, 2))
    assert (oh, ow) == (16, 31)
    assert "6 frames of 31 x 16, stored as 32 x 16," in stdout
    expected = expected_maps(frames, get_preset("sobel_y").kernel, stride=(3, 2))
    for frame, want in zip(decode_rgb(out), expected):
        assert frame.shape == (16, 32, 3)
        np.testing.assert_array_equal(frame[:, :31], want)
        np.testing.assert_array_equal(frame[:, 31], want[:, 30])


def test_a_bank_writes_one_video_per_enabled_filter(capsys, tmp_path):
    frames = clip_frames(8, 32, 24)
    source = write_clip(tmp_path / "clip.mkv", frames, fps=12)
    bank = {
        "format": "filterstudio-bank", "version": 1,
        "layer": {"stride": [1, 1], "padding": "same", "border": "edge", "cval": 0.0,
                  "dilation": [1, 1], "channel_mode": "gray"},
        "filters": [
            {"name": "edges / x", "kernel": get_preset("sobel_x").kernel.tolist(),
             "bias": 0.0, "activation": "abs", "enabled": True},
            {"name": "Edges / X", "kernel": get_preset("sobel_y").kernel.tolist(),
             "bias": 0.5, "activation": "none", "enabled": True},
            {"name": "off", "kernel": [[1.0]], "bias": 0.0, "activation": "none",
             "enabled": False},
        ],
    }
    bank_path = tmp_path / "bank.json"
    bank_path.write_text(json.dumps(bank))
    folder = tmp_path / "maps"
    code, stdout, err = run(capsys, "apply", source, folder, "--bank", bank_path,
                            "--format", "mkv", "--display", "offset")
    assert (code, err) == (0, "")
    names = [f"{n}.mkv" for n in unique_names(["edges / x", "Edges / X"])]
    assert files(folder) == sorted(names)
    assert stdout.count("wrote ") == 2 and "(edges / x: 8 frames of 32 x 24, 12 frames/s)" in stdout
    options = {"padding": "same", "border": "edge", "channel_mode": "gray"}
    for name, preset, extra in [(names[0], "sobel_x", {"activation": "abs"}),
                                (names[1], "sobel_y", {"bias": 0.5})]:
        expected = expected_maps(frames, get_preset(preset).kernel, "offset", **options, **extra)
        got = decode_rgb(folder / name)
        assert len(got) == 8
        for frame, want in zip(got, expected):
            np.testing.assert_array_equal(frame, want)


def test_a_bank_of_a_video_is_written_as_mp4_by_default(capsys, clip, tmp_path):
    bank_path = tmp_path / "bank.json"
    bank_path.write_text(json.dumps({
        "format": "filterstudio-bank", "version": 1,
        "filters": [{"name": "blur", "kernel": get_preset("blur").kernel.tolist()}],
    }))
    code, _, err = run(capsys, "apply", clip, tmp_path / "out", "--bank", bank_path)
    assert (code, err) == (0, "")
    assert files(tmp_path / "out") == ["blur.mp4"]
    code, _, err = run(capsys, "apply", clip, tmp_path / "out2", "--bank", bank_path,
                       "--format", "png")
    assert_refused(code, err, "--format is one of mp4, m4v, mov, avi, mkv")
    assert not (tmp_path / "out2").exists()


def cut(path, keep: float) -> Path:
    data = Path(path).read_bytes()
    target = Path(path).with_name("cut" + Path(path).suffix)
    target.write_bytes(data[: int(len(data) * keep)])
    return target


def broken_inputs(tmp_path) -> dict[str, tuple[Path, str]]:
    png = tmp_path / "picture.mp4"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    noise = tmp_path / "noise.avi"
    noise.write_bytes(np.random.default_rng(1).bytes(5000))
    playlist = tmp_path / "list.mkv"
    playlist.write_text("#EXTM3U\n#EXTINF:10,\nhttp://127.0.0.1:9/a.ts\n")
    empty = tmp_path / "empty.mov"
    empty.write_bytes(b"")
    return {
        "mp4 cut before its index": (
            cut(make_clip(tmp_path / "a.mp4", count=12), 0.5), "cannot be opened as a video"),
        "avi cut in half": (
            cut(make_clip(tmp_path / "b.avi", count=12), 0.5), "only "),
        "picture renamed": (png, "is a PNG picture file, not a video"),
        "random bytes": (noise, "is not a video Filter Studio can read"),
        "playlist": (playlist, "is a playlist"),
        "empty": (empty, "is empty"),
    }


BROKEN = ["mp4 cut before its index", "avi cut in half", "picture renamed", "random bytes",
          "playlist", "empty"]


@pytest.mark.parametrize("case", BROKEN)
def test_a_broken_video_is_one_sentence_and_leaves_nothing_behind(capfd, tmp_path, case):
    path, said = broken_inputs(tmp_path)[case]
    out = tmp_path / "out" / "maps.mp4"
    out.parent.mkdir()
    code = main(["apply", str(path), str(out), "--kernel", "blur"])
    captured = capfd.readouterr()  # the file descriptors: FFmpeg's own lines would show here
    assert_refused(code, captured.err, said)
    assert captured.out == ""
    assert files(out.parent) == []


@pytest.mark.parametrize("case", ["avi cut in half", "random bytes"])
def test_an_existing_output_is_untouched_by_a_failed_run(capsys, tmp_path, case):
    path, _ = broken_inputs(tmp_path)[case]
    out = tmp_path / "out" / "maps.avi"
    out.parent.mkdir()
    out.write_bytes(b"the old video")
    code, _, err = run(capsys, "apply", path, out, "--kernel", "blur", "--force")
    assert code == 2
    assert out.read_bytes() == b"the old video" and files(out.parent) == ["maps.avi"]


def test_an_existing_output_needs_force(capsys, clip, tmp_path):
    out = tmp_path / "maps.mp4"
    out.write_bytes(b"the old video")
    code, _, err = run(capsys, "apply", clip, out, "--kernel", "blur")
    assert_refused(code, err, "exists; use --force to overwrite it")
    assert out.read_bytes() == b"the old video"
    code, _, err = run(capsys, "apply", clip, out, "--kernel", "blur", "--force")
    assert (code, err) == (0, "") and len(decode_rgb(out)) == 36


def test_a_bank_that_fails_midway_leaves_no_folder(capsys, tmp_path):
    source = cut(make_clip(tmp_path / "b.avi", count=12), 0.5)
    bank_path = tmp_path / "bank.json"
    bank_path.write_text(json.dumps({
        "format": "filterstudio-bank", "version": 1,
        "filters": [{"name": n, "kernel": get_preset(n).kernel.tolist()}
                    for n in ("blur", "sobel_x")],
    }))
    code, _, err = run(capsys, "apply", source, tmp_path / "maps", "--bank", bank_path)
    assert_refused(code, err, "damaged or cut short", "nothing was written")
    assert not (tmp_path / "maps").exists()


@pytest.mark.parametrize(
    ("output", "said"),
    [("maps.png", "'.png' is not a video format"), ("maps.webm", "'.webm' is not a video format")],
)
def test_outputs_must_be_videos_it_writes(capsys, clip, tmp_path, output, said):
    code, _, err = run(capsys, "apply", clip, tmp_path / output, "--kernel", "blur")
    assert_refused(code, err, said, ".mp4, .m4v, .mov, .avi, .mkv")


def test_a_map_that_overflows_is_refused_with_nothing_written(capsys, clip, tmp_path):
    out = tmp_path / "maps.mp4"
    code, _, err = run(capsys, "apply", clip, out, "--kernel", "1 1 1; 1 1 1; 1 1 1",
                       "--padding", "1", "--cval", "3e38", "--bias", "1e38")
    assert_refused(code, err, "map of frame 1 overflows 32-bit floats")
    assert files(tmp_path) == ["clip.mp4"]


def test_a_kernel_larger_than_the_frames_is_one_sentence(capsys, tmp_path):
    source = make_clip(tmp_path / "tiny.avi", count=3, width=8, height=6)
    code, _, err = run(capsys, "apply", source, tmp_path / "out.avi", "--kernel",
                       "; ".join(["1 1 1 1 1 1 1 1 1"] * 9))
    assert_refused(code, err)
    assert files(tmp_path) == ["tiny.avi"]


def test_a_video_is_known_by_its_content_whatever_its_name(capsys, tmp_path):
    source = make_clip(tmp_path / "clip.avi", count=4)
    renamed = tmp_path / "clip.png"
    os.rename(source, renamed)
    code, stdout, err = run(capsys, "apply", renamed, tmp_path / "out.avi", "-k", "blur")
    assert (code, err) == (0, "") and "4 frames" in stdout


def run_filterstudio(*argv, **kwargs) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}
    return subprocess.Popen([sys.executable, "-m", "filterstudio", *map(str, argv)], env=env,
                            **kwargs)


def test_progress_is_shown_on_a_terminal_and_cleared(tmp_path):
    source = make_clip(tmp_path / "clip.mp4", count=12)
    controller, terminal = pty.openpty()
    proc = run_filterstudio("apply", source, tmp_path / "out.mp4", "-k", "blur",
                            stdout=subprocess.PIPE, stderr=terminal)
    os.close(terminal)
    stdout, _ = proc.communicate(timeout=120)
    shown = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the terminal is closed once the program has ended
            break
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    assert proc.returncode == 0 and b"wrote" in stdout
    text = shown.decode()
    assert "filtering 'clip.mp4'" in text and "/12 " in text and " frames" in text
    assert re.search(r"\r +\r+$", text)  # the bar is wiped off its line before the summary


def test_no_progress_when_stderr_is_not_a_terminal(capfd, clip, tmp_path):
    assert main(["apply", clip, str(tmp_path / "out.mp4"), "-k", "blur"]) == 0
    assert capfd.readouterr().err == ""


def test_a_stopped_run_leaves_no_file(tmp_path):
    # Long enough that the signal arrives while frames are being written.
    source = make_clip(tmp_path / "long.avi", count=600, width=320, height=240, distinct=4)
    out = tmp_path / "out" / "maps.avi"
    out.parent.mkdir()
    proc = run_filterstudio("apply", source, out, "-k", "sobel_x", "--display", "abs",
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not os.listdir(out.parent) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)  # until the hidden temporary video exists
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, stderr
    assert stderr.decode().strip() == "filterstudio: stopped by signal 15; nothing was written."
    assert files(out.parent) == []


def test_frames_claiming_a_huge_size_are_refused_in_bounded_memory(tmp_path):
    import resource

    data = bytearray(Path(make_clip(tmp_path / "clip.avi", count=4)).read_bytes())
    at = 0
    while (at := data.find(b"\xff\xc0", at)) >= 0:  # every JPEG frame says 60000 x 60000
        data[at + 5 : at + 9] = (60000).to_bytes(2, "big") * 2
        at += 2
    bomb = tmp_path / "bomb.avi"
    bomb.write_bytes(bytes(data))
    ceiling = 1536 * 2**20

    def limit() -> None:  # pragma: no cover - runs in the child
        resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))

    proc = run_filterstudio("apply", bomb, tmp_path / "out.avi", "-k", "blur",
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=limit)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 2
    lines = stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "'bomb.avi'" in lines[0], lines
    assert not (tmp_path / "out.avi").exists()
