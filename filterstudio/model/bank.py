"""The filter bank: immutable filters and the layer settings they share, as in one CNN layer."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Union

import numpy as np

# The choices live in the vocabulary; importing them here keeps ``bank.BORDERS`` etc. working.
from ..core.limits import MAX_STAGE_DEPTH
from ..core.vocabulary import ACTIVATIONS, BORDERS, CHANNEL_MODES, PADDING_NAMES

MAX_FILTERS = 16
MAX_KERNEL_SIZE = 15
#: A first-stage kernel reads the picture: 1 to 4 channels deep. Kernels of later stages of a
#: stack read the previous stage's maps, up to ``MAX_STAGE_DEPTH`` (see ``model.stack``).
MAX_FIRST_DEPTH = 4

Padding = Union[str, tuple[int, int]]  # noqa: UP007 - a runtime alias on Python 3.10

_uid_counter = itertools.count(1)


def new_uid() -> str:
    """A process-unique identity for a filter; kept across edits so a panel follows its filter."""
    return f"f{next(_uid_counter)}"


def position_of(items: Sequence, uid: str) -> int:
    """The position of the item whose ``uid`` is ``uid`` (a filter, a stage); KeyError if none."""
    for i, item in enumerate(items):
        if item.uid == uid:
            return i
    raise KeyError(uid)


def frozen_kernel(kernel, max_depth: int = MAX_STAGE_DEPTH) -> np.ndarray:
    """Return a read-only float32 copy of ``kernel``, checked for shape and finiteness.

    A depth kernel ``(kh, kw, C)`` may have 1 to ``max_depth`` channels; a filter may sit in any
    stage of a stack, so :class:`Filter` allows the depth of any stage and the stack holds its
    first stage to :data:`MAX_FIRST_DEPTH`.
    """
    try:
        # Values beyond float32 become inf here and are refused below with a sentence.
        with np.errstate(over="ignore", invalid="ignore"):
            arr = np.array(kernel, dtype=np.float32, copy=True)
    except (TypeError, ValueError):
        raise ValueError("A kernel must be a grid of numbers.") from None
    if arr.ndim not in (2, 3):
        raise ValueError(
            f"A kernel must be a 2-D grid (or 3-D with depth); this one has {arr.ndim} dimensions."
        )
    kh, kw = arr.shape[:2]
    if kh < 1 or kw < 1:
        raise ValueError("A kernel needs at least one row and one column.")
    if kh > MAX_KERNEL_SIZE or kw > MAX_KERNEL_SIZE:
        raise ValueError(
            f"A kernel may be at most {MAX_KERNEL_SIZE}x{MAX_KERNEL_SIZE}; this one is {kh}x{kw}."
        )
    if arr.ndim == 3 and not 1 <= arr.shape[2] <= max_depth:
        raise ValueError(
            f"A depth kernel has 1 to {max_depth} channels; this one has {arr.shape[2]}."
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError("A kernel value is not a finite number (NaN or infinity).")
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class Filter:
    """One filter of the bank: a kernel, a bias added after the sum, and an activation."""

    name: str
    kernel: np.ndarray
    bias: float = 0.0
    activation: str = "none"
    enabled: bool = True
    uid: str = field(default_factory=new_uid)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kernel", frozen_kernel(self.kernel))
        if self.activation not in ACTIVATIONS:
            raise ValueError(
                f"Unknown activation {self.activation!r}; choose one of {', '.join(ACTIVATIONS)}."
            )
        if isinstance(self.bias, (bool, str)):
            raise ValueError("The bias must be a number.")
        bias = float(self.bias)
        if not math.isfinite(bias):
            raise ValueError("The bias must be a finite number.")
        object.__setattr__(self, "bias", bias)
        object.__setattr__(self, "name", str(self.name) or "filter")
        # Made once: the compute cycle compares it for every map of a stack at every answer.
        key = (self.kernel.shape, self.kernel.tobytes(), self.bias, self.activation)
        object.__setattr__(self, "_content_key", key)

    @property
    def size(self) -> tuple[int, int]:
        return int(self.kernel.shape[0]), int(self.kernel.shape[1])

    @property
    def size_label(self) -> str:
        kh, kw = self.size
        return f"{kh}x{kw}" if self.kernel.ndim == 2 else f"{kh}x{kw}x{self.kernel.shape[2]}"

    def content_key(self) -> tuple:
        """What the feature map depends on (not the name, not the uid)."""
        return self._content_key

    def same_content(self, other: Filter) -> bool:
        return self.content_key() == other.content_key()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Filter):
            return NotImplemented
        return (
            self.name == other.name
            and self.enabled == other.enabled
            and self.uid == other.uid
            and self.content_key() == other.content_key()
        )

    def __hash__(self) -> int:
        return hash((self.name, self.uid, self.content_key()))

    def with_kernel(self, kernel) -> Filter:
        return replace(self, kernel=kernel)

    def duplicate(self, name: str | None = None) -> Filter:
        return replace(self, name=name or f"{self.name} copy", uid=new_uid())


def _pair(value, what: str) -> tuple[int, int]:
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{what} takes one number or a pair (rows, columns).")
        a, b = value
    else:
        a = b = value
    if isinstance(a, bool) or isinstance(b, bool):
        raise ValueError(f"{what} must be whole numbers.")
    try:
        a_i, b_i = int(a), int(b)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{what} must be whole numbers.") from None
    if a_i != a or b_i != b:
        raise ValueError(f"{what} must be whole numbers.")
    return a_i, b_i


@dataclass(frozen=True)
class Layer:
    """Settings shared by every filter of the bank, as in one convolution layer."""

    stride: tuple[int, int] = (1, 1)
    padding: Padding = "valid"
    border: str = "constant"
    cval: float = 0.0
    dilation: tuple[int, int] = (1, 1)
    channel_mode: str = "color"

    def __post_init__(self) -> None:
        stride = _pair(self.stride, "The stride")
        if min(stride) < 1:
            raise ValueError("The stride must be at least 1.")
        dilation = _pair(self.dilation, "The dilation")
        if min(dilation) < 1:
            raise ValueError("The dilation must be at least 1.")
        padding = self.padding
        if isinstance(padding, str):
            if padding not in PADDING_NAMES:
                raise ValueError(f"Unknown padding {padding!r}; use valid, same, full or a number.")
        else:
            padding = _pair(padding, "The padding")
            if min(padding) < 0:
                raise ValueError("The padding cannot be negative.")
        if self.border not in BORDERS:
            raise ValueError(f"Unknown border {self.border!r}; choose one of {', '.join(BORDERS)}.")
        cval = float(self.cval)
        if not math.isfinite(cval):
            raise ValueError("The border value must be a finite number.")
        if self.channel_mode not in CHANNEL_MODES:
            raise ValueError(
                f"Unknown channel mode {self.channel_mode!r}; choose color, gray or depth."
            )
        object.__setattr__(self, "stride", stride)
        object.__setattr__(self, "dilation", dilation)
        object.__setattr__(self, "padding", padding)
        object.__setattr__(self, "cval", cval)

    def conv_kwargs(self) -> dict:
        """Keyword arguments for :func:`filterstudio.convolve`."""
        return dict(
            stride=self.stride,
            padding=self.padding,
            border=self.border,
            cval=self.cval,
            dilation=self.dilation,
        )


@dataclass(frozen=True)
class Bank:
    """An ordered, immutable collection of filters plus their shared layer settings."""

    filters: tuple[Filter, ...] = ()
    layer: Layer = field(default_factory=Layer)

    def __post_init__(self) -> None:
        filters = tuple(self.filters)
        if len(filters) > MAX_FILTERS:
            raise ValueError(f"A bank holds at most {MAX_FILTERS} filters.")
        object.__setattr__(self, "filters", filters)

    def __len__(self) -> int:
        return len(self.filters)

    def index_of(self, uid: str) -> int:
        """The position of the filter ``uid``."""
        return position_of(self.filters, uid)

    def with_layer(self, **changes) -> Bank:
        return replace(self, layer=replace(self.layer, **changes))

    def with_filter(self, index: int, new: Filter) -> Bank:
        filters = list(self.filters)
        filters[index] = new
        return replace(self, filters=tuple(filters))

    def with_filter_changes(self, index: int, **changes) -> Bank:
        return self.with_filter(index, replace(self.filters[index], **changes))

    def adding(self, new: Filter, index: int | None = None) -> Bank:
        filters = list(self.filters)
        filters.insert(len(filters) if index is None else index, new)
        return replace(self, filters=tuple(filters))

    def removing(self, index: int) -> Bank:
        filters = list(self.filters)
        del filters[index]
        return replace(self, filters=tuple(filters))

    def moving(self, index: int, new_index: int) -> Bank:
        filters = list(self.filters)
        f = filters.pop(index)
        filters.insert(max(0, min(new_index, len(filters))), f)
        return replace(self, filters=tuple(filters))
