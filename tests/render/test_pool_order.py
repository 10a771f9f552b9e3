"""The spatial order of pool pages (render/pool_order.py) against its numpy twin, on
fresh random input, and frames drawn from a reordered pool against the file order.

Tolerances: none for the order and the records (integer keys from the same float32
arithmetic, a stable sort, a word-for-word gather). Frames: two splats whose float32
depths are exactly equal may swap places when the pool order changes (the depth sort
breaks ties by visible-list slot), so at most 0.2% of pixels may differ; with random
splats such ties are rare (seen: none).
"""

from __future__ import annotations

import numpy as np
import pytest

from splatrender.formats import ply
from splatrender.reference.pool import to_scene_data
from splatrender.reference.pool_order import morton_keys, spatial_order
from splatrender.render.pool import SplatPool
from splatrender.render.pool_order import sort_pool
from splatrender.render.renderer import Renderer
from splatrender.scene import open_scene
from splatrender.shaders.layout import GEOM_FLOATS, GEOMETRY, sh_rest_floats
from tests.render.scenes import fresh_rng, orbit_cameras, random_splats

pytestmark = pytest.mark.gpu


def read_pages(run, pool: SplatPool) -> list[tuple[np.ndarray, np.ndarray]]:
    """(geometry as u32 words, SH rest as u32 words) of each page's splats."""
    out = []
    f = sh_rest_floats(pool.sh_degree)
    for p in range(pool.num_pages):
        n = pool.counts[p]
        geom, sh = pool.page_buffers(p)
        g = np.frombuffer(run(pool.device.read_buffer(geom, 0, n * pool.geom_stride)), np.uint32)
        s = np.zeros((n, 0), np.uint32)
        if f:
            raw = run(pool.device.read_buffer(sh, 0, n * pool.sh_stride))
            s = np.frombuffer(raw, np.uint32).reshape(n, f)
        out.append((g.reshape(n, GEOM_FLOATS), s))
    return out


@pytest.mark.parametrize("flat", [False, True])
@pytest.mark.parametrize("sh_degree", [0, 3])
def test_pages_are_put_in_the_twins_order(device, run, sh_degree, flat):
    rng = fresh_rng(sh_degree + 10 * flat)
    s = random_splats(rng, 2500, sh_degree)
    s.means[:40] = rng.uniform(-30, 30, (40, 3))  # outliers clamp to the edge cells
    lo = tuple(np.percentile(s.means, 2, axis=0))
    hi = tuple(np.percentile(s.means, 98, axis=0))
    if flat:  # a flat axis: its cells are all 0, the others still order
        hi = (*hi[:2], lo[2])
    pool = SplatPool.for_scene(device, to_scene_data(s), 1000)  # 1000, 1000 and 500
    before = read_pages(run, pool)
    run(sort_pool(device, pool, lo, hi))
    after = read_pages(run, pool)
    mean = GEOMETRY.cols("mean")
    for (g0, s0), (g1, s1) in zip(before, after, strict=True):
        perm = spatial_order(g0[:, mean].view(np.float32), lo, hi)
        assert not np.array_equal(perm, np.arange(len(perm)))
        np.testing.assert_array_equal(g1, g0[perm])
        np.testing.assert_array_equal(s1, s0[perm])
        keys = morton_keys(g1[:, mean].view(np.float32), lo, hi)
        assert np.all(np.diff(keys.astype(np.int64)) >= 0)


def test_frames_are_the_same_in_spatial_order(device, run):
    rng = fresh_rng(99)
    s = random_splats(rng, 3000, 1, log_scale=(-4, -1.5))
    lo, hi = tuple(s.means.min(0)), tuple(s.means.max(0))
    r = Renderer(device)
    images = []
    for ordered in (False, True):
        pool = SplatPool.for_scene(device, to_scene_data(s))
        if ordered:
            run(sort_pool(device, pool, lo, hi))
        r.set_pool(pool)
        frame = []
        for cam in orbit_cameras((0, 0, 0), 2.5, 2, 160, 120):
            run(r.render(cam))
            frame.append(np.frombuffer(run(r.read_rgba8()), np.uint8).reshape(120, 160, 4))
        images.append(np.stack(frame))
        pool.destroy()
    assert images[0].any()
    differ = np.any(images[0] != images[1], axis=-1)
    print(f"{differ.sum()} of {differ.size} pixels differ")
    assert differ.mean() <= 0.002


def test_open_scene_orders_pages_unless_asked_not_to(device, run):
    rng = fresh_rng(7)
    s = random_splats(rng, 1500, 0)
    data = ply.to_bytes(s)
    mean = GEOMETRY.cols("mean")
    kept = run(open_scene(data, device, name="cloud", spatial_order=False))
    ordered = run(open_scene(data, device, name="cloud"))
    try:
        (g_kept, _), (g_ord, _) = read_pages(run, kept.pool)[0], read_pages(run, ordered.pool)[0]
        np.testing.assert_array_equal(g_kept[:, mean].view(np.float32), s.means.astype(np.float32))
        perm = spatial_order(g_kept[:, mean].view(np.float32), *ordered.bounds)
        np.testing.assert_array_equal(g_ord, g_kept[perm])
    finally:
        run(kept.close())
        run(ordered.close())
