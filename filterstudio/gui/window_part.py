"""What the parts of the window are given, held in one place: controller, dialogs and services.

A :class:`WindowPart` acts for the user on ``controller``'s state and speaks through
``dialogs`` (questions, one-sentence failures, messages); a part that needs them is also given
the ``document`` (where files go), the ``status`` line or the picture ``loader``.
"""

from __future__ import annotations

from PySide6.QtCore import QObject


class WindowPart(QObject):
    """Holds ``controller`` (a :class:`~.controller.StudioController`) as ``_c`` and
    ``dialogs`` (:class:`~.dialogs.Dialogs`) as ``_dialogs``; ``document``
    (:class:`~.document.Document`), ``status`` (:class:`~.status.StatusPresenter`) and
    ``loader`` (:class:`~.loading.Loader`), None when not given, as ``_document``, ``_status``
    and ``_loader``. (Named, not imported: those modules are parts too.)"""

    def __init__(
        self,
        controller,
        dialogs,
        parent: QObject | None = None,
        *,
        document=None,
        status=None,
        loader=None,
    ) -> None:
        super().__init__(parent)
        self._c = controller
        self._dialogs = dialogs
        self._document = document
        self._status = status
        self._loader = loader
