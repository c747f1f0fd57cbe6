"""Filter banks and CNN weights in and out: bank files, Keras and PyTorch weight arrays.

A bank file holds the whole stack (one stage: the bank, as it always did). Importing replaces
it as one undoable step; weights fill one conv stage. Exporting writes atomically and asks
before replacing a file. Each method returns whether it succeeded and says why not.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox

from ..core.errors import sentence
from ..model.bank_io import BankFormatError
from ..model.stack_io import load_stack, save_stack
from ..model.weights import (
    AmbiguousLayout,
    WeightsError,
    export_weights,
    import_weights,
    stack_with_weights,
)
from .dialogs import SaveChoice
from .window_part import WindowPart

BANK_CHOICES = (SaveChoice("Filter banks (*.json)", (".json",)),)
WEIGHTS_CHOICES = (
    SaveChoice("Keras layout (kh, kw, C, F) (*.npz)", (".npz", ".npy"), "keras"),
    SaveChoice("PyTorch layout (F, C, kh, kw) (*.npz)", (".npz", ".npy"), "pytorch"),
)
WEIGHTS_OPEN_FILTER = "CNN weights (*.npz *.npy);;All files (*)"


class BankFiles(WindowPart):
    """Bank and weight files for ``controller``'s bank."""

    def __init__(self, controller, dialogs, document, parent: QObject | None = None) -> None:
        super().__init__(controller, dialogs, parent, document=document)
        self._window = parent

    # -- banks ---------------------------------------------------------------------------
    def import_bank(self, path: str | os.PathLike) -> bool:
        """Replace the stack (filters and layer settings, and any later stages) with a bank
        file's (undoable)."""
        try:
            stack = load_stack(path)
        except (BankFormatError, OSError, MemoryError) as exc:
            self._dialogs.failure(exc)
            return False
        self._c.replace_bank(stack, f"Import {Path(path).name}")
        name = Path(path).name
        if len(stack.stages) > 1:
            self._dialogs.message(f"Imported a stack of {len(stack.stages)} stages from {name}.")
        else:
            self._dialogs.message(f"Imported {len(stack.bank.filters)} filters from {name}.")
        return True

    def export_bank(self, path: str | os.PathLike, *, overwrite: bool = False) -> bool:
        """Save the stack as a bank file (``.json``; version 1 when it has one stage)."""
        p = os.fspath(path)
        if not self._dialogs.may_replace([p], overwrite):
            return False
        try:
            save_stack(p, self._c.stack, overwrite=True)
        except (BankFormatError, OSError) as exc:
            self._dialogs.failure(exc)
            return False
        self._dialogs.message(f"Saved the filter bank as {Path(p).name}.")
        return True

    # -- weights -------------------------------------------------------------------------
    def import_weights(
        self, path: str | os.PathLike, layout: str = "auto", *, stage: int = 0
    ) -> bool:
        """Replace a conv stage's filters with a CNN layer's weights (undoable, one step).

        ``stage`` 0 takes first-layer weights: 3 input channels switch the layer to the
        ``depth`` channel mode, 1-channel weights leave ``depth`` for ``gray``, in the same
        undo step. A later stage takes weights that read as many maps as it does. With
        ``layout="auto"`` and a shape that reads both ways the user chooses the layout.
        """
        name = Path(path).name
        stack = self._c.stack
        try:
            channels = stack.maps_in(stage) if stage > 0 else None
            imported = import_weights(path, layout=layout, channels=channels)
            new = stack_with_weights(stack, stage, imported)
        except AmbiguousLayout as exc:
            if layout != "auto":
                self._dialogs.failure(exc)
                return False
            chosen = self.ask_layout(sentence(exc))
            return False if chosen is None else self.import_weights(path, chosen, stage=stage)
        except (WeightsError, OSError, ValueError, MemoryError, IndexError) as exc:
            self._dialogs.failure(exc)
            return False
        self._c.replace_bank(new, f"Import weights from {name}")
        where = f" into stage {stage + 1}" if stage else ""
        summary = (
            f"Imported {len(imported.filters)} filters ({imported.layout_used} layout) "
            f"from {name}{where}."
        )
        self._dialogs.message(" ".join([summary, *imported.messages]))
        return True

    def layout_question(self, text: str) -> tuple[QMessageBox, dict]:
        """The box that asks which layout ambiguous weights were saved in, and its buttons."""
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Weights layout",
            text,
            QMessageBox.StandardButton.Cancel,
            self._window,
        )
        box.setObjectName("layoutQuestion")
        keras = box.addButton("Keras (kh, kw, C, F)", QMessageBox.ButtonRole.AcceptRole)
        torch = box.addButton("PyTorch (F, C, kh, kw)", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(torch)
        return box, {keras: "keras", torch: "pytorch"}

    def ask_layout(self, text: str) -> str | None:
        """Ask which layout ambiguous weights use: ``"keras"``, ``"pytorch"`` or None."""
        box, buttons = self.layout_question(text)
        try:
            box.exec()
            return buttons.get(box.clickedButton())
        finally:
            box.deleteLater()

    def export_weights(
        self, path: str | os.PathLike, layout: str, *, overwrite: bool = False
    ) -> bool:
        """Save the kernels as one weight array (``.npz`` with biases, or ``.npy``).

        In the ``depth`` channel mode the weights have 3 input channels, otherwise as many as
        the kernels have.
        """
        p = os.fspath(path)
        if not self._dialogs.may_replace([p], overwrite):
            return False
        bank = self._c.bank
        channels = 3 if bank.layer.channel_mode == "depth" else None
        try:
            notes = export_weights(bank, p, layout=layout, channels=channels, overwrite=True)
        except (WeightsError, OSError, ValueError) as exc:
            self._dialogs.failure(exc)
            return False
        self._dialogs.message(" ".join([f"Saved the weights as {Path(p).name}.", *notes]))
        return True

    # -- menu commands -------------------------------------------------------------------
    def import_bank_dialog(self) -> None:
        path = self._document.ask_open_path(
            "Import Filter Bank", "Filter banks (*.json);;All files (*)"
        )
        if path:
            self.import_bank(path)

    def export_bank_dialog(self) -> None:
        chosen = self._document.ask_save_path("Export Filter Bank", "-bank.json", BANK_CHOICES)
        if chosen is not None:
            path, _, asked = chosen
            self.export_bank(path, overwrite=asked)

    def import_weights_dialog(self) -> None:
        path = self._document.ask_open_path("Import CNN Weights", WEIGHTS_OPEN_FILTER)
        if path:
            self.import_weights(path)

    def export_weights_dialog(self) -> None:
        chosen = self._document.ask_save_path(
            "Export CNN Weights", "-weights.npz", WEIGHTS_CHOICES
        )
        if chosen is not None:
            path, choice, asked = chosen
            self.export_weights(path, str(choice.meaning), overwrite=asked)
