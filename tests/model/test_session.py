"""Session files: round trips, image paths that survive a move, embedded images, damaged files."""

from __future__ import annotations

import base64
import io
import json
import os
import shutil

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from json_paths import json_paths, replaced
from PIL import Image

from filterstudio.model import session_picture as session_mod
from filterstudio.model.bank import Bank, Filter, Layer
from filterstudio.model.session import (
    CombinedMap,
    DisplaySettings,
    LoadedSession,
    Session,
    SessionError,
    decode_embedded_image,
    encode_png,
    load_session,
    save_session,
)


def content(bank: Bank) -> tuple:
    """What a file keeps of a bank: everything but the process-local filter uids."""
    return bank.layer, tuple((f.name, f.enabled, f.content_key()) for f in bank.filters)


def same_session(a: Session, b: Session) -> bool:
    return (
        a.image_path == b.image_path
        and a.embedded_png == b.embedded_png
        and a.sample == b.sample
        and content(a.bank) == content(b.bank)
        and a.display == b.display
        and a.selected == b.selected
        and a.combined == b.combined
    )


BANK = Bank(
    (
        Filter("sobel_x", [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]),
        Filter(
            "depth",
            np.arange(27, dtype=np.float32).reshape(3, 3, 3) / 10,
            bias=0.5,
            activation="relu",
            enabled=False,
        ),
        Filter("blur", np.full((5, 5), 0.04)),
    ),
    Layer(stride=(2, 2), padding=(1, 2), border="reflect", channel_mode="depth"),
)
DISPLAY = DisplaySettings(
    mapping="offset", colormap="viridis", per_filter={2: "diverging", 0: "abs"}
)


def _photo(path, shape=(12, 16)) -> str:
    Image.fromarray(np.zeros(shape, np.uint8)).save(path)
    return str(path)


COMBINED = (
    CombinedMap(0, 2, "magnitude"),
    CombinedMap(1, 1, "sum", mapping="diverging", colormap="coolwarm"),
    CombinedMap(2, 0, "maximum", mapping="abs"),
)


def test_save_then_load_gives_the_same_session(tmp_path):
    image = _photo(tmp_path / "photo.png")
    original = Session(image_path=image, bank=BANK, display=DISPLAY, selected=2, combined=COMBINED)
    save_session(tmp_path / "s.fstudio", original)
    loaded = load_session(tmp_path / "s.fstudio")
    assert isinstance(loaded, LoadedSession)
    assert same_session(loaded.session, original)
    assert loaded.image_abs_path == image
    assert loaded.messages == []
    assert sorted(os.listdir(tmp_path)) == ["photo.png", "s.fstudio"]


def test_file_has_the_documented_json_form(tmp_path):
    _photo(tmp_path / "photo.png")
    save_session(
        tmp_path / "s.fstudio",
        Session(image_path=str(tmp_path / "photo.png"), bank=BANK, display=DISPLAY),
    )
    data = json.loads((tmp_path / "s.fstudio").read_text("utf-8"))
    assert data["format"] == "filterstudio-session" and data["version"] == 1
    assert data["image"] == {"path": "photo.png", "embedded_png": None, "sample": None}
    assert "format" not in data["bank"] and data["bank"]["layer"]["border"] == "reflect"
    assert data["display"] == {
        "mapping": "offset",
        "colormap": "viridis",
        "per_filter": {"0": "abs", "2": "diverging"},
        "per_filter_colormap": {},
    }
    assert data["selected"] == 0
    assert data["combined"] == []


def test_combined_maps_are_saved_as_definitions_by_filter_position(tmp_path):
    save_session(tmp_path / "s.fstudio", Session(bank=BANK, combined=COMBINED[:2]))
    data = json.loads((tmp_path / "s.fstudio").read_text("utf-8"))
    assert data["combined"] == [
        {"a": 0, "b": 2, "op": "magnitude", "mapping": None, "colormap": None},
        {"a": 1, "b": 1, "op": "sum", "mapping": "diverging", "colormap": "coolwarm"},
    ]
    assert load_session(tmp_path / "s.fstudio").session.combined == COMBINED[:2]


def test_a_session_from_before_combined_maps_loads_without_them(tmp_path):
    save_session(tmp_path / "s.fstudio", Session(bank=BANK, combined=COMBINED))
    data = json.loads((tmp_path / "s.fstudio").read_text("utf-8"))
    del data["combined"]
    (tmp_path / "s.fstudio").write_text(json.dumps(data), "utf-8")
    loaded = load_session(tmp_path / "s.fstudio")
    assert loaded.session.combined == () and loaded.messages == []
    data["combined"] = None
    (tmp_path / "s.fstudio").write_text(json.dumps(data), "utf-8")
    assert load_session(tmp_path / "s.fstudio").session.combined == ()


def test_a_combined_map_of_a_filter_the_bank_lacks_is_not_saved(tmp_path):
    path = tmp_path / "s.fstudio"
    with pytest.raises(SessionError) as info:
        save_session(path, Session(bank=BANK, combined=(CombinedMap(0, 3, "sum"),)))
    assert str(info.value) == "Combined map 1 names filter position 3, but the bank has 3 filters."
    assert not path.exists()


def test_combined_map_definitions_refuse_unknown_ways_and_mappings():
    with pytest.raises(ValueError, match=r"^Unknown way to combine maps 'mean'"):
        CombinedMap(0, 1, "mean")
    with pytest.raises(ValueError, match=r"^Unknown mapping 'log'"):
        CombinedMap(0, 1, "sum", mapping="log")
    with pytest.raises(ValueError, match=r"position, 0 or more\.$"):
        CombinedMap(-1, 1, "sum")


def test_an_unknown_colour_map_of_a_combined_map_is_a_message(tmp_path):
    save_session(tmp_path / "s.fstudio", Session(bank=BANK, combined=COMBINED[1:2]))
    data = json.loads((tmp_path / "s.fstudio").read_text("utf-8"))
    data["combined"][0]["colormap"] = "rainbow9000"
    (tmp_path / "s.fstudio").write_text(json.dumps(data), "utf-8")
    loaded = load_session(tmp_path / "s.fstudio")
    assert loaded.session.combined == (CombinedMap(1, 1, "sum", mapping="diverging"),)
    assert loaded.messages == [
        "The colour map 'rainbow9000' of combined map 1 is not known here; the default is used "
        "instead."
    ]


def test_moving_the_session_with_its_image_keeps_the_link(tmp_path):
    (tmp_path / "a" / "pictures").mkdir(parents=True)
    image = _photo(tmp_path / "a" / "pictures" / "photo.png")
    save_session(tmp_path / "a" / "s.fstudio", Session(image_path=image, bank=BANK))
    stored = json.loads((tmp_path / "a" / "s.fstudio").read_text("utf-8"))["image"]["path"]
    assert stored == "pictures/photo.png"  # relative, with forward slashes on every system
    shutil.move(str(tmp_path / "a"), str(tmp_path / "b"))
    loaded = load_session(tmp_path / "b" / "s.fstudio")
    expected = str(tmp_path / "b" / "pictures" / "photo.png")
    assert loaded.image_abs_path == expected == loaded.session.image_path
    assert loaded.messages == []


def test_an_image_outside_the_folder_is_stored_absolute(tmp_path):
    (tmp_path / "sessions").mkdir()
    (tmp_path / "images").mkdir()
    image = _photo(tmp_path / "images" / "photo.png")
    save_session(tmp_path / "sessions" / "s.fstudio", Session(image_path=image, bank=BANK))
    stored = json.loads((tmp_path / "sessions" / "s.fstudio").read_text("utf-8"))["image"]["path"]
    assert stored == image
    (tmp_path / "elsewhere").mkdir()
    shutil.move(str(tmp_path / "sessions" / "s.fstudio"), str(tmp_path / "elsewhere"))
    assert load_session(tmp_path / "elsewhere" / "s.fstudio").image_abs_path == image


def test_an_image_sent_along_is_found_next_to_the_session(tmp_path):
    (tmp_path / "a" / "pictures").mkdir(parents=True)
    image = _photo(tmp_path / "a" / "pictures" / "photo.png")
    save_session(tmp_path / "a" / "s.fstudio", Session(image_path=image, bank=BANK))
    (tmp_path / "inbox").mkdir()
    shutil.copy(tmp_path / "a" / "s.fstudio", tmp_path / "inbox")
    shutil.copy(image, tmp_path / "inbox")
    loaded = load_session(tmp_path / "inbox" / "s.fstudio")
    assert loaded.image_abs_path == str(tmp_path / "inbox" / "photo.png")


def test_a_missing_image_is_a_message_not_an_error(tmp_path):
    image = _photo(tmp_path / "photo.png")
    save_session(tmp_path / "s.fstudio", Session(image_path=image, bank=BANK, selected=1))
    os.remove(image)
    loaded = load_session(tmp_path / "s.fstudio")
    assert loaded.image_abs_path is None
    assert loaded.session.image_path == image  # kept, so saving again does not lose it
    assert content(loaded.session.bank) == content(BANK)
    assert loaded.messages == ["The image photo.png was not found; the filters loaded without it."]


def test_a_missing_image_with_an_embedded_copy_says_the_copy_is_used(tmp_path):
    image = _photo(tmp_path / "photo.png")
    pixels = np.linspace(0, 1, 12 * 16, dtype=np.float32).reshape(12, 16)
    save_session(
        tmp_path / "s.fstudio",
        Session(image_path=image, bank=BANK),
        embed_image=True,
        image_array=pixels,
    )
    os.remove(image)
    loaded = load_session(tmp_path / "s.fstudio")
    assert loaded.messages == [
        ("The image photo.png was not found; the copy saved inside the session is used.")
    ]
    assert decode_embedded_image(loaded.session).shape == (12, 16)


def test_sample_and_no_image(tmp_path):
    original = Session(sample="lesson_line", bank=BANK)
    save_session(tmp_path / "s.fstudio", original)
    loaded = load_session(tmp_path / "s.fstudio")
    assert same_session(loaded.session, original) and loaded.image_abs_path is None
    assert loaded.messages == []


def test_embedded_grey_image_is_exact_to_16_bits(tmp_path):
    rng = np.random.default_rng(1)
    pixels = rng.random((20, 30), dtype=np.float32)
    pixels[0, :3] = [-0.5, 1.5, np.nan]  # clipped, NaN becomes 0
    save_session(tmp_path / "s.fstudio", Session(bank=BANK), embed_image=True, image_array=pixels)
    decoded = decode_embedded_image(load_session(tmp_path / "s.fstudio").session)
    assert decoded.dtype == np.float32 and decoded.shape == (20, 30)
    clean = np.clip(np.nan_to_num(pixels.astype(np.float64)), 0, 1)
    expected = (np.round(clean * 65535) / 65535).astype(np.float32)
    np.testing.assert_array_equal(decoded, expected)
    assert np.abs(decoded - clean).max() <= 0.5 / 65535 + 1e-7


def test_embedded_colour_image_is_exact_to_8_bits(tmp_path):
    rng = np.random.default_rng(2)
    pixels = rng.random((9, 11, 3), dtype=np.float32)
    save_session(tmp_path / "s.fstudio", Session(bank=BANK), embed_image=True, image_array=pixels)
    session = load_session(tmp_path / "s.fstudio").session
    decoded = decode_embedded_image(session)
    assert decoded.shape == (9, 11, 3) and decoded.dtype == np.float32
    expected = np.round(pixels.astype(np.float64) * 255).astype(np.uint8).astype(np.float32) / 255
    np.testing.assert_array_equal(decoded, expected)
    # Saving again without a new array keeps the embedded copy as it is.
    save_session(tmp_path / "t.fstudio", session)
    assert load_session(tmp_path / "t.fstudio").session.embedded_png == session.embedded_png


@pytest.mark.parametrize(
    ("mode", "data", "expected"),
    [
        ("L", np.array([[0, 51, 255]], np.uint8), np.array([[0, 0.2, 1]], np.float32)),
        ("RGBA", np.array([[[255, 0, 51, 0]]], np.uint8), np.array([[[1, 0, 0.2]]], np.float32)),
    ],
)
def test_embedded_pngs_from_elsewhere_follow_the_pixel_rules(mode, data, expected):
    buf = io.BytesIO()
    Image.fromarray(data, mode=mode).save(buf, format="PNG")
    decoded = decode_embedded_image(Session(embedded_png=buf.getvalue()))
    np.testing.assert_allclose(decoded, expected, rtol=0, atol=1e-7)


def test_a_palette_png_becomes_rgb():
    img = Image.new("P", (2, 1))
    img.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    img.putpixel((1, 0), 1)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    decoded = decode_embedded_image(Session(embedded_png=buf.getvalue()))
    np.testing.assert_array_equal(decoded, [[[1, 0, 0], [0, 0, 1]]])


def test_embedding_needs_an_image_and_refuses_bad_arrays(tmp_path):
    with pytest.raises(SessionError, match=r"^There is no image to save inside the session\.$"):
        save_session(tmp_path / "s.fstudio", Session(bank=BANK), embed_image=True)
    with pytest.raises(SessionError, match=r"^The image to embed must be a grey"):
        encode_png(np.zeros((2, 2, 5)))
    with pytest.raises(SessionError, match=r"^This session has no image saved inside it\.$"):
        decode_embedded_image(Session())
    assert not os.listdir(tmp_path)


def test_an_embedded_image_too_large_is_refused(tmp_path, monkeypatch):
    save_session(
        tmp_path / "s.fstudio", Session(bank=BANK), embed_image=True, image_array=np.zeros((20, 20))
    )
    monkeypatch.setattr(session_mod, "MAX_EMBEDDED_PIXELS", 100)
    with pytest.raises(SessionError) as info:
        load_session(tmp_path / "s.fstudio")
    assert str(info.value) == (
        "The image saved inside the session is 20x20, larger than an embedded image may be."
    )
    with pytest.raises(SessionError, match=r"^The image is too large to embed"):
        encode_png(np.zeros((20, 20)))


def test_a_session_file_over_200_mb_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.fstudio"
    with open(path, "wb") as f:
        f.truncate(201 * 1024 * 1024)  # sparse: no disk or time spent
    with pytest.raises(SessionError) as info:
        load_session(path)
    assert str(info.value) == "huge.fstudio is 201 MB; a session file is at most 200 MB."


def test_display_settings_take_a_mapping_or_pairs():
    a = DisplaySettings(per_filter={3: "abs", 1: "clip"})
    b = DisplaySettings(per_filter=((1, "clip"), (3, "abs")))
    assert a == b and a.per_filter == ((1, "clip"), (3, "abs"))
    assert a.mapping_for(3) == "abs" and a.mapping_for(0) == "minmax"
    with pytest.raises(ValueError, match="Unknown mapping"):
        DisplaySettings(mapping="log")


def test_an_unknown_colour_map_falls_back_to_grey_with_a_message(tmp_path):
    path = tmp_path / "s.fstudio"
    save_session(path, Session(bank=BANK))
    data = json.loads(path.read_text("utf-8"))
    data["display"]["colormap"] = "rainbow9000"
    path.write_text(json.dumps(data), "utf-8")
    loaded = load_session(path)
    assert loaded.session.display.colormap == "gray"
    assert loaded.messages == [
        ("The colour map 'rainbow9000' is not known here; grey is used instead.")
    ]


def test_a_failed_save_leaves_the_old_session_intact(tmp_path, monkeypatch):
    path = tmp_path / "s.fstudio"
    save_session(path, Session(bank=BANK))
    before = path.read_bytes()

    def refuse(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(SessionError) as info:
        save_session(path, Session(bank=Bank()))
    assert (
        str(info.value) == "The session could not be saved to s.fstudio: No space left on device."
    )
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["s.fstudio"]


def test_refusing_to_overwrite(tmp_path):
    path = tmp_path / "s.fstudio"
    save_session(path, Session(bank=BANK))
    with pytest.raises(SessionError, match=r"^s\.fstudio already exists"):
        save_session(path, Session(), overwrite=False)
    assert content(load_session(path).session.bank) == content(BANK)


# ----------------------------------------------------------------------------------------------
# Damaged files


def _valid() -> dict:
    png = encode_png(np.zeros((2, 2)))
    return {
        "format": "filterstudio-session",
        "version": 1,
        "image": {
            "path": "photo.png",
            "embedded_png": base64.b64encode(png).decode(),
            "sample": None,
        },
        "bank": {
            "layer": {"padding": "same"},
            "filters": [{"name": "a", "kernel": [[1]]}, {"name": "b", "kernel": [[2]]}],
        },
        "display": {"mapping": "minmax", "colormap": "gray", "per_filter": {"1": "abs"}},
        "selected": 1,
        "combined": [{"a": 0, "b": 1, "op": "magnitude", "mapping": "abs", "colormap": None}],
    }


def _with(path: tuple, value) -> bytes:
    data = _valid()
    target = data
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return json.dumps(data).encode()


_DELETE = object()
DAMAGED = [
    (
        b'{"format": "filterstudio-session", "vers',
        "s.fstudio is not valid JSON (line 1, column 36); the file may be damaged.",
    ),
    (b"[]", "s.fstudio is not a Filter Studio session (it holds a list, not an object)."),
    (b'"text"', "s.fstudio is not a Filter Studio session (it holds 'text', not an object)."),
    (_with(("format",), "png"), "s.fstudio is not a Filter Studio session (its format is 'png')."),
    (
        _with(("format",), _DELETE),
        "s.fstudio is not a Filter Studio session (its format field is missing).",
    ),
    (
        _with(("format",), "filterstudio-bank"),
        "s.fstudio is a filter bank, not a session; open it as a bank.",
    ),
    (
        _with(("version",), 99),
        "This session was saved by a newer Filter Studio (version 99); this one reads versions 1 and 2.",
    ),
    (
        _with(("version",), _DELETE),
        "s.fstudio has no version number, so it cannot be read as a session.",
    ),
    (_with(("version",), 1.0), "The session's version must be a whole number, not 1.0."),
    (_with(("bank",), _DELETE), "s.fstudio holds no filter bank."),
    (_with(("bank",), []), "A bank must be a JSON object, not a list."),
    (
        _with(("bank", "filters", 0, "kernel"), "[[1]]"),
        "Filter 1 ('a'): the kernel must be a list of rows, not '[[1]]'.",
    ),
    (
        _with(("bank", "filters", 1, "kernel"), [[1, 2], [3]]),
        "Filter 2 ('b'): the kernel rows have different lengths.",
    ),
    (
        _with(("bank", "filters", 0, "kernel"), [[0] * 100] * 100),
        "Filter 1 ('a'): the kernel has 100 rows; at most 15 are allowed.",
    ),
    (
        _with(("bank", "filters"), [{"kernel": [[1]]}] * 50),
        "A bank holds at most 16 filters; this one has 50.",
    ),
    (_with(("bank", "layer", "stride"), 0), "Layer: the stride must be at least 1."),
    (
        _with(("bank", "layer", "padding"), "huge"),
        "Layer: unknown padding 'huge'; use valid, same, full, a number or a pair of numbers.",
    ),
    (
        _with(("bank", "layer", "border"), 7),
        "Layer: the border must be a name (constant, edge, reflect, symmetric or wrap), not 7.",
    ),
    (_with(("image",), "photo.png"), "The image entry must be an object, not 'photo.png'."),
    (_with(("image", "path"), 5), "The image path must be text or null, not 5."),
    (
        _with(("image", "sample"), "x" * 1000),
        "The sample name is not a usable name (too long or with a null character).",
    ),
    (
        _with(("image", "embedded_png"), "not base64!"),
        "The image saved inside the session is damaged (not base64).",
    ),
    (
        _with(("image", "embedded_png"), base64.b64encode(b"GIF89a...").decode()),
        "The image saved inside the session is not a PNG.",
    ),
    (
        _with(("image", "embedded_png"), base64.b64encode(b"\x89PNG\r\n\x1a\nbroken").decode()),
        "The image saved inside the session is damaged.",
    ),
    (_with(("display",), "minmax"), "The display settings must be an object, not 'minmax'."),
    (
        _with(("display", "mapping"), 1),
        "The mapping must be a name (clip, minmax, abs, offset, diverging), not 1.",
    ),
    (
        _with(("display", "mapping"), "log"),
        "Unknown mapping 'log'; choose clip, minmax, abs, offset, diverging.",
    ),
    (_with(("display", "colormap"), 3), "The colour map must be a name, not 3."),
    (
        _with(("display", "per_filter"), [1, "abs"]),
        "The per-filter display settings must be an object, not a list.",
    ),
    (
        _with(("display", "per_filter"), {"first": "abs"}),
        "The per-filter display settings are keyed by filter position (0, 1, ...), not 'first'.",
    ),
    (
        _with(("display", "per_filter"), {"7": "abs"}),
        "The display settings name filter position 7, but the bank has 2 filters.",
    ),
    (
        _with(("display", "per_filter"), {"0": "sepia"}),
        "Unknown mapping of filter 0 'sepia'; choose clip, minmax, abs, offset, diverging.",
    ),
    (_with(("selected",), 2), "The selected filter 2 is not a position in a bank of 2 filters."),
    (
        _with(("selected",), True),
        "The selected filter must be a position (a whole number), not true.",
    ),
    (
        _with(("selected",), "sobel_x"),
        "The selected filter must be a position (a whole number), not 'sobel_x'.",
    ),
    (_with(("combined",), "magnitude"), "The combined maps must be a list, not 'magnitude'."),
    (
        _with(("combined",), [{"a": 0, "b": 1, "op": "sum"}] * 65),
        "The session holds 65 combined maps; at most 64 are allowed.",
    ),
    (_with(("combined", 0), [0, 1]), "Combined map 1 must be an object, not a list."),
    (
        _with(("combined", 0, "b"), _DELETE),
        "Combined map 1 does not say which filter is its second map.",
    ),
    (
        _with(("combined", 0, "a"), "sobel_x"),
        "Combined map 1: the first map must be a filter position (a whole number), not 'sobel_x'.",
    ),
    (
        _with(("combined", 0, "b"), True),
        "Combined map 1: the second map must be a filter position (a whole number), not true.",
    ),
    (
        _with(("combined", 0, "b"), 2),
        "Combined map 1 names filter position 2, but the bank has 2 filters.",
    ),
    (
        _with(("combined", 0, "a"), -1),
        "Combined map 1 names filter position -1, but the bank has 2 filters.",
    ),
    (
        _with(("combined", 0, "op"), "mean"),
        "Combined map 1: unknown way to combine maps 'mean'; choose magnitude, sum, maximum.",
    ),
    (
        _with(("combined", 0, "op"), _DELETE),
        "Combined map 1: unknown way to combine maps null; choose magnitude, sum, maximum.",
    ),
    (
        _with(("combined", 0, "mapping"), "log"),
        "Combined map 1: the mapping must be null or a name (clip, minmax, abs, offset, "
        "diverging), not 'log'.",
    ),
]


@pytest.mark.parametrize(("raw", "message"), DAMAGED, ids=[m[:50] for _, m in DAMAGED])
def test_each_damaged_session_says_what(tmp_path, raw, message):
    path = tmp_path / "s.fstudio"
    path.write_bytes(raw)
    with pytest.raises(SessionError) as info:
        load_session(path)
    assert str(info.value) == message


def test_the_valid_table_base_loads(tmp_path):
    path = tmp_path / "s.fstudio"
    path.write_bytes(_with(("selected",), 1))
    loaded = load_session(path)
    assert loaded.session.display.per_filter == ((1, "abs"),)
    assert loaded.session.combined == (CombinedMap(0, 1, "magnitude", mapping="abs"),)
    assert loaded.messages == [
        ("The image photo.png was not found; the copy saved inside the session is used.")
    ]


def test_missing_and_unreadable_session_files(tmp_path):
    with pytest.raises(SessionError, match=r"^The file gone\.fstudio was not found\.$"):
        load_session(tmp_path / "gone.fstudio")
    with pytest.raises(SessionError, match=r"is a folder, not a session file\.$"):
        load_session(tmp_path)


# ----------------------------------------------------------------------------------------------
# Fuzzing: any JSON-ish content either loads or raises SessionError, nothing else.

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "format",
                    "version",
                    "image",
                    "bank",
                    "display",
                    "path",
                    "embedded_png",
                    "sample",
                    "mapping",
                    "per_filter",
                    "selected",
                    "filters",
                    "kernel",
                    "combined",
                    "a",
                    "op",
                    "0",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=20,
)
VALID = _valid()


def _load_or_session_error(folder, data) -> None:
    path = folder / "fuzz.fstudio"
    path.write_text(json.dumps(data), "utf-8")
    try:
        loaded = load_session(path)
    except SessionError as e:
        assert str(e).endswith(".") and "\n" not in str(e)
        return
    assert isinstance(loaded.session, Session)
    assert all(isinstance(m, str) for m in loaded.messages)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_fuzz_arbitrary_content(tmp_path_factory, value):
    _load_or_session_error(tmp_path_factory.mktemp("fuzz"), value)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(list(json_paths(VALID))), json_values)
def test_fuzz_one_damaged_field_in_a_valid_session(tmp_path_factory, path, new):
    _load_or_session_error(tmp_path_factory.mktemp("fuzz"), replaced(VALID, path, new))


def test_unknown_per_filter_colour_map_is_a_message_not_an_error(tmp_path):
    from filterstudio.model.session import load_session

    path = tmp_path / "s.fstudio"
    data = {
        "format": "filterstudio-session",
        "version": 1,
        "image": {"path": None, "embedded_png": None, "sample": "smiley"},
        "bank": {"filters": [{"name": "a", "kernel": [[1]]}]},
        "display": {
            "mapping": "clip",
            "per_filter": {"0": "diverging"},
            "per_filter_colormap": {"0": "no-such-map"},
        },
    }
    path.write_text(json.dumps(data))
    loaded = load_session(path)
    assert loaded.session.display.colormap_for(0) == loaded.session.display.colormap
    assert any("no-such-map" in m for m in loaded.messages)
