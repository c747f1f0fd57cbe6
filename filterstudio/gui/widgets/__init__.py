"""Widgets of the studio window; the window imports them from this package."""

from .arithmetic_view import ArithmeticWidget
from .filter_list import FilterListWidget
from .kernel_editor import KernelCellWidget, KernelEditorWidget
from .layer_controls import LayerControlsWidget
from .lesson_view import LessonWidget
from .map_panel import FeatureGridWidget, InputPanelWidget, MapPanelWidget
from .map_view import MapView, ViewSync

__all__ = [
    "ArithmeticWidget",
    "FeatureGridWidget",
    "FilterListWidget",
    "InputPanelWidget",
    "KernelCellWidget",
    "KernelEditorWidget",
    "LayerControlsWidget",
    "LessonWidget",
    "MapPanelWidget",
    "MapView",
    "ViewSync",
]
