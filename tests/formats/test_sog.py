"""PlayCanvas SOG v2 reader on the real playbot scene, bundled zip, LOD sets, bad input."""

from __future__ import annotations

import io
import json
import math
import zipfile

import numpy as np
import pytest
from PIL import Image

from splatrender.errors import FormatError
from splatrender.formats import load, sniff


@pytest.fixture(scope="module")
def playbot(scenes_dir):
    return scenes_dir / "playbot" / "2_0"


def texel(folder, name, i):
    im = np.asarray(Image.open(folder / name).convert("RGBA"))
    return im.reshape(-1, 4)[i]


def scalar_decode(folder, meta, i):
    """Per-splat decode written straight from the format description (test oracle)."""
    lo, hi = texel(folder, "means_l.webp", i), texel(folder, "means_u.webp", i)
    mean = []
    for a in range(3):
        t = (int(lo[a]) + 256 * int(hi[a])) / 65535
        v = meta["means"]["mins"][a] + (meta["means"]["maxs"][a] - meta["means"]["mins"][a]) * t
        mean.append(math.copysign(math.exp(abs(v)) - 1, v))
    q = texel(folder, "quats.webp", i)
    largest = int(q[3]) - 252
    small = [(int(c) / 255 * 2 - 1) / math.sqrt(2) for c in q[:3]]
    wxyz = [0.0] * 4
    others = [j for j in range(4) if j != largest]
    for j, v in zip(others, small, strict=True):
        wxyz[j] = v
    wxyz[largest] = math.sqrt(max(0.0, 1 - sum(v * v for v in small)))
    s = texel(folder, "scales.webp", i)
    scale = [meta["scales"]["codebook"][int(c)] for c in s[:3]]
    c = texel(folder, "sh0.webp", i)
    dc = [meta["sh0"]["codebook"][int(x)] for x in c[:3]]
    alpha = int(c[3]) / 255
    lab = texel(folder, "shN_labels.webp", i)
    label = int(lab[0]) + 256 * int(lab[1])
    cent = np.asarray(Image.open(folder / "shN_centroids.webp").convert("RGBA"))
    m = 8  # degree 2
    rest = np.zeros((m, 3))
    for j in range(m):
        px = cent[label // 64, (label % 64) * m + j]
        rest[j] = [meta["shN"]["codebook"][int(px[ch])] for ch in range(3)]
    return mean, wxyz, scale, dc, alpha, rest


def test_playbot_level(playbot):
    s = load(playbot)
    assert (s.count, s.sh_degree, s.format, s.axes) == (125_000, 2, "sog", "RDF")
    assert sniff(playbot / "meta.json") == "sog"
    meta = json.loads((playbot / "meta.json").read_text())
    np.testing.assert_allclose(np.linalg.norm(s.quats, axis=1), 1, atol=1e-5)
    for i in (0, 1, 777, 65_535, 124_999):
        mean, wxyz, scale, dc, alpha, rest = scalar_decode(playbot, meta, i)
        np.testing.assert_allclose(s.means[i], mean, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(s.quats[i], wxyz, atol=1e-6)
        np.testing.assert_allclose(s.scales[i], scale, rtol=1e-6)
        np.testing.assert_allclose(s.sh[i, 0], dc, rtol=1e-6)
        np.testing.assert_allclose(s.alphas()[i], np.clip(alpha, 1e-6, 1 - 1e-6), atol=1e-5)
        np.testing.assert_allclose(s.sh[i, 1:], rest, rtol=1e-6)
    # the robot stands on y ~ 0 with its body toward -y: the PLY's right-down-forward axes
    lo, hi = s.bounds()
    assert hi[1] < 0.1 < -lo[1]


def test_bundled_sog_zip_matches_folder(playbot):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for f in playbot.iterdir():
            z.write(f, f.name)
    data = buf.getvalue()
    assert sniff(data) == "sog"
    a, b = load(data, name="playbot.sog"), load(playbot / "meta.json")
    for attr in ("means", "scales", "quats", "opacities", "sh"):
        np.testing.assert_array_equal(getattr(a, attr), getattr(b, attr))
    assert a.source == "playbot.sog"


def test_lod_meta_loads_one_level(scenes_dir):
    s = load(scenes_dir / "playbot" / "lod-meta.json", lod=6)
    assert s.count == 1873 and s.sh_degree == 2
    assert any("LOD set" in q for q in s.quirks)


def test_meta_without_textures_as_bytes_is_a_format_error(playbot):
    with pytest.raises(FormatError, match=r"meta\.json.*beside"):
        load((playbot / "meta.json").read_bytes(), name="meta.json")


def test_bad_meta_and_textures(tmp_path, playbot):
    meta = json.loads((playbot / "meta.json").read_text())
    for f in playbot.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    cases = [
        dict(meta, count=4_000_000_000),
        dict(meta, count=10_000_000),  # more than the textures hold
        dict(meta, count=-1),
        dict(meta, version=7),
        dict(meta, scales={"codebook": [1, 2], "files": ["scales.webp"]}),
        dict(meta, quats={"files": ["missing.webp"]}),
        dict(meta, means=dict(meta["means"], mins=[0, 0])),
        dict(meta, sh0=dict(meta["sh0"], files=["meta.json"])),  # not a WebP
    ]
    for i, bad in enumerate(cases):
        p = tmp_path / f"bad{i}.json"
        p.write_text(json.dumps(bad))
        with pytest.raises(FormatError, match=f"bad{i}.json"):
            load(p)
    (tmp_path / "junk.json").write_text("{ not json")
    with pytest.raises(FormatError):
        load(tmp_path / "junk.json")
