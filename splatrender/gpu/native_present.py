"""Present the renderer's output in a native window (rendercanvas glfw canvas + wgpu).

The renderer leaves each frame in a storage buffer (packed rgba8, r in the low
byte). ``NativePresenter.present`` records a render pass that draws that buffer onto
the window's surface texture with ``shaders/blit.wgsl`` (nearest-pixel scaling when
sizes differ) and lays optional overlays (the HUD) over the top-left corner,
alpha-blended, with the same shader: a scissor keeps the overlay's pixels 1:1.
rendercanvas shows the texture once the draw callback returns.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

import wgpu

from ..shaders import load_shader
from .base import Buffer, Encoder
from .native import NativeDevice

_PARAMS_SIZE = 16


@dataclass
class Overlay:
    """An rgba8 image (storage buffer, straight alpha) drawn 1:1 at the top-left corner."""

    pixels: Buffer
    width: int
    height: int


class NativePresenter:
    """Blits storage-buffer images to a rendercanvas window's surface."""

    def __init__(self, canvas: Any, device: NativeDevice, format: str = "rgba8unorm") -> None:
        """``canvas`` None: no window, draw with ``draw_to`` into textures of ``format``."""
        self.device = device
        dev = device.handle
        self.context = canvas.get_context("wgpu") if canvas is not None else None
        self.format = self._configure(dev) if canvas is not None else format
        module = dev.create_shader_module(code=load_shader("blit"), label="blit")
        blend = {
            "color": {
                "src_factor": "src-alpha",
                "dst_factor": "one-minus-src-alpha",
                "operation": "add",
            },
            "alpha": {"src_factor": "one", "dst_factor": "one-minus-src-alpha", "operation": "add"},
        }
        self._pipelines = {
            blended: dev.create_render_pipeline(
                label="blit-blend" if blended else "blit",
                layout="auto",
                vertex={"module": module, "entry_point": "vs_main"},
                primitive={"topology": "triangle-list"},
                fragment={
                    "module": module,
                    "entry_point": "fs_main",
                    "targets": [{"format": self.format, "blend": blend if blended else None}],
                },
            )
            for blended in (False, True)
        }
        self._params: list[Any] = []  # one uniform buffer per draw slot, reused each frame
        self._groups: dict[tuple, Any] = {}

    def release_surface(self) -> None:
        """Let go of the window's surface; call before the window is destroyed.

        rendercanvas drops its own reference in ``close()`` just before it destroys the
        window, so without ours the surface is freed there and then. Freed later by the
        garbage collector, after ``glfw.terminate()``, lavapipe's swapchain teardown
        reads the X connection glfw has freed (valgrind: ``xcb_unregister_for_special_event``
        on memory ``XCloseDisplay`` freed), which crashed a test worker.
        """
        self.context = None

    def _configure(self, dev: wgpu.GPUDevice) -> str:
        # The renderer's bytes are display (sRGB-encoded) values already: present them
        # through a non-sRGB view so they are not encoded a second time.
        preferred = self.context.get_preferred_format(dev.adapter)
        for fmt in dict.fromkeys((preferred.removesuffix("-srgb"), preferred)):
            try:
                self.context.configure(device=dev, format=fmt, alpha_mode="opaque")
                return fmt
            except Exception:
                continue
        raise RuntimeError(f"cannot configure the window surface (format {preferred})")

    def _bind_group(
        self, slot: int, blended: bool, pixels: Buffer, src: tuple[int, int], dst: tuple[int, int]
    ) -> Any:
        dev = self.device.handle
        while len(self._params) <= slot:
            self._params.append(
                dev.create_buffer(
                    size=_PARAMS_SIZE,
                    usage=wgpu.BufferUsage.UNIFORM | wgpu.BufferUsage.COPY_DST,
                    label=f"blit-params-{len(self._params)}",
                )
            )
        params = self._params[slot]
        dev.queue.write_buffer(params, 0, struct.pack("<4I", *src, *dst))
        key = (slot, blended, id(pixels.handle), pixels.size)
        group = self._groups.get(key)
        if group is None:
            if len(self._groups) > 32:  # buffers come and go with resizes and scenes
                self._groups.clear()
            layout = self._pipelines[blended].get_bind_group_layout(0)
            group = dev.create_bind_group(
                layout=layout,
                entries=[
                    {
                        "binding": 0,
                        "resource": {"buffer": pixels.handle, "offset": 0, "size": pixels.size},
                    },
                    {
                        "binding": 1,
                        "resource": {"buffer": params, "offset": 0, "size": _PARAMS_SIZE},
                    },
                ],
            )
            self._groups[key] = group
        return group

    def present(
        self,
        encoder: Encoder,
        image: Buffer | None,
        width: int,
        height: int,
        overlays: list[Overlay] = (),
        background: tuple[float, float, float] = (0.0, 0.0, 0.0),
    ) -> tuple[int, int]:
        """Record the blit of ``image`` (``width`` x ``height``) and the overlays.

        Returns the surface size in physical pixels. With ``image`` None the window is
        cleared to ``background`` (no scene yet) and only the overlays are drawn.
        """
        texture = self.context.get_current_texture()
        self.draw_to(encoder, texture, image, width, height, overlays, background)
        return texture.size[0], texture.size[1]

    def draw_to(
        self,
        encoder: Encoder,
        texture: Any,
        image: Buffer | None,
        width: int,
        height: int,
        overlays: list[Overlay] = (),
        background: tuple[float, float, float] = (0.0, 0.0, 0.0),
    ) -> None:
        """Record the blit and overlays into ``texture`` (a wgpu texture of ``format``)."""
        tw, th = texture.size[0], texture.size[1]
        r, g, b = background
        rp = encoder.handle.begin_render_pass(
            color_attachments=[
                {
                    "view": texture.create_view(),
                    "load_op": "clear",
                    "store_op": "store",
                    "clear_value": (r, g, b, 1.0),
                }
            ]
        )
        slot = 0
        if image is not None and width > 0 and height > 0:
            rp.set_pipeline(self._pipelines[False])
            rp.set_bind_group(0, self._bind_group(slot, False, image, (width, height), (tw, th)))
            rp.draw(3)
            slot += 1
        for ov in overlays:
            if not (0 < ov.width <= tw and 0 < ov.height <= th):
                continue  # the caller crops overlays to the window
            size = (ov.width, ov.height)
            rp.set_pipeline(self._pipelines[True])
            rp.set_bind_group(0, self._bind_group(slot, True, ov.pixels, size, size))
            rp.set_scissor_rect(0, 0, ov.width, ov.height)
            rp.draw(3)
            slot += 1
        rp.end()
