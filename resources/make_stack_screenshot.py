"""Regenerate resources/stack.png under a display: xvfb-run python resources/make_stack_screenshot.py OUT.png

The sample photo through conv (4 filters, ReLU) -> 2x2 max pool -> conv (4 filters reading the 4
pooled maps), every stage a row of panels, zoomed in on the tree with a stage-3 cell hovered: its
12 x 12 receptive field on the picture and the cells it reads in the stages before, and its sum
over the four maps under the picture.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QEventLoop, QTimer

from filterstudio.gui.app import create_app
from filterstudio.gui.main_window import MainWindow


def _settle(ms: int = 400) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def main() -> None:
    create_app()
    w = MainWindow()
    w.resize(1600, 940)
    w.move(0, 0)
    w.show()
    w.open_sample("photo")
    w.wait_until_current(60)
    w.set_layer(channel_mode="gray", padding="same")
    for i in range(len(w.bank.filters)):
        w.controller.set_filter_fields(i, activation="relu")
    w.select_stage(0)
    w.action("stack.add_pool").trigger()
    w.action("stack.add_conv").trigger()
    w.wait_until_current(60)
    _settle()
    for _ in range(5):
        w.sync.zoom_in_all()
    y, x = 300, 352  # the tree's crown
    w.input_panel.view.center_on_point(x, y)
    _settle()
    view = w.stage_panel(2, 0).view
    view.hoveredCell.emit(*view.map_geometry().cell_at(y, x))
    _settle()
    w.grab().save(sys.argv[1] if len(sys.argv) > 1 else "stack.png")
    w.controller.mark_clean()
    w.close()


if __name__ == "__main__":
    main()
