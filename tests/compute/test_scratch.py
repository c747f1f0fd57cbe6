"""Exact maps past the memory budget are kept in scratch files: still exact, read-only, and
gone with the array; no room or no folder keeps them in memory."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from filterstudio.compute import scratch
from filterstudio.compute.process import MapCache, process_request
from filterstudio.compute.requests import CombineRequest, ComputeRequest
from filterstudio.compute.scratch import Scratch, give_back, map_memory_budget
from filterstudio.core.kernels import random_kernel
from filterstudio.core.pipeline import apply_bank_filter
from filterstudio.model.bank import Filter, Layer


def _image(h=40, w=50, seed=3):
    img = np.random.default_rng(seed).random((h, w, 3), dtype=np.float32)
    img.setflags(write=False)
    return img


def _request(img, flt, layer=None, generation=1, **kw):
    return ComputeRequest(
        generation=generation, uid=flt.uid, image_key=7, image=img, flt=flt,
        layer=layer or Layer(), **kw,
    )  # fmt: skip


@settings(max_examples=25, deadline=None)
@given(
    h=st.integers(1, 30),
    w=st.integers(1, 30),
    channels=st.sampled_from([None, 1, 3]),
    crop=st.booleans(),
)
def test_a_spilled_array_reads_back_exactly_and_read_only(tmp_path_factory, h, w, channels, crop):
    folder = tmp_path_factory.mktemp("scratch")
    shape = (h + 4, w + 4) if channels is None else (h + 4, w + 4, channels)
    big = np.random.default_rng(h * 31 + w).standard_normal(shape).astype(np.float32)
    values = big[2 : 2 + h, 1 : 1 + w] if crop else big  # a valid padding's crop: not contiguous
    spilled = Scratch(folder, min_bytes=0).spill(values)
    assert spilled is not None
    assert spilled.values.shape == values.shape and spilled.values.dtype == values.dtype
    np.testing.assert_array_equal(spilled.values, values)
    assert not spilled.values.flags.writeable
    with pytest.raises(ValueError):
        spilled.values[0, 0] = 1.0
    spilled.release_pages()  # the values are read again from the file
    np.testing.assert_array_equal(spilled.values, values)
    assert list(folder.iterdir()) == []  # unlinked at once: nothing is left behind


def test_small_maps_stay_in_memory(tmp_path):
    assert Scratch(tmp_path, min_bytes=1 << 20).spill(np.zeros((10, 10), np.float32)) is None


def test_a_full_disk_keeps_the_map_in_memory(tmp_path, monkeypatch):
    class Usage:
        free = 1000

    monkeypatch.setattr(scratch.shutil, "disk_usage", lambda _path: Usage())
    store = Scratch(tmp_path, min_bytes=0)
    assert store.spill(np.ones((64, 64), np.float32)) is None
    assert "free space" in store.last_failure


def test_a_folder_that_cannot_be_made_keeps_the_map_in_memory(tmp_path):
    blocker = tmp_path / "a file"
    blocker.write_text("x")
    store = Scratch(blocker / "scratch", min_bytes=0)
    assert store.spill(np.ones((64, 64), np.float32)) is None
    assert store.last_failure


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0", None), ("100", 100 << 20), ("1.5", int(1.5 * (1 << 20)))],
)
def test_the_budget_is_read_from_the_environment(monkeypatch, text, expected):
    monkeypatch.setenv(scratch.BUDGET_ENV, text)
    assert map_memory_budget() == expected


@pytest.mark.parametrize("text", ["", "lots", "-5"])
def test_a_missing_or_nonsense_budget_falls_back_to_the_default(monkeypatch, text):
    monkeypatch.setenv(scratch.BUDGET_ENV, text)
    budget = map_memory_budget()
    assert 512 << 20 <= budget <= scratch.DEFAULT_BUDGET


def test_the_maps_answered_longest_ago_go_to_scratch_files_and_stay_exact(tmp_path):
    img = _image()
    one_map = img.size * 4
    cache = MapCache(budget=2 * one_map + one_map // 2, scratch=Scratch(tmp_path, min_bytes=0))
    f = [Filter(f"r{i}", random_kernel(3, seed=i)) for i in range(5)]
    layer = Layer(padding="same")
    results = [process_request(_request(img, flt, layer), cache) for flt in f]
    for flt, res in zip(f, results):
        assert res.error is None
        np.testing.assert_array_equal(res.values, apply_bank_filter(img, flt, layer))
    # Two maps fit in memory: the last two answered. The three answered before them went to
    # scratch files, and their answers are made again with the values read back.
    assert cache.spilled_uids() == {flt.uid for flt in f[:3]}
    assert cache.bytes_in_memory() == 2 * one_map
    moved = {m.uid: m for m in cache.take_moved()}
    assert set(moved) == {flt.uid for flt in f[:3]} and cache.take_moved() == []
    for flt, res in zip(f[:3], results):
        again = moved[flt.uid]
        assert (again.generation, again.recomputed) == (res.generation, False)
        assert again.pixels is res.pixels and again.stats is res.stats
        assert again.values is cache.get(flt.uid) and not again.values.flags.writeable
        np.testing.assert_array_equal(again.values, res.values)
    for flt, res in zip(f[3:], results[3:]):
        assert cache.get(flt.uid) is res.values  # the answer and the cache share one array
    # Only the display changes: kept maps are reused, not recomputed, wherever they are.
    shown = process_request(_request(img, f[4], layer, generation=2, mapping="abs"), cache)
    assert not shown.recomputed and shown.values is results[4].values
    spilled = process_request(_request(img, f[0], layer, generation=3, mapping="abs"), cache)
    assert not spilled.recomputed and spilled.values is moved[f[0].uid].values
    assert cache.take_moved() == [] and cache.spilled_uids() == {flt.uid for flt in f[:3]}
    # A combined map reads maps from scratch files like any others.
    combined = process_request(CombineRequest(4, "d1", f[0].uid, f[4].uid, "sum", None), cache)
    np.testing.assert_allclose(combined.values, results[0].values + results[4].values, rtol=1e-6)
    # An edit of a map in a scratch file keeps the new map in memory; the map in memory
    # answered longest ago (r3: r4's display changed since) makes room.
    edited = f[0].with_kernel(random_kernel(3, seed=11))
    res = process_request(_request(img, edited, layer, generation=5), cache)
    assert res.recomputed and res.values is cache.get(edited.uid)
    np.testing.assert_array_equal(res.values, apply_bank_filter(img, edited, layer))
    assert edited.uid not in cache.spilled_uids() and f[3].uid in cache.spilled_uids()
    assert [m.uid for m in cache.take_moved()] == [f[3].uid]
    # Editing it again writes nothing: its old map in memory makes room for the new one.
    res = process_request(_request(img, edited.with_kernel(np.ones((3, 3))), layer, generation=6), cache)
    assert res.values is cache.get(edited.uid) and cache.take_moved() == []
    # A map dropped makes room: the next new map is kept in memory without moving another.
    cache.drop(f[4].uid)
    newer = Filter("late", random_kernel(5, seed=9))
    process_request(_request(img, newer, layer, generation=7), cache)
    assert newer.uid not in cache.spilled_uids() and cache.take_moved() == []


def test_an_edit_of_a_spilled_map_is_recomputed_exactly(tmp_path):
    img = _image()
    cache = MapCache(budget=0, scratch=Scratch(tmp_path, min_bytes=0))
    flt = Filter("r", random_kernel(3, seed=1))
    first = process_request(_request(img, flt), cache)
    assert flt.uid in cache.spilled_uids()
    edited = flt.with_kernel(random_kernel(3, seed=2))
    res = process_request(_request(img, edited, generation=2), cache)
    assert res.recomputed and res.values is not first.values
    np.testing.assert_array_equal(res.values, apply_bank_filter(img, edited, Layer()))
    np.testing.assert_array_equal(first.values, apply_bank_filter(img, flt, Layer()))


def test_no_budget_keeps_every_map_in_memory(tmp_path):
    img = _image()
    cache = MapCache(budget=None, scratch=Scratch(tmp_path, min_bytes=0))
    for i in range(4):
        process_request(_request(img, Filter(f"r{i}", random_kernel(3, seed=i))), cache)
    assert cache.spilled_uids() == set()


def _resident_kib(values: np.ndarray) -> int:
    """Resident KiB of the mapping that holds ``values`` (from /proc/self/smaps)."""
    address = values.__array_interface__["data"][0]
    inside = False
    with open("/proc/self/smaps") as f:
        for line in f:
            head = line.split()[0]
            if "-" in head and not head.endswith(":"):
                start, end = (int(x, 16) for x in head.split("-"))
                inside = start <= address < end
            elif inside and head == "Rss:":
                return int(line.split()[1])
    raise AssertionError("mapping not found")


@pytest.mark.skipif(not os.path.exists("/proc/self/smaps"), reason="reads Linux's smaps")
def test_a_reader_gives_back_the_pages_of_a_spilled_map(tmp_path):
    values = np.arange(512 * 1024, dtype=np.float32).reshape(512, 1024)  # 2 MiB
    spilled = Scratch(tmp_path, min_bytes=0).spill(values)
    assert _resident_kib(spilled.values) < 1024  # nothing read yet
    assert float(spilled.values.sum()) == float(values.sum())  # read whole
    assert _resident_kib(spilled.values) >= 2048
    give_back(spilled.values[10:20])  # any view of it will do
    assert _resident_kib(spilled.values) < 1024
    give_back(values)  # a map in memory: nothing to give back, nothing happens
    np.testing.assert_array_equal(spilled.values, values)


def test_a_map_about_to_be_made_anew_is_not_moved(tmp_path):
    img = _image()
    one_map = img.size * 4
    cache = MapCache(budget=2 * one_map + one_map // 2, scratch=Scratch(tmp_path, min_bytes=0))
    f = [Filter(f"r{i}", random_kernel(3, seed=i)) for i in range(3)]
    for flt in f[:2]:
        process_request(_request(img, flt), cache)
    # r0 waits to be made from another kernel (an edit on its way), r1 for a new display only.
    r1_key = _request(img, f[1]).compute_key()
    cache.waiting = lambda: {f[0].uid: ("another kernel",), f[1].uid: r1_key}
    process_request(_request(img, f[2]), cache)
    assert cache.spilled_uids() == {f[1].uid}  # r0, answered longest ago, is left alone
    assert [m.uid for m in cache.take_moved()] == [f[1].uid]
