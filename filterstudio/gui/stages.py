"""Which stage of the stack is being edited, and the stage bar that shows and changes it.

The stage being edited (by uid, so it follows its stage through edits) and the map selected in
each later stage live here; the bank's selected filter stays the controller's. Choosing a
stage emits ``stageSelected(k, index)``: the editing presenter then shows that stage's filters
and settings, the panels mark its map. A stage added by the user is chosen at once; when the
chosen stage goes, the one before it is chosen.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from ..compute.receptive_fields import field_text, stage_chain
from ..compute.stagework import StackShapes
from ..core.receptive import receptive_size
from ..core.sizes import size_text
from ..model.stack import MAX_STAGES, PoolStage, Stack
from ..model.studio import BankChange, ImageState
from .widgets import StackViewWidget, StageBarWidget


def stage_label(stack: Stack, k: int) -> str:
    """The stage bar's button text: ``"1 conv ×4"``, ``"2 max 2×2"``."""
    s = stack.stages[k]
    if isinstance(s, PoolStage):
        return f"{k + 1} {s.mode} {s.size[0]}×{s.size[1]}"
    return f"{k + 1} conv ×{len(s.filters)}"


def stage_summary(stack: Stack, k: int, image_hw: tuple[int, int] | None) -> str:
    """One sentence on stage ``k``: what it reads, what it gives, how much of the picture one
    of its cells sees."""
    s = stack.stages[k]
    n_in, n_out = stack.maps_in(k), stack.maps_out(k)
    reads = "the picture" if k == 0 else f"{n_in} map{'s' if n_in != 1 else ''} of stage {k}"
    what = s.label if isinstance(s, PoolStage) else s.label.replace("conv, ", "conv: ")
    text = f"Stage {k + 1} ({what}) reads {reads} and gives {n_out} map{'s' if n_out != 1 else ''}"
    if image_hw is None:
        return text + "."
    try:
        shapes = StackShapes.of(stack, image_hw)
        hw = next((h for h in shapes.shapes[k] if h is not None), None)
        chain = stage_chain(stack, image_hw, k, 0)
    except (ValueError, IndexError):
        return text + "."
    if hw is not None:
        text += f" of {size_text(*hw)}"
    return f"{text}; one cell has a {field_text(receptive_size(chain))} of the picture."


class StagesPresenter(QObject):
    """Keeps the stage being edited and the stage bar; asks the controller to add or remove
    stages.

    Signals
    -------
    stageSelected(int, int)
        Stage ``k`` is being edited, its map (a conv stage: its filter) ``index`` selected.
    """

    stageSelected = Signal(int, int)

    def __init__(self, controller, bar: StageBarWidget, view: StackViewWidget,
                 parent: QObject | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self._c = controller
        self.bar = bar
        self.view = view
        self._stack = Stack()
        self._image_hw: tuple[int, int] | None = None
        self._uid = ""  # the stage being edited
        self._chosen: dict[str, int] = {}  # later stage uid -> selected map
        self._bank_selected = 0
        self._shown: tuple | None = None  # what the bar shows, to redo it only when it changes
        bar.stageChosen.connect(lambda k: self.select_stage(k))
        bar.addRequested.connect(self.add_stage)
        bar.removeRequested.connect(self.remove_stage)
        view.rowClicked.connect(self._on_row_clicked)

    # -- reading -------------------------------------------------------------------------
    @property
    def current(self) -> int:
        """The stage being edited (0 is the bank)."""
        try:
            return self._stack.stage_index(self._uid)
        except KeyError:
            return 0

    def selected(self, k: int | None = None) -> int:
        """The selected map (filter) of stage ``k`` (default: the current one)."""
        k = self.current if k is None else k
        if k == 0:
            return self._bank_selected
        return self._chosen.get(self._stack.stages[k].uid, 0)

    # -- intents -------------------------------------------------------------------------
    def select_stage(self, k: int, index: int | None = None) -> bool:
        """Edit stage ``k``; ``index`` selects its map (its filter in a conv stage)."""
        if not 0 <= k < len(self._stack):
            self._c.message.emit(f"There is no stage {k + 1}; the stack has {len(self._stack)}.")
            return False
        self._uid = self._stack.stages[k].uid  # first: the bank's selection signal finds it
        if k == 0:
            if index is not None:
                self._c.select(index)
            index = self._c.selected_index
        else:
            n = len(self._stack.map_keys(k))
            uid = self._uid
            index = max(0, min(self._chosen.get(uid, 0) if index is None else int(index), n - 1))
            self._chosen[uid] = index
        self._push()
        self.view.ensure_shown(self._uid)
        self.stageSelected.emit(k, index)
        return True

    def select_map(self, key: str) -> None:
        """Select the map ``key`` of any stage (a click on its panel)."""
        try:
            k, i = self._stack.find_map(key)
        except KeyError:
            return
        self.select_stage(k, i)

    def step_stage(self, step: int) -> None:
        """The next (``step`` 1) or previous (-1) stage."""
        k = self.current + step
        if 0 <= k < len(self._stack):
            self.select_stage(k)

    def add_stage(self, kind: str) -> bool:
        """A ``"conv"`` or ``"pool"`` stage after the current one, then chosen."""
        return self._c.add_stage(kind, self.current)

    def remove_stage(self) -> bool:
        """Remove the stage being edited (the bank cannot be)."""
        k = self.current
        if k == 0:
            self._c.message.emit("The first stage reads the picture; it cannot be removed.")
            return False
        return self._c.remove_stage(k)

    # -- model -> views --------------------------------------------------------------------
    def on_bank_changed(self, change: BankChange) -> None:
        old = self._stack
        stack = change.stack
        self._stack = stack
        self._bank_selected = change.selected
        uids = [s.uid for s in stack.stages]
        for uid in list(self._chosen):
            if uid not in uids:
                del self._chosen[uid]
        target = None
        added = [c for c in change.stages if c.new]
        if added and len(added) < len(stack):
            target = added[-1].index  # a stage the user added (or an undone removal): edit it
        elif len(added) == len(stack):
            target = 0  # a whole new stack (a session, a bank file): start at its bank
        elif self._uid not in uids:
            try:
                target = max(0, min(old.stage_index(self._uid), len(stack)) - 1)
            except KeyError:
                target = 0
        if target is not None:
            self.select_stage(target)
            return
        k = self.current
        if k > 0:
            # Its maps may be fewer now: keep the selection on one that is there.
            n = len(stack.map_keys(k))
            uid = stack.stages[k].uid
            if self._chosen.get(uid, 0) >= n:
                self.select_stage(k, n - 1)
                return
        self._push()

    def on_selection_changed(self, index: int) -> None:
        """The bank's selection moved (a click in the list or on a bank panel)."""
        self._bank_selected = index
        if self.current != 0:
            self.select_stage(0)

    def on_image_changed(self, state: ImageState | None) -> None:
        self._image_hw = None if state is None else tuple(state.pixels.shape[:2])
        self._push()

    def _push(self) -> None:
        stack, k = self._stack, self.current
        # The bar and its summary depend on the stages' kinds, sizes and settings, not on weights.
        shape = tuple(
            (s.kind, len(getattr(s, "filters", ())), getattr(s, "layer", None) or s,
             tuple(f.size for f in getattr(s, "filters", ())), s.uid)
            for s in stack.stages
        )  # fmt: skip
        if (shape, k, self._image_hw) == self._shown:
            return
        self._shown = (shape, k, self._image_hw)
        labels = [stage_label(stack, j) for j in range(len(stack))]
        summary = stage_summary(stack, k, self._image_hw) if len(stack) > 1 or k else ""
        self.bar.set_stages(labels, k, summary, can_add=len(stack) < MAX_STAGES)
        self.view.set_current(stack.stages[k].uid)

    def _on_row_clicked(self, uid: str) -> None:
        try:
            k = self._stack.stage_index(uid)
        except KeyError:
            return
        self.select_stage(k)


