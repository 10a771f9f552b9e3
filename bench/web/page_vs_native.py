"""The page against native SwiftShader: same scene, views and size, alternating, one run.

Native is wgpu-native (wgpu-py) on the SwiftShader Vulkan ICD Debian's Chromium ships
(``VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json``), in this process; the
page is the web viewer in headless Chromium (WebGPU on the same SwiftShader). Both draw
the orbit views ``splatrender bench`` and ``bench/peers/run_peers.py`` use, and both time
every frame two ways: GPU timestamp queries around each pass, and wall time (native:
encode to the GPU reporting done; page: camera move to the frame drawn and presented,
``drawn()``, as run_peers times it). Rounds alternate native and page frames, so a
machine whose load drifts moves both alike. Prints medians per pass and page/native
ratios (JSON with ``--json``).

    python bench/web/page_vs_native.py --scene ../shared/scenes/guitar.compressed.ply \
        --size 1280x720 --frames 8 --rounds 3 [--chromium-arg=--flag ...] [--json out.json]

``--chromium-arg`` adds Chromium flags to the page's browser (e.g. Dawn toggles) to test
a suspected cause; ``--variant NAME=FLAGS`` (repeatable, flags separated by spaces)
runs a further browser with those flags in the same alternation.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
SWIFTSHADER_ICD = "/usr/lib/chromium/vk_swiftshader_icd.json"

# Back to the shared-memory raster entry point (``main``) in a page or a native renderer.
SHARED_RASTER = """
import dataclasses
from splatrender.render.raster import Rasterizer
rd = viewer_app.renderer
shared = dataclasses.replace(rd.tuning, raster_direct=False, raster_subgroup_chunk=0)
rd.rasterizer = Rasterizer(rd.device, shared)
"""

# The canvas blit (a fullscreen draw) instead of the copy CPU adapters present with.
BLIT_PRESENT = """
viewer_app.presenter.copy_ok = False
"""

PY_JS = """
async (code) => {
  const m = await import('./splat-viewer.js');
  const py = await m.bootPython();
  py.globals.set('viewer_app', document.getElementById('viewer').app);
  py.runPython(code);
}
"""

STEP_JS = """
async (view) => {
  const v = document.getElementById('viewer');
  const dev = v.app.device;
  dev.begin_timing();
  const t0 = performance.now();
  v.setCamera({eye: view.eye, target: view.target, fov: view.fov});
  await v.drawn();
  const ms = performance.now() - t0;
  const st = await dev.end_timing();
  const passes = st.toJs({dict_converter: Object.fromEntries});
  st.destroy();
  const s = v.app.renderer.stats;
  const out = {ms, passes, visible: s.visible, pairs: s.pairs, app_ms: v.lastFrameMs};
  s.destroy();
  dev.destroy();
  return out;
}
"""


def median_passes(frames: list[dict]) -> dict[str, float]:
    keys = sorted({k for f in frames for k in f["passes"]})
    return {k: statistics.median(f["passes"].get(k, 0.0) for f in frames) for k in keys}


def summary(frames: list[dict]) -> dict:
    return {
        "frames": len(frames),
        "wall_ms": statistics.median(f["ms"] for f in frames),
        "gpu_sum_ms": statistics.median(sum(f["passes"].values()) for f in frames),
        "passes_ms": median_passes(frames),
        "pairs": statistics.median(f["pairs"] for f in frames),
        # page: app.frame() alone (Python: encode, submit, await the GPU), without the
        # wait for the next animation frame and the canvas presentation around it
        **(
            {"app_frame_ms": statistics.median(f["app_ms"] for f in frames)}
            if all("app_ms" in f for f in frames)
            else {}
        ),
    }


class Native:
    """The render core on native SwiftShader (wgpu-native, Vulkan ICD)."""

    def __init__(
        self,
        scene_path: Path,
        w: int,
        h: int,
        count: int,
        shared_raster: bool = False,
        adapter: str = "SwiftShader",
    ) -> None:
        # Its own thread and event loop: Playwright's sync API owns this thread's loop.
        self.pool = ThreadPoolExecutor(1)
        self.loop = asyncio.new_event_loop()
        self.w, self.h, self.count, self.adapter = w, h, count, adapter
        self._run(self._open(scene_path))
        if shared_raster:
            exec(SHARED_RASTER, {"viewer_app": self})

    def _run(self, coro):
        return self.pool.submit(self.loop.run_until_complete, coro).result()

    async def _open(self, scene_path: Path) -> None:
        from splatrender.gpu.native import NativeDevice
        from splatrender.render.renderer import Renderer
        from splatrender.scene import open_scene, settle

        self.device = await NativeDevice.create(adapter=self.adapter)
        self.renderer = await Renderer.create(self.device)
        self.scene = await open_scene(str(scene_path), self.device)
        self.renderer.set_pool(self.scene.pool)
        await settle(self.scene, self.camera(0))
        await self.renderer.render(self.camera(0))

    def camera(self, i: int):
        from splatrender.bench import paths

        s = self.scene
        return paths.camera(*s.bounds, s.axes, self.w, self.h, i, "orbit", self.count)

    async def _frame(self, i: int) -> dict:
        from splatrender.render.renderer import REDRAWS

        dev, r = self.device, self.renderer
        for _ in range(REDRAWS):  # overflowed buffers: grown and redrawn, not counted
            dev.begin_timing()
            t0 = time.perf_counter()
            enc = dev.encoder("frame")
            r.encode(enc, self.camera(i))
            dev.submit(enc)
            await dev.done()
            ms = 1000 * (time.perf_counter() - t0)
            passes = await dev.end_timing()
            if not await r.grow_if_needed():
                break
        return {"ms": ms, "passes": passes, "visible": r.stats.visible, "pairs": r.stats.pairs}

    def frame(self, i: int) -> dict:
        return self._run(self._frame(i))


class Page:
    """The web viewer in one headless Chromium (its own flags)."""

    def __init__(self, pw, url: str, w: int, h: int, extra: list[str], setup: str = "") -> None:
        from splatrender.web.chromium import CHROMIUM, CHROMIUM_ARGS

        self.browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=[*CHROMIUM_ARGS, *extra]
        )
        self.page = self.browser.new_page(viewport={"width": w, "height": h})
        self.page.set_default_timeout(900_000)
        self.page.goto(url)
        self.page.wait_for_function(
            "() => { const v = document.getElementById('viewer'); return v && v.info; }"
        )
        if setup:
            self.page.evaluate(PY_JS, setup)
        self.adapter = self.page.evaluate("() => document.getElementById('viewer').info.adapter")

    def frame(self, view: dict) -> dict:
        return self.page.evaluate(STEP_JS, view)

    def close(self) -> None:
        self.browser.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--scene", type=Path, default=ROOT.parent / "shared/scenes/guitar.compressed.ply"
    )
    p.add_argument("--size", default="1280x720")
    p.add_argument("--frames", type=int, default=8, help="views per round")
    p.add_argument("--rounds", type=int, default=3, help="alternating rounds")
    p.add_argument("--warmup", type=int, default=2, help="untimed frames per side first")
    p.add_argument("--chromium-arg", action="append", default=[], help="extra Chromium flag")
    p.add_argument("--variant", action="append", default=[], help="NAME=FLAGS: another page")
    p.add_argument("--no-native", action="store_true", help="pages only")
    p.add_argument(
        "--compare-raster",
        action="store_true",
        help="also native-shared and page-shared: the raster's workgroup-memory entry point "
        "(page-shared also presents with the blit: the page as it was before both fixes)",
    )
    p.add_argument(
        "--compare-present",
        action="store_true",
        help="also page-blit: the page presenting with the canvas draw instead of the copy",
    )
    p.add_argument(
        "--native-adapter",
        default="SwiftShader",
        help="part of the native adapter's name (SwiftShader; llvmpipe for lavapipe, with "
        "VK_ICD_FILENAMES set to its ICD)",
    )
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    w, h = (int(v) for v in args.size.lower().split("x"))
    os.environ.setdefault("VK_ICD_FILENAMES", SWIFTSHADER_ICD)  # before wgpu loads

    from playwright.sync_api import sync_playwright

    from bench.peers.run_peers import scene_views
    from splatrender.cli.serve import SceneServer
    from splatrender.web.runtime import fetch_runtime
    from splatrender.web.site import assemble

    scene = args.scene.resolve()
    _, views = scene_views(scene, w, h, args.frames)
    site = assemble(fetch_runtime())
    srv = SceneServer(("127.0.0.1", 0), {"/scenes": scene.parent}, site)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    url = f"{srv.url}index.html?ui=0&max-pixel-ratio=1&src=/scenes/{scene.name}"
    variants = {"page": args.chromium_arg}
    for v in args.variant:
        name, _, flags = v.partition("=")
        variants[name] = flags.split()
    shared = ["native-shared", "page-shared"] if args.compare_raster else []
    blit = ["page-blit"] if args.compare_present else []
    names = ["native", *variants, *shared, *blit]
    if args.no_native:
        names = [n for n in names if not n.startswith("native")]
    sides: dict[str, list[dict]] = {k: [] for k in names}
    load0 = os.getloadavg()[0]
    with sync_playwright() as pw:
        pages = {k: Page(pw, url, w, h, flags) for k, flags in variants.items()}
        # page-shared: raster and present as before the raster entry point and the copy
        # existed (the canvas is rgba8unorm here, the preferred format then)
        setups = {"page-shared": SHARED_RASTER + BLIT_PRESENT, "page-blit": BLIT_PRESENT}
        for k, code in setups.items():
            if k in sides:
                pages[k] = Page(pw, url, w, h, args.chromium_arg, code)
        natives = {
            k: Native(scene, w, h, args.frames, k == "native-shared", args.native_adapter)
            for k in sides
            if k.startswith("native")
        }
        runners = {k: (lambda i, pg=pg: pg.frame(views[i])) for k, pg in pages.items()}
        runners.update({k: n.frame for k, n in natives.items()})
        for run in runners.values():
            for _ in range(args.warmup):
                run(0)
        for r in range(args.rounds):
            for i in range(args.frames):
                order = list(runners) if (r + i) % 2 == 0 else list(runners)[::-1]
                for k in order:
                    f = runners[k](i)
                    f["view"] = i
                    sides[k].append(f)
            print(f"round {r + 1}/{args.rounds} done", file=sys.stderr, flush=True)
        adapters = {k: pg.adapter for k, pg in pages.items()}
        adapters.update({k: n.device.info.name for k, n in natives.items()})
        for pg in pages.values():
            pg.close()
    srv.shutdown()
    out = {
        "scene": scene.name,
        "size": [w, h],
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "load_average": [round(load0, 2), round(os.getloadavg()[0], 2)],
        "adapters": adapters,
        "flags": variants,
        "summary": {k: summary(v) for k, v in sides.items()},
        "frames": sides,
    }
    for k in sides:
        base = "native-shared" if k == "page-shared" else "native"  # same raster
        if k.startswith("native") or base not in sides:
            continue
        nat = out["summary"][base]
        s = out["summary"][k]
        s["ratio_to_native"] = {
            "wall": s["wall_ms"] / nat["wall_ms"],
            "gpu_sum": s["gpu_sum_ms"] / nat["gpu_sum_ms"],
            **{p: s["passes_ms"][p] / v for p, v in nat["passes_ms"].items() if v > 0},
        }
    print(json.dumps(out["summary"], indent=1))
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
