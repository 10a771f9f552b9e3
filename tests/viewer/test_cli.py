"""`splatrender view` as a user runs it: no display -> a PNG; with a display -> a window."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.gpu


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(extra)
    return env


def test_without_a_display_it_says_so_and_writes_a_png(scene_copy):
    out = scene_copy.parent / "k.png"
    out.unlink(missing_ok=True)
    proc = subprocess.run(
        [sys.executable, "-m", "splatrender.cli.main", "view", str(scene_copy), "--size", "64x48"],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "no display" in proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == str(out)
    from PIL import Image

    with Image.open(out) as im:
        assert im.size == (64, 48)
        assert im.convert("L").getextrema()[1] > 40  # something was drawn


def test_bad_input_without_a_display_is_a_clean_error(tmp_path):
    bad = tmp_path / "bad.spz"
    bad.write_bytes(b"\x00" * 10)
    proc = subprocess.run(
        [sys.executable, "-m", "splatrender.cli.main", "view", str(bad)],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2
    assert "bad.spz" in proc.stderr and "Traceback" not in proc.stderr
    for args in (["--size", "big"], ["--cameras", str(tmp_path / "none.json")]):
        proc = subprocess.run(
            [sys.executable, "-m", "splatrender.cli.main", "view", str(bad), *args],
            env=_env(),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr


@pytest.mark.display
def test_with_a_display_it_opens_a_window_that_takes_keys(xdisplay, scene_copy):
    cmd = [sys.executable, "-m", "splatrender.cli.main", "view", str(scene_copy)]
    proc = subprocess.Popen(
        [*cmd, "--size", "160x120"],
        env=_env(DISPLAY=xdisplay),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stderr.readline()  # "...: 9,080 splats in N ms" once loaded
        assert "9,080 splats" in line, line + proc.stderr.read()
        win = ""
        t0 = time.perf_counter()
        while not win and time.perf_counter() - t0 < 30:
            r = subprocess.run(["xdotool", "search", "--name", "k.ply"], capture_output=True,
                               text=True, env=_env(DISPLAY=xdisplay))  # fmt: skip
            win = r.stdout.split()[0] if r.stdout.split() else ""
        assert win, "no window titled after the scene"
        subprocess.run(["xdotool", "windowfocus", win], env=_env(DISPLAY=xdisplay), check=True)
        subprocess.run(["xdotool", "key", "p"], env=_env(DISPLAY=xdisplay), check=True)
        shot = proc.stdout.readline().strip()
        assert shot.startswith("screenshot: ") and shot.endswith(".png")
        assert os.path.exists(shot.removeprefix("screenshot: "))
        assert proc.poll() is None  # still running
    finally:
        proc.terminate()
        proc.wait(30)
