"""docs/SCRIPTING.md works as written: its example runs against the real window."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from PIL import Image

DOC = Path(__file__).resolve().parents[2] / "docs" / "SCRIPTING.md"


def test_the_documented_example_runs(qtbot, tmp_path, monkeypatch):
    code = re.search(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S).group(1)
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (40, 50, 3), dtype=np.uint8)).save(tmp_path / "photo.jpg")
    monkeypatch.chdir(tmp_path)
    names: dict = {}
    exec(compile(code, str(DOC), "exec"), names)  # noqa: S102 - the documented example itself
    win = names["win"]
    qtbot.addWidget(win)
    try:
        assert names["edges"] is not None and names["edges"].dtype == np.float32
        assert win.bank.layer.stride == (2, 2)
    finally:
        win.controller.mark_clean()
        win.close()


def test_every_documented_member_exists(window):
    text = DOC.read_text(encoding="utf-8")
    for member in re.findall(r"^\| `([a-z_]+)[(`. ]", text, re.M):
        assert hasattr(window, member), member
