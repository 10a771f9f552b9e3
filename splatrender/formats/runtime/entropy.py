"""Checked entropy decoding for the runtime formats: gzip, zstd and WebP through the
platform's codecs (``io.codecs``), every output size checked against what the header
implies before and after decoding (a hostile file is refused, never allocated for)."""

from __future__ import annotations

import struct

from ...errors import FormatError
from ...io.codecs import Codecs, as_bytes, call
from .._io import Source, gunzip, output_cap


def gunzip_exact(name: str, data: bytes, expected: int) -> bytes:
    """Inflate gzip data that should yield ``expected`` bytes (bombs refused)."""
    src = Source(b"", name)
    cap = output_cap(src, len(data), expected)
    return gunzip(src, data, cap + 4096)


async def zstd_exact(codecs: Codecs, name: str, data: bytes, expected: int, what: str) -> bytes:
    """Decompress zstd data that must yield exactly ``expected`` bytes."""
    output_cap(Source(b"", name), len(data), expected)
    try:
        out = as_bytes(await call(codecs.zstd_decompress, data, expected))
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
        dw, dh, rgba = await call(codecs.decode_webp, data)
        rgba = as_bytes(rgba)
    except FormatError:
        raise
    except Exception as e:  # Pillow / JS decoders raise assorted errors
        raise FormatError(name, f"cannot decode {what}: {type(e).__name__}: {e}") from None
    if (dw, dh) != (w, h) or len(rgba) != w * h * 4:
        raise FormatError(name, f"{what} decoded to {dw}x{dh} ({len(rgba):,} bytes), not {w}x{h}")
    return w, h, rgba
