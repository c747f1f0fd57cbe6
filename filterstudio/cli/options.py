"""Command-line options shared by the commands: layer settings, numbers, one-sentence errors."""

from __future__ import annotations

import argparse
import math
import re

from ..core.vocabulary import BORDERS, MAPPINGS

#: The names ``--display`` takes (the display mappings).
DISPLAYS = MAPPINGS


class CommandError(ValueError):
    """A mistake on the command line, explained in one sentence."""


# The same limits as bank files and the engine (filterstudio.core.limits), spelled out so that
# parsing the options loads nothing; a test holds them equal.
MAX_STRIDE = 100
MAX_DILATION = 100
MAX_PADDING = 1000
# The smallest magnitude that rounds to infinity as a float32.
FLOAT32_LIMIT = 2.0**128 - 2.0**103


def parse_pair(
    text: str | None, what: str, *, minimum: int, maximum: int
) -> tuple[int, int] | None:
    if text is None:
        return None
    parts = [p.strip() for p in text.replace("x", ",").split(",")]
    if len(parts) not in (1, 2) or not all(re.fullmatch(r"[+-]?\d{1,12}", p) for p in parts):
        raise CommandError(
            f"The {what} must be a whole number or two like 2,1 (rows, columns), not {text!r}."
        )
    values = [int(p) for p in parts]
    if min(values) < minimum:
        raise CommandError(f"The {what} must be at least {minimum}, not {text!r}.")
    if max(values) > maximum:
        raise CommandError(f"The {what} may be at most {maximum}, not {text!r}.")
    return (values[0], values[-1])


def float32_value(value: float | None, what: str) -> float | None:
    """``value`` if it is finite and fits a 32-bit float, the engine's number type."""
    if value is not None and (not math.isfinite(value) or abs(value) >= FLOAT32_LIMIT):
        raise CommandError(
            f"The {what} must be a finite number that fits a 32-bit float (below 3.4e38 in "
            f"size), not {value!r}."
        )
    return value


def parse_padding(text: str | None):
    if text is None:
        return None
    word = text.strip().lower()
    if word in ("valid", "same", "full"):
        return word
    parts = [p.strip() for p in word.split(",")]
    if len(parts) in (1, 2) and all(re.fullmatch(r"\+?\d{1,12}", p) for p in parts):
        values = [int(p) for p in parts]
        if max(values) > MAX_PADDING:
            raise CommandError(f"The padding may be at most {MAX_PADDING}, not {text!r}.")
        return (values[0], values[-1])
    raise CommandError(
        f"Unknown padding {text!r}: use valid, same, full, a number, or two like 1,2."
    )


def layer_overrides(args: argparse.Namespace) -> dict:
    """Layer settings given on the command line (only those given)."""
    changes: dict = {}
    stride = parse_pair(args.stride, "stride", minimum=1, maximum=MAX_STRIDE)
    if stride is not None:
        changes["stride"] = stride
    dilation = parse_pair(args.dilation, "dilation", minimum=1, maximum=MAX_DILATION)
    if dilation is not None:
        changes["dilation"] = dilation
    padding = parse_padding(args.padding)
    if padding is not None:
        changes["padding"] = padding
    if args.border is not None:
        changes["border"] = args.border
    if args.cval is not None:
        changes["cval"] = float32_value(args.cval, "border value (--cval)")
    if args.gray:
        changes["channel_mode"] = "gray"
    elif args.depth:
        changes["channel_mode"] = "depth"
    return changes


def command_parser(
    command: str, description: str, epilog: str | None = None
) -> argparse.ArgumentParser:
    """The parser of ``filterstudio COMMAND``: its name in usage lines, what it does, notes after."""
    return argparse.ArgumentParser(
        prog=f"filterstudio {command}", description=description, epilog=epilog
    )


def add_layer_options(parser: argparse.ArgumentParser, *, padding_default: str = "valid") -> None:
    """The options of one convolution layer (stride, padding, border, ...), as ``apply`` takes them.

    ``padding_default`` is what the help says the padding is when ``--padding`` is not given.
    """
    parser.add_argument("--stride", metavar="S|SY,SX", help="step between windows (default 1)")
    parser.add_argument(
        "--padding", metavar="P", help=f"valid, same, full, N or PY,PX (default {padding_default})"
    )
    parser.add_argument(
        "--border", choices=BORDERS, help="how padded cells are filled (default constant)"
    )
    parser.add_argument("--cval", type=float, metavar="V", help="value of constant padding")
    parser.add_argument("--dilation", metavar="D|DY,DX", help="gap between kernel taps (default 1)")
