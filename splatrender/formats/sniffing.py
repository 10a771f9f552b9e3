"""Content sniffing: which format are these bytes? Pure Python (runtime-safe).

Magic bytes and headers decide; the extension only breaks the tie for antimatter15
``.splat``, which has no header at all.
"""

from __future__ import annotations

import struct

from ..errors import FormatError

# names of the formats (keys of splatrender.formats.FORMATS)
PLY, PLY_POINTS, COMPRESSED_PLY = "ply", "ply-pointcloud", "compressed-ply"
SPLAT, KSPLAT, SPZ, SOG, GLB, GLTF = "splat", "ksplat", "spz", "sog", "glb", "gltf"

GAUSSIAN_KEYS = (b"scale_0", b"rot_0", b"opacity", b"f_dc_0")


def sniff(data: bytes, ext: str = "") -> str:
    """Format name for ``data``; ``ext`` (like ".splat") is used only as a tie-break."""
    head = data[:16]
    if head[:4] in (b"ply\n", b"ply\r"):
        return _sniff_ply(data)
    if head[:4] == b"NGSP":
        return SPZ
    if head[:2] == b"\x1f\x8b":
        return SPZ  # gzip: SPZ v1-3 (checked further by the reader)
    if head[:4] == b"PK\x03\x04":
        return SOG
    if head[:4] == b"glTF":
        return GLB
    stripped = data[:4096].lstrip()
    if stripped[:1] == b"{":
        if b'"asset"' in data[: 1 << 20] and (
            b'"meshes"' in data[: 1 << 20] or b"KHR_gaussian" in data[: 1 << 20]
        ):
            return GLTF
        return SOG  # meta.json or lod-meta.json
    if len(data) >= 4096 and head[0] == 0 and head[1] >= 1 and ext != ".splat":
        count = struct.unpack_from("<I", data, 16)[0]
        mode = struct.unpack_from("<H", data, 20)[0]
        if mode <= 2 and count > 0:
            return KSPLAT
    if ext == ".ksplat":
        return KSPLAT
    if ext == ".splat" or (len(data) % 32 == 0 and len(data) > 0):
        return SPLAT  # no header at all: whole 32-byte records and nothing else matched
    raise FormatError("", f"unrecognised scene format (first bytes {head[:8]!r})")


def _sniff_ply(data: bytes) -> str:
    end = data.find(b"end_header", 0, 1 << 20)
    header = data[: end if end > 0 else 1 << 16]
    if b"element chunk" in header and b"packed_position" in header:
        return COMPRESSED_PLY
    if any(b" " + k + b"\n" in header or b" " + k + b"\r" in header for k in GAUSSIAN_KEYS):
        return PLY
    return PLY_POINTS


def version(data: bytes, fmt: str) -> str:
    """Short version/variant string from the header bytes (for ``info``)."""
    try:
        if fmt in (PLY, PLY_POINTS, COMPRESSED_PLY):
            for line in data[:4096].split(b"\n"):
                if line.startswith(b"format "):
                    return line[7:].decode("ascii", "replace").strip()
        if fmt == SPZ:
            if data[:4] == b"NGSP":
                return str(struct.unpack_from("<I", data, 4)[0])
            import zlib

            head = zlib.decompressobj(wbits=31).decompress(data, 16)
            return f"{struct.unpack_from('<I', head, 4)[0]} (gzip)"
        if fmt == KSPLAT:
            level = struct.unpack_from("<H", data, 20)[0]
            return f"{data[0]}.{data[1]}, compression level {level}"
        if fmt == GLB:
            return f"glTF {struct.unpack_from('<I', data, 4)[0]}"
        if fmt == SOG:
            import json

            if data[:4] == b"PK\x03\x04":
                return "bundled .sog"
            meta = json.loads(data)
            if "lodLevels" in meta:
                return f"LOD set, {meta['lodLevels']} levels"
            gen = (meta.get("asset") or {}).get("generator", "")
            return f"{meta.get('version', 1)}" + (f" ({gen})" if gen else "")
    except Exception:  # info is best effort; the reader reports real problems
        return "?"
    return "-"
