"""The small parts of a map panel: title and stats labels, histogram, colour bar, frame."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QFontMetrics,
    QImage,
    QPainter,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import QFrame, QLabel, QSizePolicy, QWidget

from filterstudio.core import display
from filterstudio.gui.imaging import array_to_qimage

from .map_style import BACKGROUND, format_value

#: The selected panel's frame.
ACCENT = QColor(45, 140, 255)
NEGATIVE_BAR = QColor(96, 150, 220)
POSITIVE_BAR = QColor(230, 150, 60)
#: Space a panel needs around its picture: margins (width) and title, controls, stats (height).
#: The colour bar runs along the title row, so it takes no width from the picture.
PANEL_OVERHEAD = (12, 76)


def small_font(widget: QWidget, delta: float = -1.0) -> QFont:
    """``widget``'s font ``delta`` points smaller (never below 7 points)."""
    font = QFont(widget.font())
    size = font.pointSizeF()
    if size > 0:
        font.setPointSizeF(max(7.0, size + delta))
    return font


def mono_font(widget: QWidget) -> QFont:
    """The fixed-width system font at the size of :func:`small_font`."""
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    size = small_font(widget).pointSizeF()
    if size > 0:
        font.setPointSizeF(size)
    return font


def format_stats(stats, *, compact: bool = False, tight: bool = False) -> str:
    """The statistics line of a :class:`~filterstudio.core.display.MapStats`.

    Every form keeps the minimum, maximum and mean; narrower forms leave out the share of
    negative values (the histogram shows it) and the words.

    Parameters
    ----------
    stats : MapStats
        Minimum, maximum, mean and share of negative values.
    compact : bool
        Leave out the negative share and use single spaces, for narrow panels.
    tight : bool
        The range and the mean in the fewest characters, for the narrowest panels.

    Returns
    -------
    str
        ``"min -2.31  max 3.02  mean 0.01  neg 48%"``; compact ``"min -2.31 max 3.02 mean 0.01"``;
        tight ``"-2.31 to 3.02, mean 0.01"``. A mean that is float noise next to the range
        (below a millionth of it) is written ``0``; in the tight form a mean below a thousandth
        of the range is written ``≈0``.
    """
    neg = float(stats.negative_fraction) * 100.0
    if 0.0 < neg < 0.5:
        neg_text = "<1%"
    elif 99.5 <= neg < 100.0:
        neg_text = ">99%"
    else:
        neg_text = f"{neg:.0f}%"
    scale = max(abs(float(stats.min)), abs(float(stats.max)))
    mean = float(stats.mean)
    if abs(mean) <= 1e-6 * scale:
        mean = 0.0
    lo, hi, mid = format_value(stats.min), format_value(stats.max), format_value(mean)
    if tight:
        # A mean within a thousandth of the range of zero reads as zero at this size.
        if mean != 0.0 and abs(mean) < 1e-3 * scale:
            mid = "\u22480"
        return f"{lo} to {hi}, mean {mid}"
    if compact:
        return f"min {lo} max {hi} mean {mid}"
    return f"min {lo}  max {hi}  mean {mid}  neg {neg_text}"


class ElidingLabel(QLabel):
    """A one-line label that shortens its text with "…" to fit its width (Qt's elidedText).

    ``text()`` returns the full text; only the painting is shortened.
    """

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = text
        self._elided_at: tuple[int, str] | None = None
        self.setMinimumWidth(1)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        super().setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        if text == self._full and self._elided_at == (self.width(), self.font().key()):
            return  # set again unchanged: no new size hint, no repaint
        self._full = text
        self._elide()

    def text(self) -> str:
        return self._full

    def shown_text(self) -> str:
        """What is painted: the text, shortened with "…" when it does not fit."""
        return super().text()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        self._elided_at = (self.width(), self.font().key())
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, self.width())
        if super().text() != shown:
            super().setText(shown)


class StatsLabel(QWidget):
    """A map's statistics line that shows the widest of its forms that fits its width.

    Every form keeps the minimum, maximum and mean (:func:`format_stats`); columns of figures
    line up in the fixed-width font (the widget's own), and the narrowest forms take the
    narrower proportional one, one size smaller at the last. ``text()`` is the form chosen,
    ``full_text()`` the full line.

    The line is painted here rather than by a ``QLabel``: a video changes the numbers with
    every frame, and a label's new text would lay out its panel, the grid and every widget
    around them again (a tab widget repaints all it holds then). New numbers repaint this
    line only; its height follows its fonts, never its text.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._forms: tuple[str, str, str] | None = None
        self._room = 0
        self._text = ""
        self._which = 0  # the font ``_text`` is painted in: the widget's, narrow, smallest
        self._fonts_key: tuple[str, str] | None = None
        self._choices_fonts: tuple[QFont, QFont, QFont] = (QFont(), QFont(), QFont())
        self._metrics: tuple[QFontMetrics, QFontMetrics, QFontMetrics] | None = None
        self.setMinimumWidth(1)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

    def set_stats(self, stats) -> None:
        """Show ``stats`` (a MapStats), or nothing for None."""
        if stats is None:
            forms = None
        else:
            forms = (
                format_stats(stats),
                format_stats(stats, compact=True),
                format_stats(stats, tight=True),
            )
        if forms == self._forms:
            return
        self._forms = forms
        self.setToolTip(forms[0] if forms else "")
        self.setAccessibleDescription(forms[0] if forms else "")  # what a label would have read
        self.fit(self._room)

    def full_text(self) -> str:
        """The full line (``""`` without statistics)."""
        return self._forms[0] if self._forms else ""

    def text(self) -> str:
        """The form chosen for the width given to :meth:`fit`."""
        return self._text

    def shown_text(self) -> str:
        """What is painted: the chosen form, shortened with "…" when it does not fit."""
        return self._elided(self._text)

    def shown_font(self) -> QFont:
        """The font the chosen form is painted in."""
        return QFont(self._fonts()[self._which])

    def fit(self, room: int) -> None:
        """Choose the form and font for ``room`` pixels of width."""
        self._room = room
        full, compact, tight = self._forms or ("", "", "")
        metrics = self._metrics_of()
        choices = ((full, 0), (compact, 0), (compact, 1), (tight, 1), (tight, 2))
        text, which = next(
            ((t, k) for t, k in choices if metrics[k].horizontalAdvance(t) <= room), choices[-1]
        )
        if (text, which) != (self._text, self._which):
            self._text, self._which = text, which
            self.update()

    def _fonts(self) -> tuple[QFont, QFont, QFont]:
        """The widget's font and the narrower two, taken again only when a font changed."""
        owner = self.parentWidget() or self
        key = (self.font().key(), owner.font().key())
        if key != self._fonts_key:
            self._fonts_key = key
            self._choices_fonts = (QFont(self.font()), small_font(owner), small_font(owner, -2.0))
            self._metrics = None
        return self._choices_fonts

    def _metrics_of(self) -> tuple[QFontMetrics, QFontMetrics, QFontMetrics]:
        if self._metrics is None:
            mono, narrow, smallest = self._fonts()
            self._metrics = (QFontMetrics(mono), QFontMetrics(narrow), QFontMetrics(smallest))
        return self._metrics

    def _elided(self, text: str) -> str:
        metrics = self._metrics_of()[self._which]
        return metrics.elidedText(text, Qt.TextElideMode.ElideRight, max(0, self.width()))

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        height = max(m.height() for m in self._metrics_of())
        return QSize(self._metrics_of()[0].horizontalAdvance(self.full_text()), height)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(1, self.sizeHint().height())

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fonts()
            self.updateGeometry()  # a font of another size: the line's height follows it
            self.fit(self._room)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if not self._text:
            return
        painter = QPainter(self)
        painter.setFont(self._fonts()[self._which])
        painter.setPen(self.palette().windowText().color())
        flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        painter.drawText(self.rect(), int(flags), self._elided(self._text))
        painter.end()


class HistogramWidget(QWidget):
    """A small histogram of a map's values: bars (square-root height), a line at zero."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._counts: np.ndarray | None = None
        self._edges: np.ndarray | None = None
        # The bars drawn once per histogram and size: panels repaint far more often than that.
        self._cache: QPixmap | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(40)
        self.setFixedHeight(18)

    def sizeHint(self) -> QSize:
        return QSize(80, 18)

    def set_histogram(self, counts: np.ndarray | None, edges: np.ndarray | None) -> None:
        """Show ``counts`` per bin between ``edges`` (``len(counts) + 1`` values); None clears."""
        self._counts = None if counts is None else np.asarray(counts, dtype=np.float64)
        self._edges = None if edges is None else np.asarray(edges, dtype=np.float64)
        self._cache = None
        self.update()

    def zero_position(self) -> float | None:
        """Where zero lies across the widget (0..1), or None when zero is outside the range."""
        if self._edges is None or len(self._edges) < 2:
            return None
        lo, hi = float(self._edges[0]), float(self._edges[-1])
        if not lo <= 0.0 <= hi or hi <= lo:
            return None
        return (0.0 - lo) / (hi - lo)

    def paintEvent(self, event) -> None:
        counts, edges = self._counts, self._edges
        if counts is None or edges is None or counts.size == 0 or counts.max() <= 0:
            return
        ratio = self.devicePixelRatioF()
        cache = self._cache
        if cache is None or cache.size() != self.size() * ratio:
            size = self.size() * ratio
            cache = QPixmap.fromImage(array_to_qimage(self._bars(size.width(), size.height())))
            cache.setDevicePixelRatio(ratio)
            self._cache = cache
        painter = QPainter(self)
        painter.drawPixmap(0, 0, cache)
        painter.end()

    def _bars(self, width: int, height: int) -> np.ndarray:
        """The bars as ``(height, width, 3)`` RGB pixels, made by whole columns at once: a
        video brings new counts to every panel with every frame."""
        counts, edges = self._counts, self._edges
        rgb = np.empty((height, width, 3), np.uint8)
        rgb[:] = _rgb(BACKGROUND)
        n = counts.size
        bar_w = width / n
        x = np.arange(width)
        k = np.minimum((x * n) // max(width, 1), n - 1)
        # Square-root heights: edge maps pile up near zero and would flatten every other bar.
        heights = np.sqrt(counts / counts.max())
        tall = np.where(heights > 0, np.maximum(1.0, heights * (height - 1)), 0.0)
        column_h = np.rint(tall[k]).astype(int)
        if bar_w >= 2:
            column_h[(x + 0.5) - k * bar_w > bar_w - 0.5] = 0  # a hair's gap between bars
        centres = (edges[:-1] + edges[1:]) / 2.0
        colours = np.where((centres < 0)[:, None], _rgb(NEGATIVE_BAR), _rgb(POSITIVE_BAR))
        rows = np.arange(height)[:, None]
        filled = rows >= height - column_h[None, :]
        rgb[filled] = np.broadcast_to(colours[k][None, :, :], (height, width, 3))[filled]
        zero = self.zero_position()
        if zero is not None:
            rgb[:, min(width - 1, int(zero * width))] = (240, 240, 240)
        return rgb


def _rgb(color: QColor) -> tuple[int, int, int]:
    return color.red(), color.green(), color.blue()


class ColorBarWidget(QWidget):
    """A colour bar with value labels at its ticks: vertical (high end on top), or horizontal
    (low end at the left, the end labels beside it) to sit in a panel's title row, so that a
    panel with a colour bar keeps the same map area as one without."""

    BAR_WIDTH = 10

    def __init__(self, parent: QWidget | None = None, *, horizontal: bool = False) -> None:
        super().__init__(parent)
        self._horizontal = bool(horizontal)
        self._bar: np.ndarray | None = None
        self._image: QImage | None = None
        self._ticks: list[tuple[float, str]] = []
        self.setFont(small_font(self, -1.5))
        if self._horizontal:
            self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        else:
            self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Expanding)

    def is_horizontal(self) -> bool:
        """Whether the bar runs left to right."""
        return self._horizontal

    def set_colorbar(self, colormap: str | None, ticks: Sequence[tuple[float, str]]) -> None:
        """Show the bar of ``colormap`` with ``ticks`` ``(position 0..1 from the low end, label)``."""
        self._bar = display.colorbar(colormap, 256, not self._horizontal)
        self._image = array_to_qimage(self._bar)
        self._ticks = list(ticks)
        labels = ", ".join(label for _, label in self._ticks)
        self.setToolTip(f"Colour bar: {labels}" if labels else "Colour bar")
        self.setAccessibleName(f"colour bar from {self._ticks[0][1]} to {self._ticks[-1][1]}"
                               if self._ticks else "colour bar")  # fmt: skip
        self.updateGeometry()
        self.update()

    def ticks(self) -> list[tuple[float, str]]:
        """The ticks shown."""
        return list(self._ticks)

    def _end_labels(self) -> tuple[str, str]:
        if not self._ticks:
            return "", ""
        return self._ticks[0][1], self._ticks[-1][1]

    def sizeHint(self) -> QSize:
        fm = self.fontMetrics()
        if self._horizontal:
            lo, hi = self._end_labels()
            width = fm.horizontalAdvance(lo) + fm.horizontalAdvance(hi) + 8 + 72
            return QSize(width, fm.height())
        label_w = max((fm.horizontalAdvance(t) for _, t in self._ticks), default=0)
        return QSize(self.BAR_WIDTH + 6 + label_w + 2, 60)

    def minimumSizeHint(self) -> QSize:
        if self._horizontal:
            fm = self.fontMetrics()
            lo, hi = self._end_labels()
            width = fm.horizontalAdvance(lo) + fm.horizontalAdvance(hi) + 8 + 28
            return QSize(width, fm.height())
        return QSize(self.sizeHint().width(), 20)

    def paintEvent(self, event) -> None:
        if self._image is None:
            return
        painter = QPainter(self)
        fm = self.fontMetrics()
        ink = self.palette().windowText().color()
        if self._horizontal:
            self._paint_horizontal(painter, fm, ink)
            painter.end()
            return
        pad = fm.ascent() / 2.0 + 1
        bar = QRectF(1, pad, self.BAR_WIDTH, max(1.0, self.height() - 2 * pad))
        painter.drawImage(bar, self._image)
        painter.setPen(QPen(ink, 1.0))
        painter.drawRect(bar)
        for pos, label in self._ticks:
            y = bar.bottom() - pos * bar.height()
            painter.drawLine(QPointF(bar.right(), y), QPointF(bar.right() + 3, y))
            painter.drawText(QPointF(bar.right() + 5, y + fm.ascent() / 2.0 - 1), label)
        painter.end()

    def _paint_horizontal(self, painter: QPainter, fm, ink: QColor) -> None:
        lo, hi = self._end_labels()
        lo_w, hi_w = fm.horizontalAdvance(lo), fm.horizontalAdvance(hi)
        height = self.height()
        thickness = max(4.0, min(self.BAR_WIDTH, height - 4.0))
        bar = QRectF(lo_w + 4, (height - thickness) / 2.0,
                     max(1.0, self.width() - lo_w - hi_w - 8), thickness)  # fmt: skip
        painter.drawImage(bar, self._image)
        painter.setPen(QPen(ink, 1.0))
        painter.drawRect(bar)
        baseline = (height + fm.ascent() - fm.descent()) / 2.0
        painter.drawText(QPointF(0, baseline), lo)
        painter.drawText(QPointF(bar.right() + 4, baseline), hi)
        for pos, _label in self._ticks[1:-1]:
            # Inner ticks (0 on a diverging bar) as marks across the bar; values in the tooltip.
            x = bar.left() + pos * bar.width()
            painter.drawLine(QPointF(x, bar.top() - 1), QPointF(x, bar.bottom() + 1))


class ClickFilter(QObject):
    """Reports a mouse press on any watched child without consuming it."""

    def __init__(self, callback, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._callback = callback

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.MouseButtonPress:
            self._callback()
        return False


class PanelFrame(QFrame):
    """A frame that paints its own border: thin normally, thick accent when selected."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._selected = False
        self.setFrameShape(QFrame.Shape.NoFrame)

    def is_selected(self) -> bool:
        """Whether the selection frame is shown."""
        return self._selected

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        if self._selected:
            pen = QPen(ACCENT, 3.0)
            painter.setPen(pen)
            painter.drawRect(QRectF(self.rect()).adjusted(1.5, 1.5, -1.5, -1.5))
        else:
            painter.setPen(QPen(self.palette().mid().color(), 1.0))
            painter.drawRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5))


def set_tip(widget: QWidget, text: str) -> None:
    """``widget``'s tooltip, set only when it says something else."""
    if widget.toolTip() != text:
        widget.setToolTip(text)


def set_item_text(combo, text: str) -> None:
    """The first item's text, set only when it says something else (a combo box re-measures
    and repaints itself for every setItemText)."""
    if combo.itemText(0) != text:
        combo.setItemText(0, text)
