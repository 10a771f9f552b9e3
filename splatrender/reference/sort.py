"""numpy twins of the GPU sorts and scan (render/sort.py, render/tile_blocks.py,
render/scan.py), for tests."""

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


def block_counting_sort(
    keys: np.ndarray, values: np.ndarray, key_count: int, block: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stable ascending sort of ``keys`` < ``key_count`` by counting in blocks of
    ``block`` items (what TileBlocks computes): sorted keys, sorted values, and the
    (blocks, key_count) table the placement leaves, block g's end slot for each key:
    the slots of all items of blocks <= g with a smaller key or the same one."""
    keys = np.asarray(keys, dtype=np.int64)
    values = np.asarray(values, dtype=np.uint32)
    if keys.shape != values.shape or keys.ndim != 1:
        raise ValueError(f"keys {keys.shape} and values {values.shape} must be equal 1-D")
    if keys.size and (keys.min() < 0 or keys.max() >= key_count):
        raise ValueError(f"keys must lie in [0, {key_count})")
    blocks = -(-keys.size // block)
    counts = np.zeros((blocks, key_count), np.int64)
    np.add.at(counts, (np.arange(keys.size) // block, keys), 1)
    key_start = np.cumsum(counts.sum(axis=0)) - counts.sum(axis=0)
    table = key_start + np.cumsum(counts, axis=0)
    order = np.argsort(keys, kind="stable")
    return keys[order].astype(np.uint32), values[order], table.astype(np.uint32)
