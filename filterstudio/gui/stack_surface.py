"""The stack's share of the main window: its presenters wired to each other, its scripting
surface (docs/SCRIPTING.md, "A stack of stages") and its reactions.

:class:`StackSurface` is mixed into :class:`~.main_window.MainWindow`, which builds the parts it
uses (``controller``, ``panels``, ``stage_panels``, ``stages``, ``stage_hover``, ``editing``,
``status``, ``loader``); the window calls :meth:`StackSurface._connect_stages` once, after every
presenter follows the controller (:func:`.pushes.follow`).
"""

from __future__ import annotations

import numpy as np

from ..compute.equivalence import Equivalence
from ..model.stack import Stack
from .equivalence import EquivalencePresenter
from .tasks import run_until
from .widgets import MapPanelWidget


class StackSurface:
    """The stage commands and read-outs of the window (see the module doc)."""

    def _connect_stages(self) -> None:
        c, editing, status = self.controller, self.editing, self.status
        stage_panels, stages, stage_hover = self.stage_panels, self.stages, self.stage_hover
        c.bankChanged.connect(self._on_bank_changed_for_frames)
        stages.stageSelected.connect(editing.on_stage_selected)
        stages.stageSelected.connect(self._on_stage_selected)
        stages.stageSelected.connect(self.insight_presenter.on_stage_selected)
        editing.stageMapChosen.connect(lambda k, i: stages.select_stage(k, i))
        stage_panels.selectRequested.connect(stages.select_map)
        stage_panels.hoveredCell.connect(stage_hover.on_panel_hovered)
        stage_panels.mappingChanged.connect(lambda u, m, cm: c.set_display(m, cm or None, uid=u))
        stage_panels.reluToggled.connect(self._on_stage_relu_toggled)
        stage_panels.panelMade.connect(
            lambda panel: self.loader.accept_drops_on(panel.view.viewport())
        )
        stage_panels.displaySideWanted.connect(self._fit_display_side)
        stage_hover.message.connect(status.show)
        self.equivalence = EquivalencePresenter(c, stages, self)
        self.equivalence.message.connect(status.show)

    # == scripting surface ===============================================================
    @property
    def stack(self) -> Stack:
        """The whole stack (immutable): the bank, then any later conv and pooling stages."""
        return self.controller.stack

    def add_stage(self, kind: str, after: int | None = None, **settings) -> bool:
        """Add a ``"conv"`` or ``"pool"`` stage after stage ``after`` (default: the last)."""
        return self.controller.add_stage(kind, after, **settings)

    def remove_stage(self, stage: int) -> bool:
        """Remove stage ``stage`` (1 or more; 0 is the bank)."""
        return self.controller.remove_stage(stage)

    def set_stage(self, stage: int, **settings) -> bool:
        """Change a stage's shared settings (a conv stage's layer, a pooling stage's window)."""
        return self.controller.set_stage(stage, **settings)

    def set_stage_kernel(self, stage: int, index: int, kernel, tag: str = "") -> bool:
        """Replace filter ``index``'s kernel in conv stage ``stage`` (undoable)."""
        return self.controller.set_stage_kernel(stage, index, kernel, tag)

    def stage_map_values(self, stage: int, index: int) -> np.ndarray | None:
        """The exact float32 map ``index`` of ``stage`` once it is current (else None)."""
        key = self.controller.map_key(stage, index)
        res = self.controller.result(key)
        current = res is not None and res.generation == self.controller.requested_generation(key)
        return res.values if current and res.is_final else None

    @property
    def current_stage(self) -> int:
        """The stage the filter list, kernel editor and layer panel show (0: the bank)."""
        return self.stages.current

    def select_stage(self, stage: int, index: int | None = None) -> bool:
        """Edit stage ``stage`` (its map or filter ``index`` selected), as its button does."""
        return self.stages.select_stage(stage, index)

    def stage_panel(self, stage: int, index: int) -> MapPanelWidget:
        """The panel of map ``index`` of ``stage`` (stage 0: the bank's, as :meth:`panel`)."""
        key = self.controller.map_key(stage, index)
        return self.panels.panel(key) if stage == 0 else self.stage_panels.panel(key)

    def receptive_field_text(self) -> str:
        """How much of the picture the hovered cell reads: ``"receptive field 10 × 10
        pixels"`` (``""`` when no cell is hovered)."""
        return self.stage_hover.receptive_field_text()

    def show_equivalent_layer(self) -> bool:
        """Stack > Show the Equivalent Single Layer: the conv stage edited (or the first after
        the bank) and the stage before it, beside the one layer they would be."""
        return self.equivalence.show()

    def equivalent_kernel(self, timeout: float = 60.0) -> Equivalence | None:
        """:meth:`show_equivalent_layer`, then wait for the comparison and return it (None when
        there is none to make, it failed, or ``timeout`` seconds passed)."""
        if not self.equivalence.show():
            return None
        equivalence = self.equivalence
        run_until(lambda: not equivalence.is_running(), equivalence.finished, timeout=timeout)
        return self.equivalence.result()

    # == reactions ========================================================================
    def _on_bank_changed_for_frames(self, _change) -> None:
        """The bank's panels frame its selected filter after each change; not while a later
        stage is the one being edited."""
        if self.stages.current:
            self.panels.on_selection_changed(-1)

    def _map_view(self, key: str):
        """The map view of the map ``key`` of any stage (None when it has no panel)."""
        for source in (self.panels, self.stage_panels):
            try:
                return source.panel(key).view
            except KeyError:
                continue
        return None

    def _on_stage_selected(self, k: int, index: int) -> None:
        """Frame the selected map of the stage being edited, and no other."""
        self.panels.on_selection_changed(self.controller.selected_index if k == 0 else -1)
        self.stage_panels.set_selected(self.stack.map_keys(k)[index] if k else None)

    def _on_stage_relu_toggled(self, key: str, on: bool) -> None:
        try:
            k, i = self.stack.find_map(key)
        except KeyError:
            return
        self.controller.set_stage_filter(k, i, activation="relu" if on else "none")
