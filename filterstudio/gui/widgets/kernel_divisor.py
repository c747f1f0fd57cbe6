"""The divisor and auto-normalise switch under the grid, as GIMP's convolution matrix has them.

The result of a filter is ``sum(grid × input) / divisor + bias`` (GIMP calls the bias its
offset). The grid holds whole numbers when the kernel allows (a Gaussian is 1 2 1 / 2 4 2 /
1 2 1 over 16); with auto-normalise on, the divisor follows the sum of the grid, so every
edit keeps the overall brightness. The editor keeps the kernel itself as ``grid / divisor``.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QWidget

from .number_box import NumberBox

#: The divisor box takes -DIVISOR_LIMIT to DIVISOR_LIMIT, never 0.
DIVISOR_LIMIT = 1_000_000.0


class DivisorWidget(QWidget):
    """A divisor box and an auto-normalise check box.

    Signals
    -------
    divisorEdited(float)
        A new divisor was typed (never 0).
    autoToggled(bool)
        Auto-normalise was switched on or off.
    message(str)
        A typed divisor was refused.
    """

    divisorEdited = Signal(float)
    autoToggled = Signal(bool)
    message = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._box = NumberBox(
            "The divisor", -DIVISOR_LIMIT, DIVISOR_LIMIT, nonzero=True, parent=self
        )
        self._box.setValue(1.0)
        self._box.setToolTip(
            "The weighted sum is divided by this (GIMP's divisor): the grid 1 2 1 / 2 4 2 / "
            "1 2 1 over 16 is a blur that keeps the brightness."
        )
        self._box.valueChanged.connect(self._on_box_value_changed)
        self._box.rejected.connect(self.message)
        self._auto = QCheckBox("Auto-normalise", self)
        self._auto.setToolTip(
            "The divisor follows the sum of the grid, so the filter keeps the overall brightness "
            "(a grid that adds up to 0 keeps divisor 1)."
        )
        self._auto.setAccessibleName("auto-normalise: divisor follows the sum")
        self._auto.toggled.connect(self._on_auto_toggled)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._box, 1)
        layout.addWidget(self._auto)

    def set_state(self, divisor: float, auto: bool) -> None:
        """Show ``divisor`` and the switch without emitting."""
        self._box.set_value_quietly(float(divisor))
        with QSignalBlocker(self._auto):
            self._auto.setChecked(bool(auto))
        self._box.setEnabled(not auto)

    def divisor_box(self) -> NumberBox:
        """The divisor box."""
        return self._box

    def auto_box(self) -> QCheckBox:
        """The auto-normalise switch."""
        return self._auto

    def _on_box_value_changed(self, value: float) -> None:
        if value != 0:
            self.divisorEdited.emit(float(value))

    def _on_auto_toggled(self, on: bool) -> None:
        self._box.setEnabled(not on)
        self.autoToggled.emit(bool(on))


__all__ = ["DIVISOR_LIMIT", "DivisorWidget"]
