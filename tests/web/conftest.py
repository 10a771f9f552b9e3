"""Browser fixtures: the viewer site, a local server, and headless Debian Chromium.

Chromium runs WebGPU on SwiftShader (flags from DESIGN.md); Playwright drives it
through ``executable_path`` and never downloads a browser. Without Playwright or
Chromium the browser tests skip locally (saying why) and fail on CI.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tests.conftest import unavailable


@pytest.fixture(scope="session")
def web_site():
    """The viewer as ``serve`` assembles it, with Pyodide fetched into the user cache
    (from the npm registry, once per machine)."""
    from splatrender.web.runtime import fetch_runtime
    from splatrender.web.site import assemble

    try:
        runtime = fetch_runtime(progress=False)
    except Exception as e:  # no registry: the browser tests cannot run
        unavailable(f"cannot fetch the Pyodide runtime: {e}")
    return assemble(runtime)


@pytest.fixture(scope="session")
def scene_root(tmp_path_factory) -> Path:
    """A folder for scenes the tests write (corrupt files, small synthetic scenes)."""
    return tmp_path_factory.mktemp("web-scenes")


@pytest.fixture(scope="session")
def server(web_site, scene_root, scenes_dir):
    """The viewer at ``/``, ``/scenes/shared/...`` and ``/scenes/local/...``."""
    from splatrender.cli.serve import SceneServer

    mounts = {"/scenes/shared": scenes_dir, "/scenes/local": scene_root}
    srv = SceneServer(("127.0.0.1", 0), mounts, web_site)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv
    srv.shutdown()
    srv.server_close()


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


@pytest.fixture(autouse=True)
def _no_lingering_toast(request):
    """An error toast stays 8 s: take it off after each test on the shared page, so the
    next test's screenshots see only the scene."""
    yield
    if "desktop" in request.fixturenames:
        page, _ = request.getfixturevalue("desktop")
        page.evaluate(
            "() => document.getElementById('viewer')?.shadowRoot?.querySelector('.toast')?.remove()"
        )
