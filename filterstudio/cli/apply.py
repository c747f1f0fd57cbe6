"""``filterstudio apply``: one picture through one kernel, or through every filter of a bank."""

from __future__ import annotations

import argparse
import os

from ..core.vocabulary import ACTIVATIONS
from .options import (
    DISPLAYS,
    CommandError,
    add_layer_options,
    command_parser,
    float32_value,
    layer_overrides,
)
from .output import (
    NewOutputs,
    describe,
    map_range,
    output_must_be_free,
    read_picture,
    save_map,
)
from .stack import STACK_HELP, add_stack_options
from .video import VIDEO_FORMATS, is_video_input

BANK_FORMATS = ("png", "jpg", "bmp", "webp", "tif", "npy")


def apply_parser() -> argparse.ArgumentParser:
    parser = command_parser(
        "apply",
        (
            "Convolve a picture with one kernel (or every filter of a bank) and write the result. "
            "A .npy output, or a .tif output without --display, holds the exact float32 values; "
            "other formats are 8-bit through --display. A video gives a video of the same frame "
            "count and rate whose frames are the 8-bit maps (.mkv is lossless). " + STACK_HELP
        ),
        (
            "A folder of pictures: 'filterstudio apply PHOTOS/ OUT/ --kernel K' writes "
            "OUT/<name>.png for every picture PHOTOS/<name>.* (.png .jpg .jpeg .bmp .tif .tiff "
            ".webp .gif; other files and sub-folders are left alone), and with --bank "
            "OUT/<filter>/<name>.png, one sub-folder per filter; --format picks the type. Maps "
            "that exist are kept unless --force, so a stopped run resumes where it stopped. "
            "Pictures are read, filtered and written on every core at once. A picture that "
            "fails is named on stderr with the reason, and the others go on. Exit status: 0 "
            "done, 1 some pictures failed, 2 a mistake in the command, 130 stopped by Ctrl+C."
        ),
    )
    parser.add_argument(
        "input",
        metavar="INPUT",
        help="the picture (or video: .mp4 .mov .avi .mkv .webm) to filter, or a folder of pictures",
    )
    parser.add_argument(
        "output",
        metavar="OUTPUT",
        help="the file to write (a video for a video: .mp4 .m4v .mov .avi .mkv); a folder with "
        "--bank or for a folder of pictures",
    )
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--kernel",
        "-k",
        metavar="K",
        help="a preset name, literal rows like '1 0 -1; 2 0 -2; 1 0 -1', or a .txt/.npy/.json file",
    )
    what.add_argument("--bank", metavar="BANK.json", help="apply every enabled filter of a bank")
    add_layer_options(parser)
    parser.add_argument(
        "--flip", action="store_true", help="true convolution: rotate the kernel 180 degrees"
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--gray", action="store_true", help="convert to luma before filtering")
    mode.add_argument(
        "--depth", action="store_true", help="one filter summed over R, G and B (channel depth)"
    )
    parser.add_argument("--bias", type=float, metavar="B", help="added after the sum")
    parser.add_argument("--activation", choices=ACTIVATIONS, help="applied after the bias")
    parser.add_argument(
        "--display", choices=DISPLAYS, help="float map to 8-bit pixels (default clip)"
    )
    parser.add_argument("--colormap", metavar="NAME", help="colour map for 8-bit outputs")
    parser.add_argument(
        "--format",
        choices=BANK_FORMATS + VIDEO_FORMATS,
        help=(
            "file format of the maps written into a folder (with --bank, or for a folder of "
            "pictures; default png; mp4 for a video)"
        ),
    )
    parser.add_argument(
        "--png-compression",
        type=png_level,
        metavar="N",
        help=(
            "PNG outputs are written as fast as they can be by default: each row filtered "
            "against its left neighbour, deflated at zlib level 1 matching runs, on every core "
            "(as OpenCV writes PNG by default, on one core). N from 0 to 9 asks for smaller "
            "files: libpng's choice of filter per row at zlib level N, on one core; at 6 they "
            "are often 30-45%% smaller and take several times as long"
        ),
    )
    parser.add_argument("--force", "-f", action="store_true", help="overwrite existing outputs")
    add_stack_options(parser)
    return parser


def png_level(text: str) -> int:
    if text.strip() in {str(n) for n in range(10)}:
        return int(text)
    raise argparse.ArgumentTypeError(f"the PNG compression level is 0 to 9, not {text!r}")


def run_apply(args: argparse.Namespace) -> int:
    if is_video_input(args.input):  # a video: every frame, into videos (cli/video.py)
        from .video import run_video

        return run_video(args)

    from ..core.imageio import save_format
    from ..core.pipeline import apply_filter
    from ..model.bank import Layer

    float32_value(args.bias, "bias")
    overrides = layer_overrides(args)
    if os.path.isdir(args.input):
        from ..model.bank import Filter
        from .folder import run_folder

        kernel_filter = None
        if args.kernel is not None:
            kernel_filter = Filter(
                name=args.kernel if os.path.basename(args.kernel) == args.kernel else "kernel",
                kernel=read_kernel(args.kernel),
                bias=args.bias or 0.0,
                activation=args.activation or "none",
            )
        return run_folder(args, overrides, kernel_filter)
    if args.bank is not None:
        from .stack import apply_stack

        done = apply_stack(args, overrides)  # a stack runs whole; one stage goes on below
        return apply_bank(args, overrides) if done is None else done

    layer = Layer(**overrides)  # checks every setting before any work is done
    kernel = read_kernel(args.kernel)
    save_format(args.output)
    output_must_be_free(args.output, args.force)
    image = read_picture(args.input)
    result = apply_filter(
        image,
        kernel,
        bias=args.bias or 0.0,
        activation=args.activation or "none",
        channel_mode=layer.channel_mode,
        flip=args.flip,
        **layer.conv_kwargs(),
    )
    del image  # the picture is not needed while the map is encoded: a peak of memory less
    value_range = map_range(result, "map")
    save_map(args, args.output, result, f"wrote {args.output} ({describe(result, value_range)})")
    return 0


def read_kernel(spec: str):
    """The kernel ``--kernel`` names: a preset, literal rows, or a kernel file."""
    from ..core.kernels import find_preset

    preset = find_preset(spec)
    if preset is not None:  # what parse_kernel returns for a preset name, without its parser
        return preset.kernel.copy()
    from ..core.parse import parse_kernel

    return parse_kernel(spec)


def apply_bank(args: argparse.Namespace, overrides: dict) -> int:
    import dataclasses

    from ..core.pipeline import apply_filter, prepare_input
    from ..model.bank_io import load_bank

    bank = load_bank(args.bank)
    layer = dataclasses.replace(bank.layer, **overrides)
    filters = [f for f in bank.filters if f.enabled]
    if not filters:
        raise CommandError(f"The bank {args.bank!r} has no enabled filter to apply.")
    folder = args.output
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise CommandError(f"{folder!r} is a file; with --bank the output is a folder.")
    from ..core.filenames import unique_names

    targets = [
        os.path.join(folder, f"{stem}.{args.format or BANK_FORMATS[0]}")
        for stem in unique_names(f.name for f in filters)
    ]
    if not args.force:
        for target in targets:
            if os.path.lexists(target):
                raise CommandError(f"{target!r} exists; use --force to overwrite it.")

    image = read_picture(args.input)
    prepared = prepare_input(image, layer.channel_mode)
    # Every map is computed before anything is written: a filter that fails leaves no files.
    results = [
        apply_filter(
            prepared,
            f.kernel,
            bias=f.bias if args.bias is None else args.bias,
            activation=f.activation if args.activation is None else args.activation,
            channel_mode=layer.channel_mode,
            flip=args.flip,
            prepared=True,
            **layer.conv_kwargs(),
        )
        for f in filters
    ]
    del image, prepared
    ranges = [map_range(result, f"map of {flt.name!r}") for flt, result in zip(filters, results)]
    # Leave no half-written bank behind: a failure removes what this run created.
    with NewOutputs(args) as outputs:
        outputs.folder(folder)
        for flt, target, result, value_range in zip(filters, targets, results, ranges):
            summary = describe(result, value_range)
            outputs.save(target, result, f"wrote {target} ({flt.name}: {summary})")
    return 0
