"""PlayCanvas / SuperSplat compressed PLY reader.

Elements: ``chunk`` (one row per 256 splats: float min/max of position and log
scale, and optionally of colour), ``vertex`` (uint32 ``packed_position`` 11-10-11,
``packed_rotation`` 2-bit largest index + 3x10 bits, ``packed_scale`` 11-10-11,
``packed_color`` RGBA 8888 with A = sigmoid(opacity)), and optionally ``sh`` (uint8
``f_rest_*``, channel-major, mapped to [-4, 4]). Frame: the source PLY's (RDF).
"""

from __future__ import annotations

import numpy as np

from ..errors import FormatError
from . import plyheader
from ._io import Source
from ._util import logit, rgb_to_dc
from .compressed_ply_layout import CHUNK, CHUNK_PROPS, COLOR_PROPS, PACKED
from .splats import AXES_RDF, Splats, sh_coeffs

FORMAT = "compressed-ply"
# SH byte -> value: 0 and 255 are the ends, others bucket centres, over [-4, 4]
_Q = np.arange(256, dtype=np.float64)
SH_LUT = ((np.where(_Q == 0, 0.0, np.where(_Q == 255, 1.0, (_Q + 0.5) / 256)) - 0.5) * 8).astype(
    np.float32
)


def read(src: Source, **_: object) -> Splats:
    data = src.data
    h = plyheader.parse_header(src, data)
    ce, ve = h.element("chunk"), h.element("vertex")
    if ce is None or ve is None:
        raise FormatError(src.name, "compressed PLY needs 'chunk' and 'vertex' elements")
    missing = [p for p in CHUNK_PROPS if p not in ce.names()] + [
        p for p in PACKED if p not in ve.names()
    ]
    if missing:
        raise FormatError(src.name, f"compressed PLY lacks {', '.join(missing)}")
    n = ve.count
    if ce.count != -(-n // CHUNK):
        raise FormatError(src.name, f"compressed PLY has {ce.count} chunks for {n:,} splats")
    els = plyheader.read_elements(src, data, h)
    chunk, vert = els["chunk"], els["vertex"]
    ci = np.arange(n) // CHUNK

    def lerp(lo: str, hi: str, t: np.ndarray) -> np.ndarray:
        a = chunk[lo].astype(np.float32)[ci]
        b = chunk[hi].astype(np.float32)[ci]
        return a * (1 - t) + b * t

    def u32(name: str) -> np.ndarray:
        return vert[name].astype(np.uint32)

    pos = unpack_111011(u32("packed_position"))
    means = np.stack([lerp(f"min_{a}", f"max_{a}", pos[:, i]) for i, a in enumerate("xyz")], 1)
    sc = unpack_111011(u32("packed_scale"))
    scales = np.stack(
        [lerp(f"min_scale_{a}", f"max_scale_{a}", sc[:, i]) for i, a in enumerate("xyz")], 1
    )
    quats = unpack_rotation(u32("packed_rotation"))
    col = unpack_8888(u32("packed_color"))
    if all(p in ce.names() for p in COLOR_PROPS):
        rgb = np.stack([lerp(f"min_{c}", f"max_{c}", col[:, i]) for i, c in enumerate("rgb")], 1)
    else:
        rgb = col[:, :3]
    quirks: list[str] = []
    degree, rest = 0, None
    if "sh" in els:
        she = h.element("sh")
        m = len([p for p in she.names() if p.startswith("f_rest_")])
        if she.count != n or m not in (9, 24, 45):
            raise FormatError(src.name, f"compressed PLY 'sh' element is {she.count}x{m}")
        degree = {9: 1, 24: 2, 45: 3}[m]
        sha = els["sh"]
        names = [f"f_rest_{i}" for i in range(m)]
        if list(sha.dtype.names) == names and sha.dtype.itemsize == m:
            q = sha.view(np.uint8).reshape(n, m)  # packed uint8 rows
        else:
            q = np.stack([sha[k] for k in names], 1).astype(np.uint8)
        rest = SH_LUT[q]
    k = sh_coeffs(degree)
    sh = np.zeros((n, k, 3), np.float32)
    sh[:, 0] = rgb_to_dc(rgb)
    if rest is not None:
        sh[:, 1:] = rest.reshape(n, 3, k - 1).transpose(0, 2, 1)
    return Splats(
        means, scales, quats, logit(col[:, 3]), sh, axes=AXES_RDF, format=FORMAT, quirks=quirks
    )


def _unorm(v: np.ndarray, bits: int) -> np.ndarray:
    return (v & np.uint32((1 << bits) - 1)).astype(np.float32) / float((1 << bits) - 1)


def unpack_111011(v: np.ndarray) -> np.ndarray:
    return np.stack([_unorm(v >> 21, 11), _unorm(v >> 11, 10), _unorm(v, 11)], 1)


def unpack_8888(v: np.ndarray) -> np.ndarray:
    return np.stack([_unorm(v >> 24, 8), _unorm(v >> 16, 8), _unorm(v >> 8, 8), _unorm(v, 8)], 1)


def unpack_rotation(v: np.ndarray) -> np.ndarray:
    """2-bit index of the largest of (w,x,y,z) + three 10-bit values in [-1/sqrt2, 1/sqrt2]."""
    norm = np.float32(np.sqrt(2.0))
    abc = np.stack([_unorm(v >> 20, 10), _unorm(v >> 10, 10), _unorm(v, 10)], 1)
    abc = (abc - 0.5) * norm
    m = np.sqrt(np.maximum(0.0, 1.0 - (abc**2).sum(1)))
    which = (v >> 30).astype(np.int64)
    n = v.shape[0]
    out = np.empty((n, 4), np.float32)
    for t in range(4):
        sel = which == t
        others = [j for j in range(4) if j != t]
        out[np.ix_(sel, others)] = abc[sel]
        out[sel, t] = m[sel]
    return out
