"""Web viewer benchmark in headless Chromium (Debian's, WebGPU on SwiftShader).

Measures the cold path to the first frame (Pyodide boot, wheel install, GPU
pipelines, scene download + decode, first frame) and the frame time while orbiting
(the whole frame graph incl. the sort runs every frame; each frame is awaited). The
orbit is the page's own benchmark (``index.html?bench=N`` sets
``window.benchResult``); this driver collects that JSON.

    python bench/web/bench_web.py --scene ../shared/scenes/guitar.compressed.ply \
        --size 1280x720 --frames 5 [--json out.json]

Serves the viewer the way ``splatrender serve`` does, with Pyodide fetched into the user
cache once (``splatrender web fetch-runtime``).
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


from splatrender.cli.serve import SceneServer  # noqa: E402
from splatrender.web.chromium import launch  # noqa: E402
from splatrender.web.runtime import fetch_runtime  # noqa: E402
from splatrender.web.site import assemble  # noqa: E402

# Records when each progress stage starts, relative to navigation start.
RECORD_STAGES = """
window.__stages = {};
document.addEventListener('DOMContentLoaded', () => {
  const v = document.querySelector('splat-viewer');
  v.addEventListener('progress', (e) => {
    if (!(e.detail.stage in window.__stages)) window.__stages[e.detail.stage] = performance.now();
  });
  v.addEventListener('load', () => { window.__stages.firstFrame = performance.now(); });
  v.addEventListener('error', (e) => { window.__stages.error = e.detail.message; });
});
"""


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--scene", type=Path, default=ROOT.parent / "shared/scenes/guitar.compressed.ply"
    )
    p.add_argument("--size", default="1280x720", help="canvas size WxH in pixels")
    p.add_argument("--frames", type=int, default=5, help="orbit frames to time")
    p.add_argument("--json", type=Path, help="write the results here too")
    args = p.parse_args(argv)
    w, h = (int(v) for v in args.size.lower().split("x"))
    scene = args.scene.resolve()
    site = assemble(fetch_runtime())
    srv = SceneServer(("127.0.0.1", 0), {"/scenes/bench": scene.parent}, site)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    from playwright.sync_api import sync_playwright

    # The page runs the benchmark itself (?bench=N) and publishes window.benchResult.
    url = (
        f"{srv.url}index.html?ui=0&max-pixel-ratio=1&bench={args.frames}"
        f"&src=/scenes/bench/{scene.name}"
    )
    with sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_page(viewport={"width": w, "height": h})
        page.set_default_timeout(1800_000)
        page.add_init_script(RECORD_STAGES)
        t0 = time.perf_counter()
        page.goto(url)
        stages = page.evaluate(
            """() => new Promise((res) => {
                const done = () => window.__stages.firstFrame || window.__stages.error;
                const poll = () => done() ? res(window.__stages) : setTimeout(poll, 50);
                poll();
            })"""
        )
        cold = time.perf_counter() - t0
        if "error" in stages:
            print("error:", stages["error"])
            return 1
        page.wait_for_function("() => window.benchResult")
        bench = page.evaluate("() => window.benchResult")
        browser.close()
    if "error" in bench:
        print("error:", bench["error"])
        return 1
    srv.shutdown()
    order = ["config", "python", "wheel", "modules", "gpu", "download", "decode", "firstFrame"]
    marks = [(k, stages[k]) for k in order if k in stages]
    phases = {f"{a}->{b}": round(tb - ta) for (a, ta), (b, tb) in itertools.pairwise(marks)}
    result = {
        "scene": scene.name,
        "splats": bench["splats"],
        "size": [bench["width"], bench["height"]],
        "adapter": bench["adapter"],
        "cold_first_frame_s": round(stages["firstFrame"] / 1000, 2),
        "cold_wall_s": round(cold, 2),
        "phases_ms": phases,
        "frame_ms": [round(f, 1) for f in bench["frames_ms"]],
        "frame_median_ms": round(statistics.median(bench["frames_ms"]), 1),
        "gpu_pass_ms": {k: round(v, 1) for k, v in bench["stages_ms"].items()},
    }
    print(json.dumps(result, indent=1))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
