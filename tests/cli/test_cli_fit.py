"""filterstudio fit: its text read back by apply, its bank file, its grey/colour rules, its errors."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from filterstudio.cli import main
from filterstudio.core.convolution import convolve
from filterstudio.core.imageio import load_image, save_image
from filterstudio.core.kernels import SHARPEN
from filterstudio.core.parse import parse_kernel
from filterstudio.core.pipeline import apply_filter, to_luma
from filterstudio.core.samples import sample_photo
from filterstudio.model.bank_io import load_bank

# Asymmetric and with negative weights, so that a flipped or clipped answer shows.
HIDDEN = np.array([[1, 2, 0], [-1, 0, 3], [0, 1, -2]], np.float32) / 4


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_error(code: int, err: str, *fragments: str) -> None:
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("filterstudio: "), err
    assert lines[0].endswith(".") and "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def bias_of(text: str) -> float:
    (line,) = [x for x in text.splitlines() if x.startswith("# bias: ")]
    return float(line.split()[2])


@pytest.fixture
def before(tmp_path) -> str:
    path = tmp_path / "before.png"
    Image.fromarray(np.round(sample_photo(60, 80) * 255).astype(np.uint8)).save(path)
    return str(path)


def exact_after(tmp_path, before, kernel, bias=0.0, name="after.tif", gray=False, **options):
    """AFTER as exact float32 values (a 32-bit TIFF), made by apply_filter."""
    image = load_image(before)
    result = apply_filter(
        image, kernel, bias=bias, channel_mode="gray" if gray else "color", **options
    )
    path = tmp_path / name
    save_image(path, result)
    return str(path)


def editor_after(tmp_path, before, kernel, name="after.png", offset=0.0):
    """AFTER as a photo editor saves it: same size, edges replicated, clipped, 8 bits."""
    image = load_image(before)
    out = convolve(image, kernel, padding="same", border="edge") + np.float32(offset)
    path = tmp_path / name
    Image.fromarray(np.round(np.clip(out, 0, 1) * 255).astype(np.uint8)).save(path)
    return str(path)


# --------------------------------------------------------------------------------------------
# Round trips


def test_printed_kernel_is_read_back_by_apply(capsys, tmp_path, before):
    after = exact_after(tmp_path, before, HIDDEN, bias=0.25)
    code, out, err = run(capsys, "fit", before, after, "--size", "3")
    assert (code, err) == (0, "")
    kernel = parse_kernel(out)  # the whole output is kernel text: the rest are comments
    np.testing.assert_allclose(kernel, HIDDEN, atol=1e-4)
    bias = bias_of(out)
    assert bias == pytest.approx(0.25, abs=1e-4)
    assert f"apply it with --bias {out.split('# bias: ')[1].split()[0]}" in out
    assert "explains this change completely" in out
    text = tmp_path / "k.txt"
    text.write_text(out)
    mapped = tmp_path / "map.npy"
    code, _, err = run(capsys, "apply", before, mapped, "--kernel", text, "--bias", str(bias))
    assert (code, err) == (0, "")
    want = apply_filter(load_image(before), kernel, bias=bias)
    np.testing.assert_array_equal(np.load(mapped), want)
    np.testing.assert_allclose(np.load(mapped), load_image(after), atol=1e-4)


@pytest.mark.parametrize(
    ("flags", "options"),
    [
        (["--stride", "2"], {"stride": (2, 2)}),
        (["--stride", "1,2", "--dilation", "2"], {"stride": (1, 2), "dilation": (2, 2)}),
        (["--padding", "2", "--border", "wrap"], {"padding": (2, 2), "border": "wrap"}),
        (
            ["--padding", "same", "--border", "constant", "--cval", "0.5"],
            {"padding": "same", "cval": 0.5},
        ),
    ],
)
def test_layer_options_pass_through(capsys, tmp_path, before, flags, options):
    after = exact_after(tmp_path, before, HIDDEN, **options)
    code, out, err = run(capsys, "fit", before, after, *flags)
    assert (code, err) == (0, "")
    np.testing.assert_allclose(parse_kernel(out), HIDDEN, atol=1e-4)


def test_non_square_size_and_no_bias(capsys, tmp_path, before):
    kernel = np.array([[0, 1, 0, -1, 0], [1, 2, 0, -2, -1], [0, 1, 0, -1, 0]], np.float32)
    after = exact_after(tmp_path, before, kernel)
    code, out, _ = run(capsys, "fit", before, after, "--size", "3x5", "--no-bias")
    assert code == 0
    np.testing.assert_allclose(parse_kernel(out), kernel, atol=1e-4)
    assert bias_of(out) == 0 and "apply it with" not in out


def test_save_bank_gives_the_same_map(capsys, tmp_path, before):
    after = exact_after(tmp_path, before, HIDDEN, bias=-0.125, padding="same", border="reflect")
    bank_path = tmp_path / "fitted.json"
    code, out, err = run(
        capsys, "fit", before, after, "--border", "reflect", "--save-bank", bank_path
    )
    assert (code, err) == (0, "")
    assert f"# wrote {bank_path}" in out and "# padding same" in out
    bank = load_bank(bank_path)
    (flt,) = bank.filters
    np.testing.assert_array_equal(flt.kernel, parse_kernel(out))
    assert flt.bias == bias_of(out)
    layer = bank.layer
    assert (layer.padding, layer.border, layer.channel_mode) == ("same", "reflect", "color")
    folder = tmp_path / "maps"
    code, _, err = run(capsys, "apply", before, folder, "--bank", bank_path, "--format", "npy")
    assert (code, err) == (0, "")
    (written,) = folder.iterdir()
    want = apply_filter(
        load_image(before), flt.kernel, bias=flt.bias, padding="same", border="reflect"
    )
    np.testing.assert_array_equal(np.load(written), want)


def test_save_bank_refuses_to_overwrite_without_force(capsys, tmp_path, before):
    after = exact_after(tmp_path, before, HIDDEN)
    bank_path = tmp_path / "fitted.json"
    bank_path.write_text("keep me")
    code, out, err = run(capsys, "fit", before, after, "--save-bank", bank_path)
    assert_error(code, err, "exists", "--force")
    assert out == "" and bank_path.read_text() == "keep me"
    code, _, err = run(capsys, "fit", before, after, "--save-bank", bank_path, "--force")
    assert (code, err) == (0, "")
    np.testing.assert_allclose(load_bank(bank_path).filters[0].kernel, HIDDEN, atol=1e-4)


# --------------------------------------------------------------------------------------------
# A photo editor's result


@pytest.mark.parametrize("border", [None, "edge"])
def test_editor_sharpen_is_recovered(capsys, tmp_path, before, border):
    after = editor_after(tmp_path, before, SHARPEN)
    flags = [] if border is None else ["--border", border]
    code, out, err = run(capsys, "fit", before, after, *flags)
    assert (code, err) == (0, "")
    np.testing.assert_allclose(parse_kernel(out), SHARPEN, atol=0.02)
    assert "padding same: it makes a map of AFTER's size" in out
    assert "(clipped) and are left out" in out
    assert ("cells next to the frame read padding" in out) == (border is None)


def test_decimals_round_what_is_printed_and_saved(capsys, tmp_path, before):
    after = editor_after(tmp_path, before, SHARPEN)
    bank_path = tmp_path / "b.json"
    code, out, err = run(capsys, "fit", before, after, "--decimals", "2", "--save-bank", bank_path)
    assert (code, err) == (0, "")
    np.testing.assert_array_equal(parse_kernel(out), SHARPEN)
    assert "\n 0 -1  0\n-1  5 -1\n 0 -1  0\n" in out
    assert "# weights rounded to 2 decimals; unrounded, the residual is " in out
    np.testing.assert_array_equal(load_bank(bank_path).filters[0].kernel, SHARPEN)
    # The residual printed is the rounded kernel's own.
    code, out, _ = run(capsys, "fit", before, after, "--decimals", "0", "--size", "5")
    assert code == 0
    kernel = parse_kernel(out)
    assert set(np.unique(kernel)) <= {-1.0, 0.0, 5.0}


def test_counting_clipped_values_misses_and_says_so(capsys, tmp_path, before):
    after = editor_after(tmp_path, before, SHARPEN)
    code, out, _ = run(capsys, "fit", before, after, "--keep-clipped", "--border", "edge")
    assert code == 0
    assert np.abs(parse_kernel(out) - SHARPEN).max() > 0.3
    assert "is not a linear filter" in out


def test_tone_curve_is_not_a_filter(capsys, tmp_path, before):
    image = load_image(before)
    path = tmp_path / "curve.png"
    Image.fromarray(np.round(image**2.2 * 255).astype(np.uint8)).save(path)
    code, out, _ = run(capsys, "fit", before, path)
    assert code == 0
    assert "explains only" in out and "is not a linear filter." in out


# --------------------------------------------------------------------------------------------
# Grey and colour


def test_grey_after_of_a_colour_before_is_compared_in_grey(capsys, tmp_path, before):
    after = exact_after(tmp_path, before, HIDDEN, gray=True, name="grey.tif")
    assert load_image(after).ndim == 2
    bank_path = tmp_path / "b.json"
    code, out, _ = run(capsys, "fit", before, after, "--save-bank", bank_path)
    assert code == 0
    assert "BEFORE is in colour and AFTER is grey: both are compared in grey (luma)" in out
    np.testing.assert_allclose(parse_kernel(out), HIDDEN, atol=1e-4)
    assert load_bank(bank_path).layer.channel_mode == "gray"


def test_gray_flag_fits_luma(capsys, tmp_path, before):
    after = exact_after(tmp_path, before, HIDDEN)
    code, out, _ = run(capsys, "fit", before, after, "--gray")
    assert code == 0
    want = convolve(to_luma(load_image(before)), parse_kernel(out))
    np.testing.assert_allclose(want, to_luma(load_image(after)), atol=1e-4)


# --------------------------------------------------------------------------------------------
# Mistakes: one sentence, exit 2


@pytest.mark.parametrize(
    ("flags", "fragments"),
    [
        (["--size", "16"], ["1 to 15"]),
        (["--size", "3,3,3"], ["number or two"]),
        (["--size", "x"], ["number or two"]),
        (["--ridge", "-1"], ["ridge"]),
        (["--ridge", "nan"], ["ridge"]),
        (["--stride", "0"], ["stride", "at least 1"]),
        (["--decimals", "9"], ["decimals must be 0 to 8"]),
        (["--decimals", "-1"], ["decimals must be 0 to 8"]),
        (["--padding", "valid"], ["maps this 60x80 picture to 58x78", "padding 'same'"]),
    ],
)
def test_bad_options(capsys, tmp_path, before, flags, fragments):
    after = editor_after(tmp_path, before, SHARPEN)
    code, out, err = run(capsys, "fit", before, after, *flags)
    assert_error(code, err, *fragments)
    assert out == ""


def test_pictures_that_do_not_fit(capsys, tmp_path, before):
    small = tmp_path / "small.png"
    Image.fromarray(np.zeros((20, 30), np.uint8)).save(small)
    code, _, err = run(capsys, "fit", before, small)
    assert_error(code, err, "The target is 20x30", "58x78")
    code, _, err = run(capsys, "fit", before, tmp_path / "missing.png")
    assert_error(code, err, "missing.png")
    tiny = tmp_path / "tiny.png"
    Image.fromarray(np.zeros((2, 2), np.uint8)).save(tiny)
    code, _, err = run(capsys, "fit", tiny, tiny, "--padding", "same")
    assert_error(code, err, "4 values for 10 unknowns")


@pytest.mark.parametrize("argv", [["fit"], ["fit", "a.png"], ["fit", "a", "b", "--border", "x"]])
def test_usage_errors_exit_2(capsys, argv):
    code, _, err = run(capsys, *argv)
    assert code == 2 and "usage: filterstudio fit" in err


def test_help(capsys):
    code, out, _ = run(capsys, "fit", "--help")
    assert code == 0 and "--save-bank" in out and "--keep-clipped" in out
    code, out, _ = run(capsys, "--help")
    assert "filterstudio fit BEFORE AFTER" in out


def test_help_loads_no_engine():
    code = (
        "import contextlib, io, sys\n"
        "from filterstudio.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert main(['fit', '--help']) == 0\n"
        "print(sorted(m for m in ('numpy', 'cv2', 'PIL') if m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
