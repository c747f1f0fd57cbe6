"""The feature maps of a whole stack: one row of panels per stage, each under a clickable title.

With one stage the bank's grid fills the area alone, as a one-layer studio shows it. With more,
each stage gets a row (a :class:`~.feature_grid.FeatureGridWidget` under a title button that
selects the stage); the rows share the height, and scroll when their panels need more.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QScrollArea, QSizePolicy, QToolButton, QVBoxLayout, QWidget

from .feature_grid import FeatureGridWidget

#: The least height a stage row takes when the stack has several (its panels' minimum rules
#: when that is more).
ROW_MINIMUM = 170


class _Row(QWidget):
    """One stage: a title button over a grid of panels."""

    def __init__(self, uid: str, grid: FeatureGridWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.uid = uid
        self.grid = grid
        self.title = QToolButton(self)
        self.title.setCheckable(True)
        self.title.setAutoRaise(True)
        self.title.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.title.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.title.setStyleSheet(
            "QToolButton { text-align: left; font-weight: bold; padding: 1px 4px; }"
            "QToolButton:checked { background: palette(highlight); color: palette(highlighted-text); }"
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addWidget(grid, 1)


class StackViewWidget(QScrollArea):
    """Every stage's map panels, a row a stage, in stack order.

    The first row's grid is given (the bank's panels and combined maps live there); later rows
    are made by :meth:`set_rows`. Titles show only while there is more than one row.

    Signals
    -------
    rowClicked(str)
        The title of the stage with this uid was clicked (select that stage).
    """

    rowClicked = Signal(str)

    def __init__(self, first: FeatureGridWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("stackView")
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._host = QWidget(self)
        self._layout = QVBoxLayout(self._host)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(6)
        self.setWidget(self._host)
        self._first = _Row("", first, self._host)
        self._first.title.clicked.connect(lambda: self.rowClicked.emit(self._first.uid))
        self._rows: list[_Row] = [self._first]
        self._current = ""
        self._presenting = False
        self._lay_out()

    def sizeHint(self):
        return self._first.grid.sizeHint()

    def minimumSizeHint(self):
        hint = self._first.grid.minimumSizeHint()
        return hint.expandedTo(self._first.grid.minimumSize())

    # -- public API -----------------------------------------------------------------------
    def first_grid(self) -> FeatureGridWidget:
        """The bank's grid (the first row)."""
        return self._first.grid

    def grid(self, uid: str) -> FeatureGridWidget:
        """The grid of the stage ``uid`` (the first stage's uid, or a later one's)."""
        for row in self._rows:
            if row.uid == uid:
                return row.grid
        raise KeyError(uid)

    def row_uids(self) -> list[str]:
        """The stages shown, in order."""
        return [row.uid for row in self._rows]

    def title(self, uid: str) -> str:
        """The title shown over the stage ``uid``'s row."""
        return self._row(uid).title.text()

    def title_button(self, uid: str) -> QToolButton:
        """The clickable title of the stage ``uid``."""
        return self._row(uid).title

    def set_rows(self, first_uid: str, later: list[str]) -> list[str]:
        """Show the first stage as ``first_uid`` and later stages ``later`` in this order.

        Rows of stages still shown keep their grid (and panels); rows of stages that went are
        removed. Returns the uids of the rows removed, whose panels the caller deletes.
        """
        self._first.uid = first_uid
        kept = {row.uid: row for row in self._rows[1:]}
        rows = [self._first]
        for uid in later:
            row = kept.pop(uid, None)
            if row is None:
                row = _Row(uid, FeatureGridWidget(), self._host)
                row.grid.set_presentation(self._presenting)
                row.title.clicked.connect(lambda _c=False, u=uid: self.rowClicked.emit(u))
            rows.append(row)
        for row in kept.values():
            self._layout.removeWidget(row)
            row.hide()
            row.deleteLater()
        self._rows = rows
        self._lay_out()
        self.set_current(self._current)
        return list(kept)

    def set_title(self, uid: str, text: str, tip: str = "") -> None:
        """The title over the stage ``uid``'s row, e.g. ``"Stage 2: max pool 2x2 -> 4 maps"``."""
        try:
            title = self._row(uid).title
        except KeyError:
            return
        title.setText(text)
        title.setToolTip(tip or text)

    def set_current(self, uid: str) -> None:
        """Mark the row of the stage being edited."""
        self._current = uid
        for row in self._rows:
            row.title.setChecked(row.uid == uid and len(self._rows) > 1)

    def set_presentation(self, on: bool) -> None:
        """Projector size for every stage's panels, rows made later too."""
        self._presenting = bool(on)
        for row in self._rows:
            row.grid.set_presentation(on)

    def ensure_shown(self, uid: str) -> None:
        """Scroll so that the title of the stage ``uid``'s row is in view."""
        try:
            row = self._row(uid)
        except KeyError:
            return
        if len(self._rows) > 1:
            self.ensureWidgetVisible(row.title, 0, 0)

    # -- internals ------------------------------------------------------------------------
    def _row(self, uid: str) -> _Row:
        for row in self._rows:
            if row.uid == uid:
                return row
        raise KeyError(uid)

    def _lay_out(self) -> None:
        while self._layout.count():
            self._layout.takeAt(0)
        several = len(self._rows) > 1
        for row in self._rows:
            self._layout.addWidget(row, 1)
            row.title.setVisible(several)
            row.setMinimumHeight(ROW_MINIMUM if several else 0)
            row.show()
        self.setVerticalScrollBarPolicy(
            Qt.ScrollBarPolicy.ScrollBarAsNeeded
            if several
            else Qt.ScrollBarPolicy.ScrollBarAlwaysOff
        )
