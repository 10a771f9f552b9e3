"""Shared fixtures: the real scenes beside the project and a lavapipe device."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENES = ROOT.parent / "shared" / "scenes"


@pytest.fixture(scope="session")
def scenes_dir() -> Path:
    """``../shared/scenes``: on CI it must be there (never a silent skip)."""
    if not SCENES.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"real scenes missing at {SCENES}")
        pytest.skip(f"real scenes not found at {SCENES}")
    return SCENES


class LoopThread:
    """An asyncio loop on its own thread, shared by the whole session.

    GPU objects made on it live for the session. It runs on a separate thread so
    that a test running another loop in the main thread (Playwright's sync API keeps
    one alive) cannot collide with it.
    """

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro, timeout: float = 600):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture(scope="session")
def event_loop_runner():
    """Run a coroutine to completion on the session's loop thread."""
    lt = LoopThread()
    yield lt.run
    lt.close()


@pytest.fixture(scope="session")
def device(event_loop_runner):
    """A native WebGPU device (lavapipe on CI)."""
    from splatrender.gpu import request_device

    return event_loop_runner(request_device())


@pytest.fixture(scope="session")
def run(event_loop_runner):
    """Run a coroutine to completion on the session's loop: ``run(coro)``."""
    return event_loop_runner


@pytest.fixture(autouse=True)
def _hide_foreign_running_loop(request):
    """Playwright's sync API (browser tests) leaves its event loop marked as running
    in the main thread for the whole session, and code under test that calls
    ``asyncio.run()`` (the CLI) would then refuse to start. Tests that don't drive
    the browser run with that mark cleared, and it is put back afterwards."""
    loop = asyncio.events._get_running_loop()
    uses_browser = any(n in request.fixturenames for n in ("browser", "page", "desktop", "phone"))
    if loop is None or uses_browser:
        yield
        return
    asyncio.events._set_running_loop(None)
    try:
        yield
    finally:
        asyncio.events._set_running_loop(loop)


def pytest_collection_modifyitems(config, items):
    """Every test that takes the ``device`` fixture carries the ``gpu`` marker, so
    ``-m "not gpu"`` really runs without an adapter (checked, not trusted)."""
    unmarked = [
        i.nodeid
        for i in items
        if "device" in getattr(i, "fixturenames", ()) and i.get_closest_marker("gpu") is None
    ]
    if unmarked:
        raise pytest.UsageError(
            "tests using the GPU `device` fixture need @pytest.mark.gpu:\n  "
            + "\n  ".join(unmarked)
        )


def unavailable(reason: str):
    """Skip, saying why, when a tool is missing here; on CI (``CI`` set) fail instead."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    from splatrender.web.chromium import CHROMIUM, launch

    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed (pip install 'playwright>=1.50,<2')")
    if not os.access(CHROMIUM, os.X_OK):
        unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as pw:
        b = launch(pw)
        yield b
        b.close()
