"""The compute cycle holds one picture and one exact map per filter, whatever was changed before.

A 12 MP colour map is 137 MB, so every map held twice, every stale map kept after its
filter changed and every copy of the picture is a large part of a studio's memory. The
cycle below is the controller's without Qt (plan, preview, full map, answers shown through
the ledger, removed filters forgotten) and the arrays alive are counted by tracemalloc,
which sees every numpy allocation, OpenCV's results included.
"""

from __future__ import annotations

import gc
import inspect
import tracemalloc
from dataclasses import replace

import numpy as np

from filterstudio.compute.cache import MapCache
from filterstudio.compute.ledger import Ledger
from filterstudio.compute.process import planned, process_request
from filterstudio.compute.stack_plan import expected_maps, plan_stack, stale_keys
from filterstudio.core import convolution
from filterstudio.core.kernels import random_kernel
from filterstudio.model.bank import Bank, Filter
from filterstudio.model.stack import Stack
from filterstudio.model.studio import DisplayState, make_image_state

SHAPE = (400, 520, 3)  # previewed at a 256-pixel display side: every path of the cycle runs
SIDE = 256


class Cycle:
    """Ask, compute (a preview first where the map is large, then the full map), show."""

    def __init__(self, n_filters: int) -> None:
        bank = Bank(
            tuple(Filter(f"f{i}", random_kernel(3 + 2 * (i % 3), seed=i)) for i in range(n_filters))
        )
        self.stack = Stack.of(bank)
        self.image = None
        self.display = DisplayState()
        self.ledger = Ledger()
        self.cache = MapCache()
        self.previews = 0

    def new_picture(self, seed: int) -> None:
        pixels = np.random.default_rng(seed).random(SHAPE, dtype=np.float32)
        self.image = make_image_state(pixels, "p", with_display=False)
        self.ledger.new_picture()

    def set_stack(self, stack: Stack) -> None:
        """As the controller does: maps of removed filters are forgotten at once."""
        self.stack = stack
        for uid in stale_keys(self.ledger, stack, set()):
            self.ledger.forget(uid)
            self.cache.forget(uid)

    def edit_kernel(self, index: int, n: int) -> None:
        bank = self.stack.bank
        k = bank.filters[index].kernel.copy()
        k[0, 0] += n + 1
        self.set_stack(
            self.stack.with_bank(bank.with_filter(index, bank.filters[index].with_kernel(k)))
        )

    def run(self) -> None:
        """Every changed map computed as the compute thread would, each answer shown."""
        plan = plan_stack(self.stack, self.image, self.display, self.ledger, SIDE)
        for request in plan.submit:
            first = planned(request, self.cache)
            self._deliver(process_request(first, self.cache))
            if first.preview > 1:
                self.previews += 1
                self._deliver(process_request(replace(first, preview=1), self.cache))
        assert self.ledger.all_final(expected_maps(self.stack))

    def smallest_map(self) -> int:
        """Bytes of the smallest exact map shown (display copies are far smaller)."""
        return min(self.ledger.shown(u).values.nbytes for u in expected_maps(self.stack))

    def _deliver(self, result) -> None:
        self.ledger.receive(result)
        while self.ledger.has_inbox():
            self.ledger.next_to_show()


def _lines_of(function) -> tuple[str, range]:
    lines, first = inspect.getsourcelines(function)
    return inspect.getsourcefile(function), range(first, first + len(lines))


#: The engine's band buffers, one or two per thread, reused from call to call: not maps.
SCRATCH = _lines_of(convolution._scratch_array)


def large_arrays_alive(min_bytes: int) -> int:
    """How many allocations of at least ``min_bytes`` are alive (numpy's, OpenCV's results),
    the engine's reused band buffers aside."""
    gc.collect()
    path, lines = SCRATCH
    return sum(
        1
        for t in tracemalloc.take_snapshot().traces
        if t.size >= min_bytes
        and not any(f.filename == path and f.lineno in lines for f in t.traceback)
    )


def test_one_picture_and_one_exact_map_per_filter_are_held_after_any_change():
    cycle = Cycle(3)
    tracemalloc.start(8)  # deep enough to see the engine's band buffers for what they are
    try:
        cycle.new_picture(1)
        cycle.run()
        assert large_arrays_alive(cycle.smallest_map() // 2) == 3 + 1
        changes = [
            lambda: cycle.set_stack(cycle.stack.with_bank(cycle.stack.bank.with_layer(stride=2))),
            lambda: cycle.set_stack(cycle.stack.with_bank(cycle.stack.bank.with_layer(stride=1))),
            lambda: cycle.set_stack(
                cycle.stack.with_bank(cycle.stack.bank.with_layer(padding="same", border="reflect"))
            ),
            lambda: setattr(cycle, "display", cycle.display.with_override(
                cycle.stack.bank.filters[1].uid, "abs", "viridis")),
            lambda: cycle.new_picture(2),
            lambda: cycle.set_stack(cycle.stack.with_bank(cycle.stack.bank.removing(2))),
        ]  # fmt: skip
        # A kernel dragged first: each generation replaces the one before.
        changes = [lambda n=n: cycle.edit_kernel(0, n) for n in range(2)] + changes
        for change in changes:
            change()
            cycle.run()
            n = len(cycle.stack.bank.filters)
            held = large_arrays_alive(cycle.smallest_map() // 2)
            assert held == n + 1, "a map or the picture is held twice, or a stale map kept"
        assert cycle.previews >= 3 * 4  # previews were made (and dropped) along the way
    finally:
        tracemalloc.stop()
