"""`splatrender view SCENE`: open the scene in a window (or render a PNG without a display)."""

from __future__ import annotations

import argparse

from . import _args

KEYS = """\
controls:
  left drag      orbit (fly mode: look around)    Tab   toggle fly mode
  right/middle   pan                              F     frame the scene
  wheel / pinch  dolly                            R     reset the view
  W A S D        move (Q/E down/up, Shift faster) 1-9   cameras of --cameras
  arrow keys     orbit (fly mode: move and turn)  + -   field of view
  U              turn upside down                 Shift+U  up is the next axis (x, y, z)
  H  HUD    P  screenshot PNG next to the scene    drop a file on the window to open it
"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "view",
        help="open a scene in a window",
        description="Open a scene (any readable file, a LOD set folder, or an http(s) URL) in a "
        "window. Without a display, renders the start view to a PNG next to the scene.",
        epilog=KEYS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "scene",
        nargs="*",
        help="scene file, folder, LOD set, http(s) URL or scene file (.json); several are "
        "drawn together",
    )
    p.add_argument("--cameras", metavar="FILE", help="INRIA cameras.json: keys 1-9 jump to them")
    p.add_argument("--size", default="1280x720", metavar="WxH", help="window size (logical px)")
    p.add_argument("--mode", choices=("classic", "antialiased"), default="classic")
    p.add_argument("--adapter", help="use the adapter whose name contains this")
    p.add_argument("--budget", type=int, metavar="N", help="splats drawn from a LOD set")
    p.add_argument("--up", type=_args.up, help=_args.UP_HELP)
    p.add_argument(
        "--background", default="0,0,0", metavar="R,G,B", help="background colour, 0-1 each"
    )
    p.set_defaults(run=run)


def _size(text: str) -> tuple[int, int]:
    from ..errors import SplatError

    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise SplatError(f"--size must look like 1280x720, got {text!r}") from None
    if not (16 <= w <= 16384 and 16 <= h <= 16384):
        raise SplatError(f"--size {w}x{h} is outside 16..16384")
    return w, h


def _colour(text: str) -> tuple[float, float, float]:
    from ..errors import SplatError

    try:
        r, g, b = (float(v) for v in text.split(","))
    except ValueError:
        raise SplatError(f"--background must look like 0,0,0, got {text!r}") from None
    return r, g, b


def run(args: argparse.Namespace) -> int:
    from ..viewer.app import ViewerOptions
    from ..viewer.app import run as run_viewer

    opts = ViewerOptions(
        size=_size(args.size),
        mode=args.mode,
        cameras=args.cameras,
        background=_colour(args.background),
        adapter=args.adapter,
        lod_budget=args.budget,
        up=args.up,
    )
    if args.cameras:
        from ..viewer.app import load_cameras

        load_cameras(args.cameras)  # fail early, before a window opens
    scene = args.scene if len(args.scene) != 1 else args.scene[0]
    return run_viewer(scene or None, opts)
