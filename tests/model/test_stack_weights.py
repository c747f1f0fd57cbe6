"""A CNN layer's weights into a later stage of a stack: PyTorch and Keras layouts, the maps they
give equal to conv2d on the stage before, and a layer that reads another number of maps refused."""

from __future__ import annotations

import numpy as np
import pytest

from filterstudio.compute.stagework import run_stack
from filterstudio.core.conv2d import conv2d
from filterstudio.model.bank import Bank, Filter, Layer
from filterstudio.model.stack import Stack
from filterstudio.model.weights import WeightsError, import_weights, stack_with_weights

rng = np.random.default_rng(2)


def stack() -> Stack:
    bank = Bank(tuple(Filter(f"f{i}", rng.normal(size=(3, 3)), activation="relu") for i in range(4)),
                Layer(channel_mode="gray"))
    return Stack.of(bank).adding_stage("pool").adding_stage("conv", count=2)


@pytest.mark.parametrize("layout", ["pytorch", "keras"])
def test_weights_fill_a_later_stage_and_compute_as_conv2d(tmp_path, layout):
    s = stack()
    torch_w = rng.normal(size=(5, 4, 3, 3)).astype(np.float32)  # (C_out, C_in, kh, kw)
    bias = rng.normal(size=5).astype(np.float32)
    saved = torch_w if layout == "pytorch" else torch_w.transpose(2, 3, 1, 0)
    np.savez(tmp_path / "w.npz", weight=saved, bias=bias)
    imported = import_weights(tmp_path / "w.npz", channels=s.maps_in(2))
    assert imported.layout_used == layout and imported.channels == 4
    s2 = stack_with_weights(s, 2, imported)
    assert [f.kernel.shape for f in s2.stages[2].filters] == [(3, 3, 4)] * 5
    image = rng.random((20, 18)).astype(np.float32)
    maps = run_stack(image, s2)
    pooled = np.stack([maps[1][key] for key in s2.map_keys(1)], axis=2)
    ref = conv2d(pooled, torch_w, bias)
    for o, f in enumerate(s2.stages[2].filters):
        np.testing.assert_allclose(maps[2][f.uid], ref[:, :, o], rtol=0, atol=1e-5)


def test_weights_that_read_another_number_of_maps_are_one_sentence(tmp_path):
    s = stack()
    np.save(tmp_path / "w.npy", np.ones((2, 5, 3, 3), np.float32))
    with pytest.raises(WeightsError) as info:
        import_weights(tmp_path / "w.npy", layout="pytorch", channels=s.maps_in(2))
    assert str(info.value) == (
        "These weights read 5 maps, but the stage reads 4 (the maps of the stage before it)."
    )
    with pytest.raises(WeightsError, match=r"with C_in = 4, the maps this stage reads\.$"):
        import_weights(tmp_path / "w.npy", channels=4)
    first_layer = import_weights(tmp_path / "w.npy", layout="pytorch", channels=5)
    with pytest.raises(WeightsError, match=r"^These weights read 5 maps, but stage 3 reads 4 "):
        stack_with_weights(s, 2, first_layer)
    with pytest.raises(WeightsError, match="Stage 2 is not a conv stage"):
        stack_with_weights(s, 1, first_layer)


def test_first_layer_weights_keep_the_next_stage_slices_by_position(tmp_path):
    s = stack()
    np.save(tmp_path / "w.npy", rng.normal(size=(4, 1, 3, 3)).astype(np.float32))
    before = [f.kernel.copy() for f in s.stages[2].filters]
    s2 = stack_with_weights(s, 0, import_weights(tmp_path / "w.npy", layout="pytorch"))
    assert [f.name for f in s2.bank.filters] == ["conv 1", "conv 2", "conv 3", "conv 4"]
    for old, f in zip(before, s2.stages[2].filters):
        np.testing.assert_array_equal(f.kernel, old)
