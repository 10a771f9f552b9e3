"""Edits (SDF shapes, three blend modes) on the GPU against the float64 twin.

Per-splat tolerances are the projection pass's (tests/render/test_passes.py): colours
1e-4 absolute, opacities 1e-4 relative, visible sets equal but for 0.1% of splats at a
float32 cull threshold. A splat within float32 rounding of a shape's surface may fall
on the other side with a hard (softness 0) edge: at most 0.1% of splats.
"""

from __future__ import annotations

import numpy as np
import pytest

from splatrender.errors import SplatError
from splatrender.formats import ply
from splatrender.reference.edits import edit_weights, shape_distance
from splatrender.reference.project import project
from splatrender.reference.render import render_objects
from splatrender.render.camera import Camera
from splatrender.render.renderer import Renderer
from splatrender.scene import open_scene
from splatrender.scene.edits import Edit, Shape, pack_edits
from splatrender.scene.objects import ObjectScene, SceneObject
from splatrender.scene.transform import Transform, quat_from_euler_deg
from splatrender.shaders.layout import EDIT_KINDS, EDIT_MODES, MAX_EDITS
from tests.render.readback import read_frame
from tests.render.scenes import random_splats
from tests.render.test_whole_frames import assert_matches

DOWN = (0.0, -1.0, 0.0)
BG = (0.05, 0.1, 0.2)


def placed(kind: str, at, size, angles=(0, 0, 0)) -> Shape:
    return Shape(kind, size, Transform(at, quat_from_euler_deg(*angles)))


def all_kinds() -> list[Shape]:
    return [
        placed("sphere", (-0.5, 0, 0), 0.35),
        placed("box", (0.4, 0.3, 0), (0.3, 0.2, 0.4), (10, 30, 0)),
        placed("ellipsoid", (0, -0.5, 0.2), (0.5, 0.2, 0.3), (0, 0, 40)),
        placed("cylinder", (0.5, -0.4, -0.3), (0.3, 0.5, 1), (50, 0, 0)),
        placed("capsule", (-0.4, 0.5, -0.2), (0.25, 0.4, 1), (0, 0, 70)),
        placed("plane", (0, 0.75, 0), 1, (15, 0, 180)),  # holds the slab y > ~0.75
    ]


# -- pure ----------------------------------------------------------------------------------
def test_shapes_distances_and_errors():
    s = placed("box", (1, 2, 3), (0.5, 1, 2), (20, 40, 60))
    m = np.array(s.to_shape()).reshape(4, 4)
    place = np.array(s.transform.matrix()).reshape(4, 4)
    np.testing.assert_allclose(m @ place, np.eye(4), atol=1e-12)
    pts = np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0 + 10]])
    d = shape_distance(s, pts)
    assert d[0] == pytest.approx(-0.5) and d[1] > 7
    for bad, match in [
        (lambda: Shape("cone"), "kind must be one of"),
        (lambda: Shape("sphere", 0), "size must be positive"),
        (lambda: Shape("sphere", 1, Transform(scale=2)), "placed rigidly"),
        (lambda: Edit((), "multiply"), "at least one shape"),
        (lambda: Edit(Shape(), "screen"), "mode must be one of"),
        (lambda: Edit(Shape(), softness=-1), "softness must be >= 0"),
        (lambda: Edit(Shape(), color=(1, 1, 1)), "color"),
        (lambda: Edit.from_dict({"shapes": [{"kind": "box", "radius": 1}]}), "unknown shape key"),
        (lambda: pack_edits([Edit(Shape())] * (MAX_EDITS + 1)), "at most"),
    ]:
        with pytest.raises(SplatError, match=match):
            bad()
    e = Edit.from_dict(
        {"shapes": [{"kind": "capsule", "size": [0.1, 0.5, 1], "rotation_deg": [90, 0, 0]}],
         "mode": "add_rgba", "color": [0.1, 0.2, 0.3, 0.4], "softness": 0.02, "invert": True}
    )  # fmt: skip
    assert e.shapes[0].kind == "capsule" and e.invert and e.softness == 0.02


# -- on the GPU ----------------------------------------------------------------------------
def one_object(device, run, splats, edits) -> ObjectScene:
    # file order: the twin is compared splat by splat (ids), which pool order would
    # permute (tests/render/test_pool_order.py covers that order)
    src = run(open_scene(ply.to_bytes(splats), device, name="cloud", spatial_order=False))
    return ObjectScene([SceneObject(src, up=DOWN)], edits=edits)


def cloud(seed: int, sh_degree: int = 1):
    rng = np.random.default_rng(seed)
    s = random_splats(rng, 4000, sh_degree, log_scale=(-4.5, -2.5))
    s.opacities[::3] = 3.0
    return s


@pytest.mark.gpu
@pytest.mark.parametrize("mode", EDIT_MODES)
@pytest.mark.parametrize("render_mode", ["classic", "antialiased"])
def test_edits_change_exactly_the_splats_the_twin_says(device, run, mode, render_mode):
    s = cloud(30 + EDIT_MODES.index(mode))
    shapes = all_kinds()
    edits = [
        Edit(tuple(shapes[:3]), mode, (0.9, 0.2, 0.1, 0.3), softness=0.08),
        Edit(tuple(shapes[3:]), mode, (0.1, 0.8, 0.3, 0.6), invert=mode == "multiply"),
    ]
    scene = one_object(device, run, s, edits)
    try:
        cam = Camera.look_at((0.3, -0.6, -2.6), (0, 0, 0), DOWN, width=96, height=72)
        r = Renderer(device, mode=render_mode, debug_f32=True)
        r.set_pool(scene.pool)
        run(r.render(cam))
        g = run(read_frame(r))
    finally:
        run(scene.close())
    ref = project(s, cam, render_mode, r.tile_size, edits=edits)
    plain = project(s, cam, render_mode, r.tile_size)
    means = s.means.astype(np.float64)
    for e in edits:  # every shape holds splats that no other shape of its edit holds
        inside = np.array([shape_distance(sh, means) <= 0 for sh in e.shapes])
        alone = inside & (inside.sum(axis=0) == 1)
        assert (alone.mean(axis=1) > 0.01).all(), alone.mean(axis=1)
    w = edit_weights(edits, means)
    touched = (w > 0).any(axis=0)
    assert 0.1 < touched.mean() < 0.9  # the shapes hold a fair share of the cloud
    ref_ids, gpu_ids = set(np.flatnonzero(ref.visible)), set(g.ids.tolist())
    assert len(ref_ids ^ gpu_ids) <= max(1, len(ref_ids) // 1000)
    both = np.array(sorted(ref_ids & gpu_ids))
    rows = np.array([{int(i): k for k, i in enumerate(g.ids)}[i] for i in both])
    color, opacity = g.projected[rows, 5:8], g.projected[rows, 8]
    near_edge = np.zeros(len(both), bool)  # hard edges: splats within rounding of a surface
    for e in edits:
        if e.softness == 0:
            d = np.min([shape_distance(sh, s.means[both].astype(np.float64)) for sh in e.shapes], 0)
            near_edge |= np.abs(d) < 1e-5
    assert near_edge.mean() <= 0.001
    ok = ~near_edge
    np.testing.assert_allclose(color[ok], ref.color[both][ok], atol=1e-4)
    np.testing.assert_allclose(opacity[ok], ref.opacity[both][ok], rtol=1e-4, atol=1e-6)
    # Exactly the splats inside some shape changed; the others are as without edits.
    changed = (np.abs(color - plain.color[both]).max(axis=1) > 1e-4) | (
        np.abs(opacity - plain.opacity[both]) > 1e-5
    )
    assert not (changed & ~touched[both]).any()
    assert changed[touched[both]].mean() > 0.9


@pytest.mark.gpu
def test_hiding_a_sphere_removes_the_splats_it_holds(device, run):
    """multiply with alpha 0 inside a sphere: the frame is the reference of the cloud
    without those splats (an independent construction, not the edits twin)."""
    s = cloud(40, sh_degree=2)
    ball = placed("sphere", (0.1, 0.0, -0.2), 0.7)
    scene = one_object(device, run, s, [Edit(ball, "multiply", (1, 1, 1, 0))])
    try:
        cam = Camera.look_at((0, -0.5, -2.6), (0, 0, 0), DOWN, width=128, height=96)
        r = Renderer(device, debug_f32=True)
        r.set_pool(scene.pool)
        run(r.render(cam, BG))
        img = np.frombuffer(run(r.read_rgba_f32()), np.float32).reshape(96, 128, 4)[..., :3]
        outside = np.linalg.norm(s.means - (0.1, 0.0, -0.2), axis=1) > 0.7
        assert 0.1 < (~outside).mean() < 0.5
        ref = render_objects([(s.subset(outside), None, 1.0)], cam, "classic", BG, r.tile_size)
        assert_matches(img.astype(np.float64), ref)
        scene.set_edits([])  # and back: every splat drawn again
        run(r.render(cam, BG))
        img = np.frombuffer(run(r.read_rgba_f32()), np.float32).reshape(96, 128, 4)[..., :3]
        assert_matches(
            img.astype(np.float64),
            render_objects([(s, None, 1.0)], cam, "classic", BG, r.tile_size),
        )
    finally:
        run(scene.close())


def test_every_kind_is_tested():
    assert sorted(s.kind for s in all_kinds()) == sorted(EDIT_KINDS)
