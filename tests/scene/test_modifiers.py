"""Modifiers (an object's WGSL hook) on the GPU against the float64 twins of the two
example modifiers. Tolerances are the projection pass's (tests/render/test_passes.py):
positions 1e-5 relative + 1e-3 px, colours 1e-4, opacities 1e-4 relative, visible sets
equal but for 0.1% of splats at a float32 threshold; whole frames as in
tests/render/test_whole_frames.py (PSNR >= 45 dB, <= 0.1% of pixels off by > 8/255).
"""

from __future__ import annotations

import numpy as np
import pytest

from splatrender.errors import SplatError
from splatrender.formats import ply
from splatrender.reference.project import Projected, project
from splatrender.reference.raster import rasterize
from splatrender.render.camera import Camera
from splatrender.render.renderer import Renderer
from splatrender.scene import open_scene
from splatrender.scene.edits import Edit, Shape
from splatrender.scene.modifiers import Modifier
from splatrender.scene.objects import ObjectScene, SceneObject
from splatrender.scene.transform import Transform, quat_from_euler_deg
from tests.render.readback import read_frame
from tests.render.scenes import random_splats
from tests.render.test_whole_frames import assert_matches

DOWN = (0.0, -1.0, 0.0)
BG = (0.05, 0.1, 0.2)
CAM = Camera.look_at((0.3, -0.7, -2.8), (0, 0, 0), DOWN, width=96, height=72)
REVEAL = (1.0, 0.15, 0.4, 0.0)  # 1 unit/s, edge 0.15, rising 0.4


def cloud(seed: int):
    rng = np.random.default_rng(seed)
    s = random_splats(rng, 4000, 1, log_scale=(-4.5, -2.5))
    s.opacities[::3] = 3.0
    return s


def gpu_projection(device, run, s, modifier, time, transform=None):
    transform = transform or Transform()
    # file order: the twin is compared splat by splat (ids), which pool order would
    # permute (tests/render/test_pool_order.py covers that order)
    src = run(open_scene(ply.to_bytes(s), device, name="cloud", spatial_order=False))
    scene = ObjectScene([SceneObject(src, transform, up=DOWN)])
    try:
        scene.set_modifier(0, modifier)
        r = Renderer(device, debug_f32=True)
        r.time = time
        r.set_pool(scene.pool)
        run(r.render(CAM, BG))
        g = run(read_frame(r))
        img = np.frombuffer(run(r.read_rgba_f32()), np.float32).reshape(72, 96, 4)[..., :3]
        return g, img.astype(np.float64), r.tile_size, scene.model(scene.objects[0])
    finally:
        run(scene.close())


def compare(g, ref: Projected):
    ref_ids, gpu_ids = set(np.flatnonzero(ref.visible)), set(g.ids.tolist())
    assert len(ref_ids ^ gpu_ids) <= max(1, len(ref_ids) // 1000)
    both = np.array(sorted(ref_ids & gpu_ids))
    rows = np.array([{int(i): k for k, i in enumerate(g.ids)}[i] for i in both])
    p = g.projected[rows]
    np.testing.assert_allclose(p[:, 0:2], ref.xy[both], rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(p[:, 5:8], ref.color[both], atol=1e-4)
    np.testing.assert_allclose(p[:, 8], ref.opacity[both], rtol=1e-4, atol=1e-6)
    return gpu_ids, both, p


@pytest.mark.gpu
def test_reveal_shows_exactly_the_splats_inside_its_sphere(device, run):
    s, t = cloud(50), 0.6
    g, img, tile, _ = gpu_projection(device, run, s, Modifier.builtin("reveal", REVEAL), t)
    ref = project(s, CAM, "classic", tile, modifier=("reveal", REVEAL), time=t)
    gpu_ids, both, p = compare(g, ref)
    dist = np.linalg.norm(s.means, axis=1)
    assert not (dist[list(gpu_ids)] > 0.6 + 0.075 + 1e-4).any()  # none outside the sphere
    plain = project(s, CAM, "classic", tile)
    inside = dist[both] < 0.6 - 0.075 - 1e-4  # fully revealed: as without a modifier
    assert inside.sum() > 100
    np.testing.assert_allclose(p[inside, 0:2], plain.xy[both][inside], rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(p[inside, 8], plain.opacity[both][inside], rtol=1e-4)
    assert_matches(img, rasterize(ref, 96, 72, BG, tile))


@pytest.mark.gpu
def test_grade_and_edits_on_a_placed_object_match_the_twin(device, run):
    s, params = cloud(51), (0.3, 1.4, 0.9, 0.2)
    turn = Transform((0.2, 0, 0.1), quat_from_euler_deg(0, 35, 10), 0.9)
    g, img, tile, model = gpu_projection(
        device, run, s, Modifier.builtin("grade", params), 0.0, turn
    )
    m = np.array(model).reshape(4, 4)
    ref = project(s, CAM, "classic", tile, m, modifier=("grade", params))
    compare(g, ref)
    assert_matches(img, rasterize(ref, 96, 72, BG, tile))
    # The grade changed every visible splat's colour: it is not the identity.
    plain = project(s, CAM, "classic", tile, m)
    vis = ref.visible
    assert (np.abs(ref.color[vis] - plain.color[vis]).max(axis=1) > 1e-3).mean() > 0.95


@pytest.mark.gpu
def test_modifier_and_edit_together(device, run):
    """The modifier's colour first, then the scene's edits (the documented order)."""
    s = cloud(52)
    # file order: the twin is compared splat by splat (ids), which pool order would
    # permute (tests/render/test_pool_order.py covers that order)
    src = run(open_scene(ply.to_bytes(s), device, name="cloud", spatial_order=False))
    edit = Edit(Shape("sphere", 0.6), "set_rgb", (1.0, 0.0, 0.0, 1.0), softness=0.1)
    scene = ObjectScene([SceneObject(src, up=DOWN)], edits=[edit])
    params = (0.0, 1.0, 1.0, 0.0)  # grey
    try:
        scene.set_modifier(0, Modifier.builtin("grade", params))
        r = Renderer(device, debug_f32=True)
        r.set_pool(scene.pool)
        run(r.render(CAM, BG))
        g = run(read_frame(r))
    finally:
        run(scene.close())
    compare(g, project(s, CAM, "classic", r.tile_size, edits=[edit], modifier=("grade", params)))


@pytest.mark.gpu
def test_bad_modifiers_are_refused_by_name(device):
    with pytest.raises(SplatError, match="must define `fn modify_color"):
        Modifier("fn modify_position(p: vec3<f32>, m: ModifierInput) -> vec3<f32> { return p; }")
    broken = Modifier.builtin("grade").source.replace("m.params.x", "m.params.q")
    with pytest.raises(SplatError, match="modifier 'mine' does not compile"):
        Modifier(broken, name="mine").check(device)
    with pytest.raises(SplatError, match="no built-in modifier"):
        Modifier.builtin("wobble")
    with pytest.raises(SplatError, match="params must be 4"):
        Modifier.builtin("grade", (1, 2))
