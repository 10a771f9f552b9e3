"""The runtime decode path imports and runs with numpy blocked (as in Pyodide)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.gpu

SCRIPT = textwrap.dedent(
    """
    import asyncio, importlib, pkgutil, struct, sys
    sys.modules["numpy"] = None  # any "import numpy" now raises ImportError
    import splatrender.formats.runtime as rt
    for m in pkgutil.iter_modules(rt.__path__):
        importlib.import_module(f"splatrender.formats.runtime.{m.name}")
    from splatrender.gpu import request_device

    async def main():
        device = await request_device()
        rec = struct.pack("<6f8B", 0.5, -1.0, 2.0, 0.1, 0.2, 0.3, 200, 100, 50, 255,
                          200, 128, 128, 128)
        scene = await rt.load_to_pool(device, rec * 300, name="tiny.splat")
        assert scene.count == 300 and scene.axes == "RDF", scene
        geom = await device.read_buffer(scene.pool.page_buffers(0)[0], 0, 64)
        assert struct.unpack_from("<3f", geom) == (0.5, -1.0, 2.0)
        print("ok", "numpy" in sys.modules and sys.modules["numpy"] is None)

    asyncio.run(main())
    """
)


def test_runtime_runs_without_numpy():
    env = dict(os.environ)
    env.setdefault("XDG_RUNTIME_DIR", "/tmp")
    r = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300, env=env
    )
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.strip() == "ok True"
