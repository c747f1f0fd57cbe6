"""The Learn tab's presenter: what to learn, the exact solve and a watched descent.

:class:`LearnPresenter` keeps what it was pushed (bank, picture, the exact maps shown), turns the
Learn page's intents into work off the GUI thread (lining a target up and the exact fit through
``start_task``, the descent on a :class:`~.learn_worker.DescentThread`) and pushes the answers
into the page. Every change of target or settings starts a new generation: answers and frames of
an older one are dropped. Its public methods are the Learn part of the scripting surface
(docs/SCRIPTING.md); the guessing game is :attr:`game`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QCoreApplication, QObject, Signal

from ..compute.learn_targets import (
    LearnProblem,
    LearnSettings,
    LearnTarget,
    layer_label,
    map_target,
    mystery_target,
    picture_target,
    resized_target,
)
from ..compute.learn_views import DEFAULT_VIEW_SIDE, MapPreview, Solved, solve
from ..core.errors import sentence
from ..core.formats import PICTURE_EXTENSIONS
from ..core.imageio import load_image
from ..core.mystery import MysteryKernel, mystery_kernel
from ..model.bank import Bank, Filter
from ..model.studio import BankChange, ImageState
from .learn_descent import DescentPresenter
from .learn_game import GamePresenter
from .tasks import RunningTasks
from .widgets import GuessWidget, LearnWidget

PICTURE_FILTER = f"Pictures ({' '.join('*' + ext for ext in PICTURE_EXTENSIONS)})"


def _size_text(shape) -> str:
    return f"{shape[1]}x{shape[0]}"


def _explained(fit) -> str:
    """How much of the target's variance the fit explains, never rounded up to 100%."""
    if fit.target_std == 0 or fit.rms <= 1e-3 * fit.target_std:
        return "100%"
    return f"{math.floor(fit.explained * 1000) / 10:g}%"


def _tidy(value: float, scale: float) -> float:
    """``value`` with float noise far below ``scale`` shown as 0."""
    return 0.0 if abs(value) <= 1e-7 * max(scale, 1e-30) else value


class LearnPresenter(QObject):
    """Pushes a learning session into the Learn page and runs its work off the GUI thread.

    Signals
    -------
    targetReady(str)
        The target is lined up and shown (its description).
    targetFailed(str)
        A target could not be used (the sentence).
    solved(object)
        A :class:`~filterstudio.compute.learn_views.Solved` is shown.
    frameShown(object)
        A :class:`~filterstudio.compute.learn_descent.DescentFrame` is shown.
    message(str)
    """

    targetReady = Signal(str)
    targetFailed = Signal(str)
    solved = Signal(object)
    frameShown = Signal(object)
    message = Signal(str)

    def __init__(self, controller, page: LearnWidget, guess_page: GuessWidget, dialogs,
                 ask_open: Callable[[str, str], str | None],
                 show: Callable[[int], None], parent: QObject | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self._c = controller
        self.page = page
        self._dialogs = dialogs
        self._ask_open = ask_open  # (title, file filter) -> the chosen file, or None
        self._show = show  # show(0): the Learn page; show(1): the game
        self.game = GamePresenter(guess_page, self)
        self.game.message.connect(self.message)
        self._bank: Bank | None = None
        self._image: ImageState | None = None
        self._maps: dict[str, np.ndarray] = {}  # exact maps shown now, by filter uid
        self._settings = LearnSettings()
        self._target: LearnTarget | None = None
        self._map_uid: str | None = None  # the filter a map target follows
        self._generation = 0
        self._problem: LearnProblem | None = None
        self._tasks = RunningTasks(self)
        self._wanted: str | None = None  # "solve" or "descend" once the target is lined up
        self.descent = DescentPresenter(page, self._side, self._show_maps, self)
        self.descent.message.connect(self.message)
        self.descent.frameShown.connect(self._on_frame)
        self._shown: tuple[np.ndarray, float] | None = None
        self._verdict = ""
        self._mystery_seed: int | None = None
        self._connect()
        app = QCoreApplication.instance()
        if app is not None:
            # However the window goes, the descent's thread is stopped before Qt tears down.
            app.aboutToQuit.connect(self.shutdown)

    def _connect(self) -> None:
        p = self.page
        p.mapTargetRequested.connect(self.set_target_map)
        p.pictureTargetRequested.connect(self.choose_target_picture)
        p.mysteryRequested.connect(lambda size: self.set_target_mystery(size=size or None))
        p.settingsEdited.connect(lambda changes: self.set_settings(**changes))
        p.solveRequested.connect(self.solve)
        p.playRequested.connect(self.start_descent)
        p.pauseRequested.connect(self.pause)
        p.stepRequested.connect(self.step)
        p.resetRequested.connect(self.reset)
        p.rateScaleChosen.connect(self.descent.set_rate_scale)
        p.momentumChosen.connect(self.descent.set_momentum)
        p.speedChosen.connect(self.descent.set_speed)
        p.useKernelRequested.connect(self.use_kernel)
        self.message.connect(p.set_status)

    # == pushed in ===========================================================================
    def on_bank_changed(self, change: BankChange) -> None:
        self._bank = change.bank
        uids = {f.uid for f in change.bank.filters}
        for uid in list(self._maps):
            if uid not in uids or change.layer_changed or change.map_changed(uid):
                del self._maps[uid]
        follow = self._map_uid
        names = [f.name for f in change.bank.filters]
        at = change.bank.index_of(follow) if follow in uids else change.selected
        self.page.set_filters(names, at)
        self.game.set_channel_mode(change.bank.layer.channel_mode)
        self._push_settings()
        if follow is not None and follow not in uids:
            self._fail("The filter whose map was the target is gone; choose another target.")
        elif follow is not None and (change.layer_changed or change.map_changed(follow)):
            self._wait_for_map(follow)  # the map changes: learn the new one when it comes
        elif change.layer_changed and self._settings.use_layer and self._target is not None:
            self._set_target(self._target)

    def on_image_changed(self, state: ImageState | None) -> None:
        self._image = state
        self._maps.clear()
        self.game.on_image_changed(state)
        target = self._target
        if state is None:
            self._fail("")
        elif self._map_uid is not None:
            self._wait_for_map(self._map_uid)
        elif target is not None and target.mystery is not None:
            mode = self._bank.layer.channel_mode if self._bank else "color"
            self._set_target(
                mystery_target(state.pixels, target.mystery, mode, image_key=state.key)
            )
        elif target is not None and target.kind == "picture":
            self._use_picture(target.values, target.name, resize=False)

    def on_result(self, result) -> None:
        if not result.is_final or result.values is None or result.error:
            return
        self._maps[result.uid] = result.values
        if result.uid == self._map_uid and self._target is None:
            self._make_map_target(result.uid)

    # == choosing the target =================================================================
    def set_target_map(self, index: int) -> bool:
        """Learn the exact map of filter ``index`` (when it is computing, as soon as it comes)."""
        if self._bank is None or not 0 <= index < len(self._bank.filters):
            return self._fail(f"There is no filter {index}.")
        flt = self._bank.filters[index]
        if not flt.enabled:
            return self._fail(f"{flt.name} is switched off: switch it on to learn its map.")
        # A filter's map is learned with a kernel of that filter's size: a smaller one could
        # not reproduce it, and a valid map of a larger one is smaller than a 3x3's.
        size = tuple(int(n) for n in flt.kernel.shape[:2])
        if size != tuple(self._settings.size):
            try:
                self._settings = LearnSettings(size, self._settings.bias, self._settings.use_layer)
            except ValueError:
                pass  # a size the learner does not take: the target says why
            else:
                self._push_settings()
        self._wait_for_map(flt.uid)
        return True

    def _wait_for_map(self, uid: str) -> None:
        self._map_uid = uid
        if uid in self._maps:
            self._make_map_target(uid)
            return
        self._set_target(None)
        name = self._bank.filters[self._bank.index_of(uid)].name
        self.page.set_target("map", f"Waiting for the map of {name}…")

    def _make_map_target(self, uid: str) -> None:
        if self._image is None:
            return
        flt = self._bank.filters[self._bank.index_of(uid)]
        try:
            target = map_target(self._image.pixels, flt, self._bank.layer, self._maps[uid],
                                image_key=self._image.key)  # fmt: skip
        except ValueError as exc:
            self._fail(sentence(exc))
            return
        self._set_target(target)

    def set_target_mystery(self, seed: int | None = None, size: int | None = None) -> bool:
        """Learn a hidden kernel's map of the picture (``seed``: the same kernel again)."""
        if self._image is None:
            return self._fail("Open a picture first: a mystery kernel's map is made from it.")
        if seed is None:
            seed = int(np.random.default_rng().integers(1 << 31))
        try:
            m: MysteryKernel = mystery_kernel(seed, size=size)
        except ValueError as exc:
            return self._fail(sentence(exc))
        self._mystery_seed = seed
        self._map_uid = None
        self._settings = LearnSettings(
            m.kernel.shape, self._settings.bias, self._settings.use_layer
        )
        self._push_settings()
        mode = self._bank.layer.channel_mode if self._bank else "color"
        self._set_target(mystery_target(self._image.pixels, m, mode, image_key=self._image.key))
        return True

    def choose_target_picture(self) -> None:
        """Ask for a picture file and learn what turns the picture into it."""
        path = self._ask_open("Target Picture", PICTURE_FILTER)
        if path:
            self.set_target_picture(path)
        else:  # cancelled: the choice shown goes back to the target there is
            kind = self._target.kind if self._target else ("map" if self._map_uid else "")
            text = self.target_text() if self._target else self.page.target_text.text()
            self.page.set_target(kind, text)

    def set_target_picture(self, path: str, resize: bool | None = None) -> bool:
        """Learn what turns the picture into the picture at ``path`` (decoded off the GUI thread).

        A picture of another size is refused with a sentence, or resized to the picture's size
        when ``resize`` is True (None: ask).
        """
        if self._image is None:
            return self._fail("Open a picture first: the target is compared with it.")
        self._map_uid = None
        self._set_target(None)
        name = path.replace("\\", "/").rsplit("/", 1)[-1]
        self.page.set_target("picture", f"Opening {name}…")
        gen = self._generation
        handle = self._tasks.start(lambda _c: load_image(path))
        handle.finished.connect(
            self._if_current(gen, lambda px: self._use_picture(px, name, resize))
        )
        handle.failed.connect(self._if_current(gen, lambda exc: self._fail(sentence(exc))))
        return True

    def set_target_pixels(
        self, pixels: np.ndarray, name: str = "target", resize: bool = False
    ) -> bool:
        """Learn what turns the picture into ``pixels`` (float in [0, 1], the picture's size)."""
        if self._image is None:
            return self._fail("Open a picture first: the target is compared with it.")
        self._map_uid = None
        arr = np.asarray(pixels, dtype=np.float32)
        arr.setflags(write=False)
        return self._use_picture(arr, name, resize)

    def _use_picture(self, pixels: np.ndarray, name: str, resize: bool | None) -> bool:
        image = self._image
        try:
            target, note = picture_target(image.pixels, pixels, name, image_key=image.key)
        except ValueError as exc:
            if pixels.shape[:2] == image.pixels.shape[:2]:
                return self._fail(sentence(exc))
            size = _size_text(image.pixels.shape)
            if resize is None:
                resize = self._dialogs.yes_no(
                    "Target size", f"{sentence(exc)}\n\nResize {name} to {size}?"
                )
            if not resize:
                return self._fail(sentence(exc))
            gen = self._generation
            self.page.set_target("picture", f"Resizing {name} to {size}…")
            handle = self._tasks.start(lambda _c: resized_target(pixels, image.pixels.shape[:2]))
            handle.finished.connect(
                self._if_current(gen, lambda px: self._use_picture(px, name, False))
            )
            handle.failed.connect(self._if_current(gen, lambda e: self._fail(sentence(e))))
            return True
        if note:
            self.message.emit(note)
        self._set_target(target)
        return True

    # == settings ============================================================================
    def set_settings(
        self, size=None, bias: bool | None = None, use_layer: bool | None = None
    ) -> None:
        """The kernel's ``size`` (a side or ``(rows, cols)``), ``bias`` and ``use_layer``."""
        s = self._settings
        try:
            new = LearnSettings(
                s.size if size is None else size,
                s.bias if bias is None else bool(bias),
                s.use_layer if use_layer is None else bool(use_layer),
            )
        except ValueError as exc:
            self.message.emit(sentence(exc))
            self._push_settings()
            return
        if new != s:
            self._settings = new
            self._push_settings()
            if self._target is not None:
                self._set_target(self._target)

    def settings(self) -> LearnSettings:
        return self._settings

    def _push_settings(self) -> None:
        s = self._settings
        layer = layer_label(self._bank.layer) if self._bank is not None else ""
        self.page.set_settings(s.size, s.bias, s.use_layer, layer)

    # == the target, lined up off the GUI thread ==============================================
    def _set_target(self, target: LearnTarget | None) -> None:
        """Start over with ``target`` (None: none): a new generation, old answers dropped."""
        self._generation += 1
        self.descent.restart(self._generation)
        self._tasks.cancel_all()
        self._target, self._problem = target, None
        self._shown, self._verdict = None, ""
        self.page.clear_results()
        self.page.set_can_learn(False)
        if target is None:
            self.page.target_view.set_pixels(None, "")
            self.page.set_target("", "")
            return
        self.page.set_target(target.kind, self.target_text())
        self.page.target_view.set_pixels(None, "lining up…")
        gen, s = self._generation, self._settings
        layer, side = s.layer(self._bank.layer), self._side()

        def line_up(_control):
            problem = target.problem(s.size, layer, s.bias)
            return problem, MapPreview(problem, side).target_pixels

        handle = self._tasks.start(line_up)
        handle.finished.connect(self._if_current(gen, lambda value: self._on_lined_up(*value)))
        handle.failed.connect(self._if_current(gen, lambda e: self._fail(sentence(e), keep=True)))

    def _on_lined_up(self, problem: LearnProblem, pixels: np.ndarray) -> None:
        self._problem = problem
        self.descent.set_problem(self._generation, problem)
        shape = problem.target.shape
        self.page.set_aspect(shape[0], shape[1])
        chans = "colour" if len(shape) == 3 else "grey"
        self.page.target_view.set_pixels(pixels, f"{_size_text(shape)} {chans}")
        self.page.set_can_learn(True)
        self.page.set_status("")
        self.targetReady.emit(self.target_text())
        wanted, self._wanted = self._wanted, None
        if wanted == "solve":
            self.solve()
        elif wanted == "descend":
            self.start_descent()

    def _fail(self, text: str, keep: bool = False) -> bool:
        """Say why a target cannot be used; drop it (``keep``: keep the choice, e.g. settings)."""
        if not keep:
            self._map_uid = None
            self._set_target(None)
        self._wanted = None
        self.page.set_target(self._target.kind if keep and self._target else "", text)
        self.page.set_can_learn(False)
        if text:
            self.message.emit(text)
            self.targetFailed.emit(text)
        return False

    def _if_current(self, gen: int, slot: Callable) -> Callable:
        """``slot``, called only while generation ``gen`` is the current one."""
        return lambda *args: slot(*args) if gen == self._generation else None

    def _has_target(self) -> bool:
        """Whether a target is chosen; when none is, say how to choose one."""
        if self._target is None:
            self.message.emit(
                "Choose a target first: a filter's map, a picture or a mystery kernel."
            )
            return False
        return True

    def _side(self) -> int:
        side = self.page.display_side()
        return DEFAULT_VIEW_SIDE if side < 200 else min(side, 1024)

    # == solving at once =====================================================================
    def solve(self) -> bool:
        """The exact least-squares kernel, shown with its map, residual and verdict."""
        if not self._has_target():
            return False
        self.pause()
        if self._problem is None:
            self._wanted = "solve"
            return True
        gen, problem, side = self._generation, self._problem, self._side()
        self.page.set_status("Solving…")
        handle = self._tasks.start(lambda _c: solve(problem, side))
        handle.finished.connect(self._if_current(gen, self._on_solved))
        handle.failed.connect(self._if_current(gen, lambda e: self.message.emit(sentence(e))))
        return True

    def _on_solved(self, s: Solved) -> None:
        fit = s.fit
        self._shown = (fit.kernel, fit.bias)
        bias = _tidy(fit.bias, fit.target_std)
        caption = (
            f"exact answer · bias {bias:.4g} · RMS error {fit.rms:.3g} · explains {_explained(fit)}"
        )
        self.page.set_kernel(fit.kernel, caption)
        self._show_maps(s.map_pixels, s.residual_pixels, s.residual_limit)
        self._verdict = fit.verdict
        if self._target is not None and self._target.mystery is not None:
            self._verdict += f" The hidden kernel was {self._target.mystery.name}."
        self.page.set_verdict(self._verdict)
        used = (
            f"{fit.equations_used:,} of {fit.equations:,} values"
            if fit.sampled
            else f"all {fit.equations:,} values"
        )
        self.page.set_status(f"Solved exactly over {used}.")
        self.solved.emit(s)

    def _show_maps(self, map_px, res_px, limit: float) -> None:
        self.page.map_view.set_pixels(map_px, "same limits as the target")
        self.page.residual_view.set_pixels(res_px, f"±{limit:.3g}: blue below, red above")

    # == descent =============================================================================
    def start_descent(self) -> bool:
        """Start (or go on with) gradient descent, on its own thread."""
        if not self._has_target():
            return False
        if self._problem is None:
            self._wanted = "descend"
            self.page.set_running(True)
            return True
        return self.descent.play()

    def pause(self) -> None:
        """Pause the descent (it goes on from there)."""
        if self._wanted == "descend":
            self._wanted = None
        self.descent.pause()

    def step(self, count: int = 1) -> bool:
        """Take ``count`` steps, paused."""
        return self.descent.step(count)

    def reset(self) -> None:
        """Back to a kernel of zeros, paused; the curve starts again."""
        self.descent.reset()

    def set_learning_rate_scale(self, scale: float) -> None:
        """The learning rate as a multiple of the suggested ``1/L``."""
        self.descent.set_rate_scale(scale)

    def set_momentum(self, momentum: float) -> None:
        self.descent.set_momentum(momentum)

    def set_speed(self, steps_per_second: float | None) -> None:
        """Steps per second, or None for as fast as the machine goes."""
        self.descent.set_speed(steps_per_second)

    def _on_frame(self, frame) -> None:
        self._shown = (frame.state.kernel, frame.state.bias)
        self._verdict = self.descent.verdict or self._verdict
        self.frameShown.emit(frame)

    # == the learned kernel into the bank =======================================================
    def use_kernel(self) -> bool:
        """Add the kernel shown (solved or descended) to the bank as a new filter (undoable)."""
        if self._shown is None:
            self.message.emit("Solve or descend first: there is no learned kernel yet.")
            return False
        kernel, bias = self._shown
        names = {f.name for f in self._bank.filters} if self._bank else set()
        base = f"learned {kernel.shape[0]}x{kernel.shape[1]}"
        name, n = base, 2
        while name in names:
            name, n = f"{base} {n}", n + 1
        before = len(self._bank.filters) if self._bank else 0
        self._c.add_filter(Filter(name=name, kernel=np.array(kernel), bias=float(bias)))
        if self._bank is not None and len(self._bank.filters) > before:
            self.message.emit(f"{name} is now a filter of the bank (Undo takes it out).")
            return True
        return False

    # == reading (scripting surface) ==========================================================
    def show(self, page: int = 0) -> None:
        """Show the Learn tab: its Learn page (0) or the game (1)."""
        self._show(page)

    def target_text(self) -> str:
        """What the target is, in words (empty when there is none)."""
        t = self._target
        if t is None:
            return ""
        if t.kind == "mystery":
            k = t.mystery.kernel.shape
            return f"A mystery {k[0]}x{k[1]} kernel (seed {self._mystery_seed}) made this map of the picture."
        if t.kind == "map":
            return f"The exact map of {t.name.removeprefix('the map of ')} in the studio."
        return f"{t.name}: what turns the picture into it?"

    def is_ready(self) -> bool:
        """Whether the target is lined up (Solve and Descend start at once)."""
        return self._problem is not None

    def is_running(self) -> bool:
        """Whether the descent is running (or asked to, once the target is lined up)."""
        return self.descent.is_running() or self._wanted == "descend"

    def step_count(self) -> int:
        """Steps the descent shown has taken."""
        return self.descent.step_count()

    def current_kernel(self) -> tuple[np.ndarray, float] | None:
        """The kernel and bias shown (solved or descended), or None."""
        return self._shown

    def loss_history(self) -> tuple[np.ndarray, np.ndarray]:
        """Steps and losses of the curve drawn (thinned past a few thousand steps)."""
        return self.descent.loss_history()

    def verdict_text(self) -> str:
        return self._verdict

    def frames_shown(self) -> int:
        """Descent frames pushed into the page so far."""
        return self.descent.frames_shown()

    def suggested_learning_rate(self) -> float | None:
        return self.descent.suggested_learning_rate()

    def shutdown(self) -> None:
        """The window closes: stop the descent and wait for it; drop answers still computing."""
        self._generation += 1
        self._tasks.cancel_all()
        self.descent.shutdown()
        self.game.shutdown()
