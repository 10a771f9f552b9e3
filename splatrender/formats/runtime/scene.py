"""The result of a runtime load, and the robust bounds it carries (pure Python)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ...render.pool import SplatPool

BOUNDS_SAMPLES = 4096
BOUNDS_PERCENTILE = 1.0  # as reference/pool.py
FRAMING_MIN_ALPHA = 0.25  # as reference/pool.py
Vec3 = tuple[float, float, float]


@dataclass
class GpuScene:
    """A scene decoded into a GPU splat pool (every page filled and active)."""

    pool: SplatPool
    count: int
    sh_degree: int
    axes: str
    bounds_min: Vec3
    bounds_max: Vec3
    name: str
    format: str = ""
    quirks: list[str] = field(default_factory=list)
    invisible: int = 0  # broken splats stored invisible (decode_common.wgsl)

    def destroy(self) -> None:
        self.pool.destroy()


def sample_indices(count: int, samples: int = BOUNDS_SAMPLES) -> range | list[int]:
    """At most ``samples`` evenly strided splat indices."""
    if count <= samples:
        return range(count)
    return [k * count // samples for k in range(samples)]


def _percentile(sorted_vals: list[float], q: float) -> float:
    """numpy's default (linear) percentile of sorted values."""
    pos = q / 100.0 * (len(sorted_vals) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_vals) - 1)
    t = pos - lo
    return sorted_vals[lo] + (sorted_vals[hi] - sorted_vals[lo]) * t


def robust_bounds(
    points: Iterable[Vec3], count: int, alphas: Iterable[float] | None = None
) -> tuple[Vec3, Vec3]:
    """Framing bounds as ``reference.pool.robust_bounds``, from a sample of splats.

    Splats under ``FRAMING_MIN_ALPHA`` are left out (unless too few remain), then the
    1st-99th percentiles of the finite means (min/max under 100 splats). Equals
    ``reference.pool``'s bounds when every splat is sampled; otherwise an estimate.
    """
    pts = list(points)
    if alphas is not None:
        alist = list(alphas)
        solid = [p for p, a in zip(pts, alist, strict=True) if a >= FRAMING_MIN_ALPHA]
        if len(solid) >= max(10, len(pts) // 20):
            count = count * len(solid) // max(1, len(pts))
            pts = solid
    axes: list[list[float]] = [[], [], []]
    for p in pts:
        if all(math.isfinite(v) for v in p):
            for a in range(3):
                axes[a].append(float(p[a]))
    if not axes[0]:
        return (-1.0, -1.0, -1.0), (1.0, 1.0, 1.0)
    q = BOUNDS_PERCENTILE if count >= 100 else 0.0
    lo, hi = [], []
    for vals in axes:
        vals.sort()
        lo.append(_percentile(vals, q))
        hi.append(_percentile(vals, 100.0 - q))
    return (lo[0], lo[1], lo[2]), (hi[0], hi[1], hi[2])


def sampled_bounds(
    count: int, position: Callable[[int], Vec3], alpha: Callable[[int], float] | None = None
) -> tuple[Vec3, Vec3]:
    """Robust bounds from ``position(i)`` (and opacity ``alpha(i)``) of a strided sample."""
    idx = list(sample_indices(count))
    alphas = None if alpha is None else [alpha(i) for i in idx]
    return robust_bounds([position(i) for i in idx], count, alphas)


def sigmoid(x: float) -> float:
    if x != x:  # NaN
        return 0.0
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)
