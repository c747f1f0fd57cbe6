"""Atomic writes leave nothing behind: not on failure, not when the process is told to stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from filterstudio.core import atomic
from filterstudio.core.atomic import atomic_write, remove_unfinished_writes, unfinished_writes
from filterstudio.core.imageio import ImageError, save_image


def test_an_unfinished_write_is_listed_and_can_be_removed(tmp_path):
    target = tmp_path / "map.npy"
    with pytest.raises(FileNotFoundError), atomic_write(target) as tmp:
        assert unfinished_writes() == (tmp,)
        with open(tmp, "wb") as f:
            f.write(b"half")
        remove_unfinished_writes()  # what a signal handler does
        assert not os.path.exists(tmp)
    # The write failed when it tried to put the removed file in place; nothing is left.
    assert os.listdir(tmp_path) == []
    assert unfinished_writes() == ()


STOPPED_MID_WRITE = r"""
import os, sys
import numpy as np
from filterstudio.core import imagewrite
from filterstudio.cli import main

real = imagewrite.write_npy

def slow(f, array):
    real(f, array[: len(array) // 2])
    f.flush()
    print("writing", flush=True)
    sys.stdin.readline()  # wait here until the test has sent its signal
    real(f, array)

imagewrite.write_npy = slow
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_signal_during_a_write_leaves_no_temporary_file(tmp_path, signum):
    from PIL import Image

    picture = tmp_path / "in.png"
    Image.fromarray(np.zeros((20, 20), np.uint8)).save(picture)
    out = tmp_path / "out"
    out.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-c", STOPPED_MID_WRITE, "apply", str(picture),
         str(out / "map.npy"), "-k", "sobel_x"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout.readline().strip() == "writing"
        assert len(os.listdir(out)) == 1  # the hidden temporary file
        proc.send_signal(signum)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 128 + signum
    assert stderr.strip().splitlines() == [
        f"filterstudio: stopped by signal {signum}; nothing was written."
    ]
    assert os.listdir(out) == []


def test_the_handlers_are_put_back(tmp_path):
    before = signal.getsignal(signal.SIGTERM)
    with atomic.stop_on_signals():
        handler = signal.getsignal(signal.SIGTERM)
        assert callable(handler) and handler != before
    assert signal.getsignal(signal.SIGTERM) == before


DISK_LIMIT = r"""
import resource, signal, sys
import numpy as np
from filterstudio.core.imageio import ImageError, save_image
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (50_000, 50_000))
try:
    save_image(sys.argv[1], np.zeros((200, 200), np.float32))
except ImageError as exc:
    print(exc)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGXFSZ"), reason="needs RLIMIT_FSIZE")
def test_a_file_too_large_for_the_disk_is_one_plain_sentence(tmp_path):
    target = tmp_path / "x.npy"
    proc = subprocess.run([sys.executable, "-c", DISK_LIMIT, str(target)], capture_output=True,
                          text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "'x.npy' would be larger than this disk or account allows."
    assert "requested" not in proc.stdout
    assert os.listdir(tmp_path) == []


def test_a_full_disk_while_writing_npy_is_one_plain_sentence(tmp_path, monkeypatch):
    import errno
    import io

    real_open = open

    class Full(io.RawIOBase):
        def __init__(self, path):
            self.file = real_open(path, "wb")
            self.written = 0

        def writable(self):
            return True

        def write(self, data):
            if self.written + len(data) > 1000:
                raise OSError(errno.ENOSPC, "No space left on device")
            self.written += len(data)
            return self.file.write(data)

        def close(self):
            self.file.close()
            super().close()

    from filterstudio.core import imagewrite

    monkeypatch.setattr(imagewrite, "open", lambda path, mode: Full(path), raising=False)
    with pytest.raises(ImageError) as info:
        save_image(tmp_path / "x.npy", np.zeros((100, 100), np.float32))
    assert str(info.value) == "Cannot write 'x.npy': the disk is full."
    assert os.listdir(tmp_path) == []
