"""The Learn tab on a 12 MP photo: descent steps per second, frames painted, event-loop stalls.

Drives the main window offscreen through its scripting surface (``win.learn``): a mystery
kernel's map of a 12 MP photo is lined up, solved at once, then descended as fast as the
machine goes and at 20 steps per second. Prints, per case, medians over the repeats of: steps
per second, frames pushed into the page per second, paints of the learned map and of the loss
curve per second, and the longest event-loop stall (how late a 5 ms timer fired, as
bench_live.py measures it, and its 99th percentile) while lining up, solving and descending.
The same meter over the window left idle for as long gives the machine's own floor: on a
shared, busy machine that floor is far from zero, and the descent's figures are read beside it.
Run:  python benchmarks/bench_learn.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from functools import partial

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from bench_live import StallMeter, photo  # noqa: E402
from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer  # noqa: E402

from filterstudio.gui.app import create_app  # noqa: E402
from filterstudio.gui.main_window import MainWindow  # noqa: E402


class Lateness(StallMeter):
    """bench_live's meter, keeping every lateness for a percentile."""

    def start(self) -> None:
        self.late: list[float] = []
        super().start()

    def _tick(self) -> None:
        now = self.clock.nsecsElapsed() / 1e6
        if self.last is not None:
            self.late.append(now - self.last - 5.0)
        super()._tick()

    def p99(self) -> float:
        return float(np.percentile(self.late, 99)) if self.late else 0.0


class PaintCounter(QObject):
    """Counts paint events of the widgets it watches."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, obj, event):  # noqa: N802 - Qt's name
        if event.type() == QEvent.Paint:
            self.count += 1
        return False


def run_until(signal, start, timeout: float = 300.0) -> float:
    """Call ``start`` and run the event loop until ``signal`` fires; seconds taken."""
    loop = QEventLoop()
    signal.connect(loop.quit)
    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(loop.quit)
    timer.start(int(timeout * 1000))
    t0 = time.perf_counter()
    start()
    loop.exec()
    signal.disconnect(loop.quit)
    return time.perf_counter() - t0


def spin_until(done, timeout: float = 60.0) -> None:
    """Run the event loop until ``done()`` (checked every 10 ms) or ``timeout`` seconds."""
    end = time.perf_counter() + timeout
    while not done() and time.perf_counter() < end:
        spin(0.01)


def spin(seconds: float) -> None:
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def descend(win: MainWindow, speed, seconds: float) -> dict:
    learn = win.learn
    page = learn.page
    maps, curves = PaintCounter(), PaintCounter()
    page.map_view.installEventFilter(maps)
    page.loss_curve.installEventFilter(curves)
    learn.set_speed(speed)
    learn.reset()
    spin_until(lambda: learn.step_count() == 0 and not learn.is_running())
    frames0, step0 = learn.frames_shown(), learn.step_count()
    meter = Lateness()
    meter.start()
    t0 = time.perf_counter()
    learn.start_descent()
    spin(seconds)
    elapsed = time.perf_counter() - t0
    steps, frames = learn.step_count() - step0, learn.frames_shown() - frames0
    learn.pause()
    meter.stop()
    page.map_view.removeEventFilter(maps)
    page.loss_curve.removeEventFilter(curves)
    return {
        "steps/s": steps / elapsed,
        "frames/s": frames / elapsed,
        "map paints/s": maps.count / elapsed,
        "curve paints/s": curves.count / elapsed,
        "stall": meter.worst,
        "p99": meter.p99(),
    }


def idle(seconds: float) -> dict:
    meter = Lateness()
    meter.start()
    spin(seconds)
    meter.stop()
    return {"stall": meter.worst, "p99": meter.p99()}


def run_case(win: MainWindow, size: int, seconds: float) -> dict:
    learn = win.learn
    meter = StallMeter()
    meter.start()
    line_up = run_until(learn.targetReady, lambda: learn.set_target_mystery(seed=5, size=size))
    line_up_stall = meter.worst
    meter.start()
    solve = run_until(learn.solved, learn.solve)
    solve_stall = meter.worst
    meter.stop()
    row = {"line up": line_up, "line up stall": line_up_stall, "solve": solve,
           "solve stall": solve_stall}  # fmt: skip
    fast = descend(win, None, seconds)
    paced = descend(win, 20, seconds)
    row.update({f"fast {k}": v for k, v in fast.items()})
    row.update({f"paced {k}": v for k, v in paced.items()})
    row.update({f"idle {k}": v for k, v in idle(seconds).items()})
    return row


def _median(rows: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in rows)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="one repeat, shorter runs")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    repeats = 1 if args.quick else args.repeats
    seconds = 3.0 if args.quick else 6.0
    app = create_app()
    win = MainWindow()
    win.resize(1920, 1080)
    win.show()
    app.processEvents()
    win.set_image_array(photo(3000, 4000), "12 MP photo")
    assert win.wait_until_current(300), "maps never arrived"
    win.learn.show(0)
    app.processEvents()
    cpu = platform.processor() or platform.machine()
    print(f"machine: {cpu}, {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(
        f"12 MP colour photo (4000x3000), medians of {repeats} repeats, {seconds:g} s of descent each"
    )
    print("stall = longest the event loop was kept from a 5 ms timer (bench_live.py's measure)")
    header = (f"{'kernel':<7}{'line up':>9}{'stall':>8}{'solve':>8}{'stall':>8}  |{'mode':>8}"
              f"{'steps/s':>9}{'frames/s':>10}{'map/s':>7}{'curve/s':>9}{'stall':>8}{'p99':>8}")  # fmt: skip
    print(header)
    for size in (3, 7):
        rows = [run_case(win, size, seconds) for _ in range(repeats)]
        med = partial(_median, rows)

        lead = (f"{size}x{size}{'':<4}{med('line up'):>7.2f} s{med('line up stall'):>5.0f} ms"
                f"{med('solve'):>6.2f} s{med('solve stall'):>5.0f} ms  |")  # fmt: skip
        for mode, label in (("fast", "fastest"), ("paced", "20/s"), ("idle", "idle")):
            figures = "".join(
                f"{med(f'{mode} {key}'):>{width}.1f}" if f"{mode} {key}" in rows[0] else " " * width
                for key, width in (("steps/s", 9), ("frames/s", 10), ("map paints/s", 7),
                                   ("curve paints/s", 9))
            )  # fmt: skip
            print(
                f"{lead if mode == 'fast' else ' ' * len(lead)}{label:>8}{figures}"
                f"{med(f'{mode} stall'):>5.0f} ms{med(f'{mode} p99'):>5.0f} ms"
            )
    win.controller.mark_clean()
    win.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
