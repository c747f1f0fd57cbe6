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


def test_every_documented_learn_member_exists(window):
    text = DOC.read_text(encoding="utf-8").split("## The Learn tab", 1)[1]
    rows = [line.split(" | ")[0] for line in text.splitlines() if line.startswith("| `")]
    paths = re.findall(r"`(learn(?:\.[a-z_]+)+)[(`]", "\n".join(rows))
    assert len(paths) > 20
    for path in paths:
        obj = window
        for part in path.split("."):
            assert hasattr(obj, part), path
            obj = getattr(obj, part)


def test_the_documented_learn_example_runs(window, qtbot):
    text = DOC.read_text(encoding="utf-8").split("## The Learn tab", 1)[1]
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    window.set_image_array(np.random.default_rng(1).random((30, 40)), "noise")
    assert window.wait_until_current()
    names = {"win": window}
    exec(compile(code, str(DOC), "exec"), names)  # noqa: S102 - the documented example itself
    qtbot.waitUntil(window.learn.is_ready, timeout=20_000)
    assert window.learn.settings().size == (5, 5)
