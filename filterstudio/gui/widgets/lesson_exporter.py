"""Exports a lesson as a GIF or numbered PNGs in the background, in the row that shows how far.

The row under the lesson: a sentence (what the last export did), and while an export runs a
progress bar and a Cancel button. :class:`LessonExporterWidget` starts the export through
:mod:`filterstudio.gui.tasks` and turns its end into one sentence; the drawing itself is
:mod:`filterstudio.core.lesson_export`, on a pool thread. It opens no box of its own: whether
files may be replaced is asked through the prompt it is given, and failures are reported by
signal for the window to show.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from filterstudio.core.lesson import LessonPlan
from filterstudio.core.lesson_export import (
    export_gif,
    export_png_sequence,
    frame_count,
    frame_file_names,
)
from filterstudio.core.stage_lesson import StageLessonPlan
from filterstudio.gui.tasks import TaskControl, TaskHandle, start_task

CANCELLED_TEXT = "The export was cancelled; nothing was written."

#: Asked with the paths an export would replace; True lets it replace them.
ReplacePrompt = Callable[[list[str]], bool]


@dataclass(frozen=True)
class LessonExportJob:
    """One export, as handed to the worker thread: nothing in it is written to afterwards.

    ``image`` is the lesson's (already reduced, read-only) picture; ``flt`` and ``layer`` are the
    model's frozen values. The worker builds its own :class:`LessonPlan` from them, so the plan
    the window paints is never shared with it.
    """

    kind: str  # "gif" or "png"
    target: str  # the GIF file, or the folder for the PNG frames
    image: np.ndarray
    flt: object
    layer: object
    flip: bool
    frame_ms: int
    overwrite: bool
    #: A later stage's lesson: builds the plan again from frozen inputs (``plan.rebuild``).
    make_plan: object = None

    @property
    def what(self) -> str:
        return "GIF" if self.kind == "gif" else "pictures"


def run_lesson_export(job: LessonExportJob, control: TaskControl) -> str:
    """Draw and write the export of ``job`` (on a pool thread); return the sentence for the user.

    Stops with :class:`~filterstudio.core.lesson_export.ExportCancelled` before the next frame
    once ``control`` is cancelled; a failure raises (see :func:`failure_text`).
    """
    if job.make_plan is not None:
        plan = job.make_plan()
    else:
        plan = LessonPlan(job.image, job.flt, job.layer, flip=job.flip)
    hooks = {
        "overwrite": job.overwrite,
        "progress": control.progress,
        "cancelled": control.cancelled,
    }
    if job.kind == "gif":
        path = export_gif(plan, job.target, frame_ms=job.frame_ms, **hooks)
        return f"Saved the lesson as {path.name} ({frame_count(plan)} frames)."
    files = export_png_sequence(plan, job.target, **hooks)
    folder = Path(job.target).name or job.target
    return f"Saved {len(files)} pictures of the lesson in {folder}."


def failure_text(job: LessonExportJob, exc: BaseException) -> str:
    """The sentence for an export that failed with ``exc``: never a traceback."""
    if isinstance(exc, ValueError):  # the export's own one-sentence messages
        return str(exc)
    if isinstance(exc, MemoryError):
        return f"The {job.what} was not saved: there is not enough memory."
    return f"The {job.what} was not saved because of an unexpected error ({type(exc).__name__})."


class LessonExporterWidget(QWidget):
    """The export row: starts one export at a time and shows its progress and its end.

    Signals
    -------
    progress(int, int)
        ``(frames done, frames in all)`` while an export runs (at most about ten a second).
    ended(str, str)
        ``(outcome, sentence)`` when an export ends; outcome is ``"saved"``, ``"cancelled"``
        or ``"failed"``.
    refused(str)
        An export could not start (one is already running), in one sentence.
    """

    progress = Signal(int, int)
    ended = Signal(str, str)
    refused = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._task: TaskHandle | None = None
        self._last_error = ""
        self._label = QLabel(self)
        self._bar = QProgressBar(self)
        self._bar.setMinimumWidth(220)
        self._bar.setMaximumWidth(320)
        self._bar.setFormat("%v of %m frames")
        self._cancel_btn = QPushButton("Cancel", self)
        self._cancel_btn.setObjectName("cancelExportButton")
        self._cancel_btn.setToolTip("Stop the export; nothing is written")
        self._cancel_btn.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._cancel_btn.clicked.connect(self.cancel)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self._label, 1)
        row.addWidget(self._bar)
        row.addWidget(self._cancel_btn)
        for w in (self._label, self._bar, self._cancel_btn):
            w.hide()
        self.hide()  # takes no room until there is something to say

    # -- public API -------------------------------------------------------------------------------
    def export_gif(
        self, plan: LessonPlan | None, path: str, *, frame_ms: int, overwrite: bool = False,
        may_replace: ReplacePrompt | None = None,
    ) -> bool:  # fmt: skip
        """Start writing ``plan`` as a GIF at ``path``; see ``LessonWidget.export_gif_to``.

        An existing ``path`` is replaced with ``overwrite``, or when ``may_replace([path])``
        agrees; without either nothing starts.
        """
        if not self._can_export(plan):
            return False
        target = os.fspath(path)
        existing = [target] if os.path.lexists(target) else []
        if not self._may_write(existing, overwrite, may_replace):
            return False
        return self._start(plan, "gif", target, frame_ms, True)

    def export_png(
        self, plan: LessonPlan | None, folder: str, *, frame_ms: int, overwrite: bool = False,
        may_replace: ReplacePrompt | None = None,
    ) -> bool:  # fmt: skip
        """Start writing ``plan`` as numbered PNGs; see ``LessonWidget.export_png_to``.

        Frame files of an earlier export are replaced as :meth:`export_gif` replaces its file.
        """
        if not self._can_export(plan):
            return False
        target = os.fspath(folder)
        names = (Path(target, n) for n in frame_file_names(plan))
        existing = [os.fspath(p) for p in names if os.path.lexists(p)]
        if not self._may_write(existing, overwrite, may_replace):
            return False
        return self._start(plan, "png", target, frame_ms, True)

    def is_running(self) -> bool:
        """Whether an export is under way (until its end has been reported)."""
        return self._task is not None

    def text(self) -> str:
        """The row's sentence: what the running or the last export did (``""`` before any)."""
        return self._label.text() if self._label.isVisibleTo(self) else ""

    def frames_done(self) -> tuple[int, int] | None:
        """``(frames done, frames in all)`` of the running export, or None."""
        if self._task is None:
            return None
        return self._bar.value(), self._bar.maximum()

    def cancel(self) -> None:
        """Stop the running export before its next frame; it then reports cancelled."""
        if self._task is not None:
            self._task.cancel()
            self._cancel_btn.setEnabled(False)
            self._label.setText("Cancelling the export…")

    def shutdown(self) -> None:
        """Cancel a running export and wait until its thread has stopped drawing."""
        if self._task is not None:
            self._task.cancel()
            self._task.wait()

    def last_message(self) -> str:
        """The last failure or refusal sentence reported (for tests and scripts)."""
        return self._last_error

    # -- helpers ----------------------------------------------------------------------------------
    def _can_export(self, plan: LessonPlan | None) -> bool:
        if plan is None:
            return False
        if self._task is not None:
            self._last_error = "An export is already running; wait for it or cancel it first."
            self.refused.emit(self._last_error)
            return False
        return True

    @staticmethod
    def _may_write(
        existing: Sequence[str], overwrite: bool, may_replace: ReplacePrompt | None
    ) -> bool:
        """Whether the files in ``existing`` may be replaced: none, allowed, or agreed to."""
        if not existing or overwrite:
            return True
        return may_replace is not None and bool(may_replace(list(existing)))

    def _start(self, plan: LessonPlan, kind: str, target: str, frame_ms: int,
               overwrite: bool) -> bool:  # fmt: skip
        staged = isinstance(plan, StageLessonPlan)
        job = LessonExportJob(
            kind=kind,
            target=target,
            image=None if staged else plan.image,  # read-only, like the frozen filter and layer
            flt=None if staged else plan.filter,
            layer=None if staged else plan.layer,
            flip=False if staged else plan.flip,
            frame_ms=int(frame_ms),
            overwrite=overwrite,
            make_plan=(plan.rebuild or (lambda: plan)) if staged else None,
        )
        task = start_task(lambda control: run_lesson_export(job, control), parent=self)
        task.progress.connect(self._on_task_progress)
        task.finished.connect(lambda message: self._on_task_end("saved", message))
        task.cancelled.connect(lambda: self._on_task_end("cancelled", CANCELLED_TEXT))
        task.failed.connect(lambda exc: self._on_task_end("failed", failure_text(job, exc)))
        self._task = task
        total = frame_count(plan)
        self._bar.setRange(0, total)
        self._bar.setValue(0)
        self._label.setText(
            f"Exporting the lesson as a GIF ({total} frames)…"
            if kind == "gif"
            else f"Exporting the lesson as {total} pictures…"
        )
        self._cancel_btn.setEnabled(True)
        for w in (self._label, self._bar, self._cancel_btn):
            w.show()
        self.show()
        return True

    def _on_task_progress(self, done: int, total: int) -> None:
        self._bar.setRange(0, total)
        self._bar.setValue(done)
        self.progress.emit(done, total)

    def _on_task_end(self, outcome: str, message: str) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.deleteLater()
        self._bar.hide()
        self._cancel_btn.hide()
        # The row keeps the sentence, a failure too (the window also shows it in its box).
        self._label.setText(message)
        self._label.setStyleSheet("color: #a00000;" if outcome == "failed" else "")
        self._label.show()
        self.show()
        if outcome == "failed":
            self._last_error = message
        self.ended.emit(outcome, message)
