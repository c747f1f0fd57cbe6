"""Reading a session's display settings, selection and combined maps: strict, one sentence each."""

from __future__ import annotations

import re
from typing import Any

from ..core.combine import COMBINE_OPS
from ..core.display import COLORMAPS, DIVERGING_COLORMAPS, MAPPINGS
from .bank_io import describe
from .session_types import MAX_COMBINED, MAX_NAME_LENGTH, CombinedMap, DisplaySettings, SessionError
from .stack import Stack

__all__ = ["combined_maps", "display_settings", "optional_text", "selected_position"]

# A filter position as JSON keys write it: "0", "1", ... "15"; never "01" or "0001".
_INDEX = re.compile(r"0|[1-9][0-9]{0,3}")
# A later stage's map as JSON keys write it: "1:0" is the first map of the stage after the bank.
_MAP = re.compile(r"([1-9][0-9]?):(0|[1-9][0-9]{0,3})")


def optional_text(value: Any, what: str, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise SessionError(f"The {what} must be text or null, not {describe(value)}.")
    if len(value) > limit or "\x00" in value:
        raise SessionError(f"The {what} is not a usable name (too long or with a null character).")
    return value


def display_settings(
    value: Any, n_filters: int, messages: list[str], stack: Stack | None = None
) -> DisplaySettings:
    if not isinstance(value, dict):
        raise SessionError(f"The display settings must be an object, not {describe(value)}.")
    listed = ", ".join(MAPPINGS)

    def mapping(v: Any, where: str) -> str:
        if not isinstance(v, str):
            raise SessionError(f"The {where} must be a name ({listed}), not {describe(v)}.")
        if v not in MAPPINGS:
            raise SessionError(f"Unknown {where} {describe(v)}; choose {listed}.")
        return v

    main = mapping(value.get("mapping", "minmax"), "mapping")
    cmap = value.get("colormap", "gray")
    if not isinstance(cmap, str) or len(cmap) > MAX_NAME_LENGTH:
        raise SessionError(f"The colour map must be a name, not {describe(cmap)}.")
    if cmap not in COLORMAPS + DIVERGING_COLORMAPS:
        messages.append(f"The colour map {describe(cmap)} is not known here; grey is used instead.")
        cmap = "gray"
    per = value.get("per_filter", {})
    if per is None:
        per = {}
    if not isinstance(per, dict):
        raise SessionError(
            f"The per-filter display settings must be an object, not {describe(per)}."
        )
    pairs = []
    for key, v in per.items():
        if not isinstance(key, str) or not _INDEX.fullmatch(key):
            raise SessionError(
                f"The per-filter display settings are keyed by filter position "
                f"(0, 1, ...), not {describe(key)}."
            )
        index = int(key)
        if index >= n_filters:
            raise SessionError(
                f"The display settings name filter position {index}, but the bank "
                f"has {n_filters} filters."
            )
        pairs.append((index, mapping(v, f"mapping of filter {index}")))
    cmap_pairs = []
    per_cmap = value.get("per_filter_colormap") or {}
    if not isinstance(per_cmap, dict):
        raise SessionError(
            f"The per-filter colour maps must be an object, not {describe(per_cmap)}."
        )
    for key, v in per_cmap.items():
        if not isinstance(key, str) or not _INDEX.fullmatch(key) or int(key) >= n_filters:
            raise SessionError(
                f"The per-filter colour maps are keyed by filter position "
                f"(0 to {n_filters - 1}), not {describe(key)}."
            )
        if not _known_colormap(v, f"filter {key}", messages):
            continue
        cmap_pairs.append((int(key), v))
    per_map, per_map_cmap = _later_maps(value, stack, messages)
    return DisplaySettings(
        mapping=main,
        colormap=cmap,
        per_filter=tuple(pairs),
        per_filter_colormap=tuple(cmap_pairs),
        per_map=per_map,
        per_map_colormap=per_map_cmap,
    )


def _known_colormap(value: Any, of: str, messages: list[str]) -> bool:
    """Whether ``value`` names a colour map; if not, the sentence saying so is added."""
    if isinstance(value, str) and value in COLORMAPS + DIVERGING_COLORMAPS:
        return True
    messages.append(
        f"The colour map {describe(value)} of {of} is not known here; the default is used instead."
    )
    return False


def _map_key(key: Any, stack: Stack | None, what: str) -> tuple[int, int]:
    """``(stage, position)`` of a later-stage map named ``"stage:position"`` in a file."""
    match = _MAP.fullmatch(key) if isinstance(key, str) else None
    if match is None:
        raise SessionError(
            f'The {what} are keyed by stage and map position like "1:0", not {describe(key)}.'
        )
    k, i = int(match[1]), int(match[2])
    if stack is None or k >= len(stack) or i >= len(stack.map_keys(k)):
        raise SessionError(
            f"The {what} name map {i} of stage {k + 1}, which the stack does not have."
        )
    return k, i


def _later_maps(value: dict, stack: Stack | None, messages: list[str]) -> tuple[tuple, tuple]:
    """The mappings and colour maps of later stages' maps (version 2), checked against ``stack``."""
    listed = ", ".join(MAPPINGS)
    out = []
    for name, what in (
        ("per_map", "per-map display settings"),
        ("per_map_colormap", "per-map colour maps"),
    ):
        entries = value.get(name) or {}
        if not isinstance(entries, dict):
            raise SessionError(f"The {what} must be an object, not {describe(entries)}.")
        pairs = []
        for key, v in entries.items():
            at = _map_key(key, stack, what)
            if name == "per_map":
                if not isinstance(v, str) or v not in MAPPINGS:
                    raise SessionError(
                        f"Unknown mapping {describe(v)} of map {key}; choose {listed}."
                    )
            elif not _known_colormap(v, f"map {key}", messages):
                continue
            pairs.append((at, v))
        out.append(tuple(pairs))
    return out[0], out[1]


def selected_position(value: Any, n_filters: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SessionError(
            f"The selected filter must be a position (a whole number), not {describe(value)}."
        )
    if not 0 <= value < max(n_filters, 1):
        raise SessionError(
            f"The selected filter {describe(value)} is not a position in a bank "
            f"of {n_filters} filters."
        )
    return value


def combined_maps(value: Any, n_filters: int, messages: list[str]) -> tuple[CombinedMap, ...]:
    if value is None:
        return ()  # a session saved before combined maps were kept
    if not isinstance(value, list):
        raise SessionError(f"The combined maps must be a list, not {describe(value)}.")
    if len(value) > MAX_COMBINED:
        raise SessionError(
            f"The session holds {len(value)} combined maps; at most {MAX_COMBINED} are allowed."
        )
    ops = ", ".join(COMBINE_OPS)
    listed = ", ".join(MAPPINGS)
    combined = []
    for n, entry in enumerate(value, start=1):
        if not isinstance(entry, dict):
            raise SessionError(f"Combined map {n} must be an object, not {describe(entry)}.")
        positions = []
        for key, which in (("a", "first"), ("b", "second")):
            if key not in entry:
                raise SessionError(
                    f"Combined map {n} does not say which filter is its {which} map."
                )
            v = entry[key]
            if isinstance(v, bool) or not isinstance(v, int):
                raise SessionError(
                    f"Combined map {n}: the {which} map must be a filter position (a whole "
                    f"number), not {describe(v)}."
                )
            if not 0 <= v < n_filters:
                raise SessionError(
                    f"Combined map {n} names filter position {describe(v)}, but the bank has "
                    f"{n_filters} filters."
                )
            positions.append(v)
        op = entry.get("op")
        if not isinstance(op, str) or op not in COMBINE_OPS:
            raise SessionError(
                f"Combined map {n}: unknown way to combine maps {describe(op)}; choose {ops}."
            )
        mapping = entry.get("mapping")
        if mapping is not None and (not isinstance(mapping, str) or mapping not in MAPPINGS):
            raise SessionError(
                f"Combined map {n}: the mapping must be null or a name ({listed}), not "
                f"{describe(mapping)}."
            )
        cmap = entry.get("colormap")
        if cmap is not None and (
            not isinstance(cmap, str) or cmap not in COLORMAPS + DIVERGING_COLORMAPS
        ):
            messages.append(
                f"The colour map {describe(cmap)} of combined map {n} is not known here; the "
                "default is used instead."
            )
            cmap = None
        combined.append(CombinedMap(positions[0], positions[1], op, mapping, cmap))
    return tuple(combined)
