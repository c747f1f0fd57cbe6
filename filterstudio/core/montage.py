"""A slide-ready picture of the input, every feature map and every kernel with its numbers."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .filenames import safe_filename, unique_names  # noqa: F401 - re-exported
from .kernels import format_value
from .sizes import size_label, size_text

#: Width of a montage in pixels: a 1080p slide.
MONTAGE_WIDTH = 1920
#: At most this many pictures side by side; more maps wrap onto further rows.
MAX_COLUMNS = 4
MARGIN = 40
GUTTER = 32
BACKGROUND = (255, 255, 255)
INK = (20, 20, 20)
MUTED = (96, 96, 96)
FRAME = (170, 170, 170)
TITLE_SIZE = 44
LABEL_SIZE = 30
NOTE_SIZE = 22
#: The largest kernel cell drawn, in pixels; big kernels get smaller cells.
MAX_KERNEL_CELL = 88
#: Kernel numbers longer than this are rounded to :data:`KERNEL_DECIMALS` decimals.
KERNEL_TEXT_CHARS = 7
KERNEL_DECIMALS = 3
_CHANNEL_NAMES = ("R", "G", "B", "A")

MapEntry = tuple[str, np.ndarray, np.ndarray]


#: Fonts with wide character coverage, tried in order (Pillow looks in the system's font
#: folders); Pillow's bundled font, which lacks accents and dashes, is the fallback.
FONT_CANDIDATES = (
    "DejaVuSans.ttf",
    "NotoSans-Regular.ttf",
    "LiberationSans-Regular.ttf",
    "segoeui.ttf",
    "arial.ttf",
    "Arial.ttf",
    "Helvetica.ttc",
)


@lru_cache(maxsize=32)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A font at ``size`` pixels: a system font where one is found, else Pillow's own."""
    for name in FONT_CANDIDATES:
        try:
            return ImageFont.truetype(name, size)
        except (ImportError, OSError):
            continue
    try:
        return ImageFont.load_default(size=size)
    except (ImportError, OSError, TypeError):  # Pillow built without FreeType
        return ImageFont.load_default()


def _text_width(font, text: str) -> float:
    return float(font.getlength(text))


def _fit_text(font, text: str, width: float) -> str:
    """``text`` shortened with an ellipsis so that it fits ``width`` pixels."""
    text = " ".join(str(text).split())
    if _text_width(font, text) <= width:
        return text
    lo, hi = 0, len(text)
    while lo < hi:  # the longest prefix that fits together with the ellipsis
        mid = (lo + hi + 1) // 2
        if _text_width(font, text[:mid].rstrip() + "…") <= width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + "…"


def _as_pixels(pixels: np.ndarray, what: str) -> np.ndarray:
    """An 8-bit ``(H, W)`` or ``(H, W, 3)`` array, or ``ValueError`` naming ``what``."""
    arr = np.asarray(pixels)
    if arr.dtype != np.uint8:
        raise ValueError(f"The {what} must be 8-bit pixels (uint8), not {arr.dtype}.")
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    elif arr.ndim == 3 and arr.shape[2] == 4:
        arr = arr[:, :, :3]
    if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] == 3)):
        raise ValueError(
            f"The {what} must be (H, W) or (H, W, 3) pixels; it has shape {tuple(arr.shape)}."
        )
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"The {what} has no pixels.")
    return np.ascontiguousarray(arr)


def _as_kernel(kernel: np.ndarray | None, title: str) -> np.ndarray | None:
    if kernel is None:
        return None
    arr = np.asarray(kernel, dtype=np.float64)
    if arr.ndim not in (2, 3) or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"The kernel of {title!r} must be a 2-D grid or a 3-D grid with depth.")
    return arr


def _fit_picture(pixels: np.ndarray, box_w: int, box_h: int) -> Image.Image:
    """``pixels`` scaled to fit the box: blocky when enlarged (pixels stay visible), smooth
    when reduced."""
    h, w = pixels.shape[:2]
    scale = min(box_w / w, box_h / h)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    img = Image.fromarray(pixels).convert("RGB")
    if scale >= 1:
        # Whole-number enlargement first so every source pixel becomes an equal square.
        whole = max(1, math.floor(scale))
        img = img.resize((w * whole, h * whole), Image.Resampling.NEAREST)
        return img if img.size == size else img.resize(size, Image.Resampling.NEAREST)
    return img.resize(size, Image.Resampling.LANCZOS)


def kernel_text(value: float) -> str:
    """A kernel number for a slide: exact when short (``0.0625``), else rounded (``0.111``)."""
    exact = format_value(value)
    if len(exact) <= KERNEL_TEXT_CHARS or not math.isfinite(value):
        return exact
    text = f"{value:.{KERNEL_DECIMALS}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _cell_colour(value: float, limit: float) -> tuple[int, int, int]:
    """A pale tint for a kernel cell: red for positive, blue for negative, white for zero."""
    if limit <= 0 or value == 0 or not math.isfinite(value):
        return BACKGROUND
    t = min(abs(value) / limit, 1.0) * 0.45
    if value > 0:
        return (255, round(255 * (1 - t)), round(255 * (1 - t)))
    return (round(255 * (1 - t)), round(255 * (1 - t * 0.6)), 255)


@dataclass(frozen=True)
class _KernelLayout:
    """Where a kernel's grid (or grids, one per channel) goes in a cell."""

    planes: tuple[np.ndarray, ...]
    labels: tuple[str, ...]
    cell: int
    font_size: int
    width: int
    height: int


def _kernel_layout(kernel: np.ndarray | None, max_width: int) -> _KernelLayout | None:
    if kernel is None:
        return None
    if kernel.ndim == 2:
        planes: tuple[np.ndarray, ...] = (kernel,)
        labels: tuple[str, ...] = ("",)
    else:
        planes = tuple(kernel[:, :, c] for c in range(kernel.shape[2]))
        labels = tuple(
            _CHANNEL_NAMES[c] if kernel.shape[2] <= 4 else str(c + 1) for c in range(len(planes))
        )
    kh, kw = kernel.shape[:2]
    gap = 14 if len(planes) > 1 else 0
    cols = kw * len(planes)
    cell = int(min(MAX_KERNEL_CELL, (max_width - gap * (len(planes) - 1)) // cols))
    cell = max(cell, 8)
    texts = [kernel_text(float(v)) for p in planes for v in p.ravel()]
    longest = max(texts, key=len)
    # The largest font whose longest number fits a cell with a little air on each side.
    font_size = max(8, int(cell * 0.42))
    while font_size > 8 and _text_width(_font(font_size), longest) > cell - 6:
        font_size -= 1
    label_h = NOTE_SIZE + 6 if len(planes) > 1 else 0
    width = cell * cols + gap * (len(planes) - 1)
    return _KernelLayout(planes, labels, cell, font_size, width, label_h + cell * kh)


def _draw_kernel(draw: ImageDraw.ImageDraw, layout: _KernelLayout, x0: int, y0: int) -> None:
    font = _font(layout.font_size)
    note = _font(NOTE_SIZE)
    limit = max(float(np.max(np.abs(p))) for p in layout.planes)
    cell = layout.cell
    gap = 14 if len(layout.planes) > 1 else 0
    label_h = NOTE_SIZE + 6 if len(layout.planes) > 1 else 0
    x = x0
    for plane, label in zip(layout.planes, layout.labels):
        kh, kw = plane.shape
        if label:
            draw.text((x + kw * cell / 2, y0), label, fill=MUTED, font=note, anchor="mt")
        top = y0 + label_h
        for r in range(kh):
            for c in range(kw):
                v = float(plane[r, c])
                box = (x + c * cell, top + r * cell, x + (c + 1) * cell, top + (r + 1) * cell)
                draw.rectangle(box, fill=_cell_colour(v, limit), outline=FRAME, width=1)
                draw.text(
                    ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2),
                    kernel_text(v),
                    fill=INK,
                    font=font,
                    anchor="mm",
                )
        draw.rectangle((x, top, x + kw * cell, top + kh * cell), outline=INK, width=2)
        x += kw * cell + gap


def render_montage(
    input_pixels_u8: np.ndarray,
    maps: Sequence[MapEntry],
    *,
    title: str | None = None,
) -> np.ndarray:
    """Lay out the input picture and every feature map with its label and kernel, for a slide.

    The montage is :data:`MONTAGE_WIDTH` pixels wide on a white background: an optional title,
    then a grid of at most :data:`MAX_COLUMNS` pictures a row, the input first. Under every map
    are its title, its size, and its kernel drawn as a grid with the numbers in the cells
    (positive cells tinted red, negative blue). Small pictures are enlarged without smoothing so
    that their pixels stay visible.

    Parameters
    ----------
    input_pixels_u8 : numpy.ndarray
        The input picture, ``uint8`` ``(H, W)`` or ``(H, W, 3)``.
    maps : sequence of (str, numpy.ndarray, numpy.ndarray)
        ``(title, pixels, kernel)`` for each map: ``pixels`` as displayed, ``uint8`` grey or RGB;
        ``kernel`` ``(kh, kw)`` or ``(kh, kw, C)`` (one grid a channel), or None for no grid.
    title : str, optional
        A heading across the top.

    Returns
    -------
    numpy.ndarray
        ``uint8`` RGB ``(H, MONTAGE_WIDTH, 3)``.

    Raises
    ------
    ValueError
        A picture that is not 8-bit grey or RGB, or a kernel that is not a 2-D or 3-D grid.

    Examples
    --------
    >>> img = np.zeros((8, 8), np.uint8)
    >>> out = render_montage(img, [("edges", img, np.eye(3))], title="Edges")
    >>> out.shape[1], out.dtype
    (1920, dtype('uint8'))
    """
    entries: list[tuple[str, np.ndarray, np.ndarray | None, str]] = []
    src = _as_pixels(input_pixels_u8, "input picture")
    h, w = src.shape[:2]
    entries.append(("Input", src, None, f"{size_label(h, w)} picture"))
    for i, entry in enumerate(maps, 1):
        try:
            name, pixels, kernel = entry
        except (TypeError, ValueError):
            raise ValueError(f"Map {i} must be a (title, pixels, kernel) triple.") from None
        name = str(name) or f"map {i}"
        arr = _as_pixels(pixels, f"map {name!r}")
        mh, mw = arr.shape[:2]
        k = _as_kernel(kernel, name)
        note = f"{size_text(mh, mw)} map"
        if k is not None:
            size = f"{k.shape[0]}x{k.shape[1]}" + (f"x{k.shape[2]}" if k.ndim == 3 else "")
            note += f", {size} kernel"
        entries.append((name, arr, k, note))

    cols = min(MAX_COLUMNS, len(entries))
    cell_w = (MONTAGE_WIDTH - 2 * MARGIN - GUTTER * (cols - 1)) // cols
    # Pictures keep the input's aspect in a box no taller than it is wide (and not too tall
    # when only one or two cells share the row).
    box_w = cell_w
    aspect = h / w
    box_h = int(min(box_w * min(max(aspect, 0.5), 1.0), 640))
    label_font, note_font = _font(LABEL_SIZE), _font(NOTE_SIZE)
    kernel_w = min(cell_w, MAX_KERNEL_CELL * 15)
    layouts = [_kernel_layout(k, kernel_w) for _, _, k, _ in entries]

    text_h = LABEL_SIZE + 8 + NOTE_SIZE + 12
    rows = [list(range(r, min(r + cols, len(entries)))) for r in range(0, len(entries), cols)]
    row_heights = []
    for row in rows:
        kernel_h = max((layouts[i].height + 14 for i in row if layouts[i] is not None), default=0)
        row_heights.append(box_h + 12 + text_h + kernel_h)
    title_h = TITLE_SIZE + 28 if title else 0
    total_h = MARGIN + title_h + sum(row_heights) + GUTTER * (len(rows) - 1) + MARGIN

    canvas = Image.new("RGB", (MONTAGE_WIDTH, total_h), BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    y = MARGIN
    if title:
        heading = _fit_text(_font(TITLE_SIZE), title, MONTAGE_WIDTH - 2 * MARGIN)
        draw.text((MARGIN, y), heading, fill=INK, font=_font(TITLE_SIZE))
        y += title_h
    for row, row_h in zip(rows, row_heights):
        for slot, i in enumerate(row):
            name, pixels, _, note = entries[i]
            x = MARGIN + slot * (cell_w + GUTTER)
            pic = _fit_picture(pixels, box_w, box_h)
            px = x + (box_w - pic.width) // 2
            py = y + (box_h - pic.height) // 2
            canvas.paste(pic, (px, py))
            draw.rectangle((px - 1, py - 1, px + pic.width, py + pic.height), outline=FRAME)
            ty = y + box_h + 12
            draw.text((x, ty), _fit_text(label_font, name, cell_w), fill=INK, font=label_font)
            ty += LABEL_SIZE + 8
            draw.text((x, ty), _fit_text(note_font, note, cell_w), fill=MUTED, font=note_font)
            layout = layouts[i]
            if layout is not None:
                kx = x + (cell_w - layout.width) // 2
                _draw_kernel(draw, layout, kx, y + box_h + 12 + text_h + 2)
        y += row_h + GUTTER
    return np.asarray(canvas, dtype=np.uint8).copy()
