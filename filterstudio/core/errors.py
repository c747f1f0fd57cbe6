"""Turns any exception into the one plain sentence a user is shown (window or command line).

Every function that takes user input raises ``ValueError`` with a sentence already; this module
words the rest the same way (memory, files the system refuses, faults nobody expected), so the
window and the CLI say the same thing for the same fault and never show a traceback.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["MEMORY_SENTENCE", "sentence"]

MEMORY_SENTENCE = "Not enough memory for that; try a smaller picture or fewer filters."


def _tidy(text: str) -> str:
    """``text`` on one line, ending with a full stop (or a question or exclamation mark)."""
    text = " ".join(text.split())
    if not text:
        return text
    return text if text.endswith((".", "?", "!")) else text + "."


def sentence(exc: BaseException) -> str:
    """One sentence for ``exc``, ending with a full stop, never a traceback.

    Parameters
    ----------
    exc : BaseException
        ``ValueError`` (and its subclasses) already carry a sentence and keep it; a
        ``MemoryError`` says what to try; an ``OSError`` names the file and the system's reason;
        anything else names its kind.

    Examples
    --------
    >>> sentence(ValueError("The kernel is empty"))
    'The kernel is empty.'
    >>> sentence(FileNotFoundError(2, "No such file or directory", "/tmp/a.png"))
    'Cannot use a.png: No such file or directory.'
    """
    if isinstance(exc, MemoryError):
        return MEMORY_SENTENCE
    if isinstance(exc, ValueError):
        return _tidy(str(exc)) or _tidy(type(exc).__name__)
    if isinstance(exc, OSError):
        name = Path(os.fsdecode(exc.filename)).name if exc.filename else "the file"
        reason = exc.strerror or str(exc) or type(exc).__name__
        return _tidy(f"Cannot use {name}: {reason.strip().rstrip('.')}")
    text = " ".join(str(exc).split())
    kind = type(exc).__name__
    return _tidy(f"Unexpected {kind}: {text}" if text else f"Unexpected {kind}")
