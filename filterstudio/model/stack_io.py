"""A stack's JSON form: the bank (version 1) plus its later stages (version 2), read strictly.

A bank file or a session's ``bank`` object holds the first stage as it always did; a stack with
later stages adds ``"stages"``, one object per later stage, and is written as version 2:

```json
{"format": "filterstudio-bank", "version": 2,
 "layer": {...}, "filters": [...],
 "stages": [{"kind": "pool", "mode": "max", "size": [2, 2], "stride": null, "padding": [0, 0]},
            {"kind": "conv", "layer": {"stride": [1, 1], "padding": "valid", "border": "constant",
                                       "cval": 0.0, "dilation": [1, 1]},
             "filters": [{"name": "conv3 1", "kernel": [[[0.1, ...], ...], ...], "bias": 0.0,
                          "activation": "relu", "enabled": true}]}]}
```

A later conv stage's kernels are nested ``[kh][kw][C]`` with ``C`` the number of maps the stage
reads (``model.stack``). A one-stage stack is written as version 1, byte for byte what a bank
file always was, so programs that read version 1 keep reading it.
"""

from __future__ import annotations

import os
from typing import Any

from ..core.limits import MAX_STAGE_DEPTH, MAX_STAGES, MAX_STRIDE
from .bank import MAX_FILTERS, Bank
from .bank_io import (
    VERSION,
    BankFormatError,
    _choice,
    _fail,
    _filter,
    _layer,
    _pair,
    bank_file_data,
    bank_from_dict,
    bank_to_dict,
    describe,
    dumps,
    write_file,
)
from .jsonfile import load_guarded
from .stack import MAX_POOL_SIZE, POOL_MODES, ConvStage, PoolStage, Stack

__all__ = [
    "load_stack",
    "save_stack",
    "stack_from_dict",
    "stack_to_dict",
    "stages_from_list",
    "stages_to_list",
]


def _layer_of_later(stage: ConvStage) -> dict:
    layer = bank_to_dict(stage.bank, header=False)["layer"]
    del layer["channel_mode"]  # a later stage always sums over every map it reads
    return layer


def stages_to_list(stack: Stack) -> list[dict]:
    """The JSON form of ``stack``'s later stages (everything after the bank)."""
    out = []
    for s in stack.stages[1:]:
        if isinstance(s, PoolStage):
            out.append(
                {
                    "kind": "pool",
                    "mode": s.mode,
                    "size": list(s.size),
                    "stride": None if s.stride is None else list(s.stride),
                    "padding": list(s.padding),
                }
            )
        else:
            out.append(
                {
                    "kind": "conv",
                    "layer": _layer_of_later(s),
                    "filters": bank_to_dict(s.bank, header=False)["filters"],
                }
            )
    return out


def stack_to_dict(stack: Stack, *, header: bool = True) -> dict:
    """The JSON form of ``stack``: version 1 for one stage, version 2 with ``stages`` after it.

    ``header`` includes ``format`` and ``version`` (a file); a session embeds it without them.
    """
    out = bank_to_dict(stack.bank, header=header)
    if len(stack.stages) > 1:
        if header:
            out["version"] = VERSION
        out["stages"] = stages_to_list(stack)
    return out


def _pool(value: dict, where: str) -> PoolStage:
    mode = _choice(value.get("mode", "max"), where, "the pooling mode", POOL_MODES)
    size = _pair(value.get("size", 2), where, "the window", 1, MAX_POOL_SIZE)
    stride = value.get("stride")
    if stride is not None:
        stride = _pair(stride, where, "the stride", 1, MAX_STRIDE)
    padding = _pair(value.get("padding", 0), where, "the padding", 0, MAX_POOL_SIZE)
    try:
        return PoolStage(mode=mode, size=size, stride=stride, padding=padding)
    except ValueError as e:
        msg = str(e).rstrip(".")
        raise _fail(where, msg[:1].lower() + msg[1:]) from None


def _conv(value: dict, number: int) -> ConvStage:
    prefix = f"Stage {number}, "
    filters = value.get("filters")
    if not isinstance(filters, list) or not filters:
        raise BankFormatError(f"Stage {number} is a conv stage and needs a list of filters.")
    if len(filters) > MAX_FILTERS:
        raise BankFormatError(
            f"Stage {number} has {len(filters)} filters; a stage holds at most {MAX_FILTERS}."
        )
    layer = _layer(value.get("layer", {}), prefix)
    made = tuple(
        _filter(f, i, max_depth=MAX_STAGE_DEPTH, stage=prefix) for i, f in enumerate(filters, 1)
    )
    return ConvStage(Bank(made, layer))


def stages_from_list(bank: Bank, value: Any) -> Stack:
    """The stack of ``bank`` followed by the later stages described by ``value`` (a list)."""
    if value is None:
        return Stack.of(bank)
    if not isinstance(value, list):
        raise BankFormatError(f"The later stages must be a list, not {describe(value)}.")
    if len(value) + 1 > MAX_STAGES:
        raise BankFormatError(
            f"The stack has {len(value) + 1} stages; a stack holds at most {MAX_STAGES}."
        )
    stages: list = [ConvStage(bank)]
    for number, entry in enumerate(value, 2):
        if not isinstance(entry, dict):
            raise BankFormatError(f"Stage {number} must be an object, not {describe(entry)}.")
        kind = entry.get("kind")
        if kind == "pool":
            stages.append(_pool(entry, f"Stage {number}"))
        elif kind == "conv":
            stages.append(_conv(entry, number))
        else:
            raise BankFormatError(
                f"Stage {number} must say its kind, conv or pool, not {describe(kind)}."
            )
    try:
        return Stack(tuple(stages))
    except ValueError as e:  # depths that do not match what a stage reads, and the like
        raise BankFormatError(str(e)) from None


def stack_from_dict(d: Any, *, version: int | None = None) -> Stack:
    """Read a stack from its JSON form (a bank file's, or a session's ``bank`` object).

    ``version`` is the file's when ``d`` carries none (a session's bank); ``stages`` is read
    from version 2 on and ignored in version 1, as unknown keys are.

    Raises
    ------
    BankFormatError
        With one sentence saying what is wrong and where, e.g.
        ``"Stage 3 reads 4 maps, so each of its kernels needs depth 4; 'conv3 1' is 3x3x2."``
    """
    bank = bank_from_dict(d)  # checks the format, the version and the first stage
    v = d.get("version", version)
    if v is None or v < 2:
        return Stack.of(bank)
    return stages_from_list(bank, d.get("stages"))


def save_stack(path: str | os.PathLike, stack: Stack, *, overwrite: bool = True) -> None:
    """Save ``stack`` as a bank file, atomically (version 1 when it has one stage).

    Raises
    ------
    BankFormatError
        The file exists and ``overwrite`` is False, or the file system refused the write.
    """
    content = dumps(stack_to_dict(stack))
    write_file(path, content, overwrite=overwrite, what="bank", error=BankFormatError)


def load_stack(path: str | os.PathLike) -> Stack:
    """Load a bank file: version 1 (one stage) or version 2 (a stack).

    Raises :class:`BankFormatError`, with one sentence, wherever :func:`load_bank` does.
    """
    return load_guarded(_load, path, BankFormatError)


def _load(path: str | os.PathLike, name: str) -> Stack:
    return stack_from_dict(bank_file_data(path, name))
