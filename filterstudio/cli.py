"""The ``filterstudio`` command: open the studio, apply a filter to a file, list the presets."""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import re
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from . import __version__

if TYPE_CHECKING:  # numpy is loaded by the commands that need it, not by --help or --version
    import numpy as np

COMMANDS = ("apply", "fit", "presets")
BORDERS = ("constant", "edge", "reflect", "symmetric", "wrap")
ACTIVATIONS = ("none", "relu", "abs")
# The same names as core.display.MAPPINGS, spelled out so that the command line does not load
# the colour-map machinery just to parse its options (the save path checks them again).
DISPLAYS = ("clip", "minmax", "abs", "offset", "diverging")
BANK_FORMATS = ("png", "jpg", "bmp", "webp", "tif", "npy")

_WINDOWS_RESERVED = {"con", "prn", "aux", "nul"} | {
    f"{p}{i}" for p in ("com", "lpt") for i in "123456789"
}


class CommandError(ValueError):
    """A mistake on the command line, explained in one sentence."""


# --------------------------------------------------------------------------------------------
# Parsers


def _top_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="filterstudio",
        description="See what convolution does to a picture.",
        epilog=(
            "commands:\n"
            "  filterstudio [IMAGE | SESSION.fstudio]   open the studio window\n"
            "  filterstudio apply INPUT OUTPUT --kernel K [options]\n"
            "                                            write the feature map of one filter\n"
            "  filterstudio apply INPUT FOLDER --bank bank.json\n"
            "                                            write one map per filter of a bank\n"
            "  filterstudio fit BEFORE AFTER --size 3    the kernel that turns one picture into another\n"
            "  filterstudio presets                      list the preset kernels\n"
            "\nRun 'filterstudio apply --help' for the options of apply."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"filterstudio {__version__}")
    parser.add_argument(
        "path", nargs="?", metavar="IMAGE", help="a picture or a .fstudio session to open"
    )
    return parser


def _apply_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="filterstudio apply",
        description=(
            "Convolve a picture with one kernel (or every filter of a bank) and write the result. "
            "A .npy output, or a .tif output without --display, holds the exact float32 values; "
            "other formats are 8-bit through --display."
        ),
    )
    parser.add_argument("input", metavar="INPUT", help="the picture to filter")
    parser.add_argument("output", metavar="OUTPUT", help="the file to write (a folder with --bank)")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--kernel",
        "-k",
        metavar="K",
        help="a preset name, literal rows like '1 0 -1; 2 0 -2; 1 0 -1', or a .txt/.npy/.json file",
    )
    what.add_argument("--bank", metavar="BANK.json", help="apply every enabled filter of a bank")
    parser.add_argument("--stride", metavar="S|SY,SX", help="step between windows (default 1)")
    parser.add_argument(
        "--padding", metavar="P", help="valid, same, full, N or PY,PX (default valid)"
    )
    parser.add_argument(
        "--border", choices=BORDERS, help="how padded cells are filled (default constant)"
    )
    parser.add_argument("--cval", type=float, metavar="V", help="value of constant padding")
    parser.add_argument("--dilation", metavar="D|DY,DX", help="gap between kernel taps (default 1)")
    parser.add_argument(
        "--flip", action="store_true", help="true convolution: rotate the kernel 180 degrees"
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--gray", action="store_true", help="convert to luma before filtering")
    mode.add_argument(
        "--depth", action="store_true", help="one filter summed over R, G and B (channel depth)"
    )
    parser.add_argument("--bias", type=float, metavar="B", help="added after the sum")
    parser.add_argument("--activation", choices=ACTIVATIONS, help="applied after the bias")
    parser.add_argument(
        "--display", choices=DISPLAYS, help="float map to 8-bit pixels (default clip)"
    )
    parser.add_argument("--colormap", metavar="NAME", help="colour map for 8-bit outputs")
    parser.add_argument(
        "--format",
        choices=BANK_FORMATS,
        default="png",
        help="file format of the maps written with --bank (default png)",
    )
    parser.add_argument("--force", "-f", action="store_true", help="overwrite existing outputs")
    return parser


def _presets_parser() -> argparse.ArgumentParser:
    return argparse.ArgumentParser(
        prog="filterstudio presets",
        description="List every preset kernel with its description and its grid.",
    )


# --------------------------------------------------------------------------------------------
# Option values


def _pair(text: str | None, what: str, *, minimum: int) -> tuple[int, int] | None:
    if text is None:
        return None
    parts = [p.strip() for p in text.replace("x", ",").split(",")]
    if len(parts) not in (1, 2) or not all(re.fullmatch(r"[+-]?\d+", p) for p in parts):
        raise CommandError(
            f"The {what} must be a whole number or two like 2,1 (rows, columns), not {text!r}."
        )
    values = [int(p) for p in parts]
    if min(values) < minimum:
        raise CommandError(f"The {what} must be at least {minimum}, not {text!r}.")
    return (values[0], values[-1])


def _padding(text: str | None):
    if text is None:
        return None
    word = text.strip().lower()
    if word in ("valid", "same", "full"):
        return word
    parts = [p.strip() for p in word.split(",")]
    if len(parts) in (1, 2) and all(re.fullmatch(r"\+?\d+", p) for p in parts):
        values = [int(p) for p in parts]
        return (values[0], values[-1])
    raise CommandError(
        f"Unknown padding {text!r}: use valid, same, full, a number, or two like 1,2."
    )


def _layer_overrides(args: argparse.Namespace) -> dict:
    """Layer settings given on the command line (only those given)."""
    changes: dict = {}
    stride = _pair(args.stride, "stride", minimum=1)
    if stride is not None:
        changes["stride"] = stride
    dilation = _pair(args.dilation, "dilation", minimum=1)
    if dilation is not None:
        changes["dilation"] = dilation
    padding = _padding(args.padding)
    if padding is not None:
        changes["padding"] = padding
    if args.border is not None:
        changes["border"] = args.border
    if args.cval is not None:
        changes["cval"] = args.cval
    if args.gray:
        changes["channel_mode"] = "gray"
    elif args.depth:
        changes["channel_mode"] = "depth"
    return changes


def safe_file_stem(name: str, taken: set[str]) -> str:
    """``name`` as a file name that is valid everywhere and not yet in ``taken`` (lower case).

    Parameters
    ----------
    name : str
        A filter name, e.g. ``"Sobel x / edges"``.
    taken : set of str
        Stems already used in lower case; the new one is added.

    Returns
    -------
    str
        Letters, digits, ``-``, ``_`` and ``.`` only, e.g. ``"Sobel_x_edges"``; ``_2``, ``_3``...
        is appended when a stem is taken (compared without case, as on macOS and Windows).
    """
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._-")[:80] or "filter"
    if stem.lower() in _WINDOWS_RESERVED:
        stem += "_"
    candidate, n = stem, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{stem}_{n}"
    taken.add(candidate.lower())
    return candidate


def _describe(values: np.ndarray) -> str:
    shape = " x ".join(str(s) for s in values.shape)
    return f"{shape}, values {float(values.min()):.4g} to {float(values.max()):.4g}"


def _output_must_be_free(path: str, force: bool) -> None:
    if os.path.isdir(path):
        raise CommandError(f"{path!r} is a folder; name a file to write.")
    if os.path.lexists(path) and not force:
        raise CommandError(f"{path!r} exists; use --force to overwrite it.")


# --------------------------------------------------------------------------------------------
# Commands


def _cmd_apply(args: argparse.Namespace) -> int:
    from .core.imageio import load_image, save_format, save_image
    from .core.pipeline import apply_filter
    from .model.bank import Layer

    if args.bias is not None and not math.isfinite(args.bias):
        raise CommandError(f"The bias must be a finite number, not {args.bias!r}.")
    overrides = _layer_overrides(args)
    if args.bank is not None:
        return _apply_bank(args, overrides)

    from .core.kernels import find_preset

    layer = Layer(**overrides)  # checks every setting before any work is done
    preset = find_preset(args.kernel)
    if preset is not None:  # what parse_kernel returns for a preset name, without its parser
        kernel = preset.kernel.copy()
    else:
        from .core.parse import parse_kernel

        kernel = parse_kernel(args.kernel)
    save_format(args.output)
    _output_must_be_free(args.output, args.force)
    image = load_image(args.input)
    result = apply_filter(
        image,
        kernel,
        bias=args.bias or 0.0,
        activation=args.activation or "none",
        channel_mode=layer.channel_mode,
        flip=args.flip,
        **layer.conv_kwargs(),
    )
    save_image(
        args.output, result, display=args.display, colormap=args.colormap, overwrite=args.force
    )
    print(f"wrote {args.output} ({_describe(result)})")
    return 0


def _apply_bank(args: argparse.Namespace, overrides: dict) -> int:
    import dataclasses

    from .core.imageio import load_image, save_image
    from .core.pipeline import apply_filter, prepare_input
    from .model.bank_io import load_bank

    bank = load_bank(args.bank)
    layer = dataclasses.replace(bank.layer, **overrides)
    filters = [f for f in bank.filters if f.enabled]
    if not filters:
        raise CommandError(f"The bank {args.bank!r} has no enabled filter to apply.")
    folder = args.output
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise CommandError(f"{folder!r} is a file; with --bank the output is a folder.")
    taken: set[str] = set()
    targets = [
        os.path.join(folder, f"{safe_file_stem(f.name, taken)}.{args.format}") for f in filters
    ]
    if not args.force:
        for target in targets:
            if os.path.lexists(target):
                raise CommandError(f"{target!r} exists; use --force to overwrite it.")

    image = load_image(args.input)
    prepared = prepare_input(image, layer.channel_mode)
    # Every map is computed before anything is written: a filter that fails leaves no files.
    results = [
        apply_filter(
            prepared,
            f.kernel,
            bias=f.bias if args.bias is None else args.bias,
            activation=f.activation if args.activation is None else args.activation,
            channel_mode=layer.channel_mode,
            flip=args.flip,
            prepared=True,
            **layer.conv_kwargs(),
        )
        for f in filters
    ]
    created_folder = not os.path.isdir(folder)
    if created_folder:
        try:
            os.makedirs(folder)
        except OSError as exc:
            raise CommandError(f"The folder {folder!r} cannot be created: {_reason(exc)}.") from exc
    written: list[str] = []
    try:
        for target, result in zip(targets, results):
            existed = os.path.lexists(target)
            save_image(
                target, result, display=args.display, colormap=args.colormap, overwrite=args.force
            )
            if not existed:
                written.append(target)
    except BaseException:
        # Leave no half-written bank behind: remove what this run created.
        for target in written:
            with contextlib.suppress(OSError):
                os.unlink(target)
        if created_folder:
            with contextlib.suppress(OSError):
                os.rmdir(folder)
        raise
    for flt, target, result in zip(filters, targets, results):
        print(f"wrote {target} ({flt.name}: {_describe(result)})")
    return 0


def _cmd_presets(args: argparse.Namespace) -> int:
    from .core.kernels import PRESETS, format_kernel

    blocks = []
    for name, preset in PRESETS.items():
        grid = "\n".join("    " + line for line in format_kernel(preset.kernel).splitlines())
        size = "x".join(str(s) for s in preset.kernel.shape)
        blocks.append(f"{name} ({size}): {preset.description}\n{grid}")
    print("\n\n".join(blocks))
    return 0


def _cmd_fit(argv: list[str]) -> int:
    from .cli_fit import fit_parser, run_fit

    args = fit_parser().parse_args(argv)
    return run_fit(args, _layer_overrides(args), _output_must_be_free)


def _cmd_gui(path: str | None) -> int:
    if path is not None and not os.path.exists(path):
        hint = ""
        if not os.path.splitext(path)[1]:
            hint = f" (and {path!r} is not a command: use {' or '.join(COMMANDS)})"
        raise CommandError(f"There is no file at {path!r}{hint}.")
    try:
        from .gui.app import run_gui
    except Exception as exc:  # a missing Qt must be a sentence, not a traceback
        raise CommandError(
            f"The studio window cannot start because its Qt libraries could not be loaded "
            f"({_reason(exc)}); the apply and presets commands still work."
        ) from exc
    return int(run_gui(path) or 0)


# --------------------------------------------------------------------------------------------
# Entry point


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror
        if exc.filename:
            text += f": {os.fsdecode(exc.filename)!r}"
        return text
    return (str(exc) or type(exc).__name__).strip().rstrip(".")


def _sentence(exc: BaseException) -> str:
    if isinstance(exc, MemoryError):
        return "There is not enough memory for this picture; try a smaller one."
    if isinstance(exc, (ValueError, OSError)):
        text = " ".join(_reason(exc).split())
    else:
        text = f"unexpected {type(exc).__name__}: {' '.join(_reason(exc).split())}"
    if text and text[0].islower() and not isinstance(exc, (ValueError, OSError)):
        text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _silence_stdout() -> None:
    """Point stdout at the null device so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def _skip_exit_collection() -> None:
    """Leave every object alive now out of the garbage collections the interpreter runs at exit.

    As it exits, Python runs the cyclic collector over every live object, more than once: with
    numpy, OpenCV and Pillow loaded that costs tens of milliseconds, only to free memory the
    system takes back anyway. Frozen objects are still released by reference counting as the
    modules are torn down; what is skipped is only the search for reference cycles, whose
    finalizers Python does not promise to run at exit in any case. The commands close (and
    sync) every file they write before they return.
    """
    import gc

    gc.freeze()


def _dispatch(argv: list[str]) -> int:
    if argv[:1] == ["fit"]:
        return _cmd_fit(argv[1:])
    if argv and argv[0] in COMMANDS:
        command, rest = argv[0], argv[1:]
        if command == "apply":
            return _cmd_apply(_apply_parser().parse_args(rest))
        return _cmd_presets(_presets_parser().parse_args(rest))
    args = _top_parser().parse_args(argv)
    return _cmd_gui(args.path)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``filterstudio`` command and return its exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after the program name; ``sys.argv[1:]`` when None.

    Returns
    -------
    int
        0 on success; 2 for any error, reported as one line ``filterstudio: <sentence>`` on
        stderr (argparse reports its own usage errors, also with 2).

    Notes
    -----
    Called without ``argv``, as the ``filterstudio`` program and ``python -m filterstudio``
    call it, the apply and presets commands end by freezing the garbage collector's objects,
    which makes the process exit sooner (see :func:`_skip_exit_collection`); with ``argv``
    given, nothing changes for the calling program.

    Examples
    --------
    >>> main(["apply", "photo.png", "edges.png", "--kernel", "sobel_x"])  # doctest: +SKIP
    0
    """
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        return _dispatch(args)
    except SystemExit as exc:  # argparse: --help, --version and usage errors
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 2)
    except KeyboardInterrupt:
        print("filterstudio: interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (``filterstudio presets | head``): that is not an error to report.
        _silence_stdout()
        return 0
    except Exception as exc:  # noqa: BLE001 - every failure is one line, never a traceback
        print(f"filterstudio: {_sentence(exc)}", file=sys.stderr)
        return 2
    finally:
        if argv is None and args[:1] in (["apply"], ["presets"], ["fit"]):
            # Run as the program, so the process ends with this command. Not after the window:
            # its Qt objects are destroyed as the interpreter collects them.
            _skip_exit_collection()
