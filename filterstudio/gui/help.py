"""The Help menu's pages: every keyboard shortcut, and a short guide to the first steps.

The shortcut list is made from the window's action table (:mod:`filterstudio.gui.menus`) and
from the keys each view declares (``KEYS`` of the kernel cell, the filter list, the pictures and
the lesson), so it cannot drift from what the keys do. Both pages open in a window of their own
that stays open beside the studio and closes with Esc.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from .actions import ActionSpec, key_sequences
from .widgets import FilterListWidget, KernelCellWidget, LessonWidget, MapView

__all__ = ["GETTING_STARTED_HTML", "HelpDialog", "shortcut_rows", "shortcuts_html", "view_keys"]


def _plain(title: str) -> str:
    """A menu title as read: without its ``&`` mnemonic marks and trailing dots."""
    return title.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").rstrip(".")


def shortcut_rows(table: Iterable[ActionSpec]) -> list[tuple[str, str, str]]:
    """``(menu, command, keys)`` for every command of ``table`` that has keys, in menu order."""
    rows = []
    for spec in table:
        if spec.kind != "action" or not spec.shortcuts:
            continue
        names = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in key_sequences(spec)]
        # Dedicated keys some keyboards have ("Open", "Paste", "Zoom In") go unlisted.
        names = [n for n in names if "+" in n or re.fullmatch(r"F([1-9]|1[0-2])", n)]
        if not names:
            continue
        text = ", ".join(names)
        menu = " › ".join(_plain(part) for part in spec.menu.split("/")) if spec.menu else ""
        rows.append((menu, _plain(spec.title), text))
    return rows


def view_keys() -> list[tuple[str, Sequence[tuple[str, str]]]]:
    """The keys of the views that answer keys of their own, with where they apply."""
    return [
        ("In a kernel cell", KernelCellWidget.KEYS),
        ("In the filter list", FilterListWidget.KEYS),
        ("On the input or a map", MapView.KEYS),
        ("In the Lesson tab", LessonWidget.KEYS),
    ]


def _rows(rows: Iterable[tuple[str, str]]) -> str:
    return "".join(
        f"<tr><td width='38%' style='padding:2px 18px 2px 0'><b>{html.escape(k)}</b></td>"
        f"<td style='padding:2px 0'>{html.escape(v)}</td></tr>"
        for k, v in rows
    )


def _heading(text: str) -> str:
    return (
        f"<tr><td colspan='2' style='padding:12px 0 3px 0; font-size:large'><b>"
        f"{html.escape(text)}</b></td></tr>"
    )


def shortcuts_html(table: Iterable[ActionSpec]) -> str:
    """The keyboard shortcuts page: the menus' commands, then each view's own keys, in one
    table so the keys line up."""
    sections: dict[str, list[tuple[str, str]]] = {}
    for where, command, keys in shortcut_rows(table):
        sections.setdefault(f"{where.split(' › ')[0]} menu", []).append((keys, command))
    for where, keys in view_keys():
        sections[where] = list(keys)
    sections["Presenting"] = [("Esc", "leave presentation mode")]
    body = "".join(_heading(title) + _rows(rows) for title, rows in sections.items())
    return f"<h2>Keyboard shortcuts</h2><table cellspacing='0'>{body}</table>"


GETTING_STARTED_HTML = """
<h2>Getting started</h2>
<p>Filter Studio shows what a convolution does: a small grid of weights, the <b>kernel</b>,
slides over a picture, and at every position multiplies the pixels under it by its weights and
adds them up. Each filter's results form a <b>feature map</b>.</p>

<h3>1. A picture</h3>
<p>The studio opens on a sample photo. Open your own with <b>File › Open Image</b> (Ctrl+O),
drop a picture on the window, or paste one (Ctrl+V). <b>File › Samples</b> holds small pictures
made for lessons.</p>

<h3>2. Edit a kernel</h3>
<p>Choose a filter in the <b>Filters</b> list; its kernel shows in the grid below. Click a cell,
type a number and press Enter: the filter's map changes at once. Arrow keys move between cells;
Alt+Up and Alt+Down (or the wheel) nudge a weight. <b>Preset</b> loads a known kernel,
<b>Size</b> changes its shape, <b>Text</b> takes the whole kernel typed or pasted.</p>

<h3>3. Stride and padding</h3>
<p>The <b>Layer</b> panel holds what all filters share. <b>Stride</b> is how far the kernel
moves between positions (2 halves the map); <b>Padding</b> adds a border around the picture so
the kernel can sit on its edges (<i>same</i> keeps the map the picture's size); <b>Border</b>
says what the added pixels hold. The formula under it shows how the map's size follows.</p>

<h3>4. Point at a cell</h3>
<p>Hold the pointer over a feature map: under the input you see that cell's sum, every weight
times the pixel it covers, and the window it reads is marked on the input. Zoom in with the
wheel (or + and -) until each cell shows its number; all pictures zoom together.</p>

<h3>5. The Lesson tab</h3>
<p><b>View › Lesson</b> (Ctrl+3) shows the kernel stepping across the picture and the map
filling in, one sum at a time: Space plays, the arrow keys step, a click on a map cell jumps to
it. F5 shows it full screen for a class; Esc comes back.</p>

<h3>6. Keep your work</h3>
<p><b>File › Save Session</b> (Ctrl+S) keeps the filters, the layer, the display and where the
picture is. <b>Save Map</b> writes one map (as seen, or its exact values in <i>.npy</i>),
<b>Export Montage</b> the picture with every map and kernel for a slide.</p>

<p>Help › Keyboard Shortcuts lists every key.</p>
"""


class HelpDialog(QDialog):
    """A page of help beside the studio: readable, scrollable, closed with Esc or Close."""

    def __init__(self, title: str, page: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setObjectName("helpDialog")
        self._browser = QTextBrowser(self)
        self._browser.setOpenExternalLinks(False)
        self._browser.setHtml(page)
        self._browser.setAccessibleName(title)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self._browser, 1)
        layout.addWidget(buttons)
        self.resize(self._browser.fontMetrics().averageCharWidth() * 86, 620)
        self.setWindowFlag(Qt.WindowType.WindowContextHelpButtonHint, False)

    def text(self) -> str:
        """The page as plain text."""
        return self._browser.toPlainText()

    def browser(self) -> QTextBrowser:
        return self._browser
