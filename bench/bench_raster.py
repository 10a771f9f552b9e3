"""Two renderer settings side by side, frame by frame, in one process (a script, not a
test), with splat-pixel evaluations per pixel.

    python bench/bench_raster.py [SCENE ...] [--size 1280x720] [--frames 5] [-o DIR]
        [--old FIELD=VALUE ...] [--new FIELD=VALUE ...]

SCENE defaults to ``procedural:1000000`` and ``../shared/scenes/biker.spz``. Two renderers
share one splat pool: ``old`` and ``new`` are the adapter's ``Tuning`` with the given
fields replaced (``--old tile_size=16``; with neither, an A/A run: the same settings twice,
which shows the noise and the depth-tie pixels of README "Limits"). They draw the same camera path
alternately (old, new, then new, old on the next frame, so drift of a shared machine hits
both alike), each frame timed like ``splatrender bench`` (GPU timestamps per pass), and
each frame's raster pass is rerun untimed with the counting pipeline for evaluations per
pixel. Both images of every frame are compared (pixels that differ). Writes ``DIR/old.json`` and
``DIR/new.json`` (``splatrender bench compare DIR/old.json DIR/new.json`` gives confidence
intervals) and prints medians per stage, then new/old frame by frame per stage: the
median ratio ("paired") and its quartiles ("IQR"). On a noisy machine the paired ratio is
the steadier figure; an A/A run shows how far it strays.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import statistics
from datetime import UTC, datetime
from pathlib import Path

from splatrender.bench import paths
from splatrender.bench.runner import (
    BenchConfig,
    _open,
    _timed_frame,
    count_evals,
    machine_info,
    parse_sizes,
    resolve_scene,
)
from splatrender.bench.schema import Adapter, Frame, Results, Run, SceneInfo, Settings
from splatrender.gpu.native import NativeDevice
from splatrender.render.renderer import REDRAWS, Renderer
from splatrender.render.tuning import Tuning
from splatrender.scene import settle

DEFAULT_SCENES = ["procedural:1000000", "../shared/scenes/biker.spz"]


def tuned(base: Tuning, overrides: list[str]) -> Tuning:
    """``base`` with ``FIELD=VALUE`` overrides (ints, or true/false)."""
    changes: dict[str, object] = {}
    for item in overrides:
        name, _, value = item.partition("=")
        if name not in {f.name for f in dataclasses.fields(Tuning)}:
            raise SystemExit(f"Tuning has no field {name!r}")
        low = value.lower()
        changes[name] = low == "true" if low in ("true", "false") else int(value)
    return dataclasses.replace(base, **changes)


def differing_pixels(a: bytes, b: bytes) -> int:
    return sum(a[i : i + 4] != b[i : i + 4] for i in range(0, len(a), 4)) if a != b else 0


async def frame(renderer: Renderer, cam, timing: str) -> Frame:
    for _ in range(REDRAWS):  # a frame whose buffers overflowed is redrawn, not counted
        ms, stages, cpu = await _timed_frame(renderer, cam, timing)
        if not await renderer.grow_if_needed():
            break
    s = renderer.stats
    evals = await count_evals(renderer)
    stages = {k: round(v, 4) for k, v in stages.items()}
    return Frame(round(ms, 4), stages, s.splats, s.visible, s.pairs, None, round(cpu, 4), evals)


async def bench_scene(device, location: str, size, args) -> dict[str, Run]:
    frames, warmup = args.frames, args.warmup
    base = Tuning.for_device(device)
    renderers = {
        "old": Renderer(device, tuning=tuned(base, args.old)),
        "new": Renderer(device, tuning=tuned(base, args.new)),
    }
    scene = await _open(location, renderers["old"], None)
    renderers["new"].set_pool(scene.pool)
    timing = "gpu-timestamps" if device.timestamps_supported() else "cpu-sync"
    w, h = size

    def cam(i: int):
        return paths.camera(*scene.bounds, scene.axes, w, h, i, "orbit", frames)

    await settle(scene, cam(0))
    for r in renderers.values():
        await r.render(cam(0))
    load0 = os.getloadavg()[0]
    out: dict[str, list[Frame]] = {"old": [], "new": []}
    mismatched = []
    for i in range(-warmup, frames):
        order = ["old", "new"] if i % 2 == 0 else ["new", "old"]
        got = {}
        images = {}
        for name in order:
            got[name] = await frame(renderers[name], cam(max(i, 0)), timing)
            images[name] = await renderers[name].read_rgba8()
        mismatched.append(differing_pixels(images["old"], images["new"]))
        if i >= 0:
            for name in order:
                out[name].append(got[name])
    d = device.info
    note = f"load average {load0:.1f} -> {os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs)"
    runs = {}
    for name, fs in out.items():
        t = renderers[name].tuning
        runs[name] = Run(
            runtime="native",
            renderer=f"splatrender ({name}: {t})",
            adapter=Adapter(d.name, d.vendor, d.backend, d.adapter_type, d.driver),
            scene=SceneInfo(scene.name, location, scene.count, scene.streamed),
            settings=Settings(w, h, frames, None, warmup, "orbit", "classic", timing),
            frames=fs,
            notes=[note, f"pixels differing old vs new, frame by frame: {mismatched}"],
        )
    await scene.close()
    return runs


def median(values):
    return statistics.median(values) if values else float("nan")


def paired(runs: dict[str, Run], value) -> tuple[float, float, float]:
    """Quartiles of new/old ``value`` frame by frame. Frame i of both drew the same
    camera, one right after the other, so the ratio is spared the drift between frames
    that a ratio of medians carries."""
    frames = zip(runs["old"].frames, runs["new"].frames, strict=True)
    ratios = [value(n) / value(o) for o, n in frames if value(o) > 0]
    if len(ratios) < 2:
        return (float("nan"),) * 3
    q1, q2, q3 = statistics.quantiles(ratios, n=4)
    return q1, q2, q3


def print_runs(runs: dict[str, Run]) -> None:
    old = runs["old"]
    print(f"\n{old.scene.name} {old.settings.size} on {old.adapter.describe()}")
    print(f"  {old.notes[0]}; {old.notes[1]}")
    stages = list(dict.fromkeys(k for r in runs.values() for f in r.frames for k in f.stages))
    print(f"  {'':6} {'frame':>9} {'cpu':>9} " + " ".join(f"{s:>10}" for s in stages))
    for name, run in runs.items():
        fr = median([f.ms for f in run.frames])
        cpu = median([f.cpu_ms for f in run.frames])
        per_stage = [median([f.stages.get(s, 0) for f in run.frames]) for s in stages]
        cells = " ".join(f"{v:10.1f}" for v in per_stage)
        print(f"  {name:6} {fr:9.1f} {cpu:9.1f} {cells}")
    values = [lambda f: f.ms, lambda f: f.cpu_ms]
    values += [lambda f, s=s: f.stages.get(s, 0) for s in stages]
    widths = [9, 9] + [10] * len(stages)
    cells = [(paired(runs, v), w) for v, w in zip(values, widths, strict=True)]
    print(f"  {'paired':6} " + " ".join(f"{q[1]:{w}.3f}" for q, w in cells))
    print(f"  {'IQR':6} " + " ".join(f"{q[0]:.2f}-{q[2]:.2f}".rjust(w) for q, w in cells))
    keys = list(runs["new"].frames[0].evals)
    print("  evaluations per pixel (medians): " + ", ".join(keys))
    for name, run in runs.items():
        vals = [median([f.evals[k] for f in run.frames]) for k in keys]
        print(f"  {name:6} " + " ".join(f"{v:10.1f}" for v in vals))


async def main(args: argparse.Namespace) -> None:
    device = await NativeDevice.create(adapter=args.adapter or None)
    (size,) = parse_sizes([args.size])
    machine = machine_info()
    created = datetime.now(UTC).isoformat(timespec="seconds")
    results = {k: Results(machine, [], created) for k in ("old", "new")}
    for spec in args.scenes or DEFAULT_SCENES:
        runs = await bench_scene(device, resolve_scene(spec), size, args)
        print_runs(runs)
        for k, run in runs.items():
            results[k].runs.append(run)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    for k, res in results.items():
        res.write(out / f"{k}.json")
    print(f"\nwrote {out / 'old.json'} and {out / 'new.json'}")


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("scenes", nargs="*", help=f"scenes (default: {' '.join(DEFAULT_SCENES)})")
    p.add_argument("--size", default="1280x720")
    p.add_argument("--frames", type=int, default=5)
    p.add_argument("--warmup", type=int, default=BenchConfig().warmup)
    p.add_argument("--adapter", default="")
    p.add_argument("--old", action="append", default=[], metavar="FIELD=VALUE")
    p.add_argument("--new", action="append", default=[], metavar="FIELD=VALUE")
    p.add_argument("-o", "--output", default="bench-raster")
    asyncio.run(main(p.parse_args()))
