"""Fixtures for the viewer tests: a private Xvfb display and small scene copies."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

SCENE = "kacytran1122_try__point_cloud_iter7000.ply"  # 9,080 splats: quick on lavapipe


def _need(tool: str) -> None:
    if shutil.which(tool) is None:
        msg = f"{tool} not installed (Debian: apt-get install xvfb xdotool)"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)


@pytest.fixture(scope="module")
def xdisplay():
    """Start ``Xvfb`` on a free display number (it picks one: -displayfd), set $DISPLAY."""
    _need("Xvfb")
    _need("xdotool")
    read, write = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as f:
        number = f.readline().strip()  # written once the server accepts connections
    if not number:
        proc.kill()
        pytest.fail("Xvfb did not start")
    old = {k: os.environ.get(k) for k in ("DISPLAY", "WAYLAND_DISPLAY")}
    os.environ["DISPLAY"] = f":{number}"
    os.environ.pop("WAYLAND_DISPLAY", None)
    try:
        yield f":{number}"
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def scene_copy(scenes_dir, tmp_path_factory) -> Path:
    """A real scene copied to a temporary folder (screenshots are written next to it)."""
    folder = tmp_path_factory.mktemp("viewer-scene")
    dst = folder / "k.ply"
    shutil.copyfile(scenes_dir / SCENE, dst)
    return dst
