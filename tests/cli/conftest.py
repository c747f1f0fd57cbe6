"""Fixtures shared by the command-line tests."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image


@pytest.fixture
def photo(tmp_path) -> str:
    y, x = np.mgrid[0:12, 0:10]
    rgb = np.stack([x * 25, y * 20, ((x * y) % 7) * 36], axis=2).astype(np.uint8)
    path = tmp_path / "photo.png"
    Image.fromarray(rgb).save(path)
    return str(path)
