"""Browser fixtures: a viewer build, a local server, and headless Debian Chromium.

Chromium runs WebGPU on SwiftShader (flags from DESIGN.md); Playwright drives it
through ``executable_path`` and never downloads a browser. Without Playwright or
Chromium the browser tests skip locally (saying why) and fail on CI.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
from pathlib import Path

import pytest

from splatrender.web.chromium import CHROMIUM, launch

ROOT = Path(__file__).resolve().parents[2]


def _unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def web_build(tmp_path_factory) -> Path:
    """``web/build.py`` run into a temporary folder (npm cache in web/node_modules)."""
    if shutil.which("npm") is None and not (ROOT / "web" / "node_modules" / "pyodide").is_dir():
        _unavailable("npm is not installed: cannot fetch the pyodide runtime")
    sys.path.insert(0, str(ROOT / "web"))
    try:
        import build as web_build_module  # web/build.py
    finally:
        sys.path.remove(str(ROOT / "web"))
    out = tmp_path_factory.mktemp("webbuild")
    return web_build_module.build(out)


@pytest.fixture(scope="session")
def scene_root(tmp_path_factory) -> Path:
    """A folder for scenes the tests write (corrupt files, small synthetic scenes)."""
    return tmp_path_factory.mktemp("web-scenes")


@pytest.fixture(scope="session")
def server(web_build, scene_root, scenes_dir):
    """The viewer build at ``/``, ``/scenes/shared/...`` and ``/scenes/local/...``."""
    from splatrender.cli.serve import SceneServer

    mounts = {"/scenes/shared": scenes_dir, "/scenes/local": scene_root}
    srv = SceneServer(("127.0.0.1", 0), mounts, web_build)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install 'playwright>=1.50,<2')")
    if not os.access(CHROMIUM, os.X_OK):
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as pw:
        b = launch(pw)
        yield b
        b.close()


@pytest.fixture(scope="session")
def desktop(browser, server):
    """One booted full-page viewer (160x120, no UI bar), offline, shared by the tests.

    Yields (page, log); at the end the page must not have reached any other origin
    nor logged a console error.
    """
    from tests.web.webtools import open_page, wait_ready

    ctx, page, log = open_page(
        browser, server.url + "index.html?ui=0&max-pixel-ratio=1", viewport=VIEWPORT
    )
    blocked: list[str] = []

    def only_local(route):
        if route.request.url.startswith(server.url):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    wait_ready(page)
    yield page, log
    assert not blocked, f"the page tried to reach outside the local server: {blocked}"
    assert not log.errors(), log.errors()
    ctx.close()


VIEWPORT = {"width": 160, "height": 120}
