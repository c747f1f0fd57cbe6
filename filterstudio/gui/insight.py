"""The insight side of the window: the panel beside the kernel editor and Copy as Code.

:class:`InsightPresenter` keeps what it was pushed (bank, selection, picture), hands the panel
the selected filter's kernel as the layer applies it when that kernel, the selection or the
layer's dilation, stride or channel mode change, and writes the program Copy as Code shows:
:func:`filterstudio.core.codegen.filter_code` for the selected filter, the layer and the
picture's channels, which gives exactly the map the studio shows.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

from ..core.codegen import LIBRARIES, filter_code
from ..model.bank import Bank, Filter, Layer
from ..model.studio import BankChange, ImageState, filter_at
from .widgets import CodeDialog, KernelInsightWidget

LIBRARY_KEY = "copyCode/library"


def applied_kernel(flt: Filter, layer: Layer) -> np.ndarray:
    """The kernel the panel describes: a depth kernel is summed outside depth mode, as applied."""
    k = flt.kernel
    if k.ndim == 3 and layer.channel_mode != "depth":
        return k.sum(axis=2, dtype=np.float32)
    return k


class InsightPresenter(QObject):
    """Pushes the selected filter into the insight panel; writes and copies its code.

    Signals
    -------
    message(str)
        A status line for the user (what Copy did, why there is nothing to copy).
    """

    message = Signal(str)

    def __init__(self, panel: KernelInsightWidget, window: QWidget,
                 parent: QObject | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.panel = panel
        self._window = window  # parent of the Copy as Code dialog
        self._bank: Bank | None = None
        self._selected = 0
        self._image: ImageState | None = None
        self._pushed: tuple | None = None
        self._stack = None  # the whole stack, when the bank has later stages
        self._stage = 0  # the stage being edited; a later one shows its selected filter
        self._stage_index = 0
        self._dialog: CodeDialog | None = None

    @property
    def selected_filter(self) -> Filter | None:
        return None if self._bank is None else filter_at(self._bank, self._selected)

    # -- model -> panel ----------------------------------------------------------------------
    def on_bank_changed(self, change: BankChange) -> None:
        self._bank, self._selected = change.bank, change.selected
        self._stack = change.stack
        self._push()
        self._refresh_dialog()

    def on_selection_changed(self, index: int) -> None:
        self._selected = index
        self._push()
        self._refresh_dialog()

    def on_stage_selected(self, stage: int, index: int) -> None:
        """A later stage is edited: the panel describes its selected filter (a pooling stage
        has no kernel to describe); stage 0 is the bank."""
        self._stage, self._stage_index = int(stage), int(index)
        self._push()

    def _shown_filter(self) -> tuple[Filter | None, Layer | None]:
        """The filter the panel describes and the layer it is applied with."""
        stages = self._stack.stages if self._stack is not None else ()
        if self._stage > 0 and self._stage < len(stages):
            stage = stages[self._stage]
            if stage.kind != "conv" or not 0 <= self._stage_index < len(stage.filters):
                return None, None
            return stage.filters[self._stage_index], stage.layer
        f = self.selected_filter
        return (f, self._bank.layer) if f is not None and self._bank is not None else (None, None)

    def on_image_changed(self, state: ImageState | None) -> None:
        self._image = state
        self._refresh_dialog()

    def _push(self) -> None:
        """Give the panel the selected kernel as applied, unless it already has exactly that."""
        f, layer = self._shown_filter()
        if f is None or layer is None:
            wanted = None
        else:
            k = applied_kernel(f, layer)
            reads = "maps" if self._stage > 0 else "picture"
            wanted = (k.shape, k.tobytes(), layer.dilation, layer.stride, reads)
        if wanted == self._pushed:
            return
        self._pushed = wanted
        if wanted is None:
            self.panel.show_kernel(None)
        else:
            self.panel.show_kernel(k, dilation=layer.dilation, stride=layer.stride, reads=reads)

    # -- Copy as Code ------------------------------------------------------------------------
    def picture_channels(self) -> int:
        """Channels of the picture the maps are computed from (3 before there is one)."""
        if self._image is None:
            return 3
        pixels = self._image.pixels
        return 1 if pixels.ndim == 2 else int(pixels.shape[2])

    def filter_code(self, index: int | None, library: str) -> str:
        """The program that redoes filter ``index``'s map (None: the selected filter)."""
        if self._bank is None or not self._bank.filters:
            raise ValueError("There is no filter to write code for; add one first.")
        i = self._selected if index is None else index
        if not 0 <= i < len(self._bank.filters):
            raise ValueError(f"There is no filter {i}; the bank has {len(self._bank.filters)}.")
        flt = self._bank.filters[i]
        return filter_code(flt, self._bank.layer, library, channels=self.picture_channels())

    def copy_code(self, library: str, index: int | None = None) -> str:
        """Put the program for ``library`` on the clipboard and return it."""
        code = self.filter_code(index, library)
        QGuiApplication.clipboard().setText(code)
        return code

    def open_dialog(self) -> CodeDialog | None:
        """Show Copy as Code for the selected filter (window-modal, returns at once)."""
        f = self.selected_filter
        if f is None:
            self.message.emit("Select a filter to copy as code.")
            return None
        if self._dialog is not None:
            self._dialog.close()
        dialog = CodeDialog(lambda lib: self.filter_code(None, lib), f.name, self._window)
        saved = QSettings().value(LIBRARY_KEY, "numpy", str)
        if saved in LIBRARIES:
            dialog.set_library(saved)
        dialog.libraryChosen.connect(lambda name: QSettings().setValue(LIBRARY_KEY, name))
        dialog.copied.connect(self.message)
        dialog.finished.connect(lambda _result, d=dialog: self._forget(d))
        self._dialog = dialog
        dialog.open()
        return dialog

    def dialog(self) -> CodeDialog | None:
        """The Copy as Code dialog while it is open."""
        return self._dialog

    def _forget(self, dialog: CodeDialog) -> None:
        if self._dialog is dialog:
            self._dialog = None
        dialog.deleteLater()

    def _refresh_dialog(self) -> None:
        f = self.selected_filter
        if self._dialog is not None and f is not None:
            self._dialog.setWindowTitle(f"Copy as Code: {f.name}")
            self._dialog.refresh()
