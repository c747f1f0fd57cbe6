"""The kernel editor's tool buttons (normalize, scale, flip, ...) and the transforms behind them."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QSizePolicy, QToolButton, QWidget

from filterstudio.core import kernels

#: ``(key, label, tooltip)`` of each tool, in the order of the buttons (three a row).
TOOLS: tuple[tuple[str, str, str], ...] = (
    ("normalize", "Normalize", "Divide by the sum of the weights, so they add up to 1."),
    ("scale", "Scale…", "Multiply every weight by a factor."),
    ("flip", "Flip", "Rotate 180°: cross-correlation with the flipped kernel is true convolution."),
    ("rotate90", "Rotate 90°", "Rotate a quarter turn clockwise."),
    ("transpose", "Transpose", "Swap rows and columns (Sobel X becomes Sobel Y)."),
    ("clear", "Clear", "Set every weight to zero."),
    ("randomize", "Randomize", "Random weights, like an untrained CNN filter."),
    ("copy", "Copy", "Copy the kernel as text (Ctrl+C while the editor has focus)."),
    ("paste", "Paste", "Paste a kernel from text (Ctrl+V while the editor has focus)."),
)

#: Tools that move weights around: the grid keeps its divisor.
REARRANGING = frozenset({"flip", "rotate90", "transpose"})


def transformed(key: str, kernel: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The kernel after tool ``key`` (``flip``, ``rotate90``, ``transpose``, ``clear`` or
    ``randomize``); a depth kernel keeps its channels."""
    if key == "flip":
        return kernels.flip(kernel)
    if key == "rotate90":
        return kernels.rotate90(kernel)
    if key == "transpose":
        return kernels.transpose(kernel)
    if key == "clear":
        return kernels.cleared(kernel)
    if key == "randomize":
        kh, kw = kernel.shape[:2]
        depth = kernel.shape[2] if kernel.ndim == 3 else None
        seed = int(rng.integers(0, 2**31 - 1))
        # Drawn square and cut to shape, so a 1x5 gets five random weights, not one.
        k = kernels.random_kernel(max(kh, kw), seed=seed, depth=depth)
        return kernels.resize_centered(k, (kh, kw)) if (kh, kw) != k.shape[:2] else k
    raise KeyError(key)


class KernelToolsWidget(QWidget):
    """The tool buttons, three a row so every label stays whole in a narrow side panel.

    Signals
    -------
    toolClicked(str)
        The key of the tool whose button was clicked.
    """

    toolClicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._buttons: dict[str, QToolButton] = {}
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(4)
        for i, (key, text, tip) in enumerate(TOOLS):
            button = QToolButton(self)
            button.setText(text)
            button.setToolTip(tip)
            button.setAccessibleName(text.rstrip("…"))
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            button.clicked.connect(lambda _checked=False, k=key: self.toolClicked.emit(k))
            grid.addWidget(button, i // 3, i % 3)
            self._buttons[key] = button

    def button(self, key: str) -> QToolButton:
        """The button of tool ``key``."""
        return self._buttons[key]

    def buttons(self) -> list[QToolButton]:
        """Every button, in order."""
        return list(self._buttons.values())


__all__ = ["REARRANGING", "TOOLS", "KernelToolsWidget", "transformed"]
