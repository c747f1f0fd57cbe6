"""The widgets know nothing of the window: from the window layer they import only the shared
image conversion and task runner, and those two import no other part of it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import filterstudio

PACKAGE = Path(filterstudio.__file__).parent
WIDGETS = sorted((PACKAGE / "gui" / "widgets").glob("*.py"))
SHARED = ("filterstudio.gui.imaging", "filterstudio.gui.tasks")


def imported_modules(path: Path, where: Path | None = None) -> set[str]:
    """Every module ``path`` imports, type-only imports included, as absolute names; relative
    imports are read as if the file lived at ``where`` (default: where it is)."""
    module = ".".join((where or path).relative_to(PACKAGE.parent).with_suffix("").parts)
    package = module.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            found.add(stem)
            # ``from . import x`` and ``from filterstudio.gui import x`` name modules too.
            found.update(f"{stem}.{alias.name}" for alias in node.names)
    return found


def window_imports(path: Path) -> set[str]:
    """The modules of ``filterstudio.gui`` that ``path`` imports, other than widgets."""
    return {
        name
        for name in imported_modules(path)
        if name.startswith("filterstudio.gui.")
        and not name.startswith("filterstudio.gui.widgets")
    }


def test_every_widget_module_is_found():
    names = {p.stem for p in WIDGETS}
    assert {"map_view", "map_panel", "kernel_editor", "lesson_widget", "__init__"} <= names


@pytest.mark.parametrize("path", WIDGETS, ids=lambda p: p.stem)
def test_a_widget_imports_only_the_shared_window_modules(path):
    def allowed(name: str) -> bool:
        return any(name == m or name.startswith(m + ".") for m in SHARED)

    assert {n for n in window_imports(path) if not allowed(n)} == set()


@pytest.mark.parametrize("name", SHARED)
def test_the_shared_modules_import_nothing_else_of_the_window(name):
    path = PACKAGE.joinpath(*name.split(".")[1:]).with_suffix(".py")
    assert window_imports(path) == set()
    assert not {n for n in imported_modules(path) if n.startswith("filterstudio.gui.widgets")}


def test_the_check_sees_relative_and_absolute_imports(tmp_path):
    fake = PACKAGE / "gui" / "widgets" / "x.py"  # only its name is used to resolve dots
    source = (
        "from ..controller import StudioController\n"
        "from .. import worker\n"
        "import filterstudio.gui.main_window\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from filterstudio.gui.file_actions import FileActions\n"
        "from ..imaging import array_to_qimage\n"
    )
    probe = tmp_path / "x.py"
    probe.write_text(source, encoding="utf-8")
    found = imported_modules(probe, fake)
    assert {
        "filterstudio.gui.controller",
        "filterstudio.gui.worker",
        "filterstudio.gui.main_window",
        "filterstudio.gui.file_actions",
    } <= found

