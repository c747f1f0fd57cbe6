"""Stack > Show the Equivalent Single Layer: two conv stages compared with the one layer they
would be without the activation between them, computed off the GUI thread.

The presenter picks the conv stage being edited (or the first stage after the bank) and its
selected filter, waits until the stack's maps are exact, then runs
:func:`~filterstudio.compute.equivalence.equivalent_layer` and makes the dialog's pictures
on a pool thread (:func:`~filterstudio.gui.tasks.start_task`); the dialog shows the answer.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Signal

from ..compute.equivalence import Equivalence, equivalent_layer
from ..core import display
from ..core.errors import sentence
from ..model.stack import ConvStage
from .tasks import start_task
from .widgets import EquivalenceDialog

#: The dialog's pictures are made at most this many pixels on a side.
PICTURE_SIDE = 600


def _pictures(eq: Equivalence) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """8-bit copies of the stack's map, the single layer's, and their difference, on one scale."""
    finite = eq.stack_map[np.isfinite(eq.stack_map)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    hi = hi if hi > lo else lo + 1.0
    out = []
    diff = np.abs(eq.stack_map - eq.single_map)
    for values, limits in ((eq.stack_map, (lo, hi)), (eq.single_map, (lo, hi)), (diff, (0.0, hi - lo))):
        small = display.downscale_for_display(values, PICTURE_SIDE)
        out.append(display.to_uint8(small, "minmax", limits=limits))
    return tuple(out)


class EquivalencePresenter(QObject):
    """Runs the comparison and shows it; ``finished(Equivalence or None)`` when it ends."""

    finished = Signal(object)
    message = Signal(str)

    def __init__(self, controller, stages, parent_widget) -> None:
        super().__init__(parent_widget)
        self._c = controller
        self._stages = stages
        self._parent = parent_widget
        self._dialog: EquivalenceDialog | None = None
        self._task = None
        self._waiting = False
        self._result: Equivalence | None = None

    def dialog(self) -> EquivalenceDialog | None:
        return self._dialog

    def result(self) -> Equivalence | None:
        """The last comparison shown (None before any, or while one runs)."""
        return self._result

    def is_running(self) -> bool:
        return self._task is not None or self._waiting

    def target(self) -> tuple[int, int] | None:
        """``(stage, filter)`` to compare: the conv stage edited, or the first after the bank."""
        stack = self._c.stack
        k = self._stages.current
        if k == 0 and len(stack) > 1:
            k = 1
        ok = (k >= 1 and isinstance(stack.stages[k], ConvStage)
              and isinstance(stack.stages[k - 1], ConvStage))  # fmt: skip
        if not ok:
            return None
        return k, min(self._stages.selected(k), len(stack.stages[k].filters) - 1)

    def show(self) -> bool:
        """Open the dialog and start the comparison (once the maps are exact)."""
        if self.target() is None:
            self.message.emit(
                "The single equivalent layer joins two conv stages that follow each other: add "
                "a conv stage right after the bank (Stack > Add Conv Stage) and select it."
            )
            return False
        if self._c.image is None:
            self.message.emit("Open a picture first.")
            return False
        if self._dialog is None:
            self._dialog = EquivalenceDialog(self._parent)
        self._dialog.set_busy("Computing the single layer…")
        self._dialog.show()
        self._dialog.raise_()
        self._result = None
        if self._task is not None:
            self._task.cancel()
            self._task = None
        if self._c.is_current():
            self._start()
        elif not self._waiting:
            self._waiting = True
            self._dialog.set_busy("Waiting for the stack's maps…")
            self._c.mapsCurrent.connect(self._on_maps_current)
        return True

    def _on_maps_current(self) -> None:
        self._c.mapsCurrent.disconnect(self._on_maps_current)
        self._waiting = False
        self._start()

    def _start(self) -> None:
        target = self.target()
        if target is None or self._dialog is None:
            return
        k, i = target
        c, stack = self._c, self._c.stack
        res = c.stage_result(k, i)
        if res is None or res.values is None:
            self._fail("The stack's map of this filter is not there (switched off, or failed).")
            return
        maps = None
        if k >= 2:
            maps = {}
            for key in stack.map_keys(k - 2):
                r = c.result(key)
                maps[key] = None if r is None else r.values
        image = c.image.pixels
        names = stack.plane_labels(k - 2) if k >= 2 else ("red", "green", "blue")

        def work(_control):
            eq = equivalent_layer(image, stack, k, i, res.values, maps)
            return eq, _pictures(eq)

        self._task = start_task(work, parent=self)
        self._task.finished.connect(lambda out: self._on_done(out, names))
        self._task.failed.connect(lambda exc: self._fail(sentence(exc)))

    def _on_done(self, out, names) -> None:
        self._task = None
        eq, pictures = out
        self._result = eq
        if self._dialog is not None:
            self._dialog.set_result(eq, pictures, names)
        self.finished.emit(eq)

    def _fail(self, text: str) -> None:
        self._task = None
        if self._dialog is not None:
            self._dialog.set_error(text)
        self.message.emit(text)
        self.finished.emit(None)
