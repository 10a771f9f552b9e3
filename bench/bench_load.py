"""Load + decode benchmark for every scene format: real files and ~1M-splat files.

    python bench/bench_load.py [--runs 5] [--splats 1000000] [--work DIR] [--no-generate]
                               [--splat-transform PATH] [--sog]

For each real file in ../shared/scenes (and the streamed sets' first level files) and
for ~1M-splat files generated here (INRIA PLY SH3, SPZ v3/v4, .splat with our writers;
compressed PLY, GLB and, with --sog, SOG with splat-transform if it is installed), it
times ``splatrender.formats.load`` (read + sniff + decode into float32 Splats, what the
renderer uploads) and prints the median of N runs, MB/s of file bytes and splats/s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENES = ROOT.parent / "shared" / "scenes"
DEFAULT_ST = (
    Path.home()
    / ".cache"
    / "splatrender-tests"
    / "node"
    / "node_modules"
    / ".bin"
    / ("splat-transform")
)


def real_files() -> list[Path]:
    files = sorted(p for p in SCENES.glob("*") if p.is_file() and p.suffix != ".md")
    files += [
        SCENES / "playbot" / "0_0" / "meta.json",
        SCENES / "playbot" / "2_0" / "meta.json",
        SCENES / "Taebak_Streaming" / "0_4" / "meta.json",
    ]
    return [f for f in files if f.exists()]


def file_bytes(p: Path) -> int:
    if p.name == "meta.json":
        return sum(f.stat().st_size for f in p.parent.iterdir() if f.is_file())
    return p.stat().st_size


def synthetic(n: int, seed: int = 0):
    import numpy as np

    from splatrender.formats.splats import Splats

    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 5, (64, 3))
    means = centres[rng.integers(0, 64, n)] + rng.normal(0, 0.5, (n, 3))
    return Splats(
        means,
        rng.normal(-4, 0.7, (n, 3)),
        rng.normal(size=(n, 4)),
        rng.normal(1, 2, n),
        rng.normal(0, 0.3, (n, 16, 3)) * np.r_[4, [1] * 15][None, :, None],
    )


def generate(work: Path, n: int, st: Path | None, sog: bool) -> list[Path]:
    from splatrender.formats import save

    work.mkdir(parents=True, exist_ok=True)
    tag = f"{n // 1000}k"
    ply = work / f"synthetic_{tag}.ply"
    outs = []
    s = None
    targets = [
        (ply, "ply", {}),
        (work / f"synthetic_{tag}.sh0.ply", "ply0", {}),
        (work / f"synthetic_{tag}.v3.spz", "spz", {"version": 3}),
        (work / f"synthetic_{tag}.v4.spz", "spz", {"version": 4}),
        (work / f"synthetic_{tag}.splat", "splat", {}),
    ]
    for path, fmt, opts in targets:
        if not path.exists():
            s = s if s is not None else synthetic(n)
            print(f"writing {path.name}", file=sys.stderr)
            flat = fmt in ("splat", "ply0")  # SH degree 0 (Spark's 68 MB PLY case)
            save(s.with_sh_degree(0) if flat else s, path, fmt.rstrip("0"), **opts)
        outs.append(path)
    if st is not None and st.exists():
        env = dict(
            os.environ, XDG_RUNTIME_DIR=os.environ.get("XDG_RUNTIME_DIR", tempfile.gettempdir())
        )
        extra = [work / f"synthetic_{tag}.compressed.ply", work / f"synthetic_{tag}.glb"]
        if sog:
            extra.append(work / f"synthetic_{tag}.sog")
        for out in extra:
            if not out.exists():
                print(f"splat-transform -> {out.name}", file=sys.stderr)
                subprocess.run(
                    [str(st), "-q", "-w", "-g", "cpu", "-i", "2", str(ply), str(out)],
                    check=True,
                    env=env,
                )
            outs.append(out)
    else:
        print("splat-transform not found: no compressed PLY / GLB / SOG at 1M", file=sys.stderr)
    return outs


def bench(path: Path, runs: int) -> tuple[str, int, float]:
    from splatrender.formats import load

    times, s = [], None
    for _ in range(runs):
        t = time.perf_counter()
        s = load(path)
        times.append(time.perf_counter() - t)
    return s.format, s.count, statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--splats", type=int, default=1_000_000)
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "splatrender-bench")
    ap.add_argument("--no-generate", action="store_true")
    ap.add_argument("--splat-transform", type=Path, default=DEFAULT_ST)
    ap.add_argument("--sog", action="store_true", help="also build a 1M SOG (slow: k-means)")
    args = ap.parse_args(argv)
    files = real_files()
    if not args.no_generate:
        files += generate(args.work, args.splats, args.splat_transform, args.sog)
    print(
        f"{'file':48} {'format':15} {'splats':>10} {'MB':>8} {'ms':>9} {'MB/s':>8} {'Msplat/s':>9}"
    )
    for p in files:
        fmt, n, t = bench(p, args.runs)
        mb = file_bytes(p) / 1e6
        name = p.name if p.name != "meta.json" else f"{p.parent.parent.name}/{p.parent.name}"
        print(
            f"{name[:48]:48} {fmt:15} {n:10,} {mb:8.1f} {t * 1e3:9.1f} {mb / t:8.1f} "
            f"{n / t / 1e6:9.2f}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
