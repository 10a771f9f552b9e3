"""Framing bounds, one way for every format: the GPU sample gather and its twins."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from splatrender.formats import ply
from splatrender.formats.runtime import load_to_pool
from splatrender.reference.pool import gather_samples, robust_bounds, to_scene_data
from splatrender.render.pool import SplatPool
from splatrender.scene import bounds as B
from splatrender.shaders.layout import GEOM_FLOATS
from tests.formats.runtime.test_synthetic import random_splats


def test_sample_plan_walks_pages_in_order():
    plan = B.sample_plan([3, 0, 2], samples=10)
    assert plan == [(0, 0), (0, 1), (0, 2), (2, 0), (2, 1)]
    plan = B.sample_plan([5000, 3000], samples=8)
    assert len(plan) == 8 and plan[0] == (0, 0) and plan[-1][0] == 1


def test_robust_bounds_equal_the_numpy_twin_when_every_splat_is_sampled():
    """Pure-Python trimming of the samples = reference.pool.robust_bounds on all splats."""
    for seed, n in ((1, 3000), (2, 60), (3, 400)):
        s = random_splats(n, 0, seed)
        s.means[:5] *= 50  # floaters the percentiles trim
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sd = to_scene_data(s)
        rows = np.frombuffer(sd.geometry, np.float32).reshape(-1, GEOM_FLOATS)
        samples = [tuple(map(float, r)) for r in gather_samples(rows, np.arange(n))]
        lo, hi = B.robust_bounds(samples, n)
        ref_lo, ref_hi = robust_bounds(s)
        np.testing.assert_allclose(lo, ref_lo, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(hi, ref_hi, rtol=1e-5, atol=1e-5)


def test_robust_bounds_ignore_invisible_and_empty():
    assert B.robust_bounds([], 0) == B.UNIT_BOUNDS
    broken = [(1e9, 0.0, 0.0, B.LOGIT_MIN)] * 50 + [(1.0, 2.0, 3.0, 5.0)] * 50
    assert B.robust_bounds(broken, 100) == ((1.0, 2.0, 3.0), (1.0, 2.0, 3.0))


@pytest.mark.gpu
def test_gpu_gather_matches_twin_across_pages(device, run):
    """Fresh random pool records over several pages: the WGSL gather = numpy indexing."""
    seed = int(np.random.SeedSequence().entropy % 2**32)
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    counts = [int(c) for c in rng.integers(1, 3000, 4)]
    pool = SplatPool(device, 3000, len(counts), 0)
    pages = []
    for p, c in enumerate(counts):
        g = rng.normal(0, 3, (c, GEOM_FLOATS)).astype(np.float32)
        pool.write_page(p, g.tobytes(), b"", c)
        pages.append(g)
    try:
        plan = B.sample_plan(counts, samples=1000)
        got = np.array(run(B.gather_samples(pool, plan)), np.float32)
        want = np.concatenate([gather_samples(pages[p], np.array([i])) for p, i in plan])
        np.testing.assert_array_equal(got, want)
    finally:
        pool.destroy()


@pytest.mark.gpu
def test_runtime_load_bounds_come_from_the_pool(device, run):
    """A decoded scene's bounds are the pool gather's: equal to the twin's all-splat
    bounds for a scene no larger than the sample."""
    s = random_splats(2000, 1, 7)
    scene = run(load_to_pool(device, ply.to_bytes(s), name="b.ply", page_size=512))
    try:
        assert scene.pool.num_pages == 4
        ref_lo, ref_hi = robust_bounds(s)
        np.testing.assert_allclose(scene.bounds[0], ref_lo, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(scene.bounds[1], ref_hi, rtol=1e-5, atol=1e-5)
    finally:
        scene.destroy()
