"""`splatrender convert IN OUT`: read any scene format, write INRIA PLY, SPZ or .splat."""

from __future__ import annotations

import argparse

# Frame each target format is assumed to be in by other tools (no marker in the file).
TARGET_AXES = {"ply": "RDF", "splat": "RDF", "spz": "RUB"}
BIG = 32 << 20  # show the progress bar from this input size up


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "convert",
        help="convert a scene between formats (writes .ply, .spz, .splat)",
        description=(
            "Read IN (format sniffed from its content), optionally cut the SH degree, and "
            "write OUT. By default the splats are turned into the axis convention OUT's "
            "format is read in by other tools (PLY/.splat right-down-forward, SPZ "
            "right-up-back); --axes overrides."
        ),
    )
    p.add_argument("input", help="input scene (any format splatrender reads)")
    p.add_argument("output", help="output file")
    p.add_argument("--sh-degree", type=int, choices=(0, 1, 2, 3), default=None)
    p.add_argument(
        "--axes",
        "--frame",  # the flag's name before 0.2; kept so scripts keep working
        dest="axes",
        choices=("RDF", "RUB"),
        default=None,
        help="axis convention to write (right-down-forward or right-up-back)",
    )
    p.add_argument(
        "--format",
        choices=("ply", "spz", "splat"),
        default=None,
        help="output format (default: from OUT's extension)",
    )
    p.add_argument("--spz-version", type=int, choices=(3, 4), default=3)
    p.add_argument(
        "--opacity",
        choices=("auto", "logit", "linear"),
        default="auto",
        help="PLY input opacity convention",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or notes")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import os
    import sys

    from tqdm import tqdm

    from splatrender.errors import FormatError
    from splatrender.formats import EXTENSIONS, _ext, load, save
    from splatrender.formats.axes import to_axes

    fmt = args.format or EXTENSIONS.get(_ext(args.output))
    if fmt not in TARGET_AXES:
        raise FormatError(args.output, "cannot tell the output format; use --format")
    size = os.path.getsize(args.input) if os.path.isfile(args.input) else 0
    bar = tqdm(
        total=3, unit="step", disable=args.quiet or size < BIG, file=sys.stderr, desc="convert"
    )
    opts = {"opacity": args.opacity} if args.opacity != "auto" else {}
    bar.set_postfix_str("read")
    s = load(args.input, **opts)
    bar.update()
    axes = args.axes or TARGET_AXES[fmt]
    if fmt == "spz" and args.spz_version == 4 and not args.axes:
        axes = s.axes  # v4 records the axes in an extension
    if axes != s.axes and not args.quiet:
        print(f"note: turning {s.axes} into {axes} for {fmt}", file=sys.stderr)
    s = to_axes(s, axes)
    if args.sh_degree is not None:
        s = s.with_sh_degree(args.sh_degree)
    bar.update()
    bar.set_postfix_str("write")
    extra = {"version": args.spz_version} if fmt == "spz" else {}
    save(s, args.output, fmt, **extra)
    bar.update()
    bar.close()
    if not args.quiet:
        print(
            f"wrote {s.count:,} splats (SH degree {s.sh_degree}, {axes}) to {args.output}",
            file=sys.stderr,
        )
    return 0
