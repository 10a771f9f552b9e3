"""web/build.py: the offline build has the Pyodide runtime, the wheel and the page;
the CDN variant points the page at the CDN instead."""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_offline_build(web_build):
    cfg = json.loads((web_build / "config.json").read_text())
    assert cfg["pyodide"] == "pyodide/" and cfg["pyodideVersion"].startswith("0.29.")
    for name in ("pyodide.mjs", "pyodide.asm.wasm", "pyodide.asm.js", "python_stdlib.zip"):
        assert (web_build / "pyodide" / name).is_file(), name
    for name in ("index.html", "splat-viewer.js"):
        assert (web_build / name).is_file(), name
    assert not (web_build / "build.py").exists()
    wheel = web_build / cfg["wheel"]
    names = zipfile.ZipFile(wheel).namelist()
    assert cfg["wheel"].endswith("-py3-none-any.whl")
    assert "splatrender/shaders/blit.wgsl" in names
    assert "splatrender/web/app.py" in names and "splatrender/gpu/browser.py" in names


def test_cdn_build(web_build, tmp_path):
    sys.path.insert(0, str(ROOT / "web"))
    try:
        import build as web_build_module
    finally:
        sys.path.remove(str(ROOT / "web"))
    cfg0 = json.loads((web_build / "config.json").read_text())
    url = "https://cdn.example/pyodide/v0.29.5/full"
    out = web_build_module.build(tmp_path / "b", cdn=url, wheel=web_build / cfg0["wheel"])
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["pyodide"] == url + "/"
    assert not (out / "pyodide").exists()
    assert (out / cfg["wheel"]).is_file() and (out / "index.html").is_file()
