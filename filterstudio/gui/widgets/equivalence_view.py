"""Shows two conv stages beside the single layer that would do the same: the stack's map, the one
layer's map, their difference, the kernel, and what that says about the activation between.

The dialog only shows what it is given (:meth:`EquivalenceDialog.set_result` with a
:class:`~filterstudio.compute.equivalence.Equivalence` and its three 8-bit pictures made off
the GUI thread).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QPlainTextEdit,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from filterstudio.gui.imaging import array_to_qimage

#: Pictures are shown at most this many pixels on a side.
PICTURE_SIDE = 300


def kernel_text(kernel: np.ndarray, names=None) -> str:
    """A ``(kh, kw, C)`` kernel as rows of numbers, one block per channel or map read."""
    blocks = []
    for c in range(kernel.shape[2]):
        name = names[c] if names is not None and c < len(names) else f"slice {c + 1}"
        rows = "\n".join("  ".join(f"{v:8.4f}" for v in row) for row in kernel[:, :, c])
        blocks.append(f"{name}:\n{rows}" if kernel.shape[2] > 1 else rows)
    return "\n\n".join(blocks)


class EquivalenceDialog(QDialog):
    """A window on "two linear stages are one": three maps, the kernel, and the sentences."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("The Equivalent Single Layer")
        self.setObjectName("equivalenceDialog")
        self._sentence = QLabel(self)
        self._sentence.setWordWrap(True)
        self._sentence.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._sentence.setAccessibleName("what the comparison shows")
        self._pictures: list[QLabel] = []
        self._captions: list[QLabel] = []
        grid = QGridLayout()
        for n in range(3):
            cap = QLabel(self)
            cap.setWordWrap(True)
            cap.setStyleSheet("font-weight: bold;")
            pic = QLabel(self)
            pic.setAlignment(Qt.AlignmentFlag.AlignCenter)
            pic.setMinimumSize(160, 120)
            pic.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
            pic.setStyleSheet("background: #2a2a2a;")
            grid.addWidget(cap, 0, n)
            grid.addWidget(pic, 1, n)
            self._captions.append(cap)
            self._pictures.append(pic)
        self._kernel = QPlainTextEdit(self)
        self._kernel.setReadOnly(True)
        self._kernel.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self._kernel.setMaximumHeight(170)
        self._kernel.setAccessibleName("the single layer's kernel")
        self._kernel_title = QLabel(self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self._sentence)
        layout.addLayout(grid, 1)
        layout.addWidget(self._kernel_title)
        layout.addWidget(self._kernel)
        layout.addWidget(buttons)
        self.resize(960, 620)
        self.set_busy("Computing the single layer…")

    def set_busy(self, text: str) -> None:
        """Say that the comparison is being computed (pictures cleared)."""
        self._sentence.setText(text)
        for pic in self._pictures:
            pic.clear()
        for cap in self._captions:
            cap.clear()
        self._kernel.clear()
        self._kernel_title.clear()

    def set_error(self, text: str) -> None:
        self.set_busy("")
        self._sentence.setText(text)

    def set_result(self, eq, pictures, names=None) -> None:
        """Show ``eq`` and its ``(stack, single layer, difference)`` uint8 pictures; ``names``
        are the maps or channels the kernel reads."""
        self._sentence.setText(" ".join(eq.sentences))
        k = eq.stage + 1
        captions = (
            f"The stack: stages {k - 1} and {k} ({eq.name})",
            f"One layer: a {eq.size_text} kernel" + (" (no activation between)" if eq.linear
                                                       else " (the stages without the activation)"),
            f"Difference (largest {eq.max_difference:.2g})",
        )  # fmt: skip
        for cap, pic, text, pixels in zip(self._captions, self._pictures, captions, pictures):
            cap.setText(text)
            image = array_to_qimage(np.ascontiguousarray(pixels))
            pix = QPixmap.fromImage(image)
            pic.setPixmap(pix.scaled(PICTURE_SIDE, PICTURE_SIDE, Qt.AspectRatioMode.KeepAspectRatio,
                                     Qt.TransformationMode.SmoothTransformation))  # fmt: skip
        self._kernel_title.setText(
            f"The single layer's kernel ({eq.size_text}, bias {eq.bias:.4g}, stride "
            f"{eq.stride[0] if eq.stride[0] == eq.stride[1] else eq.stride}):"
        )
        self._kernel.setPlainText(kernel_text(eq.kernel, names))

    def sentence_text(self) -> str:
        return self._sentence.text()

    def kernel_text(self) -> str:
        return self._kernel.toPlainText()

    def caption_texts(self) -> list[str]:
        return [c.text() for c in self._captions]
