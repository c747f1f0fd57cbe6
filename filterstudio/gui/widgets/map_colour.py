"""How a map panel offers and shows colour: its mapping and colour-map choices, its colour bar.

The functions here work on the widgets a :class:`~.map_panel.MapPanelWidget` owns; they keep
what "default" stands for in the choices' first items and tooltips, and ask
:mod:`filterstudio.core.display` for the colour bar's ticks from the map's range alone.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QSizePolicy

from filterstudio.core import display
from filterstudio.core.vocabulary import MAPPING_TERMS, MAPPINGS, Term

from .choices import ShortenedCombo, fill_choices
from .panel_parts import ColorBarWidget, set_item_text, set_tip

#: The choice that follows the studio's default (View menu) in the mapping and colour combos.
DEFAULT_CHOICE = "default"
DEFAULT_MAPPING = Term(
    DEFAULT_CHOICE, DEFAULT_CHOICE, "The mapping chosen for every map (View menu)."
)


def mapping_combos() -> tuple[QComboBox, QComboBox]:
    """A panel's mapping choice (the default and every mapping) and its empty colour-map
    choice, both as narrow as their content allows."""
    mapping_combo = ShortenedCombo()
    mapping_combo.setAccessibleName("display mapping")
    fill_choices(mapping_combo, (DEFAULT_MAPPING, *MAPPING_TERMS))
    colormap_combo = ShortenedCombo()
    colormap_combo.setAccessibleName("colour map")
    for combo in (mapping_combo, colormap_combo):
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(4)
        combo.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        combo.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    return mapping_combo, colormap_combo


def fill_colormaps(combo: QComboBox, kind: str, current: str) -> bool:
    """Offer the colour maps of ``kind`` (``"diverging"`` or ``"sequential"``) with ``current``
    chosen; True when the items were made anew (their default's name is then to be set)."""
    if combo.property("kind") == kind and combo.count():
        combo.setCurrentIndex(max(0, combo.findData(current)))
        return False
    names = display.DIVERGING_COLORMAPS if kind == "diverging" else display.COLORMAPS
    combo.clear()
    combo.addItem(DEFAULT_CHOICE, "")
    for name in names:
        combo.addItem(name, name)
    combo.setProperty("kind", kind)
    combo.setCurrentIndex(max(0, combo.findData(current)))
    return True


def name_defaults(mapping_combo: QComboBox, colormap_combo: QComboBox, mapping: str, cmap: str):
    """Name what "default" resolves to, in the items and in the tooltips. The name comes first
    ("minmax (default)"), so a narrow combo shows the name alone (``ShortenedCombo``). Called with every
    map shown: only what differs is set, so a combo box is not laid out again for the same words.
    """
    if mapping_combo.count():
        set_item_text(mapping_combo, f"{mapping} ({DEFAULT_CHOICE})" if mapping else DEFAULT_CHOICE)
    if colormap_combo.count():
        kind = colormap_combo.property("kind")
        shown_cmap = display.DEFAULT_DIVERGING if kind == "diverging" else cmap
        set_item_text(
            colormap_combo, f"{shown_cmap} ({DEFAULT_CHOICE})" if shown_cmap else DEFAULT_CHOICE
        )
    set_tip(
        mapping_combo,
        "Display mapping: how the map's values become grey levels or colours"
        + (f". Default: {mapping} (View menu)." if mapping else "."),
    )
    set_tip(
        colormap_combo,
        "Colour map: the colours the mapped values are drawn in"
        + (f". Default: {cmap} (View menu)." if cmap else "."),
    )


def show_colorbar(bar: ColorBarWidget, mapping, colormap, stats, values, ticks) -> None:
    """Show ``bar`` for a map drawn in colour (hide it for grey levels or a bad colour map)."""
    colored = mapping == "diverging" or (colormap not in (None, "", "gray", "grey"))
    if not colored or mapping not in MAPPINGS:
        bar.setVisible(False)
        return
    if ticks is None:
        ticks = colorbar_ticks(mapping, stats, values)
    bar_map = colormap if colormap else None
    if mapping == "diverging" and bar_map not in display.DIVERGING_COLORMAPS:
        bar_map = display.DEFAULT_DIVERGING
    try:
        bar.set_colorbar(bar_map, ticks)
    except ValueError:
        bar.setVisible(False)
        return
    bar.setVisible(True)


def colorbar_ticks(mapping: str, stats, values) -> list[tuple[float, str]]:
    """The colour bar's ticks for a map under ``mapping``, from its ``stats`` when known."""
    # The ticks depend only on the map's range: ask for them with a two-value stand-in
    # instead of passing the whole map through the GUI thread.
    if mapping == "diverging" and values is not None and np.ndim(values) == 3:
        return display.colorbar_ticks(mapping, values)
    if stats is None:
        if values is None:
            return display.colorbar_ticks(mapping, np.zeros((0, 0), np.float32))
        return display.colorbar_ticks(mapping, values)
    return display.colorbar_ticks(mapping, np.array([[stats.min, stats.max]], np.float32))
