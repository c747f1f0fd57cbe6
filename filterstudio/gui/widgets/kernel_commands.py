"""The kernel editor's commands on a kernel as a whole: a new size, a preset, a tool, the text
box, the clipboard.

:class:`KernelCommands` is mixed into :class:`~.kernel_editor.KernelEditorWidget`, whose state
(``_kernel``, ``_depth_channels``...) and emitting (``_emit_kernel``, ``_emit_grid``) it uses:
the grid-editing half lives there, these whole-kernel commands here.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from filterstudio.core import kernels
from filterstudio.core.parse import parse_kernel_text

from .kernel_tools import REARRANGING, transformed
from .number_box import ask_number


class KernelCommands:
    """Slots of the editor's whole-kernel commands (see the module doc)."""

    def _on_text_toggled(self, on: bool) -> None:
        self._text.setVisible(on)
        if on:
            self._text.set_grid(self._edit_grid())
            self._text.text_box().setFocus(Qt.FocusReason.OtherFocusReason)

    def _on_text_applied(self, grid: np.ndarray) -> None:
        grid = np.asarray(grid, dtype=np.float64)
        if grid.ndim == 3 and self._depth_channels > 1 and grid.shape[2] != self._depth_channels:
            self.message.emit(
                f"The text has {grid.shape[2]} channels; depth mode needs {self._depth_channels}."
            )
            return
        self._emit_grid(self._with_depth(grid), "")

    # ---------------------------------------------------------------- tool slots

    def _on_shape_chosen(self, shape: tuple[int, int]) -> None:
        if self._kernel.shape[:2] == tuple(shape):
            return
        self._emit_kernel(kernels.resize_centered(self._edit_base(), tuple(shape)), "")

    def _on_preset_triggered(self, name: str) -> None:
        k = np.array(kernels.get_preset(name).kernel, dtype=np.float32)
        self._emit_kernel(self._with_depth(k), "", anew=True)

    def _with_depth(self, k: np.ndarray) -> np.ndarray:
        """``k`` made 3-D when depth mode shows channels, so every edit there is a depth kernel."""
        if k.ndim == 2 and self._depth_channels > 1:
            return np.repeat(k[:, :, None], self._depth_channels, axis=2)
        return k

    def _on_tool_clicked(self, key: str) -> None:
        handler = getattr(self, f"_on_{key}_clicked", None)
        if handler is not None:
            handler()
            return
        k = transformed(key, self._edit_base(), self._rng)
        self._emit_kernel(k, "", anew=key not in REARRANGING)

    def _on_normalize_clicked(self) -> None:
        k, note = kernels.normalize(self._edit_base())
        if note:
            self.message.emit(note)
            return
        self._emit_kernel(k, "", anew=True)

    def _on_scale_clicked(self) -> None:
        factor, ok = ask_number(
            self, "Scale kernel", "Multiply every weight by:", 2.0, -1000.0, 1000.0,
            name="The factor",
        )  # fmt: skip
        if not ok:
            return
        try:
            k = kernels.scale(self._edit_base(), factor)
        except ValueError as exc:
            self.message.emit(str(exc))
            return
        self._emit_kernel(k, "", anew=True)

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
        self._emit_kernel(self._with_depth(k), "", anew=True)
