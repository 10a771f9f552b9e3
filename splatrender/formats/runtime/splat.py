"""antimatter15 ``.splat`` for the runtime path (decode_antimatter.wgsl). Twin: formats/splat.py."""

from __future__ import annotations

from ...errors import FormatError
from .._io import MAX_SPLATS
from .common import Decoded, rows
from .fill import Part, Plan

RECORD = 32


def prepare(data: bytes, name: str, **_: object) -> Decoded:
    if len(data) % RECORD:
        raise FormatError(name, f".splat size {len(data):,} is not a multiple of 32 bytes")
    n = len(data) // RECORD
    if n > MAX_SPLATS:
        raise FormatError(name, f".splat holds {n:,} splats, above {MAX_SPLATS:,}")
    view = memoryview(data)
    part = Part(n, b"", lambda first, m: [rows(view, 0, RECORD)(first, m)], RECORD)
    return Decoded(Plan("decode_antimatter", [part]), n, 0, "RDF", "splat")
