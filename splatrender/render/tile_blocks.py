"""TileBlocks: the counting tile sort of CPU adapters (shaders/tile_blocks.wgsl).

The radix tile sort (``Binning``) writes every splat-tile pair once in depth order and
moves it twice more, two 8-bit digit passes, each a storage read and write per pair that
a CPU adapter makes lane by lane. Here blocks of pairs count their tiles, a pass per tile
gives each block its slot in every tile, and the blocks walk their pairs again, writing
each straight to its place: the same pairs in the same order (depth order within a
tile). Twin: ``reference/sort.py`` ``block_counting_sort``.

llvmpipe ends an invocation's loops after 65535 iterations, so each block is walked in
chunks, one dispatch each; a frame whose walk the limit still ended reports it
(``FrameStats.walk_cut``) and :meth:`TileBlocks.shorten` halves the chunks for the redraw.
"""

from __future__ import annotations

from ..gpu import COPY_DST, COPY_SRC, STORAGE, Buffer, Device, Encoder
from ..shaders import load_shader
from ..shaders.layout import WORKGROUP
from .frame_buffers import ARGS_BLOCKS, FrameBuffers
from .frame_uniforms import tile_grid
from .indirect import BindCache, DispatchArgs, ParamCache
from .scan import ExclusiveScan
from .tuning import Tuning

ENTRIES = ("block_histogram", "tile_totals", "tile_offsets", "block_emit")
BLOCK_WG = 8  # threads per workgroup of the walks: 18 workgroups for 147 blocks
MIN_WALK_PAIRS = 512  # chunks no shorter: 16384-pair blocks in at most 32 dispatches


class TileBlocks:
    """Places the pairs of ``fb``'s depth-ordered splats by tile into ``fb.pair_vals``
    and writes ``fb.ranges``; needs the pair offsets of ``Binning.encode_counts``."""

    def __init__(self, device: Device, tuning: Tuning) -> None:
        self.device = device
        self.tuning = tuning
        self.block_pairs = tuning.tile_block_pairs
        self.walk_pairs = self.block_pairs
        consts = {
            "TILE_SIZE": tuning.tile_size,
            "BLOCK_PAIRS": self.block_pairs,
            "BLOCK_WG": BLOCK_WG,
        }
        src = load_shader("tile_blocks", consts)
        self._pipes = {e: device.compute_pipeline(src, e, f"tile-blocks-{e}") for e in ENTRIES}
        self.dispatch_args = DispatchArgs(device, "block-args")
        self._walk_params = ParamCache(device, "walk-params")
        self._binds = BindCache()
        self._fitted: tuple[int, int] | None = None
        self.table: Buffer | None = None
        self.tile_counts: Buffer | None = None

    def shorten(self) -> bool:
        """Halve the walks' chunks after a frame they were cut in; False at the floor."""
        if self.walk_pairs <= MIN_WALK_PAIRS:
            return False
        self.walk_pairs //= 2
        return True

    def _fit(self, pair_capacity: int, tiles: int) -> None:
        if self._fitted == (pair_capacity, tiles):
            return
        for buf in (self.table, self.tile_counts):
            if buf is not None:
                self.device.destroy_buffer(buf)
        self._fitted = (pair_capacity, tiles)
        blocks = -(-pair_capacity // self.block_pairs)
        d = self.device
        self.table = d.create_buffer(
            4 * blocks * tiles, [STORAGE, COPY_DST, COPY_SRC], "tile-table"
        )
        self.tile_counts = d.create_buffer(4 * tiles, [STORAGE], "tile-counts")
        serial = self.tuning.scan_serial_block
        self.scan = ExclusiveScan(d, tiles, "tile-count-scan", serial_block=serial)

    def _dispatch(self, cp, entry: str, bindings: dict, args=None, groups: int = 1) -> None:
        self._binds.dispatch(cp, self.device, self._pipes[entry], bindings, entry, args, groups)

    def encode(self, encoder: Encoder, fb: FrameBuffers) -> None:
        """After bin.wgsl ``clamp_pairs``: count, place, and the tile ranges."""
        tx, ty = tile_grid(*fb.size, fb.tile_size)
        tiles = tx * ty
        self._fit(fb.pair_capacity, tiles)
        encoder.clear_buffer(self.table)
        frame = {"frame": fb.frame_uniform, "counters": fb.counters}
        walk = {
            **frame,
            "depth_rects": fb.depth_rects,
            "order": fb.order,
            "offsets": fb.offsets,
            "pair_vals": fb.pair_vals,
            "projected": fb.projected,
            "table": self.table,
        }
        chunks = [
            {**walk, "walk": self._walk_params.get(j, self.walk_pairs)}
            for j in range(-(-self.block_pairs // self.walk_pairs))
        ]
        per_tile = {**frame, "table": self.table, "tile_counts": self.tile_counts}
        tile_groups = -(-tiles // WORKGROUP)
        blocks = fb.args_binding(ARGS_BLOCKS)
        with encoder.compute_pass("tile-count") as cp:
            self.dispatch_args.encode(
                cp, fb.counter("pairs_eff"), self.block_pairs * BLOCK_WG, blocks
            )
            for chunk in chunks:
                self._dispatch(cp, "block_histogram", chunk, blocks)
            self._dispatch(cp, "tile_totals", per_tile, groups=tile_groups)
            self.scan.encode_in(cp, self.tile_counts, fb.counter("tiles"))
            self._dispatch(
                cp, "tile_offsets", {**per_tile, "ranges": fb.ranges}, groups=tile_groups
            )
        with encoder.compute_pass("tile-place") as cp:
            for chunk in chunks:
                self._dispatch(cp, "block_emit", chunk, blocks)
        fb.sorted_pairs = (None, fb.pair_vals)
