"""Sizes are written one way (width × height, labelled) and a kernel that does not fit is
described truthfully: dilation is named only when it is set."""

from __future__ import annotations

import numpy as np
import pytest

from filterstudio.core.convolution import convolve
from filterstudio.core.lesson import build_lesson
from filterstudio.core.reference import convolve_reference
from filterstudio.core.samples import load_sample
from filterstudio.core.sizes import kernel_too_large, rows_columns, size_label, size_text
from filterstudio.model.bank import Filter, Layer


def test_width_comes_first_and_is_labelled():
    assert size_text(598, 798) == "798 × 598"
    assert size_label(598, 798) == "798 × 598 (w × h)"
    assert rows_columns(1, 5) == "1 row, 5 columns"


def test_no_dilation_is_blamed_when_there_is_none():
    text = kernel_too_large((3, 3), (1, 1), (1, 8))
    assert "dilation" not in text
    assert "does not fit" in text and "larger than the padded image (1 row, 8 columns)" in text


def test_dilation_is_named_with_its_spread():
    text = kernel_too_large((3, 3), (2, 2), (4, 8))
    assert "spread to 5 rows, 5 columns by dilation 2" in text
    assert "smaller kernel or dilation" in text
    assert "2 down, 1 across" in kernel_too_large((3, 3), (2, 1), (4, 2))


def test_the_bump_lesson_does_not_blame_dilation():
    bump = load_sample("bump")
    with pytest.raises(ValueError) as err:
        build_lesson(bump, Filter("k", np.ones((3, 3), np.float32)), Layer())
    assert "dilation" not in str(err.value)
    assert "3 rows, 3 columns" in str(err.value)


@pytest.mark.parametrize("engine", [convolve, convolve_reference])
@pytest.mark.parametrize("dilation, named", [(1, False), (2, True)])
def test_every_engine_says_the_same(engine, dilation, named):
    with pytest.raises(ValueError) as err:
        engine(np.zeros((1, 8), np.float32), np.ones((3, 3), np.float32), dilation=dilation)
    assert ("dilation" in str(err.value)) is named
    assert "larger than the padded image" in str(err.value)
