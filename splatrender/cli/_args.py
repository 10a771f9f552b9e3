"""Argument parsers shared by subcommands (sizes, vectors, colours)."""

from __future__ import annotations

import argparse


def size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, got {text!r}") from None
    if w < 1 or h < 1 or w > 16384 or h > 16384:
        raise argparse.ArgumentTypeError(f"size must be within 1..16384 per side: {text!r}")
    return w, h


def vec3(text: str) -> tuple[float, float, float]:
    try:
        v = tuple(float(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected x,y,z, got {text!r}") from None
    if len(v) != 3:
        raise argparse.ArgumentTypeError(f"expected three comma-separated numbers: {text!r}")
    return v  # type: ignore[return-value]


def up(text: str) -> tuple[float, float, float]:
    """An up direction: +x -x +y -y +z -z (y = +y) or a vector x,y,z."""
    from ..errors import SplatError
    from ..scene.upright import parse_up

    try:
        return parse_up(text)
    except SplatError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


UP_HELP = (
    "which way is up: +x -x +y -y +z -z or x,y,z (default: the file's, or a guess for "
    "the PLY family and SOG; README 'Orientation')"
)


# Options whose values may start with "-": argparse takes "--up -y" for two options
# (an argparse limitation), so "--up -y" is rewritten to "--up=-y" before parsing.
DASHED_VALUES = ("--up",)


def join_negative_values(argv: list[str]) -> list[str]:
    out: list[str] = []
    it = iter(argv)
    for a in it:
        if a in DASHED_VALUES:
            v = next(it, None)
            out.append(a if v is None else f"{a}={v}")
        else:
            out.append(a)
    return out


def color(text: str) -> tuple[float, float, float]:
    """r,g,b in 0..1 (or 0..255 if any component exceeds 1)."""
    c = vec3(text)
    if any(v > 1 for v in c):
        c = tuple(v / 255 for v in c)  # type: ignore[assignment]
    if any(not 0 <= v <= 1 for v in c):
        raise argparse.ArgumentTypeError(f"colour components must be in 0..1 or 0..255: {text!r}")
    return c
