"""The package as a user gets it: the wheel built from this tree, installed into a fresh
venv (no source tree on the path), then ``web fetch-runtime`` and ``serve`` on a shared
scene, drawn in headless Chromium at 1280x720 and on a 390x844 touch phone."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.web.webtools import drawn_info, open_page, screenshot_rgb

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.gpu]

ROOT = Path(__file__).resolve().parents[2]
SCENE = "guitar.compressed.ply"


def sh(*cmd, cwd: Path, timeout: float = 900) -> str:
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, f"{cmd} failed:\n{r.stdout}\n{r.stderr}"
    return r.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """``bin/`` of a fresh venv holding only the wheel (and its dependencies)."""
    tmp = tmp_path_factory.mktemp("install")
    dist = tmp / "dist"
    sh(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, ROOT, cwd=tmp)
    (wheel,) = dist.glob("splatrender-*.whl")
    venv.create(tmp / "venv", with_pip=True)
    bin_ = tmp / "venv" / "bin"
    sh(bin_ / "python", "-m", "pip", "install", "-q", wheel, cwd=tmp)
    where = sh(bin_ / "python", "-c", "import splatrender; print(splatrender.__file__)", cwd=tmp)
    assert Path(where.strip()).is_relative_to(tmp / "venv"), where
    return bin_


@pytest.fixture(scope="module")
def served(installed, scenes_dir, tmp_path_factory):
    """``splatrender serve SCENE`` from the fresh venv, run outside the source tree."""
    cwd = tmp_path_factory.mktemp("user")
    runtime = sh(installed / "splatrender", "web", "fetch-runtime", "-q", cwd=cwd).strip()
    assert Path(runtime).is_dir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    p = subprocess.Popen(
        [installed / "splatrender", "serve", scenes_dir / SCENE, "--port", "0"],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        note = p.stderr.readline()
        assert runtime in note, note  # the local runtime, not the CDN
        line = ""
        while not line.startswith("Serving"):
            line = p.stdout.readline()
            assert line, f"serve exited: {p.stderr.read()}"
        yield line.split()[-1]
    finally:
        p.terminate()
        p.wait(timeout=10)


@pytest.mark.parametrize(
    "device",
    [
        {"viewport": {"width": 1280, "height": 720}},
        {
            "viewport": {"width": 390, "height": 844},
            "has_touch": True,
            "is_mobile": True,
            "device_scale_factor": 2,
        },
    ],
    ids=["desktop-1280x720", "phone-390x844-touch"],
)
def test_serve_from_the_wheel_draws_the_scene(served, browser, device):
    assert "?src=/scenes/" + SCENE in served
    origin = served.split("?")[0]
    ctx, page, log = open_page(browser, served + "&ui=0", **device)
    outside: list[str] = []
    page.route(
        "**/*",
        lambda r: r.continue_() if r.request.url.startswith(origin) else outside.append(r),
    )
    info = drawn_info(page)
    img = screenshot_rgb(page)
    ctx.close()
    print(info)
    assert info["count"] == 90_854
    assert tuple(info["canvas"]) == tuple(
        device["viewport"][k] * device.get("device_scale_factor", 1) for k in ("width", "height")
    )
    assert (img.astype(int).sum(axis=2) > 30).mean() > 0.01, "nothing drawn"  # the guitar: ~3%
    assert not outside, [r.request.url for r in outside]
    assert not log.errors(), log.errors()
