"""A stack in numbers: the maps of a later stage from the maps before it, and the whole stack.

A later conv stage's filter ``o`` makes ``activation(sum_c corr(map_c, W[:, :, c]) + bias)``:
exactly :func:`filterstudio.conv2d` with weight ``W.transpose(2, 0, 1)[None]`` (SPEC.md "A
stack"), computed map by map with the convolve engine on the maps as they are kept, so no stacked
``(H, W, C)`` copy of the input is ever made. A pooling stage pools each map on its own. A
switched-off filter's map reads as zeros; the first stage's maps in ``color`` mode are read as
three maps each (:func:`split_colour`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from ..core.convolution import convolve, output_shape
from ..core.limits import MAX_STAGE_BYTES
from ..core.pipeline import activate, apply_bank_filter, prepare_input
from ..core.pooling import pool2d
from ..core.receptive import StageGeometry
from ..model.bank import Filter, Layer
from ..model.stack import PoolStage, Stack

__all__ = [
    "StackShapes",
    "conv_map",
    "pool_map",
    "run_stack",
    "split_colour",
    "stage_planes",
]

HW = tuple[int, int]


def split_colour(values: np.ndarray) -> tuple[np.ndarray, ...]:
    """A first-stage ``color`` map as three read-only maps (a grey picture's map three times)."""
    if values.ndim == 2:
        return (values,) * 3
    planes = tuple(cv2.split(np.ascontiguousarray(values[:, :, :3], np.float32)))
    for p in planes:
        p.setflags(write=False)
    return planes


def conv_map(
    planes: Sequence[np.ndarray | None], flt: Filter, layer: Layer, in_hw: HW
) -> np.ndarray:
    """One map of a later conv stage: every plane correlated with its slice, summed, bias,
    activation; float32 ``(OH, OW)``.

    ``planes`` are the maps the stage reads (``in_hw`` each), None for a map of zeros (a
    switched-off filter). A slice of zeros adds nothing and is skipped, as ``conv2d`` does.
    """
    kernel = flt.kernel if flt.kernel.ndim == 3 else flt.kernel[:, :, None]
    if kernel.shape[2] != len(planes):
        raise ValueError(
            f"The kernel of {flt.name!r} reads {kernel.shape[2]} maps, but {len(planes)} come in."
        )
    kw = layer.conv_kwargs()
    out_hw = output_shape(in_hw, kernel.shape[:2], stride=kw["stride"], padding=kw["padding"],
                          dilation=kw["dilation"])  # fmt: skip
    if 0 in out_hw:
        raise ValueError("The kernel is larger than the padded map: output size 0.")
    zeros_count = layer.border == "constant" and layer.cval != 0  # zeros padded with cval
    out: np.ndarray | None = None
    for c, plane in enumerate(planes):
        w = kernel[:, :, c]
        if not w.any():
            continue
        if plane is None:
            if not zeros_count:
                continue
            plane = np.zeros(in_hw, np.float32)
        part = convolve(plane, w, **kw)
        if out is None:
            out = part
        else:
            np.add(out, part, out=out)
    if out is None:
        out = np.zeros(out_hw, np.float32)
    if flt.bias:
        with np.errstate(over="ignore", invalid="ignore"):
            out += np.float32(flt.bias)
    return activate(out, flt.activation)


def pool_map(plane: np.ndarray | None, pool: PoolStage, in_hw: HW) -> np.ndarray:
    """One map of a pooling stage: ``pool2d`` of the map it reads (zeros for None)."""
    src = np.zeros(in_hw, np.float32) if plane is None else plane
    return pool2d(src, **pool.pool_kwargs())


@dataclass(frozen=True)
class StackShapes:
    """The size of every map of a stack on a picture, and why a stage cannot be computed.

    ``shapes[k]`` holds one ``(OH, OW)`` per map of stage ``k`` (None where it cannot be
    known); ``problems[k]`` is a sentence when stage ``k`` cannot run at all (its conv maps
    would add up maps of different sizes, or the stage before has none), else None.
    """

    shapes: tuple[tuple[HW | None, ...], ...]
    problems: tuple[str | None, ...]

    @classmethod
    def of(cls, stack: Stack, image_hw: HW) -> StackShapes:
        shapes: list[tuple[HW | None, ...]] = []
        problems: list[str | None] = []
        first = stack.stages[0]
        row = []
        for f in first.filters:
            hw = output_shape(image_hw, f.size, stride=first.layer.stride,
                              padding=first.layer.padding, dilation=first.layer.dilation)  # fmt: skip
            row.append(hw if 0 not in hw else None)
        shapes.append(tuple(row))
        problems.append(None)
        for k in range(1, len(stack.stages)):
            s = stack.stages[k]
            src = [_source_shape(stack, shapes, k, key, ch) for key, ch in stack.sources(k)]
            problem = problems[k - 1] and f"Stage {k + 1} waits for stage {k}, which cannot run."
            if isinstance(s, PoolStage):
                row = []
                for hw in src:
                    out = None
                    if hw is not None:
                        g = StageGeometry.pool(hw, s.size, stride=s.strides, padding=s.padding)
                        out = g.out_hw if 0 not in g.out_hw else None
                    row.append(out)
            else:
                sizes = sorted({hw for hw in src if hw is not None})
                if problem is None and (None in src or not src):
                    problem = f"Stage {k + 1} reads a map of stage {k} that has no cells."
                if problem is None and len(sizes) > 1:
                    (h1, w1), (h2, w2) = sizes[0], sizes[-1]
                    problem = (
                        f"Stage {k + 1} adds up maps of different sizes ({w1}x{h1} and "
                        f"{w2}x{h2}); give the filters of stage {k} one size, or use same padding."
                    )
                row = []
                for f in s.filters:
                    out = None
                    if problem is None:
                        hw = output_shape(sizes[0], f.size, stride=s.layer.stride,
                                          padding=s.layer.padding, dilation=s.layer.dilation)  # fmt: skip
                        out = hw if 0 not in hw else None
                    row.append(out)
            if problem is None:
                cells = sum(hw[0] * hw[1] for hw in row if hw is not None)
                if cells * 4 > MAX_STAGE_BYTES:
                    problem = (
                        f"Stage {k + 1}'s {len(row)} maps would need {cells * 4 / 2**30:.1f} GB; "
                        f"a stage may take at most {MAX_STAGE_BYTES / 2**30:.0f} GB: use fewer "
                        "filters, a stride or pooling."
                    )
            shapes.append(tuple(row))
            problems.append(problem)
        return cls(tuple(shapes), tuple(problems))

    def in_hw(self, stack: Stack, k: int, i: int) -> HW | None:
        """The size of the maps map ``i`` of stage ``k`` reads."""
        key, ch = stack.map_sources(k, i)[0]
        return _source_shape(stack, list(self.shapes), k, key, ch)


def _source_shape(stack: Stack, shapes, k: int, key: str, ch) -> HW | None:
    keys = stack.map_keys(k - 1)
    return shapes[k - 1][keys.index(key)]


def stage_planes(
    stack: Stack, k: int, maps: dict[str, np.ndarray | None]
) -> list[np.ndarray | None]:
    """The maps stage ``k`` reads, in kernel-depth order, from ``maps`` (key -> map; None for
    a switched-off filter's zeros); colour maps split into their channels."""
    planes: list[np.ndarray | None] = []
    split: dict[str, tuple[np.ndarray, ...]] = {}
    for key, ch in stack.sources(k):
        values = maps[key]
        if ch is None or values is None:
            planes.append(values)
        else:
            if key not in split:
                split[key] = split_colour(values)
            planes.append(split[key][ch])
    return planes


def run_stack(
    image: np.ndarray, stack: Stack, *, keep_all: bool = True
) -> list[dict[str, np.ndarray]]:
    """Every stage's maps of ``stack`` on ``image``: one ``{map key: map}`` per stage.

    Maps of switched-off filters are left out (they read as zeros further on). With
    ``keep_all=False`` only the last stage's maps are returned and earlier ones are freed as
    soon as the next stage has them.

    Raises
    ------
    ValueError
        With one sentence: a stage that cannot run (see :class:`StackShapes`), or the engine's.
    """
    shapes = StackShapes.of(stack, image.shape[:2])
    for problem in shapes.problems:
        if problem:
            raise ValueError(problem)
    first = stack.stages[0]
    prepared = prepare_input(image, first.layer.channel_mode)
    current: dict[str, np.ndarray | None] = {}
    for f in first.filters:
        if f.enabled:
            current[f.uid] = apply_bank_filter(prepared, f, first.layer, prepared=True)
        else:
            current[f.uid] = None
    del prepared
    stages = [current]
    for k in range(1, len(stack.stages)):
        s = stack.stages[k]
        planes = stage_planes(stack, k, current)
        in_hw = shapes.in_hw(stack, k, 0)
        nxt: dict[str, np.ndarray | None] = {}
        if isinstance(s, PoolStage):
            for i, (key, plane) in enumerate(zip(stack.map_keys(k), planes)):
                nxt[key] = pool_map(plane, s, shapes.in_hw(stack, k, i))
        else:
            for f in s.filters:
                nxt[f.uid] = conv_map(planes, f, s.layer, in_hw) if f.enabled else None
        del planes
        current = nxt
        stages = stages + [current] if keep_all else [current]
    return [{key: m for key, m in st.items() if m is not None} for st in stages]
