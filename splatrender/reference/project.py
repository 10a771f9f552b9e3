"""Float64 twin of the projection pass (shaders/project.wgsl).

Image formation of the reference 3DGS model (gsplat "classic" and "antialiased"):
EWA projection with the 1.3*tan(fov) clamp, 0.3 px^2 dilation (plus a splat's own, if
it carries one: merged LOD splats), opacity
compensation in antialiased mode, radius from the 3-sigma extent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np

from ..formats.splats import Splats
from ..render.camera import Camera
from ..scene.edits import Edit
from ..shaders.layout import TILE_SIZE
from . import modifiers
from .edits import edit_weights, edited_color, edited_opacity
from .sh import sh_to_color

EPS2D = 0.3
ALPHA_MIN = 1.0 / 255.0
MODES = ("classic", "antialiased")


@dataclass
class Projected:
    """Per-splat projection results (all N splats; ``visible`` says which count)."""

    visible: np.ndarray  # (N,) bool
    xy: np.ndarray  # (N,2) pixel coordinates of the centre
    conic: np.ndarray  # (N,3) inverse 2D covariance a, b, c
    color: np.ndarray  # (N,3)
    opacity: np.ndarray  # (N,) after sigmoid (and compensation in antialiased mode)
    depth: np.ndarray  # (N,) camera-space z
    radius: np.ndarray  # (N,) pixels
    rect: np.ndarray  # (N,4) tile rect xmin, ymin, xmax, ymax (max exclusive)

    @classmethod
    def concat(cls, parts: list[Projected]) -> Projected:
        """Several objects' projections as one list (they are sorted together)."""
        return cls(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)))


def quat_to_rotmat(q: np.ndarray) -> np.ndarray:
    q = q / np.linalg.norm(q, axis=1, keepdims=True)
    w, x, y, z = q[:, 0], q[:, 1], q[:, 2], q[:, 3]
    return np.stack(
        [
            np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], -1),
            np.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], -1),
            np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1),
        ],
        axis=1,
    )


def tile_grid(width: int, height: int, tile: int = TILE_SIZE) -> tuple[int, int]:
    return -(-width // tile), -(-height // tile)


def project(
    splats: Splats,
    camera: Camera,
    mode: str = "classic",
    tile: int = TILE_SIZE,
    model: np.ndarray | None = None,
    opacity: float = 1.0,
    edits: Sequence[Edit] = (),
    modifier: tuple[str, Sequence[float]] | None = None,
    time: float = 0.0,
) -> Projected:
    """Project ``splats`` placed by ``model`` (object-to-world 4x4, row-major; default
    identity) with their opacities multiplied by ``opacity``; ``modifier`` (an example
    modifier's name and params, at ``time``) then ``edits`` applied as on the GPU."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    f8 = np.float64
    n = len(splats)
    m = np.array(camera.world_to_camera, f8).reshape(4, 4)
    rot, trans = m[:3, :3], m[:3, 3]
    place = np.eye(4) if model is None else np.asarray(model, f8).reshape(4, 4)
    lin = place[:3, :3]
    local = splats.means.astype(f8)
    if modifier is not None:
        local = modifiers.position(modifier[0], local, time, modifier[1])
    means = local @ lin.T + place[:3, 3]
    pc = means @ rot.T + trans
    x, y, z = pc[:, 0], pc[:, 1], pc[:, 2]

    with np.errstate(all="ignore"):
        r = quat_to_rotmat(splats.quats.astype(f8))
        s = np.exp(splats.scales.astype(f8))
        rs = lin @ (r * s[:, None, :])
        cov3 = rs @ rs.transpose(0, 2, 1)
        covc = rot @ cov3 @ rot.T

        fx, fy, cx, cy = camera.fx, camera.fy, camera.cx, camera.cy
        w, h = camera.width, camera.height
        tan_x, tan_y = 0.5 * w / fx, 0.5 * h / fy
        lim_xp, lim_xn = (w - cx) / fx + 0.3 * tan_x, cx / fx + 0.3 * tan_x
        lim_yp, lim_yn = (h - cy) / fy + 0.3 * tan_y, cy / fy + 0.3 * tan_y
        tx = z * np.clip(x / z, -lim_xn, lim_xp)
        ty = z * np.clip(y / z, -lim_yn, lim_yp)
        j = np.zeros((n, 2, 3), f8)
        j[:, 0, 0] = fx / z
        j[:, 0, 2] = -fx * tx / (z * z)
        j[:, 1, 1] = fy / z
        j[:, 1, 2] = -fy * ty / (z * z)
        cov2 = j @ covc @ j.transpose(0, 2, 1)
        a, b, c = cov2[:, 0, 0], cov2[:, 0, 1], cov2[:, 1, 1]
        det0 = a * c - b * b
        dilation = EPS2D if splats.dilation is None else EPS2D + splats.dilation.astype(f8)
        a, c = a + dilation, c + dilation
        det = a * c - b * b
        comp = np.sqrt(np.maximum(det0 / det, 0.0))
        conic = np.stack([c / det, -b / det, a / det], axis=1)
        mid = 0.5 * (a + c)
        lam = mid + np.sqrt(np.maximum(0.01, mid * mid - det))
        radius = np.ceil(3.0 * np.sqrt(lam))
        xy = np.stack([fx * x / z + cx, fy * y / z + cy], axis=1)

        weights = edit_weights(edits, means)
        opacity = opacity / (1.0 + np.exp(-splats.opacities.astype(f8)))
        # View-dependent colour in the object's frame (SH rotated with the object).
        dirs = (means - np.array(camera.position, f8)) @ np.linalg.inv(lin).T
        dirs = dirs / np.linalg.norm(dirs, axis=1, keepdims=True)
        color = sh_to_color(splats.sh.astype(f8), dirs)
        if modifier is not None:
            stored = splats.means.astype(f8)
            color, opacity = modifiers.color(modifier[0], stored, time, modifier[1], color, opacity)
        color = edited_color(edits, weights, color)
        opacity = edited_opacity(edits, weights, opacity)
        if mode == "antialiased":
            opacity = opacity * comp

        # Tiles: the 3-sigma square shrunk to the box of the ellipse where alpha can
        # reach 1/255; pixels outside it are skipped anyway, so the image is unchanged.
        reach = 2.0 * np.log(np.maximum(opacity * 255.0, 1.0))
        ex = np.minimum(radius, np.sqrt(reach * a))
        ey = np.minimum(radius, np.sqrt(reach * c))
        tiles_x, tiles_y = tile_grid(w, h, tile)
        rect = np.stack(
            [
                np.clip(np.floor((xy[:, 0] - ex) / tile), 0, tiles_x),
                np.clip(np.floor((xy[:, 1] - ey) / tile), 0, tiles_y),
                np.clip(np.ceil((xy[:, 0] + ex) / tile), 0, tiles_x),
                np.clip(np.ceil((xy[:, 1] + ey) / tile), 0, tiles_y),
            ],
            axis=1,
        )
        finite = (
            np.isfinite(pc).all(1)
            & np.isfinite(conic).all(1)
            & np.isfinite(xy).all(1)
            & np.isfinite(color).all(1)
            & np.isfinite(opacity)
            & np.isfinite(radius)
        )
        visible = (
            finite
            & (z >= camera.near)
            & (z <= camera.far)
            & (det > 0)
            & (opacity >= ALPHA_MIN)
            & (xy[:, 0] + radius > 0)
            & (xy[:, 0] - radius < w)
            & (xy[:, 1] + radius > 0)
            & (xy[:, 1] - radius < h)
            & (rect[:, 2] > rect[:, 0])
            & (rect[:, 3] > rect[:, 1])
        )
    rect = np.where(visible[:, None], rect, 0).astype(np.int64)
    return Projected(visible, xy, conic, color, opacity, z, radius, rect)
