"""Which picture pixels a cell of any stage of a stack reads: SPEC.md's receptive field."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .arguments import as_pair, output_shape, resolve_padding, whole
from .pooling import _padding


@dataclass(frozen=True)
class StageGeometry:
    """One stage of a stack as its receptive field sees it.

    ``kernel`` is the effective window ``(rows, cols)``, dilation included (a pooling stage's
    size); ``stride`` the step; ``padding`` the cells added above and to the left. ``in_hw`` and
    ``out_hw`` are the stage's map sizes when known (the constructors fill them).
    """

    kernel: tuple[int, int]
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)
    in_hw: tuple[int, int] | None = None
    out_hw: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "kernel", as_pair(self.kernel, "kernel size"))
        object.__setattr__(self, "stride", as_pair(self.stride, "stride"))
        pads = tuple(whole(v, "padding") for v in _pair_of(self.padding, "padding"))
        if min(pads) < 0:
            raise ValueError("The padding cannot be negative.")
        object.__setattr__(self, "padding", pads)
        for name in ("in_hw", "out_hw"):
            value = getattr(self, name)
            if value is not None:
                hw = tuple(whole(v, "map size") for v in _pair_of(value, "map size"))
                if min(hw) < 0:
                    raise ValueError("A map size cannot be negative.")
                object.__setattr__(self, name, hw)

    @classmethod
    def conv(cls, in_hw, kernel_hw, *, stride=1, padding="valid", dilation=1) -> StageGeometry:
        """A conv stage on maps of ``in_hw``: ``padding`` as ``convolve`` takes it."""
        kh, kw = as_pair(kernel_hw, "kernel size")
        dy, dx = as_pair(dilation, "dilation")
        (pt, _), (pl, _) = resolve_padding(
            in_hw, (kh, kw), stride=stride, padding=padding, dilation=(dy, dx)
        )
        out_hw = output_shape(in_hw, (kh, kw), stride=stride, padding=padding, dilation=(dy, dx))
        return cls(
            kernel=(dy * (kh - 1) + 1, dx * (kw - 1) + 1),
            stride=stride,
            padding=(pt, pl),
            in_hw=(int(in_hw[0]), int(in_hw[1])),
            out_hw=out_hw,
        )

    @classmethod
    def pool(cls, in_hw, size, *, stride=None, padding=0) -> StageGeometry:
        """A pooling stage on maps of ``in_hw``, as ``pool2d`` takes its arguments."""
        ph, pw = as_pair(size, "pool size")
        sy, sx = as_pair((ph, pw) if stride is None else stride, "stride")
        py, px = _padding(padding, (ph, pw))
        h, w = int(in_hw[0]), int(in_hw[1])
        oh = (h + 2 * py - ph) // sy + 1 if h + 2 * py >= ph else 0
        ow = (w + 2 * px - pw) // sx + 1 if w + 2 * px >= pw else 0
        return cls(kernel=(ph, pw), stride=(sy, sx), padding=(py, px), in_hw=(h, w), out_hw=(oh, ow))


def _pair_of(value, what: str) -> tuple:
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"The {what} takes one whole number or a pair (rows, columns).")
        return tuple(value)
    return value, value


@dataclass(frozen=True)
class Field:
    """A rectangle of picture pixels: rows ``top .. top + height - 1``, columns likewise.

    It may reach past the picture's edges: those rows and columns are padding.
    """

    top: int
    left: int
    height: int
    width: int

    @property
    def bottom(self) -> int:
        """One past the last row."""
        return self.top + self.height

    @property
    def right(self) -> int:
        """One past the last column."""
        return self.left + self.width

    def clipped(self, hw) -> Field | None:
        """The part inside a picture of ``hw = (H, W)``, or None when none of it is."""
        h, w = int(hw[0]), int(hw[1])
        top, left = max(self.top, 0), max(self.left, 0)
        bottom, right = min(self.bottom, h), min(self.right, w)
        if bottom <= top or right <= left:
            return None
        return Field(top, left, bottom - top, right - left)


@dataclass(frozen=True)
class Growth:
    """One stage's line of the receptive field's growth: ``size = before + (k - 1) * jump``."""

    kernel: tuple[int, int]  # effective window of this stage
    stride: tuple[int, int]
    padding: tuple[int, int]
    jump: tuple[int, int]  # S_(l-1): picture pixels between neighbouring cells of the input
    size: tuple[int, int]  # r after this stage
    offset: tuple[int, int]  # sum of p_l * S_(l-1) so far: cell 0 starts at -offset


def _stages(stages) -> list[StageGeometry]:
    if isinstance(stages, StageGeometry):
        return [stages]
    if not isinstance(stages, Sequence) or not stages:
        raise ValueError("A receptive field needs a list of at least one stage.")
    for s in stages:
        if not isinstance(s, StageGeometry):
            raise ValueError(f"Every stage must be a StageGeometry, not {type(s).__name__}.")
    return list(stages)


def growth(stages) -> list[Growth]:
    """StageGeometry by stage: the jump between cells, the size ``r`` and the offset so far."""
    jump = [1, 1]
    size = [1, 1]
    offset = [0, 0]
    lines = []
    for s in _stages(stages):
        before = tuple(jump)
        for axis in (0, 1):
            size[axis] += (s.kernel[axis] - 1) * jump[axis]
            offset[axis] += s.padding[axis] * jump[axis]
            jump[axis] *= s.stride[axis]
        lines.append(Growth(s.kernel, s.stride, s.padding, before, tuple(size), tuple(offset)))
    return lines


def receptive_size(stages) -> tuple[int, int]:
    """``r = 1 + sum_l (k_l - 1) * S_(l-1)``, rows and columns, after the last stage."""
    return growth(stages)[-1].size


def receptive_field(stages, cell) -> Field:
    """The picture rectangle that cell ``(i, j)`` of the last of ``stages`` reads.

    Rows ``i * S_L - sum_l p_l * S_(l-1)`` through that plus ``r - 1`` (SPEC.md), columns
    likewise; parts outside the picture are padding (see :meth:`Field.clipped`).

    Examples
    --------
    >>> conv = StageGeometry.conv((32, 32), 3)  # 3x3, valid: 30x30 maps
    >>> pool = StageGeometry.pool(conv.out_hw, 2)  # 2x2 max pool: 15x15
    >>> receptive_field([conv, pool], (4, 7))
    Field(top=8, left=14, height=4, width=4)
    """
    stages = _stages(stages)
    try:
        i, j = (whole(v, "cell") for v in _pair_of(cell, "cell"))
    except TypeError:
        raise ValueError("The cell must be a pair (row, column).") from None
    last = stages[-1].out_hw
    if i < 0 or j < 0 or (last is not None and (i >= last[0] or j >= last[1])):
        size = "" if last is None else f" of a {last[0]}x{last[1]} map"
        raise ValueError(f"The cell ({i}, {j}) is not a cell{size}.")
    lines = growth(stages)
    end = lines[-1]
    jump = (end.jump[0] * end.stride[0], end.jump[1] * end.stride[1])
    return Field(
        top=i * jump[0] - end.offset[0],
        left=j * jump[1] - end.offset[1],
        height=end.size[0],
        width=end.size[1],
    )
