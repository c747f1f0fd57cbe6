"""The open session as a document: its file, unsaved changes, open, save, and the window title.

Session state lives here and only here: the session file's path, whether its picture travels
inside it, and (read from the controller's ``dirtyChanged``) whether there is anything unsaved.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import QWidget

from ..model.session import SessionError, decode_embedded_image, load_session, save_session
from ..model.studio import make_image_state
from ..model.studio_file import StudioState, session_of, state_of
from .controller import StudioController
from .dialogs import Dialogs, SaveChoice
from .loading import SESSION_SUFFIX, Loader
from .recent import RecentFiles, same_file
from .window_part import WindowPart

SESSION_FILTER = "Filter Studio sessions (*.fstudio)"
FOLDER_KEY = "lastFolder"


class Document(WindowPart):
    """One studio session: its file, its title, opening and saving it.

    Signals
    -------
    pathChanged(str)
        The session now lives in this file (after Open or Save As).
    """

    pathChanged = Signal(str)

    def __init__(
        self,
        window: QWidget,
        controller: StudioController,
        dialogs: Dialogs,
        loader: Loader,
    ) -> None:
        super().__init__(controller, dialogs, window, loader=loader)
        self._window = window
        self._path: str | None = None
        self._embed_image = False
        self.recent = RecentFiles("recentSessions", self.open_session)
        controller.dirtyChanged.connect(lambda _dirty: self.update_title())

    @property
    def session_path(self) -> str | None:
        """The session file, or None for a session never saved."""
        return self._path

    def is_dirty(self) -> bool:
        return self._c.is_dirty()

    def update_title(self) -> None:
        name = Path(self._path).name if self._path else "Untitled"
        self._window.setWindowTitle(f"{name}[*] — Filter Studio")
        self._window.setWindowModified(self._c.is_dirty())

    def _set_path(self, path: str, embed: bool) -> None:
        self._path = os.path.abspath(path)
        self._embed_image = embed
        self.recent.add(self._path)
        self.update_title()
        self.pathChanged.emit(self._path)

    # -- opening -----------------------------------------------------------------------
    def open_session(self, path: str | os.PathLike) -> bool:
        """Open the session at ``path``, after offering to save unsaved changes.

        A file that cannot be read (damaged, from a newer Filter Studio) changes nothing and
        shows why. A missing picture does not stop the filters from loading: the copy saved in
        the session is used if there is one, otherwise the current picture stays. The picture
        is decoded in the background; ``Loader.imageLoaded`` says when it is in.

        Returns
        -------
        bool
            True if the session was opened.
        """
        path = os.fspath(path)
        try:
            loaded = load_session(path)
        except (SessionError, OSError, MemoryError) as exc:
            if not os.path.exists(path):
                self.recent.forget(path)
            self._dialogs.failure(exc)
            return False
        if not self.confirm_discard("opening another session"):
            return False
        session = loaded.session
        state = state_of(session)
        self._c.load_state(state.stack, state.display, state.selected, state.derived)
        self._set_path(path, session.embedded_png is not None)
        self._open_picture(session, loaded.image_abs_path)
        if loaded.messages:
            self._dialogs.error(" ".join(loaded.messages))
        else:
            self._dialogs.message(f"Opened {Path(path).name}.")
        return True

    def _open_picture(self, session, found: str | None) -> None:
        """The session's picture: its file, else its embedded copy, else its sample."""
        if found is not None:
            self._loader.open_image(found, wait=False)
        elif session.embedded_png is not None:
            name = Path(session.image_path).name if session.image_path else "embedded image"

            def decode():
                pixels = decode_embedded_image(session)
                return make_image_state(pixels, name, sample=session.sample, take=True)

            self._loader.open_made(name, decode, wait=False)
        elif session.sample and not session.image_path:
            try:
                self._loader.open_sample(session.sample)
            except (KeyError, ValueError, OSError):
                self._dialogs.error(f"The sample picture {session.sample!r} is not known here.")

    # -- saving ------------------------------------------------------------------------
    def save_session(
        self,
        path: str | os.PathLike | None = None,
        *,
        embed_image: bool | None = None,
        overwrite: bool = False,
    ) -> bool:
        """Save the session: the filters, the picture's location, display settings, selection.

        Parameters
        ----------
        path : str or os.PathLike, optional
            None: the current session file, or ask for one (Save As) if there is none.
        embed_image : bool, optional
            Also store the picture inside the file. None keeps what the session did (a session
            opened or saved with an embedded picture keeps one). A picture that came from
            neither a file nor a sample (pasted, dropped) is always embedded.
        overwrite : bool
            Replace another existing file without asking (the current session file is always
            replaced).

        Returns
        -------
        bool
            True if the file was written; the session is then clean.
        """
        if path is None:
            if not self._path:
                return self.save_session_as(bool(embed_image) or self._embed_image)
            path = self._path
        path = os.fspath(path)
        replace_ok = overwrite or same_file(path, self._path)
        if not self._dialogs.may_replace([path], replace_ok):
            return False
        embed = self._embed_image if embed_image is None else bool(embed_image)
        c = self._c
        img = c.image
        if img is not None and img.path is None and img.sample is None:
            embed = True
        state = StudioState(c.bank, c.display, c.selected_index, c.derived, stack=c.stack)
        try:
            save_session(
                path,
                session_of(state, img),
                embed_image=embed and img is not None,
                image_array=img.pixels if embed and img is not None else None,
                overwrite=True,
            )
        except (SessionError, OSError, MemoryError) as exc:
            self._dialogs.failure(exc)
            return False
        c.mark_clean()
        self._set_path(path, embed)
        self._dialogs.message(f"Saved {Path(path).name}.")
        return True

    def save_session_as(self, embed: bool | None = None) -> bool:
        """Ask for a file and save the session there."""
        embed = self._embed_image if embed is None else embed
        title = "Save Session with Embedded Image" if embed else "Save Session As"
        choice = SaveChoice(SESSION_FILTER, (SESSION_SUFFIX,))
        chosen = self.ask_save_path(title, SESSION_SUFFIX, [choice])
        if chosen is None:
            return False
        path, _, asked = chosen
        return self.save_session(path, embed_image=embed, overwrite=asked)

    def ask_save_path(
        self, title: str, suffix: str, choices, stem: str | None = None
    ) -> tuple[str, SaveChoice, bool] | None:
        """Ask where to save (starting at :meth:`suggested_path`) and remember the folder.

        Returns ``(path, choice, asked)`` as :meth:`Dialogs.save_file`, or None.
        """
        chosen = self._dialogs.save_file(title, self.suggested_path(suffix, stem), choices)
        if chosen is not None:
            self.remember_folder(chosen[0])
        return chosen

    def ask_open_path(self, title: str, file_filter: str) -> str | None:
        """Ask for a file to open (starting at :meth:`start_folder`) and remember its folder;
        None when the user cancels."""
        path = self._dialogs.open_file(title, self.start_folder(), file_filter)
        if not path:
            return None
        self.remember_folder(path)
        return path

    def open_session_dialog(self) -> None:
        path = self.ask_open_path("Open Session", SESSION_FILTER)
        if path:
            self.open_session(path)

    def confirm_discard(self, reason: str) -> bool:
        """Offer to save unsaved changes before ``reason`` (e.g. ``"closing"``).

        Returns
        -------
        bool
            False if the user cancelled (or saving failed): do not go on.
        """
        if not self._c.is_dirty():
            return True
        name = Path(self._path).name if self._path else "this session"
        answer = self._dialogs.save_changes(name, reason)
        if answer == "save":
            return self.save_session()
        return answer == "discard"

    # -- folders and names -------------------------------------------------------------
    def start_folder(self) -> str:
        """Where file dialogs start: the session's folder, else the last one used."""
        if self._path:
            return str(Path(self._path).parent)
        return QSettings().value(FOLDER_KEY, "", str) or ""

    def remember_folder(self, path: str) -> None:
        QSettings().setValue(FOLDER_KEY, str(Path(path).parent))

    def suggested_path(self, suffix: str, stem: str | None = None) -> str:
        """A file name to offer: ``stem`` (default: the session's or picture's) plus ``suffix``."""
        if stem is None:
            image = self._c.image
            if self._path:
                stem = Path(self._path).stem
            elif image is not None:
                stem = Path(image.name).stem or "session"
            else:
                stem = "session"
        folder = self.start_folder()
        return str(Path(folder) / f"{stem}{suffix}") if folder else f"{stem}{suffix}"

    def recent_sessions(self) -> list[str]:
        """The recently opened or saved sessions, newest first."""
        return self.recent.paths()
