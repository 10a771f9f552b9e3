"""Peers side by side in one headless Chromium: Spark 2.2 (+three), PlayCanvas 2.23
(WebGPU and WebGL2) and splatrender's own web viewer, same scenes, cameras, sizes.

    python bench/peers/run_peers.py [--scene PATH ...] [--size 640x360] [--frames 8]
        [--peers spark,playcanvas-webgpu,playcanvas-webgl2,splatrender]
        [-o bench/results/raw/peers.json]

The peers are npm-installed at run time into bench/peers/node_modules (ignored by
git, never committed); Chromium is Debian's /usr/bin/chromium (never a downloaded
browser), WebGPU and WebGL2 both on SwiftShader. Every frame moves the camera one
step of the same orbit ``splatrender bench`` uses, then waits until a frame drawn
with a sort made for that view has finished on the GPU (Spark: its ``onDirty``
sort-complete callback; PlayCanvas: the ``gsplat:sorted`` scene event; ours: the
viewer's ``drawn()``, its sort runs inside every frame). That time is ``ms``, split
into ``until-sorted`` and ``draw`` stages for the peers. The median of rAF deltas
during a continuous orbit (where a peer's sort may lag behind the camera) goes into
each run's notes. Results use the ``splatrender-bench/1`` schema; a screenshot of
each run's last frame lands beside the JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from splatrender import __version__  # noqa: E402
from splatrender.bench import paths  # noqa: E402
from splatrender.bench.runner import machine_info  # noqa: E402
from splatrender.bench.schema import Adapter, Frame, Results, Run, SceneInfo, Settings  # noqa: E402
from splatrender.web.chromium import launch  # noqa: E402

NPM_PACKAGES = {"@sparkjsdev/spark": "2.2", "three": "", "playcanvas": "2.23"}
CACHE = HERE / "node_modules"  # .gitignore: bench/peers/node_modules/
PEERS = ("splatrender", "spark", "playcanvas-webgpu", "playcanvas-webgl2")
DEFAULT_SCENE = ROOT.parent / "shared" / "scenes" / "guitar.compressed.ply"


# -- installs ------------------------------------------------------------------------
def npm_version(name: str) -> str | None:
    pkg = CACHE / name / "package.json"
    return json.loads(pkg.read_text())["version"] if pkg.is_file() else None


def ensure_peers() -> dict[str, str]:
    """npm-install the peers (pinned majors/minors) unless the cache already has them."""

    def ok(name: str, want: str) -> bool:
        v = npm_version(name)
        return v is not None and (not want or v == want or v.startswith(want + "."))

    if not all(ok(n, w) for n, w in NPM_PACKAGES.items()):
        specs = [f"{n}@{w}" if w else n for n, w in NPM_PACKAGES.items()]
        cmd = ["npm", "install", "--no-save", "--no-package-lock", "--no-audit", "--no-fund"]
        subprocess.run([*cmd, "--prefix", str(HERE), *specs], check=True)
    return {n: npm_version(n) or "?" for n in NPM_PACKAGES}


def build_viewer():
    """Our web viewer with a local Pyodide (fetched into the user cache once)."""
    from splatrender.web.runtime import fetch_runtime
    from splatrender.web.site import assemble

    return assemble(fetch_runtime())


# -- scene views ---------------------------------------------------------------------
def scene_views(scene: Path, width: int, height: int, count: int) -> tuple[dict, list[dict]]:
    """Scene facts and ``count`` orbit views (eye, target, up, fov, near) in its own axes."""
    from splatrender.formats import load
    from splatrender.reference.pool import to_scene_data
    from splatrender.render.camera import Camera

    data = to_scene_data(load(str(scene)), name=scene.name)
    lo, hi, axes = data.bounds_min, data.bounds_max, data.axes
    base = Camera.framing(lo, hi, axes, width=width, height=height)
    views = []
    for i in range(count):
        eye, target, up = paths.view(lo, hi, axes, width, height, i, "orbit", count)
        views.append({"eye": list(eye), "target": list(target), "up": list(up),
                      "fov": base.fov_y_deg, "near": base.near})  # fmt: skip
    return {"splats": data.count, "axes": axes}, views


# -- the browser ---------------------------------------------------------------------
OUR_BENCH_JS = """
() => {
  const v = document.getElementById('viewer');
  const loaded = new Promise((res, rej) => {
    if (v.info) res();
    v.addEventListener('load', res, {once: true});
    v.addEventListener('error', (e) => rej(new Error(e.detail.message)), {once: true});
  });
  const step = async (view) => {
    const t0 = performance.now();
    v.setCamera({eye: view.eye, target: view.target, fov: view.fov});
    await v.drawn();
    return {ms: performance.now() - t0, sortSignal: true};
  };
  const continuous = async (views) => {
    const out = []; let last = performance.now();
    for (const view of views) {
      await step(view);
      const n = performance.now();
      out.push(n - last);
      last = n;
    }
    return out;
  };
  window.bench = {
    ready: loaded.then(() => ({splats: v.info.count, renderer: 'splatrender', api: 'webgpu'})),
    step, continuous,
  };
}
"""


def bench_page(page, url: str, views: list[dict], warmup: int, is_ours: bool) -> dict:
    page.goto(url)
    if is_ours:
        page.wait_for_function("() => document.getElementById('viewer')")
        page.evaluate(OUR_BENCH_JS)
    page.wait_for_function("() => window.bench || window.benchError", timeout=120_000)
    info = page.evaluate("async () => await window.bench.ready")
    steps = []
    for i, view in enumerate(views):
        r = page.evaluate("async (v) => await window.bench.step(v)", view)
        if i >= warmup:
            steps.append(r)
    deltas = []
    if not is_ours:  # ours redraws with a current sort in every frame: steps say it all
        deltas = page.evaluate("async (vs) => await window.bench.continuous(vs)", views[:7])
    timings = None
    if is_ours:
        timings = json.loads(
            page.evaluate("async () => await document.getElementById('viewer').app.timings()")
        )
    return {"info": info, "steps": steps, "raf": deltas[1:], "gpu_passes": timings}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scene", type=Path, action="append", help=f"(default {DEFAULT_SCENE.name})")
    p.add_argument("--size", default="640x360", help="canvas size WxH")
    p.add_argument("--frames", type=int, default=8, help="timed frames per run")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--peers", default=",".join(PEERS), help="comma list of " + ", ".join(PEERS))
    p.add_argument("-o", "--output", type=Path, default=ROOT / "bench/results/raw/peers.json")
    args = p.parse_args(argv)
    w, h = (int(v) for v in args.size.lower().split("x"))
    peers = [x.strip() for x in args.peers.split(",") if x.strip()]
    unknown = set(peers) - set(PEERS)
    if unknown:
        p.error(f"unknown peers {sorted(unknown)}; choose from {PEERS}")
    versions = ensure_peers()
    viewer = build_viewer() if "splatrender" in peers else None
    args.output.parent.mkdir(parents=True, exist_ok=True)

    from playwright.sync_api import sync_playwright

    from splatrender.cli.serve import FolderSite, SceneServer

    results = Results(machine_info(), [], time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()))
    scenes = args.scene or [DEFAULT_SCENE]
    with sync_playwright() as pw:
        browser = launch(pw)
        chrome = f"Chromium {browser.version}"
        for scene in scenes:
            scene = scene.resolve()
            facts, views = scene_views(scene, w, h, args.warmup + args.frames)
            mounts = {"/scenes": scene.parent, "/node_modules": CACHE}
            servers = {"peers": SceneServer(("127.0.0.1", 0), mounts, FolderSite(HERE / "pages"))}
            if viewer is not None:
                servers["ours"] = SceneServer(("127.0.0.1", 0), {"/scenes": scene.parent}, viewer)
            for s in servers.values():
                threading.Thread(target=s.serve_forever, daemon=True).start()
            src = f"/scenes/{scene.name}"
            for peer in peers:
                if peer == "splatrender":
                    url = f"{servers['ours'].url}index.html?ui=0&max-pixel-ratio=1&src={src}"
                    version, api = f"splatrender {__version__} (web, Pyodide)", "WebGPU"
                elif peer == "spark":
                    url = f"{servers['peers'].url}spark.html?src={src}&w={w}&h={h}"
                    version = f"spark {versions['@sparkjsdev/spark']} (three {versions['three']})"
                    api = "WebGL2"
                else:
                    dev = peer.split("-")[1]
                    url = (
                        f"{servers['peers'].url}playcanvas.html?src={src}&w={w}&h={h}&device={dev}"
                    )
                    version = f"playcanvas {versions['playcanvas']} ({dev})"
                    api = "WebGPU" if dev == "webgpu" else "WebGL2"
                page = browser.new_page(viewport={"width": w, "height": h})
                page.set_default_timeout(900_000)
                errors: list[str] = []
                page.on(
                    "console", lambda m, e=errors: e.append(m.text) if m.type == "error" else None
                )
                page.on("pageerror", lambda x, e=errors: e.append(str(x)))
                print(f"{peer}: {scene.name} {w}x{h} ...", flush=True)
                try:
                    r = bench_page(page, url, views, args.warmup, peer == "splatrender")
                except Exception as e:  # a peer failing must not stop the others
                    print(f"  failed: {e}\n  console: {errors[:3]}")
                    page.close()
                    continue
                shot = f"{Path(args.output).stem}-{peer}-{scene.stem}-{w}x{h}.png"
                page.screenshot(path=str(args.output.parent / shot))
                page.close()
                frames = [
                    Frame(
                        round(s["ms"], 3),
                        {"until-sorted": round(s["untilSorted"], 3), "draw": round(s["draw"], 3)}
                        if "untilSorted" in s
                        else {},
                        int(r["info"].get("splats") or facts["splats"]),
                    )
                    for s in r["steps"]
                ]
                notes = []
                if r["raf"]:
                    notes.append(
                        f"continuous orbit: median rAF delta {statistics.median(r['raf']):.1f} ms "
                        "(there the sort may lag behind the camera)"
                    )
                lost = sum(not s.get("sortSignal", True) for s in r["steps"])
                if lost:
                    notes.append(f"{lost} frame(s) saw no sort-complete signal within 15 s")
                if r["gpu_passes"]:
                    passes = ", ".join(f"{k} {v:.1f}" for k, v in r["gpu_passes"].items())
                    notes.append(f"GPU ms per pass of one frame (timestamp queries): {passes}")
                if errors:
                    notes.append(f"console errors: {errors[:2]}")
                run = Run(
                    runtime="browser",
                    renderer=version,
                    adapter=Adapter("SwiftShader", "Google", api, "CPU", chrome),
                    scene=SceneInfo(scene.name, str(scene), facts["splats"], False),
                    settings=Settings(
                        w, h, len(frames), None, args.warmup, "orbit", "classic", "raf"
                    ),
                    frames=frames,
                    screenshot=shot,
                    notes=notes,
                )
                results.runs.append(run)
                s = run.summary()["frame_ms"]
                print(f"  p50 {s['p50']:.1f} ms (IQR {s['spread']:.1f}); {notes}", flush=True)
                results.write(args.output)  # keep partial results if a later peer hangs
            for s in servers.values():
                s.shutdown()
        browser.close()
    results.write(args.output)
    print(f"wrote {args.output}")
    return 0 if results.runs else 1


if __name__ == "__main__":
    sys.exit(main())
