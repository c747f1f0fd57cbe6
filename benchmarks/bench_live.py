"""Live latency of the real window: kernel edits at 30 Hz and stride changes, 12 MP and 1080p,
and a stack (conv 4 filters -> ReLU -> max pool 2 -> conv 4 filters) on a 12 MP photo.

Drives the main window offscreen through its scripting surface and prints, per picture size:
edit-to-repainted latency (median, p95), the longest event-loop stall (how late a 5 ms timer
fired), and peak RSS in MiB (the process's high-water mark so far: the cases run in order of
size, so the last row is the 16-filter peak). The stack case times an edit in stage 1 and one in the last
stage until every map of every stage is exact (and the first stage's first map repainted).
Each case builds its picture itself (nothing of the benchmark's own holds a second copy of it),
so the peak is what a photographer's studio holds. ``--repeats N`` runs every case N times and
prints the median of each figure (and the range); ``--cases`` picks cases by filter count or
size (``--cases 16`` for the 16-filter peak alone, in a fresh process).
Run:  python benchmarks/bench_live.py [--quick] [--stack-only] [--repeats N] [--cases 4,8,16,1080p]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from PySide6.QtCore import QElapsedTimer, QEvent, QEventLoop, QObject, QTimer  # noqa: E402

from filterstudio.core.kernels import random_kernel  # noqa: E402
from filterstudio.core.samples import load_sample  # noqa: E402
from filterstudio.gui.app import create_app  # noqa: E402
from filterstudio.gui.collector import collect_cycles_in_pauses  # noqa: E402
from filterstudio.gui.main_window import MainWindow  # noqa: E402
from filterstudio.model.bank import Bank, Filter, Layer  # noqa: E402


class StallMeter(QObject):
    """A 5 ms timer; its lateness is how long the GUI thread was busy elsewhere."""

    def __init__(self) -> None:
        super().__init__()
        self.timer = QTimer(self)
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)
        self.clock = QElapsedTimer()
        self.worst = 0.0
        self.last = None

    def start(self) -> None:
        self.worst, self.last = 0.0, None
        self.clock.start()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def _tick(self) -> None:
        now = self.clock.nsecsElapsed() / 1e6
        if self.last is not None:
            self.worst = max(self.worst, now - self.last - 5.0)
        self.last = now


class PaintWatcher(QObject):
    """Records when a panel's viewport paints after its map was replaced."""

    def __init__(self) -> None:
        super().__init__()
        self.armed_at: float | None = None
        self.generation = 0
        self.painted: list[tuple[float, int]] = []

    def eventFilter(self, obj, event):  # noqa: N802 - Qt's name
        if event.type() == QEvent.Paint and self.armed_at is not None:
            self.painted.append((time.perf_counter(), self.generation))
            self.armed_at = None
        return False


def photo(h: int, w: int) -> np.ndarray:
    return cv2.resize(load_sample("photo"), (w, h), interpolation=cv2.INTER_CUBIC).clip(0, 1)


def run_case(
    app,
    win: MainWindow,
    label: str,
    size: tuple[int, int],
    n_filters: int,
    edits: int,
    strides: int,
):
    sizes = [3, 5, 7, 7] * 4
    filters = [
        Filter(name=f"f{i} {sizes[i]}x{sizes[i]}", kernel=random_kernel(sizes[i], seed=i))
        for i in range(n_filters)
    ]
    win.controller.load_state(Bank(filters=tuple(filters), layer=Layer()))
    win.set_image_array(photo(*size), label)  # the window's copy is the only one kept
    assert win.wait_until_current(120), "maps never arrived"
    app.processEvents()

    uid = win.bank.filters[0].uid
    watcher = PaintWatcher()
    panel = win.panel(0)
    panel.view.viewport().installEventFilter(watcher)
    latencies: list[float] = []

    def on_result(res) -> None:
        if res.uid != uid:
            return
        watcher.armed_at = time.perf_counter()
        watcher.generation = res.generation

    win.controller.resultApplied.connect(on_result)
    meter = StallMeter()
    meter.start()
    rng = np.random.default_rng(7)
    base = win.bank.filters[0].kernel.copy()
    done = {"n": 0}
    gen_at_edit: list[tuple[float, int]] = []

    def edit() -> None:
        k = base.copy()
        k[1, 1] = float(rng.normal())
        t = time.perf_counter()
        win.set_kernel(0, k, tag="cell:1,1")
        gen_at_edit.append((t, win.controller.requested_generation(uid)))
        done["n"] += 1
        if done["n"] >= edits:
            timer.stop()
            loop.quit()

    timer = QTimer()
    timer.setInterval(33)
    timer.timeout.connect(edit)
    loop = QEventLoop()
    timer.start()
    loop.exec()  # a real event loop: a busy processEvents() loop would starve the worker
    t_last = gen_at_edit[-1][0]
    win.wait_until_current(60)
    full_after_last = (time.perf_counter() - t_last) * 1000
    for _ in range(20):
        app.processEvents()

    # Latency of an edit: from the edit to the first paint of a result of that edit or a newer
    # one (a result of an older edit painted meanwhile does not count).
    paints = sorted(watcher.painted)
    for t_edit, gen in gen_at_edit:
        after = [t for t, g in paints if t >= t_edit and g >= gen]
        if after:
            latencies.append((after[0] - t_edit) * 1000)

    stride_lat = []
    for s in range(strides):
        stride = 1 + (s % 3)
        t = time.perf_counter()
        win.set_stride(stride if stride != win.bank.layer.stride[0] else stride + 1)
        win.wait_until_current(60)
        app.processEvents()
        stride_lat.append((time.perf_counter() - t) * 1000)
    win.set_stride(1)
    win.wait_until_current(60)
    meter.stop()
    win.controller.resultApplied.disconnect(on_result)
    panel.view.viewport().removeEventFilter(watcher)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "case": label,
        "edit_median": statistics.median(latencies) if latencies else float("nan"),
        "edit_p95": float(np.percentile(latencies, 95)) if latencies else float("nan"),
        "stride_median": statistics.median(stride_lat),
        "full_after_last": full_after_last,
        "stall": meter.worst,
        "rss": rss,
    }


def run_stack_case(app, win: MainWindow, size: tuple[int, int], repeats: int) -> dict:
    """conv 4 (ReLU) -> max pool 2 -> conv 4 on ``pixels``: edits in stage 1 and in stage 3."""
    filters = tuple(
        Filter(f"c1 {i}", random_kernel(3, seed=i), activation="relu") for i in range(4)
    )
    win.controller.load_state(Bank(filters, Layer(channel_mode="gray", padding="same")))
    win.set_image_array(photo(*size), "stack")
    assert win.wait_until_current(120), "maps never arrived"
    win.add_stage("pool")
    win.add_stage("conv", count=4)
    assert win.wait_until_current(120), "stage maps never arrived"
    app.processEvents()
    meter = StallMeter()
    meter.start()
    rng = np.random.default_rng(3)
    timings: dict[str, list[float]] = {"stage 1": [], "stage 3": []}
    for _ in range(repeats):
        for label in timings:
            t = time.perf_counter()
            if label == "stage 1":
                k = random_kernel(3, seed=int(rng.integers(1 << 30)))
                win.set_kernel(0, k)
            else:
                k = rng.normal(0, 0.3, (3, 3, 4)).astype(np.float32)
                win.set_stage_kernel(2, 0, k)
            assert win.wait_until_current(120), "the stack never became current"
            timings[label].append((time.perf_counter() - t) * 1000)
            for _ in range(5):
                app.processEvents()
    meter.stop()
    out = {f"{label} median": statistics.median(v) for label, v in timings.items()}
    out["stall"] = meter.worst
    out["rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    while len(win.stack) > 1:
        win.remove_stage(len(win.stack) - 1)
    return out


def _median_row(runs: list[dict]) -> dict:
    """Each number the median over ``runs`` (peak RSS: the last, the process's high-water mark)."""
    out = dict(runs[0])
    for k, v in runs[0].items():
        if isinstance(v, float) and k != "rss":
            out[k] = statistics.median(r[k] for r in runs)
    out["rss"] = runs[-1]["rss"]
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="fewer edits")
    ap.add_argument("--stack-only", action="store_true", help="only the stack case")
    ap.add_argument("--repeats", type=int, default=1, help="run each case this many times")
    ap.add_argument("--cases", default="stack,4,1080p,8,16", help="which cases, comma-separated")
    args = ap.parse_args()
    wanted = set(args.cases.split(","))
    edits = 20 if args.quick else 60
    app = create_app()
    win = MainWindow()
    win.resize(1920, 1080)
    # As the studio runs: the cycle collector's full passes wait for pauses (gui/app.run_gui).
    collect_cycles_in_pauses(app, win.controller.bankChanged, win.controller.resultApplied)
    win.show()
    app.processEvents()
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}"
    )
    if "stack" in wanted or args.stack_only:
        runs = [
            run_stack_case(app, win, (3000, 4000), 3 if args.quick else 7)
            for _ in range(args.repeats)
        ]
        stack = _median_row(runs)
        print("stack, 12 MP grey: conv 4 x 3x3 same (ReLU) -> max pool 2 -> conv 4 x 3x3x4;")
        print("edit to every map of every stage exact at full resolution (median of repeats)")
        print(f"{'stage 1 edit':>14}{'stage 3 edit':>14}{'max stall':>11}{'peak RSS':>10}")
        print(
            f"{stack['stage 1 median']:>11.0f} ms{stack['stage 3 median']:>11.0f} ms"
            f"{stack['stall']:>8.0f} ms{stack['rss']:>6.0f} MiB"
        )
    if args.stack_only:
        win.controller.mark_clean()
        win.close()
        return 0
    cases = [
        ("4", "12 MP, 4 filters", (3000, 4000), 4, edits, 10),
        ("1080p", "1080p, 4 filters", (1080, 1920), 4, edits, 10),
        ("8", "12 MP, 8 filters", (3000, 4000), 8, edits // 2, 4),
        ("16", "12 MP, 16 filters", (3000, 4000), 16, edits // 2, 4),
    ]
    rows, spreads = [], []
    for key, *case in cases:
        if key in wanted:
            runs = [run_case(app, win, *case) for _ in range(args.repeats)]
            rows.append(_median_row(runs))
            spreads.append(runs)
    print(
        "edit = edit to repaint of that edit's map (or a newer one); full = last edit of the drag"
    )
    print("to every map exact at full resolution; stride = a stride change to every map exact;")
    print("max stall = the longest the event loop was kept from a 5 ms timer during the case")
    print(
        f"{'case':<20}{'edit median':>13}{'edit p95':>10}{'full':>9}{'stride med':>12}{'max stall':>11}{'peak RSS':>10}"
    )
    for r in rows:
        print(
            f"{r['case']:<20}{r['edit_median']:>10.0f} ms{r['edit_p95']:>7.0f} ms{r['full_after_last']:>6.0f} ms"
            f"{r['stride_median']:>9.0f} ms{r['stall']:>8.0f} ms{r['rss']:>6.0f} MiB"
        )
    if args.repeats > 1:
        print(f"over {args.repeats} repeats (median above), min-max of edit median and max stall:")
        for runs in spreads:
            em = [r["edit_median"] for r in runs]
            st = [r["stall"] for r in runs]
            print(
                f"{runs[0]['case']:<20}edit {min(em):.0f}-{max(em):.0f} ms, stall {min(st):.0f}-{max(st):.0f} ms"
            )
    win.controller.mark_clean()
    win.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
