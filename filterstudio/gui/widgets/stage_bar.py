"""The stack as a row of buttons: pick the stage to edit, add a conv or pooling stage after it,
remove it.

The bar only shows and asks: :meth:`StageBarWidget.set_stages` pushes the stages in (without
emitting), and the user's choices come out as intents.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from .presentation import present


class StageBarWidget(QWidget):
    """One checkable button per stage (``"1 conv ×4"``, ``"2 max 2x2"``...) and the stage commands.

    Signals
    -------
    stageChosen(int)
        The user picked stage ``k`` (from 0).
    addRequested(str)
        Add a ``"conv"`` or ``"pool"`` stage after the chosen one.
    removeRequested()
        Remove the chosen stage (never the first).
    """

    stageChosen = Signal(int)
    addRequested = Signal(str)
    removeRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        self._group.idClicked.connect(self.stageChosen)
        self._buttons: list[QToolButton] = []
        self._current = 0
        self._row = QHBoxLayout()
        self._row.setSpacing(2)
        self._row.setContentsMargins(0, 0, 0, 0)

        def command(text: str, tip: str, slot) -> QToolButton:
            b = QToolButton(self)
            b.setText(text)
            b.setToolTip(tip)
            b.clicked.connect(slot)
            return b

        self._add_conv = command(
            "+ Conv", "Add a conv stage after this one: filters that read every map of it "
            "(Stack menu, Ctrl+Alt+C)", lambda: self.addRequested.emit("conv"))  # fmt: skip
        self._add_pool = command(
            "+ Pool", "Add a pooling stage after this one: the maximum of each 2x2 window "
            "(Stack menu, Ctrl+Alt+P)", lambda: self.addRequested.emit("pool"))  # fmt: skip
        self._remove = command(
            "Remove", "Remove this stage (Stack menu, Ctrl+Alt+X)", self.removeRequested.emit
        )
        self._add_conv.setAccessibleName("add a conv stage")
        self._add_pool.setAccessibleName("add a pooling stage")
        self._remove.setAccessibleName("remove the stage")
        self._summary = ""

        commands = QHBoxLayout()
        commands.setSpacing(3)
        commands.setContentsMargins(0, 0, 0, 0)
        commands.addWidget(QLabel("Stack:", self))
        commands.addWidget(self._add_conv)
        commands.addWidget(self._add_pool)
        commands.addWidget(self._remove)
        commands.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addLayout(commands)
        layout.addLayout(self._row)
        self.set_stages(["1 conv"], 0)

    # -- model -> widget ----------------------------------------------------------------
    def set_stages(self, labels: Sequence[str], current: int, summary: str = "",
                   can_add: bool = True) -> None:  # fmt: skip
        """Show one button per stage (``labels``), ``current`` checked, without emitting."""
        labels = list(labels)
        while len(self._buttons) > len(labels):
            b = self._buttons.pop()
            self._group.removeButton(b)
            self._row.removeWidget(b)
            b.deleteLater()
        while len(self._buttons) < len(labels):
            b = QToolButton(self)
            b.setCheckable(True)
            b.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
            self._group.addButton(b, len(self._buttons))
            self._row.insertWidget(len(self._buttons), b)
            self._buttons.append(b)
        if self._row.count() == len(self._buttons):
            self._row.addStretch(1)
        self._current = max(0, min(int(current), len(labels) - 1))
        with QSignalBlocker(self._group):
            for k, (b, text) in enumerate(zip(self._buttons, labels)):
                b.setText(text)
                b.setToolTip(f"Edit stage {k + 1}: {text.partition(' ')[2]}")
                b.setAccessibleName(f"stage {k + 1}")
                b.setChecked(k == self._current)
        self._remove.setEnabled(self._current > 0)
        self._add_conv.setEnabled(can_add)
        self._add_pool.setEnabled(can_add)
        self._summary = summary
        self.setToolTip(summary)  # the stage's row title says the rest

    # -- reading (scripts, tests) --------------------------------------------------------
    def set_presentation(self, on: bool) -> None:
        """Projector size: the stage buttons grow with the presentation scale."""
        present(self, on)

    def current(self) -> int:
        """The stage shown as chosen."""
        return self._current

    def labels(self) -> list[str]:
        return [b.text() for b in self._buttons]

    def button(self, k: int) -> QToolButton:
        """The button of stage ``k``."""
        return self._buttons[k]

    def command_button(self, key: str) -> QToolButton:
        """``"conv"``, ``"pool"`` or ``"remove"``."""
        return {"conv": self._add_conv, "pool": self._add_pool, "remove": self._remove}[key]

    def summary_text(self) -> str:
        """What the chosen stage reads and gives (the bar's tooltip)."""
        return self._summary
