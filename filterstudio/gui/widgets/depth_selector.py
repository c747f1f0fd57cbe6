"""Which input map's slice of a deep kernel the editor shows: a named choice with back and next.

A later stage's kernel has one slice per map it reads (4, 12, up to 64); the editor shows a few
slices whole and, beyond that, one at a time chosen here. The choice names each map ("3:
sobel_x G") and says how much of the kernel it holds, so nobody edits a slice blind.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSizePolicy, QToolButton, QWidget


class DepthSelectorWidget(QWidget):
    """``Input map [3: sobel_x G ▾] ◀ ▶``: picks the slice shown.

    Signals
    -------
    sliceChosen(int)
        The user chose the slice of input map ``c`` (from 0).
    """

    sliceChosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._combo = QComboBox(self)
        self._combo.setAccessibleName("input map whose weights are shown")
        self._combo.setToolTip(
            "A filter of this stage reads every map of the stage before; pick the map whose "
            "weights (its slice of the kernel) you want to see and edit."
        )
        self._combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self._combo.setMinimumContentsLength(10)
        self._combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._combo.activated.connect(self.sliceChosen)
        self._back = QToolButton(self)
        self._back.setText("◀")
        self._back.setToolTip("The previous input map's weights")
        self._back.setAccessibleName("previous input map")
        self._back.clicked.connect(lambda: self._step(-1))
        self._next = QToolButton(self)
        self._next.setText("▶")
        self._next.setToolTip("The next input map's weights")
        self._next.setAccessibleName("next input map")
        self._next.clicked.connect(lambda: self._step(1))
        label = QLabel("&Input map", self)
        label.setBuddy(self._combo)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(3)
        row.addWidget(label)
        row.addWidget(self._combo, 1)
        row.addWidget(self._back)
        row.addWidget(self._next)

    def set_maps(self, labels: Sequence[str], current: int, kernel: np.ndarray | None = None) -> None:
        """Name the maps (``labels``) and show ``current`` chosen, without emitting; with
        ``kernel`` ``(kh, kw, C)``, each item also says whether its slice holds any weight."""
        with QSignalBlocker(self._combo):
            if [self._combo.itemData(i) for i in range(self._combo.count())] != list(labels):
                self._combo.clear()
                for c, name in enumerate(labels):
                    self._combo.addItem(f"{c + 1}: {name}", name)
            for c in range(self._combo.count()):
                empty = kernel is not None and c < kernel.shape[-1] and not kernel[..., c].any()
                name = self._combo.itemData(c)
                self._combo.setItemText(c, f"{c + 1}: {name}" + ("  (zeros)" if empty else ""))
            self._combo.setCurrentIndex(max(0, min(int(current), self._combo.count() - 1)))
        self._back.setEnabled(self._combo.currentIndex() > 0)
        self._next.setEnabled(self._combo.currentIndex() < self._combo.count() - 1)

    def current(self) -> int:
        return self._combo.currentIndex()

    def combo(self) -> QComboBox:
        return self._combo

    def _step(self, delta: int) -> None:
        c = self._combo.currentIndex() + delta
        if 0 <= c < self._combo.count():
            self.sliceChosen.emit(c)
