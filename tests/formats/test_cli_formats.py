"""`splatrender info` and `splatrender convert`."""

from __future__ import annotations

import json

import numpy as np
import pytest

from splatrender.cli.main import main
from splatrender.formats import load
from splatrender.formats.axes import to_axes


def test_info_text_and_json(scenes_dir, capsys):
    assert main(["info", str(scenes_dir / "justdealman__model.spz")]) == 0
    out = capsys.readouterr().out
    assert "spz (version 3 (gzip)" in out and "116,549" in out and "RUB" in out
    assert "alpha byte 255" in out
    assert main(["info", "--json", str(scenes_dir / "playbot" / "6_0")]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["format"] == "sog" and d["count"] == 1873 and d["sh_degree"] == 2
    assert d["version"].startswith("2 (splat-transform")


def test_info_of_a_scene_file_lists_its_objects(scenes_dir, tmp_path, capsys):
    doc = {
        "objects": [
            {"source": str(scenes_dir / "biker.spz"), "translation": [1, 0, 0], "scale": 2,
             "modifier": {"builtin": "grade", "params": [0.5, 1, 1, 0]}},
            {"source": str(scenes_dir / "playbot"), "name": "robot", "visible": False},
        ],
        "edits": [{"shapes": [{"kind": "sphere"}]}],
    }  # fmt: skip
    scene = tmp_path / "scene.json"
    scene.write_text(json.dumps(doc))
    assert main(["info", str(scene)]) == 0
    out = capsys.readouterr().out
    assert "scene file: 2 objects, 1 edits" in out
    assert "biker.spz" in out and "spz, 152,746 splats, up +y" in out and "modifier grade" in out
    assert "robot" in out and "LOD set or URL" in out and "hidden" in out
    assert main(["info", "--json", str(scene)]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["objects"][0]["scale"] == [2, 2, 2] and d["objects"][0]["info"]["count"] == 152_746
    assert d["objects"][1]["info"] is None and d["edits"] == 1


def test_info_bad_file_is_a_clean_error(tmp_path, capsys):
    p = tmp_path / "junk.ply"
    p.write_bytes(b"ply\nformat binary_little_endian 1.0\nelement vertex 99\nend_header\n")
    assert main(["info", str(p)]) == 2
    assert "junk.ply" in capsys.readouterr().err


def test_convert_spz_to_ply_turns_frame_and_back(scenes_dir, tmp_path):
    src = scenes_dir / "justdealman__model.spz"
    ply = tmp_path / "a.ply"
    assert main(["convert", str(src), str(ply), "-q"]) == 0
    a, b = load(src), load(ply)
    assert b.axes == "RDF" and b.count == a.count and b.sh_degree == 3
    np.testing.assert_allclose(b.sh, to_axes(a, "RDF").sh)
    spz = tmp_path / "b.spz"
    assert main(["convert", str(ply), str(spz), "--sh-degree", "1", "-q"]) == 0
    c = load(spz)
    assert c.axes == "RUB" and c.sh_degree == 1
    np.testing.assert_allclose(c.means, a.means, atol=1e-3)


@pytest.mark.parametrize(("args", "fmt", "axes"), [
    (["--format", "splat"], "splat", "RDF"),
    (["--axes", "RUB"], "ply", "RDF"),  # the PLY reader labels everything RDF
    (["--spz-version", "4"], "spz", "RDF"),  # v4 records the axes
])  # fmt: skip
def test_convert_options(scenes_dir, tmp_path, args, fmt, axes):
    out = tmp_path / ("o.spz" if "--spz-version" in args else "o.ply")
    assert main(["convert", str(scenes_dir / "VictorTrumpel__model.splat"), str(out), "-q",
                 *args]) == 0  # fmt: skip
    s = load(out)
    assert s.format == fmt and s.axes == axes and s.count == 124_495


def test_top_level_load(scenes_dir):
    import splatrender

    assert splatrender.load(scenes_dir / "biker.spz").count == 152_746
