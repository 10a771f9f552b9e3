"""Which way is up: the file's convention, a guess from the splats, or the user's choice.

A file's axis convention (``axes``) names the frame its writer meant, and for SPZ and
glTF the format fixes it (y up). The PLY family (INRIA and compressed PLY, ``.splat``,
``.ksplat``) and SOG only say "right, down, forward" by habit: COLMAP's world frame is
wherever the reconstruction put it, and converters often copy a y-up scene into a PLY
unchanged, so such a file can open upside down. For those, ``guess_up`` looks at the
heights of the splats along the convention's up (the sample the framing bounds use):

- captured scenes stand on something (a floor, the ground, a stand): the splats pile
  up at the bottom of the height range and thin out upwards, so the heights have a long
  tail upwards (positive skewness) and their median sits in the lower half;
- when both signs say the opposite clearly (skewness below ``-FLIP_SKEW`` and the median
  above ``FLIP_MEDIAN`` of the range), the scene is taken to be upside down and up is
  flipped. Otherwise the convention stands.

It fails on scenes heavier at the top than at the bottom (a bouquet or a tree with its
crown, a hanging lamp, a ceiling denser than the floor), which it turns upside down, and
on files whose up is another axis (z-up exports), which it cannot see: it only chooses
the sign along the convention's vertical axis. ``--up`` (``view``, ``render``), the ``u``
key and the ``up`` attribute of ``<splat-viewer>`` override it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import SplatError
from ..render.camera import default_up as convention_up

Vec3 = tuple[float, float, float]

FLIP_SKEW = 0.4
FLIP_MEDIAN = 0.55
GUESS_MIN_SAMPLES = 100
# Formats whose specification fixes the frame (no guess): SPZ and glTF are y-up.
DECLARED = ("spz", "gltf", "glb")
AXIS_UP: dict[str, Vec3] = {
    f"{sign}{name}": tuple(float(s * (i == k)) for k in range(3))  # type: ignore[misc]
    for i, name in enumerate("xyz")
    for sign, s in (("+", 1), ("-", -1))
}


def parse_up(text: str) -> Vec3:
    """``+y``, ``-z``, ``y`` (= ``+y``), ... or a vector ``x,y,z`` (normalised)."""
    t = text.strip().lower().replace(" ", "")
    if t in AXIS_UP:
        return AXIS_UP[t]
    if t in ("x", "y", "z"):
        return AXIS_UP["+" + t]
    try:
        v = [float(c) for c in t.split(",")]
    except ValueError:
        v = []
    n = math.sqrt(sum(c * c for c in v)) if len(v) == 3 else 0.0
    if not (n > 1e-12 and math.isfinite(n)):
        raise SplatError(f"up must be one of +x -x +y -y +z -z (or a vector x,y,z): {text!r}")
    return (v[0] / n, v[1] / n, v[2] / n)


def up_label(up: Sequence[float]) -> str:
    """``"-y"`` for an axis, else the vector to 3 decimals."""
    for label, axis in AXIS_UP.items():
        if all(abs(a - b) < 1e-6 for a, b in zip(up, axis, strict=True)):
            return label
    return ",".join(f"{c:.3f}" for c in up)


@dataclass(frozen=True)
class Upright:
    """The up a scene is shown with and how it was chosen (for the HUD and ``info``)."""

    up: Vec3
    how: str  # "file", "guess", "flipped by guess", "user"
    why: str = ""

    @property
    def label(self) -> str:
        return up_label(self.up)

    def describe(self) -> str:
        return f"{self.label} ({self.how}{': ' + self.why if self.why else ''})"

    def chosen(self, up: Vec3) -> Upright:
        """This scene shown with ``up`` instead, chosen by the user."""
        return Upright(tuple(up), "user")  # type: ignore[arg-type]

    def flipped(self) -> Upright:
        return self.chosen(tuple(-c for c in self.up))  # type: ignore[arg-type]

    def next_axis(self) -> Upright:
        """+x -> +y -> +z -> +x (from any up, the next axis after the largest component)."""
        k = max(range(3), key=lambda i: abs(self.up[i]))
        return self.chosen(AXIS_UP["+" + "xyz"[(k + 1) % 3]])


def height_stats(points: Sequence[Sequence[float]], up: Vec3) -> tuple[float, float, int]:
    """(skewness, median position in 0..1 of the range) of the heights along ``up`` of
    the points, over the 1st-99th percentile of the heights; and how many were used."""
    h = sorted(p[0] * up[0] + p[1] * up[1] + p[2] * up[2] for p in points)
    n = len(h)
    if n < 3:
        return 0.0, 0.5, n
    lo, hi = h[n // 100], h[n - 1 - n // 100]
    h = [v for v in h if lo <= v <= hi]
    n = len(h)
    mean = sum(h) / n
    var = sum((v - mean) ** 2 for v in h) / n
    if not var > 0:
        return 0.0, 0.5, n
    skew = sum((v - mean) ** 3 for v in h) / n / var**1.5
    median = h[n // 2] if n % 2 else 0.5 * (h[n // 2 - 1] + h[n // 2])
    return skew, (median - lo) / (hi - lo), n


def guess_up(points: Sequence[Sequence[float]], axes: str, fmt: str) -> Upright:
    """The up to show a scene with, from a sample of its (solid) splat centres."""
    up = convention_up(axes)
    if fmt in DECLARED:
        return Upright(up, "file", f"{fmt} is {axes}")
    skew, median, n = height_stats(points, up)
    if n < GUESS_MIN_SAMPLES:
        return Upright(up, "file", f"{axes}; too few splats to check")
    why = f"heights skew {skew:+.2f}, median at {median:.2f} of the range"
    if skew < -FLIP_SKEW and median > FLIP_MEDIAN:
        return Upright(tuple(-c for c in up), "flipped by guess", why)  # type: ignore[arg-type]
    return Upright(up, "guess", f"{axes} kept, {why}")


def resolve_up(scene_upright: Upright, flag: str | Sequence[float] | None) -> Upright:
    """The scene's own up, unless the user gave one (``--up``, the ``up`` attribute)."""
    if flag is None or flag == "" or flag == "auto":
        return scene_upright
    up = parse_up(flag) if isinstance(flag, str) else parse_up(",".join(map(str, flag)))
    return scene_upright.chosen(up)
