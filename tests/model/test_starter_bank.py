"""The first screen: four maps that differ at a glance, none of them like the picture itself."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from filterstudio.core.display import to_uint8
from filterstudio.core.kernels import FINDS, get_preset
from filterstudio.core.pipeline import apply_bank_filter
from filterstudio.core.samples import load_sample
from filterstudio.model.bank import Filter
from filterstudio.model.studio import default_bank, default_display, suggested_mapping

#: About the size a panel shows a map at on a laptop or a desktop screen.
PANEL_SIDE = 320


def _as_shown(u8: np.ndarray) -> np.ndarray:
    """An 8-bit picture as a panel shows it: fitted to the panel, as brightness."""
    h, w = u8.shape[:2]
    f = PANEL_SIDE / max(h, w)
    small = cv2.resize(u8, (round(w * f), round(h * f)), interpolation=cv2.INTER_AREA)
    small = small.astype(np.float64)
    return small.mean(axis=2) if small.ndim == 3 else small


def _detail(grey: np.ndarray) -> float:
    return float(np.abs(cv2.Laplacian(grey, cv2.CV_64F)).mean())


def _looks_like_the_picture(picture: np.ndarray, flt: Filter, layer, mapping, cmap) -> bool:
    """A map looks like its picture when it is the picture's brightness again (correlated)
    with its fine detail kept (not visibly blurred)."""
    shown = _as_shown(to_uint8(apply_bank_filter(picture, flt, layer), mapping, colormap=cmap))
    h, w = shown.shape
    # "valid" maps are smaller by the kernel's border: line the picture up with their centres.
    seen = _as_shown(to_uint8(picture, "clip"))
    dy, dx = (seen.shape[0] - h) // 2, (seen.shape[1] - w) // 2
    seen = seen[dy : dy + h, dx : dx + w]
    same = np.corrcoef(seen.ravel(), shown.ravel())[0, 1] > 0.5
    sharp = _detail(shown) > 0.6 * _detail(seen)
    return bool(same and sharp)


def test_the_starter_maps_differ_at_a_glance_and_none_is_the_picture_again():
    picture = load_sample("photo")
    bank = default_bank()
    display = default_display(bank)
    names = [f.name for f in bank.filters]
    assert len(set(names)) == 4
    for f in bank.filters:
        mapping, cmap, _ = display.for_uid(f.uid)
        assert not _looks_like_the_picture(picture, f, bank.layer, mapping, cmap), f.name
        assert FINDS.get(f.name), f.name  # each says what it finds


def test_the_old_starter_maps_looked_like_the_picture():
    """The check above can fail: the former starters drew the picture again."""
    picture = load_sample("photo")
    layer = default_bank().layer
    for name in ("vertical_line", "horizontal_line", "gaussian_blur"):
        f = Filter(name, get_preset(name).kernel)
        assert _looks_like_the_picture(picture, f, layer, "minmax", None), name


def test_edges_across_and_down_are_both_there():
    kernels = [f.kernel for f in default_bank().filters]
    for preset in ("sobel_y", "sobel_x"):
        assert any(np.array_equal(k, get_preset(preset).kernel) for k in kernels), preset


@pytest.mark.parametrize(
    ("name", "mapping"),
    [("sobel_x", "abs"), ("outline", "abs"), ("laplacian", "abs"), ("gaussian_blur", None),
     ("emboss", None), ("identity", None)],
)  # fmt: skip
def test_signed_zero_sum_kernels_are_shown_as_edge_strength(name, mapping):
    assert suggested_mapping(get_preset(name).kernel) == mapping


def test_the_starter_display_names_only_the_signed_filters():
    bank = default_bank()
    display = default_display(bank)
    for f in bank.filters:
        mapping, _cmap, overridden = display.for_uid(f.uid)
        signed = f.kernel.min() < 0 < f.kernel.max()
        assert overridden == signed and (mapping == "abs") == signed, f.name
