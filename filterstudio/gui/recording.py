"""Record…: the maps of the frames a video shows, into videos, encoded off the GUI thread.

One map into one file (the selected filter's), or every map into a folder, one video per map
named as ``filterstudio apply --bank`` names them (a stack: one folder per stage). Each frame
whose maps are all shown is handed, as its exact maps and how their panels show them, to a
``media.MapRecorder``, whose thread maps them to 8 bits and encodes them at the source's frame
rate. Stopping puts the videos in place; a failure is one sentence and leaves no file behind
half-written.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal

from ..core.errors import sentence
from ..core.filenames import unique_names
from ..media.recorder import MapRecorder, RecordedMap
from ..model.stack import PoolStage
from ..model.studio import ImageState
from .controller import StudioController
from .dialogs import Dialogs, SaveChoice
from .document import Document
from .playback import Playback
from .window_part import WindowPart

#: The videos Record… writes, by what the codecs of opencv-python-headless can encode.
VIDEO_CHOICES = (
    SaveChoice("MP4 video (*.mp4)", (".mp4", ".m4v")),
    SaveChoice("AVI video, Motion JPEG (*.avi)", (".avi",)),
    SaveChoice("MKV video, lossless (*.mkv)", (".mkv",)),
    SaveChoice("QuickTime video (*.mov)", (".mov",)),
)
#: Record All Maps' formats: label -> extension.
FOLDER_FORMATS = {
    "MP4 videos": "mp4",
    "AVI videos (Motion JPEG)": "avi",
    "MKV videos (lossless)": "mkv",
    "QuickTime videos": "mov",
}
#: The frame rate stored when a source does not state one (a camera that does not say).
FALLBACK_FPS = 30.0


class _Ended(QObject):
    """Carries "the recorder stopped by itself" from its thread to the GUI thread."""

    ended = Signal()


class Recording(WindowPart):
    """Records the maps of ``playback``'s frames.

    Signals
    -------
    changed()
        Recording started or stopped (also by itself, after an error).
    """

    changed = Signal()

    def __init__(
        self,
        controller: StudioController,
        playback: Playback,
        dialogs: Dialogs,
        document: Document,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(controller, dialogs, parent, document=document)
        self._playback = playback
        self._recorder: MapRecorder | None = None
        self._ended = _Ended(self)
        self._ended.ended.connect(self._on_ended, Qt.ConnectionType.QueuedConnection)
        playback.frameShown.connect(self._on_frame_shown)

    # -- scripting surface -----------------------------------------------------------------
    def is_recording(self) -> bool:
        return self._recorder is not None

    def frames_recorded(self) -> int:
        return 0 if self._recorder is None else self._recorder.frames_recorded

    def targets(self, path: str | os.PathLike, *, all_maps: bool, fmt: str = "mp4") -> dict[str, str]:
        """Map key -> video: the selected filter's map into the file ``path``, or (``all_maps``)
        every map into the folder ``path`` as ``<name>.<fmt>`` (a stack: ``stage<k>/<name>``)."""
        c = self._c
        p = os.fspath(path)
        if not all_maps:
            f = c.selected_filter
            if f is None or not f.enabled:
                raise ValueError("The selected filter is switched off, so it has no map to record.")
            return {f.uid: p}
        if not os.path.isdir(p):
            raise ValueError(f"The folder {p!r} does not exist.")
        stack = c.stack
        out: dict[str, str] = {}
        for k, stage in enumerate(stack.stages):
            if k == 0:
                wanted = [(f.uid, f.name) for f in stack.bank.filters if f.enabled]
                wanted += [(d.uid, c.derived_title(d)) for d in c.derived]
            else:
                pairs = zip(stack.map_keys(k), stack.map_labels(k))
                wanted = [
                    (key, label) for i, (key, label) in enumerate(pairs)
                    if isinstance(stage, PoolStage) or stage.filters[i].enabled
                ]  # fmt: skip
            where = p if len(stack.stages) == 1 else os.path.join(p, f"stage{k + 1}")
            for (key, _label), stem in zip(wanted, unique_names(w[1] for w in wanted)):
                out[key] = os.path.join(where, f"{stem}.{fmt.lstrip('.')}")
        if not out:
            raise ValueError("There are no maps to record: switch a filter on.")
        return out

    def start(
        self, path: str | os.PathLike, *, all_maps: bool = False, fmt: str = "mp4",
        overwrite: bool = False,
    ) -> bool:  # fmt: skip
        """Record the selected map into the video ``path``, or (``all_maps``) every map into
        the folder ``path`` as ``fmt`` videos; False and a sentence when it cannot start."""
        if self._recorder is not None:
            self.stop()
        if not self._playback.is_open():
            self._dialogs.error("Open a video or a camera first: only moving pictures are recorded.")
            return False
        fps = self._playback.source_rate() or FALLBACK_FPS
        try:
            targets = self.targets(path, all_maps=all_maps, fmt=fmt)
            if not self._dialogs.may_replace(list(targets.values()), overwrite):
                return False
            if all_maps:  # a stack's maps go into one folder per stage, made here
                for folder in sorted({os.path.dirname(t) for t in targets.values()}):
                    os.makedirs(folder, exist_ok=True)
            self._recorder = MapRecorder(
                targets, round(float(fps), 3), overwrite=True, on_end=self._ended.ended.emit
            )
        except (ValueError, OSError) as exc:
            self._dialogs.error(sentence(exc))
            return False
        n = len(targets)
        self._dialogs.message(f"Recording {n} map{'s' if n != 1 else ''} at {fps:.3g} frames/s…")
        self.changed.emit()
        return True

    def stop(self, *, keep: bool = True) -> list[str]:
        """Stop; the videos are put in place (``keep``) or discarded. Returns those kept."""
        recorder, self._recorder = self._recorder, None
        if recorder is None:
            return []
        kept = recorder.stop(keep=keep)
        self.changed.emit()
        if recorder.error is not None:
            self._dialogs.error(f"The recording was not kept: {_lower(recorder.error)}")
        elif recorder.note is not None:
            self._dialogs.message(recorder.note)
        elif keep and kept:
            n = recorder.frames_recorded
            where = Path(kept[0]).name if len(kept) == 1 else Path(kept[0]).parent.name
            self._dialogs.message(
                f"Recorded {n} frame{'s' if n != 1 else ''} into {where}"
                + (f" ({len(kept)} videos)." if len(kept) > 1 else ".")
            )
        elif keep:
            self._dialogs.message("Nothing was recorded: no frame was shown while recording.")
        return kept

    def shutdown(self, *, keep: bool) -> None:
        """The window closes: finish the videos (``keep``) or discard them."""
        if self._recorder is not None:
            recorder, self._recorder = self._recorder, None
            recorder.stop(keep=keep)

    # -- dialog ----------------------------------------------------------------------------
    def record_dialog(self) -> None:
        """Record…: stop when recording; else ask for one map's video or every map's folder."""
        if self._recorder is not None:
            self.stop()
            return
        if not self._playback.is_open():
            self._dialogs.error("Open a video or a camera first: only moving pictures are recorded.")
            return
        what = self._dialogs.choose(
            "Record Maps", "Record:", ["The selected map into a video",
                                       *[f"Every map into a folder, as {f}" for f in FOLDER_FORMATS]],
            "recordWhat",
        )  # fmt: skip
        if what is None:
            return
        if what.startswith("The selected"):
            chosen = self._document.ask_save_path("Record the Selected Map", "-maps.mp4",
                                                  VIDEO_CHOICES)  # fmt: skip
            if chosen is not None:
                path, _, asked = chosen
                self.start(path, overwrite=asked)
            return
        fmt = FOLDER_FORMATS[what.rsplit(" as ", 1)[1]]
        folder = self._dialogs.folder("Record Every Map Into", self._document.start_folder())
        if folder:
            self._document.remember_folder(str(Path(folder) / "x"))
            self.start(folder, all_maps=True, fmt=fmt)

    # -- frames ----------------------------------------------------------------------------
    def _on_frame_shown(self, _state: ImageState) -> None:
        recorder = self._recorder
        if recorder is None:
            return
        maps = []
        for key in recorder.paths:
            res = self._c.result(key)
            if res is None or res.values is None:
                continue
            mapping, cmap, _ = self._c.display.for_uid(key)
            maps.append(RecordedMap(key, res.values, mapping, cmap))
        if maps:
            recorder.add(maps)

    def _on_ended(self) -> None:
        if self._recorder is not None and not self._recorder.running:
            self.stop()


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text
