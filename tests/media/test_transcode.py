"""transcode(): three stages on three threads, in order, bounded, and stopped by any error."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from filterstudio.media.fake import FakeSource
from filterstudio.media.transcode import transcode


class Collect:
    def __init__(self, fail_at: int | None = None) -> None:
        self.pictures = []
        self.threads = set()
        self.fail_at = fail_at

    def write(self, picture) -> None:
        if len(self.pictures) == self.fail_at:
            raise OSError("the disk is full")
        self.threads.add(threading.current_thread().name)
        self.pictures.append(picture)


def first_value(frame):
    return [np.uint8(frame.index), np.uint8(frame.index * 2)]


def no_pipeline_threads() -> bool:
    return not any(t.name.startswith("video-") for t in threading.enumerate())


def test_every_frame_in_order_to_every_writer():
    a, b = Collect(), Collect()
    done = []
    n = transcode(FakeSource(count=25), first_value, [a, b], progress=done.append)
    assert n == 25 and done == list(range(1, 26))
    assert [int(p) for p in a.pictures] == list(range(25))
    assert [int(p) for p in b.pictures] == [2 * i for i in range(25)]
    assert a.threads == {"video-encode"}
    assert no_pipeline_threads()


def test_a_failing_writer_stops_everything_and_its_error_is_raised():
    source = FakeSource(count=1000)
    with pytest.raises(OSError, match="disk is full"):
        transcode(source, first_value, [Collect(), Collect(fail_at=5)])
    assert no_pipeline_threads()
    assert source.frames_read < 1000


def test_a_failing_process_stops_the_reader():
    source = FakeSource(count=1000)

    def process(frame):
        if frame.index == 4:
            raise ValueError("The map of frame 5 overflows.")
        return first_value(frame)[:1]

    with pytest.raises(ValueError, match="frame 5 overflows"):
        transcode(source, process, [Collect()])
    assert no_pipeline_threads()
    # Bounded queues: the reader is at most a few frames ahead of the failed one.
    assert source.frames_read <= 4 + 1 + 2 + 2


def test_a_failing_source_is_raised_in_the_calling_thread():
    class Failing(FakeSource):
        def read(self):
            if self.frames_read == 3:
                raise OSError("read error")
            return super().read()

    with pytest.raises(OSError, match="read error"):
        transcode(Failing(count=10), first_value, [Collect(), Collect()])
    assert no_pipeline_threads()


def test_process_must_give_one_picture_per_writer():
    with pytest.raises(ValueError, match="1 pictures for 2 writers"):
        transcode(FakeSource(count=3), lambda f: [np.uint8(0)], [Collect(), Collect()])
