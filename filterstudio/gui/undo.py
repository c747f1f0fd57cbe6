"""One undoable change of the stack for Qt's undo stack; a continuous scrub folds into one step."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtGui import QUndoCommand

from ..model.stack import Stack
from ..model.studio import DerivedMap


class StackCommand(QUndoCommand):
    """Replace the stack by ``after`` (redo) or ``before`` (undo) through ``apply``.

    ``apply(stack, derived)`` installs a stack (its bank first, then any later stages);
    ``derived`` is None to keep the combined maps, or
    the combined maps to show. ``derived_now`` reads the combined maps shown at undo time.
    Consecutive edits with the same non-empty merge ``tag`` within :attr:`MERGE_SECONDS` of
    each other fold into one step.
    """

    MERGE_ID = 4242
    MERGE_SECONDS = 1.5

    def __init__(
        self,
        apply: Callable[[Stack, tuple[DerivedMap, ...] | None], None],
        derived_now: Callable[[], tuple[DerivedMap, ...]],
        before: Stack,
        after: Stack,
        text: str,
        tag: str,
    ) -> None:
        super().__init__(text)
        self._apply = apply
        self._derived_now = derived_now
        self.before = before
        self.after = after
        # Combined maps go with a filter they are made from; undo brings them back with it.
        self.derived_before = derived_now()
        self.tag = tag
        self.stamp = time.monotonic()

    def id(self) -> int:  # noqa: A003 - Qt's name
        return self.MERGE_ID if self.tag else -1

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt's name
        if not isinstance(other, StackCommand) or not self.tag or other.tag != self.tag:
            return False
        # A pause longer than MERGE_SECONDS starts a new undo step: two separate scrubs of one
        # cell are two steps, one continuous scrub is one.
        if other.stamp - self.stamp > self.MERGE_SECONDS:
            return False
        self.after = other.after
        self.stamp = other.stamp
        return True

    def redo(self) -> None:
        self._apply(self.after, None)

    def undo(self) -> None:
        # Bring back the combined maps this step dropped; keep any made since.
        now = list(self._derived_now())
        for index, d in enumerate(self.derived_before):
            if d not in now:
                now.insert(min(index, len(now)), d)
        self._apply(self.before, tuple(now))


#: The name the command had when the studio had one stage.
BankCommand = StackCommand
