"""A scene in the GPU pool layout, ready to upload (pure Python: bytes, no numpy)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..shaders.layout import GEOM_FLOATS, sh_rest_floats


@dataclass
class SceneData:
    """``count`` splats as raw float32 bytes in the layout of ``shaders.layout``.

    ``bounds_min``/``bounds_max`` are robust (outlier-trimmed) bounds used to frame
    the scene; ``axes`` is the source's axis convention ("RDF" or "RUB").
    """

    count: int
    sh_degree: int
    geometry: Any  # bytes-like, count * GEOM_FLOATS float32
    sh_rest: Any  # bytes-like, count * sh_rest_floats(sh_degree) float32
    axes: str = "RDF"
    bounds_min: tuple[float, float, float] = (-1.0, -1.0, -1.0)
    bounds_max: tuple[float, float, float] = (1.0, 1.0, 1.0)
    name: str = ""
    invisible: int = 0  # broken splats stored invisible (reference/pool.py)

    def __post_init__(self) -> None:
        g = memoryview(self.geometry).nbytes
        s = memoryview(self.sh_rest).nbytes
        if g != 4 * GEOM_FLOATS * self.count:
            raise ValueError(f"geometry has {g} bytes for {self.count} splats")
        if s != 4 * sh_rest_floats(self.sh_degree) * self.count:
            raise ValueError(f"sh_rest has {s} bytes for {self.count} splats")
