"""The map panels of the stack's later stages: a row per stage, a panel per map, placed on the
picture through their receptive fields and touched only when their map changes.

:class:`StagePanels` keeps its own copy of what it was pushed (stack, picture, display) and
never reads the controller. A stage's maps come from the worker as the bank's do; a map
waiting for the maps it reads says "updating" (``mapsWaiting``) and is never shown stale. Each
panel shows its map where its cells' receptive fields are centred on the picture
(:func:`~filterstudio.compute.receptive_fields.map_placement`), so every row zooms and pans
with the input.
"""

from __future__ import annotations

from PySide6.QtCore import QObject

from ..compute.receptive_fields import field_text, map_placement, stage_chain
from ..compute.requests import ComputeResult
from ..compute.stagework import StackShapes
from ..core.receptive import receptive_size
from ..core.sizes import size_text
from ..model.stack import ConvStage, PoolStage, Stack
from ..model.studio import BankChange, DisplayState, ImageState
from .panel_set import PanelSet
from .widgets import MapPanelWidget, StackViewWidget, ViewSync


class StagePanels(PanelSet):
    """Owns the panels of stages after the bank, one row each in ``view``; keeps them in
    ``sync`` with the input. Signals: :class:`~filterstudio.gui.panel_set.PanelSet`'s."""

    def __init__(
        self, view: StackViewWidget, sync: ViewSync, parent: QObject | None = None
    ) -> None:
        super().__init__(sync, parent)
        self.view = view
        self._rows: dict[str, list[str]] = {}  # stage uid -> its map keys, in order
        self._stack = Stack()
        self._placements: dict[str, object] = {}  # map key -> its placement on the picture

    # -- reading -------------------------------------------------------------------------
    def panels_of(self, k: int) -> list[MapPanelWidget]:
        """The panels of stage ``k`` (1 or more), in map order."""
        return [self._panels[key] for key in self._rows.get(self._stack.stages[k].uid, [])]

    # -- model -> panels -------------------------------------------------------------------
    def on_bank_changed(self, change: BankChange) -> None:
        old = self._stack
        stack = change.stack
        self._stack = stack
        self._placements.clear()
        later = stack.stages[1:]
        rows = {s.uid: list(stack.map_keys(k)) for k, s in enumerate(later, start=1)}
        first_moved = self.view.row_uids()[0] != stack.stages[0].uid
        if first_moved or rows != self._rows or [s.uid for s in old.stages[1:]] != list(rows):
            self._rebuild(rows)
        first = min((c.index for c in change.stages), default=None)
        if change.stages_removed or change.layer_changed or change.structure_changed:
            first = 0 if first is None else min(first, 0)
        if first is not None and len(stack) > 1:
            # A stage changed: it and every stage after it show other sizes or values.
            shapes = self._shapes()
            for k in range(max(first, 1), len(stack)):
                self._refresh_stage(k, shapes)
        self._title_rows()

    def on_display_changed(self, display: DisplayState) -> None:
        changed = self._display.changed_uids(display, list(self._panels))
        self._display = display
        for key in changed:
            self._show_mapping(key)

    def on_image_changed(self, state: ImageState | None) -> None:
        self._image = state
        self._shown.clear()
        self._placements.clear()
        for panel in self._panels.values():
            panel.set_busy(state is not None)
        shapes = self._shapes()
        for k in range(1, len(self._stack)):
            self._refresh_stage(k, shapes)
        self._title_rows()

    def on_maps_waiting(self, keys) -> None:
        """Maps whose answers are no longer right wait for the maps they read: "updating"."""
        for key in keys:
            panel = self._panels.get(key)
            if panel is not None:
                panel.set_busy(True)

    def on_result(self, res: ComputeResult) -> None:
        panel = self._panels.get(res.uid)
        if panel is None:
            return
        panel.set_busy(res.preview > 1)
        if res.error:
            self._shown.pop(res.uid, None)
            panel.set_error(res.error)
            return
        geometry = self._placements.get(res.uid)
        if geometry is None:
            try:
                k, i = self._stack.find_map(res.uid)
                geometry = map_placement(self._stack, self._image.pixels.shape[:2], k, i)
            except (KeyError, ValueError, AttributeError):
                geometry = None
            self._placements[res.uid] = geometry
        if geometry is None or (res.full_hw and tuple(res.full_hw) != geometry.out_hw):
            return  # an answer for a stack that is no more; its newer one is on its way
        self._shown[res.uid] = res
        panel.set_map(
            res.pixels, geometry=geometry, values=res.values, full_hw=res.full_hw,
            stats=res.stats, mapping=res.mapping, colormap=res.colormap,
        )  # fmt: skip

    def set_selected(self, key: str | None) -> None:
        """Frame the panel of the selected map (None: no later-stage map is selected)."""
        self._select(key)

    # -- panels --------------------------------------------------------------------------
    def _rebuild(self, rows: dict[str, list[str]]) -> None:
        wanted = {key for keys in rows.values() for key in keys}
        for key in [k for k in self._panels if k not in wanted]:
            self._drop(key)
        for keys in rows.values():
            for key in keys:
                if key not in self._panels:
                    self._make(key)
        self.view.set_rows(self._stack.stages[0].uid, list(rows))
        for uid, keys in rows.items():
            self.view.grid(uid).set_panels([self._panels[key] for key in keys])
        self._rows = rows
        self._side_timer.start()
        if self._selected not in self._panels:
            self._selected = None

    def _refresh_stage(self, k: int, hw: StackShapes | None) -> None:
        """Titles, ReLU buttons and switched-off filters of stage ``k``'s panels (``hw``: the
        stack's map sizes on the picture, None without one)."""
        stack = self._stack
        s = stack.stages[k]
        labels = stack.map_labels(k)
        for i, key in enumerate(stack.map_keys(k)):
            panel = self._panels.get(key)
            if panel is None:
                continue
            size = ""
            if hw is not None and hw.shapes[k][i] is not None:
                size = " -> " + size_text(*hw.shapes[k][i])
            if isinstance(s, PoolStage):
                panel.relu_button().setVisible(False)
                panel.set_title(f"{labels[i]}  {s.mode} {s.size[0]}x{s.size[1]}{size}")
                continue
            f = s.filters[i]
            panel.relu_button().setVisible(True)
            panel.set_relu(f.activation == "relu")
            act = "" if f.activation == "none" else f"  {f.activation}"
            panel.set_title(f"{f.name}  {f.size_label}{size}{act}")
            if not f.enabled:
                self._shown.pop(key, None)
                panel.set_busy(False)
                panel.set_error("This filter is switched off.")

    def _shapes(self) -> StackShapes | None:
        if self._image is None:
            return None
        try:
            return StackShapes.of(self._stack, self._image.pixels.shape[:2])
        except ValueError:
            return None

    def _title_rows(self) -> None:
        """Each row's title: the stage, what it gives and how much of the picture a cell sees."""
        stack, view = self._stack, self.view
        hw = None if self._image is None else self._image.pixels.shape[:2]
        for k, s in enumerate(stack.stages):
            n = stack.maps_out(k) if k else len(s.filters)
            what = s.label if isinstance(s, PoolStage) else f"conv, {n} map{'s' if n != 1 else ''}"
            text = f"Stage {k + 1}: {what}"
            tip = text
            if hw is not None:
                try:
                    r = receptive_size(stage_chain(stack, hw, k, 0))
                    text += f"  ·  {field_text(r)}"
                except ValueError as exc:
                    tip = f"{text}\n{exc}"
            if isinstance(s, ConvStage) and k:
                tip += f"\nEach filter reads all {stack.maps_in(k)} maps of stage {k}."
            view.set_title(s.uid, text, tip)
