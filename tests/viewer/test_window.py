"""The viewer in a real glfw window on a private Xvfb, driven by real X input (xdotool).

One window serves the whole module (opening one on lavapipe takes seconds). Images
are read back from the renderer's output buffer: the frame the window presents.
(Xvfb does not show what Vulkan's software swapchain presents to XGetImage, so a
screen grab would only see black; the blit itself is tested in test_present.py.)
"""

from __future__ import annotations

import asyncio
import functools
import http.server
import threading
import time

import numpy as np
import pytest

pytestmark = [pytest.mark.gpu, pytest.mark.display]

W, H = 320, 240
TIMEOUT = 60.0


async def until(cond, what: str, timeout: float = TIMEOUT) -> None:
    """Run the loop (so the window works) until ``cond()`` holds."""
    t0 = time.perf_counter()
    while not cond():
        if time.perf_counter() - t0 > timeout:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def xdo(*args: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        "xdotool", *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, f"xdotool {args}: {err.decode()}"
    return out.decode()


def window_id(app) -> str:
    import glfw

    return str(glfw.get_x11_window(app.canvas._window))


async def fresh_frame(app) -> np.ndarray:
    """Draw once more (after all input so far) and read that frame back."""
    await until(lambda: not app.controls._keys, "keys released")
    n = app.draws
    app.canvas.request_draw()
    await until(lambda: app.draws > n, "a frame")
    rgba = await app.renderer.read_rgba8()
    w, h = app.renderer.size
    return np.frombuffer(rgba, np.uint8).reshape(h, w, 4)[..., :3].astype(np.int32)


def lit(img: np.ndarray) -> np.ndarray:
    return img.sum(axis=2) > 40


async def drag(win: str, button: int, x0: int, y0: int, x1: int, y1: int) -> None:
    await xdo("mousemove", "--window", win, str(x0), str(y0))
    await xdo("mousedown", str(button))
    for i in range(1, 5):
        x = x0 + (x1 - x0) * i // 4
        y = y0 + (y1 - y0) * i // 4
        await xdo("mousemove", "--window", win, str(x), str(y))
        await asyncio.sleep(0.03)
    await xdo("mouseup", str(button))


async def key(win: str, *keys: str) -> None:
    await xdo("windowfocus", win)
    await xdo("key", "--delay", "30", *keys)


@pytest.fixture(scope="module")
def glfw_display(xdisplay):
    """The Xvfb display for glfw windows; glfw lets go of it before Xvfb stops."""
    yield xdisplay
    import gc

    import glfw
    from rendercanvas.glfw import RenderCanvas

    # A window a failed test left open (its app kept alive by the traceback) is closed,
    # and what held its surface collected, while the X connection is still there:
    # releasing a surface after glfw.terminate() reads freed memory (native_present.py).
    for canvas in RenderCanvas._rc_canvas_group.get_canvases():
        canvas.close()
    gc.collect()
    glfw.terminate()  # else the dead X connection ends the process (XIO fatal error)


@pytest.fixture(scope="module")
def app(glfw_display, device, run, scene_copy):
    from splatrender.viewer.app import ViewerApp, ViewerOptions

    opts = ViewerOptions(size=(W, H), max_fps=60)
    viewer = run(ViewerApp.create(opts, "splatrender test", device=device))

    async def start():
        viewer.open(str(scene_copy))
        await until(lambda: viewer.loads == 1 and viewer.scene is not None, "the scene to load")
        await until(lambda: viewer.info.drawn, "a frame with counts")

    run(start())
    viewer.start_image = run(fresh_frame(viewer))
    yield viewer
    run(viewer.close())


def test_window_shows_the_scene_with_title_and_hud(app, run, scene_copy):
    assert app.canvas.get_physical_size() == (W, H)
    assert app.renderer.size == (W, H)
    img = app.start_image
    assert lit(img).mean() > 0.05  # the scene is there
    title = run(xdo("getwindowname", window_id(app))).strip()
    assert title.startswith("k.ply")
    assert app.info.total == 9080 and 0 < app.info.drawn <= 9080
    assert app.info.adapter and app.info.width == W
    assert app.hud.visible and app._overlay_key is not None  # HUD overlay uploaded


def test_orbit_drag_moves_the_image(app, run):
    async def go():
        before = await fresh_frame(app)
        yaw = app.controls.yaw
        n = app.draws
        await drag(window_id(app), 1, 100, 120, 180, 130)
        await until(lambda: app.controls.yaw != yaw, "orbit")
        assert app.draws > n  # input drew frames
        after = await fresh_frame(app)
        assert np.abs(after - before).mean() > 2.0
        app.controls.reset()

    run(go())


def test_wheel_dolly_enlarges_and_f_frames(app, run):
    async def go():
        app.controls.reset()
        before = await fresh_frame(app)
        d0 = app.controls.distance
        win = window_id(app)
        await xdo("mousemove", "--window", win, str(W // 2), str(H // 2))
        await xdo("click", "--repeat", "4", "--delay", "40", "4")  # wheel up: closer
        await until(lambda: app.controls.distance < 0.8 * d0, "dolly in")
        closer = await fresh_frame(app)
        assert lit(closer).sum() > 1.3 * lit(before).sum()  # the object got bigger
        # Pan it off-centre, then F brings back the framed view.
        await drag(win, 3, 160, 120, 290, 200)
        await until(lambda: app.controls.target != app.controls.center, "pan")
        moved = await fresh_frame(app)
        assert np.abs(moved - before).mean() > 2.0
        await key(win, "f")
        await until(lambda: app.controls.target == app.controls.center, "F")
        framed = await fresh_frame(app)
        assert np.abs(framed - before).mean() < 0.5  # same direction: the start view again

    run(go())


def test_keys_fly_fov_hud_and_reset(app, run):
    async def go():
        win = window_id(app)
        app.controls.reset()
        start = await fresh_frame(app)
        eye, fov = app.controls.eye, app.controls.fov_y_deg
        n = app.draws
        await xdo("windowfocus", win)
        await xdo("keydown", "w")
        await until(lambda: app.draws > n + 3, "frames while W is held")
        await xdo("keyup", "w")
        await until(lambda: not app.controls.moving, "W released")
        assert app.controls.eye != eye
        await key(win, "equal")  # "+": a wider field of view
        await until(lambda: app.controls.fov_y_deg > fov, "+")
        await key(win, "h")
        await until(lambda: not app.hud.visible, "H hides the HUD")
        await key(win, "h", "r")
        await until(lambda: app.hud.visible and app.controls.fov_y_deg == fov, "H, R")
        assert np.abs(await fresh_frame(app) - start).mean() < 0.5

    run(go())


def test_u_turns_the_scene_over_and_the_hud_says_so(app, run):
    async def go():
        win = window_id(app)
        app.controls.reset()
        start = await fresh_frame(app)
        first = app.controls.upright
        assert app.info.up == f"{first.label} ({first.how})"  # k.ply: the upright guess
        await key(win, "u")
        await until(lambda: app.controls.upright.label != first.label, "U")
        turned = await fresh_frame(app)
        assert np.abs(turned - start).mean() > 2.0
        assert app.info.up.endswith("(user)") and app.info.up.startswith(app.controls.upright.label)
        await key(win, "u")
        await until(lambda: app.controls.upright.label == first.label, "U again")
        assert np.abs(await fresh_frame(app) - start).mean() < 0.5  # turned back: the start view

    run(go())


def test_p_saves_a_screenshot_next_to_the_scene(app, run, scene_copy, capsys):
    async def go():
        await key(window_id(app), "p")
        await until(lambda: list(scene_copy.parent.glob("k.screenshot*.png")), "a screenshot")

    run(go())
    from PIL import Image

    path = sorted(scene_copy.parent.glob("k.screenshot*.png"))[0]
    with Image.open(path) as im:
        assert im.size == (W, H)
    assert str(path) in capsys.readouterr().out


def test_bad_file_shows_an_error_and_the_viewer_keeps_running(app, run, tmp_path, capsys):
    bad = tmp_path / "broken.ply"
    bad.write_bytes(b"ply\nformat binary_little_endian 1.0\nelement vertex 99999\n")

    async def go():
        before = await fresh_frame(app)
        loads = app.loads
        app._drop_callback(None, [str(bad)])  # what glfw calls when a file is dropped
        await until(lambda: app.loads > loads, "the bad load to finish")
        assert "broken.ply" in app.info.error
        assert not app.canvas.get_closed()
        # The old scene stays on screen and input still draws.
        n = app.draws
        await key(window_id(app), "Escape")
        await until(lambda: app.draws > n and not app.info.error, "a frame after the error")
        assert np.abs(await fresh_frame(app) - before).mean() < 0.5

    run(go())
    assert "broken.ply" in capsys.readouterr().err


def test_dropping_a_file_opens_it(app, run, scene_copy, tmp_path):
    other = tmp_path / "other.ply"
    other.write_bytes(scene_copy.read_bytes())

    async def go():
        loads = app.loads
        app._drop_callback(None, [str(other)])
        await until(lambda: app.loads > loads and app.source == str(other), "the dropped file")
        await until(lambda: "other.ply" in run_title(), "the new title")

    def run_title():
        import glfw

        return glfw.get_window_title(app.canvas._window) or ""

    run(go())


def test_dropping_several_files_draws_them_together_and_an_animated_one_keeps_drawing(
    app, run, scene_copy, scenes_dir
):
    from splatrender.scene.modifiers import Modifier
    from splatrender.scene.objects import ObjectScene

    guitar = str(scenes_dir / "guitar.compressed.ply")

    async def go():
        loads = app.loads
        app._drop_callback(None, [str(scene_copy), guitar])
        await until(lambda: app.loads > loads, "the two files")
        assert isinstance(app.scene, ObjectScene) and len(app.scene.objects) == 2
        assert app.info.total == 9080 + 90_854 and not app.info.error
        assert lit(await fresh_frame(app)).mean() > 0.02
        # A reveal (clock-driven) makes the idle window draw frame after frame.
        app.scene.set_modifier(1, Modifier.builtin("reveal", (0.5, 0.2, 0.3, 0)))
        app.canvas.request_draw()
        n = app.draws
        await until(lambda: app.draws >= n + 3, "animation frames")
        app.scene.set_modifier(1, None)
        loads = app.loads
        app.open(str(scene_copy))
        await until(lambda: app.loads > loads, "back to one file")

    run(go())


def test_url_downloads_with_progress(app, run, scene_copy):
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(scene_copy.parent)
    )
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    statuses = []
    original = app._status
    app._status = lambda text: (statuses.append(text), original(text))
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/k.ply"

        async def go():
            loads = app.loads
            app.open(url)
            await until(lambda: app.loads > loads, "the download")

        run(go())
    finally:
        app._status = original
        server.shutdown()
    assert app.source == url and app.info.total == 9080 and not app.info.error
    assert any("downloading k.ply: 100%" in s for s in statuses)


def test_lod_set_streams_in_and_then_stops_drawing(app, run, scenes_dir, scene_copy):
    app.opts.lod_budget = 20_000

    async def go():
        loads = app.loads
        app.open(str(scenes_dir / "playbot"))  # a folder holding lod-meta.json
        await until(lambda: app.loads > loads, "the LOD set to open")
        assert app.scene.streamed and not app.info.error
        assert app.info.total == 500_000
        # Streaming draws a fresh frame whenever the drawable cut changes, then stops.
        await until(lambda: app._lod_task is not None and app._lod_task.done(), "streaming")
        assert 0 < app.info.drawn <= 20_000 * 1.5
        img = await fresh_frame(app)
        assert lit(img).mean() > 0.02
        await until(lambda: app._lod_task.done(), "streaming after the last frame")
        loads = app.loads
        app.open(str(scene_copy))
        await until(lambda: app.loads > loads and not app.scene.streamed, "back to the PLY")

    run(go())


def test_resize_renders_at_the_new_physical_size(app, run):
    async def go():
        await xdo("windowsize", window_id(app), "400", "300")
        await until(lambda: app.renderer.size == (400, 300), "a frame at the new size")
        assert app.canvas.get_physical_size() == (400, 300)
        await xdo("windowsize", window_id(app), str(W), str(H))
        await until(lambda: app.renderer.size == (W, H), "the old size back")

    run(go())


def test_idle_window_draws_nothing(app, run):
    submits = []
    submit = app.device.submit

    async def go():
        n = app.draws
        app.canvas.request_draw()
        await until(lambda: app.draws > n, "one frame")
        await asyncio.sleep(0.3)  # let that frame's follow-up work finish
        app.device.submit = lambda enc: (submits.append(enc), submit(enc))
        idle = app.draws
        await asyncio.sleep(1.0)  # the loop keeps running: events are polled
        assert app.draws == idle, "an idle window drew frames"
        await xdo("mousemove", "--window", window_id(app), "5", "5")  # no button: no draw
        await asyncio.sleep(0.3)
        assert app.draws == idle

    try:
        run(go())
    finally:
        app.device.submit = submit
    assert submits == []


@pytest.mark.parametrize("how", ["app.close", "window close button"])
def test_closing_frees_the_window_surface_before_the_window_goes(glfw_display, device, run, how):
    """The wgpu surface must be gone when the window is: freed later by the garbage
    collector (after glfw or the X server has gone) its release crashes lavapipe."""
    import weakref

    import glfw

    from splatrender.viewer.app import ViewerApp, ViewerOptions

    async def go():
        other = await ViewerApp.create(ViewerOptions(size=(64, 48)), "closing", device=device)
        await until(lambda: other.draws > 0, "a first frame")
        surface = weakref.ref(other.presenter.context._wgpu_context)
        if how == "app.close":
            await other.close()
        else:
            glfw.set_window_should_close(other.canvas._window, True)
            await until(other.canvas.get_closed, "the window to close")
        assert surface() is None  # no gc.collect(): freed by the close itself

    run(go())
