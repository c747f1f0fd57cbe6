"""A picture opened from a file is held once: the decoded pixels themselves, not a copy."""

from __future__ import annotations

import numpy as np
from PIL import Image

from filterstudio.core import imageio


def test_an_opened_picture_keeps_the_decoded_pixels(window, tmp_path, monkeypatch):
    path = tmp_path / "photo.png"
    rgb = np.random.default_rng(2).integers(0, 256, (40, 60, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(path)
    decoded = []
    load_image = imageio.load_image

    def spy(*args, **kwargs):
        decoded.append(load_image(*args, **kwargs))
        return decoded[-1]

    monkeypatch.setattr(imageio, "load_image", spy)
    assert window.open_image(str(path))
    (pixels,) = decoded
    assert window.controller.image.pixels is pixels  # no second 137 MB for a 12 MP photo
    assert not pixels.flags.writeable
    np.testing.assert_array_equal(window.controller.image.pixels, rgb / np.float32(255))
