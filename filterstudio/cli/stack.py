"""``filterstudio apply --bank`` with a stack: every stage's maps, one folder per stage.

A bank file of version 2 holds later stages (``model.stack_io``). ``apply`` then runs the whole
stack and writes stage ``k``'s maps into ``FOLDER/stage<k>/`` (``stage1`` is the bank's own
maps), or with ``--last-stage`` only the last stage's maps, straight into ``FOLDER``. A bank of
one stage is left to ``apply.apply_bank``, which writes as it always did.
"""

from __future__ import annotations

import argparse
import os

from .options import CommandError
from .output import NewOutputs, describe, finite_map, read_picture

__all__ = ["STACK_HELP", "add_stack_options", "apply_stack"]

STACK_HELP = (
    "A bank file with later stages (a stack: conv and pooling stages after the bank) runs as a "
    "whole: stage k's maps go to FOLDER/stage<k>/, or only the last stage's straight into FOLDER "
    "with --last-stage. The layer options, --bias and --activation then change the first stage "
    "only."
)


def add_stack_options(parser: argparse.ArgumentParser) -> None:
    """The options ``apply`` takes for a stack."""
    parser.add_argument(
        "--last-stage",
        action="store_true",
        help="with a stack, write only the last stage's maps, straight into the folder",
    )


def _first_stage(stack, args: argparse.Namespace, overrides: dict):
    """The stack with the command line's changes to its first stage (only those given)."""
    import dataclasses

    if args.flip:
        raise CommandError(
            "--flip turns one kernel or one bank; a stack's kernels are used as they are saved."
        )
    bank = stack.bank
    filters = tuple(
        dataclasses.replace(
            f,
            bias=f.bias if args.bias is None else args.bias,
            activation=f.activation if args.activation is None else args.activation,
        )
        for f in bank.filters
    )
    new = dataclasses.replace(
        bank, filters=filters, layer=dataclasses.replace(bank.layer, **overrides)
    )
    changed = stack.with_bank(new)
    if changed.maps_out(0) != stack.maps_out(0):
        raise CommandError(
            f"That channel mode gives stage 2 {changed.maps_out(0)} maps instead of "
            f"{stack.maps_out(0)}; change the channel mode in the stack file instead."
        )
    return changed


def _targets(stack, maps: list[dict], folder: str, fmt: str, last_only: bool) -> list:
    """``(path, stage number, label, map)`` for every map to write, in stage order."""
    from ..core.filenames import unique_names

    first = len(stack.stages) - len(maps)
    out = []
    for offset, stage_maps in enumerate(maps):
        k = first + offset
        labels = dict(zip(stack.map_keys(k), stack.map_labels(k)))
        keys = [key for key in stack.map_keys(k) if key in stage_maps]
        where = folder if last_only else os.path.join(folder, f"stage{k + 1}")
        stems = unique_names(labels[key] for key in keys)
        for key, stem in zip(keys, stems):
            out.append((os.path.join(where, f"{stem}.{fmt}"), k + 1, labels[key], stage_maps[key]))
    return out


def apply_stack(args: argparse.Namespace, overrides: dict) -> int | None:
    """Run ``args.bank`` as a stack and write its maps; None when the bank has one stage."""
    from ..compute.stagework import run_stack
    from ..model.stack_io import load_stack

    stack = load_stack(args.bank)
    if len(stack.stages) == 1:
        return None
    stack = _first_stage(stack, args, overrides)
    folder = args.output
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise CommandError(f"{folder!r} is a file; with --bank the output is a folder.")
    image = read_picture(args.input)
    # Every map is computed before anything is written: a stage that fails leaves no files.
    maps = run_stack(image, stack, keep_all=not args.last_stage)
    del image
    if not maps[-1]:
        raise CommandError(f"The last stage of {args.bank!r} has no enabled filter to apply.")
    targets = _targets(stack, maps, folder, args.format or "png", args.last_stage)
    if not args.force:
        for path, *_ in targets:
            if os.path.lexists(path):
                raise CommandError(f"{path!r} exists; use --force to overwrite it.")
    for _path, number, label, values in targets:
        finite_map(values, f"map of {label!r} in stage {number}")
    # Leave no half-written stack behind: a failure removes what this run created.
    with NewOutputs(args) as outputs:
        for path, number, label, values in targets:
            outputs.folder(folder)
            outputs.folder(os.path.dirname(path))
            outputs.save(
                path, values, f"wrote {path} (stage {number}, {label}: {describe(values)})"
            )
    return 0
