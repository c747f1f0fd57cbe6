"""Safe, distinct file names made from filter names, for every file system."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_MAX_FILENAME = 100
_WINDOWS_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL"]
    + [f"COM{i}" for i in range(1, 10)]
    + [f"LPT{i}" for i in range(1, 10)]
)


def safe_filename(name: str) -> str:
    """A file name made from ``name`` that every common file system accepts.

    Path separators, characters Windows forbids, control characters and runs of white space
    become ``_``; leading dots and trailing dots or spaces go (no hidden files, no ``..``);
    names Windows reserves (``CON``, ``NUL``, ``COM1`` ...) get a trailing ``_``; the result is
    at most 100 characters and never empty (``filter``). Applying it twice changes nothing.

    Parameters
    ----------
    name : str
        A filter's name, for example.

    Returns
    -------
    str
        The name without an extension; :func:`unique_names` makes a list of them distinct.

    Examples
    --------
    >>> safe_filename("sobel x / edges?")
    'sobel_x_edges'
    >>> safe_filename("..")
    'filter'
    """
    text = unicodedata.normalize("NFC", str(name))
    text = "".join("_" if unicodedata.category(ch)[0] in "CZ" else ch for ch in text)
    text = re.sub(r'[<>:"/\\|?*]', "_", text)
    text = re.sub(r"_+", "_", text)
    text = text[:_MAX_FILENAME].lstrip("._").rstrip("._")
    if not text:
        return "filter"
    base, dot, rest = text.partition(".")
    if base.upper() in _WINDOWS_RESERVED:
        text = f"{base}_{dot}{rest}"
    return text


def unique_names(names: Iterable[str]) -> list[str]:
    """Safe file names for ``names``, made distinct (case-blind, as on Windows and macOS).

    Parameters
    ----------
    names : iterable of str
        Names in order; each goes through :func:`safe_filename` first.

    Returns
    -------
    list of str
        The same length and order; a repeated name gets ``_2``, ``_3`` ... appended.

    Examples
    --------
    >>> unique_names(["edges", "Edges", "blur"])
    ['edges', 'Edges_2', 'blur']
    """
    safe = [safe_filename(n) for n in names]
    taken = {s.casefold() for s in safe}
    seen: set[str] = set()
    out = []
    for s in safe:
        key = s.casefold()
        if key not in seen:
            seen.add(key)
            out.append(s)
            continue
        n = 2
        while True:
            cand = f"{s[: _MAX_FILENAME - 1 - len(str(n))].rstrip('_')}_{n}"
            if cand.casefold() not in seen and cand.casefold() not in taken:
                break
            n += 1
        seen.add(cand.casefold())
        out.append(cand)
    return out
