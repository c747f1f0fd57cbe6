"""What the two lesson canvases share: a step drawn to the widget's size, its fonts, its frame.

:class:`~.lesson_canvas.LessonCanvas` (a first-stage lesson) and
:class:`~.scene_canvas.SceneCanvas` (a later stage's) both take the room they are given, never
the keyboard focus (the lesson around them steps on keys), and frame the drawing while that
lesson has the focus.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase, QPainter, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget


class StepCanvas(QWidget):
    """A drawing of one lesson step, scaled to the widget.

    Signals
    -------
    cellClicked(int, int)
        An output cell was clicked.
    """

    cellClicked = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._step = 0
        self._focus_shown = False
        self._mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont).family()
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setMinimumSize(360, 260)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_focus_shown(self, on: bool) -> None:
        """Frame the drawing: the lesson around it has the keyboard focus (its keys step)."""
        if self._focus_shown != bool(on):
            self._focus_shown = bool(on)
            self.update()

    def _font(self, px: float, *, bold: bool = False, mono: bool = False) -> QFont:
        """The widget's font (or the fixed-width one) ``px`` pixels high."""
        font = QFont(self._mono) if mono else QFont(self.font())
        font.setPixelSize(max(1, round(px)))
        font.setBold(bold)
        return font

    def _draw_focus(self, p: QPainter) -> None:
        """The focus frame, when it is shown, drawn last over the step."""
        if self._focus_shown:
            p.setPen(QPen(self.palette().color(QPalette.ColorRole.Highlight), 3))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(QRectF(self.rect()).adjusted(1.5, 1.5, -1.5, -1.5))
