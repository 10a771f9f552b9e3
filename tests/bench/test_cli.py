"""`splatrender bench` writes JSON, Markdown and a PNG; `compare` and `report` read them."""

from __future__ import annotations

import json

from splatrender.cli.main import main


def test_bench_cli_writes_json_markdown_png(tmp_path, capsys):
    out = tmp_path / "r.json"
    argv = ["bench", "procedural:3000", "--size", "48x32", "--frames", "3", "--warmup", "1"]
    assert main([*argv, "--no-progress", "-o", str(out)]) == 0
    d = json.loads(out.read_text())
    (run,) = d["runs"]
    assert run["scene"]["splats"] == 3000 and len(run["frames"]) == 3
    assert run["settings"]["timing"] in ("gpu-timestamps", "cpu-sync")
    assert run["summary"]["frame_ms"]["p50"] > 0 and run["peak_gpu_bytes"] > 0
    md = out.with_suffix(".md").read_text()
    assert "| p50 ms ± IQR |" in md and "procedural-3000" in md and "r.png" in md
    assert out.with_suffix(".png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    capsys.readouterr()
    assert main(["bench", "compare", str(out), str(out)]) == 0
    assert "no regressions" in capsys.readouterr().out
    rep = tmp_path / "merged.md"
    assert main(["bench", "report", str(out), str(out), "-o", str(rep)]) == 0
    assert rep.is_file() and rep.with_suffix(".png").is_file()


def test_bench_cli_errors(tmp_path, capsys):
    assert (
        main(["bench", "no/such/scene.ply", "--no-progress", "-o", str(tmp_path / "x.json")]) == 2
    )
    assert "scene not found" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    assert main(["bench", "compare", str(bad), str(bad)]) == 2
    assert main(["bench", "compare", str(bad)]) == 2
