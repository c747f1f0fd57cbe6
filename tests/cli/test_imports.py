"""What a fresh 'filterstudio' process loads, and that loading less still reads and writes alike.

Each test runs a new interpreter: in this one, other tests have long since loaded every module
and every Pillow plugin, which would hide both a module loaded too early and a format that is
only found because some earlier test loaded its plugin.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from filterstudio.core.display import to_uint8
from filterstudio.core.imageio import load_image, save_image
from filterstudio.core.parse import parse_kernel
from filterstudio.core.pipeline import apply_filter

# Modules the commands load only when they need them.
NOT_AT_IMPORT = ("numpy", "PIL", "cv2", "filterstudio.core", "filterstudio.model", "PySide6")
NOT_FOR_A_PRESET = (
    "numpy.random",  # the 'random' preset is written out, not drawn at import
    "difflib",  # only for the message about an unknown preset
    "json",  # only for JSON kernel and bank files
    "filterstudio.core.parse",  # a preset name needs no parser
    "filterstudio.model.bank_io",
    "filterstudio.gui",
    "PySide6",
    "cmap",  # colour maps only when one is asked for
    "tqdm",  # a progress bar only for a folder or a video on a terminal
    # Pillow's plugins other than PNG's: a PNG is opened and saved by name.
    "PIL.BmpImagePlugin",
    "PIL.GifImagePlugin",
    "PIL.JpegImagePlugin",
    "PIL.PpmImagePlugin",
    "PIL.TiffImagePlugin",
)


def run_python(code: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )


def loaded_after(code: str, names: tuple[str, ...]) -> list[str]:
    """The modules among ``names`` (or inside those packages) loaded once ``code`` has run."""
    script = (
        f"{code}\n"
        "import sys\n"
        f"names = {list(names)!r}\n"
        "print('loaded:', *sorted(n for n in names"
        " if any(m == n or m.startswith(n + '.') for m in sys.modules)))\n"
    )
    proc = run_python(script)
    assert proc.returncode == 0, proc.stderr
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("loaded:"), proc.stdout
    return last.split()[1:]


def test_importing_the_command_loads_no_engine():
    assert loaded_after("import filterstudio.cli", NOT_AT_IMPORT) == []


def test_apply_with_a_preset_loads_only_what_it_uses(photo, tmp_path):
    out = tmp_path / "o.png"
    code = (
        "from filterstudio.cli import main\n"
        f"assert main(['apply', {photo!r}, {str(out)!r}, '-k', 'sobel_x']) == 0\n"
    )
    assert loaded_after(code, NOT_FOR_A_PRESET) == []
    assert out.exists()


def test_the_check_sees_a_module_that_is_loaded(photo, tmp_path):
    # The same check with a kernel file in JSON: the parser and json are loaded, and are seen.
    kernel = tmp_path / "k.json"
    kernel.write_text("[[1, 0, -1]]")
    code = (
        "from filterstudio.cli import main\n"
        f"assert main(['apply', {photo!r}, {str(tmp_path / 'o.png')!r}, '-k', {str(kernel)!r}])"
        " == 0\n"
    )
    assert loaded_after(code, NOT_FOR_A_PRESET) == ["filterstudio.core.parse", "json"]


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt, **options)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("fmt", "name"),
    [("JPEG", "really_jpeg.png"), ("GIF", "really_gif.png"), ("PNG", "really_png.jpg")],
)
def test_a_fresh_process_reads_a_picture_whose_name_lies(tmp_path, fmt, name):
    """Pillow tries the plugin of the extension first; the content still decides the format."""
    rng = np.random.default_rng(3)
    pic = Image.fromarray(rng.integers(0, 256, (9, 11, 3), dtype=np.uint8))
    if fmt == "GIF":
        pic = pic.convert("P")
    path = tmp_path / name
    path.write_bytes(encoded(pic, fmt))
    out = tmp_path / "map.npy"
    code = (
        "from filterstudio.cli import main\n"
        f"assert main(['apply', {str(path)!r}, {str(out)!r}, '-k', 'identity']) == 0\n"
    )
    proc = run_python(code)
    assert proc.returncode == 0, proc.stderr
    expected = load_image(path)[1:-1, 1:-1]
    np.testing.assert_array_equal(np.load(out), expected)


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".jpeg", ".bmp", ".PNG"])
def test_a_fresh_process_writes_the_same_bytes_as_naming_the_format(photo, tmp_path, suffix):
    out = tmp_path / f"o{suffix}"
    code = (
        "from filterstudio.cli import main\n"
        f"assert main(['apply', {photo!r}, {str(out)!r}, '-k', 'sharpen']) == 0\n"
    )
    proc = run_python(code)
    assert proc.returncode == 0, proc.stderr
    result = apply_filter(load_image(photo), parse_kernel("sharpen"))
    reference = tmp_path / f"reference{suffix}"
    save_image(reference, result)  # in this process, where every plugin is long loaded
    assert out.read_bytes() == reference.read_bytes()
    pic = Image.fromarray(to_uint8(result, "clip"))
    fmt = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".bmp": "BMP"}[suffix.lower()]
    if fmt == "PNG":  # OpenCV's fast PNG: other bytes than Pillow's, the same pixels
        np.testing.assert_array_equal(np.asarray(Image.open(out)), np.asarray(pic))
    else:  # JPEG at quality 95 as Pillow writes it, byte for byte
        assert out.read_bytes() == encoded(pic, fmt, **({"quality": 95} if fmt == "JPEG" else {}))
