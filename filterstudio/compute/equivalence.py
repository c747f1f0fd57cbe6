"""Why a CNN needs its activations: two conv stages with nothing between them are one conv stage.

For a conv stage ``k`` that follows a conv stage ``k - 1``, :func:`equivalent_layer` builds the
single layer that stage ``k - 1`` then filter ``o`` of stage ``k`` would be without the
activations between them (:func:`~filterstudio.core.compose.compose_kernels`,
:func:`~filterstudio.core.compose.compose_bias`; strides multiply), runs it on what stage
``k - 1`` reads, and compares its map with the stack's, cell for cell, over the cells whose
receptive field lies inside the picture (padding is where two stages and one layer differ).

When an activation (ReLU, abs) sits between them the stack is not linear: the same kernel
then misses, and no other does better than the least-squares fit, which is measured too on an
even sample of cells. Either way the answer is one frozen :class:`Equivalence` with the
sentences the studio shows. No Qt.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..core.compose import compose_bias, compose_kernels
from ..core.conv2d import conv2d
from ..core.pipeline import activate, effective_kernel, prepare_input
from ..core.receptive import growth
from ..model.bank import Filter
from ..model.stack import ConvStage, Stack
from .receptive_fields import stage_chain
from .stagework import stage_planes

__all__ = ["Equivalence", "equivalent_layer", "first_weights", "stage_input"]

#: The least-squares fit reads at most this many cells of the map.
FIT_CELLS = 20000


@dataclass(frozen=True)
class Equivalence:
    """The single layer equal (or not) to stage ``stage - 1`` then filter ``index`` of ``stage``.

    ``kernel`` ``(KH, KW, C)`` (``C`` the maps or channels stage ``stage - 1`` reads) with
    ``bias``, used with ``stride`` and valid padding, then the filter's own activation.
    ``linear``: no activation between the two stages, so the single layer *is* the stack.
    ``max_difference`` is the largest ``|stack - single|`` over ``cells`` compared cells;
    ``fit_rms`` and ``fit_explained`` how close the best least-squares single layer of the same
    size comes (None when ``linear``); ``stack_map`` and ``single_map`` are the compared cells.
    """

    stage: int
    index: int
    name: str
    linear: bool
    kernel: np.ndarray = field(repr=False)
    bias: float
    stride: tuple[int, int]
    max_difference: float
    cells: int
    spread: float
    fit_rms: float | None
    fit_explained: float | None
    stack_map: np.ndarray = field(repr=False)
    single_map: np.ndarray = field(repr=False)
    between: str  # the activations between the stages, in words

    @property
    def size_text(self) -> str:
        kh, kw, c = self.kernel.shape
        return f"{kh}x{kw}" + (f"x{c}" if c > 1 else "")

    @property
    def sentences(self) -> list[str]:
        """What the studio says about it."""
        k, size = self.stage + 1, self.size_text
        s = self.stride
        stride = "" if s == (1, 1) else f" with stride {s[0] if s[0] == s[1] else f'{s[0]}x{s[1]}'}"
        if self.linear:
            same = self.max_difference <= 1e-4 * max(1.0, self.spread)
            verdict = "They are the same map" if same else "They differ"
            return [
                f"Stage {k - 1} and {self.name} of stage {k} have no activation between them, so "
                f"together they are one conv layer: a single {size} kernel{stride} with bias "
                f"{self.bias:.4g}.",
                f"{verdict}: the largest difference is {self.max_difference:.2g} over the "
                f"{self.cells:,} cells that read no padding"
                + (" (float rounding)." if same else "."),
            ]
        fit = f"the best {size} kernel (least squares over {min(self.cells, FIT_CELLS):,} cells)"
        share = (
            f"{100 * self.fit_explained:.0f}%"
            if self.fit_explained < 0.995
            else (f"{100 * self.fit_explained:.2f}%")
        )
        first = (
            f"Between stage {k - 1} and {self.name} of stage {k} sits {self.between}: the two "
            "stages together are no longer one linear filter."
        )
        if self.fit_explained < 0.99:
            return [
                first,
                f"The {size} kernel they would make without it misses by up to "
                f"{self.max_difference:.3g}, and even {fit} explains only {share} of the map's "
                f"variation (rms error {self.fit_rms:.3g}): no single kernel does it.",
            ]
        return [
            first,
            f"On this picture {self.between} seldom changes a value, so {fit} still explains "
            f"{share}; with filters whose maps go negative (edges, a negative bias) it cuts "
            "more, and no single kernel keeps up.",
        ]


def first_weights(stack: Stack, k: int, channels: int) -> tuple[np.ndarray, np.ndarray]:
    """Conv stage ``k``'s filters as PyTorch's weight ``(C_out, C_in, kh, kw)`` over what the
    stage reads, and their biases ``(C_out,)``, one output per map it gives (colour mode: three
    per filter). Switched-off filters give zeros. Smaller kernels are centred in the largest."""
    s = stack.stages[k]
    if not isinstance(s, ConvStage):
        raise ValueError(f"Stage {k + 1} is a pooling stage; it has no kernels.")
    sizes = {f.size for f in s.filters}
    kh = max(h for h, _ in sizes)
    kw = max(w for _, w in sizes)
    if any((kh - h) % 2 or (kw - w) % 2 for h, w in sizes):
        raise ValueError(
            f"The filters of stage {k + 1} have sizes that cannot be centred in one another; "
            "give them one size to see one equivalent kernel."
        )
    mode = s.layer.channel_mode if k == 0 else "depth"
    outs, biases = [], []

    def centred(k2: np.ndarray) -> np.ndarray:
        h, w = k2.shape[-2:]
        out = np.zeros(k2.shape[:-2] + (kh, kw), np.float32)
        out[..., (kh - h) // 2 : (kh - h) // 2 + h, (kw - w) // 2 : (kw - w) // 2 + w] = k2
        return out

    for f in s.filters:
        on = np.float32(1.0 if f.enabled else 0.0)
        if k == 0 and mode == "color":
            k2 = effective_kernel(f.kernel, "gray", 1) * on  # per channel, as convolve does
            for c in range(channels):
                w = np.zeros((channels, k2.shape[0], k2.shape[1]), np.float32)
                w[c] = k2
                outs.append(centred(w))
                biases.append(f.bias * float(on))
            continue
        eff = effective_kernel(f.kernel, mode, channels) * on
        w = eff[None] if eff.ndim == 2 else np.moveaxis(eff, 2, 0)
        outs.append(centred(w))
        biases.append(f.bias * float(on))
    return np.stack(outs).astype(np.float32), np.array(biases, np.float32)


def stage_input(image: np.ndarray, stack: Stack, k: int, maps: dict | None = None) -> np.ndarray:
    """What conv stage ``k`` reads as ``(H, W, C)``: the picture under the bank's channel mode
    (``k == 0``), or the maps of stage ``k - 1`` (``maps``: key -> exact values)."""
    if k == 0:
        x = prepare_input(image, stack.bank.layer.channel_mode)
        return x[:, :, None] if x.ndim == 2 else x
    planes = stage_planes(stack, k, maps)
    shape = next(p.shape for p in planes if p is not None)
    return np.stack([np.zeros(shape, np.float32) if p is None else p for p in planes], axis=2)


def _between(filters: Sequence[Filter]) -> str:
    acts = sorted({f.activation for f in filters if f.activation != "none"})
    names = {"relu": "ReLU", "abs": "abs"}
    return " and ".join(names.get(a, a) for a in acts) or "nothing"


def _aligned(stack_map: np.ndarray, single: np.ndarray, offset, jump):
    """The cells of both maps that read the same picture window: ``(stack part, single part,
    the single part's first cell)``."""
    parts = []
    for axis in (0, 1):
        off, s = offset[axis], jump[axis]
        if off % s:
            raise ValueError(
                "The two stages' padding does not line up with one layer's cells; set both "
                "stages' padding to valid to compare them."
            )
        shift = off // s  # stack cell i reads what single cell i - shift reads
        lo = max(shift, 0)
        hi = min(stack_map.shape[axis], single.shape[axis] + shift)
        if hi <= lo:
            raise ValueError("No cell of the stack reads the picture without padding.")
        parts.append((slice(lo, hi), slice(lo - shift, hi - shift)))
    (a0, b0), (a1, b1) = parts
    return stack_map[a0, a1], single[b0, b1], (b0.start, b1.start)


def _fit(x: np.ndarray, target: np.ndarray, kh: int, kw: int, jump, origin,
         rng) -> tuple[float, float]:  # fmt: skip
    """The least-squares kernel ``(kh, kw, C)`` + bias for ``target``, whose cell ``(0, 0)`` is
    cell ``origin`` of a valid layer with stride ``jump`` on ``x``: its rms residual and the
    share of variance it explains."""
    oh, ow = target.shape
    n = oh * ow
    cells = rng.choice(n, size=min(n, FIT_CELLS), replace=False) if n > FIT_CELLS else np.arange(n)
    i, j = np.divmod(cells, ow)
    rows = (i[:, None] + origin[0]) * jump[0] + np.arange(kh)[None]
    cols = (j[:, None] + origin[1]) * jump[1] + np.arange(kw)[None]
    patches = x[rows[:, :, None], cols[:, None, :]]  # (N, kh, kw, C)
    a = np.concatenate([patches.reshape(len(cells), -1).astype(np.float64),
                        np.ones((len(cells), 1))], axis=1)  # fmt: skip
    b = target.ravel()[cells].astype(np.float64)
    sol, *_ = np.linalg.lstsq(a, b, rcond=None)
    rms = float(np.sqrt(np.mean((a @ sol - b) ** 2)))
    std = float(b.std())
    explained = 1.0 if std == 0 else max(0.0, 1.0 - (rms / std) ** 2)
    return rms, explained


def equivalent_layer(
    image: np.ndarray,
    stack: Stack,
    k: int,
    index: int,
    stack_map: np.ndarray,
    maps: dict | None = None,
    *,
    seed: int = 0,
) -> Equivalence:
    """Stage ``k - 1`` then filter ``index`` of conv stage ``k`` as one layer, compared with the
    stack's map ``stack_map`` (exact, as the studio shows it).

    ``maps`` holds the exact maps of stage ``k - 2`` (key -> values) when ``k >= 2``.

    Raises
    ------
    ValueError
        One sentence: stage ``k`` or ``k - 1`` is not a conv stage, their padding does not
        line up, or the maps are of another size.
    """
    if not 1 <= k < len(stack) or not isinstance(stack.stages[k], ConvStage):
        raise ValueError("The equivalent single layer needs a conv stage after the first.")
    first = stack.stages[k - 1]
    if not isinstance(first, ConvStage):
        raise ValueError(
            f"Stage {k} is a pooling stage; the single equivalent layer joins two conv stages "
            "that follow each other."
        )
    second = stack.stages[k]
    flt = second.filters[index]
    x = stage_input(image, stack, k - 1, maps)
    w1, b1 = first_weights(stack, k - 1, x.shape[2])
    w2 = np.moveaxis(np.asarray(flt.kernel, np.float32), 2, 0)[None]
    lay1, lay2 = first.layer, second.layer
    big = compose_kernels(w1, w2, stride1=lay1.stride, dilation1=lay1.dilation,
                          dilation2=lay2.dilation)  # fmt: skip
    bias = float(compose_bias(b1, w2, np.array([flt.bias], np.float32))[0])
    jump = (lay1.stride[0] * lay2.stride[0], lay1.stride[1] * lay2.stride[1])
    single = conv2d(x, big, np.array([bias], np.float32), stride=jump)[:, :, 0]
    activate(single, flt.activation)
    chain = stage_chain(stack, image.shape[:2], k, index)
    last = growth(chain[k - 1 :])[-1]
    offset = last.offset
    ours, theirs, origin = _aligned(np.asarray(stack_map, np.float32), single, offset, jump)
    diff = np.abs(ours.astype(np.float64) - theirs)
    finite = diff[np.isfinite(diff)]
    max_diff = float(finite.max()) if finite.size else math.inf
    spread = float(np.nanmax(np.abs(ours))) if ours.size else 0.0
    linear = all(f.activation == "none" for f in first.filters)
    fit_rms = fit_explained = None
    kernel = np.moveaxis(big[0], 0, 2).astype(np.float32)
    if not linear:
        kh, kw = kernel.shape[:2]
        fit_rms, fit_explained = _fit(x, np.ascontiguousarray(ours), kh, kw, jump, origin,
                                      np.random.default_rng(seed))  # fmt: skip
    for a in (kernel, ours, theirs):
        a.setflags(write=False)
    return Equivalence(
        stage=k, index=index, name=flt.name, linear=linear, kernel=kernel, bias=bias,
        stride=jump, max_difference=max_diff, cells=int(ours.size), spread=spread,
        fit_rms=fit_rms, fit_explained=fit_explained, stack_map=ours,
        single_map=np.ascontiguousarray(theirs), between=_between(first.filters),
    )  # fmt: skip
