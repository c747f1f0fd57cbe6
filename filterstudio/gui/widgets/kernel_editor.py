"""The kernel editor: a tinted, keyboard-driven grid of weights with divisor, bias, activation, tools.

The editor never changes the model. Every edit is emitted (``kernelEdited``, ``biasEdited``,
``activationEdited``) and the controller pushes the resulting model state back with
:meth:`KernelEditorWidget.set_filter`, which blocks signals so nothing loops. The editor also
shows an edit at once, so it stays usable (and testable) without a controller.

Grid and divisor
----------------
As in GIMP's convolution matrix, the result is ``sum(grid × input) / divisor + bias`` (the
bias is GIMP's offset). The kernel the model keeps is ``grid / divisor``; the editor writes a
kernel as whole numbers over a divisor whenever it can (a Gaussian shows 1 2 1 / 2 4 2 /
1 2 1 over 16, a box blur ones over 9), and keeps that divisor for the filter while the user
edits cells, so the grid never jumps to another form under the user's hands. A new kernel as a
whole (a preset, a paste, normalize, scale, randomize, text) is written anew. With
auto-normalise on, the divisor follows the sum of the grid.

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

import itertools
import math

import numpy as np
from PySide6.QtCore import QEvent, QSignalBlocker, Signal
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLabel,
    QLayout,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from filterstudio.core import kernels
from filterstudio.core.kernel_form import grid_of, kernel_of, tidy, whole_over
from filterstudio.core.parse import parse_cell_value
from filterstudio.core.vocabulary import ACTIVATION_TERMS
from filterstudio.model.bank import Filter, frozen_kernel

from .choices import fill_choices
from .depth_selector import DepthSelectorWidget
from .kernel_cell import KernelCellWidget, format_cell
from .kernel_commands import KernelCommands
from .kernel_divisor import DivisorWidget
from .kernel_grid import CHANNEL_NAMES, KernelGridsWidget
from .kernel_header import GRID_SHAPES, GRID_SIZES, KernelHeaderWidget, shape_label
from .kernel_text import KernelTextWidget
from .kernel_tools import KernelToolsWidget
from .number_box import NumberBox
from .presentation import PRESENTATION_SCALE, present
from .text_line import TextLine

#: The bias box takes -BIAS_LIMIT to BIAS_LIMIT.
BIAS_LIMIT = 1000.0
#: A later stage's kernel shows every slice up to this many maps, else one at a time.
SLICES_SHOWN = 3


class KernelEditorWidget(KernelCommands, QWidget):
    """Edit one filter: its kernel grid, divisor, bias and activation, plus presets and tools.

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
        self._divisor = 1.0
        self._auto = False
        # Divisor and auto-normalise per filter, kept while the filter is edited.
        self._memory: dict[str, tuple[float, bool]] = {}
        self._depth_channels = 1
        # A later stage's kernel: the names of the maps its slices read, and the one shown.
        self._map_labels: tuple[str, ...] | None = None
        self._slice = 0
        self._uid: str | None = None
        self._rng = np.random.default_rng()

        self._header = KernelHeaderWidget(self)
        self._header.shapeChosen.connect(self._on_shape_chosen)
        self._header.presetChosen.connect(self._on_preset_triggered)
        self._header.textToggled.connect(self._on_text_toggled)
        self._size_combo = self._header.size_selector()

        # Redrawn at every edit: a label would lay the dock out again each time.
        self._sum_label = TextLine(self, typical="Sum of weights: 0.000")
        self._sum_label.setToolTip(
            "Sum of the weights: 1 keeps the overall brightness, 0 responds only to change."
        )

        self._depth_selector = DepthSelectorWidget(self)
        self._depth_selector.sliceChosen.connect(self._on_slice_chosen)
        self._depth_selector.hide()
        self._grids = KernelGridsWidget(self)
        self._grids.commitRequested.connect(self._on_cell_commit)
        self._grids.nudgeRequested.connect(self._on_cell_nudge)
        self._grids.cellTextEdited.connect(self._on_cell_text_edited)
        self._grids.copyRequested.connect(self._on_copy_clicked)
        self._grids.pasteRequested.connect(self._on_paste_clicked)
        self._grids.rebuilt.connect(self._fix_tab_order)

        self._text = KernelTextWidget(self)
        self._text.gridApplied.connect(self._on_text_applied)
        self._text.message.connect(self.message)
        self._text.hide()

        self._tools = KernelToolsWidget(self)
        self._tools.toolClicked.connect(self._on_tool_clicked)

        # Divisor, bias (GIMP's offset) and activation.
        self._divisor_row = DivisorWidget(self)
        self._divisor_row.divisorEdited.connect(self._on_divisor_edited)
        self._divisor_row.autoToggled.connect(self._on_auto_toggled)
        self._divisor_row.message.connect(self.message)
        self._bias_spin = NumberBox("The bias", -BIAS_LIMIT, BIAS_LIMIT, step=0.1, parent=self)
        self._bias_spin.setToolTip(
            "Added to every output value after the weighted sum (GIMP's offset)."
        )
        self._bias_spin.valueChanged.connect(self._on_bias_changed)
        self._bias_spin.rejected.connect(self.message)
        self._activation_combo = QComboBox(self)
        fill_choices(self._activation_combo, ACTIVATION_TERMS)
        self._activation_combo.setToolTip(
            "Applied last: none keeps negatives, ReLU sets them to 0, abs makes them positive."
        )
        self._activation_combo.setAccessibleName("activation")
        self._activation_combo.activated.connect(self._on_activation_activated)
        form = QFormLayout()
        divisor_label = QLabel("Di&visor", self)
        divisor_label.setBuddy(self._divisor_row.divisor_box())
        form.addRow(divisor_label, self._divisor_row)
        form.addRow("&Bias", self._bias_spin)
        form.addRow("&Activation", self._activation_combo)

        layout = QVBoxLayout(self)
        # The editor is never squeezed below what its grid and tools need (an explicit minimum
        # height set from outside would let the tools slide over the last rows of cells).
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
        layout.addWidget(self._header)
        layout.addWidget(self._depth_selector)
        layout.addWidget(self._grids)
        layout.addWidget(self._sum_label)
        layout.addWidget(self._text)
        layout.addWidget(self._tools)
        layout.addLayout(form)
        layout.addStretch(1)

        self._refresh()

    # ---------------------------------------------------------------- model -> widget

    def set_filter(self, flt: Filter | None) -> None:
        """Show ``flt`` (kernel, bias, activation) without emitting; ``None`` disables the editor.

        The divisor is kept for a filter while its cells are edited here; a kernel that changed
        from outside (undo, a script) and a filter seen for the first time are written anew, as
        whole numbers over the smallest divisor that gives them.

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
                self._divisor, self._auto = 1.0, False
                self._bias_spin.set_value_quietly(0.0)
                self._activation_combo.setCurrentIndex(0)
                self._refresh()
                self.setEnabled(False)
                return
            self.setEnabled(True)
            kernel = np.array(flt.kernel, dtype=np.float32)
            if flt.uid != self._uid:
                for cell in self._iter_cells():
                    cell.set_error("")
                    cell.setModified(False)
                divisor, auto = self._memory.get(flt.uid, (None, False))
                if divisor is None or not whole_over(kernel, divisor):
                    divisor = float(kernels.integer_form(kernel)[1])
                self._divisor, self._auto = divisor, auto
            elif not np.array_equal(kernel, self._kernel):
                # Changed from outside (undo, a script): written anew, as a preset would be.
                self._divisor = float(kernels.integer_form(kernel)[1])
            self._uid = flt.uid
            self._kernel = kernel
            self._remember()
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

    def set_input_maps(self, labels=None) -> None:
        """Edit a later stage's kernels: one slice per map it reads, named ``labels``; beyond
        :data:`SLICES_SHOWN` maps, one slice at a time chosen by name. None: the first stage's
        editor (colour channels, :meth:`set_depth_channels`)."""
        labels = None if labels is None else tuple(str(n) for n in labels)
        if labels == self._map_labels:
            return
        self._map_labels = labels
        if labels is not None:
            self._depth_channels = len(labels)
            self._slice = min(self._slice, len(labels) - 1)
        else:
            self._depth_channels = 1
        self._refresh()

    def shown_slices(self) -> tuple[int, ...]:
        """The kernel slices that have a grid now (all of them but for a deep kernel)."""
        return self._grids.shown_slices()

    def show_slice(self, c: int) -> None:
        """Show the slice of input map ``c`` (a later stage's deep kernel)."""
        self._on_slice_chosen(c)

    def depth_selector(self) -> DepthSelectorWidget:
        """The input-map choice shown above the grid for a deep kernel."""
        return self._depth_selector

    def set_presentation(self, on: bool) -> None:
        """Projector size: the cells, their numbers and every control grow with the
        presentation scale."""
        present(self, on)
        self._grids.set_scale(PRESENTATION_SCALE if on else 1.0)

    def kernel(self) -> np.ndarray:
        """A copy of the kernel the editor shows (2-D, or 3-D for a depth kernel)."""
        return self._kernel.copy()

    def divisor(self) -> float:
        """The divisor the grid is shown over (the kernel is ``grid / divisor``)."""
        return self._divisor

    def grid(self) -> np.ndarray:
        """The grid as shown: ``kernel × divisor``, whole numbers where the kernel allows."""
        return self._edit_grid()

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
        """The kernel size box (item data: ``"1x5"`` text, rows x columns; a size read from a
        file that it does not offer is added as the last item, with data None)."""
        return self._header.size_selector()

    def preset_button(self) -> QToolButton:
        """The button whose menu holds the presets."""
        return self._header.preset_button()

    def preset_actions(self) -> list[QAction]:
        """The preset menu's actions; each one's ``data()`` is the preset's name."""
        return self._header.preset_actions()

    def tool_button(self, key: str) -> QToolButton:
        """A tool button: ``normalize``, ``scale``, ``flip``, ``rotate90``, ``transpose``,
        ``clear``, ``randomize``, ``copy`` or ``paste``."""
        return self._tools.button(key)

    def text_toggle(self) -> QToolButton:
        """The button that shows or hides the kernel text box."""
        return self._header.text_toggle()

    def text_entry(self) -> KernelTextWidget:
        """The kernel as text (shown with :meth:`text_toggle`)."""
        return self._text

    def divisor_row(self) -> DivisorWidget:
        """The divisor box and the auto-normalise switch."""
        return self._divisor_row

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

    def _edit_grid(self) -> np.ndarray:
        """The grid to edit (float64): ``_edit_base() × divisor``, float noise rounded away."""
        return grid_of(self._edit_base(), self._divisor)

    def _shown_grid(self) -> np.ndarray:
        """The grid as ``(kh, kw, grids)``."""
        return grid_of(self._display_kernel(), self._divisor)

    def _iter_cells(self):
        return iter(self._grids.cells())

    def _remember(self) -> None:
        if self._uid is not None:
            self._memory[self._uid] = (self._divisor, self._auto)

    def _refresh(self) -> None:
        """Bring grids, size selector, divisor, text and sum in line with ``self._kernel``."""
        shown = self._shown_grid()
        kh, kw, n = shown.shape
        labels = self._map_labels if self._map_labels and len(self._map_labels) == n else None
        one = labels is not None and n > SLICES_SHOWN
        self._slice = min(self._slice, n - 1)
        self._depth_selector.setVisible(one)
        if one:
            self._depth_selector.set_maps(labels, self._slice, self._kernel)
        self._grids.show_kernel(shown, depth=self._kernel.ndim == 3, titles=labels,
                                slices=(self._slice,) if one else None)  # fmt: skip
        self._header.show_shape(kh, kw)
        self._divisor_row.set_state(self._divisor, self._auto)
        if self._text.isVisibleTo(self):
            self._text.set_grid(self._edit_grid())
        self._update_sum()

    def _fix_tab_order(self) -> None:
        """Size, then the cells row by row (channel by channel), then presets and tools."""
        chain: list[QWidget] = [self._size_combo]
        chain += self._grids.cells()
        chain += [self.preset_button(), self.text_toggle()]
        chain += [self._text.text_box(), self._text.apply_button()]
        chain += self._tools.buttons()
        chain += [self._divisor_row.divisor_box(), self._divisor_row.auto_box()]
        chain += [self._bias_spin, self._activation_combo]
        for a, b in itertools.pairwise(chain):
            QWidget.setTabOrder(a, b)

    def _update_sum(self, preview: tuple[KernelCellWidget, float] | None = None) -> None:
        grid = self._shown_grid()
        if preview is not None:
            cell, value = preview
            grid[cell.row, cell.col, cell.channel] = value
        d = self._divisor
        text = f"Sum of weights: {format_cell(tidy(float(grid.sum()) / d))}"
        if d != 1:
            text += f"  (grid {format_cell(tidy(float(grid.sum())))} ÷ {format_cell(d)})"
        if self._map_labels and grid.shape[2] > SLICES_SHOWN:
            c = self._slice
            text += f"  (map {c + 1}: {format_cell(tidy(float(grid[:, :, c].sum()) / d))})"
        elif grid.shape[2] > 1:
            parts = ", ".join(
                f"{CHANNEL_NAMES[c] if c < len(CHANNEL_NAMES) else c} "
                f"{format_cell(tidy(float(grid[:, :, c].sum()) / d))}"
                for c in range(grid.shape[2])
            )
            text += f"  ({parts})"
        self._sum_label.setText(text)

    # ---------------------------------------------------------------- emitting

    def _emit_kernel(self, kernel: np.ndarray, tag: str = "", *, anew: bool = False) -> None:
        """Show ``kernel`` at once and emit it; the controller's ``set_filter`` confirms it.

        ``anew``: a new kernel as a whole, written as whole numbers over a divisor where it can
        be (with auto-normalise on, divided by the sum of those whole numbers).
        """
        try:
            kernel = np.array(frozen_kernel(kernel), dtype=np.float32)
        except ValueError as exc:
            self.message.emit(str(exc))
            return
        if anew:
            grid, divisor = kernels.integer_form(kernel)
            total = float(grid.sum())
            if self._auto and total != 0:
                kernel = np.array(frozen_kernel(grid / total), dtype=np.float32)
                divisor = total
            self._divisor = float(divisor)
        self._kernel = kernel
        self._remember()
        self._refresh()
        self.kernelEdited.emit(kernel.copy(), tag)

    def _emit_grid(self, grid: np.ndarray, tag: str = "") -> None:
        """Emit ``grid / divisor``; with auto-normalise the divisor becomes the grid's sum."""
        kernel, self._divisor, note = kernel_of(grid, self._divisor, auto=self._auto)
        if note:
            self.message.emit(note)
        self._emit_kernel(kernel, tag)

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
        shown = self._shown_grid()
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
        grid = self._edit_grid()
        self._set_cell(grid, cell, value)
        self._emit_grid(grid, "")

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
        grid = self._edit_grid()
        index = (cell.row, cell.col, cell.channel) if grid.ndim == 3 else (cell.row, cell.col)
        value = tidy(round(float(grid[index]) + delta, 6))
        cell.set_error("")
        self._set_cell(grid, cell, value)
        self._emit_grid(grid, self._cell_tag(cell, grid))

    # ---------------------------------------------------------------- divisor and text

    def _on_divisor_edited(self, divisor: float) -> None:
        if divisor == self._divisor:
            return
        grid = self._edit_grid()
        self._divisor = float(divisor)
        self._emit_kernel(grid / self._divisor, "")

    def _on_auto_toggled(self, on: bool) -> None:
        self._auto = bool(on)
        self._remember()
        if on:
            self._emit_grid(self._edit_grid(), "")
        else:
            self._refresh()

    def _on_slice_chosen(self, c: int) -> None:
        if self._map_labels and 0 <= c < len(self._map_labels) and c != self._slice:
            self._slice = int(c)
            self._refresh()

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
            and not self._text.text_box().hasFocus()
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


__all__ = ["GRID_SHAPES", "GRID_SIZES", "KernelEditorWidget", "shape_label"]
