"""A pooling stage's settings: max or average, the window, the stride and the padding.

Edits come out as ``poolEdited`` with only the changed fields, in the model's values
(:class:`~filterstudio.model.stack.PoolStage`); :meth:`PoolControlsWidget.set_stage` pushes the
stage back in without emitting.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from filterstudio.core.limits import MAX_STRIDE
from filterstudio.core.receptive import StageGeometry
from filterstudio.core.sizes import size_text
from filterstudio.model.stack import MAX_POOL_SIZE, PoolStage

from .number_box import NumberBox
from .presentation import present

MODES = (("max", "max: the largest value of each window"),
         ("avg", "average: the mean of each window"))  # fmt: skip


class PoolControlsWidget(QWidget):
    """Mode, window, stride and padding of one pooling stage, and the size it gives.

    Signals
    -------
    poolEdited(dict)
        Changed fields: ``mode``, ``size`` (rows, cols), ``stride`` (rows, cols, or None: the
        window), ``padding`` (rows, cols).
    message(str)
        A typed value was refused.
    """

    poolEdited = Signal(dict)
    message = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._stage = PoolStage()
        self._in_hw: tuple[int, int] | None = None
        self._mode = QComboBox(self)
        for name, text in MODES:
            self._mode.addItem(text, name)
        self._mode.setAccessibleName("pooling mode")
        self._mode.setToolTip("Max pooling keeps the strongest response of each window; "
                              "average pooling blurs and shrinks.")  # fmt: skip
        self._mode.activated.connect(self._on_mode_activated)
        self._size = NumberBox("The pooling window", 1, MAX_POOL_SIZE, whole=True, parent=self)
        self._size.setToolTip(f"Cells on a side of each window (1 to {MAX_POOL_SIZE})")
        self._size.valueChanged.connect(self._on_size_changed)
        self._same = QCheckBox("Stride = window (windows side by side)", self)
        self._same.toggled.connect(self._on_same_toggled)
        self._stride = NumberBox("The pooling stride", 1, MAX_STRIDE, whole=True, parent=self)
        self._stride.setToolTip("How far the window moves each step")
        self._stride.valueChanged.connect(self._on_stride_changed)
        self._padding = NumberBox("The pooling padding", 0, MAX_POOL_SIZE // 2, whole=True,
                                  parent=self)  # fmt: skip
        self._padding.setToolTip("Cells added on each side; at most half the window. Max pooling "
                                 "pads with -infinity (padding never wins), average with 0.")  # fmt: skip
        self._padding.valueChanged.connect(self._on_padding_changed)
        for box in (self._size, self._stride, self._padding):
            box.rejected.connect(self.message)
        self._info = QLabel(self)
        self._info.setWordWrap(True)
        self._info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form = QFormLayout()
        form.addRow("&Mode", self._mode)
        form.addRow("&Window", self._size)
        form.addRow("", self._same)
        form.addRow("&Stride", self._stride)
        form.addRow("&Padding", self._padding)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self._info)
        layout.addStretch(1)
        self.set_stage(self._stage)

    # -- model -> widget ----------------------------------------------------------------
    def set_stage(self, stage: PoolStage, in_hw: tuple[int, int] | None = None) -> None:
        """Show ``stage`` (reading maps of ``in_hw``) without emitting."""
        self._stage = stage
        self._in_hw = in_hw
        widgets = (self._mode, self._size, self._same, self._stride, self._padding)
        blockers = [QSignalBlocker(w) for w in widgets]
        try:
            self._mode.setCurrentIndex(max(0, self._mode.findData(stage.mode)))
            self._size.set_value_quietly(max(stage.size))
            self._same.setChecked(stage.stride is None)
            self._stride.set_value_quietly(max(stage.strides))
            self._stride.setEnabled(stage.stride is not None)
            self._padding.set_value_quietly(max(stage.padding))
        finally:
            del blockers
        self._info.setText(self._describe())

    def set_presentation(self, on: bool) -> None:
        """Projector size: the controls grow with the presentation scale."""
        present(self, on)

    def stage(self) -> PoolStage:
        return self._stage

    def info_text(self) -> str:
        """What the stage does to a map's size, e.g. ``"2x2 windows, stride 2: 400 × 300 ->
        200 × 150"``."""
        return self._info.text()

    def mode_box(self) -> QComboBox:
        return self._mode

    def size_box(self) -> NumberBox:
        return self._size

    def stride_box(self) -> NumberBox:
        return self._stride

    def same_box(self) -> QCheckBox:
        return self._same

    def padding_box(self) -> NumberBox:
        return self._padding

    def _describe(self) -> str:
        s = self._stage
        (ph, pw), (sy, sx) = s.size, s.strides
        text = f"{ph}x{pw} windows, stride {sy if sy == sx else f'{sy}x{sx}'}"
        if self._in_hw is not None:
            g = StageGeometry.pool(self._in_hw, s.size, stride=s.strides, padding=s.padding)
            text += f": each map {size_text(*g.in_hw)} -> {size_text(*g.out_hw)}"
        return text + "."

    # -- widget -> controller ------------------------------------------------------------
    def _emit(self, **changes) -> None:
        if changes:
            self.poolEdited.emit(changes)

    def _on_mode_activated(self, index: int) -> None:
        mode = str(self._mode.itemData(index))
        if mode != self._stage.mode:
            self._emit(mode=mode)

    def _on_size_changed(self, value: float) -> None:
        n = int(value)
        changes = {"size": (n, n)}
        pad = max(self._stage.padding)
        if pad > n // 2:
            changes["padding"] = (n // 2, n // 2)  # keep the padding legal for a smaller window
        self._emit(**changes)

    def _on_same_toggled(self, same: bool) -> None:
        self._stride.setEnabled(not same)
        n = int(self._stride.value())
        self._emit(stride=None if same else (n, n))

    def _on_stride_changed(self, value: float) -> None:
        n = int(value)
        self._emit(stride=(n, n))

    def _on_padding_changed(self, value: float) -> None:
        n = int(value)
        self._emit(padding=(n, n))
