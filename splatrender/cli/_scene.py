"""Open any scene the CLI is given: a plain scene file or folder, or a LOD set.

A LOD set (``lod.json`` from ``splatrender lod build``, a PlayCanvas
``lod-meta.json``, or a folder holding one) streams into a fixed page pool; a plain
scene is read whole and uploaded. Both present the same small interface.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..lod.locate import lod_manifest


@dataclass
class OpenScene:
    name: str
    axes: str
    bounds_min: tuple[float, float, float]
    bounds_max: tuple[float, float, float]
    count: int  # splats at full detail
    splats: Any = None  # the Splats of a plain scene (for --check)
    lod: Any = None  # a LodScene

    async def prepare(self, camera, timeout: float = 120.0) -> None:
        """Make the scene ready to draw ``camera`` in full (LOD: stream until settled)."""
        if self.lod is None:
            return
        deadline = time.monotonic() + timeout
        while True:
            info = await self.lod.update(camera)
            if info.wanted == 0 or time.monotonic() > deadline:
                return
            await asyncio.sleep(0.02)

    async def close(self) -> None:
        if self.lod is not None:
            await self.lod.close()


async def open_scene(
    location: str, renderer, budget: int | None = None, device_class: str = "desktop"
) -> OpenScene:
    """Open ``location`` and attach it to ``renderer``."""
    manifest = lod_manifest(location)
    if manifest is not None:
        from ..lod.scene import LodScene

        lod = await LodScene.open(
            manifest, renderer.device, budget=budget, device_class=device_class
        )
        renderer.set_pool(lod.pool)
        lo, hi = lod.bounds
        return OpenScene(
            Path(location.rstrip("/")).name,
            lod.axes,
            tuple(lo),
            tuple(hi),
            lod.hierarchy.count,
            lod=lod,
        )
    from ..formats import load
    from ..reference.pool import to_scene_data

    splats = load(location)
    data = to_scene_data(splats, name=Path(location.rstrip("/")).name)
    renderer.set_scene(data)
    return OpenScene(
        data.name, data.axes, data.bounds_min, data.bounds_max, data.count, splats=splats
    )
