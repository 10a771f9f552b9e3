"""WebXR geometry for the page: where the scene stands in the room, and each eye's camera
(pure Python, no numpy; ``ViewerApp``'s WebXR section and ``static/xr.js`` use it).

An XR reference space (``local-floor``, else ``local``) is y-up, in metres, with the
viewer looking down -z. The scene is placed by a similarity ``p_xr = s R (p - c) + T``:
``R`` turns the scene's up (``info.up``) onto +y and its default viewing side (the one
``Camera.framing`` looks from) towards the viewer (+z), ``c`` is the centre of its framing
bounds, ``s`` scales the largest side of those bounds to ``XR_SIZE`` metres (or is the
``xr-scale`` attribute, metres per scene unit), and ``T`` puts the centre ``XR_GAP``
metres beyond the near face of the scaled bounds, at ``XR_HEIGHT`` above the floor
(``local``: that far below the head, whose height it takes as ``XR_EYE_HEIGHT``).

An XR view gives a rigid ref-to-eye matrix and a projection matrix, both column-major
4x4 (OpenGL: x right, y up, z back; clip depth -1..1). ``eye_camera`` turns them into
splatrender's ``Camera`` in scene units (x right, y down, z forward): the placement's
scale divides out of the pose, so the camera stays rigid (its SH view directions and
depths are the scene's) and the picture is the same as the scaled scene's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import SplatError
from ..render.camera import Camera, default_back
from ..render.mat4 import cross, dot, unit

XR_SIZE = 1.5  # metres: the largest side of the scene's framing bounds
XR_GAP = 1.25  # metres from the viewer to the near side of the scaled bounds
XR_HEIGHT = 1.1  # metres above the floor for the scene's centre (local-floor)
XR_EYE_HEIGHT = 1.6  # metres: the head's height assumed in a "local" space (no floor)

Vec3 = tuple[float, float, float]
_FLIP = (1.0, -1.0, -1.0)  # OpenGL eye axes (x right, y up, z back) -> camera (y down, z fwd)


def _matrix(values: Sequence[float], what: str) -> list[float]:
    """16 finite numbers (a column-major 4x4 from JS) as a row-major list."""
    m = [float(v) for v in values]
    if len(m) != 16 or not all(math.isfinite(v) for v in m):
        raise SplatError(f"{what} must be 16 finite numbers")
    return [m[c * 4 + r] for r in range(4) for c in range(4)]


@dataclass(frozen=True)
class Placement:
    """The scene in the XR space: ``p_xr = scale * rotation @ (p - centre) + offset``."""

    rotation: tuple[Vec3, Vec3, Vec3]  # rows: the XR x, y, z axes in scene coordinates
    centre: Vec3
    scale: float  # metres per scene unit
    offset: Vec3  # where the centre is in the XR space (metres)

    @classmethod
    def for_scene(
        cls,
        bounds: tuple[Sequence[float], Sequence[float]],
        axes: str,
        up: Sequence[float],
        *,
        scale: float | None = None,
        floor: bool = True,
    ) -> Placement:
        lo, hi = bounds
        ey = unit(up)
        ez = default_back(axes, ey)  # the framing side faces the viewer
        ex = cross(ey, ez)
        centre = tuple((a + b) / 2 for a, b in zip(lo, hi, strict=True))
        size = max(max(b - a for a, b in zip(lo, hi, strict=True)), 1e-9)
        if not scale:  # None or 0: the scene's size becomes XR_SIZE
            scale = XR_SIZE / size
        if not (math.isfinite(scale) and scale > 0):
            raise SplatError(f"xr-scale must be a positive number, got {scale}")
        # Half the scaled extent along the view axis (+z towards the viewer).
        depth = 0.5 * scale * sum(abs(ez[i]) * (hi[i] - lo[i]) for i in range(3))
        height = XR_HEIGHT if floor else XR_HEIGHT - XR_EYE_HEIGHT
        return cls((ex, ey, ez), centre, float(scale), (0.0, height, -(XR_GAP + depth)))

    def matrix(self) -> list[float]:
        """Scene -> XR space, row-major 4x4."""
        s, r, c, t = self.scale, self.rotation, self.centre, self.offset
        rows = []
        for i in range(3):
            rows += [s * r[i][0], s * r[i][1], s * r[i][2], t[i] - s * dot(r[i], c)]
        return [*rows, 0.0, 0.0, 0.0, 1.0]

    def to_dict(self) -> dict:
        return {
            "matrix": self.matrix(),
            "scale": self.scale,
            "centre": list(self.centre),
            "offset": list(self.offset),
        }


@dataclass(frozen=True)
class Eye:
    """One XR view: its camera pose in scene units and its intrinsics."""

    rotation: tuple[Vec3, Vec3, Vec3]  # world (scene) -> camera, rows = camera axes
    position: Vec3  # the eye in scene coordinates
    projection: tuple[float, ...]  # row-major
    near: float  # scene units
    far: float

    def camera(self, width: int, height: int, position: Vec3 | None = None) -> Camera:
        """The eye's camera at ``width`` x ``height`` (``position``: moved, same view)."""
        p = self.projection
        # x_ndc = P00 x_c / z_c - P02 (z_c = -z_gl), pixels (ndc + 1) / 2 * size, y down.
        fx, fy = p[0] * width / 2, p[5] * height / 2
        cx, cy = (1 - p[2]) * width / 2, (1 + p[6]) * height / 2
        return Camera.from_rotation(
            self.rotation,
            self.position if position is None else position,
            width=width,
            height=height,
            fx=fx,
            fy=fy,
            cx=cx,
            cy=cy,
            near=self.near,
            far=self.far,
        )


def eye(view: Sequence[float], projection: Sequence[float], placement: Placement) -> Eye:
    """An XR view (ref-to-eye and projection matrices, column-major as XR gives them)."""
    v = _matrix(view, "an XR view matrix")
    p = _matrix(projection, "an XR projection matrix")
    if not (p[0] > 0 and p[5] > 0 and abs(p[14] + 1) < 1e-3):
        raise SplatError("an XR projection matrix must be an OpenGL perspective one")
    rv = [v[0:3], v[4:7], v[8:11]]
    tv = (v[3], v[7], v[11])
    s, r, c, t = placement.scale, placement.rotation, placement.centre, placement.offset
    # ref -> eye composed with scene -> ref, over s: [Rv R | (Rv (T - s R c) + tv) / s]
    shift = [t[i] - s * dot(r[i], c) for i in range(3)]
    cols = [tuple(r[k][j] for k in range(3)) for j in range(3)]  # columns of R
    rot = tuple(tuple(_FLIP[i] * dot(rv[i], cols[j]) for j in range(3)) for i in range(3))
    trans = tuple(_FLIP[i] * (dot(rv[i], shift) + tv[i]) / s for i in range(3))
    # the eye's position in scene coordinates: -rot^T trans
    pos = tuple(-sum(rot[k][j] * trans[k] for k in range(3)) for j in range(3))
    # depth planes from P22 = -(f + n) / (f - n), P23 = -2 f n / (f - n)
    a, b = p[10], p[11]
    near = b / (a - 1) if a != 1 else 0.01
    far = b / (a + 1) if abs(a + 1) > 1e-9 else math.inf
    if not near > 0:
        near = 0.01
    far = far if math.isfinite(far) and far > near else 1e10 * s
    return Eye(rot, pos, tuple(p), near / s, far / s)  # type: ignore[arg-type]


def centre_camera(eyes: Sequence[Eye], width: int, height: int) -> Camera:
    """One camera between the eyes (the first eye's view from their mean position):
    the one the LOD cut of an XR frame is chosen for."""
    n = len(eyes)
    mid = tuple(sum(e.position[i] for e in eyes) / n for i in range(3))
    return eyes[0].camera(width, height, position=mid)  # type: ignore[arg-type]
