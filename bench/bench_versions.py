"""Two versions of the code side by side in one run (a script, not a test): a git
revision against the working tree (or another revision), per stage, with evaluations
per pixel.

    python bench/bench_versions.py --old REV [--new REV] [SCENE ...] [--size 1280x720]
        [--rounds 4] [--frames 3] [--adapter llvmpipe] [-o DIR]

A code change cannot be A/B-ed inside one process the way ``bench_raster.py`` does with
``Tuning`` fields, so the old revision is checked out into a temporary git worktree and
each round runs ``splatrender bench`` once per version, alternating which goes first
(old, new, then new, old), so that drift of a shared machine hits both alike. Every
run is a fresh process on the same adapter, scene, camera path and frames. The rounds'
frames are merged into ``DIR/old.json`` and ``DIR/new.json`` (``splatrender bench
compare DIR/old.json DIR/new.json`` gives confidence intervals), and medians per stage
and their ratios are printed. SCENE defaults to ``procedural:1000000`` and
``../shared/scenes/biker.spz``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from splatrender.bench.schema import Results, Run  # noqa: E402

DEFAULT_SCENES = ["procedural:1000000", str(ROOT.parent / "shared/scenes/biker.spz")]


@contextmanager
def checkout(rev: str | None):
    """The source tree of ``rev`` (a temporary worktree), or this tree for None."""
    if rev is None:
        yield ROOT
        return
    with tempfile.TemporaryDirectory(prefix="splatrender-rev-") as tmp:
        tree = Path(tmp) / "tree"
        git = ["git", "-C", str(ROOT)]
        subprocess.run([*git, "worktree", "add", "--detach", str(tree), rev], check=True)
        try:
            yield tree
        finally:
            subprocess.run([*git, "worktree", "remove", "--force", str(tree)], check=False)


def bench_once(
    tree: Path, scene: str, size: str, frames: int, out: Path, adapter: str = "llvmpipe"
) -> Run:
    """One ``splatrender bench`` process on the code in ``tree``. It runs in ``tree``:
    ``python -m`` puts the working directory first on ``sys.path``, ahead of PYTHONPATH
    (and of the editable install's finder), so that is what picks the code."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    if Path(scene).exists():
        scene = str(Path(scene).resolve())
    cmd = [sys.executable, "-m", "splatrender.cli.main", "bench", scene, "--size", size]
    cmd += ["--frames", str(frames), "--adapter", adapter, "--no-progress"]
    cmd += ["-o", str(out.resolve())]
    subprocess.run(cmd, check=True, env=env, cwd=tree, stdout=subprocess.DEVNULL)
    (run,) = Results.read(out).runs
    return run


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def print_pair(old: Run, new: Run) -> None:
    print(f"\n{old.scene.name} {old.settings.size} on {old.adapter.describe()}")
    stages = list(dict.fromkeys(k for r in (old, new) for f in r.frames for k in f.stages))
    print(f"  {'':7} {'frame':>8} {'cpu':>8} " + " ".join(f"{s:>10}" for s in stages))
    rows = {}
    for name, run in (("old", old), ("new", new)):
        rows[name] = [
            median([f.ms for f in run.frames]),
            median([f.cpu_ms or 0.0 for f in run.frames]),
        ]
        rows[name] += [median([f.stages.get(s, 0.0) for f in run.frames]) for s in stages]
        print(
            f"  {name:7} "
            + " ".join(f"{v:{10 if i > 1 else 8}.1f}" for i, v in enumerate(rows[name]))
        )
    ratios = [n / o if o else float("nan") for o, n in zip(rows["old"], rows["new"], strict=True)]
    print(
        f"  {'new/old':7} " + " ".join(f"{v:{10 if i > 1 else 8}.3f}" for i, v in enumerate(ratios))
    )
    keys = list(dict.fromkeys(k for r in (old, new) for f in r.frames for k in (f.evals or {})))
    if keys:
        print("  evaluations per pixel (medians): " + ", ".join(keys))
        for name, run in (("old", old), ("new", new)):
            vals = [median([(f.evals or {}).get(k, 0.0) for f in run.frames]) for k in keys]
            print(f"  {name:7} " + " ".join(f"{v:10.1f}" for v in vals))
    for name, run in (("old", old), ("new", new)):
        print(f"  {name} visible {median([f.visible or 0 for f in run.frames]):,.0f}, "
              f"pairs {median([f.pairs or 0 for f in run.frames]):,.0f}")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("scenes", nargs="*", default=DEFAULT_SCENES, metavar="SCENE")
    p.add_argument("--old", required=True, help="git revision of the old code")
    p.add_argument("--new", help="git revision of the new code (default: this tree)")
    p.add_argument("--size", default="1280x720")
    p.add_argument("--adapter", default="llvmpipe", help="part of the adapter's name")
    p.add_argument("--rounds", type=int, default=4, help="runs of each version per scene")
    p.add_argument("--frames", type=int, default=3, help="timed frames per run")
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        default=ROOT / "bench/results/raw/versions",
        help="directory for old.json and new.json (default: the untracked bench/results/raw)",
    )
    args = p.parse_args(argv)
    args.output.mkdir(parents=True, exist_ok=True)
    with checkout(args.old) as old_tree, checkout(args.new) as new_tree:
        trees = {"old": old_tree, "new": new_tree}
        merged: dict[str, list[Run]] = {"old": [], "new": []}
        for scene in args.scenes:
            runs: dict[str, Run] = {}
            for i in range(args.rounds):
                for name in ("old", "new") if i % 2 == 0 else ("new", "old"):
                    out = args.output / f"{name}-round.json"
                    run = bench_once(trees[name], scene, args.size, args.frames, out, args.adapter)
                    if name in runs:
                        runs[name].frames += run.frames
                    else:
                        runs[name] = run
                        rev = args.old if name == "old" else args.new or "working tree"
                        run.notes.append(f"{name}: {rev}")
                    p50 = median([f.ms for f in run.frames])
                    print(
                        f"{scene} round {i + 1}/{args.rounds} {name}: p50 {p50:.1f} ms", flush=True
                    )
            print_pair(runs["old"], runs["new"])
            for name in merged:
                merged[name].append(runs[name])
        for name, runs_ in merged.items():
            res = Results.read(args.output / f"{name}-round.json")
            res.runs = runs_
            res.write(args.output / f"{name}.json")
            (args.output / f"{name}-round.json").unlink()
    print(f"\nwrote {args.output / 'old.json'} and {args.output / 'new.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
