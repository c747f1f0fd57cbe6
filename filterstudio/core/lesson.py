"""The sliding-window steps a lesson shows, and the arithmetic behind every feature-map cell."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from .geometry import MapGeometry

# format_number is read from here by older callers; it lives with the lesson's other number rules.
from .lesson_numbers import NumberForm, format_number, number_form  # noqa: F401
from .pipeline import apply_filter, effective_kernel, prepare_input
from .sizes import SIZE_ORDER, kernel_too_large, size_label, size_text

#: Breakdown layouts: one 2-D input, one output per colour channel, or one depth filter.
BREAKDOWN_MODES = ("gray", "color", "depth")

#: Names a lesson uses for the channels of a colour image.
CHANNEL_NAMES = ("red", "green", "blue", "alpha")

_BINARY_TOL = 1e-6


@dataclass(frozen=True)
class Term:
    """One kernel tap of one output cell: an input value times its weight.

    ``(a, b)`` is the kernel row and column, ``(y, x)`` the input row and column (outside the
    image for a padded tap, then ``inside`` is False and ``value`` is the border fill value).
    """

    a: int
    b: int
    y: int
    x: int
    inside: bool
    value: float
    weight: float

    @property
    def product(self) -> float:
        """``value * weight``."""
        return self.value * self.weight


@dataclass(frozen=True)
class ChannelPart:
    """The terms of one input channel (``channel`` None for a one-channel input) and their sum.

    ``label`` names the input when it is not a colour channel: the map of a later stage of a
    stack that this part reads (``"sobel_x"``); ``""`` for a channel of the picture.
    """

    channel: int | None
    terms: tuple[Term, ...]
    total: float
    label: str = ""


@dataclass(frozen=True)
class OutputBreakdown:
    """How one output value is made: sums of products, plus the bias, through the activation.

    ``channel`` is the output channel in colour mode, None otherwise. ``total`` is the sum of
    the parts, ``pre_activation = total + bias`` and ``value`` is the activation of that.
    """

    channel: int | None
    parts: tuple[ChannelPart, ...]
    total: float
    bias: float
    pre_activation: float
    activation: str
    value: float


@dataclass(frozen=True)
class CellBreakdown:
    """The arithmetic of feature-map cell ``(i, j)``.

    ``mode`` is ``"gray"`` (a one-channel input: one output with one part), ``"color"`` (one
    output per image channel, each with one part) or ``"depth"`` (one output whose parts are
    the partial sums of each channel).
    """

    i: int
    j: int
    mode: str
    outputs: tuple[OutputBreakdown, ...]


@dataclass(frozen=True)
class Matches:
    """The taps where a 0/1 kernel holds 1 and the 0/1 input holds 1 ("matching cells")."""

    taps: tuple[Term, ...]
    count: int


def _activate_scalar(value: float, activation: str) -> float:
    if activation == "relu":
        return max(value, 0.0)
    if activation == "abs":
        return abs(value)
    if activation == "none":
        return value
    raise ValueError(f"Unknown activation {activation!r}; choose none, relu or abs.")


def _is_binary(values: np.ndarray) -> bool:
    v = np.asarray(values, dtype=np.float64)
    return bool(np.all((np.abs(v) <= _BINARY_TOL) | (np.abs(v - 1.0) <= _BINARY_TOL)))


def rotate180(kernel: np.ndarray) -> np.ndarray:
    """``kernel`` rotated half a turn in its rows and columns (depth untouched), float32."""
    return np.ascontiguousarray(np.asarray(kernel, dtype=np.float32)[::-1, ::-1])


class _Setup:
    """Everything a breakdown needs, computed once: input, kernel, geometry, padded image."""

    def __init__(self, image: np.ndarray, flt, layer, flip: bool) -> None:
        src = prepare_input(np.asarray(image), layer.channel_mode)
        src = np.asarray(src, dtype=np.float32)
        channels = 1 if src.ndim == 2 else int(src.shape[2])
        kernel = effective_kernel(flt.kernel, layer.channel_mode, channels)
        if flip:
            kernel = rotate180(kernel)
        self.input = src
        self.kernel = np.asarray(kernel, dtype=np.float32)
        self.bias = float(flt.bias)
        self.activation = str(flt.activation)
        if src.ndim == 2:
            self.mode = "gray"
        elif self.kernel.ndim == 3:
            self.mode = "depth"
        else:
            self.mode = "color"
        self.geometry = MapGeometry.for_layer(src.shape[:2], self.kernel.shape[:2], layer)
        g = self.geometry
        pads = [(g.pad_top, g.pad_bottom), (g.pad_left, g.pad_right)]
        if src.ndim == 3:
            pads.append((0, 0))
        if layer.border == "constant":
            padded = np.pad(src, pads, mode="constant", constant_values=np.float32(layer.cval))
        else:
            padded = np.pad(src, pads, mode=layer.border)
        padded.setflags(write=False)
        self.padded = padded

    def breakdown(self, i: int, j: int) -> CellBreakdown:
        g = self.geometry
        oh, ow = g.out_hw
        if not (0 <= i < oh and 0 <= j < ow):
            raise ValueError(f"The feature map has no cell ({i}, {j}); it is {size_label(oh, ow)}.")
        taps = g.taps(i, j)
        pt, pl = g.pad_top, g.pad_left
        k = self.kernel

        def part(channel: int | None, weights: np.ndarray) -> ChannelPart:
            terms = []
            for a, b, y, x, inside in taps:
                pix = self.padded[y + pt, x + pl]
                value = float(pix if channel is None else pix[channel])
                terms.append(Term(a, b, y, x, bool(inside), value, float(weights[a, b])))
            total = math.fsum(t.product for t in terms)
            return ChannelPart(channel, tuple(terms), total)

        def output(channel: int | None, parts: tuple[ChannelPart, ...]) -> OutputBreakdown:
            total = math.fsum(p.total for p in parts)
            pre = total + self.bias
            return OutputBreakdown(
                channel,
                parts,
                total,
                self.bias,
                pre,
                self.activation,
                _activate_scalar(pre, self.activation),
            )

        if self.mode == "gray":
            outputs = (output(None, (part(None, k),)),)
        elif self.mode == "color":
            outputs = tuple(output(c, (part(c, k),)) for c in range(self.input.shape[2]))
        else:
            parts = tuple(part(c, k[:, :, c]) for c in range(self.input.shape[2]))
            outputs = (output(None, parts),)
        return CellBreakdown(int(i), int(j), self.mode, outputs)


def cell_breakdown(
    image: np.ndarray, flt, layer, i: int, j: int, *, flip: bool = False
) -> CellBreakdown:
    """The arithmetic that makes feature-map cell ``(i, j)`` of one filter under one layer.

    Parameters
    ----------
    image : ndarray
        ``(H, W)`` or ``(H, W, C)`` intensities.
    flt : Filter
        Kernel, bias and activation.
    layer : Layer
        Stride, padding, border, dilation and channel mode.
    i, j : int
        Feature-map row and column.
    flip : bool, optional
        True for true convolution (the kernel rotated half a turn), False for correlation.

    Returns
    -------
    CellBreakdown
        Every input value times its weight, the sums, bias and activation; its values equal
        the engine's feature map at ``(i, j)``.

    Examples
    --------
    >>> import numpy as np
    >>> from filterstudio.model.bank import Filter, Layer
    >>> img = np.zeros((8, 8), np.float32); img[:, 3:5] = 1
    >>> flt = Filter("line", [[0, 1, 0], [0, 1, 0], [0, 1, 0]])
    >>> cell_breakdown(img, flt, Layer(), 0, 2).outputs[0].value
    3.0
    """
    return _Setup(image, flt, layer, flip).breakdown(i, j)


def reduce_to_lesson(image: np.ndarray, max_side: int = 16) -> tuple[np.ndarray, str | None]:
    """A copy of ``image`` small enough that every pixel's number fits on a projected screen.

    An image with a side longer than ``max_side`` is reduced by area averaging (each lesson
    pixel is the mean of the pixels it covers), keeping its aspect ratio and its channels.

    Parameters
    ----------
    image : ndarray
        ``(H, W)`` or ``(H, W, C)``.
    max_side : int, optional
        Longest side of the lesson image.

    Returns
    -------
    tuple of (ndarray, str or None)
        The float32 lesson image and a sentence saying how it was reduced (None when it was not).
    """
    img = np.asarray(image, dtype=np.float32)
    if img.ndim not in (2, 3) or img.shape[0] < 1 or img.shape[1] < 1:
        raise ValueError("A lesson needs an image with rows and columns.")
    if max_side < 1:
        raise ValueError("The lesson size must be at least one pixel.")
    h, w = img.shape[:2]
    if max(h, w) <= max_side:
        return img.copy(), None
    factor = max_side / max(h, w)
    new_h = max(1, round(h * factor))
    new_w = max(1, round(w * factor))
    channels = img.shape[2] if img.ndim == 3 else 0
    small = cv2.resize(img, (new_w, new_h), interpolation=cv2.INTER_AREA)
    if channels and small.ndim == 2:
        # OpenCV drops a single channel axis; keep the caller's shape.
        small = small[:, :, None]
    note = (
        f"The image ({size_text(h, w)} pixels, {SIZE_ORDER}) was reduced to "
        f"{size_text(new_h, new_w)} by averaging neighbouring pixels, so that every number "
        "fits on the screen."
    )
    return np.ascontiguousarray(small, dtype=np.float32), note


class LessonPlan:
    """A lesson: the feature map built step by step, one output cell per step, in reading order.

    Build it with :func:`build_lesson`. Step ``k`` makes output cell ``steps[k]``.

    Attributes
    ----------
    image : ndarray
        The lesson image (reduced if the given one was large), as given: grey or colour.
    note : str or None
        How the image was reduced, or None.
    input : ndarray
        What the convolution sees (luma in grey mode), float32.
    kernel : ndarray
        The kernel as applied (summed or repeated for the channel mode, rotated when ``flip``).
    geometry : MapGeometry
        Window positions, padding and output size.
    mode : str
        ``"gray"``, ``"color"`` or ``"depth"`` (see :class:`CellBreakdown`).
    padded_image : ndarray
        ``input`` with its padding filled per the border mode; input pixel ``(y, x)`` is
        ``padded_image[y + pad_offset[0], x + pad_offset[1]]``.
    result : ndarray
        The full feature map from the engine.
    """

    def __init__(
        self, image: np.ndarray, flt, layer, *, flip: bool = False, note: str | None = None
    ) -> None:
        self.image = np.asarray(image, dtype=np.float32)
        self.image.setflags(write=False)
        self.note = note
        self.filter = flt
        self.layer = layer
        self.flip = bool(flip)
        self._setup = _Setup(self.image, flt, layer, self.flip)
        s = self._setup
        self.input = s.input
        self.kernel = s.kernel
        self.geometry = s.geometry
        self.mode = s.mode
        self.padded_image = s.padded
        self.bias = s.bias
        self.activation = s.activation
        oh, ow = self.geometry.out_hw
        if oh == 0 or ow == 0:
            g = self.geometry
            padded = (g.in_hw[0] + g.pad_top + g.pad_bottom, g.in_hw[1] + g.pad_left + g.pad_right)
            raise ValueError(kernel_too_large(g.kernel_hw, g.dilation, padded))
        self.steps: tuple[tuple[int, int], ...] = tuple(
            (i, j) for i in range(oh) for j in range(ow)
        )
        result = apply_filter(
            self.image,
            flt.kernel,
            bias=flt.bias,
            activation=flt.activation,
            channel_mode=layer.channel_mode,
            flip=self.flip,
            **layer.conv_kwargs(),
        )
        result = np.asarray(result, dtype=np.float32)
        result.setflags(write=False)
        self.result = result
        self._cache: dict[int, CellBreakdown] = {}
        self._binary = _is_binary(self.kernel) and _is_binary(self.padded_image)
        #: How this lesson writes its numbers: exactly where it can, the same in every step.
        self.number_form: NumberForm = number_form(self.padded_image, self.kernel)

    def __len__(self) -> int:
        return len(self.steps)

    @property
    def step_count(self) -> int:
        """Number of steps: one per feature-map cell."""
        return len(self.steps)

    @property
    def pad_offset(self) -> tuple[int, int]:
        """``(top, left)``: where input pixel ``(0, 0)`` sits in :attr:`padded_image`."""
        return self.geometry.pad_top, self.geometry.pad_left

    @property
    def channels(self) -> int:
        """Channels of :attr:`input` (1 for a 2-D input)."""
        return 1 if self.input.ndim == 2 else int(self.input.shape[2])

    def _check_step(self, k: int) -> int:
        k = int(k)
        if not 0 <= k < len(self.steps):
            raise IndexError(f"The lesson has steps 0 to {len(self.steps) - 1}, not {k}.")
        return k

    def step_of_cell(self, i: int, j: int) -> int:
        """The step that makes output cell ``(i, j)``."""
        oh, ow = self.geometry.out_hw
        if not (0 <= i < oh and 0 <= j < ow):
            raise ValueError(f"The feature map has no cell ({i}, {j}); it is {size_label(oh, ow)}.")
        return int(i) * ow + int(j)

    def window_origin(self, k: int) -> tuple[int, int]:
        """Input coordinates of the kernel window's top-left tap at step ``k``."""
        i, j = self.steps[self._check_step(k)]
        return self.geometry.window_origin(i, j)

    def breakdown(self, k: int) -> CellBreakdown:
        """The arithmetic of step ``k`` (computed once, then cached)."""
        k = self._check_step(k)
        bd = self._cache.get(k)
        if bd is None:
            bd = self._setup.breakdown(*self.steps[k])
            self._cache[k] = bd
        return bd

    def partial_map(self, k: int) -> np.ndarray:
        """The feature map as it stands after step ``k``: later cells are NaN.

        ``k = -1`` gives a map with no cell filled yet.
        """
        k = int(k)
        if not -1 <= k < len(self.steps):
            raise IndexError(f"The lesson has steps 0 to {len(self.steps) - 1}, not {k}.")
        out = np.array(self.result, dtype=np.float32, copy=True)
        oh, ow = self.geometry.out_hw
        flat = out.reshape(oh * ow, -1)
        flat[k + 1 :] = np.nan
        return out

    def matches(self, k: int) -> Matches | None:
        """Matching cells of step ``k`` for a 0/1 kernel on a 0/1 image; None otherwise.

        A matching cell is a tap where the kernel holds 1 and the (padded) input holds 1, so
        their count is the sum of the products. Defined for one-channel inputs only.
        """
        if not self._binary or self.mode != "gray":
            return None
        bd = self.breakdown(k)
        taps = tuple(
            t
            for t in bd.outputs[0].parts[0].terms
            if abs(t.weight - 1.0) <= _BINARY_TOL and abs(t.value - 1.0) <= _BINARY_TOL
        )
        return Matches(taps, len(taps))


def build_lesson(
    image: np.ndarray, flt, layer, *, flip: bool = False, max_side: int = 16
) -> LessonPlan:
    """Plan a lesson: ``image`` reduced to at most ``max_side`` pixels a side, then every step.

    Parameters
    ----------
    image : ndarray
        ``(H, W)`` or ``(H, W, C)`` intensities in [0, 1].
    flt : Filter
        The filter the lesson slides over the image.
    layer : Layer
        Stride, padding, border, dilation and channel mode.
    flip : bool, optional
        True to show true convolution (kernel rotated half a turn) instead of correlation.
    max_side : int, optional
        Longest side of the lesson image; a larger image is area-averaged down.

    Returns
    -------
    LessonPlan

    Raises
    ------
    ValueError
        When the kernel does not fit in the padded image, or the filter and image disagree.

    Examples
    --------
    >>> import numpy as np
    >>> from filterstudio.model.bank import Filter, Layer
    >>> plan = build_lesson(np.eye(7, dtype=np.float32), Filter("id", [[1]] ), Layer())
    >>> plan.step_count
    49
    """
    small, note = reduce_to_lesson(image, max_side)
    return LessonPlan(small, flt, layer, flip=flip, note=note)


def channel_label(channel: int | None) -> str:
    """``"red"``, ``"green"`` ... for a channel index, ``""`` for None."""
    if channel is None:
        return ""
    return CHANNEL_NAMES[channel] if channel < len(CHANNEL_NAMES) else f"channel {channel}"


def part_label(part: ChannelPart) -> str:
    """What a part of a sum reads: its map's name, or its colour channel (``"red"``)."""
    return part.label or channel_label(part.channel)


def activation_label(activation: str) -> str:
    """How an activation reads in an equation: ``ReLU``, ``abs`` or ``""`` for none."""
    return {"relu": "ReLU", "abs": "abs", "none": ""}.get(activation, activation)
