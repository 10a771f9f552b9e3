"""`splatrender lod build SCENE -o OUT`: build a streamable LOD set from any readable scene."""

from __future__ import annotations

import argparse


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("lod", help="level-of-detail sets: build one from a scene")
    sub = p.add_subparsers(dest="lod_command", metavar="ACTION")
    b = sub.add_parser(
        "build",
        help="build a LOD hierarchy (manifest + quantised chunks) from a scene",
        description=(
            "Merge splats into a hierarchy (each group of FANOUT chunks collapses into one "
            "parent chunk, cheapest moment-matched pair merges first; a geometric error per "
            "chunk for the viewer's screen-space error), cut it into chunks "
            "of at most 65,536 splats (16 B/splat + 1 B per SH coefficient) and write "
            "OUT/lod.json plus OUT/chunks.bin (one file read with HTTP Range) or one file "
            "per chunk. Memory-mapped passes: RAM stays bounded for any input size."
        ),
    )
    b.add_argument(
        "scene",
        help="input scene (any format splatrender reads; a PlayCanvas streamed SOG folder or "
        "its lod-meta.json builds from the full-detail level, read one file at a time)",
    )
    b.add_argument("-o", "--output", required=True, help="output folder")
    b.add_argument("--chunk", type=int, default=None, help="splats per chunk (default 32768)")
    b.add_argument(
        "--fanout",
        type=int,
        default=None,
        help="chunks per parent chunk: each level has 1/FANOUT of the splats below (2)",
    )
    b.add_argument(
        "--render-mode",
        choices=("classic", "antialiased"),
        default="classic",
        help="the mode the set is meant for: classic parents make up for its 0.3 px^2 "
        "dilation of sub-pixel splats (default classic, the renderer's default)",
    )
    b.add_argument("--split", action="store_true", help="one file per chunk, not a bundle")
    b.add_argument("--scratch", default=None, help="folder for temporary memmaps (default OUT)")
    b.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    b.set_defaults(run=run_build)
    p.set_defaults(run=lambda args: (p.print_help(), 0)[1])


def run_build(args: argparse.Namespace) -> int:
    from splatrender.lod.build import DEFAULT_CHUNK, DEFAULT_FANOUT, build

    st = build(
        args.scene,
        args.output,
        chunk=args.chunk or DEFAULT_CHUNK,
        fanout=args.fanout or DEFAULT_FANOUT,
        render_mode=args.render_mode,
        split_files=args.split,
        scratch=args.scratch,
        progress=not args.quiet,
    )
    levels = " / ".join(f"{n:,}" for n in st.levels)
    print(
        f"{st.input_count:,} splats -> {st.chunks} chunks, levels {levels}, "
        f"{st.bytes / 1e6:.1f} MB ({st.bytes_per_splat} B/splat)"
        + (f"; dropped {st.dropped} non-finite" if st.dropped else "")
    )
    return 0
