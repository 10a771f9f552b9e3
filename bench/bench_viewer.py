"""Frame time of the viewer's window loop beside the offscreen render of the same view.

    python bench/bench_viewer.py [SCENE] [--size 1280x720] [--frames 20]

Window: the real app (glfw window via rendercanvas, drawing as fast as it can) on
$DISPLAY, or on a private Xvfb when there is none; a frame is the interval between
consecutive draws in steady state (render + blit + present, throttled by the
swapchain). Offscreen: ``Renderer.render`` of the same camera, waited for, back to
back. Reports medians and the ratio (target: the window adds < 10%).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SCENE = ROOT.parent / "shared" / "scenes" / "VictorTrumpel__model.splat"


def start_xvfb() -> subprocess.Popen:
    read, write = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as f:
        os.environ["DISPLAY"] = ":" + f.readline().strip()
    return proc


async def bench(args: argparse.Namespace) -> dict:
    from splatrender.gpu import request_device
    from splatrender.viewer.app import ViewerApp, ViewerOptions

    w, h = (int(v) for v in args.size.split("x"))
    device = await request_device(args.adapter)
    opts = ViewerOptions(size=(w, h), mode=args.mode, max_fps=1000, vsync=False)
    app = await ViewerApp.create(opts, "bench", device=device)
    app.open(args.scene)
    while app.loads == 0:
        await asyncio.sleep(0.05)
    if app.scene is None:
        raise SystemExit(f"cannot load {args.scene}: {app.info.error}")
    if app.canvas.get_physical_size() != (w, h):
        print(f"note: window is {app.canvas.get_physical_size()}, asked for {w}x{h}")
    w, h = app.canvas.get_physical_size()
    camera = app.controls.camera(w, h)

    # Alternate offscreen and window batches: the machine's load drifts (shared CPUs).
    renderer = app.renderer
    await renderer.render(camera)  # warm-up (pipelines, buffer growth)
    offscreen: list[float] = []
    window: list[float] = []
    stamps: list[float] = []
    draw = app.draw

    def timed_draw() -> None:
        stamps.append(time.perf_counter())
        draw()

    present_only: list[float] = []

    def timed_blit() -> None:
        stamps.append(time.perf_counter())
        enc = device.encoder("blit-only")
        overlays = app._overlays(w, h)
        app.presenter.present(enc, renderer.output, w, h, overlays)
        device.submit(enc)

    app.canvas.request_draw(timed_draw)
    per_batch = max(1, args.frames // args.rounds)
    for _ in range(args.rounds):
        # Offscreen: the renderer alone, same camera and size, each frame waited for.
        for _ in range(per_batch):
            t0 = time.perf_counter()
            await renderer.render(camera)
            offscreen.append(1000 * (time.perf_counter() - t0))
        # Window: the app's own draw callback, redrawing as fast as it can.
        stamps.clear()
        app.canvas.set_update_mode("fastest")
        warm = 2
        while len(stamps) < per_batch + warm + 1:
            await asyncio.sleep(0.005)
        app.canvas.set_update_mode("ondemand")
        iv = [1000 * (b - a) for a, b in zip(stamps[warm:], stamps[warm + 1 :], strict=False)]
        window += iv[:per_batch]
        await renderer.read_stats()  # drain the window's frames before the next batch
        # Window without rendering: blit the last image + HUD + present (the window's cost).
        stamps.clear()
        app.canvas.request_draw(timed_blit)
        app.canvas.set_update_mode("fastest")
        while len(stamps) < per_batch + warm + 1:
            await asyncio.sleep(0.005)
        app.canvas.set_update_mode("ondemand")
        iv = [1000 * (b - a) for a, b in zip(stamps[warm:], stamps[warm + 1 :], strict=False)]
        present_only += iv[:per_batch]
        await renderer.read_stats()
        app.canvas.request_draw(timed_draw)
    hud_ms = app.frame_stats.median_ms()
    await app.close()
    off, win = statistics.median(offscreen), statistics.median(window)
    return {
        "adapter": device.info.describe(),
        "scene": f"{Path(args.scene).name} ({app.scene.count:,} splats)",
        "size": f"{w}x{h}",
        "offscreen_ms": off,
        "window_ms": win,
        "hud_frame_ms": hud_ms,
        "ratio": win / off,
        "present_ms": statistics.median(present_only),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("scene", nargs="?", default=str(DEFAULT_SCENE))
    p.add_argument("--size", default="1280x720")
    p.add_argument("--frames", type=int, default=24)
    p.add_argument("--rounds", type=int, default=4, help="alternating batches of each")
    p.add_argument("--mode", default="classic")
    p.add_argument("--adapter")
    args = p.parse_args(argv)
    xvfb = None
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        xvfb = start_xvfb()
        print(f"no display: started Xvfb on {os.environ['DISPLAY']}")
    try:
        r = asyncio.run(bench(args))
    finally:
        if xvfb is not None:
            import glfw

            glfw.terminate()
            xvfb.terminate()
            xvfb.wait(10)
    print(f"adapter:   {r['adapter']}")
    print(f"scene:     {r['scene']} at {r['size']}, median of {args.frames} frames")
    print(f"offscreen: {r['offscreen_ms']:.1f} ms/frame (Renderer.render, waited)")
    print(f"window:    {r['window_ms']:.1f} ms/frame (draw to draw, render + blit + present)")
    if r["hud_frame_ms"] is not None:
        print(f"           HUD frame time (draw to GPU done): {r['hud_frame_ms']:.1f} ms")
    print(f"present:   {r['present_ms']:.1f} ms/frame (window without rendering: blit + HUD +"
          " present, draw to draw)")  # fmt: skip
    est = (r["offscreen_ms"] + r["present_ms"]) / r["offscreen_ms"]
    print(f"           (offscreen + present) / offscreen = {est:.3f}")
    verdict = "ok" if r["ratio"] < 1.10 else "over the 10% target"
    print(f"ratio:     {r['ratio']:.3f} (window / offscreen) {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
