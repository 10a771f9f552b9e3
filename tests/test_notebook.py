"""``splatrender.show``: the viewer in an iframe from the kernel's server, a PNG otherwise."""

from __future__ import annotations

import base64
import functools
import io
import threading
import urllib.parse
import urllib.request
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from PIL import Image

import splatrender
from splatrender import notebook
from tests.web.webtools import drawn_info

SCENE = "VictorTrumpel__model.splat"


def test_interactive_view_serves_the_page_and_the_scene(scenes_dir):
    view = splatrender.show(scenes_dir / SCENE, width=320, height=200, interactive=True)
    bundle = view._repr_mimebundle_()
    assert "<iframe" in bundle["text/html"] and 'width="320"' in bundle["text/html"]
    assert "image/png" not in bundle  # no native render when the viewer is shown
    page = urllib.request.urlopen(view.url, timeout=10).read()
    assert b"splat-viewer" in page
    src = urllib.parse.unquote(view.url.split("?src=")[1])
    assert src.endswith("/" + SCENE)
    base = view.url.split("index.html")[0]
    data = urllib.request.urlopen(base + src.lstrip("/"), timeout=10).read()
    assert data == (scenes_dir / SCENE).read_bytes()
    again = splatrender.show(scenes_dir / SCENE, interactive=True)
    assert again.url == view.url  # mounted once per kernel


def test_urls_open_as_they_are():
    url = notebook.viewer_url("https://example.org/a/scene.spz")
    assert url.endswith("?src=https://example.org/a/scene.spz")


def test_missing_scene_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        notebook.show(tmp_path / "nope.ply", interactive=True)


def test_remote_kernels_get_a_png(monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "x")
    assert notebook._remote_kernel()
    monkeypatch.delenv("JUPYTERHUB_API_TOKEN")
    for k in notebook.REMOTE_HINTS:
        monkeypatch.delenv(k, raising=False)
    assert not notebook._remote_kernel()


@pytest.mark.gpu
def test_png_fallback_draws_the_scene(scenes_dir):
    view = splatrender.show(scenes_dir / SCENE, width=160, height=120, interactive=False)
    bundle = view._repr_mimebundle_()
    assert view.url is None and "text/html" not in bundle
    img = np.asarray(Image.open(io.BytesIO(base64.b64decode(bundle["image/png"]))))
    assert img.shape == (120, 160, 3)
    assert (img.astype(int).sum(axis=2) > 30).mean() > 0.05, "nothing drawn"


@pytest.mark.browser
@pytest.mark.gpu
def test_the_cell_html_draws_in_a_browser(browser, scenes_dir, tmp_path):
    """The HTML a notebook cell shows, in Chromium: the iframe's viewer draws the scene."""
    view = splatrender.show(scenes_dir / SCENE, width=200, height=150, interactive=True)
    ctx = browser.new_context()
    page = ctx.new_page()
    page.set_default_timeout(180_000)
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    # The cell's page comes from a local server, as a local Jupyter's does: WebGPU needs
    # every frame up the chain to be a secure context (about:blank is not), and Chromium's
    # local-network checks want the embedding page itself on loopback (not a routed fake).
    head = "<head><link rel='icon' href='data:,'></head>"
    (tmp_path / "cell.html").write_text(f"<html>{head}<body>{view.html()}</body></html>")
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    jupyter = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=jupyter.serve_forever, daemon=True).start()
    page.goto(f"http://localhost:{jupyter.server_address[1]}/cell.html")
    frame = page.frame_locator("iframe")
    frame.locator("#viewer").wait_for()
    inner = page.frames[1]
    info = drawn_info(inner)
    assert info["count"] > 0
    png = page.locator("iframe").screenshot()
    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    assert (img.astype(int).sum(axis=2) > 30).mean() > 0.02, "nothing drawn"
    assert not errors, errors
    ctx.close()
    jupyter.shutdown()
