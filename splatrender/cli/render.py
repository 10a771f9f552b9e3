"""`splatrender render SCENE -o out.png`: one offscreen frame to a PNG."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import _args


def add_parser(sub) -> None:
    p = sub.add_parser(
        "render",
        help="render a scene to a PNG",
        description="Render one frame of a scene offscreen and write it as a PNG.",
    )
    p.add_argument(
        "scene",
        nargs="+",
        help="scene file, folder, LOD set, URL or scene file (.json); several: drawn together",
    )
    p.add_argument("-o", "--output", help="PNG to write (default: SCENE_NAME.png here)")
    add_camera_arguments(p)
    p.add_argument("--adapter", help="use the adapter whose name contains this text")
    p.add_argument(
        "--check",
        action="store_true",
        help="also render with the float64 reference and print PSNR (slow on big scenes)",
    )
    p.add_argument("--timing", action="store_true", help="print per-stage GPU times")
    p.add_argument("--budget", type=int, help="splat budget for a LOD set (default: desktop)")
    p.add_argument(
        "--time", type=float, default=0.0, metavar="S", help="the clock modifiers see (seconds)"
    )
    p.set_defaults(run=run)


def add_camera_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--size", type=_args.size, help="WIDTHxHEIGHT (default 1280x720)")
    p.add_argument("--eye", type=_args.vec3, help="camera position x,y,z (scene units)")
    p.add_argument("--target", type=_args.vec3, help="point looked at (default: scene centre)")
    p.add_argument("--up", type=_args.up, help=_args.UP_HELP)
    p.add_argument("--fov-y", type=float, default=50.0, help="vertical field of view, degrees")
    p.add_argument("--cameras", help="INRIA cameras.json")
    p.add_argument("--camera-index", type=int, default=0, help="entry of --cameras to use")
    p.add_argument("--mode", choices=("classic", "antialiased"), default="classic")
    p.add_argument("--background", type=_args.color, default=(0.0, 0.0, 0.0), help="r,g,b in 0..1")


def choose_camera(args: argparse.Namespace, scene):
    """The camera the arguments ask for; frames the scene when none is given."""
    from ..render.camera import Camera
    from ..render.cameras_json import camera_from_file
    from ..scene.upright import resolve_up

    w, h = args.size or (None, None)
    if args.cameras:
        return camera_from_file(args.cameras, args.camera_index, w, h)
    w, h = w or 1280, h or 720
    lo, hi = scene.bounds
    centre = tuple((a + b) / 2 for a, b in zip(lo, hi, strict=True))
    up = resolve_up(scene.upright, args.up).up
    if args.eye:
        return Camera.look_at(
            args.eye, args.target or centre, up, width=w, height=h, fov_y_deg=args.fov_y
        )
    return Camera.framing(lo, hi, scene.axes, width=w, height=h, fov_y_deg=args.fov_y, up=up)


def write_png(path: str | Path, rgba: bytes, width: int, height: int) -> None:
    from PIL import Image

    Image.frombytes("RGBA", (width, height), rgba).convert("RGB").save(path)


async def render_file(args: argparse.Namespace) -> Path:
    from ..gpu import request_device
    from ..render.renderer import Renderer
    from ..scene import open_scene, settle
    from ..scene.upright import resolve_up

    device = await request_device(getattr(args, "adapter", None))
    renderer = Renderer(device, mode=args.mode)
    renderer.time = getattr(args, "time", 0.0)
    scene = await open_scene(args.scene, device, budget=getattr(args, "budget", None))
    try:
        renderer.set_pool(scene.pool)
        camera = choose_camera(args, scene)
        await settle(scene, camera)
        timing = getattr(args, "timing", False)
        if timing:
            await renderer.render(camera, args.background)  # warm-up: pipelines, buffers
            device.begin_timing()
        stats = await renderer.render(camera, args.background)
        first = args.scene[0] if isinstance(args.scene, list) else args.scene
        out = Path(args.output or Path(first.rstrip("/")).name.split(".")[0] + ".png")
        rgba = await renderer.read_rgba8()
        write_png(out, rgba, camera.width, camera.height)
        print(
            f"{out}: {camera.width}x{camera.height}, {stats.visible:,} of {stats.splats:,} "
            f"splats drawn, adapter {device.info.describe()}"
        )
        if not args.cameras:
            print(f"up {resolve_up(scene.upright, args.up).describe()}")
        if timing:
            stages = await device.end_timing()
            label = "GPU ms" if stages else "no timestamp queries on this adapter"
            print(f"{label}: " + ", ".join(f"{k} {v:.1f}" for k, v in stages.items()))
        if getattr(args, "check", False):
            _check(args.scene, scene, camera, args, rgba, renderer.tile_size, renderer.time)
    finally:
        await scene.close()
    return out


def _check(location, scene, camera, args, rgba: bytes, tile: int, clock: float) -> None:
    """The float64 reference of the same view from the numpy reader (the oracle, read
    separately from the runtime decode the frame came from); a scene of objects is
    placed object by object as the GPU placed it."""
    import numpy as np

    from ..formats import load
    from ..lod.locate import is_url
    from ..reference.metrics import fraction_off, psnr
    from ..reference.modifiers import TWINS
    from ..reference.pool import sanitize
    from ..reference.render import render_objects
    from ..scene.objects import ObjectScene

    edits: list = []
    if isinstance(scene, ObjectScene):
        shown = [o for o in scene.objects if o.visible]
        placed = [(o.location, np.array(scene.model(o)).reshape(4, 4), o.opacity) for o in shown]
        mods = [None if o.modifier is None else (o.modifier.name, o.modifier.params) for o in shown]
        streamed = any(o.source.streamed for o in shown)
        edits = scene.edits
        if any(m is not None and m[0] not in TWINS for m in mods):
            print("--check: a modifier of your own has no float64 twin; skipped")
            return
    else:
        placed = [(location[0] if isinstance(location, list) else location, None, 1.0)]
        mods, streamed = [None], scene.streamed
    if streamed or any(not src or is_url(src) for src, _, _ in placed):
        print("--check compares local plain scenes only; skipped for a LOD set or a URL")
        return
    objects = [
        (sanitize(load(src))[0], m, op, mod) for (src, m, op), mod in zip(placed, mods, strict=True)
    ]
    ref = render_objects(objects, camera, args.mode, args.background, tile, edits, clock)
    img = np.frombuffer(rgba, np.uint8).reshape(camera.height, camera.width, 4)[..., :3] / 255
    ref8 = np.round(np.clip(ref, 0, 1) * 255) / 255
    print(
        f"reference check: PSNR {psnr(img, ref8):.2f} dB, "
        f"{100 * fraction_off(img, ref8):.3f}% of pixels off by more than 8/255"
    )


def run(args: argparse.Namespace) -> int:
    import asyncio

    asyncio.run(render_file(args))
    return 0


if __name__ == "__main__":
    sys.exit(run(argparse.Namespace()))
