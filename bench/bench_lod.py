"""LOD/streaming benchmark: Taebak_Streaming (4.25M splats) streamed from a local HTTP server.

Reports, as JSON: time to first frame (manifest + root set over HTTP, first render),
frame time at a splat budget vs a plain scene of the same splat count, peak GPU memory
of the LOD pool, bytes fetched in a scripted fly-through, and (with --built) the same for
a set made with ``splatrender lod build`` from the full-detail level.

    python bench/bench_lod.py [--budget 1000000] [--frames 40] [--size 640x360] [--built DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import math
import sys
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENES = ROOT.parent / "shared" / "scenes"


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass


def serve(folder: Path) -> tuple[ThreadingHTTPServer, str]:
    """A local HTTP server on 127.0.0.1 that answers Range requests (http.server does not)."""

    class Handler(_Quiet):
        def send_head(self):
            rng = self.headers.get("Range")
            if not rng:
                return super().send_head()
            path = Path(self.translate_path(self.path))
            data = path.read_bytes()
            a, b = (int(v) for v in rng.removeprefix("bytes=").split("-"))
            body = data[a : b + 1]
            self.send_response(206)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Content-Range", f"bytes {a}-{a + len(body) - 1}/{len(data)}")
            self.end_headers()
            import io

            return io.BytesIO(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=folder))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}/"


def flight(lo, hi, frame: str, n: int, w: int, h: int):
    from splatrender.render.camera import Camera, default_up

    c = [(a + b) / 2 for a, b in zip(lo, hi, strict=True)]
    r = 0.5 * math.dist(lo, hi)
    up = default_up(frame)
    for t in range(n):
        s = t / max(1, n - 1)
        ang = 2.0 * math.pi * 0.5 * s
        d = r * (1.2 - 0.9 * s)  # orbit inwards
        eye = (c[0] + d * math.sin(ang), c[1] + 0.35 * r * up[1], c[2] + d * math.cos(ang))
        yield Camera.look_at(eye, c, up, width=w, height=h, fov_y_deg=60)


async def run_lod(url: str, device, budget: int, frames: int, w: int, h: int) -> dict:
    from splatrender.lod.scene import LodScene
    from splatrender.render.renderer import Renderer

    t0 = time.perf_counter()
    lod = await LodScene.open(url, device, budget=budget)
    r = await Renderer.create(device)
    r.set_pool(lod.pool)
    cams = list(flight(*lod.bounds, lod.frame, frames, w, h))
    await lod.update(cams[0])
    await r.render(cams[0])
    await device.read_buffer(r.output, 0, 4)
    ttff = time.perf_counter() - t0
    times, drawn = [], []
    for cam in cams:
        info = await lod.update(cam)
        t = time.perf_counter()
        await r.render(cam)
        await device.read_buffer(r.output, 0, 4)  # device.done() is broken in wgpu 0.32
        times.append(time.perf_counter() - t)
        drawn.append(info.drawn_splats)
        await asyncio.sleep(0)
    # settle at the last view, then time steady frames at (up to) the full budget
    for _ in range(200):
        info = await lod.update(cams[-1])
        if not lod.streamer.busy and not lod.streamer.ready and info.wanted == 0:
            break
        await asyncio.sleep(0.05)
    steady = []
    for _ in range(3):
        info = await lod.update(cams[-1])
        t = time.perf_counter()
        await r.render(cams[-1])
        await device.read_buffer(r.output, 0, 4)  # device.done() is broken in wgpu 0.32
        steady.append(time.perf_counter() - t)
    out = {
        "time_to_first_frame_s": round(ttff, 3),
        "flythrough_frames": frames,
        "flythrough_ms_median": round(1000 * sorted(times)[len(times) // 2], 1),
        "flythrough_splats_median": sorted(drawn)[len(drawn) // 2],
        "bytes_fetched": getattr(lod.source.fetcher, "bytes", None),
        "bytes_decoded": lod.streamer.stats.bytes,
        "requests": lod.streamer.stats.requests,
        "steady_splats": info.drawn_splats,
        "steady_ms": round(1000 * min(steady), 1),
        "gpu_pool_bytes": lod.gpu_bytes,
    }
    await lod.close()
    return out


async def run_plain(device, count: int, cam) -> dict:
    from splatrender.formats import sog
    from splatrender.formats._io import make_source
    from splatrender.formats.gpu_pack import to_scene_data
    from splatrender.render.renderer import Renderer

    s = sog.read(make_source(SCENES / "Taebak_Streaming" / "lod-meta.json"), lod=1)
    s = s.subset(slice(0, min(count, len(s))))
    r = await Renderer.create(device)
    r.set_scene(to_scene_data(s))
    await r.render(cam)
    ts = []
    for _ in range(3):
        t = time.perf_counter()
        await r.render(cam)
        await device.read_buffer(r.output, 0, 4)  # device.done() is broken in wgpu 0.32
        ts.append(time.perf_counter() - t)
    return {
        "plain_splats": len(s),
        "plain_ms": round(1000 * min(ts), 1),
        "plain_gpu_bytes": r.pool.gpu_bytes,
    }


async def main(args) -> dict:
    from splatrender.gpu import request_device

    device = await request_device()
    w, h = (int(v) for v in args.size.split("x"))
    res = {"adapter": device.info.describe(), "budget": args.budget, "size": args.size}
    httpd, url = serve(SCENES / "Taebak_Streaming")
    try:
        res["sog"] = await run_lod(url + "lod-meta.json", device, args.budget, args.frames, w, h)
    finally:
        httpd.shutdown()
    if args.built:
        httpd, url = serve(Path(args.built))
        try:
            res["built"] = await run_lod(url + "lod.json", device, args.budget, args.frames, w, h)
        finally:
            httpd.shutdown()
    from splatrender.lod.sog_source import SogLodSource

    src = await SogLodSource.open(str(SCENES / "Taebak_Streaming" / "lod-meta.json"))
    cam = list(flight(src.hierarchy.bounds_min, src.hierarchy.bounds_max, "RDF", 2, w, h))[-1]
    res["plain"] = await run_plain(device, args.budget, cam)
    steady = res["sog"]["steady_ms"]
    res["lod_vs_plain_frame_time"] = round(steady / max(res["plain"]["plain_ms"], 1e-9), 2)
    return res


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget", type=int, default=1_000_000)
    ap.add_argument("--frames", type=int, default=40)
    ap.add_argument("--size", default="640x360")
    ap.add_argument("--built", default=None, help="a folder made by `splatrender lod build`")
    ns = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    print(json.dumps(asyncio.run(main(ns)), indent=2))
