"""GPU time of every dispatch of a frame, native adapters only (a script, not a test).

    python bench/bench_dispatches.py [SCENE] [--size 1280x720] [--frames 5] [--adapter NAME]

``splatrender bench`` times whole compute passes (project, depth-sort, bin, ...). This
puts each dispatch in a compute pass of its own, with timestamps around it, so that a
pass's kernels can be told apart (a sort's histograms from its scatters, ``count_tiles``
from ``emit_pairs``). Splitting the passes adds a little per dispatch, so the total is
not a frame time; compare dispatches with each other, in one run. Prints the median over
``--frames`` frames (after one untimed) of each dispatch, summed over its calls in a frame.
Names are ``pass/pipeline``; the device caches pipelines by source, so the tile sort's
kernels keep the label of the depth sort's (``tile-sort/depth-sort-scatter``).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import statistics

from splatrender.bench import paths
from splatrender.bench.runner import _open, parse_sizes, resolve_scene
from splatrender.gpu import native
from splatrender.render.renderer import Renderer
from splatrender.scene import settle


class _SplitPass(native._NativePass):
    """A compute pass that opens a timed pass of its own for every dispatch."""

    def __init__(self, encoder, label, timing):
        self._enc, self._timing, self._label = encoder, timing, label

    def _run(self, pipeline, groups, dispatch) -> None:
        name = f"{self._label}/{pipeline.label}"
        writes = self._timing.writes(name) if self._timing else None
        p = self._enc.begin_compute_pass(label=name, timestamp_writes=writes)
        p.set_pipeline(pipeline.handle)
        for i, g in enumerate(groups):
            p.set_bind_group(i, g.handle)
        dispatch(p)
        p.end()

    def dispatch(self, pipeline, groups, x, y=1, z=1):
        if x and y and z:
            self._run(pipeline, groups, lambda p: p.dispatch_workgroups(x, y, z))

    def dispatch_indirect(self, pipeline, groups, args, offset=0):
        self._run(pipeline, groups, lambda p: p.dispatch_workgroups_indirect(args.handle, offset))

    def end(self):
        pass


async def bench(args: argparse.Namespace) -> None:
    native._NativePass = _SplitPass  # every encoder made from here on splits its passes
    device = await native.NativeDevice.create(adapter=args.adapter)
    if not device.timestamps_supported():
        raise SystemExit(f"{device.info.name} has no timestamp queries")
    ((width, height),) = parse_sizes([args.size])
    r = Renderer(device)
    scene = await _open(resolve_scene(args.scene), r, None)
    cam = paths.camera(*scene.bounds, scene.axes, width, height, 0, "orbit", 30)
    await settle(scene, cam)
    await r.render(cam)
    times: dict[str, list[float]] = collections.defaultdict(list)
    for _ in range(args.frames):
        device.begin_timing()
        await r.render(cam)
        for name, ms in (await device.end_timing()).items():
            times[name].append(ms)
    await scene.close()
    print(f"{device.info.describe()}, {scene.name} {width}x{height}, {r.stats.pairs} pairs")
    for name, ms in times.items():
        print(f"  {name:48s} {statistics.median(ms):8.2f} ms")
    print(f"  {'sum of medians':48s} {sum(statistics.median(v) for v in times.values()):8.1f} ms")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("scene", nargs="?", default="procedural:1000000")
    p.add_argument("--size", default="1280x720")
    p.add_argument("--frames", type=int, default=5)
    p.add_argument("--adapter", default=None)
    asyncio.run(bench(p.parse_args()))


if __name__ == "__main__":
    main()
