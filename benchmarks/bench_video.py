"""A 720p clip through four filters: `filterstudio apply --bank` against a hand-written OpenCV loop.

Run:  python benchmarks/bench_video.py [--repeats N] [--frames N]

The clip (1280 x 720, 100 frames, MPEG-4 in .mp4) is generated first. Four filters (3x3 Sobel,
dense 5x5, dense 7x7, 7x7 Gaussian), colour per channel, "valid", stride 1, 8-bit through
``abs``, one .mp4 per filter:

* ``filterstudio apply clip.mp4 maps/ --bank bank.json --display abs``: decode, filter and
  encode on three threads;
* the loop an OpenCV user writes: ``VideoCapture.read``, ``filter2D`` per filter on float32,
  crop to the valid region, ``convertScaleAbs(alpha=255)``, ``VideoWriter.write``, one thread.

Both run as whole processes, alternating, one of each per round; figures are medians. Then,
in this process, the limits of the work: frames per second of just the four convolutions
(``apply_filter`` on decoded 720p frames, what the studio's playback computes per frame), of
just decoding, and of just encoding four maps. The studio's playback benchmark prints its frame
rate beside the first.

On a shared machine the wall times say how much of the cores the runs were given; the CPU
times (user + system, from the kernel) say how much work each did, whatever the load.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

WIDTH, HEIGHT = 1280, 720

HAND_LOOP = r"""
import json, sys
import cv2
import numpy as np

clip, folder, bank = sys.argv[1], sys.argv[2], json.load(open(sys.argv[3]))
kernels = [np.array(f["kernel"], np.float32) for f in bank["filters"]]
cap = cv2.VideoCapture(clip)
fps = cap.get(cv2.CAP_PROP_FPS)
fourcc = cv2.VideoWriter_fourcc(*"mp4v")
writers = None
while True:
    ok, bgr = cap.read()
    if not ok:
        break
    x = bgr.astype(np.float32) / np.float32(255)
    maps = []
    for k in kernels:
        kh, kw = k.shape
        full = cv2.filter2D(x, -1, k, anchor=(0, 0), borderType=cv2.BORDER_CONSTANT)
        valid = full[: x.shape[0] - kh + 1, : x.shape[1] - kw + 1]
        maps.append(cv2.convertScaleAbs(valid, alpha=255))
    if writers is None:
        writers = [
            cv2.VideoWriter(f"{folder}/{f['name']}.mp4", fourcc, fps, m.shape[1::-1])
            for f, m in zip(bank["filters"], maps)
        ]
    for w, m in zip(writers, maps):
        w.write(m)
for w in writers:
    w.release()
"""


def make_clip(path: Path, frames: int, fps: float = 30) -> None:
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    base = np.stack([np.sin(x / 40), np.cos(y / 30), np.sin((x + y) / 55)], axis=2)
    writer = cv2.VideoWriter(str(path), cv2.CAP_FFMPEG, cv2.VideoWriter_fourcc(*"mp4v"), fps,
                             (WIDTH, HEIGHT))
    rng = np.random.default_rng(0)
    for i in range(frames):
        shift = np.roll(base, (i * 3, i * 5), axis=(0, 1))
        noise = rng.normal(0, 0.05, (HEIGHT, WIDTH, 1)).astype(np.float32)
        frame = np.clip((shift + noise) * 100 + 128, 0, 255).astype(np.uint8)
        writer.write(frame)
    writer.release()


def bank_filters() -> list[dict]:
    from filterstudio.core.kernels import get_preset, random_kernel

    gauss = cv2.getGaussianKernel(7, 1.5)
    return [
        {"name": "sobel_x", "kernel": get_preset("sobel_x").kernel.tolist()},
        {"name": "dense5", "kernel": random_kernel(5, seed=5).tolist()},
        {"name": "dense7", "kernel": random_kernel(7, seed=7).tolist()},
        {"name": "gauss7", "kernel": (gauss @ gauss.T).astype(np.float32).tolist()},
    ]


def timed(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds user + system) of one run of ``cmd``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def spread(times: list[float]) -> str:
    if len(times) < 2:
        return ""
    q1, _, q3 = statistics.quantiles(times, n=4)
    return f"(middle half {q1:.2f}-{q3:.2f} s)"


def first_frame(path: Path) -> np.ndarray:
    cap = cv2.VideoCapture(str(path))
    ok, frame = cap.read()
    cap.release()
    assert ok, path
    return frame


def decoded_frames(path: Path, n: int) -> list[np.ndarray]:
    from filterstudio.media.capture import VideoFileSource

    frames = []
    with VideoFileSource(path) as source:
        while len(frames) < n and (frame := source.read()) is not None:
            frames.append(frame.pixels)
    return frames


def per_frame(fn, items, repeats: int) -> float:
    """Median over ``repeats`` of the seconds ``fn`` takes per item of ``items``."""
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        for item in items:
            fn(item)
        times.append((time.perf_counter() - t) / len(items))
    return statistics.median(times)


def convolve_seconds(frames: list[np.ndarray], filters: list[dict], repeats: int) -> float:
    """Seconds per frame of the four convolutions alone (the engine's limit for this work)."""
    from filterstudio.core.pipeline import apply_filter, prepare_input

    kernels = [np.array(f["kernel"], np.float32) for f in filters]

    def convolve_only(pixels):
        src = prepare_input(pixels, "color")
        for k in kernels:
            apply_filter(src, k, prepared=True)

    return per_frame(convolve_only, frames, repeats)


def limits(clip: Path, filters: list[dict], repeats: int) -> dict[str, float]:
    """Frames per second of each stage alone, in this process (medians over ``repeats``)."""
    from filterstudio.core.display import to_uint8
    from filterstudio.core.pipeline import apply_filter, prepare_input
    from filterstudio.media.capture import VideoFileSource
    from filterstudio.media.writer import VideoWriter

    kernels = [np.array(f["kernel"], np.float32) for f in filters]
    frames = decoded_frames(clip, 20)
    out: dict[str, float] = {}

    def convolve_and_8bit(pixels):
        src = prepare_input(pixels, "color")
        for k in kernels:
            to_uint8(apply_filter(src, k, prepared=True), "abs")

    out["convolve, four filters"] = convolve_seconds(frames, filters, repeats)
    out["convolve + 8-bit, four filters"] = per_frame(convolve_and_8bit, frames, repeats)

    def decode_all() -> float:
        with VideoFileSource(clip) as source:
            n = 0
            t = time.perf_counter()
            while source.read() is not None:
                n += 1
            return (time.perf_counter() - t) / n

    out["decode to float RGB"] = statistics.median(decode_all() for _ in range(repeats))

    src = prepare_input(frames[0], "color")
    maps = [to_uint8(apply_filter(src, k, prepared=True), "abs") for k in kernels]
    with tempfile.TemporaryDirectory() as tmp:
        def encode_four(_):
            for w, m in zip(writers, maps):
                w.write(m)

        writers = [VideoWriter(Path(tmp) / f"{i}.mp4", 30) for i in range(4)]
        out["encode four maps"] = per_frame(encode_four, range(20), repeats)
        for w in writers:
            w.discard()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--frames", type=int, default=100)
    args = ap.parse_args()
    py = sys.executable
    filters = bank_filters()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        clip = tmp / "clip.mp4"
        make_clip(clip, args.frames)
        bank = tmp / "bank.json"
        bank.write_text(json.dumps({"format": "filterstudio-bank", "version": 1,
                                    "filters": filters}))
        ours_dir, hand_dir = tmp / "ours", tmp / "hand"
        hand_dir.mkdir()
        script = tmp / "hand_loop.py"
        script.write_text(HAND_LOOP)
        ours = [py, "-m", "filterstudio", "apply", str(clip), str(ours_dir), "--bank", str(bank),
                "--display", "abs", "--force"]
        hand = [py, str(script), str(clip), str(hand_dir), str(bank)]
        timed(ours)  # warm the file cache, and check both make the same first frames
        timed(hand)
        for f in filters:
            a = first_frame(ours_dir / f"{f['name']}.mp4").astype(int)
            b = first_frame(hand_dir / f"{f['name']}.mp4").astype(int)
            assert a.shape == b.shape, (f["name"], a.shape, b.shape)
            mae = np.abs(a - b).mean()
            assert mae < 1.0, f"{f['name']}: the two outputs differ (mean abs {mae:.2f})"
        r_ours, r_hand = [], []
        for _ in range(args.repeats):
            r_ours.append(timed(ours))
            r_hand.append(timed(hand))
        stage = limits(clip, filters, args.repeats)

    n = args.frames
    t_ours, t_hand = [w for w, _ in r_ours], [w for w, _ in r_hand]
    c_ours = statistics.median(c for _, c in r_ours)
    c_hand = statistics.median(c for _, c in r_hand)
    mo, mh = statistics.median(t_ours), statistics.median(t_hand)
    print(f"{n} frames of {WIDTH} x {HEIGHT}, four filters (3x3, 5x5, 7x7, 7x7 Gaussian), "
          f"colour, valid, display abs, four .mp4 outputs; {args.repeats} rounds, "
          f"{os.cpu_count()} cores")
    print(f"filterstudio apply --bank (whole process):  {mo:.2f} s = {n / mo:.1f} frames/s  "
          f"{spread(t_ours)}")
    print(f"hand-written OpenCV loop (whole process):    {mh:.2f} s = {n / mh:.1f} frames/s  "
          f"{spread(t_hand)}")
    print(f"ratio hand loop / filterstudio:              {mh / mo:.2f}x")
    print(f"CPU time (user + system): filterstudio {c_ours:.2f} s ({c_ours / mo:.0%} of a core "
          f"over the run), hand loop {c_hand:.2f} s ({c_hand / mh:.0%}); ratio "
          f"{c_hand / c_ours:.2f}x")
    print("each stage alone, in one process (median per frame):")
    for name, seconds in stage.items():
        print(f"  {name:32s} {seconds * 1000:7.1f} ms = {1 / seconds:6.1f} frames/s")
    limit = 1 / stage["convolve, four filters"]
    print(f"engine limit for this work (convolve only): {limit:.1f} frames/s; "
          f"filterstudio apply reaches {n / mo / limit:.0%} of it end to end")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
