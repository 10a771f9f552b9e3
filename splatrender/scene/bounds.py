"""A plain scene's framing bounds, one way for every format (pure Python).

After a decode, ``pool_framing`` gathers a strided sample of the pool's splats on the GPU
(``shaders/sample_geometry.wgsl``: means and opacity logits, 16 bytes a splat) and
``robust_bounds`` trims it: the splats under ``FRAMING_MIN_ALPHA`` are left out
(captures carry faint floaters far from the subject) unless too few remain, then the
``BOUNDS_PERCENTILE`` tails. ``reference/pool.py`` computes the same over every splat.
"""

from __future__ import annotations

import math
import struct
import weakref
from collections.abc import Sequence

from ..gpu import COPY_DST, COPY_SRC, STORAGE, UNIFORM, Binding
from ..render.pool import SplatPool
from ..shaders import load_shader
from ..shaders.layout import LOGIT_MIN, SAMPLE_PARAMS, WORKGROUP
from .upright import Upright, guess_up

BOUNDS_SAMPLES = 4096
BOUNDS_PERCENTILE = 1.0
FRAMING_MIN_ALPHA = 0.25
Vec3 = tuple[float, float, float]
UNIT_BOUNDS: tuple[Vec3, Vec3] = ((-1.0, -1.0, -1.0), (1.0, 1.0, 1.0))
_PIPELINES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # device -> gather


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


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def solid_points(samples: Sequence[tuple[float, float, float, float]], count: int):
    """The samples that frame a scene, and how many splats they stand for: broken splats
    (stored invisible at ``LOGIT_MIN``) and non-finite means left out, and the faint ones
    (under ``FRAMING_MIN_ALPHA``) too unless too few would remain."""
    pts = [s for s in samples if s[3] > LOGIT_MIN and all(math.isfinite(v) for v in s[:3])]
    n = len(pts)
    solid = [p for p in pts if _sigmoid(p[3]) >= FRAMING_MIN_ALPHA]
    if len(solid) >= max(10, n // 20):
        return solid, count * len(solid) // max(1, n)
    return pts, count


def robust_bounds(samples: Sequence[tuple[float, float, float, float]], count: int):
    """(min, max) corners from (x, y, z, opacity logit) samples of ``count`` splats
    (``solid_points``, then the percentile tails); equal to
    ``reference.pool.robust_bounds`` when every splat is sampled.
    """
    pts, count = solid_points(samples, count)
    if not pts:
        return UNIT_BOUNDS
    q = BOUNDS_PERCENTILE if count >= 100 else 0.0
    lo, hi = [], []
    for a in range(3):
        vals = sorted(p[a] for p in pts)
        lo.append(_percentile(vals, q))
        hi.append(_percentile(vals, 100.0 - q))
    return (lo[0], lo[1], lo[2]), (hi[0], hi[1], hi[2])


def sample_plan(counts: Sequence[int], samples: int = BOUNDS_SAMPLES) -> list[tuple[int, int]]:
    """(page, page-local index) of the strided sample over pages holding ``counts``."""
    out, page, first = [], 0, 0
    for g in sample_indices(sum(counts), samples):
        while g >= first + counts[page]:
            first += counts[page]
            page += 1
        out.append((page, g - first))
    return out


async def gather_samples(pool: SplatPool, plan: list[tuple[int, int]]) -> list[tuple]:
    """(x, y, z, opacity logit) of the pool splats ``plan`` names, gathered on the GPU."""
    d = pool.device
    n = len(plan)
    if not n:
        return []
    pipe = _PIPELINES.get(d)
    if pipe is None:
        pipe = d.compute_pipeline(load_shader("sample_geometry"), label="sample-geometry")
        _PIPELINES[d] = pipe
    idx = d.create_buffer(4 * n, [STORAGE, COPY_DST], "sample-indices")
    out = d.create_buffer(16 * n, [STORAGE, COPY_SRC], "samples")
    d.write_buffer(idx, struct.pack(f"<{n}I", *(i for _, i in plan)))
    uniforms = []
    try:
        enc = d.encoder("sample-geometry")
        with enc.compute_pass("sample-geometry") as cp:
            k = 0
            while k < n:
                page = plan[k][0]
                m = next((j for j in range(k, n) if plan[j][0] != page), n) - k
                u = d.create_buffer(SAMPLE_PARAMS.size, [UNIFORM, COPY_DST], "sample-params")
                uniforms.append(u)
                d.write_buffer(u, SAMPLE_PARAMS.pack(first=k, count=m))
                geometry = pool.page_buffers(page)[0]
                group = d.bind_group(
                    pipe,
                    0,
                    {"params": u, "geometry": Binding(geometry), "indices": idx, "samples": out},
                )
                cp.dispatch(pipe, [group], -(-m // WORKGROUP))
                k += m
        d.submit(enc)
        raw = await d.read_buffer(out, 0, 16 * n)
    finally:
        for b in (idx, out, *uniforms):
            d.destroy_buffer(b)
    return list(struct.iter_unpack("<4f", raw))


async def pool_framing(pool: SplatPool, axes: str, fmt: str) -> tuple[Vec3, Vec3, Upright]:
    """Robust framing bounds of the splats a filled pool holds (its pages in order), and
    the up to show them with (``upright.guess_up`` on the same sample)."""
    counts = [pool.counts[p] for p in range(pool.num_pages)]
    samples = await gather_samples(pool, sample_plan(counts))
    lo, hi = robust_bounds(samples, sum(counts))
    return lo, hi, sample_upright(samples, axes, fmt)


def sample_upright(samples: Sequence[tuple[float, ...]], axes: str, fmt: str) -> Upright:
    """``upright.guess_up`` on the solid ones of (x, y, z, opacity logit) samples."""
    return guess_up(solid_points(samples, 0)[0], axes, fmt)
