"""Reading the studio's JSON files: bounded and checked, every failure one sentence."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any, TypeVar

from ..core.userfile import read_user_file

__all__ = ["load_guarded", "read_json"]

T = TypeVar("T")


def read_json(
    path: str | os.PathLike, *, what: str, max_bytes: int, error: type[ValueError]
) -> Any:
    """Parse the JSON file at ``path``; every failure becomes ``error`` with one sentence.

    Only a regular file is read (a pipe, device or folder is refused before it is opened, see
    :mod:`filterstudio.core.userfile`), its size is checked before anything is read and the read
    never goes past ``max_bytes``. Nesting deeper than the interpreter's limit, and integers
    longer than Python reads, are refused as sentences too.
    """
    name = os.path.basename(os.fspath(path)) or os.fspath(path)
    try:
        if os.path.isdir(path):
            raise error(f"{name} is a folder, not a {what} file.")
        if not os.path.lexists(path):
            raise error(f"The file {name} was not found.")
    except (OSError, ValueError) as exc:
        if isinstance(exc, error):
            raise
        raise error(f"{name} cannot name a file.") from None
    size = os.stat(path).st_size if os.path.isfile(path) else 0
    if size > max_bytes:
        raise error(
            f"{name} is {size / 2**20:.0f} MB; a {what} file is at most {max_bytes / 2**20:.0f} MB."
        )
    raw = read_user_file(path, max_bytes=max_bytes, what=f"{what} file", error=error)
    try:
        return json.loads(raw)
    except json.JSONDecodeError as e:
        raise error(
            f"{name} is not valid JSON (line {e.lineno}, column {e.colno}); the file "
            "may be damaged."
        ) from None
    except UnicodeDecodeError:
        raise error(f"{name} is not a text file, so it cannot be a {what}.") from None
    except RecursionError:  # json stops at the interpreter's depth limit before going deeper
        raise error(f"{name} is nested too deeply to be a {what} file.") from None
    except ValueError:  # e.g. an integer with thousands of digits
        raise error(f"{name} holds a value that cannot be read, so it is not a {what}.") from None


def load_guarded(
    load: Callable[[str | os.PathLike, str], T], path: str | os.PathLike, error: type[ValueError]
) -> T:
    """``load(path, name)``, any failure it does not word itself turned into one ``error``.

    ``name`` is the file's name as the sentences show it. A value that breaks a rule the loader
    does not check by name (a ValueError, TypeError, ... from deep inside) and a lack of memory
    still become one sentence, never a traceback.
    """
    name = os.path.basename(os.fspath(path)) or os.fspath(path)
    try:
        return load(path, name)
    except error:
        raise
    except MemoryError:
        raise error(f"There is not enough memory to open {name}.") from None
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, RecursionError):
        raise error(
            f"{name} holds a value Filter Studio cannot use, so it was not opened."
        ) from None
