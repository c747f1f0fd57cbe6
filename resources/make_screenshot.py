"""Regenerate resources/screenshot.png, the first screen as a newcomer sees it.

Run under a display: ``xvfb-run -a -s "-screen 0 1920x1080x24" python resources/make_screenshot.py``
(an output path may be given). Settings are kept in a temporary folder, so the window opens as
on a fresh start: the starter filters on the sample photo, one map cell's sum shown.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings, QTimer

from filterstudio.gui.app import create_app
from filterstudio.gui.main_window import MainWindow

OUT = Path(__file__).with_name("screenshot.png")


def main() -> None:
    app = create_app()
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tempfile.mkdtemp())
    w = MainWindow()
    w.resize(1600, 950)
    w.move(0, 0)
    w.show()
    w.open_sample("photo")

    def shoot() -> None:
        w.wait_until_current(20)
        app.processEvents()
        # The strongest cell of the vertical-edge map's middle band: its sum and its window.
        strength = np.abs(w.map_values(1)).mean(axis=-1)
        band = strength[200:400]
        i, j = np.unravel_index(int(np.argmax(band)), band.shape)
        w.panel(1).view.hoveredCell.emit(int(i) + 200, int(j))
        app.processEvents()
        w.grab().save(str(sys.argv[1] if len(sys.argv) > 1 else OUT))
        w.controller.mark_clean()
        app.quit()

    QTimer.singleShot(1500, shoot)
    app.exec()


if __name__ == "__main__":
    main()
