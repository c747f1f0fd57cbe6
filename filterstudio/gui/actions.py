"""Menus and shortcuts as data: a table of action specs and the one function that builds them.

Each :class:`ActionSpec` names one command (id, title, shortcuts, callback, menu path, tip,
checkable); :func:`build_actions` turns a table of them into ``QAction`` objects in menus, in
table order. A shortcut bound twice is refused when the table is built, so an ambiguous key
sequence never reaches a user.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMenuBar, QWidget

__all__ = [
    "ActionSpec",
    "BuiltActions",
    "build_actions",
    "key_sequences",
    "menu_entry",
    "separator",
]


@dataclass(frozen=True)
class ActionSpec:
    """One command of the window.

    ``menu`` is a path of menu titles, ``"&File"`` or ``"&File/&Samples"``. ``kind`` is
    ``"action"``, ``"menu"`` (an empty submenu named ``title`` that its owner fills, e.g. recent
    files) or ``"separator"``. ``shortcuts`` are key sequences (``"Ctrl+S"``) or
    ``QKeySequence.StandardKey`` values; the first is the one a menu shows.
    """

    id: str
    title: str = ""
    callback: Callable[..., object] | None = None
    menu: str = ""
    shortcuts: tuple = ()
    tip: str = ""
    checkable: bool = False
    kind: str = "action"


def separator(menu: str) -> ActionSpec:
    """A separator line in ``menu``."""
    return ActionSpec(id=f"-{menu}-{id(menu)}", menu=menu, kind="separator")


def menu_entry(id: str, title: str, menu: str) -> ActionSpec:  # noqa: A002 - the spec's field
    """A submenu ``title`` in ``menu`` that its owner fills (recent files, say)."""
    return ActionSpec(id=id, title=title, menu=menu, kind="menu")


@dataclass
class BuiltActions:
    """What :func:`build_actions` made: actions and submenus by id, menus by path."""

    actions: dict[str, QAction]
    submenus: dict[str, QMenu]
    menus: dict[str, QMenu]

    def __getitem__(self, id: str) -> QAction:  # noqa: A002
        return self.actions[id]


def key_sequences(spec: ActionSpec) -> list[QKeySequence]:
    """The key sequences of ``spec``, standard keys expanded as this platform binds them."""
    keys: list[QKeySequence] = []
    for s in spec.shortcuts:
        if isinstance(s, QKeySequence.StandardKey):
            keys.extend(QKeySequence.keyBindings(s))
        else:
            keys.append(QKeySequence(s))
    return [k for k in keys if not k.isEmpty()]


def _menu(menus: dict[str, QMenu], bar: QMenuBar, path: str) -> QMenu:
    if path not in menus:
        parent, _, title = path.rpartition("/")
        menus[path] = (_menu(menus, bar, parent) if parent else bar).addMenu(title)
    return menus[path]


def build_actions(
    owner: QWidget, bar: QMenuBar, table: Sequence[ActionSpec] | Iterable[ActionSpec]
) -> BuiltActions:
    """Make every action of ``table`` (owned by ``owner``) and put it in ``bar``'s menus.

    Raises
    ------
    ValueError
        When two actions share an id or a key sequence.
    """
    built = BuiltActions({}, {}, {})
    bound: dict[str, str] = {}
    for spec in table:
        menu = _menu(built.menus, bar, spec.menu) if spec.menu else None
        if spec.kind == "separator":
            if menu is not None:
                menu.addSeparator()
            continue
        if spec.id in built.actions or spec.id in built.submenus:
            raise ValueError(f"Two actions have the id {spec.id!r}.")
        if spec.kind == "menu":
            sub = _menu(built.menus, bar, f"{spec.menu}/{spec.title}")
            sub.setObjectName(spec.id)
            built.submenus[spec.id] = sub
            continue
        action = QAction(spec.title, owner)
        action.setObjectName(spec.id)
        keys = key_sequences(spec)
        for key in keys:
            text = key.toString(QKeySequence.SequenceFormat.PortableText)
            if text in bound:
                raise ValueError(f"{text} is bound to both {bound[text]!r} and {spec.id!r}.")
            bound[text] = spec.id
        if keys:
            action.setShortcuts(keys)
        if spec.tip:
            action.setStatusTip(spec.tip)
            action.setToolTip(spec.tip)
        action.setCheckable(spec.checkable)
        if spec.callback is not None:
            callback = spec.callback
            action.triggered.connect(lambda _checked=False, cb=callback: cb())
        if menu is not None:
            menu.addAction(action)
        else:
            owner.addAction(action)  # a shortcut with no menu entry still works in the window
        built.actions[spec.id] = action
    return built
