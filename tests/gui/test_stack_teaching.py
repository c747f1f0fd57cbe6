"""Teaching the stack in the window: the Lesson tab steps through a pooling stage and a conv stage
over several maps and exports them; Stack > Show the Equivalent Single Layer compares two conv
stages with the one layer they would be."""

from __future__ import annotations

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt

from filterstudio.core.stage_lesson import MapsLessonPlan, PoolLessonPlan
from filterstudio.model.bank import Bank, Filter, Layer

rng = np.random.default_rng(5)
PIXELS = rng.random((30, 40, 3)).astype(np.float32)


def _current(qtbot, win):
    qtbot.waitUntil(win.is_current, timeout=15000)


def test_the_lesson_steps_a_pool_stage_and_a_conv_stage_and_exports_them(qtbot, window, tmp_path):
    window.controller.load_state(
        Bank(tuple(Filter(n, np.eye(3) * s, activation="relu") for n, s in (("a", 1), ("b", -1))),
             Layer(channel_mode="gray"))  # fmt: skip
    )
    window.set_image_array(PIXELS, "noise")
    window.action("stack.add_pool").trigger()
    window.action("stack.add_conv").trigger()
    window.action("stack.previous").trigger()
    window.action("view.lesson").trigger()
    lesson = window.lesson
    plan = lesson.plan()
    assert isinstance(plan, PoolLessonPlan) and plan.labels == ("a",)
    assert lesson.stage_canvas.isVisible() and not lesson.canvas.isVisible()
    qtbot.keyClick(lesson, Qt.Key.Key_Right)
    assert lesson.current_step() == 1 and lesson.step_text().startswith("Step 2 of")
    assert "Pooling" in lesson.explanations_text() and "S before" in lesson.explanations_text()
    window.action("stack.next").trigger()
    plan = lesson.plan()
    assert isinstance(plan, MapsLessonPlan) and plan.labels == ("a", "b")
    center = lesson.stage_canvas.output_cell_center(1, 2)
    qtbot.mouseClick(lesson.stage_canvas, Qt.MouseButton.LeftButton, pos=center.toPoint())
    assert plan.steps[lesson.current_step()] == (1, 2)
    with qtbot.waitSignal(lesson.exportFinished, timeout=30000) as done:
        assert lesson.export_gif_to(str(tmp_path / "conv.gif"))
    assert done.args[0]
    with Image.open(tmp_path / "conv.gif") as gif:
        assert gif.n_frames == plan.step_count + 1
    # Back on the bank: the first stage's lesson as before.
    window.select_stage(0)
    assert lesson.canvas.isVisible() and lesson.plan().filter.name == "a"


def test_two_linear_stages_are_one_layer_and_relu_breaks_it(qtbot, window):
    window.controller.load_state(
        Bank(tuple(Filter(f"f{i}", rng.normal(size=(3, 3))) for i in range(3)),
             Layer(channel_mode="gray"))  # fmt: skip
    )
    window.set_image_array(PIXELS, "noise")
    window.action("stack.add_conv").trigger()
    _current(qtbot, window)
    eq = window.equivalent_kernel()
    assert eq is not None and eq.linear and eq.max_difference < 1e-4
    dialog = window.equivalence.dialog()
    assert dialog.isVisible() and "same map" in dialog.sentence_text()
    assert dialog.kernel_text().count("\n") == 4  # a 5x5 kernel of the grey picture
    for i in range(3):
        window.controller.set_filter_fields(i, activation="relu")
    eq = window.equivalent_kernel()
    assert eq is not None and not eq.linear and eq.fit_explained is not None
    assert "ReLU" in dialog.sentence_text()
    # Nothing to join: a pooling stage between the two conv stages.
    window.select_stage(1)
    window.action("stack.add_pool").trigger()
    window.action("stack.next").trigger()
    messages = []
    window.controller.message.connect(messages.append)
    window.equivalence.message.connect(messages.append)
    assert not window.show_equivalent_layer()
    assert "two conv stages that follow each other" in messages[-1]
