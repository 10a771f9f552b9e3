"""mkkellogg GaussianSplats3D ``.ksplat`` reader (version 0.1, compression levels 0-2).

Layout: a 4096-byte main header (version, section count, splat count, compression
level, SH range for level 2), one 1024-byte header per section, then per section:
partial-bucket sizes (u32 each), bucket centres (3xf32 each), and fixed-size splat
records. Level 0 stores float32; levels 1-2 store positions as u16 offsets from the
bucket centre and scales/rotations as float16; level 2 stores SH as u8 over the
header's [min, max] range. Colours and opacity are RGBA bytes; scales are linear.
SH coefficients are stored per band, channel-major inside each band.
Frame: the INRIA PLY it came from (RDF).
"""

from __future__ import annotations

import struct

import numpy as np

from ..errors import FormatError
from ._io import MAX_SPLATS, Source
from ._util import logit, rgb_to_dc
from .splats import FRAME_RDF, Splats, sh_coeffs

FORMAT = "ksplat"
MAIN_HEADER, SECTION_HEADER = 4096, 1024
MAX_SECTIONS = 1 << 16
# level -> (centre bytes, scale bytes, rotation bytes, SH bytes each, default quant range)
LEVELS = {0: (12, 12, 16, 4, 1), 1: (6, 6, 8, 2, 32767), 2: (6, 6, 8, 1, 32767)}
SH_COMPONENTS = (0, 9, 24, 45)


def _sh_column_map(degree: int) -> np.ndarray:
    """For each stored SH component, its (coefficient 1.., channel) in our layout."""
    out = []
    for band, width in enumerate((3, 5, 7), start=1):
        if band > degree:
            break
        first = band * band  # first coefficient index of this band (1, 4, 9)
        for i in range(3 * width):
            out.append((first + i % width, i // width))
    return np.array(out, np.int64).reshape(-1, 2)


def read(src: Source, **_: object) -> Splats:
    data = src.data
    if len(data) < MAIN_HEADER:
        raise FormatError(src.name, ".ksplat is shorter than its 4096-byte header")
    major, minor = data[0], data[1]
    if major != 0 or minor < 1:
        raise FormatError(src.name, f"unsupported .ksplat version {major}.{minor}")
    sections = struct.unpack_from("<I", data, 4)[0]
    total = struct.unpack_from("<I", data, 16)[0]
    level = struct.unpack_from("<H", data, 20)[0]
    sh_min, sh_max = struct.unpack_from("<ff", data, 36)
    sh_min = sh_min or -1.5
    sh_max = sh_max or 1.5
    if level not in LEVELS:
        raise FormatError(src.name, f".ksplat compression level {level} is not 0-2")
    if sections > MAX_SECTIONS or MAIN_HEADER + sections * SECTION_HEADER > len(data):
        raise FormatError(src.name, f".ksplat claims {sections:,} sections; the file is too short")
    if total > MAX_SPLATS:
        raise FormatError(src.name, f".ksplat claims {total:,} splats, above {MAX_SPLATS:,}")
    cb, sb, rb, hb, default_range = LEVELS[level]
    heads = []
    degree = 0
    for i in range(sections):
        h = struct.unpack_from("<IIIIfHxxIxxxxIIH", data, MAIN_HEADER + i * SECTION_HEADER)
        heads.append(h)
        if h[0]:
            if h[9] > 3:
                raise FormatError(src.name, f".ksplat section {i} SH degree {h[9]} is not 0-3")
            degree = max(degree, h[9])
    k = sh_coeffs(degree)
    # Count check before any allocation: every splat needs at least its record.
    min_record = cb + sb + rb + 4
    if total * min_record > len(data):
        raise FormatError(src.name, f".ksplat claims {total:,} splats; the file is too short")
    means = np.empty((total, 3), np.float32)
    scales = np.empty((total, 3), np.float32)
    quats = np.empty((total, 4), np.float32)
    rgba = np.empty((total, 4), np.uint8)
    sh = np.zeros((total, k, 3), np.float32)
    off = MAIN_HEADER + sections * SECTION_HEADER
    at = 0
    for i, h in enumerate(heads):
        (count, max_count, capacity, nbuckets, block, bucket_bytes, qrange, full, partial, sdeg) = h
        qrange = qrange or default_range
        ncomp = SH_COMPONENTS[sdeg]
        rec = cb + sb + rb + 4 + ncomp * hb
        meta = partial * 4 + bucket_bytes * nbuckets
        size = rec * max_count
        if count > max_count or off + meta + size > len(data) or at + count > total:
            raise FormatError(src.name, f".ksplat section {i} is truncated or inconsistent")
        if count == 0:
            off += meta + size
            continue
        if level > 0 and (bucket_bytes < 12 or capacity == 0):
            raise FormatError(src.name, f".ksplat section {i} has malformed buckets")
        body = np.frombuffer(data, np.uint8, rec * count, off + meta).reshape(count, rec)
        sl = slice(at, at + count)
        if level == 0:
            means[sl] = body[:, 0:12].copy().view("<f4")
            sc = body[:, 12:24].copy().view("<f4")
            quats[sl] = body[:, 24:40].copy().view("<f4")
        else:
            sizes = np.frombuffer(data, "<u4", partial, off).astype(np.int64)
            centres = np.frombuffer(data, np.uint8, bucket_bytes * nbuckets, off + partial * 4)
            centres = centres.reshape(nbuckets, bucket_bytes)[:, :12].copy().view("<f4")
            bucket = _bucket_index(src, i, count, capacity, full, sizes)
            if bucket.size and bucket.max() >= nbuckets:
                raise FormatError(src.name, f".ksplat section {i} refers to missing buckets")
            u = body[:, 0:6].copy().view("<u2").astype(np.float32)
            means[sl] = (u - qrange) * (block / 2.0 / qrange) + centres[bucket]
            sc = body[:, 6:12].copy().view("<f2").astype(np.float32)
            quats[sl] = body[:, 12:20].copy().view("<f2").astype(np.float32)
        c0 = cb + sb + rb
        rgba[sl] = body[:, c0 : c0 + 4]
        with np.errstate(divide="ignore", invalid="ignore"):
            scales[sl] = np.where(sc > 0, np.log(np.maximum(sc, 1e-30)), -10.0)
        if ncomp:
            raw = body[:, c0 + 4 : c0 + 4 + ncomp * hb]
            if level == 0:
                vals = raw.copy().view("<f4")
            elif level == 1:
                vals = raw.copy().view("<f2").astype(np.float32)
            else:
                vals = sh_min + raw.astype(np.float32) / 255.0 * (sh_max - sh_min)
            cmap = _sh_column_map(sdeg)
            sh[sl, cmap[:, 0], cmap[:, 1]] = vals
        at += count
        off += meta + size
    if at != total:
        raise FormatError(src.name, f".ksplat sections hold {at:,} splats, header says {total:,}")
    col = rgba.astype(np.float32) / 255.0
    sh[:, 0] = rgb_to_dc(col[:, :3])
    return Splats(
        means, scales, quats, logit(col[:, 3]), sh, frame=FRAME_RDF, format=FORMAT, quirks=[]
    )


def _bucket_index(
    src: Source, section: int, count: int, capacity: int, full: int, partial_sizes: np.ndarray
) -> np.ndarray:
    n_full = min(full * capacity, count)
    idx = np.empty(count, np.int64)
    idx[:n_full] = np.arange(n_full) // capacity
    rest = count - n_full
    if rest:
        if partial_sizes.sum() < rest or (partial_sizes < 0).any():
            raise FormatError(src.name, f".ksplat section {section} partial buckets are too small")
        idx[n_full:] = np.repeat(np.arange(full, full + len(partial_sizes)), partial_sizes)[:rest]
    return idx
