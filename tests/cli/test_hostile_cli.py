"""The command line against hostile files and values: one line on stderr, exit 2, nothing left.

Each run is a real process under a memory ceiling (RLIMIT_AS), so bounded memory is shown,
not assumed, and a time limit, so a hang fails instead of waiting.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image

from filterstudio import cli
from filterstudio.core import limits
from filterstudio.core.convolution import convolve, output_shape
from filterstudio.core.pipeline import apply_filter
from filterstudio.model import bank_io

sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
import hostile_files as H  # noqa: E402

MEMORY_CEILING = 1536 * 2**20

# A refusal comes from headers, in milliseconds; this bound only catches a hang or a thrash
# (the files would otherwise decode for minutes), with room for a loaded machine.
HANG_SECONDS = 10


def _limit_memory() -> None:  # pragma: no cover - runs in the child
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CEILING, MEMORY_CEILING))


def run_cli(*args: str, stdout=subprocess.PIPE, timeout: float = 30.0, env=None):
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}
    environment.update(env or {})
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "filterstudio", *args],
        stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=timeout, env=environment,
        preexec_fn=_limit_memory if sys.platform.startswith("linux") else None, check=False,
    )
    proc.seconds = time.perf_counter() - started
    return proc


class _Ran:
    def __init__(self, returncode: int, stderr: str, seconds: float) -> None:
        self.returncode, self.stderr, self.seconds = returncode, stderr, seconds


def run_in_process(capsys, *args: str) -> _Ran:
    """``filterstudio`` run in this process (fast): what it returns and prints on stderr."""
    capsys.readouterr()
    started = time.perf_counter()
    code = cli.main(list(args))
    return _Ran(code, capsys.readouterr().err, time.perf_counter() - started)


def assert_refused(proc, *fragments: str) -> None:
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, proc.stderr
    assert len(lines) == 1, proc.stderr  # exactly our line: no library's, no warning
    assert lines[0].startswith("filterstudio: ") and lines[0].endswith("."), lines
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert proc.seconds < 15


@pytest.fixture
def picture(tmp_path) -> str:
    path = tmp_path / "in.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (24, 30, 3), np.uint8)).save(path)
    return str(path)


def test_an_ordinary_run_fits_under_the_memory_ceiling(picture, tmp_path):
    # The control: the ceiling leaves room for honest work.
    proc = run_cli("apply", picture, str(tmp_path / "o.png"), "-k", "sobel_x")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""


# Each class once through the real program (tests/core meets every format and size in-process).
HOSTILE_PICTURES = {
    "eps.png": H.postscript_loop,
    "twice-float.tif": lambda: H.tiff_with_duplicated_size(12_000, 10, samples=3, bits=32),
    "screen.gif": lambda: H.gif_claiming(65_535, 65_535),
    "huge.tif": lambda: H.tiff_claiming(60_000, 60_000, samples=3, bits=32),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_PICTURES))
def test_hostile_pictures_are_one_line_fast_in_bounded_memory(tmp_path, name):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    mark = tmp_path / "ran"
    for program in ("gs", "convert", "magick"):
        (bin_dir / program).write_text(f"#!/bin/sh\ntouch {mark}\nsleep 30\n")
        (bin_dir / program).chmod(0o755)
    path = tmp_path / name
    path.write_bytes(HOSTILE_PICTURES[name]())
    out = tmp_path / "out.png"
    proc = run_cli("apply", str(path), str(out), "-k", "sobel_x",
                   env={"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"})
    assert_refused(proc, repr(name))
    assert not out.exists() and not mark.exists()
    assert sorted(os.listdir(tmp_path)) == ["bin", name]


def _damaged_jpeg_tiff() -> bytes:
    buf = io.BytesIO()
    noise = np.random.default_rng(0).integers(0, 256, (64, 64, 3), np.uint8)
    Image.fromarray(noise).save(buf, format="TIFF", compression="jpeg")
    return buf.getvalue()[:-100]


def _damaged_16_bit_png() -> bytes:
    import cv2

    ok, buf = cv2.imencode(".png", np.random.default_rng(0).integers(0, 65535, (32, 32, 3),
                                                                     dtype=np.uint16))
    return buf.tobytes()[: len(buf) // 2]


def _damaged_jpeg() -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 64, 3), np.uint8)).save(
        buf, format="JPEG")
    data = bytearray(buf.getvalue())
    data[len(data) // 2 : len(data) // 2 + 40] = b"\xff" * 40
    return bytes(data)


@pytest.mark.parametrize(
    ("name", "make"),
    [("jpeg-in-tiff.tif", _damaged_jpeg_tiff), ("deep.png", _damaged_16_bit_png),
     ("noisy.jpg", _damaged_jpeg)],
)
def test_decoders_own_messages_do_not_appear_beside_ours(tmp_path, name, make):
    path = tmp_path / name
    path.write_bytes(make())
    proc = run_cli("apply", str(path), str(tmp_path / "o.npy"), "-k", "sobel_x")
    if proc.returncode == 0:  # a decoder that recovers quietly is fine too
        assert proc.stderr == ""
    else:
        assert_refused(proc, repr(name))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
@pytest.mark.parametrize(("option", "name"),
                         [("--kernel", "k.txt"), ("--kernel", "k.npy"), ("--bank", "b.json")])
def test_a_fifo_as_kernel_or_bank_is_refused_without_hanging(picture, tmp_path, option, name):
    fifo = tmp_path / name
    os.mkfifo(fifo)
    proc = run_cli("apply", picture, str(tmp_path / "o"), option, str(fifo), timeout=20)
    assert_refused(proc, "named pipe")


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
@pytest.mark.parametrize("name", ["k.txt", "k.json", "bank.json", "zero.png"])
def test_a_link_to_dev_zero_is_refused_without_reading_it(picture, tmp_path, name, capsys):
    link = tmp_path / name
    link.symlink_to("/dev/zero")
    if name == "zero.png":
        args = ("apply", str(link), str(tmp_path / "o.png"), "-k", "sobel_x")
    elif name == "bank.json":
        args = ("apply", picture, str(tmp_path / "o"), "--bank", str(link))
    else:
        args = ("apply", picture, str(tmp_path / "o.png"), "-k", str(link))
    assert_refused(run_in_process(capsys, *args), "is a device")


@pytest.mark.parametrize(
    ("option", "value", "said"),
    [
        ("--padding", "12000", "at most 1000"),
        ("--padding", "5,1001", "at most 1000"),
        ("--padding", "9" * 40, "padding"),
        ("--dilation", "1000", "at most 100"),
        ("--dilation", "1,101", "at most 100"),
        ("--stride", "100000", "at most 100"),
        ("--bias", "1e308", "32-bit float"),
        ("--bias", "-3.5e38", "32-bit float"),
        ("--cval", "1e308", "32-bit float"),
        ("--cval", "nan", "32-bit float"),
        ("--bias", "inf", "32-bit float"),
    ],
)
def test_values_beyond_the_limits_are_refused(picture, tmp_path, option, value, said, capsys):
    out = tmp_path / "o.npy"
    proc = run_in_process(capsys, "apply", picture, str(out), "-k", "sobel_x",
                          f"{option}={value}")
    assert_refused(proc, said)
    assert not out.exists()


@pytest.mark.parametrize(
    "extra",
    [("--bias=-3e38", "--kernel=-3e38"), ("--cval=3e38", "--padding=2", "-k", "1 1; 1 1"),
     ("-k", "3e38 3e38; 3e38 3e38")],
)
def test_a_map_that_overflows_32_bit_floats_is_refused(picture, tmp_path, extra, capsys):
    # In-process, where pytest turns any RuntimeWarning into an error: none is raised.
    out = tmp_path / "o.npy"
    proc = run_in_process(capsys, "apply", picture, str(out), *extra)
    assert_refused(proc, "overflows 32-bit floats")
    assert "RuntimeWarning" not in proc.stderr and not out.exists()
    folder = tmp_path / "maps"
    bank = tmp_path / "b.json"
    bank.write_text('{"format": "filterstudio-bank", "version": 1, "filters": '
                    '[{"name": "big", "kernel": [[3e38, 3e38], [3e38, 3e38]]}]}')
    proc = run_in_process(capsys, "apply", picture, str(folder), "--bank", str(bank))
    assert_refused(proc, "overflows 32-bit floats")
    assert not folder.exists()


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("bank", [False, True])
def test_a_full_stdout_leaves_no_output_file(picture, tmp_path, bank):
    with open("/dev/full", "w") as full:
        if bank:
            path = tmp_path / "b.json"
            path.write_text('{"format": "filterstudio-bank", "version": 1, "filters": '
                            '[{"name": "a", "kernel": [[1]]}, {"name": "b", "kernel": [[2]]}]}')
            out = tmp_path / "maps"
            proc = run_cli("apply", picture, str(out), "--bank", str(path), stdout=full)
        else:
            out = tmp_path / "o.png"
            proc = run_cli("apply", picture, str(out), "-k", "sobel_x", stdout=full)
    assert_refused(proc, "standard output")
    assert not out.exists()
    assert sorted(os.listdir(tmp_path)) == sorted(["in.png"] + (["b.json"] if bank else []))


def test_the_command_line_keeps_the_limits_of_bank_files_and_the_engine():
    assert cli.MAX_PADDING == bank_io.MAX_PADDING == limits.MAX_PADDING
    assert cli.MAX_DILATION == bank_io.MAX_DILATION == limits.MAX_DILATION
    assert cli.MAX_STRIDE == bank_io.MAX_STRIDE == limits.MAX_STRIDE
    assert cli.FLOAT32_LIMIT == limits.FLOAT32_LIMIT


def test_the_engine_refuses_what_it_cannot_do_quickly():
    image = np.zeros((3000, 3000, 3), np.float32)
    started = time.perf_counter()
    for kwargs, said in (
        ({"padding": 12_000}, "at most 1000"),
        ({"padding": (0, 1001)}, "at most 1000"),
        ({"dilation": 101}, "at most 100"),
        ({"cval": 1e308}, "32-bit float"),
    ):
        with pytest.raises(ValueError, match=said):
            convolve(image, np.ones((3, 3)), **kwargs)
        with pytest.raises(ValueError, match=said):
            apply_filter(image, np.ones((3, 3)), **kwargs)
    with pytest.raises(ValueError, match="32-bit float"):
        apply_filter(image, np.ones((3, 3)), bias=1e308)
    with pytest.raises(ValueError, match="more than the 2 GB one call may use"):
        convolve(np.broadcast_to(np.float32(0), (20_000, 20_000)), np.ones((3, 3)),
                 padding=1000, border="reflect")
    assert time.perf_counter() - started < HANG_SECONDS
    # 'same' and 'full' follow from the kernel and dilation: they are not held to the number.
    assert output_shape((8, 8), (15, 15), padding="full", dilation=100) == (1408, 1408)
    assert convolve(np.ones((8, 8)), np.ones((3, 3)), padding="full", dilation=100,
                    border="edge").shape == (208, 208)
