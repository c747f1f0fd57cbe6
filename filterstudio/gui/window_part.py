"""What every part of the window that works on the open document is given, held in one place.

A :class:`WindowPart` acts for the user on ``controller``'s state, speaks through ``dialogs``
(questions, one-sentence failures, status messages) and asks ``document`` where files go.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

if TYPE_CHECKING:
    from .controller import StudioController
    from .dialogs import Dialogs
    from .document import Document


class WindowPart(QObject):
    """Holds ``controller`` as ``_c``, ``dialogs`` as ``_dialogs``, ``document`` as
    ``_document``."""

    def __init__(
        self,
        controller: StudioController,
        dialogs: Dialogs,
        document: Document,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._c = controller
        self._dialogs = dialogs
        self._document = document
