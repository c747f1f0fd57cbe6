"""The ``filterstudio`` command: open the studio, or run one of its commands headless.

Each command lives in a module of its own (``apply.py``, ...) and is listed in :data:`COMMANDS`;
this module only dispatches and turns every failure into one line on stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from .. import __version__

# The limits and the error type live with the options; they are loaded with the first command,
# so that importing this module (and ``--help``, ``--version``) loads nothing of the engine.
_LAZY = ("FLOAT32_LIMIT", "MAX_DILATION", "MAX_PADDING", "MAX_STRIDE", "CommandError")


def __getattr__(name: str):
    if name in _LAZY:
        from . import options

        return getattr(options, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "COMMANDS",
    "FLOAT32_LIMIT",
    "MAX_DILATION",
    "MAX_PADDING",
    "MAX_STRIDE",
    "CommandError",
    "main",
]

COMMANDS = ("apply", "fit", "presets")


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
            "  filterstudio apply CLIP.mp4 OUT.mp4 --kernel K\n"
            "                                            a video of the maps of every frame\n"
            "  filterstudio fit BEFORE AFTER --size 3    the kernel that turns BEFORE into AFTER\n"
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


def _presets_parser() -> argparse.ArgumentParser:
    from .options import command_parser

    return command_parser("presets", "List every preset kernel with its description and its grid.")


def _cmd_presets(args: argparse.Namespace) -> int:
    from ..core.kernels import PRESETS, format_kernel

    blocks = []
    for name, preset in PRESETS.items():
        grid = "\n".join("    " + line for line in format_kernel(preset.kernel).splitlines())
        size = "x".join(str(s) for s in preset.kernel.shape)
        blocks.append(f"{name} ({size}): {preset.description}\n{grid}")
    print("\n\n".join(blocks))
    return 0


def _cmd_gui(path: str | None) -> int:
    from .options import CommandError
    from .output import reason

    if path is not None and not os.path.exists(path):
        hint = ""
        if not os.path.splitext(path)[1]:
            hint = f" (and {path!r} is not a command: use {' or '.join(COMMANDS)})"
        raise CommandError(f"There is no file at {path!r}{hint}.")
    try:
        from ..gui.app import run_gui
    except Exception as exc:  # a missing Qt must be a sentence, not a traceback
        raise CommandError(
            f"The studio window cannot start because its Qt libraries could not be loaded "
            f"({reason(exc)}); the apply and presets commands still work."
        ) from exc
    return int(run_gui(path) or 0)


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
    if argv and argv[0] in COMMANDS:
        command, rest = argv[0], argv[1:]
        if command == "apply":
            from .apply import apply_parser, run_apply

            args = apply_parser().parse_args(rest)
            from ..core.atomic import stop_on_signals

            # Stopped mid-write (SIGTERM, SIGHUP, Ctrl+C): no hidden temporary file stays behind.
            with stop_on_signals():
                return run_apply(args)
        if command == "fit":
            from .fit import fit_parser, run_fit

            args = fit_parser().parse_args(rest)
            from ..core.atomic import stop_on_signals

            # Stopped while its bank file is written: no hidden temporary file stays behind.
            with stop_on_signals():
                return run_fit(args)
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
    from .output import ReportFailed

    try:
        return _dispatch(args)
    except SystemExit as exc:  # argparse: --help, --version and usage errors
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 2)
    except KeyboardInterrupt:
        print("filterstudio: interrupted.", file=sys.stderr)
        return 130
    except ReportFailed as exc:
        _silence_stdout()  # the interpreter's last flush of the same stdout would fail again
        print(f"filterstudio: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (``filterstudio presets | head``): that is not an error to report.
        _silence_stdout()
        return 0
    except Exception as exc:  # noqa: BLE001 - every failure is one line, never a traceback
        from ..core.errors import sentence

        print(f"filterstudio: {sentence(exc)}", file=sys.stderr)
        return 2
    except BaseException as exc:
        from ..core.atomic import Stopped

        if not isinstance(exc, Stopped):
            raise
        print(
            f"filterstudio: stopped by signal {exc.signum}; nothing was written.", file=sys.stderr
        )
        return exc.exit_code
    finally:
        if argv is None and args[:1] in (["apply"], ["fit"], ["presets"]):
            # Run as the program, so the process ends with this command. Not after the window:
            # its Qt objects are destroyed as the interpreter collects them.
            _skip_exit_collection()
