"""Small numeric helpers shared by readers and writers (numpy, native path only)."""

from __future__ import annotations

import numpy as np

from .splats import SH_C0


def logit(p: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Inverse sigmoid with the input clamped to [eps, 1-eps]."""
    p = np.clip(np.asarray(p, np.float64), eps, 1 - eps)
    return np.log(p / (1 - p)).astype(np.float32)


def sigmoid(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return (1.0 / (1.0 + np.exp(-np.asarray(x, np.float64)))).astype(np.float32)


def rgb_to_dc(rgb: np.ndarray) -> np.ndarray:
    """Linear colour in [0,1] -> SH DC coefficient."""
    return ((np.asarray(rgb, np.float32) - 0.5) / SH_C0).astype(np.float32)


def dc_to_rgb(dc: np.ndarray) -> np.ndarray:
    return (SH_C0 * np.asarray(dc, np.float32) + 0.5).astype(np.float32)


def normalize_quats(q: np.ndarray) -> np.ndarray:
    """Unit quaternions; zero-length rows become identity (w=1)."""
    q = np.asarray(q, np.float32)
    n = np.linalg.norm(q, axis=1, keepdims=True)
    bad = ~(n[:, 0] > 0)
    n[bad] = 1.0
    out = q / n
    out[bad] = (1, 0, 0, 0)
    return out


def nonfinite_report(arrays: dict[str, np.ndarray]) -> str | None:
    """Quirk text naming the attributes with NaN/Inf, or None when all finite."""
    parts = []
    rows = None
    for name, a in arrays.items():
        # float64 sums cannot overflow for float32 input: finite sum <=> all finite
        if a.size == 0 or np.isfinite(np.add.reduce(a.ravel(), dtype=np.float64)):
            continue
        bad = ~np.isfinite(a.reshape(a.shape[0], -1)).all(axis=1)
        nb = int(bad.sum())
        if nb:
            parts.append(f"{name} {nb}")
            rows = bad if rows is None else rows | bad
    if not parts:
        return None
    return (
        f"non-finite values in {int(rows.sum())} splats ({', '.join(parts)}); "
        "kept as they are, the renderer culls them"
    )
