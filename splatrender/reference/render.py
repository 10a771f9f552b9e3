"""The float64 reference renderer: the oracle every GPU frame is tested against."""

from __future__ import annotations

import numpy as np

from ..formats.splats import Splats
from ..render.camera import Camera
from .project import project
from .raster import rasterize


def render(
    splats: Splats,
    camera: Camera,
    mode: str = "classic",
    background: tuple[float, float, float] = (0.0, 0.0, 0.0),
) -> np.ndarray:
    """(H,W,3) float64 image of ``splats`` seen by ``camera``."""
    return rasterize(project(splats, camera, mode), camera.width, camera.height, background)
