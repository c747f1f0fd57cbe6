"""Named kernel presets with one-line descriptions, and the kernel transforms a user expects."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .readonly import read_only_copy

MAX_KERNEL_SIZE = 15

__all__ = [
    "FINDS",
    "MAX_KERNEL_SIZE",
    "PRESETS",
    "PRESET_ALIASES",
    "Preset",
    "cleared",
    "find_preset",
    "finds_caption",
    "flip",
    "format_kernel",
    "format_value",
    "get_preset",
    "integer_form",
    "normalize",
    "preset_key",
    "random_kernel",
    "resize_centered",
    "rotate90",
    "scale",
    "transpose",
]


def _const(rows, divisor: float = 1.0) -> np.ndarray:
    """A read-only float32 kernel ``rows / divisor`` (the division done once, in float64)."""
    arr = (np.asarray(rows, dtype=np.float64) / divisor).astype(np.float32)
    arr.setflags(write=False)
    return arr


def _binomial(n: int) -> np.ndarray:
    """Row ``n - 1`` of Pascal's triangle: the integer weights of a discrete Gaussian."""
    return np.array([math.comb(n - 1, i) for i in range(n)], dtype=np.float64)


def _whole(value, what: str) -> int:
    try:
        if isinstance(value, (bool, np.bool_)):  # True is 1 to Python, but not a size
            raise TypeError
        as_float = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"The {what} must be a whole number, not {value!r}.") from None
    if not math.isfinite(as_float) or as_float != int(as_float):
        raise ValueError(f"The {what} must be a whole number, not {value!r}.")
    return int(as_float)


def _kernel(k) -> np.ndarray:
    arr = np.asarray(k, dtype=np.float32)
    if arr.ndim not in (2, 3):
        raise ValueError(
            f"A kernel must be a 2-D grid (or 3-D with depth); this one has {arr.ndim} dimensions."
        )
    return arr


IDENTITY = _const([[0, 0, 0], [0, 1, 0], [0, 0, 0]])
BOX_BLUR = _const(np.ones((3, 3)), 9)
GAUSSIAN_BLUR = _const(np.outer(_binomial(3), _binomial(3)), 16)
GAUSSIAN_BLUR_5X5 = _const(np.outer(_binomial(5), _binomial(5)), 256)
GAUSSIAN_BLUR_7X7 = _const(np.outer(_binomial(7), _binomial(7)), 4096)
SHARPEN = _const([[0, -1, 0], [-1, 5, -1], [0, -1, 0]])
UNSHARP_MASK = _const(
    [
        [1, 4, 6, 4, 1],
        [4, 16, 24, 16, 4],
        [6, 24, -476, 24, 6],
        [4, 16, 24, 16, 4],
        [1, 4, 6, 4, 1],
    ],
    -256,
)
LAPLACIAN = _const([[0, 1, 0], [1, -4, 1], [0, 1, 0]])
OUTLINE = _const([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]])
SOBEL_X = _const([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
SOBEL_Y = _const([[-1, -2, -1], [0, 0, 0], [1, 2, 1]])
PREWITT_X = _const([[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]])
PREWITT_Y = _const([[-1, -1, -1], [0, 0, 0], [1, 1, 1]])
SCHARR_X = _const([[-3, 0, 3], [-10, 0, 10], [-3, 0, 3]])
SCHARR_Y = _const([[-3, -10, -3], [0, 0, 0], [3, 10, 3]])
EMBOSS = _const([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]])
VERTICAL_LINE = _const([[0, 1, 0], [0, 1, 0], [0, 1, 0]])
HORIZONTAL_LINE = _const([[0, 0, 0], [1, 1, 1], [0, 0, 0]])
MOTION_BLUR = _const(np.eye(7), 7)
LAPLACIAN_OF_GAUSSIAN = _const(
    [
        [0, 0, -1, 0, 0],
        [0, -1, -2, -1, 0],
        [-1, -2, 16, -2, -1],
        [0, -1, -2, -1, 0],
        [0, 0, -1, 0, 0],
    ]
)


def random_kernel(size: int = 3, *, seed: int | None = 0, depth: int | None = None) -> np.ndarray:
    """An untrained CNN filter: He-normal random weights, as a fresh network layer starts.

    Parameters
    ----------
    size : int
        Side of the square kernel, 1 to 15.
    seed : int or None
        Seed for :func:`numpy.random.default_rng`; the same seed gives the same kernel.
        ``None`` draws a different kernel each time.
    depth : int or None
        ``None`` gives a ``(size, size)`` kernel; ``C`` gives ``(size, size, C)``, one filter
        that looks at ``C`` input channels at once.

    Returns
    -------
    numpy.ndarray
        float32 weights drawn from ``N(0, 2 / fan_in)`` with ``fan_in = size * size * depth``.

    Examples
    --------
    >>> random_kernel(3, seed=1).shape
    (3, 3)
    >>> random_kernel(5, depth=3).shape
    (5, 5, 3)
    """
    size = _whole(size, "kernel size")
    if not 1 <= size <= MAX_KERNEL_SIZE:
        raise ValueError(f"A kernel side must be 1 to {MAX_KERNEL_SIZE}, not {size}.")
    shape: tuple[int, ...] = (size, size)
    fan_in = size * size
    if depth is not None:
        depth = _whole(depth, "depth")
        if not 1 <= depth <= 4:
            raise ValueError(f"A kernel depth must be 1 to 4 channels, not {depth}.")
        shape = (size, size, depth)
        fan_in *= depth
    rng = np.random.default_rng(seed)
    return rng.normal(0.0, math.sqrt(2.0 / fan_in), size=shape).astype(np.float32)


@dataclass(frozen=True)
class Preset:
    """A named kernel with a one-line description of what it does to a picture."""

    name: str
    description: str
    kernel: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "kernel", read_only_copy(self.kernel))


# random_kernel(3, seed=0), written out so that importing the presets does not load
# numpy.random (tests/core/test_kernels.py checks that the two agree).
RANDOM = _const(
    [
        [0.05926979333162308, -0.06227482855319977, 0.30189812183380127],
        [0.04945039004087448, -0.2525169551372528, 0.17045754194259644],
        [0.6147115230560303, 0.44645825028419495, -0.331743985414505],
    ]
)

_KERNELS: dict[str, np.ndarray] = {
    "identity": IDENTITY,
    "box_blur": BOX_BLUR,
    "gaussian_blur": GAUSSIAN_BLUR,
    "gaussian_blur_5x5": GAUSSIAN_BLUR_5X5,
    "gaussian_blur_7x7": GAUSSIAN_BLUR_7X7,
    "sharpen": SHARPEN,
    "unsharp_mask": UNSHARP_MASK,
    "laplacian": LAPLACIAN,
    "outline": OUTLINE,
    "sobel_x": SOBEL_X,
    "sobel_y": SOBEL_Y,
    "prewitt_x": PREWITT_X,
    "prewitt_y": PREWITT_Y,
    "scharr_x": SCHARR_X,
    "scharr_y": SCHARR_Y,
    "emboss": EMBOSS,
    "vertical_line": VERTICAL_LINE,
    "horizontal_line": HORIZONTAL_LINE,
    "motion_blur": MOTION_BLUR,
    "laplacian_of_gaussian": LAPLACIAN_OF_GAUSSIAN,
    "random": RANDOM,
}

#: What each preset does to a picture, in one line: its description.
_DESCRIPTIONS: dict[str, str] = {
    "identity": "Leaves the picture exactly as it is.",
    "box_blur": "Averages each pixel with its 8 neighbours.",
    "gaussian_blur": "A soft 3x3 blur that weights the centre most.",
    "gaussian_blur_5x5": "A wider Gaussian blur (5x5 binomial weights).",
    "gaussian_blur_7x7": "A strong Gaussian blur (7x7 binomial weights).",
    "sharpen": "Boosts each pixel against its 4 neighbours.",
    "unsharp_mask": "Sharpens by subtracting a 5x5 Gaussian blur.",
    "laplacian": "Responds where brightness curves: edges and dots, any direction.",
    "outline": "Bright outlines where a pixel differs from all 8 neighbours.",
    "sobel_x": "Finds vertical edges: brightness changing left to right.",
    "sobel_y": "Finds horizontal edges: brightness changing top to bottom.",
    "prewitt_x": "Vertical edges with equal weights on all three rows.",
    "prewitt_y": "Horizontal edges with equal weights on all three columns.",
    "scharr_x": "Vertical edges with weights tuned for rotation accuracy.",
    "scharr_y": "Horizontal edges with weights tuned for rotation accuracy.",
    "emboss": "Lights the picture from the top left, as if stamped in metal.",
    "vertical_line": "Adds up a pixel and the ones above and below it.",
    "horizontal_line": "Adds up a pixel and the ones left and right of it.",
    "motion_blur": "Smears along the diagonal, like a moving camera.",
    "laplacian_of_gaussian": "Smooths, then finds edges: a 5x5 Laplacian of Gaussian.",
    "random": "An untrained CNN filter: random He-normal weights.",
}

PRESETS: dict[str, Preset] = {
    name: Preset(name, _DESCRIPTIONS[name], kernel) for name, kernel in _KERNELS.items()
}

#: What each preset finds or does, in a few words: the one-line caption under its map.
FINDS: dict[str, str] = {
    "identity": "the picture itself (nothing changes)",
    "box_blur": "the local average: a blur",
    "gaussian_blur": "a soft blur that keeps the centre strongest",
    "gaussian_blur_5x5": "a wider soft blur",
    "gaussian_blur_7x7": "a strong soft blur",
    "sharpen": "the picture with its edges strengthened",
    "unsharp_mask": "the picture with fine detail strengthened",
    "laplacian": "edges and dots in every direction",
    "outline": "outlines: pixels unlike their neighbours",
    "sobel_x": "vertical edges (brightness changing left to right)",
    "sobel_y": "horizontal edges (brightness changing top to bottom)",
    "prewitt_x": "vertical edges (brightness changing left to right)",
    "prewitt_y": "horizontal edges (brightness changing top to bottom)",
    "scharr_x": "vertical edges, any slant (left to right)",
    "scharr_y": "horizontal edges, any slant (top to bottom)",
    "emboss": "slopes lit from the top left",
    "vertical_line": "vertical lines (bright above and below)",
    "horizontal_line": "horizontal lines (bright left and right)",
    "motion_blur": "a smear along the diagonal",
    "laplacian_of_gaussian": "blobs and edges after smoothing",
    "random": "whatever random weights respond to, as an untrained CNN",
}


def finds_caption(kernel) -> str:
    """What a kernel finds, when it is one of the presets (any depth, flipped or not: the
    preset's own orientation only); ``""`` for any other kernel.

    >>> finds_caption(get_preset("sobel_x").kernel)
    'vertical edges (brightness changing left to right)'
    """
    arr = np.asarray(kernel, dtype=np.float32)
    if arr.ndim == 3:
        if not all(np.array_equal(arr[:, :, 0], arr[:, :, c]) for c in range(arr.shape[2])):
            return ""
        arr = arr[:, :, 0]
    for name, preset in PRESETS.items():
        if preset.kernel.shape == arr.shape and np.array_equal(preset.kernel, arr):
            return FINDS.get(name, "")
    return ""


PRESET_ALIASES: dict[str, str] = {
    "blur": "box_blur",
    "box": "box_blur",
    "mean": "box_blur",
    "gaussian": "gaussian_blur",
    "gaussian_3x3": "gaussian_blur",
    "gaussian_blur_3x3": "gaussian_blur",
    "gaussian_5x5": "gaussian_blur_5x5",
    "gaussian_7x7": "gaussian_blur_7x7",
    "unsharp": "unsharp_mask",
    "edge": "outline",
    "edges": "outline",
    "log": "laplacian_of_gaussian",
    "motion": "motion_blur",
    "sobel": "sobel_x",
    "prewitt": "prewitt_x",
    "scharr": "scharr_x",
}


def preset_key(name: str) -> str:
    """``name`` as a preset key: trimmed, lower case, ``-`` and spaces read as ``_``."""
    return "_".join(str(name).strip().lower().replace("-", " ").replace("_", " ").split())


def find_preset(name: str) -> Preset | None:
    """The preset ``name`` stands for, read as :func:`get_preset` reads it; None if there is none.

    Examples
    --------
    >>> find_preset("sobel").name
    'sobel_x'
    >>> find_preset("1 0 -1") is None
    True
    """
    key = preset_key(name)
    return PRESETS.get(PRESET_ALIASES.get(key, key))


def get_preset(name: str) -> Preset:
    """The preset called ``name``.

    Parameters
    ----------
    name : str
        A preset name, in any case; ``-`` and spaces count as ``_`` (``"Sobel X"`` works).

    Returns
    -------
    Preset

    Raises
    ------
    ValueError
        For an unknown name; the message names the closest preset.

    Examples
    --------
    >>> get_preset("Sobel-X").name
    'sobel_x'
    """
    found = find_preset(name)
    if found is not None:
        return found
    import difflib  # only for the message about an unknown name

    key = preset_key(name)
    key = PRESET_ALIASES.get(key, key)
    candidates = list(PRESETS) + list(PRESET_ALIASES)
    close = difflib.get_close_matches(key, candidates, n=1, cutoff=0.5)
    if close:
        best = PRESET_ALIASES.get(close[0], close[0])
        raise ValueError(f"There is no preset called {name!r}; the closest is {best!r}.")
    raise ValueError(f"There is no preset called {name!r}; the presets are {', '.join(PRESETS)}.")


# Transforms ---------------------------------------------------------------------------------


def normalize(k) -> tuple[np.ndarray, str | None]:
    """Divide the kernel by the sum of its weights, so that it keeps overall brightness.

    Parameters
    ----------
    k : array_like
        A ``(kh, kw)`` or ``(kh, kw, C)`` kernel.

    Returns
    -------
    kernel : numpy.ndarray
        A new float32 kernel whose weights sum to 1, or an unchanged copy when they sum to zero.
    message : str or None
        ``None`` when the kernel was divided; otherwise a sentence saying why it was not.

    Examples
    --------
    >>> normalize([[1, 2, 1]])[0]
    array([[0.25, 0.5 , 0.25]], dtype=float32)
    >>> normalize([[-1, 0, 1]])[1]
    'The weights sum to zero, so normalize left the kernel as it is.'
    """
    arr = _kernel(k)
    total = float(arr.sum(dtype=np.float64))
    magnitude = float(np.abs(arr).sum(dtype=np.float64))
    # A sum that is zero up to float32 rounding would blow the weights up to noise.
    if magnitude == 0.0 or abs(total) <= 1e-6 * magnitude:
        return arr.copy(), "The weights sum to zero, so normalize left the kernel as it is."
    return (arr.astype(np.float64) / total).astype(np.float32), None


def scale(k, factor: float) -> np.ndarray:
    """Multiply every weight by ``factor``; a ``ValueError`` if a result would not be finite.

    Examples
    --------
    >>> scale([[1, -2]], 0.5)
    array([[ 0.5, -1. ]], dtype=float32)
    """
    arr = _kernel(k)
    try:
        f = float(factor)
    except (TypeError, ValueError):
        raise ValueError(f"The scale factor must be a number, not {factor!r}.") from None
    if not math.isfinite(f):
        raise ValueError("The scale factor must be a finite number.")
    with np.errstate(over="ignore"):
        out = (arr.astype(np.float64) * f).astype(np.float32)
    if not np.all(np.isfinite(out)):
        raise ValueError(f"Scaling by {f:g} makes some weights too large to store.")
    return out


def flip(k) -> np.ndarray:
    """Rotate the kernel 180 degrees (each channel of a depth kernel on its own).

    Cross-correlation with ``flip(k)`` is true convolution with ``k``.
    """
    return np.ascontiguousarray(_kernel(k)[::-1, ::-1], dtype=np.float32).copy()


def rotate90(k, *, clockwise: bool = True) -> np.ndarray:
    """Rotate the kernel a quarter turn, clockwise unless ``clockwise=False``.

    Examples
    --------
    >>> rotate90([[1, 2], [3, 4]])
    array([[3., 1.],
           [4., 2.]], dtype=float32)
    """
    arr = _kernel(k)
    return np.ascontiguousarray(np.rot90(arr, -1 if clockwise else 1, axes=(0, 1))).copy()


def transpose(k) -> np.ndarray:
    """Swap rows and columns (``sobel_x`` becomes ``sobel_y``); depth stays last."""
    return np.ascontiguousarray(np.swapaxes(_kernel(k), 0, 1)).copy()


def resize_centered(k, size) -> np.ndarray:
    """The kernel at a new size, its centre kept in place.

    Parameters
    ----------
    k : array_like
        A ``(kh, kw)`` or ``(kh, kw, C)`` kernel.
    size : int or (int, int)
        The new side (or ``(rows, columns)``), each 1 to 15. Growing pads zeros evenly around
        the kernel; shrinking keeps the centre. With an odd difference the extra row or column
        goes to the bottom/right when growing and is dropped from the bottom/right when shrinking.

    Examples
    --------
    >>> resize_centered([[1]], 3)
    array([[0., 0., 0.],
           [0., 1., 0.],
           [0., 0., 0.]], dtype=float32)
    """
    arr = _kernel(k)
    if isinstance(size, (tuple, list, np.ndarray)):
        if len(size) != 2:
            raise ValueError("A kernel size is one number or a pair (rows, columns).")
        nh, nw = _whole(size[0], "kernel size"), _whole(size[1], "kernel size")
    else:
        nh = nw = _whole(size, "kernel size")
    for n in (nh, nw):
        if not 1 <= n <= MAX_KERNEL_SIZE:
            raise ValueError(f"A kernel side must be 1 to {MAX_KERNEL_SIZE}, not {n}.")
    out = np.zeros((nh, nw) + arr.shape[2:], dtype=np.float32)
    (src_r, dst_r), (src_c, dst_c) = (
        _centre_slices(arr.shape[0], nh),
        _centre_slices(arr.shape[1], nw),
    )
    out[dst_r, dst_c] = arr[src_r, src_c]
    return out


def _centre_slices(old: int, new: int) -> tuple[slice, slice]:
    """(source slice, destination slice) that line up the centres of ``old`` and ``new`` cells."""
    if new >= old:
        before = (new - old) // 2
        return slice(0, old), slice(before, before + old)
    start = (old - new) // 2
    return slice(start, start + new), slice(0, new)


def cleared(k) -> np.ndarray:
    """A kernel of the same shape with every weight zero."""
    return np.zeros_like(_kernel(k), dtype=np.float32)


# Text form ----------------------------------------------------------------------------------


def format_value(x: float) -> str:
    """The shortest text that reads back as exactly the same float32 value.

    Whole numbers have no ``.0``; very large or very small magnitudes use ``e`` notation.

    Examples
    --------
    >>> format_value(0.0625), format_value(-2.0), format_value(1e-7)
    ('0.0625', '-2', '1e-07')
    """
    v = np.float32(x)
    if v == 0:
        return "0"
    mag = abs(float(v))
    if 1e-4 <= mag < 1e9:
        return np.format_float_positional(v, unique=True, trim="-")
    return np.format_float_scientific(v, unique=True, trim="-", exp_digits=2)


#: Divisors :func:`integer_form` tries: every whole number to 1024, then powers of two (a 7x7
#: binomial Gaussian is divided by 4096).
_DIVISORS = np.array([*range(1, 1025), *(2**n for n in range(11, 17))], dtype=np.float64)
#: The largest whole weight :func:`integer_form` writes.
_LARGEST_WHOLE = 99_999


def integer_form(k) -> tuple[np.ndarray, int]:
    """The kernel as whole numbers over one divisor, as GIMP and ImageJ write kernels.

    Returns ``(grid, divisor)`` with the smallest divisor for which ``grid / divisor`` in
    float32 is exactly the kernel and every entry of ``grid`` is a whole number (at most
    99999 in size); ``(k, 1)`` when there is none (random weights, 0.3 typed in).

    Examples
    --------
    >>> grid, d = integer_form(get_preset("gaussian_blur").kernel)
    >>> grid.astype(int).tolist(), d
    ([[1, 2, 1], [2, 4, 2], [1, 2, 1]], 16)
    >>> integer_form([[0.5, -1.5]])[1]
    2
    """
    arr = np.asarray(k, dtype=np.float32)
    wide = arr.astype(np.float64)
    flat = wide.ravel()
    nonzero = flat[flat != 0]
    if nonzero.size == 0 or not np.all(np.isfinite(flat)):
        return wide.copy(), 1
    # A cheap first pass on the largest weight keeps only the divisors it allows.
    lead = nonzero[np.argmax(np.abs(nonzero))]
    whole = np.rint(lead * _DIVISORS)
    ok = (np.abs(whole) <= _LARGEST_WHOLE) & (
        (whole / _DIVISORS).astype(np.float32) == np.float32(lead)
    )
    for d in _DIVISORS[ok]:
        grid = np.rint(wide * d)
        if np.array_equal((grid / d).astype(np.float32), arr):
            return grid + 0.0, int(d)
    return wide.copy(), 1


def format_kernel(k) -> str:
    """The kernel as text: one row a line, columns aligned, values separated by spaces.

    A depth kernel ``(kh, kw, C)`` is written channel by channel, each under a ``# channel N``
    line, with a blank line between channels. :func:`filterstudio.core.parse.parse_kernel` reads the text back exactly.

    Examples
    --------
    >>> print(format_kernel(get_preset("sobel_x").kernel))
    -1 0 1
    -2 0 2
    -1 0 1
    """
    arr = _kernel(k)
    planes = [arr] if arr.ndim == 2 else [arr[:, :, c] for c in range(arr.shape[2])]
    blocks = []
    for number, plane in enumerate(planes, start=1):
        cells = [[format_value(v) for v in row] for row in plane.tolist()]
        widths = [max(len(row[j]) for row in cells) for j in range(plane.shape[1])]
        lines = [" ".join(c.rjust(w) for c, w in zip(row, widths)) for row in cells]
        if arr.ndim == 3:
            # The header keeps the depth explicit even for one channel or a one-row kernel.
            lines.insert(0, f"# channel {number}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
