"""Draw Filter Studio's application icon: a 3x3 kernel laid over a picture, one PNG per size.

``python resources/make_icon.py`` writes ``filterstudio/resources/icon-<size>.png`` for each of
:data:`SIZES`, the copies the package installs and the window shows. Each size is laid out on
its own whole-pixel grid (lines one or more pixels wide, on pixel edges) and drawn four times
larger, then reduced by averaging, so lines stay sharp and only the round corners and the sun
are smoothed: crisp from 16 to 256 pixels.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw

from filterstudio.resources import ICON_SIZES

SIZES = ICON_SIZES
OUT = Path(__file__).resolve().parent.parent / "filterstudio" / "resources"

BACKGROUND = (28, 38, 60, 255)
SKY = (96, 170, 232, 255)
GROUND = (70, 150, 62, 255)
SUN = (255, 214, 90, 255)
GRID = (255, 255, 255, 255)
WINDOW = (214, 40, 58, 255)  # the kernel window's frame, as the lesson draws it
CENTRE = (214, 40, 58, 170)  # the centre weight, tinted like a positive weight of the editor
SUPER = 4


def _layout(size: int) -> dict[str, int]:
    """Whole-pixel geometry of the icon at ``size`` pixels: the kernel covers the middle of
    the picture, a little to the lower right, leaving sky, sun and ground around it."""
    margin = max(1, round(size * 0.04))
    line = max(1, round(size / 48))
    frame = max(1, round(size / 22))
    cell = max(2, (round(size * 0.64) - 2 * frame - 2 * line) // 3)
    grid = 3 * cell + 2 * line + 2 * frame
    shift = round(size * 0.07)
    left = min((size - grid) // 2 + shift, size - margin - grid)
    top = min((size - grid) // 2 + shift, size - margin - grid)
    return {
        "margin": margin, "line": line, "frame": frame, "cell": cell, "grid": grid,
        "left": left, "top": top, "radius": max(2, round(size * 0.18)),
        "horizon": round(size * 0.6),
    }  # fmt: skip


def _rect(d: ImageDraw.ImageDraw, x0: int, y0: int, x1: int, y1: int, fill) -> None:
    """Fill whole pixels ``[x0, x1) x [y0, y1)`` of the icon on the enlarged canvas."""
    s = SUPER
    d.rectangle((x0 * s, y0 * s, x1 * s - 1, y1 * s - 1), fill=fill)


def draw_icon(size: int) -> Image.Image:
    """The icon at ``size`` x ``size`` pixels, RGBA."""
    g = _layout(size)
    s = SUPER
    m, r = g["margin"], g["radius"]
    edge = max(1, round(size / 32))  # the dark rim around the picture
    canvas = (size * s, size * s)
    # The rounded square: a dark rim, and inside it the picture (sky, ground, a sun).
    base = Image.new("RGBA", canvas, (0, 0, 0, 0))
    outer = (m * s, m * s, (size - m) * s - 1, (size - m) * s - 1)
    ImageDraw.Draw(base).rounded_rectangle(outer, radius=r * s, fill=BACKGROUND)
    picture = Image.new("RGBA", canvas, SKY)
    p = ImageDraw.Draw(picture)
    _rect(p, 0, g["horizon"], size, size, GROUND)
    if size >= 24:
        sun_r = size * 0.11
        cx, cy = m + size * 0.22, m + size * 0.22
        p.ellipse(((cx - sun_r) * s, (cy - sun_r) * s, (cx + sun_r) * s, (cy + sun_r) * s),
                  fill=SUN)  # fmt: skip
    mask = Image.new("L", canvas, 0)
    inner = ((m + edge) * s, (m + edge) * s, (size - m - edge) * s - 1, (size - m - edge) * s - 1)
    ImageDraw.Draw(mask).rounded_rectangle(inner, radius=max(1, r - edge) * s, fill=255)
    base.paste(picture, (0, 0), mask)
    # The kernel over it: a red window frame, white lines between three by three cells that
    # let the picture through, the centre weight tinted.
    over = Image.new("RGBA", canvas, (0, 0, 0, 0))
    d = ImageDraw.Draw(over)
    left, top, cell, line, frame, grid = (
        g["left"], g["top"], g["cell"], g["line"], g["frame"], g["grid"]
    )  # fmt: skip
    right, bottom = left + grid, top + grid
    _rect(d, left, top, right, top + frame, WINDOW)
    _rect(d, left, bottom - frame, right, bottom, WINDOW)
    _rect(d, left, top, left + frame, bottom, WINDOW)
    _rect(d, right - frame, top, right, bottom, WINDOW)
    for k in (1, 2):
        at = frame + k * cell + (k - 1) * line
        _rect(d, left + at, top + frame, left + at + line, bottom - frame, GRID)
        _rect(d, left + frame, top + at, right - frame, top + at + line, GRID)
    c0 = frame + cell + line
    _rect(d, left + c0, top + c0, left + c0 + cell, top + c0 + cell, CENTRE)
    return Image.alpha_composite(base, over).reduce(SUPER)


def main(folder: Path = OUT) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for size in SIZES:
        path = folder / f"icon-{size}.png"
        draw_icon(size).save(path, optimize=True)
        written.append(path)
    return written


if __name__ == "__main__":
    for p in main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT):
        print(p)
