"""Whole commands: `filterstudio apply` against the script a user would write instead.

Run:  python benchmarks/bench_apply.py [--repeats N] [--data DIR] [--only NAME]

Each case runs the same job as two whole processes, alternating, one of each per round (the
order flips every round): `filterstudio apply` as installed, and an 8-line OpenCV script
(cv2.imread, filter2D, cv2.imwrite) run by the same Python. For the folder, the script loops
over the folder in one process, skipping what cv2.imread cannot read. The job is the one a
photographer runs: Sobel x, "same" padding, reflect border, |map| shown as 8 bits (--display
abs). Both write the same format at comparable settings: PNG at OpenCV's default (zlib level 1,
run-length), JPEG at quality 95; the sizes of the files written are printed beside the times.
Figures are medians over the rounds; peak memory is each process's own maximum resident size
(from os.wait4), and CPU is user + system time of the process.

The pictures are made once (a photo-like scene with film grain, from the studio's sample
generator, at 6 and 12 MP) and kept in --data DIR if given.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

SCRIPT = r"""
import sys, cv2, numpy as np
src, dst = sys.argv[1], sys.argv[2]
params = [int(v) for v in sys.argv[3:]]
img = cv2.imread(src, cv2.IMREAD_UNCHANGED).astype(np.float32) / 255
k = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], np.float32)
out = cv2.filter2D(img, -1, k, borderType=cv2.BORDER_REFLECT_101)
cv2.imwrite(dst, cv2.convertScaleAbs(out, alpha=255), params)
"""

FOLDER_SCRIPT = r"""
import os, sys, cv2, numpy as np
src, dst = sys.argv[1], sys.argv[2]
os.makedirs(dst, exist_ok=True)
k = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], np.float32)
for name in sorted(os.listdir(src)):
    img = cv2.imread(os.path.join(src, name), cv2.IMREAD_UNCHANGED)
    if img is None:
        print(f"cannot read {name}", file=sys.stderr)
        continue
    out = cv2.filter2D(img.astype(np.float32) / 255, -1, k, borderType=cv2.BORDER_REFLECT_101)
    cv2.imwrite(os.path.join(dst, os.path.splitext(name)[0] + ".png"), cv2.convertScaleAbs(out, alpha=255))
"""

JOB = ["-k", "sobel_x", "--padding", "same", "--border", "reflect", "--display", "abs"]


@dataclass
class Run:
    seconds: float
    cpu: float
    peak_mb: float
    code: int
    stderr: str


@dataclass
class Case:
    name: str
    source: str  # a file, or a folder
    output: str  # a file name, or a folder name
    ours_extra: list[str] = field(default_factory=list)
    script_params: list[str] = field(default_factory=list)
    target: float | None = None
    folder: bool = False


def _filterstudio() -> list[str]:
    here = Path(sys.executable).parent / "filterstudio"
    return [str(here)] if here.exists() else [sys.executable, "-m", "filterstudio"]


_TIME = shutil.which("time") or "/usr/bin/time"


def _run(cmd: list[str], env: dict, report: Path) -> Run:
    """Run ``cmd`` under GNU time, which reports the peak of that process alone.

    (The rusage of a child spawned from this process would count this process's own peak:
    Linux keeps the larger resident size across the exec of a process made by vfork.)
    """
    start = time.perf_counter()
    proc = subprocess.run([_TIME, "-o", str(report), "-f", "%M %U %S", *cmd],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, check=False)
    seconds = time.perf_counter() - start
    kb, user, system = report.read_text().split()[-3:]
    return Run(seconds, float(user) + float(system), int(kb) / 1024, proc.returncode,
               proc.stderr.decode(errors="replace"))


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size if path.exists() else 0


# --------------------------------------------------------------------------------------------
# Pictures


def make_pictures(data: Path) -> None:
    import cv2
    import numpy as np

    from filterstudio.core.samples import sample_photo

    data.mkdir(parents=True, exist_ok=True)
    if (data / "ready").exists():
        return
    print("making the pictures (once)...", flush=True)
    for mp, (h, w) in {"12": (3000, 4000), "6": (2000, 3000)}.items():
        rgb = np.rint(np.asarray(sample_photo(h, w)) * 255).astype(np.uint8)
        bgr = np.ascontiguousarray(rgb[:, :, ::-1])
        cv2.imwrite(str(data / f"colour{mp}.jpg"), bgr, [cv2.IMWRITE_JPEG_QUALITY, 92])
        cv2.imwrite(str(data / f"grey{mp}.png"), cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY))
        if mp == "6":
            folder = data / "folder"
            folder.mkdir(exist_ok=True)
            for i in range(8):  # eight different photos: shifted, mirrored, darker or lighter
                pic = np.roll(bgr, i * 211, axis=1)
                pic = pic[:, ::-1] if i % 2 else pic
                pic = cv2.convertScaleAbs(pic, alpha=0.8 + 0.05 * i, beta=4 * i)
                cv2.imwrite(str(folder / f"photo{i + 1}.jpg"), pic, [cv2.IMWRITE_JPEG_QUALITY, 92])
            whole = (folder / "photo4.jpg").read_bytes()
            (folder / "photo4b.jpg").write_bytes(whole[: len(whole) // 3])  # cut short
    (data / "ready").write_text("")


# --------------------------------------------------------------------------------------------
# Running


def commands(case: Case, data: Path, out: Path) -> tuple[list[str], list[str]]:
    src = str(data / case.source)
    ours = [*_filterstudio(), "apply", src, str(out / "ours" / case.output), *JOB,
            *case.ours_extra]
    script = FOLDER_SCRIPT if case.folder else SCRIPT
    theirs = [sys.executable, "-c", script, src, str(out / "script" / case.output),
              *case.script_params]
    return ours, theirs


def clear(out: Path, case: Case, side: str) -> None:
    target = out / side / case.output
    if target.is_dir():
        shutil.rmtree(target)
    elif target.exists():
        target.unlink()
    (out / side).mkdir(parents=True, exist_ok=True)


def same_pixels(case: Case, out: Path) -> str:
    import cv2
    import numpy as np

    pairs = []
    if case.folder:
        for p in sorted((out / "ours" / case.output).iterdir()):
            pairs.append((p, out / "script" / case.output / p.name))
    else:
        pairs.append((out / "ours" / case.output, out / "script" / case.output))
    worst = 0
    for a, b in pairs:
        x = cv2.imread(str(a), cv2.IMREAD_UNCHANGED)
        y = cv2.imread(str(b), cv2.IMREAD_UNCHANGED)
        if x is None or y is None or x.shape != y.shape:
            return f"outputs differ: {a.name}"
        worst = max(worst, int(np.abs(x.astype(int) - y.astype(int)).max()))
    return "same pixels" if worst == 0 else f"pixels differ by at most {worst}"


def bench(case: Case, data: Path, out: Path, repeats: int, env: dict) -> dict:
    ours_cmd, script_cmd = commands(case, data, out)
    runs: dict[str, list[Run]] = {"ours": [], "script": []}
    for i in range(repeats + 1):  # the first round warms the caches and is not counted
        order = [("ours", ours_cmd), ("script", script_cmd)]
        if i % 2:
            order.reverse()
        for side, cmd in order:
            clear(out, case, side)
            run = _run(cmd, env, out / "time.txt")
            if i:
                runs[side].append(run)
    # The outputs of the last round stay for the checks.
    ours_last = runs["ours"][-1]
    check = same_pixels(case, out)
    return {
        "case": case,
        "ours": runs["ours"],
        "script": runs["script"],
        "ours_size": _size(out / "ours" / case.output),
        "script_size": _size(out / "script" / case.output),
        "check": check,
        "ours_code": ours_last.code,
        "ours_stderr": ours_last.stderr.strip(),
        "written": len(list((out / "ours" / case.output).glob("*.png"))) if case.folder else 1,
        "script_written": len(list((out / "script" / case.output).glob("*.png")))
        if case.folder else 1,
        "script_stderr": " ".join(
            line for line in runs["script"][-1].stderr.splitlines() if "cannot read" in line
        ),
    }


def _med(runs: list[Run], attr: str) -> float:
    return statistics.median(getattr(r, attr) for r in runs)


def report(result: dict) -> str:
    case: Case = result["case"]
    t_o, t_s = _med(result["ours"], "seconds"), _med(result["script"], "seconds")
    c_o, c_s = _med(result["ours"], "cpu"), _med(result["script"], "cpu")
    m_o = max(r.peak_mb for r in result["ours"])
    m_s = max(r.peak_mb for r in result["script"])
    ratio = t_o / t_s
    verdict = ""
    if case.target is not None:
        verdict = f"  target <= {case.target:.2f}x: {'met' if ratio <= case.target else 'NOT met'}"
    lines = [
        f"{case.name}",
        f"  wall  filterstudio {t_o:6.2f} s   script {t_s:6.2f} s   ratio {ratio:.2f}x{verdict}",
        f"  cpu   filterstudio {c_o:6.2f} s   script {c_s:6.2f} s   ratio {c_o / c_s:.2f}x",
        f"  peak  filterstudio {m_o:6.0f} MB  script {m_s:6.0f} MB",
        f"  files filterstudio {result['ours_size'] / 1e6:6.1f} MB  script "
        f"{result['script_size'] / 1e6:6.1f} MB   {result['check']}",
    ]
    if case.folder:
        lines.append(
            f"  filterstudio wrote {result['written']} maps, exit status {result['ours_code']}; "
            f"stderr: {result['ours_stderr']!r}"
        )
        lines.append(
            f"  the script wrote {result['script_written']} maps (cv2.imread reads a cut-short "
            "JPEG as grey below the cut); its stderr: "
            f"{result['script_stderr']!r}"
        )
    return "\n".join(lines)


CASES = [
    Case("12 MP colour JPEG -> PNG", "colour12.jpg", "c12.png", target=1.0),
    Case("12 MP grey PNG -> PNG", "grey12.png", "g12.png", target=1.0),
    Case("6 MP colour JPEG -> JPEG", "colour6.jpg", "c6.jpg",
         script_params=["1", "95"]),  # cv2.IMWRITE_JPEG_QUALITY, as filterstudio writes JPEG
    Case("6 MP grey PNG -> PNG", "grey6.png", "g6.png"),
    Case("12 MP colour JPEG -> small PNG (zlib level 6 on both sides)", "colour12.jpg",
         "c12s.png", ours_extra=["--png-compression", "6"], script_params=["16", "6"]),
    Case("folder: eight 6 MP JPEG photos and a cut-short one -> PNG", "folder", "maps",
         target=0.75, folder=True),
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=5, help="rounds counted (default 5)")
    ap.add_argument("--data", type=Path, help="keep the pictures here and reuse them")
    ap.add_argument("--only", help="run only the cases whose name contains this text")
    args = ap.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    if not Path(_TIME).exists():
        ap.error("GNU time (/usr/bin/time) is needed to read each process's peak memory.")
    # A user's installed package has its bytecode cached; so must the one measured here.
    subprocess.run([sys.executable, "-m", "compileall", "-q",
                    str(Path(__file__).resolve().parents[1] / "filterstudio")], check=False)
    import cv2

    print(f"Python {sys.version.split()[0]}, OpenCV {cv2.__version__}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}; medians of {args.repeats} rounds")
    with tempfile.TemporaryDirectory() as tmp:
        data = args.data or Path(tmp) / "data"
        make_pictures(data)
        out = Path(tmp) / "out"
        for case in CASES:
            if args.only and args.only.lower() not in case.name.lower():
                continue
            print(report(bench(case, data, out, args.repeats, env)), flush=True)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
