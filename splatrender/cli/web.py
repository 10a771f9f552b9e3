"""`splatrender web fetch-runtime | export DIR`: the web viewer's runtime and static copies."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_site_options(p: argparse.ArgumentParser) -> None:
    """Where the page takes Pyodide from (shared by ``serve`` and ``web export``)."""
    g = p.add_mutually_exclusive_group()
    g.add_argument(
        "--cdn",
        action="store_true",
        help="load Pyodide and fzstd from jsDelivr even when a local copy is cached",
    )
    g.add_argument(
        "--runtime",
        type=Path,
        metavar="DIR",
        help="a folder with the Pyodide runtime files (default: the cached copy, "
        "see `splatrender web fetch-runtime`)",
    )


def site_from(args: argparse.Namespace):
    """The :class:`splatrender.web.site.Site` these options ask for."""
    from ..errors import SplatError
    from ..web.site import assemble

    try:
        return assemble(args.runtime, args.cdn)
    except FileNotFoundError as e:
        raise SplatError(str(e)) from None


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("web", help="the web viewer: fetch its runtime, export it")
    sub = p.add_subparsers(dest="web_command", metavar="ACTION")
    f = sub.add_parser(
        "fetch-runtime",
        help="cache Pyodide and fzstd so that `serve` and `export` work offline",
        description="Download the pinned Pyodide and fzstd npm packages from the npm registry "
        "(no npm needed), check their SHA-512 and keep the files the page loads in the "
        "user cache ($SPLATRENDER_CACHE, else ~/.cache/splatrender). Prints the folder.",
    )
    f.add_argument("--force", action="store_true", help="download again even if cached")
    f.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    f.set_defaults(run=run_fetch)
    e = sub.add_parser(
        "export",
        help="write the viewer as a static folder to put on any web host",
        description="Write index.html, splat-viewer.js, the browser wheel, config.json and "
        "(when cached, or with --runtime) the Pyodide runtime into DIR. Scenes are not "
        "copied: open them with DIR/index.html?src=URL or <splat-viewer src=...>.",
    )
    e.add_argument("dir", type=Path, metavar="DIR", help="output folder")
    add_site_options(e)
    e.set_defaults(run=run_export)
    p.set_defaults(run=lambda args: (p.print_help(), 0)[1])


def run_fetch(args: argparse.Namespace) -> int:
    from ..web.runtime import fetch_runtime

    print(fetch_runtime(force=args.force, progress=not args.quiet))
    return 0


def run_export(args: argparse.Namespace) -> int:
    site = site_from(args)
    print(site.runtime_note, file=sys.stderr)
    print(site.export(args.dir))
    return 0
