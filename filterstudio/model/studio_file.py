"""Converts the studio's uid-keyed state to a session file's position-keyed form and back.

The studio names filters and combined maps by uid (a panel follows its filter when filters
move); a session file names them by position in the bank, which is all that survives a save.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .bank import Bank
from .session import CombinedMap, DisplaySettings, Session
from .stack import Stack, settle_stack
from .studio import DerivedMap, DisplayState, ImageState, make_derived

__all__ = ["StudioState", "session_of", "state_of"]


@dataclass(frozen=True)
class StudioState:
    """What a session restores in the studio: the stack, display, selection, combined maps.

    ``bank`` is the stack's first stage; give a ``stack`` for more than one stage.
    """

    bank: Bank
    display: DisplayState
    selected: int
    derived: tuple[DerivedMap, ...]
    stack: Stack | None = None

    def __post_init__(self) -> None:
        settle_stack(self)


def display_for_file(state: DisplayState, bank: Bank | Stack) -> DisplaySettings:
    """The uid-keyed display settings of a stack's maps as position-keyed ones."""
    stack = bank if isinstance(bank, Stack) else Stack.of(bank)
    per, per_cmap, per_map, per_map_cmap = {}, {}, {}, {}
    for uid, mapping, cmap in state.per_filter:
        try:
            k, index = stack.find_map(uid)
        except KeyError:
            continue  # a combined map's own choice: kept with the combined map
        if k == 0:
            per[index] = mapping
            if cmap:
                per_cmap[index] = cmap
        else:
            per_map[k, index] = mapping
            if cmap:
                per_map_cmap[k, index] = cmap
    return DisplaySettings(
        mapping=state.mapping,
        colormap=state.colormap or "gray",
        per_filter=per,
        per_filter_colormap=per_cmap,
        per_map=per_map,
        per_map_colormap=per_map_cmap,
    )


def display_from_file(settings: DisplaySettings, bank: Bank | Stack) -> DisplayState:
    """Position-keyed display settings as uid-keyed ones for a stack's maps."""
    stack = bank if isinstance(bank, Stack) else Stack.of(bank)
    bank = stack.bank
    cmap = None if settings.colormap == "gray" else settings.colormap
    cmaps = dict(settings.per_filter_colormap)
    per = [
        (bank.filters[i].uid, mapping, cmaps.get(i))
        for i, mapping in settings.per_filter
        if 0 <= i < len(bank.filters)
    ]
    map_cmaps = dict(settings.per_map_colormap)
    for (k, i), mapping in settings.per_map:
        if k < len(stack) and i < len(stack.map_keys(k)):
            per.append((stack.map_keys(k)[i], mapping, map_cmaps.get((k, i))))
    return DisplayState(mapping=settings.mapping, colormap=cmap, per_filter=tuple(per))


def combined_for_file(
    derived: tuple[DerivedMap, ...], state: DisplayState, bank: Bank
) -> tuple[CombinedMap, ...]:
    """Combined maps as the file's definitions by filter position, with their own display."""
    combined = []
    for d in derived:
        try:
            a, b = bank.index_of(d.a_uid), bank.index_of(d.b_uid)
        except KeyError:
            continue  # a source is gone: the studio drops such a map itself
        mapping, cmap, overridden = state.for_uid(d.uid)
        combined.append(
            CombinedMap(a, b, d.op, mapping if overridden else None, cmap if overridden else None)
        )
    return tuple(combined)


def derived_from_file(
    combined: tuple[CombinedMap, ...], bank: Bank, display: DisplayState
) -> tuple[tuple[DerivedMap, ...], DisplayState]:
    """New combined maps for the file's definitions, and ``display`` with their own choices."""
    derived = []
    per = list(display.per_filter)
    for c in combined:
        d = make_derived(bank.filters[c.a].uid, bank.filters[c.b].uid, c.op)
        derived.append(d)
        if c.mapping is not None:
            per.append((d.uid, c.mapping, c.colormap))
    return tuple(derived), replace(display, per_filter=tuple(per))


def state_of(session: Session) -> StudioState:
    """The studio state a loaded session restores (the picture is opened separately)."""
    display = display_from_file(session.display, session.stack)
    derived, display = derived_from_file(session.combined, session.bank, display)
    return StudioState(session.bank, display, session.selected, derived, stack=session.stack)


def session_of(
    state: StudioState, image: ImageState | None
) -> Session:
    """The session to save for ``state`` and the picture ``image`` (its location, not pixels)."""
    return Session(
        image_path=image.path if image is not None else None,
        sample=image.sample if image is not None else None,
        display=display_for_file(state.display, state.stack),
        selected=max(0, state.selected),
        combined=combined_for_file(state.derived, state.display, state.bank),
        stack=state.stack,
    )
