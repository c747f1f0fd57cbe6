"""Code that redoes one ``convolve`` call in numpy, scipy, OpenCV, PyTorch or Keras alone."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from .codegen_filter import FilterStep, check_filter_options
from .convolution import BORDERS, as_pair, resolve_padding
from .kernels import format_value

__all__ = ["LIBRARIES", "filter_code", "kernel_code"]

LIBRARIES = ("numpy", "scipy", "opencv", "pytorch", "keras")
_ALIASES = {"np": "numpy", "cv2": "opencv", "cv": "opencv", "torch": "pytorch", "tf.keras": "keras"}
_TITLES = {
    "numpy": "numpy",
    "scipy": "scipy.ndimage",
    "opencv": "OpenCV",
    "pytorch": "PyTorch",
    "keras": "Keras 3",
}

# numpy.pad mode -> the same border in each library (SPEC.md's table).
_NDIMAGE = {
    "constant": "constant",
    "edge": "nearest",
    "reflect": "mirror",
    "symmetric": "reflect",
    "wrap": "grid-wrap",
}
_OPENCV = {
    "constant": "BORDER_CONSTANT",
    "edge": "BORDER_REPLICATE",
    "reflect": "BORDER_REFLECT_101",
    "symmetric": "BORDER_REFLECT",
    "wrap": "BORDER_WRAP",
}
_TORCH = {"constant": "constant", "edge": "replicate", "reflect": "reflect", "wrap": "circular"}


@dataclass(frozen=True)
class _Job:
    """One convolve call, checked, with everything the writers need."""

    kernel: np.ndarray  # float32 (kh, kw) or (kh, kw, C), as given (not flipped)
    stride: tuple[int, int]
    dilation: tuple[int, int]
    padding: object
    border: str
    cval: float
    flip: bool
    name: str | None
    # ((top, bottom), (left, right)) when they do not depend on the picture, else None
    pads: tuple[tuple[int, int], tuple[int, int]] | None
    # channel mode, bias and activation of a filter (none for a plain convolve call)
    step: FilterStep = field(default_factory=FilterStep)

    @property
    def depth(self) -> bool:
        return self.kernel.ndim == 3

    @property
    def size(self) -> tuple[int, int]:
        return self.kernel.shape[0], self.kernel.shape[1]

    @property
    def spread(self) -> tuple[int, int]:
        """The dilated kernel's size ``(keh, kew)``."""
        (kh, kw), (dy, dx) = self.size, self.dilation
        return dy * (kh - 1) + 1, dx * (kw - 1) + 1

    @property
    def padded(self) -> bool:
        """Whether any border is added (possibly depending on the picture's size)."""
        return self.pads is None or any(self.pads[0] + self.pads[1])

    @property
    def zero_fill(self) -> bool:
        return self.border == "constant" and self.cval == 0.0


# ----------------------------------------------------------------------------- checks


def _check(
    kernel, library, stride, padding, border, cval, dilation, flip, name
) -> tuple[str, _Job]:
    lib = str(library).strip().lower() if isinstance(library, str) else None
    lib = _ALIASES.get(lib, lib)
    if lib not in LIBRARIES:
        raise ValueError(f"Unknown library {library!r}: use {', '.join(LIBRARIES[:-1])} or keras.")
    try:
        arr = np.asarray(kernel)
    except (TypeError, ValueError):
        raise ValueError("The kernel must be an array of real numbers.") from None
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"The kernel must hold real numbers, not values of type {arr.dtype}.")
    if arr.ndim not in (2, 3):
        raise ValueError(f"The kernel must be 2-D (kh, kw) or 3-D (kh, kw, C), not {arr.ndim}-D.")
    if arr.size == 0:
        raise ValueError(f"The kernel is empty (shape {arr.shape}); it needs at least one weight.")
    k32 = arr.astype(np.float32)
    if not np.isfinite(k32).all():
        raise ValueError("The kernel contains a value that is not a finite number.")
    if not isinstance(border, str) or border not in BORDERS:
        raise ValueError(
            f"Unknown border {border!r}: use 'constant', 'edge', 'reflect', 'symmetric' or 'wrap'."
        )
    if isinstance(cval, np.ndarray) and cval.ndim == 0:
        cval = cval.item()
    if isinstance(cval, (bool, np.bool_)) or not isinstance(
        cval, (int, float, np.integer, np.floating)
    ):
        raise ValueError(f"The fill value cval must be a finite number, not {cval!r}.")
    if not math.isfinite(float(cval)):
        raise ValueError(f"The fill value cval must be a finite number, not {cval!r}.")
    if not isinstance(flip, (bool, np.bool_)):
        raise ValueError(f"The flip option must be True or False, not {flip!r}.")
    if name is not None and not isinstance(name, str):
        raise ValueError(f"The name must be text, not {name!r}.")
    strides, dils = as_pair(stride, "stride"), as_pair(dilation, "dilation")
    kh, kw = k32.shape[:2]
    # Resolving the padding for some picture checks it; only "same" with a stride above 1
    # depends on the picture's size.
    pads = resolve_padding((64, 64), (kh, kw), stride=strides, padding=padding, dilation=dils)
    if isinstance(padding, str) and padding == "same" and strides != (1, 1):
        pads = None
    # The options are echoed in the first comment: as plain Python numbers.
    if isinstance(padding, np.ndarray):
        padding = padding.tolist()
    if isinstance(padding, (tuple, list)):
        padding = tuple(int(v) for v in padding)
    elif not isinstance(padding, str):
        padding = int(padding)
    job = _Job(k32, strides, dils, padding, border, float(np.float32(cval)), bool(flip), name, pads)
    return lib, job


# ----------------------------------------------------------------------------- text pieces


def _num(v: float) -> str:
    return format_value(v)


def _rows(plane: np.ndarray, indent: str) -> str:
    """A 2-D plane as a Python list of lists, one row a line, columns aligned."""
    cells = [[_num(v) for v in row] for row in plane.tolist()]
    widths = [max(len(row[j]) for row in cells) for j in range(plane.shape[1])]
    lines = ["[" + ", ".join(c.rjust(w) for c, w in zip(row, widths)) + "]" for row in cells]
    if len(lines) == 1:
        return "[" + lines[0] + "]"
    return "[\n" + "".join(f"{indent}    {line},\n" for line in lines) + f"{indent}]"


def _kernel_lines(job: _Job) -> list[str]:
    """The kernel as code, then what the filter's channel mode does to the picture."""
    k, step = job.kernel, job.step
    lines = step.kernel_note()
    if not job.depth:
        lines.append(f"kernel = np.array({_rows(k, '')}, dtype=np.float32)")
    elif (k == k[:, :, :1]).all():
        kh, kw, c = k.shape
        lines += [
            f"# one filter with depth: the same {kh}x{kw} weights on each of the {c} channels",
            f"kernel = np.array({_rows(k[:, :, 0], '')}, dtype=np.float32)",
            f"kernel = np.repeat(kernel[:, :, None], {c}, axis=2)",
        ]
    else:
        kh, kw, c = k.shape
        lines += [
            f"# one filter with depth: a {kh}x{kw} kernel for each of the picture's {c} channels",
            f"kernel = np.zeros(({kh}, {kw}, {c}), dtype=np.float32)",
        ]
        for ch in range(c):
            lines.append(f"kernel[:, :, {ch}] = {_rows(k[:, :, ch], '')}")
    return lines + step.input_lines()


def _call(job: _Job) -> str:
    """The convolve call this code redoes, with its non-default options."""
    parts = ["image", job.name if job.name and job.name.isidentifier() else "kernel"]
    sy, sx = job.stride
    dy, dx = job.dilation
    if (sy, sx) != (1, 1):
        parts.append(f"stride={sy if sy == sx else (sy, sx)}")
    if not (isinstance(job.padding, str) and job.padding == "valid"):
        parts.append(f"padding={job.padding!r}")
    if job.border != "constant":
        parts.append(f"border={job.border!r}")
    if job.cval != 0.0 and job.border == "constant":
        parts.append(f"cval={_num(job.cval)}")
    if (dy, dx) != (1, 1):
        parts.append(f"dilation={dy if dy == dx else (dy, dx)}")
    if job.flip:
        parts.append("flip=True")
    if job.step.is_filter:
        parts[2:2] = job.step.call_options()
        return f"filterstudio.apply_filter({', '.join(parts)})"
    return f"filterstudio.convolve({', '.join(parts)})"


def _header(job: _Job, lib: str) -> list[str]:
    what = f"The {job.name!r} map: " if job.name else "The map "
    shape = job.step.image_shape()
    if shape is None:
        shape = f"(H, W, {job.kernel.shape[2]})" if job.depth else "(H, W) or (H, W, 3)"
    return [
        f"# {what}{_call(job)}, redone with {_TITLES[lib]} alone.",
        f"# `image`: {shape} float32 (as filterstudio loads it); `out`: the float32 map.",
    ]


def _pad_setup(job: _Job) -> tuple[list[str], tuple[str, str, str, str]]:
    """Lines that work out the padding, and the expressions of (top, bottom, left, right)."""
    if job.pads is not None:
        (t, b), (lf, r) = job.pads
        return [], (str(t), str(b), str(lf), str(r))
    (sy, sx), (keh, kew) = job.stride, job.spread
    return [
        "h, w = image.shape[:2]",
        "# 'same' padding, Keras' rule: ceil(n / stride) outputs, any odd extra cell bottom/right",
        f"pad_h = max((-(-h // {sy}) - 1) * {sy} + {keh} - h, 0)",
        f"pad_w = max((-(-w // {sx}) - 1) * {sx} + {kew} - w, 0)",
        "top, left = pad_h // 2, pad_w // 2",
        "bottom, right = pad_h - top, pad_w - left",
    ], ("top", "bottom", "left", "right")


def _np_pad(job: _Job, source: str, pads: tuple[str, str, str, str], channels: str) -> str:
    """A numpy.pad call of ``source``, whose channel axis is ``"one"`` (always there) or
    ``"any"`` (there for a colour picture only)."""
    t, b, lf, r = pads
    width = f"[({t}, {b}), ({lf}, {r})"
    width += ", (0, 0)]" if channels == "one" else "] + [(0, 0)] * (image.ndim - 2)"
    mode = f'mode="{job.border}"'
    if job.border == "constant" and job.cval != 0.0:
        mode += f", constant_values={_num(job.cval)}"
    return f"np.pad({source}, {width}, {mode})"


def _slice(end: str, step: int) -> str:
    """Slice text ``:end:step`` without the parts that are not needed."""
    text = f":{end}" if end else ":"
    return text + f":{step}" if step > 1 else text


def _slices(sy: int, sx: int) -> str:
    return ", ".join(_slice("", s) for s in (sy, sx))


def _fits_kernel(job: _Job) -> bool:
    """Padding no wider than the dilated kernel less one: a library's own border can add it."""
    if job.pads is None:
        return True
    (t, b), (lf, r) = job.pads
    keh, kew = job.spread
    return t + b <= keh - 1 and lf + r <= kew - 1


def _crop(job: _Job, var: str) -> tuple[list[str], str]:
    """The map from a same-size ``var`` whose row ``i`` is output row ``i / sy``: the lines it
    needs first and the expression."""
    sy, sx = job.stride
    if job.pads is None:  # 'same': ceil(n / s) rows, exactly what the step leaves
        return [], f"{var}[{_slices(sy, sx)}]" if (sy, sx) != (1, 1) else var
    (t, b), (lf, r) = job.pads
    keh, kew = job.spread
    cut_h, cut_w = keh - 1 - t - b, kew - 1 - lf - r
    if cut_h == cut_w == 0 and (sy, sx) == (1, 1):
        return [], var
    rows = _slice(f"h - {cut_h}" if cut_h else "", sy)
    cols = _slice(f"w - {cut_w}" if cut_w else "", sx)
    lines = ["h, w = image.shape[:2]"] if (cut_h or cut_w) and job.pads is not None else []
    return lines, f"{var}[{rows}, {cols}]"


def _pair(p: tuple[int, int]) -> str:
    return str(p[0]) if p[0] == p[1] else f"({p[0]}, {p[1]})"


def _finish(lines: list[str], call: str, comment: str, crop: tuple[list[str], str]) -> None:
    """Append ``y = call`` and ``out = crop``, or ``out = call`` when nothing is cropped."""
    setup, expr = crop
    if expr == "y":
        lines.append(f"out = {call}{comment}")
    else:
        lines += [f"y = {call}{comment}", *setup, f"out = {expr}"]


def _dilate_lines(job: _Job, why: str) -> list[str]:
    dy, dx = job.dilation
    if (dy, dx) == (1, 1):
        return []
    keh, kew = job.spread
    shape = f"({keh}, {kew}, {job.kernel.shape[2]})" if job.depth else f"({keh}, {kew})"
    return [
        f"# dilation {_pair((dy, dx))}: the taps spread apart, zeros between ({why})",
        f"dilated = np.zeros({shape}, dtype=np.float32)",
        f"dilated[{_slices(dy, dx)}] = kernel",
        "kernel = dilated",
    ]


def _valid_slice(job: _Job, var: str, source: str) -> tuple[list[str], str]:
    """Rows and columns of a same-size map that a 'valid' pass over ``source`` keeps."""
    (sy, sx), (keh, kew) = job.stride, job.spread
    if (keh, kew, sy, sx) == (1, 1, 1, 1):
        return [], var
    rows = _slice(f"{source}.shape[0] - {keh - 1}" if keh > 1 else "", sy)
    cols = _slice(f"{source}.shape[1] - {kew - 1}" if kew > 1 else "", sx)
    return [], f"{var}[{rows}, {cols}]"


# ----------------------------------------------------------------------------- numpy


def _numpy(job: _Job) -> list[str]:
    lines = ["import numpy as np", "from numpy.lib.stride_tricks import sliding_window_view", ""]
    lines += _header(job, "numpy") + _kernel_lines(job)
    if job.flip:
        lines.append(
            "kernel = kernel[::-1, ::-1]  # flip=True: true convolution turns it 180 degrees"
        )
    setup, pads = _pad_setup(job)
    lines += setup
    src = "x" if job.padded else "image"
    if job.padded:
        lines.append(f"x = {_np_pad(job, 'image', pads, 'one' if job.depth else 'any')}")
    (sy, sx), (dy, dx), (keh, kew) = job.stride, job.dilation, job.spread
    picks = ""
    if (sy, sx) != (1, 1) or (dy, dx) != (1, 1):
        taps = f", ..., {_slices(dy, dx)}" if (dy, dx) != (1, 1) else ""
        picks = f"[{_slices(sy, sx)}{taps}]"
    lines += [
        f"# every {keh}x{kew} window of the {'padded ' if job.padded else ''}picture"
        + (f", stepping {_pair((sy, sx))}" if (sy, sx) != (1, 1) else "")
        + (f", taps {_pair((dy, dx))} apart" if (dy, dx) != (1, 1) else ""),
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


def _scipy(job: _Job) -> list[str]:
    lines = ["import numpy as np", "from scipy import ndimage", ""]
    lines += _header(job, "scipy") + _kernel_lines(job)
    lines += _dilate_lines(job, "ndimage has no dilation")
    setup, (t, b, lf, r) = _pad_setup(job)
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
    wide = not _fits_kernel(job)
    if wide:
        note = f" (numpy's {job.border!r} is ndimage's {_NDIMAGE[job.border]!r})"
        lines += [
            f"# the padding is wider than the kernel reaches: pad first with numpy{note}",
            f"x = {_np_pad(job, 'image', (t, b, lf, r), 'one' if job.depth else 'any')}",
        ]
        src, top, left, mode = "x", "0", "0", ""
    else:
        src, top, left = "image", t, lf
        mode = f', mode="{_NDIMAGE[job.border]}"'
        if job.border == "constant" and job.cval != 0.0:
            mode += f", cval={_num(job.cval)}"
        if job.padded and job.border != "constant":
            mode_note = f"ndimage's {_NDIMAGE[job.border]!r} is numpy's {job.border!r}"
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
    crop = _valid_slice(job, "y", src) if wide else _crop(job, "y")
    if job.depth:
        lines.append("# one filter with depth: each channel meets its own slice; the maps add up")
        call = (
            f"sum(ndimage.{func}({src}[:, :, c], kernel[:, :, c]{mode}{at})"
            " for c in range(kernel.shape[2]))"
        )
    else:
        lines.append("# a 2-D kernel filters each colour channel on its own: a (kh, kw, 1) kernel")
        call = f"ndimage.{func}(np.atleast_3d({src}), kernel[:, :, None]{mode}{at3})"
    _finish(lines, call, "", crop)
    if not job.depth:
        lines.append("out = out[:, :, 0] if image.ndim == 2 else out")
    return lines


# ----------------------------------------------------------------------------- OpenCV


def _opencv(job: _Job) -> list[str]:
    lines = ["import cv2", "import numpy as np", ""]
    lines += _header(job, "opencv") + _kernel_lines(job)
    if job.flip:
        lines.append(
            "kernel = cv2.flip(kernel, -1)  # flip=True: filter2D correlates, so turn it 180 degrees"
        )
    lines += _dilate_lines(job, "filter2D has no dilation")
    setup, (t, b, lf, r) = _pad_setup(job)
    lines += setup
    keh, kew = job.spread
    own_border = job.border in ("edge", "reflect", "symmetric") or job.zero_fill
    pad_first = job.padded and (not own_border or not _fits_kernel(job))
    if pad_first:
        if not _fits_kernel(job):
            why = "the padding is wider than the kernel reaches"
        elif job.border == "wrap":
            why = "filter2D refuses BORDER_WRAP"
        else:
            why = f"filter2D fills its border with 0, not {_num(job.cval)}"
        value = ""
        if job.border == "constant" and job.cval != 0.0:
            c = _num(job.cval)
            value = f", value=({c}, {c}, {c}, {c})"
        lines += [
            f"# {why}: pad first (numpy's {job.border!r} is OpenCV's {_OPENCV[job.border]})",
            f"x = cv2.copyMakeBorder(image, {t}, {b}, {lf}, {r}, cv2.{_OPENCV[job.border]}{value})",
        ]
        src, args = "x", ", anchor=(0, 0)"
    else:
        src, args = "image", ""
        if job.padded:
            if (lf, t) != (str(kew // 2), str(keh // 2)):
                args += f", anchor=({lf}, {t})"
            args += f", borderType=cv2.{_OPENCV[job.border]}"
            if job.border != "constant":
                lines.append(f"# OpenCV's {_OPENCV[job.border]} is numpy's {job.border!r}")
        else:
            args += ", anchor=(0, 0)"
    anchor_note = (
        "# filter2D correlates (no flip); its anchor is the kernel cell placed on each pixel"
    )
    lines.append(anchor_note)
    crop = _valid_slice(job, "y", src) if pad_first or not job.padded else _crop(job, "y")
    if job.depth:
        lines.append("# one filter with depth: each channel meets its own slice; the maps add up")
        call = (
            f"sum(cv2.filter2D(channel, -1, weights{args})"
            f" for channel, weights in zip(cv2.split({src}), cv2.split(kernel)))"
        )
        _finish(lines, call, "", crop)
    else:
        _finish(
            lines, f"cv2.filter2D({src}, -1, kernel{args})", "  # each channel on its own", crop
        )
    return lines


# ----------------------------------------------------------------------------- PyTorch


def _pytorch(job: _Job) -> list[str]:
    lines = ["import numpy as np", "import torch", "import torch.nn.functional as F", ""]
    lines += _header(job, "pytorch") + _kernel_lines(job)
    setup, (t, b, lf, r) = _pad_setup(job)
    lines += setup
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
                f"numpy's {job.border!r} is PyTorch's {_TORCH[job.border]!r}, but F.pad takes "
                "only pads smaller than the picture"
            )
        lines += [
            f"# {why}: pad with numpy",
            f"x = {_np_pad(job, src, (t, b, lf, r), 'one')}",
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
                value = f", value={_num(job.cval)}" if job.cval != 0.0 else ""
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
    if job.flip:
        lines.append(
            "weight = torch.flip(weight, dims=(2, 3))  # flip=True: conv2d correlates: turn 180 degrees"
        )
    options = padding
    if (sy, sx) != (1, 1):
        options += f", stride={_pair((sy, sx))}"
    if (dy, dx) != (1, 1):
        options += f", dilation={_pair((dy, dx))}"
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


def _keras(job: _Job) -> list[str]:
    lines = ["import numpy as np", "from keras import ops", ""]
    lines += _header(job, "keras") + _kernel_lines(job)
    if job.flip:
        lines.append(
            "kernel = kernel[::-1, ::-1]  # flip=True: Keras correlates, so turn it 180 degrees"
        )
    (sy, sx), (dy, dx) = job.stride, job.dilation
    rate = (dy, dx)
    if (sy, sx) != (1, 1) and (dy, dx) != (1, 1):
        lines += _dilate_lines(job, "TensorFlow refuses a stride and a dilation rate together")
        rate = (1, 1)
    setup, (t, b, lf, r) = _pad_setup(job)
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
            f"x = {_np_pad(job, src, (t, b, lf, r), 'one')}[None]  # (1, H, W, C): channels last",
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
        options = f"strides={_pair((sy, sx))}, " + options
    if rate != (1, 1):
        options += f", dilation_rate={_pair(rate)}"
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


_WRITERS = {
    "numpy": _numpy,
    "scipy": _scipy,
    "opencv": _opencv,
    "pytorch": _pytorch,
    "keras": _keras,
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
    lib, job = _check(kernel, library, stride, padding, border, cval, dilation, flip, name)
    applied, step = check_filter_options(job.kernel, channel_mode, channels, bias, activation)
    job = replace(job, kernel=applied, step=step)
    return "\n".join(_WRITERS[lib](job) + step.output_lines()) + "\n"


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
