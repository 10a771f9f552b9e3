"""Read a rendered frame's intermediate buffers back as numpy arrays (tests only)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from splatrender.reference.project import Projected
from splatrender.shaders.layout import COUNTERS, PROJ_FLOATS, PROJECTED, RECT


@dataclass
class GpuFrame:
    visible: int
    pairs: int
    ids: np.ndarray  # (V,) global splat id of each visible record
    projected: np.ndarray  # (V, 9) xy, conic, rgb, opacity
    rects: np.ndarray  # (V, 4)
    touched: np.ndarray  # (V,) tiles each visible record's ellipse touches
    order: np.ndarray  # (V,) visible record indices front to back
    pair_tiles: np.ndarray  # (P,)
    pair_records: np.ndarray  # (P,) visible record per pair, sorted by tile
    ranges: np.ndarray  # (tiles, 2) start, end of each tile's pairs (0, 0: none)
    image: np.ndarray | None  # (H, W, 4) float32 rgb + transmittance

    def as_projected(self, n: int) -> Projected:
        """The GPU's projection as a reference ``Projected`` over ``n`` splats."""
        vis = np.zeros(n, bool)
        vis[self.ids] = True
        xy = np.zeros((n, 2))
        conic = np.zeros((n, 3))
        color = np.zeros((n, 3))
        opacity = np.zeros(n)
        rect = np.zeros((n, 4), np.int64)
        p = self.projected
        xy[self.ids] = p[:, PROJECTED.cols("xy")]
        conic[self.ids] = p[:, PROJECTED.cols("conic")]
        color[self.ids] = p[:, PROJECTED.cols("color")]
        opacity[self.ids] = p[:, PROJECTED.offset("opacity")]
        rect[self.ids] = self.rects
        depth = np.full(n, np.inf)
        depth[self.ids[self.order]] = np.arange(len(self.order))  # GPU's depth order
        return Projected(vis, xy, conic, color, opacity, depth, np.zeros(n), rect)


async def read_frame(renderer) -> GpuFrame:
    d = renderer.device
    b = renderer.buffers
    c = await b.read_counters()
    visible, vis_eff, pairs, pairs_eff = (c[k] for k in COUNTERS[:4])

    async def u32(buf, n):
        return np.frombuffer(await d.read_buffer(buf, 0, 4 * n), np.uint32).astype(np.int64)

    proj = np.frombuffer(
        await d.read_buffer(b.projected, 0, 4 * PROJ_FLOATS * vis_eff), np.float32
    ).reshape(-1, PROJ_FLOATS)
    raw = await u32(b.rects, RECT.size * vis_eff)
    lo, hi = raw[RECT.offset("lo") :: RECT.size], raw[RECT.offset("hi") :: RECT.size]
    rects = np.stack([lo & 0xFFFF, lo >> 16, hi & 0xFFFF, hi >> 16], 1)
    touched = raw[RECT.offset("count") :: RECT.size]
    keys, vals = b.sorted_pairs
    ranges = (await u32(b.ranges, b.ranges.size // 4)).reshape(-1, 2)
    if keys is None:  # the counting tile sort keeps no keys: each tile's range holds them
        pair_tiles = np.repeat(np.arange(len(ranges)), ranges[:, 1] - ranges[:, 0])
    else:
        pair_tiles = await u32(keys, pairs_eff)
    image = None
    if renderer.debug_f32:
        w, h = renderer.size
        image = np.frombuffer(await renderer.read_rgba_f32(), np.float32).reshape(h, w, 4)
    return GpuFrame(
        visible=visible,
        pairs=pairs,
        ids=await u32(b.ids, vis_eff),
        projected=proj,
        rects=rects,
        touched=touched,
        order=await u32(b.order, vis_eff),
        pair_tiles=pair_tiles,
        pair_records=await u32(vals, pairs_eff),
        ranges=ranges,
        image=image,
    )
