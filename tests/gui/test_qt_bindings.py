"""The Qt bindings themselves: a long session emits millions of signals and must not crash."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    plain = Signal()
    value = Signal(object)
    pair = Signal(int, int)


def test_emitting_signals_keeps_reference_counts(qtbot):
    # Some PySide6 releases drop a reference to True on every emit(); after enough emits the
    # interpreter aborts. On Python >= 3.12 these objects are immortal and the counts never move.
    e = _Emitter()
    seen = []
    e.plain.connect(lambda: seen.append(0))
    e.value.connect(seen.append)
    e.pair.connect(lambda a, b: seen.append(a))
    before = (sys.getrefcount(True), sys.getrefcount(False), sys.getrefcount(None))
    for _ in range(200):
        e.plain.emit()
        e.value.emit(None)
        e.pair.emit(1, 2)
    seen.clear()
    after = (sys.getrefcount(True), sys.getrefcount(False), sys.getrefcount(None))
    assert all(abs(a - b) < 50 for a, b in zip(before, after)), (before, after)


def test_void_qt_methods_keep_reference_counts(qtbot):
    # Another fault of the same releases: each call of a method returning nothing drops a
    # reference to None.
    from PySide6.QtWidgets import QWidget

    w = QWidget()
    qtbot.addWidget(w)
    before = sys.getrefcount(None)
    for _ in range(500):
        w.setEnabled(True)
    assert abs(sys.getrefcount(None) - before) < 100
