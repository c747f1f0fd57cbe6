"""A one-line text painted in place: new text repaints the line and lays out nothing else.

A ``QLabel`` given new text asks its layout for room again, and that request climbs through
every layout above it (a dock's contents, the main window) on every keystroke of an edit. This
line's height follows its font only and its width is whatever the layout gives it, so changing
its text costs one small repaint; a text too long for the width ends in "…" and the full text
is its tooltip's first line.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

__all__ = ["TextLine"]


class TextLine(QWidget):
    """One line of text that never changes its size hint when its text changes."""

    def __init__(self, parent: QWidget | None = None, *, typical: str = "") -> None:
        """``typical``: a text as wide as the line would like to be (its size hint)."""
        super().__init__(parent)
        self._typical = typical
        self._text = ""
        self._tip = ""
        self.setMinimumWidth(1)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

    def text(self) -> str:
        return self._text

    def setText(self, text: str) -> None:  # noqa: N802 - QLabel's name, for callers
        if text == self._text:
            return
        self._text = text
        self.setAccessibleName(text)  # what a screen reader would have read from a label
        self._show_tip()
        self.update()

    def setToolTip(self, tip: str) -> None:  # noqa: N802 - Qt's name
        self._tip = tip
        self._show_tip()

    def _show_tip(self) -> None:
        whole = self.fontMetrics().horizontalAdvance(self._text) <= self.width()
        tip = self._tip if whole or not self._text else f"{self._text}\n{self._tip}".strip()
        super().setToolTip(tip)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._show_tip()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        fm = self.fontMetrics()
        return QSize(fm.horizontalAdvance(self._typical), fm.height() + 4)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(1, self.fontMetrics().height() + 4)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole() or QPalette.ColorRole.WindowText))
        rect = self.contentsRect()
        shown = self.fontMetrics().elidedText(self._text, Qt.TextElideMode.ElideRight, rect.width())
        painter.drawText(
            rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), shown
        )
        painter.end()
