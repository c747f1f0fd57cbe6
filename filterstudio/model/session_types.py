"""The values a session file holds: the stack, the picture's location, display settings, combined
maps, and the one error type its readers and writers raise."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..core.combine import COMBINE_OPS
from ..core.display import MAPPINGS
from .bank import Bank
from .stack import Stack, settle_stack

#: A session file larger than this is refused before it is read.
MAX_FILE_BYTES = 200 * 1024 * 1024
#: The largest embedded PNG, in bytes and in pixels.
MAX_EMBEDDED_BYTES = 100 * 1024 * 1024
MAX_EMBEDDED_PIXELS = 40_000_000
MAX_PATH_LENGTH = 4096
#: The most combined maps a session may hold.
MAX_COMBINED = 64
MAX_NAME_LENGTH = 200


class SessionError(ValueError):
    """A session that cannot be read or written; the message is one sentence."""


@dataclass(frozen=True)
class DisplaySettings:
    """How feature maps are shown: a mapping and colour map for all, and mappings per filter.

    ``per_filter`` may be given as a mapping ``{filter index: mapping name}`` or as pairs; it is
    stored as a sorted tuple of ``(index, mapping)`` pairs. Indices are positions in the bank.
    ``per_map`` and ``per_map_colormap`` do the same for the maps of later stages of a stack,
    keyed by ``(stage, position)`` with stage 1 the first stage after the bank.
    """

    mapping: str = "minmax"
    colormap: str = "gray"
    per_filter: tuple[tuple[int, str], ...] = ()
    per_filter_colormap: tuple[tuple[int, str], ...] = ()
    per_map: tuple[tuple[tuple[int, int], str], ...] = ()
    per_map_colormap: tuple[tuple[tuple[int, int], str], ...] = ()

    def __post_init__(self) -> None:
        for name in ("per_map", "per_map_colormap"):
            value = getattr(self, name)
            items = value.items() if isinstance(value, Mapping) else value
            pairs = tuple(sorted(((int(k), int(i)), str(v)) for (k, i), v in items))
            if any(k < 1 or i < 0 for (k, i), _ in pairs) or len(dict(pairs)) != len(pairs):
                raise ValueError("Each later-stage map in the display settings must be unique.")
            if name == "per_map" and any(m not in MAPPINGS for _, m in pairs):
                raise ValueError(f"Unknown mapping; choose one of {', '.join(MAPPINGS)}.")
            object.__setattr__(self, name, pairs)
        cmaps = self.per_filter_colormap
        cmaps = cmaps.items() if isinstance(cmaps, Mapping) else cmaps
        object.__setattr__(
            self, "per_filter_colormap", tuple(sorted((int(i), str(c)) for i, c in cmaps))
        )
        items = self.per_filter.items() if isinstance(self.per_filter, Mapping) else self.per_filter
        pairs = tuple(sorted((int(i), str(m)) for i, m in items))
        for name in (self.mapping, *(m for _, m in pairs)):
            if name not in MAPPINGS:
                raise ValueError(f"Unknown mapping {name!r}; choose one of {', '.join(MAPPINGS)}.")
        if any(i < 0 for i, _ in pairs) or len({i for i, _ in pairs}) != len(pairs):
            raise ValueError("Each filter index in the display settings must be unique and >= 0.")
        object.__setattr__(self, "per_filter", pairs)

    def mapping_for(self, index: int) -> str:
        """The mapping used for the filter at position ``index``."""
        return dict(self.per_filter).get(index, self.mapping)

    def colormap_for(self, index: int) -> str:
        """The colour map used for the filter at position ``index``."""
        return dict(self.per_filter_colormap).get(index, self.colormap)


@dataclass(frozen=True)
class CombinedMap:
    """A map combined from two filters' maps: its definition, never its pixels.

    ``a`` and ``b`` are positions in the bank (they may be equal), ``op`` one of
    :data:`~filterstudio.core.combine.COMBINE_OPS`. ``mapping`` and ``colormap`` are the
    panel's own display choice; None means the session's default.
    """

    a: int
    b: int
    op: str
    mapping: str | None = None
    colormap: str | None = None

    def __post_init__(self) -> None:
        if self.op not in COMBINE_OPS:
            raise ValueError(
                f"Unknown way to combine maps {self.op!r}; choose {', '.join(COMBINE_OPS)}."
            )
        if self.mapping is not None and self.mapping not in MAPPINGS:
            raise ValueError(
                f"Unknown mapping {self.mapping!r}; choose one of {', '.join(MAPPINGS)}."
            )
        if min(self.a, self.b) < 0:
            raise ValueError("A combined map names filters by position, 0 or more.")


@dataclass(frozen=True)
class Session:
    """Everything a session file holds.

    ``image_path`` is the picture's path (absolute after loading), ``embedded_png`` a PNG copy
    of it, ``sample`` the name of a built-in sample picture used instead of a file, ``selected``
    the position of the selected filter, ``combined`` the combined maps in panel order.
    ``stack`` is the whole stack, its first stage ``bank``: give either (a stack given wins;
    a bank alone is a one-stage stack).
    """

    image_path: str | None = None
    embedded_png: bytes | None = None
    sample: str | None = None
    bank: Bank = field(default_factory=Bank)
    display: DisplaySettings = field(default_factory=DisplaySettings)
    selected: int = 0
    combined: tuple[CombinedMap, ...] = ()
    stack: Stack | None = None

    def __post_init__(self) -> None:
        settle_stack(self)


@dataclass(frozen=True)
class LoadedSession:
    """A loaded session, the image file it found (None if none), and notes for the user."""

    session: Session
    image_abs_path: str | None
    messages: list[str] = field(default_factory=list)
