"""The frame graph: project -> depth sort -> bin -> tile sort -> rasterize.

Every count stays on the GPU (indirect dispatch); a frame is a handful of uniform
writes and dispatches, O(passes) in Python whatever the splat count. Capacities grow
when a frame reports more visible splats or splat-tile pairs than its buffers hold:
``render`` redraws at once, interactive callers redraw on the next frame.
"""

from __future__ import annotations

import struct
import warnings
from dataclasses import dataclass

from ..errors import RenderError
from ..gpu import (
    COPY_DST,
    COPY_SRC,
    INDIRECT,
    STORAGE,
    UNIFORM,
    Binding,
    Buffer,
    Device,
    load_shader,
    request_device,
)
from .camera import Camera
from .frame_uniforms import FRAME_UNIFORM_BYTES, pack_frame, tile_grid
from .indirect import DispatchArgs
from .layout import (
    GEOM_FLOATS,
    PROJ_FLOATS,
    WORKGROUP,
    sh_rest_floats,
)
from .pool import SplatPool
from .scan import ExclusiveScan
from .scene_data import SceneData
from .sort import RadixSort
from .tuning import Tuning

MODES = ("classic", "antialiased")
# Counter words (shaders/frame.wgsl).
_VISIBLE, _VISIBLE_EFF, _PAIRS, _PAIRS_EFF = range(4)
# Indirect-args slots, 256 bytes apart (storage binding offset alignment).
_ARGS_VISIBLE, _ARGS_PAIRS = 0, 256
_MIN_PAIR_CAPACITY = 1 << 16
_PAIRS_PER_SPLAT_GUESS = 4


@dataclass
class FrameStats:
    visible: int = 0
    pairs: int = 0
    splats: int = 0
    width: int = 0
    height: int = 0
    overflow: bool = False


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
        self.pool: SplatPool | None = None
        self.frame_uniform = device.create_buffer(FRAME_UNIFORM_BYTES, [UNIFORM, COPY_DST], "frame")
        self.counters = device.create_buffer(256, [STORAGE, COPY_SRC, COPY_DST], "counters")
        self.args = device.create_buffer(512, [STORAGE, INDIRECT], "dispatch-args")
        self.dispatch_args = DispatchArgs(device, "dispatch-args")
        self.tuning = tuning = tuning or Tuning.for_device(device)
        self.tile_size = tile = tuning.tile_size
        bin_consts = {"WORKGROUP": WORKGROUP, "TILE_SIZE": tile, "PROJ_FLOATS": PROJ_FLOATS}
        self._bin = {
            e: device.compute_pipeline(load_shader("bin", bin_consts), e, f"bin-{e}")
            for e in ("clamp_visible", "count_tiles", "clamp_pairs", "emit_pairs", "tile_ranges")
        }
        rows = tuning.raster_rows
        raster_consts = {
            "TILE_SIZE": tile,
            "GROUPS": rows // 4,
            "THREADS_Y": tile // rows,
            "THREADS": tile * tile // rows,
            "BATCH": tile * tile,
            "PROJ_FLOATS": PROJ_FLOATS,
        }
        self._raster = device.compute_pipeline(
            load_shader("raster", raster_consts), "main", "raster"
        )
        self._project_pipelines: dict[int, object] = {}
        self.visible_capacity = 0
        self.pair_capacity = 0
        self.size = (0, 0)
        self.output: Buffer | None = None
        self.output_f32: Buffer | None = None
        self.stats = FrameStats()
        self.sized = False  # buffers sized for a view of the current pool (``prepare``)
        self._groups: dict[str, object] = {}

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

    def set_pool(self, pool: SplatPool) -> None:
        self.pool = pool
        self.sized = False
        self._groups.clear()

    # -- capacities ----------------------------------------------------------------
    def _project_pipeline(self, sh_degree: int):
        p = self._project_pipelines.get(sh_degree)
        if p is None:
            consts = {
                "WORKGROUP": WORKGROUP,
                "GEOM_FLOATS": GEOM_FLOATS,
                "PROJ_FLOATS": PROJ_FLOATS,
                "TILE_SIZE": self.tile_size,
                "SH_DEGREE": sh_degree,
                "SH_REST_FLOATS": max(1, sh_rest_floats(sh_degree)),
                "ANTIALIASED": self.mode == "antialiased",
            }
            p = self.device.compute_pipeline(load_shader("project", consts), "main", "project")
            self._project_pipelines[sh_degree] = p
        return p

    def _max_visible(self) -> int:
        return self.device.max_storage_elements(4 * PROJ_FLOATS)

    def _max_pairs(self) -> int:
        return self.device.max_storage_elements(4)

    def _release(self, *names: str) -> None:
        """Free buffers about to be replaced by larger ones (GPU memory stays bounded)."""
        self._groups.clear()
        for name in names:
            buf = getattr(self, name, None)
            if buf is not None:
                self.device.destroy_buffer(buf)

    def _ensure_visible(self, n: int) -> None:
        n = min(max(WORKGROUP, n), self._max_visible())
        if n <= self.visible_capacity:
            return
        d, usage = self.device, [STORAGE, COPY_SRC, COPY_DST]
        self._release("projected", "rects", "depth_keys", "depth_vals", "ids", "offsets")
        self.visible_capacity = n
        self.projected = d.create_buffer(n * 4 * PROJ_FLOATS, usage, "projected")
        self.rects = d.create_buffer(n * 8, usage, "rects")
        self.depth_keys = d.create_buffer(n * 4, usage, "depth-keys")
        self.depth_vals = d.create_buffer(n * 4, usage, "depth-vals")
        self.ids = d.create_buffer(n * 4, usage, "ids")
        self.offsets = d.create_buffer(n * 4, usage, "tile-offsets")
        self.depth_sort = self._sorter(n, "depth-sort")
        self.offsets_scan = ExclusiveScan(
            d, n, "tile-scan", serial_block=self.tuning.scan_serial_block
        )
        self._groups.clear()

    def _sorter(self, capacity: int, label: str) -> RadixSort:
        t = self.tuning
        return RadixSort(
            self.device,
            capacity,
            label,
            serial_keys=t.sort_serial_keys,
            scan_serial_block=t.scan_serial_block,
        )

    def _ensure_pairs(self, n: int) -> None:
        n = min(max(_MIN_PAIR_CAPACITY, n), self._max_pairs())
        if n <= self.pair_capacity:
            return
        d, usage = self.device, [STORAGE, COPY_SRC, COPY_DST]
        self._release("pair_keys", "pair_vals")
        self.pair_capacity = n
        self.pair_keys = d.create_buffer(n * 4, usage, "pair-keys")
        self.pair_vals = d.create_buffer(n * 4, usage, "pair-vals")
        self.tile_sort = self._sorter(n, "tile-sort")
        self._groups.clear()

    def _ensure_image(self, width: int, height: int) -> None:
        if (width, height) == self.size:
            return
        if width * height * 4 > self.device.limits.max_storage_binding:
            raise RenderError(f"{width}x{height} exceeds this adapter's largest storage binding")
        tx, ty = tile_grid(width, height, self.tile_size)
        if max(tx, ty) > 0xFFFF or self._raster_grid(tx * ty)[1] > self._max_dim():
            raise RenderError(f"{width}x{height} has more tiles than the adapter can dispatch")
        d = self.device
        self._release("output", "output_f32", "ranges")
        self.size = (width, height)
        self.output = d.create_buffer(width * height * 4, [STORAGE, COPY_SRC], "image-rgba8")
        f32_size = width * height * 16 if self.debug_f32 else 16
        self.output_f32 = d.create_buffer(f32_size, [STORAGE, COPY_SRC], "image-f32")
        self.ranges = d.create_buffer(tx * ty * 8, [STORAGE, COPY_DST, COPY_SRC], "tile-ranges")
        self._groups.clear()

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
        n_active = pool.active_count
        self._ensure_visible(n_active)  # visible <= active: only the binding limit overflows
        if self.pair_capacity == 0:
            self._ensure_pairs(_PAIRS_PER_SPLAT_GUESS * self.visible_capacity)
        self._ensure_image(camera.width, camera.height)
        d = self.device
        d.write_buffer(
            self.frame_uniform,
            pack_frame(
                camera,
                tuple(float(c) for c in background),
                self.visible_capacity,
                self.pair_capacity,
                self.debug_f32,
                self.tile_size,
            ),
        )
        self.stats.splats = n_active
        self.stats.width, self.stats.height = camera.width, camera.height
        encoder.clear_buffer(self.counters)
        encoder.clear_buffer(self.ranges)
        counts = lambda w: Binding(self.counters, 4 * w, 4)  # noqa: E731
        args_vis = Binding(self.args, _ARGS_VISIBLE, 12)
        args_pairs = Binding(self.args, _ARGS_PAIRS, 12)

        project = self._project_pipeline(pool.sh_degree)
        g0 = self._group("project", project, 0, self._project_bindings())
        maxdim = self._max_dim()
        with encoder.compute_pass("project") as cp:
            for page in pool.active:
                n = pool.counts[page]
                if n == 0:
                    continue
                geom, sh = pool.page_buffers(page)
                g1 = self._group(
                    f"page-{page}", project, 1, [pool.page_uniform(page), geom, sh], (geom, sh)
                )
                groups = -(-n // WORKGROUP)
                x = min(groups, maxdim)
                cp.dispatch(project, [g0, g1], x, -(-groups // x))
            self._dispatch_bin(cp, "clamp_visible", {0: self.frame_uniform, 1: self.counters})
            self.dispatch_args.encode(cp, counts(_VISIBLE_EFF), WORKGROUP, args_vis)

        _, order = self.depth_sort.encode(
            encoder, self.depth_keys, self.depth_vals, counts(_VISIBLE_EFF), 32
        )
        self.order = order  # visible indices front to back (read by tests)
        with encoder.compute_pass("bin") as cp:
            self._dispatch_bin(
                cp,
                "count_tiles",
                {1: self.counters, 2: self.rects, 3: order, 4: self.offsets, 8: self.projected},
                args_vis,
            )
        self.offsets_scan.encode(encoder, self.offsets, counts(_VISIBLE_EFF), counts(_PAIRS))
        if counts_only:
            return
        with encoder.compute_pass("bin") as cp:
            self._dispatch_bin(cp, "clamp_pairs", {0: self.frame_uniform, 1: self.counters})
            self._dispatch_bin(
                cp,
                "emit_pairs",
                {
                    0: self.frame_uniform,
                    1: self.counters,
                    2: self.rects,
                    3: order,
                    4: self.offsets,
                    5: self.pair_keys,
                    6: self.pair_vals,
                    8: self.projected,
                },
                args_vis,
            )
            self.dispatch_args.encode(cp, counts(_PAIRS_EFF), WORKGROUP, args_pairs)
        tx, ty = tile_grid(camera.width, camera.height, self.tile_size)
        tile_bits = max(1, (tx * ty - 1).bit_length())
        keys, vals = self.tile_sort.encode(
            encoder, self.pair_keys, self.pair_vals, counts(_PAIRS_EFF), tile_bits
        )
        self.sorted_pairs = (keys, vals)  # (tile, visible index) by tile (read by tests)
        with encoder.compute_pass("bin") as cp:
            self._dispatch_bin(
                cp, "tile_ranges", {1: self.counters, 5: keys, 7: self.ranges}, args_pairs
            )
        raster_group = self._group(
            "raster",
            self._raster,
            0,
            [self.frame_uniform, self.ranges, vals, self.projected, self.output, self.output_f32],
        )
        with encoder.compute_pass("raster") as cp:
            cp.dispatch(self._raster, [raster_group], *self._raster_grid(tx * ty))

    def _max_dim(self) -> int:
        return self.device.limits.max_workgroups_per_dim

    def _raster_grid(self, tiles: int) -> tuple[int, int]:
        x = min(tiles, self._max_dim())
        return x, -(-tiles // x)

    def _project_bindings(self) -> list[Buffer]:
        return [
            self.frame_uniform,
            self.counters,
            self.projected,
            self.rects,
            self.depth_keys,
            self.depth_vals,
            self.ids,
        ]

    def _group(self, name, pipeline, index, bindings, extra=()):
        bufs = bindings.values() if isinstance(bindings, dict) else bindings
        key = (name, *(id(b) for b in bufs), *(id(b) for b in extra))
        g = self._groups.get(key)
        if g is None:
            g = self.device.bind_group(pipeline, index, bindings, name)
            self._groups[key] = g
        return g

    def _dispatch_bin(self, cp, entry: str, bindings: dict, args: Binding | None = None) -> None:
        pipeline = self._bin[entry]
        group = self._group(entry, pipeline, 0, bindings)
        if args is None:
            cp.dispatch(pipeline, [group], 1)
        else:
            cp.dispatch_indirect(pipeline, [group], args.buffer, args.offset)

    # -- offscreen API -------------------------------------------------------------
    async def read_stats(self) -> FrameStats:
        """Counts of the last submitted frame (awaits the GPU)."""
        raw = await self.device.read_buffer(self.counters, 0, 16)
        visible, _, pairs, _ = struct.unpack("<4I", raw)
        s = self.stats
        s.visible, s.pairs = visible, pairs
        s.overflow = visible > self.visible_capacity or pairs > self.pair_capacity
        return s

    async def grow_if_needed(self) -> bool:
        """After a frame: enlarge buffers that overflowed. True if a redraw is needed."""
        s = await self.read_stats()
        if not s.overflow:
            return False
        grew = False
        if s.visible > self.visible_capacity and self.visible_capacity < self._max_visible():
            self._ensure_visible(s.visible)
            grew = True
        if s.pairs > self.pair_capacity and self.pair_capacity < self._max_pairs():
            self._ensure_pairs(int(s.pairs * 1.25))
            grew = True
        if not grew:
            warnings.warn(
                f"frame needs {s.visible} visible splats / {s.pairs} tile pairs, beyond this "
                f"adapter's storage limits ({self._max_visible()} / {self._max_pairs()}); "
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
        for _ in range(3):
            enc = self.device.encoder("frame")
            self.encode(enc, camera, background)
            self.device.submit(enc)
            if not await self.grow_if_needed():
                break
        return self.stats

    async def read_rgba8(self) -> bytes:
        """The last frame as width*height*4 bytes, RGBA, top row first."""
        w, h = self.size
        return await self.device.read_buffer(self.output, 0, w * h * 4)

    async def read_rgba_f32(self) -> bytes:
        """The last frame as float32 RGB + transmittance (needs ``debug_f32=True``)."""
        if not self.debug_f32:
            raise RenderError("create the renderer with debug_f32=True to read float images")
        w, h = self.size
        return await self.device.read_buffer(self.output_f32, 0, w * h * 16)
