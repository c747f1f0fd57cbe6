"""One filter of a bank applied to an image: channel mode, convolution, bias, activation."""

from __future__ import annotations

import cv2
import numpy as np

from .convolution import convolve
from .limits import FLOAT32_LIMIT

LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def to_luma(image: np.ndarray) -> np.ndarray:
    """Grayscale with Pillow's luma weights; a 2-D image is returned as float32 unchanged."""
    img = np.asarray(image)
    if img.ndim == 2:
        return img.astype(np.float32, copy=False)
    if img.shape[2] == 1:
        return img[:, :, 0].astype(np.float32, copy=False)
    rgb = np.ascontiguousarray(img[:, :, :3], dtype=np.float32)
    # One fused pass instead of three temporaries: cv2.transform does the weighted sum.
    out = cv2.transform(rgb, LUMA.reshape(1, 3))
    return out.reshape(rgb.shape[:2])


def effective_kernel(kernel: np.ndarray, channel_mode: str, channels: int) -> np.ndarray:
    """The kernel as it is applied under ``channel_mode`` to an image with ``channels`` channels.

    A depth kernel ``(k, k, C)`` applied to one channel (grey mode, or a grey image) sums over its
    channels: for an image whose channels are all equal that is exactly the depth result.
    A plain ``(k, k)`` kernel in depth mode is the same weights on every channel.
    """
    k = np.asarray(kernel, dtype=np.float32)
    if channel_mode == "depth" and channels > 1:
        if k.ndim == 2:
            return np.repeat(k[:, :, None], channels, axis=2)
        if k.shape[2] != channels:
            raise ValueError(
                f"This depth kernel has {k.shape[2]} channels but the image has {channels}."
            )
        return k
    if k.ndim == 3:
        return k.sum(axis=2)
    return k


def prepare_input(image: np.ndarray, channel_mode: str) -> np.ndarray:
    """The image the convolution sees: luma in grey mode, RGB in colour and depth modes."""
    img = np.asarray(image)
    if channel_mode == "gray":
        return to_luma(img)
    if img.ndim == 3 and img.shape[2] == 1:
        return img[:, :, 0]
    return img


def _cv_channels(values: np.ndarray) -> bool:
    """Whether OpenCV sees ``values`` as one image of at most four channels.

    A single pixel is not: OpenCV's Python binding reads a 1x1 array of up to four channels
    as a scalar, and ``cv2.max`` then leaves it as it was.
    """
    if values.ndim < 2 or values.shape[0] * values.shape[1] == 1:
        return False
    return values.ndim == 2 or (values.ndim == 3 and values.shape[2] <= 4)


def activate(values: np.ndarray, activation: str) -> np.ndarray:
    """Apply ``none``, ``relu`` or ``abs`` in place on a float32 array and return it."""
    if activation == "relu":
        if values.dtype == np.float32 and values.flags.c_contiguous and _cv_channels(values):
            cv2.max(values, 0.0, dst=values)  # one OpenCV pass: over twice numpy's speed
        else:
            np.maximum(values, 0, out=values)
    elif activation == "abs":
        np.abs(values, out=values)
    elif activation != "none":
        raise ValueError(f"Unknown activation {activation!r}; choose none, relu or abs.")
    return values


def apply_filter(
    image: np.ndarray,
    kernel: np.ndarray,
    *,
    bias: float = 0.0,
    activation: str = "none",
    channel_mode: str = "color",
    stride=1,
    padding="valid",
    border: str = "constant",
    cval: float = 0.0,
    dilation=1,
    flip: bool = False,
    prepared: bool = False,
) -> np.ndarray:
    """Feature map of one filter: ``activation(convolve(input, kernel) + bias)``, float32.

    ``prepared=True`` says ``image`` already went through :func:`prepare_input` for this mode,
    so a bank of filters converts the image once.
    """
    _check_bias(bias)
    src = image if prepared else prepare_input(image, channel_mode)
    channels = 1 if src.ndim == 2 else src.shape[2]
    k = effective_kernel(kernel, channel_mode, channels)
    out = convolve(
        src,
        k,
        stride=stride,
        padding=padding,
        border=border,
        cval=cval,
        dilation=dilation,
        flip=flip,
    )
    return finish_map(out, bias, activation)


def _check_bias(bias) -> None:
    if isinstance(bias, bool) or not isinstance(bias, (int, float, np.integer, np.floating)):
        raise ValueError(f"The bias must be a number, not {bias!r}.")
    if not np.isfinite(bias) or abs(float(bias)) >= FLOAT32_LIMIT:
        raise ValueError(
            f"The bias must be a finite number that fits a 32-bit float, not {float(bias)!r}."
        )


def finish_map(out: np.ndarray, bias: float, activation: str) -> np.ndarray:
    """``activation(out + bias)`` in place on the float32 sum ``out``; returns it."""
    _check_bias(bias)
    if bias:
        # A sum near the float32 limit plus the bias may overflow: the map then holds infinity,
        # as the engine's own sums do, and callers that write files refuse it (see the CLI).
        with np.errstate(over="ignore", invalid="ignore"):
            out += np.float32(bias)
    return activate(out, activation)


def apply_bank_filter(image: np.ndarray, flt, layer, *, prepared: bool = False) -> np.ndarray:
    """:func:`apply_filter` for a :class:`~filterstudio.model.bank.Filter` under a ``Layer``."""
    return apply_filter(
        image,
        flt.kernel,
        bias=flt.bias,
        activation=flt.activation,
        channel_mode=layer.channel_mode,
        prepared=prepared,
        **layer.conv_kwargs(),
    )
