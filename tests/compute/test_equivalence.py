"""Two conv stages with nothing between them are one layer; with ReLU between them no single
kernel does what they do."""

from __future__ import annotations

import numpy as np
import pytest

from filterstudio.compute.equivalence import equivalent_layer
from filterstudio.compute.stagework import run_stack
from filterstudio.model.bank import Bank, Filter, Layer
from filterstudio.model.stack import Stack

rng = np.random.default_rng(12)
PIXELS = rng.random((40, 46, 3)).astype(np.float32)


def two_convs(mode="gray", activation="none", padding="valid", stride=1) -> Stack:
    bank = Bank(
        tuple(Filter(f"f{i}", rng.normal(size=(3, 3)), bias=0.1 * i, activation=activation)
              for i in range(3)),  # fmt: skip
        Layer(channel_mode=mode, padding=padding, stride=stride),
    )
    return Stack.of(bank).adding_stage("conv", count=2, padding=padding)


@pytest.mark.parametrize("mode", ["gray", "color", "depth"])
@pytest.mark.parametrize("padding,stride", [("valid", 1), ("same", 1), ("valid", 2)])
def test_without_an_activation_two_stages_are_one_layer(mode, padding, stride):
    stack = two_convs(mode, padding=padding, stride=stride)
    out = run_stack(PIXELS, stack)[1][stack.map_keys(1)[1]]
    eq = equivalent_layer(PIXELS, stack, 1, 1, out)
    assert eq.linear and eq.fit_rms is None
    assert eq.kernel.shape == (3 + 2 * stride, 3 + 2 * stride, 1 if mode == "gray" else 3)
    assert eq.max_difference < 1e-4 and eq.cells > 0
    assert "They are the same map" in " ".join(eq.sentences)
    # Every cell that reads no padding was compared.
    if padding == "valid":
        assert eq.stack_map.shape == out.shape


def test_with_relu_between_them_no_single_kernel_does_it():
    bank = Bank(
        tuple(Filter(f"edge{i}", k, activation="relu") for i, k in
              enumerate([[[-1, 0, 1]] * 3, [[-1, -1, -1], [0, 0, 0], [1, 1, 1]]])),  # fmt: skip
        Layer(channel_mode="gray"),
    )
    stack = Stack.of(bank).adding_stage("conv", count=1)
    out = run_stack(PIXELS, stack)[1][stack.map_keys(1)[0]]
    eq = equivalent_layer(PIXELS, stack, 1, 0, out)
    assert not eq.linear and eq.between == "ReLU"
    assert eq.max_difference > 0.01 and eq.fit_explained < 0.99
    text = " ".join(eq.sentences)
    assert "no single kernel does it" in text and "ReLU" in text


def test_a_later_pair_of_stages_reads_the_maps_before_them():
    stack = two_convs().adding_stage("conv", count=2)
    maps = run_stack(PIXELS, stack)
    eq = equivalent_layer(PIXELS, stack, 2, 0, maps[2][stack.map_keys(2)[0]], maps[0])
    assert eq.kernel.shape == (5, 5, 3) and eq.linear and eq.max_difference < 1e-4


def test_what_cannot_be_joined_is_a_sentence():
    stack = Stack.of(two_convs().bank).adding_stage("pool").adding_stage("conv")
    with pytest.raises(ValueError, match="pooling stage"):
        equivalent_layer(PIXELS, stack, 2, 0, np.zeros((5, 5), np.float32))
    bank = two_convs().bank
    odd = Stack.of(bank.with_layer(padding=(1, 1), stride=2)).adding_stage("conv", count=1)
    with pytest.raises(ValueError, match="padding"):
        equivalent_layer(PIXELS, odd, 1, 0, run_stack(PIXELS, odd)[1][odd.map_keys(1)[0]])
