"""The Learn page: pick a target, then solve for the kernel at once or watch gradient descent.

On the left the choices (what to learn, the kernel's size and bias, the layer settings) and the
controls of a descent (learning rate, momentum, steps per second); on the right the target, the
learned kernel's map and its residual, the kernel's weights and the loss curve, and one
sentence on how well one kernel explains the change. The widget only shows what it is pushed
and reports what the user asks for; the presenter (:mod:`filterstudio.gui.learn`) does the work.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from filterstudio.compute.learn_descent import MOMENTUMS, RATE_SCALES, SPEEDS
from filterstudio.compute.learn_targets import KERNEL_SIDES

from .choices import mystery_size_combo
from .kernel_values import KernelValuesView
from .layouts import side_column, side_page
from .loss_curve import LossCurveWidget
from .picture_view import PictureView

__all__ = ["LearnWidget", "speed_text"]

def _nearest(options, value: float) -> int:
    """The index of the option closest to ``value`` (by ratio: the options grow by factors)."""
    value = max(float(value), 1e-9)
    return min(range(len(options)), key=lambda i: abs(math.log(max(options[i], 1e-9) / value)))


def speed_text(speed: float | None) -> str:
    return "as fast as it goes" if speed is None else f"{speed:g} steps per second"


class LearnWidget(QWidget):
    """The page that learns a kernel from an example.

    Signals (intents)
    -----------------
    mapTargetRequested(int)
        Learn the map of the filter at this position.
    pictureTargetRequested()
        Pick a picture file as the target.
    mysteryRequested(int)
        Draw a new mystery kernel of this size (0: any).
    settingsEdited(object)
        ``{"size": (kh, kw)}``, ``{"bias": bool}`` or ``{"use_layer": bool}``.
    solveRequested(), playRequested(), pauseRequested(), stepRequested(), resetRequested()
    rateScaleChosen(float), momentumChosen(float), speedChosen(object)
        A learning rate (times the suggested one), a momentum, steps per second (None: fastest).
    useKernelRequested()
        Put the learned kernel in the bank as a new filter.
    """

    mapTargetRequested = Signal(int)
    pictureTargetRequested = Signal()
    mysteryRequested = Signal(int)
    settingsEdited = Signal(object)
    solveRequested = Signal()
    playRequested = Signal()
    pauseRequested = Signal()
    stepRequested = Signal()
    resetRequested = Signal()
    rateScaleChosen = Signal(float)
    momentumChosen = Signal(float)
    speedChosen = Signal(object)
    useKernelRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._running = False
        self._kind = ""
        controls = self._build_controls()

        self.target_view = PictureView("Target")
        self.map_view = PictureView("Learned kernel's map")
        self.residual_view = PictureView("Residual: map minus target")
        self.kernel_view = KernelValuesView("Learned kernel")
        self.loss_curve = LossCurveWidget()
        self.target_view.set_placeholder("Choose a target on the left.")
        self.map_view.set_placeholder("Solve or descend to see the learned map.")
        self.residual_view.set_placeholder(
            "Blue where the map is darker than the target, red where brighter."
        )
        self.kernel_view.set_placeholder("The learned weights appear here.")
        self.loss_curve.clear("Descend to draw the loss step by step.")
        self.verdict = QLabel("")
        self.verdict.setWordWrap(True)
        self.verdict.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.verdict.setObjectName("learnVerdict")
        self.verdict.setStyleSheet("QLabel#learnVerdict { font-size: 11pt; padding: 4px; }")

        right = QWidget()
        self._right = right
        self._aspect = 0.75  # the target's rows over columns: the pictures' row is sized by it
        grid = QGridLayout(right)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(6)
        grid.addWidget(self.target_view, 0, 0)
        grid.addWidget(self.map_view, 0, 1)
        grid.addWidget(self.residual_view, 0, 2)
        grid.addWidget(self.kernel_view, 1, 0)
        grid.addWidget(self.loss_curve, 1, 1, 1, 2)
        grid.addWidget(self.verdict, 2, 0, 1, 3)
        grid.setRowStretch(0, 1)
        grid.setRowStretch(1, 1)
        for c in range(3):
            grid.setColumnStretch(c, 1)

        side_page(self, controls, right, min_width=controls.minimumSizeHint().width() + 18,
                  max_width=340)  # fmt: skip

    # == construction ========================================================================
    def _build_controls(self) -> QWidget:
        box = QWidget()
        col = side_column(box)

        target = QGroupBox("What to learn")
        tl = QGridLayout(target)
        self.map_radio = QRadioButton("The map of")
        self.picture_radio = QRadioButton("Another picture")
        self.mystery_radio = QRadioButton("A mystery kernel")
        self._kinds = QButtonGroup(self)
        for i, r in enumerate((self.map_radio, self.picture_radio, self.mystery_radio)):
            self._kinds.addButton(r, i)
        self.filter_combo = QComboBox()
        self.filter_combo.setToolTip("The filter whose exact map is the target")
        self.open_button = QPushButton("Open…")
        self.open_button.setToolTip("A picture of the same size, e.g. the photo after an edit")
        self.mystery_size = mystery_size_combo()
        self.new_mystery = QPushButton("New")
        self.new_mystery.setToolTip("Draw another hidden kernel and learn its map of the picture")
        tl.addWidget(self.map_radio, 0, 0)
        tl.addWidget(self.filter_combo, 0, 1, 1, 2)
        tl.addWidget(self.picture_radio, 1, 0)
        tl.addWidget(self.open_button, 1, 1, 1, 2)
        tl.addWidget(self.mystery_radio, 2, 0)
        tl.addWidget(self.mystery_size, 2, 1)
        tl.addWidget(self.new_mystery, 2, 2)
        self.target_text = QLabel("")
        self.target_text.setWordWrap(True)
        tl.addWidget(self.target_text, 3, 0, 1, 3)
        col.addWidget(target)

        kernel = QGroupBox("Kernel to learn")
        form = QFormLayout(kernel)
        size_row = QHBoxLayout()
        self.rows_box, self.cols_box = QSpinBox(), QSpinBox()
        for b, what in ((self.rows_box, "rows"), (self.cols_box, "columns")):
            b.setRange(KERNEL_SIDES[0], KERNEL_SIDES[-1])
            b.setValue(3)
            b.setAccessibleName(f"kernel {what}")
            b.setKeyboardTracking(False)
        size_row.addWidget(self.rows_box)
        size_row.addWidget(QLabel("x"))
        size_row.addWidget(self.cols_box)
        size_row.addStretch(1)
        form.addRow("Size", size_row)
        self.bias_check = QCheckBox("Learn a bias too")
        self.bias_check.setChecked(True)
        form.addRow(self.bias_check)
        self.layer_combo = QComboBox()
        self.layer_combo.addItems(["plain: stride 1, no padding", "the bank's layer"])
        self.layer_combo.setToolTip("The layer settings the learned kernel's map is made with")
        form.addRow("Layer", self.layer_combo)
        col.addWidget(kernel)

        run = QGroupBox("Learn")
        rl = QVBoxLayout(run)
        buttons = QGridLayout()
        self.solve_button = QPushButton("Solve at once")
        self.solve_button.setToolTip("The exact least-squares kernel (Ctrl+L)")
        self.play_button = QPushButton("Descend")
        self.play_button.setToolTip("Start or pause gradient descent (Ctrl+G)")
        self.step_button = QPushButton("One step")
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("Back to a kernel of zeros; the curve starts again")
        buttons.addWidget(self.solve_button, 0, 0)
        buttons.addWidget(self.play_button, 0, 1)
        buttons.addWidget(self.step_button, 1, 0)
        buttons.addWidget(self.reset_button, 1, 1)
        rl.addLayout(buttons)
        self.rate_slider = self._slider(len(RATE_SCALES), RATE_SCALES.index(1.0))
        self.rate_slider.setAccessibleName("learning rate")
        self.rate_label = QLabel("")
        self.rate_label.setWordWrap(True)
        rl.addWidget(QLabel("Learning rate"))
        rl.addWidget(self.rate_slider)
        rl.addWidget(self.rate_label)
        mom = QHBoxLayout()
        mom.addWidget(QLabel("Momentum"))
        self.momentum_combo = QComboBox()
        for m in MOMENTUMS:
            self.momentum_combo.addItem("none (plain descent)" if m == 0 else f"{m:g}", m)
        self.momentum_combo.setCurrentIndex(MOMENTUMS.index(0.9))
        mom.addWidget(self.momentum_combo, 1)
        rl.addLayout(mom)
        self.speed_slider = self._slider(len(SPEEDS), SPEEDS.index(20))
        self.speed_slider.setAccessibleName("steps per second")
        self.speed_label = QLabel(speed_text(20))
        rl.addWidget(QLabel("Speed"))
        rl.addWidget(self.speed_slider)
        rl.addWidget(self.speed_label)
        col.addWidget(run)

        self.use_button = QPushButton("Use this kernel as a filter")
        self.use_button.setToolTip("Add the learned kernel (and bias) to the bank (undoable)")
        self.use_button.setEnabled(False)
        col.addWidget(self.use_button)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        col.addWidget(self.status)
        col.addStretch(1)
        self._connect()
        self.set_can_learn(False)
        return box

    def _slider(self, count: int, index: int) -> QSlider:
        s = QSlider(Qt.Orientation.Horizontal)
        s.setRange(0, count - 1)
        s.setValue(index)
        s.setPageStep(1)
        s.setTickPosition(QSlider.TickPosition.TicksBelow)
        return s

    def _connect(self) -> None:
        self.map_radio.clicked.connect(self._request_map)
        self.filter_combo.activated.connect(self._on_filter_activated)
        self.picture_radio.clicked.connect(self.pictureTargetRequested)
        self.open_button.clicked.connect(self.pictureTargetRequested)
        self.mystery_radio.clicked.connect(self._request_mystery)
        self.new_mystery.clicked.connect(self._request_mystery)
        self.rows_box.valueChanged.connect(self._on_size)
        self.cols_box.valueChanged.connect(self._on_size)
        self.bias_check.toggled.connect(lambda on: self.settingsEdited.emit({"bias": bool(on)}))
        self.layer_combo.activated.connect(
            lambda i: self.settingsEdited.emit({"use_layer": i == 1})
        )
        self.solve_button.clicked.connect(self.solveRequested)
        self.play_button.clicked.connect(self._on_play_clicked)
        self.step_button.clicked.connect(self.stepRequested)
        self.reset_button.clicked.connect(self.resetRequested)
        self.rate_slider.valueChanged.connect(lambda i: self.rateScaleChosen.emit(RATE_SCALES[i]))
        self.momentum_combo.activated.connect(
            lambda i: self.momentumChosen.emit(float(self.momentum_combo.itemData(i)))
        )
        self.speed_slider.valueChanged.connect(self._on_speed)
        self.use_button.clicked.connect(self.useKernelRequested)

    # == intents =============================================================================
    def _request_map(self) -> None:
        if self.filter_combo.count():
            self.mapTargetRequested.emit(self.filter_combo.currentIndex())

    def _on_filter_activated(self, index: int) -> None:
        self.map_radio.setChecked(True)
        self.mapTargetRequested.emit(index)

    def _request_mystery(self) -> None:
        self.mystery_radio.setChecked(True)
        self.mysteryRequested.emit(int(self.mystery_size.currentData()))

    def _on_size(self, _value: int) -> None:
        self.settingsEdited.emit({"size": (self.rows_box.value(), self.cols_box.value())})

    def _on_play_clicked(self) -> None:
        (self.pauseRequested if self._running else self.playRequested).emit()

    def _on_speed(self, index: int) -> None:
        self.speed_label.setText(speed_text(SPEEDS[index]))
        self.speedChosen.emit(SPEEDS[index])

    # == state in ============================================================================
    def set_filters(self, names: list[str], selected: int) -> None:
        """The filters whose maps can be learned, and the one the combo shows."""
        with QSignalBlocker(self.filter_combo):
            self.filter_combo.clear()
            self.filter_combo.addItems(names)
            if names:
                self.filter_combo.setCurrentIndex(max(0, min(selected, len(names) - 1)))

    def set_target(self, kind: str, text: str) -> None:
        """Which kind of target is chosen (``map``, ``picture``, ``mystery`` or ``""``) and its
        description."""
        self._kind = kind
        radio = {"map": self.map_radio, "picture": self.picture_radio,
                 "mystery": self.mystery_radio}.get(kind)  # fmt: skip
        self._kinds.setExclusive(radio is not None)
        for r in (self.map_radio, self.picture_radio, self.mystery_radio):
            with QSignalBlocker(r):
                r.setChecked(r is radio)
        self._kinds.setExclusive(True)
        self.target_text.setText(text)

    def set_settings(
        self, size: tuple[int, int], bias: bool, use_layer: bool, layer_text: str
    ) -> None:
        """The kernel size, bias and layer choice as the presenter holds them."""
        with QSignalBlocker(self.rows_box), QSignalBlocker(self.cols_box):
            self.rows_box.setValue(size[0])
            self.cols_box.setValue(size[1])
        with QSignalBlocker(self.bias_check):
            self.bias_check.setChecked(bias)
        self.layer_combo.setItemText(1, f"the bank's layer: {layer_text}")
        self.layer_combo.setCurrentIndex(1 if use_layer else 0)

    def set_can_learn(self, ok: bool) -> None:
        """Whether a target is ready: Solve, Descend, Step and Reset work only then."""
        for b in (self.solve_button, self.play_button, self.step_button, self.reset_button):
            b.setEnabled(ok)

    def set_running(self, running: bool) -> None:
        self._running = running
        self.play_button.setText("Pause" if running else "Descend")
        self.step_button.setEnabled(not running and self.solve_button.isEnabled())

    def set_descent_controls(self, rate_scale: float, momentum: float, speed: float | None) -> None:
        """The learning rate (times the suggested), momentum and speed as the presenter holds
        them; a slider goes to the offered value nearest, its label says the value itself."""
        with QSignalBlocker(self.rate_slider):
            self.rate_slider.setValue(_nearest(RATE_SCALES, rate_scale))
        self.momentum_combo.setCurrentIndex(_nearest(MOMENTUMS, momentum))
        with QSignalBlocker(self.speed_slider):
            self.speed_slider.setValue(
                len(SPEEDS) - 1 if speed is None else _nearest(SPEEDS[:-1], speed)
            )
        self.speed_label.setText(speed_text(speed))

    def set_rate_text(self, text: str) -> None:
        self.rate_label.setText(text)

    def set_status(self, text: str) -> None:
        self.status.setText(text)

    def set_verdict(self, text: str) -> None:
        self.verdict.setText(text)

    def set_kernel(self, kernel: np.ndarray | None, caption: str = "") -> None:
        """The learned kernel (None: none yet) and what it is (bias, step, loss)."""
        self.kernel_view.set_kernel(kernel, caption)
        self.use_button.setEnabled(kernel is not None)

    def set_curve(self, steps, losses, exact: float | None) -> None:
        self.loss_curve.set_curve(steps, losses, exact)

    def clear_results(self) -> None:
        """Forget the learned kernel, its maps and the curve (a new target or new settings)."""
        self.set_kernel(None)
        self.map_view.set_pixels(None, "")
        self.residual_view.set_pixels(None, "")
        self.loss_curve.clear("Descend to draw the loss step by step.")
        self.verdict.setText("")

    def set_aspect(self, rows: int, cols: int) -> None:
        """The shape of the maps shown: the row of pictures takes the height they need."""
        self._aspect = max(0.2, min(3.0, rows / max(1, cols)))
        self._fit_pictures()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._fit_pictures()

    def _fit_pictures(self) -> None:
        """Give the three pictures the height their width allows, the kernel and curve the rest."""
        width = (self._right.width() - 12) / 3
        text = 2 * self.fontMetrics().height() + 12
        tallest = int(max(120, min(width * self._aspect + text, 0.6 * self._right.height())))
        for view in (self.target_view, self.map_view, self.residual_view):
            view.setMaximumHeight(tallest)

    def display_side(self) -> int:
        """How large (device pixels) the map pictures are worth making."""
        return max(v.display_side() for v in (self.target_view, self.map_view, self.residual_view))
