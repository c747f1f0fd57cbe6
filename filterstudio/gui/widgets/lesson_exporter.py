"""Exports a lesson as a GIF or numbered PNGs in the background, in the row that shows how far.

The row under the lesson: a sentence (what the last export did), and while an export runs a
progress bar and a Cancel button. :class:`LessonExporterWidget` asks before replacing files,
starts the export through :mod:`filterstudio.gui.tasks` and turns its end into one sentence;
the drawing itself is :mod:`filterstudio.core.lesson_export`, on a pool thread.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMessageBox, QProgressBar, QPushButton, QWidget

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
    return (
        f"The {job.what} was not saved because of an unexpected error ({type(exc).__name__})."
    )


class LessonExporterWidget(QWidget):
    """The export row: starts one export at a time and shows its progress and its end.

    Signals
    -------
    progress(int, int)
        ``(frames done, frames in all)`` while an export runs (at most about ten a second).
    ended(str, str)
        ``(outcome, sentence)`` when an export ends; outcome is ``"saved"``, ``"cancelled"``
        or ``"failed"``. A failure is also shown in a message box.
    """

    progress = Signal(int, int)
    ended = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._task: TaskHandle | None = None
        self._message_box: QMessageBox | None = None
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
        self, plan: LessonPlan | None, path: str, *, frame_ms: int, overwrite: bool = False
    ) -> bool:
        """Start writing ``plan`` as a GIF at ``path``; see ``LessonWidget.export_gif_to``."""
        if not self._can_export(plan):
            return False
        target = os.fspath(path)
        existing = os.path.lexists(target)
        question = f"{Path(target).name} already exists. Replace it?"
        return self._start_asking(plan, "gif", target, frame_ms, overwrite or not existing,
                                  question)  # fmt: skip

    def export_png(
        self, plan: LessonPlan | None, folder: str, *, frame_ms: int, overwrite: bool = False
    ) -> bool:
        """Start writing ``plan`` as numbered PNGs; see ``LessonWidget.export_png_to``."""
        if not self._can_export(plan):
            return False
        target = os.fspath(folder)
        existing = [n for n in frame_file_names(plan) if os.path.lexists(Path(target, n))]
        where = Path(target).name or target
        names = "a picture" if len(existing) == 1 else f"{len(existing)} pictures"
        question = f"{where} already holds {names} of the same name. Replace them?"
        return self._start_asking(plan, "png", target, frame_ms, overwrite or not existing,
                                  question)  # fmt: skip

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
        """Text of the last error message shown (for tests and scripts)."""
        box = self._message_box
        try:
            return box.text() if box is not None else ""
        except RuntimeError:  # already closed and deleted
            return ""

    # -- helpers ----------------------------------------------------------------------------------
    def _can_export(self, plan: LessonPlan | None) -> bool:
        if plan is None:
            return False
        if self._task is not None:
            self._show_error("An export is already running; wait for it or cancel it first.")
            return False
        return True

    def _start_asking(self, plan: LessonPlan, kind: str, target: str, frame_ms: int,
                      replace: bool, question: str) -> bool:  # fmt: skip
        """Start the export, first asking ``question`` unless ``replace`` is already allowed."""
        if not replace and not self._ask_replace(question):
            return False
        return self._start(plan, kind, target, frame_ms, True)

    def _ask_replace(self, question: str) -> bool:
        answer = QMessageBox.question(
            self,
            "Replace files?",
            question,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

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
        self._label.setText(message)
        self._label.setVisible(outcome != "failed")
        self.setVisible(outcome != "failed")
        if outcome == "failed":
            self._show_error(message)
        self.ended.emit(outcome, message)

    def _show_error(self, text: str) -> None:
        # Window-modal and non-blocking: playing, tests and the rest of the window go on.
        parent = self.parentWidget() or self  # shown even while the row itself is hidden
        box = QMessageBox(QMessageBox.Icon.Warning, "Filter Studio", text, parent=parent)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self._message_box = box
        box.open()
