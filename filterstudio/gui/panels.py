"""The map panels: one per filter and per combined map, told only what changed for them.

:class:`MapPanels` keeps its own copy of what it was pushed (bank, picture, display, combined
maps) and never reads the controller. An edit of one filter touches that filter's panel; a
layer change retitles every panel (every map's size changes); a result repaints its panel.
"""

from __future__ import annotations

from ..compute.requests import ComputeResult
from ..core.geometry import MapGeometry
from ..core.kernels import finds_caption
from ..core.sizes import size_text
from ..model.bank import Bank
from ..model.studio import BankChange, DerivedMap, DisplayState, ImageState, filter_at
from .panel_set import PanelSet
from .widgets import FeatureGridWidget, MapPanelWidget, ViewSync

#: The colour map a sequential mapping is drawn in when none is chosen.
DEFAULT_COLORMAP = "gray"


class MapPanels(PanelSet):
    """Owns the map panels of ``grid`` and keeps their views in ``sync``; keyed by map uid.
    Signals: :class:`~filterstudio.gui.panel_set.PanelSet`'s."""

    def __init__(self, grid: FeatureGridWidget, sync: ViewSync, parent=None) -> None:
        super().__init__(sync, parent)
        self.grid = grid
        self._bank = Bank()
        self._derived: tuple[DerivedMap, ...] = ()

    # -- reading -----------------------------------------------------------------------
    def display_side(self, device_ratio: float) -> int | None:
        """Pixels on the longer side of the largest panel's view (whole tiles of 64)."""
        views = [p.view.viewport() for p in self._panels.values()]
        if not views:
            return None
        side = max(max(v.width(), v.height()) for v in views) * device_ratio
        return int(-(-side // 64) * 64)

    def request_display_side(self) -> None:
        """Ask (once the panels have settled) for display copies the panels' size."""
        self._side_timer.start()

    # -- model -> panels ---------------------------------------------------------------
    def on_bank_changed(self, change: BankChange) -> None:
        self._bank = change.bank
        for uid in change.removed:
            self._drop(uid)
        for uid in change.added:
            if uid not in self._panels:
                self._make(uid)
        for f in change.bank.filters:
            if change.map_changed(f.uid):
                # What the filter finds: only its own panel hears of a kernel edit.
                self._panels[f.uid].set_caption(finds_caption(f.kernel))
            if change.layer_changed or change.map_changed(f.uid):
                self._refresh_filter(f.uid)
            elif f.uid in change.renamed:
                self._retitle(f.uid)
        if change.renamed:
            for d in self._derived:
                if d.a_uid in change.renamed or d.b_uid in change.renamed:
                    self._retitle(d.uid)
        if change.structure_changed:
            self._lay_out()
        self._select(change.selected_filter.uid if change.selected_filter else None)

    def on_selection_changed(self, index: int) -> None:
        f = filter_at(self._bank, index)
        self._select(None if f is None else f.uid)

    def on_derived_changed(self, derived: tuple[DerivedMap, ...]) -> None:
        gone = {d.uid for d in self._derived} - {d.uid for d in derived}
        self._derived = tuple(derived)
        for uid in gone:
            self._drop(uid)
        for d in derived:
            if d.uid not in self._panels:
                self._make(d.uid)
                self._retitle(d.uid)
        self._lay_out()

    def on_display_changed(self, display: DisplayState) -> None:
        uids = list(self._panels)
        changed = self._display.changed_uids(display, uids)
        defaults_changed = (display.mapping, display.colormap) != (
            self._display.mapping,
            self._display.colormap,
        )
        self._display = display
        if defaults_changed:
            for panel in self._panels.values():
                self._show_defaults(panel)
        for uid in changed:
            self._show_mapping(uid)

    def on_image_changed(self, state: ImageState | None) -> None:
        old, self._image = self._image, state
        self._shown.clear()
        # The titles say the maps' sizes: the next frame of a video keeps every one of them.
        same_size = _size(old) == _size(state)
        for uid, panel in self._panels.items():
            # The next frame of a video follows at once: no "updating" flashing between frames.
            panel.set_busy(state is not None and state.frame is None)
            if not same_size or uid in self._derived_uids():
                self._retitle(uid)

    def on_result(self, res: ComputeResult) -> None:
        panel = self._panels.get(res.uid)
        if panel is None:
            return
        panel.set_busy(res.preview > 1)  # a preview: the full-resolution map is on its way
        if res.error:
            self._shown.pop(res.uid, None)
            panel.set_error(res.error)
        else:
            self._shown[res.uid] = res
            panel.set_map(
                res.pixels,
                geometry=res.geometry,
                values=res.values,
                full_hw=res.full_hw,
                stats=res.stats,
                mapping=res.mapping,
                colormap=res.colormap,
            )
        if res.uid in self._derived_uids():
            self._retitle(res.uid)  # a combined map's title says its size once it is known

    def _derived_uids(self) -> set[str]:
        return {d.uid for d in self._derived}

    # -- panels --------------------------------------------------------------------------
    def _lay_out(self) -> None:
        order = [f.uid for f in self._bank.filters] + [d.uid for d in self._derived]
        self.grid.set_panels([self._panels[u] for u in order if u in self._panels])
        self.request_display_side()

    def _prepare(self, panel: MapPanelWidget) -> None:
        self._show_defaults(panel)

    def _show_defaults(self, panel: MapPanelWidget) -> None:
        """What the panel's "default" choices stand for (the View menu's mapping and colours)."""
        panel.set_defaults(self._display.mapping, self._display.colormap or DEFAULT_COLORMAP)

    def _refresh_filter(self, uid: str) -> None:
        """A filter's panel after its filter changed: title, ReLU button, switched off."""
        f = self._bank.filters[self._bank.index_of(uid)]
        panel = self._panels[uid]
        panel.set_relu(f.activation == "relu")
        if not f.enabled:
            self._shown.pop(uid, None)
            panel.set_busy(False)
            panel.set_error("This filter is switched off.")
        self._retitle(uid)

    def _retitle(self, uid: str) -> None:
        panel = self._panels.get(uid)
        if panel is None:
            return
        d = next((d for d in self._derived if d.uid == uid), None)
        if d is not None:
            names = {f.uid: f.name for f in self._bank.filters}
            res = self._shown.get(uid)
            size = "" if res is None else f"  \u2192 {size_text(*res.values.shape[:2])}"
            title = f"{d.op}({names.get(d.a_uid, '?')}, {names.get(d.b_uid, '?')})"
            panel.set_title(title + size)
            return
        f = self._bank.filters[self._bank.index_of(uid)]
        if self._image is None:
            panel.set_title(f"{f.name}  {f.size_label}")
            return
        geo = MapGeometry.for_layer(self._image.pixels.shape[:2], f.size, self._bank.layer)
        oh, ow = geo.out_hw
        act = "" if f.activation == "none" else f"  {f.activation}"
        panel.set_title(f"{f.name}  {f.size_label} \u2192 {size_text(oh, ow)}{act}")


def _size(state: ImageState | None) -> tuple[int, ...] | None:
    return None if state is None else tuple(state.pixels.shape[:2])
