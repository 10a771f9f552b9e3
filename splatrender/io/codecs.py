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
import struct
from typing import Any, Protocol

from ..errors import FormatError
from ..formats._io import Source, gunzip, output_cap


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


def _as_bytes(value: Any) -> bytes | memoryview:
    for attr in ("to_bytes", "to_py"):
        if not isinstance(value, bytes | bytearray | memoryview) and hasattr(value, attr):
            value = getattr(value, attr)()
    return value if isinstance(value, bytes | memoryview) else bytes(value)


async def _call(fn, *args):
    out = fn(*args)
    if inspect.isawaitable(out):
        out = await out
    return out


def gunzip_exact(name: str, data: bytes, expected: int) -> bytes:
    """Inflate gzip data that should yield ``expected`` bytes (bombs refused)."""
    src = Source(b"", name)
    cap = output_cap(src, len(data), expected)
    return gunzip(src, data, cap + 4096)


async def zstd_exact(codecs: Codecs, name: str, data: bytes, expected: int, what: str) -> bytes:
    """Decompress zstd data that must yield exactly ``expected`` bytes."""
    output_cap(Source(b"", name), len(data), expected)
    try:
        out = _as_bytes(await _call(codecs.zstd_decompress, data, expected))
    except FormatError:
        raise
    except Exception as e:  # codec errors come in many types (zstandard, JS)
        raise FormatError(name, f"corrupt {what}: {type(e).__name__}: {e}") from None
    if len(out) != expected:
        raise FormatError(name, f"{what} gave {len(out):,} bytes, expected {expected:,}")
    return out


def webp_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a WebP header (VP8, VP8L, VP8X), None if not WebP."""
    if len(data) < 30 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return None
    kind = data[12:16]
    if kind == b"VP8L" and data[20] == 0x2F:
        bits = struct.unpack_from("<I", data, 21)[0]
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if kind == b"VP8X":
        w = int.from_bytes(data[24:27], "little") + 1
        h = int.from_bytes(data[27:30], "little") + 1
        return w, h
    if kind == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
        w, h = struct.unpack_from("<HH", data, 26)
        return w & 0x3FFF, h & 0x3FFF
    return None


async def webp_rgba(
    codecs: Codecs, name: str, data: bytes, what: str, max_pixels: int
) -> tuple[int, int, bytes | memoryview]:
    """Decode one WebP to RGBA8, refusing images past ``max_pixels`` before decoding."""
    size = webp_size(data)
    if size is None:
        raise FormatError(name, f"{what} is not a WebP image")
    w, h = size
    if w * h > max_pixels:
        raise FormatError(
            name, f"{what} is {w}x{h}, more than the {max_pixels:,} texels the splat count implies"
        )
    try:
        dw, dh, rgba = await _call(codecs.decode_webp, data)
        rgba = _as_bytes(rgba)
    except FormatError:
        raise
    except Exception as e:  # Pillow / JS decoders raise assorted errors
        raise FormatError(name, f"cannot decode {what}: {type(e).__name__}: {e}") from None
    if (dw, dh) != (w, h) or len(rgba) != w * h * 4:
        raise FormatError(name, f"{what} decoded to {dw}x{dh} ({len(rgba):,} bytes), not {w}x{h}")
    return w, h, rgba
