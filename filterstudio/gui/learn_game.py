"""The game's presenter: draws mystery kernels, scores guesses off the GUI thread, reveals.

:class:`GamePresenter` holds a :class:`~filterstudio.compute.learn_game.GameState` (replaced
whole), runs each round and each check through ``start_task`` and pushes what comes back into
the :class:`~.widgets.GuessWidget`. A round or check of an older round is dropped.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Signal

from ..compute.learn_game import GameRound, GameState, GuessCheck, check_guess, new_round
from ..compute.learn_views import DEFAULT_VIEW_SIDE
from ..core import display
from ..core.errors import sentence
from ..core.mystery import GuessScore
from ..model.studio import ImageState
from .tasks import RunningTasks
from .widgets import GuessWidget


class GamePresenter(QObject):
    """Runs the "guess the mystery kernel" game on the :class:`GuessWidget`.

    Signals
    -------
    roundReady(object)
        A new :class:`~filterstudio.compute.learn_game.GameRound` is shown.
    checked(object)
        A guess was scored (:class:`~filterstudio.compute.learn_game.GuessCheck`).
    revealed(str)
        The kernel is shown, with these words.
    message(str)
    """

    roundReady = Signal(object)
    checked = Signal(object)
    revealed = Signal(str)
    message = Signal(str)

    def __init__(self, page: GuessWidget, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.page = page
        self._image: ImageState | None = None
        self._channel_mode = "color"
        self._state = GameState()
        self._round_number = 0
        self._tasks = RunningTasks(self)
        page.newRoundRequested.connect(lambda size: self.new_round(size=size or None))
        page.checkRequested.connect(self.check)
        page.revealRequested.connect(self.reveal)
        page.message.connect(self.message)

    def on_image_changed(self, state: ImageState | None) -> None:
        """A new picture: the next round plays on it (a round on screen keeps its own copy)."""
        self._image = state

    def set_channel_mode(self, mode: str) -> None:
        self._channel_mode = mode

    # == commands =============================================================================
    def new_round(self, seed: int | None = None, size: int | None = None) -> bool:
        """Draw a mystery kernel (``seed``: the same again; ``size``: 3, 5 or 7) and show its map."""
        if self._image is None:
            self.message.emit("Open a picture first: the mystery kernel's map is made from it.")
            return False
        self._round_number += 1
        number, pixels, mode = self._round_number, self._image.pixels, self._channel_mode
        side = self._side()
        self.page.set_playing(False, "Drawing a mystery kernel…")

        def draw(_control):
            rnd = new_round(pixels, seed, size, channel_mode=mode, side=side)
            pic = display.downscale_for_display(rnd.problem.picture, side)
            return rnd, display.to_uint8(pic, "clip")

        handle = self._tasks.start(draw)
        handle.finished.connect(
            lambda value: number == self._round_number and self._on_round(*value)
        )
        handle.failed.connect(
            lambda exc: number == self._round_number and self._failed(sentence(exc))
        )
        return True

    def _playing(self) -> GameRound | None:
        """The round being played; None, after saying how to start one, when there is none."""
        rnd = self._state.round
        if rnd is None:
            self.message.emit("Draw a mystery kernel first.")
        return rnd

    def check(self, guess=None, bias: float | None = None) -> bool:
        """Score ``guess`` (default: the grid's) and its ``bias`` (default: the bias box's)."""
        rnd = self._playing()
        if rnd is None:
            return False
        if guess is None:
            guess = self.page.guess()
        if bias is None:
            bias = float(self.page.bias_box.value())
        g = np.asarray(guess, dtype=np.float32)
        if g.shape != rnd.shape:
            self.message.emit(
                f"The guess is {'x'.join(map(str, g.shape))} but the mystery kernel is "
                f"{rnd.shape[0]}x{rnd.shape[1]}."
            )
            return False
        number, side = self._round_number, self._side()
        handle = self._tasks.start(lambda _c: check_guess(rnd, g, float(bias), side=side))
        handle.finished.connect(lambda c: number == self._round_number and self._on_checked(c))
        handle.failed.connect(lambda exc: self.message.emit(sentence(exc)))
        return True

    def reveal(self) -> bool:
        """Show the mystery kernel and its name."""
        rnd = self._playing()
        if rnd is None:
            return False
        self._state = self._state.revealing()
        text = rnd.reveal_text()
        self.page.show_reveal(rnd.mystery.kernel, text)
        self.revealed.emit(text)
        return True

    # == answers ==============================================================================
    def _on_round(self, rnd: GameRound, picture: np.ndarray) -> None:
        self._state = GameState(rnd)
        k = rnd.shape
        self.page.start_round(
            k, picture, rnd.target_pixels, f"made by a hidden {k[0]}x{k[1]} kernel"
        )
        self.roundReady.emit(rnd)

    def _on_checked(self, check: GuessCheck) -> None:
        self._state = self._state.with_check(check)
        self.page.show_check(check.score.sentence, self._state.tries_text(), check.map_pixels,
                             check.residual_pixels, check.residual_limit)  # fmt: skip
        self.checked.emit(check)

    def _failed(self, text: str) -> None:
        self.page.set_playing(self._state.round is not None)
        self.message.emit(text)

    def _side(self) -> int:
        side = max(v.display_side() for v in (self.page.target_view, self.page.guess_view))
        return DEFAULT_VIEW_SIDE if side < 200 else min(side, 1024)

    # == reading ==============================================================================
    @property
    def state(self) -> GameState:
        return self._state

    def score(self) -> GuessScore | None:
        """The last guess's score, or None."""
        last = self._state.last
        return None if last is None else last.score

    def is_revealed(self) -> bool:
        return self._state.revealed

    def shutdown(self) -> None:
        self._round_number += 1
        self._tasks.cancel_all()
