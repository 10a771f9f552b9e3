"""The viewer page in headless Chromium: a frame matches the native render, bad files
show an error while the page keeps working, every shared scene loads or says why not,
and a browser without WebGPU gets a plain message."""

from __future__ import annotations

import math
import struct

import numpy as np
import pytest

from tests.web.webtools import load_scene, open_page, psnr, run_native, screenshot_rgb, set_camera

pytestmark = [pytest.mark.browser, pytest.mark.gpu]

PLY = "kacytran1122_try__point_cloud_iter7000.ply"


def _orbit_eye(info: dict, yaw_deg: float) -> list[float]:
    """The default eye turned by ``yaw_deg`` about the scene's up axis through the target."""
    t, e = info["target"], info["eye"]
    d = [e[i] - t[i] for i in range(3)]
    c, s = math.cos(math.radians(yaw_deg)), math.sin(math.radians(yaw_deg))
    # up is +-y in both frames: rotate in the x-z plane
    return [t[0] + c * d[0] + s * d[2], t[1] + d[1], t[2] - s * d[0] + c * d[2]]


def native_render(path, cam: dict, width: int, height: int) -> np.ndarray:
    """The native (wgpu-py, numpy reader) render of the browser's camera, RGB uint8."""
    from splatrender.formats import load
    from splatrender.gpu import request_device
    from splatrender.reference.pool import to_scene_data
    from splatrender.render.camera import Camera
    from splatrender.render.renderer import Renderer

    async def go() -> bytes:
        renderer = await Renderer.create(await request_device())
        renderer.set_scene(to_scene_data(load(path)))
        camera = Camera.look_at(
            cam["eye"], cam["target"], cam["up"], width=width, height=height, fov_y_deg=cam["fov"]
        )
        await renderer.render(camera)
        return await renderer.read_rgba8()

    rgba = np.frombuffer(run_native(go), np.uint8).reshape(height, width, 4)
    return rgba[..., :3]


def test_frame_matches_native_render(desktop, scenes_dir):
    page, _ = desktop
    info = load_scene(page, f"/scenes/shared/{PLY}")
    assert "error" not in info, info
    assert info["count"] == 9080 and info["shDegree"] == 3
    cam = set_camera(page, _orbit_eye(info, 35), info["target"], 50)
    shot = screenshot_rgb(page)
    h, w = shot.shape[:2]
    native = native_render(scenes_dir / PLY, cam, w, h)
    assert native.std() > 5, "the native frame is blank: the camera misses the scene"
    value = psnr(shot, native)
    print(f"canvas vs native PSNR {value:.1f} dB at {w}x{h}")
    assert value >= 40


def test_corrupt_files_show_an_error_and_the_page_keeps_working(desktop, scene_root):
    page, log = desktop
    good = load_scene(page, f"/scenes/shared/{PLY}")
    assert "error" not in good
    header = (
        b"ply\nformat binary_little_endian 1.0\nelement vertex 1000\n"
        + b"".join(b"property float %s\n" % n for n in (b"x", b"y", b"z"))
        + b"end_header\n"
    )
    bad = {
        "truncated.ply": header + b"\0" * 100,
        "garbage.splat": b"\x01" * 33,
        "empty.splat": b"",
        "noise.ply": b"ply\nthis is not a header",
        "points.ply": header + b"\0" * 12000,  # a point cloud, not Gaussians
    }
    for name, data in bad.items():
        (scene_root / name).write_bytes(data)
        r = load_scene(page, f"/scenes/local/{name}")
        assert "error" in r, name
        assert name in r["error"], r["error"]
        shown = page.evaluate(
            "() => document.getElementById('viewer').shadowRoot.querySelector('.toast')"
            "?.textContent || ''"
        )
        assert name in shown, shown
    # Still working: the previous scene is kept and a new view renders.
    state = page.evaluate(
        """async () => {
            const v = document.getElementById('viewer');
            let frames = 0;
            v.addEventListener('frame', () => frames++);
            const cam = v.getCamera();
            v.setCamera({eye: cam.eye.map((x) => x * 1.01), target: cam.target});
            await v.drawn();
            return {count: v.info.count, frames};
        }"""
    )
    assert state == {"count": 9080, "frames": 1}
    assert not log.errors(), log.errors()


def test_non_finite_values_load_without_crashing(desktop, scene_root):
    page, _ = desktop
    rows = []
    for i in range(64):
        x = float("nan") if i % 3 == 0 else float(i % 8) * 0.1
        s = float("inf") if i % 5 == 0 else 0.05
        rows.append(
            struct.pack("<6f4B4B", x, 0.1, 1.0, s, s, s, 200, 100, 50, 255, 255, 128, 128, 128)
        )
    (scene_root / "nan.splat").write_bytes(b"".join(rows))
    r = load_scene(page, "/scenes/local/nan.splat")
    assert r.get("count") == 64, r


# Streamed LOD sets open by their manifest; the count is the full-detail count.
LOD_SETS = {"playbot": 500_000, "Taebak_Streaming": 4_249_286}


@pytest.mark.slow
def test_every_shared_scene_loads_or_says_why(desktop, scenes_dir):
    """Every scene file loads; a SOG level loads as a file set from its meta.json; the
    streamed LOD sets (lod-meta.json) open and draw their root sets."""
    page, _ = desktop
    results = {}
    urls = {f.name: f.name for f in sorted(scenes_dir.iterdir()) if f.is_file()}
    urls.pop("MANIFEST.md", None)
    for name in LOD_SETS:
        urls[name] = f"{name}/lod-meta.json"
    urls["playbot/6_0 (SOG folder)"] = "playbot/6_0/meta.json"
    for key, rel in urls.items():
        r = load_scene(page, f"/scenes/shared/{rel}")
        results[key] = r.get("count", r.get("error"))
        assert "error" not in r, (key, r)
        assert r["count"] == LOD_SETS.get(key, r["count"]) > 0
    for name, value in results.items():
        print(f"{name}: {value}")
    assert results["playbot/6_0 (SOG folder)"] == 1873


def test_no_webgpu_shows_a_plain_message(browser, server):
    ctx, page, log = open_page(browser, "about:blank", viewport={"width": 320, "height": 240})
    page.add_init_script(
        "Object.defineProperty(Navigator.prototype, 'gpu', {get: () => undefined})"
    )
    page.goto(server.url + "index.html")
    text = page.evaluate(
        """async () => {
            const v = document.getElementById('viewer');
            try { await v.ready; } catch (e) { /* expected */ }
            return v.shadowRoot.querySelector('.message').textContent;
        }"""
    )
    assert "does not support WebGPU" in text
    assert not log.errors(), log.errors()
    ctx.close()


def test_events_and_budget(desktop, scenes_dir, scene_root):
    """progress/load/error events reach listeners; the budget attribute caps drawn splats."""
    page, _ = desktop
    (scene_root / "bad.splat").write_bytes(b"\0" * 31)
    r = page.evaluate(
        """async () => {
            const v = document.getElementById('viewer');
            const seen = {progress: [], load: null, error: null, visible: []};
            v.addEventListener('progress', (e) => seen.progress.push(e.detail.stage));
            v.addEventListener('load', (e) => { seen.load = e.detail.count; });
            v.addEventListener('error', (e) => { seen.error = e.detail.message; });
            v.addEventListener('frame', (e) => seen.visible.push(e.detail.visible));
            await v.load('/scenes/shared/VictorTrumpel__model.splat');
            const all = seen.visible.at(-1);
            v.setAttribute('budget', '1000');  // whole 65,536-splat pages
            await v.drawn();
            const capped = seen.visible.at(-1);
            v.setAttribute('budget', '0');
            await v.load('/scenes/local/bad.splat').catch(() => {});
            return {...seen, all, capped};
        }"""
    )
    assert r["load"] == 124495
    assert {"download", "decode", "ready"} <= set(r["progress"])
    assert "bad.splat" in r["error"]
    assert r["capped"] <= 65536 < r["all"]


def test_bench_url_flag_publishes_results(browser, server):
    """index.html?bench=N orbits N frames after loading and publishes the timings."""
    from tests.web.webtools import open_page

    url = (
        f"{server.url}index.html?ui=0&max-pixel-ratio=1&bench=3"
        "&src=/scenes/shared/kacytran1122_try__point_cloud_iter7000.ply"
    )
    ctx, page, log = open_page(browser, url, viewport={"width": 96, "height": 64})
    try:
        page.wait_for_function("() => window.benchResult")
        r = page.evaluate("() => window.benchResult")
    finally:
        ctx.close()
    assert "error" not in r, r
    assert r["splats"] == 9080 and (r["width"], r["height"]) == (96, 64)
    assert len(r["frames_ms"]) == 3 and all(ms > 0 for ms in r["frames_ms"])
    assert r["adapter"]
    if r["timing"] == "gpu-timestamps":
        assert {"project", "depth-sort", "raster"} <= set(r["stages_ms"])
    assert not log.errors(), log.errors()


def test_up_attribute_and_u_key(desktop, scenes_dir):
    """``up="-y"`` turns justdealman's upside-down SPZ (its frame as the native render
    with that up); U flips it back; a bad value is an error event, the scene stays."""
    page, _ = desktop
    name = "justdealman__model.spz"
    r = page.evaluate(
        """async (url) => {
            const v = document.getElementById('viewer');
            v.setAttribute('up', '-y');
            const info = await v.load(url);
            return {info, cam: v.getCamera()};
        }""",
        f"/scenes/shared/{name}",
    )
    info, cam = r["info"], r["cam"]
    assert (info["upLabel"], info["upHow"]) == ("-y", "user")
    assert cam["up"] == pytest.approx([0, -1, 0], abs=1e-9)
    shot = screenshot_rgb(page)
    h, w = shot.shape[:2]
    value = psnr(shot, native_render(scenes_dir / name, cam, w, h))
    print(f"up -y: canvas vs native PSNR {value:.1f} dB at {w}x{h}")
    assert value >= 40
    page.locator("#viewer").focus()
    page.keyboard.press("u")
    r = page.evaluate(
        """async () => {
            const v = document.getElementById('viewer');
            await v.drawn();
            const seen = {error: null};
            v.addEventListener('error', (e) => { seen.error = e.detail.message; }, {once: true});
            const after = {up: v.getCamera().up, how: v.info.upHow, label: v.info.upLabel};
            v.setAttribute('up', 'sideways');
            v.removeAttribute('up');  // back to the scene's own for the other tests
            return {...after, ...seen, still: v.info.count};
        }"""
    )
    assert (r["label"], r["how"]) == ("+y", "user") and r["up"] == pytest.approx([0, 1, 0])
    assert "up must be one of" in r["error"] and r["still"] == 116549


def test_camera_set_from_script_draws_without_waiting_for_an_animation_frame(desktop):
    """setCamera starts the frame at once (not at the next animation frame), but at most
    one frame starts per animation-frame interval: a change made just after one started
    waits for the tick."""
    page, _ = desktop
    info = load_scene(page, f"/scenes/shared/{PLY}")
    assert "error" not in info, info
    r = page.evaluate(
        """async ([eye, target]) => {
            const v = document.getElementById('viewer');
            await v.drawn();
            await new Promise((res) => requestAnimationFrame(res));  // a tick since
            let ticks = 0;
            const count = () => { ticks++; requestAnimationFrame(count); };
            requestAnimationFrame(count);
            v.setCamera({eye, target});
            await Promise.resolve();
            const first = {busy: v.busy, ticks};
            await v.drawn();
            const startedAt = v._frameStartAt;
            const before = ticks;
            v.setCamera({eye: target.map((t, i) => t + 0.9 * (eye[i] - t)), target});
            await Promise.resolve();
            // no tick since the last frame started: this one waits for the next tick
            const second = {busy: v.busy, again: v._frameStartAt !== startedAt,
                            ticked: ticks !== before, tickedSinceStart: v._tickAt > startedAt};
            await v.drawn();
            return {first, second};
        }""",
        [info["eye"], info["target"]],
    )
    assert r["first"] == {"busy": True, "ticks": 0}, r
    s = r["second"]
    if s["tickedSinceStart"]:  # the last frame outlasted a display interval: may start
        assert s["busy"] and s["again"], r
    else:
        assert not s["busy"] and not s["again"], r
