"""The filterstudio command: every option against apply_filter, every mistake one line and exit 2."""

from __future__ import annotations

import gc
import io
import json
import os
import subprocess
import sys
import types

import numpy as np
import pytest
from PIL import Image

import filterstudio
from filterstudio.cli import main
from filterstudio.core.display import to_uint8
from filterstudio.core.filenames import unique_names
from filterstudio.core.imageio import load_image
from filterstudio.core.kernels import PRESETS, format_kernel
from filterstudio.core.parse import parse_kernel
from filterstudio.core.pipeline import apply_filter

# Asymmetric, so that a flipped kernel gives a different map.
KERNEL_TEXT = "1 2 0; -1 0 3; 0 1 -2"
KERNEL = np.array([[1, 2, 0], [-1, 0, 3], [0, 1, -2]], np.float32)


def pil(path) -> Image.Image:
    """A loaded copy of the picture at ``path`` (the file is closed again at once)."""
    with Image.open(path) as im:
        im.load()
        return im.copy()


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_error(code: int, err: str, *fragments: str) -> None:
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("filterstudio: ")
    assert lines[0].endswith(".")
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


# --------------------------------------------------------------------------------------------
# Round trips: the file holds exactly what apply_filter computes


def test_apply_default_is_exact(capsys, photo, tmp_path):
    out = tmp_path / "out.npy"
    code, stdout, err = run(capsys, "apply", photo, str(out), "--kernel", KERNEL_TEXT)
    assert (code, err) == (0, "")
    expected = apply_filter(load_image(photo), KERNEL)
    np.testing.assert_array_equal(np.load(out), expected)
    assert str(out) in stdout and "10 x 8 x 3" in stdout


OPTIONS = [
    (["--stride", "2"], {"stride": 2}),
    (["--stride", "2,1"], {"stride": (2, 1)}),
    (["--padding", "same"], {"padding": "same"}),
    (["--padding", "full"], {"padding": "full"}),
    (["--padding", "2"], {"padding": 2}),
    (["--padding", "1,2"], {"padding": (1, 2)}),
    (["--padding", "same", "--border", "edge"], {"padding": "same", "border": "edge"}),
    (["--padding", "same", "--border", "reflect"], {"padding": "same", "border": "reflect"}),
    (["--padding", "2", "--border", "symmetric"], {"padding": 2, "border": "symmetric"}),
    (["--padding", "full", "--border", "wrap"], {"padding": "full", "border": "wrap"}),
    (["--padding", "1", "--cval", "0.5"], {"padding": 1, "cval": 0.5}),
    (["--dilation", "2"], {"dilation": 2}),
    (["--dilation", "1,2"], {"dilation": (1, 2)}),
    (["--flip"], {"flip": True}),
    (["--gray"], {"channel_mode": "gray"}),
    (["--depth"], {"channel_mode": "depth"}),
    (["--bias", "-0.25"], {"bias": -0.25}),
    (["--activation", "relu"], {"activation": "relu"}),
    (["--bias", "0.1", "--activation", "abs"], {"bias": 0.1, "activation": "abs"}),
    (
        ["--stride", "2", "--padding", "same", "--dilation", "2", "--flip", "--gray"],
        {"stride": 2, "padding": "same", "dilation": 2, "flip": True, "channel_mode": "gray"},
    ),
]


@pytest.mark.parametrize(("flags", "kwargs"), OPTIONS, ids=[" ".join(f) for f, _ in OPTIONS])
def test_every_option_matches_apply_filter(capsys, photo, tmp_path, flags, kwargs):
    out = tmp_path / "out.npy"
    code, _, err = run(capsys, "apply", photo, str(out), "--kernel", KERNEL_TEXT, *flags)
    assert (code, err) == (0, "")
    expected = apply_filter(load_image(photo), KERNEL, **kwargs)
    got = np.load(out)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, expected)


def test_depth_kernel_from_file(capsys, photo, tmp_path):
    kernel = np.random.default_rng(3).normal(size=(3, 3, 3)).astype(np.float32)
    np.save(tmp_path / "k.npy", kernel)
    out = tmp_path / "d.npy"
    code, _, err = run(capsys, "apply", photo, str(out), "-k", str(tmp_path / "k.npy"), "--depth")
    assert (code, err) == (0, "")
    expected = apply_filter(load_image(photo), kernel, channel_mode="depth")
    assert expected.ndim == 2
    np.testing.assert_array_equal(np.load(out), expected)


def test_preset_name(capsys, photo, tmp_path):
    out = tmp_path / "sx.npy"
    assert run(capsys, "apply", photo, str(out), "-k", "sobel_x")[0] == 0
    expected = apply_filter(load_image(photo), parse_kernel("sobel_x"))
    np.testing.assert_array_equal(np.load(out), expected)


def test_tiff_without_display_is_exact_float(capsys, photo, tmp_path):
    out = tmp_path / "out.tif"
    assert run(capsys, "apply", photo, str(out), "-k", KERNEL_TEXT, "--gray")[0] == 0
    expected = apply_filter(load_image(photo), KERNEL, channel_mode="gray")
    assert expected.min() < 0 or expected.max() > 1  # a picture would have had to clip these
    np.testing.assert_array_equal(load_image(out), expected)


def test_colour_tiff_without_display_is_exact_float(capsys, photo, tmp_path):
    out = tmp_path / "out.tiff"
    assert run(capsys, "apply", photo, str(out), "-k", KERNEL_TEXT)[0] == 0
    np.testing.assert_array_equal(load_image(out), apply_filter(load_image(photo), KERNEL))


@pytest.mark.parametrize("display", [None, "clip", "minmax", "abs", "offset", "diverging"])
def test_png_through_display(capsys, photo, tmp_path, display):
    out = tmp_path / "out.png"
    flags = [] if display is None else ["--display", display]
    assert run(capsys, "apply", photo, str(out), "-k", KERNEL_TEXT, "--gray", *flags)[0] == 0
    result = apply_filter(load_image(photo), KERNEL, channel_mode="gray")
    expected = to_uint8(result, display or "clip")
    np.testing.assert_array_equal(np.asarray(pil(out)), expected)


def test_tiff_with_display_is_8bit(capsys, photo, tmp_path):
    out = tmp_path / "out.tif"
    assert run(capsys, "apply", photo, str(out), "-k", "sobel_x", "--display", "minmax")[0] == 0
    result = apply_filter(load_image(photo), parse_kernel("sobel_x"))
    np.testing.assert_array_equal(np.asarray(pil(out)), to_uint8(result, "minmax"))


def test_colormap(capsys, photo, tmp_path):
    from filterstudio.core.display import COLORMAPS

    name = COLORMAPS[0]
    out = tmp_path / "cm.png"
    code, _, err = run(
        capsys,
        "apply",
        photo,
        str(out),
        "-k",
        "sobel_x",
        "--gray",
        "--display",
        "minmax",
        "--colormap",
        name,
    )
    assert (code, err) == (0, "")
    result = apply_filter(load_image(photo), parse_kernel("sobel_x"), channel_mode="gray")
    expected = to_uint8(result, "minmax", colormap=name)
    np.testing.assert_array_equal(np.asarray(pil(out)), expected)


def test_force_overwrites(capsys, photo, tmp_path):
    out = tmp_path / "out.npy"
    out.write_bytes(b"old")
    code, _, err = run(capsys, "apply", photo, str(out), "-k", "sobel_x")
    assert_error(code, err, "exists; use --force to overwrite it.")
    assert out.read_bytes() == b"old"
    assert run(capsys, "apply", photo, str(out), "-k", "sobel_x", "--force")[0] == 0
    assert np.load(out).dtype == np.float32


# --------------------------------------------------------------------------------------------
# Mistakes: one line, exit 2, no output file


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["-k", "1 2; 3"], "row"),
        (["-k", "no_such_preset_anywhere"], ""),
        (["-k", KERNEL_TEXT, "--stride", "0"], "stride must be at least 1"),
        (["-k", KERNEL_TEXT, "--stride", "two"], "stride must be a whole number"),
        (["-k", KERNEL_TEXT, "--dilation", "0,1"], "dilation must be at least 1"),
        (["-k", KERNEL_TEXT, "--padding", "middle"], "Unknown padding 'middle'"),
        (["-k", KERNEL_TEXT, "--padding", "-1"], "Unknown padding"),
        (["-k", KERNEL_TEXT, "--bias", "nan"], "bias must be a finite number"),
        (["-k", KERNEL_TEXT, "--cval", "inf", "--padding", "1"], "finite"),
        (["-k", " ".join(["1"] * 13)], ""),
    ],
    ids=[
        "kernel-text",
        "kernel-name",
        "stride-0",
        "stride-word",
        "dilation-0",
        "padding-word",
        "padding-negative",
        "bias-nan",
        "cval-inf",
        "kernel-too-large",
    ],
)
def test_bad_options(capsys, photo, tmp_path, argv, fragment):
    out = tmp_path / "out.npy"
    code, stdout, err = run(capsys, "apply", photo, str(out), *argv)
    assert_error(code, err, fragment)
    assert stdout == ""
    assert not out.exists()


def test_kernel_larger_than_image(capsys, tmp_path):
    tiny = tmp_path / "tiny.png"
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(tiny)
    out = tmp_path / "o.png"
    code, _, err = run(capsys, "apply", str(tiny), str(out), "-k", "1 1 1 1 1; " * 4 + "1 1 1 1 1")
    assert_error(code, err)
    assert not out.exists()


def test_missing_input(capsys, tmp_path):
    out = tmp_path / "o.png"
    code, _, err = run(capsys, "apply", str(tmp_path / "nope.png"), str(out), "-k", "sobel_x")
    assert_error(code, err, "no file", "nope.png")
    assert not out.exists()


def test_corrupt_input(capsys, tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    out = tmp_path / "o.png"
    code, _, err = run(capsys, "apply", str(bad), str(out), "-k", "sobel_x")
    assert_error(code, err, "bad.png")
    assert not out.exists()


def test_unknown_output_extension(capsys, photo, tmp_path):
    out = tmp_path / "o.xyz"
    code, _, err = run(capsys, "apply", photo, str(out), "-k", "sobel_x")
    assert_error(code, err, ".png", ".npy")
    assert not out.exists()


def test_output_is_a_folder(capsys, photo, tmp_path):
    (tmp_path / "o.png").mkdir()
    code, _, err = run(capsys, "apply", photo, str(tmp_path / "o.png"), "-k", "sobel_x")
    assert_error(code, err, "folder")


def test_missing_output_folder(capsys, photo, tmp_path):
    out = tmp_path / "no" / "o.png"
    code, _, err = run(capsys, "apply", photo, str(out), "-k", "sobel_x")
    assert_error(code, err, "does not exist")


@pytest.mark.parametrize(
    "argv",
    [
        ["apply"],
        ["apply", "a.png", "b.png"],  # neither --kernel nor --bank
        ["apply", "a.png", "b.png", "-k", "sobel_x", "--border", "mirror"],
        ["apply", "a.png", "b.png", "-k", "sobel_x", "--gray", "--depth"],
        ["presets", "extra"],
        ["a.png", "b.png"],
    ],
)
def test_usage_errors_exit_2(capsys, argv):
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert "usage:" in err and "Traceback" not in err


def test_unexpected_error_is_one_line(capsys, monkeypatch, photo, tmp_path):
    def explode(*args, **kwargs):
        raise KeyError("lost")

    monkeypatch.setattr("filterstudio.core.pipeline.apply_filter", explode)
    code, _, err = run(capsys, "apply", photo, str(tmp_path / "o.png"), "-k", "sobel_x")
    assert_error(code, err, "KeyError")


def test_out_of_memory_is_one_line(capsys, monkeypatch, photo, tmp_path):
    def explode(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr("filterstudio.core.pipeline.apply_filter", explode)
    code, _, err = run(capsys, "apply", photo, str(tmp_path / "o.png"), "-k", "sobel_x")
    assert_error(code, err, "memory")


# --------------------------------------------------------------------------------------------
# presets, --version, help


def test_presets_lists_every_preset_with_its_grid(capsys):
    code, out, err = run(capsys, "presets")
    assert (code, err) == (0, "")
    for name, preset in PRESETS.items():
        assert name in out
        assert preset.description in out
    sobel = format_kernel(PRESETS["sobel_x"].kernel)
    block = out[out.index("sobel_x") :]
    for line in sobel.splitlines():
        assert "    " + line in block


def test_version(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0
    assert out.strip() == f"filterstudio {filterstudio.__version__}" == "filterstudio 0.1.0"


@pytest.mark.parametrize("argv", [["--help"], ["apply", "--help"], ["presets", "--help"]])
def test_help(capsys, argv):
    code, out, _ = run(capsys, *argv)
    assert code == 0 and "usage:" in out


# --------------------------------------------------------------------------------------------
# --bank


def write_bank(path, filters, layer=None) -> str:
    data = {
        "format": "filterstudio-bank",
        "version": 1,
        "layer": layer
        or {
            "stride": [2, 2],
            "padding": "same",
            "border": "edge",
            "cval": 0.0,
            "dilation": [1, 1],
            "channel_mode": "color",
        },
        "filters": filters,
    }
    path.write_text(json.dumps(data))
    return str(path)


def bank_filter(name, kernel, **extra) -> dict:
    return {
        "name": name,
        "kernel": np.asarray(kernel).tolist(),
        "bias": 0.0,
        "activation": "none",
        "enabled": True,
        **extra,
    }


SOBEL = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]
BOX = [[1, 1, 1], [1, 1, 1], [1, 1, 1]]


@pytest.fixture
def bank(tmp_path) -> str:
    return write_bank(
        tmp_path / "bank.json",
        [
            bank_filter("Sobel x / edges", SOBEL),
            bank_filter("blur 3x3", BOX, bias=0.5, activation="relu"),
            bank_filter("blur 3x3", KERNEL.tolist()),
            bank_filter("off", BOX, enabled=False),
            bank_filter("../../etc/passwd", SOBEL),
        ],
    )


def test_bank_writes_one_file_per_enabled_filter(capsys, photo, bank, tmp_path):
    folder = tmp_path / "maps"
    code, out, err = run(capsys, "apply", photo, str(folder), "--bank", bank, "--format", "npy")
    assert (code, err) == (0, "")
    names = sorted(os.listdir(folder))
    assert names == ["Sobel_x_edges.npy", "blur_3x3.npy", "blur_3x3_2.npy", "etc_passwd.npy"]
    assert out.count("wrote ") == 4
    image = load_image(photo)
    layer = {"stride": (2, 2), "padding": "same", "border": "edge"}
    np.testing.assert_array_equal(
        np.load(folder / "blur_3x3.npy"),
        apply_filter(image, np.array(BOX), bias=0.5, activation="relu", **layer),
    )
    np.testing.assert_array_equal(
        np.load(folder / "blur_3x3_2.npy"), apply_filter(image, KERNEL, **layer)
    )


def test_bank_command_line_overrides_layer(capsys, photo, bank, tmp_path):
    folder = tmp_path / "maps"
    code, _, err = run(
        capsys,
        "apply",
        photo,
        str(folder),
        "--bank",
        bank,
        "--format",
        "npy",
        "--stride",
        "1",
        "--gray",
        "--activation",
        "abs",
    )
    assert (code, err) == (0, "")
    expected = apply_filter(
        load_image(photo),
        np.array(SOBEL),
        activation="abs",
        padding="same",
        border="edge",
        channel_mode="gray",
    )
    np.testing.assert_array_equal(np.load(folder / "Sobel_x_edges.npy"), expected)


def test_bank_png_default(capsys, photo, bank, tmp_path):
    folder = tmp_path / "pngs"
    assert run(capsys, "apply", photo, str(folder), "--bank", bank, "--display", "minmax")[0] == 0
    assert min(os.listdir(folder)) == "Sobel_x_edges.png"
    assert all(n.endswith(".png") for n in os.listdir(folder))


def test_bank_refuses_existing_files_without_force(capsys, photo, bank, tmp_path):
    folder = tmp_path / "maps"
    folder.mkdir()
    (folder / "blur_3x3.png").write_bytes(b"old")
    code, _, err = run(capsys, "apply", photo, str(folder), "--bank", bank)
    assert_error(code, err, "blur_3x3.png", "--force")
    assert os.listdir(folder) == ["blur_3x3.png"]
    assert run(capsys, "apply", photo, str(folder), "--bank", bank, "--force")[0] == 0
    assert len(os.listdir(folder)) == 4


def test_bank_failure_writes_nothing(capsys, tmp_path, bank):
    tiny = tmp_path / "tiny.png"
    Image.fromarray(np.zeros((3, 3), np.uint8)).save(tiny)
    big = write_bank(
        tmp_path / "big.json",
        [bank_filter("ok", BOX), bank_filter("big", np.ones((5, 5)))],
        layer={
            "stride": [1, 1],
            "padding": "valid",
            "border": "constant",
            "cval": 0.0,
            "dilation": [1, 1],
            "channel_mode": "color",
        },
    )
    folder = tmp_path / "maps"
    code, _, err = run(capsys, "apply", str(tiny), str(folder), "--bank", big)
    assert_error(code, err)
    assert not folder.exists()


def test_bank_errors(capsys, photo, tmp_path):
    code, _, err = run(
        capsys, "apply", photo, str(tmp_path / "o"), "--bank", str(tmp_path / "nope.json")
    )
    assert_error(code, err)
    off = write_bank(tmp_path / "off.json", [bank_filter("off", BOX, enabled=False)])
    code, _, err = run(capsys, "apply", photo, str(tmp_path / "o"), "--bank", off)
    assert_error(code, err, "no enabled filter")
    (tmp_path / "file").write_text("x")
    good = write_bank(tmp_path / "good.json", [bank_filter("a", BOX)])
    code, _, err = run(capsys, "apply", photo, str(tmp_path / "file"), "--bank", good)
    assert_error(code, err, "is a file")


def test_kernel_and_bank_together_is_a_usage_error(capsys, photo, bank, tmp_path):
    code, _, err = run(capsys, "apply", photo, str(tmp_path / "o"), "--bank", bank, "-k", "sobel_x")
    assert code == 2 and "not allowed with" in err


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("sobel_x", "sobel_x"),
        ("Sobel x / edges", "Sobel_x_edges"),
        ("../../secret", "secret"),
        ("...", "filter"),
        ("", "filter"),
        ("CON", "CON_"),
        ("a" * 300, "a" * 100),
    ],
)
def test_bank_outputs_are_named_safely(name, expected):
    assert unique_names([name]) == [expected]


def test_bank_output_names_are_distinct_without_case():
    assert unique_names(["Blur", "blur", "BLUR", "blur_2"]) == ["Blur", "blur_3", "BLUR_4", "blur_2"]


# --------------------------------------------------------------------------------------------
# The window


@pytest.fixture
def fake_gui(monkeypatch):
    calls: list = []
    module = types.ModuleType("filterstudio.gui.app")

    def run_gui(path=None):
        calls.append(path)
        return 0

    module.run_gui = run_gui
    monkeypatch.setitem(sys.modules, "filterstudio.gui.app", module)
    return calls


def test_no_arguments_opens_the_window(capsys, fake_gui):
    assert run(capsys)[0] == 0
    assert fake_gui == [None]


def test_image_argument_opens_it(capsys, fake_gui, photo):
    assert run(capsys, photo)[0] == 0
    assert fake_gui == [photo]


def test_session_argument_opens_it(capsys, fake_gui, tmp_path):
    session = tmp_path / "lesson.fstudio"
    session.write_text("{}")
    assert run(capsys, str(session))[0] == 0
    assert fake_gui == [str(session)]


def test_missing_image_fails_before_the_window(capsys, fake_gui, tmp_path):
    code, _, err = run(capsys, str(tmp_path / "nope.png"))
    assert_error(code, err, "no file")
    assert fake_gui == []


def test_mistyped_command_is_explained(capsys, fake_gui):
    code, _, err = run(capsys, "aply")
    assert_error(code, err, "not a command", "apply")


def test_window_without_qt_is_one_sentence(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "filterstudio.gui.app", None)  # import fails
    code, _, err = run(capsys)
    assert_error(code, err, "window cannot start")


def test_gui_exit_code_is_passed_on(monkeypatch, capsys):
    module = types.ModuleType("filterstudio.gui.app")
    module.run_gui = lambda path=None: 3
    monkeypatch.setitem(sys.modules, "filterstudio.gui.app", module)
    assert run(capsys)[0] == 3


# --------------------------------------------------------------------------------------------
# A real process: exit codes, no traceback, no Qt


def run_process(*args: str, cwd=None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, cwd=cwd, env=env, check=False
    )


def test_process_apply_and_no_qt(photo, tmp_path):
    out = tmp_path / "o.png"
    script = (
        "import sys\n"
        "from filterstudio.cli import main\n"
        f"code = main(['apply', {photo!r}, {str(out)!r}, '-k', 'sobel_x', '--display', 'abs'])\n"
        "main(['presets'])\n"
        "print('QT' if any(m.startswith('PySide6') for m in sys.modules) else 'NO-QT', code)\n"
    )
    proc = run_process("-c", script)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith("NO-QT 0")
    assert out.exists()


def test_process_module_run_writes_the_map(photo, tmp_path):
    out = tmp_path / "o.npy"
    proc = run_process("-m", "filterstudio", "apply", photo, str(out), "-k", "sobel_x")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"wrote {out} (")
    expected = apply_filter(load_image(photo), parse_kernel("sobel_x"))
    np.testing.assert_array_equal(np.load(out), expected)


def test_only_the_program_run_freezes_the_collector(capsys, photo, tmp_path):
    # Called with arguments, as a library: the calling program's collector is left alone.
    before = gc.get_freeze_count()
    assert run(capsys, "apply", photo, str(tmp_path / "a.png"), "-k", "sobel_x")[0] == 0
    assert gc.get_freeze_count() == before
    # Run as the program (no arguments given): apply ends by freezing it, to exit sooner.
    argv = ["filterstudio", "apply", photo, str(tmp_path / "b.png"), "-k", "sobel_x"]
    script = (
        "import gc, sys\n"
        "from filterstudio.cli import main\n"
        f"sys.argv = {argv!r}\n"
        "code = main()\n"
        "print(code, gc.get_freeze_count() > 0)\n"
    )
    proc = run_process("-c", script)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[-2:] == ["0", "True"]
    assert (tmp_path / "b.png").exists()


def test_process_error_is_one_line_exit_2(tmp_path):
    proc = run_process(
        "-m",
        "filterstudio",
        "apply",
        str(tmp_path / "missing.png"),
        str(tmp_path / "o.png"),
        "-k",
        "sobel_x",
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert_error(proc.returncode, proc.stderr, "no file")
    assert not (tmp_path / "o.png").exists()


def test_process_bad_kernel(tmp_path, photo):
    proc = run_process("-m", "filterstudio", "apply", photo, str(tmp_path / "o.png"), "-k", "1 x 2")
    assert_error(proc.returncode, proc.stderr)


def test_process_version():
    proc = run_process("-m", "filterstudio", "--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == "filterstudio 0.1.0"


def test_closed_pipe_is_quiet(capsys, monkeypatch):
    class ReaderGone(io.TextIOBase):
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", ReaderGone())
    assert run(capsys, "presets") == (0, "", "")
