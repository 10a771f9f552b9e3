"""Every real scene beside the project loads and renders a sensible axes."""

from __future__ import annotations

import numpy as np
import pytest

from splatrender.formats import load
from splatrender.reference.pool import to_scene_data
from splatrender.render.camera import Camera
from splatrender.render.renderer import Renderer

SCENES = [
    "guitar.compressed.ply",
    "biker.spz",
    "justdealman__model.spz",
    "kacytran1122_try__point_cloud_iter7000.ply",
    "VictorTrumpel__model.splat",
    "PostArchiveFaction_compressed_mobile.ksplat",
    "playbot/3_0",
    "Taebak_Streaming/0_4",
]


@pytest.fixture(scope="module")
def renderer(device):
    return Renderer(device)


@pytest.mark.parametrize("name", SCENES)
def test_real_scene_renders_a_framed_image(renderer, run, scenes_dir, name):
    path = scenes_dir / name
    if not path.exists():
        pytest.fail(f"{path} missing from the shared scenes")
    scene = to_scene_data(load(path))
    renderer.set_scene(scene)
    cam = Camera.framing(scene.bounds_min, scene.bounds_max, scene.axes, width=64, height=48)
    stats = run(renderer.render(cam, (0.0, 0.0, 0.0)))
    img = np.frombuffer(run(renderer.read_rgba8()), np.uint8).reshape(48, 64, 4)[..., :3]
    lit = img.max(axis=2) > 10
    print(f"{name}: {stats.visible:,}/{scene.count:,} visible, {lit.mean():.0%} of pixels lit")
    assert stats.visible > 0.5 * scene.count  # framed: most of the scene is in view
    assert lit.mean() > 0.05  # something is drawn...
    assert len(np.unique(img.reshape(-1, 3), axis=0)) > 50  # ...with detail, not a flat fill
