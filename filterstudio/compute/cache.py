"""What the compute thread keeps between requests: exact maps, the prepared picture, split maps.

Written on the compute thread only; :meth:`MapCache.forget` and :meth:`MapCache.revive` may be
called from any thread (a filter removed while its map is being computed never gets it cached).
Exact maps are kept in memory up to a budget; past it the maps answered longest ago go to
scratch files (:mod:`filterstudio.compute.scratch`) and are read back from there, still exact.
The answer that carried such a map is made again with the values read back and handed to
:meth:`MapCache.take_moved`, so the window lets go of the copy in memory too.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable

import numpy as np

from ..core.pipeline import prepare_input
from .requests import ComputeRequest, ComputeResult, MapKey, StageRequest
from .scratch import Scratch, Spilled, map_memory_budget
from .stagework import split_colour
from .tap_planes import TapPlanes

__all__ = ["SPLIT_BYTES", "MapCache"]

#: The most memory kept for first-stage colour maps split into their channels for the next
#: stage (each split once per version of the map); past it the channels are split per request.
SPLIT_BYTES = 1 << 30


class MapCache:
    """The last exact map of each filter and the prepared input, shared by successive requests.

    Written on the compute thread only; :meth:`forget` and :meth:`revive` may be called from
    any thread (a filter removed while its map is being computed never gets it cached).
    """

    def __init__(self, budget: int | None = -1, scratch: Scratch | None = None) -> None:
        self._lock = threading.Lock()
        #: Bytes of exact maps kept in memory before new ones go to scratch files (None: any).
        self.budget = map_memory_budget() if budget == -1 else budget
        self.scratch = scratch if scratch is not None else Scratch()
        self._values: dict[MapKey, tuple[tuple, np.ndarray]] = {}
        self._spilled: dict[MapKey, Spilled] = {}
        #: The last full answer that carried each kept map, the one answered longest ago first.
        self._answers: dict[MapKey, ComputeResult] = {}
        self._moved: dict[MapKey, ComputeResult] = {}
        #: What the maps with work waiting will be made of (``Scheduler.waiting_keys``): a map
        #: about to be made anew is not worth moving to a scratch file.
        self.waiting: Callable[[], dict[MapKey, tuple | None]] = dict
        self._forgotten: set[MapKey] = set()
        self._prepared: tuple[tuple, np.ndarray] | None = None
        self._split: dict[MapKey, tuple[int, tuple[np.ndarray, ...]]] = {}
        #: The planes strided previews of edited kernels are summed from (compute thread only).
        self.taps = TapPlanes()

    def get(self, uid: MapKey, key: tuple | None = None) -> np.ndarray | None:
        """The cached map of ``uid`` (only if it was made for ``key``, when one is given)."""
        with self._lock:
            found = self._values.get(uid)
        if found is None or (key is not None and found[0] != key):
            return None
        return found[1]

    def put(self, uid: MapKey, key: tuple, values: np.ndarray) -> None:
        with self._lock:
            if uid not in self._forgotten:
                self._values[uid] = (key, values)
                self._spilled.pop(uid, None)

    def kept_or_made(
        self, req: ComputeRequest | StageRequest, make: Callable[[], np.ndarray]
    ) -> tuple[np.ndarray, bool]:
        """The kept map of ``req``, or ``make()`` made read-only and kept; and whether it was made.

        The old map of ``req.uid`` is dropped before ``make`` runs, so both are never held.
        """
        key = req.compute_key()
        values = self.get(req.uid, key)
        if values is not None:
            return values, False
        self.drop(req.uid)
        values = make()
        values.setflags(write=False)
        self.put(req.uid, key, values)
        return values, True

    def drop(self, uid: MapKey) -> None:
        with self._lock:
            self._values.pop(uid, None)
            self._spilled.pop(uid, None)
            self._answers.pop(uid, None)
            self._moved.pop(uid, None)
            self._split.pop(uid, None)

    def settle(self, res: ComputeResult) -> ComputeResult:
        """``res`` as its map is kept. Call it once ``res`` is made (its display copy read the
        map in memory). Should the maps in memory pass the budget, those answered longest ago
        go to scratch files first (see :meth:`take_moved`), then, if that is not enough, this
        one. A map read back from its file gives the pages it read back to the system."""
        values = res.values
        with self._lock:
            found = self._values.get(res.uid)
            if values is None or found is None or found[1] is not values:
                return res  # not a kept map (an error, a preview, a forgotten filter)
            self._answers.pop(res.uid, None)
            self._answers[res.uid] = res  # answered last
            spilled = self._spilled.get(res.uid)
        if spilled is not None:
            self.release_pages(res.uid)
            return res
        if self.budget is None:
            return res
        for victim in self._longest_ago(res.uid, values.nbytes):
            self._move(victim)
        if self._held(res.uid) + values.nbytes <= self.budget:
            return res
        moved = self.scratch.spill(values)
        if moved is None:
            return res
        with self._lock:
            if self._values.get(res.uid) is not found:
                return res  # dropped or replaced meanwhile
            self._values[res.uid] = (found[0], moved.values)
            self._spilled[res.uid] = moved
            res = dataclasses.replace(res, values=moved.values)
            self._answers[res.uid] = res
        return res

    def take_moved(self) -> list[ComputeResult]:
        """The answers made again because their maps went to scratch files since the last call:
        each is the answer last given for its map (same generation, same display copy), with
        the values read back. Shown in its place, it lets the window drop the copy in memory."""
        with self._lock:
            moved, self._moved = list(self._moved.values()), {}
        return moved

    def _held(self, but: MapKey | None = None) -> int:
        """The bytes of exact maps kept in memory, ``but``'s aside."""
        with self._lock:
            return sum(
                v.nbytes for uid, (_, v) in self._values.items()
                if uid != but and uid not in self._spilled
            )  # fmt: skip

    def _longest_ago(self, keep: MapKey, nbytes: int) -> list[MapKey]:
        """The maps in memory to move, answered longest ago first, so ``nbytes`` more fit."""
        over = self._held(keep) + nbytes - self.budget
        if over <= 0:
            return []
        soon = self.waiting()
        out: list[MapKey] = []
        with self._lock:
            for uid, answer in self._answers.items():
                if over <= 0:
                    break
                kept = self._values.get(uid)
                if uid == keep or uid in self._spilled or kept is None:
                    continue
                if uid in soon and soon[uid] != kept[0]:
                    continue  # made anew next: moving it would write it for nothing
                if answer.values is kept[1] and kept[1].nbytes >= self.scratch.min_bytes:
                    out.append(uid)
                    over -= kept[1].nbytes
        return out

    def _move(self, uid: MapKey) -> None:
        """Put ``uid``'s map in a scratch file and make its answer again with it."""
        with self._lock:
            found = self._values.get(uid)
        spilled = None if found is None else self.scratch.spill(found[1])
        if spilled is None:
            return
        with self._lock:
            answer = self._answers.get(uid)
            if self._values.get(uid) is not found or answer is None:
                return  # dropped or replaced meanwhile
            self._values[uid] = (found[0], spilled.values)
            self._spilled[uid] = spilled
            self._answers[uid] = dataclasses.replace(
                answer, values=spilled.values, recomputed=False
            )
            self._moved[uid] = self._answers[uid]

    def bytes_in_memory(self) -> int:
        """The bytes of exact maps kept in memory (not in scratch files)."""
        return self._held()

    def release_pages(self, *uids: MapKey) -> None:
        """Give back the pages read of these maps' scratch files (maps in memory: nothing)."""
        with self._lock:
            found = [self._spilled.get(uid) for uid in uids]
        for spilled in found:
            if spilled is not None:
                spilled.release_pages()

    def spilled_uids(self) -> set[MapKey]:
        """The maps kept in scratch files."""
        with self._lock:
            return set(self._spilled)

    def forget(self, uid: MapKey) -> None:
        """``uid`` is gone: drop its map, and keep none that is being computed now."""
        with self._lock:
            self._forgotten.add(uid)
        self.drop(uid)  # :meth:`put` keeps no map of ``uid`` from here on

    def revive(self, uid: MapKey) -> None:
        """``uid`` is asked for again (an undone removal): its maps may be kept again."""
        with self._lock:
            self._forgotten.discard(uid)

    def is_forgotten(self, uid: MapKey) -> bool:
        with self._lock:
            return uid in self._forgotten

    def cached_uids(self) -> set[MapKey]:
        with self._lock:
            return set(self._values)

    def prepared_input(self, req: ComputeRequest) -> np.ndarray:
        """The picture as the engine reads it under the request's channel mode (kept once)."""
        key = (req.image_key, req.layer.channel_mode)
        if self._prepared is None or self._prepared[0] != key:
            self._prepared = None  # free the old one before making the new one
            self.taps.clear()
            self._prepared = (key, prepare_input(req.image, req.layer.channel_mode))
        return self._prepared[1]

    def planes(self, req: StageRequest) -> list[np.ndarray | None]:
        """The maps ``req`` reads, in order; a colour map is split into channels once per
        version (its generation) and kept while that version is read, within ``SPLIT_BYTES``."""
        out: list[np.ndarray | None] = []
        made: dict[MapKey, tuple[np.ndarray, ...]] = {}
        for src in req.sources:
            if src.values is None or src.channel is None:
                out.append(src.values)
                continue
            planes = made.get(src.key)
            if planes is None:
                with self._lock:
                    kept = self._split.get(src.key)
                if src.values.ndim == 2:  # a grey picture's map: three times the same map
                    planes = (src.values,) * 3
                elif kept is not None and kept[0] == src.generation:
                    planes = kept[1]
                else:
                    planes = split_colour(src.values)
                    self._keep_split(src.key, src.generation, planes)
                made[src.key] = planes
            out.append(planes[src.channel])
        return out

    def _keep_split(self, key: MapKey, generation: int, planes: tuple[np.ndarray, ...]) -> None:
        with self._lock:
            self._split.pop(key, None)  # the older version is never read again
            if key in self._forgotten:
                return
            held = sum(p.nbytes for _, ps in self._split.values() for p in ps)
            if held + sum(p.nbytes for p in planes) <= SPLIT_BYTES:
                self._split[key] = (generation, planes)
