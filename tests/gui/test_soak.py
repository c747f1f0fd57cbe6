"""A long random session through the scripting surface: no fault, exact final maps, flat memory."""

from __future__ import annotations

import gc
import os
import threading

import numpy as np
from PySide6.QtWidgets import QApplication

from filterstudio.core.kernels import PRESETS, resize_centered
from filterstudio.core.pipeline import apply_bank_filter
from filterstudio.model.bank import ACTIVATIONS, BORDERS, CHANNEL_MODES

EDITS = 400
WARM_UP = 200
MAX_GROWTH_BYTES = 100 * 1024 * 1024
SAMPLES = ("smiley", "vertical_line", "checkerboard", "x", "bump")
PRESET_NAMES = tuple(PRESETS)
TOO_BIG = "larger than the padded image"


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        resident_pages = int(f.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE")


def _small_picture(rng: np.random.Generator) -> np.ndarray:
    shapes = ((64, 80, 3), (64, 80), (48, 1), (1, 40, 3), (9, 7, 3), (5, 5))
    shape = shapes[int(rng.integers(len(shapes)))]
    return rng.random(shape, dtype=np.float32)


class _Session:
    """Random edits of every kind the window offers, each a scripted call."""

    def __init__(self, window, rng: np.random.Generator) -> None:
        self.w = window
        self.c = window.controller
        self.rng = rng
        self.photos = 0
        self.counts: dict[str, int] = {}

    def any_filter(self) -> int:
        return int(self.rng.integers(len(self.w.bank.filters)))

    def pair_or_one(self, low: int, high: int):
        a = int(self.rng.integers(low, high + 1))
        if self.rng.random() < 0.3:
            return (a, int(self.rng.integers(low, high + 1)))
        return a

    def cell(self) -> None:
        i = self.any_filter()
        k = np.array(self.w.bank.filters[i].kernel, dtype=np.float32)
        r, c = (int(self.rng.integers(n)) for n in k.shape[:2])
        k[r, c] = np.float32(round(float(self.rng.normal(0, 2)), 3))
        self.w.set_kernel(i, k)

    def size(self) -> None:
        i = self.any_filter()
        k = self.w.bank.filters[i].kernel
        self.w.set_kernel(i, resize_centered(k, int(self.rng.choice((3, 5, 7)))))

    def stride(self) -> None:
        self.w.set_stride(self.pair_or_one(1, 4))

    def padding(self) -> None:
        kind = int(self.rng.integers(5))
        if kind < 3:
            self.w.set_layer(padding=("valid", "same", "full")[kind])
        elif kind == 3:
            self.w.set_layer(padding=int(self.rng.integers(0, 4)))
        else:
            self.w.set_layer(padding=(int(self.rng.integers(0, 4)), int(self.rng.integers(0, 4))))

    def border(self) -> None:
        self.w.set_layer(border=str(self.rng.choice(BORDERS)))

    def dilation(self) -> None:
        self.w.set_layer(dilation=self.pair_or_one(1, 3))

    def channel_mode(self) -> None:
        self.w.set_layer(channel_mode=str(self.rng.choice(CHANNEL_MODES)))

    def bias(self) -> None:
        self.c.set_filter_fields(self.any_filter(), bias=round(float(self.rng.normal(0, 0.5)), 3))

    def activation(self) -> None:
        self.c.set_filter_fields(self.any_filter(), activation=str(self.rng.choice(ACTIVATIONS)))

    def add_or_remove(self) -> None:
        n = len(self.w.bank.filters)
        if n < 8 and (n == 1 or self.rng.random() < 0.5):
            self.c.add_filter(str(self.rng.choice(PRESET_NAMES)))
        else:
            self.c.remove_filter(self.any_filter())

    def undo_redo(self) -> None:
        stack = self.c.undo_stack
        if self.rng.random() < 0.6 and stack.canUndo():
            stack.undo()
        elif stack.canRedo():
            stack.redo()

    def photo(self) -> None:
        self.photos += 1
        self.w.open_sample("photo")

    def picture(self) -> None:
        roll = self.rng.random()
        if roll < 0.05 and self.photos < 3:
            self.photo()
        elif roll < 0.35:
            self.w.open_sample(str(self.rng.choice(SAMPLES)))
        else:
            self.w.set_image_array(_small_picture(self.rng), "random")

    def step(self) -> None:
        kinds = (
            (self.cell, 30), (self.size, 6), (self.stride, 6), (self.padding, 6),
            (self.border, 5), (self.dilation, 5), (self.channel_mode, 5), (self.bias, 6),
            (self.activation, 5), (self.add_or_remove, 8), (self.undo_redo, 8),
            (self.picture, 4),
        )
        weights = np.array([w for _, w in kinds], dtype=float)
        edit = kinds[int(self.rng.choice(len(kinds), p=weights / weights.sum()))][0]
        self.counts[edit.__name__] = self.counts.get(edit.__name__, 0) + 1
        edit()


def test_hundreds_of_random_edits_leave_exact_maps_and_flat_memory(qtbot, window, capfd):
    errors: list[str] = []
    window.controller.worker.resultReady.connect(
        lambda res: errors.append(res.error) if res.error else None
    )
    window.set_image_array(np.random.default_rng(1).random((64, 80, 3), dtype=np.float32))
    session = _Session(window, np.random.default_rng(20240611))
    baseline = None
    for n in range(1, EDITS + 1):
        if n == WARM_UP // 2:
            session.photo()  # the large picture's first maps belong to the warm-up
        elif n == (WARM_UP + EDITS) // 2:
            session.photo()  # and once more after it: the memory it takes must come back
        else:
            session.step()
        assert 1 <= len(window.bank.filters) <= 8
        if n % 5 == 0:
            QApplication.processEvents()
        if n % 50 == 0:
            qtbot.waitUntil(window.is_current, timeout=30000)
        if n == WARM_UP:
            gc.collect()
            baseline = _rss_bytes()

    qtbot.waitUntil(window.is_current, timeout=30000)
    # Every kind of edit happened, and some more than a few times.
    assert set(session.counts) == {
        "cell", "size", "stride", "padding", "border", "dilation", "channel_mode", "bias",
        "activation", "add_or_remove", "undo_redo", "picture",
    }
    assert session.photos >= 2

    image = window.controller.image.pixels
    layer = window.bank.layer
    checked = 0
    for i, f in enumerate(window.bank.filters):
        if not f.enabled:
            continue
        res = window.controller.result(f.uid)
        assert res is not None
        try:
            expected = apply_bank_filter(image, f, layer)
        except ValueError:
            expected = None
        if expected is None or 0 in expected.shape[:2]:
            assert window.map_values(i) is None
            assert TOO_BIG in res.error
        else:
            assert res.error is None
            np.testing.assert_allclose(window.map_values(i), expected, rtol=1e-5, atol=1e-4)
        checked += 1
    assert checked == len(window.bank.filters)

    # The only fault a random edit may meet is a kernel that does not fit the picture.
    assert all(TOO_BIG in e for e in errors), sorted(set(errors))
    assert "Traceback" not in capfd.readouterr().err

    gc.collect()
    growth = _rss_bytes() - baseline
    print(f"soak: {EDITS} edits {session.counts}, photos {session.photos}, "
          f"{checked} maps checked, RSS growth {growth / 2**20:.1f} MiB")
    assert growth < MAX_GROWTH_BYTES, f"RSS grew by {growth / 2**20:.1f} MiB after warm-up"


def test_a_filter_removed_mid_computation_leaves_no_cached_map(qtbot, window):
    worker = window.controller.worker
    entered, release = threading.Event(), threading.Event()
    window.set_image_array(np.random.default_rng(2).random((64, 80, 3), dtype=np.float32))
    qtbot.waitUntil(window.is_current, timeout=30000)

    def slow_engine(*args, **kwargs):
        entered.set()
        release.wait(30)
        return apply_bank_filter(*args, **kwargs)

    worker.engine = slow_engine
    gone = window.bank.filters[3].uid
    try:
        window.set_kernel(3, np.ones((3, 3)))
        qtbot.waitUntil(entered.is_set, timeout=30000)
        window.controller.remove_filter(3)
    finally:
        worker.engine = apply_bank_filter
        # The worker answers for the removed filter once its computation ends.
        with qtbot.waitSignal(worker.resultReady, timeout=30000,
                              check_params_cb=lambda res: res.uid == gone):
            release.set()
    qtbot.waitUntil(window.is_current, timeout=30000)
    live = {f.uid for f in window.bank.filters}
    assert gone not in live
    # The worker's per-filter map cache (what a later edit reuses) holds only live filters.
    assert worker.cached_uids() <= live
