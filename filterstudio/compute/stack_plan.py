"""Which maps of a stack to ask for now, and which must wait: the compute cycle's plan, no Qt.

The first stage's maps are asked for as they always were (picture, layer, kernel, display). A
later stage's map depends on the exact maps it reads, so it is asked for only once all of them
are current at full resolution, and its request carries those maps (read-only arrays, nothing
copied). Until then it is *held* (:meth:`Ledger.hold`): its old answer is never shown again
and it is not current. Whether a map must be asked again is judged by its *value key*: the
picture and every setting of the stack it depends on, stage by stage. A display change alone
does not change it, so it never recomputes the stages after it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ..model.stack import PoolStage, Stack
from ..model.studio import DisplayState, ImageState
from .ledger import Ledger
from .requests import ComputeRequest, MapKey, Request, Source, StageRequest
from .stagework import StackShapes

__all__ = ["StackPlan", "expected_maps", "plan_stack", "value_keys"]


@dataclass
class StackPlan:
    """What one planning pass decided: requests to submit, maps that now wait."""

    submit: list[Request] = field(default_factory=list)
    held: list[MapKey] = field(default_factory=list)


def value_keys(stack: Stack, image_key: int) -> dict[MapKey, tuple]:
    """Every map's value key: what its exact values depend on, through the stages before it.

    A switched-off filter's map is zeros: its key says only what its size depends on.
    """
    keys: dict[MapKey, tuple] = {}
    first = stack.stages[0]
    for f in first.filters:
        if f.enabled:
            keys[f.uid] = (image_key, first.layer, f.content_key())
        else:
            keys[f.uid] = ("off", image_key, first.layer, f.size)
    for k in range(1, len(stack.stages)):
        s = stack.stages[k]
        for i, key in enumerate(stack.map_keys(k)):
            read = tuple((keys[src], ch) for src, ch in stack.map_sources(k, i))
            if isinstance(s, PoolStage):
                keys[key] = ("pool", s.mode, s.size, s.strides, s.padding, read)
            else:
                f = s.filters[i]
                if f.enabled:
                    keys[key] = ("conv", s.layer, f.content_key(), read)
                else:
                    keys[key] = ("off", s.layer, f.size, read)
    return keys


def expected_maps(stack: Stack) -> list[MapKey]:
    """The maps the studio computes, stage by stage: every enabled filter's, every pooled map."""
    out = []
    for k, s in enumerate(stack.stages):
        if isinstance(s, PoolStage):
            out.extend(stack.map_keys(k))
        else:
            out.extend(f.uid for f in s.filters if f.enabled)
    return out


def _source(ledger: Ledger, vkeys: dict, key: MapKey, channel, label: str):
    """``(Source, None)`` when map ``key`` is ready to be read, ``(None, sentence)`` when it
    failed, ``(None, None)`` while it is being computed."""
    if vkeys[key][0] == "off":
        return Source(key, 0, channel, None), None
    if not ledger.is_final(key):
        return None, None
    shown = ledger.shown(key)
    if shown.values is None:
        return None, f"It reads the map of {label!r}, which could not be computed."
    return Source(key, shown.generation, channel, shown.values), None


def plan_stack(
    stack: Stack,
    image: ImageState | None,
    display: DisplayState,
    ledger: Ledger,
    max_display_side: int,
) -> StackPlan:
    """Ask ``ledger`` for every map of ``stack`` whose inputs changed; the requests to submit.

    Stage by stage, so a map is judged after the maps it reads were asked for in this pass.
    A frame of a video or camera (``image.frame`` set) asks for full maps only: the next frame
    follows before a preview's full map would be computed.
    """
    plan = StackPlan()
    if image is None:
        return plan
    vkeys = value_keys(stack, image.key)
    first = stack.stages[0]
    for f in first.filters:
        if not f.enabled:
            continue
        mapping, cmap, _ = display.for_uid(f.uid)
        inputs = (image.key, first.layer, f.content_key(), mapping, cmap, max_display_side)
        generation = ledger.ask(f.uid, inputs)
        if generation is not None:
            plan.submit.append(
                ComputeRequest(
                    generation=generation, uid=f.uid, image_key=image.key, image=image.pixels,
                    flt=f, layer=first.layer, mapping=mapping, colormap=cmap,
                    max_display_side=max_display_side, may_preview=image.frame is None,
                )
            )  # fmt: skip
    if len(stack.stages) == 1:
        return plan
    shapes = StackShapes.of(stack, image.pixels.shape[:2])
    labels: dict[MapKey, str] = {}
    for k in range(len(stack.stages) - 1):
        labels.update(zip(stack.map_keys(k), stack.map_labels(k)))
    for k in range(1, len(stack.stages)):
        _plan_stage(plan, stack, k, image, display, ledger, max_display_side, vkeys, shapes, labels)
    return plan


def _plan_stage(plan, stack, k, image, display, ledger, side, vkeys, shapes, labels) -> None:
    s = stack.stages[k]
    pool = s if isinstance(s, PoolStage) else None
    for i, key in enumerate(stack.map_keys(k)):
        flt = None if pool else s.filters[i]
        if flt is not None and not flt.enabled:
            continue
        mapping, cmap, _ = display.for_uid(key)
        inputs = (vkeys[key], mapping, cmap, side)
        if ledger.asked_with(key) == inputs:
            continue  # asked for already (being computed, or shown)
        failed = shapes.problems[k]
        sources: list[Source] = []
        waiting = False
        if failed is None:
            for src, ch in stack.map_sources(k, i):
                got, why = _source(ledger, vkeys, src, ch, labels[src])
                if why is not None:
                    failed = why
                    break
                if got is None:
                    waiting = True
                else:
                    sources.append(got)
        if waiting and failed is None:
            if ledger.hold(key, inputs):
                plan.held.append(key)
            continue
        followed = ledger.is_held(key)  # it waited for the maps before it: no preview first
        generation = ledger.ask(key, inputs)
        if generation is None:
            continue
        plan.submit.append(
            StageRequest(
                generation=generation, uid=key, image_key=image.key, stage=k,
                sources=tuple(sources) if failed is None else (),
                in_hw=shapes.in_hw(stack, k, i), value_key=vkeys[key],
                flt=flt, layer=None if pool else s.layer, pool=pool, failed=failed,
                mapping=mapping, colormap=cmap, max_display_side=side,
                may_preview=not followed and image.frame is None,
            )
        )  # fmt: skip


def stale_keys(ledger: Ledger, stack: Stack, keep: Iterable[MapKey] = ()) -> set[MapKey]:
    """Keys the ledger knows that are no map of ``stack`` (nor in ``keep``): to be forgotten."""
    live = {key for k in range(len(stack.stages)) for key in stack.map_keys(k)}
    return ledger.known() - live - set(keep)
