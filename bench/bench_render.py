"""Per-stage GPU time and whole-frame time of the render core.

    python bench/bench_render.py [--sizes 1280x720 390x844] [--frames 7]
        [--procedural 1000000] [--scenes SCENE ...] [--json out.json]

The camera orbits a little every frame so the sorts do real work. Stage times come
from timestamp queries when the adapter has them; frame time is wall time from
encode to the GPU finishing (``await device.done()``). Medians are reported.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
ROOT = Path(__file__).resolve().parents[1]

from procedural import surface_scene  # noqa: E402

from splatrender.formats import load  # noqa: E402
from splatrender.formats.gpu_pack import to_scene_data  # noqa: E402
from splatrender.gpu import request_device  # noqa: E402
from splatrender.render.camera import Camera  # noqa: E402
from splatrender.render.renderer import Renderer  # noqa: E402

DEFAULT_SCENES = [
    "kacytran1122_try__point_cloud_iter7000.ply",
    "guitar.compressed.ply",
    "biker.spz",
    "VictorTrumpel__model.splat",
    "playbot/0_0",
]


def orbit(scene, width: int, height: int, step: int) -> Camera:
    base = Camera.framing(scene.bounds_min, scene.bounds_max, scene.frame, width=width, height=height)
    a = math.radians(2.0 * step)
    centre = [(lo + hi) / 2 for lo, hi in zip(scene.bounds_min, scene.bounds_max)]
    eye = base.position
    off = [eye[i] - centre[i] for i in range(3)]
    # rotate about the frame's up axis (y) by a
    x, z = off[0] * math.cos(a) - off[2] * math.sin(a), off[0] * math.sin(a) + off[2] * math.cos(a)
    up = (0.0, -1.0, 0.0) if scene.frame == "RDF" else (0.0, 1.0, 0.0)
    return Camera.look_at(
        (centre[0] + x, eye[1], centre[2] + z), centre, up, width=width, height=height
    )


async def bench_scene(renderer: Renderer, scene, size, frames: int) -> dict:
    renderer.set_scene(scene)
    w, h = size
    await renderer.render(orbit(scene, w, h, 0))  # compile, size buffers
    dev = renderer.device
    walls, stages = [], []
    for i in range(1, frames + 1):
        cam = orbit(scene, w, h, i)
        dev.begin_timing()
        t0 = time.perf_counter()
        enc = dev.encoder("frame")
        renderer.encode(enc, cam)
        dev.submit(enc)
        await dev.done()
        walls.append(1000 * (time.perf_counter() - t0))
        stages.append(await dev.end_timing())
        await renderer.grow_if_needed()
    stats = await renderer.read_stats()
    names = list(stages[0]) if stages and stages[0] else []
    return {
        "scene": scene.name,
        "splats": scene.count,
        "visible": stats.visible,
        "pairs": stats.pairs,
        "size": f"{w}x{h}",
        "frame_ms_median": statistics.median(walls),
        "frame_ms": walls,
        "stage_ms_median": {k: statistics.median(s.get(k, 0.0) for s in stages) for k in names},
    }


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="+", default=["1280x720", "390x844"])
    ap.add_argument("--frames", type=int, default=7)
    ap.add_argument("--procedural", type=int, default=1_000_000, help="0 to skip")
    ap.add_argument("--scenes", nargs="*", default=None, help="default: the real scenes")
    ap.add_argument("--scenes-dir", default=str(ROOT.parent / "shared" / "scenes"))
    ap.add_argument("--json", help="write results here")
    args = ap.parse_args()
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes]

    device = await request_device()
    renderer = Renderer(device)
    print(f"adapter: {device.info.describe()}")
    scenes = []
    names = args.scenes if args.scenes is not None else DEFAULT_SCENES
    for name in names:
        p = Path(name) if Path(name).exists() else Path(args.scenes_dir) / name
        scenes.append(to_scene_data(load(p), name=name))
    if args.procedural:
        sp = surface_scene(args.procedural)
        scenes.append(to_scene_data(sp, name=f"procedural-{args.procedural // 1000}k"))

    results = []
    for scene in scenes:
        for size in sizes:
            r = await bench_scene(renderer, scene, size, args.frames)
            results.append(r)
            st = ", ".join(f"{k} {v:.1f}" for k, v in r["stage_ms_median"].items())
            print(
                f"| {r['scene']} | {r['size']} | {r['splats']:,} | {r['visible']:,} | "
                f"{r['pairs']:,} | {r['frame_ms_median']:.1f} | {st} |",
                flush=True,
            )
    if args.json:
        out = {"adapter": device.info.describe(), "results": results}
        Path(args.json).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    asyncio.run(main())
