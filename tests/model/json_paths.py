"""JSON-tree helpers for the file-format fuzz tests: every path into a document, and a copy
with one value replaced."""

from __future__ import annotations


def json_paths(value, prefix=()):
    """Every key path into ``value`` (the empty path first)."""
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from json_paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from json_paths(v, (*prefix, i))


def replaced(value, path, new):
    """A copy of ``value`` with the item at ``path`` replaced by ``new``."""
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = replaced(value[path[0]], path[1:], new)
    return copy
