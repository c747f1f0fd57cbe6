"""A stack of stages: the bank first, then conv and pooling stages, edited immutably and kept
consistent.

SPEC.md "A stack": stage 1 is today's bank (its filters read the picture under the channel
mode); every later conv stage's filters read *all* maps of the stage before, so their kernels
are ``(kh, kw, C_in)`` with ``C_in`` that stage's number of maps; a pooling stage takes the
maximum or mean of windows of each map on its own.

How many maps a stage gives the next (``Stack.maps_out``):

- the first stage: one per filter in ``gray`` and ``depth`` mode; three per filter in ``color``
  mode (each colour channel's map on its own, filter by filter: R, G, B of filter 1, then of
  filter 2, ...). A grey picture in ``color`` mode gives three equal maps, so a stack's depths
  never depend on the picture;
- a later conv stage: one per filter;
- a pooling stage: as many as it reads.

A switched-off filter still gives the next stage its maps, all zeros, so switching a filter
off never changes the depth of what follows (and shows what the rest of the stack does
without it).

The one rule that keeps depths consistent (:meth:`Stack.with_stage` and every edit built on
it): a later conv stage's kernels have one depth slice per map they read, and a slice follows
its map by name. Moving a filter of an earlier stage moves its slices (the output is
unchanged); a new map gets a zero slice (the output is unchanged); a removed map takes its
slice along; switching the first stage between ``color`` and a one-map mode splits a slice in
three thirds or sums the three (unchanged for a grey picture). A filter none of whose slices
survive (a stage inserted before it) starts again from fresh random weights, as an untrained
layer does. Pooling stages pass their maps' names through, so they change no depth.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import ClassVar, Union

import numpy as np

from ..core.limits import MAX_STAGE_DEPTH, MAX_STAGES, MAX_STRIDE
from ..core.pooling import POOL_MODES
from .bank import (
    MAX_FILTERS,
    MAX_FIRST_DEPTH,
    MAX_KERNEL_SIZE,
    Bank,
    Filter,
    Layer,
    _pair,
    position_of,
)

__all__ = [
    "MAX_POOL_SIZE",
    "MAX_STAGES",
    "MAX_STAGE_DEPTH",
    "POOL_MODES",
    "ConvStage",
    "PoolStage",
    "Stack",
    "Stage",
    "default_conv_stage",
    "settle_stack",
]

#: The largest pooling window, rows or columns.
MAX_POOL_SIZE = MAX_KERNEL_SIZE
CHANNEL_NAMES = ("R", "G", "B")

_stage_counter = itertools.count(1)


def new_stage_uid() -> str:
    """A process-unique identity for a stage; kept across edits so a row follows its stage."""
    return f"s{next(_stage_counter)}"


@dataclass(frozen=True)
class ConvStage:
    """A conv stage: a bank of filters and the layer settings they share.

    In a later stage the layer's channel mode is always ``depth`` (every filter sums over all
    maps it reads); the stack sets it.
    """

    bank: Bank = field(default_factory=Bank)
    uid: str = field(default_factory=new_stage_uid)
    kind: ClassVar[str] = "conv"

    @property
    def filters(self) -> tuple[Filter, ...]:
        return self.bank.filters

    @property
    def layer(self) -> Layer:
        return self.bank.layer

    def with_bank(self, bank: Bank) -> ConvStage:
        return replace(self, bank=bank)

    @property
    def label(self) -> str:
        n = len(self.bank.filters)
        return f"conv, {n} filter{'s' if n != 1 else ''}"


@dataclass(frozen=True)
class PoolStage:
    """A pooling stage: the maximum (``max``) or mean (``avg``) of every window, map by map.

    ``stride`` None steps by the window (``size``), as PyTorch does; ``padding`` is at most half
    the window on each side (SPEC.md, ``pool2d``).
    """

    mode: str = "max"
    size: tuple[int, int] = (2, 2)
    stride: tuple[int, int] | None = None
    padding: tuple[int, int] = (0, 0)
    uid: str = field(default_factory=new_stage_uid)
    kind: ClassVar[str] = "pool"

    def __post_init__(self) -> None:
        if self.mode not in POOL_MODES:
            raise ValueError(f"Unknown pooling mode {self.mode!r}; choose max or avg.")
        size = _pair(self.size, "The pooling window")
        if min(size) < 1 or max(size) > MAX_POOL_SIZE:
            raise ValueError(f"A pooling window is 1 to {MAX_POOL_SIZE} cells on a side.")
        stride = None
        if self.stride is not None:
            stride = _pair(self.stride, "The pooling stride")
            if min(stride) < 1 or max(stride) > MAX_STRIDE:
                raise ValueError(f"The pooling stride must be 1 to {MAX_STRIDE}.")
        padding = _pair(self.padding, "The pooling padding")
        if min(padding) < 0:
            raise ValueError("The pooling padding cannot be negative.")
        if padding[0] > size[0] // 2 or padding[1] > size[1] // 2:
            raise ValueError("The pooling padding may be at most half the window.")
        object.__setattr__(self, "size", size)
        object.__setattr__(self, "stride", stride)
        object.__setattr__(self, "padding", padding)

    @property
    def strides(self) -> tuple[int, int]:
        """The step between windows (the window itself when ``stride`` is None)."""
        return self.size if self.stride is None else self.stride

    def pool_kwargs(self) -> dict:
        """Keyword arguments for :func:`filterstudio.pool2d` (after the map)."""
        return dict(size=self.size, stride=self.strides, mode=self.mode, padding=self.padding)

    @property
    def label(self) -> str:
        return f"{self.mode} pool {self.size[0]}x{self.size[1]}"


Stage = Union[ConvStage, PoolStage]  # noqa: UP007 - a runtime alias on Python 3.10


def _he_kernel(kh: int, kw: int, depth: int, seed: int) -> np.ndarray:
    """He-normal weights ``(kh, kw, depth)``: what an untrained layer starts from."""
    rng = np.random.default_rng(seed)
    return rng.normal(0.0, math.sqrt(2.0 / (kh * kw * depth)), (kh, kw, depth)).astype(np.float32)


def default_conv_stage(
    maps_in: int, *, count: int = 4, size: int = 3, number: int = 2, seed: int = 0
) -> ConvStage:
    """A new later conv stage: ``count`` filters ``size x size x maps_in`` of He-normal random
    weights (an untrained CNN layer), named ``"conv<number> 1"``, ... , valid padding.

    ``number`` is the stage's position in the stack, counted from 1; ``seed`` makes the weights
    the same every time.
    """
    if not 1 <= maps_in <= MAX_STAGE_DEPTH:
        raise ValueError(
            f"A conv stage reads 1 to {MAX_STAGE_DEPTH} maps; this one would read {maps_in}."
        )
    if not 1 <= count <= MAX_FILTERS:
        raise ValueError(f"A conv stage has 1 to {MAX_FILTERS} filters.")
    filters = tuple(
        Filter(name=f"conv{number} {j + 1}", kernel=_he_kernel(size, size, maps_in, seed + j))
        for j in range(count)
    )
    return ConvStage(Bank(filters, Layer(channel_mode="depth")))


def _depth(f: Filter) -> int:
    return 1 if f.kernel.ndim == 2 else int(f.kernel.shape[2])


def _refit(stage: ConvStage, before: Sequence[str], after: Sequence[str], seed: int) -> ConvStage:
    """``stage`` with every kernel's depth slices following the maps it reads (module doc)."""
    old = {name: i for i, name in enumerate(before)}
    filters = []
    for n, f in enumerate(stage.filters):
        k3 = f.kernel if f.kernel.ndim == 3 else f.kernel[:, :, None]
        kh, kw = f.size
        new = np.zeros((kh, kw, len(after)), np.float32)
        kept = False
        for j, name in enumerate(after):
            base, sep, _ = name.rpartition(":")
            whole = [f"{name}:{c}" for c in range(3)]
            if name in old and old[name] < k3.shape[2]:
                new[:, :, j] = k3[:, :, old[name]]
            elif sep and base in old and old[base] < k3.shape[2]:
                new[:, :, j] = k3[:, :, old[base]] / np.float32(3)  # one map became three
            elif all(w in old and old[w] < k3.shape[2] for w in whole):
                new[:, :, j] = sum(k3[:, :, old[w]] for w in whole)  # three maps became one
            else:
                continue
            kept = True
        if not kept and after:
            new = _he_kernel(kh, kw, len(after), seed + n)
        filters.append(f.with_kernel(new))
    return stage.with_bank(replace(stage.bank, filters=tuple(filters)))


def _depth_layer(stage: Stage) -> Stage:
    if isinstance(stage, ConvStage) and stage.layer.channel_mode != "depth":
        return stage.with_bank(stage.bank.with_layer(channel_mode="depth"))
    return stage


@dataclass(frozen=True)
class Stack:
    """An ordered, immutable list of stages; the first is the bank that reads the picture.

    Build one from a bank with :meth:`of`; every edit returns a new stack (see the module doc for
    the rule that keeps later kernels' depths equal to what they read).
    """

    stages: tuple[Stage, ...] = field(default_factory=lambda: (ConvStage(),))

    def __post_init__(self) -> None:
        stages = tuple(self.stages)
        if not stages:
            raise ValueError("A stack has at least one stage.")
        if len(stages) > MAX_STAGES:
            raise ValueError(f"A stack holds at most {MAX_STAGES} stages.")
        if not isinstance(stages[0], ConvStage):
            raise ValueError("The first stage of a stack is a conv stage (the filter bank).")
        for s in stages:
            if not isinstance(s, (ConvStage, PoolStage)):
                raise ValueError(f"A stage is a conv or a pooling stage, not {type(s).__name__}.")
        stages = stages[:1] + tuple(_depth_layer(s) for s in stages[1:])
        object.__setattr__(self, "stages", stages)
        for f in stages[0].filters:
            if _depth(f) > MAX_FIRST_DEPTH:
                raise ValueError(
                    f"A first-stage kernel reads the picture, 1 to {MAX_FIRST_DEPTH} channels; "
                    f"{f.name!r} has {_depth(f)}."
                )
        uids: set[str] = set()
        for k, s in enumerate(stages):
            mine = [s.uid] + [f.uid for f in getattr(s, "filters", ())]
            if uids.intersection(mine) or len(set(mine)) != len(mine):
                raise ValueError("Every stage and every filter of a stack needs its own identity.")
            uids.update(mine)
            if k == 0:
                continue
            n_in = self.maps_out(k - 1)
            if n_in < 1:
                raise ValueError(f"Stage {k + 1} reads no maps: stage {k} has none.")
            if n_in > MAX_STAGE_DEPTH:
                raise ValueError(
                    f"Stage {k + 1} would read {n_in} maps; a stage reads at most "
                    f"{MAX_STAGE_DEPTH}."
                )
            if isinstance(s, ConvStage):
                if not s.filters:
                    raise ValueError(f"Stage {k + 1} has no filter; a conv stage needs one.")
                for f in s.filters:
                    if f.kernel.ndim != 3 or f.kernel.shape[2] != n_in:
                        raise ValueError(
                            f"Stage {k + 1} reads {n_in} map{'s' if n_in != 1 else ''}, so each "
                            f"of its kernels needs depth {n_in}; {f.name!r} is {f.size_label}."
                        )

    @classmethod
    def of(cls, bank: Bank) -> Stack:
        """The one-stage stack of ``bank``."""
        return cls((ConvStage(bank),))

    # -- reading -------------------------------------------------------------------------
    @property
    def bank(self) -> Bank:
        """The first stage's bank: the filters that read the picture."""
        return self.stages[0].bank

    def __len__(self) -> int:
        return len(self.stages)

    def stage_index(self, uid: str) -> int:
        """The position of the stage ``uid``."""
        return position_of(self.stages, uid)

    def maps_in(self, k: int) -> int:
        """How many maps stage ``k`` (from 0) reads; the first stage reads the picture: 0."""
        return 0 if k == 0 else self.maps_out(k - 1)

    def maps_out(self, k: int) -> int:
        """How many maps stage ``k`` gives the next stage (module doc)."""
        s = self.stages[k]
        if isinstance(s, PoolStage):
            return self.maps_out(k - 1)
        if k == 0:
            return len(s.filters) * (3 if s.layer.channel_mode == "color" else 1)
        return len(s.filters)

    def plane_names(self, k: int) -> tuple[str, ...]:
        """Names of the maps stage ``k`` gives the next stage, in the order kernels read them.

        A filter's uid (``"f3"``; ``"f3:0"`` to ``"f3:2"`` for the colour channels of a
        first-stage filter in ``color`` mode). Pooling stages pass their input's names on: a
        kernel slice follows its map through them.
        """
        s = self.stages[k]
        if isinstance(s, PoolStage):
            return self.plane_names(k - 1)
        if k == 0 and s.layer.channel_mode == "color":
            return tuple(f"{f.uid}:{c}" for f in s.filters for c in range(3))
        return tuple(f.uid for f in s.filters)

    def plane_labels(self, k: int) -> tuple[str, ...]:
        """Readable names of the maps stage ``k`` gives the next (``"sobel_x G"``)."""
        s = self.stages[k]
        if isinstance(s, PoolStage):
            return self.plane_labels(k - 1)
        if k == 0 and s.layer.channel_mode == "color":
            return tuple(f"{f.name} {c}" for f in s.filters for c in CHANNEL_NAMES)
        return tuple(f.name for f in s.filters)

    def map_keys(self, k: int) -> tuple[str, ...]:
        """The keys stage ``k``'s maps are asked for and shown under, in order.

        A conv stage's map is its filter's uid (a first-stage filter in ``color`` mode has one
        map of three channels); a pooling stage's maps are ``"<stage uid>/<plane name>"``.
        """
        s = self.stages[k]
        if isinstance(s, PoolStage):
            return tuple(f"{s.uid}/{name}" for name in self.plane_names(k - 1))
        return tuple(f.uid for f in s.filters)

    def map_labels(self, k: int) -> tuple[str, ...]:
        """Readable names of stage ``k``'s maps, in the order of :meth:`map_keys`."""
        s = self.stages[k]
        if isinstance(s, PoolStage):
            return self.plane_labels(k - 1)
        return tuple(f.name for f in s.filters)

    def sources(self, k: int) -> tuple[tuple[str, int | None], ...]:
        """What stage ``k`` (1 or more) reads, in kernel-depth order: ``(map key, channel)``.

        ``channel`` picks a colour channel of a first-stage map in ``color`` mode, else None.
        """
        if k < 1:
            raise ValueError("The first stage reads the picture, not maps.")
        prev = self.stages[k - 1]
        if k - 1 == 0 and prev.layer.channel_mode == "color":
            return tuple((f.uid, c) for f in prev.filters for c in range(3))
        return tuple((key, None) for key in self.map_keys(k - 1))

    def map_sources(self, k: int, i: int) -> tuple[tuple[str, int | None], ...]:
        """What map ``i`` of stage ``k`` reads: every map before it (conv), or one (pool)."""
        src = self.sources(k)
        return (src[i],) if isinstance(self.stages[k], PoolStage) else src

    def find_map(self, key: str) -> tuple[int, int]:
        """``(stage, position)`` of the map ``key``; KeyError if the stack has none."""
        for k in range(len(self.stages)):
            keys = self.map_keys(k)
            if key in keys:
                return k, keys.index(key)
        raise KeyError(key)

    def find_filter(self, uid: str) -> tuple[int, int]:
        """``(stage, position)`` of the filter ``uid``; KeyError if no stage has it."""
        for k, s in enumerate(self.stages):
            for i, f in enumerate(getattr(s, "filters", ())):
                if f.uid == uid:
                    return k, i
        raise KeyError(uid)

    def all_filters(self) -> tuple[Filter, ...]:
        """Every filter of every conv stage, stage by stage."""
        return tuple(f for s in self.stages for f in getattr(s, "filters", ()))

    # -- edits ---------------------------------------------------------------------------
    def _rebuilt(self, stages: list[Stage]) -> Stack:
        """A stack of ``stages`` whose later kernels follow their maps (module doc)."""
        read_before = {
            s.uid: self.plane_names(k - 1)
            for k, s in enumerate(self.stages)
            if k and isinstance(s, ConvStage)
        }
        names = Stack(tuple(stages[:1])).plane_names(0)
        for k in range(1, len(stages)):
            s = _depth_layer(stages[k])
            if isinstance(s, ConvStage):
                before = read_before.get(s.uid)
                if before is not None and tuple(before) != tuple(names):
                    s = _refit(s, before, names, seed=1000 * k)
                names = tuple(f.uid for f in s.filters)
            stages[k] = s
        return Stack(tuple(stages))

    def with_stage(self, k: int, stage: Stage) -> Stack:
        """Stage ``k`` replaced by ``stage``; later kernels follow their maps."""
        if k == 0 and not isinstance(stage, ConvStage):
            raise ValueError("The first stage of a stack is a conv stage (the filter bank).")
        stages = list(self.stages)
        stages[k] = stage
        return self._rebuilt(stages)

    def with_bank(self, bank: Bank) -> Stack:
        """The first stage's bank replaced; later kernels follow their maps."""
        return self.with_stage(0, self.stages[0].with_bank(bank))

    def with_stage_bank(self, k: int, bank: Bank) -> Stack:
        """Conv stage ``k``'s bank replaced (its filters and layer)."""
        s = self._conv(k)
        return self.with_stage(k, s.with_bank(bank))

    def with_stage_settings(self, k: int, **changes) -> Stack:
        """Stage ``k``'s shared settings changed: layer fields of a conv stage (``stride``,
        ``padding``, ``border``, ``cval``, ``dilation``; ``channel_mode`` of the first), or
        ``mode``, ``size``, ``stride``, ``padding`` of a pooling stage."""
        s = self.stages[k]
        if isinstance(s, PoolStage):
            unknown = set(changes) - {"mode", "size", "stride", "padding"}
            if unknown:
                raise ValueError(f"A pooling stage has no setting {sorted(unknown)[0]!r}.")
            return self.with_stage(k, replace(s, **changes))
        allowed = {"stride", "padding", "border", "cval", "dilation"} | (
            {"channel_mode"} if k == 0 else set()
        )
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f"A conv stage has no setting {sorted(unknown)[0]!r} here.")
        return self.with_stage(k, s.with_bank(s.bank.with_layer(**changes)))

    def with_stage_filter(self, k: int, i: int, new: Filter) -> Stack:
        s = self._conv(k)
        return self.with_stage(k, s.with_bank(s.bank.with_filter(i, new)))

    def with_stage_kernel(self, k: int, i: int, kernel) -> Stack:
        """Filter ``i`` of stage ``k`` with a new kernel; in a later stage a 2-D kernel is taken
        as ``(kh, kw, 1)`` when the stage reads one map."""
        s = self._conv(k)
        arr = np.asarray(kernel)
        if k > 0 and arr.ndim == 2 and self.maps_in(k) == 1:
            arr = arr[:, :, None]
        return self.with_stage_filter(k, i, s.filters[i].with_kernel(arr))

    def adding_filter(self, k: int, new: Filter | None = None, index: int | None = None) -> Stack:
        """A filter added to conv stage ``k`` (by default a fresh random one of the right size
        and depth); the next conv stage's kernels get a zero slice for its map."""
        s = self._conv(k)
        if len(s.filters) >= MAX_FILTERS:
            raise ValueError(f"A stage holds at most {MAX_FILTERS} filters.")
        if new is None:
            kh, kw = s.filters[0].size if s.filters else (3, 3)
            depth = max(1, self.maps_in(k))
            kernel = _he_kernel(kh, kw, depth, seed=len(s.filters))
            new = Filter(
                name=f"conv{k + 1} {len(s.filters) + 1}", kernel=kernel if k else kernel[:, :, 0]
            )
        return self.with_stage(k, s.with_bank(s.bank.adding(new, index)))

    def removing_filter(self, k: int, i: int) -> Stack:
        """Filter ``i`` of conv stage ``k`` removed; the next conv stage loses its slices."""
        s = self._conv(k)
        if len(s.filters) <= 1:
            raise ValueError("A conv stage keeps at least one filter.")
        return self.with_stage(k, s.with_bank(s.bank.removing(i)))

    def moving_filter(self, k: int, i: int, new_index: int) -> Stack:
        s = self._conv(k)
        return self.with_stage(k, s.with_bank(s.bank.moving(i, new_index)))

    def adding_stage(self, stage: Stage | str, after: int | None = None, **settings) -> Stack:
        """A stage inserted after stage ``after`` (default: at the end).

        ``stage`` is a made stage, or ``"conv"`` (a :func:`default_conv_stage` whose depth
        matches; ``count``, ``size`` and layer settings may be given) or ``"pool"`` (2x2 max
        pooling unless ``mode``, ``size``, ``stride``, ``padding`` say otherwise).
        """
        after = len(self.stages) - 1 if after is None else after
        if not 0 <= after < len(self.stages):
            raise ValueError(f"There is no stage {after + 1} to add a stage after.")
        if len(self.stages) >= MAX_STAGES:
            raise ValueError(f"A stack holds at most {MAX_STAGES} stages.")
        if stage == "conv":
            count = settings.pop("count", 4)
            size = settings.pop("size", 3)
            made: Stage = default_conv_stage(
                self.maps_out(after),
                count=count,
                size=size,
                number=after + 2,
                seed=1000 * (after + 2),
            )
            if settings:
                made = made.with_bank(made.bank.with_layer(**settings))
        elif stage == "pool":
            made = PoolStage(**settings)
        elif isinstance(stage, (ConvStage, PoolStage)):
            if settings:
                raise ValueError("Settings go with a stage kind (conv or pool), not a made stage.")
            made = stage
        else:
            raise ValueError(f"A stage is 'conv' or 'pool', not {stage!r}.")
        stages = list(self.stages)
        stages.insert(after + 1, made)
        return self._rebuilt(stages)

    def removing_stage(self, k: int) -> Stack:
        """Stage ``k`` removed (never the first); the stage after it reads what it read."""
        if k == 0:
            raise ValueError("The first stage reads the picture; it cannot be removed.")
        if not 0 < k < len(self.stages):
            raise ValueError(f"There is no stage {k + 1}.")
        stages = list(self.stages)
        del stages[k]
        return self._rebuilt(stages)

    def _conv(self, k: int) -> ConvStage:
        if not 0 <= k < len(self.stages):
            raise ValueError(f"There is no stage {k + 1}; the stack has {len(self.stages)}.")
        s = self.stages[k]
        if not isinstance(s, ConvStage):
            raise ValueError(f"Stage {k + 1} is a pooling stage; it has no filters.")
        return s


def settle_stack(state) -> None:
    """Make a frozen ``bank`` + ``stack`` pair agree: the stack given wins, else the bank's own.

    For the ``__post_init__`` of a frozen dataclass with ``bank`` and ``stack`` fields: a bank
    alone becomes a one-stage stack, and a stack sets the bank to its first stage.
    """
    if state.stack is None:
        object.__setattr__(state, "stack", Stack.of(state.bank))
    else:
        object.__setattr__(state, "bank", state.stack.bank)
