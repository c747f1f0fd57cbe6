"""Weights, banks, sessions and kernel files that lie: each is one sentence, fast, in bounded memory."""

from __future__ import annotations

import base64
import io
import json
import os
import sys
import time
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from filterstudio.core.parse import KernelParseError, parse_kernel, parse_kernel_text
from filterstudio.model.bank import Bank, Filter
from filterstudio.model.bank_io import BankFormatError, bank_to_dict, load_bank
from filterstudio.model.session import Session, SessionError, load_session, save_session
from filterstudio.model.weights import WeightsError, import_weights

sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
import hostile_files as H  # noqa: E402

FAST = settings(max_examples=80, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])

# A refusal comes from headers, in milliseconds; this bound only catches a hang or a thrash
# (the files would otherwise decode for minutes), with room for a loaded machine.
HANG_SECONDS = 10


def one_sentence(exc: BaseException) -> None:
    text = str(exc)
    assert text.endswith("."), text
    assert "\n" not in text and "Traceback" not in text, text
    assert len(text) < 400, text




# == 3. Weights: headers first ====================================================================


@pytest.mark.parametrize(
    "shape",
    [(7, 7, 3, 400_000_000), (80_000_000_000,), (3, 3, 3, 2**40), (2**62, 2, 2, 2)],
)
def test_an_npy_header_claiming_a_huge_array_is_refused_from_the_header(tmp_path, shape):
    path = tmp_path / "w.npy"
    path.write_bytes(H.npy_header_claiming(shape))
    started = time.perf_counter()
    with pytest.raises(WeightsError) as info:
        import_weights(path, layout="keras")
    one_sentence(info.value)
    assert "claims an array" in str(info.value) or "4 dimensions" in str(info.value)
    assert "memory" not in str(info.value)
    assert time.perf_counter() - started < HANG_SECONDS


def test_an_80_gb_header_says_it_claims_too_large_an_array(tmp_path):
    path = tmp_path / "w.npy"
    path.write_bytes(H.npy_header_claiming((7, 7, 3, 80 * 2**30 // (7 * 7 * 3 * 8))))
    with pytest.raises(WeightsError, match=r"^w\.npy claims an array of shape .* \(80\.0 GB\), "
                                           r"too large"):
        import_weights(path, layout="keras")


@pytest.mark.parametrize("name", ["weight", "kernel", "conv1.weight", "anything"])
def test_an_npz_member_claiming_a_huge_array_is_never_inflated(tmp_path, name):
    # The member holds only a header claiming 8 GB: refused from the header.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{name}.npy", H.npy_header_claiming((2**24, 3, 7, 7), "<f4"))
    path = tmp_path / "w.npz"
    path.write_bytes(buf.getvalue())
    with pytest.raises(WeightsError, match="claims an array") as info:
        import_weights(path, layout="pytorch")
    one_sentence(info.value)


def test_an_npz_inflation_bomb_is_refused_before_inflating(tmp_path):
    data = H.npz_bomb((32768, 3, 15, 15))  # 88 MB of zeros in a small archive
    assert len(data) < 200_000
    path = tmp_path / "bomb.npz"
    path.write_bytes(data)
    started = time.perf_counter()
    with pytest.raises(WeightsError, match="claims an array"):
        import_weights(path, layout="pytorch")
    assert time.perf_counter() - started < HANG_SECONDS


def test_renamed_npy_and_npz_files_say_so(tmp_path):
    np.save(tmp_path / "a.npy", np.zeros((3, 3, 1, 2), np.float32))
    np.savez(tmp_path / "b.npz", weight=np.zeros((2, 1, 3, 3), np.float32))
    (tmp_path / "a.npz").write_bytes((tmp_path / "a.npy").read_bytes())
    (tmp_path / "b.npy").write_bytes((tmp_path / "b.npz").read_bytes())
    with pytest.raises(WeightsError, match=r"^a\.npz is a single NumPy \.npy array"):
        import_weights(tmp_path / "a.npz")
    with pytest.raises(WeightsError, match=r"^b\.npy is a NumPy \.npz archive") as info:
        import_weights(tmp_path / "b.npy")
    one_sentence(info.value)
    # The same archive named .npy as a kernel file.
    with pytest.raises(KernelParseError, match=r"^b\.npy is a NumPy \.npz archive"):
        parse_kernel(tmp_path / "b.npy")


def test_an_npz_with_too_many_members_is_refused(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i in range(1100):
            zf.writestr(f"a{i}.npy", b"")
    (tmp_path / "many.npz").write_bytes(buf.getvalue())
    with pytest.raises(WeightsError, match="1100 entries"):
        import_weights(tmp_path / "many.npz")


def test_a_kernel_npy_claiming_a_huge_array_is_refused_from_its_header(tmp_path):
    path = tmp_path / "k.npy"
    path.write_bytes(H.npy_header_claiming((3, 2**40)))
    with pytest.raises(KernelParseError, match=r"^k\.npy claims an array of shape \(3, "):
        parse_kernel(path)


@FAST
@given(body=st.binary(max_size=300), prefix=st.sampled_from([b"", b"\x93NUMPY", b"PK\x03\x04",
                                                               b"\x93NUMPY\x01\x00v\x00"]))
def test_random_bytes_as_weights_give_only_weights_errors(tmp_path, body, prefix):
    for ext in (".npy", ".npz"):
        path = tmp_path / f"w{ext}"
        path.write_bytes(prefix + body)
        with pytest.raises(WeightsError) as info:
            import_weights(path)
        one_sentence(info.value)


# == 5. Pipes and devices as bank, session, weights and kernel files ==============================


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
@pytest.mark.parametrize(
    ("name", "reader", "error"),
    [
        ("bank.json", load_bank, BankFormatError),
        ("s.fstudio", load_session, SessionError),
        ("w.npy", import_weights, WeightsError),
        ("w.npz", import_weights, WeightsError),
        ("k.txt", parse_kernel, KernelParseError),
        ("k.json", parse_kernel, KernelParseError),
        ("k.npy", parse_kernel, KernelParseError),
    ],
)
def test_a_named_pipe_is_refused_without_blocking(tmp_path, name, reader, error):
    fifo = tmp_path / name
    os.mkfifo(fifo)
    with pytest.raises(error, match="named pipe") as info:
        H.in_time(lambda: reader(fifo))
    one_sentence(info.value)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
@pytest.mark.parametrize("name", ["k.txt", "k.json", "bank.json", "s.fstudio", "w.npy"])
def test_a_link_to_dev_zero_is_refused_not_read_for_ever(tmp_path, name):
    link = tmp_path / name
    link.symlink_to("/dev/zero")
    reader = {"k.txt": parse_kernel, "k.json": parse_kernel, "bank.json": load_bank,
              "s.fstudio": load_session, "w.npy": import_weights}[name]
    with pytest.raises(ValueError, match="is a device") as info:
        H.in_time(lambda: reader(link))
    one_sentence(info.value)


# == 6. / 7. Nesting, huge numbers and random JSON ==============================================


@pytest.mark.parametrize("depth", [4, 50, 5000, 200_000])
def test_kernels_nested_deep_are_one_sentence(tmp_path, depth):
    text = "[" * depth + "1" + "]" * depth
    with pytest.raises(KernelParseError, match="nested more than 3 levels") as info:
        parse_kernel_text(text)
    one_sentence(info.value)
    path = tmp_path / "k.json"
    path.write_text(text)
    with pytest.raises(KernelParseError) as info:
        parse_kernel(path)
    one_sentence(info.value)
    nested: list = [1.0]
    for _ in range(min(depth, 50_000)):
        nested = [nested]
    with pytest.raises(KernelParseError, match="nested more than 3 levels"):
        parse_kernel(nested)


@pytest.mark.parametrize("depth", [100, 5000, 100_000])
@pytest.mark.parametrize("where", ["bank", "session"])
def test_bank_and_session_files_nested_deep_are_one_sentence(tmp_path, depth, where):
    path = tmp_path / ("b.json" if where == "bank" else "s.fstudio")
    path.write_text('{"format": "filterstudio-bank", "version": 1, "filters": '
                    + "[" * depth + "]" * depth + "}")
    reader, error = (load_bank, BankFormatError) if where == "bank" else (load_session,
                                                                         SessionError)
    with pytest.raises(error) as info:
        reader(path)
    one_sentence(info.value)


@pytest.mark.parametrize("number", ["1" + "0" * 400, "1" + "0" * 5000, "-" + "9" * 3000, "1e999"])
def test_json_numbers_too_large_are_one_sentence(tmp_path, number):
    path = tmp_path / "k.json"
    path.write_text(f"[[{number}, 1]]")
    with pytest.raises(KernelParseError) as info:
        parse_kernel(path)
    one_sentence(info.value)
    bank = tmp_path / "b.json"
    bank.write_text('{"format": "filterstudio-bank", "version": 1, "filters": [{"kernel": '
                    f'[[{number}]], "bias": {number}}}]}}')
    with pytest.raises(BankFormatError) as info:
        load_bank(bank)
    one_sentence(info.value)
    huge = 10**400 if len(number) < 1000 else -(10**3000)
    with pytest.raises(KernelParseError):
        parse_kernel([[huge if "e" not in number else float(number)]])


def test_kernel_text_too_long_is_refused():
    with pytest.raises(KernelParseError, match="characters long"):
        parse_kernel_text("1 " * 1_000_000)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.text(max_size=6), children, max_size=5),
    max_leaves=40,
)


def _bank_like(draw_value):
    return {"format": "filterstudio-bank", "version": 1, "filters": draw_value}


@FAST
@given(value=JSON, key=st.sampled_from(["filters", "layer", "kernel", "bias", "display",
                                         "image", "selected", "combined", "per_filter"]))
def test_random_json_gives_only_the_project_errors(tmp_path, value, key):
    good_bank = bank_to_dict(Bank((Filter("a", np.eye(3)), Filter("b", np.ones((3, 3))))))
    bank = dict(good_bank)
    bank[key if key in ("filters", "layer") else "filters"] = value
    (tmp_path / "b.json").write_text(json.dumps(bank))
    try:
        load_bank(tmp_path / "b.json")
    except BankFormatError as exc:
        one_sentence(exc)
    session = {"format": "filterstudio-session", "version": 1,
               "bank": bank_to_dict(Bank((Filter("a", np.eye(3)),)), header=False),
               "display": {"per_filter": {"0": "clip"}}, "image": {"path": None}}
    if key in ("display", "image", "selected", "combined"):
        session[key] = value
    elif key == "per_filter":
        session["display"] = {"per_filter": value}
    else:
        session["bank"] = value
    (tmp_path / "s.fstudio").write_text(json.dumps(session))
    try:
        load_session(tmp_path / "s.fstudio")
    except SessionError as exc:
        one_sentence(exc)
    try:
        parse_kernel(value if isinstance(value, list) else [[value]])
    except KernelParseError as exc:
        one_sentence(exc)


@FAST
@given(text=st.text(alphabet=st.sampled_from(list("[]{},;.:-+/eE 0123456789\n#abcxyz\t")),
                    max_size=200))
def test_random_kernel_text_gives_only_kernel_errors(text):
    try:
        parse_kernel_text(text)
    except KernelParseError as exc:
        one_sentence(exc)


@FAST
@given(body=st.binary(max_size=300))
def test_random_bytes_as_bank_session_or_kernel_give_only_the_project_errors(tmp_path, body):
    for name, reader, error in (("b.json", load_bank, BankFormatError),
                                ("s.fstudio", load_session, SessionError),
                                ("k.txt", parse_kernel, KernelParseError),
                                ("k.json", parse_kernel, KernelParseError),
                                ("k.npy", parse_kernel, KernelParseError)):
        path = tmp_path / name
        path.write_bytes(body)
        try:
            reader(path)
        except error as exc:
            one_sentence(exc)


# == 4. / 7. What a session may name, and its display keys ========================================


def _session_file(tmp_path, path_text, **display) -> str:
    save_session(tmp_path / "s.fstudio", Session(bank=Bank((Filter("a", np.eye(3)),))))
    data = json.loads((tmp_path / "s.fstudio").read_text())
    data["image"]["path"] = path_text
    if display:
        data["display"].update(display)
    (tmp_path / "s.fstudio").write_text(json.dumps(data))
    return str(tmp_path / "s.fstudio")


@pytest.mark.parametrize(
    ("stored", "said"),
    [
        ("/etc/shadow", "not a picture file"),
        ("/etc/passwd", "not a picture file"),
        ("../../../etc/shadow", "not a picture file"),
        ("../../../../tmp/photo.png", "leads out of the session's folder"),
        ("..\\..\\photo.png", "leads out of the session's folder"),
        ("sub/../../photo.png", "leads out of the session's folder"),
        ("C:photo.png", "leads out of the session's folder"),
        ("photo", "not a picture file"),
        ("notes.txt", "not a picture file"),
    ],
)
def test_a_session_names_only_picture_files_inside_its_folder(tmp_path, stored, said):
    path = _session_file(tmp_path, stored)
    loaded = load_session(path)
    assert loaded.image_abs_path is None and loaded.session.image_path is None
    (message,) = loaded.messages
    assert said in message and message.endswith(".")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_session_naming_a_pipe_a_device_or_a_folder_loads_without_it(tmp_path):
    os.mkfifo(tmp_path / "pipe.png")
    (tmp_path / "folder.png").mkdir()
    (tmp_path / "zero.png").symlink_to("/dev/zero")
    (tmp_path / "secret.png").symlink_to("/etc/hostname")
    for name in ("pipe.png", "folder.png", "zero.png", "secret.png"):
        loaded = H.in_time(lambda n=name: load_session(_session_file(tmp_path, n)))
        assert loaded.image_abs_path is None, name
        (message,) = loaded.messages
        assert "was not opened" in message and message.endswith(".")


def test_a_session_finds_pictures_inside_its_folder_and_by_absolute_path(tmp_path):
    from PIL import Image

    (tmp_path / "sub").mkdir()
    Image.new("L", (4, 4)).save(tmp_path / "sub" / "photo.png")
    loaded = load_session(_session_file(tmp_path, "sub/photo.png"))
    assert loaded.image_abs_path == str(tmp_path / "sub" / "photo.png")
    elsewhere = tmp_path.parent / f"{tmp_path.name}-elsewhere.PNG"
    Image.new("L", (4, 4)).save(elsewhere, format="PNG")
    try:
        loaded = load_session(_session_file(tmp_path, str(elsewhere)))
        assert loaded.image_abs_path == str(elsewhere)
    finally:
        elsewhere.unlink()


@pytest.mark.parametrize("key", ["0001", "01", "00", "-1", "1.0", " 1", "x", "99999999999999999999",
                                 "1e3", "\u0661"])
def test_display_keys_that_are_not_plain_positions_are_one_sentence(tmp_path, key):
    path = _session_file(tmp_path, None, per_filter={"0": "clip", key: "abs"})
    with pytest.raises(SessionError) as info:
        load_session(path)
    one_sentence(info.value)
    path = _session_file(tmp_path, None, per_filter_colormap={key: "viridis"})
    with pytest.raises(SessionError) as info:
        load_session(path)
    one_sentence(info.value)


def test_an_embedded_picture_claiming_a_huge_size_is_refused(tmp_path):
    path = _session_file(tmp_path, None)
    from pathlib import Path

    data = json.loads(Path(path).read_text())
    data["image"]["embedded_png"] = base64.b64encode(H.png_claiming(30_000, 30_000)).decode()
    Path(path).write_text(json.dumps(data))
    with pytest.raises(SessionError) as info:
        load_session(path)
    one_sentence(info.value)
