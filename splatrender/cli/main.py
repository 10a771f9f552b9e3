"""`splatrender` command line: one module per subcommand in this package.

Each subcommand module defines ``add_parser(subparsers)`` (registering its parser
with ``set_defaults(run=...)``) and keeps heavy imports inside its ``run`` function,
so that ``splatrender --help`` starts fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from . import _args

# (module in splatrender.cli) in the order --help lists them.
COMMANDS = ("render", "view", "info", "convert", "serve", "web", "lod", "bench", "adapters")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="splatrender",
        description="Gaussian-splat rendering on WebGPU: render, view, convert, serve, bench.",
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            mod = importlib.import_module(f"splatrender.cli.{name}")
        except ModuleNotFoundError as e:
            if e.name == f"splatrender.cli.{name}":
                continue  # subcommand not built into this install
            raise
        mod.add_parser(sub)
    return parser


def _version() -> str:
    from splatrender import __version__

    return f"splatrender {__version__}"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(_args.join_negative_values(sys.argv[1:] if argv is None else argv))
    if not getattr(args, "run", None):
        parser.print_help()
        return 0
    from splatrender.errors import SplatError

    try:
        return int(args.run(args) or 0)
    except SplatError as e:
        print(f"splatrender: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
