"""parse_kernel_text(): a kernel written as text (rows, brackets, fractions), checked cell by cell.

Every kernel the studio reads, typed or from a file, ends in :func:`checked_kernel`: at most
15x15, at most :data:`MAX_DEPTH` channels, every value a finite float32. The sentences of
:class:`KernelParseError` say what is wrong and where (row, column, channel).
"""

from __future__ import annotations

import math
import re

import numpy as np

from .kernels import MAX_KERNEL_SIZE
from .sizes import counted

__all__ = [
    "MAX_DEPTH",
    "MAX_NESTING",
    "MAX_TEXT_BYTES",
    "SIGNED_NUMBER",
    "KernelParseError",
    "check_size",
    "checked_kernel",
    "from_nested",
    "parse_cell_value",
    "parse_kernel_text",
    "too_deep",
]

MAX_DEPTH = 4
# Brackets nest at most three deep in a kernel: [rows [values [channel values]]].
MAX_NESTING = 3
# A file larger than this is not a hand-written kernel; refuse before reading it all.
MAX_TEXT_BYTES = 1_000_000

# Patterns are kept as text: the re module compiles each on its first use and caches it,
# so importing this module compiles none of them.
_NUMBER = r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
SIGNED_NUMBER = rf"[+-]?{_NUMBER}"
_FRACTION = rf"([+-]?{_NUMBER})/([+-]?{_NUMBER})"
# Minus signs and spaces that arrive when numbers are copied from web pages and documents.
_TRANSLATE = str.maketrans({"\u2212": "-", "\u2013": "-", "\u00a0": " ", "\t": " "})


class KernelParseError(ValueError):
    """A kernel could not be read; the message is one sentence that says what and where."""


# Numbers -----------------------------------------------------------------------------------


def _number(text: str, where: str) -> float:
    """One value: a decimal, scientific notation or a fraction ``a/b``; ``where`` locates it."""
    token = text.strip().translate(_TRANSLATE)
    if not token:
        raise KernelParseError(f"The value {where} is empty.")
    if re.fullmatch(SIGNED_NUMBER, token):
        value = float(token)
    else:
        m = re.fullmatch(_FRACTION, token)
        if m is None:
            low = token.lower().lstrip("+-")
            if low in ("nan", "inf", "infinity"):
                raise KernelParseError(f"{token!r} {where} is not a finite number.")
            raise KernelParseError(f"{token!r} {where} is not a number.")
        num, den = float(m.group(1)), float(m.group(2))
        if den == 0:
            raise KernelParseError(f"{token!r} {where} divides by zero.")
        value = num / den
    if not math.isfinite(value) or not _fits_float32(value):
        raise KernelParseError(f"{token!r} {where} is too large to store.")
    return value


def _fits_float32(value: float) -> bool:
    with np.errstate(over="ignore"):
        return bool(np.isfinite(np.float32(value)))


def parse_cell_value(text: str) -> float:
    """The number typed into one cell of the kernel grid.

    Parameters
    ----------
    text : str
        A decimal (``-0.5``), scientific notation (``2e-3``) or a fraction (``1/16``).

    Returns
    -------
    float
        The value, as it will be stored (rounded to float32).

    Raises
    ------
    KernelParseError
        For empty text, words, NaN, infinity, division by zero or a value too large to store.

    Examples
    --------
    >>> parse_cell_value("1/16")
    0.0625
    """
    if not isinstance(text, str):
        text = str(text)
    if not text.strip():
        raise KernelParseError("The cell is empty; type a number such as 0.5, -2 or 1/16.")
    return float(np.float32(_number(text, "in this cell")))


def _cell_where(row: int, col: int, channel: int | None) -> str:
    if channel is None:
        return f"in row {row}, column {col}"
    return f"in channel {channel}, row {row}, column {col}"


# Text --------------------------------------------------------------------------------------


def _strip_comments(text: str) -> str:
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())


def _tokenize_brackets(text: str) -> list[str]:
    """Split bracket text into ``[``, ``]`` and value tokens (commas and spaces separate)."""
    out: list[str] = []
    for piece in re.split(r"(\[|\])|[\s,;]+", text):
        if piece:
            out.append(piece)
    return out


def _parse_brackets(text: str):
    """Nested lists of value strings from ``[[1, 2], [3, 4]]`` or numpy's ``[[1. 2.] [3. 4.]]``."""
    tokens = _tokenize_brackets(text)
    pos = 0

    def parse_list(depth: int):
        nonlocal pos
        if depth > MAX_NESTING:
            raise too_deep()
        pos += 1  # the opening bracket
        items = []
        while pos < len(tokens):
            tok = tokens[pos]
            if tok == "]":
                pos += 1
                return items
            if tok == "[":
                items.append(parse_list(depth + 1))
            else:
                items.append(tok)
                pos += 1
        raise KernelParseError("A '[' in the kernel text has no matching ']'.")

    if not tokens or tokens[0] != "[":
        raise KernelParseError("The kernel text starts with a bracket but is not a nested list.")
    result = parse_list(1)
    if pos != len(tokens):
        extra = tokens[pos]
        if extra == "]":
            raise KernelParseError("A ']' in the kernel text has no matching '['.")
        raise KernelParseError(f"{extra!r} comes after the closing bracket of the kernel.")
    return result


def too_deep() -> KernelParseError:
    return KernelParseError(
        f"The kernel is nested more than {MAX_NESTING} levels deep; a kernel is a list of rows "
        "of values (or of lists of channel values)."
    )


_CHANNEL_HEADER = r"(?i)\s*#\s*channel\s+\d+\s*:?\s*$"


def _split_channel_headers(text: str) -> list[str] | None:
    """The text of each channel when the text has ``# channel N`` header lines, else None."""
    lines = text.split("\n")
    if not any(re.fullmatch(_CHANNEL_HEADER, line) for line in lines):
        return None
    parts: list[list[str]] = []
    for line in lines:
        if re.fullmatch(_CHANNEL_HEADER, line):
            parts.append([])
        elif parts:
            parts[-1].append(line)
        elif _strip_comments(line).strip():
            raise KernelParseError("There are values before the first '# channel' line.")
    return ["\n".join(p) for p in parts]


def _split_rows(text: str) -> list[list[list[str]]]:
    """Blocks (separated by blank lines) of rows (lines or ``;``) of value strings."""
    blocks: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in text.split("\n"):
        if not line.strip():
            if current:
                blocks.append(current)
                current = []
            continue
        for row in line.split(";"):
            values = [v for v in re.split(r"[\s,]+", row.strip()) if v]
            if values:
                current.append(values)
    if current:
        blocks.append(current)
    return blocks


def _grid(rows: list, channel: int | None = None) -> np.ndarray:
    """A 2-D float64 grid from rows of value strings or numbers, checked for raggedness."""
    for i, row in enumerate(rows, start=1):
        if len(row) != len(rows[0]):
            where = "" if channel is None else f" of channel {channel}"
            raise KernelParseError(
                f"Row {i}{where} has {counted(len(row), 'value')} but row 1 has {len(rows[0])}."
            )
    check_size((len(rows), len(rows[0]) if rows else 0))
    out = np.empty((len(rows), len(rows[0]) if rows else 0), dtype=np.float64)
    for i, row in enumerate(rows):
        for j, cell in enumerate(row):
            out[i, j] = _cell(cell, _cell_where(i + 1, j + 1, channel))
    return out


def _shown(value) -> str:
    """A value as a message shows it: short, whatever it holds."""
    if isinstance(value, dict):
        return "An object"
    text = repr(value)
    return text if len(text) <= 30 else text[:27] + "..."


def _cell(cell, where: str) -> float:
    if isinstance(cell, str):
        return _number(cell, where)
    if isinstance(cell, list):
        raise KernelParseError(f"There is a list {where} where a number should be.")
    if isinstance(cell, (bool, np.bool_)) or not isinstance(cell, (int, float, np.number)):
        raise KernelParseError(f"{_shown(cell)} {where} is not a number.")
    try:
        value = float(cell)
    except OverflowError:  # a whole number with hundreds of digits
        raise KernelParseError(f"The value {where} is too large to store.") from None
    if not math.isfinite(value):
        raise KernelParseError(f"{_shown(cell)} {where} is not a finite number.")
    if not _fits_float32(value):
        raise KernelParseError(f"{_shown(cell)} {where} is too large to store.")
    return value


def from_nested(obj) -> np.ndarray:
    """A kernel from nested lists: ``[v, ...]`` (one row), ``[[...]]`` 2-D, ``[[[...]]]`` depth."""
    if not isinstance(obj, list):
        raise KernelParseError("A kernel must be a list of rows.")
    if not obj:
        raise KernelParseError("The kernel has no values.")
    if not any(isinstance(r, list) for r in obj):
        return _grid([obj])
    if not all(isinstance(r, list) for r in obj):
        raise KernelParseError("Some rows of the kernel are lists and some are single numbers.")
    depth_form = any(isinstance(c, list) for r in obj for c in r)
    if not depth_form:
        return _grid(obj)
    # [kh][kw][C]: every cell is a list of channel values.
    kw = len(obj[0])
    for i, row in enumerate(obj, start=1):
        if len(row) != kw:
            raise KernelParseError(f"Row {i} has {counted(len(row), 'value')} but row 1 has {kw}.")
        for j, cell in enumerate(row, start=1):
            if not isinstance(cell, list):
                raise KernelParseError(
                    f"The value in row {i}, column {j} is a single number but others are lists "
                    "of channels."
                )
    check_size((len(obj), kw))
    channels = len(obj[0][0]) if kw else 0
    out = np.empty((len(obj), kw, channels), dtype=np.float64)
    for i, row in enumerate(obj):
        for j, cell in enumerate(row):
            if len(cell) != channels:
                raise KernelParseError(
                    f"The value in row {i + 1}, column {j + 1} has {len(cell)} channels "
                    f"but the first has {channels}."
                )
            for c, v in enumerate(cell):
                out[i, j, c] = _cell(v, _cell_where(i + 1, j + 1, c + 1))
    return out


def check_size(shape: tuple[int, ...]) -> None:
    """Refuse a kernel larger than 15x15 before any work is spent on its values."""
    if len(shape) >= 2 and (shape[0] > MAX_KERNEL_SIZE or shape[1] > MAX_KERNEL_SIZE):
        raise KernelParseError(
            f"The kernel is {shape[0]}x{shape[1]}; the largest allowed is "
            f"{MAX_KERNEL_SIZE}x{MAX_KERNEL_SIZE}."
        )


def checked_kernel(arr: np.ndarray) -> np.ndarray:
    """``arr`` as float32 after the checks every kernel passes: size, depth, finiteness."""
    if arr.ndim == 1:
        arr = arr.reshape(1, -1)
    if arr.ndim not in (2, 3):
        raise KernelParseError(
            f"A kernel must be 2-D (or 3-D with depth); this one has {arr.ndim} dimensions."
        )
    if arr.size == 0:
        raise KernelParseError("The kernel has no values.")
    check_size(arr.shape)
    if arr.ndim == 3 and arr.shape[2] > MAX_DEPTH:
        raise KernelParseError(
            f"A depth kernel has 1 to {MAX_DEPTH} channels; this one has {arr.shape[2]}."
        )
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.ascontiguousarray(arr, dtype=np.float32)
    if not np.all(np.isfinite(out)):
        bad = tuple(int(i) + 1 for i in np.argwhere(~np.isfinite(out))[0])
        place = f"row {bad[0]}, column {bad[1]}" + (f", channel {bad[2]}" if len(bad) == 3 else "")
        raise KernelParseError(f"The value in {place} is not a finite number (NaN or infinity).")
    return out.copy() if out is arr else out


def parse_kernel_text(text: str) -> np.ndarray:
    """A kernel from text.

    Parameters
    ----------
    text : str
        Rows split by newlines or ``;``, values by spaces or commas: ``"1 0 -1; 2 0 -2; 1 0 -1"``.
        Values may be decimals, scientific notation or fractions (``1/16``, ``-1/8``).
        Brackets are welcome: ``"[[1, 2], [3, 4]]"`` or numpy's printed ``[[1. 2.] [3. 4.]]``
        (three levels of brackets give a depth kernel ``[kh][kw][C]``).
        Blocks of several rows separated by blank lines are the channels of a depth kernel,
        ``# channel N`` lines before each block make the depth explicit, as
        :func:`~filterstudio.core.kernels.format_kernel` writes them. ``#`` starts a comment.

    Returns
    -------
    numpy.ndarray
        float32, ``(kh, kw)`` or ``(kh, kw, C)``; at most 15x15.

    Raises
    ------
    KernelParseError
        With one sentence that says what is wrong and where.

    Examples
    --------
    >>> parse_kernel_text("1/4 1/2 1/4")
    array([[0.25, 0.5 , 0.25]], dtype=float32)
    """
    if not isinstance(text, str):
        raise KernelParseError(f"Kernel text must be a string, not {type(text).__name__}.")
    if len(text) > MAX_TEXT_BYTES:
        raise KernelParseError(
            f"The kernel text is {len(text):,} characters long; a kernel of at most "
            f"{MAX_KERNEL_SIZE}x{MAX_KERNEL_SIZE} values never needs {MAX_TEXT_BYTES:,}."
        )
    text = text.translate(_TRANSLATE).replace("\r\n", "\n").replace("\r", "\n")
    headed = _split_channel_headers(text)
    text = _strip_comments(text)
    stripped = text.strip()
    if not stripped:
        raise KernelParseError("The kernel text is empty.")
    if stripped.startswith("[") and headed is None:
        return checked_kernel(from_nested(_parse_brackets(stripped)))
    if headed is not None:
        # "# channel N" headers make the depth explicit, even for one channel or one row.
        blocks = [
            [row for block in _split_rows(_strip_comments(part)) for row in block]
            for part in headed
        ]
        for c, block in enumerate(blocks, start=1):
            if not block:
                raise KernelParseError(f"Channel {c} has no values.")
    else:
        blocks = _split_rows(text)
        if not blocks:
            raise KernelParseError("The kernel text is empty.")
    if headed is not None or (len(blocks) > 1 and any(len(b) > 1 for b in blocks)):
        # The channels of a depth kernel: blocks of rows between headers or blank lines.
        first = blocks[0]
        planes = []
        for c, block in enumerate(blocks, start=1):
            if len(block) != len(first) or len(block[0]) != len(first[0]):
                raise KernelParseError(
                    f"Channel {c} is {len(block)}x{len(block[0])} but channel 1 is "
                    f"{len(first)}x{len(first[0])}."
                )
            planes.append(_grid(block, channel=c))
        return checked_kernel(np.stack(planes, axis=2))
    # One block, or single rows separated by blank lines: a plain 2-D kernel.
    rows = [row for block in blocks for row in block]
    return checked_kernel(_grid(rows))
