"""How a lesson writes its numbers, so that every sum it writes adds up as written.

A lesson that rounds the weights but not their sum teaches wrong arithmetic (``1×0.12 +
1×0.06 = 0.19``). Here every number is written with the fewest decimals that give it exactly
(a Gaussian's 0.0625 as ``0.0625``; weights that need more, such as 1/9 or 1/256, as fractions
over the kernel's divisor, ``1/9``); a total is then the exact sum of the numbers as written
(``1×0.125 + 1×0.0625 = 0.1875``). Only when a number cannot be written exactly (a photo's
pixel 0.36470589...) is it rounded, and a total that depends on it says so with ``≈``.
No Qt.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .kernels import integer_form

__all__ = ["NumberForm", "Shown", "exact_decimals", "format_number", "number_form"]

#: The most decimals a lesson writes to give a value or a weight exactly.
MAX_EXACT_DECIMALS = 4
#: The most decimals an exact total may need before it is written as a fraction.
MAX_TOTAL_DECIMALS = 8


def format_number(value: float, precision: int = 3) -> str:
    """``value`` with at most ``precision`` decimals and no trailing zeros (``1``, ``0.5``)."""
    if not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    text = f"{value:.{max(0, int(precision))}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return text


@dataclass(frozen=True)
class Shown:
    """A number as written: its ``text``, and the value the text stands for exactly (``exact``),
    or None when the text is a rounding of the number."""

    text: str
    exact: Fraction | None

    @property
    def is_exact(self) -> bool:
        return self.exact is not None


def _as_written(value: float, decimals: int) -> Shown:
    text = format_number(value, decimals)
    if np.float32(float(text)) == np.float32(value):
        return Shown(text, Fraction(text))
    return Shown(text, None)


def exact_decimals(values: Iterable[float], most: int = MAX_EXACT_DECIMALS) -> int | None:
    """The fewest decimals (0 to ``most``) that write every float32 value exactly, or None.

    >>> exact_decimals([0.0625, 0.125, 0.25]), exact_decimals([1 / 3])
    (4, None)
    """
    arr = np.unique(np.asarray(list(values), dtype=np.float32))
    arr = arr[np.isfinite(arr)]
    for d in range(most + 1):
        if np.array_equal(np.round(arr.astype(np.float64), d).astype(np.float32), arr):
            return d
    return None


def _total_text(total: Fraction, divisor: int) -> tuple[str, bool]:
    """An exact total as text: a short decimal when there is one, else a fraction (and whether
    the text is exact)."""
    if total.denominator == 1:
        return str(total.numerator), True
    if divisor > 1 and (total * divisor).denominator == 1:
        # Weights written over a divisor: the total over the same divisor reads as their sum.
        return f"{(total * divisor).numerator}/{divisor}", True
    den = total.denominator
    for d in range(1, MAX_TOTAL_DECIMALS + 1):
        if (10**d) % den == 0:
            return format_number(float(total), d), True
    if divisor > 1 and divisor % den == 0:
        total_over = total * divisor
        return f"{total_over.numerator}/{divisor}", True
    return f"{total.numerator}/{total.denominator}", True


@dataclass(frozen=True)
class NumberForm:
    """The way one lesson writes values and weights.

    ``value_decimals`` and ``weight_decimals`` give every value and weight exactly (None: they
    cannot, and are rounded to ``fallback`` decimals); ``divisor`` above 1 writes the weights as
    fractions over it (1/9, 3/256) when no short decimal gives them.
    """

    value_decimals: int | None
    weight_decimals: int | None
    divisor: int = 1
    fallback: int = 2

    def value(self, v: float) -> Shown:
        """An input value as written."""
        d = self.value_decimals if self.value_decimals is not None else self.fallback
        return _as_written(float(v), d)

    def weight(self, w: float) -> Shown:
        """A weight as written: a short decimal, or a fraction over the divisor."""
        if self.weight_decimals is None and self.divisor > 1:
            n = round(float(w) * self.divisor)
            if np.float32(n / self.divisor) == np.float32(w):
                if n == 0:
                    return Shown("0", Fraction(0))
                return Shown(f"{n}/{self.divisor}", Fraction(n, self.divisor))
        d = self.weight_decimals if self.weight_decimals is not None else self.fallback
        return _as_written(float(w), d)

    def number(self, v: float) -> Shown:
        """Any other number (a bias): exactly with up to 4 decimals, else rounded."""
        d = exact_decimals([v])
        return _as_written(float(v), self.fallback if d is None else d)

    def product(self, v: float, w: float) -> Shown:
        """``v × w`` written as one number (for wide kernels): exact when both are."""
        sv, sw = self.value(v), self.weight(w)
        if sv.is_exact and sw.is_exact:
            text, _ = _total_text(sv.exact * sw.exact, self.divisor)
            return Shown(text, sv.exact * sw.exact)
        return Shown(format_number(float(v) * float(w), self.fallback), None)

    def total(self, parts: Sequence[Shown], true_value: float) -> tuple[str, Shown]:
        """The sum of ``parts`` as written: ``("=", exact sum)`` when every part is exact,
        else ``("≈", the true value rounded)``."""
        if all(p.is_exact for p in parts):
            exact = sum((p.exact for p in parts), Fraction(0))
            text, _ = _total_text(exact, self.divisor)
            return "=", Shown(text, exact)
        return "≈", Shown(format_number(true_value, self.fallback), None)

    def cell_text(self, v: float) -> str:
        """A map or input cell: exact with up to 4 decimals, else ``fallback`` decimals."""
        d = exact_decimals([v])
        return format_number(float(v), self.fallback if d is None else d)


def number_form(values, weights, *, fallback: int = 2) -> NumberForm:
    """The form for a lesson whose inputs are ``values`` and whose kernel is ``weights``.

    >>> from filterstudio.core.kernels import get_preset
    >>> number_form([0, 1], get_preset("gaussian_blur").kernel).weight(0.0625).text
    '0.0625'
    >>> number_form([0, 1], get_preset("box_blur").kernel).weight(1 / 9).text
    '1/9'
    """
    w = np.asarray(weights, dtype=np.float32)
    weight_decimals = exact_decimals(w.ravel())
    divisor = 1
    if weight_decimals is None:
        divisor = int(integer_form(w)[1])
    return NumberForm(exact_decimals(np.ravel(values)), weight_decimals, divisor, fallback)
