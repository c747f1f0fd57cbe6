"""The hover arithmetic panel: readable sums for gray, colour and depth cells."""

from __future__ import annotations

import numpy as np

from filterstudio.core.lesson import cell_breakdown
from filterstudio.gui.widgets import ArithmeticWidget
from filterstudio.model.bank import Filter, Layer


def make(qtbot) -> ArithmeticWidget:
    w = ArithmeticWidget()
    qtbot.addWidget(w)
    return w


def test_hint_without_breakdown(qtbot):
    w = make(qtbot)
    assert "Point at a feature-map cell" in w.plain_text()


def test_gray_cell_shows_terms_sum_bias_activation(qtbot):
    w = make(qtbot)
    img = np.zeros((8, 8), np.float32)
    img[:, 3:5] = 1
    bd = cell_breakdown(
        img, Filter("l", [[0, 1, 0]] * 3, bias=-1, activation="relu"), Layer(), 0, 2
    )
    w.show_breakdown(bd)
    text = w.plain_text()
    assert "Feature-map cell at row 0, column 2" in text
    assert "1 × 1" in text.replace("\xa0", " ")
    assert "sum = 3" in text
    assert "3 + bias -1 = 2" in text
    assert "ReLU(2) = 2" in text
    assert "value = 2" in text
    assert "pad" not in text


def test_padded_taps_are_marked(qtbot):
    w = make(qtbot)
    bd = cell_breakdown(
        np.ones((4, 4), np.float32), Filter("k", np.ones((3, 3))), Layer(padding=1), 0, 0
    )
    w.show_breakdown(bd)
    assert w.plain_text().count("pad") >= 5
    assert "font-style:italic" in w.html()


def test_colour_shows_one_block_per_channel(qtbot):
    w = make(qtbot)
    rgb = np.random.default_rng(0).random((5, 5, 3)).astype(np.float32)
    w.show_breakdown(cell_breakdown(rgb, Filter("k", np.ones((3, 3))), Layer(), 1, 1), precision=2)
    text = w.plain_text()
    for name in ("Red channel", "Green channel", "Blue channel"):
        assert name in text


def test_depth_shows_partial_sums_then_total(qtbot):
    w = make(qtbot)
    rgb = np.ones((5, 5, 3), np.float32)
    bd = cell_breakdown(rgb, Filter("k", np.ones((3, 3, 3))), Layer(channel_mode="depth"), 0, 0)
    w.show_breakdown(bd)
    text = w.plain_text()
    assert text.index("Red") < text.index("Green") < text.index("Blue") < text.index("total")
    assert "total over channels = 9 + 9 + 9 = 27" in text


def test_seven_by_seven_is_a_grid_of_products(qtbot):
    w = make(qtbot)
    img = np.full((9, 9), 0.5, np.float32)
    bd = cell_breakdown(img, Filter("k", np.full((7, 7), 2.0)), Layer(), 0, 0)
    w.show_breakdown(bd)
    text = w.plain_text()
    assert "Each cell: input × weight" in text
    assert "×" not in text.split("(the product).")[1]
    assert w.html().count("<tr>") == 7
    assert "sum = 49" in text


def test_input_pixel(qtbot):
    w = make(qtbot)
    w.show_input_pixel(2, 3, 0.25)
    assert "row 2, column 3" in w.plain_text() and "0.25" in w.plain_text()
    w.show_input_pixel(0, 1, [0.1, 0.2, 0.3])
    assert "red 0.1, green 0.2, blue 0.3" in w.plain_text()
    w.clear()
    assert "Point at" in w.plain_text()


def _breaks_inside_a_number(browser) -> list[str]:
    """Every place where the laid-out text wraps between two characters of one number."""
    doc = browser.document()
    found = []
    block = doc.begin()
    while block.isValid():
        layout, text = block.layout(), block.text()
        for n in range(1, layout.lineCount()):
            start = layout.lineAt(n).textStart()
            before, after = text[start - 1 : start], text[start : start + 1]
            if before and after and (before + after).replace(".", "0").replace("/", "0").isdigit():
                found.append(text[max(0, start - 6) : start + 6])
        block = block.next()
    return found


def test_numbers_never_break_across_lines(qtbot):
    """A narrow panel wraps between terms, never inside "0.0625" (it showed "0." / "062")."""
    w = make(qtbot)
    w.resize(300, 600)
    w.show()
    qtbot.waitExposed(w)
    rgb = np.random.default_rng(1).random((9, 9, 3)).astype(np.float32)
    gauss = np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], np.float32) / 16
    w.show_breakdown(cell_breakdown(rgb, Filter("g", gauss), Layer(), 3, 3), precision=3)
    browser = w.browser()
    browser.document().setTextWidth(browser.viewport().width())
    assert "0.0625" in w.plain_text()
    assert _breaks_inside_a_number(browser) == []


def test_the_filter_is_named(qtbot):
    w = make(qtbot)
    bd = cell_breakdown(np.ones((4, 4), np.float32), Filter("k", np.ones((3, 3))), Layer(), 1, 0)
    w.show_breakdown(bd, title="sobel_x", filter_index=2)
    text = w.plain_text()
    assert text.startswith("sobel_x (filter 3): map cell at row 1, column 0")


def test_sums_add_up_as_written(qtbot):
    w = make(qtbot)
    img = np.zeros((5, 5), np.float32)
    img[2, 2:] = 1
    gauss = np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], np.float32) / 16
    w.show_breakdown(cell_breakdown(img, Filter("g", gauss), Layer(), 1, 1), precision=2)
    text = w.plain_text().replace("\xa0", " ")
    assert "1 × 0.25" in text and "1 × 0.125" in text
    assert "sum = 0.375" in text
    photo = np.random.default_rng(2).random((5, 5)).astype(np.float32)
    w.show_breakdown(cell_breakdown(photo, Filter("g", gauss), Layer(), 1, 1), precision=2)
    assert "sum ≈ " in w.plain_text()
