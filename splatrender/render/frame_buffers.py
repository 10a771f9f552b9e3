"""The GPU buffers a frame's passes hand to each other, and their growth.

Capacities grow when a frame reports more visible splats or splat-tile pairs than the
buffers hold (``Renderer.grow_if_needed``); buffers being replaced are freed first, so
GPU memory stays bounded. The passes cache bind groups by buffer identity
(``indirect.BindCache``), so a replaced buffer never meets a stale bind group.
"""

from __future__ import annotations

import struct

from ..errors import RenderError
from ..gpu import COPY_DST, COPY_SRC, INDIRECT, STORAGE, UNIFORM, Binding, Buffer, Device
from ..shaders.layout import COUNTER, COUNTERS, FRAME_UNIFORMS, PROJ_FLOATS, RECT, WORKGROUP
from .frame_uniforms import tile_grid

# Indirect-args slots, 256 bytes apart (storage binding offset alignment).
ARGS_VISIBLE, ARGS_PAIRS, ARGS_BLOCKS = 0, 256, 512
MIN_PAIR_CAPACITY = 1 << 16


class FrameBuffers:
    """Counters, the per-frame uniform, and the per-splat, per-pair and image buffers."""

    def __init__(self, device: Device, pair_keys: bool = True) -> None:
        """``pair_keys``: pairs carry their tile as a key (the radix tile sort sorts by
        it); the counting tile sort places bare values, so it needs no key buffer."""
        self.device = device
        self.with_pair_keys = pair_keys
        self.frame_uniform = device.create_buffer(FRAME_UNIFORMS.size, [UNIFORM, COPY_DST], "frame")
        self.counters = device.create_buffer(256, [STORAGE, COPY_SRC, COPY_DST], "counters")
        self.args = device.create_buffer(768, [STORAGE, INDIRECT], "dispatch-args")
        self.visible_capacity = 0
        self.pair_capacity = 0
        self.size = (0, 0)
        self.tile_size = 0
        # per visible splat (projection writes them, binning reads them)
        self.projected: Buffer | None = None
        self.rects: Buffer | None = None
        self.depth_keys: Buffer | None = None
        self.depth_vals: Buffer | None = None
        self.ids: Buffer | None = None
        self.offsets: Buffer | None = None
        self.depth_rects: Buffer | None = None  # rects in depth order (binning)
        # per splat-tile pair, per tile, per pixel
        self.pair_keys: Buffer | None = None
        self.pair_vals: Buffer | None = None
        self.ranges: Buffer | None = None
        self.output: Buffer | None = None
        self.output_f32: Buffer | None = None
        # results of the last encode: visible records front to back, pairs by tile
        self.order: Buffer | None = None
        self.sorted_pairs: tuple[Buffer, Buffer] | None = None

    def counter(self, name: str) -> Binding:
        """The counter word ``name`` (shaders/layout.py COUNTERS) as a binding."""
        return Binding(self.counters, 4 * COUNTER[name], 4)

    def args_binding(self, slot: int) -> Binding:
        return Binding(self.args, slot, 12)

    @property
    def max_visible(self) -> int:
        return self.device.max_storage_elements(4 * PROJ_FLOATS)

    @property
    def max_pairs(self) -> int:
        return self.device.max_storage_elements(4)

    def _release(self, *names: str) -> None:
        for name in names:
            buf = getattr(self, name)
            if buf is not None:
                self.device.destroy_buffer(buf)
                setattr(self, name, None)

    def ensure_visible(self, n: int) -> bool:
        """Room for ``n`` visible splats (at least a workgroup, at most one binding)."""
        n = min(max(WORKGROUP, n), self.max_visible)
        if n <= self.visible_capacity:
            return False
        d, usage = self.device, [STORAGE, COPY_SRC, COPY_DST]
        self._release(
            "projected", "rects", "depth_keys", "depth_vals", "ids", "offsets", "depth_rects"
        )
        self.visible_capacity = n
        self.projected = d.create_buffer(n * 4 * PROJ_FLOATS, usage, "projected")
        self.rects = d.create_buffer(n * 4 * RECT.size, usage, "rects")
        self.depth_keys = d.create_buffer(n * 4, usage, "depth-keys")
        self.depth_vals = d.create_buffer(n * 4, usage, "depth-vals")
        self.ids = d.create_buffer(n * 4, usage, "ids")
        self.offsets = d.create_buffer(n * 4, usage, "tile-offsets")
        self.depth_rects = d.create_buffer(n * 4 * RECT.size, usage, "depth-rects")
        return True

    def ensure_pairs(self, n: int) -> bool:
        n = min(max(MIN_PAIR_CAPACITY, n), self.max_pairs)
        if n <= self.pair_capacity:
            return False
        d, usage = self.device, [STORAGE, COPY_SRC, COPY_DST]
        self._release("pair_keys", "pair_vals")
        self.pair_capacity = n
        if self.with_pair_keys:
            self.pair_keys = d.create_buffer(n * 4, usage, "pair-keys")
        self.pair_vals = d.create_buffer(n * 4, usage, "pair-vals")
        return True

    def ensure_image(self, width: int, height: int, tile: int, debug_f32: bool) -> None:
        if (width, height, tile) == (*self.size, self.tile_size):
            return
        d = self.device
        if width * height * 4 > d.limits.max_storage_binding:
            raise RenderError(f"{width}x{height} exceeds this adapter's largest storage binding")
        tx, ty = tile_grid(width, height, tile)
        self._release("output", "output_f32", "ranges")
        self.size, self.tile_size = (width, height), tile
        self.output = d.create_buffer(width * height * 4, [STORAGE, COPY_SRC], "image-rgba8")
        f32_size = width * height * 16 if debug_f32 else 16
        self.output_f32 = d.create_buffer(f32_size, [STORAGE, COPY_SRC], "image-f32")
        self.ranges = d.create_buffer(tx * ty * 8, [STORAGE, COPY_DST, COPY_SRC], "tile-ranges")

    async def read_counters(self) -> dict[str, int]:
        """The counters of the last submitted frame (awaits the GPU)."""
        raw = await self.device.read_buffer(self.counters, 0, 4 * len(COUNTERS))
        return dict(zip(COUNTERS, struct.unpack(f"<{len(COUNTERS)}I", raw), strict=True))
