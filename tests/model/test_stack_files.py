"""Stacks in bank files and sessions: version 1 for one stage, version 2 with later stages, and
every damaged version-2 file refused with one sentence."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from json_paths import json_paths, replaced

from filterstudio.model.bank import Bank, Filter, Layer
from filterstudio.model.bank_io import BankFormatError, dumps, load_bank, save_bank
from filterstudio.model.session import Session, SessionError, load_session, save_session
from filterstudio.model.session_types import DisplaySettings
from filterstudio.model.stack import PoolStage, Stack
from filterstudio.model.stack_io import load_stack, save_stack, stack_from_dict, stack_to_dict
from filterstudio.model.studio import DisplayState
from filterstudio.model.studio_file import StudioState, session_of, state_of

rng = np.random.default_rng(3)
BANK = Bank(
    (
        Filter("edges", rng.normal(size=(3, 3)), bias=0.5, activation="relu"),
        Filter("blur", np.full((5, 5), 0.04), enabled=False),
    ),
    Layer(padding="same", channel_mode="gray"),
)


def deep_stack() -> Stack:
    s = Stack.of(BANK).adding_stage("pool", mode="avg", size=3, stride=2, padding=1)
    s = s.adding_stage("conv", count=3, stride=2, border="reflect")
    second = Filter("second", rng.normal(size=(3, 3, 2)), bias=-1.25, activation="abs",
                    enabled=False)
    s = s.with_stage_filter(2, 1, second)
    return s


def content(stack: Stack) -> list:
    """What a file keeps of a stack: everything but the process-local uids."""
    out = []
    for s in stack.stages:
        if isinstance(s, PoolStage):
            out.append(("pool", s.mode, s.size, s.stride, s.padding))
        else:
            out.append((s.layer, tuple((f.name, f.enabled, f.content_key()) for f in s.filters)))
    return out


def test_a_one_stage_stack_is_written_as_a_version_1_bank_byte_for_byte(tmp_path):
    save_stack(tmp_path / "a.json", Stack.of(BANK))
    save_bank(tmp_path / "b.json", BANK)
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    assert json.loads((tmp_path / "a.json").read_text())["version"] == 1
    assert content(load_stack(tmp_path / "a.json")) == content(Stack.of(BANK))


def test_a_stack_round_trips_exactly_as_version_2(tmp_path):
    stack = deep_stack()
    save_stack(tmp_path / "s.json", stack)
    data = json.loads((tmp_path / "s.json").read_text())
    assert data["version"] == 2 and [s["kind"] for s in data["stages"]] == ["pool", "conv"]
    assert "channel_mode" not in data["stages"][1]["layer"]
    back = load_stack(tmp_path / "s.json")
    assert content(back) == content(stack)
    assert back.stages[2].layer.stride == (2, 2) and back.stages[2].layer.border == "reflect"


def test_a_version_1_file_opens_unchanged_and_ignores_stages():
    d = stack_to_dict(deep_stack())
    d["version"] = 1
    assert len(stack_from_dict(d)) == 1


def test_load_bank_refuses_a_stack_with_a_sentence(tmp_path):
    save_stack(tmp_path / "s.json", deep_stack())
    with pytest.raises(BankFormatError, match=r"^s\.json holds a stack of 3 stages, not one bank"):
        load_bank(tmp_path / "s.json")


def bad(change):
    d = stack_to_dict(deep_stack())
    change(d)
    return d


@pytest.mark.parametrize(
    "data, message",
    [
        (bad(lambda d: d.update(stages={})), "The later stages must be a list, not an object."),
        (bad(lambda d: d["stages"].append(7)), "Stage 4 must be an object, not 7."),
        (bad(lambda d: d["stages"][0].update(kind="dense")),
         "Stage 2 must say its kind, conv or pool, not 'dense'."),
        (bad(lambda d: d["stages"][0].update(size=0)), "Stage 2: the window must be at least 1."),
        (bad(lambda d: d["stages"][0].update(size=[3, 3], padding=2)),
         "Stage 2: the pooling padding may be at most half the window."),
        (bad(lambda d: d["stages"][0].update(mode="min")),
         "Stage 2: unknown pooling mode 'min'; choose max or avg."),
        (bad(lambda d: d["stages"][1].update(filters=[])),
         "Stage 3 is a conv stage and needs a list of filters."),
        (bad(lambda d: d["stages"][1]["filters"][0].update(kernel=[[[1, 2, 3]]])),
         "Stage 3 reads 2 maps, so each of its kernels needs depth 2; 'conv3 1' is 1x1x3."),
        (bad(lambda d: d["stages"][1]["filters"][0].update(kernel=[[[0] * 65]])),
         "Stage 3, filter 1 ('conv3 1'): a depth kernel has 1 to 64 channels, not 65."),
        (bad(lambda d: d["stages"][1]["layer"].update(stride=0)),
         "Stage 3, layer: the stride must be at least 1."),
        (bad(lambda d: d.update(stages=[{"kind": "pool"}] * 8)),
         "The stack has 9 stages; a stack holds at most 8."),
        (bad(lambda d: d.update(filters=[])), "Stage 2 reads no maps: stage 1 has none."),
    ],
)
def test_each_damaged_stack_says_what_and_where(data, message):
    with pytest.raises(BankFormatError) as info:
        stack_from_dict(data)
    assert str(info.value) == message


# ----------------------------------------------------------------------------------------------
# Fuzzing: a damaged version-2 file loads as a valid stack or is one BankFormatError.

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats()
    | st.text(max_size=6) | st.sampled_from(["conv", "pool", "max", "avg", "same", "relu"]),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(["kind", "mode", "size", "stride", "padding", "layer",
                                       "filters", "kernel", "stages", "x"]),
                      children, max_size=5),
    max_leaves=16,
)
VALID = stack_to_dict(Stack.of(BANK).adding_stage("pool").adding_stage("conv", count=2, size=1))
VALID_PATHS = list(json_paths(VALID))


def _stack_or_sentence(value) -> None:
    try:
        stack = stack_from_dict(value)
    except BankFormatError as e:
        assert str(e).endswith(".") and "\n" not in str(e)
        return
    assert content(stack_from_dict(json.loads(dumps(stack_to_dict(stack))))) == content(stack)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(VALID_PATHS), json_values)
def test_fuzz_one_damaged_field_of_a_stack(path, new):
    _stack_or_sentence(replaced(VALID, path, new))


@settings(max_examples=40, deadline=None)
@given(json_values)
def test_fuzz_arbitrary_stages(value):
    _stack_or_sentence({**VALID, "stages": value})


# ----------------------------------------------------------------------------------------------
# Sessions


def test_a_one_stage_session_stays_version_1(tmp_path):
    save_session(tmp_path / "s.fstudio", Session(bank=BANK))
    data = json.loads((tmp_path / "s.fstudio").read_text())
    assert data["version"] == 1 and "stages" not in data["bank"]
    assert "per_map" not in data["display"]


def test_a_stack_session_round_trips_with_later_maps_display(tmp_path):
    stack = deep_stack()
    key = stack.map_keys(2)[0]
    pooled = stack.map_keys(1)[1]
    display = DisplayState(
        per_filter=((stack.bank.filters[0].uid, "abs", None), (key, "diverging", "RdBu_r"),
                    (pooled, "clip", None))
    )
    session = session_of(StudioState(stack.bank, display, 1, (), stack=stack), None)
    assert dict(session.display.per_map) == {(2, 0): "diverging", (1, 1): "clip"}
    save_session(tmp_path / "s.fstudio", session)
    assert json.loads((tmp_path / "s.fstudio").read_text())["version"] == 2
    loaded = load_session(tmp_path / "s.fstudio").session
    assert content(loaded.stack) == content(stack)
    state = state_of(loaded)
    new_key = state.stack.map_keys(2)[0]
    assert state.display.for_uid(new_key) == ("diverging", "RdBu_r", True)
    assert state.display.for_uid(state.stack.map_keys(1)[1])[0] == "clip"
    assert state.display.for_uid(state.bank.filters[0].uid)[0] == "abs"
    assert state.selected == 1


@pytest.mark.parametrize(
    "per_map, message",
    [
        ({"9:0": "abs"}, "The per-map display settings name map 0 of stage 10, which the stack does not have."),
        ({"2:7": "abs"}, "The per-map display settings name map 7 of stage 3, which the stack does not have."),
        ({"x": "abs"}, 'The per-map display settings are keyed by stage and map position like "1:0", not \'x\'.'),
        ({"1:0": "loud"}, "Unknown mapping 'loud' of map 1:0; choose clip, minmax, abs, offset, diverging."),
    ],
)
def test_damaged_later_map_display_is_one_sentence(tmp_path, per_map, message):
    save_session(tmp_path / "s.fstudio", Session(stack=deep_stack()))
    data = json.loads((tmp_path / "s.fstudio").read_text())
    data["display"]["per_map"] = per_map
    (tmp_path / "s.fstudio").write_text(json.dumps(data))
    with pytest.raises(SessionError) as info:
        load_session(tmp_path / "s.fstudio")
    assert str(info.value) == message


def test_a_session_never_writes_display_for_a_map_the_stack_lacks(tmp_path):
    session = Session(stack=deep_stack(), display=DisplaySettings(per_map={(5, 0): "abs"}))
    with pytest.raises(SessionError, match="stage 6, which the stack does not have"):
        save_session(tmp_path / "s.fstudio", session)
    assert not list(tmp_path.iterdir())


SESSION = None


def _valid_session(tmp_path_factory) -> dict:
    global SESSION
    if SESSION is None:
        folder = tmp_path_factory.mktemp("v2")
        stack = Stack.of(BANK).adding_stage("pool").adding_stage("conv", count=2, size=1)
        session = Session(stack=stack, display=DisplaySettings(per_map={(2, 1): "abs"}))
        save_session(folder / "s.fstudio", session)
        SESSION = json.loads((folder / "s.fstudio").read_text())
    return SESSION


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data(), json_values)
def test_fuzz_a_damaged_version_2_session_is_one_session_error(tmp_path_factory, data, new):
    valid = _valid_session(tmp_path_factory)
    paths = [p for p in json_paths(valid) if p[:1] in (("bank",), ("display",), ("version",))]
    path = data.draw(st.sampled_from(paths))
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "s.fstudio").write_text(json.dumps(replaced(valid, path, new)))
    try:
        load_session(folder / "s.fstudio")
    except SessionError as e:
        assert str(e).endswith(".") and "\n" not in str(e)


def test_a_version_2_file_without_later_stages_is_still_a_bank(tmp_path):
    d = stack_to_dict(Stack.of(BANK))
    d.update(version=2, stages=[])
    (tmp_path / "b.json").write_text(json.dumps(d))
    assert len(load_stack(tmp_path / "b.json")) == 1
    assert len(load_bank(tmp_path / "b.json").filters) == 2
