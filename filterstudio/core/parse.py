"""Read a kernel from a preset name, literal text, or a .txt/.npy/.json file."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .kernel_text import (
    MAX_DEPTH,
    MAX_NESTING,
    MAX_TEXT_BYTES,
    SIGNED_NUMBER,
    KernelParseError,
    check_size,
    checked_kernel,
    from_nested,
    parse_cell_value,
    parse_kernel_text,
    too_deep,
)
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
            check_size(header.shape if len(header.shape) > 1 else (1, *header.shape))
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
        max_file_bytes=MAX_TEXT_BYTES,
        check=check,
        what="kernel file",
        error=KernelParseError,
    )
    try:
        return checked_kernel(np.array(arr, dtype=np.float64))
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
        raise too_deep() from None
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
        kernel = checked_kernel(from_nested(obj))
    return kernel, name, note


def _read_text(path: Path) -> str:
    from .userfile import read_user_file

    # A regular file only, read without blocking and never past the limit (/dev/zero, FIFOs).
    raw = read_user_file(path, max_bytes=MAX_TEXT_BYTES, what="kernel file", error=KernelParseError)
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
        if re.fullmatch(SIGNED_NUMBER, token) or word in ("nan", "inf", "infinity"):
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
        raise too_deep() from None
    except (ValueError, TypeError, KeyError, IndexError, OverflowError):
        raise KernelParseError(
            "The kernel could not be read: it holds a value that is not a number in a grid."
        ) from None


def _read_kernel(spec) -> ParsedKernel:
    if isinstance(spec, os.PathLike):
        return _read_file(Path(spec))
    if isinstance(spec, (list, tuple)):
        return ParsedKernel(checked_kernel(from_nested(_listify(spec, 1))), "custom")
    if isinstance(spec, np.ndarray):
        if spec.dtype.kind not in "biuf":
            raise KernelParseError(f"A kernel holds real numbers, not {spec.dtype} values.")
        check_size(spec.shape)
        return ParsedKernel(checked_kernel(spec.astype(np.float64)), "custom")
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
        if depth > MAX_NESTING:
            raise too_deep()
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
        With one sentence that says what is wrong and where: in the text, the file or the name.

    Examples
    --------
    >>> parse_kernel("1 0 -1; 2 0 -2; 1 0 -1")
    array([[ 1.,  0., -1.],
           [ 2.,  0., -2.],
           [ 1.,  0., -1.]], dtype=float32)
    """
    return read_kernel(spec).kernel
