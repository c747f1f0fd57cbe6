"""The studio's main window: panels, docks and menus wired to one controller.

The window is also the scripting surface (see docs/SCRIPTING.md): tests and benchmarks drive it
through ``open_image``, ``set_image_array``, ``set_kernel``, ``set_layer``, ``wait_until_current``
and friends instead of reaching into widgets.
"""

from __future__ import annotations

import gc
import time
from functools import partial
from pathlib import Path

import numpy as np
from PySide6.QtCore import (
    QByteArray,
    QEventLoop,
    QObject,
    QSettings,
    Qt,
    QThreadPool,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QGuiApplication, QImage, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QFileDialog,
    QFormLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..core import display
from ..core.geometry import MapGeometry
from ..core.imageio import ImageError, ImageTooLarge, load_image
from ..core.kernels import PRESETS
from ..core.lesson import cell_breakdown
from ..core.samples import LESSON_IMAGES, load_sample
from ..model.bank import Bank
from .controller import ImageState, StudioController, default_bank, make_image_state
from .file_actions import FileActions
from .widgets import (
    ArithmeticWidget,
    FeatureGridWidget,
    FilterListWidget,
    InputPanelWidget,
    KernelEditorWidget,
    LayerControlsWidget,
    LessonWidget,
    MapPanelWidget,
    ViewSync,
)

IMAGE_FILTER = "Images and sessions (*.png *.jpg *.jpeg *.bmp *.tif *.tiff *.webp *.gif *.fstudio);;All files (*)"
MAX_RECENT = 8
REDUCED_PIXELS = 12_000_000


_startup_frozen = False


def freeze_startup_objects() -> None:
    """Once per process, when the first maps are on screen: exempt what start-up built from
    the garbage collector's full passes.

    A full pass over the ~50,000 objects of a running studio (Qt wrappers, modules, widgets)
    takes about 30 ms and Python starts one now and then on whichever thread allocates, which
    shows as a hitch in a drag. Frozen objects are still freed by reference counting; only the
    cycle search skips them, so later full passes look at what was made since.
    """
    global _startup_frozen
    if _startup_frozen:
        return
    _startup_frozen = True
    gc.collect()
    gc.freeze()


class _LoadSignals(QObject):
    """Lives as long as the window: pool threads report through it (queued to the GUI)."""

    done = Signal(object, object, object)  # token, ImageState | None, error


def _load_in_pool(signals: _LoadSignals, token: int, path: str, reduce_to: int | None) -> None:
    """Decode an image off the GUI thread (run by QThreadPool, which owns the task)."""
    try:
        state = load_image_state(path, reduce_to)
        signals.done.emit(token, state, None)
    except Exception as exc:  # noqa: BLE001 - handed to the GUI thread as a message
        signals.done.emit(token, None, exc)


def input_display_pixels(pixels: np.ndarray, max_side: int = 2048) -> np.ndarray:
    """8-bit display copy of an input picture (made where the picture is loaded)."""
    small = display.downscale_for_display(pixels, max_side)
    out = display.to_uint8(small, "clip")
    out.setflags(write=False)
    return out


def load_image_state(path: str, reduce_to: int | None = None) -> ImageState:
    arr = load_image(path, reduce_to=reduce_to) if reduce_to else load_image(path)
    note = None
    if reduce_to:
        h, w = arr.shape[:2]
        note = f"Working on a reduced copy ({w}x{h}) of this large picture."
    state = make_image_state(arr, Path(path).name, path=str(Path(path).resolve()), note=note)
    return _with_display(state)


def _with_display(state: ImageState) -> ImageState:
    object.__setattr__(state, "display_pixels", input_display_pixels(state.pixels))
    return state


class MainWindow(QMainWindow):
    """Filter Studio's window."""

    imageLoaded = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Filter Studio")
        self.setObjectName("FilterStudioMainWindow")
        self.setDockNestingEnabled(True)
        self.setAcceptDrops(True)
        self.controller = StudioController(self)
        self._panels: dict[str, MapPanelWidget] = {}
        self._load_token = 0
        # The pool owns and deletes each load task; only this long-lived object is shared, so
        # no task is freed while its thread is still returning from it.
        self._load_signals = _LoadSignals(self)
        self._load_signals.done.connect(self._on_load_done)
        self._pending_loads: dict[int, str] = {}  # token -> path
        self._last_edit = time.perf_counter()
        self._presenting = False
        self._closing = False
        self.session_path: str | None = None
        self._build_widgets()
        # Display copies follow the panels' size, settled 250 ms after a resize.
        self._display_side_timer = QTimer(self)
        self._display_side_timer.setSingleShot(True)
        self._display_side_timer.setInterval(250)
        self._display_side_timer.timeout.connect(self._update_display_side)
        self._build_menus()
        self._connect()
        self._restore_settings()
        self.controller.load_state(default_bank())
        self._on_bank_changed(self.controller.bank)
        self._update_title()
        self.file_actions = FileActions(self)

    # == construction ====================================================================
    def _build_widgets(self) -> None:
        self.sync = ViewSync(self)
        self.input_panel = InputPanelWidget()
        self.sync.add(self.input_panel.view)
        self.feature_grid = FeatureGridWidget()

        # The arithmetic of a hovered cell sits under the input it reads from.
        self.arithmetic = ArithmeticWidget()
        self.input_column = QSplitter(Qt.Vertical)
        self.input_column.setObjectName("inputColumn")
        self.input_column.addWidget(self.input_panel)
        self.input_column.addWidget(self.arithmetic)
        self.input_column.setStretchFactor(0, 3)
        self.input_column.setStretchFactor(1, 2)

        self.splitter = QSplitter(Qt.Horizontal)
        self.splitter.setObjectName("studioSplitter")
        self.splitter.addWidget(self.input_column)
        self.splitter.addWidget(self.feature_grid)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 5)

        self.lesson = LessonWidget()
        self.tabs = QTabWidget()
        self.tabs.setObjectName("viewTabs")
        self.tabs.addTab(self.splitter, "Studio")
        self.tabs.addTab(self.lesson, "Lesson")
        self.setCentralWidget(self.tabs)

        self.filter_list = FilterListWidget()
        self.kernel_editor = KernelEditorWidget()
        left = QWidget()
        lay = QVBoxLayout(left)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addWidget(self.filter_list)
        lay.addWidget(self.kernel_editor)
        lay.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(left)
        self.filters_dock = self._dock("Filters", "filtersDock", scroll, Qt.LeftDockWidgetArea)

        self.layer_controls = LayerControlsWidget()
        layer_scroll = QScrollArea()
        layer_scroll.setWidgetResizable(True)
        layer_scroll.setWidget(self.layer_controls)
        self.layer_dock = self._dock("Layer", "layerDock", layer_scroll, Qt.LeftDockWidgetArea)

        self.filter_list.setMinimumHeight(130)
        # The list scrolls past six filters; the kernel grid below keeps its full height.
        self.filter_list.setMaximumHeight(160)
        self.kernel_editor.setMinimumHeight(340)
        # Wide enough for a 5x5 grid of numbers and the output-size formula without clipping.
        scroll.setMinimumWidth(392)
        layer_scroll.setMinimumWidth(392)

        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setMaximumWidth(120)
        self.busy_bar.setVisible(False)
        # The bar comes and goes with every burst of work; were its room to go with it, the
        # status bar would change height and the whole window would be laid out and repainted.
        policy = self.busy_bar.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.busy_bar.setSizePolicy(policy)
        # QProgressBar.setValue repaints at once (10-40 ms with many panels): results only
        # mark the count as changed, and the bar follows at most ten times a second.
        self._progress_timer = QTimer(self)
        self._progress_timer.setSingleShot(True)
        self._progress_timer.setInterval(100)
        self._progress_timer.timeout.connect(self._show_progress)
        self.size_label = QLabel("")
        self.time_label = QLabel("")
        sb = self.statusBar()
        sb.addPermanentWidget(self.size_label)
        sb.addPermanentWidget(self.time_label)
        sb.addPermanentWidget(self.busy_bar)

    def _dock(self, title: str, name: str, widget: QWidget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetMovable
            | QDockWidget.DockWidgetFloatable
            | QDockWidget.DockWidgetClosable
        )
        self.addDockWidget(area, dock)
        return dock

    def _action(self, menu, text: str, slot, shortcut=None, tip: str | None = None) -> QAction:
        act = QAction(text, self)
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
        if tip:
            act.setStatusTip(tip)
        act.triggered.connect(slot)
        menu.addAction(act)
        return act

    def _build_menus(self) -> None:
        mb = self.menuBar()
        self.file_menu = fm = mb.addMenu("&File")
        self._action(fm, "&Open Image…", self._on_open_triggered, QKeySequence.Open)
        self.recent_menu = fm.addMenu("Open &Recent")
        self.samples_menu = fm.addMenu("&Samples")
        self._action(self.samples_menu, "Photo-like scene", lambda: self.open_sample("photo"))
        self.samples_menu.addSeparator()
        for name, lesson in LESSON_IMAGES.items():
            self._action(
                self.samples_menu,
                lesson.title,
                lambda _=False, n=name: self.open_sample(n),
                tip=lesson.description,
            )
        self.paste_action = self._action(
            fm, "&Paste Image", self._on_paste_triggered, QKeySequence.Paste
        )
        fm.addSeparator()
        self.file_actions_anchor = fm.addSeparator()
        self._action(fm, "&Quit", self.close, QKeySequence("Ctrl+Q"))

        em = mb.addMenu("&Edit")
        undo = self.controller.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.Undo)
        redo = self.controller.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence.Redo])
        em.addAction(undo)
        em.addAction(redo)
        self.edit_menu = em

        fl = mb.addMenu("Fi&lters")
        add = fl.addMenu("&Add Filter")
        for name, preset in PRESETS.items():
            self._action(
                add,
                name,
                lambda _=False, n=name: self.controller.add_filter(n),
                tip=preset.description,
            )
        self._action(
            fl,
            "&Duplicate Filter",
            lambda: self.controller.duplicate_filter(self.controller.selected_index),
            "Ctrl+D",
        )
        self._action(
            fl,
            "&Remove Filter",
            lambda: self.controller.remove_filter(self.controller.selected_index),
            "Ctrl+Del",
        )
        fl.addSeparator()
        self._action(
            fl,
            "&Combine Maps…",
            self._on_combine_triggered,
            "Ctrl+M",
            tip="A panel showing the magnitude, sum or maximum of two maps",
        )
        self._action(fl, "Remove Com&bined Maps", lambda: self.controller.remove_derived())
        fl.addSeparator()
        self._action(
            fl,
            "Next Filter",
            lambda: self.controller.select(self.controller.selected_index + 1),
            "Ctrl+]",
        )
        self._action(
            fl,
            "Previous Filter",
            lambda: self.controller.select(self.controller.selected_index - 1),
            "Ctrl+[",
        )
        self.filters_menu = fl

        vm = mb.addMenu("&View")
        self._action(vm, "Zoom &In", self.sync.zoom_in_all, QKeySequence.ZoomIn)
        self._action(vm, "Zoom &Out", self.sync.zoom_out_all, QKeySequence.ZoomOut)
        self._action(vm, "&Fit", self.sync.fit_all, "Ctrl+0")
        self._action(vm, "&100%", self.sync.zoom_100_all, "Ctrl+1")
        vm.addSeparator()
        mapm = vm.addMenu("Default &Mapping")
        for m in display.MAPPINGS:
            self._action(
                mapm,
                m,
                lambda _=False, mm=m: self.controller.set_display(
                    mm, self.controller.display.colormap
                ),
            )
        vm.addSeparator()
        self._action(vm, "&Studio", lambda: self.tabs.setCurrentIndex(0), "Ctrl+2")
        self._action(vm, "&Lesson", lambda: self.tabs.setCurrentIndex(1), "Ctrl+3")
        self.present_action = self._action(vm, "&Presentation Mode", self.toggle_presentation, "F5")
        self.present_action.setShortcuts([QKeySequence("F5"), QKeySequence("F11")])
        vm.addSeparator()
        for dock in (self.filters_dock, self.layer_dock):
            vm.addAction(dock.toggleViewAction())
        self.view_menu = vm

        hm = mb.addMenu("&Help")
        self._action(hm, "&About Filter Studio", self._on_about_triggered)

    def _connect(self) -> None:
        c = self.controller
        c.bankChanged.connect(self._on_bank_changed)
        c.selectionChanged.connect(self._on_selection_changed)
        c.imageChanged.connect(self._on_image_changed)
        c.resultApplied.connect(self._on_result_applied)
        c.busyChanged.connect(self.busy_bar.setVisible)
        c.message.connect(self._show_message)
        c.dirtyChanged.connect(lambda _d: self._update_title())
        c.mapsCurrent.connect(self._on_maps_current)
        c.derivedChanged.connect(lambda: self._sync_panels(self.bank))
        c.displayChanged.connect(self._on_display_changed)

        ke = self.kernel_editor
        ke.kernelEdited.connect(self._on_kernel_editor_kernel_edited)
        ke.biasEdited.connect(lambda b, tag: self._edit_selected(tag, bias=b))
        ke.activationEdited.connect(lambda a: self._edit_selected("", activation=a))
        ke.message.connect(self._show_message)

        self.layer_controls.layerEdited.connect(self._on_layer_controls_edited)

        fl = self.filter_list
        fl.selectRequested.connect(c.select)
        fl.addRequested.connect(lambda name: c.add_filter(name))
        fl.duplicateRequested.connect(c.duplicate_filter)
        fl.removeRequested.connect(c.remove_filter)
        fl.renameRequested.connect(c.rename_filter)
        fl.moveRequested.connect(c.move_filter)
        fl.enabledToggled.connect(lambda i, on: c.set_filter_fields(i, enabled=bool(on)))

        self.input_panel.hoveredPixel.connect(self._on_input_hovered)
        self.tabs.currentChanged.connect(lambda _i: self._refresh_lesson())

    # == scripting surface =================================================================
    @property
    def bank(self) -> Bank:
        """The current filter bank (immutable)."""
        return self.controller.bank

    def open_path(self, path: str) -> bool:
        """Open an image or a ``.fstudio`` session, as File > Open would."""
        if str(path).lower().endswith(".fstudio"):
            return self.file_actions.open_session(path)
        return self.open_image(path, wait=False)

    def open_image(self, path: str, *, wait: bool = True, reduce_to: int | None = None) -> bool:
        """Load ``path``; with ``wait`` the call returns once the picture is in (scripts, tests)."""
        if wait:
            try:
                state = load_image_state(str(path), reduce_to)
            except ImageTooLarge as exc:
                return self._offer_reduced(str(path), exc)
            except (ImageError, OSError, ValueError, MemoryError) as exc:
                self._show_error(_sentence(exc))
                return False
            self._set_image_state(state)
            return True
        self._load_async(str(path), reduce_to)
        return True

    def set_image_array(
        self, pixels: np.ndarray, name: str = "array", *, sample: str | None = None
    ) -> None:
        """Show ``pixels`` (float in [0, 1], ``(H, W)`` or ``(H, W, 3)``) as the input picture."""
        state = _with_display(make_image_state(pixels, name, sample=sample))
        self._set_image_state(state)

    def open_sample(self, name: str) -> None:
        """Open a built-in picture: ``photo`` or a lesson image name."""
        pixels = load_sample(name)
        title = "sample photo" if name == "photo" else LESSON_IMAGES[name].title
        self.set_image_array(pixels, title, sample=name)

    def set_kernel(self, index: int, kernel, tag: str = "") -> None:
        """Replace filter ``index``'s kernel (undoable, like typing in the grid)."""
        self.controller.set_kernel(index, kernel, tag)

    def set_layer(self, **changes) -> None:
        """Change shared layer settings: ``stride``, ``padding``, ``border``, ``cval``, ``dilation``, ``channel_mode``."""
        self.controller.set_layer(**changes)

    def set_stride(self, stride) -> None:
        self.controller.set_layer(stride=stride)

    def is_current(self) -> bool:
        """Whether every enabled filter's panel shows the map of the newest state."""
        return self.controller.is_current()

    def wait_until_current(self, timeout: float = 30.0) -> bool:
        """Run the event loop until the maps are current (or ``timeout`` seconds pass)."""
        if self.is_current():
            return True
        loop = QEventLoop()
        self.controller.mapsCurrent.connect(loop.quit)
        timer = QTimer()
        timer.setSingleShot(True)
        timer.timeout.connect(loop.quit)
        timer.start(int(timeout * 1000))
        while not self.is_current() and timer.isActive():
            loop.exec()
        self.controller.mapsCurrent.disconnect(loop.quit)
        return self.is_current()

    def map_values(self, index: int) -> np.ndarray | None:
        """The exact float32 map shown for filter ``index`` (None while not computed or on error)."""
        res = self.controller.result(self.bank.filters[index].uid)
        return None if res is None else res.values

    def panel(self, index: int) -> MapPanelWidget:
        return self._panels[self.bank.filters[index].uid]

    # == loading ===========================================================================
    def _load_async(self, path: str, reduce_to: int | None = None) -> None:
        self._load_token += 1
        self._pending_loads[self._load_token] = path
        self.busy_bar.setVisible(True)
        self.statusBar().showMessage(f"Opening {Path(path).name}…")
        QThreadPool.globalInstance().start(
            partial(_load_in_pool, self._load_signals, self._load_token, path, reduce_to)
        )

    def _on_load_done(self, token, state, error) -> None:
        path = self._pending_loads.pop(token, "")
        if token != self._load_token:
            return  # a newer open was asked for meanwhile
        self.busy_bar.setVisible(False)
        if isinstance(error, ImageTooLarge):
            self._offer_reduced(path, error)
        elif error is not None:
            self._show_error(_sentence(error))
        else:
            self._set_image_state(state)

    def _offer_reduced(self, path: str, exc: ImageTooLarge) -> bool:
        answer = QMessageBox.question(
            self,
            "Large picture",
            f"{_sentence(exc)}\n\nWork on a reduced copy of about {REDUCED_PIXELS // 1_000_000} megapixels?",
            QMessageBox.Yes | QMessageBox.No,
            QMessageBox.Yes,
        )
        if answer == QMessageBox.Yes:
            self._load_async(path, min(REDUCED_PIXELS, getattr(exc, "limit", REDUCED_PIXELS)))
            return True
        return False

    def _set_image_state(self, state: ImageState) -> None:
        if self.isVisible():
            # Size the display copies now, so the first maps are not redone when the timer fires.
            self._update_display_side()
        self.controller.set_image(state)
        if state.path:
            self._add_recent(state.path)
        if state.note:
            self._show_message(state.note)
        self.imageLoaded.emit()

    # == slots ===========================================================================
    def _on_open_triggered(self) -> None:
        settings = QSettings()
        folder = settings.value("lastFolder", "", str)
        path, _ = QFileDialog.getOpenFileName(self, "Open Image", folder, IMAGE_FILTER)
        if path:
            settings.setValue("lastFolder", str(Path(path).parent))
            self.open_path(path)

    def _on_paste_triggered(self) -> None:
        focus = QApplication.focusWidget()
        if focus is not None and self.kernel_editor.isAncestorOf(focus):
            self.kernel_editor.paste_kernel()
            return
        clip = QGuiApplication.clipboard()
        mime = clip.mimeData()
        if mime is not None and mime.hasImage():
            image = clip.image()
            if not image.isNull():
                self.set_image_array(qimage_to_array(image), "pasted image")
                return
        if mime is not None and mime.hasUrls():
            for url in mime.urls():
                if url.isLocalFile():
                    self.open_path(url.toLocalFile())
                    return
        if mime is not None and mime.hasText():
            self.kernel_editor.paste_kernel()
            return
        self._show_message("The clipboard holds no picture.")

    def _on_combine_triggered(self) -> None:
        dialog = CombineDialog([f.name for f in self.bank.filters], self)
        if dialog.exec() == QDialog.Accepted:
            a, b, op = dialog.choice()
            self.add_combined_map(a, b, op)

    def add_combined_map(self, a_index: int, b_index: int, op: str = "magnitude") -> None:
        """Add a panel showing ``op`` (magnitude, sum, maximum) of two filters' maps."""
        try:
            self.controller.add_derived(a_index, b_index, op)
        except (ValueError, IndexError) as exc:
            self._show_error(_sentence(exc))

    def _on_about_triggered(self) -> None:
        from .. import __version__

        QMessageBox.about(
            self,
            "About Filter Studio",
            f"<b>Filter Studio {__version__}</b><p>See what convolution does to a picture: "
            "edit kernels, change stride and padding, and watch every feature map follow.</p>",
        )

    def _edit_selected(self, tag: str, **changes) -> None:
        idx = self.controller.selected_index
        if 0 <= idx < len(self.bank.filters):
            self._last_edit = time.perf_counter()
            self.controller.set_filter_fields(idx, tag, **changes)

    def _on_kernel_editor_kernel_edited(self, kernel, tag: str) -> None:
        idx = self.controller.selected_index
        if 0 <= idx < len(self.bank.filters):
            self._last_edit = time.perf_counter()
            try:
                self.controller.set_kernel(idx, kernel, tag)
            except ValueError as exc:
                self._show_message(_sentence(exc))
                self.kernel_editor.set_filter(self.controller.selected_filter)

    def _on_layer_controls_edited(self, changes: dict) -> None:
        self._last_edit = time.perf_counter()
        try:
            self.controller.set_layer(**changes)
        except ValueError as exc:
            self._show_message(_sentence(exc))
            self.layer_controls.set_layer(self.bank.layer)

    def _on_bank_changed(self, bank: Bank) -> None:
        self._sync_panels(bank)
        sel = self.controller.selected_index
        self.filter_list.set_bank(bank, sel)
        self.layer_controls.set_layer(bank.layer)
        depth = 3 if bank.layer.channel_mode == "depth" else 1
        if depth != getattr(self, "_depth_channels", None):
            self._depth_channels = depth
            self.kernel_editor.set_depth_channels(depth)
        self.kernel_editor.set_filter(self.controller.selected_filter)
        self._update_geometry_info()
        self._refresh_lesson()

    def _on_selection_changed(self, index: int) -> None:
        self.filter_list.set_bank(self.bank, index)
        self.kernel_editor.set_filter(self.controller.selected_filter)
        sel = self.controller.selected_filter
        for uid, panel in self._panels.items():
            panel.set_selected(sel is not None and uid == sel.uid)
        self._update_geometry_info()
        self._refresh_lesson()

    def _on_image_changed(self, state: ImageState | None) -> None:
        if state is None:
            return
        title = f"{state.name}  {state.size_label} {state.mode_label}"
        self.input_panel.set_image(state.display_pixels, state.pixels, title=title)
        self.size_label.setText(f"{state.size_label} {state.mode_label}")
        for panel in self._panels.values():
            panel.set_busy(True)
        self._update_geometry_info()
        self._update_titles()
        self._refresh_lesson()
        QTimer.singleShot(0, self.sync.fit_all)

    def _on_result_applied(self, uid: str) -> None:
        panel = self._panels.get(uid)
        res = self.controller.result(uid)
        if panel is None or res is None:
            return
        panel.set_busy(res.preview > 1)  # a preview: the full-resolution map is on its way
        if not self._progress_timer.isActive():
            self._progress_timer.start()
        if res.error:
            panel.set_error(res.error)
        else:
            panel.set_map(
                res.pixels,
                geometry=res.geometry,
                values=res.values,
                full_hw=res.full_hw,
                stats=res.stats,
                mapping=res.mapping,
                colormap=res.colormap,
            )
        self._update_titles()

    def _show_progress(self) -> None:
        done, total = self.controller.progress()
        if total > 1 and done < total:
            if self.busy_bar.maximum() != total:
                self.busy_bar.setRange(0, total)
            self.busy_bar.setFormat(f"{done}/{total} maps")
            self.busy_bar.setValue(done)
        elif self.busy_bar.maximum() != 0:
            self.busy_bar.setRange(0, 0)

    def busy_text(self) -> str:
        """What the progress bar in the status bar says, e.g. ``"3/8 maps"`` (may be empty)."""
        return self.busy_bar.text() if self.busy_bar.maximum() else ""

    def _on_display_changed(self, _display) -> None:
        """Model -> widgets: each panel's mapping and colour-map choice."""
        for uid, panel in self._panels.items():
            mapping, cmap, overridden = self.controller.display.for_uid(uid)
            panel.set_mapping(mapping if overridden else "default", cmap or "")

    def _on_maps_current(self) -> None:
        ms = (time.perf_counter() - self._last_edit) * 1000
        self.time_label.setText(f"updated {time.strftime('%H:%M:%S')} ({ms:.0f} ms)")
        freeze_startup_objects()

    def _on_input_hovered(self, y: int, x: int) -> None:
        img = self.controller.image
        if img is None or y < 0:
            self.arithmetic.show_breakdown(None)
            for p in self._panels.values():
                p.view.set_highlight_cell(-1, -1)
            return
        h, w = img.pixels.shape[:2]
        if 0 <= y < h and 0 <= x < w:
            self.arithmetic.show_input_pixel(y, x, img.pixels[y, x])

    def _on_panel_hovered(self, uid: str, i: int, j: int) -> None:
        img = self.controller.image
        res = self.controller.result(uid)
        if img is None or res is None or res.geometry is None or i < 0:
            self.input_panel.view.set_receptive_field(None)
            self.arithmetic.show_breakdown(None)
            return
        self.input_panel.view.set_receptive_field(res.geometry.taps(i, j))
        try:
            idx = self.bank.index_of(uid)
        except KeyError:
            self.arithmetic.show_breakdown(None)  # a combined map: no single sum to show
            return
        flt = self.bank.filters[idx]
        try:
            bd = cell_breakdown(img.pixels, flt, self.bank.layer, i, j)
        except (ValueError, IndexError) as exc:
            self._show_message(_sentence(exc))
            return
        self.arithmetic.show_breakdown(bd)

    def _on_panel_mapping_changed(self, uid: str, mapping: str, colormap: str) -> None:
        self.controller.set_display(mapping, colormap or None, uid=uid)

    def _on_panel_relu_toggled(self, uid: str, on: bool) -> None:
        try:
            idx = self.bank.index_of(uid)
        except KeyError:
            return
        self._last_edit = time.perf_counter()
        self.controller.set_filter_fields(idx, activation="relu" if on else "none")

    def _on_panel_select_requested(self, uid: str) -> None:
        try:
            self.controller.select(self.bank.index_of(uid))
        except KeyError:
            pass

    # == panels ============================================================================
    def _sync_panels(self, bank: Bank) -> None:
        live = [f.uid for f in bank.filters]
        for uid in list(self._panels):
            if uid not in live:
                panel = self._panels.pop(uid)
                self.sync.remove(panel.view)
                panel.deleteLater()
        ordered = []
        for f in bank.filters:
            panel = self._panels.get(f.uid)
            if panel is None:
                panel = self._make_panel(f.uid)
            ordered.append(panel)
            mapping, cmap, overridden = self.controller.display.for_uid(f.uid)
            panel.set_mapping(mapping if overridden else "default", cmap or "")
            panel.set_relu(f.activation == "relu")
            if not f.enabled:
                panel.set_error("This filter is switched off.")
        for d in self.controller.derived:
            panel = self._panels.get(d.uid) or self._make_panel(d.uid)
            mapping, cmap, overridden = self.controller.display.for_uid(d.uid)
            panel.set_mapping(mapping if overridden else "default", cmap or "")
            ordered.append(panel)
        keep = {f.uid for f in bank.filters} | {d.uid for d in self.controller.derived}
        for uid in list(self._panels):
            if uid not in keep:
                panel = self._panels.pop(uid)
                self.sync.remove(panel.view)
                panel.deleteLater()
        sel = self.controller.selected_filter
        for panel_uid, panel in self._panels.items():
            panel.set_selected(sel is not None and panel_uid == sel.uid)
        self.feature_grid.set_panels(ordered)
        self._update_titles()
        self._display_side_timer.start()

    def _make_panel(self, uid: str) -> MapPanelWidget:
        panel = MapPanelWidget()
        self._panels[uid] = panel
        self.sync.add(panel.view)
        panel.selectRequested.connect(lambda u=uid: self._on_panel_select_requested(u))
        panel.hoveredCell.connect(lambda i, j, u=uid: self._on_panel_hovered(u, i, j))
        panel.mappingChanged.connect(lambda m, c, u=uid: self._on_panel_mapping_changed(u, m, c))
        panel.reluToggled.connect(lambda on, u=uid: self._on_panel_relu_toggled(u, on))
        panel.set_busy(self.controller.image is not None)
        return panel

    def _update_display_side(self) -> None:
        """Ask for 8-bit copies as large as the largest panel (Qt then paints them nearly 1:1)."""
        views = [p.view.viewport() for p in self._panels.values()]
        if not views:
            return
        side = max(max(v.width(), v.height()) for v in views) * self.devicePixelRatioF()
        side = int(-(-side // 64) * 64)  # whole tiles of 64, so small resizes change nothing
        current = self.controller.max_display_side
        if abs(side - current) > 0.15 * current:
            self.controller.set_display_side(side)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._display_side_timer.start()

    def _update_titles(self) -> None:
        img = self.controller.image
        for d in self.controller.derived:
            panel = self._panels.get(d.uid)
            res = self.controller.result(d.uid)
            if panel is not None:
                size = (
                    ""
                    if res is None or res.values is None
                    else "  -> {1}x{0}".format(*res.values.shape[:2])
                )
                panel.set_title(self.controller.derived_title(d) + size)
        for f in self.bank.filters:
            panel = self._panels.get(f.uid)
            if panel is None:
                continue
            if img is None:
                panel.set_title(f"{f.name}  {f.size_label}")
                continue
            geo = MapGeometry.for_layer(img.pixels.shape[:2], f.size, self.bank.layer)
            oh, ow = geo.out_hw
            act = "" if f.activation == "none" else f"  {f.activation}"
            panel.set_title(f"{f.name}  {f.size_label} -> {ow}x{oh}{act}")

    def _update_geometry_info(self) -> None:
        img = self.controller.image
        f = self.controller.selected_filter
        self.layer_controls.set_geometry_info(
            None if img is None else img.pixels.shape[:2], None if f is None else f.size
        )

    def _refresh_lesson(self) -> None:
        if self.tabs.currentWidget() is not self.lesson:
            return
        img = self.controller.image
        f = self.controller.selected_filter
        if img is None or f is None:
            return
        try:
            self.lesson.set_lesson(img.pixels, f, self.bank.layer)
        except ValueError as exc:
            self._show_message(_sentence(exc))

    # == presentation =====================================================================
    def toggle_presentation(self) -> None:
        self.set_presentation(not self._presenting)

    def set_presentation(self, on: bool) -> None:
        """Full screen, projector-sized lesson, editing chrome hidden; F5/F11/Esc toggle."""
        if on == self._presenting:
            return
        self._presenting = on
        if on:
            self._chrome_state = self.saveState()
            for dock in (self.filters_dock, self.layer_dock):
                dock.hide()
            self.menuBar().hide()
            self.statusBar().hide()
            self.showFullScreen()
        else:
            self.menuBar().show()
            self.statusBar().show()
            self.showNormal()
            self.restoreState(self._chrome_state)
        self.lesson.set_presentation(on)

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt's name
        mime = event.mimeData()
        if mime.hasUrls() or mime.hasImage():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt's name
        mime = event.mimeData()
        for url in mime.urls():
            if url.isLocalFile():
                self.open_path(url.toLocalFile())
                event.acceptProposedAction()
                return
        if mime.hasImage():
            image = QImage(mime.imageData())
            if not image.isNull():
                self.set_image_array(qimage_to_array(image), "dropped image")
                event.acceptProposedAction()
                return
        self._show_message("Only image files and sessions can be dropped here.")

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if event.key() == Qt.Key_Escape and self._presenting:
            self.set_presentation(False)
            return
        super().keyPressEvent(event)

    # == messages, title, settings ===========================================================
    def _show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    def _show_error(self, text: str) -> None:
        self._show_message(text)
        if not self._closing:
            # One box, reused: a burst of errors must not pile up windows (or leak them).
            box = self.findChild(QMessageBox, "errorBox")
            if box is None:
                box = QMessageBox(QMessageBox.Warning, "Filter Studio", text, QMessageBox.Ok, self)
                box.setObjectName("errorBox")
            box.setText(text)
            box.open()

    def _update_title(self) -> None:
        name = Path(self.session_path).name if self.session_path else "Untitled"
        self.setWindowTitle(f"{name}[*] — Filter Studio")
        self.setWindowModified(self.controller.is_dirty())

    def _add_recent(self, path: str) -> None:
        settings = QSettings()
        recent = [p for p in settings.value("recentFiles", [], list) or [] if p != path]
        recent.insert(0, path)
        settings.setValue("recentFiles", recent[:MAX_RECENT])
        self._rebuild_recent_menu()

    def _rebuild_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = QSettings().value("recentFiles", [], list) or []
        for p in recent:
            self._action(self.recent_menu, p, lambda _=False, path=p: self.open_path(path))
        self.recent_menu.setEnabled(bool(recent))

    def _restore_settings(self) -> None:
        settings = QSettings()
        geom = settings.value("geometry")
        if isinstance(geom, QByteArray) and not geom.isEmpty():
            self.restoreGeometry(geom)
        else:
            self.resize(1400, 860)
        state = settings.value("windowState")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state)
        split = settings.value("splitter")
        column = settings.value("inputColumn")
        if isinstance(split, QByteArray) and not split.isEmpty():
            self.splitter.restoreState(split)
            if isinstance(column, QByteArray) and not column.isEmpty():
                self.input_column.restoreState(column)
        else:
            # The input gets a third of the centre, the feature maps the rest.
            self.splitter.setSizes([340, 680])
            self.input_column.setSizes([420, 280])
        self._rebuild_recent_menu()

    def _save_settings(self) -> None:
        settings = QSettings()
        settings.setValue("geometry", self.saveGeometry())
        settings.setValue(
            "windowState", self.saveState() if not self._presenting else self._chrome_state
        )
        settings.setValue("splitter", self.splitter.saveState())
        settings.setValue("inputColumn", self.input_column.saveState())

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if not self._closing and not self.file_actions.confirm_discard("closing"):
            event.ignore()
            return
        self._closing = True
        self.lesson.shutdown()  # a lesson export still running is cancelled: it writes nothing
        self._save_settings()
        self.controller.shutdown()
        QThreadPool.globalInstance().waitForDone(5000)
        event.accept()


class CombineDialog(QDialog):
    """Pick two maps and how to combine them."""

    def __init__(self, names: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Combine Maps")
        form = QFormLayout(self)
        self.a = QComboBox()
        self.b = QComboBox()
        self.a.addItems(names)
        self.b.addItems(names)
        pairs = {
            ("sobel_x", "sobel_y"),
            ("vertical_line", "horizontal_line"),
            ("scharr_x", "scharr_y"),
            ("prewitt_x", "prewitt_y"),
        }
        for i, n in enumerate(names):
            for j, m in enumerate(names):
                if (n, m) in pairs:
                    self.a.setCurrentIndex(i)
                    self.b.setCurrentIndex(j)
        if self.a.currentIndex() == self.b.currentIndex() and len(names) > 1:
            self.b.setCurrentIndex(1)
        self.op = QComboBox()
        from ..core.combine import COMBINE_OPS

        for op in COMBINE_OPS:
            self.op.addItem(
                {
                    "magnitude": "magnitude  sqrt(a² + b²)",
                    "sum": "sum  a + b",
                    "maximum": "maximum  max(a, b)",
                }.get(op, op),
                op,
            )
        form.addRow("First map", self.a)
        form.addRow("Second map", self.b)
        form.addRow("Combine by", self.op)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def choice(self) -> tuple[int, int, str]:
        return self.a.currentIndex(), self.b.currentIndex(), self.op.currentData()


def qimage_to_array(image: QImage) -> np.ndarray:
    """A pasted QImage as a float32 RGB array in [0, 1]."""
    img = image.convertToFormat(QImage.Format_RGB888)
    w, h = img.width(), img.height()
    ptr = img.constBits()
    arr = np.frombuffer(ptr, dtype=np.uint8, count=img.sizeInBytes()).reshape(h, img.bytesPerLine())
    arr = arr[:, : w * 3].reshape(h, w, 3)
    return arr.astype(np.float32) / 255.0


def _sentence(exc: BaseException) -> str:
    if isinstance(exc, MemoryError):
        return "There is not enough memory for that picture."
    text = str(exc).strip() or type(exc).__name__
    return text
