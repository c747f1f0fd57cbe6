"""The engine, the model and the media sources never import Qt: a fresh interpreter, module by module."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import filterstudio

PACKAGE = Path(filterstudio.__file__).parent
NAMED = [
    "filterstudio",
    "filterstudio.core.convolution",
    "filterstudio.core.pipeline",
    "filterstudio.core.geometry",
    "filterstudio.model.bank",
    "filterstudio.model.bank_io",
    "filterstudio.model.session",
    "filterstudio.model.weights",
    "filterstudio.media.capture",
    "filterstudio.media.latest",
]
QT = ("PySide6", "shiboken6")

# Import each module in turn and report the first one after which Qt is loaded.
PROBE = """
import importlib, json, sys
found = []
for name in json.loads(sys.argv[1]):
    importlib.import_module(name)
    qt = [m for m in {qt!r} if m in sys.modules]
    if qt:
        found = [name, qt]
        break
print(json.dumps({{"qt": found, "modules": sorted(sys.modules)}}))
"""


def qt_free_modules() -> list[str]:
    found = []
    for sub in ("core", "model", "media"):
        for path in sorted((PACKAGE / sub).glob("*.py")):
            name = f"filterstudio.{sub}" if path.stem == "__init__" else \
                f"filterstudio.{sub}.{path.stem}"
            found.append(name)
    return found


def test_every_core_model_and_media_module_is_found():
    modules = qt_free_modules()
    for name in NAMED[1:]:
        assert name in modules


def test_core_model_and_media_import_no_qt():
    names = list(dict.fromkeys(NAMED + qt_free_modules()))
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(qt=QT), json.dumps(names)],
        capture_output=True, text=True, check=False, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["qt"] == [], f"importing {report['qt'][0]} loaded {report['qt'][1]}"
    for module in QT:
        assert module not in report["modules"]
