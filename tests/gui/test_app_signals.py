"""The studio ends cleanly when the system asks it to stop (SIGTERM, SIGHUP)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

STUDIO = """
import sys
from PySide6.QtCore import QTimer
from filterstudio.gui import app as studio

installed = studio.stop_cleanly_on_signals

def announce(app, window):
    installed(app, window)
    QTimer.singleShot(0, lambda: print("ready", flush=True))

studio.stop_cleanly_on_signals = announce
sys.exit(studio.run_gui())
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_stop_signal_closes_the_studio_without_asking(tmp_path, signum):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path),
               XDG_CONFIG_HOME=str(tmp_path / "config"))
    env.pop("PYTHONWARNINGS", None)
    proc = subprocess.Popen([sys.executable, "-c", STUDIO], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    try:
        assert proc.stdout.readline().strip() == "ready"
        proc.send_signal(signum)
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 128 + signum
    assert "Traceback" not in err
    assert not any(p.name.startswith(".") and p.suffix == ".tmp" for p in tmp_path.rglob("*"))
