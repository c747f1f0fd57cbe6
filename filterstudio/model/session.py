"""Studio sessions (``.fstudio``): the bank, the image it was applied to, the display settings
and the combined maps made from the filters' maps.

The image is stored by path, relative to the session file's folder when the image lies in that
folder or below it (so the two can be moved together), absolute otherwise (so a session moved on
its own still finds it). On request the image is also embedded as a PNG: 16-bit greyscale for a
grey image (exact to 1/65535), 8-bit RGB for a colour image (exact to 1/255; Pillow writes no
16-bit colour PNG).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import io
import os
import re
import stat
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import PurePath
from typing import Any

import numpy as np
from PIL import Image

from ..core.combine import COMBINE_OPS
from ..core.display import COLORMAPS, DIVERGING_COLORMAPS, MAPPINGS
from ..core.formats import PICTURE_EXTENSIONS
from .bank import Bank
from .bank_io import (
    FORMAT as BANK_FORMAT,
)
from .bank_io import (
    BankFormatError,
    bank_from_dict,
    bank_to_dict,
    check_version,
    describe,
    dumps,
    read_json,
    write_file,
)

FORMAT = "filterstudio-session"
VERSION = 1
#: A session file larger than this is refused before it is read.
MAX_FILE_BYTES = 200 * 1024 * 1024
#: The largest embedded PNG, in bytes and in pixels.
MAX_EMBEDDED_BYTES = 100 * 1024 * 1024
MAX_EMBEDDED_PIXELS = 40_000_000
MAX_PATH_LENGTH = 4096
#: The most combined maps a session may hold.
MAX_COMBINED = 64
MAX_NAME_LENGTH = 200
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# A filter position as JSON keys write it: "0", "1", ... "15"; never "01" or "0001".
_INDEX = re.compile(r"0|[1-9][0-9]{0,3}")


class SessionError(ValueError):
    """A session that cannot be read or written; the message is one sentence."""


@dataclass(frozen=True)
class DisplaySettings:
    """How feature maps are shown: a mapping and colour map for all, and mappings per filter.

    ``per_filter`` may be given as a mapping ``{filter index: mapping name}`` or as pairs; it is
    stored as a sorted tuple of ``(index, mapping)`` pairs. Indices are positions in the bank.
    """

    mapping: str = "minmax"
    colormap: str = "gray"
    per_filter: tuple[tuple[int, str], ...] = ()
    per_filter_colormap: tuple[tuple[int, str], ...] = ()

    def __post_init__(self) -> None:
        cmaps = self.per_filter_colormap
        cmaps = cmaps.items() if isinstance(cmaps, Mapping) else cmaps
        object.__setattr__(
            self, "per_filter_colormap", tuple(sorted((int(i), str(c)) for i, c in cmaps))
        )
        items = self.per_filter.items() if isinstance(self.per_filter, Mapping) else self.per_filter
        pairs = tuple(sorted((int(i), str(m)) for i, m in items))
        for name in (self.mapping, *(m for _, m in pairs)):
            if name not in MAPPINGS:
                raise ValueError(f"Unknown mapping {name!r}; choose one of {', '.join(MAPPINGS)}.")
        if any(i < 0 for i, _ in pairs) or len({i for i, _ in pairs}) != len(pairs):
            raise ValueError("Each filter index in the display settings must be unique and >= 0.")
        object.__setattr__(self, "per_filter", pairs)

    def mapping_for(self, index: int) -> str:
        """The mapping used for the filter at position ``index``."""
        return dict(self.per_filter).get(index, self.mapping)

    def colormap_for(self, index: int) -> str:
        """The colour map used for the filter at position ``index``."""
        return dict(self.per_filter_colormap).get(index, self.colormap)


@dataclass(frozen=True)
class CombinedMap:
    """A map combined from two filters' maps: its definition, never its pixels.

    ``a`` and ``b`` are positions in the bank (they may be equal), ``op`` one of
    :data:`~filterstudio.core.combine.COMBINE_OPS`. ``mapping`` and ``colormap`` are the
    panel's own display choice; None means the session's default.
    """

    a: int
    b: int
    op: str
    mapping: str | None = None
    colormap: str | None = None

    def __post_init__(self) -> None:
        if self.op not in COMBINE_OPS:
            raise ValueError(
                f"Unknown way to combine maps {self.op!r}; choose {', '.join(COMBINE_OPS)}."
            )
        if self.mapping is not None and self.mapping not in MAPPINGS:
            raise ValueError(
                f"Unknown mapping {self.mapping!r}; choose one of {', '.join(MAPPINGS)}."
            )
        if min(self.a, self.b) < 0:
            raise ValueError("A combined map names filters by position, 0 or more.")


@dataclass(frozen=True)
class Session:
    """Everything a session file holds.

    ``image_path`` is the picture's path (absolute after loading), ``embedded_png`` a PNG copy
    of it, ``sample`` the name of a built-in sample picture used instead of a file, ``selected``
    the position of the selected filter, ``combined`` the combined maps in panel order.
    """

    image_path: str | None = None
    embedded_png: bytes | None = None
    sample: str | None = None
    bank: Bank = field(default_factory=Bank)
    display: DisplaySettings = field(default_factory=DisplaySettings)
    selected: int = 0
    combined: tuple[CombinedMap, ...] = ()


@dataclass(frozen=True)
class LoadedSession:
    """A loaded session, the image file it found (None if none), and notes for the user."""

    session: Session
    image_abs_path: str | None
    messages: list[str] = field(default_factory=list)


# ----------------------------------------------------------------------------------------------
# The embedded image


def encode_png(image: Any) -> bytes:
    """Encode a float image in [0, 1] as PNG: 16-bit for grey ``(H, W)``, 8-bit RGB for colour.

    Values outside [0, 1] are clipped, NaN becomes 0. A fourth (alpha) channel is dropped.

    Raises
    ------
    SessionError
        The array is not an image or is larger than an embedded image may be.
    """
    arr = np.asarray(image)
    if arr.ndim == 3 and arr.shape[2] in (1, 3, 4):
        arr = arr[:, :, 0] if arr.shape[2] == 1 else arr[:, :, :3]
    shape_ok = arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] == 3)
    if (
        not shape_ok
        or arr.size == 0
        or not np.issubdtype(arr.dtype, np.number)
        or np.iscomplexobj(arr)
    ):
        raise SessionError(
            "The image to embed must be a grey (H, W) or colour (H, W, 3) array of numbers."
        )
    if arr.shape[0] * arr.shape[1] > MAX_EMBEDDED_PIXELS:
        raise SessionError(
            f"The image is too large to embed in a session (more than "
            f"{MAX_EMBEDDED_PIXELS // 1_000_000} million pixels)."
        )
    v = np.clip(np.nan_to_num(arr.astype(np.float64), nan=0.0), 0.0, 1.0)
    if arr.ndim == 2:
        pil = Image.fromarray(np.round(v * 65535).astype(np.uint16))
    else:
        pil = Image.fromarray(np.round(v * 255).astype(np.uint8))
    buf = io.BytesIO()
    pil.save(buf, format="PNG")
    return buf.getvalue()


@contextlib.contextmanager
def _pillow_checks() -> Iterator[None]:
    """Pillow's bomb warning as an error, and its metadata complaints kept off stderr."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        yield


def _checked_png(data: bytes) -> None:
    """Raise SessionError unless ``data`` starts like a PNG of an acceptable size."""
    if not data.startswith(_PNG_MAGIC):
        raise SessionError("The image saved inside the session is not a PNG.")
    try:
        with _pillow_checks(), Image.open(io.BytesIO(data), formats=["PNG"]) as img:
            w, h = img.size
    except Exception:  # noqa: BLE001 - Pillow reports a broken header (or a bomb) in many ways
        raise SessionError("The image saved inside the session is damaged.") from None
    if w * h > MAX_EMBEDDED_PIXELS:
        raise SessionError(
            f"The image saved inside the session is {w}x{h}, larger than an embedded image may be."
        )


def decode_embedded_image(session: Session) -> np.ndarray:
    """The session's embedded PNG as float32 in [0, 1], per SPEC's pixel rules.

    16-bit grey is divided by 65535, 8-bit by 255; grey stays ``(H, W)``, anything with colour
    (palette included) becomes ``(H, W, 3)``; alpha is dropped.

    Raises
    ------
    SessionError
        There is no embedded image, or it cannot be decoded.
    """
    data = session.embedded_png
    if data is None:
        raise SessionError("This session has no image saved inside it.")
    _checked_png(data)
    try:
        with _pillow_checks(), Image.open(io.BytesIO(data), formats=["PNG"]) as img:
            img.load()
            if img.mode in ("I;16", "I;16B", "I;16L", "I"):
                return (np.asarray(img, dtype=np.float64) / 65535.0).astype(np.float32)
            if img.mode in ("1", "L", "LA", "La"):
                return np.asarray(img.convert("L"), dtype=np.float32) / np.float32(255)
            return np.asarray(img.convert("RGB"), dtype=np.float32) / np.float32(255)
    except Exception:  # noqa: BLE001 - Pillow reports broken data in many ways
        raise SessionError("The image saved inside the session is damaged.") from None


# ----------------------------------------------------------------------------------------------
# Writing


def _stored_path(image_path: str, folder: str) -> str:
    """``image_path`` relative to ``folder`` if it lies inside it, else absolute."""
    absolute = os.path.abspath(image_path)
    try:
        rel = os.path.relpath(absolute, folder)
    except ValueError:  # another drive (Windows)
        return absolute
    if rel == os.pardir or rel.startswith(os.pardir + os.sep) or os.path.isabs(rel):
        return absolute
    return PurePath(rel).as_posix()


def session_to_dict(session: Session, folder: str) -> dict:
    """The JSON form of ``session`` for a file in ``folder`` (see docs/ARCHITECTURE.md)."""
    png = session.embedded_png
    return {
        "format": FORMAT,
        "version": VERSION,
        "image": {
            "path": _stored_path(session.image_path, folder) if session.image_path else None,
            "embedded_png": base64.b64encode(png).decode("ascii") if png is not None else None,
            "sample": session.sample,
        },
        "bank": bank_to_dict(session.bank, header=False),
        "display": {
            "mapping": session.display.mapping,
            "colormap": session.display.colormap,
            "per_filter": {str(i): m for i, m in session.display.per_filter},
            "per_filter_colormap": {str(i): c for i, c in session.display.per_filter_colormap},
        },
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
    folder = os.path.dirname(os.path.abspath(os.fspath(path)))
    try:
        content = dumps(session_to_dict(session, folder))
    except ValueError as e:  # a value JSON cannot hold; the model's types should prevent it
        raise SessionError(f"The session could not be written: {e}.") from None
    write_file(path, content, overwrite=overwrite, what="session", error=SessionError)


# ----------------------------------------------------------------------------------------------
# Reading


def _optional_text(value: Any, what: str, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise SessionError(f"The {what} must be text or null, not {describe(value)}.")
    if len(value) > limit or "\x00" in value:
        raise SessionError(f"The {what} is not a usable name (too long or with a null character).")
    return value


def _embedded(value: Any) -> bytes | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise SessionError(
            f"The embedded image must be base64 text or null, not {describe(value)}."
        )
    if len(value) > (MAX_EMBEDDED_BYTES // 3 + 1) * 4:
        raise SessionError(
            "The image saved inside the session is larger than an embedded image may be."
        )
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise SessionError("The image saved inside the session is damaged (not base64).") from None
    _checked_png(data)
    return data


def _display(value: Any, n_filters: int, messages: list[str]) -> DisplaySettings:
    if not isinstance(value, dict):
        raise SessionError(f"The display settings must be an object, not {describe(value)}.")
    listed = ", ".join(MAPPINGS)

    def mapping(v: Any, where: str) -> str:
        if not isinstance(v, str):
            raise SessionError(f"The {where} must be a name ({listed}), not {describe(v)}.")
        if v not in MAPPINGS:
            raise SessionError(f"Unknown {where} {describe(v)}; choose {listed}.")
        return v

    main = mapping(value.get("mapping", "minmax"), "mapping")
    cmap = value.get("colormap", "gray")
    if not isinstance(cmap, str) or len(cmap) > MAX_NAME_LENGTH:
        raise SessionError(f"The colour map must be a name, not {describe(cmap)}.")
    if cmap not in COLORMAPS + DIVERGING_COLORMAPS:
        messages.append(f"The colour map {describe(cmap)} is not known here; grey is used instead.")
        cmap = "gray"
    per = value.get("per_filter", {})
    if per is None:
        per = {}
    if not isinstance(per, dict):
        raise SessionError(
            f"The per-filter display settings must be an object, not {describe(per)}."
        )
    pairs = []
    for key, v in per.items():
        if not isinstance(key, str) or not _INDEX.fullmatch(key):
            raise SessionError(
                f"The per-filter display settings are keyed by filter position "
                f"(0, 1, ...), not {describe(key)}."
            )
        index = int(key)
        if index >= n_filters:
            raise SessionError(
                f"The display settings name filter position {index}, but the bank "
                f"has {n_filters} filters."
            )
        pairs.append((index, mapping(v, f"mapping of filter {index}")))
    cmap_pairs = []
    per_cmap = value.get("per_filter_colormap") or {}
    if not isinstance(per_cmap, dict):
        raise SessionError(
            f"The per-filter colour maps must be an object, not {describe(per_cmap)}."
        )
    for key, v in per_cmap.items():
        if not isinstance(key, str) or not _INDEX.fullmatch(key) or int(key) >= n_filters:
            raise SessionError(
                f"The per-filter colour maps are keyed by filter position "
                f"(0 to {n_filters - 1}), not {describe(key)}."
            )
        if not isinstance(v, str) or v not in COLORMAPS + DIVERGING_COLORMAPS:
            messages.append(
                f"The colour map {describe(v)} of filter {key} is not known here; "
                "the default is used instead."
            )
            continue
        cmap_pairs.append((int(key), v))
    return DisplaySettings(
        mapping=main, colormap=cmap, per_filter=tuple(pairs), per_filter_colormap=tuple(cmap_pairs)
    )


def _selected(value: Any, n_filters: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SessionError(
            f"The selected filter must be a position (a whole number), not {describe(value)}."
        )
    if not 0 <= value < max(n_filters, 1):
        raise SessionError(
            f"The selected filter {describe(value)} is not a position in a bank "
            f"of {n_filters} filters."
        )
    return value


def _combined(value: Any, n_filters: int, messages: list[str]) -> tuple[CombinedMap, ...]:
    if value is None:
        return ()  # a session saved before combined maps were kept
    if not isinstance(value, list):
        raise SessionError(f"The combined maps must be a list, not {describe(value)}.")
    if len(value) > MAX_COMBINED:
        raise SessionError(
            f"The session holds {len(value)} combined maps; at most {MAX_COMBINED} are allowed."
        )
    ops = ", ".join(COMBINE_OPS)
    listed = ", ".join(MAPPINGS)
    combined = []
    for n, entry in enumerate(value, start=1):
        if not isinstance(entry, dict):
            raise SessionError(f"Combined map {n} must be an object, not {describe(entry)}.")
        positions = []
        for key, which in (("a", "first"), ("b", "second")):
            if key not in entry:
                raise SessionError(
                    f"Combined map {n} does not say which filter is its {which} map."
                )
            v = entry[key]
            if isinstance(v, bool) or not isinstance(v, int):
                raise SessionError(
                    f"Combined map {n}: the {which} map must be a filter position (a whole "
                    f"number), not {describe(v)}."
                )
            if not 0 <= v < n_filters:
                raise SessionError(
                    f"Combined map {n} names filter position {describe(v)}, but the bank has "
                    f"{n_filters} filters."
                )
            positions.append(v)
        op = entry.get("op")
        if not isinstance(op, str) or op not in COMBINE_OPS:
            raise SessionError(
                f"Combined map {n}: unknown way to combine maps {describe(op)}; choose {ops}."
            )
        mapping = entry.get("mapping")
        if mapping is not None and (not isinstance(mapping, str) or mapping not in MAPPINGS):
            raise SessionError(
                f"Combined map {n}: the mapping must be null or a name ({listed}), not "
                f"{describe(mapping)}."
            )
        cmap = entry.get("colormap")
        if cmap is not None and (
            not isinstance(cmap, str) or cmap not in COLORMAPS + DIVERGING_COLORMAPS
        ):
            messages.append(
                f"The colour map {describe(cmap)} of combined map {n} is not known here; the "
                "default is used instead."
            )
            cmap = None
        combined.append(CombinedMap(positions[0], positions[1], op, mapping, cmap))
    return tuple(combined)


def _path_problem(candidate: str) -> str | None:
    """Why the file at ``candidate`` may not be the session's picture; None if it may.

    ``"missing"`` when nothing is there. Only stat() is used: nothing is opened here.
    """
    try:
        info = os.stat(candidate)
    except FileNotFoundError:
        return "missing"
    except (OSError, ValueError):
        return "it cannot be looked at"
    if not stat.S_ISREG(info.st_mode):
        return "it is not a regular file"
    real_ext = os.path.splitext(os.path.realpath(candidate))[1].lower()
    if real_ext not in PICTURE_EXTENSIONS:
        return "it is a link to a file that is not a picture"
    return None


def _resolve_image(
    stored: str, folder: str, has_copy: bool, messages: list[str]
) -> tuple[str | None, str | None]:
    """(the image's absolute path or None if refused, that path if the file may be opened).

    The rule (docs/ARCHITECTURE.md, "What a session may name"): a picture file with one of the
    listed extensions; relative paths stay inside the session's folder; absolute paths are
    accepted; whatever is named must be a regular file (a link must lead to a picture file too).
    """
    text = stored.replace("\\", "/")
    pure = PurePath(text)
    name = pure.name or stored
    fallback = (
        "the copy saved inside the session is used" if has_copy
        else "the filters loaded without it"
    )
    if os.path.splitext(name)[1].lower() not in PICTURE_EXTENSIONS:
        messages.append(
            f"The session names {describe(name)} as its picture, which is not a picture file "
            f"({', '.join(PICTURE_EXTENSIONS)}), so it was not opened; {fallback}."
        )
        return None, None
    if os.path.isabs(stored) or os.path.isabs(text):
        absolute = os.path.normpath(stored)
    elif os.pardir in pure.parts or re.match(r"^[A-Za-z]:", text):
        messages.append(
            f"The session's picture path {describe(stored)} leads out of the session's folder, "
            f"so it was not opened; {fallback}."
        )
        return None, None
    else:
        absolute = os.path.normpath(os.path.join(folder, text))
    problem = _path_problem(absolute)
    if problem is None:
        return absolute, absolute
    if problem == "missing":
        # The files were sent on their own and put side by side: look next to the session.
        beside = os.path.join(folder, name)
        if _path_problem(beside) is None:
            return beside, beside
        messages.append(f"The image {name} was not found; {fallback}.")
        return absolute, None
    messages.append(f"The session's picture {name} was not opened ({problem}); {fallback}.")
    return None, None


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
    name = os.path.basename(os.fspath(path)) or os.fspath(path)
    try:
        return _load_session(path, name)
    except SessionError:
        raise
    except MemoryError:
        raise SessionError(f"There is not enough memory to open {name}.") from None
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, RecursionError):
        # A rule a value breaks that the checks above do not word yet: still one sentence.
        raise SessionError(
            f"{name} holds a value Filter Studio cannot use, so it was not opened."
        ) from None


def _load_session(path: str | os.PathLike, name: str) -> LoadedSession:
    data = read_json(path, what="session", max_bytes=MAX_FILE_BYTES, error=SessionError)
    if not isinstance(data, dict):
        raise SessionError(
            f"{name} is not a Filter Studio session (it holds {describe(data)}, not an object)."
        )
    fmt = data.get("format")
    if fmt == BANK_FORMAT:
        raise SessionError(f"{name} is a filter bank, not a session; open it as a bank.")
    if fmt != FORMAT:
        detail = "its format field is missing" if fmt is None else f"its format is {describe(fmt)}"
        raise SessionError(f"{name} is not a Filter Studio session ({detail}).")
    if "version" not in data:
        raise SessionError(f"{name} has no version number, so it cannot be read as a session.")
    check_version(data["version"], "session", SessionError)
    if "bank" not in data:
        raise SessionError(f"{name} holds no filter bank.")
    try:
        bank = bank_from_dict(data["bank"])
    except BankFormatError as e:
        raise SessionError(str(e)) from None

    image = data.get("image")
    if image is None:
        image = {}
    if not isinstance(image, dict):
        raise SessionError(f"The image entry must be an object, not {describe(image)}.")
    stored = _optional_text(image.get("path"), "image path", MAX_PATH_LENGTH)
    png = _embedded(image.get("embedded_png"))
    sample = _optional_text(image.get("sample"), "sample name", MAX_NAME_LENGTH)

    messages: list[str] = []
    display = _display(data.get("display", {}), len(bank), messages)
    selected = _selected(data.get("selected", 0), len(bank))
    combined = _combined(data.get("combined"), len(bank), messages)

    image_path = found = None
    if stored:
        folder = os.path.dirname(os.path.abspath(os.fspath(path)))
        image_path, found = _resolve_image(stored, folder, png is not None, messages)
    session = Session(
        image_path=image_path,
        embedded_png=png,
        sample=sample,
        bank=bank,
        display=display,
        selected=selected,
        combined=combined,
    )
    return LoadedSession(session, found, messages)
