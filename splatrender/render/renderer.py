"""The frame graph: project -> depth sort -> bin -> tile sort -> rasterize.

Every count stays on the GPU (indirect dispatch); a frame is a handful of uniform
writes and dispatches, O(passes) in Python whatever the splat count. Each pass is its
own object (``Projection``, ``Binning``, ``Rasterizer``) working on shared
``FrameBuffers``, so each can be encoded and tested alone. Capacities grow when a
frame reports more visible splats or splat-tile pairs than its buffers hold:
``render`` redraws at once, interactive callers redraw on the next frame.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

from ..errors import RenderError
from ..gpu import Buffer, Device, request_device
from .binning import Binning
from .camera import Camera
from .frame_buffers import FrameBuffers
from .frame_uniforms import pack_frame
from .pool import PoolSet, SplatPool
from .project import Projection
from .raster import Rasterizer
from .scene_data import SceneData
from .tuning import Tuning

MODES = ("classic", "antialiased")
PAIRS_PER_SPLAT_GUESS = 4


# Draws of one frame at most: buffers grow once or twice, and the counting tile sort's
# walks halve their chunks at most five times (tile_blocks.py) before it comes out whole.
REDRAWS = 8


@dataclass
class FrameStats:
    visible: int = 0
    pairs: int = 0
    splats: int = 0
    width: int = 0
    height: int = 0
    overflow: bool = False
    walk_cut: bool = False  # the counting tile sort's walk hit llvmpipe's loop limit


class Renderer:
    """Renders a splat pool into an RGBA8 storage buffer (``output``)."""

    def __init__(
        self,
        device: Device,
        mode: str = "classic",
        debug_f32: bool = False,
        tuning: Tuning | None = None,
    ) -> None:
        if mode not in MODES:
            raise RenderError(f"mode must be one of {MODES}, got {mode!r}")
        self.device = device
        self.mode = mode
        self.debug_f32 = debug_f32
        self.pool: SplatPool | PoolSet | None = None
        self.tuning = tuning = tuning or Tuning.for_device(device)
        self.tile_size = tuning.tile_size
        self.buffers = FrameBuffers(device, pair_keys=not tuning.tile_block_pairs)
        self.projection = Projection(device, tuning.tile_size, mode, tuning.subgroup_slots)
        self.binning = Binning(device, tuning)
        self.rasterizer = Rasterizer(device, tuning)
        self.stats = FrameStats()
        # The clock modifiers animate with: seconds since the renderer was made, or a
        # fixed ``time`` (tests, reproducible benchmarks).
        self.time: float | None = None
        self._t0 = time.perf_counter()
        self.sized = False  # buffers sized for a view of the current pool (``prepare``)

    @classmethod
    async def create(
        cls,
        device: Device | None = None,
        *,
        mode: str = "classic",
        debug_f32: bool = False,
        tuning: Tuning | None = None,
    ) -> Renderer:
        return cls(device or await request_device(), mode=mode, debug_f32=debug_f32, tuning=tuning)

    # -- scene ---------------------------------------------------------------------
    def set_scene(self, scene: SceneData) -> None:
        """Upload a whole scene into a pool sized for it, all pages active."""
        if self.pool is not None:
            self.pool.destroy()
        self.set_pool(SplatPool.for_scene(self.device, scene))

    def set_pool(self, pool: SplatPool | PoolSet) -> None:
        """Draw ``pool`` (a scene's; a ``PoolSet`` for a scene of several objects)."""
        self.pool = pool
        self.sized = False

    @property
    def output(self) -> Buffer | None:
        return self.buffers.output

    @property
    def size(self) -> tuple[int, int]:
        return self.buffers.size

    @property
    def visible_capacity(self) -> int:
        return self.buffers.visible_capacity

    @property
    def pair_capacity(self) -> int:
        return self.buffers.pair_capacity

    # -- frame ---------------------------------------------------------------------
    def encode(
        self,
        encoder,
        camera: Camera,
        background: tuple[float, float, float] = (0.0, 0.0, 0.0),
        *,
        counts_only: bool = False,
    ) -> None:
        """Record one frame of ``camera`` into ``output`` (``counts_only``: only as far
        as the visible and pair counts, for ``prepare``)."""
        pool = self.pool
        if pool is None:
            raise RenderError("no scene: call set_scene() or set_pool() first")
        fb = self.buffers
        n_active = pool.active_count
        fb.ensure_visible(n_active)  # visible <= active: only the binding limit overflows
        if fb.pair_capacity == 0:
            fb.ensure_pairs(PAIRS_PER_SPLAT_GUESS * fb.visible_capacity)
        self.rasterizer.grid(camera.width, camera.height)  # refuse what cannot be dispatched
        fb.ensure_image(camera.width, camera.height, self.tile_size, self.debug_f32)
        self.device.write_buffer(
            fb.frame_uniform,
            pack_frame(
                camera,
                tuple(float(c) for c in background),
                fb.visible_capacity,
                fb.pair_capacity,
                self.debug_f32,
                self.tile_size,
                time.perf_counter() - self._t0 if self.time is None else self.time,
            ),
        )
        self.stats.splats = n_active
        self.stats.width, self.stats.height = camera.width, camera.height
        encoder.clear_buffer(fb.counters)
        encoder.clear_buffer(fb.ranges)
        with encoder.compute_pass("project") as cp:
            self.projection.encode(cp, pool, fb)
        self.binning.encode_counts(encoder, fb)
        if counts_only:
            return
        self.binning.encode_pairs(encoder, fb)
        self.rasterizer.encode(encoder, fb, fb.sorted_pairs[1])

    # -- offscreen API -------------------------------------------------------------
    async def read_stats(self) -> FrameStats:
        """Counts of the last submitted frame (awaits the GPU)."""
        c = await self.buffers.read_counters()
        s, fb = self.stats, self.buffers
        s.visible, s.pairs = c["visible"], c["pairs"]
        s.overflow = s.visible > fb.visible_capacity or s.pairs > fb.pair_capacity
        s.walk_cut = bool(c["walk_cut"])
        return s

    async def grow_if_needed(self) -> bool:
        """After a frame: enlarge buffers that overflowed. True if a redraw is needed."""
        s = await self.read_stats()
        if s.walk_cut and not s.overflow:
            if self.binning.blocks.shorten():
                return True
            warnings.warn(
                "the tile walk hit the adapter's loop limit even in its shortest chunks; "
                "some splats are missing from this frame",
                stacklevel=2,
            )
        if not s.overflow:
            return False
        fb = self.buffers
        grew = False
        if s.visible > fb.visible_capacity:
            grew |= fb.ensure_visible(s.visible)
        if s.pairs > fb.pair_capacity:
            grew |= fb.ensure_pairs(int(s.pairs * 1.25))
        if not grew:
            warnings.warn(
                f"frame needs {s.visible} visible splats / {s.pairs} tile pairs, beyond this "
                f"adapter's storage limits ({fb.max_visible} / {fb.max_pairs}); "
                "some splats are missing from it",
                stacklevel=2,
            )
        return grew

    async def prepare(
        self, camera: Camera, background: tuple[float, float, float] = (0.0, 0.0, 0.0)
    ) -> None:
        """Size the buffers for ``camera``'s view before drawing it: projection and tile
        counts only, read back. A first frame (or a new scene's) then comes out whole,
        for a fraction of the frame it would otherwise draw, discard and redraw."""
        for _ in range(3):
            enc = self.device.encoder("prepare")
            self.encode(enc, camera, background, counts_only=True)
            self.device.submit(enc)
            if not await self.grow_if_needed():
                break
        self.sized = True

    async def render(
        self, camera: Camera, background: tuple[float, float, float] = (0.0, 0.0, 0.0)
    ) -> FrameStats:
        """Render one frame and wait for it, redrawing once if buffers had to grow."""
        if not self.sized:
            await self.prepare(camera, background)
        for _ in range(REDRAWS):
            enc = self.device.encoder("frame")
            self.encode(enc, camera, background)
            self.device.submit(enc)
            if not await self.grow_if_needed():
                break
        return self.stats

    async def read_rgba8(self) -> bytes:
        """The last frame as width*height*4 bytes, RGBA, top row first."""
        w, h = self.size
        return await self.device.read_buffer(self.buffers.output, 0, w * h * 4)

    async def read_rgba_f32(self) -> bytes:
        """The last frame as float32 RGB + transmittance (needs ``debug_f32=True``)."""
        if not self.debug_f32:
            raise RenderError("create the renderer with debug_f32=True to read float images")
        w, h = self.size
        return await self.device.read_buffer(self.buffers.output_f32, 0, w * h * 16)
