"""The File and Edit menu commands that read and write files: sessions, maps, banks, weights."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image
from PySide6.QtCore import QObject, QSettings
from PySide6.QtGui import QAction, QGuiApplication, QImage, QKeySequence
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMenu, QMessageBox

from ..core import display
from ..core.imageio import ImageError, atomic_write, save_format, save_image
from ..core.montage import render_montage, safe_filename, unique_names
from ..model.bank import Bank
from ..model.bank_io import BankFormatError, load_bank, save_bank
from ..model.session import (
    CombinedMap,
    DisplaySettings,
    Session,
    SessionError,
    decode_embedded_image,
    load_session,
    save_session,
)
from ..model.studio import DerivedMap, DisplayState
from ..model.weights import AmbiguousLayout, WeightsError, export_weights, import_weights

if TYPE_CHECKING:
    from .main_window import MainWindow

SESSION_SUFFIX = ".fstudio"
SESSION_FILTER = "Filter Studio sessions (*.fstudio)"
BANK_FILTER = "Filter banks (*.json)"
RECENT_KEY = "recentSessions"
MAX_RECENT_SESSIONS = 8
#: Maps as displayed (8-bit through the panel's mapping and colour map), then exact values.
MAP_FILTERS = {
    "PNG image (*.png)": (".png", False),
    "JPEG image (*.jpg *.jpeg)": (".jpg", False),
    "TIFF image as displayed (*.tif *.tiff)": (".tif", False),
    "WebP image (*.webp)": (".webp", False),
    "BMP image (*.bmp)": (".bmp", False),
    "TIFF float32 (*.tif)": (".tif", True),
    "NumPy (*.npy)": (".npy", True),
}
#: The formats offered by Save All Maps: label -> (extension, exact).
ALL_MAPS_FORMATS = {
    "PNG images, as displayed": ("png", False),
    "JPEG images, as displayed": ("jpg", False),
    "TIFF images, as displayed": ("tif", False),
    "WebP images, as displayed": ("webp", False),
    "BMP images, as displayed": ("bmp", False),
    "TIFF float32, exact values": ("tif", True),
    "NumPy arrays, exact values": ("npy", True),
}
MONTAGE_FILTER = "PNG image (*.png)"
WEIGHTS_FILTERS = {
    "Keras layout (kh, kw, C, F) (*.npz)": "keras",
    "PyTorch layout (F, C, kh, kw) (*.npz)": "pytorch",
}
WEIGHTS_OPEN_FILTER = "CNN weights (*.npz *.npy);;All files (*)"
_EXACT_SUFFIXES = (".npy", ".tif", ".tiff")
_WAIT_SECONDS = 30.0


def _sentence(exc: BaseException) -> str:
    """A one-sentence message for ``exc`` (never a traceback)."""
    if isinstance(exc, MemoryError):
        return "There is not enough memory for that."
    if isinstance(exc, OSError) and not isinstance(exc, ValueError):
        name = Path(exc.filename).name if exc.filename else "the file"
        reason = (exc.strerror or type(exc).__name__).rstrip(".")
        return f"Cannot use {name}: {reason}."
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if text.endswith((".", "?", "!")) else text + "."


def _with_suffix(path: str, suffixes: tuple[str, ...]) -> str:
    """``path`` with ``suffixes[0]`` appended unless it already ends in one of ``suffixes``."""
    if Path(path).suffix.lower() in suffixes:
        return path
    return path + suffixes[0]


def _same_file(a: str | os.PathLike | None, b: str | os.PathLike | None) -> bool:
    if not a or not b:
        return False
    return os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b))


def _pair_text(pair: tuple[int, int]) -> str:
    """``2`` for ``(2, 2)``, ``2x1`` for ``(2, 1)``."""
    return str(pair[0]) if pair[0] == pair[1] else f"{pair[0]}x{pair[1]}"


def _qimage(pixels: np.ndarray) -> QImage:
    """A QImage that owns a copy of 8-bit grey ``(H, W)`` or RGB ``(H, W, 3)`` pixels."""
    arr = np.ascontiguousarray(pixels, dtype=np.uint8)
    h, w = arr.shape[:2]
    if arr.ndim == 2:
        image = QImage(arr.data, w, h, arr.strides[0], QImage.Format.Format_Grayscale8)
    else:
        image = QImage(arr.data, w, h, arr.strides[0], QImage.Format.Format_RGB888)
    return image.copy()  # the array's memory is released when this function returns


class FileActions(QObject):
    """Open and save sessions; save, copy and export maps; import and export banks and weights.

    Constructed once by the main window (``FileActions(window)``); it adds its actions to
    ``window.file_menu`` before ``window.file_actions_anchor`` and a Copy Map action to
    ``window.edit_menu``. The public methods are what the menus call and what scripts and tests
    use; each returns whether it succeeded and shows a one-sentence message when it did not.
    Methods that write a file take ``overwrite``: when False and the file exists, the user is
    asked first (the file dialogs ask on their own, so the menus pass True after them).
    """

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self._embed_image = False
        self._build_actions()
        self._rebuild_recent_menu()

    # == construction ====================================================================
    def _action(self, text: str, slot, shortcut: str | None = None, tip: str = "") -> QAction:
        act = QAction(text, self._window)
        if shortcut:
            act.setShortcut(QKeySequence(shortcut))
        if tip:
            act.setStatusTip(tip)
        act.triggered.connect(slot)
        return act

    def _build_actions(self) -> None:
        w = self._window
        menu, anchor = w.file_menu, w.file_actions_anchor
        self.open_session_action = self._action(
            "Op&en Session…",
            self._on_open_session_triggered,
            "Ctrl+Shift+O",
            "Open a saved session: filters, picture and display settings",
        )
        self.recent_sessions_menu = QMenu("Recent Sessio&ns", w)
        self.recent_sessions_menu.setObjectName("recentSessionsMenu")
        self.save_session_action = self._action(
            "Sa&ve Session",
            self._on_save_session_triggered,
            "Ctrl+S",
            "Save the filters, the picture's location and the display settings",
        )
        self.save_session_as_action = self._action(
            "Save Session &As…", self._on_save_session_as_triggered, "Ctrl+Shift+S"
        )
        self.save_embedded_action = self._action(
            "Save Session &with Embedded Image…",
            self._on_save_embedded_triggered,
            tip="Save a session that carries a copy of the picture, to send as one file",
        )
        self.save_map_action = self._action(
            "Save &Map…",
            self._on_save_map_triggered,
            tip="Save the selected filter's map as displayed, or its exact values",
        )
        self.save_all_maps_action = self._action(
            "Save A&ll Maps…",
            self._on_save_all_maps_triggered,
            tip="Save every filter's map into a folder, one file each",
        )
        self.export_montage_action = self._action(
            "Export Mon&tage…",
            self._on_export_montage_triggered,
            tip="One picture with the input, every map and every kernel, for a slide",
        )
        self.import_bank_action = self._action(
            "&Import Filter Bank…",
            self._on_import_bank_triggered,
            tip="Replace the filters with those of a bank file (undoable)",
        )
        self.export_bank_action = self._action(
            "E&xport Filter Bank…",
            self._on_export_bank_triggered,
            tip="Save the filters and layer settings as a bank file",
        )
        self.import_weights_action = self._action(
            "Import &CNN Weights…",
            self._on_import_weights_triggered,
            tip="Make filters from a CNN's first-layer weights (.npy or .npz)",
        )
        self.export_weights_action = self._action(
            "Export CNN Wei&ghts…",
            self._on_export_weights_triggered,
            tip="Save the kernels as one weight array in Keras or PyTorch layout",
        )
        for item in (
            self.open_session_action,
            self.recent_sessions_menu,
            self.save_session_action,
            self.save_session_as_action,
            self.save_embedded_action,
            None,
            self.save_map_action,
            self.save_all_maps_action,
            self.export_montage_action,
            None,
            self.import_bank_action,
            self.export_bank_action,
            self.import_weights_action,
            self.export_weights_action,
        ):
            if item is None:
                menu.insertSeparator(anchor)
            elif isinstance(item, QMenu):
                menu.insertMenu(anchor, item)
            else:
                menu.insertAction(anchor, item)

        self.copy_map_action = self._action(
            "Copy &Map",
            self._on_copy_map_triggered,
            "Ctrl+Shift+C",
            "Copy the selected filter's map, as displayed, to the clipboard",
        )
        w.edit_menu.addSeparator()
        w.edit_menu.addAction(self.copy_map_action)

    # == sessions ========================================================================
    def open_session(self, path: str | os.PathLike) -> bool:
        """Open the session at ``path``, after offering to save unsaved changes.

        A file that cannot be read (damaged, from a newer Filter Studio) changes nothing and
        shows why. A missing picture does not stop the filters from loading: the copy saved in
        the session is used if there is one, otherwise the current picture stays.

        Returns
        -------
        bool
            True if the session was opened.
        """
        w = self._window
        path = os.fspath(path)
        try:
            loaded = load_session(path)
        except (SessionError, OSError, MemoryError) as exc:
            if not os.path.exists(path):
                self._forget_recent(path)
            w._show_error(_sentence(exc))
            return False
        if not self.confirm_discard("opening another session"):
            return False
        session = loaded.session
        display = self._display_from_file(session.display, session.bank)
        derived, display = self._derived_from_file(session.combined, session.bank, display)
        w.controller.load_state(session.bank, display, session.selected, derived)
        w.session_path = os.path.abspath(path)
        self._embed_image = session.embedded_png is not None
        self._add_recent(w.session_path)
        w._update_title()
        self._open_session_image(session, loaded.image_abs_path)
        if loaded.messages:
            w._show_error(" ".join(loaded.messages))
        else:
            w._show_message(f"Opened {Path(path).name}.")
        return True

    def _open_session_image(self, session: Session, found: str | None) -> bool:
        """Show the session's picture: the file, else the embedded copy, else the sample."""
        w = self._window
        if found is not None:
            return w.open_image(found, wait=True)
        if session.embedded_png is not None:
            try:
                pixels = decode_embedded_image(session)
            except SessionError as exc:
                w._show_error(_sentence(exc))
                return False
            name = Path(session.image_path).name if session.image_path else "embedded image"
            w.set_image_array(pixels, name, sample=session.sample)
            return True
        if session.sample and not session.image_path:
            try:
                w.open_sample(session.sample)
            except (KeyError, ValueError, OSError):
                w._show_error(f"The sample picture {session.sample!r} is not known here.")
                return False
            return True
        return False

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
            True if the file was written; the window is then marked clean.
        """
        w = self._window
        if path is None:
            if not w.session_path:
                return self._save_session_as(bool(embed_image) or self._embed_image)
            path = w.session_path
        path = os.fspath(path)
        if not (overwrite or _same_file(path, w.session_path)) and not self._may_replace(path):
            return False
        embed = self._embed_image if embed_image is None else bool(embed_image)
        img = w.controller.image
        if img is not None and img.path is None and img.sample is None:
            embed = True
        c = w.controller
        session = Session(
            image_path=img.path if img is not None else None,
            sample=img.sample if img is not None else None,
            bank=c.bank,
            display=self._display_for_file(c.display, c.bank),
            selected=max(0, c.selected_index),
            combined=self._combined_for_file(c.derived, c.display, c.bank),
        )
        try:
            save_session(
                path,
                session,
                embed_image=embed and img is not None,
                image_array=img.pixels if embed and img is not None else None,
                overwrite=True,
            )
        except (SessionError, OSError, MemoryError) as exc:
            w._show_error(_sentence(exc))
            return False
        w.session_path = os.path.abspath(path)
        self._embed_image = embed
        w.controller.mark_clean()
        self._add_recent(w.session_path)
        w._update_title()
        w._show_message(f"Saved {Path(path).name}.")
        return True

    def confirm_discard(self, reason: str) -> bool:
        """Offer to save unsaved changes before ``reason`` (e.g. ``"closing"``).

        Returns
        -------
        bool
            False if the user cancelled (or saving failed): do not go on.
        """
        w = self._window
        if not w.controller.is_dirty():
            return True
        name = Path(w.session_path).name if w.session_path else "this session"
        answer = QMessageBox.question(
            w,
            "Unsaved changes",
            f"Save the changes to {name} before {reason}?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save_session()
        return answer == QMessageBox.StandardButton.Discard

    def _save_session_as(self, embed: bool) -> bool:
        w = self._window
        title = "Save Session with Embedded Image" if embed else "Save Session As"
        path, _ = QFileDialog.getSaveFileName(
            w, title, self._suggested_path(SESSION_SUFFIX), SESSION_FILTER
        )
        if not path:
            return False
        full = _with_suffix(path, (SESSION_SUFFIX,))
        self._remember_folder(full)
        # The dialog asked about ``path``; a name it did not see is checked here.
        return self.save_session(full, embed_image=embed, overwrite=full == path)

    def _display_for_file(self, state: DisplayState, bank: Bank) -> DisplaySettings:
        """The controller's uid-keyed display settings as the file's position-keyed ones."""
        per, per_cmap = {}, {}
        for uid, mapping, cmap in state.per_filter:
            try:
                index = bank.index_of(uid)
            except KeyError:
                continue
            per[index] = mapping
            if cmap:
                per_cmap[index] = cmap
        return DisplaySettings(
            mapping=state.mapping,
            colormap=state.colormap or "gray",
            per_filter=per,
            per_filter_colormap=per_cmap,
        )

    def _display_from_file(self, settings: DisplaySettings, bank: Bank) -> DisplayState:
        cmap = None if settings.colormap == "gray" else settings.colormap
        cmaps = dict(settings.per_filter_colormap)
        per = tuple(
            (bank.filters[i].uid, mapping, cmaps.get(i))
            for i, mapping in settings.per_filter
            if 0 <= i < len(bank.filters)
        )
        return DisplayState(mapping=settings.mapping, colormap=cmap, per_filter=per)

    def _combined_for_file(
        self, derived: tuple[DerivedMap, ...], state: DisplayState, bank: Bank
    ) -> tuple[CombinedMap, ...]:
        """The controller's combined maps as the file's definitions by filter position."""
        combined = []
        for d in derived:
            try:
                a, b = bank.index_of(d.a_uid), bank.index_of(d.b_uid)
            except KeyError:
                continue  # a source is gone; the controller drops such a map itself
            mapping, cmap, overridden = state.for_uid(d.uid)
            combined.append(
                CombinedMap(
                    a, b, d.op, mapping if overridden else None, cmap if overridden else None
                )
            )
        return tuple(combined)

    def _derived_from_file(
        self, combined: tuple[CombinedMap, ...], bank: Bank, display: DisplayState
    ) -> tuple[tuple[DerivedMap, ...], DisplayState]:
        """Combined maps for the controller, and ``display`` with their own mappings added."""
        controller = self._window.controller
        derived = []
        per = list(display.per_filter)
        for c in combined:
            d = controller.make_derived(bank.filters[c.a].uid, bank.filters[c.b].uid, c.op)
            derived.append(d)
            if c.mapping is not None:
                per.append((d.uid, c.mapping, c.colormap))
        return tuple(derived), replace(display, per_filter=tuple(per))

    # == maps ============================================================================
    def _map_of(self, index: int) -> tuple[np.ndarray, str, str | None] | None:
        """(exact values, mapping, colour map) of filter ``index``, or None after a message."""
        w = self._window
        bank = w.controller.bank
        if not 0 <= index < len(bank.filters):
            w._show_error("There is no filter at that position.")
            return None
        if w.controller.image is None:
            w._show_error("Open a picture first: there are no maps yet.")
            return None
        f = bank.filters[index]
        if not f.enabled:
            w._show_error(f"The filter {f.name} is switched off, so it has no map.")
            return None
        if not w.is_current():
            w.wait_until_current(_WAIT_SECONDS)
        res = w.controller.result(f.uid)
        if res is None or res.values is None:
            reason = res.error if res is not None and res.error else "it is not computed yet"
            w._show_error(f"The map of {f.name} cannot be saved: {reason.rstrip('.')}.")
            return None
        mapping, cmap, _ = w.controller.display.for_uid(f.uid)
        return res.values, mapping, cmap

    def save_map(
        self,
        index: int,
        path: str | os.PathLike,
        *,
        exact: bool | None = None,
        overwrite: bool = False,
    ) -> bool:
        """Save filter ``index``'s map, as displayed or with its exact values.

        Parameters
        ----------
        index : int
            The filter's position in the bank.
        path : str or os.PathLike
            ``.png``, ``.jpg``, ``.webp``, ``.bmp``: 8-bit through the panel's mapping and
            colour map; ``.npy``: exact float32; ``.tif``/``.tiff``: either.
        exact : bool, optional
            None: exact for ``.npy`` and ``.tif``, as displayed otherwise.
        overwrite : bool
            Replace an existing file without asking.
        """
        w = self._window
        p = os.fspath(path)
        suffix = Path(p).suffix.lower()
        if exact is None:
            exact = suffix in _EXACT_SUFFIXES
        if exact and suffix not in _EXACT_SUFFIXES:
            w._show_error("Exact values are saved as .npy or as float32 .tif files.")
            return False
        if not exact and suffix == ".npy":
            w._show_error("A .npy file holds exact values; choose PNG or TIFF for the picture.")
            return False
        try:
            save_format(p)
        except ImageError as exc:
            w._show_error(_sentence(exc))
            return False
        found = self._map_of(index)
        if found is None or not self._may_replace(p, overwrite):
            return False
        values, mapping, cmap = found
        try:
            if exact:
                save_image(p, values)
            else:
                save_image(p, values, display=mapping, colormap=cmap)
        except (ImageError, OSError, MemoryError) as exc:
            w._show_error(_sentence(exc))
            return False
        w._show_message(f"Saved {Path(p).name}.")
        return True

    def save_all_maps(
        self,
        folder: str | os.PathLike,
        fmt: str = "png",
        *,
        exact: bool | None = None,
        overwrite: bool = False,
    ) -> list[Path]:
        """Save every enabled filter's map into ``folder`` as ``<safe name>.<fmt>``.

        Parameters
        ----------
        folder : str or os.PathLike
            An existing folder.
        fmt : str
            The file extension: ``png``, ``jpg``, ``tif``, ``webp``, ``bmp`` or ``npy``.
        exact : bool, optional
            As for :meth:`save_map`.
        overwrite : bool
            Replace existing files without asking; otherwise the user is asked once.

        Returns
        -------
        list of pathlib.Path
            The files written (fewer than the filters if a write failed; then a message says
            why).
        """
        w = self._window
        target = Path(folder)
        ext = "." + fmt.lower().lstrip(".")
        if not target.is_dir():
            w._show_error(f"The folder {str(target)!r} does not exist.")
            return []
        if exact is None:
            exact = ext in _EXACT_SUFFIXES
        if (exact and ext not in _EXACT_SUFFIXES) or (not exact and ext == ".npy"):
            w._show_error(
                "Exact values are saved as .npy or float32 .tif; pictures as PNG, "
                "JPEG, TIFF, WebP or BMP."
            )
            return []
        try:
            save_format(f"map{ext}")
        except ImageError as exc:
            w._show_error(_sentence(exc))
            return []
        bank = w.controller.bank
        indices = [i for i, f in enumerate(bank.filters) if f.enabled]
        if w.controller.image is None or not indices:
            w._show_error("There are no maps to save: open a picture and switch a filter on.")
            return []
        names = unique_names(bank.filters[i].name for i in indices)
        paths = [target / f"{name}{ext}" for name in names]
        existing = [p for p in paths if p.exists()]
        if existing and not overwrite:
            n = len(existing)
            answer = QMessageBox.question(
                w,
                "Replace files?",
                f"Replace {n} existing file{'s' if n != 1 else ''} in {target.name or target}?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,
            )
            if answer != QMessageBox.StandardButton.Yes:
                return []
        written: list[Path] = []
        for i, p in zip(indices, paths):
            if not self.save_map(i, p, exact=exact, overwrite=True):
                break
            written.append(p)
        if len(written) == len(paths):
            w._show_message(f"Saved {len(written)} maps in {target.name or target}.")
        return written

    def copy_map(self, index: int | None = None) -> bool:
        """Put filter ``index``'s map (default: the selected one), as displayed, on the clipboard."""
        w = self._window
        found = self._map_of(w.controller.selected_index if index is None else index)
        if found is None:
            return False
        values, mapping, cmap = found
        try:
            pixels = display.to_uint8(values, mapping, colormap=cmap)
        except (ValueError, MemoryError) as exc:
            w._show_error(_sentence(exc))
            return False
        QGuiApplication.clipboard().setImage(_qimage(pixels))
        w._show_message("Copied the map to the clipboard.")
        return True

    def montage(self) -> np.ndarray | None:
        """The montage of the current picture and maps as 8-bit RGB, or None after a message."""
        w = self._window
        img = w.controller.image
        if img is None:
            w._show_error("Open a picture first: a montage shows it with its maps.")
            return None
        if not w.is_current():
            w.wait_until_current(_WAIT_SECONDS)
        maps = []
        for f in w.controller.bank.filters:
            res = w.controller.result(f.uid)
            if f.enabled and res is not None and res.pixels is not None:
                maps.append((f.name, res.pixels, f.kernel))
        source = getattr(img, "display_pixels", None)
        if source is None:
            source = display.to_uint8(img.pixels, "clip")
        layer = w.controller.bank.layer
        padding = layer.padding if isinstance(layer.padding, str) else _pair_text(layer.padding)
        title = (
            f"{img.name}: stride {_pair_text(layer.stride)}, {padding} padding, "
            f"{layer.border} border"
        )
        if layer.channel_mode != "color":
            title += f", {layer.channel_mode} mode"
        try:
            return render_montage(source, maps, title=title)
        except (ValueError, MemoryError) as exc:
            w._show_error(_sentence(exc))
            return None

    def export_montage(self, path: str | os.PathLike, *, overwrite: bool = False) -> bool:
        """Save the montage (input, every map and kernel) as a PNG or JPEG picture."""
        w = self._window
        p = os.fspath(path)
        try:
            fmt = save_format(p)
        except ImageError as exc:
            w._show_error(_sentence(exc))
            return False
        if fmt not in ("PNG", "JPEG", "WEBP", "BMP"):
            w._show_error("A montage is saved as a PNG picture (or JPEG, WebP, BMP).")
            return False
        if not self._may_replace(p, overwrite):
            return False
        pixels = self.montage()
        if pixels is None:
            return False
        options = {"quality": 95} if fmt == "JPEG" else {}
        try:
            with atomic_write(p) as tmp:
                Image.fromarray(pixels).save(tmp, format=fmt, **options)
        except (OSError, ValueError, MemoryError) as exc:
            w._show_error(_sentence(exc))
            return False
        w._show_message(f"Saved the montage as {Path(p).name}.")
        return True

    # == banks and weights ===============================================================
    def import_bank(self, path: str | os.PathLike) -> bool:
        """Replace the filters and layer settings with those of a bank file (undoable)."""
        w = self._window
        try:
            bank = load_bank(path)
        except (BankFormatError, OSError, MemoryError) as exc:
            w._show_error(_sentence(exc))
            return False
        w.controller.replace_bank(bank, f"Import {Path(path).name}")
        w._show_message(f"Imported {len(bank.filters)} filters from {Path(path).name}.")
        return True

    def export_bank(self, path: str | os.PathLike, *, overwrite: bool = False) -> bool:
        """Save the filters and layer settings as a bank file (``.json``)."""
        w = self._window
        p = os.fspath(path)
        if not self._may_replace(p, overwrite):
            return False
        try:
            save_bank(p, w.controller.bank, overwrite=True)
        except (BankFormatError, OSError) as exc:
            w._show_error(_sentence(exc))
            return False
        w._show_message(f"Saved the filter bank as {Path(p).name}.")
        return True

    def import_weights(self, path: str | os.PathLike, layout: str = "auto") -> bool:
        """Replace the filters with a CNN's first-layer weights (undoable, one step).

        With ``layout="auto"`` and a shape that reads both ways the user chooses the layout.
        Weights with 3 input channels switch the layer to the ``depth`` channel mode, 1-channel
        weights leave ``depth`` for ``gray``, in the same undo step.
        """
        w = self._window
        name = Path(path).name
        try:
            imported = import_weights(path, layout=layout)
        except AmbiguousLayout as exc:
            if layout != "auto":
                w._show_error(_sentence(exc))
                return False
            chosen = self._ask_layout(_sentence(exc))
            return False if chosen is None else self.import_weights(path, chosen)
        except (WeightsError, OSError, ValueError, MemoryError) as exc:
            w._show_error(_sentence(exc))
            return False
        layer = w.controller.bank.layer
        bank = Bank(filters=imported.filters, layer=layer)
        if imported.channels == 3 and layer.channel_mode != "depth":
            bank = bank.with_layer(channel_mode="depth")
        elif imported.channels == 1 and layer.channel_mode == "depth":
            bank = bank.with_layer(channel_mode="gray")
        w.controller.replace_bank(bank, f"Import weights from {name}")
        summary = (
            f"Imported {len(bank.filters)} filters ({imported.layout_used} layout) from {name}."
        )
        notes = [summary, *imported.messages]
        w._show_message(" ".join(notes))
        return True

    def layout_question(self, text: str) -> tuple[QMessageBox, dict]:
        """The box that asks which layout ambiguous weights were saved in, and its buttons."""
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Weights layout",
            text,
            QMessageBox.StandardButton.Cancel,
            self._window,
        )
        box.setObjectName("layoutQuestion")
        keras = box.addButton("Keras (kh, kw, C, F)", QMessageBox.ButtonRole.AcceptRole)
        torch = box.addButton("PyTorch (F, C, kh, kw)", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(torch)
        return box, {keras: "keras", torch: "pytorch"}

    def _ask_layout(self, text: str) -> str | None:
        box, buttons = self.layout_question(text)
        try:
            box.exec()
            return buttons.get(box.clickedButton())
        finally:
            box.deleteLater()

    def export_weights(
        self, path: str | os.PathLike, layout: str, *, overwrite: bool = False
    ) -> bool:
        """Save the kernels as one weight array (``.npz`` with biases, or ``.npy``).

        In the ``depth`` channel mode the weights have 3 input channels, otherwise as many as
        the kernels have.
        """
        w = self._window
        p = os.fspath(path)
        if not self._may_replace(p, overwrite):
            return False
        bank = w.controller.bank
        channels = 3 if bank.layer.channel_mode == "depth" else None
        try:
            notes = export_weights(bank, p, layout=layout, channels=channels, overwrite=True)
        except (WeightsError, OSError, ValueError) as exc:
            w._show_error(_sentence(exc))
            return False
        w._show_message(" ".join([f"Saved the weights as {Path(p).name}.", *notes]))
        return True

    # == helpers =========================================================================
    def _may_replace(self, path: str, overwrite: bool = False) -> bool:
        """Whether ``path`` may be written: it is new, ``overwrite`` is set, or the user agrees."""
        if overwrite or not os.path.lexists(path):
            return True
        answer = QMessageBox.question(
            self._window,
            "Replace file?",
            f"{Path(path).name} already exists. Replace it?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def _start_folder(self) -> str:
        w = self._window
        if w.session_path:
            return str(Path(w.session_path).parent)
        return QSettings().value("lastFolder", "", str) or ""

    def _remember_folder(self, path: str) -> None:
        QSettings().setValue("lastFolder", str(Path(path).parent))

    def _suggested_path(self, suffix: str, stem: str | None = None) -> str:
        w = self._window
        if stem is None:
            if w.session_path:
                stem = Path(w.session_path).stem
            elif w.controller.image is not None:
                stem = Path(w.controller.image.name).stem or "session"
            else:
                stem = "session"
        folder = self._start_folder()
        return str(Path(folder) / f"{stem}{suffix}") if folder else f"{stem}{suffix}"

    def _selected_name(self) -> str:
        f = self._window.controller.selected_filter
        return safe_filename(f.name) if f is not None else "map"

    # == recent sessions =================================================================
    def recent_sessions(self) -> list[str]:
        """The recently opened or saved sessions, newest first."""
        value = QSettings().value(RECENT_KEY, [], list) or []
        return [str(p) for p in value if p]

    def _add_recent(self, path: str) -> None:
        recent = [p for p in self.recent_sessions() if not _same_file(p, path)]
        recent.insert(0, path)
        QSettings().setValue(RECENT_KEY, recent[:MAX_RECENT_SESSIONS])
        self._rebuild_recent_menu()

    def _forget_recent(self, path: str) -> None:
        recent = self.recent_sessions()
        kept = [p for p in recent if not _same_file(p, path)]
        if kept != recent:
            QSettings().setValue(RECENT_KEY, kept)
            self._rebuild_recent_menu()

    def _rebuild_recent_menu(self) -> None:
        menu = self.recent_sessions_menu
        menu.clear()
        recent = self.recent_sessions()
        for p in recent:
            act = menu.addAction(p)
            act.triggered.connect(lambda _=False, path=p: self.open_session(path))
        menu.setEnabled(bool(recent))

    # == slots ===========================================================================
    def _on_open_session_triggered(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self._window, "Open Session", self._start_folder(), SESSION_FILTER
        )
        if path:
            self._remember_folder(path)
            self.open_session(path)

    def _on_save_session_triggered(self) -> None:
        self.save_session()

    def _on_save_session_as_triggered(self) -> None:
        self._save_session_as(self._embed_image)

    def _on_save_embedded_triggered(self) -> None:
        self._save_session_as(True)

    def _on_save_map_triggered(self) -> None:
        w = self._window
        index = w.controller.selected_index
        if self._map_of(index) is None:
            return
        filters = ";;".join(MAP_FILTERS)
        path, chosen = QFileDialog.getSaveFileName(
            w,
            "Save Map",
            self._suggested_path(".png", self._selected_name()),
            filters,
            next(iter(MAP_FILTERS)),
        )
        if not path:
            return
        suffix, exact = MAP_FILTERS.get(chosen, (".png", False))
        accepted = (
            (".jpg", ".jpeg")
            if suffix == ".jpg"
            else ((".tif", ".tiff") if suffix == ".tif" else (suffix,))
        )
        full = _with_suffix(path, accepted)
        self._remember_folder(full)
        self.save_map(index, full, exact=exact, overwrite=full == path)

    def _on_save_all_maps_triggered(self) -> None:
        w = self._window
        labels = list(ALL_MAPS_FORMATS)
        settings = QSettings()
        last = settings.value("allMapsFormat", labels[0], str)
        label, ok = QInputDialog.getItem(
            w,
            "Save All Maps",
            "Save every map as:",
            labels,
            labels.index(last) if last in labels else 0,
            False,
        )
        if not ok:
            return
        folder = QFileDialog.getExistingDirectory(w, "Save All Maps Into", self._start_folder())
        if not folder:
            return
        settings.setValue("allMapsFormat", label)
        settings.setValue("lastFolder", folder)
        ext, exact = ALL_MAPS_FORMATS[label]
        self.save_all_maps(folder, ext, exact=exact)

    def _on_copy_map_triggered(self) -> None:
        self.copy_map()

    def _on_export_montage_triggered(self) -> None:
        w = self._window
        path, _ = QFileDialog.getSaveFileName(
            w, "Export Montage", self._suggested_path("-montage.png"), MONTAGE_FILTER
        )
        if path:
            full = _with_suffix(path, (".png",))
            self._remember_folder(full)
            self.export_montage(full, overwrite=full == path)

    def _on_import_bank_triggered(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self._window,
            "Import Filter Bank",
            self._start_folder(),
            BANK_FILTER + ";;All files (*)",
        )
        if path:
            self._remember_folder(path)
            self.import_bank(path)

    def _on_export_bank_triggered(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self._window, "Export Filter Bank", self._suggested_path("-bank.json"), BANK_FILTER
        )
        if path:
            full = _with_suffix(path, (".json",))
            self._remember_folder(full)
            self.export_bank(full, overwrite=full == path)

    def _on_import_weights_triggered(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self._window, "Import CNN Weights", self._start_folder(), WEIGHTS_OPEN_FILTER
        )
        if path:
            self._remember_folder(path)
            self.import_weights(path)

    def _on_export_weights_triggered(self) -> None:
        filters = ";;".join(WEIGHTS_FILTERS)
        path, chosen = QFileDialog.getSaveFileName(
            self._window,
            "Export CNN Weights",
            self._suggested_path("-weights.npz"),
            filters,
            next(iter(WEIGHTS_FILTERS)),
        )
        if path:
            full = _with_suffix(path, (".npz", ".npy"))
            self._remember_folder(full)
            self.export_weights(full, WEIGHTS_FILTERS.get(chosen, "keras"), overwrite=full == path)
