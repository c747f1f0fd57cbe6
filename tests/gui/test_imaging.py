"""Arrays to QImages and back: shapes, formats, shared memory, lifetime and dropped alpha."""

from __future__ import annotations

import gc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PySide6.QtGui import QColor, QImage

from filterstudio.gui.imaging import array_to_qimage, qimage_to_array


def test_rgb_array_is_wrapped_without_a_copy():
    pixels = np.zeros((3, 4, 3), np.uint8)
    pixels[1, 2] = (255, 10, 0)
    image = array_to_qimage(pixels)
    assert (image.width(), image.height()) == (4, 3)
    assert image.format() == QImage.Format.Format_RGB888
    assert image.pixelColor(2, 1).getRgb()[:3] == (255, 10, 0)
    pixels[0, 0] = (1, 2, 3)  # the image reads the array's own memory
    assert image.pixelColor(0, 0).getRgb()[:3] == (1, 2, 3)


def test_grey_and_rgba_formats():
    grey = np.full((2, 5), 77, np.uint8)
    image = array_to_qimage(grey)
    assert image.format() == QImage.Format.Format_Grayscale8
    assert image.pixelColor(4, 1).getRgb()[:3] == (77, 77, 77)
    rgba = np.zeros((2, 2, 4), np.uint8)
    rgba[0, 1] = (10, 20, 30, 128)
    image = array_to_qimage(rgba)
    assert image.format() == QImage.Format.Format_RGBA8888
    assert image.pixelColor(1, 0).getRgb() == (10, 20, 30, 128)


def test_the_image_keeps_its_array_alive():
    pixels = np.arange(4 * 6 * 3, dtype=np.uint8).reshape(4, 6, 3)
    expected = pixels.copy()
    image = array_to_qimage(pixels)
    del pixels
    gc.collect()
    np.zeros((4, 6, 3), np.uint8) + 200  # new arrays would reuse freed memory
    back, _ = qimage_to_array(image)
    np.testing.assert_array_equal(np.rint(back * 255).astype(np.uint8), expected)


def test_a_strided_array_is_copied_and_a_copy_owns_its_pixels():
    pixels = np.zeros((4, 8), np.uint8)
    pixels[:, ::2] = 200
    image = array_to_qimage(pixels[:, ::2])
    assert image.width() == 4 and image.pixelColor(3, 3).red() == 200
    own = array_to_qimage(pixels, copy=True)
    pixels[:] = 0
    assert own.pixelColor(0, 0).red() == 200


@pytest.mark.parametrize(
    "bad", [np.zeros((3, 4), np.float32), np.zeros((3, 4, 2), np.uint8), np.zeros(5, np.uint8)]
)
def test_other_types_and_shapes_are_refused(bad):
    with pytest.raises(ValueError):
        array_to_qimage(bad)


@settings(max_examples=25, deadline=None)
@given(arrays(np.uint8, st.tuples(st.integers(1, 9), st.integers(1, 9), st.sampled_from([3]))))
def test_rgb_round_trip(pixels):
    back, dropped = qimage_to_array(array_to_qimage(pixels))
    assert back.dtype == np.float32 and back.shape == pixels.shape and not dropped
    np.testing.assert_array_equal(np.rint(back * 255).astype(np.uint8), pixels)


def test_grey_stays_two_dimensional():
    grey = np.array([[0, 128, 255]], np.uint8)
    back, dropped = qimage_to_array(array_to_qimage(grey))
    assert back.shape == (1, 3) and not dropped
    np.testing.assert_allclose(back, [[0, 128 / 255, 1]], atol=1e-7)
    sixteen = QImage(2, 1, QImage.Format.Format_Grayscale16)
    sixteen.fill(QColor(255, 255, 255))
    back, _ = qimage_to_array(sixteen)
    assert back.shape == (1, 2) and np.allclose(back, 1.0)


def test_a_grey_looking_rgb_image_stays_rgb():
    image = QImage(3, 2, QImage.Format.Format_RGB32)
    image.fill(QColor(90, 90, 90))
    back, _ = qimage_to_array(image)
    assert back.shape == (2, 3, 3)


def test_alpha_is_dropped_and_reported_only_when_something_was_transparent():
    opaque = QImage(2, 2, QImage.Format.Format_ARGB32)
    opaque.fill(QColor(255, 0, 0, 255))
    back, dropped = qimage_to_array(opaque)
    assert back.shape == (2, 2, 3) and not dropped
    assert back[0, 0].tolist() == [1.0, 0.0, 0.0]
    see_through = np.zeros((1, 2, 4), np.uint8)
    see_through[0, 1] = (0, 255, 0, 0)
    back, dropped = qimage_to_array(array_to_qimage(see_through))
    assert dropped and back.shape == (1, 2, 3)
    assert back[0, 1].tolist() == [0.0, 1.0, 0.0]  # the colour is kept, not blended


def test_rows_with_padding_are_read_without_it():
    image = QImage(3, 2, QImage.Format.Format_RGB888)  # 9 bytes a row, padded to 12
    assert image.bytesPerLine() > 9
    image.fill(QColor(0, 0, 255))
    back, _ = qimage_to_array(image)
    assert back.shape == (2, 3, 3) and (back[..., 2] == 1).all() and (back[..., :2] == 0).all()


def test_a_null_image_gives_an_empty_array():
    back, dropped = qimage_to_array(QImage())
    assert back.size == 0 and not dropped
