"""Chunk encoder (offline builder) and its numpy decoding twin (tests, CPU fallback).

The layout is documented in :mod:`splatrender.lod.chunk`. ``decode_chunk`` computes
exactly what shaders/lod_decode.wgsl computes, in float32, so the two can be compared.
numpy only: this module is not part of the browser runtime.
"""

from __future__ import annotations

import math

import numpy as np

from ..shaders.layout import GEOM_FLOATS, GEOMETRY, sh_rest_floats
from .chunk import (
    ALPHA_BINS,
    BYTE_LEVELS,
    CORE_WORDS,
    HEADER_BYTES,
    MAX_CHUNK,
    POS_LEVELS,
    QUAT_LEVELS,
    QUAT_MASK,
    ChunkHeader,
    dilation_words,
    sh_words,
)

_SQRT1_2 = np.float32(1 / math.sqrt(2))
LSCALE_SPAN = 14.0  # log scales more than this below the chunk's largest are clamped up
_BANDS = ((1, 4), (4, 9), (9, 16))  # SH coefficient index ranges of bands 1..3


def _range(lo: float, hi: float, levels: int) -> tuple[float, float]:
    """(min, step) of an affine grid over [lo, hi]; a zero step for a constant."""
    lo = float(np.float32(lo))
    step = float(np.float32((hi - lo) / levels)) if hi > lo else 0.0
    if step > 0 and np.float32(lo) + np.float32(levels) * np.float32(step) < hi:
        step = float(np.nextafter(np.float32(step), np.float32(np.inf)))
    return lo, step


def _quant(x: np.ndarray, lo: float, step: float, levels: int) -> np.ndarray:
    if step == 0:
        return np.zeros(x.shape, np.uint32)
    q = np.rint((x.astype(np.float64) - lo) / step)
    return np.clip(q, 0, levels).astype(np.uint32)


def encode_quats(q: np.ndarray) -> np.ndarray:
    """Smallest-three 24-bit codes of (N,4) w,x,y,z quaternions (any norm)."""
    q = q.astype(np.float64)
    n = np.linalg.norm(q, axis=1, keepdims=True)
    q = np.where(n > 1e-12, q / np.where(n > 1e-12, n, 1), np.array([1.0, 0, 0, 0]))
    big = np.argmax(np.abs(q), axis=1)
    sign = np.where(q[np.arange(len(q)), big] < 0, -1.0, 1.0)
    q = q * sign[:, None]
    # The three others, in w,x,y,z order without the largest.
    others = np.array([[1, 2, 3], [0, 2, 3], [0, 1, 3], [0, 1, 2]])[big]
    rest = np.take_along_axis(q, others, axis=1)
    code = np.rint((rest / (2 * float(_SQRT1_2)) + 0.5) * QUAT_LEVELS)
    code = np.clip(code, 0, QUAT_LEVELS).astype(np.uint32)
    return big.astype(np.uint32) | (code[:, 0] << 2) | (code[:, 1] << 9) | (code[:, 2] << 16)


def encode_chunk(
    means: np.ndarray,
    scales: np.ndarray,
    quats: np.ndarray,
    opacities: np.ndarray,
    sh: np.ndarray,
    dilation: np.ndarray | None = None,
) -> bytes:
    """Quantise up to MAX_CHUNK splats (raw 3DGS parameters, finite) into chunk bytes;
    ``dilation`` (px^2 >= 0 per splat) adds the dilation section unless it is all 0."""
    n = len(means)
    if n > MAX_CHUNK:
        raise ValueError(f"a chunk holds at most {MAX_CHUNK} splats, got {n}")
    degree = {1: 0, 4: 1, 9: 2, 16: 3}[sh.shape[1]]
    if n == 0:
        raise ValueError("empty chunk")
    lo, hi = means.min(axis=0), means.max(axis=0)
    pos = [_range(lo[i], hi[i], POS_LEVELS) for i in range(3)]
    lmax = float(scales.max())
    lmin = max(float(scales.min()), lmax - LSCALE_SPAN)
    lsc = _range(lmin, lmax, BYTE_LEVELS)
    dc = sh[:, 0, :]
    dcr = [_range(dc[:, c].min(), dc[:, c].max(), BYTE_LEVELS) for c in range(3)]
    shr = []
    for b in range(3):
        k0, k1 = _BANDS[b]
        if b < degree:
            v = sh[:, k0:k1, :]
            shr.append(_range(float(v.min()), float(v.max()), BYTE_LEVELS))
        else:
            shr.append((0.0, 0.0))

    qx, qy, qz = (_quant(means[:, i], *pos[i], POS_LEVELS) for i in range(3))
    alpha = 1.0 / (1.0 + np.exp(-np.clip(opacities.astype(np.float64), -60, 60)))
    qa = np.clip(np.floor(alpha * ALPHA_BINS), 0, ALPHA_BINS - 1).astype(np.uint32)
    qs = _quant(scales, *lsc, BYTE_LEVELS)
    qc = np.stack([_quant(dc[:, c], *dcr[c], BYTE_LEVELS) for c in range(3)], axis=1)
    qq = encode_quats(quats)
    dil_step = None
    if dilation is not None and float(dilation.max()) > 0:
        if not (np.isfinite(dilation).all() and dilation.min() >= 0):
            raise ValueError("dilation must be finite and >= 0")
        dil_step = _range(0.0, float(dilation.max()), BYTE_LEVELS)[1]

    core = np.empty((n, CORE_WORDS), np.uint32)
    core[:, 0] = qx | (qy << 16)
    core[:, 1] = qz | (qa << 16) | (qs[:, 0] << 24)
    core[:, 2] = qs[:, 1] | (qs[:, 2] << 8) | (qc[:, 0] << 16) | (qc[:, 1] << 24)
    core[:, 3] = qc[:, 2] | (qq << 8)

    header = ChunkHeader(
        n,
        degree,
        tuple(p[0] for p in pos),
        tuple(p[1] for p in pos),
        lsc[0],
        lsc[1],
        tuple(c[0] for c in dcr),
        tuple(c[1] for c in dcr),
        tuple(r[0] for r in shr),
        tuple(r[1] for r in shr),
        dil_step,
    ).pack()
    parts = [header, core.astype("<u4").tobytes()]
    if degree > 0:
        w = sh_words(degree)
        rest = np.zeros((n, 4 * w), np.uint8)
        for b in range(degree):
            k0, k1 = _BANDS[b]
            q = _quant(sh[:, k0:k1, :], *shr[b], BYTE_LEVELS).astype(np.uint8)
            rest[:, (k0 - 1) * 3 : (k1 - 1) * 3] = q.reshape(n, -1)
        parts.append(rest.tobytes())
    if dil_step is not None:
        q = np.zeros(4 * dilation_words(n), np.uint8)
        q[:n] = _quant(dilation, 0.0, dil_step, BYTE_LEVELS)
        parts.append(q.tobytes())
    return b"".join(parts)


def decode_chunk(data: bytes | memoryview, source: str = "chunk") -> tuple[np.ndarray, np.ndarray]:
    """float32 pool records of a chunk: geometry (N, GEOM_FLOATS), sh_rest (N, F)."""
    h = ChunkHeader.parse(data, source)
    n, d = h.count, h.sh_degree
    f32 = np.float32
    core = np.frombuffer(data, "<u4", n * CORE_WORDS, HEADER_BYTES).reshape(n, CORE_WORDS)
    w0, w1, w2, w3 = (core[:, i] for i in range(4))
    geom = np.zeros((n, GEOM_FLOATS), f32)

    def aff(q: np.ndarray, lo: float, step: float) -> np.ndarray:
        return f32(lo) + q.astype(f32) * f32(step)

    mean, ls, dc = (GEOMETRY.offset(f) for f in ("mean", "log_scale", "dc"))
    geom[:, mean] = aff(w0 & 0xFFFF, h.pos_min[0], h.pos_step[0])
    geom[:, mean + 1] = aff(w0 >> 16, h.pos_min[1], h.pos_step[1])
    geom[:, mean + 2] = aff(w1 & 0xFFFF, h.pos_min[2], h.pos_step[2])
    a = ((w1 >> 16) & 0xFF).astype(f32) * f32(1 / ALPHA_BINS) + f32(0.5 / ALPHA_BINS)
    geom[:, GEOMETRY.offset("opacity")] = np.log(a / (f32(1) - a))
    geom[:, GEOMETRY.cols("quat")] = decode_quats(w3 >> 8)
    geom[:, ls] = aff(w1 >> 24, h.lscale_min, h.lscale_step)
    geom[:, ls + 1] = aff(w2 & 0xFF, h.lscale_min, h.lscale_step)
    geom[:, ls + 2] = aff((w2 >> 8) & 0xFF, h.lscale_min, h.lscale_step)
    geom[:, dc] = aff((w2 >> 16) & 0xFF, h.dc_min[0], h.dc_step[0])
    geom[:, dc + 1] = aff(w2 >> 24, h.dc_min[1], h.dc_step[1])
    geom[:, dc + 2] = aff(w3 & 0xFF, h.dc_min[2], h.dc_step[2])
    nf = sh_rest_floats(d)
    rest = np.zeros((n, nf), f32)
    if d > 0:
        w = sh_words(d)
        off = HEADER_BYTES + 4 * CORE_WORDS * n
        raw = np.frombuffer(data, np.uint8, n * 4 * w, off).reshape(n, 4 * w)[:, :nf]
        for b in range(d):
            k0, k1 = _BANDS[b]
            sl = slice((k0 - 1) * 3, (k1 - 1) * 3)
            rest[:, sl] = aff(raw[:, sl], h.sh_min[b], h.sh_step[b])
    if h.dilated:
        q = np.frombuffer(data, np.uint8, n, 4 * h.dilation_offset)
        geom[:, GEOMETRY.offset("dilation")] = q.astype(f32) * f32(h.dilation_step)
    return geom, rest


def decode_quats(code: np.ndarray) -> np.ndarray:
    """(N,4) unit w,x,y,z from 24-bit smallest-three codes (float32 like the shader)."""
    f32 = np.float32
    big = code & 3
    c = np.stack([(code >> s) & QUAT_MASK for s in (2, 9, 16)], axis=1).astype(f32)
    v = (c * f32(1 / QUAT_LEVELS) - f32(0.5)) * f32(2 * _SQRT1_2)
    m = np.sqrt(np.maximum(f32(0), f32(1) - (v * v).sum(axis=1, dtype=f32)))
    out = np.zeros((len(code), 4), f32)
    others = np.array([[1, 2, 3], [0, 2, 3], [0, 1, 3], [0, 1, 2]])[big]
    np.put_along_axis(out, others, v, axis=1)
    out[np.arange(len(code)), big] = m
    return out
