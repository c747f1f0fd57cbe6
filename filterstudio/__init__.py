"""Filter Studio: see what convolution does to a picture.

The public API is Qt-free::

    import filterstudio
    image = filterstudio.load_image("photo.png")
    edges = filterstudio.convolve(image, filterstudio.preset("sobel_x"), stride=2)
"""

from __future__ import annotations

__version__ = "0.1.0"

from .core.convolution import convolve, output_shape, resolve_padding
from .core.display import MAPPINGS, to_uint8
from .core.imageio import ImageError, load_image, save_image
from .core.kernels import PRESETS, get_preset, random_kernel
from .core.parse import KernelParseError, parse_kernel
from .core.pipeline import apply_filter
from .core.reference import convolve_reference
from .model.bank import Bank, Filter, Layer


def preset(name: str):
    """The kernel of the preset called ``name`` (read-only float32 array)."""
    return get_preset(name).kernel


__all__ = [
    "__version__",
    "convolve",
    "convolve_reference",
    "output_shape",
    "resolve_padding",
    "apply_filter",
    "load_image",
    "save_image",
    "ImageError",
    "parse_kernel",
    "KernelParseError",
    "PRESETS",
    "preset",
    "get_preset",
    "random_kernel",
    "to_uint8",
    "MAPPINGS",
    "Bank",
    "Filter",
    "Layer",
]
