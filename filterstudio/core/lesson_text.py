"""The equation a lesson writes for a feature-map cell: every product, the sums, bias and activation.

The numbers are written as :mod:`filterstudio.core.lesson_numbers` decides, so every sum on
the screen, in the exported frames and in the hover arithmetic adds up as written.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

from .lesson import (
    LessonPlan,
    OutputBreakdown,
    Term,
    activation_label,
    channel_label,
    part_label,
)
from .lesson_numbers import NumberForm, Shown, format_number, number_form

__all__ = ["equation_lines", "step_lines"]


def _part_name(part) -> str:
    """A part's name in an equation: a map's own name as it is, a colour channel capitalised."""
    return part.label or part_label(part).capitalize()


def _activated(shown: Shown, value: float, activation: str) -> Shown:
    """The activation of a number as written: exact when the number is."""
    if shown.exact is None:
        return Shown(format_number(value, 2), None) if activation != "none" else shown
    if activation == "relu" and shown.exact < 0:
        return Shown("0", Fraction(0))
    if activation == "abs" and shown.exact < 0:
        return Shown(shown.text.lstrip("-"), -shown.exact)
    return shown


def _equation(
    out: OutputBreakdown,
    form: NumberForm,
    *,
    per_line: int | None,
    times: str,
    products_only: bool,
) -> tuple[list[str], str, Shown]:
    """The lines of :func:`equation_lines`, and the output value as written with its relation
    (``"="``, or ``"≈"`` when a rounded number went into it)."""

    def term(t: Term) -> tuple[str, Shown]:
        if products_only:
            p = form.product(t.value, t.weight)
            return (f"({p.text})" if p.text.startswith("-") else p.text), p
        sv, sw = form.value(t.value), form.weight(t.weight)
        exact = sv.exact * sw.exact if sv.is_exact and sw.is_exact else None
        weight = f"({sw.text})" if sw.text.startswith("-") else sw.text
        return f"{sv.text}{times}{weight}", Shown("", exact)

    lines: list[str] = []
    part_totals: list[Shown] = []
    relation = "="
    for part in out.parts:
        prefix = f"{_part_name(part)}: " if len(out.parts) > 1 else ""
        rows: dict[int, list[str]] = {}
        written: list[Shown] = []
        for n, t in enumerate(part.terms):
            text, shown = term(t)
            rows.setdefault(n // per_line if per_line else t.a, []).append(text)
            written.append(shown)
        rel, total = form.total(written, part.total)
        relation = "≈" if rel == "≈" else relation
        part_totals.append(total)
        row_texts = [" + ".join(r) for r in rows.values()]
        for n, text in enumerate(row_texts):
            lead = prefix if n == 0 else " " * len(prefix)
            tail = " +" if n < len(row_texts) - 1 else f" {rel} {total.text}"
            lines.append(f"{lead}{text}{tail}")
    total = part_totals[0]
    if len(out.parts) > 1:
        rel, total = form.total(part_totals, out.total)
        relation = "≈" if rel == "≈" else relation
        lines.append(f"Total: {' + '.join(p.text for p in part_totals)} {rel} {total.text}")
    pre = total
    if out.bias:
        bias = form.number(out.bias)
        rel, pre = form.total([total, bias], out.pre_activation)
        relation = "≈" if rel == "≈" else relation
        lines.append(f"{total.text} + bias {bias.text} {rel} {pre.text}")
    value = pre
    act = activation_label(out.activation)
    if act:
        value = _activated(pre, out.value, out.activation)
        rel = "=" if value.is_exact else "≈"
        lines.append(f"{act}({pre.text}) {rel} {value.text}")
    return lines, relation, value


def equation_lines(
    out: OutputBreakdown,
    *,
    precision: int | None = None,
    per_line: int | None = None,
    times: str = "×",
    products_only: bool = False,
    form: NumberForm | None = None,
) -> list[str]:
    """The arithmetic of one output as short text lines, for drawing.

    Each part becomes ``value×weight + ...`` lines, one per kernel row (or ``per_line`` terms
    a line), ending with ``= sum``; then the bias, the activation and the value. Depth parts
    are named by channel and followed by a total line. ``times`` is the multiplication sign
    (``"x"`` for a font without ``×``). ``products_only`` writes each term as its product, in
    brackets when negative: ``(-0.5) + 0.25 + ...``, which keeps a 7x7 kernel's rows short.

    Every sum adds up as written (see :mod:`filterstudio.core.lesson_numbers`): numbers are
    written exactly where they can be, with ``form`` (by default chosen for this output's own
    numbers, rounding to ``precision`` decimals, 2, what cannot be written exactly), and a
    total that rests on a rounded number is written ``≈``.
    """
    if form is None:
        terms = [t for p in out.parts for t in p.terms]
        form = number_form(
            [t.value for t in terms], [t.weight for t in terms], fallback=precision or 2
        )
    lines, _, _ = _equation(
        out, form, per_line=per_line, times=times, products_only=products_only
    )
    return lines


def step_lines(
    plan: LessonPlan,
    k: int,
    *,
    precision: int | None = None,
    times: str = "×",
    arrow: str = "→",
    products_only: bool = False,
) -> list[str]:
    """The equation a lesson shows at step ``k``: every output's arithmetic and the map value.

    Colour mode gives one block per channel; a 0/1 lesson ends with its matching-cell count.
    ``products_only`` writes each product as one number (short lines for wide kernels). The
    numbers are written in the lesson's :attr:`LessonPlan.number_form` (``precision`` overrides
    the decimals of what cannot be written exactly), so every step's sums add up as written.
    """
    form = plan.number_form
    if precision is not None:
        form = replace(form, fallback=int(precision))
    bd = plan.breakdown(k)
    lines: list[str] = []
    for out in bd.outputs:
        if out.channel is not None:
            lines.append(f"{channel_label(out.channel).capitalize()} channel:")
        eq, relation, value = _equation(
            out, form, per_line=None, times=times, products_only=products_only
        )
        said = "map value" + (" ≈" if relation == "≈" else "")
        if "/" in value.text:
            value = Shown(f"{value.text} ≈ {format_number(out.value, 3)}", value.exact)
        if out.bias == 0 and out.activation == "none":
            eq[-1] += f"  {arrow} {said} {value.text}"
        else:
            eq.append(f"{said.capitalize()}: {value.text}".replace(" ≈:", ": ≈"))
        lines.extend(eq)
    m = plan.matches(k)
    if m is not None:
        word = "cell" if m.count == 1 else "cells"
        lines.append(f"{m.count} matching {word}: kernel 1 on input 1.")
    return lines
