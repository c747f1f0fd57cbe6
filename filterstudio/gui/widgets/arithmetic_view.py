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
    part_label,
)
from ...core.lesson_numbers import NumberForm, Shown, format_number, number_form
from ...core.stage_arithmetic import PoolCell

#: Up to this many terms a tap reads "value × weight"; above it only the product is shown.
FULL_TERMS_LIMIT = 25

_PAD_STYLE = "color:#b06000;font-style:italic"
_MUTED = "color:#777"
_EMPTY_TEXT = "Point at a feature-map cell to see how its value is computed."
#: A term never breaks inside: lines wrap only between terms.
_NOWRAP = "white-space:nowrap"


class ArithmeticWidget(QWidget):
    """Shows how one feature-map value is made: inputs times weights, sum, bias, activation.

    In colour mode there is one block per colour channel; in depth mode the partial sum of
    each channel comes first, then their total. Kernels larger than 5x5 are shown as a grid of
    products laid out like the kernel. Numbers are written as the lesson writes them
    (:mod:`filterstudio.core.lesson_numbers`): weights exactly where they can be, and a sum
    that rests on a rounded number says ``≈``. Lines wrap only between terms.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._browser = QTextBrowser(self)
        self._browser.setOpenLinks(False)
        self._browser.setReadOnly(True)
        self._browser.setAccessibleName("arithmetic of the map cell under the pointer")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._browser)
        self._mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont).family()
        self._font_pt = 11.0
        self._last: tuple | None = None
        self.show_breakdown(None)

    # -- public API ---------------------------------------------------------------------------
    def show_breakdown(
        self,
        bd: CellBreakdown | None,
        *,
        precision: int = 3,
        title: str = "",
        filter_index: int | None = None,
        note: str = "",
    ) -> None:
        """Show the arithmetic of ``bd``; None shows a short hint instead.

        Parameters
        ----------
        bd : CellBreakdown or None
            The cell's arithmetic.
        precision : int
            Decimals of a number that cannot be written exactly.
        title : str
            The filter the cell belongs to (its name), shown first so nobody has to guess
            which map the numbers are from.
        filter_index : int, optional
            The filter's position in the bank (shown as "filter 2").
        note : str
            A line under the heading, e.g. ``"receptive field 10 × 10 pixels"``.
        """
        self._last = ("breakdown", bd, precision, title, filter_index, note)
        if bd is None:
            self._set_html(f"<p style='{_MUTED}'>{html.escape(_EMPTY_TEXT)}</p>")
            return
        terms = [t for o in bd.outputs for p in o.parts for t in p.terms]
        form = number_form(
            [t.value for t in terms], [t.weight for t in terms], fallback=int(precision)
        )
        where = f"map cell at row {bd.i}, column {bd.j}"
        if title:
            which = html.escape(title)
            if filter_index is not None:
                which += f" <span style='{_MUTED}'>(filter {int(filter_index) + 1})</span>"
            heading = f"<b>{which}</b>: {where}"
        else:
            heading = f"<b>Feature-{where}</b>"
        blocks = [f"<p>{heading}</p>"]
        if note:
            blocks.append(f"<p style='{_MUTED}'>{html.escape(note)}</p>")
        if bd.mode == "maps":
            blocks.append(
                f"<p style='{_MUTED}'>Its filter reads {len(bd.outputs[0].parts)} maps: each map "
                "under the window times its slice of the kernel, then every sum added up.</p>"
            )
        for out in bd.outputs:
            blocks.append(self._output_html(out, form))
        if any(t.inside is False for t in terms):
            blocks.append(
                f"<p style='{_MUTED}'><span style='{_PAD_STYLE}'>pad</span>: the window reaches "
                "past the edge; these values come from the padding.</p>"
            )
        self._set_html("".join(blocks))

    def show_input_pixel(
        self, y: int, x: int, values: float | Sequence[float], *, precision: int = 3
    ) -> None:
        """Show the value(s) of input pixel ``(y, x)``: one number, or one per colour channel."""
        self._last = ("pixel", y, x, values, precision)
        if isinstance(values, (int, float)):
            vals = [float(values)]
        else:
            vals = [float(v) for v in values]
        if len(vals) == 1:
            body = self._num(format_number(vals[0], precision))
        else:
            body = ", ".join(
                f"{channel_label(c)} {self._num(format_number(v, precision))}"
                for c, v in enumerate(vals)
            )
        self._set_html(f"<p><b>Input pixel (row {y}, column {x})</b></p><p>{body}</p>")

    def show_pool_cell(self, cell: PoolCell, *, title: str = "", source: str = "",
                       note: str = "") -> None:  # fmt: skip
        """Show how a pooled cell is made: its window's values and the maximum (with the cell
        that won) or the mean. ``source`` names the map pooled, ``note`` is a line under the
        heading (the receptive field)."""
        self._last = ("pool", cell, title, source, note)
        form = number_form([v for *_rc, v in cell.values], [1.0])
        heading = f"<b>{html.escape(title)}</b>: " if title else ""
        blocks = [f"<p>{heading}pooled cell at row {cell.i}, column {cell.j}</p>"]
        if note:
            blocks.append(f"<p style='{_MUTED}'>{html.escape(note)}</p>")
        ph, pw = cell.size
        where = f" of <b>{html.escape(source)}</b>" if source else ""
        blocks.append(f"<p>a {ph}×{pw} window{where} from row {cell.top}, column {cell.left}:</p>")
        vals = [self._num(form.cell_text(v)) for *_rc, v in cell.values]
        value = self._num(form.cell_text(cell.value))
        pad = cell.padded_cells
        if cell.mode == "max":
            wr, wc = cell.winner
            blocks.append(f"<p>max({', '.join(vals)}) = <b>{value}</b></p>")
            blocks.append(
                f"<p>won by the cell at row {wr}, column {wc} (outlined green on its map)"
                + (f"; {pad} padded cells never win" if pad else "") + ".</p>"
            )
        else:
            terms = " + ".join(vals + [self._num("0")] * pad)
            blocks.append(f"<p>({terms}) / {ph * pw} ≈ <b>{value}</b></p>")
            if pad:
                blocks.append(f"<p style='{_MUTED}'>Padding counts as 0 in the mean.</p>")
        blocks.append(f"<p style='font-size:{self._font_pt + 2:g}pt'>value = <b>{value}</b></p>")
        self._set_html("".join(blocks))

    def clear(self) -> None:
        """Show the hint again."""
        self.show_breakdown(None)

    def set_presentation(self, on: bool) -> None:
        """Projector size: larger type for every number (the window scales the rest)."""
        self._font_pt = 16.0 if on else 11.0
        self._show_last()

    def plain_text(self) -> str:
        """What is shown, as plain text (for tests and for copying)."""
        return self._browser.toPlainText()

    def html(self) -> str:
        """What is shown, as HTML."""
        return self._browser.toHtml()

    def browser(self) -> QTextBrowser:
        """The text area the arithmetic is written in."""
        return self._browser

    # -- building blocks ----------------------------------------------------------------------
    def _show_last(self) -> None:
        last = self._last
        if last is None:
            return
        if last[0] == "breakdown":
            _, bd, precision, title, index, note = last
            self.show_breakdown(bd, precision=precision, title=title, filter_index=index,
                                note=note)  # fmt: skip
        elif last[0] == "pool":
            _, cell, title, source, note = last
            self.show_pool_cell(cell, title=title, source=source, note=note)
        else:
            _, y, x, values, precision = last
            self.show_input_pixel(y, x, values, precision=precision)

    def _set_html(self, body: str) -> None:
        self._browser.setHtml(f"<div style='font-size:{self._font_pt:g}pt'>{body}</div>")

    def _num(self, text: str) -> str:
        return f"<span style='font-family:\"{self._mono}\";{_NOWRAP}'>{text}</span>"

    def _output_html(self, out: OutputBreakdown, form: NumberForm) -> str:
        def f(shown: Shown) -> str:
            return self._num(html.escape(shown.text))

        parts = []
        if out.channel is not None:
            parts.append(f"<p><b>{channel_label(out.channel).capitalize()} channel</b></p>")
        totals: list[Shown] = []
        for part in out.parts:
            if len(out.parts) > 1:
                parts.append(
                    f"<p style='margin-top:6px'><b>{html.escape(part.label or part_label(part).capitalize())}"
                    "</b> slice of the kernel:</p>"
                )
            terms_html, written = self._terms_html(part, form)
            parts.append(terms_html)
            rel, total = form.total(written, part.total)
            totals.append(total)
            parts.append(f"<p>sum {rel} <b>{f(total)}</b></p>")
        total = totals[0]
        if len(out.parts) > 1:
            rel, total = form.total(totals, out.total)
            sums = " + ".join(f(t) for t in totals)
            parts.append(f"<p>total over channels = {sums} {rel} <b>{f(total)}</b></p>")
        pre = total
        if out.bias:
            bias = form.number(out.bias)
            rel, pre = form.total([total, bias], out.pre_activation)
            parts.append(f"<p>{f(total)} + bias {f(bias)} {rel} <b>{f(pre)}</b></p>")
        value, rel = pre, "=" if pre.is_exact else "≈"
        act = activation_label(out.activation)
        if act:
            if pre.is_exact:
                clipped = out.activation == "relu" and pre.exact < 0
                flipped = out.activation == "abs" and pre.exact < 0
                value = Shown("0", pre.exact * 0) if clipped else pre
                if flipped:
                    value = Shown(pre.text.lstrip("-"), -pre.exact)
            else:
                value = Shown(format_number(out.value, form.fallback), None)
            rel = "=" if value.is_exact else "≈"
            parts.append(f"<p>{act}({f(pre)}) {rel} <b>{f(value)}</b></p>")
        parts.append(
            f"<p style='font-size:{self._font_pt + 2:g}pt'>value {rel} <b>{f(value)}</b></p>"
        )
        return "".join(parts)

    def _terms_html(self, part: ChannelPart, form: NumberForm) -> tuple[str, list[Shown]]:
        """The terms, one kernel row a line (``value × weight``, wrapping only between terms),
        or for a large kernel a table of products shaped like the kernel; and each term's
        product as written."""
        full = len(part.terms) <= FULL_TERMS_LIMIT
        rows: dict[int, list[str]] = {}
        written: list[Shown] = []
        for t in part.terms:
            sv, sw = form.value(t.value), form.weight(t.weight)
            if full:
                weight = f"({sw.text})" if sw.text.startswith("-") else sw.text
                text = f"{sv.text}&nbsp;×&nbsp;{weight}"
                exact = sv.exact * sw.exact if sv.is_exact and sw.is_exact else None
                written.append(Shown("", exact))
            else:
                product = form.product(t.value, t.weight)
                text = product.text
                written.append(product)
            style = f'font-family:"{self._mono}";{_NOWRAP}'
            if not t.inside:
                style += ";" + _PAD_STYLE
                text += "&nbsp;<small>pad</small>"
            title = f"input ({t.y}, {t.x}) = {sv.text}, weight [{t.a}, {t.b}] = {sw.text}"
            rows.setdefault(t.a, []).append(
                (style, html.escape(title), text)  # type: ignore[arg-type]
            )
        if full:
            lines = []
            ordered = list(rows.values())
            for n, cells in enumerate(ordered):
                spans = [f"<span style='{s}' title='{tt}'>{x}</span>" for s, tt, x in cells]
                tail = " +" if n < len(ordered) - 1 else ""
                lines.append(f"<p style='margin:0'>{' + '.join(spans)}{tail}</p>")
            return "".join(lines), written
        caption = f"<p style='{_MUTED}'>Each cell: input × weight (the product).</p>"
        body = "".join(
            "<tr>"
            + "".join(
                f"<td align='right' style='{s};padding:1px 6px' title='{tt}'>{x}</td>"
                for s, tt, x in cells
            )
            + "</tr>"
            for cells in rows.values()
        )
        table = f"<table cellspacing='0' style='border-collapse:collapse'>{body}</table>"
        return caption + table, written
