"""The float64 reference renderer: the oracle every GPU frame is tested against."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..formats.splats import Splats
from ..render.camera import Camera
from ..scene.edits import Edit
from ..shaders.layout import TILE_SIZE
from .project import Projected, project
from .raster import rasterize


def render(
    splats: Splats,
    camera: Camera,
    mode: str = "classic",
    background: tuple[float, float, float] = (0.0, 0.0, 0.0),
    tile: int = TILE_SIZE,
) -> np.ndarray:
    """(H,W,3) float64 image of ``splats`` seen by ``camera``, binned in ``tile``-pixel
    tiles (the tile size decides which pixels the 3-sigma cut-off reaches)."""
    proj = project(splats, camera, mode, tile)
    return rasterize(proj, camera.width, camera.height, background, tile)


def render_objects(
    objects: Sequence[tuple],
    camera: Camera,
    mode: str = "classic",
    background: tuple[float, float, float] = (0.0, 0.0, 0.0),
    tile: int = TILE_SIZE,
    edits: Sequence[Edit] = (),
    time: float = 0.0,
) -> np.ndarray:
    """(H,W,3) image of several objects, each ``(splats, model, opacity)`` or ``(splats,
    model, opacity, modifier)`` (model: object-to-world 4x4, row-major, or None;
    modifier: an example modifier's ``(name, params)``), sorted together splat by splat,
    with the scene's ``edits`` applied to all of them."""
    parts = [
        project(o[0], camera, mode, tile, o[1], o[2], edits, o[3] if len(o) > 3 else None, time)
        for o in objects
    ]
    return rasterize(Projected.concat(parts), camera.width, camera.height, background, tile)
