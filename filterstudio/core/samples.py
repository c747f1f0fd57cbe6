"""The generated sample photo and the small binary lesson images."""

from __future__ import annotations

import difflib
import functools
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .readonly import read_only_copy

__all__ = [
    "LESSON_IMAGES",
    "SAMPLES",
    "LessonImage",
    "load_sample",
    "sample_photo",
]

_SUPERSAMPLE = 2  # drawn at twice the size and averaged down, for clean anti-aliased edges
_SEED = 20240611


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError, ImportError):  # Pillow without FreeType: the small bitmap font
        return ImageFont.load_default()


def _sky(h: int, w: int) -> np.ndarray:
    """Sky gradient, deep blue at the top to pale haze at the horizon, with the sun's glow."""
    t = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None, None]
    top = np.array([38, 92, 180], dtype=np.float32)
    horizon = np.array([214, 228, 240], dtype=np.float32)
    sky = top + (horizon - top) * t**0.8
    sky = np.broadcast_to(sky, (h, w, 3)).copy()
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cy, cx = 0.16 * h, 0.80 * w
    r = np.hypot(yy - cy, xx - cx) / (0.35 * w)
    glow = np.exp(-(r**2) * 3.0)[:, :, None] * np.array([70, 55, 10], dtype=np.float32)
    return np.clip(sky + glow, 0, 255)


def _draw_scene(h: int, w: int) -> Image.Image:
    img = Image.fromarray(_sky(h, w).astype(np.uint8), "RGB")
    d = ImageDraw.Draw(img)

    def p(x: float, y: float) -> tuple[float, float]:
        return x * w, y * h

    u = min(w, h)  # unit for round things, so circles stay round at any aspect ratio

    # Sun: a hard-edged disc (a ring under any edge detector).
    sr = 0.07 * u
    sx, sy = p(0.80, 0.16)
    d.ellipse([sx - sr, sy - sr, sx + sr, sy + sr], fill=(255, 236, 150))

    # Two rows of hills, the far one hazier.
    far = [
        p(x, 0.50 + 0.045 * math.sin(7.0 * x + 0.6) + 0.02 * math.sin(17 * x))
        for x in np.linspace(0, 1, 80)
    ]
    d.polygon(far + [p(1, 1), p(0, 1)], fill=(118, 152, 150))
    near = [p(x, 0.60 + 0.035 * math.sin(4.0 * x + 2.2)) for x in np.linspace(0, 1, 80)]
    d.polygon(near + [p(1, 1), p(0, 1)], fill=(86, 140, 62))

    # A road running to the horizon: two long diagonal edges and a dashed centre line.
    d.polygon([p(0.53, 0.60), p(0.57, 0.60), p(0.74, 1.0), p(0.38, 1.0)], fill=(92, 92, 98))
    for i in range(7):
        a, b = i / 7 + 0.03, i / 7 + 0.09
        d.line(
            [p(0.55 + 0.01 * a, 0.60 + 0.40 * a), p(0.55 + 0.01 * b, 0.60 + 0.40 * b)],
            fill=(240, 232, 200),
            width=max(1, int(0.004 * w * (1 + 2 * a))),
        )

    # A tree: round canopy, straight trunk.
    tx = 0.45
    d.rectangle([p(tx - 0.008, 0.45), p(tx + 0.008, 0.64)], fill=(84, 56, 36))
    cr = 0.085 * u
    cx, cy = p(tx, 0.45)
    d.ellipse([cx - cr, cy - cr, cx + cr, cy + cr], fill=(46, 104, 48))
    d.ellipse([cx - 0.5 * cr, cy - 0.7 * cr, cx + 0.2 * cr, cy - 0.05 * cr], fill=(70, 132, 60))

    # The house: a brick wall, a roof with diagonal edges, a door and two cross-barred windows.
    x0, x1, y0, y1 = 0.07, 0.35, 0.47, 0.80
    d.rectangle([p(x0, y0), p(x1, y1)], fill=(170, 84, 60))
    mortar = (214, 200, 184)
    rows = 16
    bh = (y1 - y0) / rows
    lw = max(1, int(0.0025 * h))
    for r in range(rows + 1):
        d.line([p(x0, y0 + r * bh), p(x1, y0 + r * bh)], fill=mortar, width=lw)
    bw = (x1 - x0) / 7
    for r in range(rows):
        shift = 0.5 * bw if r % 2 else 0.0
        x = x0 + shift
        while x < x1 - 1e-6:
            if x > x0 + 1e-6:
                d.line([p(x, y0 + r * bh), p(x, y0 + (r + 1) * bh)], fill=mortar, width=lw)
            x += bw
    d.polygon([p(x0 - 0.03, y0), p((x0 + x1) / 2, 0.30), p(x1 + 0.03, y0)], fill=(120, 40, 36))
    d.rectangle([p(0.285, 0.31), p(0.31, 0.41)], fill=(90, 70, 66))  # chimney
    d.rectangle([p(0.18, 0.63), p(0.24, y1)], fill=(72, 46, 28))  # door
    kr = 0.006 * u
    kx, ky = p(0.228, 0.72)
    d.ellipse([kx - kr, ky - kr, kx + kr, ky + kr], fill=(230, 200, 90))
    frame = max(2, int(0.006 * w))
    for wx in (0.10, 0.27):
        d.rectangle(
            [p(wx, 0.54), p(wx + 0.055, 0.62)],
            fill=(180, 214, 236),
            outline=(245, 245, 240),
            width=frame,
        )
        d.line([p(wx + 0.0275, 0.54), p(wx + 0.0275, 0.62)], fill=(245, 245, 240), width=frame)
        d.line([p(wx, 0.58), p(wx + 0.055, 0.58)], fill=(245, 245, 240), width=frame)

    # A white picket fence: vertical posts with pointed tops and two horizontal rails.
    fy0, fy1 = 0.68, 0.84
    for rail in (0.72, 0.79):
        d.rectangle([p(0.76, rail), p(1.0, rail + 0.012)], fill=(236, 236, 228))
    post = 0.012
    x = 0.765
    while x < 1.0:
        d.polygon(
            [
                p(x, fy0 + 0.02),
                p(x + post / 2, fy0),
                p(x + post, fy0 + 0.02),
                p(x + post, fy1),
                p(x, fy1),
            ],
            fill=(246, 246, 238),
        )
        x += 0.03

    # A chequered flag: the sharpest corners in the picture.
    d.rectangle([p(0.875, 0.30), p(0.880, 0.68)], fill=(60, 60, 60))
    nx, ny = 6, 4
    fw, fh = 0.09 / nx, 0.08 / ny
    for i in range(ny):
        for j in range(nx):
            color = (20, 20, 20) if (i + j) % 2 else (250, 250, 250)
            d.rectangle(
                [p(0.880 + j * fw, 0.30 + i * fh), p(0.880 + (j + 1) * fw, 0.30 + (i + 1) * fh)],
                fill=color,
            )

    # The title, with a soft shadow so it reads on the sky.
    font = _font(max(8, int(0.085 * h)))
    tx_, ty_ = p(0.04, 0.05)
    off = max(1, int(0.004 * h))
    d.text((tx_ + off, ty_ + off), "Filter Studio", font=font, fill=(20, 40, 80))
    d.text((tx_, ty_), "Filter Studio", font=font, fill=(255, 255, 255))
    return img


@functools.lru_cache(maxsize=4)
def _photo(height: int, width: int) -> np.ndarray:
    big = _draw_scene(height * _SUPERSAMPLE, width * _SUPERSAMPLE)
    small = big.resize((width, height), Image.Resampling.BOX)
    pixels = np.asarray(small, dtype=np.float32) / np.float32(255.0)
    # Film grain: fixed seed, so the picture is the same on every run.
    rng = np.random.default_rng(_SEED)
    grain = rng.normal(0.0, 0.012, size=(height, width, 1)).astype(np.float32)
    pixels = np.clip(pixels + grain, 0.0, 1.0).astype(np.float32)
    pixels.setflags(write=False)
    return pixels


def sample_photo(height: int = 600, width: int = 800) -> np.ndarray:
    """A generated, photo-like scene that shows off blurs and edge detectors.

    Sky gradient, sun, hills, a brick house with a diagonal roof and cross-barred windows,
    a road, a tree, a picket fence, a chequered flag, film grain and the words "Filter Studio".
    The same size always gives the same pixels; results are cached.

    Parameters
    ----------
    height, width : int
        Size in pixels, 16 to 4096 each.

    Returns
    -------
    numpy.ndarray
        Read-only float32 ``(height, width, 3)`` RGB in [0, 1].

    Examples
    --------
    >>> sample_photo(60, 80).shape
    (60, 80, 3)
    """
    h, w = int(height), int(width)
    if not (16 <= h <= 4096 and 16 <= w <= 4096):
        raise ValueError(f"The sample photo is 16 to 4096 pixels a side, not {h}x{w}.")
    return _photo(h, w)


@dataclass(frozen=True, eq=False)
class LessonImage:
    """A tiny binary picture a lesson works through cell by cell."""

    name: str
    title: str
    description: str
    pixels: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "pixels", read_only_copy(self.pixels))


def _vertical_line() -> np.ndarray:
    img = np.zeros((8, 8), dtype=np.float32)
    img[:, 3:5] = 1
    return img


_SMILEY = [
    [0, 0, 0, 0, 0, 0, 0],
    [0, 0, 1, 0, 1, 0, 0],
    [0, 0, 1, 0, 1, 0, 0],
    [0, 0, 0, 0, 0, 0, 0],
    [0, 1, 0, 0, 0, 1, 0],
    [0, 0, 1, 1, 1, 0, 0],
    [0, 0, 0, 0, 0, 0, 0],
]

LESSON_IMAGES: dict[str, LessonImage] = {
    img.name: img
    for img in (
        LessonImage(
            "vertical_line",
            "Vertical line (8x8)",
            "Columns 3 and 4 are lit: try vertical_line and sobel_x on it.",
            _vertical_line(),
        ),
        LessonImage(
            "smiley",
            "Smiley (7x7)",
            "Two eyes and a smile: count which cells a 3x3 pattern matches.",
            _SMILEY,
        ),
        LessonImage(
            "bump",
            "Bump (1x8)",
            "A one-row signal, to see convolution in one dimension with a 1x3 kernel.",
            [[0, 0, 0, 1, 1, 0, 0, 0]],
        ),
        LessonImage(
            "checkerboard",
            "Checkerboard (8x8)",
            "Every pixel differs from its neighbours: blurs turn it grey.",
            np.indices((8, 8)).sum(axis=0) % 2,
        ),
        LessonImage(
            "x",
            "X (7x7)",
            "Two diagonals crossing: diagonal kernels find one stroke each.",
            np.maximum(np.eye(7), np.fliplr(np.eye(7))),
        ),
    )
}

SAMPLES: dict[str, str] = {
    "photo": "Sample photo (generated scene)",
    **{name: img.title for name, img in LESSON_IMAGES.items()},
}


def load_sample(name: str) -> np.ndarray:
    """The pixels of the sample called ``name`` (a key of :data:`SAMPLES`).

    Returns
    -------
    numpy.ndarray
        Read-only float32: ``(600, 800, 3)`` for ``"photo"``, the 0/1 grid for a lesson image.

    Examples
    --------
    >>> load_sample("bump").tolist()
    [[0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0]]
    """
    key = "_".join(str(name).strip().lower().replace("-", " ").replace("_", " ").split())
    if key == "photo":
        return sample_photo()
    if key in LESSON_IMAGES:
        return LESSON_IMAGES[key].pixels
    close = difflib.get_close_matches(key, list(SAMPLES), n=1, cutoff=0.5)
    hint = f"the closest is {close[0]!r}" if close else f"the samples are {', '.join(SAMPLES)}"
    raise ValueError(f"There is no sample called {name!r}; {hint}.")
