"""Maps out of the studio: save one or all (combined maps too), copy one, export a montage.

Every file is written from the exact float maps, never from the panels' display copies: a
saved picture is the map through its panel's mapping at full size, ``.npy`` and float32 TIFF
hold the values themselves. Each method returns whether it succeeded and says why not in one
sentence; methods that write take ``overwrite`` (False: ask before replacing a file).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QGuiApplication

from ..compute.scratch import give_back
from ..core import display
from ..core.errors import sentence
from ..core.imageio import ImageError, atomic_write, save_format, save_image
from ..core.montage import render_montage, safe_filename, unique_names
from .controller import StudioController
from .dialogs import Dialogs, SaveChoice
from .document import Document
from .imaging import array_to_qimage
from .tasks import RunningTasks, TaskControl
from .window_part import WindowPart

#: Save Map's types: maps as displayed (8-bit through the panel's mapping), then exact values.
MAP_CHOICES = (
    SaveChoice("PNG image (*.png)", (".png",), False),
    SaveChoice("JPEG image (*.jpg *.jpeg)", (".jpg", ".jpeg"), False),
    SaveChoice("TIFF image as displayed (*.tif *.tiff)", (".tif", ".tiff"), False),
    SaveChoice("WebP image (*.webp)", (".webp",), False),
    SaveChoice("BMP image (*.bmp)", (".bmp",), False),
    SaveChoice("TIFF float32 (*.tif)", (".tif", ".tiff"), True),
    SaveChoice("NumPy (*.npy)", (".npy",), True),
)
#: Save All Maps' formats: label -> (extension, exact).
ALL_MAPS_FORMATS = {
    "PNG images, as displayed": ("png", False),
    "JPEG images, as displayed": ("jpg", False),
    "TIFF images, as displayed": ("tif", False),
    "WebP images, as displayed": ("webp", False),
    "BMP images, as displayed": ("bmp", False),
    "TIFF float32, exact values": ("tif", True),
    "NumPy arrays, exact values": ("npy", True),
}
MONTAGE_CHOICES = (
    SaveChoice("PNG image (*.png)", (".png",)),
    SaveChoice("JPEG image (*.jpg *.jpeg)", (".jpg", ".jpeg")),
    SaveChoice("WebP image (*.webp)", (".webp",)),
    SaveChoice("BMP image (*.bmp)", (".bmp",)),
)
_EXACT_SUFFIXES = (".npy", ".tif", ".tiff")
_WAIT_SECONDS = 30.0


@dataclass(frozen=True)
class _Map:
    """One map ready to write: its name, exact values and how its panel shows it."""

    name: str
    values: np.ndarray
    mapping: str
    colormap: str | None
    kernel: np.ndarray | None


@dataclass(frozen=True)
class _Written:
    """What a write on the pool thread did: the files written, and why it stopped (None: all)."""

    paths: tuple[Path, ...]
    error: str | None


def _write_maps(jobs: list[tuple[_Map, str]], exact: bool, control: TaskControl) -> _Written:
    """Write each map to its path in turn (pool thread), stopping at the first that fails."""
    done: list[Path] = []
    for m, path in jobs:
        try:
            if exact:
                save_image(path, m.values)
            else:
                save_image(path, m.values, display=m.mapping, colormap=m.colormap)
        except (ImageError, OSError, ValueError, MemoryError) as exc:
            return _Written(tuple(done), sentence(exc))
        finally:
            give_back(m.values)  # a map kept in a scratch file: its pages are not needed now
        done.append(Path(path))
        control.progress(len(done), len(jobs))
    return _Written(tuple(done), None)


def _pair_text(pair: tuple[int, int]) -> str:
    """``2`` for ``(2, 2)``, ``2x1`` for ``(2, 1)``."""
    return str(pair[0]) if pair[0] == pair[1] else f"{pair[0]}x{pair[1]}"


class Exports(WindowPart):
    """Saves, copies and lays out maps of ``controller``'s current state.

    Signals: ``saved(paths)`` once a save written on the worker has ended: the files written
    (fewer than asked, or none, after the sentence of a write that failed).
    """

    saved = Signal(object)

    def __init__(
        self,
        controller: StudioController,
        dialogs: Dialogs,
        document: Document,
        wait_current: Callable[[float], bool],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(controller, dialogs, parent, document=document)
        self._wait_current = wait_current
        self._tasks = RunningTasks(self)

    # -- finding maps ------------------------------------------------------------------
    def _current(self) -> None:
        if not self._c.is_current():
            self._wait_current(_WAIT_SECONDS)

    def _map_of(self, uid: str, name: str, kernel=None) -> _Map | None:
        res = self._c.result(uid)
        if res is None or res.values is None:
            reason = res.error if res is not None and res.error else "it is not computed yet"
            self._dialogs.error(f"The map of {name} cannot be saved: {reason.rstrip('.')}.")
            return None
        mapping, cmap, _ = self._c.display.for_uid(uid)
        return _Map(name, res.values, mapping, cmap, kernel)

    def _filter_map(self, index: int) -> _Map | None:
        """Filter ``index``'s map, or None after a message."""
        bank = self._c.bank
        if not 0 <= index < len(bank.filters):
            self._dialogs.error("There is no filter at that position.")
            return None
        if self._c.image is None:
            self._dialogs.error("Open a picture first: there are no maps yet.")
            return None
        f = bank.filters[index]
        if not f.enabled:
            self._dialogs.error(f"The filter {f.name} is switched off, so it has no map.")
            return None
        self._current()
        return self._map_of(f.uid, f.name, f.kernel)

    def _all_maps(self) -> list[_Map] | None:
        """Every enabled filter's map, then every combined map, or None after a message."""
        c = self._c
        wanted = [(f.uid, f.name, f.kernel) for f in c.bank.filters if f.enabled]
        wanted += [(d.uid, c.derived_title(d), None) for d in c.derived]
        if c.image is None or not wanted:
            self._dialogs.error("There are no maps to save: open a picture and switch a filter on.")
            return None
        self._current()
        maps = [self._map_of(*w) for w in wanted]
        return None if any(m is None for m in maps) else maps

    # -- writing -------------------------------------------------------------------------
    def _checked_target(self, path: str, exact: bool | None) -> bool | None:
        """Whether ``path`` takes exact values (None after a message when it cannot)."""
        suffix = Path(path).suffix.lower()
        if exact is None:
            exact = suffix in _EXACT_SUFFIXES
        if exact and suffix not in _EXACT_SUFFIXES:
            self._dialogs.error("Exact values are saved as .npy or as float32 .tif files.")
            return None
        if not exact and suffix == ".npy":
            self._dialogs.error("A .npy file holds exact values; choose PNG or TIFF for the picture.")
            return None
        try:
            save_format(path)
        except ImageError as exc:
            self._dialogs.failure(exc)
            return None
        return exact

    def _write(self, jobs: list[tuple[_Map, str]], exact: bool, wait: bool, done) -> _Written:
        """Write ``jobs`` on a pool thread, the window going on meanwhile: see :meth:`_run`."""
        return self._run(lambda control: _write_maps(jobs, exact, control), wait, done)

    def _run(self, write, wait: bool, done) -> _Written:
        """Run ``write(control)`` on a pool thread; say ``done(written)`` or the sentence of
        the write that failed. With ``wait``, the event loop runs until the end and what was
        written is returned; else at once, before anything is."""
        handle = self._tasks.start(write)
        ended: list[_Written] = []

        def end(written: _Written) -> None:
            ended.append(written)
            self._report(written, done)

        handle.finished.connect(end)
        handle.failed.connect(lambda exc: end(_Written((), sentence(exc))))
        handle.progress.connect(self._counted)
        if not wait:
            return _Written((), None)
        handle.wait_ended()
        return ended[0]

    def _counted(self, n: int, total: int) -> None:
        if total > 1:
            self._dialogs.message(f"Saving maps: {n} of {total}\u2026")

    def _report(self, written: _Written, done) -> None:
        if written.error is not None:
            self._dialogs.error(written.error)
        else:
            self._dialogs.message(done(written))
        self.saved.emit(list(written.paths))

    def is_saving(self) -> bool:
        """Whether a save is being written on the worker."""
        return self._tasks.running()

    def save_map(
        self, index: int, path: str | os.PathLike, *, exact: bool | None = None,
        overwrite: bool = False, wait: bool = True,
    ) -> bool:  # fmt: skip
        """Save filter ``index``'s map, as displayed or with its exact values.

        ``.png``, ``.jpg``, ``.webp``, ``.bmp``: 8-bit through the panel's mapping and colour
        map; ``.npy``: exact float32; ``.tif``/``.tiff``: either (``exact`` None: exact for
        ``.npy`` and ``.tif``). The file is written on a worker while the window goes on; with
        ``wait`` the event loop runs until it is, else True says the writing started.
        """
        p = os.fspath(path)
        exact = self._checked_target(p, exact)
        if exact is None:
            return False
        m = self._filter_map(index)
        if m is None or not self._dialogs.may_replace([p], overwrite):
            return False
        written = self._write([(m, p)], exact, wait, lambda _w: f"Saved {Path(p).name}.")
        return written.error is None

    def save_all_maps(
        self, folder: str | os.PathLike, fmt: str = "png", *, exact: bool | None = None,
        overwrite: bool = False, wait: bool = True,
    ) -> list[Path]:  # fmt: skip
        """Save every enabled filter's map and every combined map into ``folder``.

        Files are named ``<safe name>.<fmt>`` (a combined map by what it combines). Existing
        files are replaced only with ``overwrite`` or after one question for all of them.
        Returns the files written (fewer than the maps if a write failed, after a message).
        The files are written on a worker while the window goes on (the status bar counts
        them); with ``wait`` False this returns at once, with nothing written yet.
        """
        target = Path(folder)
        ext = "." + fmt.lower().lstrip(".")
        if not target.is_dir():
            self._dialogs.error(f"The folder {str(target)!r} does not exist.")
            return []
        exact = self._checked_target(str(target / f"map{ext}"), exact)
        if exact is None:
            return []
        maps = self._all_maps()
        if maps is None:
            return []
        names = unique_names(m.name for m in maps)
        paths = [target / f"{name}{ext}" for name in names]
        if not self._dialogs.may_replace(paths, overwrite):
            return []
        where = target.name or str(target)
        written = self._write(
            [(m, str(p)) for m, p in zip(maps, paths)], exact, wait,
            lambda w: f"Saved {len(w.paths)} maps in {where}.",
        )  # fmt: skip
        return list(written.paths)

    def copy_map(self, index: int | None = None, *, wait: bool = True) -> bool:
        """Put filter ``index``'s map (default: the selected one), as displayed, on the
        clipboard; the picture is drawn on a worker (``wait``: as :meth:`save_map`)."""
        m = self._filter_map(self._c.selected_index if index is None else index)
        if m is None:
            return False
        handle = self._tasks.start(lambda _control: array_to_qimage(_drawn(m), copy=True))
        copied: list[bool] = []

        def put(image) -> None:
            QGuiApplication.clipboard().setImage(image)
            self._dialogs.message("Copied the map to the clipboard.")
            copied.append(True)

        def fail(exc) -> None:
            self._dialogs.failure(exc)
            copied.append(False)

        handle.finished.connect(put)
        handle.failed.connect(fail)
        if not wait:
            return True
        handle.wait_ended()
        return copied[0]

    # -- montage -------------------------------------------------------------------------
    def _montage_parts(self) -> tuple[np.ndarray, list[_Map], str] | None:
        """The picture, every map and the title a montage shows (None after a message)."""
        img = self._c.image
        if img is None:
            self._dialogs.error("Open a picture first: a montage shows it with its maps.")
            return None
        maps = self._all_maps()
        if maps is None:
            return None
        layer = self._c.bank.layer
        padding = layer.padding if isinstance(layer.padding, str) else _pair_text(layer.padding)
        title = (
            f"{img.name}: stride {_pair_text(layer.stride)}, {padding} padding, "
            f"{layer.border} border"
        )
        if layer.channel_mode != "color":
            title += f", {layer.channel_mode} mode"
        return img.pixels, maps, title

    def montage(self) -> np.ndarray | None:
        """The montage of the picture and every map at full size, as 8-bit RGB (None: message)."""
        parts = self._montage_parts()
        if parts is None:
            return None
        try:
            return _render_montage(*parts)
        except (ValueError, MemoryError) as exc:
            self._dialogs.failure(exc)
            return None

    def export_montage(
        self, path: str | os.PathLike, *, overwrite: bool = False, wait: bool = True
    ) -> bool:
        """Save the montage (input, every map and kernel) as a PNG, JPEG, WebP or BMP picture,
        drawn and written on a worker while the window goes on (``wait``: as :meth:`save_map`)."""
        p = os.fspath(path)
        try:
            fmt = save_format(p)
        except ImageError as exc:
            self._dialogs.failure(exc)
            return False
        if fmt not in ("PNG", "JPEG", "WEBP", "BMP"):
            self._dialogs.error("A montage is saved as a PNG picture (or JPEG, WebP, BMP).")
            return False
        if not self._dialogs.may_replace([p], overwrite):
            return False
        parts = self._montage_parts()
        if parts is None:
            return False

        def write(_control: TaskControl) -> _Written:
            try:
                pixels = _render_montage(*parts)
                with atomic_write(p) as tmp:
                    options = {"quality": 95} if fmt == "JPEG" else {}
                    Image.fromarray(pixels).save(tmp, format=fmt, **options)
            except (OSError, ValueError, MemoryError) as exc:
                return _Written((), sentence(exc))
            return _Written((Path(p),), None)

        done = f"Saved the montage as {Path(p).name}."
        return self._run(write, wait, lambda _w: done).error is None

    # -- menu commands -------------------------------------------------------------------
    def save_map_dialog(self) -> None:
        index = self._c.selected_index
        if self._filter_map(index) is None:
            return
        stem = safe_filename(self._c.bank.filters[index].name)
        chosen = self._document.ask_save_path("Save Map", ".png", MAP_CHOICES, stem)
        if chosen is not None:
            path, choice, asked = chosen
            self.save_map(index, path, exact=bool(choice.meaning), overwrite=asked, wait=False)

    def save_all_maps_dialog(self) -> None:
        label = self._dialogs.choose(
            "Save All Maps", "Save every map as:", list(ALL_MAPS_FORMATS), "allMapsFormat"
        )
        if label is None:
            return
        folder = self._dialogs.folder("Save All Maps Into", self._document.start_folder())
        if folder:
            self._document.remember_folder(str(Path(folder) / "x"))
            ext, exact = ALL_MAPS_FORMATS[label]
            self.save_all_maps(folder, ext, exact=exact, wait=False)

    def export_montage_dialog(self) -> None:
        chosen = self._document.ask_save_path("Export Montage", "-montage.png", MONTAGE_CHOICES)
        if chosen is not None:
            path, _, asked = chosen
            self.export_montage(path, overwrite=asked, wait=False)


def _drawn(m: _Map) -> np.ndarray:
    """``m`` as its panel draws it, 8-bit at full size (a map read back from a scratch file
    gives its pages back once drawn)."""
    try:
        return display.to_uint8(m.values, m.mapping, colormap=m.colormap)
    finally:
        give_back(m.values)


def _render_montage(picture: np.ndarray, maps: list[_Map], title: str) -> np.ndarray:
    """The montage of ``picture`` and ``maps`` (any thread)."""
    shown = [(m.name, _drawn(m), m.kernel) for m in maps]
    return render_montage(display.to_uint8(picture, "clip"), shown, title=title)
