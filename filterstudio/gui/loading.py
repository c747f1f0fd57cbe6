"""Bringing a picture in: files decoded off the GUI thread, reduced copies, samples, paste, drop.

Every way in ends in one place, :meth:`Loader.show`, which hands the new ``ImageState`` to the
controller. Files, pasted pictures and session copies are decoded by background tasks; the
newest open wins (an older one finishing late is ignored), a file too large is offered as a
reduced copy, and a file that never finishes decoding leaves the window working.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication, QImage

from ..core import imageio
from ..core.errors import sentence
from ..core.samples import LESSON_IMAGES, load_sample
from ..core.sizes import size_label
from ..media.containers import looks_like_video
from ..model.studio import ImageState, make_image_state
from .controller import StudioController
from .dialogs import Dialogs
from .imaging import qimage_to_array
from .recent import RecentFiles
from .status import StatusPresenter
from .tasks import TaskHandle, start_task
from .window_part import WindowPart

#: A picture above the pixel limit may be opened as a copy of about this many pixels.
REDUCED_PIXELS = 12_000_000
SESSION_SUFFIX = ".fstudio"


def reduced_note(h: int, w: int) -> str:
    """The sentence for a picture worked on as a reduced copy of ``h`` rows, ``w`` columns."""
    return f"Working on a reduced copy ({size_label(h, w)}) of this large picture."


def load_image_state(path: str, reduce_to: int | None = None) -> ImageState:
    """Decode ``path`` (reduced to about ``reduce_to`` pixels if given) into a new picture."""
    arr = imageio.load_image(path, reduce_to=reduce_to) if reduce_to else imageio.load_image(path)
    notes = [reduced_note(*arr.shape[:2])] if reduce_to else []
    # The header again (no pixels decoded) for what the pixels no longer show: transparency.
    if imageio.read_image_info(path).alpha:
        notes.append(imageio.ALPHA_DROPPED)
    note = " ".join(notes) or None
    full = str(Path(path).resolve())
    # The decoded pixels are held by nothing else: the picture keeps them instead of a copy.
    return make_image_state(arr, Path(path).name, path=full, note=note, take=True)


def _qimage_state(image: QImage, name: str, reduce_to: int | None) -> ImageState:
    """A pasted or dropped QImage as a new picture (read on a pool thread: QImage allows it)."""
    note = None
    if reduce_to:
        scale = math.sqrt(reduce_to / (image.width() * image.height()))
        w, h = max(1, int(image.width() * scale)), max(1, int(image.height() * scale))
        image = image.scaled(
            w, h, Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
        note = reduced_note(h, w)
    pixels, alpha_dropped = qimage_to_array(image)
    if alpha_dropped:
        note = " ".join(filter(None, [note, imageio.ALPHA_DROPPED]))
    return make_image_state(pixels, name, note=note, take=True)


class _Load:
    """One picture being brought in: what to call it and how to make it on a pool thread."""

    def __init__(self, label: str, make: Callable[[int | None], ImageState], size=None) -> None:
        self.label = label
        self.make = make
        self.size = size  # (width, height) when known before decoding


class Loader(WindowPart):
    """Opens pictures for one controller.

    Signals
    -------
    imageLoaded(ImageState)
        A new picture was handed to the controller.
    loadFailed(str)
        An open ended without a picture (the sentence was shown).
    """

    imageLoaded = Signal(object)
    loadFailed = Signal(str)

    def __init__(
        self,
        controller: StudioController,
        dialogs: Dialogs,
        status: StatusPresenter,
        parent: QObject,
        before_show: Callable[[], None] = lambda: None,
    ) -> None:
        super().__init__(controller, dialogs, parent, status=status)
        self._before_show = before_show
        self._current: TaskHandle | None = None
        self._closing = False
        self._drop_targets: list = []
        self.recent = RecentFiles("recentFiles", self.open_path)
        self.open_session: Callable[[str], bool] = lambda _path: False
        #: Plays a video file (set by the window); None: videos are not opened here.
        self.open_video: Callable[[str], bool] | None = None

    # -- the ways in ------------------------------------------------------------------------
    def open_path(self, path: str) -> bool:
        """An image (in the background), a ``.fstudio`` session, or a video (judged by its name
        or first bytes: media.containers), as File > Open and a drop do."""
        if str(path).lower().endswith(SESSION_SUFFIX):
            return self.open_session(str(path))
        if self.open_video is not None and looks_like_video(path):
            return self.open_video(os.fspath(path))
        return self.open_image(path, wait=False)

    def open_image(self, path: str, *, wait: bool = True, reduce_to: int | None = None) -> bool:
        """Decode ``path`` off the GUI thread; with ``wait`` return once it is in (or refused)."""
        path = os.fspath(path)
        load = _Load(Path(path).name, lambda reduce: load_image_state(path, reduce))
        return self._start(load, reduce_to, wait)

    def open_sample(self, name: str) -> None:
        """Open a built-in picture: ``photo`` or a lesson image name (generated, never a file)."""
        pixels = load_sample(name)
        title = "sample photo" if name == "photo" else LESSON_IMAGES[name].title
        self.set_image_array(pixels, title, sample=name)

    def set_image_array(self, pixels: np.ndarray, name: str = "array", *, sample=None) -> None:
        """Show ``pixels`` (float in [0, 1], ``(H, W)`` or ``(H, W, 3)``) as the picture."""
        self.show(make_image_state(pixels, name, sample=sample))

    def open_made(self, label: str, make: Callable[[], ImageState], *, wait: bool) -> bool:
        """Show the picture ``make()`` builds on a pool thread (a session's embedded copy)."""
        return self._start(_Load(label, lambda _reduce: make()), None, wait)

    def open_qimage(self, image: QImage, name: str, *, wait: bool = False) -> bool:
        """A pasted or dropped picture: the same pixel limit and reduced-copy offer as files."""
        if image.isNull():
            self._dialogs.message("The clipboard holds no picture.")
            return False
        load = _Load(name, lambda reduce: _qimage_state(image, name, reduce),
                     size=(image.width(), image.height()))  # fmt: skip
        return self._start(load, None, wait)

    def paste(self) -> bool:
        """The clipboard's picture, or the picture file it names."""
        clip = QGuiApplication.clipboard()
        mime = clip.mimeData()
        if mime is not None and mime.hasImage():
            return self.open_qimage(clip.image(), "pasted image")
        if mime is not None and mime.hasUrls():
            for url in mime.urls():
                if url.isLocalFile():
                    return self.open_path(url.toLocalFile())
        self._dialogs.message("The clipboard holds no picture.")
        return False

    def drop(self, mime) -> bool:
        """A dropped file (picture, video or session) or picture; False (with a message) else."""
        for url in mime.urls():
            if url.isLocalFile():
                return self.open_path(url.toLocalFile())
        if mime.hasImage():
            image = QImage(mime.imageData())
            if not image.isNull():
                return self.open_qimage(image, "dropped image")
        self._dialogs.message("Only pictures, videos and sessions can be dropped here.")
        return False

    def accept_drops_on(self, widget) -> None:
        """Let pictures be dropped on ``widget`` (a view, a panel) as on the window.

        Qt hands a drag to the innermost widget under the cursor that accepts drops; a view's
        own handler would refuse it, so this loader takes it first.
        """
        widget.setAcceptDrops(True)
        widget.installEventFilter(self)
        self._drop_targets.append(widget)
        widget.destroyed.connect(lambda _=None, w=widget: self._drop_targets.remove(w))

    def drop_targets(self) -> list:
        """The widgets pictures may be dropped on."""
        return list(self._drop_targets)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            mime = event.mimeData()
            if mime.hasUrls() or mime.hasImage():
                event.acceptProposedAction()
                return True
        elif kind == QEvent.Type.Drop:
            if self.drop(event.mimeData()):
                event.acceptProposedAction()
            return True
        return False

    # -- the one way to the controller ----------------------------------------------------
    def show(self, state: ImageState) -> None:
        """Hand ``state`` to the controller; remember its file; say a note it carries."""
        self._before_show()
        self._c.set_image(state)
        if state.path:
            self.recent.add(state.path)
        if state.note:
            self._dialogs.message(state.note)
        self.imageLoaded.emit(state)

    def is_loading(self) -> bool:
        return self._current is not None and self._current.is_running()

    def shutdown(self) -> None:
        """The window closes: a load still running is cancelled and shows nothing."""
        self._closing = True
        if self._current is not None:
            self._current.cancel()
            self._current.wait(5000)
            self._current = None

    # -- background loads ---------------------------------------------------------------
    def _start(self, load: _Load, reduce_to: int | None, wait: bool) -> bool:
        if load.size is not None and reduce_to is None:
            w, h = load.size
            limit = imageio.DEFAULT_MAX_PIXELS
            if w * h > limit:
                too_large = imageio.ImageTooLarge(w, h, limit, name=f"The {load.label}")
                return self._offer_reduced(load, too_large, wait)
        if self._current is not None:
            self._current.cancel()  # a newer open wins; the older one's picture is not shown
        token = self._status.show_until(f"Opening {load.label}…")
        self._status.set_loading(True)
        handle = start_task(lambda _control: load.make(reduce_to), parent=self)
        self._current = handle
        outcome: dict[str, bool] = {}

        def ended(state: ImageState | None, error: BaseException | None) -> None:
            self._status.clear(token)
            self._status.set_loading(False)
            if handle is not self._current or self._closing:
                outcome["ok"] = False
                return  # a newer open was asked for, or the window closes
            self._current = None
            if state is not None:
                self.show(state)
                outcome["ok"] = True
            elif isinstance(error, imageio.ImageTooLarge):
                outcome["ok"] = self._offer_reduced(load, error, wait)
            else:
                text = sentence(error) if error is not None else "The picture did not open."
                self._dialogs.error(text)
                self.loadFailed.emit(text)
                outcome["ok"] = False

        handle.finished.connect(lambda state: ended(state, None))
        handle.failed.connect(lambda exc: ended(None, exc))
        handle.cancelled.connect(lambda: ended(None, None))
        if not wait:
            return True
        handle.wait_ended()
        return outcome.get("ok", False)

    def _offer_reduced(self, load: _Load, exc: imageio.ImageTooLarge, wait: bool) -> bool:
        limit = min(REDUCED_PIXELS, exc.limit)
        question = (
            f"{sentence(exc)}\n\nWork on a reduced copy of about "
            f"{REDUCED_PIXELS // 1_000_000} megapixels?"
        )
        if not self._dialogs.yes_no("Large picture", question):
            self.loadFailed.emit(sentence(exc))
            return False
        return self._start(_Load(load.label, load.make), limit, wait)
