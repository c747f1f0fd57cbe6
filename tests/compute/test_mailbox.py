"""Mailbox: the newest value waits, the taker is told once per value taken."""

from __future__ import annotations

import threading

from filterstudio.compute.mailbox import Mailbox


def test_a_value_put_over_one_not_taken_replaces_it_and_is_not_told_again():
    box: Mailbox[int] = Mailbox()
    assert box.empty() and box.take() is None
    assert box.put(1) is True
    assert box.put(2) is False
    assert not box.empty()
    assert box.take() == 2
    assert box.empty() and box.take() is None
    assert box.put(3) is True


def test_merge_sees_the_new_value_and_the_one_waiting():
    box: Mailbox[tuple] = Mailbox(lambda new, old: old + new)
    box.put((1,))
    box.put((2,))
    box.put((3,))
    assert box.take() == (1, 2, 3)


def test_many_threads_putting_tell_once_and_lose_nothing_merged():
    box: Mailbox[int] = Mailbox(lambda new, old: new + old)
    told = []

    def put_many():
        for _ in range(1000):
            if box.put(1):
                told.append(1)

    threads = [threading.Thread(target=put_many) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert told == [1]
    assert box.take() == 4000
