"""Keeps several map views on the same zoom and scene centre, so they show the same region."""

from __future__ import annotations

from PySide6.QtCore import QObject, QPointF

from .map_style import ZOOM_STEP
from .map_view import MapView


class ViewSync(QObject):
    """Keeps the zoom and the scene centre of several MapViews identical.

    All views show input-pixel scene coordinates, so equal zoom and centre mean they show the
    same region. A change made in one view (wheel, keys, drag, zoom buttons) is pushed to the
    others without re-emitting; "fit" is shared as a mode, in which every view fits the whole
    input into its own viewport (and keeps doing so when resized).
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._views: list[MapView] = []
        self._slots: dict[int, tuple] = {}
        self._pushing = False
        self._fit = True
        self._zoom = 1.0
        self._center = QPointF(0.0, 0.0)

    def views(self) -> list[MapView]:
        """The synchronised views, in the order they were added."""
        return list(self._views)

    def add(self, view: MapView) -> None:
        """Synchronise ``view`` too; it adopts the current zoom and centre (or fit)."""
        if view in self._views:
            return
        if self._views:
            self._apply_to(view)
        else:
            self._read_from(view)

        def changed(v: MapView = view) -> None:
            self._on_view_changed(v)

        def destroyed(_obj=None, v: MapView = view) -> None:
            self._forget(v)

        view.viewChanged.connect(changed)
        view.destroyed.connect(destroyed)
        self._slots[id(view)] = (changed, destroyed)
        self._views.append(view)

    def remove(self, view: MapView) -> None:
        """Stop synchronising ``view``."""
        if view not in self._views:
            return
        changed, destroyed = self._slots.pop(id(view))
        view.viewChanged.disconnect(changed)
        view.destroyed.disconnect(destroyed)
        self._views.remove(view)

    def _forget(self, view: MapView) -> None:
        self._slots.pop(id(view), None)
        self._views = [v for v in self._views if v is not view]

    def fit_all(self) -> None:
        """Every view fits the whole input."""
        self._fit = True
        self._push(None)

    def zoom_100_all(self) -> None:
        """One input pixel per screen pixel everywhere, keeping the shared centre."""
        self._set_zoom(1.0)

    def zoom_in_all(self) -> None:
        """Zoom every view in one step."""
        self._set_zoom(self._current_zoom() * ZOOM_STEP)

    def zoom_out_all(self) -> None:
        """Zoom every view out one step."""
        self._set_zoom(self._current_zoom() / ZOOM_STEP)

    def _current_zoom(self) -> float:
        if self._fit and self._views:
            return self._views[0].zoom()
        return self._zoom

    def _set_zoom(self, zoom: float) -> None:
        if self._fit and self._views:
            self._center = self._views[0].center()
        self._fit = False
        self._zoom = zoom
        self._push(None)

    def _read_from(self, view: MapView) -> None:
        self._fit = view.is_fit()
        self._zoom = view.zoom()
        self._center = view.center()

    def _apply_to(self, view: MapView) -> None:
        if self._fit:
            view.apply_fit()
        else:
            view.apply_view_state(self._zoom, self._center)

    def _on_view_changed(self, view: MapView) -> None:
        if self._pushing:
            return
        self._read_from(view)
        self._push(view)

    def _push(self, source: MapView | None) -> None:
        self._pushing = True
        try:
            for view in self._views:
                if view is not source:
                    self._apply_to(view)
        finally:
            self._pushing = False
