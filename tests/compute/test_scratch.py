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


def test_maps_past_the_budget_go_to_scratch_files_and_stay_exact(tmp_path):
    img = _image()
    one_map = img.size * 4
    cache = MapCache(budget=2 * one_map + one_map // 2, scratch=Scratch(tmp_path, min_bytes=0))
    filters = [Filter(f"r{i}", random_kernel(3, seed=i)) for i in range(5)]
    layer = Layer(padding="same")
    results = [process_request(_request(img, f, layer), cache) for f in filters]
    for f, res in zip(filters, results):
        assert res.error is None
        np.testing.assert_array_equal(res.values, apply_bank_filter(img, f, layer))
        assert not res.values.flags.writeable
    # Two maps fit in memory; the three made after them went to scratch files.
    assert cache.spilled_uids() == {f.uid for f in filters[2:]}
    assert cache.bytes_in_memory() == 2 * one_map
    # The answers carry the very arrays the cache keeps, so a map is held once.
    assert all(cache.get(f.uid) is res.values for f, res in zip(filters, results))
    # Only the display changes: the spilled map is reused, not recomputed, and stays spilled.
    again = process_request(_request(img, filters[4], layer, generation=2, mapping="abs"), cache)
    assert not again.recomputed and again.values is results[4].values
    assert filters[4].uid in cache.spilled_uids()
    # A combined map reads spilled maps like any others.
    combined = process_request(
        CombineRequest(3, "d1", filters[3].uid, filters[4].uid, "sum", None), cache
    )
    np.testing.assert_allclose(combined.values, results[3].values + results[4].values, rtol=1e-6)
    # A map dropped from memory makes room: the next new map is kept in memory again.
    cache.drop(filters[0].uid)
    newer = Filter("late", random_kernel(5, seed=9))
    process_request(_request(img, newer, layer), cache)
    assert newer.uid not in cache.spilled_uids()


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
