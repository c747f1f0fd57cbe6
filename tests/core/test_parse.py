"""Reading kernels from names, text and files, and the messages bad input gets."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from filterstudio.core.kernels import PRESETS, SOBEL_X, format_kernel
from filterstudio.core.parse import (
    KernelParseError,
    parse_cell_value,
    parse_kernel,
    parse_kernel_text,
    read_kernel,
)

SOBEL = [[1, 0, -1], [2, 0, -2], [1, 0, -1]]


@pytest.mark.parametrize(
    "text",
    [
        "1 0 -1; 2 0 -2; 1 0 -1",
        "1,0,-1;2,0,-2;1,0,-1",
        "1 0 -1\n2 0 -2\n1 0 -1\n",
        "1, 0, -1\r\n2, 0, -2\r\n1, 0, -1",
        "[[1,0,-1],[2,0,-2],[1,0,-1]]",
        "[[1, 0, -1],\n [2, 0, -2],\n [1, 0, -1]]",
        "[[ 1.  0. -1.]\n [ 2.  0. -2.]\n [ 1.  0. -1.]]",  # numpy's printed form
        "  1\t0\t-1 ;2 0 -2;1 0 -1;  ",
        "# a Sobel kernel\n1 0 -1  # top\n2 0 -2\n1 0 \u22121",
        "+1 0 -1; 2. 0 -2.0; 1e0 0 -1E0",
    ],
)
def test_literal_forms(text):
    k = parse_kernel(text)
    assert k.dtype == np.float32
    np.testing.assert_array_equal(k, SOBEL)


def test_fractions_and_scientific_notation():
    k = parse_kernel("1/16 2/16 1/16; -1/8 .5 -0.5; 2e-3 -2E+1 3/-4")
    np.testing.assert_array_equal(
        k, np.array([[1 / 16, 2 / 16, 1 / 16], [-1 / 8, 0.5, -0.5], [2e-3, -20, -0.75]], np.float32)
    )


def test_one_row_and_one_value():
    assert parse_kernel("0 1 0").shape == (1, 3)
    assert parse_kernel("[0, 1, 0]").shape == (1, 3)
    assert parse_kernel("5").tolist() == [[5.0]]


def test_preset_names():
    np.testing.assert_array_equal(parse_kernel("sobel_x"), SOBEL_X)
    np.testing.assert_array_equal(parse_kernel("Sobel X"), SOBEL_X)
    k = parse_kernel("sobel_x")
    k[0, 0] = 5  # a fresh copy, so the preset is untouched
    assert PRESETS["sobel_x"].kernel[0, 0] == -1
    assert read_kernel("gaussian").name == "gaussian_blur"


def test_misspelt_preset_names_the_closest():
    with pytest.raises(
        KernelParseError, match=r"no preset called 'sobelx'; the closest is 'sobel_x'\."
    ):
        parse_kernel("sobelx")


def test_arrays_and_lists():
    np.testing.assert_array_equal(parse_kernel(np.array(SOBEL)), SOBEL)
    np.testing.assert_array_equal(parse_kernel(SOBEL), SOBEL)
    assert parse_kernel(np.ones((3, 3, 3))).shape == (3, 3, 3)


def test_depth_text_with_blank_lines_between_channels():
    k = parse_kernel_text("1 0\n0 1\n\n2 2\n2 2\n\n0 0\n0 0")
    assert k.shape == (2, 2, 3)
    np.testing.assert_array_equal(k[:, :, 1], [[2, 2], [2, 2]])


def test_single_rows_between_blank_lines_are_still_2d():
    assert parse_kernel_text("1 2 3\n\n4 5 6\n\n7 8 9").shape == (3, 3)


def test_depth_with_channel_headers():
    k = parse_kernel_text("# channel 1\n1 2 3\n# channel 2\n4 5 6")
    assert k.shape == (1, 3, 2)
    np.testing.assert_array_equal(k[0, :, 1], [4, 5, 6])
    assert parse_kernel_text("# Channel 1:\n1 2\n3 4").shape == (2, 2, 1)


def test_nested_depth_brackets_are_kh_kw_c():
    k = parse_kernel("[[[1, 2], [3, 4]], [[5, 6], [7, 8]]]")
    assert k.shape == (2, 2, 2)
    assert k[0, 1, 0] == 3 and k[1, 0, 1] == 6


# Bad input: one sentence that says what and where ------------------------------------------


@pytest.mark.parametrize(
    "text, message",
    [
        ("1 2 3; 4 5", "Row 2 has 2 values but row 1 has 3."),
        ("1 2 3\n4 5 6\n7", "Row 3 has 1 value but row 1 has 3."),
        ("1 abc 3", "'abc' in row 1, column 2 is not a number."),
        ("1 2; 3 x", "'x' in row 2, column 2 is not a number."),
        ("1 nan", "'nan' in row 1, column 2 is not a finite number."),
        ("1 -inf", "'-inf' in row 1, column 2 is not a finite number."),
        ("1 1e999", "'1e999' in row 1, column 2 is too large to store."),
        ("1 1e39", "'1e39' in row 1, column 2 is too large to store."),
        ("1/0 1", "'1/0' in row 1, column 1 divides by zero."),
        ("1/2/3", "'1/2/3' in row 1, column 1 is not a number."),
        ("1_000", "'1_000' in row 1, column 1 is not a number."),
        ("", "The kernel text is empty."),
        ("   \n ;; ", "The kernel text is empty."),
        ("# only a comment", "The kernel text is empty."),
        ("[]", "The kernel has no values."),
        ("[[]]", "The kernel has no values."),
        ("[[1, 2], [3]]", "Row 2 has 1 value but row 1 has 2."),
        ("[[1, 2], 3]", "Some rows of the kernel are lists and some are single numbers."),
        ("[[1, 2]", "A '[' in the kernel text has no matching ']'."),
        ("[[1, 2]]]", "A ']' in the kernel text has no matching '['."),
        ("1 0\n0 1\n\n1 0 0\n0 1 0", "Channel 2 is 2x3 but channel 1 is 2x2."),
        ("1 2\n3 4\n\n1 2\n3 z", "'z' in channel 2, row 2, column 2 is not a number."),
    ],
)
def test_bad_text_messages(text, message):
    with pytest.raises(KernelParseError) as info:
        parse_kernel_text(text)
    assert str(info.value) == message


def test_too_large_kernel():
    text = "\n".join(" ".join(["1"] * 17) for _ in range(17))
    with pytest.raises(
        KernelParseError, match=r"^The kernel is 17x17; the largest allowed is 15x15\.$"
    ):
        parse_kernel(text)
    assert parse_kernel("\n".join(" ".join(["1"] * 15) for _ in range(15))).shape == (15, 15)


def test_too_many_channels():
    with pytest.raises(KernelParseError, match="1 to 4 channels; this one has 5"):
        parse_kernel(np.zeros((3, 3, 5)))


def test_errors_are_value_errors_and_one_sentence():
    with pytest.raises(ValueError) as info:
        parse_kernel("1 2; 3")
    msg = str(info.value)
    assert msg.endswith(".") and "\n" not in msg


def test_non_finite_array():
    with pytest.raises(KernelParseError, match=r"row 1, column 2 is not a finite number"):
        parse_kernel(np.array([[0, np.nan]]))


def test_wrong_types():
    with pytest.raises(KernelParseError, match="not int"):
        parse_kernel(3)
    with pytest.raises(KernelParseError, match="not a number"):
        parse_kernel([[1, "a"]])
    with pytest.raises(KernelParseError, match="not a number"):
        parse_kernel([[1, True]])


# Cells -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, value",
    [
        ("1/16", 0.0625),
        ("-0.5", -0.5),
        ("2e-3", float(np.float32(2e-3))),
        (" 7 ", 7.0),
        ("-1/8", -0.125),
        ("\u22122", -2.0),
        (".25", 0.25),
    ],
)
def test_cell_values(text, value):
    assert parse_cell_value(text) == value


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("", "empty"),
        ("  ", "empty"),
        ("nan", "not a finite number"),
        ("inf", "not a finite number"),
        ("abc", "'abc' in this cell is not a number."),
        ("1/0", "divides by zero"),
        ("1e50", "too large"),
        ("1 2", "not a number"),
    ],
)
def test_bad_cell_values(text, fragment):
    with pytest.raises(KernelParseError, match=fragment):
        parse_cell_value(text)


# Files -------------------------------------------------------------------------------------


def test_txt_file(tmp_path):
    path = tmp_path / "edge.txt"
    path.write_text("# vertical edges\n1 0 -1\n2 0 -2\n1 0 -1\n", encoding="utf-8")
    np.testing.assert_array_equal(parse_kernel(path), SOBEL)
    np.testing.assert_array_equal(parse_kernel(str(path)), SOBEL)
    assert read_kernel(path).name == "edge"


def test_txt_file_error_says_which_file(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("1 2 3\n4 5\n", encoding="utf-8")
    with pytest.raises(KernelParseError) as info:
        parse_kernel(path)
    assert str(info.value) == "Row 2 has 2 values but row 1 has 3 (in bad.txt)."


def test_binary_txt_file(tmp_path):
    path = tmp_path / "bin.txt"
    path.write_bytes(b"\xff\xfe\x00\x81garbage")
    with pytest.raises(KernelParseError, match=r"bin\.txt is not a text file\."):
        parse_kernel(path)


def test_missing_file(tmp_path):
    with pytest.raises(KernelParseError, match="There is no kernel file"):
        parse_kernel(str(tmp_path / "nope.txt"))
    with pytest.raises(KernelParseError, match="There is no kernel file"):
        parse_kernel("nope.npy")


def test_folder_is_not_a_kernel(tmp_path):
    folder = tmp_path / "k.json"
    folder.mkdir()
    with pytest.raises(KernelParseError, match="is a folder"):
        parse_kernel(folder)


def test_npy_files(tmp_path):
    p2 = tmp_path / "k.npy"
    np.save(p2, np.array(SOBEL, dtype=np.float64))
    k = parse_kernel(p2)
    assert k.dtype == np.float32
    np.testing.assert_array_equal(k, SOBEL)
    p3 = tmp_path / "d.npy"
    np.save(p3, np.ones((5, 5, 3), dtype=np.int16))
    assert parse_kernel(p3).shape == (5, 5, 3)


@pytest.mark.parametrize(
    "array, fragment",
    [
        (np.zeros((16, 3)), "The kernel is 16x3; the largest allowed is 15x15 (in bad.npy)."),
        (np.zeros((0, 3)), "The kernel has no values (in bad.npy)."),
        (np.array([[1.0, np.inf]]), "not a finite number"),
        (np.zeros((2, 2, 2, 2)), "4 dimensions"),
        (np.array([["a"]]), "not real numbers"),
        (np.zeros((2, 2), dtype=complex), "not real numbers"),
    ],
)
def test_bad_npy_files(tmp_path, array, fragment):
    path = tmp_path / "bad.npy"
    np.save(path, array)
    with pytest.raises(KernelParseError) as info:
        parse_kernel(path)
    assert fragment in str(info.value)


def test_corrupt_npy_and_pickles_are_refused(tmp_path):
    path = tmp_path / "junk.npy"
    path.write_bytes(b"not numpy at all")
    with pytest.raises(KernelParseError, match=r"junk\.npy is not a readable NumPy \.npy file\."):
        parse_kernel(path)
    obj = tmp_path / "obj.npy"
    np.save(obj, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(KernelParseError):
        parse_kernel(obj)


def test_json_nested_list(tmp_path):
    path = tmp_path / "k.json"
    path.write_text(json.dumps(SOBEL), encoding="utf-8")
    np.testing.assert_array_equal(parse_kernel(path), SOBEL)


def _bank(filters):
    return {
        "format": "filterstudio-bank",
        "version": 1,
        "layer": {
            "stride": [1, 1],
            "padding": "valid",
            "border": "constant",
            "cval": 0.0,
            "dilation": [1, 1],
            "channel_mode": "color",
        },
        "filters": filters,
    }


def test_json_bank_takes_the_first_filter(tmp_path):
    path = tmp_path / "bank.json"
    filters = [
        {"name": "sobel_x", "kernel": SOBEL, "bias": 0.0, "activation": "none", "enabled": True},
        {
            "name": "blur",
            "kernel": [[1, 1], [1, 1]],
            "bias": 0.0,
            "activation": "none",
            "enabled": True,
        },
    ]
    path.write_text(json.dumps(_bank(filters)), encoding="utf-8")
    parsed = read_kernel(path)
    np.testing.assert_array_equal(parsed.kernel, SOBEL)
    assert parsed.name == "sobel_x"
    assert parsed.note == "bank.json holds 2 filters; this uses the first one 'sobel_x'."
    path.write_text(json.dumps(_bank(filters[:1])), encoding="utf-8")
    assert read_kernel(path).note is None


def test_json_bank_depth_kernel(tmp_path):
    path = tmp_path / "bank.json"
    depth = np.arange(27, dtype=np.float32).reshape(3, 3, 3)
    path.write_text(json.dumps(_bank([{"name": "d", "kernel": depth.tolist()}])), encoding="utf-8")
    np.testing.assert_array_equal(parse_kernel(path), depth)


@pytest.mark.parametrize(
    "content, fragment",
    [
        ("{not json", "is not valid JSON (line 1, column 2)."),
        (json.dumps(_bank([])), "The bank file bad.json has no filters."),
        (json.dumps({"hello": 1}), "neither a list of rows nor a Filter Studio bank file"),
        (json.dumps([[1, 2], [3]]), "Row 2 has 1 value but row 1 has 2 (in bad.json)."),
        (json.dumps([[1, None]]), "None in row 1, column 2 is not a number (in bad.json)."),
        (json.dumps(_bank([{"name": "x"}])), "The first filter in bad.json has no kernel."),
    ],
)
def test_bad_json_files(tmp_path, content, fragment):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(KernelParseError) as info:
        parse_kernel(path)
    assert fragment in str(info.value)


# Properties --------------------------------------------------------------------------------

finite32 = st.floats(width=32, allow_nan=False, allow_infinity=False)


@given(hnp.arrays(np.float32, st.tuples(st.integers(1, 15), st.integers(1, 15)), elements=finite32))
def test_round_trip_through_text(k):
    np.testing.assert_array_equal(parse_kernel_text(format_kernel(k)), k)


@given(hnp.arrays(np.float32, st.tuples(st.integers(1, 6), st.integers(1, 6)), elements=finite32))
def test_round_trip_through_brackets(k):
    np.testing.assert_array_equal(parse_kernel(json.dumps(k.tolist())), k)


_ALPHABET = "0123456789 .,;/-+eE[]\n\tabcnaif#\u2212()"


@settings(max_examples=400)
@given(st.one_of(st.text(alphabet=_ALPHABET, max_size=60), st.text(max_size=40)))
def test_arbitrary_text_parses_or_raises_kernel_parse_error(text):
    try:
        k = parse_kernel_text(text)
    except KernelParseError as err:
        msg = str(err)
        assert msg[0].isupper() or msg[0] in "'\""
        assert msg.endswith(".")
        return
    assert isinstance(k, np.ndarray) and k.dtype == np.float32
    assert k.ndim in (2, 3) and k.size > 0
    assert k.shape[0] <= 15 and k.shape[1] <= 15
    assert np.all(np.isfinite(k))
