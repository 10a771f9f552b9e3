"""LOD/streaming benchmark: Taebak_Streaming (4.25M splats) and a set built from it.

Both sets are served from a local HTTP server (Range requests, bytes counted on the
server). For each set it reports, as JSON:

- time to first frame: open (manifest + root set over HTTP) + first update + render;
- a scripted fly-through (orbit closing in): ms and drawn splats per frame, bytes and
  requests fetched while flying, pool evictions and dropped uploads;
- peak GPU memory (every buffer reachable from the renderer and the LOD scene);
- frame time at the budget against plain scenes, at a few settled views along the
  path, the variants interleaved frame by frame with the same camera and size:
  ``lod`` (update + render from the paged pool), ``same`` (a plain scene made of
  exactly the splats the LOD frame draws, read back from the pool: the LOD runtime's
  own cost) and ``subset`` (a plain scene of ``budget`` splats picked uniformly at
  random from the full-detail level: "a plain 1M-splat scene" of this capture).
  Medians of wall and process-CPU ms, visible splats and tile pairs per variant, the
  per-stage GPU timestamps of one extra frame, and the ratios;
- quality vs budget: PSNR of settled LOD frames against the full-detail render of the
  same view (all 4.25M splats, one plain scene), for several budgets.

    python bench/bench_lod.py --built OUT_OF_LOD_BUILD [--built ...] -o bench/results/raw/lod.json
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import math
import os
import platform
import statistics
import sys
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENES = ROOT.parent / "shared" / "scenes"
TAEBAK = SCENES / "Taebak_Streaming"


# -- local HTTP server ---------------------------------------------------------------
class Server:
    """127.0.0.1 static server answering Range requests; counts the body bytes sent."""

    def __init__(self, folder: Path) -> None:
        self.sent = 0
        self.requests = 0
        lock = threading.Lock()
        server = self

        class Handler(SimpleHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def send_head(self):
                rng = self.headers.get("Range")
                if not rng:
                    return super().send_head()
                path = Path(self.translate_path(self.path))
                a, b = (int(v) for v in rng.removeprefix("bytes=").split("-"))
                size = path.stat().st_size
                with open(path, "rb") as f:  # read only the range, not the 90 MB bundle
                    f.seek(a)
                    body = f.read(min(b, size - 1) - a + 1)
                self.send_response(206)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Content-Range", f"bytes {a}-{a + len(body) - 1}/{size}")
                self.end_headers()
                import io

                return io.BytesIO(body)

            def copyfile(self, source, outputfile):
                data = source.read()
                outputfile.write(data)
                with lock:
                    server.sent += len(data)
                    server.requests += 1

        self.httpd = ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(Handler, directory=folder)
        )
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# -- cameras ---------------------------------------------------------------------------
def flight_camera(lo, hi, axes: str, w: int, h: int, s: float):
    """The scripted path at ``s`` in [0, 1]: half an orbit, closing in from 1.2 to 0.3 radii."""
    from splatrender.render.camera import Camera, default_up

    c = [(a + b) / 2 for a, b in zip(lo, hi, strict=True)]
    r = 0.5 * math.dist(lo, hi)
    up = default_up(axes)
    ang = math.pi * s
    d = r * (1.2 - 0.9 * s)
    eye = (c[0] + d * math.sin(ang), c[1] + 0.35 * r * up[1], c[2] + d * math.cos(ang))
    return Camera.look_at(eye, c, up, width=w, height=h, fov_y_deg=60)


# -- helpers ---------------------------------------------------------------------------
def med(xs):
    return round(statistics.median(xs), 1) if xs else None


async def sync(device, r) -> None:
    await device.read_buffer(r.output, 0, 4)  # waits for the frame (device.done() on wgpu 0.32)


async def settle(lod, cam, timeout: float = 300.0):
    """Update at ``cam`` until nothing is wanted, in flight or waiting for upload."""
    t_end = time.perf_counter() + timeout
    while True:
        info = await lod.update(cam)
        idle = not lod.streamer.busy and not lod.streamer.ready
        if (idle and info.wanted == 0) or time.perf_counter() > t_end:
            return info
        await lod.streamer.drain(30)


async def prepare(device, r, cam) -> None:
    """Render until the renderer's buffers fit this view (growth redraws are not timed)."""
    await r.render(cam)
    await sync(device, r)


async def timed_frame(device, r, cam, update=None) -> dict:
    """One frame: optional LOD update, encode, submit, wait. Wall and process-CPU ms."""
    c0, t0 = time.process_time(), time.perf_counter()
    if update is not None:
        await update(cam)
    t1 = time.perf_counter()
    enc = device.encoder("frame")
    r.encode(enc, cam)
    device.submit(enc)
    await sync(device, r)
    t2 = time.perf_counter()
    out = {
        "ms": 1000 * (t2 - t0),
        "update_ms": 1000 * (t1 - t0),
        "cpu_ms": 1000 * (time.process_time() - c0),
    }
    st = await r.read_stats()
    out.update(splats=st.splats, visible=st.visible, pairs=st.pairs, overflow=st.overflow)
    return out


async def stage_ms(device, r, cam) -> dict[str, float]:
    device.begin_timing()
    enc = device.encoder("frame")
    r.encode(enc, cam)
    device.submit(enc)
    await sync(device, r)
    return {k: round(v, 1) for k, v in (await device.end_timing()).items()}


async def snapshot(lod, drawn: list[int], name: str):
    """The drawn splats read back from the pool as one plain scene (same records, same order)."""
    from splatrender.render.scene_data import SceneData

    pool, dev = lod.pool, lod.device
    geo, sh = bytearray(), bytearray()
    n = 0
    for i in drawn:
        for p in lod.table.pages(i):
            c = pool.counts[p]
            if not c:
                continue
            g, s = pool.page_buffers(p)
            geo += await dev.read_buffer(g, 0, c * pool.geom_stride)
            if pool.sh_stride:
                sh += await dev.read_buffer(s, 0, c * pool.sh_stride)
            n += c
    lo, hi = lod.bounds
    return SceneData(n, pool.sh_degree, bytes(geo), bytes(sh), lod.axes, lo, hi, name)


def gpu_bytes(*roots) -> int:
    from splatrender.bench.runner import gpu_bytes as walk

    return walk(*roots)


async def image(device, r, cam):
    import numpy as np

    await r.render(cam)
    px = np.frombuffer(await r.read_rgba8(), np.uint8).reshape(cam.height, cam.width, 4)
    return px[..., :3].astype(np.float64) / 255


# -- one LOD set -------------------------------------------------------------------------
async def bench_set(device, folder: Path, manifest: str, plain: dict, args, path) -> dict:
    from splatrender.lod.scene import LodScene
    from splatrender.render.renderer import Renderer

    cam_at = functools.partial(flight_camera, *path)
    srv = Server(folder)
    out: dict = {"folder": str(folder), "manifest": manifest}
    try:
        if args.quality_only:
            out["quality"] = await quality(device, srv, manifest, plain, args, cam_at)
            return out
        # time to first frame
        t0 = time.perf_counter()
        lod = await LodScene.open(srv.url + manifest, device, budget=args.budget)
        t_open = time.perf_counter() - t0
        r = await Renderer.create(device)
        r.set_pool(lod.pool)
        info = await lod.update(cam_at(0.0))
        await r.render(cam_at(0.0))
        await sync(device, r)
        out["time_to_first_frame_s"] = round(time.perf_counter() - t0, 3)
        out["open_s"] = round(t_open, 3)
        out["first_frame_splats"] = info.drawn_splats
        out["bytes_before_flight"] = srv.sent
        out["pool"] = {
            "pages": lod.pool.num_pages,
            "page_size": lod.pool.page_size,
            "bytes": lod.gpu_bytes,
        }
        peak = gpu_bytes(r, lod)

        # fly-through: frames back to back, streaming in the background
        b0, q0 = srv.sent, srv.requests
        fly = []
        for k in range(args.flight):
            cam = cam_at(k / max(1, args.flight - 1))
            f = await timed_frame(device, r, cam, lod.update)
            if f["overflow"]:
                await r.grow_if_needed()
            last = lod.last_info
            f.update(drawn=last.drawn_splats, target=last.target_splats, wanted=last.wanted)
            fly.append(f)
            peak = max(peak, gpu_bytes(r, lod))
            await asyncio.sleep(0)
        out["flythrough"] = {
            "frames": len(fly),
            "ms_median": med([f["ms"] for f in fly]),
            "update_ms_median": med([f["update_ms"] for f in fly]),
            "drawn_median": int(statistics.median(f["drawn"] for f in fly)),
            "target_median": int(statistics.median(f["target"] for f in fly)),
            "bytes_fetched": srv.sent - b0,
            "requests": srv.requests - q0,
            "evictions": lod.table.evictions,
            "dropped_uploads": lod.dropped_uploads,
            "per_frame": [
                {k: (round(v, 1) if isinstance(v, float) else v) for k, v in f.items()} for f in fly
            ],
        }

        # frame time at the budget, interleaved with plain scenes
        comps = []
        same = await Renderer.create(device)
        for s in args.views:
            cam = cam_at(s)
            info = await settle(lod, cam)
            same.set_scene(await snapshot(lod, info.drawn, "same-splats"))
            sub = plain["subset_renderer"]
            for rr in (r, same, sub):
                await prepare(device, rr, cam)
            samples: dict[str, list[dict]] = {"lod": [], "same": [], "subset": []}
            variants = [("lod", r, lod.update), ("same", same, None), ("subset", sub, None)]
            for i in range(args.frames):
                k = i % 3  # rotate who goes first
                for name, rr, upd in variants[k:] + variants[:k]:
                    f = await timed_frame(device, rr, cam, upd)
                    if f["overflow"]:
                        await rr.grow_if_needed()
                        continue
                    samples[name].append(f)
            peak = max(peak, gpu_bytes(r, lod))
            row = {
                "s": s,
                "drawn": info.drawn_splats,
                "target": info.target_splats,
                "drawn_nodes": len(info.drawn),
                "active_pages": len(lod.pool.active),
            }
            for name, fs in samples.items():
                row[name] = {
                    "frames": len(fs),
                    "ms": med([f["ms"] for f in fs]),
                    "cpu_ms": med([f["cpu_ms"] for f in fs]),
                    "update_ms": med([f["update_ms"] for f in fs]),
                    "splats": fs[0]["splats"] if fs else None,
                    "visible": int(statistics.median(f["visible"] for f in fs)) if fs else None,
                    "pairs": int(statistics.median(f["pairs"] for f in fs)) if fs else None,
                    "all_ms": [round(f["ms"], 1) for f in fs],
                }
            row["stages"] = {
                "lod": await stage_ms(device, r, cam),
                "same": await stage_ms(device, same, cam),
                "subset": await stage_ms(device, sub, cam),
            }
            for name in ("same", "subset"):
                a, b = row["lod"], row[name]
                row[f"lod_vs_{name}"] = round(a["ms"] / b["ms"], 2)
                row[f"lod_vs_{name}_cpu"] = round(a["cpu_ms"] / b["cpu_ms"], 2)
            comps.append(row)
        del same
        out["vs_plain"] = comps
        out["peak_gpu_bytes"] = peak
        await lod.close()

        out["quality"] = await quality(device, srv, manifest, plain, args, cam_at, r)
    finally:
        srv.close()
    return out


async def quality(device, srv, manifest, plain, args, cam_at, r=None) -> list[dict]:
    """PSNR (and mean brightness ratio) of settled LOD frames vs the full-detail render."""
    from splatrender.lod.scene import LodScene
    from splatrender.reference.metrics import psnr
    from splatrender.render.renderer import Renderer

    if r is None:
        r = await Renderer.create(device)
    curve = []
    opts = {} if args.pixel_error is None else {"pixel_error": args.pixel_error}
    for budget in args.psnr_budgets:
        lod = await LodScene.open(srv.url + manifest, device, budget=budget, **opts)
        r.set_pool(lod.pool)
        for s, full in zip(args.views, plain["full_images"], strict=True):
            cam = cam_at(s)
            info = await settle(lod, cam)
            img = await image(device, r, cam)
            curve.append(
                {
                    "budget": budget,
                    "s": s,
                    "drawn": info.drawn_splats,
                    "psnr_db": round(float(psnr(full, img)), 2),
                    "light": round(float(img.mean() / full.mean()), 3),  # <1: dimmer
                    "pool_bytes": lod.gpu_bytes,
                }
            )
        await lod.close()
    return curve


# -- plain references --------------------------------------------------------------------
async def plain_refs(device, args, path) -> dict:
    """Full-detail images at the views, and the random ``budget``-splat subset scene."""
    import numpy as np

    from splatrender.formats import load
    from splatrender.reference.metrics import psnr
    from splatrender.reference.pool import to_scene_data
    from splatrender.render.renderer import Renderer

    full = load(str(TAEBAK / "lod-meta.json"), lod=0)
    r = await Renderer.create(device)
    r.set_scene(to_scene_data(full, "Taebak full detail"))
    cams = [flight_camera(*path, s) for s in args.views]
    images = [await image(device, r, c) for c in cams]
    full_bytes = gpu_bytes(r)
    full_ms = []
    for c in cams:
        full_ms.append(round((await timed_frame(device, r, c))["ms"], 1))
    r.set_scene(to_scene_data(full.subset(slice(0, 1)), "x"))  # free the big pool
    del r
    rng = np.random.default_rng(0)
    idx = np.sort(rng.choice(len(full), size=min(args.budget, len(full)), replace=False))
    sub = full.subset(idx)
    del full
    rs = await Renderer.create(device)
    rs.set_scene(to_scene_data(sub, f"Taebak random {len(sub)}"))
    sub_psnr = [
        round(float(psnr(im, await image(device, rs, c))), 2)
        for im, c in zip(images, cams, strict=True)
    ]
    return {
        "full_images": images,
        "subset_renderer": rs,
        "info": {
            "full_splats": 4_249_286,
            "full_gpu_bytes": full_bytes,
            "full_ms": full_ms,
            "subset_splats": len(sub),
            "subset_gpu_bytes": gpu_bytes(rs),
            "subset_psnr_db": sub_psnr,
        },
    }


async def cached_refs(device, args, path) -> dict:
    """``plain_refs``, its full-detail images kept in ``--refs`` (quality-only runs reuse them:
    the same views, size and scene give the same images; delete the file after changing any)."""
    import numpy as np

    key = f"{args.size[0]}x{args.size[1]} views {args.views}"
    if args.refs and args.quality_only and Path(args.refs).exists():
        z = np.load(args.refs, allow_pickle=False)
        info = json.loads(str(z["info"]))
        if info.get("key") == key:
            return {"full_images": list(z["images"]), "info": info}
    plain = await plain_refs(device, args, path)
    if args.refs:
        info = {**plain["info"], "key": key}
        np.savez(args.refs, images=np.stack(plain["full_images"]), info=json.dumps(info))
    return plain


async def main(args) -> dict:
    from splatrender.gpu import request_device
    from splatrender.lod.sog_source import parse_lod_meta

    device = await request_device()
    w, h = args.size
    h_sog = parse_lod_meta((TAEBAK / "lod-meta.json").read_bytes(), "Taebak")[0]
    path = (h_sog.bounds_min, h_sog.bounds_max, h_sog.axes, w, h)
    res: dict = {
        "scene": "Taebak_Streaming (4,249,286 splats at full detail)",
        "adapter": device.info.describe(),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs (shared)",
        "budget": args.budget,
        "size": f"{w}x{h}",
        "views": args.views,
        "frames_per_variant": args.frames,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "load_avg_start": os.getloadavg(),
    }
    plain = await cached_refs(device, args, path)
    res["plain"] = plain["info"]
    print("plain references done", file=sys.stderr)
    if not args.no_sog:
        res["sog"] = await bench_set(device, TAEBAK, "lod-meta.json", plain, args, path)
        print("sog done", file=sys.stderr)
    for folder in args.built:
        key = "built:" + Path(folder).name
        res[key] = await bench_set(device, Path(folder), "lod.json", plain, args, path)
        res[key]["render_mode"] = json.loads((Path(folder) / "lod.json").read_text()).get(
            "render_mode", "antialiased (world-space merge, before render_mode was recorded)"
        )
        print(f"{key} done", file=sys.stderr)
    res["load_avg_end"] = os.getloadavg()
    return res


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget", type=int, default=1_000_000)
    ap.add_argument("--frames", type=int, default=9, help="timed frames per variant and view")
    ap.add_argument("--flight", type=int, default=24, help="fly-through frames")
    ap.add_argument("--size", default="640x360")
    ap.add_argument("--views", default="0.6,1.0", help="path positions of the comparisons")
    ap.add_argument("--psnr-budgets", default="250000,500000,1000000,2000000")
    ap.add_argument(
        "--built", action="append", default=[], help="a folder made by `lod build` (repeatable)"
    )
    ap.add_argument("--quality-only", action="store_true", help="only the PSNR curve")
    ap.add_argument(
        "--pixel-error", type=float, default=None, help="selection threshold (px; quality)"
    )
    ap.add_argument("--no-sog", action="store_true", help="skip the Taebak SOG set itself")
    ap.add_argument(
        "--refs", default=None, help="cache of the full-detail images (.npz; quick quality runs)"
    )
    ap.add_argument("-o", "--output", default=None, help="write the JSON here too")
    ns = ap.parse_args(argv)
    ns.size = tuple(int(v) for v in ns.size.split("x"))
    ns.views = [float(v) for v in ns.views.split(",")]
    ns.psnr_budgets = [int(v) for v in ns.psnr_budgets.split(",")]
    return ns


if __name__ == "__main__":
    ns = parse_args()
    sys.path.insert(0, str(ROOT))
    result = asyncio.run(main(ns))
    text = json.dumps(result, indent=2)
    if ns.output:
        Path(ns.output).write_text(text + "\n")
    print(text)
