"""The hover arithmetic: how the feature-map cell under the pointer is computed, term by term."""

from __future__ import annotations

import html
from collections.abc import Sequence

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QTextBrowser, QVBoxLayout, QWidget

from ...core.lesson import (
    CellBreakdown,
    ChannelPart,
    OutputBreakdown,
    activation_label,
    channel_label,
    format_number,
)

#: Up to this many terms a tap reads "value × weight"; above it only the product is shown.
FULL_TERMS_LIMIT = 25

_PAD_STYLE = "color:#b06000;font-style:italic"
_MUTED = "color:#777"
_EMPTY_TEXT = "Point at a feature-map cell to see how its value is computed."


class ArithmeticWidget(QWidget):
    """Shows how one feature-map value is made: inputs times weights, sum, bias, activation.

    In colour mode there is one block per colour channel; in depth mode the partial sum of
    each channel comes first, then their total. Kernels larger than 5x5 are shown as a grid of
    products laid out like the kernel.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._browser = QTextBrowser(self)
        self._browser.setOpenLinks(False)
        self._browser.setReadOnly(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._browser)
        self._mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont).family()
        self.show_breakdown(None)

    # -- public API ---------------------------------------------------------------------------
    def show_breakdown(self, bd: CellBreakdown | None, *, precision: int = 3) -> None:
        """Show the arithmetic of ``bd``; None shows a short hint instead."""
        if bd is None:
            self._set_html(f"<p style='{_MUTED}'>{html.escape(_EMPTY_TEXT)}</p>")
            return
        blocks = [f"<p><b>Feature-map cell ({bd.i}, {bd.j})</b></p>"]
        for out in bd.outputs:
            blocks.append(self._output_html(out, precision))
        if any(t.inside is False for o in bd.outputs for p in o.parts for t in p.terms):
            blocks.append(
                f"<p style='{_MUTED}'><span style='{_PAD_STYLE}'>pad</span>: the window reaches "
                "past the edge; these values come from the padding.</p>"
            )
        self._set_html("".join(blocks))

    def show_input_pixel(
        self, y: int, x: int, values: float | Sequence[float], *, precision: int = 3
    ) -> None:
        """Show the value(s) of input pixel ``(y, x)``: one number, or one per colour channel."""
        if isinstance(values, (int, float)):
            vals = [float(values)]
        else:
            vals = [float(v) for v in values]
        if len(vals) == 1:
            body = self._num(vals[0], precision)
        else:
            body = ", ".join(
                f"{channel_label(c)} {self._num(v, precision)}" for c, v in enumerate(vals)
            )
        self._set_html(f"<p><b>Input pixel (row {y}, column {x})</b></p><p>{body}</p>")

    def clear(self) -> None:
        """Show the hint again."""
        self.show_breakdown(None)

    def plain_text(self) -> str:
        """What is shown, as plain text (for tests and for copying)."""
        return self._browser.toPlainText()

    def html(self) -> str:
        """What is shown, as HTML."""
        return self._browser.toHtml()

    # -- building blocks ----------------------------------------------------------------------
    def _set_html(self, body: str) -> None:
        self._browser.setHtml(f"<div style='font-size:11pt'>{body}</div>")

    def _num(self, v: float, precision: int) -> str:
        return f"<span style='font-family:\"{self._mono}\"'>{format_number(v, precision)}</span>"

    def _output_html(self, out: OutputBreakdown, precision: int) -> str:

        def f(v: float) -> str:
            return self._num(v, precision)

        parts = []
        if out.channel is not None:
            parts.append(f"<p><b>{channel_label(out.channel).capitalize()} channel</b></p>")
        for part in out.parts:
            if len(out.parts) > 1:
                parts.append(
                    f"<p style='margin-top:6px'><b>{channel_label(part.channel).capitalize()}"
                    "</b> slice of the kernel:</p>"
                )
            parts.append(self._terms_html(part, precision))
            parts.append(f"<p>sum = <b>{f(part.total)}</b></p>")
        if len(out.parts) > 1:
            sums = " + ".join(f(p.total) for p in out.parts)
            parts.append(f"<p>total over channels = {sums} = <b>{f(out.total)}</b></p>")
        if out.bias:
            parts.append(
                f"<p>{f(out.total)} + bias {f(out.bias)} = <b>{f(out.pre_activation)}</b></p>"
            )
        act = activation_label(out.activation)
        if act:
            parts.append(f"<p>{act}({f(out.pre_activation)}) = <b>{f(out.value)}</b></p>")
        parts.append(f"<p style='font-size:13pt'>value = <b>{f(out.value)}</b></p>")
        return "".join(parts)

    def _terms_html(self, part: ChannelPart, precision: int) -> str:
        """The terms as a table shaped like the kernel, ``value × weight`` or just products."""
        full = len(part.terms) <= FULL_TERMS_LIMIT
        rows: dict[int, list[str]] = {}
        for t in part.terms:
            if full:
                text = (
                    f"{format_number(t.value, precision)}&nbsp;×&nbsp;"
                    f"{format_number(t.weight, precision)}"
                )
            else:
                text = format_number(t.product, precision)
            style = f'font-family:"{self._mono}";padding:1px 6px'
            if not t.inside:
                style += ";" + _PAD_STYLE
                text += "&nbsp;<small>pad</small>"
            title = (
                f"input ({t.y}, {t.x}) = {format_number(t.value, precision)}, "
                f"weight [{t.a}, {t.b}] = {format_number(t.weight, precision)}"
            )
            rows.setdefault(t.a, []).append(
                f"<td align='right' style='{style}' title='{html.escape(title)}'>{text}</td>"
            )
        caption = (
            "" if full else f"<p style='{_MUTED}'>Each cell: input × weight (the product).</p>"
        )
        body = "".join(f"<tr>{''.join(cells)}</tr>" for cells in rows.values())
        return f"{caption}<table cellspacing='0' style='border-collapse:collapse'>{body}</table>"
