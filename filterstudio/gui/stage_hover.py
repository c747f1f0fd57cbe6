"""What a hovered cell of a later stage reads: its receptive field on the picture and on the maps
before it, the window of a pooled cell with the cell that won, the sum over maps of a conv cell.

The first stage's cells are :class:`~.hover.HoverPresenter`'s (their taps and sums); this
presenter says how large any hovered cell's receptive field is and draws the rest for later
stages. It keeps the exact maps shown (read-only arrays, nothing copied) to write a cell's
arithmetic from the few values its window reads.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from ..compute.receptive_fields import cell_field, earlier_fields, field_text
from ..compute.requests import ComputeResult
from ..compute.stagework import StackShapes
from ..core.errors import sentence
from ..core.receptive import Field
from ..core.stage_arithmetic import maps_cell_breakdown, pool_cell
from ..model.stack import PoolStage, Stack
from ..model.studio import BankChange, ImageState
from .widgets import ArithmeticWidget, MapView


def _cells(f: Field) -> tuple[int, int, int, int]:
    return f.top, f.left, f.height, f.width


class StageHoverPresenter(QObject):
    """Draws what a hovered later-stage cell reads and writes how it is made.

    ``view_of(key)`` gives the map view of any stage's map (None when it has no panel).
    """

    message = Signal(str)

    def __init__(self, arithmetic: ArithmeticWidget, input_view: MapView,
                 view_of: Callable[[str], MapView | None], parent: QObject | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.arithmetic = arithmetic
        self.input_view = input_view
        self._view_of = view_of
        self._stack = Stack()
        self._image: ImageState | None = None
        self._values: dict[str, object] = {}  # map key -> exact values shown
        self._drawn: list[MapView] = []  # views with a field or a mark on them
        self._text = ""

    def receptive_field_text(self) -> str:
        """What the last hovered cell's receptive field is, e.g. ``"receptive field 10 × 10
        pixels"`` (``""`` when no cell is hovered)."""
        return self._text

    # -- model -------------------------------------------------------------------------
    def on_bank_changed(self, change: BankChange) -> None:
        self._clear()
        self._stack = change.stack
        keys = {key for k in range(len(self._stack)) for key in self._stack.map_keys(k)}
        for key in [k for k in self._values if k not in keys]:
            del self._values[key]

    def on_image_changed(self, state: ImageState | None) -> None:
        self._image = state
        self._values.clear()
        self._clear()

    def on_result(self, res: ComputeResult) -> None:
        if res.values is not None and not res.error and res.is_final:
            self._values[res.uid] = res.values
        else:
            self._values.pop(res.uid, None)

    def on_maps_waiting(self, keys) -> None:
        for key in keys:
            self._values.pop(key, None)

    # -- cursor ------------------------------------------------------------------------
    def on_panel_hovered(self, key: str, i: int, j: int) -> None:
        self._clear()
        img = self._image
        if img is None or i < 0:
            self._text = ""
            try:
                later = self._stack.find_map(key)[0] > 0
            except KeyError:
                later = False
            if later:
                self.arithmetic.show_breakdown(None)  # the bank's cells: HoverPresenter's
            return
        try:
            k, idx = self._stack.find_map(key)
        except KeyError:
            return  # a combined map
        hw = img.pixels.shape[:2]
        try:
            field = cell_field(self._stack, hw, k, idx, (i, j))
        except ValueError:
            return
        self._text = field_text(field)
        if k == 0:
            return  # the first stage's taps and sum: HoverPresenter
        self.input_view.set_receptive_field(None)
        self.input_view.set_field(_cells(field))
        self._drawn.append(self.input_view)
        for stage, maps, f in earlier_fields(self._stack, hw, k, idx, (i, j)):
            keys = self._stack.map_keys(stage)
            for m in maps:
                view = self._view_of(keys[m])
                if view is not None:
                    view.set_field(_cells(f))
                    self._drawn.append(view)
        try:
            if isinstance(self._stack.stages[k], PoolStage):
                self._show_pool(k, idx, i, j)
            else:
                self._show_conv(k, idx, i, j)
        except (ValueError, IndexError) as exc:
            self.message.emit(sentence(exc))

    def _plane(self, key: str, ch, k: int):
        """The exact map ``key`` (channel ``ch``) read by stage ``k``: values, None for a
        switched-off filter's zeros; KeyError while it is not exact yet."""
        values = self._values.get(key)
        if values is None:
            s, i = self._stack.find_map(key)
            flt = getattr(self._stack.stages[s], "filters", None)
            if flt is not None and not flt[i].enabled:
                return None
            raise KeyError(key)
        return values if ch is None or values.ndim == 2 else values[:, :, ch]

    def _in_hw(self, k: int) -> tuple[int, int]:
        shapes = StackShapes.of(self._stack, self._image.pixels.shape[:2])
        return shapes.in_hw(self._stack, k, 0)

    def _show_pool(self, k: int, idx: int, i: int, j: int) -> None:
        s = self._stack.stages[k]
        key, ch = self._stack.map_sources(k, idx)[0]
        label = self._stack.map_labels(k)[idx]
        try:
            plane = self._plane(key, ch, k)
        except KeyError:
            self.arithmetic.show_breakdown(None)
            return
        cell = pool_cell(plane, i, j, in_hw=self._in_hw(k), **s.pool_kwargs())
        if cell.winner is not None:
            view = self._view_of(key)
            if view is not None:
                view.set_mark(cell.winner)
                self._drawn.append(view)
        self.arithmetic.show_pool_cell(cell, title=f"Stage {k + 1}, {label}", source=label,
                                       note=self._text)  # fmt: skip

    def _show_conv(self, k: int, idx: int, i: int, j: int) -> None:
        s = self._stack.stages[k]
        f = s.filters[idx]
        try:
            planes = [self._plane(key, ch, k) for key, ch in self._stack.sources(k)]
        except KeyError:
            self.arithmetic.show_breakdown(None)
            return
        if all(p is None for p in planes):
            return
        bd = maps_cell_breakdown(planes, f.kernel, i, j, bias=f.bias, activation=f.activation,
                                 labels=self._stack.plane_labels(k - 1),
                                 **s.layer.conv_kwargs())  # fmt: skip
        self.arithmetic.show_breakdown(bd, title=f"Stage {k + 1}, {f.name}", note=self._text)

    def _clear(self) -> None:
        for view in self._drawn:
            try:
                view.set_field(None)
                view.set_mark(None)
            except RuntimeError:
                pass  # its panel went with its stage
        self._drawn = []
