"""Per-stage GPU time and whole-frame time of the render core (thin wrapper).

    python bench/bench_render.py [--sizes 1280x720 390x844] [--frames 7]
        [--procedural 1000000] [--scenes SCENE ...] [--json out.json]

Kept for its defaults (the real scenes plus a procedural 1M-splat surface scene at
two sizes); the work is done by ``splatrender.bench`` (``splatrender bench``), which
also writes the Markdown report and chart beside the JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from splatrender.bench.report import write_report  # noqa: E402
from splatrender.bench.runner import BenchConfig, parse_sizes, run_bench  # noqa: E402

DEFAULT_SCENES = [
    "kacytran1122_try__point_cloud_iter7000.ply",
    "guitar.compressed.ply",
    "biker.spz",
    "VictorTrumpel__model.splat",
    "playbot/0_0",
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="+", default=["1280x720", "390x844"])
    ap.add_argument("--frames", type=int, default=7)
    ap.add_argument("--procedural", type=int, default=1_000_000, help="0 to skip")
    ap.add_argument("--scenes", nargs="*", default=None, help="default: the real scenes")
    ap.add_argument("--scenes-dir", default=str(ROOT.parent / "shared" / "scenes"))
    ap.add_argument("--adapter", default="all")
    ap.add_argument("--json", help="write results here (and .md/.png beside it)")
    args = ap.parse_args()
    scenes = []
    for name in args.scenes if args.scenes is not None else DEFAULT_SCENES:
        p = Path(name)
        scenes.append(str(p if p.exists() else Path(args.scenes_dir) / name))
    if args.procedural:
        scenes.append(f"procedural:{args.procedural}")
    config = BenchConfig(
        scenes=scenes, sizes=parse_sizes(args.sizes), frames=args.frames, adapter=args.adapter
    )
    from splatrender.cli.bench import _print_run

    results = asyncio.run(run_bench(config, on_run=_print_run))
    if args.json:
        out = Path(args.json)
        results.write(out)
        write_report(results, out.with_suffix(".md"), out.with_suffix(".png"))


if __name__ == "__main__":
    main()
