"""Where a feature-map cell comes from: receptive fields and map placement in input coordinates."""

from __future__ import annotations

from dataclasses import dataclass

from .arguments import as_pair, output_shape, resolve_padding


@dataclass(frozen=True)
class MapGeometry:
    """How a feature map lines up with its input.

    Map cell ``(i, j)`` reads the input window whose top-left input pixel is
    ``(i*sy - pad_top, j*sx - pad_left)`` and whose taps are ``dy``/``dx`` apart.
    Drawn in input-pixel coordinates (pixel ``(y, x)`` covers ``[y, y+1) x [x, x+1)``) the cell
    is an ``sy x sx`` rectangle centred on its window's centre, so a feature sits at the same
    place in the input and in every map.
    """

    in_hw: tuple[int, int]
    kernel_hw: tuple[int, int]
    stride: tuple[int, int]
    dilation: tuple[int, int]
    pad_top: int
    pad_bottom: int
    pad_left: int
    pad_right: int
    out_hw: tuple[int, int]

    @classmethod
    def compute(cls, in_hw, kernel_hw, *, stride=1, padding="valid", dilation=1) -> MapGeometry:
        (pt, pb), (pl, pr) = resolve_padding(in_hw, kernel_hw, stride=stride, padding=padding, dilation=dilation)
        return cls(
            in_hw=(int(in_hw[0]), int(in_hw[1])),
            kernel_hw=(int(kernel_hw[0]), int(kernel_hw[1])),
            stride=as_pair(stride, "stride"),
            dilation=as_pair(dilation, "dilation"),
            pad_top=pt,
            pad_bottom=pb,
            pad_left=pl,
            pad_right=pr,
            out_hw=output_shape(in_hw, kernel_hw, stride=stride, padding=padding, dilation=dilation),
        )

    @classmethod
    def for_layer(cls, in_hw, kernel_hw, layer) -> MapGeometry:
        return cls.compute(in_hw, kernel_hw, stride=layer.stride, padding=layer.padding, dilation=layer.dilation)

    @property
    def effective_kernel_hw(self) -> tuple[int, int]:
        return (
            self.dilation[0] * (self.kernel_hw[0] - 1) + 1,
            self.dilation[1] * (self.kernel_hw[1] - 1) + 1,
        )

    def window_origin(self, i: int, j: int) -> tuple[int, int]:
        """Input coordinates (may be negative or past the edge: padding) of tap ``(0, 0)``."""
        return i * self.stride[0] - self.pad_top, j * self.stride[1] - self.pad_left

    def taps(self, i: int, j: int) -> list[tuple[int, int, int, int, bool]]:
        """Every tap of cell ``(i, j)``: ``(a, b, y, x, inside)`` with kernel index ``(a, b)``,
        input coordinates ``(y, x)``, and whether ``(y, x)`` is a real pixel (False: padding)."""
        y0, x0 = self.window_origin(i, j)
        h, w = self.in_hw
        out = []
        for a in range(self.kernel_hw[0]):
            y = y0 + a * self.dilation[0]
            for b in range(self.kernel_hw[1]):
                x = x0 + b * self.dilation[1]
                out.append((a, b, y, x, 0 <= y < h and 0 <= x < w))
        return out

    def cell_rect(self, i: int, j: int) -> tuple[float, float, float, float]:
        """``(top, left, height, width)`` of map cell ``(i, j)`` drawn in input coordinates."""
        oy, ox = self.placement_offset()
        return oy + i * self.stride[0], ox + j * self.stride[1], float(self.stride[0]), float(self.stride[1])

    def placement_offset(self) -> tuple[float, float]:
        """Input-coordinate position of the top-left corner of map cell ``(0, 0)``."""
        keh, kew = self.effective_kernel_hw
        oy = -self.pad_top + keh / 2.0 - self.stride[0] / 2.0
        ox = -self.pad_left + kew / 2.0 - self.stride[1] / 2.0
        return oy, ox

    def cell_at(self, y: float, x: float) -> tuple[int, int] | None:
        """The map cell drawn under input-coordinate point ``(y, x)``, or None."""
        oy, ox = self.placement_offset()
        i = int((y - oy) // self.stride[0])
        j = int((x - ox) // self.stride[1])
        if 0 <= i < self.out_hw[0] and 0 <= j < self.out_hw[1]:
            return i, j
        return None
