"""A desktop without Qt's X11 libraries gets one sentence naming the packages, not Qt's abort."""

from __future__ import annotations

import pytest

from filterstudio.gui import app, platform_check
from filterstudio.gui.platform_check import XCB_LIBRARIES, missing_xcb_message, uses_xcb

X11 = {"DISPLAY": ":0"}


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (X11, True),
        ({**X11, "QT_QPA_PLATFORM": "xcb"}, True),
        ({**X11, "QT_QPA_PLATFORM": "xcb:nomitshm"}, True),
        ({**X11, "QT_QPA_PLATFORM": "offscreen"}, False),
        ({**X11, "QT_QPA_PLATFORM": "wayland"}, False),
        ({}, False),
        ({"WAYLAND_DISPLAY": "wayland-0", **X11, "XDG_SESSION_TYPE": "wayland"}, False),
        ({"WAYLAND_DISPLAY": "wayland-0", **X11, "XDG_SESSION_TYPE": "x11"}, True),
    ],
)
def test_the_check_runs_where_qt_opens_its_window_through_x11(env, expected):
    assert uses_xcb(env, platform="linux") is expected
    assert uses_xcb(env, platform="darwin") is False


def test_the_message_names_the_libraries_and_their_packages_in_one_sentence():
    text = missing_xcb_message(["libxcb-cursor.so.0", "libxkbcommon-x11.so.0"])
    assert "libxcb-cursor.so.0" in text and "libxkbcommon-x11.so.0" in text
    assert "sudo apt install libxcb-cursor0 libxkbcommon-x11-0'" in text
    assert "\n" not in text and text.endswith(".") and text.startswith("filterstudio: ")


def test_every_library_qt_loads_here_is_found(monkeypatch):
    # On this machine the window opens: the probe finds every library the plugin needs.
    assert platform_check.missing_libraries() == []


def test_a_missing_library_stops_before_qt_with_exit_2(monkeypatch, capsys):
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(platform_check.sys, "platform", "linux")
    monkeypatch.setattr(platform_check, "can_load", lambda name: name != "libxcb-cursor.so.0")

    def no_qt(*_a, **_k):
        raise AssertionError("the application object was made")

    monkeypatch.setattr(app, "create_app", no_qt)
    assert app.run_gui(None) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "libxcb-cursor.so.0" in err and "apt install libxcb-cursor0" in err


def test_every_library_has_a_package():
    assert all(XCB_LIBRARIES.values())
