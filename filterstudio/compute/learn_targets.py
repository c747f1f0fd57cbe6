"""What the Learn view fits: a target and the picture it comes from, lined up with a kernel's map.

A target is one of three things: the map of one of the bank's filters, another picture of the
same size (a photo and its edited copy), or a hidden "mystery kernel" drawn at random. Its
values sit on a grid of cells over the picture; a kernel of another size, or other layer
settings, makes a map on another grid. :func:`align` picks the target's cells that sit under
the centres of the new map's cells, so a 5x5 kernel can be fitted to a 3x3 filter's map, and an
edited photo (one value per pixel) to a kernel's map without padding. :meth:`LearnTarget.problem`
does the work a fit needs (preparing the picture, making a mystery kernel's map, lining up)
and is meant to run off the GUI thread. No Qt.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..core.convolution import output_shape, resolve_padding
from ..core.fit_inputs import inner_cells, unclipped
from ..core.mystery import MysteryKernel
from ..core.pipeline import prepare_input, to_luma
from ..core.readonly import read_only
from ..model.bank import Filter, Layer

__all__ = [
    "KERNEL_SIDES",
    "PLAIN",
    "CellGrid",
    "LearnProblem",
    "LearnSettings",
    "LearnTarget",
    "align",
    "check_size",
    "display_limits",
    "layer_label",
    "map_grid",
    "map_target",
    "mystery_target",
    "picture_target",
    "resized_target",
]

#: Kernel sides the Learn view offers (rows and columns chosen apart).
KERNEL_SIDES = (1, 2, 3, 4, 5, 6, 7)

#: The plain settings: stride 1, no padding, no dilation.
PLAIN = Layer()


def check_size(size) -> tuple[int, int]:
    """``size`` (a side or ``(rows, cols)``) as a pair of sides the Learn view offers."""
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
        size = (int(size), int(size))
    try:
        kh, kw = (int(v) for v in size)
    except (TypeError, ValueError):
        raise ValueError(
            f"A kernel size is a side or two sides from 1 to 7, not {size!r}."
        ) from None
    if kh not in KERNEL_SIDES or kw not in KERNEL_SIDES:
        raise ValueError(f"A kernel to learn is 1 to 7 cells on a side, not {kh}x{kw}.")
    return kh, kw


def layer_label(layer: Layer) -> str:
    """Short words for the settings a fit uses, e.g. ``"stride 2, padding same, reflect"``."""
    parts = []
    sy, sx = layer.stride
    parts.append(f"stride {sy}" if sy == sx else f"stride {sy}x{sx}")
    pad = layer.padding
    parts.append(f"padding {pad}" if isinstance(pad, str) else f"padding {pad[0]},{pad[1]}")
    if pad != "valid" and pad != (0, 0):
        parts.append(layer.border if layer.border != "constant" else f"border {layer.cval:g}")
    if layer.dilation != (1, 1):
        dy, dx = layer.dilation
        parts.append(f"dilation {dy}" if dy == dx else f"dilation {dy}x{dx}")
    return ", ".join(parts)


@dataclass(frozen=True)
class LearnSettings:
    """The kernel to learn: its size, whether it has a bias, and which layer settings it uses
    (the bank's, or :data:`PLAIN`)."""

    size: tuple[int, int] = (3, 3)
    bias: bool = True
    use_layer: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "size", check_size(self.size))
        if not isinstance(self.bias, bool) or not isinstance(self.use_layer, bool):
            raise ValueError("The bias and layer choices are True or False.")

    def layer(self, bank_layer: Layer) -> Layer:
        """The settings a fit uses: the bank's layer or the plain one."""
        return bank_layer if self.use_layer else PLAIN


@dataclass(frozen=True)
class CellGrid:
    """Where a map's cells sit over its picture.

    The kernel centre of cell ``(i, j)`` lies on picture pixel ``(offset[0] + i * step[0],
    offset[1] + j * step[1])``; ``shape`` is the map's ``(rows, cols)``. A picture itself is the
    grid with offset 0, step 1.
    """

    offset: tuple[int, int]
    step: tuple[int, int]
    shape: tuple[int, int]


def map_grid(in_hw, kernel_hw, layer: Layer) -> CellGrid:
    """The grid of the map a ``kernel_hw`` kernel makes of an ``in_hw`` picture under ``layer``."""
    kw_ = dict(stride=layer.stride, padding=layer.padding, dilation=layer.dilation)
    (pt, _), (pl, _) = resolve_padding(in_hw, kernel_hw, **kw_)
    oh, ow = output_shape(in_hw, kernel_hw, **kw_)
    dy, dx = layer.dilation
    kh, kw = (int(v) for v in kernel_hw)
    return CellGrid((dy * ((kh - 1) // 2) - pt, dx * ((kw - 1) // 2) - pl), layer.stride, (oh, ow))


def align(values: np.ndarray, source: CellGrid, wanted: CellGrid) -> np.ndarray:
    """The cells of ``values`` (on ``source``) under the centres of ``wanted``'s cells (a view).

    Raises
    ------
    ValueError
        With a sentence when some wanted cell has no target cell under its centre: another
        stride, or a map reaching past the target's edge.
    """
    if min(wanted.shape) < 1:
        raise ValueError("The kernel does not fit in the picture with these settings.")
    index = []
    for axis in (0, 1):
        d = wanted.offset[axis] - source.offset[axis]
        s_from, s_to = source.step[axis], wanted.step[axis]
        if d % s_from or s_to % s_from:
            raise ValueError(
                f"The target's cells lie {s_from} pixels apart, and a map with these settings "
                f"puts its cells {s_to} apart, not on them; fit it with the layer it was made "
                "with."
            )
        first, step = d // s_from, s_to // s_from
        last = first + (wanted.shape[axis] - 1) * step
        if first < 0 or last >= source.shape[axis]:
            oh, ow = wanted.shape
            th, tw = source.shape
            raise ValueError(
                f"This kernel's {oh}x{ow} map reaches past the {th}x{tw} target's edge; "
                "choose a smaller kernel or less padding."
            )
        index.append(slice(first, last + 1, step))
    return values[index[0], index[1]]


@dataclass(frozen=True, eq=False)
class LearnProblem:
    """A picture and its target lined up for one kernel size and one set of layer settings.

    ``picture`` and ``target`` are read-only float32 arrays as :func:`fit_kernel` takes them;
    ``mask`` (None: every value counts) leaves out the values a photo editor clipped.
    ``limits`` (:func:`display_limits`) are the range the target and every learned map are shown
    over.
    """

    picture: np.ndarray
    target: np.ndarray
    size: tuple[int, int]
    layer: Layer
    bias: bool
    mask: np.ndarray | None
    limits: tuple[float, float]

    def fit_kwargs(self) -> dict:
        """Keyword arguments for ``fit_kernel_report`` and ``KernelDescent`` (no mask)."""
        return dict(size=self.size, bias=self.bias, **self.layer.conv_kwargs())


def display_limits(values: np.ndarray) -> tuple[float, float]:
    """The range a target is shown over: its 0.5th to 99.5th percentile (of at most a million
    values), so a few extreme cells (a sharpened edge, text) do not grey out the rest."""
    flat = values.reshape(-1)
    sample = flat[:: max(1, flat.size // (1 << 20))]
    lo, hi = (float(v) for v in np.percentile(sample, [0.5, 99.5]))
    if not hi > lo:
        lo, hi = float(flat.min()), float(flat.max())
    return lo, hi


@dataclass(frozen=True, eq=False)
class LearnTarget:
    """What to learn: the picture a kernel reads and the values it should make.

    Attributes
    ----------
    kind : str
        ``"map"``, ``"picture"`` or ``"mystery"``.
    name : str
        How the view names it, e.g. ``"the map of sobel_x"``.
    source : ndarray
        The studio's picture (read-only float32).
    channel_mode : str
        How the picture is read: ``"color"`` (each channel alone) or ``"gray"`` (luma).
    values : ndarray or None
        The target on ``grid`` (read-only float32); None for a mystery kernel, whose map is made
        for each kernel size and set of settings.
    grid : CellGrid or None
    mystery : MysteryKernel or None
    image_key : int
        The studio picture's key when the target was chosen.
    """

    kind: str
    name: str
    source: np.ndarray
    channel_mode: str
    values: np.ndarray | None
    grid: CellGrid | None
    mystery: MysteryKernel | None = None
    image_key: int = 0

    def picture(self) -> np.ndarray:
        """The picture a kernel reads (luma in grey mode); costs a pass over a colour picture."""
        pic = prepare_input(self.source, self.channel_mode)
        if pic is not self.source and pic.flags.writeable:
            pic.setflags(write=False)
        return pic

    def problem(self, size, layer: Layer, bias: bool = True) -> LearnProblem:
        """The picture and this target lined up for a ``size`` kernel under ``layer``.

        Runs a mystery kernel over the whole picture: call it off the GUI thread.
        """
        size = check_size(size)
        pic = self.picture()
        wanted = map_grid(pic.shape[:2], size, layer)
        mask = None
        if self.mystery is not None:
            target, mask = _mystery_map(self.mystery, pic, layer, wanted)
        else:
            target = np.ascontiguousarray(align(self.values, self.grid, wanted))
        if target.size == 0:
            raise ValueError("The kernel does not fit in the picture with these settings.")
        read_only(target)
        if self.kind == "picture":
            # A photo editor clips its result to black and white: a value at either end says
            # only that the filter's value was at or past it.
            # Left out only while enough values stay to pin the weights down.
            keep = unclipped(target)
            kept = np.count_nonzero(keep)
            if kept < keep.size and kept >= 10 * (size[0] * size[1] + 1):
                mask = read_only(keep)
        elif mask is not None and np.count_nonzero(mask) < 10 * (size[0] * size[1] + 1):
            raise ValueError("The kernel does not fit in the picture with these settings.")
        return LearnProblem(pic, target, size, layer, bool(bias), mask, display_limits(target))


def _mystery_map(mystery: MysteryKernel, pic: np.ndarray, layer: Layer, wanted: CellGrid):
    """A mystery kernel's map on the ``wanted`` grid, and which of its cells to fit.

    Under the layer's own settings when its map covers the wanted cells; else (a kernel of
    another size whose map reaches further) made with enough padding, the cells whose mystery
    window read that padding left out of the fit (None when none are).
    """
    options = layer.conv_kwargs()
    grid = map_grid(pic.shape[:2], mystery.kernel.shape, layer)
    try:
        return np.ascontiguousarray(align(mystery.target(pic, **options), grid, wanted)), None
    except ValueError:
        pass
    dy, dx = layer.dilation
    mh, mw = mystery.kernel.shape
    pad = (max(0, dy * ((mh - 1) // 2) - wanted.offset[0]),
           max(0, dx * ((mw - 1) // 2) - wanted.offset[1]))  # fmt: skip
    options["padding"] = pad
    padded = Layer(layer.stride, pad, layer.border, layer.cval, layer.dilation)
    grid = map_grid(pic.shape[:2], mystery.kernel.shape, padded)
    values = align(mystery.target(pic, **options), grid, wanted)
    inner = align(inner_cells(pic.shape[:2], mystery.kernel.shape, **options), grid, wanted)
    keep = None if inner.all() else read_only(np.ascontiguousarray(inner))
    return np.ascontiguousarray(values), keep


def map_target(image: np.ndarray, flt: Filter, layer: Layer, values: np.ndarray,
               *, image_key: int = 0) -> LearnTarget:  # fmt: skip
    """The exact map ``values`` that filter ``flt`` made of ``image`` under ``layer``.

    Raises
    ------
    ValueError
        For a depth layer (one kernel per channel, summed): the Learn view fits one kernel
        that every channel shares.
    """
    if layer.channel_mode == "depth":
        raise ValueError(
            "A depth layer sums a kernel per channel; the Learn view fits one kernel shared by "
            "the channels: switch the layer's channels to colour or grey to learn this map."
        )
    in_hw = image.shape[:2]
    grid = map_grid(in_hw, flt.size, layer)
    if tuple(values.shape[:2]) != grid.shape:
        raise ValueError(f"The map of {flt.name} is not current; wait until it is computed.")
    return LearnTarget("map", f"the map of {flt.name}", image, layer.channel_mode, values, grid,
                       image_key=image_key)  # fmt: skip


def mystery_target(image: np.ndarray, mystery: MysteryKernel, channel_mode: str = "color",
                   *, image_key: int = 0) -> LearnTarget:  # fmt: skip
    """A hidden kernel's map of ``image`` (made when the problem is, for the settings chosen)."""
    mode = "gray" if channel_mode == "gray" else "color"
    return LearnTarget("mystery", "a mystery kernel", image, mode, None, None, mystery,
                       image_key=image_key)  # fmt: skip


def _size_text(hw) -> str:
    return f"{hw[1]}x{hw[0]}"


def picture_target(image: np.ndarray, other: np.ndarray, name: str, *, image_key: int = 0
                   ) -> tuple[LearnTarget, str | None]:  # fmt: skip
    """Another picture of the same size as the target, each pixel on its own pixel.

    Returns the target and, when the two differ in colour, the sentence saying both are then
    fitted in grey.

    Raises
    ------
    ValueError
        When the two pictures differ in size (:func:`resized_target` makes one fit).
    """
    if other.shape[:2] != image.shape[:2]:
        raise ValueError(
            f"{name} is {_size_text(other.shape)} but the picture is {_size_text(image.shape)}: "
            "a target must be the same size as the picture."
        )
    note = None
    mode = "color"
    colour = lambda a: a.ndim == 3 and a.shape[2] > 1  # noqa: E731
    if colour(image) != colour(other):
        mode = "gray"
        note = f"{name} and the picture differ in colour, so both are fitted in grey."
    values = other if mode == "color" else to_luma(other)
    if values.ndim == 3 and values.shape[2] == 1:
        values = values[:, :, 0]
    values = read_only(np.ascontiguousarray(values, dtype=np.float32))
    grid = CellGrid((0, 0), (1, 1), tuple(values.shape[:2]))
    target = LearnTarget("picture", name, image, mode, values, grid, image_key=image_key)
    return target, note


def resized_target(other: np.ndarray, hw) -> np.ndarray:
    """``other`` resized to ``hw`` = ``(rows, cols)`` (area averaging down, cubic up), float32."""
    h, w = int(hw[0]), int(hw[1])
    shrink = h * w < other.shape[0] * other.shape[1]
    method = cv2.INTER_AREA if shrink else cv2.INTER_CUBIC
    out = cv2.resize(np.ascontiguousarray(other, dtype=np.float32), (w, h), interpolation=method)
    out = out.reshape((h, w) + other.shape[2:])
    if not shrink:
        np.clip(out, 0.0, 1.0, out=out)
    return out
