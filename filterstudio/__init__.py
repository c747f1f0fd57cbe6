"""Filter Studio: see what convolution does to a picture.

The public API is Qt-free::

    import filterstudio
    image = filterstudio.load_image("photo.png")
    edges = filterstudio.convolve(image, filterstudio.preset("sobel_x"), stride=2)

Names are imported on first use, so ``filterstudio apply`` starts without loading what it
does not need.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .lazy import lazy_attributes

__version__ = "0.1.0"

_LAZY = {
    "convolve": "core.convolution",
    "output_shape": "core.convolution",
    "resolve_padding": "core.convolution",
    "convolve_reference": "core.reference",
    "conv2d": "core.conv2d",
    "conv2d_reference": "core.reference_layers",
    "pool2d": "core.pooling",
    "pool2d_argmax": "core.pooling",
    "pool2d_reference": "core.reference_layers",
    "compose_kernels": "core.compose",
    "compose_bias": "core.compose",
    "StageGeometry": "core.receptive",
    "receptive_field": "core.receptive",
    "receptive_size": "core.receptive",
    "apply_filter": "core.pipeline",
    "load_image": "core.imageio",
    "read_image_info": "core.imageio",
    "save_image": "core.imageio",
    "sniff_format": "core.imageio",
    "ImageError": "core.imageio",
    "ImageTooLarge": "core.imageio",
    "parse_kernel": "core.parse",
    "KernelParseError": "core.parse",
    "PRESETS": "core.kernels",
    "get_preset": "core.kernels",
    "random_kernel": "core.kernels",
    "frequency_response": "core.spectrum",
    "frequency_axis": "core.spectrum",
    "classify_response": "core.spectrum",
    "describe_response": "core.spectrum",
    "separable": "core.separable",
    "separable_cost": "core.separable",
    "describe_separable": "core.separable",
    "kernel_code": "core.codegen",
    "to_uint8": "core.display",
    "MAPPINGS": "core.display",
    "fit_kernel": "core.fit",
    "fit_kernel_report": "core.fit",
    "residual_map": "core.fit",
    "KernelDescent": "core.descent",
    "mystery_kernel": "core.mystery",
    "score_guess": "core.mystery",
    "Bank": "model.bank",
    "Filter": "model.bank",
    "Layer": "model.bank",
}

__all__ = ["__version__", "preset", *_LAZY]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and editors only
    from .core.codegen import kernel_code  # noqa: F401
    from .core.compose import compose_bias, compose_kernels  # noqa: F401
    from .core.conv2d import conv2d  # noqa: F401
    from .core.convolution import convolve, output_shape, resolve_padding  # noqa: F401
    from .core.descent import KernelDescent  # noqa: F401
    from .core.display import MAPPINGS, to_uint8  # noqa: F401
    from .core.fit import fit_kernel, fit_kernel_report, residual_map  # noqa: F401
    from .core.imageio import (  # noqa: F401
        ImageError,
        ImageTooLarge,
        load_image,
        read_image_info,
        save_image,
        sniff_format,
    )
    from .core.kernels import PRESETS, get_preset, random_kernel  # noqa: F401
    from .core.mystery import mystery_kernel, score_guess  # noqa: F401
    from .core.parse import KernelParseError, parse_kernel  # noqa: F401
    from .core.pipeline import apply_filter  # noqa: F401
    from .core.pooling import pool2d, pool2d_argmax  # noqa: F401
    from .core.receptive import StageGeometry, receptive_field, receptive_size  # noqa: F401
    from .core.reference import convolve_reference  # noqa: F401
    from .core.reference_layers import conv2d_reference, pool2d_reference  # noqa: F401
    from .core.separable import describe_separable, separable, separable_cost  # noqa: F401
    from .core.spectrum import (  # noqa: F401
        classify_response,
        describe_response,
        frequency_axis,
        frequency_response,
    )
    from .model.bank import Bank, Filter, Layer  # noqa: F401


__getattr__, __dir__ = lazy_attributes(globals(), _LAZY)


def preset(name: str):
    """The kernel of the preset called ``name`` (read-only float32 array)."""
    from .core.kernels import get_preset

    return get_preset(name).kernel
