"""The studio's main window: builds the parts, lays out their views, keeps the scripting surface.

Each job lives in a part of its own: the controller (state and compute), the document
(session file, title), the loader (pictures in), exports and bank files (out), dialogs, the
status bar, and presenters that push state into the views. The window wires them together
once; its scripting surface (docs/SCRIPTING.md) is a set of one-line delegates to them.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QTabWidget,
    QWidget,
)

from ..core.formats import PICTURE_EXTENSIONS
from ..model.bank import Bank
from ..model.studio import default_bank, default_display
from .actions import build_actions
from .bank_files import BankFiles
from .cameras import CameraMenu
from .controller import StudioController
from .dialogs import Dialogs
from .document import Document
from .editing import EditingPresenter
from .exports import Exports
from .folder_apply import FolderApply, FolderSummary
from .help import GETTING_STARTED_HTML, HelpDialog, shortcuts_html
from .hover import HoverPresenter
from .insight import InsightPresenter
from .learn import LearnPresenter
from .lesson_exports import LessonExports
from .loading import Loader
from .menus import VIEW, action_table
from .panels import MapPanels
from .playback import Playback
from .presenting import Presentation
from .pushes import follow
from .recording import Recording
from .stack_surface import StackSurface
from .stage_hover import StageHoverPresenter
from .stage_panels import StagePanels
from .stages import StagesPresenter
from .startup import freeze_startup_objects
from .status import StatusPresenter
from .tasks import run_until
from .transport import TransportPresenter
from .video_surface import VideoScripting
from .widgets import (
    ArithmeticWidget,
    FeatureGridWidget,
    FilterListWidget,
    GuessWidget,
    InputPanelWidget,
    KernelEditorWidget,
    KernelInsightWidget,
    LayerControlsWidget,
    LearnWidget,
    LessonWidget,
    MapPanelWidget,
    PoolControlsWidget,
    StackViewWidget,
    StageBarWidget,
    ViewSync,
    column,
    splitter,
)
from .window_fit import DockScrollArea, SideDocks
from .window_layout import restore_layout, save_layout

IMAGE_FILTER = (
    f"Images and sessions ({' '.join('*' + ext for ext in PICTURE_EXTENSIONS)} *.fstudio);;"
    "All files (*)"
)


class MainWindow(StackSurface, QMainWindow, VideoScripting):
    """Filter Studio's window.

    Signals
    -------
    imageLoaded()
        A new picture is in (after :meth:`open_image`, a drop, a paste, a session).
    """

    imageLoaded = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("FilterStudioMainWindow")
        self.setDockNestingEnabled(True)
        self._closing = False
        self._help: dict[str, HelpDialog] = {}
        self.controller = StudioController(self)
        self._build_views()
        self.status = StatusPresenter(self.statusBar(), self)
        self.dialogs = Dialogs(self, self.status)
        self.loader = Loader(
            self.controller, self.dialogs, self.status, self, before_show=self._fit_display_side
        )
        self.document = Document(self, self.controller, self.dialogs, self.loader)
        self.loader.open_session = self.document.open_session
        self.playback = Playback(self.controller, self.loader, self.dialogs, self.status, self)
        self.loader.open_video = self.playback.open_video
        self.recording = Recording(self.controller, self.playback, self.dialogs, self.document, self)
        self.exports = Exports(
            self.controller, self.dialogs, self.document, self.wait_until_current, self
        )
        self.bank_files = BankFiles(self.controller, self.dialogs, self.document, self)
        self.folder_apply = FolderApply(self.controller, self.dialogs, self)
        self.lesson_exports = LessonExports(self.lesson, self.dialogs, self.document, self)
        self.panels = MapPanels(self.feature_grid, self.sync, self)
        self.stage_panels = StagePanels(self.stack_view, self.sync, self)
        self.editing = EditingPresenter(
            self.controller, self.filter_list, self.kernel_editor, self.layer_controls,
            self.lesson, lambda: self.tabs.currentWidget() is self.lesson, self,
            pool_controls=self.pool_controls, pool_note=self.pool_note,
        )  # fmt: skip
        self.stages = StagesPresenter(self.controller, self.stage_bar, self.stack_view, self)
        self.hover = HoverPresenter(self.arithmetic, self.input_panel.view, self)
        self.stage_hover = StageHoverPresenter(
            self.arithmetic, self.input_panel.view, self._map_view, self
        )
        self.insight_presenter = InsightPresenter(self.insight, self, self)
        self.learn = LearnPresenter(
            self.controller, self.learn_page, self.guess_page, self.dialogs,
            self.document.ask_open_path, self._show_learn, self,
        )  # fmt: skip
        self.actions = build_actions(self, self.menuBar(), action_table(self))
        self.cameras = CameraMenu(self.actions.submenus["file.camera"],
                                  lambda i, name: self.playback.open_camera(i, name=name), self)
        self.transport = TransportPresenter(self, self.playback, self.recording, self.actions.actions)
        self._finish_menus()
        self._connect()
        self.presentation = Presentation(
            self,
            (self.kernel_editor, self.layer_controls, self.pool_controls, self.stage_bar,
             self.filter_list, self.input_panel, self.stack_view, self.arithmetic, self.lesson),
            (self.filters_dock, self.layer_dock, self.insight_dock), self.side_docks,
            lambda: self.tabs.currentWidget() is self.lesson,
        )  # fmt: skip
        restore_layout(self, self.side_docks, self.splitter, self.input_column,
                       self.layer_dock, self.insight_dock)  # fmt: skip
        self.transport.sync()  # the video bar shows only while a video plays
        bank = default_bank()
        self.controller.load_state(bank, default_display(bank))
        self.document.update_title()

    # == construction ====================================================================
    def _build_views(self) -> None:
        self.sync = ViewSync(self)
        self.input_panel = InputPanelWidget()
        self.sync.add(self.input_panel.view)
        self.feature_grid = FeatureGridWidget()
        # Every stage's maps: the bank's grid first, a row for each later stage.
        self.stack_view = StackViewWidget(self.feature_grid)
        # The arithmetic of a hovered cell sits under the input it reads from.
        self.arithmetic = ArithmeticWidget()
        self.input_column = splitter(
            Qt.Orientation.Vertical, (self.input_panel, 3), (self.arithmetic, 2), name="inputColumn"
        )
        self.splitter = splitter(
            Qt.Orientation.Horizontal, (self.input_column, 2), (self.stack_view, 5),
            name="studioSplitter",
        )  # fmt: skip
        self.lesson = LessonWidget()
        self.tabs = QTabWidget()
        self.tabs.setObjectName("viewTabs")
        self.tabs.addTab(self.splitter, "Studio")
        self.tabs.addTab(self.lesson, "Lesson")
        self.learn_page = LearnWidget()
        self.guess_page = GuessWidget()
        self.learn_tabs = QTabWidget()
        self.learn_tabs.setObjectName("learnTabs")
        self.learn_tabs.setDocumentMode(True)
        self.learn_tabs.addTab(self.learn_page, "Learn a kernel")
        self.learn_tabs.addTab(self.guess_page, "Guess the mystery kernel")
        self.tabs.addTab(self.learn_tabs, "Learn")
        self.setCentralWidget(self.tabs)

        self.stage_bar = StageBarWidget()
        self.filter_list = FilterListWidget()
        self.kernel_editor = KernelEditorWidget()
        self.pool_note = QLabel(
            "A pooling stage has no filters or weights: it keeps the largest (or the mean) "
            "value of each window of every map. Its window is set in the Layer panel."
        )
        self.pool_note.setWordWrap(True)
        self.pool_note.hide()
        left = column(
            self.stage_bar, self.filter_list, self.pool_note, self.kernel_editor,
            margin=6, stretch=True,
        )  # fmt: skip
        self.filters_dock = self._dock("Filters", "filtersDock", left)
        self.layer_controls = LayerControlsWidget()
        self.pool_controls = PoolControlsWidget()
        self.pool_controls.hide()
        settings = column(self.layer_controls, self.pool_controls)
        self.layer_dock = self._dock("Layer", "layerDock", settings)
        # What the kernel does to frequencies and whether it splits: a tab beside the layer's,
        # so the kernel grid above stays whole on a laptop screen and both show at once.
        self.insight = KernelInsightWidget()
        self.insight_dock = self._dock("Kernel Insight", "insightDock", self.insight)
        # Stacked while both fit the window's height whole, tabbed while they do not; the
        # insight dock keeps its place as a tab beside the layer's either way.
        self.side_docks = SideDocks(
            self, self.filters_dock, self.layer_dock, companions=(self.insight_dock,)
        )
        self.filter_list.setMinimumHeight(112)
        # The list scrolls past six filters; the kernel grid below keeps its full height.
        self.filter_list.setMaximumHeight(160)

    def _dock(self, title: str, name: str, content: QWidget) -> QDockWidget:
        """A left dock holding ``content`` in a scroll area (the content holds its own minimum)."""
        scroll = DockScrollArea(content)
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(scroll)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        return dock

    def _finish_menus(self) -> None:
        """What the table cannot say: live undo texts, dock toggles, the recent-file menus."""
        stack = self.controller.undo_stack
        for act, can, text, changed, word in (
            (self.action("edit.undo"), stack.canUndo, stack.undoText, stack.canUndoChanged, "&Undo"),
            (self.action("edit.redo"), stack.canRedo, stack.redoText, stack.canRedoChanged, "&Redo"),
        ):  # fmt: skip
            act.setEnabled(can())
            changed.connect(act.setEnabled)
            follow = stack.undoTextChanged if word == "&Undo" else stack.redoTextChanged
            follow.connect(lambda t, a=act, w=word: a.setText(f"{w} {t}".strip()))
            act.setText(f"{word} {text()}".strip())
        # The window holds every command too, so its keys work while the menu bar is hidden
        # (presenting).
        self.addActions(list(self.actions.actions.values()))
        view = self.actions.menus[VIEW]
        view.addActions([self.filters_dock.toggleViewAction(), self.layer_dock.toggleViewAction(),
                         self.insight_dock.toggleViewAction()])  # fmt: skip
        self.loader.recent.show_in(self.actions.submenus["file.recent"])
        self.document.recent.show_in(self.actions.submenus["file.recent_sessions"])

    def _connect(self) -> None:
        c, panels, editing, hover, status = (
            self.controller, self.panels, self.editing, self.hover, self.status,
        )  # fmt: skip
        # The picture first: a presenter retitling for a new bank reads the picture it has.
        c.imageChanged.connect(self._on_image_changed)
        # The stage presenter after the bank's: it may choose another stage on a change.
        follow(c, panels, editing, hover, self.stage_panels, self.stage_hover, self.stages,
               self.insight_presenter, self.learn)  # fmt: skip
        self._connect_stages()
        self.insight_presenter.message.connect(status.show)
        self.insight_dock.visibilityChanged.connect(self.insight.set_active)
        self.learn.message.connect(status.show)
        c.progressChanged.connect(status.set_progress)
        c.busyChanged.connect(status.set_computing)
        c.mapsUpdated.connect(status.set_updated)
        c.mapsCurrent.connect(freeze_startup_objects)
        c.message.connect(status.show)
        editing.message.connect(status.show)
        hover.message.connect(status.show)
        self.tabs.currentChanged.connect(lambda _i: editing.on_tab_changed())
        self.tabs.currentChanged.connect(lambda _i: self.presentation.tab_changed())
        panels.selectRequested.connect(self._select_uid)
        panels.hoveredCell.connect(hover.on_panel_hovered)
        panels.hoveredCell.connect(self.stage_hover.on_panel_hovered)
        panels.mappingChanged.connect(lambda u, m, cm: c.set_display(m, cm or None, uid=u))
        panels.reluToggled.connect(self._on_panel_relu_toggled)
        panels.displaySideWanted.connect(self._fit_display_side)
        panels.panelMade.connect(lambda panel: self.loader.accept_drops_on(panel.view.viewport()))
        panels.panelMade.connect(lambda panel: self.playback.watch_keys(panel.view))
        self.playback.watch_keys(self.input_panel.view)
        self.input_panel.hoveredPixel.connect(hover.on_input_hovered)
        self.loader.imageLoaded.connect(lambda _state: self.imageLoaded.emit())
        self.loader.accept_drops_on(self)
        self.loader.accept_drops_on(self.input_panel.view.viewport())

    # == scripting surface (docs/SCRIPTING.md) ==========================================
    @property
    def bank(self) -> Bank:
        """The current filter bank (immutable)."""
        return self.controller.bank

    def open_path(self, path: str) -> bool:
        """Open an image (in the background) or a ``.fstudio`` session, as File > Open does."""
        return self.loader.open_path(path)

    def open_image(self, path: str, *, wait: bool = True, reduce_to: int | None = None) -> bool:
        """Load ``path``; with ``wait`` the call returns once the picture is in (or refused)."""
        return self.loader.open_image(path, wait=wait, reduce_to=reduce_to)

    def set_image_array(self, pixels: np.ndarray, name: str = "array", *, sample=None) -> None:
        """Show ``pixels`` (float in [0, 1], ``(H, W)`` or ``(H, W, 3)``) as the input picture."""
        self.loader.set_image_array(pixels, name, sample=sample)

    def open_sample(self, name: str) -> None:
        """Open a built-in picture: ``photo`` or a lesson image name."""
        self.loader.open_sample(name)

    def set_kernel(self, index: int, kernel, tag: str = "") -> None:
        """Replace filter ``index``'s kernel (undoable, like typing in the grid)."""
        self.controller.set_kernel(index, kernel, tag)

    def set_layer(self, **changes) -> None:
        """Change shared layer settings: ``stride``, ``padding``, ``border``, ``cval``,
        ``dilation``, ``channel_mode``."""
        self.controller.set_layer(**changes)

    def set_stride(self, stride) -> None:
        self.controller.set_layer(stride=stride)

    def is_current(self) -> bool:
        """Whether every enabled filter's panel shows the map of the newest state."""
        return self.controller.is_current()

    def wait_until_current(self, timeout: float = 30.0) -> bool:
        """Run the event loop until the maps are current (or ``timeout`` seconds pass)."""
        run_until(self.is_current, self.controller.mapsCurrent, timeout=timeout)
        return self.is_current()

    def map_values(self, index: int) -> np.ndarray | None:
        """The exact float32 map of filter ``index`` (None while computing or after an error)."""
        res = self.controller.result(self.bank.filters[index].uid)
        return None if res is None else res.values

    def combined_values(self, index: int) -> np.ndarray | None:
        """The exact combined map ``index`` as its panel shows it (None while computing)."""
        res = self.panels.shown(self.controller.derived[index].uid)
        return None if res is None or not res.is_final else res.values

    def panel(self, index: int) -> MapPanelWidget:
        """The panel showing filter ``index``."""
        return self.panels.panel(self.bank.filters[index].uid)

    def combined_panel(self, index: int) -> MapPanelWidget:
        """The panel showing combined map ``index``."""
        return self.panels.panel(self.controller.derived[index].uid)

    def add_combined_map(self, a_index: int, b_index: int, op: str = "magnitude") -> None:
        """Add a panel showing ``op`` (magnitude, sum, maximum) of two filters' maps."""
        try:
            self.controller.add_derived(a_index, b_index, op)
        except (ValueError, IndexError) as exc:
            self.dialogs.failure(exc)

    def apply_to_folder(self, src, dst, *, fmt="png", exact=False, overwrite=False,
                        wait=True) -> FolderSummary | None:  # fmt: skip
        """The bank, as shown, through every picture of ``src`` into ``dst`` (see
        :meth:`FolderApply.apply_to_folder`); with ``wait`` the run's summary."""
        return self.folder_apply.apply_to_folder(src, dst, fmt=fmt, exact=exact,
                                                 overwrite=overwrite, wait=wait)  # fmt: skip

    def busy_text(self) -> str:
        """What the progress bar in the status bar says, e.g. ``"3/8 maps"`` (may be empty)."""
        return self.status.busy_text()

    def filter_code(self, index: int, library: str) -> str:
        """The program (numpy, scipy, opencv, pytorch, keras) that redoes filter ``index``'s map
        from the picture, as Filters > Copy as Code shows it."""
        return self.insight_presenter.filter_code(index, library)

    def show_insight(self) -> None:
        """Show the Kernel Insight dock in front of the dock it shares a place with."""
        self.side_docks.bring_forward(self.insight_dock)

    def copy_code_dialog(self):
        """Open Filters > Copy as Code for the selected filter; returns the dialog (or None)."""
        return self.insight_presenter.open_dialog()

    def action(self, action_id: str) -> QAction:
        """The menu command ``action_id`` (see :mod:`filterstudio.gui.menus`)."""
        return self.actions[action_id]

    def open_at_start(self, path: str) -> None:
        """Open ``path`` given on the command line; if it does not open, say why and show the
        sample picture instead of an empty studio."""
        loader = self.loader
        pending = [True]

        def settle(_value=None, failed: bool = False) -> None:
            if not pending:
                return
            pending.clear()
            loader.loadFailed.disconnect(fail)
            loader.imageLoaded.disconnect(settle)
            if failed:
                self.open_sample("photo")

        def fail(_reason: str = "") -> None:
            settle(failed=True)

        loader.loadFailed.connect(fail)
        loader.imageLoaded.connect(settle)
        opened = loader.open_path(path)
        if not loader.is_loading():
            # Refused, or a session whose picture is nowhere: the sample, not an empty studio.
            settle(failed=not opened or self.controller.image is None)

    # == commands =========================================================================
    def open_image_dialog(self) -> None:
        path = self.document.ask_open_path("Open Image", IMAGE_FILTER)
        if path:
            self.open_path(path)

    def paste(self) -> None:
        """A kernel into the grid when it has the focus, else the clipboard's picture."""
        focus = QApplication.focusWidget()
        mime = QGuiApplication.clipboard().mimeData()
        in_editor = focus is not None and self.kernel_editor.isAncestorOf(focus)
        text_only = mime is not None and mime.hasText() and not (mime.hasImage() or mime.hasUrls())
        if in_editor or text_only:
            self.kernel_editor.paste_kernel()
        else:
            self.loader.paste()

    def export_lesson_gif(self) -> None:
        """The Lesson tab (it builds the lesson of the selected filter or stage), then its GIF."""
        self.tabs.setCurrentWidget(self.lesson)
        self.lesson_exports.export_gif_dialog()

    def combine_maps_dialog(self) -> None:
        chosen = self.dialogs.combine([f.name for f in self.bank.filters])
        if chosen is not None:
            self.add_combined_map(*chosen)

    def set_default_mapping(self, mapping: str) -> None:
        self.controller.set_display(mapping, self.controller.display.colormap)

    def show_getting_started(self) -> None:
        """Help › Getting Started: the first steps, in a window beside the studio."""
        self._show_help("Getting Started", GETTING_STARTED_HTML)

    def show_shortcuts(self) -> None:
        """Help › Keyboard Shortcuts: every key, from the action table and the views' keys."""
        self._show_help("Keyboard Shortcuts", shortcuts_html(action_table(self)))

    def _show_help(self, title: str, page: str) -> None:
        dialog = self._help.get(title)
        if dialog is None:
            dialog = self._help[title] = HelpDialog(title, page, self)
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()

    def help_dialog(self, title: str) -> HelpDialog | None:
        """The help window called ``title`` once it has been opened (for scripts and tests)."""
        return self._help.get(title)

    def show_about(self) -> None:
        from .. import __version__

        QMessageBox.about(
            self,
            "About Filter Studio",
            f"<b>Filter Studio {__version__}</b><p>See what convolution does to a picture: "
            "edit kernels, change stride and padding, and watch every feature map follow.</p>",
        )

    # == reactions ========================================================================
    def _on_image_changed(self, state) -> None:
        if state is None:
            return
        title = f"{state.name}  {state.size_label}, {state.mode_label}"
        self.input_panel.set_image(state.display_pixels, state.pixels, title=title)
        self.status.set_picture(state)
        if not self.playback.continues(state):  # the next frame of a video keeps the zoom
            QTimer.singleShot(0, self.sync.fit_all)

    def _show_learn(self, page: int) -> None:
        self.tabs.setCurrentWidget(self.learn_tabs)
        self.learn_tabs.setCurrentIndex(page)

    def _select_uid(self, uid: str) -> None:
        try:
            self.controller.select(self.bank.index_of(uid))
        except KeyError:
            pass  # a combined map: nothing to select

    def _on_panel_relu_toggled(self, uid: str, on: bool) -> None:
        try:
            index = self.bank.index_of(uid)
        except KeyError:
            return
        self.controller.set_filter_fields(index, activation="relu" if on else "none")

    def _fit_display_side(self) -> None:
        """Ask for 8-bit copies as large as the largest panel (Qt then paints them nearly 1:1)."""
        if not self.isVisible():
            return
        side = self.panels.display_side(self.devicePixelRatioF())
        current = self.controller.max_display_side
        if side is not None and abs(side - current) > 0.15 * current:
            self.controller.set_display_side(side)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self.panels.request_display_side()
        self.side_docks.request_fit()

    # == presentation ======================================================================
    def toggle_presentation(self) -> None:
        self.presentation.toggle()

    def set_presentation(self, on: bool) -> None:
        """Full screen for a projector; F5/F11/Esc toggle (see :mod:`.presenting`)."""
        self.presentation.set_on(on)

    def is_presenting(self) -> bool:
        """Whether the window is in presentation mode (F5)."""
        return self.presentation.is_on()

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if event.key() == Qt.Key.Key_Escape and self.presentation.is_on():
            self.set_presentation(False)
            return
        super().keyPressEvent(event)

    # == settings and closing ==============================================================
    def close_without_asking(self) -> None:
        """Close at once, as when the system asks the program to stop (SIGTERM): nothing is
        asked, work in progress is cancelled and writes not yet in place leave nothing behind."""
        self._closing = True
        self.close()

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if not self._closing and not self.document.confirm_discard("closing"):
            event.ignore()
            return
        forced = self._closing  # told to stop (SIGTERM): nothing half-done is kept
        self._closing = True
        self.dialogs.set_closing()
        self.loader.shutdown()  # a picture still decoding is dropped
        self.folder_apply.shutdown()  # a folder run stops before its next write
        self.recording.shutdown(keep=not forced)  # videos recorded are finished, or dropped
        self.playback.shutdown()  # frame readers stop; their threads end before Qt's do
        self.lesson.shutdown()  # a lesson export still running is cancelled: it writes nothing
        self.insight.shutdown()
        self.learn.shutdown()  # a descent still running is stopped
        save_layout(self, self.presentation.saved_state(), self.splitter, self.input_column)
        self.controller.shutdown()
        QThreadPool.globalInstance().waitForDone(5000)
        event.accept()
