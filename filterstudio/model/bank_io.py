"""The filter bank's JSON form: exact writing, strict reading, one-sentence errors, atomic files.

Settings are saved as names and values, never as positions in a list of choices, so a file keeps
its meaning when the window's menus are reordered.
"""

from __future__ import annotations

import json
import math
import numbers
import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.atomic import atomic_write
from ..core.limits import FLOAT32_LIMIT as _FLOAT32_LIMIT
from ..core.limits import MAX_DILATION, MAX_PADDING, MAX_STRIDE
from .bank import (
    ACTIVATIONS,
    BORDERS,
    CHANNEL_MODES,
    MAX_FILTERS,
    MAX_KERNEL_SIZE,
    PADDING_NAMES,
    Bank,
    Filter,
    Layer,
)
from .jsonfile import load_guarded, read_json

FORMAT = "filterstudio-bank"
SESSION_FORMAT = "filterstudio-session"
#: The newest version written and read. Version 1 holds one stage (the bank); version 2 adds
#: ``stages``, the later stages of a stack (see ``model.stack_io``). A file is written as
#: version 2 only when it has later stages, so programs that read version 1 keep reading banks.
VERSION = 2
OLDEST_VERSION = 1
#: A bank file larger than this is refused before it is read.
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_NAME_LENGTH = 200
MAX_DEPTH = 4
_LINE = 100


class BankFormatError(ValueError):
    """A bank (file or dictionary) that cannot be read or written; the message is one sentence."""


# ----------------------------------------------------------------------------------------------
# Writing


def _kernel_value(v: np.float32) -> float | int:
    """The shortest decimal that reads back as the same float32; whole numbers as integers."""
    f = float(str(v))
    if np.float32(f) != v:  # never seen, but the file must stay exact
        f = float(v)
    if f.is_integer() and abs(f) < 2**53 and not (f == 0 and math.copysign(1.0, f) < 0):
        return int(f)
    return f


def _kernel_to_list(kernel: np.ndarray) -> list:
    if kernel.ndim == 2:
        return [[_kernel_value(v) for v in row] for row in kernel]
    return [[[_kernel_value(v) for v in cell] for cell in row] for row in kernel]


def _pair_or_name(value: Any) -> Any:
    return value if isinstance(value, str) else [int(value[0]), int(value[1])]


def bank_to_dict(bank: Bank, *, header: bool = True) -> dict:
    """The JSON form of ``bank`` (see docs/ARCHITECTURE.md).

    Parameters
    ----------
    bank : Bank
        The bank to describe.
    header : bool
        Include ``format`` and ``version`` (a bank file); a session embeds the bank without them.

    Returns
    -------
    dict
        Plain Python values only; kernels as nested lists ``[kh][kw]`` or ``[kh][kw][C]`` whose
        numbers read back as exactly the same float32 values.
    """
    layer = bank.layer
    out: dict[str, Any] = {}
    if header:
        out["format"] = FORMAT
        out["version"] = OLDEST_VERSION  # one stage: what every reader of version 1 reads
    out["layer"] = {
        "stride": _pair_or_name(layer.stride),
        "padding": _pair_or_name(layer.padding),
        "border": layer.border,
        "cval": float(layer.cval),
        "dilation": _pair_or_name(layer.dilation),
        "channel_mode": layer.channel_mode,
    }
    out["filters"] = [
        {
            "name": f.name,
            "kernel": _kernel_to_list(f.kernel),
            "bias": float(f.bias),
            "activation": f.activation,
            "enabled": bool(f.enabled),
        }
        for f in bank.filters
    ]
    return out


def _has_object(value: Any) -> bool:
    if isinstance(value, dict):
        return True
    return isinstance(value, list) and any(_has_object(v) for v in value)


def _pretty(value: Any, level: int) -> str:
    flat = json.dumps(value, allow_nan=False, ensure_ascii=False)
    if not isinstance(value, (dict, list)) or not value:
        return flat
    if not _has_object(value) and len(flat) + 2 * level <= _LINE:
        return flat
    inner = "  " * (level + 1)
    if isinstance(value, dict):
        items = [
            f"{json.dumps(str(k), ensure_ascii=False)}: {_pretty(v, level + 1)}"
            for k, v in value.items()
        ]
        open_, close = "{", "}"
    else:
        items = [_pretty(v, level + 1) for v in value]
        open_, close = "[", "]"
    return open_ + "\n" + ",\n".join(inner + i for i in items) + "\n" + "  " * level + close


def dumps(data: Any) -> bytes:
    """``data`` as UTF-8 JSON text a person can read: one kernel row per line when rows are long.

    Parameters
    ----------
    data : object
        JSON-compatible values; NaN and infinity are refused (``ValueError``).

    Returns
    -------
    bytes
        The file's content, ending with a newline.
    """
    text = _pretty(data, 0) + "\n"
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate in a name: let JSON escape it
        return (json.dumps(data, allow_nan=False, indent=2) + "\n").encode("ascii")


def write_file(
    path: str | os.PathLike, content: bytes, *, overwrite: bool, what: str, error: type[ValueError]
) -> None:
    """Write ``content`` to ``path`` atomically; failures become ``error`` with one sentence."""
    name = os.path.basename(os.fspath(path)) or os.fspath(path)
    try:
        with atomic_write(path, overwrite=overwrite) as tmp, open(tmp, "wb") as f:
            f.write(content)
    except FileExistsError:
        raise error(f"{name} already exists; choose another name or allow replacing it.") from None
    except OSError as e:
        reason = e.strerror or str(e) or type(e).__name__
        raise error(f"The {what} could not be saved to {name}: {reason}.") from None


def save_bank(path: str | os.PathLike, bank: Bank, *, overwrite: bool = True) -> None:
    """Save ``bank`` as a bank file, atomically: a failed save leaves the old file as it was.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write (conventionally ``.json``).
    bank : Bank
        The bank to save.
    overwrite : bool
        If False, refuse to replace an existing file.

    Raises
    ------
    BankFormatError
        The file exists and ``overwrite`` is False, or the file system refused the write.
    """
    write_file(
        path, dumps(bank_to_dict(bank)), overwrite=overwrite, what="bank", error=BankFormatError
    )


# ----------------------------------------------------------------------------------------------
# Reading


def describe(value: Any) -> str:
    """A short description of a JSON value for a message, e.g. ``'abc'``, ``7``, ``a list``."""
    if value is None:
        return "null"
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return str(int(value)) if abs(int(value)) < 10**15 else "a very large number"
    if isinstance(value, numbers.Real):
        return repr(float(value))
    if isinstance(value, str):
        return repr(value) if len(value) <= 30 else repr(value[:27] + "...")
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


def check_version(value: Any, what: str, error: type[ValueError]) -> None:
    """Raise ``error`` unless ``value`` is a version this program reads (1 to ``VERSION``)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise error(f"The {what}'s version must be a whole number, not {describe(value)}.")
    readable = f"versions {OLDEST_VERSION} and {VERSION}"
    if value > VERSION:
        shown = describe(value)
        raise error(
            f"This {what} was saved by a newer Filter Studio (version {shown}); "
            f"this one reads {readable}."
        )
    if value < OLDEST_VERSION:
        raise error(
            f"This {what} has version {describe(value)}, which Filter Studio does not know; "
            f"it reads {readable}."
        )


def _fail(where: str, detail: str) -> BankFormatError:
    return BankFormatError(f"{where}: {detail}.")


def _number(value: Any, where: str, what: str) -> float:
    """A finite number that fits a float32 (bool is not a number here)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise _fail(where, f"{what} must be a number, not {describe(value)}")
    try:
        f = float(value)
    except OverflowError:
        raise _fail(where, f"{what} is too large") from None
    if not math.isfinite(f):
        raise _fail(where, f"{what} is not a finite number")
    if abs(f) >= _FLOAT32_LIMIT:
        raise _fail(where, f"{what} is too large for a 32-bit float")
    return f


def _whole(value: Any, where: str, what: str, lo: int, hi: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise _fail(where, f"{what} must be a whole number, not {describe(value)}")
    if isinstance(value, numbers.Integral):
        n = int(value)
    else:
        f = float(value)
        if not math.isfinite(f) or not f.is_integer():
            raise _fail(where, f"{what} must be a whole number, not {describe(value)}")
        n = int(f)
    if n < lo:
        raise _fail(where, f"{what} must be at least {lo}")
    if n > hi:
        raise _fail(where, f"{what} may be at most {hi}, not {describe(n)}")
    return n


def _pair(value: Any, where: str, what: str, lo: int, hi: int) -> tuple[int, int]:
    if isinstance(value, list):
        if len(value) != 2:
            raise _fail(where, f"{what} takes one whole number or a pair [rows, columns]")
        return (_whole(value[0], where, what, lo, hi), _whole(value[1], where, what, lo, hi))
    n = _whole(value, where, what, lo, hi)
    return n, n


def _choice(value: Any, where: str, what: str, choices: tuple[str, ...]) -> str:
    listed = ", ".join(choices[:-1]) + " or " + choices[-1]
    if not isinstance(value, str):
        raise _fail(where, f"{what} must be a name ({listed}), not {describe(value)}")
    if value not in choices:
        raise _fail(
            where, f"unknown {what.removeprefix('the ')} {describe(value)}; choose {listed}"
        )
    return value


def _kernel(value: Any, where: str, max_depth: int = MAX_DEPTH) -> np.ndarray:
    if not isinstance(value, list):
        raise _fail(where, f"the kernel must be a list of rows, not {describe(value)}")
    if not value:
        raise _fail(where, "the kernel has no rows")
    if len(value) > MAX_KERNEL_SIZE:
        raise _fail(
            where, f"the kernel has {len(value)} rows; at most {MAX_KERNEL_SIZE} are allowed"
        )
    first = value[0]
    if not isinstance(first, list):
        raise _fail(where, f"kernel row 1 must be a list of numbers, not {describe(first)}")
    width = len(first)
    if width == 0:
        raise _fail(where, "the kernel has no columns")
    if width > MAX_KERNEL_SIZE:
        raise _fail(where, f"the kernel has {width} columns; at most {MAX_KERNEL_SIZE} are allowed")
    depth = len(first[0]) if isinstance(first[0], list) else None
    if depth is not None and not 1 <= depth <= max_depth:
        raise _fail(where, f"a depth kernel has 1 to {max_depth} channels, not {depth}")
    rows = []
    for r, row in enumerate(value, 1):
        if not isinstance(row, list):
            raise _fail(where, f"kernel row {r} must be a list of numbers, not {describe(row)}")
        if len(row) != width:
            raise _fail(where, "the kernel rows have different lengths")
        cells = []
        for c, cell in enumerate(row, 1):
            at = f"the kernel value at row {r}, column {c}"
            if depth is None:
                cells.append(_number(cell, where, at))
                continue
            if not isinstance(cell, list) or len(cell) != depth:
                raise _fail(
                    where,
                    f"every kernel cell must hold {depth} channel values "
                    f"(row {r}, column {c} does not)",
                )
            cells.append([_number(v, where, f"{at}, channel {ch}") for ch, v in enumerate(cell, 1)])
        rows.append(cells)
    return np.array(rows, dtype=np.float32)


def _filter(value: Any, index: int, max_depth: int = MAX_DEPTH, stage: str = "") -> Filter:
    where = f"{stage}filter {index}" if stage else f"Filter {index}"
    if not isinstance(value, dict):
        raise _fail(where, f"expected an object with a name and a kernel, not {describe(value)}")
    name = value.get("name", f"filter {index}")
    if not isinstance(name, str):
        raise _fail(where, f"the name must be text, not {describe(name)}")
    if len(name) > MAX_NAME_LENGTH:
        raise _fail(
            where, f"the name has {len(name)} characters; at most {MAX_NAME_LENGTH} are allowed"
        )
    if "name" in value:
        where = f"{where} ({describe(name)})"
    if "kernel" not in value:
        raise _fail(where, "the kernel is missing")
    kernel = _kernel(value["kernel"], where, max_depth)
    bias = _number(value.get("bias", 0.0), where, "the bias")
    activation = _choice(value.get("activation", "none"), where, "the activation", ACTIVATIONS)
    enabled = value.get("enabled", True)
    if not isinstance(enabled, bool):
        raise _fail(where, f"'enabled' must be true or false, not {describe(enabled)}")
    try:
        return Filter(name=name, kernel=kernel, bias=bias, activation=activation, enabled=enabled)
    except ValueError as e:  # a rule of Filter that the checks above do not know yet
        msg = str(e).rstrip(".")
        raise _fail(where, msg[:1].lower() + msg[1:]) from None


def _layer(value: Any, stage: str = "") -> Layer:
    where = f"{stage}layer" if stage else "Layer"
    if not isinstance(value, dict):
        what = f"{stage}layer settings" if stage else "The layer settings"
        raise BankFormatError(f"{what} must be an object, not {describe(value)}.")
    stride = _pair(value.get("stride", 1), where, "the stride", 1, MAX_STRIDE)
    dilation = _pair(value.get("dilation", 1), where, "the dilation", 1, MAX_DILATION)
    padding: Any = value.get("padding", "valid")
    if isinstance(padding, str):
        if padding not in PADDING_NAMES:
            raise _fail(
                where,
                f"unknown padding {describe(padding)}; use valid, same, full, "
                "a number or a pair of numbers",
            )
    elif isinstance(padding, (list, numbers.Real)) and not isinstance(padding, bool):
        padding = _pair(padding, where, "the padding", 0, MAX_PADDING)
    else:
        raise _fail(
            where,
            "the padding must be valid, same, full, a number or a pair of "
            f"numbers, not {describe(padding)}",
        )
    border = _choice(value.get("border", "constant"), where, "the border", BORDERS)
    cval = _number(value.get("cval", 0.0), where, "the border value (cval)")
    default_mode = "depth" if stage else "color"
    mode = _choice(value.get("channel_mode", default_mode), where, "the channel mode", CHANNEL_MODES)
    try:
        return Layer(
            stride=stride,
            padding=padding,
            border=border,
            cval=cval,
            dilation=dilation,
            channel_mode=mode,
        )
    except ValueError as e:
        msg = str(e).rstrip(".")
        raise _fail(where, msg[:1].lower() + msg[1:]) from None


def bank_from_dict(d: Any) -> Bank:
    """Read a bank from its JSON form, checking every field.

    ``filters`` and each filter's ``kernel`` are required; the other fields may be left out and
    take the defaults of :class:`Filter` and :class:`Layer`. Unknown keys are ignored. ``format``
    and ``version`` are optional here (a session embeds the bank without them) but checked when
    present. Every filter gets a new ``uid``.

    Parameters
    ----------
    d : object
        Usually the result of ``json.load``.

    Returns
    -------
    Bank

    Raises
    ------
    BankFormatError
        With one sentence saying what is wrong and where, e.g.
        ``"Filter 2 ('edges'): the kernel rows have different lengths."``
    """
    if not isinstance(d, dict):
        raise BankFormatError(f"A bank must be a JSON object, not {describe(d)}.")
    if "format" in d and d["format"] != FORMAT:
        raise BankFormatError(
            f"This is not a Filter Studio bank (its format is {describe(d['format'])})."
        )
    if "version" in d:
        check_version(d["version"], "bank", BankFormatError)
    if "filters" not in d:
        raise BankFormatError("The bank has no list of filters.")
    filters = d["filters"]
    if not isinstance(filters, list):
        raise BankFormatError(f"The bank's filters must be a list, not {describe(filters)}.")
    if len(filters) > MAX_FILTERS:
        raise BankFormatError(
            f"A bank holds at most {MAX_FILTERS} filters; this one has {len(filters)}."
        )
    layer = _layer(d.get("layer", {}))
    return Bank(tuple(_filter(f, i) for i, f in enumerate(filters, 1)), layer)


def load_bank(path: str | os.PathLike) -> Bank:
    """Load a bank file written by :func:`save_bank` (or by hand).

    The file must say ``"format": "filterstudio-bank"`` and carry a version this program reads.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    Bank
        What the file holds, every value checked.

    Raises
    ------
    BankFormatError
        The file is missing, too large, not JSON, not a bank, from a newer version, or holds a
        value that breaks a rule; the message is one sentence.
    """
    return load_guarded(_load_bank, path, BankFormatError)


@dataclass(frozen=True)
class StudioFileKind:
    """One kind of Filter Studio JSON file, as its reader checks it.

    ``what`` names the kind in the sentences ("bank", "session"); ``fmt`` is its ``format``
    field; ``mistaken`` maps the format of another kind of studio file to what is said of it
    after its name.
    """

    what: str
    fmt: str
    max_bytes: int
    error: type[ValueError]
    mistaken: dict[str, str]

    def read(self, path: str | os.PathLike, name: str) -> dict:
        """The file's JSON object, its format and version checked; ``error`` with a sentence."""
        error, what = self.error, self.what
        data = read_json(path, what=what, max_bytes=self.max_bytes, error=error)
        if not isinstance(data, dict):
            raise error(
                f"{name} is not a Filter Studio {what} (it holds {describe(data)}, not an object)."
            )
        found = data.get("format")
        if isinstance(found, str) and found in self.mistaken:
            raise error(f"{name} {self.mistaken[found]}.")
        if found != self.fmt:
            detail = (
                "its format field is missing"
                if found is None
                else f"its format is {describe(found)}"
            )
            raise error(f"{name} is not a Filter Studio {what} ({detail}).")
        if "version" not in data:
            raise error(f"{name} has no version number, so it cannot be read as a {what}.")
        check_version(data["version"], what, error)
        return data


BANK_FILE = StudioFileKind(
    what="bank",
    fmt=FORMAT,
    max_bytes=MAX_FILE_BYTES,
    error=BankFormatError,
    mistaken={SESSION_FORMAT: "is a Filter Studio session, not a bank; open it as a session"},
)


def bank_file_data(path: str | os.PathLike, name: str) -> dict:
    """The JSON object of the bank file at ``path``, its format and version checked."""
    return BANK_FILE.read(path, name)


def _load_bank(path: str | os.PathLike, name: str) -> Bank:
    data = bank_file_data(path, name)
    bank = bank_from_dict(data)
    later = data.get("stages") if data["version"] >= 2 else None
    if later:
        n = len(later) + 1 if isinstance(later, list) else "several"
        raise BankFormatError(
            f"{name} holds a stack of {n} stages, not one bank; open it as a stack."
        )
    return bank
