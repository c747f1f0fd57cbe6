"""The input picture's panel: its title and a zoomable view of the picture."""

from __future__ import annotations

from functools import partial

import numpy as np
from PySide6.QtCore import QSize, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QVBoxLayout, QWidget

from filterstudio.core import display

from .map_view import MapView
from .panel_parts import ElidingLabel, PanelFrame
from .presentation import present


class InputPanelWidget(PanelFrame):
    """The input image panel: a title (file name, size, mode) over a MapView of the input.

    Signals
    -------
    hoveredPixel(int, int)
        Input pixel ``(y, x)`` under the cursor, ``(-1, -1)`` when none.
    """

    hoveredPixel = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(150, 120)
        self._title = ElidingLabel("No image")
        title_font = QFont(self.font())
        title_font.setBold(True)
        self._title.setFont(title_font)
        self._view = MapView()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(5, 4, 5, 4)
        layout.setSpacing(3)
        layout.addWidget(self._title)
        layout.addWidget(self._view, 1)
        self._view.hoveredCell.connect(self.hoveredPixel)

    def set_presentation(self, on: bool) -> None:
        """Projector size for the title and the numbers drawn in zoomed-in pixels."""
        present(self, on)
        title_font = QFont(self.font())
        title_font.setBold(True)
        self._title.setFont(title_font)
        self._view.setFont(self.font())

    def sizeHint(self) -> QSize:
        return QSize(420, 420)

    @property
    def view(self) -> MapView:
        """The view of the input image."""
        return self._view

    def title(self) -> str:
        """The title text."""
        return self._title.text()

    def set_image(
        self,
        pixels: np.ndarray | None,
        values: np.ndarray | None = None,
        *,
        title: str = "",
        full_hw: tuple[int, int] | None = None,
    ) -> None:
        """Show the input image.

        Parameters
        ----------
        pixels : numpy.ndarray or None
            uint8 display pixels, possibly a downscaled copy.
        values : numpy.ndarray, optional
            The exact float image (written into the pixels when zoomed in); its size is the
            image's real size.
        title : str
            E.g. ``"photo.jpg  4000x3000 RGB"``.
        full_hw : tuple of int, optional
            The real size, when ``values`` is not given and ``pixels`` is downscaled.
        """
        if full_hw is None and values is not None:
            full_hw = tuple(values.shape[:2])
        # The input's overview is its values clipped to [0, 1]: deep zoom draws them the same way.
        self._view.set_detail_renderer(partial(display.to_uint8, mapping="clip"))
        self._view.set_content(pixels, geometry=None, values=values, full_hw=full_hw)
        self._title.setText(title)
        self._title.setToolTip(title)
