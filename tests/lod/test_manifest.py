"""Manifest versions: format 2 (displacement errors, centres boxes), format 1 still read."""

from __future__ import annotations

import json

import pytest

from splatrender.errors import FormatError
from splatrender.lod.build import build
from splatrender.lod.manifest import (
    DISPLACEMENT_PIXEL_ERROR,
    FORMAT_VERSION,
    SIZE_PIXEL_ERROR,
    parse_manifest,
)
from splatrender.lod.select import View, select_cut
from splatrender.render.camera import Camera
from tests.lod.synth import random_splats


@pytest.fixture(scope="module")
def manifest(tmp_path_factory):
    out = tmp_path_factory.mktemp("set")
    build(random_splats(6000, 0, seed=2), out, chunk=512, progress=False)
    return json.loads((out / "lod.json").read_text())


def test_format_2_has_error_kind_threshold_and_centres(manifest):
    assert manifest["version"] == FORMAT_VERSION == 2
    assert manifest["render_mode"] == "classic" and manifest["fanout"] == 2
    h = parse_manifest(json.dumps(manifest))
    assert h.pixel_error == DISPLACEMENT_PIXEL_ERROR
    for n in h.nodes.values():
        assert n.centres is not None
        assert all(n.box[i] <= n.centres[i] <= n.centres[i + 3] <= n.box[i + 3] for i in range(3))
        for c in n.children:  # parents' centres boxes hold their children's
            k = h.nodes[c].centres
            assert all(n.centres[i] <= k[i] and k[i + 3] <= n.centres[i + 3] for i in range(3))


def test_format_1_still_read_with_its_size_threshold(manifest):
    old = json.loads(json.dumps(manifest))
    old["version"] = 1
    for c in old["chunks"]:
        del c["centres"]
    h = parse_manifest(json.dumps(old))
    assert h.pixel_error == SIZE_PIXEL_ERROR and all(n.centres is None for n in h.nodes.values())
    cam = Camera.look_at((0, -3, -12), (0, 0, 0), (0, -1, 0), width=64, height=64)
    assert select_cut(h, View.of(cam), 3000).count <= 3000  # boxes stand in for centres


def test_unknown_version_refused(manifest):
    bad = dict(manifest, version=3)
    with pytest.raises(FormatError, match="version"):
        parse_manifest(json.dumps(bad))
