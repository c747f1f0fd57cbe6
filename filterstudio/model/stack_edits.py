"""The stack edits the studio offers, as plain functions: the new stack and how undo names it.

Each returns a :class:`StackEdit` or raises ``ValueError`` with one sentence; the window's
controller pushes the edit on its undo stack. Stages are counted from 0 here (0 is the bank)
and from 1 in the sentences people read.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .bank import Filter
from .stack import ConvStage, PoolStage, Stack

__all__ = [
    "StackEdit",
    "add_stage",
    "add_stage_filter",
    "remove_stage",
    "remove_stage_filter",
    "set_stage",
    "set_stage_filter",
    "set_stage_kernel",
]

FILTER_FIELDS = ("name", "bias", "activation", "enabled")


@dataclass(frozen=True)
class StackEdit:
    """A new stack, the undo step's text, and a merge tag (edits with one tag fold together);
    ``note`` is a sentence to show when the edit did more than it was asked."""

    stack: Stack
    text: str
    tag: str = ""
    note: str = ""


def _stage(stack: Stack, k: int) -> ConvStage | PoolStage:
    if not isinstance(k, int) or isinstance(k, bool) or not 0 <= k < len(stack.stages):
        raise ValueError(f"There is no stage {k!r}; the stack has stages 0 to {len(stack) - 1}.")
    return stack.stages[k]


def _filter(stack: Stack, k: int, i: int) -> Filter:
    s = _stage(stack, k)
    if not isinstance(s, ConvStage):
        raise ValueError(f"Stage {k + 1} is a pooling stage; it has no filters.")
    if not isinstance(i, int) or isinstance(i, bool) or not 0 <= i < len(s.filters):
        raise ValueError(f"Stage {k + 1} has no filter {i!r}; it has {len(s.filters)}.")
    return s.filters[i]


def add_stage(stack: Stack, kind: str, after: int | None = None, **settings) -> StackEdit:
    """A ``"conv"`` or ``"pool"`` stage after stage ``after`` (default: the last)."""
    if after is not None:
        _stage(stack, after)
    new = stack.adding_stage(kind, after, **settings)
    at = len(stack.stages) if after is None else after + 1
    what = "pooling" if kind == "pool" else str(kind)
    text, note = f"Add a {what} stage as stage {at + 1}", ""
    feeding = _conv_before(new, at) if kind == "conv" else None
    if feeding is not None and _sizes_differ(new.stages[feeding]):
        # Its maps would have as many sizes as its kernels, and a conv stage adds its maps up:
        # the new stage could never run. "same" padding gives every map the picture's size.
        new = new.with_stage_settings(feeding, padding="same")
        text += f" (stage {feeding + 1} now pads same)"
        note = (
            f"Stage {feeding + 1} now uses same padding so its maps are one size for stage "
            f"{at + 1} (Undo takes both back)."
        )
    return StackEdit(new, text, note=note)


def _conv_before(stack: Stack, k: int) -> int | None:
    """The conv stage whose maps stage ``k`` reads, through any pooling stages between."""
    j = k - 1
    while j >= 0 and isinstance(stack.stages[j], PoolStage):
        j -= 1
    return j if j >= 0 else None


def _sizes_differ(stage: ConvStage) -> bool:
    """Whether ``stage``'s maps differ in size whatever the picture (only same padding makes
    kernels of different sizes give maps of one size)."""
    return stage.layer.padding != "same" and len({f.size for f in stage.filters}) > 1


def remove_stage(stack: Stack, k: int) -> StackEdit:
    _stage(stack, k)
    return StackEdit(stack.removing_stage(k), f"Remove stage {k + 1}")


def set_stage(stack: Stack, k: int, tag: str = "", **settings) -> StackEdit:
    """Stage ``k``'s shared settings (see :meth:`Stack.with_stage_settings`)."""
    _stage(stack, k)
    what = ", ".join(name.replace("_", " ") for name in settings)
    return StackEdit(
        stack.with_stage_settings(k, **settings),
        f"Change {what} of stage {k + 1}",
        tag and f"{stack.stages[k].uid}:{tag}",
    )


def set_stage_kernel(stack: Stack, k: int, i: int, kernel, tag: str = "") -> StackEdit:
    """Filter ``i`` of conv stage ``k`` gets ``kernel`` (``(kh, kw, C_in)`` after the bank)."""
    f = _filter(stack, k, i)
    return StackEdit(
        stack.with_stage_kernel(k, i, kernel), f"Edit {f.name}", tag and f"{f.uid}:{tag}"
    )


def set_stage_filter(stack: Stack, k: int, i: int, tag: str = "", **changes) -> StackEdit:
    """Filter ``i`` of conv stage ``k`` with new ``name``, ``bias``, ``activation``, ``enabled``."""
    f = _filter(stack, k, i)
    unknown = set(changes) - set(FILTER_FIELDS)
    if unknown:
        raise ValueError(
            f"A filter has no field {sorted(unknown)[0]!r}; change {', '.join(FILTER_FIELDS)}."
        )
    what = ", ".join(changes)
    return StackEdit(
        stack.with_stage_filter(k, i, replace(f, **changes)),
        f"Change {what} of {f.name}",
        tag and f"{f.uid}:{tag}",
    )


def add_stage_filter(
    stack: Stack, k: int, kernel=None, name: str | None = None, index: int | None = None
) -> StackEdit:
    """A filter added to conv stage ``k`` (fresh random weights of the stage's size and depth
    unless ``kernel`` is given); the next conv stage gets a zero slice for its map."""
    s = _stage(stack, k)
    if not isinstance(s, ConvStage):
        raise ValueError(f"Stage {k + 1} is a pooling stage; it has no filters.")
    new = None
    if kernel is not None:
        arr = np.asarray(kernel)
        if k > 0 and arr.ndim == 2 and stack.maps_in(k) == 1:
            arr = arr[:, :, None]
        new = Filter(name=name or f"conv{k + 1} {len(s.filters) + 1}", kernel=arr)
    made = stack.adding_filter(k, new, index)
    added = next(f for f in made.stages[k].filters if f.uid not in {g.uid for g in s.filters})
    if name and new is None:
        made = made.with_stage_filter(
            k, made.stages[k].filters.index(added), replace(added, name=name)
        )
    return StackEdit(made, f"Add {name or added.name} to stage {k + 1}")


def remove_stage_filter(stack: Stack, k: int, i: int) -> StackEdit:
    f = _filter(stack, k, i)
    return StackEdit(stack.removing_filter(k, i), f"Remove {f.name}")
