"""Where a stack's cells lie on the picture: placements and receptive fields against brute force
(which picture pixels change a cell when they change), and the growth table's numbers."""

from __future__ import annotations

import numpy as np
import pytest

from filterstudio.compute.receptive_fields import (
    cell_field,
    earlier_fields,
    field_text,
    growth_html,
    growth_rows,
    map_placement,
    reads,
    stage_chain,
)
from filterstudio.compute.stagework import run_stack
from filterstudio.core.geometry import MapGeometry
from filterstudio.model.bank import Bank, Filter, Layer
from filterstudio.model.stack import Stack

rng = np.random.default_rng(21)


def stack_of(mode="gray", padding="same", pool="avg", stride=1, sizes=(3, 3)) -> Stack:
    filters = tuple(Filter(f"f{n}", rng.normal(size=(s, s)) + 2) for n, s in enumerate(sizes))
    bank = Bank(filters, Layer(channel_mode=mode, padding=padding, stride=stride))
    return Stack.of(bank).adding_stage("pool", mode=pool).adding_stage("conv", count=2)


def touched(stack: Stack, pixels: np.ndarray, k: int, key: str, cells) -> list[set]:
    """For each of ``cells`` of map ``key`` of stage ``k``: the picture pixels whose change
    changes it."""
    base = run_stack(pixels, stack)[k][key]
    out = [set() for _ in cells]
    h, w = pixels.shape[:2]
    for y in range(h):
        for x in range(w):
            p = pixels.copy()
            p[y, x] += 5.0
            now = run_stack(p, stack)[k][key]
            for n, cell in enumerate(cells):
                if abs(now[cell] - base[cell]) > 1e-4:
                    out[n].add((y, x))
    return out


@pytest.mark.parametrize("padding,stride", [("valid", 1), ("same", 1), ("valid", 2)])
def test_a_later_cell_reads_exactly_its_field(padding, stride):
    stack = stack_of(padding=padding, stride=stride)
    pixels = rng.random((13, 12 + stride)).astype(np.float32)
    k = 2
    key = stack.map_keys(k)[1]
    out_hw = run_stack(pixels, stack)[k][key].shape
    cells = [(0, 0), (out_hw[0] - 1, out_hw[1] - 1), (out_hw[0] // 2, out_hw[1] // 2)]
    for cell, seen in zip(cells, touched(stack, pixels, k, key, cells)):
        field = cell_field(stack, pixels.shape, k, 1, cell).clipped(pixels.shape)
        want = {(y, x) for y in range(field.top, field.bottom) for x in range(field.left, field.right)}
        assert seen == want


def test_a_pooled_colour_map_reads_through_its_own_filter():
    stack = stack_of(mode="color", sizes=(1, 3))
    # Map 2 of the pool stage pools channel B of filter f0 (a 1x1 kernel): a 2x2 window.
    assert reads(stack, 1, 2) == [(0,), (2,)]
    assert cell_field(stack, (12, 12), 1, 2, (1, 1)).height == 2
    # Map 3 pools filter f1 (3x3 same): the window widens to 4.
    assert cell_field(stack, (12, 12), 1, 3, (1, 1)).height == 4
    # The conv stage after reads both filters: the wider one bounds its field.
    assert reads(stack, 2, 0)[0] == (0, 1)
    assert cell_field(stack, (12, 12), 2, 0, (0, 0)).height == 8


def test_placement_of_a_first_stage_map_is_its_own_geometry():
    stack = stack_of(padding="same", stride=2)
    f = stack.bank.filters[0]
    own = MapGeometry.for_layer((20, 30), f.size, stack.bank.layer)
    placed = map_placement(stack, (20, 30), 0, 0)
    assert placed.placement_offset() == own.placement_offset()
    assert placed.stride == own.stride and placed.out_hw == own.out_hw
    assert placed.cell_rect(3, 4) == own.cell_rect(3, 4)


def test_a_later_cell_is_drawn_centred_on_its_field():
    stack = stack_of(padding="valid", stride=1)
    for k in (1, 2):
        geo = map_placement(stack, (40, 50), k, 0)
        assert geo.out_hw == stage_chain(stack, (40, 50), k, 0)[-1].out_hw
        for cell in [(0, 0), (3, 5)]:
            f = cell_field(stack, (40, 50), k, 0, cell)
            top, left, h, w = geo.cell_rect(*cell)
            assert (top + h / 2, left + w / 2) == (f.top + f.height / 2, f.left + f.width / 2)
            assert geo.cell_at(top + h / 2, left + w / 2) == cell


def test_growth_follows_the_spec_formula():
    stack = stack_of(padding="valid")
    rows = growth_rows(stack, (32, 32))
    assert [r.size for r in rows] == [(3, 3), (4, 4), (8, 8)]
    assert [r.jump_before for r in rows] == [(1, 1), (1, 1), (2, 2)]
    assert [r.jump for r in rows] == [(1, 1), (2, 2), (2, 2)]
    assert [r.out_hw for r in rows] == [(30, 30), (15, 15), (13, 13)]
    text = growth_html(rows)
    assert "8 × 8 pixels" in text and "(k − 1)" in text
    assert field_text(cell_field(stack, (32, 32), 2, 0, (0, 0))) == "receptive field 8 × 8 pixels"


def test_earlier_fields_name_the_cells_read_in_each_stage():
    stack = stack_of(padding="valid")
    fields = earlier_fields(stack, (32, 32), 2, 0, (4, 5))
    assert [j for j, _maps, _f in fields] == [1, 0]
    j, maps, f = fields[0]
    assert maps == (0, 1) and (f.top, f.left, f.height, f.width) == (4, 5, 3, 3)
    j, maps, f = fields[1]
    assert (f.top, f.left, f.height, f.width) == (8, 10, 6, 6)


def test_a_map_without_cells_is_a_sentence():
    stack = stack_of(padding="valid")
    with pytest.raises(ValueError, match="larger than the map"):
        stage_chain(stack, (5, 5), 2, 0)
    with pytest.raises(ValueError, match="no map 3"):
        reads(stack, 2, 2)
