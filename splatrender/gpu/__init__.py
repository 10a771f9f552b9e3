"""The only room that touches a GPU API: wgpu-py natively, JS WebGPU in a browser.

``await request_device()`` picks the backend for the runtime it finds itself in.
"""

from __future__ import annotations

import sys

from .base import (
    COPY_DST,
    COPY_SRC,
    INDIRECT,
    MAP_READ,
    STORAGE,
    UNIFORM,
    AdapterInfo,
    BindGroup,
    Binding,
    Buffer,
    ComputePass,
    Device,
    Encoder,
    GPUError,
    Limits,
    Pipeline,
)

__all__ = [
    "COPY_DST",
    "COPY_SRC",
    "INDIRECT",
    "MAP_READ",
    "STORAGE",
    "UNIFORM",
    "AdapterInfo",
    "BindGroup",
    "Binding",
    "Buffer",
    "ComputePass",
    "Device",
    "Encoder",
    "GPUError",
    "Limits",
    "Pipeline",
    "in_browser",
    "request_device",
]


def in_browser() -> bool:
    return sys.platform == "emscripten"


async def request_device(adapter: str | None = None) -> Device:
    """Open a device on the best adapter (or the one whose name contains ``adapter``)."""
    if in_browser():
        from .browser import BrowserDevice

        return await BrowserDevice.create()
    from .native import NativeDevice

    return await NativeDevice.create(adapter=adapter)
