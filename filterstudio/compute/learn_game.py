"""The classroom game "guess the mystery kernel": a round, a guess checked against the fit.

A round draws a :func:`~filterstudio.core.mystery.mystery_kernel`, makes its map of the picture
and fits the best kernel of that size (what a perfect guess reaches). A guess is scored by
:func:`~filterstudio.core.mystery.score_guess` and shown as its own map and residual. The game
plays on a copy of the picture at most :data:`GAME_SIDE` pixels long, so a check answers at once
even for a 12 MP photo. :class:`GameState` is what the game page shows, replaced whole. No Qt.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from ..core import display
from ..core.fit import KernelFit, fit_kernel_report
from ..core.kernels import format_kernel
from ..core.mystery import GuessScore, MysteryKernel, mystery_kernel, score_guess
from ..core.parse import parse_kernel
from ..core.pipeline import prepare_input
from ..core.readonly import read_only
from .learn_targets import PLAIN, LearnProblem, display_limits
from .learn_views import DEFAULT_VIEW_SIDE, MapPreview

__all__ = [
    "GAME_SIDE",
    "GameRound",
    "GameState",
    "GuessCheck",
    "check_guess",
    "new_round",
    "parse_guess",
]

#: The longer side of the picture a game plays on.
GAME_SIDE = 1024


@dataclass(frozen=True, eq=False)
class GameRound:
    """One mystery kernel to guess: its map of the (reduced) picture and the best fit to it."""

    seed: int
    mystery: MysteryKernel
    problem: LearnProblem
    fit: KernelFit
    target_pixels: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.mystery.kernel.shape)

    def reveal_text(self) -> str:
        """What the kernel was, in words."""
        m = self.mystery
        bias = f", with a bias of {m.bias:g}" if m.bias else ""
        return f"It was {m.name}{bias}. {m.description}"


def new_round(image: np.ndarray, seed: int | None = None, size: int | None = None, *,
              channel_mode: str = "color", side: int = DEFAULT_VIEW_SIDE) -> GameRound:  # fmt: skip
    """Draw a mystery kernel (``seed``: the same one again; ``size``: 3, 5 or 7) for ``image``."""
    if seed is None:
        seed = int(np.random.default_rng().integers(1 << 31))
    mystery = mystery_kernel(seed, size=size)
    pic = prepare_input(image, "gray" if channel_mode == "gray" else "color")
    pic = display.downscale_for_display(pic, GAME_SIDE)
    pic = read_only(np.ascontiguousarray(pic, dtype=np.float32))
    target = read_only(mystery.target(pic))
    shape = tuple(mystery.kernel.shape)
    problem = LearnProblem(pic, target, shape, PLAIN, True, None, display_limits(target))
    fit = fit_kernel_report(pic, target, shape)
    preview = MapPreview(problem, side)
    return GameRound(int(seed), mystery, problem, fit, preview.target_pixels)


@dataclass(frozen=True, eq=False)
class GuessCheck:
    """A guess, its score, and its map and residual at display size (read-only uint8)."""

    guess: np.ndarray
    bias: float
    score: GuessScore
    map_pixels: np.ndarray
    residual_pixels: np.ndarray
    residual_limit: float


def parse_guess(text: str, shape: tuple[int, int]) -> np.ndarray:
    """A guess typed as text (rows on lines, numbers apart) as a ``shape`` kernel.

    Raises
    ------
    ValueError
        With a sentence for text that is not a grid of numbers of that shape.
    """
    kernel = parse_kernel(text)
    if kernel.shape != tuple(shape):
        got = "x".join(map(str, kernel.shape))
        raise ValueError(f"The guess is {got} but the mystery kernel is {shape[0]}x{shape[1]}.")
    return kernel


def check_guess(rnd: GameRound, guess, bias: float = 0.0, *,
                side: int = DEFAULT_VIEW_SIDE) -> GuessCheck:  # fmt: skip
    """Score ``guess`` (and its ``bias``) against the round's best kernel."""
    g = np.asarray(guess, dtype=np.float32)
    if g.shape != rnd.shape:
        raise ValueError(
            f"The guess is {'x'.join(map(str, g.shape))} but the mystery kernel is "
            f"{rnd.shape[0]}x{rnd.shape[1]}."
        )
    if not math.isfinite(float(bias)):
        raise ValueError("The guess's bias must be a finite number.")
    p = rnd.problem
    score = score_guess(p.picture, p.target, g, float(bias), fit=rnd.fit)
    map_px, res_px, limit = MapPreview(p, side).render(g, float(bias))
    return GuessCheck(read_only(g.copy()), float(bias), score, map_px, res_px, limit)


@dataclass(frozen=True)
class GameState:
    """What the game page shows: the round, the guesses checked so far, whether it is revealed."""

    round: GameRound | None = None
    checks: tuple[GuessCheck, ...] = ()
    revealed: bool = False

    @property
    def last(self) -> GuessCheck | None:
        return self.checks[-1] if self.checks else None

    @property
    def best(self) -> GuessCheck | None:
        return max(self.checks, key=lambda c: c.score.score, default=None)

    def with_check(self, check: GuessCheck) -> GameState:
        return replace(self, checks=self.checks + (check,))

    def revealing(self) -> GameState:
        return replace(self, revealed=True)

    def tries_text(self) -> str:
        """E.g. ``"3 guesses; the best reached 87%."``"""
        n = len(self.checks)
        if not n:
            return "No guess checked yet."
        best = self.best.score.score
        return f"{n} guess{'es' if n != 1 else ''}; the best reached {math.floor(best):d}%."

    def kernel_text(self) -> str:
        """The mystery kernel as text (empty until revealed)."""
        if self.round is None or not self.revealed:
            return ""
        return format_kernel(self.round.mystery.kernel)
