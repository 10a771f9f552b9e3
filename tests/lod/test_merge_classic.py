"""Merged splats where the cut swaps them in: their light in both render modes.

Classic 3DGS adds 0.3 px^2 to every projected covariance without touching opacity, so
sub-pixel children each cover more of the image than their world footprint, and a
world-space merge (moment matching, what antialiased rendering shows) looks dimmer
than its children in classic mode. ``lod build`` (render mode classic, the default)
gives merged splats, at the pixel size where selection swaps the node in (its geometric
error / the set's pixel error), the opacity their pieces' summed classic light asks
for, capped by the pieces stacked, and past that cap an extra screen-space dilation
(stored per splat in the chunk, applied by the projection) that makes the parent's
light equal its pieces' composite (``merge._classic_parents``).

Each case builds a real set from a 4-splat cluster (four 1-splat leaves, one merged
root), reads the root's error from the manifest and looks, along x, y and z, from the
distance where ``select_cut`` starts drawing the root (error x focal / distance = the
set's pixel error). There the whole cluster is a quarter of a pixel wide: four dilated
blobs composite to about 1.9x one opaque blob's light. Without the extra dilation the
parent showed 0.55-0.60 of it (this was a strict xfail); with all of the matched
dilation 0.97-0.99, with the ``DILATION_SHARE`` (0.7) the builder keeps 0.85-0.87.
"""

from __future__ import annotations

import math

import pytest

from splatrender.formats.splats import Splats
from splatrender.lod.build import build
from splatrender.lod.codec import decode_chunk
from splatrender.lod.manifest import parse_manifest
from splatrender.lod.select import View, select_cut
from splatrender.reference.metrics import psnr
from splatrender.reference.pool import unpack_pool
from splatrender.reference.render import render
from splatrender.render.camera import Camera
from tests.lod.test_build import _cluster

SIZE, FOV = 32, 20.0
FOCAL = 0.5 * SIZE / math.tan(math.radians(FOV / 2))


VIEWS = (((0, 0, -1), (0, -1, 0)), ((-1, 0, 0), (0, -1, 0)), ((0, -1, 0), (0, 0, 1)))


def _cam(dist: float, view: int = 0) -> Camera:
    (dx, dy, dz), up = VIEWS[view]
    eye = (dx * dist, dy * dist, dz * dist)
    return Camera.look_at(eye, (0, 0, 0), up, width=SIZE, height=SIZE, fov_y_deg=FOV)


def _white(s: Splats) -> Splats:
    s.sh[:] = 0.5 / 0.28209479177387814  # colour 1: the image is the coverage
    return s


def _root_splat(folder, size: int) -> Splats:
    g, rest = decode_chunk((folder / "chunks.bin").read_bytes()[:size])  # roots come first
    return _white(unpack_pool(g, rest, 0))


def _light(kids: Splats, mode: str, tmp_path) -> tuple[float, float]:
    """(root light / children light, worst PSNR) where selection starts drawing the root,
    seen along x, y and z (the merge matches orientation-averaged footprints)."""
    build(kids, tmp_path, chunk=1, fanout=4, render_mode=mode, progress=False)
    h = parse_manifest((tmp_path / "lod.json").read_bytes())
    (root,) = (h.nodes[r] for r in h.roots)
    assert root.count == 1 and len(root.children) == 4 and root.error > 0
    parent = _root_splat(tmp_path, root.size)
    # the distance where the root's screen-space error is the set's pixel error
    dist = root.error * FOCAL / h.pixel_error
    c = root.centres or root.box
    # select_cut agrees: a step closer it refines the root, a step farther it does not
    for f, refined in ((0.97, True), (1.03, False)):
        near = _cam(dist * f - c[2])
        assert (root.id in select_cut(h, View.of(near), 100).refined) is refined
    a = [render(kids, _cam(dist, v), mode) for v in range(len(VIEWS))]
    b = [render(parent, _cam(dist, v), mode) for v in range(len(VIEWS))]
    ratio = sum(x.sum() for x in b) / sum(x.sum() for x in a)
    return ratio, min(psnr(x, y) for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_antialiased_parent_carries_childrens_light(seed, tmp_path):
    ratio, db = _light(_white(_cluster(4, seed)), "antialiased", tmp_path)
    print(f"seed {seed}, antialiased: light {ratio:.2f}, PSNR {db:.1f} dB")
    assert 0.75 < ratio < 1.8


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_classic_parent_as_bright_as_children_where_it_takes_over(seed, tmp_path):
    ratio, db = _light(_white(_cluster(4, seed)), "classic", tmp_path)
    print(f"seed {seed}, classic: light {ratio:.2f}, PSNR {db:.1f} dB")
    assert 0.8 < ratio < 1.25


def test_classic_build_brighter_than_world_space_merge(tmp_path):
    """What the classic build does for the same root: more of the children's light."""
    kids = _white(_cluster(4, 0))
    build(kids, tmp_path / "a", chunk=1, fanout=4, render_mode="antialiased", progress=False)
    build(kids, tmp_path / "c", chunk=1, fanout=4, render_mode="classic", progress=False)
    h = parse_manifest((tmp_path / "c" / "lod.json").read_bytes())
    (root,) = (h.nodes[r] for r in h.roots)
    cam = _cam(root.error * FOCAL / h.pixel_error)
    light = {}
    for k in "ac":
        p = _root_splat(tmp_path / k, root.size)
        light[k] = render(p, cam, "classic").sum() / render(kids, cam, "classic").sum()
    print(f"classic light: world-space merge {light['a']:.2f}, classic build {light['c']:.2f}")
    assert light["a"] < light["c"]
