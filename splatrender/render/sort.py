"""RadixSort: portable stable GPU LSD radix sort of u32 keys with u32 values.

Reduce-then-scan per digit: block histograms -> ExclusiveScan of the digit-major table
-> stable scatter (popcount ranking, see radix_sort.wgsl). No cross-workgroup spin
waits (decoupled look-back / OneSweep hang on Apple, Mali and Adreno). The count lives
on the GPU; every dispatch is indirect and split into 2D past the workgroup limit.
Only ``ceil(key_bits / radix_bits)`` digit passes run.

Three scatter kernels, one result: workgroup ranking (GPUs), one block per thread
(``serial_keys``) and one block per subgroup with ballot ranking (``subgroup_keys``,
radix_sort_subgroup.wgsl; only where the device has the ``subgroups`` feature, else the
other settings apply).
"""

from __future__ import annotations

from splatrender.errors import RenderError
from splatrender.gpu import (
    COPY_DST,
    COPY_SRC,
    INDIRECT,
    STORAGE,
    UNIFORM,
    Binding,
    Buffer,
    ComputePass,
    Device,
    Encoder,
)
from splatrender.gpu.base import SUBGROUPS

from ..shaders import load_shader
from .indirect import BINDING_ALIGN, BindCache, ParamCache, max_dim, word_window
from .scan import ExclusiveScan
from .tuning import Tuning

# Measured on lavapipe (process CPU time, 1M 32-bit keys): 8-bit digits ~1.7x faster than
# 4-bit (half the passes); 4096-key blocks beat 1024/2048; WG 128 with double-buffered masks
# ties WG 256 with one set there, and needs fewer barriers and mask loads per key on GPUs.
WG = 128  # threads per workgroup = keys per ranking chunk
RADIX_BITS = 8
CHUNKS = 32  # chunks per block: WG * CHUNKS = 4096 keys per block
META_GRID_OFFSET = 16  # byte offset of the indirect grid in the meta buffer
META_TABLE_COUNT_OFFSET = 8  # byte offset of the table length (the scan's count)
META_SCATTER_GRID_OFFSET = 32  # subgroup kernels: the scatter's own grid
META_BYTES = 48
# subgroup kernel: llvmpipe ends an invocation's loops after 65535 iterations in all, and
# a subgroup walks up to 32 blocks (radix_sort_subgroup.wgsl, MAX_BLOCKS_PER_SUBGROUP)
MAX_SUBGROUP_KEYS = 8192


class RadixSort:
    """Sorts the first ``count`` (key, value) pairs by key, ascending and stable."""

    def __init__(
        self,
        device: Device,
        capacity: int,
        label: str = "sort",
        max_workgroups: int | None = None,
        radix_bits: int = RADIX_BITS,
        chunks: int = CHUNKS,
        workgroup: int = WG,
        serial_keys: int = 0,
        scan_serial_block: int = 0,
        subgroup_keys: int = 0,
    ) -> None:
        """``serial_keys`` > 0: each thread sorts a block of that many keys in order
        (the ``*_serial`` kernels, for CPU adapters; see radix_sort.wgsl);
        ``scan_serial_block`` likewise for the digit table's scan (scan.py).
        ``subgroup_keys`` > 0 and the device has subgroups: each subgroup ranks and
        scatters a block of that many keys (radix_sort_subgroup.wgsl), whose histogram is
        the serial one; without subgroups it is ignored."""
        if capacity < 0:
            raise ValueError(f"capacity must be >= 0, got {capacity}")
        if capacity > device.max_storage_elements(4):
            raise RenderError(
                f"sort capacity {capacity} exceeds this adapter's largest storage binding "
                f"({device.max_storage_elements(4)} u32)"
            )
        if radix_bits not in (4, 8):
            raise ValueError(f"radix_bits must be 4 or 8, got {radix_bits}")
        if workgroup % 32 or not 32 <= workgroup <= device.limits.max_invocations_per_workgroup:
            raise ValueError(f"workgroup must be a multiple of 32 within limits, got {workgroup}")
        # scatter's workgroup memory: two mask sets (RADIX x WG bits) + RADIX offsets
        shared = 4 * (2 * (1 << radix_bits) * workgroup // 32 + (1 << radix_bits))
        if shared > device.limits.max_workgroup_storage:
            raise ValueError(
                f"radix_bits={radix_bits} with workgroup={workgroup} needs {shared} bytes of "
                f"workgroup memory; the limit is {device.limits.max_workgroup_storage}"
            )
        self.device = device
        self.capacity = capacity
        self.label = label
        self.radix_bits = radix_bits
        self.radix = 1 << radix_bits
        if serial_keys < 0 or not 0 <= subgroup_keys <= MAX_SUBGROUP_KEYS:
            raise ValueError(
                f"serial_keys must be >= 0 and subgroup_keys in 0..{MAX_SUBGROUP_KEYS}, "
                f"got {serial_keys} and {subgroup_keys}"
            )
        self.subgroups = subgroup_keys > 0 and SUBGROUPS in device.features
        self.serial = serial_keys > 0 or self.subgroups
        if self.subgroups:
            self.block_keys = subgroup_keys
        else:
            self.block_keys = serial_keys if self.serial else workgroup * chunks
        self.max_blocks = max(1, -(-capacity // self.block_keys))
        consts = {
            "WG": workgroup,
            "MASK_WORDS": workgroup // 32,
            "RADIX_BITS": radix_bits,
            "RADIX": self.radix,
            "CHUNKS": chunks,
            "BLOCK_KEYS": self.block_keys,
            "MAX_DIM": max_dim(device, max_workgroups),
            "SERIAL": self.serial,
        }
        src = load_shader("radix_sort", consts)
        suffix = "_serial" if self.serial else ""
        self.pipes = {
            e: device.compute_pipeline(src, e + suffix if e != "setup" else e, f"{label}-{e}")
            for e in ("setup", "histogram", "scatter")
            if not (self.subgroups and e != "histogram")
        }
        max_passes = -(-32 // radix_bits)
        self.tickets = None
        if self.subgroups:
            sub = {k: consts[k] for k in ("WG", "RADIX_BITS", "RADIX", "BLOCK_KEYS", "MAX_DIM")}
            src = load_shader("radix_sort_subgroup", {**sub, "MAX_PASSES": max_passes})
            for e in ("setup", "scatter"):
                self.pipes[e] = device.compute_pipeline(src, e, f"{label}-{e}-subgroup")
            self.tickets = device.create_buffer(4 * max_passes, [STORAGE], f"{label}-tickets")
        self._scatter_grid = META_SCATTER_GRID_OFFSET if self.subgroups else META_GRID_OFFSET
        self.meta = device.create_buffer(META_BYTES, [STORAGE, INDIRECT], f"{label}-meta")
        table_len = self.radix * self.max_blocks
        self.table = device.create_buffer(4 * table_len, [STORAGE], f"{label}-table")
        self.scan = ExclusiveScan(
            device, table_len, f"{label}-scan", max_workgroups, scan_serial_block
        )
        size = 4 * max(1, capacity)
        self.keys_tmp = device.create_buffer(size, [STORAGE, COPY_SRC], f"{label}-keys-tmp")
        self.values_tmp = device.create_buffer(size, [STORAGE, COPY_SRC], f"{label}-values-tmp")
        self.pass_params = device.create_buffer(
            BINDING_ALIGN * max_passes, [UNIFORM, COPY_DST], f"{label}-shifts"
        )
        for p in range(max_passes):
            device.write_buffer(
                self.pass_params, (p * radix_bits).to_bytes(4, "little"), p * BINDING_ALIGN
            )
        self._params = ParamCache(device, f"{label}-params")
        self._binds = BindCache()

    @classmethod
    def tuned(cls, device: Device, capacity: int, label: str, tuning: Tuning) -> RadixSort:
        """A sorter with the kernels ``tuning`` picks for the device."""
        return cls(
            device,
            capacity,
            label,
            serial_keys=tuning.sort_serial_keys,
            workgroup=tuning.sort_workgroup,
            scan_serial_block=tuning.scan_serial_block,
            subgroup_keys=tuning.sort_subgroup_keys,
        )

    def passes(self, key_bits: int) -> int:
        if not 1 <= key_bits <= 32:
            raise ValueError(f"key_bits must be in 1..32, got {key_bits}")
        return -(-key_bits // self.radix_bits)

    def encode(
        self, encoder: Encoder, keys: Buffer, values: Buffer, count: Binding, key_bits: int = 32
    ) -> tuple[Buffer, Buffer]:
        """Record the sort; returns the (keys, values) buffers that will hold the result.

        Keys must be < 2**key_bits (else only their low digits order them). The inputs are
        overwritten (ping-pong with scratch). An odd pass count (``passes(key_bits)``) leaves
        the result in this sorter's scratch, valid until its next ``encode``: sorts whose
        results must coexist need separate ``RadixSort`` instances (or an even pass count:
        with 8-bit digits, 9-16 and 25-32 bit keys).
        """
        with encoder.compute_pass(self.label) as cpass:
            return self.encode_in(cpass, keys, values, count, key_bits)

    def encode_in(
        self, cpass: ComputePass, keys: Buffer, values: Buffer, count: Binding, key_bits: int = 32
    ) -> tuple[Buffer, Buffer]:
        """Like :meth:`encode`, inside the caller's compute pass."""
        passes = self.passes(key_bits)
        if keys is values:
            raise ValueError("keys and values must be different buffers")
        dev, p = self.device, self.pipes
        win, word = word_window(count)
        cap = min(self.capacity, keys.size // 4, values.size // 4)
        params = self._params.get(word, cap)
        setup = self._binds.get(
            (win.buffer, params),
            ("setup", win.offset, win.size),
            lambda: dev.bind_group(
                p["setup"],
                0,
                {"count_src": win, "meta_out": self.meta, "setup_params": params}
                | ({"tickets_out": self.tickets} if self.tickets else {}),
                self.label,
            ),
        )
        cpass.dispatch(p["setup"], [setup], 1)
        self.scan.encode_setup(cpass, self.table, Binding(self.meta, META_TABLE_COUNT_OFFSET))
        groups = self._binds.get((keys, values), "passes", lambda: self._pass_groups(keys, values))
        for hist, scatter in groups[:passes]:
            cpass.dispatch_indirect(p["histogram"], [hist], self.meta, META_GRID_OFFSET)
            self.scan.encode_levels(cpass, self.table, None)
            cpass.dispatch_indirect(p["scatter"], [scatter], self.meta, self._scatter_grid)
        if passes % 2:
            return self.keys_tmp, self.values_tmp
        return keys, values

    def _pass_groups(self, keys: Buffer, values: Buffer) -> list:
        dev, p = self.device, self.pipes
        pair = [(keys, values), (self.keys_tmp, self.values_tmp)]
        out = []
        for i in range(-(-32 // self.radix_bits)):
            (ki, vi), (ko, vo) = pair[i % 2], pair[(i + 1) % 2]
            shift = Binding(self.pass_params, i * BINDING_ALIGN, 16)
            common = {"info": self.meta, "pass_params": shift, "keys_in": ki}
            hist = dev.bind_group(
                p["histogram"], 0, {**common, "table_out": self.table}, self.label
            )
            outs = {"table": self.table, "values_in": vi, "keys_out": ko, "values_out": vo}
            if self.tickets:
                outs["tickets"] = self.tickets
            scatter = dev.bind_group(p["scatter"], 0, {**common, **outs}, self.label)
            out.append((hist, scatter))
        return out
