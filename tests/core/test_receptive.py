"""Receptive fields: SPEC's formula against brute force on small stacks of convolve and pool2d."""

from __future__ import annotations

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from filterstudio.core.receptive import (
    Field,
    StageGeometry,
    growth,
    receptive_field,
    receptive_size,
)
from filterstudio.core.reference import convolve_reference
from filterstudio.core.reference_layers import pool2d_reference


@st.composite
def stacks(draw):
    """A picture size and 1-3 stages (conv or pool) that leave at least one cell."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    h, w = draw(st.integers(6, 14)), draw(st.integers(6, 14))
    in_hw = (h, w)
    stages, runs = [], []
    for _ in range(draw(st.integers(1, 3))):
        if draw(st.booleans()):
            kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
            kwargs = dict(
                stride=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
                dilation=(draw(st.integers(1, 2)), draw(st.integers(1, 2))),
                padding=draw(
                    st.one_of(
                        st.sampled_from(["valid", "same", "full"]),
                        st.tuples(st.integers(0, 3), st.integers(0, 3)),
                    )
                ),
            )
            stage = StageGeometry.conv(in_hw, (kh, kw), **kwargs)
            kernel = rng.standard_normal((kh, kw))
            run = (convolve_reference, (kernel,), kwargs)
        else:
            ph, pw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
            kwargs = dict(
                stride=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
                padding=(draw(st.integers(0, ph // 2)), draw(st.integers(0, pw // 2))),
                mode=draw(st.sampled_from(["max", "avg"])),
            )
            mode = kwargs.pop("mode")
            stage = StageGeometry.pool(in_hw, (ph, pw), **kwargs)
            run = (pool2d_reference, ((ph, pw),), dict(kwargs, mode=mode))
        if min(stage.out_hw) < 1:
            break
        stages.append(stage)
        runs.append(run)
        in_hw = stage.out_hw
    if not stages:
        stage = StageGeometry.conv((h, w), 1)
        stages, runs = [stage], [(convolve_reference, (np.ones((1, 1)),), {})]
    return (h, w), stages, runs


def influence(hw, runs) -> np.ndarray:
    """``reads[y, x]``: which last-stage cells change when picture pixel ``(y, x)`` does.

    Each pixel in turn is made NaN; NaN spreads through every product, sum and max (even a
    zero weight times NaN is NaN), so a cell is NaN exactly when it reads that pixel.
    """
    reads = None
    for y in range(hw[0]):
        for x in range(hw[1]):
            m = np.zeros(hw)
            m[y, x] = np.nan
            for fn, args, kwargs in runs:
                m = fn(m, *args, **kwargs)
            if reads is None:
                reads = np.zeros(hw + m.shape, bool)
            reads[y, x] = np.isnan(m)
    return reads


def no_gaps(stages) -> bool:
    """Every stage's windows touch or overlap, padding smaller than the window, dilation 1."""
    return all(
        s.stride[0] <= s.kernel[0] and s.stride[1] <= s.kernel[1]
        and s.padding[0] < s.kernel[0] and s.padding[1] < s.kernel[1]
        for s in stages
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stacks())
def test_formula_matches_brute_force(stack):
    hw, stages, runs = stack
    reads = influence(hw, runs)
    out_hw = stages[-1].out_hw
    assert reads.shape[2:] == out_hw  # the geometry's sizes are the maps' sizes
    dilated = any(fn is convolve_reference and kw.get("dilation") not in (None, (1, 1))
                  for fn, _, kw in runs)
    for i in range(out_hw[0]):
        for j in range(out_hw[1]):
            field = receptive_field(stages, (i, j))
            ys, xs = np.nonzero(reads[:, :, i, j])
            # Every pixel the cell reads lies inside its field.
            if ys.size:
                assert field.top <= ys.min() and ys.max() < field.bottom
                assert field.left <= xs.min() and xs.max() < field.right
            inside = field.clipped(hw)
            if field.top >= 0 and field.left >= 0 and field.bottom <= hw[0] and field.right <= hw[1]:
                # A field inside the picture: its corners are read, so it is the bounding box.
                assert (ys.min(), ys.max() + 1, xs.min(), xs.max() + 1) == (
                    field.top, field.bottom, field.left, field.right
                )
            elif no_gaps(stages) and not dilated:
                # Windows without gaps read the field clipped to the picture from its top-left
                # corner on; a stage whose last window stops short of its input's end leaves the
                # bottom or right pixels unread, so there the field may reach further.
                assert inside is not None and ys.size
                assert (ys.min(), xs.min()) == (inside.top, inside.left)
                assert ys.max() < inside.bottom and xs.max() < inside.right


def test_a_resnet_stem():
    """7x7 stride-2 conv padded 3, then a 3x3 stride-2 max pool padded 1 (224 -> 112 -> 56)."""
    conv = StageGeometry.conv((224, 224), 7, stride=2, padding=3)
    pool = StageGeometry.pool(conv.out_hw, 3, stride=2, padding=1)
    assert (conv.out_hw, pool.out_hw) == ((112, 112), (56, 56))
    # r = 1 + 6 * 1 + 2 * 2 = 11; cell 0 starts at -(3 * 1 + 1 * 2) = -5; S_2 = 4.
    assert receptive_size([conv, pool]) == (11, 11)
    assert receptive_field([conv, pool], (0, 0)) == Field(-5, -5, 11, 11)
    assert receptive_field([conv, pool], (10, 3)) == Field(35, 7, 11, 11)
    assert receptive_field([conv, pool], (0, 0)).clipped((224, 224)) == Field(0, 0, 6, 6)


def test_growth_stage_by_stage():
    stages = [StageGeometry.conv((64, 64), 3)]
    for _ in range(2):
        stages.append(StageGeometry.pool(stages[-1].out_hw, 2))
        stages.append(StageGeometry.conv(stages[-1].out_hw, 3))
    # r grows by (k - 1) * S_(l-1): 3, 4, 8, 10, 18.
    assert [g.size[0] for g in growth(stages)] == [3, 4, 8, 10, 18]
    assert [g.jump[0] for g in growth(stages)] == [1, 1, 2, 2, 4]
    assert stages[-1].out_hw == (12, 12)


def test_dilation_counts_in_the_kernel_and_same_padding_on_the_top_left():
    stage = StageGeometry.conv((10, 9), (3, 2), stride=2, padding="same", dilation=(2, 3))
    # Effective 5x4; same at stride 2 on 10 rows: 5 out, total (5-1)*2+5-10 = 3, top 1.
    assert stage.kernel == (5, 4)
    assert stage.padding == (1, 1)
    assert stage.out_hw == (5, 5)
    assert receptive_field(stage, (2, 0)) == Field(3, -1, 5, 4)


@pytest.mark.parametrize(
    ("stages", "cell", "words"),
    [
        ([], (0, 0), "at least one stage"),
        (["conv"], (0, 0), "must be a StageGeometry"),
        ([StageGeometry.conv((8, 8), 3)], (6, 0), "not a cell of a 6x6 map"),
        ([StageGeometry.conv((8, 8), 3)], (-1, 0), "not a cell"),
        ([StageGeometry.conv((8, 8), 3)], (1, 2, 3), "pair"),
        ([StageGeometry.conv((8, 8), 3)], (0.5, 0), "whole number"),
    ],
)
def test_refuses_nonsense_with_one_sentence(stages, cell, words):
    with pytest.raises(ValueError) as info:
        receptive_field(stages, cell)
    assert words in str(info.value)
    assert str(info.value).endswith(".")


def test_stage_refusals():
    with pytest.raises(ValueError, match="at most half"):
        StageGeometry.pool((8, 8), 2, padding=2)
    with pytest.raises(ValueError, match="at least 1"):
        StageGeometry(kernel=0)
    with pytest.raises(ValueError, match="negative"):
        StageGeometry(kernel=3, padding=-1)
    with pytest.raises(ValueError, match="at least 1"):
        StageGeometry.conv((8, 8), 3, stride=0)
