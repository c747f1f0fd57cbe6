"""Picture files in and out: every mode to float32 [0, 1], every failure a sentence, atomic saves."""

from __future__ import annotations

import errno
import io
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFile, ImageOps, JpegImagePlugin

from filterstudio.core import atomic, imageio, userfile
from filterstudio.core.display import MAPPINGS, to_uint8
from filterstudio.core.imageio import (
    DEFAULT_MAX_PIXELS,
    ImageError,
    ImageInfo,
    ImageTooLarge,
    atomic_write,
    load_image,
    read_image_info,
    save_image,
)

RAMP = np.arange(256, dtype=np.uint8).reshape(16, 16)


def pil(path) -> Image.Image:
    """A loaded copy of the picture at ``path`` (the file is closed again at once)."""
    with Image.open(path) as im:
        im.load()
        return im.copy()


def rgb_pattern(h: int = 8, w: int = 12) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    return np.stack([x * 15, y * 15, (x + y) * 7], axis=2).astype(np.uint8)


def write(im: Image.Image, path, **kw) -> str:
    im.save(path, **kw)
    return os.fspath(path)


def u8(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float32) / np.float32(255)


def assert_one_sentence(exc: BaseException) -> None:
    text = str(exc)
    assert text.endswith("."), text
    assert "\n" not in text
    assert "Traceback" not in text


# --------------------------------------------------------------------------------------------
# Modes and formats


@pytest.mark.parametrize("ext", [".png", ".bmp", ".tif", ".gif", ".jpg"])
def test_grey_8bit_is_divided_by_255_and_stays_2d(tmp_path, ext):
    path = write(Image.fromarray(RAMP), tmp_path / f"grey{ext}")
    out = load_image(path)
    assert out.dtype == np.float32 and out.shape == (16, 16)
    if ext == ".jpg":
        assert np.abs(out - u8(RAMP)).max() < 0.05
    else:
        np.testing.assert_array_equal(out, u8(RAMP))


@pytest.mark.parametrize("ext", [".png", ".bmp", ".tif"])
def test_rgb_8bit_exact(tmp_path, ext):
    rgb = rgb_pattern()
    out = load_image(write(Image.fromarray(rgb), tmp_path / f"rgb{ext}"))
    assert out.dtype == np.float32 and out.shape == (8, 12, 3)
    np.testing.assert_array_equal(out, u8(rgb))


def test_lossless_webp_exact(tmp_path):
    rgb = rgb_pattern()
    out = load_image(write(Image.fromarray(rgb), tmp_path / "rgb.webp", lossless=True))
    np.testing.assert_array_equal(out, u8(rgb))


def test_jpeg_colour_close(tmp_path):
    rgb = np.full((16, 16, 3), (200, 40, 90), np.uint8)
    out = load_image(write(Image.fromarray(rgb), tmp_path / "c.jpg", quality=95))
    assert out.shape == (16, 16, 3)
    assert np.abs(out - u8(rgb)).max() < 0.03


@pytest.mark.parametrize("ext", [".png", ".bmp", ".tif", ".gif"])
def test_one_bit_is_zero_or_one(tmp_path, ext):
    bits = np.indices((6, 9)).sum(axis=0) % 3 == 0
    im = Image.fromarray((bits * 255).astype(np.uint8)).convert("1")
    out = load_image(write(im, tmp_path / f"bits{ext}"))
    assert out.dtype == np.float32 and out.shape == (6, 9)
    np.testing.assert_array_equal(out, bits.astype(np.float32))


def test_palette_becomes_rgb(tmp_path):
    im = Image.new("P", (4, 3))
    im.putpalette([255, 0, 0, 0, 255, 0, 0, 0, 255] + [0] * (253 * 3))
    im.putdata([0, 1, 2, 0] * 3)
    out = load_image(write(im, tmp_path / "pal.png"))
    assert out.shape == (3, 4, 3)
    np.testing.assert_array_equal(out[0, 0], [1, 0, 0])
    np.testing.assert_array_equal(out[0, 1], [0, 1, 0])
    np.testing.assert_array_equal(out[0, 2], [0, 0, 1])


def test_palette_with_transparency_drops_alpha_without_warning(tmp_path):
    im = Image.new("P", (4, 3))
    im.putpalette([255, 0, 0, 0, 255, 0] + [0] * (254 * 3))
    im.putdata([0, 1] * 6)
    path = write(im, tmp_path / "trns.png", transparency=0)
    assert pil(path).info.get("transparency") is not None
    out = load_image(path)  # a warning would fail here: pytest turns warnings into errors
    assert out.shape == (3, 4, 3)
    np.testing.assert_array_equal(out[0, 0], [1, 0, 0])  # the colour under alpha 0 is kept
    np.testing.assert_array_equal(out[0, 1], [0, 1, 0])


def test_palette_gif_with_transparency(tmp_path):
    im = Image.new("P", (5, 5))
    im.putpalette([10, 20, 30, 200, 100, 50] + [0] * (254 * 3))
    im.putdata([0, 1] * 12 + [0])
    path = write(im, tmp_path / "t.gif", transparency=1)
    out = load_image(path)
    assert out.shape == (5, 5, 3)
    np.testing.assert_array_equal(out[0, 0], u8([10, 20, 30]))


def test_rgba_drops_alpha_keeps_colour(tmp_path):
    rgba = np.zeros((3, 4, 4), np.uint8)
    rgba[..., 0] = 200
    rgba[..., 1] = 10
    rgba[..., 2] = 99
    rgba[..., 3] = [[0, 50, 255, 128]] * 3
    out = load_image(write(Image.fromarray(rgba, "RGBA"), tmp_path / "a.png"))
    assert out.shape == (3, 4, 3)
    np.testing.assert_array_equal(out, np.broadcast_to(u8([200, 10, 99]), (3, 4, 3)))


def test_la_becomes_grey(tmp_path):
    la = np.stack([RAMP, 255 - RAMP], axis=2)
    out = load_image(write(Image.fromarray(la, "LA"), tmp_path / "la.png"))
    assert out.shape == (16, 16)
    np.testing.assert_array_equal(out, u8(RAMP))


def test_pa_becomes_rgb(tmp_path):
    im = Image.new("PA", (2, 2))
    im.putpalette([0, 0, 255] + [255, 255, 0] + [0] * (254 * 3))
    im.putdata([(0, 255), (1, 0), (1, 10), (0, 255)])
    out = imageio._working_image(im)[0]
    assert out.mode == "RGB"
    assert np.asarray(out)[0, 1].tolist() == [255, 255, 0]


def test_cmyk_jpeg_becomes_rgb(tmp_path):
    rgb = np.zeros((16, 16, 3), np.uint8)
    rgb[:, :8] = (255, 0, 0)
    rgb[:, 8:] = (0, 0, 255)
    path = write(Image.fromarray(rgb).convert("CMYK"), tmp_path / "cmyk.jpg", quality=95)
    assert pil(path).mode == "CMYK"
    out = load_image(path)
    assert out.shape == (16, 16, 3)
    expected = np.asarray(pil(path).convert("RGB"), dtype=np.float32) / 255
    np.testing.assert_allclose(out, expected, atol=1e-6)
    assert out[8, 2, 0] > 0.9 and out[8, 2, 2] < 0.1
    assert out[8, 13, 2] > 0.9 and out[8, 13, 0] < 0.1


@pytest.mark.parametrize("mode", ["YCbCr", "CMYK"])
def test_tiff_colour_spaces_become_rgb(tmp_path, mode):
    rgb = rgb_pattern()
    path = write(Image.fromarray(rgb).convert(mode), tmp_path / f"{mode}.tif")
    assert pil(path).mode == mode
    out = load_image(path)
    expected = np.asarray(pil(path).convert("RGB"), dtype=np.float32) / 255
    assert out.shape == (8, 12, 3)
    np.testing.assert_allclose(out, expected, atol=1e-6)


SIXTEEN = np.array([[0, 1, 257, 1000], [32768, 40000, 65534, 65535]], dtype=np.uint16)


@pytest.mark.parametrize("ext", [".png", ".tif"])
def test_sixteen_bit_grey_divided_by_65535(tmp_path, ext):
    im = Image.fromarray(SIXTEEN)
    assert im.mode == "I;16"
    path = write(im, tmp_path / f"g16{ext}")
    assert pil(path).mode in ("I;16", "I")
    out = load_image(path)
    assert out.dtype == np.float32 and out.shape == (2, 4)
    np.testing.assert_array_equal(out, SIXTEEN.astype(np.float32) / np.float32(65535))


def test_sixteen_bit_big_endian(tmp_path):
    im = Image.fromarray(SIXTEEN.astype(">u2"))
    assert im.mode == "I;16B"
    out = imageio._decode_pillow(im, None)
    np.testing.assert_array_equal(out, SIXTEEN.astype(np.float32) / np.float32(65535))


def test_mode_i_with_sixteen_bit_data(tmp_path):
    path = write(Image.fromarray(SIXTEEN.astype(np.int32)), tmp_path / "i.tif")
    assert pil(path).mode == "I"
    np.testing.assert_array_equal(load_image(path), SIXTEEN.astype(np.float32) / np.float32(65535))


def test_mode_i_beyond_sixteen_bits_is_refused(tmp_path):
    path = write(Image.fromarray(np.array([[0, 70000]], np.int32)), tmp_path / "i32.tif")
    with pytest.raises(ImageError, match="pixel format") as info:
        load_image(path)
    assert_one_sentence(info.value)


@pytest.mark.parametrize("ext", [".png", ".tif"])
def test_sixteen_bit_colour_keeps_all_bits(tmp_path, ext):
    import cv2

    rgb16 = (np.arange(5 * 6 * 3).reshape(5, 6, 3) * 701 % 65536).astype(np.uint16)
    path = os.fspath(tmp_path / f"c16{ext}")
    assert cv2.imwrite(path, rgb16[:, :, ::-1])
    out = load_image(path)
    assert out.shape == (5, 6, 3)
    np.testing.assert_array_equal(out, rgb16.astype(np.float32) / np.float32(65535))


def test_float_tiff_as_is(tmp_path):
    values = np.array([[-1.5, 0.0, 0.25], [1.0, 3.75, 1e-7]], np.float32)
    path = write(Image.fromarray(values), tmp_path / "f.tif")
    assert pil(path).mode == "F"
    out = load_image(path)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, values)


def test_float_tiff_with_nan_is_refused(tmp_path):
    path = write(Image.fromarray(np.array([[0.0, np.nan]], np.float32)), tmp_path / "nan.tif")
    with pytest.raises(ImageError, match="not finite") as info:
        load_image(path)
    assert_one_sentence(info.value)


def test_animated_gif_gives_first_frame(tmp_path):
    frames = [Image.fromarray(np.full((4, 5), v, np.uint8)) for v in (30, 120, 240)]
    path = os.fspath(tmp_path / "anim.gif")
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=50, loop=0)
    out = load_image(path)
    assert out.shape[:2] == (4, 5)
    np.testing.assert_allclose(out, 30 / 255, atol=1e-6)
    info = read_image_info(path)
    assert info.frames == 3 and (info.width, info.height) == (5, 4) and info.format == "GIF"


def test_animated_png_gives_first_frame(tmp_path):
    frames = [Image.fromarray(rgb_pattern() // k) for k in (1, 2)]
    path = os.fspath(tmp_path / "anim.png")
    frames[0].save(path, save_all=True, append_images=frames[1:])
    np.testing.assert_array_equal(load_image(path), u8(rgb_pattern()))
    assert read_image_info(path).frames == 2


@pytest.mark.parametrize("shape", [(5, 1), (1, 7), (1, 1)])
def test_one_pixel_wide(tmp_path, shape):
    values = (np.arange(np.prod(shape)) * 40).reshape(shape).astype(np.uint8)
    out = load_image(write(Image.fromarray(values), tmp_path / "thin.png"))
    assert out.shape == shape
    np.testing.assert_array_equal(out, u8(values))


def test_result_is_writable_and_contiguous(tmp_path):
    out = load_image(write(Image.fromarray(RAMP), tmp_path / "g.png"))
    assert out.flags.writeable and out.flags.c_contiguous
    out[0, 0] = 5.0


# --------------------------------------------------------------------------------------------
# EXIF orientation


def exif_with_orientation(value: int) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = value
    return exif


def test_jpeg_orientation_6_is_turned_upright(tmp_path):
    stored = np.zeros((16, 32), np.uint8)  # 32 wide, 16 high: left half white
    stored[:, :16] = 255
    path = write(
        Image.fromarray(stored), tmp_path / "o6.jpg", exif=exif_with_orientation(6), quality=95
    )
    out = load_image(path)
    assert out.shape == (32, 16)  # rotated 90 degrees clockwise: the left half is now on top
    assert out[4, 8] > 0.9 and out[28, 8] < 0.1
    info = read_image_info(path)
    assert (info.width, info.height) == (16, 32)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_orientation_matches_pillow(tmp_path, orientation):
    stored = rgb_pattern(5, 7)
    path = write(
        Image.fromarray(stored), tmp_path / "o.png", exif=exif_with_orientation(orientation)
    )
    expected = np.asarray(ImageOps.exif_transpose(pil(path)), dtype=np.float32) / 255
    out = load_image(path)
    np.testing.assert_array_equal(out, expected)
    info = read_image_info(path)
    assert (info.height, info.width) == out.shape[:2]


def test_damaged_exif_is_ignored(tmp_path):
    path = write(Image.fromarray(RAMP), tmp_path / "bad_exif.png", exif=b"Exif\x00\x00MM\x00*junk")
    np.testing.assert_array_equal(load_image(path), u8(RAMP))


# --------------------------------------------------------------------------------------------
# Size limits


@pytest.fixture
def grey_20x10(tmp_path) -> str:
    return write(Image.fromarray(np.full((10, 20), 77, np.uint8)), tmp_path / "g.png")


def no_decoding(monkeypatch) -> None:
    def refuse(self):
        raise AssertionError("the pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


@pytest.mark.parametrize("limit", [150, 90], ids=["warning-level", "error-level"])
def test_decompression_bomb_refused_before_decoding(monkeypatch, grey_20x10, limit):
    # 200 pixels: above the limit (Pillow warns) or above twice the limit (Pillow refuses).
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", limit)
    no_decoding(monkeypatch)
    with pytest.raises(ImageError, match="pixels is more than the safe limit") as info:
        load_image(grey_20x10)
    assert not isinstance(info.value, ImageTooLarge)
    assert "200 pixels" in str(info.value)
    assert_one_sentence(info.value)
    with pytest.raises(ImageError, match="safe limit"):
        load_image(grey_20x10, reduce_to=10)
    with pytest.raises(ImageError, match="safe limit"):
        read_image_info(grey_20x10)


def test_bomb_guard_stays_on():
    assert Image.MAX_IMAGE_PIXELS is not None and Image.MAX_IMAGE_PIXELS > DEFAULT_MAX_PIXELS


def test_bomb_refused_for_float_rgb_tiff(monkeypatch, tmp_path):
    path = tmp_path / "f3.tif"
    save_image(path, np.zeros((10, 20, 3), np.float32))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 150)
    with pytest.raises(ImageError, match="safe limit"):
        load_image(path)
    with pytest.raises(ImageError, match="safe limit"):
        read_image_info(path)


def test_too_large_carries_the_size(monkeypatch, grey_20x10):
    no_decoding(monkeypatch)
    with pytest.raises(ImageTooLarge) as info:
        load_image(grey_20x10, max_pixels=199)
    err = info.value
    assert isinstance(err, ImageError) and isinstance(err, ValueError)
    assert (err.width, err.height, err.limit) == (20, 10, 199)
    assert "20 x 10" in str(err) and "reduced copy" in str(err)
    assert_one_sentence(err)


def test_exactly_max_pixels_is_allowed(grey_20x10):
    assert load_image(grey_20x10, max_pixels=200).shape == (10, 20)


def test_reduce_to_gives_a_small_copy(tmp_path):
    rgb = np.zeros((100, 200, 3), np.uint8)
    rgb[:, :100] = (255, 128, 0)
    path = write(Image.fromarray(rgb), tmp_path / "big.png")
    out = load_image(path, max_pixels=1000, reduce_to=5000)
    assert out.shape[0] * out.shape[1] <= 5000
    assert out.shape == (50, 100, 3)
    assert out.dtype == np.float32 and out.min() >= 0 and out.max() <= 1
    np.testing.assert_allclose(out[25, 10], [1.0, 128 / 255, 0.0], atol=2e-3)
    np.testing.assert_allclose(out[25, 90], [0.0, 0.0, 0.0], atol=2e-3)


def test_reduce_to_leaves_a_small_picture_alone(grey_20x10):
    out = load_image(grey_20x10, reduce_to=1000)
    np.testing.assert_array_equal(out, np.full((10, 20), 77 / np.float32(255), np.float32))


def test_reduce_jpeg_decodes_at_reduced_size(monkeypatch, tmp_path):
    rgb = np.zeros((400, 800, 3), np.uint8)
    rgb[:, 400:] = 255
    path = write(Image.fromarray(rgb), tmp_path / "big.jpg", quality=90)
    decoded: list[tuple[int, int]] = []
    original = JpegImagePlugin.JpegImageFile.load

    def spy(self):
        result = original(self)
        decoded.append(self.size)
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "load", spy)
    out = load_image(path, reduce_to=3200)
    assert out.shape[0] * out.shape[1] <= 3200
    assert out.shape[:2] == (40, 80)
    assert decoded and decoded[0][0] * decoded[0][1] < 800 * 400 // 16  # drafted at 1/8
    assert out[20, 10].max() < 0.1 and out[20, 70].min() > 0.9


def palette_image(w: int, h: int) -> Image.Image:
    im = Image.new("P", (w, h), 1)
    im.putpalette([0, 0, 0, 200, 100, 50] + [0] * (254 * 3))
    return im


@pytest.mark.parametrize(
    "make",
    [
        lambda: Image.fromarray(np.full((40, 60), 255, np.uint8)).convert("1"),
        lambda: Image.fromarray(np.full((40, 60), 65535, np.uint16)),
        lambda: Image.fromarray(np.full((40, 60), 0.5, np.float32)),
        lambda: palette_image(60, 40),
    ],
    ids=["1", "I;16", "F", "P"],
)
def test_reduce_every_mode(tmp_path, make):
    im = make()
    path = write(im, tmp_path / ("r.tif" if im.mode == "F" else "r.png"))
    full = load_image(path)
    out = load_image(path, reduce_to=600)
    assert out.shape[:2] == (20, 30) and out.ndim == full.ndim
    np.testing.assert_allclose(out, full[: out.shape[0], : out.shape[1]], atol=1e-3)


def test_reduce_to_keeps_orientation(tmp_path):
    path = write(
        Image.fromarray(np.zeros((20, 40), np.uint8)),
        tmp_path / "o.png",
        exif=exif_with_orientation(8),
    )
    assert load_image(path, reduce_to=200).shape == (20, 10)


@pytest.mark.parametrize(
    ("w", "h", "limit"), [(200, 100, 5000), (1, 10**6, 1000), (10**6, 1, 7), (3, 3, 1)]
)
def test_reduced_size_fits(w, h, limit):
    tw, th = imageio._reduced_size(w, h, limit)
    assert 1 <= tw <= w and 1 <= th <= h and tw * th <= limit


def test_reduce_to_must_be_positive(grey_20x10):
    with pytest.raises(ValueError, match="at least 1"):
        load_image(grey_20x10, reduce_to=0)


# --------------------------------------------------------------------------------------------
# Every failure is one ImageError sentence


def test_missing_file(tmp_path):
    with pytest.raises(ImageError, match="no file") as info:
        load_image(tmp_path / "nope.png")
    assert_one_sentence(info.value)


def test_directory(tmp_path):
    with pytest.raises(ImageError, match="folder") as info:
        load_image(tmp_path)
    assert_one_sentence(info.value)


def test_empty_file(tmp_path):
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(ImageError, match="empty") as info:
        load_image(tmp_path / "empty.png")
    assert_one_sentence(info.value)


def test_not_an_image(tmp_path):
    (tmp_path / "notes.png").write_text("just some text, not pixels\n")
    with pytest.raises(ImageError, match="not a picture") as info:
        load_image(tmp_path / "notes.png")
    assert "PNG" in str(info.value)
    assert_one_sentence(info.value)
    with pytest.raises(ImageError, match="not a picture"):
        read_image_info(tmp_path / "notes.png")


@pytest.mark.parametrize("ext", [".png", ".jpg", ".tif", ".bmp"])
def test_truncated(tmp_path, ext):
    noise = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(noise).save(buf, format=Image.registered_extensions()[ext])
    data = buf.getvalue()
    (tmp_path / f"cut{ext}").write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError, match="damaged or cut short") as info:
        load_image(tmp_path / f"cut{ext}")
    assert_one_sentence(info.value)


def test_permission_denied(monkeypatch, tmp_path):
    path = write(Image.fromarray(RAMP), tmp_path / "locked.png")

    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", path)

    # Running as root makes chmod useless, so the refusal is simulated where the file is opened.
    monkeypatch.setattr(userfile.os, "open", denied)
    with pytest.raises(ImageError, match="permission denied") as info:
        load_image(path)
    assert_one_sentence(info.value)


def test_other_read_error(monkeypatch, tmp_path):
    path = write(Image.fromarray(RAMP), tmp_path / "io.png")

    def broken(*args, **kwargs):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(userfile.os, "open", broken)
    with pytest.raises(ImageError, match="Input/output error") as info:
        load_image(path)
    assert_one_sentence(info.value)


def test_unicode_path(tmp_path):
    folder = tmp_path / "фото 图像"
    folder.mkdir()
    path = folder / "café ☕.png"
    write(Image.fromarray(RAMP), path)
    np.testing.assert_array_equal(load_image(path), u8(RAMP))
    assert read_image_info(path) == ImageInfo(16, 16, "L", "PNG", 1)
    save_image(folder / "résultat.npy", RAMP / 3)
    np.testing.assert_array_equal(np.load(folder / "résultat.npy"), (RAMP / 3).astype(np.float32))


def test_read_image_info_does_not_decode(monkeypatch, tmp_path):
    path = write(Image.fromarray(rgb_pattern()), tmp_path / "i.jpg")
    no_decoding(monkeypatch)
    info = read_image_info(path)
    assert info == ImageInfo(width=12, height=8, mode="RGB", format="JPEG", frames=1)
    assert info.pixels == 96


def test_read_image_info_errors(tmp_path):
    for bad in (tmp_path / "missing.png", tmp_path):
        with pytest.raises(ImageError):
            read_image_info(bad)


# --------------------------------------------------------------------------------------------
# Fuzz: a damaged file is a clean array or an ImageError, never anything else


def _seed_bytes(fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb_pattern(12, 10)).save(buf, format=fmt)
    return buf.getvalue()


SEEDS = {"PNG": _seed_bytes("PNG"), "JPEG": _seed_bytes("JPEG")}

mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 10**6), st.integers(1, 255)),
    st.tuples(st.just("insert"), st.integers(0, 10**6), st.integers(0, 255)),
    st.tuples(st.just("truncate"), st.integers(0, 10**6), st.just(0)),
)


def mutate(data: bytes, ops) -> bytes:
    buf = bytearray(data)
    for kind, pos, value in ops:
        if not buf:
            break
        i = pos % len(buf)
        if kind == "flip":
            buf[i] ^= value
        elif kind == "insert":
            buf.insert(i, value)
        else:
            del buf[i:]
    return bytes(buf)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(fmt=st.sampled_from(sorted(SEEDS)), ops=st.lists(mutation, min_size=1, max_size=4))
def test_fuzzed_files_load_cleanly_or_raise_image_error(tmp_path, fmt, ops):
    path = tmp_path / "fuzz.img"
    path.write_bytes(mutate(SEEDS[fmt], ops))
    try:
        out = load_image(path)
    except ImageError as exc:
        assert_one_sentence(exc)
        return
    assert out.dtype == np.float32 and out.ndim in (2, 3)
    assert np.all(np.isfinite(out)) and out.min() >= 0 and out.max() <= 1


# --------------------------------------------------------------------------------------------
# Saving


MAP = np.array([[-1.5, -0.25, 0.0], [0.25, 0.5, 2.0]], np.float32)


def test_npy_exact(tmp_path):
    save_image(tmp_path / "m.npy", MAP)
    back = np.load(tmp_path / "m.npy")
    assert back.dtype == np.float32
    np.testing.assert_array_equal(back, MAP)


def test_npy_ignores_display(tmp_path):
    save_image(tmp_path / "m.npy", MAP, display="minmax")
    np.testing.assert_array_equal(np.load(tmp_path / "m.npy"), MAP)


@pytest.mark.parametrize("ext", [".tif", ".tiff", ".TIF"])
def test_float_tiff_round_trip_2d(tmp_path, ext):
    path = tmp_path / f"m{ext}"
    save_image(path, MAP)
    assert pil(path).mode == "F"
    np.testing.assert_array_equal(load_image(path), MAP)


def test_float_tiff_round_trip_colour(tmp_path):
    values = np.random.default_rng(1).normal(size=(7, 5, 3)).astype(np.float32)
    save_image(tmp_path / "c.tif", values)
    back = load_image(tmp_path / "c.tif")
    assert back.dtype == np.float32
    np.testing.assert_array_equal(back, values)


def test_float64_input_saved_as_float32(tmp_path):
    save_image(tmp_path / "d.npy", MAP.astype(np.float64) / 3)
    assert np.load(tmp_path / "d.npy").dtype == np.float32


@pytest.mark.parametrize("mapping", MAPPINGS)
def test_png_goes_through_display_mapping(tmp_path, mapping):
    path = tmp_path / f"{mapping}.png"
    save_image(path, MAP, display=mapping)
    expected = to_uint8(MAP, mapping)
    np.testing.assert_array_equal(np.asarray(pil(path)), expected)


def test_png_default_is_clip(tmp_path):
    save_image(tmp_path / "d.png", MAP)
    np.testing.assert_array_equal(np.asarray(pil(tmp_path / "d.png")), [[0, 0, 0], [64, 128, 255]])


def test_png_colour_map(tmp_path):
    from filterstudio.core import display

    name = next(iter(display.COLORMAPS))
    save_image(tmp_path / "cm.png", MAP, display="minmax", colormap=name)
    expected = to_uint8(MAP, "minmax", colormap=name)
    np.testing.assert_array_equal(np.asarray(pil(tmp_path / "cm.png")), expected)


def test_tiff_with_display_is_8bit(tmp_path):
    save_image(tmp_path / "m.tif", MAP, display="offset")
    im = pil(tmp_path / "m.tif")
    assert im.mode == "L"
    np.testing.assert_array_equal(np.asarray(im), to_uint8(MAP, "offset"))


@pytest.mark.parametrize("ext", [".png", ".bmp", ".webp", ".jpg", ".jpeg"])
def test_8bit_colour_round_trip(tmp_path, ext):
    rgb = u8(rgb_pattern(16, 16))
    save_image(tmp_path / f"c{ext}", rgb)
    back = load_image(tmp_path / f"c{ext}")
    assert back.shape == rgb.shape
    tolerance = 0.1 if ext in (".jpg", ".jpeg") else 0
    assert np.abs(back - rgb).max() <= tolerance


def test_unknown_extension(tmp_path):
    with pytest.raises(ImageError, match=r"\.png.*\.npy") as info:
        save_image(tmp_path / "m.xyz", MAP)
    assert "'.xyz'" in str(info.value)
    assert_one_sentence(info.value)
    with pytest.raises(ImageError, match="no extension"):
        save_image(tmp_path / "m", MAP)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("bad", [np.zeros((2, 3, 4)), np.zeros(5), np.zeros((0, 3)), ["a", "b"]])
def test_not_a_picture_array(tmp_path, bad):
    with pytest.raises(ImageError) as info:
        save_image(tmp_path / "m.npy", bad)
    assert_one_sentence(info.value)


def test_overwrite_false_refuses_existing(tmp_path):
    path = tmp_path / "m.npy"
    path.write_bytes(b"precious")
    with pytest.raises(ImageError, match="already exists") as info:
        save_image(path, MAP, overwrite=False)
    assert_one_sentence(info.value)
    assert path.read_bytes() == b"precious"
    save_image(path, MAP)  # overwrite=True by default
    np.testing.assert_array_equal(np.load(path), MAP)


def test_missing_folder(tmp_path):
    with pytest.raises(ImageError, match="does not exist") as info:
        save_image(tmp_path / "no" / "such" / "m.png", MAP)
    assert_one_sentence(info.value)


def test_saving_onto_a_folder(tmp_path):
    (tmp_path / "d.png").mkdir()
    with pytest.raises(ImageError, match="folder"):
        save_image(tmp_path / "d.png", MAP)


def test_new_file_has_ordinary_permissions(tmp_path):
    before = os.umask(0o027)  # not the usual one, so the file's mode must come from it
    try:
        save_image(tmp_path / "m.png", MAP)
    finally:
        os.umask(before)
    assert os.stat(tmp_path / "m.png").st_mode & 0o777 == 0o640


def test_overwriting_keeps_the_file_mode(tmp_path):
    path = tmp_path / "m.npy"
    path.write_bytes(b"x")
    os.chmod(path, 0o640)
    save_image(path, MAP)
    assert os.stat(path).st_mode & 0o777 == 0o640


@pytest.fixture
def existing(tmp_path):
    path = tmp_path / "keep.png"
    save_image(path, MAP)
    return path, path.read_bytes(), sorted(os.listdir(tmp_path))


def assert_untouched(existing) -> None:
    path, data, listing = existing
    assert path.read_bytes() == data
    assert sorted(os.listdir(path.parent)) == listing  # no temporary file left behind


def test_failing_encoder_leaves_old_file_and_no_temp(monkeypatch, tmp_path):
    # BMP is encoded by Pillow straight into the temporary file.
    path = tmp_path / "keep.bmp"
    save_image(path, MAP)
    existing = path, path.read_bytes(), sorted(os.listdir(tmp_path))

    def half_then_fail(self, fp, format=None, **params):
        with open(fp, "wb") as f:
            f.write(b"BM half a picture")
        raise RuntimeError("encoder exploded")

    monkeypatch.setattr(Image.Image, "save", half_then_fail)
    with pytest.raises(ImageError, match="encoder exploded") as info:
        save_image(path, MAP * 0 + 1)
    assert_one_sentence(info.value)
    assert_untouched(existing)


@pytest.mark.parametrize("failure", ["raises", "returns false"])
def test_opencv_encoder_refusing_leaves_old_file_and_no_temp(monkeypatch, tmp_path, failure):
    import cv2

    path = tmp_path / "keep.jpg"
    save_image(path, MAP)
    existing = path, path.read_bytes(), sorted(os.listdir(tmp_path))

    def refuse(ext, img, params=None):
        if failure == "raises":
            raise cv2.error("encoder exploded")
        return False, None

    monkeypatch.setattr(cv2, "imencode", refuse)
    with pytest.raises(ImageError, match="JPEG encoder refused") as info:
        save_image(path, MAP * 0 + 1)
    assert_one_sentence(info.value)
    assert_untouched(existing)


def test_disk_full(monkeypatch, existing):
    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(imageio.os, "fsync", full)
    with pytest.raises(ImageError, match="disk is full") as info:
        save_image(existing[0], MAP * 0)
    assert_one_sentence(info.value)
    assert_untouched(existing)


def test_read_only_folder_at_temp_creation(monkeypatch, existing):
    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    # As root chmod does not stop writes, so the folder's refusal is simulated.
    monkeypatch.setattr(atomic.os, "open", denied)
    with pytest.raises(ImageError, match="permission denied") as info:
        save_image(existing[0], MAP * 0)
    assert_one_sentence(info.value)
    assert_untouched(existing)


def test_read_only_at_rename(monkeypatch, existing):
    def denied(src, dst):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(imageio.os, "replace", denied)
    with pytest.raises(ImageError, match="permission denied"):
        save_image(existing[0], MAP * 0)
    assert_untouched(existing)


def test_other_write_error(monkeypatch, existing):
    def broken(src, dst):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(imageio.os, "replace", broken)
    with pytest.raises(ImageError, match="Input/output error") as info:
        save_image(existing[0], MAP * 0)
    assert_one_sentence(info.value)
    assert_untouched(existing)


def test_bad_mapping_is_refused_before_writing(tmp_path):
    with pytest.raises(ValueError):
        save_image(tmp_path / "m.png", MAP, display="sideways")
    assert os.listdir(tmp_path) == []


# --------------------------------------------------------------------------------------------
# atomic_write itself


def test_atomic_write_success(tmp_path):
    target = tmp_path / "out.bin"
    with atomic_write(target) as tmp:
        assert os.path.dirname(tmp) == str(tmp_path)
        assert tmp.endswith(".bin") and tmp != str(target)
        with open(tmp, "wb") as f:
            f.write(b"new")
        assert not target.exists()
    assert target.read_bytes() == b"new"
    assert os.listdir(tmp_path) == ["out.bin"]


def test_atomic_write_failure_keeps_old(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with pytest.raises(KeyError), atomic_write(target) as tmp:
        with open(tmp, "wb") as f:
            f.write(b"partial")
        raise KeyError("stop")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["out.bin"]


def test_atomic_write_no_overwrite(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with pytest.raises(FileExistsError), atomic_write(target, overwrite=False):
        pass
    assert target.read_bytes() == b"old"
    with atomic_write(tmp_path / "new.bin", overwrite=False) as tmp, open(tmp, "wb") as f:
        f.write(b"fresh")
    assert (tmp_path / "new.bin").read_bytes() == b"fresh"
    assert sorted(os.listdir(tmp_path)) == ["new.bin", "out.bin"]


def test_atomic_write_no_overwrite_race(tmp_path):
    target = tmp_path / "out.bin"
    with pytest.raises(FileExistsError), atomic_write(target, overwrite=False) as tmp:
        with open(tmp, "wb") as f:
            f.write(b"mine")
        target.write_bytes(b"theirs")  # appears while we write
    assert target.read_bytes() == b"theirs"
    assert os.listdir(tmp_path) == ["out.bin"]


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux's /proc")
def test_a_folder_that_takes_no_files_is_not_called_missing():
    with pytest.raises(ImageError, match="takes no new files") as info:
        save_image("/proc/filterstudio-test.png", MAP)
    assert_one_sentence(info.value)


@pytest.mark.parametrize(
    ("mode", "alpha"), [("RGBA", True), ("LA", True), ("RGB", False), ("L", False)]
)
def test_the_header_says_whether_transparency_will_be_dropped(tmp_path, mode, alpha):
    path = tmp_path / f"{mode}.png"
    Image.new(mode, (5, 4)).save(path)
    assert read_image_info(path).alpha is alpha


def test_a_palette_with_a_transparent_colour_counts_as_transparency(tmp_path):
    path = tmp_path / "p.png"
    Image.new("P", (5, 4)).save(path, transparency=0)
    assert read_image_info(path).alpha is True
    Image.new("P", (5, 4)).save(tmp_path / "q.png")
    assert read_image_info(tmp_path / "q.png").alpha is False
