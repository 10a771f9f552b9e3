"""numpy twin of ``render/pool_order.py``: the Morton keys of splat means and the
stable order they give (``shaders/pool_order.wgsl`` computes the keys in float32 the
same way, and ``RadixSort`` is stable)."""

from __future__ import annotations

import numpy as np

from ..render.pool_order import morton_grid
from ..shaders.layout import MORTON_BITS


def _spread3(v: np.ndarray) -> np.ndarray:
    """Bit k of each value moved to bit 3k."""
    out = np.zeros_like(v)
    for k in range(MORTON_BITS):
        out |= ((v >> k) & 1) << (3 * k)
    return out


def morton_keys(means: np.ndarray, lo, hi) -> np.ndarray:
    """uint32 keys of (N, 3) means on the grid ``morton_grid(lo, hi)``."""
    corner, scale = morton_grid(lo, hi)
    m = np.asarray(means, np.float32)
    with np.errstate(invalid="ignore"):
        c = np.floor((m - np.float32(corner)) * np.float32(scale))
    c = np.where(np.isnan(c), 0, np.clip(c, 0, (1 << MORTON_BITS) - 1)).astype(np.uint32)
    return _spread3(c[:, 0]) | (_spread3(c[:, 1]) << 1) | (_spread3(c[:, 2]) << 2)


def spatial_order(means: np.ndarray, lo, hi) -> np.ndarray:
    """The permutation that puts splats in Morton order (ties keep their order)."""
    return np.argsort(morton_keys(means, lo, hi), kind="stable")
