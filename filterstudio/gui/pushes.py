"""How the controller's state reaches the presenters: one table of signal and receiving slot.

Every presenter takes what the controller pushes by slots of the same names
(``on_bank_changed``, ``on_result``...); :func:`follow` connects those a presenter has, so a
window lists its presenters once instead of writing each connection out.
"""

from __future__ import annotations

#: The controller's signal, and the slot of a presenter that receives it.
PUSHES: tuple[tuple[str, str], ...] = (
    ("bankChanged", "on_bank_changed"),
    ("imageChanged", "on_image_changed"),
    ("selectionChanged", "on_selection_changed"),
    ("resultApplied", "on_result"),
    ("mapsWaiting", "on_maps_waiting"),
    ("displayChanged", "on_display_changed"),
    ("derivedChanged", "on_derived_changed"),
)


def follow(controller, *presenters) -> None:
    """Connect each signal of :data:`PUSHES` to the presenters that have its slot.

    A signal reaches the presenters in the order given, so a presenter listed later may rely
    on one listed before it having seen the same change.
    """
    for signal, slot in PUSHES:
        for presenter in presenters:
            receive = getattr(presenter, slot, None)
            if receive is not None:
                getattr(controller, signal).connect(receive)
