"""Niantic SPZ reader (versions 1-4) and writer (versions 3 and 4).

Versions 1-3 are one gzip stream: a 16-byte header (magic "NGSP", version, count,
SH degree, fractional bits, flags, reserved) then the attribute blocks. Version 4
has a plain 32-byte header (adds stream count and TOC offset), optional extension
records ``[u32 type][u32 length][payload]`` up to the TOC, a TOC of
(compressed, uncompressed) u64 pairs, and one zstd stream per attribute.

Attributes, in order: positions (24-bit fixed point; float16 in v1), alphas
(sigmoid*255), colours (DC*0.15+0.5, *255), scales ((log+10)*16), rotations (v1-2:
x,y,z bytes; v3+: smallest-three in 32 bits, x,y,z,w order), SH (coefficient-major,
RGB inner, (b-128)/128).

Frame: the SPZ spec stores right-up-back (RUB) unless an Adobe coordinate-system
extension (type 0xADBE0003) says otherwise. Note that splat-transform writes SPZ
without converting (its files hold the source PLY's RDF numbers, unmarked).
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

from ..errors import FormatError
from ._io import LOGIT_CLAMP, Source, gunzip, output_cap, unzstd
from ._util import normalize_quats, sigmoid
from .splats import AXES_RUB, Splats, sh_coeffs
from .spz_header import (
    COORDS,
    EXT_COORDINATES,
    FLAG_ANTIALIASED,
    FLAG_EXTENSIONS,
    MAGIC,
    SH_DIM,
    parse_header,
    stream_sizes,
    v4_streams,
)

FORMAT = "spz"
COLOR_SCALE = 0.15


def read(src: Source, **_: object) -> Splats:
    data = src.data
    if data[:2] == b"\x1f\x8b":
        return _read_gzip(src, data)
    if len(data) < 32:
        raise FormatError(src.name, "SPZ file shorter than its 32-byte header")
    magic, version = struct.unpack_from("<II", data, 0)
    if magic != MAGIC:
        raise FormatError(src.name, "not an SPZ file (bad magic)")
    if version < 4:
        raise FormatError(src.name, f"SPZ v{version} must be gzip-compressed")
    if version > 4:
        raise FormatError(src.name, f"unsupported SPZ version {version}")
    return _read_v4(src, data)


def _read_gzip(src: Source, data: bytes) -> Splats:
    # Inflate the header alone first, so the count is checked before the body.
    d = zlib.decompressobj(wbits=31)
    try:
        head = d.decompress(data, 16)
    except zlib.error as e:
        raise FormatError(src.name, f"corrupt gzip stream: {e}") from None
    if len(head) < 16:
        raise FormatError(src.name, "SPZ gzip stream ends inside the header")
    version, n, degree, frac, flags = parse_header(src.name, head)
    if version == 4:
        raise FormatError(src.name, "SPZ v4 is not gzip-compressed")
    sizes = stream_sizes(version, n, degree)
    expected = 16 + sum(sizes)
    cap = output_cap(src, len(data), expected)
    raw = gunzip(src, data, cap + 4096)
    if len(raw) < expected:
        raise FormatError(src.name, f"SPZ body has {len(raw):,} bytes, needs {expected:,}")
    blocks, off = [], 16
    for s in sizes:
        blocks.append(raw[off : off + s])
        off += s
    quirks = []
    if flags & FLAG_EXTENSIONS:
        quirks.append("SPZ extensions in a gzip stream are not read")
    return _decode(src, version, n, degree, frac, flags, blocks, AXES_RUB, quirks)


def _read_v4(src: Source, data: bytes) -> Splats:
    version, n, degree, frac, flags = parse_header(src.name, data[:32])
    axes, quirks, streams = v4_streams(src.name, data, (version, n, degree, frac, flags))
    blocks = [
        unzstd(src, data[off : off + csize], usize, f"SPZ stream {i}")
        for i, (off, csize, usize) in enumerate(streams)
    ]
    while len(blocks) < 6:
        blocks.append(b"")
    return _decode(src, version, n, degree, frac, flags, blocks, axes, quirks)


# Byte -> value tables (decoding by table lookup is one gather per attribute).
_B = np.arange(256, dtype=np.float64)
ALPHA_LUT = np.log(np.clip(_B / 255, 1e-6, 1 - 1e-6) / (1 - np.clip(_B / 255, 1e-6, 1 - 1e-6)))
ALPHA_LUT = ALPHA_LUT.astype(np.float32)
COLOR_LUT = ((_B / 255.0 - 0.5) / COLOR_SCALE).astype(np.float32)
SCALE_LUT = (_B / 16.0 - 10.0).astype(np.float32)
SH_LUT = ((_B - 128.0) / 128.0).astype(np.float32)
FIRST3_LUT = (_B / 127.5 - 1.0).astype(np.float32)
# For each largest index L (x,y,z,w order): where the 10-bit fields k=0 (lowest), 1, 2 go.
SMALLEST3_SLOTS = np.array([[j for j in (3, 2, 1, 0) if j != big] for big in range(4)])


def _decode(src, version, n, degree, frac, flags, blocks, axes, quirks) -> Splats:
    pos_b, alpha_b, col_b, scale_b, rot_b, sh_b = blocks
    if version == 1:
        means = np.frombuffer(pos_b, "<f2", 3 * n).reshape(n, 3).astype(np.float32)
    else:
        if frac > 24:
            raise FormatError(src.name, f"SPZ fractional bits {frac} is above 24")
        b = np.frombuffer(pos_b, np.uint8, 9 * n).reshape(n * 3, 3)
        fixed = b[:, 0].astype(np.int32) | (b[:, 1].astype(np.int32) << 8)
        fixed |= b[:, 2].astype(np.int32) << 16
        fixed = (fixed ^ 0x800000) - 0x800000  # sign-extend 24 bits
        means = (fixed * np.float32(1.0 / (1 << frac))).astype(np.float32).reshape(n, 3)
    alpha = np.frombuffer(alpha_b, np.uint8, n)
    saturated = int(np.count_nonzero(alpha == 255))
    if saturated:
        quirks.append(
            f"alpha byte 255 in {saturated} splats is an infinite logit: "
            f"clamped to {LOGIT_CLAMP:.2f}"
        )
    opac = ALPHA_LUT[alpha]
    scales = SCALE_LUT[np.frombuffer(scale_b, np.uint8, 3 * n).reshape(n, 3)]
    if version < 3:
        xyz = FIRST3_LUT[np.frombuffer(rot_b, np.uint8, 3 * n).reshape(n, 3)]
        w = np.sqrt(np.maximum(0.0, 1.0 - (xyz**2).sum(axis=1)))
        quats = np.concatenate([w[:, None], xyz], axis=1)
    else:
        quats = unpack_smallest_three(np.frombuffer(rot_b, "<u4", n))
    if degree > 3:
        quirks.append(f"SH degree {degree} truncated to 3")
    kept = min(degree, 3)
    k = sh_coeffs(kept)
    sh = np.empty((n, k, 3), np.float32)
    sh[:, 0] = COLOR_LUT[np.frombuffer(col_b, np.uint8, 3 * n).reshape(n, 3)]
    if kept:
        dim = SH_DIM[degree]
        rest = np.frombuffer(sh_b, np.uint8, n * dim * 3).reshape(n, dim, 3)[:, : k - 1]
        out = sh[:, 1:]
        np.subtract(rest, np.float32(128.0), out=out, dtype=np.float32)
        out *= np.float32(1.0 / 128.0)
    if flags & FLAG_ANTIALIASED:
        quirks.append("trained with antialiasing (SPZ flag)")
    return Splats(means, scales, quats, opac, sh, axes=axes, format=FORMAT, quirks=quirks)


def unpack_smallest_three(packed: np.ndarray) -> np.ndarray:
    """32-bit smallest-three (2-bit index of the largest of x,y,z,w + 3x(sign, 9-bit)) -> wxyz.

    The three stored components are written from the highest index down, so the
    lowest 10 bits hold the highest index that is not the largest.
    """
    p = packed.astype(np.uint32)
    largest = (p >> 30).astype(np.intp)
    vals = np.empty((p.shape[0], 3), np.float32)
    scale = np.float32(np.sqrt(0.5) / 511.0)
    for k in range(3):
        bits = (p >> np.uint32(10 * k)) & np.uint32(1023)
        mag = (bits & np.uint32(511)).astype(np.float32) * scale
        vals[:, k] = np.where(bits & np.uint32(512), -mag, mag)
    xyzw = np.zeros((p.shape[0], 4), np.float32)
    rows = np.arange(p.shape[0])[:, None]
    xyzw[rows, SMALLEST3_SLOTS[largest]] = vals
    xyzw[rows[:, 0], largest] = np.sqrt(np.maximum(0.0, 1.0 - (vals**2).sum(axis=1)))
    return xyzw[:, [3, 0, 1, 2]]


def pack_smallest_three(quats_wxyz: np.ndarray) -> np.ndarray:
    q = normalize_quats(quats_wxyz)[:, [1, 2, 3, 0]].astype(np.float64)  # xyzw
    n = q.shape[0]
    largest = np.abs(q).argmax(axis=1)
    rows = np.arange(n)
    q *= np.where(q[rows, largest] < 0, -1.0, 1.0)[:, None]
    packed = np.zeros(n, np.uint64)
    for j in range(4):
        take = largest != j
        v = q[:, j]
        mag = np.clip(np.round(np.abs(v) / np.sqrt(0.5) * 511), 0, 511).astype(np.uint64)
        bits = mag | (np.where(v < 0, 1, 0).astype(np.uint64) << np.uint64(9))
        packed = np.where(take, (packed << np.uint64(10)) | bits, packed)
    packed |= largest.astype(np.uint64) << np.uint64(30)
    return packed.astype("<u4")


def _quantize_sh(v: np.ndarray, bits: int) -> np.ndarray:
    q = np.clip(np.round(v * 128.0) + 128.0, 0, 255)
    if bits < 8:
        bucket = 1 << (8 - bits)
        q = np.clip(np.floor((q + bucket / 2) / bucket) * bucket, 0, 255)
    return q.astype(np.uint8)


def encode_blocks(s: Splats, frac: int, sh1_bits: int = 5, sh_rest_bits: int = 4) -> list[bytes]:
    n = s.count
    fixed = np.clip(np.round(s.means.astype(np.float64) * (1 << frac)), -(1 << 23), (1 << 23) - 1)
    f = fixed.astype(np.int64) & 0xFFFFFF
    pos = np.stack([f & 0xFF, (f >> 8) & 0xFF, (f >> 16) & 0xFF], axis=-1).astype(np.uint8)
    alpha = np.clip(np.round(sigmoid(s.opacities) * 255.0), 0, 255).astype(np.uint8)
    col = np.clip(np.round((s.sh[:, 0] * COLOR_SCALE + 0.5) * 255.0), 0, 255).astype(np.uint8)
    scale = np.clip(np.round((s.scales + 10.0) * 16.0), 0, 255).astype(np.uint8)
    rot = pack_smallest_three(s.quats)
    blocks = [pos.tobytes(), alpha.tobytes(), col.tobytes(), scale.tobytes(), rot.tobytes()]
    k = s.sh.shape[1]
    if k > 1:
        rest = np.empty((n, k - 1, 3), np.uint8)
        rest[:, :3] = _quantize_sh(s.sh[:, 1:4], sh1_bits)
        if k > 4:
            rest[:, 3:] = _quantize_sh(s.sh[:, 4:], sh_rest_bits)
        blocks.append(rest.tobytes())
    else:
        blocks.append(b"")
    return blocks


def _frac_bits(s: Splats) -> int:
    """Most fractional bits that keep every finite coordinate inside 24 bits (max 12)."""
    m = s.means[np.isfinite(s.means)]
    big = float(np.abs(m).max()) if m.size else 0.0
    frac = 12
    while frac > 0 and big * (1 << frac) >= (1 << 23):
        frac -= 1
    return frac


def to_bytes(s: Splats, version: int = 3, antialiased: bool = False, **_: object) -> bytes:
    """SPZ bytes (version 3: gzip, version 4: NGSP + zstd). Values are written as they are.

    Version 4 records non-RUB axes in an Adobe coordinate-system extension; version
    3 cannot, so write RUB data there (see :func:`axes.to_axes`).
    """
    if version not in (3, 4):
        raise ValueError("SPZ writer supports versions 3 and 4")
    frac = _frac_bits(s)
    blocks = encode_blocks(s, frac)
    flags = FLAG_ANTIALIASED if antialiased else 0
    if version == 3:
        head = struct.pack("<IIIBBBB", MAGIC, 3, s.count, s.sh_degree, frac, flags, 0)
        import gzip

        return gzip.compress(head + b"".join(blocks), compresslevel=6, mtime=0)
    import zstandard

    ext = b""
    if s.axes != AXES_RUB:
        code = {v: k for k, v in COORDS.items()}[s.axes]
        ext = struct.pack("<III", EXT_COORDINATES, 4, code)
        flags |= FLAG_EXTENSIONS
    streams = [b for b in blocks if b]
    cctx = zstandard.ZstdCompressor(level=3)
    comp = [cctx.compress(b) for b in streams]
    toc_off = 32 + len(ext)
    head = struct.pack(
        "<IIIBBBBI", MAGIC, 4, s.count, s.sh_degree, frac, flags, len(streams), toc_off
    ) + bytes(12)
    toc = b"".join(struct.pack("<QQ", len(c), len(u)) for c, u in zip(comp, streams, strict=True))
    return head + ext + toc + b"".join(comp)
