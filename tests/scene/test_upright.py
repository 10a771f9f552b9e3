"""Which way is up: parsing ``--up``, the upright guess on synthetic and real scenes
(and on their upside-down copies), the LOD manifest's ``up``, and framing with an up."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest

from splatrender.cli.info import describe
from splatrender.errors import FormatError, SplatError
from splatrender.formats import load, ply
from splatrender.formats.runtime import load_to_pool
from splatrender.formats.splats import Splats
from splatrender.lod.build import build
from splatrender.lod.manifest import parse_manifest
from splatrender.lod.scene import LodScene
from splatrender.render.camera import Camera
from splatrender.scene import upright as U
from tests.lod.synth import random_splats

# The shared scenes without a declared frame, and the up each is shown with by default
# (README, Orientation: checked by eye in renders of every one).
GUESSED = {
    "guitar.compressed.ply": ("-y", "guess"),
    "VictorTrumpel__model.splat": ("-y", "guess"),
    "PostArchiveFaction_compressed_mobile.ksplat": ("-y", "guess"),
    "kacytran1122_try__point_cloud_iter7000.ply": ("+y", "flipped by guess"),
}
DECLARED = {"biker.spz": "+y", "justdealman__model.spz": "+y"}


def test_parse_up_takes_axes_and_vectors():
    assert U.parse_up("+y") == (0.0, 1.0, 0.0)
    assert U.parse_up(" -Z ") == (0.0, 0.0, -1.0)
    assert U.parse_up("x") == (1.0, 0.0, 0.0)
    assert U.parse_up("0,0,2") == (0.0, 0.0, 1.0)
    v = U.parse_up("1,1,0")
    assert math.isclose(v[0], math.sqrt(0.5)) and U.up_label(v) == "0.707,0.707,0.000"
    assert U.up_label((0.0, -1.0, 0.0)) == "-y"
    for bad in ("up", "0,0,0", "1,2", "nan,0,1", ""):
        with pytest.raises(SplatError, match="up must be one of"):
            U.parse_up(bad)


def test_flip_and_next_axis_are_the_users_choice():
    u = U.Upright((0.0, -1.0, 0.0), "guess", "why")
    assert u.flipped().label == "+y" and u.flipped().how == "user"
    assert [u.next_axis().label, u.next_axis().next_axis().label] == ["+z", "+x"]
    assert U.resolve_up(u, None) is u and U.resolve_up(u, "auto") is u
    assert U.resolve_up(u, "-z").describe() == "-z (user)"
    assert U.resolve_up(u, (0.0, 0.0, 3.0)).label == "+z"


def standing(n: int, seed: int) -> np.ndarray:
    """Points of a scene standing on a floor, in RDF (up is -y): a dense floor at
    height 0 and an object whose splats thin out upwards."""
    rng = np.random.default_rng(seed)
    floor = np.column_stack(
        [rng.uniform(-5, 5, n // 2), rng.normal(0, 0.05, n // 2), rng.uniform(-5, 5, n // 2)]
    )
    h = rng.exponential(1.0, n - n // 2)
    obj = np.column_stack([rng.normal(0, 1, len(h)), -h, rng.normal(0, 1, len(h))])
    return np.concatenate([floor, obj])


def upside_down(means: np.ndarray) -> np.ndarray:
    """Turned 180 degrees about x: what a y-up scene copied unchanged into RDF looks like."""
    return means * np.array([1.0, -1.0, -1.0])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_guess_keeps_a_standing_scene_and_flips_its_upside_down_copy(seed):
    pts = standing(4000, seed)
    kept = U.guess_up(pts.tolist(), "RDF", "ply")
    assert kept.label == "-y" and kept.how == "guess"
    flipped = U.guess_up(upside_down(pts).tolist(), "RDF", "ply")
    assert flipped.label == "+y" and flipped.how == "flipped by guess"
    # A declared frame is never guessed; too few splats are not either.
    assert U.guess_up(upside_down(pts).tolist(), "RUB", "spz").how == "file"
    assert U.guess_up(pts[:50].tolist(), "RDF", "ply").how == "file"


def test_a_uniform_cloud_keeps_the_convention():
    pts = np.random.default_rng(5).uniform(-1, 1, (4000, 3))
    assert U.guess_up(pts.tolist(), "RDF", "ply").label == "-y"


def _turned_copy(s: Splats) -> Splats:
    """``s`` turned 180 degrees about x (means; covariances and SH do not matter here)."""
    return Splats(upside_down(s.means), s.scales, s.quats, s.opacities, s.sh, axes=s.axes)


@pytest.mark.gpu
@pytest.mark.parametrize("name", sorted(GUESSED))
def test_real_scenes_open_as_documented_and_their_turned_copies_flip(name, device, run, scenes_dir):
    """The runtime guess (pool sample) = the table; ``info`` (numpy reader, the same
    strided sample) agrees; a copy turned upside down gets the opposite up."""
    path = scenes_dir / name
    want, how = GUESSED[name]
    scene = run(load_to_pool(device, path.read_bytes(), name=name))
    try:
        assert (scene.upright.label, scene.upright.how) == (want, how), scene.upright
    finally:
        scene.destroy()
    d = describe(str(path))
    assert (d["up"], d["up_how"]) == (want, how)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        turned = ply.to_bytes(_turned_copy(load(path)))
    copy = run(load_to_pool(device, turned, name="turned.ply"))
    try:
        assert copy.upright.label == ("+y" if want == "-y" else "-y"), copy.upright
    finally:
        copy.destroy()


@pytest.mark.parametrize("name", sorted(DECLARED))
def test_spz_scenes_keep_their_declared_frame(name, scenes_dir):
    d = describe(str(scenes_dir / name))
    assert (d["up"], d["up_how"]) == (DECLARED[name], "file")


def test_framing_with_an_up_puts_it_at_the_top_of_the_image():
    for axes, up in (("RDF", (0.0, -1.0, 0.0)), ("RDF", (0.0, 1.0, 0.0)), ("RUB", (1.0, 0, 0))):
        cam = Camera.framing((-1, -1, -1), (1, 1, 1), axes, width=64, height=48, up=up)
        m = cam.world_to_camera
        x, y, z = (sum(m[4 * i + k] * up[k] for k in range(3)) + m[4 * i + 3] for i in range(3))
        assert z > 0 and cam.fy * y / z + cam.cy < cam.cy - 5, (axes, up)  # above the centre
        assert abs(cam.fx * x / z) < 1e-6 * cam.fx  # straight above, not to the side


@pytest.mark.gpu
def test_lod_manifest_up(tmp_path, device, run):
    build(random_splats(3000, 0, seed=2), tmp_path, chunk=256, fanout=4, progress=False)
    m = json.loads((tmp_path / "lod.json").read_text())
    assert parse_manifest(json.dumps(m)).up == ""
    with pytest.raises(FormatError, match="manifest up"):
        parse_manifest(json.dumps({**m, "up": "sideways"}))
    (tmp_path / "lod.json").write_text(json.dumps({**m, "up": "+z"}))

    async def go():
        lod = await LodScene.open(str(tmp_path / "lod.json"), device, budget=2000)
        try:
            return lod.upright
        finally:
            await lod.close()

    got = run(go())
    assert got.label == "+z" and got.how == "file"
