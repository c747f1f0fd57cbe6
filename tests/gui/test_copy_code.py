"""Filters > Copy as Code: the copied program, run on the studio's picture, gives the map shown."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication

from filterstudio.core.kernels import PRESETS

LIBRARIES = ["numpy", "scipy", "opencv"] + (
    ["pytorch"] if importlib.util.find_spec("torch") is not None else []
)
WAIT_MS = 10_000

# (layer settings, filter index, kernel or None, bias, activation, grey picture)
CONFIGURATIONS = {
    "colour": (dict(), 2, None, 0.0, "none", False),
    "grey stride same reflect relu": (
        dict(channel_mode="gray", stride=2, padding="same", border="reflect"),
        3, None, 0.25, "relu", False,
    ),
    "depth full edge": (
        dict(channel_mode="depth", padding="full", border="edge"),
        0, np.random.default_rng(5).standard_normal((3, 3, 3)), -0.5, "abs", False,
    ),
    "colour 5x5 wrap stride dilation": (
        dict(stride=(1, 2), padding=(2, 1), border="wrap", dilation=2),
        1, PRESETS["laplacian_of_gaussian"].kernel, 0.0, "relu", False,
    ),
    "grey picture constant cval": (
        dict(padding="same", border="constant", cval=0.5),
        2, None, 1.0, "none", True,
    ),
    "depth on a grey picture": (
        dict(channel_mode="depth", stride=3),
        0, np.random.default_rng(6).standard_normal((3, 3, 3)), 0.0, "none", True,
    ),
}  # fmt: skip


def copied_code(window, qtbot, library: str) -> str:
    """Copy as Code through the menu command, the library box and the Copy button."""
    QGuiApplication.clipboard().clear()
    window.action("filters.copy_code").trigger()
    dialog = window.insight_presenter.dialog()
    assert dialog is not None and dialog.isVisible()
    dialog.set_library(library)
    qtbot.mouseClick(dialog.copy_button(), Qt.MouseButton.LeftButton)
    text = QGuiApplication.clipboard().text()
    assert text == dialog.code_text() and dialog.status_text().startswith("Copied ")
    dialog.close()
    return text


@pytest.mark.parametrize("config", list(CONFIGURATIONS))
def test_copied_code_gives_the_map_the_studio_shows(window, qtbot, config):
    layer, index, kernel, bias, activation, grey = CONFIGURATIONS[config]
    rng = np.random.default_rng(len(config))
    pixels = rng.random((19, 23) if grey else (19, 23, 3)).astype(np.float32)
    window.set_image_array(pixels, "noise")
    window.set_layer(**layer)
    if kernel is not None:
        window.set_kernel(index, kernel)
    window.controller.set_filter_fields(index, bias=bias, activation=activation)
    window.controller.select(index)
    assert window.wait_until_current()
    shown = window.map_values(index)
    picture = window.controller.image.pixels
    for library in LIBRARIES:
        code = copied_code(window, qtbot, library)
        namespace = {"image": picture}
        exec(compile(code, f"<{library}>", "exec"), namespace)  # noqa: S102 - the copied program
        out = namespace["out"]
        assert out.dtype == np.float32 and out.shape == shown.shape, code
        np.testing.assert_allclose(out, shown, rtol=0, atol=1e-4, err_msg=code)


def test_the_library_is_remembered_by_name(window, qtbot):
    copied_code(window, qtbot, "opencv")
    assert QSettings().value("copyCode/library") == "opencv"
    window.action("filters.copy_code").trigger()
    dialog = window.insight_presenter.dialog()
    assert dialog.library() == "opencv" and "import cv2" in dialog.code_text()
    dialog.close()
    QSettings().setValue("copyCode/library", "fortran")  # not a library: the first is shown
    dialog = window.copy_code_dialog()
    assert dialog.library() == "numpy"
    dialog.close()


def test_filter_code_is_on_the_scripting_surface(window):
    index = [f.name for f in window.bank.filters].index("sobel_x")
    code = window.filter_code(index, "scipy")
    assert "from scipy import ndimage" in code and "The 'sobel_x' map" in code
    with pytest.raises(ValueError, match="no filter 9"):
        window.filter_code(9, "numpy")
