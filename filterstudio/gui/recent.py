"""A list of recently used files kept in the settings and shown in a menu, newest first."""

from __future__ import annotations

import os
from collections.abc import Callable

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMenu


def same_file(a: str | os.PathLike | None, b: str | os.PathLike | None) -> bool:
    """Whether two paths name the same file (absolute, case as the system folds it)."""
    if not a or not b:
        return False
    return os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b))


class RecentFiles:
    """Recent files under the settings ``key``; ``open_file(path)`` is called from the menu."""

    def __init__(self, key: str, open_file: Callable[[str], object], limit: int = 8) -> None:
        self.key = key
        self.limit = limit
        self._open = open_file
        self.menu: QMenu | None = None

    def paths(self) -> list[str]:
        value = QSettings().value(self.key, [], list) or []
        return [str(p) for p in value if p]

    def add(self, path: str) -> None:
        kept = [p for p in self.paths() if not same_file(p, path)]
        QSettings().setValue(self.key, [path, *kept][: self.limit])
        self.fill()

    def forget(self, path: str) -> None:
        recent = self.paths()
        kept = [p for p in recent if not same_file(p, path)]
        if kept != recent:
            QSettings().setValue(self.key, kept)
            self.fill()

    def show_in(self, menu: QMenu) -> None:
        self.menu = menu
        self.fill()

    def fill(self) -> None:
        if self.menu is None:
            return
        self.menu.clear()
        paths = self.paths()
        for p in paths:
            self.menu.addAction(p).triggered.connect(lambda _=False, path=p: self._open(path))
        self.menu.setEnabled(bool(paths))
