"""Native backend: wgpu-py (wgpu-native) on Vulkan, Metal, D3D12 or lavapipe."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import Any

import wgpu

from ..shaders import binding_table
from .base import (
    AdapterInfo,
    BindGroup,
    Buffer,
    ComputePass,
    Device,
    Encoder,
    GPUError,
    Limits,
    Pipeline,
    binding_items,
)

_USAGE = {
    "storage": wgpu.BufferUsage.STORAGE,
    "uniform": wgpu.BufferUsage.UNIFORM,
    "indirect": wgpu.BufferUsage.INDIRECT,
    "copy_src": wgpu.BufferUsage.COPY_SRC,
    "copy_dst": wgpu.BufferUsage.COPY_DST,
    "map_read": wgpu.BufferUsage.MAP_READ,
    "vertex": wgpu.BufferUsage.VERTEX,
}
# Optional features we ask for when the adapter offers them.
_WANTED_FEATURES = ("timestamp-query", "shader-f16", "subgroup")
# WGSL that Tint requires and this naga rejects ("enable-extension not yet supported") or
# warns about (unknown diagnostic rule): naga takes subgroup builtins without them.
_NAGA_UNSUPPORTED = re.compile(
    r"^[ \t]*(?:enable[ \t]+subgroups[ \t]*;"
    r"|diagnostic\(\s*off\s*,\s*subgroup_uniformity\s*\)\s*;)",
    re.M,
)
_MAX_TIMED_PASSES = 256
_PORTABLE_CAPS = {
    "max-storage-buffers-per-shader-stage": 8,
    "max-compute-workgroup-storage-size": 16384,
    "max-compute-invocations-per-workgroup": 256,
    "max-compute-workgroup-size-x": 256,
}


class _Timing:
    def __init__(self, device: wgpu.GPUDevice) -> None:
        self.query_set = device.create_query_set(
            type="timestamp", count=2 * _MAX_TIMED_PASSES, label="timing"
        )
        size = 16 * _MAX_TIMED_PASSES
        usage = wgpu.BufferUsage.QUERY_RESOLVE | wgpu.BufferUsage.COPY_SRC
        self.resolve = device.create_buffer(size=size, usage=usage, label="timing-resolve")
        self.labels: list[str] = []
        self.active = False

    def writes(self, label: str) -> dict[str, Any] | None:
        if not self.active or not label or len(self.labels) >= _MAX_TIMED_PASSES:
            return None
        i = len(self.labels)
        self.labels.append(label)
        return {
            "query_set": self.query_set,
            "beginning_of_pass_write_index": 2 * i,
            "end_of_pass_write_index": 2 * i + 1,
        }


class _NativePass(ComputePass):
    def __init__(self, encoder: wgpu.GPUCommandEncoder, label: str, timing: _Timing | None):
        writes = timing.writes(label) if timing else None
        self._p = encoder.begin_compute_pass(label=label, timestamp_writes=writes)

    def _bind(self, pipeline: Pipeline, groups: Sequence[BindGroup]) -> None:
        self._p.set_pipeline(pipeline.handle)
        for i, g in enumerate(groups):
            self._p.set_bind_group(i, g.handle)

    def dispatch(self, pipeline, groups, x, y=1, z=1):
        if x == 0 or y == 0 or z == 0:
            return
        self._bind(pipeline, groups)
        self._p.dispatch_workgroups(x, y, z)

    def dispatch_indirect(self, pipeline, groups, args, offset=0):
        self._bind(pipeline, groups)
        self._p.dispatch_workgroups_indirect(args.handle, offset)

    def end(self):
        self._p.end()


class _NativeEncoder(Encoder):
    def __init__(self, device: wgpu.GPUDevice, label: str, timing: _Timing | None):
        self.handle = device.create_command_encoder(label=label)
        self._timing = timing

    def compute_pass(self, label=""):
        return _NativePass(self.handle, label, self._timing)

    def copy_buffer(self, src, src_offset, dst, dst_offset, size):
        self.handle.copy_buffer_to_buffer(src.handle, src_offset, dst.handle, dst_offset, size)

    def clear_buffer(self, buffer, offset=0, size=None):
        self.handle.clear_buffer(buffer.handle, offset, size)


class NativeDevice(Device):
    """A wgpu-py device. Build it with ``await NativeDevice.create()``."""

    def __init__(self, adapter: wgpu.GPUAdapter, device: wgpu.GPUDevice) -> None:
        self.adapter = adapter
        self.handle = device
        info = adapter.info
        self.info = AdapterInfo(
            name=info.get("device", "") or "unknown adapter",
            vendor=info.get("vendor", ""),
            backend=info.get("backend_type", ""),
            adapter_type=info.get("adapter_type", ""),
            driver=info.get("description", ""),
        )
        lim = device.limits
        self.limits = Limits(
            max_storage_binding=lim["max-storage-buffer-binding-size"],
            max_buffer_size=lim["max-buffer-size"],
            max_workgroups_per_dim=lim["max-compute-workgroups-per-dimension"],
            max_storage_buffers_per_stage=lim["max-storage-buffers-per-shader-stage"],
            max_workgroup_storage=lim["max-compute-workgroup-storage-size"],
            max_invocations_per_workgroup=lim["max-compute-invocations-per-workgroup"],
        )
        feats = set(device.features)
        if "subgroup" in feats:
            feats.add("subgroups")
        self.features = frozenset(feats)
        self._pipelines: dict[tuple[str, str], Pipeline] = {}
        self._timing: _Timing | None = None
        self._fence: Buffer | None = None

    @classmethod
    async def create(cls, power_preference: str = "high-performance", adapter: str | None = None):
        _quiet_lavapipe()
        chosen = None
        if adapter:
            for a in wgpu.gpu.enumerate_adapters_sync():
                if adapter.lower() in a.info.get("device", "").lower():
                    chosen = a
                    break
            if chosen is None:
                raise GPUError(f"no adapter matching {adapter!r}; see `splatrender adapters`")
        else:
            chosen = await wgpu.gpu.request_adapter_async(power_preference=power_preference)
        if chosen is None:
            raise GPUError("no WebGPU adapter found (install mesa-vulkan-drivers for lavapipe)")
        feats = [f for f in _WANTED_FEATURES if f in chosen.features]
        alim = chosen.limits
        keys = (
            "max-storage-buffer-binding-size",
            "max-buffer-size",
            "max-compute-workgroups-per-dimension",
            "max-storage-buffers-per-shader-stage",
            "max-compute-workgroup-storage-size",
            "max-compute-invocations-per-workgroup",
            "max-compute-workgroup-size-x",
        )
        limits = {k: alim[k] for k in keys}
        # Hold the native device to the WebGPU defaults that browsers and phones
        # guarantee, so WGSL that passes here also passes there.
        for k, v in _PORTABLE_CAPS.items():
            limits[k] = min(limits[k], v)
        device = await chosen.request_device_async(required_features=feats, required_limits=limits)
        return cls(chosen, device)

    # -- resources ---------------------------------------------------------------
    def create_buffer(self, size, usage, label=""):
        flags = 0
        for u in usage:
            flags |= _USAGE[u]
        size = max(16, (int(size) + 15) // 16 * 16)
        if size > self.limits.max_buffer_size:
            raise GPUError(
                f"buffer {label!r} needs {size} bytes; adapter maximum is "
                f"{self.limits.max_buffer_size}"
            )
        h = self.handle.create_buffer(size=size, usage=flags, label=label)
        return Buffer(h, size, frozenset(usage), label)

    def write_buffer(self, buffer, data, offset=0):
        mv = memoryview(data).cast("B")
        n = mv.nbytes
        if n % 4:
            mv = memoryview(bytes(mv) + b"\0" * (4 - n % 4))
        if n:
            self.handle.queue.write_buffer(buffer.handle, offset, mv)

    def destroy_buffer(self, buffer):
        buffer.handle.destroy()

    def compute_pipeline(self, source, entry="main", label=""):
        key = (source, entry)
        if key in self._pipelines:
            return self._pipelines[key]
        try:
            code = _NAGA_UNSUPPORTED.sub("", source)
            module = self.handle.create_shader_module(code=code, label=label)
            h = self.handle.create_compute_pipeline(
                label=label, layout="auto", compute={"module": module, "entry_point": entry}
            )
        except Exception as e:  # wgpu raises GPUValidationError with naga's message
            raise GPUError(f"shader {label or entry!r} rejected: {e}") from e
        p = Pipeline(h, label, entry, binding_table(source))
        self._pipelines[key] = p
        return p

    def validate_shader(self, source, label=""):
        try:
            self.handle.create_shader_module(code=_NAGA_UNSUPPORTED.sub("", source), label=label)
        except Exception as e:
            raise GPUError(f"shader {label!r} rejected: {e}") from e

    def bind_group(self, pipeline, index, bindings, label=""):
        entries = []
        bufs = []
        for i, b in binding_items(pipeline, index, bindings):
            res: dict[str, Any] = {"buffer": b.buffer.handle, "offset": b.offset}
            res["size"] = b.size if b.size is not None else b.buffer.size - b.offset
            entries.append({"binding": i, "resource": res})
            bufs.append(b.buffer)
        layout = pipeline.handle.get_bind_group_layout(index)
        h = self.handle.create_bind_group(layout=layout, entries=entries, label=label)
        return BindGroup(h, label, bufs)

    # -- work --------------------------------------------------------------------
    def encoder(self, label=""):
        return _NativeEncoder(self.handle, label, self._timing)

    def submit(self, encoder):
        self.handle.queue.submit([encoder.handle.finish()])

    async def read_buffer(self, buffer, offset=0, size=None):
        if size is None:
            size = buffer.size - offset
        if size == 0:
            return b""
        padded = (size + 3) // 4 * 4
        staging = self.handle.create_buffer(
            size=padded, usage=wgpu.BufferUsage.MAP_READ | wgpu.BufferUsage.COPY_DST
        )
        enc = self.handle.create_command_encoder()
        enc.copy_buffer_to_buffer(buffer.handle, offset, staging, 0, padded)
        self.handle.queue.submit([enc.finish()])
        await staging.map_async(wgpu.MapMode.READ)
        data = bytes(staging.read_mapped())[:size]
        staging.unmap()
        staging.destroy()
        return data

    async def done(self):
        # wgpu-py 0.32's on_submitted_work_done_async passes a callback of the wrong
        # C type; mapping a buffer after the submitted work waits for it just as well.
        if self._fence is None:
            self._fence = self.create_buffer(16, ["storage", "copy_src"], "fence")
        await self.read_buffer(self._fence, 0, 4)

    # -- timing ------------------------------------------------------------------
    def begin_timing(self):
        if not self.timestamps_supported():
            return
        if self._timing is None:
            self._timing = _Timing(self.handle)
        self._timing.labels = []
        self._timing.active = True

    async def end_timing(self):
        t = self._timing
        if t is None or not t.active:
            return {}
        t.active = False
        n = len(t.labels)
        if n == 0:
            return {}
        enc = self.handle.create_command_encoder()
        enc.resolve_query_set(t.query_set, 0, 2 * n, t.resolve, 0)
        self.handle.queue.submit([enc.finish()])
        raw = await self.read_buffer(Buffer(t.resolve, t.resolve.size, frozenset()), 0, 16 * n)
        import struct

        stamps = struct.unpack(f"<{2 * n}Q", raw)
        out: dict[str, float] = {}
        for i, label in enumerate(t.labels):
            dt = max(0, stamps[2 * i + 1] - stamps[2 * i]) / 1e6  # ns -> ms
            out[label] = out.get(label, 0.0) + dt
        return out


def _quiet_lavapipe() -> None:
    """lavapipe prints an error on every adapter query when XDG_RUNTIME_DIR is unset:
    point it at a private folder before the first query (not at import)."""
    if os.environ.get("XDG_RUNTIME_DIR") or not hasattr(os, "getuid"):
        return
    path = os.path.join("/tmp", f"splatrender-xdg-{os.getuid()}")
    os.makedirs(path, mode=0o700, exist_ok=True)
    os.environ["XDG_RUNTIME_DIR"] = path


async def enumerate_adapters() -> list[AdapterInfo]:
    _quiet_lavapipe()
    out = []
    seen = set()
    for a in wgpu.gpu.enumerate_adapters_sync():
        i = a.info
        key = (i.get("device"), i.get("backend_type"))
        if key in seen:
            continue
        seen.add(key)
        out.append(
            AdapterInfo(
                name=i.get("device", ""),
                vendor=i.get("vendor", ""),
                backend=i.get("backend_type", ""),
                adapter_type=i.get("adapter_type", ""),
                driver=i.get("description", ""),
            )
        )
    return out
