"""The backend-neutral GPU interface the render core is written against.

Two backends implement it: ``native`` (wgpu-py, desktop) and ``browser`` (the JS
WebGPU API through Pyodide). Everything here is pure Python: no numpy, no wgpu.
Every wait is an ``await``; nothing blocks, because a browser cannot block.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# Buffer usages, as the WebGPU flag names. Backends map them to their own bits.
STORAGE = "storage"
UNIFORM = "uniform"
INDIRECT = "indirect"
COPY_SRC = "copy_src"
COPY_DST = "copy_dst"
MAP_READ = "map_read"
VERTEX = "vertex"

# Optional features the core can use when present (with fallbacks when not).
TIMESTAMP_QUERY = "timestamp-query"
SHADER_F16 = "shader-f16"
SUBGROUPS = "subgroups"


class GPUError(RuntimeError):
    """A GPU-side failure (no adapter, shader rejected, device lost, out of memory)."""


@dataclass(frozen=True)
class Limits:
    """The adapter limits the core sizes its buffers and dispatches by."""

    max_storage_binding: int = 128 << 20
    max_buffer_size: int = 256 << 20
    max_workgroups_per_dim: int = 65535
    max_storage_buffers_per_stage: int = 8
    max_workgroup_storage: int = 16384
    max_invocations_per_workgroup: int = 256


@dataclass(frozen=True)
class AdapterInfo:
    name: str
    vendor: str = ""
    backend: str = ""
    adapter_type: str = ""
    driver: str = ""

    @property
    def is_software(self) -> bool:
        """A CPU adapter (lavapipe/llvmpipe, SwiftShader, WARP): tuned differently."""
        text = " ".join((self.name, self.vendor, self.adapter_type, self.driver)).lower()
        return self.adapter_type.lower() == "cpu" or any(
            k in text for k in ("llvmpipe", "lavapipe", "swiftshader", "warp", "software")
        )

    def describe(self) -> str:
        extra = ", ".join(x for x in (self.backend, self.adapter_type, self.driver) if x)
        return f"{self.name} ({extra})" if extra else self.name


@dataclass
class Buffer:
    """A GPU buffer: the backend's handle plus what the core needs to know about it."""

    handle: Any
    size: int
    usage: frozenset[str]
    label: str = ""


@dataclass
class Binding:
    """A buffer bound at a byte range (offset, size); size None means to the end."""

    buffer: Buffer
    offset: int = 0
    size: int | None = None


@dataclass
class Pipeline:
    """A compute pipeline and the binding names of its source (``{group: {name: n}}``)."""

    handle: Any
    label: str = ""
    entry: str = "main"
    bindings: dict[int, dict[str, int]] = field(default_factory=dict)


@dataclass
class BindGroup:
    handle: Any
    label: str = ""
    buffers: list[Buffer] = field(default_factory=list)


class ComputePass(abc.ABC):
    """One compute pass; dispatches within it see each other's writes (WebGPU rule)."""

    @abc.abstractmethod
    def dispatch(
        self, pipeline: Pipeline, groups: Sequence[BindGroup], x: int, y: int = 1, z: int = 1
    ) -> None: ...

    @abc.abstractmethod
    def dispatch_indirect(
        self, pipeline: Pipeline, groups: Sequence[BindGroup], args: Buffer, offset: int = 0
    ) -> None: ...

    @abc.abstractmethod
    def end(self) -> None: ...

    def __enter__(self) -> ComputePass:
        return self

    def __exit__(self, *exc: object) -> None:
        self.end()


class Encoder(abc.ABC):
    """Records passes and copies; ``Device.submit`` sends them to the queue."""

    @abc.abstractmethod
    def compute_pass(self, label: str = "") -> ComputePass: ...

    @abc.abstractmethod
    def copy_buffer(
        self, src: Buffer, src_offset: int, dst: Buffer, dst_offset: int, size: int
    ) -> None: ...

    @abc.abstractmethod
    def clear_buffer(self, buffer: Buffer, offset: int = 0, size: int | None = None) -> None: ...


class Device(abc.ABC):
    """A logical GPU device. Create one with ``splatrender.gpu.request_device``."""

    info: AdapterInfo
    limits: Limits
    features: frozenset[str]

    # -- resources -------------------------------------------------------------
    @abc.abstractmethod
    def create_buffer(self, size: int, usage: Sequence[str], label: str = "") -> Buffer: ...

    @abc.abstractmethod
    def write_buffer(self, buffer: Buffer, data: Any, offset: int = 0) -> None:
        """Upload a bytes-like object (bytes, bytearray, memoryview, array.array)."""

    @abc.abstractmethod
    def destroy_buffer(self, buffer: Buffer) -> None: ...

    @abc.abstractmethod
    def compute_pipeline(self, source: str, entry: str = "main", label: str = "") -> Pipeline:
        """Compile WGSL source into a compute pipeline with an automatic layout."""

    @abc.abstractmethod
    def validate_shader(self, source: str, label: str = "") -> None:
        """Compile WGSL without building a pipeline; raises GPUError if it is invalid."""

    @abc.abstractmethod
    def bind_group(
        self,
        pipeline: Pipeline,
        index: int,
        bindings: Mapping[str, Buffer | Binding],
        label: str = "",
    ) -> BindGroup:
        """Bind buffers to ``@group(index)`` by the variable names the WGSL declares
        (an entry point's automatic layout holds only the bindings it uses, so give
        exactly those)."""

    # -- work ------------------------------------------------------------------
    @abc.abstractmethod
    def encoder(self, label: str = "") -> Encoder: ...

    @abc.abstractmethod
    def submit(self, encoder: Encoder) -> None: ...

    @abc.abstractmethod
    async def read_buffer(self, buffer: Buffer, offset: int = 0, size: int | None = None) -> bytes:
        """Copy a buffer range to the CPU once the queued work before it is done."""

    @abc.abstractmethod
    async def done(self) -> None:
        """Wait until all submitted work has finished."""

    # -- timing (optional feature) --------------------------------------------
    def timestamps_supported(self) -> bool:
        return TIMESTAMP_QUERY in self.features

    @abc.abstractmethod
    def begin_timing(self) -> None:
        """Record GPU timestamps around every labelled pass until ``end_timing``."""

    @abc.abstractmethod
    async def end_timing(self) -> dict[str, float]:
        """Milliseconds per pass label (summed) of the work submitted since ``begin_timing``.

        Empty when the adapter has no timestamp queries; callers then time on the CPU
        around ``done()`` and say so.
        """

    # -- helpers shared by all backends ----------------------------------------
    def max_storage_elements(self, stride: int) -> int:
        """How many ``stride``-byte records fit into one storage binding."""
        return min(self.limits.max_storage_binding, self.limits.max_buffer_size) // stride


def binding_items(
    pipeline: Pipeline, index: int, bindings: Mapping[str, Buffer | Binding]
) -> list[tuple[int, Binding]]:
    """``bind_group`` arguments as (binding number, Binding) pairs, numbers looked up by
    name in the pipeline's source."""
    numbers = pipeline.bindings.get(index, {})
    out = []
    for name, b in bindings.items():
        if name not in numbers:
            known = ", ".join(sorted(numbers)) or "none"
            raise GPUError(
                f"{pipeline.label or pipeline.entry}: no binding {name!r} in group {index} "
                f"(has: {known})"
            )
        out.append((numbers[name], b if isinstance(b, Binding) else Binding(b)))
    return out
