"""process_request answers every request with the exact map, a preview of it, or a sentence."""

from __future__ import annotations

import numpy as np
import pytest

from filterstudio.compute.planning import preview_layer
from filterstudio.compute.process import MapCache, planned, process_request
from filterstudio.compute.requests import CombineRequest, ComputeRequest
from filterstudio.core.geometry import MapGeometry
from filterstudio.core.kernels import get_preset, random_kernel
from filterstudio.core.pipeline import apply_bank_filter
from filterstudio.model.bank import Filter, Layer


def _image(h=37, w=29, seed=3):
    return np.random.default_rng(seed).random((h, w, 3), dtype=np.float32)


def _request(img, flt, layer=None, generation=1, uid=None, **kw):
    img.setflags(write=False)
    return ComputeRequest(
        generation=generation, uid=uid or flt.uid, image_key=7, image=img, flt=flt,
        layer=layer or Layer(), **kw,
    )  # fmt: skip


def test_a_full_answer_is_the_exact_map_and_is_cached():
    img, flt = _image(), Filter("s", get_preset("sobel_x").kernel)
    cache = MapCache()
    res = process_request(_request(img, flt), cache)
    np.testing.assert_allclose(res.values, apply_bank_filter(img, flt, Layer()), atol=1e-5)
    assert res.recomputed and res.error is None and res.pixels.dtype == np.uint8
    assert not res.values.flags.writeable and not res.pixels.flags.writeable
    assert res.full_hw == res.values.shape[:2] and res.image_key == 7
    # Only the display changes: the cached map is reused, not recomputed.
    again = process_request(_request(img, flt, generation=2, mapping="abs"), cache)
    assert not again.recomputed and again.values is res.values and again.mapping == "abs"


@pytest.mark.parametrize(
    "layer_kwargs",
    [
        {},
        {"stride": (2, 3), "padding": "same", "border": "reflect"},
        {"padding": "full", "border": "wrap", "dilation": (2, 1)},
        {"padding": (2, 1), "border": "edge", "channel_mode": "gray"},
        {"padding": "same", "border": "symmetric", "channel_mode": "depth"},
    ],
)
@pytest.mark.parametrize("f", [2, 3])
def test_a_preview_is_exactly_every_fth_cell_of_the_map(layer_kwargs, f):
    img = _image()
    flt = Filter("r", random_kernel(5, seed=2))
    layer = Layer(**layer_kwargs)
    full = apply_bank_filter(img, flt, layer)
    geo = MapGeometry.for_layer(img.shape[:2], flt.size, layer)
    prev = apply_bank_filter(img, flt, preview_layer(layer, geo, f))
    sub = full[::f, ::f]
    # Only a last row/column reading the extra bottom/right "same" padding may be missing.
    assert sub.shape[0] - prev.shape[0] in (0, 1) and sub.shape[1] - prev.shape[1] in (0, 1)
    np.testing.assert_allclose(prev, sub[: prev.shape[0], : prev.shape[1]], atol=1e-4)


def test_a_large_map_is_planned_as_a_preview_unless_its_values_are_cached():
    img = _image(1500, 1200, seed=4)
    flt = Filter("b", get_preset("gaussian_blur").kernel)
    cache = MapCache()
    req = _request(img, flt)
    first = planned(req, cache)
    assert first.preview > 1
    res = process_request(first, cache)
    assert res.values is None and res.pixels is not None and res.full_hw == (1498, 1198)
    process_request(req, cache)  # the full map, now cached
    assert planned(_request(img, flt, generation=3, mapping="abs"), cache).preview == 1


def test_faults_become_one_sentence():
    img = _image(4, 4)
    flt = Filter("big", np.ones((7, 7)))
    res = process_request(_request(img, flt), MapCache())
    assert res.values is None and "larger than the padded image" in res.error

    def out_of_memory(*args, **kwargs):
        raise MemoryError

    res = process_request(_request(_image(), Filter("s", np.eye(3))), MapCache(), out_of_memory)
    assert res.error.startswith("Not enough memory") and res.error.endswith(".")


def test_a_combined_map_reads_both_cached_maps():
    img = _image()
    gx, gy = Filter("x", get_preset("sobel_x").kernel), Filter("y", get_preset("sobel_y").kernel)
    cache = MapCache()
    a, b = (process_request(_request(img, f), cache).values for f in (gx, gy))
    req = CombineRequest(generation=9, uid="d1", a_uid=gx.uid, b_uid=gy.uid, op="magnitude",
                         geometry=None)  # fmt: skip
    res = process_request(req, cache)
    np.testing.assert_allclose(res.values, np.hypot(a, b), atol=1e-5)
    cache.forget(gy.uid)
    assert "not available" in process_request(req, cache).error


def test_a_forgotten_filter_gets_no_cached_map():
    img, flt = _image(), Filter("s", np.eye(3))
    cache = MapCache()
    cache.forget(flt.uid)
    process_request(_request(img, flt), cache)
    assert cache.cached_uids() == set()
    cache.revive(flt.uid)
    process_request(_request(img, flt), cache)
    assert cache.cached_uids() == {flt.uid}
