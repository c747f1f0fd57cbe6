"""A later stage's cell written out: the partial sums over maps add up to the stage's map, the
pooled cell names the winner PyTorch would name and the mean it takes."""

from __future__ import annotations

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings

from filterstudio.core.conv2d import conv2d
from filterstudio.core.convolution import BORDERS
from filterstudio.core.lesson import part_label
from filterstudio.core.pooling import pool2d, pool2d_argmax
from filterstudio.core.stage_arithmetic import maps_cell_breakdown, padded_index, pool_cell


@given(
    seed=st.integers(0, 2**31),
    border=st.sampled_from(BORDERS),
    padding=st.sampled_from(["valid", "same", "full", (1, 2)]),
    stride=st.integers(1, 2),
    dilation=st.integers(1, 2),
    depth=st.integers(1, 4),
)
@settings(max_examples=30, deadline=None)
def test_partial_sums_add_up_to_the_stage_map(seed, border, padding, stride, dilation, depth):
    rng = np.random.default_rng(seed)
    planes = [rng.normal(size=(7, 8)).astype(np.float32) for _ in range(depth)]
    kernel = rng.normal(size=(3, 3, depth)).astype(np.float32)
    kw = dict(stride=stride, padding=padding, border=border, cval=0.25, dilation=dilation)
    x = np.stack(planes, axis=2)
    ref = conv2d(x, kernel.transpose(2, 0, 1)[None], np.array([0.5], np.float32), **kw)[:, :, 0]
    for i, j in [(0, 0), (ref.shape[0] - 1, ref.shape[1] - 1), (ref.shape[0] // 2, 0)]:
        bd = maps_cell_breakdown(planes, kernel, i, j, bias=0.5, activation="relu",
                                 labels=[f"m{c}" for c in range(depth)], **kw)  # fmt: skip
        out = bd.outputs[0]
        assert [part_label(p) for p in out.parts] == [f"m{c}" for c in range(depth)]
        assert len(out.parts[0].terms) == 9
        assert out.pre_activation == pytest.approx(float(ref[i, j]), abs=1e-4)
        assert out.value == pytest.approx(max(float(ref[i, j]), 0.0), abs=1e-4)


def test_a_switched_off_map_reads_as_zeros():
    a = np.ones((5, 5), np.float32)
    k = np.ones((3, 3, 2), np.float32)
    bd = maps_cell_breakdown([a, None], k, 1, 1)
    assert [p.total for p in bd.outputs[0].parts] == [9.0, 0.0]
    with pytest.raises(ValueError, match="reads 2 maps"):
        maps_cell_breakdown([a], k, 0, 0)
    with pytest.raises(ValueError, match="no cell"):
        maps_cell_breakdown([a, a], k, 3, 0)


def test_padded_index_reads_as_numpy_pads():
    for border in BORDERS:
        data = np.arange(5) * 10
        padded = np.pad(data, (3, 2), mode=border) if border != "constant" else None
        idx = padded_index(5, 3, 2, border)
        if padded is not None:
            np.testing.assert_array_equal(data[idx], padded)
        else:
            assert list(idx[:3]) == [-1, -1, -1] and list(idx[3:8]) == [0, 1, 2, 3, 4]


@given(seed=st.integers(0, 2**31), size=st.integers(1, 3), stride=st.integers(1, 3),
       pad=st.integers(0, 1), ties=st.booleans())  # fmt: skip
@settings(max_examples=40, deadline=None)
def test_pooled_cells_match_pool2d(seed, size, stride, pad, ties):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(7, 9)).astype(np.float32)
    if ties:
        x = np.round(x)  # equal maxima: the first in scan order wins
    pad = min(pad, size // 2)
    kw = dict(size=size, stride=stride, padding=pad)
    pooled = pool2d(x, mode="max", **kw)
    means = pool2d(x, mode="avg", **kw)
    rows, cols = pool2d_argmax(x, **kw)
    for i in range(pooled.shape[0]):
        for j in range(pooled.shape[1]):
            c = pool_cell(x, i, j, mode="max", **kw)
            assert c.winner == (rows[i, j], cols[i, j]) and c.value == pooled[i, j]
            assert len(c.values) + c.padded_cells == size * size
            a = pool_cell(x, i, j, mode="avg", **kw)
            assert a.winner is None and a.value == pytest.approx(float(means[i, j]), abs=1e-6)


def test_a_pool_cell_outside_the_map_is_a_sentence():
    with pytest.raises(ValueError, match="no cell"):
        pool_cell(np.zeros((4, 4), np.float32), 2, 0, size=2)
    assert pool_cell(None, 0, 0, size=2, in_hw=(4, 4)).value == 0.0
