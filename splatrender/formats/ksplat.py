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

import numpy as np

from ..errors import FormatError
from . import ksplat_header
from ._io import Source
from ._util import logit, rgb_to_dc
from .splats import AXES_RDF, Splats, sh_coeffs

FORMAT = "ksplat"


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
    lay = ksplat_header.parse(src.name, data)
    total, level = lay.total, lay.level
    k = sh_coeffs(lay.sh_degree)
    means = np.empty((total, 3), np.float32)
    scales = np.empty((total, 3), np.float32)
    quats = np.empty((total, 4), np.float32)
    rgba = np.empty((total, 4), np.uint8)
    sh = np.zeros((total, k, 3), np.float32)
    c0 = lay.colour_offset
    for sec in lay.sections:
        i, count, qrange = sec.index, sec.count, sec.qrange
        body = np.frombuffer(data, np.uint8, sec.record * count, sec.body)
        body = body.reshape(count, sec.record)
        sl = slice(sec.first, sec.first + count)
        if level == 0:
            means[sl] = body[:, 0:12].copy().view("<f4")
            sc = body[:, 12:24].copy().view("<f4")
            quats[sl] = body[:, 24:40].copy().view("<f4")
        else:
            sizes = np.frombuffer(data, "<u4", sec.partial, sec.meta).astype(np.int64)
            centres = np.frombuffer(
                data, np.uint8, sec.bucket_bytes * sec.nbuckets, sec.meta + sec.partial * 4
            )
            centres = centres.reshape(sec.nbuckets, sec.bucket_bytes)[:, :12].copy().view("<f4")
            bucket = _bucket_index(src, i, count, sec.capacity, sec.full, sizes)
            if bucket.size and bucket.max() >= sec.nbuckets:
                raise FormatError(src.name, f".ksplat section {i} refers to missing buckets")
            u = body[:, 0:6].copy().view("<u2").astype(np.float32)
            means[sl] = (u - qrange) * (sec.block / 2.0 / qrange) + centres[bucket]
            sc = body[:, 6:12].copy().view("<f2").astype(np.float32)
            quats[sl] = body[:, 12:20].copy().view("<f2").astype(np.float32)
        rgba[sl] = body[:, c0 : c0 + 4]
        with np.errstate(divide="ignore", invalid="ignore"):
            scales[sl] = np.where(sc > 0, np.log(np.maximum(sc, 1e-30)), -10.0)
        if sec.ncomp:
            raw = body[:, c0 + 4 : c0 + 4 + sec.ncomp * lay.sh_bytes]
            if level == 0:
                vals = raw.copy().view("<f4")
            elif level == 1:
                vals = raw.copy().view("<f2").astype(np.float32)
            else:
                vals = lay.sh_min + raw.astype(np.float32) / 255.0 * (lay.sh_max - lay.sh_min)
            cmap = _sh_column_map(sec.sh_degree)
            sh[sl, cmap[:, 0], cmap[:, 1]] = vals
    col = rgba.astype(np.float32) / 255.0
    sh[:, 0] = rgb_to_dc(col[:, :3])
    return Splats(
        means, scales, quats, logit(col[:, 3]), sh, axes=AXES_RDF, format=FORMAT, quirks=[]
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
