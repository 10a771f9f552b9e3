"""`splatrender bench`: frame and stage times of scenes on every adapter.

splatrender bench [SCENES...] [--adapter all|NAME] [--size WxH ...] [--budget N ...]
    [--frames N] [--path orbit|flythrough] [-o results.json]
splatrender bench compare A.json B.json [--min-effect 0.10]
splatrender bench report RESULTS.json... -o report.md
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ._args import size


def add_parser(sub) -> None:
    p = sub.add_parser(
        "bench",
        help="time scenes on every GPU adapter, stage by stage (also: bench compare / report)",
        description=__doc__.split("\n\n")[0]
        + " Also `bench compare A.json B.json` and `bench report RESULTS.json...`.",
    )
    p.add_argument(
        "scenes",
        nargs="*",
        metavar="SCENE",
        help="scene files, folders or LOD sets; procedural:N for N synthetic splats "
        "(default: sample_scenes/playbot)",
    )
    p.add_argument("--adapter", default="all", help="'all' or part of an adapter's name")
    p.add_argument(
        "--size", type=size, action="append", metavar="WxH", help="image size (repeatable; 320x240)"
    )
    p.add_argument(
        "--budget",
        type=int,
        action="append",
        metavar="N",
        help="splat budget of LOD sets (repeatable; plain scenes ignore it)",
    )
    p.add_argument("--frames", type=int, default=10, help="timed frames per run (10)")
    p.add_argument("--warmup", type=int, default=2, help="untimed frames before them (2)")
    p.add_argument("--path", choices=("orbit", "flythrough"), default="orbit", help="camera path")
    p.add_argument("--mode", choices=("classic", "antialiased"), default="classic")
    p.add_argument(
        "--timing",
        choices=("auto", "cpu"),
        default="auto",
        help="auto: GPU timestamps where supported; cpu: CPU time around a sync per pass",
    )
    p.add_argument(
        "-o", "--output", help="result JSON (bench-results.json); with `report`: the Markdown"
    )
    p.add_argument(
        "--report",
        help="Markdown report path (default: beside the JSON, .md); the PNG chart goes beside it",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument(
        "--note", action="append", help="a paragraph for the top of the report (repeatable)"
    )
    p.add_argument(
        "--min-effect", type=float, default=0.10, help="compare: smallest change flagged (0.10)"
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.scenes and args.scenes[0] == "compare":
        return _compare(args)
    if args.scenes and args.scenes[0] == "report":
        return _report(args)
    import asyncio

    from ..bench.report import write_report
    from ..bench.runner import BenchConfig, run_bench

    config = BenchConfig(
        scenes=args.scenes or BenchConfig().scenes,
        sizes=args.size or [(320, 240)],
        budgets=args.budget or [None],
        frames=args.frames,
        warmup=max(0, args.warmup),
        path=args.path,
        mode=args.mode,
        timing=args.timing,
        adapter=args.adapter,
    )
    out = Path(args.output or "bench-results.json")
    results = asyncio.run(run_bench(config, progress=not args.no_progress, on_run=_print_run))
    if not results.runs:
        print("splatrender: no run completed", file=sys.stderr)
        return 1
    results.write(out)
    md = Path(args.report) if args.report else out.with_suffix(".md")
    write_report(results, md, md.with_suffix(".png"), args.note)
    print(f"wrote {out}, {md} and {md.with_suffix('.png')}")
    return 0


def _print_run(run) -> None:
    s = run.summary()
    f = s["frame_ms"]
    stages = ", ".join(f"{k} {v['p50']:.1f}" for k, v in s["stages_ms"].items())
    from tqdm import tqdm

    tqdm.write(
        f"{run.adapter.name} | {run.label()} | p50 {f['p50']:.1f} ms (IQR {f['spread']:.1f}) "
        f"p95 {f['p95']:.1f} p99 {f['p99']:.1f} | {stages} [{run.settings.timing}]",
        file=sys.stdout,
    )


def _compare(args: argparse.Namespace) -> int:
    """Ratios B/A of matched runs; exit status 1 when any is a regression beyond the noise."""
    from ..bench.compare import compare, format_changes
    from ..bench.schema import Results

    files = args.scenes[1:]
    if len(files) != 2:
        print("usage: splatrender bench compare A.json B.json [--min-effect F]", file=sys.stderr)
        return 2
    a, b = (Results.read(f) for f in files)
    changes, unmatched = compare(a, b, args.min_effect)
    print(format_changes(changes, unmatched))
    return 1 if any(c.verdict == "regression" for c in changes) else 0


def _report(args: argparse.Namespace) -> int:
    """Merge result files (native and browser runs) into one Markdown report + chart."""
    from ..bench.report import merge, write_report
    from ..bench.schema import Results

    files = args.scenes[1:]
    if not files:
        print("usage: splatrender bench report RESULTS.json... [-o report.md]", file=sys.stderr)
        return 2
    merged = merge([Results.read(f) for f in files])
    md = Path(args.output or "bench-report.md")
    write_report(merged, md, md.with_suffix(".png"), args.note)
    print(f"wrote {md} and {md.with_suffix('.png')}")
    return 0
