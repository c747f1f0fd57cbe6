"""Float maps to 8-bit pixels, exactly as SPEC.md's table says; colour maps, bars and stats."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from filterstudio.core import display as D

ROW = np.array([[-1.0, -0.25, 0.0, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5]], dtype=np.float32)


def test_clip_by_hand():
    # round(clip(v,0,1)*255): 0.1*255=25.5 -> 26 (half to even), 0.25*255=63.75 -> 64,
    # 0.5*255=127.5 -> 128, 0.75*255=191.25 -> 191
    out = D.to_uint8(ROW, "clip")
    assert out.dtype == np.uint8 and out.shape == ROW.shape
    assert out.tolist() == [[0, 0, 0, 26, 64, 128, 191, 255, 255]]


def test_abs_by_hand():
    assert D.to_uint8(ROW, "abs").tolist() == [[255, 64, 0, 26, 64, 128, 191, 255, 255]]


def test_offset_by_hand():
    # round(clip(v + 0.5, 0, 1)*255): -0.25 -> 63.75 -> 64; 0 -> 127.5 -> 128; 0.1 -> 153
    assert D.to_uint8(ROW, "offset").tolist() == [[0, 64, 128, 153, 191, 255, 255, 255, 255]]


def test_minmax_by_hand():
    v = np.array([[-2.0, -1.0, 0.0], [1.0, 2.0, 0.5]], dtype=np.float32)
    # (v + 2) / 4 * 255: 0, 63.75, 127.5, 191.25, 255, 159.375
    assert D.to_uint8(v, "minmax").tolist() == [[0, 64, 128], [191, 255, 159]]


def test_minmax_uses_all_channels_together():
    v = np.zeros((2, 2, 3), dtype=np.float32)
    v[0, 0, 0] = 10.0
    v[1, 1, 2] = 5.0
    out = D.to_uint8(v, "minmax")
    assert out.shape == (2, 2, 3)
    assert out[0, 0, 0] == 255 and out[1, 1, 2] == 128 and out[0, 1, 1] == 0


@pytest.mark.parametrize("value", [0.0, 3.5, -7.0])
def test_constant_map_gives_zero(value):
    out = D.to_uint8(np.full((4, 5), value, np.float32), "minmax")
    assert out.shape == (4, 5) and not out.any()


@pytest.mark.parametrize("mapping", ["clip", "abs", "offset", "minmax"])
def test_grey_mappings_keep_shape(mapping):
    for shape in [(3, 4), (3, 4, 3), (3, 4, 1)]:
        out = D.to_uint8(np.linspace(-1, 2, np.prod(shape)).reshape(shape), mapping)
        assert out.shape == shape and out.dtype == np.uint8


def _reference(v, mapping):
    v = np.asarray(v, dtype=np.float32)
    if mapping == "clip":
        x = np.clip(v, 0, 1) * np.float32(255)
    elif mapping == "abs":
        x = np.clip(np.abs(v), 0, 1) * np.float32(255)
    elif mapping == "offset":
        x = np.clip(v * np.float32(255) + np.float32(127.5), 0, 255)
    else:
        lo, hi = v.min(), v.max()
        if hi == lo:
            return np.zeros(v.shape, np.uint8)
        x = (v.astype(np.float64) - lo) / (float(hi) - lo) * 255
    return np.rint(x).astype(np.uint8)


@given(
    hnp.arrays(
        np.float32,
        st.tuples(st.integers(1, 6), st.integers(1, 6)),
        elements=st.floats(-4, 4, width=32),
    ),
    st.sampled_from(["clip", "abs", "offset", "minmax"]),
)
def test_mappings_agree_with_the_formula(v, mapping):
    got = D.to_uint8(v, mapping).astype(int)
    want = _reference(v, mapping).astype(int)
    # float32 rounding may move a value that sits on .5 by one step; nothing more.
    assert np.max(np.abs(got - want)) <= 1


def test_unknown_mapping():
    with pytest.raises(ValueError, match=r"choose one of clip, minmax, abs, offset, diverging\."):
        D.to_uint8(np.zeros((2, 2)), "log")


# Diverging ---------------------------------------------------------------------------------


def test_diverging_zero_is_the_centre_colour_and_symmetric():
    v = np.array([[-2.0, -1.0, 0.0, 1.0, 2.0]], dtype=np.float32)
    out = D.to_uint8(v, "diverging")
    assert out.shape == (1, 5, 3) and out.dtype == np.uint8
    bar = D.colorbar(D.DEFAULT_DIVERGING, length=255, vertical=False)[0]  # low to high
    np.testing.assert_array_equal(out[0, 2], bar[127])  # zero -> the exact centre entry
    np.testing.assert_array_equal(out[0, 0], bar[0])  # -max -> the low end
    np.testing.assert_array_equal(out[0, 4], bar[254])  # +max -> the high end
    # -1 and 1 sit 63.5 entries either side of the centre: 63.5 -> 64 and 190.5 -> 190 (half to
    # even), 63 entries from the centre on both sides
    np.testing.assert_array_equal(out[0, 1], bar[127 - 63])
    np.testing.assert_array_equal(out[0, 3], bar[127 + 63])


def test_diverging_centre_is_the_colormap_middle():
    from cmap import Colormap

    centre = np.rint(np.asarray(Colormap("crameri:vik")(0.5))[:3] * 255)
    out = D.to_uint8(np.array([[0.0, 1.0]], np.float32), "diverging")
    assert np.max(np.abs(out[0, 0].astype(int) - centre)) <= 1


@given(
    hnp.arrays(
        np.float32,
        st.tuples(st.integers(1, 5), st.integers(1, 5)),
        elements=st.floats(-100, 100, width=32),
    )
)
def test_diverging_is_symmetric_around_zero(v):
    a = D.to_uint8(v, "diverging")
    b = D.to_uint8(-v, "diverging")
    bar = D.colorbar(D.DEFAULT_DIVERGING, length=255, vertical=False)[0]
    index = {tuple(c): i for i, c in enumerate(bar.tolist())}
    ia = np.array([[index[tuple(c)] for c in row] for row in a.tolist()])
    ib = np.array([[index[tuple(c)] for c in row] for row in b.tolist()])
    np.testing.assert_array_equal(ia - 127, -(ib - 127))


def test_diverging_all_zero_map_is_all_centre():
    out = D.to_uint8(np.zeros((3, 3)), "diverging")
    assert len({tuple(c) for c in out.reshape(-1, 3).tolist()}) == 1


def test_diverging_three_channels_uses_the_mean():
    v = np.zeros((1, 2, 3), np.float32)
    v[0, 0] = [3.0, 0.0, 0.0]  # mean 1
    v[0, 1] = [-1.0, -1.0, -1.0]  # mean -1
    out = D.to_uint8(v, "diverging")
    np.testing.assert_array_equal(out, D.to_uint8(np.array([[1.0, -1.0]]), "diverging"))


def test_diverging_colormap_choice():
    v = np.array([[-1.0, 1.0]], np.float32)
    a = D.to_uint8(v, "diverging", colormap="coolwarm")
    b = D.to_uint8(v, "diverging", colormap=D.DEFAULT_DIVERGING)
    assert not np.array_equal(a, b)
    # a sequential name falls back to the default diverging map
    np.testing.assert_array_equal(D.to_uint8(v, "diverging", colormap="viridis"), b)


def test_diverging_limit():
    assert D.diverging_limit(np.array([[-3.0, 2.0]])) == 3.0
    assert D.diverging_limit(np.zeros((0, 3))) == 0.0
    assert D.diverging_limit(np.array([[1.0, np.inf]])) == 1.0


# Colour maps -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", D.COLORMAPS + D.DIVERGING_COLORMAPS)
def test_colormap_luts(name):
    lut = D.colormap_lut(name)
    assert lut.shape == (256, 3) and lut.dtype == np.uint8
    assert not lut.flags.writeable
    assert D.colormap_lut(name.upper()) is lut or np.array_equal(D.colormap_lut(name.upper()), lut)


def test_gray_lut_is_the_identity():
    np.testing.assert_array_equal(D.colormap_lut("gray")[:, 0], np.arange(256))


def test_names():
    assert "viridis" in D.COLORMAPS and "gray" in D.COLORMAPS
    assert D.DEFAULT_DIVERGING in D.DIVERGING_COLORMAPS
    assert not set(D.COLORMAPS) & set(D.DIVERGING_COLORMAPS)
    with pytest.raises(ValueError, match="Unknown colour map 'nope'"):
        D.colormap_lut("nope")


def test_sequential_colormap_goes_through_the_lut():
    v = np.array([[0.0, 0.5, 1.0]], np.float32)
    out = D.to_uint8(v, "clip", colormap="viridis")
    lut = D.colormap_lut("viridis")
    assert out.shape == (1, 3, 3)
    np.testing.assert_array_equal(out[0], lut[[0, 128, 255]])
    # gray (or no colour map) keeps the single channel
    assert D.to_uint8(v, "clip", colormap="gray").shape == (1, 3)
    # a colour map leaves a colour result alone
    assert D.to_uint8(np.zeros((2, 2, 3)), "clip", colormap="viridis").shape == (2, 2, 3)


def test_colorbar_shapes_and_ends():
    vbar = D.colorbar("viridis", length=100, vertical=True, thickness=4)
    assert vbar.shape == (100, 4, 3) and vbar.dtype == np.uint8
    lut = D.colormap_lut("viridis")
    np.testing.assert_array_equal(vbar[0, 0], lut[255])  # high end on top
    np.testing.assert_array_equal(vbar[-1, 0], lut[0])
    hbar = D.colorbar("viridis", length=256, vertical=False)
    assert hbar.shape == (1, 256, 3)
    np.testing.assert_array_equal(hbar[0], lut)


def test_colorbar_ticks():
    v = np.array([[-2.0, 4.0]], np.float32)
    assert D.colorbar_ticks("clip", v) == [(0.0, "0"), (0.5, "0.5"), (1.0, "1")]
    assert D.colorbar_ticks("offset", v) == [(0.0, "-0.5"), (0.5, "0"), (1.0, "0.5")]
    assert D.colorbar_ticks("minmax", v) == [(0.0, "-2"), (0.5, "1"), (1.0, "4")]
    assert D.colorbar_ticks("diverging", v) == [(0.0, "-4"), (0.5, "0"), (1.0, "4")]
    assert D.colorbar_ticks("minmax", np.full((2, 2), 0.25)) == [(0.0, "0.25")]
    assert D.colorbar_ticks("diverging", np.zeros((2, 2))) == [(0.5, "0")]
    assert D.colorbar_ticks("minmax", np.zeros((0, 0))) == []
    assert [p for p, _ in D.colorbar_ticks("abs", v)] == [0.0, 0.5, 1.0]


# Stats -------------------------------------------------------------------------------------


def test_map_stats_by_hand():
    s = D.map_stats(np.array([[-1.0, 0.0], [1.0, 2.0]], np.float32), bins=3)
    assert (s.min, s.max, s.mean, s.negative_fraction, s.count) == (-1.0, 2.0, 0.5, 0.25, 4)
    assert s.histogram.tolist() == [1, 1, 2]
    np.testing.assert_allclose(s.edges, [-1, 0, 1, 2])
    assert not s.histogram.flags.writeable


def test_map_stats_matches_numpy_histogram():
    v = np.random.default_rng(3).normal(size=(120, 80, 3)).astype(np.float32)
    s = D.map_stats(v, bins=32)
    counts, edges = np.histogram(v, bins=32)
    assert s.histogram.sum() == v.size
    assert np.abs(s.histogram - counts).sum() <= 4  # only values on a bin edge may differ
    np.testing.assert_allclose(s.edges, edges, rtol=1e-6)
    assert s.mean == pytest.approx(float(v.mean()), abs=1e-5)
    assert s.negative_fraction == pytest.approx(float((v < 0).mean()))


def test_map_stats_constant_and_empty():
    s = D.map_stats(np.full((3, 3), 2.0), bins=4)
    assert (s.min, s.max, s.mean, s.negative_fraction) == (2.0, 2.0, 2.0, 0.0)
    assert s.histogram.tolist() == [0, 0, 9, 0]
    np.testing.assert_allclose(s.edges, [1.5, 1.75, 2.0, 2.25, 2.5])
    e = D.map_stats(np.zeros((0, 5)), bins=4)
    assert e.count == 0 and e.histogram.tolist() == [0, 0, 0, 0] and len(e.edges) == 5


# Downscaling -------------------------------------------------------------------------------


def test_downscale_keeps_small_maps_and_floats():
    v = np.arange(12, dtype=np.float32).reshape(3, 4)
    assert D.downscale_for_display(v, 4) is v
    big = np.random.default_rng(0).normal(size=(400, 300)).astype(np.float32)
    small = D.downscale_for_display(big, 100)
    assert small.shape == (100, 75) and small.dtype == np.float32
    # area averaging: each output is the mean of a 4x4 block
    assert small[0, 0] == pytest.approx(float(big[:4, :4].mean()), abs=1e-5)
    assert D.downscale_for_display(np.zeros((50, 20, 3), np.float32), 10).shape == (10, 4, 3)
    assert D.downscale_for_display(np.zeros((50, 20, 1), np.float32), 10).shape == (10, 4, 1)


def test_whole_factor_downscale_averages_blocks_in_place():
    rng = np.random.default_rng(1)
    values = rng.normal(size=(61, 92)).astype(np.float32)
    small = D.downscale_for_display(values, 30, whole_factor=True)  # factor 4: 15 x 23
    assert small.shape == (15, 23) and small.dtype == np.float32
    blocks = values[:60, :92].reshape(15, 4, 23, 4).mean(axis=(1, 3))
    np.testing.assert_allclose(small, blocks, atol=1e-5)
    assert D.downscale_for_display(values, 92, whole_factor=True) is values
    many = rng.random((40, 40, 6)).astype(np.float32)  # more channels than OpenCV reads in place
    out = D.downscale_for_display(many, 10, whole_factor=True)
    assert out.shape == (10, 10, 6)
    np.testing.assert_allclose(
        out[..., 5], many[..., 5].reshape(10, 4, 10, 4).mean(axis=(1, 3)), atol=1e-5
    )


def test_tiny_and_huge_ranges_do_not_overflow():
    tiny = np.array([[1e-38, 2e-38, 3e-38]], np.float32)
    assert D.to_uint8(tiny, "minmax").tolist() == [[0, 128, 255]]
    div = D.to_uint8(np.array([[-1e-38, 0.0, 1e-38]], np.float32), "diverging")
    bar = D.colorbar(D.DEFAULT_DIVERGING, length=255, vertical=False)[0]
    np.testing.assert_array_equal(div[0], bar[[0, 127, 254]])
    huge = np.array([[-3e38, 0.0, 3e38]], np.float32)
    assert D.to_uint8(huge, "minmax").tolist() == [[0, 128, 255]]


def test_limits_from_the_full_map():
    full = np.array([[-4.0, 0.0, 1.0, 4.0]], np.float32)
    small = np.array([[-1.0, 1.0]], np.float32)  # e.g. an area-averaged copy
    assert D.to_uint8(small, "minmax", limits=(-4.0, 4.0)).tolist() == [[96, 159]]
    np.testing.assert_array_equal(
        D.to_uint8(small, "diverging", limits=(-4.0, 2.0)),
        D.to_uint8(np.array([[-1.0, 1.0, -4.0, 4.0]], np.float32), "diverging")[:, :2],
    )
    assert D.to_uint8(small, "clip", limits=(-4.0, 4.0)).tolist() == [[0, 255]]
    s = D.map_stats(small, bins=4, exact_limits=(float(full.min()), float(full.max())))
    assert (s.min, s.max) == (-4.0, 4.0)
    assert s.histogram.tolist() == [0, 1, 1, 0] and s.histogram.sum() == small.size
    with pytest.raises(ValueError, match="smaller first"):
        D.to_uint8(small, "minmax", limits=(1.0, 0.0))


# Colour-blind viewers ------------------------------------------------------------------------

# Machado, Oliveira and Fernandes (2009), severity 1: linear-RGB matrices that show a colour as
# a viewer with protanopia, deuteranopia or tritanopia sees it.
_CVD = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                   [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                     [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                   [0.004733, 0.691367, 0.303900]],
}  # fmt: skip


def _lab(rgb8: np.ndarray, matrix) -> np.ndarray:
    c = rgb8.astype(np.float64) / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    seen = np.clip(linear @ np.asarray(matrix).T, 0.0, 1.0)
    xyz = seen @ np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                           [0.0193, 0.1192, 0.9505]]).T / np.array([0.95047, 1.0, 1.08883])  # fmt: skip
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], 1)


@pytest.mark.parametrize("vision", list(_CVD))
def test_default_diverging_map_reads_for_colour_blind_viewers(vision):
    """Negative and positive values of the same size look clearly different (CIE76 ΔE of at
    least 30 beyond a quarter of the range) and grow darker away from zero on both sides."""
    bar = D.colorbar(D.DEFAULT_DIVERGING, length=255, vertical=False)[0]
    lab = _lab(bar, _CVD[vision])
    below, above = lab[:127][::-1], lab[128:]  # from the centre outwards
    apart = np.linalg.norm(below - above, axis=1)
    assert apart[32:].min() >= 30, apart[32:].min()
    for half in (below, above):
        lightness = half[:, 0]
        assert lightness[-1] < lightness[0] - 50
        assert np.all(np.diff(lightness) <= 1.0)  # never lighter further from zero


def test_every_diverging_map_gives_its_table_at_any_length():
    for name in D.DIVERGING_COLORMAPS:
        assert D.colorbar(name, length=255, vertical=False).shape == (1, 255, 3)
        assert D.to_uint8(np.array([[-1.0, 1.0]], np.float32), "diverging", colormap=name).shape


@pytest.mark.parametrize("mapping", D.MAPPINGS)
@pytest.mark.parametrize("colormap", [None, "viridis"])
@pytest.mark.parametrize(
    "view",
    [
        lambda a: a[1:-2, 2:-1],  # a "valid" crop: rows keep the full width's stride
        lambda a: a[::2, 1:],  # every other row
        lambda a: a[:, ::2],  # every other column: not rows OpenCV can take as they are
        lambda a: a[::-1],  # rows upside down
        lambda a: a[:, :, ::-1] if a.ndim == 3 else a.T,  # channels reversed, or transposed
    ],
)
@pytest.mark.parametrize("channels", [0, 3])
def test_views_of_larger_maps_give_what_their_copies_give(mapping, colormap, view, channels):
    rng = np.random.default_rng(7)
    shape = (9, 11) if channels == 0 else (9, 11, channels)
    full = rng.normal(0, 1, shape).astype(np.float32)
    part = view(full)
    expected = D.to_uint8(np.ascontiguousarray(part), mapping, colormap=colormap)
    np.testing.assert_array_equal(D.to_uint8(part, mapping, colormap=colormap), expected)
