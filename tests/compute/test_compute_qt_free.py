"""The compute cycle and its tests run without Qt: no module here loads PySide6."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent

PROBE = """
import importlib.util, pkgutil, sys
import filterstudio.compute as compute
for info in pkgutil.iter_modules(compute.__path__):
    importlib.import_module(f"filterstudio.compute.{info.name}")
import filterstudio.model.studio, filterstudio.model.studio_file
for path in sys.argv[1:]:
    spec = importlib.util.spec_from_file_location("probe_" + path.rsplit("/", 1)[-1][:-3], path)
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
print(sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6")))
"""


def test_compute_modules_and_their_tests_import_no_qt():
    tests = [str(p) for p in sorted(HERE.glob("test_*.py"))]
    out = subprocess.run(
        [sys.executable, "-c", PROBE, *tests],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"
