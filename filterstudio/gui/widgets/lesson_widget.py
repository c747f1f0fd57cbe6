"""The classroom lesson: the kernel window sliding over the input while the feature map fills in.

The widget around the drawing (:mod:`.lesson_canvas`): step buttons, playing at a chosen
speed, keys, the explanations panel and the export buttons; exports run in
:mod:`.lesson_exporter`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QStackedWidget,
    QStyle,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from filterstudio.core.lesson import LessonPlan, build_lesson
from filterstudio.core.lesson_concepts import (
    concept_notes,
    explanations_html,
    relevant_concepts,
    stage_concepts,
)
from filterstudio.core.stage_lesson import StageLessonPlan

from .layouts import splitter
from .lesson_canvas import LessonCanvas
from .lesson_exporter import LessonExporterWidget
from .scene_canvas import SceneCanvas

#: Speed slider range; the step interval is ``SPEED_BASE_MS / speed`` milliseconds.
SPEED_MIN, SPEED_MAX, SPEED_DEFAULT = 1, 10, 3
SPEED_BASE_MS = 1800


def step_interval_ms(speed: int) -> int:
    """Milliseconds between steps while playing at ``speed`` (1 slow ... 10 fast)."""
    return int(SPEED_BASE_MS // max(SPEED_MIN, min(SPEED_MAX, int(speed))))


class LessonWidget(QWidget):
    """The classroom lesson: step through (or play) the kernel sliding over the image.

    Keys when the widget has focus: Space plays or pauses, Right and Left step, Home and End
    jump to the first and last step. Clicking a feature-map cell jumps to the step that makes it.

    Exports (GIF, numbered PNGs) run on a worker thread: the window stays live, a progress bar
    with a Cancel button shows how far they are, and :attr:`exportFinished` reports the end.
    The widget opens no dialog: its export buttons ask the window (:attr:`exportRequested`)
    where to write, replacing files is agreed through the prompt the window gives
    (:meth:`set_replace_prompt`), and failures are reported (:attr:`exportFailed`).
    """

    #: The keys the lesson answers while it has the focus, for the list of shortcuts.
    KEYS: tuple[tuple[str, str], ...] = (
        ("Space", "play or pause"),
        ("Right, Left", "one step on or back"),
        ("Home, End", "the first or the last step"),
        ("Click a map cell", "jump to the step that makes it"),
    )

    stepChanged = Signal(int)
    #: ``(frames done, frames in all)`` while an export runs.
    exportProgress = Signal(int, int)
    #: ``(saved, message)`` once an export started by ``export_*_to`` ends: saved, failed or
    #: cancelled; ``message`` is the sentence the widget showed.
    exportFinished = Signal(bool, str)
    #: ``"gif"`` or ``"png"``: an export button was pressed; the window asks where to write
    #: and calls :meth:`export_gif_to` or :meth:`export_png_to`.
    exportRequested = Signal(str)
    #: A sentence: an export failed, or could not start (one is already running).
    exportFailed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._plan: LessonPlan | None = None
        self._notes: dict[str, str] = {}  # what the lesson's kernel adds to the cards
        self._step = 0
        self._filter_count = 1
        self._presentation = False
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("lesson: Space plays, arrow keys step")

        self._note = QLabel(self)
        self._note.setWordWrap(True)
        self._note.hide()

        self.canvas = LessonCanvas(self)
        self.canvas.cellClicked.connect(self._on_canvas_cell_clicked)
        # A later stage's lesson (a pooling window, a sum over maps) draws on a canvas of its own.
        self.stage_canvas = SceneCanvas(self)
        self.stage_canvas.cellClicked.connect(self._on_canvas_cell_clicked)
        self._canvases = QStackedWidget(self)
        self._canvases.addWidget(self.canvas)
        self._canvases.addWidget(self.stage_canvas)
        self._explain = QTextBrowser(self)
        self._explain.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._explain.setMinimumWidth(220)
        self._explain.setAccessibleName("explanations of the lesson's words")
        split = splitter(
            Qt.Orientation.Horizontal, (self._canvases, 4), (self._explain, 1), parent=self
        )
        split.setChildrenCollapsible(False)
        split.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        # The drawing gets most of the width, whatever the cards' tables ask for.
        split.setSizes([760, 280])

        def button(text: str, tip: str, slot, icon=None) -> QPushButton:
            b = QPushButton(text, self)
            if icon is not None:
                b.setIcon(self.style().standardIcon(icon))
            b.setToolTip(tip)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.clicked.connect(slot)
            return b

        sp = QStyle.StandardPixmap
        self._start_btn = button(
            "Start", "First step (Home)", self._paused(self.go_start), sp.SP_MediaSkipBackward
        )
        self._back_btn = button(
            "Back", "One step back (Left arrow)", self._paused(self.step_back),
            sp.SP_MediaSeekBackward,
        )
        self._play_btn = button(
            "Play", "Play or pause (Space)", self._on_play_clicked, sp.SP_MediaPlay
        )
        self._forward_btn = button(
            "Next", "One step on (Right arrow)", self._paused(self.step_forward),
            sp.SP_MediaSeekForward,
        )
        self._end_btn = button(
            "End", "Last step (End)", self._paused(self.go_end), sp.SP_MediaSkipForward
        )
        self._gif_btn = button(
            "Export GIF…", "Save the lesson as an animation", self._on_gif_clicked
        )
        self._gif_btn.setObjectName("exportGifButton")
        self._png_btn = button(
            "Export PNGs…", "Save one picture per step in a folder", self._on_png_clicked
        )
        self._png_btn.setObjectName("exportPngButton")
        self._speed = QSlider(Qt.Orientation.Horizontal, self)
        self._speed.setRange(SPEED_MIN, SPEED_MAX)
        self._speed.setValue(SPEED_DEFAULT)
        self._speed.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._speed.setMaximumWidth(160)
        self._speed.setToolTip("Playing speed")
        self._speed.setAccessibleName("playing speed")
        self._speed.valueChanged.connect(self._on_speed_value_changed)
        self._step_label = QLabel(self)
        self._step_label.setWordWrap(True)
        # The export row: what the last export did, and while one runs, how far it is.
        self._exporter = LessonExporterWidget(self)
        self._exporter.progress.connect(self.exportProgress)
        self._exporter.ended.connect(self._on_exporter_ended)
        self._exporter.refused.connect(self.exportFailed)
        self._may_replace = None  # asked before an export replaces files; see set_replace_prompt

        controls = QHBoxLayout()
        for w in (
            self._start_btn,
            self._back_btn,
            self._play_btn,
            self._forward_btn,
            self._end_btn,
        ):
            controls.addWidget(w)
        controls.addSpacing(12)
        controls.addWidget(QLabel("Speed", self))
        controls.addWidget(self._speed)
        controls.addStretch(1)
        controls.addWidget(self._gif_btn)
        controls.addWidget(self._png_btn)

        # The step sentence has its own line so the controls fit a 1280-pixel screen.
        layout = QVBoxLayout(self)
        layout.addWidget(self._note)
        layout.addWidget(split, 1)
        layout.addWidget(self._step_label)
        layout.addLayout(controls)
        layout.addWidget(self._exporter)

        self._timer = QTimer(self)
        self._timer.setInterval(step_interval_ms(SPEED_DEFAULT))
        self._timer.timeout.connect(self._on_timer_timeout)
        self._refresh()

    # -- public API ---------------------------------------------------------------------------
    def set_lesson(self, image: np.ndarray, flt, layer, *, flip: bool = False,
                   filter_count: int = 1) -> bool:  # fmt: skip
        """Start a lesson of ``flt`` under ``layer`` on ``image`` (reduced if large).

        Returns False, and shows why in the lesson, when the lesson cannot be built.
        """
        self.pause()
        self._filter_count = max(1, int(filter_count))
        try:
            plan = build_lesson(image, flt, layer, flip=flip)
        except ValueError as exc:
            self.show_problem(str(exc))
            return False
        self._start(self.canvas, plan, concept_notes(plan))
        return True

    def set_stage_lesson(self, plan: StageLessonPlan) -> None:
        """Start the lesson of a later stage of a stack (from
        :func:`filterstudio.compute.stage_lessons.build_stage_lesson`): a pooling window, or a
        filter summing its products over every map it reads."""
        self.pause()
        self._start(self.stage_canvas, plan, {})

    def show_problem(self, text: str) -> None:
        """No lesson: say why (one sentence) where the lesson would be."""
        self.pause()
        self._start(self.canvas, None, {}, text)

    def _start(self, canvas, plan, notes: dict[str, str], problem: str = "") -> None:
        """Show ``plan`` on ``canvas`` from its first step (None: ``problem`` in its place)."""
        self._plan = plan
        self._notes = notes
        self._step = 0
        self._canvases.setCurrentWidget(canvas)
        if plan is None:
            canvas.set_plan(None, problem)
            self._show_note(problem, error=True)
            self._refresh()
            return
        canvas.set_plan(plan)
        self._show_note(plan.note or "", error=False)
        self._refresh()
        self.stepChanged.emit(0)

    def plan(self) -> LessonPlan | StageLessonPlan | None:
        """The lesson shown, or None."""
        return self._plan

    def current_step(self) -> int:
        """0-based step shown."""
        return self._step

    def step_count(self) -> int:
        """Steps in the lesson (0 without one)."""
        return self._plan.step_count if self._plan else 0

    def step_text(self) -> str:
        """The step label, e.g. ``Step 5 of 36: output cell (0, 4)``."""
        return self._step_label.text()

    def note_text(self) -> str:
        """The note above the lesson (how the image was reduced, or why there is no lesson)."""
        return self._note.text() if self._note.isVisibleTo(self) else ""

    def explanations_text(self) -> str:
        """The explanations panel as plain text."""
        return self._explain.toPlainText()

    def set_step(self, k: int) -> None:
        """Show step ``k`` (clamped to the lesson)."""
        if self._plan is None:
            return
        k = max(0, min(int(k), self._plan.step_count - 1))
        if k == self._step:
            return
        self._step = k
        self._active_canvas().set_step(k)
        self._refresh()
        self.stepChanged.emit(k)

    def step_forward(self) -> None:
        """One step on (stays at the last step)."""
        self.set_step(self._step + 1)

    def step_back(self) -> None:
        """One step back (stays at the first step)."""
        self.set_step(self._step - 1)

    def go_start(self) -> None:
        self.set_step(0)

    def go_end(self) -> None:
        self.set_step(self.step_count() - 1)

    def jump_to_cell(self, i: int, j: int) -> None:
        """Show the step that makes feature-map cell ``(i, j)``."""
        if self._plan is None:
            return
        try:
            k = self._plan.step_of_cell(i, j)
        except ValueError:
            return
        self.set_step(k)

    def play(self) -> None:
        """Step on by itself at the chosen speed; from the last step it starts over."""
        if self._plan is None or self._plan.step_count < 2:
            return
        if self._step >= self._plan.step_count - 1:
            self.go_start()
        self._timer.start()
        self._refresh()

    def pause(self) -> None:
        self._timer.stop()
        self._refresh()

    def is_playing(self) -> bool:
        return self._timer.isActive()

    def set_speed(self, speed: int) -> None:
        """Playing speed, 1 (slow) to 10 (fast)."""
        self._speed.setValue(int(speed))

    def interval_ms(self) -> int:
        """Milliseconds between steps while playing."""
        return self._timer.interval()

    def set_presentation(self, on: bool) -> None:
        """Projector mode: larger type, thicker lines, stronger colours."""
        self._presentation = bool(on)
        self.canvas.set_presentation(self._presentation)
        self.stage_canvas.set_presentation(self._presentation)
        size = 16 if on else 0
        self.setStyleSheet(f"QPushButton, QLabel {{ font-size: {size}pt; }}" if size else "")
        self._refresh()

    def is_presentation(self) -> bool:
        return self._presentation

    def set_replace_prompt(self, may_replace) -> None:
        """``may_replace(paths) -> bool`` is asked before an export replaces ``paths`` (the
        window's one replace prompt); without one, an export that would replace files does
        not start unless ``overwrite`` is given."""
        self._may_replace = may_replace

    def export_gif_to(
        self, path: str, *, frame_ms: int | None = None, overwrite: bool = False
    ) -> bool:
        """Start writing the lesson as a looping GIF at ``path`` in the background.

        Returns at once: True if the export started, and :attr:`exportFinished` then tells how
        it ended (a failure is also reported by :attr:`exportFailed`). False, with nothing
        started, when there is no lesson, an export is already running, or ``path`` exists,
        ``overwrite`` is False and the user does not agree to replace it.
        """
        started = self._exporter.export_gif(
            self._plan, path, frame_ms=frame_ms or self.interval_ms(), overwrite=overwrite,
            may_replace=self._may_replace,
        )  # fmt: skip
        self._refresh()
        return started

    def export_png_to(self, folder: str, *, overwrite: bool = False) -> bool:
        """Start writing one PNG per step (and the finished map) into ``folder``.

        As :meth:`export_gif_to`: returns whether the export started; frame files of an earlier
        export are replaced only with ``overwrite`` or once the user agrees.
        """
        started = self._exporter.export_png(
            self._plan, folder, frame_ms=self.interval_ms(), overwrite=overwrite,
            may_replace=self._may_replace,
        )  # fmt: skip
        self._refresh()
        return started

    def is_exporting(self) -> bool:
        """Whether an export is running."""
        return self._exporter.is_running()

    def export_text(self) -> str:
        """The export row's sentence: what the last export did (``""`` before any)."""
        return self._exporter.text()

    def export_progress(self) -> tuple[int, int] | None:
        """``(frames done, frames in all)`` of the running export as shown, or None."""
        return self._exporter.frames_done()

    def cancel_export(self) -> None:
        """Stop the running export before its next frame; it then reports cancelled."""
        self._exporter.cancel()

    def shutdown(self) -> None:
        """Cancel a running export and wait for its thread (the window is closing)."""
        self.pause()
        self._exporter.shutdown()

    def last_message(self) -> str:
        """The last failure or refusal sentence of an export (for tests)."""
        return self._exporter.last_message()

    # -- keys ---------------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        steps = {
            Qt.Key.Key_Right: self.step_forward, Qt.Key.Key_Left: self.step_back,
            Qt.Key.Key_Home: self.go_start, Qt.Key.Key_End: self.go_end,
        }  # fmt: skip
        if key == Qt.Key.Key_Space:
            self._on_play_clicked()
        elif key in steps:
            self._paused(steps[key])()
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        super().mousePressEvent(event)

    def focusInEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().focusInEvent(event)
        self._active_canvas().set_focus_shown(True)

    def focusOutEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().focusOutEvent(event)
        self.canvas.set_focus_shown(False)
        self.stage_canvas.set_focus_shown(False)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self.shutdown()
        super().closeEvent(event)

    # -- slots --------------------------------------------------------------------------------
    def _on_canvas_cell_clicked(self, i: int, j: int) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        self.pause()
        self.jump_to_cell(i, j)

    def _paused(self, step: Callable[[], None]) -> Callable[..., None]:
        """A button's slot: pause (a press while playing stops the play), then ``step``."""

        def slot(*_args) -> None:
            self.pause()
            step()

        return slot

    def _on_play_clicked(self) -> None:
        self.pause() if self.is_playing() else self.play()

    def _on_speed_value_changed(self, value: int) -> None:
        self._timer.setInterval(step_interval_ms(value))

    def _on_timer_timeout(self) -> None:
        if self._plan is None or self._step >= self._plan.step_count - 1:
            self.pause()
            return
        self.step_forward()
        if self._step >= self._plan.step_count - 1:
            self.pause()

    def _on_gif_clicked(self) -> None:
        self.export_gif_dialog()

    def export_gif_dialog(self) -> None:
        """Ask where to save the lesson as a GIF (as the Export GIF button does), then start."""
        if self._plan is None:
            return
        self.pause()
        self.exportRequested.emit("gif")

    def _on_png_clicked(self) -> None:
        self.pause()
        self.exportRequested.emit("png")

    def _on_exporter_ended(self, outcome: str, message: str) -> None:
        self._refresh()
        if outcome == "failed":
            self.exportFailed.emit(message)
        self.exportFinished.emit(outcome == "saved", message)

    # -- helpers ------------------------------------------------------------------------------
    def _active_canvas(self) -> LessonCanvas | SceneCanvas:
        return self.stage_canvas if isinstance(self._plan, StageLessonPlan) else self.canvas

    def _show_note(self, text: str, *, error: bool) -> None:
        self._note.setText(text)
        colour = "#a00000" if error else "#6a4a00"
        self._note.setStyleSheet(f"color: {colour};")
        self._note.setVisible(bool(text))

    def _refresh(self) -> None:
        plan = self._plan
        has = plan is not None
        for w in (self._start_btn, self._back_btn, self._forward_btn, self._end_btn,
                  self._play_btn, self._gif_btn, self._png_btn, self._speed):  # fmt: skip
            w.setEnabled(has)
        exporting = self._exporter.is_running()
        self._gif_btn.setEnabled(has and not exporting)
        self._png_btn.setEnabled(has and not exporting)
        if has:
            n = plan.step_count
            i, j = plan.steps[self._step]
            self._step_label.setText(f"Step {self._step + 1} of {n}: output cell ({i}, {j})")
            self._back_btn.setEnabled(self._step > 0)
            self._start_btn.setEnabled(self._step > 0)
            self._forward_btn.setEnabled(self._step < n - 1)
            self._end_btn.setEnabled(self._step < n - 1)
        else:
            self._step_label.setText("No lesson yet")
        playing = self.is_playing()
        self._play_btn.setText("Pause" if playing else "Play")
        icon = (
            QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
        )
        self._play_btn.setIcon(self.style().standardIcon(icon))
        if isinstance(plan, StageLessonPlan):
            relevant, cards = stage_concepts(plan), plan.cards
        else:
            relevant, cards = relevant_concepts(plan, filter_count=self._filter_count), {}
        html_text = explanations_html(
            relevant, presentation=self._presentation, notes=self._notes, cards=cards
        )
        if html_text != getattr(self, "_explain_html", None):
            self._explain_html = html_text
            self._explain.setHtml(html_text)
