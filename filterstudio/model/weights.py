"""CNN weights: import them as a stage's filters and export a bank, in Keras or PyTorch layout.

Keras stores a convolution's weights as ``(kh, kw, C_in, F)``, PyTorch as ``(F, C_in, kh, kw)``.
Both libraries compute cross-correlation, as the studio does with ``flip=False``, so a kernel is
taken over as it is. For the first stage ``C_in = 3`` gives depth kernels ``(kh, kw, 3)`` that
the ``depth`` channel mode sums over RGB, and ``C_in = 1`` plain 2-D kernels. A later stage of a
stack reads the maps of the stage before, so its weights must read exactly that many
(``import_weights(..., channels=C)``, then :func:`stack_with_weights`).
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, replace

import numpy as np

from ..core.limits import MAX_STAGE_DEPTH
from ..core.npyfile import open_npz, read_npy
from ..core.pipeline import effective_kernel
from .bank import MAX_FILTERS, MAX_KERNEL_SIZE, Bank, Filter
from .bank_io import write_file
from .stack import ConvStage, Stack

LAYOUTS = ("keras", "pytorch")
#: A weights file larger than this is refused before it is read.
MAX_FILE_BYTES = 512 * 1024 * 1024
#: The largest weight array read, judged from its header (15x15x4 kernels, 8-byte values:
#: over 9,000 filters, where a first layer has at most a few hundred).
MAX_ARRAY_BYTES = 64 * 1024 * 1024
# Arrays of an .npz whose headers are looked at when no name says which holds the weights.
MAX_MEMBERS_LOOKED_AT = 64
WEIGHT_NAMES = ("weight", "weights", "kernel", "W", "w", "conv1.weight", "conv1/kernel",
                "conv1/kernel:0", "arr_0")
BIAS_NAMES = ("bias", "b", "conv1.bias", "conv1/bias", "conv1/bias:0", "arr_1")
# The smallest magnitude that rounds to infinity as a float32 (halfway past the largest float32).
_FLOAT32_LIMIT = 2.0**128 - 2.0**103


class WeightsError(ValueError):
    """Weights that cannot be imported or exported; the message is one sentence."""


class AmbiguousLayout(WeightsError):
    """The array's shape reads as Keras and as PyTorch weights: the user must choose."""


@dataclass(frozen=True)
class ImportedWeights:
    """Filters made from a weights file.

    ``layout_used`` is ``"keras"`` or ``"pytorch"``; ``channels`` is ``C_in`` (first stage,
    1: plain kernels, 3: depth kernels for the ``depth`` channel mode; a later stage's kernels are
    always ``(kh, kw, C_in)``); ``messages`` are notes for the user.
    """

    filters: tuple[Filter, ...]
    layout_used: str
    channels: int
    messages: tuple[str, ...] = ()


def _plausible(kh: int, kw: int, c_in: int, *, square: bool, channels: int | None = None) -> bool:
    fits = 1 <= kh <= MAX_KERNEL_SIZE and 1 <= kw <= MAX_KERNEL_SIZE
    fits = fits and (1 <= c_in <= 4 if channels is None else c_in == channels)
    return fits and (kh == kw or not square)


def guess_layout(shape: tuple[int, ...], channels: int | None = None) -> str:
    """``"keras"`` or ``"pytorch"`` for a 4-D weight shape, when only one reading makes sense.

    A reading makes sense when its kernel is 1..15 on a side and its ``C_in`` is 1..4 (or,
    for a later stage, ``channels``: the maps it reads); square kernels are preferred, as
    nearly every CNN uses them.

    Raises
    ------
    AmbiguousLayout
        Both readings make equal sense, e.g. ``(3, 3, 3, 3)``.
    WeightsError
        Neither does.
    """
    a, b, c, d = (int(n) for n in shape)
    for square in (True, False):
        keras = _plausible(a, b, c, square=square, channels=channels)
        torch = _plausible(c, d, b, square=square, channels=channels)
        if keras and torch:
            raise AmbiguousLayout(
                f"The weights have shape {_shape(shape)}, which reads both as Keras "
                "(kh, kw, C_in, F) and as PyTorch (F, C_in, kh, kw); choose the layout they "
                "were saved in."
            )
        if keras or torch:
            return "keras" if keras else "pytorch"
    if channels is not None:
        raise WeightsError(
            f"The weights have shape {_shape(shape)}, which reads neither as Keras (kh, kw, C_in, "
            f"F) nor as PyTorch (F, C_in, kh, kw) weights with C_in = {channels}, the maps this "
            "stage reads."
        )
    raise WeightsError(
        f"The weights have shape {_shape(shape)}, which reads neither as Keras (kh, kw, C_in, F) "
        "nor as PyTorch (F, C_in, kh, kw) first-layer weights with kernels up to "
        f"{MAX_KERNEL_SIZE}x{MAX_KERNEL_SIZE}."
    )


def _shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(int(n)) for n in shape) + ")"


def _check_layout(layout: str, *, allow_auto: bool) -> None:
    allowed = (*LAYOUTS, "auto") if allow_auto else LAYOUTS
    if layout not in allowed:
        raise WeightsError(f"Unknown layout {layout!r}; choose {', '.join(allowed)}.")


def _bias_candidates(weight_key: str) -> list[str]:
    derived = []
    for old, new in (("weight", "bias"), ("kernel", "bias"), ("arr_0", "arr_1")):
        if old in weight_key:
            derived.append(weight_key[::-1].replace(old[::-1], new[::-1], 1)[::-1])
    if weight_key.endswith("W"):
        derived.append(weight_key[:-1] + "b")
    return derived + list(BIAS_NAMES)


def _layout_of(
    shape: tuple[int, ...], layout: str, channels: int | None = None
) -> tuple[str, int, int, int, int]:
    """(layout used, kh, kw, C_in, F) for a weight array's shape, or a one-sentence refusal.

    Judged from the file's header, before any of its values are read.
    """
    if len(shape) != 4:
        raise WeightsError(f"The weights have shape {_shape(shape)}; first-layer weights "
                           "have 4 dimensions.")
    if 0 in shape:
        raise WeightsError(f"The weights have shape {_shape(shape)}, which holds no "
                           "filter.")
    used = guess_layout(shape, channels) if layout == "auto" else layout
    if used == "keras":
        kh, kw, c_in, n = shape
    else:
        n, c_in, kh, kw = shape
    if channels is not None:
        if c_in != channels:
            raise WeightsError(
                f"These weights read {c_in} maps, but the stage reads {channels} (the maps of "
                "the stage before it)."
            )
    elif c_in not in (1, 3):
        raise WeightsError(f"These weights take {c_in} input channels; Filter Studio reads 1 "
                           "(grey) or 3 (RGB).")
    if not (1 <= kh <= MAX_KERNEL_SIZE and 1 <= kw <= MAX_KERNEL_SIZE):
        raise WeightsError(f"The kernels are {kh}x{kw}; Filter Studio shows kernels up to "
                           f"{MAX_KERNEL_SIZE}x{MAX_KERNEL_SIZE}.")
    return used, int(kh), int(kw), int(c_in), int(n)


def _read_arrays(
    path: str, layout: str, channels: int | None = None
) -> tuple[np.ndarray, np.ndarray | None, list[str]]:
    """(weights, bias or None, notes) from a .npy or .npz file, headers checked before data."""
    name = os.path.basename(path) or path
    ext = os.path.splitext(path)[1].lower()
    if ext not in (".npy", ".npz"):
        raise WeightsError(f"Weights are read from .npy or .npz files, not {name}.")
    if not os.path.lexists(path):
        raise WeightsError(f"The file {name} was not found.")
    if ext == ".npy":
        weights = read_npy(
            path,
            max_bytes=MAX_ARRAY_BYTES,
            max_file_bytes=MAX_FILE_BYTES,
            check=lambda header: _layout_of(header.shape, layout, channels),
            what="weights file",
            error=WeightsError,
        )
        return weights, None, []
    with open_npz(path, max_file_bytes=MAX_FILE_BYTES, what="weights file",
                  error=WeightsError) as npz:
        keys = npz.keys
        weight_key = next((k for k in WEIGHT_NAMES if k in keys), None)
        if weight_key is None:
            weight_key = next((k for k in keys[:MAX_MEMBERS_LOOKED_AT]
                               if len(npz.header(k).shape) == 4), None)
        if weight_key is None:
            listed = ", ".join(repr(k) for k in keys[:8]) or "nothing"
            raise WeightsError(f"{name} holds no 4-D weight array (it holds {listed}).")
        _used, _kh, _kw, _c_in, n = _layout_of(npz.header(weight_key).shape, layout, channels)
        bias_key = next((k for k in _bias_candidates(weight_key)
                         if k in keys and k != weight_key), None)
        bias = None
        if bias_key is not None:
            shape = npz.header(bias_key).shape
            if len(shape) != 1 or shape[0] != n:
                raise WeightsError(f"The bias has shape {_shape(shape)}, but there are {n} "
                                   "filters.")
            bias = npz.read(bias_key, max_bytes=MAX_ARRAY_BYTES)
        weights = npz.read(weight_key, max_bytes=MAX_ARRAY_BYTES)
    notes = [f"Read the weights {weight_key!r}"
             + (f" and the bias {bias_key!r}" if bias_key else " (no bias found)")
             + f" from {name}."]
    return weights, bias, notes


def _finite(values: np.ndarray, what: str) -> np.ndarray:
    if not np.issubdtype(values.dtype, np.number) or np.iscomplexobj(values):
        raise WeightsError(f"The {what} must be real numbers, not {values.dtype}.")
    out = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(out)) or np.any(np.abs(out) >= _FLOAT32_LIMIT):
        raise WeightsError(f"The {what} hold a value that is not a finite 32-bit number.")
    return out.astype(np.float32)


def import_weights(
    path: str | os.PathLike, *, layout: str = "auto", channels: int | None = None
) -> ImportedWeights:
    """Make filters ``"conv 1"``, ``"conv 2"``, ... from a CNN layer's weights.

    Parameters
    ----------
    path : str or os.PathLike
        A ``.npy`` file with the 4-D weight array, or a ``.npz`` file with the weights under
        a name such as ``weight``, ``kernel``, ``W``, ``conv1.weight`` or ``arr_0`` (otherwise
        its first 4-D array) and optionally a 1-D bias of length F (``bias``, ``b``,
        ``conv1.bias``, ``arr_1``, or the weight's name with ``bias`` for ``weight``).
    layout : {"auto", "keras", "pytorch"}
        Keras ``(kh, kw, C_in, F)`` or PyTorch ``(F, C_in, kh, kw)``; ``"auto"`` decides from
        the shape when only one reading makes sense (see :func:`guess_layout`).
    channels : int, optional
        None: first-layer weights (``C_in`` 1 or 3). For a later stage of a stack, the number
        of maps it reads: ``C_in`` must be exactly that, and every kernel is ``(kh, kw, C_in)``.

    Returns
    -------
    ImportedWeights
        At most 16 filters (more are cut, with a note in ``messages``).

    Raises
    ------
    AmbiguousLayout
        ``layout="auto"`` and the shape reads both ways: ask the user, then call again.
    WeightsError
        Anything else that stops the import, with one sentence.

    Examples
    --------
    >>> imported = import_weights("resnet_conv1.npz", layout="pytorch")  # doctest: +SKIP
    >>> imported.filters[0].kernel.shape                                  # doctest: +SKIP
    (7, 7, 3)
    """
    _check_layout(layout, allow_auto=True)
    if channels is not None and not (
        isinstance(channels, int) and 1 <= channels <= MAX_STAGE_DEPTH
    ):
        raise WeightsError(f"A stage reads 1 to {MAX_STAGE_DEPTH} maps, not {channels!r}.")
    try:
        return _import(os.fspath(path), layout, channels)
    except WeightsError:
        raise
    except MemoryError:
        raise WeightsError("There is not enough memory to import these weights.") from None
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, RecursionError, OSError):
        name = os.path.basename(os.fspath(path)) or os.fspath(path)
        raise WeightsError(f"{name} could not be read as weights.") from None


def _import(path: str, layout: str, channels: int | None) -> ImportedWeights:
    weights, bias, messages = _read_arrays(path, layout, channels)
    used, kh, kw, c_in, n = _layout_of(weights.shape, layout, channels)
    kept = min(n, MAX_FILTERS)
    if n > kept:
        messages.append(f"The file holds {n} filters; the first {kept} were imported.")
    # (C_in, kh, kw) per filter in both layouts, then channels last as the studio keeps them.
    part = weights[..., :kept] if used == "keras" else weights[:kept]
    part = np.moveaxis(part, (3, 2, 0, 1), (0, 1, 2, 3)) if used == "keras" else part
    kernels = np.moveaxis(_finite(np.asarray(part), "weights"), 1, 3)  # (F, kh, kw, C_in)
    biases = (_finite(np.asarray(bias[:kept]), "biases") if bias is not None
              else np.zeros(kept, np.float32))
    del weights, part
    plain = c_in == 1 and channels is None  # a first layer on grey pictures: 2-D kernels
    filters = tuple(
        Filter(name=f"conv {i + 1}", kernel=k[:, :, 0] if plain else k, bias=float(b))
        for i, (k, b) in enumerate(zip(kernels, biases, strict=True))
    )
    return ImportedWeights(filters, used, int(c_in), tuple(messages))


def stack_with_weights(stack: Stack, k: int, imported: ImportedWeights) -> Stack:
    """``stack`` with conv stage ``k``'s filters replaced by imported ones (its layer kept).

    The first stage switches to the ``depth`` channel mode for 3-channel weights and leaves
    ``depth`` for ``gray`` with 1-channel weights. A later stage must read as many maps as the
    weights do (import them with ``channels=stack.maps_in(k)``). When the stack has later stages
    the imported filters take over the identities of the filters they replace, position by
    position, so that the next stage's kernels keep their slices for them.

    Raises
    ------
    WeightsError
        Stage ``k`` is not a conv stage, or the weights read another number of maps.
    """
    if not 0 <= k < len(stack.stages) or not isinstance(stack.stages[k], ConvStage):
        raise WeightsError(f"Stage {k + 1} is not a conv stage, so it takes no weights.")
    filters = imported.filters
    if len(stack.stages) > 1:
        old = stack.stages[k].filters
        filters = tuple(
            replace(f, uid=old[i].uid) if i < len(old) else f for i, f in enumerate(filters)
        )
    stage = stack.stages[k]
    layer = stage.layer
    if k == 0:
        if imported.channels == 3 and layer.channel_mode != "depth":
            layer = replace(layer, channel_mode="depth")
        elif imported.channels == 1 and layer.channel_mode == "depth":
            layer = replace(layer, channel_mode="gray")
    elif imported.channels != stack.maps_in(k):
        raise WeightsError(
            f"These weights read {imported.channels} maps, but stage {k + 1} reads "
            f"{stack.maps_in(k)} (the maps of stage {k})."
        )
    try:
        return stack.with_stage(k, stage.with_bank(Bank(filters, layer)))
    except ValueError as e:
        raise WeightsError(str(e)) from None


def export_weights(
    bank: Bank,
    path: str | os.PathLike,
    *,
    layout: str,
    channels: int | None = None,
    overwrite: bool = True,
) -> list[str]:
    """Save the bank's kernels as one CNN weight array, atomically.

    Every filter is exported, enabled or not, in bank order. All must share one kernel size.

    Parameters
    ----------
    bank : Bank
        The filters to export.
    path : str or os.PathLike
        ``.npy`` (weights only) or ``.npz`` (weights under ``kernel`` for Keras or ``weight``
        for PyTorch, and ``bias``).
    layout : {"keras", "pytorch"}
        ``(kh, kw, C_in, F)`` or ``(F, C_in, kh, kw)``.
    channels : {None, 1, 3}
        ``C_in``. By default 3 if any kernel has depth, else 1. With 3, a 2-D kernel is repeated
        on every channel: in ``depth`` mode a 2-D kernel acts as the same weights on every
        channel, summed. With 1, a depth kernel is summed over its channels, as ``gray`` mode
        applies it.
    overwrite : bool
        If False, refuse to replace an existing file.

    Returns
    -------
    list of str
        Notes for the user (e.g. biases that a ``.npy`` file cannot hold).

    Raises
    ------
    WeightsError
        With one sentence.
    """
    _check_layout(layout, allow_auto=False)
    target = os.fspath(path)
    name = os.path.basename(target) or target
    ext = os.path.splitext(target)[1].lower()
    if ext not in (".npy", ".npz"):
        raise WeightsError("Weights are saved as .npy (weights only) or .npz (weights and "
                           f"biases), not {name}.")
    if not bank.filters:
        raise WeightsError("The bank has no filters to export.")
    sizes = sorted({f.size for f in bank.filters})
    if len(sizes) > 1:
        listed = " and ".join(f"{h}x{w}" for h, w in sizes)
        raise WeightsError(f"All filters must have one size to be saved as one weight array; "
                           f"this bank has {listed}.")
    has_depth = any(f.kernel.ndim == 3 for f in bank.filters)
    if channels is None:
        channels = 3 if has_depth else 1
    if channels not in (1, 3):
        raise WeightsError(f"Weights are exported with 1 or 3 input channels, not {channels}.")
    mode = "depth" if channels == 3 else "gray"
    try:
        kernels = [effective_kernel(f.kernel, mode, channels) for f in bank.filters]
    except ValueError as e:
        raise WeightsError(str(e)) from None
    stack = np.stack([k.reshape(k.shape[0], k.shape[1], channels) for k in kernels], axis=-1)
    weights = stack if layout == "keras" else np.ascontiguousarray(stack.transpose(3, 2, 0, 1))
    weights = weights.astype(np.float32)
    biases = np.array([f.bias for f in bank.filters], dtype=np.float32)

    messages = []
    if channels == 1 and has_depth:
        messages.append("Depth kernels were summed over their channels, as grey mode applies "
                        "them.")
    buf = io.BytesIO()
    if ext == ".npy":
        np.save(buf, weights)
        if np.any(biases != 0):
            messages.append("A .npy file holds no biases; save as .npz to keep them.")
    else:
        np.savez(buf, **{"kernel" if layout == "keras" else "weight": weights, "bias": biases})
    write_file(target, buf.getvalue(), overwrite=overwrite, what="weights", error=WeightsError)
    return messages
