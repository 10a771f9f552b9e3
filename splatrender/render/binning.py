"""The binning passes: depth sort, splat-tile pairs, tile sort, per-tile ranges.

WGSL has no 64-bit integers, so instead of one sort by (tile << 32 | depth) the visible
list is sorted by depth first, pairs are emitted in depth order, and a stable sort by
tile keeps depth order within each tile (shaders/bin.wgsl, radix_sort.wgsl). CPU
adapters place the pairs by tile with a counting sort instead (tile_blocks.py). Twins:
``reference/raster.py`` (``depth_order``, ``bin_tiles``) and ``reference/sort.py``.
"""

from __future__ import annotations

from ..gpu import Device, Encoder
from ..shaders import load_shader
from ..shaders.layout import WORKGROUP
from .frame_buffers import ARGS_PAIRS, ARGS_VISIBLE, FrameBuffers
from .frame_uniforms import tile_grid
from .indirect import BindCache, DispatchArgs
from .scan import ExclusiveScan
from .sort import RadixSort
from .tile_blocks import TileBlocks
from .tuning import Tuning

ENTRIES = ("count_tiles", "clamp_pairs", "emit_pairs", "tile_ranges")


class Binning:
    """Turns the projected visible list of ``FrameBuffers`` into depth-ordered per-tile
    lists: ``fb.order``, ``fb.sorted_pairs`` and ``fb.ranges``."""

    def __init__(self, device: Device, tuning: Tuning) -> None:
        self.device = device
        self.tuning = tuning
        src = load_shader("bin", {"TILE_SIZE": tuning.tile_size, "RANGE_RUN": tuning.range_run})
        self._pipes = {e: device.compute_pipeline(src, e, f"bin-{e}") for e in ENTRIES}
        self.blocks = TileBlocks(device, tuning) if tuning.tile_block_pairs else None
        self.dispatch_args = DispatchArgs(device, "pair-args")
        self._binds = BindCache()
        self._visible_capacity = -1
        self._pair_capacity = -1

    def _fit(self, fb: FrameBuffers) -> None:
        """Sorters and the scan sized for the buffers' capacities."""
        if fb.visible_capacity != self._visible_capacity:
            n = self._visible_capacity = fb.visible_capacity
            self.depth_sort = RadixSort.tuned(self.device, n, "depth-sort", self.tuning)
            serial = self.tuning.scan_serial_block
            self.offsets_scan = ExclusiveScan(self.device, n, "tile-scan", serial_block=serial)
        if fb.pair_capacity != self._pair_capacity and self.blocks is None:
            self._pair_capacity = fb.pair_capacity
            self.tile_sort = RadixSort.tuned(
                self.device, fb.pair_capacity, "tile-sort", self.tuning
            )

    def _dispatch(self, cp, entry: str, bindings: dict, args=None, groups: int = 1) -> None:
        self._binds.dispatch(cp, self.device, self._pipes[entry], bindings, entry, args, groups)

    def encode_counts(self, encoder: Encoder, fb: FrameBuffers) -> None:
        """Depth sort, tiles per splat and their scan: as far as the pair count."""
        self._fit(fb)
        visible = fb.counter("visible_eff")
        _, fb.order = self.depth_sort.encode(encoder, fb.depth_keys, fb.depth_vals, visible, 32)
        with encoder.compute_pass("bin") as cp:
            self._dispatch(
                cp,
                "count_tiles",
                {
                    "counters": fb.counters,
                    "rects": fb.rects,
                    "order": fb.order,
                    "offsets": fb.offsets,
                    "depth_rects": fb.depth_rects,
                },
                fb.args_binding(ARGS_VISIBLE),
            )
        self.offsets_scan.encode(encoder, fb.offsets, visible, fb.counter("pairs"))

    def encode_pairs(self, encoder: Encoder, fb: FrameBuffers) -> None:
        """After ``encode_counts``: emit the pairs, sort them by tile, find tile ranges."""
        with encoder.compute_pass("bin") as cp:
            self._dispatch(cp, "clamp_pairs", {"frame": fb.frame_uniform, "counters": fb.counters})
            if self.blocks is None:
                self._emit_pairs(cp, fb)
        if self.blocks is not None:
            self.blocks.encode(encoder, fb)
            return
        tx, ty = tile_grid(*fb.size, fb.tile_size)
        tile_bits = max(1, (tx * ty - 1).bit_length())
        keys, vals = self.tile_sort.encode(
            encoder, fb.pair_keys, fb.pair_vals, fb.counter("pairs_eff"), tile_bits
        )
        fb.sorted_pairs = (keys, vals)
        with encoder.compute_pass("bin") as cp:
            self._dispatch(
                cp,
                "tile_ranges",
                {"counters": fb.counters, "pair_keys": keys, "ranges": fb.ranges},
                fb.args_binding(ARGS_PAIRS),
            )

    def _emit_pairs(self, cp, fb: FrameBuffers) -> None:
        """The radix path's pairs in depth order, and the tile sort's dispatch args."""
        self._dispatch(
            cp,
            "emit_pairs",
            {
                "frame": fb.frame_uniform,
                "counters": fb.counters,
                "depth_rects": fb.depth_rects,
                "order": fb.order,
                "offsets": fb.offsets,
                "pair_keys": fb.pair_keys,
                "pair_vals": fb.pair_vals,
                "projected": fb.projected,
            },
            fb.args_binding(ARGS_VISIBLE),
        )
        self.dispatch_args.encode(
            cp,
            fb.counter("pairs_eff"),
            WORKGROUP * self.tuning.range_run,
            fb.args_binding(ARGS_PAIRS),
        )
