"""Files a user names: regular files only, never blocking, never read past a limit."""

from __future__ import annotations

import os
import sys

import pytest

from filterstudio.core import userfile
from filterstudio.core.userfile import open_user_file, read_user_file

sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
import hostile_files as H  # noqa: E402


class Refused(ValueError):
    pass




def test_a_regular_file_is_read_whole(tmp_path):
    path = tmp_path / "k.txt"
    path.write_bytes(b"1 2 3")
    assert read_user_file(path, max_bytes=100, what="kernel file", error=Refused) == b"1 2 3"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_fifo_is_refused_before_it_is_opened(tmp_path):
    fifo = tmp_path / "k.txt"
    os.mkfifo(fifo)
    with pytest.raises(Refused, match=r"^'k\.txt' is a named pipe \(FIFO\), not a kernel file"):
        H.in_time(lambda: read_user_file(fifo, max_bytes=100, what="kernel file", error=Refused))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_fifo_swapped_in_after_the_first_look_is_refused_not_read(tmp_path, monkeypatch):
    # The path is a regular file when it is looked at, and a pipe when it is opened.
    fifo = tmp_path / "swapped.json"
    os.mkfifo(fifo)
    regular = tmp_path / "regular.json"
    regular.write_text("{}")
    real_stat = os.stat
    monkeypatch.setattr(userfile.os, "stat", lambda p, *a, **k: real_stat(regular))
    with pytest.raises(Refused, match="named pipe"):
        H.in_time(lambda: open_user_file(fifo, max_bytes=100, what="bank file", error=Refused))


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_devices_folders_and_links_to_devices_are_refused(tmp_path):
    link = tmp_path / "zero.txt"
    link.symlink_to("/dev/zero")
    with pytest.raises(Refused, match="is a device"):
        H.in_time(lambda: read_user_file(link, max_bytes=10**9, error=Refused))
    with pytest.raises(Refused, match="is a folder"):
        read_user_file(tmp_path, max_bytes=10, error=Refused)


def test_missing_files_and_bad_paths(tmp_path):
    with pytest.raises(Refused, match="There is no file at"):
        read_user_file(tmp_path / "gone.txt", max_bytes=10, error=Refused)
    with pytest.raises(Refused, match="null character"):
        read_user_file("a\x00b", max_bytes=10, error=Refused)
    with pytest.raises(Refused, match="empty"):
        read_user_file("", max_bytes=10, error=Refused)
    (tmp_path / "f").write_text("x")
    with pytest.raises(Refused, match="There is no file at"):
        read_user_file(tmp_path / "f" / "below", max_bytes=10, error=Refused)


def test_a_file_over_the_limit_is_refused_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "big.json"
    path.write_bytes(b"x" * 5000)
    opened: list[str] = []
    real_open = os.open
    monkeypatch.setattr(userfile.os, "open", lambda *a, **k: opened.append("x") or real_open(*a, **k))
    with pytest.raises(Refused, match=r"^'big\.json' is 5 KB; a bank file is at most 1000 bytes\.$"):
        read_user_file(path, max_bytes=1000, what="bank file", error=Refused)
    assert opened == []


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs /proc")
def test_a_file_that_reports_no_size_is_still_read_only_to_the_limit():
    # /proc files say 0 bytes but hold more: the read stops at the limit.
    with pytest.raises(Refused, match="larger than a"):
        read_user_file("/proc/self/status", max_bytes=16, error=Refused)
    assert read_user_file("/proc/self/status", max_bytes=1 << 20, error=Refused)
