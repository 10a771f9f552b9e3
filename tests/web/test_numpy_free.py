"""The modules the page imports work with numpy made unimportable (runtime contract)."""

from __future__ import annotations

import subprocess
import sys


def test_browser_path_imports_no_numpy():
    code = (
        "import sys; sys.modules['numpy'] = None\n"
        "import splatrender.web.app, splatrender.formats.runtime, splatrender.render.renderer\n"
        "import splatrender.gpu.shaders, splatrender.cli.serve\n"
        "print('ok')\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr
