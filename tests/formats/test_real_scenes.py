"""Every real scene in ../shared/scenes loads, is sniffed right, and reports its quirks."""

from __future__ import annotations

import json

import numpy as np
import pytest

from splatrender.cli.info import describe
from splatrender.formats import load, sniff

# file -> (format, count, SH degree, axes, quirk substrings expected)
SCENES = {
    "guitar.compressed.ply": ("compressed-ply", 90_854, 0, "RDF", []),
    "biker.spz": ("spz", 152_746, 0, "RUB", ["alpha byte 255 in 198 splats"]),
    "justdealman__model.spz": (
        "spz",
        116_549,
        3,
        "RUB",
        ["alpha byte 255 in 7 splats", "antialiasing"],
    ),
    "kacytran1122_try__point_cloud_iter7000.ply": ("ply", 9_080, 3, "RDF", []),
    "VictorTrumpel__model.splat": ("splat", 124_495, 0, "RDF", []),
    "PostArchiveFaction_compressed_mobile.ksplat": ("ksplat", 140_361, 0, "RDF", []),
    "playbot/6_0/meta.json": ("sog", 1_873, 2, "RDF", []),
    "Taebak_Streaming/4_0/meta.json": ("sog", 212_464, 0, "RDF", []),
}


@pytest.mark.parametrize("name", sorted(SCENES))
def test_real_scene_loads(scenes_dir, name):
    fmt, count, degree, axes, quirks = SCENES[name]
    path = scenes_dir / name
    assert sniff(path) == fmt
    s = load(path)
    assert (s.format, s.count, s.sh_degree, s.axes) == (fmt, count, degree, axes)
    assert s.source == str(path)
    for q in quirks:
        assert any(q in have for have in s.quirks), (q, s.quirks)
    # sensible values: unit-ish quaternions, finite, a scene of non-zero extent
    assert np.isfinite(s.means).all() and np.isfinite(s.opacities).all()
    norms = np.linalg.norm(s.quats, axis=1)
    assert np.percentile(norms, 1) > 0.5
    lo, hi = s.bounds(1)
    assert (hi - lo).max() > 0.1
    assert 0.05 < np.median(s.alphas()) <= 1.0


def test_sniff_ignores_misleading_extension(scenes_dir, tmp_path):
    data = (scenes_dir / "biker.spz").read_bytes()
    (tmp_path / "biker.ply").write_bytes(data)
    assert sniff(tmp_path / "biker.ply") == "spz"
    assert load(tmp_path / "biker.ply").count == 152_746
    assert load(data).count == 152_746  # bytes without a name


@pytest.mark.parametrize("folder", ["playbot", "Taebak_Streaming"])
def test_every_lod_level_file_loads(scenes_dir, folder):
    """Each level file of the streamed sets is a plain SOG scene (counts from meta.json)."""
    metas = sorted((scenes_dir / folder).glob("*/meta.json"))
    assert metas
    if folder == "Taebak_Streaming":
        metas = metas[-3:]  # the rest are the same layout at ~530k splats each (slow tier)
    for m in metas:
        s = load(m.parent)
        assert s.count == json.loads(m.read_text())["count"]


@pytest.mark.slow
def test_every_taebak_level_file_loads(scenes_dir):
    for m in sorted((scenes_dir / "Taebak_Streaming").glob("*/meta.json")):
        assert load(m).count == json.loads(m.read_text())["count"]


def test_lod_meta_loads_a_whole_level(scenes_dir):
    s = load(scenes_dir / "Taebak_Streaming" / "lod-meta.json", lod=3)
    assert s.count == 526_142 + 238_729  # level 3 is split over two files


def test_info_describes_quirks(scenes_dir):
    d = describe(str(scenes_dir / "biker.spz"))
    assert d["format"] == "spz" and d["version"] == "4" and d["count"] == 152_746
    assert d["axes"] == "RUB" and d["sh_degree"] == 0
    assert any("255" in q for q in d["quirks"])
    json.dumps(d)


def test_sniffing_and_headers_do_not_import_numpy():
    """The browser runtime sniffs and parses headers without numpy."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from splatrender.formats import sniff_bytes\n"
        "from splatrender.formats import plyheader, _io\n"
        "data = b'ply\\nformat binary_little_endian 1.0\\nelement vertex 1\\n"
        "property float x\\nend_header\\n' + bytes(4)\n"
        "assert sniff_bytes(data) == 'ply-pointcloud'\n"
        "h = plyheader.parse_header(_io.Source(data, 'x'), data)\n"
        "assert h.elements[0].count == 1\n"
        "assert 'numpy' not in sys.modules, 'numpy imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
