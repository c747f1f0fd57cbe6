"""The stack model: stages, how many maps each gives the next, and depths kept consistent."""

from __future__ import annotations

import numpy as np
import pytest

from filterstudio.core.limits import MAX_STAGE_DEPTH, MAX_STAGES
from filterstudio.model.bank import Bank, Filter, Layer
from filterstudio.model.stack import ConvStage, PoolStage, Stack, default_conv_stage


def bank(n=3, mode="gray", size=3):
    return Bank(
        tuple(Filter(f"k{i}", np.full((size, size), i + 1.0)) for i in range(n)),
        Layer(channel_mode=mode),
    )


def two_stage(mode="gray", n=3):
    return Stack.of(bank(n, mode)).adding_stage("conv", count=2)


def test_one_stage_stack_is_the_bank():
    b = bank()
    s = Stack.of(b)
    assert s.bank is b and len(s) == 1 and s.maps_out(0) == 3


@pytest.mark.parametrize("mode, per_filter", [("gray", 1), ("depth", 1), ("color", 3)])
def test_maps_a_first_stage_gives_the_next(mode, per_filter):
    s = Stack.of(bank(4, mode)).adding_stage("conv")
    assert s.maps_in(1) == 4 * per_filter
    assert all(f.kernel.shape == (3, 3, 4 * per_filter) for f in s.stages[1].filters)
    assert len(s.sources(1)) == 4 * per_filter


def test_colour_planes_are_filter_by_filter_rgb():
    s = Stack.of(bank(2, "color")).adding_stage("pool")
    u0, u1 = (f.uid for f in s.bank.filters)
    assert s.sources(1) == ((u0, 0), (u0, 1), (u0, 2), (u1, 0), (u1, 1), (u1, 2))
    assert s.map_labels(1) == ("k0 R", "k0 G", "k0 B", "k1 R", "k1 G", "k1 B")
    assert len(set(s.map_keys(1))) == 6


def test_a_pool_stage_passes_its_maps_on():
    s = Stack.of(bank(3)).adding_stage("pool").adding_stage("conv", count=5)
    assert s.maps_in(1) == s.maps_out(1) == 3
    assert s.maps_in(2) == 3 and s.maps_out(2) == 5
    assert isinstance(s.stages[1], PoolStage) and s.stages[1].strides == (2, 2)
    # Each pooled map reads one map, a conv map reads them all.
    assert s.map_sources(1, 2) == (s.sources(1)[2],)
    assert len(s.map_sources(2, 0)) == 3


def test_later_conv_stages_always_sum_over_all_maps():
    s = Stack((ConvStage(bank()), ConvStage(Bank((Filter("a", np.ones((3, 3, 3))),), Layer()))))
    assert s.stages[1].layer.channel_mode == "depth"


def test_adding_a_first_stage_filter_adds_a_zero_slice():
    s = two_stage()
    before = [f.kernel.copy() for f in s.stages[1].filters]
    s2 = s.with_bank(s.bank.adding(Filter("new", np.ones((3, 3))), 1))
    for old, f in zip(before, s2.stages[1].filters):
        assert f.kernel.shape == (3, 3, 4)
        np.testing.assert_array_equal(f.kernel[:, :, [0, 2, 3]], old)
        assert not f.kernel[:, :, 1].any()


def test_removing_a_first_stage_filter_removes_its_slice():
    s = two_stage()
    before = [f.kernel.copy() for f in s.stages[1].filters]
    s2 = s.removing_filter(0, 1)
    for old, f in zip(before, s2.stages[1].filters):
        np.testing.assert_array_equal(f.kernel, old[:, :, [0, 2]])


def test_moving_a_filter_moves_its_slice_through_a_pool_stage():
    s = Stack.of(bank(3)).adding_stage("pool").adding_stage("conv", count=2)
    before = s.stages[2].filters[0].kernel.copy()
    s2 = s.moving_filter(0, 0, 2)
    np.testing.assert_array_equal(s2.stages[2].filters[0].kernel, before[:, :, [1, 2, 0]])


def test_switching_colour_to_grey_sums_the_three_slices_and_back_splits_them():
    s = two_stage("color", n=2)
    k = s.stages[1].filters[0].kernel.copy()
    grey = s.with_stage_settings(0, channel_mode="gray")
    g = grey.stages[1].filters[0].kernel
    assert g.shape == (3, 3, 2)
    np.testing.assert_allclose(g[:, :, 0], k[:, :, 0:3].sum(axis=2), rtol=1e-6)
    back = grey.with_stage_settings(0, channel_mode="color")
    np.testing.assert_allclose(back.stages[1].filters[0].kernel[:, :, 4], g[:, :, 1] / 3, rtol=1e-6)


def test_a_stage_inserted_before_a_conv_stage_refits_it_to_the_new_maps():
    s = two_stage(n=3)
    s2 = s.adding_stage("conv", after=0, count=5)
    assert s2.maps_in(2) == 5
    assert all(f.kernel.shape == (3, 3, 5) for f in s2.stages[2].filters)
    # Removing it again refits the stage to the first stage's maps.
    s3 = s2.removing_stage(1)
    assert all(f.kernel.shape == (3, 3, 3) for f in s3.stages[1].filters)


def test_edits_keep_uids_and_other_stages():
    s = two_stage()
    uid = s.stages[1].uid
    s2 = s.with_stage_kernel(1, 0, np.zeros((5, 5, 3)))
    assert s2.stages[1].uid == uid and s2.stages[1].filters[0].size == (5, 5)
    assert s2.stages[0] is s.stages[0]
    assert s.stages[1].filters[0].size == (3, 3)  # the old stack is untouched


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda s: s.with_stage_kernel(1, 0, np.ones((3, 3, 2))), "needs depth 3"),
        (lambda s: s.removing_stage(0), "cannot be removed"),
        (lambda s: s.with_stage_settings(1, channel_mode="gray"), "no setting 'channel_mode'"),
        (lambda s: s.removing_filter(1, 0).removing_filter(1, 0), "at least one filter"),
        (lambda s: s.adding_stage("dense"), "'conv' or 'pool'"),
        (lambda s: s.adding_stage("pool", size=20), "1 to 15"),
        (lambda s: s.adding_stage("pool", size=2, padding=2), "half the window"),
        (lambda s: s.with_bank(s.bank.with_filter(0, Filter("d", np.ones((3, 3, 5))))), "1 to 4"),
    ],
)
def test_bad_edits_are_one_sentence(make, words):
    with pytest.raises(ValueError, match=words) as info:
        make(two_stage())
    msg = str(info.value)
    assert msg.endswith(".") and "\n" not in msg


def test_at_most_so_many_stages_and_maps():
    s = Stack.of(bank(1))
    for _ in range(MAX_STAGES - 1):
        s = s.adding_stage("pool", size=1)
    with pytest.raises(ValueError, match=f"at most {MAX_STAGES} stages"):
        s.adding_stage("pool")
    wide = Stack.of(Bank(tuple(Filter(f"{i}", np.ones((1, 1))) for i in range(16)), Layer()))
    wide = wide.adding_stage("conv", count=16)  # 48 maps in colour mode
    assert wide.maps_in(1) == 48 <= MAX_STAGE_DEPTH


def test_a_deep_kernel_is_allowed_in_a_later_stage_only():
    deep = Filter("d", np.ones((3, 3, 12)))
    assert deep.kernel.shape[2] == 12
    with pytest.raises(ValueError, match="1 to 64 channels"):
        Filter("d", np.ones((3, 3, 65)))


def test_default_conv_stage_is_random_but_repeatable():
    a, b = default_conv_stage(6, count=3, seed=4), default_conv_stage(6, count=3, seed=4)
    for fa, fb in zip(a.filters, b.filters):
        np.testing.assert_array_equal(fa.kernel, fb.kernel)
        assert fa.kernel.shape == (3, 3, 6) and fa.kernel.std() > 0


def test_find_map_and_filter():
    s = Stack.of(bank(2)).adding_stage("pool").adding_stage("conv", count=2)
    key = s.map_keys(1)[1]
    assert s.find_map(key) == (1, 1)
    assert s.find_filter(s.stages[2].filters[1].uid) == (2, 1)
    with pytest.raises(KeyError):
        s.find_map("nope")


def test_stack_change_names_stages_and_filters():
    from filterstudio.model.studio import stack_change

    s = two_stage()
    s2 = s.adding_stage("pool", after=0)
    change = stack_change(s, s2, 0)
    assert [(c.index, c.kind, c.new) for c in change.stages] == [
        (1, "pool", True),
        (2, "conv", False),
    ]
    assert change.stages[1].moved and change.stages_changed and not change.added
    s3 = s2.with_bank(s2.bank.adding(Filter("n", np.ones((3, 3)))))
    change = stack_change(s2, s3, 0)
    assert change.added == (s3.bank.filters[-1].uid,)
    conv = change.stage(s3.stages[2].uid)
    assert set(conv.changed) == {f.uid for f in s3.stages[2].filters}  # a zero slice each
    assert change.stage(s3.stages[1].uid) is None  # the pooling stage itself is unchanged
    gone = stack_change(s3, s3.removing_stage(1), 0)
    assert gone.stages_removed == (s3.stages[1].uid,)
    assert stack_change(s, s, 0).stages == ()
    assert len(stack_change(s, s, 0, reload=True).stages) == 2


def _mixed_bank(padding="valid") -> Bank:
    return Bank(
        (Filter("a", np.ones((3, 3))), Filter("b", np.ones((7, 7)))), Layer(padding=padding)
    )


@pytest.mark.parametrize("padding", ["valid", "full", (1, 2)])
def test_a_conv_stage_after_kernels_of_mixed_sizes_makes_them_pad_same(padding):
    from filterstudio.compute.stagework import StackShapes
    from filterstudio.model.stack_edits import add_stage

    stack = Stack.of(_mixed_bank(padding))
    pooled = add_stage(stack, "pool")
    assert pooled.note == "" and pooled.stack.stages[0].layer.padding == stack.bank.layer.padding
    edit = add_stage(pooled.stack, "conv")
    assert edit.stack.stages[0].layer.padding == "same"
    assert "Stage 1 now uses same padding" in edit.note and "stage 3" in edit.note
    # The stage can run: every map it reads has one size.
    shapes = StackShapes.of(edit.stack, (40, 50))
    assert shapes.problems == (None, None, None)
    # Without the change it could not have.
    assert StackShapes.of(pooled.stack.adding_stage("conv"), (40, 50)).problems[2] is not None


def test_a_conv_stage_after_kernels_of_one_size_or_same_padding_changes_nothing():
    from filterstudio.model.stack_edits import add_stage

    one_size = Stack.of(Bank((Filter("a", np.ones((3, 3))), Filter("b", np.eye(3))), Layer()))
    same = Stack.of(_mixed_bank("same"))
    for stack in (one_size, same):
        edit = add_stage(stack, "conv")
        assert edit.note == "" and edit.stack.stages[0].layer == stack.stages[0].layer
