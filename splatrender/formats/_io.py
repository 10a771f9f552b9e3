"""Shared reader plumbing: byte sources, size limits, bounded decompression.

Every reader takes a :class:`Source` (the bytes plus a name for error messages and,
for multi-file formats, a way to open sibling files) and raises
:class:`~splatrender.errors.FormatError` for anything it cannot read.
"""

from __future__ import annotations

import io
import math
import os
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import FormatError

# Hard caps: a header may not ask for more than this, whatever the file size.
# Largest |logit| a reader produces from a saturated alpha byte (255 or 0).
LOGIT_CLAMP = math.log((1 - 1e-6) / 1e-6)  # ~13.8
MAX_SPLATS = 1 << 26  # 67M splats (~16 GB of float32 attributes at SH degree 3)
# Decompressed output may exceed the compressed input by at most this ratio, unless the
# output is small in absolute terms (legitimate data rarely compresses past ~20x).
MAX_RATIO = 512
SMALL_OUTPUT = 64 << 20
MAX_OUTPUT = 8 << 30  # no single decompressed stream past 8 GiB


@dataclass
class Source:
    """Bytes of one scene file plus how to reach files beside it (SOG folders)."""

    data: bytes
    name: str
    path: Path | None = None
    sibling: Callable[[str], bytes] | None = None

    def open_sibling(self, rel: str) -> bytes:
        if self.sibling is None:
            raise FormatError(self.name, f"needs the file {rel!r} beside it, but was given bytes")
        return self.sibling(rel)


def make_source(
    path_or_bytes: str | os.PathLike | bytes | bytearray | memoryview, name: str | None = None
) -> Source:
    """Wrap a path or a bytes-like object; a folder stands for its ``meta.json``."""
    if isinstance(path_or_bytes, bytes | bytearray | memoryview):
        return Source(bytes(path_or_bytes), name or "<bytes>")
    p = Path(path_or_bytes)
    if p.is_dir():
        if (p / "meta.json").is_file():
            p = p / "meta.json"
        else:
            raise FormatError(str(p), "is a folder without a meta.json")
    try:
        data = p.read_bytes()
    except OSError as e:
        raise FormatError(str(p), f"cannot read: {e.strerror or e}") from None
    base = p.parent

    def sibling(rel: str) -> bytes:
        q = (base / rel).resolve()
        try:
            return q.read_bytes()
        except OSError as e:
            raise FormatError(str(p), f"cannot read {rel!r}: {e.strerror or e}") from None

    return Source(data, name or str(p), p, sibling)


def check_count(
    src: Source,
    count: int,
    bytes_per_splat: float,
    available: int,
    what: str = "splats",
    max_splats: int = MAX_SPLATS,
) -> int:
    """Refuse a count the file cannot hold, before anything is allocated."""
    if count < 0:
        raise FormatError(src.name, f"negative {what} count {count}")
    if count > max_splats:
        raise FormatError(src.name, f"claims {count:,} {what}, above the limit of {max_splats:,}")
    need = count * bytes_per_splat
    if need > available:
        raise FormatError(
            src.name,
            f"claims {count:,} {what} ({int(need):,} bytes) but only {available:,} bytes follow",
        )
    return count


def output_cap(src: Source, compressed: int, expected: int | None = None) -> int:
    """Largest decompressed size accepted from ``compressed`` input bytes.

    With ``expected`` (what the header implies) the answer is exactly that, after
    refusing sizes past the hard cap or an implausible compression ratio.
    """
    if expected is None:
        return min(max(SMALL_OUTPUT, compressed * MAX_RATIO), MAX_OUTPUT)
    if expected > MAX_OUTPUT:
        raise FormatError(src.name, f"would decompress to {expected:,} bytes, above the cap")
    if expected > SMALL_OUTPUT and expected > compressed * MAX_RATIO:
        raise FormatError(
            src.name,
            f"claims {expected:,} bytes from {compressed:,} compressed bytes "
            f"(ratio above {MAX_RATIO}): refusing a possible decompression bomb",
        )
    return expected


def gunzip(src: Source, data: bytes, cap: int | None = None) -> bytes:
    """Inflate a gzip stream, refusing output past ``cap`` bytes."""
    cap = cap if cap is not None else output_cap(src, len(data))
    d = zlib.decompressobj(wbits=31)
    try:
        out = d.decompress(data, cap + 1)
    except zlib.error as e:
        raise FormatError(src.name, f"corrupt gzip stream: {e}") from None
    if len(out) > cap:
        raise FormatError(src.name, f"gzip stream inflates past {cap:,} bytes: refusing")
    if not d.eof:
        raise FormatError(src.name, "truncated gzip stream")
    return out


def unzstd(src: Source, data: bytes, expected: int, what: str = "zstd stream") -> bytes:
    """Decompress zstd data that must yield exactly ``expected`` bytes (never reads more)."""
    import zstandard

    output_cap(src, len(data), expected)
    try:
        reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data))
        out = reader.read(expected + 1)
        while len(out) < expected + 1:
            more = reader.read(expected + 1 - len(out))
            if not more:
                break
            out += more
    except zstandard.ZstdError as e:
        raise FormatError(src.name, f"corrupt {what}: {e}") from None
    if len(out) != expected:
        raise FormatError(src.name, f"{what} gave {len(out):,}+ bytes, expected {expected:,}")
    return out


def is_gzip(data: bytes) -> bool:
    return data[:2] == b"\x1f\x8b"


__all__ = [
    "MAX_SPLATS",
    "Source",
    "check_count",
    "gunzip",
    "is_gzip",
    "make_source",
    "output_cap",
    "unzstd",
]
