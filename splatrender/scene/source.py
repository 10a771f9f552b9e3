"""What every scene the renderer draws offers: the ``SceneSource`` protocol.

A plain scene (one file decoded whole into a pool, ``scene/plain.py``) and a streamed
LOD set (``lod/scene.py``) both implement it, so the viewers, ``render``, the web page
and the benchmarks open and drive any scene the same way (``open_scene``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Hashable
from typing import Any, Protocol, runtime_checkable

from ..render.pool import SplatPool
from .upright import Upright

Vec3 = tuple[float, float, float]
SETTLE_POLL_S = 0.02


class SceneUpdate(Protocol):
    """What ``update`` reports for a camera."""

    drawn_splats: int  # splats the next frame draws
    streaming: bool  # loads pending: call update again (without drawing) until False
    version: Hashable  # changes whenever what is drawn changes


@runtime_checkable
class SceneSource(Protocol):
    """A scene in a GPU splat pool, ready for ``Renderer.set_pool(scene.pool)``."""

    pool: SplatPool
    name: str
    format: str  # "ply", "spz", ..., "lod", "sog-lod"
    count: int  # splats at full detail
    sh_degree: int
    axes: str  # the source's axis convention ("RDF", "RUB")
    quirks: list[str]  # what was unusual about the file, for users
    streamed: bool  # a LOD set: update() streams; budget caps the cut
    upright: Upright  # the up to show it with, and how that was chosen
    animated: bool  # changes with the clock (a modifier): draw every frame

    @property
    def bounds(self) -> tuple[Vec3, Vec3]:
        """Robust framing bounds (min, max)."""
        ...

    async def update(self, camera: Any) -> SceneUpdate:
        """Ready the pool for ``camera`` without waiting for I/O (LOD: choose the cut,
        upload what has arrived, set the active pages)."""
        ...

    def set_budget(self, splats: int) -> None:
        """Draw at most about ``splats`` splats; 0 means the default."""
        ...

    async def close(self) -> None:
        """Free the pool and everything the scene holds."""
        ...


async def settle(scene: SceneSource, camera: Any, timeout: float = 120.0) -> SceneUpdate:
    """Update until nothing is pending for ``camera`` (or ``timeout`` seconds pass):
    offscreen renders, benchmarks and tests draw a view only once it is complete."""
    deadline = time.monotonic() + timeout
    while True:
        info = await scene.update(camera)
        if not info.streaming or time.monotonic() > deadline:
            return info
        await asyncio.sleep(SETTLE_POLL_S)
