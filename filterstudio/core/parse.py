"""Read a kernel from a preset name, literal text, or a .txt/.npy/.json file."""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .kernels import MAX_KERNEL_SIZE, find_preset, get_preset

__all__ = [
    "KERNEL_FILE_SUFFIXES",
    "MAX_DEPTH",
    "KernelParseError",
    "ParsedKernel",
    "parse_cell_value",
    "parse_kernel",
    "parse_kernel_text",
    "read_kernel",
]

KERNEL_FILE_SUFFIXES = (".txt", ".npy", ".json")
MAX_DEPTH = 4
# Brackets nest at most three deep in a kernel: [rows [values [channel values]]].
_MAX_NESTING = 3
# A file larger than this is not a hand-written kernel; refuse before reading it all.
_MAX_TEXT_BYTES = 1_000_000

# Patterns are kept as text: the re module compiles each on its first use and caches it,
# so importing this module compiles none of them.
_NUMBER = r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_SIGNED_NUMBER = rf"[+-]?{_NUMBER}"
_FRACTION = rf"([+-]?{_NUMBER})/([+-]?{_NUMBER})"
# Minus signs and spaces that arrive when numbers are copied from web pages and documents.
_TRANSLATE = str.maketrans({"\u2212": "-", "\u2013": "-", "\u00a0": " ", "\t": " "})


class KernelParseError(ValueError):
    """A kernel could not be read; the message is one sentence that says what and where."""


@dataclass(frozen=True)
class ParsedKernel:
    """A kernel together with where it came from.

    Attributes
    ----------
    kernel : numpy.ndarray
        float32, ``(kh, kw)`` or ``(kh, kw, C)``.
    name : str
        The preset name, the file's stem, or ``"custom"`` for literal text.
    note : str or None
        Something worth telling the user, e.g. that a bank file holds more filters than the
        one that was read; ``None`` otherwise.
    """

    kernel: np.ndarray
    name: str
    note: str | None = None


# Numbers -----------------------------------------------------------------------------------


def _number(text: str, where: str) -> float:
    """One value: a decimal, scientific notation or a fraction ``a/b``; ``where`` locates it."""
    token = text.strip().translate(_TRANSLATE)
    if not token:
        raise KernelParseError(f"The value {where} is empty.")
    if re.fullmatch(_SIGNED_NUMBER, token):
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
        if depth > _MAX_NESTING:
            raise _too_deep()
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


def _too_deep() -> KernelParseError:
    return KernelParseError(
        f"The kernel is nested more than {_MAX_NESTING} levels deep; a kernel is a list of rows "
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
                f"Row {i}{where} has {_count(len(row))} but row 1 has {len(rows[0])}."
            )
    _check_size((len(rows), len(rows[0]) if rows else 0))
    out = np.empty((len(rows), len(rows[0]) if rows else 0), dtype=np.float64)
    for i, row in enumerate(rows):
        for j, cell in enumerate(row):
            out[i, j] = _cell(cell, _cell_where(i + 1, j + 1, channel))
    return out


def _count(n: int) -> str:
    return f"{n} value" if n == 1 else f"{n} values"


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


def _from_nested(obj) -> np.ndarray:
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
            raise KernelParseError(f"Row {i} has {_count(len(row))} but row 1 has {kw}.")
        for j, cell in enumerate(row, start=1):
            if not isinstance(cell, list):
                raise KernelParseError(
                    f"The value in row {i}, column {j} is a single number but others are lists "
                    "of channels."
                )
    _check_size((len(obj), kw))
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


def _check_size(shape: tuple[int, ...]) -> None:
    """Refuse a kernel larger than 15x15 before any work is spent on its values."""
    if len(shape) >= 2 and (shape[0] > MAX_KERNEL_SIZE or shape[1] > MAX_KERNEL_SIZE):
        raise KernelParseError(
            f"The kernel is {shape[0]}x{shape[1]}; the largest allowed is "
            f"{MAX_KERNEL_SIZE}x{MAX_KERNEL_SIZE}."
        )


def _checked(arr: np.ndarray) -> np.ndarray:
    """``arr`` as float32 after the checks every kernel passes: size, depth, finiteness."""
    if arr.ndim == 1:
        arr = arr.reshape(1, -1)
    if arr.ndim not in (2, 3):
        raise KernelParseError(
            f"A kernel must be 2-D (or 3-D with depth); this one has {arr.ndim} dimensions."
        )
    if arr.size == 0:
        raise KernelParseError("The kernel has no values.")
    _check_size(arr.shape)
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
    if len(text) > _MAX_TEXT_BYTES:
        raise KernelParseError(
            f"The kernel text is {len(text):,} characters long; a kernel of at most "
            f"{MAX_KERNEL_SIZE}x{MAX_KERNEL_SIZE} values never needs {_MAX_TEXT_BYTES:,}."
        )
    text = text.translate(_TRANSLATE).replace("\r\n", "\n").replace("\r", "\n")
    headed = _split_channel_headers(text)
    text = _strip_comments(text)
    stripped = text.strip()
    if not stripped:
        raise KernelParseError("The kernel text is empty.")
    if stripped.startswith("[") and headed is None:
        return _checked(_from_nested(_parse_brackets(stripped)))
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
        return _checked(np.stack(planes, axis=2))
    # One block, or single rows separated by blank lines: a plain 2-D kernel.
    rows = [row for block in blocks for row in block]
    return _checked(_grid(rows))


# Files and specs ---------------------------------------------------------------------------


def _in_file(err: KernelParseError, path: Path) -> KernelParseError:
    msg = str(err)
    body = msg.removesuffix(".")
    return KernelParseError(f"{body} (in {path.name}).")


def _read_npy(path: Path) -> np.ndarray:
    from .npyfile import read_npy

    def check(header) -> None:
        # The shape is judged from the header: a file claiming a huge array is never read.
        if len(header.shape) not in (1, 2, 3):
            raise KernelParseError(
                f"A kernel must be 2-D (or 3-D with depth); the array in {path.name} has "
                f"{len(header.shape)} dimensions."
            )
        try:
            _check_size(header.shape if len(header.shape) > 1 else (1, *header.shape))
        except KernelParseError as err:
            raise _in_file(err, path) from None
        if len(header.shape) == 3 and header.shape[2] > MAX_DEPTH:
            raise KernelParseError(
                f"A depth kernel has 1 to {MAX_DEPTH} channels; the one in {path.name} has "
                f"{header.shape[2]}."
            )

    arr = read_npy(
        path,
        max_bytes=MAX_KERNEL_SIZE * MAX_KERNEL_SIZE * MAX_DEPTH * 16,
        max_file_bytes=_MAX_TEXT_BYTES,
        check=check,
        what="kernel file",
        error=KernelParseError,
    )
    try:
        return _checked(np.array(arr, dtype=np.float64))
    except KernelParseError as err:
        raise _in_file(err, path) from None


def _read_json(path: Path) -> tuple[np.ndarray, str | None, str | None]:
    """(kernel, filter name or None, note or None) from a nested list or a bank file."""
    import json  # only kernel files in JSON need it

    text = _read_text(path)
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise KernelParseError(
            f"{path.name} is not valid JSON (line {exc.lineno}, column {exc.colno})."
        ) from None
    except RecursionError:  # the decoder stops at the interpreter's depth limit
        raise _too_deep() from None
    except ValueError:  # an integer with thousands of digits
        raise KernelParseError(f"{path.name} holds a number too long to read.") from None
    name = note = None
    if isinstance(obj, dict):
        if "filters" in obj:
            filters = obj["filters"]
            if not isinstance(filters, list) or not filters:
                raise KernelParseError(f"The bank file {path.name} has no filters.")
            first = filters[0]
            if not isinstance(first, dict) or "kernel" not in first:
                raise KernelParseError(f"The first filter in {path.name} has no kernel.")
            name = first.get("name") if isinstance(first.get("name"), str) else None
            if len(filters) > 1:
                label = f" {name!r}" if name else ""
                note = f"{path.name} holds {len(filters)} filters; this uses the first one{label}."
            obj = first["kernel"]
        elif "kernel" in obj:
            name = obj.get("name") if isinstance(obj.get("name"), str) else None
            obj = obj["kernel"]
        else:
            raise KernelParseError(
                f"{path.name} is neither a list of rows nor a Filter Studio bank file."
            )
    if isinstance(obj, str):
        kernel = parse_kernel_text(obj)
    else:
        kernel = _checked(_from_nested(obj))
    return kernel, name, note


def _read_text(path: Path) -> str:
    from .userfile import read_user_file

    # A regular file only, read without blocking and never past the limit (/dev/zero, FIFOs).
    raw = read_user_file(
        path, max_bytes=_MAX_TEXT_BYTES, what="kernel file", error=KernelParseError
    )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise KernelParseError(f"{path.name} is not a text file.") from None
    # Universal newlines, as reading in text mode gave.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _read_file(path: Path) -> ParsedKernel:
    if not path.exists():
        raise KernelParseError(f"There is no kernel file {str(path)!r}.")
    if path.is_dir():
        raise KernelParseError(f"{str(path)!r} is a folder, not a kernel file.")
    suffix = path.suffix.lower()
    try:
        if suffix == ".npy":
            return ParsedKernel(_read_npy(path), path.stem)
        if suffix == ".json":
            kernel, name, note = _read_json(path)
            return ParsedKernel(kernel, name or path.stem, note)
        text = _read_text(path)
    except KernelParseError as err:
        if path.name in str(err):
            raise
        raise _in_file(err, path) from None
    try:
        return ParsedKernel(parse_kernel_text(text), path.stem)
    except KernelParseError as err:
        raise _in_file(err, path) from None


def _is_name_like(text: str) -> bool:
    if re.fullmatch(r"[A-Za-z][\w\- ]*", text) is None:
        return False
    for token in re.split(r"[\s,;]+", text):
        word = token.lower().lstrip("+-")
        if re.fullmatch(_SIGNED_NUMBER, token) or word in ("nan", "inf", "infinity"):
            return False
    return True


def _looks_like_path(text: str) -> bool:
    if text.lower().endswith(KERNEL_FILE_SUFFIXES):
        return True
    if "\n" in text or len(text) > 4096:
        return False
    try:
        return os.path.isfile(text)
    except (OSError, ValueError):
        return False


def read_kernel(spec) -> ParsedKernel:
    """Like :func:`parse_kernel`, but also says where the kernel came from.

    Returns
    -------
    ParsedKernel
        The kernel, a name for it (preset name, file stem, or ``"custom"``) and an optional
        note for the user (a bank file with several filters says that only the first was read).
    """
    try:
        return _read_kernel(spec)
    except KernelParseError:
        raise
    except MemoryError:
        raise KernelParseError("There is not enough memory to read this kernel.") from None
    except RecursionError:
        raise _too_deep() from None
    except (ValueError, TypeError, KeyError, IndexError, OverflowError):
        raise KernelParseError("The kernel could not be read: it holds a value that is not "
                               "a number in a grid.") from None


def _read_kernel(spec) -> ParsedKernel:
    if isinstance(spec, os.PathLike):
        return _read_file(Path(spec))
    if isinstance(spec, (list, tuple)):
        return ParsedKernel(_checked(_from_nested(_listify(spec, 1))), "custom")
    if isinstance(spec, np.ndarray):
        if spec.dtype.kind not in "biuf":
            raise KernelParseError(f"A kernel holds real numbers, not {spec.dtype} values.")
        _check_size(spec.shape)
        return ParsedKernel(_checked(spec.astype(np.float64)), "custom")
    if not isinstance(spec, str):
        raise KernelParseError(
            f"A kernel is a preset name, text or a file path, not {type(spec).__name__}."
        )
    text = spec.strip()
    if not text:
        raise KernelParseError("The kernel text is empty.")
    preset = find_preset(text)
    if preset is not None:
        return ParsedKernel(preset.kernel.copy(), preset.name)
    if _looks_like_path(text):
        return _read_file(Path(text))
    if _is_name_like(text):
        # Words without a single number among them: most likely a misspelt preset name.
        try:
            get_preset(text)
        except ValueError as err:
            raise KernelParseError(str(err)) from None
    return ParsedKernel(parse_kernel_text(spec), "custom")


def _listify(obj, depth: int):
    if isinstance(obj, (list, tuple)):
        if depth > _MAX_NESTING:
            raise _too_deep()
        return [_listify(x, depth + 1) for x in obj]
    return obj


def parse_kernel(spec) -> np.ndarray:
    """A kernel from a preset name, literal text, a file, or an array.

    Parameters
    ----------
    spec : str, os.PathLike or array_like
        * a preset name, e.g. ``"sobel_x"`` or ``"Gaussian blur"``;
        * literal text, e.g. ``"1 0 -1; 2 0 -2; 1 0 -1"`` or ``"[[1,2],[3,4]]"``
          (see :func:`parse_kernel_text`);
        * a path to a ``.txt`` file (the same text), a ``.npy`` file (2-D or 3-D) or a ``.json``
          file: a nested list, or a bank file, of which the first filter's kernel is read;
        * an array or nested list of numbers.

        A string is read as a path when it ends in ``.txt``, ``.npy`` or ``.json`` or names an
        existing file, and as a preset name when it matches one.

    Returns
    -------
    numpy.ndarray
        A new float32 array ``(kh, kw)`` or ``(kh, kw, C)``, every value finite, at most 15x15.

    Raises
    ------
    KernelParseError
        With one sentence that says what is wrong and where.

    Examples
    --------
    >>> parse_kernel("1 0 -1; 2 0 -2; 1 0 -1")
    array([[ 1.,  0., -1.],
           [ 2.,  0., -2.],
           [ 1.,  0., -1.]], dtype=float32)
    """
    return read_kernel(spec).kernel
