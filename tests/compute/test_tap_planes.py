"""Previews summed from tap planes equal the engine's map at the preview's strides, every layout."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from filterstudio.compute.planning import preview_layer
from filterstudio.compute.process import MapCache, process_request
from filterstudio.compute.requests import ComputeRequest
from filterstudio.compute.tap_planes import TapPlanes, gather_plane
from filterstudio.core.geometry import MapGeometry
from filterstudio.core.pipeline import apply_bank_filter, prepare_input
from filterstudio.model.bank import Filter, Layer

BORDERS = ("constant", "edge", "reflect", "symmetric", "wrap")


@st.composite
def cases(draw):
    h, w = draw(st.integers(3, 23)), draw(st.integers(3, 23))
    channels = draw(st.sampled_from([0, 3, 4]))
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    mode = draw(st.sampled_from(["color", "gray", "depth"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    shape = (h, w) if channels == 0 else (h, w, channels)
    image = rng.random(shape, dtype=np.float32)
    depth = mode == "depth" and channels and draw(st.booleans())
    kernel = rng.normal(size=(kh, kw, channels) if depth else (kh, kw)).astype(np.float32)
    kernel[rng.random(kernel.shape) < 0.2] = 0.0  # taps that read nothing
    layer = Layer(
        stride=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
        padding=draw(
            st.sampled_from(["valid", "same", "full"])
            | st.tuples(st.integers(0, 30), st.integers(0, 30))  # wider than the picture too
        ),
        border=draw(st.sampled_from(BORDERS)),
        cval=draw(st.sampled_from([0.0, 0.5, -2.0])),
        dilation=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
        channel_mode=mode,
    )
    flt = Filter(
        "f",
        kernel,
        bias=draw(st.sampled_from([0.0, 0.25])),
        activation=draw(st.sampled_from(["none", "relu", "abs"])),
    )
    return image, flt, layer, draw(st.integers(1, 4))


@settings(max_examples=150, deadline=None)
@given(cases())
def test_a_preview_from_planes_is_the_engines_map(case):
    image, flt, layer, f = case
    try:
        geo = MapGeometry.for_layer(image.shape[:2], flt.size, layer)
    except ValueError:
        return
    if 0 in geo.out_hw:
        return
    small = preview_layer(layer, geo, f)
    src = prepare_input(image, layer.channel_mode)
    try:
        want = apply_bank_filter(src, flt, small, prepared=True)
    except ValueError:
        return  # a layout the engine refuses: the planes must not answer it either...
    planes = TapPlanes()
    got = planes.preview(src, ("pic", layer.channel_mode), flt, small)
    if got is None:  # ...or may leave to the engine (a one-cell map)
        assert want.shape[0] * want.shape[1] < 2
        return
    assert got.shape == want.shape and got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    # Asked again with other weights, the kept planes give the same as the engine.
    other = Filter("g", -2.0 * np.asarray(flt.kernel), bias=flt.bias, activation=flt.activation)
    np.testing.assert_allclose(
        planes.preview(src, ("pic", layer.channel_mode), other, small),
        apply_bank_filter(src, other, small, prepared=True),
        rtol=1e-5,
        atol=1e-5,
    )


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 30), st.integers(1, 30), st.integers(0, 12), st.integers(0, 12),
    st.integers(1, 6), st.integers(1, 6), st.sampled_from(BORDERS), st.integers(0, 2**16),
)  # fmt: skip
def test_a_plane_is_every_step_th_cell_of_the_padded_picture(h, w, py, px, sy, sx, border, seed):
    x = np.random.default_rng(seed).random((h, w, 3), dtype=np.float32)
    pads = ((py, py + 1), (px, 2))
    kwargs = {"constant_values": 0.5} if border == "constant" else {}
    padded = np.pad(x, pads + ((0, 0),), mode=border, **kwargs)
    oy, ox = min(2, padded.shape[0] - 1), min(1, padded.shape[1] - 1)
    want = padded[oy::sy, ox::sx]
    got = gather_plane(x, (oy, ox), (sy, sx), want.shape[:2], pads, border, 0.5)
    np.testing.assert_array_equal(got, want)


def _request(image, flt, layer, generation, preview):
    image.setflags(write=False)
    return ComputeRequest(
        generation=generation, uid=flt.uid, image_key=1, image=image, flt=flt, layer=layer,
        preview=preview,
    )  # fmt: skip


def test_planes_are_kept_while_one_map_is_dragged_and_let_go_for_a_full_map():
    rng = np.random.default_rng(5)
    image = rng.random((90, 120, 3), dtype=np.float32)
    layer = Layer(padding="same", border="reflect")
    cache = MapCache()

    def edited(generation, uid=None):
        flt = Filter("e", rng.normal(size=(3, 3)).astype(np.float32), uid=uid or "f1")
        return process_request(_request(image, flt, layer, generation, preview=4), cache)

    first = edited(1)
    assert first.error is None and first.values is None
    assert cache.taps.kept_bytes == 0  # one preview of a map is not yet a drag
    edited(2)
    kept = cache.taps.kept_bytes
    assert kept == 9 * first.pixels.shape[0] * first.pixels.shape[1] * 3 * 4
    edited(3)
    assert cache.taps.kept_bytes == kept  # the same planes, nothing gathered twice
    # Another map previewed (every map after a stride change): nothing is kept for it.
    edited(4, uid="f2")
    assert cache.taps.kept_bytes == 0
    edited(5, uid="f2")
    assert cache.taps.kept_bytes == kept
    flt = Filter("e", np.eye(3, dtype=np.float32), uid="f2")
    full = process_request(_request(image, flt, layer, 6, preview=1), cache)
    assert full.error is None and cache.taps.kept_bytes == 0


def test_planes_beyond_the_budget_are_used_once_and_not_kept():
    rng = np.random.default_rng(6)
    image = rng.random((40, 50), dtype=np.float32)
    flt = Filter("k", rng.normal(size=(5, 5)).astype(np.float32))
    layer = Layer(stride=3)
    planes = TapPlanes(budget=0)
    np.testing.assert_allclose(
        planes.preview(image, "p", flt, layer),
        apply_bank_filter(image, flt, layer, prepared=True),
        rtol=1e-5,
        atol=1e-5,
    )
    assert planes.kept_bytes == 0
