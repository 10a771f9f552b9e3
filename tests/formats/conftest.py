"""Fixtures for format tests: an independent implementation (@playcanvas/splat-transform).

The CLI is installed with npm into a cache outside the repository
(``$SPLATRENDER_TEST_CACHE`` or ``~/.cache/splatrender-tests/node``) and reused. If it
cannot be installed, tests that need it fail on CI (env ``CI`` set) and skip, saying
why, elsewhere.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.conftest import unavailable

PACKAGE = "@playcanvas/splat-transform@^3"


def _cache() -> Path:
    base = os.environ.get("SPLATRENDER_TEST_CACHE") or Path.home() / ".cache" / "splatrender-tests"
    return Path(base) / "node"


def _unavailable(why: str):
    unavailable(f"splat-transform unavailable: {why}")


class SplatTransform:
    """Runs the splat-transform CLI: ``st(input, output, *options)``."""

    def __init__(self, exe: Path) -> None:
        self.exe = exe
        self.env = dict(os.environ)
        self.env.setdefault("XDG_RUNTIME_DIR", tempfile.gettempdir())

    def __call__(self, *args: str | os.PathLike, timeout: float = 600) -> None:
        cmd = [str(self.exe), "-q", "-w", "-g", "cpu", *map(str, args)]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=self.env)
        if r.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} failed:\n{r.stdout}\n{r.stderr}")

    def version(self) -> str:
        r = subprocess.run(
            [str(self.exe), "--version"], capture_output=True, text=True, timeout=120, env=self.env
        )
        return (r.stdout + r.stderr).strip()


@pytest.fixture(scope="session")
def splat_transform() -> SplatTransform:
    cache = _cache()
    exe = cache / "node_modules" / ".bin" / "splat-transform"
    if not exe.exists():
        npm = shutil.which("npm")
        if npm is None:
            _unavailable("npm is not installed")
        cache.mkdir(parents=True, exist_ok=True)
        if not (cache / "package.json").exists():
            (cache / "package.json").write_text('{"private": true}\n')
        r = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--prefix", str(cache), PACKAGE],
            capture_output=True,
            text=True,
            timeout=900,
        )
        if r.returncode != 0 or not exe.exists():
            _unavailable(f"npm install {PACKAGE} failed:\n{r.stderr[-2000:]}")
    tool = SplatTransform(exe)
    v = tool.version()
    if " v3." not in f" {v}":
        _unavailable(f"expected splat-transform 3.x, found {v!r}")
    return tool
