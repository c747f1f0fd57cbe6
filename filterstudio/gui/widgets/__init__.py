"""The studio window's widgets, one role a module; import them from this package.

A module here imports from the window layer only :mod:`filterstudio.gui.imaging` and
:mod:`filterstudio.gui.tasks` (besides ``core`` and ``model``): the widgets know nothing of the
main window, the controller or the worker, so each can be built and tested on its own.
"""

from .arithmetic_view import ArithmeticWidget
from .choices import choice_tip, fill_choices
from .code_dialog import LIBRARY_TITLES, CodeDialog
from .equivalence_view import EquivalenceDialog
from .feature_grid import FeatureGridWidget, grid_shape
from .filter_list import FilterListWidget
from .frequency_view import FrequencyView
from .guess_widget import GuessWidget
from .input_panel import InputPanelWidget
from .kernel_cell import KernelCellWidget, cell_colors, format_cell
from .kernel_divisor import DivisorWidget
from .kernel_editor import GRID_SHAPES, GRID_SIZES, KernelEditorWidget
from .kernel_grid import KernelGridsWidget, KernelGridView
from .kernel_insight import FactorRow, KernelInsightWidget
from .kernel_text import KernelTextWidget
from .kernel_values import KernelValuesView
from .layer_controls import LayerControlsWidget, formula_text
from .layouts import column, splitter
from .learn_widget import LearnWidget
from .lesson_canvas import LessonCanvas
from .lesson_exporter import LessonExporterWidget, LessonExportJob
from .lesson_widget import LessonWidget, step_interval_ms
from .loss_curve import LossCurveWidget
from .map_detail import DetailTile, ShownPicture
from .map_panel import MapPanelWidget
from .map_style import GRID_MIN_PX, VALUES_MIN_PX, detail_level, format_value
from .map_view import MapView
from .number_box import NumberBox
from .panel_parts import ColorBarWidget, ElidingLabel, HistogramWidget, format_stats
from .picture_view import PictureView
from .pool_controls import PoolControlsWidget
from .scene_canvas import SceneCanvas
from .stack_view import StackViewWidget
from .stage_bar import StageBarWidget
from .transport_bar import TransportBar, rate_text
from .view_sync import ViewSync

__all__ = [
    "GRID_MIN_PX",
    "GRID_SHAPES",
    "GRID_SIZES",
    "LIBRARY_TITLES",
    "VALUES_MIN_PX",
    "ArithmeticWidget",
    "CodeDialog",
    "ColorBarWidget",
    "DetailTile",
    "DivisorWidget",
    "ElidingLabel",
    "EquivalenceDialog",
    "FactorRow",
    "FeatureGridWidget",
    "FilterListWidget",
    "FrequencyView",
    "GuessWidget",
    "HistogramWidget",
    "InputPanelWidget",
    "KernelCellWidget",
    "KernelEditorWidget",
    "KernelGridView",
    "KernelGridsWidget",
    "KernelInsightWidget",
    "KernelTextWidget",
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
    "NumberBox",
    "PictureView",
    "PoolControlsWidget",
    "SceneCanvas",
    "ShownPicture",
    "TransportBar",
    "StackViewWidget",
    "StageBarWidget",
    "ViewSync",
    "cell_colors",
    "choice_tip",
    "column",
    "detail_level",
    "fill_choices",
    "format_cell",
    "format_stats",
    "format_value",
    "formula_text",
    "grid_shape",
    "rate_text",
    "splitter",
    "step_interval_ms",
]
