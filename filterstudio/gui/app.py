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

    from ..core.heap import return_large_blocks

    return_large_blocks()  # maps dropped as settings change give their memory back at once
    app = QApplication.instance()
    if app is None:
        app = QApplication(argv if argv is not None else [sys.argv[0]])
    app.setOrganizationName("FilterStudio")
    app.setApplicationName("Filter Studio")
    app.setApplicationDisplayName("Filter Studio")
    # The taskbar matches the window to a desktop entry of this name (Wayland, GNOME, KDE).
    app.setDesktopFileName("filterstudio")
    app.setWindowIcon(app_icon())
    return app


def app_icon():
    """The application icon, every size the package carries (window and taskbar)."""
    from PySide6.QtGui import QIcon

    from ..resources import icon_files

    icon = QIcon()
    for path in icon_files():
        icon.addFile(str(path))
    return icon


def stop_cleanly_on_signals(app, window) -> None:
    """SIGTERM, SIGHUP or Ctrl+C close the window without a question and end the program.

    Temporary files of writes in progress are removed at once (what was being written is left
    as it was), then the window closes as it does from the menu: workers stop, threads are
    waited for. Python runs signal handlers only between its own instructions, so a timer
    gives it a moment now and then while Qt's event loop waits.
    """
    import signal

    from PySide6.QtCore import QTimer

    from ..core.atomic import remove_unfinished_writes

    def stop(signum: int, _frame) -> None:
        remove_unfinished_writes()
        QTimer.singleShot(0, window.close_without_asking)
        QTimer.singleShot(0, lambda: app.exit(128 + signum))

    for name in ("SIGTERM", "SIGHUP", "SIGINT"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), stop)
    tick = QTimer(app)
    tick.setObjectName("signalTick")
    tick.timeout.connect(lambda: None)
    tick.start(250)
    app.aboutToQuit.connect(remove_unfinished_writes)


def run_gui(path: str | None = None) -> int:
    """Open the studio on ``path`` (an image or a ``.fstudio`` session) or on the sample picture."""
    if not display_available():
        print(NO_DISPLAY_MESSAGE, file=sys.stderr)
        return 2
    from . import platform_check

    if platform_check.uses_xcb():
        missing = platform_check.missing_libraries()
        if missing:  # Qt would abort with a page of plugin diagnostics
            print(platform_check.missing_xcb_message(missing), file=sys.stderr)
            return 2
    try:
        app = create_app()
    except Exception as exc:  # noqa: BLE001 - a platform plugin failure must not be a traceback
        print(f"filterstudio: the window could not start ({exc}).", file=sys.stderr)
        return 2
    from ..core.imageio import quiet_decoder_logs
    from .collector import collect_cycles_in_pauses
    from .main_window import MainWindow

    quiet_decoder_logs()
    window = MainWindow()
    stop_cleanly_on_signals(app, window)
    # Edits and new maps put off the collector's full passes until the user pauses.
    collect_cycles_in_pauses(app, window.controller.bankChanged, window.controller.resultApplied)
    window.show()
    if path:
        window.open_at_start(path)
    else:
        window.open_sample("photo")
    return app.exec()
