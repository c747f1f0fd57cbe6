"""``filterstudio fit``: the kernel that turns one picture into another, printed as kernel text.

Everything it prints is a kernel file: the kernel's rows, and ``#`` comment lines for the rest
(bias, residual, verdict), so ``filterstudio fit a.png b.png > k.txt`` gives a file that
``filterstudio apply --kernel k.txt`` reads back exactly.
"""

from __future__ import annotations

import argparse
import os
import re
from typing import TYPE_CHECKING

from .options import CommandError, add_layer_options, command_parser, layer_overrides
from .output import output_must_be_free, read_picture

if TYPE_CHECKING:  # numpy is loaded when the command runs, not for --help
    import numpy as np

# Tried in this order when --padding is not given: the first whose map has AFTER's size.
_PADDINGS = ("valid", "same", "full")


def fit_parser() -> argparse.ArgumentParser:
    """The options of ``filterstudio fit``."""
    parser = command_parser(
        "fit",
        (
            "Find the kernel (and bias) whose map of BEFORE comes closest to AFTER, exactly "
            "(least squares), and print it as kernel text that --kernel reads, with the bias, "
            "the RMS residual and whether one kernel explains the change."
        ),
        (
            "Without --padding the padding is the one whose map has AFTER's size (valid, same "
            "or full). Values of AFTER at pure black or white are taken as clipped by the "
            "editor and left out, unless --keep-clipped. A colour picture paired with a grey "
            "one is compared in grey."
        ),
    )
    parser.add_argument("before", metavar="BEFORE", help="the original picture")
    parser.add_argument("after", metavar="AFTER", help="the filtered picture")
    parser.add_argument(
        "--size", "-s", default="3", metavar="K|KH,KW", help="kernel size, 1 to 15 (default 3)"
    )
    add_layer_options(parser, padding_default="AFTER's size")
    parser.add_argument(
        "--no-bias", dest="bias", action="store_false", help="fit no bias (it stays 0)"
    )
    parser.add_argument(
        "--ridge",
        type=float,
        default=0.0,
        metavar="R",
        help="weight of the squared kernel added to the mean squared residual (default 0)",
    )
    parser.add_argument("--gray", action="store_true", help="compare both pictures in grey (luma)")
    parser.add_argument(
        "--keep-clipped",
        action="store_true",
        help="count AFTER's pure black and white values too",
    )
    parser.add_argument(
        "--decimals",
        type=int,
        metavar="D",
        help="round the weights and the bias to D decimals (0 to 8) for printing and saving",
    )
    parser.add_argument("--save-bank", metavar="BANK.json", help="also write the kernel as a bank")
    parser.add_argument("--force", "-f", action="store_true", help="overwrite an existing bank")
    # The channel mode that layer_overrides reads and fit does not offer.
    parser.set_defaults(depth=False)
    return parser


def _size(text: str) -> tuple[int, int]:
    parts = [p.strip() for p in text.lower().replace("x", ",").split(",")]
    if len(parts) not in (1, 2) or not all(re.fullmatch(r"\+?\d{1,3}", p) for p in parts):
        raise CommandError(
            f"The size must be a number or two like 5,3 (rows, columns), not {text!r}."
        )
    kh, kw = int(parts[0]), int(parts[-1])
    if not (1 <= kh <= 15 and 1 <= kw <= 15):
        raise CommandError(f"The kernel size must be 1 to 15 each way, not {text!r}.")
    return kh, kw


def _pictures(before: np.ndarray, after: np.ndarray, gray: bool, notes: list[str]):
    """Both pictures with the same channels, and whether they are grey.

    Grey (luma) when asked, or when either one is grey: luma is a weighted sum of the
    channels, so a kernel shared by the channels maps luma to luma exactly as it maps colour.
    """
    from ..core.pipeline import to_luma

    if before.ndim != after.ndim and not gray:
        colour, grey = ("BEFORE", "AFTER") if before.ndim == 3 else ("AFTER", "BEFORE")
        notes.append(f"{colour} is in colour and {grey} is grey: both are compared in grey (luma)")
        gray = True
    if gray:
        return to_luma(before), to_luma(after), True
    return before, after, before.ndim == 2


def _padding_for(before, after, size, layer: dict, notes: list[str]):
    """The padding asked for, or the first whose map has AFTER's size."""
    from ..core.convolution import output_shape

    if "padding" in layer:
        return layer["padding"]
    options = dict(stride=layer.get("stride", 1), dilation=layer.get("dilation", 1))
    for name in _PADDINGS:
        if output_shape(before.shape[:2], size, padding=name, **options) == after.shape[:2]:
            if name != "valid":
                notes.append(f"padding {name}: it makes a map of AFTER's size")
            return name
    return "valid"  # the fit says what size valid padding makes


def _frame(before, size, options: dict, border_given: bool, notes: list[str]):
    """The cells that count for their window: without --border, those clear of the padding."""
    import numpy as np

    from ..core.fit import inner_cells

    if border_given:
        return None
    inner = inner_cells(before.shape, size, **options)
    if inner.all():
        return None
    if np.count_nonzero(inner) < inner.size / 2:
        notes.append(
            "most of the map reads padding, so its border rule counts: "
            f"--border {options['border']} is assumed"
        )
        return None
    notes.append(
        "cells next to the frame read padding, which an editor fills its own way: they are "
        "left out (--border says how, and counts them)"
    )
    return inner


def _mask(after, frame, keep_clipped: bool, notes: list[str]):
    """Which values of AFTER count: inside the frame, and not pure black or white."""
    import numpy as np

    from ..core.fit import unclipped

    if keep_clipped:
        return frame
    keep = unclipped(after)
    dropped = after.size - int(np.count_nonzero(keep))
    if dropped == 0:
        return frame
    share = dropped / after.size
    if share > 0.5:
        notes.append(
            f"{share:.0%} of AFTER is pure black or white, more than clipping makes: "
            "those values are counted"
        )
        return frame
    shown = f"{share:.1%}" if share >= 0.001 else "under 0.1%"
    notes.append(
        f"{shown} of AFTER's values are pure black or white (clipped) and are left out; "
        "--keep-clipped counts them"
    )
    if frame is None:
        return keep
    return keep & (frame if keep.ndim == 2 else frame[:, :, None])


def _comment(text: str) -> str:
    return "\n".join(f"# {line}" for line in text.splitlines())


def run_fit(args: argparse.Namespace) -> int:
    """Run ``filterstudio fit`` with the ``args`` :func:`fit_parser` parsed."""
    import math

    import numpy as np

    from ..core.fit import check_pair, fit_kernel_report, fit_verdict, residual_rms
    from ..core.kernels import format_kernel, format_value

    layer = layer_overrides(args)

    size = _size(args.size)
    if args.decimals is not None and not 0 <= args.decimals <= 8:
        raise CommandError(f"The decimals must be 0 to 8, not {args.decimals}.")
    if not math.isfinite(args.ridge) or args.ridge < 0:
        raise CommandError(f"The ridge must be a finite number of at least 0, not {args.ridge!r}.")
    if args.save_bank is not None:
        output_must_be_free(args.save_bank, args.force)
    notes: list[str] = []
    before, after, gray = _pictures(
        read_picture(args.before), read_picture(args.after), args.gray, notes
    )
    options = dict(
        stride=layer.get("stride", 1),
        padding=_padding_for(before, after, size, layer, notes),
        border=layer.get("border", "constant"),
        cval=layer.get("cval", 0.0),
        dilation=layer.get("dilation", 1),
    )
    check_pair(before, after, size, bias=args.bias, **options)  # the shapes, before the mask
    frame = _frame(before, size, options, "border" in layer, notes)
    mask = _mask(after, frame, args.keep_clipped, notes)
    fit = fit_kernel_report(
        before, after, size, bias=args.bias, ridge=args.ridge, mask=mask, **options
    )
    kernel, value, rms = fit.kernel, fit.bias, fit.rms
    if args.decimals is not None:
        kernel = np.round(fit.kernel.astype(np.float64), args.decimals).astype(np.float32)
        kernel[kernel == 0] = 0.0  # no "-0" in the text
        value = round(fit.bias, args.decimals) + 0.0
        rms = residual_rms(before, after, kernel, value, mask=mask, **options)
    kh, kw = kernel.shape
    bias = format_value(value)  # float32, as apply adds it: the text gives the same map
    lines = [
        f"# a {kh}x{kw} kernel that turns {os.path.basename(args.before)} into "
        f"{os.path.basename(args.after)}"
    ]
    lines += [_comment(note) for note in notes]
    lines.append(format_kernel(kernel))
    lines.append(f"# bias: {bias}" + (f" (apply it with --bias {bias})" if value else ""))
    lines.append(f"# rms residual: {rms:.3g} (the target's own spread: {fit.target_std:.3g})")
    if args.decimals is not None:
        lines.append(
            f"# weights rounded to {args.decimals} decimals; unrounded, the residual is "
            f"{fit.rms:.3g}"
        )
    if fit.sampled:
        lines.append(
            f"# fitted over {fit.equations_used:,} of {fit.equations:,} values, in bands of rows "
            "spread over the picture"
        )
    if args.save_bank is not None:
        _save(args.save_bank, args.force, kernel, float(bias), gray, options)
        lines.append(f"# wrote {args.save_bank}")
    # The sentence comes last: text that ends in a file name would be read as that file's name.
    lines.append(_comment(fit_verdict(fit, bias=args.bias)))
    print("\n".join(lines))
    return 0


def _save(path: str, force: bool, kernel, bias: float, gray: bool, options: dict) -> None:
    """The kernel as a one-filter bank file with the fit's layer settings (atomic)."""
    from ..model.bank import Bank, Filter, Layer
    from ..model.bank_io import save_bank

    kh, kw = kernel.shape
    layer = Layer(channel_mode="gray" if gray else "color", **options)
    save_bank(path, Bank((Filter(f"fitted {kh}x{kw}", kernel, bias=bias),), layer), overwrite=force)
