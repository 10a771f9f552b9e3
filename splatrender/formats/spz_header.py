"""SPZ header, stream sizes and extension records: pure Python, so the numpy reader
(formats/spz.py) and the numpy-free runtime decoder (formats/runtime/spz.py) parse and
validate a file the same way."""

from __future__ import annotations

import struct

from ..errors import FormatError
from ._io import MAX_SPLATS, Source, output_cap

MAGIC = 0x5053474E
FLAG_ANTIALIASED = 0x1
FLAG_EXTENSIONS = 0x2
EXT_COORDINATES = 0xADBE0003
# Adobe coordinate-system codes we can represent (axes labels of formats/splats.py)
COORDS = {4: "RUB", 6: "RDF"}
SH_DIM = {0: 0, 1: 3, 2: 8, 3: 15, 4: 24}


def stream_sizes(version: int, n: int, degree: int) -> list[int]:
    """Bytes of the position, alpha, colour, scale, rotation and SH blocks."""
    pos = 6 if version == 1 else 9
    rot = 3 if version < 3 else 4
    return [n * pos, n, 3 * n, 3 * n, n * rot, n * 3 * SH_DIM[degree]]


def parse_header(name: str, h: bytes) -> tuple[int, int, int, int, int]:
    """(version, count, SH degree, fractional bits, flags) of a 16- or 32-byte header."""
    magic, version, n, degree, frac, flags = struct.unpack_from("<IIIBBB", h, 0)
    if magic != MAGIC:
        raise FormatError(name, "not an SPZ file (bad magic)")
    if version not in (1, 2, 3, 4):
        raise FormatError(name, f"unsupported SPZ version {version}")
    if degree not in SH_DIM:
        raise FormatError(name, f"SPZ SH degree {degree} is not 0-4")
    if n > MAX_SPLATS:
        raise FormatError(name, f"SPZ claims {n:,} splats, above {MAX_SPLATS:,}")
    if version > 1 and frac > 24:
        raise FormatError(name, f"SPZ fractional bits {frac} is above 24")
    return version, n, degree, frac, flags


def parse_extensions(block: bytes) -> tuple[str, list[str]]:
    """(axes, quirks) from the v4 extension records; unknown ones are skipped by length."""
    axes, quirks, off = "RUB", [], 0
    while off + 8 <= len(block):
        etype, length = struct.unpack_from("<II", block, off)
        payload = block[off + 8 : off + 8 + length]
        if len(payload) < length:
            quirks.append("SPZ extension block truncated; rest ignored")
            break
        if etype == EXT_COORDINATES and length >= 4:
            code = struct.unpack_from("<I", payload)[0]
            if code in COORDS:
                axes = COORDS[code]
            elif code != 0:
                quirks.append(f"SPZ coordinate system code {code} not supported; read as RUB")
        else:
            quirks.append(f"SPZ extension 0x{etype:08X} ({length} bytes) skipped")
        off += 8 + length
    return axes, quirks


def v4_streams(name: str, data: bytes, header: tuple[int, int, int, int, int]):
    """(axes, quirks, [(offset, compressed size, size)]) of an SPZ v4 file's zstd
    streams, checked against the header's counts and the file's length (both readers)."""
    version, n, degree, _, flags = header
    nstreams = data[15]
    toc = struct.unpack_from("<I", data, 16)[0]
    all_sizes = stream_sizes(version, n, degree)
    sizes = all_sizes[:5] + (all_sizes[5:] if degree > 0 else [])
    if n == 0 and nstreams == 0:
        sizes = []  # the reference writer skips empty streams
    if nstreams != len(sizes):
        raise FormatError(name, f"SPZ v4 has {nstreams} streams, expected {len(sizes)}")
    if toc < 32 or toc + 16 * nstreams > len(data):
        raise FormatError(name, f"SPZ v4 TOC offset {toc} is outside the file")
    axes, quirks = parse_extensions(data[32:toc]) if flags & FLAG_EXTENSIONS else ("RUB", [])
    # Refuse a count the file could not hold even at zstd's best ratio.
    output_cap(Source(b"", name), len(data), sum(sizes))
    off = toc + 16 * nstreams
    streams = []
    for i in range(nstreams):
        csize, usize = struct.unpack_from("<QQ", data, toc + 16 * i)
        if usize != sizes[i]:
            raise FormatError(
                name, f"SPZ v4 stream {i} holds {usize:,} bytes, expected {sizes[i]:,}"
            )
        if off + csize > len(data):
            raise FormatError(name, f"SPZ v4 stream {i} runs past the end of the file")
        streams.append((off, csize, usize))
        off += csize
    return axes, quirks, streams
