"""Start-up costs: launch to first maps painted, and `filterstudio apply` against bare imports.

Run:  python benchmarks/bench_startup.py [--repeats N] [--cli-only]

The commands run interleaved, one of each per round, so that a busy spell on a shared machine
slows all of them alike; the figures are medians over the rounds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import os, sys, time
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PySide6.QtCore import QEvent, QObject, QTimer
from filterstudio.gui.app import create_app
from filterstudio.gui.main_window import MainWindow
app = create_app()
win = MainWindow()
win.resize(1600, 900)
win.show()
win.open_sample("photo")
class Painted(QObject):
    def eventFilter(self, obj, ev):
        if ev.type() == QEvent.Paint and win.is_current():
            print("painted", flush=True)
            os._exit(0)
        return False
watch = Painted()
for i in range(len(win.bank.filters)):
    win.panel(i).view.viewport().installEventFilter(watch)
def check():
    if win.is_current():
        for i in range(len(win.bank.filters)):
            win.panel(i).view.viewport().update()
t = QTimer(); t.timeout.connect(check); t.start(5)
app.exec()
"""


def timed(cmd: list[str], env=None) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - t


def _spread(times: list[float]) -> str:
    """The middle half of the times, in ms: how noisy the machine was."""
    if len(times) < 2:
        return ""
    q1, _, q3 = statistics.quantiles(times, n=4)
    return f"(middle half {q1 * 1000:.0f}-{q3 * 1000:.0f} ms)"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument(
        "--cli-only",
        action="store_true",
        help="time only 'filterstudio apply' against the bare imports (no window is launched)",
    )
    args = ap.parse_args()
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    py = sys.executable

    with tempfile.TemporaryDirectory() as tmp:
        import numpy as np
        from PIL import Image

        src = Path(tmp) / "small.png"
        Image.fromarray(
            (np.random.default_rng(0).random((240, 320, 3)) * 255).astype("uint8")
        ).save(src)
        out = Path(tmp) / "out.png"
        apply_cmd = [
            py,
            "-m",
            "filterstudio",
            "apply",
            str(src),
            str(out),
            "--kernel",
            "sobel_x",
            "--force",
        ]
        imports_cmd = [py, "-c", "import numpy, cv2, PIL"]
        gui_cmd = [py, "-c", CHILD]
        timed(apply_cmd)  # warm the file cache once
        timed(imports_cmd)
        a, b, g = [], [], []
        for _ in range(args.repeats):
            a.append(timed(apply_cmd))
            b.append(timed(imports_cmd))
            if not args.cli_only:
                g.append(timed(gui_cmd, env))
    ma, mb = statistics.median(a), statistics.median(b)
    if g:
        mg = statistics.median(g)
        print(f"launch to first maps painted (offscreen): median {mg:.2f} s  (target <= 2 s)")
    print(f"filterstudio apply, small image:          median {ma * 1000:.0f} ms  {_spread(a)}")
    print(f"python -c 'import numpy, cv2, PIL':        median {mb * 1000:.0f} ms  {_spread(b)}")
    print(f"ratio apply / bare imports:               {ma / mb:.2f}x  (target <= 1.5x)")
    note = ""
    if sys.flags.dont_write_bytecode:
        # No .pyc is written, so every run compiles the package's modules from source again.
        note = "; PYTHONDONTWRITEBYTECODE is set: no bytecode cache for the package"
    print(f"({args.repeats} rounds{note})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
