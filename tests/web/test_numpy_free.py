"""The modules the page imports work with numpy made unimportable (runtime contract)."""

from __future__ import annotations

import subprocess
import sys


def _run_without_numpy(code: str) -> subprocess.CompletedProcess:
    code = "import sys; sys.modules['numpy'] = None\n" + code
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


def test_browser_path_imports_no_numpy():
    r = _run_without_numpy(
        "import splatrender.web.app, splatrender.formats.runtime, splatrender.render.renderer\n"
        "import splatrender.shaders, splatrender.cli.serve\n"
        "import splatrender.lod.scene, splatrender.lod.sog_source, splatrender.lod.gpu_decode\n"
        "print('ok')\n"
    )
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr


def test_streamed_sog_decodes_without_numpy(scenes_dir):
    """A streamed SOG node's file is entropy-decoded by the runtime path (CPU side)."""
    r = _run_without_numpy(
        "import asyncio\n"
        "from splatrender.lod.sog_source import SogLodSource\n"
        "async def main():\n"
        f"    src = await SogLodSource.open({str(scenes_dir / 'playbot' / 'lod-meta.json')!r})\n"
        "    part, off, cnt = await src.load(src.hierarchy.roots[0])\n"
        "    print(cnt, part.count)\n"
        "asyncio.run(main())\n"
    )
    assert r.returncode == 0 and r.stdout.split() == ["922", "1873"], r.stderr
