"""Regenerate resources/screenshot.png under a display: xvfb-run python resources/make_screenshot.py OUT.png"""

from __future__ import annotations

import sys

from PySide6.QtCore import QTimer

from filterstudio.gui.app import create_app
from filterstudio.gui.main_window import MainWindow


def main() -> None:
    app = create_app()
    w = MainWindow()
    w.resize(1600, 950)
    w.move(0, 0)
    w.show()
    w.open_sample("photo")

    def shoot() -> None:
        w.wait_until_current(20)
        w.set_layer(channel_mode="gray")
        w.controller.select(2)
        uid = w.bank.filters[2].uid
        w.controller.set_display("diverging", None, uid=uid)
        w.wait_until_current(20)
        app.processEvents()
        w._on_panel_hovered(uid, 180, 330)  # show a cell's arithmetic and receptive field
        app.processEvents()
        w.grab().save(sys.argv[1] if len(sys.argv) > 1 else "screenshot.png")
        w.controller.mark_clean()
        app.quit()

    QTimer.singleShot(1500, shoot)
    app.exec()


if __name__ == "__main__":
    main()
