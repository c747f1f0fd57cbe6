"""The Apply to Folder dialog: the folder of pictures, the folder of maps, their format.

It only asks; :class:`filterstudio.gui.folder_apply.FolderApply` runs what was chosen. The
folders and the format chosen last are offered again (kept in ``QSettings``).
"""

from __future__ import annotations

import os

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

_KEY = "folderApply/"


class FolderApplyDialog(QDialog):
    """Asks where the pictures are, where the maps go, how they are written."""

    def __init__(
        self, filter_names: list[str], formats: list[str], start_folder: str = "",
        parent: QWidget | None = None,
    ) -> None:  # fmt: skip
        super().__init__(parent)
        self.setObjectName("folderApplyDialog")
        self.setWindowTitle("Apply to Folder")
        settings = QSettings()
        form = QFormLayout(self)
        shown = ", ".join(filter_names[:4]) + (" …" if len(filter_names) > 4 else "")
        about = QLabel(
            f"Every picture of a folder goes through the {len(filter_names)} filter"
            f"{'s' if len(filter_names) != 1 else ''} switched on ({shown}), with the layer "
            "settings and each map's display as the studio shows them. Each filter writes "
            "into a folder of its own, one map per picture, named after the picture."
        )
        about.setWordWrap(True)
        form.addRow(about)
        self.source = QLineEdit(settings.value(_KEY + "source", start_folder, str) or "")
        self.source.setObjectName("sourceFolder")
        self.target = QLineEdit(settings.value(_KEY + "target", "", str) or "")
        self.target.setObjectName("targetFolder")
        form.addRow("Pictures in", self._with_browse(self.source, "Folder of Pictures"))
        form.addRow("Maps into", self._with_browse(self.target, "Folder for the Maps"))
        self.format = QComboBox()
        self.format.addItems(formats)
        last = settings.value(_KEY + "format", formats[0], str)
        self.format.setCurrentIndex(formats.index(last) if last in formats else 0)
        form.addRow("Write as", self.format)
        self.overwrite = QCheckBox("Write again the maps that exist already")
        self.overwrite.setToolTip(
            "Unticked, maps that exist are kept and their pictures skipped, so a stopped run "
            "goes on where it stopped"
        )
        form.addRow(self.overwrite)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Apply")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self._ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        for edit in (self.source, self.target):
            edit.textChanged.connect(self._update_ok)
        self._update_ok()
        self.setMinimumWidth(520)

    def _with_browse(self, edit: QLineEdit, title: str) -> QWidget:
        row = QWidget()
        lay = QHBoxLayout(row)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(edit, 1)
        button = QPushButton("Browse…")

        def browse() -> None:
            start = edit.text() or self.source.text()
            folder = QFileDialog.getExistingDirectory(self, title, start)
            if folder:
                edit.setText(folder)

        button.clicked.connect(browse)
        lay.addWidget(button)
        return row

    def _update_ok(self) -> None:
        self._ok.setEnabled(bool(self.source.text().strip() and self.target.text().strip()))

    def choice(self) -> tuple[str, str, str, bool]:
        """``(pictures folder, maps folder, format label, overwrite)``; remembered for next time."""
        source = os.path.expanduser(self.source.text().strip())
        target = os.path.expanduser(self.target.text().strip())
        settings = QSettings()
        settings.setValue(_KEY + "source", source)
        settings.setValue(_KEY + "target", target)
        settings.setValue(_KEY + "format", self.format.currentText())
        return source, target, self.format.currentText(), self.overwrite.isChecked()
