"""The window's commands as one table: every menu entry, its shortcuts and what it calls.

A new command is one more row here; :func:`filterstudio.gui.actions.build_actions` makes the
menus from it and refuses a key sequence bound twice.
"""

from __future__ import annotations

from functools import partial

from PySide6.QtGui import QKeySequence

from ..core import display
from ..core.kernels import PRESETS
from ..core.samples import LESSON_IMAGES
from .actions import ActionSpec, menu_entry, separator

FILE, EDIT, FILTERS, VIEW, HELP = "&File", "&Edit", "Fi&lters", "&View", "&Help"
VIDEO = "Vi&deo"
STACK, LEARN = "Stac&k", "Lea&rn"
SAMPLES, ADD, MAPPING = f"{FILE}/&Samples", f"{FILTERS}/&Add Filter", f"{VIEW}/Default &Mapping"
_Key = QKeySequence.StandardKey


def action_table(w) -> list[ActionSpec]:
    """Every command of the window ``w`` (a built :class:`MainWindow`), in menu order."""
    c, doc, ex, banks = w.controller, w.document, w.exports, w.bank_files
    a = ActionSpec
    table = [
        a("file.open", "&Open Image…", w.open_image_dialog, FILE, (_Key.Open,)),
        a("file.open_video", "Open Vi&deo…", w.open_video_dialog, FILE,
          tip="Play a video (MP4, MOV, AVI, MKV, WebM) through every filter"),  # fmt: skip
        menu_entry("file.camera", "Open Camera", FILE),
        menu_entry("file.recent", "Open &Recent", FILE),
        menu_entry("file.samples", "&Samples", FILE),
        a("file.sample.photo", "Photo-like scene", partial(w.open_sample, "photo"), SAMPLES),
        separator(SAMPLES),
        *[
            a(f"file.sample.{name}", lesson.title, partial(w.open_sample, name), SAMPLES,
              tip=lesson.description)  # fmt: skip
            for name, lesson in LESSON_IMAGES.items()
        ],
        a("file.paste", "&Paste Image", w.paste, FILE, (_Key.Paste,),
          "Use the picture on the clipboard (or paste a kernel into the grid)"),  # fmt: skip
        separator(FILE),
        a("file.open_session", "Op&en Session…", doc.open_session_dialog, FILE, ("Ctrl+Shift+O",),
          "Open a saved session: filters, picture and display settings"),  # fmt: skip
        menu_entry("file.recent_sessions", "Recent Sessio&ns", FILE),
        a("file.save_session", "Sa&ve Session", doc.save_session, FILE, ("Ctrl+S",),
          "Save the filters, the picture's location and the display settings"),  # fmt: skip
        a("file.save_session_as", "Save Session &As…", doc.save_session_as, FILE,
          ("Ctrl+Shift+S",)),  # fmt: skip
        a("file.save_embedded", "Save Session &with Embedded Image…",
          partial(doc.save_session_as, True), FILE,
          tip="Save a session that carries a copy of the picture, to send as one file"),  # fmt: skip
        separator(FILE),
        a("file.save_map", "Save &Map…", ex.save_map_dialog, FILE,
          tip="Save the selected filter's map as displayed, or its exact values"),  # fmt: skip
        a("file.save_all_maps", "Save A&ll Maps…", ex.save_all_maps_dialog, FILE,
          tip="Save every map, combined maps too, into a folder, one file each"),  # fmt: skip
        a("file.export_montage", "Export Mon&tage…", ex.export_montage_dialog, FILE,
          tip="One picture with the input, every map and every kernel, for a slide"),  # fmt: skip
        a("file.apply_to_folder", "Apply to &Folder…",
          lambda: w.folder_apply.dialog(doc.start_folder()), FILE,
          tip="Every picture of a folder through the filters switched on, one map each"),  # fmt: skip
        a("file.export_lesson_gif", "Export &Lesson as GIF…", w.export_lesson_gif, FILE,
          tip="The Lesson tab's steps as an animation (a later stage's lesson too)"),  # fmt: skip
        separator(FILE),
        a("file.import_bank", "&Import Filter Bank…", banks.import_bank_dialog, FILE,
          tip="Replace the filters with those of a bank file (undoable)"),  # fmt: skip
        a("file.export_bank", "E&xport Filter Bank…", banks.export_bank_dialog, FILE,
          tip="Save the filters and layer settings as a bank file"),  # fmt: skip
        a("file.import_weights", "Import &CNN Weights…", banks.import_weights_dialog, FILE,
          tip="Make filters from a CNN's first-layer weights (.npy or .npz)"),  # fmt: skip
        a("file.export_weights", "Export CNN Wei&ghts…", banks.export_weights_dialog, FILE,
          tip="Save the kernels as one weight array in Keras or PyTorch layout"),  # fmt: skip
        separator(FILE),
        a("file.quit", "&Quit", w.close, FILE, ("Ctrl+Q",)),
        a("edit.undo", "&Undo", c.undo_stack.undo, EDIT, (_Key.Undo,)),
        a("edit.redo", "&Redo", c.undo_stack.redo, EDIT, ("Ctrl+Shift+Z", "Ctrl+Y")),
        separator(EDIT),
        a("edit.copy_map", "Copy &Map", lambda: ex.copy_map(wait=False), EDIT, ("Ctrl+Shift+C",),
          "Copy the selected filter's map, as displayed, to the clipboard"),  # fmt: skip
        menu_entry("filters.add", "&Add Filter", FILTERS),
        *[
            a(f"filters.add.{name}", name, partial(c.add_filter, name), ADD,
              tip=preset.description)  # fmt: skip
            for name, preset in PRESETS.items()
        ],
        a("filters.duplicate", "&Duplicate Filter", w.editing.duplicate_filter, FILTERS,
          ("Ctrl+D",)),  # fmt: skip
        a("filters.remove", "&Remove Filter", w.editing.remove_filter, FILTERS, ("Ctrl+Del",)),
        separator(FILTERS),
        a("filters.combine", "&Combine Maps…", w.combine_maps_dialog, FILTERS, ("Ctrl+M",),
          "A panel showing the magnitude, sum or maximum of two maps"),  # fmt: skip
        a("filters.remove_combined", "Remove Com&bined Maps", c.remove_derived, FILTERS),
        a("filters.insight", "Kernel &Insight", w.show_insight, FILTERS, ("Ctrl+I",),
          "What the kernel does to frequencies, and whether it splits into two 1-D passes"),  # fmt: skip
        a("filters.copy_code", "Copy as Cod&e…", w.copy_code_dialog, FILTERS,
          tip="The NumPy, SciPy, OpenCV, PyTorch or Keras program that redoes this map"),  # fmt: skip
        separator(FILTERS),
        a("filters.next", "Next Filter", partial(w.editing.select_step, 1), FILTERS, ("Ctrl+]",)),
        a("filters.previous", "Previous Filter", partial(w.editing.select_step, -1), FILTERS,
          ("Ctrl+[",)),  # fmt: skip
        a("stack.add_conv", "Add &Conv Stage", partial(w.stages.add_stage, "conv"), STACK,
          ("Ctrl+Alt+C",), "A stage after this one whose filters read every map of it"),
        a("stack.add_pool", "Add &Pooling Stage", partial(w.stages.add_stage, "pool"), STACK,
          ("Ctrl+Alt+P",), "A 2x2 max pooling stage after this one: every map half as large"),
        a("stack.remove", "&Remove Stage", w.stages.remove_stage, STACK, ("Ctrl+Alt+X",)),
        separator(STACK),
        a("stack.next", "&Next Stage", partial(w.stages.step_stage, 1), STACK, ("Ctrl+Alt+]",)),
        a("stack.previous", "Pre&vious Stage", partial(w.stages.step_stage, -1), STACK,
          ("Ctrl+Alt+[",)),  # fmt: skip
        separator(STACK),
        a("stack.equivalent", "Show the &Equivalent Single Layer…", w.show_equivalent_layer,
          STACK, ("Ctrl+Alt+E",),
          "Two conv stages with no activation between them are one layer: see it, and see "
          "ReLU break it"),  # fmt: skip
        a("view.zoom_in", "Zoom &In", w.sync.zoom_in_all, VIEW, (_Key.ZoomIn,)),
        a("view.zoom_out", "Zoom &Out", w.sync.zoom_out_all, VIEW, (_Key.ZoomOut,)),
        a("view.fit", "&Fit", w.sync.fit_all, VIEW, ("Ctrl+0",)),
        a("view.zoom_100", "&100%", w.sync.zoom_100_all, VIEW, ("Ctrl+1",)),
        separator(VIEW),
        menu_entry("view.mapping", "Default &Mapping", VIEW),
        *[
            a(f"view.mapping.{m}", m, partial(w.set_default_mapping, m), MAPPING)
            for m in display.MAPPINGS
        ],
        separator(VIEW),
        a("view.studio", "&Studio", partial(w.tabs.setCurrentIndex, 0), VIEW, ("Ctrl+2",)),
        a("view.lesson", "&Lesson", partial(w.tabs.setCurrentIndex, 1), VIEW, ("Ctrl+3",)),
        a("view.learn", "Lea&rn", partial(w.learn.show, 0), VIEW, ("Ctrl+4",)),
        a("view.presentation", "&Presentation Mode", w.toggle_presentation, VIEW,
          ("F5", "F11")),  # fmt: skip
        separator(VIEW),
        a("video.play", "&Play / Pause", w.playback.toggle, VIDEO,
          tip="Space in the picture or a map plays and pauses too"),  # fmt: skip
        a("video.step", "&Step One Frame", w.playback.step, VIDEO,
          tip="Pause and show the next frame"),  # fmt: skip
        a("video.use_frame", "&Use This Frame", lambda: w.playback.use_frame(), VIDEO,
          tip="Stop, and go on with the frame on screen as a still picture"),  # fmt: skip
        separator(VIDEO),
        a("video.record", "&Record Maps…", w.recording.record_dialog, VIDEO,
          tip="Record the maps of the frames shown into videos"),  # fmt: skip
        a("video.stop_recording", "S&top Recording", w.recording.stop, VIDEO),
        separator(VIDEO),
        a("video.close", "&Close Video", w.playback.close, VIDEO,
          tip="Stop the video or camera; the frame on screen stays"),  # fmt: skip
        *_learn_rows(w.learn),
        a("help.getting_started", "&Getting Started", w.show_getting_started, HELP, ("F1",),
          "A short guide: a picture, a kernel, stride and padding, a cell's sum, the lesson"),  # fmt: skip
        a("help.shortcuts", "&Keyboard Shortcuts", w.show_shortcuts, HELP, ("Ctrl+/",),
          "Every key of the studio, the kernel grid and the lesson"),  # fmt: skip
        separator(HELP),
        a("help.about", "&About Filter Studio", w.show_about, HELP),
    ]
    return table


def _learn_rows(learn) -> list[ActionSpec]:
    """The Learn menu: each command shows the page it works on, then does its work."""

    def on(page: int, fn):
        return lambda: (learn.show(page), fn())

    a = ActionSpec
    return [
        a("learn.solve", "&Solve at Once", on(0, learn.solve), LEARN, ("Ctrl+L",),
          "The exact least-squares kernel for the target"),  # fmt: skip
        a("learn.descend", "Start or Pause &Descent",
          on(0, lambda: learn.pause() if learn.is_running() else learn.start_descent()), LEARN,
          ("Ctrl+G",), "Watch gradient descent learn the kernel step by step"),  # fmt: skip
        a("learn.step", "One S&tep", on(0, learn.step), LEARN),
        a("learn.reset", "&Reset Descent", on(0, learn.reset), LEARN),
        a("learn.mystery", "Learn a &Mystery Kernel", on(0, learn.set_target_mystery), LEARN,
          tip="Hide a random kernel and learn it from its map of the picture"),  # fmt: skip
        a("learn.use", "&Use Learned Kernel as a Filter", learn.use_kernel, LEARN,
          tip="Add the learned kernel and bias to the bank (undoable)"),  # fmt: skip
        separator(LEARN),
        a("learn.new_round", "&New Mystery Kernel to Guess", on(1, learn.game.new_round), LEARN,
          ("Ctrl+Shift+N",), "The classroom game: guess a hidden kernel from its map"),  # fmt: skip
        a("learn.check", "&Check the Guess", on(1, learn.game.check), LEARN,
          tip="Score the guess in the grid (Enter in the grid does it too)"),  # fmt: skip
        a("learn.reveal", "Re&veal the Mystery Kernel", on(1, learn.game.reveal), LEARN,
          ("Ctrl+R",)),  # fmt: skip
    ]
