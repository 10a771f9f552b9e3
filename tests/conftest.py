"""Shared fixtures: the real scenes beside the project and a lavapipe device."""

from __future__ import annotations

import asyncio
import os
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


@pytest.fixture(scope="session")
def event_loop_runner():
    """One event loop for the whole session, so one GPU device can be shared."""
    loop = asyncio.new_event_loop()
    yield loop.run_until_complete
    loop.close()


@pytest.fixture(scope="session")
def device(event_loop_runner):
    """A native WebGPU device (lavapipe on CI)."""
    from splatrender.gpu import request_device

    return event_loop_runner(request_device())


@pytest.fixture(scope="session")
def run(event_loop_runner):
    """Run a coroutine to completion on the session's loop: ``run(coro)``."""
    return event_loop_runner
