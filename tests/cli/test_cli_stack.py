"""``filterstudio apply --bank`` with a stack: every stage against a plain composition of
convolve, pool2d and conv2d; every refusal one line, exit 2, nothing left behind."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image

from filterstudio.cli import main
from filterstudio.core.conv2d import conv2d
from filterstudio.core.convolution import convolve
from filterstudio.core.imageio import load_image
from filterstudio.core.pooling import pool2d
from filterstudio.model.bank import Bank, Filter, Layer
from filterstudio.model.stack import Stack
from filterstudio.model.stack_io import save_stack

rng = np.random.default_rng(5)
K1 = [rng.normal(size=(3, 3)).astype(np.float32) for _ in range(2)]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def make_stack(mode="gray") -> Stack:
    bank = Bank(
        (
            Filter("edges", K1[0], bias=0.25, activation="relu"),
            Filter("off", np.ones((3, 3)), enabled=False),
            Filter("lines", K1[1], activation="relu"),
        ),
        Layer(padding="same", channel_mode=mode),
    )
    s = Stack.of(bank).adding_stage("pool", size=2).adding_stage("conv", count=2, padding=1)
    f = s.stages[2].filters[1]
    return s.with_stage_filter(2, 1, Filter(f.name, f.kernel, bias=-0.5, activation="abs"))


@pytest.fixture
def stack_file(tmp_path) -> tuple[str, Stack]:
    stack = make_stack()
    path = tmp_path / "stack.json"
    save_stack(path, stack)
    return str(path), stack


def reference(image: np.ndarray, stack: Stack) -> list[list[np.ndarray]]:
    """Stage by stage with the public engine: luma, convolve per filter, pool2d, conv2d."""
    luma = image @ np.array([0.299, 0.587, 0.114], np.float32)
    first = []
    for f in stack.bank.filters:
        m = convolve(luma, f.kernel, padding="same") + f.bias
        first.append(np.maximum(m, 0) if f.enabled else np.zeros_like(m))
    pooled = pool2d(np.stack(first, axis=2), 2)
    s = stack.stages[2]
    weight = np.stack([f.kernel.transpose(2, 0, 1) for f in s.filters])
    out = conv2d(pooled, weight, [f.bias for f in s.filters], padding=1)
    last = [np.maximum(out[:, :, 0], 0) if s.filters[0].activation == "relu" else out[:, :, 0],
            np.abs(out[:, :, 1])]
    return [[first[0], first[2]], [pooled[:, :, i] for i in range(3)], last]


def test_every_stage_is_written_in_its_folder_and_equals_the_composition(
    capsys, photo, stack_file, tmp_path
):
    path, stack = stack_file
    folder = tmp_path / "maps"
    code, out, err = run(capsys, "apply", photo, str(folder), "--bank", path, "--format", "npy")
    assert (code, err) == (0, "")
    assert sorted(os.listdir(folder)) == ["stage1", "stage2", "stage3"]
    assert sorted(os.listdir(folder / "stage1")) == ["edges.npy", "lines.npy"]
    assert sorted(os.listdir(folder / "stage2")) == ["edges.npy", "lines.npy", "off.npy"]
    assert sorted(os.listdir(folder / "stage3")) == ["conv3_1.npy", "conv3_2.npy"]
    assert out.count("wrote ") == 7 and "stage 2, off:" in out
    ref = reference(load_image(photo), stack)
    got = [
        [np.load(folder / "stage1" / n) for n in ("edges.npy", "lines.npy")],
        [np.load(folder / "stage2" / n) for n in ("edges.npy", "off.npy", "lines.npy")],
        [np.load(folder / "stage3" / n) for n in ("conv3_1.npy", "conv3_2.npy")],
    ]
    for ours, theirs in zip(got, ref):
        for a, b in zip(ours, theirs):
            assert a.shape == b.shape
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-4 * (1 + np.abs(b).max()))
    assert not got[1][1].any()  # a switched-off filter's map reads as zeros


def test_last_stage_only_goes_straight_into_the_folder(capsys, photo, stack_file, tmp_path):
    path, _ = stack_file
    folder = tmp_path / "maps"
    code, out, err = run(capsys, "apply", photo, str(folder), "--bank", path, "--last-stage")
    assert (code, err) == (0, "")
    assert sorted(os.listdir(folder)) == ["conv3_1.png", "conv3_2.png"]


def test_existing_maps_are_not_replaced_without_force(capsys, photo, stack_file, tmp_path):
    path, _ = stack_file
    folder = tmp_path / "maps"
    (folder / "stage2").mkdir(parents=True)
    (folder / "stage2" / "lines.png").write_bytes(b"mine")
    code, _, err = run(capsys, "apply", photo, str(folder), "--bank", path)
    assert code == 2 and err.count("\n") == 1 and "exists; use --force" in err
    assert sorted(os.listdir(folder)) == ["stage2"]
    assert run(capsys, "apply", photo, str(folder), "--bank", path, "--force")[0] == 0
    assert (folder / "stage2" / "lines.png").read_bytes() != b"mine"


def test_a_stage_that_cannot_run_leaves_nothing(capsys, photo, tmp_path):
    s = make_stack()
    bank = s.bank.with_filter(0, Filter("big", np.ones((5, 5)), activation="relu"))
    s = s.with_bank(bank.with_layer(padding="valid"))
    path = tmp_path / "s.json"
    save_stack(path, s)
    folder = tmp_path / "maps"
    code, out, err = run(capsys, "apply", photo, str(folder), "--bank", str(path))
    assert code == 2 and out == ""
    assert err == (
        "filterstudio: Stage 3 adds up maps of different sizes (3x4 and 4x5); give the filters "
        "of stage 2 one size, or use same padding.\n"
    )
    assert not folder.exists()


@pytest.mark.parametrize(
    "extra, words",
    [
        (["--flip"], "--flip turns one kernel or one bank"),
        (["--gray"], "That channel mode gives stage 2 3 maps instead of 9"),
        (["--stride", "0"], "The stride must be at least 1"),
    ],
)
def test_options_a_stack_cannot_take_are_one_line(capsys, photo, tmp_path, extra, words):
    path = tmp_path / "s.json"
    save_stack(path, make_stack("color"))
    code, out, err = run(capsys, "apply", photo, str(tmp_path / "m"), "--bank", str(path), *extra)
    assert code == 2 and out == "" and err.count("\n") == 1 and words in err
    assert not (tmp_path / "m").exists()


def test_layer_options_change_the_first_stage_only(capsys, photo, stack_file, tmp_path):
    path, stack = stack_file
    folder = tmp_path / "maps"
    code, _, err = run(capsys, "apply", photo, str(folder), "--bank", path, "--format", "npy",
                       "--stride", "2")
    assert (code, err) == (0, "")
    first = np.load(folder / "stage1" / "edges.npy")
    assert first.shape == (6, 5)
    assert np.load(folder / "stage3" / "conv3_1.npy").shape == (3, 2)


def test_a_one_stage_bank_is_written_as_before(capsys, photo, tmp_path):
    path = tmp_path / "b.json"
    save_stack(path, Stack.of(make_stack().bank))
    folder = tmp_path / "maps"
    assert run(capsys, "apply", photo, str(folder), "--bank", str(path), "--last-stage")[0] == 0
    assert sorted(os.listdir(folder)) == ["edges.png", "lines.png"]


def test_help_says_where_a_stack_goes(capsys):
    code, out, _ = run(capsys, "apply", "--help")
    assert code == 0 and "FOLDER/stage<k>/" in " ".join(out.split()) and "--last-stage" in out


def test_a_video_through_a_stack_is_refused_in_one_sentence(capsys, stack_file, tmp_path):
    import cv2

    clip = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"MJPG"), 10, (32, 24))
    for i in range(3):
        writer.write(np.full((24, 32, 3), 40 * i, np.uint8))
    writer.release()
    path, _ = stack_file
    out = tmp_path / "maps"
    code, _, err = run(capsys, "apply", str(clip), str(out), "--bank", path)
    assert code == 2 and err.count("\n") == 1 and "stack of 3 stages" in err
    assert not out.exists()


def test_png_compression_reaches_every_stage_map(capsys, stack_file, tmp_path):
    path, _ = stack_file
    y, x = np.mgrid[0:120, 0:160]
    rgb = np.stack([x * 1.5, y * 2, (x * y) % 251], axis=2).astype(np.uint8)
    photo = tmp_path / "photo.png"
    Image.fromarray(rgb).save(photo)
    sizes = {}
    for name, extra in (("fast", []), ("small", ["--png-compression", "9"])):
        folder = tmp_path / name
        code, _, err = run(capsys, "apply", str(photo), str(folder), "--bank", path,
                           "--last-stage", "--display", "minmax", *extra)  # fmt: skip
        assert (code, err) == (0, "")
        sizes[name] = (folder / "conv3_1.png").stat().st_size
    assert sizes["small"] < sizes["fast"]
    np.testing.assert_array_equal(
        load_image(tmp_path / "small" / "conv3_1.png"), load_image(tmp_path / "fast" / "conv3_1.png")
    )
