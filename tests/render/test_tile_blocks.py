"""The counting tile sort (render/tile_blocks.py) against its numpy twin on fresh random
input, against the radix tile sort on the same frames, and its redraw when llvmpipe's
loop limit cuts a walk.

Tolerances: none. The pairs, their tile ranges and the block table are integers placed
from the GPU's own projection (the twin is fed the GPU's rects, mask bits and depth
order), and both sorts draw the same pairs in the same order, so images are equal byte
for byte.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from splatrender.reference.pool import to_scene_data
from splatrender.reference.sort import block_counting_sort
from splatrender.render.renderer import Renderer
from splatrender.render.tuning import Tuning
from tests.render.readback import read_frame
from tests.render.scenes import fresh_rng, orbit_cameras, random_splats

pytestmark = pytest.mark.gpu


def counting(device, block_pairs: int) -> Tuning:
    return dataclasses.replace(Tuning.for_device(device), tile_block_pairs=block_pairs)


def scene(rng, n: int = 4000):
    s = random_splats(rng, n, 0, log_scale=(-4, -2))
    s.scales[:40] = rng.uniform(-1.6, -1.0, (40, 3))  # rects of tens of tiles: row spans
    return to_scene_data(s)


def test_mask_tile_division_is_exact():
    """bin_records.wgsl mask_tile: f32 (i + 0.5) / w gives i / w for every mask bit i and
    rect width w (at most 32 of either), as IEEE f32 arithmetic does it on the GPU."""
    i, w = np.meshgrid(np.arange(32), np.arange(1, 33))
    rcp = np.float32(1) / w.astype(np.float32)
    row = ((i.astype(np.float32) + np.float32(0.5)) * rcp).astype(np.uint32)
    np.testing.assert_array_equal(row, i // w)


@pytest.mark.parametrize(("block_pairs", "walk_pairs"), [(512, 512), (512, 96), (16384, 16384)])
def test_placement_matches_twin(device, run, block_pairs, walk_pairs):
    """Pairs, tile ranges (readback derives pair tiles from them) and the block table
    equal the twin's counting sort of the pairs in depth order; blocks and chunks end
    mid-splat, small and large rects alike. That the pairs are the right ones is
    test_passes.py's (against the binning twin)."""
    rng = fresh_rng(block_pairs + walk_pairs)
    r = Renderer(device, tuning=counting(device, block_pairs))
    r.binning.blocks.walk_pairs = walk_pairs
    r.set_scene(scene(rng))
    cam = orbit_cameras((0, 0, 0), 2.5, 2, 150, 90)[0]
    run(r.render(cam))
    g = run(read_frame(r))
    assert not run(r.read_stats()).walk_cut
    tiles_x, tiles_y = (-(-n // r.tile_size) for n in (cam.width, cam.height))
    assert (np.bincount(g.pair_records, minlength=g.visible) == g.touched).all()
    assert g.pairs > block_pairs  # two blocks at least
    # The pairs in the GPU's numbering: splats in depth order, each one's tiles row-major
    # (increasing tile ids). Only the set of the GPU's pairs goes in, not their order.
    depth_pos = np.empty(g.visible, np.int64)
    depth_pos[g.order] = np.arange(g.visible)
    seq = np.lexsort((g.pair_tiles, depth_pos[g.pair_records]))
    tiles, records = g.pair_tiles[seq], g.pair_records[seq]
    keys, vals, table = block_counting_sort(tiles, records, tiles_x * tiles_y, block_pairs)
    np.testing.assert_array_equal(g.pair_tiles, keys)
    np.testing.assert_array_equal(g.pair_records, vals)
    bounds = np.searchsorted(keys, np.arange(tiles_x * tiles_y + 1))
    want = np.stack([bounds[:-1], bounds[1:]], 1)
    want[want[:, 0] == want[:, 1]] = 0  # (0, 0) for a tile with none, as tile_ranges
    np.testing.assert_array_equal(g.ranges[: tiles_x * tiles_y], want)
    blocks = table.shape[0]
    got = np.frombuffer(
        run(device.read_buffer(r.binning.blocks.table, 0, table.nbytes)), np.uint32
    ).reshape(blocks, -1)
    np.testing.assert_array_equal(got, table)


def test_same_frames_as_the_radix_sort(device, run):
    """Both tile sorts draw the same image, in both blend modes; the counting sort
    allocates no pair keys."""
    rng = fresh_rng(7)
    data = scene(rng, 6000)
    cams = orbit_cameras((0, 0, 0), 2.5, 3, 200, 120)
    radix = dataclasses.replace(Tuning.for_device(device), tile_block_pairs=0)
    for mode in ("classic", "antialiased"):
        images = []
        for tuning in (radix, counting(device, 1024)):
            r = Renderer(device, mode=mode, tuning=tuning)
            r.set_scene(data)
            frames = []
            for cam in cams:
                run(r.render(cam))
                frames.append(run(r.read_rgba8()))
            images.append(frames)
            # only the radix sort's pairs carry tile keys
            assert (r.buffers.pair_keys is None) == bool(tuning.tile_block_pairs)
        assert images[0] == images[1]


def test_a_cut_walk_is_drawn_again_in_shorter_chunks(device, run):
    """Splats of hundreds of tiles in blocks of 65536 pairs: one walk's loops pass
    llvmpipe's limit, the frame says so, and render() draws it again in shorter chunks
    until it comes out as the radix sort draws it."""
    if "llvmpipe" not in device.info.name:
        pytest.skip(f"the loop limit is llvmpipe's; this adapter is {device.info.name}")
    rng = fresh_rng(11)
    s = random_splats(rng, 2500, 0, log_scale=(-1.9, -1.5))
    data = to_scene_data(s)
    cam = orbit_cameras((0, 0, 0), 2.5, 2, 320, 240)[0]
    r = Renderer(device, tuning=counting(device, 65536))
    r.set_scene(data)
    run(r.prepare(cam))
    enc = device.encoder("frame")
    r.encode(enc, cam)
    device.submit(enc)
    stats = run(r.read_stats())
    assert stats.pairs > 65536 and stats.walk_cut
    run(r.render(cam))
    assert not run(r.read_stats()).walk_cut
    assert r.binning.blocks.walk_pairs < 65536
    ref = Renderer(device, tuning=dataclasses.replace(r.tuning, tile_block_pairs=0))
    ref.set_scene(data)
    run(ref.render(cam))
    assert run(r.read_rgba8()) == run(ref.read_rgba8())
