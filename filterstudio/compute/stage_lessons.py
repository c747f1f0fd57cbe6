"""A later stage's lesson from the studio's state: the stack run on a lesson-sized copy of the
picture, and the maps the stage reads handed to its plan.

The lesson shows every number, so it works on a small copy of the picture (as the first
stage's lesson does): the stages before run on it (:func:`~.stagework.run_stack`), and the
stage taught reads their maps. The plan keeps a way to build itself again from the same frozen
inputs (``plan.rebuild``), for an export on another thread. No Qt.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from ..core.lesson import reduce_to_lesson
from ..core.stage_lesson import MapsLessonPlan, PoolLessonPlan, StageLessonPlan
from ..model.stack import PoolStage, Stack
from .receptive_fields import growth_html, growth_rows
from .stagework import StackShapes, run_stack, stage_planes

__all__ = ["build_stage_lesson", "lesson_side"]


def lesson_side(stack: Stack, k: int) -> int:
    """The longest side of the lesson's picture: smaller when the stage reads many maps, so
    that all of them fit on one screen with their numbers."""
    return 16 if stack.maps_in(k) <= 4 else 12


def build_stage_lesson(image: np.ndarray, stack: Stack, k: int, i: int = 0) -> StageLessonPlan:
    """The lesson of map ``i`` of stage ``k`` (1 or more) of ``stack`` on ``image``.

    Raises
    ------
    ValueError
        One sentence: the stage does not exist or has no cells on the lesson's picture.
    """
    if not 1 <= k < len(stack):
        raise ValueError(f"Stage {k + 1} is not a later stage of this stack.")
    n = len(stack.map_keys(k))
    if not 0 <= i < n:
        raise ValueError(f"Stage {k + 1} has no map {i + 1}; it has {n}.")
    small, note = reduce_to_lesson(image, lesson_side(stack, k))
    before = Stack(stack.stages[:k])
    try:
        shapes = StackShapes.of(before, small.shape[:2])
        maps = run_stack(small, before)[-1]
    except ValueError as exc:
        raise ValueError(f"The lesson's small picture is too small for stage {k}: {exc}") from None
    in_hw = shapes.shapes[k - 1][0]
    wanted = {key: maps.get(key) for key in stack.map_keys(k - 1)}
    planes = [np.zeros(in_hw, np.float32) if p is None else p
              for p in stage_planes(stack, k, wanted)]  # fmt: skip
    labels = stack.plane_labels(k - 1)
    cards = {"receptive": growth_html(growth_rows(stack, image.shape[:2], k, i))}
    why = "The stages before it run on this small copy of the picture."
    note = f"{note} {why}" if note else why
    s = stack.stages[k]
    rebuild = partial(build_stage_lesson, image, stack, k, i)
    if isinstance(s, PoolStage):
        plane = planes[i]
        title = f"Stage {k + 1}: {s.mode} pooling {s.size[0]}x{s.size[1]} of {labels[i]}"
        plan: StageLessonPlan = PoolLessonPlan(
            k, plane, labels[i], mode=s.mode, size=s.size, stride=s.strides, padding=s.padding,
            title=title, note=note, cards=cards,
        )  # fmt: skip
    else:
        f = s.filters[i]
        title = (
            f"Stage {k + 1}: {f.name} sums its products over all {len(planes)} maps of stage {k}"
        )
        plan = MapsLessonPlan(
            k, planes, labels, f.kernel, bias=f.bias, activation=f.activation,
            layer=s.layer.conv_kwargs(), filter_name=f.name, title=title, note=note, cards=cards,
        )  # fmt: skip
    plan.rebuild = rebuild
    return plan
