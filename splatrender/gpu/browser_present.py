"""Present a rendered frame on an HTML ``<canvas>`` (browser backend only).

The renderer writes packed rgba8 pixels into a storage buffer; ``shaders/blit.wgsl``
draws them onto the canvas's current texture with one fullscreen triangle, recorded
into the same command encoder as the frame (one submit per frame).

On a CPU adapter (SwiftShader, Chrome's WebGPU without a GPU) that fullscreen draw is a
fragment shader run per canvas pixel, about 30 ms a frame at 1280x720; there the canvas
is configured ``rgba8unorm`` (the buffer's byte order) and, when the frame fills the
canvas and its rows are 256-byte aligned (width a multiple of 64), the frame is copied
onto the canvas texture instead (``copyBufferToTexture``: a memcpy). GPUs keep the
preferred canvas format and the draw.
"""

from __future__ import annotations

import struct
from typing import Any

import js  # type: ignore[import-not-found]  # Pyodide only

from ..shaders import load_shader
from .base import Buffer, Encoder
from .browser import BrowserDevice, js_obj


class CanvasPresenter:
    """Blits a pixel buffer onto ``canvas`` through a ``webgpu`` context."""

    def __init__(self, device: BrowserDevice, canvas: Any) -> None:
        self.device = device
        self.canvas = canvas
        dev = device.handle
        self.context = canvas.getContext("webgpu")
        if self.context is None:
            raise RuntimeError("the canvas has no 'webgpu' context")
        # CPU adapters: a copy where it can replace the draw (see the module docstring)
        self.copy_ok = device.info.is_software
        usage = int(js.GPUTextureUsage.RENDER_ATTACHMENT)
        if self.copy_ok:
            self.format = "rgba8unorm"
            usage |= int(js.GPUTextureUsage.COPY_DST)
        else:
            self.format = js.navigator.gpu.getPreferredCanvasFormat()
        self.context.configure(
            js_obj({"device": dev, "format": self.format, "usage": usage, "alphaMode": "opaque"})
        )
        module = dev.createShaderModule(js_obj({"code": load_shader("blit"), "label": "blit"}))
        self.pipeline = dev.createRenderPipeline(
            js_obj(
                {
                    "label": "blit",
                    "layout": "auto",
                    "vertex": {"module": module, "entryPoint": "vs_main"},
                    "fragment": {
                        "module": module,
                        "entryPoint": "fs_main",
                        "targets": [{"format": self.format}],
                    },
                    "primitive": {"topology": "triangle-list"},
                }
            )
        )
        usage = int(js.GPUBufferUsage.UNIFORM) | int(js.GPUBufferUsage.COPY_DST)
        self.params = dev.createBuffer(js_obj({"size": 16, "usage": usage, "label": "blit"}))
        self._group: Any = None
        self._group_for: Buffer | None = None  # the pixel buffer _group binds
        self._last: tuple[int, int, int, int] | None = None

    def encode(self, encoder: Encoder, pixels: Buffer, width: int, height: int) -> None:
        """Record the blit of ``pixels`` (``width`` x ``height``) onto the canvas."""
        dev = self.device.handle
        dst = (int(self.canvas.width), int(self.canvas.height))
        if self.copy_ok and (width, height) == dst and (4 * width) % 256 == 0:
            encoder.handle.copyBufferToTexture(
                js_obj({"buffer": pixels.handle, "bytesPerRow": 4 * width, "rowsPerImage": height}),
                js_obj({"texture": self.context.getCurrentTexture()}),
                js_obj([width, height, 1]),
            )
            return
        sizes = (width, height, *dst)
        if sizes != self._last:
            self.device.write_buffer(
                Buffer(self.params, 16, frozenset()), struct.pack("<4I", *sizes)
            )
            self._last = sizes
        if pixels is not self._group_for:
            self._group = dev.createBindGroup(
                js_obj(
                    {
                        "layout": self.pipeline.getBindGroupLayout(0),
                        "entries": [
                            {"binding": 0, "resource": {"buffer": pixels.handle}},
                            {"binding": 1, "resource": {"buffer": self.params}},
                        ],
                    }
                )
            )
            self._group_for = pixels
        view = self.context.getCurrentTexture().createView()
        attachment = {"view": view, "loadOp": "clear", "storeOp": "store"}
        attachment["clearValue"] = {"r": 0, "g": 0, "b": 0, "a": 1}
        rp = encoder.handle.beginRenderPass(js_obj({"colorAttachments": [attachment]}))
        rp.setPipeline(self.pipeline)
        rp.setBindGroup(0, self._group)
        rp.draw(3)
        rp.end()
