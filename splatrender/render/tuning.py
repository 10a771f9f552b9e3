"""Per-adapter settings of the frame graph. None of them changes the image (the
reference renderer takes the same tile size); they only move work around.

CPU adapters (lavapipe, SwiftShader: what a phone without WebGPU hardware, CI, and
these machines have) run workgroups as SIMD loops where barriers and workgroup memory
are dear, so they get small tiles, more pixels per raster thread and the serial sort
kernels. GPUs get the classic layout; no GPU was lent to this project to tune them.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from ..gpu import Device
from ..gpu.base import SUBGROUPS
from ..shaders.layout import SOFTWARE_TILE_SIZE, TILE_SIZE


@dataclass(frozen=True)
class Tuning:
    tile_size: int
    """Tile edge in pixels. Measured on lavapipe: 8 px tiles make frames 1.3-1.5x
    faster than 16 px on CPU adapters (each splat is blended over every pixel of the
    tiles it touches, so smaller tiles waste less; the extra pairs cost less)."""
    raster_rows: int
    """Pixels each raster thread blends, 4 or 8 (one or two vec4 groups). One splat read
    from workgroup memory then serves them all (lavapipe: 8 rows ~8x faster than 1)."""
    sort_serial_keys: int
    """Keys per thread of the serial radix-sort kernels, 0 for workgroup ranking.
    Measured side by side (bench/bench_sort.py; 700K 14-bit keys / 91K 32-bit keys,
    8192 keys per block): SwiftShader 148 / 47 ms against 819 / 251 ms with ranking;
    lavapipe 78 / 23 against 139 / 36."""
    scan_serial_block: int
    """Items per thread of the serial scan kernels, 0 for the workgroup scan."""
    sort_workgroup: int = 128
    """Threads per workgroup of the radix-sort kernels. A CPU adapter runs each workgroup
    on one core, and the serial kernels give each thread a whole block, so 128 threads
    held a 1M-key depth sort (122 blocks of 8192 keys) in one workgroup, on one of the two
    cores. Measured side by side (bench/bench_sort.py, 1M 32-bit / 2M 14-bit
    keys, 4096 keys per block): 32 threads take lavapipe 30 / 32 ms against 57 / 41 ms
    for 8192 keys x 128 threads, SwiftShader 81 / 76 against 145 / 77; same CPU time."""
    sort_subgroup_keys: int = 0
    """Keys per subgroup of the subgroup-ranking sort scatter (radix_sort_subgroup.wgsl),
    0 for none; used only where the device has subgroups, else ``sort_serial_keys``
    applies. Off by default: on both CPU adapters it loses to the serial kernel
    (bench/results/sort.md; lavapipe 1.1-1.3x process CPU time at 1M 32-bit and 2.4M
    14-bit keys, SwiftShader in Chrome about 2x). GPUs are untested (none lent)."""
    raster_direct: bool = False
    """Raster threads read their tile's splats straight from storage (``main_direct``:
    no workgroup memory, no barrier) instead of sharing batches in workgroup memory.
    Chrome's Tint zero-initialises workgroup memory with one more barrier per workgroup,
    which made the page's raster pass 1.9x native's on SwiftShader. Measured side by
    side (bench/web/page_vs_native.py, guitar 1280x720): page raster 345 -> 166 ms,
    native SwiftShader 184 -> 165, lavapipe 115 -> 63; same image."""

    raster_subgroup_chunk: int = 0
    """Splats the lanes of a subgroup read at once and broadcast to each other
    (``main_subgroup``, raster_subgroup.wgsl), 0 for none; at most the subgroup size,
    and used only where the device has subgroups. For llvmpipe, which reads storage one
    lane at a time inside loops, so every thread of a tile re-read each splat. Measured
    side by side on one frame (procedural 1M, 1280x720, the same image): lavapipe raster
    198 ms direct -> 119 (chunk 4) / 103 (chunk 8); SwiftShader 537 -> 958 (its broadcasts
    are dear), so SwiftShader keeps ``main_direct``."""

    subgroup_slots: bool = False
    """The projection takes visible-list slots one atomic per subgroup instead of one
    per splat (visible_slot_subgroup.wgsl), where the device has subgroups. On a CPU
    adapter the one counter's cache line moves between the cores at every atomic."""

    range_run: int = 1
    """Consecutive pairs each thread of the tile-range pass walks (bin.wgsl
    ``tile_ranges``): one key read per pair instead of three where every storage read is
    a loop over the SIMD lanes. GPUs keep 1, whose neighbouring threads read neighbouring
    keys."""

    tile_block_pairs: int = 0
    """Pairs per block of the counting tile sort (tile_blocks.py), 0 for the radix tile
    sort. Blocks of pairs in depth order count their tiles and then write each pair
    straight to its place, so the pairs skip emit_pairs' writes and the two radix
    passes; one thread walks each block, which suits CPU adapters only. Measured side
    by side (bench/bench_raster.py, procedural 1M, 1280x720, lavapipe, the same images):
    radix sort 260.5 ms a frame, 16384-pair blocks 248.8; 8192-pair blocks 253.6 (a
    table twice the size for the per-tile passes)."""

    def __post_init__(self) -> None:
        if self.tile_block_pairs < 0:
            raise ValueError(f"tile_block_pairs must be >= 0, got {self.tile_block_pairs}")
        if self.range_run < 1:
            raise ValueError(f"range_run must be >= 1, got {self.range_run}")
        if self.raster_subgroup_chunk not in (0, 4, 8):
            raise ValueError(
                f"raster_subgroup_chunk must be 0, 4 or 8, got {self.raster_subgroup_chunk}"
            )
        if self.raster_rows not in (4, 8) or self.tile_size % self.raster_rows:
            raise ValueError(
                f"raster_rows must be 4 or 8 and divide the tile size, got {self.raster_rows} "
                f"with {self.tile_size} px tiles"
            )

    @classmethod
    def for_device(cls, device: Device) -> Tuning:
        if not device.info.is_software:
            return GPU
        lanes = llvmpipe_lanes(device.info.name)
        if lanes and SUBGROUPS in device.features:
            return dataclasses.replace(
                CPU_ADAPTER, raster_subgroup_chunk=min(8, lanes), subgroup_slots=True
            )
        return CPU_ADAPTER


def llvmpipe_lanes(name: str) -> int:
    """llvmpipe's subgroup size, its SIMD width in 32-bit lanes, which it names
    ("llvmpipe (LLVM 15.0.6, 256 bits)"); 0 for another adapter."""
    m = re.match(r"llvmpipe \(.*?(\d+) bits\)", name)
    return max(4, int(m.group(1)) // 32) if m else 0


CPU_ADAPTER = Tuning(
    tile_size=SOFTWARE_TILE_SIZE,
    raster_rows=8,
    sort_serial_keys=4096,
    scan_serial_block=256,
    sort_workgroup=32,
    raster_direct=True,
    range_run=16,
    tile_block_pairs=16384,
)
GPU = Tuning(tile_size=TILE_SIZE, raster_rows=4, sort_serial_keys=0, scan_serial_block=0)
