"""CNN first-layer weights: Keras and PyTorch layouts in and out, and the maps they give."""

from __future__ import annotations

import os

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from filterstudio.core.pipeline import apply_filter
from filterstudio.model.bank import Bank, Filter, Layer
from filterstudio.model.weights import (
    AmbiguousLayout,
    ImportedWeights,
    WeightsError,
    export_weights,
    guess_layout,
    import_weights,
)

rng = np.random.default_rng(11)


def keras_conv2d(x, w, b, *, stride=1, padding="valid"):
    """Keras ``Conv2D``: channels-last cross-correlation; ``same`` pads the extra cell last."""
    kh, kw = w.shape[:2]
    if padding == "same":
        pads = []
        for n, k in ((x.shape[0], kh), (x.shape[1], kw)):
            total = max((-(-n // stride) - 1) * stride + k - n, 0)
            pads.append((total // 2, total - total // 2))
        x = np.pad(x, [*pads, (0, 0)])
    windows = sliding_window_view(x, (kh, kw), axis=(0, 1))[::stride, ::stride]  # OH OW C kh kw
    return np.einsum("ijcab,abcf->ijf", windows, w) + b


def torch_conv2d(x_chw, w, b, *, stride=1, padding=0):
    """PyTorch ``conv2d`` on ``(C, H, W)`` with weights ``(F, C, kh, kw)``, zero padding."""
    kh, kw = w.shape[2:]
    x = np.pad(x_chw, [(0, 0), (padding, padding), (padding, padding)])
    windows = sliding_window_view(x, (kh, kw), axis=(1, 2))[:, ::stride, ::stride]  # C OH OW kh kw
    return np.einsum("cijab,fcab->fij", windows, w) + b[:, None, None]


def engine_maps(imported: ImportedWeights, image, **layer) -> list[np.ndarray]:
    mode = "depth" if imported.channels == 3 else "gray"
    return [apply_filter(image, f.kernel, bias=f.bias, channel_mode=mode, **layer)
            for f in imported.filters]


def assert_close(ours, reference, kernel, image):
    tol = 1e-4 * (1 + np.abs(kernel).sum() * np.abs(image).max())
    np.testing.assert_allclose(ours, reference, rtol=0, atol=tol)


# ----------------------------------------------------------------------------------------------
# The teaching point: an imported filter computes what the framework's own layer computes.


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize(("stride", "padding"), [(1, "valid"), (2, "valid"), (2, "same")])
def test_imported_keras_filters_compute_keras_conv2d(tmp_path, channels, stride, padding):
    w = rng.normal(size=(5, 5, channels, 4))
    b = rng.normal(size=4)
    np.savez(tmp_path / "conv.npz", kernel=w, bias=b)
    imported = import_weights(tmp_path / "conv.npz")
    assert imported.layout_used == "keras" and imported.channels == channels
    image = rng.random((13, 11, channels))
    reference = keras_conv2d(image, w, b, stride=stride, padding=padding)
    ours = engine_maps(imported, image if channels == 3 else image[:, :, 0], stride=stride,
                       padding=padding)
    for f, our_map in enumerate(ours):
        assert_close(our_map, reference[:, :, f], w[..., f], image)


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize(("stride", "padding"), [(1, 0), (2, 1), (3, 2)])
def test_imported_pytorch_filters_compute_torch_conv2d(tmp_path, channels, stride, padding):
    w = rng.normal(size=(4, channels, 5, 5))
    b = rng.normal(size=4)
    np.savez(tmp_path / "conv.npz", **{"conv1.weight": w, "conv1.bias": b})
    imported = import_weights(tmp_path / "conv.npz")
    assert imported.layout_used == "pytorch" and imported.channels == channels
    image = rng.random((12, 14, channels))
    reference = torch_conv2d(image.transpose(2, 0, 1), w, b, stride=stride, padding=padding)
    ours = engine_maps(imported, image if channels == 3 else image[:, :, 0], stride=stride,
                       padding=padding)
    for f, our_map in enumerate(ours):
        assert_close(our_map, reference[f], w[f], image)


def test_the_numpy_reference_agrees_with_torch(tmp_path):
    torch = pytest.importorskip("torch")
    w = rng.normal(size=(4, 3, 5, 5))
    b = rng.normal(size=4)
    image = rng.random((3, 12, 14))
    got = torch.nn.functional.conv2d(torch.from_numpy(image)[None], torch.from_numpy(w),
                                     torch.from_numpy(b), stride=2, padding=1)[0].numpy()
    np.testing.assert_allclose(torch_conv2d(image, w, b, stride=2, padding=1), got, atol=1e-9)
    np.save(tmp_path / "w.npy", w)
    imported = import_weights(tmp_path / "w.npy")
    for f, our_map in enumerate(engine_maps(imported, image.transpose(1, 2, 0), stride=2,
                                            padding=1)):
        assert_close(our_map, got[f] - b[f], w[f], image)  # a .npy file carries no bias


# ----------------------------------------------------------------------------------------------
# Round trips


def _bank(depth: bool) -> Bank:
    shape = (3, 3, 3) if depth else (3, 3)
    filters = tuple(Filter(f"f{i}", rng.normal(size=shape), bias=float(i) / 4) for i in range(5))
    return Bank(filters, Layer(channel_mode="depth" if depth else "color"))


@pytest.mark.parametrize("layout", ["keras", "pytorch"])
@pytest.mark.parametrize("depth", [False, True])
def test_export_then_import_round_trips(tmp_path, layout, depth):
    bank = _bank(depth)
    path = tmp_path / "w.npz"
    assert export_weights(bank, path, layout=layout) == []
    imported = import_weights(path, layout=layout)
    assert imported.layout_used == layout and imported.channels == (3 if depth else 1)
    assert [f.name for f in imported.filters] == [f"conv {i}" for i in range(1, 6)]
    for ours, theirs in zip(bank.filters, imported.filters, strict=True):
        np.testing.assert_array_equal(ours.kernel, theirs.kernel)
        assert ours.bias == theirs.bias
    assert os.listdir(tmp_path) == ["w.npz"]


def test_exported_arrays_have_each_frameworks_layout_and_names(tmp_path):
    bank = _bank(depth=True)
    export_weights(bank, tmp_path / "k.npz", layout="keras")
    export_weights(bank, tmp_path / "t.npz", layout="pytorch")
    with np.load(tmp_path / "k.npz") as k, np.load(tmp_path / "t.npz") as t:
        assert k["kernel"].shape == (3, 3, 3, 5) and t["weight"].shape == (5, 3, 3, 3)
        assert k["kernel"].dtype == t["weight"].dtype == np.float32
        np.testing.assert_array_equal(k["kernel"][:, :, :, 2], bank.filters[2].kernel)
        np.testing.assert_array_equal(t["weight"][2], bank.filters[2].kernel.transpose(2, 0, 1))
        np.testing.assert_array_equal(k["bias"], t["bias"])


def test_npy_export_keeps_weights_only_and_says_so(tmp_path):
    notes = export_weights(_bank(depth=False), tmp_path / "w.npy", layout="keras")
    assert notes == ["A .npy file holds no biases; save as .npz to keep them."]
    assert np.load(tmp_path / "w.npy").shape == (3, 3, 1, 5)
    imported = import_weights(tmp_path / "w.npy", layout="keras")
    assert all(f.bias == 0 for f in imported.filters)
    assert imported.messages == ()


def test_plain_kernels_exported_with_three_channels_act_as_in_depth_mode(tmp_path):
    bank = _bank(depth=False)
    export_weights(bank, tmp_path / "w.npz", layout="pytorch", channels=3)
    imported = import_weights(tmp_path / "w.npz")
    image = rng.random((9, 10, 3)).astype(np.float32)
    for plain, deep in zip(bank.filters, imported.filters, strict=True):
        assert deep.kernel.shape == (3, 3, 3)
        np.testing.assert_array_equal(deep.kernel, np.repeat(plain.kernel[:, :, None], 3, 2))
        np.testing.assert_allclose(
            apply_filter(image, deep.kernel, channel_mode="depth"),
            apply_filter(image, plain.kernel, channel_mode="depth"), rtol=0, atol=1e-5)


def test_depth_kernels_exported_with_one_channel_are_summed(tmp_path):
    bank = _bank(depth=True)
    notes = export_weights(bank, tmp_path / "w.npz", layout="keras", channels=1)
    assert notes == ["Depth kernels were summed over their channels, as grey mode applies them."]
    imported = import_weights(tmp_path / "w.npz")
    np.testing.assert_allclose(imported.filters[0].kernel, bank.filters[0].kernel.sum(axis=2),
                               rtol=1e-6)


# ----------------------------------------------------------------------------------------------
# Layout guessing


@pytest.mark.parametrize(
    ("shape", "layout"),
    [
        ((3, 3, 3, 64), "keras"),
        ((7, 7, 3, 64), "keras"),
        ((3, 3, 1, 3), "keras"),
        ((64, 3, 7, 7), "pytorch"),
        ((96, 3, 11, 11), "pytorch"),
        ((8, 1, 5, 5), "pytorch"),
        ((3, 5, 1, 8), "keras"),  # non-square, but only one reading fits
    ],
)
def test_layout_is_guessed_when_only_one_reading_makes_sense(shape, layout):
    assert guess_layout(shape) == layout


@pytest.mark.parametrize("shape", [(3, 3, 3, 3), (1, 1, 3, 3), (1, 3, 1, 3)])
def test_ambiguous_shapes_ask_the_user(tmp_path, shape):
    np.save(tmp_path / "w.npy", rng.normal(size=shape))
    with pytest.raises(AmbiguousLayout) as info:
        import_weights(tmp_path / "w.npy")
    assert str(info.value) == (
        f"The weights have shape {shape}, which reads both as Keras (kh, kw, C_in, F) and as "
        "PyTorch (F, C_in, kh, kw); choose the layout they were saved in."
    )
    assert isinstance(info.value, ValueError)


def test_an_ambiguous_file_reads_both_ways_once_the_user_chooses(tmp_path):
    w = rng.normal(size=(3, 3, 3, 3))
    np.save(tmp_path / "w.npy", w)
    keras = import_weights(tmp_path / "w.npy", layout="keras")
    torch = import_weights(tmp_path / "w.npy", layout="pytorch")
    np.testing.assert_array_equal(keras.filters[1].kernel, w[:, :, :, 1].astype(np.float32))
    np.testing.assert_array_equal(torch.filters[1].kernel,
                                  w[1].transpose(1, 2, 0).astype(np.float32))


# ----------------------------------------------------------------------------------------------
# What a file may hold


def test_more_than_sixteen_filters_imports_the_first_sixteen(tmp_path):
    w = rng.normal(size=(64, 3, 7, 7))
    b = rng.normal(size=64)
    np.savez(tmp_path / "resnet.npz", **{"conv1.weight": w, "conv1.bias": b, "fc.weight":
                                         rng.normal(size=(10, 64))})
    imported = import_weights(tmp_path / "resnet.npz")
    assert len(imported.filters) == 16 and imported.filters[-1].name == "conv 16"
    assert imported.messages == (
        "Read the weights 'conv1.weight' and the bias 'conv1.bias' from resnet.npz.",
        "The file holds 64 filters; the first 16 were imported.",
    )
    np.testing.assert_array_equal(imported.filters[15].kernel,
                                  w[15].transpose(1, 2, 0).astype(np.float32))
    assert imported.filters[15].bias == pytest.approx(b[15], rel=1e-6)


def test_npz_names_positional_and_first_four_dimensional_array(tmp_path):
    w = rng.normal(size=(5, 5, 3, 2))
    np.savez(tmp_path / "pos.npz", w, np.array([1.0, 2.0]))
    assert [f.bias for f in import_weights(tmp_path / "pos.npz").filters] == [1.0, 2.0]
    np.savez(tmp_path / "model.npz", **{"features.0.weight": w, "features.0.bias": np.ones(2),
                                        "classifier": np.zeros(3)})
    imported = import_weights(tmp_path / "model.npz")
    assert imported.messages[0] == ("Read the weights 'features.0.weight' and the bias "
                                    "'features.0.bias' from model.npz.")
    np.savez(tmp_path / "tf.npz", **{"conv2d/kernel:0": w})
    assert import_weights(tmp_path / "tf.npz").messages[0] == (
        "Read the weights 'conv2d/kernel:0' (no bias found) from tf.npz.")


def _save(path, **arrays):
    if str(path).endswith(".npy"):
        np.save(path, arrays["w"])
    else:
        np.savez(path, **arrays)
    return path


BAD_FILES = [
    ("w.npy", {"w": rng.normal(size=(3, 3, 2, 8))},
     "These weights take 2 input channels; Filter Studio reads 1 (grey) or 3 (RGB)."),
    ("w.npy", {"w": rng.normal(size=(17, 17, 3, 8))},
     ("The weights have shape (17, 17, 3, 8), which reads neither as Keras (kh, kw, C_in, F) "
      "nor as PyTorch (F, C_in, kh, kw) first-layer weights with kernels up to 15x15.")),
    ("w.npy", {"w": rng.normal(size=(3, 3, 3))},
     "The weights have shape (3, 3, 3); first-layer weights have 4 dimensions."),
    ("w.npy", {"w": np.zeros((3, 3, 3, 0))},
     "The weights have shape (3, 3, 3, 0), which holds no filter."),
    ("w.npy", {"w": np.full((5, 5, 3, 2), np.nan)},
     "The weights hold a value that is not a finite 32-bit number."),
    ("w.npy", {"w": np.full((5, 5, 3, 2), 1e300)},
     "The weights hold a value that is not a finite 32-bit number."),
    ("w.npy", {"w": np.zeros((5, 5, 3, 2), complex)},
     "w.npy holds complex128 values, not real numbers."),
    ("w.npy", {"w": np.array([{"a": 1}], dtype=object)}, "w.npy holds object values, not real numbers."),
    ("w.npz", {"fc": np.zeros((4, 4))}, "w.npz holds no 4-D weight array (it holds 'fc')."),
    ("w.npz", {"weight": rng.normal(size=(8, 3, 5, 5)), "bias": np.zeros(3)},
     "The bias has shape (3), but there are 8 filters."),
    ("w.npz", {"weight": rng.normal(size=(8, 3, 5, 5)), "bias": np.full(8, np.inf)},
     "The biases hold a value that is not a finite 32-bit number."),
]


@pytest.mark.parametrize(("name", "arrays", "message"), BAD_FILES,
                         ids=[m[:50] for _, _, m in BAD_FILES])
def test_each_bad_weights_file_says_what(tmp_path, name, arrays, message):
    if arrays["w" if "w" in arrays else next(iter(arrays))].dtype == object:
        np.save(tmp_path / name, arrays["w"], allow_pickle=True)
    else:
        _save(tmp_path / name, **arrays)
    with pytest.raises(WeightsError) as info:
        import_weights(tmp_path / name, layout="auto")
    assert str(info.value) == message


def test_an_explicit_layout_still_checks_the_kernel_size(tmp_path):
    np.save(tmp_path / "w.npy", np.zeros((17, 17, 3, 2)))
    with pytest.raises(WeightsError) as info:
        import_weights(tmp_path / "w.npy", layout="keras")
    assert str(info.value) == "The kernels are 17x17; Filter Studio shows kernels up to 15x15."


def test_unreadable_missing_and_wrongly_named_files(tmp_path):
    (tmp_path / "w.npy").write_bytes(b"not numpy at all")
    with pytest.raises(WeightsError, match=r"^w\.npy is not a readable NumPy \.npy file\.$"):
        import_weights(tmp_path / "w.npy")
    (tmp_path / "w.npz").write_bytes(b"PK\x03\x04 broken zip")
    with pytest.raises(WeightsError, match=r"^w\.npz is not a readable NumPy \.npz file\.$"):
        import_weights(tmp_path / "w.npz")
    with pytest.raises(WeightsError, match=r"^The file gone\.npy was not found\.$"):
        import_weights(tmp_path / "gone.npy")
    with pytest.raises(WeightsError, match=r"^Weights are read from \.npy or \.npz files, not "):
        import_weights(tmp_path / "w.h5")
    with pytest.raises(WeightsError, match=r"^Unknown layout 'tf'; choose keras, pytorch, auto\.$"):
        import_weights(tmp_path / "w.npy", layout="tf")


def test_export_refuses_what_one_array_cannot_hold(tmp_path):
    mixed = Bank((Filter("a", np.ones((3, 3))), Filter("b", np.ones((5, 5)))))
    with pytest.raises(WeightsError) as info:
        export_weights(mixed, tmp_path / "w.npz", layout="keras")
    assert str(info.value) == ("All filters must have one size to be saved as one weight array; "
                               "this bank has 3x3 and 5x5.")
    with pytest.raises(WeightsError, match=r"^The bank has no filters to export\.$"):
        export_weights(Bank(), tmp_path / "w.npz", layout="keras")
    with pytest.raises(WeightsError, match=r"^Unknown layout 'auto'; choose keras, pytorch\.$"):
        export_weights(_bank(False), tmp_path / "w.npz", layout="auto")
    with pytest.raises(WeightsError, match=r"not w\.txt\.$"):
        export_weights(_bank(False), tmp_path / "w.txt", layout="keras")
    with pytest.raises(WeightsError, match=r"^Weights are exported with 1 or 3 input channels"):
        export_weights(_bank(False), tmp_path / "w.npz", layout="keras", channels=2)
    four = Bank((Filter("rgba", np.ones((3, 3, 4))),))
    with pytest.raises(WeightsError, match=r"4 channels"):
        export_weights(four, tmp_path / "w.npz", layout="keras")
    assert os.listdir(tmp_path) == []


def test_a_failed_export_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "w.npz"
    export_weights(_bank(False), path, layout="keras")
    before = path.read_bytes()

    def refuse(src, dst):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(WeightsError) as info:
        export_weights(_bank(True), path, layout="pytorch")
    assert str(info.value) == "The weights could not be saved to w.npz: Input/output error."
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["w.npz"]
    monkeypatch.undo()
    with pytest.raises(WeightsError, match=r"^w\.npz already exists"):
        export_weights(_bank(True), path, layout="pytorch", overwrite=False)
