"""A stage lesson's steps as pictures: every :class:`~.stage_lesson_scene.Scene` drawn with Pillow.

All frames of one lesson share one size (the largest step's), so they make one GIF. The
exports themselves (GIF, numbered PNGs, written atomically) are
:mod:`filterstudio.core.lesson_export`'s, which ask :class:`SceneRenderer` for the frames of a
stage lesson. No Qt.
"""

from __future__ import annotations

from PIL import Image, ImageDraw, ImageFont

from .colors import WHITE
from .stage_lesson import StageLessonPlan
from .stage_lesson_scene import Scene, stage_scene

__all__ = ["SceneRenderer"]

_SANS = ("DejaVuSans.ttf", "NotoSans-Regular.ttf", "LiberationSans-Regular.ttf")
_SANS_BOLD = ("DejaVuSans-Bold.ttf", "NotoSans-Bold.ttf", "LiberationSans-Bold.ttf")
_MONO = ("DejaVuSansMono.ttf", "NotoSansMono-Regular.ttf", "LiberationMono-Regular.ttf")


def _font(names: tuple[str, ...], size: int):
    size = max(6, int(size))
    for name in names:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


class SceneRenderer:
    """Draws the frames of a stage lesson: steps ``0 .. n-1``, then the finished map (``None``)."""

    def __init__(self, plan: StageLessonPlan, *, precision: int = 2, cell: int | None = None) -> None:
        self.plan = plan
        self.precision = precision
        self._fonts: dict[tuple, object] = {}
        self._lines = {k: plan.lines(k, precision=precision, times="×")
                       for k in range(plan.step_count)}  # fmt: skip
        probe = stage_scene(plan, 0, lines=self._lines[0])
        side = max(probe.width, 1.0)
        self.cell = int(cell or min(max(900 / side, 18), 44))
        scenes = [stage_scene(plan, k, lines=self._lines[k]) for k in (0, plan.step_count - 1)]
        longest = max(self._lines.values(), key=lambda ls: (len(ls), max(map(len, ls), default=0)))
        scenes.append(stage_scene(plan, 0, lines=longest))
        self._measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
        width = max(self._extent(s)[0] for s in scenes)
        height = max(self._extent(s)[1] for s in scenes)
        self.size = (int(width), int(height))

    def _font_for(self, size: float, bold: bool, mono: bool):
        px = max(6, round(size * self.cell))
        key = (px, bold, mono)
        font = self._fonts.get(key)
        if font is None:
            font = _font(_MONO if mono else _SANS_BOLD if bold else _SANS, px)
            self._fonts[key] = font
        return font

    def _extent(self, scene: Scene) -> tuple[float, float]:
        c = self.cell
        width = scene.width * c
        for t in scene.texts:
            font = self._font_for(t.size, t.bold, t.mono)
            width = max(width, (t.x * c) + self._measure.textlength(t.text, font=font) + c * 0.5)
        return width, scene.height * c

    def render(self, k: int | None) -> Image.Image:
        """Frame of step ``k``; None: the finished map."""
        plan = self.plan
        lines = [] if k is None else self._lines[k]
        scene = stage_scene(plan, k, lines=lines)
        c = self.cell
        img = Image.new("RGB", self.size, WHITE)
        draw = ImageDraw.Draw(img, "RGBA")
        value_font = self._font_for(0.3, False, False)
        for cell in scene.cells:
            box = (cell.x * c, cell.y * c, (cell.x + 1) * c, (cell.y + 1) * c)
            draw.rectangle(box, fill=cell.fill, outline=(160, 160, 160))
            if cell.text:
                font = value_font
                room = c * 0.92
                wide = draw.textlength(cell.text, font=font)
                if wide > room:
                    font = self._font_for(0.3 * room / wide, False, False)
                draw.text(((box[0] + box[2]) / 2, (box[1] + box[3]) / 2), cell.text, font=font,
                          fill=cell.ink, anchor="mm")  # fmt: skip
        for f in scene.frames:
            box = (f.x * c, f.y * c, (f.x + f.w) * c, (f.y + f.h) * c)
            if f.fill is not None:
                draw.rectangle(box, fill=f.fill)
            draw.rectangle(box, outline=f.color, width=max(1, round(f.width)))
        for s in scene.segments:
            self._segment(draw, s)
        for t in scene.texts:
            draw.text((t.x * c, t.y * c), t.text, font=self._font_for(t.size, t.bold, t.mono),
                      fill=t.ink, anchor="ls")  # fmt: skip
        return img

    def _segment(self, draw: ImageDraw.ImageDraw, s) -> None:
        c = self.cell
        x0, y0, x1, y1 = s.x0 * c, s.y0 * c, s.x1 * c, s.y1 * c
        width = max(1, round(s.width))
        if not s.dashed:
            draw.line((x0, y0, x1, y1), fill=s.color, width=width)
            return
        length = max(((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5, 1e-9)
        dash = 6.0
        n = int(length // (2 * dash)) + 1
        for q in range(n):
            a = (2 * q * dash) / length
            b = min((2 * q + 1) * dash / length, 1.0)
            if a >= 1:
                break
            draw.line((x0 + (x1 - x0) * a, y0 + (y1 - y0) * a, x0 + (x1 - x0) * b,
                       y0 + (y1 - y0) * b), fill=s.color, width=width)  # fmt: skip
