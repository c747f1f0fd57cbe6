"""The ledger decides which answer each map shows: newest wins, nothing from an older picture."""

from __future__ import annotations

import numpy as np

from filterstudio.compute.ledger import Ledger
from filterstudio.compute.requests import ComputeResult


def _result(uid: str, generation: int, preview: int = 1, error: str | None = None):
    return ComputeResult(
        generation=generation,
        uid=uid,
        values=None if preview > 1 else np.zeros((2, 2), np.float32),
        pixels=None,
        stats=None,
        geometry=None,
        mapping="minmax",
        colormap=None,
        error=error,
        preview=preview,
    )


def _deliver(ledger: Ledger, *results: ComputeResult) -> list[ComputeResult]:
    """Hand ``results`` to the ledger as a burst, then apply them as the event loop would."""
    for r in results:
        ledger.receive(r)
    shown = []
    while ledger.has_inbox():
        r = ledger.next_to_show()
        if r is not None:
            shown.append(r)
    return shown


def test_asking_twice_for_the_same_inputs_costs_nothing():
    ledger = Ledger()
    g = ledger.ask("f1", ("picture 1", "kernel A"))
    assert g is not None
    assert ledger.ask("f1", ("picture 1", "kernel A")) is None
    g2 = ledger.ask("f1", ("picture 1", "kernel B"))
    assert g2 > g and ledger.latest("f1") == g2
    ledger.ask_again()
    assert ledger.ask("f1", ("picture 1", "kernel B")) is not None


def test_a_map_of_the_previous_picture_is_never_shown_after_a_load():
    ledger = Ledger()
    old = ledger.ask("f1", ("picture 1",))
    ledger.new_picture()
    # The old picture's answer arrives after the load but before the new request was made
    # (the map is not asked for again until the controller schedules): it is still the newest
    # request of its map, and only the floor keeps it off the screen.
    assert not ledger.should_show(_result("f1", old))
    assert _deliver(ledger, _result("f1", old)) == []
    new = ledger.ask("f1", ("picture 2",))
    assert _deliver(ledger, _result("f1", old), _result("f1", new))[0].generation == new
    assert ledger.shown("f1").generation == new


def test_a_late_answer_never_replaces_a_newer_one():
    ledger = Ledger()
    g1 = ledger.ask("f1", ("k1",))
    g2 = ledger.ask("f1", ("k2",))
    assert _deliver(ledger, _result("f1", g2)) and ledger.shown("f1").generation == g2
    assert _deliver(ledger, _result("f1", g1)) == []
    assert ledger.shown("f1").generation == g2


def test_a_superseded_answer_is_still_shown_while_nothing_newer_is():
    # During a drag faster than the engine, older answers keep the map following it.
    ledger = Ledger()
    g1 = ledger.ask("f1", ("k1",))
    ledger.ask("f1", ("k2",))
    assert [r.generation for r in _deliver(ledger, _result("f1", g1, preview=2))] == [g1]
    assert not ledger.is_final("f1")


def test_a_preview_never_replaces_the_full_map_of_its_generation():
    ledger = Ledger()
    g = ledger.ask("f1", ("k",))
    _deliver(ledger, _result("f1", g, preview=1))
    assert ledger.is_final("f1")
    assert _deliver(ledger, _result("f1", g, preview=3)) == []
    assert ledger.shown("f1").preview == 1


def test_the_inbox_keeps_the_newest_per_map_in_arrival_order():
    ledger = Ledger()
    a, b = ledger.ask("a", (1,)), ledger.ask("b", (1,))
    assert ledger.receive(_result("a", a, preview=2)) is True  # the first: a pass is needed
    assert ledger.receive(_result("b", b)) is False
    ledger.receive(_result("a", a, preview=1))
    ledger.receive(_result("a", a, preview=2))  # an older preview arriving late
    shown = _deliver(ledger)
    assert [(r.uid, r.preview) for r in shown] == [("a", 1), ("b", 1)]


def test_a_forgotten_map_shows_nothing_more():
    ledger = Ledger()
    g = ledger.ask("f1", ("k",))
    ledger.forget("f1")
    assert _deliver(ledger, _result("f1", g)) == []
    assert ledger.shown("f1") is None and ledger.latest("f1") is None
    assert "f1" not in ledger.known()


def test_an_error_is_a_final_answer():
    ledger = Ledger()
    g = ledger.ask("f1", ("k",))
    _deliver(ledger, _result("f1", g, error="The kernel is larger than the padded image."))
    assert ledger.is_final("f1") and ledger.all_final(["f1"])
    assert not ledger.all_final(["f1", "f2"])


def test_an_answer_made_again_replaces_the_one_it_stands_for_shown_or_waiting():
    """A map moved to a scratch file comes back as the same answer with other values: it is
    shown in place of the answer it stands for, whether that is shown or still waiting."""
    ledger = Ledger()
    g = ledger.ask("f1", ("k",))
    first, again = _result("f1", g), _result("f1", g)
    ledger.receive(first)
    ledger.receive(again)  # arrives before the first is applied
    assert _deliver(ledger) == [again] and ledger.shown("f1") is again
    third = _result("f1", g)
    assert _deliver(ledger, third) == [third] and ledger.shown("f1") is third
    # Never in place of a newer answer.
    newer = ledger.ask("f1", ("k2",))
    fourth = _result("f1", newer)
    _deliver(ledger, fourth)
    assert _deliver(ledger, _result("f1", g)) == [] and ledger.shown("f1") is fourth
