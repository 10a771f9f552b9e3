"""``open_scene``: every way a user names a scene ends in one ``SceneSource``."""

from __future__ import annotations

import numpy as np
import pytest

from splatrender.errors import FormatError
from splatrender.formats import ply
from splatrender.render.camera import Camera
from splatrender.scene import SceneSource, open_scene, settle
from tests.formats.runtime.test_synthetic import random_splats

pytestmark = pytest.mark.gpu


def test_lod_set_and_plain_scene_share_the_protocol(device, run, scenes_dir):
    async def go():
        lod = await open_scene(scenes_dir / "playbot", device, budget=20_000)
        plain = await open_scene(scenes_dir / "playbot" / "3_0" / "meta.json", device)
        try:
            for s in (lod, plain):
                assert isinstance(s, SceneSource)
                cam = Camera.framing(*s.bounds, s.axes, width=64, height=48)
                info = await settle(s, cam, timeout=60)
                assert not info.streaming and 0 < info.drawn_splats <= s.count
            assert lod.streamed and lod.format == "sog-lod" and lod.name == "playbot"
            assert not plain.streamed and plain.format == "sog" and plain.count == 31_000
            lod.set_budget(10**9)  # capped at the pool's size
            assert lod.budget == 20_000
            lod.set_budget(5_000)
            assert lod.budget == 5_000
        finally:
            await lod.close()
            await plain.close()

    run(go())


def test_plain_budget_draws_whole_pages(device, run):
    data = ply.to_bytes(random_splats(1000, 0, 3))
    scene = run(open_scene(data, device, name="b.ply", page_size=256))
    try:
        scene.set_budget(300)
        assert run(scene.update(None)).drawn_splats == 512
        scene.set_budget(0)
        assert run(scene.update(None)).drawn_splats == 1000
    finally:
        run(scene.close())


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tmp: tmp / "missing.ply", "no such file"),
        (lambda tmp: tmp, "needs a meta.json"),
        (lambda tmp: _write(tmp / "junk.ply", b"not a scene at all"), "unrecognised"),
        (lambda tmp: _write(tmp / "empty.ply", ply.to_bytes(random_splats(0, 0))), "no splats"),
    ],
    ids=["missing", "folder", "junk", "empty"],
)
def test_bad_sources_raise_format_errors_naming_them(device, run, tmp_path, make, message):
    path = make(tmp_path)
    with pytest.raises(FormatError, match=message) as e:
        run(open_scene(path, device))
    assert path.name in str(e.value)


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


def test_ply_the_decoders_do_not_read_is_converted_natively(device, run, tmp_path):
    """ASCII bodies and point clouds (no scales): the numpy reader converts them to the
    binary PLY the GPU decoders read, and says so; the splats are the reader's."""
    s = random_splats(50, 0, 5)
    ascii_ply = ["ply", "format ascii 1.0", "element vertex 50"]
    ascii_ply += [f"property float {p}" for p in ply.property_names(0)] + ["end_header"]
    rows = np.concatenate(
        [s.means, np.zeros((50, 3)), s.sh[:, 0], s.opacities[:, None], s.scales, s.quats], axis=1
    )
    ascii_ply += [" ".join(f"{v:.9g}" for v in r) for r in rows]
    path = _write(tmp_path / "ascii.ply", ("\n".join(ascii_ply) + "\n").encode())
    cloud = "ply\nformat ascii 1.0\nelement vertex 40\nproperty float x\nproperty float y\n"
    cloud += "property float z\nproperty uchar red\nproperty uchar green\nproperty uchar blue\n"
    cloud += "end_header\n" + "".join(f"{i} {i % 7} {i % 3} 200 10 10\n" for i in range(40))
    points = _write(tmp_path / "points.ply", cloud.encode())
    for p, n in ((path, 50), (points, 40)):
        scene = run(open_scene(p, device))
        try:
            assert scene.count == n
            assert scene.quirks[0].startswith("converted by the numpy reader")
        finally:
            run(scene.close())
