"""Browser backend: the JS WebGPU API (``navigator.gpu``) through Pyodide's FFI.

Mirrors ``native.py`` call for call. Differences that matter:

- WebGPU reports validation errors asynchronously (error scopes), so a rejected
  shader cannot raise inside the synchronous ``compute_pipeline`` or
  ``validate_shader``; the error is collected and raised as ``GPUError`` by the next
  ``done()`` / ``read_buffer()``.
- Python bytes reach JS by copying into a ``Uint8Array`` (``JsBuffer.assign``);
  readback copies the mapped range out with ``to_bytes()``.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any

import js  # type: ignore[import-not-found]  # Pyodide only
from pyodide.ffi import create_proxy, jsnull, to_js  # type: ignore[import-not-found]

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

_USAGE_NAMES = {
    "storage": "STORAGE",
    "uniform": "UNIFORM",
    "indirect": "INDIRECT",
    "copy_src": "COPY_SRC",
    "copy_dst": "COPY_DST",
    "map_read": "MAP_READ",
    "vertex": "VERTEX",
}
# Optional features we ask for when the adapter offers them (browser spelling).
_WANTED_FEATURES = ("timestamp-query", "shader-f16", "subgroups")
_MAX_TIMED_PASSES = 256
# Limits we raise above the WebGPU defaults when the adapter allows: bigger pool
# pages. Everything else stays at the defaults every browser and phone guarantees.
_RAISED_LIMITS = ("maxStorageBufferBindingSize", "maxBufferSize")


def js_obj(value: Any) -> Any:
    """A Python dict/list tree as plain JS objects/arrays (WebGPU descriptors)."""
    return to_js(value, dict_converter=js.Object.fromEntries)


def _missing(value: Any) -> bool:
    """JS null/undefined arrive as ``jsnull``/None."""
    return value is None or value is jsnull


def _usage_bits(usage: Sequence[str]) -> int:
    flags = 0
    for u in usage:
        flags |= int(getattr(js.GPUBufferUsage, _USAGE_NAMES[u]))
    return flags


class _Timing:
    def __init__(self, device: Any) -> None:
        self.query_set = device.createQuerySet(
            js_obj({"type": "timestamp", "count": 2 * _MAX_TIMED_PASSES, "label": "timing"})
        )
        usage = int(js.GPUBufferUsage.QUERY_RESOLVE) | int(js.GPUBufferUsage.COPY_SRC)
        self.resolve = device.createBuffer(
            js_obj({"size": 16 * _MAX_TIMED_PASSES, "usage": usage, "label": "timing-resolve"})
        )
        self.labels: list[str] = []
        self.active = False

    def writes(self, label: str) -> dict[str, Any] | None:
        if not self.active or not label or len(self.labels) >= _MAX_TIMED_PASSES:
            return None
        i = len(self.labels)
        self.labels.append(label)
        return {
            "querySet": self.query_set,
            "beginningOfPassWriteIndex": 2 * i,
            "endOfPassWriteIndex": 2 * i + 1,
        }


class _BrowserPass(ComputePass):
    def __init__(self, encoder: Any, label: str, timing: _Timing | None) -> None:
        desc: dict[str, Any] = {"label": label}
        writes = timing.writes(label) if timing else None
        if writes:
            desc["timestampWrites"] = writes
        self._p = encoder.beginComputePass(js_obj(desc))

    def _bind(self, pipeline: Pipeline, groups: Sequence[BindGroup]) -> None:
        self._p.setPipeline(pipeline.handle)
        for i, g in enumerate(groups):
            self._p.setBindGroup(i, g.handle)

    def dispatch(self, pipeline, groups, x, y=1, z=1):
        if x == 0 or y == 0 or z == 0:
            return
        self._bind(pipeline, groups)
        self._p.dispatchWorkgroups(x, y, z)

    def dispatch_indirect(self, pipeline, groups, args, offset=0):
        self._bind(pipeline, groups)
        self._p.dispatchWorkgroupsIndirect(args.handle, offset)

    def end(self):
        self._p.end()


class _BrowserEncoder(Encoder):
    def __init__(self, device: Any, label: str, timing: _Timing | None) -> None:
        self.handle = device.createCommandEncoder(js_obj({"label": label}))
        self._timing = timing

    def compute_pass(self, label=""):
        return _BrowserPass(self.handle, label, self._timing)

    def copy_buffer(self, src, src_offset, dst, dst_offset, size):
        self.handle.copyBufferToBuffer(src.handle, src_offset, dst.handle, dst_offset, size)

    def clear_buffer(self, buffer, offset=0, size=None):
        if size is None:
            size = buffer.size - offset
        self.handle.clearBuffer(buffer.handle, offset, size)


class BrowserDevice(Device):
    """A WebGPU device in the page. Build it with ``await BrowserDevice.create()``."""

    def __init__(self, adapter: Any, device: Any) -> None:
        self.adapter = adapter
        self.handle = device
        self.info = _adapter_info(adapter)
        lim = device.limits
        self.limits = Limits(
            max_storage_binding=int(lim.maxStorageBufferBindingSize),
            max_buffer_size=int(lim.maxBufferSize),
            max_workgroups_per_dim=int(lim.maxComputeWorkgroupsPerDimension),
            max_storage_buffers_per_stage=int(lim.maxStorageBuffersPerShaderStage),
            max_workgroup_storage=int(lim.maxComputeWorkgroupStorageSize),
            max_invocations_per_workgroup=int(lim.maxComputeInvocationsPerWorkgroup),
        )
        self.features = frozenset(f for f in _WANTED_FEATURES if device.features.has(f))
        self._pipelines: dict[tuple[str, str], Pipeline] = {}
        self._timing: _Timing | None = None
        self._checks: list[tuple[str, Any]] = []  # (label, popErrorScope promise)
        self._errors: list[str] = []
        self.lost: str | None = None
        # Persistent proxies: JS keeps calling them for the device's lifetime.
        self._proxies = [create_proxy(self._on_error), create_proxy(self._on_lost)]
        device.addEventListener("uncapturederror", self._proxies[0])
        device.lost.then(self._proxies[1])

    @classmethod
    async def create(cls, power_preference: str = "high-performance") -> BrowserDevice:
        gpu = getattr(js.navigator, "gpu", None)
        if _missing(gpu):
            raise GPUError("this browser has no WebGPU (navigator.gpu is missing)")
        adapter = await gpu.requestAdapter(js_obj({"powerPreference": power_preference}))
        if _missing(adapter):
            raise GPUError("WebGPU is present but no adapter is available")
        feats = [f for f in _WANTED_FEATURES if adapter.features.has(f)]
        limits = {k: int(getattr(adapter.limits, k)) for k in _RAISED_LIMITS}
        device = await adapter.requestDevice(
            js_obj({"requiredFeatures": feats, "requiredLimits": limits, "label": "splatrender"})
        )
        return cls(adapter, device)

    def _on_error(self, event: Any) -> None:
        self._errors.append(str(event.error.message))
        event.preventDefault()  # we report it ourselves

    def _on_lost(self, info: Any) -> None:
        self.lost = f"{info.reason}: {info.message}"

    async def _raise_pending(self) -> None:
        checks, self._checks = self._checks, []
        for label, promise in checks:
            err = await promise
            if not _missing(err):
                self._errors.append(f"shader {label!r} rejected: {err.message}")
        if self._errors:
            errors, self._errors = self._errors, []
            raise GPUError("; ".join(errors))
        if self.lost is not None:
            raise GPUError(f"GPU device lost ({self.lost})")

    # -- resources ---------------------------------------------------------------
    def create_buffer(self, size, usage, label=""):
        size = max(16, (int(size) + 15) // 16 * 16)
        if size > self.limits.max_buffer_size:
            raise GPUError(
                f"buffer {label!r} needs {size} bytes; adapter maximum is "
                f"{self.limits.max_buffer_size}"
            )
        desc = {"size": size, "usage": _usage_bits(usage), "label": label}
        h = self.handle.createBuffer(js_obj(desc))
        return Buffer(h, size, frozenset(usage), label)

    def write_buffer(self, buffer, data, offset=0):
        mv = memoryview(data).cast("B")
        n = mv.nbytes
        if n == 0:
            return
        padded = (n + 3) // 4 * 4  # writeBuffer needs a multiple of 4 bytes
        arr = js.Uint8Array.new(padded)
        arr.subarray(0, n).assign(mv)
        self.handle.queue.writeBuffer(buffer.handle, offset, arr)

    def destroy_buffer(self, buffer):
        buffer.handle.destroy()

    def compute_pipeline(self, source, entry="main", label=""):
        key = (source, entry)
        if key in self._pipelines:
            return self._pipelines[key]
        dev = self.handle
        dev.pushErrorScope("validation")
        module = dev.createShaderModule(js_obj({"code": source, "label": label}))
        desc = {
            "label": label,
            "layout": "auto",
            "compute": {"module": module, "entryPoint": entry},
        }
        h = dev.createComputePipeline(js_obj(desc))
        self._checks.append((label or entry, dev.popErrorScope()))
        p = Pipeline(h, label, entry, binding_table(source))
        self._pipelines[key] = p
        return p

    def validate_shader(self, source, label=""):
        # Browsers compile asynchronously: the verdict is raised as GPUError by the
        # next done() / read_buffer(), like a rejected pipeline.
        dev = self.handle
        dev.pushErrorScope("validation")
        dev.createShaderModule(js_obj({"code": source, "label": label}))
        self._checks.append((label or "shader", dev.popErrorScope()))

    def bind_group(self, pipeline, index, bindings, label=""):
        entries = []
        bufs = []
        for i, b in binding_items(pipeline, index, bindings):
            size = b.size if b.size is not None else b.buffer.size - b.offset
            res = {"buffer": b.buffer.handle, "offset": b.offset, "size": size}
            entries.append({"binding": i, "resource": res})
            bufs.append(b.buffer)
        layout = pipeline.handle.getBindGroupLayout(index)
        desc = {"layout": layout, "entries": entries, "label": label}
        h = self.handle.createBindGroup(js_obj(desc))
        return BindGroup(h, label, bufs)

    # -- work --------------------------------------------------------------------
    def encoder(self, label=""):
        return _BrowserEncoder(self.handle, label, self._timing)

    def submit(self, encoder):
        self.handle.queue.submit(js_obj([encoder.handle.finish()]))

    async def read_buffer(self, buffer, offset=0, size=None):
        if size is None:
            size = buffer.size - offset
        if size == 0:
            return b""
        padded = (size + 3) // 4 * 4
        usage = int(js.GPUBufferUsage.MAP_READ) | int(js.GPUBufferUsage.COPY_DST)
        staging = self.handle.createBuffer(js_obj({"size": padded, "usage": usage}))
        enc = self.handle.createCommandEncoder()
        enc.copyBufferToBuffer(buffer.handle, offset, staging, 0, padded)
        self.handle.queue.submit(js_obj([enc.finish()]))
        await self._raise_pending()
        try:
            await staging.mapAsync(int(js.GPUMapMode.READ))
        except Exception as e:
            raise GPUError(f"readback of {buffer.label!r} failed: {e}") from e
        data = js.Uint8Array.new(staging.getMappedRange(0, padded)).to_bytes()[:size]
        staging.unmap()
        staging.destroy()
        return data

    async def done(self):
        await self.handle.queue.onSubmittedWorkDone()
        await self._raise_pending()

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
        enc = self.handle.createCommandEncoder()
        enc.resolveQuerySet(t.query_set, 0, 2 * n, t.resolve, 0)
        self.handle.queue.submit(js_obj([enc.finish()]))
        raw = await self.read_buffer(
            Buffer(t.resolve, 16 * _MAX_TIMED_PASSES, frozenset()), 0, 16 * n
        )
        stamps = struct.unpack(f"<{2 * n}Q", raw)
        out: dict[str, float] = {}
        for i, label in enumerate(t.labels):
            dt = max(0, stamps[2 * i + 1] - stamps[2 * i]) / 1e6  # ns -> ms
            out[label] = out.get(label, 0.0) + dt
        return out


def _adapter_info(adapter: Any) -> AdapterInfo:
    info = getattr(adapter, "info", None)
    if _missing(info):
        return AdapterInfo(name="WebGPU adapter", backend="WebGPU")

    def field(name: str) -> str:
        v = getattr(info, name, "")
        return "" if _missing(v) else str(v)

    name = field("description") or field("device") or field("architecture") or "WebGPU adapter"
    return AdapterInfo(
        name=name,
        vendor=field("vendor"),
        backend="WebGPU",
        adapter_type=field("architecture"),
        driver=field("device"),
    )
