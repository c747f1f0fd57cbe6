"""One convolve call checked for code writing, and the pieces of text every library's program shares."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .arguments import as_pair, check_border, check_flag, fill_value, planar_array, resolve_padding
from .codegen_filter import FilterStep
from .kernels import format_value

LIBRARIES = ("numpy", "scipy", "opencv", "pytorch", "keras")
ALIASES = {"np": "numpy", "cv2": "opencv", "cv": "opencv", "torch": "pytorch", "tf.keras": "keras"}
TITLES = {
    "numpy": "numpy",
    "scipy": "scipy.ndimage",
    "opencv": "OpenCV",
    "pytorch": "PyTorch",
    "keras": "Keras 3",
}

# numpy.pad mode -> the same border in each library (SPEC.md's table).
NDIMAGE_BORDERS = {
    "constant": "constant",
    "edge": "nearest",
    "reflect": "mirror",
    "symmetric": "reflect",
    "wrap": "grid-wrap",
}
OPENCV_BORDERS = {
    "constant": "BORDER_CONSTANT",
    "edge": "BORDER_REPLICATE",
    "reflect": "BORDER_REFLECT_101",
    "symmetric": "BORDER_REFLECT",
    "wrap": "BORDER_WRAP",
}
TORCH_BORDERS = {
    "constant": "constant",
    "edge": "replicate",
    "reflect": "reflect",
    "wrap": "circular",
}


@dataclass(frozen=True)
class Job:
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


def check(kernel, library, stride, padding, border, cval, dilation, flip, name) -> tuple[str, Job]:
    lib = str(library).strip().lower() if isinstance(library, str) else None
    lib = ALIASES.get(lib, lib)
    if lib not in LIBRARIES:
        raise ValueError(f"Unknown library {library!r}: use {', '.join(LIBRARIES[:-1])} or keras.")
    arr = planar_array(
        kernel, "kernel", axes=("kh, kw", "kh, kw, C"), needs="; it needs at least one weight"
    )
    k32 = arr.astype(np.float32)
    if not np.isfinite(k32).all():
        raise ValueError("The kernel contains a value that is not a finite number.")
    check_border(border)
    cval = fill_value(cval)
    flip = check_flag(flip, "flip")
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
    job = Job(k32, strides, dils, padding, border, float(np.float32(cval)), bool(flip), name, pads)
    return lib, job


# ----------------------------------------------------------------------------- text pieces


def num(v: float) -> str:
    return format_value(v)


def rows_text(plane: np.ndarray, indent: str) -> str:
    """A 2-D plane as a Python list of lists, one row a line, columns aligned."""
    cells = [[num(v) for v in row] for row in plane.tolist()]
    widths = [max(len(row[j]) for row in cells) for j in range(plane.shape[1])]
    lines = ["[" + ", ".join(c.rjust(w) for c, w in zip(row, widths)) + "]" for row in cells]
    if len(lines) == 1:
        return "[" + lines[0] + "]"
    return "[\n" + "".join(f"{indent}    {line},\n" for line in lines) + f"{indent}]"


def kernel_lines(job: Job) -> list[str]:
    """The kernel as code, then what the filter's channel mode does to the picture."""
    k, step = job.kernel, job.step
    lines = step.kernel_note()
    if not job.depth:
        lines.append(f"kernel = np.array({rows_text(k, '')}, dtype=np.float32)")
    elif (k == k[:, :, :1]).all():
        kh, kw, c = k.shape
        lines += [
            f"# one filter with depth: the same {kh}x{kw} weights on each of the {c} channels",
            f"kernel = np.array({rows_text(k[:, :, 0], '')}, dtype=np.float32)",
            f"kernel = np.repeat(kernel[:, :, None], {c}, axis=2)",
        ]
    else:
        kh, kw, c = k.shape
        lines += [
            f"# one filter with depth: a {kh}x{kw} kernel for each of the picture's {c} channels",
            f"kernel = np.zeros(({kh}, {kw}, {c}), dtype=np.float32)",
        ]
        for ch in range(c):
            lines.append(f"kernel[:, :, {ch}] = {rows_text(k[:, :, ch], '')}")
    return lines + step.input_lines()


def call_text(job: Job) -> str:
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
        parts.append(f"cval={num(job.cval)}")
    if (dy, dx) != (1, 1):
        parts.append(f"dilation={dy if dy == dx else (dy, dx)}")
    if job.flip:
        parts.append("flip=True")
    if job.step.is_filter:
        parts[2:2] = job.step.call_options()
        return f"filterstudio.apply_filter({', '.join(parts)})"
    return f"filterstudio.convolve({', '.join(parts)})"


def header(job: Job, lib: str) -> list[str]:
    what = f"The {job.name!r} map: " if job.name else "The map "
    shape = job.step.image_shape()
    if shape is None:
        shape = f"(H, W, {job.kernel.shape[2]})" if job.depth else "(H, W) or (H, W, 3)"
    return [
        f"# {what}{call_text(job)}, redone with {TITLES[lib]} alone.",
        f"# `image`: {shape} float32 (as filterstudio loads it); `out`: the float32 map.",
    ]


def pad_setup(job: Job) -> tuple[list[str], tuple[str, str, str, str]]:
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


def np_pad(job: Job, source: str, pads: tuple[str, str, str, str], channels: str) -> str:
    """A numpy.pad call of ``source``, whose channel axis is ``"one"`` (always there) or
    ``"any"`` (there for a colour picture only)."""
    t, b, lf, r = pads
    width = f"[({t}, {b}), ({lf}, {r})"
    width += ", (0, 0)]" if channels == "one" else "] + [(0, 0)] * (image.ndim - 2)"
    mode = f'mode="{job.border}"'
    if job.border == "constant" and job.cval != 0.0:
        mode += f", constant_values={num(job.cval)}"
    return f"np.pad({source}, {width}, {mode})"


def slice_text(end: str, step: int) -> str:
    """Slice text ``:end:step`` without the parts that are not needed."""
    text = f":{end}" if end else ":"
    return text + f":{step}" if step > 1 else text


def slices(sy: int, sx: int) -> str:
    return ", ".join(slice_text("", s) for s in (sy, sx))


def fits_kernel(job: Job) -> bool:
    """Padding no wider than the dilated kernel less one: a library's own border can add it."""
    if job.pads is None:
        return True
    (t, b), (lf, r) = job.pads
    keh, kew = job.spread
    return t + b <= keh - 1 and lf + r <= kew - 1


def crop_expr(job: Job, var: str) -> tuple[list[str], str]:
    """The map from a same-size ``var`` whose row ``i`` is output row ``i / sy``: the lines it
    needs first and the expression."""
    sy, sx = job.stride
    if job.pads is None:  # 'same': ceil(n / s) rows, exactly what the step leaves
        return [], f"{var}[{slices(sy, sx)}]" if (sy, sx) != (1, 1) else var
    (t, b), (lf, r) = job.pads
    keh, kew = job.spread
    cut_h, cut_w = keh - 1 - t - b, kew - 1 - lf - r
    if cut_h == cut_w == 0 and (sy, sx) == (1, 1):
        return [], var
    rows = slice_text(f"h - {cut_h}" if cut_h else "", sy)
    cols = slice_text(f"w - {cut_w}" if cut_w else "", sx)
    lines = ["h, w = image.shape[:2]"] if (cut_h or cut_w) and job.pads is not None else []
    return lines, f"{var}[{rows}, {cols}]"


def pair_text(p: tuple[int, int]) -> str:
    return str(p[0]) if p[0] == p[1] else f"({p[0]}, {p[1]})"


def finish(lines: list[str], call: str, comment: str, crop: tuple[list[str], str]) -> None:
    """Append ``y = call`` and ``out = crop``, or ``out = call`` when nothing is cropped."""
    setup, expr = crop
    if expr == "y":
        lines.append(f"out = {call}{comment}")
    else:
        lines += [f"y = {call}{comment}", *setup, f"out = {expr}"]


def dilate_lines(job: Job, why: str) -> list[str]:
    dy, dx = job.dilation
    if (dy, dx) == (1, 1):
        return []
    keh, kew = job.spread
    shape = f"({keh}, {kew}, {job.kernel.shape[2]})" if job.depth else f"({keh}, {kew})"
    return [
        f"# dilation {pair_text((dy, dx))}: the taps spread apart, zeros between ({why})",
        f"dilated = np.zeros({shape}, dtype=np.float32)",
        f"dilated[{slices(dy, dx)}] = kernel",
        "kernel = dilated",
    ]


def valid_slice(job: Job, var: str, source: str) -> tuple[list[str], str]:
    """Rows and columns of a same-size map that a 'valid' pass over ``source`` keeps."""
    (sy, sx), (keh, kew) = job.stride, job.spread
    if (keh, kew, sy, sx) == (1, 1, 1, 1):
        return [], var
    rows = slice_text(f"{source}.shape[0] - {keh - 1}" if keh > 1 else "", sy)
    cols = slice_text(f"{source}.shape[1] - {kew - 1}" if kew > 1 else "", sx)
    return [], f"{var}[{rows}, {cols}]"
