"""Float64 twin of the edits stage of the projection pass (shaders/edits.wgsl)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..scene.edits import Edit, Shape


def shape_distance(shape: Shape, world: np.ndarray) -> np.ndarray:
    """Signed distance (negative inside) of (N,3) world points to ``shape``."""
    m = np.array(shape.transform.matrix(), np.float64).reshape(4, 4)
    p = (world - m[:3, 3]) @ m[:3, :3]  # into the shape's frame: R^T (x - t)
    r = np.array(shape.size, np.float64)
    if shape.kind == "sphere":
        return np.linalg.norm(p, axis=1) - r[0]
    if shape.kind == "box":
        q = np.abs(p) - r
        outside = np.linalg.norm(np.maximum(q, 0.0), axis=1)
        return outside + np.minimum(q.max(axis=1), 0.0)
    if shape.kind == "ellipsoid":
        k0 = np.linalg.norm(p / r, axis=1)
        k1 = np.linalg.norm(p / (r * r), axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(k1 == 0, -r.min(), k0 * (k0 - 1.0) / k1)
    if shape.kind == "cylinder":
        d = np.abs(np.stack([np.linalg.norm(p[:, [0, 2]], axis=1), p[:, 1]], axis=1)) - r[:2]
        return np.minimum(d.max(axis=1), 0.0) + np.linalg.norm(np.maximum(d, 0.0), axis=1)
    if shape.kind == "capsule":
        q = p.copy()
        q[:, 1] -= np.clip(p[:, 1], -r[1], r[1])
        return np.linalg.norm(q, axis=1) - r[0]
    return p[:, 1]  # plane: local y < 0 is inside


def edit_weights(edits: Sequence[Edit], world: np.ndarray) -> np.ndarray:
    """(len(edits), N) weight of each edit at each point: 1 inside, 0 outside, a
    linear ramp of half-width ``softness`` across the surface."""
    out = np.zeros((len(edits), len(world)))
    for i, e in enumerate(edits):
        d = np.min([shape_distance(s, world) for s in e.shapes], axis=0)
        d = -d if e.invert else d
        if e.softness > 0:
            out[i] = np.clip(0.5 - 0.5 * d / e.softness, 0.0, 1.0)
        else:
            out[i] = (d <= 0).astype(np.float64)
    return out


def edited_opacity(edits: Sequence[Edit], w: np.ndarray, opacity: np.ndarray) -> np.ndarray:
    if not edits:
        return opacity
    o = opacity.copy()
    for e, wi in zip(edits, w, strict=True):
        if e.mode == "multiply":
            o = o * (1.0 + (e.color[3] - 1.0) * wi)
        elif e.mode == "add_rgba":
            o = o + e.color[3] * wi
    return np.clip(o, 0.0, 1.0)


def edited_color(edits: Sequence[Edit], w: np.ndarray, color: np.ndarray) -> np.ndarray:
    if not edits:
        return color
    rgb = color.copy()
    for e, wi in zip(edits, w, strict=True):
        c, wc = np.array(e.color[:3]), wi[:, None]
        if e.mode == "multiply":
            rgb = rgb * (1.0 + (c - 1.0) * wc)
        elif e.mode == "set_rgb":
            rgb = rgb + (c - rgb) * wc
        else:
            rgb = rgb + c * wc
    return np.maximum(rgb, 0.0)
