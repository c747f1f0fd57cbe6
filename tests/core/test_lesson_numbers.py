"""Every sum a lesson writes adds up as written: weights exactly where they can be, a total
that is the exact sum of the written terms, and ``≈`` where a rounded number goes in."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from filterstudio.core import kernels
from filterstudio.core.lesson import build_lesson, cell_breakdown
from filterstudio.core.lesson_numbers import exact_decimals, number_form
from filterstudio.core.lesson_text import equation_lines, step_lines
from filterstudio.core.samples import load_sample
from filterstudio.model.bank import Filter, Layer


def _number(text: str) -> Fraction:
    return Fraction(text.strip().strip("()"))


def _sums(lines: list[str]) -> list[tuple[str, str, str]]:
    """``(left side, relation, right side)`` of every sum of products in ``lines``."""
    out, pending = [], ""
    for line in lines:
        body = line.split("→")[0].split(":", 1)[-1] if ":" in line.split("→")[0] else line
        body = body.split("→")[0]
        pending += " " + body.strip()
        for rel in (" = ", " ≈ "):
            if rel in pending:
                left, right = pending.split(rel, 1)
                if "×" in left:
                    out.append((left.strip().rstrip("+").strip(), rel.strip(), right.strip()))
                pending = ""
                break
    return out


def _check_adds_up(lines: list[str]) -> int:
    checked = 0
    for left, rel, right in _sums(lines):
        written = sum(
            (_number(a) * _number(b) for a, b in (t.split("×") for t in left.split(" + "))),
            Fraction(0),
        )
        if rel == "=":
            assert written == _number(right), (left, right)
            checked += 1
    return checked


@pytest.mark.parametrize(
    "preset", ["gaussian_blur", "gaussian_blur_5x5", "box_blur", "sobel_x", "sharpen"]
)
@pytest.mark.parametrize("sample", ["smiley", "vertical_line", "x"])
def test_every_written_sum_adds_up(sample, preset):
    plan = build_lesson(load_sample(sample), Filter("k", kernels.get_preset(preset).kernel),
                        Layer(padding="same"))  # fmt: skip
    checked = sum(_check_adds_up(step_lines(plan, k)) for k in range(plan.step_count))
    # 0/1 pictures: every number is exact, so every sum is written with "=".
    assert checked == plan.step_count


def test_the_gaussian_on_the_smiley_writes_its_weights_exactly():
    plan = build_lesson(load_sample("smiley"),
                        Filter("g", kernels.get_preset("gaussian_blur").kernel), Layer(stride=2))  # fmt: skip
    lines = step_lines(plan, 0)
    assert "1×0.125" in lines[1] and "1×0.0625" in lines[2]
    assert lines[2].endswith("= 0.1875  → map value 0.1875")


def test_a_rounded_value_is_owned_up_to():
    photo = load_sample("photo")[:40, :40]
    plan = build_lesson(photo, Filter("g", kernels.get_preset("gaussian_blur").kernel), Layer(),
                        max_side=8)  # fmt: skip
    lines = step_lines(plan, 0)
    assert any(" ≈ " in line for line in lines)
    assert not any(" = " in line for line in lines if "×" in line)


def test_bias_and_activation_add_up_too():
    plan = build_lesson(
        load_sample("smiley"),
        Filter("g", kernels.get_preset("gaussian_blur").kernel, bias=-0.25, activation="relu"),
        Layer(),
    )
    lines = step_lines(plan, 3)
    bias_line = next(line for line in lines if "bias" in line)
    total, rest = bias_line.split(" + bias ")
    bias, result = rest.split(" = ")
    assert _number(total) + _number(bias) == _number(result)


def test_fractions_when_no_short_decimal_is_exact():
    form = number_form([0, 1], kernels.get_preset("box_blur").kernel)
    assert form.weight(1 / 9).text == "1/9"
    assert exact_decimals([0.0625]) == 4 and exact_decimals([1 / 3]) is None


def test_hover_arithmetic_sums_add_up():
    rgb = np.random.default_rng(0).random((6, 6, 3)).astype(np.float32)
    rgb[:3] = 0.5
    bd = cell_breakdown(rgb, Filter("g", kernels.get_preset("gaussian_blur").kernel), Layer(),
                        0, 0)  # fmt: skip
    lines = equation_lines(bd.outputs[0])
    assert _check_adds_up(lines) + sum(rel == "≈" for _, rel, _ in _sums(lines)) >= 1
