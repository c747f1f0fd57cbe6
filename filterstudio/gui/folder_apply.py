"""File > Apply to Folder: the current bank through every picture of a folder, on a worker.

:class:`FolderApply` takes a snapshot of the bank as the window shows it (the enabled filters,
their bias and activation, the layer settings, each panel's mapping and colour map) and hands
it to :func:`filterstudio.core.batch.run_batch`, the engine of ``filterstudio apply PHOTOS/ OUT/
--bank``, on a pool thread (:mod:`filterstudio.gui.tasks`). Maps are named as the command line
names them (``OUT/<filter>/<picture>.<format>``), maps that exist are kept unless the run says
``overwrite``, and a picture that fails is named with its reason while the rest go on.

While a run goes, a progress dialog (not modal: the studio stays usable) shows how far it is
and has Cancel; a cancel, or closing the window, stops the pictures in progress before their
next write, so no file is ever half-written. Every run ends with one :class:`FolderSummary`
(signal ``finished``), shown in one box: written, skipped, failed with their reasons.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QEventLoop, QObject, Qt, Signal
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QPushButton, QWidget

from ..core.errors import sentence
from .controller import StudioController
from .dialogs import Dialogs
from .tasks import TaskControl, TaskHandle, start_task

__all__ = ["FolderApply", "FolderSummary", "OUTPUT_FORMATS"]

#: The formats a folder's maps are written in: label -> (extension, exact values).
OUTPUT_FORMATS = {
    "PNG images, as displayed": ("png", False),
    "JPEG images, as displayed": ("jpg", False),
    "TIFF images, as displayed": ("tif", False),
    "WebP images, as displayed": ("webp", False),
    "BMP images, as displayed": ("bmp", False),
    "TIFF float32, exact values": ("tif", True),
    "NumPy arrays, exact values": ("npy", True),
}
_SHOWN_FAILURES = 8  # failures named in the summary box's text (all of them in its details)


@dataclass(frozen=True)
class FolderSummary:
    """How one run ended.

    ``written`` and ``skipped`` are the pictures (paths) whose maps were written now or were
    there already; ``failed`` pairs each picture that failed with its one sentence;
    ``cancelled`` says the run was stopped first (the pictures not reached are in no list);
    ``error`` is the one sentence of a run that could not go at all (nothing was written).
    """

    source: str
    target: str
    total: int = 0
    written: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    failed: tuple[tuple[str, str], ...] = ()
    cancelled: bool = False
    error: str | None = None
    maps: tuple[str, ...] = field(default=(), repr=False)  # every file written by the run

    @property
    def text(self) -> str:
        """The summary in a sentence or two."""
        if self.error is not None:
            return self.error
        folder = Path(self.target).name or self.target
        done = f"the maps of {len(self.written)} of {_count(self.total, 'picture')} to {folder}"
        if self.cancelled:
            parts = [f"Cancelled after writing {done}"]
        else:
            parts = [f"Wrote {done}"]
        if self.skipped:
            n = len(self.skipped)
            parts.append(f"{n} had {'its maps' if n == 1 else 'their maps'} already")
        if self.failed:
            parts.append(f"{len(self.failed)} failed")
        text = "; ".join(parts) + "."
        if self.cancelled:
            text += " No file is half-written; applying again writes the rest."
        return text

    @property
    def failure_lines(self) -> tuple[str, ...]:
        """One sentence per picture that failed (each names its picture)."""
        return tuple(reason for _, reason in self.failed)


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


@dataclass(frozen=True)
class _Request:
    """What the worker is handed: paths and the batch job, nothing that changes later."""

    source: str
    target: str
    job: object  # a core.batch.BatchJob


class _Where:
    """The last picture finished, written by the worker and read by the progress dialog."""

    name = ""


def _probe_writable(folder: str) -> None:
    """Raise ImageError (one sentence) when no file can be made in the existing ``folder``."""
    from ..core.atomic import atomic_write
    from ..core.formats import ImageError

    class _Probed(Exception):
        pass

    try:
        with atomic_write(os.path.join(folder, "filterstudio-probe")):
            raise _Probed  # the temporary file was made: nothing is put in place
    except _Probed:
        return
    except OSError as exc:
        reason = (exc.strerror or type(exc).__name__).rstrip(".").lower()
        raise ImageError(f"No map can be written in the folder {folder!r}: {reason}.") from None


def _run(request: _Request, control: TaskControl, where: _Where) -> FolderSummary:
    """List the pictures, check the output folders and write every map (on a pool thread)."""
    from ..core.batch import FAILED, SKIPPED, WRITTEN, list_pictures, plan_outputs, run_batch
    from ..core.formats import ImageError

    pictures, _ = list_pictures(request.source)
    if not pictures:
        raise ImageError(
            f"There is no picture (.png, .jpg, .bmp, .tif, .webp or .gif) in the folder "
            f"{request.source!r}; its sub-folders are not entered."
        )
    plan = plan_outputs(pictures[:1], request.target, request.job)
    folders = {os.path.dirname(t) for t in plan[0].targets} | {request.target}
    for folder in sorted(folders):
        if os.path.isdir(folder):
            _probe_writable(folder)

    def progress(done: int, total: int, name: str) -> None:
        if name:
            where.name = name
        control.progress(done, total)

    outcomes = run_batch(
        pictures, request.target, request.job, progress=progress, cancelled=control.cancelled
    )
    by = {s: tuple(o.source for o in outcomes if o.status == s) for s in (WRITTEN, SKIPPED)}
    return FolderSummary(
        request.source,
        request.target,
        total=len(pictures),
        written=by[WRITTEN],
        skipped=by[SKIPPED],
        failed=tuple((o.source, o.reason or "") for o in outcomes if o.status == FAILED),
        cancelled=control.cancelled() or any(o.status == "cancelled" for o in outcomes),
        maps=tuple(m for o in outcomes for m in o.written),
    )


class FolderApply(QObject):
    """Applies the current bank to folders of pictures, one run at a time.

    Signals
    -------
    started()
        A run began (its progress dialog is open).
    progress(int, int)
        ``(pictures done, pictures in all)``, at most about ten times a second.
    finished(object)
        The run's :class:`FolderSummary`, once for every call of :meth:`apply_to_folder`
        (also when it was refused: then ``error`` says why).
    """

    started = Signal()
    progress = Signal(int, int)
    finished = Signal(object)

    def __init__(
        self, controller: StudioController, dialogs: Dialogs, window: QWidget
    ) -> None:
        super().__init__(window)
        self._c = controller
        self._dialogs = dialogs
        self._window = window
        self._task: TaskHandle | None = None
        self._request: _Request | None = None
        self._where = _Where()
        self._progress: QProgressDialog | None = None
        self._last: FolderSummary | None = None
        self._closing = False
        self._stopping = False  # a cancel was asked for the run in progress

    # -- scripting surface -------------------------------------------------------------
    def apply_to_folder(
        self,
        source: str | os.PathLike,
        target: str | os.PathLike,
        *,
        fmt: str = "png",
        exact: bool = False,
        overwrite: bool = False,
        wait: bool = True,
    ) -> FolderSummary | None:
        """Write the maps of every picture in ``source`` into ``target``.

        Parameters
        ----------
        source, target : path
            The folder of pictures (its sub-folders are not entered) and the folder of maps
            (made if missing), one sub-folder per enabled filter as ``filterstudio apply
            --bank`` writes them.
        fmt : str
            ``png`` (default), ``jpg``, ``tif``, ``webp``, ``bmp``: 8-bit as each panel shows
            its map; ``npy`` or (with ``exact``) ``tif``: the exact float32 values.
        exact : bool
            Exact values in a ``tif``.
        overwrite : bool
            Write maps that exist again (False: keep them; the picture counts as skipped).
        wait : bool
            True: run the event loop (the window stays live) until the run ends and return its
            summary. False: return None at once; the summary comes with ``finished``.
        """
        request, refusal = self._request_for(source, target, fmt, exact, overwrite)
        if refusal is not None:
            summary = FolderSummary(os.fspath(source), os.fspath(target), error=refusal)
            self._dialogs.error(refusal)
            self._last = summary
            self.finished.emit(summary)
            return summary if wait else None
        self._start(request)
        if wait:
            return self.wait()
        return None

    def is_running(self) -> bool:
        """Whether a run is in progress (its end not yet signalled)."""
        return self._task is not None

    def cancel(self) -> None:
        """Stop the run: no new picture starts, pictures in progress stop before their next
        write; ``finished`` follows with a cancelled summary."""
        if self._task is not None:
            self._task.cancel()
            self._stopping = True
            if self._progress is not None:
                self._progress.setLabelText("Stopping after the pictures in progress…")

    def wait(self, timeout: float | None = None) -> FolderSummary | None:
        """Run the event loop until the run in progress ends; its summary (None on timeout).

        Without a run in progress, the last run's summary.
        """
        if self._task is not None:
            loop = QEventLoop()
            self.finished.connect(loop.quit)
            if timeout is not None:
                from PySide6.QtCore import QTimer

                QTimer.singleShot(int(timeout * 1000), loop.quit)
            loop.exec()
            self.finished.disconnect(loop.quit)
            if self._task is not None:
                return None
        return self._last

    def last_summary(self) -> FolderSummary | None:
        """The summary of the last run that ended (None before any)."""
        return self._last

    def progress_dialog(self) -> QProgressDialog | None:
        """The progress dialog of the run in progress (its Cancel button is ``cancelButton``)."""
        return self._progress

    def shutdown(self) -> None:
        """The window is closing: cancel a run and wait until its pictures have stopped."""
        self._closing = True
        if self._task is not None:
            self._task.cancel()
            self._task.wait(30_000)
        self._close_progress()

    # -- menu command ------------------------------------------------------------------
    def dialog(self, start_folder: str = "") -> None:
        """File > Apply to Folder: ask for the folders and the format, then run."""
        from .folder_apply_dialog import FolderApplyDialog

        if self._task is not None:
            self._raise_progress()
            return
        names = [f.name for f in self._c.bank.filters if f.enabled]
        if not names:
            self._dialogs.error("Switch a filter on first: no filter would be applied.")
            return
        dialog = FolderApplyDialog(names, list(OUTPUT_FORMATS), start_folder, self._window)
        try:
            chosen = dialog.choice() if dialog.exec() else None
        finally:
            dialog.deleteLater()
        if chosen is not None:
            source, target, label, overwrite = chosen
            fmt, exact = OUTPUT_FORMATS[label]
            self.apply_to_folder(source, target, fmt=fmt, exact=exact, overwrite=overwrite,
                                 wait=False)  # fmt: skip

    # -- running -----------------------------------------------------------------------
    def _request_for(
        self, source, target, fmt: str, exact: bool, overwrite: bool
    ) -> tuple[_Request | None, str | None]:
        """The worker's request, or the one sentence why the run cannot start."""
        from ..core.batch import BATCH_FORMATS, BatchJob

        if self._task is not None:
            return None, "Maps are being written for a folder already; wait for it or cancel it."
        src, dst = os.fspath(source), os.fspath(target)
        fmt = str(fmt).lower().lstrip(".")
        if fmt not in BATCH_FORMATS:
            return None, f"Maps are written as {', '.join(BATCH_FORMATS)}; not as {fmt!r}."
        if exact and fmt not in ("tif", "npy"):
            return None, "Exact values are written as .npy or as float32 .tif files."
        if not os.path.isdir(src):
            return None, f"The folder of pictures {src!r} does not exist."
        if os.path.lexists(dst) and not os.path.isdir(dst):
            return None, f"{dst!r} is a file; the maps of a folder go into a folder."
        if os.path.isdir(dst) and os.path.samefile(src, dst):
            return None, "The maps would be written among the pictures; choose another folder."
        bank = self._c.bank
        filters = tuple(f for f in bank.filters if f.enabled)
        if not filters:
            return None, "Switch a filter on first: no filter would be applied."
        exact = exact or fmt == "npy"
        displays = None if exact else tuple(self._c.display.for_uid(f.uid)[:2] for f in filters)
        job = BatchJob(
            filters, bank.layer, format=fmt, per_filter_folders=True, overwrite=overwrite,
            displays=displays,
        )  # fmt: skip
        return _Request(src, dst, job), None

    def _start(self, request: _Request) -> None:
        from ..core.imageio import quiet_decoder_logs

        quiet_decoder_logs()
        self._request = request
        self._stopping = False
        self._where = where = _Where()
        self._task = task = start_task(lambda control: _run(request, control, where), parent=self)
        task.progress.connect(self._on_progress)
        task.finished.connect(self._on_finished)
        task.failed.connect(self._on_failed)
        task.cancelled.connect(lambda: self._on_failed(None))
        self._open_progress(request)
        self.started.emit()

    def _on_progress(self, done: int, total: int) -> None:
        dialog = self._progress
        if dialog is not None:
            dialog.setMaximum(max(total, 1))
            dialog.setValue(done)
            if not self._stopping:
                name = self._where.name
                dialog.setLabelText(
                    f"{self._heading()}\n{done} of {total}" + (f": {name}" if name else "")
                )
        self.progress.emit(done, total)

    def _on_finished(self, summary: FolderSummary) -> None:
        self._end(summary)

    def _on_failed(self, exc: BaseException | None) -> None:
        req = self._request
        text = "The run was cancelled before any picture." if exc is None else sentence(exc)
        summary = FolderSummary(req.source, req.target, cancelled=exc is None, error=text)
        self._end(summary)

    def _end(self, summary: FolderSummary) -> None:
        self._task = None
        self._request = None
        self._last = summary
        self._close_progress()
        self._report(summary)
        self.finished.emit(summary)

    # -- telling -----------------------------------------------------------------------
    def _heading(self) -> str:
        req = self._request
        if req is None:
            return ""
        n = len(req.job.filters)
        folder = Path(req.source).name or req.source
        return f"Applying {_count(n, 'filter')} to the pictures of {folder}…"

    def _open_progress(self, request: _Request) -> None:
        dialog = QProgressDialog(self._window)
        dialog.setObjectName("folderApplyProgress")
        dialog.setWindowTitle("Apply to Folder")
        dialog.setWindowModality(Qt.WindowModality.NonModal)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.setMinimumDuration(0)
        dialog.setMinimumWidth(440)
        button = QPushButton("Cancel")
        button.setObjectName("cancelButton")
        button.setToolTip("Stop after the pictures in progress; no file is left half-written")
        dialog.setCancelButton(button)
        dialog.setRange(0, 0)  # busy until the pictures are counted
        dialog.setLabelText(self._heading())
        dialog.canceled.connect(self.cancel)
        dialog.show()
        self._progress = dialog

    def _raise_progress(self) -> None:
        if self._progress is not None:
            self._progress.show()
            self._progress.raise_()

    def _close_progress(self) -> None:
        dialog, self._progress = self._progress, None
        if dialog is not None:
            with contextlib.suppress(RuntimeError, TypeError):
                dialog.canceled.disconnect(self.cancel)
            dialog.hide()
            dialog.deleteLater()

    def _report(self, summary: FolderSummary) -> None:
        if summary.error is not None:
            self._dialogs.error(summary.error)
            return
        self._dialogs.message(summary.text)
        if self._closing:
            return
        box = self._window.findChild(QMessageBox, "folderSummaryBox")
        if box is None:
            box = QMessageBox(self._window)
            box.setObjectName("folderSummaryBox")
            box.setWindowTitle("Apply to Folder")
            box.setStandardButtons(QMessageBox.StandardButton.Ok)
        failures = summary.failure_lines
        icon = QMessageBox.Icon.Warning if failures else QMessageBox.Icon.Information
        box.setIcon(icon)
        box.setText(summary.text)
        shown = "\n".join(failures[:_SHOWN_FAILURES])
        if len(failures) > _SHOWN_FAILURES:
            shown += f"\n…and {len(failures) - _SHOWN_FAILURES} more (see the details)."
        box.setInformativeText(shown)
        box.setDetailedText("\n".join(failures) if len(failures) > _SHOWN_FAILURES else "")
        box.open()

    def summary_box(self) -> QMessageBox | None:
        """The box that showed the last summary (None before any)."""
        return self._window.findChild(QMessageBox, "folderSummaryBox")
