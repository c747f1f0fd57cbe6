"""transcode(): frames decoded on one thread, processed on the caller's, encoded on another.

Decoding, filtering and encoding each take a share of a frame's time, and OpenCV lets go of
Python's lock while it decodes, filters and encodes, so with the three stages on three threads
two cores stay busy. Queues between them are bounded (a few frames), so memory stays small
however long the video is; a failure in any stage stops the other two, and the first error is
raised in the caller's thread.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence

import numpy as np

from .frames import Frame, FrameSource

__all__ = ["transcode"]

_END = object()
_POLL = 0.1  # seconds between looks at the stop flag while a queue is full or empty


class _Failed:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


class _Stages:
    def __init__(self, depth: int) -> None:
        self.decoded: queue.Queue = queue.Queue(maxsize=depth)
        self.encoded: queue.Queue = queue.Queue(maxsize=depth)
        self.halt = threading.Event()
        self.encode_error: BaseException | None = None

    def put(self, q: queue.Queue, item) -> bool:
        """Put ``item`` unless the pipeline halts first; True if it was put."""
        while not self.halt.is_set():
            try:
                q.put(item, timeout=_POLL)
                return True
            except queue.Full:
                continue
        return False

    def get(self, q: queue.Queue):
        """The next item, or ``_END`` once the pipeline halts."""
        while not self.halt.is_set():
            try:
                return q.get(timeout=_POLL)
            except queue.Empty:
                continue
        return _END


def transcode(
    source: FrameSource,
    process: Callable[[Frame], Sequence[np.ndarray]],
    writers: Sequence,
    *,
    progress: Callable[[int], None] | None = None,
    depth: int = 2,
) -> int:
    """Read every frame of ``source``, turn it into pictures, and write one to each writer.

    Parameters
    ----------
    source : FrameSource
        Read on a thread of its own until it returns None.
    process : callable
        ``process(frame)`` runs on the calling thread and returns one picture per writer.
    writers : sequence
        Objects with ``write(picture)`` (such as :class:`~filterstudio.media.writer.VideoWriter`),
        written on a thread of their own, in order.
    progress : callable, optional
        Called on the calling thread with the number of frames processed so far.
    depth : int
        Frames each queue holds at most.

    Returns
    -------
    int
        The number of frames written to every writer.

    Raises
    ------
    Exception
        The first error of any stage (the source, ``process``, a writer); the other stages are
        stopped and their threads have ended when it is raised. Neither the source nor the
        writers are closed here.
    """
    stages = _Stages(max(1, int(depth)))

    def decode() -> None:
        try:
            while not stages.halt.is_set():
                frame = source.read()
                if frame is None:
                    break
                if not stages.put(stages.decoded, frame):
                    return
            stages.put(stages.decoded, _END)
        except BaseException as exc:  # noqa: BLE001 - handed to the calling thread
            stages.put(stages.decoded, _Failed(exc))

    def encode() -> None:
        try:
            while True:
                item = stages.get(stages.encoded)
                if item is _END:
                    return
                for writer, picture in zip(writers, item):
                    writer.write(picture)
        except BaseException as exc:  # noqa: BLE001 - handed to the calling thread
            stages.encode_error = exc
            stages.halt.set()

    decoder = threading.Thread(target=decode, name="video-decode", daemon=True)
    encoder = threading.Thread(target=encode, name="video-encode", daemon=True)
    done = 0
    try:
        # Started inside the try: a signal that arrives between the two starts still ends both.
        decoder.start()
        encoder.start()
        while True:
            item = stages.get(stages.decoded)
            if item is _END:
                break
            if isinstance(item, _Failed):
                raise item.exc
            pictures = process(item)
            if len(pictures) != len(writers):
                raise ValueError(
                    f"process() gave {len(pictures)} pictures for {len(writers)} writers."
                )
            if not stages.put(stages.encoded, pictures):
                break
            done += 1
            if progress is not None:
                progress(done)
        if not stages.halt.is_set():
            stages.put(stages.encoded, _END)
            _join(encoder)
        if stages.encode_error is not None:
            raise stages.encode_error
        return done
    finally:
        stages.halt.set()
        # Both threads notice the flag within one poll, or after the read or write in progress
        # (bounded by the source's timeouts). The caller closes the source and the writers next,
        # and OpenCV must not be inside them then: so the joins finish even if a signal comes.
        _join(encoder)
        _join(decoder)


def _join(thread: threading.Thread) -> None:
    """Wait for ``thread`` to end; an exception raised meanwhile (a signal) is raised after."""
    interrupted: BaseException | None = None
    while thread.ident is not None and thread.is_alive():
        try:
            thread.join()
        except BaseException as exc:  # noqa: BLE001 - re-raised once the thread has ended
            interrupted = exc
    if interrupted is not None:
        raise interrupted
