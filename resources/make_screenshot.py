"""Regenerate resources/screenshot.png: run under a display, e.g. xvfb-run python resources/make_screenshot.py resources/screenshot.png."""

import sys
from PySide6.QtCore import QTimer
from filterstudio.gui.app import create_app
from filterstudio.gui.main_window import MainWindow
app = create_app()
w = MainWindow(); w.resize(1600, 950); w.move(0, 0); w.show()
w.open_sample("photo")
def shoot():
    w.wait_until_current(20)
    w.set_layer(channel_mode="gray")
    w.controller.select(2)
    uid = w.bank.filters[2].uid
    w.controller.set_display("diverging", None, uid=uid)
    w.wait_until_current(20)
    app.processEvents()
    w._on_panel_hovered(uid, 180, 330)
    app.processEvents()
    w.grab().save(sys.argv[1])
    w.controller.mark_clean(); app.quit()
QTimer.singleShot(1500, shoot)
app.exec()
