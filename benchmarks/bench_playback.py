"""The studio playing a 720p clip through four filters, beside the engine's limit for that work.

Run:  python benchmarks/bench_playback.py [--repeats N] [--seconds S] [--slots N]

The clip (1280 x 720, MPEG-4, at 60 frames/s: a rate real clips have, above what this work
allows on a small machine, so the clip's own rate does not hold the playback back) is generated
first; the four filters are bench_video's (3x3 Sobel, dense 5x5,
dense 7x7, 7x7 Gaussian), colour per channel, "valid", maps shown through ``abs``. The real main
window (offscreen, 1920 x 1080) opens it through its scripting surface (``open_video``) and
plays for ``--seconds``, looping at the end, ``--repeats`` times. Printed, medians over repeats:

* frames shown per second: frames whose four maps were all shown (computed, display copies
  made, handed to their panels), counted by the window itself (``frames_shown``);
* the engine's own limit for that work: 1 / the time of the four convolutions alone per frame
  (bench_video's ``convolve only``), measured in this process between the repeats;
* the compute thread's work alone: the four maps as the studio asks for them
  (``process_request``: convolution, 8-bit display copy and statistics), one after another;
* the GUI thread's CPU time per frame shown (its own work: handing frames and maps to the
  views, layout, painting), which the load of other programs hardly moves;
* the longest event-loop stall (how late a 5 ms timer fired, as bench_live measures it; the
  target is none over 50 ms) and the frames dropped (read, never shown with all their maps).

On a shared machine the frame rates move with the load; the ratios between rows taken in the
same round mean more than any one figure.
"""

from __future__ import annotations

import argparse
import atexit
import cProfile
import os
import platform
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The window as at a first run: a dock arrangement saved by an earlier run (or anything else on
# this account) would change the panels' sizes, and with them the work of every frame.
os.environ["XDG_CONFIG_HOME"] = _settings = tempfile.mkdtemp(prefix="bench-playback-settings-")
atexit.register(shutil.rmtree, _settings, True)
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from bench_live import StallMeter  # noqa: E402
from bench_video import HEIGHT, WIDTH, bank_filters, convolve_seconds, decoded_frames, make_clip  # noqa: E402
from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402

from filterstudio.gui.app import create_app  # noqa: E402
from filterstudio.gui.main_window import MainWindow  # noqa: E402
from filterstudio.model.bank import Bank, Filter, Layer  # noqa: E402

CLIP_FPS = 60.0


def run_events(seconds: float) -> None:
    """Run the event loop for ``seconds`` (a real loop: the window works as for a user)."""
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def play_once(
    win: MainWindow, clip: Path, seconds: float, profile: cProfile.Profile | None = None
) -> dict[str, float]:
    """Open ``clip``, play ``seconds`` (looping), and read the window's counters; ``profile``
    (timed by the GUI thread's CPU clock) runs meanwhile if given."""
    assert win.open_video(clip), "the clip did not open"
    run_events(0.5)  # the first frames: panels laid out, display copies sized
    win.playback.seek(0)
    win.play()
    shown0, dropped0 = win.frames_shown(), win.frames_dropped()
    meter = StallMeter()
    restarts = QTimer()
    restarts.setInterval(50)
    restarts.timeout.connect(lambda: win.playback.has_ended() and win.play())
    restarts.start()
    meter.start()
    t0, cpu0 = time.perf_counter(), time.thread_time()
    if profile is not None:
        profile.enable()
    run_events(seconds)
    if profile is not None:
        profile.disable()
    elapsed, cpu = time.perf_counter() - t0, time.thread_time() - cpu0
    meter.stop()
    restarts.stop()
    shown = win.frames_shown() - shown0
    out = {
        "shown_rate": shown / elapsed,
        "gui_ms": 1000 * cpu / max(shown, 1),
        "dropped": win.frames_dropped() - dropped0,
        "stall": meter.worst,
    }
    win.close_video()
    return out


def worker_seconds(win: MainWindow, frames: list[np.ndarray], repeats: int) -> float:
    """Seconds per frame of the compute thread's work for the four maps, done here in turn."""
    from bench_video import per_frame

    from filterstudio.compute.process import MapCache, process_request
    from filterstudio.compute.requests import ComputeRequest
    from filterstudio.model.studio import make_image_state

    cache = MapCache()
    bank, side = win.bank, win.controller.max_display_side
    states = [make_image_state(f, "frame", frame=i) for i, f in enumerate(frames)]

    def four_maps(state) -> None:
        for f in bank.filters:
            process_request(
                ComputeRequest(
                    generation=1, uid=f.uid, image_key=state.key, image=state.pixels, flt=f,
                    layer=bank.layer, mapping="abs", max_display_side=side, may_preview=False,
                ),
                cache,
            )  # fmt: skip

    return per_frame(four_maps, states, repeats)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--slots", type=int, default=0, metavar="N",
                    help="also play a round under cProfile and print the N functions of the GUI "
                         "thread that take the most CPU time per frame shown")  # fmt: skip
    args = ap.parse_args()
    app = create_app()
    win = MainWindow()
    win.resize(1920, 1080)
    win.show()
    app.processEvents()
    filters = bank_filters()
    win.controller.load_state(
        Bank(tuple(Filter(f["name"], np.array(f["kernel"], np.float32)) for f in filters), Layer())
    )
    win.controller.set_display("abs")
    rows: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        clip = Path(tmp) / "clip.mp4"
        make_clip(clip, 240, fps=CLIP_FPS)  # 4 s, looped
        frames = decoded_frames(clip, 12)
        for _ in range(args.repeats):
            row = play_once(win, clip, args.seconds)
            row["engine"] = 1 / convolve_seconds(frames, filters, 3)
            row["worker"] = 1 / worker_seconds(win, frames, 3)
            rows.append(row)
            print(
                f"  round: shown {row['shown_rate']:.1f} frames/s, engine limit "
                f"{row['engine']:.1f}, compute thread alone {row['worker']:.1f}, stall "
                f"{row['stall']:.0f} ms, dropped {row['dropped']:.0f}, GUI thread "
                f"{row['gui_ms']:.0f} ms CPU per frame shown",
                flush=True,
            )
        slots = profiled_slots(win, clip, args.seconds, args.slots) if args.slots else []
    med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
    ratio = statistics.median(r["shown_rate"] / r["engine"] for r in rows)
    ratio_w = statistics.median(r["shown_rate"] / r["worker"] for r in rows)
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {sys.version.split()[0]}"
    )
    print(
        f"{WIDTH} x {HEIGHT} clip at {CLIP_FPS:g} frames/s, four filters (3x3, 5x5, 7x7, 7x7 "
        f"Gaussian), colour, valid, display abs; window 1920 x 1080 offscreen; "
        f"{args.repeats} rounds of {args.seconds:g} s (medians)"
    )
    print(f"frames shown per second (all four maps):   {med['shown_rate']:6.1f}")
    print(f"engine limit (four convolutions alone):     {med['engine']:6.1f}   "
          f"shown / limit {ratio:.0%}")  # fmt: skip
    print(f"compute thread's work alone (maps, copies): {med['worker']:6.1f}   "
          f"shown / that {ratio_w:.0%}")  # fmt: skip
    print(f"longest event-loop stall:                   {med['stall']:6.0f} ms "
          f"(worst round {max(r['stall'] for r in rows):.0f} ms; target: none over 50 ms)")  # fmt: skip
    print(f"frames dropped per round:                   {med['dropped']:6.0f}")
    print(f"GUI thread's CPU time per frame shown:      {med['gui_ms']:6.1f} ms")
    for line in slots:
        print(line)
    win.controller.mark_clean()
    win.close()
    return 0


def profiled_slots(win: MainWindow, clip: Path, seconds: float, n: int) -> list[str]:
    """One more round under cProfile on the GUI thread's CPU clock: where its time goes."""
    profile = cProfile.Profile(time.thread_time)
    row = play_once(win, clip, seconds, profile)
    frames = max(1.0, row["shown_rate"] * seconds)
    stats = pstats.Stats(profile).stats  # {(file, line, name): (cc, nc, tt, ct, callers)}
    ours = [(ct, nc, key) for key, (_cc, nc, _tt, ct, _callers) in stats.items()
            if "filterstudio" in key[0] and key[2] != "<module>"]  # fmt: skip
    lines = [f"GUI thread, one more round under cProfile ({frames:.0f} frames shown; the profiler "
             f"adds time of its own): CPU ms per frame shown, calls per frame, function"]  # fmt: skip
    for ct, nc, (path, line, name) in sorted(ours, reverse=True)[:n]:
        where = f"{Path(path).parent.name}/{Path(path).name}:{line}"
        lines.append(f"  {1000 * ct / frames:7.2f} {nc / frames:6.1f}  {name} ({where})")
    return lines


if __name__ == "__main__":
    raise SystemExit(main())
