"""Whether Qt's X11 (xcb) platform plugin can load here, and what to install when it cannot.

A bare Linux desktop may lack the X11 libraries Qt's xcb plugin is linked against; Qt then
prints a page of plugin diagnostics and aborts. Before the application object is made, each
library is loaded once (as the plugin would) and a missing one is named in one sentence with
the Debian and Ubuntu packages that hold it. Imports no Qt.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Mapping

__all__ = ["XCB_LIBRARIES", "can_load", "missing_libraries", "missing_xcb_message", "uses_xcb"]

#: What ``libqxcb.so`` and ``libQt6XcbQpa.so`` of Qt 6 load (``ldd``), beyond the C library,
#: with the Debian and Ubuntu package holding each.
XCB_LIBRARIES: dict[str, str] = {
    "libxcb.so.1": "libxcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libX11.so.6": "libx11-6",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libdbus-1.so.3": "libdbus-1-3",
}


def can_load(soname: str) -> bool:
    """Whether the shared library ``soname`` loads (as Qt's plugin would load it)."""
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def uses_xcb(environ: Mapping[str, str] | None = None, platform: str | None = None) -> bool:
    """Whether Qt will open its window through X11 (xcb) here.

    On Linux with an X display named, when no platform is chosen or ``xcb`` is; not in a
    Wayland session with no platform chosen, where Qt 6 takes its Wayland plugin first.
    """
    env = os.environ if environ is None else environ
    if not (platform or sys.platform).startswith("linux") or not env.get("DISPLAY"):
        return False
    chosen = env.get("QT_QPA_PLATFORM", "").strip()
    if chosen:
        return chosen.split(":", 1)[0].split(";", 1)[0] == "xcb"
    wayland = env.get("WAYLAND_DISPLAY") and env.get("XDG_SESSION_TYPE", "") == "wayland"
    return not wayland


def missing_libraries(probe: Callable[[str], bool] | None = None) -> list[str]:
    """The libraries of :data:`XCB_LIBRARIES` that do not load, in its order."""
    probe = probe or can_load
    return [name for name in XCB_LIBRARIES if not probe(name)]


def missing_xcb_message(missing: list[str]) -> str:
    """The one sentence for a window that cannot open because ``missing`` libraries are absent."""
    packages = " ".join(dict.fromkeys(XCB_LIBRARIES[name] for name in missing))
    return (
        f"filterstudio: the window cannot open because the X11 libraries {', '.join(missing)} "
        f"are missing; on Debian or Ubuntu install them with 'sudo apt install {packages}', or "
        "run 'filterstudio apply' for work without a window."
    )
