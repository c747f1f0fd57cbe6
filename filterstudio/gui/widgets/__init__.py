"""The studio window's widgets, one role a module; import them from this package.

A module here imports from the window layer only :mod:`filterstudio.gui.imaging` and
:mod:`filterstudio.gui.tasks` (besides ``core`` and ``model``): the widgets know nothing of the
main window, the controller or the worker, so each can be built and tested on its own.
"""

from .arithmetic_view import ArithmeticWidget
from .choices import choice_tip, fill_choices
from .feature_grid import FeatureGridWidget, grid_shape
from .filter_list import FilterListWidget
from .guess_widget import GuessWidget
from .input_panel import InputPanelWidget
from .kernel_editor import GRID_SIZES, KernelEditorWidget
from .kernel_grid import (
    KernelCellWidget,
    KernelGridsWidget,
    KernelGridView,
    cell_colors,
    format_cell,
)
from .kernel_values import KernelValuesView
from .layer_controls import LayerControlsWidget, formula_text
from .learn_widget import LearnWidget
from .lesson_canvas import LessonCanvas
from .lesson_exporter import LessonExporterWidget, LessonExportJob
from .lesson_widget import LessonWidget, step_interval_ms
from .loss_curve import LossCurveWidget
from .map_detail import DetailTile, ShownPicture
from .map_panel import MapPanelWidget
from .map_style import GRID_MIN_PX, VALUES_MIN_PX, detail_level, format_value
from .map_view import MapView
from .panel_parts import ColorBarWidget, ElidingLabel, HistogramWidget, format_stats
from .picture_view import PictureView
from .view_sync import ViewSync

__all__ = [
    "GRID_MIN_PX",
    "GRID_SIZES",
    "VALUES_MIN_PX",
    "ArithmeticWidget",
    "ColorBarWidget",
    "DetailTile",
    "ElidingLabel",
    "FeatureGridWidget",
    "FilterListWidget",
    "GuessWidget",
    "HistogramWidget",
    "InputPanelWidget",
    "KernelCellWidget",
    "KernelEditorWidget",
    "KernelGridView",
    "KernelGridsWidget",
    "KernelValuesView",
    "LayerControlsWidget",
    "LearnWidget",
    "LessonCanvas",
    "LessonExportJob",
    "LessonExporterWidget",
    "LessonWidget",
    "LossCurveWidget",
    "MapPanelWidget",
    "MapView",
    "PictureView",
    "ShownPicture",
    "ViewSync",
    "cell_colors",
    "choice_tip",
    "detail_level",
    "fill_choices",
    "format_cell",
    "format_stats",
    "format_value",
    "formula_text",
    "grid_shape",
    "step_interval_ms",
]
