"""Niantic SPZ (v1-v4) for the runtime path: gzip/zstd on the CPU, decode_spz.wgsl after.

v1-3: one gzip stream (header checked before the body is inflated); v4: plain header,
extension records (the Adobe coordinate-system record sets the axes, others are
skipped by length), a table of contents and one zstd stream per attribute, through
``codecs.zstd_decompress``. Twin: formats/spz.py.
"""

from __future__ import annotations

import zlib

from ...errors import FormatError
from ...io.codecs import Codecs
from ...shaders.layout import SPZ_PARAMS
from .._io import LOGIT_CLAMP
from ..spz_header import (
    FLAG_ANTIALIASED,
    FLAG_EXTENSIONS,
    parse_header,
    stream_sizes,
    v4_streams,
)
from .common import Decoded
from .entropy import gunzip_exact, zstd_exact
from .fill import Part, Plan


async def prepare(data: bytes, name: str, *, codecs: Codecs, **_: object) -> Decoded:
    if data[:2] == b"\x1f\x8b":
        d = zlib.decompressobj(wbits=31)
        try:
            head = d.decompress(data, 16)
        except zlib.error as e:
            raise FormatError(name, f"corrupt gzip stream: {e}") from None
        if len(head) < 16:
            raise FormatError(name, "SPZ gzip stream ends inside the header")
        version, n, degree, frac, flags = parse_header(name, head)
        if version == 4:
            raise FormatError(name, "SPZ v4 is not gzip-compressed")
        sizes = stream_sizes(version, n, degree)
        expected = 16 + sum(sizes)
        raw = memoryview(gunzip_exact(name, data, expected))
        if len(raw) < expected:
            raise FormatError(name, f"SPZ body has {len(raw):,} bytes, needs {expected:,}")
        blocks, off = [], 16
        for s in sizes:
            blocks.append(raw[off : off + s])
            off += s
        axes, quirks = "RUB", []
        if flags & FLAG_EXTENSIONS:
            quirks.append("SPZ extensions in a gzip stream are not read")
    else:
        if len(data) < 32:
            raise FormatError(name, "SPZ file shorter than its 32-byte header")
        version, n, degree, frac, flags = parse_header(name, data[:32])
        if version < 4:
            raise FormatError(name, f"SPZ v{version} must be gzip-compressed")
        axes, quirks, streams = v4_streams(name, data, (version, n, degree, frac, flags))
        blocks = []
        for i, (off, csize, usize) in enumerate(streams):
            out = await zstd_exact(codecs, name, data[off : off + csize], usize, f"SPZ stream {i}")
            blocks.append(memoryview(out))
        while len(blocks) < 6:
            blocks.append(memoryview(b""))
    alpha_b = blocks[1]
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
    per = [s // n if n else 0 for s in stream_sizes(version, n, degree)]
    file_sh = per[5]

    def segments(first: int, m: int):
        return [b[first * p : (first + m) * p] for b, p in zip(blocks, per, strict=True)]

    scale = 1.0 / (1 << frac)
    params = SPZ_PARAMS.pack(version=version, file_sh=file_sh, frac_scale=scale)
    part = Part(n, params, segments, sum(per))
    return Decoded(Plan("decode_spz", [part]), n, min(degree, 3), axes, "spz", quirks)
