"""Everything the studio says about one kernel as a layer applies it: frequencies, splitting, aliasing.

:func:`kernel_insight` gathers :mod:`.spectrum` and :mod:`.separable` for the kernel a filter
really slides over the picture (dilated by the layer, a depth kernel summed or one channel of
it) into one frozen :class:`KernelInsight`, so the window can compute it off its own thread
and show it in one go.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .arguments import as_pair
from .separable import describe_separable, separable, separable_cost
from .spectrum import MAX_GRID, classify_response, frequency_axis, summed_channels

__all__ = ["GRID", "KernelInsight", "dilated_response", "kernel_insight"]

#: Side of the frequency grid the studio draws.
GRID = 64
# The largest dilated kernel described in its own words: classify_response samples it on a grid
# twice its size.
_DESCRIBED_SIDE = MAX_GRID // 2


def _ordinal(d: int) -> str:
    return {2: "2nd", 3: "3rd"}.get(d, f"{d}th")


@dataclass(frozen=True)
class KernelInsight:
    """What one kernel does, ready to show.

    ``response`` is the ``(n, n)`` float64 magnitude (read-only, zero frequency at
    ``[n // 2, n // 2]``) of the kernel as applied: dilated, and for a depth kernel summed or
    one channel. ``response_text`` is :func:`describe_response`'s sentence (and a line on
    dilation), ``separable_text`` :func:`describe_separable`'s, ``factors`` the column and row
    of a separable 2-D kernel (else None), ``cost`` the multiplies per pixel ``(as separated,
    dense)``. ``stride_text`` says what a stride above 1 does to
    the detail the kernel lets through (empty at stride 1); ``alias_share`` is the part of the
    response's energy beyond the stride's Nyquist frequency (0 at stride 1).
    """

    response: np.ndarray
    kind: str
    response_text: str
    separable_text: str
    factors: tuple[np.ndarray, np.ndarray] | None
    cost: tuple[int, int]
    dilation: tuple[int, int]
    stride: tuple[int, int]
    channel: int | None
    depth: int | None
    stride_text: str
    alias_share: float

    @property
    def n(self) -> int:
        return int(self.response.shape[0])

    @property
    def nyquist(self) -> tuple[float, float]:
        """The highest vertical and horizontal frequencies the map can hold, cycles per pixel."""
        return 0.5 / self.stride[0], 0.5 / self.stride[1]


def _dilate(k2: np.ndarray, dilation: tuple[int, int]) -> np.ndarray:
    dy, dx = dilation
    kh, kw = k2.shape
    out = np.zeros((dy * (kh - 1) + 1, dx * (kw - 1) + 1), dtype=k2.dtype)
    out[::dy, ::dx] = k2
    return out


def dilated_response(k2, dilation=1, n: int = GRID) -> np.ndarray:
    """``|DFT|`` on an ``n x n`` grid (zero frequency in the centre) of ``k2`` dilated.

    A dilated kernel's transform is the kernel's own at ``d`` times the frequency: sample ``u``
    of the dilated kernel is sample ``d * u mod n`` of the kernel's, exactly, however wide the
    dilated kernel is. (For a dilated kernel that fits the grid this equals
    ``abs(fftshift(fft2(dilated, (n, n))))``.)
    """
    k2 = np.asarray(k2, dtype=np.float64)
    dy, dx = as_pair(dilation, "dilation")
    full = np.abs(np.fft.fft2(k2, s=(n, n)))
    rows = (dy * np.arange(n)) % n
    cols = (dx * np.arange(n)) % n
    return np.fft.fftshift(full[np.ix_(rows, cols)])


def _alias_share(response: np.ndarray, stride: tuple[int, int]) -> float:
    """The part of ``sum |H|^2`` beyond the stride's Nyquist frequency on either axis."""
    if stride == (1, 1):
        return 0.0
    f = frequency_axis(response.shape[0])
    inside = (np.abs(f)[:, None] <= 0.5 / stride[0]) & (np.abs(f)[None, :] <= 0.5 / stride[1])
    power = response**2
    total = float(power.sum())
    return 0.0 if total == 0.0 else float(power[~inside].sum()) / total


def _stride_text(stride: tuple[int, int], share: float, kind: str) -> str:
    if stride == (1, 1):
        return ""
    sy, sx = stride
    every = (
        f"every {_ordinal(sy)} row and column"
        if sy == sx
        else (f"every {_ordinal(sy)} row and {_ordinal(sx)} column")
    )
    text = (
        f"At stride {sy if sy == sx else f'{sy} x {sx}'} the map keeps {every}: detail finer than "
        "the dashed square cannot be held and folds back as a false, coarser pattern (aliasing)."
    )
    if kind == "zero":
        return text
    percent = 100.0 * share
    amount = f"{percent:.0f}%" if percent >= 1 else ("under 1%" if percent > 0 else "none")
    text += f" This kernel lets {amount} of what it passes through outside the square"
    if share > 0.25:
        return text + ": blur first, or the map will show patterns that are not in the picture."
    return text + "."


def kernel_insight(
    kernel,
    *,
    dilation=1,
    stride=1,
    channel: int | None = None,
    n: int = GRID,
    reads: str = "picture",
) -> KernelInsight:
    """What ``kernel`` does under ``dilation`` and ``stride``, for the insight panel.

    Parameters
    ----------
    kernel : array_like
        ``(kh, kw)`` or a depth kernel ``(kh, kw, C)``, finite.
    dilation, stride : int or (int, int)
        The layer's; dilation spreads the taps (the response repeats), stride decides which
        frequencies the map can hold.
    channel : int or None
        For a depth kernel: None describes the sum of its channels (what it does to a grey
        picture), an index that channel alone.
    reads : {"picture", "maps"}
        What the kernel is applied to: the picture (a first layer) or the maps of an earlier
        stage, as the sentences say.
    n : int
        Side of the response grid, at least the kernel's larger side.

    Returns
    -------
    KernelInsight
    """
    arr = np.asarray(kernel)
    dil = as_pair(dilation, "dilation")
    strides = as_pair(stride, "stride")
    summary = classify_response(arr, channel=channel, reads=reads)  # checks kernel and channel
    depth = arr.shape[2] if arr.ndim == 3 else None
    plane = arr.astype(np.float64)
    if depth is not None:
        plane = plane.sum(axis=2) if channel is None else plane[:, :, int(channel)]
    if max(plane.shape) > n:
        raise ValueError(f"The grid size n must be at least the kernel's larger side, not {n}.")
    response = dilated_response(plane, dil, n)
    response.setflags(write=False)
    kind, text = summary.kind, summary.sentence
    if dil != (1, 1):
        dy, dx = dil
        spread = _dilate(plane, dil)
        if max(spread.shape) <= _DESCRIBED_SIDE:
            dilated = classify_response(spread)
            kind, text = dilated.kind, dilated.sentence
            if depth is not None and channel is None:
                text = f"{summed_channels(depth, reads)}: {text[0].lower()}{text[1:]}"
        times = f"{dy}" if dy == dx else f"{dy} x {dx}"
        text += (
            f" Dilated {times}: with zeros between the taps, the kernel's own response repeats "
            f"{times} times across the grid."
        )
    if depth is not None and channel is None:
        sep_text, factors, cost = describe_separable(arr), None, separable_cost(arr)
    else:
        sep_text, factors = describe_separable(plane), separable(plane)
        kh, kw = plane.shape
        split = factors is not None and kh > 1 and kw > 1
        cost = (kh + kw if split else kh * kw, kh * kw)  # separable_cost, without a third SVD
        if plane.shape[0] == 1 or plane.shape[1] == 1:
            factors = None
    share = _alias_share(response, strides)
    return KernelInsight(
        response=response,
        kind=kind,
        response_text=text,
        separable_text=sep_text,
        factors=factors,
        cost=cost,
        dilation=dil,
        stride=strides,
        channel=channel,
        depth=depth,
        stride_text=_stride_text(strides, share, kind),
        alias_share=share,
    )
