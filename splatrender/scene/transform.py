"""An object's placement in the world: translation, rotation, scale (pure Python).

Matrices here are row-major tuples (4x4: 16 values, 3x3: 9). A placement maps object
coordinates to world: ``p_world = R (s * p) + t``. Means move with it, covariances become
``A S A^T`` with ``A = R diag(s)``, and view-dependent colour is evaluated in the
object's own frame (the view direction mapped back by ``A^-1``): for rotations and
uniform scales that is exactly the SH rotated with the object.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..errors import SplatError
from ..render.mat4 import IDENTITY, Mat4

Vec3 = tuple[float, float, float]
Quat = tuple[float, float, float, float]
# RDF <-> RUB (right-down-forward vs right-up-back): a half turn about x, its own inverse.
HALF_TURN_X: Mat4 = (1.0, 0, 0, 0, 0, -1.0, 0, 0, 0, 0, -1.0, 0, 0, 0, 0, 1.0)
MIN_SCALE = 1e-8


def finite_values(name: str, values: Sequence[float], n: int) -> tuple[float, ...]:
    try:
        v = tuple(float(x) for x in values)
    except (TypeError, ValueError):
        raise SplatError(f"{name} must be {n} numbers, got {values!r}") from None
    if len(v) != n or not all(math.isfinite(x) for x in v):
        raise SplatError(f"{name} must be {n} finite numbers, got {values!r}")
    return v


def quat_from_euler_deg(x: float, y: float, z: float) -> Quat:
    """w,x,y,z of the rotation about x, then y, then z (world axes), in degrees."""
    hx, hy, hz = (math.radians(a) / 2 for a in (x, y, z))
    cx, sx, cy, sy, cz, sz = (
        math.cos(hx), math.sin(hx), math.cos(hy), math.sin(hy), math.cos(hz), math.sin(hz)
    )  # fmt: skip
    # q = qz * qy * qx
    return (
        cz * cy * cx + sz * sy * sx,
        cz * cy * sx - sz * sy * cx,
        cz * sy * cx + sz * cy * sx,
        sz * cy * cx - cz * sy * sx,
    )


def quat_matrix(q: Sequence[float]) -> tuple[Vec3, Vec3, Vec3]:
    """Rows of the rotation of a (normalised) w,x,y,z quaternion."""
    w, x, y, z = q
    return (
        (1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)),
        (2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)),
        (2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)),
    )


@dataclass(frozen=True)
class Transform:
    """Translation, rotation (w,x,y,z quaternion, normalised here) and per-axis scale."""

    translation: Vec3 = (0.0, 0.0, 0.0)
    rotation: Quat = (1.0, 0.0, 0.0, 0.0)
    scale: Vec3 = (1.0, 1.0, 1.0)

    def __post_init__(self) -> None:
        t = finite_values("translation", self.translation, 3)
        q = finite_values("rotation (w, x, y, z)", self.rotation, 4)
        s = self.scale
        s = finite_values("scale", (s, s, s) if isinstance(s, int | float) else s, 3)
        n = math.sqrt(sum(c * c for c in q))
        if not n > 1e-12:
            raise SplatError("rotation quaternion must not be zero")
        if not all(abs(c) >= MIN_SCALE for c in s):
            raise SplatError(f"scale must not be zero (|scale| >= {MIN_SCALE}): {s}")
        object.__setattr__(self, "translation", t)
        object.__setattr__(self, "rotation", tuple(c / n for c in q))
        object.__setattr__(self, "scale", s)

    @classmethod
    def from_dict(cls, d: Mapping) -> Transform:
        """From a scene file's object entry: ``translation``, ``rotation`` ([w,x,y,z]) or
        ``rotation_deg`` ([x,y,z], about x then y then z), ``scale`` (number or 3)."""
        if not isinstance(d, Mapping):
            raise SplatError(f"a transform is an object with translation/rotation/scale: {d!r}")
        known = {"translation", "rotation", "rotation_deg", "scale"}
        extra = sorted(set(d) - known)
        if extra:
            raise SplatError(f"unknown transform key(s) {extra}; known: {sorted(known)}")
        if "rotation" in d and "rotation_deg" in d:
            raise SplatError("give rotation or rotation_deg, not both")
        rot = d.get("rotation", (1.0, 0.0, 0.0, 0.0))
        if "rotation_deg" in d:
            rot = quat_from_euler_deg(*finite_values("rotation_deg", d["rotation_deg"], 3))
        return cls(d.get("translation", (0.0, 0.0, 0.0)), rot, d.get("scale", 1.0))

    def updated(self, changes: Mapping) -> Transform:
        """This transform with the keys ``changes`` gives replaced (``from_dict``'s keys;
        ``rotation_deg`` replaces the rotation)."""
        d: dict = {"translation": self.translation, "scale": self.scale}
        if "rotation_deg" not in changes:
            d["rotation"] = self.rotation
        return Transform.from_dict({**d, **changes})

    def matrix(self) -> Mat4:
        """Object-to-world, row-major 4x4."""
        r = quat_matrix(self.rotation)
        s, t = self.scale, self.translation
        rows = [(r[i][0] * s[0], r[i][1] * s[1], r[i][2] * s[2], t[i]) for i in range(3)]
        return (*rows[0], *rows[1], *rows[2], 0.0, 0.0, 0.0, 1.0)

    @property
    def is_identity(self) -> bool:
        return self.matrix() == IDENTITY
