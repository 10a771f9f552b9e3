"""`splatrender render`: real scenes to PNG, camera options, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from splatrender.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_scenes" / "playbot"


def png(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"), dtype=np.float64) / 255


def test_renders_the_sample_scene_framed(tmp_path, capsys):
    out = tmp_path / "s.png"
    assert main(["render", str(SAMPLE), "-o", str(out), "--size", "96x64", "--check"]) == 0
    img = png(out)
    assert img.shape == (64, 96, 3)
    # Framed: the robot covers a fair share of the frame, centred on it.
    mask = img.max(axis=2) > 0.05
    assert 0.2 < mask.mean() < 0.98
    ys, xs = np.nonzero(mask)
    assert abs(xs.mean() / 96 - 0.5) < 0.15 and abs(ys.mean() / 64 - 0.5) < 0.3
    text = capsys.readouterr().out
    assert "125,000 of 125,000 splats" in text
    psnr = float(text.split("PSNR ")[1].split(" dB")[0])
    assert psnr >= 45


def test_camera_options_and_background(tmp_path):
    out = tmp_path / "a.png"
    args = ["render", str(SAMPLE), "-o", str(out), "--size", "40x30", "--background", "1,0,0"]
    args += ["--eye", "0,0.5,3", "--target", "0,-0.3,0", "--mode", "antialiased"]
    assert main(args) == 0
    img = png(out)
    assert img.shape == (30, 40, 3)
    assert img[0, 0].tolist() == [1.0, 0.0, 0.0]  # corner shows the background


def test_inria_cameras_json(tmp_path, scenes_dir):
    cam = {"id": 0, "img_name": "a", "width": 64, "height": 48, "fx": 60.0, "fy": 60.0}
    cams = [{**cam, "position": [0.0, 0.0, -4.0], "rotation": np.eye(3).tolist()}]
    (tmp_path / "cameras.json").write_text(json.dumps(cams))
    out = tmp_path / "c.png"
    scene = scenes_dir / "kacytran1122_try__point_cloud_iter7000.ply"
    args = ["render", str(scene), "-o", str(out), "--cameras", str(tmp_path / "cameras.json")]
    assert main(args) == 0
    assert png(out).shape == (48, 64, 3)


def test_up_turns_a_scene_and_bad_up_is_refused(tmp_path, scenes_dir, capsys):
    """justdealman's SPZ says y-up but was written upside down: ``--up -y`` (as the README
    documents) turns it; the default keeps the file's frame."""
    scene = str(scenes_dir / "justdealman__model.spz")
    args = ["render", scene, "--size", "64x48", "-o"]
    assert main([*args, str(tmp_path / "a.png")]) == 0
    assert "up +y (file: spz is RUB)" in capsys.readouterr().out
    assert main([*args, str(tmp_path / "b.png"), "--up", "-y"]) == 0
    assert "up -y (user)" in capsys.readouterr().out
    a, b = png(tmp_path / "a.png"), png(tmp_path / "b.png")
    assert a.std() > 0.02 and b.std() > 0.02 and np.abs(a - b).mean() > 0.01
    with pytest.raises(SystemExit):
        main([*args, str(tmp_path / "c.png"), "--up", "sideways"])
    assert "up must be one of" in capsys.readouterr().err


BAD_FILES = [
    b"ply\nformat binary_little_endian 1.0\nelement vertex 4000000000\n",
    b"\x00" * 10,
]


@pytest.mark.parametrize("content", BAD_FILES)
def test_bad_scene_is_a_clear_error(tmp_path, capsys, content):
    bad = tmp_path / "bad.ply"
    bad.write_bytes(content)
    assert main(["render", str(bad), "-o", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("splatrender: error:") and "bad.ply" in err


def test_missing_file_and_bad_arguments(tmp_path, capsys):
    assert main(["render", str(tmp_path / "nope.ply")]) == 2
    assert "nope.ply" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["render", str(SAMPLE), "--size", "0x10"])


def test_several_files_and_a_scene_file_render_together(tmp_path, scenes_dir, capsys):
    guitar, biker = scenes_dir / "guitar.compressed.ply", scenes_dir / "biker.spz"
    out = tmp_path / "two.png"
    args = ["render", str(guitar), str(biker), "-o", str(out), "--size", "80x60", "--check"]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert f"{90_854 + 152_746:,} splats" in text and "2 objects" in text
    assert float(text.split("PSNR ")[1].split(" dB")[0]) >= 45
    doc = {
        "objects": [
            {"source": str(guitar)},
            {"source": str(biker), "translation": [1.5, 0, 0], "rotation_deg": [0, 30, 0]},
        ]
    }
    scene = tmp_path / "scene.json"
    scene.write_text(json.dumps(doc))
    out2 = tmp_path / "placed.png"
    assert main(["render", str(scene), "-o", str(out2), "--size", "80x60", "--check"]) == 0
    text = capsys.readouterr().out
    assert float(text.split("PSNR ")[1].split(" dB")[0]) >= 45
    assert np.abs(png(out2) - png(out)).max() > 0.2  # the biker moved
    doc["objects"][1]["scale"] = 0
    scene.write_text(json.dumps(doc))
    assert main(["render", str(scene), "-o", str(out2)]) == 2
    err = capsys.readouterr().err
    assert "scene.json" in err and "object 1 (" in err and "scale must not be zero" in err
