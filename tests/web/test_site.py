"""The viewer's files as `serve` and `web export` assemble them: page, browser wheel,
runtime (local copy or CDN) and config.json; the exported folder works on a plain host."""

from __future__ import annotations

import functools
import http.server
import json
import threading
import zipfile

import pytest

from splatrender.web.bundle import digest, write_wheel
from splatrender.web.runtime import FZSTD, PACKAGES, PYODIDE
from splatrender.web.site import STATIC, assemble


def test_local_site_serves_the_runtime(web_site):
    cfg = web_site.config
    assert cfg["pyodide"] == "runtime/" and cfg["zstd"] == "runtime/fzstd.js"
    for p in PACKAGES:
        for name in p.files.values():
            assert web_site.lookup("runtime/" + name).is_file(), name
    assert web_site.lookup("") == STATIC / "index.html"
    assert json.loads(web_site.lookup("config.json")) == cfg
    assert web_site.lookup("setup.py") is None and web_site.lookup("../x") is None


def test_browser_wheel_holds_the_core_and_not_the_page(web_site):
    wheel = web_site.lookup(web_site.config["wheel"])
    names = zipfile.ZipFile(wheel).namelist()
    assert web_site.config["wheel"].endswith("-py3-none-any.whl")
    assert "splatrender/shaders/blit.wgsl" in names
    assert "splatrender/web/app.py" in names and "splatrender/gpu/browser.py" in names
    assert not any(n.startswith("splatrender/web/static/") for n in names)
    assert any(n.endswith(".dist-info/RECORD") for n in names)


def test_wheel_is_reproducible(tmp_path):
    package = STATIC.parents[1]
    a = write_wheel(package, tmp_path / "a", "9.9")
    b = write_wheel(package, tmp_path / "b", "9.9")
    assert a.read_bytes() == b.read_bytes() and a.name == "splatrender-9.9-py3-none-any.whl"
    assert len(digest(package)) == 16


def test_cdn_site_points_at_the_cdn(web_site):
    site = assemble(cdn=True)
    assert site.config["pyodide"] == PYODIDE.cdn and site.config["zstd"] == FZSTD.cdn
    assert site.lookup("runtime/pyodide.mjs") is None
    assert "not cached" in site.runtime_note and PYODIDE.version in PYODIDE.cdn


def test_a_folder_that_is_no_runtime_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a runtime folder"):
        assemble(tmp_path)


@pytest.mark.browser
@pytest.mark.gpu
def test_exported_folder_draws_on_a_plain_web_server(web_site, browser, scenes_dir, tmp_path):
    """`web export` output on Python's stdlib server (no Range, no special MIME table)."""
    from tests.web.webtools import drawn_info, open_page, screenshot_rgb

    out = web_site.export(tmp_path / "site")
    scene = scenes_dir / "VictorTrumpel__model.splat"
    (out / "scene.splat").write_bytes(scene.read_bytes())
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(out))
    handler.log_message = lambda *a: None
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{srv.server_address[1]}/index.html?ui=0&src=scene.splat"
        ctx, page, log = open_page(browser, url, viewport={"width": 200, "height": 150})
        info = drawn_info(page)
        img = screenshot_rgb(page)
        assert info["count"] > 0
        assert (img.astype(int).sum(axis=2) > 30).mean() > 0.05, "nothing drawn"
        assert not log.errors(), log.errors()
        ctx.close()
    finally:
        srv.shutdown()
        srv.server_close()
