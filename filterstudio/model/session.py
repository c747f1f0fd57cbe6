"""Studio sessions (``.fstudio``): reading and writing the file, strictly and atomically.

A session holds the stack (its bank first), the picture it was applied to (by path, and on
request as an embedded PNG: ``session_picture``), the display settings and the combined maps
made from the filters' maps (``session_fields`` reads those). A session whose stack has one
stage is written as version 1, as it always was; one with later stages as version 2.
"""

from __future__ import annotations

import base64
import os
from dataclasses import replace

import numpy as np

from .bank_io import FORMAT as BANK_FORMAT
from .bank_io import (
    BankFormatError,
    StudioFileKind,
    describe,
    dumps,
    write_file,
)
from .jsonfile import load_guarded
from .session_fields import combined_maps, display_settings, optional_text, selected_position
from .session_picture import (
    decode_embedded_image,
    embedded_from_text,
    encode_png,
    resolve_image,
    stored_path,
)
from .session_types import (
    MAX_COMBINED,
    MAX_EMBEDDED_BYTES,
    MAX_EMBEDDED_PIXELS,
    MAX_FILE_BYTES,
    MAX_NAME_LENGTH,
    MAX_PATH_LENGTH,
    CombinedMap,
    DisplaySettings,
    LoadedSession,
    Session,
    SessionError,
)
from .stack_io import stack_from_dict, stack_to_dict

__all__ = [
    "FORMAT",
    "MAX_COMBINED",
    "MAX_EMBEDDED_BYTES",
    "MAX_EMBEDDED_PIXELS",
    "MAX_FILE_BYTES",
    "MAX_NAME_LENGTH",
    "MAX_PATH_LENGTH",
    "VERSION",
    "CombinedMap",
    "DisplaySettings",
    "LoadedSession",
    "Session",
    "SessionError",
    "decode_embedded_image",
    "encode_png",
    "load_session",
    "save_session",
    "session_to_dict",
]

FORMAT = "filterstudio-session"
#: The newest version written and read (version 2 when the stack has later stages).
VERSION = 2

_SESSION_FILE = StudioFileKind(
    what="session",
    fmt=FORMAT,
    max_bytes=MAX_FILE_BYTES,
    error=SessionError,
    mistaken={BANK_FORMAT: "is a filter bank, not a session; open it as a bank"},
)


# ----------------------------------------------------------------------------------------------
# Writing


def session_to_dict(session: Session, folder: str) -> dict:
    """The JSON form of ``session`` for a file in ``folder`` (see docs/ARCHITECTURE.md)."""
    png = session.embedded_png
    display = {
        "mapping": session.display.mapping,
        "colormap": session.display.colormap,
        "per_filter": {str(i): m for i, m in session.display.per_filter},
        "per_filter_colormap": {str(i): c for i, c in session.display.per_filter_colormap},
    }
    deep = len(session.stack) > 1
    if deep:
        display["per_map"] = {f"{k}:{i}": m for (k, i), m in session.display.per_map}
        display["per_map_colormap"] = {
            f"{k}:{i}": c for (k, i), c in session.display.per_map_colormap
        }
    return {
        "format": FORMAT,
        "version": VERSION if deep else 1,
        "image": {
            "path": stored_path(session.image_path, folder) if session.image_path else None,
            "embedded_png": base64.b64encode(png).decode("ascii") if png is not None else None,
            "sample": session.sample,
        },
        "bank": stack_to_dict(session.stack, header=False),
        "display": display,
        "selected": int(session.selected),
        "combined": [
            {"a": c.a, "b": c.b, "op": c.op, "mapping": c.mapping, "colormap": c.colormap}
            for c in session.combined
        ],
    }


def save_session(
    path: str | os.PathLike,
    session: Session,
    *,
    embed_image: bool = False,
    image_array: np.ndarray | None = None,
    overwrite: bool = True,
) -> None:
    """Save ``session`` atomically: a failed save leaves the old file as it was.

    Parameters
    ----------
    path : str or os.PathLike
        The session file (conventionally ``.fstudio``).
    session : Session
        What to save. An ``embedded_png`` it already carries is kept.
    embed_image : bool
        Also store the image inside the file: ``image_array`` encoded by :func:`encode_png`, or
        else the session's own ``embedded_png``.
    image_array : numpy.ndarray, optional
        The float image in [0, 1] to embed.
    overwrite : bool
        If False, refuse to replace an existing file.

    Raises
    ------
    SessionError
        Nothing to embed, an image too large, a combined map naming a filter the bank does not
        have, an existing file with ``overwrite=False``, or a failed write.
    """
    if embed_image:
        if image_array is not None:
            png = encode_png(image_array)
        elif session.embedded_png is not None:
            png = session.embedded_png
        else:
            raise SessionError("There is no image to save inside the session.")
        if len(png) > MAX_EMBEDDED_BYTES:
            raise SessionError("The image is too large to save inside a session.")
        session = replace(session, embedded_png=png)
    n_filters = len(session.bank)
    for n, c in enumerate(session.combined, start=1):
        if max(c.a, c.b) >= n_filters:
            # Never write a file that load_session() would refuse.
            raise SessionError(
                f"Combined map {n} names filter position {max(c.a, c.b)}, but the bank has "
                f"{n_filters} filters."
            )
    stack = session.stack
    for (k, i), _ in session.display.per_map + session.display.per_map_colormap:
        if k >= len(stack) or i >= len(stack.map_keys(k)):
            raise SessionError(
                f"The display settings name map {i} of stage {k + 1}, which the stack does not have."
            )
    folder = os.path.dirname(os.path.abspath(os.fspath(path)))
    try:
        content = dumps(session_to_dict(session, folder))
    except ValueError as e:  # a value JSON cannot hold; the model's types should prevent it
        raise SessionError(f"The session could not be written: {e}.") from None
    write_file(path, content, overwrite=overwrite, what="session", error=SessionError)


# ----------------------------------------------------------------------------------------------
# Reading


def load_session(path: str | os.PathLike) -> LoadedSession:
    """Load a session file written by :func:`save_session`.

    A missing image is not an error: the bank loads and ``messages`` says so. A relative image
    path is resolved against the session file's folder; if nothing is there, a file of the same
    name next to the session is used.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    LoadedSession
        ``session.image_path`` is absolute; ``image_abs_path`` is the same path if the file
        exists, else None.

    Raises
    ------
    SessionError
        For every file that cannot be read as a session, with one sentence; nothing else.
    """
    return load_guarded(_load_session, path, SessionError)


def _load_session(path: str | os.PathLike, name: str) -> LoadedSession:
    data = _SESSION_FILE.read(path, name)
    if "bank" not in data:
        raise SessionError(f"{name} holds no filter bank.")
    try:
        stack = stack_from_dict(data["bank"], version=data["version"])
    except BankFormatError as e:
        raise SessionError(str(e)) from None
    bank = stack.bank

    image = data.get("image")
    if image is None:
        image = {}
    if not isinstance(image, dict):
        raise SessionError(f"The image entry must be an object, not {describe(image)}.")
    stored = optional_text(image.get("path"), "image path", MAX_PATH_LENGTH)
    png = embedded_from_text(image.get("embedded_png"))
    sample = optional_text(image.get("sample"), "sample name", MAX_NAME_LENGTH)

    messages: list[str] = []
    display = display_settings(data.get("display", {}), len(bank), messages, stack)
    selected = selected_position(data.get("selected", 0), len(bank))
    combined = combined_maps(data.get("combined"), len(bank), messages)

    image_path = found = None
    if stored:
        folder = os.path.dirname(os.path.abspath(os.fspath(path)))
        image_path, found = resolve_image(stored, folder, png is not None, messages)
    session = Session(
        image_path=image_path,
        embedded_png=png,
        sample=sample,
        display=display,
        selected=selected,
        combined=combined,
        stack=stack,
    )
    return LoadedSession(session, found, messages)
