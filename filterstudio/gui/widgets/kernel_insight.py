"""The insight panel beside the kernel editor: what the kernel does to frequencies and whether it splits.

It shows, for the kernel as the layer applies it, the frequency response (:mod:`.frequency_view`)
with its sentence, what a stride does to it (aliasing), and the separability sentence with the
two 1-D kernels. The numbers come from :func:`filterstudio.core.insight.kernel_insight`, run on
a pool thread of the panel's own: an edit asks for a new one, only the newest request waiting
is kept, and an answer older than what is shown is never drawn. While the panel is hidden (its
dock closed, or :meth:`KernelInsightWidget.set_active` says it is behind another tab) nothing
runs; it catches up when it is seen again.
"""

from __future__ import annotations

import re

import numpy as np
from PySide6.QtCore import QSignalBlocker, Qt, QThreadPool, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from filterstudio.core.errors import sentence
from filterstudio.core.insight import KernelInsight, kernel_insight
from filterstudio.core.separable import format_factor
from filterstudio.gui.tasks import start_task

from .frequency_view import FrequencyView
from .kernel_grid import CHANNEL_NAMES
from .panel_parts import mono_font, small_font

__all__ = ["FactorRow", "KernelInsightWidget", "factor_cells"]

_FACTOR_TEXT = re.compile(r"\[(?P<values>[^\]]*)\](?: / (?P<divisor>\d+))?")


def factor_cells(factor) -> tuple[list[str], str]:
    """The cells of a 1-D factor and its common divisor: ``([1, 2, 1], "4")`` for ``[.25 .5 .25]``.

    Whole numbers over a divisor when :func:`format_factor` finds one, else values to three
    significant digits and no divisor (``""``).
    """
    text = format_factor(factor, digits=3)
    match = _FACTOR_TEXT.fullmatch(text)
    if match is None:  # pragma: no cover - format_factor always writes "[...]" or "[...] / q"
        return [text], ""
    return match.group("values").split(), match.group("divisor") or ""


class FactorRow(QWidget):
    """One 1-D kernel as a row of small read-only cells, with its name and common divisor."""

    def __init__(self, name: str, tip: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._name = QLabel(name, self)
        self._name.setToolTip(tip)
        self._name.setMinimumWidth(self._name.fontMetrics().horizontalAdvance("column") + 6)
        self._cells: list[QLabel] = []
        self._divisor = QLabel(self)
        self._text = ""
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(2)
        self._layout.addWidget(self._name)
        self._layout.addWidget(self._divisor)
        self._layout.addStretch(1)

    def set_factor(self, factor) -> None:
        """Show ``factor`` (a 1-D array of weights)."""
        values, divisor = factor_cells(factor)
        for cell in self._cells:
            self._layout.removeWidget(cell)
            cell.deleteLater()
        self._cells = []
        font = mono_font(self)
        for i, v in enumerate(values):
            cell = QLabel(v, self)
            cell.setFont(font)
            cell.setFrameShape(QFrame.Shape.StyledPanel)
            cell.setAlignment(Qt.AlignmentFlag.AlignCenter)
            cell.setMinimumWidth(cell.fontMetrics().horizontalAdvance("-00") + 8)
            cell.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self._layout.insertWidget(1 + i, cell)
            self._cells.append(cell)
        self._divisor.setText(f"÷ {divisor}" if divisor else "")
        self._divisor.setVisible(bool(divisor))
        self._text = format_factor(factor, digits=3)
        self.setAccessibleName(f"{self._name.text()} {self._text}")

    def text(self) -> str:
        """The factor as text, e.g. ``[1 2 1] / 4``."""
        return self._text

    def cell_texts(self) -> list[str]:
        """The numbers in the cells, in order."""
        return [c.text() for c in self._cells]


class KernelInsightWidget(QWidget):
    """Frequency response, stride note and separability of the selected filter's kernel.

    Signals
    -------
    updated()
        A new analysis is shown (after :meth:`show_kernel`, a channel or scale change).
    """

    updated = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._request: dict | None = None  # the newest wanted analysis (kernel, options)
        self._asked = 0  # generation of the newest request
        self._shown = 0  # generation of the analysis on screen
        self._running = None  # the task handle while one runs
        self._waiting = False  # a newer request waits for the running one to end
        self._insight: KernelInsight | None = None
        self._error = ""
        self._active = True  # whether the panel can be seen where it is placed

        self._body = self
        self.view = FrequencyView(self._body)
        self._log = QCheckBox("&Log scale", self._body)
        self._log.setToolTip(
            "Log scale: weak gains (down to 1% of the peak) stay visible; linear: as they are."
        )
        self._log.toggled.connect(self._on_log_toggled)
        self._channel = QComboBox(self._body)
        self._channel.setToolTip("A depth kernel: the sum of its channels, or one channel alone")
        self._channel.setAccessibleName("channel of the depth kernel")
        self._channel.activated.connect(self._on_channel_activated)
        self._channel.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self._channel.hide()

        def text_label(tip: str, small: bool = False) -> QLabel:
            label = QLabel(self._body)
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setToolTip(tip)
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            if small:
                label.setFont(small_font(self))
            return label

        self._response = text_label("What the kernel does to coarse shapes and to fine detail")
        self._response.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        # The sentence beside the drawing, the scale and channel under it: a compact panel.
        side = QVBoxLayout()
        side.setContentsMargins(0, 0, 0, 0)
        side.addWidget(self._response, 1)
        side.addWidget(self._log)
        side.addWidget(self._channel)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.view, 0, Qt.AlignmentFlag.AlignTop)
        top.addLayout(side, 1)
        self._stride = text_label("What the layer's stride does to the detail the kernel passes",
                                  small=True)  # fmt: skip
        self._stride.hide()
        self._separable = text_label(
            "A kernel that is one column times one row can run as two 1-D passes: fewer "
            "multiplies per pixel, the same map."
        )
        self._column = FactorRow("column", "Run down the columns first", self._body)
        self._row = FactorRow("row", "then along the rows", self._body)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self._stride)
        layout.addWidget(self._separable)
        layout.addWidget(self._column)
        layout.addWidget(self._row)
        layout.addStretch(1)
        self._show(None)

    # -- model -> widget --------------------------------------------------------------------
    def show_kernel(self, kernel, *, dilation=1, stride=1, reads: str = "picture") -> None:
        """Analyse ``kernel`` as applied with ``dilation`` and ``stride`` (None clears) to the
        picture or, ``reads="maps"``, to the maps of an earlier stage.

        Returns at once; the analysis runs on the panel's thread and :attr:`updated` tells when
        it is shown. While the panel is hidden nothing runs until it is shown.
        """
        if kernel is None:
            self._request = None
            self._asked += 1
            self._shown = self._asked
            self._show(None)
            self.updated.emit()
            return
        k = np.array(kernel, dtype=np.float32)
        k.setflags(write=False)
        depth = k.shape[2] if k.ndim == 3 else None
        self._fill_channels(depth)
        channel = self._channel.currentData() if depth is not None else None
        self._request = dict(
            kernel=k, dilation=dilation, stride=stride, channel=channel, reads=reads
        )
        self._asked += 1
        self._start()

    def set_log_scale(self, on: bool) -> None:
        """Draw the response on a log scale (True) or a linear one."""
        self._log.setChecked(bool(on))

    def log_scale(self) -> bool:
        return self._log.isChecked()

    def set_channel(self, channel: int | None) -> None:
        """For a depth kernel: describe one channel, or None for the sum of its channels."""
        index = self._channel.findData(channel)
        if index < 0:
            raise ValueError(f"The kernel shown has no channel {channel!r}.")
        self._channel.setCurrentIndex(index)
        self._on_channel_activated(index)

    def channel(self) -> int | None:
        """The channel described (None: the sum, or not a depth kernel)."""
        return self._channel.currentData() if self._channel.isVisibleTo(self) else None

    def set_active(self, on: bool) -> None:
        """Whether the panel can be seen (a dock tab behind another is shown but not seen).

        An inactive panel computes nothing; it catches up once it is active again.
        """
        self._active = bool(on)
        if self._active and not self.is_current():
            self._start()

    def is_active(self) -> bool:
        return self._active

    def shutdown(self) -> None:
        """Wait for an analysis still running (the window is closing)."""
        self._request = None
        self._pool.waitForDone(5000)

    # -- what is shown (scripts, tests) ------------------------------------------------------
    def is_current(self) -> bool:
        """Whether the panel shows the analysis of the newest kernel it was given."""
        return self._shown == self._asked

    def insight(self) -> KernelInsight | None:
        """The analysis shown (None before any, for no filter, or after an error)."""
        return self._insight

    def response_values(self) -> np.ndarray | None:
        """The response magnitudes drawn, float64 ``(n, n)``, zero frequency in the centre."""
        return None if self._insight is None else self._insight.response

    def response_image(self) -> np.ndarray | None:
        """The 8-bit RGB picture of the response drawn (read-only)."""
        return self.view.pixels()

    def response_text(self) -> str:
        """The sentence on frequencies (low-pass, high-pass, band, direction...)."""
        return self._response.text()

    def stride_text(self) -> str:
        """What the stride does to the detail the kernel passes ("" at stride 1)."""
        return self._stride.text() if self._insight is not None else ""

    def separable_text(self) -> str:
        """The separability sentence, e.g. ``Separable: 3 + 3 = 6 multiplies per pixel...``."""
        return self._separable.text()

    def factor_texts(self) -> tuple[str, str] | None:
        """The column and row shown, e.g. ``("[1 2 1]", "[-1 0 1]")``, or None."""
        if self._insight is None or self._insight.factors is None:
            return None
        return self._column.text(), self._row.text()

    def factor_rows(self) -> tuple[FactorRow, FactorRow]:
        """The two rows of cells showing the column and the row."""
        return self._column, self._row

    # -- running ---------------------------------------------------------------------------
    def _start(self) -> None:
        if not (self._active and self.isVisible()) or self._request is None:
            return
        if self._running is not None:
            self._waiting = True
            return
        request, generation = self._request, self._asked
        handle = start_task(lambda _control: (generation, kernel_insight(**request)),
                            parent=self, pool=self._pool)  # fmt: skip
        handle.finished.connect(self._on_finished)
        handle.failed.connect(lambda exc, g=generation: self._on_failed(g, exc))
        self._running = handle

    def _next(self) -> None:
        self._running = None
        if self._waiting:
            self._waiting = False
            self._start()

    def _on_finished(self, value) -> None:
        generation, insight = value
        if generation > self._shown and self._request is not None:
            self._shown = generation
            self._error = ""
            self._show(insight)
            self.updated.emit()
        self._next()

    def _on_failed(self, generation: int, exc: BaseException) -> None:
        if generation > self._shown:
            self._shown = generation
            self._error = sentence(exc)
            self._show(None)
            self.updated.emit()
        self._next()

    # -- drawing ---------------------------------------------------------------------------
    def _fill_channels(self, depth: int | None) -> None:
        combo = self._channel
        wanted = [] if depth is None else [None, *range(depth)]
        if [combo.itemData(i) for i in range(combo.count())] != wanted:
            with QSignalBlocker(combo):
                combo.clear()
                if depth is not None:
                    combo.addItem("all (sum)", None)
                    for c in range(depth):
                        name = CHANNEL_NAMES[c] if c < len(CHANNEL_NAMES) else f"channel {c}"
                        combo.addItem(name, c)
        combo.setVisible(depth is not None)

    def _on_channel_activated(self, _index: int) -> None:
        if self._request is not None:
            self._request = dict(self._request, channel=self._channel.currentData())
            self._asked += 1
            self._start()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if not self.is_current():
            self._start()

    def _on_log_toggled(self) -> None:
        self._redraw()
        if self._insight is not None:
            self.updated.emit()

    def _redraw(self) -> None:
        insight = self._insight
        self.view.set_response(
            None if insight is None else insight.response,
            log=self.log_scale(),
            nyquist=None if insight is None or insight.stride == (1, 1) else insight.nyquist,
        )

    def _show(self, insight: KernelInsight | None) -> None:
        self._insight = insight
        self._redraw()
        if insight is None:
            self._response.setText(self._error or "No filter selected.")
            self._separable.setText("")
            self._stride.setText("")
            self._stride.hide()
            for row in (self._column, self._row):
                row.hide()
            return
        self._response.setText(insight.response_text)
        self._stride.setText(insight.stride_text)
        self._stride.setVisible(bool(insight.stride_text))
        text = insight.separable_text
        if insight.factors is not None:
            # The two factors are shown as cells below: the sentence stops at the cost.
            text = text.split(", the column ")[0] + ":"
        self._separable.setText(text)
        if insight.factors is not None:
            self._column.set_factor(insight.factors[0])
            self._row.set_factor(insight.factors[1])
        for row in (self._column, self._row):
            row.setVisible(insight.factors is not None)
