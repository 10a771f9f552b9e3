"""A scene of objects: placements, one shared sort, against the float64 reference.

Tolerance as for every whole frame (tests/render/test_whole_frames.py): PSNR >= 45 dB
and at most 0.1% of pixels off by more than 8/255; float32 vs float64 only flips
discontinuous rules (a 1/255 alpha cut, a depth tie), each by about one faint edge.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from splatrender.errors import SplatError
from splatrender.formats import ply
from splatrender.reference.metrics import psnr
from splatrender.reference.render import render_objects
from splatrender.render.camera import Camera
from splatrender.render.mat4 import linear_inverse, transform_point
from splatrender.render.renderer import Renderer
from splatrender.scene import open_scene
from splatrender.scene.objects import ObjectScene, SceneObject, object_camera, turn_onto
from splatrender.scene.transform import Transform, quat_from_euler_deg
from tests.render.scenes import random_splats
from tests.render.test_whole_frames import assert_matches

BG = (0.05, 0.1, 0.2)
DOWN = (0.0, -1.0, 0.0)  # RDF's up: the random clouds are not guessed


def as_np(m) -> np.ndarray:
    return np.array(m, np.float64).reshape(4, 4)


# -- pure placement maths ---------------------------------------------------------------
def test_transform_matrix_is_translate_rotate_scale():
    q = quat_from_euler_deg(30, -50, 110)
    t = Transform((1, 2, 3), q, (2, 0.5, 3))
    m = as_np(t.matrix())
    rng = np.random.default_rng(0)
    p = rng.normal(size=3)
    # About x first, then y, then z (world axes).
    a = [math.radians(d) for d in (30, -50, 110)]
    rx = np.array(
        [[1, 0, 0], [0, math.cos(a[0]), -math.sin(a[0])], [0, math.sin(a[0]), math.cos(a[0])]]
    )
    ry = np.array(
        [[math.cos(a[1]), 0, math.sin(a[1])], [0, 1, 0], [-math.sin(a[1]), 0, math.cos(a[1])]]
    )
    rz = np.array(
        [[math.cos(a[2]), -math.sin(a[2]), 0], [math.sin(a[2]), math.cos(a[2]), 0], [0, 0, 1]]
    )
    want = rz @ ry @ rx @ (np.array([2, 0.5, 3]) * p) + [1, 2, 3]
    np.testing.assert_allclose(m[:3, :3] @ p + m[:3, 3], want, atol=1e-12)
    np.testing.assert_allclose(as_np(linear_inverse(t.matrix()))[:3, :3], np.linalg.inv(m[:3, :3]))
    assert Transform.from_dict({"rotation_deg": [30, -50, 110]}).rotation == pytest.approx(q)
    assert Transform(scale=2).scale == (2.0, 2.0, 2.0)
    moved = t.updated({"translation": [0, 0, 1]})
    assert moved.translation == (0.0, 0.0, 1.0) and moved.rotation == t.rotation
    turned = t.updated({"rotation_deg": [0, 90, 0]})
    assert turned.scale == t.scale and turned.rotation == pytest.approx(
        quat_from_euler_deg(0, 90, 0)
    )


@pytest.mark.parametrize(
    "bad, match",
    [
        ({"scale": 0}, "scale must not be zero"),
        ({"rotation": [0, 0, 0, 0]}, "must not be zero"),
        ({"translation": [1, 2]}, "translation must be 3"),
        ({"translation": [1, 2, float("nan")]}, "finite"),
        ({"rotate": [1, 0, 0, 0]}, "unknown transform key"),
        ({"rotation": [1, 0, 0, 0], "rotation_deg": [0, 0, 0]}, "not both"),
    ],
)
def test_bad_transforms_are_refused_by_name(bad, match):
    with pytest.raises(SplatError, match=match):
        Transform.from_dict(bad)


def test_turn_onto_is_a_rotation_taking_u_to_w():
    rng = np.random.default_rng(1)
    pairs = [((0, 1, 0), (0, -1, 0)), ((1, 0, 0), (-1, 0, 0)), ((0, 0, 1), (0, 0, 1))]
    pairs += [tuple(v / np.linalg.norm(v) for v in rng.normal(size=(2, 3))) for _ in range(5)]
    for u, w in pairs:
        r = as_np(turn_onto(u, w))[:3, :3]
        np.testing.assert_allclose(r @ np.asarray(u), w, atol=1e-12)
        np.testing.assert_allclose(r @ r.T, np.eye(3), atol=1e-12)
        assert np.linalg.det(r) == pytest.approx(1.0)
    # y-up onto y-down is the RDF <-> RUB conversion.
    np.testing.assert_allclose(as_np(turn_onto((0, 1, 0), DOWN)), np.diag([1, -1, -1, 1]))


def test_object_camera_sees_object_points_where_the_world_camera_sees_them():
    cam = Camera.look_at((0.3, -1, -4), (0, 0, 0), DOWN, width=200, height=100)
    m = Transform((1, -2, 0.5), quat_from_euler_deg(20, 70, -10), 1.7).matrix()
    oc = object_camera(cam, m)

    def pixel(c: Camera, p):
        v = as_np(c.world_to_camera) @ np.array([*p, 1.0])
        return np.array([c.fx * v[0] / v[2] + c.cx, c.fy * v[1] / v[2] + c.cy])

    for p in np.random.default_rng(2).normal(size=(10, 3)):
        np.testing.assert_allclose(pixel(oc, p), pixel(cam, transform_point(m, p)), atol=1e-9)
    # Distances in the object are the world's divided by the scale (a LOD set's errors
    # are in object units, so its projected sizes come out the same).
    d_world = np.linalg.norm(np.subtract(cam.position, transform_point(m, (0, 0, 0))))
    assert np.linalg.norm(oc.position) == pytest.approx(d_world / 1.7)


# -- on the GPU ---------------------------------------------------------------------------
def open_cloud(device, run, splats, name):
    return run(open_scene(ply.to_bytes(splats), device, name=name))


def gpu_image(device, run, scene, cam, background=BG) -> np.ndarray:
    r = Renderer(device, debug_f32=True)
    run(scene.update(cam))
    r.set_pool(scene.pool)
    run(r.render(cam, background))
    w, h = cam.width, cam.height
    img = np.frombuffer(run(r.read_rgba_f32()), np.float32).reshape(h, w, 4)[..., :3]
    return img.astype(np.float64), r.tile_size


def reference(scene: ObjectScene, clouds, cam, tile, mode="classic"):
    objs = [
        (s, as_np(scene.model(o)), o.opacity)
        for s, o in zip(clouds, scene.objects, strict=True)
        if o.visible
    ]
    return render_objects(objs, cam, mode, BG, tile)


@pytest.fixture
def two_clouds():
    rng = np.random.default_rng(20)
    a = random_splats(rng, 3000, 3, extent=0.6, log_scale=(-4.5, -2.5))
    b = random_splats(rng, 2500, 2, extent=0.5, log_scale=(-4.5, -2.5))
    a.opacities[::4] = 4.0
    return a, b


@pytest.mark.gpu
@pytest.mark.parametrize("mode", ["classic", "antialiased"])
def test_held_apart_rotated_and_scaled_objects_match_the_reference(device, run, two_clouds, mode):
    a, b = two_clouds
    scene = ObjectScene(
        [
            SceneObject(
                open_cloud(device, run, a, "a"),
                Transform((-0.9, 0, 0), quat_from_euler_deg(0, 40, 25), 1.3),
                up=DOWN,
            ),
            SceneObject(
                open_cloud(device, run, b, "b"),
                Transform((1.0, 0.2, 0.3), quat_from_euler_deg(-60, 10, 0), (0.6, 1.4, 1.0)),
                up=DOWN,
                opacity=0.8,
            ),
        ]
    )
    try:
        cam = Camera.framing(*scene.bounds, scene.axes, width=160, height=96)
        r = Renderer(device, mode=mode, debug_f32=True)
        run(scene.update(cam))
        r.set_pool(scene.pool)
        run(r.render(cam, BG))
        img = np.frombuffer(run(r.read_rgba_f32()), np.float32).reshape(96, 160, 4)[..., :3]
        ref = reference(scene, (a, b), cam, r.tile_size, mode)
        assert_matches(img.astype(np.float64), ref)
        # Both objects are in the picture, apart: the left and right halves are lit.
        lit = np.abs(ref - BG).max(axis=2) > 0.05
        assert lit[:, :70].mean() > 0.02 and lit[:, 90:].mean() > 0.02
    finally:
        run(scene.close())


@pytest.mark.gpu
def test_interpenetrating_objects_sort_per_splat(device, run, two_clouds):
    a, b = two_clouds
    a.sh[:, 0] = [2.0, -1.5, -1.5]  # red
    b.sh[:, 0] = [-1.5, -1.5, 2.0]  # blue
    scene = ObjectScene(
        [
            SceneObject(open_cloud(device, run, a, "a"), up=DOWN),
            SceneObject(open_cloud(device, run, b, "b"), Transform((0.1, 0, 0)), up=DOWN),
        ]
    )
    try:
        cam = Camera.look_at((0, -0.4, -2.6), (0, 0, 0), DOWN, width=128, height=96)
        img, tile = gpu_image(device, run, scene, cam)
        ref = reference(scene, (a, b), cam, tile)
        assert_matches(img, ref)

        # Either object drawn whole over the other (a per-object sort) is another image.
        def alone(i, bg):
            o = scene.objects[i]
            return render_objects(
                [((a, b)[i], as_np(scene.model(o)), 1.0)], cam, "classic", bg, tile
            )

        for front, back in ((0, 1), (1, 0)):
            over = alone(front, (0, 0, 0))
            t_front = alone(front, (1, 1, 1)) - over  # the front object's transmittance
            painted = over + t_front * alone(back, BG)
            assert psnr(painted, ref) < 30, (front, psnr(painted, ref))
    finally:
        run(scene.close())


@pytest.mark.gpu
def test_view_dependent_colour_turns_with_the_object(device, run, two_clouds):
    """A turned object seen from a camera looks as the unturned one seen from the camera
    turned back (the SH rotate with it): GPU against GPU, no reference involved."""
    a, _ = two_clouds
    turned = Transform((0.2, -0.1, 0.3), quat_from_euler_deg(35, -120, 60))
    cam = Camera.look_at((0.4, -0.8, -2.4), (0.2, -0.1, 0.3), DOWN, width=120, height=90)
    scene = ObjectScene([SceneObject(open_cloud(device, run, a, "a"), turned, up=DOWN)])
    try:
        img, _ = gpu_image(device, run, scene, cam)
        back = object_camera(cam, scene.model(scene.objects[0]))
        scene.set_transform(0, Transform())
        same, _ = gpu_image(device, run, scene, back)
    finally:
        run(scene.close())
    assert psnr(img, same) >= 45, psnr(img, same)


@pytest.mark.gpu
def test_hidden_and_faded_objects(device, run, two_clouds):
    a, b = two_clouds
    scene = ObjectScene(
        [
            SceneObject(open_cloud(device, run, a, "a"), Transform((-0.5, 0, 0)), up=DOWN),
            SceneObject(open_cloud(device, run, b, "b"), Transform((0.5, 0, 0)), up=DOWN),
        ]
    )
    try:
        cam = Camera.framing(*scene.bounds, scene.axes, width=96, height=64)
        v0 = run(scene.update(cam)).version
        scene.set_visible("b", False)
        info = run(scene.update(cam))
        assert info.version != v0 and info.drawn_splats == len(a)
        img, tile = gpu_image(device, run, scene, cam)
        assert_matches(img, reference(scene, (a, b), cam, tile))
        scene.set_visible("b", True)
        scene.set_opacity(0, 0.35)
        img, tile = gpu_image(device, run, scene, cam)
        assert_matches(img, reference(scene, (a, b), cam, tile))
        with pytest.raises(SplatError, match=r"opacity must be a number in \[0, 1\]"):
            scene.set_opacity("a", 1.5)
        with pytest.raises(SplatError, match="no object named 'c'"):
            scene.set_visible("c", False)
        again = scene.objects[0].source
        with pytest.raises(SplatError, match="a source of its own"):
            ObjectScene([SceneObject(again), SceneObject(again, name="copy")])
    finally:
        run(scene.close())


@pytest.mark.gpu
def test_real_scenes_of_both_conventions_stand_side_by_side(device, run, scenes_dir):
    """A y-down compressed PLY and a y-up SPZ in one world: each turned upright, placed,
    and drawn as the numpy readers' splats placed the same way by the reference."""
    from splatrender.formats import load
    from splatrender.reference.pool import sanitize

    names = ["guitar.compressed.ply", "biker.spz"]
    sources = [run(open_scene(scenes_dir / n, device)) for n in names]
    g_lo, g_hi = sources[0].bounds
    width = g_hi[0] - g_lo[0]
    scene = ObjectScene(
        [
            SceneObject(sources[0], Transform((-width, 0, 0))),
            SceneObject(sources[1], Transform((width, 0, 0), scale=0.5)),
        ]
    )
    try:
        assert scene.axes == "RDF"  # the guitar's
        np.testing.assert_allclose(
            as_np(scene.model(scene.objects[1]))[:3, :3], np.diag([0.5, -0.5, -0.5])
        )
        cam = Camera.framing(*scene.bounds, scene.axes, width=160, height=120)
        img, tile = gpu_image(device, run, scene, cam, (0, 0, 0))
        clouds = [sanitize(load(scenes_dir / n))[0] for n in names]
        objs = [(s, as_np(scene.model(o)), 1.0) for s, o in zip(clouds, scene.objects, strict=True)]
        ref = render_objects(objs, cam, "classic", (0, 0, 0), tile)
        assert psnr(img, ref) >= 45, psnr(img, ref)
        lit = ref.max(axis=2) > 0.1
        assert lit[:, :70].mean() > 0.02 and lit[:, 90:].mean() > 0.02
    finally:
        run(scene.close())


# -- scene files ------------------------------------------------------------------------
def test_scene_file_entries_and_their_errors(tmp_path):
    from splatrender.errors import FormatError
    from splatrender.scene.scene_file import looks_like_scene_file, parse_scene_file

    doc = {
        "axes": "RUB",
        "objects": [
            {"source": "a.ply"},
            {"source": "https://example.org/x/b.spz", "translation": [1, 2, 3], "scale": 2,
             "opacity": 0.5, "visible": False, "up": "+z", "name": "b"},
            {"source": "../c/lod-meta.json", "rotation_deg": [0, 90, 0], "up": [0, 0, -2],
             "modifier": {"builtin": "grade", "params": [0.5, 1, 1, 0]}},
        ],
        "edits": [{"shapes": [{"kind": "box", "size": [1, 2, 3]}], "mode": "set_rgb",
                   "color": [1, 0, 0, 1]}],
    }  # fmt: skip
    data = json.dumps(doc).encode()
    assert looks_like_scene_file(data) and not looks_like_scene_file(b'{"version": 2}')
    spec = parse_scene_file(data, str(tmp_path / "s" / "scene.json"))
    assert spec.axes == "RUB" and len(spec.objects) == 3
    a, b, c = spec.objects
    assert a.source == str(tmp_path / "s" / "a.ply")
    assert b.source == "https://example.org/x/b.spz" and b.up == (0.0, 0.0, 1.0)
    assert b.transform.scale == (2.0, 2.0, 2.0) and b.opacity == 0.5 and not b.visible
    assert c.source == str(tmp_path / "s" / ".." / "c" / "lod-meta.json")
    assert c.up == (0.0, 0.0, -1.0) and c.modifier.name == "grade"
    assert spec.edits[0].shapes[0].size == (1.0, 2.0, 3.0) and spec.edits[0].mode == "set_rgb"
    web = parse_scene_file(data, "https://host/scenes/scene.json").objects[0]
    assert web.source == "https://host/scenes/a.ply"
    bad = [
        ({"objects": []}, "1..1024 objects"),
        ({"objects": [{"src": "a.ply"}]}, '"source" string'),
        ({"objects": [{"source": "a.ply", "colour": 1}]}, "unknown key"),
        ({"objects": [{"source": "a.ply", "scale": [1, 0, 1]}]}, r"object 0 \(a.ply\): scale"),
        ({"objects": [{"source": "a.ply", "opacity": 2}]}, "opacity must be"),
        ({"objects": [{"source": "a.ply", "visible": "yes"}]}, "visible must be"),
        ({"objects": [{"source": "a.ply"}], "axes": "LUF"}, "axes must be one of"),
        ({"objects": [{"source": "a.ply"}], "camera": {}}, "the scene: unknown key"),
        ({"objects": [{"source": "a.ply", "up": 3}]}, "up must be an axis"),
        ({"objects": [{"source": "a.ply", "modifier": {"builtin": "wobble"}}]}, "no built-in"),
        ({"objects": [{"source": "a.ply"}], "edits": [{"shapes": []}]}, "edit 0: an edit needs"),
    ]
    for d, match in bad:
        with pytest.raises(FormatError, match=match):
            parse_scene_file(json.dumps(d).encode(), "scene.json")


@pytest.mark.gpu
def test_a_scene_file_places_files_and_a_lod_set_together(device, run, scenes_dir, tmp_path):
    from splatrender.scene import settle

    doc = {
        "objects": [
            {"source": str(scenes_dir / "guitar.compressed.ply"), "name": "guitar"},
            {"source": str(scenes_dir / "biker.spz"), "translation": [1.6, 0, 0]},
            {"source": str(scenes_dir / "playbot"), "translation": [-2.4, 0, 0], "scale": 1.5,
             "rotation_deg": [0, 45, 0]},
        ]
    }  # fmt: skip
    path = tmp_path / "scene.json"
    path.write_text(json.dumps(doc))
    scene = run(open_scene(path, device, budget=40_000))
    try:
        assert isinstance(scene, ObjectScene) and scene.streamed
        assert [o.name for o in scene.objects] == ["guitar", "biker.spz", "playbot"]
        assert scene.count == sum(o.source.count for o in scene.objects) > 700_000
        cam = Camera.framing(*scene.bounds, scene.axes, width=160, height=90)
        info = run(settle(scene, cam))
        assert not info.streaming
        plain = scene.objects[0].source.count + scene.objects[1].source.count
        assert plain < info.drawn_splats <= plain + 40_000 * 1.1
        img, _ = gpu_image(device, run, scene, cam, (0, 0, 0))
        lit = img.max(axis=2) > 0.1
        thirds = [lit[:, i * 53 : (i + 1) * 53].mean() for i in range(3)]
        assert min(thirds) > 0.01, thirds  # robot, guitar, biker from left to right
        scene.set_budget(plain + 10_000)
        info = run(settle(scene, cam))
        assert info.drawn_splats <= plain + 10_000 * 1.1
    finally:
        run(scene.close())


@pytest.mark.gpu
def test_several_sources_open_as_one_scene(device, run, two_clouds, tmp_path):
    a, b = two_clouds
    paths = [tmp_path / "a.ply", tmp_path / "b.ply"]
    for p, s in zip(paths, (a, b), strict=True):
        p.write_bytes(ply.to_bytes(s))
    scene = run(open_scene([str(p) for p in paths], device))
    try:
        assert isinstance(scene, ObjectScene) and scene.count == len(a) + len(b)
        assert scene.name == "a.ply, b.ply"
    finally:
        run(scene.close())


@pytest.mark.gpu
def test_the_docs_example_runs(scenes_dir, monkeypatch):
    """docs/objects.md's Python example, as written, on the shared scenes."""
    import re
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "objects.md").read_text()
    code = re.search(r"```python\n(.*?)```", doc, re.S).group(1)
    code = code.replace("width=1280, height=720", "width=128, height=72")  # a small frame
    monkeypatch.chdir(scenes_dir)
    exec(compile(code, "docs/objects.md", "exec"), {"__name__": "docs"})
