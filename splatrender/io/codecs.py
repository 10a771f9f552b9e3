"""Entropy decoders the runtime path needs, behind a small platform object.

gzip is the standard library's ``zlib`` (Pyodide has it). zstd and WebP come from a
*codecs* object, because the browser has neither ``zstandard`` nor Pillow:

``codecs.zstd_decompress(data: bytes, max_size: int) -> bytes``
    One complete zstd frame (or several concatenated) -> its bytes. Must stop and
    return (or raise) once more than ``max_size`` bytes come out; the caller checks
    the exact size.
``codecs.decode_webp(data: bytes) -> (width, height, rgba)``
    A WebP image (SOG uses lossless WebP) -> its size and ``width*height*4`` bytes of
    RGBA8, rows top to bottom, straight (not premultiplied) alpha and no colour-space
    conversion: the texels are data, not colour.

Either method may return an awaitable (a JS promise in Pyodide) and the bytes may be a
JS ``Uint8Array`` proxy (``to_bytes()``/``to_py()`` are used when present). Any
exception raised by a codec becomes a ``FormatError`` naming the file. Image sizes
are read from the WebP header and checked before ``decode_webp`` is called.
:func:`native_codecs` is the desktop default (``zstandard`` and Pillow, imported on
first use).
"""

from __future__ import annotations

import inspect
from typing import Any, Protocol


class Codecs(Protocol):
    def zstd_decompress(self, data: bytes, max_size: int) -> Any: ...

    def decode_webp(self, data: bytes) -> Any: ...


class NativeCodecs:
    """Desktop codecs: ``zstandard`` and Pillow, imported lazily."""

    def zstd_decompress(self, data: bytes, max_size: int) -> bytes:
        import io

        import zstandard

        reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data))
        out = bytearray()
        while len(out) <= max_size:
            more = reader.read(max_size + 1 - len(out))
            if not more:
                break
            out += more
        return bytes(out)

    def decode_webp(self, data: bytes) -> tuple[int, int, bytes]:
        import io

        from PIL import Image

        im = Image.open(io.BytesIO(data), formats=["WEBP"])
        w, h = im.size
        return w, h, im.convert("RGBA").tobytes()


_NATIVE = NativeCodecs()


def native_codecs() -> NativeCodecs:
    return _NATIVE


class ThreadedCodecs:
    """Native codecs run in worker threads, for decoders sharing an event loop with a
    frame loop (LOD streaming): Pillow and zstandard release the GIL while decoding."""

    def __init__(self, inner: Codecs | None = None) -> None:
        self.inner = inner or _NATIVE

    async def zstd_decompress(self, data: bytes, max_size: int) -> bytes:
        import asyncio

        return await asyncio.to_thread(self.inner.zstd_decompress, data, max_size)

    async def decode_webp(self, data: bytes) -> tuple[int, int, bytes]:
        import asyncio

        return await asyncio.to_thread(self.inner.decode_webp, data)


def as_bytes(value: Any) -> bytes | memoryview:
    for attr in ("to_bytes", "to_py"):
        if not isinstance(value, bytes | bytearray | memoryview) and hasattr(value, attr):
            value = getattr(value, attr)()
    return value if isinstance(value, bytes | memoryview) else bytes(value)


async def call(fn, *args):
    """``fn(*args)``, awaited when it returns an awaitable (a JS promise in a page)."""
    out = fn(*args)
    if inspect.isawaitable(out):
        out = await out
    return out
