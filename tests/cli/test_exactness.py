"""What the fast paths keep, end to end: EXIF orientation, 16-bit samples, exact float maps.

The command decodes JPEG and PNG with OpenCV and writes PNG with its own encoder; a picture and
its map must come out exactly as Pillow's decode and the plain pipeline make them, for one
picture and for a folder.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from filterstudio.cli import main
from filterstudio.core.display import to_uint8
from filterstudio.core.imageio import load_image
from filterstudio.core.kernels import PRESETS
from filterstudio.core.pipeline import apply_filter

KERNEL = PRESETS["sobel_x"].kernel


def turned_jpeg(path, orientation: int) -> None:
    y, x = np.mgrid[0:18, 0:26]
    rgb = np.stack([x * 9, y * 13, (x * y) % 200], axis=2).astype(np.uint8)
    im = Image.fromarray(rgb)
    exif = im.getexif()
    exif[0x0112] = orientation
    im.save(path, exif=exif.tobytes(), quality=90)


def grey16_png(path) -> None:
    values = (np.arange(18 * 26).reshape(18, 26) * 151 % 65536).astype(np.uint16)
    Image.fromarray(values).save(path)


def expected(path, **layer) -> np.ndarray:
    return apply_filter(load_image(path, decoder="pillow"), KERNEL, **layer)


@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
def test_one_turned_jpeg_to_exact_npy(capsys, tmp_path, orientation):
    src = tmp_path / "photo.jpg"
    turned_jpeg(src, orientation)
    out = tmp_path / "map.npy"
    assert main(["apply", str(src), str(out), "-k", "sobel_x", "--padding", "same"]) == 0
    np.testing.assert_array_equal(np.load(out), expected(src, padding="same"))
    capsys.readouterr()


def test_one_sixteen_bit_png_to_exact_tif_and_to_png(capsys, tmp_path):
    src = tmp_path / "deep.png"
    grey16_png(src)
    assert main(["apply", str(src), str(tmp_path / "map.tif"), "-k", "sobel_x"]) == 0
    np.testing.assert_array_equal(load_image(tmp_path / "map.tif"), expected(src))
    assert main(["apply", str(src), str(tmp_path / "map.png"), "-k", "sobel_x",
                 "--display", "minmax"]) == 0
    with Image.open(tmp_path / "map.png") as im:
        np.testing.assert_array_equal(np.asarray(im), to_uint8(expected(src), "minmax"))
    capsys.readouterr()


def test_a_folder_keeps_orientation_and_depth(capsys, tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    turned_jpeg(folder / "turned.jpg", 6)
    grey16_png(folder / "deep.png")
    out = tmp_path / "out"
    assert main(["apply", str(folder), str(out), "-k", "sobel_x", "--format", "npy"]) == 0
    for name in ("turned.jpg", "deep.png"):
        stem = name.split(".")[0]
        np.testing.assert_array_equal(np.load(out / f"{stem}.npy"), expected(folder / name))
    assert np.load(out / "turned.npy").shape == (24, 16, 3)  # upright: 26 x 18 turned
    capsys.readouterr()
