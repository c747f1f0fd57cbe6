"""Layer controls: stride, padding, border, dilation and channel mode, with the output-size formula.

The widget never changes the model: each control emits ``layerEdited`` with only the Layer
fields that changed, in model values (``{"stride": (2, 2)}``, ``{"padding": "same"}``,
``{"padding": (2, 2)}``), and the controller pushes the layer back with ``set_layer``.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from filterstudio.core.convolution import output_shape, resolve_padding
from filterstudio.core.sizes import size_label
from filterstudio.core.vocabulary import (
    BORDER_TERMS,
    CHANNEL_MODE_TERMS,
    CUSTOM_PADDING,
    PADDING_TERMS,
)
from filterstudio.model import bank_io
from filterstudio.model.bank import Layer

from .choices import choice_tip, fill_choices
from .number_box import NumberBox
from .presentation import present, presentation_font

# The boxes take what the engine and the bank files take, no less: a value the studio can
# compute is never refused (or cut short) by the box it is typed into.
MAX_STRIDE = bank_io.MAX_STRIDE
MAX_DILATION = bank_io.MAX_DILATION
MAX_PADDING = bank_io.MAX_PADDING
#: The border value box takes -CVAL_LIMIT to CVAL_LIMIT (pictures are 0 to 1).
CVAL_LIMIT = 1000.0

#: The padding choices: the named paddings, then numbers typed in.
PADDING_CHOICES = (*PADDING_TERMS, CUSTOM_PADDING)

WARNING_COLOR = "#c0392b"


def _pair_spin(name: str, minimum: int, maximum: int, tip: str, parent: QWidget) -> NumberBox:
    spin = NumberBox(name, minimum, maximum, whole=True, parent=parent)
    spin.setToolTip(f"{tip} ({minimum} to {maximum})")
    return spin


def _formula_font(presenting: bool) -> QFont:
    """The fixed-width font of the formula: a notch smaller than the body text so a formula
    line fits the side panel, scaled while presenting."""
    fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    fixed.setPointSizeF(max(7.0, fixed.pointSizeF() * 0.9))
    return presentation_font(presenting, fixed)


def formula_text(
    in_hw: tuple[int, int], kernel_hw: tuple[int, int], layer: Layer
) -> tuple[str, bool]:
    """The output size of ``layer`` on an image of ``in_hw`` and its formula, one axis a line.

    Parameters
    ----------
    in_hw : (int, int)
        Image height and width.
    kernel_hw : (int, int)
        Kernel height and width.
    layer : Layer
        Stride, padding and dilation to apply.

    Returns
    -------
    text : str
        ``Output W × H (w × h)`` (:func:`~filterstudio.core.sizes.size_label`) followed by
        ``floor((n + p_before + p_after - d·(k - 1) - 1) / s) + 1`` with the numbers
        substituted, for the width (columns), then for the height (rows).
    empty : bool
        True when the kernel does not fit the padded image (an axis of size 0).
    """
    kw_args = {"stride": layer.stride, "padding": layer.padding, "dilation": layer.dilation}
    oh, ow = output_shape(in_hw, kernel_hw, **kw_args)
    pads = resolve_padding(in_hw, kernel_hw, **kw_args)
    lines = []
    empty = oh == 0 or ow == 0
    if empty:
        lines.append(f"Output {size_label(oh, ow)}: the kernel is larger than the padded image.")
    else:
        lines.append(f"Output {size_label(oh, ow)}")
    for axis, name in ((1, "width"), (0, "height")):
        n, k = int(in_hw[axis]), int(kernel_hw[axis])
        before, after = pads[axis]
        s, d = layer.stride[axis], layer.dilation[axis]
        span = d * (k - 1) + 1
        padded = n + before + after
        if padded < span:
            lines.append(f"{name}: padded {n} + {before} + {after} = {padded}")
            lines.append(f"{' ' * len(name)}  < kernel span {span}, so 0")
            continue
        out = (padded - span) // s + 1
        # Two lines an axis keep the formula readable in a narrow side panel.
        lines.append(f"{name}: floor(({n} + {before} + {after} - {d}·({k} - 1) - 1) / {s}) + 1")
        lines.append(f"{' ' * len(name)}  = {out}")
    return "\n".join(lines), empty


class LayerControlsWidget(QWidget):
    """Controls for the settings the bank's filters share, as in one convolution layer.

    Signals
    -------
    layerEdited(dict)
        Only the changed :class:`~filterstudio.model.bank.Layer` fields, in model values.
    message(str)
        A typed value was refused (out of range, not a number); the sentence is also shown
        under the controls until the next accepted edit.
    """

    layerEdited = Signal(dict)
    message = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layer = Layer()
        self._in_hw: tuple[int, int] | None = None
        self._kernel_hw: tuple[int, int] | None = None

        self._separate_check = QCheckBox("Separate rows / columns", self)
        self._separate_check.setToolTip(
            "Give stride, dilation and custom padding their own value for rows and for columns."
        )
        self._separate_check.toggled.connect(self._on_separate_toggled)

        self._stride_spins = (
            _pair_spin("Stride", 1, MAX_STRIDE,
                       "Stride: how many pixels the kernel moves each step", self),
            _pair_spin("Stride across columns", 1, MAX_STRIDE,
                       "Stride along columns (horizontal step)", self),
        )
        self._dilation_spins = (
            _pair_spin("Dilation", 1, MAX_DILATION,
                       "Dilation: spacing of the kernel's taps (1 = none)", self),
            _pair_spin("Dilation across columns", 1, MAX_DILATION,
                       "Dilation along columns", self),
        )
        self._padding_spins = (
            _pair_spin("Padding", 0, MAX_PADDING, "Cells of padding on each side", self),
            _pair_spin("Padding left and right", 0, MAX_PADDING,
                       "Cells of padding on the left and right", self),
        )  # fmt: skip
        self._note = QLabel(self)
        self._note.setWordWrap(True)
        self._note.setStyleSheet(f"color: {WARNING_COLOR};")
        self._note.setAccessibleName("layer message")
        self._note.hide()
        for spin in (*self._stride_spins, *self._dilation_spins, *self._padding_spins):
            spin.rejected.connect(self._on_box_rejected)
        for spin in self._stride_spins:
            spin.valueChanged.connect(self._on_stride_changed)
        for spin in self._dilation_spins:
            spin.valueChanged.connect(self._on_dilation_changed)
        for spin in self._padding_spins:
            spin.valueChanged.connect(self._on_padding_spin_changed)

        self._padding_combo = QComboBox(self)
        fill_choices(self._padding_combo, PADDING_CHOICES)
        self._padding_combo.activated.connect(self._on_padding_activated)

        self._border_combo = QComboBox(self)
        fill_choices(self._border_combo, BORDER_TERMS)
        self._border_combo.activated.connect(self._on_border_activated)

        self._cval_spin = NumberBox("The border value", -CVAL_LIMIT, CVAL_LIMIT, step=0.1,
                                    parent=self)  # fmt: skip
        self._cval_spin.setToolTip("Value of padded cells with the constant border (0 = black).")
        self._cval_spin.valueChanged.connect(self._on_cval_changed)
        self._cval_spin.rejected.connect(self._on_box_rejected)

        self._channel_combo = QComboBox(self)
        fill_choices(self._channel_combo, CHANNEL_MODE_TERMS)
        self._channel_combo.activated.connect(self._on_channel_activated)

        self._geometry_label = QLabel(self)
        self._geometry_label.setFont(_formula_font(False))
        self._geometry_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._geometry_label.setWordWrap(False)
        self._geometry_label.setToolTip(
            "Output size, width × height, then per axis: "
            "floor((n + p_before + p_after - d·(k - 1) - 1) / s) + 1, with n the image's width "
            "or height, p the padding, k the kernel size, d the dilation, s the stride."
        )

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("&Stride", self._row(*self._stride_spins))
        padding_row = QHBoxLayout()
        padding_row.setContentsMargins(0, 0, 0, 0)
        padding_row.addWidget(self._padding_combo)
        padding_row.addWidget(self._padding_spins[0])
        padding_row.addWidget(self._padding_spins[1])
        padding_host = QWidget(self)
        padding_host.setLayout(padding_row)
        form.addRow("&Padding", padding_host)
        form.addRow("&Border", self._border_combo)
        self._cval_label = QLabel("Border &value", self)
        self._cval_label.setBuddy(self._cval_spin)
        form.addRow(self._cval_label, self._cval_spin)
        form.addRow("&Dilation", self._row(*self._dilation_spins))
        form.addRow("", self._separate_check)
        self._channel_label = QLabel("C&hannels", self)
        self._channel_label.setBuddy(self._channel_combo)
        form.addRow(self._channel_label, self._channel_combo)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self._note)
        layout.addWidget(self._geometry_label)
        layout.addStretch(1)

        self._show_layer()
        self._update_geometry()

    def _row(self, *widgets: QWidget) -> QWidget:
        host = QWidget(self)
        row = QHBoxLayout(host)
        row.setContentsMargins(0, 0, 0, 0)
        for w in widgets:
            row.addWidget(w)
        return host

    # ---------------------------------------------------------------- model -> widget

    def set_layer(self, layer: Layer) -> None:
        """Show ``layer`` without emitting ``layerEdited``."""
        self._layer = layer
        self._show_layer()
        self._update_geometry()

    def set_channel_mode_shown(self, shown: bool) -> None:
        """Show the channel mode (the bank reads the picture) or hide it (a later conv stage
        always sums over every map it reads)."""
        self._channel_label.setVisible(shown)
        self._channel_combo.setVisible(shown)

    def set_presentation(self, on: bool) -> None:
        """Projector size: every control and the formula grow with the presentation scale."""
        present(self, on)
        self._geometry_label.setFont(_formula_font(on))

    def layer(self) -> Layer:
        """The layer the controls show."""
        return self._layer

    def set_geometry_info(
        self, in_hw: tuple[int, int] | None, kernel_hw: tuple[int, int] | None
    ) -> None:
        """Show the output size and its formula for an ``in_hw`` image and a ``kernel_hw`` kernel.

        Parameters
        ----------
        in_hw : (int, int) or None
            Image height and width; ``None`` when no image is open.
        kernel_hw : (int, int) or None
            Kernel height and width (a depth kernel's channels are ignored); ``None`` when no
            filter is selected.
        """
        self._in_hw = None if in_hw is None else (int(in_hw[0]), int(in_hw[1]))
        self._kernel_hw = None if kernel_hw is None else (int(kernel_hw[0]), int(kernel_hw[1]))
        self._update_geometry()

    def geometry_text(self) -> str:
        """The output-size text currently shown."""
        return self._geometry_label.text()

    # -- parts, for scripts and tests ---------------------------------------------------------
    def stride_spins(self) -> tuple[NumberBox, NumberBox]:
        """The stride boxes: rows, columns (the second hidden unless rows and columns differ)."""
        return self._stride_spins

    def dilation_spins(self) -> tuple[NumberBox, NumberBox]:
        """The dilation boxes: rows, columns."""
        return self._dilation_spins

    def padding_spins(self) -> tuple[NumberBox, ...]:
        """The custom padding boxes."""
        return self._padding_spins

    def separate_check(self) -> QCheckBox:
        """The box that shows separate row and column values."""
        return self._separate_check

    def padding_box(self) -> QComboBox:
        """The padding choice (item data: a padding name or ``custom``)."""
        return self._padding_combo

    def border_box(self) -> QComboBox:
        """The border mode choice (item data: a border name)."""
        return self._border_combo

    def cval_box(self) -> NumberBox:
        """The constant that fills the border in ``constant`` mode."""
        return self._cval_spin

    def channel_box(self) -> QComboBox:
        """The channel mode choice (item data: a channel mode name)."""
        return self._channel_combo

    def note_text(self) -> str:
        """The sentence shown under the controls about a refused value (``""`` when none)."""
        return self._note.text() if not self._note.isHidden() else ""

    def geometry_label(self) -> QLabel:
        """The output size and its formula (in a warning colour when the output is empty)."""
        return self._geometry_label

    def _show_layer(self) -> None:
        layer = self._layer
        widgets = (
            self,
            self._separate_check,
            *self._stride_spins,
            *self._dilation_spins,
            *self._padding_spins,
            self._padding_combo,
            self._border_combo,
            self._cval_spin,
            self._channel_combo,
        )
        blockers = [QSignalBlocker(w) for w in widgets]
        try:
            custom = not isinstance(layer.padding, str)
            pad = layer.padding if custom else (0, 0)
            uneven = (
                layer.stride[0] != layer.stride[1]
                or layer.dilation[0] != layer.dilation[1]
                or pad[0] != pad[1]
            )
            if uneven:
                self._separate_check.setChecked(True)
            for spins, values in (
                (self._stride_spins, layer.stride),
                (self._dilation_spins, layer.dilation),
                (self._padding_spins, pad),
            ):
                spins[0].set_value_quietly(values[0])
                spins[1].set_value_quietly(values[1])
            self._padding_combo.setCurrentIndex(
                self._padding_combo.findData("custom" if custom else layer.padding)
            )
            self._border_combo.setCurrentIndex(self._border_combo.findData(layer.border))
            self._border_combo.setToolTip(choice_tip(self._border_combo))
            self._cval_spin.set_value_quietly(layer.cval)
            self._channel_combo.setCurrentIndex(self._channel_combo.findData(layer.channel_mode))
            self._channel_combo.setToolTip(choice_tip(self._channel_combo))
        finally:
            del blockers
        self._update_visibility()

    def _update_visibility(self) -> None:
        separate = self._separate_check.isChecked()
        custom = self._padding_combo.currentData() == "custom"
        self._stride_spins[1].setVisible(separate)
        self._dilation_spins[1].setVisible(separate)
        self._padding_spins[0].setVisible(custom)
        self._padding_spins[1].setVisible(custom and separate)
        for spins in (self._stride_spins, self._dilation_spins, self._padding_spins):
            spins[0].setPrefix("rows " if separate else "")
            spins[1].setPrefix("cols ")
        constant = self._border_combo.currentData() == "constant"
        self._cval_spin.setEnabled(constant)
        self._cval_label.setEnabled(constant)

    def _update_geometry(self) -> None:
        label = self._geometry_label
        if self._in_hw is None:
            label.setText("Output size: open an image to see it.")
            label.setStyleSheet("")
            return
        if self._kernel_hw is None:
            label.setText("Output size: select a filter to see it.")
            label.setStyleSheet("")
            return
        text, empty = formula_text(self._in_hw, self._kernel_hw, self._layer)
        label.setText(text)
        label.setStyleSheet(f"color: {WARNING_COLOR}; font-weight: bold;" if empty else "")

    # ---------------------------------------------------------------- widget -> controller

    def _on_box_rejected(self, sentence: str) -> None:
        self._note.setText(sentence)
        self._note.show()
        self.message.emit(sentence)

    def _emit(self, **changes) -> None:
        """Emit the fields that differ from the shown layer, and show them at once."""
        self._note.hide()
        changed = {k: v for k, v in changes.items() if getattr(self._layer, k) != v}
        if not changed:
            return
        try:
            self._layer = replace(self._layer, **changed)
        except ValueError:
            return
        self._update_geometry()
        self.layerEdited.emit(changed)

    def _pair(self, spins: tuple[NumberBox, NumberBox]) -> tuple[int, int]:
        first = int(spins[0].value())
        if self._separate_check.isChecked():
            return first, int(spins[1].value())
        return first, first

    def _on_stride_changed(self, _value: int) -> None:
        self._emit(stride=self._pair(self._stride_spins))

    def _on_dilation_changed(self, _value: int) -> None:
        self._emit(dilation=self._pair(self._dilation_spins))

    def _on_padding_spin_changed(self, _value: int) -> None:
        if self._padding_combo.currentData() == "custom":
            self._emit(padding=self._pair(self._padding_spins))

    def _on_padding_activated(self, index: int) -> None:
        value = self._padding_combo.itemData(index)
        self._update_visibility()
        if value == "custom":
            self._emit(padding=self._pair(self._padding_spins))
        else:
            self._emit(padding=value)

    def _on_border_activated(self, index: int) -> None:
        self._border_combo.setToolTip(choice_tip(self._border_combo, index))
        self._update_visibility()
        self._emit(border=self._border_combo.itemData(index))

    def _on_cval_changed(self, value: float) -> None:
        self._emit(cval=float(value))

    def _on_channel_activated(self, index: int) -> None:
        self._channel_combo.setToolTip(choice_tip(self._channel_combo, index))
        self._emit(channel_mode=self._channel_combo.itemData(index))

    def _on_separate_toggled(self, separate: bool) -> None:
        if not separate:
            # One value for both axes again: the rows value wins, and only real changes emit.
            for spins in (self._stride_spins, self._dilation_spins, self._padding_spins):
                with QSignalBlocker(spins[1]):
                    spins[1].setValue(spins[0].value())
        self._update_visibility()
        changes: dict = {
            "stride": self._pair(self._stride_spins),
            "dilation": self._pair(self._dilation_spins),
        }
        if self._padding_combo.currentData() == "custom":
            changes["padding"] = self._pair(self._padding_spins)
        self._emit(**changes)
