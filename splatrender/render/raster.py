"""The raster pass: one workgroup per tile blends its depth-ordered splats front to back.

shaders/raster_blend.wgsl with the kernels of raster.wgsl (``main``, GPUs;
``main_direct``, CPU adapters) and raster_subgroup.wgsl (``main_subgroup``, lavapipe), as
``Tuning`` picks; twin: ``reference/raster.py`` (``rasterize``, ``evaluations``).

A second pipeline of the same kernel (``STATS``) also counts splat-pixel evaluations per
tile; it never draws frames, so the counting costs frames nothing. ``encode_stats``
reruns the last frame's raster pass with it and ``read_stats`` sums the counts.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from ..errors import RenderError
from ..gpu import COPY_DST, COPY_SRC, STORAGE, Buffer, Device, Encoder
from ..gpu.base import SUBGROUPS
from ..shaders import load_shader
from .frame_buffers import FrameBuffers
from .frame_uniforms import tile_grid
from .indirect import BindCache
from .tuning import Tuning

# Words per tile of the STATS pipeline's output, in order (raster.wgsl STATS_WORDS).
STAT_FIELDS = ("evals", "blends", "work", "work_max", "listed")
STATS_WORDS = 8


@dataclass
class RasterStats:
    """Splat-pixel evaluations of one frame's raster pass, summed over its tiles.

    ``listed``: pairs x tile pixels, what blending every listed splat over every pixel of
    its tiles costs. ``until_stop``: each image pixel's evaluations up to and including
    the splat that stopped it (all of its tile's list if none did): the least a
    rasterizer that tries every listed splat at every pixel does. ``blended``: of those,
    splats that changed the pixel (alpha >= 1/255): the floor. ``threads``: evaluations
    the raster threads ran while they had live pixels (pixels past the image edge and
    pixels already done count while a thread's other pixels are live). ``lockstep``: per
    tile, the busiest thread's evaluations times the threads: the cost on a CPU adapter,
    which runs a tile's threads as SIMD lanes of one loop."""

    width: int
    height: int
    tile_pixels: int
    listed: int = 0
    until_stop: int = 0
    blended: int = 0
    threads: int = 0
    lockstep: int = 0

    def per_pixel(self) -> dict[str, float]:
        n = max(1, self.width * self.height)
        keys = ("listed", "until_stop", "blended", "threads", "lockstep")
        return {k: getattr(self, k) / n for k in keys}


class Rasterizer:
    """Reads ``fb.ranges``, the tile-sorted pair values and ``fb.projected``; writes
    ``fb.output`` (RGBA8) and, when the frame asks, ``fb.output_f32``."""

    def __init__(self, device: Device, tuning: Tuning) -> None:
        self.device = device
        tile, rows = tuning.tile_size, tuning.raster_rows
        self.consts = {
            "TILE_SIZE": tile,
            "GROUPS": rows // 4,
            "THREADS_Y": tile // rows,
            "STATS": False,
            "STATS_WORDS": STATS_WORDS,
        }
        self.tile_size = tile
        self.threads = tile * tile // rows
        # CPU adapters: no workgroup memory, no barrier; lavapipe: splats shared by lanes
        if tuning.raster_subgroup_chunk and SUBGROUPS in device.features:
            self.shader, self.entry = "raster_subgroup", "main_subgroup"
            self.consts["CHUNK"] = tuning.raster_subgroup_chunk
        else:
            self.shader = "raster"
            self.entry = "main_direct" if tuning.raster_direct else "main"
            self.consts |= {"THREADS": self.threads, "BATCH": tile * tile}
        self.pipeline = self._pipeline(False)
        self._stats_pipeline = None
        self._binds = BindCache()
        self._no_stats = device.create_buffer(4 * STATS_WORDS, [STORAGE], "raster-no-stats")
        self.stats_buffer: Buffer | None = None
        self._stats_size: tuple[int, int] = (0, 0)

    def _pipeline(self, stats: bool):
        src = load_shader(self.shader, {**self.consts, "STATS": stats})
        label = "raster-stats" if stats else "raster"
        return self.device.compute_pipeline(src, self.entry, label)

    def grid(self, width: int, height: int) -> tuple[int, int]:
        """The dispatch grid of a ``width`` x ``height`` image (tiles, 2D past the limit)."""
        tx, ty = tile_grid(width, height, self.tile_size)
        tiles = tx * ty
        limit = self.device.limits.max_workgroups_per_dim
        x = min(tiles, limit)
        y = -(-tiles // x)
        if max(tx, ty) > 0xFFFF or y > limit:
            raise RenderError(f"{width}x{height} has more tiles than the adapter can dispatch")
        return x, y

    def encode(self, encoder: Encoder, fb: FrameBuffers, pair_values, stats: bool = False) -> None:
        """The raster pass; ``stats``: the counting pipeline instead (``encode_stats``)."""
        pipeline, out = self.pipeline, self._no_stats
        if stats:
            pipeline, out = self._stats(fb)
        bindings = {
            "frame": fb.frame_uniform,
            "ranges": fb.ranges,
            "pair_vals": pair_values,
            "projected": fb.projected,
            "out_rgba8": fb.output,
            "out_f32": fb.output_f32,
            "stats": out,
        }
        label = "raster-stats" if stats else "raster"
        group = self._binds.group(self.device, pipeline, 0, bindings, label)
        if stats:
            encoder.clear_buffer(out)
        with encoder.compute_pass(label) as cp:
            cp.dispatch(pipeline, [group], *self.grid(*fb.size))

    def _stats(self, fb: FrameBuffers):
        if self._stats_pipeline is None:
            self._stats_pipeline = self._pipeline(True)
        tx, ty = tile_grid(*fb.size, self.tile_size)
        if self._stats_size != (tx, ty):
            if self.stats_buffer is not None:
                self.device.destroy_buffer(self.stats_buffer)
            self.stats_buffer = self.device.create_buffer(
                tx * ty * 4 * STATS_WORDS, [STORAGE, COPY_SRC, COPY_DST], "raster-stats"
            )
            self._stats_size = (tx, ty)
        return self._stats_pipeline, self.stats_buffer

    def encode_stats(self, encoder: Encoder, fb: FrameBuffers) -> None:
        """Rerun the last encoded frame's raster pass with the counting pipeline (it
        draws the same image again)."""
        self.encode(encoder, fb, fb.sorted_pairs[1], stats=True)

    async def read_stats(self, fb: FrameBuffers) -> RasterStats:
        """The counts of the last ``encode_stats``, summed (awaits the GPU)."""
        tx, ty = self._stats_size
        raw = await self.device.read_buffer(self.stats_buffer, 0, tx * ty * 4 * STATS_WORDS)
        words = struct.unpack(f"<{tx * ty * STATS_WORDS}I", raw)
        col = {name: words[i::STATS_WORDS] for i, name in enumerate(STAT_FIELDS)}
        w, h = fb.size
        tile = self.tile_size
        s = RasterStats(w, h, tile * tile)
        s.listed = sum(col["listed"]) * tile * tile
        s.until_stop = sum(col["evals"])
        s.blended = sum(col["blends"])
        s.threads = sum(col["work"])
        s.lockstep = sum(col["work_max"]) * self.threads
        return s
