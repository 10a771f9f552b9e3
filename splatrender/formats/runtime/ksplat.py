"""mkkellogg ``.ksplat`` (v0.1, compression levels 0-2) for the runtime path.

Headers and the per-section bucket tables are parsed in Python; each non-empty
section is one decode part over its raw records (decode_ksplat.wgsl).
Twin: formats/ksplat.py.
"""

from __future__ import annotations

import struct
from array import array
from bisect import bisect_right
from itertools import accumulate

from ...errors import FormatError
from .._io import MAX_SPLATS
from .common import Decoded
from .fill import Part, Plan
from .scene import robust_bounds, sample_indices

MAIN_HEADER, SECTION_HEADER = 4096, 1024
MAX_SECTIONS = 1 << 16
LEVELS = {0: (12, 12, 16, 4, 1), 1: (6, 6, 8, 2, 32767), 2: (6, 6, 8, 1, 32767)}
SH_COMPONENTS = (0, 9, 24, 45)


def prepare(data: bytes, name: str) -> Decoded:
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
    if total * (cb + sb + rb + 4) > len(data):
        raise FormatError(name, f".ksplat claims {total:,} splats; the file is too short")
    view = memoryview(data)
    parts: list[Part] = []
    # (global first index, count, position decoder) per section, for bounds sampling
    spans = []
    nb: dict[int, int] = {}  # section first index -> bucket count
    off = MAIN_HEADER + sections * SECTION_HEADER
    at = 0
    sh_span = struct.unpack("<f", struct.pack("<f", sh_max - sh_min))[0]
    for i, h in enumerate(heads):
        (count, max_count, capacity, nbuckets, block, bucket_bytes, qrange, full, partial, sdeg) = h
        qrange = qrange or default_range
        ncomp = SH_COMPONENTS[sdeg]
        rec = cb + sb + rb + 4 + ncomp * hb
        meta = partial * 4 + bucket_bytes * nbuckets
        size = rec * max_count
        if count > max_count or off + meta + size > len(data) or at + count > total:
            raise FormatError(name, f".ksplat section {i} is truncated or inconsistent")
        if count == 0:
            off += meta + size
            continue
        ends_b = b""
        centres = view[0:0]
        if level > 0:
            if bucket_bytes < 12 or capacity == 0:
                raise FormatError(name, f".ksplat section {i} has malformed buckets")
            sizes = struct.unpack_from(f"<{partial}I", data, off)
            ends = list(accumulate(sizes))
            n_full = min(full * capacity, count)
            rest = count - n_full
            last = (n_full - 1) // capacity if n_full else -1
            if rest:
                if not ends or ends[-1] < rest:
                    raise FormatError(name, f".ksplat section {i} partial buckets are too small")
                last = full + next(j for j, e in enumerate(ends) if e >= rest)
            if last >= nbuckets:
                raise FormatError(name, f".ksplat section {i} refers to missing buckets")
            ends_b = array("I", ends).tobytes() if ends else b""
            centres = view[off + partial * 4 : off + meta]
        else:
            ends, n_full = [], 0
        params = struct.pack(
            "<8I4f",
            level, rec, cb + sb + rb, ncomp, capacity, full, partial, bucket_bytes,
            float(qrange), block / 2.0 / qrange, sh_min, sh_span,
        )  # fmt: skip
        body = off + meta

        def segments(first: int, m: int, body=body, rec=rec, centres=centres, ends_b=ends_b):
            return [view[body + first * rec : body + (first + m) * rec], centres, ends_b]

        parts.append(Part(count, params, segments, rec, fixed=len(centres) + len(ends_b) + 16))
        nb[at] = nbuckets
        spans.append(
            (at, count, body, rec, capacity, full, ends, block / 2.0 / qrange, qrange, centres)
        )
        at += count
        off += meta + size
    if at != total:
        raise FormatError(name, f".ksplat sections hold {at:,} splats, header says {total:,}")

    def alpha(g: int) -> float:
        for first, count, body, rec, *_ in spans:
            if first <= g < first + count:
                return data[body + (g - first) * rec + cb + sb + rb + 3] / 255
        return 0.0

    def position(g: int):
        for first, count, body, rec, capacity, full, ends, pscale, qrange, centres in spans:
            if first <= g < first + count:
                s = g - first
                r = body + s * rec
                if level == 0:
                    return struct.unpack_from("<3f", data, r)
                if s < full * capacity:
                    b = s // capacity
                else:
                    rest = s - full * capacity
                    b = full + bisect_right(ends, rest)
                c = struct.unpack_from("<3f", centres, b * (len(centres) // nb[first]))
                u = struct.unpack_from("<3H", data, r)
                return tuple((u[k] - qrange) * pscale + c[k] for k in range(3))
        return (float("nan"),) * 3

    idx = list(sample_indices(total))
    bounds = robust_bounds([position(g) for g in idx], total, [alpha(g) for g in idx])
    return Decoded(Plan("decode_ksplat", parts), total, degree, "RDF", bounds, "ksplat")
