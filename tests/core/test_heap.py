"""The studio's malloc setting: large arrays freed go back to the system (glibc only)."""

from __future__ import annotations

import ctypes.util
import sys

import pytest

from filterstudio.core.heap import return_large_blocks


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt is Linux's")
def test_the_threshold_is_set_where_glibc_is():
    import platform

    if platform.libc_ver()[0] != "glibc" or ctypes.util.find_library("c") is None:
        pytest.skip("not glibc")
    assert return_large_blocks() is True
    assert return_large_blocks(8 << 20) is True  # again, with another size
    assert return_large_blocks() is True


def test_elsewhere_nothing_changes(monkeypatch):
    monkeypatch.setattr(sys, "platform", "darwin")
    assert return_large_blocks() is False
