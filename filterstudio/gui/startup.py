"""Start-up housekeeping: once the first maps show, exempt what start-up built from the collector."""

from __future__ import annotations

import gc

_startup_frozen = False


def freeze_startup_objects() -> None:
    """Once per process, when the first maps are on screen: exempt what start-up built from
    the garbage collector's full passes.

    A full pass over the ~50,000 objects of a running studio (Qt wrappers, modules, widgets)
    takes about 30 ms and Python starts one now and then on whichever thread allocates, which
    shows as a hitch in a drag. Frozen objects are still freed by reference counting; only the
    cycle search skips them, so later full passes look at what was made since.
    """
    global _startup_frozen
    if _startup_frozen:
        return
    _startup_frozen = True
    gc.collect()
    gc.freeze()
