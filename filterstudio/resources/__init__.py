"""Files the installed package carries: the application icon, one PNG per size.

The PNGs are drawn by ``resources/make_icon.py`` in the source tree (run it again to change
them); they live here so that an installed studio finds them beside its code. No Qt.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["ICON_SIZES", "icon_files"]

#: The sizes the icon is drawn at, in pixels.
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)


def icon_files() -> list[Path]:
    """The icon's PNG files, smallest first (those present: an unbuilt tree may lack some)."""
    folder = resources.files(__name__)
    found = []
    for size in ICON_SIZES:
        entry = folder / f"icon-{size}.png"
        if entry.is_file():
            found.append(Path(str(entry)))
    return found
