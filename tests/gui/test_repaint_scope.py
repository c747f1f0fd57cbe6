"""An edit repaints what it changed: a kernel edit of one filter paints no other filter's panel."""

from __future__ import annotations

from collections import Counter

import numpy as np
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QWidget

from filterstudio.core.kernels import random_kernel
from filterstudio.model.bank import Bank, Filter, Layer


class PaintCounter(QObject):
    """Counts the paint events of the widgets inside each of ``owners`` (by owner index)."""

    def __init__(self, owners: list[QWidget]) -> None:
        super().__init__()
        self.owners = owners
        self.counts: Counter[int] = Counter()
        self.classes: Counter[tuple[int, str]] = Counter()

    def eventFilter(self, obj, event):  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Paint and isinstance(obj, QWidget):
            for k, owner in enumerate(self.owners):
                if obj is owner or owner.isAncestorOf(obj):
                    self.counts[k] += 1
                    self.classes[(k, type(obj).__name__)] += 1
                    break
        return False


def _settle(qtbot, window) -> None:
    qtbot.waitUntil(window.is_current, timeout=15000)
    for _ in range(3):
        QApplication.processEvents()


def test_a_kernel_edit_repaints_no_other_filters_panel(qtbot, window):
    filters = tuple(Filter(f"f{i}", random_kernel(3, seed=i)) for i in range(4))
    window.controller.load_state(Bank(filters=filters, layer=Layer()))
    rng = np.random.default_rng(0)
    window.set_image_array(rng.random((90, 120, 3), dtype=np.float32), "noise")
    _settle(qtbot, window)
    panels = [window.panel(i) for i in range(4)]
    counter = PaintCounter(panels)
    QApplication.instance().installEventFilter(counter)
    try:
        for step in range(3):
            kernel = window.bank.filters[0].kernel.copy()
            kernel[1, 1] += 0.25 * (step + 1)
            window.set_kernel(0, kernel, tag="cell:1,1")
            _settle(qtbot, window)
            qtbot.waitUntil(lambda n=step: counter.counts[0] > n, timeout=5000)
            _settle(qtbot, window)
    finally:
        QApplication.instance().removeEventFilter(counter)
    others = {key: n for key, n in counter.classes.items() if key[0] != 0}
    assert counter.counts[0] > 0  # the edited filter's map was painted, so paints were seen
    assert others == {}, f"panels of unedited filters repainted: {others}"
