"""The package's structure, held by tests: layers without Qt, no import cycle, who imports whom.

The Qt-free layers are checked in a fresh interpreter, module by module. The import graph is
read from every module's source (its AST), so an import only for type checking, or one inside a
function, counts as much as one at the top.
"""

from __future__ import annotations

import ast
import functools
import json
import subprocess
import sys
from pathlib import Path

import filterstudio

PACKAGE = Path(filterstudio.__file__).parent
NAMED = [
    "filterstudio",
    "filterstudio.core.convolution",
    "filterstudio.core.pipeline",
    "filterstudio.core.geometry",
    "filterstudio.model.bank",
    "filterstudio.model.bank_io",
    "filterstudio.model.session",
    "filterstudio.model.weights",
    "filterstudio.model.studio",
    "filterstudio.compute.ledger",
    "filterstudio.compute.process",
    "filterstudio.media.capture",
    "filterstudio.media.latest",
]
QT = ("PySide6", "shiboken6")
QT_FREE = ("core", "model", "compute", "media")
MAX_LINES = 600

# Import each module in turn and report the first one after which Qt is loaded.
PROBE = """
import importlib, json, sys
found = []
for name in json.loads(sys.argv[1]):
    importlib.import_module(name)
    qt = [m for m in {qt!r} if m in sys.modules]
    if qt:
        found = [name, qt]
        break
print(json.dumps({{"qt": found, "modules": sorted(sys.modules)}}))
"""


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_modules() -> dict[str, Path]:
    """Every module of the package, by dotted name."""
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def qt_free_modules() -> list[str]:
    return [n for n in package_modules() if n.split(".")[1:2] and n.split(".")[1] in QT_FREE]


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(module: str, path: Path, known: set[str]) -> set[str]:
    """The package modules ``module`` imports anywhere in its source (type-only ones too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, path.name == "__init__.py", node)
            # ``from .widgets import X`` may name a submodule X or a name in the package.
            targets = [f"{target}.{a.name}" for a in node.names] + [target]
        else:
            continue
        for t in targets:
            while t and t not in known:
                t = t.rpartition(".")[0]
            if t and t != module and t.startswith("filterstudio"):
                found.add(t)
    return found


@functools.cache
def import_graph() -> dict[str, set[str]]:
    modules = package_modules()
    known = set(modules)
    return {name: imports_of(name, path, known) for name, path in modules.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` (a package counts as importing nothing of its children
    merely by being their parent), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


# -- tests -------------------------------------------------------------------------------
def test_every_named_module_is_found():
    modules = qt_free_modules()
    for name in NAMED[1:]:
        assert name in modules


def test_core_model_compute_and_media_import_no_qt():
    names = list(dict.fromkeys(NAMED + qt_free_modules()))
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(qt=QT), json.dumps(names)],
        capture_output=True, text=True, check=False, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["qt"] == [], f"importing {report['qt'][0]} loaded {report['qt'][1]}"
    for module in QT:
        assert module not in report["modules"]


def test_qt_free_layers_do_not_import_the_window_either():
    graph = import_graph()
    for name in qt_free_modules():
        window = sorted(t for t in graph[name] if t.startswith("filterstudio.gui"))
        assert window == [], f"{name} imports {window}"


def test_no_import_cycle_anywhere_in_the_package():
    cycle = _cycle(import_graph())
    assert cycle is None, " -> ".join(cycle)


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycle(graph) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_a_type_only_import_counts(tmp_path):
    source = tmp_path / "mod.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from .main_window import MainWindow\n"
        "def f():\n    from ..core import display\n"
    )
    known = {"filterstudio.gui.main_window", "filterstudio.core.display", "filterstudio.core"}
    found = imports_of("filterstudio.gui.mod", source, known)
    assert found == {"filterstudio.gui.main_window", "filterstudio.core.display",
                     "filterstudio.core"}  # fmt: skip


def test_only_the_app_module_imports_the_main_window():
    importers = sorted(
        name for name, targets in import_graph().items()
        if "filterstudio.gui.main_window" in targets
    )  # fmt: skip
    assert importers == ["filterstudio.gui.app"]


def test_widgets_import_no_window_module_but_imaging_and_tasks():
    allowed = {"filterstudio.gui.imaging", "filterstudio.gui.tasks", "filterstudio.gui"}
    for name, targets in import_graph().items():
        if not name.startswith("filterstudio.gui.widgets"):
            continue
        window = {
            t for t in targets
            if t.startswith("filterstudio.gui") and not t.startswith("filterstudio.gui.widgets")
        }  # fmt: skip
        assert window <= allowed, f"{name} imports {sorted(window - allowed)}"


def test_window_modules_outside_widgets_import_widgets_from_the_package():
    for name, targets in import_graph().items():
        if name.startswith("filterstudio.gui.widgets") or not name.startswith("filterstudio.gui"):
            continue
        deep = sorted(t for t in targets if t.startswith("filterstudio.gui.widgets."))
        assert deep == [], f"{name} imports widget modules {deep}; import from the package"


def test_every_module_says_its_job_first():
    for name, path in package_modules().items():
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        assert doc and doc.strip(), f"{name} has no docstring"


def test_window_and_compute_modules_have_one_job_each():
    for name, path in package_modules().items():
        if name.startswith(("filterstudio.gui.widgets", "filterstudio.core", "filterstudio.model")):
            continue
        lines = path.read_text(encoding="utf-8").count("\n")
        assert lines <= MAX_LINES, f"{name} has {lines} lines: more than one job"
