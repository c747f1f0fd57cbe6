"""Regenerate resources/insight.png under a display: xvfb-run python resources/make_insight_screenshot.py OUT.png

The left column of the window (the kernel editor and the Kernel Insight panel for sobel_x) beside
the Copy as Code dialog for the same filter.
"""

from __future__ import annotations

import sys

from PIL import Image
from PySide6.QtCore import QBuffer, QIODevice, QTimer

from filterstudio.gui.app import create_app
from filterstudio.gui.main_window import MainWindow


def _pil(pixmap) -> Image.Image:
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    pixmap.save(buffer, "PNG")
    from io import BytesIO

    return Image.open(BytesIO(bytes(buffer.data()))).convert("RGB")


def main() -> None:
    app = create_app()
    w = MainWindow()
    w.resize(1500, 900)
    w.move(0, 0)
    w.show()
    w.open_sample("photo")

    def shoot() -> None:
        w.wait_until_current(20)
        w.controller.select(2)  # sobel_x
        w.show_insight()
        while not w.insight.is_current():
            app.processEvents()
        for _ in range(20):
            app.processEvents()
        left = w.filters_dock.geometry().united(w.insight_dock.geometry())
        column = _pil(w.grab(left))
        dialog = w.copy_code_dialog()
        dialog.set_library("opencv")
        dialog.resize(dialog.sizeHint().width(), column.height)
        for _ in range(20):
            app.processEvents()
        code = _pil(dialog.grab())
        dialog.close()
        gap = 16
        size = (column.width + gap + code.width, max(column.height, code.height))
        out = Image.new("RGB", size, (239, 239, 239))
        out.paste(column, (0, 0))
        out.paste(code, (column.width + gap, 0))
        out.save(sys.argv[1] if len(sys.argv) > 1 else "insight.png", optimize=True)
        w.controller.mark_clean()
        app.quit()

    QTimer.singleShot(1500, shoot)
    app.exec()


if __name__ == "__main__":
    main()
