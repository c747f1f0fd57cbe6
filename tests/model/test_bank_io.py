"""The bank's JSON form: exact round trips, a one-sentence error per damaged file, atomic saves."""

from __future__ import annotations

import json
import math
import os
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from json_paths import json_paths, replaced

from filterstudio.model import bank_io
from filterstudio.model.bank import Bank, Filter, Layer
from filterstudio.model.bank_io import (
    BankFormatError,
    bank_from_dict,
    bank_to_dict,
    dumps,
    load_bank,
    save_bank,
)


def content(bank: Bank) -> tuple:
    """What a file keeps of a bank: everything but the process-local filter uids."""
    return bank.layer, tuple((f.name, f.enabled, f.content_key()) for f in bank.filters)


def through_text(bank: Bank) -> Bank:
    return bank_from_dict(json.loads(dumps(bank_to_dict(bank))))


rng = np.random.default_rng(7)
BANKS = {
    "empty": Bank(),
    "sobel": Bank((Filter("sobel_x", [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]),)),
    "everything": Bank(
        (
            Filter("depth", rng.normal(size=(5, 5, 3)), bias=0.1, activation="relu"),
            Filter("off", rng.normal(size=(7, 7)), bias=-2.5, activation="abs", enabled=False),
            Filter("1-D", [[0.0, 1.0, 0.0]]),
            Filter("signed zero", [[-0.0, 0.0], [1e-45, -3.4028235e38]]),
            Filter("Kanten ∂", np.full((15, 15), 1 / 225)),
        ),
        Layer(stride=(2, 1), padding=(2, 3), border="wrap", cval=0.25, dilation=(1, 2),
              channel_mode="depth"),
    ),
    "named padding": Bank((Filter("x", [[1]]),), Layer(padding="same", border="symmetric")),
}


@pytest.mark.parametrize("name", BANKS)
def test_bank_round_trips_through_dict_and_text(name):
    bank = BANKS[name]
    assert content(bank_from_dict(bank_to_dict(bank))) == content(bank)
    assert content(through_text(bank)) == content(bank)


def test_json_form_is_the_documented_one():
    d = bank_to_dict(BANKS["sobel"])
    assert d == {
        "format": "filterstudio-bank",
        "version": 1,
        "layer": {"stride": [1, 1], "padding": "valid", "border": "constant", "cval": 0.0,
                  "dilation": [1, 1], "channel_mode": "color"},
        "filters": [{"name": "sobel_x", "kernel": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
                     "bias": 0.0, "activation": "none", "enabled": True}],
    }
    # Names, never positions in a list of choices.
    layer = bank_to_dict(BANKS["everything"])["layer"]
    assert layer["border"] == "wrap" and layer["channel_mode"] == "depth"
    assert layer["padding"] == [2, 3]
    assert bank_to_dict(BANKS["sobel"], header=False).keys() == {"layer", "filters"}


def test_kernel_values_are_written_short_and_read_back_exactly():
    bank = Bank((Filter("f", [[0.1, 1 / 3], [2.0, -0.0]]),))
    text = dumps(bank_to_dict(bank)).decode()
    assert "[[0.1, 0.33333334], [2, -0.0]]" in text
    assert content(through_text(bank)) == content(bank)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(width=32, allow_nan=False, allow_infinity=False), min_size=9,
                max_size=9))
def test_any_float32_kernel_round_trips_exactly(values):
    bank = Bank((Filter("f", np.array(values, dtype=np.float32).reshape(3, 3)),))
    assert content(through_text(bank)) == content(bank)


def test_documented_example_and_hand_written_minimum_load():
    example = json.loads("""{"format": "filterstudio-bank", "version": 1,
     "layer": {"stride": [1, 1], "padding": "valid", "border": "constant", "cval": 0.0,
               "dilation": [1, 1], "channel_mode": "color"},
     "filters": [{"name": "sobel_x", "kernel": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
                  "bias": 0.0, "activation": "none", "enabled": true}]}""")
    assert content(bank_from_dict(example)) == content(BANKS["sobel"])
    minimal = bank_from_dict({"filters": [{"kernel": [[1, 2], [3, 4]]}], "layer": {"stride": 2}})
    assert minimal.layer.stride == (2, 2) and minimal.filters[0].activation == "none"
    assert minimal.filters[0].name == "filter 1"


def test_loaded_filters_get_fresh_uids():
    bank = BANKS["everything"]
    again = bank_from_dict(bank_to_dict(bank))
    assert not {f.uid for f in bank.filters} & {f.uid for f in again.filters}


def _bank(**filter_fields) -> dict:
    f = {"name": "edges", "kernel": [[0, 1, 0], [0, 1, 0], [0, 1, 0]]}
    f.update(filter_fields)
    return {"format": "filterstudio-bank", "version": 1, "filters": [{"kernel": [[1]]}, f]}


def _layer(**fields) -> dict:
    return {"format": "filterstudio-bank", "version": 1, "filters": [], "layer": fields}


DAMAGED_DICTS = [
    ([1, 2], "A bank must be a JSON object, not a list."),
    ({"format": "filterstudio-bank", "version": 1}, "The bank has no list of filters."),
    ({"filters": "sobel"}, "The bank's filters must be a list, not 'sobel'."),
    ({"filters": [{"kernel": [[1]]}] * 50}, "A bank holds at most 16 filters; this one has 50."),
    ({"format": "photo"}, "This is not a Filter Studio bank (its format is 'photo')."),
    ({"version": 99, "filters": []},
     "This bank was saved by a newer Filter Studio (version 99); this one reads versions 1 and 2."),
    ({"version": "1", "filters": []}, "The bank's version must be a whole number, not '1'."),
    ({"version": 0, "filters": []},
     "This bank has version 0, which Filter Studio does not know; it reads versions 1 and 2."),
    (_bank(kernel="[[1, 2]]"), ("Filter 2 ('edges'): the kernel must be a list of rows, not "
                               "'[[1, 2]]'.")),
    (_bank(kernel=[[1, 2], [3]]), "Filter 2 ('edges'): the kernel rows have different lengths."),
    (_bank(kernel=[[1, 2], 3]), ("Filter 2 ('edges'): kernel row 2 must be a list of numbers, "
                                "not 3.")),
    (_bank(kernel=[]), "Filter 2 ('edges'): the kernel has no rows."),
    (_bank(kernel=[[]]), "Filter 2 ('edges'): the kernel has no columns."),
    (_bank(kernel=[[1, "2"]]), ("Filter 2 ('edges'): the kernel value at row 1, column 2 must be "
                               "a number, not '2'.")),
    (_bank(kernel=[[1, True]]), ("Filter 2 ('edges'): the kernel value at row 1, column 2 must "
                                "be a number, not true.")),
    (_bank(kernel=[[1, None]]), ("Filter 2 ('edges'): the kernel value at row 1, column 2 must "
                                "be a number, not null.")),
    (_bank(kernel=[[math.nan]]), ("Filter 2 ('edges'): the kernel value at row 1, column 1 is "
                                 "not a finite number.")),
    (_bank(kernel=[[1e39]]), ("Filter 2 ('edges'): the kernel value at row 1, column 1 is too "
                             "large for a 32-bit float.")),
    (_bank(kernel=[[10**400]]), ("Filter 2 ('edges'): the kernel value at row 1, column 1 is too "
                                "large.")),
    (_bank(kernel=[[0] * 100] * 100), ("Filter 2 ('edges'): the kernel has 100 rows; at most 15 "
                                      "are allowed.")),
    (_bank(kernel=[[0] * 100]), ("Filter 2 ('edges'): the kernel has 100 columns; at most 15 "
                                "are allowed.")),
    (_bank(kernel=[[[1, 2, 3], [1, 2]]]), ("Filter 2 ('edges'): every kernel cell must hold 3 "
                                          "channel values (row 1, column 2 does not).")),
    (_bank(kernel=[[[1] * 9]]), "Filter 2 ('edges'): a depth kernel has 1 to 4 channels, not 9."),
    (_bank(kernel=[[[]]]), "Filter 2 ('edges'): a depth kernel has 1 to 4 channels, not 0."),
    (_bank(bias="0.5"), "Filter 2 ('edges'): the bias must be a number, not '0.5'."),
    (_bank(bias=math.inf), "Filter 2 ('edges'): the bias is not a finite number."),
    (_bank(activation="tanh"), ("Filter 2 ('edges'): unknown activation 'tanh'; choose none, "
                               "relu or abs.")),
    (_bank(activation=1), ("Filter 2 ('edges'): the activation must be a name (none, relu or "
                          "abs), not 1.")),
    (_bank(enabled=1), "Filter 2 ('edges'): 'enabled' must be true or false, not 1."),
    (_bank(name=7), "Filter 2: the name must be text, not 7."),
    (_bank(name="x" * 10_000), ("Filter 2: the name has 10000 characters; at most 200 are "
                               "allowed.")),
    ({"filters": [{"kernel": [[1]]}, ["not", "a", "filter"]]},
     "Filter 2: expected an object with a name and a kernel, not a list."),
    ({"filters": [{"name": "edges"}]}, "Filter 1 ('edges'): the kernel is missing."),
    ({"filters": [], "layer": [1]}, "The layer settings must be an object, not a list."),
    (_layer(stride=0), "Layer: the stride must be at least 1."),
    (_layer(stride=[1, 2, 3]), ("Layer: the stride takes one whole number or a pair [rows, "
                               "columns].")),
    (_layer(stride=1.5), "Layer: the stride must be a whole number, not 1.5."),
    (_layer(stride=True), "Layer: the stride must be a whole number, not true."),
    (_layer(stride=10**6), "Layer: the stride may be at most 100, not 1000000."),
    (_layer(dilation=[1, -1]), "Layer: the dilation must be at least 1."),
    (_layer(padding="huge"), ("Layer: unknown padding 'huge'; use valid, same, full, a number or "
                             "a pair of numbers.")),
    (_layer(padding=-1), "Layer: the padding must be at least 0."),
    (_layer(padding=[1, 10**9]), "Layer: the padding may be at most 1000, not 1000000000."),
    (_layer(padding=None), ("Layer: the padding must be valid, same, full, a number or a pair of "
                           "numbers, not null.")),
    (_layer(border=7), ("Layer: the border must be a name (constant, edge, reflect, symmetric or "
                       "wrap), not 7.")),
    (_layer(border="mirror"), ("Layer: unknown border 'mirror'; choose constant, edge, reflect, "
                              "symmetric or wrap.")),
    (_layer(cval=math.nan), "Layer: the border value (cval) is not a finite number."),
    (_layer(channel_mode=2), ("Layer: the channel mode must be a name (color, gray or depth), "
                             "not 2.")),
    (_layer(channel_mode="rgb"), ("Layer: unknown channel mode 'rgb'; choose color, gray or "
                                 "depth.")),
]


@pytest.mark.parametrize(("data", "message"), DAMAGED_DICTS,
                         ids=[m[:50] for _, m in DAMAGED_DICTS])
def test_each_damaged_bank_says_what_and_where(data, message):
    with pytest.raises(BankFormatError) as info:
        bank_from_dict(data)
    assert str(info.value) == message


def test_whole_floats_are_accepted_where_whole_numbers_are_expected():
    bank = bank_from_dict(_layer(stride=[2.0, 1], padding=3.0))
    assert bank.layer.stride == (2, 1) and bank.layer.padding == (3, 3)


DAMAGED_FILES = [
    (b"{\"format\": \"filterstudio-bank\", ", ("bank.json is not valid JSON (line 1, column 33); "
                                             "the file may be damaged.")),
    (b"", "bank.json is not valid JSON (line 1, column 1); the file may be damaged."),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
     "bank.json is not a text file, so it cannot be a bank."),
    (b"[1, 2, 3]", "bank.json is not a Filter Studio bank (it holds a list, not an object)."),
    (b"{\"filters\": []}", "bank.json is not a Filter Studio bank (its format field is missing)."),
    (b"{\"format\": \"photoshop\"}", ("bank.json is not a Filter Studio bank (its format is "
                                     "'photoshop').")),
    (b"{\"format\": \"filterstudio-session\", \"version\": 1}",
     "bank.json is a Filter Studio session, not a bank; open it as a session."),
    (b"{\"format\": \"filterstudio-bank\", \"filters\": []}",
     "bank.json has no version number, so it cannot be read as a bank."),
    (b"{\"format\": \"filterstudio-bank\", \"version\": 3, \"filters\": []}",
     "This bank was saved by a newer Filter Studio (version 3); this one reads versions 1 and 2."),
    ((b"{\"format\": \"filterstudio-bank\", \"version\": 1, "
      b"\"filters\": [{\"name\": \"n\", \"kernel\": [[NaN, 1]]}]}"),
     "Filter 1 ('n'): the kernel value at row 1, column 1 is not a finite number."),
    (b"{\"format\": \"filterstudio-bank\", \"version\": 1, \"filters\": [{\"kernel\": [[1e999]]}]}",
     "Filter 1: the kernel value at row 1, column 1 is not a finite number."),
    (b"[" * 100_000 + b"]" * 100_000, "bank.json is nested too deeply to be a bank file."),
    (b"{\"format\": \"filterstudio-bank\", \"version\": " + b"9" * 5000 + b"}",
     "bank.json holds a value that cannot be read, so it is not a bank."),
]


@pytest.mark.parametrize(("raw", "message"), DAMAGED_FILES, ids=[m[:50] for _, m in DAMAGED_FILES])
def test_each_damaged_bank_file_says_what(tmp_path, raw, message):
    path = tmp_path / "bank.json"
    path.write_bytes(raw)
    with pytest.raises(BankFormatError) as info:
        load_bank(path)
    assert str(info.value) == message


def test_missing_file_folder_and_oversized_file(tmp_path, monkeypatch):
    with pytest.raises(BankFormatError, match=r"^The file nothing\.json was not found\.$"):
        load_bank(tmp_path / "nothing.json")
    with pytest.raises(BankFormatError, match=r"is a folder, not a bank file\.$"):
        load_bank(tmp_path)
    path = tmp_path / "big.json"
    save_bank(path, BANKS["everything"])
    monkeypatch.setattr(bank_io, "BANK_FILE", replace(bank_io.BANK_FILE, max_bytes=100))
    with pytest.raises(BankFormatError, match=r"^big\.json is \d+ MB; a bank file is at most"):
        load_bank(path)


def test_save_then_load_file(tmp_path):
    path = tmp_path / "bank.json"
    save_bank(path, BANKS["everything"])
    assert content(load_bank(path)) == content(BANKS["everything"])
    assert os.listdir(tmp_path) == ["bank.json"]
    assert path.read_bytes().endswith(b"}\n")


def test_refusing_to_overwrite_keeps_the_file(tmp_path):
    path = tmp_path / "bank.json"
    save_bank(path, BANKS["sobel"])
    before = path.read_bytes()
    with pytest.raises(BankFormatError, match=r"^bank\.json already exists; choose another name"):
        save_bank(path, BANKS["everything"], overwrite=False)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["bank.json"]


def test_a_failed_replace_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "bank.json"
    save_bank(path, BANKS["sobel"])
    before = path.read_bytes()

    def refuse(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(BankFormatError) as info:
        save_bank(path, BANKS["everything"])
    assert str(info.value) == "The bank could not be saved to bank.json: Permission denied."
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["bank.json"]


def test_atomic_file_gets_ordinary_permissions(tmp_path):
    path = tmp_path / "bank.json"
    save_bank(path, BANKS["sobel"])
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_save_into_a_missing_folder_is_one_sentence(tmp_path):
    with pytest.raises(BankFormatError, match=r"^The bank could not be saved to bank\.json: .+\.$"):
        save_bank(tmp_path / "no" / "bank.json", BANKS["sobel"])


# ----------------------------------------------------------------------------------------------
# Fuzzing: any JSON-ish value either loads as a valid bank or raises BankFormatError.

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats()
    | st.text(max_size=8) | st.sampled_from(["valid", "same", "relu", "depth", "wrap", "kernel"]),
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.sampled_from(["filters", "kernel", "name", "bias", "layer", "stride",
                                       "padding", "border", "format", "version", "enabled",
                                       "activation", "channel_mode", "cval", "dilation", "x"]),
                      children, max_size=6),
    max_leaves=20,
)


def _check_bank_or_error(value) -> None:
    try:
        bank = bank_from_dict(value)
    except BankFormatError as e:
        message = str(e)
        assert message.endswith(".") and "\n" not in message
        return
    assert isinstance(bank, Bank)
    assert content(bank_from_dict(bank_to_dict(bank))) == content(bank)


@settings(max_examples=100, deadline=None)
@given(json_values)
def test_fuzz_arbitrary_values(value):
    _check_bank_or_error(value)


VALID = bank_to_dict(BANKS["everything"])
VALID_PATHS = list(json_paths(VALID))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(VALID_PATHS), json_values)
def test_fuzz_one_damaged_field_in_a_valid_bank(path, new):
    _check_bank_or_error(replaced(VALID, path, new))
