"""numpy twins of the GPU sort and scan (render/sort.py, render/scan.py), for tests."""

from __future__ import annotations

import numpy as np


def radix_sort(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Stable ascending sort of u32 ``keys`` carrying ``values`` (what RadixSort computes)."""
    keys = np.asarray(keys, dtype=np.uint32)
    values = np.asarray(values, dtype=np.uint32)
    if keys.shape != values.shape or keys.ndim != 1:
        raise ValueError(f"keys {keys.shape} and values {values.shape} must be equal 1-D")
    order = np.argsort(keys, kind="stable")
    return keys[order], values[order]


def exclusive_scan(x: np.ndarray) -> np.ndarray:
    """Exclusive prefix sum of u32 with u32 wrap-around (what ExclusiveScan computes)."""
    x = np.asarray(x, dtype=np.uint32)
    out = np.zeros_like(x)
    if x.size > 1:
        np.cumsum(x[:-1], dtype=np.uint32, out=out[1:])
    return out
