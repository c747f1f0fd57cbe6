"""The application icon: drawn at every size, carried by the package, shown by the window."""

from __future__ import annotations

from PIL import Image
from PySide6.QtWidgets import QApplication

from filterstudio.gui.app import app_icon, create_app
from filterstudio.resources import ICON_SIZES, icon_files


def test_the_package_carries_the_icon_at_every_size():
    files = icon_files()
    assert [f.name for f in files] == [f"icon-{s}.png" for s in ICON_SIZES]
    for size, path in zip(ICON_SIZES, files):
        with Image.open(path) as im:
            assert im.size == (size, size) and im.mode == "RGBA"
            # Transparent outside the rounded square, opaque in the middle.
            assert im.getpixel((0, 0))[3] == 0
            assert im.getpixel((size // 2, size // 2))[3] == 255


def test_the_application_shows_the_icon_and_names_its_desktop_file(qtbot):
    app = create_app()
    assert app is QApplication.instance()
    icon = app.windowIcon()
    assert not icon.isNull()
    assert {s.width() for s in icon.availableSizes()} >= set(ICON_SIZES)
    assert app.desktopFileName() == "filterstudio"
    assert not app_icon().pixmap(16, 16).isNull()
