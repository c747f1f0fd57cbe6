"""A lesson as pictures: one frame per step (plus the finished map) as a GIF or numbered PNGs.

A first-stage lesson is drawn here; a later stage's (a pooling window, a sum over maps) by
:mod:`.scene_render`. Both go out through the same writers.

Exports take two optional callables so that a caller on another thread can follow and stop
them (nothing here knows about threads or Qt): ``progress(done, total)`` is called as frames
are made, ``cancelled()`` is asked before each frame and, once it returns True, the export
stops with :class:`ExportCancelled` and leaves no file behind.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .colors import WHITE as _WHITE
from .colors import ink_on, pixel_rgb
from .imageio import atomic_write
from .lesson import LessonPlan
from .lesson_layout import (
    kernel_limit,
    kernel_slices,
    map_cell_rgb,
    map_range,
    place_grids,
    weight_cell_rgb,
    window_cells,
)
from .lesson_numbers import NumberForm
from .lesson_text import step_lines
from .scene_render import SANS, SceneRenderer, pillow_font
from .stage_lesson import StageLessonPlan

_INK = (20, 20, 20)
_GRID = (150, 150, 150)
_WINDOW = (220, 30, 30)
_MATCH = (0, 160, 60)
_PAD_TINT = (255, 226, 190)
_PAD_INK = (150, 80, 0)
_POSITIVE = (40, 90, 200)
_NEGATIVE = (210, 60, 40)
_MAP_HIGH = (20, 40, 120)


#: ``progress(done, total)``: ``done`` of ``total`` frames are made.
Progress = Callable[[int, int], None]
#: ``cancelled()``: True stops the export.
Cancelled = Callable[[], bool]


class ExportCancelled(Exception):
    """The export was stopped by its ``cancelled`` callable; no file was written or replaced."""


def frame_count(plan: LessonPlan) -> int:
    """Frames an export holds: one per step, then the finished feature map (``n_steps + 1``)."""
    return plan.step_count + 1


def frame_file_names(plan: LessonPlan) -> list[str]:
    """The names :func:`export_png_sequence` writes: ``frame_001.png`` ... (at least 3 digits)."""
    n = frame_count(plan)
    digits = max(3, len(str(n)))
    return [f"frame_{k:0{digits}d}.png" for k in range(1, n + 1)]


# A font with the multiplication sign and arrows; Pillow's built-in font has neither.
def _font(size: float) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return pillow_font(SANS, max(8, int(size)))


def _has_symbols(font) -> bool:
    return getattr(font, "getname", lambda: ("",))()[0] != "Aileron"


def _values_text(values: np.ndarray, form: NumberForm) -> str:
    return "\n".join(form.cell_text(float(v)) for v in np.atleast_1d(values))


class FrameRenderer:
    """Lays out a plan once and draws any of its frames."""

    def __init__(self, plan: LessonPlan, *, precision: int = 2) -> None:
        self.plan = plan
        self.precision = precision
        # The numbers as the lesson writes them, exactly where they can be (lesson_numbers).
        self.form = replace(plan.number_form, fallback=precision)
        g = plan.geometry
        ph, pw = plan.padded_image.shape[:2]
        oh, ow = g.out_hw
        kh, kw = plan.kernel.shape[:2]
        self.slices = kernel_slices(plan)
        self.cell = c = int(min(max(560 / max(ph, pw, oh, ow, 1), 22), 48))
        chans = plan.channels
        self.value_font = _font(c * (0.36 if chans == 1 else 0.24))
        self.title_font = _font(max(14, c * 0.42))
        self.eq_font = _font(max(13, min(20, c * 0.4)))
        symbols = _has_symbols(self.eq_font)
        self.times, self.arrow = ("×", "→") if symbols else ("x", "->")
        self.margin = m = 16
        self.title_h = int(self.title_font.size * 1.6) if hasattr(self.title_font, "size") else 24
        grid_top = m * 2 + self.title_h * 2
        self.placement = place_grids(plan, left=m, top=grid_top, cell=c, gap=c // 2)
        self.input_xy = self.placement.input_xy
        self.kernel_xy = self.placement.kernel_xys[0]
        self.map_xy = self.placement.map_xy
        grids_w = self.placement.right + m
        grids_h = grid_top + max(ph, kh, oh) * c
        # The equation of every step, measured once so all frames share one size.
        self.equations = [self._equation(k) for k in range(plan.step_count)]
        probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
        line_h = int(self.eq_font.size * 1.35)
        self.line_h = line_h
        widest = max(
            (probe.textlength(line, font=self.eq_font) for eq in self.equations for line in eq),
            default=0,
        )
        lines = max((len(eq) for eq in self.equations), default=0)
        self.eq_top = grids_h + c // 2 + self.title_h
        self.size = (
            int(max(grids_w, widest + 2 * m, 480)),
            int(self.eq_top + lines * line_h + m),
        )
        self.map_range = map_range(plan)
        self.kernel_limit = kernel_limit(plan)
        self._still: Image.Image | None = None
        self._finished: Image.Image | None = None

    def _equation(self, k: int) -> list[str]:
        return step_lines(
            self.plan, k, precision=self.precision, times=self.times, arrow=self.arrow
        )

    def _cell_box(self, origin: tuple[int, int], r: int, col: int) -> tuple[int, int, int, int]:
        c = self.cell
        x0, y0 = origin[0] + col * c, origin[1] + r * c
        return x0, y0, x0 + c, y0 + c

    def _text_centered(self, draw, box, text, font, fill) -> None:
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        draw.multiline_text((cx, cy), text, font=font, fill=fill, anchor="mm", align="center")

    def render(self, k: int | None) -> Image.Image:
        """Frame of step ``k``; ``None`` gives the finished map without a window.

        What no step changes (titles, the input and kernel grids with their numbers, the empty
        map) is drawn once; each frame copies it, pastes the map cells computed so far from a
        finished map drawn once, and draws only the step's own marks and text.
        """
        if self._still is None:
            self._still, self._finished = self._draw_still()
        plan = self.plan
        g = plan.geometry
        img = self._still.copy()
        draw = ImageDraw.Draw(img)
        m, c = self.margin, self.cell
        n = plan.step_count
        if k is None:
            caption = f"Done: all {n} cells of the feature map are computed."
        else:
            i, j = plan.steps[k]
            caption = f"Step {k + 1} of {n}: output cell ({i}, {j})"
        draw.text((m, m), caption, font=self.title_font, fill=_INK)

        pt, pl = plan.pad_offset
        x0, y0 = self.input_xy
        if k is not None:
            matches = plan.matches(k)
            matched = {(t.y, t.x) for t in matches.taps} if matches else set()
            for _a, _b, y, x, _inside in g.taps(*plan.steps[k]):
                box = self._cell_box(self.input_xy, y + pt, x + pl)
                colour = _MATCH if (y, x) in matched else _WINDOW
                draw.rectangle(box, outline=colour, width=3)
            wx, wy, ww, wh = window_cells(plan, k)
            draw.rectangle(
                (x0 + wx * c - 3, y0 + wy * c - 3, x0 + (wx + ww) * c + 3, y0 + (wy + wh) * c + 3),
                outline=_WINDOW,
                width=3,
            )

        # Feature map filling in: the cells computed so far, from the finished map.
        partial = plan.partial_map(n - 1 if k is None else k)
        done = ~np.isnan(partial).reshape(partial.shape[0], partial.shape[1], -1).any(axis=2)
        for r, col in zip(*np.nonzero(done)):
            bx0, by0, bx1, by1 = self._cell_box(self.map_xy, int(r), int(col))
            img.paste(self._finished.crop((bx0, by0, bx1 + 1, by1 + 1)), (bx0, by0))
        if k is not None:
            i, j = plan.steps[k]
            draw.rectangle(self._cell_box(self.map_xy, i, j), outline=_WINDOW, width=3)

        # The equation of this step.
        if k is not None:
            draw.text(
                (m, self.eq_top - self.title_h), "Products and sum", font=self.title_font, fill=_INK
            )
            for n_line, line in enumerate(self.equations[k]):
                draw.text(
                    (m, self.eq_top + n_line * self.line_h), line, font=self.eq_font, fill=_INK
                )
        return img

    def _draw_still(self) -> tuple[Image.Image, Image.Image]:
        """The frame without anything a step changes, and the same with the finished map."""
        plan = self.plan
        g = plan.geometry
        img = Image.new("RGB", self.size, _WHITE)
        draw = ImageDraw.Draw(img)
        c = self.cell
        title_y = self.input_xy[1] - self.title_h
        draw.text((self.input_xy[0], title_y), "Input image", font=self.title_font, fill=_INK)
        draw.text((self.kernel_xy[0], title_y), "Kernel", font=self.title_font, fill=_INK)
        draw.text((self.map_xy[0], title_y), "Feature map", font=self.title_font, fill=_INK)

        # Input grid, padding tinted with its fill values.
        pt, pl = plan.pad_offset
        ph, pw = plan.padded_image.shape[:2]
        for r in range(ph):
            for col in range(pw):
                vals = plan.padded_image[r, col]
                box = self._cell_box(self.input_xy, r, col)
                inside = pt <= r < pt + g.in_hw[0] and pl <= col < pl + g.in_hw[1]
                fill = pixel_rgb(vals)
                ink = ink_on(fill, _INK)
                if inside:
                    draw.rectangle(box, fill=fill, outline=_GRID)
                else:
                    # Padding: a light cell whose corner swatch shows the fill intensity.
                    ink = _PAD_INK
                    draw.rectangle(box, fill=_PAD_TINT, outline=_GRID)
                    q = max(4, c // 5)
                    draw.rectangle(
                        (box[0] + 2, box[1] + 2, box[0] + 2 + q, box[1] + 2 + q),
                        fill=fill,
                        outline=_PAD_INK,
                    )
                self._text_centered(
                    draw, box, _values_text(vals, self.form), self.value_font, ink
                )
        x0, y0 = self.input_xy
        draw.rectangle(
            (x0 + pl * c, y0 + pt * c, x0 + (pl + g.in_hw[1]) * c, y0 + (pt + g.in_hw[0]) * c),
            outline=_INK,
            width=2,
        )

        # Kernel grid(s): one per channel slice of a depth kernel.
        ky = self.kernel_xy[1]
        names = ("R", "G", "B", "A")
        for s, weights in enumerate(self.slices):
            origin = self.placement.kernel_xys[s]
            for a in range(weights.shape[0]):
                for b in range(weights.shape[1]):
                    box = self._cell_box(origin, a, b)
                    fill = weight_cell_rgb(
                        float(weights[a, b]), self.kernel_limit, _POSITIVE, _NEGATIVE
                    )
                    draw.rectangle(box, fill=fill, outline=_GRID)
                    text = self.form.weight(float(weights[a, b])).text
                    self._text_centered(draw, box, text, self.value_font, _INK)
            if len(self.slices) > 1:
                label_y = ky + weights.shape[0] * c + 4
                draw.text((origin[0], label_y), names[s], font=self.value_font, fill=_INK)

        # The map's cells empty, and (in a second picture) all computed. Each computed cell is
        # drawn on a tile of its own, so its numbers stay inside it whatever the font.
        lo, hi = self.map_range
        oh, ow = g.out_hw
        for r in range(oh):
            for col in range(ow):
                draw.rectangle(
                    self._cell_box(self.map_xy, r, col), fill=(245, 245, 245), outline=_GRID
                )
        finished = img.copy()
        result = plan.result
        for r in range(oh):
            for col in range(ow):
                vals = result[r, col]
                if np.isnan(np.atleast_1d(vals)).any():
                    continue
                fill = map_cell_rgb(vals, lo, hi, _MAP_HIGH)
                tile = Image.new("RGB", (c + 1, c + 1), fill)
                tdraw = ImageDraw.Draw(tile)
                self._text_centered(
                    tdraw,
                    (0, 0, c, c),
                    _values_text(vals, self.form),
                    self.value_font,
                    ink_on(fill, _INK),
                )
                tdraw.rectangle((0, 0, c, c), outline=_GRID)  # over any text at the edge
                bx0, by0, _, _ = self._cell_box(self.map_xy, r, col)
                finished.paste(tile, (bx0, by0))
        return img, finished


def _renderer(plan: LessonPlan | StageLessonPlan, precision: int):
    """Draws a first-stage lesson, or a later stage's (pooling, a sum over maps)."""
    if isinstance(plan, StageLessonPlan):
        return SceneRenderer(plan, precision=precision)
    return FrameRenderer(plan, precision=precision)


def render_frames(
    plan: LessonPlan,
    *,
    precision: int = 2,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> Iterator[Image.Image]:
    """Every frame of the lesson in order: steps ``0 .. n-1``, then the finished map.

    There are :func:`frame_count` ``= n_steps + 1`` frames, all the same size. Frames are drawn
    as they are asked for. ``progress(k, n)`` is called before frame ``k`` is drawn (``k`` frames
    are done) and ``progress(n, n)`` after the last one is taken; ``cancelled()`` is asked before
    each frame and, when it returns True, :class:`ExportCancelled` is raised.
    """
    renderer = _renderer(plan, precision)
    steps: list[int | None] = [*range(plan.step_count), None]
    total = len(steps)
    for done, k in enumerate(steps):
        if cancelled is not None and cancelled():
            raise ExportCancelled("The export was cancelled.")
        if progress is not None:
            progress(done, total)
        yield renderer.render(k)
    if progress is not None:
        progress(total, total)


def render_frame(plan: LessonPlan, k: int | None, *, precision: int = 2) -> Image.Image:
    """One frame: step ``k`` (0-based), or the finished map for ``k=None``."""
    return _renderer(plan, precision).render(k)


def _check_folder(folder: Path, what: str) -> None:
    if not folder.is_dir():
        raise ValueError(f"The {what} cannot be saved: the folder {str(folder)!r} does not exist.")


def _reason(exc: OSError) -> str:
    if isinstance(exc, FileExistsError):
        return "the file already exists"
    return str(exc.strerror or exc).rstrip(".")


def export_gif(
    plan: LessonPlan,
    path: str | os.PathLike,
    *,
    frame_ms: int = 600,
    overwrite: bool = True,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> Path:
    """Write the lesson as an animated GIF that loops: ``n_steps + 1`` frames.

    Frames are drawn one at a time as the GIF is encoded. The file is written beside ``path``
    and renamed over it only once the whole animation is written: a failed or cancelled
    export leaves ``path`` as it was.

    Parameters
    ----------
    plan : LessonPlan
        The lesson to draw.
    path : str or os.PathLike
        The GIF to write.
    frame_ms : int, optional
        How long each step stays on screen; the finished map stays three times as long.
    overwrite : bool, optional
        If False, an existing ``path`` is an error (checked again, without a race, when the new
        file is put in place).
    progress : callable, optional
        ``progress(done, total)`` as frames are made (see :func:`render_frames`).
    cancelled : callable, optional
        Asked before each frame; True stops the export.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ValueError
        When the folder does not exist or cannot be written, or ``path`` exists and
        ``overwrite`` is False.
    ExportCancelled
        When ``cancelled()`` returned True; nothing was written.
    """
    target = Path(path)
    _check_folder(target.parent.resolve(), "GIF")
    if frame_ms < 20:
        raise ValueError("Each frame must stay at least 20 milliseconds.")
    if not overwrite and os.path.lexists(target):
        raise ValueError(f"The GIF was not saved: {str(target)!r} already exists.")
    n = frame_count(plan)
    durations = [int(frame_ms)] * (n - 1) + [int(frame_ms) * 3]
    frames = render_frames(plan, progress=progress, cancelled=cancelled)
    try:
        with atomic_write(target, overwrite=overwrite) as tmp:
            # Pillow draws the rest from the generator while it encodes: one frame at a time.
            next(frames).save(
                tmp,
                format="GIF",
                save_all=True,
                append_images=frames,
                duration=durations,
                loop=0,
                optimize=False,
            )
    except OSError as exc:
        raise ValueError(
            f"The GIF could not be written to {str(target)!r}: {_reason(exc)}."
        ) from exc
    finally:
        frames.close()
    return target


def export_png_sequence(
    plan: LessonPlan,
    folder: str | os.PathLike,
    *,
    overwrite: bool = True,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> list[Path]:
    """Write the lesson as numbered PNG files ``frame_001.png ...``: ``n_steps + 1`` frames.

    Every frame is first written to a temporary file in ``folder``; only when all of them are
    written are they renamed to their names (see :func:`frame_file_names`). A failed or
    cancelled export removes its temporary files and leaves the folder as it was. Files of an
    earlier, longer export in the same folder are left as they are.

    Parameters
    ----------
    plan : LessonPlan
        The lesson to draw.
    folder : str or os.PathLike
        An existing folder.
    overwrite : bool, optional
        If False, an existing frame file is an error and nothing is written.
    progress, cancelled : callable, optional
        As for :func:`export_gif`.

    Returns
    -------
    list of Path
        The files written, in order.

    Raises
    ------
    ValueError
        When the folder does not exist or cannot be written, or a frame file exists and
        ``overwrite`` is False.
    ExportCancelled
        When ``cancelled()`` returned True; nothing was written.
    """
    out_dir = Path(folder)
    _check_folder(out_dir, "pictures")
    targets = [out_dir / name for name in frame_file_names(plan)]
    if not overwrite:
        existing = [t for t in targets if os.path.lexists(t)]
        if existing:
            what = (
                f"{existing[0].name} already exists"
                if len(existing) == 1
                else f"{len(existing)} of its files already exist"
            )
            raise ValueError(f"The pictures were not saved: {what} in {str(out_dir)!r}.")
    frames = render_frames(plan, progress=progress, cancelled=cancelled)
    try:
        # Each atomic_write renames its file when the stack closes without an error, and removes
        # it when one passes through: all frames appear together, or none does.
        with contextlib.ExitStack() as stack:
            for n, frame in enumerate(frames):
                tmp = stack.enter_context(atomic_write(targets[n], overwrite=overwrite))
                frame.save(tmp, format="PNG")
    except OSError as exc:
        raise ValueError(
            f"The frames could not be written to {str(out_dir)!r}: {_reason(exc)}."
        ) from exc
    finally:
        frames.close()
    return targets
