"""Every real scene beside the project opens the way users open it (``open_scene``: the
GPU decoders), frames sensibly, and draws the same image as the numpy reader's pool.

Same-image tolerance: the decoders match the numpy twin within float32 rounding
(tests/formats/runtime), so frames differ only where rounding flips a depth tie or a
1/255 alpha cut: PSNR >= 45 dB and at most 0.1% of pixels off by more than 8/255.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from splatrender.formats import load
from splatrender.reference.metrics import fraction_off, psnr
from splatrender.reference.pool import to_scene_data
from splatrender.render.camera import Camera
from splatrender.render.renderer import Renderer
from splatrender.scene import SceneSource, open_scene

pytestmark = pytest.mark.gpu

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
W, H = 64, 48


@pytest.fixture(scope="module")
def renderer(device):
    return Renderer(device)


def frame(renderer, run, cam) -> tuple[np.ndarray, object]:
    stats = run(renderer.render(cam, (0.0, 0.0, 0.0)))
    img = np.frombuffer(run(renderer.read_rgba8()), np.uint8).reshape(H, W, 4)[..., :3]
    return img, stats


@pytest.mark.parametrize("name", SCENES)
def test_real_scene_renders_a_framed_image(renderer, run, device, scenes_dir, name):
    path = scenes_dir / name
    if not path.exists():
        pytest.fail(f"{path} missing from the shared scenes")
    scene = run(open_scene(path, device))
    try:
        assert isinstance(scene, SceneSource) and not scene.streamed
        renderer.set_pool(scene.pool)
        cam = Camera.framing(*scene.bounds, scene.axes, width=W, height=H)
        img, stats = frame(renderer, run, cam)
        lit = img.max(axis=2) > 10
        print(f"{name}: {stats.visible:,}/{scene.count:,} visible, {lit.mean():.0%} lit")
        assert stats.visible > 0.5 * scene.count  # framed: most of the scene is in view
        assert lit.mean() > 0.05  # something is drawn...
        assert len(np.unique(img.reshape(-1, 3), axis=0)) > 50  # ...with detail
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            twin = to_scene_data(load(path))
        assert twin.count == scene.count and twin.axes == scene.axes
        renderer.set_scene(twin)
        ref, _ = frame(renderer, run, cam)
        p, off = psnr(img / 255, ref / 255), fraction_off(img / 255, ref / 255)
        print(f"vs numpy pool: PSNR {p:.1f} dB, {100 * off:.3f}% off")
        assert p >= 45 and off <= 0.001
    finally:
        run(scene.close())
