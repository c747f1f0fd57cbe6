"""Many pictures through one filter or a bank: read, filter and write overlapped on every core.

:func:`run_batch` takes a list of pictures, a :class:`BatchJob` (the filters, the layer and how
maps are written) and an output folder, and writes one map per picture and filter, named after
the picture (``OUT/photo.png``; with several filters ``OUT/<filter>/photo.png``). It is the
engine of ``filterstudio apply PHOTOS/ OUT/`` and of any window that applies a bank to a folder:
no Qt, progress through a plain callback, cancel through a plain callable, and an
:class:`Outcome` per picture (written, skipped, failed with its one sentence, or cancelled).

Why whole pictures per thread, rather than one thread per stage: every stage (OpenCV's decoders,
the convolution, the display mapping, OpenCV's encoders, the file write) runs without the GIL,
and their costs differ from job to job (a fast PNG costs as much as the filter; a bank of
sixteen filters costs sixteen times the decode). A stage pipeline is as fast as its slowest
stage on one core; pictures handed whole to one thread per core keep every core busy whatever
dominates, while picture *n* is written, picture *n + 1* is decoded beside it. At most one
picture per thread is in memory at a time.

What stays true, however a run ends: nothing is ever half-written (each map is written by
:func:`~filterstudio.core.atomic.atomic_write`), a map that exists is kept unless the job says
``overwrite`` (so a stopped run resumes where it stopped), no picture is overwritten by a map,
and only the listed picture formats are decoded (:func:`~filterstudio.core.imageio.load_image`).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .formats import PICTURE_EXTENSIONS, ImageError
from .limits import default_workers
from .userfile import display_name

__all__ = [
    "BATCH_FORMATS",
    "BatchJob",
    "Outcome",
    "PlannedPicture",
    "list_pictures",
    "plan_outputs",
    "run_batch",
]

#: Output formats a batch writes, by file extension.
BATCH_FORMATS = ("png", "jpg", "bmp", "webp", "tif", "npy")

WRITTEN, SKIPPED, FAILED, CANCELLED = "written", "skipped", "failed", "cancelled"


@dataclass(frozen=True)
class BatchJob:
    """What is done to every picture of a batch.

    Parameters
    ----------
    filters : tuple
        The filters to apply, each with ``name``, ``kernel``, ``bias`` and ``activation``
        (:class:`filterstudio.model.bank.Filter` has them).
    layer : object
        The shared layer settings: ``conv_kwargs()`` (stride, padding, border, cval, dilation)
        and ``channel_mode`` (:class:`filterstudio.model.bank.Layer` has them).
    flip : bool
        True convolution (each kernel turned 180 degrees).
    display, colormap : str, optional
        How a map becomes 8-bit pixels (see :func:`filterstudio.core.display.to_uint8`);
        ``.npy`` and, without ``display``, ``.tif`` keep the exact float32 values.
    format : str
        One of :data:`BATCH_FORMATS`.
    png_compression : int, optional
        None: PNG written fast; 0-9: that zlib level (see ``core.imagewrite.encode_uint8``).
    per_filter_folders : bool, optional
        ``OUT/<filter>/<picture>.<format>`` (True) or ``OUT/<picture>.<format>`` (False, only
        with one filter). None: folders when there is more than one filter.
    overwrite : bool
        Write maps that exist again (False: keep them and skip).
    displays : tuple, optional
        One ``(display, colormap)`` per filter, in the order of ``filters``, in place of
        ``display`` and ``colormap`` (e.g. each map as its panel in the studio shows it).
    """

    filters: tuple
    layer: Any
    flip: bool = False
    display: str | None = None
    colormap: str | None = None
    format: str = "png"
    png_compression: int | None = None
    per_filter_folders: bool | None = None
    overwrite: bool = False
    displays: tuple | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "filters", tuple(self.filters))
        if not self.filters:
            raise ValueError("A batch needs at least one filter.")
        if self.displays is not None:
            object.__setattr__(self, "displays", tuple(tuple(d) for d in self.displays))
            if len(self.displays) != len(self.filters):
                raise ValueError("A batch's displays give one (display, colormap) per filter.")
        if self.format not in BATCH_FORMATS:
            raise ValueError(
                f"Unknown output format {self.format!r}; choose one of {', '.join(BATCH_FORMATS)}."
            )
        if self.per_filter_folders is False and len(self.filters) > 1:
            raise ValueError("Several filters write into one folder each (per_filter_folders).")

    @property
    def folders(self) -> bool:
        """Whether each filter writes into a sub-folder of its own."""
        if self.per_filter_folders is None:
            return len(self.filters) > 1
        return self.per_filter_folders

    def display_of(self, index: int) -> tuple[str | None, str | None]:
        """``(display, colormap)`` of filter ``index``'s maps."""
        if self.displays is not None:
            return self.displays[index]
        return self.display, self.colormap


@dataclass(frozen=True)
class PlannedPicture:
    """One picture of a batch and the maps it is to write (in the order of the job's filters)."""

    source: str
    targets: tuple[str, ...]
    refused: str | None = None  # why no map is written for it, decided before any work


@dataclass(frozen=True)
class Outcome:
    """What became of one picture.

    ``status`` is ``"written"`` (at least one map written now), ``"skipped"`` (every map was
    there already), ``"failed"`` (``reason`` says why, in one sentence naming the picture) or
    ``"cancelled"`` (the run stopped first). ``written`` lists the maps written by this run.
    """

    source: str
    status: str
    reason: str | None = None
    written: tuple[str, ...] = field(default=())


# --------------------------------------------------------------------------------------------
# Planning


def list_pictures(folder: str | os.PathLike) -> tuple[list[str], list[str]]:
    """The picture files in ``folder`` (by extension, sorted by name) and the other entries.

    Sub-folders are not entered. Hidden entries (names starting with ``.``, such as the
    temporary files of writes in progress) are left out of both lists.

    Returns
    -------
    (pictures, others) : lists of str
        Paths of the files whose extension is one of the listed picture formats' (their
        content is still judged when they are read), and the names of everything else.

    Raises
    ------
    ImageError
        ``folder`` cannot be listed.
    """
    path = os.fspath(folder)
    try:
        entries = sorted(os.scandir(path), key=lambda e: e.name)
    except OSError as exc:
        reason = (exc.strerror or type(exc).__name__).rstrip(".").lower()
        raise ImageError(f"The folder {path!r} cannot be read: {reason}.") from None
    pictures, others = [], []
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            is_file = entry.is_file()
        except OSError:
            is_file = False
        if is_file and os.path.splitext(entry.name)[1].lower() in PICTURE_EXTENSIONS:
            pictures.append(entry.path)
        else:
            others.append(entry.name + ("/" if _is_dir(entry) else ""))
    return pictures, others


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _filter_folders(job: BatchJob) -> list[str]:
    from .filenames import unique_names

    return unique_names(str(f.name) for f in job.filters)


def plan_outputs(
    sources: Sequence[str | os.PathLike], out_folder: str | os.PathLike, job: BatchJob
) -> list[PlannedPicture]:
    """The maps each picture writes, and the pictures refused before any work.

    A picture is refused when its map would have the same name as an earlier picture's
    (``photo.jpg`` and ``photo.png`` both make ``photo.png``; names are compared case-blind, as
    on Windows and macOS), or when a map would replace one of the pictures of the batch.
    """
    folder = os.fspath(out_folder)
    subfolders = _filter_folders(job) if job.folders else [""]
    pictures = {_real(os.fspath(s)) for s in sources}
    claimed: dict[str, str] = {}
    planned = []
    for src in sources:
        source = os.fspath(src)
        stem = os.path.splitext(os.path.basename(source))[0]
        targets = tuple(os.path.join(folder, sub, f"{stem}.{job.format}") for sub in subfolders)
        refused = None
        key = os.path.normcase(os.path.join(folder, f"{stem}.{job.format}")).casefold()
        if key in claimed:
            refused = (
                f"{display_name(source)} would write the same map as {display_name(claimed[key])} "
                f"({stem}.{job.format}), so it is not filtered; rename one of them."
            )
        elif any(_real(t) in pictures for t in targets):
            refused = (
                f"{display_name(source)} is not filtered: its map would replace a picture of "
                "the batch; write the maps to another folder."
            )
        else:
            claimed[key] = source
        planned.append(PlannedPicture(source, targets, refused))
    return planned


def _real(path: str) -> str:
    return os.path.normcase(os.path.realpath(path))


# --------------------------------------------------------------------------------------------
# One picture


def _sentence(exc: BaseException, source: str) -> str:
    """One line that names the picture: the error's own sentence, or the picture and it."""
    name = display_name(source)
    if isinstance(exc, MemoryError):
        return f"There is not enough memory for {name}."
    text = " ".join(str(exc).split()) or type(exc).__name__
    if not isinstance(exc, (ValueError, OSError)):
        text = f"unexpected {type(exc).__name__}: {text}"
    if not text.endswith((".", "!", "?")):
        text += "."
    if name not in text:
        text = f"{name}: {text}"
    return text


class _Stop(Exception):
    """The run was stopped between two steps of one picture (internal)."""


def _process(
    planned: PlannedPicture, job: BatchJob, stop: threading.Event, decoder: str
) -> Outcome:
    """Decode, filter and write one picture (on a worker thread)."""
    from .imageio import load_image
    from .imagewrite import save_image
    from .pipeline import apply_filter, prepare_input

    source = planned.source
    if stop.is_set():
        return Outcome(source, CANCELLED)
    if planned.refused is not None:
        return Outcome(source, FAILED, planned.refused)
    todo = [
        (index, target)
        for index, target in enumerate(planned.targets)
        if job.overwrite or not os.path.lexists(target)
    ]
    if not todo:
        return Outcome(source, SKIPPED)
    written: list[str] = []
    layer = job.layer
    try:
        prepared = prepare_input(load_image(source, decoder=decoder), layer.channel_mode)
        for i, (index, target) in enumerate(todo):
            flt = job.filters[index]
            display, colormap = job.display_of(index)
            if stop.is_set():
                raise _Stop
            picture = prepared
            if i == len(todo) - 1:
                del prepared  # the last map: the picture is let go before the map is encoded
            result = apply_filter(
                picture,
                flt.kernel,
                bias=flt.bias,
                activation=flt.activation,
                channel_mode=layer.channel_mode,
                flip=job.flip,
                prepared=True,
                **layer.conv_kwargs(),
            )
            del picture
            _check_finite(result, flt, source)
            if stop.is_set():
                raise _Stop
            save_image(
                target,
                result,
                display=display,
                colormap=colormap,
                overwrite=job.overwrite,
                png_compression=job.png_compression,
            )
            written.append(target)
            del result
    except _Stop:
        return Outcome(source, CANCELLED, written=tuple(written))
    except Exception as exc:  # noqa: BLE001 - every failure is one picture's sentence
        if stop.is_set():  # e.g. the temporary file was removed by a signal: not a failure
            return Outcome(source, CANCELLED, written=tuple(written))
        return Outcome(source, FAILED, _sentence(exc, source), tuple(written))
    return Outcome(source, WRITTEN, written=tuple(written))


def _check_finite(result, flt, source: str) -> None:
    import math

    lo, hi = float(result.min()), float(result.max())  # NaN or infinite if any value is
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(
            f"The map of {flt.name!r} for {display_name(source)} overflows 32-bit floats (it "
            "holds infinity or NaN); use a smaller bias, border value or kernel."
        )


# --------------------------------------------------------------------------------------------
# The run


def _make_folders(out_folder: str, job: BatchJob) -> None:
    folders = [out_folder]
    if job.folders:
        folders += [os.path.join(out_folder, sub) for sub in _filter_folders(job)]
    for folder in folders:
        if os.path.isdir(folder):
            continue
        if os.path.lexists(folder):
            raise ImageError(f"{folder!r} is a file, so no maps can be written into it.")
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as exc:
            reason = (exc.strerror or type(exc).__name__).rstrip(".").lower()
            raise ImageError(f"The folder {folder!r} cannot be made: {reason}.") from None


def run_batch(
    sources: Iterable[str | os.PathLike],
    out_folder: str | os.PathLike,
    job: BatchJob,
    *,
    progress: Callable[[int, int, str], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    on_outcome: Callable[[Outcome], None] | None = None,
    workers: int | None = None,
    decoder: str = "auto",
) -> list[Outcome]:
    """Write the maps of every picture in ``sources`` into ``out_folder``.

    Parameters
    ----------
    sources : iterable of paths
        The pictures, in the order they are reported (see :func:`list_pictures`).
    out_folder : path
        Made if missing, with a sub-folder per filter when the job has them.
    job : BatchJob
        The filters, the layer and how maps are written.
    progress : callable, optional
        ``progress(done, total, name)``: called with ``(0, total, "")`` first, then once per
        picture finished (written, skipped or failed), ``name`` that picture's file name.
        Called on the thread that called ``run_batch``.
    cancelled : callable, optional
        Asked between pictures (and at least every 0.1 s): once it returns True no picture is
        started, and pictures in progress stop before their next map is written.
    on_outcome : callable, optional
        Called with each picture's :class:`Outcome` as it is known, on the calling thread
        (before ``progress``), e.g. to name a failure at once.
    workers : int, optional
        Pictures in progress at once; one per core (at most four) by default.
    decoder : str
        Passed to :func:`~filterstudio.core.imageio.load_image`.

    Returns
    -------
    list of Outcome
        One per picture, in the order of ``sources``.

    Raises
    ------
    ImageError
        The output folder (or a filter's sub-folder) cannot be made. Anything raised by the
        callbacks, or by a signal handler while the run waits (``Stopped``,
        ``KeyboardInterrupt``), ends the run the same way a cancel does, and is raised once
        the pictures in progress have stopped: no map is left half-written.

    Examples
    --------
    From a window's background task (``fn(control)`` of ``filterstudio.gui.tasks``):

    >>> def fn(control):                                              # doctest: +SKIP
    ...     pictures, _ = list_pictures(folder)
    ...     job = BatchJob(tuple(f for f in bank.filters if f.enabled), bank.layer)
    ...     return run_batch(pictures, out, job,
    ...                      progress=lambda done, total, name: control.progress(done, total),
    ...                      cancelled=control.cancelled)
    """
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    planned = plan_outputs([os.fspath(s) for s in sources], out_folder, job)
    total = len(planned)
    outcomes: list[Outcome | None] = [None] * total
    _make_folders(os.fspath(out_folder), job)
    stop = threading.Event()
    n_workers = max(1, int(workers or default_workers()))
    done = 0

    def finished(index: int, outcome: Outcome) -> None:
        nonlocal done
        outcomes[index] = outcome
        if on_outcome is not None:
            on_outcome(outcome)
        if outcome.status != CANCELLED:
            done += 1
            if progress is not None:
                progress(done, total, os.path.basename(outcome.source))

    if progress is not None:
        progress(0, total, "")
    pool = ThreadPoolExecutor(n_workers, thread_name_prefix="filterstudio-batch")
    running: dict[Any, int] = {}
    aborted = False
    try:
        queue = iter(range(total))
        exhausted = False
        while True:
            if not stop.is_set() and cancelled is not None and cancelled():
                stop.set()
            while not stop.is_set() and not exhausted and len(running) < n_workers:
                index = next(queue, None)
                if index is None:
                    exhausted = True
                    break
                future = pool.submit(_process, planned[index], job, stop, decoder)
                running[future] = index
            if not running:
                break
            ready, _ = wait(running, timeout=0.1, return_when=FIRST_COMPLETED)
            for future in ready:
                finished(running.pop(future), future.result())
    except BaseException:
        aborted = True
        raise
    finally:
        # However the loop ended (a cancel, a signal, a callback that raised), the pictures in
        # progress stop before their next write, and none is left half-written.
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
        for future, index in running.items():
            with contextlib.suppress(Exception):
                outcome = future.result()
                if aborted and outcome.status == FAILED:
                    # A signal handler removes the temporary files of writes in progress, so
                    # those writes fail: the picture was stopped, not refused.
                    outcome = Outcome(outcome.source, CANCELLED, written=outcome.written)
                outcomes[index] = outcome
                if on_outcome is not None:
                    on_outcome(outcome)
    return [
        o if o is not None else Outcome(planned[i].source, CANCELLED)
        for i, o in enumerate(outcomes)
    ]
