"""The progress bar of a long command (a folder of pictures, a video) on a terminal, by tqdm.

Nothing is drawn when the stream is not a terminal (a pipe, a file, a test's capture), and
tqdm is imported only when a bar is drawn, so a command on one picture never pays for it. The
bar is cleared when the command ends, before its summary lines.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from typing import TextIO

__all__ = ["Progress", "is_terminal", "progress_bar"]


def is_terminal(stream: TextIO) -> bool:
    """Whether ``stream`` is a terminal (False for anything that cannot say)."""
    try:
        return stream.isatty()
    except (AttributeError, OSError, ValueError):
        return False


class Progress:
    """A bar counting ``done`` of ``total`` items, with the item being worked on after it."""

    def __init__(self, bar) -> None:
        self._bar = bar

    def begin(self, description: str, total: int | None) -> None:
        """Start counting again, for ``total`` items (None: unknown)."""
        self._bar.set_description_str(description, refresh=False)
        self._bar.reset(total=total)

    def update(self, done: int, total: int | None = None, name: str = "") -> None:
        """``done`` items are finished (of ``total``, when it is known now); ``name`` is next."""
        bar = self._bar
        if total is not None and total != bar.total:
            bar.total = total
        if name:
            bar.set_postfix_str(name, refresh=False)
        bar.update(done - bar.n)

    __call__ = update

    def clear(self) -> None:
        """Wipe the bar off its line (so a message can be printed); the next update redraws it."""
        with contextlib.suppress(OSError, ValueError):
            self._bar.clear()


@contextlib.contextmanager
def progress_bar(stream: TextIO, unit: str, description: str = "",
                 total: int | None = None) -> Iterator[Progress | None]:  # fmt: skip
    """A :class:`Progress` counting ``unit`` (``" pictures"``) on ``stream`` if it is a
    terminal, else None."""
    if not is_terminal(stream):
        yield None
        return
    from tqdm import tqdm  # only a long job on a terminal pays for the import

    # The terminal's width as it is now; one that says 0 (a fresh pseudo-terminal) gets 80.
    width = shutil.get_terminal_size((80, 24)).columns
    bar = tqdm(
        total=total, desc=description, unit=unit, file=stream, leave=False, ncols=width,
        mininterval=0.2,
    )  # fmt: skip
    try:
        yield Progress(bar)
    finally:
        with contextlib.suppress(OSError, ValueError):
            bar.close()
