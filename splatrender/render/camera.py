"""Pinhole camera in the axis convention of the scene (pure Python, no numpy).

Camera space follows OpenCV/3DGS: x right, y down, z forward. Pixel centres sit at
+0.5. The world axes are whatever the scene file uses (``"RDF"`` or ``"RUB"``): the
only axes-dependent choice is which way is "up" when framing or orbiting, and that
lives in ``default_up``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..errors import RenderError
from .mat4 import cross, dot, unit

Vec3 = tuple[float, float, float]

_UP = {"RDF": (0.0, -1.0, 0.0), "RUB": (0.0, 1.0, 0.0)}
# Direction from the scene centre towards a default camera: "behind" the forward axis.
_BACK = {"RDF": (0.0, 0.0, -1.0), "RUB": (0.0, 0.0, 1.0)}


def default_up(axes: str) -> Vec3:
    """The up a frame convention means ("RDF": -y, "RUB": +y)."""
    return _UP.get(axes, _UP["RDF"])


def default_back(axes: str, up: Sequence[float]) -> Vec3:
    """Unit direction from a scene's centre towards its default viewpoint: "behind" in
    the convention, made level with ``up`` (another axis when ``up`` is the forward one)."""
    for back in (_BACK.get(axes, _BACK["RDF"]), (0.0, -1.0, 0.0), (1.0, 0.0, 0.0)):
        u = unit(up)
        level = _sub(back, tuple(dot(back, u) * c for c in u))
        if dot(level, level) > 1e-6:
            return unit(level)
    raise RenderError(f"no level direction for up {tuple(up)}")


def _sub(a: Sequence[float], b: Sequence[float]) -> Vec3:
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2])


@dataclass(frozen=True)
class Camera:
    """Intrinsics in pixels and a row-major 4x4 world-to-camera matrix."""

    width: int
    height: int
    fx: float
    fy: float
    cx: float
    cy: float
    world_to_camera: tuple[float, ...]
    near: float = 0.01
    far: float = 1e10

    def __post_init__(self) -> None:
        if self.width < 1 or self.height < 1:
            raise RenderError(f"image size must be at least 1x1, got {self.width}x{self.height}")
        if len(self.world_to_camera) != 16:
            raise RenderError("world_to_camera must have 16 values (row-major 4x4)")
        vals = (self.fx, self.fy, self.cx, self.cy, *self.world_to_camera)
        if not all(math.isfinite(v) for v in vals) or self.fx <= 0 or self.fy <= 0:
            raise RenderError("camera has non-finite values or non-positive focal length")
        if not 0 < self.near < self.far:
            raise RenderError(f"need 0 < near < far, got near={self.near} far={self.far}")

    # -- construction -----------------------------------------------------------
    @classmethod
    def from_rotation(
        cls,
        rotation: Sequence[Sequence[float]],
        position: Sequence[float],
        *,
        width: int,
        height: int,
        fx: float,
        fy: float,
        cx: float | None = None,
        cy: float | None = None,
        near: float = 0.01,
        far: float = 1e10,
    ) -> Camera:
        """From a world-to-camera rotation (rows = camera axes in world) and a centre."""
        r = [list(map(float, row)) for row in rotation]
        t = [-dot(r[i], position) for i in range(3)]
        m = (*r[0], t[0], *r[1], t[1], *r[2], t[2], 0.0, 0.0, 0.0, 1.0)
        return cls(
            width,
            height,
            float(fx),
            float(fy),
            width / 2 if cx is None else float(cx),
            height / 2 if cy is None else float(cy),
            m,
            near,
            far,
        )

    @classmethod
    def look_at(
        cls,
        eye: Sequence[float],
        target: Sequence[float],
        up: Sequence[float],
        *,
        width: int,
        height: int,
        fov_y_deg: float = 50.0,
        near: float = 0.01,
        far: float = 1e10,
    ) -> Camera:
        if not 0.1 <= fov_y_deg <= 179:
            raise RenderError(f"vertical field of view must be in [0.1, 179] degrees: {fov_y_deg}")
        z = unit(_sub(target, eye))
        x = cross(z, up)
        if dot(x, x) < 1e-20:
            raise RenderError("camera up vector is parallel to the viewing direction")
        x = unit(x)
        y = cross(z, x)
        f = 0.5 * height / math.tan(math.radians(fov_y_deg) / 2)
        return cls.from_rotation(
            (x, y, z), eye, width=width, height=height, fx=f, fy=f, near=near, far=far
        )

    @classmethod
    def from_inria(cls, entry: dict, *, width: int | None = None, height: int | None = None):
        """From one element of the ``cameras.json`` the INRIA training code writes.

        ``rotation`` there is camera-to-world; ``position`` the camera centre. A
        different output size rescales the focal lengths.
        """
        try:
            w0, h0 = int(entry["width"]), int(entry["height"])
            rot_c2w = entry["rotation"]
            r = [[float(rot_c2w[j][i]) for j in range(3)] for i in range(3)]  # transpose
            pos = [float(v) for v in entry["position"]]
            fx, fy = float(entry["fx"]), float(entry["fy"])
        except (KeyError, TypeError, ValueError, IndexError) as e:
            raise RenderError(f"not an INRIA camera entry ({e!r})") from e
        w, h = width or w0, height or h0
        return cls.from_rotation(
            r, pos, width=w, height=h, fx=fx * w / w0, fy=fy * h / h0, cx=w / 2, cy=h / 2
        )

    @classmethod
    def framing(
        cls,
        bounds_min: Sequence[float],
        bounds_max: Sequence[float],
        axes: str,
        *,
        width: int,
        height: int,
        fov_y_deg: float = 50.0,
        direction: Sequence[float] | None = None,
        up: Sequence[float] | None = None,
    ) -> Camera:
        """The nearest camera that sees the whole box, from behind-and-above in the
        scene's axes (looking at its centre); ``up`` defaults to the convention's."""
        centre = tuple((a + b) / 2 for a, b in zip(bounds_min, bounds_max, strict=True))
        up = unit(up) if up is not None else default_up(axes)
        if direction is None:
            back = default_back(axes, up)
            e = math.radians(20)
            direction = tuple(
                math.cos(e) * b + math.sin(e) * u for b, u in zip(back, up, strict=True)
            )
        d = unit(direction)
        right = unit(cross(up, d)) if dot(cross(up, d), cross(up, d)) > 1e-12 else None
        if right is None:
            raise RenderError("framing direction is parallel to the up vector")
        cam_up = cross(d, right)
        tan_y = math.tan(math.radians(fov_y_deg) / 2)
        tan_x = tan_y * width / height
        # Distance along d at which every corner is inside the frustum.
        dist = 1e-6
        for x in (bounds_min[0], bounds_max[0]):
            for y in (bounds_min[1], bounds_max[1]):
                for z in (bounds_min[2], bounds_max[2]):
                    p = _sub((x, y, z), centre)
                    along = dot(p, d)
                    dist = max(
                        dist,
                        along + abs(dot(p, right)) / tan_x,
                        along + abs(dot(p, cam_up)) / tan_y,
                    )
        dist *= 1.02
        eye = tuple(c + dist * k for c, k in zip(centre, d, strict=True))
        return cls.look_at(
            eye,
            centre,
            up,
            width=width,
            height=height,
            fov_y_deg=fov_y_deg,
            near=max(1e-4, dist * 1e-4),
        )

    # -- derived ----------------------------------------------------------------
    def rotation(self) -> tuple[Vec3, Vec3, Vec3]:
        m = self.world_to_camera
        return ((m[0], m[1], m[2]), (m[4], m[5], m[6]), (m[8], m[9], m[10]))

    @property
    def position(self) -> Vec3:
        r = self.rotation()
        t = (self.world_to_camera[3], self.world_to_camera[7], self.world_to_camera[11])
        # centre = -R^T t
        return tuple(-(r[0][i] * t[0] + r[1][i] * t[1] + r[2][i] * t[2]) for i in range(3))

    @property
    def fov_y_deg(self) -> float:
        return math.degrees(2 * math.atan(0.5 * self.height / self.fy))

    def resized(self, width: int, height: int) -> Camera:
        """Same pose and vertical field of view at another image size."""
        s = height / self.height
        return replace(
            self,
            width=width,
            height=height,
            fx=self.fx * s,
            fy=self.fy * s,
            cx=width / 2,
            cy=height / 2,
        )
