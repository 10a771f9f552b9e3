"""The ``.ksplat`` main header and section table: pure Python, so the numpy reader
(formats/ksplat.py) and the numpy-free runtime decoder (formats/runtime/ksplat.py)
locate and validate every section the same way."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from ..errors import FormatError
from ._io import MAX_SPLATS

MAIN_HEADER, SECTION_HEADER = 4096, 1024
MAX_SECTIONS = 1 << 16
# level -> (centre bytes, scale bytes, rotation bytes, SH bytes each, default quant range)
LEVELS = {0: (12, 12, 16, 4, 1), 1: (6, 6, 8, 2, 32767), 2: (6, 6, 8, 1, 32767)}
SH_COMPONENTS = (0, 9, 24, 45)


@dataclass(frozen=True)
class Section:
    """A non-empty section: where its bucket tables and records sit, and their shape."""

    index: int
    first: int  # global index of its first splat
    count: int
    capacity: int  # splats per full bucket
    nbuckets: int
    block: float  # bucket block size (position quantisation span)
    bucket_bytes: int
    qrange: int  # position quantisation range (level default when 0)
    full: int  # full buckets
    partial: int  # partial buckets (their sizes precede the bucket centres)
    sh_degree: int
    ncomp: int  # stored SH components
    record: int  # bytes per splat record
    meta: int  # offset of the bucket tables (partial sizes, then centres)
    body: int  # offset of the first record


@dataclass(frozen=True)
class Layout:
    level: int
    total: int
    sh_degree: int
    sh_min: float
    sh_max: float
    centre_bytes: int
    scale_bytes: int
    rotation_bytes: int
    sh_bytes: int
    sections: list[Section]

    @property
    def colour_offset(self) -> int:
        """Offset of the RGBA bytes inside a record."""
        return self.centre_bytes + self.scale_bytes + self.rotation_bytes


def parse(name: str, data: bytes) -> Layout:
    """Check the header and every section against the file size before any decoding."""
    if len(data) < MAIN_HEADER:
        raise FormatError(name, ".ksplat is shorter than its 4096-byte header")
    major, minor = data[0], data[1]
    if major != 0 or minor < 1:
        raise FormatError(name, f"unsupported .ksplat version {major}.{minor}")
    sections = struct.unpack_from("<I", data, 4)[0]
    total = struct.unpack_from("<I", data, 16)[0]
    level = struct.unpack_from("<H", data, 20)[0]
    sh_min, sh_max = struct.unpack_from("<ff", data, 36)
    sh_min = sh_min or -1.5
    sh_max = sh_max or 1.5
    if level not in LEVELS:
        raise FormatError(name, f".ksplat compression level {level} is not 0-2")
    if sections > MAX_SECTIONS or MAIN_HEADER + sections * SECTION_HEADER > len(data):
        raise FormatError(name, f".ksplat claims {sections:,} sections; the file is too short")
    if total > MAX_SPLATS:
        raise FormatError(name, f".ksplat claims {total:,} splats, above {MAX_SPLATS:,}")
    cb, sb, rb, hb, default_range = LEVELS[level]
    heads = []
    degree = 0
    for i in range(sections):
        h = struct.unpack_from("<IIIIfHxxIxxxxIIH", data, MAIN_HEADER + i * SECTION_HEADER)
        heads.append(h)
        if h[0]:
            if h[9] > 3:
                raise FormatError(name, f".ksplat section {i} SH degree {h[9]} is not 0-3")
            degree = max(degree, h[9])
    # Count check before any allocation: every splat needs at least its record.
    if total * (cb + sb + rb + 4) > len(data):
        raise FormatError(name, f".ksplat claims {total:,} splats; the file is too short")
    out = []
    off = MAIN_HEADER + sections * SECTION_HEADER
    at = 0
    for i, h in enumerate(heads):
        (count, max_count, capacity, nbuckets, block, bucket_bytes, qrange, full, partial, sdeg) = h
        ncomp = SH_COMPONENTS[sdeg]
        rec = cb + sb + rb + 4 + ncomp * hb
        meta = partial * 4 + bucket_bytes * nbuckets
        size = rec * max_count
        if count > max_count or off + meta + size > len(data) or at + count > total:
            raise FormatError(name, f".ksplat section {i} is truncated or inconsistent")
        if count:
            if level > 0 and (bucket_bytes < 12 or capacity == 0):
                raise FormatError(name, f".ksplat section {i} has malformed buckets")
            out.append(
                Section(
                    index=i,
                    first=at,
                    count=count,
                    capacity=capacity,
                    nbuckets=nbuckets,
                    block=block,
                    bucket_bytes=bucket_bytes,
                    qrange=qrange or default_range,
                    full=full,
                    partial=partial,
                    sh_degree=sdeg,
                    ncomp=ncomp,
                    record=rec,
                    meta=off,
                    body=off + meta,
                )
            )
        at += count
        off += meta + size
    if at != total:
        raise FormatError(name, f".ksplat sections hold {at:,} splats, header says {total:,}")
    return Layout(level, total, degree, sh_min, sh_max, cb, sb, rb, hb, out)
