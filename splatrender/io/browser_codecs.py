"""Entropy decoders the runtime scene loaders need, done by the browser (Pyodide only).

Implements the ``splatrender.io.codecs.Codecs`` protocol:

- WebP: the browser's decoder (``createImageBitmap`` with no premultiplication and
  no colour-space conversion), then ``copyExternalImageToTexture`` into an rgba8
  texture and a buffer readback. A 2D canvas would premultiply and corrupt the RGB
  of SOG texels whose alpha is below 255; the WebGPU copy keeps them exact.
- zstd (SPZ v4): browsers have no zstd decoder in their API; the page loads fzstd
  (a small pure-JS decoder from npm, see ``splatrender.web.runtime``) and this
  streams through it, stopping as soon as the output passes ``max_size``.
"""

from __future__ import annotations

from typing import Any

import js  # type: ignore[import-not-found]  # Pyodide only
from pyodide.ffi import JsException, create_proxy, jsnull  # type: ignore[import-not-found]

from ..errors import FormatError
from ..gpu.browser import BrowserDevice, js_obj

_ROW_ALIGN = 256  # bytesPerRow alignment of texture-to-buffer copies


class BrowserCodecs:
    """Codecs backed by the page's image decoder and WebGPU device."""

    def __init__(self, device: BrowserDevice) -> None:
        self.device = device

    async def zstd_decompress(self, data: bytes, max_size: int) -> bytes:
        fzstd = getattr(js, "fzstd", None)
        if fzstd is None or fzstd is jsnull:
            raise FormatError("", "zstd-compressed scenes (SPZ v4) need fzstd.js in the page")
        chunks: list[bytes] = []
        size = 0

        def ondata(chunk: Any, final: bool) -> None:
            nonlocal size
            size += int(chunk.length)
            if size > max_size:  # a decompression bomb: stop inside the stream
                raise FormatError("", f"zstd stream expands past {max_size} bytes")
            chunks.append(chunk.to_bytes())

        proxy = create_proxy(ondata)
        try:
            arr = js.Uint8Array.new(len(data))
            arr.assign(data)
            fzstd.Decompress.new(proxy).push(arr, True)
        except JsException as e:
            raise FormatError("", f"zstd stream rejected ({str(e).splitlines()[-1]})") from e
        finally:
            proxy.destroy()
        return b"".join(chunks)

    async def decode_webp(self, data: bytes) -> tuple[int, int, bytes]:
        arr = js.Uint8Array.new(len(data))
        arr.assign(data)
        blob = js.Blob.new(js_obj([arr]), js_obj({"type": "image/webp"}))
        options = {"premultiplyAlpha": "none", "colorSpaceConversion": "none"}
        bitmap = await js.createImageBitmap(blob, js_obj(options))
        try:
            return await self._read_bitmap(bitmap)
        finally:
            bitmap.close()

    async def _read_bitmap(self, bitmap: Any) -> tuple[int, int, bytes]:
        dev = self.device.handle
        w, h = int(bitmap.width), int(bitmap.height)
        tex_usage = (
            int(js.GPUTextureUsage.COPY_DST)
            | int(js.GPUTextureUsage.COPY_SRC)
            | int(js.GPUTextureUsage.RENDER_ATTACHMENT)
        )
        texture = dev.createTexture(
            js_obj({"size": [w, h], "format": "rgba8unorm", "usage": tex_usage, "label": "webp"})
        )
        row = (w * 4 + _ROW_ALIGN - 1) // _ROW_ALIGN * _ROW_ALIGN
        buf_usage = int(js.GPUBufferUsage.MAP_READ) | int(js.GPUBufferUsage.COPY_DST)
        staging = dev.createBuffer(js_obj({"size": row * h, "usage": buf_usage}))
        try:
            dev.queue.copyExternalImageToTexture(
                js_obj({"source": bitmap}),
                js_obj({"texture": texture, "premultipliedAlpha": False}),
                js_obj([w, h]),
            )
            enc = dev.createCommandEncoder()
            enc.copyTextureToBuffer(
                js_obj({"texture": texture}),
                js_obj({"buffer": staging, "bytesPerRow": row, "rowsPerImage": h}),
                js_obj([w, h]),
            )
            dev.queue.submit(js_obj([enc.finish()]))
            await staging.mapAsync(int(js.GPUMapMode.READ))
            raw = js.Uint8Array.new(staging.getMappedRange()).to_bytes()
            staging.unmap()
        finally:
            staging.destroy()
            texture.destroy()
        if row == w * 4:
            return w, h, raw
        out = bytearray(w * h * 4)
        for y in range(h):  # strip the row padding: O(rows), not O(pixels)
            out[y * w * 4 : (y + 1) * w * 4] = raw[y * row : y * row + w * 4]
        return w, h, bytes(out)
