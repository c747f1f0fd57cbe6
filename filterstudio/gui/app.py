"""Start the studio window: display checks, the QApplication, and the first picture."""

from __future__ import annotations

import os
import sys

NO_DISPLAY_MESSAGE = (
    "filterstudio: no display is available; run it on a desktop session, set "
    "QT_QPA_PLATFORM=offscreen to run without a screen, or use 'filterstudio apply' for headless work."
)


def display_available() -> bool:
    """Whether Qt can open a window here (a named display, or a non-screen platform chosen)."""
    if os.environ.get("QT_QPA_PLATFORM"):
        return True
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def create_app(argv: list[str] | None = None):
    """The QApplication, created once, with the names QSettings files are kept under."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        app = QApplication(argv if argv is not None else [sys.argv[0]])
    app.setOrganizationName("FilterStudio")
    app.setApplicationName("Filter Studio")
    app.setApplicationDisplayName("Filter Studio")
    return app


def run_gui(path: str | None = None) -> int:
    """Open the studio on ``path`` (an image or a ``.fstudio`` session) or on the sample picture."""
    if not display_available():
        print(NO_DISPLAY_MESSAGE, file=sys.stderr)
        return 2
    try:
        app = create_app()
    except Exception as exc:  # noqa: BLE001 - a platform plugin failure must not be a traceback
        print(f"filterstudio: the window could not start ({exc}).", file=sys.stderr)
        return 2
    from .main_window import MainWindow

    window = MainWindow()
    window.show()
    if path:
        window.open_at_start(path)
    else:
        window.open_sample("photo")
    return app.exec()
