"""ExclusiveScan: GPU in-place exclusive prefix sum of u32 over a GPU-side count.

Reduce-then-scan over as many levels as ``capacity`` needs (blocks of ``BLOCK`` = 1024
items: one reduce level covers 1M items, two cover 1G), every dispatch sized on the GPU and
split into 2D grids past the per-dimension workgroup limit. No decoupled look-back and no
spin waits, so it is safe on every WebGPU implementation.
"""

from __future__ import annotations

from splatrender.errors import RenderError
from splatrender.gpu import (
    INDIRECT,
    STORAGE,
    Binding,
    Buffer,
    ComputePass,
    Device,
    Encoder,
)

from ..shaders import load_shader
from .indirect import BINDING_ALIGN, BindCache, ParamCache, max_dim, word_window

WG = 256
ITEMS = 4
BLOCK = WG * ITEMS
META_STRIDE = BINDING_ALIGN // 4  # words per level record
ENTRIES = ("setup", "reduce", "scan_add", "scan_top", "emit_total")


def level_sizes(capacity: int, block: int = BLOCK) -> list[int]:
    """Item counts of the levels: ``[capacity, ceil(capacity/block), ...]`` down to <= block."""
    sizes = [max(1, capacity)]
    while sizes[-1] > block:
        sizes.append(-(-sizes[-1] // block))
    return sizes


class ExclusiveScan:
    """In-place exclusive prefix sum of the first ``count`` u32 of a buffer (count on the GPU)."""

    def __init__(
        self,
        device: Device,
        capacity: int,
        label: str = "scan",
        max_workgroups: int | None = None,
        serial_block: int = 0,
    ) -> None:
        """``serial_block`` > 0: blocks of that many items, each scanned by one thread
        (the ``*_serial`` kernels, for CPU adapters; see scan.wgsl)."""
        if capacity < 0:
            raise ValueError(f"capacity must be >= 0, got {capacity}")
        if capacity > device.max_storage_elements(4):
            raise RenderError(
                f"scan capacity {capacity} exceeds this adapter's largest storage binding "
                f"({device.max_storage_elements(4)} u32)"
            )
        self.device = device
        self.capacity = capacity
        self.label = label
        block = serial_block or BLOCK
        self.sizes = level_sizes(capacity, block)
        self.levels = len(self.sizes) - 1
        consts = {
            "WG": WG,
            "ITEMS": ITEMS,
            "BLOCK": block,
            "LEVELS": self.levels,
            "META_STRIDE": META_STRIDE,
            "MAX_DIM": max_dim(device, max_workgroups),
            "RAKE": 16,
            "SERIAL": serial_block > 0,
        }
        src = load_shader("scan", consts)
        serial = ("reduce", "scan_add", "scan_top") if serial_block else ()
        self.pipes = {
            e: device.compute_pipeline(src, e + "_serial" if e in serial else e, f"{label}-{e}")
            for e in ENTRIES
        }
        self.meta = device.create_buffer(
            BINDING_ALIGN * (self.levels + 1), [STORAGE, INDIRECT], f"{label}-meta"
        )
        # sums[k] holds level k+1 (block sums of level k)
        self.sums = [
            device.create_buffer(4 * n, [STORAGE], f"{label}-sums{k + 1}")
            for k, n in enumerate(self.sizes[1:])
        ]
        self._params = ParamCache(device, f"{label}-params")
        self._binds = BindCache()
        self._fixed = self._fixed_groups()

    def _rec(self, k: int, size: int = 16) -> Binding:
        return Binding(self.meta, k * BINDING_ALIGN, size)

    def _reduce_group(self, k: int, src: Buffer, dst: Buffer):
        names = {"rec": self._rec(k), "src": src, "sums_out": dst}
        return self.device.bind_group(self.pipes["reduce"], 0, names, self.label)

    def _add_group(self, k: int, data: Buffer, sums: Buffer):
        names = {"rec": self._rec(k), "data": data, "sums": sums}
        return self.device.bind_group(self.pipes["scan_add"], 0, names, self.label)

    def _fixed_groups(self):
        """Bind groups over internal buffers only: levels >= 1 (index k is level k)."""
        dev, p = self.device, self.pipes
        reduce, add = {}, {}
        for k in range(1, self.levels):
            src, dst = self.sums[k - 1], self.sums[k]
            reduce[k] = self._reduce_group(k, src, dst)
            add[k] = self._add_group(k, src, dst)
        top = None
        if self.levels:
            top_rec = self._rec(self.levels, BINDING_ALIGN)
            top = dev.bind_group(
                p["scan_top"], 0, {"top_rec": top_rec, "data": self.sums[-1]}, self.label
            )
        return reduce, add, top

    def encode(
        self, encoder: Encoder, data: Buffer, count: Binding, total: Binding | None = None
    ) -> None:
        """Record the scan of ``data[:count]`` (and the grand total into ``total``)."""
        with encoder.compute_pass(self.label) as cpass:
            self.encode_in(cpass, data, count, total)

    def encode_in(
        self, cpass: ComputePass, data: Buffer, count: Binding, total: Binding | None = None
    ) -> None:
        """Like :meth:`encode`, inside the caller's compute pass (to fuse with other work)."""
        self.encode_setup(cpass, data, count)
        self.encode_levels(cpass, data, total)

    def encode_setup(self, cpass: ComputePass, data: Buffer, count: Binding) -> None:
        """Read ``count`` (clamped to capacity and to ``data``'s length) into the level table."""
        win, word = word_window(count)
        params = self._params.get(word, min(self.capacity, data.size // 4))
        group = self._binds.get(
            (win.buffer, params),
            ("setup", win.offset, win.size),
            lambda: self.device.bind_group(
                self.pipes["setup"],
                0,
                {"count_src": win, "meta_out": self.meta, "setup_params": params},
                self.label,
            ),
        )
        cpass.dispatch(self.pipes["setup"], [group], 1)

    def encode_levels(self, cpass: ComputePass, data: Buffer, total: Binding | None) -> None:
        """The scan proper, after :meth:`encode_setup` (reusable while the count holds)."""
        dev, p, L = self.device, self.pipes, self.levels
        reduce, add, top = self._fixed
        if L == 0:
            top = self._binds.get(
                (data,),
                "top",
                lambda: dev.bind_group(
                    p["scan_top"],
                    0,
                    {"top_rec": self._rec(0, BINDING_ALIGN), "data": data},
                    self.label,
                ),
            )
            cpass.dispatch(p["scan_top"], [top], 1)
        else:
            red0, add0 = self._binds.get(
                (data,),
                "level0",
                lambda: (
                    self._reduce_group(0, data, self.sums[0]),
                    self._add_group(0, data, self.sums[0]),
                ),
            )
            cpass.dispatch_indirect(p["reduce"], [red0], self.meta, 4)
            for k in range(1, L):
                cpass.dispatch_indirect(p["reduce"], [reduce[k]], self.meta, k * BINDING_ALIGN + 4)
            cpass.dispatch(p["scan_top"], [top], 1)
            for k in range(L - 1, 0, -1):
                cpass.dispatch_indirect(p["scan_add"], [add[k]], self.meta, k * BINDING_ALIGN + 4)
            cpass.dispatch_indirect(p["scan_add"], [add0], self.meta, 4)
        if total is not None:
            win, word = word_window(total)
            params = self._params.get(word)
            group = self._binds.get(
                (win.buffer, params),
                ("total", win.offset, win.size),
                lambda: dev.bind_group(
                    p["emit_total"],
                    0,
                    {"rec": self._rec(L), "total_out": win, "total_params": params},
                    self.label,
                ),
            )
            cpass.dispatch(p["emit_total"], [group], 1)
