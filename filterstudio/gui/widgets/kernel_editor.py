"""The kernel editor: a tinted, keyboard-driven grid of weights with bias, activation and tools.

The editor never changes the model. Every edit is emitted (``kernelEdited``, ``biasEdited``,
``activationEdited``) and the controller pushes the resulting model state back with
:meth:`KernelEditorWidget.set_filter`, which blocks signals so nothing loops. The editor also
shows an edit at once, so it stays usable (and testable) without a controller.

Keyboard
--------
- Tab / Shift+Tab: next / previous cell (row by row), then on to the tools.
- A click (or Tab) selects the cell's number, so typing replaces it. Arrow keys move between
  cells, committing what was typed. F2 (or a second click) puts the caret in the text, so
  Left/Right move the caret until the value is committed.
- Enter commits, Escape undoes the typing in a cell.
- Alt+Up / Alt+Down or PageUp / PageDown: nudge the value by 0.1 (Shift: 1, Ctrl: 0.01), as the
  mouse wheel over a cell does. One burst of nudges is one undo step (merge tag ``cell:r,c``).
- Ctrl+C / Ctrl+V copy and paste the whole kernel as text, but only while the editor has the
  keyboard focus; elsewhere in the window those keys keep their window-wide meaning. In a cell
  in caret mode Ctrl+C copies the selected text, and Ctrl+V of a single number pastes into the
  cell. The editor defines no application-wide shortcut.
"""

from __future__ import annotations

import functools
import itertools
import math

import numpy as np
from PySide6.QtCore import QEvent, QSignalBlocker, Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeyEvent, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QMenu,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from filterstudio.core import kernels
from filterstudio.core.parse import parse_cell_value, parse_kernel_text
from filterstudio.core.vocabulary import ACTIVATION_TERMS
from filterstudio.model.bank import Filter, frozen_kernel

from .choices import fill_choices
from .kernel_grid import CHANNEL_NAMES, KernelCellWidget, KernelGridsWidget, format_cell
from .number_box import NumberBox, ask_number

GRID_SIZES = (3, 5, 7)
"""Sizes offered by the size selector; other odd sizes from files are shown as they are."""

#: The bias box takes -BIAS_LIMIT to BIAS_LIMIT.
BIAS_LIMIT = 1000.0


class KernelEditorWidget(QWidget):
    """Edit one filter: its kernel grid, bias and activation, plus presets and transforms.

    Signals
    -------
    kernelEdited(object, str)
        A new float32 kernel (2-D, or 3-D in depth mode) and a merge tag: ``""`` for an edit
        that is its own undo step, ``"cell:r,c"`` (``"cell:r,c,ch"`` for a depth kernel) for
        scrubbing one cell, so a burst of nudges is one undo step.
    biasEdited(float, str)
        The new bias and the merge tag ``"bias"``.
    activationEdited(str)
        ``"none"``, ``"relu"`` or ``"abs"``.
    message(str)
        A status line for the user: a rejected cell, a zero-sum normalize, a failed paste.
    """

    kernelEdited = Signal(object, str)
    biasEdited = Signal(float, str)
    activationEdited = Signal(str)
    message = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._kernel = np.zeros((3, 3), dtype=np.float32)
        self._depth_channels = 1
        self._uid: str | None = None
        self._rng = np.random.default_rng()

        # Top row: size and presets.
        self._size_combo = QComboBox(self)
        for n in GRID_SIZES:
            self._size_combo.addItem(f"{n}x{n}", n)
        self._size_combo.setToolTip(
            "Kernel size. Resizing keeps the centre: growing adds zeros around the edge."
        )
        self._size_combo.setAccessibleName("kernel size")
        self._size_combo.activated.connect(self._on_size_activated)

        self._preset_button = QToolButton(self)
        self._preset_button.setText("Preset")
        self._preset_button.setToolTip("Replace the kernel with a named preset.")
        self._preset_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self._preset_menu = QMenu(self._preset_button)
        self._preset_menu.setToolTipsVisible(True)
        for name, preset in kernels.PRESETS.items():
            kh, kw = preset.kernel.shape[:2]
            action = self._preset_menu.addAction(f"{name}  ({kh}x{kw})")
            action.setData(name)
            action.setToolTip(preset.description)
            action.setStatusTip(preset.description)
            action.triggered.connect(functools.partial(self._on_preset_triggered, name))
        self._preset_button.setMenu(self._preset_menu)
        # Room for the menu arrow, which otherwise covers the last letter.
        self._preset_button.setMinimumWidth(self._preset_button.sizeHint().width() + 16)

        self._sum_label = QLabel(self)
        self._sum_label.setToolTip(
            "Sum of the weights: 1 keeps the overall brightness, 0 responds only to change."
        )
        self._sum_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        top = QHBoxLayout()
        size_label = QLabel("&Size", self)
        size_label.setBuddy(self._size_combo)
        top.addWidget(size_label)
        top.addWidget(self._size_combo)
        top.addWidget(self._preset_button)
        top.addStretch(1)

        # The grids live in a scroll area so a 15x15 or a depth kernel is never clipped.
        self._grids = KernelGridsWidget(self)
        self._grids.commitRequested.connect(self._on_cell_commit)
        self._grids.nudgeRequested.connect(self._on_cell_nudge)
        self._grids.cellTextEdited.connect(self._on_cell_text_edited)
        self._grids.copyRequested.connect(self._on_copy_clicked)
        self._grids.pasteRequested.connect(self._on_paste_clicked)
        self._grids.rebuilt.connect(self._fix_tab_order)

        # Tools.
        self._tool_buttons: dict[str, QToolButton] = {}
        tools = QGridLayout()
        tools.setSpacing(4)
        specs = (
            ("normalize", "Normalize", "Divide by the sum of the weights, so they add up to 1."),
            ("scale", "Scale…", "Multiply every weight by a factor."),
            (
                "flip",
                "Flip",
                "Rotate 180°: cross-correlation with the flipped kernel is true convolution.",
            ),
            ("rotate90", "Rotate 90°", "Rotate a quarter turn clockwise."),
            ("transpose", "Transpose", "Swap rows and columns (Sobel X becomes Sobel Y)."),
            ("clear", "Clear", "Set every weight to zero."),
            ("randomize", "Randomize", "Random weights, like an untrained CNN filter."),
            ("copy", "Copy", "Copy the kernel as text (Ctrl+C while the editor has focus)."),
            ("paste", "Paste", "Paste a kernel from text (Ctrl+V while the editor has focus)."),
        )
        for i, (key, text, tip) in enumerate(specs):
            button = QToolButton(self)
            button.setText(text)
            button.setToolTip(tip)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            button.clicked.connect(getattr(self, f"_on_{key}_clicked"))
            # Three columns keep every label whole in a narrow side panel.
            tools.addWidget(button, i // 3, i % 3)
            self._tool_buttons[key] = button

        # Bias and activation.
        self._bias_spin = NumberBox("The bias", -BIAS_LIMIT, BIAS_LIMIT, step=0.1, parent=self)
        self._bias_spin.setToolTip("Added to every output value after the weighted sum.")
        self._bias_spin.valueChanged.connect(self._on_bias_changed)
        self._bias_spin.rejected.connect(self.message)
        self._activation_combo = QComboBox(self)
        fill_choices(self._activation_combo, ACTIVATION_TERMS)
        self._activation_combo.setToolTip(
            "Applied last: none keeps negatives, ReLU sets them to 0, abs makes them positive."
        )
        self._activation_combo.activated.connect(self._on_activation_activated)
        form = QFormLayout()
        form.addRow("&Bias", self._bias_spin)
        form.addRow("&Activation", self._activation_combo)

        layout = QVBoxLayout(self)
        # The editor is never squeezed below what its grid and tools need (an explicit minimum
        # height set from outside would let the tools slide over the last rows of cells).
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
        layout.addLayout(top)
        layout.addWidget(self._grids)
        layout.addWidget(self._sum_label)
        layout.addLayout(tools)
        layout.addLayout(form)
        layout.addStretch(1)

        self._refresh()

    # ---------------------------------------------------------------- model -> widget

    def set_filter(self, flt: Filter | None) -> None:
        """Show ``flt`` (kernel, bias, activation) without emitting; ``None`` disables the editor.

        Parameters
        ----------
        flt : Filter or None
            The selected filter of the bank.
        """
        blockers = [QSignalBlocker(w) for w in (self, self._bias_spin, self._activation_combo)]
        try:
            if flt is None:
                self._uid = None
                self._kernel = np.zeros((3, 3), dtype=np.float32)
                self._bias_spin.set_value_quietly(0.0)
                self._activation_combo.setCurrentIndex(0)
                self._refresh()
                self.setEnabled(False)
                return
            self.setEnabled(True)
            if flt.uid != self._uid:
                for cell in self._iter_cells():
                    cell.set_error("")
                    cell.setModified(False)
            self._uid = flt.uid
            self._kernel = np.array(flt.kernel, dtype=np.float32)
            self._bias_spin.set_value_quietly(flt.bias)
            self._activation_combo.setCurrentIndex(
                max(0, self._activation_combo.findData(flt.activation))
            )
            self._refresh()
        finally:
            del blockers

    def set_depth_channels(self, n: int) -> None:
        """Show one grid (``n == 1``) or one grid per colour channel (depth mode, ``n == 3``).

        In depth mode a 2-D kernel is shown as equal grids and any edit emits a 3-D kernel.
        A 3-D kernel is always shown channel by channel, whatever ``n`` is.
        """
        n = int(n)
        if not 1 <= n <= len(CHANNEL_NAMES):
            raise ValueError(f"The editor shows 1 to {len(CHANNEL_NAMES)} channels, not {n}.")
        self._depth_channels = n
        self._refresh()

    def kernel(self) -> np.ndarray:
        """A copy of the kernel the editor shows (2-D, or 3-D for a depth kernel)."""
        return self._kernel.copy()

    def copy_kernel(self) -> None:
        """Put the kernel on the clipboard as text (``format_kernel``), as the Copy button does."""
        self._on_copy_clicked()

    def paste_kernel(self) -> None:
        """Replace the kernel with the clipboard text read by ``parse_kernel_text``.

        An unreadable clipboard emits ``message`` and leaves the kernel as it is.
        """
        self._on_paste_clicked()

    # ---------------------------------------------------------------- parts (scripts, tests)

    def cell(self, row: int, col: int, channel: int = 0) -> KernelCellWidget:
        """The cell showing weight ``(row, col)`` of grid ``channel``."""
        return self._grids.cell(channel, row, col)

    def channel_count(self) -> int:
        """How many grids are shown (3 in depth mode or for a depth kernel, else 1)."""
        return len(self._grids.grids())

    def grid_size(self) -> tuple[int, int]:
        """Rows and columns of the grids shown."""
        return tuple(int(n) for n in self._display_kernel().shape[:2])

    def sum_text(self) -> str:
        """The sum line under the grid, e.g. ``Sum of weights: 1``."""
        return self._sum_label.text()

    def grid_area(self) -> KernelGridsWidget:
        """The scroll area that holds the grids of cells."""
        return self._grids

    def size_selector(self) -> QComboBox:
        """The kernel size box (3x3, 5x5, 7x7, and an odd size read from a file)."""
        return self._size_combo

    def preset_button(self) -> QToolButton:
        """The button whose menu holds the presets."""
        return self._preset_button

    def preset_actions(self) -> list[QAction]:
        """The preset menu's actions; each one's ``data()`` is the preset's name."""
        return self._preset_menu.actions()

    def tool_button(self, key: str) -> QToolButton:
        """A tool button: ``normalize``, ``scale``, ``flip``, ``rotate90``, ``transpose``,
        ``clear``, ``randomize``, ``copy`` or ``paste``."""
        return self._tool_buttons[key]

    def bias_box(self) -> NumberBox:
        """The bias box (a :class:`~.number_box.NumberBox`)."""
        return self._bias_spin

    def activation_box(self) -> QComboBox:
        """The activation box (item data: ``none``, ``relu``, ``abs``)."""
        return self._activation_combo

    # ---------------------------------------------------------------- display

    def _display_kernel(self) -> np.ndarray:
        """The kernel as ``(kh, kw, grids)``: what each grid shows."""
        k = self._kernel
        if k.ndim == 3:
            return k
        return np.repeat(k[:, :, None], self._depth_channels, axis=2)

    def _edit_base(self) -> np.ndarray:
        """A writable copy of the kernel to edit: 3-D as soon as depth mode shows channels."""
        k = self._kernel
        if k.ndim == 2 and self._depth_channels > 1:
            return np.repeat(k[:, :, None], self._depth_channels, axis=2)
        return k.copy()

    def _iter_cells(self):
        return iter(self._grids.cells())

    def _refresh(self) -> None:
        """Bring grids, size selector and sum label in line with ``self._kernel``."""
        shown = self._display_kernel()
        kh, kw, _n = shown.shape
        self._grids.set_room(self.width())
        self._grids.show_kernel(shown, depth=self._kernel.ndim == 3)
        self._sync_size_combo(kh, kw)
        self._update_sum()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._grids.set_room(self.width())

    def _fix_tab_order(self) -> None:
        """Size, then the cells row by row (channel by channel), then presets and tools."""
        chain: list[QWidget] = [self._size_combo]
        chain += self._grids.cells()
        chain.append(self._preset_button)
        chain += list(self._tool_buttons.values())
        chain += [self._bias_spin, self._activation_combo]
        for a, b in itertools.pairwise(chain):
            QWidget.setTabOrder(a, b)

    def _sync_size_combo(self, kh: int, kw: int) -> None:
        combo = self._size_combo
        with QSignalBlocker(combo):
            # Remove a previous odd size, then add the current one if the presets lack it.
            while combo.count() > len(GRID_SIZES):
                combo.removeItem(combo.count() - 1)
            if kh == kw and kh in GRID_SIZES:
                combo.setCurrentIndex(GRID_SIZES.index(kh))
            else:
                combo.addItem(f"{kh}x{kw}", None)
                combo.setCurrentIndex(combo.count() - 1)

    def _update_sum(self, preview: tuple[KernelCellWidget, float] | None = None) -> None:
        shown = self._display_kernel().astype(np.float64)
        if preview is not None:
            cell, value = preview
            shown[cell.row, cell.col, cell.channel] = value
        total = float(shown.sum())
        text = f"Sum of weights: {format_cell(_tidy(total))}"
        if shown.shape[2] > 1:
            parts = ", ".join(
                f"{CHANNEL_NAMES[c] if c < len(CHANNEL_NAMES) else c} "
                f"{format_cell(_tidy(float(shown[:, :, c].sum())))}"
                for c in range(shown.shape[2])
            )
            text += f"  ({parts})"
        self._sum_label.setText(text)

    # ---------------------------------------------------------------- emitting

    def _emit_kernel(self, kernel: np.ndarray, tag: str = "") -> None:
        """Show ``kernel`` at once and emit it; the controller's ``set_filter`` confirms it."""
        try:
            kernel = np.array(frozen_kernel(kernel), dtype=np.float32)
        except ValueError as exc:
            self.message.emit(str(exc))
            return
        self._kernel = kernel
        self._refresh()
        self.kernelEdited.emit(kernel.copy(), tag)

    def _cell_tag(self, cell: KernelCellWidget, base: np.ndarray) -> str:
        if base.ndim == 3:
            return f"cell:{cell.row},{cell.col},{cell.channel}"
        return f"cell:{cell.row},{cell.col}"

    def _set_cell(self, base: np.ndarray, cell: KernelCellWidget, value: float) -> None:
        if base.ndim == 3:
            base[cell.row, cell.col, cell.channel] = value
        else:
            base[cell.row, cell.col] = value

    # ---------------------------------------------------------------- cell slots

    def _on_cell_commit(self, cell: KernelCellWidget) -> None:
        shown = self._display_kernel()
        old = float(shown[cell.row, cell.col, cell.channel])
        if not cell.isModified():
            # Nothing typed (or Escape): make sure the last good value is what the cell shows.
            cell.restore()
            self._update_sum()
            return
        text = cell.text()
        cell.setModified(False)
        try:
            if not text.strip():
                raise ValueError("A weight cannot be empty; type a number such as 0.")
            value = float(parse_cell_value(text))
            if not math.isfinite(value):
                raise ValueError(f"{text.strip()!r} is not a finite number.")
        except ValueError as exc:
            reason = str(exc)
            where = f"row {cell.row + 1}, column {cell.col + 1}"
            cell.set_error(f"Rejected {text.strip()!r}: {reason}")
            cell.restore()
            self._refresh()
            self.message.emit(f"The weight at {where} stays {format_cell(old)}: {reason}")
            return
        cell.set_error("")
        if np.float32(value) == np.float32(old):
            self._refresh()
            return
        base = self._edit_base()
        self._set_cell(base, cell, value)
        self._emit_kernel(base, "")

    def _on_cell_text_edited(self, cell: KernelCellWidget, text: str) -> None:
        try:
            value = float(parse_cell_value(text))
        except ValueError:
            return
        if math.isfinite(value):
            self._update_sum(preview=(cell, value))

    def _on_cell_nudge(self, cell: KernelCellWidget, delta: float) -> None:
        if cell.isModified():
            self._on_cell_commit(cell)
        base = self._edit_base()
        index = (cell.row, cell.col, cell.channel) if base.ndim == 3 else (cell.row, cell.col)
        old = float(base[index])
        value = _tidy(round(old + delta, 6))
        cell.set_error("")
        self._set_cell(base, cell, value)
        self._emit_kernel(base, self._cell_tag(cell, base))

    # ---------------------------------------------------------------- tool slots

    def _on_size_activated(self, index: int) -> None:
        size = self._size_combo.itemData(index)
        if size is None or self._kernel.shape[:2] == (size, size):
            return
        self._emit_kernel(kernels.resize_centered(self._edit_base(), size), "")

    def _on_preset_triggered(self, name: str) -> None:
        k = np.array(kernels.get_preset(name).kernel, dtype=np.float32)
        self._emit_kernel(self._with_depth(k), "")

    def _with_depth(self, k: np.ndarray) -> np.ndarray:
        """``k`` made 3-D when depth mode shows channels, so every edit there is a depth kernel."""
        if k.ndim == 2 and self._depth_channels > 1:
            return np.repeat(k[:, :, None], self._depth_channels, axis=2)
        return k

    def _on_normalize_clicked(self) -> None:
        k, note = kernels.normalize(self._edit_base())
        if note:
            self.message.emit(note)
            return
        self._emit_kernel(k, "")

    def _on_scale_clicked(self) -> None:
        factor, ok = ask_number(
            self, "Scale kernel", "Multiply every weight by:", 2.0, -1000.0, 1000.0,
            name="The factor",
        )
        if not ok:
            return
        try:
            k = kernels.scale(self._edit_base(), factor)
        except ValueError as exc:
            self.message.emit(str(exc))
            return
        self._emit_kernel(k, "")

    def _on_flip_clicked(self) -> None:
        self._emit_kernel(kernels.flip(self._edit_base()), "")

    def _on_rotate90_clicked(self) -> None:
        self._emit_kernel(kernels.rotate90(self._edit_base()), "")

    def _on_transpose_clicked(self) -> None:
        self._emit_kernel(kernels.transpose(self._edit_base()), "")

    def _on_clear_clicked(self) -> None:
        self._emit_kernel(kernels.cleared(self._edit_base()), "")

    def _on_randomize_clicked(self) -> None:
        base = self._edit_base()
        kh, kw = base.shape[:2]
        seed = int(self._rng.integers(0, 2**31 - 1))
        depth = base.shape[2] if base.ndim == 3 else None
        k = kernels.random_kernel(kh, seed=seed, depth=depth)
        if (kh, kw) != k.shape[:2]:
            k = kernels.resize_centered(k, (kh, kw))
        self._emit_kernel(k, "")

    def _on_copy_clicked(self) -> None:
        QGuiApplication.clipboard().setText(kernels.format_kernel(self._kernel))
        kh, kw = self._kernel.shape[:2]
        self.message.emit(f"Copied the {kh}x{kw} kernel as text.")

    def _on_paste_clicked(self) -> None:
        text = QGuiApplication.clipboard().text()
        if not text.strip():
            self.message.emit("The clipboard holds no text to read a kernel from.")
            return
        try:
            k = np.asarray(parse_kernel_text(text), dtype=np.float32)
            if k.ndim == 3 and self._depth_channels > 1 and k.shape[2] != self._depth_channels:
                raise ValueError(
                    f"The pasted kernel has {k.shape[2]} channels; depth mode needs "
                    f"{self._depth_channels}."
                )
        except ValueError as exc:
            self.message.emit(f"Could not paste a kernel: {exc}")
            return
        self._emit_kernel(self._with_depth(k), "")

    # ---------------------------------------------------------------- bias and activation

    def _on_bias_changed(self, value: float) -> None:
        self.biasEdited.emit(float(value), "bias")

    def _on_activation_activated(self, index: int) -> None:
        self.activationEdited.emit(str(self._activation_combo.itemData(index)))

    # ---------------------------------------------------------------- editor-wide keys

    def event(self, event: QEvent) -> bool:
        # Claim Ctrl+C / Ctrl+V only while focus is inside the editor, so a window-level
        # shortcut on the same keys still works everywhere else.
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and (
                event.matches(QKeySequence.StandardKey.Copy)
                or event.matches(QKeySequence.StandardKey.Paste)
            )
        ):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Copy):
            self._on_copy_clicked()
        elif event.matches(QKeySequence.StandardKey.Paste):
            self._on_paste_clicked()
        else:
            super().keyPressEvent(event)


def _tidy(value: float) -> float:
    """Drop float noise such as ``0.30000000000000004`` and the sign of ``-0.0``."""
    v = float(np.float32(value))
    v = float(f"{v:.7g}")
    return v + 0.0


__all__ = ["GRID_SIZES", "KernelEditorWidget"]
