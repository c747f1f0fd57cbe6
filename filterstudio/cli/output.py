"""What the commands share for reading pictures and writing results: reports, quiet decoders."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import TYPE_CHECKING

from .options import CommandError

if TYPE_CHECKING:
    import numpy as np


def describe(values: np.ndarray, value_range: tuple[float, float] | None = None) -> str:
    """``"H x W x C, values LO to HI"``; ``value_range`` when the caller already has it."""
    shape = " x ".join(str(s) for s in values.shape)
    lo, hi = value_range if value_range is not None else (values.min(), values.max())
    return f"{shape}, values {float(lo):.4g} to {float(hi):.4g}"


class ReportFailed(CommandError):
    """The summary line could not be written to stdout, so the output was not put in place."""


def reporter(line: str):
    """A ``before_commit`` for save_image: the line is on stdout before the file is in place."""

    def report() -> None:
        try:
            print(line, flush=True)
        except OSError as exc:
            reason = (exc.strerror or type(exc).__name__).rstrip(".").lower()
            raise ReportFailed(
                f"The report could not be written to standard output ({reason}), so nothing "
                "was written."
            ) from None

    return report


def save_map(args, path: str, values: np.ndarray, line: str) -> None:
    """Write one map as the command's options say; ``line`` is reported before it is in place."""
    from ..core.imageio import save_image

    save_image(
        path,
        values,
        display=args.display,
        colormap=args.colormap,
        overwrite=args.force,
        before_commit=reporter(line),
        png_compression=args.png_compression,
    )


class NewOutputs:
    """The maps and folders one command writes; should it fail, those it created are removed.

    Used as a context manager: an exception (or Ctrl+C) inside removes every file it made that
    did not exist before, then every folder it made, innermost first, and goes on.
    """

    def __init__(self, args) -> None:
        self._args = args
        self._files: list[str] = []
        self._folders: list[str] = []

    def folder(self, path: str) -> None:
        """Make the folder ``path`` unless it is there (a sentence if it cannot be made)."""
        if os.path.isdir(path):
            return
        try:
            os.makedirs(path)
        except OSError as exc:
            raise CommandError(f"The folder {path!r} cannot be created: {reason(exc)}.") from exc
        self._folders.append(path)

    def save(self, path: str, values: np.ndarray, line: str) -> None:
        """:func:`save_map`, remembering ``path`` if this write creates it."""
        existed = os.path.lexists(path)
        save_map(self._args, path, values, line)
        if not existed:
            self._files.append(path)

    def __enter__(self) -> NewOutputs:
        return self

    def __exit__(self, kind, exc, tb) -> bool:
        if kind is not None:
            for path in self._files:
                with contextlib.suppress(OSError):
                    os.unlink(path)
            for path in reversed(self._folders):
                with contextlib.suppress(OSError):
                    os.rmdir(path)
        return False


def map_range(values: np.ndarray, what: str) -> tuple[float, float]:
    """The smallest and largest value of a map, refused if it overflowed (infinity or NaN).

    Two passes that allocate nothing: ``min`` and ``max`` are NaN when any value is, and
    infinite when any value is, so both are finite exactly when every value is.
    """
    import math

    lo, hi = float(values.min()), float(values.max())
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise CommandError(
            f"The {what} overflows 32-bit floats (it holds infinity or NaN); use a smaller "
            "bias, border value or kernel."
        )
    return lo, hi


def finite_map(values: np.ndarray, what: str) -> np.ndarray:
    """Refuse a map that overflowed 32-bit floats (infinity or NaN) rather than write it."""
    map_range(values, what)
    return values


@contextlib.contextmanager
def _native_messages_discarded():
    """Send what C libraries print on stderr (libtiff, libjpeg, libpng) to the null device.

    Decoders inside Pillow and OpenCV print their own lines about a damaged file; the command
    reports the failure itself, in one sentence. Python's own stderr is flushed first and
    restored after, so nothing of ours is lost.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):
        yield
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
        yield
    finally:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def read_picture(path: str):
    from ..core.imageio import load_image, quiet_decoder_logs

    quiet_decoder_logs()
    with _native_messages_discarded():
        return load_image(path)


def output_must_be_free(path: str, force: bool) -> None:
    if os.path.isdir(path):
        raise CommandError(f"{path!r} is a folder; name a file to write.")
    if os.path.lexists(path) and not force:
        raise CommandError(f"{path!r} exists; use --force to overwrite it.")


def reason(exc: BaseException) -> str:
    """The reason ``exc`` gives, without a final full stop (an OSError's text and file name)."""
    if isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror
        if exc.filename:
            text += f": {os.fsdecode(exc.filename)!r}"
        return text
    return (str(exc) or type(exc).__name__).strip().rstrip(".")
