"""Regenerate the Learn tab's pictures under a display:
xvfb-run -a -s "-screen 0 1920x1080x24" python resources/make_learn_screenshots.py [FOLDER]

Writes learn.png (gradient descent half-way to a hidden 5x5 kernel on the sample photo) and
learn_game.png (a guess at a mystery kernel, scored, then revealed).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QEventLoop

from filterstudio.gui.app import create_app
from filterstudio.gui.main_window import MainWindow


def save(widget, path: Path) -> None:
    """A grab of ``widget`` as a 256-colour PNG (dithered): a fifth of the size, alike to the eye."""
    full = path.with_suffix(".full.png")
    widget.grab().save(str(full))
    image = Image.open(full).convert("RGB")
    image.quantize(256, Image.Quantize.FASTOCTREE, dither=Image.Dither.FLOYDSTEINBERG).save(
        path, optimize=True
    )
    full.unlink()


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    app = create_app()
    w = MainWindow()
    w.resize(1600, 950)
    w.move(0, 0)
    w.show()

    def run(until, seconds: float = 60.0) -> None:
        end = time.monotonic() + seconds
        while not until() and time.monotonic() < end:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)

    def settle(seconds: float) -> None:
        end = time.monotonic() + seconds
        run(lambda: time.monotonic() > end, seconds + 1)

    w.open_sample("photo")
    run(lambda: w.controller.image is not None)
    w.wait_until_current()
    learn = w.learn
    learn.show(0)
    ready: list = []
    learn.targetReady.connect(ready.append)
    learn.set_target_mystery(seed=16, size=5)
    run(lambda: ready)
    learn.set_speed(10)
    learn.start_descent()
    run(lambda: learn.step_count() >= 45)
    learn.pause()
    settle(0.5)
    save(w, out / "learn.png")

    game = learn.game
    learn.show(1)
    rounds: list = []
    game.roundReady.connect(rounds.append)
    game.new_round(seed=12, size=3)  # an edge detector on a mid-grey offset
    run(lambda: rounds)
    checked: list = []
    game.checked.connect(checked.append)
    # A fair first guess: bright above, dark below, on mid-grey.
    game.page.set_guess(np.array([[0.3, 0.3, 0.3], [0, 0, 0], [-0.3, -0.3, -0.3]]), 0.5)
    game.check()
    run(lambda: checked)
    game.reveal()
    settle(0.5)
    save(w, out / "learn_game.png")
    w.controller.mark_clean()
    w.close()


if __name__ == "__main__":
    main()
