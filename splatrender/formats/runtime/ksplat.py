"""mkkellogg ``.ksplat`` (v0.1, compression levels 0-2) for the runtime path.

Headers and the per-section bucket tables are parsed in Python; each non-empty
section is one decode part over its raw records (decode_ksplat.wgsl).
Twin: formats/ksplat.py.
"""

from __future__ import annotations

import struct
from array import array
from itertools import accumulate

from ...errors import FormatError
from ...shaders.layout import KSPLAT_PARAMS
from .. import ksplat_header
from .common import Decoded
from .fill import Part, Plan


def prepare(data: bytes, name: str, **_: object) -> Decoded:
    lay = ksplat_header.parse(name, data)
    level, total, sh_min = lay.level, lay.total, lay.sh_min
    c0 = lay.colour_offset
    view = memoryview(data)
    parts: list[Part] = []
    # (global first index, count, position decoder) per section, for bounds sampling
    spans = []
    nb: dict[int, int] = {}  # section first index -> bucket count
    sh_span = struct.unpack("<f", struct.pack("<f", lay.sh_max - sh_min))[0]
    for sec in lay.sections:
        i, count, capacity, full, partial = (
            sec.index,
            sec.count,
            sec.capacity,
            sec.full,
            sec.partial,
        )
        rec, qrange, off = sec.record, sec.qrange, sec.meta
        ends_b = b""
        centres = view[0:0]
        if level > 0:
            sizes = struct.unpack_from(f"<{partial}I", data, off)
            ends = list(accumulate(sizes))
            n_full = min(full * capacity, count)
            rest = count - n_full
            last = (n_full - 1) // capacity if n_full else -1
            if rest:
                if not ends or ends[-1] < rest:
                    raise FormatError(name, f".ksplat section {i} partial buckets are too small")
                last = full + next(j for j, e in enumerate(ends) if e >= rest)
            if last >= sec.nbuckets:
                raise FormatError(name, f".ksplat section {i} refers to missing buckets")
            ends_b = array("I", ends).tobytes() if ends else b""
            centres = view[off + partial * 4 : sec.body]
        else:
            ends, n_full = [], 0
        params = KSPLAT_PARAMS.pack(
            level=level, rec=rec, color_at=c0, ncomp=sec.ncomp, capacity=capacity, full=full,
            partial=partial, bucket_bytes=sec.bucket_bytes, qrange=float(qrange),
            pos_scale=sec.block / 2.0 / qrange, sh_min=sh_min, sh_span=sh_span,
        )  # fmt: skip
        body = sec.body

        def segments(first: int, m: int, body=body, rec=rec, centres=centres, ends_b=ends_b):
            return [view[body + first * rec : body + (first + m) * rec], centres, ends_b]

        parts.append(Part(count, params, segments, rec, fixed=len(centres) + len(ends_b) + 16))
        nb[sec.first] = sec.nbuckets
        spans.append(
            (sec.first, count, body, rec, capacity, full, ends, sec.block / 2.0 / qrange, qrange,
             centres)
        )  # fmt: skip

    return Decoded(Plan("decode_ksplat", parts), total, lay.sh_degree, "RDF", "ksplat")
