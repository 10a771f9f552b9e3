"""Bench result files: JSON round trip, derived figures, and bad files rejected cleanly."""

from __future__ import annotations

import json

import pytest

from splatrender.bench.schema import (
    Adapter,
    Frame,
    Machine,
    Results,
    Run,
    SceneInfo,
    Settings,
    percentile,
    summarize,
)
from splatrender.errors import FormatError


def make_results() -> Results:
    frames = [
        Frame(10.0 + i, {"project": 1.0 + i / 10, "raster": 5.0}, 1000, 900 + i, 4000, None)
        for i in range(5)
    ]
    run = Run(
        runtime="native",
        renderer="splatrender 0.1.0",
        adapter=Adapter("llvmpipe", "llvmpipe", "Vulkan", "CPU", "Mesa"),
        scene=SceneInfo("s.ply", "/x/s.ply", 1000, False),
        settings=Settings(64, 48, 5, None, 2, "orbit", "classic", "gpu-timestamps"),
        frames=frames,
        peak_gpu_bytes=12345,
        notes=["n"],
    )
    return Results(Machine("h", "linux", "cpu", 2, "3.11", "0.1.0"), [run], "2026-01-01T00:00:00")


def test_round_trip(tmp_path):
    r = make_results()
    path = tmp_path / "r.json"
    r.write(path)
    back = Results.read(path)
    assert back == r
    assert back.to_json() == r.to_json()
    d = json.loads(path.read_text())
    assert d["schema"] == "splatrender-bench/1"
    s = d["runs"][0]["summary"]
    assert s["frame_ms"]["p50"] == 12.0
    assert s["stages_ms"]["raster"]["p50"] == 5.0
    assert s["splats_per_s"] == pytest.approx(1000 / 0.012)
    assert s["pixels_per_s"] == pytest.approx(64 * 48 / 0.012)


def test_summary_percentiles():
    run = make_results().runs[0]
    s = summarize(run)
    assert s["frame_ms"]["p95"] == pytest.approx(percentile([10, 11, 12, 13, 14], 95))
    assert s["frame_ms"]["spread"] == pytest.approx(2.0)  # IQR of 10..14
    assert s["visible_p50"] == 902


@pytest.mark.parametrize(
    "text, problem",
    [
        ("not json", "cannot read"),
        ('{"schema": "other/1"}', "not a splatrender-bench/1"),
        ('{"schema": "splatrender-bench/1", "runs": [{"frames": 3}]}', "malformed"),
    ],
)
def test_bad_files_raise_format_error(tmp_path, text, problem):
    p = tmp_path / "bad.json"
    p.write_text(text)
    with pytest.raises(FormatError, match=problem):
        Results.read(p)


def test_rejects_bad_frame_time(tmp_path):
    d = make_results().to_dict()
    d["runs"][0]["frames"][0]["ms"] = -1
    p = tmp_path / "neg.json"
    p.write_text(json.dumps(d))
    with pytest.raises(FormatError, match="frame time"):
        Results.read(p)


def test_evaluations_per_pixel_are_optional_and_reported(tmp_path):
    """Frames may carry ``evals`` (raster evaluations per pixel); files without them, as
    written before, still read, and the report gets its table only when counted."""
    from splatrender.bench.report import markdown

    plain = make_results()
    assert summarize(plain.runs[0])["evals_p50"] is None
    assert "Evaluations per pixel" not in markdown(plain)
    d = json.loads(plain.to_json())
    assert "evals" in d["runs"][0]["frames"][0]  # written as null
    for f in d["runs"][0]["frames"]:
        del f["evals"]  # an older file
    assert Results.from_dict(d) == plain

    counted = make_results()
    for i, f in enumerate(counted.runs[0].frames):
        f.evals = {"listed": 100.0 + i, "until_stop": 40.0, "blended": 8.0, "lockstep": 60.0}
    path = tmp_path / "r.json"
    counted.write(path)
    back = Results.read(path)
    assert back == counted
    s = summarize(back.runs[0])
    assert s["evals_p50"]["listed"] == 102.0
    assert s["evals_p50"]["lockstep"] == 60.0
    md = markdown(back)
    assert "## Evaluations per pixel" in md
    assert "| 102.0 | 40.0 | 8.0 | - | 60.0 |" in md
