"""One object vs the same splats as K placed objects: frame time side by side.

    python bench/bench_objects.py [--splats 1000000] [--objects 8] [--size 1280x720]
        [--frames 9] [--adapter NAME]

The procedural surface scene is split into K spatial slabs; each slab is written with
its centre moved to the origin and opened as its own object whose transform moves it
back (so every object has a real placement and the K-object image is the 1-object
image). Both scenes are drawn by their own renderer along the same orbit, frames
alternating A, B, A, B... so machine load hits both alike; the medians and the median
of per-frame ratios are printed, with the PSNR between the two images as a check that
the work is the same.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from splatrender.bench import paths  # noqa: E402
from splatrender.bench.procedural import surface_scene  # noqa: E402
from splatrender.bench.runner import parse_sizes  # noqa: E402
from splatrender.formats import ply  # noqa: E402
from splatrender.gpu import request_device  # noqa: E402
from splatrender.reference.metrics import psnr  # noqa: E402
from splatrender.render.renderer import Renderer  # noqa: E402
from splatrender.scene import open_scene  # noqa: E402
from splatrender.scene.objects import ObjectScene, SceneObject  # noqa: E402
from splatrender.scene.transform import Transform  # noqa: E402

DOWN = (0.0, -1.0, 0.0)  # the procedural scene is RDF and upright: no guess


async def open_split(splats, k: int, device) -> ObjectScene:
    order = np.argsort(splats.means[:, 0], kind="stable")
    objects = []
    for i, part in enumerate(np.array_split(order, k)):
        s = splats.subset(part)
        centre = s.means.mean(axis=0)
        s.means = s.means - centre
        src = await open_scene(ply.to_bytes(s), device, name=f"slab-{i}")
        objects.append(SceneObject(src, Transform(tuple(map(float, centre))), up=DOWN))
    return ObjectScene(objects)


async def frame_ms(renderer: Renderer, camera) -> float:
    dev = renderer.device
    t0 = time.perf_counter()
    enc = dev.encoder("frame")
    renderer.encode(enc, camera)
    dev.submit(enc)
    await dev.done()
    return 1000 * (time.perf_counter() - t0)


async def main(args: argparse.Namespace) -> None:
    device = await request_device(args.adapter)
    (w, h), n, k = parse_sizes([args.size])[0], args.splats, args.objects
    splats = surface_scene(n)
    one = ObjectScene([SceneObject(await open_scene(ply.to_bytes(splats), device), up=DOWN)])
    many = await open_split(splats, k, device)
    scenes = {"1 object": one, f"{k} objects": many}
    renderers = {}
    for name, scene in scenes.items():
        r = Renderer(device)
        r.set_pool(scene.pool)
        renderers[name] = r

    def cam(i: int):
        return paths.camera(*one.bounds, one.axes, w, h, i, "orbit", args.frames)

    images = {}
    for name, r in renderers.items():  # compile, size buffers; keep the first image
        await r.render(cam(0))
        images[name] = np.frombuffer(await r.read_rgba8(), np.uint8).reshape(h, w, 4)[..., :3]
    times: dict[str, list[float]] = {name: [] for name in renderers}
    for i in range(args.frames):
        for name, r in renderers.items():
            times[name].append(await frame_ms(r, cam(i)))
    a, b = times.values()
    print(f"adapter: {device.info.describe()}")
    print(f"procedural {n:,} splats at {w}x{h}, {args.frames} frames along an orbit")
    for name, t in times.items():
        print(f"  {name:>10}: p50 {statistics.median(t):8.1f} ms  (min {min(t):.1f})")
    ratio = statistics.median(y / x for x, y in zip(a, b, strict=True))
    print(f"  ratio {k} objects / 1 object: {ratio:.3f} (median of per-frame ratios)")
    print(f"  same image: PSNR {psnr(*(im / 255 for im in images.values())):.1f} dB")
    for scene in scenes.values():
        await scene.close()


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--splats", type=int, default=1_000_000)
    p.add_argument("--objects", type=int, default=8)
    p.add_argument("--size", default="1280x720")
    p.add_argument("--frames", type=int, default=9)
    p.add_argument("--adapter")
    asyncio.run(main(p.parse_args()))
