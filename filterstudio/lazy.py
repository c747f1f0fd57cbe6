"""lazy_attributes(): a package's names imported from their modules on first use."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

__all__ = ["lazy_attributes"]


def lazy_attributes(
    namespace: dict[str, Any], table: dict[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The package's ``__getattr__`` and ``__dir__`` for the names of ``table``.

    ``namespace`` is the package's ``globals()``; ``table`` maps each name to the module (below
    the package) that defines it. A name is imported the first time it is asked for and then
    kept in ``namespace``, so asking again costs nothing.
    """
    package = namespace["__name__"]

    def __getattr__(name: str) -> Any:
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{module}", package), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        # What the package offers: its public names, not the helpers it was built with.
        return sorted(set(namespace.get("__all__", ())) | set(table))

    return __getattr__, __dir__
