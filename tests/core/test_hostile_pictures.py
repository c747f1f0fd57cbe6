"""Pictures that lie: other formats under picture names, huge claimed sizes, pipes and devices.

Each is refused with one sentence, fast, without decoding, and without starting any program.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFile

from filterstudio.core import imageio
from filterstudio.core.imageio import (
    ImageError,
    ImageTooLarge,
    check_picture_size,
    load_image,
    read_image_info,
    reduced_size,
    sniff_format,
)

sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
import hostile_files as H  # noqa: E402

EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".gif")

# A refusal comes from headers, in milliseconds; this bound only catches a hang or a thrash
# (the files would otherwise decode for minutes), with room for a loaded machine.
HANG_SECONDS = 10


def one_sentence(text: str) -> bool:
    text = str(text)
    return (
        text.endswith(".")
        and "\n" not in text
        and "Traceback" not in text
        and (text[0].isupper() or text[0] == "'")
    )


@pytest.fixture
def no_programs(monkeypatch):
    """Fail the test if anything tries to start another program in this process."""
    started: list[str] = []

    def refuse(name):
        def starter(*args, **kwargs):
            started.append(name)
            raise AssertionError(f"{name} was called: a program was about to be started")

        return starter

    monkeypatch.setattr(subprocess, "Popen", refuse("subprocess.Popen"))
    for name in ("posix_spawn", "posix_spawnp", "fork", "forkpty", "system", "execv", "execve",
                 "execvp", "execvpe", "popen"):
        if hasattr(os, name):
            monkeypatch.setattr(os, name, refuse(f"os.{name}"))
    yield started
    assert started == []


def no_decoding(monkeypatch) -> list[str]:
    decoded: list[str] = []

    def refuse(self, *args, **kwargs):
        decoded.append(type(self).__name__)
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)
    monkeypatch.setattr(imageio, "_decode_opencv", refuse)
    return decoded


# == 1. Only the listed formats, judged by content ================================================


@pytest.mark.parametrize("kind", sorted(H.OTHER_FORMATS))
@pytest.mark.parametrize("ext", EXTENSIONS)
def test_other_formats_under_picture_names_are_refused(tmp_path, no_programs, kind, ext):
    path = tmp_path / f"file{ext}"
    path.write_bytes(H.OTHER_FORMATS[kind])
    started = time.perf_counter()
    for reader in (load_image, read_image_info, sniff_format):
        with pytest.raises(ImageError) as info:
            reader(path)
        assert one_sentence(info.value), info.value
        assert "PNG, JPEG, BMP, TIFF, WebP or GIF" in str(info.value)
    assert time.perf_counter() - started < HANG_SECONDS


@pytest.mark.parametrize(
    ("kind", "named"),
    [("PostScript", "PostScript"), ("EPS", "EPS"), ("PDF", "PDF"), ("Photoshop", "Photoshop"),
     ("ICO", "icon"), ("PPM", "PNM"), ("JPEG 2000", "JPEG 2000"), ("SVG", "SVG")],
)
def test_well_known_formats_are_named(tmp_path, kind, named):
    path = tmp_path / "x.png"
    path.write_bytes(H.OTHER_FORMATS[kind])
    with pytest.raises(ImageError, match=named):
        load_image(path)


@pytest.mark.parametrize(
    ("fmt", "options"),
    [("PNG", {}), ("JPEG", {}), ("BMP", {}), ("TIFF", {}), ("WEBP", {}), ("GIF", {})],
)
def test_sniff_format_names_the_listed_formats_by_content(tmp_path, fmt, options):
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), (10, 20, 30)).save(buf, format=fmt, **options)
    data = buf.getvalue()
    assert sniff_format(data) == fmt
    # The extension says nothing: a PNG named .jpg is a PNG, and it loads.
    path = tmp_path / "misnamed.jpg"
    path.write_bytes(data)
    assert sniff_format(path) == fmt
    assert load_image(path).shape == (4, 4, 3)


def test_sniff_format_refuses_bytes_and_empty_files(tmp_path):
    with pytest.raises(ImageError, match="PostScript"):
        sniff_format(H.postscript_loop())
    (tmp_path / "e.png").write_bytes(b"")
    with pytest.raises(ImageError, match="empty"):
        sniff_format(tmp_path / "e.png")


def test_a_pillow_plugin_outside_the_list_is_never_asked(tmp_path, monkeypatch):
    # Even a file that a listed plugin declines is not passed on to any other plugin.
    from PIL import EpsImagePlugin

    asked: list[str] = []
    monkeypatch.setattr(EpsImagePlugin.EpsImageFile, "_open",
                        lambda self: asked.append("eps") or None)
    path = tmp_path / "e.tif"
    path.write_bytes(H.postscript_loop())
    with pytest.raises(ImageError):
        load_image(path)
    assert asked == []


GHOSTSCRIPT_PROBE = r"""
import os, sys
from filterstudio.core.imageio import ImageError, load_image, read_image_info
try:
    load_image(sys.argv[1])
except ImageError as exc:
    print("refused:", exc)
try:
    read_image_info(sys.argv[1])
except ImageError as exc:
    print("refused:", exc)
"""


@pytest.mark.parametrize("kind", ["PostScript", "EPS", "PDF"])
def test_no_program_is_started_even_with_ghostscript_on_the_path(tmp_path, kind):
    # A fake Ghostscript (and friends) leaves a mark if it is ever run.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    mark = tmp_path / "ran"
    for program in ("gs", "gswin32c", "gswin64c", "convert", "magick", "djpeg", "xdg-open"):
        script = bin_dir / program
        script.write_text(f"#!/bin/sh\necho \"$0\" >> {mark}\nsleep 30\n")
        script.chmod(0o755)
    picture = tmp_path / "photo.png"
    picture.write_bytes(H.OTHER_FORMATS[kind])
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    proc = subprocess.run([sys.executable, "-c", GHOSTSCRIPT_PROBE, str(picture)],
                          capture_output=True, text=True, env=env, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("refused:") == 2
    assert proc.stderr == ""
    assert not mark.exists()


# == 2. The size guard judges the size the decoder will use =======================================


HUGE_HEADERS = {
    "png.png": lambda: H.png_claiming(100_000, 100_000),
    "png16.png": lambda: H.png_claiming(20_000, 20_000, depth=16, colour=2),
    "gif-screen.gif": lambda: H.gif_claiming(65_535, 65_535),
    "gif-frame.gif": lambda: H.gif_claiming(10, 10, 60_000, 60_000),
    "webp.webp": lambda: H.webp_claiming(16_384, 16_384),
    "jpeg.jpg": lambda: H.jpeg_claiming(65_500, 65_500),
    "bmp.bmp": lambda: H.bmp_claiming(100_000, 100_000),
    "tiff.tif": lambda: H.tiff_claiming(12_000, 12_000),
    "tiff-float.tif": lambda: H.tiff_claiming(12_000, 12_000, samples=3, bits=32),
    "tiff-wide.tif": lambda: H.tiff_claiming(4_000_000_000, 1),
}


@pytest.mark.parametrize("name", sorted(HUGE_HEADERS))
def test_huge_claimed_sizes_are_refused_from_the_header(tmp_path, monkeypatch, name):
    data = HUGE_HEADERS[name]()
    assert len(data) < 2000  # small on disk
    path = tmp_path / name
    path.write_bytes(data)
    decoded = no_decoding(monkeypatch)
    started = time.perf_counter()
    for call in (lambda: load_image(path), lambda: load_image(path, reduce_to=1_000_000),
                 lambda: read_image_info(path)):
        with pytest.raises(ImageError) as info:
            call()
        assert not isinstance(info.value, ImageTooLarge)  # a bomb is not offered as a copy
        assert "safe limit" in str(info.value)
        assert one_sentence(info.value)
    assert decoded == []
    assert time.perf_counter() - started < HANG_SECONDS


@pytest.mark.parametrize(("first", "last"), [(12_000, 10), (10, 12_000), (10, 11), (60_000, 4)])
@pytest.mark.parametrize(("samples", "bits"), [(1, 8), (3, 32), (3, 16)])
def test_a_tiff_naming_its_size_twice_is_refused(tmp_path, monkeypatch, first, last, samples,
                                                 bits):
    path = tmp_path / "twice.tif"
    path.write_bytes(H.tiff_with_duplicated_size(first, last, samples=samples, bits=bits))
    decoded = no_decoding(monkeypatch)
    for call in (load_image, read_image_info):
        with pytest.raises(ImageError, match="names tag 256 twice") as info:
            call(path)
        assert one_sentence(info.value)
    assert decoded == []


def test_any_tag_named_twice_is_refused(tmp_path):
    entries = [(256, 3, 1, 4), (257, 3, 1, 4), (258, 3, 1, 8), (258, 3, 1, 16), (259, 3, 1, 1),
               (262, 3, 1, 1), (273, 4, 1, -1), (277, 3, 1, 1), (278, 3, 1, 4), (279, 4, 1, 16)]
    path = tmp_path / "bits.tif"
    path.write_bytes(H.tiff(entries))
    with pytest.raises(ImageError, match="names tag 258 twice"):
        load_image(path)


def test_a_tiff_whose_strips_are_larger_than_the_picture_is_refused(tmp_path):
    path = tmp_path / "strips.tif"
    path.write_bytes(H.tiff_claiming(4000, 4, samples=3, bits=32, rows_per_strip=1 << 30))
    # rows per strip beyond the height are cut to the height, as libtiff does: it loads or is
    # refused as damaged, but never allocates a strip larger than the picture.
    with pytest.raises(ImageError):
        load_image(path)


def test_an_honest_float_tiff_still_loads(tmp_path):
    values = np.random.default_rng(1).random((6, 5, 3)).astype(np.float32)
    imageio.save_image(tmp_path / "f.tif", values)
    np.testing.assert_array_equal(load_image(tmp_path / "f.tif"), values)
    assert read_image_info(tmp_path / "f.tif").width == 5


def test_the_safe_limit_holds_when_pillow_s_is_switched_off(tmp_path, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)
    path = tmp_path / "p.png"
    path.write_bytes(H.png_claiming(100_000, 100_000))
    no_decoding(monkeypatch)
    with pytest.raises(ImageError, match="safe limit"):
        load_image(path, reduce_to=1000)


def test_check_picture_size_for_a_pasted_picture():
    # A pasted picture is judged from its size alone, before it is converted to an array.
    check_picture_size(4000, 3000, claimed=False)
    with pytest.raises(ImageTooLarge) as info:
        check_picture_size(12_000, 12_000, name="The pasted picture", claimed=False)
    assert info.value.width == 12_000 and "pasted picture" in str(info.value)
    assert reduced_size(12_000, 12_000, imageio.DEFAULT_MAX_PIXELS) == (7071, 7071)
    with pytest.raises(ImageError, match="safe limit"):
        check_picture_size(100_000, 100_000, max_pixels=float("inf"))
    with pytest.raises(ImageError, match="no pixels"):
        check_picture_size(0, 10)
    assert reduced_size(10, 10, 1000) is None


# == 5. Pipes, devices and folders are refused before they are opened =============================




@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
@pytest.mark.parametrize("reader", [load_image, read_image_info, sniff_format])
def test_a_named_pipe_is_refused_without_blocking(tmp_path, reader):
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    with pytest.raises(ImageError, match="named pipe") as info:
        H.in_time(lambda: reader(fifo))
    assert one_sentence(info.value)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_devices_and_links_to_them_are_refused(tmp_path):
    link = tmp_path / "zero.png"
    link.symlink_to("/dev/zero")
    for path in ("/dev/zero", link):
        with pytest.raises(ImageError, match="is a device") as info:
            H.in_time(lambda p=path: load_image(p))
        assert one_sentence(info.value)


# == 7. Random bytes: only the project's error, with one sentence =================================


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    prefix=st.sampled_from([b"", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"BM", b"II*\x00",
                            b"MM\x00*", b"II+\x00", b"GIF89a", b"RIFF\x10\x00\x00\x00WEBP"]),
    body=st.binary(max_size=400),
)
def test_random_bytes_give_only_image_errors(tmp_path, prefix, body):
    path = tmp_path / "random.png"
    path.write_bytes(prefix + body)
    for reader in (lambda: load_image(path), lambda: read_image_info(path)):
        try:
            reader()
        except ImageError as exc:
            assert one_sentence(exc), exc


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_damaged_real_pictures_give_only_image_errors(tmp_path, data):
    fmt = data.draw(st.sampled_from(["PNG", "JPEG", "BMP", "TIFF", "WEBP", "GIF"]))
    buf = io.BytesIO()
    noise = np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    Image.fromarray(noise).save(buf, format=fmt)
    raw = bytearray(buf.getvalue())
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, len(raw) - 1))
        raw[at] = data.draw(st.integers(0, 255))
    raw = raw[: data.draw(st.integers(1, len(raw)))]
    path = tmp_path / "damaged.bin"
    path.write_bytes(bytes(raw))
    try:
        load_image(path)
    except ImageError as exc:
        assert one_sentence(exc), exc
