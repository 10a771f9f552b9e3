"""A scene decoded whole into a GPU pool (every format's runtime decode ends here)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..render.camera import default_up
from ..render.pool import SplatPool
from .source import Vec3
from .upright import Upright


@dataclass(frozen=True)
class PlainUpdate:
    drawn_splats: int
    streaming: bool = False
    version: tuple[int, ...] = ()


@dataclass
class PlainScene:
    """``count`` splats in ``pool`` (a ``SceneSource``); a budget draws whole pages in
    file order."""

    pool: SplatPool
    count: int
    sh_degree: int
    axes: str
    bounds_min: Vec3
    bounds_max: Vec3
    name: str
    format: str = ""
    quirks: list[str] = field(default_factory=list)
    invisible: int = 0  # broken splats stored invisible (decode_common.wgsl)
    upright: Upright | None = None  # the up to show it with (None: the axes')
    streamed = False
    animated = False

    def __post_init__(self) -> None:
        if self.upright is None:
            self.upright = Upright(default_up(self.axes), "file", self.axes)

    @property
    def bounds(self) -> tuple[Vec3, Vec3]:
        return self.bounds_min, self.bounds_max

    async def update(self, camera: object = None) -> PlainUpdate:
        active = tuple(self.pool.active)
        return PlainUpdate(self.pool.active_count, False, active)

    def set_budget(self, splats: int) -> None:
        pages = self.pool.num_pages
        if splats > 0:
            pages = min(pages, max(1, math.ceil(splats / self.pool.page_size)))
        self.pool.set_active(range(pages))

    async def close(self) -> None:
        self.pool.destroy()

    def destroy(self) -> None:
        self.pool.destroy()
