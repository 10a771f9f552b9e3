"""Niantic SPZ (v1-v4) for the runtime path: gzip/zstd on the CPU, decode_spz.wgsl after.

v1-3: one gzip stream (header checked before the body is inflated); v4: plain header,
extension records (the Adobe coordinate-system record sets the frame, others are
skipped by length), a table of contents and one zstd stream per attribute, through
``codecs.zstd_decompress``. Twin: formats/spz.py.
"""

from __future__ import annotations

import struct
import zlib

from ...errors import FormatError
from .._io import MAX_SPLATS, Source, output_cap
from .codecs import Codecs, gunzip_exact, zstd_exact
from .common import Decoded
from .fill import Part, Plan
from .scene import sampled_bounds

MAGIC = 0x5053474E
FLAG_ANTIALIASED = 0x1
FLAG_EXTENSIONS = 0x2
EXT_COORDINATES = 0xADBE0003
COORDS = {4: "RUB", 6: "RDF"}
SH_DIM = {0: 0, 1: 3, 2: 8, 3: 15, 4: 24}
LOGIT_CLAMP = 13.815509557963773  # log((1 - 1e-6) / 1e-6), as formats/_util.py


def _sizes(version: int, n: int, degree: int) -> list[int]:
    pos = 6 if version == 1 else 9
    rot = 3 if version < 3 else 4
    return [n * pos, n, 3 * n, 3 * n, n * rot, n * 3 * SH_DIM[degree]]


def _header(name: str, h: bytes) -> tuple[int, int, int, int, int]:
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


def _extensions(block: bytes) -> tuple[str, list[str]]:
    frame, quirks, off = "RUB", [], 0
    while off + 8 <= len(block):
        etype, length = struct.unpack_from("<II", block, off)
        payload = block[off + 8 : off + 8 + length]
        if len(payload) < length:
            quirks.append("SPZ extension block truncated; rest ignored")
            break
        if etype == EXT_COORDINATES and length >= 4:
            code = struct.unpack_from("<I", payload)[0]
            if code in COORDS:
                frame = COORDS[code]
            elif code != 0:
                quirks.append(f"SPZ coordinate system code {code} not supported; read as RUB")
        else:
            quirks.append(f"SPZ extension 0x{etype:08X} ({length} bytes) skipped")
        off += 8 + length
    return frame, quirks


async def prepare(data: bytes, name: str, *, codecs: Codecs, files=None) -> Decoded:
    if data[:2] == b"\x1f\x8b":
        d = zlib.decompressobj(wbits=31)
        try:
            head = d.decompress(data, 16)
        except zlib.error as e:
            raise FormatError(name, f"corrupt gzip stream: {e}") from None
        if len(head) < 16:
            raise FormatError(name, "SPZ gzip stream ends inside the header")
        version, n, degree, frac, flags = _header(name, head)
        if version == 4:
            raise FormatError(name, "SPZ v4 is not gzip-compressed")
        sizes = _sizes(version, n, degree)
        expected = 16 + sum(sizes)
        raw = memoryview(gunzip_exact(name, data, expected))
        if len(raw) < expected:
            raise FormatError(name, f"SPZ body has {len(raw):,} bytes, needs {expected:,}")
        blocks, off = [], 16
        for s in sizes:
            blocks.append(raw[off : off + s])
            off += s
        frame, quirks = "RUB", []
        if flags & FLAG_EXTENSIONS:
            quirks.append("SPZ extensions in a gzip stream are not read")
    else:
        if len(data) < 32:
            raise FormatError(name, "SPZ file shorter than its 32-byte header")
        version, n, degree, frac, flags = _header(name, data[:32])
        if version < 4:
            raise FormatError(name, f"SPZ v{version} must be gzip-compressed")
        nstreams = data[15]
        toc = struct.unpack_from("<I", data, 16)[0]
        all_sizes = _sizes(version, n, degree)
        sizes = all_sizes[:5] + (all_sizes[5:] if degree > 0 else [])
        if n == 0 and nstreams == 0:
            sizes = []
        if nstreams != len(sizes):
            raise FormatError(name, f"SPZ v4 has {nstreams} streams, expected {len(sizes)}")
        if toc < 32 or toc + 16 * nstreams > len(data):
            raise FormatError(name, f"SPZ v4 TOC offset {toc} is outside the file")
        frame, quirks = _extensions(data[32:toc]) if flags & FLAG_EXTENSIONS else ("RUB", [])
        output_cap(Source(b"", name), len(data), sum(sizes))
        off = toc + 16 * nstreams
        blocks = []
        for i in range(nstreams):
            csize, usize = struct.unpack_from("<QQ", data, toc + 16 * i)
            if usize != sizes[i]:
                raise FormatError(
                    name, f"SPZ v4 stream {i} holds {usize:,} bytes, expected {sizes[i]:,}"
                )
            if off + csize > len(data):
                raise FormatError(name, f"SPZ v4 stream {i} runs past the end of the file")
            out = await zstd_exact(codecs, name, data[off : off + csize], usize, f"SPZ stream {i}")
            blocks.append(memoryview(out))
            off += csize
        while len(blocks) < 6:
            blocks.append(memoryview(b""))
    pos_b, alpha_b = blocks[0], blocks[1]
    saturated = alpha_b.tobytes().count(255) if n else 0
    if saturated:
        quirks.append(
            f"alpha byte 255 in {saturated} splats is an infinite logit: "
            f"clamped to {LOGIT_CLAMP:.2f}"
        )
    if degree > 3:
        quirks.append(f"SH degree {degree} truncated to 3")
    if flags & FLAG_ANTIALIASED:
        quirks.append("trained with antialiasing (SPZ flag)")
    per = [s // n if n else 0 for s in _sizes(version, n, degree)]
    file_sh = per[5]

    def segments(first: int, m: int):
        return [b[first * p : (first + m) * p] for b, p in zip(blocks, per, strict=True)]

    scale = 1.0 / (1 << frac)
    params = struct.pack("<4I4f", version, file_sh, 0, 0, scale, 0.0, 0.0, 0.0)
    part = Part(n, params, segments, sum(per))
    if version == 1:

        def position(i: int):
            return struct.unpack_from("<3e", pos_b, 6 * i)

    else:

        def position(i: int):
            out = []
            for k in range(3):
                b = 9 * i + 3 * k
                v = pos_b[b] | (pos_b[b + 1] << 8) | (pos_b[b + 2] << 16)
                out.append(((v ^ 0x800000) - 0x800000) * scale)
            return tuple(out)

    bounds = sampled_bounds(n, position, lambda i: alpha_b[i] / 255)
    return Decoded(Plan("decode_spz", [part]), n, min(degree, 3), frame, bounds, "spz", quirks)
