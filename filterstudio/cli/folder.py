"""``filterstudio apply PHOTOS/ OUT/``: every picture of a folder through a kernel or a bank.

The work is done by :func:`filterstudio.core.batch.run_batch`; this module turns the options
into a :class:`~filterstudio.core.batch.BatchJob`, draws a progress line when stderr is a
terminal, names each picture that fails on a line of its own, and ends with one summary line
and an exit code: 0 when every picture has its maps, 1 when some failed, 2 for a mistake in
the command, 128 + N when signal N stopped it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import time
from collections.abc import Iterator
from typing import TextIO

from .options import CommandError
from .progress import progress_bar


def run_folder(args: argparse.Namespace, overrides: dict, kernel_filter) -> int:
    """Apply the kernel (``kernel_filter``, a Filter) or the bank of ``args`` to a folder."""
    from ..core.atomic import Stopped
    from ..core.batch import BatchJob, list_pictures, run_batch

    filters, layer = _filters_and_layer(args, overrides, kernel_filter)
    folder, out = args.input, args.output
    pictures, others = list_pictures(folder)
    if not pictures:
        raise CommandError(
            f"There is no picture (.png, .jpg, .bmp, .tif, .webp or .gif) in the folder "
            f"{folder!r}; its sub-folders are not entered."
        )
    if os.path.lexists(out) and not os.path.isdir(out):
        raise CommandError(f"{out!r} is a file; with a folder of pictures the output is a folder.")
    if os.path.isdir(out) and os.path.samefile(out, folder):
        raise CommandError(
            "The maps would be written among the pictures; name another folder for them."
        )
    job = BatchJob(
        filters=tuple(filters),
        layer=layer,
        flip=args.flip,
        display=args.display,
        colormap=args.colormap,
        format=args.format or "png",
        png_compression=args.png_compression,
        per_filter_folders=args.bank is not None,
        overwrite=args.force,
    )
    if args.colormap is not None:
        from ..core.display import colormap_lut

        colormap_lut(args.colormap)  # an unknown name is one sentence now, not one per picture

    from ..core.imageio import quiet_decoder_logs

    quiet_decoder_logs()
    started = time.monotonic()
    tally = {"written": 0, "skipped": 0, "failed": 0, "cancelled": 0}
    with _report_stream() as err, _stop_requests() as requested, \
            progress_bar(err, " pictures", total=len(pictures)) as bar:  # fmt: skip

        def on_outcome(outcome) -> None:
            tally[outcome.status] += 1
            if outcome.status == "failed":
                if bar is not None:
                    bar.clear()
                print(f"filterstudio: {outcome.reason}", file=err, flush=True)

        try:
            run_batch(
                pictures,
                out,
                job,
                progress=bar.update if bar is not None else None,
                cancelled=lambda: bool(requested),
                on_outcome=on_outcome,
            )
        except (Stopped, KeyboardInterrupt) as exc:  # a second signal: stopped at once
            requested.append(exc.signum if isinstance(exc, Stopped) else signal.SIGINT)
        finally:
            requested.running = False  # nothing is being written now: any signal only notes
        if bar is not None:
            bar.clear()
        if requested:
            print(
                f"filterstudio: stopped by signal {requested[0]} after "
                f"{_count(tally['written'], 'picture')} written of {len(pictures)}; no file is "
                "half-written, and the same command again writes the rest.",
                file=err,
                flush=True,
            )
            return 128 + int(requested[0])
    _summary(tally, len(pictures), out, others, time.monotonic() - started)
    return 1 if tally["failed"] else 0


class _Requests(list):
    """The signals received (a list), and whether maps are being written (``running``)."""

    running = True


@contextlib.contextmanager
def _stop_requests() -> Iterator[_Requests]:
    """While the block runs, SIGINT, SIGTERM and SIGHUP ask the run to stop; a second one stops.

    The first signal is only noted (in the list yielded): the run stops starting pictures and
    the pictures in progress stop before their next write, so every map that was being written
    is finished or never started. An exception raised by a handler at an arbitrary point of the
    waiting thread could leave a lock of the thread pool held; a flag cannot. A second signal
    while maps are being written is for a user who will not wait: it removes the writes in
    progress and raises ``Stopped`` as :func:`~filterstudio.core.atomic.stop_on_signals` does.
    Outside the main thread the handlers cannot be set, and the block runs without them.
    """
    import threading

    from ..core.atomic import Stopped, remove_unfinished_writes

    requested = _Requests()
    if threading.current_thread() is not threading.main_thread():
        yield requested
        return

    def on_signal(signum: int, frame) -> None:  # noqa: ARG001 - the signal module's signature
        if requested and requested.running:
            remove_unfinished_writes()
            raise Stopped(signum)
        requested.append(signum)

    previous = {}
    try:
        for name in ("SIGINT", "SIGTERM", "SIGHUP"):
            if hasattr(signal, name):
                signum = getattr(signal, name)
                previous[signum] = signal.signal(signum, on_signal)
        yield requested
    finally:
        for signum, handler in previous.items():
            with contextlib.suppress(OSError, ValueError, TypeError):
                signal.signal(signum, handler if handler is not None else signal.SIG_DFL)


def _filters_and_layer(args: argparse.Namespace, overrides: dict, kernel_filter):
    import dataclasses

    from ..model.bank import Layer

    if args.bank is None:
        return [kernel_filter], Layer(**overrides)
    from ..model.stack_io import load_stack

    stack = load_stack(args.bank)
    if len(stack.stages) > 1:
        raise CommandError(
            f"The bank {args.bank!r} is a stack of {len(stack.stages)} stages; a folder of "
            "pictures goes through one stage's filters, so give a bank of one stage (or apply "
            "the stack to one picture at a time)."
        )
    bank = stack.stages[0].bank
    layer = dataclasses.replace(bank.layer, **overrides)
    filters = [f for f in bank.filters if f.enabled]
    if not filters:
        raise CommandError(f"The bank {args.bank!r} has no enabled filter to apply.")
    changes = {}
    if args.bias is not None:
        changes["bias"] = args.bias
    if args.activation is not None:
        changes["activation"] = args.activation
    return [dataclasses.replace(f, **changes) for f in filters], layer


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _summary(tally: dict, total: int, out: str, others: list[str], seconds: float) -> None:
    parts = [f"Wrote the maps of {tally['written']} of {_count(total, 'picture')} to {out!r} "
             f"in {seconds:.1f} s"]
    if tally["skipped"]:
        parts.append(
            f"{tally['skipped']} had {'its maps' if tally['skipped'] == 1 else 'their maps'} "
            "already (--force writes them again)"
        )
    if tally["failed"]:
        parts.append(f"{tally['failed']} failed")
    if others:
        shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
        entries = "1 other entry" if len(others) == 1 else f"{len(others)} other entries"
        parts.append(f"{entries} of the folder left alone ({shown})")
    print("; ".join(parts) + ".", flush=True)


# --------------------------------------------------------------------------------------------
# stderr: our lines kept, the decoders' own lines discarded


@contextlib.contextmanager
def _report_stream() -> Iterator[TextIO]:
    """A stream to the real stderr, while what C libraries print on stderr goes nowhere.

    libjpeg and libpng, inside OpenCV and Pillow, print their own lines about a damaged file
    from the worker threads; each failure is reported here in one sentence instead. When
    ``sys.stderr`` is not the process's stderr (a test captures it), it is used as it is.
    """
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        fd = None
    if fd != 2:
        yield sys.stderr
        return
    sys.stderr.flush()
    saved = os.dup(2)
    stream = open(saved, "w", buffering=1, encoding=sys.stderr.encoding, errors="replace")  # noqa: SIM115
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    try:
        yield stream
    finally:
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
        os.dup2(stream.fileno(), 2)
        stream.close()
