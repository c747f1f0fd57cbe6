"""The Camera menu: the cameras OpenCV finds, probed off the GUI thread when the menu opens.

Probing opens devices, which can take seconds (media.camera.list_cameras gives up at a deadline),
so it runs as a background task while the menu says "Looking for cameras…"; the entries appear
when it ends, in the open menu. The answer is kept for a few seconds, so opening the menu again
at once does not probe again. With no camera the menu holds one disabled entry saying so.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from .tasks import TaskHandle, start_task

#: How long a probe's answer is kept before opening the menu probes again, in seconds.
REFRESH_SECONDS = 5.0
NO_CAMERA = "No camera found"
LOOKING = "Looking for cameras…"


def _probe(_control) -> list:
    from ..media.camera import list_cameras

    return list_cameras()


class CameraMenu(QObject):
    """Fills ``menu`` with the cameras found; choosing one calls ``open_camera(index, name)``.

    Signals
    -------
    listed(list)
        A probe ended with these cameras (``CameraInfo``: index, name), maybe none.
    """

    listed = Signal(object)

    def __init__(
        self,
        menu: QMenu,
        open_camera: Callable[[int, str], object],
        parent: QObject | None = None,
        probe: Callable = _probe,
    ) -> None:
        super().__init__(parent)
        self.menu = menu
        self._open_camera = open_camera
        self._probe = probe
        self._cameras: list | None = None
        self._probed_at = float("-inf")
        self._task: TaskHandle | None = None
        menu.aboutToShow.connect(self.refresh)
        self._fill()

    def cameras(self) -> list | None:
        """The cameras of the last probe (None before the first)."""
        return None if self._cameras is None else list(self._cameras)

    def entries(self) -> list[tuple[str, bool]]:
        """What the menu shows: ``(text, enabled)`` per entry."""
        return [(a.text(), a.isEnabled()) for a in self.menu.actions()]

    def is_probing(self) -> bool:
        return self._task is not None

    def refresh(self, *, force: bool = False) -> None:
        """Probe again unless a probe runs or one ended less than a few seconds ago."""
        if self._task is not None:
            return
        if not force and time.monotonic() - self._probed_at < REFRESH_SECONDS:
            return
        handle = start_task(self._probe, parent=self)
        self._task = handle
        handle.finished.connect(self._on_found)
        handle.failed.connect(lambda _exc: self._on_found([]))
        handle.cancelled.connect(lambda: self._on_found([]))
        self._fill()

    def _on_found(self, cameras) -> None:
        self._task = None
        self._probed_at = time.monotonic()
        self._cameras = list(cameras or [])
        self._fill()
        self.listed.emit(list(self._cameras))

    def _fill(self) -> None:
        menu = self.menu
        menu.clear()
        if self._task is not None and not self._cameras:
            self._disabled(LOOKING)
            return
        if not self._cameras:
            self._disabled(NO_CAMERA if self._cameras is not None else LOOKING)
            return
        for cam in self._cameras:
            act = QAction(f"{cam.name} (camera {cam.index})", menu)
            act.setToolTip(f"Show camera {cam.index}'s frames through every filter, live")
            act.triggered.connect(
                lambda _checked=False, i=cam.index, n=cam.name: self._open_camera(i, n)
            )
            menu.addAction(act)
        if self._task is not None:
            self._disabled(LOOKING)

    def _disabled(self, text: str) -> None:
        act = QAction(text, self.menu)
        act.setEnabled(False)
        self.menu.addAction(act)
