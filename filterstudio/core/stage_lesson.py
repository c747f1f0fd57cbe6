"""The lesson of a later stage: a pooling window sliding over a map, or a kernel summing over
several maps, step by step while the output fills in.

Two plans, built from small arrays (a stack's maps on a lesson-sized picture; see
:mod:`filterstudio.compute.stage_lessons`): :class:`PoolLessonPlan` (each step: the window,
its values, the maximum with its winner or the mean) and :class:`MapsLessonPlan` (each step:
the window on every map read, each map's products and partial sum, then their total, the bias
and the activation). Both answer what a lesson asks of a plan (``steps``, ``step_count``,
``step_of_cell``, ``partial_map``, ``number_form``) and write each step's equation with
:meth:`lines`. No Qt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from .conv2d import conv2d
from .geometry import MapGeometry
from .lesson import CellBreakdown
from .lesson_numbers import NumberForm, format_number, number_form
from .lesson_text import equation_lines
from .pipeline import activate
from .pooling import pool2d
from .sizes import size_label
from .stage_arithmetic import PoolCell, maps_cell_breakdown, pool_cell, pool_window

__all__ = ["MapsLessonPlan", "PoolLessonPlan", "StageLessonPlan"]


def _frozen(a) -> np.ndarray:
    out = np.array(a, dtype=np.float32)
    out.setflags(write=False)
    return out


class StageLessonPlan:
    """What both stage lessons share: the maps read, the output, the steps in reading order.

    Attributes
    ----------
    stage : int
        The stage taught (counted from 0; the bank is 0).
    inputs : tuple of ndarray
        The maps read, ``(h, w)`` float32 each (read-only).
    labels : tuple of str
        Their names.
    result : ndarray
        The stage's map on these inputs, ``(oh, ow)``.
    title : str
        What the lesson shows, e.g. ``"Stage 2: max pool 2x2 of sobel_x"``.
    note : str or None
        How the picture was reduced for the lesson.
    cards : dict
        Extra explanation cards' HTML by concept key (the receptive field's growth).
    rebuild : callable or None
        Builds the same plan again from frozen inputs (an export on another thread draws its
        own), or None.
    """

    kind = ""

    def __init__(self, stage: int, inputs: Sequence[np.ndarray], labels: Sequence[str],
                 result: np.ndarray, *, title: str, note: str | None = None,
                 cards: dict[str, str] | None = None) -> None:  # fmt: skip
        self.stage = int(stage)
        self.inputs = tuple(_frozen(m) for m in inputs)
        self.labels = tuple(str(n) for n in labels)
        self.result = _frozen(result)
        self.title = title
        self.note = note
        self.cards = dict(cards or {})
        self.rebuild = None
        oh, ow = self.result.shape[:2]
        if oh == 0 or ow == 0:
            raise ValueError("The stage gives no cells on the lesson's picture.")
        self.steps: tuple[tuple[int, int], ...] = tuple(
            (i, j) for i in range(oh) for j in range(ow)
        )
        self.number_form: NumberForm = number_form(np.concatenate(
            [m.ravel() for m in self.inputs] + [self.result.ravel()]), [1.0])  # fmt: skip

    def __len__(self) -> int:
        return len(self.steps)

    @property
    def step_count(self) -> int:
        return len(self.steps)

    @property
    def out_hw(self) -> tuple[int, int]:
        return tuple(int(n) for n in self.result.shape[:2])

    def _check_step(self, k: int) -> int:
        k = int(k)
        if not 0 <= k < len(self.steps):
            raise IndexError(f"The lesson has steps 0 to {len(self.steps) - 1}, not {k}.")
        return k

    def step_of_cell(self, i: int, j: int) -> int:
        """The step that makes output cell ``(i, j)``."""
        oh, ow = self.out_hw
        if not (0 <= i < oh and 0 <= j < ow):
            raise ValueError(f"The map has no cell ({i}, {j}); it is {size_label(oh, ow)}.")
        return int(i) * ow + int(j)

    def partial_map(self, k: int) -> np.ndarray:
        """The output after step ``k`` (``-1``: none yet); later cells are NaN."""
        k = int(k)
        if not -1 <= k < len(self.steps):
            raise IndexError(f"The lesson has steps 0 to {len(self.steps) - 1}, not {k}.")
        out = np.array(self.result, dtype=np.float32, copy=True)
        out.reshape(-1)[k + 1 :] = np.nan
        return out

    def lines(self, k: int, *, precision: int | None = None, times: str = "×") -> list[str]:
        raise NotImplementedError


class PoolLessonPlan(StageLessonPlan):
    """A pooling window over one map: ``mode``, ``size``, ``stride``, ``padding`` as
    :class:`~filterstudio.model.stack.PoolStage` holds them."""

    kind = "pool"

    def __init__(self, stage: int, plane: np.ndarray, label: str, *, mode: str, size, stride,
                 padding, title: str, note: str | None = None,
                 cards: dict[str, str] | None = None) -> None:  # fmt: skip
        self.mode, self.size, self.stride, self.padding = mode, tuple(size), tuple(stride), tuple(padding)
        result = pool2d(np.asarray(plane, np.float32), self.size, stride=self.stride,
                        mode=mode, padding=self.padding)  # fmt: skip
        super().__init__(stage, [plane], [label], result, title=title, note=note, cards=cards)
        self._cells: dict[int, PoolCell] = {}

    @property
    def pad(self) -> tuple[int, int]:
        """Padding rows and columns drawn around the map."""
        return self.padding

    def cell(self, k: int) -> PoolCell:
        """Step ``k``'s window, values and outcome (computed once)."""
        k = self._check_step(k)
        c = self._cells.get(k)
        if c is None:
            c = pool_cell(self.inputs[0], *self.steps[k], size=self.size, stride=self.stride,
                          padding=self.padding, mode=self.mode)  # fmt: skip
            self._cells[k] = c
        return c

    def window(self, k: int) -> tuple[int, int, int, int]:
        """``(top, left, rows, cols)`` of step ``k``'s window on the map (padding may be
        negative)."""
        return pool_window(self.inputs[0].shape, *self.steps[self._check_step(k)],
                           size=self.size, stride=self.stride, padding=self.padding)  # fmt: skip

    def lines(self, k: int, *, precision: int | None = None, times: str = "×") -> list[str]:
        """``max(0.2, 0.7, 0.1, 0.4) = 0.7`` or ``(0.2 + 0.7 + 0.1 + 0.4) / 4 = 0.35``."""
        c = self.cell(k)
        form = self.number_form if precision is None else replace(self.number_form, fallback=precision)
        vals = [form.cell_text(v) for _r, _c, v in c.values]
        pad = c.padded_cells
        value = form.cell_text(c.value)
        if c.mode == "max":
            wr, wc = c.winner
            extra = f" (and {pad} padded cell{'s' if pad != 1 else ''}, which never win)" if pad else ""
            return [
                f"max({', '.join(vals)}) = {value}{extra}",
                f"The largest value is at row {wr}, column {wc}: it goes to cell {c.i}, {c.j}.",
            ]
        cells = c.size[0] * c.size[1]
        terms = vals + ["0"] * pad
        rel = "=" if np.float32(c.value) * cells == np.float32(sum(v for *_x, v in c.values)) else "≈"
        return [
            f"({' + '.join(terms)}) / {cells} {rel} {value}",
            f"The mean of the {cells} cells of the window goes to cell {c.i}, {c.j}"
            + (" (padding counts as 0)." if pad else "."),
        ]


class MapsLessonPlan(StageLessonPlan):
    """A conv stage's filter over several maps: ``kernel`` ``(kh, kw, C)``, one slice per map.

    ``layer`` holds the stage's ``stride``, ``padding``, ``border``, ``cval``, ``dilation``
    (``Layer.conv_kwargs()``).
    """

    kind = "conv"

    def __init__(self, stage: int, planes: Sequence[np.ndarray], labels: Sequence[str],
                 kernel: np.ndarray, *, bias: float, activation: str, layer: dict,
                 filter_name: str, title: str, note: str | None = None,
                 cards: dict[str, str] | None = None) -> None:  # fmt: skip
        self.kernel = _frozen(kernel if np.ndim(kernel) == 3 else np.asarray(kernel)[:, :, None])
        self.bias, self.activation, self.layer = float(bias), str(activation), dict(layer)
        self.filter_name = filter_name
        x = np.stack([np.asarray(p, np.float32) for p in planes], axis=2)
        out = conv2d(x, self.kernel.transpose(2, 0, 1)[None], np.array([self.bias], np.float32),
                     **self.layer)[:, :, 0]  # fmt: skip
        super().__init__(stage, planes, labels, activate(out, self.activation), title=title,
                         note=note, cards=cards)  # fmt: skip
        h, w = self.inputs[0].shape
        self.geometry = MapGeometry.compute(
            (h, w), self.kernel.shape[:2], stride=self.layer.get("stride", 1),
            padding=self.layer.get("padding", "valid"), dilation=self.layer.get("dilation", 1),
        )  # fmt: skip
        g = self.geometry
        pads = ((g.pad_top, g.pad_bottom), (g.pad_left, g.pad_right))
        border = self.layer.get("border", "constant")
        cval = np.float32(self.layer.get("cval", 0.0))
        self.padded = tuple(
            _frozen(np.pad(m, pads, mode="constant", constant_values=cval) if border == "constant"
                    else np.pad(m, pads, mode=border))  # fmt: skip
            for m in self.inputs
        )
        self.number_form = number_form(
            np.concatenate([p.ravel() for p in self.padded]), self.kernel.ravel()
        )
        self._cache: dict[int, CellBreakdown] = {}

    @property
    def pad(self) -> tuple[int, int]:
        return self.geometry.pad_top, self.geometry.pad_left

    def breakdown(self, k: int) -> CellBreakdown:
        """Step ``k``'s arithmetic: one part per map (computed once)."""
        k = self._check_step(k)
        bd = self._cache.get(k)
        if bd is None:
            bd = maps_cell_breakdown(self.inputs, self.kernel, *self.steps[k], bias=self.bias,
                                     activation=self.activation, labels=self.labels,
                                     **self.layer)  # fmt: skip
            self._cache[k] = bd
        return bd

    def window(self, k: int) -> tuple[int, int, int, int]:
        """``(top, left, rows, cols)`` of step ``k``'s window on every map (dilation spread)."""
        y, x = self.geometry.window_origin(*self.steps[self._check_step(k)])
        keh, kew = self.geometry.effective_kernel_hw
        return y, x, keh, kew

    def lines(self, k: int, *, precision: int | None = None, times: str = "×") -> list[str]:
        """Each map's products and partial sum on a line, then the total over the maps, the
        bias, the activation and the value."""
        out = self.breakdown(k).outputs[0]
        form = self.number_form if precision is None else replace(self.number_form, fallback=precision)
        kh, kw = self.kernel.shape[:2]
        lines = equation_lines(out, per_line=kh * kw, times=times, products_only=True, form=form)
        value = format_number(out.value, 3)
        return lines + [f"{self.filter_name} at cell {out_cell(self, k)}: {value}"]


def out_cell(plan: StageLessonPlan, k: int) -> str:
    i, j = plan.steps[k]
    return f"({i}, {j})"
