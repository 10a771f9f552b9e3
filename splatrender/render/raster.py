"""The raster pass: one workgroup per tile blends its depth-ordered splats front to back.

shaders/raster.wgsl; twin: ``reference/raster.py`` (``rasterize``).
"""

from __future__ import annotations

from ..errors import RenderError
from ..gpu import Device, Encoder
from ..shaders import load_shader
from .frame_buffers import FrameBuffers
from .frame_uniforms import tile_grid
from .indirect import BindCache
from .tuning import Tuning


class Rasterizer:
    """Reads ``fb.ranges``, the tile-sorted pair values and ``fb.projected``; writes
    ``fb.output`` (RGBA8) and, when the frame asks, ``fb.output_f32``."""

    def __init__(self, device: Device, tuning: Tuning) -> None:
        self.device = device
        tile, rows = tuning.tile_size, tuning.raster_rows
        consts = {
            "TILE_SIZE": tile,
            "GROUPS": rows // 4,
            "THREADS_Y": tile // rows,
            "THREADS": tile * tile // rows,
            "BATCH": tile * tile,
        }
        self.tile_size = tile
        self.pipeline = device.compute_pipeline(load_shader("raster", consts), "main", "raster")
        self._binds = BindCache()

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

    def encode(self, encoder: Encoder, fb: FrameBuffers, pair_values) -> None:
        bindings = {
            "frame": fb.frame_uniform,
            "ranges": fb.ranges,
            "pair_vals": pair_values,
            "projected": fb.projected,
            "out_rgba8": fb.output,
            "out_f32": fb.output_f32,
        }
        group = self._binds.group(self.device, self.pipeline, 0, bindings, "raster")
        with encoder.compute_pass("raster") as cp:
            cp.dispatch(self.pipeline, [group], *self.grid(*fb.size))
