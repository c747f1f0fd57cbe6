"""Code that redoes one ``convolve`` call in numpy, scipy, OpenCV, PyTorch or Keras alone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import NamedTuple

from .codegen_filter import check_filter_options
from .codegen_parts import (
    LIBRARIES,
    NDIMAGE_BORDERS,
    OPENCV_BORDERS,
    TORCH_BORDERS,
    Job,
    check,
    crop_expr,
    dilate_lines,
    finish,
    fits_kernel,
    header,
    kernel_lines,
    np_pad,
    num,
    pad_setup,
    pair_text,
    slices,
    valid_slice,
)

__all__ = ["LIBRARIES", "filter_code", "kernel_code"]


def _flipped(job: Job, code: str, why: str) -> list[str]:
    """The line that turns the kernel 180 degrees for ``flip=True`` (none without it)."""
    return [f"{code}  # flip=True: {why}"] if job.flip else []


# ----------------------------------------------------------------------------- numpy


def _numpy(job: Job) -> list[str]:
    lines = _flipped(job, "kernel = kernel[::-1, ::-1]", "true convolution turns it 180 degrees")
    setup, pads = pad_setup(job)
    lines += setup
    src = "x" if job.padded else "image"
    if job.padded:
        lines.append(f"x = {np_pad(job, 'image', pads, 'one' if job.depth else 'any')}")
    (sy, sx), (dy, dx), (keh, kew) = job.stride, job.dilation, job.spread
    picks = ""
    if (sy, sx) != (1, 1) or (dy, dx) != (1, 1):
        taps = f", ..., {slices(dy, dx)}" if (dy, dx) != (1, 1) else ""
        picks = f"[{slices(sy, sx)}{taps}]"
    lines += [
        f"# every {keh}x{kew} window of the {'padded ' if job.padded else ''}picture"
        + (f", stepping {pair_text((sy, sx))}" if (sy, sx) != (1, 1) else "")
        + (f", taps {pair_text((dy, dx))} apart" if (dy, dx) != (1, 1) else ""),
        f"windows = sliding_window_view({src}, ({keh}, {kew}), axis=(0, 1)){picks}",
    ]
    if job.depth:
        lines += [
            "# weight each window by the kernel and add up, over the channels too",
            'out = np.einsum("ijcab,abc->ij", windows, kernel)',
        ]
    else:
        lines += [
            "# weight each window by the kernel and add up (each colour channel on its own)",
            'out = np.einsum("ij...ab,ab->ij...", windows, kernel)',
        ]
    return lines


# ----------------------------------------------------------------------------- scipy


def _scipy(job: Job) -> list[str]:
    lines = dilate_lines(job, "ndimage has no dilation")
    setup, (t, b, lf, r) = pad_setup(job)
    lines += setup
    keh, kew = job.spread
    func = "convolve" if job.flip else "correlate"
    if job.flip:
        lines.append(
            "# ndimage.convolve turns the kernel 180 degrees: true convolution (flip=True);"
            " ndimage.correlate would not"
        )
    else:
        lines.append(
            "# ndimage.correlate slides the kernel as it is (cross-correlation, what CNNs do);"
            " ndimage.convolve would turn it 180 degrees"
        )
    wide = not fits_kernel(job)
    if wide:
        note = f" (numpy's {job.border!r} is ndimage's {NDIMAGE_BORDERS[job.border]!r})"
        lines += [
            f"# the padding is wider than the kernel reaches: pad first with numpy{note}",
            f"x = {np_pad(job, 'image', (t, b, lf, r), 'one' if job.depth else 'any')}",
        ]
        src, top, left, mode = "x", "0", "0", ""
    else:
        src, top, left = "image", t, lf
        mode = f', mode="{NDIMAGE_BORDERS[job.border]}"'
        if job.border == "constant" and job.cval != 0.0:
            mode += f", cval={num(job.cval)}"
        if job.padded and job.border != "constant":
            mode_note = f"ndimage's {NDIMAGE_BORDERS[job.border]!r} is numpy's {job.border!r}"
            lines.append(f"# {mode_note}")

    def origin(pad: str, k: int) -> str:
        # correlate reads x[m + a - k // 2 - origin]: origin = pad - k // 2 puts the first
        # output on the first padded cell. convolve flips the kernel and the origin, and moves
        # an even kernel's centre by one.
        if job.flip:
            base = k // 2 - (1 - k % 2)
            return str(base - int(pad)) if pad.isdigit() else f"{base} - {pad}"
        return str(int(pad) - k // 2) if pad.isdigit() else f"{pad} - {k // 2}"

    oy, ox = origin(top, keh), origin(left, kew)
    at = "" if oy == ox == "0" else f", origin=({oy}, {ox})"
    at3 = "" if oy == ox == "0" else f", origin=({oy}, {ox}, 0)"
    crop = valid_slice(job, "y", src) if wide else crop_expr(job, "y")
    if job.depth:
        lines.append("# one filter with depth: each channel meets its own slice; the maps add up")
        call = (
            f"sum(ndimage.{func}({src}[:, :, c], kernel[:, :, c]{mode}{at})"
            " for c in range(kernel.shape[2]))"
        )
    else:
        lines.append("# a 2-D kernel filters each colour channel on its own: a (kh, kw, 1) kernel")
        call = f"ndimage.{func}(np.atleast_3d({src}), kernel[:, :, None]{mode}{at3})"
    finish(lines, call, "", crop)
    if not job.depth:
        lines.append("out = out[:, :, 0] if image.ndim == 2 else out")
    return lines


# ----------------------------------------------------------------------------- OpenCV


def _opencv(job: Job) -> list[str]:
    lines = _flipped(
        job, "kernel = cv2.flip(kernel, -1)", "filter2D correlates, so turn it 180 degrees"
    )
    lines += dilate_lines(job, "filter2D has no dilation")
    setup, (t, b, lf, r) = pad_setup(job)
    lines += setup
    keh, kew = job.spread
    own_border = job.border in ("edge", "reflect", "symmetric") or job.zero_fill
    pad_first = job.padded and (not own_border or not fits_kernel(job))
    if pad_first:
        if not fits_kernel(job):
            why = "the padding is wider than the kernel reaches"
        elif job.border == "wrap":
            why = "filter2D refuses BORDER_WRAP"
        else:
            why = f"filter2D fills its border with 0, not {num(job.cval)}"
        value = ""
        if job.border == "constant" and job.cval != 0.0:
            c = num(job.cval)
            value = f", value=({c}, {c}, {c}, {c})"
        lines += [
            f"# {why}: pad first (numpy's {job.border!r} is OpenCV's {OPENCV_BORDERS[job.border]})",
            f"x = cv2.copyMakeBorder(image, {t}, {b}, {lf}, {r}, cv2.{OPENCV_BORDERS[job.border]}{value})",
        ]
        src, args = "x", ", anchor=(0, 0)"
    else:
        src, args = "image", ""
        if job.padded:
            if (lf, t) != (str(kew // 2), str(keh // 2)):
                args += f", anchor=({lf}, {t})"
            args += f", borderType=cv2.{OPENCV_BORDERS[job.border]}"
            if job.border != "constant":
                lines.append(f"# OpenCV's {OPENCV_BORDERS[job.border]} is numpy's {job.border!r}")
        else:
            args += ", anchor=(0, 0)"
    anchor_note = (
        "# filter2D correlates (no flip); its anchor is the kernel cell placed on each pixel"
    )
    lines.append(anchor_note)
    crop = valid_slice(job, "y", src) if pad_first or not job.padded else crop_expr(job, "y")
    if job.depth:
        lines.append("# one filter with depth: each channel meets its own slice; the maps add up")
        call = (
            f"sum(cv2.filter2D(channel, -1, weights{args})"
            f" for channel, weights in zip(cv2.split({src}), cv2.split(kernel)))"
        )
        finish(lines, call, "", crop)
    else:
        finish(lines, f"cv2.filter2D({src}, -1, kernel{args})", "  # each channel on its own", crop)
    return lines


# ----------------------------------------------------------------------------- PyTorch


def _pytorch(job: Job) -> list[str]:
    lines, (t, b, lf, r) = pad_setup(job)
    (sy, sx), (dy, dx) = job.stride, job.dilation
    symmetric = job.pads is not None and t == b and lf == r
    # conv2d pads zeros, the same on both sides ("same" warns for an even kernel: F.pad then).
    same_1 = job.padding == "same" and (sy, sx) == (1, 1)
    conv_pads = job.padded and job.zero_fill and symmetric
    src = "image" if job.depth else "np.atleast_3d(image)"
    padding = ""
    if job.padded and not conv_pads and job.border in ("reflect", "symmetric", "wrap"):
        if job.border == "symmetric":
            why = "PyTorch has no 'symmetric' padding"
        else:
            why = (
                f"numpy's {job.border!r} is PyTorch's {TORCH_BORDERS[job.border]!r}, but F.pad takes "
                "only pads smaller than the picture"
            )
        lines += [
            f"# {why}: pad with numpy",
            f"x = {np_pad(job, src, (t, b, lf, r), 'one')}",
            "x = torch.as_tensor(x).permute(2, 0, 1)[None]  # (1, C, H, W)",
        ]
    else:
        # torch.tensor copies: as_tensor would share (and warn about) a read-only picture
        lines.append(f"x = torch.tensor({src}).permute(2, 0, 1)[None]  # (1, C, H, W)")
        if job.padded and not conv_pads:
            if job.border == "edge":
                lines.append(
                    f'x = F.pad(x, ({lf}, {r}, {t}, {b}), mode="replicate")'
                    "  # numpy's 'edge' is PyTorch's 'replicate'"
                )
            else:
                value = f", value={num(job.cval)}" if job.cval != 0.0 else ""
                lines.append(
                    f"x = F.pad(x, ({lf}, {r}, {t}, {b}){value})  # left, right, top, bottom"
                )
        elif conv_pads:
            if same_1:
                padding = ', padding="same"'
            else:
                padding = f", padding=({t}, {lf})"
    if job.depth:
        lines += [
            "# one filter with depth: weight (1, C, kh, kw), summed over the channels",
            "weight = torch.as_tensor(kernel).permute(2, 0, 1)[None]",
        ]
        groups = ""
    else:
        lines += [
            "# the same kernel on every channel: a depthwise convolution (groups = channels)",
            f"weight = torch.as_tensor(kernel).expand(x.shape[1], 1, {job.size[0]}, {job.size[1]})",
        ]
        groups = ", groups=x.shape[1]"
    lines += _flipped(
        job, "weight = torch.flip(weight, dims=(2, 3))", "conv2d correlates: turn 180 degrees"
    )
    options = padding
    if (sy, sx) != (1, 1):
        options += f", stride={pair_text((sy, sx))}"
    if (dy, dx) != (1, 1):
        options += f", dilation={pair_text((dy, dx))}"
    lines.append(f"y = F.conv2d(x, weight{options}{groups})  # cross-correlation")
    if job.depth:
        lines.append("out = y[0, 0].numpy()")
    else:
        lines += [
            "out = y[0].permute(1, 2, 0).numpy()",
            "out = out[:, :, 0] if image.ndim == 2 else out",
        ]
    return lines


# ----------------------------------------------------------------------------- Keras


def _keras(job: Job) -> list[str]:
    lines = _flipped(job, "kernel = kernel[::-1, ::-1]", "Keras correlates, so turn it 180 degrees")
    (sy, sx), (dy, dx) = job.stride, job.dilation
    rate = (dy, dx)
    if (sy, sx) != (1, 1) and (dy, dx) != (1, 1):
        lines += dilate_lines(job, "TensorFlow refuses a stride and a dilation rate together")
        rate = (1, 1)
    setup, (t, b, lf, r) = pad_setup(job)
    lines += setup
    src = "image" if job.depth else "np.atleast_3d(image)"
    keras_same = isinstance(job.padding, str) and job.padding == "same" and job.zero_fill
    if job.padded and not keras_same:
        if job.padding == "same":
            why = "Keras' 'same' pads zeros only"
        else:
            why = "Keras pads only by 'same' (zeros)"
        lines += [
            f"# {why}: pad first with numpy, then run 'valid'",
            f"x = {np_pad(job, src, (t, b, lf, r), 'one')}[None]  # (1, H, W, C): channels last",
        ]
        mode = "valid"
    else:
        lines.append(f"x = {src}[None]  # (1, H, W, C): channels last")
        mode = "same" if job.padded else "valid"
        if mode == "same":
            lines.append(
                "# Keras' 'same' is filterstudio's: zeros, any odd extra cell bottom/right"
            )
    options = f'padding="{mode}"'
    if (sy, sx) != (1, 1):
        options = f"strides={pair_text((sy, sx))}, " + options
    if rate != (1, 1):
        options += f", dilation_rate={pair_text(rate)}"
    if job.depth:
        lines += [
            "# one filter with depth: kernel (kh, kw, C, 1), summed over the channels",
            f"y = ops.conv(x, kernel[:, :, :, None], {options})",
            "out = ops.convert_to_numpy(y)[0, :, :, 0]",
        ]
    else:
        lines += [
            "# the same kernel on every channel: a depthwise convolution, kernel (kh, kw, C, 1)",
            "weights = np.repeat(kernel[:, :, None, None], x.shape[3], axis=2)",
            f"y = ops.depthwise_conv(x, weights, {options})",
            "out = ops.convert_to_numpy(y)[0]",
            "out = out[:, :, 0] if image.ndim == 2 else out",
        ]
    return lines


class _Writer(NamedTuple):
    """What a program for one library imports, and the lines after its kernel that use it."""

    imports: tuple[str, ...]
    body: Callable[[Job], list[str]]


_WRITERS = {
    "numpy": _Writer(
        ("import numpy as np", "from numpy.lib.stride_tricks import sliding_window_view"), _numpy
    ),
    "scipy": _Writer(("import numpy as np", "from scipy import ndimage"), _scipy),
    "opencv": _Writer(("import cv2", "import numpy as np"), _opencv),
    "pytorch": _Writer(
        ("import numpy as np", "import torch", "import torch.nn.functional as F"), _pytorch
    ),
    "keras": _Writer(("import numpy as np", "from keras import ops"), _keras),
}


def kernel_code(
    kernel,
    library: str,
    *,
    stride=1,
    padding="valid",
    border: str = "constant",
    cval: float = 0.0,
    dilation=1,
    flip: bool = False,
    name: str | None = None,
    channel_mode: str | None = None,
    channels: int | None = None,
    bias: float = 0.0,
    activation: str = "none",
) -> str:
    """A short program that computes ``convolve``'s map with one library alone.

    Run with ``image`` defined (an ``(H, W)`` or ``(H, W, 3)`` float32 array as
    :func:`filterstudio.load_image` gives; ``(H, W, C)`` for a depth kernel), the program
    leaves in ``out`` the float32 map that ``convolve(image, kernel, stride=..., ...)``
    returns, of the same shape, within SPEC.md's tolerance. It imports the library and numpy,
    nothing from filterstudio, and says in comments where the library's names or conventions
    differ: cross-correlation against convolution, border names, Keras' "same", channels.

    Parameters
    ----------
    kernel : array_like
        ``(kh, kw)`` or ``(kh, kw, C)``, finite; written into the code as exact float32 values.
    library : {"numpy", "scipy", "opencv", "pytorch", "keras"}
        Also ``"np"``, ``"cv2"``, ``"torch"``. ``"keras"`` is Keras 3 (``keras.ops``) on any
        backend.
    stride, padding, border, cval, dilation, flip
        As for :func:`filterstudio.convolve`, and checked the same way.
    name : str or None
        The filter's name, for the first comment.
    channel_mode : {None, "color", "gray", "depth"}
        None (default): the kernel is used as given, as ``convolve`` uses it. A mode: the
        program redoes :func:`filterstudio.core.pipeline.apply_filter` with that channel mode
        instead (grey mode first takes the picture's luma; a depth kernel outside depth mode,
        or on a grey picture, is the sum of its channels; a 2-D kernel in depth mode is the same
        weights on every channel).
    channels : int or None
        With a channel mode: the channels of the picture the program is for (1 for a grey
        picture, 3 for RGB; default: the depth of a depth kernel in depth mode, else 3).
    bias, activation
        As for ``apply_filter``: the bias is added to every value of the map, then the
        activation (``"none"``, ``"relu"`` or ``"abs"``) is applied, both with numpy.

    Returns
    -------
    str
        Python source, ending in a newline.

    Raises
    ------
    ValueError
        With one plain sentence for an unknown library or an option ``convolve`` refuses.

    Examples
    --------
    >>> code = kernel_code([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], "opencv", padding="same")
    >>> print(code.splitlines()[-1])
    out = y
    >>> namespace = {"image": np.ones((4, 5), np.float32)}
    >>> exec(code, namespace)
    >>> namespace["out"].shape
    (4, 5)
    """
    lib, job = check(kernel, library, stride, padding, border, cval, dilation, flip, name)
    applied, step = check_filter_options(job.kernel, channel_mode, channels, bias, activation)
    job = replace(job, kernel=applied, step=step)
    writer = _WRITERS[lib]
    lines = [*writer.imports, "", *header(job, lib), *kernel_lines(job), *writer.body(job)]
    return "\n".join(lines + step.output_lines()) + "\n"


def filter_code(flt, layer, library: str, *, channels: int) -> str:
    """:func:`kernel_code` for a bank filter under its layer, on a picture of ``channels``.

    ``flt`` is a :class:`~filterstudio.model.bank.Filter` (kernel, bias, activation, name)
    and ``layer`` a :class:`~filterstudio.model.bank.Layer`; the program leaves in ``out``
    the map :func:`~filterstudio.core.pipeline.apply_bank_filter` gives.
    """
    return kernel_code(
        flt.kernel,
        library,
        name=flt.name,
        channel_mode=layer.channel_mode,
        channels=channels,
        bias=flt.bias,
        activation=flt.activation,
        **layer.conv_kwargs(),
    )
