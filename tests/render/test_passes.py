"""Each GPU pass against its float64 numpy twin, on fresh random input.

Tolerances: the GPU computes in float32. Projection outputs are compared with a
relative tolerance of 1e-4 (a few float32 ulps amplified through the 2x2 inverse
and the perspective divide); colours with 1e-4 absolute (SH sums of ~16 terms).
Splats within float32 rounding of a cull threshold may differ in visibility, so the
visible sets may differ by at most 0.1% of splats. Likewise a blended alpha or
transmittance within float32 rounding of its cut (1/255, 1e-4) may fall on the other
side on the GPU: a pixel off by more than 2e-5 must then match the twin with the cuts
moved by 1e-5 relative (far above float32 rounding, far below any real disagreement),
and such pixels are at most 0.2% of the image (seen: 1 in 5000).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from splatrender.reference.pool import sanitize, to_scene_data
from splatrender.reference.project import project
from splatrender.reference.raster import bin_tiles, depth_order, rasterize
from splatrender.render.renderer import Renderer
from splatrender.render.tuning import Tuning
from tests.render.readback import read_frame
from tests.render.scenes import fresh_rng, orbit_cameras, random_splats

pytestmark = pytest.mark.gpu


def assert_blend_matches(img, proj, cam, bg, tile, atol=2e-5, cut_eps=1e-5):
    """``img`` equals the raster twin's blend of ``proj`` but where a cut flipped."""
    ref = rasterize(proj, cam.width, cam.height, bg, tile)
    off = np.abs(img - ref).max(axis=2) > atol
    if off.any():
        moved = [
            rasterize(proj, cam.width, cam.height, bg, tile, 1 + d) for d in (-cut_eps, cut_eps)
        ]
        at_cut = np.any([np.abs(img - m).max(axis=2) <= atol for m in moved], axis=0)
        print(f"{off.sum()} pixels off, {(off & at_cut).sum()} of them at a cut")
        np.testing.assert_array_equal(off & ~at_cut, False, "pixels off not at a cut")
        assert off.mean() <= 0.002
    np.testing.assert_allclose(img[~off], ref[~off], atol=atol)


@pytest.fixture(scope="module")
def renderers(device):
    return {m: Renderer(device, mode=m, debug_f32=True) for m in ("classic", "antialiased")}


@pytest.mark.parametrize("sh_degree", [0, 1, 2, 3])
@pytest.mark.parametrize("mode", ["classic", "antialiased"])
def test_projection_matches_twin(renderers, run, sh_degree, mode):
    rng = fresh_rng(10 * sh_degree + (mode == "antialiased"))
    s = random_splats(rng, 3000, sh_degree, log_scale=(-5, -1.5))
    if sh_degree % 2:  # half the cases with the extra dilation merged LOD splats carry
        s.dilation = rng.uniform(0, 3, len(s)).astype(np.float32)
    cam = orbit_cameras((0, 0, 0), 2.5, 3, 96, 72)[int(rng.integers(3))]
    r = renderers[mode]
    r.set_scene(to_scene_data(s))
    run(r.render(cam))
    g = run(read_frame(r))
    ref = project(sanitize(s)[0], cam, mode, r.tile_size)

    ref_ids = set(np.flatnonzero(ref.visible).tolist())
    gpu_ids = set(g.ids.tolist())
    assert len(g.ids) == len(gpu_ids), "a splat was written twice"
    assert len(ref_ids ^ gpu_ids) <= max(1, len(ref_ids) // 1000)
    both = np.array(sorted(ref_ids & gpu_ids))
    pos = {int(i): k for k, i in enumerate(g.ids)}
    rows = np.array([pos[i] for i in both])
    p = g.as_projected(len(ref.visible))
    np.testing.assert_allclose(p.xy[both], ref.xy[both], rtol=1e-5, atol=1e-3)
    conic_scale = np.abs(ref.conic[both]).max(axis=1, keepdims=True)
    np.testing.assert_allclose(
        p.conic[both] / conic_scale, ref.conic[both] / conic_scale, atol=1e-4
    )
    np.testing.assert_allclose(p.color[both], ref.color[both], atol=1e-4)
    np.testing.assert_allclose(p.opacity[both], ref.opacity[both], rtol=1e-4, atol=1e-6)
    same_rect = (g.rects[rows] == ref.rect[both]).all(axis=1)
    assert same_rect.mean() >= 0.999


@pytest.mark.parametrize("tile_sort", ["radix", "counting"])
def test_depth_order_and_binning_match_twin(device, run, tile_sort):
    """Sort is exact: the GPU's depth order and tile pairs equal the twins' on its data,
    with either tile sort (bin.wgsl's radix sort, GPUs; tile_blocks.wgsl's counting
    sort, CPU adapters). Small rects' pairs come from the projection's tile mask, large
    ones' (over MASK_TILES tiles) from the ellipse test again: both kinds are here."""
    rng = fresh_rng(100)
    s = random_splats(rng, 5000, 0, log_scale=(-4, -2))
    s.scales[:40] = rng.uniform(-1.6, -1.0, (40, 3))  # rects of tens of tiles
    cam = orbit_cameras((0, 0, 0), 2.5, 2, 130, 70)[0]
    block_pairs = 0 if tile_sort == "radix" else 1024
    tuning = dataclasses.replace(Tuning.for_device(device), tile_block_pairs=block_pairs)
    r = Renderer(device, tuning=tuning)
    r.set_scene(to_scene_data(s))
    run(r.render(cam))
    g = run(read_frame(r))
    area = (g.rects[:, 2] - g.rects[:, 0]) * (g.rects[:, 3] - g.rects[:, 1])
    assert (area > 32).sum() >= 10 and (area <= 32).sum() >= 1000  # tile_touch MASK_TILES
    # The order is a permutation of the visible records, front to back, with those that
    # touch no tile last. The GPU's float32 z may differ from float32(float64 z) by an
    # ulp, so near-ties may swap; exactness of the sort itself is tested in test_sort.py.
    assert sorted(g.order.tolist()) == list(range(g.visible))
    touching = g.touched[g.order] > 0
    first_untouched = int(np.argmin(touching)) if not touching.all() else len(touching)
    assert touching[:first_untouched].all() and not touching[first_untouched:].any()
    print(f"{(~touching).sum()} of {g.visible} visible splats touch no tile")
    z = project(sanitize(s)[0], cam, tile=r.tile_size).depth[g.ids][g.order[touching]]
    assert np.all(np.diff(z) >= -4e-7 * z[1:])
    proj = g.as_projected(len(s))
    tiles_x = -(-cam.width // r.tile_size)
    order = depth_order(proj)
    tile, splat = bin_tiles(proj, order, tiles_x, r.tile_size)
    rect_pairs = int(
        ((proj.rect[:, 2] - proj.rect[:, 0]) * (proj.rect[:, 3] - proj.rect[:, 1])).sum()
    )
    print(f"{len(tile)} pairs, {rect_pairs} without the ellipse test")
    assert len(tile) < 0.97 * rect_pairs  # the test does cull (tilted ellipses' corners)
    if g.pairs != len(tile):
        # float32 against float64 at the test's edge: only pairs within a hair of it
        # may differ (the slack makes the GPU keep, not drop, such pairs)
        lo = set(zip(*bin_tiles(proj, order, tiles_x, r.tile_size, slack=1 - 1e-4), strict=True))
        hi = set(zip(*bin_tiles(proj, order, tiles_x, r.tile_size, slack=1 + 3e-4), strict=True))
        got = set(zip(g.pair_tiles.tolist(), g.ids[g.pair_records].tolist(), strict=True))
        assert lo <= got <= hi
        keep = [
            p in got
            for p in zip(*bin_tiles(proj, order, tiles_x, r.tile_size, slack=1 + 3e-4), strict=True)
        ]
        tile, splat = (
            a[np.array(keep)] for a in bin_tiles(proj, order, tiles_x, r.tile_size, slack=1 + 3e-4)
        )
    assert g.pairs == len(tile)
    np.testing.assert_array_equal(g.pair_tiles, tile)
    np.testing.assert_array_equal(g.ids[g.pair_records], splat)


@pytest.mark.parametrize("run_length", [1, 3, 16])
def test_tile_ranges_bound_each_tiles_pairs(device, run, run_length):
    """tile_ranges (the radix tile sort's), whatever the run of pairs each thread walks:
    every tile's [start, end) is where its pairs lie in the sorted list, (0, 0) for a
    tile with none; runs that begin or end mid-tile, and the list's last pair, included."""
    rng = fresh_rng(300 + run_length)
    s = random_splats(rng, 3000, 0, log_scale=(-4, -1.5))
    cam = orbit_cameras((0, 0, 0), 2.5, 2, 131, 67)[1]
    tuning = dataclasses.replace(
        Tuning.for_device(device), range_run=run_length, tile_block_pairs=0
    )
    r = Renderer(device, tuning=tuning)
    r.set_scene(to_scene_data(s))
    run(r.render(cam))
    g = run(read_frame(r))
    tiles_x, tiles_y = (-(-n // r.tile_size) for n in (cam.width, cam.height))
    assert g.pairs > 50 * run_length
    bounds = np.searchsorted(g.pair_tiles, np.arange(tiles_x * tiles_y + 1))
    want = np.stack([bounds[:-1], bounds[1:]], 1)
    want[want[:, 0] == want[:, 1]] = 0
    assert (want[:, 1] == 0).sum() > 0  # some tiles have no pairs
    np.testing.assert_array_equal(g.ranges[: tiles_x * tiles_y], want)


@pytest.mark.parametrize("mode", ["classic", "antialiased"])
def test_raster_matches_twin_on_gpu_projection(renderers, run, mode):
    """The rasterizer alone: same projected input (the GPU's), float64 twin."""
    rng = fresh_rng(200 + (mode == "antialiased"))
    s = random_splats(rng, 4000, 2, log_scale=(-4, -1.5))
    s.opacities[:1000] = 6.0  # opaque splats: early stop must trigger
    cam = orbit_cameras((0, 0, 0), 2.2, 4, 83, 61)[1]
    r = renderers[mode]
    r.set_scene(to_scene_data(s))
    run(r.render(cam, (0.3, 0.2, 0.1)))
    g = run(read_frame(r))
    assert_blend_matches(
        g.image[..., :3], g.as_projected(len(s)), cam, (0.3, 0.2, 0.1), r.tile_size
    )


# The raster kernels, as Tuning fields: batches shared in workgroup memory (``main``),
# read by each thread (``main_direct``) and read once per subgroup, CHUNK splats at a
# time, then broadcast (``main_subgroup``; kernel_fields holds CHUNK to the subgroup size).
RASTER_KERNELS = {
    "shared": {"raster_direct": False, "raster_subgroup_chunk": 0},
    "direct": {"raster_direct": True, "raster_subgroup_chunk": 0},
    "subgroup4": {"raster_subgroup_chunk": 4},
    "subgroup8": {"raster_subgroup_chunk": 8},
}


def kernel_fields(device, kernel: str) -> dict:
    """RASTER_KERNELS[kernel], its chunk at most this llvmpipe's subgroup size."""
    fields = dict(RASTER_KERNELS[kernel])
    if fields.get("raster_subgroup_chunk"):
        fields["raster_subgroup_chunk"] = min(fields["raster_subgroup_chunk"], lanes(device))
    return fields


def lanes(device) -> int:
    """The subgroup size: llvmpipe's SIMD width (8 on these AVX2 machines)."""
    from splatrender.render.tuning import llvmpipe_lanes

    return llvmpipe_lanes(device.info.name) or 8


@pytest.mark.parametrize("kernel", list(RASTER_KERNELS))
@pytest.mark.parametrize("mode", ["classic", "antialiased"])
def test_rasterizer_alone_on_twin_inputs(device, run, mode, kernel):
    """The raster pass run by itself: FrameBuffers filled with the float64 twin's
    projection, tile ranges and depth-ordered pairs, no other GPU pass involved. Every
    kernel (``RASTER_KERNELS``)."""

    from splatrender.render.frame_buffers import FrameBuffers
    from splatrender.render.frame_uniforms import pack_frame
    from splatrender.render.raster import Rasterizer
    from splatrender.render.tuning import Tuning
    from splatrender.shaders.layout import PROJECTED

    rng = fresh_rng(300 + (mode == "antialiased"))
    s = random_splats(rng, 3000, 1, log_scale=(-4, -1.5))
    s.opacities[:500] = 6.0
    cam = orbit_cameras((0, 0, 0), 2.2, 4, 75, 58)[2]
    tuning = dataclasses.replace(Tuning.for_device(device), **kernel_fields(device, kernel))
    tile, bg = tuning.tile_size, (0.2, 0.3, 0.1)
    proj = project(sanitize(s)[0], cam, mode, tile)
    # The GPU reads float32 records: the reference blends the same rounded values.
    for name in ("xy", "conic", "color", "opacity"):
        setattr(proj, name, getattr(proj, name).astype(np.float32).astype(np.float64))
    tx, ty = -(-cam.width // tile), -(-cam.height // tile)
    pair_tile, ids = bin_tiles(proj, depth_order(proj), tx, tile)
    vis = np.flatnonzero(proj.visible)
    record = np.full(len(s), -1)
    record[vis] = np.arange(len(vis))
    rows = np.zeros((len(vis), PROJECTED.size), np.float32)
    rows[:, PROJECTED.cols("xy")] = proj.xy[vis]
    rows[:, PROJECTED.cols("conic")] = proj.conic[vis]
    rows[:, PROJECTED.cols("color")] = proj.color[vis]
    rows[:, PROJECTED.cols("opacity")] = proj.opacity[vis, None]
    bounds = np.searchsorted(pair_tile, np.arange(tx * ty + 1))
    ranges = np.stack([bounds[:-1], bounds[1:]], 1).astype(np.uint32)

    fb = FrameBuffers(device)
    fb.ensure_visible(len(vis))
    fb.ensure_pairs(len(ids))
    fb.ensure_image(cam.width, cam.height, tile, True)
    frame = pack_frame(cam, bg, fb.visible_capacity, fb.pair_capacity, True, tile)
    device.write_buffer(fb.frame_uniform, frame)
    device.write_buffer(fb.projected, rows.tobytes())
    device.write_buffer(fb.pair_vals, record[ids].astype(np.uint32).tobytes())
    device.write_buffer(fb.ranges, ranges.tobytes())
    enc = device.encoder()
    Rasterizer(device, tuning).encode(enc, fb, fb.pair_vals)
    device.submit(enc)
    raw = run(device.read_buffer(fb.output_f32, 0, cam.width * cam.height * 16))
    img = np.frombuffer(raw, np.float32).reshape(cam.height, cam.width, 4)[..., :3]
    assert_blend_matches(img, proj, cam, bg, tile)


@pytest.mark.parametrize("kernel", ["subgroup8", "subgroup4", "direct", "gpu"])
def test_evaluation_counts_match_twin(device, run, kernel):
    """The raster shader's counting pipeline, for the kernels of both layouts (8 px
    tiles with 8-row threads; the GPUs' 16 px tiles with 4-row threads of ``main``): the
    evaluations each pixel made until it stopped, its blends and the rows the threads ran
    equal the float64 twin's on the GPU's projection (but for blends at a cut), the image
    it draws is the frame's, and the cost figures are ordered as they must be."""
    from splatrender.reference.raster import evaluations
    from splatrender.render.tuning import CPU_ADAPTER, GPU

    cpu = CPU_ADAPTER
    tuning = GPU if kernel == "gpu" else dataclasses.replace(cpu, **kernel_fields(device, kernel))

    rng = fresh_rng(400)
    s = random_splats(rng, 3000, 0, log_scale=(-4, -1.5))
    s.opacities[:800] = 6.0  # opaque splats: pixels stop early
    cam = orbit_cameras((0, 0, 0), 2.2, 4, 90, 67)[0]
    r = Renderer(device, debug_f32=True, tuning=tuning)
    r.set_scene(to_scene_data(s))
    run(r.render(cam))
    g = run(read_frame(r))
    frame_img = run(r.read_rgba8())
    enc = device.encoder()
    r.rasterizer.encode_stats(enc, r.buffers)
    device.submit(enc)
    st = run(r.rasterizer.read_stats(r.buffers))
    assert run(r.read_rgba8()) == frame_img
    rows, chunk = r.tuning.raster_rows, tuning.raster_subgroup_chunk
    two_phase = (chunk, lanes(device)) if chunk else None
    proj = g.as_projected(len(s))
    ref = evaluations(proj, cam.width, cam.height, r.tile_size, rows, two_phase)
    print(st, ref)
    assert st.listed == g.pairs * r.tile_size**2
    assert st.until_stop == pytest.approx(ref["until_stop"], rel=2e-3)
    assert st.blended == pytest.approx(ref["blended"], rel=2e-3)
    assert st.threads == pytest.approx(ref["threads"], rel=2e-3)
    assert st.lockstep == pytest.approx(ref["lockstep"], rel=2e-3)
    assert 0 < st.blended <= st.until_stop <= st.threads <= st.lockstep <= st.listed
    assert st.until_stop < 0.9 * st.listed  # early stop did happen
    per_px = st.per_pixel()
    assert per_px["listed"] == pytest.approx(st.listed / (cam.width * cam.height))
