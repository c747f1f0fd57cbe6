"""The lines that make a convolve snippet one filter's map: the channel mode's input, bias, activation.

:func:`filterstudio.kernel_code` writes a program that redoes one ``convolve`` call. A filter of
the studio's bank does a little more (:func:`filterstudio.core.pipeline.apply_filter`): its
channel mode decides what the kernel sees (the picture's luma in grey mode) and how a depth
kernel meets it, and a bias and an activation follow the sum. This module checks those
options, works out the kernel as it is applied (``effective_kernel``) and writes the lines
that go before and after the library's own code; ``kernel_code`` puts them in place.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .kernels import format_value
from .limits import FLOAT32_LIMIT
from .pipeline import LUMA, effective_kernel

__all__ = ["ACTIVATIONS", "CHANNEL_MODES", "FilterStep", "check_filter_options"]

CHANNEL_MODES = ("color", "gray", "depth")
ACTIVATIONS = ("none", "relu", "abs")


@dataclass(frozen=True)
class FilterStep:
    """What a filter adds around its convolution, checked.

    ``mode`` is None for a plain ``convolve`` call (the kernel as given), else the channel
    mode. ``channels`` is the number of channels of the picture the program is for (None when
    ``mode`` is None). ``summed`` is the depth of a depth kernel added up to one plane (grey and
    colour modes, or a grey picture in depth mode); ``repeated`` the number of channels a 2-D
    kernel is laid on in depth mode.
    """

    mode: str | None = None
    channels: int | None = None
    bias: float = 0.0
    activation: str = "none"
    summed: int | None = None
    repeated: int | None = None

    @property
    def is_filter(self) -> bool:
        """Whether the program redoes ``apply_filter`` rather than a plain ``convolve``."""
        return self.mode is not None or self.bias != 0.0 or self.activation != "none"

    def call_options(self) -> list[str]:
        """The options of the ``apply_filter`` call the program redoes, as ``key=value`` text."""
        parts = []
        if self.mode is not None:
            parts.append(f"channel_mode={self.mode!r}")
        if self.bias != 0.0:
            parts.append(f"bias={format_value(self.bias)}")
        if self.activation != "none":
            parts.append(f"activation={self.activation!r}")
        return parts

    def image_shape(self) -> str | None:
        """The shape of ``image`` the program expects, or None to let the kernel say."""
        if self.channels is None:
            return None
        return "(H, W)" if self.channels == 1 else f"(H, W, {self.channels})"

    def kernel_note(self) -> list[str]:
        """A comment on how the filter's kernel became the one written."""
        if self.summed is not None:
            why = {
                "gray": "grey mode filters one channel",
                "color": "colour mode filters each channel with one 2-D kernel",
                "depth": "the picture has one channel",
            }[self.mode]
            return [f"# the depth kernel's {self.summed} channels added up: {why}"]
        return []

    def input_lines(self) -> list[str]:
        """Lines that turn the picture into what the kernel sees (grey mode: its luma)."""
        if self.mode != "gray" or self.channels == 1:
            return []
        weights = ", ".join(format_value(float(w)) for w in LUMA)
        return [
            "# grey mode: the kernel sees the picture's luma, 0.299 R + 0.587 G + 0.114 B",
            f"image = image[:, :, :3] @ np.array([{weights}], dtype=np.float32)",
        ]

    def output_lines(self) -> list[str]:
        """Lines that add the bias and apply the activation to ``out``."""
        lines = []
        if self.bias != 0.0:
            lines.append(
                f"out = out + np.float32({format_value(self.bias)})"
                "  # the bias, added to every value after the sum"
            )
        if self.activation == "relu":
            lines.append("out = np.maximum(out, 0)  # ReLU: negative values become 0")
        elif self.activation == "abs":
            lines.append("out = np.abs(out)  # abs: negative values lose their sign")
        return lines


def _whole(value, what: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"The {what} must be a whole number, not {value!r}.")
    return int(value)


def check_filter_options(
    kernel32: np.ndarray, channel_mode, channels, bias, activation
) -> tuple[np.ndarray, FilterStep]:
    """Check the filter's options; return the kernel as it is applied and the :class:`FilterStep`.

    ``kernel32`` is the checked float32 kernel. Without a ``channel_mode`` the kernel is used
    as given (``convolve``'s rules) and ``channels`` must be None.
    """
    if isinstance(bias, np.ndarray) and bias.ndim == 0:
        bias = bias.item()
    if isinstance(bias, (bool, np.bool_)) or not isinstance(
        bias, (int, float, np.integer, np.floating)
    ):
        raise ValueError(f"The bias must be a number, not {bias!r}.")
    if not math.isfinite(float(bias)) or abs(float(bias)) >= FLOAT32_LIMIT:
        raise ValueError(
            f"The bias must be a finite number that fits a 32-bit float, not {float(bias)!r}."
        )
    if not isinstance(activation, str) or activation not in ACTIVATIONS:
        raise ValueError(f"Unknown activation {activation!r}; choose none, relu or abs.")
    bias = float(np.float32(bias))
    if channel_mode is None:
        if channels is not None:
            raise ValueError("The picture's channels matter only with a channel mode.")
        return kernel32, FilterStep(None, None, bias, activation)
    if not isinstance(channel_mode, str) or channel_mode not in CHANNEL_MODES:
        raise ValueError(f"Unknown channel mode {channel_mode!r}; choose color, gray or depth.")
    if channels is None:
        # A depth kernel in depth mode names its picture's channels; else a colour picture.
        deep = channel_mode == "depth" and kernel32.ndim == 3
        channels = kernel32.shape[2] if deep else 3
    channels = _whole(channels, "number of the picture's channels")
    if channels < 1:
        raise ValueError(f"A picture has at least 1 channel, not {channels}.")
    if channel_mode == "gray" and channels == 2:
        raise ValueError("Grey mode needs a grey picture or one with red, green and blue.")
    seen = 1 if channel_mode == "gray" else channels
    applied = effective_kernel(kernel32, channel_mode, seen)
    summed = kernel32.shape[2] if kernel32.ndim == 3 and applied.ndim == 2 else None
    repeated = seen if kernel32.ndim == 2 and applied.ndim == 3 else None
    step = FilterStep(channel_mode, channels, bias, activation, summed, repeated)
    return np.ascontiguousarray(applied, dtype=np.float32), step
