"""The float64 reference renderer: the oracle every GPU frame is tested against."""

from __future__ import annotations

import numpy as np

from ..formats.splats import Splats
from ..render.camera import Camera
from ..shaders.layout import TILE_SIZE
from .project import project
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
