"""``filterstudio apply`` on a video: every frame through one kernel, or a bank, into videos.

A frame's map is what ``apply`` computes for a picture: the frame as SPEC.md reads pictures
(8-bit / 255, RGB), through the same filter and layer options, then 8-bit through ``--display``
and ``--colormap``. Frames are decoded, filtered and encoded on three threads
(media.transcode); each video is written beside its target and put in place only when every
frame is in it (media.writer), so a damaged input, an error or a signal leaves no output.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from dataclasses import dataclass

from .options import CommandError, float32_value, layer_overrides
from .output import reporter

#: ``--format`` values for the videos a bank writes (the first is the default).
VIDEO_FORMATS = ("mp4", "m4v", "mov", "avi", "mkv")


def is_video_input(path: str) -> bool:
    """Whether ``apply`` treats ``path`` as a video (its name or its first bytes say so)."""
    from ..media.containers import looks_like_video

    return looks_like_video(path)


@dataclass(frozen=True)
class _Filter:
    name: str
    kernel: object
    bias: float
    activation: str


def _filters(args: argparse.Namespace, overrides: dict):
    """(layer, filters) as the picture path would apply them."""
    from ..model.bank import Layer

    if args.bank is None:
        from ..core.kernels import find_preset

        layer = Layer(**overrides)
        preset = find_preset(args.kernel)
        if preset is not None:
            kernel = preset.kernel.copy()
        else:
            from ..core.parse import parse_kernel

            kernel = parse_kernel(args.kernel)
        return layer, [_Filter("map", kernel, args.bias or 0.0, args.activation or "none")]
    import dataclasses

    from ..model.stack_io import load_stack

    stack = load_stack(args.bank)
    if len(stack.stages) > 1:
        raise CommandError(
            f"The bank {args.bank!r} is a stack of {len(stack.stages)} stages; a video goes "
            "through one stage's filters, so give a bank of one stage."
        )
    bank = stack.stages[0].bank
    layer = dataclasses.replace(bank.layer, **overrides)
    filters = [
        _Filter(
            f.name,
            f.kernel,
            f.bias if args.bias is None else args.bias,
            f.activation if args.activation is None else args.activation,
        )
        for f in bank.filters
        if f.enabled
    ]
    if not filters:
        raise CommandError(f"The bank {args.bank!r} has no enabled filter to apply.")
    return layer, filters


def _targets(args: argparse.Namespace, filters: list[_Filter]) -> list[str]:
    from ..media.writer import video_write_format
    from .output import output_must_be_free

    if args.bank is None:
        video_write_format(args.output)
        output_must_be_free(args.output, args.force)
        return [args.output]
    fmt = args.format or VIDEO_FORMATS[0]
    if fmt not in VIDEO_FORMATS:
        raise CommandError(
            f"The maps of a video are videos: --format is one of {', '.join(VIDEO_FORMATS)} "
            f"here, not {fmt!r}."
        )
    folder = args.output
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise CommandError(f"{folder!r} is a file; with --bank the output is a folder.")
    from ..core.filenames import unique_names

    targets = [
        os.path.join(folder, f"{stem}.{fmt}") for stem in unique_names(f.name for f in filters)
    ]
    if not args.force:
        for target in targets:
            if os.path.lexists(target):
                raise CommandError(f"{target!r} exists; use --force to overwrite it.")
    return targets


@contextlib.contextmanager
def _terminal_progress():
    """A progress bar on stderr as it is now, if that is a terminal (else None): its own copy
    of the descriptor, so it still reaches the terminal while stderr itself is muted."""
    from .progress import is_terminal, progress_bar

    if not is_terminal(sys.stderr):
        yield None
        return
    sys.stderr.flush()
    with open(os.dup(2), "w", encoding="utf-8", errors="replace") as stream, \
            progress_bar(stream, " frames") as progress:  # fmt: skip
        yield progress


class _ReportLine:
    """The summary line of one video, made when its file is complete (before it is in place)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.writer = None

    def __call__(self) -> None:
        w = self.writer
        width, height = w.frame_size
        stored = ""
        if w.stored_size != w.frame_size:
            stored = f", stored as {w.stored_size[0]} x {w.stored_size[1]}"
        reporter(
            f"wrote {w.path} ({self.label}{w.frames_written} frames of {width} x {height}"
            f"{stored}, {w.fps:g} frames/s)"
        )()


def _map_maker(args: argparse.Namespace, layer, filters: list[_Filter]):
    """``process(frame) -> [8-bit map per filter]``, with every option checked now."""
    import numpy as np

    from ..core.display import to_uint8
    from ..core.pipeline import apply_filter, prepare_input
    from .output import finite_map

    display = args.display or "clip"
    to_uint8(np.zeros((1, 1), np.float32), display, colormap=args.colormap)  # names checked
    conv = layer.conv_kwargs()
    mode = layer.channel_mode
    single = len(filters) == 1 and args.bank is None
    # Frames hold values in [0, 1] and padding holds cval, so no map can exceed
    # 3 * sum|K| * max(1, |cval|) + |bias| (3: a plain kernel in depth mode is summed over
    # R, G and B); only a filter whose bound nears float32's limit is checked for infinity
    # frame by frame (a full pass over every map otherwise).
    reach = 3.0 * max(1.0, abs(float(layer.cval)))
    unsafe = [
        float(np.abs(np.asarray(f.kernel, np.float64)).sum()) * reach + abs(f.bias) >= 1e37
        for f in filters
    ]

    def process(frame) -> list:
        src = prepare_input(frame.pixels, mode)
        pictures = []
        for f, check in zip(filters, unsafe):
            values = apply_filter(
                src,
                f.kernel,
                bias=f.bias,
                activation=f.activation,
                channel_mode=mode,
                flip=args.flip,
                prepared=True,
                **conv,
            )
            if check:
                what = f"map of frame {frame.index + 1}"
                finite_map(values, what if single else f"{what} for {f.name!r}")
            pictures.append(to_uint8(values, display, colormap=args.colormap))
        return pictures

    return process


def _short_of_stated(done: int, stated: int | None) -> bool:
    """Whether fewer frames decoded than the file states, beyond an estimate's slack.

    MKV and WebM state a duration, from which OpenCV estimates the count; one frame (or one in
    a hundred) short is taken as that estimate, not as damage.
    """
    return stated is not None and done < stated - max(1, stated // 100)


def run_video(args: argparse.Namespace) -> int:
    """``apply`` for a video input: check everything, then filter every frame into videos."""
    from ..media.capture import VideoFileSource
    from .output import _native_messages_discarded

    float32_value(args.bias, "bias")
    overrides = layer_overrides(args)
    layer, filters = _filters(args, overrides)
    targets = _targets(args, filters)
    process = _map_maker(args, layer, filters)
    created_folder = None
    if args.bank is not None and not os.path.isdir(args.output):
        created_folder = args.output

    # FFmpeg and OpenCV print their own lines about a damaged frame: the command says it once.
    # The progress line keeps its own copy of the terminal stderr was.
    with _terminal_progress() as progress, _native_messages_discarded():
        source = VideoFileSource(args.input)
        try:
            if source.fps is None:
                raise CommandError(
                    f"{source.name} does not state a usable frame rate, so its frames cannot be "
                    "written as a video."
                )
            if created_folder is not None:
                try:
                    os.makedirs(created_folder)
                except OSError as exc:
                    from .output import reason

                    raise CommandError(
                        f"The folder {created_folder!r} cannot be created: {reason(exc)}."
                    ) from exc
            try:
                if progress is not None:
                    progress.begin(f"filtering {source.name}", source.frame_count)
                return _write_all(args, source, process, filters, targets, progress)
            except BaseException:
                if created_folder is not None:
                    with contextlib.suppress(OSError):
                        os.rmdir(created_folder)
                raise
        finally:
            source.close()


def _write_all(args, source, process, filters, targets, progress) -> int:
    """Every frame into one video per target; all of them in place, or none."""
    from ..media.transcode import transcode
    from ..media.writer import VideoWriter

    lines = [_ReportLine("" if args.bank is None else f"{f.name}: ") for f in filters]
    writers: list = []
    committed: list[str] = []
    try:
        for target, line in zip(targets, lines):
            writer = VideoWriter(target, source.fps, overwrite=args.force, before_commit=line)
            line.writer = writer
            writers.append(writer)
        done = transcode(source, process, writers, progress=progress)
        if progress is not None:
            progress.clear()
        if done == 0:
            raise CommandError(
                f"{source.name} holds no frame that can be decoded; it is damaged or cut short."
            )
        if _short_of_stated(done, source.frame_count):
            raise CommandError(
                f"{source.name} is damaged or cut short: only {done} of the "
                f"{source.frame_count} frames it states could be decoded, so nothing was written."
            )
        for writer in writers:
            existed = os.path.lexists(writer.path)
            writer.commit()
            if not existed:
                committed.append(writer.path)
    except BaseException:
        for writer in writers:
            writer.discard()
        # Leave no half-written bank behind: remove the videos this run put in place.
        for path in committed:
            with contextlib.suppress(OSError):
                os.unlink(path)
        raise
    return 0


