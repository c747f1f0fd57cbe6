"""The slide montage: its size and content, and file names made safe and distinct."""

from __future__ import annotations

import os
import string

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from filterstudio.core.montage import (
    BACKGROUND,
    MONTAGE_WIDTH,
    kernel_text,
    render_montage,
    safe_filename,
    unique_names,
)

SOBEL_X = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], np.float32)


def _picture(h: int, w: int, rgb: bool = False, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    shape = (h, w, 3) if rgb else (h, w)
    return rng.integers(0, 256, shape, dtype=np.uint8)


def test_montage_is_slide_wide_rgb_on_white() -> None:
    src = _picture(120, 160, rgb=True)
    maps = [
        ("sobel_x", _picture(118, 158), SOBEL_X),
        ("blur", _picture(118, 158, rgb=True), np.full((3, 3), 1 / 9)),
    ]
    out = render_montage(src, maps, title="Edges")
    assert out.dtype == np.uint8
    assert out.ndim == 3 and out.shape[2] == 3
    assert out.shape[1] == MONTAGE_WIDTH
    assert out.shape[0] > 120
    assert tuple(out[0, 0]) == BACKGROUND
    assert tuple(out[-1, -1]) == BACKGROUND


def test_montage_grows_with_the_number_of_maps() -> None:
    src = _picture(40, 40)
    one = render_montage(src, [("a", _picture(38, 38), SOBEL_X)])
    many = render_montage(src, [(f"m{i}", _picture(38, 38), SOBEL_X) for i in range(9)])
    assert many.shape[1] == one.shape[1] == MONTAGE_WIDTH
    assert many.shape[0] > one.shape[0]


def test_montage_shows_the_input_pixels_enlarged_blockwise() -> None:
    # An 8x8 lesson image must stay a sharp checkerboard: enlarged without smoothing.
    board = ((np.indices((8, 8)).sum(axis=0) % 2) * 255).astype(np.uint8)
    out = render_montage(board, [])
    ys, xs = np.nonzero(np.all(out == 0, axis=2))
    inner = out[ys.min() + 2 : ys.max() - 2, xs.min() + 2 : xs.max() - 2]
    assert inner.shape[0] > 100 and inner.shape[1] > 100
    # No grey from interpolation inside the picture, and both colours present.
    assert set(np.unique(inner[..., 0])) == {0, 255}


def test_montage_draws_kernel_grids_including_depth_and_no_kernel() -> None:
    src = _picture(60, 80, rgb=True)
    depth = np.random.default_rng(1).normal(size=(3, 3, 3)).astype(np.float32)
    maps = [
        ("depth", _picture(58, 78), depth),
        ("none", _picture(58, 78), None),
        ("big", _picture(46, 66), np.eye(15, dtype=np.float32)),
    ]
    out = render_montage(src, maps, title="A title " + "long " * 200)
    # Positive kernel cells are tinted red, negative ones blue.
    reds = (out[..., 0] == 255) & (out[..., 1] < 255) & (out[..., 1] == out[..., 2])
    blues = (out[..., 2] == 255) & (out[..., 0] < 255) & (out[..., 1] > out[..., 0])
    assert reds.any() and blues.any()


def test_montage_accepts_single_channel_and_alpha_pictures() -> None:
    src = _picture(20, 30, rgb=True)
    rgba = np.dstack([src, np.full((20, 30), 255, np.uint8)])
    out = render_montage(rgba, [("grey", _picture(18, 28)[:, :, None], SOBEL_X)])
    assert out.shape[1] == MONTAGE_WIDTH


@pytest.mark.parametrize(
    "bad",
    [np.zeros((10, 10), np.float32), np.zeros((10, 10, 2), np.uint8), np.zeros((0, 5), np.uint8)],
)
def test_montage_refuses_pictures_that_are_not_8_bit_grey_or_rgb(bad: np.ndarray) -> None:
    with pytest.raises(ValueError, match=r"\.$"):
        render_montage(bad, [])
    with pytest.raises(ValueError, match=r"\.$"):
        render_montage(_picture(10, 10), [("m", bad, SOBEL_X)])


def test_montage_refuses_a_bad_map_entry_and_kernel() -> None:
    with pytest.raises(ValueError, match="triple"):
        render_montage(_picture(10, 10), [("only a title",)])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="kernel"):
        render_montage(_picture(10, 10), [("m", _picture(8, 8), np.zeros(3))])


def test_montage_does_not_change_its_inputs() -> None:
    src = _picture(30, 30, rgb=True)
    m = _picture(28, 28)
    before = (src.copy(), m.copy(), SOBEL_X.copy())
    render_montage(src, [("m", m, SOBEL_X)])
    assert np.array_equal(src, before[0]) and np.array_equal(m, before[1])
    assert np.array_equal(SOBEL_X, before[2])


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.0, "0"),
        (-2.0, "-2"),
        (0.0625, "0.0625"),
        (1 / 9, "0.111"),
        (-1 / 3, "-0.333"),
        (1e-7, "1e-07"),
        (-1e-9, "-1e-09"),
    ],
)
def test_kernel_text_is_exact_when_short_and_rounded_when_long(value: float, text: str) -> None:
    assert kernel_text(value) == text


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("sobel_x", "sobel_x"),
        ("sobel x / edges?", "sobel_x_edges"),
        ("a\\b:c*d", "a_b_c_d"),
        ("..", "filter"),
        ("", "filter"),
        ("   ", "filter"),
        (".hidden", "hidden"),
        ("trailing. ", "trailing"),
        ("CON", "CON_"),
        ("nul.txt", "nul_.txt"),
        ("Kanten é×中", "Kanten_é×中"),
        ("tab\there\nnewline", "tab_here_newline"),
    ],
)
def test_safe_filename_examples(name: str, safe: str) -> None:
    assert safe_filename(name) == safe


@given(st.text(max_size=300))
def test_safe_filename_is_safe_nonempty_short_and_stable(name: str) -> None:
    safe = safe_filename(name)
    assert safe
    assert len(safe) <= 101
    assert not set(safe) & set('/\\<>:"|?*') and os.sep not in safe
    assert all(ch.isprintable() and not ch.isspace() for ch in safe)
    assert not safe.startswith(".") and not safe.endswith((".", " "))
    assert safe_filename(safe) == safe


def test_safe_filename_makes_files_that_can_be_written(tmp_path) -> None:
    for name in ["a/b", "..", "x" * 500, "é", string.punctuation]:
        path = tmp_path / f"{safe_filename(name)}.png"
        path.write_bytes(b"x")
        assert path.parent == tmp_path


def test_unique_names_are_distinct_case_blind_and_keep_order() -> None:
    assert unique_names(["edges", "Edges", "blur"]) == ["edges", "Edges_2", "blur"]
    assert unique_names(["a", "a", "a_2"]) == ["a", "a_3", "a_2"]
    assert unique_names(["x/y", "x?y"]) == ["x_y", "x_y_2"]


@given(st.lists(st.text(max_size=20), max_size=20))
def test_unique_names_never_collide(names: list[str]) -> None:
    out = unique_names(names)
    assert len(out) == len(names)
    assert len({n.casefold() for n in out}) == len(out)
    assert all(safe_filename(n) == n for n in out)
