"""The batch engine: one map per picture and filter, progress and cancel, failures named."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest
from PIL import Image

from filterstudio.core.batch import (
    BatchJob,
    Outcome,
    list_pictures,
    plan_outputs,
    run_batch,
)
from filterstudio.core.display import to_uint8
from filterstudio.core.imageio import ImageError, load_image
from filterstudio.core.kernels import PRESETS
from filterstudio.core.pipeline import apply_filter
from filterstudio.model.bank import Filter, Layer

SOBEL = Filter("edges", PRESETS["sobel_x"].kernel)
SHARPEN = Filter("sharp / en", PRESETS["sharpen"].kernel, bias=0.1, activation="relu")
LAYER = Layer(padding="same", border="reflect")


def picture(path, seed: int, grey: bool = False) -> str:
    rng = np.random.default_rng(seed)
    shape = (11, 14) if grey else (11, 14, 3)
    Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8)).save(path)
    return os.fspath(path)


@pytest.fixture
def photos(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    paths = [
        picture(folder / "a.png", 1),
        picture(folder / "b.jpg", 2),
        picture(folder / "c.png", 3, grey=True),
    ]
    return folder, paths


def expected_map(source, flt, layer=LAYER, display=None) -> np.ndarray:
    result = apply_filter(
        load_image(source),
        flt.kernel,
        bias=flt.bias,
        activation=flt.activation,
        channel_mode=layer.channel_mode,
        **layer.conv_kwargs(),
    )
    return to_uint8(result, display or "clip")


def read(path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im)


def no_temporary_files(folder) -> bool:
    return not any(name.startswith(".") for _, _, files in os.walk(folder) for name in files)


# --------------------------------------------------------------------------------------------
# Listing and planning


def test_list_pictures_by_extension_sorted_not_recursive(tmp_path):
    for name in ["b.JPG", "a.png", "c.tiff", "notes.txt", ".hidden.png", ".a.png.1234.png"]:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "d.png").write_bytes(b"x")
    pictures, others = list_pictures(tmp_path)
    assert [os.path.basename(p) for p in pictures] == ["a.png", "b.JPG", "c.tiff"]
    assert others == ["notes.txt", "sub/"]


def test_list_pictures_of_a_missing_folder_is_one_sentence(tmp_path):
    with pytest.raises(ImageError, match="cannot be read") as info:
        list_pictures(tmp_path / "nope")
    assert str(info.value).endswith(".")


def test_plan_names_maps_after_the_picture(tmp_path):
    job = BatchJob((SOBEL,), LAYER, format="jpg")
    [planned] = plan_outputs([tmp_path / "in" / "photo.png"], tmp_path / "out", job)
    assert planned.targets == (os.fspath(tmp_path / "out" / "photo.jpg"),)
    assert planned.refused is None


def test_plan_of_a_bank_gives_one_safe_folder_per_filter(tmp_path):
    job = BatchJob((SOBEL, SHARPEN), LAYER)
    [planned] = plan_outputs(["photo.jpg"], tmp_path, job)
    assert planned.targets == (
        os.fspath(tmp_path / "edges" / "photo.png"),
        os.fspath(tmp_path / "sharp_en" / "photo.png"),
    )


def test_plan_refuses_two_pictures_with_one_map_name(tmp_path):
    job = BatchJob((SOBEL,), LAYER)
    planned = plan_outputs(["a/photo.jpg", "a/Photo.png", "a/other.png"], tmp_path, job)
    assert [p.refused is None for p in planned] == [True, False, True]
    assert "'Photo.png' would write the same map as 'photo.jpg'" in planned[1].refused


def test_plan_never_lets_a_map_replace_a_picture(photos):
    folder, paths = photos
    job = BatchJob((SOBEL,), LAYER)  # a.png's map would be folder/a.png itself
    planned = plan_outputs(paths, folder, job)
    assert "replace a picture" in planned[0].refused
    assert planned[1].refused is None  # b.jpg -> b.png is no picture of the batch


def test_a_job_checks_its_settings():
    with pytest.raises(ValueError, match="format"):
        BatchJob((SOBEL,), LAYER, format="gif")
    with pytest.raises(ValueError, match="at least one filter"):
        BatchJob((), LAYER)
    with pytest.raises(ValueError, match="one folder each"):
        BatchJob((SOBEL, SHARPEN), LAYER, per_filter_folders=False)
    with pytest.raises(ValueError, match="one \\(display, colormap\\) per filter"):
        BatchJob((SOBEL, SHARPEN), LAYER, displays=(("abs", None),))


# --------------------------------------------------------------------------------------------
# Running


def test_every_picture_gets_its_map(photos, tmp_path):
    _, paths = photos
    out = tmp_path / "out"
    outcomes = run_batch(paths, out, BatchJob((SOBEL,), LAYER, display="abs"))
    assert [o.status for o in outcomes] == ["written"] * 3
    for source, outcome in zip(paths, outcomes):
        stem = os.path.splitext(os.path.basename(source))[0]
        assert outcome.written == (os.fspath(out / f"{stem}.png"),)
        np.testing.assert_array_equal(read(out / f"{stem}.png"), expected_map(source, SOBEL, display="abs"))
    assert no_temporary_files(out)


def test_exact_maps_as_npy(photos, tmp_path):
    _, paths = photos
    run_batch(paths, tmp_path / "out", BatchJob((SHARPEN,), LAYER, format="npy"))
    result = apply_filter(
        load_image(paths[1]), SHARPEN.kernel, bias=0.1, activation="relu", **LAYER.conv_kwargs()
    )
    np.testing.assert_array_equal(np.load(tmp_path / "out" / "b.npy"), result)


def test_a_bank_writes_one_folder_per_filter(photos, tmp_path):
    _, paths = photos
    out = tmp_path / "out"
    grey = Layer(channel_mode="gray", stride=2)
    run_batch(paths, out, BatchJob((SOBEL, SHARPEN), grey, display="offset"))
    for flt, sub in ((SOBEL, "edges"), (SHARPEN, "sharp_en")):
        assert sorted(os.listdir(out / sub)) == ["a.png", "b.png", "c.png"]
        np.testing.assert_array_equal(
            read(out / sub / "b.png"), expected_map(paths[1], flt, grey, display="offset")
        )


def test_each_filter_may_have_its_own_display(photos, tmp_path):
    _, paths = photos
    out = tmp_path / "out"
    job = BatchJob(
        (SOBEL, SHARPEN), LAYER, display="abs", displays=(("offset", None), ("minmax", "viridis"))
    )
    run_batch(paths[:1], out, job)
    np.testing.assert_array_equal(
        read(out / "edges" / "a.png"), expected_map(paths[0], SOBEL, display="offset")
    )
    coloured = apply_filter(
        load_image(paths[0]), SHARPEN.kernel, bias=0.1, activation="relu", **LAYER.conv_kwargs()
    )
    np.testing.assert_array_equal(
        read(out / "sharp_en" / "a.png"), to_uint8(coloured, "minmax", colormap="viridis")
    )


def test_existing_maps_are_kept_and_skipped_unless_overwrite(photos, tmp_path):
    _, paths = photos
    out = tmp_path / "out"
    out.mkdir()
    (out / "b.png").write_bytes(b"kept")
    outcomes = run_batch(paths, out, BatchJob((SOBEL,), LAYER))
    assert [o.status for o in outcomes] == ["written", "skipped", "written"]
    assert (out / "b.png").read_bytes() == b"kept"
    outcomes = run_batch(paths, out, BatchJob((SOBEL,), LAYER, overwrite=True))
    assert [o.status for o in outcomes] == ["written"] * 3
    np.testing.assert_array_equal(read(out / "b.png"), expected_map(paths[1], SOBEL))


def test_a_bank_half_done_writes_only_the_missing_maps(photos, tmp_path):
    _, paths = photos
    out = tmp_path / "out"
    (out / "edges").mkdir(parents=True)
    (out / "edges" / "a.png").write_bytes(b"kept")
    outcomes = run_batch(paths[:1], out, BatchJob((SOBEL, SHARPEN), LAYER))
    assert outcomes[0].status == "written"
    assert outcomes[0].written == (os.fspath(out / "sharp_en" / "a.png"),)
    assert (out / "edges" / "a.png").read_bytes() == b"kept"


def test_a_bad_picture_is_named_and_the_others_go_on(photos, tmp_path):
    folder, paths = photos
    bad = folder / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not much of a JPEG")
    ps = folder / "script.png"
    ps.write_bytes(b"%!PS-Adobe-3.0\n")
    out = tmp_path / "out"
    seen: list[Outcome] = []
    outcomes = run_batch([paths[0], bad, ps, paths[1]], out, BatchJob((SOBEL,), LAYER),
                         on_outcome=seen.append)
    assert [o.status for o in outcomes] == ["written", "failed", "failed", "written"]
    assert "'bad.jpg'" in outcomes[1].reason and "damaged" in outcomes[1].reason
    assert "'script.png'" in outcomes[2].reason and "PostScript" in outcomes[2].reason
    for o in outcomes[1:3]:
        assert o.reason.endswith(".") and "\n" not in o.reason
    assert sorted(os.listdir(out)) == ["a.png", "b.png"]
    assert sorted(o.source for o in seen) == sorted(o.source for o in outcomes)


def test_a_failure_that_does_not_name_the_picture_is_given_its_name(photos, tmp_path):
    _, paths = photos
    huge = Filter("huge", np.ones((15, 15), np.float32))  # larger than an 11-row picture
    outcomes = run_batch(paths[:1], tmp_path / "out", BatchJob((huge,), Layer()))
    assert outcomes[0].status == "failed"
    assert outcomes[0].reason.startswith("'a.png': ")


def test_an_overflowing_map_is_refused(photos, tmp_path):
    _, paths = photos
    big = Filter("big", np.full((3, 3), 3e38, np.float32))
    outcomes = run_batch(paths[:1], tmp_path / "out", BatchJob((big,), Layer(), format="npy"))
    assert outcomes[0].status == "failed"
    assert "overflows" in outcomes[0].reason and "'a.png'" in outcomes[0].reason
    assert os.listdir(tmp_path / "out") == []


def test_progress_counts_every_picture_on_the_calling_thread(photos, tmp_path):
    folder, paths = photos
    bad = folder / "bad.png"
    bad.write_bytes(b"")
    calls, threads = [], set()

    def progress(done, total, name):
        calls.append((done, total, name))
        threads.add(threading.get_ident())

    run_batch([*paths, bad], tmp_path / "out", BatchJob((SOBEL,), LAYER), progress=progress)
    assert calls[0] == (0, 4, "")
    assert [c[0] for c in calls] == [0, 1, 2, 3, 4]
    assert {c[1] for c in calls} == {4}
    assert sorted(c[2] for c in calls[1:]) == ["a.png", "b.jpg", "bad.png", "c.png"]
    assert threads == {threading.get_ident()}


def test_cancel_stops_before_the_next_picture(photos, tmp_path):
    _, paths = photos
    done = []
    outcomes = run_batch(
        paths,
        tmp_path / "out",
        BatchJob((SOBEL,), LAYER),
        progress=lambda d, t, n: done.append(d),
        cancelled=lambda: len(done) > 1,  # after the first picture is finished
        workers=1,
    )
    assert [o.status for o in outcomes] == ["written", "cancelled", "cancelled"]
    assert os.listdir(tmp_path / "out") == ["a.png"]


def test_cancel_stops_a_bank_between_two_maps(photos, tmp_path):
    _, paths = photos
    asked = threading.Event()
    filters = (SOBEL, SHARPEN, Filter("third", PRESETS["sobel_y"].kernel))

    def cancelled() -> bool:
        # True as soon as the first map of the first picture is on disk.
        if os.path.exists(tmp_path / "out" / "edges" / "a.png"):
            asked.set()
        return asked.is_set()

    import filterstudio.core.imagewrite as imagewrite

    real = imagewrite.save_image

    def slow_save(*args, **kwargs):
        real(*args, **kwargs)
        # Hold the worker until the run has been told to stop (the run asks every 0.1 s, and
        # stops at once when told): the next map must then not be written.
        asked.wait(20)
        threading.Event().wait(0.05)

    imagewrite.save_image = slow_save
    try:
        outcomes = run_batch(paths[:1], tmp_path / "out", BatchJob(filters, LAYER),
                             cancelled=cancelled, workers=1)
    finally:
        imagewrite.save_image = real
    assert outcomes[0].status == "cancelled"
    assert outcomes[0].written == (os.fspath(tmp_path / "out" / "edges" / "a.png"),)
    assert os.listdir(tmp_path / "out" / "sharp_en") == []
    assert no_temporary_files(tmp_path / "out")


def test_an_exception_from_a_callback_ends_the_run_cleanly(photos, tmp_path):
    _, paths = photos
    seen = []

    def progress(done, total, name):
        if done == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batch(paths, tmp_path / "out", BatchJob((SOBEL,), LAYER), progress=progress,
                  on_outcome=seen.append, workers=1)
    assert no_temporary_files(tmp_path / "out")
    # Every map on disk is whole, and the pictures after the stop were not started.
    for name in os.listdir(tmp_path / "out"):
        read(tmp_path / "out" / name)
    assert len(os.listdir(tmp_path / "out")) <= 2


def test_an_output_folder_that_is_a_file_is_one_sentence(photos, tmp_path):
    _, paths = photos
    (tmp_path / "out").write_bytes(b"")
    with pytest.raises(ImageError, match="is a file"):
        run_batch(paths, tmp_path / "out", BatchJob((SOBEL,), LAYER))


def test_both_decoders_write_the_same_maps(photos, tmp_path):
    _, paths = photos
    job = BatchJob((SOBEL,), LAYER, format="npy")
    run_batch(paths, tmp_path / "fast", job)
    run_batch(paths, tmp_path / "pillow", job, decoder="pillow")
    for name in ("a.npy", "b.npy", "c.npy"):
        np.testing.assert_array_equal(np.load(tmp_path / "fast" / name),
                                      np.load(tmp_path / "pillow" / name))
