"""What the cursor points at: a hovered map cell's receptive field and sum, or an input pixel."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from ..compute.requests import ComputeResult
from ..core.errors import sentence
from ..core.lesson import cell_breakdown
from ..model.bank import Bank
from ..model.studio import BankChange, ImageState
from .widgets import ArithmeticWidget, MapView


class HoverPresenter(QObject):
    """Shows the arithmetic of the hovered cell under the input, and its window on the input.

    Keeps the picture, the bank and each map's geometry as they were pushed to it.
    """

    message = Signal(str)

    def __init__(
        self, arithmetic: ArithmeticWidget, input_view: MapView, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.arithmetic = arithmetic
        self.input_view = input_view
        self._image: ImageState | None = None
        self._bank = Bank()
        self._geometry: dict[str, object] = {}

    # -- model -------------------------------------------------------------------------
    def on_bank_changed(self, change: BankChange) -> None:
        self._bank = change.bank
        for uid in change.removed:
            self._geometry.pop(uid, None)

    def on_image_changed(self, state: ImageState | None) -> None:
        self._image = state
        self._geometry.clear()

    def on_result(self, res: ComputeResult) -> None:
        self._geometry[res.uid] = res.geometry

    # -- cursor ------------------------------------------------------------------------
    def on_input_hovered(self, y: int, x: int) -> None:
        img = self._image
        if img is None or y < 0:
            self.arithmetic.show_breakdown(None)
            return
        h, w = img.pixels.shape[:2]
        if 0 <= y < h and 0 <= x < w:
            self.arithmetic.show_input_pixel(y, x, img.pixels[y, x])

    def on_panel_hovered(self, uid: str, i: int, j: int) -> None:
        img, geometry = self._image, self._geometry.get(uid)
        if img is None or geometry is None or i < 0:
            self.input_view.set_receptive_field(None)
            self.arithmetic.show_breakdown(None)
            return
        self.input_view.set_receptive_field(geometry.taps(i, j))
        try:
            index = self._bank.index_of(uid)
        except KeyError:
            self.arithmetic.show_breakdown(None)  # a combined map: no single sum to show
            return
        flt = self._bank.filters[index]
        try:
            bd = cell_breakdown(img.pixels, flt, self._bank.layer, i, j)
        except (ValueError, IndexError) as exc:
            self.message.emit(sentence(exc))
            return
        # Named, so nobody has to guess which of the maps the numbers are from.
        self.arithmetic.show_breakdown(bd, title=flt.name, filter_index=index)
