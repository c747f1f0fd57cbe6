"""The lesson's exports through the window's dialogs: where to write, whether to replace, failures.

The lesson widget opens no dialog of its own. Its export buttons ask for an export
(``exportRequested``); :class:`LessonExports` asks where through the window's save and folder
dialogs, and then starts it with the widget's export API (docs/SCRIPTING.md). Replacing files
is asked through the window's one replace prompt, and a failure is shown in its one error box.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject

from .dialogs import Dialogs, SaveChoice
from .document import Document
from .widgets import LessonWidget

GIF_CHOICES = (SaveChoice("GIF animation (*.gif)", (".gif",)),)


class LessonExports(QObject):
    """Wires ``lesson``'s export requests, replace questions and failures to ``dialogs``."""

    def __init__(
        self, lesson: LessonWidget, dialogs: Dialogs, document: Document, parent=None
    ) -> None:
        super().__init__(parent)
        self._lesson = lesson
        self._dialogs = dialogs
        self._document = document
        lesson.set_replace_prompt(dialogs.may_replace)
        lesson.exportRequested.connect(self._on_lesson_export_requested)
        lesson.exportFailed.connect(dialogs.error)

    def export_gif_dialog(self) -> bool:
        """Ask where to save the lesson as a GIF, then start it; whether it started."""
        chosen = self._document.ask_save_path(
            "Export the Lesson as a GIF", "-lesson.gif", GIF_CHOICES
        )
        if chosen is None:
            return False
        path, _choice, asked = chosen
        # The save dialog asked before replacing the path it returned; another is asked here.
        return self._lesson.export_gif_to(path, overwrite=asked)

    def export_png_dialog(self) -> bool:
        """Ask for a folder for the lesson's pictures, then start writing them."""
        folder = self._dialogs.folder(
            "Folder for the Lesson Pictures", self._document.start_folder()
        )
        if not folder:
            return False
        self._document.remember_folder(str(Path(folder) / "x"))
        return self._lesson.export_png_to(folder)

    def _on_lesson_export_requested(self, kind: str) -> None:
        if kind == "gif":
            self.export_gif_dialog()
        else:
            self.export_png_dialog()
