"""Camera paths for benchmarks: the camera moves every frame, so the sorts do real work.

Both paths are a pure function of the scene bounds, the image size and the frame
index, so repeated runs (and peers given the same eye/target) see the same views.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ..render.camera import Camera, default_up

PATHS = ("orbit", "flythrough")
ORBIT_STEP_DEG = 3.0  # yaw per frame: a steady orbit like a user's drag


def _rotate_about(v: Sequence[float], axis: Sequence[float], angle: float) -> tuple:
    """Rodrigues rotation of ``v`` about the unit ``axis``."""
    c, s = math.cos(angle), math.sin(angle)
    ax, ay, az = axis
    dot = ax * v[0] + ay * v[1] + az * v[2]
    cross = (ay * v[2] - az * v[1], az * v[0] - ax * v[2], ax * v[1] - ay * v[0])
    return tuple(v[i] * c + cross[i] * s + (ax, ay, az)[i] * dot * (1 - c) for i in range(3))


def view(
    bounds_min: Sequence[float],
    bounds_max: Sequence[float],
    axes: str,
    width: int,
    height: int,
    index: int,
    path: str = "orbit",
    frames: int = 30,
) -> tuple[tuple, tuple, tuple]:
    """(eye, target, up) of frame ``index`` of ``path`` (``frames`` long)."""
    base = Camera.framing(bounds_min, bounds_max, axes, width=width, height=height)
    return _view(base, bounds_min, bounds_max, axes, index, path, frames)


def _view(
    base: Camera,
    bounds_min: Sequence[float],
    bounds_max: Sequence[float],
    axes: str,
    index: int,
    path: str,
    frames: int,
) -> tuple[tuple, tuple, tuple]:
    """``view`` from the framing camera ``base`` of the bounds."""
    centre = tuple((a + b) / 2 for a, b in zip(bounds_min, bounds_max, strict=True))
    up = default_up(axes)
    eye0 = base.position
    off = tuple(e - c for e, c in zip(eye0, centre, strict=True))
    if path == "orbit":
        off = _rotate_about(off, up, math.radians(ORBIT_STEP_DEG * index))
        return tuple(c + o for c, o in zip(centre, off, strict=True)), centre, up
    if path == "flythrough":
        # Dolly from the framing distance to 35% of it while swinging 40 degrees, the
        # look-at point wandering around the centre: new splats enter the view.
        t = index / max(1, frames - 1)
        off = _rotate_about(off, up, math.radians(40 * t))
        k = 1 - 0.65 * t
        eye = tuple(c + k * o for c, o in zip(centre, off, strict=True))
        dist = math.sqrt(sum(o * o for o in off))
        side = _rotate_about(off, up, math.pi / 2)
        sway = 0.1 * dist * math.sin(2 * math.pi * t) / max(dist, 1e-30)
        target = tuple(c + sway * s for c, s in zip(centre, side, strict=True))
        return eye, target, up
    raise ValueError(f"unknown camera path {path!r}; choose one of {PATHS}")


def camera(
    bounds_min: Sequence[float],
    bounds_max: Sequence[float],
    axes: str,
    width: int,
    height: int,
    index: int,
    path: str = "orbit",
    frames: int = 30,
) -> Camera:
    base = Camera.framing(bounds_min, bounds_max, axes, width=width, height=height)
    eye, target, up = _view(base, bounds_min, bounds_max, axes, index, path, frames)
    return Camera.look_at(
        eye, target, up, width=width, height=height, fov_y_deg=base.fov_y_deg, near=base.near
    )
