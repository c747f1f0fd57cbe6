"""Past the memory budget the window's maps move to scratch files: the window lets go of the
copies in memory, shows the same maps, and reads exact values back."""

from __future__ import annotations

import numpy as np

from filterstudio.compute.scratch import Scratch
from filterstudio.core.kernels import random_kernel
from filterstudio.core.pipeline import apply_bank_filter
from filterstudio.model.bank import Bank, Filter, Layer


def test_maps_past_the_budget_are_shown_and_read_from_scratch_files(qtbot, window, tmp_path):
    pixels = np.random.default_rng(4).random((60, 80, 3), dtype=np.float32)
    one_map = pixels.size * 4  # "same" padding: each map is the picture's size
    cache = window.controller.worker.cache
    cache.budget = 2 * one_map + one_map // 2
    cache.scratch = Scratch(tmp_path, min_bytes=0)
    filters = tuple(Filter(f"k{i}", random_kernel(3, seed=i)) for i in range(4))
    window.controller.load_state(Bank(filters, Layer(padding="same")))
    window.set_image_array(pixels, "noise")
    assert window.wait_until_current(30)
    qtbot.waitUntil(lambda: len(cache.spilled_uids()) == 2, timeout=15000)
    # The window shows, for every map in a scratch file, the array that reads it back: the
    # copy in memory is let go. (The moved answers come after the last map: wait for them.)
    qtbot.waitUntil(
        lambda: all(
            window.controller.result(uid).values is cache.get(uid) for uid in cache.spilled_uids()
        ),
        timeout=15000,
    )
    assert cache.bytes_in_memory() == 2 * one_map
    for i, f in enumerate(window.bank.filters):
        expected = apply_bank_filter(pixels, f, window.bank.layer)
        np.testing.assert_array_equal(window.map_values(i), expected)
    # An edit of a map in a scratch file gives it back its place in memory.
    first = window.bank.filters[0]
    assert first.uid in cache.spilled_uids()
    window.set_kernel(0, np.ones((3, 3)) / 9)
    assert window.wait_until_current(30)
    qtbot.waitUntil(lambda: first.uid not in cache.spilled_uids(), timeout=15000)
    np.testing.assert_array_equal(
        window.map_values(0), apply_bank_filter(pixels, window.bank.filters[0], window.bank.layer)
    )
    assert len(cache.spilled_uids()) == 2 and cache.bytes_in_memory() == 2 * one_map


def test_a_stack_stays_exact_while_its_maps_move_to_scratch_files(qtbot, window, tmp_path):
    from filterstudio.compute.stagework import run_stack

    pixels = np.random.default_rng(1).random((48, 64, 3), dtype=np.float32)
    cache = window.controller.worker.cache
    cache.budget = 3 * pixels.size * 4
    cache.scratch = Scratch(tmp_path, min_bytes=0)
    filters = tuple(Filter(f"k{i}", random_kernel(3, seed=i)) for i in range(6))
    window.controller.load_state(Bank(filters, Layer(padding="same")))
    window.set_image_array(pixels, "noise")
    assert window.add_stage("pool") and window.add_stage("conv", count=3)

    def exact() -> bool:
        ref = run_stack(pixels, window.stack)
        for k in range(len(window.stack.stages)):
            for i, key in enumerate(window.stack.map_keys(k)):
                got = window.stage_map_values(k, i)
                if got is None or not np.allclose(got, ref[k][key], atol=1e-5):
                    return False
        return True

    qtbot.waitUntil(exact, timeout=30000)
    assert cache.spilled_uids()  # the budget made maps move
    window.set_kernel(2, np.ones((3, 3)) / 9)  # a first-stage edit: every later map follows
    qtbot.waitUntil(exact, timeout=30000)
    window.set_stage_kernel(2, 0, np.random.default_rng(3).normal(size=(3, 3, 6)))
    qtbot.waitUntil(exact, timeout=30000)
